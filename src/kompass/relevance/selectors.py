"""Reads for relevance: each Kommune's list, the Themenpaten matrix, progress and deviations.

Access goes through kompass.accounts.selectors; the helpers here only combine them:
    can_use_matrix(user)             operators and Themenpaten (any Themenfeld) see the matrix
    relevance_lands_for(user)        the Länder whose Kommunaltypen the user may see/decide
    land_get_for_matrix(*, user, code) / topic_get_for_matrix(*, user, code)  → 404 otherwise
    can_decide_for(user, *, topic, land)  own Themenfeld and a Land where the user serves Kommunen

The one list every other part of the application uses:
    relevance_list_for(*, municipality, topic=None)  every current Leistung with value/source/reason
    relevant_services_for(*, municipality)            only the relevant ones (a Service QuerySet)
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.db.models import (
    Case,
    CharField,
    Count,
    Exists,
    F,
    FilteredRelation,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.http import Http404

from kompass.accounts.choices import Role
from kompass.accounts.selectors import (
    can_decide_relevance,
    has_role,
    is_platform_operator,
    is_superuser,
    municipalities_visible_to,
    topics_sponsored_by,
)
from kompass.catalogue.models import OzgService, Service, Topic
from kompass.municipalities.choices import MunicipalityLevel
from kompass.municipalities.models import Land, Municipality, MunicipalityType
from kompass.relevance.choices import RelevanceSource, RelevanceValue
from kompass.relevance.models import (
    CrossCheck,
    Deviation,
    RelevanceChange,
    TopicReview,
    TypeDecision,
)

if TYPE_CHECKING:
    from kompass.accounts.selectors import AnyUser

# --- The default proposal from the LeiKa-Typ ------------------------------------------------------

# Typ 1 (Bund/Bund) is never municipal, Typ 5 (Kommune/Kommune) always; mixed codes such as
# "1, 2/3" and all others are left for the Themenpate to decide.
DEFAULT_BY_LEIKA_TYPE = {"1": RelevanceValue.NOT_RELEVANT, "5": RelevanceValue.RELEVANT}


def default_value_for(leika_type_codes: str) -> str:
    return DEFAULT_BY_LEIKA_TYPE.get(leika_type_codes.strip(), RelevanceValue.UNDECIDED).value


def default_value_expression(prefix: str = "") -> Case:
    """The default proposal as an SQL expression over a Service row (prefix for related lookups)."""
    return Case(
        *[
            When(**{f"{prefix}leika_type_codes": code}, then=Value(value.value))
            for code, value in DEFAULT_BY_LEIKA_TYPE.items()
        ],
        default=Value(RelevanceValue.UNDECIDED.value),
        output_field=CharField(),
    )


# --- Access ---------------------------------------------------------------------------------------


def can_use_matrix(user: AnyUser) -> bool:
    """Operators and Themenpaten see the matrix, progress and deviations (all Themenfelder;
    deciding is limited to their own, see can_decide_relevance)."""
    return is_platform_operator(user) or has_role(user, Role.TOPIC_SPONSOR)


def relevance_lands_for(user: AnyUser) -> QuerySet[Land]:
    """Länder whose Kommunaltypen the user may decide for: those of the Kommunen they serve."""
    if not can_use_matrix(user):
        return Land.objects.none()
    if is_superuser(user):
        return Land.objects.filter(municipality_types__isnull=False).distinct()
    return Land.objects.filter(pk__in=municipalities_visible_to(user).values("land_id")).order_by(
        "code"
    )


def land_get_for_matrix(*, user: AnyUser, code: str) -> Land:
    """Any Land, for operators and Themenpaten: Kommunaltypen and their decisions are not tenant
    data. Deciding is limited to relevance_lands_for (see can_decide_for)."""
    if not can_use_matrix(user):
        raise Http404
    try:
        return Land.objects.get(code=code)
    except Land.DoesNotExist:
        raise Http404 from None


def can_decide_for(user: AnyUser, *, topic: Topic, land: Land) -> bool:
    """Own Themenfeld (operators: all) and a Land where the user serves Kommunen."""
    return (
        can_decide_relevance(user, topic) and relevance_lands_for(user).filter(pk=land.pk).exists()
    )


def topic_get_for_matrix(*, user: AnyUser, code: str) -> Topic:
    if not can_use_matrix(user):
        raise Http404
    try:
        return Topic.objects.current().get(code=code)
    except Topic.DoesNotExist:
        raise Http404 from None


def service_get_for_matrix(*, topic: Topic, pk: int) -> Service:
    try:
        return Service.objects.current().select_related("ozg_service").get(topic=topic, pk=pk)
    except Service.DoesNotExist:
        raise Http404 from None


def municipality_types_of(land: Land) -> list[MunicipalityType]:
    return list(MunicipalityType.objects.filter(land=land).order_by("position", "name"))


def allows_by_district(municipality_type: MunicipalityType) -> bool:
    """ "Durch den Kreis" only makes sense for Gemeinde types (a Kreis cannot delegate to itself)."""
    return municipality_type.level == MunicipalityLevel.MUNICIPALITY


# --- Each Kommune's list --------------------------------------------------------------------------


def relevance_list_for(
    *, municipality: Municipality, topic: Topic | None = None
) -> QuerySet[Service]:
    """Every current LeiKa-Leistung, annotated for this Kommune with

    relevance_value   relevant / not_relevant / by_district / undecided (RelevanceValue)
    relevance_source  default / type / deviation / for_members (RelevanceSource)
    relevance_reason  the reason of the decision that applies ("" for the default proposal)
    type_value, type_reason, deviation_value, deviation_reason, default_value, for_members

    The value is the Kommune's own deviation if any, else its type's decision, else the default
    proposal from the LeiKa-Typ. A Kreis also gets the Leistungen that it executes for the types
    of its member Gemeinden ("durch den Kreis"). Everything is computed in one query, so a change
    of a type decision reaches every Kommune of that type at once.
    """
    services = Service.objects.current().select_related("ozg_service", "topic")
    if topic is not None:
        services = services.filter(topic=topic)
    services = services.annotate(
        _type=FilteredRelation(
            "relevance_decisions",
            condition=Q(
                relevance_decisions__municipality_type_id=municipality.municipality_type_id
            ),
        ),
        _own=FilteredRelation(
            "relevance_deviations",
            condition=Q(relevance_deviations__municipality_id=municipality.pk),
        ),
    ).annotate(
        type_value=F("_type__value"),
        type_reason=F("_type__reason"),
        deviation_value=F("_own__value"),
        deviation_reason=F("_own__reason"),
        default_value=default_value_expression(),
    )
    for_members_cases: list[When] = []
    if municipality.level == MunicipalityLevel.DISTRICT:
        member_types = (
            Municipality.objects.active()
            .filter(district_id=municipality.pk, municipality_type__isnull=False)
            .values("municipality_type_id")
        )
        services = services.annotate(
            for_members=Exists(
                TypeDecision.objects.filter(
                    service_id=OuterRef("pk"),
                    value=RelevanceValue.BY_DISTRICT,
                    municipality_type_id__in=member_types,
                )
            )
        )
        for_members_cases = [
            When(Q(type_value=RelevanceValue.RELEVANT), then=Value("type")),
            When(for_members=True, then=Value(RelevanceSource.FOR_MEMBERS.value)),
        ]
    else:
        services = services.annotate(for_members=Value(False))
    source = Case(
        When(deviation_value__isnull=False, then=Value(RelevanceSource.DEVIATION.value)),
        *for_members_cases,
        When(type_value__isnull=False, then=Value(RelevanceSource.TYPE.value)),
        default=Value(RelevanceSource.DEFAULT.value),
        output_field=CharField(),
    )
    services = services.annotate(relevance_source=source)
    return services.annotate(
        relevance_value=Case(
            When(relevance_source=RelevanceSource.DEVIATION, then=F("deviation_value")),
            When(
                relevance_source=RelevanceSource.FOR_MEMBERS,
                then=Value(RelevanceValue.RELEVANT.value),
            ),
            When(relevance_source=RelevanceSource.TYPE, then=F("type_value")),
            default=F("default_value"),
            output_field=CharField(),
        ),
        relevance_reason=Case(
            When(relevance_source=RelevanceSource.DEVIATION, then=F("deviation_reason")),
            When(relevance_source=RelevanceSource.TYPE, then=F("type_reason")),
            default=Value(""),
            output_field=CharField(),
        ),
    ).order_by("ozg_service__ozg_id", "name", "pk")


def relevant_services_for(*, municipality: Municipality) -> QuerySet[Service]:
    """The Kommune's relevant LeiKa-Leistungen: its type's decisions plus its own deviations.

    The one list that the workspace and every evaluation use (computed, never copied). It applies
    the precedence of relevance_list_for (own deviation, then the type's decision – for a Kreis
    also "durch den Kreis" of a member type –, then the default proposal) as one plain filter
    instead of the annotated CASE chain: the planner estimates it better and the workspace pages,
    which run it for every request, compile and execute it several times faster.
    """
    relevant = RelevanceValue.RELEVANT.value
    by_type = Q(_type__value=relevant)
    if municipality.level == MunicipalityLevel.DISTRICT:
        member_types = (
            Municipality.objects.active()
            .filter(district_id=municipality.pk, municipality_type__isnull=False)
            .values("municipality_type_id")
        )
        by_type |= Q(
            Exists(
                TypeDecision.objects.filter(
                    service_id=OuterRef("pk"),
                    value=RelevanceValue.BY_DISTRICT,
                    municipality_type_id__in=member_types,
                )
            )
        )
    relevant_by_default = [
        code for code, value in DEFAULT_BY_LEIKA_TYPE.items() if value == relevant
    ]
    by_default = Q(_type__value__isnull=True, leika_type_codes__in=relevant_by_default)
    return (
        Service.objects.current()
        .select_related("ozg_service", "topic")
        .annotate(
            _type=FilteredRelation(
                "relevance_decisions",
                condition=Q(
                    relevance_decisions__municipality_type_id=municipality.municipality_type_id
                ),
            ),
            _own=FilteredRelation(
                "relevance_deviations",
                condition=Q(relevance_deviations__municipality_id=municipality.pk),
            ),
        )
        .filter(Q(_own__value=relevant) | (Q(_own__value__isnull=True) & (by_type | by_default)))
        .order_by("ozg_service__ozg_id", "name", "pk")
    )


def relevance_counts_for(*, municipality: Municipality) -> dict[str, int]:
    """How many Leistungen of the Kommune have each value (one query)."""
    rows = (
        relevance_list_for(municipality=municipality)
        .order_by()
        .values("relevance_value")
        .annotate(n=Count("pk"))
    )
    counts = dict.fromkeys(RelevanceValue.values, 0)
    for row in rows:
        counts[row["relevance_value"]] = row["n"]
    counts["deviations"] = Deviation.objects.filter(
        municipality=municipality, service__retired_in__isnull=True
    ).count()
    return counts


def cross_checks_of(municipality: Municipality) -> dict[int, CrossCheck]:
    """The Kommune's confirmations per Themenfeld id, each with `outdated` set when a type
    decision of that Themenfeld changed after the confirmation."""
    checks = {
        c.topic_id: c
        for c in CrossCheck.objects.filter(municipality=municipality).select_related("confirmed_by")
    }
    if not checks:
        return checks
    latest = dict(
        TypeDecision.objects.filter(
            municipality_type_id=municipality.municipality_type_id,
            service__topic_id__in=checks.keys(),
        )
        .order_by()
        .values_list("service__topic_id")
        .annotate(latest=Max("decided_at"))
    )
    for topic_id, check in checks.items():
        check.outdated = bool(latest.get(topic_id) and latest[topic_id] > check.confirmed_at)
    return checks


# --- The matrix -----------------------------------------------------------------------------------


@dataclass
class MatrixCell:
    municipality_type: MunicipalityType
    value: str
    reason: str
    is_default: bool
    allows_by_district: bool

    @property
    def label(self) -> str:
        return str(RelevanceValue(self.value).label)


@dataclass
class MatrixRow:
    service: Service
    cells: list[MatrixCell]
    deviation_count: int = 0


@dataclass
class MatrixGroup:
    ozg_service: OzgService | None
    rows: list[MatrixRow] = field(default_factory=list)
    # A large OZG-Leistung is split over several pages: these say which part this is.
    continued: bool = False
    continues: bool = False


@dataclass
class MatrixPage:
    types: list[MunicipalityType]
    groups: list[MatrixGroup]
    number: int
    num_pages: int
    group_count: int

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.num_pages

    @property
    def previous_page_number(self) -> int:
        return self.number - 1

    @property
    def next_page_number(self) -> int:
        return self.number + 1


# (OZG-Leistung id or None, first row, end row) of one group part on a page.
_Unit = tuple[int | None, int, int]


def _matrix_pages(sizes: list[tuple[int | None, int]], rows_per_page: int) -> list[list[_Unit]]:
    """Cut the OZG-Leistungen into pages of about rows_per_page rows, keeping each OZG-Leistung
    whole unless it alone exceeds a page (then it continues on the next)."""
    pages: list[list[_Unit]] = []
    current: list[_Unit] = []
    rows = 0
    for group_id, size in sizes:
        for start in range(0, size, rows_per_page):
            stop = min(size, start + rows_per_page)
            if current and rows + (stop - start) > rows_per_page:
                pages.append(current)
                current, rows = [], 0
            current.append((group_id, start, stop))
            rows += stop - start
    if current:
        pages.append(current)
    return pages


def matrix_page(
    *,
    topic: Topic,
    land: Land,
    page: int | str | None = 1,
    rows_per_page: int = 40,
    ozg_id: str | None = None,
) -> MatrixPage:
    """One page of the matrix: whole OZG-Leistungen with their Leistungen (about rows_per_page
    rows) × the Land's Kommunaltypen. Five queries, independent of the page size."""
    types = municipality_types_of(land)
    services = Service.objects.current().filter(topic=topic)
    sizes = [
        (row["ozg_service_id"], row["ozg_service__ozg_id"], row["n"])
        for row in services.order_by()
        .values("ozg_service_id", "ozg_service__ozg_id")
        .annotate(n=Count("pk"))
    ]
    sizes.sort(key=lambda item: (item[1] is None, item[1] or ""))
    pages = _matrix_pages([(group_id, n) for group_id, _ozg, n in sizes], rows_per_page) or [[]]
    number = 1
    if ozg_id:
        wanted = next((gid for gid, ozg, _n in sizes if ozg == ozg_id), "none")
        number = next(
            (i for i, units in enumerate(pages, start=1) if any(u[0] == wanted for u in units)),
            1,
        )
    else:
        try:
            number = int(page or 1)
        except (TypeError, ValueError):
            number = 1
    number = min(max(number, 1), len(pages))
    units = pages[number - 1]
    group_ids = {group_id for group_id, _start, _stop in units}
    in_page = Q(ozg_service_id__in=[pk for pk in group_ids if pk is not None])
    if None in group_ids:
        in_page |= Q(ozg_service__isnull=True)
    page_services = list(
        services.filter(in_page)
        .select_related("ozg_service")
        .only(
            "pk",
            "name",
            "catalogue_key",
            "leika_key",
            "leika_type_codes",
            "ozg_service__ozg_id",
            "ozg_service__name",
        )
        .order_by("ozg_service__ozg_id", "name", "pk")
    )
    by_group: dict[int | None, list[Service]] = {}
    for service in page_services:
        by_group.setdefault(service.ozg_service_id, []).append(service)
    shown = [
        (group_id, start, stop, by_group.get(group_id, [])[start:stop])
        for group_id, start, stop in units
    ]
    service_ids = [s.pk for *_unit, part in shown for s in part]
    decisions = {
        (service_id, type_id): (value, reason)
        for service_id, type_id, value, reason in TypeDecision.objects.filter(
            service_id__in=service_ids, municipality_type__land=land
        ).values_list("service_id", "municipality_type_id", "value", "reason")
    }
    deviation_counts = dict(
        Deviation.objects.filter(service_id__in=service_ids, municipality__land=land)
        .order_by()
        .values_list("service_id")
        .annotate(n=Count("pk"))
    )
    by_district = {t.pk: allows_by_district(t) for t in types}
    groups = []
    for group_id, start, stop, part in shown:
        total = len(by_group.get(group_id, []))
        group = MatrixGroup(
            ozg_service=part[0].ozg_service if part else None,
            continued=start > 0,
            continues=stop < total,
        )
        for service in part:
            default = default_value_for(service.leika_type_codes)
            cells = []
            for municipality_type in types:
                decided = decisions.get((service.pk, municipality_type.pk))
                cells.append(
                    MatrixCell(
                        municipality_type=municipality_type,
                        value=decided[0] if decided else default,
                        reason=decided[1] if decided else "",
                        is_default=decided is None,
                        allows_by_district=by_district[municipality_type.pk],
                    )
                )
            group.rows.append(
                MatrixRow(
                    service=service,
                    cells=cells,
                    deviation_count=deviation_counts.get(service.pk, 0),
                )
            )
        groups.append(group)
    return MatrixPage(
        types=types,
        groups=groups,
        number=number,
        num_pages=len(pages),
        group_count=len(sizes),
    )


