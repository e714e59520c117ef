"""The Kommune dashboard: figures equal to those computed independently from the records, the
department filter, the short lists, query counts, the printable report and its exports."""

import datetime
import re
from collections import Counter

import pytest
from django.urls import reverse
from django.utils.html import escape

from kompass.catalogue.tests.factories import ServiceFactory
from kompass.implementation.choices import ImplementationStatus
from kompass.implementation.models import Implementation
from kompass.implementation.selectors import EditScope
from kompass.implementation.services import implementation_update
from kompass.relevance.selectors import relevant_services_for
from kompass.reports.tests.conftest import read_csv, read_xlsx

ADMIN = EditScope(all_records=True)
TODAY = datetime.date.today()


def _set(w, service, **values):
    record = Implementation.objects.filter(municipality=w.lemgo, service=service).first()
    implementation_update(
        municipality=w.lemgo,
        service=service,
        values=values,
        expected_version=record.version if record else 0,
        scope=ADMIN,
        actor=w.lemgo_admin,
    )


@pytest.fixture
def filled(ws):
    """Lemgo with records in two Themenfeldern, one Leistung untouched (no record)."""
    w = ws.w
    extra = [
        ServiceFactory(
            name=f"Umwelt {n}",
            leika_type_codes="5",
            ozg_service__life_situation__topic=w.other_topic,
        )
        for n in range(3)
    ]
    anmeldung, abmeldung, bescheinigung, _hundesteuer = ws.services
    _set(
        w,
        anmeldung,
        status="done",
        current_level=4,
        target_level=4,
        case_count=5000,
        case_count_year=2024,
        department=w.lemgo_department,
    )
    _set(
        w,
        abmeldung,
        status="in_progress",
        current_level=2,
        target_level=3,
        case_count=1200,
        case_count_year=2024,
        planned_date=TODAY - datetime.timedelta(days=3),
    )
    _set(
        w,
        bescheinigung,
        status="planning",
        current_level=0,
        target_level=4,
        case_count=80,
        case_count_year=2024,
        department=w.lemgo_other_department,
    )
    _set(w, extra[0], status="dropped", department=w.lemgo_department)
    _set(
        w,
        extra[1],
        status="done",
        current_level=3,
        case_count=10,
        case_count_year=2024,
        planned_date=TODAY - datetime.timedelta(days=30),
    )
    # hundesteuer and extra[2]: no record at all (offen, Reifegrad 0, no cases).
    return ws, extra


def independent_figures(municipality, *, department=None):
    """The dashboard's figures in plain Python from relevance list and records."""
    records = {r.service_id: r for r in Implementation.objects.filter(municipality=municipality)}
    figures = {
        "status": Counter(),
        "relevant": 0,
        "compliant": 0,
        "cases": 0,
        "compliant_cases": 0,
        "current": Counter(),
        "target": Counter(),
        "topics": {},
    }
    for service in relevant_services_for(municipality=municipality):
        record = records.get(service.pk)
        if department is not None and (record is None or record.department_id != department):
            continue
        status = record.status if record else "open"
        level = (record.current_level if record else None) or 0
        cases = (record.case_count if record else None) or 0
        figures["relevant"] += 1
        figures["status"][status] += 1
        figures["current"][level] += 1
        if record and record.target_level is not None:
            figures["target"][record.target_level] += 1
        topic = figures["topics"].setdefault(service.topic_id, Counter())
        topic["relevant"] += 1
        topic[status] += 1
        figures["cases"] += cases
        if level >= 3:
            figures["compliant"] += 1
            figures["compliant_cases"] += cases
            topic["compliant"] += 1
    return figures


