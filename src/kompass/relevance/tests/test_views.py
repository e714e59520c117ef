"""The pages: the Themenpate's matrix, the Kommune's list and Gegenprüfung, end to end."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from kompass.catalogue.tests.factories import OzgServiceFactory, ServiceFactory
from kompass.relevance.models import Deviation, RelevanceChange, TypeDecision
from kompass.relevance.selectors import relevant_services_for

pytestmark = pytest.mark.django_db


def _matrix_url(rw, name="relevance:matrix", topic=None, **kwargs):
    return reverse(name, kwargs={"land": "05", "topic": (topic or rw.family).code, **kwargs})


def test_deciding_a_whole_ozg_service_changes_every_mittlere_stadt_at_once(client, rw):
    client.force_login(rw.sponsor)
    url = _matrix_url(rw, "relevance:bulk") + "?ozg=10000"
    page = client.get(url)
    assert page.status_code == 200
    assert "OZG-Leistung 10000 „Elterngeld“" in page.content.decode()
    response = client.post(
        url,
        {
            "value": "relevant",
            "types": [rw.mittlere.pk],
            "scope": "all",
            "reason": "Mittlere Städte mit eigenem Jugendamt",
            "ozg_service": "10000",
        },
    )
    assert response.status_code == 302
    assert "ozg=10000" in response["Location"]
    expected = {s.pk for s in rw.elterngeld.services.all()}
    for municipality in (rw.lemgo, rw.salzuflen):
        assert expected <= {s.pk for s in relevant_services_for(municipality=municipality)}
    assert not expected & {s.pk for s in relevant_services_for(municipality=rw.herford)}
    client.force_login(rw.lemgo_admin)
    page = client.get(reverse("relevance:municipality", kwargs={"pk": rw.lemgo.pk}))
    assert "Elterngeld beantragen" in page.content.decode()
    assert "Mittlere Städte mit eigenem Jugendamt" in page.content.decode()


def test_a_whole_row_at_once(client, rw):
    client.force_login(rw.sponsor)
    service = rw.kita_services[0]
    row = client.get(_matrix_url(rw, "relevance:row", pk=service.pk)).content.decode()
    assert f"sammelentscheidung/?service={service.pk}" in row
    url = _matrix_url(rw, "relevance:bulk") + f"?service={service.pk}"
    assert "Für die Leistung „Kita-Platz beantragen“" in client.get(url).content.decode()
    gemeinden = [t.pk for t in rw.types.values() if t.level == "municipality"]
    response = client.post(
        url,
        {"value": "relevant", "types": gemeinden, "scope": "open", "service": service.pk},
    )
    assert response.status_code == 302
    assert "ozg=10019" in response["Location"]
    assert set(TypeDecision.objects.values_list("service_id", flat=True)) == {service.pk}
    assert TypeDecision.objects.count() == len(gemeinden) == 5


def test_bulk_form_errors_are_german_and_write_nothing(client, rw):
    client.force_login(rw.sponsor)
    response = client.post(
        _matrix_url(rw, "relevance:bulk"), {"value": "relevant", "scope": "open"}
    )
    assert response.status_code == 200
    assert "Bitte wählen Sie mindestens einen Kommunaltyp." in response.content.decode()
    response = client.post(
        _matrix_url(rw, "relevance:bulk"),
        {"value": "by_district", "types": [rw.types["kreis"].pk], "scope": "open"},
    )
    assert (
        "„durch den Kreis“ ist für den Kommunaltyp „Kreis“ nicht möglich"
        in response.content.decode()
    )
    assert not TypeDecision.objects.exists()


def test_a_deviation_shows_in_the_list_and_for_the_themenpate(client, rw):
    service = rw.kita_services[0]
    client.force_login(rw.lemgo_admin)
    url = reverse("relevance:deviation-edit", kwargs={"pk": rw.lemgo.pk, "service_pk": service.pk})
    response = client.post(url, {"value": "relevant", "reason": ""})
    assert response.status_code == 400
    assert "Bitte begründen Sie die Abweichung" in response.content.decode()
    assert not Deviation.objects.exists()
    response = client.post(url, {"value": "relevant", "reason": "Eigenes Jugendamt seit 1975"})
    assert response.status_code == 302
    page = client.get(
        reverse("relevance:municipality", kwargs={"pk": rw.lemgo.pk}) + "?scope=deviations"
    ).content.decode()
    assert "Kita-Platz beantragen" in page
    assert "Eigenes Jugendamt seit 1975" in page
    assert "eigene Abweichung" in page

    client.force_login(rw.sponsor)
    page = client.get(reverse("relevance:deviation-list")).content.decode()
    assert "Kita-Platz beantragen" in page
    assert "Lemgo, Stadt" in page
    assert "Eigenes Jugendamt seit 1975" in page
    row = client.get(_matrix_url(rw, "relevance:row", pk=service.pk)).content.decode()
    assert "Eigenes Jugendamt seit 1975" in row
    matrix = client.get(_matrix_url(rw)).content.decode()
    assert "1 Abweichung" in matrix

    client.force_login(rw.lemgo_admin)
    client.post(
        reverse("relevance:deviation-remove", kwargs={"pk": rw.lemgo.pk, "service_pk": service.pk})
    )
    assert not Deviation.objects.exists()


@pytest.mark.parametrize("role", ["lemgo_editor", "reader"])
def test_bearbeiter_and_reader_read_but_cannot_decide(client, rw, role):
    client.force_login(getattr(rw, role))
    page = client.get(reverse("relevance:municipality", kwargs={"pk": rw.lemgo.pk}) + "?scope=all")
    assert page.status_code == 200
    assert "Kita-Gebühren ermäßigen" in page.content.decode()
    assert "Abweichen" not in page.content.decode()
    service = rw.kita_services[0]
    url = reverse("relevance:deviation-edit", kwargs={"pk": rw.lemgo.pk, "service_pk": service.pk})
    response = client.post(url, {"value": "relevant", "reason": "Versuch"})
    assert response.status_code == 403
    assert "Nur die Administration der Kommune Lemgo, Stadt" in response.content.decode()
    response = client.post(
        reverse("relevance:cross-check", kwargs={"pk": rw.lemgo.pk}), {"topic": "familie_kind"}
    )
    assert response.status_code == 403
    assert not Deviation.objects.exists()
    assert client.get(_matrix_url(rw)).status_code == 404


def test_foreign_kommune_is_404(client, rw):
    client.force_login(rw.lemgo_admin)
    for url in (
        reverse("relevance:municipality", kwargs={"pk": rw.herford.pk}),
        reverse(
            "relevance:deviation-edit",
            kwargs={"pk": rw.herford.pk, "service_pk": rw.kita_services[0].pk},
        ),
    ):
        assert client.get(url).status_code == 404


def test_cross_check_confirmation(client, rw):
    client.force_login(rw.lemgo_admin)
    response = client.post(
        reverse("relevance:cross-check", kwargs={"pk": rw.lemgo.pk}), {"topic": "familie_kind"}
    )
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "Gegenprüfung bestätigt am" in page


def test_gemeinde_list_names_its_kreis(client, rw):
    from kompass.relevance import services

    services.type_decisions_set(
        topic=rw.family,
        land=rw.nrw,
        cells=[
            services.CellInput(
                rw.kita_services[0].pk, rw.types["kreisangehoerige-gemeinde"].pk, "by_district", ""
            )
        ],
        actor=rw.sponsor,
    )
    client.force_login(rw.operator)
    page = client.get(
        reverse("relevance:municipality", kwargs={"pk": rw.kalletal.pk}) + "?scope=by_district"
    ).content.decode()
    assert "Kita-Platz beantragen" in page
    assert "durch den Kreis Lippe" in page
    page = client.get(
        reverse("relevance:municipality", kwargs={"pk": rw.lippe.pk})
    ).content.decode()
    assert "Kita-Platz beantragen" in page
    assert "für kreisangehörige Gemeinden" in page


def _cell_names(html):
    return re.findall(r'<select name="(c-\d+-\d+)"', html)


def test_matrix_save_records_changed_cells_only(client, rw):
    client.force_login(rw.sponsor)
    page = client.get(_matrix_url(rw)).content.decode()
    names = _cell_names(page)
    assert len(names) == 7 * 7  # 7 Leistungen in two OZG-Leistungen × 7 NRW types
    loaded_at = re.search(r'name="loaded_at" value="([^"]+)"', page).group(1)
    data = {"loaded_at": loaded_at, "page": "1", "reason": "Geprüft im Arbeitskreis"}
    # Submit every cell as shown (selected option), then change one.
    for name, value in re.findall(r'<select name="(c-\d+-\d+)"[^>]*>(.*?)</select>', page):
        data[name] = re.search(r'<option value="(\w+)" selected>', value).group(1)
    target = f"c-{rw.kita_services[0].pk}-{rw.mittlere.pk}"
    data[target] = "not_relevant"
    response = client.post(_matrix_url(rw, "relevance:matrix-save"), data)
    assert response.status_code == 302
    decision = TypeDecision.objects.get()
    assert (decision.service, decision.municipality_type, decision.value) == (
        rw.kita_services[0],
        rw.mittlere,
        "not_relevant",
    )
    assert decision.reason == "Geprüft im Arbeitskreis"
    assert RelevanceChange.objects.get().channel == "Matrix"
    messages = client.get(response["Location"]).content.decode()
    assert "1 Zelle gespeichert." in messages


def test_matrix_save_refuses_a_foreign_topic(client, rw):
    client.force_login(rw.sponsor)
    cell = f"c-{rw.environment_service.pk}-{rw.mittlere.pk}"
    response = client.post(
        _matrix_url(rw, "relevance:matrix-save", topic=rw.environment), {cell: "relevant"}
    )
    assert response.status_code == 403
    assert "nicht Themenpate für das Themenfeld „Umwelt“" in response.content.decode()
    assert not TypeDecision.objects.exists()
    page = client.get(_matrix_url(rw, topic=rw.environment)).content.decode()
    assert "<select" not in page.split('id="relevance-matrix"')[1]
    assert "ansehen, aber nicht ändern" in page


def test_matrix_save_with_a_cell_of_another_topic_writes_nothing(client, rw):
    client.force_login(rw.sponsor)
    data = {
        f"c-{rw.kita_services[0].pk}-{rw.mittlere.pk}": "relevant",
        f"c-{rw.environment_service.pk}-{rw.mittlere.pk}": "relevant",
        "loaded_at": timezone.now().isoformat(),
    }
    response = client.post(_matrix_url(rw, "relevance:matrix-save"), data, follow=True)
    assert "gehört nicht zum Themenfeld" in response.content.decode()
    assert not TypeDecision.objects.exists()


def test_matrix_pages_keep_ozg_services_together_and_split_only_large_ones(client, rw):
    large = OzgServiceFactory(ozg_id="10110", topic=rw.family, life_situation__topic=rw.family)
    for n in range(45):
        ServiceFactory(name=f"Gewerbe {n:02d}", ozg_service=large)
    client.force_login(rw.sponsor)
    first = client.get(_matrix_url(rw)).content.decode()
    assert "Seite 1 von 3" in first
    assert "Elterngeld beantragen" in first
    assert "Gewerbe 00" not in first
    response = client.get(_matrix_url(rw) + "?page=3", headers={"HX-Request": "true"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html
    assert "Seite 3 von 3" in html
    assert "(Fortsetzung)" in html
    assert "Gewerbe 44" in html
    assert "Gewerbe 39" not in html
    jump = client.get(_matrix_url(rw) + "?ozg=10110").content.decode()
    assert "Seite 2 von 3" in jump
    assert "(wird auf der nächsten Seite fortgesetzt)" in jump


def test_matrix_page_cutting():
    from kompass.relevance.selectors import _matrix_pages

    assert _matrix_pages([(1, 4), (2, 3), (3, 45), (4, 2)], 40) == [
        [(1, 0, 4), (2, 0, 3)],
        [(3, 0, 40)],
        [(3, 40, 45), (4, 0, 2)],
    ]
    assert _matrix_pages([], 40) == []


def _matrix_queries(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


def test_matrix_query_count_does_not_depend_on_page_size(client, rw):
    client.force_login(rw.sponsor)
    url = _matrix_url(rw)
    small = _matrix_queries(client, url)
    # Many more Leistungen per OZG-Leistung, with decisions and deviations.
    extra = [ServiceFactory(ozg_service=rw.elterngeld) for _ in range(40)]
    from kompass.relevance import services

    services.type_decisions_bulk_set(
        topic=rw.family,
        land=rw.nrw,
        value="relevant",
        reason="",
        actor=rw.sponsor,
        type_ids=list(rw.nrw.municipality_types.values_list("pk", flat=True)),
    )
    Deviation.objects.create(
        municipality=rw.lemgo, service=extra[0], value="not_relevant", reason="x"
    )
    large = _matrix_queries(client, url)
    assert large == small
    assert small <= 14


def test_overview_shows_progress_for_sponsors_and_own_kommunen(client, rw):
    client.force_login(rw.sponsor)
    page = client.get(reverse("relevance:overview")).content.decode()
    assert "Familie &amp; Kind" in page
    assert "Ihr Themenfeld" in page
    client.force_login(rw.lemgo_admin)
    page = client.get(reverse("relevance:overview")).content.decode()
    assert "Fortschritt je Themenfeld" not in page
    assert "Lemgo, Stadt" in page


def test_review_mark(client, rw):
    client.force_login(rw.sponsor)
    response = client.post(_matrix_url(rw, "relevance:review"), {"reviewed": "on"})
    assert response.status_code == 302
    assert "geprüft am" in client.get(_matrix_url(rw)).content.decode()


def test_row_form_sets_reasons_per_type(client, rw):
    client.force_login(rw.sponsor)
    service = rw.elterngeld_services[0]
    url = _matrix_url(rw, "relevance:row", pk=service.pk)
    data = {}
    for municipality_type in rw.types.values():
        data[f"value_{municipality_type.pk}"] = "undecided"
        data[f"reason_{municipality_type.pk}"] = ""
    data[f"value_{rw.types['kreis'].pk}"] = "relevant"
    data[f"reason_{rw.types['kreis'].pk}"] = "Elterngeldstelle des Kreises"
    response = client.post(url, data)
    assert response.status_code == 302
    decision = TypeDecision.objects.get()
    assert (decision.value, decision.reason) == ("relevant", "Elterngeldstelle des Kreises")
    page = client.get(url).content.decode()
    assert "Elterngeldstelle des Kreises" in page
    assert "Verlauf" in page


def test_another_lands_matrix_is_read_only_and_saving_is_refused(client, rw):
    client.force_login(rw.sponsor)
    url = reverse("relevance:matrix", kwargs={"land": "06", "topic": "familie_kind"})
    page = client.get(url).content.decode()
    assert "keine Kommunen im Land Hessen" in page
    assert "<select" not in page.split('id="relevance-matrix"')[1]
    cell = f"c-{rw.kita_services[0].pk}-{rw.hessen_type.pk}"
    response = client.post(
        reverse("relevance:matrix-save", kwargs={"land": "06", "topic": "familie_kind"}),
        {cell: "relevant"},
    )
    assert response.status_code == 403
    assert "Kommunaltypen des Landes Hessen" in response.content.decode()
    assert not TypeDecision.objects.exists()
    assert (
        client.get(
            reverse("relevance:matrix", kwargs={"land": "99", "topic": "familie_kind"})
        ).status_code
        == 404
    )
