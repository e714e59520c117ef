"""Reads of the evaluations.

    providers_visible_to(user) / provider_get_for_reports(*, user, pk)   heat map access
    municipality_dashboard(*, services, levels)      a Kommune's figures, live from its records
    service_global(*, service, user) / ozg_global(*, ozg_service, user)  the global Reifegrad
    benchmark_for(*, municipality)                  ranks among comparable Kommunen (aggregates)
    heatmap_for(*, members)                         Kommunen × Themenfelder (aggregates)

Kommune pages get their Kommune through accounts.selectors.municipality_get_for_user (404 for
other tenants). Comparisons across Kommunen read reports.models.TopicProgress and show only
aggregates of at least MIN_GROUP Kommunen; names of other Kommunen appear only where the user may
see those Kommunen (service_global's contacts).
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import Count, QuerySet, Sum
from django.db.models.functions import Coalesce
from django.http import Http404, QueryDict
from django.utils import timezone
from django.utils.translation import gettext as _

from kompass.accounts.choices import Role
from kompass.accounts.selectors import (
    is_superuser,
    municipalities_visible_to,
    role_assignments_of,
)
from kompass.catalogue.models import MaturityLevel, OzgService, Service, Topic
from kompass.implementation.choices import ImplementationStatus, Priority
from kompass.implementation.models import Implementation
from kompass.implementation.selectors import (
    CLOSED_STATUSES,
    EditScope,
    WorkspaceRow,
    rows_for,
    services_by_pk,
    suggested_priority_value,
)
from kompass.municipalities.models import Municipality, Provider
from kompass.reports.choices import SizeClass
from kompass.reports.filters import MemberFilterSet
from kompass.reports.models import OzgProgress, ProviderProgress, TopicProgress
from kompass.reports.sql import (
    STATUSES,
    in_list,
    relevant_counts_sql,
    relevant_record_levels_sql,
    relevant_records_sql,
)
from kompass.solutions.selectors import SolutionInUse, solutions_in_use

if TYPE_CHECKING:
    from kompass.accounts.selectors import AnyUser

# Comparisons show aggregates of at least this many Kommunen (never one Kommune's record).
MIN_GROUP = 5
TOP_COUNT = 10
CONTACT_COUNT = 10
# The contacts of a Leistung are ranked among the records from the highest level down to the
# level where there are this many times CONTACT_COUNT records (see _furthest_with_records).
CONTACT_MARGIN = 4
# Up to this many records the visible Kommunen are probed per record, beyond it hashed once.
_PROBE_LIMIT = 2000


def share(part: int | float, whole: int | float) -> float | None:
    """part / whole in percent with one decimal, None when there is nothing to divide by."""
    if not whole:
        return None
    return round(100 * part / whole, 1)


def progress(*, relevant: int, done: int, dropped: int) -> float | None:
    """The Umsetzungsquote: umgesetzt in percent of the relevant Leistungen that do not lapse."""
    return share(done, relevant - dropped)


# --- Access -----------------------------------------------------------------------------------


def providers_visible_to(user: AnyUser) -> QuerySet[Provider]:
    """IT providers whose member Kommunen the user sees side by side: their operators and
    readers granted for all members (Role.READER with a provider)."""
    if is_superuser(user):
        return Provider.objects.all()
    ids = {
        a.provider_id
        for a in role_assignments_of(user)
        if a.role in (Role.OPERATOR, Role.READER) and a.provider_id is not None
    }
    return Provider.objects.filter(pk__in=ids)


def provider_get_for_reports(*, user: AnyUser, pk: int) -> Provider:
    try:
        return providers_visible_to(user).get(pk=pk)
    except Provider.DoesNotExist:
        raise Http404 from None


def default_levels() -> list[MaturityLevel]:
    return list(MaturityLevel.objects.filter(model__is_default=True).order_by("level"))


# --- The Kommune dashboard (live) -------------------------------------------------------------


_STATUSES = tuple(ImplementationStatus.values)


@dataclass
class Counters:
    """Counts of a set of relevant Leistungen (a Themenfeld, or all)."""

    label: str = ""
    topic_id: int | None = None
    relevant: int = 0
    statuses: dict[str, int] = field(default_factory=lambda: dict.fromkeys(_STATUSES, 0))
    compliant: int = 0
    cases: int = 0
    compliant_cases: int = 0

    @property
    def done(self) -> int:
        return self.statuses[ImplementationStatus.DONE]

    @property
    def dropped(self) -> int:
        return self.statuses[ImplementationStatus.DROPPED]

    @property
    def progress(self) -> float | None:
        return progress(relevant=self.relevant, done=self.done, dropped=self.dropped)

    @property
    def compliant_share(self) -> float | None:
        return share(self.compliant, self.relevant)

    @property
    def case_share(self) -> float | None:
        return share(self.compliant_cases, self.cases)

    def status_list(self) -> list[tuple[str, str, int]]:
        return [(s.value, str(s.label), self.statuses[s.value]) for s in ImplementationStatus]


@dataclass
class LevelRow:
    level: int
    name: str
    current: int
    target: int


@dataclass
class Dashboard:
    total: Counters
    topics: list[Counters]
    levels: list[LevelRow]
    threshold: int | None
    target_unset: int
    top_open: list[WorkspaceRow]
    without_department: list[WorkspaceRow]
    without_department_count: int
    overdue: list[WorkspaceRow]
    overdue_count: int

    @property
    def chart_status(self) -> dict:
        return {
            "type": "doughnut",
            "labels": [label for _v, label, _n in self.total.status_list()],
            "datasets": [
                {"label": _("Leistungen"), "data": [n for *_x, n in self.total.status_list()]}
            ],
        }

    @property
    def chart_levels(self) -> dict:
        return {
            "type": "bar",
            "labels": [f"{row.level} {row.name}" for row in self.levels],
            "datasets": [
                {"label": _("aktueller Reifegrad"), "data": [row.current for row in self.levels]},
                {"label": _("Ziel-Reifegrad"), "data": [row.target for row in self.levels]},
            ],
        }

    @property
    def chart_topics(self) -> dict:
        return {
            "type": "bar",
            "indexAxis": "y",
            "percent": True,
            "labels": [row.label for row in self.topics],
            "datasets": [
                {
                    "label": _("umgesetzt (%)"),
                    "data": [row.progress or 0 for row in self.topics],
                },
                {
                    "label": _("OZG-konform (%)"),
                    "data": [row.compliant_share or 0 for row in self.topics],
                },
            ],
        }


def _level_at_least(level: int | None, threshold: int | None) -> bool:
    return threshold is not None and (level or 0) >= threshold


_PRIORITY_RANK = {Priority.HIGH: 0, Priority.MEDIUM: 1, Priority.LOW: 2}
_CLOSED = frozenset(s.value for s in CLOSED_STATUSES)


def municipality_dashboard(
    *,
    services: QuerySet[Service],
    user: AnyUser,
    municipality: Municipality,
    levels: list[MaturityLevel],
    top: int = TOP_COUNT,
) -> Dashboard:
    """A Kommune's figures over the given (filtered) workspace Leistungen, live from the records.

    One read of the Leistungen' few record columns (at most ~2,500 small rows) gives every count,
    the suggested priorities and the short lists; one more query loads the ≤ 3 × top Leistungen
    that the lists show, by id (services_by_pk), without the relevance conditions again. Two
    topic queries; nothing grows with the number of Leistungen.
    """
    threshold = next((lvl.level for lvl in levels if lvl.ozg_compliant), None)
    default_target = threshold
    today = timezone.localdate()
    total = Counters(label=_("Alle Themenfelder"))
    by_topic: dict[int | None, Counters] = {}
    current: dict[int, int] = defaultdict(int)
    target: dict[int, int] = defaultdict(int)
    target_unset = 0
    open_ranked, without_department, overdue = [], [], []
    rows = services.order_by().values_list(
        "pk",
        "name",
        "ozg_service__ozg_id",
        "topic_id",
        "impl_status",
        "impl_current_level",
        "impl_target_level",
        "impl_case_count",
        "impl_department_id",
        "impl_planned_date",
    )
    for pk, name, ozg_id, topic_id, status, level, target_level, cases, dept, planned in rows:
        cases_ = cases or 0
        compliant = _level_at_least(level, threshold)
        topic = by_topic.get(topic_id)
        if topic is None:
            topic = by_topic[topic_id] = Counters(topic_id=topic_id)
        for counters in (total, topic):
            counters.relevant += 1
            counters.statuses[status] += 1
            counters.cases += cases_
            if compliant:
                counters.compliant += 1
                counters.compliant_cases += cases_
        current[level or 0] += 1
        if target_level is None:
            target_unset += 1
        else:
            target[target_level] += 1
        if dept is None:
            without_department.append((ozg_id or "", name, pk))
        if status not in _CLOSED:
            if planned is not None and planned < today:
                overdue.append((planned, name, pk))
            suggested = suggested_priority_value(
                case_count=cases,
                current_level=level,
                target_level=target_level if target_level is not None else default_target,
            )
            open_ranked.append((_PRIORITY_RANK[suggested], -cases_, name, pk))
    topic_rows = {
        pk: (name, position)
        for pk, name, position in Topic.objects.filter(
            pk__in=[t for t in by_topic if t is not None]
        ).values_list("pk", "name", "position")
    }
    for topic_id, counters in by_topic.items():
        counters.label = topic_rows.get(topic_id, (_("ohne Themenfeld"), 0))[0]
    topics = sorted(
        by_topic.values(),
        key=lambda c: (c.topic_id is None, topic_rows.get(c.topic_id, ("", 0))[1], c.label),
    )
    known = {lvl.level for lvl in levels}
    level_rows = [
        LevelRow(lvl.level, lvl.name, current.get(lvl.level, 0), target.get(lvl.level, 0))
        for lvl in levels
    ]
    # Values outside the scale (e.g. after switching the default model) stay visible.
    for value in sorted((set(current) | set(target)) - known):
        level_rows.append(LevelRow(value, "", current.get(value, 0), target.get(value, 0)))
    lists = {
        "top": [pk for *_x, pk in sorted(open_ranked)[:top]],
        "without_department": [pk for *_x, pk in sorted(without_department)[:top]],
        "overdue": [pk for *_x, pk in sorted(overdue)[:top]],
    }
    # The lists' Leistungen come from the relevant ones read above: read their rows by id alone.
    wanted = [pk for pks in lists.values() for pk in pks]
    loaded = {s.pk: s for s in services_by_pk(wanted, municipality=municipality)}

    def rows_of(key: str) -> list[WorkspaceRow]:
        return rows_for(
            [loaded[pk] for pk in lists[key] if pk in loaded],
            municipality=municipality,
            scope=EditScope(),
            default_target=default_target,
        )

    return Dashboard(
        total=total,
        topics=topics,
        levels=level_rows,
        threshold=threshold,
        target_unset=target_unset,
        top_open=rows_of("top"),
        without_department=rows_of("without_department"),
        without_department_count=len(without_department),
        overdue=rows_of("overdue"),
        overdue_count=len(overdue),
    )


# --- The global Reifegrad ---------------------------------------------------------------------


@dataclass
class Distribution:
    """How the Kommunen for which something is relevant stand (counts per level and status)."""

    label: str
    levels: list[MaturityLevel]
    threshold: int | None
    by_level: dict[int, int] = field(default_factory=lambda: defaultdict(int))
    by_status: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    service_id: int | None = None

    @property
    def total(self) -> int:
        return sum(self.by_level.values())

    @property
    def enough(self) -> bool:
        return self.total >= MIN_GROUP

    @property
    def compliant(self) -> int:
        if self.threshold is None:
            return 0
        return sum(n for level, n in self.by_level.items() if level >= self.threshold)

    @property
    def compliant_share(self) -> float | None:
        return share(self.compliant, self.total)

    @property
    def level_rows(self) -> list[tuple[int, str, int, float | None]]:
        names = {lvl.level: lvl.name for lvl in self.levels}
        values = sorted(set(names) | set(self.by_level))
        return [
            (
                v,
                names.get(v, ""),
                self.by_level.get(v, 0),
                share(self.by_level.get(v, 0), self.total),
            )
            for v in values
        ]

    @property
    def status_rows(self) -> list[tuple[str, int, float | None]]:
        return [
            (
                str(s.label),
                self.by_status.get(s.value, 0),
                share(self.by_status.get(s.value, 0), self.total),
            )
            for s in ImplementationStatus
        ]

    @property
    def chart(self) -> dict:
        return {
            "type": "bar",
            "labels": [f"{v} {name}".strip() for v, name, _n, _s in self.level_rows],
            "datasets": [
                {"label": _("Kommunen"), "data": [n for _v, _l, n, _s in self.level_rows]}
            ],
        }


@dataclass
class Contact:
    municipality: Municipality
    level: int
    status: str
    contact_name: str
    contact_email: str
    department: str
    count: int = 0

    @property
    def status_label(self) -> str:
        return str(ImplementationStatus(self.status).label) if self.status else ""


@dataclass
class GlobalView:
    overall: Distribution
    parts: list[Distribution]
    contacts: list[Contact] | None  # None: the user may see no Kommune at all
    # Published solutions that Kommunen use or plan for the Leistung(en), most used first.
    solutions: list[SolutionInUse] = field(default_factory=list)


def _visible_condition(user: AnyUser, *, hashed: bool = False) -> tuple[str, list] | None:
    """`m.id IN (the Kommunen the user may see)`, None if there are none. hashed: the condition
    filters thousands of rows (all records of a Leistung), so PostgreSQL should read the
    visible Kommunen once and hash them; OFFSET 0 keeps it from folding the subquery into a
    probe per row (all records of a Leistung at SCALE=de: about 60 → 35 ms). For a few hundred
    records or the OZG view's few dozen candidates a probe each is cheaper."""
    try:
        sql, params = (
            municipalities_visible_to(user).order_by().values("pk").query.sql_with_params()
        )
    except EmptyResultSet:
        return None
    if hashed and connection.vendor == "postgresql":
        sql = f"{sql} OFFSET 0"
    return f"m.id IN ({sql})", list(params)


