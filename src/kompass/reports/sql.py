"""SQL shared by the aggregates and the global views: "is Leistung s relevant for Kommune m?"
for many pairs at once, and the Kommune × Leistung join with the implementation records.

It is the set-based twin of relevance.selectors.relevance_list_for (that one answers for one
Kommune; this one for every Kommune in a single statement). The order of the rules is the same:
the Kommune's own deviation, for a Kreis a relevant type decision or a "durch den Kreis" decision
for the type of one of its Gemeinden, then its type's decision, then the default proposal from
the LeiKa-Typ. tests/test_aggregates.py checks both against each other.

pairs_sql checks every (Kommune, Leistung) pair: right for a few Kommunen (TopicProgress). The
global views ask the opposite question, a few Leistungen over all ~11,000 Kommunen, and use
relevant_counts_sql and relevant_record_levels_sql: most Kommunen follow their Kommunaltyp's
decision, so the relevant Kommunen are counted per type, their records are read from the counters
per type (reports.ServiceProgress), and both are corrected for the Kreise that "durch den Kreis"
decisions of their Gemeinden concern and for each deviation. relevant_records_sql checks records
one by one (the few Kommunen the global view names).
"""

from __future__ import annotations

from django.db import connection

from kompass.catalogue.models import Service
from kompass.implementation.choices import ImplementationStatus
from kompass.implementation.models import Implementation
from kompass.municipalities.choices import MunicipalityLevel
from kompass.municipalities.models import Municipality
from kompass.relevance.choices import RelevanceValue
from kompass.relevance.models import Deviation, TypeDecision
from kompass.relevance.selectors import DEFAULT_BY_LEIKA_TYPE
from kompass.reports.models import ServiceProgress

M = Municipality._meta.db_table
S = Service._meta.db_table
TD = TypeDecision._meta.db_table
DV = Deviation._meta.db_table
IMPL = Implementation._meta.db_table
SP = ServiceProgress._meta.db_table
STATUSES = tuple(ImplementationStatus.values)

RELEVANT = RelevanceValue.RELEVANT.value
DISTRICT = MunicipalityLevel.DISTRICT.value


def _default_value() -> tuple[str, list]:
    """The default proposal for s from its LeiKa-Typ (what a type without a decision gets)."""
    default_cases = " ".join("WHEN %s THEN %s" for _ in DEFAULT_BY_LEIKA_TYPE)
    params: list = []
    for code, value in DEFAULT_BY_LEIKA_TYPE.items():
        params += [code, value.value]
    sql = f"(CASE s.leika_type_codes {default_cases} ELSE %s END)"
    return sql, [*params, RelevanceValue.UNDECIDED.value]


def _type_value() -> tuple[str, list]:
    """The decision of m's Kommunaltyp for s (td joined), else the default proposal."""
    default, params = _default_value()
    return f"(CASE WHEN td.value IS NOT NULL THEN td.value ELSE {default} END)", params


def _type_says_relevant() -> tuple[str, list]:
    """_type_value() = "relevant", in a form whose share of the rows PostgreSQL can estimate: the
    decision from the statistics of its column, the default from the LeiKa-Typ codes. The CASE
    form is estimated at a fixed 0.5 %: for the ~50,000 counter rows of a large OZG-Leistung
    PostgreSQL then expected ~170 and sorted them for GROUP BY (spilling to disk) instead of
    hashing them, about 15 of 50 ms at SCALE=de."""
    codes = [
        code for code, value in DEFAULT_BY_LEIKA_TYPE.items() if value == RelevanceValue.RELEVANT
    ]
    default = f"s.leika_type_codes IN ({', '.join(['%s'] * len(codes))})" if codes else "FALSE"
    return f"(td.value = %s OR (td.value IS NULL AND {default}))", [RELEVANT, *codes]


def _relevant(for_its_gemeinden: str) -> tuple[str, list]:
    """The condition "s is relevant for m" with td (m's type's decision for s) and dv (m's
    deviation for s) LEFT JOINed; for_its_gemeinden is true when a Gemeinde of the Kreis m has a
    "durch den Kreis" decision for s."""
    type_value, type_params = _type_value()
    sql = f"""(CASE
                 WHEN dv.value IS NOT NULL THEN dv.value
                 WHEN m.level = %s AND td.value = %s THEN %s
                 WHEN m.level = %s AND {for_its_gemeinden} THEN %s
                 ELSE {type_value}
               END) = %s"""
    params = [DISTRICT, RELEVANT, RELEVANT, DISTRICT, RELEVANT, *type_params, RELEVANT]
    return sql, params


