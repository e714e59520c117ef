"""The catalogue import: loading, re-importing by key, change reports, retiring and restoring.

Most tests use the small releases in tests/data (release_a, and release_b, a changed copy of it);
code lists (LeiKa-Typen, Reifegrad) come from the shipped data/catalogue, as for any release
directory that does not contain them. test_import_shipped.py runs the real shipped catalogue.
"""

import shutil
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kompass.catalogue.choices import CatalogueEntity, ChangeKind, TargetGroup
from kompass.catalogue.importing import CatalogueImportError
from kompass.catalogue.models import (
    CatalogueChange,
    CatalogueRelease,
    LeikaType,
    LifeSituation,
    MaturityLevel,
    MaturityModel,
    OzgService,
    Service,
    Topic,
)
from kompass.catalogue.services import (
    catalogue_code_lists_load,
    catalogue_import,
    catalogue_is_loaded,
)

DATA = Path(__file__).parent / "data"
RELEASE_A = DATA / "release_a"
RELEASE_B = DATA / "release_b"
LEIKA = "leika_leistungen_ozg_kdn2019.csv"
OZG = "ozg_leistungen_kdn2019.csv"
LIFE = "ozg_lebenslagen_kdn2019.csv"
TOPICS = "ozg_themenfelder.csv"
NL_DRIVING = "Internationaler Führerschein Ausstellung"

pytestmark = pytest.mark.django_db

CATALOGUE_MODELS = [
    Topic,
    LifeSituation,
    OzgService,
    Service,
    Service.leika_types.through,
    CatalogueRelease,
    CatalogueChange,
    LeikaType,
    MaturityModel,
    MaturityLevel,
]


def snapshot() -> dict[str, list[dict]]:
    return {
        model._meta.label: list(model.objects.order_by("pk").values()) for model in CATALOGUE_MODELS
    }


def changes_of(release: CatalogueRelease) -> set[tuple]:
    """The change report as comparable tuples: (entity, kind, key, name, fields)."""
    return {
        (c.entity, c.kind, c.key, c.name, tuple(sorted((k, tuple(v)) for k, v in c.fields.items())))
        for c in release.changes.all()
    }


def copy_release(source: Path, target: Path) -> Path:
    shutil.copytree(source, target)
    return target


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{old!r} must occur exactly once in {path.name}"
    path.write_text(text.replace(old, new), encoding="utf-8")


def nl_service(name: str) -> Service:
    return Service.objects.get(leika_key__isnull=True, name=name)


# --- a first import -----------------------------------------------------------------------


def test_first_import_loads_every_level():
    release = catalogue_import(directory=RELEASE_A, label="Stand A")

    assert release.label == "Stand A"
    assert release.source == "src/kompass/catalogue/tests/data/release_a"
    assert release.counts == {"topics": 3, "life_situations": 4, "ozg_services": 5, "services": 12}
    assert (release.added_count, release.changed_count, release.retired_count) == (24, 0, 0)
    assert release.changes.exclude(kind=ChangeKind.ADDED).count() == 0
    assert release.changes.filter(entity=CatalogueEntity.SERVICE).count() == 12
    assert release.warnings == []

    topic = Topic.objects.get(code="mobilitaet_reisen")
    assert (topic.name, topic.position, topic.first_release) == ("Mobilität & Reisen", 2, release)
    ozg = OzgService.objects.get(ozg_id="10200")
    assert ozg.life_situation.name == "Führerschein"
    assert ozg.topic == topic

    service = Service.objects.get(leika_key="99105001012000")
    assert service.catalogue_key == "99105001012000"
    assert (service.leika_group, service.leika_identifier) == ("105", "001")
    assert (service.action, service.action_detail) == ("012", "000")
    assert service.leika_type_codes == "1, 2/3"
    assert sorted(service.leika_types.values_list("code", flat=True)) == ["1", "2/3"]
    assert (service.sdg1_relevant, service.sdg2_relevant) == (True, True)
    assert service.ozg_service.ozg_id == "10000"
    assert service.life_situation.name == "Geburt"
    assert service.topic.code == "familie_kind"
    assert service.target_group == TargetGroup.CITIZENS
    assert service.search_text == "elterngeld bewilligung 99105001012000 10000 elterngeld"
    assert service.first_release == release

    first = Service.objects.get(leika_key="99105001000000")
    assert first.legal_basis == "§ 1 BEEG\n§ 4 BEEG"
    assert (first.laws, first.law_abbreviations) == (
        "Bundeselterngeld- und Elternzeitgesetz",
        "BEEG",
    )
    assert not Service.objects.get(leika_key="99108010016000").leika_types.exists()


