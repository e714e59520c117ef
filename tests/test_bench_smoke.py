"""Smoke test of the benchmark machinery (bench/): tiny data, one short load run, real gunicorn.

Not the benchmark itself (that is `make bench`): it checks that a run migrates its own database,
imports a small catalogue and a small raw GV100AD file, generates implementation data for the
three demo Kreise and their Gemeinden (scale "smoke"; the generator checks its relevant sets
against the application's), serves the search page and the workspace pages with gunicorn and
reports figures with the expected keys (on PostgreSQL also the floor and the ratio), and the same
for the evaluation and marketplace pages (with the solutions and report aggregates the generator's
extensions write). It runs on
SQLite, or on PostgreSQL when DATABASE_URL points there (in a database of its own, dropped
afterwards).
"""

import csv
import http.server
import json
import os
import shutil
import threading
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from bench import REPO_ROOT
from bench.databases import BenchDatabase
from bench.load import combine, percentile, run_load
from bench.report import markdown, write_json, write_markdown
from bench.run import BenchConfig, failed_scenarios, judge_scale_targets, run_benchmark

from kompass.core.demo import DEMO_DISTRICT_CODES

DATA = REPO_ROOT / "data"
LEIKA_FILE = "leika_leistungen_ozg_kdn2019.csv"
LARGEST_TOPIC_OZG_IDS = {"10279", "10282"}
WORKSPACE = (
    "implementation_list",
    "implementation_mine",
    "implementation_board",
    "implementation_detail",
    "implementation_ozg",
)  # OZG-Leistungen of "Unternehmensführung & -entwicklung"
REPORTS = (
    "reports_dashboard",
    "reports_global",
    "reports_benchmark",
    "reports_heatmap",
    "workspace_export",
    "solutions_gaps",
)


def _largest_topic(limit: int):
    taken: list[int] = []

    def keep(row, header) -> bool:
        if len(taken) < limit and row[header.index("ozg_id")] in LARGEST_TOPIC_OZG_IDS:
            taken.append(1)
            return True
        return False

    return keep


def _head_csv(source: Path, target: Path, rows: int, also=None) -> None:
    """Copy the header and the first `rows` rows, and further rows for which also(row, header)."""
    with source.open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader)
        kept = [header]
        for number, row in enumerate(reader):
            if number < rows or (also and also(row, header)):
                kept.append(row)
    with target.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, lineterminator="\n").writerows(kept)


@pytest.fixture
def tiny_data(tmp_path: Path) -> tuple[Path, Path]:
    """The small catalogue files as shipped, the LeiKa list cut to 80 rows plus the largest
    Themenfeld's first 20; the 36 Gemeinden of the demo provider's three Kreise."""
    catalogue = tmp_path / "catalogue"
    catalogue.mkdir()
    for source in (DATA / "catalogue").glob("*.csv"):
        if source.name != LEIKA_FILE:
            shutil.copy(source, catalogue / source.name)
    _head_csv(DATA / "catalogue" / LEIKA_FILE, catalogue / LEIKA_FILE, 80, also=_largest_topic(20))
    gemeinden = tmp_path / "gemeinden.csv"
    _head_csv(
        DATA / "gemeindeverzeichnis" / "gemeinden_de_gv100ad_2025-11-30.csv",
        gemeinden,
        0,
        also=lambda row, header: row[header.index("kreis_code")] in DEMO_DISTRICT_CODES,
    )
    return catalogue, gemeinden


def _engine_and_url() -> tuple[str, str | None]:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        return "sqlite", None
    parts = urlsplit(url)
    name = parts.path.lstrip("/") + "_bench_smoke"
    return "postgresql", urlunsplit(parts._replace(path=f"/{name}"))


def test_percentile_is_nearest_rank():
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 0.5) == 50.0
    assert percentile(values, 0.95) == 95.0
    assert percentile([7.0], 0.95) == 7.0


