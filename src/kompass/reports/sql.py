"""SQL shared by the aggregates and the global views: "is Leistung s relevant for Kommune m?"
for many pairs at once, and the Kommune × Leistung join with the implementation records.

It is the set-based twin of relevance.selectors.relevance_list_for (that one answers for one
Kommune; this one for every Kommune in a single statement). The order of the rules is the same:
the Kommune's own deviation, for a Kreis a relevant type decision or a "durch den Kreis" decision
for the type of one of its Gemeinden, then its type's decision, then the default proposal from
the LeiKa-Typ. tests/test_aggregates.py checks both against each other.
"""

from __future__ import annotations

from kompass.catalogue.models import Service
from kompass.implementation.models import Implementation
from kompass.municipalities.choices import MunicipalityLevel
from kompass.municipalities.models import Municipality
from kompass.relevance.choices import RelevanceValue
from kompass.relevance.models import Deviation, TypeDecision
from kompass.relevance.selectors import DEFAULT_BY_LEIKA_TYPE

M = Municipality._meta.db_table
S = Service._meta.db_table
TD = TypeDecision._meta.db_table
DV = Deviation._meta.db_table
IMPL = Implementation._meta.db_table


def pairs_sql() -> tuple[str, list]:
    """FROM … WHERE of every (active Kommune m, current Leistung s) pair where s is relevant for
    m, LEFT JOINed with m's record i of s (i.* NULL when there is none). Callers add conditions
    with AND and their own SELECT/GROUP BY."""
    default_cases = " ".join("WHEN %s THEN %s" for _ in DEFAULT_BY_LEIKA_TYPE)
    default_params: list = []
    for code, value in DEFAULT_BY_LEIKA_TYPE.items():
        default_params += [code, value.value]
    relevant = RelevanceValue.RELEVANT.value
    # Table names come from model metadata; every value is a query parameter.
    sql = f"""
        FROM {M} m
        INNER JOIN {S} s ON s.retired_in_id IS NULL
        LEFT JOIN {TD} td ON td.service_id = s.id AND td.municipality_type_id = m.municipality_type_id
        LEFT JOIN {DV} dv ON dv.service_id = s.id AND dv.municipality_id = m.id
        LEFT JOIN {IMPL} i ON i.municipality_id = m.id AND i.service_id = s.id
        WHERE m.dissolved_on IS NULL
          AND (CASE
                 WHEN dv.value IS NOT NULL THEN dv.value
                 WHEN m.level = %s AND td.value = %s THEN %s
                 WHEN m.level = %s AND EXISTS (
                     SELECT 1 FROM {TD} t2
                     INNER JOIN {M} mm ON mm.municipality_type_id = t2.municipality_type_id
                     WHERE t2.service_id = s.id AND t2.value = %s
                       AND mm.district_id = m.id AND mm.dissolved_on IS NULL
                 ) THEN %s
                 WHEN td.value IS NOT NULL THEN td.value
                 ELSE (CASE s.leika_type_codes {default_cases} ELSE %s END)
               END) = %s
    """  # noqa: S608
    district = MunicipalityLevel.DISTRICT.value
    params = [
        district,
        relevant,
        relevant,
        district,
        RelevanceValue.BY_DISTRICT.value,
        relevant,
        *default_params,
        RelevanceValue.UNDECIDED.value,
        relevant,
    ]
    return sql, params


def in_list(column: str, values: list) -> tuple[str, list]:
    """`column IN (%s, …)` for a non-empty list (an always-false condition for an empty one)."""
    if not values:
        return "1 = 0", []
    return f"{column} IN ({', '.join(['%s'] * len(values))})", list(values)