def test_dashboard_matches_the_records(client, filled):
    ws, _extra = filled
    w = ws.w
    client.force_login(w.lemgo_admin)
    response = client.get(reverse("reports:dashboard", kwargs={"pk": w.lemgo.pk}))
    assert response.status_code == 200
    expected = independent_figures(w.lemgo)
    dashboard = response.context["dashboard"]
    total = dashboard.total
    assert total.relevant == expected["relevant"] == 7
    assert total.statuses == {s: expected["status"][s] for s in ImplementationStatus.values}
    assert total.compliant == expected["compliant"] == 2
    assert total.cases == expected["cases"] == 6290
    assert total.compliant_cases == expected["compliant_cases"] == 5010
    assert total.case_share == round(100 * 5010 / 6290, 1)
    # umgesetzt 2 of 7 relevant minus 1 entfällt.
    assert total.progress == round(100 * 2 / 6, 1)
    assert {row.level: row.current for row in dashboard.levels} == {
        lvl: expected["current"][lvl] for lvl in range(5)
    }
    assert {row.level: row.target for row in dashboard.levels} == {
        lvl: expected["target"][lvl] for lvl in range(5)
    }
    for row in dashboard.topics:
        topic = expected["topics"][row.topic_id]
        assert row.relevant == topic["relevant"]
        assert row.done == topic["done"]
        assert row.compliant == topic["compliant"]
    assert dashboard.without_department_count == 4  # abmeldung, extra[1], 2 without record
    # Umwelt 1 is past its date too, but umgesetzt: not overdue.
    assert dashboard.overdue_count == 1
    assert [r.service.name for r in dashboard.overdue] == ["Abmeldung Wohnsitz"]

    html = response.content.decode()
    assert re.search(r'data-figure="relevant">7<', html)
    assert re.search(r'data-figure="done">2<', html)
    assert "79,7 %" in html  # the case-weighted share, German decimal comma
    # Fallzahlen with the German thousands separator, in the text and in the tables' rows.
    assert "Von 6.290 erfassten Fällen" in html
    assert re.search(r'reports-number">1\.200</td>', html)  # Abmeldung, overdue and open
    # Charts get their data through json_script, never an inline script.
    assert 'id="chart-status" type="application/json"' in html
    assert "<script>" not in html


def test_top_open_by_suggested_priority(client, filled):
    ws, _extra = filled
    client.force_login(ws.w.lemgo_admin)
    dashboard = client.get(reverse("reports:dashboard", kwargs={"pk": ws.w.lemgo.pk})).context[
        "dashboard"
    ]
    names = [row.service.name for row in dashboard.top_open]
    # Abmeldung: 1,200 cases (2) + gap 1 (0) = hoch? no: 2 points = mittel; Bescheinigung:
    # 80 cases (0) + gap 4 (2) = mittel with fewer cases; untouched ones: gap 3 (2) = mittel, 0 cases.
    assert names[0] == "Abmeldung Wohnsitz"
    assert names[1] == "Meldebescheinigung erteilen"
    assert "Anmeldung Wohnsitz" not in names  # umgesetzt
    assert "Umwelt 0" not in names  # entfällt
    assert all(row.suggested in ("high", "medium", "low") for row in dashboard.top_open)


def test_department_filter(client, filled):
    ws, _extra = filled
    w = ws.w
    client.force_login(w.lemgo_editor)
    url = reverse("reports:dashboard", kwargs={"pk": w.lemgo.pk})
    # A Bearbeiter sees the whole Kommune by default …
    assert client.get(url).context["dashboard"].total.relevant == 7
    # … and their department on request, with the same figures as computed from the records.
    response = client.get(url, {"department": w.lemgo_department.pk})
    total = response.context["dashboard"].total
    expected = independent_figures(w.lemgo, department=w.lemgo_department.pk)
    assert total.relevant == expected["relevant"] == 2
    assert total.statuses["done"] == expected["status"]["done"] == 1
    assert total.statuses["dropped"] == 1
    mine = client.get(url, {"department": "mine"}).context["dashboard"].total
    assert mine.relevant == 2


