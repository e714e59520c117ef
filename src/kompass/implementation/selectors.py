"""Reads of the implementation workspace: the Kommune's Leistungen with their records, counts,
the board, the roll-up per OZG-Leistung, history, and who may change which record.

The list is relevance.selectors.relevant_services_for(municipality) LEFT JOINed with the Kommune's
Implementation rows (a FilteredRelation), so a Leistung without a record reads as "offen" and one
query returns a page of Leistungen whatever the page size.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import TYPE_CHECKING

from django.core.paginator import Page, Paginator
from django.db.models import (
    Avg,
    Case,
    Count,
    F,
    FilteredRelation,
    IntegerField,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
    Window,
)
from django.db.models.functions import Coalesce, RowNumber
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from kompass.accounts.choices import Role
from kompass.accounts.models import Department, RoleAssignment, User, person_name
from kompass.accounts.selectors import (
    can_edit_municipality,
    can_manage_municipality,
    department_ids_of,
)
from kompass.catalogue.models import MaturityLevel, Service
from kompass.core.links import url_prefix
from kompass.core.text import search_terms
from kompass.implementation.choices import (
    DepartmentScope,
    ImplementationStatus,
    ListSort,
    Priority,
)
from kompass.implementation.models import (
    Implementation,
    ImplementationChange,
    ImplementationStep,
    SavedFilter,
)
from kompass.municipalities.models import Municipality
from kompass.relevance.selectors import relevant_services_for

if TYPE_CHECKING:
    from kompass.accounts.selectors import AnyUser

CLOSED_STATUSES = (ImplementationStatus.DONE, ImplementationStatus.DROPPED)
# QuerySet definitions kept per process (workspace_services, services_by_pk, the gap list's
# gaps_of): each keeps the Kommunen opened last, together about 90 KB per Kommune (tracemalloc at
# SCALE=de), so about 11 MB per process at most (docs/operations.md).
DEFINITIONS_PER_PROCESS = 128

# --- The maturity scale (data, not an enum) --------------------------------------------------------


def maturity_levels() -> list[MaturityLevel]:
    """The levels of the default Reifegradmodell, lowest first (empty if none is imported)."""
    return list(MaturityLevel.objects.filter(model__is_default=True).order_by("level"))


def ozg_target_level(levels: list[MaturityLevel]) -> int | None:
    """The lowest OZG-compliant level (model 1.1: 3 "Online-Leistung"), the default target."""
    return next((lvl.level for lvl in levels if lvl.ozg_compliant), None)


# --- Who may change what -----------------------------------------------------------------------------


@dataclass(frozen=True)
class EditScope:
    """What a person may change in one Kommune's workspace.

    Kommune admins and platform operators change every record; Bearbeiter those of their
    departments and unassigned ones (which they may take for their department); readers none.
    """

    all_records: bool = False
    department_ids: frozenset[int] = frozenset()

    @property
    def can_edit_any(self) -> bool:
        return self.all_records or bool(self.department_ids)

    def can_edit(self, department_id: int | None) -> bool:
        if self.all_records:
            return True
        return bool(self.department_ids) and (
            department_id is None or department_id in self.department_ids
        )

    def may_assign(self, department_id: int | None, *, current: int | None) -> bool:
        """Bearbeiter may hand a record only to their own departments (or leave it as it is)."""
        return (
            self.all_records
            or department_id == current
            or department_id is None
            or department_id in self.department_ids
        )


def edit_scope_for(user: AnyUser, municipality: Municipality) -> EditScope:
    if can_manage_municipality(user, municipality):
        return EditScope(all_records=True)
    if can_edit_municipality(user, municipality):
        return EditScope(department_ids=frozenset(department_ids_of(user, municipality)))
    return EditScope()


def departments_of(municipality: Municipality) -> list[Department]:
    return list(Department.objects.filter(municipality=municipality).order_by("code"))


def people_of(municipality: Municipality) -> QuerySet[User]:
    """People who hold a role in the Kommune: the choices for the contact person."""
    user_ids = RoleAssignment.objects.filter(
        Q(municipality=municipality) | Q(department__municipality=municipality),
        role__in=(Role.MUNICIPALITY_ADMIN, Role.EDITOR, Role.READER),
    ).values("user_id")
    return User.objects.filter(pk__in=user_ids, is_active=True).order_by(
        "last_name", "first_name", "username"
    )


# --- The list ----------------------------------------------------------------------------------------


def with_records(services: QuerySet[Service], *, municipality: Municipality) -> QuerySet[Service]:
    """Annotate Services with the Kommune's record values (defaults where there is none)."""
    return services.annotate(
        _impl=FilteredRelation(
            "implementations", condition=Q(implementations__municipality_id=municipality.pk)
        )
    ).annotate(
        impl_id=F("_impl__id"),
        impl_status=Coalesce(F("_impl__status"), Value(ImplementationStatus.OPEN.value)),
        impl_department_id=F("_impl__department_id"),
        impl_department_code=F("_impl__department__code"),
        impl_department_name=F("_impl__department__name"),
        impl_contact_id=F("_impl__contact_person_id"),
        impl_contact_username=F("_impl__contact_person__username"),
        impl_contact_first_name=F("_impl__contact_person__first_name"),
        impl_contact_last_name=F("_impl__contact_person__last_name"),
        impl_current_level=F("_impl__current_level"),
        impl_target_level=F("_impl__target_level"),
        impl_case_count=F("_impl__case_count"),
        impl_case_count_year=F("_impl__case_count_year"),
        impl_priority=Coalesce(F("_impl__priority"), Value("")),
        impl_planned_date=F("_impl__planned_date"),
        impl_solution=Coalesce(F("_impl__solution"), Value("")),
        impl_version=Coalesce(F("_impl__version"), Value(0), output_field=IntegerField()),
        impl_updated_at=F("_impl__updated_at"),
    )


