"""Writes of the evaluations: keeping TopicProgress current, and demo data for the heat map.

topic_progress_refresh recomputes the counters of some Kommunen (and Themenfelder) from the
records; implementation.services calls it inside the transaction of every write, so a comparison
never shows a figure older than the last committed edit. topic_progress_rebuild recomputes all
rows in one INSERT … SELECT … GROUP BY (after bulk loads such as the benchmark's COPY, a catalogue
import or a change of the default Reifegradmodell).
"""

from __future__ import annotations

import datetime
import random
from collections import defaultdict
from collections.abc import Iterable

from django.db import connection, transaction
from django.db.models import Q

from kompass.catalogue.models import MaturityLevel, Service
from kompass.implementation.choices import ImplementationStatus, Priority
from kompass.implementation.models import Implementation
from kompass.municipalities.models import Municipality, Provider
from kompass.reports.models import OzgProgress, ProviderProgress, ServiceProgress, TopicProgress
from kompass.reports.sql import in_list, pairs_sql

# A threshold no level reaches: without a default Reifegradmodell nothing is OZG-conform.
NO_COMPLIANT_LEVEL = 10_000


def compliant_threshold() -> int:
    """The lowest OZG-compliant level of the default Reifegradmodell (model 1.1: 3)."""
    level = (
        MaturityLevel.objects.filter(model__is_default=True, ozg_compliant=True)
        .order_by("level")
        .values_list("level", flat=True)
        .first()
    )
    return NO_COMPLIANT_LEVEL if level is None else level


def _insert_select(conditions: list[str], params: list, *, threshold: int) -> None:
    pairs, pair_params = pairs_sql()
    table = TopicProgress._meta.db_table
    status = ImplementationStatus
    where = "".join(f" AND {condition}" for condition in conditions)
    sql = f"""
        INSERT INTO {table} (municipality_id, topic_id, relevant, open, planning, in_progress,
                             done, dropped, compliant, cases, compliant_cases)
        SELECT m.id, s.topic_id, COUNT(*),
               SUM(CASE WHEN i.status IS NULL OR i.status = %s THEN 1 ELSE 0 END),
               SUM(CASE WHEN i.status = %s THEN 1 ELSE 0 END),
               SUM(CASE WHEN i.status = %s THEN 1 ELSE 0 END),
               SUM(CASE WHEN i.status = %s THEN 1 ELSE 0 END),
               SUM(CASE WHEN i.status = %s THEN 1 ELSE 0 END),
               SUM(CASE WHEN COALESCE(i.current_level, 0) >= %s THEN 1 ELSE 0 END),
               COALESCE(SUM(i.case_count), 0),
               COALESCE(SUM(CASE WHEN COALESCE(i.current_level, 0) >= %s
                                 THEN i.case_count ELSE 0 END), 0)
        {pairs}{where}
        GROUP BY m.id, s.topic_id
    """
    head = [
        status.OPEN.value,
        status.PLANNING.value,
        status.IN_PROGRESS.value,
        status.DONE.value,
        status.DROPPED.value,
        threshold,
        threshold,
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, [*head, *pair_params, *params])


def topic_progress_refresh(
    *, municipality_ids: Iterable[int], topic_ids: Iterable[int | None] | None = None
) -> None:
    """Recompute the counters of the given Kommunen (only the given Themenfelder, None meaning
    "without Themenfeld"; all when topic_ids is None) from their records.

    Call it inside the transaction that changed the records. The Kommunen's rows are locked first
    (FOR NO KEY UPDATE on PostgreSQL), so concurrent writers of one Kommune refresh one after the
    other and the later one counts the earlier one's committed change.
    """
    municipality_ids = sorted(set(municipality_ids))
    if not municipality_ids:
        return
    with transaction.atomic():
        municipalities_lock(Municipality.objects.filter(pk__in=municipality_ids))
        rows = TopicProgress.objects.filter(municipality_id__in=municipality_ids)
        m_condition, m_params = in_list("m.id", municipality_ids)
        conditions, params = [m_condition], m_params
        if topic_ids is not None:
            topic_ids = set(topic_ids)
            ids = sorted(t for t in topic_ids if t is not None)
            t_condition, t_params = in_list("s.topic_id", ids)
            if None in topic_ids:
                t_condition = f"({t_condition} OR s.topic_id IS NULL)"
                rows = rows.filter(topic_id__in=ids) | rows.filter(topic_id__isnull=True)
            else:
                rows = rows.filter(topic_id__in=ids)
            conditions.append(t_condition)
            params += t_params
        _provider_progress_add(rows, sign=-1)
        rows.delete()
        _insert_select(conditions, params, threshold=compliant_threshold())
        _provider_progress_add(rows, sign=1)


