"""Choices of the evaluations."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class SizeClass(models.TextChoices):
    """Größenklasse by population, to compare Kommunen of similar size within a Kommunaltyp."""

    XS = "xs", _("unter 5.000 Einwohner")
    S = "s", _("5.000 bis unter 20.000 Einwohner")
    M = "m", _("20.000 bis unter 50.000 Einwohner")
    L = "l", _("50.000 bis unter 100.000 Einwohner")
    XL = "xl", _("100.000 bis unter 500.000 Einwohner")
    XXL = "xxl", _("500.000 Einwohner und mehr")

    @classmethod
    def of(cls, population: int | None) -> SizeClass | None:
        if population is None:
            return None
        for limit, size in (
            (5_000, cls.XS),
            (20_000, cls.S),
            (50_000, cls.M),
            (100_000, cls.L),
            (500_000, cls.XL),
        ):
            if population < limit:
                return size
        return cls.XXL


class ExportFormat(models.TextChoices):
    XLSX = "xlsx", _("Excel (XLSX)")
    CSV = "csv", _("CSV")


class ExportKind(models.TextChoices):
    """What a background export produces (reports.background.BUILDERS)."""

    HEATMAP = "heatmap", _("Heatmap eines IT-Dienstleisters")


class ExportStatus(models.TextChoices):
    QUEUED = "queued", _("wartet auf den Hintergrunddienst")
    RUNNING = "running", _("wird erstellt")
    DONE = "done", _("fertig")
    FAILED = "failed", _("fehlgeschlagen")
