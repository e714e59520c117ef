"""The export tables of every evaluation page: the same figures as on screen, with German headers
and typed values (see exports.Table)."""

from __future__ import annotations

from collections.abc import Iterator

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from kompass.accounts.models import person_name
from kompass.catalogue.models import Service
from kompass.implementation.choices import ImplementationStatus
from kompass.implementation.selectors import CLOSED_STATUSES, RowTexts, suggested_priority
from kompass.reports.exports import Column, Table
from kompass.reports.selectors import Benchmark, Dashboard, GlobalView

# --- The workspace list ---------------------------------------------------------------------


def workspace_table(services: QuerySet[Service], *, default_target: int | None) -> Table:
    """Every Leistung of the filtered, sorted workspace list, read in chunks."""
    columns = [
        Column(_("LeiKa-Schlüssel")),
        Column(_("Leistung")),
        Column(_("OZG-ID")),
        Column(_("OZG-Leistung")),
        Column(_("Themenfeld")),
        Column(_("Fachbereich")),
        Column(_("Ansprechperson")),
        Column(_("Status")),
        Column(_("aktueller Reifegrad"), "int"),
        Column(_("Ziel-Reifegrad"), "int"),
        Column(_("Fallzahl pro Jahr"), "int"),
        Column(_("Jahr der Fallzahl"), "int"),
        Column(_("Priorität")),
        Column(_("vorgeschlagene Priorität")),
        Column(_("Begründung des Vorschlags")),
        Column(_("geplante Fertigstellung"), "date"),
        Column(_("überfällig")),
        Column(_("Lösung")),
        Column(_("zuletzt geändert"), "date"),
    ]

    def rows() -> Iterator[tuple]:
        today = timezone.localdate()
        closed = {s.value for s in CLOSED_STATUSES}
        texts = RowTexts()
        yes, no = _("ja"), _("nein")
        for s in services.iterator(chunk_size=1000):
            target = s.impl_target_level if s.impl_target_level is not None else default_target
            suggested, reason = suggested_priority(
                case_count=s.impl_case_count,
                current_level=s.impl_current_level,
                target_level=target,
                texts=texts,
            )
            contact = person_name(
                username=s.impl_contact_username,
                first_name=s.impl_contact_first_name,
                last_name=s.impl_contact_last_name,
            )
            department = (
                f"{s.impl_department_code} {s.impl_department_name}".strip()
                if s.impl_department_id
                else ""
            )
            planned = s.impl_planned_date
            overdue = bool(planned and planned < today and s.impl_status not in closed)
            updated = s.impl_updated_at
            yield (
                s.leika_key or s.catalogue_key,
                s.name,
                s.ozg_service.ozg_id if s.ozg_service else "",
                s.ozg_service.name if s.ozg_service else "",
                s.topic.name if s.topic else "",
                department,
                contact,
                texts.status[s.impl_status],
                s.impl_current_level,
                s.impl_target_level,
                s.impl_case_count,
                s.impl_case_count_year,
                texts.priority[s.impl_priority] if s.impl_priority else "",
                texts.priority[suggested],
                reason,
                planned,
                yes if overdue else no,
                s.impl_solution,
                timezone.localtime(updated).date() if updated else None,
            )

    return Table(title=_("Leistungen"), columns=columns, rows=rows)


# --- The Kommune dashboard ------------------------------------------------------------------

DASHBOARD_TABLES = ("status", "levels", "topics", "top", "without_department", "overdue")


def _row_columns() -> list[Column]:
    return [
        Column(_("LeiKa-Schlüssel")),
        Column(_("Leistung")),
        Column(_("OZG-ID")),
        Column(_("Status")),
        Column(_("aktueller Reifegrad"), "int"),
        Column(_("Ziel-Reifegrad"), "int"),
        Column(_("Fallzahl pro Jahr"), "int"),
        Column(_("vorgeschlagene Priorität")),
        Column(_("Begründung des Vorschlags")),
        Column(_("geplante Fertigstellung"), "date"),
    ]


def _row_values(row) -> tuple:
    s = row.service
    return (
        s.leika_key or s.catalogue_key,
        s.name,
        s.ozg_service.ozg_id if s.ozg_service else "",
        row.status_label,
        s.impl_current_level,
        s.impl_target_level,
        s.impl_case_count,
        row.suggested_label,
        row.suggested_reason,
        s.impl_planned_date,
    )