def lock_provider_members(
    *, provider_ids: list[int] | None = None, also_lock: Iterable[int] = ()
) -> None:
    """Lock the member Kommunen of the given providers (all when None) and also_lock, in one
    sweep in the order of their ids (see municipalities_lock)."""
    members = Provider.members.through.objects.all()
    if provider_ids is not None:
        members = members.filter(provider_id__in=provider_ids)
    municipalities_lock(
        Municipality.objects.filter(
            Q(pk__in=members.values("municipality")) | Q(pk__in=list(also_lock))
        )
    )


def municipalities_lock(municipalities) -> None:
    """Lock the Kommunen's rows until the end of the transaction (FOR NO KEY UPDATE on
    PostgreSQL), in the order of their ids: every writer of a Kommune's counters takes its lock
    first, in that order, so that they take turns and never deadlock."""
    locked = municipalities.order_by("pk")
    if connection.features.has_select_for_update:
        locked = locked.select_for_update(no_key=connection.features.has_select_for_no_key_update)
    list(locked.values_list("pk", flat=True))


_PROVIDER_KEY = ("provider_id", "type_key", "topic_key")
_PROVIDER_COLUMNS = ("relevant", "done", "dropped", "compliant")
_PROVIDER_NAMES = ", ".join((*_PROVIDER_KEY, *_PROVIDER_COLUMNS))


def _provider_sums_sql(condition: str) -> str:
    """SELECT (provider, type_key, topic_key, then the sums of _PROVIDER_COLUMNS) over the
    TopicProgress rows tp of active member Kommunen m that meet condition, in key order."""
    members = Provider.members.through._meta.db_table
    sums = ", ".join(f"SUM(tp.{column}) * %s" for column in _PROVIDER_COLUMNS)
    return f"""
        SELECT pm.provider_id, COALESCE(m.municipality_type_id, 0), COALESCE(tp.topic_id, 0),
               {sums}
        FROM {TopicProgress._meta.db_table} tp
        INNER JOIN {members} pm ON pm.municipality_id = tp.municipality_id
        INNER JOIN {Municipality._meta.db_table} m ON m.id = tp.municipality_id
        WHERE m.dissolved_on IS NULL AND {condition}
        GROUP BY pm.provider_id, COALESCE(m.municipality_type_id, 0), COALESCE(tp.topic_id, 0)
        ORDER BY 1, 2, 3
    """  # noqa: S608


def _provider_progress_add(rows, *, sign: int) -> None:
    """Add the given TopicProgress rows (a queryset) to their providers' sums (sign -1: take them
    away), creating missing rows. The rows are added in key order, so concurrent refreshes lock
    them in the same order."""
    table = ProviderProgress._meta.db_table
    ids_sql, ids_params = rows.values("pk").query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(
            f"""INSERT INTO {table} ({_PROVIDER_NAMES}) {_provider_sums_sql(f"tp.id IN ({ids_sql})")}
                {_adding(table, _PROVIDER_KEY, _PROVIDER_COLUMNS)}""",
            [*[sign] * len(_PROVIDER_COLUMNS), *ids_params],
        )


