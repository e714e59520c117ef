"""Precomputed counters for comparisons across many Kommunen (benchmark, provider heat map).

A Kommune's own dashboard is computed live from its records (≤ 2,500 rows). Comparing thousands
of Kommunen live would read millions of records per page, so TopicProgress keeps one row of
counters per Kommune and Themenfeld. The rows are recomputed from the records (never incremented)
by services.topic_progress_refresh inside the transaction of every implementation write, and
rebuilt set-based by services.topic_progress_rebuild after bulk loads.
"""

import datetime
import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kompass.reports.choices import ExportFormat, ExportKind, ExportStatus


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


class ServiceProgress(models.Model):
    """How many records of one LeiKa-Leistung stand at one Reifegrad, per status, over the active
    Kommunen of one Kommunaltyp (type_key; 0: Kommunen without a type).

    The global Reifegrad of a Leistung over ~11,000 Kommunen would otherwise read every record
    of it (1.5 million for the largest OZG-Leistung). Relevance is not part of the key: a type
    decides for all its Kommunen, so the global view sums the rows of the types for which the
    Leistung is relevant and corrects the few deviations and Kreise one by one (reports.sql).
    Relevance decisions therefore never make these rows stale. The cell (level 0, offen) is not
    kept: it reads the same as "no record", which the view fills in from the relevant count.

    Rows change by the difference of every edit of a record's status or Reifegrad, in the
    edit's transaction (services.progress_apply), and are rebuilt from the records
    after bulk loads and when an import regroups Kommunen (services.progress_rebuild).
    """

    service = models.ForeignKey(
        "catalogue.Service",
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,  # the unique constraint leads with it
        verbose_name=_("LeiKa-Leistung"),
    )
    type_key = models.IntegerField(_("Kommunaltyp (0: ohne)"))
    level = models.PositiveSmallIntegerField(_("Reifegrad"))
    # Signed: an edit applies its difference before anything checks the sum.
    open = models.IntegerField(_("offen"), default=0)
    planning = models.IntegerField(_("in Planung"), default=0)
    in_progress = models.IntegerField(_("in Umsetzung"), default=0)
    done = models.IntegerField(_("umgesetzt"), default=0)
    dropped = models.IntegerField(_("entfällt"), default=0)

    class Meta:
        verbose_name = _("Stand je Leistung und Kommunaltyp")
        verbose_name_plural = _("Stand je Leistung und Kommunaltyp")
        constraints = [
            models.UniqueConstraint(
                fields=["service", "type_key", "level"], name="reports_unique_service_progress"
            )
        ]

    def __str__(self) -> str:
        return f"{self.service_id}/{self.type_key}/{self.level}"


class OzgProgress(models.Model):
    """How many records of one Kommune in one OZG-Leistung stand at an OZG-compliant Reifegrad
    (only pairs with at least one).

    It ranks the Kommunen furthest ahead in an OZG-Leistung (the global view) without reading
    every record of it. The count includes records of Leistungen that are no longer relevant
    for the Kommune, so it is an upper bound: the view verifies the leading Kommunen against
    their relevant records (selectors._furthest_kommunen) and needs no refresh when relevance
    decisions change. Kept current like ServiceProgress (services.progress_apply).
    """

    municipality = models.ForeignKey(
        "municipalities.Municipality",
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,  # the unique constraint leads with it
        verbose_name=_("Kommune"),
    )
    ozg_service = models.ForeignKey(
        "catalogue.OzgService",
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,  # reports_ozg_progress_ranking leads with it
        verbose_name=_("OZG-Leistung"),
    )
    # Signed: an edit applies its difference before anything checks the sum.
    compliant = models.IntegerField(_("OZG-konform"), default=0)

    class Meta:
        verbose_name = _("OZG-konforme Leistungen je Kommune")
        verbose_name_plural = _("OZG-konforme Leistungen je Kommune")
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "ozg_service"], name="reports_unique_ozg_progress"
            )
        ]
        indexes = [
            models.Index(
                "ozg_service",
                models.F("compliant").desc(),
                "municipality",
                name="reports_ozg_progress_ranking",
            )
        ]

    def __str__(self) -> str:
        return f"{self.municipality_id}/{self.ozg_service_id}: {self.compliant}"


