"""Evaluation pages: the entry page, a Kommune's dashboard (and its printable report), the
benchmark, the global Reifegrad of a Leistung and of an OZG-Leistung, the provider heat map, and
the XLSX/CSV exports of each of them and of the workspace's Leistungen list. The heat map's
export is built by the background worker (reports.background): its page, download and the
person's list of exports are here too.

Access: Kommune pages through municipality_get_for_user (404 for other tenants); the heat map
through provider_get_for_reports (operators and provider-wide readers); the global views are
open to every signed-in person, but name only Kommunen the person may see; an export made in
the background only to the person who asked for it (404 for everyone else).
"""

from __future__ import annotations

import io
import uuid

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kompass.accounts.selectors import department_ids_of, municipality_get_for_user
from kompass.catalogue.models import OzgService, Service
from kompass.implementation import selectors as workspace
from kompass.implementation.forms import WorkspaceFilterForm
from kompass.municipalities.models import Municipality
from kompass.reports import background, selectors, tables
from kompass.reports.choices import ExportFormat, ExportKind, ExportStatus
from kompass.reports.exports import XLSX_TYPE, Column, Table, csv_response, xlsx_response
from kompass.reports.filters import MemberFilterSet

PER_PAGE = 50
# The filters of the heat map that its export takes over: all of its FilterSet's.
HEATMAP_FILTERS = tuple(MemberFilterSet.base_filters)


def _export(fmt: str, tables_: list[Table], *, stem: str, csv_table: Table | None = None):
    if fmt == ExportFormat.XLSX:
        return xlsx_response(tables_, stem=stem)
    if fmt == ExportFormat.CSV:
        return csv_response(csv_table or tables_[0], stem=stem)
    raise Http404


# --- Entry page -------------------------------------------------------------------------------


@login_required
def overview(request: HttpRequest) -> HttpResponse:
    """A person with one Kommune goes straight to its dashboard; others choose."""
    municipalities = selectors.visible_municipalities_for_overview(request.user)
    providers = list(selectors.providers_visible_to(request.user).order_by("name"))
    first_two = list(municipalities[:2])
    if len(first_two) == 1 and not providers:
        return redirect("reports:dashboard", pk=first_two[0].pk)
    page = Paginator(municipalities, PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "reports/overview.html",
        {
            "page_obj": page,
            "providers": providers,
            "has_exports": bool(providers) and background.exports_of(request.user).exists(),
        },
    )


# --- The Kommune dashboard --------------------------------------------------------------------


def _dashboard_filters(request: HttpRequest, municipality: Municipality, levels):
    """The workspace filter (the dashboard shows Fachbereich and Themenfeld of it); the figures
    cover the whole Kommune unless a filter is chosen."""
    filters = WorkspaceFilterForm(
        request.GET,
        departments=workspace.departments_of(municipality),
        levels=levels,
        has_own_departments=bool(department_ids_of(request.user, municipality)),
    )
    filters.is_valid()
    cleaned = {k: v for k, v in filters.cleaned_data.items() if k not in filters.errors}
    services = workspace.filter_workspace(
        workspace.workspace_services(municipality=municipality),
        user=request.user,
        municipality=municipality,
        data=cleaned,
    )
    return filters, services


def _dashboard(request: HttpRequest, pk: int):
    municipality = municipality_get_for_user(user=request.user, pk=pk)
    levels = selectors.default_levels()
    filters, services = _dashboard_filters(request, municipality, levels)
    dashboard = selectors.municipality_dashboard(
        services=services, user=request.user, municipality=municipality, levels=levels
    )
    return municipality, filters, dashboard


@login_required
def dashboard(request: HttpRequest, pk: int) -> HttpResponse:
    """A Kommune's figures: status, Reifegrad, Themenfelder, cases, priorities, gaps."""
    municipality, filters, dashboard_ = _dashboard(request, pk)
    return render(
        request,
        "reports/dashboard.html",
        {
            "municipality": municipality,
            "filters": filters,
            "dashboard": dashboard_,
            "query": request.GET.urlencode(),
        },
    )


@login_required
def dashboard_print(request: HttpRequest, pk: int) -> HttpResponse:
    """The dashboard as a printable report for council meetings (print stylesheet)."""
    municipality, filters, dashboard_ = _dashboard(request, pk)
    return render(
        request,
        "reports/dashboard_print.html",
        {"municipality": municipality, "filters": filters, "dashboard": dashboard_},
    )


