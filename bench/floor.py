"""The floor of a page: the SQL it fundamentally needs, written by hand, timed directly on PostgreSQL.

For every URL of a workspace scenario, bench.steps (step "implementation_urls") describes what the
page shows as a *probe* (kind, Kommune, its Kommunaltyp and member types, the filters). This module
turns a probe into the statements a hand-written implementation would send, with psycopg and no
Django, and times them: the page p50 divided by the floor p50 is the overhead of everything else
(ORM, Python, templates, HTTP).

Every measured page is signed in, so each floor starts with the access check (access_statements):
the session, the user with their roles (one statement, where Django sends two) and, on a Kommune's
page, the Kommune; then come the choices the page shows besides its data (the workspace filter's
Fachbereiche, Reifegrade and Themenfelder, the list's saved filters, the gap list's Themenfelder
and Reifegrade). The page's own statements (captured by bench.steps) are replayed as well, and
the faster of the two is the floor: for the workspace lists the ORM's statements (ids and counts
in one statement, then the page's rows by id) are faster than the hand-written ones below, which
sort whole joined rows. The hand-written data statements alone are timed apart (data_p50_ms):
the floor of the earlier rounds, kept for comparison.

What each kind's data fundamentally needs:
    list    one page of the Kommune's relevant Leistungen LEFT JOINed with its records (plus
            department, contact, OZG-Leistung, Themenfeld), filtered and sorted; and the counts per
            status over the same filters (they also give the number of pages)
    board   the counts per status and the first BOARD_CARDS cards per status column (a window
            function), then the checklist steps of those cards
    detail  the Leistung with its record (it must be relevant or have one), its history (newest
            first, at most 200) and its checklist steps
    ozg     the number of OZG-Leistungen and one page of them with counts per status, the average
            Reifegrad and the sum of the Fallzahlen over the Kommune's Leistungen

The evaluation (issue 6) and marketplace (issue 7) pages:
    dashboard       the few record columns of every relevant Leistung (status, Reifegrad, target,
                    cases, Fachbereich, planned date, Themenfeld: every count, the suggested
                    priorities and the short lists come from them), the Themenfelder' names, and
                    the ≤ 30 Leistungen of the three short lists with their record
    global_service  over every Kommune for which the Leistung is relevant: the counts per
                    (Reifegrad, status), the 10 visible Kommunen furthest ahead with contact and
                    Fachbereich, the 20 solutions most used for it
    global_ozg      the same over the (Kommune, LeiKa-Leistung) pairs of an OZG-Leistung, per
                    LeiKa-Leistung (relevant Kommunen counted per Kommunaltyp, records from the
                    counters per type, see _OZG_DISTRIBUTION); the 10 visible Kommunen with the
                    most OZG-conform (the 40 leading in reports.OzgProgress, checked)
    benchmark       the Kommunaltyp's active Kommunen (population for the size class), those in
                    the Kommune's providers' areas, and their TopicProgress rows
    heatmap         the filtered members' count and one page of them (Kreis, type), their
                    TopicProgress rows, the sums per Themenfeld over all filtered members (kept
                    per provider and type in reports.ProviderProgress, summed live for a Kreis),
                    the Themenfelder and the filter's choices (Kreise and types among the members)
    export          every relevant Leistung with its record, as the list's rows, in the list's
                    order (no LIMIT); the XLSX writing is all above the floor
    gaps            the number of gaps and one page of them (below target, not entfällt, ranked
                    by priority or suggested priority, gap size, OZG-ID, name), per gap the
                    first three offers (window function, with the uses by Kommunen of the same
                    type) and per offer the first three other Kommunen that use it

The Kommune's relevant set is computed as relevance.selectors.relevance_list_for defines it (its own
deviation, else (a Kreis) relevant by type or "durch den Kreis" for a member type, else its type's
decision, else the default proposal from the LeiKa-Typ: only Typ 5 is relevant by default), written
as one plain condition that the planner estimates well.
"""

# Every SQL fragment here is a constant of this module; values always go as query parameters.
# ruff: noqa: S608

from __future__ import annotations

import statistics
import time
from urllib.parse import unquote, urlsplit

PAGE_SIZE = 50
BOARD_CARDS = 40
OZG_PAGE_SIZE = 50

_RELEVANT = """
WITH rel AS (
    SELECT s.id, s.name, s.leika_key, s.catalogue_key, s.topic_id, s.ozg_service_id, s.search_text
    FROM catalogue_service s
    LEFT JOIN relevance_typedecision d
        ON d.service_id = s.id AND d.municipality_type_id = %(type_id)s
    LEFT JOIN relevance_deviation v
        ON v.service_id = s.id AND v.municipality_id = %(municipality_id)s
    WHERE s.retired_in_id IS NULL
      AND (
        v.value = 'relevant'
        OR (
          v.value IS NULL
          AND (
            d.value = 'relevant' {for_members}
            OR (d.value IS NULL AND s.leika_type_codes = '5')
          )
        )
      )
)
"""
_FOR_MEMBERS = """
            OR EXISTS (
                SELECT 1 FROM relevance_typedecision b
                WHERE b.service_id = s.id AND b.value = 'by_district'
                  AND b.municipality_type_id = ANY(%(member_type_ids)s)
            )"""

_JOINED = """
FROM rel r
LEFT JOIN implementation_implementation i
    ON i.service_id = r.id AND i.municipality_id = %(municipality_id)s
"""

_ROW_COLUMNS = """
    r.id, r.name, r.leika_key, r.catalogue_key, o.ozg_id, o.name AS ozg_name, t.name AS topic,
    i.id AS impl_id, COALESCE(i.status, 'open') AS status, i.department_id, dep.code, dep.name,
    i.contact_person_id, u.username, u.first_name, u.last_name, i.current_level, i.target_level,
    i.case_count, i.case_count_year, COALESCE(i.priority, '') AS priority, i.planned_date,
    COALESCE(i.solution, '') AS solution, COALESCE(i.version, 0) AS version, i.updated_at
"""
_ROW_JOINS = """
LEFT JOIN catalogue_ozgservice o ON o.id = r.ozg_service_id
LEFT JOIN catalogue_topic t ON t.id = r.topic_id
LEFT JOIN accounts_department dep ON dep.id = i.department_id
LEFT JOIN accounts_user u ON u.id = i.contact_person_id
"""

