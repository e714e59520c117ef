"""Writes of the solutions marketplace.

Every write is a `solution_<verb>(*, …, actor)` in one transaction that checks who may do it
(selectors.can_edit_solution / can_review / the Kommune's edit scope), saves only changed fields
and writes a SolutionChange (before → after, as people read it). Edits and reviews carry the
version the form showed: a stale one raises SolutionConflict instead of overwriting a colleague.

Data for demos and benchmarks: demo_solutions_seed() (a handful of realistic entries for the
demo provider, idempotent) and solutions_sample_create(*, count, seed) (N plausible solutions
with coverage, bulk-created).
"""

from __future__ import annotations

import datetime
import random
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from kompass.accounts.models import User
from kompass.catalogue.models import MaturityLevel, Service
from kompass.implementation.models import Implementation
from kompass.implementation.selectors import edit_scope_for, people_of
from kompass.municipalities.models import Municipality
from kompass.solutions import selectors
from kompass.solutions.choices import (
    ChangeAction,
    Integration,
    ReviewState,
    SolutionKind,
    SolutionStatus,
    UsageState,
)
from kompass.solutions.models import Solution, SolutionChange, SolutionService, SolutionUsage

if TYPE_CHECKING:
    from kompass.accounts.selectors import AnyUser

EDITABLE_FIELDS = (
    "name",
    "provider_name",
    "provider_contact",
    "kind",
    "description",
    "licence",
    "cost_model",
    "links",
    "status",
    "last_reviewed_on",
    "integration",
    "media_break_free",
)
REQUIRED_FIELDS = ("name", "provider_name", "kind", "description")
_CHOICES = {
    "kind": SolutionKind,
    "status": SolutionStatus,
    "integration": Integration,
    "review_state": ReviewState,
}


class SolutionConflict(Exception):
    """Someone saved the solution after the form was loaded; `current` is the newer one."""

    def __init__(self, current: Solution):
        super().__init__("stale version")
        self.current = current


def display_value(name: str, value: Any) -> str:
    """A field value as people read it, for the history."""
    if value is None or value == "" or value == []:
        return "–"
    if name in _CHOICES:
        return str(_CHOICES[name](value).label)
    if isinstance(value, bool):
        return _("ja") if value else _("nein")
    if isinstance(value, datetime.date):
        return formats.date_format(value, "SHORT_DATE_FORMAT")
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


def _actor(actor: AnyUser | None) -> User | None:
    return actor if actor is not None and actor.is_authenticated else None


def _log(
    solution: Solution,
    action: str,
    changes: dict,
    *,
    actor: AnyUser | None,
    municipality: Municipality | None = None,
) -> None:
    SolutionChange.objects.create(
        solution=solution,
        action=action,
        changes=changes,
        changed_by=_actor(actor),
        municipality=municipality,
    )


def _check_required(values: dict) -> None:
    missing = {
        name: _("Dieses Feld ist erforderlich.")
        for name in REQUIRED_FIELDS
        if not str(values.get(name) or "").strip()
    }
    if missing:
        raise ValidationError(missing)


def _search_text(solution: Solution) -> str:
    return selectors.solution_search_text(
        name=solution.name,
        provider_name=solution.provider_name,
        description=solution.description,
    )


def _new(values: dict, **extra) -> Solution:
    unknown = set(values) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    _check_required(values)
    solution = Solution(**values, **extra)
    solution.search_text = _search_text(solution)
    solution.save()
    return solution


def _creation_changes(solution: Solution) -> dict:
    return {
        name: ["–", display_value(name, getattr(solution, name))]
        for name in EDITABLE_FIELDS
        if getattr(solution, name) not in (None, "", [], False)
    }


