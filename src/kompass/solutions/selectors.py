"""Reads of the solutions marketplace: who sees and changes which solution, the list with its
filters, one solution with coverage and users, a Kommune's usages, and the gap matching.

Visibility (solutions_visible_to): published entries for every signed-in person; proposals and
rejected entries only for people with a role in the proposing Kommune and for the operators of
its IT provider. Everything else answers 404 (solution_get_for_user), like a missing entry.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.db import connection
from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    IntegerField,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
    Window,
)
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils.translation import gettext as _

from kompass.accounts.choices import Role
from kompass.accounts.models import User, person_name
from kompass.accounts.selectors import (
    is_platform_operator,
    is_superuser,
    operator_provider_ids,
    role_assignments_of,
)
from kompass.catalogue.models import Service
from kompass.core.links import url_prefix
from kompass.core.text import fold, search_terms
from kompass.implementation.choices import ImplementationStatus, Priority
from kompass.implementation.models import Implementation
from kompass.implementation.selectors import (
    DEFINITIONS_PER_PROCESS,
    HIGH_CASE_COUNT,
    MEDIUM_CASE_COUNT,
    municipality_of_shape,
    page_with_total,
    sql_shape,
    workspace_services,
)
from kompass.municipalities.models import Municipality, Provider
from kompass.relevance.choices import RelevanceValue
from kompass.relevance.models import Deviation, TypeDecision
from kompass.relevance.selectors import default_value_for
from kompass.solutions.choices import (
    ChangeAction,
    GapFilter,
    ReviewState,
    SolutionStatus,
    UsageState,
)
from kompass.solutions.models import Solution, SolutionChange, SolutionService, SolutionUsage

if TYPE_CHECKING:
    from kompass.accounts.selectors import AnyUser

_MEMBERSHIP = Provider.members.through
_SOLUTION = Solution._meta.db_table
_SOLUTION_SERVICE = SolutionService._meta.db_table
_USAGE = SolutionUsage._meta.db_table
_MUNICIPALITY = Municipality._meta.db_table
_USER = User._meta.db_table
# Roles that make a person part of a Kommune (its staff), as opposed to provider-wide roles.
_OWN_ROLES = (Role.MUNICIPALITY_ADMIN, Role.EDITOR, Role.READER)
_PROPOSER_ROLES = (Role.MUNICIPALITY_ADMIN, Role.EDITOR)

# --- Who sees and changes what -------------------------------------------------------------------


def own_municipality_ids(user: AnyUser, roles: tuple[str, ...] = _OWN_ROLES) -> set[int]:
    """Kommunen where the person holds a role of their own (admin, Bearbeiter, reader)."""
    return {
        a.municipality_id
        for a in role_assignments_of(user)
        if a.role in roles and a.municipality_id is not None
    }


def proposing_municipalities_for(user: AnyUser) -> QuerySet[Municipality]:
    """Kommunen for which the person may propose entries (their admins and Bearbeiter)."""
    return Municipality.objects.filter(pk__in=own_municipality_ids(user, _PROPOSER_ROLES))


def _operated_member_ids(user: AnyUser) -> QuerySet:
    return _MEMBERSHIP.objects.filter(provider_id__in=operator_provider_ids(user)).values(
        "municipality_id"
    )


def solutions_visible_to(user: AnyUser) -> QuerySet[Solution]:
    """Published solutions, plus the proposals (and rejected entries) of the person's own
    Kommunen and, for operators, of their member Kommunen."""
    if not user.is_authenticated:
        return Solution.objects.none()
    if is_superuser(user):
        return Solution.objects.all()
    condition = Q(review_state=ReviewState.PUBLISHED)
    own = own_municipality_ids(user)
    if own:
        condition |= Q(proposed_for_id__in=own)
    if is_platform_operator(user):
        condition |= Q(proposed_for_id__in=_operated_member_ids(user)) | Q(
            proposed_for__isnull=True
        )
    return Solution.objects.filter(condition)


def solution_get_for_user(*, user: AnyUser, pk: int) -> Solution:
    """The solution if the person may see it; otherwise 404, as if it did not exist."""
    try:
        return solutions_visible_to(user).select_related("proposed_for", "proposed_by").get(pk=pk)
    except Solution.DoesNotExist:
        raise Http404 from None


def can_review(user: AnyUser, solution: Solution) -> bool:
    """Operators review proposals of their member Kommunen (and edit every visible entry)."""
    if is_superuser(user):
        return True
    if not is_platform_operator(user):
        return False
    if solution.proposed_for_id is None:
        return True
    return _MEMBERSHIP.objects.filter(
        provider_id__in=operator_provider_ids(user), municipality_id=solution.proposed_for_id
    ).exists()


def can_edit_solution(user: AnyUser, solution: Solution) -> bool:
    """Operators change every entry they see; the proposing Kommune's admins and Bearbeiter change
    their proposal until it is published (a rejected one goes back to review when changed)."""
    if can_review(user, solution):
        return True
    return (
        solution.review_state != ReviewState.PUBLISHED
        and solution.proposed_for_id in own_municipality_ids(user, _PROPOSER_ROLES)
    )


def can_propose_for(user: AnyUser, municipality: Municipality) -> bool:
    """The Kommune's admins and Bearbeiter, and the operators serving it."""
    if municipality.pk in own_municipality_ids(user, _PROPOSER_ROLES):
        return True
    return can_review(user, Solution(proposed_for=municipality))


