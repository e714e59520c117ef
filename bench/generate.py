"""Plausible implementation data for a whole scale of Kommunen, with a fixed seed, written in bulk.

Runs inside `python -m bench.steps` (step "generate") after the catalogue, the GV100AD and the demo
set-up are loaded. For every active Kommune of the scale it writes:

* relevance: decisions for every still undecided cell of the NRW Kommunaltypen (nested shares: a
  kreisfreie Stadt executes most Leistungen, a kreisangehörige Gemeinde fewest, part of the rest "durch
  den Kreis"); at scale `de` the other Länder's generic types copy the decisions of the analogous NRW
  type (TYPE_ANALOGUES). A few Kommunen get their own Deviations. Every Kommune ends up with about
  1,200–2,500 relevant Leistungen.
* 6–12 Fachbereiche per Kommune (accounts.Department);
* implementation records for 40–95 % of each Kommune's relevant Leistungen: status, current and target
  Reifegrad (levels of the default scale), Fallzahlen proportional to the population, priority,
  planned dates (some overdue), solution and notes texts, 1–3 history entries each
  (ImplementationChange, `changes` as implementation.services writes them, `version` = their number),
  and checklist steps for a few;
* the provider "bench-<scale>" with every Kommune of the scale as member, its operator, and one
  Kommune admin and one Bearbeiter for the measured Kommunen (MEASURED), for signed-in page loads.

Each Kommune's relevant set is computed once per (Kommunaltyp, member types, deviations) in Python,
mirroring kompass.relevance.selectors.relevance_list_for (the smoke test checks that they agree), not
with one query per Kommune. Rows go out with COPY on PostgreSQL (secondary indexes and constraints
dropped during the load, then re-created and ANALYZEd, see bench.writer) and with chunked executemany
on SQLite. Everything random comes from random.Random seeded with SEED and the Kommune's ARS, so a
Kommune's data does not depend on which other Kommunen are generated.

Extension point: EXTENSIONS lists functions `extension(context: GenerationContext) -> dict[str, int]`
that run after the records are written, inside the same transaction, and return rows written per
table. Later data (the solutions marketplace and its usage records, precomputed report aggregates)
registers itself there; the context carries the Kommunen, their relevant sets, the id range of the
records and the writer helpers.
"""

from __future__ import annotations

import datetime
import json
import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from bench import writer

SEED = 20261123
SCALES = ("smoke", "nrw", "de")
NRW = "05"
# Kreise of the demo provider: the smoke scale is limited to them and their Gemeinden.
SMOKE_DISTRICT_CODES = ("05758", "05766", "05770")
# Kommunen whose pages are measured: the four with the most relevant Leistungen (ties: the most
# inhabitants, so the largest cities) plus the largest Kreis (its list has the "durch den Kreis"
# part, a different query shape).
MEASURED_MOST_RELEVANT = 4
MEASURED_DISTRICTS = 1

# Share of the Leistungen without a default proposal (LeiKa-Typ other than 1 and 5) that a type
# executes itself; nested, so a Gemeinde's Leistungen are also a Stadt's and a Kreis's.
RELEVANT_SHARE = {
    "kreisfreie-stadt": 0.42,
    "staedteregion": 0.38,
    "kreis": 0.36,
    "grosse-kreisangehoerige-stadt": 0.22,
    "mittlere-kreisangehoerige-stadt": 0.16,
    "kreisangehoerige-stadt": 0.10,
    "kreisangehoerige-gemeinde": 0.06,
}
# Gemeinde types leave what the Kreis does (the Kreis's share beyond their own) "durch den Kreis".
BY_DISTRICT_UP_TO = RELEVANT_SHARE["kreis"]
# Generic Kommunaltypen of the other Länder (municipalities.importing.GENERIC_TYPES) → NRW type.
TYPE_ANALOGUES = {
    "kreisfreie-stadt": "kreisfreie-stadt",
    "kreis": "kreis",
    "landkreis": "kreis",
    "regionalverband": "staedteregion",
    "grosse-kreisstadt": "grosse-kreisangehoerige-stadt",
    "stadt": "kreisangehoerige-stadt",
    "gemeinde": "kreisangehoerige-gemeinde",
    "gemeindefreies-gebiet": "kreisangehoerige-gemeinde",
}
DECISION_REASON = "Benchmark-Daten: Entscheidung für den Kommunaltyp"
DEVIATION_SHARE = 0.15  # Kommunen with own deviations
DEVIATION_REASONS = {
    "relevant": "Eigenes Amt nimmt die Aufgabe wahr",
    "not_relevant": "Aufgabe liegt beim Zweckverband",
}

