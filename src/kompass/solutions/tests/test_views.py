"""The marketplace pages: list, filters and exports, entering and reviewing entries, coverage
by keys, usage, gaps with offers; bad input, escaping, tenants and query counts."""

import csv
import io

import pytest
from django.template import Context, Template
from django.urls import reverse
from openpyxl import load_workbook

from kompass.catalogue.tests.factories import ServiceFactory
from kompass.implementation.models import Implementation
from kompass.solutions.choices import ReviewState, SolutionKind, UsageState
from kompass.solutions.models import Solution, SolutionService, SolutionUsage
from kompass.solutions.tests.conftest import make_solution, relevant_service

FORM = {
    "name": "Sperrmüll online",
    "provider_name": "Digitallabor OWL",
    "kind": SolutionKind.DIGITAL_LAB,
    "description": "Termin für Sperrmüll online buchen",
    "status": "planned",
    "integration": "none",
    "links": "https://example.org/sperrmuell",
}


def _login(client, user):
    client.force_login(user)
    return client


# --- List, filters, exports ----------------------------------------------------------------------


def test_list_shows_published_and_own_proposals_only(client, ws):
    w = ws.w
    make_solution(name="Zentral")
    make_solution(name="Lemgos Idee", review_state=ReviewState.PROPOSAL, proposed_for=w.lemgo)
    url = reverse("solutions:overview")
    lemgo_page = _login(client, w.lemgo_editor).get(url).content.decode()
    assert "Zentral" in lemgo_page
    assert "Lemgos Idee" in lemgo_page
    herford_page = _login(client, w.herford_admin).get(url).content.decode()
    assert "Zentral" in herford_page
    assert "Lemgos Idee" not in herford_page


def test_filters(client, ws, levels):
    w = ws.w
    other_topic_service = ServiceFactory(
        name="Baumfällung", ozg_service__life_situation__topic=w.other_topic
    )
    efa = make_solution(name="EfA Melden", kind=SolutionKind.EFA, covers=ws.services[:1], level=4)
    make_solution(name="Baum digital", provider_name="Firma", covers=[other_topic_service], level=2)
    _login(client, w.lemgo_editor)
    url = reverse("solutions:overview")

    def names(**params):
        response = client.get(url, params)
        assert response.status_code == 200
        return [s.name for s in response.context["page_obj"]]

    assert names(kind="efa") == ["EfA Melden"]
    assert names(provider="Firma") == ["Baum digital"]
    assert names(topic=w.other_topic.code) == ["Baum digital"]
    assert names(leistung=ws.services[0].leika_key) == ["EfA Melden"]
    assert names(level="3") == ["EfA Melden"]
    assert names(topic=w.other_topic.code, level="3") == []
    assert names(q="melden") == [efa.name]
    # An invalid value is ignored, not a crash.
    assert len(names(kind="evil")) == 2


def test_list_query_count_does_not_grow_with_the_page(client, ws, django_assert_max_num_queries):
    _login(client, ws.w.operator)
    url = reverse("solutions:overview")
    make_solution(name="Eins", covers=ws.services[:2])
    client.get(url)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for index in range(24):
        make_solution(name=f"Lösung {index}", covers=ws.services[:3])
    with django_assert_max_num_queries(len(few)):
        response = client.get(url)
    assert len(response.context["page_obj"].object_list) == 25


def test_exports_neutralise_formulas(client, ws):
    make_solution(name='=HYPERLINK("http://evil")', provider_name="+krz", covers=ws.services[:2])
    _login(client, ws.w.lemgo_editor)
    response = client.get(reverse("solutions:export"), {"format": "csv"})
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][0] == "Name"
    assert rows[1][0] == '\'=HYPERLINK("http://evil")'
    assert rows[1][1] == "'+krz"
    assert rows[1][11] == "2"
    response = client.get(reverse("solutions:export"), {"format": "xlsx", "kind": "provider"})
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet.cell(row=2, column=1).value == '\'=HYPERLINK("http://evil")'


# --- Entering and reviewing ----------------------------------------------------------------------


