"""Minimal factories for the accounts tests (own ones, independent of other apps' factories)."""

from datetime import timedelta

import factory
from django.utils import timezone

from kompass.accounts.choices import Role
from kompass.accounts.models import Department, Invitation, RoleAssignment, User
from kompass.catalogue.models import Topic
from kompass.municipalities.choices import MunicipalityLevel
from kompass.municipalities.models import Land, Municipality, Provider

PASSWORD = "ein-sicheres-Testpasswort-42"


class LandFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Land
        django_get_or_create = ("code",)

    code = "05"
    name = "Nordrhein-Westfalen"


class DistrictFactory(factory.django.DjangoModelFactory):
    """A Kreis."""

    class Meta:
        model = Municipality

    ars = factory.Sequence(lambda n: f"05{900 + n:03d}0000000")
    ags = factory.LazyAttribute(lambda o: o.ars[:5])
    district_code = factory.LazyAttribute(lambda o: o.ars[:5])
    name = factory.Sequence(lambda n: f"Kreis {n}")
    level = MunicipalityLevel.DISTRICT
    land = factory.SubFactory(LandFactory)


class MunicipalityFactory(factory.django.DjangoModelFactory):
    """A Gemeinde, by default in a new Kreis."""

    class Meta:
        model = Municipality

    district = factory.SubFactory(DistrictFactory)
    ars = factory.Sequence(lambda n: f"05{n:010d}")
    ags = factory.LazyAttribute(lambda o: o.ars[:5] + o.ars[9:])
    district_code = factory.LazyAttribute(lambda o: o.district.district_code if o.district else "")
    name = factory.Sequence(lambda n: f"Gemeinde {n}")
    level = MunicipalityLevel.MUNICIPALITY
    land = factory.SubFactory(LandFactory)


class ProviderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Provider
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Rechenzentrum {n}")
    slug = factory.Sequence(lambda n: f"rz-{n}")

    @factory.post_generation
    def members(self, create, extracted, **kwargs):
        if create and extracted:
            self.members.add(*extracted)


class TopicFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Topic

    code = factory.Sequence(lambda n: f"topic_{n}")
    name = factory.Sequence(lambda n: f"Themenfeld {n}")
    position = factory.Sequence(int)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"person{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.org")
    password = factory.django.Password(PASSWORD)


class DepartmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Department

    municipality = factory.SubFactory(MunicipalityFactory)
    code = factory.Sequence(lambda n: f"FB {n}")
    name = factory.Sequence(lambda n: f"Fachbereich {n}")


def grant(user: User, role: str, **scope) -> RoleAssignment:
    """Create a role assignment directly (tests of the access rules, not of role_grant)."""
    if role == Role.EDITOR and "municipality" not in scope:
        scope["municipality"] = scope["department"].municipality
    return RoleAssignment.objects.create(user=user, role=role, **scope)


class InvitationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Invitation

    email = factory.Sequence(lambda n: f"eingeladen{n}@example.org")
    role = Role.READER
    municipality = factory.SubFactory(MunicipalityFactory)
    token_hash = factory.Sequence(lambda n: f"{n:064x}")
    expires_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=7))
