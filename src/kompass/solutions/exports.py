"""The solutions list as CSV or XLSX (the same filter as the page).

Text cells that a spreadsheet would run as a formula (=, +, -, @ …) are neutralised with an
apostrophe (relevance.xlsx.neutralise), the XLSX is written in openpyxl's write_only mode and
the rows are read in chunks, so large exports stay flat in memory.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from openpyxl import Workbook

from kompass.relevance.xlsx import neutralise
from kompass.solutions.choices import Integration, ReviewState, SolutionKind, SolutionStatus
from kompass.solutions.models import Solution


def _headings() -> list[str]:
    return [
        _("Name"),
        _("Anbieter"),
        _("Kontakt beim Anbieter"),
        _("Art"),
        _("Status"),
        _("Prüfstatus"),
        _("Lizenz"),
        _("Kostenmodell"),
        _("Anbindung an das Back-Office"),
        _("ohne Medienbruch"),
        _("zuletzt geprüft am"),
        _("abgedeckte Leistungen"),
        _("höchster erreichter Reifegrad"),
        _("Links"),
        _("Beschreibung"),
    ]


def _rows(solutions: QuerySet[Solution]) -> Iterator[list]:
    yes, no = _("ja"), _("nein")
    for s in solutions.iterator(chunk_size=1000):
        yield [
            neutralise(value)
            for value in (
                s.name,
                s.provider_name,
                s.provider_contact,
                str(SolutionKind(s.kind).label),
                str(SolutionStatus(s.status).label),
                str(ReviewState(s.review_state).label),
                s.licence,
                s.cost_model,
                str(Integration(s.integration).label),
                yes if s.media_break_free else no,
                s.last_reviewed_on.isoformat() if s.last_reviewed_on else "",
                s.service_count,
                s.top_level if s.top_level is not None else "",
                " ".join(s.links or []),
                s.description,
            )
        ]


def solutions_csv(solutions: QuerySet[Solution]) -> bytes:
    """CSV with a BOM and semicolons, as German spreadsheet programs expect."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";")
    writer.writerow(_headings())
    writer.writerows(_rows(solutions))
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def solutions_xlsx(solutions: QuerySet[Solution]) -> bytes:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_("Lösungen"))
    sheet.append(_headings())
    _append_all(sheet, _rows(solutions))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _append_all(sheet, rows: Iterable[list]) -> None:
    for row in rows:
        sheet.append(row)