def _distributions(service_condition: str, params: list, *, label: str, levels, threshold):
    """The overall distribution over the Leistungen matching service_condition (over
    catalogue_service s) and one per Leistung: the relevant records by level and status (from
    ServiceProgress, see reports.sql), and the relevant Kommunen without a record as "offen" at
    level 0."""
    open_ = ImplementationStatus.OPEN.value
    counts_sql, counts_params = relevant_counts_sql(service_condition, params)
    levels_sql, levels_params = relevant_record_levels_sql(service_condition, params)
    with connection.cursor() as cursor:
        cursor.execute(counts_sql, counts_params)
        relevant: dict[int, int] = defaultdict(int)
        names: dict[int, str] = {}
        for service_id, name, n in cursor.fetchall():
            relevant[service_id] += int(n)  # SUM is numeric on PostgreSQL
            names[service_id] = name
        cursor.execute(levels_sql, levels_params)
        cells = cursor.fetchall()
    overall = Distribution(label=label, levels=levels, threshold=threshold)
    parts = {
        pk: Distribution(label=names[pk], levels=levels, threshold=threshold, service_id=pk)
        for pk in relevant
    }
    without_record = dict(relevant)
    for service_id, level, *per_status in cells:
        for status, n in zip(STATUSES, per_status, strict=True):
            n = int(n)
            if not n:
                continue
            without_record[service_id] -= n
            for target in (overall, parts[service_id]):
                target.by_level[level] += n
                target.by_status[status] += n
    for service_id, n in without_record.items():
        if n:
            for target in (overall, parts[service_id]):
                target.by_level[0] += n
                target.by_status[open_] += n
    for target in (overall, *parts.values()):
        _drop_empty(target)
    return overall, sorted(parts.values(), key=lambda d: d.label)