def test_services_not_in_leika_get_stable_keys():
    catalogue_import(directory=RELEASE_A)

    driving = nl_service(NL_DRIVING)
    assert driving.catalogue_key.startswith("NL-10200-")
    assert len(driving.catalogue_key) == len("NL-10200-") + 10
    assert driving.leika_key is None
    assert (driving.leika_group, driving.action) == ("", "")
    # The one repeated (OZG-ID, name) pair: the second row gets a deterministic suffix.
    first, second = Service.objects.filter(name="Anzeige Reisegewerbe").order_by("pk")
    assert first.catalogue_key.startswith("NL-10400-")
    assert second.catalogue_key == f"{first.catalogue_key}-2"
    assert (first.sdg1_relevant, second.sdg1_relevant) == (False, True)
    # Without OZG-ID there is no OZG part.
    orphan = nl_service("Hinweis ohne OZG-Leistung")
    assert orphan.catalogue_key.startswith("NL-")
    assert orphan.catalogue_key.count("-") == 1
    assert (orphan.ozg_service, orphan.topic, orphan.target_group) == (None, None, "")


def test_target_groups_come_from_our_classification():
    catalogue_import(directory=RELEASE_A)

    groups = dict(LifeSituation.objects.values_list("name", "target_group"))
    assert groups == {
        "Geburt": TargetGroup.CITIZENS,
        "Führerschein": TargetGroup.CITIZENS,
        "Kfz-Besitz": "",
        "Unternehmensstart & Gewerbezulassung": TargetGroup.BUSINESSES,
    }
    assert Service.objects.get(leika_key="99050012104000").target_group == TargetGroup.BUSINESSES
    assert Service.objects.get(leika_key="99108010000000").target_group == ""


def test_code_lists_are_loaded_with_the_release():
    catalogue_import(directory=RELEASE_A)

    assert LeikaType.objects.count() == 21
    both = LeikaType.objects.get(code="2/3")
    assert (both.regulation, both.execution, both.meaning_known) == (
        "Bund",
        "Land oder Kommune",
        True,
    )
    assert LeikaType.objects.get(code="7").meaning_known is False
    model = MaturityModel.objects.get()
    assert (model.code, model.is_default) == ("1.1", True)
    assert list(model.levels.values_list("level", "ozg_compliant")) == [
        (0, False),
        (1, False),
        (2, False),
        (3, True),
        (4, True),
    ]
    assert model.levels.get(level=3).name == "Online-Leistung"


def test_code_lists_load_idempotently_on_their_own():
    catalogue_code_lists_load()
    catalogue_code_lists_load()
    assert LeikaType.objects.count() == 21
    assert MaturityLevel.objects.count() == 5
    assert not Topic.objects.exists()


def test_a_second_maturity_model_is_data_and_not_the_default(tmp_path):
    directory = copy_release(RELEASE_A, tmp_path / "release")
    rows = "\n".join(
        f"{level},Stufe {level},,{'ja' if level >= 3 else 'nein'}" for level in range(8)
    )
    (directory / "ozg_reifegrad_2_0.csv").write_text(
        f"stufe,bezeichnung,kurzbeschreibung,ozg_konform\n{rows}\n", encoding="utf-8"
    )
    catalogue_import(directory=directory)

    assert MaturityModel.objects.get(is_default=True).code == "1.1"
    assert MaturityModel.objects.get(code="2.0").levels.count() == 8
    assert MaturityLevel.objects.count() == 13


def test_import_records_the_actor(django_user_model):
    user = django_user_model.objects.create_user(username="operator", password="x-Test-12345")
    release = catalogue_import(directory=RELEASE_A, actor=user)
    assert release.imported_by == user


def test_catalogue_is_loaded():
    assert catalogue_is_loaded() is False
    catalogue_import(directory=RELEASE_A)
    assert catalogue_is_loaded() is True


def test_import_needs_a_constant_number_of_queries(django_assert_max_num_queries):
    with django_assert_max_num_queries(60):
        catalogue_import(directory=RELEASE_A)
    with django_assert_max_num_queries(60):
        catalogue_import(directory=RELEASE_B)


# --- importing again ----------------------------------------------------------------------


