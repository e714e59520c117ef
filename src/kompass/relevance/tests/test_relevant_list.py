"""Each Kommune's list: type decisions plus own deviations, computed by query (never copied)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kompass.relevance import services
from kompass.relevance.choices import RelevanceSource, RelevanceValue
from kompass.relevance.selectors import (
    relevance_counts_for,
    relevance_list_for,
    relevant_services_for,
)

pytestmark = pytest.mark.django_db


def _values(municipality, **filters):
    return {
        s.name: (s.relevance_value, s.relevance_source)
        for s in relevance_list_for(municipality=municipality, **filters)
    }


def test_without_decisions_the_leika_type_proposes(rw):
    values = _values(rw.lemgo)
    assert values["Kindergeld beantragen"] == ("not_relevant", "default")  # Typ 1
    assert values["Kita-Gebühren ermäßigen"] == ("relevant", "default")  # Typ 5
    assert values["Elterngeld beantragen"] == ("undecided", "default")  # Typ 4
    assert values["Kita-Platz beantragen"] == ("undecided", "default")  # Typ 2/3
    assert [s.name for s in relevant_services_for(municipality=rw.lemgo)] == [
        "Kita-Gebühren ermäßigen"
    ]


def test_mixed_leika_types_are_left_undecided(rw):
    rw.federal_service.leika_type_codes = "1, 2/3"
    rw.federal_service.save(update_fields=["leika_type_codes"])
    assert _values(rw.lemgo)["Kindergeld beantragen"] == ("undecided", "default")


def test_a_whole_ozg_service_decided_for_a_type_reaches_every_kommune_of_it(rw):
    services.type_decisions_bulk_set(
        topic=rw.family,
        land=rw.nrw,
        value=RelevanceValue.RELEVANT,
        reason="Eigene Elterngeldstelle",
        actor=rw.sponsor,
        type_ids=[rw.mittlere.pk],
        service_ids=[s.pk for s in rw.elterngeld.services.all()],
        overwrite=True,
    )
    elterngeld = {s.name for s in rw.elterngeld_services} | {"Kindergeld beantragen"}
    for municipality in (rw.lemgo, rw.salzuflen):
        relevant = {s.name for s in relevant_services_for(municipality=municipality)}
        assert elterngeld <= relevant
        row = relevance_list_for(municipality=municipality).get(pk=rw.elterngeld_services[0].pk)
        assert row.relevance_source == RelevanceSource.TYPE
        assert row.relevance_reason == "Eigene Elterngeldstelle"
    # Other types are untouched.
    assert not elterngeld & {s.name for s in relevant_services_for(municipality=rw.herford)}


def test_a_deviation_overrides_the_type_decision_for_that_kommune_only(rw):
    service = rw.kita_services[0]
    services.type_decisions_set(
        topic=rw.family,
        land=rw.nrw,
        cells=[services.CellInput(service.pk, rw.mittlere.pk, "not_relevant", "Kreisjugendamt")],
        actor=rw.sponsor,
    )
    services.deviation_set(
        municipality=rw.lemgo,
        service=service,
        value="relevant",
        reason="Lemgo hat ein eigenes Jugendamt",
        actor=rw.lemgo_admin,
    )
    lemgo = relevance_list_for(municipality=rw.lemgo).get(pk=service.pk)
    assert (lemgo.relevance_value, lemgo.relevance_source) == ("relevant", "deviation")
    assert lemgo.relevance_reason == "Lemgo hat ein eigenes Jugendamt"
    assert lemgo.type_value == "not_relevant"
    assert service in relevant_services_for(municipality=rw.lemgo)
    assert service not in relevant_services_for(municipality=rw.salzuflen)


def test_durch_den_kreis_is_relevant_for_the_kreis_not_for_its_gemeinden(rw):
    service = rw.kita_services[1]
    kalletal_type = rw.types["kreisangehoerige-gemeinde"]
    services.type_decisions_set(
        topic=rw.family,
        land=rw.nrw,
        cells=[
            services.CellInput(service.pk, kalletal_type.pk, "by_district", "Kreisjugendamt"),
            services.CellInput(service.pk, rw.types["kreis"].pk, "not_relevant", ""),
        ],
        actor=rw.sponsor,
    )
    kalletal = relevance_list_for(municipality=rw.kalletal).get(pk=service.pk)
    assert kalletal.relevance_value == RelevanceValue.BY_DISTRICT
    assert service not in relevant_services_for(municipality=rw.kalletal)
    lippe = relevance_list_for(municipality=rw.lippe).get(pk=service.pk)
    assert (lippe.relevance_value, lippe.relevance_source) == ("relevant", "for_members")
    assert service in relevant_services_for(municipality=rw.lippe)
    # Kreis Herford has no kreisangehörige Gemeinde of that type: the Kreis decision applies.
    herford_kreis = rw.herford.district
    assert service not in relevant_services_for(municipality=herford_kreis)
    assert relevance_counts_for(municipality=rw.kalletal)["by_district"] == 1


def test_the_list_is_one_query_whatever_its_size(rw, django_assert_num_queries):
    with django_assert_num_queries(1):
        assert len(list(relevance_list_for(municipality=rw.lippe))) == 9
    with CaptureQueriesContext(connection) as queries:
        list(relevant_services_for(municipality=rw.lemgo))
    assert len(queries) == 1


def test_a_kommune_without_type_gets_proposals_and_its_deviations(rw):
    rw.lemgo.municipality_type = None
    rw.lemgo.save(update_fields=["municipality_type"])
    values = _values(rw.lemgo)
    assert values["Kita-Gebühren ermäßigen"] == ("relevant", "default")


def test_the_relevant_list_applies_the_same_precedence_as_the_annotated_list(rw):
    """relevant_services_for is a plain filter written apart from relevance_list_for's CASE chain:
    both must agree for every Kommune, whatever mix of decisions and deviations there is."""
    import random

    from kompass.catalogue.models import Service
    from kompass.relevance.choices import DeviationValue
    from kompass.relevance.models import Deviation, TypeDecision

    rnd = random.Random(7)
    catalogue = list(Service.objects.current())
    kommunen = [rw.lippe, rw.lemgo, rw.salzuflen, rw.kalletal, rw.herford, rw.bielefeld]
    types = {m.municipality_type for m in kommunen}
    for service in catalogue:
        for municipality_type in types:
            value = rnd.choice([*RelevanceValue.values, None])
            if value is not None:
                TypeDecision.objects.create(
                    service=service, municipality_type=municipality_type, value=value
                )
        for municipality in rnd.sample(kommunen, 2):
            Deviation.objects.create(
                municipality=municipality,
                service=service,
                value=rnd.choice(DeviationValue.values),
                reason="eigene Zuständigkeit",
            )
    for municipality in kommunen:
        expected = {
            s.pk
            for s in relevance_list_for(municipality=municipality)
            if s.relevance_value == RelevanceValue.RELEVANT
        }
        assert {s.pk for s in relevant_services_for(municipality=municipality)} == expected
