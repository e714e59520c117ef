"""Read access to the catalogue (public reference data).

Every browse function takes include_retired: retired entries stay in the database (Kommunen's data
hangs on them) but are hidden from browse lists unless asked for. Counts are computed with one
grouped query per level, never per row.
"""

from django.core.exceptions import FieldDoesNotExist
from django.db.models import Case, Count, F, Prefetch, QuerySet, Value, When
from django.http import Http404
from django.utils.translation import gettext_lazy as _

from kompass.catalogue.choices import CatalogueEntity, ChangeKind
from kompass.catalogue.models import (
    CatalogueChange,
    CatalogueRelease,
    LeikaType,
    LifeSituation,
    OzgService,
    Service,
    Topic,
)
from kompass.core.text import search_terms


def topic_choices() -> list[tuple[str, str]]:
    """The current Themenfelder as (code, name) choices of a filter select, after an entry for
    all of them; read in one query whenever a form is built, not each time it is rendered."""
    return [("", _("alle Themenfelder")), *Topic.objects.current().values_list("code", "name")]


def catalogue_counts() -> dict:
    return {
        "topics": Topic.objects.current().count(),
        "life_situations": LifeSituation.objects.current().count(),
        "ozg_services": OzgService.objects.current().count(),
        "services": Service.objects.current().count(),
        "current_release": CatalogueRelease.objects.first(),
    }


def _visible(queryset: QuerySet, *, include_retired: bool) -> QuerySet:
    return queryset if include_retired else queryset.current()


def _counts_by(queryset: QuerySet, field: str, *, include_retired: bool) -> dict[int, int]:
    """{foreign key id: number of rows} in one grouped query."""
    rows = (
        _visible(queryset, include_retired=include_retired)
        .order_by()
        .values(field)
        .annotate(n=Count("pk"))
    )
    return {row[field]: row["n"] for row in rows}


# --- Themenfeld → Lebenslage → OZG-Leistung → LeiKa-Leistung ---------------------------------


def topic_list(*, include_retired: bool = False) -> list[Topic]:
    """All Themenfelder with the number of current entries below them (attributes *_count)."""
    topics = list(
        _visible(Topic.objects.select_related("retired_in"), include_retired=include_retired)
    )
    life_situations = _counts_by(LifeSituation.objects, "topic_id", include_retired=include_retired)
    ozg_services = _counts_by(OzgService.objects, "topic_id", include_retired=include_retired)
    services = _counts_by(Service.objects, "topic_id", include_retired=include_retired)
    for topic in topics:
        topic.life_situation_count = life_situations.get(topic.pk, 0)
        topic.ozg_service_count = ozg_services.get(topic.pk, 0)
        topic.service_count = services.get(topic.pk, 0)
    return topics


def topic_get(*, code: str) -> Topic:
    try:
        return Topic.objects.select_related("first_release", "retired_in").get(code=code)
    except Topic.DoesNotExist:
        raise Http404("Themenfeld nicht gefunden") from None


def life_situation_list_for_topic(
    *, topic: Topic, include_retired: bool = False
) -> list[LifeSituation]:
    """The Lebens-/Unternehmenslagen of a Themenfeld with their OZG- and LeiKa-Leistungen counts."""
    life_situations = list(
        _visible(
            topic.life_situations.select_related("retired_in"), include_retired=include_retired
        )
    )
    ids = [ls.pk for ls in life_situations]
    ozg_services = _counts_by(
        OzgService.objects.filter(life_situation_id__in=ids),
        "life_situation_id",
        include_retired=include_retired,
    )
    services = _counts_by(
        Service.objects.filter(life_situation_id__in=ids),
        "life_situation_id",
        include_retired=include_retired,
    )
    for life_situation in life_situations:
        life_situation.ozg_service_count = ozg_services.get(life_situation.pk, 0)
        life_situation.service_count = services.get(life_situation.pk, 0)
    return life_situations


def life_situation_get(*, pk: int) -> LifeSituation:
    try:
        return LifeSituation.objects.select_related("topic", "first_release", "retired_in").get(
            pk=pk
        )
    except LifeSituation.DoesNotExist:
        raise Http404("Lebenslage nicht gefunden") from None


