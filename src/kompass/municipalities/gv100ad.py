"""Reader and writer for the Destatis Gemeindeverzeichnis GV100AD (fixed-width, 220 characters a line).

Layout (1-based columns; Datensatzbeschreibung GV100AD, Satzarten 10/20/30/40/50/60):

====================  ===========  ===================================================
field                 columns      note
====================  ===========  ===================================================
Satzart               1–2          10 Land, 20 Reg.-Bez., 30 Region (BW), 40 Kreis,
                                   50 Gemeindeverband, 60 Gemeinde
Gebietsstand          3–10         YYYYMMDD, the same on every line of a file
Land / RB / Kreis     11–12/13/14–15
Gemeinde              16–18        AGS = columns 11–18
Gemeindeverband       19–22        ARS = columns 11–15 + 19–22 + 16–18
Name                  23–72
Sitz der Verwaltung   73–122       Satzarten 10–50
Textkennzeichen       123–124      Satzarten 40, 50, 60
Fläche ha             129–139      Satzart 60 only (as are the following fields)
Bevölkerung (m.)      140–150 (151–161)
PLZ / mehrere PLZ     166–170 / 171–175   ``*****`` = the Gemeinde has several PLZ
Finanzamt … Wahlkreis 178–196      Finanzamt, OLG, LG, AG, Arbeitsagentur, BT-Wahlkreise
====================  ===========  ===================================================

Since the Sorbian spellings entered the official names, Destatis ships the file in UTF-8; older
files are ISO-8859-1. :func:`parse_gv100ad` accepts both; columns count characters, not bytes.

:func:`gv100ad_records_from_csv` turns the derived CSV that ships in ``data/gemeindeverzeichnis``
(``gemeinden_de_gv100ad_*.csv``, one row per Gemeinde with its Land, RB, Kreis and Verband) into the
same typed records, so the database loader has one input, and :func:`write_gv100ad` writes records back
in the official layout (the benchmark builds a full-Germany raw file that way).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import ClassVar, TextIO

from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

LINE_LENGTH = 220
MAX_REPORTED_ERRORS = 25

DISTRICT_KENNZEICHEN = {"41", "42", "43", "44", "45"}
ASSOCIATION_KENNZEICHEN = {str(code) for code in range(50, 59)}
MUNICIPALITY_KENNZEICHEN = {str(code) for code in range(60, 68)}
# Kreis-Textkennzeichen of kreisfreie Städte / Stadtkreise: the Satzart-40 record and the
# Satzart-60 record describe the same Kommune.
CITY_DISTRICT_KENNZEICHEN = {"41", "42"}

# Names the derived CSV uses for the Gemeindeverband-Textkennzeichen (column
# verband_textkennzeichen_bez); the raw file has the code.
ASSOCIATION_KENNZEICHEN_NAMES = {
    "50": "verbandsfreie Gemeinde",
    "51": "Amt",
    "52": "Samtgemeinde",
    "53": "Verbandsgemeinde",
    "54": "Verwaltungsgemeinschaft",
    "55": "Kirchspielslandgemeinde",
    "56": "Verwaltungsverband",
    "57": "VG Trägermodell",
    "58": "Erfüllende Gemeinde",
}

_DIGITS = re.compile(r"\d+")


class GemeindeverzeichnisError(Exception):
    """Bad input for a Gemeindeverzeichnis import; ``errors`` lists every problem in German."""

    def __init__(self, errors: list[str]):
        self.errors = errors
        super().__init__("\n".join(errors))


@dataclass(frozen=True, slots=True)
class LandRecord:
    """Satzart 10: a Land."""

    territorial_status: date
    code: str  # 2 digits
    name: str
    seat: str = ""
    satzart: ClassVar[str] = "10"


@dataclass(frozen=True, slots=True)
class RegionRecord:
    """Satzart 20: a Regierungsbezirk (or statistical region, Lower Saxony; former RB, RP/SN)."""

    territorial_status: date
    code: str  # 3 digits: Land + RB
    name: str
    seat: str = ""
    satzart: ClassVar[str] = "20"


@dataclass(frozen=True, slots=True)
class PlanningRegionRecord:
    """Satzart 30: a Region (Baden-Württemberg only); parsed, but not a Kommune."""

    territorial_status: date
    code: str  # 4 digits: Land + RB + Region
    name: str
    seat: str = ""
    satzart: ClassVar[str] = "30"


@dataclass(frozen=True, slots=True)
class DistrictRecord:
    """Satzart 40: a Kreis, Landkreis, Regionalverband, or a kreisfreie Stadt / Stadtkreis."""

    territorial_status: date
    code: str  # 5 digits: Land + RB + Kreis
    name: str
    textkennzeichen: str  # 41–45
    seat: str = ""
    satzart: ClassVar[str] = "40"

    @property
    def is_city(self) -> bool:
        """Kreisfreie Stadt or Stadtkreis: the Kommune is the Gemeinde with the same ARS."""
        return self.textkennzeichen in CITY_DISTRICT_KENNZEICHEN


@dataclass(frozen=True, slots=True)
class AssociationRecord:
    """Satzart 50: a Gemeindeverband (Amt, Verbandsgemeinde, …, or a verbandsfreie Gemeinde)."""

    territorial_status: date
    code: str  # 9 digits: Kreis (5) + Verband (4)
    name: str
    textkennzeichen: str  # 50–58
    seat: str = ""
    satzart: ClassVar[str] = "50"


@dataclass(frozen=True, slots=True)
class MunicipalityRecord:
    """Satzart 60: a Gemeinde (kreisfreie Städte included) or a gemeindefreies Gebiet."""

    territorial_status: date
    ars: str  # 12 digits
    name: str
    textkennzeichen: str  # 60–67
    area_ha: int
    population: int
    population_male: int
    postal_code: str = ""
    multiple_postal_codes: bool = False
    tax_office: str = ""
    higher_regional_court: str = ""
    regional_court: str = ""
    local_court: str = ""
    employment_agency: str = ""
    constituency_from: str = ""
    constituency_to: str = ""
    satzart: ClassVar[str] = "60"

    @property
    def ags(self) -> str:
        return self.ars[:5] + self.ars[9:]

    @property
    def land_code(self) -> str:
        return self.ars[:2]

    @property
    def district_code(self) -> str:
        return self.ars[:5]

    @property
    def association_code(self) -> str:
        return self.ars[:9]


Gv100adRecord = (
    LandRecord
    | RegionRecord
    | PlanningRegionRecord
    | DistrictRecord
    | AssociationRecord
    | MunicipalityRecord
)


@dataclass
class Gemeindeverzeichnis:
    """The records of one file, by Satzart, checked for completeness (see :func:`check_records`)."""

    territorial_status: date
    lands: dict[str, LandRecord] = field(default_factory=dict)
    regions: dict[str, RegionRecord] = field(default_factory=dict)
    planning_regions: dict[str, PlanningRegionRecord] = field(default_factory=dict)
    districts: dict[str, DistrictRecord] = field(default_factory=dict)
    associations: dict[str, AssociationRecord] = field(default_factory=dict)
    municipalities: dict[str, MunicipalityRecord] = field(default_factory=dict)

    def records(self) -> Iterator[Gv100adRecord]:
        """All records in file order: by Regionalschlüssel, then Satzart."""
        everything: list[Gv100adRecord] = [
            *self.lands.values(),
            *self.regions.values(),
            *self.planning_regions.values(),
            *self.districts.values(),
            *self.associations.values(),
            *self.municipalities.values(),
        ]
        yield from sorted(everything, key=_sort_key)


def _sort_key(record: Gv100adRecord) -> tuple[str, str, str]:
    """The official order: columns 11–18 (blank-padded), then Satzart, then Verband."""
    if isinstance(record, MunicipalityRecord):
        return (record.ags, record.satzart, record.association_code[5:])
    if isinstance(record, AssociationRecord):
        return (record.code[:5].ljust(8), record.satzart, record.code[5:])
    return (record.code.ljust(8), record.satzart, "")


# --- Reading ---------------------------------------------------------------------------------


def decode_gv100ad(data: bytes) -> str:
    """Decode a raw file: UTF-8 (current files, BOM allowed) or else ISO-8859-1 (older files)."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = data.decode("iso-8859-1")
    return text.removeprefix("\ufeff")


