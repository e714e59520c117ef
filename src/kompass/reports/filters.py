"""FilterSet of the provider heat map (the page and its exports)."""

import django_filters
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from kompass.core.forms import KernFilterForm
from kompass.municipalities.choices import MunicipalityLevel
from kompass.municipalities.models import Municipality, MunicipalityType


class MemberFilterSet(django_filters.FilterSet):
    """A provider's member Kommunen by Kreis (the Kreis and its Gemeinden) and Kommunaltyp; the
    choices are only those that occur among the members."""

    district = django_filters.ChoiceFilter(
        label=_("Kreis"), method="filter_district", empty_label=_("alle Kreise")
    )
    municipality_type = django_filters.ChoiceFilter(
        label=_("Kommunaltyp"),
        field_name="municipality_type_id",
        empty_label=_("alle Kommunaltypen"),
    )

    class Meta:
        model = Municipality
        fields = ["district", "municipality_type"]
        form = KernFilterForm

    def __init__(self, data=None, *args, members: QuerySet[Municipality], **kwargs):
        super().__init__(data if data is not None else {}, *args, queryset=members, **kwargs)
        self.filters["district"].extra["choices"] = [
            (str(pk), name)
            for pk, name in Municipality.objects.filter(
                level=MunicipalityLevel.DISTRICT, pk__in=members.values("pk")
            )
            .order_by("name")
            .values_list("pk", "name")
        ]
        self.filters["municipality_type"].extra["choices"] = [
            (str(pk), name)
            for pk, name in MunicipalityType.objects.filter(
                pk__in=members.values("municipality_type_id")
            )
            .order_by("position", "name")
            .values_list("pk", "name")
        ]

    def filter_district(self, queryset, name, value):
        return queryset.filter(Q(pk=int(value)) | Q(district_id=int(value)))
