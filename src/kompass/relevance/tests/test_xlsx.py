"""Export of the matrix to XLSX and import of a filled copy (validated, all or nothing)."""

from io import BytesIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from kompass.relevance import services
from kompass.relevance.models import RelevanceChange, TypeDecision
from kompass.relevance.xlsx import neutralise

pytestmark = pytest.mark.django_db


def _url(rw, name, topic=None):
    return reverse(name, kwargs={"land": "05", "topic": (topic or rw.family).code})


def _export(client, rw):
    response = client.get(_url(rw, "relevance:export"))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith(
        'attachment; filename="relevanz_05_familie_kind_'
    )
    return load_workbook(BytesIO(response.content))


def _upload(workbook, name="matrix.xlsx"):
    buffer = BytesIO()
    workbook.save(buffer)
    return SimpleUploadedFile(
        name,
        buffer.getvalue(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )


def _column(sheet, type_code):
    for cell in sheet[2]:
        if cell.value == type_code:
            return cell.column
    raise AssertionError(type_code)


def _row(sheet, service):
    for row in sheet.iter_rows(min_row=3):
        if row[0].value == service.catalogue_key:
            return row[0].row
    raise AssertionError(service)


def test_export_contains_every_cell_with_labels_and_reasons(client, rw):
    services.type_decisions_set(
        topic=rw.family,
        land=rw.nrw,
        cells=[services.CellInput(rw.kita_services[0].pk, rw.mittlere.pk, "by_district", "Kreis")],
        actor=rw.sponsor,
    )
    client.force_login(rw.sponsor)
    sheet = _export(client, rw)["Relevanz"]
    assert sheet.max_row == 2 + 7
    assert [c.value for c in sheet[2]][:1] == ["catalogue_key"]
    column = _column(sheet, "mittlere-kreisangehoerige-stadt")
    row = _row(sheet, rw.kita_services[0])
    assert sheet.cell(row, column).value == "durch den Kreis"
    assert sheet.cell(row, column + 1).value == "Kreis"
    federal = _row(sheet, rw.federal_service)
    assert sheet.cell(federal, column).value == "nicht relevant"  # the Typ-1 proposal


def test_export_neutralises_formulas(client, rw):
    services.type_decisions_set(
        topic=rw.family,
        land=rw.nrw,
        cells=[
            services.CellInput(rw.kita_services[0].pk, rw.mittlere.pk, "relevant", "=HYPERLINK(1)")
        ],
        actor=rw.sponsor,
    )
    rw.kita_services[1].name = "+cmd|' /C calc'!A0"
    rw.kita_services[1].save(update_fields=["name"])
    client.force_login(rw.sponsor)
    sheet = _export(client, rw)["Relevanz"]
    values = [c.value for row in sheet.iter_rows() for c in row if isinstance(c.value, str)]
    assert "'=HYPERLINK(1)" in values
    assert "'+cmd|' /C calc'!A0" in values
    assert not any(c.data_type == "f" for row in sheet.iter_rows() for c in row)
    assert neutralise("-1") == "'-1"
    assert neutralise(5) == 5
    assert neutralise("ok") == "ok"


def test_import_of_an_edited_export_sets_changed_cells_only(client, rw):
    client.force_login(rw.sponsor)
    workbook = _export(client, rw)
    sheet = workbook["Relevanz"]
    column = _column(sheet, "mittlere-kreisangehoerige-stadt")
    row = _row(sheet, rw.kita_services[0])
    sheet.cell(row, column).value = "Relevant"
    sheet.cell(row, column + 1).value = "'=eigenes Jugendamt"
    response = client.post(_url(rw, "relevance:import"), {"file": _upload(workbook)})
    assert response.status_code == 302, response.content.decode()
    decision = TypeDecision.objects.get()
    assert (decision.service, decision.municipality_type) == (rw.kita_services[0], rw.mittlere)
    assert (decision.value, decision.reason) == ("relevant", "=eigenes Jugendamt")
    assert RelevanceChange.objects.get().channel == "Tabellenimport"
    # The same file again changes nothing.
    response = client.post(_url(rw, "relevance:import"), {"file": _upload(workbook)})
    assert response.status_code == 302
    assert RelevanceChange.objects.count() == 1


def test_import_errors_name_row_and_column_and_nothing_is_written(client, rw):
    client.force_login(rw.sponsor)
    workbook = _export(client, rw)
    sheet = workbook["Relevanz"]
    column = _column(sheet, "mittlere-kreisangehoerige-stadt")
    kreis = _column(sheet, "kreis")
    good = _row(sheet, rw.kita_services[0])
    sheet.cell(good, column).value = "relevant"
    bad = _row(sheet, rw.kita_services[1])
    sheet.cell(bad, column).value = "vielleicht"
    sheet.cell(_row(sheet, rw.municipal_service), kreis).value = "durch den Kreis"
    sheet.append(["99999999999999", "Unbekannt"])
    response = client.post(_url(rw, "relevance:import"), {"file": _upload(workbook)})
    assert response.status_code == 400
    html = response.content.decode()
    letter = sheet.cell(bad, column).column_letter
    assert f"Zeile {bad}, Spalte {letter}: „vielleicht“ ist kein gültiger Wert" in html
    assert "Zeile 10, Spalte A: „99999999999999“ ist keine aktuelle Leistung" in html
    assert "Es wurde nichts übernommen" in html
    assert not TypeDecision.objects.exists()
    # Fix the unknown value and key: the Kreis column error (service validation) remains.
    sheet.cell(bad, column).value = None
    sheet.delete_rows(10)
    response = client.post(_url(rw, "relevance:import"), {"file": _upload(workbook)})
    assert response.status_code == 400
    assert (
        "„durch den Kreis“ ist für den Kommunaltyp „Kreis“ nicht möglich"
        in response.content.decode()
    )
    assert not TypeDecision.objects.exists()


def test_import_refuses_another_lands_type_column_and_broken_files(client, rw):
    client.force_login(rw.sponsor)
    workbook = _export(client, rw)
    sheet = workbook["Relevanz"]
    sheet.cell(2, _column(sheet, "kreis")).value = "gemeinde"  # the Hessian type's code
    response = client.post(_url(rw, "relevance:import"), {"file": _upload(workbook)})
    assert response.status_code == 400
    assert (
        "„gemeinde“ ist kein Kommunaltyp des Landes Nordrhein-Westfalen"
        in response.content.decode()
    )
    broken = SimpleUploadedFile("x.xlsx", b"kein Excel")
    response = client.post(_url(rw, "relevance:import"), {"file": broken})
    assert "keine lesbare Excel-Datei" in response.content.decode()
    assert not TypeDecision.objects.exists()


def test_import_into_a_foreign_topic_is_refused(client, rw):
    client.force_login(rw.sponsor)
    workbook = _export(client, rw)
    response = client.post(
        _url(rw, "relevance:import", topic=rw.environment), {"file": _upload(workbook)}
    )
    assert response.status_code == 403
    assert not TypeDecision.objects.exists()
