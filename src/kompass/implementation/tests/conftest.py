"""Fixtures of the implementation tests: the accounts World (krz with Lemgo and Herford,
Bielefeld with another provider; lemgo-sb is Bearbeiter in Lemgo's "Bürgerservice") plus the
Reifegradmodell 1.1 and a few Leistungen that are relevant for every Kommune (LeiKa-Typ 5)."""

from dataclasses import dataclass

import pytest

from kompass.accounts.tests.conftest import World, world  # noqa: F401 - fixture
from kompass.catalogue.models import MaturityLevel, MaturityModel, Service
from kompass.catalogue.tests.factories import OzgServiceFactory, ServiceFactory

LEVELS_1_1 = [
    (0, "Offline", False),
    (1, "Information", False),
    (2, "Formular-Assistent", False),
    (3, "Online-Leistung", True),
    (4, "Online-Transaktion", True),
]


def maturity_model_1_1() -> MaturityModel:
    model, _ = MaturityModel.objects.get_or_create(
        code="1.1", defaults={"name": "OZG-Reifegradmodell 1.1", "is_default": True}
    )
    for level, name, compliant in LEVELS_1_1:
        MaturityLevel.objects.get_or_create(
            model=model, level=level, defaults={"name": name, "ozg_compliant": compliant}
        )
    return model


def relevant_service(w, **kwargs) -> Service:
    """A Leistung of the World's Themenfeld that every Kommune executes (LeiKa-Typ 5)."""
    kwargs.setdefault("ozg_service__life_situation__topic", w.topic)
    kwargs.setdefault("ozg_service__topic", w.topic)
    return ServiceFactory(leika_type_codes="5", **kwargs)


@dataclass
class Workspace:
    w: World
    services: list[Service]
    federal: Service  # LeiKa-Typ 1: not relevant for any Kommune


@pytest.fixture
def ws(world) -> Workspace:  # noqa: F811 - the imported fixture
    maturity_model_1_1()
    ozg = OzgServiceFactory(
        ozg_id="09001", name="Meldebescheinigung", life_situation__topic=world.topic
    )
    services = [
        ServiceFactory(
            name=name,
            leika_type_codes="5",
            ozg_service=ozg,
        )
        for name in ("Anmeldung Wohnsitz", "Abmeldung Wohnsitz", "Meldebescheinigung erteilen")
    ]
    services.append(relevant_service(world, name="Hundesteuer Anmeldung"))
    federal = ServiceFactory(name="Reisepass Bund", leika_type_codes="1")
    return Workspace(w=world, services=services, federal=federal)