def can_create_central(user: AnyUser) -> bool:
    return is_platform_operator(user)


# --- The list --------------------------------------------------------------------------------------


def provider_names(queryset: QuerySet[Solution]) -> list[str]:
    """The distinct provider names of the visible solutions (the provider filter's choices)."""
    return list(
        queryset.order_by("provider_name").values_list("provider_name", flat=True).distinct()
    )


def with_coverage_summary(queryset: QuerySet[Solution]) -> QuerySet[Solution]:
    """Annotate each solution with how many Leistungen it covers and its highest Reifegrad."""
    coverage = (
        SolutionService.objects.filter(solution_id=OuterRef("pk")).order_by().values("solution_id")
    )
    return queryset.annotate(
        service_count=Coalesce(
            Subquery(coverage.annotate(n=Count("pk")).values("n")[:1]), Value(0)
        ),
        top_level=Subquery(coverage.annotate(m=Max("level")).values("m")[:1]),
    )


def coverage_filter(
    queryset: QuerySet[Solution],
    *,
    topic_code: str = "",
    service_query: str = "",
    min_level: int | None = None,
) -> QuerySet[Solution]:
    """Keep solutions with one covered Leistung that matches all given conditions at once
    (Themenfeld, a search over the Leistung's name and keys, Reifegrad reached)."""
    if not topic_code and not service_query and min_level is None:
        return queryset
    rows = SolutionService.objects.filter(solution_id=OuterRef("pk"))
    if topic_code:
        rows = rows.filter(service__topic__code=topic_code)
    for term in search_terms(service_query):
        rows = rows.filter(service__search_text__contains=term)
    if min_level is not None:
        rows = rows.filter(level__gte=min_level)
    return queryset.filter(Exists(rows))


def search_filter(queryset: QuerySet[Solution], query: str) -> QuerySet[Solution]:
    for term in search_terms(query):
        queryset = queryset.filter(search_text__contains=term)
    return queryset


def solution_search_text(*, name: str, provider_name: str, description: str) -> str:
    return fold(" ".join((name, provider_name, description)))


def solutions_matching_text(text: str, *, limit: int = 5) -> list[Solution]:
    """Published solutions whose name, provider or description contain every word of a free text
    (e.g. an implementation record's "solution" from before the marketplace)."""
    terms = [term for term in search_terms(text) if len(term) >= 2]
    if not terms:
        return []
    queryset = Solution.objects.filter(review_state=ReviewState.PUBLISHED)
    for term in terms:
        queryset = queryset.filter(search_text__contains=term)
    return list(queryset.order_by("name", "pk")[:limit])


# --- One solution ----------------------------------------------------------------------------------


