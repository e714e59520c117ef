"""Comparisons across Kommunen: the global Reifegrad (figures and who is named to whom), the
benchmark (ranks, at least five Kommunen, aggregates only), the provider heat map and the entry
page, role by role."""

from collections import Counter

import pytest
from django.urls import reverse

from kompass.accounts.choices import Role
from kompass.accounts.tests.factories import UserFactory, grant
from kompass.catalogue.tests.factories import OzgServiceFactory, ServiceFactory
from kompass.implementation.models import Implementation
from kompass.municipalities.models import Municipality
from kompass.municipalities.tests.factories import MunicipalityFactory
from kompass.relevance.models import Deviation
from kompass.relevance.selectors import relevant_services_for
from kompass.reports import selectors
from kompass.reports.services import progress_rebuild
from kompass.reports.tests.conftest import read_csv, read_xlsx


@pytest.fixture
def spread(ws):
    """Levels for one Leistung in every World Kommune; Herford deviates (not relevant)."""
    w = ws.w
    service = ws.services[0]
    contact = UserFactory(username="lemgo-kontakt", first_name="Lena", last_name="Lemgo")
    for municipality, level, status in [
        (w.lemgo, 4, "done"),
        (w.lippe, 3, "done"),
        (w.kreis_herford, 1, "in_progress"),
        (w.bielefeld, 4, "done"),
        (w.herford, 4, "done"),
    ]:
        Implementation.objects.create(
            municipality=municipality,
            service=service,
            current_level=level,
            status=status,
            contact_person=contact if municipality == w.lemgo else None,
            department=w.lemgo_department if municipality == w.lemgo else None,
        )
    Deviation.objects.create(municipality=w.herford, service=service, value="not_relevant")
    for n in range(3):
        MunicipalityFactory(name=f"Ohne Stand {n}", district=w.lippe)  # level 0, no record
    progress_rebuild()  # the records were written directly, not through the services
    return ws, service


def test_global_view_matches_the_records(client, spread):
    ws, service = spread
    w = ws.w
    client.force_login(w.lemgo_admin)
    response = client.get(reverse("reports:service-global", kwargs={"service_pk": service.pk}))
    assert response.status_code == 200
    overall = response.context["view"].overall
    expected = Counter()
    records = {r.municipality_id: r for r in Implementation.objects.filter(service=service)}
    for municipality in Municipality.objects.active():
        if service in relevant_services_for(municipality=municipality):
            record = records.get(municipality.pk)
            expected[(record.current_level or 0) if record else 0] += 1
    assert dict(overall.by_level) == dict(expected)
    assert overall.total == 7  # Herford deviates
    assert overall.compliant == 3
    assert overall.compliant_share == round(100 * 3 / 7, 1)
    assert "42,9 %" in response.content.decode()
    sheets = read_xlsx(
        client.get(
            reverse(
                "reports:service-global-export", kwargs={"service_pk": service.pk, "fmt": "xlsx"}
            )
        )
    )
    levels = {row[0]: row[2] for row in sheets["Reifegrad"][1:]}
    assert levels == {lvl: expected.get(lvl, 0) for lvl in range(5)}


def test_global_view_names_only_visible_kommunen(client, spread):
    ws, service = spread
    w = ws.w
    url = reverse("reports:service-global", kwargs={"service_pk": service.pk})
    client.force_login(w.lemgo_admin)
    contacts = client.get(url).context["view"].contacts
    assert [c.municipality for c in contacts] == [w.lemgo]
    assert contacts[0].contact_name == "Lena Lemgo"
    client.force_login(w.operator)
    names = [c.municipality.name for c in client.get(url).context["view"].contacts]
    assert names == ["Lemgo, Stadt", "Lippe", "Herford"]  # furthest first; no Bielefeld
    client.force_login(w.bielefeld_admin)
    html = client.get(url).content.decode()
    assert "Lemgo" not in html
    assert "Lena" not in html
    no_roles = UserFactory(username="ohne-rolle")
    client.force_login(no_roles)
    response = client.get(url)
    assert response.context["view"].contacts is None
    assert response.context["view"].overall.total == 7  # the aggregate is for everyone
    rows = read_csv(
        client.get(
            reverse(
                "reports:service-global-export", kwargs={"service_pk": service.pk, "fmt": "csv"}
            )
        )
    )
    assert "Lemgo" not in str(rows)


