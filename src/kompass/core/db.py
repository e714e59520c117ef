"""Database helpers shared by the importers."""

from django.db import connection, models


def tables_analyze(*model_classes: type[models.Model]) -> None:
    """Refresh the query planner's statistics of these tables after a bulk load.

    Autovacuum would do it too, but only a while later: until then PostgreSQL plans the first
    requests after an import for the tables as they were before (e.g. empty), and picks slow plans.
    """
    with connection.cursor() as cursor:
        for model_class in model_classes:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(model_class._meta.db_table)}")
