"""The workspace pages as the different roles: list, filters, edit, conflicts, board, bulk edit,
saved filters, roll-up, and query counts that do not grow with the page size."""

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from pytest_django.asserts import assertContains

from kompass.implementation.models import (
    Implementation,
    ImplementationChange,
    ImplementationStep,
    SavedFilter,
)
from kompass.implementation.tests.conftest import relevant_service
from kompass.implementation.views import BOARD_CARDS_PER_COLUMN

pytestmark = pytest.mark.django_db


def _list(w, **query):
    return reverse("implementation:list", kwargs={"pk": w.lemgo.pk})


def _edit_url(w, service):
    return reverse("implementation:edit", kwargs={"pk": w.lemgo.pk, "service_pk": service.pk})


def _form_data(**overrides):
    data = {
        "department": "",
        "contact_person": "",
        "status": "open",
        "current_level": "",
        "target_level": "",
        "case_count": "",
        "case_count_year": "",
        "priority": "",
        "planned_date": "",
        "solution": "",
        "notes": "",
        "version": "0",
    }
    data.update(overrides)
    return data


def _names(response) -> list[str]:
    return [row.service.name for row in response.context["page_obj"].object_list]


def test_list_shows_every_relevant_leistung_as_offen_without_writing_rows(client, ws):
    w = ws.w
    client.force_login(w.lemgo_admin)
    response = client.get(_list(w))
    assert response.status_code == 200
    assert sorted(_names(response)) == sorted(s.name for s in ws.services)
    assert ws.federal.name not in _names(response)
    assert response.context["counts"]["open"] == 4
    assert not Implementation.objects.exists()


def test_editor_lands_on_own_departments_leistungen(client, ws):
    w = ws.w
    Implementation.objects.create(
        municipality=w.lemgo, service=ws.services[0], department=w.lemgo_department
    )
    Implementation.objects.create(
        municipality=w.lemgo, service=ws.services[1], department=w.lemgo_other_department
    )
    client.force_login(w.lemgo_editor)
    response = client.get(_list(w))
    assert _names(response) == [ws.services[0].name]
    assert response.context["filters"]["department"].value() == "mine"
    everything = client.get(_list(w), {"department": ""})
    assert len(_names(everything)) == 4
    unassigned = client.get(_list(w), {"department": "none"})
    assert sorted(_names(unassigned)) == sorted(s.name for s in ws.services[2:])


def test_filters_search_sort_and_counts(client, ws):
    w = ws.w
    yesterday = datetime.date.today() - datetime.timedelta(days=1)
    Implementation.objects.create(
        municipality=w.lemgo,
        service=ws.services[0],
        status="in_progress",
        planned_date=yesterday,
        contact_person=w.lemgo_admin,
        priority="high",
        current_level=1,
        case_count=500,
    )
    Implementation.objects.create(
        municipality=w.lemgo, service=ws.services[1], status="done", planned_date=yesterday
    )
    client.force_login(w.lemgo_admin)
    assert _names(client.get(_list(w), {"overdue": "on"})) == [ws.services[0].name]
    assert _names(client.get(_list(w), {"mine": "on"})) == [ws.services[0].name]
    assert _names(client.get(_list(w), {"priority": "high"})) == [ws.services[0].name]
    assert _names(client.get(_list(w), {"level": "1"})) == [ws.services[0].name]
    assert _names(client.get(_list(w), {"status": "done"})) == [ws.services[1].name]
    assert _names(client.get(_list(w), {"q": "hundesteuer"})) == ["Hundesteuer Anmeldung"]
    assert len(_names(client.get(_list(w), {"ozg": "09001"}))) == 3
    assert _names(client.get(_list(w), {"sort": "cases"}))[0] == ws.services[0].name
    response = client.get(_list(w), {"status": "done"})
    # Counts per status ignore the status filter itself, so every column stays visible.
    counts = response.context["counts"]
    assert (counts["open"], counts["in_progress"], counts["done"], counts["total"]) == (2, 1, 1, 4)
    partial = client.get(_list(w), {"q": "hund"}, headers={"HX-Request": "true"})
    assert b"<html" not in partial.content
    assert b"Hundesteuer Anmeldung" in partial.content


def test_topic_filter_lists_only_that_themenfelds_leistungen(client, ws):
    w = ws.w
    other = relevant_service(
        w,
        name="Abfallgebühren",
        ozg_service__topic=w.other_topic,
        ozg_service__life_situation__topic=w.other_topic,
    )
    client.force_login(w.lemgo_admin)
    assert _names(client.get(_list(w), {"topic": w.other_topic.code})) == [other.name]
    assert other.name not in _names(client.get(_list(w), {"topic": w.topic.code}))
    page = client.get(_list(w), {"topic": w.topic.code}).content.decode()
    assert f'<option value="{w.topic.code}" selected>' in page
    response = client.get(_list(w), {"topic": "gibt-es-nicht"})
    assert "Bitte eine gültige Auswahl treffen" in response.content.decode()
    assert other.name in _names(response)  # an invalid filter filters nothing


