"""Public, read-only pages of the catalogue: browse, search LeiKa-Leistungen, catalogue releases.

Lists that filter in place answer an htmx request with only their results partial (same URL, same
FilterSet); every other request, including htmx's history restore, gets the full page.
"""

from urllib.parse import quote

from django.core.paginator import Page, Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils.cache import patch_vary_headers

from kompass.catalogue import selectors
from kompass.catalogue.choices import CatalogueEntity, ChangeKind
from kompass.catalogue.filters import CatalogueChangeFilterSet, ServiceFilterSet

SERVICES_PER_PAGE = 50
CHANGES_PER_PAGE = 100


def _include_retired(request: HttpRequest) -> bool:
    return request.GET.get("entfallene") == "1"


def _page(request: HttpRequest, queryset, per_page: int) -> Page:
    # get_page turns ?page=abc into page 1 and ?page=9999 into the last page.
    return Paginator(queryset, per_page).get_page(request.GET.get("page"))


def _wants_partial(request: HttpRequest) -> bool:
    htmx = getattr(request, "htmx", None)
    return bool(htmx) and not htmx.history_restore_request


def _render_list(request: HttpRequest, template: str, partial: str, context: dict) -> HttpResponse:
    response = render(request, partial if _wants_partial(request) else template, context)
    patch_vary_headers(response, ("HX-Request",))
    return response


def topic_list(request: HttpRequest) -> HttpResponse:
    include_retired = _include_retired(request)
    return render(
        request,
        "catalogue/topic_list.html",
        {
            "topics": selectors.topic_list(include_retired=include_retired),
            "include_retired": include_retired,
        },
    )


def topic_detail(request: HttpRequest, code: str) -> HttpResponse:
    topic = selectors.topic_get(code=code)
    include_retired = _include_retired(request)
    return render(
        request,
        "catalogue/topic_detail.html",
        {
            "topic": topic,
            "life_situations": selectors.life_situation_list_for_topic(
                topic=topic, include_retired=include_retired
            ),
            "unassigned_ozg_services": selectors.ozg_service_list_without_life_situation(
                topic=topic, include_retired=include_retired
            ),
            "include_retired": include_retired,
        },
    )


def life_situation_detail(request: HttpRequest, pk: int) -> HttpResponse:
    life_situation = selectors.life_situation_get(pk=pk)
    include_retired = _include_retired(request)
    return render(
        request,
        "catalogue/life_situation_detail.html",
        {
            "life_situation": life_situation,
            "ozg_services": selectors.ozg_service_list_for_life_situation(
                life_situation=life_situation, include_retired=include_retired
            ),
            "include_retired": include_retired,
        },
    )


def ozg_service_detail(request: HttpRequest, ozg_id: str) -> HttpResponse:
    ozg_service = selectors.ozg_service_get(ozg_id=ozg_id)
    include_retired = _include_retired(request)
    return render(
        request,
        "catalogue/ozg_service_detail.html",
        {
            "ozg_service": ozg_service,
            "services": list(
                selectors.service_list_for_ozg_service(
                    ozg_service=ozg_service, include_retired=include_retired
                )
            ),
            "include_retired": include_retired,
        },
    )


def service_detail(request: HttpRequest, catalogue_key: str) -> HttpResponse:
    service = selectors.service_get(catalogue_key=catalogue_key)
    return render(request, "catalogue/service_detail.html", {"service": service})


def service_list(request: HttpRequest) -> HttpResponse:
    filterset = ServiceFilterSet(request.GET, queryset=selectors.service_search_queryset())
    page_obj = _page(request, filterset.qs, SERVICES_PER_PAGE)
    # One reverse() per page instead of per row: reversing was ~15 % of the list's render time.
    detail_url = reverse("catalogue:service-detail", kwargs={"catalogue_key": "__key__"})
    for service in page_obj.object_list:
        service.detail_url = detail_url.replace("__key__", quote(service.catalogue_key, safe=""))
    context = {
        "filter": filterset,
        "page_obj": page_obj,
        "services": page_obj.object_list,
        "hx_target": "#service-results",
    }
    return _render_list(
        request, "catalogue/service_list.html", "catalogue/_service_results.html", context
    )


def release_list(request: HttpRequest) -> HttpResponse:
    releases = list(selectors.release_list())
    for release in releases:
        release.count_rows = selectors.release_count_rows(release)
    return render(request, "catalogue/release_list.html", {"releases": releases})


def _change_url(change, life_situation_ids: dict[str, int]) -> str:
    """Link to the entry a change row names; its key is the entry's URL key (a Lebenslage's name)."""
    try:
        if change.entity == CatalogueEntity.TOPIC:
            return reverse("catalogue:topic-detail", kwargs={"code": change.key})
        if change.entity == CatalogueEntity.OZG_SERVICE:
            return reverse("catalogue:ozg-service-detail", kwargs={"ozg_id": change.key})
        if change.entity == CatalogueEntity.SERVICE:
            return reverse("catalogue:service-detail", kwargs={"catalogue_key": change.key})
    except NoReverseMatch:
        return ""
    if change.entity == CatalogueEntity.LIFE_SITUATION and change.key in life_situation_ids:
        return reverse(
            "catalogue:life-situation-detail", kwargs={"pk": life_situation_ids[change.key]}
        )
    return ""


def release_detail(request: HttpRequest, pk: int) -> HttpResponse:
    release = selectors.release_get(pk=pk)
    filterset = CatalogueChangeFilterSet(
        request.GET, queryset=selectors.release_changes(release=release)
    )
    page_obj = _page(request, filterset.qs, CHANGES_PER_PAGE)
    life_situation_ids = selectors.life_situation_ids_by_name(
        [c.key for c in page_obj.object_list if c.entity == CatalogueEntity.LIFE_SITUATION]
    )
    for change in page_obj.object_list:
        change.field_rows = selectors.change_field_rows(change)
        change.url = _change_url(change, life_situation_ids)
    release.count_rows = selectors.release_count_rows(release)
    context = {
        "release": release,
        "filter": filterset,
        "page_obj": page_obj,
        "changes": page_obj.object_list,
        "summary": selectors.release_change_summary(release=release),
        "change_kinds": ChangeKind.choices,
        "hx_target": "#change-results",
    }
    return _render_list(
        request, "catalogue/release_detail.html", "catalogue/_change_results.html", context
    )
