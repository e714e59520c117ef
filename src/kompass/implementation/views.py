"""Pages of the implementation workspace: the Kommune's Leistungen list, the board, the roll-up
per OZG-Leistung and one Leistung's record with its history.

Access: every Kommune page goes through municipality_get_for_user (404 for other tenants); a
change needs an edit scope (selectors.edit_scope_for): readers and Themenpaten get 403, a
Bearbeiter gets 403 for another department's Leistung. htmx requests get partials from the same
URLs; every form also works as a plain form.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from kompass.accounts.selectors import (
    department_ids_of,
    municipalities_visible_to,
    municipality_get_for_user,
)
from kompass.implementation import selectors, services
from kompass.implementation.choices import ImplementationStatus
from kompass.implementation.forms import (
    BulkEditForm,
    ImplementationForm,
    MoveForm,
    SavedFilterForm,
    StepForm,
    WorkspaceFilterForm,
)
from kompass.implementation.models import ImplementationStep
from kompass.implementation.services import ImplementationConflict

PER_PAGE_CHOICES = (25, 50, 100)
DEFAULT_PER_PAGE = 50
BOARD_CARDS_PER_COLUMN = 20
OZG_PER_PAGE = 50
# The bulk form's fields sit on the same page as the filter's fields of the same names.
BULK_PREFIX = "bulk"


def _wants_partial(request: HttpRequest) -> bool:
    htmx = getattr(request, "htmx", None)
    return bool(htmx) and not htmx.history_restore_request


def _render(request, template: str, context: dict, status: int = 200) -> HttpResponse:
    response = render(request, template, context, status=status)
    patch_vary_headers(response, ("HX-Request",))
    return response


def _safe_next(request: HttpRequest, fallback: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback


def _list_url(municipality) -> str:
    return reverse("implementation:list", kwargs={"pk": municipality.pk})


# --- Overview ---------------------------------------------------------------------------------------


@login_required
def overview(request: HttpRequest) -> HttpResponse:
    """The Kommunen whose implementation workspace the person can open."""
    municipalities = municipalities_visible_to(request.user).active().order_by("level", "name")
    page = Paginator(municipalities, DEFAULT_PER_PAGE).get_page(request.GET.get("page"))
    return _render(request, "implementation/overview.html", {"page_obj": page})


# --- The list and the board -------------------------------------------------------------------------


def _workspace(request: HttpRequest, pk: int):
    """The Kommune, its filter form (a Bearbeiter lands on their departments) and querysets."""
    municipality = municipality_get_for_user(user=request.user, pk=pk)
    levels = selectors.maturity_levels()
    departments = selectors.departments_of(municipality)
    own = department_ids_of(request.user, municipality)
    data = request.GET.copy()
    if own and "department" not in data:
        data["department"] = "mine"
    filters = WorkspaceFilterForm(
        data, departments=departments, levels=levels, has_own_departments=bool(own)
    )
    filters.is_valid()
    cleaned = {k: v for k, v in filters.cleaned_data.items() if k not in filters.errors}
    base = selectors.workspace_services(municipality=municipality)
    without_status = selectors.filter_workspace(
        base, user=request.user, municipality=municipality, data=cleaned, with_status=False
    )
    status = cleaned.get("status")
    filtered = without_status.filter(impl_status=status) if status else without_status
    return {
        "municipality": municipality,
        "levels": levels,
        "default_target": selectors.ozg_target_level(levels),
        "departments": departments,
        "filters": filters,
        "cleaned": cleaned,
        "without_status": without_status,
        "filtered": filtered,
        "scope": selectors.edit_scope_for(request.user, municipality),
        "query": data.urlencode(),
    }


def _per_page(request: HttpRequest) -> int:
    try:
        value = int(request.GET.get("per_page", DEFAULT_PER_PAGE))
    except ValueError:
        return DEFAULT_PER_PAGE
    return value if value in PER_PAGE_CHOICES else DEFAULT_PER_PAGE


@login_required
def service_list(request: HttpRequest, pk: int) -> HttpResponse:
    """Every relevant Leistung of the Kommune with its record: filters, counts, bulk edit."""
    ws = _workspace(request, pk)
    per_page = _per_page(request)
    result = selectors.workspace_page(
        ws["without_status"],
        municipality=ws["municipality"],
        status=ws["cleaned"].get("status"),
        sort=ws["cleaned"].get("sort"),
        number=selectors.page_number(request.GET.get("page")),
        per_page=per_page,
    )
    counts = result.counts
    page = selectors.page_of(
        selectors.rows_for(
            result.services,
            municipality=ws["municipality"],
            scope=ws["scope"],
            default_target=ws["default_target"],
        ),
        count=result.count,
        number=result.number,
        per_page=per_page,
    )
    context = {
        **ws,
        "page_obj": page,
        "per_page": per_page,
        "per_page_choices": PER_PAGE_CHOICES,
        "counts": counts,
        "statuses": ImplementationStatus,
        "saved_filters": selectors.saved_filters_of(request.user, ws["municipality"]),
        "save_filter_form": SavedFilterForm(initial={"query": ws["query"]}),
        "bulk_form": BulkEditForm(
            municipality=ws["municipality"],
            levels=ws["levels"],
            departments=ws["departments"],
            prefix=BULK_PREFIX,
        )
        if ws["scope"].can_edit_any
        else None,
        "hx_target": "#implementation-results",
    }
    template = (
        "implementation/_list_results.html"
        if _wants_partial(request)
        else "implementation/service_list.html"
    )
    return _render(request, template, context)


@login_required
def board(request: HttpRequest, pk: int) -> HttpResponse:
    """Kanban board: one column per status, the cards filtered like the list."""
    ws = _workspace(request, pk)
    cards, counts = selectors.board_cards(
        ws["without_status"],
        municipality=ws["municipality"],
        sort=ws["cleaned"].get("sort"),
        per_column=BOARD_CARDS_PER_COLUMN,
    )
    rows = selectors.rows_for(
        [card for column in cards.values() for card in column],
        municipality=ws["municipality"],
        scope=ws["scope"],
        default_target=ws["default_target"],
        with_steps=True,
    )
    columns = [
        {
            "status": status,
            "count": counts[status.value],
            "rows": [row for row in rows if row.service.impl_status == status.value],
        }
        for status in ImplementationStatus
    ]
    for column in columns:
        column["hidden"] = column["count"] - len(column["rows"])
    context = {
        **ws,
        "columns": columns,
        "board_url": f"{request.path}?{request.GET.urlencode()}" if request.GET else request.path,
    }
    return _render(request, "implementation/board.html", context)


@login_required
def ozg_list(request: HttpRequest, pk: int) -> HttpResponse:
    """The Kommune's Leistungen rolled up per OZG-Leistung."""
    ws = _workspace(request, pk)
    rows, count, number = selectors.ozg_rollup_page(
        ws["filtered"], number=selectors.page_number(request.GET.get("page")), per_page=OZG_PER_PAGE
    )
    page = selectors.page_of(rows, count=count, number=number, per_page=OZG_PER_PAGE)
    return _render(
        request,
        "implementation/ozg_list.html",
        {**ws, "page_obj": page, "statuses": ImplementationStatus},
    )