def _row_html(content: bytes, service) -> str:
    match = re.search(
        rf'<tr class="kern-table__row" id="row-{service.pk}">(.*?)</tr>', content.decode(), re.S
    )
    assert match, f"no row for {service.name}"
    return match.group(1)


def test_list_rows_show_the_record_escaped_and_only_editable_rows_get_controls(client, ws):
    """The rows (rendered by the workspace_rows tag): every value of the record, names escaped,
    and the checkbox and inline-edit link only on rows the person may change."""
    w = ws.w
    ws.services[0].name = "Anmeldung <b>Wohnsitz</b> & Co"
    ws.services[0].save()
    Implementation.objects.create(
        municipality=w.lemgo,
        service=ws.services[0],
        department=w.lemgo_department,
        contact_person=w.lemgo_admin,
        status="in_progress",
        current_level=1,
        target_level=4,
        case_count=12500,
        case_count_year=2025,
        priority="high",
        planned_date=datetime.date(2020, 3, 1),
        version=3,
    )
    Implementation.objects.create(
        municipality=w.lemgo, service=ws.services[1], department=w.lemgo_other_department
    )
    client.force_login(w.lemgo_editor)
    content = client.get(_list(w), {"department": ""}).content
    row = _row_html(content, ws.services[0])
    assert "Anmeldung &lt;b&gt;Wohnsitz&lt;/b&gt; &amp; Co" in row
    assert "<b>" not in row
    assert f'value="{ws.services[0].pk}:3"' in row  # the bulk checkbox carries the version
    assert "FB 1 Bürgerservice" in row
    assert (w.lemgo_admin.get_full_name() or w.lemgo_admin.username) in row
    assert "in Umsetzung" in row
    assert "1 → 4" in row
    assert "12.500 (2025)" in row
    assert "Vorschlag: hoch (12.500 Fälle im Jahr, 3 Stufen unter dem Ziel)" in row
    assert "01.03.2020" in row
    assert "überfällig" in row
    assert "Schnell bearbeiten" in row
    # Another department's row: shown, but without checkbox and edit link.
    other = _row_html(content, ws.services[1])
    assert "FB 2 Bauen" in other
    assert "bulk-selected" not in other
    assert "Schnell bearbeiten" not in other
    # An untouched Leistung: defaults and dashes.
    untouched = _row_html(content, ws.services[2])
    assert "noch ohne Fachbereich" in untouched
    assert "offen" in untouched
    assert "– → –" in untouched
    assert f'value="{ws.services[2].pk}:0"' in untouched
    # Readers get no selection column at all.
    client.force_login(w.reader)
    reader_row = _row_html(client.get(_list(w)).content, ws.services[0])
    assert "bulk-selected" not in reader_row
    assert "Schnell bearbeiten" not in reader_row


def test_detail_of_a_leistung_that_is_not_relevant_is_404(client, ws):
    w = ws.w
    client.force_login(w.lemgo_admin)
    url = reverse("implementation:detail", kwargs={"pk": w.lemgo.pk, "service_pk": ws.federal.pk})
    assert client.get(url).status_code == 404
    assert client.get(_edit_url(w, ws.federal)).status_code == 404


