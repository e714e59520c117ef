"""Read access to Kommunen (public reference data)."""

from kompass.municipalities.choices import MunicipalityLevel
from kompass.municipalities.models import Land, Municipality


def municipality_counts() -> dict[str, int]:
    active = Municipality.objects.active()
    return {
        "municipalities": active.filter(level=MunicipalityLevel.MUNICIPALITY).count(),
        "districts": active.filter(level=MunicipalityLevel.DISTRICT).count(),
        "lands": Land.objects.count(),
    }
