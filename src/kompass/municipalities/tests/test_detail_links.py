import pytest
from django.urls import reverse

from kompass.accounts.choices import Role
from kompass.accounts.tests.factories import UserFactory, grant
from kompass.municipalities.tests.factories import MunicipalityFactory

pytestmark = pytest.mark.django_db


def test_relevant_list_link_only_for_people_who_may_see_the_kommune(client):
    lemgo = MunicipalityFactory(name="Lemgo, Stadt")
    herford = MunicipalityFactory(name="Herford, Hansestadt")
    admin = UserFactory()
    grant(admin, Role.MUNICIPALITY_ADMIN, municipality=lemgo)
    relevance_url = reverse("relevance:municipality", kwargs={"pk": lemgo.pk})

    def detail(municipality):
        url = reverse("municipalities:municipality-detail", kwargs={"ars": municipality.ars})
        return client.get(url).content.decode()

    assert relevance_url not in detail(lemgo)  # anonymous: public page only
    client.force_login(admin)
    assert relevance_url in detail(lemgo)
    assert reverse("implementation:list", kwargs={"pk": lemgo.pk}) in detail(lemgo)
    assert reverse("relevance:municipality", kwargs={"pk": herford.pk}) not in detail(herford)
