"""Phase 1 of the import: read the CSV files of a release and validate them completely.

Nothing here touches the database. Every problem is collected with file name and line number, so
that an operator can fix a file in one go instead of one error per run.
"""

import csv
import io
import itertools
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kompass.catalogue.choices import TargetGroup
from kompass.catalogue.importing.errors import CatalogueImportError
from kompass.core.text import fold

TOPICS_FILE = "ozg_themenfelder.csv"
LIFE_SITUATIONS_FILE = "ozg_lebenslagen_kdn2019.csv"
OZG_SERVICES_FILE = "ozg_leistungen_kdn2019.csv"
SERVICES_FILE = "leika_leistungen_ozg_kdn2019.csv"
LEIKA_TYPES_FILE = "leika_typisierung.csv"
TARGET_GROUPS_FILE = "lebenslagen_zielgruppen.csv"
MATURITY_FILE_PATTERN = re.compile(r"^ozg_reifegrad_(\d+)_(\d+)\.csv$")

NOT_IN_LEIKA = "nicht im LeiKa"
LEIKA_KEY = re.compile(r"^99\d{12}$")
OZG_ID = re.compile(r"^\d{5}$")
TOPIC_CODE = re.compile(r"^[a-z0-9_-]+$")
KEY_PART = re.compile(r"^\d{3}$")
# (column, start, end) of the key parts within the 14-digit LeiKa key.
KEY_PARTS = (
    ("leistungsgruppierung", 2, 5),
    ("kennung", 5, 8),
    ("verrichtung", 8, 11),
    ("verrichtungsdetail", 11, 14),
)
TARGET_GROUP_VALUES = {"buerger": TargetGroup.CITIZENS, "unternehmen": TargetGroup.BUSINESSES}


def default_directory() -> Path:
    return Path(settings.KOMPASS_DATA_DIR) / "catalogue"


@dataclass(frozen=True)
class CsvRow:
    line: int
    values: dict[str, str]

    def __getitem__(self, column: str) -> str:
        return self.values.get(column, "")


@dataclass(frozen=True)
class TopicData:
    code: str
    name: str
    position: int


@dataclass(frozen=True)
class LifeSituationData:
    name: str
    topic_code: str
    target_group: str


@dataclass(frozen=True)
class OzgServiceData:
    ozg_id: str
    name: str
    life_situation_name: str | None
    topic_code: str | None


@dataclass(frozen=True)
class ServiceData:
    leika_key: str | None
    name: str
    ozg_id: str | None
    leika_group: str
    leika_identifier: str
    action: str
    action_detail: str
    leika_type_codes: str
    leika_types: tuple[str, ...]
    legal_basis: str
    laws: str
    law_abbreviations: str
    sdg1_relevant: bool
    sdg2_relevant: bool
    # kompass.core.text.fold(name), computed once: matching and search text both need it.
    folded_name: str = ""
    # 1 for the first row "nicht im LeiKa" with this (OZG-ID, folded name), 2 for the second …
    ordinal: int = 1


@dataclass(frozen=True)
class LeikaTypeData:
    code: str
    regulation: str
    execution: str
    meaning_known: bool
    position: int


@dataclass(frozen=True)
class MaturityLevelData:
    level: int
    name: str
    description: str
    ozg_compliant: bool


@dataclass(frozen=True)
class MaturityModelData:
    code: str
    name: str
    levels: tuple[MaturityLevelData, ...]


@dataclass
class CodeLists:
    leika_types: list[LeikaTypeData] = field(default_factory=list)
    maturity_models: list[MaturityModelData] = field(default_factory=list)


@dataclass
class ParsedRelease:
    directory: Path
    topics: list[TopicData]
    life_situations: list[LifeSituationData]
    ozg_services: list[OzgServiceData]
    services: list[ServiceData]
    code_lists: CodeLists
    warnings: list[str]


class Problems:
    """Collects error messages of all files; raises them together at the end."""

    def __init__(self) -> None:
        self.messages: list[str] = []
        # Keys of rows that were rejected, by level: a reference to them is not reported again
        # as "unknown" (the row exists; its own error is already listed).
        self.rejected: dict[str, set[str]] = defaultdict(set)

    def add(self, file_name: str, line: int | None, message: str) -> None:
        if line is None:
            self.messages.append(
                _("%(file)s: %(message)s") % {"file": file_name, "message": message}
            )
        else:
            self.messages.append(
                _("%(file)s, Zeile %(line)d: %(message)s")
                % {"file": file_name, "line": line, "message": message}
            )

    def raise_if_any(self) -> None:
        if self.messages:
            raise CatalogueImportError(self.messages)


