"""Exports built by the background worker (reports.background): the heat map is requested on its
page, queued with its task in one transaction, built chunk by chunk with progress, and
downloaded by the person who asked for it, and by no one else. The tasks run as the worker runs
them (conftest.run_queued_tasks); tests/test_operations.py runs the real `db_worker` process."""

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.backend import DatabaseBackend
from django_tasks_db.models import DBTaskResult

from kompass.accounts.choices import Role
from kompass.accounts.models import RoleAssignment
from kompass.accounts.tests.factories import UserFactory, grant
from kompass.reports import background
from kompass.reports.choices import ExportKind, ExportStatus
from kompass.reports.models import Export
from kompass.reports.tests.conftest import read_csv, read_xlsx, run_queued_tasks


def _request(client, w, fmt="xlsx", **filters):
    url = reverse("reports:heatmap-export", kwargs={"pk": w.provider.pk, "fmt": fmt})
    if filters:
        url += "?" + "&".join(f"{key}={value}" for key, value in filters.items())
    return client.post(url)


@pytest.fixture
def requested(client, peers):
    """The operator has asked for the XLSX heat map of all members (not built yet)."""
    w = peers[0].w
    client.force_login(w.operator)
    _request(client, w)
    return w


def _only_export() -> Export:
    (export,) = Export.objects.all()
    return export


def test_the_heat_map_export_is_queued_built_and_downloaded(client, peers):
    ws, members, _elsewhere = peers
    w = ws.w
    client.force_login(w.operator)
    response = _request(client, w, municipality_type=w.lemgo.municipality_type_id)
    export = _only_export()
    assert response.status_code == 302
    assert response["Location"] == reverse("reports:export", kwargs={"pk": export.pk})
    assert export.requested_by == w.operator
    assert export.status == ExportStatus.QUEUED
    assert export.title == "Heatmap krz, Mittlere Stadt"
    assert export.params == {
        "provider": w.provider.pk,
        "query": f"municipality_type={w.lemgo.municipality_type_id}",
    }
    # The task was queued in the same transaction, with the export as its argument.
    (task,) = DBTaskResult.objects.all()
    assert task.task_path == "kompass.reports.background.build_export"
    assert task.args_kwargs == {"args": [str(export.pk)], "kwargs": {}}

    page = client.get(response["Location"]).content.decode()
    assert "Wartet auf den Hintergrunddienst" in page
    assert 'hx-trigger="every 1s"' in page
    # Nothing to download yet: the download address leads back to the export's page.
    early = client.get(reverse("reports:export-download", kwargs={"pk": export.pk}))
    assert early.status_code == 302

    assert run_queued_tasks() == 1
    task.refresh_from_db()
    assert task.status == "SUCCESSFUL"
    export.refresh_from_db()
    assert export.status == ExportStatus.DONE
    assert (export.done, export.total) == (6, 6)
    assert export.filename.startswith("heatmap-krz-mittlere-stadt-")
    assert export.size == len(export.content)

    page = client.get(response["Location"]).content.decode()
    assert "Die Datei ist fertig (6 Zeilen)." in page
    assert 'hx-trigger="every 1s"' not in page
    # The page polling for it learns of it, and says so once through its live region.
    partial = client.get(response["Location"], headers={"HX-Request": "true"}).content.decode()
    assert '<p id="export-announce" hx-swap-oob="innerHTML">Die Datei ist fertig (6 Zeilen).' in (
        partial
    )
    assert "hx-trigger" not in partial
    download = client.get(reverse("reports:export-download", kwargs={"pk": export.pk}))
    assert download["Content-Disposition"].startswith("attachment")
    sheet = read_xlsx(download)["Heatmap"]
    assert sorted(row[0] for row in sheet[1:]) == sorted(m.name for m in [w.lemgo, *members])
    lemgo_row = next(row for row in sheet[1:] if row[0] == w.lemgo.name)
    assert lemgo_row[-3:] == [50.0, 4, 2]


def test_the_csv_export_without_filter_has_every_member(client, peers):
    ws, _members, _elsewhere = peers
    w = ws.w
    client.force_login(w.operator)
    _request(client, w, fmt="csv")
    run_queued_tasks()
    export = _only_export()
    assert export.title == "Heatmap krz"
    rows = read_csv(client.get(reverse("reports:export-download", kwargs={"pk": export.pk})))
    expected = set(w.provider.members.filter(dissolved_on=None).values_list("name", flat=True))
    assert {row[0] for row in rows[1:]} == expected
    assert len(rows) - 1 == export.total == len(expected)


