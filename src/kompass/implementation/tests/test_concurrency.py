"""Two people save the same record at the same moment: one wins, the other gets a conflict and
nothing is lost. Real concurrency needs row locks, so this runs on PostgreSQL only."""

import threading

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from kompass.implementation.models import Implementation, ImplementationChange

pytestmark = pytest.mark.django_db(transaction=True)


def _form(status: str, notes: str) -> dict:
    return {
        "department": "",
        "contact_person": "",
        "status": status,
        "current_level": "",
        "target_level": "",
        "case_count": "",
        "case_count_year": "",
        "priority": "",
        "planned_date": "",
        "solution": "",
        "notes": notes,
        "version": "0",
    }


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="SQLite locks the whole database and has no SELECT … FOR UPDATE: two concurrent "
    "writers cannot be tested on it (run with DATABASE_URL pointing to PostgreSQL).",
)
@pytest.mark.parametrize("record_exists", [False, True])
def test_two_concurrent_requests_never_lose_an_update(ws, record_exists):
    w = ws.w
    service = ws.services[0]
    if record_exists:
        Implementation.objects.create(municipality=w.lemgo, service=service)
    url = reverse("implementation:edit", kwargs={"pk": w.lemgo.pk, "service_pk": service.pk})
    barrier = threading.Barrier(2)
    results: dict[str, int] = {}
    errors: list[BaseException] = []

    def submit(user, status, notes):
        try:
            client = Client()
            client.force_login(user)
            barrier.wait(timeout=10)
            results[notes] = client.post(url, _form(status, notes)).status_code
        except BaseException as error:
            errors.append(error)
        finally:
            from django.db import connections

            connections.close_all()

    threads = [
        threading.Thread(target=submit, args=(w.lemgo_admin, "planning", "von der Admin")),
        threading.Thread(target=submit, args=(w.lemgo_editor, "in_progress", "vom Bearbeiter")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not errors, errors
    assert sorted(results.values()) == [302, 409], results
    winner = next(notes for notes, code in results.items() if code == 302)
    record = Implementation.objects.get(municipality=w.lemgo, service=service)
    assert record.notes == winner
    assert record.version == 1
    assert ImplementationChange.objects.count() == 1