# --- One Leistung -----------------------------------------------------------------------------------


def _one(request: HttpRequest, pk: int, service_pk: int):
    municipality = municipality_get_for_user(user=request.user, pk=pk)
    service = selectors.workspace_service_get(municipality=municipality, service_pk=service_pk)
    return municipality, service, selectors.edit_scope_for(request.user, municipality)


def _require_edit(scope, service) -> None:
    if not scope.can_edit(service.impl_department_id):
        raise PermissionDenied(
            _(
                "Sie können nur Leistungen Ihres Fachbereichs oder noch nicht zugeordnete "
                "Leistungen bearbeiten."
            )
        )


def _initial(record, service) -> dict:
    if record is None:
        return {"status": ImplementationStatus.OPEN, "version": 0}
    return {
        "department": record.department_id,
        "contact_person": record.contact_person_id,
        "status": record.status,
        "current_level": record.current_level,
        "target_level": record.target_level,
        "case_count": record.case_count,
        "case_count_year": record.case_count_year,
        "priority": record.priority,
        "planned_date": record.planned_date,
        "solution": record.solution,
        "notes": record.notes,
        "version": record.version,
    }


def _conflict_rows(current, submitted: dict) -> list[dict]:
    """The fields whose saved value differs from what the person submitted."""
    rows = []
    for name in services.EDITABLE_FIELDS:
        if name not in submitted:
            continue
        saved, mine = getattr(current, name), submitted[name]
        if saved != mine:
            rows.append(
                {
                    "label": services.field_label(name),
                    "saved": services.display_value(name, saved),
                    "mine": services.display_value(name, mine),
                }
            )
    return rows


