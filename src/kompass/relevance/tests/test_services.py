"""Writes: permissions checked in services, validation all-or-nothing, history, conflicts."""

from datetime import timedelta

import pytest
from django.utils import timezone

from kompass.relevance import services
from kompass.relevance.choices import ChangeKind
from kompass.relevance.models import (
    CrossCheck,
    Deviation,
    RelevanceChange,
    TopicReview,
    TypeDecision,
)
from kompass.relevance.selectors import cross_checks_of, topic_progress
from kompass.relevance.services import CellInput, RelevanceError, RelevancePermissionError

pytestmark = pytest.mark.django_db


def _state():
    return (
        sorted(TypeDecision.objects.values_list("service_id", "municipality_type_id", "value")),
        sorted(Deviation.objects.values_list("municipality_id", "service_id", "value")),
        RelevanceChange.objects.count(),
        TopicReview.objects.count(),
        CrossCheck.objects.count(),
    )


def _cell(rw, service=None, type_=None, value="relevant", reason="Begründung"):
    service = service or rw.elterngeld_services[0]
    return CellInput(service.pk, (type_ or rw.mittlere).pk, value, reason)


def test_sponsor_decides_own_topic_with_history(rw):
    result = services.type_decisions_set(
        topic=rw.family, land=rw.nrw, cells=[_cell(rw)], actor=rw.sponsor, channel="Test"
    )
    assert (result.changed, result.unchanged) == (1, 0)
    decision = TypeDecision.objects.get()
    assert (decision.value, decision.reason, decision.decided_by) == (
        "relevant",
        "Begründung",
        rw.sponsor,
    )
    services.type_decisions_set(
        topic=rw.family,
        land=rw.nrw,
        cells=[_cell(rw, value="not_relevant", reason="Doch nicht")],
        actor=rw.operator,
    )
    first, second = RelevanceChange.objects.order_by("pk")
    assert (first.value_before, first.value_after, first.actor) == ("", "relevant", rw.sponsor)
    assert first.actor_name == "Paul Pate"
    assert (second.value_before, second.value_after) == ("relevant", "not_relevant")
    assert (second.reason_before, second.reason_after) == ("Begründung", "Doch nicht")
    assert second.kind == ChangeKind.TYPE_DECISION


def test_unchanged_cells_write_nothing(rw):
    # Typ 4 proposes "offen": submitting "offen" for an undecided cell changes nothing.
    result = services.type_decisions_set(
        topic=rw.family,
        land=rw.nrw,
        cells=[_cell(rw, value="undecided", reason=None)],
        actor=rw.sponsor,
    )
    assert (result.changed, result.unchanged) == (0, 1)
    assert not TypeDecision.objects.exists()


@pytest.mark.parametrize("topic_name", ["environment"])
def test_foreign_topic_is_refused_and_nothing_changes(rw, topic_name):
    before = _state()
    with pytest.raises(RelevancePermissionError) as error:
        services.type_decisions_set(
            topic=rw.environment,
            land=rw.nrw,
            cells=[_cell(rw, service=rw.environment_service)],
            actor=rw.sponsor,
        )
    assert "nicht Themenpate für das Themenfeld „Umwelt“" in error.value.messages[0]
    with pytest.raises(RelevancePermissionError):
        services.type_decisions_bulk_set(
            topic=rw.environment,
            land=rw.nrw,
            value="relevant",
            reason="",
            actor=rw.sponsor,
            type_ids=[rw.mittlere.pk],
        )
    with pytest.raises(RelevancePermissionError):
        services.topic_review_set(
            topic=rw.environment, land=rw.nrw, reviewed=True, actor=rw.sponsor
        )
    assert _state() == before


def test_a_service_of_a_foreign_topic_cannot_be_smuggled_into_an_own_one(rw):
    before = _state()
    with pytest.raises(RelevanceError) as error:
        services.type_decisions_set(
            topic=rw.family,
            land=rw.nrw,
            cells=[_cell(rw), _cell(rw, service=rw.environment_service)],
            actor=rw.sponsor,
        )
    assert "gehört nicht zum Themenfeld „Familie & Kind“" in error.value.messages[0]
    assert _state() == before


