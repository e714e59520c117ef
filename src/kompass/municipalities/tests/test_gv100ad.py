"""The GV100AD reader and writer, without the database.

``data/GV100AD_30112025_sample.txt`` holds 12 Gemeinden with their Land, RB, Region, Kreis and
Verband records, laid out column by column after the Destatis record description (names, keys,
population, area and PLZ from the shipped CSV, so ``data/gemeinden_de_gv100ad_2025-11-30.csv`` is
the same sample in the derived format). Its Finanzamt/court/Wahlkreis columns and the Sitz
columns are placeholders: the CSV does not carry them.
"""

import dataclasses
import io
from datetime import date
from pathlib import Path

import pytest
from django.conf import settings

from kompass.municipalities.gv100ad import (
    AssociationRecord,
    DistrictRecord,
    GemeindeverzeichnisError,
    LandRecord,
    MunicipalityRecord,
    PlanningRegionRecord,
    RegionRecord,
    format_gv100ad_line,
    gv100ad_records_from_csv,
    parse_gv100ad,
    write_gv100ad,
)

DATA = Path(__file__).parent / "data"
SAMPLE = DATA / "GV100AD_30112025_sample.txt"
SAMPLE_CSV = DATA / "gemeinden_de_gv100ad_2025-11-30.csv"
SHIPPED_CSV = (
    settings.KOMPASS_DATA_DIR / "gemeindeverzeichnis" / "gemeinden_de_gv100ad_2025-11-30.csv"
)
STAMP = date(2025, 11, 30)


def sample_lines() -> list[str]:
    return SAMPLE.read_text(encoding="utf-8").splitlines()


def parse_text(text: str):
    return parse_gv100ad(io.StringIO(text))


def test_parses_every_satzart_of_the_sample():
    directory = parse_gv100ad(SAMPLE)

    assert directory.territorial_status == STAMP
    assert sorted(directory.lands) == ["05", "07", "08", "14"]
    assert sorted(directory.regions) == ["053", "057", "081", "146"]
    assert len(directory.districts) == 6
    assert len(directory.associations) == 12
    assert len(directory.municipalities) == 12
    assert directory.lands["05"] == LandRecord(STAMP, "05", "Nordrhein-Westfalen", "Düsseldorf")
    assert directory.regions["057"] == RegionRecord(STAMP, "057", "Reg.-Bez. Detmold", "Detmold")
    assert directory.planning_regions == {
        "0811": PlanningRegionRecord(STAMP, "0811", "Region Stuttgart", "Stuttgart")
    }
    assert directory.districts["05334"] == DistrictRecord(
        STAMP, "05334", "Städteregion Aachen", "43", "Aachen"
    )
    assert directory.districts["08111"].is_city
    assert not directory.districts["05334"].is_city
    assert directory.associations["146255501"] == AssociationRecord(
        STAMP, "146255501", "Am Klosterwasser", "56"
    )


def test_parses_a_gemeinde_record_field_by_field():
    aachen = parse_gv100ad(SAMPLE).municipalities["053340002002"]

    assert aachen == MunicipalityRecord(
        territorial_status=STAMP,
        ars="053340002002",
        name="Aachen, Stadt",
        textkennzeichen="63",
        area_ha=16085,
        population=262670,
        population_male=137292,
        postal_code="52058",
        multiple_postal_codes=True,
        tax_office="5101",
        higher_regional_court="1",
        regional_court="2",
        local_court="03",
        employment_agency="39101",
        constituency_from="087",
        constituency_to="088",
    )
    assert aachen.ags == "05334002"
    assert aachen.district_code == "05334"
    assert aachen.association_code == "053340002"


def test_columns_count_characters_so_sorbian_names_fit():
    directory = parse_gv100ad(SAMPLE)

    bautzen = directory.municipalities["146250020020"]
    assert bautzen.name == "Bautzen / Budyšin, Stadt, Hochschulstadt / Wysokoš"
    assert len(bautzen.name) == 50
    assert bautzen.population == 37566
    assert not bautzen.multiple_postal_codes
    assert directory.municipalities["146255501080"].name == "Crostwitz / Chrósćicy"


def test_reads_iso_8859_1_and_a_byte_order_mark():
    latin_lines = [line for line in sample_lines() if line[10:12] in ("05", "07", "08")]
    expected = parse_text("\n".join(latin_lines))

    from_latin1 = parse_gv100ad("\r\n".join(latin_lines).encode("iso-8859-1"))
    with_bom = parse_gv100ad(b"\xef\xbb\xbf" + "\n".join(latin_lines).encode("utf-8"))

    assert list(from_latin1.records()) == list(expected.records())
    assert list(with_bom.records()) == list(expected.records())
    assert from_latin1.districts["05334"].name == "Städteregion Aachen"


def test_short_lines_without_trailing_blanks_are_read():
    trimmed = "\n".join(line.rstrip() for line in sample_lines())

    assert list(parse_text(trimmed).records()) == list(parse_gv100ad(SAMPLE).records())


def replace_line(number: int, new: str) -> str:
    lines = sample_lines()
    lines[number - 1] = new
    return "\n".join(lines)