def parse_gv100ad(source: Path | str | bytes | TextIO) -> Gemeindeverzeichnis:
    """Parse a GV100AD file (a path, its bytes, or a text stream) into checked, typed records.

    Raises :class:`GemeindeverzeichnisError` listing every malformed line with its number.
    """
    if isinstance(source, (str, Path)):
        text = decode_gv100ad(Path(source).read_bytes())
    elif isinstance(source, bytes):
        text = decode_gv100ad(source)
    else:
        text = source.read()
    errors: list[str] = []
    records: list[tuple[int, Gv100adRecord]] = []
    # Split on line feeds only: str.splitlines() would also break at U+0085, which an
    # ISO-8859-1 decode can produce.
    for number, raw_line in enumerate(text.split("\n"), start=1):
        line = raw_line.rstrip("\r")
        if not line.strip():
            continue
        record, line_errors = _parse_line(line)
        errors.extend(
            _("Zeile %(line)d: %(error)s") % {"line": number, "error": error}
            for error in line_errors
        )
        if record is not None:
            records.append((number, record))
    if not records and not errors:
        errors.append(_("Die Datei enthält keine Datensätze."))
    if errors:
        raise GemeindeverzeichnisError(_limited(errors))
    return check_records(records, where=_("Zeile"))


def _field(line: str, first: int, last: int) -> str:
    """Columns first..last (1-based, inclusive), without surrounding spaces."""
    return line[first - 1 : last].strip()