def coverage_of(solution: Solution) -> QuerySet[SolutionService]:
    return (
        SolutionService.objects.filter(solution=solution)
        .select_related("service__ozg_service", "service__topic")
        .order_by("service__ozg_service__ozg_id", "service__name", "pk")
    )


def usages_of(solution: Solution) -> QuerySet[SolutionUsage]:
    """Who uses or plans the solution, with the contact each Kommune chose to share."""
    return (
        SolutionUsage.objects.filter(solution=solution)
        .select_related("municipality", "service", "contact_person")
        .order_by("municipality__name", "service__name", "pk")
    )


def history_of(solution: Solution, *, limit: int = 100) -> list[SolutionChange]:
    return list(
        SolutionChange.objects.filter(solution=solution).select_related(
            "changed_by", "municipality"
        )[:limit]
    )


def proposals_for_review(user: AnyUser) -> QuerySet[Solution]:
    """Open proposals the operator may review, oldest first."""
    if not is_platform_operator(user):
        return Solution.objects.none()
    return (
        solutions_visible_to(user)
        .filter(review_state=ReviewState.PROPOSAL)
        .select_related("proposed_for")
        .order_by("created_at", "pk")
    )


# --- Usage ----------------------------------------------------------------------------------------


def usages_of_municipality(municipality: Municipality) -> QuerySet[SolutionUsage]:
    return (
        SolutionUsage.objects.filter(municipality=municipality)
        .select_related("solution", "service", "contact_person")
        .order_by("service__name", "solution__name", "pk")
    )


def usages_for(*, municipality: Municipality, service: Service) -> list[SolutionUsage]:
    return list(
        SolutionUsage.objects.filter(municipality=municipality, service=service)
        .select_related("solution", "contact_person")
        .order_by("solution__name", "pk")
    )


def usage_get_for_municipality(*, municipality: Municipality, pk: int) -> SolutionUsage:
    """A usage of the (already access-checked) Kommune; 404 for another Kommune's usage."""
    try:
        return SolutionUsage.objects.select_related("solution", "service").get(
            pk=pk, municipality=municipality
        )
    except SolutionUsage.DoesNotExist:
        raise Http404 from None


def usable_solutions(*, service: Service) -> tuple[list[Solution], list[Solution]]:
    """Published, not discontinued solutions: those covering the Leistung, and all others."""
    solutions = list(
        Solution.objects.filter(review_state=ReviewState.PUBLISHED)
        .exclude(status=SolutionStatus.DISCONTINUED)
        .annotate(
            covers=Exists(SolutionService.objects.filter(solution=OuterRef("pk"), service=service))
        )
        .only("pk", "name", "provider_name")
        .order_by("name", "pk")
    )
    return [s for s in solutions if s.covers], [s for s in solutions if not s.covers]


def implementation_record(*, municipality: Municipality, service: Service) -> Implementation | None:
    return Implementation.objects.filter(municipality=municipality, service=service).first()


# --- Gaps and offers -----------------------------------------------------------------------------


def _suggested_points() -> Case:
    """The points of implementation.selectors.suggested_priority as an SQL expression: many cases
    count 2 (≥ 1,000 a year) or 1 (≥ 100), a gap of three or more levels 2, of two levels 1."""
    case_points = Case(
        When(impl_case_count__gte=HIGH_CASE_COUNT, then=Value(2)),
        When(impl_case_count__gte=MEDIUM_CASE_COUNT, then=Value(1)),
        default=Value(0),
        output_field=IntegerField(),
    )
    gap_points = Case(
        When(gap_size__gte=3, then=Value(2)),
        When(gap_size=2, then=Value(1)),
        default=Value(0),
        output_field=IntegerField(),
    )
    return case_points + gap_points


def _offers_exist() -> Exists:
    return Exists(
        SolutionService.objects.filter(
            service_id=OuterRef("pk"), solution__review_state=ReviewState.PUBLISHED
        ).exclude(solution__status=SolutionStatus.DISCONTINUED)
    )