def _drop_empty(distribution: Distribution) -> None:
    """Cells whose rows summed to 0 (a level nobody is at any more) are not shown as 0 Kommunen
    where the records' own counting would show nothing."""
    for counts in (distribution.by_level, distribution.by_status):
        for key in [key for key, n in counts.items() if n == 0]:
            del counts[key]


def service_global(*, service: Service, user: AnyUser) -> GlobalView:
    """The global Reifegrad of one LeiKa-Leistung over every Kommune for which it is relevant,
    and the Kommunen the user may see that are furthest (with their contact person)."""
    levels = default_levels()
    threshold = next((lvl.level for lvl in levels if lvl.ozg_compliant), None)
    overall, _parts = _distributions(
        "s.id = %s", [service.pk], label=service.name, levels=levels, threshold=threshold
    )
    return GlobalView(
        overall=overall,
        parts=[],
        contacts=_service_contacts(service=service, user=user),
        solutions=solutions_in_use(service_ids=[service.pk]),
    )


def _level_floor(records_per_level: list[tuple[int, int]], wanted: int) -> tuple[int, int]:
    """(level, records at or above it): the highest level at or above which there are at least
    `wanted` records, or (0, all records) if there are fewer. records_per_level: (level, count),
    highest level first."""
    seen = 0
    for level, count in records_per_level:
        seen += count
        if seen >= wanted:
            return level, seen
    return 0, seen


