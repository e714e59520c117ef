"""Writes for accounts: departments, roles, invitations, the login lockout and the audit log.

Every service checks the actor's permission itself (a view's check is not enough) and raises
PermissionDenied for a forbidden write and ValidationError (German message) for bad input.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from kompass.accounts import selectors
from kompass.accounts.choices import AuditKind, Role
from kompass.accounts.models import (
    AuditEvent,
    Department,
    Invitation,
    LoginThrottle,
    RoleAssignment,
    User,
)
from kompass.catalogue.models import Topic
from kompass.municipalities.models import Municipality, Provider

# --- Audit log ---------------------------------------------------------------------------------


def _client_ip(request: HttpRequest | None) -> str | None:
    # Only REMOTE_ADDR: a forwarded header can be forged unless a trusted proxy sets it.
    if request is None:
        return None
    return request.META.get("REMOTE_ADDR") or None


def audit_record(
    kind: str,
    *,
    actor: User | None = None,
    subject_user: User | None = None,
    subject_name: str = "",
    municipality: Municipality | None = None,
    request: HttpRequest | None = None,
    detail: str = "",
) -> AuditEvent:
    """Append one entry to the security log."""
    if actor is not None and not actor.is_authenticated:
        actor = None
    return AuditEvent.objects.create(
        kind=kind,
        actor=actor,
        actor_name=actor.get_username() if actor else "",
        subject_user=subject_user,
        subject_name=(subject_name or (subject_user.get_username() if subject_user else ""))[:254],
        municipality=municipality,
        ip_address=_client_ip(request),
        detail=detail[:500],
    )


# --- Login lockout -----------------------------------------------------------------------------


def _max_failures() -> int:
    return getattr(settings, "KOMPASS_LOGIN_MAX_FAILURES", 10)


def _lockout_duration() -> timedelta:
    return timedelta(seconds=getattr(settings, "KOMPASS_LOGIN_LOCKOUT_SECONDS", 15 * 60))


def user_for_login(identifier: str) -> User | None:
    """The account a login name refers to: by username, else by e-mail if exactly one matches."""
    identifier = identifier.strip()
    if not identifier:
        return None
    user = User.objects.filter(username__iexact=identifier).first()
    if user is None and "@" in identifier:
        matches = list(User.objects.filter(email__iexact=identifier)[:2])
        user = matches[0] if len(matches) == 1 else None
    return user


def login_throttle_key(identifier: str, user: User | None) -> str:
    """Count failures per account, however it was named; unknown names count per typed name
    (so that an attacker cannot tell existing from unknown accounts by the lockout)."""
    if user is not None:
        return f"user:{user.pk}"
    return f"name:{identifier.strip().casefold()}"[:300]


def login_locked_until(key: str) -> datetime | None:
    """When the lockout for this key ends, or None if sign-in is allowed now."""
    locked_until = (
        LoginThrottle.objects.filter(key=key, locked_until__gt=timezone.now())
        .values_list("locked_until", flat=True)
        .first()
    )
    return locked_until


def login_failure_record(
    *, identifier: str, user: User | None, request: HttpRequest | None
) -> datetime | None:
    """Count one failed sign-in; lock the account after KOMPASS_LOGIN_MAX_FAILURES failures in a
    row (within the lockout period). Returns the end of the lockout if this failure caused one."""
    key = login_throttle_key(identifier, user)
    now = timezone.now()
    with transaction.atomic():
        throttle, _created = LoginThrottle.objects.select_for_update().get_or_create(key=key)
        expired = throttle.last_failure_at is not None and (
            throttle.last_failure_at < now - _lockout_duration()
            or (throttle.locked_until is not None and throttle.locked_until <= now)
        )
        if expired:
            throttle.failures = 0
            throttle.locked_until = None
        throttle.failures += 1
        throttle.last_failure_at = now
        locked_until = None
        if throttle.failures >= _max_failures():
            locked_until = now + _lockout_duration()
            throttle.locked_until = locked_until
        throttle.save(update_fields=["failures", "last_failure_at", "locked_until"])
        audit_record(
            AuditKind.LOGIN_FAILED,
            subject_user=user,
            subject_name=identifier,
            request=request,
            detail=_("Fehlversuch %(count)d von %(max)d")
            % {"count": throttle.failures, "max": _max_failures()},
        )
        if locked_until:
            audit_record(
                AuditKind.LOCKED_OUT,
                subject_user=user,
                subject_name=identifier,
                request=request,
                detail=_("gesperrt bis %(time)s")
                % {"time": timezone.localtime(locked_until).strftime("%d.%m.%Y %H:%M")},
            )
    return locked_until


def login_blocked_record(
    *, identifier: str, user: User | None, request: HttpRequest | None
) -> None:
    audit_record(
        AuditKind.LOGIN_BLOCKED, subject_user=user, subject_name=identifier, request=request
    )


def login_success_record(*, user: User, request: HttpRequest | None) -> None:
    LoginThrottle.objects.filter(key=login_throttle_key("", user)).delete()
    audit_record(AuditKind.LOGIN_SUCCEEDED, subject_user=user, actor=user, request=request)


def login_lockout_clear(*, user: User) -> None:
    """A successful password reset proves the person; lift their lockout."""
    LoginThrottle.objects.filter(key=login_throttle_key("", user)).delete()


# --- Departments -------------------------------------------------------------------------------


def _require_manager(actor: User, municipality: Municipality) -> None:
    if not selectors.can_manage_municipality(actor, municipality):
        raise PermissionDenied(_("Sie dürfen die Fachbereiche dieser Kommune nicht ändern."))


def _clean_department(department: Department) -> None:
    department.code = " ".join(department.code.split())
    department.name = " ".join(department.name.split())
    clash = (
        Department.objects.filter(
            municipality=department.municipality, code__iexact=department.code
        )
        .exclude(pk=department.pk)
        .exists()
    )
    if clash:
        raise ValidationError(
            {
                "code": _(
                    "Es gibt in dieser Kommune schon einen Fachbereich mit dem Kürzel „%(code)s“."
                )
                % {"code": department.code}
            }
        )
    department.full_clean()


def _save_department(department: Department, **kwargs) -> None:
    try:
        with transaction.atomic():
            department.save(**kwargs)
    except IntegrityError:  # a concurrent request took the code between check and save
        raise ValidationError(
            {"code": _("Es gibt in dieser Kommune schon einen Fachbereich mit diesem Kürzel.")}
        ) from None


@transaction.atomic
def department_create(
    *, municipality: Municipality, code: str, name: str, actor: User
) -> Department:
    _require_manager(actor, municipality)
    department = Department(municipality=municipality, code=code, name=name)
    _clean_department(department)
    _save_department(department)
    audit_record(
        AuditKind.DEPARTMENT_CREATED,
        actor=actor,
        municipality=municipality,
        detail=str(department),
    )
    return department


@transaction.atomic
def department_update(*, department: Department, code: str, name: str, actor: User) -> Department:
    _require_manager(actor, department.municipality)
    before = str(department)
    department.code = code
    department.name = name
    _clean_department(department)
    _save_department(department, update_fields=["code", "name"])
    audit_record(
        AuditKind.DEPARTMENT_CHANGED,
        actor=actor,
        municipality=department.municipality,
        detail=f"{before} → {department}",
    )
    return department


@transaction.atomic
def department_delete(*, department: Department, actor: User) -> None:
    """Delete an empty department; one that still has Bearbeiter (or data of other apps) stays."""
    _require_manager(actor, department.municipality)
    if RoleAssignment.objects.filter(department=department).exists():
        raise ValidationError(
            _(
                "Der Fachbereich hat noch Mitglieder. Entziehen Sie zuerst deren Rolle "
                "„Bearbeitung“ in diesem Fachbereich."
            )
        )
    # Invitations to the department (open or done) go with it; the audit log keeps their history.
    Invitation.objects.filter(department=department).delete()
    label = str(department)
    try:
        with transaction.atomic():
            department.delete()
    except (ProtectedError, IntegrityError):
        raise ValidationError(
            _("Der Fachbereich wird noch verwendet und kann nicht gelöscht werden.")
        ) from None
    audit_record(
        AuditKind.DEPARTMENT_DELETED,
        actor=actor,
        municipality=department.municipality,
        detail=label,
    )


# --- Roles -------------------------------------------------------------------------------------


def _scope_municipality(scope: RoleAssignment | Invitation) -> Municipality | None:
    return scope.municipality or scope.district


def _validate_scope(scope: RoleAssignment | Invitation) -> None:
    """Fill the derived scope fields and check that the role's scope is complete and consistent."""
    if scope.role == Role.EDITOR and scope.department is not None:
        scope.municipality = scope.department.municipality
    required = {
        Role.OPERATOR: ("provider",),
        Role.TOPIC_SPONSOR: ("provider", "topic"),
        Role.MUNICIPALITY_ADMIN: ("municipality",),
        Role.EDITOR: ("municipality", "department"),
    }.get(scope.role, ())
    for field in required:
        if getattr(scope, f"{field}_id") is None:
            raise ValidationError(
                {
                    field: _("Für diese Rolle ist die Angabe „%(field)s“ nötig.")
                    % {"field": scope._meta.get_field(field).verbose_name}
                }
            )
    if scope.role == Role.READER:
        given = [f for f in ("provider", "municipality", "district") if getattr(scope, f"{f}_id")]
        if len(given) != 1:
            raise ValidationError(
                _(
                    "Lesezugriff gilt entweder für eine Kommune, einen Kreis oder alle Mitgliedskommunen."
                )
            )
    if scope.district_id and scope.district.level != "district":
        raise ValidationError({"district": _("Bitte wählen Sie einen Kreis.")})
    allowed = {
        Role.OPERATOR: {"provider"},
        Role.TOPIC_SPONSOR: {"provider", "topic"},
        Role.MUNICIPALITY_ADMIN: {"municipality"},
        Role.EDITOR: {"municipality", "department"},
        Role.READER: {"provider", "municipality", "district"},
    }[scope.role]
    for field in ("provider", "municipality", "district", "department", "topic"):
        if field not in allowed:
            setattr(scope, field, None)


