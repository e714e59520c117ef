"""Relevance pages: the Themenpaten matrix, deviations, and each Kommune's list (Gegenprüfung).

Access: matrix pages are for operators and Themenpaten (404 for everyone else); deciding is
checked again in the services, which refuse a foreign Themenfeld or Land (403 with the reason).
Kommune pages go through municipality_get_for_user (404 for other tenants); changing them needs
can_manage_municipality (403 for those who may only read).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from kompass.accounts.selectors import (
    can_decide_relevance,
    can_manage_municipality,
    municipalities_visible_to,
    municipality_get_for_user,
)
from kompass.catalogue.models import OzgService, Service
from kompass.core.text import search_terms
from kompass.municipalities.choices import MunicipalityLevel
from kompass.relevance import selectors, services, xlsx
from kompass.relevance.choices import ListScope, RelevanceSource, RelevanceValue
from kompass.relevance.forms import (
    BulkDecisionForm,
    CrossCheckForm,
    DeviationForm,
    MatrixImportForm,
    MatrixSaveForm,
    MunicipalityListFilter,
    ReviewForm,
    RowForm,
    matrix_cells_from_post,
)
from kompass.relevance.services import RelevanceError, RelevancePermissionError

MATRIX_ROWS_PER_PAGE = 40
SERVICES_PER_PAGE = 50
DEVIATIONS_PER_PAGE = 100


def _wants_partial(request: HttpRequest) -> bool:
    htmx = getattr(request, "htmx", None)
    return bool(htmx) and not htmx.history_restore_request


def _refused(request: HttpRequest, error: RelevanceError | str) -> HttpResponse:
    reasons = error.messages if isinstance(error, RelevanceError) else [error]
    return render(request, "relevance/refused.html", {"reasons": reasons}, status=403)


def _matrix_context(request: HttpRequest, land_code: str, topic_code: str):
    land = selectors.land_get_for_matrix(user=request.user, code=land_code)
    topic = selectors.topic_get_for_matrix(user=request.user, code=topic_code)
    return land, topic, selectors.can_decide_for(request.user, topic=topic, land=land)


def _matrix_url(land, topic, **query) -> str:
    url = reverse("relevance:matrix", kwargs={"land": land.code, "topic": topic.code})
    query = {k: v for k, v in query.items() if v}
    return f"{url}?{urlencode(query)}" if query else url


def _read_only_reason(request: HttpRequest, topic, land) -> str:
    """Why the user may see but not change this matrix (German, for the page and 403s)."""
    if not can_decide_relevance(request.user, topic):
        return _(
            "Sie sind nicht Themenpate für das Themenfeld „%(topic)s“. Sie können die "
            "Entscheidungen ansehen, aber nicht ändern."
        ) % {"topic": topic.name}
    return _(
        "Sie betreuen keine Kommunen im Land %(land)s und können für seine Kommunaltypen nicht "
        "entscheiden. Sie können die Entscheidungen ansehen, aber nicht ändern."
    ) % {"land": land.name}


# --- Overview -------------------------------------------------------------------------------------


@login_required
def overview(request: HttpRequest) -> HttpResponse:
    """Start page: Themenfelder with progress (operators, Themenpaten) and the user's Kommunen."""
    user = request.user
    lands = list(selectors.relevance_lands_for(user))
    land = None
    progress = []
    if lands:
        code = request.GET.get("land")
        land = next((item for item in lands if item.code == code), lands[0])
        progress = selectors.topic_progress(land=land)
        for item in progress:
            item.can_decide = can_decide_relevance(user, item.topic)
    municipalities = Paginator(
        municipalities_visible_to(user)
        .active()
        .select_related("municipality_type")
        .order_by("level", "name"),
        SERVICES_PER_PAGE,
    ).get_page(request.GET.get("page"))
    return render(
        request,
        "relevance/overview.html",
        {
            "lands": lands,
            "land": land,
            "progress": progress,
            "page_obj": municipalities,
            "can_use_matrix": selectors.can_use_matrix(user),
        },
    )


# --- The matrix -----------------------------------------------------------------------------------