def test_edit_saves_and_shows_history(client, ws):
    w = ws.w
    client.force_login(w.lemgo_editor)
    service = ws.services[0]
    response = client.post(
        _edit_url(w, service),
        _form_data(
            department=w.lemgo_department.pk,
            contact_person=w.lemgo_editor.pk,
            status="planning",
            current_level="1",
            target_level="3",
            case_count="1200",
            case_count_year="2025",
            priority="high",
            planned_date="2027-06-30",
            solution="Online-Dienst des krz",
        ),
    )
    assert response.status_code == 302
    record = Implementation.objects.get()
    assert (record.status, record.current_level, record.case_count, record.planned_date) == (
        "planning",
        1,
        1200,
        datetime.date(2027, 6, 30),
    )
    detail = client.get(response["Location"])
    content = detail.content.decode()
    assert "in Planung" in content
    assert "offen → in Planung" in content.replace("\n", " ")
    assert "lemgo-sb" in content
    assert "1.200 (2025)" in content  # Fallzahl with the German thousands separator
    assert "Vorschlag: hoch" in content


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("current_level", "9", "liegt nicht auf der Skala des Reifegradmodells (0–4)"),
        ("target_level", "-1", "liegt nicht auf der Skala"),
        ("case_count", "-5", "Die Fallzahl darf nicht negativ sein."),
        ("case_count", "viele", "Die Fallzahl muss eine ganze Zahl sein."),
        ("planned_date", "31.02.2026", "Bitte ein gültiges Datum im Format TT.MM.JJJJ angeben."),
        ("planned_date", "2026/05/01", "Bitte ein gültiges Datum im Format TT.MM.JJJJ angeben."),
        ("status", "fertig", "Diesen Status gibt es nicht."),
    ],
)
def test_invalid_values_get_german_errors_and_change_nothing(client, ws, field, value, message):
    w = ws.w
    client.force_login(w.lemgo_admin)
    response = client.post(_edit_url(w, ws.services[0]), _form_data(**{field: value}))
    assert response.status_code == 400
    assert message in response.content.decode()
    assert 'aria-invalid="true"' in response.content.decode()
    assert not Implementation.objects.exists()
    assert not ImplementationChange.objects.exists()


def test_department_of_another_kommune_is_refused(client, ws):
    w = ws.w
    client.force_login(w.operator)  # sees both Kommunen, still cannot mix them
    response = client.post(
        _edit_url(w, ws.services[0]), _form_data(department=w.herford_department.pk)
    )
    assert response.status_code == 400
    assert "Dieser Fachbereich gehört nicht zu dieser Kommune." in response.content.decode()
    assert not Implementation.objects.exists()


def test_case_count_needs_its_year(client, ws):
    w = ws.w
    client.force_login(w.lemgo_admin)
    response = client.post(_edit_url(w, ws.services[0]), _form_data(case_count="10"))
    assert response.status_code == 400
    assert "Bitte das Jahr der Fallzahl angeben." in response.content.decode()
    future = client.post(
        _edit_url(w, ws.services[0]),
        _form_data(case_count="10", case_count_year=str(datetime.date.today().year + 1)),
    )
    assert "Das Jahr darf nicht in der Zukunft liegen." in future.content.decode()
    assert not Implementation.objects.exists()


def test_stale_form_is_refused_with_newer_values_and_keeps_input(client, ws):
    w = ws.w
    service = ws.services[0]
    client.force_login(w.lemgo_admin)
    assert client.post(_edit_url(w, service), _form_data(status="in_progress")).status_code == 302
    # A second person still has the form of version 0.
    response = client.post(
        _edit_url(w, service), _form_data(status="done", notes="Meine Notiz", version="0")
    )
    assert response.status_code == 409
    content = response.content.decode()
    assert "Jemand anderes hat diese Leistung inzwischen geändert" in content
    assert "in Umsetzung" in content  # the newer value
    assert "Meine Notiz" in content  # the person's input is kept
    form = response.context["form"]
    assert form["status"].value() == "done"
    assert str(form["version"].value()) == "1"
    record = Implementation.objects.get()
    assert (record.status, record.notes, record.version) == ("in_progress", "", 1)
    # Saving again after seeing the newer values is a deliberate decision and works.
    again = client.post(
        _edit_url(w, service), _form_data(status="done", notes="Meine Notiz", version="1")
    )
    assert again.status_code == 302
    assert Implementation.objects.get().status == "done"


def test_editor_cannot_edit_another_departments_leistung(client, ws):
    w = ws.w
    Implementation.objects.create(
        municipality=w.lemgo, service=ws.services[0], department=w.lemgo_other_department
    )
    client.force_login(w.lemgo_editor)
    assert client.get(_edit_url(w, ws.services[0])).status_code == 403
    response = client.post(_edit_url(w, ws.services[0]), _form_data(status="done"))
    assert response.status_code == 403
    assert Implementation.objects.get().status == "open"
    detail = client.get(
        reverse("implementation:detail", kwargs={"pk": w.lemgo.pk, "service_pk": ws.services[0].pk})
    )
    assert detail.status_code == 200
    assert _edit_url(w, ws.services[0]) not in detail.content.decode()


@pytest.mark.parametrize("role", ["reader", "sponsor"])
def test_readers_see_but_cannot_change(client, ws, role):
    w = ws.w
    client.force_login(getattr(w, role))
    assert client.get(_list(w)).status_code == 200
    assert client.post(_edit_url(w, ws.services[0]), _form_data(status="done")).status_code == 403
    assert not Implementation.objects.exists()


def test_outsider_gets_404(client, ws):
    w = ws.w
    client.force_login(w.herford_admin)
    assert client.get(_list(w)).status_code == 404
    assert client.post(_edit_url(w, ws.services[0]), _form_data(status="done")).status_code == 404
    assert not Implementation.objects.exists()