def workspace_services(*, municipality: Municipality) -> QuerySet[Service]:
    """The Kommune's relevant Leistungen, each annotated with its record's values (or defaults).

    Every workspace page starts from this QuerySet, whose two dozen joins and annotations take
    about a millisecond to build; so its definition is built once per process and Kommune and
    each call gets a fresh clone (.all(), as Django's generic views treat their `queryset`).
    The definition holds no data, only the Kommune's values that shape the SQL (sql_shape), so
    it cannot go stale when records or relevance decisions change.
    """
    return _workspace_definition(sql_shape(municipality)).all()


# The attributes of a Kommune that relevant_services_for and with_records read: the key of every
# QuerySet definition kept per process (tests/test_selectors.py checks that a definition built
# from them equals the one built from the whole Kommune).
_SHAPING_FIELDS = ("pk", "level", "municipality_type_id")


def sql_shape(municipality: Municipality) -> tuple:
    """What of the Kommune shapes the SQL of its workspace queries (a cache key)."""
    return tuple(getattr(municipality, name) for name in _SHAPING_FIELDS)


def municipality_of_shape(shape: tuple) -> Municipality:
    """An unsaved Kommune with just the attributes of sql_shape, to build a definition from."""
    return Municipality(**dict(zip(_SHAPING_FIELDS, shape, strict=True)))


@functools.lru_cache(maxsize=DEFINITIONS_PER_PROCESS)
def _workspace_definition(shape: tuple) -> QuerySet:
    """The unevaluated QuerySet of workspace_services. Never evaluate it: clone it."""
    municipality = municipality_of_shape(shape)
    return with_records(relevant_services_for(municipality=municipality), municipality=municipality)