def test_another_lands_types_are_refused(rw):
    before = _state()
    with pytest.raises(RelevancePermissionError) as error:
        services.type_decisions_set(
            topic=rw.family,
            land=rw.hessen,
            cells=[_cell(rw, type_=rw.hessen_type)],
            actor=rw.sponsor,
        )
    assert "Landes Hessen" in error.value.messages[0]
    with pytest.raises(RelevanceError) as error:
        services.type_decisions_set(
            topic=rw.family,
            land=rw.nrw,
            cells=[_cell(rw), _cell(rw, type_=rw.hessen_type)],
            actor=rw.sponsor,
        )
    assert "Kommunaltyp gehört nicht zum Land Nordrhein-Westfalen" in error.value.messages[0]
    assert _state() == before


@pytest.mark.parametrize("role", ["lemgo_admin", "lemgo_editor", "reader", "herford_admin"])
def test_kommune_roles_cannot_decide_for_types(rw, role):
    before = _state()
    with pytest.raises(RelevancePermissionError):
        services.type_decisions_set(
            topic=rw.family, land=rw.nrw, cells=[_cell(rw)], actor=getattr(rw, role)
        )
    assert _state() == before


def test_invalid_cells_are_all_reported_and_nothing_is_written(rw):
    before = _state()
    with pytest.raises(RelevanceError) as error:
        services.type_decisions_set(
            topic=rw.family,
            land=rw.nrw,
            cells=[
                _cell(rw),
                _cell(rw, service=rw.kita_services[0], value="vielleicht"),
                _cell(
                    rw, service=rw.kita_services[1], type_=rw.types["kreis"], value="by_district"
                ),
                _cell(rw, service=rw.municipal_service, reason="x" * 2001),
            ],
            actor=rw.sponsor,
        )
    messages = error.value.messages
    assert len(messages) == 3
    assert "Unbekannter Relevanzwert" in messages[0]
    assert "„durch den Kreis“ ist für den Kommunaltyp „Kreis“ nicht möglich" in messages[1]
    assert "länger als 2000 Zeichen" in messages[2]
    assert _state() == before


def test_bulk_fills_open_cells_unless_told_to_overwrite(rw):
    services.type_decisions_set(
        topic=rw.family, land=rw.nrw, cells=[_cell(rw, value="not_relevant")], actor=rw.sponsor
    )
    ids = [s.pk for s in rw.elterngeld.services.all()]
    result = services.type_decisions_bulk_set(
        topic=rw.family,
        land=rw.nrw,
        value="relevant",
        reason="Sammel",
        actor=rw.sponsor,
        type_ids=[rw.mittlere.pk],
        service_ids=ids,
    )
    assert result.changed == 3  # 4 Leistungen, one already decided
    assert TypeDecision.objects.get(service=rw.elterngeld_services[0]).value == "not_relevant"
    result = services.type_decisions_bulk_set(
        topic=rw.family,
        land=rw.nrw,
        value="relevant",
        reason="Sammel",
        actor=rw.sponsor,
        type_ids=[rw.mittlere.pk],
        service_ids=ids,
        overwrite=True,
    )
    assert result.changed == 1
    assert TypeDecision.objects.get(service=rw.elterngeld_services[0]).value == "relevant"


def test_a_whole_column_of_the_topic(rw):
    result = services.type_decisions_bulk_set(
        topic=rw.family,
        land=rw.nrw,
        value="not_relevant",
        reason="",
        actor=rw.sponsor,
        type_ids=[rw.types["staedteregion"].pk],
    )
    # 7 Leistungen in Familie & Kind; the Typ-1 one already proposes "nicht relevant".
    assert result.changed == 7
    assert TypeDecision.objects.filter(service__topic=rw.family).count() == 7
    progress = {p.topic.code: p for p in topic_progress(land=rw.nrw)}
    assert progress["familie_kind"].decided_count == 7
    assert progress["familie_kind"].cell_count == 7 * 7
    assert progress["umwelt"].decided_count == 0


def test_a_cell_changed_by_someone_else_since_loading_is_not_overwritten(rw):
    loaded_at = timezone.now() - timedelta(minutes=5)
    services.type_decisions_set(
        topic=rw.family, land=rw.nrw, cells=[_cell(rw, value="not_relevant")], actor=rw.operator
    )
    result = services.type_decisions_set(
        topic=rw.family,
        land=rw.nrw,
        cells=[_cell(rw, value="relevant", reason=None)],
        actor=rw.sponsor,
        loaded_at=loaded_at,
    )
    assert result.changed == 0
    assert "inzwischen von betrieb geändert" in result.conflicts[0]
    assert TypeDecision.objects.get().value == "not_relevant"


