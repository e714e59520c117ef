"""The sign-in, invitation, password-reset and password-change flows in a real browser, with
axe-core (WCAG 2.1 AA) on every page. E-mails are read from the shared locmem outbox."""

import re

import pytest
from django.urls import reverse

from kompass.accounts import services
from kompass.accounts.choices import AuditKind
from kompass.accounts.models import User
from kompass.accounts.tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
NEW_PASSWORD = "Sonnenblume-im-Garten-7"


def sign_in(page, assert_accessible, username, password=PASSWORD):
    page.goto(reverse("accounts:login"))
    assert_accessible(page)
    page.get_by_label("Benutzername oder E-Mail-Adresse").fill(username)
    page.get_by_label("Passwort", exact=True).fill(password)
    page.get_by_role("button", name="Anmelden").click()


def link_in(mail) -> str:
    match = re.search(r"https?://[^/\s]+(/konto/\S+)", mail.body)
    assert match, mail.body
    return match.group(1)


def test_invitation_flow(page, assert_accessible, world, mailoutbox):
    sign_in(page, assert_accessible, "lemgo-admin")
    page.goto(reverse("accounts:municipality-people", args=[world.lemgo.pk]))
    assert_accessible(page)
    page.get_by_role("link", name="Person einladen").click()
    assert_accessible(page)
    page.get_by_label("E-Mail-Adresse").fill("nina@example.org")
    page.get_by_label("Rolle").select_option(label="Bearbeitung")
    page.get_by_label("Fachbereich").select_option(label="FB 1 Bürgerservice")
    page.get_by_role("button", name="Einladung senden").click()
    page.get_by_text("Einladung an nina@example.org versandt.").wait_for()
    assert_accessible(page)
    assert len(mailoutbox) == 1
    page.get_by_role("button", name="Abmelden").click()

    page.goto(link_in(mailoutbox[0]))
    assert_accessible(page)
    page.get_by_label("Benutzername").fill("nina")
    page.get_by_label("Passwort", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("Passwort wiederholen").fill("anders")
    page.get_by_role("button", name="Konto einrichten").click()
    page.get_by_text("Die beiden Passwörter stimmen nicht überein.").wait_for()
    assert_accessible(page)  # error state: errors tied to inputs
    page.get_by_label("Passwort", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("Passwort wiederholen").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Konto einrichten").click()
    page.get_by_role("heading", name="Mein Konto").wait_for()
    assert "Bearbeitung – Lemgo, Stadt, FB 1 Bürgerservice" in page.content()
    assert_accessible(page)
    assert User.objects.get(username="nina").email == "nina@example.org"


def test_password_reset_flow(page, assert_accessible, world, mailoutbox):
    page.goto(reverse("accounts:login"))
    page.get_by_role("link", name="Passwort vergessen?").click()
    assert_accessible(page)
    page.get_by_label("E-Mail-Adresse").fill(world.lemgo_editor.email)
    page.get_by_role("button", name="Link anfordern").click()
    page.get_by_role("heading", name="E-Mail versandt").wait_for()
    assert_accessible(page)
    assert len(mailoutbox) == 1
    page.goto(link_in(mailoutbox[0]))
    page.get_by_role("heading", name="Neues Passwort festlegen").wait_for()
    assert_accessible(page)
    page.get_by_label("Neues Passwort", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("Neues Passwort bestätigen").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Passwort speichern").click()
    page.get_by_role("heading", name="Passwort gespeichert").wait_for()
    assert_accessible(page)
    sign_in(page, assert_accessible, world.lemgo_editor.email, NEW_PASSWORD)
    page.get_by_role("button", name="Abmelden").wait_for()


def test_password_change_flow_and_lockout_message(page, assert_accessible, world, settings):
    sign_in(page, assert_accessible, "leser")
    page.goto(reverse("accounts:profile"))
    assert_accessible(page)
    page.get_by_role("link", name="Passwort ändern").click()
    assert_accessible(page)
    page.get_by_label("Altes Passwort").fill(PASSWORD)
    page.get_by_label("Neues Passwort", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("Neues Passwort bestätigen").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Passwort ändern").click()
    page.get_by_role("heading", name="Passwort geändert").wait_for()
    assert_accessible(page)
    page.get_by_role("button", name="Abmelden").click()

    settings.KOMPASS_LOGIN_MAX_FAILURES = 2
    sign_in(page, assert_accessible, "leser", "falsch")
    page.get_by_text("oder Passwort sind nicht richtig").wait_for()
    assert_accessible(page)
    sign_in(page, assert_accessible, "leser", "falsch")
    page.get_by_text("Zu viele fehlgeschlagene Anmeldeversuche").wait_for()
    assert_accessible(page)


def test_organisation_pages_are_accessible(page, assert_accessible, world):
    sign_in(page, assert_accessible, "betrieb")
    for url in (
        reverse("accounts:organisation-list"),
        reverse("accounts:municipality-organisation", args=[world.lemgo.pk]),
        reverse("accounts:municipality-people", args=[world.lemgo.pk]),
        reverse("accounts:role-grant", args=[world.lemgo.pk]),
        reverse("accounts:department-update", args=[world.lemgo_department.pk]),
        reverse("accounts:department-delete", args=[world.lemgo_other_department.pk]),
        reverse("accounts:provider-detail", args=[world.provider.pk]),
        reverse("accounts:provider-role-grant", args=[world.provider.pk]),
        reverse("accounts:audit-log"),
    ):
        page.goto(url)
        assert_accessible(page)
    page.goto(reverse("accounts:department-create", args=[world.lemgo.pk]))
    page.get_by_label("Kürzel").fill("FB 1")
    page.get_by_label("Bezeichnung").fill("<b>Doppelt</b>")
    page.get_by_role("button", name="Speichern").click()
    page.get_by_text("schon einen Fachbereich").wait_for()
    assert_accessible(page)
    # The audit-log filter swaps the results with htmx (and pushes the URL).
    services.audit_record(AuditKind.LOGIN_FAILED, subject_name="jemand")
    page.goto(reverse("accounts:audit-log"))
    assert page.locator("#audit-results tbody tr").count() > 1
    page.get_by_label("Ereignis").select_option(value="login_failed")
    page.wait_for_url("**/konto/protokoll/?kind=login_failed")
    page.locator("#audit-results").get_by_text("1 Eintrag", exact=True).wait_for()
    assert page.locator("#kompass-live-region").text_content() == "1 Eintrag"
    assert page.locator("#audit-results tbody tr").count() == 1
    assert page.get_by_role("heading", name="Sicherheitsprotokoll").count() == 1
