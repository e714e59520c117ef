"""Smoke test of the benchmark machinery (bench/): tiny data, one short load run, real gunicorn.

Not the benchmark itself (that is `make bench`): it checks that a run migrates its own database,
imports a small catalogue and a small raw GV100AD file, serves the search page with gunicorn and
reports figures with the expected keys. It runs on SQLite, or on PostgreSQL when DATABASE_URL
points there (in a database of its own, dropped afterwards).
"""

import csv
import json
import os
import shutil
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from bench import REPO_ROOT
from bench.databases import BenchDatabase
from bench.load import percentile, run_load
from bench.report import markdown, write_json
from bench.run import BenchConfig, failed_scenarios, run_benchmark

from kompass.core.demo import DEMO_DISTRICT_CODES

DATA = REPO_ROOT / "data"
LEIKA_FILE = "leika_leistungen_ozg_kdn2019.csv"
LARGEST_TOPIC_OZG_IDS = {"10279", "10282"}  # OZG-Leistungen of "Unternehmensführung & -entwicklung"


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


def test_bench_refuses_to_drop_a_database_not_named_bench():
    with pytest.raises(ValueError, match="bench"):
        BenchDatabase.postgresql("postgres://postgres@127.0.0.1:5432/kompass")
    with pytest.raises(ValueError, match="bench"):
        BenchConfig(engines=("postgresql",), postgres_url="postgres://u@db.example.org/prod")


def test_bench_load_only_goes_to_localhost():
    with pytest.raises(ValueError, match=r"127\.0\.0\.1"):
        run_load(base_url="http://example.org", paths=["/"], clients=1, requests=1, max_seconds=1)


def test_bench_run_on_tiny_data(tiny_data, tmp_path):
    catalogue, gemeinden = tiny_data
    engine, postgres_url = _engine_and_url()
    config = BenchConfig(
        scale="nrw",
        engines=(engine,),
        catalogue_dir=catalogue,
        gemeinden_csv=gemeinden,
        work_dir=tmp_path / "work",
        clients=2,
        requests=24,
        warmup_requests=4,
        single_client_requests=8,
        max_seconds=60,
        schema_from_models=True,
        compress_static=False,
        **({"postgres_url": postgres_url} if postgres_url else {}),
    )
    results = run_benchmark(config)
    output = tmp_path / "latest.json"
    write_json(results, output)
    results = json.loads(output.read_text(encoding="utf-8"))

    assert failed_scenarios(results) == [], "\n".join(config.log)
    assert results["scale"] == "nrw"
    assert results["machine"]["nproc"] >= 1
    assert results["machine"]["cpu_model"]

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

    table = markdown(results)
    assert "| Scenario | Engine |" in table
    assert table.count("\n| ") >= 5  # header + four scenarios
    # The run cleans up after itself: no database file or collected static files are left.
    assert not list((tmp_path / "work").glob("*.sqlite3"))
    assert not list((tmp_path / "work").glob("run-*"))