def solution_create(*, values: dict[str, Any], actor: AnyUser) -> Solution:
    """A central entry by a platform operator: published at once."""
    if not selectors.can_create_central(actor):
        raise PermissionDenied(_("Nur der Plattformbetrieb legt zentrale Lösungen an."))
    with transaction.atomic():
        solution = _new(
            values,
            review_state=ReviewState.PUBLISHED,
            proposed_by=_actor(actor),
            reviewed_by=_actor(actor),
            reviewed_at=timezone.now(),
        )
        _log(solution, ChangeAction.CREATED, _creation_changes(solution), actor=actor)
    return solution


def solution_propose(
    *, municipality: Municipality, values: dict[str, Any], actor: AnyUser
) -> Solution:
    """A Kommune's proposal (by its admins or Bearbeiter): visible to that Kommune and the
    operators until an operator accepts it."""
    if not selectors.can_propose_for(actor, municipality):
        raise PermissionDenied(
            _("Vorschläge machen die Administration und die Bearbeitung einer Kommune.")
        )
    with transaction.atomic():
        solution = _new(
            values,
            review_state=ReviewState.PROPOSAL,
            proposed_for=municipality,
            proposed_by=_actor(actor),
        )
        _log(solution, ChangeAction.PROPOSED, _creation_changes(solution), actor=actor)
    return solution


def _locked(solution: Solution, expected_version: int | None) -> Solution:
    current = Solution.objects.select_for_update().get(pk=solution.pk)
    if expected_version is not None and current.version != expected_version:
        raise SolutionConflict(current)
    return current


def _apply(solution: Solution, values: dict, extra_fields: Iterable[str] = ()) -> dict:
    changes: dict[str, list[str]] = {}
    for name, value in values.items():
        if name not in EDITABLE_FIELDS:
            raise ValueError(f"not an editable field: {name}")
        before = getattr(solution, name)
        if before != value:
            changes[name] = [display_value(name, before), display_value(name, value)]
            setattr(solution, name, value)
    fields = [*changes, *extra_fields]
    if fields:
        solution.search_text = _search_text(solution)
        solution.version += 1
        solution.save(update_fields=[*fields, "search_text", "version", "updated_at"])
    return changes


def solution_update(
    *,
    solution: Solution,
    values: dict[str, Any],
    expected_version: int | None,
    actor: AnyUser,
) -> Solution:
    """Change a solution's description. A changed rejected proposal goes back to review."""
    if not selectors.can_edit_solution(actor, solution):
        raise PermissionDenied(_("Sie können diese Lösung nicht bearbeiten."))
    _check_required({**{n: getattr(solution, n) for n in REQUIRED_FIELDS}, **values})
    with transaction.atomic():
        current = _locked(solution, expected_version)
        extra: list[str] = []
        resubmitted = False
        if current.review_state == ReviewState.REJECTED and not selectors.can_review(
            actor, current
        ):
            current.review_state = ReviewState.PROPOSAL
            extra.append("review_state")
            resubmitted = True
        changes = _apply(current, values, extra)
        if resubmitted:
            changes["review_state"] = [
                display_value("review_state", ReviewState.REJECTED),
                display_value("review_state", ReviewState.PROPOSAL),
            ]
        if changes:
            _log(current, ChangeAction.CHANGED, changes, actor=actor)
    return current


def solution_accept(
    *,
    solution: Solution,
    values: dict[str, Any],
    expected_version: int | None,
    actor: AnyUser,
) -> Solution:
    """An operator accepts a proposal, with the edits made while reviewing, and publishes it."""
    if not selectors.can_review(actor, solution):
        raise PermissionDenied(_("Nur der Plattformbetrieb prüft Vorschläge."))
    _check_required({**{n: getattr(solution, n) for n in REQUIRED_FIELDS}, **values})
    with transaction.atomic():
        current = _locked(solution, expected_version)
        if current.review_state == ReviewState.PUBLISHED:
            raise ValidationError(_("Diese Lösung ist bereits veröffentlicht."))
        before_state = current.review_state
        current.review_state = ReviewState.PUBLISHED
        current.rejection_reason = ""
        current.reviewed_by = _actor(actor)
        current.reviewed_at = timezone.now()
        changes = _apply(
            current,
            values,
            ["review_state", "rejection_reason", "reviewed_by", "reviewed_at"],
        )
        changes["review_state"] = [
            display_value("review_state", before_state),
            display_value("review_state", ReviewState.PUBLISHED),
        ]
        _log(current, ChangeAction.ACCEPTED, changes, actor=actor)
    return current