def provider_progress_rebuild(
    *, provider_ids: Iterable[int] | None = None, also_lock: Iterable[int] = ()
) -> int:
    """Recompute ProviderProgress (of the given providers; all when None) from TopicProgress;
    returns the number of rows. Needed when Kommunen join or leave a provider, change their
    type or are dissolved; edits keep the sums current on their own (topic_progress_refresh).

    The providers' member Kommunen (and also_lock: Kommunen that just left them) are locked
    first, as every refresh locks its Kommunen: no refresh of theirs runs in between, and the
    sums read every committed one. A caller that changes counters before (an import) locks
    them at its start (lock_provider_members), so that no refresh holds one of them while
    waiting for a counter the caller holds (municipalities_lock)."""
    table = ProviderProgress._meta.db_table
    signs = [1] * len(_PROVIDER_COLUMNS)
    with transaction.atomic(), connection.cursor() as cursor:
        if provider_ids is None:
            lock_provider_members()
            cursor.execute(f"DELETE FROM {table}")  # noqa: S608
            cursor.execute(
                f"INSERT INTO {table} ({_PROVIDER_NAMES}) {_provider_sums_sql('1 = 1')}", signs
            )
            return ProviderProgress.objects.count()
        provider_ids = sorted(set(provider_ids))
        lock_provider_members(provider_ids=provider_ids, also_lock=also_lock)
        condition, params = in_list("pm.provider_id", provider_ids)
        ProviderProgress.objects.filter(provider_id__in=provider_ids).delete()
        cursor.execute(
            f"INSERT INTO {table} ({_PROVIDER_NAMES}) {_provider_sums_sql(condition)}",
            [*signs, *params],
        )
        return ProviderProgress.objects.filter(provider_id__in=provider_ids).count()


def topic_progress_rebuild(*, municipality_ids: Iterable[int] | None = None) -> int:
    """Recompute every row (or those of the given Kommunen) set-based; returns the row count.

    One DELETE and one INSERT … SELECT … GROUP BY over all Kommunen × Leistungen: the benchmark's
    data generator calls it after its COPY load, a catalogue import that changed Leistungen calls
    it in its transaction (catalogue.services), and it repairs the table after a change of the
    default Reifegradmodell. A re-import of the Gemeindeverzeichnis refreshes the Kommunen it
    regrouped (municipalities.services).
    """
    with transaction.atomic():
        if municipality_ids is None:
            # The providers' members are locked before any counter is touched (as every
            # refresh locks its Kommunen first): an edit meanwhile waits for the rebuild
            # instead of holding a Kommune that the rebuild of the provider sums needs.
            lock_provider_members()
            TopicProgress.objects.all().delete()
            _insert_select([], [], threshold=compliant_threshold())
            provider_progress_rebuild()
            return TopicProgress.objects.count()
        ids = list(municipality_ids)
        topic_progress_refresh(municipality_ids=ids)
        return TopicProgress.objects.filter(municipality_id__in=ids).count()


# --- ServiceProgress and OzgProgress: the global view's counters ----------------------------------

# A record's place in the counters: (Reifegrad or None, status).
RecordState = tuple[int | None, str]

_STATUS_COLUMNS = tuple(ImplementationStatus.values)


def _upsert(table: str, key: tuple[str, ...], columns: tuple[str, ...], rows: list[tuple]) -> None:
    """Add rows (key values, then column differences) to table's counters in one statement,
    creating missing rows; rows must be sorted by key and unique, so that concurrent writers lock
    rows in the same order (they wait for each other instead of deadlocking)."""
    if not rows:
        return
    names = ", ".join((*key, *columns))
    values = ", ".join(["(" + ", ".join(["%s"] * len(rows[0])) + ")"] * len(rows))
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({names}) VALUES {values} {_adding(table, key, columns)}",  # noqa: S608
            [value for row in rows for value in row],
        )


def _adding(table: str, key: tuple[str, ...], columns: tuple[str, ...]) -> str:
    """The ON CONFLICT clause that adds an inserted row's columns to the existing row's."""
    updates = ", ".join(f"{c} = {table}.{c} + EXCLUDED.{c}" for c in columns)
    return f"ON CONFLICT ({', '.join(key)}) DO UPDATE SET {updates}"


