"""Write a run's figures: the full JSON (bench/latest.json) and a short Markdown table (bench/README.md)."""

import json
import textwrap
from pathlib import Path

SCENARIO_TITLES = {
    "catalogue_import": "Catalogue import (whole shipped catalogue, fresh database)",
    "gv100ad_import": "GV100AD import (all of Germany, raw fixed-width file)",
    "catalogue_search": "Catalogue list page with search/filters, via gunicorn",
    "relevance_matrix": "Relevance matrix of the largest Themenfeld (signed in), via gunicorn",
    "data_generate": "Data generator (bench/generate.py): all Kommunen of the scale",
    "implementation_list": "Workspace list with filters, sorts, pages (Kommune admin)",
    "implementation_mine": "Workspace list as Bearbeiter (lands on own departments)",
    "implementation_board": "Workspace board, with and without filters",
    "implementation_detail": "Workspace detail of a Leistung with its history",
    "implementation_ozg": "Workspace roll-up per OZG-Leistung",
    "report_aggregates": (
        "Report aggregates: TopicProgress, ProviderProgress, ServiceProgress, OzgProgress rebuilt "
        "set-based after the COPY load"
    ),
    "reports_dashboard": "Kommune dashboard, with a Fachbereich filter, and its print page",
    "reports_global": "Global Reifegrad of Leistungen and OZG-Leistungen (as operator)",
    "reports_benchmark": "Benchmark of a Kommune among comparable Kommunen",
    "reports_heatmap": "Provider heat map of all Kommunen of the scale, paginated and filtered",
    "workspace_export": "XLSX export of a Kommune's whole Leistungen list",
    "heatmap_export": "Heat map export of all Kommunen, built by the background worker",
    "solutions_gaps": "Lücken und Angebote (gap list with ~500 solutions), pages and filter",
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
            f"{figures.get('clients', '?')} clients: p50 {figures['p50_ms']:.1f} ms, "
            f"p95 {figures['p95_ms']:.1f} ms, {figures['rps']} req/s "
            f"({figures['requests']} requests, {figures['errors']} errors)"
        )
        single = figures.get("single_client")
        if single:
            cell += (
                f"; one client alone: p50 {single['p50_ms']:.1f} ms, p95 {single['p95_ms']:.1f} ms"
            )
        if "floor_ms" in figures:
            cell += f"; floor p50 {figures['floor_ms']:.1f} ms, ratio {figures['ratio']:.2f}"
            if "data_floor_ms" in figures:
                cell += (
                    f" (the page's SQL replayed {figures['page_sql_ms']:.1f} ms; the hand-written "
                    f"data statements alone {figures['data_floor_ms']:.1f} ms, "
                    f"ratio {figures['data_ratio']:.2f})"
                )
        if "inprocess_ms" in figures:
            cell += (
                f"; in-process median {figures['inprocess_ms']:.1f} ms, of it SQL "
                f"{figures['sql_ms']:.1f} ms, Python {figures['python_ms']:.1f} ms"
            )
        memory = (figures.get("export") or {}).get("memory")
        if memory:
            peaks = ", ".join(
                f"{item['peak_mib']:.1f} MiB for {item['rows']:,} rows"
                for item in sorted(memory, key=lambda m: m["rows"])
            )
            cell += f"; peak Python memory of one export (tracemalloc): {peaks}"
        return cell
    if "xlsx" in figures and "csv" in figures:
        xlsx, csv = figures["xlsx"], figures["csv"]
        return (
            f"{xlsx['rows']:,} rows: XLSX {xlsx['seconds']:.1f} s ({xlsx['bytes'] / 2**20:.1f} MiB, "
            f"peak Python memory {xlsx['peak_mib']:.1f} MiB), CSV {csv['seconds']:.1f} s "
            f"({csv['bytes'] / 2**20:.1f} MiB)"
        )
    if "rebuilt_rows" in figures:
        return (
            f"{figures['seconds']:.1f} s, {figures['rebuilt_rows']:,} rows for "
            f"{figures['kommunen']:,} Kommunen"
        )
    if "rows_per_second" in figures:
        total = sum(figures["rows"].values())
        return (
            f"{figures['seconds']:.1f} s, {total:,} rows ({figures['rows_per_second']:,} rows/s) "
            f"for {figures['kommunen']:,} Kommunen"
        )
    return f"{figures['seconds']:.2f} s"


def _met_cell(figures: dict) -> str:
    if "meets_target" not in figures:
        return "–"
    cells = ["yes" if figures["meets_target"] else "**no**"]
    for key, what in (("load_target", "8 clients"), ("ratio_target", "ratio")):
        verdict = figures.get(f"meets_{key}")
        if verdict is not None:
            cells.append(("yes" if verdict else "**no**") + f" ({what})")
        elif key in figures:
            # Named, but judged only at the scale it names (bench.run.judge_scale_targets).
            cells.append(f"– ({what}: judged at SCALE=de)")
    return "; ".join(cells)