def test_progress_is_reported_while_the_file_is_written(client, peers, monkeypatch):
    ws, _members, _elsewhere = peers
    w = ws.w
    client.force_login(w.operator)
    _request(client, w, municipality_type=w.lemgo.municipality_type_id)
    export = _only_export()
    monkeypatch.setattr(background, "EXPORT_CHUNK", 2)
    seen = []
    heatmap_rows = background.selectors.heatmap_rows

    def watched(*, topics, page):
        current = Export.objects.get(pk=export.pk)
        seen.append((current.status, current.done, current.total))
        # What the person sees meanwhile (the part that htmx asks for every second).
        partial = client.get(
            reverse("reports:export", kwargs={"pk": export.pk}), headers={"HX-Request": "true"}
        ).content.decode()
        assert 'hx-trigger="every 1s"' in partial
        assert f"{current.done} von 6 Zeilen geschrieben" in partial
        assert "export-announce" not in partial
        assert "<html" not in partial
        return heatmap_rows(topics=topics, page=page)

    monkeypatch.setattr(background.selectors, "heatmap_rows", watched)
    run_queued_tasks()
    assert seen == [("running", 0, 6), ("running", 2, 6), ("running", 4, 6)]
    assert Export.objects.get(pk=export.pk).status == ExportStatus.DONE


@pytest.mark.parametrize("role", ["lemgo_admin", "sponsor", "reader", "herford_admin"])
def test_an_export_is_the_requesters_only(client, requested, role):
    w = requested
    run_queued_tasks()
    export = _only_export()
    # Another operator of the same provider does not see it either.
    colleague = UserFactory(username="betrieb-2")
    grant(colleague, Role.OPERATOR, provider=w.provider)
    for user in (getattr(w, role), colleague):
        client.force_login(user)
        for name in ("reports:export", "reports:export-download"):
            assert client.get(reverse(name, kwargs={"pk": export.pk})).status_code == 404
        listed = client.get(reverse("reports:export-list"))
        assert listed.status_code == 200
        assert list(listed.context["page_obj"]) == []
    client.logout()
    response = client.get(reverse("reports:export", kwargs={"pk": export.pk}))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


@pytest.mark.parametrize("role", ["lemgo_admin", "sponsor", "reader", "herford_admin"])
def test_who_may_not_see_the_heat_map_cannot_export_it(client, peers, role):
    ws, _members, _elsewhere = peers
    w = ws.w
    client.force_login(getattr(w, role))
    assert _request(client, w).status_code == 404
    assert not Export.objects.exists()
    assert not DBTaskResult.objects.exists()


def test_bad_requests_queue_nothing(client, peers):
    ws, _members, _elsewhere = peers
    w = ws.w
    client.force_login(w.operator)
    url = reverse("reports:heatmap-export", kwargs={"pk": w.provider.pk, "fmt": "xlsx"})
    assert client.get(url).status_code == 405  # a link or a crawler queues nothing
    assert _request(client, w, fmt="pdf").status_code == 404
    other = reverse("reports:heatmap-export", kwargs={"pk": w.other_provider.pk, "fmt": "xlsx"})
    assert client.post(other).status_code == 404
    assert not Export.objects.exists()
    assert not DBTaskResult.objects.exists()
    # An invalid filter exports all members, as the page shows them.
    _request(client, w, district="keine-zahl")
    run_queued_tasks()
    export = _only_export()
    assert export.title == "Heatmap krz"
    assert export.total == w.provider.members.filter(dissolved_on=None).count()


def test_export_and_task_are_written_together(client, peers, monkeypatch):
    ws, _members, _elsewhere = peers

    def broken(*args, **kwargs):
        raise RuntimeError("queue not reachable")

    monkeypatch.setattr(DatabaseBackend, "enqueue", broken)
    with pytest.raises(RuntimeError):
        background.export_request(
            actor=ws.w.operator,
            kind=ExportKind.HEATMAP,
            fmt="xlsx",
            params={"provider": ws.w.provider.pk, "query": ""},
            title="Heatmap krz",
        )
    assert not Export.objects.exists()