def solution_reject(
    *, solution: Solution, reason: str, expected_version: int | None, actor: AnyUser
) -> Solution:
    """An operator rejects a proposal with a reason the Kommune sees; it stays visible to them."""
    if not selectors.can_review(actor, solution):
        raise PermissionDenied(_("Nur der Plattformbetrieb prüft Vorschläge."))
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(
            {"rejection_reason": _("Bitte begründen Sie die Ablehnung für die Kommune.")}
        )
    with transaction.atomic():
        current = _locked(solution, expected_version)
        if current.review_state != ReviewState.PROPOSAL:
            raise ValidationError(_("Nur offene Vorschläge können abgelehnt werden."))
        current.review_state = ReviewState.REJECTED
        current.rejection_reason = reason
        current.reviewed_by = _actor(actor)
        current.reviewed_at = timezone.now()
        current.version += 1
        current.save(
            update_fields=[
                "review_state",
                "rejection_reason",
                "reviewed_by",
                "reviewed_at",
                "version",
                "updated_at",
            ]
        )
        _log(
            current,
            ChangeAction.REJECTED,
            {
                "review_state": [
                    display_value("review_state", ReviewState.PROPOSAL),
                    display_value("review_state", ReviewState.REJECTED),
                ],
                "rejection_reason": ["–", reason],
            },
            actor=actor,
        )
    return current


# --- Coverage ---------------------------------------------------------------------------------------


def _level_scale() -> set[int]:
    return set(MaturityLevel.objects.filter(model__is_default=True).values_list("level", flat=True))


def _service_label(service: Service) -> str:
    return f"{service.leika_key or service.catalogue_key} {service.name}"


def solution_coverage_set(
    *, solution: Solution, services: list[Service], level: int, actor: AnyUser
) -> int:
    """Add Leistungen to what a solution covers, or change the Reifegrad it reaches there.

    Returns the number of Leistungen added or changed. Only current catalogue entries; the level
    must lie on the default Reifegradmodell's scale.
    """
    if not selectors.can_edit_solution(actor, solution):
        raise PermissionDenied(_("Sie können diese Lösung nicht bearbeiten."))
    if level not in _level_scale():
        raise ValidationError(
            {"level": _("Dieser Reifegrad liegt nicht auf der Skala des Reifegradmodells.")}
        )
    retired = [s for s in services if s.retired_in_id is not None]
    if retired:
        raise ValidationError(
            _("„%(name)s“ ist nicht mehr im aktuellen Katalog.") % {"name": retired[0].name}
        )
    with transaction.atomic():
        current = _locked(solution, None)
        existing = {
            row.service_id: row
            for row in SolutionService.objects.select_for_update().filter(
                solution=current, service__in=services
            )
        }
        added, changed = [], []
        lines: dict[str, list[str]] = {}
        for service in services:
            row = existing.get(service.pk)
            if row is None:
                added.append(SolutionService(solution=current, service=service, level=level))
                lines[_service_label(service)] = ["–", _("Reifegrad %(level)s") % {"level": level}]
            elif row.level != level:
                lines[_service_label(service)] = [
                    _("Reifegrad %(level)s") % {"level": row.level},
                    _("Reifegrad %(level)s") % {"level": level},
                ]
                row.level = level
                changed.append(row)
        SolutionService.objects.bulk_create(added)
        SolutionService.objects.bulk_update(changed, ["level"])
        if lines:
            current.version += 1
            current.save(update_fields=["version", "updated_at"])
            _log(current, ChangeAction.COVERAGE, _coverage_changes(lines), actor=actor)
    return len(added) + len(changed)