def _scope_fields(scope: RoleAssignment | Invitation) -> dict:
    return {
        "role": scope.role,
        "provider": scope.provider,
        "municipality": scope.municipality,
        "district": scope.district,
        "department": scope.department,
        "topic": scope.topic,
    }


@transaction.atomic
def role_grant(
    *,
    user: User,
    role: str,
    actor: User | None,
    provider: Provider | None = None,
    municipality: Municipality | None = None,
    district: Municipality | None = None,
    department: Department | None = None,
    topic: Topic | None = None,
    request: HttpRequest | None = None,
) -> RoleAssignment:
    """Give a person a role with its scope. actor None is the system (demo data, invitations
    whose inviter was checked when inviting)."""
    assignment = RoleAssignment(
        user=user,
        role=role,
        provider=provider,
        municipality=municipality,
        district=district,
        department=department,
        topic=topic,
        granted_by=actor,
    )
    _validate_scope(assignment)
    if actor is not None and not selectors.can_grant_role(actor, **_scope_fields(assignment)):
        raise PermissionDenied(_("Sie dürfen diese Rolle nicht vergeben."))
    duplicate = RoleAssignment.objects.filter(user=user, **_scope_fields(assignment)).exists()
    if duplicate:
        raise ValidationError(_("Diese Person hat diese Rolle bereits."))
    assignment.save()
    selectors.forget_cached_roles(user)
    audit_record(
        AuditKind.ROLE_GRANTED,
        actor=actor,
        subject_user=user,
        municipality=_scope_municipality(assignment),
        request=request,
        detail=f"{assignment.get_role_display()}: {assignment.scope_label()}",
    )
    return assignment


