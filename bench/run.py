"""Orchestrates a bench run: per database engine, migrate a fresh database, time the imports, then
serve the catalogue search page with gunicorn and measure it under concurrent load.

Scenarios (targets from the project's issues):
    catalogue_import   the whole shipped catalogue, kompass.catalogue.services.catalogue_import   < 10 s
    gv100ad_import     all of Germany from a raw GV100AD file,
                       kompass.municipalities.services.gemeindeverzeichnis_import             < 20 s
    catalogue_search   the catalogue list page with searches and filters, p95 over all requests < 100 ms
    relevance_matrix   the relevance matrix of the largest Themenfeld (~1,060 Leistungen × 7 NRW
                       types, all decided), signed in as the demo operator          p95 < 300 ms
"""

import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from bench import BENCH_DIR, REPO_ROOT
from bench.databases import DEFAULT_POSTGRES_URL, BenchDatabase, DatabaseUnavailable
from bench.load import run_load, summarise
from bench.machine import load_average, machine_info
from bench.server import gunicorn_server
from bench.steps import RESULT_MARKER

SCALES = ("nrw", "de")
ENGINES = ("sqlite", "postgresql")
DATA_DIR = REPO_ROOT / "data"

# scenario → (the figure compared, the limit it must stay below, how the target reads).
# A page target whose issue names no concurrency is the time one request takes, so it is judged
# on the run with one client; the run with config.clients clients shows the pages under load
# (throughput, queueing for the workers) and is reported beside it. Targets that name a number of
# concurrent clients (the scale issue) are judged at that concurrency.
TARGETS: dict[str, tuple[str, float, str]] = {
    "catalogue_import": ("seconds", 10.0, "< 10 s"),
    "gv100ad_import": ("seconds", 20.0, "< 20 s"),
    "catalogue_search": ("single_client.p95_ms", 100.0, "p95 < 100 ms (one client)"),
    "relevance_matrix": ("single_client.p95_ms", 300.0, "p95 < 300 ms (one client)"),
}
# Page scenarios measured through gunicorn, in this order.
PAGE_SCENARIOS = ("catalogue_search", "relevance_matrix")

# Settings that would make the measured server differ from a plain production set-up.
_STRIPPED_ENV = {
    "DATABASE_URL",
    "DATABASE_CONN_MAX_AGE",
    "REDIS_URL",
    "EMAIL_HOST",
    "KOMPASS_TEMPLATE_DIR",
    "KOMPASS_DATA_DIR",
    "BEHIND_TLS_PROXY",
    "TASKS_BACKEND",
    "DJANGO_SETTINGS_MODULE",
    "WEB_CONCURRENCY",
    "GUNICORN_CMD_ARGS",
}


class StepError(RuntimeError):
    """A `python -m bench.steps` subprocess failed (the message carries its output)."""


@dataclass
class BenchConfig:
    """What to run and how hard. The defaults are those of `make bench`."""

    scale: str = "nrw"
    engines: tuple[str, ...] = ENGINES
    catalogue_dir: Path = DATA_DIR / "catalogue"
    gemeinden_csv: Path = DATA_DIR / "gemeindeverzeichnis" / "gemeinden_de_gv100ad_2025-11-30.csv"
    work_dir: Path = BENCH_DIR / "work"
    postgres_url: str = DEFAULT_POSTGRES_URL
    workers: int = 2
    clients: int = 4
    requests: int = 800
    warmup_requests: int = 40
    single_client_requests: int = 80
    max_seconds: float = 90.0
    # Create the tables straight from the models instead of migrating (the smoke test's shortcut).
    schema_from_models: bool = False
    # Compress the collected static files as a deployment does (off: the smoke test's shortcut).
    compress_static: bool = True
    log: list[str] = field(default_factory=list)
    started: float = field(default_factory=time.monotonic)

    def __post_init__(self) -> None:
        if self.scale not in SCALES:
            raise ValueError(f"scale must be one of {', '.join(SCALES)}, not {self.scale!r}")
        unknown = set(self.engines) - set(ENGINES)
        if unknown:
            raise ValueError(f"unknown engine(s): {', '.join(sorted(unknown))}")
        if "postgresql" in self.engines:
            BenchDatabase.postgresql(self.postgres_url)  # refuses a name without "bench"


def _say(config: BenchConfig, message: str) -> None:
    line = f"[{time.monotonic() - config.started:6.1f} s] {message}"
    config.log.append(line)
    print(line, flush=True)


def _base_env(static_root: Path) -> dict[str, str]:
    """Production-like settings (DEBUG off, fresh secret key) for every subprocess of a run."""
    env = {
        name: value
        for name, value in os.environ.items()
        if name not in _STRIPPED_ENV and not name.startswith("GUNICORN_")
    }
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "kompass.settings",
            "DEBUG": "false",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "ALLOWED_HOSTS": "127.0.0.1",
            "SECURE_SSL_REDIRECT": "false",
            "STATIC_ROOT": str(static_root),
            "LOG_LEVEL": "WARNING",
        }
    )
    return env


