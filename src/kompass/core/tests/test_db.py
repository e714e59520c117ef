"""The bulk-write helpers and the job lock of kompass.core.db, on the real database (SQLite or
PostgreSQL; on PostgreSQL both statement shapes, UNNEST arrays and VALUES, are run)."""

import threading
from datetime import date

import pytest
from django.db import connection, connections, transaction

from kompass.catalogue.models import CatalogueChange, CatalogueRelease, Topic
from kompass.catalogue.tests.factories import CatalogueReleaseFactory, TopicFactory
from kompass.core import db
from kompass.municipalities.models import Municipality
from kompass.municipalities.tests.factories import DistrictFactory, MunicipalityFactory

on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="PostgreSQL only (set DATABASE_URL to a PostgreSQL server): advisory locks and two "
    "concurrent transactions do not exist on SQLite, which serialises all writers.",
)


@pytest.fixture(params=["arrays", "values"] if connection.vendor == "postgresql" else ["values"])
def statement_shape(request, monkeypatch):
    """Run a test with UNNEST arrays (PostgreSQL's default) and with VALUES rows (SQLite's, and
    PostgreSQL's for columns that cannot be put into an array)."""
    if request.param == "values":
        monkeypatch.setattr(db, "_array_types", lambda fields: None)
    return request.param


def _changes(release: CatalogueRelease, count: int) -> list[CatalogueChange]:
    return [
        CatalogueChange(
            release=release,
            entity="service",
            key=f"{index:014d}",
            name=f"Leistung „{index}“; it's -- DROP TABLE x; ö ß \\ %s %%",
            kind="changed" if index % 2 else "added",
            fields={"name": ["alt", f"neu {index}"]} if index % 3 else {},
        )
        for index in range(count)
    ]


@pytest.mark.django_db
def test_rows_insert_sets_the_pks_in_order_and_stores_every_value(
    statement_shape, django_assert_num_queries
):
    release = CatalogueReleaseFactory()
    changes = _changes(release, 7)
    with django_assert_num_queries(1):
        db.rows_insert(CatalogueChange, changes)
    assert all(change.pk is not None and not change._state.adding for change in changes)
    stored = {change.pk: change for change in CatalogueChange.objects.all()}
    assert len(stored) == 7
    for change in changes:
        row = stored[change.pk]
        assert (row.key, row.name, row.kind, row.fields, row.release_id) == (
            change.key,
            change.name,
            change.kind,
            change.fields,
            release.pk,
        )


@pytest.mark.django_db
def test_rows_insert_applies_auto_now_add_and_nulls(statement_shape):
    releases = [CatalogueRelease(label="A"), CatalogueRelease(label="B", source="x")]
    db.rows_insert(CatalogueRelease, releases)
    stored = CatalogueRelease.objects.order_by("pk")
    assert [r.label for r in stored] == ["A", "B"]
    assert all(r.imported_at is not None and r.imported_by_id is None for r in stored)
    assert [r.counts for r in stored] == [{}, {}]
    assert [r.pk for r in releases] == [r.pk for r in stored]


@pytest.mark.django_db
def test_rows_insert_and_update_split_into_batches(
    statement_shape, monkeypatch, django_assert_num_queries
):
    monkeypatch.setattr(db, "VALUES_BATCH_SIZE", 3)
    monkeypatch.setattr(db, "ARRAY_BATCH_SIZE", 3)
    release = CatalogueReleaseFactory()
    changes = _changes(release, 8)
    with django_assert_num_queries(3):
        db.rows_insert(CatalogueChange, changes)
    assert sorted(CatalogueChange.objects.values_list("pk", flat=True)) == sorted(
        change.pk for change in changes
    )
    for change in changes:
        change.name = f"neu {change.pk}"
    with django_assert_num_queries(3):
        db.rows_update(CatalogueChange, changes, fields=["name"])
    assert dict(CatalogueChange.objects.values_list("pk", "name")) == {
        change.pk: f"neu {change.pk}" for change in changes
    }