# "A Gemeinde of the Kreis m has a 'durch den Kreis' decision for s", for one pair (m, s).
_FOR_ITS_GEMEINDEN = f"""EXISTS (
    SELECT 1 FROM {TD} t2
    INNER JOIN {M} mm ON mm.municipality_type_id = t2.municipality_type_id
    WHERE t2.service_id = s.id AND t2.value = '{RelevanceValue.BY_DISTRICT.value}'
      AND mm.district_id = m.id AND mm.dissolved_on IS NULL)"""  # noqa: S608


def pairs_sql() -> tuple[str, list]:
    """FROM … WHERE of every (active Kommune m, current Leistung s) pair where s is relevant for
    m, LEFT JOINed with m's record i of s (i.* NULL when there is none). Callers add conditions
    with AND and their own SELECT/GROUP BY."""
    relevant, relevant_params = _relevant(_FOR_ITS_GEMEINDEN)
    # Table names come from model metadata; every value is a query parameter or a choice value.
    sql = f"""
        FROM {M} m
        INNER JOIN {S} s ON s.retired_in_id IS NULL
        LEFT JOIN {TD} td ON td.service_id = s.id AND td.municipality_type_id = m.municipality_type_id
        LEFT JOIN {DV} dv ON dv.service_id = s.id AND dv.municipality_id = m.id
        LEFT JOIN {IMPL} i ON i.municipality_id = m.id AND i.service_id = s.id
        WHERE m.dissolved_on IS NULL AND {relevant}
    """
    return sql, relevant_params


def _services_cte(service_condition: str, params: list) -> tuple[str, list]:
    """WITH svc (the current Leistungen matching service_condition, over catalogue_service s;
    params are its values), decisions (their type decisions) and kreis_extra (Kreis m_id,
    Leistung s_id: a Gemeinde of the active Kreis has a "durch den Kreis" decision for the
    Leistung, and the Kreis's own type does not make it relevant). kreis_extra starts from the
    few (type of a Kreis, Leistung) pairs whose decision is not "relevant"."""
    by_district = RelevanceValue.BY_DISTRICT.value
    type_value, type_params = _type_value()
    # The pairs that can give a Kreis something are few: PostgreSQL must find them first (the
    # Kreis types' undecided Leistungen, then those with a "durch den Kreis" decision) rather than
    # fold the CTEs into a join over every "durch den Kreis" decision and Kreis.
    materialized = "MATERIALIZED" if connection.vendor == "postgresql" else ""
    # decisions, on the other hand, is folded into each join: an OZG-Leistung with 300
    # LeiKa-Leistungen has some 20,000 type decisions, which PostgreSQL would otherwise
    # materialise and sort once per join (about half of the global view's SQL at SCALE=de);
    # folded in, they are read by the index on (service, type) and hashed. kreis_open joins the
    # Kreis types' decisions alone.
    not_materialized = "NOT MATERIALIZED" if connection.vendor == "postgresql" else ""
    sql = f"""
        WITH svc AS (
            SELECT s.id, s.name, s.leika_type_codes FROM {S} s
            WHERE s.retired_in_id IS NULL AND {service_condition}
        ),
        decisions AS {not_materialized} (
            SELECT t.service_id, t.municipality_type_id, t.value FROM {TD} t
            WHERE t.service_id IN (SELECT id FROM svc)
        ),
        kreis_types AS (
            SELECT DISTINCT COALESCE(municipality_type_id, 0) AS type_key FROM {M}
            WHERE level = %s AND dissolved_on IS NULL
        ),
        kreis_decisions AS (
            SELECT t.service_id, t.municipality_type_id, t.value FROM decisions t
            WHERE t.municipality_type_id IN (SELECT type_key FROM kreis_types)
        ),
        kreis_open AS {materialized} (
            SELECT kt.type_key, s.id AS s_id FROM svc s CROSS JOIN kreis_types kt
            LEFT JOIN kreis_decisions td
                ON td.service_id = s.id AND td.municipality_type_id = kt.type_key
            WHERE {type_value} <> %s
        ),
        member_types AS (
            SELECT DISTINCT district_id, municipality_type_id FROM {M}
            WHERE dissolved_on IS NULL AND district_id IS NOT NULL
              AND municipality_type_id IS NOT NULL
        ),
        kreis_by_district AS {materialized} (
            SELECT ko.type_key, ko.s_id, t.municipality_type_id AS member_type FROM kreis_open ko
            INNER JOIN decisions t ON t.service_id = ko.s_id AND t.value = '{by_district}'
        ),
        kreis_extra AS (
            SELECT DISTINCT k.id AS m_id, kb.s_id FROM kreis_by_district kb
            INNER JOIN member_types mt ON mt.municipality_type_id = kb.member_type
            INNER JOIN {M} k ON k.id = mt.district_id AND k.level = %s
                AND k.dissolved_on IS NULL AND COALESCE(k.municipality_type_id, 0) = kb.type_key
        )
    """  # noqa: S608
    return sql, [*params, DISTRICT, *type_params, RELEVANT, DISTRICT]