def read_csv(
    path: Path, *, required: tuple[str, ...], problems: Problems, allow_comments: bool = False
) -> list[CsvRow] | None:
    """Read a UTF-8 CSV file with header; None if the file as a whole is unusable.

    Line numbers are physical lines (the header is line 1), also for quoted multi-line fields.
    With allow_comments, lines starting with "#" before the header are skipped.
    """
    name = path.name
    if not path.is_file():
        problems.add(name, None, _("Die Datei fehlt (gesucht in %(dir)s).") % {"dir": path.parent})
        return None
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        problems.add(
            name,
            line,
            _("Die Datei ist nicht UTF-8-kodiert (Byte 0x%(byte)02X). Bitte als UTF-8 speichern.")
            % {"byte": raw[exc.start]},
        )
        return None

    stream = io.StringIO(text, newline="")
    offset = 0
    first_line = None
    for candidate in stream:
        if allow_comments and candidate.lstrip().startswith("#"):
            offset += 1
            continue
        first_line = candidate
        break
    if first_line is None:
        problems.add(name, None, _("Die Datei ist leer."))
        return None

    reader = csv.reader(itertools.chain([first_line], stream), strict=True)
    rows: list[CsvRow] = []
    try:
        header = [column.strip() for column in next(reader)]
        missing = [column for column in required if column not in header]
        if missing:
            problems.add(
                name,
                offset + 1,
                _("Es fehlen die Spalten %(columns)s.")
                % {"columns": ", ".join(f"„{column}“" for column in missing)},
            )
            return None
        duplicates = sorted(column for column, count in Counter(header).items() if count > 1)
        if duplicates:
            problems.add(
                name,
                offset + 1,
                _("Die Spalten %(columns)s kommen mehrfach vor.")
                % {"columns": ", ".join(f"„{column}“" for column in duplicates)},
            )
            return None
        previous_end = reader.line_num
        for record in reader:
            start = previous_end + 1 + offset
            previous_end = reader.line_num
            if not record:
                continue  # an empty line
            if len(record) != len(header):
                problems.add(
                    name,
                    start,
                    _("Die Zeile hat %(found)d Felder statt %(expected)d.")
                    % {"found": len(record), "expected": len(header)},
                )
                continue
            values = {column: value.strip() for column, value in zip(header, record, strict=True)}
            rows.append(CsvRow(start, values))
    except csv.Error as exc:
        problems.add(
            name,
            reader.line_num + offset,
            _("Die Zeile ist kein gültiges CSV (%(error)s).") % {"error": exc},
        )
        return None
    return rows


def _require_rows(rows: list[CsvRow] | None, file_name: str, problems: Problems) -> list[CsvRow]:
    if rows is None:
        return []
    if not rows:
        problems.add(file_name, None, _("Die Datei enthält keine Datenzeilen."))
    return rows


def _check_length(
    value: str, limit: int, label: str, file_name: str, row: CsvRow, problems: Problems
) -> None:
    if len(value) > limit:
        problems.add(
            file_name,
            row.line,
            _("%(label)s ist länger als %(limit)d Zeichen.") % {"label": label, "limit": limit},
        )


def _check_unique(
    seen: dict[str, int], key: str, label: str, file_name: str, row: CsvRow, problems: Problems
) -> bool:
    if key in seen:
        problems.add(
            file_name,
            row.line,
            _("%(label)s „%(key)s“ steht schon in Zeile %(line)d.")
            % {"label": label, "key": key, "line": seen[key]},
        )
        return False
    seen[key] = row.line
    return True


def _flag(row: CsvRow, column: str, file_name: str, problems: Problems) -> bool | None:
    """0/1 columns; empty counts as 0; None (and an error) for anything else."""
    value = row[column]
    if value in {"", "0"}:
        return False
    if value == "1":
        return True
    problems.add(
        file_name,
        row.line,
        _("Spalte „%(column)s“: „%(value)s“ ist weder 0 noch 1.")
        % {"column": column, "value": value},
    )
    return None


