"""Exports: the workspace list with the list page's filters, read back with python-calamine and
the csv module; proper types; the formula-injection guard; streaming; 2,000 records in < 3 s."""

import datetime
import io
import time

import pytest
from django.http import FileResponse, StreamingHttpResponse
from django.urls import reverse

from kompass.accounts.models import User
from kompass.catalogue.models import Service
from kompass.implementation.models import Implementation
from kompass.reports.exports import Column, Table, clean_value, neutralise, write_xlsx
from kompass.reports.tests.conftest import read_csv, read_xlsx

DANGEROUS = ['=HYPERLINK("http://evil")', "+1+2", "-3+4", "@SUM(A1)", "\tTab", "\rCR"]


@pytest.fixture
def records(ws):
    w = ws.w
    anmeldung, abmeldung, bescheinigung, _hund = ws.services
    Implementation.objects.create(
        municipality=w.lemgo,
        service=anmeldung,
        status="done",
        current_level=3,
        target_level=4,
        case_count=4200,
        case_count_year=2024,
        department=w.lemgo_department,
        planned_date=datetime.date(2026, 6, 30),
        solution='=HYPERLINK("http://evil")',
    )
    Implementation.objects.create(
        municipality=w.lemgo,
        service=abmeldung,
        status="in_progress",
        current_level=1,
        department=w.lemgo_other_department,
        solution="@SUM(A1)",
    )
    Implementation.objects.create(municipality=w.lemgo, service=bescheinigung, status="planning")
    return ws


def _export(client, w, fmt, **params):
    return client.get(
        reverse("reports:workspace-export", kwargs={"pk": w.lemgo.pk, "fmt": fmt}), params
    )


def test_workspace_export_equals_the_list_page(client, records):
    w = records.w
    client.force_login(w.lemgo_admin)
    page = client.get(reverse("implementation:list", kwargs={"pk": w.lemgo.pk}), {"sort": "name"})
    shown = [(row.service.name, row.status_label) for row in page.context["page_obj"].object_list]
    response = _export(client, w, "xlsx", sort="name")
    assert isinstance(response, FileResponse)  # streamed from a temporary file
    sheet = read_xlsx(response)["Leistungen"]
    header = sheet[0]
    assert header[:3] == ["LeiKa-Schlüssel", "Leistung", "OZG-ID"]
    name, status = header.index("Leistung"), header.index("Status")
    assert [(row[name], row[status]) for row in sheet[1:]] == shown
    row = next(r for r in sheet[1:] if r[name] == "Anmeldung Wohnsitz")
    assert row[header.index("Fallzahl pro Jahr")] == 4200
    assert row[header.index("aktueller Reifegrad")] == 3
    assert row[header.index("geplante Fertigstellung")] == datetime.date(2026, 6, 30)
    assert row[header.index("Fachbereich")] == "FB 1 Bürgerservice"
    assert row[header.index("Lösung")] == '\'=HYPERLINK("http://evil")'

    csv_response = _export(client, w, "csv", sort="name")
    assert isinstance(csv_response, StreamingHttpResponse)
    assert csv_response["Content-Disposition"].startswith('attachment; filename="leistungen-')
    rows = read_csv(csv_response)
    assert rows[0] == header
    assert [(r[name], r[status]) for r in rows[1:]] == shown
    csv_row = next(r for r in rows[1:] if r[name] == "Anmeldung Wohnsitz")
    assert csv_row[header.index("Fallzahl pro Jahr")] == "4200"
    assert csv_row[header.index("geplante Fertigstellung")] == "2026-06-30"
    assert csv_row[header.index("Lösung")].startswith("'=")
    abmeldung = next(r for r in rows[1:] if r[name] == "Abmeldung Wohnsitz")
    assert abmeldung[header.index("Lösung")] == "'@SUM(A1)"


def test_workspace_export_uses_the_same_filters(client, records):
    w = records.w
    client.force_login(w.lemgo_admin)
    sheet = read_xlsx(_export(client, w, "xlsx", status="in_progress"))["Leistungen"]
    assert [r[1] for r in sheet[1:]] == ["Abmeldung Wohnsitz"]
    rows = read_csv(_export(client, w, "csv", department="none"))
    assert sorted(r[1] for r in rows[1:]) == [
        "Hundesteuer Anmeldung",
        "Meldebescheinigung erteilen",
    ]
    # A Bearbeiter's export starts like their list: their department's Leistungen.
    client.force_login(w.lemgo_editor)
    rows = read_csv(_export(client, w, "csv"))
    assert [r[1] for r in rows[1:]] == ["Anmeldung Wohnsitz"]
    rows = read_csv(_export(client, w, "csv", department=""))
    assert len(rows) == 5


def test_workspace_export_names_the_contact_like_the_list(client, records):
    """Ansprechperson: the full name, else the user name (accounts.models.person_name), empty
    for a record without a contact or a Leistung without a record; the same in both formats."""
    w = records.w
    User.objects.filter(pk=w.lemgo_admin.pk).update(first_name="Lena", last_name="Lemgo")
    User.objects.filter(pk=w.lemgo_editor.pk).update(first_name="", last_name="")
    lemgo = Implementation.objects.filter(municipality=w.lemgo)
    lemgo.filter(service__name="Anmeldung Wohnsitz").update(contact_person=w.lemgo_admin)
    lemgo.filter(service__name="Abmeldung Wohnsitz").update(contact_person=w.lemgo_editor)
    client.force_login(w.lemgo_admin)
    expected = {
        "Anmeldung Wohnsitz": "Lena Lemgo",
        "Abmeldung Wohnsitz": "lemgo-sb",
        "Meldebescheinigung erteilen": "",
        "Hundesteuer Anmeldung": "",
    }
    page = client.get(reverse("implementation:list", kwargs={"pk": w.lemgo.pk}))
    assert {
        row.service.name: row.contact_name for row in page.context["page_obj"].object_list
    } == expected
    for rows in (
        read_xlsx(_export(client, w, "xlsx"))["Leistungen"],
        read_csv(_export(client, w, "csv")),
    ):
        name, contact = rows[0].index("Leistung"), rows[0].index("Ansprechperson")
        assert {row[name]: row[contact] for row in rows[1:]} == expected