def gaps_of(
    *, municipality: Municipality, default_target: int | None, offers: str = ""
) -> QuerySet[Service]:
    """The Kommune's gaps: relevant Leistungen below their target Reifegrad (the record's target,
    else the OZG default target), "entfällt" excluded; a Leistung without a record is a gap at
    level 0. Ordered by (suggested) priority, the size of the gap, then OZG-Leistung and name.

    offers: GapFilter value ("uncovered": no published solution at all; "covered": some).

    Like workspace_services, the definition is built once per process and clones are returned.
    """
    return _gaps_definition(
        sql_shape(municipality), default_target=default_target, offers=offers
    ).all()


@functools.lru_cache(maxsize=DEFINITIONS_PER_PROCESS)
def _gaps_definition(shape: tuple, *, default_target: int | None, offers: str) -> QuerySet[Service]:
    return _gaps_queryset(
        municipality=municipality_of_shape(shape), default_target=default_target, offers=offers
    )


def _gaps_queryset(
    *, municipality: Municipality, default_target: int | None, offers: str
) -> QuerySet[Service]:
    services = workspace_services(municipality=municipality).exclude(
        impl_status=ImplementationStatus.DROPPED
    )
    target = (
        F("impl_target_level")
        if default_target is None
        else Coalesce(F("impl_target_level"), Value(default_target))
    )
    services = services.annotate(
        gap_target=target,
        gap_current=Coalesce(F("impl_current_level"), Value(0)),
    ).annotate(gap_size=F("gap_target") - F("gap_current"))
    services = services.filter(gap_target__isnull=False, gap_size__gt=0)
    services = services.annotate(priority_points=_suggested_points()).annotate(
        priority_rank=Case(
            When(impl_priority=Priority.HIGH, then=Value(1)),
            When(impl_priority=Priority.MEDIUM, then=Value(2)),
            When(impl_priority=Priority.LOW, then=Value(3)),
            When(priority_points__gte=3, then=Value(1)),
            When(priority_points__gte=1, then=Value(2)),
            default=Value(3),
            output_field=IntegerField(),
        ),
        has_offers=_offers_exist(),
    )
    if offers == GapFilter.UNCOVERED:
        services = services.filter(has_offers=False)
    elif offers == GapFilter.COVERED:
        services = services.filter(has_offers=True)
    return services.order_by("priority_rank", "-gap_size", "ozg_service__ozg_id", "name", "pk")


@dataclass(frozen=True, slots=True)
class Named:
    """The id and name of a solution or Kommune in an offer: all the gap list shows of them."""

    pk: int
    name: str


@dataclass(frozen=True, slots=True)
class OfferUser:
    """Another Kommune that uses or plans an offer for the Leistung, with the contact person it
    chose to share (contact_name empty: none)."""

    municipality: Named
    state: str
    contact_name: str = ""
    contact_email: str = ""


@dataclass
class Offer:
    """A solution offered for a gap, with the Kommunen that already use it there."""

    solution: Named
    level: int
    similar_users: int
    url: str = ""
    users: list[OfferUser] = field(default_factory=list)
    more_users: int = 0


@dataclass
class Gap:
    service: Service
    priority: str
    offers: list[Offer] = field(default_factory=list)
    more_offers: int = 0
    usage_url: str = ""
    detail_url: str = ""

    @property
    def priority_label(self) -> str:
        return str(Priority(self.priority).label)


OFFERS_PER_GAP = 3
USERS_PER_OFFER = 3
_RANK_TO_PRIORITY = {1: Priority.HIGH.value, 2: Priority.MEDIUM.value, 3: Priority.LOW.value}


# What a gap row shows beyond the Leistung's own fields: computed by the ranking query anyway.
_GAP_COLUMNS = ("priority_rank", "gap_current", "gap_target", "impl_priority")