def test_inline_row_edit_with_htmx(client, ws):
    w = ws.w
    service = ws.services[0]
    client.force_login(w.lemgo_editor)
    url = reverse("implementation:row-edit", kwargs={"pk": w.lemgo.pk, "service_pk": service.pk})
    form = client.get(url, headers={"HX-Request": "true"})
    assert form.status_code == 200
    assert f'name="r{service.pk}-status"'.encode() in form.content
    prefix = f"r{service.pk}-"
    saved = client.post(
        url,
        {
            f"{prefix}status": "planning",
            f"{prefix}priority": "medium",
            f"{prefix}version": "0",
            f"{prefix}current_level": "2",
            f"{prefix}target_level": "4",
        },
        headers={"HX-Request": "true"},
    )
    assert saved.status_code == 200
    assert b"in Planung" in saved.content
    assert b"<html" not in saved.content
    record = Implementation.objects.get()
    assert (record.status, record.priority, record.current_level, record.target_level) == (
        "planning",
        "medium",
        2,
        4,
    )
    stale = client.post(
        url,
        {f"{prefix}status": "done", f"{prefix}version": "0"},
        headers={"HX-Request": "true"},
    )
    assert stale.status_code == 200  # htmx swaps it: the row shows the conflict
    assert "inzwischen geändert" in stale.content.decode()
    assert Implementation.objects.get().status == "planning"
    invalid = client.post(
        url,
        {f"{prefix}status": "open", f"{prefix}current_level": "7", f"{prefix}version": "1"},
        headers={"HX-Request": "true"},
    )
    assert "liegt nicht auf der Skala" in invalid.content.decode()
    assert Implementation.objects.get().current_level == 2
    # Without JavaScript the same URL is a small page and redirects back after saving.
    plain = client.post(url, {f"{prefix}status": "done", f"{prefix}version": "1"})
    assert plain.status_code == 302


def test_board_moves_a_card_and_writes_history(client, ws):
    w = ws.w
    service = ws.services[0]
    client.force_login(w.lemgo_editor)
    board = client.get(
        reverse("implementation:board", kwargs={"pk": w.lemgo.pk}), {"department": ""}
    )
    assert board.status_code == 200
    columns = {c["status"].value: c for c in board.context["columns"]}
    assert columns["open"]["count"] == 4
    move = reverse("implementation:move", kwargs={"pk": w.lemgo.pk, "service_pk": service.pk})
    response = client.post(move, {"status": "in_progress", "version": "0"})
    assert response.status_code == 302
    assert Implementation.objects.get().status == "in_progress"
    change = ImplementationChange.objects.get()
    assert change.changes == {"status": ["offen", "in Umsetzung"]}
    stale = client.post(move, {"status": "done", "version": "0"}, follow=True)
    assert "inzwischen von jemand anderem geändert" in stale.content.decode()
    assert Implementation.objects.get().status == "in_progress"
    bad = client.post(move, {"status": "irgendwo", "version": "1"})
    assert bad.status_code == 400
    assert "Diesen Status gibt es nicht." in bad.content.decode()


def test_checklist_steps_show_on_the_card(client, ws):
    w = ws.w
    service = ws.services[0]
    client.force_login(w.lemgo_admin)
    add = reverse("implementation:step-add", kwargs={"pk": w.lemgo.pk, "service_pk": service.pk})
    assert (
        client.post(add, {"title": "Formular digitalisieren", "due_date": "2027-01-31"}).status_code
        == 302
    )
    assert client.post(add, {"title": "", "due_date": "morgen"}).status_code == 400
    step = ImplementationStep.objects.get()
    change = reverse("implementation:step-change", kwargs={"pk": w.lemgo.pk, "step_pk": step.pk})
    assert client.post(change, {"action": "toggle"}).status_code == 302
    step.refresh_from_db()
    assert step.done
    board = client.get(reverse("implementation:board", kwargs={"pk": w.lemgo.pk}))
    assert "Schritte: 1 von 1 erledigt" in board.content.decode()
    assert client.post(change, {"action": "delete"}).status_code == 302
    assert not ImplementationStep.objects.exists()
    assert ImplementationChange.objects.count() == 3


def _card_html(content: bytes, service) -> str:
    """The card of service: from its <li> to the next card or the end of its column."""
    page = content.decode()
    cards = [part.split("</section>")[0] for part in page.split('<li class="kern-card')[1:]]
    found = [card for card in cards if f'/leistung/{service.pk}/"' in card]
    assert len(found) == 1, f"no card for {service.name}"
    return found[0]


