"""The solutions marketplace: existing digital solutions, the Leistungen they cover, who uses them.

A Solution is either a central entry (published by a platform operator) or a Kommune's proposal
(`proposed_for` set) that stays visible only to that Kommune and the operators until an operator
accepts it. Coverage (SolutionService) says which LeiKa-Leistung a solution covers and which
Reifegrad it reaches there; usage (SolutionUsage) says which Kommune uses or plans it for which
Leistung and whom to ask there. Every change is written to SolutionChange (before → after).
"""

from django.conf import settings
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils.translation import gettext_lazy as _

from kompass.solutions.choices import (
    ChangeAction,
    Integration,
    ReviewState,
    SolutionKind,
    SolutionStatus,
    UsageState,
)


class Solution(models.Model):
    """A digital solution (Lösung) that Kommunen can reuse for one or more Leistungen.

    `links` is a list of http(s) URLs (validated by forms.SolutionForm); `search_text` is the
    folded name, provider and description (kompass.core.text.fold) for the list's search;
    `version` is the optimistic lock of edits and reviews (services.solution_update).
    """

    name = models.CharField(_("Name"), max_length=200)
    provider_name = models.CharField(_("Anbieter"), max_length=200)
    provider_contact = models.CharField(_("Kontakt beim Anbieter"), max_length=300, blank=True)
    kind = models.CharField(_("Art"), max_length=16, choices=SolutionKind.choices)
    description = models.TextField(_("Beschreibung"))
    licence = models.CharField(_("Lizenz"), max_length=200, blank=True)
    cost_model = models.CharField(_("Kostenmodell"), max_length=300, blank=True)
    links = models.JSONField(_("Links"), default=list, blank=True)
    status = models.CharField(
        _("Status"), max_length=16, choices=SolutionStatus.choices, default=SolutionStatus.AVAILABLE
    )
    last_reviewed_on = models.DateField(_("zuletzt geprüft am"), null=True, blank=True)
    integration = models.CharField(
        _("Anbindung an das Back-Office"),
        max_length=16,
        choices=Integration.choices,
        default=Integration.NONE,
    )
    media_break_free = models.BooleanField(_("ohne Medienbruch"), default=False)

    review_state = models.CharField(
        _("Prüfstatus"), max_length=16, choices=ReviewState.choices, default=ReviewState.PROPOSAL
    )
    rejection_reason = models.TextField(_("Ablehnungsgrund"), blank=True)
    proposed_for = models.ForeignKey(
        "municipalities.Municipality",
        on_delete=models.CASCADE,
        related_name="solution_proposals",
        null=True,
        blank=True,
        verbose_name=_("vorgeschlagen von Kommune"),
    )
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        related_name="+",
        null=True,
        blank=True,
        verbose_name=_("vorgeschlagen von"),
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        related_name="+",
        null=True,
        blank=True,
        verbose_name=_("geprüft von"),
    )
    reviewed_at = models.DateTimeField(_("geprüft am"), null=True, blank=True)
    services = models.ManyToManyField(
        "catalogue.Service",
        through="SolutionService",
        related_name="solutions",
        verbose_name=_("abgedeckte Leistungen"),
    )
    search_text = models.TextField(editable=False, blank=True)
    version = models.PositiveIntegerField(_("Version"), default=0)
    created_at = models.DateTimeField(_("angelegt am"), auto_now_add=True)
    updated_at = models.DateTimeField(_("geändert am"), auto_now=True)

    class Meta:
        verbose_name = _("Lösung")
        verbose_name_plural = _("Lösungen")
        ordering = ["name", "pk"]
        indexes = [
            models.Index(fields=["review_state", "name"]),
            models.Index(fields=["review_state", "kind"]),
            models.Index(fields=["review_state", "provider_name"]),
            models.Index(fields=["review_state", "status"]),
            models.Index(fields=["proposed_for", "review_state"]),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_published(self) -> bool:
        return self.review_state == ReviewState.PUBLISHED


class SolutionService(models.Model):
    """A LeiKa-Leistung a solution covers and the Reifegrad it reaches there."""

    solution = models.ForeignKey(
        Solution, on_delete=models.CASCADE, related_name="coverage", verbose_name=_("Lösung")
    )
    service = models.ForeignKey(
        "catalogue.Service",
        on_delete=models.PROTECT,
        related_name="solution_coverage",
        verbose_name=_("LeiKa-Leistung"),
    )
    level = models.PositiveSmallIntegerField(_("erreichter Reifegrad"))

    class Meta:
        verbose_name = _("abgedeckte Leistung")
        verbose_name_plural = _("abgedeckte Leistungen")
        constraints = [
            models.UniqueConstraint(
                fields=["solution", "service"], name="solutions_unique_coverage"
            )
        ]
        # The gap list reads the offers of a page of Leistungen (service first).
        indexes = [models.Index(fields=["service", "level"])]

    def __str__(self) -> str:
        return f"{self.solution_id} → {self.service_id} ({self.level})"


class SolutionUsage(models.Model):
    """A Kommune uses or plans a solution for one of its Leistungen.

    `contact_person` is whom the Kommune chose to name to other Kommunen (or nobody);
    `implementation` links the Kommune's workspace record when there is one (its free-text
    "solution" stays as it is).
    """

    municipality = models.ForeignKey(
        "municipalities.Municipality",
        on_delete=models.CASCADE,
        related_name="solution_usages",
        verbose_name=_("Kommune"),
    )
    service = models.ForeignKey(
        "catalogue.Service",
        on_delete=models.PROTECT,
        related_name="solution_usages",
        verbose_name=_("LeiKa-Leistung"),
    )
    solution = models.ForeignKey(
        Solution, on_delete=models.CASCADE, related_name="usages", verbose_name=_("Lösung")
    )
    implementation = models.ForeignKey(
        "implementation.Implementation",
        on_delete=models.SET_NULL,
        related_name="solution_usages",
        null=True,
        blank=True,
        verbose_name=_("Umsetzung"),
    )
    state = models.CharField(
        _("Nutzung"), max_length=8, choices=UsageState.choices, default=UsageState.USES
    )
    contact_person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        related_name="+",
        null=True,
        blank=True,
        verbose_name=_("Ansprechperson für andere Kommunen"),
    )
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
        verbose_name = _("Nutzung einer Lösung")
        verbose_name_plural = _("Nutzungen von Lösungen")
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "service", "solution"], name="solutions_unique_usage"
            )
        ]
        indexes = [
            models.Index(fields=["solution", "service", "state"]),
            # The gap list reads every use of its offers (offers_for): with the columns it needs
            # in the index, an index-only scan instead of one heap page per use (2,600 uses for a
            # page at SCALE=de: 1.5 → 0.6 ms).
            models.Index(
                fields=["service", "solution"],
                include=["municipality", "state", "contact_person", "id"],
                name="usage_by_service_solution",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.municipality_id}: {self.solution_id} für {self.service_id}"


class SolutionChange(models.Model):
    """One change of a solution (or of a Kommune's usage of it): who, when, before → after.

    `changes` maps a label key to [before, after] as people read them; `municipality` is set for
    usage changes.
    """

    solution = models.ForeignKey(
        Solution, on_delete=models.CASCADE, related_name="changes", verbose_name=_("Lösung")
    )
    action = models.CharField(_("Aktion"), max_length=16, choices=ChangeAction.choices)
    municipality = models.ForeignKey(
        "municipalities.Municipality",
        on_delete=models.CASCADE,
        related_name="+",
        null=True,
        blank=True,
        verbose_name=_("Kommune"),
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
        verbose_name = _("Änderung einer Lösung")
        verbose_name_plural = _("Änderungen von Lösungen")
        ordering = ["-changed_at", "-pk"]
        indexes = [models.Index(fields=["solution", "-changed_at"])]

    def __str__(self) -> str:
        return f"{self.solution_id}: {self.action}"

    @property
    def lines(self) -> list[dict[str, str]]:
        """The changed fields with their labels, for the history table."""
        result = []
        for name, (before, after) in self.changes.items():
            if name in _HISTORY_LABELS:  # "coverage", "usage": not model fields
                label = str(_HISTORY_LABELS[name])
            else:
                try:
                    label = str(Solution._meta.get_field(name).verbose_name)
                except FieldDoesNotExist:
                    label = name
            result.append({"label": label, "before": before, "after": after})
        return result


_HISTORY_LABELS = {
    "coverage": _("abgedeckte Leistung"),
    "usage": _("Nutzung"),
}
