"""Read access to Kommunen (public reference data)."""

from django.db.models import QuerySet
from django.http import Http404

from kompass.core.text import search_terms
from kompass.municipalities.choices import MunicipalityLevel
from kompass.municipalities.models import Land, Municipality


def municipality_counts() -> dict[str, int]:
    active = Municipality.objects.active()
    return {
        "municipalities": active.filter(level=MunicipalityLevel.MUNICIPALITY).count(),
        "districts": active.filter(level=MunicipalityLevel.DISTRICT).count(),
        "lands": Land.objects.count(),
    }


def municipality_search_queryset() -> QuerySet[Municipality]:
    """The base of the Kommunen list: active Kommunen with only the columns the list shows."""
    return (
        Municipality.objects.active()
        .select_related("land", "district", "municipality_type")
        .only(
            "ars",
            "ags",
            "name",
            "level",
            "population",
            "land__name",
            "district__name",
            "district__ars",
            "municipality_type__name",
        )
        .order_by("name", "ars")
    )


def municipality_search_filter(
    queryset: QuerySet[Municipality], query: str
) -> QuerySet[Municipality]:
    """Keep Kommunen whose folded name, AGS or ARS contains every term of query."""
    for term in search_terms(query):
        queryset = queryset.filter(search_text__contains=term)
    return queryset


def municipality_get(*, ars: str) -> Municipality:
    """One Kommune (dissolved ones too, they are still referenced) with its Land, Kreis and type."""
    try:
        return Municipality.objects.select_related(
            "land", "region", "district", "municipality_type"
        ).get(ars=ars)
    except Municipality.DoesNotExist:
        raise Http404("Kommune nicht gefunden") from None


def district_members(*, district: Municipality) -> QuerySet[Municipality]:
    """The active Gemeinden of a Kreis with their type, by name."""
    return (
        district.members.active()
        .select_related("municipality_type")
        .only("ars", "ags", "name", "population", "municipality_type__name")
        .order_by("name", "ars")
    )