def test_importing_the_same_files_again_changes_nothing():
    """Decision: a re-import records a release with 0 changes (the log of when the catalogue was
    compared with its source) and writes no catalogue row at all."""
    catalogue_import(directory=RELEASE_A)
    before = snapshot()

    with CaptureQueriesContext(connection) as queries:
        release = catalogue_import(directory=RELEASE_A, label="noch einmal")

    counts = (release.added_count, release.changed_count, release.retired_count)
    assert counts == (0, 0, 0)
    assert release.restored_count == 0
    assert release.changes.count() == 0
    assert release.counts == {"topics": 3, "life_situations": 4, "ozg_services": 5, "services": 12}
    writes = [
        q["sql"]
        for q in queries.captured_queries
        if q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))
    ]
    assert all("catalogue_cataloguerelease" in sql for sql in writes), writes
    after = snapshot()
    for label in before:
        if label not in {"catalogue.CatalogueRelease"}:
            assert after[label] == before[label], label
    assert CatalogueRelease.objects.count() == 2


def test_changed_release_yields_the_exact_change_report():
    catalogue_import(directory=RELEASE_A)
    old_nl_key = nl_service(NL_DRIVING).catalogue_key

    release = catalogue_import(directory=RELEASE_B, label="Stand B")

    topic, life, ozg, service = (
        CatalogueEntity.TOPIC,
        CatalogueEntity.LIFE_SITUATION,
        CatalogueEntity.OZG_SERVICE,
        CatalogueEntity.SERVICE,
    )
    added, changed, retired = ChangeKind.ADDED, ChangeKind.CHANGED, ChangeKind.RETIRED
    assert changes_of(release) == {
        (topic, changed, "mobilitaet_reisen", "Mobilität und Reisen",
         (("name", ("Mobilität & Reisen", "Mobilität und Reisen")),)),
        (life, added, "Arbeitgeber sein", "Arbeitgeber sein", ()),
        (life, retired, "Kfz-Besitz", "Kfz-Besitz", ()),
        (ozg, changed, "10200", "Führerschein beantragen",
         (("name", ("Fahrerlaubnis", "Führerschein beantragen")),)),
        (ozg, changed, "10300", "Fahrzeugzulassung",
         (("life_situation", ("Kfz-Besitz", "Führerschein")),)),
        (ozg, retired, "10001", "Erklärung zur Vaterschaftsanerkennung", ()),
        (ozg, added, "10500", "Meldungen zur Sozialversicherung", ()),
        (service, changed, "99105001012000", "Elterngeld Bewilligung",
         (("leika_type_codes", ("1, 2/3", "2/3")), ("sdg2_relevant", (True, False)))),
        (service, changed, "99108001000000", "Fahrerlaubnis Ersterteilung",
         (("name", ("Fahrerlaubnis Erteilung", "Fahrerlaubnis Ersterteilung")),)),
        (service, changed, old_nl_key, f"{NL_DRIVING} beantragen",
         (("name", (NL_DRIVING, f"{NL_DRIVING} beantragen")),)),
        (service, changed, "99050012104000", "Gewerbeanmeldung",
         (("laws", ("Gewerbeordnung", "Gewerbeordnung (GewO)")),)),
        (service, retired, "99050002000000", "Vaterschaftsanerkennung", ()),
        (service, added, "99108001001000", "Fahrerlaubnis Erweiterung", ()),
        (service, added, "99050041000000", "Meldung zur Sozialversicherung", ()),
    }  # fmt: skip
    assert (release.added_count, release.changed_count, release.retired_count) == (4, 7, 3)
    assert release.counts == {"topics": 3, "life_situations": 4, "ozg_services": 5, "services": 13}
    assert release.warnings == [
        "lebenslagen_zielgruppen.csv: Lebenslage „Kfz-Besitz“ kommt in "
        "ozg_lebenslagen_kdn2019.csv nicht vor."
    ]


def test_changed_release_updates_denormalised_fields_and_links():
    catalogue_import(directory=RELEASE_A)
    catalogue_import(directory=RELEASE_B)

    moved = Service.objects.get(leika_key="99108010000000")
    assert moved.life_situation.name == "Führerschein"
    assert moved.target_group == TargetGroup.CITIZENS  # Kfz-Besitz was not classified
    renamed_bundle = Service.objects.get(leika_key="99108001000000")
    assert "fuehrerschein beantragen" in renamed_bundle.search_text
    assert list(
        Service.objects.get(leika_key="99105001012000").leika_types.values_list("code", flat=True)
    ) == ["2/3"]
    assert nl_service(f"{NL_DRIVING} beantragen").search_text.startswith(
        "internationaler fuehrerschein ausstellung beantragen 10200"
    )


