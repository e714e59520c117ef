"""Writes to the catalogue: importing a release and loading the code lists."""

from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from kompass.catalogue.importing import CatalogueImportError
from kompass.catalogue.importing.reader import (
    Problems,
    default_directory,
    parse_code_lists,
    parse_release,
)
from kompass.catalogue.importing.writer import apply_code_lists, apply_release
from kompass.catalogue.models import CatalogueRelease, LifeSituation, OzgService, Service, Topic
from kompass.core.db import tables_analyze, transaction_lock_try

# Only one transaction at a time may write the catalogue (see _catalogue_write_lock).
CATALOGUE_WRITE_LOCK = "kompass.catalogue.import"


class CatalogueImportRunningError(CatalogueImportError):
    """Another catalogue import is writing right now; this one was refused and wrote nothing.

    A CatalogueImportError, so every caller that reports a rejected release reports this too."""

    def __init__(self):
        super().__init__(
            [
                _(
                    "Gerade läuft bereits ein anderer Katalogimport. Warten Sie, bis er "
                    "abgeschlossen ist, und starten Sie den Import dann erneut."
                )
            ]
        )


def _catalogue_write_lock() -> None:
    """Refuse at once if another import writes the catalogue (call inside the transaction).

    Without it, a second import would wait for the first one's rows and then fail on a unique
    key (or, on a later release, overwrite the first one's change report with its own view).
    """
    if not transaction_lock_try(name=CATALOGUE_WRITE_LOCK):
        raise CatalogueImportRunningError


def catalogue_import(
    *, directory: Path | None = None, label: str | None = None, actor=None
) -> CatalogueRelease:
    """Import a catalogue release from the CSV files in ``directory``; return its record.

    Every file is validated completely first; any error raises
    ``kompass.catalogue.importing.CatalogueImportError`` listing all problems with line numbers,
    and nothing is written. Then, in one transaction, the code lists (LeiKa-Typen,
    Reifegradmodelle) are upserted and every level is updated by key: new entries are added,
    changed ones updated, missing ones retired (never deleted), reappearing ones restored.

    Every run records a CatalogueRelease, also when nothing changed (then with 0 changes and no
    CatalogueChange rows, and no catalogue row is written): the release list doubles as the log
    of when the catalogue was last compared with its source.

    Only one import runs at a time: while another one writes, this raises
    ``CatalogueImportRunningError`` (a CatalogueImportError) at once, and nothing is written.
    """
    directory = Path(directory) if directory is not None else default_directory()
    parsed = parse_release(directory)
    if not label:
        label = _("Katalogimport vom %(date)s") % {
            "date": date_format(timezone.localtime(), "SHORT_DATETIME_FORMAT")
        }
    imported_by = actor if actor is not None and actor.is_authenticated else None
    with transaction.atomic():
        _catalogue_write_lock()
        release = CatalogueRelease.objects.create(
            label=label[:200], source=_source_of(directory)[:500], imported_by=imported_by
        )
        counted_before = _counted_catalogue()
        release = apply_release(parsed, release=release)
        if _counted_catalogue() != counted_before:
            _report_counters_rebuild()
    tables_analyze(Topic, LifeSituation, OzgService, Service, Service.leika_types.through)
    return release


def _counted_catalogue() -> tuple[frozenset, int]:
    """What the report counters read of the catalogue: per LeiKa-Leistung whether it is current,
    its LeiKa-Typen (the relevance by Kommunaltyp), its Themenfeld and OZG-Leistung; and the
    lowest OZG-compliant Reifegrad. A release that changes none of it (new names, descriptions,
    Lebenslagen; the usual case) leaves every counter as it is."""
    from kompass.reports.services import compliant_threshold

    services = frozenset(
        (pk, retired_in_id is None, codes, topic_id, ozg_service_id)
        for pk, retired_in_id, codes, topic_id, ozg_service_id in Service.objects.values_list(
            "pk", "retired_in_id", "leika_type_codes", "topic_id", "ozg_service_id"
        )
    )
    return services, compliant_threshold()


def _report_counters_rebuild() -> None:
    """New, retired or moved Leistungen change every Kommune's counters in the comparisons
    (reports.TopicProgress) and the global view (reports.ServiceProgress, OzgProgress): rebuilt
    in the import's transaction (about a minute for all of Germany, while saves wait)."""
    from kompass.reports.models import TopicProgress
    from kompass.reports.services import progress_rebuild, topic_progress_rebuild

    if TopicProgress.objects.exists():
        topic_progress_rebuild()
    # A Leistung may have moved to another OZG-Leistung (OzgProgress).
    progress_rebuild()


def catalogue_code_lists_load(*, directory: Path | None = None) -> None:
    """Load only the code lists (LeiKa-Typen, Reifegradmodelle); idempotent.

    catalogue_import does this too; this is for setups that need the code lists without a
    catalogue (e.g. tests of other apps).
    """
    problems = Problems()
    code_lists = parse_code_lists(
        Path(directory) if directory is not None else default_directory(), problems
    )
    problems.raise_if_any()
    with transaction.atomic():
        _catalogue_write_lock()
        apply_code_lists(code_lists)


def catalogue_is_loaded() -> bool:
    """True once a release with at least one LeiKa-Leistung has been imported."""
    return CatalogueRelease.objects.exists() and Service.objects.exists()


def _source_of(directory: Path) -> str:
    """Where the files came from, relative to the repository when they are in it (the release
    list is public, and the server's directory layout is nobody's business)."""
    resolved = directory.resolve()
    try:
        return str(resolved.relative_to(Path(settings.BASE_DIR).resolve()))
    except ValueError:
        return str(resolved)
