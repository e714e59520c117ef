"""A request with a method the view refuses gets a German page (core.middleware)."""

import pytest
from django.http import HttpResponse
from django.test import RequestFactory
from django.urls import reverse
from django.views.decorators.http import require_POST

from kompass.accounts.tests.conftest import World, world  # noqa: F401 - fixture
from kompass.core.middleware import method_not_allowed_page

pytestmark = pytest.mark.django_db


def test_opening_the_logout_address_explains_itself_and_keeps_the_session(client, world):  # noqa: F811
    client.force_login(world.lemgo_admin)
    response = client.get(reverse("accounts:logout"))
    assert response.status_code == 405
    assert response["Allow"] == "POST, OPTIONS"
    page = response.content.decode()
    assert "Nicht direkt aufrufbar" in page
    assert "Es wurde nichts geändert." in page
    assert '<html lang="de">' in page
    # Nothing happened: the person is still signed in.
    assert client.get(reverse("implementation:overview")).status_code == 200


def test_a_form_action_opened_as_a_link_changes_nothing(client, world):  # noqa: F811
    client.force_login(world.lemgo_admin)
    response = client.get(
        reverse("implementation:bulk-edit", kwargs={"pk": world.lemgo.pk}),
        {"bulk-status": "done"},
    )
    assert response.status_code == 405
    assert response["Allow"] == "POST"
    assert "Nicht direkt aufrufbar" in response.content.decode()


def test_a_405_with_its_own_body_is_left_alone():
    def view(request):
        return HttpResponse("own text", status=405)

    response = method_not_allowed_page(view)(RequestFactory().get("/"))
    assert response.content == b"own text"


def test_other_statuses_pass_unchanged():
    @require_POST
    def view(request):
        return HttpResponse("done")

    response = method_not_allowed_page(view)(RequestFactory().post("/"))
    assert (response.status_code, response.content) == (200, b"done")
