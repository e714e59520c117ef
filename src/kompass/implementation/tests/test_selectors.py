"""The workspace's QuerySet definitions, which are built once per process and Kommune: they must
equal the ones built from the whole Kommune and never serve stale data."""

import pytest

from kompass.catalogue.models import Service
from kompass.implementation import selectors
from kompass.implementation.models import Implementation
from kompass.relevance import services as relevance_services
from kompass.relevance.choices import RelevanceValue
from kompass.relevance.selectors import relevant_services_for
from kompass.relevance.tests.conftest import rw  # noqa: F401 - fixture

pytestmark = pytest.mark.django_db


def _kommunen(rw):  # noqa: F811 - the imported fixture
    """A Kreis, kreisangehörige Gemeinden of two types, a kreisfreie Stadt, and (below) one
    without a type: every shape relevant_services_for knows."""
    return [rw.lippe, rw.lemgo, rw.kalletal, rw.herford, rw.bielefeld]


def test_the_definitions_equal_the_querysets_built_from_the_whole_kommune(rw):  # noqa: F811
    rw.salzuflen.municipality_type = None
    rw.salzuflen.save(update_fields=["municipality_type"])
    for municipality in [*_kommunen(rw), rw.salzuflen]:
        built = selectors.with_records(
            relevant_services_for(municipality=municipality), municipality=municipality
        )
        assert str(selectors.workspace_services(municipality=municipality).query) == str(
            built.query
        )
        rows = selectors.with_records(Service.objects.all(), municipality=municipality)
        assert str(selectors._page_rows_definition(municipality.pk).query) == str(rows.query)


def test_each_call_reads_the_current_records_and_decisions(rw):  # noqa: F811
    service = rw.municipal_service  # LeiKa-Typ 5: relevant for every Kommune by default
    assert service in selectors.workspace_services(municipality=rw.lemgo)
    first = selectors.workspace_services(municipality=rw.lemgo).get(pk=service.pk)
    assert (first.impl_status, first.impl_current_level) == ("open", None)

    Implementation.objects.create(
        municipality=rw.lemgo, service=service, status="in_progress", current_level=2
    )
    row = selectors.workspace_services(municipality=rw.lemgo).get(pk=service.pk)
    assert (row.impl_status, row.impl_current_level) == ("in_progress", 2)
    [page_row] = selectors.services_by_pk([service.pk], municipality=rw.lemgo)
    assert page_row.impl_status == "in_progress"

    relevance_services.deviation_set(
        municipality=rw.lemgo,
        service=service,
        value=RelevanceValue.NOT_RELEVANT,
        reason="Aufgabe beim Kreis",
        actor=rw.lemgo_admin,
    )
    assert service not in selectors.workspace_services(municipality=rw.lemgo)
    # The other Kommune of the same type keeps it.
    assert service in selectors.workspace_services(municipality=rw.salzuflen)


def test_a_changed_type_gives_the_kommune_its_new_types_list(rw):  # noqa: F811
    service = rw.elterngeld_services[0]  # LeiKa-Typ 4: nobody's without a type decision
    relevance_services.type_decisions_bulk_set(
        topic=rw.family,
        land=rw.nrw,
        value=RelevanceValue.RELEVANT,
        reason="Eigene Elterngeldstelle",
        actor=rw.sponsor,
        type_ids=[rw.types["kreisangehoerige-gemeinde"].pk],
        service_ids=[service.pk],
        overwrite=True,
    )
    assert service not in selectors.workspace_services(municipality=rw.lemgo)
    rw.lemgo.municipality_type = rw.types["kreisangehoerige-gemeinde"]
    rw.lemgo.save(update_fields=["municipality_type"])
    assert service in selectors.workspace_services(municipality=rw.lemgo)


def test_evaluating_a_result_leaves_the_shared_definition_unevaluated(rw):  # noqa: F811
    services = selectors.workspace_services(municipality=rw.lemgo)
    assert list(services)
    definition = selectors._workspace_definition(selectors.sql_shape(rw.lemgo))
    assert services is not definition
    assert definition._result_cache is None