def test_retired_entries_keep_their_pk_and_everything_attached():
    first = catalogue_import(directory=RELEASE_A)
    service = Service.objects.get(leika_key="99050002000000")
    ozg = OzgService.objects.get(ozg_id="10001")
    life = LifeSituation.objects.get(name="Kfz-Besitz")

    second = catalogue_import(directory=RELEASE_B)

    service.refresh_from_db()
    ozg.refresh_from_db()
    life.refresh_from_db()
    assert (service.retired_in, ozg.retired_in, life.retired_in) == (second, second, second)
    assert service.is_retired
    assert service.first_release == first
    assert service.ozg_service == ozg  # links stay as they were
    assert list(service.leika_types.values_list("code", flat=True)) == ["2/3"]
    assert not Service.objects.current().filter(pk=service.pk).exists()
    assert Service.objects.count() == 14


def test_a_new_release_rebuilds_the_report_counters_in_its_transaction():
    """Retired Leistungen leave every Kommune's counters in the comparisons at once."""
    from kompass.municipalities.models import Municipality
    from kompass.municipalities.tests.factories import MunicipalityFactory
    from kompass.reports.models import TopicProgress
    from kompass.reports.services import topic_progress_rebuild

    catalogue_import(directory=RELEASE_A)
    MunicipalityFactory()
    Service.objects.update(leika_type_codes="5")  # relevant everywhere by default
    topic_progress_rebuild()
    kommunen = Municipality.objects.active().count()
    before = sum(TopicProgress.objects.values_list("relevant", flat=True))
    assert before == Service.objects.current().count() * kommunen

    catalogue_import(directory=RELEASE_B)
    after = sum(TopicProgress.objects.values_list("relevant", flat=True))
    assert after < before
    assert after == Service.objects.current().filter(leika_type_codes="5").count() * kommunen


def _release_a_with(tmp_path, old: str, new: str) -> Path:
    """Release A with one line of its LeiKa file changed."""
    changed = tmp_path / "changed"
    shutil.copytree(RELEASE_A, changed)
    leika = changed / "leika_leistungen_ozg_kdn2019.csv"
    text = leika.read_text(encoding="utf-8")
    assert old in text
    leika.write_text(text.replace(old, new), encoding="utf-8")
    return changed


@pytest.mark.parametrize(
    ("new_line", "rebuilt"),
    [
        # A new name is reported as a change, but no counter reads it: nothing is recomputed
        # (that takes about a minute for all of Germany, during which saves wait).
        ("99050012104000,Gewerbe anmelden,5,10400,", False),
        # Another LeiKa-Typ changes where the Leistung is relevant: every counter is recomputed.
        ("99050012104000,Gewerbeanmeldung,1,10400,", True),
    ],
)
def test_a_release_recomputes_the_counters_only_when_it_changes_what_they_count(
    tmp_path, monkeypatch, new_line, rebuilt
):
    from kompass.municipalities.tests.factories import MunicipalityFactory
    from kompass.reports import services as report_services
    from kompass.reports.models import TopicProgress

    catalogue_import(directory=RELEASE_A)
    MunicipalityFactory()
    report_services.topic_progress_rebuild()
    before = set(TopicProgress.objects.values_list("topic_id", "relevant"))
    calls = []
    for name in ("topic_progress_rebuild", "progress_rebuild"):
        original = getattr(report_services, name)
        monkeypatch.setattr(
            report_services,
            name,
            lambda original=original, name=name: calls.append(name) or original(),
        )

    release = catalogue_import(
        directory=_release_a_with(tmp_path, "99050012104000,Gewerbeanmeldung,5,10400,", new_line)
    )

    assert release.changed_count == 1
    assert calls == (["topic_progress_rebuild", "progress_rebuild"] if rebuilt else [])
    after = set(TopicProgress.objects.values_list("topic_id", "relevant"))
    assert (after != before) == rebuilt
    report_services.topic_progress_rebuild()
    assert set(TopicProgress.objects.values_list("topic_id", "relevant")) == after


def test_a_leistung_moved_to_another_ozg_leistung_moves_its_global_counters(tmp_path):
    """OzgProgress counts a Kommune's OZG-conform records per OZG-Leistung: a release that moves
    a LeiKa-Leistung to another OZG-Leistung rebuilds it in the import's transaction."""
    import shutil

    from kompass.implementation.models import Implementation
    from kompass.municipalities.tests.factories import MunicipalityFactory
    from kompass.reports.models import OzgProgress
    from kompass.reports.services import progress_rebuild

    catalogue_import(directory=RELEASE_A)
    municipality = MunicipalityFactory()
    service = Service.objects.get(leika_key="99050012104000")  # Gewerbeanmeldung, OZG 10400
    Implementation.objects.create(
        municipality=municipality, service=service, status="done", current_level=4
    )
    progress_rebuild()

    def counted() -> set[tuple[str, int]]:
        return set(OzgProgress.objects.values_list("ozg_service__ozg_id", "compliant"))

    assert counted() == {("10400", 1)}
    moved = tmp_path / "moved"
    shutil.copytree(RELEASE_A, moved)
    leika = moved / "leika_leistungen_ozg_kdn2019.csv"
    text = leika.read_text(encoding="utf-8")
    line = next(row for row in text.splitlines() if row.startswith("99050012104000,"))
    leika.write_text(
        text.replace(line, line.replace("10400,Gewerbeanmeldung", "10000,Elterngeld")),
        encoding="utf-8",
    )
    catalogue_import(directory=moved, label="verschoben")

    assert counted() == {("10000", 1)}