def _yes_no(value: str, file_name: str, row: CsvRow, column: str, problems: Problems) -> bool:
    """ja/nein columns; text after "ja" (e.g. "ja (zusammen mit 3 beschrieben)") is a comment."""
    folded = fold(value)
    if folded == "" or folded.startswith("nein"):
        return False
    if folded.startswith("ja"):
        return True
    problems.add(
        file_name,
        row.line,
        _("Spalte „%(column)s“: „%(value)s“ ist weder „ja“ noch „nein“.")
        % {"column": column, "value": value},
    )
    return False


# --- the catalogue levels -------------------------------------------------------------------


def parse_topics(rows: list[CsvRow], problems: Problems) -> list[TopicData]:
    topics = []
    codes: dict[str, int] = {}
    names: dict[str, int] = {}
    for position, row in enumerate(rows, start=1):
        code, name = row["fim_ozg_themenfeld_code"], row["themenfeld_name"]
        ok = True
        if not TOPIC_CODE.match(code):
            problems.add(
                TOPICS_FILE,
                row.line,
                _(
                    "Der Themenfeld-Code „%(code)s“ ist leer oder enthält andere Zeichen als a–z, 0–9, _ und -."
                )
                % {"code": code},
            )
            ok = False
        if not name:
            problems.add(TOPICS_FILE, row.line, _("Der Name des Themenfelds fehlt."))
            ok = False
        _check_length(code, 64, gettext_lazy("Der Themenfeld-Code"), TOPICS_FILE, row, problems)
        _check_length(
            name, 200, gettext_lazy("Der Name des Themenfelds"), TOPICS_FILE, row, problems
        )
        ok = (
            _check_unique(
                codes, code, gettext_lazy("Der Themenfeld-Code"), TOPICS_FILE, row, problems
            )
            and ok
        )
        ok = (
            _check_unique(names, name, gettext_lazy("Das Themenfeld"), TOPICS_FILE, row, problems)
            and ok
        )
        if ok:
            topics.append(TopicData(code=code, name=name, position=position))
        elif name:
            problems.rejected["topic"].add(name)
    return topics


def parse_life_situations(
    rows: list[CsvRow],
    *,
    topic_code_by_name: dict[str, str],
    target_groups: dict[str, str],
    problems: Problems,
) -> list[LifeSituationData]:
    life_situations = []
    names: dict[str, int] = {}
    for row in rows:
        name, topic_name = row["lebenslage_name"], row["themenfeld_name"]
        ok = True
        if not name:
            problems.add(LIFE_SITUATIONS_FILE, row.line, _("Der Name der Lebenslage fehlt."))
            ok = False
        _check_length(
            name, 200, gettext_lazy("Der Name der Lebenslage"), LIFE_SITUATIONS_FILE, row, problems
        )
        if topic_name not in topic_code_by_name:
            ok = False
            if topic_name not in problems.rejected["topic"]:
                problems.add(
                    LIFE_SITUATIONS_FILE,
                    row.line,
                    _("Unbekanntes Themenfeld „%(topic)s“ (nicht in %(file)s).")
                    % {"topic": topic_name, "file": TOPICS_FILE},
                )
        ok = (
            _check_unique(
                names, name, gettext_lazy("Die Lebenslage"), LIFE_SITUATIONS_FILE, row, problems
            )
            and ok
        )
        if ok:
            life_situations.append(
                LifeSituationData(
                    name=name,
                    topic_code=topic_code_by_name[topic_name],
                    target_group=target_groups.get(name, ""),
                )
            )
        elif name:
            problems.rejected["life_situation"].add(name)
    return life_situations


