"""The workspace in a real browser: lemgo-sb's day (keyboard only on the board), two sessions
editing the same record, and axe-core WCAG 2.1 AA on every page."""

import re

import pytest
from django.urls import reverse

from kompass.accounts.tests.factories import PASSWORD
from kompass.implementation.models import Implementation, ImplementationChange

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sign_in(page, username):
    page.goto(reverse("accounts:login"))
    page.get_by_label("Benutzername oder E-Mail-Adresse").fill(username)
    page.get_by_label("Passwort", exact=True).fill(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(lambda url: "/konto/anmelden" not in url)


def tab_to(page, predicate_js: str, limit: int = 400) -> int:
    for presses in range(1, limit + 1):
        page.keyboard.press("Tab")
        if page.evaluate(f"(el => {predicate_js})(document.activeElement)"):
            return presses
    raise AssertionError(f"not reachable by Tab: {predicate_js}")


def test_editor_sets_values_moves_a_card_by_keyboard_and_sees_history(page, assert_accessible, ws):
    w = ws.w
    service = ws.services[0]
    Implementation.objects.create(
        municipality=w.lemgo, service=service, department=w.lemgo_department
    )
    sign_in(page, "lemgo-sb")
    page.goto(reverse("implementation:overview"))
    assert_accessible(page)
    page.get_by_role("link", name=w.lemgo.name).click()
    # A Bearbeiter lands on their department's Leistungen.
    rows = page.locator("table.implementation-table tbody tr")
    assert rows.count() == 1
    assert service.name in rows.first.inner_text()
    assert_accessible(page)

    page.get_by_role("link", name=service.name, exact=True).click()
    assert_accessible(page)
    page.get_by_role("link", name="Bearbeiten", exact=True).click()
    assert_accessible(page)
    page.get_by_label("Status").select_option("planning")
    page.get_by_label("aktueller Reifegrad").select_option("1")
    page.get_by_label("Ziel-Reifegrad").select_option("3")
    page.get_by_label("Fallzahl pro Jahr").fill("1200")
    page.get_by_label("Jahr der Fallzahl").fill("2025")
    page.get_by_label("Priorität").select_option("high")
    page.get_by_role("button", name="Speichern").click()
    page.get_by_text("Die Änderungen wurden gespeichert.").wait_for()
    assert_accessible(page)

    # Errors are explained in German, on an accessible page, and change nothing.
    page.get_by_role("link", name="Bearbeiten", exact=True).click()
    page.get_by_label("Fallzahl pro Jahr").fill("-3")
    page.get_by_role("button", name="Speichern").click()
    page.get_by_text("Die Fallzahl darf nicht negativ sein.").wait_for()
    assert_accessible(page)
    assert Implementation.objects.get().case_count == 1200

    page.goto(reverse("implementation:board", kwargs={"pk": w.lemgo.pk}))
    assert_accessible(page)
    select_name = f"move-status-{service.pk}"
    tab_to(page, f"el.id === '{select_name}'")
    page.keyboard.press("ArrowDown")  # in Planung → in Umsetzung
    assert page.locator(f"#{select_name}").input_value() == "in_progress"
    tab_to(page, "el.tagName === 'BUTTON' && el.textContent.includes('Verschieben')")
    page.keyboard.press("Enter")
    page.get_by_text("steht jetzt in „in Umsetzung“").wait_for()
    assert_accessible(page)
    column = page.locator("section[data-status='in_progress']")
    assert service.name in column.inner_text()

    page.goto(reverse("implementation:detail", kwargs={"pk": w.lemgo.pk, "service_pk": service.pk}))
    history = page.locator("table.implementation-history").inner_text()
    assert "in Planung → in Umsetzung" in history
    assert "offen → in Planung" in history
    assert "– → 1200" in history
    record = Implementation.objects.get()
    assert (record.status, record.current_level, record.target_level, record.priority) == (
        "in_progress",
        1,
        3,
        "high",
    )
    assert ImplementationChange.objects.count() == 2


def test_inline_edit_with_htmx_and_the_other_views_are_accessible(page, assert_accessible, ws):
    w = ws.w
    sign_in(page, "lemgo-admin")
    page.goto(reverse("implementation:list", kwargs={"pk": w.lemgo.pk}))
    service = ws.services[1]
    page.get_by_role("link", name=re.compile(f"^Schnell bearbeiten ?: {service.name}$")).click()
    row = page.locator(f"tr.implementation-row-form#row-{service.pk}")
    row.get_by_label("Status").select_option("done")
    assert_accessible(page)
    row.get_by_role("button", name="Speichern").click()
    page.locator(f"#row-{service.pk}").get_by_text("gespeichert", exact=True).wait_for()
    assert Implementation.objects.get(service=service).status == "done"
    assert "<html" not in page.locator(f"#row-{service.pk}").inner_html()
    # Filtering swaps the results only.
    page.get_by_label("Status", exact=True).first.select_option("done")
    page.locator("#implementation-results").get_by_text("1 Leistung gefunden.").wait_for()
    assert_accessible(page)
    page.goto(reverse("implementation:ozg-list", kwargs={"pk": w.lemgo.pk}))
    assert_accessible(page)
    # Drag and drop on the board submits the card's move form.
    dragged = ws.services[2]
    page.goto(reverse("implementation:board", kwargs={"pk": w.lemgo.pk}))
    card = page.locator(f"li[data-move-form='move-{dragged.pk}']")
    card.drag_to(page.locator("section[data-status='planning']"))
    page.get_by_text("steht jetzt in „in Planung“").wait_for()
    assert Implementation.objects.get(service=dragged).status == "planning"


def test_the_same_filter_after_an_inline_edit_shows_the_change(page, ws):
    """A filter form does not send the query its results already show again, except after a
    change on the page: then the same filter must show the edited record in its new place."""
    w = ws.w
    sign_in(page, "lemgo-admin")
    page.goto(reverse("implementation:list", kwargs={"pk": w.lemgo.pk}))
    results = page.locator("#implementation-results")
    page.get_by_label("Status", exact=True).first.select_option("open")
    # htmx pushes the filter's URL once it has swapped the results in: only then are the rows
    # (and the quick-edit link clicked below) those of the filtered list, not of the page before.
    page.wait_for_url(re.compile(r"[?&]status=open"))
    announce = results.locator("[data-announce]")
    announce.get_by_text(re.compile(r"Leistungen? gefunden")).wait_for()
    before = int(announce.inner_text().split()[0])
    service = ws.services[1]
    page.get_by_role("link", name=re.compile(f"^Schnell bearbeiten ?: {service.name}$")).click()
    row = page.locator(f"tr.implementation-row-form#row-{service.pk}")
    row.get_by_label("Status").select_option("done")
    row.get_by_role("button", name="Speichern").click()
    page.locator(f"#row-{service.pk}").get_by_text("gespeichert", exact=True).wait_for()
    page.get_by_role("button", name="Anzeigen").click()
    announce.get_by_text(f"{before - 1} Leistung").wait_for()


def test_two_sessions_editing_the_same_record_conflict_for_the_second(
    browser, live_server, page, assert_accessible, ws
):
    w = ws.w
    service = ws.services[0]
    edit_url = reverse("implementation:edit", kwargs={"pk": w.lemgo.pk, "service_pk": service.pk})
    sign_in(page, "lemgo-sb")
    other_context = browser.new_context(base_url=live_server.url, locale="de-DE")
    other = other_context.new_page()
    try:
        sign_in(other, "lemgo-admin")
        page.goto(edit_url)
        other.goto(edit_url)
        other.get_by_label("Status").select_option("in_progress")
        other.get_by_label("Notizen").fill("Abstimmung mit dem Kreis läuft")
        other.get_by_role("button", name="Speichern").click()
        other.get_by_text("Die Änderungen wurden gespeichert.").wait_for()

        page.get_by_label("Status").select_option("dropped")
        page.get_by_label("Lösung (im Einsatz oder geplant)").fill("Eigenes Formular")
        page.get_by_role("button", name="Speichern").click()
        page.get_by_text("Jemand anderes hat diese Leistung inzwischen geändert").wait_for()
        assert_accessible(page)
        alert = page.locator(".kern-alert--warning").inner_text()
        assert "in Umsetzung" in alert
        assert "Abstimmung mit dem Kreis läuft" in alert
        # The second person's input is still in the form.
        assert page.get_by_label("Status").input_value() == "dropped"
        assert page.get_by_label("Lösung (im Einsatz oder geplant)").input_value() == (
            "Eigenes Formular"
        )
        record = Implementation.objects.get()
        assert (record.status, record.notes, record.solution) == (
            "in_progress",
            "Abstimmung mit dem Kreis läuft",
            "",
        )
    finally:
        other_context.close()