@transaction.atomic
def role_revoke(
    *, assignment: RoleAssignment, actor: User, request: HttpRequest | None = None
) -> None:
    if not selectors.can_change_assignment(actor, assignment):
        raise PermissionDenied(_("Sie dürfen diese Rolle nicht entziehen."))
    if assignment.user_id == actor.pk:
        raise ValidationError(
            _(
                "Sie können sich Ihre eigene Rolle nicht selbst entziehen. Bitten Sie eine andere "
                "berechtigte Person darum."
            )
        )
    detail = f"{assignment.get_role_display()}: {assignment.scope_label()}"
    municipality = _scope_municipality(assignment)
    user = assignment.user
    assignment.delete()
    selectors.forget_cached_roles(user)
    audit_record(
        AuditKind.ROLE_REVOKED,
        actor=actor,
        subject_user=user,
        municipality=municipality,
        request=request,
        detail=detail,
    )


# --- Invitations -------------------------------------------------------------------------------


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _invitation_lifetime() -> timedelta:
    return timedelta(days=getattr(settings, "KOMPASS_INVITATION_DAYS", 7))


@transaction.atomic
def invitation_create(
    *,
    email: str,
    role: str,
    actor: User,
    site_url: str,
    provider: Provider | None = None,
    municipality: Municipality | None = None,
    district: Municipality | None = None,
    department: Department | None = None,
    topic: Topic | None = None,
    request: HttpRequest | None = None,
) -> Invitation:
    """Invite a person by e-mail to a role. The e-mail carries a one-time link (site_url + path)
    that expires after KOMPASS_INVITATION_DAYS days; only the token's hash is stored."""
    email = User.objects.normalize_email(email.strip())
    invitation = Invitation(
        email=email,
        role=role,
        provider=provider,
        municipality=municipality,
        district=district,
        department=department,
        topic=topic,
        invited_by=actor,
        expires_at=timezone.now() + _invitation_lifetime(),
    )
    _validate_scope(invitation)
    if not selectors.can_grant_role(actor, **_scope_fields(invitation)):
        raise PermissionDenied(_("Sie dürfen zu dieser Rolle nicht einladen."))
    if User.objects.filter(email__iexact=email).exists():
        raise ValidationError(
            {
                "email": _(
                    "Für diese E-Mail-Adresse gibt es bereits ein Konto. Die Rolle kann ihm "
                    "direkt vergeben werden."
                )
            }
        )
    token = secrets.token_urlsafe(32)
    invitation.token_hash = _token_hash(token)
    invitation.full_clean(exclude=["token_hash"])
    invitation.save()
    link = site_url.rstrip("/") + reverse("accounts:invitation-accept", kwargs={"token": token})
    context = {"invitation": invitation, "link": link, "actor": actor}
    message = EmailMessage(
        subject=render_to_string("accounts/email/invitation_subject.txt", context).strip(),
        body=render_to_string("accounts/email/invitation_body.txt", context),
        to=[email],
    )
    # Sent after commit: a rolled-back invitation must not reach anyone.
    transaction.on_commit(message.send)
    audit_record(
        AuditKind.INVITATION_SENT,
        actor=actor,
        subject_name=email,
        municipality=_scope_municipality(invitation),
        request=request,
        detail=f"{invitation.get_role_display()}: {invitation.scope_label()}",
    )
    return invitation


