"""The parts of a bench run that need Django, run in a subprocess: `python -m bench.steps PLAN`.

PLAN is a JSON list of steps; the process's environment (DATABASE_URL, DEBUG, …) chooses the
database and settings. Each step is timed around the project's own function only (not Django's
start-up), and its SQL statements are counted. The results are printed as one JSON line prefixed
with RESULT_MARKER, so that log output on stdout cannot be mistaken for them.

Steps:
    {"step": "migrate", "from_models": false}
    {"step": "collectstatic", "compress": true}
    {"step": "catalogue_import", "directory": "…"}          # kompass.catalogue.services
    {"step": "gv100ad_write", "source": "….csv", "target": "….txt"}
    {"step": "gv100ad_import", "path": "….txt"}              # kompass.municipalities.services
    {"step": "search_urls"}                                  # the URL mix of the search page
    {"step": "page_queries", "urls": ["…", …], "username": "…"}  # SQL statements per page
                                                             # (without urls: the search_urls mix;
                                                             # with username: signed in as them)
    {"step": "demo_setup"}                                   # demo provider, accounts, decisions
    {"step": "session", "username": "…"}                    # a session cookie for the load client
    {"step": "relevance_urls"}                               # the matrix of the largest Themenfeld
                                                             # and its SQL statements per page
    {"step": "generate", "scale": "nrw"}                     # bench.generate: data for the scale
    {"step": "implementation_urls", "measured": […], "admin": "…", "editor": "…"}
                                                             # the workspace scenarios: URLs, the
                                                             # probes of bench.floor, SQL per page
    {"step": "reports_urls", "measured": […], "admin": "…", "operator": "…", "provider": "…"}
                                                             # the evaluation and marketplace
                                                             # scenarios (as implementation_urls,
                                                             # plus the SQL/Python split per URL
                                                             # and an export's peak memory)
    {"step": "profile_urls", "urls": ["…"], "username": "…"} # SQL statements, in-process time and
                                                             # its SQL part per URL
"""

import contextlib
import json
import os
import re
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlencode

RESULT_MARKER = "BENCH-RESULT "
# What psycopg puts before the query of a server-side cursor (QuerySet.iterator() on PostgreSQL).
_DECLARE_CURSOR = re.compile(
    r'^\s*DECLARE\s+"[^"]+"\s+(?:NO\s+)?(?:SCROLL\s+)?CURSOR\s+(?:WITH\s+HOLD\s+)?FOR\s+',
    re.IGNORECASE,
)


class QueryCounter:
    """Counts the SQL statements Django sends (bulk statements count once)."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


def _timed(function: Callable, **kwargs) -> tuple[float, int, object]:
    from django.db import connection

    counter = QueryCounter()
    with connection.execute_wrapper(counter):
        started = time.perf_counter()
        result = function(**kwargs)
        seconds = time.perf_counter() - started
    return seconds, counter.count, result


class _NoMigrations(dict):
    """MIGRATION_MODULES value that makes every app "unmigrated" (as pytest --nomigrations)."""

    def __contains__(self, item) -> bool:
        return True

    def __getitem__(self, item) -> None:
        return None


@contextlib.contextmanager
def _without_static_files() -> Iterator[None]:
    """For pages rendered in this process: plain static URLs and no STATIC_ROOT.

    bench.run collects the static files in the background while the first steps run, and these
    pages serve none: without STATIC_ROOT, WhiteNoise does not list a directory in which
    collectstatic is still replacing files (a file could vanish between listing and stat), and
    the manifest is not needed; the statements a page sends do not depend on its static URLs."""
    from django.conf import settings
    from django.test.utils import override_settings

    plain_static = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    with override_settings(STORAGES=plain_static, STATIC_ROOT=None):
        yield


def _page_client(username: str | None = None):
    """Django's test client for the pages rendered in this process, signed in as `username`."""
    from django.contrib.auth import get_user_model
    from django.test import Client

    client = Client(headers={"host": "127.0.0.1"})
    if username:
        client.force_login(get_user_model().objects.get(username=username))
    return client


def _get(client, url: str) -> None:
    """GET `url` and read the whole body (a streamed one too); anything but 200 stops the run."""
    response = client.get(url)
    if response.streaming:
        for _chunk in response.streaming_content:
            pass
    response.close()
    if response.status_code != 200:
        raise RuntimeError(f"GET {url} answered {response.status_code}, expected 200.")


