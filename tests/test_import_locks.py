"""Two imports of the same reference data at the same time (catalogue, Gemeindeverzeichnis): the
second is refused at once with a German message and writes nothing; the first finishes normally.
Two real concurrent transactions, each on its own connection, so PostgreSQL only (SQLite lets one
transaction write at a time anyway)."""

import threading
import time
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, connections

from kompass.catalogue import services
from kompass.catalogue.importing import CatalogueImportError
from kompass.catalogue.models import CatalogueChange, CatalogueRelease, Service, Topic
from kompass.municipalities import services as municipality_services
from kompass.municipalities.gv100ad import GemeindeverzeichnisError
from kompass.municipalities.models import Municipality

RELEASE_A = Path(services.__file__).parent / "tests" / "data" / "release_a"
RELEASE_B = Path(services.__file__).parent / "tests" / "data" / "release_b"
GV100AD_SAMPLE = (
    Path(municipality_services.__file__).parent / "tests" / "data" / "GV100AD_30112025_sample.txt"
)

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="PostgreSQL only (set DATABASE_URL to a PostgreSQL server): SQLite lets one "
        "transaction write at a time, so two imports cannot overlap there.",
    ),
]


class PausedImport:
    """Run an import in a thread (own connection) and hold it inside its transaction, after its
    writing step (``module.step``) is done, until ``resume()``. Catalogue by default."""

    def __init__(self, monkeypatch, directory: Path, *, run=None, module=services, step=None):
        self.inside, self.go_on = threading.Event(), threading.Event()
        self.result = None
        self.error: BaseException | None = None
        self.thread_id: int | None = None
        step = step or "apply_release"
        self.run = run or (
            lambda: services.catalogue_import(directory=directory, label="erster Import")
        )
        original = getattr(module, step)

        def paused(*args, **kwargs):
            written = original(*args, **kwargs)
            if threading.get_ident() == self.thread_id:
                self.inside.set()
                self.go_on.wait(timeout=30)
            return written

        monkeypatch.setattr(module, step, paused)
        self.thread = threading.Thread(target=self._run)

    def _run(self) -> None:
        self.thread_id = threading.get_ident()
        try:
            self.result = self.run()
        except BaseException as error:  # reported by the test
            self.error = error
        finally:
            connections.close_all()

    def start(self) -> None:
        self.thread.start()
        assert self.inside.wait(timeout=30), "the first import did not get going"

    def resume(self) -> None:
        self.go_on.set()
        self.thread.join(timeout=30)
        assert not self.thread.is_alive()


def test_a_second_import_is_refused_at_once_and_the_first_one_completes(monkeypatch):
    first = PausedImport(monkeypatch, RELEASE_A)
    first.start()
    try:
        # The first import has written its rows but not committed them.
        started = time.monotonic()
        with pytest.raises(services.CatalogueImportRunningError) as refused:
            services.catalogue_import(directory=RELEASE_A, label="zweiter Import")
        waited = time.monotonic() - started
        assert CatalogueRelease.objects.count() == 0  # nothing committed by either
    finally:
        first.resume()
    assert isinstance(refused.value, CatalogueImportError)
    assert refused.value.errors == [
        "Gerade läuft bereits ein anderer Katalogimport. Warten Sie, bis er abgeschlossen ist, "
        "und starten Sie den Import dann erneut."
    ]
    # Refused without waiting for the first one's rows (reading the files takes a moment).
    assert waited < 10
    assert first.error is None, first.error
    assert list(CatalogueRelease.objects.values_list("label", flat=True)) == ["erster Import"]
    assert Service.objects.count() == first.result.counts["services"] > 0
    assert CatalogueChange.objects.exclude(release=first.result).count() == 0

    # Once the first one is done, the next import runs normally.
    again = services.catalogue_import(directory=RELEASE_B, label="danach")
    assert again.changed_count + again.added_count + again.retired_count > 0
    assert CatalogueRelease.objects.count() == 2


def test_the_command_reports_the_refusal_in_german(monkeypatch):
    first = PausedImport(monkeypatch, RELEASE_A)
    first.start()
    try:
        with pytest.raises(CommandError) as refused:
            call_command("import_catalogue", str(RELEASE_A))
    finally:
        first.resume()
    assert "nichts wurde geändert" in str(refused.value)
    assert "Gerade läuft bereits ein anderer Katalogimport." in str(refused.value)
    assert first.error is None, first.error
    assert CatalogueRelease.objects.count() == 1


def test_loading_the_code_lists_is_refused_during_an_import(monkeypatch):
    first = PausedImport(monkeypatch, RELEASE_A)
    first.start()
    try:
        with pytest.raises(services.CatalogueImportRunningError):
            services.catalogue_code_lists_load()
    finally:
        first.resume()
    assert first.error is None, first.error
    assert Topic.objects.exists()


def test_a_second_gemeindeverzeichnis_import_is_refused_at_once(monkeypatch):
    first = PausedImport(
        monkeypatch,
        GV100AD_SAMPLE,
        run=lambda: municipality_services.gemeindeverzeichnis_import(path=GV100AD_SAMPLE),
        module=municipality_services,
        step="gemeindeverzeichnis_load",
    )
    first.start()
    try:
        with pytest.raises(municipality_services.GemeindeverzeichnisImportRunningError) as refused:
            municipality_services.gemeindeverzeichnis_import(path=GV100AD_SAMPLE)
        assert not Municipality.objects.exists()  # nothing committed by either
    finally:
        first.resume()
    assert isinstance(refused.value, GemeindeverzeichnisError)
    assert refused.value.errors == [
        "Gerade läuft bereits ein anderer Import des Gemeindeverzeichnisses. Warten Sie, bis er "
        "abgeschlossen ist, und starten Sie den Import dann erneut."
    ]
    assert first.error is None, first.error
    assert Municipality.objects.count() == first.result.districts + first.result.municipalities