def invitation_for_token(token: str) -> Invitation | None:
    """The open invitation this link token belongs to, or None (unknown, used, revoked, expired)."""
    if not token or len(token) > 100:
        return None
    invitation = (
        Invitation.objects.filter(token_hash=_token_hash(token))
        .select_related("provider", "municipality", "district", "department", "topic", "invited_by")
        .first()
    )
    return invitation if invitation is not None and invitation.is_open else None


@transaction.atomic
def invitation_accept(
    *,
    invitation: Invitation,
    username: str,
    password: str,
    first_name: str = "",
    last_name: str = "",
    request: HttpRequest | None = None,
) -> User:
    """Create the invited person's account with the chosen password and give them the role.
    The link works once: the invitation is marked accepted."""
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if not invitation.is_open:
        raise ValidationError(_("Diese Einladung ist abgelaufen oder wurde bereits verwendet."))
    inviter = invitation.invited_by
    if inviter is None or not selectors.can_change_assignment(inviter, invitation):
        # The inviter has lost the right to grant this role since inviting.
        raise ValidationError(
            _("Diese Einladung ist nicht mehr gültig. Bitte fragen Sie nach einer neuen.")
        )
    username = username.strip()
    if User.objects.filter(username__iexact=username).exists():
        raise ValidationError({"username": _("Dieser Benutzername ist bereits vergeben.")})
    if User.objects.filter(email__iexact=invitation.email).exists():
        raise ValidationError(_("Für diese E-Mail-Adresse gibt es bereits ein Konto."))
    user = User(
        username=username,
        email=invitation.email,
        first_name=first_name.strip(),
        last_name=last_name.strip(),
    )
    user.full_clean(exclude=["password"])
    validate_password(password, user)
    user.set_password(password)
    user.save()
    role_grant(user=user, actor=None, request=request, **_scope_fields(invitation))
    invitation.accepted_at = timezone.now()
    invitation.accepted_by = user
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    audit_record(
        AuditKind.INVITATION_ACCEPTED,
        actor=user,
        subject_user=user,
        municipality=_scope_municipality(invitation),
        request=request,
        detail=f"{invitation.get_role_display()}: {invitation.scope_label()}",
    )
    return user


@transaction.atomic
def invitation_revoke(
    *, invitation: Invitation, actor: User, request: HttpRequest | None = None
) -> None:
    if not selectors.can_change_assignment(actor, invitation):
        raise PermissionDenied(_("Sie dürfen diese Einladung nicht zurückziehen."))
    if not invitation.is_open:
        raise ValidationError(_("Diese Einladung ist nicht mehr offen."))
    invitation.revoked_at = timezone.now()
    invitation.save(update_fields=["revoked_at"])
    audit_record(
        AuditKind.INVITATION_REVOKED,
        actor=actor,
        subject_name=invitation.email,
        municipality=_scope_municipality(invitation),
        request=request,
    )