def test_proposal_with_missing_fields_gets_german_messages_and_writes_nothing(client, ws):
    _login(client, ws.w.lemgo_editor)
    url = reverse("solutions:propose", kwargs={"pk": ws.w.lemgo.pk})
    response = client.post(url, {"status": "planned", "integration": "none"})
    assert response.status_code == 400
    page = response.content.decode()
    assert "Bitte geben Sie den Namen der Lösung an." in page
    assert "Bitte geben Sie an, wer die Lösung anbietet." in page
    assert "Bitte wählen Sie die Art der Lösung." in page
    assert "Bitte beschreiben Sie kurz, was die Lösung leistet." in page
    assert not Solution.objects.exists()


def test_markup_and_unsafe_links_are_refused(client, ws):
    _login(client, ws.w.lemgo_editor)
    url = reverse("solutions:propose", kwargs={"pk": ws.w.lemgo.pk})
    response = client.post(
        url,
        {
            **FORM,
            "name": "<script>alert(1)</script>",
            "links": "javascript:alert(1)\nhttps://ok.example.org",
        },
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "HTML-Auszeichnungen oder Skripte" in page
    assert "„javascript:alert(1)“ ist keine gültige Adresse mit http:// oder https://." in page
    assert "<script>alert(1)</script>" not in page
    assert not Solution.objects.exists()


def test_script_content_is_escaped_everywhere(client, ws):
    w = ws.w
    solution = make_solution(
        name="<script>alert('name')</script>",
        description="<script>alert('beschreibung')</script>",
        provider_name="<b>Anbieter</b>",
        links=["javascript:alert(1)"],
        covers=ws.services[:1],
    )
    _login(client, w.lemgo_editor)
    for url in (
        reverse("solutions:overview"),
        reverse("solutions:detail", kwargs={"pk": solution.pk}),
        reverse("solutions:gaps", kwargs={"pk": w.lemgo.pk}),
    ):
        page = client.get(url).content.decode()
        assert "<script>alert" not in page, url
        assert "<b>Anbieter</b>" not in page, url
    detail = client.get(reverse("solutions:detail", kwargs={"pk": solution.pk})).content.decode()
    assert "&lt;script&gt;alert(&#x27;beschreibung&#x27;)&lt;/script&gt;" in detail
    assert 'href="javascript:' not in detail


def test_propose_then_operator_accepts_with_edits(client, ws):
    w = ws.w
    _login(client, w.lemgo_editor)
    response = client.post(reverse("solutions:propose", kwargs={"pk": w.lemgo.pk}), FORM)
    solution = Solution.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("solutions:detail", kwargs={"pk": solution.pk})
    assert solution.review_state == ReviewState.PROPOSAL
    # Herford does not see it yet.
    _login(client, w.herford_admin)
    assert client.get(reverse("solutions:detail", kwargs={"pk": solution.pk})).status_code == 404
    _login(client, w.operator)
    review_url = reverse("solutions:review", kwargs={"pk": solution.pk})
    assert client.post(review_url, {**FORM, "decision": "reject", "version": 0}).status_code == 400
    response = client.post(
        review_url, {**FORM, "name": "Sperrmüll-Termin", "decision": "accept", "version": 0}
    )
    assert response.status_code == 302
    solution.refresh_from_db()
    assert (solution.name, solution.review_state) == ("Sperrmüll-Termin", ReviewState.PUBLISHED)
    _login(client, w.herford_admin)
    page = client.get(reverse("solutions:detail", kwargs={"pk": solution.pk})).content.decode()
    assert "Sperrmüll online → Sperrmüll-Termin" in page


def test_reject_shows_the_reason_to_the_kommune(client, ws):
    w = ws.w
    proposal = make_solution(review_state=ReviewState.PROPOSAL, proposed_for=w.lemgo)
    _login(client, w.operator)
    response = client.post(
        reverse("solutions:review", kwargs={"pk": proposal.pk}),
        {"decision": "reject", "rejection_reason": "Doppelt vorhanden", "version": 0},
    )
    assert response.status_code == 302
    _login(client, w.lemgo_editor)
    page = client.get(reverse("solutions:detail", kwargs={"pk": proposal.pk})).content.decode()
    assert "Doppelt vorhanden" in page


def test_operator_creates_central_entries_others_cannot(client, ws):
    _login(client, ws.w.lemgo_admin)
    assert client.post(reverse("solutions:create"), FORM).status_code == 404
    _login(client, ws.w.operator)
    assert client.post(reverse("solutions:create"), FORM).status_code == 302
    assert Solution.objects.get().review_state == ReviewState.PUBLISHED


# --- Coverage ----------------------------------------------------------------------------------


def test_pasted_keys_report_unknown_ones_and_write_nothing_before_confirming(client, ws, levels):
    w = ws.w
    proposal = make_solution(review_state=ReviewState.PROPOSAL, proposed_for=w.lemgo)
    url = reverse("solutions:coverage", kwargs={"pk": proposal.pk})
    _login(client, w.lemgo_editor)
    keys = f"{ws.services[0].leika_key}, 99000000000001\n{ws.services[1].leika_key};kaputt"
    response = client.post(url, {"action": "preview", "keys": keys})
    page = response.content.decode()
    assert "Den LeiKa-Schlüssel 99000000000001 gibt es im Katalog nicht." in page
    assert "„kaputt“ ist kein LeiKa-Schlüssel" in page
    assert [s.pk for s in response.context["candidates"]] == [s.pk for s in ws.services[:2]]
    assert not SolutionService.objects.exists()
    response = client.post(
        url, {"action": "add", "service": [ws.services[0].pk, ws.services[1].pk], "level": "3"}
    )
    assert response.status_code == 302
    assert SolutionService.objects.filter(solution=proposal, level=3).count() == 2


def test_coverage_by_ozg_service_and_bad_level(client, ws, levels):
    w = ws.w
    solution = make_solution()
    url = reverse("solutions:coverage", kwargs={"pk": solution.pk})
    _login(client, w.operator)
    response = client.get(url, {"ozg": "09001"})
    assert len(response.context["candidates"]) == 3
    response = client.post(url, {"action": "add", "service": [ws.services[0].pk], "level": "9"})
    assert response.status_code == 400
    assert "Dieser Reifegrad liegt nicht auf der Skala" in response.content.decode()
    response = client.post(url, {"action": "add", "service": ["999999"], "level": "3"})
    assert response.status_code == 400
    assert not SolutionService.objects.exists()
    response = client.get(url, {"ozg": "123"})
    assert "Die OZG-ID hat fünf Ziffern" in response.content.decode()


def test_bearbeiter_cannot_change_published_coverage(client, ws):
    solution = make_solution()
    _login(client, ws.w.lemgo_editor)
    assert client.get(reverse("solutions:coverage", kwargs={"pk": solution.pk})).status_code == 403


# --- Usage -----------------------------------------------------------------------------------


def test_record_usage_and_see_it_on_the_solution_and_the_workspace(client, ws, levels):
    w = ws.w
    service = ws.services[0]
    solution = make_solution(covers=[service])
    Implementation.objects.create(municipality=w.lemgo, service=service, solution="Formularserver")
    _login(client, w.lemgo_editor)
    url = reverse("solutions:usage", kwargs={"pk": w.lemgo.pk, "service_pk": service.pk})
    page = client.get(url).content.decode()
    assert "Passende Lösungen zu diesem Text" in page
    response = client.post(
        url, {"solution": solution.pk, "state": "uses", "contact_person": w.lemgo_editor.pk}
    )
    assert response.status_code == 302
    usage = SolutionUsage.objects.get()
    assert (usage.municipality, usage.contact_person, usage.state) == (
        w.lemgo,
        w.lemgo_editor,
        UsageState.USES,
    )
    _login(client, w.herford_admin)
    detail = client.get(reverse("solutions:detail", kwargs={"pk": solution.pk})).content.decode()
    assert w.lemgo.name in detail
    assert w.lemgo_editor.email in detail
    _login(client, w.lemgo_admin)
    workspace = client.get(
        reverse("implementation:detail", kwargs={"pk": w.lemgo.pk, "service_pk": service.pk})
    ).content.decode()
    assert "Lösungen aus dem Lösungsverzeichnis" in workspace
    assert solution.name in workspace


def test_usage_with_bad_input_writes_nothing(client, ws):
    w = ws.w
    service = ws.services[0]
    proposal = make_solution(review_state=ReviewState.PROPOSAL, proposed_for=w.lemgo)
    _login(client, w.lemgo_editor)
    url = reverse("solutions:usage", kwargs={"pk": w.lemgo.pk, "service_pk": service.pk})
    for data in (
        {"solution": proposal.pk, "state": "uses"},
        {"solution": "", "state": "uses"},
        {"solution": make_solution().pk, "state": "uses", "contact_person": w.herford_admin.pk},
    ):
        assert client.post(url, data).status_code == 400
    assert not SolutionUsage.objects.exists()


def test_usage_of_another_kommune_is_not_found(client, ws):
    w = ws.w
    usage = SolutionUsage.objects.create(
        municipality=w.herford, service=ws.services[0], solution=make_solution()
    )
    _login(client, w.lemgo_admin)
    url = reverse("solutions:usage-delete", kwargs={"pk": w.lemgo.pk, "usage_pk": usage.pk})
    assert client.post(url).status_code == 404
    assert SolutionUsage.objects.exists()


# --- Gaps --------------------------------------------------------------------------------------


def test_gaps_rank_offers_by_level_and_similar_users(client, ws, levels):
    from kompass.municipalities.tests.factories import MunicipalityTypeFactory

    w = ws.w
    gap = ws.services[0]
    town = MunicipalityTypeFactory(land=w.herford.land)
    for municipality in (w.lemgo, w.herford):
        municipality.municipality_type = town
        municipality.save(update_fields=["municipality_type"])
    good = make_solution(name="Gut", covers=[gap], level=4)
    # Same level as "Anders", but used by a Kommune of Herford's type: ranked first despite
    # its name.
    popular = make_solution(name="Zuverlässig", covers=[gap], level=3)
    weak = make_solution(name="Anders", covers=[gap], level=3)
    make_solution(name="Abgekündigt", covers=[gap], level=4, status="discontinued")
    SolutionUsage.objects.create(
        municipality=w.lemgo, service=gap, solution=popular, contact_person=w.lemgo_editor
    )
    _login(client, w.herford_admin)
    response = client.get(reverse("solutions:gaps", kwargs={"pk": w.herford.pk}))
    gaps = {g.service.pk: g for g in response.context["page_obj"].object_list}
    offers = gaps[gap.pk].offers
    assert [o.solution.name for o in offers] == [good.name, popular.name, weak.name]
    assert offers[1].similar_users == 1
    assert offers[1].users[0].municipality.pk == w.lemgo.pk
    page = response.content.decode()
    assert "Lemgo" in page
    assert w.lemgo_editor.email in page
    # "no solution at all": the other three Leistungen.
    response = client.get(
        reverse("solutions:gaps", kwargs={"pk": w.herford.pk}), {"offers": "uncovered"}
    )
    assert {g.service.pk for g in response.context["page_obj"].object_list} == {
        s.pk for s in ws.services[1:]
    }


def test_offers_count_and_list_only_other_kommunen_same_type_first(ws):
    """offers_for (one SQL statement): the Kommune's own use is neither counted nor listed; "same
    type" counts only uses (not plans) by Kommunen of its Kommunaltyp and ranks such offers first;
    users come same type first, then by name; a Kommune without a type ranks by name alone."""
    from kompass.municipalities.tests.factories import MunicipalityTypeFactory
    from kompass.solutions.selectors import offers_for

    w = ws.w
    gap = ws.services[0]
    town = MunicipalityTypeFactory(land=w.herford.land)
    for municipality in (w.herford, w.lemgo, w.bielefeld):
        municipality.municipality_type = town
        municipality.save(update_fields=["municipality_type"])
    unused = make_solution(name="Aaa", covers=[gap], level=3)
    used = make_solution(name="Zzz", covers=[gap], level=3)
    for municipality, state in (
        (w.herford, UsageState.USES),
        (w.lippe, UsageState.USES),
        (w.kreis_herford, UsageState.USES),
        (w.lemgo, UsageState.PLANS),
        (w.bielefeld, UsageState.USES),
    ):
        SolutionUsage.objects.create(
            municipality=municipality, service=gap, solution=used, state=state
        )
    gap.priority_rank = 3

    def offers(municipality):
        return offers_for([gap], municipality=municipality)[0].offers

    first, second = offers(w.herford)
    assert (first.solution.name, first.similar_users) == (used.name, 1)
    assert [u.municipality.name for u in first.users] == [
        w.bielefeld.name,
        w.lemgo.name,
        w.kreis_herford.name,
    ]
    assert [u.state for u in first.users] == ["uses", "plans", "uses"]
    assert first.more_users == 1
    assert (second.solution.name, second.similar_users, second.users) == (unused.name, 0, [])
    w.bielefeld.municipality_type = None
    w.bielefeld.save(update_fields=["municipality_type"])
    first, second = offers(w.bielefeld)
    assert [first.solution.name, second.solution.name] == [unused.name, used.name]
    assert second.similar_users == 0
    assert [u.municipality.name for u in second.users] == sorted(
        m.name for m in (w.herford, w.lippe, w.kreis_herford, w.lemgo)
    )[:3]
    assert second.more_users == 1


def test_gap_rows_show_offers_users_and_the_record_link_escaped_and_per_role(client, ws, levels):
    """The gap rows (rendered by the gap_rows tag): three offers and three users each at most,
    with "more" links, contacts as shared, names escaped, the record link for editors only."""
    w = ws.w
    gap = ws.services[0]
    gap.name = "Anmeldung <i>Wohnsitz</i>"
    gap.save()
    used = make_solution(name="Formular <b>Server</b>", covers=[gap], level=4)
    for name in ("B", "C", "D"):
        make_solution(name=name, covers=[gap], level=2)
    SolutionUsage.objects.create(
        municipality=w.herford, service=gap, solution=used, contact_person=w.herford_admin
    )
    SolutionUsage.objects.create(
        municipality=w.bielefeld, service=gap, solution=used, state=UsageState.PLANS
    )
    for municipality in (w.kreis_herford, w.lippe):
        SolutionUsage.objects.create(municipality=municipality, service=gap, solution=used)
    Implementation.objects.create(
        municipality=w.lemgo, service=gap, current_level=1, target_level=4, priority="high"
    )
    url = reverse("solutions:gaps", kwargs={"pk": w.lemgo.pk})
    _login(client, w.lemgo_admin)
    page = client.get(url).content.decode()
    row = page.split(f'id="gap-{gap.pk}">')[1].split("</tr>")[0]
    # The Reifegrad and priority cells: the record's, and for a Leistung without a record level
    # 0, the OZG target and the suggested priority.
    assert '<td class="kern-table__cell">1 → 4</td><td class="kern-table__cell">hoch</td>' in row
    other = page.split(f'id="gap-{ws.services[1].pk}">')[1].split("</tr>")[0]
    assert '<td class="kern-table__cell">0 → 3</td>' in other
    assert "(Vorschlag)" in other
    assert "Anmeldung &lt;i&gt;Wohnsitz&lt;/i&gt;" in row
    assert "Formular &lt;b&gt;Server&lt;/b&gt;</a> – erreicht Reifegrad 4" in row
    assert "<b>" not in row
    assert "<i>" not in row
    assert row.count('class="solutions-offer"') == 3
    assert "1 weitere Lösung" in row
    assert row.count("<li>") == 4  # three users and the link to the others
    assert "und 1 weitere Kommune" in row
    assert "Bielefeld" in row
    assert "(geplant): " in row
    assert f"mailto:{w.herford_admin.email}" in row
    assert "keine Ansprechperson genannt" in row
    assert "Nutzung von „Formular &lt;b&gt;Server&lt;/b&gt;“ erfassen" in row
    assert f"?loesung={used.pk}" in row
    _login(client, w.reader)
    reader_page = client.get(url)
    assert reader_page.status_code == 200
    assert "erfassen" not in reader_page.content.decode().split(f'id="gap-{gap.pk}">')[1]
    # A page beyond the end shows the last one, with the count of all gaps.
    beyond = client.get(url, {"page": "99"})
    assert beyond.context["page_obj"].number == 1
    assert beyond.context["page_obj"].paginator.count == len(ws.services)


def test_gap_page_query_count_is_constant(client, ws, levels, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    w = ws.w
    make_solution(name="A", covers=ws.services, level=4)
    SolutionUsage.objects.create(
        municipality=w.herford, service=ws.services[0], solution=Solution.objects.get()
    )
    _login(client, w.lemgo_admin)
    url = reverse("solutions:gaps", kwargs={"pk": w.lemgo.pk})
    client.get(url)
    with CaptureQueriesContext(connection) as small:
        client.get(url)
    extra = [relevant_service(w, name=f"Leistung {i}") for i in range(30)]
    for index, service in enumerate(extra):
        solution = make_solution(name=f"L{index}", covers=[service], level=3)
        SolutionUsage.objects.create(municipality=w.herford, service=service, solution=solution)
    with django_assert_max_num_queries(len(small)):
        response = client.get(url)
    assert len(response.context["page_obj"].object_list) == 25
    assert all(g.offers for g in response.context["page_obj"].object_list)


def test_operator_sees_common_gaps_across_members(client, ws, levels):
    w = ws.w
    make_solution(covers=[ws.services[0]])
    Implementation.objects.create(municipality=w.lemgo, service=ws.services[1], current_level=3)
    _login(client, w.operator)
    response = client.get(reverse("solutions:gaps-overview"))
    rows = {s.pk: s for s in response.context["page_obj"]}
    members = response.context["member_count"]
    assert members == 4  # Lippe, Lemgo, Kreis Herford, Herford
    assert rows[ws.services[1].pk].gap_count == members - 1
    assert rows[ws.services[0].pk].gap_count == members
    assert rows[ws.services[0].pk].has_offers
    assert not rows[ws.services[2].pk].has_offers
    assert ws.federal.pk not in rows
    response = client.get(reverse("solutions:gaps-overview"), {"offers": "uncovered"})
    assert ws.services[0].pk not in {s.pk for s in response.context["page_obj"]}


@pytest.mark.parametrize(
    ("first_name", "last_name", "email", "expected"),
    [
        (
            "Sven",
            "Sachbearbeiter",
            "sven@demo.invalid",
            'Sven Sachbearbeiter, <a class="kern-link" href="mailto:sven@demo.invalid">'
            "sven@demo.invalid</a>",
        ),
        ("", "", "", "kontakt&lt;1&gt;"),
        ("Ada <b>", "O'Neil & Co", "", "Ada &lt;b&gt; O&#x27;Neil &amp; Co"),
    ],
)
def test_gap_rows_show_a_shared_contact_like_the_shared_contact_filter(
    client, ws, levels, first_name, last_name, email, expected
):
    """The gap list's users are plain values (selectors.OfferUser), not Users: their contact is
    drawn as the shared_contact filter draws a User (full name, else user name, escaped; a mailto
    link if there is an address)."""
    from kompass.accounts.tests.factories import UserFactory
    from kompass.solutions.templatetags.solutions_tags import shared_contact

    w = ws.w
    gap = ws.services[0]
    person = UserFactory(
        username="kontakt<1>", first_name=first_name, last_name=last_name, email=email
    )
    used = make_solution(name="Formular", covers=[gap], level=4)
    SolutionUsage.objects.create(
        municipality=w.herford, service=gap, solution=used, contact_person=person
    )
    _login(client, w.lemgo_admin)
    page = client.get(reverse("solutions:gaps", kwargs={"pk": w.lemgo.pk})).content.decode()
    row = page.split(f'id="gap-{gap.pk}">')[1].split("</tr>")[0]
    assert shared_contact(person) == expected
    assert f"<li>{w.herford.name} (im Einsatz): {expected}</li>" in row
    # As a filter in a template, too: the markup is safe, the parts are escaped once.
    template = Template("{% load solutions_tags %}{{ person|shared_contact }}")
    assert template.render(Context({"person": person})) == expected