@pytest.mark.parametrize("count", [1, 2, 3, 4])
@pytest.mark.parametrize("margin", [1, 4])
@pytest.mark.parametrize("probe_limit", [0, 2000])
def test_furthest_kommunen_from_the_top_levels_equal_ranking_all_records(
    client, spread, monkeypatch, count, margin, probe_limit
):
    """The contacts are ranked among the records of the top levels only; where relevance or
    visibility leaves too few there (margin 1: Bielefeld is not visible to the operator and
    Herford deviates, both at level 4), all records are ranked. Either way the result is the
    beginning of the order over all records."""
    ws, service = spread
    monkeypatch.setattr(selectors, "CONTACT_COUNT", count)
    monkeypatch.setattr(selectors, "CONTACT_MARGIN", margin)
    monkeypatch.setattr(selectors, "_PROBE_LIMIT", probe_limit)
    client.force_login(ws.w.operator)
    url = reverse("reports:service-global", kwargs={"service_pk": service.pk})
    names = [c.municipality.name for c in client.get(url).context["view"].contacts]
    assert names == ["Lemgo, Stadt", "Lippe", "Herford"][:count]


def test_global_view_needs_five_kommunen(client, ws):
    w = ws.w
    lonely = ServiceFactory(leika_type_codes="2/3", ozg_service__life_situation__topic=w.topic)
    Deviation.objects.create(municipality=w.lemgo, service=lonely, value="relevant")
    Implementation.objects.create(municipality=w.lemgo, service=lonely, current_level=4)
    client.force_login(w.bielefeld_admin)
    response = client.get(reverse("reports:service-global", kwargs={"service_pk": lonely.pk}))
    assert not response.context["view"].overall.enough
    assert "table-global-levels" not in response.content.decode()
    assert (
        client.get(reverse("reports:service-global", kwargs={"service_pk": 999999})).status_code
        == 404
    )


def test_ozg_view(client, spread, django_assert_max_num_queries):
    ws, service = spread
    w = ws.w
    ozg = service.ozg_service
    client.force_login(w.operator)
    url = reverse("reports:ozg-global", kwargs={"ozg_id": ozg.ozg_id})
    with django_assert_max_num_queries(12):
        response = client.get(url)
    view = response.context["view"]
    # Three LeiKa-Leistungen × 8 Kommunen, minus Herford's deviation for one of them.
    assert view.overall.total == 3 * 8 - 1
    assert [p.label for p in view.parts] == sorted(s.name for s in ws.services[:3])
    assert view.contacts[0].municipality == w.lemgo
    assert client.get(reverse("reports:ozg-global", kwargs={"ozg_id": "00000"})).status_code == 404
    other = OzgServiceFactory()
    assert (
        client.get(reverse("reports:ozg-global", kwargs={"ozg_id": other.ozg_id})).status_code
        == 200
    )


# --- Benchmark ----------------------------------------------------------------------------------


def test_benchmark_ranks(client, peers):
    ws, members, elsewhere = peers
    w = ws.w
    client.force_login(w.lemgo_editor)
    response = client.get(reverse("reports:benchmark", kwargs={"pk": w.lemgo.pk}))
    assert response.status_code == 200
    groups = {g.key: g for g in response.context["benchmark"].groups}
    # Progress 50 % (2 of 4); krz area: 100, 75, 50, 50, 25, 0 → rank 3 of 6.
    area = groups["provider"]
    assert (area.overall.own, area.overall.rank, area.overall.size) == (50.0, 3, 6)
    assert area.overall.median == 50.0
    assert area.overall.mean == round((100 + 75 + 50 + 50 + 25 + 0) / 6, 1)
    land = groups["land"]
    assert (land.overall.rank, land.overall.size) == (5, 8)
    # Size class 20,000–50,000: the elsewhere ones (60,000) are not in it.
    size = groups["size"]
    assert size.overall.size == 6
    html = response.content.decode()
    assert "Platz 3 von 6" in html
    for peer in [*members, *elsewhere]:
        assert peer.name not in html  # aggregates only
    table = read_xlsx(
        client.get(reverse("reports:benchmark-export", kwargs={"pk": w.lemgo.pk, "fmt": "xlsx"}))
    )["Vergleich"]
    assert table[1][:5] == [area.label, "Gesamt", 6, 50.0, 3]


def test_benchmark_needs_five_kommunen(client, peers):
    ws, members, _elsewhere = peers
    Municipality.objects.filter(pk__in=[m.pk for m in members[:2]]).update(
        dissolved_on="2024-01-01"
    )
    client.force_login(ws.w.lemgo_admin)
    groups = {
        g.key: g
        for g in client.get(reverse("reports:benchmark", kwargs={"pk": ws.w.lemgo.pk}))
        .context["benchmark"]
        .groups
    }
    assert groups["provider"].size == 4
    assert not groups["provider"].enough
    assert groups["provider"].overall.rank is None
    assert groups["land"].enough