@login_required
def dashboard_export(request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
    """All dashboard tables as sheets (XLSX) or one of them (CSV, ?table=…)."""
    municipality, _filters, dashboard_ = _dashboard(request, pk)
    by_key = tables.dashboard_tables(dashboard_)
    key = request.GET.get("table") or "topics"
    if key not in by_key:
        raise Http404
    return _export(
        fmt,
        list(by_key.values()),
        stem=_("Auswertung %(name)s") % {"name": municipality.name},
        csv_table=by_key[key],
    )


@login_required
def workspace_export(request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
    """The workspace's Leistungen list with the filters and the order of the list page."""
    municipality = municipality_get_for_user(user=request.user, pk=pk)
    levels = workspace.maturity_levels()
    data = request.GET.copy()
    # As on the list page: a Bearbeiter's list starts with their departments.
    if department_ids_of(request.user, municipality) and "department" not in data:
        data["department"] = "mine"
    filters = WorkspaceFilterForm(
        data,
        departments=workspace.departments_of(municipality),
        levels=levels,
        has_own_departments=bool(department_ids_of(request.user, municipality)),
    )
    filters.is_valid()
    cleaned = {k: v for k, v in filters.cleaned_data.items() if k not in filters.errors}
    services = workspace.sort_workspace(
        workspace.filter_workspace(
            workspace.workspace_services(municipality=municipality),
            user=request.user,
            municipality=municipality,
            data=cleaned,
        ),
        cleaned.get("sort"),
    )
    table = tables.workspace_table(services, default_target=workspace.ozg_target_level(levels))
    return _export(fmt, [table], stem=_("Leistungen %(name)s") % {"name": municipality.name})


# --- Benchmark ------------------------------------------------------------------------------


@login_required
def benchmark(request: HttpRequest, pk: int) -> HttpResponse:
    """The Kommune's rank among comparable Kommunen (aggregates of at least MIN_GROUP)."""
    municipality = municipality_get_for_user(user=request.user, pk=pk)
    return render(
        request,
        "reports/benchmark.html",
        {
            "municipality": municipality,
            "benchmark": selectors.benchmark_for(municipality=municipality),
        },
    )


@login_required
def benchmark_export(request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
    municipality = municipality_get_for_user(user=request.user, pk=pk)
    table = tables.benchmark_table(selectors.benchmark_for(municipality=municipality))
    return _export(fmt, [table], stem=_("Vergleich %(name)s") % {"name": municipality.name})


# --- Global Reifegrad -----------------------------------------------------------------------


def _service(service_pk: int) -> Service:
    try:
        return Service.objects.select_related("ozg_service", "topic").get(pk=service_pk)
    except Service.DoesNotExist:
        raise Http404 from None


def _ozg_service(ozg_id: str) -> OzgService:
    try:
        return OzgService.objects.select_related("topic").get(ozg_id=ozg_id)
    except OzgService.DoesNotExist:
        raise Http404 from None


@login_required
def service_global(request: HttpRequest, service_pk: int) -> HttpResponse:
    service = _service(service_pk)
    view = selectors.service_global(service=service, user=request.user)
    return render(
        request,
        "reports/global.html",
        {"service": service, "ozg_service": service.ozg_service, "view": view, "kind": "service"},
    )


@login_required
def service_global_export(request: HttpRequest, service_pk: int, fmt: str) -> HttpResponse:
    service = _service(service_pk)
    view = selectors.service_global(service=service, user=request.user)
    return _export(fmt, tables.global_tables(view) or [_empty()], stem=service.name)


@login_required
def ozg_global(request: HttpRequest, ozg_id: str) -> HttpResponse:
    ozg_service = _ozg_service(ozg_id)
    view = selectors.ozg_global(ozg_service=ozg_service, user=request.user)
    return render(
        request,
        "reports/global.html",
        {"service": None, "ozg_service": ozg_service, "view": view, "kind": "ozg"},
    )


@login_required
def ozg_global_export(request: HttpRequest, ozg_id: str, fmt: str) -> HttpResponse:
    ozg_service = _ozg_service(ozg_id)
    view = selectors.ozg_global(ozg_service=ozg_service, user=request.user)
    return _export(
        fmt,
        tables.global_tables(view) or [_empty()],
        stem=f"{ozg_service.ozg_id} {ozg_service.name}",
    )


def _empty() -> Table:
    return Table(
        title=_("Hinweis"),
        columns=[Column(_("Hinweis"))],
        rows=[(_("Zu wenige Kommunen für eine Auswertung."),)],
    )


# --- Provider heat map ----------------------------------------------------------------------


def _kept_sums(provider, filterset) -> tuple | None:
    """(provider, Kommunaltyp id or None) when the filtered members are all of the provider's
    (of one type), whose sums ProviderProgress keeps; None for a Kreis filter or bad input."""
    if not filterset.is_valid() or filterset.form.cleaned_data.get("district"):
        return None
    type_id = filterset.form.cleaned_data.get("municipality_type")
    return provider, int(type_id) if type_id else None


def _members(request: HttpRequest, pk: int):
    provider = selectors.provider_get_for_reports(user=request.user, pk=pk)
    filterset, filtered = selectors.provider_members_filtered(provider, request.GET)
    return provider, filterset, filtered


@login_required
def heatmap(request: HttpRequest, pk: int) -> HttpResponse:
    """All member Kommunen × Themenfelder: the share umgesetzt, as colour and as number."""
    provider, filterset, filtered = _members(request, pk)
    # A row shows the Kommune's name and links it by id: nothing else of it, its Kreis or type.
    shown = filtered.select_related(None).only("pk", "name")
    page = Paginator(shown, PER_PAGE).get_page(request.GET.get("page"))
    heat = selectors.heatmap_for(
        members=filtered, page=list(page.object_list), sums_of=_kept_sums(provider, filterset)
    )
    return render(
        request,
        "reports/heatmap.html",
        {
            "provider": provider,
            "filter": filterset,
            "page_obj": page,
            "heatmap": heat,
            "query": request.GET.urlencode(),
            "export_query": _heatmap_export_query(request),
        },
    )


def _heatmap_export_query(request: HttpRequest) -> str:
    query = request.GET.copy()
    for key in list(query):
        if key not in HEATMAP_FILTERS or not query[key]:
            del query[key]
    return query.urlencode()


def _heatmap_title(provider, filterset) -> str:
    """The export's title: "Heatmap <provider>", then the chosen Kreis and Kommunaltyp."""
    parts = [_("Heatmap %(name)s") % {"name": provider.name}]
    if filterset.is_valid():
        for name in HEATMAP_FILTERS:
            value = filterset.form.cleaned_data.get(name)
            if value:
                parts.append(str(dict(filterset.form.fields[name].choices)[value]))
    return ", ".join(parts)


@login_required
@require_POST
def heatmap_export(request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
    """Queue the heat map of all filtered members for the background worker; the export's page
    shows its progress and, when it is done, the download."""
    provider, filterset, _filtered = _members(request, pk)
    if fmt not in ExportFormat.values:
        raise Http404
    export = background.export_request(
        actor=request.user,
        kind=ExportKind.HEATMAP,
        fmt=fmt,
        params={"provider": provider.pk, "query": _heatmap_export_query(request)},
        title=_heatmap_title(provider, filterset),
    )
    return redirect("reports:export", pk=export.pk)


# --- Exports built in the background ----------------------------------------------------------


@login_required
def export_list(request: HttpRequest) -> HttpResponse:
    """The person's exports of the last days, newest first."""
    page = Paginator(background.exports_of(request.user), PER_PAGE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "reports/export_list.html",
        {"page_obj": page, "keep_days": background.EXPORT_KEEP_DAYS},
    )


@login_required
def export_detail(request: HttpRequest, pk: uuid.UUID) -> HttpResponse:
    """An export's progress; htmx polls the status part of it until the export is finished."""
    export = background.export_get_for_user(user=request.user, pk=pk)
    template = "reports/_export_status.html" if request.htmx else "reports/export_detail.html"
    return render(request, template, {"export": export})


@login_required
@require_POST
def export_retry(request: HttpRequest, pk: uuid.UUID) -> HttpResponse:
    """A failed or interrupted export asked for once more (as a new export)."""
    export = background.export_get_for_user(user=request.user, pk=pk)
    if not (export.status == ExportStatus.FAILED or export.stalled):
        return redirect("reports:export", pk=export.pk)
    again = background.export_retry(export=export, actor=request.user)
    return redirect("reports:export", pk=again.pk)


@login_required
def export_download(request: HttpRequest, pk: uuid.UUID) -> HttpResponse:
    """The finished file; before that, the export's page."""
    export = background.export_get_for_user(user=request.user, pk=pk, with_content=True)
    if export.status != ExportStatus.DONE:
        return redirect("reports:export", pk=export.pk)
    return FileResponse(
        io.BytesIO(export.content),
        as_attachment=True,
        filename=export.filename,
        content_type=XLSX_TYPE if export.fmt == ExportFormat.XLSX else "text/csv; charset=utf-8",
    )