def test_a_retired_key_that_reappears_is_restored():
    catalogue_import(directory=RELEASE_A)
    service_pk = Service.objects.get(leika_key="99050002000000").pk
    catalogue_import(directory=RELEASE_B)

    release = catalogue_import(directory=RELEASE_A, label="A wieder")

    restored = {(c.entity, c.key) for c in release.changes.filter(kind=ChangeKind.RESTORED)}
    assert restored == {
        (CatalogueEntity.LIFE_SITUATION, "Kfz-Besitz"),
        (CatalogueEntity.OZG_SERVICE, "10001"),
        (CatalogueEntity.SERVICE, "99050002000000"),
    }
    retired = {(c.entity, c.key) for c in release.changes.filter(kind=ChangeKind.RETIRED)}
    assert retired == {
        (CatalogueEntity.LIFE_SITUATION, "Arbeitgeber sein"),
        (CatalogueEntity.OZG_SERVICE, "10500"),
        (CatalogueEntity.SERVICE, "99108001001000"),
        (CatalogueEntity.SERVICE, "99050041000000"),
    }
    assert release.restored_count == 3
    assert release.added_count == 0
    service = Service.objects.get(leika_key="99050002000000")
    assert (service.pk, service.retired_in) == (service_pk, None)
    assert Service.objects.current().count() == 12
    assert Service.objects.get(leika_key="99050041000000").is_retired


def test_restored_entry_reports_what_changed_meanwhile(tmp_path):
    catalogue_import(directory=RELEASE_A)
    catalogue_import(directory=RELEASE_B)
    directory = copy_release(RELEASE_A, tmp_path / "release")
    edit(directory / LEIKA, "Vaterschaftsanerkennung,2/3", "Vaterschaftsanerkennung,5")

    release = catalogue_import(directory=directory)

    change = release.changes.get(key="99050002000000")
    assert change.kind == ChangeKind.RESTORED
    assert change.fields == {"leika_type_codes": ["2/3", "5"]}


def test_a_renamed_row_not_in_leika_that_is_no_longer_similar_is_retired_and_added(tmp_path):
    catalogue_import(directory=RELEASE_A)
    old = nl_service(NL_DRIVING)
    directory = copy_release(RELEASE_A, tmp_path / "release")
    edit(directory / LEIKA, NL_DRIVING, "Fahrlehrerprüfung")

    release = catalogue_import(directory=directory)

    assert {(c.kind, c.key) for c in release.changes.all()} == {
        (ChangeKind.RETIRED, old.catalogue_key),
        (ChangeKind.ADDED, nl_service("Fahrlehrerprüfung").catalogue_key),
    }


def test_a_row_not_in_leika_that_gets_a_key_keeps_its_identity(tmp_path):
    catalogue_import(directory=RELEASE_A)
    old = nl_service(NL_DRIVING)
    directory = copy_release(RELEASE_A, tmp_path / "release")
    edit(
        directory / LEIKA,
        f"nicht im LeiKa,{NL_DRIVING},2/3,10200,Fahrerlaubnis,,,,",
        f"99108001099000,{NL_DRIVING},2/3,10200,Fahrerlaubnis,108,001,099,000",
    )

    release = catalogue_import(directory=directory)

    change = release.changes.get()
    assert (change.kind, change.key) == (ChangeKind.CHANGED, old.catalogue_key)
    assert change.fields == {"leika_key": [None, "99108001099000"]}
    service = Service.objects.get(pk=old.pk)
    assert (service.catalogue_key, service.leika_key) == (old.catalogue_key, "99108001099000")
    assert service.action == "099"


