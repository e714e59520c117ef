"""Who may see and change what: the one access chokepoint for tenant-owned data.

Every app that stores data of a Kommune fetches it through functions that take the user, and
answers 404 for another tenant's objects (the same as for objects that do not exist). Use:

Querysets (compose them into your own selectors):
    municipalities_visible_to(user)   Kommunen whose data the user may read
    municipalities_editable_by(user)  Kommunen whose implementation data the user may change
                                      (operators, Kommune admins, Bearbeiter)
    municipalities_managed_by(user)   Kommunen whose departments, users and roles the user manages
                                      (operators, Kommune admins)
    departments_visible_to(user)      departments of the visible Kommunen
    topics_sponsored_by(user)         Themenfelder whose relevance the user decides

Checks for one object (cheap after the first call: a user's roles are cached on the user object):
    can_view_municipality(user, m) / can_edit_municipality(user, m) / can_manage_municipality(user, m)
    can_decide_relevance(user, topic)
    is_platform_operator(user), has_role(user, role), department_ids_of(user, municipality=None)

Single objects (raise Http404 when invisible):
    municipality_get_for_user(*, user, pk), department_get_for_user(*, user, pk),
    role_assignment_get_for_user(*, user, pk), invitation_get_for_user(*, user, pk),
    provider_get_for_operator(*, user, pk)

Views raise PermissionDenied (403) only when the user may see an object but not change it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.db.models import Q, QuerySet
from django.http import Http404

from kompass.accounts.choices import Role
from kompass.accounts.models import AuditEvent, Department, Invitation, RoleAssignment, User
from kompass.catalogue.models import Topic
from kompass.municipalities.models import Municipality, Provider

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    AnyUser = User | AnonymousUser

_CACHE_ATTRIBUTE = "_kompass_role_assignments"
_MEMBERSHIP = Provider.members.through


def role_assignments_of(user: AnyUser) -> list[RoleAssignment]:
    """The user's roles, loaded once per user object (i.e. once per request). Every request
    reads them, and the checks need only the role and the ids of its scope: no joins (they cost
    more to plan than to run). role_assignments_for_display names the scopes."""
    if not user.is_authenticated or not user.is_active:
        return []
    cached = getattr(user, _CACHE_ATTRIBUTE, None)
    if cached is None:
        cached = list(RoleAssignment.objects.filter(user=user).order_by("pk"))
        setattr(user, _CACHE_ATTRIBUTE, cached)
    return cached


def role_assignments_for_display(user: AnyUser) -> list[RoleAssignment]:
    """The user's roles with the names of their Kommune, Kreis, provider, department, topic."""
    if not user.is_authenticated:
        return []
    return list(
        RoleAssignment.objects.filter(user=user).select_related(
            "provider", "municipality", "district", "department", "topic"
        )
    )


def forget_cached_roles(user: AnyUser) -> None:
    """Call after changing a user's roles within the same request."""
    if hasattr(user, _CACHE_ATTRIBUTE):
        delattr(user, _CACHE_ATTRIBUTE)


def _ids(assignments: Iterable[RoleAssignment], attribute: str, *roles: str) -> set[int]:
    return {
        getattr(a, attribute)
        for a in assignments
        if a.role in roles and getattr(a, attribute) is not None
    }


def has_role(user: AnyUser, role: str) -> bool:
    return any(a.role == role for a in role_assignments_of(user))


def is_superuser(user: AnyUser) -> bool:
    return bool(user.is_authenticated and user.is_active and user.is_superuser)


def is_platform_operator(user: AnyUser) -> bool:
    """Staff of an IT service provider (or a superuser): sees all the provider's member Kommunen."""
    return is_superuser(user) or has_role(user, Role.OPERATOR)


def operator_provider_ids(user: AnyUser) -> set[int]:
    return _ids(role_assignments_of(user), "provider_id", Role.OPERATOR)