def _target_cell(results: dict, figures: dict) -> str:
    cells = [figures.get("target") or results["targets"].get(figures["scenario"], "–")]
    for key in ("load_target", "ratio_target"):
        if key in figures:
            cells.append(figures[key])
    return "; ".join(cells)


def _queries_cell(figures: dict) -> str:
    if "queries" not in figures:
        return "–"
    if "urls" in figures:  # page scenarios
        return f"≤ {figures['queries']} per page"
    return f"{figures['queries']:,}"


def markdown(results: dict) -> str:
    """bench/README.md: how to run the bench, the machine, and one table row per scenario."""
    load = results["load"]
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
        "client. "
        "Before the pages are measured, `bench/generate.py` fills the database for `--scale` "
        "(nrw: all NRW Kommunen, de: all of Germany) with a fixed seed: relevance decisions, "
        "Fachbereiche, implementation records for 40–95 % of each Kommune's relevant Leistungen "
        "with history and checklist steps (COPY on PostgreSQL). The workspace scenarios "
        "(`implementation_*`) load the pages of the four Kommunen with the most relevant "
        "Leistungen and of the largest Kreis, signed in as their Kommune admin (or Bearbeiter), "
        f"with {load.get('workspace_clients', 8)} concurrent clients and then one client alone; "
        "on PostgreSQL their floor (the SQL the page fundamentally needs: the access check with "
        "session, user, roles and Kommune, the choices the page shows and its data; the faster "
        "of the statements hand-written in `bench/floor.py` and the page's own statements "
        "replayed, both timed with psycopg, unprepared as the application sends them, in rounds "
        "between the parts of the page's one-client run) gives the ratio page p50 (one client) / "
        "floor p50; the ratio over the hand-written data statements alone (the floor of the "
        "earlier rounds) is shown beside it. "
        "The generator also writes ~500 published solutions with coverage and usages "
        "(solutions.services.solutions_sample_create) and rebuilds the report aggregates "
        "(reports.services.topic_progress_rebuild, which also sums them per provider, and "
        "progress_rebuild, timed). The evaluation and marketplace "
        "scenarios (`reports_*`, `workspace_export`, `solutions_gaps`) are measured the same "
        f"way with {load.get('report_requests', '?')} requests from "
        f"{load.get('workspace_clients', 8)} clients and {load.get('report_single_requests', '?')} "
        "from one; the Kommune pages as the measured Kommunen's admin, the global views and the "
        "heat map as the bench provider's operator. For them the run also shows the in-process "
        "split (Django's test client in the bench process, DEBUG off, median of 3 per URL): the "
        "time of the SQL statements and the rest (Python: ORM, templates, XLSX writing), and for "
        "the export the peak Python memory of one export (tracemalloc). "
        f"Workspace scenarios run on: {', '.join(load.get('workspace_engines', []))}. "
        "Every run rewrites this file and `latest.json` (`latest-de.json` at scale de; all "
        "figures, also per URL)."
    )
    last_run = _last_run(results)
    lines = [
        "# Benchmarks",
        "",
        textwrap.fill(about, width=100),
        "",
        *_table(results, last_run),
    ]
    return "\n".join(lines)


def _table(results: dict, last_run: str) -> list[str]:
    lines = [
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
            f"{_target_cell(results, figures)} | {_met_cell(figures)} | "
            f"{_queries_cell(figures)} |"
        )
    lines.append("")
    return lines


def _last_run(results: dict) -> str:
    machine = results["machine"]
    ram = f"{machine['ram_gib']} GiB RAM" if machine.get("ram_gib") else "RAM unknown"
    commit = f", commit {machine['git_commit']}" if machine.get("git_commit") else ""
    return (
        f"Last run: {results['generated_at']}, scale `{results['scale']}`. Machine: "
        f"{machine['nproc']} CPU cores (nproc), {ram}, {machine['cpu_model']}, "
        f"{machine['system']}, Python {machine['python']}{commit}. "
        f"Load average (1/5/15 min) before the run {_load(results, 'before')}, "
        f"after {_load(results, 'after')}: anything well above 0 means that other processes "
        "competed for the CPU and the figures are pessimistic. "
        f"{_cpu(results)}"
    )


def _cpu(results: dict) -> str:
    cpu = results.get("cpu_ms")
    if not cpu:
        return ""
    return (
        f"One core's time for a fixed Python workload (bench/machine.py, cpu_ms) before the run "
        f"{cpu['before']} ms, after {cpu['after']} ms: pages and floors scale roughly with it, "
        "so compare runs on different machines by it."
    )


def write_markdown(results: dict, path: Path, *, other: dict | None = None) -> None:
    """README.md: the run's table and, when given, the last run of the other scale (`de` runs
    go to latest-de.json, the others to latest.json, so that one never hides the other)."""
    text = markdown(results)
    if other:
        text += "\n".join(
            [
                "",
                f"## The last run at scale `{other['scale']}`",
                "",
                *_table(other, _last_run(other)),
            ]
        )
    path.write_text(text, encoding="utf-8")