DEPARTMENTS = (
    ("FB 1", "Zentrale Dienste"),
    ("FB 2", "Finanzen"),
    ("FB 3", "Bürgerservice und Ordnung"),
    ("FB 4", "Bauen und Planen"),
    ("FB 5", "Jugend, Familie und Soziales"),
    ("FB 6", "Schule, Kultur und Sport"),
    ("FB 7", "Umwelt und Grünflächen"),
    ("FB 8", "Gesundheit"),
    ("FB 9", "Straßenverkehr"),
    ("FB 10", "Wirtschaftsförderung"),
    ("FB 11", "Digitalisierung und IT"),
    ("FB 12", "Standesamt"),
)
# (status, cumulative share)
STATUS_SHARES = (
    ("open", 0.22),
    ("planning", 0.40),
    ("in_progress", 0.62),
    ("done", 0.95),
    ("dropped", 1.0),
)
PRIORITY_SHARES = (("high", 0.25), ("medium", 0.6), ("low", 0.75))  # the rest: none
SOLUTIONS = (
    "Online-Dienst des krz",
    "EfA-Leistung des Landes",
    "Formular-Server",
    "Servicekonto.NRW und Fachverfahren",
    "Antragsmanagement im Fachverfahren",
    "OZG-Hub",
    "Kommunalportal mit E-Payment",
    "Eigenentwicklung",
    "Terminvereinbarung online",
    "Landesportal",
)
NOTES = (
    "Abstimmung mit dem Kreis läuft.",
    "Wartet auf die EfA-Nachnutzung.",
    "Fachverfahren wird 2026 ausgetauscht.",
    "Datenschutzprüfung abgeschlossen.",
    "Schnittstelle zum Fachverfahren fehlt noch.",
    "Personalengpass im Fachbereich.",
)
STEP_TITLES = (
    "Fachverfahren anbinden",
    "Online-Formular erstellen",
    "Datenschutz prüfen",
    "E-Payment einrichten",
    "Test mit Bürgerinnen und Bürgern",
    "Im Portal veröffentlichen",
)
STEP_SHARE = 0.04  # records in planning / in progress with a checklist
# Writing processes on PostgreSQL (this machine has two cores) from this many Kommunen on.
PROCESSES = 2
PARALLEL_FROM = 1000


@dataclass
class Kommune:
    """One Kommune of the scale, as the generator needs it."""

    pk: int
    ars: str
    name: str
    level: str
    type_id: int | None
    district_id: int | None
    population: int
    relevant: list[int] = field(default_factory=list)  # service ids, ascending
    department_ids: list[int] = field(default_factory=list)


@dataclass
class GenerationContext:
    """What the generator knows after writing the records; handed to EXTENSIONS."""

    scale: str
    seed: int
    kommunen: list[Kommune]
    services: dict[int, tuple[int, str]]  # service id → (topic id, LeiKa-Typ codes)
    implementation_ids: tuple[int, int]  # first and last id written
    measured: list[Kommune]
    write_rows: Callable = writer.write_rows
    next_id: Callable = writer.next_id


class Timer:
    def __init__(self) -> None:
        self.phases: dict[str, float] = {}
        self._started = time.perf_counter()

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.phases[name] = round(now - self._started, 3)
        self._started = now


def _say(message: str) -> None:
    print(f"    generate: {message}", flush=True)


# --- Scope ------------------------------------------------------------------------------------------


def kommunen_of(scale: str) -> list[Kommune]:
    from kompass.municipalities.models import Municipality

    if scale not in SCALES:
        raise ValueError(f"scale must be one of {', '.join(SCALES)}")
    queryset = Municipality.objects.active()
    if scale == "smoke":
        queryset = queryset.filter(district_code__in=SMOKE_DISTRICT_CODES)
    elif scale == "nrw":
        queryset = queryset.filter(land__code=NRW)
    return [
        Kommune(
            pk=pk,
            ars=ars,
            name=name,
            level=level,
            type_id=type_id,
            district_id=district_id,
            population=population or 0,
        )
        for pk, ars, name, level, type_id, district_id, population in queryset.order_by(
            "ars"
        ).values_list(
            "pk", "ars", "name", "level", "municipality_type_id", "district_id", "population"
        )
    ]


# --- Relevance ---------------------------------------------------------------------------------------


def _default_value(leika_type_codes: str) -> str:
    from kompass.relevance.selectors import default_value_for

    return default_value_for(leika_type_codes)


def relevance_fill(*, scale: str, seed: int, services: dict[int, tuple[int, str]]) -> int:
    """Decide every undecided NRW cell; at scale de copy them to the other Länder's types."""
    from kompass.municipalities.models import MunicipalityType
    from kompass.relevance.models import TypeDecision

    rng = random.Random(f"{seed}-relevance")
    # One draw per Leistung: how "municipal" it is (lower = executed by more types).
    draw = {pk: rng.random() for pk in sorted(services)}
    undecided_default = {
        pk for pk, (_topic, codes) in services.items() if _default_value(codes) == "undecided"
    }
    nrw_types = {t.code: t for t in MunicipalityType.objects.filter(land__code=NRW)}
    existing = set(
        TypeDecision.objects.filter(municipality_type__land__code=NRW).values_list(
            "municipality_type_id", "service_id"
        )
    )
    now = datetime.datetime.now(datetime.UTC)
    rows = []
    for code, municipality_type in nrw_types.items():
        share = RELEVANT_SHARE.get(code)
        if share is None:
            continue
        gemeinde = municipality_type.level == "municipality" and code != "kreisfreie-stadt"
        for pk in sorted(undecided_default):
            if (municipality_type.pk, pk) in existing:
                continue
            if draw[pk] < share:
                value = "relevant"
            elif gemeinde and draw[pk] < BY_DISTRICT_UP_TO:
                value = "by_district"
            else:
                value = "not_relevant"
            rows.append((pk, municipality_type.pk, value, DECISION_REASON, _ts(now)))
    columns = ("service_id", "municipality_type_id", "value", "reason", "decided_at")
    table = TypeDecision._meta.db_table
    written = writer.write_rows(table, columns, rows)
    if scale == "de":
        nrw_decisions: dict[str, list[tuple[int, str]]] = {}
        for type_code, service_id, value in TypeDecision.objects.filter(
            municipality_type__land__code=NRW
        ).values_list("municipality_type__code", "service_id", "value"):
            nrw_decisions.setdefault(type_code, []).append((service_id, value))
        others = MunicipalityType.objects.exclude(land__code=NRW).values_list("pk", "code")
        taken = set(
            TypeDecision.objects.exclude(municipality_type__land__code=NRW).values_list(
                "municipality_type_id", "service_id"
            )
        )
        copies = (
            (service_id, type_id, value, DECISION_REASON, _ts(now))
            for type_id, code in others
            for service_id, value in nrw_decisions.get(TYPE_ANALOGUES.get(code, ""), [])
            if (type_id, service_id) not in taken
        )
        written += writer.write_rows(table, columns, copies)
    return written