def test_a_row_not_in_leika_that_moves_to_another_ozg_service_keeps_its_identity(tmp_path):
    catalogue_import(directory=RELEASE_A)
    old = nl_service("Hinweis ohne OZG-Leistung")
    directory = copy_release(RELEASE_A, tmp_path / "release")
    edit(
        directory / LEIKA,
        "nicht im LeiKa,Hinweis ohne OZG-Leistung,4,,,",
        "nicht im LeiKa,Hinweis ohne OZG-Leistung,4,10400,Gewerbeanmeldung,",
    )

    release = catalogue_import(directory=directory)

    change = release.changes.get()
    assert (change.kind, change.key) == (ChangeKind.CHANGED, old.catalogue_key)
    assert change.fields == {"ozg_service": ["", "10400"]}
    assert Service.objects.get(pk=old.pk).topic.code == "unternehmensfuehrung_entwicklung"


# --- bad input ----------------------------------------------------------------------------


def _drop_column(path: Path, column: str) -> None:
    lines = path.read_text(encoding="utf-8").split("\n")
    header = lines[0].split(",")
    lines[0] = ",".join(name for name in header if name != column)
    path.write_text("\n".join(lines), encoding="utf-8")


MALFORMED = {
    "missing column": (
        lambda d: _drop_column(d / LEIKA, "leika_typ"),
        f"{LEIKA}, Zeile 1: Es fehlen die Spalten „leika_typ“.",
    ),
    "bad LeiKa key": (
        lambda d: edit(d / LEIKA, "99108001000000,", "9910800100000,"),
        f"{LEIKA}, Zeile 6: Der LeiKa-Schlüssel „9910800100000“ ist weder",
    ),
    "LeiKa key not starting with 99": (
        lambda d: edit(d / LEIKA, "99108001000000,", "12108001000000,"),
        f"{LEIKA}, Zeile 6: Der LeiKa-Schlüssel „12108001000000“",
    ),
    "key part that does not fit the key": (
        lambda d: edit(d / LEIKA, "Fahrerlaubnis,108,001,000", "Fahrerlaubnis,108,002,000"),
        f"{LEIKA}, Zeile 6: Spalte „kennung“: „002“ passt nicht zum LeiKa-Schlüssel (001).",
    ),
    "bad OZG-ID": (
        lambda d: edit(d / OZG, "10300,Fahrzeugzulassung", "1030,Fahrzeugzulassung"),
        f"{OZG}, Zeile 5: Die OZG-ID „1030“ ist keine fünfstellige Zahl.",
    ),
    "unknown Lebenslage": (
        lambda d: edit(d / OZG, "3,Kfz-Besitz,", "3,Kfz-Halter,"),
        f"{OZG}, Zeile 5: Unbekannte Lebenslage „Kfz-Halter“ (nicht in {LIFE}).",
    ),
    "unknown Themenfeld": (
        lambda d: edit(d / LIFE, "1,Geburt,1,Familie & Kind", "1,Geburt,1,Familie"),
        f"{LIFE}, Zeile 2: Unbekanntes Themenfeld „Familie“ (nicht in {TOPICS}).",
    ),
    "Themenfeld that does not fit the Lebenslage": (
        lambda d: edit(d / OZG, "Kfz-Besitz,2,Mobilität & Reisen", "Kfz-Besitz,1,Familie & Kind"),
        f"{OZG}, Zeile 5: Das Themenfeld „Familie & Kind“ passt nicht zur Lebenslage „Kfz-Besitz“.",
    ),
    "unknown OZG-ID": (
        lambda d: edit(d / LEIKA, "2/3,10300,Fahrzeugzulassung,108,010,000", "2/3,10399,Fahrzeugzulassung,108,010,000"),
        f"{LEIKA}, Zeile 8: Unbekannte OZG-ID „10399“ (nicht in {OZG}).",
    ),
    "OZG name that does not fit the OZG-ID": (
        lambda d: edit(d / LEIKA, "2/3,10001,Erklärung zur Vaterschaftsanerkennung", "2/3,10001,Elterngeld"),
        f"{LEIKA}, Zeile 5: Die OZG-Leistung „Elterngeld“ passt nicht zur OZG-ID 10001",
    ),
    "duplicate LeiKa key": (
        lambda d: edit(d / LEIKA, "99108010016000,", "99108010000000,"),
        f"{LEIKA}, Zeile 9: Der LeiKa-Schlüssel „99108010000000“ steht schon in Zeile 8.",
    ),
    "duplicate OZG-ID": (
        lambda d: edit(d / OZG, "10001,Erklärung", "10000,Erklärung"),
        f"{OZG}, Zeile 3: Die OZG-ID „10000“ steht schon in Zeile 2.",
    ),
    "duplicate Themenfeld code": (
        lambda d: edit(d / TOPICS, "mobilitaet_reisen", "familie_kind"),
        f"{TOPICS}, Zeile 3: Der Themenfeld-Code „familie_kind“ steht schon in Zeile 2.",
    ),
    "unknown LeiKa-Typ": (
        lambda d: edit(d / LEIKA, "Gewerbeanmeldung,5,", "Gewerbeanmeldung,5x,"),
        f"{LEIKA}, Zeile 10: Unbekannter LeiKa-Typ „5x“",
    ),
    "bad SDG flag": (
        lambda d: edit(d / LEIKA, "Hinweis ohne OZG-Leistung,4,,,,,,,,,,0,0", "Hinweis ohne OZG-Leistung,4,,,,,,,,,,ja,0"),
        f"{LEIKA}, Zeile 14: Spalte „sdg1_relevant“: „ja“ ist weder 0 noch 1.",
    ),
    "row with too few fields": (
        lambda d: edit(d / LEIKA, "Gewerbeanmeldung,,,,,,,,0,0\nnicht im LeiKa,Anzeige Reisegewerbe,1,10400,Gewerbeanmeldung,,,,,,,,1,1", "Gewerbeanmeldung,,,,,,,,0,0\nnicht im LeiKa,Anzeige Reisegewerbe,1,10400"),
        f"{LEIKA}, Zeile 12: Die Zeile hat 4 Felder statt 14.",
    ),
    "wrong encoding": (
        lambda d: (d / LEIKA).write_bytes((d / LEIKA).read_text(encoding="utf-8").encode("cp1252")),
        f"{LEIKA}, Zeile 2: Die Datei ist nicht UTF-8-kodiert (Byte 0xA7).",
    ),
    "missing file": (
        lambda d: (d / OZG).unlink(),
        f"{OZG}: Die Datei fehlt",
    ),
    "empty file": (
        lambda d: (d / TOPICS).write_text("themenfeld_kdn_id,themenfeld_name,fim_ozg_themenfeld_code\n", encoding="utf-8"),
        f"{TOPICS}: Die Datei enthält keine Datenzeilen.",
    ),
    "bad target group": (
        lambda d: edit(d / "lebenslagen_zielgruppen.csv", "Geburt,Bürger", "Geburt,Familien"),
        "lebenslagen_zielgruppen.csv, Zeile 3: Zielgruppe „Familien“",
    ),
}  # fmt: skip


