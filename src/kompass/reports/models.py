"""Precomputed counters for comparisons across many Kommunen (benchmark, provider heat map).

A Kommune's own dashboard is computed live from its records (≤ 2,500 rows). Comparing thousands
of Kommunen live would read millions of records per page, so TopicProgress keeps one row of
counters per Kommune and Themenfeld. The rows are recomputed from the records (never incremented)
by services.topic_progress_refresh inside the transaction of every implementation write, and
rebuilt set-based by services.topic_progress_rebuild after bulk loads.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class TopicProgress(models.Model):
    """Counters of one Kommune's relevant Leistungen in one Themenfeld (topic NULL: Leistungen
    without Themenfeld). Leistungen without a record count as offen, Reifegrad 0, no cases."""

    municipality = models.ForeignKey(
        "municipalities.Municipality",
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("Kommune"),
    )
    topic = models.ForeignKey(
        "catalogue.Topic",
        on_delete=models.CASCADE,
        related_name="+",
        null=True,
        blank=True,
        verbose_name=_("Themenfeld"),
    )
    relevant = models.PositiveIntegerField(_("relevante Leistungen"), default=0)
    open = models.PositiveIntegerField(_("offen"), default=0)
    planning = models.PositiveIntegerField(_("in Planung"), default=0)
    in_progress = models.PositiveIntegerField(_("in Umsetzung"), default=0)
    done = models.PositiveIntegerField(_("umgesetzt"), default=0)
    dropped = models.PositiveIntegerField(_("entfällt"), default=0)
    # Current Reifegrad at or above the lowest OZG-compliant level of the default model.
    compliant = models.PositiveIntegerField(_("OZG-konform"), default=0)
    cases = models.BigIntegerField(_("Fallzahlen"), default=0)
    compliant_cases = models.BigIntegerField(_("Fallzahlen OZG-konform"), default=0)

    class Meta:
        verbose_name = _("Fortschritt je Themenfeld")
        verbose_name_plural = _("Fortschritt je Themenfeld")
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "topic"], name="reports_unique_topic_progress"
            )
        ]

    def __str__(self) -> str:
        return f"{self.municipality_id}/{self.topic_id}: {self.done}/{self.relevant}"
