"""A small world of tenants for the accounts tests.

Provider "krz" has the members Kreis Lippe with Lemgo, and Kreis Herford with Herford. Bielefeld
belongs to another provider. People: an operator and a Themenpate of krz, Lemgo's admin, a
Bearbeiter and a colleague in Lemgo, a reader for Kreis Lippe, Herford's admin, Bielefeld's admin.
"""

from dataclasses import dataclass

import pytest

from kompass.accounts.choices import Role
from kompass.accounts.models import Department, Invitation, RoleAssignment, User
from kompass.accounts.tests.factories import (
    DepartmentFactory,
    DistrictFactory,
    InvitationFactory,
    MunicipalityFactory,
    ProviderFactory,
    TopicFactory,
    UserFactory,
    grant,
)
from kompass.catalogue.models import Topic
from kompass.municipalities.models import Municipality, Provider


@dataclass
class World:
    provider: Provider
    other_provider: Provider
    lippe: Municipality
    lemgo: Municipality
    kreis_herford: Municipality
    herford: Municipality
    bielefeld: Municipality
    topic: Topic
    other_topic: Topic
    lemgo_department: Department
    lemgo_other_department: Department
    herford_department: Department
    bielefeld_department: Department
    operator: User
    sponsor: User
    lemgo_admin: User
    lemgo_editor: User
    lemgo_colleague: User
    reader: User
    herford_admin: User
    bielefeld_admin: User
    lemgo_editor_role: RoleAssignment
    herford_admin_role: RoleAssignment
    bielefeld_admin_role: RoleAssignment
    lemgo_invitation: Invitation
    herford_invitation: Invitation
    bielefeld_invitation: Invitation

    def tenant(self, name: str) -> Municipality:
        return {"lemgo": self.lemgo, "herford": self.herford, "bielefeld": self.bielefeld}[name]


@pytest.fixture
def world(db) -> World:
    lippe = DistrictFactory(name="Lippe", ars="057660000000")
    lemgo = MunicipalityFactory(name="Lemgo, Stadt", district=lippe, ars="057660044044")
    kreis_herford = DistrictFactory(name="Herford", ars="057580000000")
    herford = MunicipalityFactory(
        name="Herford, Hansestadt", district=kreis_herford, ars="057580012012"
    )
    bielefeld = MunicipalityFactory(name="Bielefeld, Stadt", district=None, ars="057110000000")
    provider = ProviderFactory(name="krz", members=[lippe, lemgo, kreis_herford, herford])
    other_provider = ProviderFactory(name="Anderes RZ", members=[bielefeld])
    topic, other_topic = TopicFactory(name="Familie & Kind"), TopicFactory(name="Umwelt")
    lemgo_department = DepartmentFactory(municipality=lemgo, code="FB 1", name="Bürgerservice")
    lemgo_other_department = DepartmentFactory(municipality=lemgo, code="FB 2", name="Bauen")
    herford_department = DepartmentFactory(municipality=herford, code="FB 1", name="Bürgerbüro")
    bielefeld_department = DepartmentFactory(municipality=bielefeld, code="FB 1", name="Bürgeramt")

    operator = UserFactory(username="betrieb")
    grant(operator, Role.OPERATOR, provider=provider)
    sponsor = UserFactory(username="pate")
    grant(sponsor, Role.TOPIC_SPONSOR, provider=provider, topic=topic)
    lemgo_admin = UserFactory(username="lemgo-admin")
    grant(lemgo_admin, Role.MUNICIPALITY_ADMIN, municipality=lemgo)
    lemgo_editor = UserFactory(username="lemgo-sb")
    lemgo_editor_role = grant(lemgo_editor, Role.EDITOR, department=lemgo_department)
    lemgo_colleague = UserFactory(username="lemgo-kollegin")
    grant(lemgo_colleague, Role.EDITOR, department=lemgo_other_department)
    reader = UserFactory(username="leser")
    grant(reader, Role.READER, district=lippe)
    herford_admin = UserFactory(username="herford-admin")
    herford_admin_role = grant(herford_admin, Role.MUNICIPALITY_ADMIN, municipality=herford)
    bielefeld_admin = UserFactory(username="bielefeld-admin")
    bielefeld_admin_role = grant(bielefeld_admin, Role.MUNICIPALITY_ADMIN, municipality=bielefeld)

    return World(
        provider=provider,
        other_provider=other_provider,
        lippe=lippe,
        lemgo=lemgo,
        kreis_herford=kreis_herford,
        herford=herford,
        bielefeld=bielefeld,
        topic=topic,
        other_topic=other_topic,
        lemgo_department=lemgo_department,
        lemgo_other_department=lemgo_other_department,
        herford_department=herford_department,
        bielefeld_department=bielefeld_department,
        operator=operator,
        sponsor=sponsor,
        lemgo_admin=lemgo_admin,
        lemgo_editor=lemgo_editor,
        lemgo_colleague=lemgo_colleague,
        reader=reader,
        herford_admin=herford_admin,
        bielefeld_admin=bielefeld_admin,
        lemgo_editor_role=lemgo_editor_role,
        herford_admin_role=herford_admin_role,
        bielefeld_admin_role=bielefeld_admin_role,
        lemgo_invitation=InvitationFactory(municipality=lemgo, invited_by=lemgo_admin),
        herford_invitation=InvitationFactory(municipality=herford, invited_by=herford_admin),
        bielefeld_invitation=InvitationFactory(municipality=bielefeld, invited_by=bielefeld_admin),
    )
