"""Database helpers shared by the importers: bulk writes, a lock per job, planner statistics.

``rows_insert`` and ``rows_update`` write many model instances with one statement per batch. They
replace ``bulk_create``/``bulk_update`` where a whole catalogue or Gemeindeverzeichnis is written:
``bulk_update`` compiles a ``CASE WHEN pk = … THEN …`` per row and field (minutes for every
Kommune of Germany), and on SQLite ``bulk_create`` is slower than a plain multi-row INSERT. Like
those, they call no ``save()``, send no signals and validate nothing.

The statements (PostgreSQL, and SQLite ≥ 3.37 which Django 6 requires):

* PostgreSQL: one array per column, ``INSERT … SELECT * FROM UNNEST(%s::type[], …)`` and
  ``UPDATE … FROM UNNEST(…) AS v``. The statement has one parameter per column whatever the
  number of rows, so it is cheap to build and to plan (Django's bulk_create does the same).
* SQLite, and PostgreSQL for columns that cannot be put into an array: multi-row
  ``VALUES (…), (…)`` batches, as many rows as the parameter limit allows.
"""

import hashlib
from collections.abc import Iterable, Sequence

from django.db import NotSupportedError, connection, models

VALUES_BATCH_SIZE = 500  # rows per VALUES statement (SQLite's parameter limit may lower it)
ARRAY_BATCH_SIZE = 5000  # rows per UNNEST statement (PostgreSQL)


def tables_analyze(*model_classes: type[models.Model]) -> None:
    """Refresh the query planner's statistics of these tables after a bulk load.

    Autovacuum would do it too, but only a while later: until then PostgreSQL plans the first
    requests after an import for the tables as they were before (e.g. empty), and picks slow plans.
    """
    with connection.cursor() as cursor:
        for model_class in model_classes:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(model_class._meta.db_table)}")


def transaction_lock_try(*, name: str) -> bool:
    """Take the exclusive lock ``name`` until the current transaction ends, if nobody holds it.

    Returns False at once, without waiting, when another transaction holds it. For jobs that must
    not run twice at the same time (two catalogue imports): the second is refused with a clear
    message instead of waiting or failing later on a unique index.

    PostgreSQL: a transaction-level advisory lock, released by COMMIT or ROLLBACK, also when the
    process dies. SQLite lets only one transaction write at a time anyway (the settings open every
    transaction with BEGIN IMMEDIATE, so a second writer waits for the first), so there this
    returns True.
    """
    if not connection.in_atomic_block:
        raise RuntimeError("transaction_lock_try needs a transaction (transaction.atomic).")
    if connection.vendor != "postgresql":
        return True
    # Advisory locks are identified by a bigint; derive a stable one from the name.
    key = int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [key])
        return bool(cursor.fetchone()[0])


def rows_insert(model: type[models.Model], instances: Sequence[models.Model]) -> None:
    """INSERT all ``instances`` (new, without pk) and set their pks, like ``bulk_create``.

    Field defaults are already on the instances; ``auto_now_add`` and the like are applied by
    ``Field.pre_save``. The rows are inserted in the order given.
    """
    if not instances:
        return
    pk_field = model._meta.pk
    fields = [field for field in _writable_fields(model) if field is not pk_field]
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    columns = ", ".join(quote(field.column) for field in fields)
    returning = f"RETURNING {quote(pk_field.column)}"
    arrays = _array_types(fields)
    with connection.cursor() as cursor:
        for batch in _batches(instances, columns=len(fields), arrays=arrays is not None):
            rows = [
                [
                    field.get_db_prep_save(field.pre_save(instance, add=True), connection)
                    for field in fields
                ]
                for instance in batch
            ]
            if arrays is not None:
                # UNNEST yields the rows in array order and INSERT … SELECT keeps it, so the
                # returned pks line up with the batch (Django's bulk_create relies on the same).
                source = f"SELECT * FROM UNNEST({arrays})"  # noqa: S608 - see the module docstring
                params = [list(column) for column in zip(*rows, strict=True)]
            else:
                source = f"VALUES {_values(rows)}"
                params = [value for row in rows for value in row]
            cursor.execute(
                f"INSERT INTO {table} ({columns}) {source} {returning}",
                params,
            )
            for instance, (pk,) in zip(batch, cursor.fetchall(), strict=True):
                instance.pk = pk
                instance._state.adding = False
                instance._state.db = connection.alias