def _parse_line(line: str) -> tuple[Gv100adRecord | None, list[str]]:
    if len(line.rstrip()) > LINE_LENGTH:
        return None, [
            _("Die Zeile ist %(length)d Zeichen lang, erlaubt sind %(max)d.")
            % {"length": len(line.rstrip()), "max": LINE_LENGTH}
        ]
    satzart = line[:2]
    if satzart not in _PARSERS:
        return None, [_("Unbekannte Satzart „%(satzart)s“.") % {"satzart": satzart}]
    errors: list[str] = []
    stamp = _parse_date(_field(line, 3, 10), errors)
    try:
        record = _PARSERS[satzart](line, stamp or date.min)
    except ValueError as exc:
        return None, [*errors, str(exc)]
    errors.extend(record_errors(record))
    return (None if errors else record), errors


def _parse_date(value: str, errors: list[str]) -> date | None:
    if len(value) == 8 and value.isdigit():
        try:
            return date(int(value[:4]), int(value[4:6]), int(value[6:]))
        except ValueError:
            pass
    errors.append(_("Ungültiger Gebietsstand „%(value)s“ (erwartet JJJJMMTT).") % {"value": value})
    return None


def _number(line: str, first: int, last: int, label: str) -> int:
    value = _field(line, first, last)
    if not value.isdigit():
        raise ValueError(
            _("%(field)s (Spalten %(first)d–%(last)d) ist keine Zahl: „%(value)s“.")
            % {"field": _(label), "first": first, "last": last, "value": value}
        )
    return int(value)


def _parse_land(line: str, stamp: date) -> LandRecord:
    return LandRecord(stamp, _field(line, 11, 12), _field(line, 23, 72), _field(line, 73, 122))


def _parse_region(line: str, stamp: date) -> RegionRecord:
    return RegionRecord(stamp, _field(line, 11, 13), _field(line, 23, 72), _field(line, 73, 122))


def _parse_planning_region(line: str, stamp: date) -> PlanningRegionRecord:
    return PlanningRegionRecord(
        stamp, _field(line, 11, 14), _field(line, 23, 72), _field(line, 73, 122)
    )


