"""Entries of the evaluation pages in the project-wide permission matrix
(kompass/accounts/tests/test_permission_matrix.py), in its format; builders take its World.

Kommune pages and their exports: "view" (everyone who sees the Kommune). The heat map: operators
and provider-wide readers of the tenant's provider ("provider_view"; the World's reader reads only
Kreis Lippe). The global views are catalogue pages open to every signed-in person ("signed_in");
which Kommunen they name is tested in test_views.py.
"""

from collections.abc import Callable

from kompass.catalogue.tests.factories import OzgServiceFactory, ServiceFactory

# The entry page sends a person with exactly one Kommune to its dashboard (302), lists the
# visible Kommunen for everyone else: tested role by role in test_views.py.
SPECIAL = {
    "reports:overview": "signed-in only; redirects to the only Kommune's dashboard",
    # An export made in the background belongs to the person who asked for it: everyone else
    # gets 404 (test_background_exports.py, role by role).
    "reports:export-list": "signed-in only; lists the person's own exports",
    "reports:export": "the requester only; 404 for everyone else",
    "reports:export-download": "the requester only; 404 for everyone else",
    "reports:export-retry": "POST only; the requester only; 404 for everyone else",
}

_ALL = {"lemgo": 200, "herford": 200, "bielefeld": 200}
EXPECTED = {
    "provider_view": {
        "operator": {"lemgo": 200, "herford": 200, "bielefeld": 404},
        "sponsor": {"lemgo": 404, "herford": 404, "bielefeld": 404},
        "lemgo_admin": {"lemgo": 404, "herford": 404, "bielefeld": 404},
        "lemgo_editor": {"lemgo": 404, "herford": 404, "bielefeld": 404},
        "reader": {"lemgo": 404, "herford": 404, "bielefeld": 404},
        "herford_admin": {"lemgo": 404, "herford": 404, "bielefeld": 404},
    },
    "signed_in": {
        role: dict(_ALL)
        for role in (
            "operator",
            "sponsor",
            "lemgo_admin",
            "lemgo_editor",
            "reader",
            "herford_admin",
        )
    },
}


def _kommune(w, tenant):
    return {"pk": w.tenant(tenant).pk}


def _kommune_export(fmt):
    return lambda w, tenant: {"pk": w.tenant(tenant).pk, "fmt": fmt}


def _provider(w, tenant):
    return {"pk": (w.other_provider if tenant == "bielefeld" else w.provider).pk}


def _provider_export(w, tenant):
    return {**_provider(w, tenant), "fmt": "xlsx"}


def _service(w, tenant):
    return {
        "service_pk": ServiceFactory(
            leika_type_codes="5",
            ozg_service__life_situation__topic=w.topic,
            ozg_service__topic=w.topic,
        ).pk
    }


def _service_export(w, tenant):
    return {**_service(w, tenant), "fmt": "csv"}


def _ozg(w, tenant):
    ozg = OzgServiceFactory(life_situation__topic=w.topic)
    ServiceFactory(leika_type_codes="5", ozg_service=ozg)
    return {"ozg_id": ozg.ozg_id}


def _ozg_export(w, tenant):
    return {**_ozg(w, tenant), "fmt": "xlsx"}


TENANT_PAGES: dict[str, tuple[str, Callable, tuple[str, ...]]] = {
    "reports:dashboard": ("view", _kommune, ("GET",)),
    "reports:dashboard-print": ("view", _kommune, ("GET",)),
    "reports:dashboard-export": ("view", _kommune_export("xlsx"), ("GET",)),
    "reports:workspace-export": ("view", _kommune_export("csv"), ("GET",)),
    "reports:benchmark": ("view", _kommune, ("GET",)),
    "reports:benchmark-export": ("view", _kommune_export("xlsx"), ("GET",)),
    "reports:heatmap": ("provider_view", _provider, ("GET",)),
    "reports:heatmap-export": ("provider_view", _provider_export, ("POST",)),
    "reports:service-global": ("signed_in", _service, ("GET",)),
    "reports:service-global-export": ("signed_in", _service_export, ("GET",)),
    "reports:ozg-global": ("signed_in", _ozg, ("GET",)),
    "reports:ozg-global-export": ("signed_in", _ozg_export, ("GET",)),
}