def rows_update(
    model: type[models.Model], instances: Sequence[models.Model], *, fields: Iterable[str]
) -> None:
    """Write the current values of ``fields`` (names or attnames) of ``instances`` to their rows,
    like ``bulk_update``; as there, ``auto_now`` fields change only if listed."""
    by_name = {field.name: field for field in map(model._meta.get_field, fields)}
    model_fields = [by_name[name] for name in sorted(by_name)]
    if not instances or not model_fields:
        return
    writable = _writable_fields(model)
    for field in model_fields:
        if field not in writable or field.primary_key:
            raise ValueError(f"{model._meta.label}.{field.name} cannot be updated in bulk.")
    if any(instance.pk is None for instance in instances):
        raise ValueError(f"{model._meta.label}: an unsaved instance cannot be updated.")
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    pk_field = model._meta.pk
    all_fields = [pk_field, *model_fields]
    arrays = _array_types(all_fields)
    if arrays is not None:
        names = ["pk", *(f"v{index}" for index in range(len(model_fields)))]
        alias = f"v ({', '.join(names)})"
        refs = [f"v.{name}" for name in names]
    else:
        # VALUES columns are called column1, column2, … in both databases. PostgreSQL types them
        # from their literals (text for strings), so they get a CAST to the column's type; SQLite
        # must not (CAST(… AS date) has numeric affinity there: '2025-11-30' would become 2025).
        alias = "v"
        refs = [f"v.column{index}" for index in range(1, len(all_fields) + 1)]
        if connection.vendor == "postgresql":
            refs = [
                f"CAST({ref} AS {field.db_type(connection)})"
                for ref, field in zip(refs, all_fields, strict=True)
            ]
    assignments = ", ".join(
        f"{quote(field.column)} = {ref}" for field, ref in zip(model_fields, refs[1:], strict=True)
    )
    where = f"{table}.{quote(pk_field.column)} = {refs[0]}"
    with connection.cursor() as cursor:
        for batch in _batches(instances, columns=len(all_fields), arrays=arrays is not None):
            rows = [
                [
                    instance.pk,
                    *(
                        field.get_db_prep_save(getattr(instance, field.attname), connection)
                        for field in model_fields
                    ),
                ]
                for instance in batch
            ]
            if arrays is not None:
                source = f"UNNEST({arrays})"
                params = [list(column) for column in zip(*rows, strict=True)]
            else:
                source = f"(VALUES {_values(rows)})"
                params = [value for row in rows for value in row]
            cursor.execute(
                f"UPDATE {table} SET {assignments} "  # noqa: S608 - names from the model, quoted
                f"FROM {source} AS {alias} WHERE {where}",
                params,
            )


def _writable_fields(model: type[models.Model]) -> list[models.Field]:
    meta = model._meta
    if meta.parents:
        # A multi-table child's fields live in several tables; one statement cannot fill them.
        raise NotSupportedError(f"{meta.label} inherits from another table.")
    return [field for field in meta.local_concrete_fields if not field.generated]


def _array_types(fields: list[models.Field]) -> str | None:
    """``%s::type[], …`` for UNNEST on PostgreSQL, or None where VALUES must be used.

    The same conditions as Django's bulk_create: only standard column types (array and geometry
    columns cannot be nested in an array), without the length (varchar[] not varchar(200)[], so
    nothing is truncated)."""
    if connection.vendor != "postgresql":
        return None
    types = []
    for field in fields:
        target = field.target_field if field.is_relation else field
        if target.get_internal_type() not in connection.data_types or hasattr(
            field, "get_placeholder_sql"
        ):
            return None
        types.append(f"%s::{field.db_type(connection).split('(')[0]}[]")
    return ", ".join(types)


def _values(rows: list[list[object]]) -> str:
    row = "(" + ", ".join(["%s"] * len(rows[0])) + ")"
    return ", ".join([row] * len(rows))


def _batches(instances: Sequence[models.Model], *, columns: int, arrays: bool):
    size = ARRAY_BATCH_SIZE if arrays else VALUES_BATCH_SIZE
    limit = connection.features.max_query_params
    if limit and not arrays:
        size = min(size, max(limit // columns, 1))
    for start in range(0, len(instances), size):
        yield instances[start : start + size]
