import pytest
from django.contrib.auth.models import AnonymousUser
from django.http import Http404

from kompass.accounts import selectors
from kompass.accounts.choices import Role
from kompass.accounts.tests.factories import UserFactory, grant


def names(queryset):
    return sorted(m.name for m in queryset)


def test_visibility_per_role(world):
    w = world
    krz = sorted(["Lippe", "Lemgo, Stadt", "Herford", "Herford, Hansestadt"])
    assert names(selectors.municipalities_visible_to(w.operator)) == krz
    assert names(selectors.municipalities_visible_to(w.sponsor)) == krz
    assert names(selectors.municipalities_visible_to(w.lemgo_admin)) == ["Lemgo, Stadt"]
    assert names(selectors.municipalities_visible_to(w.lemgo_editor)) == ["Lemgo, Stadt"]
    assert names(selectors.municipalities_visible_to(w.reader)) == ["Lemgo, Stadt", "Lippe"]
    assert names(selectors.municipalities_visible_to(w.herford_admin)) == ["Herford, Hansestadt"]
    assert names(selectors.municipalities_visible_to(AnonymousUser())) == []
    assert names(selectors.municipalities_visible_to(UserFactory())) == []


def test_edit_and_manage_rights(world):
    w = world
    assert selectors.can_edit_municipality(w.lemgo_editor, w.lemgo)
    assert not selectors.can_manage_municipality(w.lemgo_editor, w.lemgo)
    assert selectors.can_manage_municipality(w.lemgo_admin, w.lemgo)
    assert not selectors.can_view_municipality(w.lemgo_admin, w.herford)
    assert selectors.can_view_municipality(w.reader, w.lemgo)
    assert not selectors.can_edit_municipality(w.reader, w.lemgo)
    assert not selectors.can_view_municipality(w.reader, w.herford)
    assert selectors.can_manage_municipality(w.operator, w.herford)
    assert not selectors.can_view_municipality(w.operator, w.bielefeld)
    assert selectors.can_view_municipality(w.sponsor, w.herford)
    assert not selectors.can_edit_municipality(w.sponsor, w.herford)
    assert names(selectors.municipalities_editable_by(w.reader)) == []
    assert names(selectors.municipalities_editable_by(w.lemgo_editor)) == ["Lemgo, Stadt"]
    assert names(selectors.municipalities_managed_by(w.lemgo_editor)) == []


def test_single_object_selectors_answer_404_for_other_tenants(world):
    w = world
    assert selectors.municipality_get_for_user(user=w.lemgo_editor, pk=w.lemgo.pk) == w.lemgo
    for pk in (w.herford.pk, w.bielefeld.pk, 999_999):
        with pytest.raises(Http404):
            selectors.municipality_get_for_user(user=w.lemgo_editor, pk=pk)
    with pytest.raises(Http404):
        selectors.department_get_for_user(user=w.herford_admin, pk=w.lemgo_department.pk)
    with pytest.raises(Http404):
        selectors.role_assignment_get_for_user(user=w.herford_admin, pk=w.lemgo_editor_role.pk)
    with pytest.raises(Http404):
        selectors.invitation_get_for_user(user=w.lemgo_admin, pk=w.herford_invitation.pk)
    with pytest.raises(Http404):
        selectors.provider_get_for_operator(user=w.lemgo_admin, pk=w.provider.pk)
    assert selectors.provider_get_for_operator(user=w.operator, pk=w.provider.pk) == w.provider


def test_topics_and_departments(world):
    w = world
    assert list(selectors.topics_sponsored_by(w.sponsor)) == [w.topic]
    assert selectors.can_decide_relevance(w.sponsor, w.topic)
    assert not selectors.can_decide_relevance(w.sponsor, w.other_topic)
    assert selectors.can_decide_relevance(w.operator, w.other_topic)
    assert not selectors.can_decide_relevance(w.lemgo_admin, w.topic)
    assert selectors.department_ids_of(w.lemgo_editor) == {w.lemgo_department.pk}
    assert selectors.department_ids_of(w.lemgo_editor, w.herford) == set()


def test_grant_rules_never_above_own_role(world):
    w = world
    assert selectors.can_grant_role(
        w.lemgo_admin, role=Role.EDITOR, municipality=w.lemgo, department=w.lemgo_department
    )
    assert selectors.can_grant_role(
        w.lemgo_admin, role=Role.MUNICIPALITY_ADMIN, municipality=w.lemgo
    )
    assert not selectors.can_grant_role(w.lemgo_admin, role=Role.OPERATOR, provider=w.provider)
    assert not selectors.can_grant_role(w.lemgo_admin, role=Role.READER, district=w.lippe)
    assert not selectors.can_grant_role(w.lemgo_admin, role=Role.READER, municipality=w.herford)
    assert not selectors.can_grant_role(
        w.lemgo_admin, role=Role.EDITOR, municipality=w.lemgo, department=w.herford_department
    )
    assert not selectors.can_grant_role(w.lemgo_editor, role=Role.READER, municipality=w.lemgo)
    assert selectors.can_grant_role(w.operator, role=Role.OPERATOR, provider=w.provider)
    assert selectors.can_grant_role(w.operator, role=Role.READER, district=w.kreis_herford)
    assert not selectors.can_grant_role(w.operator, role=Role.READER, municipality=w.bielefeld)
    assert not selectors.can_grant_role(w.operator, role=Role.OPERATOR, provider=w.other_provider)


def test_roles_are_loaded_once_per_user_object(world, django_assert_num_queries):
    user = world.lemgo_admin
    selectors.role_assignments_of(user)
    with django_assert_num_queries(0):
        selectors.can_manage_municipality(user, world.lemgo)
        selectors.can_view_municipality(user, world.lemgo)
        selectors.is_platform_operator(user)


def test_only_provider_roles_read_the_kommunes_providers(world, django_assert_num_queries):
    """A Bearbeiter's "may manage?" on every page of the workspace needs no query; an operator's
    needs each Kommune's providers once."""
    editor, operator = world.lemgo_editor, world.operator
    selectors.role_assignments_of(editor)
    selectors.role_assignments_of(operator)
    with django_assert_num_queries(0):
        assert not selectors.can_manage_municipality(editor, world.lemgo)
        assert not selectors.can_grant_role(editor, role=Role.READER, district=world.lippe)
    with django_assert_num_queries(2):
        assert selectors.can_manage_municipality(operator, world.lemgo)
        assert not selectors.can_manage_municipality(operator, world.bielefeld)
        assert selectors.can_edit_municipality(operator, world.lemgo)


def test_inactive_user_has_no_access(world):
    user = UserFactory(is_active=False)
    grant(user, Role.MUNICIPALITY_ADMIN, municipality=world.lemgo)
    assert names(selectors.municipalities_visible_to(user)) == []
    assert not selectors.can_view_municipality(user, world.lemgo)
