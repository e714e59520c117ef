"""Entries of the implementation pages in the project-wide permission matrix
(kompass/accounts/tests/test_permission_matrix.py), in its format; builders take its World.

Rules: "view" (everyone who sees the Kommune) and "edit": those who may change implementation
data of the Kommune get 200 (operators, Kommune admins, Bearbeiter – the builders use a Leistung
without department, which a Bearbeiter may take), those who may only read it 403, others 404.
"""

from collections.abc import Callable

from kompass.catalogue.tests.factories import ServiceFactory
from kompass.implementation.models import Implementation, ImplementationStep

ACCOUNT_PAGES = ["implementation:overview"]

EXPECTED = {
    "edit": {
        "operator": {"lemgo": 200, "herford": 200, "bielefeld": 404},
        "sponsor": {"lemgo": 403, "herford": 403, "bielefeld": 404},
        "lemgo_admin": {"lemgo": 200, "herford": 404, "bielefeld": 404},
        "lemgo_editor": {"lemgo": 200, "herford": 404, "bielefeld": 404},
        "reader": {"lemgo": 403, "herford": 404, "bielefeld": 404},
        "herford_admin": {"lemgo": 404, "herford": 200, "bielefeld": 404},
    },
}


def _kommune(w, tenant):
    return {"pk": w.tenant(tenant).pk}


def _service(w):
    # LeiKa-Typ 5: relevant for every Kommune by default.
    return ServiceFactory(
        leika_type_codes="5",
        ozg_service__life_situation__topic=w.topic,
        ozg_service__topic=w.topic,
    )


def _leistung(w, tenant):
    return {"pk": w.tenant(tenant).pk, "service_pk": _service(w).pk}


def _step(w, tenant):
    record = Implementation.objects.create(municipality=w.tenant(tenant), service=_service(w))
    step = ImplementationStep.objects.create(implementation=record, title="Formular prüfen")
    return {"pk": w.tenant(tenant).pk, "step_pk": step.pk}


TENANT_PAGES: dict[str, tuple[str, Callable, tuple[str, ...]]] = {
    "implementation:list": ("view", _kommune, ("GET",)),
    "implementation:board": ("view", _kommune, ("GET",)),
    "implementation:ozg-list": ("view", _kommune, ("GET",)),
    "implementation:detail": ("view", _leistung, ("GET",)),
    "implementation:filter-save": ("view", _kommune, ("POST",)),
    "implementation:filter-delete": ("view", _kommune, ("POST",)),
    "implementation:edit": ("edit", _leistung, ("GET", "POST")),
    "implementation:row-edit": ("edit", _leistung, ("GET", "POST")),
    "implementation:move": ("edit", _leistung, ("POST",)),
    "implementation:step-add": ("edit", _leistung, ("POST",)),
    "implementation:step-change": ("edit", _step, ("POST",)),
    "implementation:bulk-edit": ("edit", _kommune, ("POST",)),
}