def test_deviation_needs_a_reason_and_an_admin(rw):
    service = rw.kita_services[0]
    before = _state()
    with pytest.raises(RelevanceError, match="Bitte begründen Sie die Abweichung"):
        services.deviation_set(
            municipality=rw.lemgo,
            service=service,
            value="relevant",
            reason="  ",
            actor=rw.lemgo_admin,
        )
    for role in ("lemgo_editor", "reader", "sponsor", "herford_admin"):
        with pytest.raises(RelevancePermissionError, match="Nur die Administration der Kommune"):
            services.deviation_set(
                municipality=rw.lemgo,
                service=service,
                value="relevant",
                reason="x",
                actor=getattr(rw, role),
            )
    with pytest.raises(RelevanceError, match="eine Abweichung ist nicht nötig"):
        services.deviation_set(
            municipality=rw.lemgo,
            service=rw.municipal_service,
            value="relevant",
            reason="x",
            actor=rw.lemgo_admin,
        )
    assert _state() == before


def test_deviation_change_and_removal_are_in_the_history(rw):
    service = rw.kita_services[0]
    services.deviation_set(
        municipality=rw.lemgo,
        service=service,
        value="relevant",
        reason="Jugendamt",
        actor=rw.lemgo_admin,
    )
    services.deviation_set(
        municipality=rw.lemgo,
        service=service,
        value="not_relevant",
        reason="Doch Kreis",
        actor=rw.lemgo_admin,
    )
    assert services.deviation_remove(municipality=rw.lemgo, service=service, actor=rw.lemgo_admin)
    assert not services.deviation_remove(
        municipality=rw.lemgo, service=service, actor=rw.lemgo_admin
    )
    kinds = list(
        RelevanceChange.objects.filter(municipality=rw.lemgo)
        .order_by("pk")
        .values_list("kind", "value_before", "value_after")
    )
    assert kinds == [
        ("deviation", "", "relevant"),
        ("deviation", "relevant", "not_relevant"),
        ("deviation_removed", "not_relevant", ""),
    ]


def test_cross_check_is_outdated_after_a_later_type_decision(rw):
    check = services.cross_check_confirm(
        municipality=rw.lemgo, topic=rw.family, actor=rw.lemgo_admin
    )
    assert cross_checks_of(rw.lemgo)[rw.family.pk].outdated is False
    CrossCheck.objects.filter(pk=check.pk).update(confirmed_at=timezone.now() - timedelta(hours=1))
    services.type_decisions_set(topic=rw.family, land=rw.nrw, cells=[_cell(rw)], actor=rw.sponsor)
    assert cross_checks_of(rw.lemgo)[rw.family.pk].outdated is True
    with pytest.raises(RelevancePermissionError):
        services.cross_check_confirm(municipality=rw.lemgo, topic=rw.family, actor=rw.lemgo_editor)


def test_review_mark_and_unmark(rw):
    services.topic_review_set(topic=rw.family, land=rw.nrw, reviewed=True, actor=rw.sponsor)
    assert TopicReview.objects.get().reviewed_by == rw.sponsor
    services.topic_review_set(topic=rw.family, land=rw.nrw, reviewed=False, actor=rw.sponsor)
    assert not TopicReview.objects.exists()
    assert list(RelevanceChange.objects.order_by("pk").values_list("kind", flat=True)) == [
        "review",
        "review_removed",
    ]


def test_demo_seed_is_idempotent_and_plausible(rw):
    changed = services.demo_relevance_seed()
    assert changed > 0
    assert services.demo_relevance_seed() == 0
    decisions = TypeDecision.objects.filter(service__in=rw.elterngeld_services)
    assert decisions.exists()
    assert all(d.reason and d.decided_by == rw.sponsor for d in TypeDecision.objects.all())
    # LeiKa-Typ 1 (Bund/Bund) is never touched.
    assert not TypeDecision.objects.filter(service=rw.federal_service).exists()
    # Große and Mittlere kreisangehörige Städte are left open for the Gegenprüfung.
    assert not TypeDecision.objects.filter(municipality_type=rw.mittlere).exists()
    by_district = TypeDecision.objects.filter(value="by_district")
    assert set(by_district.values_list("municipality_type__level", flat=True)) == {"municipality"}


def test_demo_seed_without_demo_data_does_nothing(db):
    assert services.demo_relevance_seed() == 0
