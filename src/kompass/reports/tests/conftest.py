"""Fixtures of the evaluation tests: the implementation tests' World and workspace (Lemgo with
four relevant Leistungen, Reifegradmodell 1.1), plus helpers to read exports back."""

import io

import pytest
from python_calamine import CalamineWorkbook

from kompass.accounts.tests.conftest import World, world  # noqa: F401 - fixtures
from kompass.implementation.models import Implementation
from kompass.implementation.tests.conftest import Workspace, maturity_model_1_1, ws  # noqa: F401
from kompass.municipalities.models import Municipality
from kompass.municipalities.tests.factories import MunicipalityFactory, MunicipalityTypeFactory
from kompass.reports.services import topic_progress_rebuild


def read_xlsx(response) -> dict[str, list[list]]:
    """Every sheet of an XLSX response as rows, read by python-calamine (not openpyxl)."""
    data = b"".join(response.streaming_content)
    workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
    return {name: workbook.get_sheet_by_name(name).to_python() for name in workbook.sheet_names}


def read_csv(response) -> list[list[str]]:
    import csv

    text = b"".join(response.streaming_content).decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:]), delimiter=";"))


def run_queued_tasks() -> int:
    """Run the queued tasks as `manage.py db_worker` does (its Worker.run_task: the stored task
    path and arguments, the outcome recorded on the task), but within the test's transaction,
    where the command would close the connection. Returns how many ran."""
    from django_tasks_db.management.commands.db_worker import Worker
    from django_tasks_db.models import DBTaskResult

    worker = Worker(
        queue_names=["default"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id="test-worker",
        excluded_queue_names=[],
    )
    ran = 0
    while (result := DBTaskResult.objects.ready().get_locked()) is not None:
        result.claim(worker.worker_id)
        worker.run_task(result)
        ran += 1
    return ran


@pytest.fixture
def levels(db):
    return maturity_model_1_1()


@pytest.fixture
def peers(ws):  # noqa: F811 - the fixture imported above
    """Lemgo and five more Kommunen of its type in the krz area; two more elsewhere in NRW."""
    w = ws.w
    city = MunicipalityTypeFactory(code="mittlere-stadt", name="Mittlere Stadt")
    Municipality.objects.filter(pk=w.lemgo.pk).update(municipality_type=city, population=40_000)
    w.lemgo.refresh_from_db()
    members = [
        MunicipalityFactory(
            name=f"Peer {n}", municipality_type=city, population=30_000 + n * 1000, district=w.lippe
        )
        for n in range(5)
    ]
    w.provider.members.add(*members)
    elsewhere = [
        MunicipalityFactory(
            name=f"Fern {n}", municipality_type=city, population=60_000, district=w.kreis_herford
        )
        for n in range(2)
    ]
    done_counts = {
        w.lemgo: 2,
        members[0]: 4,
        members[1]: 3,
        members[2]: 1,
        members[3]: 0,
        members[4]: 2,
        elsewhere[0]: 4,
        elsewhere[1]: 4,
    }
    for municipality, done in done_counts.items():
        for service in ws.services[:done]:
            Implementation.objects.create(municipality=municipality, service=service, status="done")
    topic_progress_rebuild()
    return ws, members, elsewhere
