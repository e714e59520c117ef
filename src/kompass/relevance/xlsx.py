"""The matrix as a spreadsheet: export for Themenpaten, and the import of a filled copy.

Layout of the sheet "Relevanz": row 1 the headings people read, row 2 the machine keys (the
catalogue key column and each Kommunaltyp's code), from row 3 one LeiKa-Leistung per row. Each
Kommunaltyp has two columns: its value (German label) and "Begründung". The import goes through
services.type_decisions_set like every other channel: validated, all or nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from io import BytesIO
from typing import TYPE_CHECKING

from django.utils.translation import gettext as _
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from kompass.catalogue.models import Service, Topic
from kompass.municipalities.models import Land
from kompass.relevance.choices import RelevanceValue
from kompass.relevance.models import TypeDecision
from kompass.relevance.selectors import default_value_for, municipality_types_of
from kompass.relevance.services import CellInput, RelevanceError

if TYPE_CHECKING:
    from django.core.files.uploadedfile import UploadedFile

SHEET_TITLE = "Relevanz"
KEY_HEADING = "catalogue_key"
FIXED_COLUMNS = 5  # key, Leistung, OZG-ID, OZG-Leistung, LeiKa-Typ
FIRST_DATA_ROW = 3
MAX_UPLOAD_BYTES = 10 * 1024 * 1024
MAX_ROWS = 20_000
# Characters that make a spreadsheet program read a cell as a formula (or DDE command).
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n")


def neutralise(value):
    """Prefix text that a spreadsheet would run as a formula with an apostrophe (CSV/formula
    injection); numbers and empty cells pass unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


def _unneutralise(text: str) -> str:
    if text.startswith("'") and text[1:].startswith(FORMULA_TRIGGERS):
        return text[1:]
    return text


def _labels() -> dict[str, str]:
    return {value: str(label) for value, label in RelevanceValue.choices}


def matrix_export(*, topic: Topic, land: Land) -> bytes:
    """The whole matrix of a Themenfeld for the Kommunaltypen of a Land as an XLSX file."""
    types = municipality_types_of(land)
    services = list(
        Service.objects.current()
        .filter(topic=topic)
        .select_related("ozg_service")
        .only(
            "pk",
            "catalogue_key",
            "name",
            "leika_type_codes",
            "ozg_service__ozg_id",
            "ozg_service__name",
        )
        .order_by("ozg_service__ozg_id", "name", "pk")
    )
    decisions = {
        (s, t): (v, r)
        for s, t, v, r in TypeDecision.objects.filter(
            service__topic=topic, municipality_type__land=land
        ).values_list("service_id", "municipality_type_id", "value", "reason")
    }
    labels = _labels()
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = SHEET_TITLE
    headings = [
        _("Katalogschlüssel"),
        _("Leistung"),
        _("OZG-ID"),
        _("OZG-Leistung"),
        _("LeiKa-Typ"),
    ]
    keys = [KEY_HEADING, "", "", "", ""]
    for municipality_type in types:
        headings += [
            municipality_type.name,
            _("Begründung: %(type)s") % {"type": municipality_type.name},
        ]
        keys += [municipality_type.code, ""]
    sheet.append([neutralise(h) for h in headings])
    sheet.append(keys)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for cell in sheet[2]:
        cell.font = Font(color="777777")
    for service in services:
        default = default_value_for(service.leika_type_codes)
        row = [
            service.catalogue_key,
            service.name,
            service.ozg_service.ozg_id if service.ozg_service else "",
            service.ozg_service.name if service.ozg_service else "",
            service.leika_type_codes,
        ]
        for municipality_type in types:
            value, reason = decisions.get((service.pk, municipality_type.pk), (default, ""))
            row += [labels[value], reason]
        sheet.append([neutralise(v) for v in row])
    if types and services:
        choices = '"' + ",".join(labels.values()) + '"'
        validation = DataValidation(type="list", formula1=choices, allow_blank=True)
        sheet.add_data_validation(validation)
        for index in range(len(types)):
            letter = get_column_letter(FIXED_COLUMNS + 1 + 2 * index)
            validation.add(f"{letter}{FIRST_DATA_ROW}:{letter}{FIRST_DATA_ROW + len(services) - 1}")
    sheet.freeze_panes = sheet.cell(row=FIRST_DATA_ROW, column=FIXED_COLUMNS + 1)
    for letter, width in (("A", 18), ("B", 60), ("C", 8), ("D", 40), ("E", 10)):
        sheet.column_dimensions[letter].width = width
    buffer = BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


@dataclass
class ParsedMatrix:
    cells: list[CellInput]
    row_count: int


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return _unneutralise(str(value).strip())


