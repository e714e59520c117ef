"""The searchable list of LeiKa-Leistungen: search, filters, sorting, paging, htmx partial."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from kompass.catalogue.choices import TargetGroup
from kompass.catalogue.filters import ServiceFilterSet
from kompass.catalogue.models import Service
from kompass.catalogue.selectors import service_search_queryset
from kompass.catalogue.tests.factories import (
    LifeSituationFactory,
    OzgServiceFactory,
    ServiceFactory,
    TopicFactory,
    retire,
)

pytestmark = pytest.mark.django_db

URL = reverse("catalogue:service-list")


def _names(client, query: str = "") -> list[str]:
    response = client.get(URL + query)
    assert response.status_code == 200
    return [service.name for service in response.context["services"]]


@pytest.fixture
def catalogue():
    verkehr = TopicFactory(code="mobilitaet_reisen", name="Mobilität & Reisen", position=9)
    familie = TopicFactory(code="familie_kind", name="Familie & Kind", position=3)
    fuehrerschein = LifeSituationFactory(name="Führerschein", topic=verkehr)
    geburt = LifeSituationFactory(name="Geburt", topic=familie)
    ozg_fs = OzgServiceFactory(ozg_id="10224", name="Fahrerlaubnis", life_situation=fuehrerschein)
    ozg_eg = OzgServiceFactory(ozg_id="10000", name="Elterngeld", life_situation=geburt)
    return {
        "umtausch": ServiceFactory(
            name="Führerschein Umtausch",
            ozg_service=ozg_fs,
            leika_group="099",
            leika_identifier="057",
            action="022",
            leika_type_codes="4",
        ),
        "ersterteilung": ServiceFactory(
            name="Führerschein Ersterteilung",
            ozg_service=ozg_fs,
            leika_group="099",
            leika_identifier="057",
            action="012",
            leika_type_codes="4",
            target_group=TargetGroup.CITIZENS,
        ),
        "elterngeld": ServiceFactory(
            name="Elterngeld Bewilligung",
            ozg_service=ozg_eg,
            leika_group="006",
            leika_identifier="004",
            action="046",
            leika_type_codes="2/3",
            sdg1_relevant=True,
        ),
        "gewerbe": ServiceFactory(
            name="Gewerbeanmeldung",
            ozg_service=OzgServiceFactory(
                ozg_id="10100",
                name="Gewerbeanzeige",
                life_situation__topic__code="wirtschaft",
                life_situation__topic__position=12,
            ),
            leika_group="100",
            leika_identifier="001",
            leika_type_codes="5",
            target_group=TargetGroup.BUSINESSES,
            sdg2_relevant=True,
        ),
    }


@pytest.mark.parametrize("query", ["führerschein", "Fuehrerschein", "Führersch", "FÜHRERSCHEIN"])
def test_search_is_german_aware(client, catalogue, query):
    assert _names(client, f"?q={query}") == ["Führerschein Ersterteilung", "Führerschein Umtausch"]


def test_every_term_must_match(client, catalogue):
    assert _names(client, "?q=fuehrerschein umtausch") == ["Führerschein Umtausch"]
    assert _names(client, "?q=fuehrerschein elterngeld") == []


def test_search_by_leika_key(client, catalogue):
    key = catalogue["elterngeld"].leika_key
    assert _names(client, f"?q={key}") == ["Elterngeld Bewilligung"]


def test_search_by_ozg_id_finds_its_services_only(client, catalogue):
    # 10224 also occurs inside no key here, but a 5-digit number must mean the OZG-ID exactly.
    assert _names(client, "?q=10224") == ["Führerschein Ersterteilung", "Führerschein Umtausch"]
    assert _names(client, "?q=10000") == ["Elterngeld Bewilligung"]


def test_search_by_ozg_service_name(client, catalogue):
    assert _names(client, "?q=fahrerlaubnis") == [
        "Führerschein Ersterteilung",
        "Führerschein Umtausch",
    ]


def test_filter_by_topic_life_situation_type_target_group_and_sdg(client, catalogue):
    assert _names(client, "?topic=familie_kind") == ["Elterngeld Bewilligung"]
    life_situation = catalogue["umtausch"].life_situation
    assert _names(client, f"?life_situation={life_situation.pk}") == [
        "Führerschein Ersterteilung",
        "Führerschein Umtausch",
    ]
    assert _names(client, "?leika_type=2/3") == ["Elterngeld Bewilligung"]
    assert _names(client, "?target_group=businesses") == ["Gewerbeanmeldung"]
    assert _names(client, "?sdg=any") == ["Elterngeld Bewilligung", "Gewerbeanmeldung"]
    assert _names(client, "?sdg=sdg2") == ["Gewerbeanmeldung"]
    assert _names(client, "?sdg=none") == ["Führerschein Ersterteilung", "Führerschein Umtausch"]


def test_service_with_several_leika_types_is_listed_once(client, catalogue):
    ServiceFactory(name="Mischtyp", leika_type_codes="1, 2/3")
    assert _names(client, "?leika_type=2/3") == ["Elterngeld Bewilligung", "Mischtyp"]
    assert _names(client, "?leika_type=1") == ["Mischtyp"]


def test_current_only_by_default_and_retired_on_request(client, catalogue):
    retire(catalogue["gewerbe"])
    assert "Gewerbeanmeldung" not in _names(client)
    assert _names(client, "?status=retired") == ["Gewerbeanmeldung"]
    assert len(_names(client, "?status=all")) == 4
    page = client.get(URL + "?status=retired").content.decode()
    assert "kern-badge--warning" in page


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("name", ["elterngeld", "ersterteilung", "umtausch", "gewerbe"]),
        ("-name", ["gewerbe", "umtausch", "ersterteilung", "elterngeld"]),
        ("key", ["elterngeld", "ersterteilung", "umtausch", "gewerbe"]),
        ("-key", ["gewerbe", "umtausch", "ersterteilung", "elterngeld"]),
        ("ozg", ["elterngeld", "gewerbe", "ersterteilung", "umtausch"]),
        ("-ozg", ["ersterteilung", "umtausch", "gewerbe", "elterngeld"]),
        ("topic", ["elterngeld", "ersterteilung", "umtausch", "gewerbe"]),
        ("-topic", ["gewerbe", "ersterteilung", "umtausch", "elterngeld"]),
    ],
)
def test_sorting(client, catalogue, sort, expected):
    assert _names(client, f"?sort={sort}") == [catalogue[key].name for key in expected]


@pytest.mark.parametrize(
    "query",
    [
        "?page=abc",
        "?page=-1",
        "?page=999999",
        "?sort=evil",
        "?topic=999999",
        "?life_situation=abc",
        "?leika_type=zz",
        "?target_group=aliens",
        "?sdg=maybe",
        "?status=deleted",
        "?q=%00%27%22;--",
        "?q=" + "x" * 2000,
    ],
)
def test_invalid_parameters_give_a_sensible_page(client, catalogue, query):
    response = client.get(URL + query)
    assert response.status_code == 200
    assert "LeiKa-Leistungen" in response.content.decode()


def test_invalid_filter_is_reported_and_defaults_apply(client, catalogue):
    retire(catalogue["gewerbe"])
    response = client.get(URL + "?topic=999999&sort=evil&status=deleted")
    page = response.content.decode()
    assert "Einige Angaben im Filter sind ungültig" in page
    assert 'aria-invalid="true"' in page
    # Defaults: current entries only, sorted by name.
    assert [s.name for s in response.context["services"]] == [
        "Elterngeld Bewilligung",
        "Führerschein Ersterteilung",
        "Führerschein Umtausch",
    ]


def test_htmx_request_gets_only_the_results_partial(client, catalogue):
    response = client.get(URL + "?q=fuehrerschein", headers={"HX-Request": "true"})
    page = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in page
    assert "<form" not in page
    assert "Führerschein Umtausch" in page
    assert "data-announce" in page
    assert "HX-Request" in response.headers["Vary"]


def test_htmx_history_restore_gets_the_full_page(client, catalogue):
    response = client.get(
        URL + "?q=fuehrerschein",
        headers={"HX-Request": "true", "HX-History-Restore-Request": "true"},
    )
    assert "<html" in response.content.decode()


def test_full_page_has_a_plain_get_form_that_works_without_javascript(client, catalogue):
    page = client.get(URL + "?q=elterngeld").content.decode()
    assert f'method="get" action="{URL}"' in page
    assert 'type="submit"' in page
    assert 'hx-get="' in page
    assert 'hx-target="#service-results"' in page
    assert 'value="elterngeld"' in page  # the form keeps the query
    assert "1 LeiKa-Leistung gefunden" in page


def test_result_count_and_pagination(client):
    ServiceFactory.create_batch(120)
    response = client.get(URL)
    assert len(response.context["services"]) == 50
    page = response.content.decode()
    assert "120 LeiKa-Leistungen gefunden, Seite 1 von 3" in page
    assert 'rel="next"' in page
    third = client.get(URL + "?page=3")
    assert len(third.context["services"]) == 20
    # Links keep the filters.
    filtered = client.get(URL + "?q=leistung&page=2").content.decode()
    assert "q=leistung&amp;page=3" in filtered or "page=3&amp;q=leistung" in filtered


def _queries_for_list(client, query: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(URL + query)
    assert response.status_code == 200
    return len(captured)


def test_query_count_does_not_grow_with_page_size(client, catalogue):
    few = _queries_for_list(client, "?q=fuehrerschein")
    ServiceFactory.create_batch(60, name="Führerschein Zusatz", leika_type_codes="1, 2/3")
    many = _queries_for_list(client, "?q=fuehrerschein")
    assert many == few
    # count + page + the three choice lists (Themenfelder, Lagen, LeiKa-Typen)
    assert many <= 6


def test_filterset_is_usable_without_a_request_for_exports(catalogue):
    filterset = ServiceFilterSet({"q": "führerschein", "sort": "-name"}, queryset=Service.objects)
    assert [s.name for s in filterset.qs] == ["Führerschein Umtausch", "Führerschein Ersterteilung"]
    default = ServiceFilterSet(queryset=service_search_queryset())
    assert default.qs.count() == 4


def test_filter_selects_escape_labels_and_mark_the_chosen_option(client, catalogue):
    TopicFactory(code="boese", name='<script>alert("x")</script> & Co')
    page = client.get(URL + "?topic=familie_kind").content.decode()
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; Co" in page
    assert '<option value="familie_kind" selected>Familie &amp; Kind</option>' in page
    # Lebenslagen are grouped by their Themenfeld.
    assert '<optgroup label="Familie &amp; Kind"><option value="' in page
