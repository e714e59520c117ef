"""Writes of the implementation workspace.

Every change goes through implementation_update (also the board's move and the bulk edit): it
locks the record (select_for_update inside transaction.atomic), refuses a change based on an older
version (optimistic locking: ImplementationConflict with the newer record), checks the person's
edit scope and the department's Kommune, saves only the changed fields and writes the history.
Records are created lazily and race-safely (unique per Kommune and Leistung, get_or_create).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import formats
from django.utils.translation import gettext as _

from kompass.accounts.models import Department, User
from kompass.catalogue.models import Service
from kompass.implementation.choices import ImplementationStatus, Priority
from kompass.implementation.models import (
    Implementation,
    ImplementationChange,
    ImplementationStep,
    SavedFilter,
)
from kompass.implementation.selectors import EditScope
from kompass.municipalities.models import Municipality
from kompass.reports.services import progress_apply, progress_rebuild, topic_progress_refresh

if TYPE_CHECKING:
    from kompass.accounts.selectors import AnyUser

EDITABLE_FIELDS = (
    "department",
    "contact_person",
    "status",
    "current_level",
    "target_level",
    "case_count",
    "case_count_year",
    "priority",
    "planned_date",
    "solution",
    "notes",
)
BULK_FIELDS = ("department", "status", "priority", "target_level")


class ImplementationConflict(Exception):
    """Someone saved the record after the form was loaded; `current` holds the newer record."""

    def __init__(self, current: Implementation, service: Service | None = None):
        super().__init__("stale version")
        self.current = current
        self.service = service


def display_value(field: str, value: Any) -> str:
    """A field value as people read it, for the history and the conflict message."""
    if value is None or value == "":
        return "–"
    if field == "status":
        return str(ImplementationStatus(value).label)
    if field == "priority":
        return str(Priority(value).label)
    if isinstance(value, datetime.date):
        return formats.date_format(value, "SHORT_DATE_FORMAT")
    return str(value)


def field_label(field: str) -> str:
    return str(Implementation._meta.get_field(field).verbose_name)


def _get_or_create_locked(*, municipality: Municipality, service: Service) -> Implementation:
    """The record, created if missing, locked for this transaction.

    get_or_create copes with a concurrent insert (the unique constraint makes one of them fail and
    that one reads the winner's row); select_for_update then serialises the writers.
    """
    try:
        record, _created = Implementation.objects.get_or_create(
            municipality=municipality, service=service
        )
    except IntegrityError:  # pragma: no cover - get_or_create already retries the read
        record = Implementation.objects.get(municipality=municipality, service=service)
    return Implementation.objects.select_for_update().get(pk=record.pk)


def _check_values(
    *, municipality: Municipality, record: Implementation, values: dict, scope: EditScope
) -> None:
    if not scope.can_edit(record.department_id):
        raise PermissionDenied(
            _(
                "Sie können nur Leistungen Ihres Fachbereichs oder noch nicht zugeordnete bearbeiten."
            )
        )
    department: Department | None = values.get("department", record.department)
    if department is not None and department.municipality_id != municipality.pk:
        raise ValidationError(
            {"department": _("Dieser Fachbereich gehört nicht zu dieser Kommune.")}
        )
    if "department" in values and not scope.may_assign(
        department.pk if department else None, current=record.department_id
    ):
        raise ValidationError(
            {"department": _("Sie können Leistungen nur Ihrem eigenen Fachbereich zuordnen.")}
        )


def _state(record: Implementation) -> tuple[int | None, str]:
    """What the global view counts of a record (reports.services.progress_apply)."""
    return record.current_level, record.status


def _apply(record: Implementation, values: dict, *, actor: AnyUser | None) -> dict:
    changes: dict[str, list[str]] = {}
    for name, value in values.items():
        if name not in EDITABLE_FIELDS:
            raise ValueError(f"not an editable field: {name}")
        before = getattr(record, name)
        if before != value:
            changes[name] = [display_value(name, before), display_value(name, value)]
            setattr(record, name, value)
    if changes:
        record.version += 1
        record.updated_by = actor if actor is not None and actor.is_authenticated else None
        record.save(update_fields=[*changes, "version", "updated_by", "updated_at"])
        ImplementationChange.objects.create(
            implementation=record, changed_by=record.updated_by, changes=changes
        )
    return changes


def implementation_update(
    *,
    municipality: Municipality,
    service: Service,
    values: dict[str, Any],
    expected_version: int,
    scope: EditScope,
    actor: AnyUser | None,
) -> Implementation:
    """Change a Leistung's record (created on first change) if nobody changed it meanwhile.

    values: field name → new value (model instances for department/contact_person), validated by
    forms.ImplementationForm. Raises ImplementationConflict if the record's version is no longer
    expected_version, PermissionDenied outside the person's scope, ValidationError for a
    department of another Kommune. Nothing is written in those cases.
    """
    with transaction.atomic():
        record = _get_or_create_locked(municipality=municipality, service=service)
        if record.version != expected_version:
            raise ImplementationConflict(record, service)
        _check_values(municipality=municipality, record=record, values=values, scope=scope)
        before = _state(record)
        if _apply(record, values, actor=actor):
            # The comparisons' counters, in the same transaction (never stale after an edit).
            topic_progress_refresh(municipality_ids=[municipality.pk], topic_ids=[service.topic_id])
            progress_apply(municipality=municipality, moves=[(service, before, _state(record))])
    return record


def implementation_bulk_update(
    *,
    municipality: Municipality,
    selections: Iterable[tuple[Service, int]],
    values: dict[str, Any],
    scope: EditScope,
    actor: AnyUser | None,
) -> int:
    """Set the same values on several Leistungen (each with the version the list showed).

    All or nothing: a stale row or one outside the person's scope refuses the whole change.
    Returns the number of records that changed.
    """
    unknown = set(values) - set(BULK_FIELDS)
    if unknown:
        raise ValueError(f"not a bulk field: {sorted(unknown)}")
    changed = 0
    topic_ids: set[int | None] = set()
    moves = []
    with transaction.atomic():
        for service, version in selections:
            record = _get_or_create_locked(municipality=municipality, service=service)
            if record.version != version:
                raise ImplementationConflict(record, service)
            _check_values(municipality=municipality, record=record, values=values, scope=scope)
            before = _state(record)
            if _apply(record, values, actor=actor):
                changed += 1
                topic_ids.add(service.topic_id)
                moves.append((service, before, _state(record)))
        if topic_ids:
            topic_progress_refresh(municipality_ids=[municipality.pk], topic_ids=topic_ids)
            progress_apply(municipality=municipality, moves=moves)
    return changed


# --- Checklist steps --------------------------------------------------------------------------------


def step_add(
    *,
    municipality: Municipality,
    service: Service,
    title: str,
    due_date: datetime.date | None,
    scope: EditScope,
    actor: AnyUser | None,
) -> ImplementationStep:
    with transaction.atomic():
        record = _get_or_create_locked(municipality=municipality, service=service)
        _check_values(municipality=municipality, record=record, values={}, scope=scope)
        step = ImplementationStep.objects.create(
            implementation=record, title=title, due_date=due_date
        )
        ImplementationChange.objects.create(
            implementation=record,
            changed_by=actor if actor is not None and actor.is_authenticated else None,
            changes={"step": ["–", title]},
        )
    return step


def step_change(
    *, step: ImplementationStep, action: str, scope: EditScope, actor: AnyUser | None
) -> None:
    """Mark a step done / not done ("toggle") or remove it ("delete"); both go to the history."""
    with transaction.atomic():
        record = Implementation.objects.select_for_update().get(pk=step.implementation_id)
        _check_values(municipality=record.municipality, record=record, values={}, scope=scope)
        step = ImplementationStep.objects.select_for_update().get(pk=step.pk)
        done_text, open_text = _("erledigt"), _("offen")
        if action == "toggle":
            step.done = not step.done
            step.save(update_fields=["done"])
            before, after = (open_text, done_text) if step.done else (done_text, open_text)
            changes = {"step": [f"{step.title}: {before}", f"{step.title}: {after}"]}
        elif action == "delete":
            changes = {"step": [step.title, "–"]}
            step.delete()
        else:
            raise ValueError(f"unknown step action: {action}")
        ImplementationChange.objects.create(
            implementation=record,
            changed_by=actor if actor is not None and actor.is_authenticated else None,
            changes=changes,
        )


# --- Saved filters -----------------------------------------------------------------------------------


def saved_filter_save(
    *, user: User, municipality: Municipality, name: str, query: str
) -> SavedFilter:
    """Save (or overwrite by name) a person's filter of the list."""
    saved, _created = SavedFilter.objects.update_or_create(
        user=user, municipality=municipality, name=name, defaults={"query": query}
    )
    return saved


def saved_filter_delete(*, user: User, municipality: Municipality, pk: int) -> bool:
    deleted, _rows = SavedFilter.objects.filter(
        user=user, municipality=municipality, pk=pk
    ).delete()
    return bool(deleted)


# --- Demo data ---------------------------------------------------------------------------------------


def demo_implementation_seed() -> int:
    """Give the demo Kommune Lemgo a few realistic records (some in "Bürgerservice"); idempotent.

    Returns the number of records created (0 when they exist, or Lemgo or its list is missing).
    """
    from kompass.accounts.services import LEMGO_ARS
    from kompass.relevance.selectors import relevant_services_for

    lemgo = Municipality.objects.filter(ars=LEMGO_ARS).first()
    if lemgo is None:
        return 0
    citizen_service = Department.objects.filter(municipality=lemgo, code="FB 1").first()
    editor = User.objects.filter(username="lemgo-sb").first()
    services = list(relevant_services_for(municipality=lemgo)[:12])
    plans = [
        (ImplementationStatus.DONE, 3, 3, 4200, Priority.HIGH, "Online-Dienst des krz"),
        (ImplementationStatus.IN_PROGRESS, 1, 3, 1800, Priority.HIGH, "EfA-Leistung (geplant)"),
        (ImplementationStatus.PLANNING, 0, 3, 650, Priority.MEDIUM, ""),
        (ImplementationStatus.IN_PROGRESS, 2, 3, 240, Priority.MEDIUM, "Formular-Server"),
        (ImplementationStatus.PLANNING, 1, 3, 90, Priority.LOW, ""),
        (ImplementationStatus.DROPPED, 0, 0, 3, Priority.LOW, ""),
    ]
    year = datetime.date.today().year - 1
    created = 0
    with transaction.atomic():
        for index, service in enumerate(services):
            if index >= len(plans):
                break
            status, current, target, cases, priority, solution = plans[index]
            _record, was_created = Implementation.objects.get_or_create(
                municipality=lemgo,
                service=service,
                defaults={
                    "department": citizen_service if index % 2 == 0 else None,
                    "contact_person": editor if index % 2 == 0 else None,
                    "status": status,
                    "current_level": current,
                    "target_level": target,
                    "case_count": cases,
                    "case_count_year": year,
                    "priority": priority,
                    "planned_date": datetime.date(year + 2, 6, 30)
                    if status in (ImplementationStatus.PLANNING, ImplementationStatus.IN_PROGRESS)
                    else None,
                    "solution": solution,
                },
            )
            created += int(was_created)
        if created:
            topic_progress_refresh(municipality_ids=[lemgo.pk])
            progress_rebuild()
    return created