_SORTS = {
    "ozg": "o.ozg_id, r.name, r.id",
    "name": "r.name, r.id",
    "status": "COALESCE(i.status, 'open'), r.name, r.id",
    "priority": "CASE i.priority WHEN 'high' THEN 1 WHEN 'medium' THEN 2 WHEN 'low' THEN 3 "
    "ELSE 4 END, r.name, r.id",
    "planned": "i.planned_date ASC NULLS LAST, r.name, r.id",
    "level": "i.current_level ASC NULLS FIRST, r.name, r.id",
    "cases": "i.case_count DESC NULLS LAST, r.name, r.id",
    "changed": "i.updated_at DESC NULLS LAST, r.name, r.id",
}


def _relevant_cte(probe: dict) -> str:
    return _RELEVANT.format(for_members=_FOR_MEMBERS if probe["district"] else "")


def _where(filters: dict, params: dict, *, with_status: bool = True) -> str:
    """The page's filters (implementation.selectors.filter_workspace) as SQL conditions."""
    conditions = ["TRUE"]
    if filters.get("topic_id"):
        conditions.append("r.topic_id = %(topic_id)s")
        params["topic_id"] = filters["topic_id"]
    department = filters.get("department")
    if department == "none":
        conditions.append("i.department_id IS NULL")
    elif department == "mine":
        conditions.append("i.department_id = ANY(%(own_departments)s)")
        params["own_departments"] = filters["own_department_ids"]
    elif department:
        conditions.append("i.department_id = %(department_id)s")
        params["department_id"] = int(department)
    if with_status and filters.get("status"):
        conditions.append("COALESCE(i.status, 'open') = %(status)s")
        params["status"] = filters["status"]
    if filters.get("overdue"):
        conditions.append(
            "i.planned_date < CURRENT_DATE AND COALESCE(i.status, 'open') NOT IN ('done', 'dropped')"
        )
    for number, term in enumerate(filters.get("terms") or []):
        key = f"term{number}"
        conditions.append(
            f"(r.search_text LIKE %({key})s OR i.solution ILIKE %({key})s "
            f"OR i.notes ILIKE %({key})s)"
        )
        params[key] = f"%{term}%"
    return " AND ".join(conditions)


def _base_params(probe: dict) -> dict:
    return {
        "municipality_id": probe["municipality_id"],
        "type_id": probe["type_id"],
        "member_type_ids": probe.get("member_type_ids") or [],
    }


def _counts(probe: dict) -> tuple[str, dict]:
    params = _base_params(probe)
    where = _where(probe["filters"], params, with_status=False)
    sql = (
        _relevant_cte(probe)
        + "SELECT COALESCE(i.status, 'open'), COUNT(*)"
        + _JOINED
        + f"WHERE {where} GROUP BY 1"
    )
    return sql, params


def _list_page(probe: dict) -> tuple[str, dict]:
    filters = probe["filters"]
    params = _base_params(probe)
    where = _where(filters, params)
    params["limit"] = filters.get("per_page") or PAGE_SIZE
    params["offset"] = (max(int(filters.get("page") or 1), 1) - 1) * params["limit"]
    sql = (
        _relevant_cte(probe)
        + f"SELECT {_ROW_COLUMNS}"
        + _JOINED
        + _ROW_JOINS
        + f"WHERE {where} ORDER BY {_SORTS[filters.get('sort') or 'ozg']} "
        "LIMIT %(limit)s OFFSET %(offset)s"
    )
    return sql, params


def _board_cards(probe: dict) -> tuple[str, dict]:
    filters = probe["filters"]
    params = _base_params(probe)
    where = _where(filters, params, with_status=False)
    params["cards"] = BOARD_CARDS
    # The fragments are constants of this module; values go as parameters.
    sql = (
        _relevant_cte(probe)
        + "SELECT * FROM (SELECT "
        + _ROW_COLUMNS
        + ", ROW_NUMBER() OVER (PARTITION BY COALESCE(i.status, 'open') ORDER BY "
        + _SORTS[filters.get("sort") or "ozg"]
        + ") AS column_rank"
        + _JOINED
        + _ROW_JOINS
        + f"WHERE {where}) ranked WHERE column_rank <= %(cards)s"
    )
    return sql, params


_STEPS = (
    "SELECT id, implementation_id, title, due_date, done FROM implementation_implementationstep "
    "WHERE implementation_id = ANY(%(ids)s) ORDER BY implementation_id, done, due_date, id"
)


def _detail_record(probe: dict) -> tuple[str, dict]:
    params = _base_params(probe)
    params["service_id"] = probe["service_id"]
    sql = (
        _relevant_cte(probe)
        + f"SELECT {_ROW_COLUMNS}, i.notes"
        + _JOINED
        + _ROW_JOINS
        + "WHERE r.id = %(service_id)s"
    )
    return sql, params


_HISTORY = (
    "SELECT c.id, c.changed_at, c.changes, u.username, u.first_name, u.last_name "
    "FROM implementation_implementationchange c "
    "LEFT JOIN accounts_user u ON u.id = c.changed_by_id "
    "WHERE c.implementation_id = %(impl_id)s ORDER BY c.changed_at DESC, c.id DESC LIMIT 200"
)


def _ozg_statements(probe: dict) -> list[tuple[str, dict]]:
    filters = probe["filters"]
    params = _base_params(probe)
    where = _where(filters, params)
    params["offset"] = (max(int(filters.get("page") or 1), 1) - 1) * OZG_PAGE_SIZE
    params["limit"] = OZG_PAGE_SIZE
    grouped = (
        _JOINED
        + "LEFT JOIN catalogue_ozgservice o ON o.id = r.ozg_service_id "
        + (f"WHERE {where} GROUP BY o.ozg_id, o.name")
    )
    per_status = ", ".join(
        f"COUNT(*) FILTER (WHERE COALESCE(i.status, 'open') = '{status}')"
        for status in ("open", "planning", "in_progress", "done", "dropped")
    )
    page = (
        _relevant_cte(probe)
        + "SELECT o.ozg_id, o.name, COUNT(*), AVG(i.current_level), SUM(i.case_count), "
        + per_status
        + grouped
        + " ORDER BY o.ozg_id LIMIT %(limit)s OFFSET %(offset)s"
    )
    count = _relevant_cte(probe) + "SELECT COUNT(*) FROM (SELECT 1 " + grouped + ") groups"
    return [(count, dict(params)), (page, params)]