def test_board_cards_show_the_record_escaped_and_only_movable_cards_get_the_move_form(client, ws):
    """The cards (rendered by the board_cards tag): values escaped, the checklist with its dates,
    and the move form with its CSRF token on the cards the person may move."""
    w = ws.w
    ws.services[0].name = "Anmeldung <i>Wohnsitz</i>"
    ws.services[0].save()
    record = Implementation.objects.create(
        municipality=w.lemgo,
        service=ws.services[0],
        department=w.lemgo_department,
        status="planning",
        priority="low",
        planned_date=datetime.date(2020, 3, 1),
        version=2,
    )
    ImplementationStep.objects.create(
        implementation=record, title="Formular <prüfen>", due_date=datetime.date(2027, 1, 31)
    )
    ImplementationStep.objects.create(implementation=record, title="Freigabe", done=True)
    Implementation.objects.create(
        municipality=w.lemgo, service=ws.services[1], department=w.lemgo_other_department
    )
    board_url = reverse("implementation:board", kwargs={"pk": w.lemgo.pk})
    client.force_login(w.lemgo_editor)
    content = client.get(board_url, {"department": ""}).content
    card = _card_html(content, ws.services[0])
    assert "Anmeldung &lt;i&gt;Wohnsitz&lt;/i&gt;" in card
    assert "<i>" not in card
    assert "09001 Meldebescheinigung<br>FB 1 Bürgerservice<br>Priorität: niedrig" in card
    assert "geplant bis 01.03.2020" in card
    assert "überfällig" in card
    assert "Schritte: 1 von 2 erledigt" in card
    assert "○ " in card
    assert "Formular &lt;prüfen&gt; (31.01.2027)" in card
    assert "✓ " in card
    assert 'draggable="true"' in card
    assert 'name="csrfmiddlewaretoken" value="' in card
    assert '<input type="hidden" name="version" value="2">' in card
    assert '<option value="planning" selected>' in card
    assert "Neuer Status für Anmeldung &lt;i&gt;Wohnsitz&lt;/i&gt;" in card
    other = _card_html(content, ws.services[1])
    assert "FB 2 Bauen" in other
    assert "<form" not in other
    assert "draggable" not in other
    client.force_login(w.reader)
    assert "<form" not in _card_html(client.get(board_url).content, ws.services[0])


def test_the_bulk_form_on_the_list_posts_what_the_bulk_edit_reads(client, ws):
    """The list page's bulk form sends its own fields (prefixed, unlike the filter's fields of
    the same names): submitted as rendered, it changes the selected rows."""
    import re

    w = ws.w
    client.force_login(w.lemgo_admin)
    page = client.get(_list(w)).content.decode()
    bulk = page[page.index('<form id="implementation-bulk"') :]
    bulk = bulk[: bulk.index("</form>")]
    fields = set(re.findall(r'<select[^>]* name="([^"]+)"', bulk))
    assert fields == {"bulk-department", "bulk-status", "bulk-priority", "bulk-target_level"}
    assert len(re.findall(r'id="id_status"', page)) == 1  # the filter's, not twice
    selected = re.findall(r'name="bulk-selected" value="([^"]+)"', page)[:2]
    response = client.post(
        reverse("implementation:bulk-edit", kwargs={"pk": w.lemgo.pk}),
        {
            "bulk-selected": selected,
            **dict.fromkeys(fields, ""),
            "bulk-status": "in_progress",
        },
    )
    assert response.status_code == 302
    assert Implementation.objects.filter(status="in_progress").count() == 2


def test_bulk_edit(client, ws):
    w = ws.w
    client.force_login(w.lemgo_admin)
    url = reverse("implementation:bulk-edit", kwargs={"pk": w.lemgo.pk})
    selected = [f"{s.pk}:0" for s in ws.services[:3]]
    response = client.post(
        url,
        {
            "bulk-selected": selected,
            "bulk-department": str(w.lemgo_department.pk),
            "bulk-status": "planning",
            "bulk-priority": "high",
            "bulk-target_level": "3",
        },
    )
    assert response.status_code == 302
    assert (
        Implementation.objects.filter(
            department=w.lemgo_department, status="planning", priority="high", target_level=3
        ).count()
        == 3
    )
    stale = client.post(url, {"bulk-selected": selected, "bulk-status": "done"})
    assert stale.status_code == 409
    assert not Implementation.objects.filter(status="done").exists()
    foreign = client.post(
        url,
        {
            "bulk-selected": [f"{ws.services[3].pk}:0"],
            "bulk-department": str(w.herford_department.pk),
        },
    )
    assert foreign.status_code == 400
    assert "Dieser Fachbereich gehört nicht zu dieser Kommune." in foreign.content.decode()
    nothing = client.post(url, {"bulk-selected": [f"{ws.services[3].pk}:0"]})
    assert "mindestens einen Wert" in nothing.content.decode()
    assert Implementation.objects.count() == 3