def deviations_generate(
    *, kommunen: list[Kommune], seed: int, services: dict[int, tuple[int, str]]
) -> list[tuple]:
    """A few own decisions for about DEVIATION_SHARE of the Kommunen (value decided later, when
    the Kommune's relevant set is known): (kommune, service id)."""
    service_ids = sorted(services)
    chosen = []
    for kommune in kommunen:
        rng = random.Random(f"{seed}-deviation-{kommune.ars}")
        if rng.random() >= DEVIATION_SHARE:
            continue
        for service_id in rng.sample(service_ids, min(len(service_ids), rng.randint(1, 3))):
            chosen.append((kommune, service_id))
    return chosen


def relevant_sets_compute(
    *, kommunen: list[Kommune], services: dict[int, tuple[int, str]], deviations: dict
) -> None:
    """Set kommune.relevant for all Kommunen: once per type (plus member types for Kreise), then
    the Kommune's own deviations; mirrors relevance.selectors.relevance_list_for."""
    from kompass.relevance.models import TypeDecision

    type_ids = {k.type_id for k in kommunen if k.type_id}
    members: dict[int, set[int]] = {}
    from kompass.municipalities.models import Municipality

    district_ids = [k.pk for k in kommunen if k.level == "district"]
    for district_id, type_id in (
        Municipality.objects.active()
        .filter(district_id__in=district_ids, municipality_type__isnull=False)
        .values_list("district_id", "municipality_type_id")
    ):
        members.setdefault(district_id, set()).add(type_id)
        type_ids.add(type_id)
    decisions: dict[int, dict[int, str]] = {pk: {} for pk in type_ids}
    for type_id, service_id, value in TypeDecision.objects.filter(
        municipality_type_id__in=type_ids
    ).values_list("municipality_type_id", "service_id", "value"):
        decisions[type_id][service_id] = value
    defaults = {pk: _default_value(codes) for pk, (_topic, codes) in services.items()}

    relevant_by_type: dict[int | None, frozenset[int]] = {}
    by_district: dict[int, frozenset[int]] = {}
    for type_id in [*type_ids, None]:
        decided = decisions.get(type_id, {})
        relevant_by_type[type_id] = frozenset(
            pk for pk in services if decided.get(pk, defaults[pk]) == "relevant"
        )
        by_district[type_id] = frozenset(pk for pk, v in decided.items() if v == "by_district")
    cache: dict[tuple, list[int]] = {}
    for kommune in kommunen:
        member_types = frozenset(members.get(kommune.pk, ())) if kommune.level == "district" else ()
        key = (kommune.type_id, member_types)
        if key not in cache:
            result = set(relevant_by_type[kommune.type_id])
            for member_type in member_types:
                result |= by_district[member_type]
            cache[key] = sorted(result)
        own = deviations.get(kommune.pk)
        if own:
            result = set(cache[key])
            for service_id, value in own.items():
                if value == "relevant":
                    result.add(service_id)
                else:
                    result.discard(service_id)
            kommune.relevant = sorted(result)
        else:
            kommune.relevant = cache[key]


# --- Helpers -----------------------------------------------------------------------------------------


def _ts(moment: datetime.datetime) -> str:
    """A timestamp column value: with offset for PostgreSQL, naive UTC for SQLite (as Django)."""
    if writer.is_postgresql():
        return moment.strftime("%Y-%m-%d %H:%M:%S+00")
    return moment.strftime("%Y-%m-%d %H:%M:%S")


def _labels() -> dict:
    from kompass.implementation.choices import ImplementationStatus, Priority

    return {
        "status": {value: str(label) for value, label in ImplementationStatus.choices},
        "priority": {value: str(label) for value, label in Priority.choices},
    }


def _german_date(day: datetime.date) -> str:
    return day.strftime("%d.%m.%Y")


# --- Departments and accounts ----------------------------------------------------------------------


def departments_generate(*, kommunen: list[Kommune], seed: int) -> int:
    from kompass.accounts.models import Department

    table = Department._meta.db_table
    existing: dict[int, dict[str, int]] = {}
    for municipality_id, code, pk in Department.objects.filter(
        municipality_id__in=[k.pk for k in kommunen]
    ).values_list("municipality_id", "code", "pk"):
        existing.setdefault(municipality_id, {})[code.lower()] = pk
    next_pk = writer.next_id(table)
    created = _ts(datetime.datetime.now(datetime.UTC))
    rows = []
    for kommune in kommunen:
        rng = random.Random(f"{seed}-departments-{kommune.ars}")
        large = kommune.level == "district" or kommune.population >= 100_000
        count = rng.randint(9, 12) if large else rng.randint(6, 10)
        own = existing.get(kommune.pk, {})
        ids = list(own.values())
        for code, name in DEPARTMENTS[:count]:
            if code.lower() in own:
                continue
            rows.append((next_pk, kommune.pk, code, name, created))
            ids.append(next_pk)
            next_pk += 1
        kommune.department_ids = sorted(ids)
    written = writer.write_rows(
        table, ("id", "municipality_id", "code", "name", "created_at"), rows
    )
    writer.sequence_reset(table)
    return written


@dataclass
class BenchAccounts:
    operator: str
    admin: str
    editor: str
    editor_ids: dict[int, int]  # Kommune id → the editor's department id there
    admin_id: int
    editor_id: int


