"""Writing a checked Gemeindeverzeichnis into the database: Länder, Regierungsbezirke, Kommunaltypen,
Kreise and Gemeinden, updated by key (ARS) with bulk operations.

Both import paths (the raw GV100AD file and the derived CSV) end here with the same typed records,
so they produce the same rows. Kommunaltypen are data per Land:

* **Nordrhein-Westfalen** (§ 4 GO NRW), in this order: kreisfreie Stadt, Kreis, Städteregion,
  Große kreisangehörige Stadt, Mittlere kreisangehörige Stadt, kreisangehörige Stadt,
  kreisangehörige Gemeinde. Große and Mittlere come from the Verordnung's list
  (``nrw_grosse_mittlere_kreisangehoerige_staedte_*.csv``, by ARS), special cases from
  ``nrw_sonderstatus_*.csv`` (Aachen: member of the Städteregion with the rights of a kreisfreie
  Stadt), everything else from the Textkennzeichen: 61/62 kreisfreie Stadt, 63/67 kreisangehörige
  Stadt, 60/64/65/66 kreisangehörige Gemeinde; a Kreis whose name contains "Städteregion" is the
  Städteregion, every other Kreis a Kreis.
* **Every other Land** gets generic types from the GV100AD Textkennzeichen, only those it uses:
  Kreisfreie Stadt (61 kreisfreie Stadt, 62 Stadtkreis), Kreis (43), Landkreis (44),
  Regionalverband (45), Große Kreisstadt (67), Stadt (63), Gemeinde (60 Markt, 64),
  gemeindefreies Gebiet (65/66).

Kreise (Satzart 40 with Textkennzeichen 43–45) become Kommunen of level "district" with the ARS
Kreisschlüssel + ``0000000``; their population and area are the sums over their Gemeinden. A kreisfreie
Stadt (Textkennzeichen 41/42) is not a second Kommune: it is the Gemeinde with the same ARS.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from django.db.models import Max
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from kompass.core.db import rows_insert, rows_update
from kompass.core.text import fold
from kompass.municipalities.choices import MunicipalityLevel
from kompass.municipalities.gv100ad import (
    DistrictRecord,
    Gemeindeverzeichnis,
    GemeindeverzeichnisError,
    MunicipalityRecord,
)
from kompass.municipalities.models import (
    AdministrativeRegion,
    Land,
    Municipality,
    MunicipalityType,
)

NRW = "05"
DISTRICT = MunicipalityLevel.DISTRICT
MUNICIPALITY = MunicipalityLevel.MUNICIPALITY


@dataclass(frozen=True)
class TypeDefinition:
    code: str
    name: str
    level: str
    position: int


NRW_TYPES = (
    TypeDefinition("kreisfreie-stadt", "kreisfreie Stadt", MUNICIPALITY, 1),
    TypeDefinition("kreis", "Kreis", DISTRICT, 2),
    TypeDefinition("staedteregion", "Städteregion", DISTRICT, 3),
    TypeDefinition("grosse-kreisangehoerige-stadt", "Große kreisangehörige Stadt", MUNICIPALITY, 4),
    TypeDefinition(
        "mittlere-kreisangehoerige-stadt", "Mittlere kreisangehörige Stadt", MUNICIPALITY, 5
    ),
    TypeDefinition("kreisangehoerige-stadt", "kreisangehörige Stadt", MUNICIPALITY, 6),
    TypeDefinition("kreisangehoerige-gemeinde", "kreisangehörige Gemeinde", MUNICIPALITY, 7),
)
NRW_TYPE_CODES = {definition.code for definition in NRW_TYPES}
NRW_STATUS_TYPES = {
    "Große kreisangehörige Stadt": "grosse-kreisangehoerige-stadt",
    "Mittlere kreisangehörige Stadt": "mittlere-kreisangehoerige-stadt",
}

GENERIC_TYPES = {
    definition.code: definition
    for definition in (
        TypeDefinition("kreisfreie-stadt", "Kreisfreie Stadt", MUNICIPALITY, 1),
        TypeDefinition("kreis", "Kreis", DISTRICT, 2),
        TypeDefinition("landkreis", "Landkreis", DISTRICT, 3),
        TypeDefinition("regionalverband", "Regionalverband", DISTRICT, 4),
        TypeDefinition("grosse-kreisstadt", "Große Kreisstadt", MUNICIPALITY, 5),
        TypeDefinition("stadt", "Stadt", MUNICIPALITY, 6),
        TypeDefinition("gemeinde", "Gemeinde", MUNICIPALITY, 7),
        TypeDefinition("gemeindefreies-gebiet", "Gemeindefreies Gebiet", MUNICIPALITY, 8),
    )
}
GENERIC_BY_KENNZEICHEN = {
    "43": "kreis",
    "44": "landkreis",
    "45": "regionalverband",
    "60": "gemeinde",
    "61": "kreisfreie-stadt",
    "62": "kreisfreie-stadt",
    "63": "stadt",
    "64": "gemeinde",
    "65": "gemeindefreies-gebiet",
    "66": "gemeindefreies-gebiet",
    "67": "grosse-kreisstadt",
}
NRW_BY_KENNZEICHEN = {
    "61": "kreisfreie-stadt",
    "62": "kreisfreie-stadt",
    "63": "kreisangehoerige-stadt",
    "67": "kreisangehoerige-stadt",
}

# The fields an import owns; everything else on a Kommune (providers, …) is left alone.
MANAGED_FIELDS = (
    "ags",
    "name",
    "level",
    "land_id",
    "region_id",
    "district_code",
    "district_id",
    "municipality_type_id",
    "special_status",
    "textkennzeichen",
    "association_code",
    "association_name",
    "association_kind",
    "population",
    "area_ha",
    "postal_code",
    "has_several_postal_codes",
    "territorial_status",
    "dissolved_on",
    "search_text",
)


# The fields that decide which Leistungen are relevant for a Kommune (or its Kreis).
_GROUPING_FIELDS = {"level", "district_id", "municipality_type_id", "dissolved_on"}


@dataclass
class NrwClassification:
    """NRW Gemeinden whose type is not in the GV100AD: § 4 GO NRW statuses and special cases."""

    types: dict[str, str] = field(default_factory=dict)  # ARS -> type code
    special_status: dict[str, str] = field(default_factory=dict)  # ARS -> text


@dataclass
class ImportResult:
    """What one import found and did; ``summary()`` gives the lines the commands print."""

    territorial_status: date
    lands: int = 0
    regions: int = 0
    districts: int = 0
    municipalities: int = 0
    municipality_types: int = 0
    added: int = 0
    changed: int = 0
    dissolved: int = 0
    unchanged: int = 0
    changed_ars: list[str] = field(default_factory=list)
    dissolved_ars: list[str] = field(default_factory=list)
    # Existing Kommunen whose Leistungen may have changed (type, level, Kreis or dissolution),
    # with their Kreise before and after: the report aggregates to refresh.
    regrouped_ids: set[int] = field(default_factory=set)
    # Existing Kommunen whose records the global view counts under another key now: Kommune →
    # (key before, key after), the key being its Kommunaltyp (0 for none), None while dissolved.
    counted_types: dict[int, tuple[int | None, int | None]] = field(default_factory=dict)

    def summary(self) -> list[str]:
        def n(value: int) -> str:
            return number_format(value, force_grouping=True)

        return [
            _("Gebietsstand %(date)s") % {"date": self.territorial_status.strftime("%d.%m.%Y")},
            _(
                "%(lands)s Länder, %(regions)s Regierungsbezirke, %(districts)s Kreise, "
                "%(municipalities)s Gemeinden, %(types)s Kommunaltypen"
            )
            % {
                "lands": n(self.lands),
                "regions": n(self.regions),
                "districts": n(self.districts),
                "municipalities": n(self.municipalities),
                "types": n(self.municipality_types),
            },
            _(
                "Kommunen: %(added)s neu, %(changed)s geändert, %(dissolved)s aufgelöst, "
                "%(unchanged)s unverändert"
            )
            % {
                "added": n(self.added),
                "changed": n(self.changed),
                "dissolved": n(self.dissolved),
                "unchanged": n(self.unchanged),
            },
        ]


def _latest_csv(directory: Path, pattern: str) -> Path | None:
    matches = sorted(directory.glob(pattern))
    return matches[-1] if matches else None


def nrw_classification_load(directory: Path) -> NrwClassification:
    """Read the § 4 GO NRW list and the special cases from ``directory`` (German errors)."""
    statuses = _latest_csv(directory, "nrw_grosse_mittlere_kreisangehoerige_staedte_*.csv")
    specials = _latest_csv(directory, "nrw_sonderstatus_*.csv")
    missing = [
        name
        for name, found in (
            ("nrw_grosse_mittlere_kreisangehoerige_staedte_*.csv", statuses),
            ("nrw_sonderstatus_*.csv", specials),
        )
        if found is None
    ]
    if missing:
        raise GemeindeverzeichnisError(
            [
                _("In %(directory)s fehlt die Datei %(name)s.")
                % {"directory": directory, "name": name}
                for name in missing
            ]
        )
    classification = NrwClassification()
    errors: list[str] = []
    for number, row in _csv_rows(statuses, ("ars", "status"), errors):
        code = NRW_STATUS_TYPES.get(row["status"])
        if code is None:
            errors.append(
                _("%(file)s, Zeile %(line)d: unbekannter Status „%(value)s“.")
                % {"file": statuses.name, "line": number, "value": row["status"]}
            )
        elif _valid_nrw_ars(row["ars"], statuses, number, errors):
            classification.types[row["ars"]] = code
    for number, row in _csv_rows(specials, ("ars", "kommunaltyp", "sonderstatus"), errors):
        if row["kommunaltyp"] not in NRW_TYPE_CODES:
            errors.append(
                _("%(file)s, Zeile %(line)d: unbekannter Kommunaltyp „%(value)s“.")
                % {"file": specials.name, "line": number, "value": row["kommunaltyp"]}
            )
        elif _valid_nrw_ars(row["ars"], specials, number, errors):
            classification.types[row["ars"]] = row["kommunaltyp"]
            classification.special_status[row["ars"]] = row["sonderstatus"]
    if errors:
        raise GemeindeverzeichnisError(errors)
    return classification


def _csv_rows(path: Path, columns: tuple[str, ...], errors: list[str]):
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        absent = [column for column in columns if column not in (reader.fieldnames or [])]
        if absent:
            errors.append(
                _("%(file)s: es fehlen die Spalten %(columns)s.")
                % {"file": path.name, "columns": ", ".join(absent)}
            )
            return []
        return [
            (reader.line_num, {key: (value or "").strip() for key, value in row.items()})
            for row in reader
        ]


def _valid_nrw_ars(ars: str, path: Path, number: int, errors: list[str]) -> bool:
    if len(ars) == 12 and ars.isdigit() and ars.startswith(NRW):
        return True
    errors.append(
        _("%(file)s, Zeile %(line)d: „%(value)s“ ist kein ARS einer Gemeinde in NRW.")
        % {"file": path.name, "line": number, "value": ars}
    )
    return False


def _district_ars(code: str) -> str:
    return code + "0000000"


def _district_type(record: DistrictRecord) -> str:
    if record.code.startswith(NRW):
        return "staedteregion" if "Städteregion" in record.name else "kreis"
    return GENERIC_BY_KENNZEICHEN[record.textkennzeichen]


def _municipality_type(record: MunicipalityRecord, classification: NrwClassification) -> str:
    if record.land_code == NRW:
        listed = classification.types.get(record.ars)
        if listed:
            return listed
        return NRW_BY_KENNZEICHEN.get(record.textkennzeichen, "kreisangehoerige-gemeinde")
    return GENERIC_BY_KENNZEICHEN[record.textkennzeichen]


def _search_text(*parts: str) -> str:
    return fold(" ".join(part for part in parts if part))


def gemeindeverzeichnis_load(
    directory: Gemeindeverzeichnis, classification: NrwClassification
) -> ImportResult:
    """Write ``directory`` into the database; call inside ``transaction.atomic``.

    Rows are matched by key (Land code, RB code, ARS) and only changed rows are written. Kommunen of
    the file's Länder that the file no longer contains get ``dissolved_on`` = the file's
    Gebietsstand (they are never deleted; one reappearing is reactivated). A file older than the
    Gebietsstand already loaded is refused.
    """
    stamp = directory.territorial_status
    loaded = Municipality.objects.aggregate(latest=Max("territorial_status"))["latest"]
    if loaded and stamp < loaded:
        raise GemeindeverzeichnisError(
            [
                _(
                    "Der Gebietsstand der Datei (%(file)s) ist älter als der bereits geladene "
                    "(%(loaded)s)."
                )
                % {"file": stamp.strftime("%d.%m.%Y"), "loaded": loaded.strftime("%d.%m.%Y")}
            ]
        )
    conflicts = [
        _("%(ars)s %(name)s ist kreisfrei, steht aber in der Liste nach § 4 GO NRW.")
        % {"ars": ars, "name": directory.municipalities[ars].name}
        for ars, code in classification.types.items()
        if ars in directory.municipalities
        and code in NRW_STATUS_TYPES.values()
        and directory.municipalities[ars].textkennzeichen in ("61", "62")
    ]
    if conflicts:
        raise GemeindeverzeichnisError(conflicts)

    result = ImportResult(territorial_status=stamp)
    lands = _upsert_lands(directory)
    regions = _upsert_regions(directory, lands)
    types = _upsert_types(directory, lands, classification)
    result.lands, result.regions = len(directory.lands), len(directory.regions)
    result.municipality_types = sum(1 for key in types if key[0] in directory.lands)

    existing = {row.ars: row for row in Municipality.objects.all()}
    counted_before = {row.pk: _counted_type(row) for row in existing.values()}
    districts = {code: record for code, record in directory.districts.items() if not record.is_city}
    totals: dict[str, list[int]] = {code: [0, 0] for code in districts}
    for record in directory.municipalities.values():
        if record.district_code in totals:
            totals[record.district_code][0] += record.population
            totals[record.district_code][1] += record.area_ha

    district_rows = {}
    for code, record in districts.items():
        ars = _district_ars(code)
        district_rows[ars] = {
            "ags": code,
            "name": record.name,
            "level": DISTRICT,
            "land_id": lands[code[:2]].pk,
            "region_id": regions[code[:3]].pk if code[:3] in regions else None,
            "district_code": code,
            "district_id": None,
            "municipality_type_id": types[(code[:2], _district_type(record))].pk,
            "special_status": "",
            "textkennzeichen": record.textkennzeichen,
            "association_code": "",
            "association_name": "",
            "association_kind": "",
            "population": totals[code][0],
            "area_ha": totals[code][1],
            "postal_code": "",
            "has_several_postal_codes": False,
            "territorial_status": stamp,
            "dissolved_on": None,
            "search_text": _search_text(record.name, code, ars),
        }
    _write_rows(district_rows, existing, result)
    district_ids = dict(Municipality.objects.filter(ars__in=district_rows).values_list("ars", "pk"))

    municipality_rows = {}
    for ars, record in directory.municipalities.items():
        land_code, district_code = record.land_code, record.district_code
        association = directory.associations[record.association_code]
        municipality_rows[ars] = {
            "ags": record.ags,
            "name": record.name,
            "level": MUNICIPALITY,
            "land_id": lands[land_code].pk,
            "region_id": regions[ars[:3]].pk if ars[:3] in regions else None,
            "district_code": district_code,
            "district_id": district_ids.get(_district_ars(district_code))
            if district_code in districts
            else None,
            "municipality_type_id": types[
                (land_code, _municipality_type(record, classification))
            ].pk,
            "special_status": classification.special_status.get(ars, "")
            if land_code == NRW
            else "",
            "textkennzeichen": record.textkennzeichen,
            "association_code": record.association_code,
            "association_name": association.name,
            "association_kind": association.textkennzeichen,
            "population": record.population,
            "area_ha": record.area_ha,
            "postal_code": record.postal_code,
            "has_several_postal_codes": record.multiple_postal_codes,
            "territorial_status": stamp,
            "dissolved_on": None,
            "search_text": _search_text(record.name, record.ags, ars, record.postal_code),
        }
    _write_rows(municipality_rows, existing, result)

    file_land_ids = {lands[code].pk for code in directory.lands}
    gone = [
        row
        for ars, row in existing.items()
        if row.dissolved_on is None
        and row.land_id in file_land_ids
        and ars not in district_rows
        and ars not in municipality_rows
    ]
    for row in gone:
        row.dissolved_on = stamp
        result.regrouped_ids |= {row.pk, row.district_id}
    rows_update(Municipality, gone, fields=["dissolved_on"])
    result.dissolved = len(gone)
    result.dissolved_ars = sorted(row.ars for row in gone)
    result.regrouped_ids.discard(None)
    for row in existing.values():  # changed in place by _write_rows and above
        if row.pk in result.regrouped_ids and _counted_type(row) != counted_before[row.pk]:
            result.counted_types[row.pk] = (counted_before[row.pk], _counted_type(row))
    result.districts, result.municipalities = len(district_rows), len(municipality_rows)
    return result


def _counted_type(row: Municipality) -> int | None:
    """The key under which the global view counts a Kommune's records (reports.ServiceProgress):
    its Kommunaltyp, 0 for none; None while it is dissolved."""
    return None if row.dissolved_on else (row.municipality_type_id or 0)


def _write_rows(
    rows: dict[str, dict], existing: dict[str, Municipality], result: ImportResult
) -> None:
    """Create new Kommunen and update changed ones (only the fields that differ)."""
    new, changed, changed_fields = [], [], set()
    for ars, values in rows.items():
        current = existing.get(ars)
        if current is None:
            new.append(Municipality(ars=ars, **values))
            continue
        differing = [name for name in MANAGED_FIELDS if getattr(current, name) != values[name]]
        if set(differing) & _GROUPING_FIELDS:
            result.regrouped_ids |= {current.pk, current.district_id, values["district_id"]}
        if differing:
            for name in differing:
                setattr(current, name, values[name])
            changed.append(current)
            changed_fields.update(differing)
            result.changed_ars.append(ars)
        else:
            result.unchanged += 1
    # Not bulk_create/bulk_update: for all of Germany (a new Gebietsstand changes every row)
    # bulk_update's CASE per field and row alone takes about 6 s; these take well under one.
    rows_insert(Municipality, new)
    rows_update(Municipality, changed, fields=changed_fields)
    result.added += len(new)
    result.changed += len(changed)


def _upsert_lands(directory: Gemeindeverzeichnis) -> dict[str, Land]:
    lands = {land.code: land for land in Land.objects.all()}
    for code, record in directory.lands.items():
        land = lands.get(code)
        if land is None:
            lands[code] = Land.objects.create(code=code, name=record.name)
        elif land.name != record.name:
            land.name = record.name
            land.save(update_fields=["name"])
    return lands


def _upsert_regions(
    directory: Gemeindeverzeichnis, lands: dict[str, Land]
) -> dict[str, AdministrativeRegion]:
    regions = {region.code: region for region in AdministrativeRegion.objects.all()}
    for code, record in directory.regions.items():
        region = regions.get(code)
        if region is None:
            regions[code] = AdministrativeRegion.objects.create(
                code=code, name=record.name, land=lands[code[:2]]
            )
        elif region.name != record.name:
            region.name = record.name
            region.save(update_fields=["name"])
    # Only the file's own Regierungsbezirke are assigned, never a stale one.
    return {code: regions[code] for code in directory.regions}


def _upsert_types(
    directory: Gemeindeverzeichnis, lands: dict[str, Land], classification: NrwClassification
) -> dict[tuple[str, str], MunicipalityType]:
    wanted: dict[tuple[str, str], TypeDefinition] = {}
    if NRW in directory.lands:
        wanted.update({(NRW, definition.code): definition for definition in NRW_TYPES})
    for record in directory.districts.values():
        if not record.is_city and record.code[:2] != NRW:
            wanted[(record.code[:2], _district_type(record))] = GENERIC_TYPES[
                _district_type(record)
            ]
    for record in directory.municipalities.values():
        if record.land_code != NRW:
            code = _municipality_type(record, classification)
            wanted[(record.land_code, code)] = GENERIC_TYPES[code]

    types = {
        (municipality_type.land.code, municipality_type.code): municipality_type
        for municipality_type in MunicipalityType.objects.select_related("land")
    }
    for (land_code, code), definition in sorted(wanted.items()):
        current = types.get((land_code, code))
        if current is None:
            types[(land_code, code)] = MunicipalityType.objects.create(
                land=lands[land_code],
                code=code,
                name=definition.name,
                level=definition.level,
                position=definition.position,
            )
            continue
        differing = [
            name
            for name in ("name", "level", "position")
            if getattr(current, name) != getattr(definition, name)
        ]
        if differing:
            for name in differing:
                setattr(current, name, getattr(definition, name))
            current.save(update_fields=differing)
    return types