# --- The access check and the page's choices ----------------------------------------------------

_SESSION = (
    "SELECT session_data FROM django_session "
    "WHERE session_key = %(session_key)s AND expire_date > now()"
)
_USER_WITH_ROLES = """
SELECT u.id, u.is_active, u.is_superuser, r.role, r.municipality_id, r.district_id,
       r.provider_id, r.department_id, r.topic_id
FROM accounts_user u
LEFT JOIN accounts_roleassignment r ON r.user_id = u.id
WHERE u.id = %(user_id)s
"""
_KOMMUNE = (
    "SELECT id, name, level, municipality_type_id, district_id "
    "FROM municipalities_municipality WHERE id = %(municipality_id)s"
)
_DEPARTMENTS = (
    "SELECT id, code, name FROM accounts_department "
    "WHERE municipality_id = %(municipality_id)s ORDER BY code"
)
_LEVELS = (
    "SELECT l.level, l.name, l.ozg_compliant FROM catalogue_maturitylevel l "
    "JOIN catalogue_maturitymodel m ON m.id = l.model_id WHERE m.is_default ORDER BY l.level"
)
_TOPICS = (
    "SELECT code, name FROM catalogue_topic WHERE retired_in_id IS NULL ORDER BY position, name"
)
_SAVED_FILTERS = (
    "SELECT id, name, query FROM implementation_savedfilter "
    "WHERE user_id = %(user_id)s AND municipality_id = %(municipality_id)s ORDER BY name"
)
# The choices each kind of page shows besides its data (filter forms, saved filters).
_CHOICES = {
    "list": (_DEPARTMENTS, _LEVELS, _TOPICS, _SAVED_FILTERS),
    "board": (_DEPARTMENTS, _LEVELS, _TOPICS),
    "ozg": (_DEPARTMENTS, _LEVELS, _TOPICS),
    "gaps": (_TOPICS, _LEVELS),
}


def access_statements(probe: dict) -> list[tuple[str, dict]]:
    """What the page reads before its data: the session, the user with their roles, the Kommune
    (on a Kommune's page) and the choices it shows. probe["session_key"] and probe["user_id"]
    are those of the person who loads the page."""
    params = {
        "session_key": probe["session_key"],
        "user_id": probe["user_id"],
        "municipality_id": probe.get("municipality_id"),
    }
    statements = [_SESSION, _USER_WITH_ROLES]
    if probe.get("municipality_id") is not None:
        statements.append(_KOMMUNE)
    statements.extend(_CHOICES.get(probe["kind"], ()))
    return [(sql, params) for sql in statements]


def run_access(cursor, probe: dict) -> None:
    for sql, params in access_statements(probe):
        cursor.execute(sql, params)
        cursor.fetchall()


def run_probe(cursor, probe: dict) -> None:
    """Send the data statements of one probe and read all their rows."""
    kind = probe["kind"]
    if kind == "list":
        for sql, params in (_counts(probe), _list_page(probe)):
            cursor.execute(sql, params)
            cursor.fetchall()
    elif kind == "board":
        sql, params = _counts(probe)
        cursor.execute(sql, params)
        cursor.fetchall()
        sql, params = _board_cards(probe)
        cursor.execute(sql, params)
        ids = [row[7] for row in cursor.fetchall() if row[7] is not None]
        cursor.execute(_STEPS, {"ids": ids})
        cursor.fetchall()
    elif kind == "detail":
        sql, params = _detail_record(probe)
        cursor.execute(sql, params)
        row = cursor.fetchone()
        impl_id = row[7] if row else None
        if impl_id is not None:
            cursor.execute(_HISTORY, {"impl_id": impl_id})
            cursor.fetchall()
            cursor.execute(_STEPS, {"ids": [impl_id]})
            cursor.fetchall()
    elif kind == "ozg":
        for sql, params in _ozg_statements(probe):
            cursor.execute(sql, params)
            cursor.fetchall()
    elif kind in REPORT_KINDS:
        REPORT_KINDS[kind](cursor, probe)
    else:
        raise ValueError(f"unknown probe kind: {kind}")


def _connect(url: str):
    """A connection that sends statements as the application's do: without prepared statements.

    psycopg prepares a statement on the server once it has run it five times on a connection,
    and PostgreSQL then skips parsing and planning it; Django turns that off (prepare_threshold
    None, so that PgBouncer's transaction mode works), and so does the application. Prepared,
    the ten statements of the Bearbeiter's list take 9.4 ms, unprepared 13.2 ms, and 12.4 ms
    through Django's cursor: a floor with prepared statements would count PostgreSQL's plan
    cache as the overhead of the ORM, Python, templates and HTTP that the ratio is meant for.
    (In a bench run only the access statements, the same for every URL of a scenario, ran often
    enough to be prepared.)"""
    import psycopg

    parts = urlsplit(url)
    return psycopg.connect(
        host=parts.hostname or "127.0.0.1",
        port=parts.port or 5432,
        user=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
        dbname=unquote(parts.path.lstrip("/")),
        autocommit=True,
        prepare_threshold=None,
    )


def run_page_sql(cursor, probe: dict) -> None:
    """Replay the reading statements the page itself sent (bench.steps captured them with their
    values in place, so nothing is bound here)."""
    for sql in probe["page_sql"]:
        cursor.execute(sql)
        cursor.fetchall()