def _rebound_after_conflict(request, form_class, conflict, **form_kwargs):
    """The person's input again, now based on the newer version (so saving again is a choice
    made after seeing the newer values)."""
    data = request.POST.copy()
    prefix = form_kwargs.get("prefix")
    data[f"{prefix}-version" if prefix else "version"] = conflict.current.version
    form = form_class(data, **form_kwargs)
    form.is_valid()
    return form


@login_required
def detail(request: HttpRequest, pk: int, service_pk: int) -> HttpResponse:
    """The whole record of one Leistung, its checklist and its history."""
    municipality, service, scope = _one(request, pk, service_pk)
    record = selectors.implementation_of(municipality=municipality, service=service)
    levels = selectors.maturity_levels()
    row = selectors.rows_for(
        [service],
        municipality=municipality,
        scope=scope,
        default_target=selectors.ozg_target_level(levels),
    )[0]
    steps = list(record.steps.all()) if record else []
    return _render(
        request,
        "implementation/detail.html",
        {
            "municipality": municipality,
            "service": service,
            "record": record,
            "row": row,
            "levels": {lvl.level: lvl for lvl in levels},
            "can_edit": scope.can_edit(service.impl_department_id),
            "steps": steps,
            "step_form": StepForm(),
            "history": selectors.history_of(record),
        },
    )


@login_required
def edit(request: HttpRequest, pk: int, service_pk: int) -> HttpResponse:
    """Edit the whole record; a stale form is refused with the newer values, input kept."""
    municipality, service, scope = _one(request, pk, service_pk)
    _require_edit(scope, service)
    levels = selectors.maturity_levels()
    record = selectors.implementation_of(municipality=municipality, service=service)
    form_kwargs = {"municipality": municipality, "levels": levels}
    conflict_rows = None
    status = 200
    if request.method == "POST":
        form = ImplementationForm(request.POST, **form_kwargs)
        if form.is_valid():
            try:
                services.implementation_update(
                    municipality=municipality,
                    service=service,
                    values=form.values(),
                    expected_version=form.cleaned_data["version"],
                    scope=scope,
                    actor=request.user,
                )
            except ImplementationConflict as conflict:
                conflict_rows = _conflict_rows(conflict.current, form.values())
                form = _rebound_after_conflict(request, ImplementationForm, conflict, **form_kwargs)
                status = 409
            except ValidationError as error:
                form.add_service_error(error)
                status = 400
            else:
                messages.success(request, _("Die Änderungen wurden gespeichert."))
                return redirect("implementation:detail", pk=municipality.pk, service_pk=service.pk)
        else:
            status = 400
    else:
        form = ImplementationForm(initial=_initial(record, service), **form_kwargs)
    return _render(
        request,
        "implementation/edit.html",
        {
            "municipality": municipality,
            "service": service,
            "record": record,
            "form": form,
            "conflict_rows": conflict_rows,
        },
        status=status,
    )