def parse_ozg_services(
    rows: list[CsvRow],
    *,
    life_situations: dict[str, LifeSituationData],
    topic_code_by_name: dict[str, str],
    problems: Problems,
) -> tuple[list[OzgServiceData], dict[str, int]]:
    """The OZG-Leistungen, and the number of LeiKa-Leistungen each row declares (if given)."""
    ozg_services = []
    declared_counts: dict[str, int] = {}
    ids: dict[str, int] = {}
    for row in rows:
        ozg_id, name = row["ozg_id"], row["ozg_leistung_name"]
        life_name, topic_name = row["lebenslage_name"], row["themenfeld_name"]
        ok = True
        if not OZG_ID.match(ozg_id):
            problems.add(
                OZG_SERVICES_FILE,
                row.line,
                _("Die OZG-ID „%(id)s“ ist keine fünfstellige Zahl.") % {"id": ozg_id},
            )
            ok = False
        if not name:
            problems.add(OZG_SERVICES_FILE, row.line, _("Der Name der OZG-Leistung fehlt."))
            ok = False
        _check_length(
            name, 300, gettext_lazy("Der Name der OZG-Leistung"), OZG_SERVICES_FILE, row, problems
        )
        topic_code = None
        if life_name:
            life = life_situations.get(life_name)
            if life is None:
                ok = False
                if life_name not in problems.rejected["life_situation"]:
                    problems.add(
                        OZG_SERVICES_FILE,
                        row.line,
                        _("Unbekannte Lebenslage „%(name)s“ (nicht in %(file)s).")
                        % {"name": life_name, "file": LIFE_SITUATIONS_FILE},
                    )
            else:
                topic_code = life.topic_code
        if topic_name:
            if topic_name not in topic_code_by_name:
                ok = False
                if topic_name not in problems.rejected["topic"]:
                    problems.add(
                        OZG_SERVICES_FILE,
                        row.line,
                        _("Unbekanntes Themenfeld „%(topic)s“ (nicht in %(file)s).")
                        % {"topic": topic_name, "file": TOPICS_FILE},
                    )
            elif topic_code is not None and topic_code_by_name[topic_name] != topic_code:
                problems.add(
                    OZG_SERVICES_FILE,
                    row.line,
                    _("Das Themenfeld „%(topic)s“ passt nicht zur Lebenslage „%(life)s“.")
                    % {"topic": topic_name, "life": life_name},
                )
                ok = False
            else:
                topic_code = topic_code_by_name[topic_name]
        ok = (
            _check_unique(ids, ozg_id, gettext_lazy("Die OZG-ID"), OZG_SERVICES_FILE, row, problems)
            and ok
        )
        declared = row["anzahl_leika_leistungen"]
        if ok and declared.isdigit():
            declared_counts[ozg_id] = int(declared)
        if ok:
            ozg_services.append(
                OzgServiceData(
                    ozg_id=ozg_id,
                    name=name,
                    life_situation_name=life_name or None,
                    topic_code=topic_code,
                )
            )
        elif ozg_id:
            problems.rejected["ozg_service"].add(ozg_id)
    return ozg_services, declared_counts