def test_workspace_export_refuses_unknown_formats_and_other_tenants(client, records):
    w = records.w
    client.force_login(w.lemgo_admin)
    assert _export(client, w, "pdf").status_code == 404
    client.force_login(w.bielefeld_admin)
    assert _export(client, w, "csv").status_code == 404


@pytest.mark.parametrize("value", DANGEROUS)
def test_formula_injection_guard(value):
    assert neutralise(value) == "'" + value
    assert clean_value(value) == "'" + value
    # Numbers stay numbers, also negative ones; harmless text stays as it is.
    assert clean_value(-3) == -3
    assert clean_value("Meldebescheinigung - Antrag") == "Meldebescheinigung - Antrag"


def test_formula_injection_guard_in_the_written_files(client, ws):
    w = ws.w
    for index, value in enumerate(DANGEROUS):
        Implementation.objects.create(
            municipality=w.lemgo,
            service=ws.services[index % 4]
            if index < 4
            else Service.objects.create(
                catalogue_key=f"X{index}", name=value, leika_type_codes="5"
            ),
            solution=value,
        )
    client.force_login(w.lemgo_admin)
    buffer = io.BytesIO()
    write_xlsx([Table("T", [Column("Wert")], [(v,) for v in DANGEROUS])], buffer)
    buffer.seek(0)
    from python_calamine import CalamineWorkbook

    values = [
        r[0] for r in CalamineWorkbook.from_filelike(buffer).get_sheet_by_name("T").to_python()[1:]
    ]
    # (XML stores a carriage return as a line feed; the apostrophe is what matters.)
    assert values == ["'" + v.replace("\r", "\n") for v in DANGEROUS]
    sheet = read_xlsx(_export(client, w, "xlsx"))["Leistungen"]
    cells = [cell for row in sheet[1:] for cell in row if isinstance(cell, str)]
    assert not [c for c in cells if c.startswith(("=", "+", "-", "@", "\t", "\r"))]
    rows = read_csv(_export(client, w, "csv"))
    cells = [cell for row in rows[1:] for cell in row]
    assert not [c for c in cells if c.startswith(("=", "+", "-", "@", "\t", "\r"))]
    assert "'+1+2" in cells


def test_xlsx_of_2000_records_is_fast(client, ws):
    w = ws.w
    services = Service.objects.bulk_create(
        Service(
            catalogue_key=f"K{n:05d}",
            leika_key=f"99{n:012d}",
            name=f"Leistung {n:04d}",
            leika_type_codes="5",
            topic=w.topic,
        )
        for n in range(2000)
    )
    Implementation.objects.bulk_create(
        Implementation(
            municipality=w.lemgo,
            service=s,
            status="in_progress",
            current_level=n % 5,
            case_count=n,
            case_count_year=2024,
            solution=f"Lösung {n}",
            planned_date=datetime.date(2027, 1, 1) + datetime.timedelta(days=n % 300),
        )
        for n, s in enumerate(services)
    )
    client.force_login(w.lemgo_admin)
    client.get(reverse("reports:overview"))  # a running server has its modules loaded
    started = time.perf_counter()
    response = _export(client, w, "xlsx")
    data = b"".join(response.streaming_content)
    elapsed = time.perf_counter() - started
    assert elapsed < 3, f"{elapsed:.2f} s"
    print(f"XLSX of 2,004 records: {elapsed:.2f} s")
    from python_calamine import CalamineWorkbook

    sheet = (
        CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_name("Leistungen").to_python()
    )
    assert len(sheet) == 1 + 2004


def test_xlsx_is_a_valid_workbook_for_other_readers_too():
    """openpyxl (a second, stricter reader) opens the file: types, styles and sheet names."""
    from openpyxl import load_workbook

    buffer = io.BytesIO()
    write_xlsx(
        [
            Table(
                "Erste: [Tabelle]",
                [
                    Column("Zahl", "int"),
                    Column("Datum", "date"),
                    Column("Anteil", "float"),
                    Column("Text"),
                ],
                [
                    (1, datetime.date(2025, 1, 2), 12.5, "Straße & <Weg>\x01"),
                    (None, None, None, ""),
                ],
            ),
            Table("Erste: [Tabelle]", [Column("=Kopf")], [("x",)]),
        ],
        buffer,
    )
    buffer.seek(0)
    workbook = load_workbook(buffer)
    assert workbook.sheetnames == ["Erste Tabelle", "Erste Tabelle (2)"]
    sheet = workbook["Erste Tabelle"]
    assert [c.value for c in sheet[2]] == [1, datetime.datetime(2025, 1, 2), 12.5, "Straße & <Weg>"]
    assert sheet["B2"].number_format == "DD.MM.YYYY"
    assert sheet["A1"].font.b
    assert workbook["Erste Tabelle (2)"]["A1"].value == "'=Kopf"
