"""FilterSet of the Kommunen list (the page and later its exports)."""

import django_filters
from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from kompass.core.forms import KernFilterForm
from kompass.municipalities.choices import MunicipalityLevel
from kompass.municipalities.models import Land, Municipality, MunicipalityType
from kompass.municipalities.selectors import municipality_search_filter


def _land_choices() -> list[tuple[str, str]]:
    return list(Land.objects.values_list("code", "name"))


def _district_choices() -> list[tuple[str, list[tuple[str, str]]]]:
    """The active Kreise grouped by Land; values are ARS (stable across imports)."""
    groups: dict[str, list[tuple[str, str]]] = {}
    rows = (
        Municipality.objects.active()
        .filter(level=MunicipalityLevel.DISTRICT)
        .order_by("land__code", "name", "ars")
        .values_list("ars", "name", "land__name")
    )
    for ars, name, land_name in rows:
        groups.setdefault(land_name, []).append((ars, name))
    return list(groups.items())


def _municipality_type_choices() -> list[tuple[str, list[tuple[str, str]]]]:
    """Kommunaltypen grouped by Land, because every Land defines its own."""
    groups: dict[str, list[tuple[str, str]]] = {}
    for municipality_type in MunicipalityType.objects.select_related("land").order_by(
        "land__code", "position", "name"
    ):
        groups.setdefault(municipality_type.land.name, []).append(
            (str(municipality_type.pk), municipality_type.name)
        )
    return list(groups.items())


class MunicipalityFilterSet(django_filters.FilterSet):
    """Search Kommunen by name, AGS or ARS; filter by Land, Kreis, Kommunaltyp and level."""

    q = django_filters.CharFilter(
        label=_("Name oder Schlüssel"),
        method="filter_search",
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off"}),
        help_text=_("Name, Gemeindeschlüssel (AGS) oder Regionalschlüssel (ARS)"),
    )
    # Choices are filled in __init__ from values_list(): one query each, no model instances
    # (Germany has ~400 Kreise).
    land = django_filters.ChoiceFilter(
        label=_("Land"), field_name="land__code", empty_label=_("alle Länder")
    )
    district = django_filters.ChoiceFilter(
        label=_("Kreis"), field_name="district__ars", empty_label=_("alle Kreise")
    )
    municipality_type = django_filters.ChoiceFilter(
        label=_("Kommunaltyp"),
        method="filter_municipality_type",
        empty_label=_("alle Kommunaltypen"),
    )
    level = django_filters.ChoiceFilter(
        label=_("Ebene"), choices=MunicipalityLevel.choices, empty_label=_("Gemeinden und Kreise")
    )

    class Meta:
        model = Municipality
        fields = ["q", "land", "district", "municipality_type", "level"]
        form = KernFilterForm

    def __init__(self, data=None, *args, **kwargs):
        super().__init__(data if data is not None else {}, *args, **kwargs)
        self.filters["land"].extra["choices"] = _land_choices()
        self.filters["district"].extra["choices"] = _district_choices()
        self.filters["municipality_type"].extra["choices"] = _municipality_type_choices()

    def filter_search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return municipality_search_filter(queryset, value)

    def filter_municipality_type(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(municipality_type_id=int(value))