def parse_services(
    rows: list[CsvRow],
    *,
    ozg_names: dict[str, str],
    leika_type_codes: set[str],
    problems: Problems,
) -> list[ServiceData]:
    services = []
    keys: dict[str, int] = {}
    ordinals: Counter[tuple[str, str]] = Counter()
    file_name = SERVICES_FILE
    for row in rows:
        ok = True
        raw_key = row["leika_schluessel"]
        leika_key: str | None
        if raw_key.casefold() == NOT_IN_LEIKA.casefold():
            leika_key = None
        elif LEIKA_KEY.match(raw_key):
            leika_key = raw_key
            ok = _check_unique(
                keys, raw_key, gettext_lazy("Der LeiKa-Schlüssel"), file_name, row, problems
            )
        else:
            problems.add(
                file_name,
                row.line,
                _(
                    "Der LeiKa-Schlüssel „%(key)s“ ist weder eine 14-stellige Zahl mit 99 am Anfang noch „nicht im LeiKa“."
                )
                % {"key": raw_key},
            )
            leika_key = None
            ok = False

        parts = {}
        for column, start, end in KEY_PARTS:
            value = row[column]
            if leika_key is not None:
                expected = leika_key[start:end]
                if value and value != expected:
                    problems.add(
                        file_name,
                        row.line,
                        _(
                            "Spalte „%(column)s“: „%(value)s“ passt nicht zum LeiKa-Schlüssel (%(expected)s)."
                        )
                        % {"column": column, "value": value, "expected": expected},
                    )
                    ok = False
                value = expected
            elif value and not KEY_PART.match(value):
                problems.add(
                    file_name,
                    row.line,
                    _("Spalte „%(column)s“: „%(value)s“ ist keine dreistellige Zahl.")
                    % {"column": column, "value": value},
                )
                ok = False
            parts[column] = value

        name = row["leika_bezeichnung"]
        if not name:
            problems.add(file_name, row.line, _("Die Bezeichnung der LeiKa-Leistung fehlt."))
            ok = False
        _check_length(name, 500, gettext_lazy("Die Bezeichnung"), file_name, row, problems)

        ozg_id = row["ozg_id"] or None
        if ozg_id is not None:
            if ozg_id not in ozg_names:
                ok = False
                if ozg_id not in problems.rejected["ozg_service"]:
                    problems.add(
                        file_name,
                        row.line,
                        _("Unbekannte OZG-ID „%(id)s“ (nicht in %(file)s).")
                        % {"id": ozg_id, "file": OZG_SERVICES_FILE},
                    )
            elif row["ozg_leistung_name"] and row["ozg_leistung_name"] != ozg_names[ozg_id]:
                problems.add(
                    file_name,
                    row.line,
                    _("Die OZG-Leistung „%(name)s“ passt nicht zur OZG-ID %(id)s („%(expected)s“).")
                    % {
                        "name": row["ozg_leistung_name"],
                        "id": ozg_id,
                        "expected": ozg_names[ozg_id],
                    },
                )
                ok = False

        type_codes = row["leika_typ"]
        _check_length(type_codes, 40, gettext_lazy("Der LeiKa-Typ"), file_name, row, problems)
        types = tuple(dict.fromkeys(code.strip() for code in type_codes.split(",") if code.strip()))
        unknown = [code for code in types if code not in leika_type_codes]
        if unknown:
            problems.add(
                file_name,
                row.line,
                _("Unbekannter LeiKa-Typ %(codes)s (nicht in %(file)s).")
                % {"codes": ", ".join(f"„{code}“" for code in unknown), "file": LEIKA_TYPES_FILE},
            )
            ok = False

        sdg1 = _flag(row, "sdg1_relevant", file_name, problems)
        sdg2 = _flag(row, "sdg2_relevant", file_name, problems)
        ok = ok and sdg1 is not None and sdg2 is not None
        if not ok:
            continue
        ordinal = 1
        folded_name = fold(name)
        if leika_key is None:
            identity = (ozg_id or "", folded_name)
            ordinals[identity] += 1
            ordinal = ordinals[identity]
        services.append(
            ServiceData(
                leika_key=leika_key,
                name=name,
                ozg_id=ozg_id,
                leika_group=parts["leistungsgruppierung"],
                leika_identifier=parts["kennung"],
                action=parts["verrichtung"],
                action_detail=parts["verrichtungsdetail"],
                leika_type_codes=type_codes,
                leika_types=types,
                legal_basis=row["rechtsgrundlagen"],
                laws=row["gesetze"],
                law_abbreviations=row["gesetzeskuerzel"],
                sdg1_relevant=bool(sdg1),
                sdg2_relevant=bool(sdg2),
                folded_name=folded_name,
                ordinal=ordinal,
            )
        )
    return services


# --- code lists and our own classification --------------------------------------------------


def _supplementary(directory: Path, file_name: str) -> Path:
    """Code lists and our classification: from the release directory, else the shipped copy."""
    candidate = directory / file_name
    if candidate.is_file():
        return candidate
    return default_directory() / file_name


def parse_leika_types(directory: Path, problems: Problems) -> list[LeikaTypeData]:
    path = _supplementary(directory, LEIKA_TYPES_FILE)
    rows = read_csv(
        path,
        required=("typ", "regelungskompetenz", "vollzugskompetenz", "bedeutung_bekannt"),
        problems=problems,
    )
    rows = _require_rows(rows, path.name, problems)
    types = []
    codes: dict[str, int] = {}
    for position, row in enumerate(rows, start=1):
        code = row["typ"]
        ok = bool(code)
        if not code:
            problems.add(path.name, row.line, _("Der Code des LeiKa-Typs fehlt."))
        _check_length(code, 8, gettext_lazy("Der Code des LeiKa-Typs"), path.name, row, problems)
        _check_length(
            row["regelungskompetenz"],
            100,
            gettext_lazy("Die Regelungskompetenz"),
            path.name,
            row,
            problems,
        )
        _check_length(
            row["vollzugskompetenz"],
            100,
            gettext_lazy("Die Vollzugskompetenz"),
            path.name,
            row,
            problems,
        )
        ok = (
            _check_unique(codes, code, gettext_lazy("Der LeiKa-Typ"), path.name, row, problems)
            and ok
        )
        known = _yes_no(row["bedeutung_bekannt"], path.name, row, "bedeutung_bekannt", problems)
        if ok:
            types.append(
                LeikaTypeData(
                    code=code,
                    regulation=row["regelungskompetenz"],
                    execution=row["vollzugskompetenz"],
                    meaning_known=known,
                    position=position,
                )
            )
    return types


