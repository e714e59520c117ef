"""A small relevance world: NRW with its seven Kommunaltypen, Kreis Lippe with Lemgo (Mittlere
kreisangehörige Stadt), Bad Salzuflen (also Mittlere), Kalletal (kreisangehörige Gemeinde);
Herford (another member of the same provider); Bielefeld (another provider); a Hessian type.
Themenfelder "Familie & Kind" and "Mobilität & Reisen" (the Themenpate's) and "Umwelt" (not).
"""

from dataclasses import dataclass

import pytest

from kompass.accounts.choices import Role
from kompass.accounts.models import User
from kompass.accounts.tests.factories import DepartmentFactory, UserFactory, grant
from kompass.catalogue.models import OzgService, Service, Topic
from kompass.catalogue.tests.factories import OzgServiceFactory, ServiceFactory, TopicFactory
from kompass.municipalities.choices import MunicipalityLevel
from kompass.municipalities.models import Land, Municipality, MunicipalityType, Provider
from kompass.municipalities.tests.factories import (
    DistrictFactory,
    LandFactory,
    MunicipalityFactory,
    MunicipalityTypeFactory,
    ProviderFactory,
)

NRW_TYPES = (
    ("kreisfreie-stadt", "kreisfreie Stadt", MunicipalityLevel.MUNICIPALITY),
    ("kreis", "Kreis", MunicipalityLevel.DISTRICT),
    ("staedteregion", "Städteregion", MunicipalityLevel.DISTRICT),
    (
        "grosse-kreisangehoerige-stadt",
        "Große kreisangehörige Stadt",
        MunicipalityLevel.MUNICIPALITY,
    ),
    (
        "mittlere-kreisangehoerige-stadt",
        "Mittlere kreisangehörige Stadt",
        MunicipalityLevel.MUNICIPALITY,
    ),
    ("kreisangehoerige-stadt", "kreisangehörige Stadt", MunicipalityLevel.MUNICIPALITY),
    ("kreisangehoerige-gemeinde", "kreisangehörige Gemeinde", MunicipalityLevel.MUNICIPALITY),
)


def nrw_types(land: Land) -> dict[str, MunicipalityType]:
    return {
        code: MunicipalityTypeFactory(land=land, code=code, name=name, level=level, position=i)
        for i, (code, name, level) in enumerate(NRW_TYPES, start=1)
    }


@dataclass
class RelevanceWorld:
    nrw: Land
    hessen: Land
    types: dict[str, MunicipalityType]
    hessen_type: MunicipalityType
    provider: Provider
    lippe: Municipality
    lemgo: Municipality
    salzuflen: Municipality
    kalletal: Municipality
    herford: Municipality
    bielefeld: Municipality
    family: Topic
    mobility: Topic
    environment: Topic
    elterngeld: OzgService
    kita: OzgService
    elterngeld_services: list[Service]
    kita_services: list[Service]
    mobility_service: Service
    environment_service: Service
    federal_service: Service
    municipal_service: Service
    operator: User
    sponsor: User
    lemgo_admin: User
    lemgo_editor: User
    reader: User
    herford_admin: User

    @property
    def mittlere(self) -> MunicipalityType:
        return self.types["mittlere-kreisangehoerige-stadt"]