def test_bad_filter_values_are_ignored_with_a_message(client, filled):
    ws, _extra = filled
    client.force_login(ws.w.lemgo_admin)
    response = client.get(
        reverse("reports:dashboard", kwargs={"pk": ws.w.lemgo.pk}), {"department": "999999"}
    )
    assert response.status_code == 200
    assert response.context["dashboard"].total.relevant == 7
    assert "kern-error" in response.content.decode()


def test_dashboard_queries_do_not_grow_with_the_data(client, ws, django_assert_max_num_queries):
    w = ws.w
    client.force_login(w.lemgo_admin)
    url = reverse("reports:dashboard", kwargs={"pk": w.lemgo.pk})
    client.get(url)
    with django_assert_max_num_queries(16) as small:
        client.get(url)
    for n in range(40):
        service = ServiceFactory(leika_type_codes="5", ozg_service__life_situation__topic=w.topic)
        Implementation.objects.create(
            municipality=w.lemgo,
            service=service,
            status="in_progress",
            department=w.lemgo_department if n % 2 else None,
            planned_date=TODAY - datetime.timedelta(days=1),
            case_count=n,
        )
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = client.get(url)
    assert response.context["dashboard"].total.relevant == 44
    assert len(response.context["dashboard"].overdue) == 10


def test_print_report(client, filled):
    ws, _extra = filled
    client.force_login(ws.w.reader)
    response = client.get(reverse("reports:dashboard-print", kwargs={"pk": ws.w.lemgo.pk}))
    assert response.status_code == 200
    html = response.content.decode()
    assert "reports/reports.css" in html  # the print stylesheet
    assert "Bericht zum Stand der OZG-Umsetzung" in html
    assert "<canvas" not in html  # tables only on paper
    assert response.context["dashboard"].total.relevant == 7
    by_topic = client.get(
        reverse("reports:dashboard-print", kwargs={"pk": ws.w.lemgo.pk}),
        {"topic": ws.w.topic.code},
    )
    assert f"Themenfeld: {escape(ws.w.topic.name)}</p>" in by_topic.content.decode()


def test_dashboard_exports_match_the_page(client, filled):
    ws, _extra = filled
    w = ws.w
    client.force_login(w.lemgo_admin)
    page = client.get(reverse("reports:dashboard", kwargs={"pk": w.lemgo.pk})).context["dashboard"]
    response = client.get(
        reverse("reports:dashboard-export", kwargs={"pk": w.lemgo.pk, "fmt": "xlsx"})
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheets = read_xlsx(response)
    assert list(sheets) == [
        "Status",
        "Reifegrad",
        "Themenfelder",
        "Offen nach Priorität",
        "Ohne Fachbereich",
        "Überfällige Planungen",
    ]
    status = {row[0]: row[1] for row in sheets["Status"][1:]}
    assert status["umgesetzt"] == page.total.done == 2
    assert status["relevante Leistungen gesamt"] == 7
    topics = sheets["Themenfelder"]
    assert topics[0][0] == "Themenfeld"
    total_row = topics[-1]
    assert total_row[0] == "Alle Themenfelder"
    assert total_row[1] == 7
    assert total_row[-1] == page.total.case_share
    overdue = sheets["Überfällige Planungen"]
    assert [row[1] for row in overdue[1:]] == [r.service.name for r in page.overdue]
    assert isinstance(overdue[1][9], datetime.date)  # dates as dates

    csv_rows = read_csv(
        client.get(
            reverse("reports:dashboard-export", kwargs={"pk": w.lemgo.pk, "fmt": "csv"}),
            {"table": "status"},
        )
    )
    assert csv_rows[0] == ["Status", "Leistungen", "Anteil in %"]
    assert ["umgesetzt", "2", "28,6"] in csv_rows
    assert (
        client.get(
            reverse("reports:dashboard-export", kwargs={"pk": w.lemgo.pk, "fmt": "pdf"})
        ).status_code
        == 404
    )
    assert (
        client.get(
            reverse("reports:dashboard-export", kwargs={"pk": w.lemgo.pk, "fmt": "csv"}),
            {"table": "nope"},
        ).status_code
        == 404
    )