def test_benchmark_without_type(client, ws):
    client.force_login(ws.w.lemgo_admin)
    response = client.get(reverse("reports:benchmark", kwargs={"pk": ws.w.lemgo.pk}))
    assert response.context["benchmark"].groups == []
    assert "kein Kommunaltyp" in response.content.decode()


# --- Heat map -----------------------------------------------------------------------------------


def test_heatmap_covers_all_members_and_filters(client, peers, django_assert_max_num_queries):
    ws, members, _elsewhere = peers
    w = ws.w
    client.force_login(w.operator)
    url = reverse("reports:heatmap", kwargs={"pk": w.provider.pk})
    with django_assert_max_num_queries(14):
        response = client.get(url)
    rows = response.context["heatmap"].rows
    expected = set(w.provider.members.values_list("pk", flat=True))
    assert {r.municipality.pk for r in rows} == expected
    lemgo = next(r for r in rows if r.municipality == w.lemgo)
    assert lemgo.total.done == 2
    assert lemgo.total.progress == 50.0
    filtered = client.get(url, {"district": w.kreis_herford.pk}).context["heatmap"].rows
    assert {r.municipality for r in filtered} == {w.kreis_herford, w.herford}
    by_type = client.get(url, {"municipality_type": w.lemgo.municipality_type_id})
    assert {r.municipality for r in by_type.context["heatmap"].rows} == {w.lemgo, *members}
    # Its export (built in the background) is tested in test_background_exports.py.


def test_heatmap_for_provider_readers(client, peers):
    ws, _members, _elsewhere = peers
    w = ws.w
    provider_reader = UserFactory(username="rz-leser")
    grant(provider_reader, Role.READER, provider=w.provider)
    client.force_login(provider_reader)
    assert client.get(reverse("reports:heatmap", kwargs={"pk": w.provider.pk})).status_code == 200
    assert (
        client.get(reverse("reports:heatmap", kwargs={"pk": w.other_provider.pk})).status_code
        == 404
    )
    # A Kreis reader (the World's reader) does not get the provider's heat map.
    client.force_login(w.reader)
    assert client.get(reverse("reports:heatmap", kwargs={"pk": w.provider.pk})).status_code == 404


# --- Entry page ---------------------------------------------------------------------------------


def test_overview_by_role(client, ws):
    w = ws.w
    url = reverse("reports:overview")
    assert client.get(url).status_code == 302  # to the login page
    client.force_login(w.lemgo_editor)
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"] == reverse("reports:dashboard", kwargs={"pk": w.lemgo.pk})
    client.force_login(w.reader)  # Kreis Lippe and Lemgo
    response = client.get(url)
    assert response.status_code == 200
    assert [m.name for m in response.context["page_obj"]] == ["Lippe", "Lemgo, Stadt"]
    client.force_login(w.operator)
    response = client.get(url)
    assert response.status_code == 200
    assert [p.name for p in response.context["providers"]] == ["krz"]
    assert "Bielefeld" not in response.content.decode()
    client.force_login(UserFactory(username="neu"))
    response = client.get(url)
    assert response.status_code == 200
    assert "noch keine Kommune" in response.content.decode()


def test_global_view_lists_the_published_solutions_in_use(client, spread):
    from kompass.solutions.models import Solution, SolutionUsage

    ws, service = spread
    w = ws.w

    def solution(name, review_state):
        return Solution.objects.create(
            name=name,
            provider_name="krz",
            kind="provider",
            description="Antrag online",
            review_state=review_state,
        )

    portal, proposal = solution("Serviceportal", "published"), solution("Eigenbau", "proposal")
    for municipality, state in [(w.lemgo, "uses"), (w.lippe, "uses"), (w.herford, "plans")]:
        SolutionUsage.objects.create(
            municipality=municipality, service=service, solution=portal, state=state
        )
    SolutionUsage.objects.create(
        municipality=w.lemgo, service=service, solution=proposal, state="uses"
    )
    client.force_login(w.lemgo_admin)
    for url in (
        reverse("reports:service-global", kwargs={"service_pk": service.pk}),
        reverse("reports:ozg-global", kwargs={"ozg_id": service.ozg_service.ozg_id}),
    ):
        view = client.get(url).context["view"]
        assert [(s.solution.name, s.using, s.planning) for s in view.solutions] == [
            ("Serviceportal", 2, 1)
        ]
    assert "im Einsatz in 2 Kommunen, geplant in 1 Kommune" in client.get(url).content.decode()