def test_editor_bulk_edit_is_limited_to_own_scope(client, ws):
    w = ws.w
    Implementation.objects.create(
        municipality=w.lemgo, service=ws.services[0], department=w.lemgo_other_department
    )
    client.force_login(w.lemgo_editor)
    url = reverse("implementation:bulk-edit", kwargs={"pk": w.lemgo.pk})
    response = client.post(
        url,
        {
            "bulk-selected": [f"{ws.services[0].pk}:0", f"{ws.services[1].pk}:0"],
            "bulk-status": "done",
        },
    )
    assert response.status_code == 409
    assert not Implementation.objects.filter(status="done").exists()


def test_saved_filters(client, ws):
    w = ws.w
    client.force_login(w.lemgo_editor)
    save = reverse("implementation:filter-save", kwargs={"pk": w.lemgo.pk})
    response = client.post(save, {"name": "Überfällig", "query": "overdue=on&page=3"})
    assert response.status_code == 302
    saved = SavedFilter.objects.get()
    assert (saved.user, saved.query) == (w.lemgo_editor, "overdue=on")
    listing = client.get(_list(w))
    assert "Überfällig" in listing.content.decode()
    # After filtering with htmx, the save form carries the new filter.
    partial = client.get(_list(w), {"status": "done"}, headers={"HX-Request": "true"})
    assert 'name="query" value="status=done' in partial.content.decode()
    client.force_login(w.lemgo_admin)
    assert "Überfällig" not in client.get(_list(w)).content.decode()
    delete = reverse("implementation:filter-delete", kwargs={"pk": w.lemgo.pk})
    assert client.post(delete, {"id": saved.pk}).status_code == 400  # not hers
    client.force_login(w.lemgo_editor)
    assert client.post(delete, {"id": saved.pk}).status_code == 302
    assert not SavedFilter.objects.exists()
    assert client.post(save, {"name": ""}).status_code == 400


def test_rollup_per_ozg_leistung(client, ws):
    w = ws.w
    Implementation.objects.create(
        municipality=w.lemgo,
        service=ws.services[0],
        status="done",
        current_level=3,
        case_count=12000,
    )
    client.force_login(w.reader)
    response = client.get(reverse("implementation:ozg-list", kwargs={"pk": w.lemgo.pk}))
    groups = {g["ozg_service__ozg_id"]: g for g in response.context["page_obj"].object_list}
    melde = groups["09001"]
    assert (melde["total"], melde["n_done"], melde["n_open"], melde["cases"]) == (3, 1, 2, 12000)
    assertContains(response, '<td class="kern-table__cell">12.000</td>', html=False)
    # The average Reifegrad of the records that have one, with a German decimal comma.
    assertContains(response, '<td class="kern-table__cell">3,0</td>', html=False)
    # Each OZG-Leistung opens the list filtered by it, keeping the roll-up's own filter.
    list_url = reverse("implementation:list", kwargs={"pk": w.lemgo.pk})
    assertContains(response, f'href="{list_url}?ozg=09001"')
    filtered = client.get(
        reverse("implementation:ozg-list", kwargs={"pk": w.lemgo.pk}), {"status": "done"}
    )
    assertContains(filtered, f'href="{list_url}?status=done&amp;ozg=09001"')


def test_rollup_pages_count_the_ozg_leistungen_and_clamp(client, ws):
    """55 OZG-Leistungen more than the World's: page 2 holds the rest after the first 50, a page
    beyond the end shows the last page, and the count comes from the page's own query."""
    from kompass.implementation.views import OZG_PER_PAGE

    w = ws.w
    client.force_login(w.reader)
    url = reverse("implementation:ozg-list", kwargs={"pk": w.lemgo.pk})
    before = [g["ozg_service__ozg_id"] for g in client.get(url).context["page_obj"].object_list]
    for i in range(55):
        relevant_service(w, ozg_service__ozg_id=f"{20000 + i}")
    everything = sorted(before + [f"{20000 + i}" for i in range(55)])
    first = client.get(url).context["page_obj"]
    assert (first.paginator.count, len(first.object_list)) == (len(everything), OZG_PER_PAGE)
    second = client.get(url, {"page": "2"}).context["page_obj"]
    assert [g["ozg_service__ozg_id"] for g in second.object_list] == everything[OZG_PER_PAGE:]
    beyond = client.get(url, {"page": "9"}).context["page_obj"]
    assert beyond.number == 2
    assert len(beyond.object_list) == len(everything) - OZG_PER_PAGE
    assert client.get(url, {"page": "x"}).context["page_obj"].number == 1
    empty = client.get(url, {"q": "gibt es nicht"}).context["page_obj"]
    assert (empty.paginator.count, list(empty.object_list)) == (0, [])


