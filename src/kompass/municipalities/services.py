"""Writes to the Kommunen reference data: loading the Destatis Gemeindeverzeichnis.

Two ways in, one result: the official GV100AD raw file (`import_gemeindeverzeichnis FILE`) or the
derived CSVs shipped in ``data/gemeindeverzeichnis`` (`import_gemeindeverzeichnis --csv DIR`, used by
`make run`). Both read into the same typed records (:mod:`kompass.municipalities.gv100ad`) and are
written by :func:`kompass.municipalities.importing.gemeindeverzeichnis_load`, so the database ends up
identical. Reading happens before the transaction starts; bad input raises
:class:`GemeindeverzeichnisError` and nothing is written. Only one import writes at a time; a
second one raises :class:`GemeindeverzeichnisImportRunningError` (a GemeindeverzeichnisError).
"""

from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from kompass.core.db import tables_analyze, transaction_lock_try
from kompass.municipalities.choices import MunicipalityLevel
from kompass.municipalities.gv100ad import (
    Gemeindeverzeichnis,
    GemeindeverzeichnisError,
    gv100ad_records_from_csv,
    parse_gv100ad,
)
from kompass.municipalities.importing import (
    ImportResult,
    NrwClassification,
    gemeindeverzeichnis_load,
    nrw_classification_load,
)
from kompass.municipalities.models import (
    AdministrativeRegion,
    Land,
    Municipality,
    MunicipalityType,
    Provider,
)

__all__ = [
    "GemeindeverzeichnisError",
    "GemeindeverzeichnisImportRunningError",
    "ImportResult",
    "gemeindeverzeichnis_import",
    "gemeindeverzeichnis_import_csv",
    "gemeindeverzeichnis_is_loaded",
]

CSV_PATTERN = "gemeinden_de_gv100ad_*.csv"
IMPORT_LOCK = "kompass.municipalities.gemeindeverzeichnis-import"


class GemeindeverzeichnisImportRunningError(GemeindeverzeichnisError):
    """Another import of the Gemeindeverzeichnis is writing right now; this one wrote nothing."""

    def __init__(self):
        super().__init__(
            [
                _(
                    "Gerade läuft bereits ein anderer Import des Gemeindeverzeichnisses. Warten "
                    "Sie, bis er abgeschlossen ist, und starten Sie den Import dann erneut."
                )
            ]
        )


def _load_alone(directory: Gemeindeverzeichnis, classification: NrwClassification) -> ImportResult:
    """gemeindeverzeichnis_load in a transaction that no other import runs in parallel with: a
    second one is refused at once instead of failing on the first one's rows (unique ARS)."""
    with transaction.atomic():
        if not transaction_lock_try(name=IMPORT_LOCK):
            raise GemeindeverzeichnisImportRunningError
        from kompass.reports.services import municipalities_lock

        # The counters of the Kommunen it regroups and of their providers change below: every
        # Kommune is locked in one sweep first, as every edit's refresh locks its Kommune first,
        # so that edits meanwhile wait for the import (seconds) instead of deadlocking with it.
        municipalities_lock(Municipality.objects.all())
        result = gemeindeverzeichnis_load(directory, classification)
        # A Kommune with another type, level or Kreis has other Leistungen: its counters in the
        # comparisons change with the import, in the same transaction.
        if result.regrouped_ids:
            from kompass.reports.services import (
                progress_regroup,
                provider_progress_rebuild,
                topic_progress_refresh,
            )

            topic_progress_refresh(municipality_ids=result.regrouped_ids)
            progress_regroup(result.counted_types)
            # Their providers' sums count each Kommune under its type, and only while active.
            provider_progress_rebuild(
                provider_ids=Provider.members.through.objects.filter(
                    municipality_id__in=result.regrouped_ids
                ).values_list("provider_id", flat=True),
                also_lock=result.regrouped_ids,
            )
        return result


def provider_members_add(*, provider: Provider, municipalities) -> None:
    """Make the Kommunen members of the provider, and count them in its sums for the heat map
    (reports.ProviderProgress) in the same transaction."""
    from kompass.reports.services import provider_progress_rebuild

    with transaction.atomic():
        provider.members.add(*municipalities)
        provider_progress_rebuild(provider_ids=[provider.pk])


def _default_classification_dir() -> Path:
    return settings.KOMPASS_DATA_DIR / "gemeindeverzeichnis"


def gemeindeverzeichnis_import(
    *, path: Path, classification_dir: Path | None = None
) -> ImportResult:
    """Import a Destatis GV100AD raw file (UTF-8 or ISO-8859-1) and update all Kommunen by ARS.

    The NRW classification (§ 4 GO NRW list, special cases) is read from ``classification_dir``,
    by default ``KOMPASS_DATA_DIR/gemeindeverzeichnis``.
    """
    path = Path(path)
    if not path.is_file():
        raise GemeindeverzeichnisError([_("Die Datei %(path)s gibt es nicht.") % {"path": path}])
    directory = parse_gv100ad(path)
    classification = nrw_classification_load(classification_dir or _default_classification_dir())
    result = _load_alone(directory, classification)
    tables_analyze(Land, AdministrativeRegion, MunicipalityType, Municipality)
    return result


def gemeindeverzeichnis_import_csv(*, directory: Path) -> ImportResult:
    """Import the derived CSVs in ``directory`` (newest ``gemeinden_de_gv100ad_*.csv`` and the NRW
    classification files next to it); same result as importing the raw file they came from."""
    directory = Path(directory)
    matches = sorted(directory.glob(CSV_PATTERN))
    if not matches:
        raise GemeindeverzeichnisError(
            [
                _("In %(directory)s gibt es keine Datei %(pattern)s.")
                % {"directory": directory, "pattern": CSV_PATTERN}
            ]
        )
    records = gv100ad_records_from_csv(matches[-1])
    classification = nrw_classification_load(directory)
    result = _load_alone(records, classification)
    tables_analyze(Land, AdministrativeRegion, MunicipalityType, Municipality)
    return result


def gemeindeverzeichnis_is_loaded() -> bool:
    """Whether any Gemeinde has been imported (the demo loader skips the import then)."""
    return Municipality.objects.filter(level=MunicipalityLevel.MUNICIPALITY).exists()