def step_migrate(*, from_models: bool = False) -> dict:
    """Apply the migrations, or (from_models) create the tables straight from the models, which
    is faster and enough for the smoke test; the real bench migrates like a deployment."""
    from django.conf import settings
    from django.core.management import call_command

    started = time.perf_counter()
    if from_models:
        settings.MIGRATION_MODULES = _NoMigrations()
        call_command("migrate", interactive=False, verbosity=0, run_syncdb=True)
    else:
        call_command("migrate", interactive=False, verbosity=0)
    return {"seconds": time.perf_counter() - started}


def step_collectstatic(*, compress: bool = True) -> dict:
    """Collect the static files into STATIC_ROOT as a deployment does (manifest + compression).
    Without compress only the manifest is written, which the server reads the same way; the
    smoke test saves half the time so."""
    from django.conf import settings
    from django.core.management import call_command

    if not compress:
        settings.STORAGES = {
            **settings.STORAGES,
            "staticfiles": {
                "BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"
            },
        }
    started = time.perf_counter()
    call_command("collectstatic", interactive=False, verbosity=0)
    return {"seconds": time.perf_counter() - started}


def step_catalogue_import(*, directory: str) -> dict:
    from kompass.catalogue.models import LifeSituation, OzgService, Service, Topic
    from kompass.catalogue.services import catalogue_import

    seconds, queries, _result = _timed(catalogue_import, directory=Path(directory))
    return {
        "seconds": seconds,
        "queries": queries,
        "rows": {
            "topics": Topic.objects.count(),
            "life_situations": LifeSituation.objects.count(),
            "ozg_services": OzgService.objects.count(),
            "services": Service.objects.count(),
        },
    }


def step_gv100ad_write(*, source: str, target: str) -> dict:
    """Build a raw GV100AD fixed-width file from the derived CSV (preparation, not timed)."""
    from kompass.municipalities.gv100ad import gv100ad_records_from_csv, write_gv100ad

    started = time.perf_counter()
    target_path = Path(target)
    records = write_gv100ad(gv100ad_records_from_csv(Path(source)), target_path)
    return {
        "seconds": time.perf_counter() - started,
        "bytes": target_path.stat().st_size,
        "records": records,
    }


def step_gv100ad_import(*, path: str) -> dict:
    from kompass.municipalities.choices import MunicipalityLevel
    from kompass.municipalities.models import Land, Municipality
    from kompass.municipalities.services import gemeindeverzeichnis_import

    seconds, queries, _result = _timed(gemeindeverzeichnis_import, path=Path(path))
    return {
        "seconds": seconds,
        "queries": queries,
        "rows": {
            "laender": Land.objects.count(),
            "districts": Municipality.objects.filter(level=MunicipalityLevel.DISTRICT).count(),
            "municipalities": Municipality.objects.filter(
                level=MunicipalityLevel.MUNICIPALITY
            ).count(),
        },
    }


def step_search_urls() -> dict:
    """The catalogue list page with the searches and filters people use, from the loaded data."""
    from django.urls import reverse

    from kompass.catalogue.models import LeikaType, Service, Topic

    base = reverse("catalogue:service-list")
    queries: list[dict] = [{}, {"q": "führerschein"}, {"q": "antrag"}, {"q": "antrag", "page": 2}]
    service = (
        Service.objects.filter(leika_key="99008001012000").first()
        or Service.objects.exclude(leika_key=None).order_by("leika_key").first()
    )
    if service is not None:
        queries.append({"q": service.leika_key})
    topic = Topic.objects.order_by("position", "name").first()
    if topic is not None:
        queries.append({"topic": topic.code})
        queries.append({"topic": topic.code, "q": "antrag"})
    leika_type = LeikaType.objects.filter(code="5").first() or LeikaType.objects.first()
    if leika_type is not None:
        queries.append({"leika_type": leika_type.code, "sort": "key"})
    return {"urls": [f"{base}?{urlencode(query)}" if query else base for query in queries]}


