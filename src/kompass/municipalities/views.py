"""Public, read-only pages of the Kommunen: searchable list and detail.

The list answers an htmx request with only its results partial (same URL, same FilterSet).
"""

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.cache import patch_vary_headers

from kompass.accounts.selectors import can_view_municipality
from kompass.municipalities import selectors
from kompass.municipalities.choices import MunicipalityLevel
from kompass.municipalities.filters import MunicipalityFilterSet

MUNICIPALITIES_PER_PAGE = 50


def municipality_list(request: HttpRequest) -> HttpResponse:
    filterset = MunicipalityFilterSet(
        request.GET, queryset=selectors.municipality_search_queryset()
    )
    page_obj = Paginator(filterset.qs, MUNICIPALITIES_PER_PAGE).get_page(request.GET.get("page"))
    htmx = getattr(request, "htmx", None)
    partial = bool(htmx) and not htmx.history_restore_request
    response = render(
        request,
        "municipalities/_municipality_results.html"
        if partial
        else "municipalities/municipality_list.html",
        {
            "filter": filterset,
            "page_obj": page_obj,
            "municipalities": page_obj.object_list,
            "hx_target": "#municipality-results",
        },
    )
    patch_vary_headers(response, ("HX-Request",))
    return response


def municipality_detail(request: HttpRequest, ars: str) -> HttpResponse:
    municipality = selectors.municipality_get(ars=ars)
    members = None
    if municipality.level == MunicipalityLevel.DISTRICT:
        members = list(selectors.district_members(district=municipality))
    return render(
        request,
        "municipalities/municipality_detail.html",
        {
            "municipality": municipality,
            "members": members,
            # Signed-in people who may see this Kommune's work get a link to its relevant list.
            "can_view_work": can_view_municipality(request.user, municipality),
        },
    )
