from django.urls import reverse

from kompass.accounts.tests.factories import UserFactory


def test_staff_flag_alone_does_not_open_the_admin(client, world):
    world.lemgo_admin.is_staff = True
    world.lemgo_admin.save(update_fields=["is_staff"])
    client.force_login(world.lemgo_admin)
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_superuser_uses_the_admin_and_sees_the_read_only_audit_log(client, world):
    client.force_login(UserFactory(is_superuser=True, is_staff=True))
    assert client.get(reverse("admin:index")).status_code == 200
    assert client.get(reverse("admin:accounts_auditevent_changelist")).status_code == 200
    assert client.get(reverse("admin:accounts_auditevent_add")).status_code == 403
    assert (
        client.get(reverse("admin:accounts_user_change", args=[world.reader.pk])).status_code == 200
    )