def _members_of(provider_ids: set[int]) -> Q:
    return Q(
        pk__in=_MEMBERSHIP.objects.filter(provider_id__in=provider_ids).values("municipality_id")
    )


def _no_municipality() -> Q:
    return Q(pk__in=[])


def municipalities_visible_to(user: AnyUser) -> QuerySet[Municipality]:
    """Kommunen whose data the user may read (every role reads within its scope)."""
    if is_superuser(user):
        return Municipality.objects.all()
    roles = role_assignments_of(user)
    if not roles:
        return Municipality.objects.none()
    provider_ids = _ids(roles, "provider_id", Role.OPERATOR, Role.TOPIC_SPONSOR, Role.READER)
    own_ids = _ids(roles, "municipality_id", Role.MUNICIPALITY_ADMIN, Role.EDITOR, Role.READER)
    district_ids = _ids(roles, "district_id", Role.READER)
    condition = _no_municipality()
    if provider_ids:
        condition |= _members_of(provider_ids)
    if own_ids:
        condition |= Q(pk__in=own_ids)
    if district_ids:
        condition |= Q(pk__in=district_ids) | Q(district_id__in=district_ids)
    return Municipality.objects.filter(condition)


def municipalities_editable_by(user: AnyUser) -> QuerySet[Municipality]:
    """Kommunen whose implementation data the user may change (not: departments, users)."""
    if is_superuser(user):
        return Municipality.objects.all()
    roles = role_assignments_of(user)
    provider_ids = _ids(roles, "provider_id", Role.OPERATOR)
    own_ids = _ids(roles, "municipality_id", Role.MUNICIPALITY_ADMIN, Role.EDITOR)
    if not provider_ids and not own_ids:
        return Municipality.objects.none()
    condition = Q(pk__in=own_ids)
    if provider_ids:
        condition |= _members_of(provider_ids)
    return Municipality.objects.filter(condition)


def municipalities_managed_by(user: AnyUser) -> QuerySet[Municipality]:
    """Kommunen whose departments, users, roles and invitations the user manages."""
    if is_superuser(user):
        return Municipality.objects.all()
    roles = role_assignments_of(user)
    provider_ids = _ids(roles, "provider_id", Role.OPERATOR)
    own_ids = _ids(roles, "municipality_id", Role.MUNICIPALITY_ADMIN)
    if not provider_ids and not own_ids:
        return Municipality.objects.none()
    condition = Q(pk__in=own_ids)
    if provider_ids:
        condition |= _members_of(provider_ids)
    return Municipality.objects.filter(condition)


def _provider_ids_of_municipality(municipality: Municipality) -> set[int]:
    cache = getattr(municipality, "_kompass_provider_ids", None)
    if cache is None:
        cache = set(
            _MEMBERSHIP.objects.filter(municipality_id=municipality.pk).values_list(
                "provider_id", flat=True
            )
        )
        municipality._kompass_provider_ids = cache
    return cache


def _reaches(user: AnyUser, municipality: Municipality, *, mode: str) -> bool:
    if is_superuser(user):
        return True
    roles = role_assignments_of(user)
    if not roles:
        return False
    provider_roles = {
        "view": (Role.OPERATOR, Role.TOPIC_SPONSOR, Role.READER),
        "edit": (Role.OPERATOR,),
        "manage": (Role.OPERATOR,),
    }[mode]
    own_roles = {
        "view": (Role.MUNICIPALITY_ADMIN, Role.EDITOR, Role.READER),
        "edit": (Role.MUNICIPALITY_ADMIN, Role.EDITOR),
        "manage": (Role.MUNICIPALITY_ADMIN,),
    }[mode]
    if municipality.pk in _ids(roles, "municipality_id", *own_roles):
        return True
    if mode == "view":
        district_ids = _ids(roles, "district_id", Role.READER)
        if municipality.pk in district_ids or municipality.district_id in district_ids:
            return True
    provider_ids = _ids(roles, "provider_id", *provider_roles)
    # Only people with a provider role need the Kommune's providers (one query).
    return bool(provider_ids) and bool(provider_ids & _provider_ids_of_municipality(municipality))