_SORTS = {
    ListSort.OZG: ("ozg_service__ozg_id", "name", "pk"),
    ListSort.NAME: ("name", "pk"),
    ListSort.STATUS: ("impl_status", "name", "pk"),
    ListSort.PRIORITY: ("priority_rank", "name", "pk"),
    ListSort.PLANNED: (F("impl_planned_date").asc(nulls_last=True), "name", "pk"),
    ListSort.LEVEL: (F("impl_current_level").asc(nulls_first=True), "name", "pk"),
    ListSort.CASES: (F("impl_case_count").desc(nulls_last=True), "name", "pk"),
    ListSort.CHANGED: (F("impl_updated_at").desc(nulls_last=True), "name", "pk"),
}


def _priority_rank() -> Case:
    return Case(
        When(impl_priority=Priority.HIGH, then=Value(1)),
        When(impl_priority=Priority.MEDIUM, then=Value(2)),
        When(impl_priority=Priority.LOW, then=Value(3)),
        default=Value(4),
        output_field=IntegerField(),
    )


def filter_workspace(
    services: QuerySet[Service],
    *,
    user: AnyUser,
    municipality: Municipality,
    data: dict,
    with_status: bool = True,
) -> QuerySet[Service]:
    """Apply the cleaned data of forms.WorkspaceFilterForm (with_status=False: all but the status
    filter, for the counts per status above the list)."""
    if data.get("topic"):
        services = services.filter(topic__code=data["topic"])
    if data.get("ozg"):
        services = services.filter(ozg_service__ozg_id=data["ozg"])
    department = data.get("department") or ""
    if department == DepartmentScope.MINE:
        services = services.filter(
            impl_department_id__in=department_ids_of(user, municipality) or [0]
        )
    elif department == DepartmentScope.NONE:
        services = services.filter(impl_department_id__isnull=True)
    elif department:
        services = services.filter(impl_department_id=int(department))
    if with_status and data.get("status"):
        services = services.filter(impl_status=data["status"])
    level = data.get("level")
    if level not in (None, ""):
        services = services.filter(impl_current_level=int(level))
    priority = data.get("priority")
    if priority == "none":
        services = services.filter(impl_priority="")
    elif priority:
        services = services.filter(impl_priority=priority)
    if data.get("mine"):
        services = services.filter(impl_contact_id=user.pk)
    if data.get("overdue"):
        services = services.filter(impl_planned_date__lt=timezone.localdate()).exclude(
            impl_status__in=CLOSED_STATUSES
        )
    for term in search_terms(data.get("q") or ""):
        services = services.filter(
            Q(search_text__contains=term)
            | Q(impl_solution__icontains=term)
            | Q(_impl__notes__icontains=term)
        )
    return services


def sort_workspace(services: QuerySet[Service], sort: str | None) -> QuerySet[Service]:
    order = _SORTS.get(sort or ListSort.OZG, _SORTS[ListSort.OZG])
    if sort == ListSort.PRIORITY:
        services = services.annotate(priority_rank=_priority_rank())
    return services.order_by(*order)


# The columns of a Leistung that the list rows and board cards show besides its record's values:
# not the long texts (legal basis, search text) a page of 100 rows would read for nothing.
PAGE_COLUMNS = ("pk", "name", "leika_key", "topic_id", "ozg_service_id")
_OZG_COLUMNS = ("ozg_service__ozg_id", "ozg_service__name")


@dataclass(frozen=True, slots=True)
class OzgRef:
    """The OZG-Leistung of a page row: its id and name."""

    ozg_id: str
    name: str


class PageService(SimpleNamespace):
    """A Leistung of a list or board page with its record's values (the annotations of
    with_records, impl_*), as plain values: a board's 100 Service and OZG-Leistung instances took
    longer to build than their query took to run (about 1.7 of 4.5 ms at SCALE=de)."""


