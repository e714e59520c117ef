"""Fixtures of the solutions tests: the accounts World and the implementation workspace (four
Leistungen relevant for every Kommune, Reifegradmodell 1.1), plus helpers to make solutions."""

import pytest

from kompass.implementation.tests.conftest import (  # noqa: F401 - fixtures
    Workspace,
    maturity_model_1_1,
    relevant_service,
    world,
    ws,
)
from kompass.solutions.choices import ReviewState, SolutionKind
from kompass.solutions.models import Solution, SolutionService
from kompass.solutions.selectors import solution_search_text


def make_solution(
    *,
    name="Formularserver",
    provider_name="krz",
    kind=SolutionKind.PROVIDER,
    description="Online-Formulare mit Bezahlfunktion",
    review_state=ReviewState.PUBLISHED,
    proposed_for=None,
    covers=(),
    level=3,
    **extra,
) -> Solution:
    solution = Solution.objects.create(
        name=name,
        provider_name=provider_name,
        kind=kind,
        description=description,
        review_state=review_state,
        proposed_for=proposed_for,
        search_text=solution_search_text(
            name=name, provider_name=provider_name, description=description
        ),
        **extra,
    )
    for service in covers:
        SolutionService.objects.create(solution=solution, service=service, level=level)
    return solution


@pytest.fixture
def levels(db):
    return maturity_model_1_1()