def progress_apply(
    *, municipality: Municipality, moves: Iterable[tuple[Service, RecordState, RecordState]]
) -> None:
    """Apply changed records of one Kommune to ServiceProgress and OzgProgress: (Leistung, state
    before, state after) per record whose status or Reifegrad changed. Call it in the transaction
    that changed them.

    ServiceProgress leaves out dissolved Kommunen (progress_rebuild); OzgProgress is an upper
    bound that the view checks, so it counts every Kommune."""
    moves = list(moves)
    threshold = compliant_threshold()
    type_key = municipality.municipality_type_id or 0
    by_level: dict[tuple[int, int], dict[str, int]] = defaultdict(
        lambda: dict.fromkeys(_STATUS_COLUMNS, 0)
    )
    compliant: dict[int, int] = defaultdict(int)
    for service, before, after in moves:
        for (level, status), sign in ((before, -1), (after, 1)):
            level = level or 0
            if not (level == 0 and status == ImplementationStatus.OPEN):
                by_level[(service.pk, level)][status] += sign
            if level >= threshold and service.ozg_service_id is not None:
                compliant[service.ozg_service_id] += sign
    if municipality.dissolved_on is None:
        _upsert(
            ServiceProgress._meta.db_table,
            ("service_id", "type_key", "level"),
            _STATUS_COLUMNS,
            [
                (service_id, type_key, level, *(counts[c] for c in _STATUS_COLUMNS))
                for (service_id, level), counts in sorted(by_level.items())
                if any(counts.values())
            ],
        )
    _upsert(
        OzgProgress._meta.db_table,
        ("municipality_id", "ozg_service_id"),
        ("compliant",),
        [(municipality.pk, ozg_id, n) for ozg_id, n in sorted(compliant.items()) if n],
    )


def progress_regroup(counted_types: dict[int, tuple[int | None, int | None]]) -> None:
    """Move the records of Kommunen that changed their Kommunaltyp, were dissolved or came back
    between the type keys of ServiceProgress: counted_types maps a Kommune to its key before and
    after (its Kommunaltyp, 0 for none, None while it is dissolved and not counted).

    One INSERT … SELECT … GROUP BY over their records alone subtracts them under the old key and
    adds them under the new one, which is what progress_rebuild would change, without reading
    every record (22 s at SCALE=de, while an import holds every Kommune). OzgProgress counts
    every Kommune whatever its type, so it stays. Call it in the transaction that regrouped them,
    with their Kommunen locked."""
    moves = sorted(
        (pk, key, sign)
        for pk, keys in counted_types.items()
        if keys[0] != keys[1]
        for key, sign in zip(keys, (-1, 1), strict=True)
        if key is not None
    )
    if not moves:
        return
    table = ServiceProgress._meta.db_table
    impl = Implementation._meta.db_table
    columns = ", ".join(_STATUS_COLUMNS)
    sums = ", ".join(
        "SUM(CASE WHEN i.status = %s THEN mv.sign ELSE 0 END)" for _ in _STATUS_COLUMNS
    )
    values = ", ".join(["(%s, %s, %s)"] * len(moves))
    with connection.cursor() as cursor:
        cursor.execute(
            f"""WITH mv (municipality_id, type_key, sign) AS (VALUES {values})
                INSERT INTO {table} (service_id, type_key, level, {columns})
                SELECT i.service_id, mv.type_key, COALESCE(i.current_level, 0), {sums}
                FROM {impl} i INNER JOIN mv ON mv.municipality_id = i.municipality_id
                WHERE NOT (COALESCE(i.current_level, 0) = 0 AND i.status = %s)
                GROUP BY i.service_id, mv.type_key, COALESCE(i.current_level, 0)
                -- In key order, as every writer of these rows (see _upsert).
                ORDER BY 1, 2, 3
                {_adding(table, ("service_id", "type_key", "level"), _STATUS_COLUMNS)}""",  # noqa: S608
            [
                *(value for move in moves for value in move),
                *_STATUS_COLUMNS,
                ImplementationStatus.OPEN.value,
            ],
        )