def services_by_pk(pks: list[int], *, municipality: Municipality) -> list[PageService]:
    """The given Leistungen with the Kommune's record values, in the order of pks.

    The second step of every page: the filtered, sorted list yields only the ids of a page (a
    narrow query, so PostgreSQL sorts ids instead of whole joined rows and drops the joins no
    filter needs); the rows shown are then read for those ids alone.
    """
    if not pks:
        return []
    query = _page_rows_definition(municipality.pk).filter(pk__in=pks)
    names = [*PAGE_COLUMNS, *_OZG_COLUMNS, *query.query.annotation_select]
    by_pk = {}
    for values in query.values_list(*names):
        row = dict(zip(names, values, strict=True))
        ozg_id, ozg_name = row.pop(_OZG_COLUMNS[0]), row.pop(_OZG_COLUMNS[1])
        row["ozg_service"] = OzgRef(ozg_id, ozg_name) if row["ozg_service_id"] else None
        by_pk[row["pk"]] = PageService(**row)
    return [by_pk[pk] for pk in pks if pk in by_pk]


@functools.lru_cache(maxsize=DEFINITIONS_PER_PROCESS)
def _page_rows_definition(municipality_pk: int) -> QuerySet[Service]:
    """The unevaluated QuerySet of services_by_pk before its ids (see workspace_services)."""
    return with_records(Service.objects.all(), municipality=Municipality(pk=municipality_pk))


@dataclass
class WorkspacePage:
    """One page of the list: its Leistungen (annotated) and the counts per status (plus "total")
    of the list without its status filter, which label the status tabs above the list."""

    services: list[PageService]
    counts: dict[str, int]
    number: int
    count: int