def accounts_create(
    *, scale: str, kommunen: list[Kommune], measured: list[Kommune]
) -> BenchAccounts:
    """The bench provider with every Kommune of the scale, its operator, and one admin and one
    Bearbeiter (department "FB 3") holding their role in each measured Kommune."""
    from kompass.accounts.choices import Role
    from kompass.accounts.models import Department, RoleAssignment, User
    from kompass.accounts.services import role_grant
    from kompass.municipalities.models import Municipality, Provider

    provider, _created = Provider.objects.get_or_create(
        slug=f"bench-{scale}", defaults={"name": f"Benchmark-Dienstleister ({scale})"}
    )
    through = Provider.members.through
    have = set(through.objects.filter(provider=provider).values_list("municipality_id", flat=True))
    writer.write_rows(
        through._meta.db_table,
        ("provider_id", "municipality_id"),
        ((provider.pk, k.pk) for k in kommunen if k.pk not in have),
    )

    def user(username: str, first: str, last: str) -> User:
        account, created = User.objects.get_or_create(
            username=username, defaults={"first_name": first, "last_name": last}
        )
        if created:
            account.set_unusable_password()
            account.save(update_fields=["password"])
        return account

    def grant(account: User, **scope) -> None:
        if not RoleAssignment.objects.filter(user=account, **scope).exists():
            role_grant(user=account, actor=None, **scope)

    operator = user("bench-betrieb", "Bernd", "Betrieb")
    grant(operator, role=Role.OPERATOR, provider=provider)
    admin = user("bench-admin", "Anna", "Admin")
    editor = user("bench-sb", "Sina", "Sachbearbeitung")
    editor_departments: dict[int, int] = {}
    for kommune in measured:
        municipality = Municipality.objects.get(pk=kommune.pk)
        grant(admin, role=Role.MUNICIPALITY_ADMIN, municipality=municipality)
        department = (
            Department.objects.filter(municipality=municipality, code="FB 3").first()
            or Department.objects.filter(municipality=municipality).order_by("pk").first()
        )
        grant(editor, role=Role.EDITOR, municipality=municipality, department=department)
        editor_departments[kommune.pk] = department.pk
    return BenchAccounts(
        operator=operator.username,
        admin=admin.username,
        editor=editor.username,
        editor_ids=editor_departments,
        admin_id=admin.pk,
        editor_id=editor.pk,
    )


# --- Implementation records ------------------------------------------------------------------------


@dataclass
class RecordRows:
    """The three row streams of one generation run, filled while iterating."""

    changes: list[tuple] = field(default_factory=list)
    steps: list[tuple] = field(default_factory=list)
    records: int = 0


class Fragments:
    """Everything per-record generation would otherwise format again and again: timestamps per
    day and minute, dates per day offset, and the JSON pieces of the history entries (made with
    json.dumps once, so the history reads exactly like what implementation.services writes)."""

    HISTORY_DAYS = 730
    PLANNED_DAYS = range(-700, 900)

    def __init__(self, *, department_labels: dict[int, str], postgresql: bool) -> None:
        labels = _labels()
        status, priority = labels["status"], labels["priority"]
        now = datetime.datetime.now(datetime.UTC).replace(second=0, microsecond=0)
        today = datetime.date.today()
        offset = "+00" if postgresql else ""
        self.days = [
            (now - datetime.timedelta(days=day)).strftime("%Y-%m-%d ")
            for day in range(self.HISTORY_DAYS + 1)
        ]
        self.clock = [f"{minute // 60:02d}:{minute % 60:02d}:00{offset}" for minute in range(1440)]
        self.iso = {d: (today + datetime.timedelta(days=d)).isoformat() for d in self.PLANNED_DAYS}

        def part(values: dict) -> str:
            return json.dumps(values, ensure_ascii=False)[1:-1]

        german = {
            d: (today + datetime.timedelta(days=d)).strftime("%d.%m.%Y") for d in self.PLANNED_DAYS
        }
        self.planned_part = {d: part({"planned_date": ["–", text]}) for d, text in german.items()}
        self.status_part = {
            value: (
                part({"status": ["offen", status[value]]}),
                part({"status": [status["planning"], status[value]]}),
            )
            for value in status
        }
        levels = (None, 0, 1, 2, 3, 4)
        self.level_part = {
            (current, target): part(
                {
                    "current_level": ["–", "–" if current is None else str(current)],
                    "target_level": ["–", "–" if target is None else str(target)],
                }
            )
            for current in levels
            for target in levels
        }
        self.department_part = {
            pk: part({"department": ["–", label]}) for pk, label in department_labels.items()
        }
        self.priority_part = {
            value: part({"priority": ["–", priority[value]]}) for value in priority
        }
        self.solution_part = {text: part({"solution": ["–", text]}) for text in SOLUTIONS}
        self.fallback_part = part({"notes": ["–", "Erfasst"]})