def _parse_district(line: str, stamp: date) -> DistrictRecord:
    return DistrictRecord(
        stamp,
        _field(line, 11, 15),
        _field(line, 23, 72),
        _field(line, 123, 124),
        _field(line, 73, 122),
    )


def _parse_association(line: str, stamp: date) -> AssociationRecord:
    return AssociationRecord(
        stamp,
        _field(line, 11, 15) + _field(line, 19, 22),
        _field(line, 23, 72),
        _field(line, 123, 124),
        _field(line, 73, 122),
    )


def _parse_municipality(line: str, stamp: date) -> MunicipalityRecord:
    marker = _field(line, 171, 175)
    if marker not in ("", "*****"):
        raise ValueError(
            _("Kennzeichen mehrerer PLZ (Spalten 171–175) muss leer oder ***** sein: „%(value)s“.")
            % {"value": marker}
        )
    return MunicipalityRecord(
        territorial_status=stamp,
        ars=_field(line, 11, 15) + _field(line, 19, 22) + _field(line, 16, 18),
        name=_field(line, 23, 72),
        textkennzeichen=_field(line, 123, 124),
        area_ha=_number(line, 129, 139, gettext_noop("Fläche")),
        population=_number(line, 140, 150, gettext_noop("Bevölkerung")),
        population_male=_number(line, 151, 161, gettext_noop("Bevölkerung männlich")),
        postal_code=_field(line, 166, 170),
        multiple_postal_codes=marker == "*****",
        tax_office=_field(line, 178, 181),
        higher_regional_court=_field(line, 182, 182),
        regional_court=_field(line, 183, 183),
        local_court=_field(line, 184, 185),
        employment_agency=_field(line, 186, 190),
        constituency_from=_field(line, 191, 193),
        constituency_to=_field(line, 194, 196),
    )


_PARSERS = {
    "10": _parse_land,
    "20": _parse_region,
    "30": _parse_planning_region,
    "40": _parse_district,
    "50": _parse_association,
    "60": _parse_municipality,
}

_KEY_LENGTHS = {"10": 2, "20": 3, "30": 4, "40": 5, "50": 9}
_KENNZEICHEN = {
    "40": DISTRICT_KENNZEICHEN,
    "50": ASSOCIATION_KENNZEICHEN,
    "60": MUNICIPALITY_KENNZEICHEN,
}


def record_errors(record: Gv100adRecord) -> list[str]:
    """Field checks shared by the raw-file parser and the CSV reader (German messages)."""
    errors: list[str] = []
    key = record.ars if isinstance(record, MunicipalityRecord) else record.code
    length = 12 if isinstance(record, MunicipalityRecord) else _KEY_LENGTHS[record.satzart]
    if len(key) != length or not _DIGITS.fullmatch(key):
        errors.append(
            _(
                "Ungültiger Schlüssel „%(key)s“ für Satzart %(satzart)s (erwartet %(length)d Ziffern)."
            )
            % {"key": key, "satzart": record.satzart, "length": length}
        )
    if not record.name:
        errors.append(_("Der Name fehlt."))
    allowed = _KENNZEICHEN.get(record.satzart)
    if allowed is not None and record.textkennzeichen not in allowed:
        errors.append(
            _("Ungültiges Textkennzeichen „%(value)s“ für Satzart %(satzart)s.")
            % {"value": record.textkennzeichen, "satzart": record.satzart}
        )
    postal_code = getattr(record, "postal_code", "")
    if postal_code and (len(postal_code) != 5 or not postal_code.isdigit()):
        errors.append(_("Ungültige Postleitzahl „%(value)s“.") % {"value": postal_code})
    return errors