# The joins that _relevant needs for a pair (m, s) of a record: the type decision straight from
# its table (by its unique index), as the records may span every Kommunaltyp. A Kreis's "durch
# den Kreis" rule is checked per pair (_FOR_ITS_GEMEINDEN): only Kreise evaluate it.
_PAIR_JOINS = f"""
    LEFT JOIN {TD} td ON td.service_id = s.id AND td.municipality_type_id = m.municipality_type_id
    LEFT JOIN {DV} dv ON dv.service_id = s.id AND dv.municipality_id = m.id
"""


def _base_relevant() -> tuple[str, list]:
    """ "s is relevant for m" without m's deviation (td and ke joined): the type decides, and a
    Kreis also has what one of its Gemeinden leaves to it ("durch den Kreis")."""
    type_relevant, type_params = _type_says_relevant()
    return f"({type_relevant} OR ke.m_id IS NOT NULL)", type_params


# The (Kommune, Leistung) pairs with a deviation, with the joins of _base_relevant (the type
# decision of each pair looked up by its unique index: deviations are few).
_DEVIATIONS = f"""
    FROM {DV} dv
    INNER JOIN svc s ON s.id = dv.service_id
    INNER JOIN {M} m ON m.id = dv.municipality_id AND m.dissolved_on IS NULL
    LEFT JOIN {TD} td ON td.service_id = s.id AND td.municipality_type_id = m.municipality_type_id
    LEFT JOIN kreis_extra ke ON ke.m_id = m.id AND ke.s_id = s.id
"""


def relevant_counts_sql(service_condition: str, params: list) -> tuple[str, list]:
    """SELECT (Leistung id, its name, number of active Kommunen for which it is relevant) for
    the current Leistungen matching service_condition (over catalogue_service s; params are its
    values); a Leistung's number is the sum of its rows, some of which are negative.

    (1) Every Kommune as its Kommunaltyp decides, counted per type: the Kommunen of the types
    that decided "relevant", plus, where the default proposal is "relevant", every Kommune whose
    type did not decide (summed over the decisions, not over Leistung × type pairs); (2) the
    Kreise that a Gemeinde's "durch den Kreis" decision gives the Leistung and their type does
    not; (3) per deviation, +1 if it makes the Leistung relevant and -1 if (1) or (2) counted
    the pair."""
    services, services_params = _services_cte(service_condition, params)
    default, default_params = _default_value()
    base, base_params = _base_relevant()
    sql = f"""
        {services},
        per_type AS (
            SELECT m.municipality_type_id AS type_id, COUNT(*) AS n FROM {M} m
            WHERE m.dissolved_on IS NULL GROUP BY m.municipality_type_id
        ),
        decided (service_id, relevant, n) AS (
            SELECT td.service_id, SUM(CASE WHEN td.value = %s THEN pt.n ELSE 0 END), SUM(pt.n)
            FROM decisions td INNER JOIN per_type pt ON pt.type_id = td.municipality_type_id
            GROUP BY td.service_id
        ),
        by_type (id, n) AS (
            SELECT s.id, COALESCE(d.relevant, 0) + (CASE WHEN {default} = %s
                THEN (SELECT SUM(n) FROM per_type) - COALESCE(d.n, 0) ELSE 0 END)
            FROM svc s LEFT JOIN decided d ON d.service_id = s.id
        )
        , counts (id, n) AS (
            SELECT id, n FROM by_type WHERE n > 0
            UNION ALL
            SELECT ke.s_id, COUNT(*) FROM kreis_extra ke GROUP BY ke.s_id
            UNION ALL
            SELECT s.id,
                   SUM((CASE WHEN dv.value = %s THEN 1 ELSE 0 END)
                       - (CASE WHEN {base} THEN 1 ELSE 0 END))
            {_DEVIATIONS}
            GROUP BY s.id
        )
        SELECT s.id, s.name, c.n FROM counts c INNER JOIN svc s ON s.id = c.id
    """  # noqa: S608
    return sql, [
        *services_params,
        RELEVANT,
        *default_params,
        RELEVANT,
        RELEVANT,
        *base_params,
    ]