def _records_for(
    kommune: Kommune,
    *,
    seed: int,
    first_id: int,
    services: dict[int, tuple[int, str]],
    case_rate: dict[int, float],
    fragments: Fragments,
    skip: set[int],
    accounts: BenchAccounts | None,
    out: RecordRows,
) -> Iterator[tuple]:
    """Yield the Kommune's implementation rows; append their history and steps to `out`.

    Hot path (millions of rows at scale de): one 64-bit draw gives four independent 16-bit
    uniforms, and every text comes from `fragments`.
    """
    rng = random.Random(f"{seed}-records-{kommune.ars}")
    bits = rng.getrandbits
    share = rng.uniform(0.40, 0.95)
    candidates = [pk for pk in kommune.relevant if pk not in skip] if skip else kommune.relevant
    chosen = rng.sample(candidates, round(share * len(candidates)))
    departments = kommune.department_ids
    n_departments = len(departments)
    population = max(kommune.population, 50)
    editor_department = accounts.editor_ids.get(kommune.pk) if accounts else None
    actors = (accounts.admin_id, accounts.editor_id) if editor_department else (None,)
    n_actors = len(actors)
    days, clock, iso = fragments.days, fragments.clock, fragments.iso
    status_part, level_part = fragments.status_part, fragments.level_part
    department_part, priority_part = fragments.department_part, fragments.priority_part
    planned_part, solution_part = fragments.planned_part, fragments.solution_part
    n_solutions, n_notes, n_titles = len(SOLUTIONS), len(NOTES), len(STEP_TITLES)
    changes_out = out.changes.append
    steps_out = out.steps.append
    scale = 1 / 65536
    pk = first_id
    for service_id in chosen:
        a = bits(64)
        b = bits(64)
        u1 = (a & 0xFFFF) * scale
        u2 = ((a >> 16) & 0xFFFF) * scale
        u3 = ((a >> 32) & 0xFFFF) * scale
        u4 = (a >> 48) * scale
        v1 = (b & 0xFFFF) * scale
        v2 = ((b >> 16) & 0xFFFF) * scale
        v3 = ((b >> 32) & 0xFFFF) * scale
        v4 = (b >> 48) * scale
        if u1 < 0.22:
            status, current = "open", (0 if u2 < 0.5 else None)
        elif u1 < 0.40:
            status, current = "planning", (1 if u2 < 0.4 else 0)
        elif u1 < 0.62:
            status, current = "in_progress", (2 if u2 < 0.5 else 1)
        elif u1 < 0.95:
            status, current = "done", (4 if u2 < 0.3 else 3)
        else:
            status, current = "dropped", None
        target = None if status == "dropped" or u3 < 0.05 else (4 if u3 < 0.40 else 3)
        parts = []
        if status != "open":
            parts.append(status_part[status][u4 < 0.3])
        if current is not None or target is not None:
            parts.append(level_part[current, target])
        if v1 < 0.85 and n_departments:
            topic_id = services[service_id][0] or 0
            department = departments[
                (topic_id * 7 + (int(v2 * n_departments) if v1 < 0.1 else 0)) % n_departments
            ]
            parts.append(department_part[department])
        else:
            department = None
        if v3 < 0.8:
            cases = int(population * case_rate[service_id] * (0.6 + 0.8 * v4)) + 1
            case_year = 2025 if v2 < 0.7 else 2024
            parts.append(f'"case_count": ["–", "{cases}"], "case_count_year": ["–", "{case_year}"]')
        else:
            cases = case_year = None
        c = bits(64)
        w1 = (c & 0xFFFF) * scale
        w2 = ((c >> 16) & 0xFFFF) * scale
        w3 = ((c >> 32) & 0xFFFF) * scale
        w4 = (c >> 48) * scale
        priority = "high" if w1 < 0.25 else "medium" if w1 < 0.6 else "low" if w1 < 0.75 else ""
        if priority:
            parts.append(priority_part[priority])
        planned = None
        if status in ("planning", "in_progress") and w2 < 0.9:
            planned = int(w3 * 1300) - 400
        elif status == "done" and w2 < 0.3:
            planned = -30 - int(w3 * 670)
        if planned is not None:
            parts.append(planned_part[planned])
        solution = ""
        if status != "open" and w4 < 0.45:
            solution = SOLUTIONS[int(w4 * 1000) % n_solutions]
            parts.append(solution_part[solution])
        notes = NOTES[int(w2 * 1000) % n_notes] if w1 > 0.9 else ""
        contact = None
        if editor_department and department == editor_department and w3 < 0.3:
            contact = accounts.editor_id
        if not parts:
            parts.append(fragments.fallback_part)
            notes = notes or "Erfasst"

        # History: the changes that led here, oldest first, in 1-3 entries.
        d = bits(32)
        entries = min(len(parts), 1 + d % 3)
        age = 1 + (d >> 2) % 600
        minute = (d >> 12) % 1440
        for index in range(entries):
            when = min(Fragments.HISTORY_DAYS, age + (entries - 1 - index) * (1 + (d >> 23) % 40))
            changes_out(
                (
                    pk,
                    days[when] + clock[minute],
                    actors[index % n_actors],
                    "{" + ", ".join(parts[index::entries]) + "}",
                )
            )
        updated = days[age] + clock[minute]
        if planned is not None and status != "done" and u4 > 1 - STEP_SHARE:
            for number in range(1 + d % 4):
                steps_out(
                    (
                        pk,
                        STEP_TITLES[(number + service_id) % n_titles],
                        iso[(number * 37 + service_id) % 360 - 60],
                        number < (d >> 5) % 3,
                        updated,
                    )
                )
        yield (
            pk,
            kommune.pk,
            service_id,
            department,
            contact,
            status,
            current,
            target,
            cases,
            case_year,
            priority,
            None if planned is None else iso[planned],
            solution,
            notes,
            entries,
            updated,
            actors[(entries - 1) % n_actors],
        )
        pk += 1
    out.records += pk - first_id


IMPLEMENTATION_COLUMNS = (
    "id",
    "municipality_id",
    "service_id",
    "department_id",
    "contact_person_id",
    "status",
    "current_level",
    "target_level",
    "case_count",
    "case_count_year",
    "priority",
    "planned_date",
    "solution",
    "notes",
    "version",
    "updated_at",
    "updated_by_id",
)