def check_records(
    numbered: Iterable[tuple[int, Gv100adRecord]], *, where: str
) -> Gemeindeverzeichnis:
    """Group records by Satzart and check that the file is complete and consistent.

    Every record needs the same Gebietsstand and a unique key; every Gemeinde its Land, its
    Gemeindeverband and its Kreis. The one exception: Gemeinden with Kreis part ``00`` (the
    gemeindefreien Gebiete 07000999 "Gemeinsames deutsch-luxemburgisches Hoheitsgebiet" and
    13000998/13000999 in M-V) have no Satzart-40 Kreis. ``where`` names the position ("Zeile").
    """
    errors: list[str] = []
    directory: Gemeindeverzeichnis | None = None
    buckets: dict[str, dict[str, Gv100adRecord]] = {}
    for number, record in numbered:
        if directory is None:
            directory = Gemeindeverzeichnis(territorial_status=record.territorial_status)
            buckets = {
                "10": directory.lands,
                "20": directory.regions,
                "30": directory.planning_regions,
                "40": directory.districts,
                "50": directory.associations,
                "60": directory.municipalities,
            }
        prefix = f"{where} {number}: "
        if record.territorial_status != directory.territorial_status:
            errors.append(
                prefix
                + _("Gebietsstand %(date)s weicht vom Gebietsstand der Datei (%(file)s) ab.")
                % {
                    "date": record.territorial_status.isoformat(),
                    "file": directory.territorial_status.isoformat(),
                }
            )
        key = record.ars if isinstance(record, MunicipalityRecord) else record.code
        bucket = buckets[record.satzart]
        if key in bucket:
            errors.append(
                prefix
                + _("Schlüssel %(key)s kommt in Satzart %(satzart)s doppelt vor.")
                % {"key": key, "satzart": record.satzart}
            )
        bucket[key] = record
    if directory is None:
        raise GemeindeverzeichnisError([_("Die Datei enthält keine Datensätze.")])
    for municipality in directory.municipalities.values():
        errors.extend(
            f"{municipality.ars} {municipality.name}: {error}"
            for error in _missing_parents(directory, municipality)
        )
    for code, region in directory.regions.items():
        if code[:2] not in directory.lands:
            errors.append(
                _("Regierungsbezirk %(code)s %(name)s: Land %(land)s fehlt (Satzart 10).")
                % {"code": code, "name": region.name, "land": code[:2]}
            )
    for code, district in directory.districts.items():
        if code[:2] not in directory.lands:
            errors.append(
                _("Kreis %(code)s %(name)s: Land %(land)s fehlt (Satzart 10).")
                % {"code": code, "name": district.name, "land": code[:2]}
            )
    if errors:
        raise GemeindeverzeichnisError(_limited(errors))
    return directory


def _missing_parents(directory: Gemeindeverzeichnis, record: MunicipalityRecord) -> list[str]:
    errors = []
    if record.land_code not in directory.lands:
        errors.append(_("Land %(code)s fehlt (Satzart 10).") % {"code": record.land_code})
    if record.district_code not in directory.districts and record.ars[3:5] != "00":
        errors.append(_("Kreis %(code)s fehlt (Satzart 40).") % {"code": record.district_code})
    if record.association_code not in directory.associations:
        errors.append(
            _("Gemeindeverband %(code)s fehlt (Satzart 50).") % {"code": record.association_code}
        )
    return errors


def _limited(errors: list[str]) -> list[str]:
    if len(errors) <= MAX_REPORTED_ERRORS:
        return errors
    hidden = len(errors) - MAX_REPORTED_ERRORS
    return [
        *errors[:MAX_REPORTED_ERRORS],
        _("… und %(count)d weitere Fehler.") % {"count": hidden},
    ]


# --- The derived CSV -------------------------------------------------------------------------

CSV_COLUMNS = (
    "ars",
    "ags",
    "gemeinde_name",
    "textkennzeichen",
    "land_code",
    "land_name",
    "regbez_code",
    "regbez_name",
    "kreis_code",
    "kreis_name",
    "kreis_textkennzeichen",
    "verband_code",
    "verband_name",
    "verband_textkennzeichen_bez",
    "bevoelkerung",
    "bevoelkerung_maennlich",
    "flaeche_ha",
    "plz",
    "plz_mehrere",
    "gebietsstand",
)
_ASSOCIATION_CODES = {name: code for code, name in ASSOCIATION_KENNZEICHEN_NAMES.items()}


