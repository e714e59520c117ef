"""The largest Themenfeld of the real catalogue ("Unternehmensführung & -entwicklung", ~1,060
Leistungen × 7 NRW types): the query count of the matrix's first screen does not grow with the
number of decisions or Leistungen. Its speed is measured by `make bench` (scenario
relevance_matrix), not here."""

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from kompass.accounts.choices import Role
from kompass.accounts.tests.factories import UserFactory, grant
from kompass.catalogue.models import Service, Topic
from kompass.catalogue.services import catalogue_import
from kompass.municipalities.models import MunicipalityType
from kompass.municipalities.tests.factories import (
    DistrictFactory,
    LandFactory,
    MunicipalityFactory,
    ProviderFactory,
)
from kompass.relevance import services
from kompass.relevance.models import TypeDecision
from kompass.relevance.tests.conftest import nrw_types

pytestmark = pytest.mark.django_db
LARGEST_TOPIC = "unternehmensfuehrung_entwicklung"


@pytest.fixture
def catalogue_world(db):
    catalogue_import(directory=settings.KOMPASS_DATA_DIR / "catalogue", label="Test")
    land = LandFactory(code="05")
    types = nrw_types(land)
    kreis = DistrictFactory(land=land, municipality_type=types["kreis"])
    lemgo = MunicipalityFactory(
        district=kreis, municipality_type=types["mittlere-kreisangehoerige-stadt"]
    )
    provider = ProviderFactory(slug="krz")
    provider.members.add(kreis, lemgo)
    topic = Topic.objects.get(code=LARGEST_TOPIC)
    sponsor = UserFactory(username="pate")
    grant(sponsor, Role.TOPIC_SPONSOR, provider=provider, topic=topic)
    return land, topic, sponsor


def _count_queries(client, url):
    # The query log is a bounded deque: after the bulk writes it is full, so empty it first.
    connection.queries_log.clear()
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries), response


def test_largest_topic_first_screen_query_count(client, catalogue_world):
    land, topic, sponsor = catalogue_world
    assert Service.objects.current().filter(topic=topic).count() > 1000
    assert MunicipalityType.objects.filter(land=land).count() == 7
    client.force_login(sponsor)
    url = reverse("relevance:matrix", kwargs={"land": land.code, "topic": topic.code})
    empty, _response = _count_queries(client, url)
    # Decide the whole Themenfeld for every type: 7,000+ decision rows.
    result = services.type_decisions_bulk_set(
        topic=topic,
        land=land,
        value="not_relevant",
        reason="Test",
        actor=sponsor,
        type_ids=list(MunicipalityType.objects.filter(land=land).values_list("pk", flat=True)),
    )
    assert result.changed > 7000
    full, response = _count_queries(client, url)
    assert full == empty <= 14
    assert response.content.decode().count("<select") > 50


def test_demo_seed_on_the_real_catalogue(catalogue_world):
    _land, _topic, sponsor = catalogue_world
    family = Topic.objects.get(code="familie_kind")
    grant(
        sponsor,
        Role.TOPIC_SPONSOR,
        provider=sponsor.role_assignments.first().provider,
        topic=family,
    )
    changed = services.demo_relevance_seed()
    names = set(
        TypeDecision.objects.values_list("service__ozg_service__name", flat=True).distinct()
    )
    assert names == {"Geburtsanzeige", "Elterngeld", "Kindertagesbetreuung"}
    assert changed == TypeDecision.objects.count() > 20
    bavarian = TypeDecision.objects.filter(service__name__contains="BayKiBiG")
    assert bavarian.count() == 7
    assert set(bavarian.values_list("value", flat=True)) == {"not_relevant"}
    assert services.demo_relevance_seed() == 0
