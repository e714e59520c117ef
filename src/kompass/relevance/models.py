"""Relevance: which LeiKa-Leistungen a Kommune executes.

Two stages (see /work/shared/domain.md): Themenpaten decide per Leistung and Kommunaltyp
(TypeDecision); each Kommune confirms (CrossCheck) or deviates for single Leistungen (Deviation).
Nothing is copied per Kommune: a Kommune's list is computed by query from its type's decisions,
its own deviations and, where no decision exists, the default proposal from the LeiKa-Typ
(see selectors.relevance_list_for). An absent TypeDecision means "the default proposal".
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kompass.relevance.choices import ChangeKind, DeviationValue, RelevanceValue


class TypeDecision(models.Model):
    """A Themenpate's decision for one LeiKa-Leistung and one Kommunaltyp (one matrix cell)."""

    service = models.ForeignKey(
        "catalogue.Service",
        on_delete=models.PROTECT,
        related_name="relevance_decisions",
        verbose_name=_("LeiKa-Leistung"),
        db_index=False,  # relevance_decision_by_service leads with it
    )
    municipality_type = models.ForeignKey(
        "municipalities.MunicipalityType",
        on_delete=models.PROTECT,
        related_name="relevance_decisions",
        verbose_name=_("Kommunaltyp"),
    )
    value = models.CharField(_("Relevanz"), max_length=16, choices=RelevanceValue.choices)
    reason = models.TextField(_("Begründung"), blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("entschieden von"),
    )
    decided_at = models.DateTimeField(_("entschieden am"), default=timezone.now)

    class Meta:
        verbose_name = _("Relevanzentscheidung")
        verbose_name_plural = _("Relevanzentscheidungen")
        ordering = ["service", "municipality_type"]
        constraints = [
            models.UniqueConstraint(
                fields=["municipality_type", "service"], name="relevance_unique_type_decision"
            )
        ]
        indexes = [
            # The decisions of some Leistungen for every type (the global view), read from the
            # index alone: a Leistung's decisions lie on as many table pages as there are types.
            models.Index(
                fields=["service", "municipality_type"],
                include=["value"],
                name="relevance_decision_by_service",
            ),
            # "Durch den Kreis" decisions are few; every Kreis's list probes them per Leistung.
            models.Index(
                fields=["service", "municipality_type"],
                condition=models.Q(value="by_district"),
                name="relevance_by_district_idx",
            ),
            # A Kreis's list usually reads them the other way round, all of its member types' at
            # once (a hashed subplan): by type first, so it reads a few types' rows instead of
            # every "durch den Kreis" decision of Germany (about 2 ms per Kreis query at SCALE=de).
            models.Index(
                fields=["municipality_type", "service"],
                condition=models.Q(value="by_district"),
                name="relevance_by_district_type",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.service} / {self.municipality_type}: {self.get_value_display()}"


class Deviation(models.Model):
    """A Kommune's own decision for one Leistung, overriding its type's decision (Gegenprüfung).

    The reason is mandatory (e.g. "eigenes Jugendamt").
    """

    municipality = models.ForeignKey(
        "municipalities.Municipality",
        on_delete=models.CASCADE,
        related_name="relevance_deviations",
        verbose_name=_("Kommune"),
    )
    service = models.ForeignKey(
        "catalogue.Service",
        on_delete=models.PROTECT,
        related_name="relevance_deviations",
        verbose_name=_("LeiKa-Leistung"),
    )
    value = models.CharField(_("Relevanz"), max_length=16, choices=DeviationValue.choices)
    reason = models.TextField(_("Begründung"))
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("entschieden von"),
    )
    decided_at = models.DateTimeField(_("entschieden am"), default=timezone.now)

    class Meta:
        verbose_name = _("Abweichung")
        verbose_name_plural = _("Abweichungen")
        ordering = ["municipality", "service"]
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "service"], name="relevance_unique_deviation"
            )
        ]
        indexes = [models.Index(fields=["service", "municipality"])]

    def __str__(self) -> str:
        return f"{self.municipality} / {self.service}: {self.get_value_display()}"

    @property
    def type_value_label(self) -> str:
        """The label of the type's value, when the selector annotated `type_value`."""
        value = getattr(self, "type_value", None)
        return str(RelevanceValue(value).label) if value in RelevanceValue.values else "–"