def _coverage_changes(lines: dict[str, list[str]]) -> dict:
    """History rows for coverage: one entry, the Leistungen listed (the key is the label)."""
    before = "; ".join(f"{label}: {b}" for label, (b, _a) in lines.items() if b != "–") or "–"
    after = "; ".join(f"{label}: {a}" for label, (_b, a) in lines.items() if a != "–") or "–"
    return {"coverage": [before, after]}


def solution_coverage_remove(*, solution: Solution, service: Service, actor: AnyUser) -> bool:
    if not selectors.can_edit_solution(actor, solution):
        raise PermissionDenied(_("Sie können diese Lösung nicht bearbeiten."))
    with transaction.atomic():
        current = _locked(solution, None)
        row = SolutionService.objects.filter(solution=current, service=service).first()
        if row is None:
            return False
        row.delete()
        current.version += 1
        current.save(update_fields=["version", "updated_at"])
        _log(
            current,
            ChangeAction.COVERAGE,
            {
                "coverage": [
                    f"{_service_label(service)}: "
                    + _("Reifegrad %(level)s") % {"level": row.level},
                    "–",
                ]
            },
            actor=actor,
        )
    return True


# --- Usage ------------------------------------------------------------------------------------------


def _require_usage_scope(actor: AnyUser, municipality: Municipality, service: Service) -> None:
    record = (
        Implementation.objects.filter(municipality=municipality, service=service)
        .only("department_id")
        .first()
    )
    scope = edit_scope_for(actor, municipality)
    if not scope.can_edit(record.department_id if record else None):
        raise PermissionDenied(
            _(
                "Sie können die Nutzung nur für Leistungen Ihres Fachbereichs oder noch nicht "
                "zugeordnete Leistungen erfassen."
            )
        )


def _usage_text(usage: SolutionUsage) -> str:
    contact = usage.contact_person
    name = (contact.get_full_name() or contact.get_username()) if contact else _("niemand")
    return _("%(state)s für „%(service)s“, Ansprechperson: %(contact)s") % {
        "state": UsageState(usage.state).label,
        "service": usage.service.name,
        "contact": name,
    }


def solution_usage_record(
    *,
    municipality: Municipality,
    service: Service,
    solution: Solution,
    state: str,
    contact_person: User | None,
    actor: AnyUser,
) -> SolutionUsage:
    """Record (or change) that a Kommune uses or plans a published solution for a Leistung.

    Links the Kommune's implementation record of that Leistung when there is one; its free-text
    "solution" stays as it is.
    """
    _require_usage_scope(actor, municipality, service)
    if solution.review_state != ReviewState.PUBLISHED:
        raise ValidationError(
            {"solution": _("Nur veröffentlichte Lösungen können als genutzt erfasst werden.")}
        )
    if state not in UsageState.values:
        raise ValidationError({"state": _("Diese Art der Nutzung gibt es nicht.")})
    if (
        contact_person is not None
        and not people_of(municipality).filter(pk=contact_person.pk).exists()
    ):
        raise ValidationError(
            {"contact_person": _("Diese Person arbeitet nicht in dieser Kommune.")}
        )
    with transaction.atomic():
        record = Implementation.objects.filter(municipality=municipality, service=service).first()
        usage, created = SolutionUsage.objects.select_for_update().get_or_create(
            municipality=municipality,
            service=service,
            solution=solution,
            defaults={
                "state": state,
                "contact_person": contact_person,
                "implementation": record,
                "updated_by": _actor(actor),
            },
        )
        before = None if created else _usage_text(usage)
        if not created:
            usage.state = state
            usage.contact_person = contact_person
            usage.implementation = record
            usage.updated_by = _actor(actor)
            usage.save(
                update_fields=[
                    "state",
                    "contact_person",
                    "implementation",
                    "updated_by",
                    "updated_at",
                ]
            )
        after = _usage_text(usage)
        if before != after:
            _log(
                solution,
                ChangeAction.USAGE,
                {"usage": [before or "–", f"{municipality.name}: {after}"]},
                actor=actor,
                municipality=municipality,
            )
    return usage


