"""The permission matrix: every URL pattern of the project, and what every role gets.

test_every_url_pattern_has_an_entry walks django.urls.get_resolver() and fails for a URL name
that none of the tables below lists: a new page must say who may use it.

Roles: anonymous, operator (krz), Themenpate (krz), Kommune admin (Lemgo), Bearbeiter (Lemgo),
reader (Kreis Lippe), and Herford's Kommune admin (the mirror image of Lemgo's). Tenants (see conftest.World): "lemgo" (own Kommune of the Lemgo roles),
"herford" (another member Kommune of the same provider: foreign to the Lemgo roles, own to the
operator), "bielefeld" (a Kommune of another provider: foreign to everyone).
"""

import importlib
from collections.abc import Callable

import pytest
from django.apps import apps
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from kompass.accounts.models import Department, Invitation, RoleAssignment
from kompass.accounts.services import _token_hash
from kompass.accounts.tests.factories import DepartmentFactory, InvitationFactory
from kompass.catalogue.models import CatalogueRelease, LifeSituation, OzgService, Service

ROLES = [
    "anonymous",
    "operator",
    "sponsor",
    "lemgo_admin",
    "lemgo_editor",
    "reader",
    "herford_admin",
]
TENANTS = ["lemgo", "herford", "bielefeld"]
LOGIN = "login"  # expected "status": redirect to the login page

# --- 1. Public read-only pages: everyone (also anonymous) gets 200 for GET. -----------------------
# The integrator completes this table for public pages added later. Value: kwargs builder or None.


def _life_situation(w):
    return LifeSituation.objects.create(name="Geburt", topic=w.topic)


def _ozg_service(w):
    return OzgService.objects.create(
        ozg_id="10000", name="Elterngeld", topic=w.topic, life_situation=_life_situation(w)
    )


def _service(w):
    ozg_service = _ozg_service(w)
    return Service.objects.create(
        catalogue_key="99001001001000",
        leika_key="99001001001000",
        name="Elterngeld beantragen",
        ozg_service=ozg_service,
        life_situation=ozg_service.life_situation,
        topic=w.topic,
    )


PUBLIC_PAGES: dict[str, Callable | None] = {
    "core:home": None,
    "core:impressum": None,
    "core:datenschutz": None,
    "core:barrierefreiheit": None,
    "catalogue:topic-list": None,
    "catalogue:topic-detail": lambda w: {"code": w.topic.code},
    "catalogue:life-situation-detail": lambda w: {"pk": _life_situation(w).pk},
    "catalogue:ozg-service-detail": lambda w: {"ozg_id": _ozg_service(w).ozg_id},
    "catalogue:service-list": None,
    "catalogue:service-detail": lambda w: {"catalogue_key": _service(w).catalogue_key},
    "catalogue:release-list": None,
    "catalogue:release-detail": lambda w: {
        "pk": CatalogueRelease.objects.create(label="Stand 2019").pk
    },
    "municipalities:municipality-list": None,
    "municipalities:municipality-detail": lambda w: {"ars": w.lemgo.ars},
}

# --- 2. Sign-in flows: open to anonymous people (GET 200). ----------------------------------------
SIGN_IN_PAGES: dict[str, Callable | None] = {
    "accounts:login": None,
    "accounts:password-reset": None,
    "accounts:password-reset-done": None,
    # An invalid link shows the "link invalid" page (200) and reveals nothing.
    "accounts:password-reset-confirm": lambda w: {"uidb64": "MQ", "token": "abc-def"},
    "accounts:password-reset-complete": None,
}

# --- 3. Own-account pages: every signed-in person 200, anonymous to the login page. ---------------
ACCOUNT_PAGES = [
    "accounts:profile",
    "accounts:password-change",
    "accounts:password-change-done",
    "accounts:organisation-list",
]

