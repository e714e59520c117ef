import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse

from kompass.accounts import selectors, services
from kompass.accounts.choices import AuditKind, Role
from kompass.accounts.models import AuditEvent, RoleAssignment
from kompass.accounts.tests.factories import UserFactory, grant


def grant_url(municipality):
    return reverse("accounts:role-grant", args=[municipality.pk])


def test_kommune_admin_grants_a_department_role_to_a_colleague(client, world):
    client.force_login(world.lemgo_admin)
    response = client.post(
        grant_url(world.lemgo),
        {
            "user": world.lemgo_colleague.pk,
            "role": Role.EDITOR,
            "department": world.lemgo_department.pk,
        },
    )
    assert response.status_code == 302
    assignment = RoleAssignment.objects.get(
        user=world.lemgo_colleague, department=world.lemgo_department
    )
    assert assignment.municipality == world.lemgo
    assert assignment.granted_by == world.lemgo_admin
    event = AuditEvent.objects.get(kind=AuditKind.ROLE_GRANTED)
    assert event.municipality == world.lemgo
    assert event.actor == world.lemgo_admin


def test_admin_cannot_pick_people_or_departments_of_other_kommunen(client, world):
    client.force_login(world.lemgo_admin)
    form_page = client.get(grant_url(world.lemgo)).content.decode()
    assert "herford-admin" not in form_page
    assert "Bürgerbüro" not in form_page
    response = client.post(
        grant_url(world.lemgo),
        {"user": world.herford_admin.pk, "role": Role.READER},
    )
    assert response.status_code == 200
    response = client.post(
        grant_url(world.lemgo),
        {
            "user": world.lemgo_colleague.pk,
            "role": Role.EDITOR,
            "department": world.herford_department.pk,
        },
    )
    assert response.status_code == 200
    assert not RoleAssignment.objects.filter(department=world.herford_department).exists()


def test_editor_role_needs_a_department_and_duplicates_are_refused(client, world):
    client.force_login(world.lemgo_admin)
    response = client.post(
        grant_url(world.lemgo), {"user": world.lemgo_editor.pk, "role": Role.EDITOR}
    )
    assert "Bitte wählen Sie den Fachbereich" in response.content.decode()
    response = client.post(
        grant_url(world.lemgo),
        {
            "user": world.lemgo_editor.pk,
            "role": Role.EDITOR,
            "department": world.lemgo_department.pk,
        },
    )
    assert "hat diese Rolle bereits" in response.content.decode()


def test_never_above_own_role(world):
    with pytest.raises(PermissionDenied):
        services.role_grant(
            user=world.lemgo_editor,
            role=Role.OPERATOR,
            provider=world.provider,
            actor=world.lemgo_admin,
        )
    with pytest.raises(PermissionDenied):
        services.role_grant(
            user=world.lemgo_editor, role=Role.READER, district=world.lippe, actor=world.lemgo_admin
        )
    with pytest.raises(PermissionDenied):
        services.role_grant(
            user=world.lemgo_colleague,
            role=Role.MUNICIPALITY_ADMIN,
            municipality=world.lemgo,
            actor=world.lemgo_editor,
        )
    with pytest.raises(PermissionDenied):
        services.role_grant(
            user=world.lemgo_editor,
            role=Role.READER,
            municipality=world.herford,
            actor=world.lemgo_admin,
        )


def test_operator_grants_provider_roles(client, world):
    client.force_login(world.operator)
    person = UserFactory(username="neu")
    url = reverse("accounts:provider-role-grant", args=[world.provider.pk])
    response = client.post(url, {"user": person.pk, "role": Role.TOPIC_SPONSOR})
    assert "Bitte wählen Sie das Themenfeld" in response.content.decode()
    response = client.post(
        url, {"user": person.pk, "role": Role.TOPIC_SPONSOR, "topic": world.other_topic.pk}
    )
    assert response.status_code == 302
    district_reader = UserFactory(username="kreisleser")
    response = client.post(
        url, {"user": district_reader.pk, "role": Role.READER, "district": world.kreis_herford.pk}
    )
    assert response.status_code == 302
    assert selectors.can_decide_relevance(person, world.other_topic)
    assert selectors.can_view_municipality(person, world.lemgo)  # a Themenpate sees all members
    assert selectors.can_view_municipality(district_reader, world.herford)
    assert not selectors.can_view_municipality(district_reader, world.lemgo)
    page = client.get(reverse("accounts:provider-detail", args=[world.provider.pk]))
    assert "neu" in page.content.decode()


def test_revoke_role_and_not_ones_own(client, world):
    client.force_login(world.lemgo_admin)
    url = reverse("accounts:role-revoke", args=[world.lemgo_editor_role.pk])
    assert client.post(url).status_code == 302
    assert not RoleAssignment.objects.filter(pk=world.lemgo_editor_role.pk).exists()
    assert AuditEvent.objects.filter(
        kind=AuditKind.ROLE_REVOKED, subject_user=world.lemgo_editor
    ).exists()
    own = RoleAssignment.objects.get(user=world.lemgo_admin)
    response = client.post(reverse("accounts:role-revoke", args=[own.pk]))
    assert response.status_code == 400
    assert "nicht selbst entziehen" in response.content.decode()
    assert RoleAssignment.objects.filter(pk=own.pk).exists()


def test_revoked_editor_loses_access(client, world):
    services.role_revoke(assignment=world.lemgo_editor_role, actor=world.lemgo_admin)
    client.force_login(world.lemgo_editor)
    response = client.get(reverse("accounts:municipality-organisation", args=[world.lemgo.pk]))
    assert response.status_code == 404


def test_people_page_lists_roles_of_own_kommune_only(client, world):
    client.force_login(world.lemgo_admin)
    content = client.get(
        reverse("accounts:municipality-people", args=[world.lemgo.pk])
    ).content.decode()
    assert "lemgo-sb" in content
    assert "herford-admin" not in content
    assert world.lemgo_invitation.email in content
    assert world.herford_invitation.email not in content


def test_database_refuses_inconsistent_scopes(world):
    with pytest.raises(IntegrityError), transaction.atomic():
        RoleAssignment.objects.create(user=world.reader, role=Role.EDITOR, municipality=world.lemgo)
    with pytest.raises(IntegrityError), transaction.atomic():
        RoleAssignment.objects.create(
            user=world.reader, role=Role.READER, municipality=world.lemgo, district=world.lippe
        )


def test_reader_scope_must_be_a_kreis(world):
    with pytest.raises(ValidationError):
        services.role_grant(
            user=world.reader, role=Role.READER, district=world.lemgo, actor=world.operator
        )


@pytest.mark.parametrize("people", [1, 15])
def test_people_and_provider_pages_query_count_does_not_grow(
    client, world, django_assert_max_num_queries, people
):
    for _ in range(people):
        grant(UserFactory(), Role.EDITOR, department=world.lemgo_department)
        grant(UserFactory(), Role.READER, district=world.lippe)
    client.force_login(world.operator)
    with django_assert_max_num_queries(12):
        assert (
            client.get(reverse("accounts:municipality-people", args=[world.lemgo.pk])).status_code
            == 200
        )
    with django_assert_max_num_queries(12):
        assert (
            client.get(reverse("accounts:provider-detail", args=[world.provider.pk])).status_code
            == 200
        )