@pytest.mark.parametrize(("kommunen_count", "conform_kommunen"), [(16, 14), (16, 3), (70, 60)])
def test_the_furthest_kommunen_equal_ranking_every_record(
    ws, monkeypatch, kommunen_count, conform_kommunen
):
    """Who is furthest in an OZG-Leistung: the most OZG-conform LeiKa-Leistungen, then the best
    level. Checked in the order of OzgProgress's upper bound, a batch at a time (70: more than
    one batch, with ties across them; deviations make the bound of some Kommunen too high), or
    from all records (fewer than ten have any); both give the ranking of every record."""
    import random

    from kompass.accounts.tests.factories import UserFactory as Users
    from kompass.reports import selectors
    from kompass.reports.selectors import CONTACT_COUNT, _furthest_kommunen, _visible_condition

    w = ws.w
    services = ws.services[:3]
    ozg = services[0].ozg_service
    assert all(s.ozg_service_id == ozg.pk for s in services)
    rng = random.Random(conform_kommunen)
    kommunen = [
        MunicipalityFactory(name=f"Kommune {n}", district=w.lippe) for n in range(kommunen_count)
    ]
    for index, municipality in enumerate(kommunen):
        for service in services:
            top = 4 if index < conform_kommunen else 2
            Implementation.objects.create(
                municipality=municipality, service=service, current_level=rng.randint(0, top)
            )
        if index % 3 == 0:
            Deviation.objects.create(
                municipality=municipality, service=services[0], value="not_relevant"
            )
    progress_rebuild()  # the records were written directly, not through the services
    expected: dict[int, list[int]] = {}
    records = Implementation.objects.filter(service__in=services)
    for municipality in Municipality.objects.active():
        relevant = set(
            relevant_services_for(municipality=municipality).values_list("pk", flat=True)
        )
        levels = [
            r.current_level or 0
            for r in records
            if r.municipality_id == municipality.pk and r.service_id in relevant
        ]
        if levels:
            expected[municipality.pk] = [sum(level >= 3 for level in levels), max(levels)]
    ranking = sorted(expected.items(), key=lambda item: (-item[1][0], -item[1][1], item[0]))
    conditions = []
    ranked_records = selectors._ranked_records

    def spy(**kwargs):
        conditions.append(kwargs["condition"])
        return ranked_records(**kwargs)

    monkeypatch.setattr(selectors, "_ranked_records", spy)
    superuser = Users(is_superuser=True)
    found = _furthest_kommunen(
        ozg_service=ozg, user=superuser, visible=_visible_condition(superuser), threshold=3
    )
    assert [(m_id, n, best) for m_id, n, best in found] == [
        (m_id, n, best) for m_id, (n, best) in ranking[:CONTACT_COUNT]
    ]
    # All records are read only when fewer than ten Kommunen have an OZG-conform one.
    enough = sum(1 for n, _best in expected.values() if n) >= CONTACT_COUNT
    assert ("1 = 1" in conditions) is not enough


@pytest.mark.parametrize("ahead", ["loose_bounds", "ties"])
def test_the_furthest_kommunen_are_found_behind_loose_bounds_and_ties(ws, ahead):
    """The ranking reads OzgProgress a batch at a time: Kommunen that rank higher may come in a
    later batch, behind Kommunen whose bound is too high (records no longer relevant) or equal
    (the same number of OZG-conform Leistungen, but a lower best level)."""
    from kompass.accounts.tests.factories import UserFactory as Users
    from kompass.reports.selectors import CONTACT_COUNT, _furthest_kommunen, _visible_condition

    w = ws.w
    services = ws.services[:3]
    ozg = services[0].ozg_service

    def kommunen(count: int, levels: list[int], deviate: int = 0) -> list[Municipality]:
        created = []
        for _n in range(count):
            municipality = MunicipalityFactory(district=w.lippe)
            for service, level in zip(services, levels, strict=True):
                Implementation.objects.create(
                    municipality=municipality, service=service, current_level=level
                )
            for service in services[:deviate]:
                Deviation.objects.create(
                    municipality=municipality, service=service, value="not_relevant"
                )
            created.append(municipality)
        return created

    if ahead == "loose_bounds":
        kommunen(50, [4, 4, 4], deviate=2)  # bound 3, but only one conform Leistung is relevant
    else:
        kommunen(45, [3, 3, 0])  # bound 2, two conform at best level 3
    leaders = kommunen(CONTACT_COUNT, [4, 4, 0])  # bound 2, two conform at best level 4
    progress_rebuild()
    superuser = Users(is_superuser=True)
    found = _furthest_kommunen(
        ozg_service=ozg, user=superuser, visible=_visible_condition(superuser), threshold=3
    )
    assert found == [(m.pk, 2, 4) for m in leaders]
