"""The pages work under our strict Content-Security-Policy (the shared `page` fixture bypasses it)."""

import pytest
from django.urls import reverse

from kompass.catalogue.tests.factories import ServiceFactory
from kompass.municipalities.tests.factories import MunicipalityFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def strict_page(browser, live_server):
    context = browser.new_context(base_url=live_server.url, locale="de-DE")
    page = context.new_page()
    page.set_default_timeout(10_000)
    violations: list[str] = []
    page.on(
        "console",
        lambda message: (
            violations.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    page.csp_violations = violations
    yield page
    context.close()


def test_pages_load_scripts_and_styles_without_csp_violations(strict_page):
    ServiceFactory(name="Führerschein Umtausch")
    municipality = MunicipalityFactory(name="Lemgo, Stadt")
    for url in [
        reverse("core:home"),
        reverse("catalogue:topic-list"),
        reverse("catalogue:service-list"),
        reverse("municipalities:municipality-detail", kwargs={"ars": municipality.ars}),
        reverse("accounts:login"),
    ]:
        strict_page.goto(url)
        strict_page.wait_for_load_state("networkidle")
    assert strict_page.csp_violations == []
    # htmx and our own script ran (they are blocked first when the policy is wrong).
    assert strict_page.evaluate("() => typeof window.htmx") == "object"


def test_htmx_search_updates_in_place_under_the_policy(strict_page):
    ServiceFactory(name="Führerschein Umtausch")
    ServiceFactory(name="Hundesteuer Anmeldung")
    strict_page.goto(reverse("catalogue:service-list"))
    search = strict_page.locator("input[type=search][name=q]")
    search.fill("fuehrersch")
    search.press("Enter")
    strict_page.wait_for_url("**q=fuehrersch**")
    strict_page.get_by_text("Führerschein Umtausch").wait_for()
    assert strict_page.get_by_text("Hundesteuer Anmeldung").count() == 0
    assert strict_page.csp_violations == []