@login_required
def matrix(request: HttpRequest, land: str, topic: str) -> HttpResponse:
    land, topic, can_decide = _matrix_context(request, land, topic)
    page = selectors.matrix_page(
        topic=topic,
        land=land,
        page=request.GET.get("page"),
        rows_per_page=MATRIX_ROWS_PER_PAGE,
        ozg_id=request.GET.get("ozg"),
    )
    progress = selectors.topic_progress(land=land, topics=[topic], type_count=len(page.types))[0]
    context = {
        "land": land,
        "topic": topic,
        "can_decide": can_decide,
        "matrix": page,
        "progress": progress,
        "form": MatrixSaveForm(
            initial={"loaded_at": timezone.now().isoformat(), "page": page.number}
        ),
        "not_your_topic": None if can_decide else _read_only_reason(request, topic, land),
    }
    template = "relevance/_matrix.html" if _wants_partial(request) else "relevance/matrix.html"
    response = render(request, template, context)
    patch_vary_headers(response, ("HX-Request",))
    return response


@login_required
@require_POST
def matrix_save(request: HttpRequest, land: str, topic: str) -> HttpResponse:
    """Save the cells of one matrix page; only cells whose value changed are recorded."""
    land, topic, _can_decide = _matrix_context(request, land, topic)
    form = MatrixSaveForm(request.POST)
    cells, malformed = matrix_cells_from_post(request.POST)
    page = request.POST.get("page") or ""
    if not form.is_valid() or malformed:
        messages.error(
            request, _("Die Eingaben konnten nicht gelesen werden. Es wurde nichts geändert.")
        )
        return redirect(_matrix_url(land, topic, page=page))
    try:
        result = services.type_decisions_set(
            topic=topic,
            land=land,
            cells=cells,
            actor=request.user,
            channel=_("Matrix"),
            loaded_at=form.cleaned_data["loaded_at"],
            reason_for_changed=form.cleaned_data["reason"],
        )
    except RelevancePermissionError as error:
        return _refused(request, error)
    except RelevanceError as error:
        for message in error.messages[:20]:
            messages.error(request, message)
        return redirect(_matrix_url(land, topic, page=page))
    _report(request, result)
    return redirect(_matrix_url(land, topic, page=page))


def _report(request: HttpRequest, result: services.DecisionResult) -> None:
    if result.changed:
        messages.success(
            request,
            ngettext(
                "%(count)d Zelle gespeichert.", "%(count)d Zellen gespeichert.", result.changed
            )
            % {"count": result.changed},
        )
    elif not result.conflicts:
        messages.info(request, _("Keine Änderungen."))
    for conflict in result.conflicts[:20]:
        messages.warning(request, conflict)


@login_required
def bulk(request: HttpRequest, land: str, topic: str) -> HttpResponse:
    """Decide a whole OZG-Leistung, a row (one Leistung) or a column (one Kommunaltyp) at once."""
    land, topic, can_decide = _matrix_context(request, land, topic)
    if not can_decide:
        return _refused(request, _read_only_reason(request, topic, land))
    data = request.POST if request.method == "POST" else None
    types = land.municipality_types.order_by("position", "name")
    initial = {"scope": "open"}
    type_param = request.GET.get("type")
    initial["types"] = [t for t in types if str(t.pk) == type_param] or list(types)
    initial["ozg_service"] = request.GET.get("ozg", "")
    initial["service"] = request.GET.get("service") or None
    form = BulkDecisionForm(data, initial=initial, types=types)
    ozg_id = (data or initial).get("ozg_service") or ""
    service_pk = (data or initial).get("service") or None
    ozg_service = None
    service = None
    if ozg_id:
        ozg_service = (
            OzgService.objects.filter(ozg_id=ozg_id, services__topic=topic).distinct().first()
        )
        if ozg_service is None:
            raise Http404
    if service_pk:
        try:
            service = selectors.service_get_for_matrix(topic=topic, pk=int(service_pk))
        except ValueError:
            raise Http404 from None
    if request.method == "POST" and form.is_valid():
        if service is not None:
            service_ids = [service.pk]
        elif ozg_service is not None:
            service_ids = list(
                Service.objects.current()
                .filter(topic=topic, ozg_service=ozg_service)
                .values_list("pk", flat=True)
            )
        else:
            service_ids = None
        try:
            result = services.type_decisions_bulk_set(
                topic=topic,
                land=land,
                value=form.cleaned_data["value"],
                reason=form.cleaned_data["reason"],
                actor=request.user,
                type_ids=[t.pk for t in form.cleaned_data["types"]],
                service_ids=service_ids,
                overwrite=form.cleaned_data["scope"] == "all",
            )
        except RelevancePermissionError as error:
            return _refused(request, error)
        except RelevanceError as error:
            for message in error.messages[:10]:
                form.add_error(None, message)
        else:
            _report(request, result)
            target = ozg_service or (service.ozg_service if service else None)
            return redirect(_matrix_url(land, topic, ozg=target.ozg_id if target else ""))
    return render(
        request,
        "relevance/bulk_form.html",
        {
            "land": land,
            "topic": topic,
            "form": form,
            "ozg_service": ozg_service,
            "service": service,
            "back_url": _matrix_url(land, topic, ozg=ozg_id),
        },
    )


