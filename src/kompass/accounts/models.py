"""People, their roles and the organisation of a Kommune (departments), plus the security log.

Access rules live in kompass.accounts.selectors (reads) and kompass.accounts.services (writes);
these models only hold the facts.
"""

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kompass.accounts.choices import AuditKind, Role


class User(AbstractUser):
    """A person who signs in. Roles and tenant membership hang on this user (RoleAssignment)."""

    class Meta:
        verbose_name = _("Benutzer")
        verbose_name_plural = _("Benutzer")

    def __str__(self) -> str:
        full_name = self.get_full_name()
        return f"{full_name} ({self.username})" if full_name else self.username


def person_name(*, username: str | None, first_name: str | None, last_name: str | None) -> str:
    """How a person is named where only their columns were read (a LEFT JOIN may give None):
    as User.get_full_name(), else the user name."""
    full_name = f"{first_name or ''} {last_name or ''}".strip()
    return full_name or (username or "")


department_code_validator = RegexValidator(
    regex=r"^[\w.\-/]+( [\w.\-/]+)*$",
    message=_(
        "Das Kürzel darf nur Buchstaben, Ziffern, Punkt, Bindestrich, Schrägstrich, "
        "Unterstrich und einzelne Leerzeichen enthalten."
    ),
)


class Department(models.Model):
    """Fachbereich or Amt of one Kommune, e.g. "FB 3 Bürgerservice"; the code is unique per Kommune."""

    municipality = models.ForeignKey(
        "municipalities.Municipality",
        on_delete=models.PROTECT,
        related_name="departments",
        verbose_name=_("Kommune"),
    )
    code = models.CharField(_("Kürzel"), max_length=20, validators=[department_code_validator])
    name = models.CharField(_("Bezeichnung"), max_length=200)
    created_at = models.DateTimeField(_("angelegt am"), auto_now_add=True)

    class Meta:
        verbose_name = _("Fachbereich")
        verbose_name_plural = _("Fachbereiche")
        ordering = ["municipality", "code"]
        constraints = [
            models.UniqueConstraint(
                F("municipality"),
                Lower("code"),
                name="accounts_department_unique_code",
                violation_error_message=_(
                    "Diese Kommune hat bereits einen Fachbereich mit diesem Kürzel."
                ),
            )
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class RoleScope(models.Model):
    """A role together with the objects it applies to; shared by assignments and invitations.

    Which scope fields a role uses:
    operator → provider; topic_sponsor → provider + topic; municipality_admin → municipality;
    editor → municipality + department; reader → exactly one of municipality, district, provider.
    """

    role = models.CharField(_("Rolle"), max_length=24, choices=Role.choices)
    provider = models.ForeignKey(
        "municipalities.Provider",
        on_delete=models.CASCADE,
        related_name="+",
        null=True,
        blank=True,
        verbose_name=_("IT-Dienstleister"),
    )
    municipality = models.ForeignKey(
        "municipalities.Municipality",
        on_delete=models.CASCADE,
        related_name="+",
        null=True,
        blank=True,
        verbose_name=_("Kommune"),
    )
    # A reader for a Kreis sees the Kreis and all its member Gemeinden.
    district = models.ForeignKey(
        "municipalities.Municipality",
        on_delete=models.CASCADE,
        related_name="+",
        null=True,
        blank=True,
        verbose_name=_("Kreis"),
    )
    department = models.ForeignKey(
        Department,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        verbose_name=_("Fachbereich"),
    )
    topic = models.ForeignKey(
        "catalogue.Topic",
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        verbose_name=_("Themenfeld"),
    )

    class Meta:
        abstract = True

    @staticmethod
    def scope_is_consistent() -> Q:
        """The database-level rule behind the docstring table: each role uses exactly its fields."""
        nothing_else = {"district": None, "department": None, "topic": None}
        return (
            Q(
                role=Role.OPERATOR,
                provider__isnull=False,
                municipality__isnull=True,
                **{f"{k}__isnull": True for k in nothing_else},
            )
            | Q(
                role=Role.TOPIC_SPONSOR,
                provider__isnull=False,
                topic__isnull=False,
                municipality__isnull=True,
                district__isnull=True,
                department__isnull=True,
            )
            | Q(
                role=Role.MUNICIPALITY_ADMIN,
                municipality__isnull=False,
                provider__isnull=True,
                **{f"{k}__isnull": True for k in nothing_else},
            )
            | Q(
                role=Role.EDITOR,
                municipality__isnull=False,
                department__isnull=False,
                provider__isnull=True,
                district__isnull=True,
                topic__isnull=True,
            )
            | (
                Q(role=Role.READER, department__isnull=True, topic__isnull=True)
                & (
                    Q(municipality__isnull=False, district__isnull=True, provider__isnull=True)
                    | Q(municipality__isnull=True, district__isnull=False, provider__isnull=True)
                    | Q(municipality__isnull=True, district__isnull=True, provider__isnull=False)
                )
            )
        )

    def scope_label(self) -> str:
        """The scope in words, e.g. "Lemgo, Fachbereich 3 Bürgerservice"."""
        if self.role == Role.EDITOR:
            return f"{self.municipality}, {self.department}"
        if self.role == Role.TOPIC_SPONSOR:
            return f"{self.topic} ({self.provider})"
        if self.district_id:
            return str(_("Kreis %(name)s mit seinen Kommunen") % {"name": self.district})
        if self.municipality_id:
            return str(self.municipality)
        if self.provider_id:
            return str(_("alle Mitgliedskommunen von %(name)s") % {"name": self.provider})
        return ""

    @property
    def tenant_id(self) -> int | None:
        """The Kommune this scope belongs to, if it is bound to one Kommune."""
        return self.municipality_id


class RoleAssignment(RoleScope):
    """One role a person holds, with its scope. A person may hold several."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="role_assignments",
        verbose_name=_("Person"),
    )
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        related_name="+",
        null=True,
        blank=True,
        verbose_name=_("vergeben von"),
    )
    granted_at = models.DateTimeField(_("vergeben am"), default=timezone.now)

    class Meta:
        verbose_name = _("Rollenzuweisung")
        verbose_name_plural = _("Rollenzuweisungen")
        ordering = ["user__username", "role", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=RoleScope.scope_is_consistent(), name="accounts_role_scope_consistent"
            )
        ]
        indexes = [
            models.Index(fields=["municipality", "role"]),
            models.Index(fields=["provider", "role"]),
        ]

    def __str__(self) -> str:
        return f"{self.user}: {self.get_role_display()} – {self.scope_label()}"


class Invitation(RoleScope):
    """An e-mail invitation: whoever opens the one-time link before it expires sets a password and
    receives the role. Only a hash of the link's token is stored."""

    email = models.EmailField(_("E-Mail-Adresse"))
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        related_name="+",
        null=True,
        verbose_name=_("eingeladen von"),
    )
    created_at = models.DateTimeField(_("eingeladen am"), default=timezone.now)
    expires_at = models.DateTimeField(_("gültig bis"))
    accepted_at = models.DateTimeField(_("angenommen am"), null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        related_name="+",
        null=True,
        blank=True,
        verbose_name=_("angenommen von"),
    )
    revoked_at = models.DateTimeField(_("zurückgezogen am"), null=True, blank=True)

    class Meta:
        verbose_name = _("Einladung")
        verbose_name_plural = _("Einladungen")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=RoleScope.scope_is_consistent(),
                name="accounts_invitation_scope_consistent",
            )
        ]

    def __str__(self) -> str:
        return f"{self.email}: {self.get_role_display()}"

    @property
    def is_open(self) -> bool:
        return (
            self.accepted_at is None
            and self.revoked_at is None
            and self.expires_at > timezone.now()
        )

    def status_label(self) -> str:
        if self.accepted_at:
            return str(_("angenommen"))
        if self.revoked_at:
            return str(_("zurückgezogen"))
        if self.expires_at <= timezone.now():
            return str(_("abgelaufen"))
        return str(_("offen"))