def solution_usage_delete(*, usage: SolutionUsage, actor: AnyUser) -> None:
    _require_usage_scope(actor, usage.municipality, usage.service)
    with transaction.atomic():
        text = _usage_text(usage)
        solution = usage.solution
        municipality = usage.municipality
        usage.delete()
        _log(
            solution,
            ChangeAction.USAGE,
            {"usage": [f"{municipality.name}: {text}", "–"]},
            actor=actor,
            municipality=municipality,
        )


# --- Demo and benchmark data ----------------------------------------------------------------------

# (name, provider, contact, kind, licence, cost model, status, integration, media-break free,
#  link, description, OZG-IDs covered, level reached)
DEMO_SOLUTIONS = [
    (
        "Wohnsitzanmeldung online (EfA)",
        "Freie und Hansestadt Hamburg (EfA-Themenfeld Bauen & Wohnen)",
        "efa-wohnen@example.org",
        SolutionKind.EFA,
        "proprietär, Nachnutzung über FIT-Store",
        "Nachnutzung kostenfrei, Betrieb über den FIT-Store-Vertrag",
        SolutionStatus.AVAILABLE,
        Integration.SPECIALIST,
        True,
        "https://www.fitko.de/",
        "Elektronische Wohnsitzanmeldung mit Online-Ausweis; übergibt die Daten an das "
        "Meldefachverfahren.",
        ("10124",),
        4,
    ),
    (
        "ElterngeldDigital",
        "Bundesministerium für Familie, Senioren, Frauen und Jugend",
        "",
        SolutionKind.EFA,
        "proprietär",
        "kostenfrei für Länder und Kommunen",
        SolutionStatus.AVAILABLE,
        Integration.SPECIALIST,
        False,
        "https://www.elterngeld-digital.de/",
        "Online-Antrag auf Elterngeld mit Übergabe an die Elterngeldstellen.",
        ("10000",),
        3,
    ),
    (
        "Serviceportal krz: Online-Dienste",
        "krz Minden-Ravensberg/Lippe",
        "serviceportal@example.org, 05261 252-0",
        SolutionKind.PROVIDER,
        "proprietär",
        "Teil der Verbandsumlage",
        SolutionStatus.AVAILABLE,
        Integration.DMS,
        True,
        "https://www.krz.de/",
        "Formular- und Antragsdienste des IT-Dienstleisters mit Bezahlfunktion und Übergabe an "
        "das DMS der Kommune.",
        ("10160", "10110"),
        3,
    ),
    (
        "Kita-Portal",
        "Beispiel Software GmbH",
        "vertrieb@example.com",
        SolutionKind.COMMERCIAL,
        "proprietär",
        "Lizenz pro Einrichtung und Jahr",
        SolutionStatus.AVAILABLE,
        Integration.SPECIALIST,
        False,
        "https://example.com/kita-portal",
        "Vormerkung und Platzvergabe für Kindertagesstätten mit Elternportal.",
        ("10019",),
        2,
    ),
    (
        "Bewohnerparken digital",
        "Stadt Lemgo",
        "",
        SolutionKind.MUNICIPAL,
        "EUPL-1.2",
        "kostenfrei (Open Source), Betrieb selbst",
        SolutionStatus.PLANNED,
        Integration.NONE,
        False,
        "https://example.org/bewohnerparken",
        "Antrag und Verlängerung von Bewohnerparkausweisen mit Online-Bezahlung.",
        ("10173",),
        3,
    ),
]
DEMO_PROPOSAL = (
    "Sperrmüll-Termin online",
    "Digitallabor Ostwestfalen-Lippe",
    "labor@example.org",
    SolutionKind.DIGITAL_LAB,
    "MIT",
    "kostenfrei",
    SolutionStatus.PLANNED,
    Integration.NONE,
    False,
    "https://example.org/sperrmuell",
    "Prototyp aus dem Digitallabor: Sperrmüll-Termin online buchen.",
    ("10110",),
    2,
)