def test_scale_targets_are_judged_at_scale_de_only():
    """Issue 8's targets (8 clients, page/floor) name SCALE=de: a smaller scale's run shows them
    without a verdict instead of a "yes" its smaller data earned."""
    from bench.report import _met_cell

    figures = {"scenario": "implementation_mine", "p95_ms": 120.0, "ratio": 3.4}
    at_de, at_nrw = {**figures, "meets_target": True}, {**figures, "meets_target": True}
    judge_scale_targets(at_de, scale="de")
    judge_scale_targets(at_nrw, scale="nrw")
    assert at_de["meets_load_target"] is True
    assert at_de["meets_ratio_target"] is False
    assert _met_cell(at_de) == "yes; yes (8 clients); **no** (ratio)"
    assert at_nrw["load_target"] == at_de["load_target"]
    assert at_nrw["ratio_target"] == at_de["ratio_target"]
    assert "meets_load_target" not in at_nrw
    assert "meets_ratio_target" not in at_nrw
    assert _met_cell(at_nrw) == (
        "yes; – (8 clients: judged at SCALE=de); – (ratio: judged at SCALE=de)"
    )
    dashboard = {"scenario": "reports_global", "p95_ms": 310.0, "ratio": 1.5, "meets_target": True}
    judge_scale_targets(dashboard, scale="de")
    assert dashboard["meets_load_target"] is False  # 300 ms for dashboards
    assert "ratio_target" not in dashboard  # not a list page
    export = {"scenario": "workspace_export", "p95_ms": 900.0, "ratio": 6.0}
    judge_scale_targets(export, scale="de")
    assert "load_target" not in export


def test_bench_refuses_to_drop_a_database_not_named_bench():
    with pytest.raises(ValueError, match="bench"):
        BenchDatabase.postgresql("postgres://postgres@127.0.0.1:5432/kompass")
    with pytest.raises(ValueError, match="bench"):
        BenchConfig(engines=("postgresql",), postgres_url="postgres://u@db.example.org/prod")


def test_bench_load_only_goes_to_localhost():
    with pytest.raises(ValueError, match=r"127\.0\.0\.1"):
        run_load(base_url="http://example.org", paths=["/"], clients=1, requests=1, max_seconds=1)


class _Answer(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        status = 404 if self.path == "/missing" else 200
        self.send_response(status)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args):
        pass


