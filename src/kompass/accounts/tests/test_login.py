from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from kompass.accounts.choices import AuditKind
from kompass.accounts.models import AuditEvent, LoginThrottle
from kompass.accounts.tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db
LOGIN = reverse("accounts:login")


def post_login(client, username, password):
    return client.post(LOGIN, {"username": username, "password": password})


def test_login_by_username_and_by_email(client):
    UserFactory(username="anna", email="Anna@Example.org")
    response = post_login(client, "anna", PASSWORD)
    assert response.status_code == 302
    client.logout()
    response = post_login(client, "anna@example.org", PASSWORD)
    assert response.status_code == 302
    assert AuditEvent.objects.filter(kind=AuditKind.LOGIN_SUCCEEDED).count() == 2


def test_login_page_renders_accessible_form(client):
    content = client.get(LOGIN).content.decode()
    assert 'for="id_username"' in content
    assert "Benutzername oder E-Mail-Adresse" in content
    assert reverse("accounts:password-reset") in content


def test_wrong_password_gives_a_clear_error_tied_to_the_form(client):
    UserFactory(username="anna")
    response = post_login(client, "anna", "falsch")
    assert response.status_code == 200
    content = response.content.decode()
    assert "oder Passwort sind nicht richtig" in content
    assert 'role="alert"' in content
    event = AuditEvent.objects.get(kind=AuditKind.LOGIN_FAILED)
    assert event.subject_name == "anna"
    assert event.ip_address == "127.0.0.1"


def test_ten_failures_lock_the_account_even_for_the_right_password(client):
    user = UserFactory(username="anna", email="anna@example.org")
    for attempt in range(9):
        response = post_login(client, "anna" if attempt % 2 else "anna@example.org", "falsch")
        assert "Zu viele fehlgeschlagene" not in response.content.decode()
    response = post_login(client, "anna", "falsch")
    assert "Zu viele fehlgeschlagene Anmeldeversuche" in response.content.decode()
    response = post_login(client, "anna", PASSWORD)
    assert response.status_code == 200
    assert "Zu viele fehlgeschlagene Anmeldeversuche" in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert AuditEvent.objects.filter(kind=AuditKind.LOCKED_OUT, subject_user=user).count() == 1
    assert AuditEvent.objects.filter(kind=AuditKind.LOGIN_BLOCKED).count() == 1
    assert AuditEvent.objects.filter(kind=AuditKind.LOGIN_FAILED).count() == 10


def test_lock_ends_after_its_time_and_success_resets_the_count(client, settings):
    UserFactory(username="anna")
    settings.KOMPASS_LOGIN_MAX_FAILURES = 3
    for _ in range(3):
        post_login(client, "anna", "falsch")
    throttle = LoginThrottle.objects.get()
    assert throttle.locked_until is not None
    throttle.locked_until = timezone.now() - timedelta(seconds=1)
    throttle.save(update_fields=["locked_until"])
    response = post_login(client, "anna", PASSWORD)
    assert response.status_code == 302
    assert not LoginThrottle.objects.exists()


def test_unknown_names_are_locked_too_so_lockout_reveals_nothing(client, settings):
    settings.KOMPASS_LOGIN_MAX_FAILURES = 2
    post_login(client, "niemand", "x")
    response = post_login(client, "niemand", "x")
    assert "Zu viele fehlgeschlagene Anmeldeversuche" in response.content.decode()


def test_inactive_user_cannot_sign_in(client):
    UserFactory(username="anna", is_active=False)
    response = post_login(client, "anna", PASSWORD)
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_overlong_and_html_input_is_handled(client):
    response = post_login(client, "<script>alert(1)</script>" + "x" * 400, "x")
    assert response.status_code == 200
    assert "<script>alert(1)</script>" not in response.content.decode()


def test_logout_needs_post(client):
    UserFactory(username="anna")
    post_login(client, "anna", PASSWORD)
    assert client.get(reverse("accounts:logout")).status_code == 405
    assert client.post(reverse("accounts:logout")).status_code == 302
    assert "_auth_user_id" not in client.session


def test_password_change_is_logged(client):
    user = UserFactory(username="anna")
    client.force_login(user)
    response = client.post(
        reverse("accounts:password-change"),
        {
            "old_password": PASSWORD,
            "new_password1": "ganz-neues-Passwort-2026",
            "new_password2": "ganz-neues-Passwort-2026",
        },
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password("ganz-neues-Passwort-2026")
    assert AuditEvent.objects.filter(kind=AuditKind.PASSWORD_CHANGED, subject_user=user).exists()


def test_password_change_errors_are_tied_to_inputs(client):
    client.force_login(UserFactory())
    response = client.post(
        reverse("accounts:password-change"),
        {"old_password": "falsch", "new_password1": "a", "new_password2": "b"},
    )
    content = response.content.decode()
    assert 'aria-describedby="id_old_password_error"' in content
    assert 'id="id_old_password_error"' in content
    assert "kern-form-input__input--error" in content


def test_password_reset_mail_and_lockout_is_lifted(client, mailoutbox, settings):
    user = UserFactory(username="anna", email="anna@example.org")
    settings.KOMPASS_LOGIN_MAX_FAILURES = 1
    post_login(client, "anna", "falsch")
    assert LoginThrottle.objects.filter(locked_until__isnull=False).exists()
    response = client.post(reverse("accounts:password-reset"), {"email": "anna@example.org"})
    assert response.status_code == 302
    assert len(mailoutbox) == 1
    body = mailoutbox[0].body
    link = next(line for line in body.splitlines() if "/konto/passwort-neu/" in line)
    path = link.split("testserver", 1)[1]
    response = client.get(path, follow=True)
    confirm_url = response.redirect_chain[-1][0]
    response = client.post(
        confirm_url,
        {"new_password1": "ganz-neues-Passwort-2026", "new_password2": "ganz-neues-Passwort-2026"},
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password("ganz-neues-Passwort-2026")
    assert not LoginThrottle.objects.exists()
    assert post_login(client, "anna", "ganz-neues-Passwort-2026").status_code == 302


def test_password_reset_for_unknown_address_sends_nothing_and_says_the_same(client, mailoutbox):
    response = client.post(reverse("accounts:password-reset"), {"email": "x@example.org"})
    assert response.status_code == 302
    assert mailoutbox == []