def _demo_values(entry: tuple) -> tuple[dict, tuple[str, ...], int]:
    (
        name,
        provider,
        contact,
        kind,
        licence,
        cost,
        status,
        integration,
        seamless,
        link,
        description,
        ozg_ids,
        level,
    ) = entry
    values = {
        "name": name,
        "provider_name": provider,
        "provider_contact": contact,
        "kind": kind,
        "licence": licence,
        "cost_model": cost,
        "status": status,
        "integration": integration,
        "media_break_free": seamless,
        "links": [link],
        "description": description,
        "last_reviewed_on": datetime.date.today().replace(day=1),
    }
    return values, ozg_ids, level


def demo_solutions_seed() -> int:
    """A handful of realistic solutions for the demo (EfA services, the krz portal, a commercial
    product, Lemgo's own development, an open proposal of Lemgo) with coverage, Lemgo's use of
    the krz portal (contact lemgo-sb) and Herford's plan to use it; idempotent (entries are found
    by name and provider, usages by Kommune, Leistung and solution).

    Returns the number of solutions created (0 when they exist or the demo data is missing).
    """
    from kompass.accounts.services import HERFORD_ARS, LEMGO_ARS

    operator = User.objects.filter(username="betrieb").first()
    editor = User.objects.filter(username="lemgo-sb").first()
    lemgo = Municipality.objects.filter(ars=LEMGO_ARS).first()
    herford = Municipality.objects.filter(ars=HERFORD_ARS).first()
    if operator is None or lemgo is None or not _level_scale():
        return 0
    created = 0
    with transaction.atomic():
        for entry in [*DEMO_SOLUTIONS, DEMO_PROPOSAL]:
            values, ozg_ids, level = _demo_values(entry)
            solution = Solution.objects.filter(
                name=values["name"], provider_name=values["provider_name"]
            ).first()
            if solution is not None:
                continue
            if entry is DEMO_PROPOSAL:
                if editor is None:
                    continue
                solution = solution_propose(municipality=lemgo, values=values, actor=editor)
                coverage_actor = editor
            else:
                solution = solution_create(values=values, actor=operator)
                coverage_actor = operator
            services = list(Service.objects.current().filter(ozg_service__ozg_id__in=ozg_ids))
            if services:
                solution_coverage_set(
                    solution=solution, services=services, level=level, actor=coverage_actor
                )
            created += 1
        portal = Solution.objects.filter(name=DEMO_SOLUTIONS[2][0]).first()
        if portal is not None and editor is not None:
            _demo_usage(lemgo, portal, editor, UsageState.USES)
        herford_admin = User.objects.filter(username="herford-admin").first()
        if portal is not None and herford is not None and herford_admin is not None:
            _demo_usage(herford, portal, herford_admin, UsageState.PLANS, limit=1)
    return created


def _demo_usage(
    municipality: Municipality, solution: Solution, actor: User, state: str, *, limit: int = 3
) -> None:
    """The Kommune's use of the solution for the first covered Leistungen it executes."""
    from kompass.relevance.selectors import relevant_services_for

    covered = SolutionService.objects.filter(solution=solution).values("service_id")
    services = relevant_services_for(municipality=municipality).filter(pk__in=covered)[:limit]
    for service in services:
        if not SolutionUsage.objects.filter(
            municipality=municipality, service=service, solution=solution
        ).exists():
            solution_usage_record(
                municipality=municipality,
                service=service,
                solution=solution,
                state=state,
                contact_person=actor,
                actor=actor,
            )