def _furthest_with_records(*, service: Service, user: AnyUser) -> list[int] | None:
    """The ids of the CONTACT_COUNT visible Kommunen furthest in the Leistung (level, then done,
    then name), among those for which it is relevant; None if the user may see no Kommune.

    The order leads with the level, so the records at or above a level are its beginning. The
    records are counted per level first (from the covering index implementation_by_service),
    then only those from the highest level down to where there are CONTACT_MARGIN times enough
    are ranked: at SCALE=de a few hundred of a Leistung's ~10,000, checked one by one against
    the visible Kommunen. Should relevance or visibility leave too few of them, all records are
    ranked (the visible Kommunen then hashed once)."""
    probe = _visible_condition(user)
    if probe is None:
        return None
    per_level = (
        Implementation.objects.filter(service=service)
        .values(level=Coalesce("current_level", 0))
        .annotate(records=Count("*"))  # COUNT(*): the index alone, no column of the table
        .order_by("-level")
        .values_list("level", "records")
    )
    floor, candidates = _level_floor(list(per_level), CONTACT_MARGIN * CONTACT_COUNT)
    visible = probe if candidates <= _PROBE_LIMIT else _visible_condition(user, hashed=True)
    ids = _ranked_contacts(service, visible, floor=floor)
    if len(ids) < CONTACT_COUNT and floor > 0:
        ids = _ranked_contacts(service, _visible_condition(user, hashed=True), floor=0)
    return ids