@pytest.fixture
def rw(db) -> RelevanceWorld:
    nrw = LandFactory(code="05", name="Nordrhein-Westfalen")
    hessen = LandFactory(code="06", name="Hessen")
    types = nrw_types(nrw)
    hessen_type = MunicipalityTypeFactory(
        land=hessen, code="gemeinde", name="Gemeinde", level=MunicipalityLevel.MUNICIPALITY
    )
    lippe = DistrictFactory(name="Lippe", land=nrw, municipality_type=types["kreis"])
    lemgo = MunicipalityFactory(
        name="Lemgo, Stadt",
        district=lippe,
        municipality_type=types["mittlere-kreisangehoerige-stadt"],
    )
    salzuflen = MunicipalityFactory(
        name="Bad Salzuflen, Stadt",
        district=lippe,
        municipality_type=types["mittlere-kreisangehoerige-stadt"],
    )
    kalletal = MunicipalityFactory(
        name="Kalletal", district=lippe, municipality_type=types["kreisangehoerige-gemeinde"]
    )
    kreis_herford = DistrictFactory(name="Herford", land=nrw, municipality_type=types["kreis"])
    herford = MunicipalityFactory(
        name="Herford, Hansestadt",
        district=kreis_herford,
        municipality_type=types["grosse-kreisangehoerige-stadt"],
    )
    bielefeld = MunicipalityFactory(
        name="Bielefeld, Stadt",
        district=None,
        land=nrw,
        region=lippe.region,
        district_code="05711",
        municipality_type=types["kreisfreie-stadt"],
    )
    provider = ProviderFactory(name="krz", slug="krz")
    provider.members.add(lippe, lemgo, salzuflen, kalletal, kreis_herford, herford)
    other_provider = ProviderFactory(name="Anderes RZ", slug="anderes-rz")
    other_provider.members.add(bielefeld)

    family = TopicFactory(code="familie_kind", name="Familie & Kind", position=6)
    mobility = TopicFactory(code="mobilitaet_reisen", name="Mobilität & Reisen", position=9)
    environment = TopicFactory(code="umwelt", name="Umwelt", position=13)
    elterngeld = OzgServiceFactory(
        ozg_id="10000", name="Elterngeld", life_situation__topic=family, topic=family
    )
    kita = OzgServiceFactory(
        ozg_id="10019", name="Kindertagesbetreuung", life_situation__topic=family, topic=family
    )
    elterngeld_services = [
        ServiceFactory(name=f"Elterngeld {verb}", ozg_service=elterngeld, leika_type_codes="4")
        for verb in ("beantragen", "ändern", "verlängern")
    ]
    kita_services = [
        ServiceFactory(name=f"Kita-Platz {verb}", ozg_service=kita, leika_type_codes="2/3")
        for verb in ("beantragen", "kündigen")
    ]
    federal_service = ServiceFactory(
        name="Kindergeld beantragen", ozg_service=elterngeld, leika_type_codes="1"
    )
    municipal_service = ServiceFactory(
        name="Kita-Gebühren ermäßigen", ozg_service=kita, leika_type_codes="5"
    )
    mobility_service = ServiceFactory(
        name="Anwohnerparkausweis beantragen",
        ozg_service__ozg_id="10200",
        ozg_service__life_situation__topic=mobility,
        ozg_service__topic=mobility,
    )
    environment_service = ServiceFactory(
        name="Baumfällung anzeigen",
        ozg_service__ozg_id="10300",
        ozg_service__life_situation__topic=environment,
        ozg_service__topic=environment,
    )

    operator = UserFactory(username="betrieb")
    grant(operator, Role.OPERATOR, provider=provider)
    sponsor = UserFactory(username="pate", first_name="Paul", last_name="Pate")
    grant(sponsor, Role.TOPIC_SPONSOR, provider=provider, topic=family)
    grant(sponsor, Role.TOPIC_SPONSOR, provider=provider, topic=mobility)
    lemgo_admin = UserFactory(username="lemgo-admin", first_name="Lena", last_name="Lemgo")
    grant(lemgo_admin, Role.MUNICIPALITY_ADMIN, municipality=lemgo)
    lemgo_editor = UserFactory(username="lemgo-sb")
    grant(lemgo_editor, Role.EDITOR, department=DepartmentFactory(municipality=lemgo))
    reader = UserFactory(username="leser")
    grant(reader, Role.READER, district=lippe)
    herford_admin = UserFactory(username="herford-admin")
    grant(herford_admin, Role.MUNICIPALITY_ADMIN, municipality=herford)

    return RelevanceWorld(
        nrw=nrw,
        hessen=hessen,
        types=types,
        hessen_type=hessen_type,
        provider=provider,
        lippe=lippe,
        lemgo=lemgo,
        salzuflen=salzuflen,
        kalletal=kalletal,
        herford=herford,
        bielefeld=bielefeld,
        family=family,
        mobility=mobility,
        environment=environment,
        elterngeld=elterngeld,
        kita=kita,
        elterngeld_services=elterngeld_services,
        kita_services=kita_services,
        mobility_service=mobility_service,
        environment_service=environment_service,
        federal_service=federal_service,
        municipal_service=municipal_service,
        operator=operator,
        sponsor=sponsor,
        lemgo_admin=lemgo_admin,
        lemgo_editor=lemgo_editor,
        reader=reader,
        herford_admin=herford_admin,
    )
