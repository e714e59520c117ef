import re
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from kompass.accounts import selectors, services
from kompass.accounts.choices import AuditKind, Role
from kompass.accounts.models import AuditEvent, Invitation, RoleAssignment, User

NEW_PASSWORD = "Sonnenblume-im-Garten-7"


def invite(client, world, email="neu@example.org"):
    client.force_login(world.lemgo_admin)
    return client.post(
        reverse("accounts:invitation-create", args=[world.lemgo.pk]),
        {"email": email, "role": Role.EDITOR, "department": world.lemgo_department.pk},
    )


def link_path(mail) -> str:
    match = re.search(r"http://testserver(/konto/einladung/[^/\s]+/)", mail.body)
    assert match, mail.body
    return match.group(1)


def test_invitation_end_to_end(client, world, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = invite(client, world)
    assert response.status_code == 302
    assert len(mailoutbox) == 1
    mail = mailoutbox[0]
    assert mail.to == ["neu@example.org"]
    assert "Bearbeitung" in mail.body
    path = link_path(mail)
    token = path.rstrip("/").rsplit("/", 1)[1]
    invitation = Invitation.objects.get(email="neu@example.org")
    assert token not in invitation.token_hash  # only the hash is stored
    client.logout()
    assert client.get(path).status_code == 200
    response = client.post(
        path,
        {
            "username": "neu",
            "first_name": "Nina",
            "last_name": "Neu",
            "password1": NEW_PASSWORD,
            "password2": NEW_PASSWORD,
        },
    )
    assert response.status_code == 302
    user = User.objects.get(username="neu")
    assert user.email == "neu@example.org"
    assert user.check_password(NEW_PASSWORD)
    assert selectors.department_ids_of(user) == {world.lemgo_department.pk}
    assert int(client.session["_auth_user_id"]) == user.pk
    kinds = set(AuditEvent.objects.values_list("kind", flat=True))
    assert {
        AuditKind.INVITATION_SENT,
        AuditKind.INVITATION_ACCEPTED,
        AuditKind.ROLE_GRANTED,
    } <= kinds
    # The link works once.
    client.logout()
    assert client.get(path).status_code == 404


def test_expired_or_revoked_invitation_link_is_refused(
    client, world, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        invite(client, world)
    path = link_path(mailoutbox[0])
    invitation = Invitation.objects.get(email="neu@example.org")
    invitation.expires_at = timezone.now() - timedelta(minutes=1)
    invitation.save(update_fields=["expires_at"])
    client.logout()
    response = client.get(path)
    assert response.status_code == 404
    assert "abgelaufen" in response.content.decode()
    invitation.expires_at = timezone.now() + timedelta(days=1)
    invitation.save(update_fields=["expires_at"])
    services.invitation_revoke(invitation=invitation, actor=world.lemgo_admin)
    assert client.get(path).status_code == 404


def test_accept_form_validates_password_and_username(
    client, world, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        invite(client, world)
    path = link_path(mailoutbox[0])
    client.logout()
    response = client.post(path, {"username": "lemgo-sb", "password1": "123", "password2": "1234"})
    content = response.content.decode()
    assert "stimmen nicht überein" in content
    response = client.post(
        path, {"username": "LEMGO-SB", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD}
    )
    assert "bereits vergeben" in response.content.decode()
    assert 'id="id_username_error"' in response.content.decode()
    response = client.post(path, {"username": "neu", "password1": "kurz", "password2": "kurz"})
    assert "zu kurz" in response.content.decode()
    assert not User.objects.filter(username="neu").exists()
    assert Invitation.objects.get(email="neu@example.org").is_open


def test_existing_address_and_bad_address_are_refused(client, world, mailoutbox):
    response = invite(client, world, email=world.lemgo_editor.email.upper())
    assert "gibt es bereits ein Konto" in response.content.decode()
    response = invite(client, world, email="<script>@x")
    assert "gültige E-Mail-Adresse" in response.content.decode()
    assert mailoutbox == []
    assert (
        not Invitation.objects.filter(invited_by=world.lemgo_admin)
        .exclude(pk=world.lemgo_invitation.pk)
        .exists()
    )


def test_invitations_respect_the_inviters_scope(world):
    with pytest.raises(PermissionDenied):
        services.invitation_create(
            email="x@example.org",
            role=Role.MUNICIPALITY_ADMIN,
            municipality=world.herford,
            actor=world.lemgo_admin,
            site_url="http://testserver",
        )
    with pytest.raises(PermissionDenied):
        services.invitation_create(
            email="x@example.org",
            role=Role.READER,
            municipality=world.lemgo,
            actor=world.reader,
            site_url="http://testserver",
        )


def test_operator_invites_a_themenpate(
    client, world, mailoutbox, django_capture_on_commit_callbacks
):
    client.force_login(world.operator)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("accounts:provider-invitation-create", args=[world.provider.pk]),
            {"email": "pate2@example.org", "role": Role.TOPIC_SPONSOR, "topic": world.topic.pk},
        )
    assert response.status_code == 302
    assert len(mailoutbox) == 1
    page = client.get(reverse("accounts:provider-detail", args=[world.provider.pk]))
    assert "pate2@example.org" in page.content.decode()


def test_revoke_invitation_via_page(client, world):
    client.force_login(world.lemgo_admin)
    url = reverse("accounts:invitation-revoke", args=[world.lemgo_invitation.pk])
    assert client.post(url).status_code == 302
    world.lemgo_invitation.refresh_from_db()
    assert world.lemgo_invitation.revoked_at is not None
    assert client.post(url).status_code == 400


def test_invitation_of_an_inviter_who_lost_the_right_is_refused(world):
    token_invitation = services.invitation_create(
        email="spaet@example.org",
        role=Role.READER,
        municipality=world.lemgo,
        actor=world.lemgo_admin,
        site_url="http://testserver",
    )
    RoleAssignment.objects.filter(user=world.lemgo_admin).delete()
    with pytest.raises(ValidationError, match="nicht mehr gültig"):
        services.invitation_accept(
            invitation=token_invitation, username="spaet", password=NEW_PASSWORD
        )
    assert not User.objects.filter(username="spaet").exists()
