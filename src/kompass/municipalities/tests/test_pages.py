"""The public Kommunen pages: list with search and filters, detail of a Gemeinde or Kreis."""

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from kompass.municipalities.tests.factories import (
    AdministrativeRegionFactory,
    DistrictFactory,
    LandFactory,
    MunicipalityFactory,
    MunicipalityTypeFactory,
)

pytestmark = pytest.mark.django_db

URL = reverse("municipalities:municipality-list")


@pytest.fixture
def kommunen():
    nrw = LandFactory(code="05", name="Nordrhein-Westfalen")
    detmold = AdministrativeRegionFactory(code="057", name="Detmold", land=nrw)
    lippe = DistrictFactory(
        region=detmold, district_code="05766", name="Kreis Lippe", population=348_000
    )
    mittlere = MunicipalityTypeFactory(
        land=nrw, code="mittlere", name="Mittlere kreisangehörige Stadt", position=40
    )
    gemeinde = MunicipalityTypeFactory(land=nrw, code="gemeinde", name="Kreisangehörige Gemeinde")
    bayern = LandFactory(code="09", name="Bayern")
    oberbayern = AdministrativeRegionFactory(code="091", name="Oberbayern", land=bayern)
    markt = MunicipalityTypeFactory(land=bayern, code="markt", name="Markt")
    miesbach = DistrictFactory(region=oberbayern, district_code="09182", name="Landkreis Miesbach")
    return {
        "nrw": nrw,
        "lippe": lippe,
        "lemgo": MunicipalityFactory(
            district=lippe,
            name="Lemgo",
            ags="05766044",
            ars="057660044044",
            municipality_type=mittlere,
            special_status="Alte Hansestadt",
            population=40_800,
            area_ha=10_060,
            postal_code="32657",
            association_code="057660044",
            association_name="Lemgo, Stadt",
        ),
        "doerentrup": MunicipalityFactory(
            district=lippe,
            name="Dörentrup",
            ags="05766016",
            ars="057660016016",
            municipality_type=gemeinde,
            population=7_900,
        ),
        "holzkirchen": MunicipalityFactory(
            district=miesbach,
            name="Holzkirchen",
            ags="09182119",
            ars="091820119119",
            municipality_type=markt,
        ),
        "mittlere": mittlere,
        "markt": markt,
    }


def _names(client, query: str = "") -> list[str]:
    response = client.get(URL + query)
    assert response.status_code == 200
    return [m.name for m in response.context["municipalities"]]


@pytest.mark.parametrize(
    "query", ["Dörentrup", "doerentrup", "DOERENTR", "05766016", "057660016016"]
)
def test_search_by_name_ags_and_ars(client, kommunen, query):
    assert _names(client, f"?q={query}") == ["Dörentrup"]


def test_filters_land_district_type_and_level(client, kommunen):
    assert _names(client, "?land=09") == ["Holzkirchen", "Landkreis Miesbach"]
    assert _names(client, f"?district={kommunen['lippe'].ars}") == ["Dörentrup", "Lemgo"]
    assert _names(client, f"?municipality_type={kommunen['mittlere'].pk}") == ["Lemgo"]
    assert _names(client, "?level=district") == ["Kreis Lippe", "Landkreis Miesbach"]
    assert _names(client, "?level=municipality&land=05") == ["Dörentrup", "Lemgo"]


def _select(page: str, name: str) -> str:
    """The HTML of the select named name."""
    match = re.search(rf'<select[^>]*name="{name}"[^>]*>.*?</select>', page, re.DOTALL)
    assert match, name
    return match.group(0)


def test_types_are_grouped_by_land(client, kommunen):
    page = client.get(URL).content.decode()
    select = _select(page, "municipality_type")
    bayern = select[select.index('<optgroup label="Bayern">') :]
    assert bayern.index("Markt") < bayern.index("</optgroup>")
    nrw = select[select.index('<optgroup label="Nordrhein-Westfalen">') :]
    assert nrw.index("Mittlere kreisangehörige Stadt") < nrw.index("</optgroup>")


def test_kreise_are_grouped_by_land(client, kommunen):
    page = client.get(URL).content.decode()
    select = _select(page, "district")
    bayern = select[select.index('<optgroup label="Bayern">') :]
    assert bayern.index("Landkreis Miesbach") < bayern.index("</optgroup>")
    assert f'value="{kommunen["lippe"].ars}"' in select