def can_view_municipality(user: AnyUser, municipality: Municipality) -> bool:
    return _reaches(user, municipality, mode="view")


def can_edit_municipality(user: AnyUser, municipality: Municipality) -> bool:
    """May change the Kommune's implementation data (operators, Kommune admins, Bearbeiter)."""
    return _reaches(user, municipality, mode="edit")


def can_manage_municipality(user: AnyUser, municipality: Municipality) -> bool:
    """May manage the Kommune's departments, users, roles and invitations."""
    return _reaches(user, municipality, mode="manage")


def department_ids_of(user: AnyUser, municipality: Municipality | None = None) -> set[int]:
    """The departments the user works in as Bearbeiter ("own department's Leistungen first")."""
    return {
        a.department_id
        for a in role_assignments_of(user)
        if a.role == Role.EDITOR and (municipality is None or a.municipality_id == municipality.pk)
    }


def topics_sponsored_by(user: AnyUser) -> QuerySet[Topic]:
    """Themenfelder whose relevance the user decides: a Themenpate's own; all for operators."""
    if is_platform_operator(user):
        return Topic.objects.all()
    return Topic.objects.filter(
        pk__in=_ids(role_assignments_of(user), "topic_id", Role.TOPIC_SPONSOR)
    )


def can_decide_relevance(user: AnyUser, topic: Topic) -> bool:
    if is_platform_operator(user):
        return True
    return topic.pk in _ids(role_assignments_of(user), "topic_id", Role.TOPIC_SPONSOR)


def municipality_get_for_user(*, user: AnyUser, pk: int) -> Municipality:
    """The Kommune if the user may see it; otherwise 404, exactly as if it did not exist.

    The people of a Kommune (most requests) open their own: that is known from their roles
    without building the query of everything they may see."""
    own_ids = _ids(
        role_assignments_of(user),
        "municipality_id",
        Role.MUNICIPALITY_ADMIN,
        Role.EDITOR,
        Role.READER,
    )
    candidates = Municipality.objects.all() if pk in own_ids else municipalities_visible_to(user)
    try:
        return candidates.select_related("district").get(pk=pk)
    except Municipality.DoesNotExist:
        raise Http404 from None


def departments_visible_to(user: AnyUser) -> QuerySet[Department]:
    return Department.objects.filter(municipality__in=municipalities_visible_to(user))


def department_get_for_user(*, user: AnyUser, pk: int) -> Department:
    try:
        return departments_visible_to(user).select_related("municipality").get(pk=pk)
    except Department.DoesNotExist:
        raise Http404 from None


def providers_operated_by(user: AnyUser) -> QuerySet[Provider]:
    if is_superuser(user):
        return Provider.objects.all()
    return Provider.objects.filter(pk__in=operator_provider_ids(user))


def provider_get_for_operator(*, user: AnyUser, pk: int) -> Provider:
    try:
        return providers_operated_by(user).get(pk=pk)
    except Provider.DoesNotExist:
        raise Http404 from None


def _scoped_to_manageable(queryset: QuerySet, user: AnyUser) -> QuerySet:
    """Role assignments/invitations the user may see: those of Kommunen they manage, and for
    operators also the provider-wide ones (operators, Themenpaten, Kreis and provider readers)."""
    if is_superuser(user):
        return queryset
    managed = municipalities_managed_by(user)
    condition = Q(municipality__in=managed)
    provider_ids = operator_provider_ids(user)
    if provider_ids:
        condition |= Q(provider_id__in=provider_ids) | Q(district__in=managed)
    return queryset.filter(condition)


def role_assignments_visible_to(user: AnyUser) -> QuerySet[RoleAssignment]:
    return _scoped_to_manageable(RoleAssignment.objects.all(), user)


