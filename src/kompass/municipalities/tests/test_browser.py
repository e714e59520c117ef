"""The Kommunen pages in a real Chromium: axe-core WCAG checks, keyboard and no-JavaScript search."""

import itertools

import pytest
from django.urls import reverse

from kompass.municipalities.tests.factories import (
    AdministrativeRegionFactory,
    DistrictFactory,
    LandFactory,
    MunicipalityFactory,
    MunicipalityTypeFactory,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def lippe():
    nrw = LandFactory(code="05", name="Nordrhein-Westfalen")
    region = AdministrativeRegionFactory(code="057", name="Detmold", land=nrw)
    district = DistrictFactory(region=region, district_code="05766", name="Kreis Lippe")
    mittlere = MunicipalityTypeFactory(
        land=nrw, code="mittlere", name="Mittlere kreisangehörige Stadt", position=40
    )
    lemgo = MunicipalityFactory(
        district=district,
        name="Lemgo",
        ags="05766044",
        ars="057660044044",
        municipality_type=mittlere,
        special_status="Alte Hansestadt",
        association_name="Lemgo, Stadt",
        association_code="057660044",
    )
    for n in range(55):
        MunicipalityFactory(district=district, name=f"Gemeinde {n:02d}")
    return {"district": district, "lemgo": lemgo}


def test_every_kommunen_page_type_passes_axe(page, assert_accessible, lippe):
    urls = [
        reverse("municipalities:municipality-list"),
        reverse("municipalities:municipality-list") + "?q=lemgo",
        reverse("municipalities:municipality-list") + "?municipality_type=abc",
        reverse("municipalities:municipality-detail", kwargs={"ars": lippe["lemgo"].ars}),
        reverse("municipalities:municipality-detail", kwargs={"ars": lippe["district"].ars}),
    ]
    for url in urls:
        response = page.goto(url)
        assert response.status == 200, url
        assert page.locator("h1").count() == 1, url
        levels = page.eval_on_selector_all(
            "main h1, main h2, main h3", "els => els.map(e => Number(e.tagName[1]))"
        )
        assert all(b <= a + 1 for a, b in itertools.pairwise(levels)), (url, levels)
        assert_accessible(page)


def test_search_by_keyboard_updates_results_in_place(page, lippe):
    page.goto(reverse("municipalities:municipality-list"))
    page.evaluate("() => { window.kompassNoReload = true; }")
    for _ in range(60):
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement.id") == "id_q":
            break
    else:
        raise AssertionError("Tab never reached the search field")
    searches = []

    def count_htmx(request):
        if request.headers.get("hx-request"):
            searches.append(request.url)

    page.on("request", count_htmx)
    page.keyboard.type("Lemgo")
    page.keyboard.press("Enter")
    page.locator("[data-announce]", has_text="1 Kommune gefunden").wait_for()
    # Enter submits, fires the field's "search" event and ends the typing pause; one query is
    # sent once, so no late answer replaces the results the user is about to tab through.
    page.wait_for_timeout(1000)
    assert len(searches) == 1, searches
    assert page.evaluate("() => window.kompassNoReload === true")
    assert "q=Lemgo" in page.url
    page.keyboard.press("Tab")
    for _ in range(20):
        if page.evaluate("() => document.activeElement.textContent") == "Lemgo":
            break
        page.keyboard.press("Tab")
    else:
        raise AssertionError("Tab never reached the result link")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/{lippe['lemgo'].ars}/")
    assert page.locator("h1").inner_text().startswith("Lemgo")


def test_search_that_failed_can_be_sent_again(page, lippe):
    page.goto(reverse("municipalities:municipality-list"))
    offline = {"failed": 0}

    def fail_while_offline(route):
        if offline.get("on", True) and route.request.headers.get("hx-request"):
            offline["failed"] += 1
            route.abort()
        else:
            route.continue_()

    page.route("**/kommunen/?*", fail_while_offline)
    page.fill("#id_q", "Lemgo")
    page.locator("#id_q").press("Enter")
    page.wait_for_timeout(1000)
    assert offline["failed"] >= 1
    assert "57 Kommunen gefunden" in page.locator("[data-announce]").inner_text()
    offline["on"] = False
    page.locator("#id_q").press("Enter")
    page.locator("[data-announce]", has_text="1 Kommune gefunden").wait_for()


def test_search_works_without_javascript(browser, live_server, lippe):
    context = browser.new_context(
        base_url=live_server.url, locale="de-DE", java_script_enabled=False
    )
    try:
        page = context.new_page()
        page.set_default_timeout(10_000)
        page.goto(reverse("municipalities:municipality-list"))
        page.fill("#id_q", "05766044")
        with page.expect_navigation():
            page.keyboard.press("Enter")
        assert page.locator("[data-announce]").inner_text().startswith("1 Kommune gefunden")
        assert page.locator("#municipality-results tbody tr").count() == 1
    finally:
        context.close()