# --- 4. Tenant pages: kwargs builder per tenant and the access rule. -------------------------------
# "view": everyone who can see the Kommune gets 200; "manage": managers 200, those who can only
# see the Kommune 403; "manage_hidden": the object itself is only visible to managers (404 else).
# "provider": operator pages of the tenant's provider.

EXPECTED = {
    "view": {
        "operator": {"lemgo": 200, "herford": 200, "bielefeld": 404},
        "sponsor": {"lemgo": 200, "herford": 200, "bielefeld": 404},
        "lemgo_admin": {"lemgo": 200, "herford": 404, "bielefeld": 404},
        "lemgo_editor": {"lemgo": 200, "herford": 404, "bielefeld": 404},
        "reader": {"lemgo": 200, "herford": 404, "bielefeld": 404},
        "herford_admin": {"lemgo": 404, "herford": 200, "bielefeld": 404},
    },
    "manage": {
        "operator": {"lemgo": 200, "herford": 200, "bielefeld": 404},
        "sponsor": {"lemgo": 403, "herford": 403, "bielefeld": 404},
        "lemgo_admin": {"lemgo": 200, "herford": 404, "bielefeld": 404},
        "lemgo_editor": {"lemgo": 403, "herford": 404, "bielefeld": 404},
        "reader": {"lemgo": 403, "herford": 404, "bielefeld": 404},
        "herford_admin": {"lemgo": 404, "herford": 200, "bielefeld": 404},
    },
    "manage_hidden": {
        "operator": {"lemgo": 200, "herford": 200, "bielefeld": 404},
        "sponsor": {"lemgo": 404, "herford": 404, "bielefeld": 404},
        "lemgo_admin": {"lemgo": 200, "herford": 404, "bielefeld": 404},
        "lemgo_editor": {"lemgo": 404, "herford": 404, "bielefeld": 404},
        "reader": {"lemgo": 404, "herford": 404, "bielefeld": 404},
        "herford_admin": {"lemgo": 404, "herford": 200, "bielefeld": 404},
    },
    "provider": {
        "operator": {"lemgo": 200, "herford": 200, "bielefeld": 404},
        "sponsor": {"lemgo": 404, "herford": 404, "bielefeld": 404},
        "lemgo_admin": {"lemgo": 404, "herford": 404, "bielefeld": 404},
        "lemgo_editor": {"lemgo": 404, "herford": 404, "bielefeld": 404},
        "reader": {"lemgo": 404, "herford": 404, "bielefeld": 404},
        "herford_admin": {"lemgo": 404, "herford": 404, "bielefeld": 404},
    },
}


def _pk(obj):
    return {"pk": obj.pk}


def _fresh_department(w, tenant):
    return _pk(DepartmentFactory(municipality=w.tenant(tenant)))


def _role_assignment(w, tenant):
    return _pk(
        {
            "lemgo": w.lemgo_editor_role,
            "herford": w.herford_admin_role,
            "bielefeld": w.bielefeld_admin_role,
        }[tenant]
    )


def _invitation(w, tenant):
    return _pk(InvitationFactory(municipality=w.tenant(tenant)))


def _provider(w, tenant):
    return _pk(w.other_provider if tenant == "bielefeld" else w.provider)


# name: (rule, kwargs builder (world, tenant), methods)
TENANT_PAGES: dict[str, tuple[str, Callable, tuple[str, ...]]] = {
    "accounts:municipality-organisation": ("view", lambda w, t: _pk(w.tenant(t)), ("GET",)),
    "accounts:municipality-people": ("manage", lambda w, t: _pk(w.tenant(t)), ("GET",)),
    "accounts:department-create": ("manage", lambda w, t: _pk(w.tenant(t)), ("GET", "POST")),
    "accounts:department-update": ("manage", _fresh_department, ("GET", "POST")),
    "accounts:department-delete": ("manage", _fresh_department, ("GET", "POST")),
    "accounts:role-grant": ("manage", lambda w, t: _pk(w.tenant(t)), ("GET", "POST")),
    "accounts:invitation-create": ("manage", lambda w, t: _pk(w.tenant(t)), ("GET", "POST")),
    "accounts:role-revoke": ("manage_hidden", _role_assignment, ("GET", "POST")),
    "accounts:invitation-revoke": ("manage_hidden", _invitation, ("GET", "POST")),
    "accounts:provider-detail": ("provider", _provider, ("GET",)),
    "accounts:provider-role-grant": ("provider", _provider, ("GET", "POST")),
    "accounts:provider-invitation-create": ("provider", _provider, ("GET", "POST")),
}

