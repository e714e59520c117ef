"""The matrix and the Gegenprüfung in a real browser: keyboard only, axe-core WCAG 2.1 AA."""

import pytest
from django.urls import reverse

from kompass.accounts.tests.factories import PASSWORD
from kompass.relevance.models import Deviation, TypeDecision

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sign_in(page, username):
    page.goto(reverse("accounts:login"))
    page.get_by_label("Benutzername oder E-Mail-Adresse").fill(username)
    page.get_by_label("Passwort", exact=True).fill(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(lambda url: "/konto/anmelden" not in url)


def tab_to(page, predicate_js: str, limit: int = 400) -> int:
    """Press Tab until document.activeElement satisfies the JS predicate; return the presses."""
    for presses in range(1, limit + 1):
        page.keyboard.press("Tab")
        if page.evaluate(f"(el => {predicate_js})(document.activeElement)"):
            return presses
    raise AssertionError(f"not reachable by Tab: {predicate_js}")


def test_matrix_cells_are_settable_by_keyboard_only(page, assert_accessible, rw):
    sign_in(page, "pate")
    url = reverse("relevance:matrix", kwargs={"land": "05", "topic": "familie_kind"})
    page.goto(url)
    assert_accessible(page)
    target = f"c-{rw.kita_services[0].pk}-{rw.mittlere.pk}"
    tab_to(page, f"el.name === '{target}'")
    label = page.evaluate(
        "el => el.getAttribute('aria-labelledby').split(' ')"
        ".map(id => document.getElementById(id).textContent).join(' ')",
        page.locator(f"select[name='{target}']").element_handle(),
    )
    assert label == "Kita-Platz beantragen Mittlere kreisangehörige Stadt"
    # Typ 2/3 proposes "offen" (last option); move up to "durch den Kreis", then "nicht relevant".
    page.keyboard.press("ArrowUp")
    page.keyboard.press("ArrowUp")
    assert page.locator(f"select[name='{target}']").input_value() == "not_relevant"
    tab_to(page, "el.tagName === 'BUTTON' && el.textContent.includes('Änderungen speichern')")
    page.keyboard.press("Enter")
    page.get_by_text("1 Zelle gespeichert.").wait_for()
    assert_accessible(page)
    decision = TypeDecision.objects.get()
    assert (decision.service, decision.municipality_type, decision.value) == (
        rw.kita_services[0],
        rw.mittlere,
        "not_relevant",
    )
    assert page.locator(f"select[name='{target}']").input_value() == "not_relevant"

    # A whole OZG-Leistung through the bulk form, by keyboard.
    tab_to(page, "el.tagName === 'A' && el.textContent.includes('Ganze OZG-Leistung festlegen')")
    page.keyboard.press("Enter")
    page.get_by_role("heading", name="Sammelentscheidung").wait_for()
    assert_accessible(page)
    tab_to(page, "el.name === 'value'")
    page.keyboard.press("Home")  # "relevant"
    tab_to(page, "el.name === 'reason'")
    page.keyboard.type("Eigene Elterngeldstelle")
    tab_to(page, "el.tagName === 'BUTTON' && el.textContent.includes('Festlegen')")
    page.keyboard.press("Enter")
    page.get_by_text("Zellen gespeichert.").wait_for()
    assert (
        TypeDecision.objects.filter(service__ozg_service=rw.elterngeld, value="relevant").count()
        == 4 * 7
    )


def test_gegenpruefung_pages_are_accessible(page, assert_accessible, rw):
    sign_in(page, "lemgo-admin")
    page.goto(reverse("relevance:municipality", kwargs={"pk": rw.lemgo.pk}) + "?scope=all")
    assert_accessible(page)
    page.goto(
        reverse(
            "relevance:deviation-edit",
            kwargs={"pk": rw.lemgo.pk, "service_pk": rw.kita_services[0].pk},
        )
    )
    assert_accessible(page)
    tab_to(page, "el.type === 'radio' && el.value === 'relevant'")
    page.keyboard.press("Space")
    tab_to(page, "el.name === 'reason'")
    page.keyboard.type("Eigenes Jugendamt")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    page.get_by_text("Die Abweichung für „Kita-Platz beantragen“ ist gespeichert.").wait_for()
    assert_accessible(page)
    assert Deviation.objects.get().reason == "Eigenes Jugendamt"
    # With an error shown.
    page.goto(
        reverse(
            "relevance:deviation-edit",
            kwargs={"pk": rw.lemgo.pk, "service_pk": rw.kita_services[1].pk},
        )
    )
    page.get_by_role("button", name="Abweichung speichern").click()
    page.get_by_text("Bitte prüfen Sie Ihre Eingaben.").wait_for()
    assert_accessible(page)


def test_sponsor_pages_are_accessible(page, assert_accessible, rw):
    sign_in(page, "pate")
    for url in (
        reverse("relevance:overview"),
        reverse("relevance:deviation-list"),
        reverse(
            "relevance:row",
            kwargs={"land": "05", "topic": "familie_kind", "pk": rw.kita_services[0].pk},
        ),
        reverse("relevance:import", kwargs={"land": "05", "topic": "familie_kind"}),
        reverse("relevance:matrix", kwargs={"land": "05", "topic": "umwelt"}),
    ):
        page.goto(url)
        assert_accessible(page)