@login_required
def row_edit(request: HttpRequest, pk: int, service_pk: int) -> HttpResponse:
    """Quick inline edit of a list row (status, priority, Reifegrade) with htmx."""
    municipality, service, scope = _one(request, pk, service_pk)
    _require_edit(scope, service)
    levels = selectors.maturity_levels()
    form_kwargs = {
        "municipality": municipality,
        "levels": levels,
        "only": ImplementationForm.INLINE_FIELDS,
        "prefix": f"r{service.pk}",
    }
    partial = _wants_partial(request)
    conflict_rows = None
    status = 200
    if request.method == "POST":
        form = ImplementationForm(request.POST, **form_kwargs)
        if form.is_valid():
            try:
                services.implementation_update(
                    municipality=municipality,
                    service=service,
                    values=form.values(),
                    expected_version=form.cleaned_data["version"],
                    scope=scope,
                    actor=request.user,
                )
            except ImplementationConflict as conflict:
                conflict_rows = _conflict_rows(conflict.current, form.values())
                form = _rebound_after_conflict(request, ImplementationForm, conflict, **form_kwargs)
                status = 409
            else:
                if not partial:
                    messages.success(request, _("Die Änderungen wurden gespeichert."))
                    return redirect(_safe_next(request, _list_url(municipality)))
                service = selectors.workspace_service_get(
                    municipality=municipality, service_pk=service.pk
                )
                row = selectors.rows_for(
                    [service],
                    municipality=municipality,
                    scope=scope,
                    default_target=selectors.ozg_target_level(levels),
                )[0]
                return _render(
                    request,
                    "implementation/_rows.html",
                    {"rows": [row], "municipality": municipality, "saved": True, "can_bulk": True},
                )
        else:
            status = 400
    else:
        record = selectors.implementation_of(municipality=municipality, service=service)
        form = ImplementationForm(initial=_initial(record, service), **form_kwargs)
    context = {
        "municipality": municipality,
        "service": service,
        "form": form,
        "conflict_rows": conflict_rows,
        "next": _safe_next(request, _list_url(municipality)),
    }
    if partial:
        # htmx swaps only successful responses: errors come back as 200 with the messages.
        return _render(request, "implementation/_row_form.html", context)
    return _render(request, "implementation/row_edit.html", context, status=status)


@login_required
@require_POST
def move(request: HttpRequest, pk: int, service_pk: int) -> HttpResponse:
    """Move a board card to another status (drag and drop, or the card's select and button)."""
    municipality, service, scope = _one(request, pk, service_pk)
    _require_edit(scope, service)
    board_url = reverse("implementation:board", kwargs={"pk": municipality.pk})
    form = MoveForm(request.POST)
    if not form.is_valid():
        return _render(
            request,
            "implementation/refused.html",
            {"municipality": municipality, "reasons": _form_errors(form), "back": board_url},
            status=400,
        )
    try:
        services.implementation_update(
            municipality=municipality,
            service=service,
            values={"status": form.cleaned_data["status"]},
            expected_version=form.cleaned_data["version"],
            scope=scope,
            actor=request.user,
        )
    except ImplementationConflict as conflict:
        messages.error(
            request,
            _(
                "„%(name)s“ wurde inzwischen von jemand anderem geändert (Status jetzt: "
                "%(status)s). Bitte prüfen Sie die Karte und verschieben Sie sie erneut."
            )
            % {
                "name": service.name,
                "status": services.display_value("status", conflict.current.status),
            },
        )
    else:
        messages.success(
            request,
            _("„%(name)s“ steht jetzt in „%(status)s“.")
            % {
                "name": service.name,
                "status": ImplementationStatus(form.cleaned_data["status"]).label,
            },
        )
    return redirect(_safe_next(request, board_url))


def _form_errors(form) -> list[str]:
    return [str(error) for errors in form.errors.values() for error in errors]


