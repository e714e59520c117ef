"""Exports that the background worker produces (Django's task framework; django-tasks-db keeps
the queue in the database and `manage.py db_worker` runs it).

The heat map of a provider covers up to every Kommune in Germany: about three seconds of work
at SCALE=de, too long to hold a request and one of the few application processes. So the page
asks for it (export_request: the Export row and its task are written in one transaction, both
or neither), the worker builds it (build_export -> export_build: chunk by chunk, recording how
many Kommunen are done, then the whole file into the row), and the person follows the progress
on the export's page and downloads the file there. Only the person who asked sees an export;
the worker checks their access again before it reads anything.
"""

from __future__ import annotations

import datetime
import logging
import tempfile
from collections.abc import Callable, Iterator

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404, QueryDict
from django.tasks import task
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django_tasks_db.models import DBTaskResult

from kompass.municipalities.models import Municipality
from kompass.reports import selectors, tables
from kompass.reports.choices import ExportFormat, ExportKind, ExportStatus
from kompass.reports.exports import Table, csv_lines, filename, write_xlsx
from kompass.reports.models import Export

logger = logging.getLogger(__name__)

EXPORT_KEEP_DAYS = 7
# Kommunen per chunk: two queries each, and one progress report.
EXPORT_CHUNK = 500

Progress = Callable[[int], None]


# --- Requesting and reading -----------------------------------------------------------------


def export_request(*, actor, kind: ExportKind, fmt: str, params: dict, title: str) -> Export:
    """Record an export for the actor and queue its task. fmt must be an ExportFormat (the
    views answer 404 for others before they get here). The same export that the actor asked for
    a moment ago and that is still waiting or being built is returned instead of queueing it
    twice (a double click). Purges expired exports on the way."""
    if fmt not in ExportFormat.values:
        raise ValueError(f"unknown export format {fmt!r}")
    with transaction.atomic():
        pending = (
            exports_of(actor)
            .filter(
                kind=kind,
                fmt=fmt,
                params=params,
                status__in=[ExportStatus.QUEUED, ExportStatus.RUNNING],
                updated_at__gte=timezone.now() - Export.STALLED_AFTER,
            )
            .first()
        )
        if pending is not None:
            return pending
        exports_purge()
        export = Export.objects.create(
            requested_by=actor, kind=kind, fmt=fmt, params=params, title=title
        )
        build_export.enqueue(str(export.pk))
    return export


def exports_purge(*, now: datetime.datetime | None = None) -> int:
    """Delete the exports older than EXPORT_KEEP_DAYS (their files with them), and the finished
    results of their tasks in the task table."""
    limit = (now or timezone.now()) - datetime.timedelta(days=EXPORT_KEEP_DAYS)
    deleted, _by_model = Export.objects.filter(created_at__lt=limit).delete()
    DBTaskResult.objects.finished().filter(
        task_path=build_export.module_path, finished_at__lt=limit
    ).delete()
    return deleted


def export_retry(*, export: Export, actor) -> Export:
    """The same export once more (after a failure or an interruption), as a new one."""
    return export_request(
        actor=actor,
        kind=export.kind,
        fmt=export.fmt,
        params=export.params,
        title=export.title,
    )


def exports_of(user) -> QuerySet[Export]:
    """The person's exports, newest first, without their files."""
    return Export.objects.filter(requested_by=user).defer("content").order_by("-created_at")


def export_get_for_user(*, user, pk, with_content: bool = False) -> Export:
    """The person's own export; 404 for every other one, as for one that does not exist."""
    exports = Export.objects.filter(requested_by=user)
    if not with_content:
        exports = exports.defer("content")
    try:
        return exports.get(pk=pk)
    except Export.DoesNotExist:
        raise Http404 from None


# --- Building ---------------------------------------------------------------------------------


def _heatmap(export: Export, progress: Progress) -> tuple[int, list[Table]]:
    provider = selectors.provider_get_for_reports(
        user=export.requested_by, pk=export.params["provider"]
    )
    _filterset, members = selectors.provider_members_filtered(
        provider, QueryDict(export.params.get("query", ""))
    )
    topics = selectors.heatmap_topics()
    # The members are fixed at the start, in the heat map's order: the chunks neither skip nor
    # repeat a Kommune that joins, leaves or is renamed meanwhile (as OFFSET pages could).
    ids = list(members.values_list("pk", flat=True))

    def rows() -> Iterator[selectors.HeatRow]:
        # Chunks of Kommunen: two queries each, never all counters in memory.
        for start in range(0, len(ids), EXPORT_CHUNK):
            chunk_ids = ids[start : start + EXPORT_CHUNK]
            by_pk = Municipality.objects.select_related("district", "municipality_type").in_bulk(
                chunk_ids
            )
            chunk = [by_pk[pk] for pk in chunk_ids if pk in by_pk]
            yield from selectors.heatmap_rows(topics=topics, page=chunk)
            progress(start + len(chunk_ids))

    return len(ids), [tables.heatmap_table(topics, rows())]


BUILDERS: dict[str, Callable[[Export, Progress], tuple[int, list[Table]]]] = {
    ExportKind.HEATMAP: _heatmap,
}


def _write(fmt: str, tables_: list[Table], target) -> None:
    if fmt == ExportFormat.XLSX:
        write_xlsx(tables_, target)
    else:
        for line in csv_lines(tables_[0]):
            target.write(line.encode("utf-8"))


def _fail(export_id, message: str) -> None:
    now = timezone.now()
    Export.objects.filter(pk=export_id).update(
        status=ExportStatus.FAILED, error=message, updated_at=now, finished_at=now
    )


def export_build(*, export_id: str) -> ExportStatus | None:
    """Build a queued export: claim it, write its file in chunks while reporting progress,
    store the file in the row. Runs once per export (a second run finds it claimed: None).
    A person who lost access to what they asked for gets a failed export with a reason;
    any other error fails it with a general message and is raised for the task's log."""
    claimed = Export.objects.filter(pk=export_id, status=ExportStatus.QUEUED).update(
        status=ExportStatus.RUNNING, updated_at=timezone.now()
    )
    if not claimed:
        return None
    export = Export.objects.select_related("requested_by").defer("content").get(pk=export_id)
    updates = Export.objects.filter(pk=export_id)
    with translation.override(settings.LANGUAGE_CODE):
        try:
            total, tables_ = BUILDERS[export.kind](
                export, lambda done: updates.update(done=done, updated_at=timezone.now())
            )
            updates.update(total=total, updated_at=timezone.now())
            with tempfile.TemporaryFile() as spool:
                _write(export.fmt, tables_, spool)
                size = spool.tell()
                spool.seek(0)
                content = spool.read()
        except Http404:
            _fail(
                export_id,
                _(
                    "Sie haben keinen Zugriff mehr auf diese Auswertung; es wurde keine Datei erstellt."
                ),
            )
            return ExportStatus.FAILED
        except Exception:
            logger.exception("export %s failed", export_id)
            _fail(
                export_id,
                _(
                    "Der Export ist fehlgeschlagen; es wurde keine Datei erstellt. Bitte versuchen "
                    "Sie es erneut. Tritt der Fehler wieder auf, wenden Sie sich an den Betrieb."
                ),
            )
            raise
        now = timezone.now()
        updates.update(
            status=ExportStatus.DONE,
            content=content,
            size=size,
            done=total,
            total=total,
            filename=filename(export.title, export.fmt),
            updated_at=now,
            finished_at=now,
        )
    return ExportStatus.DONE


@task
def build_export(export_id: str) -> str | None:
    """The worker's entry: see export_build."""
    return export_build(export_id=export_id)