def _with_service_counts(ozg_services: QuerySet, *, include_retired: bool) -> list[OzgService]:
    ozg_services = list(ozg_services.select_related("retired_in"))
    counts = _counts_by(
        Service.objects.filter(ozg_service_id__in=[o.pk for o in ozg_services]),
        "ozg_service_id",
        include_retired=include_retired,
    )
    for ozg_service in ozg_services:
        ozg_service.service_count = counts.get(ozg_service.pk, 0)
    return ozg_services


def ozg_service_list_for_life_situation(
    *, life_situation: LifeSituation, include_retired: bool = False
) -> list[OzgService]:
    return _with_service_counts(
        _visible(life_situation.ozg_services.all(), include_retired=include_retired),
        include_retired=include_retired,
    )


def ozg_service_list_without_life_situation(
    *, topic: Topic, include_retired: bool = False
) -> list[OzgService]:
    """OZG-Leistungen of a Themenfeld that the catalogue assigns to no Lebenslage."""
    return _with_service_counts(
        _visible(
            topic.ozg_services.filter(life_situation__isnull=True), include_retired=include_retired
        ),
        include_retired=include_retired,
    )


def ozg_service_get(*, ozg_id: str) -> OzgService:
    try:
        return OzgService.objects.select_related(
            "life_situation", "topic", "first_release", "retired_in"
        ).get(ozg_id=ozg_id)
    except OzgService.DoesNotExist:
        raise Http404("OZG-Leistung nicht gefunden") from None


def service_list_for_ozg_service(
    *, ozg_service: OzgService, include_retired: bool = False
) -> QuerySet[Service]:
    return _visible(
        ozg_service.services.select_related("retired_in").order_by("name", "catalogue_key"),
        include_retired=include_retired,
    )


def service_get(*, catalogue_key: str) -> Service:
    """One LeiKa-Leistung with everything its detail page shows (types, releases, parents)."""
    try:
        return (
            Service.objects.select_related(
                "ozg_service",
                "life_situation",
                "topic",
                "first_release",
                "retired_in",
            )
            .prefetch_related(
                Prefetch("leika_types", queryset=LeikaType.objects.order_by("position", "code"))
            )
            .get(catalogue_key=catalogue_key)
        )
    except Service.DoesNotExist:
        raise Http404("Leistung nicht gefunden") from None


# --- The searchable list of LeiKa-Leistungen -------------------------------------------------

OZG_ID_LENGTH = 5


def service_search_queryset() -> QuerySet[Service]:
    """The base of the service list and its exports: only the columns the list shows."""
    return Service.objects.select_related("ozg_service", "topic").only(
        "catalogue_key",
        "leika_key",
        "name",
        "leika_type_codes",
        "target_group",
        "sdg1_relevant",
        "sdg2_relevant",
        "retired_in_id",
        "ozg_service__ozg_id",
        "ozg_service__name",
        "topic__code",
        "topic__name",
    )


def service_search_filter(queryset: QuerySet[Service], query: str) -> QuerySet[Service]:
    """Keep services matching every term of query (German-folded substring match).

    A 5-digit number is an OZG-ID and matches that OZG-Leistung's services exactly (as a substring
    it would also hit thousands of LeiKa keys); anything else, including a whole or partial
    14-digit LeiKa key, must be contained in the folded search column.
    """
    for term in search_terms(query):
        if term.isdigit() and len(term) == OZG_ID_LENGTH:
            queryset = queryset.filter(ozg_service__ozg_id=term)
        else:
            queryset = queryset.filter(search_text__contains=term)
    return queryset