@pytest.mark.parametrize(
    ("line_number", "mutate", "message"),
    [
        (5, lambda line: "70" + line[2:], "Unbekannte Satzart „70“"),
        (5, lambda line: line[:2] + "20251331" + line[10:], "Ungültiger Gebietsstand"),
        (5, lambda line: line[:139] + "00000x00000" + line[150:], "Bevölkerung (Spalten 140–150)"),
        (5, lambda line: line[:122] + "69" + line[124:], "Ungültiges Textkennzeichen „69“"),
        (5, lambda line: line[:165] + "5O667" + line[170:], "Ungültige Postleitzahl „5O667“"),
        (5, lambda line: line[:170] + "ja   " + line[175:], "mehrerer PLZ"),
        (5, lambda line: line + "x", "221 Zeichen"),
        (5, lambda line: line[:22] + " " * 50 + line[72:], "Der Name fehlt"),
        (3, lambda line: line[:10] + "05x15" + line[15:], "Ungültiger Schlüssel „05x15“"),
    ],
)
def test_a_malformed_line_is_reported_with_its_number(line_number, mutate, message):
    original = sample_lines()[line_number - 1]

    with pytest.raises(GemeindeverzeichnisError) as caught:
        parse_text(replace_line(line_number, mutate(original)))

    assert any(
        error.startswith(f"Zeile {line_number}:") and message in error
        for error in caught.value.errors
    ), caught.value.errors


def test_inconsistent_files_are_refused():
    lines = sample_lines()
    kreis_lippe = next(line for line in lines if line.startswith("40") and "Lippe" in line)
    without_kreis = "\n".join(line for line in lines if line != kreis_lippe)
    other_date = replace_line(5, "6020260630" + lines[4][10:])
    duplicate = "\n".join([*lines, lines[4]])

    for text, message in [
        (without_kreis, "Kreis 05766 fehlt (Satzart 40)"),
        (other_date, "Zeile 5: Gebietsstand 2026-06-30 weicht"),
        (duplicate, f"Zeile {len(lines) + 1}: Schlüssel 053150000000 kommt in Satzart 60 doppelt"),
        ("", "keine Datensätze"),
    ]:
        with pytest.raises(GemeindeverzeichnisError) as caught:
            parse_text(text)
        assert any(message in error for error in caught.value.errors), caught.value.errors


def test_many_errors_are_capped():
    broken = "\n".join("99" + line[2:] for line in sample_lines() * 3)

    with pytest.raises(GemeindeverzeichnisError) as caught:
        parse_text(broken)

    assert len(caught.value.errors) == 26
    assert caught.value.errors[-1] == "… und 92 weitere Fehler."


def test_writer_reproduces_the_sample_byte_for_byte():
    out = io.StringIO(newline="")

    written = write_gv100ad(parse_gv100ad(SAMPLE), out)

    assert written == len(sample_lines())
    assert out.getvalue().encode("utf-8") == SAMPLE.read_bytes()


def test_writer_refuses_values_that_do_not_fit():
    record = MunicipalityRecord(STAMP, "053150000000", "x" * 51, "61", 1, 1, 0)

    with pytest.raises(ValueError, match="does not fit"):
        format_gv100ad_line(record)


def test_csv_sample_gives_the_records_of_the_raw_sample_except_what_the_csv_lacks():
    from_csv = gv100ad_records_from_csv(SAMPLE_CSV)
    raw = parse_gv100ad(SAMPLE)

    def without_extras(record):
        if isinstance(record, PlanningRegionRecord):
            return None
        blank = {
            item.name: ""
            for item in dataclasses.fields(record)
            if item.name == "seat"
            or item.name.endswith(("court", "office", "agency"))
            or item.name.startswith("constituency")
        }
        return dataclasses.replace(record, **blank)

    expected = [r for r in map(without_extras, raw.records()) if r is not None]
    assert list(from_csv.records()) == expected


def test_csv_rows_are_checked_with_their_line_number(tmp_path):
    text = SAMPLE_CSV.read_text(encoding="utf-8").splitlines()
    text[4] = text[4].replace("Simmerath,64,", "Simmerath,6x,")
    text[5] = text[5].replace(",ja,", ",vielleicht,").replace(",nein,", ",vielleicht,")
    broken = tmp_path / "gemeinden.csv"
    broken.write_text("\n".join(text), encoding="utf-8")

    with pytest.raises(GemeindeverzeichnisError) as caught:
        gv100ad_records_from_csv(broken)

    assert any(e.startswith("Zeile 5:") and "„6x“" in e for e in caught.value.errors)
    assert any(e.startswith("Zeile 6:") and "plz_mehrere" in e for e in caught.value.errors)


def test_csv_without_required_columns_is_refused():
    with pytest.raises(GemeindeverzeichnisError, match=r"fehlen Spalten: .*gemeinde_name"):
        gv100ad_records_from_csv(io.StringIO("ars,ags\n053150000000,05315000\n"))


def test_round_trip_of_all_germany_csv_through_the_raw_format(tmp_path):
    from_csv = gv100ad_records_from_csv(SHIPPED_CSV)
    raw_file = tmp_path / "GV100AD.txt"

    written = write_gv100ad(from_csv, raw_file)
    parsed = parse_gv100ad(raw_file)

    assert len(parsed.municipalities) == 10953
    assert len(parsed.lands) == 16
    assert len(parsed.districts) == 400  # 294 Kreise + 106 kreisfreie Städte / Stadtkreise
    assert written == len(from_csv.lands) + len(from_csv.regions) + 400 + len(
        from_csv.associations
    ) + len(from_csv.municipalities)
    assert list(parsed.records()) == list(from_csv.records())
    assert {len(line) for line in raw_file.read_text(encoding="utf-8").splitlines()} == {220}