SAMPLE_PREFIX = "Beispiellösung"


def solutions_sample_create(
    *,
    count: int,
    seed: int,
    services_per_solution: tuple[int, int] = (1, 40),
    municipalities: list[Municipality] | None = None,
    usages_per_solution: int = 0,
) -> int:
    """Create `count` plausible published solutions quickly (bulk_create), for benchmarks.

    Each covers between services_per_solution[0] and [1] random current Leistungen, mostly
    neighbours in the catalogue (one OZG-Leistung's LeiKa-Leistungen), at a random Reifegrad of
    the default model's scale. With `municipalities` and usages_per_solution > 0, that many random
    (Kommune, covered Leistung) pairs per solution get a usage ("im Einsatz", no contact).
    Deterministic for a seed; no history rows. Returns the number of solutions created.
    """
    rng = random.Random(seed)
    service_ids = list(
        Service.objects.current().order_by("ozg_service_id", "pk").values_list("pk", flat=True)
    )
    levels = sorted(_level_scale()) or [0, 1, 2, 3, 4]
    useful_levels = [lvl for lvl in levels if lvl > 0] or levels
    if not service_ids or count <= 0:
        return 0
    kinds = SolutionKind.values
    providers = [
        "krz Minden-Ravensberg/Lippe",
        "Dataport",
        "AKDB",
        "ekom21",
        "Freistaat Bayern",
        "Land Nordrhein-Westfalen",
        "Beispiel Software GmbH",
        "Open-Source-Gemeinschaft Kommunal",
    ]
    today = datetime.date.today()
    with transaction.atomic():
        solutions = []
        for index in range(count):
            kind = rng.choice(kinds)
            provider = rng.choice(providers)
            name = f"{SAMPLE_PREFIX} {seed}-{index + 1}"
            description = _("Beispiel für Lasttests: %(kind)s von %(provider)s.") % {
                "kind": SolutionKind(kind).label,
                "provider": provider,
            }
            solution = Solution(
                name=name,
                provider_name=provider,
                kind=kind,
                description=description,
                status=rng.choice(
                    [SolutionStatus.AVAILABLE, SolutionStatus.AVAILABLE, SolutionStatus.PLANNED]
                ),
                integration=rng.choice(Integration.values),
                links=[f"https://example.org/loesung/{seed}/{index + 1}"],
                last_reviewed_on=today - datetime.timedelta(days=rng.randrange(0, 720)),
                review_state=ReviewState.PUBLISHED,
            )
            solution.search_text = _search_text(solution)
            solutions.append(solution)
        # PostgreSQL and SQLite return the new primary keys from bulk_create.
        solutions = Solution.objects.bulk_create(solutions, batch_size=500)
        coverage = []
        covered_by: dict[int, list[int]] = {}
        low, high = services_per_solution
        for solution in solutions:
            size = rng.randint(low, min(high, len(service_ids)))
            start = rng.randrange(0, len(service_ids))
            picked = {service_ids[(start + offset) % len(service_ids)] for offset in range(size)}
            covered_by[solution.pk] = sorted(picked)
            coverage.extend(
                SolutionService(solution=solution, service_id=pk, level=rng.choice(useful_levels))
                for pk in picked
            )
        SolutionService.objects.bulk_create(coverage, batch_size=2000, ignore_conflicts=True)
        if municipalities and usages_per_solution > 0:
            usages = []
            for solution in solutions:
                for _n in range(usages_per_solution):
                    usages.append(
                        SolutionUsage(
                            municipality=rng.choice(municipalities),
                            service_id=rng.choice(covered_by[solution.pk]),
                            solution=solution,
                            state=UsageState.USES,
                        )
                    )
            SolutionUsage.objects.bulk_create(usages, batch_size=2000, ignore_conflicts=True)
    return len(solutions)