def records_generate(
    *,
    kommunen: list[Kommune],
    seed: int,
    services: dict[int, tuple[int, str]],
    accounts: BenchAccounts | None,
    timer: Timer,
    processes: int = 1,
) -> tuple[dict[str, int], tuple[int, int]]:
    """Write the implementation records, their history and steps (COPY / executemany).

    processes > 1 (PostgreSQL only): the Kommunen are split over that many forked processes,
    each COPYing on its own connection; the caller must not be inside a transaction then (the
    dropped indexes are committed first, and every process commits its part). Ids are planned per
    Kommune beforehand, so the data is the same whichever process writes a Kommune.
    """
    from django.db import connections

    from kompass.accounts.models import Department
    from kompass.implementation.models import (
        Implementation,
        ImplementationChange,
        ImplementationStep,
    )

    rng = random.Random(f"{seed}-case-rates")
    # Yearly cases per inhabitant, per Leistung: from a few per million to one in twenty.
    case_rate = {pk: 10 ** rng.uniform(-5.5, -1.3) for pk in sorted(services)}
    department_labels = {
        pk: f"{code} {name}"
        for pk, code, name in Department.objects.filter(
            municipality_id__in=[k.pk for k in kommunen]
        ).values_list("pk", "code", "name")
    }
    existing: dict[int, set[int]] = {}
    for municipality_id, service_id in Implementation.objects.filter(
        municipality_id__in=[k.pk for k in kommunen]
    ).values_list("municipality_id", "service_id"):
        existing.setdefault(municipality_id, set()).add(service_id)
    tables = [
        Implementation._meta.db_table,
        ImplementationChange._meta.db_table,
        ImplementationStep._meta.db_table,
    ]
    first_id = writer.next_id(tables[0])
    first_ids = {}
    next_pk = first_id
    for kommune in kommunen:
        first_ids[kommune.pk] = next_pk
        next_pk += _record_count(kommune, seed=seed, skip=existing.get(kommune.pk, set()))
    _SHARED.update(
        seed=seed,
        services=services,
        case_rate=case_rate,
        fragments=Fragments(department_labels=department_labels, postgresql=writer.is_postgresql()),
        existing=existing,
        accounts=accounts,
        tables=tables,
        first_ids=first_ids,
    )
    parallel = processes > 1 and writer.is_postgresql() and len(kommunen) >= 2 * processes
    with writer.without_indexes(tables, commit=parallel):
        timer.lap("records_drop_indexes")
        if parallel:
            import multiprocessing

            parts = [kommunen[number::processes] for number in range(processes)]
            connections.close_all()  # each process opens its own connection
            with multiprocessing.get_context("fork").Pool(processes) as pool:
                results = pool.map(_write_part_committed, parts)
        else:
            results = [_write_part(kommunen)]
        timer.lap("records_write")
    timer.lap("records_indexes_analyze")
    written: dict[str, int] = {}
    for result in results:
        for key, value in result.items():
            written[key] = written.get(key, 0) + value
    if written["implementations"] != next_pk - first_id:
        raise RuntimeError("The records written do not match the planned ids.")
    for table in tables:
        writer.sequence_reset(table)
    return written, (first_id, next_pk - 1)


# What the writing processes need; set before forking (inherited, not pickled).
_SHARED: dict = {}


def _record_count(kommune: Kommune, *, seed: int, skip: set[int]) -> int:
    """How many records _records_for will write for the Kommune (the same first draw)."""
    rng = random.Random(f"{seed}-records-{kommune.ars}")
    share = rng.uniform(0.40, 0.95)
    candidates = len([pk for pk in kommune.relevant if pk not in skip])
    return round(share * candidates)


def _write_part_committed(kommunen: list[Kommune]) -> dict[str, int]:
    from django.db import connection, transaction

    try:
        with transaction.atomic():
            return _write_part(kommunen)
    finally:
        connection.close()


def _write_part(kommunen: list[Kommune]) -> dict[str, int]:
    shared = _SHARED
    tables = shared["tables"]
    out = RecordRows()
    written = {"implementations": 0, "changes": 0, "steps": 0}

    def flush(*, final: bool) -> None:
        if len(out.changes) > 200_000 or (final and out.changes):
            written["changes"] += writer.write_rows(
                tables[1],
                ("implementation_id", "changed_at", "changed_by_id", "changes"),
                out.changes,
            )
            out.changes.clear()
        if len(out.steps) > 50_000 or (final and out.steps):
            written["steps"] += writer.write_rows(
                tables[2],
                ("implementation_id", "title", "due_date", "done", "created_at"),
                out.steps,
            )
            out.steps.clear()

    batch: list[tuple] = []
    for kommune in kommunen:
        batch.extend(
            _records_for(
                kommune,
                seed=shared["seed"],
                first_id=shared["first_ids"][kommune.pk],
                services=shared["services"],
                case_rate=shared["case_rate"],
                fragments=shared["fragments"],
                skip=shared["existing"].get(kommune.pk, set()),
                accounts=shared["accounts"],
                out=out,
            )
        )
        # One COPY at a time per connection: records, then the history collected meanwhile.
        if len(batch) >= 100_000:
            written["implementations"] += writer.write_rows(
                tables[0], IMPLEMENTATION_COLUMNS, batch
            )
            batch = []
            flush(final=False)
    written["implementations"] += writer.write_rows(tables[0], IMPLEMENTATION_COLUMNS, batch)
    flush(final=True)
    return written


# --- The whole run -----------------------------------------------------------------------------------


def measured_pick(kommunen: list[Kommune]) -> list[Kommune]:
    """The Kommunen whose pages are measured (see MEASURED_MOST_RELEVANT)."""
    ranked = sorted(kommunen, key=lambda k: (-len(k.relevant), -k.population, k.ars))
    picked = ranked[:MEASURED_MOST_RELEVANT]
    districts = [k for k in ranked if k.level == "district" and k not in picked]
    districts.sort(key=lambda k: (-k.population, k.ars))
    return picked + districts[:MEASURED_DISTRICTS]