class FloorTimer:
    """Times the floor of a scenario's probes on one connection, one round at a time, so that the
    bench can run the rounds between the parts of the page's one-client run: this machine's speed
    drifts by a quarter within minutes, and the ratio should compare the page and its floor in
    the same state of it. A round times every probe once: the hand-written statements (the access
    check, then the data) and the page's own statements replayed.

    The floor of a round is the faster of the two: both produce what the page shows, and where
    the ORM's statements beat the hand-written ones, those are not the floor. result() also gives
    the hand-written data statements alone (data_p50_ms, the floor of the earlier rounds) and the
    replay (page_sql_p50_ms)."""

    def __init__(self, url: str, probes: list[dict]) -> None:
        self.url = url
        self.probes = probes
        self._own = {probe["url"]: {"floor": [], "data": [], "page_sql": []} for probe in probes}
        self._connection = None
        self._cursor = None

    def __enter__(self) -> FloorTimer:
        self._connection = _connect(self.url)
        self._cursor = self._connection.cursor()
        for probe in self.probes:  # warm-up: plans, caches
            run_access(self._cursor, probe)
            run_probe(self._cursor, probe)
            run_page_sql(self._cursor, probe)
        return self

    def __exit__(self, *exc_info) -> None:
        self._cursor.close()
        self._connection.close()

    def round(self) -> None:
        cursor = self._cursor
        for probe in self.probes:
            started = time.perf_counter()
            run_access(cursor, probe)
            checked = time.perf_counter()
            run_probe(cursor, probe)
            written = time.perf_counter()
            run_page_sql(cursor, probe)
            replayed = time.perf_counter()
            own = self._own[probe["url"]]
            own["floor"].append(min(written - started, replayed - written) * 1000)
            own["data"].append((written - checked) * 1000)
            own["page_sql"].append((replayed - written) * 1000)

    def result(self) -> dict:
        """{"p50_ms", "p95_ms", "data_p50_ms", "page_sql_p50_ms", "urls": {url: {"floor_ms",
        "data_floor_ms", "page_sql_ms"}}}: medians per URL, percentiles over all rounds."""
        from bench.load import percentile

        timings: dict[str, list[float]] = {"floor": [], "data": [], "page_sql": []}
        per_url = {}
        for page_url, own in self._own.items():
            if not own["floor"]:
                raise RuntimeError(f"No floor round was timed for {page_url}.")
            for key, values in own.items():
                timings[key].extend(values)
            per_url[page_url] = {
                "floor_ms": round(statistics.median(own["floor"]), 2),
                "data_floor_ms": round(statistics.median(own["data"]), 2),
                "page_sql_ms": round(statistics.median(own["page_sql"]), 2),
            }
        return {
            "p50_ms": round(percentile(timings["floor"], 0.50), 2),
            "p95_ms": round(percentile(timings["floor"], 0.95), 2),
            "data_p50_ms": round(percentile(timings["data"], 0.50), 2),
            "page_sql_p50_ms": round(percentile(timings["page_sql"], 0.50), 2),
            "urls": per_url,
        }


def explain(url: str, probe: dict) -> str:
    """EXPLAIN (ANALYZE, BUFFERS) of a probe's main statement, for reports."""
    kind = probe["kind"]
    sql, params = {
        "list": _list_page,
        "board": _board_cards,
        "detail": _detail_record,
        "ozg": lambda p: _ozg_statements(p)[1],
        **MAIN_STATEMENT,
    }[kind](probe)
    with _connect(url) as connection, connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
        return "\n".join(row[0] for row in cursor.fetchall())


# --- Evaluations and marketplace ------------------------------------------------------------------

_RECORD_JOIN = (
    "LEFT JOIN implementation_implementation i "
    "ON i.service_id = r.id AND i.municipality_id = %(municipality_id)s "
)


def _department_condition(filters: dict, params: dict) -> str:
    department = filters.get("department")
    if not department:
        return "TRUE"
    if department == "none":
        return "i.department_id IS NULL"
    params["department_id"] = int(department)
    return "i.department_id = %(department_id)s"


def _dashboard_rows(probe: dict) -> tuple[str, dict]:
    params = _base_params(probe)
    where = _department_condition(probe["filters"], params)
    sql = (
        _relevant_cte(probe)
        + "SELECT r.id, r.name, o.ozg_id, r.topic_id, COALESCE(i.status, 'open'), "
        "i.current_level, i.target_level, i.case_count, i.department_id, i.planned_date "
        "FROM rel r "
        + _RECORD_JOIN
        + "LEFT JOIN catalogue_ozgservice o ON o.id = r.ozg_service_id "
        + f"WHERE {where}"
    )
    return sql, params


def _dashboard(cursor, probe: dict) -> None:
    sql, params = _dashboard_rows(probe)
    cursor.execute(sql, params)
    rows = cursor.fetchall()
    cursor.execute(
        "SELECT id, name, position FROM catalogue_topic WHERE id = ANY(%(ids)s)",
        {"ids": sorted({row[3] for row in rows if row[3] is not None})},
    )
    cursor.fetchall()
    # The three short lists: 30 Leistungen at most, whichever they are.
    listed = [row[0] for row in rows[:30]]
    params = _base_params(probe)
    params["ids"] = listed
    cursor.execute(
        _relevant_cte(probe)
        + f"SELECT {_ROW_COLUMNS}"
        + _JOINED
        + _ROW_JOINS
        + "WHERE r.id = ANY(%(ids)s)",
        params,
    )
    cursor.fetchall()


def _relevant_kommune_condition(service: str, default: str) -> str:
    """Is `service` relevant for Kommune m (as relevance_list_for, for all Kommunen at once)?
    td/dv: m's type decision and own deviation for the service, joined by the caller."""
    return f"""(
        dv.value = 'relevant'
        OR (dv.value IS NULL AND (
            td.value = 'relevant'
            OR (m.level = 'district' AND EXISTS (
                SELECT 1 FROM relevance_typedecision b
                JOIN municipalities_municipality mm
                  ON mm.municipality_type_id = b.municipality_type_id
                 AND mm.district_id = m.id AND mm.dissolved_on IS NULL
                WHERE b.service_id = {service} AND b.value = 'by_district'))
            OR (td.value IS NULL AND {default})
        ))
    )"""


def _visible(probe: dict, params: dict) -> str:
    params["visible_providers"] = probe["visible"]["provider_ids"]
    params["visible_ids"] = probe["visible"]["municipality_ids"]
    return (
        "(m.id IN (SELECT municipality_id FROM municipalities_provider_members "
        "WHERE provider_id = ANY(%(visible_providers)s)) OR m.id = ANY(%(visible_ids)s))"
    )