def relevant_record_levels_sql(service_condition: str, params: list) -> tuple[str, list]:
    """SELECT (Leistung id, Reifegrad, then one count per status in STATUSES) of the records of
    the active Kommunen for which the Leistung is relevant, for the current Leistungen matching
    service_condition; a cell's count is the sum of its rows, some of which are negative.
    Records at (Reifegrad 0, offen) may be missing: they read like no record.

    The three parts of relevant_counts_sql, over records instead of Kommunen: (1) the
    ServiceProgress rows of the types whose decision makes the Leistung relevant; (2) the
    records of the Kreise that a Gemeinde's "durch den Kreis" decision gives the Leistung; (3)
    per deviation with a record, +1 if it makes the Leistung relevant, -1 if (1) or (2) counted
    the record."""
    services, services_params = _services_cte(service_condition, params)
    type_relevant, type_params = _type_says_relevant()
    base, base_params = _base_relevant()
    by_status = ", ".join("SUM(CASE WHEN i.status = %s THEN {w} ELSE 0 END)" for _ in STATUSES)
    weight = f"((CASE WHEN dv.value = %s THEN 1 ELSE 0 END) - (CASE WHEN {base} THEN 1 ELSE 0 END))"
    sql = f"""
        {services}
        SELECT s.id, sp.level, {", ".join(f"SUM(sp.{c})" for c in STATUSES)}
        FROM svc s INNER JOIN {SP} sp ON sp.service_id = s.id
        LEFT JOIN decisions td ON td.service_id = s.id AND td.municipality_type_id = sp.type_key
        WHERE {type_relevant}
        GROUP BY s.id, sp.level
        UNION ALL
        SELECT ke.s_id, COALESCE(i.current_level, 0), {by_status.format(w="1")}
        FROM kreis_extra ke
        INNER JOIN {IMPL} i ON i.municipality_id = ke.m_id AND i.service_id = ke.s_id
        GROUP BY ke.s_id, COALESCE(i.current_level, 0)
        UNION ALL
        SELECT s.id, COALESCE(i.current_level, 0), {by_status.format(w=weight)}
        {_DEVIATIONS}
        INNER JOIN {IMPL} i ON i.municipality_id = m.id AND i.service_id = s.id
        GROUP BY s.id, COALESCE(i.current_level, 0)
    """  # noqa: S608
    deviation_params: list = []
    for status in STATUSES:
        deviation_params += [status, RELEVANT, *base_params]
    return sql, [
        *services_params,
        *type_params,
        *STATUSES,
        *deviation_params,
    ]


def relevant_records_sql(
    *, select: str, select_params: list, service_condition: str, params: list
) -> tuple[str, list]:
    """SELECT select FROM … WHERE over the records i of the current Leistungen s matching
    service_condition (over catalogue_service s; params are its values) whose active Kommune m
    has the Leistung as relevant (m, s, i as aliases). Callers append AND conditions, GROUP BY,
    ORDER BY."""
    services, services_params = _services_cte(service_condition, params)
    relevant, relevant_params = _relevant(_FOR_ITS_GEMEINDEN)
    sql = f"""
        {services}
        SELECT {select}
        FROM svc s
        INNER JOIN {IMPL} i ON i.service_id = s.id
        INNER JOIN {M} m ON m.id = i.municipality_id AND m.dissolved_on IS NULL
        {_PAIR_JOINS}
        WHERE {relevant}
    """  # noqa: S608
    return sql, [*services_params, *select_params, *relevant_params]


def in_list(column: str, values: list) -> tuple[str, list]:
    """`column IN (%s, …)` for a non-empty list (an always-false condition for an empty one)."""
    if not values:
        return "1 = 0", []
    return f"{column} IN ({', '.join(['%s'] * len(values))})", list(values)
