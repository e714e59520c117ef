"""Loading the Gemeindeverzeichnis into the database: raw GV100AD file and derived CSVs."""

import csv
import dataclasses
import io
import shutil
from collections import Counter
from datetime import date
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from kompass.core.text import fold
from kompass.municipalities.choices import MunicipalityLevel
from kompass.municipalities.gv100ad import (
    gv100ad_records_from_csv,
    parse_gv100ad,
    write_gv100ad,
)
from kompass.municipalities.models import (
    AdministrativeRegion,
    Land,
    Municipality,
    MunicipalityType,
)
from kompass.municipalities.services import (
    GemeindeverzeichnisError,
    gemeindeverzeichnis_import,
    gemeindeverzeichnis_import_csv,
    gemeindeverzeichnis_is_loaded,
)

pytestmark = pytest.mark.django_db

DATA = Path(__file__).parent / "data"
SAMPLE = DATA / "GV100AD_30112025_sample.txt"
SAMPLE_CSV = DATA / "gemeinden_de_gv100ad_2025-11-30.csv"
SHIPPED = settings.KOMPASS_DATA_DIR / "gemeindeverzeichnis"
NRW_FILES = ("nrw_grosse_mittlere_kreisangehoerige_staedte_*.csv", "nrw_sonderstatus_*.csv")
DISTRICT, MUNICIPALITY = MunicipalityLevel.DISTRICT, MunicipalityLevel.MUNICIPALITY


