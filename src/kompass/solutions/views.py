"""Pages of the solutions marketplace: the list (with exports), one solution, entering and
reviewing entries, the Leistungen a solution covers, a Kommune's usage, and the gaps with offers.

Access: solutions through selectors.solution_get_for_user (404 for another Kommune's proposal),
Kommunen through municipality_get_for_user, usages only within their Kommune (404 otherwise);
changing needs the rights checked again in services (403 when visible but not changeable).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from kompass.accounts.selectors import (
    is_platform_operator,
    municipality_get_for_user,
)
from kompass.implementation.selectors import (
    edit_scope_for,
    maturity_levels,
    ozg_target_level,
    page_number,
    page_of,
    workspace_service_get,
)
from kompass.solutions import exports, selectors, services
from kompass.solutions.choices import ReviewState
from kompass.solutions.forms import (
    CoverageAddForm,
    CoverageKeysForm,
    CoverageSearchForm,
    GapFilterForm,
    ReviewForm,
    SolutionFilterForm,
    SolutionForm,
    UsageForm,
)
from kompass.solutions.models import Solution
from kompass.solutions.services import SolutionConflict

PER_PAGE = 25
GAPS_PER_PAGE = 25
COVERAGE_PER_PAGE = 50
USERS_PER_PAGE = 50


def _wants_partial(request: HttpRequest) -> bool:
    htmx = getattr(request, "htmx", None)
    return bool(htmx) and not htmx.history_restore_request


def _render(request, template: str, context: dict, status: int = 200) -> HttpResponse:
    response = render(request, template, context, status=status)
    patch_vary_headers(response, ("HX-Request",))
    return response


def _refused(request, reasons: list[str], back: str, status: int = 400) -> HttpResponse:
    return _render(request, "solutions/refused.html", {"reasons": reasons, "back": back}, status)


def _form_errors(form) -> list[str]:
    return [str(error) for errors in form.errors.values() for error in errors]


def _detail_url(solution: Solution) -> str:
    return reverse("solutions:detail", kwargs={"pk": solution.pk})


# --- The list and its exports -----------------------------------------------------------------


def _filtered(request: HttpRequest):
    """The visible solutions filtered by the request's query string, and the bound filter form."""
    visible = selectors.solutions_visible_to(request.user)
    form = SolutionFilterForm(
        request.GET or None,
        providers=selectors.provider_names(visible),
        levels=maturity_levels(),
    )
    data = form.cleaned_data if form.is_valid() else {}
    solutions = visible
    if data.get("kind"):
        solutions = solutions.filter(kind=data["kind"])
    if data.get("provider"):
        solutions = solutions.filter(provider_name=data["provider"])
    if data.get("status"):
        solutions = solutions.filter(status=data["status"])
    if data.get("review"):
        solutions = solutions.filter(review_state=data["review"])
    solutions = selectors.search_filter(solutions, data.get("q") or "")
    solutions = selectors.coverage_filter(
        solutions,
        topic_code=data.get("topic") or "",
        service_query=data.get("leistung") or "",
        min_level=data.get("level"),
    )
    solutions = selectors.with_coverage_summary(solutions).order_by("name", "pk")
    return form, solutions


@login_required
def overview(request: HttpRequest) -> HttpResponse:
    """All solutions the person may see: search, filters, exports; links to enter new ones."""
    form, solutions = _filtered(request)
    page = Paginator(solutions, PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "filters": form,
        "page_obj": page,
        "query": request.GET.urlencode(),
        "hx_target": "#solutions-results",
        "can_create": selectors.can_create_central(request.user),
        "proposing_for": list(selectors.proposing_municipalities_for(request.user)),
        "review_count": selectors.proposals_for_review(request.user).count()
        if is_platform_operator(request.user)
        else 0,
    }
    if _wants_partial(request):
        return _render(request, "solutions/_solution_results.html", context)
    return _render(request, "solutions/solution_list.html", context)