def test_a_requester_who_lost_access_gets_no_file(client, requested):
    w = requested
    RoleAssignment.objects.filter(user=w.operator).delete()
    run_queued_tasks()
    export = Export.objects.get()
    assert export.status == ExportStatus.FAILED
    assert export.content is None
    assert "keinen Zugriff mehr" in export.error
    page = client.get(reverse("reports:export", kwargs={"pk": export.pk})).content.decode()
    assert "Der Export ist fehlgeschlagen." in page
    assert "keinen Zugriff mehr" in page
    assert (
        client.get(reverse("reports:export-download", kwargs={"pk": export.pk})).status_code == 302
    )


def test_an_error_fails_the_export_with_a_message_and_the_task_with_its_cause(
    client, requested, monkeypatch
):
    def broken(*, topics, page):
        raise ValueError("counter table unreadable")

    monkeypatch.setattr(background.selectors, "heatmap_rows", broken)
    run_queued_tasks()
    export = Export.objects.get()
    assert export.status == ExportStatus.FAILED
    assert export.content is None
    assert export.error.startswith("Der Export ist fehlgeschlagen; es wurde keine Datei erstellt.")
    task = DBTaskResult.objects.get()
    assert task.status == "FAILED"
    assert task.exception_class_path == "builtins.ValueError"


def test_an_export_is_built_once(client, peers):
    ws, _members, _elsewhere = peers
    client.force_login(ws.w.operator)
    _request(client, ws.w)
    export = _only_export()
    assert background.export_build(export_id=str(export.pk)) == ExportStatus.DONE
    built = Export.objects.get(pk=export.pk)
    # The same task once more (a worker restarted after the first run) changes nothing.
    assert background.export_build(export_id=str(export.pk)) is None
    again = Export.objects.get(pk=export.pk)
    assert (again.status, again.finished_at, bytes(again.content)) == (
        built.status,
        built.finished_at,
        bytes(built.content),
    )


def test_the_list_shows_the_persons_exports_and_old_ones_are_purged(
    client, requested, django_assert_max_num_queries
):
    w = requested
    run_queued_tasks()
    first = _only_export()
    Export.objects.filter(pk=first.pk).update(
        created_at=timezone.now() - datetime.timedelta(days=background.EXPORT_KEEP_DAYS, hours=1)
    )
    _request(client, w, fmt="csv")  # purges the first one
    assert list(Export.objects.values_list("fmt", flat=True)) == ["csv"]
    for _ in range(3):
        _request(client, w, municipality_type=w.lemgo.municipality_type_id)
        run_queued_tasks()
    with django_assert_max_num_queries(6):
        response = client.get(reverse("reports:export-list"))
    page = response.content.decode()
    assert [e.fmt for e in response.context["page_obj"]] == ["xlsx", "xlsx", "xlsx", "csv"]
    assert page.count("fertig: herunterladen") == 4
    links = re.findall(r'href="(/auswertungen/exporte/[0-9a-f-]+/datei)"', page)
    assert len(set(links)) == 4


def test_the_heat_map_page_offers_the_exports_with_its_filter(client, peers):
    ws, _members, _elsewhere = peers
    w = ws.w
    client.force_login(w.operator)
    type_id = w.lemgo.municipality_type_id
    page = client.get(
        reverse("reports:heatmap", kwargs={"pk": w.provider.pk}),
        {"municipality_type": type_id, "page": 1},
    ).content.decode()
    action = reverse("reports:heatmap-export", kwargs={"pk": w.provider.pk, "fmt": "xlsx"})
    # The filter goes along, the page number does not.
    assert f'action="{action}?municipality_type={type_id}"' in page
    assert "csrfmiddlewaretoken" in page


def test_a_long_wait_and_a_lost_worker_are_explained(client, requested):
    export = _only_export()
    url = reverse("reports:export", kwargs={"pk": export.pk})
    hint = "läuft der Hintergrunddienst wohl nicht"
    assert hint not in client.get(url).content.decode()
    two_minutes_ago = timezone.now() - datetime.timedelta(minutes=2)
    Export.objects.filter(pk=export.pk).update(created_at=two_minutes_ago)
    page = client.get(url).content.decode()
    assert hint in page
    assert 'hx-trigger="every 1s"' in page  # still waiting for the worker
    # A worker that claimed it and then stopped reporting (killed, host down).
    Export.objects.filter(pk=export.pk).update(
        status=ExportStatus.RUNNING, done=500, total=1000, updated_at=two_minutes_ago
    )
    page = client.get(url).content.decode()
    assert "500 von 1000 Zeilen geschrieben" in page
    assert "unterbrochen" not in page
    Export.objects.filter(pk=export.pk).update(
        updated_at=timezone.now() - Export.STALLED_AFTER - datetime.timedelta(seconds=1)
    )
    page = client.get(url).content.decode()
    assert "Der Export wurde unterbrochen." in page
    assert 'hx-trigger="every 1s"' not in page
    listed = client.get(reverse("reports:export-list")).content.decode()
    assert ">unterbrochen<" in listed