def verify(kommunen: list[Kommune]) -> dict:
    """Check the generated data of some Kommunen against the application's own reads: the relevant
    set equals relevance.selectors.relevant_services_for, every record is of a relevant Leistung
    and its version equals its number of history entries. Raises RuntimeError otherwise."""
    from django.db.models import Count, F

    from kompass.implementation.models import Implementation
    from kompass.municipalities.models import Municipality
    from kompass.relevance.selectors import relevant_services_for

    problems = []
    records = 0
    for kommune in kommunen:
        municipality = Municipality.objects.get(pk=kommune.pk)
        expected = set(
            relevant_services_for(municipality=municipality).values_list("pk", flat=True)
        )
        if expected != set(kommune.relevant):
            problems.append(
                f"{kommune.name}: relevant sets differ ({len(expected)} by the application, "
                f"{len(kommune.relevant)} by the generator)"
            )
        own = Implementation.objects.filter(municipality=municipality)
        records += own.count()
        stray = own.exclude(service_id__in=expected).count()
        if stray:
            problems.append(f"{kommune.name}: {stray} records of Leistungen not relevant")
        wrong_version = (
            own.annotate(n=Count("changes")).exclude(version=F("n")).exclude(version=0).count()
        )
        if wrong_version:
            problems.append(f"{kommune.name}: {wrong_version} records whose version is off")
    if problems:
        raise RuntimeError("Generated data is inconsistent: " + "; ".join(problems))
    return {"kommunen": len(kommunen), "records": records}


def generate(*, scale: str, seed: int = SEED) -> dict:
    """Fill the database for `scale` (see the module docstring); returns counts and timings."""
    from django.db import transaction

    from kompass.accounts.models import Department
    from kompass.catalogue.models import Service
    from kompass.municipalities.models import Provider
    from kompass.relevance.models import Deviation, TypeDecision

    timer = Timer()
    started = time.perf_counter()
    rows: dict[str, int] = {}
    with transaction.atomic():
        kommunen = kommunen_of(scale)
        services = {
            pk: (topic_id, codes)
            for pk, topic_id, codes in Service.objects.current().values_list(
                "pk", "topic_id", "leika_type_codes"
            )
        }
        rows["type_decisions"] = relevance_fill(scale=scale, seed=seed, services=services)
        timer.lap("relevance_decisions")

        deviations: dict[int, dict[int, str]] = {}
        for municipality_id, service_id, value in Deviation.objects.filter(
            municipality_id__in=[k.pk for k in kommunen]
        ).values_list("municipality_id", "service_id", "value"):
            deviations.setdefault(municipality_id, {})[service_id] = value
        # Decide the new deviations against the type's list: flip what the type says.
        relevant_sets_compute(kommunen=kommunen, services=services, deviations=deviations)
        new_deviations = []
        now = _ts(datetime.datetime.now(datetime.UTC))
        for kommune, service_id in deviations_generate(
            kommunen=kommunen, seed=seed, services=services
        ):
            if service_id in deviations.get(kommune.pk, {}):
                continue
            value = "not_relevant" if service_id in set(kommune.relevant) else "relevant"
            deviations.setdefault(kommune.pk, {})[service_id] = value
            new_deviations.append((kommune.pk, service_id, value, DEVIATION_REASONS[value], now))
        rows["deviations"] = writer.write_rows(
            Deviation._meta.db_table,
            ("municipality_id", "service_id", "value", "reason", "decided_at"),
            new_deviations,
        )
        relevant_sets_compute(kommunen=kommunen, services=services, deviations=deviations)
        timer.lap("relevant_sets")

        rows["departments"] = departments_generate(kommunen=kommunen, seed=seed)
        timer.lap("departments")
        measured = measured_pick(kommunen)
        accounts = accounts_create(scale=scale, kommunen=kommunen, measured=measured)
        # Fresh planner statistics for what was just written (the pages join these tables).
        writer.analyze(
            [
                TypeDecision._meta.db_table,
                Deviation._meta.db_table,
                Department._meta.db_table,
                Provider.members.through._meta.db_table,
            ]
        )
        timer.lap("accounts")

    # Large loads on PostgreSQL: one writing process per core, each committing its part.
    processes = PROCESSES if len(kommunen) >= PARALLEL_FROM else 1
    if processes > 1 and writer.is_postgresql():
        written, id_range = records_generate(
            kommunen=kommunen,
            seed=seed,
            services=services,
            accounts=accounts,
            timer=timer,
            processes=processes,
        )
    else:
        with transaction.atomic():
            written, id_range = records_generate(
                kommunen=kommunen, seed=seed, services=services, accounts=accounts, timer=timer
            )
    rows.update(written)
    context = GenerationContext(
        scale=scale,
        seed=seed,
        kommunen=kommunen,
        services=services,
        implementation_ids=id_range,
        measured=measured,
    )
    with transaction.atomic():
        for extension in EXTENSIONS:
            rows.update(extension(context))
            # Each extension's own time (e.g. extension_report_aggregates: the TopicProgress
            # rebuild), reported beside the records' phases.
            timer.lap(f"extension_{extension.__name__}")
    # Outside every transaction: VACUUM as autovacuum would after a while, so that the pages read
    # covering indexes alone (index-only scans) as they would in production: the records, the
    # type decisions, the global view's counters and the Kommunen (counted per Kommunaltyp from a
    # partial index). Then CHECKPOINT: the pages are measured on a database at rest.
    from kompass.implementation.models import Implementation
    from kompass.municipalities.models import Municipality
    from kompass.relevance.models import TypeDecision
    from kompass.reports.models import OzgProgress, ServiceProgress

    writer.analyze(
        [
            model._meta.db_table
            for model in (Implementation, TypeDecision, ServiceProgress, OzgProgress, Municipality)
        ]
    )
    writer.checkpoint()
    timer.lap("vacuum")
    verified = verify(measured)
    timer.lap("verify")
    seconds = time.perf_counter() - started
    total = sum(rows.values())
    relevant_counts = [len(k.relevant) for k in kommunen]
    _say(
        f"{total:,} rows in {seconds:.1f} s ({total / seconds:,.0f} rows/s) for "
        f"{len(kommunen):,} Kommunen: {rows}"
    )
    return {
        "seconds": seconds,
        "rows": rows,
        "rows_per_second": round(total / seconds) if seconds else None,
        "phases": timer.phases,
        "processes": processes if writer.is_postgresql() else 1,
        "slow_statements": writer.SLOW_STATEMENTS,
        "kommunen": len(kommunen),
        "relevant_per_kommune": {
            "min": min(relevant_counts, default=0),
            "mean": round(sum(relevant_counts) / len(relevant_counts)) if relevant_counts else 0,
            "max": max(relevant_counts, default=0),
        },
        "verified": verified,
        "measured": [
            {
                "id": k.pk,
                "ars": k.ars,
                "name": k.name,
                "level": k.level,
                "population": k.population,
                "relevant": len(k.relevant),
                "editor_department_id": accounts.editor_ids.get(k.pk),
            }
            for k in measured
        ],
        "accounts": {
            "operator": accounts.operator,
            "admin": accounts.admin,
            "editor": accounts.editor,
        },
    }


