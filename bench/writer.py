"""Bulk writing for the data generator: COPY on PostgreSQL, chunked executemany on SQLite.

Runs inside a `python -m bench.steps` process (Django set up) on Django's own connection, so the
generated rows belong to the step's transaction. On PostgreSQL the tables that get millions of
rows load without their secondary indexes and constraints (`without_indexes`): they are dropped
before COPY and re-created afterwards from their own definitions, which is several times faster
than maintaining them row by row, and ANALYZE then gives the planner fresh statistics.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterable, Iterator, Sequence

from django.db import connection, transaction

SQLITE_CHUNK = 5000
# Index builds, constraint validations and ANALYZEs that took longer than half a second.
SLOW_STATEMENTS: list[str] = []


def is_postgresql() -> bool:
    return connection.vendor == "postgresql"


def _quote(name: str) -> str:
    return connection.ops.quote_name(name)


def next_id(table: str) -> int:
    """The first id after the table's highest one (the generator assigns ids itself, so that
    history rows can point at records without reading the records back)."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COALESCE(MAX(id), 0) + 1 FROM {_quote(table)}")  # noqa: S608
        return cursor.fetchone()[0]


def sequence_reset(table: str) -> None:
    """Move the id sequence past the ids written explicitly (PostgreSQL; SQLite needs nothing)."""
    if not is_postgresql():
        return
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT setval(pg_get_serial_sequence(%s, 'id'), "  # noqa: S608
            f"(SELECT COALESCE(MAX(id), 1) FROM {_quote(table)}))",
            [table],
        )


def write_rows(table: str, columns: Sequence[str], rows: Iterable[Sequence]) -> int:
    """Append rows (tuples in the order of `columns`) to `table`; returns how many were written."""
    column_list = ", ".join(_quote(column) for column in columns)
    written = 0
    with connection.cursor() as cursor:
        if is_postgresql():
            raw = cursor.cursor  # the psycopg 3 cursor under Django's wrapper
            with raw.copy(f"COPY {_quote(table)} ({column_list}) FROM STDIN") as copy:
                write = copy.write_row
                for row in rows:
                    write(row)
                    written += 1
            return written
        placeholders = ", ".join("%s" for _column in columns)
        sql = f"INSERT INTO {_quote(table)} ({column_list}) VALUES ({placeholders})"  # noqa: S608
        chunk: list[Sequence] = []
        for row in rows:
            chunk.append(row)
            if len(chunk) >= SQLITE_CHUNK:
                cursor.executemany(sql, chunk)
                written += len(chunk)
                chunk = []
        if chunk:
            cursor.executemany(sql, chunk)
            written += len(chunk)
    return written


@contextlib.contextmanager
def without_indexes(tables: Sequence[str], *, commit: bool = False) -> Iterator[None]:
    """PostgreSQL: drop the tables' secondary indexes and non-primary-key constraints, and
    re-create them (validating the foreign keys in one pass each) after the block; then ANALYZE.
    Other engines: just ANALYZE afterwards.

    commit: run outside the caller's transaction (there must be none): the drop is committed
    before the block, so that other connections can load the tables meanwhile.
    """
    if not is_postgresql():
        yield
        analyze(tables)
        return
    if commit and connection.in_atomic_block:
        raise RuntimeError("without_indexes(commit=True) needs autocommit.")
    saved: list[tuple[str, list[tuple[str, str]], list[str]]] = []
    with transaction.atomic(), connection.cursor() as cursor:
        # Deferred foreign key checks of earlier writes would block ALTER TABLE: run them now.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        for table in tables:
            cursor.execute(
                # CHECK constraints stay: they cost little per row and would need a scan each.
                "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
                "WHERE conrelid = %s::regclass AND contype IN ('u', 'f') "
                "ORDER BY contype DESC, conname",
                [table],
            )
            constraints = cursor.fetchall()
            cursor.execute(
                "SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.tablename = %s "
                "AND NOT EXISTS (SELECT 1 FROM pg_constraint c "
                "WHERE c.conrelid = %s::regclass AND c.conname = i.indexname)",
                [table, table],
            )
            indexes = cursor.fetchall()
            for name, _definition in constraints:
                cursor.execute(f"ALTER TABLE {_quote(table)} DROP CONSTRAINT {_quote(name)}")
            for name, _definition in indexes:
                cursor.execute(f"DROP INDEX {_quote(name)}")
            saved.append((table, constraints, [definition for _name, definition in indexes]))
    yield
    index_definitions = [sql for _table, _constraints, indexes in saved for sql in indexes]
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL maintenance_work_mem = '1GB'")
        for table, constraints, _indexes in saved:
            # Unique constraints first (they create the indexes the foreign keys' checks use).
            for name, definition in constraints:
                _timed_ddl(
                    cursor,
                    f"ALTER TABLE {_quote(table)} ADD CONSTRAINT {_quote(name)} {definition}",
                )
        if not commit:
            for definition in index_definitions:
                _timed_ddl(cursor, definition)
    if commit:
        _create_indexes_concurrently(index_definitions)
    analyze(tables)


def _create_indexes_concurrently(definitions: list[str], connections: int = 2) -> None:
    """Build the indexes on `connections` connections at once (CREATE INDEX statements on the
    same table do not block each other); each commits on its own."""
    import queue
    import threading

    import psycopg

    database = connection.settings_dict
    params = {
        "dbname": database["NAME"],
        "user": database["USER"] or None,
        "password": database["PASSWORD"] or None,
        "host": database["HOST"] or None,
        "port": database["PORT"] or None,
    }
    pending: queue.Queue[str] = queue.Queue()
    for definition in definitions:
        pending.put(definition)
    errors: list[BaseException] = []

    def work() -> None:
        try:
            with psycopg.connect(**params, autocommit=True) as own, own.cursor() as cursor:
                cursor.execute("SET maintenance_work_mem = '512MB'")
                while True:
                    try:
                        definition = pending.get_nowait()
                    except queue.Empty:
                        return
                    _timed_ddl(cursor, definition)
        except BaseException as error:  # re-raised in the calling thread
            errors.append(error)

    threads = [threading.Thread(target=work) for _number in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]


def _timed_ddl(cursor, statement: str) -> None:
    started = time.perf_counter()
    cursor.execute(statement)
    seconds = time.perf_counter() - started
    if seconds > 0.5:
        SLOW_STATEMENTS.append(f"{seconds:6.1f} s  {statement[:120]}")


def analyze(tables: Sequence[str]) -> None:
    """Refresh the planner's statistics of the tables (ANALYZE on both engines). On PostgreSQL
    outside a transaction also VACUUM, as autovacuum would do after a while: it sets the
    visibility map, so that covering indexes answer from the index alone (index-only scans)."""
    vacuum = connection.vendor == "postgresql" and not connection.in_atomic_block
    with connection.cursor() as cursor:
        for table in tables:
            _timed_ddl(cursor, f"{'VACUUM (ANALYZE)' if vacuum else 'ANALYZE'} {_quote(table)}")


def checkpoint() -> None:
    """On PostgreSQL write every page the load changed to disk now (CHECKPOINT), as the server
    does in the background over the next minutes otherwise: the pages are then measured on a
    database at rest, not beside the checkpointer flushing gigabytes."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            _timed_ddl(cursor, "CHECKPOINT")
