"""Every relevance URL for every role, with the project-wide World of the accounts tests.

The entries live in permissions.py so that the integrator can merge them into
accounts/tests/test_permission_matrix.py; this file runs them meanwhile.
"""

import pytest
from django.urls import get_resolver, reverse

from kompass.accounts.tests.conftest import world  # noqa: F401  (the shared fixture)
from kompass.accounts.tests.test_permission_matrix import EXPECTED, ROLES, TENANTS
from kompass.relevance.models import (
    CrossCheck,
    Deviation,
    RelevanceChange,
    TopicReview,
    TypeDecision,
)
from kompass.relevance.tests.permissions import (
    ACCOUNT_PAGES,
    MATRIX_EXPECTED,
    MATRIX_PAGES,
    MATRIX_POST_RULES,
    MATRIX_TARGETS,
    SPONSOR_PAGES,
    TENANT_PAGES,
)


def _client_for(client, w, role):
    if role != "anonymous":
        client.force_login(getattr(w, role))
    return client


def _assert_login(response):
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def _state():
    return (
        TypeDecision.objects.count(),
        Deviation.objects.count(),
        TopicReview.objects.count(),
        CrossCheck.objects.count(),
        RelevanceChange.objects.count(),
    )


def test_every_relevance_url_has_an_entry():
    patterns = next(
        p for p in get_resolver().url_patterns if getattr(p, "namespace", None) == "relevance"
    ).url_patterns
    names = {f"relevance:{p.name}" for p in patterns}
    known = set(ACCOUNT_PAGES) | set(TENANT_PAGES) | set(MATRIX_PAGES) | set(SPONSOR_PAGES)
    assert names == known


@pytest.mark.parametrize("role", ROLES)
def test_account_pages(client, world, role):  # noqa: F811
    for name in ACCOUNT_PAGES:
        response = _client_for(client, world, role).get(reverse(name))
        if role == "anonymous":
            _assert_login(response)
        else:
            assert response.status_code == 200


@pytest.mark.parametrize("role", ROLES)
def test_sponsor_pages(client, world, role):  # noqa: F811
    for name in SPONSOR_PAGES:
        response = _client_for(client, world, role).get(reverse(name))
        if role == "anonymous":
            _assert_login(response)
        else:
            assert response.status_code == (200 if role in ("operator", "sponsor") else 404)


@pytest.mark.parametrize("name", sorted(TENANT_PAGES))
@pytest.mark.parametrize("role", ROLES)
def test_tenant_pages(client, world, name, role):  # noqa: F811
    rule, build, methods = TENANT_PAGES[name]
    client = _client_for(client, world, role)
    for tenant in TENANTS:
        for method in methods:
            url = reverse(name, kwargs=build(world, tenant))
            before = _state()
            response = client.get(url) if method == "GET" else client.post(url, {})
            context = f"{role} {method} {url} ({tenant})"
            if role == "anonymous":
                _assert_login(response)
                continue
            expected = EXPECTED[rule][role][tenant]
            if expected != 200:
                assert response.status_code == expected, context
                assert _state() == before, context
            elif method == "GET":
                assert response.status_code == 200, context
            else:
                assert response.status_code in (200, 302, 400), context


@pytest.mark.parametrize("name", sorted(MATRIX_PAGES))
@pytest.mark.parametrize("role", ROLES)
def test_matrix_pages(client, world, name, role):  # noqa: F811
    rule, build, methods = MATRIX_PAGES[name]
    client = _client_for(client, world, role)
    for target in MATRIX_TARGETS:
        for method in methods:
            url = reverse(name, kwargs=build(world, target))
            before = _state()
            if method == "GET":
                responses = [client.get(url), client.get(url, headers={"HX-Request": "true"})]
            else:
                responses = [client.post(url, {})]
            for response in responses:
                context = f"{role} {method} {url} ({target})"
                if role == "anonymous":
                    _assert_login(response)
                    continue
                expected = MATRIX_EXPECTED[rule][role][target]
                if expected != 200:
                    assert response.status_code == expected, context
                    assert _state() == before, context
                    if expected == 403:
                        html = response.content.decode()
                        assert "Es wurde nichts geändert." in html, context
                        reason = "Hessen" if target == "foreign_land" else "nicht Themenpate"
                        assert reason in html, context
                elif method == "GET":
                    assert response.status_code == 200, context
                else:
                    assert response.status_code in (200, 302, 400), context


@pytest.mark.parametrize("role", ROLES)
def test_row_page_post_needs_decide(client, world, role):  # noqa: F811
    build = MATRIX_PAGES["relevance:row"][1]
    client = _client_for(client, world, role)
    for target in MATRIX_TARGETS:
        url = reverse("relevance:row", kwargs=build(world, target))
        before = _state()
        response = client.post(url, {})
        if role == "anonymous":
            _assert_login(response)
            continue
        expected = MATRIX_EXPECTED[MATRIX_POST_RULES["relevance:row"]][role][target]
        if expected != 200:
            assert response.status_code == expected
            assert _state() == before
        else:
            assert response.status_code in (200, 302, 400)