@login_required
@require_POST
def bulk_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Set department, status, priority or target Reifegrad of the selected rows at once."""
    municipality = municipality_get_for_user(user=request.user, pk=pk)
    scope = selectors.edit_scope_for(request.user, municipality)
    if not scope.can_edit_any:
        raise PermissionDenied(_("Sie können in dieser Kommune keine Leistungen bearbeiten."))
    back = _safe_next(request, _list_url(municipality))
    form = BulkEditForm(request.POST, municipality=municipality, prefix=BULK_PREFIX)
    reasons: list[str] = []
    if form.is_valid():
        pairs = form.cleaned_data["selected"]
        found = {
            s.pk: s
            for s in selectors.workspace_services(municipality=municipality).filter(
                pk__in=[service_id for service_id, _v in pairs]
            )
        }
        if len(found) != len({service_id for service_id, _v in pairs}):
            raise Http404
        try:
            changed = services.implementation_bulk_update(
                municipality=municipality,
                selections=[(found[service_id], version) for service_id, version in pairs],
                values=form.values(),
                scope=scope,
                actor=request.user,
            )
        except ImplementationConflict as conflict:
            reasons.append(
                _(
                    "„%(name)s“ wurde inzwischen von jemand anderem geändert. Es wurde nichts "
                    "gespeichert; bitte laden Sie die Liste neu und wählen Sie erneut."
                )
                % {"name": conflict.service.name if conflict.service else ""}
            )
        except PermissionDenied as error:
            reasons.append(str(error))
        except ValidationError as error:
            reasons.extend(error.messages)
        else:
            messages.success(
                request,
                ngettext(
                    "%(count)s Leistung wurde geändert.",
                    "%(count)s Leistungen wurden geändert.",
                    changed,
                )
                % {"count": changed},
            )
            return redirect(back)
    else:
        reasons = _form_errors(form)
    return _render(
        request,
        "implementation/refused.html",
        {"municipality": municipality, "reasons": reasons, "back": back},
        status=400 if not form.is_valid() else 409,
    )


# --- Checklist ------------------------------------------------------------------------------------


def _detail_url(municipality, service_id: int) -> str:
    return reverse(
        "implementation:detail", kwargs={"pk": municipality.pk, "service_pk": service_id}
    )


@login_required
@require_POST
def step_add(request: HttpRequest, pk: int, service_pk: int) -> HttpResponse:
    municipality, service, scope = _one(request, pk, service_pk)
    _require_edit(scope, service)
    form = StepForm(request.POST)
    back = _safe_next(request, _detail_url(municipality, service.pk))
    if not form.is_valid():
        return _render(
            request,
            "implementation/refused.html",
            {"municipality": municipality, "reasons": _form_errors(form), "back": back},
            status=400,
        )
    services.step_add(
        municipality=municipality,
        service=service,
        title=form.cleaned_data["title"],
        due_date=form.cleaned_data["due_date"],
        scope=scope,
        actor=request.user,
    )
    messages.success(request, _("Der Schritt wurde hinzugefügt."))
    return redirect(back)


@login_required
@require_POST
def step_change(request: HttpRequest, pk: int, step_pk: int) -> HttpResponse:
    """Mark a checklist step done/open ("toggle") or remove it ("delete")."""
    municipality = municipality_get_for_user(user=request.user, pk=pk)
    try:
        step = ImplementationStep.objects.select_related("implementation").get(
            pk=step_pk, implementation__municipality=municipality
        )
    except ImplementationStep.DoesNotExist:
        raise Http404 from None
    scope = selectors.edit_scope_for(request.user, municipality)
    if not scope.can_edit(step.implementation.department_id):
        raise PermissionDenied(_("Sie können diese Leistung nicht bearbeiten."))
    action = request.POST.get("action")
    back = _safe_next(request, _detail_url(municipality, step.implementation.service_id))
    if action not in ("toggle", "delete"):
        return _render(
            request,
            "implementation/refused.html",
            {"municipality": municipality, "reasons": [_("Unbekannte Aktion.")], "back": back},
            status=400,
        )
    services.step_change(step=step, action=action, scope=scope, actor=request.user)
    return redirect(back)


# --- Saved filters ----------------------------------------------------------------------------------


@login_required
@require_POST
def filter_save(request: HttpRequest, pk: int) -> HttpResponse:
    municipality = municipality_get_for_user(user=request.user, pk=pk)
    form = SavedFilterForm(request.POST)
    if not form.is_valid():
        return _render(
            request,
            "implementation/refused.html",
            {
                "municipality": municipality,
                "reasons": _form_errors(form),
                "back": _list_url(municipality),
            },
            status=400,
        )
    # Keep only the filter fields (no page number) of what the list showed.
    query = QueryDict(form.cleaned_data["query"], mutable=True)
    query.pop("page", None)
    saved = services.saved_filter_save(
        user=request.user,
        municipality=municipality,
        name=form.cleaned_data["name"],
        query=query.urlencode(),
    )
    messages.success(request, _("Der Filter „%(name)s“ wurde gespeichert.") % {"name": saved.name})
    return redirect(f"{_list_url(municipality)}?{saved.query}")


@login_required
@require_POST
def filter_delete(request: HttpRequest, pk: int) -> HttpResponse:
    municipality = municipality_get_for_user(user=request.user, pk=pk)
    filter_id = request.POST.get("id", "")
    if not filter_id.isdigit() or not services.saved_filter_delete(
        user=request.user, municipality=municipality, pk=int(filter_id)
    ):
        return _render(
            request,
            "implementation/refused.html",
            {
                "municipality": municipality,
                "reasons": [_("Diesen gespeicherten Filter gibt es nicht.")],
                "back": _list_url(municipality),
            },
            status=400,
        )
    messages.success(request, _("Der Filter wurde gelöscht."))
    return redirect(_list_url(municipality))