def _many_services(ws, n):
    for i in range(n):
        relevant_service(ws.w, name=f"Zusatzleistung {i:03d}")


def _records(ws):
    w = ws.w
    for i, service in enumerate(ws.services):
        record = Implementation.objects.create(
            municipality=w.lemgo,
            service=service,
            department=w.lemgo_department,
            contact_person=w.lemgo_editor,
            status=["planning", "in_progress", "done", "dropped"][i],
        )
        ImplementationStep.objects.create(implementation=record, title="Schritt")


def _query_count(client, url, query) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, query)
    assert response.status_code == 200
    return len(captured)


def test_list_query_count_does_not_grow_with_the_page_size(client, ws):
    w = ws.w
    _many_services(ws, 60)
    _records(ws)
    client.force_login(w.lemgo_editor)
    url = reverse("implementation:list", kwargs={"pk": w.lemgo.pk})
    counts = [_query_count(client, url, {"department": "", "per_page": n}) for n in (25, 100)]
    assert counts[0] == counts[1], counts
    assert counts[1] <= 16, counts


@pytest.mark.parametrize("url_name", ["implementation:board", "implementation:ozg-list"])
def test_board_and_rollup_query_count_does_not_grow_with_the_cards(client, ws, url_name):
    w = ws.w
    _records(ws)
    client.force_login(w.lemgo_editor)
    url = reverse(url_name, kwargs={"pk": w.lemgo.pk})
    counts = [_query_count(client, url, {"department": ""})]
    _many_services(ws, 60)
    counts.append(_query_count(client, url, {"department": ""}))
    assert counts[0] == counts[1], counts
    assert counts[1] <= 20, counts


def _gettext_calls(client, url, monkeypatch) -> int:
    from django.utils import translation

    translation.gettext("")  # binds the real gettext to translation._trans
    real = translation._trans.gettext
    calls = []

    def counting(message):
        calls.append(message)
        return real(message)

    monkeypatch.setattr(translation._trans, "gettext", counting)
    response = client.get(url, {"department": ""})
    monkeypatch.setattr(translation._trans, "gettext", real)
    assert response.status_code == 200
    return len(calls)


@pytest.mark.parametrize("url_name", ["implementation:list", "implementation:board"])
def test_rows_translate_their_texts_once_per_page(client, ws, monkeypatch, url_name):
    """Rows and cards share their labels and the parts of the suggestion's reason
    (selectors.RowTexts, the tags' _labels): 100 cards used to ask gettext 600 times."""
    w = ws.w
    _records(ws)
    client.force_login(w.lemgo_editor)
    url = reverse(url_name, kwargs={"pk": w.lemgo.pk})
    calls = [_gettext_calls(client, url, monkeypatch)]
    _many_services(ws, 12)
    Implementation.objects.filter(municipality=w.lemgo).update(priority="high")
    calls.append(_gettext_calls(client, url, monkeypatch))
    assert calls[0] == calls[1], calls


def test_detail_query_count_is_constant(client, ws):
    w = ws.w
    service = ws.services[0]
    record = Implementation.objects.create(municipality=w.lemgo, service=service)
    url = reverse("implementation:detail", kwargs={"pk": w.lemgo.pk, "service_pk": service.pk})
    client.force_login(w.lemgo_admin)
    counts = []
    for n in (1, 30):
        ImplementationStep.objects.bulk_create(
            ImplementationStep(implementation=record, title=f"S{i}") for i in range(n)
        )
        ImplementationChange.objects.bulk_create(
            ImplementationChange(
                implementation=record,
                changed_by=w.lemgo_admin,
                changes={"status": ["offen", "in Planung"]},
            )
            for _ in range(n)
        )
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        counts.append(len(captured))
    assert counts[0] == counts[1], counts


def test_a_record_stays_reachable_when_the_leistung_is_no_longer_relevant(client, ws):
    w = ws.w
    Implementation.objects.create(
        municipality=w.lemgo, service=ws.federal, status="done", notes="früher relevant"
    )
    client.force_login(w.lemgo_admin)
    url = reverse("implementation:detail", kwargs={"pk": w.lemgo.pk, "service_pk": ws.federal.pk})
    response = client.get(url)
    assert response.status_code == 200
    assert "früher relevant" in response.content.decode()
    assert ws.federal.name not in _names(client.get(_list(w), {"department": ""}))