def dashboard_tables(dashboard: Dashboard) -> dict[str, Table]:
    total = dashboard.total
    return {
        "status": Table(
            title=_("Status"),
            columns=[
                Column(_("Status")),
                Column(_("Leistungen"), "int"),
                Column(_("Anteil in %"), "float"),
            ],
            rows=[(label, n, _share(n, total.relevant)) for _v, label, n in total.status_list()]
            + [
                (
                    _("relevante Leistungen gesamt"),
                    total.relevant,
                    100.0 if total.relevant else None,
                )
            ],
        ),
        "levels": Table(
            title=_("Reifegrad"),
            columns=[
                Column(_("Stufe"), "int"),
                Column(_("Bezeichnung")),
                Column(_("Leistungen mit diesem aktuellen Reifegrad"), "int"),
                Column(_("Leistungen mit diesem Ziel-Reifegrad"), "int"),
            ],
            rows=[(r.level, r.name, r.current, r.target) for r in dashboard.levels],
        ),
        "topics": Table(
            title=_("Themenfelder"),
            columns=[
                Column(_("Themenfeld")),
                Column(_("relevante Leistungen"), "int"),
                *[Column(str(s.label), "int") for s in ImplementationStatus],
                Column(_("Umsetzungsquote in %"), "float"),
                Column(_("OZG-konform"), "int"),
                Column(_("OZG-konform in %"), "float"),
                Column(_("Fallzahlen pro Jahr"), "int"),
                Column(_("Fallzahlen OZG-konform"), "int"),
                Column(_("Fallzahlen OZG-konform in %"), "float"),
            ],
            rows=[_counter_row(c) for c in [*dashboard.topics, total]],
        ),
        "top": Table(
            title=_("Offen nach Priorität"),
            columns=_row_columns(),
            rows=[_row_values(r) for r in dashboard.top_open],
        ),
        "without_department": Table(
            title=_("Ohne Fachbereich"),
            columns=_row_columns(),
            rows=[_row_values(r) for r in dashboard.without_department],
        ),
        "overdue": Table(
            title=_("Überfällige Planungen"),
            columns=_row_columns(),
            rows=[_row_values(r) for r in dashboard.overdue],
        ),
    }


def _share(part, whole):
    return round(100 * part / whole, 1) if whole else None


def _counter_row(c) -> tuple:
    return (
        c.label,
        c.relevant,
        *[c.statuses[s.value] for s in ImplementationStatus],
        c.progress,
        c.compliant,
        c.compliant_share,
        c.cases,
        c.compliant_cases,
        c.case_share,
    )


# --- Global view ----------------------------------------------------------------------------


def global_tables(view: GlobalView) -> list[Table]:
    overall = view.overall
    tables = []
    if overall.enough:
        tables.append(
            Table(
                title=_("Reifegrad"),
                columns=[
                    Column(_("Stufe"), "int"),
                    Column(_("Bezeichnung")),
                    Column(_("Kommunen"), "int"),
                    Column(_("Anteil in %"), "float"),
                ],
                rows=list(overall.level_rows),
            )
        )
        tables.append(
            Table(
                title=_("Status"),
                columns=[
                    Column(_("Status")),
                    Column(_("Kommunen"), "int"),
                    Column(_("Anteil in %"), "float"),
                ],
                rows=list(overall.status_rows),
            )
        )
    if view.parts:
        tables.append(
            Table(
                title=_("LeiKa-Leistungen"),
                columns=[
                    Column(_("LeiKa-Leistung")),
                    Column(_("Kommunen, für die sie relevant ist"), "int"),
                    Column(_("OZG-konform"), "int"),
                    Column(_("OZG-konform in %"), "float"),
                ],
                rows=[
                    (
                        p.label,
                        p.total,
                        p.compliant if p.enough else None,
                        p.compliant_share if p.enough else None,
                    )
                    for p in view.parts
                ],
            )
        )
    if view.contacts:
        tables.append(
            Table(
                title=_("Kommunen zum Nachfragen"),
                columns=[
                    Column(_("Kommune")),
                    Column(_("Reifegrad"), "int"),
                    Column(_("Status")),
                    Column(_("OZG-konforme LeiKa-Leistungen"), "int"),
                    Column(_("Fachbereich")),
                    Column(_("Ansprechperson")),
                    Column(_("E-Mail")),
                ],
                rows=[
                    (
                        c.municipality.name,
                        c.level,
                        c.status_label,
                        c.count if view.parts else None,
                        c.department,
                        c.contact_name,
                        c.contact_email,
                    )
                    for c in view.contacts
                ],
            )
        )
    return tables


# --- Benchmark ------------------------------------------------------------------------------


def benchmark_table(benchmark: Benchmark) -> Table:
    rows = []
    for group in benchmark.groups:
        for rank in [group.overall, *group.topics]:
            rows.append(
                (
                    group.label,
                    rank.label,
                    rank.size,
                    rank.own if rank.enough else None,
                    rank.rank,
                    rank.median,
                    rank.mean,
                )
            )
    return Table(
        title=_("Vergleich"),
        columns=[
            Column(_("Vergleichsgruppe")),
            Column(_("Themenfeld")),
            Column(_("Kommunen in der Gruppe"), "int"),
            Column(_("eigene Umsetzungsquote in %"), "float"),
            Column(_("Rang"), "int"),
            Column(_("Median in %"), "float"),
            Column(_("Mittelwert in %"), "float"),
        ],
        rows=rows,
    )


# --- Heat map -------------------------------------------------------------------------------


def heatmap_table(topics, rows) -> Table:
    """rows: an iterable of HeatRow (all filtered members, page by page)."""
    columns = [
        Column(_("Kommune")),
        Column(_("Kreis")),
        Column(_("Kommunaltyp")),
        *[
            Column(_("%(topic)s: Umsetzungsquote in %%") % {"topic": t.name}, "float")
            for t in topics
        ],
        Column(_("gesamt: Umsetzungsquote in %"), "float"),
        Column(_("gesamt: relevante Leistungen"), "int"),
        Column(_("gesamt: umgesetzt"), "int"),
    ]

    def values() -> Iterator[tuple]:
        for row in rows:
            m = row.municipality
            yield (
                m.name,
                m.district.name if m.district else "",
                m.municipality_type.name if m.municipality_type else "",
                *[cell.progress if cell else None for cell in row.cells],
                row.total.progress,
                row.total.relevant,
                row.total.done,
            )

    return Table(title=_("Heatmap"), columns=columns, rows=values)