class TopicReview(models.Model):
    """A Themenpate's mark that a Themenfeld has been reviewed for the Kommunaltypen of a Land."""

    topic = models.ForeignKey(
        "catalogue.Topic",
        on_delete=models.CASCADE,
        related_name="relevance_reviews",
        verbose_name=_("Themenfeld"),
    )
    land = models.ForeignKey(
        "municipalities.Land",
        on_delete=models.CASCADE,
        related_name="relevance_reviews",
        verbose_name=_("Land"),
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("geprüft von"),
    )
    reviewed_at = models.DateTimeField(_("geprüft am"), default=timezone.now)

    class Meta:
        verbose_name = _("Prüfvermerk")
        verbose_name_plural = _("Prüfvermerke")
        constraints = [
            models.UniqueConstraint(fields=["topic", "land"], name="relevance_unique_review")
        ]

    def __str__(self) -> str:
        return f"{self.topic} ({self.land})"


class CrossCheck(models.Model):
    """A Kommune's confirmation of its type's decisions for one Themenfeld (Gegenprüfung)."""

    municipality = models.ForeignKey(
        "municipalities.Municipality",
        on_delete=models.CASCADE,
        related_name="relevance_cross_checks",
        verbose_name=_("Kommune"),
    )
    topic = models.ForeignKey(
        "catalogue.Topic",
        on_delete=models.CASCADE,
        related_name="relevance_cross_checks",
        verbose_name=_("Themenfeld"),
    )
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("bestätigt von"),
    )
    confirmed_at = models.DateTimeField(_("bestätigt am"), default=timezone.now)

    class Meta:
        verbose_name = _("Gegenprüfung")
        verbose_name_plural = _("Gegenprüfungen")
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "topic"], name="relevance_unique_cross_check"
            )
        ]

    def __str__(self) -> str:
        return f"{self.municipality} / {self.topic}"


class RelevanceChange(models.Model):
    """History of every relevance decision: before/after, who, when.

    The actor's name is copied so that the history stays readable after an account is deleted.
    """

    kind = models.CharField(_("Art"), max_length=20, choices=ChangeKind.choices)
    service = models.ForeignKey(
        "catalogue.Service",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("LeiKa-Leistung"),
    )
    municipality_type = models.ForeignKey(
        "municipalities.MunicipalityType",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("Kommunaltyp"),
    )
    municipality = models.ForeignKey(
        "municipalities.Municipality",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("Kommune"),
    )
    topic = models.ForeignKey(
        "catalogue.Topic",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("Themenfeld"),
    )
    # Empty "before" value: there was no decision (the default proposal applied).
    value_before = models.CharField(_("vorher"), max_length=16, blank=True)
    value_after = models.CharField(_("nachher"), max_length=16, blank=True)
    reason_before = models.TextField(_("Begründung vorher"), blank=True)
    reason_after = models.TextField(_("Begründung nachher"), blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("geändert von"),
    )
    actor_name = models.CharField(_("geändert von (Name)"), max_length=150, blank=True)
    created_at = models.DateTimeField(_("Zeitpunkt"), default=timezone.now)
    # "Tabellenimport", "Sammelentscheidung", … : the channel through which the change came.
    channel = models.CharField(_("Weg"), max_length=40, blank=True)

    class Meta:
        verbose_name = _("Relevanzänderung")
        verbose_name_plural = _("Relevanzänderungen")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["service", "municipality_type", "-created_at"]),
            models.Index(fields=["municipality", "-created_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.get_kind_display()}"

    def value_label(self, value: str) -> str:
        if not value:
            return str(_("Vorschlag"))
        return str(RelevanceValue(value).label) if value in RelevanceValue.values else value

    @property
    def value_before_label(self) -> str:
        return self.value_label(self.value_before)

    @property
    def value_after_label(self) -> str:
        return self.value_label(self.value_after)
