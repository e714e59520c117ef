"""Choices of the implementation workspace (Umsetzung)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class ImplementationStatus(models.TextChoices):
    """Where a Leistung stands in one Kommune; also the columns of the board."""

    OPEN = "open", _("offen")
    PLANNING = "planning", _("in Planung")
    IN_PROGRESS = "in_progress", _("in Umsetzung")
    DONE = "done", _("umgesetzt")
    DROPPED = "dropped", _("entfällt")


class Priority(models.TextChoices):
    HIGH = "high", _("hoch")
    MEDIUM = "medium", _("mittel")
    LOW = "low", _("niedrig")


class ListSort(models.TextChoices):
    """Sort orders of the Leistungen list and the board."""

    OZG = "ozg", _("OZG-Leistung")
    NAME = "name", _("Bezeichnung")
    STATUS = "status", _("Status")
    PRIORITY = "priority", _("Priorität")
    PLANNED = "planned", _("geplante Fertigstellung")
    LEVEL = "level", _("aktueller Reifegrad")
    CASES = "cases", _("Fallzahlen (absteigend)")
    CHANGED = "changed", _("zuletzt geändert")


class DepartmentScope(models.TextChoices):
    """Special values of the department filter besides a department's id."""

    MINE = "mine", _("meine Fachbereiche")
    NONE = "none", _("noch ohne Fachbereich")
