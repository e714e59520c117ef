"""The public catalogue pages: browse Themenfeld → … → LeiKa-Leistung, and the catalogue releases."""

import datetime as dt

import pytest
from django.urls import reverse

from kompass.catalogue.choices import CatalogueEntity, ChangeKind, TargetGroup
from kompass.catalogue.tests.factories import (
    CatalogueChangeFactory,
    CatalogueReleaseFactory,
    LeikaTypeFactory,
    LifeSituationFactory,
    OzgServiceFactory,
    ServiceFactory,
    TopicFactory,
    retire,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def chain():
    """Themenfeld Familie & Kind → Geburt → 10000 Elterngeld → two LeiKa-Leistungen."""
    topic = TopicFactory(code="familie_kind", name="Familie & Kind")
    life_situation = LifeSituationFactory(name="Geburt", topic=topic)
    ozg_service = OzgServiceFactory(
        ozg_id="10000", name="Elterngeld", life_situation=life_situation
    )
    release = CatalogueReleaseFactory(label="Stand 2019")
    service = ServiceFactory(
        name="Elterngeld Bewilligung",
        ozg_service=ozg_service,
        leika_group="006",
        leika_identifier="004",
        action="046",
        action_detail="000",
        leika_type_codes="2/3",
        legal_basis="§ 1 BEEG",
        laws="Bundeselterngeld- und Elternzeitgesetz",
        law_abbreviations="BEEG",
        sdg1_relevant=True,
        first_release=release,
    )
    other = ServiceFactory(name="Elterngeld Auszahlung", ozg_service=ozg_service)
    return {
        "topic": topic,
        "life_situation": life_situation,
        "ozg_service": ozg_service,
        "service": service,
        "other": other,
        "release": release,
    }


def _get(client, name, **kwargs):
    return client.get(reverse(name, kwargs=kwargs))


def test_topic_list_shows_counts_per_level(client, chain):
    TopicFactory(code="bildung", name="Bildung")
    response = _get(client, "catalogue:topic-list")
    assert response.status_code == 200
    topics = {topic.code: topic for topic in response.context["topics"]}
    assert topics["familie_kind"].life_situation_count == 1
    assert topics["familie_kind"].ozg_service_count == 1
    assert topics["familie_kind"].service_count == 2
    assert topics["bildung"].service_count == 0
    assert reverse("catalogue:topic-detail", kwargs={"code": "familie_kind"}) in (
        response.content.decode()
    )


def test_browse_chain_links_each_level_to_the_next(client, chain):
    topic_page = _get(client, "catalogue:topic-detail", code="familie_kind").content.decode()
    life_url = reverse("catalogue:life-situation-detail", kwargs={"pk": chain["life_situation"].pk})
    assert life_url in topic_page
    life_page = client.get(life_url).content.decode()
    ozg_url = reverse("catalogue:ozg-service-detail", kwargs={"ozg_id": "10000"})
    assert ozg_url in life_page
    ozg_page = client.get(ozg_url).content.decode()
    service_url = reverse(
        "catalogue:service-detail", kwargs={"catalogue_key": chain["service"].catalogue_key}
    )
    assert service_url in ozg_page
    assert "Elterngeld Auszahlung" in ozg_page


def test_breadcrumbs_lead_back_up_the_hierarchy(client, chain):
    page = _get(
        client, "catalogue:service-detail", catalogue_key=chain["service"].catalogue_key
    ).content.decode()
    crumbs = page[
        page.index("kompass-breadcrumbs") : page.index("</nav>", page.index("kompass-breadcrumbs"))
    ]
    for url in [
        reverse("catalogue:topic-list"),
        reverse("catalogue:topic-detail", kwargs={"code": "familie_kind"}),
        reverse("catalogue:life-situation-detail", kwargs={"pk": chain["life_situation"].pk}),
        reverse("catalogue:ozg-service-detail", kwargs={"ozg_id": "10000"}),
    ]:
        assert f'href="{url}"' in crumbs
    assert 'aria-current="page">Elterngeld Bewilligung' in crumbs


def test_service_detail_shows_all_fields(client, chain):
    LeikaTypeFactory(code="2/3")
    response = _get(client, "catalogue:service-detail", catalogue_key="99006004046000")
    assert response.status_code == 200
    page = response.content.decode()
    for text in [
        "99006004046000",
        "Leistungsgruppierung",
        "006",
        "004",
        "046",
        "Typ 2/3",
        "Regelungskompetenz: Bund; Vollzugskompetenz: Land oder Kommune",
        "§ 1 BEEG",
        "Bundeselterngeld- und Elternzeitgesetz",
        "BEEG",
        "Bürgerinnen und Bürger",
        "Stand 2019",
        "aktuell im Katalog",
    ]:
        assert text in page, text
    sdg = page[page.index("SDG-relevant nach Anhang I<") :]
    assert sdg.index("ja") < sdg.index("Anhang II")


def test_service_detail_without_leika_key_and_unknown_type_meaning(client):
    service = ServiceFactory(
        leika_key=None,
        catalogue_key="ozg-10001-abc",
        leika_type_codes="6",
        target_group=TargetGroup.BUSINESSES,
        ozg_service=None,
    )
    page = _get(client, "catalogue:service-detail", catalogue_key=service.catalogue_key)
    content = page.content.decode()
    assert page.status_code == 200
    assert "nicht im LeiKa" in content
    assert "Die Bedeutung dieses Typs ist nicht veröffentlicht." in content
    assert "Unternehmen" in content
    assert "keine Zuordnung" in content


def test_retired_entries_are_hidden_from_browse_lists_and_marked(client, chain):
    release = CatalogueReleaseFactory(label="Stand 2020")
    retire(chain["other"], release)
    ozg_url = reverse("catalogue:ozg-service-detail", kwargs={"ozg_id": "10000"})
    page = client.get(ozg_url).content.decode()
    assert "Elterngeld Auszahlung" not in page
    page = client.get(ozg_url + "?entfallene=1").content.decode()
    assert "Elterngeld Auszahlung" in page
    assert "kern-badge--warning" in page
    detail = _get(
        client, "catalogue:service-detail", catalogue_key=chain["other"].catalogue_key
    ).content.decode()
    assert "Stand 2020" in detail
    assert "entfallen" in detail
    topics = {t.code: t for t in _get(client, "catalogue:topic-list").context["topics"]}
    assert topics["familie_kind"].service_count == 1


def test_retired_topic_is_hidden_from_topic_list(client, chain):
    retire(TopicFactory(code="alt", name="Altes Themenfeld"))
    assert "Altes Themenfeld" not in _get(client, "catalogue:topic-list").content.decode()
    page = client.get(reverse("catalogue:topic-list") + "?entfallene=1").content.decode()
    assert "Altes Themenfeld" in page


def test_topic_detail_lists_ozg_services_without_life_situation(client, chain):
    OzgServiceFactory(ozg_id="10500", name="Ohne Lage", life_situation=None, topic=chain["topic"])
    page = _get(client, "catalogue:topic-detail", code="familie_kind").content.decode()
    assert "OZG-Leistungen ohne Lebenslage" in page
    assert "Ohne Lage" in page


@pytest.mark.parametrize(
    ("name", "kwargs"),
    [
        ("catalogue:topic-detail", {"code": "gibt-es-nicht"}),
        ("catalogue:life-situation-detail", {"pk": 999999}),
        ("catalogue:ozg-service-detail", {"ozg_id": "99999"}),
        ("catalogue:service-detail", {"catalogue_key": "99999999999999"}),
        ("catalogue:release-detail", {"pk": 999999}),
    ],
)
def test_unknown_keys_give_404(client, name, kwargs):
    assert client.get(reverse(name, kwargs=kwargs)).status_code == 404


@pytest.mark.parametrize(
    "name",
    ["catalogue:topic-list", "catalogue:service-list", "catalogue:release-list"],
)
def test_empty_catalogue_pages_render(client, name):
    response = client.get(reverse(name))
    assert response.status_code == 200


def test_release_list_shows_counts_and_change_numbers(client):
    release = CatalogueReleaseFactory(
        label="Stand 2026",
        counts={"services": 5249, "topics": 14},
        added_count=12,
        changed_count=3,
        retired_count=2,
        imported_at=dt.datetime(2026, 3, 1, 10, 0, tzinfo=dt.UTC),
    )
    response = _get(client, "catalogue:release-list")
    page = response.content.decode()
    assert response.status_code == 200
    assert reverse("catalogue:release-detail", kwargs={"pk": release.pk}) in page
    assert "01.03.2026" in page
    # Levels are listed in catalogue order, whatever the JSON order.
    assert page.index("Themenfelder: 14") < page.index("LeiKa-Leistungen: 5.249")


def test_release_detail_shows_changes_with_before_and_after(client):
    release = CatalogueReleaseFactory(label="Stand 2026")
    CatalogueChangeFactory(
        release=release,
        entity=CatalogueEntity.SERVICE,
        key="99008001012000",
        name="Personalausweis Ausstellung",
        kind=ChangeKind.CHANGED,
        fields={"name": ["Personalausweis Ausgabe", "Personalausweis Ausstellung"]},
    )
    CatalogueChangeFactory(
        release=release, entity=CatalogueEntity.TOPIC, key="bildung", kind=ChangeKind.ADDED
    )
    response = _get(client, "catalogue:release-detail", pk=release.pk)
    page = response.content.decode()
    assert response.status_code == 200
    assert "Bezeichnung:" in page  # the field's verbose_name, not "name"
    assert "</span>Personalausweis Ausgabe</del>" in page
    assert "</span>Personalausweis Ausstellung</ins>" in page
    assert reverse("catalogue:service-detail", kwargs={"catalogue_key": "99008001012000"}) in page
    assert response.context["summary"][0]["entity"] == CatalogueEntity.TOPIC


def test_release_detail_filters_by_level_and_kind(client):
    release = CatalogueReleaseFactory()
    CatalogueChangeFactory(release=release, entity=CatalogueEntity.SERVICE, name="Neu A")
    CatalogueChangeFactory(
        release=release, entity=CatalogueEntity.SERVICE, name="Weg B", kind=ChangeKind.RETIRED
    )
    CatalogueChangeFactory(release=release, entity=CatalogueEntity.OZG_SERVICE, name="OZG C")
    url = reverse("catalogue:release-detail", kwargs={"pk": release.pk})
    names = [c.name for c in client.get(url + "?entity=service&kind=retired").context["changes"]]
    assert names == ["Weg B"]
    names = [c.name for c in client.get(url + "?entity=ozg_service").context["changes"]]
    assert names == ["OZG C"]
    bad = client.get(url + "?entity=evil&page=abc")
    assert bad.status_code == 200
    assert len(bad.context["changes"]) == 3


def test_release_detail_htmx_returns_only_the_change_rows(client):
    release = CatalogueReleaseFactory()
    CatalogueChangeFactory(release=release, name="Neu A")
    response = client.get(
        reverse("catalogue:release-detail", kwargs={"pk": release.pk}),
        headers={"HX-Request": "true"},
    )
    page = response.content.decode()
    assert "Neu A" in page
    assert "<html" not in page
    assert "data-announce" in page


def test_release_detail_paginates_changes(client, django_assert_max_num_queries):
    release = CatalogueReleaseFactory()
    CatalogueChangeFactory.create_batch(
        105, release=release, kind=ChangeKind.CHANGED, fields={"name": ["a", "b"]}
    )
    url = reverse("catalogue:release-detail", kwargs={"pk": release.pk})
    with django_assert_max_num_queries(8):
        first = client.get(url)
    assert len(first.context["changes"]) == 100
    assert len(client.get(url + "?page=2").context["changes"]) == 5


@pytest.mark.parametrize(
    ("name", "max_queries"),
    [
        ("catalogue:topic-list", 4),
        ("catalogue:topic-detail", 6),
        ("catalogue:life-situation-detail", 4),
        ("catalogue:ozg-service-detail", 3),
    ],
)
def test_browse_pages_need_a_fixed_number_of_queries(
    client, chain, django_assert_max_num_queries, name, max_queries
):
    ServiceFactory.create_batch(20, ozg_service=chain["ozg_service"])
    OzgServiceFactory.create_batch(20, life_situation=chain["life_situation"])
    LifeSituationFactory.create_batch(10, topic=chain["topic"])
    kwargs = {
        "catalogue:topic-list": {},
        "catalogue:topic-detail": {"code": "familie_kind"},
        "catalogue:life-situation-detail": {"pk": chain["life_situation"].pk},
        "catalogue:ozg-service-detail": {"ozg_id": "10000"},
    }[name]
    with django_assert_max_num_queries(max_queries):
        response = client.get(reverse(name, kwargs=kwargs))
    assert response.status_code == 200


def test_service_detail_needs_a_fixed_number_of_queries(
    client, chain, django_assert_max_num_queries
):
    with django_assert_max_num_queries(2):
        client.get(
            reverse(
                "catalogue:service-detail",
                kwargs={"catalogue_key": chain["service"].catalogue_key},
            )
        )


def test_release_detail_links_lebenslagen_by_name_and_shows_import_notes(client):
    life_situation = LifeSituationFactory(name="Geburt")
    release = CatalogueReleaseFactory(restored_count=1, warnings=["Zeile 7: LeiKa-Typ fehlt"])
    CatalogueChangeFactory(
        release=release,
        entity=CatalogueEntity.LIFE_SITUATION,
        key="Geburt",
        name="Geburt",
        kind=ChangeKind.RESTORED,
        fields={"topic": ["Familie", "Familie & Kind"]},
    )
    CatalogueChangeFactory(
        release=release, entity=CatalogueEntity.LIFE_SITUATION, key="Weg", name="Weg"
    )
    page = _get(client, "catalogue:release-detail", pk=release.pk).content.decode()
    url = reverse("catalogue:life-situation-detail", kwargs={"pk": life_situation.pk})
    assert f'href="{url}">Geburt</a>' in page
    assert '<th scope="row" class="kern-table__cell">Weg</th>' in page  # unknown: no link
    assert "Themenfeld:" in page  # field "topic" labelled by its verbose_name
    assert "wieder aufgenommen" in page
    assert "Zeile 7: LeiKa-Typ fehlt" in page
    listing = _get(client, "catalogue:release-list").content.decode()
    assert "wieder aufgenommen" in listing
