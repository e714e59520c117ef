"""The catalogue pages in a real Chromium: axe-core WCAG checks, keyboard use, no-JavaScript use."""

import itertools
import re

import pytest
from django.urls import reverse

from kompass.catalogue.choices import CatalogueEntity, ChangeKind
from kompass.catalogue.tests.factories import (
    CatalogueChangeFactory,
    CatalogueReleaseFactory,
    LifeSituationFactory,
    OzgServiceFactory,
    ServiceFactory,
    TopicFactory,
    retire,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def catalogue():
    release = CatalogueReleaseFactory(label="Stand 2019", added_count=63)
    newer = CatalogueReleaseFactory(label="Stand 2026", added_count=1, changed_count=1)
    topic = TopicFactory(code="mobilitaet_reisen", name="Mobilität & Reisen")
    life_situation = LifeSituationFactory(name="Führerschein", topic=topic)
    ozg_service = OzgServiceFactory(
        ozg_id="10224", name="Fahrerlaubnis", life_situation=life_situation
    )
    services = [
        ServiceFactory(
            name=f"Führerschein Leistung {n:02d}", ozg_service=ozg_service, first_release=release
        )
        for n in range(60)
    ]
    ServiceFactory(name="Elterngeld Bewilligung", first_release=release, sdg1_relevant=True)
    retire(ServiceFactory(name="Alte Leistung", ozg_service=ozg_service), newer)
    CatalogueChangeFactory(
        release=newer,
        entity=CatalogueEntity.SERVICE,
        key=services[0].catalogue_key,
        name=services[0].name,
        kind=ChangeKind.CHANGED,
        fields={"name": ["Führerschein Alt", services[0].name]},
    )
    CatalogueChangeFactory(release=newer, kind=ChangeKind.RETIRED, name="Alte Leistung")
    return {
        "topic": topic,
        "life_situation": life_situation,
        "ozg_service": ozg_service,
        "service": services[0],
        "release": newer,
    }


def _urls(catalogue) -> list[str]:
    return [
        reverse("catalogue:topic-list"),
        reverse("catalogue:topic-detail", kwargs={"code": catalogue["topic"].code}),
        reverse("catalogue:life-situation-detail", kwargs={"pk": catalogue["life_situation"].pk}),
        reverse("catalogue:ozg-service-detail", kwargs={"ozg_id": "10224"}) + "?entfallene=1",
        reverse(
            "catalogue:service-detail",
            kwargs={"catalogue_key": catalogue["service"].catalogue_key},
        ),
        reverse("catalogue:service-list"),
        reverse("catalogue:service-list") + "?q=f%C3%BChrerschein&sort=-name&status=all",
        reverse("catalogue:service-list") + "?topic=999999&sort=evil",  # error messages shown
        reverse("catalogue:release-list"),
        reverse("catalogue:release-detail", kwargs={"pk": catalogue["release"].pk}),
    ]


def test_every_catalogue_page_type_passes_axe(page, assert_accessible, catalogue):
    for url in _urls(catalogue):
        response = page.goto(url)
        assert response.status == 200, url
        assert page.locator("h1").count() == 1, url
        assert_accessible(page)


def test_headings_do_not_skip_levels(page, catalogue):
    for url in _urls(catalogue):
        page.goto(url)
        levels = page.eval_on_selector_all(
            "main h1, main h2, main h3, main h4", "els => els.map(e => Number(e.tagName[1]))"
        )
        assert levels[0] == 1, url
        for before, after in itertools.pairwise(levels):
            assert after <= before + 1, (url, levels)


def _tab_until(page, predicate_js: str, limit: int = 80) -> None:
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate(
            f"() => {{ const el = document.activeElement; return !!({predicate_js}); }}"
        ):
            return
    raise AssertionError(f"Tab never reached an element matching {predicate_js}")


def test_search_by_keyboard_alone(page, catalogue):
    page.goto(reverse("catalogue:service-list"))
    page.evaluate("() => { window.kompassNoReload = true; }")
    _tab_until(page, "el.id === 'id_q'")
    page.keyboard.type("führersch")
    page.keyboard.press("Enter")
    summary = page.locator("#service-results [data-announce]")
    summary.filter(has_text="60 LeiKa-Leistungen gefunden").wait_for()
    # htmx swapped the results in place (no page load) and put the search into the address bar.
    assert page.evaluate("() => window.kompassNoReload === true")
    assert re.search(r"q=f(%C3%BC|ü)hrersch", page.url), page.url
    page.locator("#kompass-live-region", has_text="60 LeiKa-Leistungen gefunden").wait_for(
        state="attached"
    )
    # Focus stays in the search field; Tab goes on through the form to the result links.
    assert page.evaluate("() => document.activeElement.id") == "id_q"
    _tab_until(page, "el.closest('#service-results') && el.tagName === 'A'")
    assert page.evaluate("() => document.activeElement.textContent").startswith(
        "Führerschein Leistung 00"
    )


def test_pagination_is_reachable_by_keyboard(page, catalogue):
    page.goto(reverse("catalogue:service-list") + "?q=fuehrerschein")
    page.locator("[data-announce]", has_text="60 LeiKa-Leistungen gefunden").wait_for()
    _tab_until(page, "el.getAttribute('rel') === 'next'", limit=120)
    page.keyboard.press("Enter")
    page.locator("[data-announce]", has_text="Seite 2 von 2").wait_for()
    assert "page=2" in page.url
    # The clicked link was swapped away; focus continues at the results heading, not at the top.
    assert page.evaluate("() => document.activeElement.id") == "service-results-heading"
    _tab_until(page, "el.closest('#service-results') && el.tagName === 'A'", limit=3)
    assert page.locator("#service-results tbody tr").count() == 10


def test_filter_select_updates_results_in_place(page, catalogue):
    page.goto(reverse("catalogue:service-list"))
    page.select_option("#id_sdg", "any")
    page.locator("[data-announce]", has_text="1 LeiKa-Leistung gefunden").wait_for()
    assert "sdg=any" in page.url
    assert page.locator("#service-results tbody tr").count() == 1


def test_search_works_without_javascript(browser, live_server, catalogue):
    context = browser.new_context(
        base_url=live_server.url, locale="de-DE", java_script_enabled=False
    )
    try:
        page = context.new_page()
        page.set_default_timeout(10_000)
        page.goto(reverse("catalogue:service-list"))
        page.fill("#id_q", "Elterngeld")
        page.select_option("#id_sort", "-name")
        with page.expect_navigation():
            page.click("form[role=search] button[type=submit]")
        assert "q=Elterngeld" in page.url
        assert page.locator("[data-announce]").inner_text().startswith("1 LeiKa-Leistung gefunden")
        assert page.locator("#service-results tbody tr").count() == 1
        # Plain links page through the results.
        page.goto(reverse("catalogue:service-list") + "?q=fuehrerschein")
        with page.expect_navigation():
            page.click("a[rel=next]")
        assert "Seite 2 von 2" in page.locator("[data-announce]").inner_text()
    finally:
        context.close()
