"""Writes of the marketplace: proposing, reviewing, coverage, usage, history and the rules of
who may do what; plus the demo seed and the benchmark sample."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from kompass.implementation.models import Implementation
from kompass.implementation.selectors import suggested_priority, workspace_services
from kompass.solutions import selectors, services
from kompass.solutions.choices import ChangeAction, ReviewState, SolutionKind, UsageState
from kompass.solutions.models import Solution, SolutionChange, SolutionService, SolutionUsage
from kompass.solutions.services import SolutionConflict
from kompass.solutions.tests.conftest import make_solution

VALUES = {
    "name": "Sperrmüll online",
    "provider_name": "Digitallabor OWL",
    "provider_contact": "labor@example.org",
    "kind": SolutionKind.DIGITAL_LAB,
    "description": "Termin für Sperrmüll online buchen",
    "licence": "MIT",
    "cost_model": "kostenfrei",
    "links": ["https://example.org/sperrmuell"],
    "status": "planned",
    "last_reviewed_on": None,
    "integration": "none",
    "media_break_free": False,
}


def test_proposal_is_visible_to_its_kommune_and_operators_only(ws):
    w = ws.w
    proposal = services.solution_propose(municipality=w.lemgo, values=VALUES, actor=w.lemgo_editor)
    assert proposal.review_state == ReviewState.PROPOSAL
    assert proposal.proposed_for == w.lemgo
    for user in (w.lemgo_editor, w.lemgo_admin, w.lemgo_colleague, w.operator):
        assert selectors.solutions_visible_to(user).filter(pk=proposal.pk).exists(), user
    for user in (w.herford_admin, w.bielefeld_admin, w.sponsor, w.reader):
        assert not selectors.solutions_visible_to(user).filter(pk=proposal.pk).exists(), user
    change = SolutionChange.objects.get(solution=proposal)
    assert change.action == ChangeAction.PROPOSED
    assert change.changes["name"] == ["–", "Sperrmüll online"]


def test_readers_and_other_kommunen_cannot_propose(ws):
    w = ws.w
    for actor in (w.reader, w.herford_admin, w.sponsor):
        with pytest.raises(PermissionDenied):
            services.solution_propose(municipality=w.lemgo, values=VALUES, actor=actor)
    assert not Solution.objects.exists()


def test_missing_fields_are_refused_and_nothing_written(ws):
    with pytest.raises(ValidationError) as error:
        services.solution_propose(
            municipality=ws.w.lemgo,
            values={**VALUES, "name": " ", "description": ""},
            actor=ws.w.lemgo_editor,
        )
    assert set(error.value.message_dict) == {"name", "description"}
    assert not Solution.objects.exists()


def test_operator_accepts_with_edits_and_history_shows_before_and_after(ws):
    w = ws.w
    proposal = services.solution_propose(municipality=w.lemgo, values=VALUES, actor=w.lemgo_editor)
    with pytest.raises(PermissionDenied):
        services.solution_accept(
            solution=proposal, values=VALUES, expected_version=0, actor=w.lemgo_admin
        )
    accepted = services.solution_accept(
        solution=proposal,
        values={**VALUES, "name": "Sperrmüll-Termin online"},
        expected_version=0,
        actor=w.operator,
    )
    assert accepted.review_state == ReviewState.PUBLISHED
    assert accepted.reviewed_by == w.operator
    assert selectors.solutions_visible_to(w.herford_admin).filter(pk=proposal.pk).exists()
    change = SolutionChange.objects.filter(action=ChangeAction.ACCEPTED).get()
    assert change.changes["name"] == ["Sperrmüll online", "Sperrmüll-Termin online"]
    assert change.changes["review_state"] == ["Vorschlag", "veröffentlicht"]


def test_a_stale_review_is_refused_and_changes_nothing(ws):
    w = ws.w
    proposal = services.solution_propose(municipality=w.lemgo, values=VALUES, actor=w.lemgo_editor)
    services.solution_update(
        solution=proposal,
        values={**VALUES, "licence": "EUPL-1.2"},
        expected_version=0,
        actor=w.lemgo_admin,
    )
    with pytest.raises(SolutionConflict) as conflict:
        services.solution_accept(
            solution=proposal, values=VALUES, expected_version=0, actor=w.operator
        )
    assert conflict.value.current.licence == "EUPL-1.2"
    proposal.refresh_from_db()
    assert (proposal.review_state, proposal.licence) == (ReviewState.PROPOSAL, "EUPL-1.2")


def test_rejection_needs_a_reason_and_a_changed_proposal_returns_to_review(ws):
    w = ws.w
    proposal = services.solution_propose(municipality=w.lemgo, values=VALUES, actor=w.lemgo_editor)
    with pytest.raises(ValidationError):
        services.solution_reject(
            solution=proposal, reason="  ", expected_version=0, actor=w.operator
        )
    proposal.refresh_from_db()
    assert proposal.review_state == ReviewState.PROPOSAL
    rejected = services.solution_reject(
        solution=proposal,
        reason="Gibt es schon als EfA-Dienst.",
        expected_version=0,
        actor=w.operator,
    )
    assert rejected.review_state == ReviewState.REJECTED
    # Still visible to the Kommune (with the reason), not to others.
    assert selectors.solutions_visible_to(w.lemgo_editor).filter(pk=proposal.pk).exists()
    assert not selectors.solutions_visible_to(w.herford_admin).filter(pk=proposal.pk).exists()
    again = services.solution_update(
        solution=rejected,
        values={**VALUES, "description": "Anders als der EfA-Dienst"},
        expected_version=rejected.version,
        actor=w.lemgo_editor,
    )
    assert again.review_state == ReviewState.PROPOSAL


def test_published_entries_are_changed_by_operators_only(ws):
    w = ws.w
    solution = make_solution()
    with pytest.raises(PermissionDenied):
        services.solution_update(
            solution=solution, values={"name": "X"}, expected_version=None, actor=w.lemgo_admin
        )
    services.solution_update(
        solution=solution,
        values={"name": "Formularserver 2"},
        expected_version=0,
        actor=w.operator,
    )
    solution.refresh_from_db()
    assert solution.name == "Formularserver 2"
    assert "formularserver 2" in solution.search_text


def test_coverage_set_checks_the_scale_and_writes_history(ws, levels):
    w = ws.w
    solution = make_solution()
    with pytest.raises(ValidationError):
        services.solution_coverage_set(
            solution=solution, services=ws.services[:2], level=9, actor=w.operator
        )
    assert not SolutionService.objects.exists()
    count = services.solution_coverage_set(
        solution=solution, services=ws.services[:2], level=3, actor=w.operator
    )
    assert count == 2
    assert (
        services.solution_coverage_set(
            solution=solution, services=ws.services[:2], level=3, actor=w.operator
        )
        == 0
    )
    assert (
        services.solution_coverage_set(
            solution=solution, services=ws.services[:1], level=4, actor=w.operator
        )
        == 1
    )
    assert SolutionService.objects.get(service=ws.services[0]).level == 4
    assert services.solution_coverage_remove(
        solution=solution, service=ws.services[1], actor=w.operator
    )
    assert SolutionChange.objects.filter(action=ChangeAction.COVERAGE).count() == 3


def test_pasted_keys_are_reported_one_by_one(ws):
    good = ws.services[0].leika_key
    found, errors = selectors.services_for_keys([good, "99999999999999", "abc", "123"])
    assert found == [ws.services[0]]
    assert errors == [
        "Den LeiKa-Schlüssel 99999999999999 gibt es im Katalog nicht.",
        "„abc“ ist kein LeiKa-Schlüssel (14 Ziffern, z. B. 99102013002000).",
        "„123“ ist kein LeiKa-Schlüssel (14 Ziffern, z. B. 99102013002000).",
    ]


def test_usage_rules(ws):
    w = ws.w
    service = ws.services[0]
    published = make_solution(covers=[service])
    proposal = make_solution(
        name="Entwurf", review_state=ReviewState.PROPOSAL, proposed_for=w.lemgo
    )
    with pytest.raises(ValidationError):
        services.solution_usage_record(
            municipality=w.lemgo,
            service=service,
            solution=proposal,
            state=UsageState.USES,
            contact_person=None,
            actor=w.lemgo_editor,
        )
    with pytest.raises(ValidationError):  # a contact of another Kommune
        services.solution_usage_record(
            municipality=w.lemgo,
            service=service,
            solution=published,
            state=UsageState.USES,
            contact_person=w.herford_admin,
            actor=w.lemgo_editor,
        )
    with pytest.raises(PermissionDenied):
        services.solution_usage_record(
            municipality=w.lemgo,
            service=service,
            solution=published,
            state=UsageState.USES,
            contact_person=None,
            actor=w.reader,
        )
    # Another department's Leistung is not the Bearbeiter's.
    Implementation.objects.create(
        municipality=w.lemgo, service=ws.services[1], department=w.lemgo_other_department
    )
    with pytest.raises(PermissionDenied):
        services.solution_usage_record(
            municipality=w.lemgo,
            service=ws.services[1],
            solution=published,
            state=UsageState.USES,
            contact_person=None,
            actor=w.lemgo_editor,
        )
    assert not SolutionUsage.objects.exists()
    record = Implementation.objects.create(municipality=w.lemgo, service=service, solution="krz")
    usage = services.solution_usage_record(
        municipality=w.lemgo,
        service=service,
        solution=published,
        state=UsageState.PLANS,
        contact_person=w.lemgo_editor,
        actor=w.lemgo_editor,
    )
    assert usage.implementation == record
    record.refresh_from_db()
    assert record.solution == "krz"  # the free text stays
    services.solution_usage_record(
        municipality=w.lemgo,
        service=service,
        solution=published,
        state=UsageState.USES,
        contact_person=w.lemgo_editor,
        actor=w.lemgo_editor,
    )
    assert SolutionUsage.objects.get().state == UsageState.USES
    history = SolutionChange.objects.filter(action=ChangeAction.USAGE)
    assert history.count() == 2
    assert "geplant" in history.last().changes["usage"][1]


@pytest.mark.parametrize("case_count", [None, 50, 100, 999, 1000, 5000])
@pytest.mark.parametrize(("current", "target"), [(None, 3), (0, 1), (1, 3), (2, 4), (0, 4)])
def test_sql_suggested_priority_matches_the_workspace(ws, levels, case_count, current, target):
    w = ws.w
    service = ws.services[0]
    Implementation.objects.create(
        municipality=w.lemgo,
        service=service,
        case_count=case_count,
        case_count_year=2024 if case_count is not None else None,
        current_level=current,
        target_level=target,
    )
    gap = selectors.gaps_of(municipality=w.lemgo, default_target=3).get(pk=service.pk)
    expected, _reason = suggested_priority(
        case_count=case_count, current_level=current, target_level=target
    )
    assert selectors._RANK_TO_PRIORITY[gap.priority_rank] == expected


def test_gaps_use_the_record_target_else_the_ozg_default(ws, levels):
    w = ws.w
    done, above, dropped, untouched = ws.services
    Implementation.objects.create(municipality=w.lemgo, service=done, current_level=3)
    Implementation.objects.create(
        municipality=w.lemgo, service=above, current_level=3, target_level=4
    )
    Implementation.objects.create(municipality=w.lemgo, service=dropped, status="dropped")
    gaps = list(selectors.gaps_of(municipality=w.lemgo, default_target=3))
    # Untouched: three levels below the default target (suggested "mittel") before the record
    # one level below its own target (suggested "niedrig").
    assert [g.pk for g in gaps] == [untouched.pk, above.pk]
    by_pk = {g.pk: g for g in gaps}
    assert (by_pk[untouched.pk].gap_current, by_pk[untouched.pk].gap_target) == (0, 3)
    assert workspace_services(municipality=w.lemgo).count() == 4


def test_demo_seed_is_idempotent(ws, levels):
    from kompass.catalogue.tests.factories import OzgServiceFactory, ServiceFactory

    ozg = OzgServiceFactory(ozg_id="10110", life_situation__topic=ws.w.topic)
    ServiceFactory(name="Sperrmüll Entsorgung", leika_type_codes="5", ozg_service=ozg)
    created = services.demo_solutions_seed()
    assert created == 6
    assert services.demo_solutions_seed() == 0
    assert Solution.objects.filter(review_state=ReviewState.PROPOSAL).count() == 1
    portal = Solution.objects.get(name="Serviceportal krz: Online-Dienste")
    assert portal.coverage.count() == 1
    assert SolutionUsage.objects.filter(solution=portal, municipality=ws.w.lemgo).count() == 1


def test_sample_create_makes_published_solutions_with_coverage(ws, levels):
    created = services.solutions_sample_create(
        count=20,
        seed=7,
        services_per_solution=(1, 3),
        municipalities=[ws.w.lemgo],
        usages_per_solution=1,
    )
    assert created == 20
    assert Solution.objects.filter(review_state=ReviewState.PUBLISHED).count() == 20
    assert SolutionService.objects.count() >= 20
    assert SolutionUsage.objects.count() >= 1
    assert not SolutionService.objects.filter(level=0).exists()


def test_common_gaps_count_deviations_and_finished_records(ws, levels):
    from kompass.municipalities.models import Municipality
    from kompass.relevance.models import Deviation

    w = ws.w
    members = Municipality.objects.filter(pk__in=[w.lemgo.pk, w.herford.pk])
    first, second, third, _fourth = ws.services
    # Herford does not execute the third Leistung; Lemgo executes the federal one after all.
    Deviation.objects.create(
        municipality=w.herford, service=third, value="not_relevant", reason="x"
    )
    Deviation.objects.create(municipality=w.lemgo, service=ws.federal, value="relevant", reason="y")
    # Lemgo finished the first Leistung and the federal one; Herford dropped the second.
    Implementation.objects.create(municipality=w.lemgo, service=first, current_level=4)
    Implementation.objects.create(municipality=w.lemgo, service=ws.federal, current_level=3)
    Implementation.objects.create(municipality=w.herford, service=second, status="dropped")
    make_solution(covers=[second])
    rows = {row.service_id: row for row in selectors.common_gaps(members=members, default_target=3)}
    assert rows[first.pk].gap_count == 1
    assert rows[second.pk].gap_count == 1
    assert rows[second.pk].has_offers
    assert rows[third.pk].gap_count == 1
    assert ws.federal.pk not in rows
    assert [r.service_id for r in selectors.common_gaps(members=members, default_target=3)][
        -1
    ] == second.pk  # equally common: uncovered first
    uncovered = selectors.common_gaps(members=members, default_target=3, offers="uncovered")
    assert second.pk not in {r.service_id for r in uncovered}