def gap_page(
    gaps: QuerySet[Service], *, municipality: Municipality, number: int, per_page: int
) -> tuple[list[Gap], int, int]:
    """Page `number` of gaps (gaps_of, filtered) with their offers, the number of all gaps and
    the page's number (clamped): one query ranks the gaps, counts them (a window) and yields the
    page's ids with the gap's computed values (_GAP_COLUMNS); the page's Leistungen are then read
    by id alone, without the relevance and record joins a second run of gaps_of would repeat."""
    ranked, count, number = page_with_total(
        gaps.annotate(total=Window(Count("pk"))).values_list("pk", "total", *_GAP_COLUMNS),
        number=number,
        per_page=per_page,
        total_of=lambda row: row[1],
        count=gaps.count,
    )
    by_pk = (
        Service.objects.select_related("ozg_service")
        .only("name", "leika_key", "catalogue_key", "ozg_service__ozg_id", "ozg_service__name")
        .in_bulk([row[0] for row in ranked])
    )
    services = []
    for pk, _total, *values in ranked:
        service = by_pk[pk]
        for name, value in zip(_GAP_COLUMNS, values, strict=True):
            setattr(service, name, value)
        services.append(service)
    return offers_for(services, municipality=municipality), count, number


def _offers_sql(
    service_ids: list[int], *, municipality: Municipality, offers_per_gap: int, users_per_offer: int
) -> tuple[str, list]:
    """The statement of offers_for and its parameters.

    candidates: the published, not discontinued solutions covering the Leistungen; uses: every use
    of a candidate for its Leistung by another Kommune, with that Kommune's name and whether it has
    the same Kommunaltyp (each Kommune read once, for the ranking of offers and of users alike);
    tally: per candidate its users and its users of the same type; offers: the candidates ranked
    per Leistung; shown: the users of the shown offers ranked per offer. One row per shown offer
    and user (NULL users for an offer nobody else uses), in the page's order."""
    params = [
        *service_ids,
        ReviewState.PUBLISHED.value,
        SolutionStatus.DISCONTINUED.value,
        municipality.municipality_type_id,
        municipality.pk,
        UsageState.USES.value,
        offers_per_gap,
        users_per_offer,
        offers_per_gap,
    ]
    ids = ", ".join(["%s"] * len(service_ids))
    sql = f"""
WITH candidates AS (
    SELECT ss.service_id, ss.solution_id, ss.level, so.name
    FROM {_SOLUTION_SERVICE} ss
    JOIN {_SOLUTION} so ON so.id = ss.solution_id
    WHERE ss.service_id IN ({ids}) AND so.review_state = %s AND so.status <> %s
),
uses AS (
    SELECT u.id, u.solution_id, u.service_id, u.state, u.contact_person_id, u.municipality_id,
           m.name AS municipality_name,
           CASE WHEN m.municipality_type_id = %s THEN 0 ELSE 1 END AS other_type
    FROM candidates c
    JOIN {_USAGE} u ON u.solution_id = c.solution_id AND u.service_id = c.service_id
    JOIN {_MUNICIPALITY} m ON m.id = u.municipality_id
    WHERE u.municipality_id <> %s
),
tally AS (
    SELECT solution_id, service_id, COUNT(*) AS users,
           SUM(CASE WHEN other_type = 0 AND state = %s THEN 1 ELSE 0 END) AS similar
    FROM uses
    GROUP BY solution_id, service_id
),
offers AS (
    SELECT c.service_id, c.solution_id, c.level, c.name,
           COALESCE(t.similar, 0) AS similar, COALESCE(t.users, 0) AS users,
           ROW_NUMBER() OVER (
               PARTITION BY c.service_id
               ORDER BY c.level DESC, COALESCE(t.similar, 0) DESC, c.name, c.solution_id
           ) AS position,
           COUNT(*) OVER (PARTITION BY c.service_id) AS offer_count
    FROM candidates c
    LEFT JOIN tally t ON t.solution_id = c.solution_id AND t.service_id = c.service_id
),
shown AS (
    SELECT u.*, ROW_NUMBER() OVER (
               PARTITION BY u.solution_id, u.service_id
               ORDER BY u.other_type, u.municipality_name, u.id
           ) AS position
    FROM uses u
    JOIN offers o ON o.solution_id = u.solution_id AND o.service_id = u.service_id
    WHERE o.position <= %s
)
SELECT o.service_id, o.solution_id, o.name, o.level, o.similar, o.offer_count - o.position,
       o.users, sh.id, sh.state, sh.municipality_id, sh.municipality_name, sh.contact_person_id,
       p.username, p.first_name, p.last_name, p.email
FROM offers o
LEFT JOIN shown sh
    ON sh.solution_id = o.solution_id AND sh.service_id = o.service_id AND sh.position <= %s
LEFT JOIN {_USER} p ON p.id = sh.contact_person_id
WHERE o.position <= %s
ORDER BY o.service_id, o.position, sh.position
"""  # noqa: S608 - only table names and placeholders are formatted in; values are parameters
    return sql, params