def gv100ad_records_from_csv(source: Path | TextIO) -> Gemeindeverzeichnis:
    """Read ``gemeinden_de_gv100ad_*.csv`` (one row per Gemeinde) into checked GV100AD records.

    The Land, RB, Kreis and Verband of each row become their own records, so the result is what
    parsing the raw file gives, except for what the CSV does not carry (Sitz der Verwaltung, Satzart
    30, Finanzamt/court/Wahlkreis fields); the database keeps none of those.
    """
    if isinstance(source, Path):
        with source.open(encoding="utf-8-sig", newline="") as handle:
            return _records_from_csv_stream(handle)
    return _records_from_csv_stream(source)


def _records_from_csv_stream(handle: TextIO) -> Gemeindeverzeichnis:
    reader = csv.DictReader(handle)
    missing = [column for column in CSV_COLUMNS if column not in (reader.fieldnames or [])]
    if missing:
        raise GemeindeverzeichnisError(
            [_("Der CSV-Datei fehlen Spalten: %(columns)s.") % {"columns": ", ".join(missing)}]
        )
    errors: list[str] = []
    numbered: list[tuple[int, Gv100adRecord]] = []
    seen: set[str] = set()
    for row in reader:
        number = reader.line_num
        try:
            row_records = _csv_row_records(row)
        except ValueError as exc:
            errors.append(_("Zeile %(line)d: %(error)s") % {"line": number, "error": exc})
            continue
        for record in row_records:
            key = f"{record.satzart}:{getattr(record, 'code', '') or getattr(record, 'ars', '')}"
            if record.satzart != "60" and key in seen:
                continue  # the Land, RB, Kreis and Verband repeat on every row of a Gemeinde
            seen.add(key)
            errors.extend(
                _("Zeile %(line)d: %(error)s") % {"line": number, "error": error}
                for error in record_errors(record)
            )
            numbered.append((number, record))
    if errors:
        raise GemeindeverzeichnisError(_limited(errors))
    return check_records(numbered, where=_("Zeile"))


def _csv_int(row: dict[str, str], column: str) -> int:
    value = (row.get(column) or "").strip()
    if not value.isdigit():
        raise ValueError(
            _("Spalte %(column)s ist keine Zahl: „%(value)s“.") % {"column": column, "value": value}
        )
    return int(value)


def _csv_row_records(row: dict[str, str]) -> list[Gv100adRecord]:
    value = {column: (row.get(column) or "").strip() for column in CSV_COLUMNS}
    try:
        stamp = date.fromisoformat(value["gebietsstand"])
    except ValueError:
        raise ValueError(
            _("Ungültiger Gebietsstand „%(value)s“ (erwartet JJJJ-MM-TT).")
            % {"value": value["gebietsstand"]}
        ) from None
    association_kennzeichen = _ASSOCIATION_CODES.get(value["verband_textkennzeichen_bez"])
    if association_kennzeichen is None:
        raise ValueError(
            _("Unbekannte Art des Gemeindeverbands „%(value)s“.")
            % {"value": value["verband_textkennzeichen_bez"]}
        )
    if value["plz_mehrere"] not in ("ja", "nein"):
        raise ValueError(
            _("Spalte plz_mehrere muss ja oder nein sein: „%(value)s“.")
            % {"value": value["plz_mehrere"]}
        )
    ars = value["ars"]
    if value["ags"] != ars[:5] + ars[9:] or value["verband_code"] != ars[:9]:
        raise ValueError(
            _("AGS %(ags)s und Verband %(verband)s passen nicht zum ARS %(ars)s.")
            % {"ags": value["ags"], "verband": value["verband_code"], "ars": ars}
        )
    records: list[Gv100adRecord] = [LandRecord(stamp, value["land_code"], value["land_name"])]
    if value["regbez_code"]:
        records.append(RegionRecord(stamp, value["regbez_code"], value["regbez_name"]))
    if value["kreis_textkennzeichen"] not in ("", "0"):
        records.append(
            DistrictRecord(
                stamp, value["kreis_code"], value["kreis_name"], value["kreis_textkennzeichen"]
            )
        )
    records.append(
        AssociationRecord(
            stamp, value["verband_code"], value["verband_name"], association_kennzeichen
        )
    )
    records.append(
        MunicipalityRecord(
            territorial_status=stamp,
            ars=ars,
            name=value["gemeinde_name"],
            textkennzeichen=value["textkennzeichen"],
            area_ha=_csv_int(value, "flaeche_ha"),
            population=_csv_int(value, "bevoelkerung"),
            population_male=_csv_int(value, "bevoelkerung_maennlich"),
            postal_code=value["plz"],
            multiple_postal_codes=value["plz_mehrere"] == "ja",
        )
    )
    return records