def _service_kommunen(probe: dict) -> str:
    default = "TRUE" if probe["default_relevant"] else "FALSE"
    return f"""
WITH rel_m AS (
    SELECT m.id, m.name FROM municipalities_municipality m
    LEFT JOIN relevance_typedecision td
        ON td.service_id = %(service_id)s AND td.municipality_type_id = m.municipality_type_id
    LEFT JOIN relevance_deviation dv
        ON dv.service_id = %(service_id)s AND dv.municipality_id = m.id
    WHERE m.dissolved_on IS NULL AND {_relevant_kommune_condition("%(service_id)s", default)}
)
"""


def _global_service_distribution(probe: dict) -> tuple[str, dict]:
    sql = (
        _service_kommunen(probe)
        + "SELECT COALESCE(i.current_level, 0), COALESCE(i.status, 'open'), COUNT(*) FROM rel_m m "
        "LEFT JOIN implementation_implementation i "
        "ON i.municipality_id = m.id AND i.service_id = %(service_id)s GROUP BY 1, 2"
    )
    return sql, {"service_id": probe["service_id"]}


_SOLUTIONS_IN_USE = """
SELECT u.solution_id, sol.name, sol.provider_name,
       COUNT(DISTINCT u.municipality_id) FILTER (WHERE u.state = 'uses') AS using_,
       COUNT(DISTINCT u.municipality_id) FILTER (WHERE u.state = 'plans') AS planning
FROM solutions_solutionusage u
JOIN solutions_solution sol ON sol.id = u.solution_id AND sol.review_state = 'published'
WHERE u.service_id = ANY(%(service_ids)s)
GROUP BY u.solution_id, sol.name, sol.provider_name
ORDER BY using_ DESC, planning DESC, u.solution_id LIMIT 20
"""


def _global_service(cursor, probe: dict) -> None:
    sql, params = _global_service_distribution(probe)
    cursor.execute(sql, params)
    cursor.fetchall()
    params = {"service_id": probe["service_id"]}
    visible = _visible(probe, params)
    cursor.execute(
        _service_kommunen(probe)
        + "SELECT m.id, m.name, i.current_level, i.status, u.username, u.first_name, "
        "u.last_name, u.email, dep.code, dep.name FROM rel_m m "
        "JOIN implementation_implementation i "
        "ON i.municipality_id = m.id AND i.service_id = %(service_id)s "
        "LEFT JOIN accounts_user u ON u.id = i.contact_person_id "
        "LEFT JOIN accounts_department dep ON dep.id = i.department_id "
        f"WHERE {visible} ORDER BY COALESCE(i.current_level, 0) DESC, "
        "CASE WHEN i.status = 'done' THEN 0 ELSE 1 END, m.name, m.id LIMIT 10",
        params,
    )
    cursor.fetchall()
    cursor.execute(_SOLUTIONS_IN_USE, {"service_ids": [probe["service_id"]]})
    cursor.fetchall()


# The global view of an OZG-Leistung, written as a hand-written implementation would: not one
# relevance check per (Kommune, LeiKa-Leistung) pair of all Germany (11,000 × up to 300), but
# (1) the relevant Kommunen per Leistung counted per Kommunaltyp (a type decision or the default
# proposal holds for every Kommune of the type), with the pairwise check only for the Kreise (their
# "durch den Kreis" rule) and the Kommunen with an own deviation, and (2) the records of the
# Leistungen, each checked for relevance; relevant pairs without a record are "offen", Reifegrad 0.
_OZG_SERVICES = """
WITH svc AS (
    SELECT id, leika_type_codes = '5' AS by_default FROM catalogue_service
    WHERE ozg_service_id = %(ozg_service_id)s AND retired_in_id IS NULL
),
member_types AS (
    SELECT DISTINCT district_id, municipality_type_id FROM municipalities_municipality
    WHERE dissolved_on IS NULL AND district_id IS NOT NULL AND municipality_type_id IS NOT NULL
),
by_district AS (
    SELECT DISTINCT mt.district_id AS m_id, b.service_id AS s_id FROM member_types mt
    JOIN relevance_typedecision b
        ON b.municipality_type_id = mt.municipality_type_id AND b.value = 'by_district'
    JOIN svc ON svc.id = b.service_id
)
"""
# Joins and condition of one (Kommune m, Leistung svc) pair: relevance_list_for's rules.
_OZG_PAIR = """
LEFT JOIN relevance_typedecision td
    ON td.service_id = svc.id AND td.municipality_type_id = m.municipality_type_id
LEFT JOIN relevance_deviation dv ON dv.service_id = svc.id AND dv.municipality_id = m.id
LEFT JOIN by_district bd ON bd.m_id = m.id AND bd.s_id = svc.id
WHERE dv.value = 'relevant'
   OR (dv.value IS NULL AND (
        td.value = 'relevant'
        OR (m.level = 'district' AND bd.m_id IS NOT NULL)
        OR (td.value IS NULL AND svc.by_default)))
"""
_OZG_SPECIAL = """
    SELECT m.id FROM municipalities_municipality m
    WHERE m.dissolved_on IS NULL AND m.level = 'district'
    UNION
    SELECT dv.municipality_id FROM relevance_deviation dv JOIN svc ON svc.id = dv.service_id
"""
_OZG_RELEVANT_COUNTS = (
    _OZG_SERVICES
    + f""", special AS ({_OZG_SPECIAL}),
per_type AS (
    SELECT m.municipality_type_id AS type_id, COUNT(*) AS n FROM municipalities_municipality m
    WHERE m.dissolved_on IS NULL AND m.id NOT IN (SELECT id FROM special) GROUP BY 1
)
SELECT svc.id, SUM(pt.n) FROM svc CROSS JOIN per_type pt
LEFT JOIN relevance_typedecision td
    ON td.service_id = svc.id AND td.municipality_type_id = pt.type_id
WHERE td.value = 'relevant' OR (td.value IS NULL AND svc.by_default)
GROUP BY svc.id
UNION ALL
SELECT svc.id, COUNT(*) FROM special sp
JOIN municipalities_municipality m ON m.id = sp.id AND m.dissolved_on IS NULL
CROSS JOIN svc
{_OZG_PAIR}
GROUP BY svc.id
"""
)
_OZG_RECORDS = (
    _OZG_SERVICES
    + f""", records AS (
    SELECT i.municipality_id AS m_id, i.service_id AS s_id,
           COALESCE(i.current_level, 0) AS level, i.status
    FROM implementation_implementation i
    JOIN svc ON svc.id = i.service_id
    JOIN municipalities_municipality m ON m.id = i.municipality_id AND m.dissolved_on IS NULL
    {_OZG_PAIR}
)
"""
)
# The records of 1.5 million (Kommune, Leistung) pairs cannot be read per page: the counters
# (reports.ServiceProgress, per Leistung, Kommunaltyp and level) hold them per type, so the
# distribution is the counters of the types for which a Leistung is relevant, plus the records of
# the pairs that do not follow their type: deviations, and the Kreise that a Gemeinde's "durch den
# Kreis" decision gives a Leistung their own type does not (found from those few (type of a Kreis,
# Leistung) pairs first).
_OZG_DISTRIBUTION = (
    _OZG_SERVICES
    + """, kreis_open AS MATERIALIZED (
    SELECT kt.type_id, svc.id AS s_id FROM svc
    CROSS JOIN (SELECT DISTINCT municipality_type_id AS type_id FROM municipalities_municipality
                WHERE level = 'district' AND dissolved_on IS NULL) kt
    LEFT JOIN relevance_typedecision td
        ON td.service_id = svc.id AND td.municipality_type_id = kt.type_id
    WHERE NOT (td.value = 'relevant' OR (td.value IS NULL AND svc.by_default))
),
svc_by_district AS MATERIALIZED (
    SELECT b.service_id, b.municipality_type_id FROM relevance_typedecision b
    JOIN svc ON svc.id = b.service_id WHERE b.value = 'by_district'
),
own_pairs AS (
    SELECT dv.municipality_id AS m_id, dv.service_id AS s_id
    FROM relevance_deviation dv JOIN svc ON svc.id = dv.service_id
    UNION
    SELECT k.id, ko.s_id FROM kreis_open ko
    JOIN svc_by_district b ON b.service_id = ko.s_id
    JOIN member_types mt ON mt.municipality_type_id = b.municipality_type_id
    JOIN municipalities_municipality k ON k.id = mt.district_id AND k.level = 'district'
        AND k.dissolved_on IS NULL AND k.municipality_type_id IS NOT DISTINCT FROM ko.type_id
)
SELECT sp.service_id, sp.level, SUM(sp.open), SUM(sp.planning), SUM(sp.in_progress),
       SUM(sp.done), SUM(sp.dropped)
FROM svc JOIN reports_serviceprogress sp ON sp.service_id = svc.id
LEFT JOIN LATERAL (
    SELECT value FROM relevance_typedecision
    WHERE service_id = svc.id AND municipality_type_id = sp.type_key
) td ON TRUE
WHERE td.value = 'relevant' OR (td.value IS NULL AND svc.by_default)
GROUP BY 1, 2
UNION ALL
SELECT p.s_id, COALESCE(i.current_level, 0), COUNT(*), 0, 0, 0, 0 FROM own_pairs p
JOIN implementation_implementation i ON i.municipality_id = p.m_id AND i.service_id = p.s_id
GROUP BY 1, 2
"""
)