def offers_for(
    services: list[Service],
    *,
    municipality: Municipality,
    offers_per_gap: int = OFFERS_PER_GAP,
    users_per_offer: int = USERS_PER_OFFER,
) -> list[Gap]:
    """Wrap a page of gaps with their best offers, in one statement whatever the page size
    (_offers_sql):

    per Leistung the first offers_per_gap published, not discontinued solutions covering it,
    ranked by the Reifegrad they reach, then by how many other Kommunen of the same Kommunaltyp
    use them for that Leistung, then by name, with the number of all offers; per offer the first
    users_per_offer other Kommunen using or planning it for that Leistung (same Kommunaltyp first,
    then by name) with the contact they chose to share, and the number of all its users.

    Written in SQL rather than with the ORM: the ranking of offers and of users both need every
    use of every candidate with its Kommune, which one statement reads once; as two ORM queries
    (one with a per-offer subquery, one with an OR per offer) they took three times as long,
    half of it building and reading them in Python (measured at SCALE=de). The rows become
    plain values (Named, OfferUser), not model instances: a page of gaps has some 400 of them.
    """
    solution_prefix = url_prefix("solutions:detail", pk=0)
    usage_prefix = url_prefix("solutions:usage", pk=municipality.pk, service_pk=0)
    detail_prefix = url_prefix("implementation:detail", pk=municipality.pk, service_pk=0)
    gaps = [
        Gap(
            service=s,
            priority=_RANK_TO_PRIORITY.get(s.priority_rank, Priority.LOW.value),
            usage_url=f"{usage_prefix}{s.pk}/",
            detail_url=f"{detail_prefix}{s.pk}/",
        )
        for s in services
    ]
    if not gaps:
        return gaps
    sql, params = _offers_sql(
        [s.pk for s in services],
        municipality=municipality,
        offers_per_gap=offers_per_gap,
        users_per_offer=users_per_offer,
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    by_service: dict[int, list[Offer]] = {}
    more_offers: dict[int, int] = {}
    offer, shown = None, None
    for (
        service_id,
        solution_id,
        name,
        level,
        similar,
        more,
        users,
        usage_id,
        state,
        municipality_id,
        municipality_name,
        contact_id,
        username,
        first_name,
        last_name,
        email,
    ) in rows:
        if (service_id, solution_id) != shown:
            shown = (service_id, solution_id)
            offer = Offer(
                solution=Named(solution_id, name),
                level=level,
                similar_users=similar,
                url=f"{solution_prefix}{solution_id}/",
                more_users=users,
            )
            by_service.setdefault(service_id, []).append(offer)
            more_offers[service_id] = more
        if usage_id is None:
            continue
        contact = {}
        if contact_id:
            contact = {
                "contact_name": person_name(
                    username=username, first_name=first_name, last_name=last_name
                ),
                "contact_email": email,
            }
        offer.users.append(OfferUser(Named(municipality_id, municipality_name), state, **contact))
        offer.more_users -= 1
    for gap in gaps:
        gap.offers = by_service.get(gap.service.pk, [])
        gap.more_offers = more_offers.get(gap.service.pk, 0)
    return gaps


# --- Across the member Kommunen (operators) -------------------------------------------------------


def member_municipalities(user: AnyUser) -> QuerySet[Municipality]:
    """The active Kommunen whose gaps an operator compares (their providers' members)."""
    if is_superuser(user):
        return Municipality.objects.active()
    return Municipality.objects.active().filter(pk__in=_operated_member_ids(user))


@dataclass(frozen=True)
class CommonGap:
    """One Leistung in the operators' comparison: in how many member Kommunen it is a gap."""

    service_id: int
    gap_count: int
    has_offers: bool


def _offered_service_ids() -> set[int]:
    return set(
        SolutionService.objects.filter(solution__review_state=ReviewState.PUBLISHED)
        .exclude(solution__status=SolutionStatus.DISCONTINUED)
        .values_list("service_id", flat=True)
        .distinct()
    )


def common_gaps(
    *,
    members: QuerySet[Municipality],
    default_target: int | None,
    offers: str = "",
    topic_code: str = "",
) -> list[CommonGap]:
    """Per current Leistung: in how many of the member Kommunen it is a gap, and whether any
    published solution covers it; most common first, uncovered before covered.

    A gap: relevant for the Kommune (own deviation, else its Kommunaltyp's decision, else the
    LeiKa-Typ default) and not at its target (no record, or below the record's target / the
    default target, and not "entfällt"). Computed from aggregates, in six queries whatever the
    number of Kommunen: members per Kommunaltyp, the types' decisions, the current Leistungen,
    the members' deviations, their finished records counted per Leistung and type, and the
    Leistungen with offers. Not included: a Kreis's Leistungen "durch den Kreis" for its members.
    """
    type_counts = dict(
        members.order_by().values_list("municipality_type_id").annotate(n=Count("pk"))
    )
    type_ids = [t for t in type_counts if t is not None]
    decided = {
        (service_id, type_id): value
        for service_id, type_id, value in TypeDecision.objects.filter(
            municipality_type_id__in=type_ids
        ).values_list("service_id", "municipality_type_id", "value")
    }
    services = Service.objects.current()
    if topic_code:
        services = services.filter(topic__code=topic_code)
    rows = list(services.values_list("pk", "leika_type_codes", "ozg_service__ozg_id", "name"))
    defaults = {pk: default_value_for(codes) for pk, codes, _ozg, _name in rows}
    relevant = RelevanceValue.RELEVANT.value

    def by_type(service_id: int, type_id: int | None) -> bool:
        default = defaults[service_id]
        value = default if type_id is None else decided.get((service_id, type_id), default)
        return value == relevant

    counts = {
        pk: sum(n for type_id, n in type_counts.items() if by_type(pk, type_id)) for pk in defaults
    }
    target = (
        Q(current_level__gte=F("target_level"))
        if default_target is None
        else Q(current_level__gte=Coalesce(F("target_level"), Value(default_target)))
    )
    finished = Implementation.objects.filter(
        municipality__in=members, service_id__in=defaults.keys()
    ).filter(Q(status=ImplementationStatus.DROPPED) | target)
    deviating = Deviation.objects.filter(
        municipality_id=OuterRef("municipality_id"), service_id=OuterRef("service_id")
    )
    for service_id, type_id, value, finished_too in (
        Deviation.objects.filter(municipality__in=members, service_id__in=defaults.keys())
        .annotate(
            finished_too=Exists(
                finished.filter(
                    municipality_id=OuterRef("municipality_id"), service_id=OuterRef("service_id")
                )
            )
        )
        .values_list("service_id", "municipality__municipality_type_id", "value", "finished_too")
    ):
        counts[service_id] += int(value == relevant) - int(by_type(service_id, type_id))
        if value == relevant and finished_too:
            counts[service_id] -= 1
    for row in (
        finished.exclude(Exists(deviating))
        .order_by()
        .values("service_id", "municipality__municipality_type_id")
        .annotate(n=Count("pk"))
    ):
        if by_type(row["service_id"], row["municipality__municipality_type_id"]):
            counts[row["service_id"]] -= row["n"]
    offered = _offered_service_ids()
    order = {pk: (ozg or "", name, pk) for pk, _codes, ozg, name in rows}
    result = [
        CommonGap(service_id=pk, gap_count=n, has_offers=pk in offered)
        for pk, n in counts.items()
        if n > 0
    ]
    if offers == GapFilter.UNCOVERED:
        result = [row for row in result if not row.has_offers]
    elif offers == GapFilter.COVERED:
        result = [row for row in result if row.has_offers]
    result.sort(key=lambda row: (-row.gap_count, row.has_offers, order[row.service_id]))
    return result


def services_for_common_gaps(rows: list[CommonGap]) -> list[Service]:
    """The Leistungen of a page of common gaps, annotated with gap_count and has_offers."""
    found = Service.objects.select_related("ozg_service", "topic").in_bulk(
        [row.service_id for row in rows]
    )
    services = []
    for row in rows:
        service = found[row.service_id]
        service.gap_count = row.gap_count
        service.has_offers = row.has_offers
        services.append(service)
    return services


def change_action_label(action: str) -> str:
    return str(ChangeAction(action).label)


# --- Picking covered Leistungen -------------------------------------------------------------------

LEIKA_KEY_LENGTH = 14
CANDIDATE_LIMIT = 50


def services_for_keys(keys: list[str]) -> tuple[list[Service], list[str]]:
    """Current Leistungen for pasted LeiKa keys, and one German message per key that is not one
    (wrong format, unknown, or no longer in the current catalogue). One query."""
    well_formed = [k for k in keys if k.isdigit() and len(k) == LEIKA_KEY_LENGTH]
    found = {
        s.leika_key: s
        for s in Service.objects.filter(leika_key__in=well_formed).select_related("ozg_service")
    }
    services, errors = [], []
    for key in keys:
        service = found.get(key)
        if not (key.isdigit() and len(key) == LEIKA_KEY_LENGTH):
            errors.append(
                _("„%(key)s“ ist kein LeiKa-Schlüssel (14 Ziffern, z. B. 99102013002000).")
                % {"key": key[:40]}
            )
        elif service is None:
            errors.append(_("Den LeiKa-Schlüssel %(key)s gibt es im Katalog nicht.") % {"key": key})
        elif service.retired_in_id is not None:
            errors.append(
                _("Die Leistung %(key)s „%(name)s“ ist nicht mehr im aktuellen Katalog.")
                % {"key": key, "name": service.name}
            )
        else:
            services.append(service)
    return services, errors


def coverage_candidates(*, query: str = "", ozg_id: str = "") -> list[Service]:
    """Current Leistungen to add: all of an OZG-Leistung, or the first matches of a search."""
    services = Service.objects.current().select_related("ozg_service")
    if ozg_id:
        return list(services.filter(ozg_service__ozg_id=ozg_id).order_by("name", "pk"))
    terms = search_terms(query)
    if not terms:
        return []
    for term in terms:
        services = services.filter(search_text__contains=term)
    return list(services.order_by("name", "pk")[:CANDIDATE_LIMIT])


def current_services_by_id(ids: list[int]) -> list[Service]:
    return list(
        Service.objects.current()
        .filter(pk__in=ids)
        .select_related("ozg_service")
        .order_by("name", "pk")
    )


@dataclass
class SolutionInUse:
    """A published solution with how many Kommunen use or plan it for the given Leistungen."""

    solution: Solution
    using: int
    planning: int


def solutions_in_use(*, service_ids: list[int], limit: int = 20) -> list[SolutionInUse]:
    """The published solutions that Kommunen use or plan for any of the given Leistungen, most
    used first (for the global view of a Leistung or an OZG-Leistung; counts, no Kommune names)."""
    rows = (
        SolutionUsage.objects.filter(
            service_id__in=service_ids, solution__review_state=ReviewState.PUBLISHED
        )
        .values("solution_id")
        .annotate(
            using=Count("municipality_id", filter=Q(state=UsageState.USES), distinct=True),
            planning=Count("municipality_id", filter=Q(state=UsageState.PLANS), distinct=True),
        )
        .order_by("-using", "-planning", "solution_id")[:limit]
    )
    rows = list(rows)
    solutions = Solution.objects.in_bulk([row["solution_id"] for row in rows])
    return [
        SolutionInUse(
            solution=solutions[row["solution_id"]], using=row["using"], planning=row["planning"]
        )
        for row in rows
    ]
