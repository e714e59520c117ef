from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    """What a person may do, always together with a scope (see RoleAssignment)."""

    OPERATOR = "operator", _("Plattformbetrieb")
    TOPIC_SPONSOR = "topic_sponsor", _("Themenpate")
    MUNICIPALITY_ADMIN = "municipality_admin", _("Kommune-Administration")
    EDITOR = "editor", _("Bearbeitung")
    READER = "reader", _("Lesezugriff")


class ReaderScope(models.TextChoices):
    """How far a reader's read-only access reaches."""

    MUNICIPALITY = "municipality", _("eine Kommune")
    DISTRICT = "district", _("alle Kommunen eines Kreises")
    PROVIDER = "provider", _("alle Mitgliedskommunen")


class AuditKind(models.TextChoices):
    LOGIN_SUCCEEDED = "login_succeeded", _("Anmeldung erfolgreich")
    LOGIN_FAILED = "login_failed", _("Anmeldung fehlgeschlagen")
    LOCKED_OUT = "locked_out", _("Anmeldung gesperrt")
    LOGIN_BLOCKED = "login_blocked", _("Anmeldeversuch während Sperre")
    PASSWORD_CHANGED = "password_changed", _("Passwort geändert")
    PASSWORD_RESET_REQUESTED = "password_reset_requested", _("Passwort-Zurücksetzen angefordert")
    PASSWORD_RESET = "password_reset", _("Passwort zurückgesetzt")
    ROLE_GRANTED = "role_granted", _("Rolle vergeben")
    ROLE_REVOKED = "role_revoked", _("Rolle entzogen")
    INVITATION_SENT = "invitation_sent", _("Einladung versandt")
    INVITATION_ACCEPTED = "invitation_accepted", _("Einladung angenommen")
    INVITATION_REVOKED = "invitation_revoked", _("Einladung zurückgezogen")
    DEPARTMENT_CREATED = "department_created", _("Fachbereich angelegt")
    DEPARTMENT_CHANGED = "department_changed", _("Fachbereich geändert")
    DEPARTMENT_DELETED = "department_deleted", _("Fachbereich gelöscht")
