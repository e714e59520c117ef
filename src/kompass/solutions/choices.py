"""Choices of the solutions marketplace (Lösungen)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class SolutionKind(models.TextChoices):
    """Where a solution comes from."""

    EFA = "efa", _("EfA-Dienst")
    STATE = "state", _("Landeslösung")
    PROVIDER = "provider", _("Angebot des IT-Dienstleisters")
    COMMERCIAL = "commercial", _("kommerzielles Produkt")
    OPEN_SOURCE = "open_source", _("Open Source")
    MUNICIPAL = "municipal", _("Eigenentwicklung einer Kommune")
    DIGITAL_LAB = "digital_lab", _("Ergebnis eines Digitallabors")


class SolutionStatus(models.TextChoices):
    PLANNED = "planned", _("in Planung")
    AVAILABLE = "available", _("verfügbar")
    DISCONTINUED = "discontinued", _("abgekündigt")


class ReviewState(models.TextChoices):
    """Entries of Kommunen are proposals until an operator accepts (publishes) or rejects them."""

    PROPOSAL = "proposal", _("Vorschlag")
    PUBLISHED = "published", _("veröffentlicht")
    REJECTED = "rejected", _("abgelehnt")


class Integration(models.TextChoices):
    """Which back-office systems the solution hands its cases to."""

    NONE = "none", _("keine Anbindung")
    SPECIALIST = "specialist", _("Fachverfahren")
    DMS = "dms", _("DMS")
    BOTH = "both", _("Fachverfahren und DMS")


class UsageState(models.TextChoices):
    USES = "uses", _("im Einsatz")
    PLANS = "plans", _("geplant")


class ChangeAction(models.TextChoices):
    """What a history entry of a solution records."""

    CREATED = "created", _("angelegt")
    PROPOSED = "proposed", _("vorgeschlagen")
    CHANGED = "changed", _("geändert")
    ACCEPTED = "accepted", _("angenommen und veröffentlicht")
    REJECTED = "rejected", _("abgelehnt")
    COVERAGE = "coverage", _("Leistungen geändert")
    USAGE = "usage", _("Nutzung geändert")


class GapFilter(models.TextChoices):
    ALL = "", _("alle Lücken")
    UNCOVERED = "uncovered", _("nur Lücken ohne jede Lösung")
    COVERED = "covered", _("nur Lücken mit Angeboten")