def _ranked_contacts(service: Service, visible: tuple[str, list], *, floor: int) -> list[int]:
    """The ids of the CONTACT_COUNT Kommunen meeting `visible` furthest among the records at or
    above the level floor (the order of _furthest_with_records)."""
    # The Kommunen only, not the records' ids: every column the order needs is in the covering
    # index implementation_by_service, so the records are ranked without reading the table.
    sql, params = relevant_records_sql(
        select="m.id", select_params=[], service_condition="s.id = %s", params=[service.pk]
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"""{sql} AND {visible[0]} AND COALESCE(i.current_level, 0) >= %s
                ORDER BY COALESCE(i.current_level, 0) DESC,
                         CASE WHEN i.status = %s THEN 0 ELSE 1 END, m.name, m.id
                LIMIT {CONTACT_COUNT}""",
            [*params, *visible[1], floor, ImplementationStatus.DONE.value],
        )
        return [row[0] for row in cursor.fetchall()]


def _service_contacts(*, service: Service, user: AnyUser) -> list[Contact] | None:
    ids = _furthest_with_records(service=service, user=user)
    if ids is None:
        return None
    order = {pk: index for index, pk in enumerate(ids)}
    records = sorted(
        Implementation.objects.filter(service=service, municipality_id__in=ids).select_related(
            "municipality", "contact_person", "department"
        ),
        key=lambda r: order[r.municipality_id],
    )
    contacts = []
    for record in records:
        person = record.contact_person
        contacts.append(
            Contact(
                municipality=record.municipality,
                level=record.current_level or 0,
                status=record.status,
                contact_name=(person.get_full_name() or person.username) if person else "",
                contact_email=person.email if person else "",
                department=str(record.department) if record.department else "",
            )
        )
    return contacts


def _ranked_records(
    *, ozg_service: OzgService, condition: str, params: list, visible: tuple[str, list], limit: int
) -> list[tuple[int, int, int]]:
    """(Kommune id, relevant records at an OZG-compliant level, best level) of the visible
    Kommunen whose relevant records in the OZG-Leistung meet condition, best first."""
    sql, sql_params = relevant_records_sql(
        select="""m.id, SUM(CASE WHEN COALESCE(i.current_level, 0) >= %s THEN 1 ELSE 0 END),
                  MAX(COALESCE(i.current_level, 0))""",
        select_params=[limit],
        service_condition="s.ozg_service_id = %s",
        params=[ozg_service.pk],
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"""{sql} AND {condition} AND {visible[0]} GROUP BY m.id
                ORDER BY 2 DESC, 3 DESC, m.id LIMIT {CONTACT_COUNT}""",
            [*sql_params, *params, *visible[1]],
        )
        return [(m_id, int(n), int(best)) for m_id, n, best in cursor.fetchall()]


