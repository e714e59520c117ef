import pytest
from django.urls import reverse

from kompass.accounts import selectors
from kompass.accounts.models import Department, RoleAssignment, User
from kompass.accounts.services import demo_accounts_create
from kompass.accounts.tests.factories import (
    DistrictFactory,
    MunicipalityFactory,
    ProviderFactory,
    TopicFactory,
)
from kompass.municipalities.models import Provider

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo_provider():
    lippe = DistrictFactory(name="Lippe", ars="057660000000")
    kreis_herford = DistrictFactory(name="Herford", ars="057580000000")
    lemgo = MunicipalityFactory(name="Lemgo, Stadt", ars="057660044044", district=lippe)
    detmold = MunicipalityFactory(name="Detmold, Stadt", ars="057660020020", district=lippe)
    herford = MunicipalityFactory(
        name="Herford, Hansestadt", ars="057580012012", district=kreis_herford
    )
    TopicFactory(code="familie_kind", name="Familie & Kind")
    TopicFactory(code="mobilitaet_reisen", name="Mobilität & Reisen")
    TopicFactory(code="umwelt", name="Umwelt")
    return ProviderFactory(
        slug="krz-demo",
        name="krz Minden-Ravensberg/Lippe (Demo)",
        members=[lippe, kreis_herford, lemgo, detmold, herford],
    )


def test_demo_accounts_are_created_once_with_their_roles(demo_provider, client):
    accounts = demo_accounts_create()
    assert [name for name, _ in accounts] == [
        "betrieb",
        "pate",
        "lemgo-admin",
        "lemgo-sb",
        "herford-admin",
        "leser",
    ]
    assert all(description for _, description in accounts)
    counts = (User.objects.count(), RoleAssignment.objects.count(), Department.objects.count())
    assert demo_accounts_create() == accounts
    assert counts == (
        User.objects.count(),
        RoleAssignment.objects.count(),
        Department.objects.count(),
    )
    users = {u.username: u for u in User.objects.all()}
    assert users["lemgo-sb"].check_password("demo")
    assert selectors.is_platform_operator(users["betrieb"])
    assert sorted(t.code for t in selectors.topics_sponsored_by(users["pate"])) == [
        "familie_kind",
        "mobilitaet_reisen",
    ]
    visible = sorted(m.name for m in selectors.municipalities_visible_to(users["leser"]))
    assert visible == ["Detmold, Stadt", "Lemgo, Stadt", "Lippe"]
    assert Department.objects.get(municipality__ars="057660044044").name == "Bürgerservice"
    response = client.post(reverse("accounts:login"), {"username": "lemgo-sb", "password": "demo"})
    assert response.status_code == 302


def test_demo_accounts_need_the_demo_data(db):
    with pytest.raises(Provider.DoesNotExist):
        demo_accounts_create()
