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
"""

import json
import os
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlencode

RESULT_MARKER = "BENCH-RESULT "


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


def step_page_queries(*, urls: list[str] | None = None, username: str | None = None) -> dict:
    """SQL statements per page view (default: the search_urls mix), as an anonymous visitor,
    after one warm-up request.

    Static URLs are rendered without the manifest here, so this step does not have to wait for
    collectstatic; the statements a page sends do not depend on how static URLs are spelled.
    """
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext, override_settings

    if urls is None:
        urls = step_search_urls()["urls"]
    plain_static = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    client = Client(headers={"host": "127.0.0.1"})
    if username:
        from django.contrib.auth import get_user_model

        client.force_login(get_user_model().objects.get(username=username))
    result: dict[str, int] = {}
    with override_settings(STORAGES=plain_static), warnings.catch_warnings():
        # WhiteNoise warns when STATIC_ROOT does not exist yet; this step serves no static files.
        warnings.filterwarnings("ignore", message="No directory at", module="whitenoise")
        for url in urls:
            warm_up = client.get(url)
            if warm_up.status_code != 200:
                raise RuntimeError(f"GET {url} answered {warm_up.status_code}, expected 200.")
            with CaptureQueriesContext(connection) as captured:
                client.get(url)
            result[url] = len(captured.captured_queries)
    return {"queries_per_url": result}


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
    """A signed-in session (stored in the database, so every server process knows it)."""
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.test import Client

    client = Client()
    client.force_login(get_user_model().objects.get(username=username))
    return {
        "cookie": f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
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


STEPS: dict[str, Callable[..., dict]] = {
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
