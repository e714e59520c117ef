"""The implementation workspace: one record per Kommune and relevant LeiKa-Leistung.

Records are created lazily on the first change: a Leistung nobody touched yet is shown as "offen"
from the computed list (kompass.relevance.selectors.relevant_services_for) LEFT JOINed with its
record, so no Kommune gets thousands of empty rows up front.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from kompass.implementation.choices import ImplementationStatus, Priority


class Implementation(models.Model):
    """How one Kommune implements one LeiKa-Leistung (Umsetzungsstand).

    `version` is the optimistic lock: every change increments it, and a change based on an older
    version is refused (services.implementation_update) instead of overwriting a colleague's edit.
    Maturity levels are numbers of the default MaturityModel's scale (validated in the form).
    """

    municipality = models.ForeignKey(
        "municipalities.Municipality",
        on_delete=models.CASCADE,
        related_name="implementations",
        verbose_name=_("Kommune"),
    )
    service = models.ForeignKey(
        "catalogue.Service",
        on_delete=models.PROTECT,
        related_name="implementations",
        verbose_name=_("LeiKa-Leistung"),
        db_index=False,  # implementation_by_service leads with it
    )
    department = models.ForeignKey(
        "accounts.Department",
        on_delete=models.SET_NULL,
        related_name="implementations",
        null=True,
        blank=True,
        verbose_name=_("Fachbereich"),
    )
    contact_person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        related_name="implementations",
        null=True,
        blank=True,
        verbose_name=_("Ansprechperson"),
    )
    status = models.CharField(
        _("Status"),
        max_length=16,
        choices=ImplementationStatus.choices,
        default=ImplementationStatus.OPEN,
    )
    current_level = models.PositiveSmallIntegerField(
        _("aktueller Reifegrad"), null=True, blank=True
    )
    target_level = models.PositiveSmallIntegerField(_("Ziel-Reifegrad"), null=True, blank=True)
    case_count = models.PositiveIntegerField(_("Fallzahl pro Jahr"), null=True, blank=True)
    case_count_year = models.PositiveSmallIntegerField(
        _("Jahr der Fallzahl"), null=True, blank=True
    )
    priority = models.CharField(_("Priorität"), max_length=8, choices=Priority.choices, blank=True)
    planned_date = models.DateField(_("geplante Fertigstellung"), null=True, blank=True)
    solution = models.CharField(_("Lösung (im Einsatz oder geplant)"), max_length=300, blank=True)
    notes = models.TextField(_("Notizen"), blank=True)
    version = models.PositiveIntegerField(_("Version"), default=0)
    updated_at = models.DateTimeField(_("geändert am"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        related_name="+",
        null=True,
        blank=True,
        verbose_name=_("geändert von"),
    )

    class Meta:
        verbose_name = _("Umsetzung")
        verbose_name_plural = _("Umsetzungen")
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "service"], name="implementation_unique_per_service"
            )
        ]
        indexes = [
            models.Index(fields=["municipality", "status"]),
            models.Index(fields=["municipality", "department"]),
            models.Index(fields=["municipality", "priority"]),
            models.Index(fields=["municipality", "planned_date"]),
            models.Index(fields=["municipality", "contact_person"]),
            # The global views read all records of some Leistungen across Kommunen; on
            # PostgreSQL from this index alone (index-only scan).
            models.Index(
                fields=["service", "municipality"],
                include=["current_level", "status"],
                name="implementation_by_service",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.service} ({self.municipality})"


class ImplementationChange(models.Model):
    """One change of an implementation record: who, when, and per field before → after.

    `changes` maps a field name to [before, after] as shown to people (labels, not ids), so the
    history stays readable after departments are renamed or deleted.
    """

    implementation = models.ForeignKey(
        Implementation,
        on_delete=models.CASCADE,
        related_name="changes",
        verbose_name=_("Umsetzung"),
    )
    changed_at = models.DateTimeField(_("geändert am"), auto_now_add=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        related_name="+",
        null=True,
        blank=True,
        verbose_name=_("geändert von"),
    )
    changes = models.JSONField(_("Änderungen"), default=dict)

    class Meta:
        verbose_name = _("Änderung der Umsetzung")
        verbose_name_plural = _("Änderungen der Umsetzung")
        ordering = ["-changed_at", "-pk"]
        indexes = [models.Index(fields=["implementation", "-changed_at"])]

    def __str__(self) -> str:
        return f"{self.implementation_id}: {', '.join(self.changes)}"

    @property
    def lines(self) -> list[dict[str, str]]:
        """The changed fields with their labels, for the history table."""
        result = []
        for name, (before, after) in self.changes.items():
            if name == "step":
                label = _("Umsetzungsschritt")
            else:
                label = Implementation._meta.get_field(name).verbose_name
            result.append({"label": str(label), "before": before, "after": after})
        return result


class ImplementationStep(models.Model):
    """An optional step of the implementation checklist, shown on the board card."""

    implementation = models.ForeignKey(
        Implementation, on_delete=models.CASCADE, related_name="steps", verbose_name=_("Umsetzung")
    )
    title = models.CharField(_("Schritt"), max_length=200)
    due_date = models.DateField(_("fällig am"), null=True, blank=True)
    done = models.BooleanField(_("erledigt"), default=False)
    created_at = models.DateTimeField(_("angelegt am"), auto_now_add=True)

    class Meta:
        verbose_name = _("Umsetzungsschritt")
        verbose_name_plural = _("Umsetzungsschritte")
        ordering = ["implementation", "done", "due_date", "pk"]

    def __str__(self) -> str:
        return self.title


class SavedFilter(models.Model):
    """A person's named filter of a Kommune's Leistungen list (the query string)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="implementation_filters",
        verbose_name=_("Benutzer"),
    )
    municipality = models.ForeignKey(
        "municipalities.Municipality",
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("Kommune"),
    )
    name = models.CharField(_("Name"), max_length=100)
    query = models.CharField(_("Filter"), max_length=1000, blank=True)
    created_at = models.DateTimeField(_("angelegt am"), auto_now_add=True)

    class Meta:
        verbose_name = _("gespeicherter Filter")
        verbose_name_plural = _("gespeicherte Filter")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "municipality", "name"], name="implementation_unique_filter_name"
            )
        ]

    def __str__(self) -> str:
        return self.name