def test_a_load_run_in_parts_goes_on_round_robin_and_combines():
    """The one-client run goes in parts with the floor's rounds between them: the parts together
    send what one run would, URL by URL, and their time is theirs alone."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Answer)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        args = {
            "base_url": f"http://127.0.0.1:{server.server_address[1]}",
            "paths": ["/a", "/b", "/missing"],
            "clients": 1,
            "max_seconds": 30,
        }
        first = run_load(**args, requests=4)
        second = run_load(**args, requests=3, first=4)
    finally:
        server.shutdown()
        server.server_close()
    combined = combine([first, second])
    # Tickets 0–3 went to a, b, missing, a; tickets 4–6 go on with b, missing, a.
    assert {path: len(values) for path, values in combined.latencies_ms.items()} == {
        "/a": 3,
        "/b": 2,
        "/missing": 0,
    }
    assert combined.errors == ["/missing: HTTP 404"] * 2
    assert combined.seconds == first.seconds + second.seconds
    assert combined.clients == 1


def test_bench_run_on_tiny_data(tiny_data, tmp_path):
    catalogue, gemeinden = tiny_data
    engine, postgres_url = _engine_and_url()
    config = BenchConfig(
        scale="smoke",
        engines=(engine,),
        catalogue_dir=catalogue,
        gemeinden_csv=gemeinden,
        work_dir=tmp_path / "work",
        clients=2,
        requests=24,
        warmup_requests=4,
        single_client_requests=8,
        max_seconds=60,
        workspace_clients=3,
        workspace_requests=15,
        workspace_single_requests=5,
        workspace_warmup_requests=6,
        report_requests=9,
        report_single_requests=3,
        floor_repeat=2,  # the one-client run in two parts, a floor round after each
        schema_from_models=True,
        compress_static=False,
        **({"postgres_url": postgres_url} if postgres_url else {}),
    )
    results = run_benchmark(config)
    output = tmp_path / "latest.json"
    write_json(results, output)
    results = json.loads(output.read_text(encoding="utf-8"))

    assert failed_scenarios(results) == [], "\n".join(config.log)
    assert results["scale"] == "smoke"
    assert results["machine"]["nproc"] >= 1
    assert results["machine"]["cpu_model"]
    assert results["cpu_ms"]["before"] > 0
    assert results["cpu_ms"]["after"] > 0

    catalogue_import = results["scenarios"][f"catalogue_import:{engine}"]
    assert catalogue_import["engine"] == engine
    assert 0 < catalogue_import["seconds"] < 60
    assert catalogue_import["queries"] > 0
    assert catalogue_import["rows"]["services"] == 100
    assert catalogue_import["rows"]["topics"] == 14

    gv100ad_import = results["scenarios"][f"gv100ad_import:{engine}"]
    assert 0 < gv100ad_import["seconds"] < 60
    assert gv100ad_import["queries"] > 0
    assert gv100ad_import["rows"]["municipalities"] == 36
    assert gv100ad_import["rows"]["laender"] >= 1

    search = results["scenarios"][f"catalogue_search:{engine}"]
    assert search["errors"] == 0, search["error_samples"]
    assert search["requests"] == 24
    assert 0 < search["p50_ms"] <= search["p95_ms"] <= search["max_ms"] < 10_000
    assert search["rps"] > 0
    assert search["workers"] == 2
    assert search["single_client"]["requests"] == 8
    assert 0 < search["single_client"]["p50_ms"] <= search["single_client"]["p95_ms"]
    assert 0 < search["queries"] < 50
    assert any("q=" in url for url in search["urls"])
    assert all(figures["queries"] > 0 for figures in search["urls"].values())
    matrix = results["scenarios"][f"relevance_matrix:{engine}"]
    assert matrix["errors"] == 0, matrix["error_samples"]  # signed in: 200, not the login page
    assert matrix["requests"] == 24
    assert 0 < matrix["p50_ms"] <= matrix["p95_ms"]
    assert all(figures["queries"] > 0 for figures in matrix["urls"].values())
    for name in ("catalogue_import", "gv100ad_import", "catalogue_search", "relevance_matrix"):
        assert isinstance(results["scenarios"][f"{name}:{engine}"]["meets_target"], bool)

    generated = results["scenarios"][f"data_generate:{engine}"]
    assert generated["kommunen"] == 39  # three Kreise and their 36 Gemeinden
    assert generated["rows"]["implementations"] > 0
    assert generated["rows"]["changes"] >= generated["rows"]["implementations"]
    assert generated["rows"]["departments"] >= 6 * 39
    assert generated["rows_per_second"] > 0
    assert 4 <= len(generated["measured"]) <= 5
    assert any(item["level"] == "district" for item in generated["measured"])
    for name in WORKSPACE:
        page = results["scenarios"][f"{name}:{engine}"]
        assert page["errors"] == 0, (name, page["error_samples"])  # signed in with real roles
        assert page["requests"] == 15
        assert page["clients"] == 3
        assert 0 < page["p50_ms"] <= page["p95_ms"]
        assert 0 < page["queries"] < 60, name
        assert isinstance(page["meets_target"], bool)
        if engine == "postgresql":
            # The floor: the faster of the hand-written statements and the page's own replayed.
            assert 0 < page["floor_ms"] <= page["page_sql_ms"]
            assert page["data_floor_ms"] > 0
            # Issue 8's targets are named, and judged only at SCALE=de.
            assert page["load_target"].endswith("at SCALE=de")
            assert "meets_load_target" not in page
            assert all(
                0 < figures["floor_ms"] <= figures["page_sql_ms"] and figures["data_floor_ms"] > 0
                for figures in page["urls"].values()
            )
    assert any(
        "status=" in url for url in results["scenarios"][f"implementation_list:{engine}"]["urls"]
    )

    assert generated["rows"]["solutions"] == 40
    assert generated["rows"]["solution_coverage"] >= 40
    assert generated["rows"]["solution_usages"] > 0
    assert generated["rows"]["topic_progress"] > 0
    assert generated["rows"]["progress"] > 0
    aggregates = results["scenarios"][f"report_aggregates:{engine}"]
    assert (
        aggregates["rebuilt_rows"]
        == generated["rows"]["topic_progress"] + generated["rows"]["progress"]
    )
    assert aggregates["seconds"] >= 0
    for name in REPORTS:
        page = results["scenarios"][f"{name}:{engine}"]
        assert page["errors"] == 0, (name, page["error_samples"])  # signed in with real roles
        assert page["requests"] == 9
        assert page["clients"] == 3
        assert page["single_client"]["requests"] == 3
        assert 0 < page["p50_ms"] <= page["p95_ms"]
        assert 0 < page["queries"] < 60, name
        assert isinstance(page["meets_target"], bool)
        assert 0 <= page["sql_ms"] <= page["inprocess_ms"]
        assert all("python_ms" in figures for figures in page["urls"].values())
        if engine == "postgresql":
            assert 0 < page["floor_ms"] <= page["page_sql_ms"]
            assert page["data_floor_ms"] > 0
            assert all(
                0 < figures["floor_ms"] <= figures["page_sql_ms"] and figures["data_floor_ms"] > 0
                for figures in page["urls"].values()
            )
    urls = results["scenarios"][f"solutions_gaps:{engine}"]["urls"]
    assert any("offers=uncovered" in url for url in urls)
    assert any("page=5" in url for url in urls)
    urls = results["scenarios"][f"reports_dashboard:{engine}"]["urls"]
    assert any("department=" in url for url in urls)
    assert any("/bericht/" in url for url in urls)
    urls = results["scenarios"][f"reports_global:{engine}"]["urls"]
    assert any("/ozg-leistung/" in url for url in urls)
    assert any("/leistung/" in url for url in urls)
    export = results["scenarios"][f"workspace_export:{engine}"]["export"]
    assert all(item["peak_mib"] > 0 and item["bytes"] > 0 for item in export["memory"])
    assert all(item["rows"] > 0 for item in export["memory"])
    assert any("status=done" in item["url"] for item in export["memory"])
    assert all(rows > 0 for rows in export["rows"].values())
    # The heat map's background export of every Kommune of the scale, as the worker builds it.
    heat_export = results["scenarios"][f"heatmap_export:{engine}"]
    members = heat_export["xlsx"]["rows"]
    assert members == heat_export["csv"]["rows"] > len(DEMO_DISTRICT_CODES)
    assert heat_export["xlsx"]["bytes"] > 0
    assert heat_export["csv"]["bytes"] > 0
    assert heat_export["xlsx"]["peak_mib"] > 0
    assert heat_export["seconds"] == heat_export["xlsx"]["seconds"] > 0

    table = markdown(results)
    assert "| Scenario | Engine |" in table
    assert f"before the run {results['cpu_ms']['before']} ms" in table
    assert table.count("\n| ") >= 18  # header + 17 scenarios
    # The README shows the last run of the other scale below (de and nrw never hide each other).
    readme = tmp_path / "README.md"
    write_markdown(results, readme, other={**results, "scale": "de"})
    text = readme.read_text(encoding="utf-8")
    assert "## The last run at scale `de`" in text
    assert text.count("| Scenario | Engine |") == 2
    # The run cleans up after itself: no database file or collected static files are left.
    assert not list((tmp_path / "work").glob("*.sqlite3"))
    assert not list((tmp_path / "work").glob("run-*"))


@pytest.mark.django_db
def test_the_floor_replays_the_query_of_a_server_side_cursor():
    """The XLSX export reads its rows with QuerySet.iterator(), which PostgreSQL's backend logs as
    psycopg's DECLARE … FOR <query>: the replay must run that query, not drop it."""
    from bench.steps import replayable
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from kompass.catalogue.models import Topic

    assert replayable("SELECT 1") == "SELECT 1"
    assert (
        replayable("WITH t AS (SELECT 1) SELECT * FROM t") == "WITH t AS (SELECT 1) SELECT * FROM t"
    )
    assert replayable('UPDATE "x" SET "a" = 1') is None
    assert replayable("SAVEPOINT s1") is None
    with CaptureQueriesContext(connection) as captured:
        list(Topic.objects.iterator(chunk_size=10))
    [logged] = [query["sql"] for query in captured.captured_queries]
    if connection.vendor == "postgresql":
        assert logged.startswith("DECLARE ")
    replayed = replayable(logged)
    assert replayed is not None
    assert replayed.startswith("SELECT ")
    assert '"catalogue_topic"' in replayed


@pytest.mark.skipif(
    _engine_and_url()[0] != "postgresql",
    reason="PostgreSQL only (set DATABASE_URL to a PostgreSQL server): prepared statements live "
    "on the server; .ci/run runs it.",
)
def test_the_floor_sends_its_statements_unprepared_as_the_application_does():
    """The floor's connection prepares nothing on the server, however often it runs a statement:
    the application's connections (Django's default) don't either, and the ratio page/floor must
    not count PostgreSQL's plan cache as Django's overhead."""
    from bench.floor import _connect

    url = urlsplit(os.environ["DATABASE_URL"])
    server = urlunsplit(url._replace(path="/postgres"))  # the server's own database
    with _connect(server) as connection, connection.cursor() as cursor:
        for number in range(12):
            cursor.execute("SELECT %(n)s::int + 1", {"n": number})
            assert cursor.fetchone() == (number + 1,)
        cursor.execute("SELECT count(*) FROM pg_prepared_statements")
        assert cursor.fetchone() == (0,)