def step_page_queries(
    *, urls: list[str] | None = None, username: str | None = None, warm_up_each: bool = True
) -> dict:
    """SQL statements per page view (default: the search_urls mix), as an anonymous visitor,
    after one warm-up request (warm_up_each False: only before the first URL; the process's
    caches are shared between URLs of the same view).

    Static URLs are rendered without the manifest here, so this step does not have to wait for
    collectstatic; the statements a page sends do not depend on how static URLs are spelled.
    """
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    if urls is None:
        urls = step_search_urls()["urls"]
    client = _page_client(username)
    result: dict[str, int] = {}
    with _without_static_files():
        for number, url in enumerate(urls):
            if warm_up_each or number == 0:
                _get(client, url)
            with CaptureQueriesContext(connection) as captured:
                _get(client, url)
            result[url] = len(captured.captured_queries)
    return {"queries_per_url": result}


def replayable(sql: str) -> str | None:
    """A statement as bench.floor replays it: a reading one (SELECT or WITH), the query of a
    server-side cursor (QuerySet.iterator() on PostgreSQL is logged as psycopg's DECLARE … FOR
    <query>) without its DECLARE; None for anything else."""
    sql = _DECLARE_CURSOR.sub("", sql, count=1)
    return sql if sql.lstrip()[:6].upper().startswith(("SELECT", "WITH")) else None