def progress_rebuild() -> int:
    """Recompute ServiceProgress and OzgProgress from the records (an INSERT … SELECT … GROUP BY
    each); returns the number of rows. After bulk loads (the benchmark's COPY, demo data) and when
    a catalogue import moved Leistungen between OZG-Leistungen (an import of the
    Gemeindeverzeichnis moves only the regrouped Kommunen' records: progress_regroup)."""
    service_table = ServiceProgress._meta.db_table
    ozg_table = OzgProgress._meta.db_table
    impl = Implementation._meta.db_table
    municipalities = Municipality._meta.db_table
    services = Service._meta.db_table
    columns = ", ".join(_STATUS_COLUMNS)
    sums = ", ".join("SUM(CASE WHEN i.status = %s THEN 1 ELSE 0 END)" for _ in _STATUS_COLUMNS)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {service_table}")  # noqa: S608
        cursor.execute(f"DELETE FROM {ozg_table}")  # noqa: S608
        cursor.execute(
            f"""INSERT INTO {service_table} (service_id, type_key, level, {columns})
                SELECT i.service_id, COALESCE(m.municipality_type_id, 0),
                       COALESCE(i.current_level, 0), {sums}
                FROM {impl} i INNER JOIN {municipalities} m ON m.id = i.municipality_id
                WHERE m.dissolved_on IS NULL
                  AND NOT (COALESCE(i.current_level, 0) = 0 AND i.status = %s)
                GROUP BY i.service_id, COALESCE(m.municipality_type_id, 0),
                         COALESCE(i.current_level, 0)
                -- In the order of the unique index: a Leistung's rows lie together on disk.
                ORDER BY 1, 2, 3""",  # noqa: S608
            [*_STATUS_COLUMNS, ImplementationStatus.OPEN.value],
        )
        cursor.execute(
            f"""INSERT INTO {ozg_table} (municipality_id, ozg_service_id, compliant)
                SELECT i.municipality_id, s.ozg_service_id, COUNT(*)
                FROM {impl} i INNER JOIN {services} s ON s.id = i.service_id
                WHERE i.current_level >= %s AND s.ozg_service_id IS NOT NULL
                GROUP BY i.municipality_id, s.ozg_service_id""",  # noqa: S608
            [compliant_threshold()],
        )
        cursor.execute(
            f"SELECT (SELECT COUNT(*) FROM {service_table}) + (SELECT COUNT(*) FROM {ozg_table})"  # noqa: S608
        )
        return cursor.fetchone()[0]


# --- Demo data --------------------------------------------------------------------------------


def demo_reports_seed(*, provider_slug: str = "krz-demo", seed: int = 2024) -> int:
    """Give every member Kommune of the demo provider plausible implementation records (fixed
    seed), so the heat map and the benchmark have something to compare, and fill TopicProgress for
    the Kommunen of their Länder; idempotent: Kommunen that already have records are left alone.
    Returns the number of records created.

    Run after demo_relevance_seed and demo_implementation_seed (`make run` does it in
    kompass.core.demo.demo_load).
    """
    from kompass.relevance.selectors import relevant_services_for

    members = list(
        Municipality.objects.filter(providers__slug=provider_slug)
        .exclude(pk__in=Implementation.objects.values("municipality_id"))
        .order_by("ars")
    )
    rng = random.Random(seed)
    year = datetime.date.today().year - 1
    created = 0
    statuses = [
        (ImplementationStatus.DONE, 3, 4),
        (ImplementationStatus.IN_PROGRESS, 1, 2),
        (ImplementationStatus.PLANNING, 0, 1),
        (ImplementationStatus.DROPPED, 0, 0),
    ]
    with transaction.atomic():
        for municipality in members:
            # Each Kommune is somewhere between "just started" and "well advanced".
            drive = rng.uniform(0.05, 0.6)
            population = municipality.population or 10_000
            records = []
            for service_id in relevant_services_for(municipality=municipality).values_list(
                "pk", flat=True
            ):
                if rng.random() > drive:
                    continue
                status, low, high = rng.choices(statuses, weights=[5, 3, 3, 1])[0]
                records.append(
                    Implementation(
                        municipality=municipality,
                        service_id=service_id,
                        status=status,
                        current_level=rng.randint(low, high),
                        target_level=3,
                        case_count=int(population * rng.uniform(0.0005, 0.05)),
                        case_count_year=year,
                        priority=rng.choice([Priority.HIGH, Priority.MEDIUM, Priority.LOW, ""]),
                        planned_date=datetime.date(year + 1, rng.randint(1, 12), 1)
                        if status
                        in (ImplementationStatus.PLANNING, ImplementationStatus.IN_PROGRESS)
                        else None,
                    )
                )
            Implementation.objects.bulk_create(records, batch_size=1000)
            created += len(records)
        if created:
            # Every Kommune of the members' Länder, so that the benchmark compares with all of
            # them (NRW: ~430 Kommunen, a few seconds).
            lands = Municipality.objects.filter(providers__slug=provider_slug).values("land_id")
            topic_progress_rebuild(
                municipality_ids=Municipality.objects.filter(land_id__in=lands).values_list(
                    "pk", flat=True
                )
            )
            progress_rebuild()
    return created