# --- Demo data ---------------------------------------------------------------------------------

DEMO_PROVIDER_SLUG = "krz-demo"
DEMO_PASSWORD = "demo"  # noqa: S105 - demo data only, never loaded in production
LEMGO_ARS = "057660044044"
HERFORD_ARS = "057580012012"
KREIS_LIPPE_ARS = "057660000000"
DEMO_TOPIC_CODES = ("familie_kind", "mobilitaet_reisen")


def _demo_user(username: str, first_name: str, last_name: str) -> User:
    user, created = User.objects.get_or_create(
        username=username,
        defaults={
            "first_name": first_name,
            "last_name": last_name,
            "email": f"{username}@demo.invalid",
        },
    )
    if created or not user.check_password(DEMO_PASSWORD):
        user.set_password(DEMO_PASSWORD)
        user.save(update_fields=["password"])
    return user


def _demo_role(user: User, **scope) -> None:
    if not RoleAssignment.objects.filter(user=user, **scope).exists():
        role_grant(user=user, actor=None, **scope)


@transaction.atomic
def demo_accounts_create() -> list[tuple[str, str]]:
    """Create the demo accounts (password "demo") for the demo provider; idempotent.

    Expects the Provider "krz-demo" with its member Kommunen and the catalogue's Themenfelder.
    Never call this in production: the password is public.
    """
    provider = Provider.objects.get(slug=DEMO_PROVIDER_SLUG)
    municipalities = {
        m.ars: m
        for m in Municipality.objects.filter(ars__in=[LEMGO_ARS, HERFORD_ARS, KREIS_LIPPE_ARS])
    }
    missing = {LEMGO_ARS, HERFORD_ARS, KREIS_LIPPE_ARS} - municipalities.keys()
    if missing:
        raise LookupError(f"Demo Kommunen missing (ARS {', '.join(sorted(missing))}).")
    topics = list(Topic.objects.filter(code__in=DEMO_TOPIC_CODES).order_by("position"))
    if len(topics) != len(DEMO_TOPIC_CODES):
        raise LookupError("Demo Themenfelder missing: import the catalogue first.")
    lemgo, herford, lippe = (
        municipalities[LEMGO_ARS],
        municipalities[HERFORD_ARS],
        municipalities[KREIS_LIPPE_ARS],
    )
    citizen_service = Department.objects.filter(municipality=lemgo, code="FB 1").first()
    if citizen_service is None:
        citizen_service = Department.objects.create(
            municipality=lemgo, code="FB 1", name="Bürgerservice"
        )

    operator = _demo_user("betrieb", "Bea", "Betrieb")
    _demo_role(operator, role=Role.OPERATOR, provider=provider)
    sponsor = _demo_user("pate", "Paul", "Pate")
    for topic in topics:
        _demo_role(sponsor, role=Role.TOPIC_SPONSOR, provider=provider, topic=topic)
    lemgo_admin = _demo_user("lemgo-admin", "Lena", "Lemgo")
    _demo_role(lemgo_admin, role=Role.MUNICIPALITY_ADMIN, municipality=lemgo)
    lemgo_editor = _demo_user("lemgo-sb", "Sven", "Sachbearbeiter")
    _demo_role(lemgo_editor, role=Role.EDITOR, municipality=lemgo, department=citizen_service)
    herford_admin = _demo_user("herford-admin", "Hanna", "Herford")
    _demo_role(herford_admin, role=Role.MUNICIPALITY_ADMIN, municipality=herford)
    reader = _demo_user("leser", "Lara", "Leser")
    _demo_role(reader, role=Role.READER, district=lippe)

    topic_names = " und ".join(str(t) for t in topics)
    return [
        ("betrieb", f"Plattformbetrieb für alle Mitgliedskommunen von {provider}"),
        ("pate", f"Themenpate für {topic_names}"),
        ("lemgo-admin", f"Kommune-Administration für {lemgo}"),
        ("lemgo-sb", f"Bearbeitung in {lemgo}, Fachbereich {citizen_service}"),
        ("herford-admin", f"Kommune-Administration für {herford}"),
        ("leser", f"Lesezugriff auf alle Kommunen des Kreises {lippe}"),
    ]