def test_a_step_of_another_kommune_is_404(client, ws):
    w = ws.w
    record = Implementation.objects.create(municipality=w.herford, service=ws.services[0])
    step = ImplementationStep.objects.create(implementation=record, title="Fremd")
    client.force_login(w.lemgo_admin)
    url = reverse("implementation:step-change", kwargs={"pk": w.lemgo.pk, "step_pk": step.pk})
    assert client.post(url, {"action": "delete"}).status_code == 404
    assert ImplementationStep.objects.exists()


def test_board_shows_the_first_cards_of_each_column_in_order(client, ws):
    w = ws.w
    _many_services(ws, 45)
    Implementation.objects.create(municipality=w.lemgo, service=ws.services[0], status="done")
    client.force_login(w.lemgo_admin)
    response = client.get(
        reverse("implementation:board", kwargs={"pk": w.lemgo.pk}), {"sort": "name"}
    )
    columns = {c["status"].value: c for c in response.context["columns"]}
    open_names = [row.service.name for row in columns["open"]["rows"]]
    assert len(open_names) == BOARD_CARDS_PER_COLUMN
    assert open_names == sorted(open_names)
    hidden = 48 - BOARD_CARDS_PER_COLUMN
    assert columns["open"]["hidden"] == hidden
    assert [row.service.name for row in columns["done"]["rows"]] == [ws.services[0].name]
    assert f"{hidden} weitere in der Liste" in response.content.decode()


@pytest.mark.parametrize("sort", ["", "name", "priority", "cases", "status"])
def test_a_page_and_its_counts_equal_slicing_the_sorted_list(ws, sort):
    """workspace_page reads a page and the counts per status in one windowed query: it must
    give exactly what slicing the plainly sorted list and counting it would."""
    from kompass.implementation import selectors

    w = ws.w
    _many_services(ws, 23)
    _records(ws)
    for i, service in enumerate(selectors.workspace_services(municipality=w.lemgo)[:20]):
        Implementation.objects.update_or_create(
            municipality=w.lemgo,
            service=service,
            defaults={"status": ["planning", "done", "open"][i % 3], "case_count": i * 7 % 5},
        )
    services = selectors.workspace_services(municipality=w.lemgo)
    expected_counts = selectors.status_counts(services)
    for status in [None, "open", "planning", "done", "dropped"]:
        filtered = services.filter(impl_status=status) if status else services
        everything = [s.pk for s in selectors.sort_workspace(filtered, sort)]
        for number in (1, 2, 3, 99):
            page = selectors.workspace_page(
                services, municipality=w.lemgo, status=status, sort=sort, number=number, per_page=4
            )
            last = max((len(everything) + 3) // 4, 1)
            assert page.number == min(number, last)
            assert page.count == len(everything)
            start = (page.number - 1) * 4
            assert [s.pk for s in page.services] == everything[start : start + 4]
            assert page.counts == expected_counts


def test_an_empty_list_is_one_query_and_counts_nothing(ws, django_assert_num_queries):
    from kompass.implementation import selectors

    nothing = selectors.workspace_services(municipality=ws.w.lemgo).filter(name="gibt es nicht")
    for status in (None, "done"):
        with django_assert_num_queries(1):
            page = selectors.workspace_page(
                nothing, municipality=ws.w.lemgo, status=status, sort="", number=1, per_page=4
            )
        assert (page.services, page.count, page.number) == ([], 0, 1)
        assert page.counts == {
            "open": 0,
            "planning": 0,
            "in_progress": 0,
            "done": 0,
            "dropped": 0,
            "total": 0,
        }


def test_board_move_menus_choose_each_cards_own_status(client, ws):
    """Every card's move menu offers every status, with the card's own chosen."""
    import re

    w = ws.w
    _records(ws)  # planning, in_progress, done, dropped; the other Leistungen are "offen"
    client.force_login(w.lemgo_admin)
    page = client.get(reverse("implementation:board", kwargs={"pk": w.lemgo.pk})).content.decode()
    expected = {
        str(s.pk): ["planning", "in_progress", "done", "dropped"][i]
        for i, s in enumerate(ws.services)
    }
    menus = dict(re.findall(r'id="move-status-(\d+)">(.*?)</select>', page, re.S))
    assert set(expected) <= set(menus)
    for key, menu in menus.items():
        assert re.findall(r'<option value="([a-z_]+)"', menu) == [
            "open",
            "planning",
            "in_progress",
            "done",
            "dropped",
        ]
        assert re.findall(r'<option value="([a-z_]+)" selected', menu) == [
            expected.get(key, "open")
        ]
