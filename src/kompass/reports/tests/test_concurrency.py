"""Concurrent edits of different Leistungen in one Kommune and Themenfeld: both end up in the
counters (the refresh is serialised per Kommune, the later one counts the earlier commit).
Real concurrency needs row locks, so this runs on PostgreSQL only."""

import threading

import pytest
from django.db import connection, connections

from kompass.implementation.selectors import EditScope
from kompass.implementation.services import implementation_update
from kompass.reports.models import TopicProgress
from kompass.reports.services import topic_progress_rebuild

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="SQLite serialises all writers: run with DATABASE_URL pointing to PostgreSQL.",
    ),
]


def _all_at_once(*calls) -> None:
    """Run the calls in threads that start together (each on its own connection); fail with the
    errors any of them raised."""
    barrier = threading.Barrier(len(calls))
    errors: list[BaseException] = []

    def run(call):
        try:
            barrier.wait(timeout=10)
            call()
        except BaseException as error:
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not errors, errors


def _finish_in_lemgo(w, service):
    """An edit of one of Lemgo's Leistungen to "umgesetzt" at Reifegrad 3 (a call for a thread)."""
    return lambda: implementation_update(
        municipality=w.lemgo,
        service=service,
        values={"status": "done", "current_level": 3},
        expected_version=0,
        scope=EditScope(all_records=True),
        actor=w.lemgo_admin,
    )


def test_concurrent_edits_of_one_topic_are_both_counted(ws):
    w = ws.w
    topic_progress_rebuild()

    _all_at_once(*(_finish_in_lemgo(w, service) for service in ws.services))
    row = TopicProgress.objects.get(municipality=w.lemgo, topic=w.topic)
    assert (row.relevant, row.done, row.compliant, row.open) == (4, 4, 4, 0)


def test_concurrent_bulk_edits_of_one_type_share_the_global_counters(ws):
    """Bulk edits in two Kommunen of the same Kommunaltyp change the same ServiceProgress rows at
    the same moment (listed in opposite orders): both commit and both are counted."""
    from kompass.implementation.services import implementation_bulk_update
    from kompass.municipalities.services import provider_members_add
    from kompass.municipalities.tests.factories import MunicipalityFactory
    from kompass.reports.models import OzgProgress, ServiceProgress
    from kompass.reports.services import progress_rebuild
    from kompass.reports.tests.test_aggregates import assert_provider_sums_current

    w = ws.w
    other = MunicipalityFactory(district=w.lippe, municipality_type=w.lemgo.municipality_type)
    joining = MunicipalityFactory(district=w.lippe, municipality_type=w.lemgo.municipality_type)
    w.provider.members.add(other)
    topic_progress_rebuild()
    progress_rebuild()

    def finish(municipality, services):
        return lambda: implementation_bulk_update(
            municipality=municipality,
            selections=[(service, 0) for service in services],
            values={"status": "done"},
            scope=EditScope(all_records=True),
            actor=w.operator,
        )

    # Meanwhile a Kommune joins the provider whose heat map sums both edits change.
    _all_at_once(
        finish(w.lemgo, ws.services),
        finish(other, list(reversed(ws.services))),
        lambda: provider_members_add(provider=w.provider, municipalities=[joining]),
    )
    assert_provider_sums_current()
    type_key = w.lemgo.municipality_type_id or 0
    done = dict(
        ServiceProgress.objects.filter(type_key=type_key, level=0).values_list("service", "done")
    )
    assert done == {service.pk: 2 for service in ws.services}
    assert not OzgProgress.objects.exists()  # "umgesetzt" at Reifegrad 0 is not OZG-conform


def test_a_full_rebuild_and_edits_meanwhile_both_commit(ws):
    """The rebuild of every counter (rebuild command, catalogue import) and edits of member
    Kommunen at the same moment: the rebuild locks the providers' members before it touches a
    counter, as every edit's refresh locks its Kommune first, so neither waits for the other in a
    cycle (a deadlock would abort one of them), and the provider sums count every edit."""
    from kompass.reports.tests.test_aggregates import assert_provider_sums_current

    w = ws.w
    topic_progress_rebuild()

    for _round in range(3):
        _all_at_once(
            topic_progress_rebuild, _finish_in_lemgo(w, ws.services[_round]), topic_progress_rebuild
        )
    assert_provider_sums_current()
    row = TopicProgress.objects.get(municipality=w.lemgo, topic=w.topic)
    assert row.done == 3