def run_steps(plan: list[dict], *, env: dict[str, str], timeout: float = 900) -> list[dict]:
    """Run bench.steps in a subprocess with `env`; return its per-step results."""
    try:
        completed = subprocess.run(  # noqa: S603 - our own interpreter and module
            [sys.executable, "-m", "bench.steps", json.dumps(plan)],
            cwd=REPO_ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired as error:
        raise StepError(
            f"steps {[s['step'] for s in plan]} took longer than {timeout} s"
        ) from error
    for line in completed.stdout.splitlines():
        if line.startswith(RESULT_MARKER) and completed.returncode == 0:
            return json.loads(line.removeprefix(RESULT_MARKER))
    output = (completed.stderr or completed.stdout).strip().splitlines()
    raise StepError(
        f"steps {[s['step'] for s in plan]} failed (exit {completed.returncode}):\n"
        + "\n".join(output[-25:])
    )


def _collectstatic(env: dict[str, str], log_path: Path, *, compress: bool) -> subprocess.Popen:
    """Start collecting the static files in the background (it needs no database)."""
    plan = json.dumps([{"step": "collectstatic", "compress": compress}])
    with log_path.open("w", encoding="utf-8") as log:
        return subprocess.Popen(  # noqa: S603 - our own interpreter and module
            [sys.executable, "-m", "bench.steps", plan],
            cwd=REPO_ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )


def _check_target(name: str, figures: dict) -> dict:
    figure, limit, label = TARGETS[name]
    value = figures
    for part in figure.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return {
        "target": label,
        "meets_target": value is not None and value < limit,
    }


def _measure_page(
    config: BenchConfig, *, base_url: str, urls: list[str], headers: dict[str, str]
) -> dict:
    """Warm up, then load the URL mix with config.clients clients, then with one client alone."""
    load_args = {"base_url": base_url, "paths": urls, "headers": headers}
    run_load(
        **load_args,
        clients=config.clients,
        requests=config.warmup_requests,
        max_seconds=config.max_seconds,
    )
    load = run_load(
        **load_args,
        clients=config.clients,
        requests=config.requests,
        max_seconds=config.max_seconds,
    )
    # One client alone: the time a request takes without waiting for a free worker.
    single = run_load(
        **load_args,
        clients=1,
        requests=config.single_client_requests,
        max_seconds=config.max_seconds,
    )
    figures = summarise(load)
    single_figures = summarise(single)
    figures["single_client"] = {
        key: single_figures[key] for key in ("p50_ms", "p95_ms", "requests", "errors", "rps")
    }
    figures["workers"] = config.workers
    return figures


def _database_for(engine: str, config: BenchConfig) -> BenchDatabase:
    if engine == "sqlite":
        return BenchDatabase.sqlite(config.work_dir / f"bench-{os.getpid()}.sqlite3")
    return BenchDatabase.postgresql(config.postgres_url)


def _run_engine(
    engine: str,
    *,
    config: BenchConfig,
    env: dict[str, str],
    gv100ad_file: Path,
    static_ready,
) -> dict[str, dict]:
    """All scenarios on one engine; returns {"<scenario>:<engine>": figures}."""
    database = _database_for(engine, config)
    scenarios: dict[str, dict] = {}
    try:
        database.create()
        version = database.server_version()
    except DatabaseUnavailable as error:
        _say(config, f"    skipped: {error}")
        for name in TARGETS:
            scenarios[f"{name}:{engine}"] = {
                "scenario": name,
                "engine": engine,
                "skipped": str(error),
            }
        return scenarios

    engine_env = {**env, "DATABASE_URL": database.url}
    common = {"engine": engine, "engine_version": version}
    try:
        plan: list[dict] = [
            {"step": "migrate", "from_models": config.schema_from_models},
            {"step": "catalogue_import", "directory": str(config.catalogue_dir)},
        ]
        if not gv100ad_file.exists():
            plan.append(
                {
                    "step": "gv100ad_write",
                    "source": str(config.gemeinden_csv),
                    "target": str(gv100ad_file),
                }
            )
        plan += [
            {"step": "gv100ad_import", "path": str(gv100ad_file)},
            {"step": "search_urls"},
            {"step": "page_queries"},
            {"step": "demo_setup"},
            {"step": "relevance_urls"},
            {"step": "session", "username": "betrieb"},
        ]
        _say(config, "    migrate, imports, demo set-up, SQL statements per page …")
        results = {item["step"]: item for item in run_steps(plan, env=engine_env)}

        catalogue = results["catalogue_import"]
        scenarios[f"catalogue_import:{engine}"] = {
            "scenario": "catalogue_import",
            **common,
            "seconds": round(catalogue["seconds"], 3),
            "queries": catalogue["queries"],
            "rows": catalogue["rows"],
            **_check_target("catalogue_import", catalogue),
        }
        gv100ad = results["gv100ad_import"]
        scenarios[f"gv100ad_import:{engine}"] = {
            "scenario": "gv100ad_import",
            **common,
            "seconds": round(gv100ad["seconds"], 3),
            "queries": gv100ad["queries"],
            "rows": gv100ad["rows"],
            "file_bytes": gv100ad_file.stat().st_size,
            **_check_target("gv100ad_import", gv100ad),
        }
        _say(
            config,
            f"    catalogue import {catalogue['seconds']:.2f} s, "
            f"GV100AD import {gv100ad['seconds']:.2f} s",
        )

        # scenario → (URL mix, SQL statements per URL, request headers)
        pages = {
            "catalogue_search": (
                results["search_urls"]["urls"],
                results["page_queries"]["queries_per_url"],
                {},
            ),
            "relevance_matrix": (
                results["relevance_urls"]["urls"],
                results["relevance_urls"]["queries_per_url"],
                {"Cookie": results["session"]["cookie"]},
            ),
        }
        static_ready()

        with gunicorn_server(
            env=engine_env,
            log_path=config.work_dir / f"gunicorn-{engine}.log",
            workers=config.workers,
            ready_path=pages["catalogue_search"][0][0],
        ) as base_url:
            for name in PAGE_SCENARIOS:
                urls, queries_per_url, headers = pages[name]
                _say(
                    config,
                    f"    {name}: gunicorn ({config.workers} workers), {config.clients} clients, "
                    f"{config.requests} requests …",
                )
                figures = _measure_page(config, base_url=base_url, urls=urls, headers=headers)
                figures["queries"] = max(queries_per_url.values())
                for url, count in queries_per_url.items():
                    figures["urls"].setdefault(url, {})["queries"] = count
                scenarios[f"{name}:{engine}"] = {
                    "scenario": name,
                    **common,
                    **figures,
                    **_check_target(name, figures),
                }
                _say(
                    config,
                    f"    {name} p50 {figures['p50_ms']:.1f} ms, p95 {figures['p95_ms']:.1f} ms, "
                    f"{figures['rps']} req/s, {figures['errors']} errors",
                )
    except Exception as error:
        _say(config, f"    FAILED: {error}")
        for name in TARGETS:
            scenarios.setdefault(
                f"{name}:{engine}", {"scenario": name, **common, "error": str(error)}
            )
    finally:
        database.drop()
    return scenarios


def run_benchmark(config: BenchConfig) -> dict:
    """Run every scenario on every engine of `config`; return the figures for latest.json."""
    config.work_dir.mkdir(parents=True, exist_ok=True)
    started = datetime.now(UTC)
    load_before = load_average()
    scratch = Path(tempfile.mkdtemp(prefix="run-", dir=config.work_dir))
    static_root = scratch / "static"
    env = _base_env(static_root)
    collectstatic = _collectstatic(
        env, scratch / "collectstatic.log", compress=config.compress_static
    )

    def static_ready() -> None:
        if collectstatic.wait(timeout=300) != 0:
            log = (scratch / "collectstatic.log").read_text(encoding="utf-8", errors="replace")
            raise StepError(f"collectstatic failed:\n{log[-3000:]}")

    scenarios: dict[str, dict] = {}
    try:
        for engine in config.engines:
            _say(config, f"==> {engine}")
            scenarios.update(
                _run_engine(
                    engine,
                    config=config,
                    env=env,
                    gv100ad_file=scratch / "gv100ad.txt",
                    static_ready=static_ready,
                )
            )
    finally:
        if collectstatic.poll() is None:
            collectstatic.terminate()
            collectstatic.wait()
        shutil.rmtree(scratch, ignore_errors=True)

    return {
        "generated_at": started.isoformat(timespec="seconds"),
        "duration_seconds": round(time.time() - started.timestamp(), 1),
        "scale": config.scale,
        "machine": machine_info(REPO_ROOT),
        # Load averages (1, 5, 15 min) when the run started and ended; well above 0 means other
        # processes competed for the CPU and the figures are pessimistic.
        "load_average": {"before": load_before, "after": load_average()},
        "load": {
            "server": "gunicorn -c gunicorn.conf.py kompass.wsgi",
            "workers": config.workers,
            "clients": config.clients,
            "requests": config.requests,
            "warmup_requests": config.warmup_requests,
            "single_client_requests": config.single_client_requests,
            "max_seconds": config.max_seconds,
        },
        "targets": {name: label for name, (_figure, _limit, label) in TARGETS.items()},
        "scenarios": scenarios,
    }


def failed_scenarios(results: dict) -> list[str]:
    """Names of scenarios that errored (skipped engines do not count as failures)."""
    return [key for key, figures in results["scenarios"].items() if "error" in figures]