def _page_statements(urls: list[str], *, username: str) -> dict[str, list[str]]:
    """The reading SQL statements each page sends, as executed (values in place), after a
    warm-up request: bench.floor replays them without Django (the page's own SQL is a floor
    too, and where it is faster than the hand-written one, the lower of the two counts)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = _page_client(username)
    statements: dict[str, list[str]] = {}
    with _without_static_files():
        for url in urls:
            _get(client, url)
            with CaptureQueriesContext(connection) as captured:
                _get(client, url)
            replayed = (replayable(query["sql"]) for query in captured.captured_queries)
            statements[url] = [sql for sql in replayed if sql is not None]
    return statements


# The largest Themenfeld of the catalogue: its relevance matrix is the heaviest one.
LARGEST_TOPIC = "unternehmensfuehrung_entwicklung"
NRW = "05"
# The demo's platform operator may open and decide every Themenfeld's matrix.
MATRIX_USER = "betrieb"


def step_demo_setup() -> dict:
    """What `make run` sets up for the demo (provider, accounts, a Themenpate's decisions), plus a
    fully decided largest Themenfeld: every Leistung × every NRW Kommunaltyp, as after a review."""
    from kompass.accounts.services import demo_accounts_create
    from kompass.catalogue.models import Topic
    from kompass.core.demo import demo_provider_ensure
    from kompass.municipalities.models import Land, MunicipalityType
    from kompass.relevance.services import demo_relevance_seed, type_decisions_bulk_set

    started = time.perf_counter()
    demo_provider_ensure()
    demo_accounts_create()
    seeded = demo_relevance_seed()
    from django.contrib.auth import get_user_model

    land = Land.objects.get(code=NRW)
    decided = type_decisions_bulk_set(
        topic=Topic.objects.get(code=LARGEST_TOPIC),
        land=land,
        value="relevant",
        reason="Benchmark: Themenfeld vollständig entschieden",
        actor=get_user_model().objects.get(username=MATRIX_USER),
        type_ids=list(MunicipalityType.objects.filter(land=land).values_list("pk", flat=True)),
    ).changed
    return {"seconds": time.perf_counter() - started, "seeded": seeded, "decided": decided}


def step_session(*, username: str) -> dict:
    """A signed-in session (stored in the database, so every server process knows it): its
    cookie, its key and the user's id."""
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.test import Client

    user = get_user_model().objects.get(username=username)
    client = Client()
    client.force_login(user)
    key = client.cookies[settings.SESSION_COOKIE_NAME].value
    # The key and the user also go into bench.floor's access check.
    return {
        "cookie": f"{settings.SESSION_COOKIE_NAME}={key}",
        "session_key": key,
        "user_id": user.pk,
    }


def step_relevance_urls() -> dict:
    """The relevance matrix of the largest Themenfeld for NRW: first screen, a later page, a row."""
    from django.urls import reverse

    from kompass.catalogue.models import Service

    matrix = reverse("relevance:matrix", kwargs={"land": NRW, "topic": LARGEST_TOPIC})
    service = Service.objects.current().filter(topic__code=LARGEST_TOPIC).order_by("pk").first()
    urls = [matrix, f"{matrix}?page=2", f"{matrix}?page=10"]
    if service is not None:
        urls.append(
            reverse("relevance:row", kwargs={"land": NRW, "topic": LARGEST_TOPIC, "pk": service.pk})
        )
    return {
        "urls": urls,
        "username": MATRIX_USER,
        **step_page_queries(urls=urls, username=MATRIX_USER),
    }


def step_generate(*, scale: str) -> dict:
    """Plausible implementation data for every Kommune of the scale (bench.generate)."""
    from bench.generate import generate

    return generate(scale=scale)


# The workspace scenarios: kind → query strings of the page per measured Kommune ({topic},
# {department} and {page} are filled from the Kommune's data).
WORKSPACE_QUERIES = {
    "list": (
        {},
        {"page": "{page}"},
        {"status": "in_progress"},
        {"topic": "{topic}"},
        {"department": "{department}"},
        {"department": "none"},
        {"overdue": "on"},
        {"q": "antrag"},
        {"sort": "priority"},
        {"sort": "cases", "page": "3"},
        {"sort": "changed", "status": "planning"},
        {"per_page": "100", "sort": "name"},
    ),
    "board": ({}, {"topic": "{topic}"}, {"department": "none"}, {"q": "antrag"}),
    "ozg": ({}, {"page": "2"}, {"status": "done"}, {"topic": "{topic}"}),
    # The Bearbeiter lands on "mine" (their departments' Leistungen).
    "mine": ({}, {"page": "2"}, {"status": "planning"}),
}
SCENARIO_OF_KIND = {
    "list": "implementation_list",
    "board": "implementation_board",
    "detail": "implementation_detail",
    "ozg": "implementation_ozg",
    "mine": "implementation_mine",
}
VIEW_OF_KIND = {
    "list": "implementation:list",
    "board": "implementation:board",
    "ozg": "implementation:ozg-list",
    "mine": "implementation:list",
}


def _probe_filters(query: dict, *, own_department_ids: list[int]) -> dict:
    """The cleaned filters of a query string, as bench.floor needs them."""
    from kompass.catalogue.models import Topic
    from kompass.core.text import search_terms

    filters: dict = {}
    if query.get("topic"):
        filters["topic_id"] = Topic.objects.get(code=query["topic"]).pk
    if query.get("department"):
        filters["department"] = query["department"]
    elif own_department_ids:
        filters["department"] = "mine"
    filters["own_department_ids"] = own_department_ids
    for key in ("status", "sort", "page", "per_page"):
        if query.get(key):
            filters[key] = int(query[key]) if key in ("page", "per_page") else query[key]
    filters["overdue"] = bool(query.get("overdue"))
    filters["terms"] = search_terms(query.get("q", ""))
    return filters


def step_implementation_urls(*, measured: list[dict], admin: str, editor: str) -> dict:
    """The workspace pages of the measured Kommunen: URLs per scenario, the probes bench.floor
    times for them, and the SQL statements per page (counted for the first and the last
    measured Kommune, signed in as the user who loads them)."""
    from django.db.models import Count
    from django.urls import reverse

    from kompass.accounts.models import Department
    from kompass.catalogue.models import Service
    from kompass.implementation.models import Implementation
    from kompass.municipalities.models import Municipality
    from kompass.relevance.selectors import relevant_services_for

    scenarios: dict[str, list[dict]] = {name: [] for name in SCENARIO_OF_KIND.values()}
    largest_topic = (
        Service.objects.current()
        .exclude(topic=None)
        .values("topic__code")
        .annotate(n=Count("pk"))
        .order_by("-n")
        .first()
    )
    for item in measured:
        municipality = Municipality.objects.get(pk=item["id"])
        member_type_ids = sorted(
            set(
                Municipality.objects.active()
                .filter(district=municipality, municipality_type__isnull=False)
                .values_list("municipality_type_id", flat=True)
            )
        )
        base = {
            "municipality_id": municipality.pk,
            "type_id": municipality.municipality_type_id,
            "district": municipality.level == "district",
            "member_type_ids": member_type_ids,
        }
        department = (
            Department.objects.filter(municipality=municipality)
            .annotate(n=Count("implementations"))
            .order_by("-n", "pk")
            .first()
        )
        relevant = relevant_services_for(municipality=municipality).count()
        fill = {
            "{topic}": (largest_topic or {}).get("topic__code", ""),
            "{department}": str(department.pk) if department else "none",
            "{page}": str(max(1, relevant // 50 // 3)),
        }
        for kind, queries in WORKSPACE_QUERIES.items():
            url = reverse(VIEW_OF_KIND[kind], kwargs={"pk": municipality.pk})
            own = [item["editor_department_id"]] if kind == "mine" else []
            for query in queries:
                query = {key: fill.get(value, value) for key, value in query.items()}
                scenarios[SCENARIO_OF_KIND[kind]].append(
                    {
                        **base,
                        "kind": "list" if kind == "mine" else kind,
                        "url": f"{url}?{urlencode(query)}" if query else url,
                        "filters": _probe_filters(query, own_department_ids=own),
                    }
                )
        # Detail pages: records of each status (with their history), and a Leistung nobody
        # touched yet (shown as "offen", no record).
        records = Implementation.objects.filter(municipality=municipality)
        picked = []
        for status in ("done", "in_progress", "planning"):
            some = list(
                records.filter(status=status).order_by("service_id").values("pk", "service_id")[:8]
            )
            if some:
                picked.append(some[-1])
        with_steps = records.filter(steps__isnull=False).values("pk", "service_id").first()
        if with_steps:
            picked.append(with_steps)
        untouched = (
            relevant_services_for(municipality=municipality)
            .exclude(implementations__municipality=municipality)
            .values_list("pk", flat=True)
            .first()
        )
        if untouched:
            picked.append({"pk": None, "service_id": untouched})
        for record in picked:
            scenarios["implementation_detail"].append(
                {
                    **base,
                    "kind": "detail",
                    "url": reverse(
                        "implementation:detail",
                        kwargs={"pk": municipality.pk, "service_pk": record["service_id"]},
                    ),
                    "service_id": record["service_id"],
                    "filters": {},
                }
            )
    # SQL statements per page: every URL of the first measured Kommune, the first of the others
    # (the count must not depend on the Kommune's size).
    queries: dict[str, int] = {}
    for name, probes in scenarios.items():
        username = editor if name == "implementation_mine" else admin
        seen: set[int] = set()
        urls = []
        for probe in probes:
            if (
                probe["municipality_id"] == measured[0]["id"]
                or probe["municipality_id"] not in seen
            ):
                urls.append(probe["url"])
            seen.add(probe["municipality_id"])
        queries.update(
            step_page_queries(urls=urls, username=username, warm_up_each=False)["queries_per_url"]
        )
        page_sql = _page_statements([probe["url"] for probe in probes], username=username)
        for probe in probes:
            probe["page_sql"] = page_sql[probe["url"]]
    return {"scenarios": scenarios, "queries_per_url": queries}


def step_profile_urls(*, urls: list[str], username: str, repeat: int = 3) -> dict:
    """Per URL, in this process (DEBUG off, as the server): the SQL statements, and the median
    time of the whole view (test client, response body read) and of its SQL statements (from
    sending a statement to its return, which includes reading its rows except for server-side
    cursors, e.g. QuerySet.iterator() on PostgreSQL, whose fetches count as Python). The rest is
    Python: ORM, template rendering, middleware, file writing."""
    import statistics

    from django.db import connection

    class Timing:
        def __init__(self) -> None:
            self.count = 0
            self.seconds = 0.0

        def __call__(self, execute, sql, params, many, context):
            started = time.perf_counter()
            try:
                return execute(sql, params, many, context)
            finally:
                self.seconds += time.perf_counter() - started
                self.count += 1

    client = _page_client(username)

    def fetch(url: str) -> tuple[int, float, float]:
        timing = Timing()
        with connection.execute_wrapper(timing):
            started = time.perf_counter()
            _get(client, url)
            total = time.perf_counter() - started
        return timing.count, total * 1000, timing.seconds * 1000

    result: dict[str, dict] = {}
    with _without_static_files():
        for url in urls:
            fetch(url)  # warm-up: caches of the process, planner
            runs = [fetch(url) for _run in range(repeat)]
            total = statistics.median(run[1] for run in runs)
            sql = statistics.median(run[2] for run in runs)
            result[url] = {
                "queries": runs[-1][0],
                "inprocess_ms": round(total, 2),
                "sql_ms": round(sql, 2),
                "python_ms": round(total - sql, 2),
            }
    return {"urls": result}


def _relevance_probe_base(municipality) -> dict:
    """What bench.floor needs to write a Kommune's relevant set as SQL."""
    from kompass.municipalities.models import Municipality

    return {
        "municipality_id": municipality.pk,
        "type_id": municipality.municipality_type_id,
        "district": municipality.level == "district",
        "member_type_ids": sorted(
            set(
                Municipality.objects.active()
                .filter(district=municipality, municipality_type__isnull=False)
                .values_list("municipality_type_id", flat=True)
            )
        ),
    }


def _spread(values: list, count: int) -> list:
    """`count` values evenly spread over the list (all when it is shorter)."""
    if len(values) <= count:
        return list(values)
    return [values[(index * len(values)) // count] for index in range(count)]


def step_reports_urls(
    *, measured: list[dict], admin: str, operator: str, provider: str, memory: bool = True
) -> dict:
    """The evaluation (issue 6) and marketplace (issue 7) pages of the measured Kommunen: URLs
    and bench.floor probes per scenario, who loads them, SQL statements and the in-process
    SQL/Python split per URL (step_profile_urls), and the peak memory of one XLSX export."""
    from django.db.models import Count
    from django.urls import reverse

    from kompass.accounts.models import Department, RoleAssignment
    from kompass.catalogue.models import OzgService, Service
    from kompass.implementation.models import Implementation
    from kompass.implementation.selectors import maturity_levels, ozg_target_level
    from kompass.municipalities.models import Municipality, MunicipalityType, Provider
    from kompass.relevance.selectors import default_value_for, relevant_services_for

    scenarios: dict[str, list[dict]] = {name: [] for name in REPORT_SCENARIO_USERS}
    users = {"admin": admin, "operator": operator}
    default_target = ozg_target_level(maturity_levels())
    kommunen = [Municipality.objects.get(pk=item["id"]) for item in measured]
    bench_provider = Provider.objects.get(slug=provider)
    operator_visible = {
        "provider_ids": sorted(
            RoleAssignment.objects.filter(user__username=operator)
            .exclude(provider=None)
            .values_list("provider_id", flat=True)
        ),
        "municipality_ids": [],
    }

    def add(name: str, url: str, probe: dict) -> None:
        scenarios[name].append({**probe, "url": url})

    for number, municipality in enumerate(kommunen):
        base = _relevance_probe_base(municipality)
        department = (
            Department.objects.filter(municipality=municipality)
            .annotate(n=Count("implementations"))
            .order_by("-n", "pk")
            .first()
        )
        dashboard = reverse("reports:dashboard", kwargs={"pk": municipality.pk})
        add("reports_dashboard", dashboard, {**base, "kind": "dashboard", "filters": {}})
        if department is not None:
            add(
                "reports_dashboard",
                f"{dashboard}?{urlencode({'department': department.pk})}",
                {**base, "kind": "dashboard", "filters": {"department": str(department.pk)}},
            )
        add(
            "reports_dashboard",
            reverse("reports:dashboard-print", kwargs={"pk": municipality.pk}),
            {**base, "kind": "dashboard", "filters": {}},
        )
        add(
            "reports_benchmark",
            reverse("reports:benchmark", kwargs={"pk": municipality.pk}),
            {**base, "kind": "benchmark"},
        )
        add(
            "workspace_export",
            reverse("reports:workspace-export", kwargs={"pk": municipality.pk, "fmt": "xlsx"}),
            {**base, "kind": "export", "filters": {}},
        )
        gaps = reverse("solutions:gaps", kwargs={"pk": municipality.pk})
        gap_probe = {**base, "kind": "gaps", "default_target": default_target}
        queries = [{}, {"page": 2}, {"page": 5}, {"offers": "uncovered"}]
        if number < 2:
            queries += [{"offers": "uncovered", "page": 2}, {"offers": "covered", "page": 3}]
        for query in queries:
            add(
                "solutions_gaps",
                f"{gaps}?{urlencode(query)}" if query else gaps,
                {**gap_probe, "page": query.get("page", 1), "offers": query.get("offers", "")},
            )

    # The global views: Leistungen spread over the first measured Kommune's relevant list (some
    # relevant for every Kommune, some decided per type), and the OZG-Leistungen of some of them
    # plus the one with the most LeiKa-Leistungen.
    relevant = list(
        relevant_services_for(municipality=kommunen[0]).order_by("pk").values_list("pk", flat=True)
    )
    for service in Service.objects.filter(pk__in=_spread(relevant, 6)).order_by("pk"):
        add(
            "reports_global",
            reverse("reports:service-global", kwargs={"service_pk": service.pk}),
            {
                "kind": "global_service",
                "service_id": service.pk,
                "default_relevant": default_value_for(service.leika_type_codes) == "relevant",
                "visible": operator_visible,
            },
        )
    ozg_ids = list(
        OzgService.objects.filter(services__pk__in=_spread(relevant, 3))
        .order_by("ozg_id")
        .values_list("pk", "ozg_id")
        .distinct()
    )
    largest = (
        OzgService.objects.filter(services__retired_in=None)
        .annotate(n=Count("services"))
        .order_by("-n", "ozg_id")
        .values_list("pk", "ozg_id")
        .first()
    )
    for pk, ozg_id in dict.fromkeys([*ozg_ids, *([largest] if largest else [])]):
        add(
            "reports_global",
            reverse("reports:ozg-global", kwargs={"ozg_id": ozg_id}),
            {"kind": "global_ozg", "ozg_service_id": pk, "visible": operator_visible},
        )

    # The provider heat map of all Kommunen of the scale: pages, a Kreis, a Kommunaltyp.
    heatmap = reverse("reports:heatmap", kwargs={"pk": bench_provider.pk})
    members = Municipality.objects.active().filter(providers=bench_provider)
    largest_district = (
        members.filter(level="district")
        .annotate(n=Count("members"))
        .order_by("-n", "pk")
        .values_list("pk", flat=True)
        .first()
    )
    common_type = (
        MunicipalityType.objects.filter(municipalities__in=members)
        .annotate(n=Count("municipalities"))
        .order_by("-n", "pk")
        .values_list("pk", flat=True)
        .first()
    )
    heat_queries = [{}, {"page": 2}, {"page": 5}]
    if largest_district:
        heat_queries.append({"district": largest_district})
    if common_type:
        heat_queries += [
            {"municipality_type": common_type},
            {"municipality_type": common_type, "page": 3},
        ]
    for query in heat_queries:
        add(
            "reports_heatmap",
            f"{heatmap}?{urlencode(query)}" if query else heatmap,
            {
                "kind": "heatmap",
                "provider_id": bench_provider.pk,
                "district_id": query.get("district"),
                "type_id": query.get("municipality_type"),
                "page": query.get("page", 1),
            },
        )

    profile: dict[str, dict] = {}
    for name, probes in scenarios.items():
        urls = [probe["url"] for probe in probes]
        username = users[REPORT_SCENARIO_USERS[name]]
        profile.update(step_profile_urls(urls=urls, username=username)["urls"])
        page_sql = _page_statements(urls, username=username)
        for probe in probes:
            probe["page_sql"] = page_sql[probe["url"]]
    records = {
        item["municipality_id"]: item["n"]
        for item in Implementation.objects.filter(municipality__in=kommunen)
        .values("municipality_id")
        .annotate(n=Count("pk"))
    }
    export = {
        "records": {str(k.pk): records.get(k.pk, 0) for k in kommunen},
        "rows": {str(k.pk): relevant_services_for(municipality=k).count() for k in kommunen},
    }
    if memory:
        # The measured exports, and a filtered one (fewer rows) to compare the peaks with.
        export_urls = [probe["url"] for probe in scenarios["workspace_export"]]
        export_urls.append(f"{export_urls[0]}?{urlencode({'status': 'done'})}")
        export["memory"] = _export_memory(export_urls, username=admin)
    return {
        "scenarios": scenarios,
        "users": {name: users[role] for name, role in REPORT_SCENARIO_USERS.items()},
        "profile": profile,
        "export": export,
    }


def _export_memory(urls: list[str], *, username: str) -> list[dict]:
    """Peak Python memory (tracemalloc) of one XLSX export each, body read to the end (into a
    temporary file, so that the body itself is not counted); with the rows of its sheet. Bounded
    when the peak does not grow with the number of rows."""
    import tempfile
    import tracemalloc
    import zipfile

    client = _page_client(username)
    result = []
    with _without_static_files():
        client.get(urls[0]).close()  # warm-up: imports, caches
        for url in urls:
            with tempfile.TemporaryFile() as body:
                tracemalloc.start()
                response = client.get(url)
                for chunk in response.streaming_content:
                    body.write(chunk)
                response.close()
                _current, peak = tracemalloc.get_traced_memory()
                tracemalloc.stop()
                size = body.tell()
                body.seek(0)
                with zipfile.ZipFile(body) as workbook:
                    sheet = workbook.read("xl/worksheets/sheet1.xml").decode()
            rows = len(re.findall(r"<row ", sheet)) - 1  # without the header
            result.append(
                {"url": url, "rows": rows, "peak_mib": round(peak / 2**20, 2), "bytes": size}
            )
    return result


def step_heatmap_export(*, operator: str, provider: str) -> dict:
    """The provider heat map's background export of all its members (every Kommune of the
    scale), built as the worker builds it (reports.background.export_build), XLSX and CSV:
    seconds, rows, file size; then the XLSX once more under tracemalloc for its peak memory."""
    import tracemalloc

    from django.contrib.auth import get_user_model

    from kompass.municipalities.models import Provider
    from kompass.reports import background
    from kompass.reports.choices import ExportKind
    from kompass.reports.models import Export

    actor = get_user_model().objects.get(username=operator)
    params = {"provider": Provider.objects.get(slug=provider).pk, "query": ""}

    def build(fmt: str) -> tuple[float, Export]:
        export = background.export_request(
            actor=actor, kind=ExportKind.HEATMAP, fmt=fmt, params=params, title="Heatmap Bench"
        )
        started = time.perf_counter()
        background.export_build(export_id=str(export.pk))
        seconds = time.perf_counter() - started
        return seconds, Export.objects.defer("content").get(pk=export.pk)

    build("csv")  # warm-up: imports, translations
    figures: dict = {}
    for fmt in ("xlsx", "csv"):
        seconds, export = build(fmt)
        assert export.status == "done", export.error
        figures[fmt] = {"seconds": round(seconds, 2), "rows": export.total, "bytes": export.size}
    tracemalloc.start()
    build("xlsx")
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    figures["xlsx"]["peak_mib"] = round(peak / 2**20, 1)
    Export.objects.filter(requested_by=actor).delete()
    return figures


# The evaluation and marketplace scenarios → who loads them ("admin": the measured Kommunen's
# admin; "operator": the bench provider's operator, who sees every Kommune of the scale).
REPORT_SCENARIO_USERS = {
    "reports_dashboard": "admin",
    "reports_global": "operator",
    "reports_benchmark": "admin",
    "reports_heatmap": "operator",
    "workspace_export": "admin",
    "solutions_gaps": "admin",
}


STEPS: dict[str, Callable[..., dict]] = {
    "reports_urls": step_reports_urls,
    "heatmap_export": step_heatmap_export,
    "profile_urls": step_profile_urls,
    "implementation_urls": step_implementation_urls,
    "generate": step_generate,
    "demo_setup": step_demo_setup,
    "session": step_session,
    "relevance_urls": step_relevance_urls,
    "migrate": step_migrate,
    "collectstatic": step_collectstatic,
    "catalogue_import": step_catalogue_import,
    "gv100ad_write": step_gv100ad_write,
    "gv100ad_import": step_gv100ad_import,
    "search_urls": step_search_urls,
    "page_queries": step_page_queries,
}


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print('usage: python -m bench.steps \'[{"step": "migrate"}, …]\'', file=sys.stderr)
        return 2
    plan = json.loads(argv[1])
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kompass.settings")
    import django

    django.setup()
    results = []
    for item in plan:
        arguments = dict(item)
        name = arguments.pop("step")
        results.append({"step": name, **STEPS[name](**arguments)})
    print(RESULT_MARKER + json.dumps(results), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