def _global_ozg_distribution(probe: dict) -> tuple[str, dict]:
    return _OZG_DISTRIBUTION, {"ozg_service_id": probe["ozg_service_id"]}


def _global_ozg(cursor, probe: dict) -> None:
    params = {"ozg_service_id": probe["ozg_service_id"]}
    cursor.execute(_OZG_RELEVANT_COUNTS, params)
    cursor.fetchall()
    sql, params = _global_ozg_distribution(probe)
    cursor.execute(sql, params)
    service_ids = sorted({row[0] for row in cursor.fetchall()})
    cursor.execute(
        "SELECT id, name FROM catalogue_service WHERE ozg_service_id = %(ozg_service_id)s "
        "AND retired_in_id IS NULL",
        params,
    )
    cursor.fetchall()
    # The furthest: the 40 visible Kommunen with most OZG-conform records (reports.OzgProgress),
    # checked against their relevant records.
    params = {"ozg_service_id": probe["ozg_service_id"]}
    visible = _visible(probe, params)
    cursor.execute(
        "SELECT m.id FROM reports_ozgprogress p "
        "JOIN municipalities_municipality m ON m.id = p.municipality_id AND m.dissolved_on IS NULL "
        f"WHERE p.ozg_service_id = %(ozg_service_id)s AND p.compliant > 0 AND {visible} "
        "ORDER BY p.compliant DESC, p.municipality_id LIMIT 40",
        params,
    )
    params["candidates"] = [row[0] for row in cursor.fetchall()]
    cursor.execute(
        _OZG_RECORDS + "SELECT m.id, m.name, "
        "SUM(CASE WHEN r.level >= 3 THEN 1 ELSE 0 END) AS n, MAX(r.level) AS best "
        "FROM records r JOIN municipalities_municipality m ON m.id = r.m_id "
        "WHERE r.level >= 3 AND m.id = ANY(%(candidates)s) "
        "GROUP BY m.id, m.name ORDER BY n DESC, best DESC, m.id LIMIT 10",
        params,
    )
    cursor.fetchall()
    cursor.execute(_SOLUTIONS_IN_USE, {"service_ids": service_ids})
    cursor.fetchall()


def _benchmark_rows(probe: dict) -> tuple[str, dict]:
    sql = (
        "SELECT tp.municipality_id, tp.topic_id, tp.relevant, tp.done, tp.dropped "
        "FROM reports_topicprogress tp "
        "JOIN municipalities_municipality m ON m.id = tp.municipality_id "
        "WHERE m.municipality_type_id = %(type_id)s AND m.dissolved_on IS NULL"
    )
    return sql, {"type_id": probe["type_id"]}