# --- Writing ---------------------------------------------------------------------------------


def format_gv100ad_line(record: Gv100adRecord) -> str:
    """One record as a 220-character line in the GV100AD layout (no line break)."""
    chars = [" "] * LINE_LENGTH

    def put(first: int, last: int, text: str, *, fill: str = " ", right: bool = False) -> None:
        width = last - first + 1
        if len(text) > width:
            raise ValueError(f"{text!r} does not fit into columns {first}-{last}")
        chars[first - 1 : last] = list(text.rjust(width, fill) if right else text.ljust(width))

    put(1, 2, record.satzart)
    put(3, 10, record.territorial_status.strftime("%Y%m%d"))
    if isinstance(record, MunicipalityRecord):
        put(11, 15, record.ars[:5])
        put(16, 18, record.ars[9:])
        put(19, 22, record.ars[5:9])
        put(23, 72, record.name)
        put(123, 124, record.textkennzeichen)
        put(129, 139, str(record.area_ha), fill="0", right=True)
        put(140, 150, str(record.population), fill="0", right=True)
        put(151, 161, str(record.population_male), fill="0", right=True)
        put(166, 170, record.postal_code)
        put(171, 175, "*****" if record.multiple_postal_codes else "")
        put(178, 181, record.tax_office)
        put(182, 182, record.higher_regional_court)
        put(183, 183, record.regional_court)
        put(184, 185, record.local_court)
        put(186, 190, record.employment_agency)
        put(191, 193, record.constituency_from)
        put(194, 196, record.constituency_to)
        return "".join(chars)
    if isinstance(record, AssociationRecord):
        put(11, 15, record.code[:5])
        put(19, 22, record.code[5:])
    else:
        put(11, 10 + len(record.code), record.code)
    put(23, 72, record.name)
    put(73, 122, record.seat)
    if isinstance(record, (DistrictRecord, AssociationRecord)):
        put(123, 124, record.textkennzeichen)
    return "".join(chars)


def write_gv100ad(
    records: Gemeindeverzeichnis | Iterable[Gv100adRecord],
    out: Path | TextIO,
    *,
    encoding: str = "utf-8",
) -> int:
    """Write records in the GV100AD layout, one 220-character line each, CRLF-terminated.

    ``records``: a :class:`Gemeindeverzeichnis` (written in file order) or any iterable of records
    (written as given). ``out``: a path (written in ``encoding``, UTF-8 like current Destatis files)
    or an open text stream. Returns the number of lines written. To build a raw file from the
    shipped CSV::

        write_gv100ad(gv100ad_records_from_csv(Path("data/gemeindeverzeichnis/gemeinden_de_….csv")),
                      Path("GV100AD.txt"))
    """
    items = records.records() if isinstance(records, Gemeindeverzeichnis) else records
    if isinstance(out, Path):
        with out.open("w", encoding=encoding, newline="") as handle:
            return _write_lines(items, handle)
    return _write_lines(items, out)


def _write_lines(records: Iterable[Gv100adRecord], handle: TextIO) -> int:
    buffer = io.StringIO()
    count = 0
    for record in records:
        buffer.write(format_gv100ad_line(record))
        buffer.write("\r\n")
        count += 1
    handle.write(buffer.getvalue())
    return count