class LoginThrottle(models.Model):
    """Failed sign-ins per account (or per typed name when no account matches), for the lockout."""

    key = models.CharField(max_length=300, unique=True)
    failures = models.PositiveIntegerField(default=0)
    last_failure_at = models.DateTimeField(null=True, blank=True)
    locked_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("Anmeldesperre")
        verbose_name_plural = _("Anmeldesperren")

    def __str__(self) -> str:
        return self.key


class AuditEvent(models.Model):
    """Security-relevant event: failed logins, lockouts, role changes, invitations.

    Names are copied into the row so that the log stays readable after accounts are deleted.
    """

    created_at = models.DateTimeField(_("Zeitpunkt"), default=timezone.now, db_index=True)
    kind = models.CharField(_("Ereignis"), max_length=32, choices=AuditKind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        related_name="+",
        null=True,
        blank=True,
        verbose_name=_("ausgelöst von"),
    )
    actor_name = models.CharField(_("ausgelöst von (Name)"), max_length=150, blank=True)
    subject_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        related_name="+",
        null=True,
        blank=True,
        verbose_name=_("betroffene Person"),
    )
    # What was typed into the login form, or the affected person's name / e-mail.
    subject_name = models.CharField(_("betroffen (Name)"), max_length=254, blank=True)
    municipality = models.ForeignKey(
        "municipalities.Municipality",
        on_delete=models.SET_NULL,
        related_name="+",
        null=True,
        blank=True,
        verbose_name=_("Kommune"),
    )
    ip_address = models.GenericIPAddressField(_("IP-Adresse"), null=True, blank=True)
    detail = models.CharField(_("Einzelheiten"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("Protokolleintrag")
        verbose_name_plural = _("Sicherheitsprotokoll")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["kind", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.get_kind_display()} {self.subject_name}"
