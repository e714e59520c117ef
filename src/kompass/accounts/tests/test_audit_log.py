from django.urls import reverse

from kompass.accounts import services
from kompass.accounts.choices import AuditKind


def test_operator_reads_lockouts_and_role_changes(client, world, settings):
    settings.KOMPASS_LOGIN_MAX_FAILURES = 2
    for _ in range(2):
        client.post(reverse("accounts:login"), {"username": "lemgo-sb", "password": "falsch"})
    services.role_revoke(assignment=world.lemgo_editor_role, actor=world.lemgo_admin)
    services.audit_record(AuditKind.ROLE_GRANTED, municipality=world.bielefeld, detail="fremd")
    client.force_login(world.operator)
    content = client.get(reverse("accounts:audit-log")).content.decode()
    assert "Anmeldung gesperrt" in content
    assert "Anmeldung fehlgeschlagen" in content
    assert "Rolle entzogen" in content
    assert "fremd" not in content  # another provider's Kommune
    partial = client.get(
        reverse("accounts:audit-log"),
        {"kind": AuditKind.LOCKED_OUT},
        headers={"HX-Request": "true"},
    ).content.decode()
    assert "<html" not in partial
    assert "1 Eintrag" in partial
    assert "Rolle entzogen" not in partial


def test_audit_log_ignores_unknown_filters_and_pages(client, world):
    client.force_login(world.operator)
    response = client.get(reverse("accounts:audit-log"), {"kind": "<evil>", "page": "abc"})
    assert response.status_code == 200


def test_audit_log_list_query_count_is_constant(client, world, django_assert_max_num_queries):
    for index in range(60):
        services.audit_record(
            AuditKind.LOGIN_FAILED, subject_name=f"x{index}", municipality=world.lemgo
        )
    client.force_login(world.operator)
    with django_assert_max_num_queries(10):
        assert client.get(reverse("accounts:audit-log")).status_code == 200