def cell_decisions(*, service: Service, land: Land) -> dict[int, TypeDecision]:
    """The decisions of one matrix row, by Kommunaltyp id."""
    return {
        d.municipality_type_id: d
        for d in TypeDecision.objects.filter(
            service=service, municipality_type__land=land
        ).select_related("decided_by")
    }


def row_history(*, service: Service, land: Land) -> QuerySet[RelevanceChange]:
    return (
        RelevanceChange.objects.filter(service=service)
        .filter(Q(municipality_type__land=land) | Q(municipality__land=land))
        .select_related("municipality_type", "municipality")
        .order_by("-created_at", "-pk")
    )


# --- Progress -------------------------------------------------------------------------------------


@dataclass
class TopicProgress:
    topic: Topic
    service_count: int
    cell_count: int
    decided_count: int
    review: TopicReview | None
    can_decide: bool = False

    @property
    def percent(self) -> int:
        return round(100 * self.decided_count / self.cell_count) if self.cell_count else 0


def topic_progress(
    *, land: Land, topics: Iterable[Topic] | None = None, type_count: int | None = None
) -> list[TopicProgress]:
    """Per Themenfeld: how many cells (Leistungen × Kommunaltypen of the Land) are decided.

    A cell counts as decided when a Themenpate recorded a value other than "offen"; default
    proposals do not count. Four queries for all Themenfelder.
    """
    topics = list(topics if topics is not None else Topic.objects.current().order_by("position"))
    if type_count is None:
        type_count = MunicipalityType.objects.filter(land=land).count()
    service_counts = dict(
        Service.objects.current()
        .filter(topic__in=topics)
        .order_by()
        .values_list("topic_id")
        .annotate(n=Count("pk"))
    )
    decided = dict(
        TypeDecision.objects.filter(
            service__retired_in__isnull=True,
            service__topic__in=topics,
            municipality_type__land=land,
        )
        .exclude(value=RelevanceValue.UNDECIDED)
        .order_by()
        .values_list("service__topic_id")
        .annotate(n=Count("pk"))
    )
    reviews = {
        r.topic_id: r
        for r in TopicReview.objects.filter(land=land, topic__in=topics).select_related(
            "reviewed_by"
        )
    }
    return [
        TopicProgress(
            topic=topic,
            service_count=service_counts.get(topic.pk, 0),
            cell_count=service_counts.get(topic.pk, 0) * type_count,
            decided_count=decided.get(topic.pk, 0),
            review=reviews.get(topic.pk),
        )
        for topic in topics
    ]