@login_required
def export(request: HttpRequest) -> HttpResponse:
    """The filtered list as CSV (default) or XLSX (?format=xlsx)."""
    _form, solutions = _filtered(request)
    if request.GET.get("format") == "xlsx":
        response = HttpResponse(
            exports.solutions_xlsx(solutions),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        response["Content-Disposition"] = 'attachment; filename="loesungen.xlsx"'
    else:
        response = HttpResponse(
            exports.solutions_csv(solutions), content_type="text/csv; charset=utf-8"
        )
        response["Content-Disposition"] = 'attachment; filename="loesungen.csv"'
    return response


# --- One solution -------------------------------------------------------------------------------


@login_required
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A solution with the Leistungen it covers, the Kommunen using it and its history."""
    solution = selectors.solution_get_for_user(user=request.user, pk=pk)
    coverage = Paginator(selectors.coverage_of(solution), COVERAGE_PER_PAGE).get_page(
        request.GET.get("page")
    )
    users = Paginator(selectors.usages_of(solution), USERS_PER_PAGE).get_page(
        request.GET.get("users")
    )
    return _render(
        request,
        "solutions/solution_detail.html",
        {
            "solution": solution,
            "coverage_page": coverage,
            "users_page": users,
            "history": selectors.history_of(solution),
            "can_edit": selectors.can_edit_solution(request.user, solution),
            "can_review": selectors.can_review(request.user, solution)
            and solution.review_state == ReviewState.PROPOSAL,
            "levels": {lvl.level: lvl for lvl in maturity_levels()},
        },
    )


def _save_form(request, *, form, write, success: str, template: str, context: dict):
    """Validate, call the service, and redirect to the solution; errors stay on the form."""
    status = 200
    conflict = None
    if request.method == "POST":
        if form.is_valid():
            try:
                solution = write(form)
            except SolutionConflict as error:
                conflict = error.current
                status = 409
            except ValidationError as error:
                form.add_service_error(error)
                status = 400
            else:
                messages.success(request, success)
                return redirect(_detail_url(solution))
        else:
            status = 400
    return _render(request, template, {**context, "form": form, "conflict": conflict}, status)


@login_required
def create(request: HttpRequest) -> HttpResponse:
    """A central entry by a platform operator, published at once."""
    if not selectors.can_create_central(request.user):
        raise Http404
    form = SolutionForm(request.POST or None)
    return _save_form(
        request,
        form=form,
        write=lambda f: services.solution_create(values=f.values(), actor=request.user),
        success=_("Die Lösung wurde angelegt und veröffentlicht."),
        template="solutions/solution_form.html",
        context={"mode": "create"},
    )


@login_required
def propose(request: HttpRequest, pk: int) -> HttpResponse:
    """A Kommune's proposal; an operator reviews it before everyone sees it."""
    municipality = municipality_get_for_user(user=request.user, pk=pk)
    if not edit_scope_for(request.user, municipality).can_edit_any:
        raise PermissionDenied(_("Vorschläge machen die Administration und die Bearbeitung."))
    form = SolutionForm(request.POST or None)
    return _save_form(
        request,
        form=form,
        write=lambda f: services.solution_propose(
            municipality=municipality, values=f.values(), actor=request.user
        ),
        success=_(
            "Ihr Vorschlag wurde gespeichert. Fügen Sie nun die abgedeckten Leistungen hinzu; "
            "der Plattformbetrieb prüft ihn, bevor alle ihn sehen."
        ),
        template="solutions/solution_form.html",
        context={"mode": "propose", "municipality": municipality},
    )


def _editable(request: HttpRequest, pk: int) -> Solution:
    solution = selectors.solution_get_for_user(user=request.user, pk=pk)
    if not selectors.can_edit_solution(request.user, solution):
        raise PermissionDenied(_("Sie können diese Lösung nicht bearbeiten."))
    return solution


@login_required
def edit(request: HttpRequest, pk: int) -> HttpResponse:
    solution = _editable(request, pk)
    if request.method == "POST":
        form = SolutionForm(request.POST)
    else:
        form = SolutionForm(initial=SolutionForm.initial_for(solution))
    return _save_form(
        request,
        form=form,
        write=lambda f: services.solution_update(
            solution=solution,
            values=f.values(),
            expected_version=f.cleaned_data.get("version"),
            actor=request.user,
        ),
        success=_("Die Änderungen wurden gespeichert."),
        template="solutions/solution_form.html",
        context={"mode": "edit", "solution": solution},
    )


@login_required
def review(request: HttpRequest, pk: int) -> HttpResponse:
    """An operator accepts a proposal (with edits) or rejects it with a reason."""
    solution = selectors.solution_get_for_user(user=request.user, pk=pk)
    if not selectors.can_review(request.user, solution):
        raise PermissionDenied(_("Nur der Plattformbetrieb prüft Vorschläge."))
    if request.method == "POST":
        form = ReviewForm(request.POST)
    else:
        form = ReviewForm(initial=SolutionForm.initial_for(solution))

    def write(f):
        version = f.cleaned_data.get("version")
        if f.cleaned_data["decision"] == ReviewForm.REJECT:
            return services.solution_reject(
                solution=solution,
                reason=f.cleaned_data["rejection_reason"],
                expected_version=version,
                actor=request.user,
            )
        return services.solution_accept(
            solution=solution, values=f.values(), expected_version=version, actor=request.user
        )

    decision = request.POST.get("decision")
    return _save_form(
        request,
        form=form,
        write=write,
        success=_("Der Vorschlag wurde abgelehnt; die Kommune sieht die Begründung.")
        if decision == ReviewForm.REJECT
        else _("Der Vorschlag wurde angenommen und ist jetzt für alle sichtbar."),
        template="solutions/solution_review.html",
        context={
            "solution": solution,
            "coverage": list(selectors.coverage_of(solution)[:COVERAGE_PER_PAGE]),
            "coverage_total": selectors.coverage_of(solution).count(),
        },
    )


# --- Covered Leistungen ------------------------------------------------------------------------


@login_required
def coverage(request: HttpRequest, pk: int) -> HttpResponse:
    """Pick the Leistungen a solution covers: by search, a whole OZG-Leistung or pasted LeiKa
    keys. Candidates are shown for confirmation; nothing is written before "Hinzufügen"."""
    solution = _editable(request, pk)
    levels = maturity_levels()
    search = CoverageSearchForm(request.GET or None)
    keys_form = CoverageKeysForm()
    candidates: list = []
    key_errors: list[str] = []
    add_form = None
    status = 200
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "preview":
            keys_form = CoverageKeysForm(request.POST)
            if keys_form.is_valid():
                candidates, key_errors = selectors.services_for_keys(keys_form.cleaned_data["keys"])
            else:
                status = 400
        elif action == "add":
            add_form = CoverageAddForm(request.POST, levels=levels)
            submitted = [v for v in request.POST.getlist("service") if v.isdigit()]
            found = selectors.current_services_by_id([int(v) for v in submitted])
            add_form.bind_service_choices([s.pk for s in found])
            if add_form.is_valid():
                try:
                    count = services.solution_coverage_set(
                        solution=solution,
                        services=found,
                        level=add_form.cleaned_data["level"],
                        actor=request.user,
                    )
                except ValidationError as error:
                    add_form.add_service_error(error)
                else:
                    messages.success(
                        request,
                        ngettext(
                            "%(count)s Leistung wurde übernommen.",
                            "%(count)s Leistungen wurden übernommen.",
                            count,
                        )
                        % {"count": count},
                    )
                    return redirect("solutions:coverage", pk=solution.pk)
            candidates = found
            status = 400
        elif action == "remove":
            service_id = request.POST.get("remove", "")
            row = (
                selectors.coverage_of(solution).filter(service_id=int(service_id)).first()
                if service_id.isdigit()
                else None
            )
            if row is None:
                return _refused(
                    request,
                    [_("Diese Leistung gehört nicht zu dieser Lösung.")],
                    reverse("solutions:coverage", kwargs={"pk": solution.pk}),
                )
            services.solution_coverage_remove(
                solution=solution, service=row.service, actor=request.user
            )
            messages.success(request, _("„%(name)s“ wurde entfernt.") % {"name": row.service.name})
            return redirect("solutions:coverage", pk=solution.pk)
        else:
            return _refused(
                request,
                [_("Unbekannte Aktion.")],
                reverse("solutions:coverage", kwargs={"pk": solution.pk}),
            )
    elif search.is_valid():
        candidates = selectors.coverage_candidates(
            query=search.cleaned_data.get("q") or "", ozg_id=search.cleaned_data.get("ozg") or ""
        )
    if add_form is None:
        add_form = CoverageAddForm(levels=levels, initial={"level": ozg_target_level(levels)})
    page = Paginator(selectors.coverage_of(solution), COVERAGE_PER_PAGE).get_page(
        request.GET.get("page")
    )
    covered_ids = set(
        selectors.coverage_of(solution)
        .filter(service_id__in=[c.pk for c in candidates])
        .values_list("service_id", flat=True)
    )
    return _render(
        request,
        "solutions/solution_coverage.html",
        {
            "solution": solution,
            "search": search,
            "keys_form": keys_form,
            "add_form": add_form,
            "candidates": candidates,
            "covered_ids": covered_ids,
            "preselect": request.method == "POST" or bool(request.GET.get("ozg")),
            "key_errors": key_errors,
            "page_obj": page,
            "levels": levels,
        },
        status=status,
    )


# --- Usage -----------------------------------------------------------------------------------


def _usage_context(request, municipality, service):
    covering, others = selectors.usable_solutions(service=service)
    record = selectors.implementation_record(municipality=municipality, service=service)
    return {
        "municipality": municipality,
        "service": service,
        "record": record,
        "usages": selectors.usages_for(municipality=municipality, service=service),
        "matches": selectors.solutions_matching_text(record.solution) if record else [],
        "covering": covering,
        "others": others,
    }


@login_required
def usage(request: HttpRequest, pk: int, service_pk: int) -> HttpResponse:
    """Record which solution the Kommune uses or plans for a Leistung, and whom others may ask."""
    municipality = municipality_get_for_user(user=request.user, pk=pk)
    service = workspace_service_get(municipality=municipality, service_pk=service_pk)
    if not edit_scope_for(request.user, municipality).can_edit(service.impl_department_id):
        raise PermissionDenied(
            _("Sie können die Nutzung nur für Leistungen Ihres Fachbereichs erfassen.")
        )
    context = _usage_context(request, municipality, service)
    form_kwargs = {
        "municipality": municipality,
        "covering": context["covering"],
        "others": context["others"],
    }
    status = 200
    if request.method == "POST":
        form = UsageForm(request.POST, **form_kwargs)
        if form.is_valid():
            solution = next(
                s
                for s in [*context["covering"], *context["others"]]
                if s.pk == form.cleaned_data["solution"]
            )
            try:
                services.solution_usage_record(
                    municipality=municipality,
                    service=service,
                    solution=Solution.objects.get(pk=solution.pk),
                    state=form.cleaned_data["state"],
                    contact_person=form.cleaned_data["contact_person"],
                    actor=request.user,
                )
            except ValidationError as error:
                form.add_service_error(error)
                status = 400
            else:
                messages.success(
                    request,
                    _("Die Nutzung von „%(name)s“ wurde gespeichert.") % {"name": solution.name},
                )
                return redirect("solutions:usage", pk=municipality.pk, service_pk=service.pk)
        else:
            status = 400
    else:
        initial = {"state": "uses", "contact_person": request.user.pk}
        preselected = request.GET.get("loesung", "")
        if preselected.isdigit():
            initial["solution"] = preselected
        form = UsageForm(initial=initial, **form_kwargs)
    return _render(request, "solutions/usage_form.html", {**context, "form": form}, status)


@login_required
@require_POST
def usage_delete(request: HttpRequest, pk: int, usage_pk: int) -> HttpResponse:
    municipality = municipality_get_for_user(user=request.user, pk=pk)
    found = selectors.usage_get_for_municipality(municipality=municipality, pk=usage_pk)
    services.solution_usage_delete(usage=found, actor=request.user)
    messages.success(
        request, _("Die Nutzung von „%(name)s“ wurde entfernt.") % {"name": found.solution.name}
    )
    return redirect("solutions:usage", pk=municipality.pk, service_pk=found.service_id)


@login_required
def usage_list(request: HttpRequest, pk: int) -> HttpResponse:
    """The solutions a Kommune uses or plans, per Leistung."""
    municipality = municipality_get_for_user(user=request.user, pk=pk)
    page = Paginator(selectors.usages_of_municipality(municipality), PER_PAGE).get_page(
        request.GET.get("page")
    )
    return _render(
        request, "solutions/usage_list.html", {"municipality": municipality, "page_obj": page}
    )


# --- Gaps and offers ------------------------------------------------------------------------------


@login_required
def gaps(request: HttpRequest, pk: int) -> HttpResponse:
    """ "Lücken und Angebote": the Kommune's Leistungen below target with the solutions that
    cover them and the Kommunen that already use them."""
    municipality = municipality_get_for_user(user=request.user, pk=pk)
    form = GapFilterForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    levels = maturity_levels()
    queryset = selectors.gaps_of(
        municipality=municipality,
        default_target=ozg_target_level(levels),
        offers=data.get("offers") or "",
    )
    if data.get("topic"):
        queryset = queryset.filter(topic__code=data["topic"])
    gaps, count, number = selectors.gap_page(
        queryset,
        municipality=municipality,
        number=page_number(request.GET.get("page")),
        per_page=GAPS_PER_PAGE,
    )
    page = page_of(gaps, count=count, number=number, per_page=GAPS_PER_PAGE)
    context = {
        "municipality": municipality,
        "filters": form,
        "page_obj": page,
        "levels": {lvl.level: lvl for lvl in levels},
        "hx_target": "#gap-results",
        "can_edit": edit_scope_for(request.user, municipality).can_edit_any,
    }
    if _wants_partial(request):
        return _render(request, "solutions/_gap_results.html", context)
    return _render(request, "solutions/gap_list.html", context)


@login_required
def gaps_overview(request: HttpRequest) -> HttpResponse:
    """For operators: the gaps most common across their member Kommunen, uncovered first."""
    if not is_platform_operator(request.user):
        raise Http404
    form = GapFilterForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    members = selectors.member_municipalities(request.user)
    rows = selectors.common_gaps(
        members=members,
        default_target=ozg_target_level(maturity_levels()),
        offers=data.get("offers") or "",
        topic_code=data.get("topic") or "",
    )
    page = Paginator(rows, GAPS_PER_PAGE).get_page(request.GET.get("page"))
    page.object_list = selectors.services_for_common_gaps(list(page.object_list))
    return _render(
        request,
        "solutions/gap_overview.html",
        {
            "filters": form,
            "page_obj": page,
            "member_count": members.count(),
            "proposals": list(selectors.proposals_for_review(request.user)[:20]),
        },
    )
