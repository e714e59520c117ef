"""The marketplace in a real browser: lemgo-sb proposes a solution, betrieb accepts it, Lemgo
records its use for a Leistung with a shared contact, and herford-admin finds it among the offers
for Herford's gap in that Leistung, with Lemgo as contact. axe-core WCAG 2.1 AA on every page."""

import pytest
from django.urls import reverse

from kompass.implementation.tests.test_browser import sign_in
from kompass.solutions.choices import ReviewState
from kompass.solutions.models import Solution, SolutionService, SolutionUsage

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_propose_accept_use_and_find_as_offer(browser, live_server, page, assert_accessible, ws):
    w = ws.w
    maturity = ws  # the fixture created Reifegradmodell 1.1
    assert maturity
    service = ws.services[0]

    # 1. lemgo-sb proposes a solution and picks its Leistung by pasting keys.
    sign_in(page, "lemgo-sb")
    page.goto(reverse("solutions:overview"))
    assert_accessible(page)
    page.get_by_role("link", name=f"Lösung vorschlagen ({w.lemgo.name})").click()
    assert_accessible(page)
    page.get_by_role("button", name="Vorschlag speichern").click()
    page.get_by_text("Bitte geben Sie den Namen der Lösung an.").first.wait_for()
    assert_accessible(page)
    page.get_by_label("Name der Lösung").fill("Meldeportal OWL")
    page.get_by_label("Art").select_option("municipal")
    page.get_by_label("Anbieter", exact=True).fill("Stadt Lemgo")
    page.get_by_label("Beschreibung").fill("An- und Abmeldung online, mit Online-Ausweis.")
    page.get_by_label("Links").fill("https://example.org/meldeportal")
    page.get_by_role("button", name="Vorschlag speichern").click()
    page.get_by_text("Ihr Vorschlag wurde gespeichert.").wait_for()
    assert_accessible(page)
    solution = Solution.objects.get(name="Meldeportal OWL")
    assert solution.review_state == ReviewState.PROPOSAL

    page.get_by_role("link", name="Abgedeckte Leistungen bearbeiten").click()
    assert_accessible(page)
    page.get_by_label("LeiKa-Schlüssel einfügen").fill(f"{service.leika_key}\n99000000000009")
    page.get_by_role("button", name="Schlüssel prüfen").click()
    page.get_by_text("Den LeiKa-Schlüssel 99000000000009 gibt es im Katalog nicht.").wait_for()
    assert_accessible(page)
    assert not SolutionService.objects.exists()
    page.get_by_label("erreichter Reifegrad").select_option("3")
    page.get_by_role("button", name="Ausgewählte Leistungen übernehmen").click()
    page.get_by_text("1 Leistung wurde übernommen.").wait_for()
    assert_accessible(page)
    assert SolutionService.objects.get().service == service

    # 2. betrieb accepts it.
    operator_context = browser.new_context(base_url=live_server.url, locale="de-DE")
    operator = operator_context.new_page()
    try:
        sign_in(operator, "betrieb")
        operator.goto(reverse("solutions:gaps-overview"))
        assert_accessible(operator)
        operator.get_by_role("link", name=f"„Meldeportal OWL“ von {w.lemgo.name} prüfen").click()
        assert_accessible(operator)
        operator.get_by_label("Anbieter", exact=True).fill("Alte Hansestadt Lemgo")
        operator.get_by_label("annehmen und veröffentlichen").check()
        operator.get_by_role("button", name="Entscheidung speichern").click()
        operator.get_by_text("Der Vorschlag wurde angenommen").wait_for()
        assert_accessible(operator)
    finally:
        operator_context.close()
    solution.refresh_from_db()
    assert (solution.review_state, solution.provider_name) == (
        ReviewState.PUBLISHED,
        "Alte Hansestadt Lemgo",
    )

    # 3. Lemgo records its use for the Leistung, naming lemgo-sb as contact.
    page.goto(reverse("implementation:detail", kwargs={"pk": w.lemgo.pk, "service_pk": service.pk}))
    assert_accessible(page)
    page.get_by_role("link", name="Genutzte oder geplante Lösung erfassen").click()
    assert_accessible(page)
    page.get_by_label("Lösung", exact=True).select_option(str(solution.pk))
    page.get_by_label("Nutzung", exact=True).select_option("uses")
    page.get_by_label("Ansprechperson für andere Kommunen").select_option(str(w.lemgo_editor.pk))
    page.get_by_role("button", name="Nutzung speichern").click()
    page.get_by_text("Die Nutzung von „Meldeportal OWL“ wurde gespeichert.").wait_for()
    assert_accessible(page)
    assert SolutionUsage.objects.get().contact_person == w.lemgo_editor

    # 4. herford-admin finds it among the offers for Herford's gap, with Lemgo as contact.
    herford_context = browser.new_context(base_url=live_server.url, locale="de-DE")
    herford = herford_context.new_page()
    try:
        sign_in(herford, "herford-admin")
        herford.goto(reverse("solutions:overview"))
        herford.get_by_role("link", name=f"Lücken und Angebote: {w.herford.name}").click()
        assert_accessible(herford)
        row = herford.locator(f"#gap-{service.pk}")
        text = row.inner_text()
        assert "Meldeportal OWL" in text
        assert w.lemgo.name in text
        assert w.lemgo_editor.email in text
        # The filter "no solution at all" hides it (htmx swaps the results).
        herford.get_by_label("Angebote").select_option("uncovered")
        herford.locator("#gap-results").get_by_text("3 Lücken gefunden.").wait_for()
        assert herford.locator(f"#gap-{service.pk}").count() == 0
        assert_accessible(herford)
        herford.goto(reverse("solutions:detail", kwargs={"pk": solution.pk}))
        assert w.lemgo.name in herford.locator("main").inner_text()
        assert_accessible(herford)
    finally:
        herford_context.close()


def test_other_pages_are_accessible(page, assert_accessible, ws):
    from kompass.solutions.tests.conftest import make_solution

    w = ws.w
    solution = make_solution(covers=ws.services[:2], provider_contact="info@example.org")
    SolutionUsage.objects.create(
        municipality=w.lemgo,
        service=ws.services[0],
        solution=solution,
        contact_person=w.lemgo_editor,
    )
    sign_in(page, "betrieb")
    for url in (
        reverse("solutions:create"),
        reverse("solutions:edit", kwargs={"pk": solution.pk}),
        reverse("solutions:coverage", kwargs={"pk": solution.pk}) + "?ozg=09001",
        reverse("solutions:usage-list", kwargs={"pk": w.lemgo.pk}),
        reverse("solutions:gaps", kwargs={"pk": w.lemgo.pk}) + "?offers=covered",
        reverse("solutions:overview") + "?kind=provider&level=3",
    ):
        page.goto(url)
        assert_accessible(page)
    page.goto(reverse("solutions:create"))
    page.get_by_label("Name der Lösung").fill("<script>alert(1)</script>")
    page.get_by_role("button", name="Speichern").click()
    page.get_by_text("HTML-Auszeichnungen oder Skripte").first.wait_for()
    assert_accessible(page)