@pytest.mark.parametrize("case", MALFORMED, ids=list(MALFORMED))
def test_malformed_release_is_rejected_with_line_numbers_and_nothing_written(case, tmp_path):
    directory = copy_release(RELEASE_A, tmp_path / "release")
    damage, expected = MALFORMED[case]
    damage(directory)

    with pytest.raises(CatalogueImportError) as caught:
        catalogue_import(directory=directory)

    assert any(error.startswith(expected) for error in caught.value.errors), caught.value.errors
    assert all(not rows for rows in snapshot().values())


def test_all_errors_of_all_files_are_reported_together(tmp_path):
    directory = copy_release(RELEASE_A, tmp_path / "release")
    edit(directory / OZG, "3,Kfz-Besitz,", "3,Kfz-Halter,")
    edit(directory / LEIKA, "99108001000000,", "9910800100000,")
    edit(directory / LEIKA, "Gewerbeanmeldung,5,", "Gewerbeanmeldung,5x,")

    with pytest.raises(CatalogueImportError) as caught:
        catalogue_import(directory=directory)

    # The LeiKa rows of the rejected OZG-Leistung 10300 (lines 8 and 9) are not reported again
    # as "unknown OZG-ID": the OZG-Leistung is in the file, its own error is listed.
    lines = [error.split(":")[0] for error in caught.value.errors]
    assert lines == [f"{OZG}, Zeile 5", f"{LEIKA}, Zeile 6", f"{LEIKA}, Zeile 10"]


def test_a_bad_release_leaves_the_existing_catalogue_untouched(tmp_path):
    catalogue_import(directory=RELEASE_A)
    before = snapshot()
    directory = copy_release(RELEASE_B, tmp_path / "release")
    edit(directory / LEIKA, "99050041000000,", "99050041000000X,")

    with pytest.raises(CatalogueImportError):
        catalogue_import(directory=directory)

    assert snapshot() == before


# --- the management command ---------------------------------------------------------------


def test_command_prints_counts_and_changes(capsys):
    call_command("import_catalogue", str(RELEASE_A), "--label", "Stand A")
    call_command("import_catalogue", str(RELEASE_B))
    output = capsys.readouterr().out

    assert "Katalogstand „Stand A“ eingelesen" in output
    assert (
        "Themenfelder: 3, Lebens-/Unternehmenslagen: 4, OZG-Leistungen: 5, LeiKa-Leistungen: 12"
        in output
    )
    assert "Neu: 24, geändert: 0, entfallen: 0, wieder aufgenommen: 0" in output
    assert "LeiKa-Leistungen: 13" in output
    assert "Neu: 4, geändert: 7, entfallen: 3, wieder aufgenommen: 0" in output
    assert "Hinweis: lebenslagen_zielgruppen.csv: Lebenslage „Kfz-Besitz“" in output