def snapshot() -> dict[str, list[tuple]]:
    """Everything an import writes, with foreign keys spelled as natural keys (no pks)."""
    return {
        "lands": sorted(Land.objects.values_list("code", "name")),
        "regions": sorted(AdministrativeRegion.objects.values_list("code", "name", "land__code")),
        "types": sorted(
            MunicipalityType.objects.values_list("land__code", "code", "name", "level", "position")
        ),
        "municipalities": sorted(
            Municipality.objects.values_list(
                "ars",
                "ags",
                "name",
                "level",
                "land__code",
                "region__code",
                "district_code",
                "district__ars",
                "municipality_type__land__code",
                "municipality_type__code",
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
        ),
    }


def csv_directory(tmp_path: Path, csv_file: Path = SAMPLE_CSV) -> Path:
    """A directory like data/gemeindeverzeichnis: a gemeinden_de CSV and the NRW lists."""
    directory = tmp_path / "csv"
    directory.mkdir()
    shutil.copy(csv_file, directory / "gemeinden_de_gv100ad_2025-11-30.csv")
    for pattern in NRW_FILES:
        for path in SHIPPED.glob(pattern):
            shutil.copy(path, directory / path.name)
    return directory


def write_variant(tmp_path: Path, records, name: str = "GV100AD_variant.txt") -> Path:
    path = tmp_path / name
    write_gv100ad(records, path)
    return path


def clear_database() -> None:
    Municipality.objects.filter(level=MUNICIPALITY).delete()
    Municipality.objects.all().delete()
    MunicipalityType.objects.all().delete()
    AdministrativeRegion.objects.all().delete()
    Land.objects.all().delete()


def test_raw_file_and_csv_produce_identical_database_contents(tmp_path):
    raw_result = gemeindeverzeichnis_import(path=SAMPLE)
    from_raw = snapshot()
    clear_database()

    csv_result = gemeindeverzeichnis_import_csv(directory=csv_directory(tmp_path))

    assert snapshot() == from_raw
    assert dataclasses.asdict(csv_result) == dataclasses.asdict(raw_result)
    assert len(from_raw["municipalities"]) == 12 + 4  # Gemeinden + Kreise (not kreisfreie Städte)


def test_sample_import_counts_and_summary():
    result = gemeindeverzeichnis_import(path=SAMPLE)

    assert (result.lands, result.regions, result.districts, result.municipalities) == (4, 4, 4, 12)
    assert (result.added, result.changed, result.dissolved, result.unchanged) == (16, 0, 0, 0)
    assert result.summary() == [
        "Gebietsstand 30.11.2025",
        "4 Länder, 4 Regierungsbezirke, 4 Kreise, 12 Gemeinden, 14 Kommunaltypen",
        "Kommunen: 16 neu, 0 geändert, 0 aufgelöst, 0 unverändert",
    ]
    assert gemeindeverzeichnis_is_loaded()


def test_kreise_kreisfreie_staedte_and_nrw_types():
    gemeindeverzeichnis_import(path=SAMPLE)
    by_ars = {
        m.ars: m for m in Municipality.objects.select_related("municipality_type", "district")
    }

    staedteregion = by_ars["053340000000"]
    assert staedteregion.level == DISTRICT
    assert staedteregion.ags == staedteregion.district_code == "05334"
    assert staedteregion.municipality_type.code == "staedteregion"
    # The sum over the sample's three Gemeinden of the Städteregion (Aachen, Alsdorf, Simmerath).
    assert staedteregion.population == 262670 + 48810 + 16612
    assert staedteregion.area_ha == 16085 + 3168 + 11092
    assert by_ars["057660000000"].municipality_type.code == "kreis"

    aachen = by_ars["053340002002"]
    assert aachen.level == MUNICIPALITY
    assert aachen.district == staedteregion
    assert aachen.municipality_type.code == "kreisfreie-stadt"
    assert aachen.special_status.startswith("regionsangehörige Stadt der Städteregion Aachen")
    assert aachen.textkennzeichen == "63"

    koeln = by_ars["053150000000"]
    assert koeln.municipality_type.code == "kreisfreie-stadt"
    assert koeln.district is None
    assert koeln.district_code == "05315"
    # The kreisfreie Stadt is one Kommune (the Gemeinde), not a Kreis as well.
    assert koeln.level == MUNICIPALITY
    assert not Municipality.objects.filter(level=DISTRICT, district_code="05315").exists()

    assert by_ars["053340004004"].municipality_type.code == "mittlere-kreisangehoerige-stadt"
    assert by_ars["057660044044"].municipality_type.code == "mittlere-kreisangehoerige-stadt"
    assert by_ars["053340028028"].municipality_type.code == "kreisangehoerige-gemeinde"
    assert by_ars["057660036036"].district.name == "Lippe"
    nrw_types = MunicipalityType.objects.filter(land__code="05").order_by("position")
    assert [t.name for t in nrw_types] == [
        "kreisfreie Stadt",
        "Kreis",
        "Städteregion",
        "Große kreisangehörige Stadt",
        "Mittlere kreisangehörige Stadt",
        "kreisangehörige Stadt",
        "kreisangehörige Gemeinde",
    ]


def test_other_laender_get_generic_types_and_gemeinde_fields():
    gemeindeverzeichnis_import(path=SAMPLE)
    by_ars = {m.ars: m for m in Municipality.objects.select_related("municipality_type", "region")}

    assert by_ars["081110000000"].municipality_type.name == "Kreisfreie Stadt"
    assert by_ars["081150003003"].municipality_type.name == "Große Kreisstadt"
    assert by_ars["081150000000"].municipality_type.name == "Landkreis"
    assert by_ars["146250020020"].municipality_type.name == "Stadt"
    assert by_ars["146255501080"].municipality_type.name == "Gemeinde"
    assert sorted(
        MunicipalityType.objects.filter(land__code="08").values_list("code", flat=True)
    ) == ["grosse-kreisstadt", "kreisfreie-stadt", "landkreis"]

    crostwitz = by_ars["146255501080"]
    assert crostwitz.ags == "14625080"
    assert crostwitz.region.name == "früher: Direktionsbezirk Dresden"
    assert (crostwitz.association_code, crostwitz.association_name) == (
        "146255501",
        "Am Klosterwasser",
    )
    assert crostwitz.get_association_kind_display() == "Verwaltungsverband"
    assert (crostwitz.population, crostwitz.area_ha, crostwitz.postal_code) == (1032, 1333, "01920")
    assert not crostwitz.has_several_postal_codes
    assert crostwitz.territorial_status == date(2025, 11, 30)
    assert crostwitz.search_text == fold("Crostwitz / Chrósćicy 14625080 146255501080 01920")
    assert "crostwitz / chroscicy" in crostwitz.search_text

    hoheitsgebiet = by_ars["070009999999"]  # no Satzart-40 Kreis
    assert hoheitsgebiet.district is None
    assert hoheitsgebiet.district_code == "07000"
    assert hoheitsgebiet.region is None
    assert hoheitsgebiet.municipality_type.name == "Gemeindefreies Gebiet"


def test_reimport_updates_by_ars_and_dissolves_missing_gemeinden(tmp_path):
    gemeindeverzeichnis_import(path=SAMPLE)
    before = {m.ars: m for m in Municipality.objects.all()}
    newer = date(2026, 6, 30)

    def changed(record):
        record = dataclasses.replace(record, territorial_status=newer)
        if getattr(record, "ars", "") == "057660044044":
            return dataclasses.replace(record, name="Lemgo, Alte Hansestadt")
        if getattr(record, "ars", "") == "053340004004":
            return dataclasses.replace(record, population=record.population + 100)
        return record

    records = [
        changed(r)
        for r in parse_gv100ad(SAMPLE).records()
        if getattr(r, "ars", "") != "053340028028"
    ]
    result = gemeindeverzeichnis_import(path=write_variant(tmp_path, records))

    assert (result.added, result.dissolved, result.municipalities) == (0, 1, 11)
    assert result.dissolved_ars == ["053340028028"]
    assert result.changed == 15  # the Gebietsstand of every remaining row changed
    after = {m.ars: m for m in Municipality.objects.all()}
    assert {ars: m.pk for ars, m in after.items()} == {ars: m.pk for ars, m in before.items()}
    assert after["057660044044"].name == "Lemgo, Alte Hansestadt"
    assert "lemgo, alte hansestadt" in after["057660044044"].search_text
    assert after["053340004004"].population == before["053340004004"].population + 100
    simmerath = after["053340028028"]
    assert simmerath.dissolved_on == newer
    assert simmerath.population == before["053340028028"].population  # kept as it was
    assert not Municipality.objects.active().filter(ars="053340028028").exists()
    # The Städteregion's sums follow its remaining Gemeinden.
    assert after["053340000000"].population == 262670 + 48810 + 100
    assert after["053340000000"].territorial_status == newer

    # Importing the same file again changes nothing; Simmerath coming back is reactivated.
    assert gemeindeverzeichnis_import(path=write_variant(tmp_path, records)).unchanged == 15
    again = [changed(r) for r in parse_gv100ad(SAMPLE).records()]
    result = gemeindeverzeichnis_import(path=write_variant(tmp_path, again))
    assert (result.added, result.changed, result.dissolved) == (0, 2, 0)
    assert Municipality.objects.get(ars="053340028028").dissolved_on is None


def test_a_reimport_keeps_the_report_counters_of_regrouped_kommunen_current(tmp_path):
    """A dissolved Kommune leaves the comparisons in the import's transaction (its Kreis is
    refreshed too, and its records leave the global view's counters): the counters equal a
    rebuild from scratch afterwards."""
    from kompass.catalogue.tests.factories import ServiceFactory
    from kompass.implementation.models import Implementation
    from kompass.municipalities.models import Provider
    from kompass.municipalities.services import provider_members_add
    from kompass.reports.models import ProviderProgress, ServiceProgress, TopicProgress
    from kompass.reports.services import progress_rebuild, topic_progress_rebuild
    from kompass.reports.tests.test_aggregates import (
        assert_provider_sums_current,
        global_counters,
    )

    gemeindeverzeichnis_import(path=SAMPLE)
    service = ServiceFactory(leika_type_codes="5")  # relevant for every Kommune by default
    Implementation.objects.create(
        municipality=Municipality.objects.get(ars="053340028028"),
        service=service,
        status="done",
        current_level=4,
    )
    # Every Kommune is a member of a provider, whose heat map sums must lose the dissolved one.
    provider = Provider.objects.create(name="Rechenzentrum", slug="rz")
    provider_members_add(provider=provider, municipalities=Municipality.objects.all())
    topic_progress_rebuild()
    progress_rebuild()
    kept_relevant = sum(ProviderProgress.objects.values_list("relevant", flat=True))

    def done_in_the_global_view() -> int:
        return sum(ServiceProgress.objects.values_list("done", flat=True))

    assert done_in_the_global_view() == 1

    def rows() -> set[tuple]:
        return set(TopicProgress.objects.values_list("municipality__ars", "topic_id", "relevant"))

    assert ("053340028028", *next(iter(rows()))[1:]) in rows()
    newer = date(2026, 6, 30)
    records = [
        dataclasses.replace(r, territorial_status=newer)
        for r in parse_gv100ad(SAMPLE).records()
        if getattr(r, "ars", "") != "053340028028"
    ]
    result = gemeindeverzeichnis_import(path=write_variant(tmp_path, records))
    simmerath = Municipality.objects.get(ars="053340028028")
    assert simmerath.pk in result.regrouped_ids
    assert simmerath.district_id in result.regrouped_ids
    assert len(result.regrouped_ids) == 2  # a new Gebietsstand alone regroups nobody
    assert result.counted_types == {simmerath.pk: (simmerath.municipality_type_id, None)}
    after = rows()
    assert not any(ars == "053340028028" for ars, _topic, _n in after)
    assert done_in_the_global_view() == 0  # a dissolved Kommune's records count no more
    counters = global_counters()
    progress_rebuild()
    assert global_counters() == counters
    assert_provider_sums_current()
    assert sum(ProviderProgress.objects.values_list("relevant", flat=True)) < kept_relevant
    topic_progress_rebuild()
    assert after == rows()


def test_a_file_covering_some_laender_dissolves_nothing_elsewhere(tmp_path):
    gemeindeverzeichnis_import(path=SAMPLE)
    only_saxony = [
        r for r in parse_gv100ad(SAMPLE).records() if (getattr(r, "ars", "") or r.code)[:2] == "14"
    ]

    result = gemeindeverzeichnis_import(path=write_variant(tmp_path, only_saxony))

    assert (result.municipalities, result.unchanged, result.dissolved) == (3, 4, 0)
    assert Municipality.objects.active().count() == 16


def test_an_older_file_is_refused(tmp_path):
    newer = [
        dataclasses.replace(r, territorial_status=date(2026, 6, 30))
        for r in parse_gv100ad(SAMPLE).records()
    ]
    gemeindeverzeichnis_import(path=write_variant(tmp_path, newer))
    state = snapshot()

    with pytest.raises(GemeindeverzeichnisError, match=r"\(30.11.2025\) ist älter"):
        gemeindeverzeichnis_import(path=SAMPLE)

    assert snapshot() == state


def test_a_malformed_line_writes_nothing(tmp_path):
    gemeindeverzeichnis_import(path=SAMPLE)
    state = snapshot()
    lines = SAMPLE.read_text(encoding="utf-8").splitlines()
    assert lines[9][22:35] == "Aachen, Stadt"
    assert lines[10][22:36] == "Alsdorf, Stadt"
    lines[9] = lines[9][:139] + "zweihundert" + lines[9][150:]
    lines[10] = lines[10][:22] + "Alsdorf, Stadt am Broichbach".ljust(50) + lines[10][72:]
    broken = tmp_path / "broken.txt"
    broken.write_text("\n".join(lines), encoding="utf-8")

    with pytest.raises(GemeindeverzeichnisError) as caught:
        gemeindeverzeichnis_import(path=broken)

    assert caught.value.errors == [
        "Zeile 10: Bevölkerung (Spalten 140–150) ist keine Zahl: „zweihundert“.",
    ]
    assert snapshot() == state


def test_a_malformed_line_into_an_empty_database_writes_nothing(tmp_path):
    broken = tmp_path / "broken.txt"
    broken.write_bytes(SAMPLE.read_bytes().replace(b"4020251130", b"4020251199", 1))

    with pytest.raises(GemeindeverzeichnisError, match="Zeile 3: Ungültiger Gebietsstand"):
        gemeindeverzeichnis_import(path=broken)

    assert not Land.objects.exists()
    assert not Municipality.objects.exists()
    assert not gemeindeverzeichnis_is_loaded()


def test_missing_inputs_are_clear_errors(tmp_path):
    with pytest.raises(GemeindeverzeichnisError, match="gibt es nicht"):
        gemeindeverzeichnis_import(path=tmp_path / "fehlt.txt")
    with pytest.raises(GemeindeverzeichnisError, match="keine Datei gemeinden_de_gv100ad_"):
        gemeindeverzeichnis_import_csv(directory=tmp_path)
    with pytest.raises(GemeindeverzeichnisError, match="fehlt die Datei nrw_sonderstatus"):
        gemeindeverzeichnis_import(path=SAMPLE, classification_dir=tmp_path)
    assert not Municipality.objects.exists()


def test_a_bad_nrw_list_is_refused(tmp_path):
    directory = csv_directory(tmp_path)
    special = next(directory.glob("nrw_sonderstatus_*.csv"))
    special.write_text(
        special.read_text(encoding="utf-8").replace("kreisfreie-stadt", "bezirksfreie-stadt"),
        encoding="utf-8",
    )

    with pytest.raises(GemeindeverzeichnisError, match="Zeile 2: unbekannter Kommunaltyp"):
        gemeindeverzeichnis_import_csv(directory=directory)
    assert not Municipality.objects.exists()


def test_command_imports_raw_file_and_csv_and_prints_counts(tmp_path):
    out = io.StringIO()
    call_command("import_gemeindeverzeichnis", str(SAMPLE), stdout=out)
    assert "4 Länder, 4 Regierungsbezirke, 4 Kreise, 12 Gemeinden" in out.getvalue()
    assert "16 neu, 0 geändert, 0 aufgelöst" in out.getvalue()

    out = io.StringIO()
    call_command("import_gemeindeverzeichnis", "--csv", str(csv_directory(tmp_path)), stdout=out)
    assert "0 neu, 0 geändert, 0 aufgelöst, 16 unverändert" in out.getvalue()

    renamed = [
        dataclasses.replace(r, name="Kalletal, Gemeinde")
        if getattr(r, "ars", "") == "057660036036"
        else r
        for r in parse_gv100ad(SAMPLE).records()
    ]
    out = io.StringIO()
    call_command(
        "import_gemeindeverzeichnis", str(write_variant(tmp_path, renamed)), verbosity=2, stdout=out
    )
    assert "0 neu, 1 geändert, 0 aufgelöst, 15 unverändert" in out.getvalue()
    assert "geändert: 057660036036" in out.getvalue()


def test_command_reports_bad_input(tmp_path):
    broken = tmp_path / "broken.txt"
    broken.write_text("99" + SAMPLE.read_text(encoding="utf-8")[2:], encoding="utf-8")

    with pytest.raises(CommandError, match="Zeile 1: Unbekannte Satzart „99“"):
        call_command("import_gemeindeverzeichnis", str(broken))
    with pytest.raises(CommandError, match="genau eines"):
        call_command("import_gemeindeverzeichnis")
    assert not Municipality.objects.exists()


def test_all_germany_from_shipped_csvs_and_the_same_as_raw_file(tmp_path):
    result = gemeindeverzeichnis_import_csv(directory=SHIPPED)

    assert (result.lands, result.districts, result.municipalities) == (16, 294, 10953)
    active = Municipality.objects.active()
    assert active.filter(level=MUNICIPALITY).count() == 10953
    assert active.filter(level=DISTRICT).count() == 294

    nrw = Counter(active.filter(land__code="05").values_list("municipality_type__name", flat=True))
    assert nrw == {
        "kreisfreie Stadt": 23,
        "Kreis": 30,
        "Städteregion": 1,
        "Große kreisangehörige Stadt": 35,
        "Mittlere kreisangehörige Stadt": 132,
        "kreisangehörige Stadt": 82,
        "kreisangehörige Gemeinde": 124,
    }
    assert active.filter(land__code="05", level=MUNICIPALITY).count() == 396

    # Every NRW Gemeinde gets the class the shipped NRW table names, and every NRW Kreis the
    # population it sums up.
    nrw_csv = next(SHIPPED.glob("gemeinden_nrw_gv100ad_*.csv"))
    with nrw_csv.open(encoding="utf-8") as handle:
        expected = {row["ars"]: row["nrw_groessenklasse"] for row in csv.DictReader(handle)}
    stored = dict(
        active.filter(land__code="05", level=MUNICIPALITY).values_list(
            "ars", "municipality_type__name"
        )
    )
    assert stored == expected
    kreise_csv = next(SHIPPED.glob("kreise_nrw_gv100ad_*.csv"))
    with kreise_csv.open(encoding="utf-8") as handle:
        sums = {
            row["ars"]: (int(row["bevoelkerung"]), int(row["flaeche_ha"]))
            for row in csv.DictReader(handle)
            if row["kreis_art"] != "Kreisfreie Stadt"
        }
    assert {
        ars: (population, area)
        for ars, population, area in active.filter(level=DISTRICT, land__code="05").values_list(
            "ars", "population", "area_ha"
        )
    } == sums

    aachen = Municipality.objects.get(ars="053340002002")
    assert aachen.district.name == "Städteregion Aachen"
    assert aachen.municipality_type.name == "kreisfreie Stadt"
    assert "Aachen-Gesetz" in aachen.special_status
    assert Municipality.objects.exclude(special_status="").count() == 1

    # The raw file written from the same CSV loads into exactly the same rows.
    state = snapshot()
    raw = write_variant(
        tmp_path, gv100ad_records_from_csv(next(SHIPPED.glob("gemeinden_de_*.csv")))
    )
    again = gemeindeverzeichnis_import(path=raw)
    assert (again.added, again.changed, again.dissolved, again.unchanged) == (0, 0, 0, 11247)
    assert snapshot() == state


def test_admin_lists_imported_data_read_only(admin_client):
    gemeindeverzeichnis_import(path=SAMPLE)
    aachen = Municipality.objects.get(ars="053340002002")

    for name in ("land", "administrativeregion", "municipalitytype", "municipality", "provider"):
        response = admin_client.get(f"/admin/municipalities/{name}/")
        assert response.status_code == 200, name
    response = admin_client.get(f"/admin/municipalities/municipality/{aachen.pk}/change/")
    assert response.status_code == 200
    assert "Städteregion Aachen" in response.content.decode()
    assert admin_client.get("/admin/municipalities/municipality/add/").status_code == 403
    assert (
        admin_client.post(f"/admin/municipalities/municipality/{aachen.pk}/delete/").status_code
        == 403
    )
    assert Municipality.objects.filter(pk=aachen.pk).exists()