class ProviderProgress(models.Model):
    """The sums of TopicProgress over one IT provider's active member Kommunen of one
    Kommunaltyp (type_key; 0: without a type), per Themenfeld (topic_key; 0: without one).

    The provider heat map shows, beside each page of Kommunen, the totals over all filtered
    members: read from TopicProgress, that is every row of ~11,000 Kommunen per page (about half
    of the page's time at SCALE=de). Without a filter, or filtered by Kommunaltyp, it reads these
    rows instead (a Kreis filter selects a few dozen Kommunen and still sums them live).

    Kept current with TopicProgress (services.topic_progress_refresh adds the difference of
    every refresh in its transaction) and rebuilt from it when Kommunen change their type, are
    dissolved or join or leave a provider (services.provider_progress_rebuild).
    """

    provider = models.ForeignKey(
        "municipalities.Provider",
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,  # the unique constraint leads with it
        verbose_name=_("IT-Dienstleister"),
    )
    type_key = models.IntegerField(_("Kommunaltyp (0: ohne)"))
    topic_key = models.IntegerField(_("Themenfeld (0: ohne)"))
    # Signed: a refresh adds its difference before anything checks the sum.
    relevant = models.IntegerField(_("relevante Leistungen"), default=0)
    done = models.IntegerField(_("umgesetzt"), default=0)
    dropped = models.IntegerField(_("entfällt"), default=0)
    compliant = models.IntegerField(_("OZG-konform"), default=0)

    class Meta:
        verbose_name = _("Fortschritt je IT-Dienstleister")
        verbose_name_plural = _("Fortschritt je IT-Dienstleister")
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "type_key", "topic_key"],
                name="reports_unique_provider_progress",
            )
        ]

    def __str__(self) -> str:
        return f"{self.provider_id}/{self.type_key}/{self.topic_key}: {self.done}/{self.relevant}"


class Export(models.Model):
    """A file that the background worker writes for one person: exports too large to produce
    within a request (the heat map of a provider covers up to all ~11,000 Kommunen).

    The person sees its progress (done of total) and downloads the finished file from the
    database; only they can see it (reports.background.export_get_for_user). Files are kept
    for EXPORT_KEEP_DAYS and purged when a later export is requested. The id is a UUID so that
    the address of an export gives nothing away about others.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,  # reports_export_of_person leads with it
        verbose_name=_("angefordert von"),
    )
    kind = models.CharField(_("Art"), max_length=20, choices=ExportKind.choices)
    fmt = models.CharField(_("Format"), max_length=10, choices=ExportFormat.choices)
    # What to export, as the builder of the kind reads it (e.g. the provider and the filter).
    params = models.JSONField(_("Auswahl"), default=dict)
    title = models.CharField(_("Titel"), max_length=300)
    status = models.CharField(
        _("Stand"), max_length=10, choices=ExportStatus.choices, default=ExportStatus.QUEUED
    )
    done = models.PositiveIntegerField(_("erledigt"), default=0)
    total = models.PositiveIntegerField(_("insgesamt"), null=True, blank=True)
    filename = models.CharField(_("Dateiname"), max_length=300, blank=True)
    content = models.BinaryField(_("Datei"), null=True, editable=False)
    size = models.PositiveIntegerField(_("Größe in Bytes"), null=True, blank=True)
    error = models.TextField(_("Fehlermeldung"), blank=True)
    created_at = models.DateTimeField(_("angefordert am"), auto_now_add=True, db_index=True)
    # Last sign of life of the worker (claim, progress): a running export without one for
    # STALLED_AFTER lost its worker (killed, host down) and is shown as interrupted.
    updated_at = models.DateTimeField(_("zuletzt bearbeitet"), default=timezone.now)
    finished_at = models.DateTimeField(_("fertig am"), null=True, blank=True)

    STALLED_AFTER = datetime.timedelta(minutes=15)
    WAITING_HINT_AFTER = datetime.timedelta(minutes=1)

    class Meta:
        verbose_name = _("Export")
        verbose_name_plural = _("Exporte")
        indexes = [
            models.Index(
                "requested_by", models.F("created_at").desc(), name="reports_export_of_person"
            )
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.fmt}, {self.status})"

    @property
    def stalled(self) -> bool:
        """Running, but the worker has not reported for STALLED_AFTER."""
        return (
            self.status == ExportStatus.RUNNING
            and self.updated_at < timezone.now() - self.STALLED_AFTER
        )

    @property
    def waiting_long(self) -> bool:
        """Still queued after WAITING_HINT_AFTER: is a worker running at all?"""
        return (
            self.status == ExportStatus.QUEUED
            and self.created_at < timezone.now() - self.WAITING_HINT_AFTER
        )

    @property
    def finished(self) -> bool:
        """Nothing more will happen to it (the page stops asking)."""
        return self.status in (ExportStatus.DONE, ExportStatus.FAILED) or self.stalled

    @property
    def percent(self) -> int | None:
        if not self.total:
            return None
        return min(100, round(100 * self.done / self.total))
