"""factory_boy factories for Länder, Kommunaltypen and Kommunen, shared by every app's tests.

A Gemeinde gets a consistent ARS/AGS inside its Kreis: ``MunicipalityFactory(district=kreis)``.
search_text is filled the way the importer does (folded name, AGS and ARS).
"""

import factory

from kompass.core.text import fold
from kompass.municipalities.choices import MunicipalityLevel
from kompass.municipalities.models import (
    AdministrativeRegion,
    Land,
    Municipality,
    MunicipalityType,
    Provider,
)


def municipality_search_text(municipality: Municipality) -> str:
    """The folded search column of a Kommune: name, AGS and ARS."""
    return fold(f"{municipality.name} {municipality.ags} {municipality.ars}")


class LandFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Land
        django_get_or_create = ("code",)

    code = "05"
    name = "Nordrhein-Westfalen"


class AdministrativeRegionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AdministrativeRegion
        django_get_or_create = ("code",)

    land = factory.SubFactory(LandFactory)
    code = factory.LazyAttribute(lambda o: f"{o.land.code}7")
    name = "Detmold"


class MunicipalityTypeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MunicipalityType
        django_get_or_create = ("land", "code")

    land = factory.SubFactory(LandFactory)
    code = "kreisangehoerige-gemeinde"
    name = "Kreisangehörige Gemeinde"
    level = MunicipalityLevel.MUNICIPALITY
    position = 50


class DistrictFactory(factory.django.DjangoModelFactory):
    """A Kreis (level district), e.g. 05766 Kreis Lippe."""

    class Meta:
        model = Municipality

    region = factory.SubFactory(AdministrativeRegionFactory)
    land = factory.LazyAttribute(lambda o: o.region.land)
    # Kreisschlüssel: Land (2) + Regierungsbezirk (1) + Kreis (2).
    district_code = factory.LazyAttributeSequence(lambda o, n: f"{o.region.code}{n % 100:02d}")
    ags = factory.SelfAttribute("district_code")
    ars = factory.LazyAttribute(lambda o: f"{o.district_code}0000000")
    name = factory.Sequence(lambda n: f"Kreis {n}")
    level = MunicipalityLevel.DISTRICT
    municipality_type = factory.SubFactory(
        MunicipalityTypeFactory,
        land=factory.SelfAttribute("..land"),
        code="kreis",
        name="Kreis",
        level=MunicipalityLevel.DISTRICT,
        position=20,
    )
    textkennzeichen = "43"
    population = 340_000
    area_ha = 124_600
    search_text = factory.LazyAttribute(municipality_search_text)


class MunicipalityFactory(factory.django.DjangoModelFactory):
    """A kreisangehörige Gemeinde in a Kreis."""

    class Meta:
        model = Municipality

    district = factory.SubFactory(DistrictFactory)
    land = factory.LazyAttribute(lambda o: o.district.land)
    region = factory.LazyAttribute(lambda o: o.district.region)
    district_code = factory.LazyAttribute(lambda o: o.district.district_code)
    # AGS: Kreisschlüssel + Gemeinde (3); ARS: Kreisschlüssel + Gemeindeverband (4) + Gemeinde (3).
    # The generated Verband part starts with 5, so it never collides with a hand-written real ARS.
    ags = factory.LazyAttributeSequence(lambda o, n: f"{o.district_code}{n % 1000:03d}")
    ars = factory.LazyAttributeSequence(
        lambda o, n: f"{o.district_code}{5000 + n % 5000:04d}{n % 1000:03d}"
    )
    name = factory.Sequence(lambda n: f"Gemeinde {n}")
    level = MunicipalityLevel.MUNICIPALITY
    municipality_type = factory.SubFactory(
        MunicipalityTypeFactory, land=factory.SelfAttribute("..land")
    )
    textkennzeichen = "64"
    population = 12_000
    area_ha = 5_000
    postal_code = "32657"
    search_text = factory.LazyAttribute(municipality_search_text)


class ProviderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Provider
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"IT-Dienstleister {n}")
    slug = factory.Sequence(lambda n: f"it-dienstleister-{n}")
