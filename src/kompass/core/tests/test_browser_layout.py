"""The shared layout and start page in a real Chromium: axe-core, skip link, keyboard focus."""

import pytest
from django.urls import reverse

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_home_passes_axe(page, assert_accessible):
    assert page.goto(reverse("core:home")).status == 200
    assert page.locator("h1").count() == 1
    assert_accessible(page)


def test_skip_link_is_the_first_tab_stop_and_jumps_to_main(page):
    page.goto(reverse("core:home"))
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.getAttribute('href')") == "#main"
    assert page.locator(".kompass-skip-link").is_visible()
    page.keyboard.press("Enter")
    assert page.url.endswith("#main")


def test_focused_links_and_fields_are_visibly_outlined(page):
    page.goto(reverse("core:home"))
    for _ in range(15):
        page.keyboard.press("Tab")
        style = page.evaluate(
            """() => {
                const s = getComputedStyle(document.activeElement);
                return {tag: document.activeElement.tagName, outline: s.outlineStyle,
                        width: parseFloat(s.outlineWidth), shadow: s.boxShadow};
            }"""
        )
        visible = (style["outline"] != "none" and style["width"] > 0) or style["shadow"] != "none"
        assert visible, style


def test_home_search_leads_to_the_service_list(page):
    page.goto(reverse("core:home"))
    page.fill("#home-service-search", "Führerschein")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url.split("?")[0].endswith(reverse("catalogue:service-list"))
    assert page.locator("#id_q").input_value() == "Führerschein"


def test_opening_a_form_action_shows_an_accessible_german_page(page, assert_accessible):
    """The logout address opened as a link: the German page of core.middleware, not a blank one."""
    response = page.goto(reverse("accounts:logout"))
    assert response.status == 405
    assert page.locator("h1").inner_text() == "Nicht direkt aufrufbar"
    assert_accessible(page)
    page.get_by_role("link", name="Zur Startseite").click()
    page.wait_for_url(f"**{reverse('core:home')}")