# --- Deviations, for Themenpaten and operators ----------------------------------------------------


def deviations_visible_to(user: AnyUser) -> QuerySet[Deviation]:
    """Deviations of the Kommunen the user sees, for Leistungen of Themenfelder they sponsor
    (operators: all Themenfelder)."""
    if not can_use_matrix(user):
        return Deviation.objects.none()
    return Deviation.objects.filter(
        municipality__in=municipalities_visible_to(user),
        service__topic__in=topics_sponsored_by(user),
        service__retired_in__isnull=True,
    )


def deviation_list_for(user: AnyUser, *, topic: Topic | None = None) -> QuerySet[Deviation]:
    deviations = deviations_visible_to(user)
    if topic is not None:
        deviations = deviations.filter(service__topic=topic)
    return (
        deviations.select_related(
            "municipality",
            "municipality__land",
            "municipality__municipality_type",
            "service",
            "service__topic",
            "decided_by",
        )
        .annotate(
            _type=FilteredRelation(
                "service__relevance_decisions",
                condition=Q(
                    service__relevance_decisions__municipality_type_id=F(
                        "municipality__municipality_type_id"
                    )
                ),
            ),
            type_value=Coalesce(F("_type__value"), default_value_expression("service__")),
        )
        .order_by("service__name", "service_id", "municipality__name")
    )


def deviation_hotspots_for(user: AnyUser, *, topic: Topic | None = None, limit: int = 20):
    """The Leistungen most Kommunen deviate on (systematic disagreements), with counts."""
    deviations = deviations_visible_to(user)
    if topic is not None:
        deviations = deviations.filter(service__topic=topic)
    return list(
        deviations.order_by()
        .values("service_id", "service__name", "service__catalogue_key", "value")
        .annotate(n=Count("pk"))
        .filter(n__gt=1)
        .order_by("-n", "service__name")[:limit]
    )


def deviation_get_for_municipality(
    *, municipality: Municipality, service: Service
) -> Deviation | None:
    return Deviation.objects.filter(municipality=municipality, service=service).first()


def municipality_history(*, municipality: Municipality, service: Service | None = None):
    changes = RelevanceChange.objects.filter(municipality=municipality)
    if service is not None:
        changes = changes.filter(service=service)
    return changes.select_related("service", "topic").order_by("-created_at", "-pk")