def _benchmark(cursor, probe: dict) -> None:
    params = {"type_id": probe["type_id"], "municipality_id": probe["municipality_id"]}
    cursor.execute(
        "SELECT m.id, m.population, t.name FROM municipalities_municipality m "
        "JOIN municipalities_municipalitytype t ON t.id = m.municipality_type_id "
        "WHERE m.municipality_type_id = %(type_id)s AND m.dissolved_on IS NULL",
        params,
    )
    cursor.fetchall()
    cursor.execute(
        "SELECT pm.municipality_id FROM municipalities_provider_members pm "
        "JOIN municipalities_municipality m ON m.id = pm.municipality_id "
        "WHERE pm.provider_id IN (SELECT provider_id FROM municipalities_provider_members "
        "WHERE municipality_id = %(municipality_id)s) "
        "AND m.municipality_type_id = %(type_id)s AND m.dissolved_on IS NULL",
        params,
    )
    cursor.fetchall()
    sql, params = _benchmark_rows(probe)
    cursor.execute(sql, params)
    cursor.fetchall()
    cursor.execute("SELECT id, name FROM catalogue_topic ORDER BY position, name")
    cursor.fetchall()


HEATMAP_PAGE_SIZE = 50


def _members(probe: dict, params: dict) -> str:
    params["provider_id"] = probe["provider_id"]
    conditions = [
        "m.dissolved_on IS NULL",
        "m.id IN (SELECT municipality_id FROM municipalities_provider_members "
        "WHERE provider_id = %(provider_id)s)",
    ]
    if probe.get("district_id"):
        params["district_id"] = probe["district_id"]
        conditions.append("(m.id = %(district_id)s OR m.district_id = %(district_id)s)")
    if probe.get("type_id"):
        params["member_type_id"] = probe["type_id"]
        conditions.append("m.municipality_type_id = %(member_type_id)s")
    return " AND ".join(conditions)


def _heatmap_sums(probe: dict) -> tuple[str, dict]:
    params: dict = {}
    if not probe.get("district_id"):
        # Without a Kreis filter the sums are kept per provider, type and Themenfeld
        # (reports.ProviderProgress), as the page reads them.
        params["provider_id"] = probe["provider_id"]
        sql = (
            "SELECT topic_key, SUM(relevant), SUM(done), SUM(dropped), SUM(compliant) "
            "FROM reports_providerprogress WHERE provider_id = %(provider_id)s"
        )
        if probe.get("type_id"):
            params["member_type_id"] = probe["type_id"]
            sql += " AND type_key = %(member_type_id)s"
        return f"{sql} GROUP BY topic_key HAVING SUM(relevant) > 0", params
    members = _members(probe, params)
    sql = (
        "SELECT tp.topic_id, SUM(tp.relevant), SUM(tp.done), SUM(tp.dropped), "
        "SUM(tp.compliant) FROM reports_topicprogress tp "
        "WHERE tp.municipality_id IN (SELECT m.id FROM municipalities_municipality m "
        f"WHERE {members}) GROUP BY tp.topic_id"
    )
    return sql, params


