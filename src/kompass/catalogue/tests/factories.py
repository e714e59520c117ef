"""factory_boy factories for the catalogue, shared by every app's tests.

ServiceFactory fills search_text the way the importer does (folded name, keys and OZG-Leistung), so
search tests work without running an import. Build a chain top-down:
``ServiceFactory(ozg_service__life_situation__topic__name="Familie & Kind")``.
"""

import factory

from kompass.catalogue.choices import CatalogueEntity, ChangeKind, TargetGroup
from kompass.catalogue.models import (
    CatalogueChange,
    CatalogueRelease,
    LeikaType,
    LifeSituation,
    OzgService,
    Service,
    Topic,
)
from kompass.core.text import fold


def service_search_text(service: Service) -> str:
    """The folded search column of a service: name, keys, OZG-ID and OZG-Leistung name."""
    parts = [service.name, service.catalogue_key, service.leika_key or ""]
    if service.ozg_service is not None:
        parts += [service.ozg_service.ozg_id, service.ozg_service.name]
    return fold(" ".join(part for part in parts if part))


class CatalogueReleaseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CatalogueRelease
        skip_postgeneration_save = True

    label = factory.Sequence(lambda n: f"Katalogstand {n + 1}")
    source = "test"
    counts = factory.LazyFunction(
        lambda: {"topics": 14, "life_situations": 58, "ozg_services": 557, "services": 5249}
    )

    @factory.post_generation
    def imported_at(self, create, extracted, **kwargs):
        # imported_at is auto_now_add; tests that need a fixed date pass imported_at=….
        if create and extracted is not None:
            CatalogueRelease.objects.filter(pk=self.pk).update(imported_at=extracted)
            self.imported_at = extracted


class CatalogueChangeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CatalogueChange

    release = factory.SubFactory(CatalogueReleaseFactory)
    entity = CatalogueEntity.SERVICE
    key = factory.Sequence(lambda n: f"99{n:012d}")
    name = factory.Sequence(lambda n: f"Geänderte Leistung {n}")
    kind = ChangeKind.ADDED
    fields = factory.LazyFunction(dict)


class TopicFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Topic
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"themenfeld-{n}")
    name = factory.Sequence(lambda n: f"Themenfeld {n}")
    position = factory.Sequence(lambda n: n)


class LifeSituationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LifeSituation

    name = factory.Sequence(lambda n: f"Lebenslage {n}")
    topic = factory.SubFactory(TopicFactory)
    target_group = TargetGroup.CITIZENS


class OzgServiceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OzgService

    ozg_id = factory.Sequence(lambda n: f"{10000 + n:05d}")
    name = factory.Sequence(lambda n: f"OZG-Leistung {n}")
    life_situation = factory.SubFactory(LifeSituationFactory)
    topic = factory.LazyAttribute(lambda o: o.life_situation.topic if o.life_situation else None)


# The published meanings (data/catalogue/leika_typisierung.csv); other codes have none.
LEIKA_TYPE_MEANINGS = {
    "1": ("Bund", "Bund"),
    "2": ("Bund", "Land oder Kommune"),
    "3": ("Bund", "Land oder Kommune"),
    "2/3": ("Bund", "Land oder Kommune"),
    "4": ("Land", "Land oder Kommune"),
    "5": ("Kommune", "Kommune"),
}


class LeikaTypeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LeikaType
        django_get_or_create = ("code",)

    code = "2/3"
    regulation = factory.LazyAttribute(lambda o: LEIKA_TYPE_MEANINGS.get(o.code, ("", ""))[0])
    execution = factory.LazyAttribute(lambda o: LEIKA_TYPE_MEANINGS.get(o.code, ("", ""))[1])
    meaning_known = factory.LazyAttribute(lambda o: o.code in LEIKA_TYPE_MEANINGS)


class ServiceFactory(factory.django.DjangoModelFactory):
    """A LeiKa-Leistung with a valid 14-digit key whose parts match the part fields."""

    class Meta:
        model = Service
        skip_postgeneration_save = True

    leika_group = factory.Sequence(lambda n: f"{n // 1000 % 1000:03d}")
    leika_identifier = factory.Sequence(lambda n: f"{n % 1000:03d}")
    action = "012"
    action_detail = "000"
    leika_key = factory.LazyAttribute(
        lambda o: f"99{o.leika_group}{o.leika_identifier}{o.action}{o.action_detail}"
    )
    catalogue_key = factory.LazyAttribute(lambda o: o.leika_key)
    name = factory.Sequence(lambda n: f"Leistung {n}")
    ozg_service = factory.SubFactory(OzgServiceFactory)
    life_situation = factory.LazyAttribute(
        lambda o: o.ozg_service.life_situation if o.ozg_service else None
    )
    topic = factory.LazyAttribute(lambda o: o.ozg_service.topic if o.ozg_service else None)
    leika_type_codes = "2/3"
    target_group = TargetGroup.CITIZENS
    search_text = factory.LazyAttribute(service_search_text)

    @factory.post_generation
    def leika_types(self, create, extracted, **kwargs):
        """Link LeikaType rows for the codes in leika_type_codes (or the ones passed in)."""
        if not create:
            return
        if extracted is None:
            codes = [c.strip() for c in self.leika_type_codes.split(",") if c.strip()]
            extracted = [LeikaTypeFactory(code=code) for code in codes]
        self.leika_types.set(extracted)


def retire(entry, release: CatalogueRelease | None = None):
    """Mark a catalogue entry as retired in a (new) release, as an import would."""
    entry.retired_in = release or CatalogueReleaseFactory()
    entry.save(update_fields=["retired_in"])
    return entry