@login_required
def row(request: HttpRequest, land: str, topic: str, pk: int) -> HttpResponse:
    """One Leistung across all Kommunaltypen: values, reasons, history; editable for deciders."""
    land, topic, can_decide = _matrix_context(request, land, topic)
    service = selectors.service_get_for_matrix(topic=topic, pk=pk)
    types = selectors.municipality_types_of(land)
    decisions = selectors.cell_decisions(service=service, land=land)
    default = selectors.default_value_for(service.leika_type_codes)
    if request.method == "POST" and not can_decide:
        return _refused(request, _read_only_reason(request, topic, land))
    form = RowForm(
        request.POST if request.method == "POST" else None,
        types=types,
        decisions=decisions,
        default_value=default,
    )
    if request.method == "POST" and form.is_valid():
        try:
            result = services.type_decisions_set(
                topic=topic,
                land=land,
                cells=form.cells(service),
                actor=request.user,
                channel=_("Zeile"),
            )
        except RelevancePermissionError as error:
            return _refused(request, error)
        except RelevanceError as error:
            for message in error.messages:
                form.add_error(None, message)
        else:
            _report(request, result)
            return redirect(
                reverse(
                    "relevance:row",
                    kwargs={"land": land.code, "topic": topic.code, "pk": service.pk},
                )
            )
    return render(
        request,
        "relevance/row.html",
        {
            "land": land,
            "topic": topic,
            "service": service,
            "form": form,
            "can_decide": can_decide,
            "default_value": RelevanceValue(default).label,
            "decisions": [(t, decisions.get(t.pk)) for t in types],
            "history": selectors.row_history(service=service, land=land)[:100],
            "deviations": selectors.deviation_list_for(request.user).filter(
                service=service, municipality__land=land
            ),
            "back_url": _matrix_url(
                land, topic, ozg=service.ozg_service.ozg_id if service.ozg_service else ""
            ),
        },
    )


@login_required
@require_POST
def review(request: HttpRequest, land: str, topic: str) -> HttpResponse:
    land, topic, _can_decide = _matrix_context(request, land, topic)
    form = ReviewForm(request.POST)
    form.is_valid()
    reviewed = bool(form.cleaned_data.get("reviewed"))
    try:
        services.topic_review_set(topic=topic, land=land, reviewed=reviewed, actor=request.user)
    except RelevancePermissionError as error:
        return _refused(request, error)
    messages.success(
        request,
        _("Das Themenfeld ist als geprüft markiert.")
        if reviewed
        else _("Der Prüfvermerk ist zurückgenommen."),
    )
    return redirect(_matrix_url(land, topic))


