"""Write a run's figures: the full JSON (bench/latest.json) and a short Markdown table (bench/README.md)."""

import json
import textwrap
from pathlib import Path

SCENARIO_TITLES = {
    "catalogue_import": "Catalogue import (whole shipped catalogue, fresh database)",
    "gv100ad_import": "GV100AD import (all of Germany, raw fixed-width file)",
    "catalogue_search": "Catalogue list page with search/filters, via gunicorn",
    "relevance_matrix": "Relevance matrix of the largest Themenfeld (signed in), via gunicorn",
}
ENGINE_TITLES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}


def write_json(results: dict, path: Path) -> None:
    path.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def _load(results: dict, moment: str) -> str:
    values = results.get("load_average", {}).get(moment)
    return " / ".join(f"{value:.2f}" for value in values) if values else "unknown"


def _result_cell(figures: dict) -> str:
    if "skipped" in figures:
        return f"skipped: {figures['skipped']}"
    if "error" in figures:
        return "failed: " + figures["error"].splitlines()[0]
    if "p95_ms" in figures:
        cell = (
            f"p50 {figures['p50_ms']:.1f} ms, p95 {figures['p95_ms']:.1f} ms, "
            f"{figures['rps']} req/s ({figures['requests']} requests, {figures['errors']} errors)"
        )
        single = figures.get("single_client")
        if single:
            cell += (
                f"; one client alone: p50 {single['p50_ms']:.1f} ms, p95 {single['p95_ms']:.1f} ms"
            )
        return cell
    return f"{figures['seconds']:.2f} s"


def _met_cell(figures: dict) -> str:
    if "meets_target" not in figures:
        return "–"
    return "yes" if figures["meets_target"] else "**no**"


def _queries_cell(figures: dict) -> str:
    if "queries" not in figures:
        return "–"
    if "urls" in figures:  # page scenarios
        return f"≤ {figures['queries']} per page"
    return f"{figures['queries']:,}"


def markdown(results: dict) -> str:
    """bench/README.md: how to run the bench, the machine, and one table row per scenario."""
    machine = results["machine"]
    load = results["load"]
    ram = f"{machine['ram_gib']} GiB RAM" if machine.get("ram_gib") else "RAM unknown"
    commit = f", commit {machine['git_commit']}" if machine.get("git_commit") else ""
    about = (
        "`make bench` (or `.venv/bin/python -m bench --scale nrw|de`, see `--help`) runs these "
        "scenarios on throw-away databases: a SQLite file in `bench/work/` and the PostgreSQL "
        "database `kompass_bench` on 127.0.0.1:5432, both created, migrated and dropped by the "
        "run. The imports are timed around the import function alone. Each page scenario is "
        f"served by `{load['server']}` with {load['workers']} workers, DEBUG off and collected "
        f"static files; {load['clients']} concurrent clients send {load['requests']} requests "
        f"(at most {load['max_seconds']:g} seconds) over the scenario's URL mix, after "
        f"{load['warmup_requests']} warm-up requests; then one client alone sends "
        f"{load.get('single_client_requests', 0)} more (latency without waiting for a free worker). "
        "A page target whose issue names no concurrency is judged on the run with one client; the "
        "concurrent run shows throughput and queueing on this 2-core machine, where the clients, "
        "the workers and the database share the cores. "
        "Latency is measured by the client (request "
        "sent to body read); SQL statements per page are counted separately with Django's test "
        "client. `--scale` is recorded; the data sets that depend on it come with the "
        "implementation scenarios. Every run rewrites this file and `latest.json` (all figures, "
        "also per URL)."
    )
    last_run = (
        f"Last run: {results['generated_at']}, scale `{results['scale']}`. Machine: "
        f"{machine['nproc']} CPU cores (nproc), {ram}, {machine['cpu_model']}, "
        f"{machine['system']}, Python {machine['python']}{commit}. "
        f"Load average (1/5/15 min) before the run {_load(results, 'before')}, "
        f"after {_load(results, 'after')}: anything well above 0 means that other processes "
        "competed for the CPU and the figures are pessimistic."
    )
    lines = [
        "# Benchmarks",
        "",
        textwrap.fill(about, width=100),
        "",
        textwrap.fill(last_run, width=100),
        "",
        "| Scenario | Engine | Result | Target | Met | SQL statements |",
        "|---|---|---|---|---|---|",
    ]
    for figures in results["scenarios"].values():
        name = figures["scenario"]
        engine = figures.get("engine_version") or ENGINE_TITLES.get(figures["engine"])
        lines.append(
            f"| {SCENARIO_TITLES.get(name, name)} | {engine} | {_result_cell(figures)} | "
            f"{results['targets'].get(name, '–')} | {_met_cell(figures)} | "
            f"{_queries_cell(figures)} |"
        )
    lines.append("")
    return "\n".join(lines)


def write_markdown(results: dict, path: Path) -> None:
    path.write_text(markdown(results), encoding="utf-8")
