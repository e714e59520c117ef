"""FilterSets of the catalogue: one per list, shared by the page and its exports.

Invalid values (an unknown Themenfeld, ?sort=evil) make their field invalid; the FilterSet then
ignores that field, applies the defaults (current entries only, sorted by name) and the page shows
the error next to the field. It never raises.
"""

import django_filters
from django import forms
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from kompass.catalogue.choices import CatalogueEntity, ChangeKind, TargetGroup
from kompass.catalogue.models import CatalogueChange, LeikaType, LifeSituation, Service, Topic
from kompass.catalogue.selectors import SERVICE_ORDERINGS, service_search_filter
from kompass.core.forms import KernFilterForm

STATUS_CURRENT = "current"
STATUS_RETIRED = "retired"
STATUS_ALL = "all"
STATUS_CHOICES = [
    (STATUS_CURRENT, _("nur aktuelle")),
    (STATUS_RETIRED, _("nur entfallene")),
    (STATUS_ALL, _("aktuelle und entfallene")),
]

SDG_ANY = "any"
SDG_NONE = "none"
SDG_CHOICES = [
    (SDG_ANY, _("SDG-relevant (Anhang I oder II)")),
    ("sdg1", _("SDG-relevant nach Anhang I")),
    ("sdg2", _("SDG-relevant nach Anhang II")),
    (SDG_NONE, _("nicht SDG-relevant")),
]

SORT_DEFAULT = "name"
SORT_CHOICES = [
    ("name", _("Bezeichnung (A–Z)")),
    ("-name", _("Bezeichnung (Z–A)")),
    ("key", _("Schlüssel (aufsteigend)")),
    ("-key", _("Schlüssel (absteigend)")),
    ("ozg", _("OZG-Leistung (aufsteigend)")),
    ("-ozg", _("OZG-Leistung (absteigend)")),
    ("topic", _("Themenfeld (aufsteigend)")),
    ("-topic", _("Themenfeld (absteigend)")),
]


def _topic_choices() -> list[tuple[str, str]]:
    return list(Topic.objects.values_list("code", "name"))


def _life_situation_choices() -> list[tuple[str, list[tuple[str, str]]]]:
    """Lebens-/Unternehmenslagen grouped by Themenfeld (as <optgroup>s)."""
    groups: dict[str, list[tuple[str, str]]] = {}
    rows = LifeSituation.objects.order_by("topic__position", "topic__name", "name").values_list(
        "pk", "name", "topic__name"
    )
    for pk, name, topic_name in rows:
        groups.setdefault(topic_name, []).append((str(pk), name))
    return list(groups.items())


def _leika_type_choices() -> list[tuple[str, str]]:
    choices = []
    for code, regulation, execution, known in LeikaType.objects.values_list(
        "code", "regulation", "execution", "meaning_known"
    ):
        choices.append((code, f"{code}: {regulation} / {execution}" if known else code))
    return choices


class ServiceFilterSet(django_filters.FilterSet):
    """Search, filter and sort the LeiKa-Leistungen (the list page and its exports)."""

    q = django_filters.CharFilter(
        label=_("Suchbegriff"),
        method="filter_search",
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off"}),
        help_text=_("Bezeichnung, LeiKa-Schlüssel oder OZG-ID; Umlaute wie ae, oe, ue möglich."),
    )
    # Choices come from values_list() (filled in __init__, one query each): model choice fields
    # instantiated ~150 objects per request, a fifth of the page's time.
    topic = django_filters.ChoiceFilter(
        label=_("Themenfeld"), field_name="topic__code", empty_label=_("alle Themenfelder")
    )
    life_situation = django_filters.ChoiceFilter(
        label=_("Lebens-/Unternehmenslage"),
        field_name="life_situation_id",
        empty_label=_("alle Lebens-/Unternehmenslagen"),
    )
    leika_type = django_filters.ChoiceFilter(
        label=_("LeiKa-Typ"), field_name="leika_types__code", empty_label=_("alle LeiKa-Typen")
    )
    target_group = django_filters.ChoiceFilter(
        label=_("Zielgruppe"), choices=TargetGroup.choices, empty_label=_("alle Zielgruppen")
    )
    sdg = django_filters.ChoiceFilter(
        label=_("SDG-Relevanz"),
        choices=SDG_CHOICES,
        method="filter_sdg",
        empty_label=_("egal"),
    )
    status = django_filters.ChoiceFilter(
        label=_("Katalogstatus"),
        choices=STATUS_CHOICES,
        method="filter_status",
        empty_label=None,
    )
    sort = django_filters.ChoiceFilter(
        label=_("Sortierung"),
        choices=SORT_CHOICES,
        method="filter_sort",
        empty_label=None,
    )

    class Meta:
        model = Service
        fields = ["q", "topic", "life_situation", "leika_type", "target_group", "sdg", "status"]
        form = KernFilterForm

    def __init__(self, data=None, *args, **kwargs):
        # Always bound: a list without parameters is the default filter (current, by name).
        super().__init__(data if data is not None else {}, *args, **kwargs)
        self.filters["topic"].extra["choices"] = _topic_choices()
        self.filters["life_situation"].extra["choices"] = _life_situation_choices()
        self.filters["leika_type"].extra["choices"] = _leika_type_choices()

    def filter_queryset(self, queryset: QuerySet) -> QuerySet:
        queryset = super().filter_queryset(queryset)
        cleaned = self.form.cleaned_data
        if not cleaned.get("status"):
            queryset = self.filter_status(queryset, "status", STATUS_CURRENT)
        if not cleaned.get("sort"):
            queryset = self.filter_sort(queryset, "sort", SORT_DEFAULT)
        return queryset

    def filter_search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return service_search_filter(queryset, value)

    def filter_sdg(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        if value == SDG_ANY:
            return queryset.filter(Q(sdg1_relevant=True) | Q(sdg2_relevant=True))
        if value == SDG_NONE:
            return queryset.filter(sdg1_relevant=False, sdg2_relevant=False)
        return queryset.filter(**{f"{value}_relevant": True})

    def filter_status(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        if value == STATUS_CURRENT:
            return queryset.filter(retired_in__isnull=True)
        if value == STATUS_RETIRED:
            return queryset.filter(retired_in__isnull=False)
        return queryset

    def filter_sort(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.order_by(*SERVICE_ORDERINGS[value])

    @property
    def active_sort(self) -> str:
        return self.form.cleaned_data.get("sort") or SORT_DEFAULT


class CatalogueChangeFilterSet(django_filters.FilterSet):
    """Filter a release's change report by level and kind."""

    entity = django_filters.ChoiceFilter(
        label=_("Ebene"), choices=CatalogueEntity.choices, empty_label=_("alle Ebenen")
    )
    kind = django_filters.ChoiceFilter(
        label=_("Art der Änderung"), choices=ChangeKind.choices, empty_label=_("alle Arten")
    )

    class Meta:
        model = CatalogueChange
        fields = ["entity", "kind"]
        form = KernFilterForm

    def __init__(self, data=None, *args, **kwargs):
        super().__init__(data if data is not None else {}, *args, **kwargs)