def matrix_parse(*, upload: UploadedFile, topic: Topic, land: Land) -> ParsedMatrix:
    """Read a filled matrix into CellInputs; raise RelevanceError listing every problem with its
    row and column (German). An empty value cell means "no change" for that cell."""
    if upload.size and upload.size > MAX_UPLOAD_BYTES:
        raise RelevanceError(_("Die Datei ist größer als 10 MB."))
    try:
        workbook = load_workbook(upload, read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds (zip, XML, key errors) for a broken file
        raise RelevanceError(
            _(
                "Die Datei ist keine lesbare Excel-Datei (.xlsx). Bitte laden Sie die exportierte Tabelle hoch."
            )
        ) from None
    sheet = workbook[SHEET_TITLE] if SHEET_TITLE in workbook.sheetnames else workbook.worksheets[0]
    rows = sheet.iter_rows(values_only=True)
    try:
        next(rows)
        keys = [_text(v) for v in next(rows)]
    except StopIteration:
        raise RelevanceError(
            _("Die Tabelle ist leer: Zeile 2 mit den Spaltenschlüsseln fehlt.")
        ) from None
    if not keys or keys[0] != KEY_HEADING:
        raise RelevanceError(
            _("Zeile 2, Spalte A: erwartet „%(key)s“. Bitte verwenden Sie die exportierte Tabelle.")
            % {"key": KEY_HEADING}
        )
    types = {t.code: t for t in municipality_types_of(land)}
    errors: list[str] = []
    columns: list[tuple[int, object]] = []  # (0-based column of the value, type)
    for index in range(FIXED_COLUMNS, len(keys), 2):
        code = keys[index]
        if not code:
            continue
        letter = get_column_letter(index + 1)
        if code not in types:
            errors.append(
                _("Zeile 2, Spalte %(col)s: „%(code)s“ ist kein Kommunaltyp des Landes %(land)s.")
                % {"col": letter, "code": code, "land": land.name}
            )
            continue
        columns.append((index, types[code]))
    if not columns and not errors:
        errors.append(_("Zeile 2: Die Tabelle enthält keine Spalte für einen Kommunaltyp."))
    values_by_label = {str(label).casefold(): value for value, label in RelevanceValue.choices}
    values_by_label.update({value: value for value in RelevanceValue.values})
    services = dict(
        Service.objects.current().filter(topic=topic).values_list("catalogue_key", "pk")
    )
    cells: list[CellInput] = []
    row_count = 0
    seen_keys: dict[str, int] = {}
    for number, row in enumerate(rows, start=FIRST_DATA_ROW):
        if row_count >= MAX_ROWS:
            errors.append(_("Die Tabelle hat mehr als %(max)d Zeilen.") % {"max": MAX_ROWS})
            break
        row = list(row)
        if not any(v not in (None, "") for v in row):
            continue
        row_count += 1
        key = _text(row[0] if row else None)
        service_id = services.get(key)
        if service_id is None:
            errors.append(
                _(
                    "Zeile %(row)d, Spalte A: „%(key)s“ ist keine aktuelle Leistung im Themenfeld „%(topic)s“."
                )
                % {"row": number, "key": key, "topic": topic.name}
            )
            continue
        if key in seen_keys:
            errors.append(
                _("Zeile %(row)d, Spalte A: „%(key)s“ steht schon in Zeile %(first)d.")
                % {"row": number, "key": key, "first": seen_keys[key]}
            )
            continue
        seen_keys[key] = number
        for index, municipality_type in columns:
            raw = _text(row[index] if index < len(row) else None)
            reason = _text(row[index + 1] if index + 1 < len(row) else None)
            if not raw:
                continue
            value = values_by_label.get(raw.casefold())
            letter = get_column_letter(index + 1)
            if value is None:
                errors.append(
                    _(
                        "Zeile %(row)d, Spalte %(col)s: „%(value)s“ ist kein gültiger Wert (erlaubt: %(allowed)s)."
                    )
                    % {
                        "row": number,
                        "col": letter,
                        "value": raw,
                        "allowed": ", ".join(f"„{label}“" for label in _labels().values()),
                    }
                )
                continue
            cells.append(
                CellInput(
                    service_id=service_id,
                    type_id=municipality_type.pk,
                    value=value,
                    reason=reason,
                    position=_("Zeile %(row)d, Spalte %(col)s") % {"row": number, "col": letter},
                )
            )
    workbook.close()
    if errors:
        raise RelevanceError(errors)
    return ParsedMatrix(cells=cells, row_count=row_count)