# Sort keys of the service list → database ordering. Names break ties so pages are stable.
SERVICE_ORDERINGS = {
    "name": (F("name").asc(), F("catalogue_key").asc()),
    "-name": (F("name").desc(), F("catalogue_key").desc()),
    "key": (F("catalogue_key").asc(),),
    "-key": (F("catalogue_key").desc(),),
    "ozg": (F("ozg_service__ozg_id").asc(nulls_last=True), F("name").asc(), F("pk").asc()),
    "-ozg": (F("ozg_service__ozg_id").desc(nulls_last=True), F("name").asc(), F("pk").asc()),
    "topic": (
        F("topic__position").asc(nulls_last=True),
        F("topic__name").asc(nulls_last=True),
        F("name").asc(),
        F("pk").asc(),
    ),
    "-topic": (
        F("topic__position").desc(nulls_last=True),
        F("topic__name").desc(nulls_last=True),
        F("name").asc(),
        F("pk").asc(),
    ),
}


# --- Catalogue releases ----------------------------------------------------------------------


def release_list() -> QuerySet[CatalogueRelease]:
    return CatalogueRelease.objects.all()


def release_get(*, pk: int) -> CatalogueRelease:
    try:
        return CatalogueRelease.objects.get(pk=pk)
    except CatalogueRelease.DoesNotExist:
        raise Http404("Katalogstand nicht gefunden") from None


# CatalogueRelease.counts keys (as the importer writes them) and their labels, in catalogue order.
RELEASE_COUNT_LABELS = {
    "topics": _("Themenfelder"),
    "life_situations": _("Lebens-/Unternehmenslagen"),
    "ozg_services": _("OZG-Leistungen"),
    "services": _("LeiKa-Leistungen"),
}


def release_count_rows(release: CatalogueRelease) -> list[tuple[str, object]]:
    """The release's counts per level as (label, number), catalogue levels first in their order."""
    counts = release.counts if isinstance(release.counts, dict) else {}
    rows = [
        (str(label), counts[key]) for key, label in RELEASE_COUNT_LABELS.items() if key in counts
    ]
    rows += [(str(key), value) for key, value in counts.items() if key not in RELEASE_COUNT_LABELS]
    return rows


def life_situation_ids_by_name(names: list[str]) -> dict[str, int]:
    """{name: pk} of the named Lebenslagen (their change report key is the name), in one query."""
    return dict(LifeSituation.objects.filter(name__in=names).values_list("name", "pk"))


def release_change_summary(*, release: CatalogueRelease) -> list[dict]:
    """Changes per level and kind as table rows: {"entity", "label", "counts": [n per ChangeKind]}."""
    rows = release.changes.order_by().values("entity", "kind").annotate(n=Count("pk"))
    counts = {(row["entity"], row["kind"]): row["n"] for row in rows}
    return [
        {
            "entity": entity,
            "label": label,
            "counts": [counts.get((entity, kind), 0) for kind in ChangeKind.values],
        }
        for entity, label in CatalogueEntity.choices
        if any(counts.get((entity, kind)) for kind in ChangeKind.values)
    ]


def release_changes(*, release: CatalogueRelease) -> QuerySet[CatalogueChange]:
    """A release's change report in catalogue order: Themenfelder first, LeiKa-Leistungen last."""
    level = Case(
        *(When(entity=entity, then=Value(i)) for i, entity in enumerate(CatalogueEntity.values)),
        default=Value(len(CatalogueEntity.values)),
    )
    return release.changes.order_by(level, "kind", "key", "pk")


_ENTITY_MODELS = {
    CatalogueEntity.TOPIC: Topic,
    CatalogueEntity.LIFE_SITUATION: LifeSituation,
    CatalogueEntity.OZG_SERVICE: OzgService,
    CatalogueEntity.SERVICE: Service,
}


def change_field_rows(change: CatalogueChange) -> list[tuple[str, object, object]]:
    """A "changed" row's fields as (label, before, after), labelled by the model's verbose_name."""
    if not isinstance(change.fields, dict):
        return []
    model = _ENTITY_MODELS.get(change.entity)
    rows = []
    for field_name, values in change.fields.items():
        label = field_name
        if model is not None:
            try:
                label = str(model._meta.get_field(field_name).verbose_name)
            except FieldDoesNotExist:  # a field the model no longer has keeps its raw name
                label = field_name
        if isinstance(values, list | tuple) and len(values) == 2:
            before, after = values
        elif isinstance(values, dict):
            before, after = values.get("before", ""), values.get("after", "")
        else:
            before, after = "", values
        rows.append((label, before, after))
    return rows
