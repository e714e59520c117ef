"""The real shipped catalogue (data/catalogue): counts, stable keys, and an idempotent re-import."""

import time

import pytest
from django.conf import settings

from kompass.catalogue.choices import TargetGroup
from kompass.catalogue.models import CatalogueChange, LifeSituation, OzgService, Service, Topic
from kompass.catalogue.services import catalogue_import


@pytest.mark.django_db
def test_shipped_catalogue_imports_completely_and_idempotently():
    started = time.perf_counter()
    first = catalogue_import(directory=settings.KOMPASS_DATA_DIR / "catalogue", label="KDN 2019")
    seconds = time.perf_counter() - started

    expected = {"topics": 14, "life_situations": 58, "ozg_services": 557, "services": 5249}
    assert first.counts == expected
    assert first.added_count == 14 + 58 + 557 + 5249
    assert (Topic.objects.count(), LifeSituation.objects.count()) == (14, 58)
    assert (OzgService.objects.count(), Service.objects.count()) == (557, 5249)

    not_in_leika = Service.objects.filter(leika_key__isnull=True)
    assert not_in_leika.count() == 436
    assert all(
        key.startswith("NL-") for key in not_in_leika.values_list("catalogue_key", flat=True)
    )
    duplicate = Service.objects.filter(
        name="Überwachung von Managementsystemen über zulassungspflichtige Versandstücke zur "
        "Beförderung radioaktiver Stoffe"
    ).order_by("pk")
    base, second = duplicate.values_list("catalogue_key", flat=True)
    assert second == f"{base}-2"
    assert Service.objects.filter(ozg_service__isnull=True).count() == 26
    assert Service.objects.filter(leika_types__isnull=True).count() == 8
    assert Service.objects.filter(leika_type_codes="1, 2/3", leika_types__code="2/3").count() == 20

    passport = Service.objects.get(leika_key="99008001012000")
    assert passport.ozg_service.ozg_id == "10119"
    assert (passport.leika_group, passport.leika_identifier) == ("008", "001")
    assert (passport.action, passport.action_detail) == ("012", "000")
    assert passport.topic_id == passport.ozg_service.topic_id is not None

    business = LifeSituation.objects.get(name="Unternehmensstart & Gewerbezulassung")
    assert business.target_group == TargetGroup.BUSINESSES
    assert LifeSituation.objects.get(name="Geburt").target_group == TargetGroup.CITIZENS
    assert (
        Service.objects.filter(life_situation=business)
        .exclude(target_group=TargetGroup.BUSINESSES)
        .count()
        == 0
    )
    assert any("10513" in warning for warning in first.warnings)

    second_run = catalogue_import(directory=settings.KOMPASS_DATA_DIR / "catalogue")
    assert (second_run.added_count, second_run.changed_count, second_run.retired_count) == (0, 0, 0)
    assert not CatalogueChange.objects.filter(release=second_run).exists()
    assert second_run.counts == expected
    # Not a benchmark (see bench/), but a gross regression shows here first.
    assert seconds < 60