@pytest.mark.django_db
def test_rows_update_writes_only_the_listed_fields(statement_shape, django_assert_num_queries):
    first, second = MunicipalityFactory(), MunicipalityFactory()
    other_district = DistrictFactory()
    untouched = MunicipalityFactory()
    before = {m.pk: (m.name, m.area_ha) for m in (first, second)}
    first.population, second.population = 12_345, 0
    first.dissolved_on, second.dissolved_on = date(2025, 11, 30), None
    first.district_id = other_district.pk  # by attname
    first.special_status = "Rechte einer kreisfreien Stadt („Sonderstatus“)"
    # Changed on the instances but not listed: must stay as it is in the database.
    first.name, second.name = "nicht speichern", "auch nicht"
    with django_assert_num_queries(1):
        db.rows_update(
            Municipality,
            [first, second],
            fields=["population", "dissolved_on", "district_id", "special_status"],
        )
    rows = {m.pk: m for m in Municipality.objects.filter(pk__in=[first.pk, second.pk])}
    assert rows[first.pk].population == 12_345
    assert rows[second.pk].population == 0
    assert rows[first.pk].dissolved_on == date(2025, 11, 30)
    assert rows[second.pk].dissolved_on is None
    assert rows[first.pk].district_id == other_district.pk
    assert rows[first.pk].special_status == "Rechte einer kreisfreien Stadt („Sonderstatus“)"
    assert {pk: (m.name, m.area_ha) for pk, m in rows.items()} == before
    assert Municipality.objects.get(pk=untouched.pk).name == untouched.name


@pytest.mark.django_db
def test_rows_update_accepts_a_foreign_key_by_name_and_sets_null(statement_shape):
    release = CatalogueReleaseFactory()
    topics = [TopicFactory(retired_in=release), TopicFactory()]
    topics[0].retired_in = None
    topics[1].retired_in = release
    db.rows_update(Topic, topics, fields={"retired_in"})
    assert dict(Topic.objects.values_list("pk", "retired_in_id")) == {
        topics[0].pk: None,
        topics[1].pk: release.pk,
    }


@pytest.mark.django_db
def test_rows_update_refuses_the_primary_key_and_unsaved_rows():
    topic = TopicFactory()
    with pytest.raises(ValueError, match="cannot be updated in bulk"):
        db.rows_update(Topic, [topic], fields=["id"])
    with pytest.raises(ValueError, match="unsaved"):
        db.rows_update(Topic, [Topic(code="x", name="y")], fields=["name"])


@pytest.mark.django_db
def test_nothing_to_write_sends_no_query(django_assert_num_queries):
    with django_assert_num_queries(0):
        db.rows_insert(Topic, [])
        db.rows_update(Topic, [], fields=["name"])
        db.rows_update(Topic, [TopicFactory.build(pk=1)], fields=[])


@pytest.mark.django_db(transaction=True)
def test_transaction_lock_needs_a_transaction():
    # In autocommit the lock would end with the statement that took it.
    with pytest.raises(RuntimeError, match="transaction"):
        db.transaction_lock_try(name="kompass.test")


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_transaction_lock_is_refused_while_another_transaction_holds_it():
    held, release, results = threading.Event(), threading.Event(), {}

    def holder():
        try:
            with transaction.atomic():
                results["holder"] = db.transaction_lock_try(name="kompass.test")
                held.set()
                release.wait(timeout=20)
        finally:
            connections.close_all()

    thread = threading.Thread(target=holder)
    thread.start()
    try:
        assert held.wait(timeout=20)
        with transaction.atomic():
            assert db.transaction_lock_try(name="kompass.test") is False
            assert db.transaction_lock_try(name="kompass.another-job") is True
    finally:
        release.set()
        thread.join(timeout=20)
    assert results["holder"] is True
    # Released with the holder's COMMIT.
    with transaction.atomic():
        assert db.transaction_lock_try(name="kompass.test") is True
