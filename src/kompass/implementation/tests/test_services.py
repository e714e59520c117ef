"""The services: lazy records, optimistic locking, edit scope, history, bulk edit, demo seed."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from kompass.implementation import services
from kompass.implementation.choices import ImplementationStatus, Priority
from kompass.implementation.models import Implementation, ImplementationChange
from kompass.implementation.selectors import (
    RowTexts,
    edit_scope_for,
    suggested_priority,
    suggested_priority_value,
)
from kompass.implementation.services import ImplementationConflict

pytestmark = pytest.mark.django_db


def _update(ws, user, service, values, version=0):
    w = ws.w
    return services.implementation_update(
        municipality=w.lemgo,
        service=service,
        values=values,
        expected_version=version,
        scope=edit_scope_for(user, w.lemgo),
        actor=user,
    )


def test_first_change_creates_the_record_and_writes_history(ws):
    w = ws.w
    service = ws.services[0]
    assert not Implementation.objects.exists()
    record = _update(
        ws, w.lemgo_editor, service, {"status": "planning", "department": w.lemgo_department}
    )
    assert (record.status, record.department, record.version) == (
        "planning",
        w.lemgo_department,
        1,
    )
    change = ImplementationChange.objects.get()
    assert change.changed_by == w.lemgo_editor
    assert change.changes == {
        "status": ["offen", "in Planung"],
        "department": ["–", "FB 1 Bürgerservice"],
    }


def test_unchanged_values_write_no_history_and_keep_the_version(ws):
    w = ws.w
    record = _update(ws, w.lemgo_admin, ws.services[0], {"status": "planning"})
    again = _update(ws, w.lemgo_admin, ws.services[0], {"status": "planning"}, version=1)
    assert again.version == record.version == 1
    assert ImplementationChange.objects.count() == 1


def test_stale_version_is_refused_and_changes_nothing(ws):
    w = ws.w
    _update(ws, w.lemgo_admin, ws.services[0], {"status": "planning"})
    with pytest.raises(ImplementationConflict) as error:
        _update(ws, w.lemgo_editor, ws.services[0], {"status": "done"}, version=0)
    assert error.value.current.status == "planning"
    record = Implementation.objects.get()
    assert (record.status, record.version) == ("planning", 1)
    assert ImplementationChange.objects.count() == 1


def test_editor_takes_an_unassigned_leistung_but_not_another_departments(ws):
    w = ws.w
    record = _update(ws, w.lemgo_editor, ws.services[0], {"department": w.lemgo_department})
    assert record.department == w.lemgo_department
    _update(ws, w.lemgo_admin, ws.services[1], {"department": w.lemgo_other_department})
    with pytest.raises(PermissionDenied):
        _update(ws, w.lemgo_editor, ws.services[1], {"status": "done"}, version=1)
    with pytest.raises(ValidationError) as error:
        _update(ws, w.lemgo_editor, ws.services[2], {"department": w.lemgo_other_department})
    assert "eigenen Fachbereich" in str(error.value)
    assert Implementation.objects.get(service=ws.services[1]).status == "open"


def test_department_of_another_kommune_is_refused(ws):
    w = ws.w
    with pytest.raises(ValidationError) as error:
        _update(ws, w.lemgo_admin, ws.services[0], {"department": w.herford_department})
    assert "gehört nicht zu dieser Kommune" in str(error.value)
    assert not ImplementationChange.objects.exists()


def test_readers_have_no_scope(ws):
    w = ws.w
    with pytest.raises(PermissionDenied):
        _update(ws, w.reader, ws.services[0], {"status": "done"})
    assert not edit_scope_for(w.sponsor, w.lemgo).can_edit_any
    assert edit_scope_for(w.operator, w.lemgo).all_records


def test_bulk_update_is_all_or_nothing(ws):
    w = ws.w
    _update(ws, w.lemgo_admin, ws.services[1], {"status": "planning"})
    scope = edit_scope_for(w.lemgo_admin, w.lemgo)
    with pytest.raises(ImplementationConflict):
        services.implementation_bulk_update(
            municipality=w.lemgo,
            selections=[(ws.services[0], 0), (ws.services[1], 0)],
            values={"priority": Priority.HIGH},
            scope=scope,
            actor=w.lemgo_admin,
        )
    assert not Implementation.objects.filter(priority=Priority.HIGH).exists()
    changed = services.implementation_bulk_update(
        municipality=w.lemgo,
        selections=[(ws.services[0], 0), (ws.services[1], 1)],
        values={"priority": Priority.HIGH, "target_level": 3},
        scope=scope,
        actor=w.lemgo_admin,
    )
    assert changed == 2
    assert Implementation.objects.filter(priority=Priority.HIGH, target_level=3).count() == 2


@pytest.mark.parametrize(
    ("cases", "current", "target", "expected"),
    [
        (5000, 0, 3, "high"),
        (5000, 2, 3, "medium"),
        (150, 1, 3, "medium"),
        (10, 2, 3, "low"),
        (None, 0, 3, "medium"),
        (5000, 3, 3, "low"),
        (5000, None, None, "medium"),
    ],
)
def test_suggested_priority(cases, current, target, expected):
    value, reason = suggested_priority(case_count=cases, current_level=current, target_level=target)
    assert value == expected
    assert reason


def test_suggested_priority_value_agrees_with_the_explained_one():
    """The dashboard counts with the value alone; it must never differ from what rows explain.
    A page's rows share their translated texts (RowTexts): the same value and reason."""
    texts = RowTexts()
    for cases in (None, 0, 99, 100, 999, 1000, 50000):
        for current in (None, 0, 1, 2, 3, 4, 5):
            for target in (None, 0, 1, 2, 3, 4, 5):
                kwargs = {"case_count": cases, "current_level": current, "target_level": target}
                explained = suggested_priority(**kwargs)
                assert suggested_priority_value(**kwargs) == explained[0]
                assert suggested_priority(**kwargs, texts=texts) == explained


def test_suggested_priority_explains_itself():
    assert suggested_priority(case_count=1200, current_level=0, target_level=3) == (
        "high",
        "1.200 Fälle im Jahr, 3 Stufen unter dem Ziel",
    )


def test_demo_seed_is_idempotent(ws):
    from kompass.accounts.services import LEMGO_ARS

    w = ws.w
    assert w.lemgo.ars == LEMGO_ARS
    created = services.demo_implementation_seed()
    assert created == 4  # four relevant Leistungen in this small world
    assert Implementation.objects.filter(department=w.lemgo_department).exists()
    assert services.demo_implementation_seed() == 0
    assert Implementation.objects.filter(status=ImplementationStatus.DONE).count() == 1