def workspace_page(
    services: QuerySet[Service],
    *,
    municipality: Municipality,
    status: str | None,
    sort: str | None,
    number: int,
    per_page: int,
) -> WorkspacePage:
    """The page `number` of the (status-filtered, sorted) list and the counts per status, from one
    query over the list without its status filter, then the page's rows (services_by_pk).

    Window functions count each status over the whole list; the rows come in the list's order
    with LIMIT and OFFSET, for a status tab with that status's rows first (the rows of other
    statuses after them only fill a last page and are dropped). A page beyond the end, which has
    no rows to carry the counts, asks for them apart and is clamped to the last page.

    (Numbering the rows with a window function and filtering on it instead costs Django twice
    the time to compile: it wraps the query in two subqueries.)
    """
    services = sort_workspace(services, sort)
    ordering = services.query.order_by
    statuses = ImplementationStatus.values
    ranked = services.annotate(
        **{f"count_{value}": Window(Count("pk", filter=Q(impl_status=value))) for value in statuses}
    )
    if status:
        status_first = Case(When(impl_status=status, then=Value(0)), default=Value(1))
        ranked = ranked.order_by(status_first, *ordering)
    ranked = ranked.values_list("pk", "impl_status", *(f"count_{value}" for value in statuses))

    def read(number: int) -> tuple[list[int], dict[str, int] | None]:
        bottom = (number - 1) * per_page
        pks, counts = [], None
        for pk, row_status, *per_status in ranked[bottom : bottom + per_page]:
            counts = dict(zip(statuses, per_status, strict=True))
            if not status or row_status == status:
                pks.append(pk)
        return pks, counts

    number = max(number, 1)
    pks, counts = read(number)
    if counts is not None:
        counts["total"] = sum(counts.values())
    elif number == 1:  # the first page of the list without its status filter: nothing at all
        counts = {**dict.fromkeys(statuses, 0), "total": 0}
    else:
        counts = status_counts(services)
    count = counts.get(status, 0) if status else counts["total"]
    last = max((count + per_page - 1) // per_page, 1)
    if number > last:
        number = last
        pks, _counts = read(number)
    return WorkspacePage(
        services=services_by_pk(pks, municipality=municipality),
        counts=counts,
        number=number,
        count=count,
    )


def board_cards(
    services: QuerySet[Service], *, municipality: Municipality, sort: str | None, per_column: int
) -> tuple[dict[str, list[PageService]], dict[str, int]]:
    """The first per_column cards of every status column and the count per column (plus
    "total"): ids and counts in one query (window functions), then the cards' rows."""
    services = sort_workspace(services, sort)
    ordering = services.query.order_by
    by_status = [F("impl_status")]
    ranked = (
        services.annotate(
            column_rank=Window(RowNumber(), partition_by=by_status, order_by=ordering),
            column_count=Window(Count("pk"), partition_by=by_status),
        )
        .filter(column_rank__lte=per_column)
        .values_list("pk", "impl_status", "column_count")
    )
    counts = dict.fromkeys(ImplementationStatus.values, 0)
    pks = []
    for pk, status, count in ranked:
        pks.append(pk)
        counts[status] = count
    counts["total"] = sum(counts.values())
    columns: dict[str, list[PageService]] = {status: [] for status in ImplementationStatus.values}
    for service in services_by_pk(pks, municipality=municipality):
        columns[service.impl_status].append(service)
    return columns, counts


def status_counts(services: QuerySet[Service]) -> dict[str, int]:
    """How many of the given Leistungen have each status, plus "total" (one query)."""
    counts = dict.fromkeys(ImplementationStatus.values, 0)
    for row in services.order_by().values("impl_status").annotate(n=Count("pk")):
        counts[row["impl_status"]] = row["n"]
    counts["total"] = sum(counts.values())
    return counts


# --- Rows with derived values -------------------------------------------------------------------------

HIGH_CASE_COUNT = 1000
MEDIUM_CASE_COUNT = 100


_HIGH, _MEDIUM, _LOW = Priority.HIGH.value, Priority.MEDIUM.value, Priority.LOW.value


def suggested_priority_value(
    *, case_count: int | None, current_level: int | None, target_level: int | None
) -> str:
    """The suggested priority alone (suggested_priority without its reason): for counting over
    all of a Kommune's Leistungen, where a translated reason per Leistung would cost more than
    the rest of the count."""
    if target_level is None:
        gap_points = 0
    else:
        gap = target_level - (current_level or 0)
        if gap <= 0:
            return _LOW
        gap_points = 2 if gap >= 3 else 1 if gap == 2 else 0
    if case_count is None:
        case_points = 0
    else:
        case_points = (
            2 if case_count >= HIGH_CASE_COUNT else 1 if case_count >= MEDIUM_CASE_COUNT else 0
        )
    points = case_points + gap_points
    return _HIGH if points >= 3 else _MEDIUM if points >= 1 else _LOW


class RowTexts:
    """The translated texts that rows repeat (status and priority labels, the parts of a
    suggestion's reason), looked up once for a page or an export instead of once or several
    times per row: a board's 100 cards asked gettext some 600 times."""

    def __init__(self) -> None:
        self.status = {value: str(label) for value, label in ImplementationStatus.choices}
        self.priority = {value: str(label) for value, label in Priority.choices}
        self.suggestion = _("Vorschlag: %(label)s (%(reason)s)")
        self.no_target = _("kein Ziel-Reifegrad")
        self.target_reached = _("Ziel-Reifegrad erreicht")
        self.below_target = _("%(gap)s Stufen unter dem Ziel")
        self.no_cases = _("keine Fallzahl erfasst")
        self.cases = _("%(count)s Fälle im Jahr")


def suggested_priority(
    *,
    case_count: int | None,
    current_level: int | None,
    target_level: int | None,
    texts: RowTexts | None = None,
) -> tuple[str, str]:
    """The suggested priority and its reason, from the yearly cases and the Reifegrad gap.

    Many cases count 2 points (≥ 1,000 a year) or 1 (≥ 100); a gap of three or more levels to the
    target counts 2, of two levels 1. Three points or more: hoch; one or two: mittel; else
    niedrig. A Leistung at or above its target is always niedrig. Pass `texts` when asking for
    many rows.
    """
    texts = texts or RowTexts()
    value = suggested_priority_value(
        case_count=case_count, current_level=current_level, target_level=target_level
    )
    current = current_level or 0
    if target_level is None:
        gap_text = texts.no_target
    elif target_level - current <= 0:
        return value, texts.target_reached
    else:
        gap_text = texts.below_target % {"gap": target_level - current}
    if case_count is None:
        cases_text = texts.no_cases
    else:
        cases_text = texts.cases % {"count": f"{case_count:,}".replace(",", ".")}
    return value, f"{cases_text}, {gap_text}"


@dataclass
class WorkspaceRow:
    """One Leistung of the list or board: the Leistung with its record values plus derived
    values."""

    service: Service | PageService
    can_edit: bool
    suggested: str
    suggested_reason: str
    overdue: bool
    texts: RowTexts
    steps: list[ImplementationStep] = field(default_factory=list)

    detail_url: str = ""

    @property
    def key(self) -> str:
        """The service id as plain text for ids and form values (never localised as 1.234)."""
        return str(self.service.pk)

    @property
    def version(self) -> str:
        return str(self.service.impl_version)

    @property
    def edit_url(self) -> str:
        return f"{self.detail_url}bearbeiten/"

    @property
    def row_edit_url(self) -> str:
        return f"{self.detail_url}zeile/"

    @property
    def move_url(self) -> str:
        return f"{self.detail_url}verschieben/"

    @property
    def suggestion(self) -> str:
        return self.texts.suggestion % {
            "label": self.suggested_label,
            "reason": self.suggested_reason,
        }

    @property
    def status_label(self) -> str:
        return self.texts.status[self.service.impl_status]

    @property
    def priority_label(self) -> str:
        priority = self.service.impl_priority
        return self.texts.priority[priority] if priority else ""

    @property
    def suggested_label(self) -> str:
        return self.texts.priority[self.suggested]

    @property
    def contact_name(self) -> str:
        s = self.service
        return person_name(
            username=s.impl_contact_username,
            first_name=s.impl_contact_first_name,
            last_name=s.impl_contact_last_name,
        )

    @property
    def steps_done(self) -> int:
        return sum(1 for step in self.steps if step.done)


def rows_for(
    services: list[Service | PageService],
    *,
    municipality: Municipality,
    scope: EditScope,
    default_target: int | None,
    with_steps: bool = False,
) -> list[WorkspaceRow]:
    """Wrap a page of Leistungen with their record values (a list or board page's PageServices,
    or Services annotated by with_records) with derived values; one more query for the
    checklist steps if wanted."""
    today = timezone.localdate()
    detail_prefix = url_prefix("implementation:detail", pk=municipality.pk, service_pk=0)
    steps_by_impl: dict[int, list[ImplementationStep]] = {}
    if with_steps:
        impl_ids = [s.impl_id for s in services if s.impl_id]
        for step in ImplementationStep.objects.filter(implementation_id__in=impl_ids):
            steps_by_impl.setdefault(step.implementation_id, []).append(step)
    texts = RowTexts()
    closed = {s.value for s in CLOSED_STATUSES}
    rows = []
    for service in services:
        target = (
            service.impl_target_level if service.impl_target_level is not None else default_target
        )
        suggested, reason = suggested_priority(
            case_count=service.impl_case_count,
            current_level=service.impl_current_level,
            target_level=target,
            texts=texts,
        )
        planned = service.impl_planned_date
        rows.append(
            WorkspaceRow(
                service=service,
                can_edit=scope.can_edit(service.impl_department_id),
                suggested=suggested,
                suggested_reason=reason,
                overdue=bool(planned and planned < today and service.impl_status not in closed),
                texts=texts,
                steps=steps_by_impl.get(service.impl_id, []),
                detail_url=f"{detail_prefix}{service.pk}/",
            )
        )
    return rows


# --- One Leistung -------------------------------------------------------------------------------------


def workspace_service_get(*, municipality: Municipality, service_pk: int) -> Service:
    """One Leistung of the Kommune's workspace, annotated like the list; 404 if it is neither
    relevant for the Kommune nor has a record (a record survives a later relevance change)."""
    service = workspace_services(municipality=municipality).filter(pk=service_pk).first()
    if service is not None:
        return service
    record = (
        Implementation.objects.filter(municipality=municipality, service_id=service_pk)
        .select_related("service__ozg_service", "service__topic")
        .first()
    )
    if record is None:
        raise Http404
    # Not relevant any more, but the Kommune's data stays reachable.
    return with_records(
        Service.objects.filter(pk=service_pk).select_related("ozg_service", "topic"),
        municipality=municipality,
    ).get()


def implementation_of(*, municipality: Municipality, service: Service) -> Implementation | None:
    return (
        Implementation.objects.filter(municipality=municipality, service=service)
        .select_related("department", "contact_person", "updated_by")
        .first()
    )


def history_of(implementation: Implementation | None, *, limit: int = 200) -> list:
    if implementation is None:
        return []
    return list(
        ImplementationChange.objects.filter(implementation=implementation).select_related(
            "changed_by"
        )[:limit]
    )


# --- Roll-up per OZG-Leistung ------------------------------------------------------------------------


def ozg_rollup(services: QuerySet[Service]) -> QuerySet:
    """Per OZG-Leistung: its LeiKa-Leistungen together, counts per status, average level, cases."""
    status_counts_ = {
        f"n_{status}": Count("pk", filter=Q(impl_status=status))
        for status in ImplementationStatus.values
    }
    return (
        services.order_by()
        .values("ozg_service__ozg_id", "ozg_service__name")
        .annotate(
            total=Count("pk"),
            avg_level=Avg("impl_current_level"),
            cases=Sum("impl_case_count"),
            **status_counts_,
        )
        .order_by("ozg_service__ozg_id")
    )


def ozg_rollup_page(
    services: QuerySet[Service], *, number: int, per_page: int
) -> tuple[list[dict], int, int]:
    """One page of ozg_rollup, the number of OZG-Leistungen and the page's number (a page beyond
    the end is clamped to the last one): the page's query also counts the groups (a window over
    the grouped rows), so the count costs no second pass over the Leistungen."""
    return page_with_total(
        ozg_rollup(services).annotate(groups=Window(Count("*"))),
        number=number,
        per_page=per_page,
        total_of=lambda row: row["groups"],
        # Built only for a page beyond the end: building the grouped query costs about 1 ms.
        count=lambda: ozg_rollup(services).count(),
    )


def page_with_total(
    ranked: QuerySet, *, number: int, per_page: int, total_of: Callable, count: Callable[[], int]
) -> tuple[list, int, int]:
    """The rows of page `number` of ranked, the number of all its rows and the page's number (a
    page beyond the end is clamped to the last one).

    ranked's rows carry the number of all rows (a window count, read by total_of from a row), so
    a page costs one query instead of a count and a page; only a page beyond the end, which has
    no rows, asks count() and reads the last page.
    """

    def read(number: int) -> list:
        return list(ranked[(number - 1) * per_page : number * per_page])

    number = max(number, 1)
    rows = read(number)
    if rows:
        return rows, total_of(rows[0]), number
    total = count()
    last = max((total + per_page - 1) // per_page, 1)
    return (read(last) if number > last else rows), total, min(number, last)


def page_number(value: str | None) -> int:
    """The page number a request asked for: 1 if it is missing or not a number."""
    try:
        return int(value or 1)
    except ValueError:
        return 1


def page_of(rows: list, *, count: int, number: int, per_page: int) -> Page:
    """A page whose rows and total count the queries already read: the paginator only does the
    arithmetic (number of pages, links)."""
    page = Paginator(range(count), per_page).get_page(number)
    page.object_list = rows
    return page


# --- Saved filters -----------------------------------------------------------------------------------


def saved_filters_of(user: AnyUser, municipality: Municipality) -> list[SavedFilter]:
    if not user.is_authenticated:
        return []
    return list(SavedFilter.objects.filter(user=user, municipality=municipality))
