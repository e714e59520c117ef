"""Read access to the catalogue (public reference data)."""

from kompass.catalogue.models import CatalogueRelease, LifeSituation, OzgService, Service, Topic


def catalogue_counts() -> dict:
    return {
        "topics": Topic.objects.current().count(),
        "life_situations": LifeSituation.objects.current().count(),
        "ozg_services": OzgService.objects.current().count(),
        "services": Service.objects.current().count(),
        "current_release": CatalogueRelease.objects.first(),
    }