# --- 5. Operator-only pages without a tenant in the URL: operators 200, others 404. --------------
OPERATOR_PAGES = ["accounts:audit-log"]

# --- 6. Special cases, tested below on their own. -------------------------------------------------
SPECIAL = {
    "accounts:logout": "POST only; signs out",
    "accounts:invitation-accept": "one-time token; open to anonymous people",
}
# Every admin:* URL: the Django admin is for operators only (admin.site.has_permission).
ADMIN_NAMESPACE = "admin:"

# --- Other apps' entries ------------------------------------------------------------------------
# An app adds its pages in <app>/tests/permission_matrix.py with any of the tables above, in the
# same format (builders get this module's World; EXPECTED may add rules). They are merged here.


def _app_matrix_modules():
    for config in apps.get_app_configs():
        if not config.name.startswith("kompass.") or config.name == "kompass.accounts":
            continue
        module_name = f"{config.name}.tests.permission_matrix"
        try:
            yield importlib.import_module(module_name)
        except ModuleNotFoundError as error:
            if error.name not in (module_name, f"{config.name}.tests"):
                raise


for _module in _app_matrix_modules():
    PUBLIC_PAGES.update(getattr(_module, "PUBLIC_PAGES", {}))
    SIGN_IN_PAGES.update(getattr(_module, "SIGN_IN_PAGES", {}))
    ACCOUNT_PAGES.extend(getattr(_module, "ACCOUNT_PAGES", []))
    TENANT_PAGES.update(getattr(_module, "TENANT_PAGES", {}))
    OPERATOR_PAGES.extend(getattr(_module, "OPERATOR_PAGES", []))
    SPECIAL.update(getattr(_module, "SPECIAL", {}))
    EXPECTED.update(getattr(_module, "EXPECTED", {}))