def _heatmap(cursor, probe: dict) -> None:
    params: dict = {}
    members = _members(probe, params)
    cursor.execute(f"SELECT COUNT(*) FROM municipalities_municipality m WHERE {members}", params)
    count = cursor.fetchone()[0]
    pages = max(1, -(-count // HEATMAP_PAGE_SIZE))
    params["offset"] = (min(max(int(probe.get("page") or 1), 1), pages) - 1) * HEATMAP_PAGE_SIZE
    params["limit"] = HEATMAP_PAGE_SIZE
    cursor.execute(
        "SELECT m.id, m.name, m.ars, m.level, d.name, t.name FROM municipalities_municipality m "
        "LEFT JOIN municipalities_municipality d ON d.id = m.district_id "
        "LEFT JOIN municipalities_municipalitytype t ON t.id = m.municipality_type_id "
        f"WHERE {members} ORDER BY m.district_code, m.level, m.name, m.id "
        "LIMIT %(limit)s OFFSET %(offset)s",
        params,
    )
    page = [row[0] for row in cursor.fetchall()]
    cursor.execute(
        "SELECT municipality_id, topic_id, relevant, done, dropped, compliant "
        "FROM reports_topicprogress WHERE municipality_id = ANY(%(ids)s)",
        {"ids": page},
    )
    cursor.fetchall()
    sql, sum_params = _heatmap_sums(probe)
    cursor.execute(sql, sum_params)
    cursor.fetchall()
    cursor.execute(
        "SELECT id, name FROM catalogue_topic WHERE retired_in_id IS NULL ORDER BY position, name"
    )
    cursor.fetchall()
    # The filter's choices: the Kreise and the Kommunaltypen among all members.
    choices: dict = {}
    all_members = _members({"provider_id": probe["provider_id"]}, choices)
    cursor.execute(
        "SELECT m.id, m.name FROM municipalities_municipality m "
        f"WHERE m.level = 'district' AND {all_members} ORDER BY m.name",
        choices,
    )
    cursor.fetchall()
    cursor.execute(
        "SELECT t.id, t.name FROM municipalities_municipalitytype t WHERE t.id IN "
        f"(SELECT m.municipality_type_id FROM municipalities_municipality m WHERE {all_members}) "
        "ORDER BY t.position, t.name",
        choices,
    )
    cursor.fetchall()


def _export_rows(probe: dict) -> tuple[str, dict]:
    params = _base_params(probe)
    sql = (
        _relevant_cte(probe)
        + f"SELECT {_ROW_COLUMNS}"
        + _JOINED
        + _ROW_JOINS
        + f"ORDER BY {_SORTS['ozg']}"
    )
    return sql, params


def _export(cursor, probe: dict) -> None:
    sql, params = _export_rows(probe)
    cursor.execute(sql, params)
    cursor.fetchall()


GAPS_PAGE_SIZE = 25
_GAP_COLUMNS = """
    r.id, r.name, r.leika_key, r.catalogue_key, o.ozg_id, o.name AS ozg_name, t.code AS topic_code,
    t.name AS topic_name,
    i.current_level, i.target_level, i.case_count, COALESCE(i.priority, '') AS priority,
    COALESCE(i.target_level, %(default_target)s) - COALESCE(i.current_level, 0) AS gap
"""
_OFFERED = (
    "EXISTS (SELECT 1 FROM solutions_solutionservice ss "
    "JOIN solutions_solution sol ON sol.id = ss.solution_id "
    "WHERE ss.service_id = g.id AND sol.review_state = 'published' "
    "AND sol.status <> 'discontinued')"
)
_GAP_RANK = """
    CASE g.priority WHEN 'high' THEN 1 WHEN 'medium' THEN 2 WHEN 'low' THEN 3 ELSE
        CASE WHEN (CASE WHEN g.case_count >= 1000 THEN 2 WHEN g.case_count >= 100 THEN 1 ELSE 0 END)
                + (CASE WHEN g.gap >= 3 THEN 2 WHEN g.gap = 2 THEN 1 ELSE 0 END) >= 3 THEN 1
             WHEN (CASE WHEN g.case_count >= 1000 THEN 2 WHEN g.case_count >= 100 THEN 1 ELSE 0 END)
                + (CASE WHEN g.gap >= 3 THEN 2 WHEN g.gap = 2 THEN 1 ELSE 0 END) >= 1 THEN 2
             ELSE 3 END
    END
"""


def _gaps_from(probe: dict, params: dict) -> str:
    params["default_target"] = probe["default_target"]
    offers = probe.get("offers") or ""
    offered = {"uncovered": f"NOT {_OFFERED}", "covered": _OFFERED}.get(offers, "TRUE")
    return (
        f"FROM (SELECT {_GAP_COLUMNS} FROM rel r "
        + _RECORD_JOIN
        + "LEFT JOIN catalogue_ozgservice o ON o.id = r.ozg_service_id "
        "LEFT JOIN catalogue_topic t ON t.id = r.topic_id "
        "WHERE COALESCE(i.status, 'open') <> 'dropped') g "
        f"WHERE g.gap > 0 AND {offered} "
    )


def _gaps_page(probe: dict, count: int | None = None) -> tuple[str, dict]:
    params = _base_params(probe)
    source = _gaps_from(probe, params)
    page = max(int(probe.get("page") or 1), 1)
    if count is not None:
        page = min(page, max(1, -(-count // GAPS_PAGE_SIZE)))
    params["offset"] = (page - 1) * GAPS_PAGE_SIZE
    params["limit"] = GAPS_PAGE_SIZE
    sql = (
        _relevant_cte(probe)
        + f"SELECT g.*, {_GAP_RANK} AS rank "
        + source
        + "ORDER BY rank, g.gap DESC, g.ozg_id, g.name, g.id LIMIT %(limit)s OFFSET %(offset)s"
    )
    return sql, params


_OFFERS = """
SELECT * FROM (
    SELECT ss.service_id, ss.solution_id, ss.level, sol.name, sol.provider_name, sol.status,
           sol.kind, COALESCE(sim.n, 0) AS similar,
           ROW_NUMBER() OVER (PARTITION BY ss.service_id
                              ORDER BY ss.level DESC, COALESCE(sim.n, 0) DESC, sol.name, sol.id)
               AS position,
           COUNT(*) OVER (PARTITION BY ss.service_id) AS offers
    FROM solutions_solutionservice ss
    JOIN solutions_solution sol ON sol.id = ss.solution_id
    LEFT JOIN (
        SELECT u.solution_id, u.service_id, COUNT(*) AS n
        FROM solutions_solutionusage u
        JOIN municipalities_municipality mu ON mu.id = u.municipality_id
        WHERE u.service_id = ANY(%(ids)s) AND u.state = 'uses'
          AND mu.municipality_type_id = %(type_id)s AND u.municipality_id <> %(municipality_id)s
        GROUP BY u.solution_id, u.service_id
    ) sim ON sim.solution_id = ss.solution_id AND sim.service_id = ss.service_id
    WHERE ss.service_id = ANY(%(ids)s) AND sol.review_state = 'published'
      AND sol.status <> 'discontinued'
) ranked WHERE position <= 3 ORDER BY service_id, position
"""
_USERS = """
SELECT * FROM (
    SELECT u.id, u.solution_id, u.service_id, u.state, mu.name, p.username, p.first_name,
           p.last_name, p.email,
           ROW_NUMBER() OVER (
               PARTITION BY u.solution_id, u.service_id
               ORDER BY CASE WHEN mu.municipality_type_id = %(type_id)s THEN 0 ELSE 1 END,
                        mu.name, u.id) AS position,
           COUNT(*) OVER (PARTITION BY u.solution_id, u.service_id) AS users
    FROM solutions_solutionusage u
    JOIN unnest(%(solution_ids)s::bigint[], %(service_ids)s::bigint[]) AS pair(solution_id, service_id)
      ON pair.solution_id = u.solution_id AND pair.service_id = u.service_id
    JOIN municipalities_municipality mu ON mu.id = u.municipality_id
    LEFT JOIN accounts_user p ON p.id = u.contact_person_id
    WHERE u.municipality_id <> %(municipality_id)s
) ranked WHERE position <= 3
"""


def _gaps(cursor, probe: dict) -> None:
    params = _base_params(probe)
    source = _gaps_from(probe, params)
    cursor.execute(_relevant_cte(probe) + "SELECT COUNT(*) " + source, params)
    count = cursor.fetchone()[0]
    sql, params = _gaps_page(probe, count)
    cursor.execute(sql, params)
    ids = [row[0] for row in cursor.fetchall()]
    common = {"municipality_id": probe["municipality_id"], "type_id": probe["type_id"]}
    cursor.execute(_OFFERS, {**common, "ids": ids})
    offers = cursor.fetchall()
    cursor.execute(
        _USERS,
        {
            **common,
            "solution_ids": [row[1] for row in offers],
            "service_ids": [row[0] for row in offers],
        },
    )
    cursor.fetchall()


REPORT_KINDS = {
    "dashboard": _dashboard,
    "global_service": _global_service,
    "global_ozg": _global_ozg,
    "benchmark": _benchmark,
    "heatmap": _heatmap,
    "export": _export,
    "gaps": _gaps,
}
# The statement of each kind that explain() shows (the one that reads the most).
MAIN_STATEMENT = {
    "dashboard": _dashboard_rows,
    "global_service": _global_service_distribution,
    "global_ozg": _global_ozg_distribution,
    "benchmark": _benchmark_rows,
    "heatmap": _heatmap_sums,
    "export": _export_rows,
    "gaps": _gaps_page,
}