def role_assignment_get_for_user(*, user: AnyUser, pk: int) -> RoleAssignment:
    try:
        return (
            role_assignments_visible_to(user)
            .select_related("user", "provider", "municipality", "district", "department", "topic")
            .get(pk=pk)
        )
    except RoleAssignment.DoesNotExist:
        raise Http404 from None


def invitations_visible_to(user: AnyUser) -> QuerySet[Invitation]:
    return _scoped_to_manageable(Invitation.objects.all(), user)


def invitation_get_for_user(*, user: AnyUser, pk: int) -> Invitation:
    try:
        return (
            invitations_visible_to(user)
            .select_related("provider", "municipality", "district", "department", "topic")
            .get(pk=pk)
        )
    except Invitation.DoesNotExist:
        raise Http404 from None


def municipality_role_assignments(municipality: Municipality) -> QuerySet[RoleAssignment]:
    """The roles held in one Kommune, for its users page."""
    return (
        RoleAssignment.objects.filter(municipality=municipality)
        .select_related("user", "department", "municipality")
        .order_by("user__username", "role", "department__code")
    )


def provider_role_assignments(provider: Provider) -> QuerySet[RoleAssignment]:
    """Provider-wide roles: operators, Themenpaten, readers for a Kreis or all members."""
    members = Municipality.objects.filter(providers=provider)
    return (
        RoleAssignment.objects.filter(Q(provider=provider) | Q(district__in=members))
        .select_related("user", "provider", "district", "topic")
        .order_by("role", "user__username", "topic__position")
    )


def users_grantable_by(
    user: AnyUser, *, municipality: Municipality | None = None
) -> QuerySet[User]:
    """People a role can be given to: operators choose anyone; a Kommune admin only people who
    already hold a role in that Kommune (new people come by invitation), so that no admin learns
    the names of another Kommune's staff."""
    users = User.objects.filter(is_active=True).order_by("username")
    if is_platform_operator(user):
        return users
    if municipality is None or not can_manage_municipality(user, municipality):
        return users.none()
    return users.filter(role_assignments__municipality=municipality).distinct()


def audit_events_visible_to(user: AnyUser) -> QuerySet[AuditEvent]:
    """The security log, for platform operators: events of their member Kommunen and events
    without a Kommune (failed logins, lockouts, provider-wide roles)."""
    if is_superuser(user):
        return AuditEvent.objects.all()
    if not is_platform_operator(user):
        return AuditEvent.objects.none()
    members = Municipality.objects.filter(_members_of(operator_provider_ids(user)))
    return AuditEvent.objects.filter(Q(municipality__isnull=True) | Q(municipality__in=members))


def can_grant_role(
    user: AnyUser,
    *,
    role: str,
    provider: Provider | None = None,
    municipality: Municipality | None = None,
    district: Municipality | None = None,
    department: Department | None = None,
    topic: Topic | None = None,
) -> bool:
    """Whether the user may grant (or revoke, or invite to) this role with this scope.

    Operators grant every role within their provider; a Kommune admin grants the roles of their
    own Kommune (admin, Bearbeiter, reader) and never a role above their own.
    """
    if is_superuser(user):
        return True
    operated = operator_provider_ids(user)
    if role in (Role.OPERATOR, Role.TOPIC_SPONSOR):
        return provider is not None and provider.pk in operated
    if role == Role.READER and provider is not None:
        return provider.pk in operated
    if role == Role.READER and district is not None:
        return bool(operated) and bool(operated & _provider_ids_of_municipality(district))
    if municipality is None:
        return False
    if department is not None and department.municipality_id != municipality.pk:
        return False
    return can_manage_municipality(user, municipality)


def can_change_assignment(user: AnyUser, scope) -> bool:
    """can_grant_role for an existing RoleAssignment or Invitation."""
    return can_grant_role(
        user,
        role=scope.role,
        provider=scope.provider,
        municipality=scope.municipality,
        district=scope.district,
        department=scope.department,
        topic=scope.topic,
    )
