"""Operations for migrations that only PostgreSQL can do (SQLite keeps working without them)."""

import logging

from django.db import DatabaseError, migrations, transaction

logger = logging.getLogger(__name__)


def trigram_index(*, table: str, column: str, name: str) -> migrations.RunPython:
    """A GIN trigram index, so that `column LIKE '%term%'` (our German-folded search) is served
    from an index on PostgreSQL. Needs the extension pg_trgm, which PostgreSQL ≥ 13 lets every
    database owner create; where that is refused, the search still works, only slower."""

    def create(apps, schema_editor) -> None:
        if schema_editor.connection.vendor != "postgresql":
            return
        try:
            with transaction.atomic(using=schema_editor.connection.alias):
                schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        except DatabaseError as error:
            logger.warning(
                "pg_trgm is not available (%s); %s is searched without index.", error, table
            )
            return
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON {table} USING gin ({column} gin_trgm_ops)"
        )

    def drop(apps, schema_editor) -> None:
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(f"DROP INDEX IF EXISTS {name}")

    return migrations.RunPython(create, drop, elidable=False)
