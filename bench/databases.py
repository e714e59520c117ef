"""The bench's own throw-away databases: a SQLite file under bench/work/, a PostgreSQL database.

Both are created empty before a run and removed afterwards. The PostgreSQL name must contain
"bench", so that a mistyped URL can never drop a real database.
"""

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

DEFAULT_POSTGRES_URL = "postgres://postgres@127.0.0.1:5432/kompass_bench"


class DatabaseUnavailable(RuntimeError):
    """The database server cannot be reached; the engine is skipped with this reason."""


@dataclass(frozen=True)
class BenchDatabase:
    """One database the bench migrates, fills, serves from and drops."""

    engine: str  # "sqlite" or "postgresql"
    url: str

    @classmethod
    def sqlite(cls, path: Path) -> "BenchDatabase":
        return cls(engine="sqlite", url=f"sqlite:///{path.resolve()}")

    @classmethod
    def postgresql(cls, url: str) -> "BenchDatabase":
        name = _pg_name(url)
        if "bench" not in name:
            raise ValueError(
                f"The bench drops its PostgreSQL database afterwards; its name must contain "
                f"'bench' ({name!r} does not)."
            )
        return cls(engine="postgresql", url=url)

    @property
    def sqlite_path(self) -> Path:
        return Path(self.url.removeprefix("sqlite:///"))

    def create(self) -> None:
        """Start from an empty database (dropping what a previous, aborted run left behind)."""
        if self.engine == "sqlite":
            self.drop()
            self.sqlite_path.parent.mkdir(parents=True, exist_ok=True)
            return
        from psycopg import sql

        with _pg_maintenance_connection(self.url) as conn:
            name = sql.Identifier(_pg_name(self.url))
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(name))
            conn.execute(sql.SQL("CREATE DATABASE {}").format(name))

    def drop(self) -> None:
        if self.engine == "sqlite":
            for suffix in ("", "-wal", "-shm", "-journal"):
                Path(f"{self.sqlite_path}{suffix}").unlink(missing_ok=True)
            return
        from psycopg import sql

        with _pg_maintenance_connection(self.url) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                    sql.Identifier(_pg_name(self.url))
                )
            )

    def server_version(self) -> str:
        """The engine's version, e.g. "SQLite 3.40.1" or "PostgreSQL 15.20"."""
        if self.engine == "sqlite":
            import sqlite3

            return f"SQLite {sqlite3.sqlite_version}"
        with _pg_maintenance_connection(self.url) as conn:
            version = conn.execute("SHOW server_version").fetchone()[0]
        return f"PostgreSQL {version.split()[0]}"


def _pg_name(url: str) -> str:
    return unquote(urlsplit(url).path.lstrip("/"))


def _pg_maintenance_connection(url: str):
    """An autocommit connection to the server's "postgres" database (CREATE/DROP DATABASE)."""
    import psycopg

    parts = urlsplit(url)
    try:
        return psycopg.connect(
            host=parts.hostname or "127.0.0.1",
            port=parts.port or 5432,
            user=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
            dbname="postgres",
            autocommit=True,
            connect_timeout=5,
        )
    except psycopg.OperationalError as error:
        raise DatabaseUnavailable(
            f"PostgreSQL at {parts.hostname}:{parts.port or 5432} is not reachable ({error})".strip()
        ) from error