def _maturity_files(directory: Path) -> list[Path]:
    """The shipped models plus those of the release directory (which win on the same name)."""
    found: dict[str, Path] = {}
    for folder in (default_directory(), directory):
        if folder.is_dir():
            found.update(
                (p.name, p) for p in folder.iterdir() if MATURITY_FILE_PATTERN.match(p.name)
            )
    return [found[name] for name in sorted(found)]


def parse_maturity_models(directory: Path, problems: Problems) -> list[MaturityModelData]:
    """Each ozg_reifegrad_<major>_<minor>.csv is one Reifegradmodell; its levels are rows."""
    files = _maturity_files(directory)
    if not files:
        problems.add(
            "ozg_reifegrad_1_1.csv",
            None,
            _("Die Datei fehlt (gesucht in %(dir)s).") % {"dir": directory},
        )
    models = []
    for path in files:
        major, minor = MATURITY_FILE_PATTERN.match(path.name).groups()
        code = f"{int(major)}.{int(minor)}"
        rows = read_csv(
            path,
            required=("stufe", "bezeichnung", "kurzbeschreibung", "ozg_konform"),
            problems=problems,
        )
        rows = _require_rows(rows, path.name, problems)
        levels = []
        seen: dict[str, int] = {}
        for row in rows:
            ok = True
            if not row["stufe"].isdigit():
                problems.add(
                    path.name,
                    row.line,
                    _("Die Stufe „%(level)s“ ist keine ganze Zahl ≥ 0.") % {"level": row["stufe"]},
                )
                ok = False
            else:
                ok = _check_unique(
                    seen, row["stufe"], gettext_lazy("Die Stufe"), path.name, row, problems
                )
            if not row["bezeichnung"]:
                problems.add(path.name, row.line, _("Die Bezeichnung der Stufe fehlt."))
                ok = False
            _check_length(
                row["bezeichnung"], 100, gettext_lazy("Die Bezeichnung"), path.name, row, problems
            )
            compliant = _yes_no(row["ozg_konform"], path.name, row, "ozg_konform", problems)
            if ok:
                levels.append(
                    MaturityLevelData(
                        level=int(row["stufe"]),
                        name=row["bezeichnung"],
                        description=row["kurzbeschreibung"],
                        ozg_compliant=compliant,
                    )
                )
        models.append(
            MaturityModelData(
                code=code,
                name=_("OZG-Reifegradmodell %(version)s") % {"version": code},
                levels=tuple(levels),
            )
        )
    return models


def parse_code_lists(directory: Path, problems: Problems) -> CodeLists:
    return CodeLists(
        leika_types=parse_leika_types(directory, problems),
        maturity_models=parse_maturity_models(directory, problems),
    )


def parse_target_groups(directory: Path, problems: Problems) -> dict[str, str] | None:
    """Our classification of Lebens- vs Unternehmenslagen (the release files do not say)."""
    path = _supplementary(directory, TARGET_GROUPS_FILE)
    if not path.is_file():
        return None
    rows = read_csv(
        path, required=("lebenslage_name", "zielgruppe"), problems=problems, allow_comments=True
    )
    groups: dict[str, str] = {}
    seen: dict[str, int] = {}
    for row in rows or []:
        name, value = row["lebenslage_name"], fold(row["zielgruppe"])
        if not _check_unique(seen, name, gettext_lazy("Die Lebenslage"), path.name, row, problems):
            continue
        if value == "":
            groups[name] = ""  # listed, but deliberately not classified
            continue
        if value not in TARGET_GROUP_VALUES:
            problems.add(
                path.name,
                row.line,
                _("Zielgruppe „%(value)s“: erlaubt sind „Bürger“, „Unternehmen“ oder leer.")
                % {"value": row["zielgruppe"]},
            )
            continue
        groups[name] = TARGET_GROUP_VALUES[value]
    return groups


# --- the whole release ----------------------------------------------------------------------


