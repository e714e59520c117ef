"""Benchmarks for OZG-Kompass: `make bench` (or `.venv/bin/python -m bench --scale nrw|de`).

The orchestrator in this package does not import Django: every step that needs the project runs in
a subprocess against the bench's own database (bench/work/ for SQLite, a throw-away PostgreSQL
database), so that SQLite and PostgreSQL can be measured in one run and db.sqlite3 is never touched.
Figures go to bench/latest.json and a table to bench/README.md.
"""

from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
REPO_ROOT = BENCH_DIR.parent