def _furthest_kommunen(
    *, ozg_service: OzgService, user: AnyUser, visible: tuple[str, list], threshold
):
    """(Kommune id, OZG-conform LeiKa-Leistungen, best level) of the CONTACT_COUNT visible
    Kommunen furthest in the OZG-Leistung.

    OzgProgress bounds each Kommune's OZG-conform records from above (it also counts records of
    Leistungen no longer relevant), so the Kommunen are checked against their relevant records
    in the order of that bound, a batch at a time, until no unchecked Kommune can reach the last
    place found. Only when fewer Kommunen have an OZG-conform record at all are all records
    ranked (then by their best level)."""
    limit = threshold if threshold is not None else 10_000
    found: list[tuple[int, int, int]] = []
    checked = 0
    batch = 4 * CONTACT_COUNT
    bounds = (
        OzgProgress.objects.filter(
            ozg_service=ozg_service,
            compliant__gt=0,
            municipality__dissolved_on__isnull=True,
            municipality__in=municipalities_visible_to(user).order_by().values("pk"),
        )
        .order_by("-compliant", "municipality_id")
        .values_list("municipality_id", "compliant")
    )
    while True:
        candidates = list(bounds[checked : checked + batch])
        checked += len(candidates)
        if candidates:
            ids_condition, ids_params = in_list("m.id", [m_id for m_id, _bound in candidates])
            found += _ranked_records(
                ozg_service=ozg_service,
                condition=f"COALESCE(i.current_level, 0) >= %s AND {ids_condition}",
                params=[limit, *ids_params],
                visible=visible,
                limit=limit,
            )
            found.sort(key=lambda row: (-row[1], -row[2], row[0]))
            del found[CONTACT_COUNT:]
        if len(candidates) < batch or (
            len(found) == CONTACT_COUNT and found[-1][1] > candidates[-1][1]
        ):
            break
        batch *= 4
    if len(found) == CONTACT_COUNT:
        return found
    return _ranked_records(
        ozg_service=ozg_service, condition="1 = 1", params=[], visible=visible, limit=limit
    )


def ozg_global(*, ozg_service: OzgService, user: AnyUser) -> GlobalView:
    """The global Reifegrad of an OZG-Leistung: each (Kommune, LeiKa-Leistung) pair counts once;
    per LeiKa-Leistung the same; the visible Kommunen with most OZG-conform LeiKa-Leistungen."""
    levels = default_levels()
    threshold = next((lvl.level for lvl in levels if lvl.ozg_compliant), None)
    overall, parts = _distributions(
        "s.ozg_service_id = %s",
        [ozg_service.pk],
        label=str(ozg_service),
        levels=levels,
        threshold=threshold,
    )
    contacts = None
    visible = _visible_condition(user)
    if visible is not None:
        found = _furthest_kommunen(
            ozg_service=ozg_service, user=user, visible=visible, threshold=threshold
        )
        municipalities = Municipality.objects.in_bulk([row[0] for row in found])
        contacts = [
            Contact(
                municipality=municipalities[m_id],
                level=best,
                status="",
                contact_name="",
                contact_email="",
                department="",
                count=n,
            )
            for m_id, n, best in found
        ]
    return GlobalView(
        overall=overall,
        parts=parts,
        contacts=contacts,
        solutions=solutions_in_use(service_ids=[part.service_id for part in parts]),
    )


# --- Benchmark ------------------------------------------------------------------------------


@dataclass
class Rank:
    """The Kommune's place in a group for one Themenfeld (or overall)."""

    label: str
    own: float | None
    rank: int | None
    size: int
    median: float | None
    mean: float | None

    @property
    def enough(self) -> bool:
        return self.size >= MIN_GROUP


@dataclass
class BenchmarkGroup:
    key: str
    label: str
    size: int
    overall: Rank
    topics: list[Rank]

    @property
    def enough(self) -> bool:
        return self.size >= MIN_GROUP


@dataclass
class Benchmark:
    municipality: Municipality
    size_class: SizeClass | None
    groups: list[BenchmarkGroup]
    min_group: int = MIN_GROUP