def parse_release(directory: Path) -> ParsedRelease:
    """Read and validate all files of a release; raise CatalogueImportError listing every error."""
    if not directory.is_dir():
        raise CatalogueImportError(
            [_("Das Verzeichnis %(dir)s gibt es nicht.") % {"dir": directory}]
        )
    problems = Problems()
    warnings: list[str] = []
    code_lists = parse_code_lists(directory, problems)
    target_groups = parse_target_groups(directory, problems)
    if target_groups is None:
        warnings.append(
            _(
                "Keine Einteilung in Lebens- und Unternehmenslagen gefunden (%(file)s); die Zielgruppe bleibt leer."
            )
            % {"file": TARGET_GROUPS_FILE}
        )
        target_groups = {}

    topic_rows = read_csv(
        directory / TOPICS_FILE,
        required=("themenfeld_name", "fim_ozg_themenfeld_code"),
        problems=problems,
    )
    topics = parse_topics(_require_rows(topic_rows, TOPICS_FILE, problems), problems)
    topic_code_by_name = {topic.name: topic.code for topic in topics}

    life_rows = read_csv(
        directory / LIFE_SITUATIONS_FILE,
        required=("lebenslage_name", "themenfeld_name"),
        problems=problems,
    )
    life_situations = parse_life_situations(
        _require_rows(life_rows, LIFE_SITUATIONS_FILE, problems),
        topic_code_by_name=topic_code_by_name,
        target_groups=target_groups,
        problems=problems,
    )
    life_by_name = {life.name: life for life in life_situations}

    ozg_rows = read_csv(
        directory / OZG_SERVICES_FILE,
        required=("ozg_id", "ozg_leistung_name", "lebenslage_name", "themenfeld_name"),
        problems=problems,
    )
    ozg_services, declared_counts = parse_ozg_services(
        _require_rows(ozg_rows, OZG_SERVICES_FILE, problems),
        life_situations=life_by_name,
        topic_code_by_name=topic_code_by_name,
        problems=problems,
    )

    service_rows = read_csv(
        directory / SERVICES_FILE,
        required=(
            "leika_schluessel",
            "leika_bezeichnung",
            "leika_typ",
            "ozg_id",
            "ozg_leistung_name",
            *(column for column, _start, _end in KEY_PARTS),
            "rechtsgrundlagen",
            "gesetze",
            "gesetzeskuerzel",
            "sdg1_relevant",
            "sdg2_relevant",
        ),
        problems=problems,
    )
    services = parse_services(
        _require_rows(service_rows, SERVICES_FILE, problems),
        ozg_names={ozg.ozg_id: ozg.name for ozg in ozg_services},
        leika_type_codes={leika_type.code for leika_type in code_lists.leika_types},
        problems=problems,
    )
    problems.raise_if_any()

    warnings.extend(_consistency_warnings(life_situations, ozg_services, services, declared_counts))
    warnings.extend(
        _("%(file)s: Lebenslage „%(name)s“ kommt in %(release)s nicht vor.")
        % {"file": TARGET_GROUPS_FILE, "name": name, "release": LIFE_SITUATIONS_FILE}
        for name in sorted(set(target_groups) - set(life_by_name))
    )
    return ParsedRelease(
        directory=directory,
        topics=topics,
        life_situations=life_situations,
        ozg_services=ozg_services,
        services=services,
        code_lists=code_lists,
        warnings=warnings,
    )


def _consistency_warnings(
    life_situations: list[LifeSituationData],
    ozg_services: list[OzgServiceData],
    services: list[ServiceData],
    declared_counts: dict[str, int],
) -> list[str]:
    """Oddities worth a look that do not stop the import."""
    warnings = []
    used = {ozg.life_situation_name for ozg in ozg_services}
    warnings.extend(
        _("Lebenslage „%(name)s“ hat keine OZG-Leistungen.") % {"name": life.name}
        for life in life_situations
        if life.name not in used
    )
    actual = Counter(service.ozg_id for service in services)
    warnings.extend(
        _(
            "OZG-Leistung %(id)s: %(file)s nennt %(declared)d LeiKa-Leistungen, zugeordnet sind %(actual)d."
        )
        % {
            "id": ozg_id,
            "file": OZG_SERVICES_FILE,
            "declared": declared,
            "actual": actual.get(ozg_id, 0),
        }
        for ozg_id, declared in sorted(declared_counts.items())
        if declared != actual.get(ozg_id, 0)
    )
    return warnings