def test_dissolved_kommunen_are_not_listed_but_keep_their_page(client, kommunen):
    lemgo = kommunen["lemgo"]
    lemgo.dissolved_on = dt.date(2026, 1, 1)
    lemgo.save(update_fields=["dissolved_on"])
    assert "Lemgo" not in _names(client)
    detail = client.get(reverse("municipalities:municipality-detail", kwargs={"ars": lemgo.ars}))
    assert detail.status_code == 200
    assert "aufgelöst" in detail.content.decode()


@pytest.mark.parametrize(
    "query",
    [
        "?page=abc",
        "?page=0",
        "?land=99",
        "?district=000000000000",
        "?municipality_type=abc",
        "?municipality_type=999999",
        "?level=planet",
        "?q=%27%22;--",
    ],
)
def test_invalid_parameters_give_a_sensible_page(client, kommunen, query):
    response = client.get(URL + query)
    assert response.status_code == 200
    assert "Kommunen" in response.content.decode()


def test_invalid_filter_is_reported(client, kommunen):
    page = client.get(URL + "?municipality_type=abc").content.decode()
    assert "Einige Angaben im Filter sind ungültig" in page
    assert 'aria-invalid="true"' in page


def test_htmx_request_gets_only_the_results_partial(client, kommunen):
    response = client.get(URL + "?q=lemgo", headers={"HX-Request": "true"})
    page = response.content.decode()
    assert "<html" not in page
    assert "<form" not in page
    assert "Lemgo" in page
    assert "data-announce" in page


def test_full_page_works_as_plain_get_form(client, kommunen):
    page = client.get(URL + "?q=lemgo").content.decode()
    assert f'method="get" action="{URL}"' in page
    assert 'type="submit"' in page
    assert 'value="lemgo"' in page
    assert "1 Kommune gefunden" in page


def test_pagination(client, kommunen):
    MunicipalityFactory.create_batch(60, district=kommunen["lippe"])
    response = client.get(URL)
    assert len(response.context["municipalities"]) == 50
    assert "65 Kommunen gefunden, Seite 1 von 2" in response.content.decode()
    assert len(client.get(URL + "?page=2").context["municipalities"]) == 15


def test_gemeinde_detail_shows_its_data(client, kommunen):
    lemgo = kommunen["lemgo"]
    response = client.get(reverse("municipalities:municipality-detail", kwargs={"ars": lemgo.ars}))
    assert response.status_code == 200
    page = response.content.decode()
    for text in [
        "Nordrhein-Westfalen",
        "Detmold",
        "Mittlere kreisangehörige Stadt",
        "Alte Hansestadt",
        "40.800",
        "10.060 ha",
        "32657",
        "Lemgo, Stadt",
        "05766044",
        "057660044044",
    ]:
        assert text in page, text
    district_url = reverse(
        "municipalities:municipality-detail", kwargs={"ars": kommunen["lippe"].ars}
    )
    assert f'href="{district_url}"' in page


def test_district_detail_lists_its_gemeinden(client, kommunen, django_assert_max_num_queries):
    lippe = kommunen["lippe"]
    url = reverse("municipalities:municipality-detail", kwargs={"ars": lippe.ars})
    MunicipalityFactory.create_batch(15, district=lippe)
    with django_assert_max_num_queries(2):
        response = client.get(url)
    page = response.content.decode()
    assert "17 kreisangehörige Gemeinden" in page
    assert "Dörentrup" in page
    assert "Kreisangehörige Gemeinde" in page
    assert "7.900" in page
    assert response.context["members"][0].name == "Dörentrup"
    assert kommunen["holzkirchen"] not in response.context["members"]


def test_unknown_ars_gives_404(client):
    response = client.get(
        reverse("municipalities:municipality-detail", kwargs={"ars": "999999999999"})
    )
    assert response.status_code == 404


def test_empty_list_renders(client):
    response = client.get(URL)
    assert response.status_code == 200
    assert "0 Kommunen gefunden" in response.content.decode()


def _queries(client, query: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(URL + query).status_code == 200
    return len(captured)


def test_list_query_count_does_not_grow_with_page_size(client, kommunen):
    few = _queries(client, "?land=05")
    MunicipalityFactory.create_batch(60, district=kommunen["lippe"])
    assert _queries(client, "?land=05") == few
    # count + page + three choice lists (Länder, Kreise, Kommunaltypen) + looking up the chosen Land
    assert few <= 6