def _rank(label: str, own_id: int, values: dict[int, float]) -> Rank:
    if len(values) < MIN_GROUP or own_id not in values:
        # Too few to compare, or the Kommune has nothing relevant here: no figures at all.
        return Rank(label, values.get(own_id), None, len(values), None, None)
    own = values[own_id]
    series = list(values.values())
    return Rank(
        label=label,
        own=own,
        rank=1 + sum(1 for v in series if v > own),
        size=len(series),
        median=round(statistics.median(series), 1),
        mean=round(statistics.fmean(series), 1),
    )


def benchmark_for(*, municipality: Municipality) -> Benchmark:
    """The Kommune among the Kommunen of its Kommunaltyp: in its providers' area, in its Land,
    and in its Land and size class. Every group lies within the Land and type, so one read of
    TopicProgress serves all of them."""
    size_class = SizeClass.of(municipality.population)
    if municipality.municipality_type_id is None:
        return Benchmark(municipality=municipality, size_class=size_class, groups=[])
    peers = list(
        Municipality.objects.active()
        .filter(municipality_type_id=municipality.municipality_type_id)
        .values_list("pk", "population")
    )
    provider_ids = list(municipality.providers.values_list("pk", flat=True))
    in_area = set(
        Provider.members.through.objects.filter(
            provider_id__in=provider_ids,
            municipality__municipality_type_id=municipality.municipality_type_id,
            municipality__dissolved_on__isnull=True,
        ).values_list("municipality_id", flat=True)
    )
    type_name = municipality.municipality_type.name
    groups_members = []
    if provider_ids:
        groups_members.append(
            (
                "provider",
                _("%(type)s im Gebiet des IT-Dienstleisters") % {"type": type_name},
                in_area,
            )
        )
    groups_members.append(
        ("land", _("%(type)s im Land") % {"type": type_name}, {pk for pk, _p in peers})
    )
    if size_class is not None:
        groups_members.append(
            (
                "size",
                _("%(type)s im Land, %(size)s") % {"type": type_name, "size": size_class.label},
                {pk for pk, population in peers if SizeClass.of(population) == size_class},
            )
        )
    topic_values: dict[int | None, dict[int, list[int]]] = defaultdict(dict)
    overall: dict[int, list[int]] = {}
    rows = TopicProgress.objects.filter(
        municipality__municipality_type_id=municipality.municipality_type_id,
        municipality__dissolved_on__isnull=True,
    ).values_list("municipality_id", "topic_id", "relevant", "done", "dropped")
    for m_id, topic_id, relevant, done, dropped in rows:
        topic_values[topic_id][m_id] = [relevant, done, dropped]
        total = overall.setdefault(m_id, [0, 0, 0])
        total[0] += relevant
        total[1] += done
        total[2] += dropped
    topics = Topic.objects.filter(pk__in=[t for t in topic_values if t is not None]).order_by(
        "position", "name"
    )
    labelled = [(t.pk, t.name) for t in topics]
    if None in topic_values:
        labelled.append((None, _("ohne Themenfeld")))

    def values_of(counts: dict[int, list[int]], members: set[int]) -> dict[int, float]:
        result = {}
        for m_id, (relevant, done, dropped) in counts.items():
            if m_id in members:
                value = progress(relevant=relevant, done=done, dropped=dropped)
                if value is not None:
                    result[m_id] = value
        return result

    groups = []
    for key, label, members in groups_members:
        groups.append(
            BenchmarkGroup(
                key=key,
                label=label,
                size=len(members),
                overall=_rank(_("Gesamt"), municipality.pk, values_of(overall, members)),
                topics=[
                    _rank(name, municipality.pk, values_of(topic_values[topic_id], members))
                    for topic_id, name in labelled
                    if municipality.pk in topic_values[topic_id]
                ],
            )
        )
    return Benchmark(municipality=municipality, size_class=size_class, groups=groups)


# --- Provider heat map ------------------------------------------------------------------------