def _url_names(patterns, prefix=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            namespace = f"{prefix}{pattern.namespace}:" if pattern.namespace else prefix
            yield from _url_names(pattern.url_patterns, namespace)
        elif isinstance(pattern, URLPattern):
            yield (
                f"{prefix}{pattern.name}"
                if pattern.name
                else f"{prefix}<unnamed {pattern.pattern}>"
            )


def test_every_url_pattern_has_an_entry():
    known = (
        set(PUBLIC_PAGES)
        | set(SIGN_IN_PAGES)
        | set(ACCOUNT_PAGES)
        | set(TENANT_PAGES)
        | set(OPERATOR_PAGES)
        | set(SPECIAL)
    )
    missing = sorted(
        name
        for name in set(_url_names(get_resolver().url_patterns))
        if not name.startswith(ADMIN_NAMESPACE) and name not in known
    )
    assert not missing, f"URL patterns without an entry in the permission matrix: {missing}"


def _client_for(client, world, role):
    if role != "anonymous":
        client.force_login(getattr(world, role))
    return client


def _assert_login_redirect(response, url):
    assert response.status_code == 302, url
    assert response["Location"].startswith(reverse("accounts:login")), response["Location"]


def _counts():
    return (
        Department.objects.count(),
        RoleAssignment.objects.count(),
        Invitation.objects.count(),
        sorted(Department.objects.values_list("code", "name")),
    )


@pytest.mark.parametrize("name", sorted(PUBLIC_PAGES))
@pytest.mark.parametrize("role", ROLES)
def test_public_pages(client, world, name, role):
    builder = PUBLIC_PAGES[name]
    url = reverse(name, kwargs=builder(world) if builder else None)
    client = _client_for(client, world, role)
    assert client.get(url).status_code == 200, url


@pytest.mark.parametrize("name", sorted(SIGN_IN_PAGES))
def test_sign_in_pages_are_open(client, world, name):
    builder = SIGN_IN_PAGES[name]
    url = reverse(name, kwargs=builder(world) if builder else None)
    assert client.get(url).status_code == 200


@pytest.mark.parametrize("name", ACCOUNT_PAGES)
@pytest.mark.parametrize("role", ROLES)
def test_account_pages(client, world, name, role):
    url = reverse(name)
    response = _client_for(client, world, role).get(url)
    if role == "anonymous":
        _assert_login_redirect(response, url)
    else:
        assert response.status_code == 200


@pytest.mark.parametrize("name", sorted(TENANT_PAGES))
@pytest.mark.parametrize("role", ROLES)
def test_tenant_pages(client, world, name, role):
    rule, build, methods = TENANT_PAGES[name]
    client = _client_for(client, world, role)
    for tenant in TENANTS:
        for method in methods:
            url = reverse(name, kwargs=build(world, tenant))
            before = _counts()
            if method == "GET":
                responses = [client.get(url), client.get(url, headers={"HX-Request": "true"})]
            else:
                responses = [client.post(url, {})]
            for response in responses:
                context = f"{role} {method} {url} ({tenant})"
                if role == "anonymous":
                    _assert_login_redirect(response, url)
                    assert _counts() == before, context
                    continue
                expected = EXPECTED[rule][role][tenant]
                if expected != 200:
                    assert response.status_code == expected, context
                    assert _counts() == before, f"denied request changed data: {context}"
                elif method == "GET":
                    assert response.status_code == 200, context
                else:
                    # Allowed POST: a form error (200/400) or the action's redirect; never 403/404.
                    assert response.status_code in (200, 302, 400), context


@pytest.mark.parametrize("name", OPERATOR_PAGES)
@pytest.mark.parametrize("role", ROLES)
def test_operator_pages(client, world, name, role):
    url = reverse(name)
    client = _client_for(client, world, role)
    for headers in ({}, {"HX-Request": "true"}):
        response = client.get(url, headers=headers)
        if role == "anonymous":
            _assert_login_redirect(response, url)
        else:
            assert response.status_code == (200 if role == "operator" else 404), role


@pytest.mark.parametrize("role", ROLES)
def test_admin_is_for_operators_only(client, world, role):
    client = _client_for(client, world, role)
    index = client.get(reverse("admin:index"))
    changelist = client.get(reverse("admin:accounts_department_changelist"))
    if role == "operator":
        assert index.status_code == 200
        assert changelist.status_code == 403  # admitted, but without model permissions
    else:
        for response in (index, changelist):
            assert response.status_code == 302
            assert response["Location"].startswith(reverse("admin:login"))


@pytest.mark.parametrize("role", ROLES)
def test_logout_is_post_only(client, world, role):
    client = _client_for(client, world, role)
    assert client.get(reverse("accounts:logout")).status_code == 405
    assert client.post(reverse("accounts:logout")).status_code == 302
    assert "_auth_user_id" not in client.session


@pytest.mark.parametrize("role", ROLES)
def test_invitation_link_is_open_to_its_holder_only(client, world, role):
    token = "geheimer-token-fuer-den-test"
    InvitationFactory(municipality=world.lemgo, token_hash=_token_hash(token))
    client = _client_for(client, world, role)
    assert client.get(reverse("accounts:invitation-accept", args=[token])).status_code == 200
    assert client.get(reverse("accounts:invitation-accept", args=["falsch"])).status_code == 404