def test_command_says_when_nothing_changed(capsys):
    call_command("import_catalogue", str(RELEASE_A))
    call_command("import_catalogue", str(RELEASE_A))
    assert "Keine Änderungen gegenüber dem bisherigen Stand." in capsys.readouterr().out


def test_command_lists_the_errors_and_writes_nothing(tmp_path):
    directory = copy_release(RELEASE_A, tmp_path / "release")
    edit(directory / OZG, "10001,Erklärung zur Vaterschaftsanerkennung", "10001,")

    with pytest.raises(CommandError) as caught:
        call_command("import_catalogue", str(directory))

    message = str(caught.value)
    assert "nichts wurde geändert. 1 Fehler:" in message
    assert f"{OZG}, Zeile 3: Der Name der OZG-Leistung fehlt." in message
    assert not CatalogueRelease.objects.exists()


def test_a_directory_that_does_not_exist_is_an_error(tmp_path):
    with pytest.raises(CatalogueImportError) as caught:
        catalogue_import(directory=tmp_path / "fehlt")
    assert caught.value.errors == [f"Das Verzeichnis {tmp_path / 'fehlt'} gibt es nicht."]


# --- the admin ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "model",
    [CatalogueRelease, CatalogueChange, Topic, LifeSituation, OzgService, Service, LeikaType],
)
def test_admin_shows_the_catalogue_read_only(model, admin_client):
    catalogue_import(directory=RELEASE_A)
    catalogue_import(directory=RELEASE_B)
    opts = model._meta
    changelist = f"/admin/{opts.app_label}/{opts.model_name}/"

    assert admin_client.get(changelist).status_code == 200
    if hasattr(model, "retired_in"):
        retired = admin_client.get(f"{changelist}?retired=yes")
        assert retired.status_code == 200
        assert (
            retired.context["cl"].result_count
            == model.objects.filter(retired_in__isnull=False).count()
        )
    obj = model.objects.order_by("pk").last()
    page = admin_client.get(f"{changelist}{obj.pk}/change/")
    assert page.status_code == 200
    assert b'name="_save"' not in page.content
    assert admin_client.get(f"{changelist}add/").status_code == 403


def test_admin_lets_an_operator_pick_the_default_maturity_model_only(admin_client):
    catalogue_code_lists_load()
    model = MaturityModel.objects.get()
    page = admin_client.get(f"/admin/catalogue/maturitymodel/{model.pk}/change/")
    assert page.status_code == 200
    assert b'name="is_default"' in page.content
    assert b'name="code"' not in page.content
    assert admin_client.get("/admin/catalogue/maturitymodel/add/").status_code == 403


def test_several_rows_not_in_leika_renamed_in_one_ozg_service_keep_their_identity(tmp_path):
    catalogue_import(directory=RELEASE_A)
    first, second = Service.objects.filter(name="Anzeige Reisegewerbe").order_by("pk")
    directory = copy_release(RELEASE_A, tmp_path / "release")
    text = (directory / LEIKA).read_text(encoding="utf-8")
    (directory / LEIKA).write_text(
        text.replace("Anzeige Reisegewerbe,", "Anzeige im Reisegewerbe,"), encoding="utf-8"
    )

    release = catalogue_import(directory=directory)

    assert {(c.kind, c.key) for c in release.changes.all()} == {
        (ChangeKind.CHANGED, first.catalogue_key),
        (ChangeKind.CHANGED, second.catalogue_key),
    }
    renamed = Service.objects.filter(name="Anzeige im Reisegewerbe").order_by("pk")
    assert [(s.pk, s.sdg1_relevant) for s in renamed] == [(first.pk, False), (second.pk, True)]


def test_admin_release_page_links_to_its_change_report(admin_client):
    catalogue_import(directory=RELEASE_A)
    release = catalogue_import(directory=RELEASE_B)

    page = admin_client.get(f"/admin/catalogue/cataloguerelease/{release.pk}/change/")
    assert f"/admin/catalogue/cataloguechange/?release__id__exact={release.pk}" in page.text
    assert "14 Einträge" in page.text
    report = admin_client.get(f"/admin/catalogue/cataloguechange/?release__id__exact={release.pk}")
    assert report.context["cl"].result_count == 14