@dataclass
class HeatCell:
    relevant: int
    done: int
    dropped: int
    compliant: int

    @property
    def progress(self) -> float | None:
        return progress(relevant=self.relevant, done=self.done, dropped=self.dropped)

    @property
    def bucket(self) -> int | None:
        """0–4 for the colour scale (0–19 %, …, 80–100 %); None without relevant Leistungen."""
        value = self.progress
        return None if value is None else min(int(value // 20), 4)


@dataclass
class HeatRow:
    municipality: Municipality
    cells: list[HeatCell | None]
    total: HeatCell


@dataclass
class Heatmap:
    topics: list[Topic]
    rows: list[HeatRow]
    average: list[HeatCell | None]
    average_total: HeatCell


def _cell(values) -> HeatCell:
    return HeatCell(relevant=values[0], done=values[1], dropped=values[2], compliant=values[3])


def heatmap_topics() -> list[Topic]:
    return list(Topic.objects.current().order_by("position", "name"))


def heatmap_rows(*, topics: list[Topic], page: list[Municipality]) -> list[HeatRow]:
    """One row per Kommune of the page: a cell per Themenfeld and the Kommune's total (one
    query)."""
    counters: dict[int, dict[int | None, list[int]]] = defaultdict(dict)
    for m_id, topic_id, relevant, done, dropped, compliant in TopicProgress.objects.filter(
        municipality_id__in=[m.pk for m in page]
    ).values_list("municipality_id", "topic_id", "relevant", "done", "dropped", "compliant"):
        counters[m_id][topic_id] = [relevant, done, dropped, compliant]
    rows = []
    for municipality in page:
        own = counters.get(municipality.pk, {})
        cells = [_cell(own[t.pk]) if t.pk in own else None for t in topics]
        total = [sum(values[i] for values in own.values()) for i in range(4)]
        rows.append(HeatRow(municipality=municipality, cells=cells, total=_cell(total)))
    return rows


def heatmap_for(
    *,
    members: QuerySet[Municipality],
    page: list[Municipality],
    sums_of: tuple[Provider, int | None] | None = None,
) -> Heatmap:
    """Progress per Themenfeld of a page of member Kommunen, plus the sums over all filtered
    members (three queries whatever the number of Kommunen). sums_of (provider, Kommunaltyp or
    None): members are exactly the provider's active members (of that type), whose sums
    ProviderProgress keeps, instead of summing every member's TopicProgress rows."""
    topics = heatmap_topics()
    rows = heatmap_rows(topics=topics, page=page)
    sum_fields = {
        "r": Sum("relevant"),
        "d": Sum("done"),
        "x": Sum("dropped"),
        "c": Sum("compliant"),
    }
    if sums_of is None:
        sum_rows = (
            TopicProgress.objects.filter(municipality__in=members)
            .values("topic_id")
            .annotate(**sum_fields)
            .values_list("topic_id", "r", "d", "x", "c")
            .order_by()
        )
    else:
        provider, type_id = sums_of
        kept = ProviderProgress.objects.filter(provider=provider)
        if type_id is not None:
            kept = kept.filter(type_key=type_id)
        # Rows whose Kommunen all left keep their zeros; TopicProgress has no row without a
        # relevant Leistung, and neither has the sum. topic_key 0 is "without Themenfeld".
        sum_rows = [
            (key or None, *values)
            for key, *values in kept.values("topic_key")
            .annotate(**sum_fields)
            .filter(r__gt=0)
            .values_list("topic_key", "r", "d", "x", "c")
            .order_by()
        ]
    sums = {topic_id: list(values) for topic_id, *values in sum_rows}
    average = [_cell(sums[t.pk]) if t.pk in sums else None for t in topics]
    total = [sum(values[i] for values in sums.values()) for i in range(4)]
    return Heatmap(topics=topics, rows=rows, average=average, average_total=_cell(total))


def provider_members(provider: Provider) -> QuerySet[Municipality]:
    return (
        Municipality.objects.active()
        .filter(providers=provider)
        .select_related("district", "municipality_type")
        .order_by("district_code", "level", "name", "pk")
    )


def provider_members_filtered(
    provider: Provider, data: QueryDict | dict
) -> tuple[MemberFilterSet, QuerySet[Municipality]]:
    """The heat map's members after its filter (all members for invalid filter input)."""
    members = provider_members(provider)
    filterset = MemberFilterSet(data, members=members)
    return filterset, (filterset.qs if filterset.is_valid() else members)


def visible_municipalities_for_overview(user: AnyUser) -> QuerySet[Municipality]:
    return (
        municipalities_visible_to(user)
        .active()
        .select_related("district")
        .order_by("level", "name", "pk")
    )