@login_required
def export(request: HttpRequest, land: str, topic: str) -> HttpResponse:
    land, topic, _can_decide = _matrix_context(request, land, topic)
    content = xlsx.matrix_export(topic=topic, land=land)
    response = HttpResponse(
        content, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    filename = f"relevanz_{land.code}_{topic.code}_{timezone.localdate():%Y-%m-%d}.xlsx"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@login_required
def matrix_import(request: HttpRequest, land: str, topic: str) -> HttpResponse:
    """Upload a filled matrix: validated as a whole; any error and nothing is written."""
    land, topic, can_decide = _matrix_context(request, land, topic)
    if not can_decide:
        return _refused(request, _read_only_reason(request, topic, land))
    form = MatrixImportForm(request.POST or None, request.FILES or None)
    errors: list[str] = []
    if request.method == "POST" and form.is_valid():
        try:
            parsed = xlsx.matrix_parse(upload=form.cleaned_data["file"], topic=topic, land=land)
            result = services.type_decisions_set(
                topic=topic,
                land=land,
                cells=parsed.cells,
                actor=request.user,
                channel=_("Tabellenimport"),
            )
        except RelevancePermissionError as error:
            return _refused(request, error)
        except RelevanceError as error:
            errors = error.messages
        else:
            _report(request, result)
            return redirect(_matrix_url(land, topic))
    return render(
        request,
        "relevance/import_form.html",
        {
            "land": land,
            "topic": topic,
            "form": form,
            "errors": errors[:200],
            "more_errors": max(0, len(errors) - 200),
            "back_url": _matrix_url(land, topic),
        },
        status=400 if errors else 200,
    )


# --- Deviations for Themenpaten and operators -----------------------------------------------------


@login_required
def deviation_list(request: HttpRequest) -> HttpResponse:
    if not selectors.can_use_matrix(request.user):
        raise Http404
    topics = selectors.topics_sponsored_by(request.user).current().order_by("position")
    topic = topics.filter(code=request.GET.get("topic") or "").first()
    deviations = selectors.deviation_list_for(request.user, topic=topic)
    page = Paginator(deviations, DEVIATIONS_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "relevance/deviation_list.html",
        {
            "topics": topics,
            "topic": topic,
            "page_obj": page,
            "hotspots": selectors.deviation_hotspots_for(request.user, topic=topic),
            "lands": list(selectors.relevance_lands_for(request.user)),
        },
    )


# --- A Kommune's list and its Gegenprüfung --------------------------------------------------------


@login_required
def municipality(request: HttpRequest, pk: int) -> HttpResponse:
    """The Kommune's relevance list: what applies, where it comes from, and its deviations."""
    municipality = municipality_get_for_user(user=request.user, pk=pk)
    municipality = (
        type(municipality)
        .objects.select_related("municipality_type", "district")
        .get(pk=municipality.pk)
    )
    filters = MunicipalityListFilter(request.GET or None)
    filters.is_valid()
    data = getattr(filters, "cleaned_data", {})
    scope = data.get("scope") or ListScope.RELEVANT
    topic = data.get("topic")
    services_qs = selectors.relevance_list_for(municipality=municipality, topic=topic)
    if scope == ListScope.RELEVANT:
        services_qs = services_qs.filter(relevance_value=RelevanceValue.RELEVANT)
    elif scope == ListScope.BY_DISTRICT:
        services_qs = services_qs.filter(relevance_value=RelevanceValue.BY_DISTRICT)
    elif scope == ListScope.UNDECIDED:
        services_qs = services_qs.filter(relevance_value=RelevanceValue.UNDECIDED)
    elif scope == ListScope.DEVIATIONS:
        services_qs = services_qs.filter(relevance_source=RelevanceSource.DEVIATION)
    for term in search_terms(data.get("q") or ""):
        services_qs = services_qs.filter(search_text__contains=term)
    page = Paginator(services_qs, SERVICES_PER_PAGE).get_page(request.GET.get("page"))
    can_manage = can_manage_municipality(request.user, municipality)
    cross_checks = selectors.cross_checks_of(municipality)
    context = {
        "municipality": municipality,
        "filters": filters,
        "scope": scope,
        "topic": topic,
        "page_obj": page,
        "can_manage": can_manage,
        "counts": selectors.relevance_counts_for(municipality=municipality),
        "cross_check": cross_checks.get(topic.pk) if topic else None,
        "cross_checks": cross_checks,
        "cross_check_form": CrossCheckForm(initial={"topic": topic}) if topic else None,
        "is_member_gemeinde": municipality.level == MunicipalityLevel.MUNICIPALITY
        and municipality.district_id is not None,
    }
    template = (
        "relevance/_municipality_results.html"
        if _wants_partial(request)
        else "relevance/municipality_list.html"
    )
    response = render(request, template, context)
    patch_vary_headers(response, ("HX-Request",))
    return response


def _municipality_service(request: HttpRequest, pk: int, service_pk: int):
    municipality = municipality_get_for_user(user=request.user, pk=pk)
    try:
        service = (
            Service.objects.current().select_related("ozg_service", "topic").get(pk=service_pk)
        )
    except Service.DoesNotExist:
        raise Http404 from None
    return municipality, service


def _back_to_list(municipality, service) -> str:
    url = reverse("relevance:municipality", kwargs={"pk": municipality.pk})
    return (
        f"{url}?{urlencode({'scope': 'all', 'topic': service.topic.code if service.topic else ''})}"
    )


@login_required
def deviation_edit(request: HttpRequest, pk: int, service_pk: int) -> HttpResponse:
    """Deviate from the type's decision for one Leistung (Kommune admins), with a reason."""
    municipality, service = _municipality_service(request, pk, service_pk)
    if not can_manage_municipality(request.user, municipality):
        return _refused(
            request,
            _(
                "Nur die Administration der Kommune %(name)s kann abweichen. Sie können die Liste lesen."
            )
            % {"name": municipality.name},
        )
    row = selectors.relevance_list_for(municipality=municipality).filter(pk=service.pk).first()
    existing = selectors.deviation_get_for_municipality(municipality=municipality, service=service)
    initial = {"value": existing.value, "reason": existing.reason} if existing else {}
    form = DeviationForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.deviation_set(
                municipality=municipality,
                service=service,
                value=form.cleaned_data["value"],
                reason=form.cleaned_data["reason"],
                actor=request.user,
            )
        except RelevancePermissionError as error:
            return _refused(request, error)
        except RelevanceError as error:
            for message in error.messages:
                form.add_error(None, message)
        else:
            messages.success(
                request,
                _("Die Abweichung für „%(service)s“ ist gespeichert.") % {"service": service.name},
            )
            return redirect(_back_to_list(municipality, service))
    return render(
        request,
        "relevance/deviation_form.html",
        {
            "municipality": municipality,
            "service": service,
            "row": row,
            "existing": existing,
            "form": form,
            "history": selectors.municipality_history(municipality=municipality, service=service)[
                :50
            ],
            "back_url": _back_to_list(municipality, service),
        },
        status=400 if form.errors else 200,
    )


@login_required
@require_POST
def deviation_remove(request: HttpRequest, pk: int, service_pk: int) -> HttpResponse:
    municipality, service = _municipality_service(request, pk, service_pk)
    try:
        removed = services.deviation_remove(
            municipality=municipality, service=service, actor=request.user
        )
    except RelevancePermissionError as error:
        return _refused(request, error)
    if removed:
        messages.success(
            request,
            _(
                "Die Abweichung ist zurückgenommen; es gilt wieder die Entscheidung für den Kommunaltyp."
            ),
        )
    return redirect(_back_to_list(municipality, service))


@login_required
@require_POST
def cross_check(request: HttpRequest, pk: int) -> HttpResponse:
    municipality = municipality_get_for_user(user=request.user, pk=pk)
    form = CrossCheckForm(request.POST)
    url = reverse("relevance:municipality", kwargs={"pk": municipality.pk})
    if not can_manage_municipality(request.user, municipality):
        return _refused(
            request,
            _("Nur die Administration der Kommune %(name)s kann die Gegenprüfung bestätigen.")
            % {"name": municipality.name},
        )
    if not form.is_valid():
        messages.error(request, _("Bitte wählen Sie ein Themenfeld."))
        return redirect(url)
    topic = form.cleaned_data["topic"]
    try:
        services.cross_check_confirm(municipality=municipality, topic=topic, actor=request.user)
    except RelevancePermissionError as error:
        return _refused(request, error)
    messages.success(
        request,
        _("Gegenprüfung für „%(topic)s“ bestätigt.") % {"topic": topic.name},
    )
    return redirect(f"{url}?{urlencode({'topic': topic.code, 'scope': 'all'})}")
