"""Entries of the solutions pages in the project-wide permission matrix
(kompass/accounts/tests/test_permission_matrix.py), in its format; builders take its World.

Tenant rules:
  "view"            everyone who sees the Kommune (its gaps and usages list)
  "edit"            operators, Kommune admins, Bearbeiter 200; readers and Themenpaten 403
                    (they see the Kommune), others 404 — proposing, recording a usage
  "proposal"        a Kommune's proposal: its own staff with a Kommune role and the operators of
                    its provider see it (200), everyone else 404 (also the Themenpate and the
                    Kreis reader, who see the Kommune but are not its staff)
  "proposal_review" operators 200; the proposing Kommune's admins and Bearbeiter 403; others 404
Published entries are visible to every signed-in person (tested in test_views.py).
"""

from collections.abc import Callable

from kompass.catalogue.tests.factories import ServiceFactory
from kompass.solutions.choices import ReviewState, SolutionKind
from kompass.solutions.models import Solution, SolutionUsage

ACCOUNT_PAGES = ["solutions:overview", "solutions:export"]
OPERATOR_PAGES = ["solutions:create", "solutions:gaps-overview"]

EXPECTED = {
    "edit": {
        "operator": {"lemgo": 200, "herford": 200, "bielefeld": 404},
        "sponsor": {"lemgo": 403, "herford": 403, "bielefeld": 404},
        "lemgo_admin": {"lemgo": 200, "herford": 404, "bielefeld": 404},
        "lemgo_editor": {"lemgo": 200, "herford": 404, "bielefeld": 404},
        "reader": {"lemgo": 403, "herford": 404, "bielefeld": 404},
        "herford_admin": {"lemgo": 404, "herford": 200, "bielefeld": 404},
    },
    "proposal": {
        "operator": {"lemgo": 200, "herford": 200, "bielefeld": 404},
        "sponsor": {"lemgo": 404, "herford": 404, "bielefeld": 404},
        "lemgo_admin": {"lemgo": 200, "herford": 404, "bielefeld": 404},
        "lemgo_editor": {"lemgo": 200, "herford": 404, "bielefeld": 404},
        "reader": {"lemgo": 404, "herford": 404, "bielefeld": 404},
        "herford_admin": {"lemgo": 404, "herford": 200, "bielefeld": 404},
    },
    "proposal_review": {
        "operator": {"lemgo": 200, "herford": 200, "bielefeld": 404},
        "sponsor": {"lemgo": 404, "herford": 404, "bielefeld": 404},
        "lemgo_admin": {"lemgo": 403, "herford": 404, "bielefeld": 404},
        "lemgo_editor": {"lemgo": 403, "herford": 404, "bielefeld": 404},
        "reader": {"lemgo": 404, "herford": 404, "bielefeld": 404},
        "herford_admin": {"lemgo": 404, "herford": 403, "bielefeld": 404},
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


def _solution(review_state, municipality=None) -> Solution:
    return Solution.objects.create(
        name="Formularserver",
        provider_name="krz",
        kind=SolutionKind.PROVIDER,
        description="Online-Formulare",
        review_state=review_state,
        proposed_for=municipality,
    )


def _proposal(w, tenant):
    return {"pk": _solution(ReviewState.PROPOSAL, w.tenant(tenant)).pk}


def _leistung(w, tenant):
    return {"pk": w.tenant(tenant).pk, "service_pk": _service(w).pk}


def _usage(w, tenant):
    usage = SolutionUsage.objects.create(
        municipality=w.tenant(tenant),
        service=_service(w),
        solution=_solution(ReviewState.PUBLISHED),
    )
    return {"pk": w.tenant(tenant).pk, "usage_pk": usage.pk}


TENANT_PAGES: dict[str, tuple[str, Callable, tuple[str, ...]]] = {
    "solutions:gaps": ("view", _kommune, ("GET",)),
    "solutions:usage-list": ("view", _kommune, ("GET",)),
    "solutions:propose": ("edit", _kommune, ("GET", "POST")),
    "solutions:usage": ("edit", _leistung, ("GET", "POST")),
    "solutions:usage-delete": ("edit", _usage, ("POST",)),
    "solutions:detail": ("proposal", _proposal, ("GET",)),
    "solutions:edit": ("proposal", _proposal, ("GET", "POST")),
    "solutions:coverage": ("proposal", _proposal, ("GET", "POST")),
    "solutions:review": ("proposal_review", _proposal, ("GET", "POST")),
}