# --- Extensions: the solutions marketplace and the report aggregates ------------------------------

# Published solutions of the marketplace (issue 7: "~500 solutions"), and the smoke test's few.
SOLUTION_COUNT = {"smoke": 40, "nrw": 500, "de": 500}
SERVICES_PER_SOLUTION = (1, 40)
# Usages per solution: about one in ten NRW Kommunen uses a solution for one of its Leistungen;
# at scale de the same density per Kommune (so ~26 times as many), written with COPY.
USAGES_PER_SOLUTION = {"smoke": 5, "nrw": 40}
USAGES_PER_KOMMUNE_AND_SOLUTION = 40 / 430


def solutions_extension(context: GenerationContext) -> dict[str, int]:
    """~500 published solutions with their coverage (solutions.services.solutions_sample_create)
    and the Kommunen's usages of them: through that function at smoke and nrw, with COPY at de
    (the same draw: a random Kommune of the scale and a random Leistung the solution covers)."""
    from kompass.municipalities.models import Municipality
    from kompass.solutions.choices import UsageState
    from kompass.solutions.models import Solution, SolutionService, SolutionUsage
    from kompass.solutions.services import SAMPLE_PREFIX, solutions_sample_create

    scale = context.scale
    per_solution = USAGES_PER_SOLUTION.get(scale, 0)
    municipalities = (
        list(Municipality.objects.filter(pk__in=[k.pk for k in context.kommunen]).order_by("ars"))
        if per_solution
        else None
    )
    before = SolutionUsage.objects.count()
    created = solutions_sample_create(
        count=SOLUTION_COUNT[scale],
        seed=context.seed,
        services_per_solution=SERVICES_PER_SOLUTION,
        municipalities=municipalities,
        usages_per_solution=per_solution,
    )
    if not per_solution:
        # bulk_create of ~500,000 model instances would take minutes: COPY the same kind of rows.
        rng = random.Random(f"{context.seed}-usages")
        covered: dict[int, list[int]] = {}
        for solution_id, service_id in (
            SolutionService.objects.filter(solution__name__startswith=SAMPLE_PREFIX)
            .order_by("solution_id", "service_id")
            .values_list("solution_id", "service_id")
        ):
            covered.setdefault(solution_id, []).append(service_id)
        kommune_ids = [k.pk for k in context.kommunen]
        count = max(1, round(USAGES_PER_KOMMUNE_AND_SOLUTION * len(kommune_ids)))
        taken = set(
            SolutionUsage.objects.values_list("municipality_id", "service_id", "solution_id")
        )
        now = _ts(datetime.datetime.now(datetime.UTC))
        rows = []
        for solution_id, service_ids in covered.items():
            for _number in range(count):
                key = (rng.choice(kommune_ids), rng.choice(service_ids), solution_id)
                if key not in taken:
                    taken.add(key)
                    rows.append((*key, UsageState.USES.value, now))
        writer.write_rows(
            SolutionUsage._meta.db_table,
            ("municipality_id", "service_id", "solution_id", "state", "updated_at"),
            rows,
        )
        writer.sequence_reset(SolutionUsage._meta.db_table)
    tables = [Solution, SolutionService, SolutionUsage]
    writer.analyze([model._meta.db_table for model in tables])
    return {
        "solutions": created,
        "solution_coverage": SolutionService.objects.filter(
            solution__name__startswith=SAMPLE_PREFIX
        ).count(),
        "solution_usages": SolutionUsage.objects.count() - before,
    }


def report_aggregates(context: GenerationContext) -> dict[str, int]:
    """reports.TopicProgress for every Kommune, ServiceProgress and OzgProgress, rebuilt set-based
    after the COPY load (reports.services.topic_progress_rebuild, progress_rebuild); their time is
    the phase extension_report_aggregates."""
    from kompass.reports.models import OzgProgress, ServiceProgress, TopicProgress
    from kompass.reports.services import progress_rebuild, topic_progress_rebuild

    rebuilt = topic_progress_rebuild()
    progress_rows = progress_rebuild()
    writer.analyze(
        [model._meta.db_table for model in (TopicProgress, ServiceProgress, OzgProgress)]
    )
    return {"topic_progress": rebuilt, "progress": progress_rows}


# Functions run after the records (see the module docstring), in this order.
EXTENSIONS: list[Callable[[GenerationContext], dict[str, int]]] = [
    solutions_extension,
    report_aggregates,
]
