"""The start page: signed in, it leads straight to the work of the person's own Kommunen."""

import pytest
from django.urls import reverse

from kompass.accounts.tests.conftest import World, world  # noqa: F401 - fixture
from kompass.accounts.tests.factories import UserFactory
from kompass.core.views import HOME_MUNICIPALITIES
from kompass.municipalities.tests.factories import MunicipalityFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def w(world) -> World:  # noqa: F811 - the imported fixture
    return world


def _own(client, user):
    client.force_login(user)
    return client.get(reverse("core:home")).context["own_municipalities"]


def test_a_bearbeiter_finds_the_own_kommune_with_its_pages(client, w: World):
    assert [m.name for m in _own(client, w.lemgo_editor)] == [w.lemgo.name]
    html = client.get(reverse("core:home")).content.decode()
    for name in ("implementation:list", "implementation:board"):
        assert reverse(name, kwargs={"pk": w.lemgo.pk}) in html
    assert reverse("reports:dashboard", kwargs={"pk": w.lemgo.pk}) in html
    assert reverse("solutions:gaps", kwargs={"pk": w.lemgo.pk}) in html


def test_only_visible_kommunen_are_offered(client, w: World):
    assert w.bielefeld not in _own(client, w.operator)
    assert w.lemgo not in _own(client, w.herford_admin)
    assert _own(client, UserFactory()) == []
    assert "noch keine Kommune zugeordnet" in client.get(reverse("core:home")).content.decode()


def test_many_kommunen_link_to_the_whole_list(client, w: World):
    for n in range(HOME_MUNICIPALITIES):
        w.provider.members.add(MunicipalityFactory(name=f"Gemeinde {n}", district=w.lippe))
    client.force_login(w.operator)
    response = client.get(reverse("core:home"))
    assert len(response.context["own_municipalities"]) == HOME_MUNICIPALITIES
    total = response.context["own_count"]
    assert total > HOME_MUNICIPALITIES
    assert f"Alle {total} Kommunen" in response.content.decode()


def test_anonymous_visitors_see_no_own_section(client, w: World):
    assert "own_municipalities" not in client.get(reverse("core:home")).context