def test_the_evaluations_page_links_to_the_persons_exports(client, peers):
    ws, _members, _elsewhere = peers
    w = ws.w
    client.force_login(w.operator)
    link = reverse("reports:export-list")
    assert link not in client.get(reverse("reports:overview")).content.decode()
    _request(client, w)
    assert link in client.get(reverse("reports:overview")).content.decode()


def test_a_failed_export_can_be_asked_for_again(client, requested, monkeypatch):
    w = requested
    original = background.selectors.heatmap_rows

    def broken(*, topics, page):
        raise ValueError("counter table unreadable")

    monkeypatch.setattr(background.selectors, "heatmap_rows", broken)
    run_queued_tasks()
    failed = Export.objects.get()
    page = client.get(reverse("reports:export", kwargs={"pk": failed.pk})).content.decode()
    retry = reverse("reports:export-retry", kwargs={"pk": failed.pk})
    assert f'action="{retry}"' in page
    assert client.get(retry).status_code == 405
    for user in (w.lemgo_admin, UserFactory(username="betrieb-2")):
        client.force_login(user)
        assert client.post(retry).status_code == 404
    assert Export.objects.count() == 1

    client.force_login(w.operator)
    response = client.post(retry)
    again = Export.objects.exclude(pk=failed.pk).get()
    assert response["Location"] == reverse("reports:export", kwargs={"pk": again.pk})
    assert (again.kind, again.fmt, again.params, again.title, again.status) == (
        failed.kind,
        failed.fmt,
        failed.params,
        failed.title,
        ExportStatus.QUEUED,
    )
    monkeypatch.setattr(background.selectors, "heatmap_rows", original)
    run_queued_tasks()
    assert Export.objects.get(pk=again.pk).status == ExportStatus.DONE
    assert Export.objects.get(pk=failed.pk).status == ExportStatus.FAILED
    # A finished export is not built twice: asking again leads back to it.
    done_retry = reverse("reports:export-retry", kwargs={"pk": again.pk})
    assert client.post(done_retry)["Location"] == reverse("reports:export", kwargs={"pk": again.pk})
    assert Export.objects.count() == 2
    assert (
        "Export erneut anfordern"
        not in client.get(done_retry.replace("erneut/", "")).content.decode()
    )


def test_the_purge_also_clears_the_finished_tasks_of_old_exports(client, requested):
    w = requested
    run_queued_tasks()
    _request(client, w, fmt="csv")  # queued, not run
    old = timezone.now() - datetime.timedelta(days=background.EXPORT_KEEP_DAYS, hours=1)
    DBTaskResult.objects.filter(status="SUCCESSFUL").update(finished_at=old)
    DBTaskResult.objects.exclude(status="SUCCESSFUL").update(enqueued_at=old)
    Export.objects.update(created_at=old)
    assert background.exports_purge() == 2
    # The queued task stays (the worker finds its export gone and does nothing).
    assert list(DBTaskResult.objects.values_list("status", flat=True)) == ["READY"]
    assert run_queued_tasks() == 1
    assert DBTaskResult.objects.get().status == "SUCCESSFUL"


def test_a_double_click_queues_the_export_once(client, requested):
    w = requested
    first = _only_export()
    second = _request(client, w)
    assert second["Location"] == reverse("reports:export", kwargs={"pk": first.pk})
    assert Export.objects.count() == DBTaskResult.objects.count() == 1
    # Another format or filter is another export.
    _request(client, w, fmt="csv")
    _request(client, w, municipality_type=w.lemgo.municipality_type_id)
    assert Export.objects.count() == DBTaskResult.objects.count() == 3
    # Once built (or failed, or interrupted), asking again makes a new one.
    run_queued_tasks()
    _request(client, w)
    assert Export.objects.count() == 4
    Export.objects.filter(status=ExportStatus.QUEUED).update(
        status=ExportStatus.RUNNING,
        updated_at=timezone.now() - Export.STALLED_AFTER - datetime.timedelta(seconds=1),
    )
    _request(client, w)
    assert Export.objects.count() == 5
