"""Pages for signing in, passwords, invitations, and a Kommune's organisation (departments, people,
roles). Access: selectors fetch (404 for other tenants); services check writes (403 otherwise)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from kompass.accounts import selectors, services
from kompass.accounts.choices import AuditKind
from kompass.accounts.forms import (
    DepartmentForm,
    InvitationAcceptForm,
    InvitationForm,
    LoginForm,
    PasswordChangeForm,
    PasswordResetForm,
    RoleGrantForm,
    SetPasswordForm,
)
from kompass.municipalities.models import Municipality

# --- Sign-in and passwords ------------------------------------------------------------------


class LoginView(auth_views.LoginView):
    form_class = LoginForm
    template_name = "accounts/login.html"
    redirect_authenticated_user = True


class PasswordChangeView(auth_views.PasswordChangeView):
    form_class = PasswordChangeForm
    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("accounts:password-change-done")

    def form_valid(self, form):
        response = super().form_valid(form)
        services.audit_record(
            AuditKind.PASSWORD_CHANGED,
            actor=self.request.user,
            subject_user=self.request.user,
            request=self.request,
        )
        return response


class PasswordChangeDoneView(auth_views.PasswordChangeDoneView):
    template_name = "accounts/password_change_done.html"


class PasswordResetView(auth_views.PasswordResetView):
    form_class = PasswordResetForm
    template_name = "accounts/password_reset.html"
    email_template_name = "accounts/email/password_reset_body.txt"
    subject_template_name = "accounts/email/password_reset_subject.txt"
    success_url = reverse_lazy("accounts:password-reset-done")

    def form_valid(self, form):
        services.audit_record(
            AuditKind.PASSWORD_RESET_REQUESTED,
            subject_name=form.cleaned_data["email"],
            request=self.request,
        )
        return super().form_valid(form)


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "accounts/password_reset_done.html"


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    form_class = SetPasswordForm
    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("accounts:password-reset-complete")

    def form_valid(self, form):
        response = super().form_valid(form)
        services.login_lockout_clear(user=form.user)
        services.audit_record(
            AuditKind.PASSWORD_RESET, subject_user=form.user, actor=form.user, request=self.request
        )
        return response


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "accounts/password_reset_complete.html"


@require_http_methods(["GET", "POST"])
def invitation_accept(request: HttpRequest, token: str) -> HttpResponse:
    """The invited person opens the one-time link, chooses name and password, and is signed in."""
    invitation = services.invitation_for_token(token)
    if invitation is None:
        return render(request, "accounts/invitation_invalid.html", status=404)
    form = InvitationAcceptForm(request.POST or None, email=invitation.email)
    if request.method == "POST" and form.is_valid():
        try:
            user = services.invitation_accept(
                invitation=invitation,
                username=form.cleaned_data["username"],
                password=form.cleaned_data["password1"],
                first_name=form.cleaned_data["first_name"],
                last_name=form.cleaned_data["last_name"],
                request=request,
            )
        except ValidationError as error:
            form.add_service_error(error)
        else:
            login(request, user, backend="kompass.accounts.backends.UsernameOrEmailBackend")
            messages.success(request, _("Willkommen! Ihr Konto ist eingerichtet."))
            return redirect("accounts:profile")
    return render(
        request, "accounts/invitation_accept.html", {"invitation": invitation, "form": form}
    )


@login_required
def profile(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "accounts/profile.html",
        {
            "assignments": selectors.role_assignments_for_display(request.user),
            "is_operator": selectors.is_platform_operator(request.user),
        },
    )


# --- Organisation of a Kommune ----------------------------------------------------------------


@login_required
def organisation_list(request: HttpRequest) -> HttpResponse:
    """The Kommunen (and for operators: the providers) whose organisation the user can open."""
    user = request.user
    municipalities = (
        selectors.municipalities_visible_to(user)
        .select_related("district")
        .order_by("level", "name")
    )
    managed_ids = set(selectors.municipalities_managed_by(user).values_list("pk", flat=True))
    page = Paginator(municipalities, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "accounts/organisation_list.html",
        {
            "page_obj": page,
            "managed_ids": managed_ids,
            "providers": selectors.providers_operated_by(user),
            "is_operator": selectors.is_platform_operator(user),
        },
    )


def _require_manage(request: HttpRequest, municipality: Municipality) -> None:
    if not selectors.can_manage_municipality(request.user, municipality):
        raise PermissionDenied


@login_required
def municipality_organisation(request: HttpRequest, pk: int) -> HttpResponse:
    municipality = selectors.municipality_get_for_user(user=request.user, pk=pk)
    return render(
        request,
        "accounts/municipality_organisation.html",
        {
            "municipality": municipality,
            "departments": municipality.departments.order_by("code"),
            "can_manage": selectors.can_manage_municipality(request.user, municipality),
        },
    )


@login_required
def municipality_people(request: HttpRequest, pk: int) -> HttpResponse:
    """People, roles and invitations of one Kommune (Kommune admins and operators)."""
    municipality = selectors.municipality_get_for_user(user=request.user, pk=pk)
    _require_manage(request, municipality)
    invitations = (
        selectors.invitations_visible_to(request.user)
        .filter(municipality=municipality)
        .select_related("department", "municipality", "invited_by")
    )
    return render(
        request,
        "accounts/municipality_people.html",
        {
            "municipality": municipality,
            "assignments": selectors.municipality_role_assignments(municipality),
            "invitations": invitations,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def department_create(request: HttpRequest, pk: int) -> HttpResponse:
    municipality = selectors.municipality_get_for_user(user=request.user, pk=pk)
    _require_manage(request, municipality)
    form = DepartmentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            department = services.department_create(
                municipality=municipality, actor=request.user, **form.cleaned_data
            )
        except ValidationError as error:
            form.add_service_error(error)
        else:
            messages.success(request, _("Fachbereich „%(name)s“ angelegt.") % {"name": department})
            return redirect("accounts:municipality-organisation", pk=municipality.pk)
    return render(
        request,
        "accounts/department_form.html",
        {"municipality": municipality, "form": form, "department": None},
    )


@login_required
@require_http_methods(["GET", "POST"])
def department_update(request: HttpRequest, pk: int) -> HttpResponse:
    department = selectors.department_get_for_user(user=request.user, pk=pk)
    municipality = department.municipality
    _require_manage(request, municipality)
    form = DepartmentForm(
        request.POST or None, initial={"code": department.code, "name": department.name}
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.department_update(
                department=department, actor=request.user, **form.cleaned_data
            )
        except ValidationError as error:
            form.add_service_error(error)
        else:
            messages.success(
                request, _("Fachbereich „%(name)s“ gespeichert.") % {"name": department}
            )
            return redirect("accounts:municipality-organisation", pk=municipality.pk)
    return render(
        request,
        "accounts/department_form.html",
        {"municipality": municipality, "form": form, "department": department},
    )


@login_required
@require_http_methods(["GET", "POST"])
def department_delete(request: HttpRequest, pk: int) -> HttpResponse:
    department = selectors.department_get_for_user(user=request.user, pk=pk)
    municipality = department.municipality
    _require_manage(request, municipality)
    error = None
    if request.method == "POST":
        label = str(department)
        try:
            services.department_delete(department=department, actor=request.user)
        except ValidationError as exc:
            error = " ".join(exc.messages)
        else:
            messages.success(request, _("Fachbereich „%(name)s“ gelöscht.") % {"name": label})
            return redirect("accounts:municipality-organisation", pk=municipality.pk)
    return render(
        request,
        "accounts/confirm.html",
        {
            "title": _("Fachbereich löschen"),
            "question": _("Wollen Sie den Fachbereich „%(name)s“ löschen?") % {"name": department},
            "confirm_label": _("Löschen"),
            "cancel_url": reverse("accounts:municipality-organisation", args=[municipality.pk]),
            "error": error,
        },
        status=400 if error else 200,
    )


def _role_form_page(
    request: HttpRequest, *, form_class, municipality=None, provider=None, invite: bool
) -> HttpResponse:
    """Shared by the four pages that grant a role or invite to one (Kommune or provider)."""
    form = form_class(
        request.POST or None, actor=request.user, municipality=municipality, provider=provider
    )
    back_url = (
        reverse("accounts:municipality-people", args=[municipality.pk])
        if municipality is not None
        else reverse("accounts:provider-detail", args=[provider.pk])
    )
    if request.method == "POST" and form.is_valid():
        try:
            if invite:
                invitation = services.invitation_create(
                    email=form.cleaned_data["email"],
                    actor=request.user,
                    site_url=request.build_absolute_uri("/"),
                    request=request,
                    **form.scope(),
                )
                message = _("Einladung an %(email)s versandt.") % {"email": invitation.email}
            else:
                assignment = services.role_grant(
                    user=form.cleaned_data["user"],
                    actor=request.user,
                    request=request,
                    **form.scope(),
                )
                message = _("Rolle „%(role)s“ an %(user)s vergeben.") % {
                    "role": assignment.get_role_display(),
                    "user": assignment.user,
                }
        except ValidationError as error:
            form.add_service_error(error)
        else:
            messages.success(request, message)
            return redirect(back_url)
    return render(
        request,
        "accounts/role_form.html",
        {
            "form": form,
            "municipality": municipality,
            "provider": provider,
            "invite": invite,
            "back_url": back_url,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def role_grant(request: HttpRequest, pk: int) -> HttpResponse:
    municipality = selectors.municipality_get_for_user(user=request.user, pk=pk)
    _require_manage(request, municipality)
    return _role_form_page(
        request, form_class=RoleGrantForm, municipality=municipality, invite=False
    )


@login_required
@require_http_methods(["GET", "POST"])
def invitation_create(request: HttpRequest, pk: int) -> HttpResponse:
    municipality = selectors.municipality_get_for_user(user=request.user, pk=pk)
    _require_manage(request, municipality)
    return _role_form_page(
        request, form_class=InvitationForm, municipality=municipality, invite=True
    )


def _back_to_scope(scope) -> str:
    if scope.municipality_id:
        return reverse("accounts:municipality-people", args=[scope.municipality_id])
    if scope.provider_id:
        return reverse("accounts:provider-detail", args=[scope.provider_id])
    provider = scope.district.providers.order_by("pk").first()
    return reverse("accounts:provider-detail", args=[provider.pk]) if provider else "/"


@login_required
@require_http_methods(["GET", "POST"])
def role_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    assignment = selectors.role_assignment_get_for_user(user=request.user, pk=pk)
    back_url = _back_to_scope(assignment)
    error = None
    if request.method == "POST":
        try:
            services.role_revoke(assignment=assignment, actor=request.user, request=request)
        except ValidationError as exc:
            error = " ".join(exc.messages)
        else:
            messages.success(request, _("Rolle entzogen."))
            return redirect(back_url)
    elif not selectors.can_change_assignment(request.user, assignment):
        raise PermissionDenied
    return render(
        request,
        "accounts/confirm.html",
        {
            "title": _("Rolle entziehen"),
            "question": _("Wollen Sie %(user)s die Rolle „%(role)s“ (%(scope)s) entziehen?")
            % {
                "user": assignment.user,
                "role": assignment.get_role_display(),
                "scope": assignment.scope_label(),
            },
            "confirm_label": _("Rolle entziehen"),
            "cancel_url": back_url,
            "error": error,
        },
        status=400 if error else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def invitation_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    invitation = selectors.invitation_get_for_user(user=request.user, pk=pk)
    back_url = _back_to_scope(invitation)
    error = None
    if request.method == "POST":
        try:
            services.invitation_revoke(invitation=invitation, actor=request.user, request=request)
        except ValidationError as exc:
            error = " ".join(exc.messages)
        else:
            messages.success(request, _("Einladung zurückgezogen."))
            return redirect(back_url)
    elif not selectors.can_change_assignment(request.user, invitation):
        raise PermissionDenied
    return render(
        request,
        "accounts/confirm.html",
        {
            "title": _("Einladung zurückziehen"),
            "question": _("Wollen Sie die Einladung an %(email)s zurückziehen?")
            % {"email": invitation.email},
            "confirm_label": _("Einladung zurückziehen"),
            "cancel_url": back_url,
            "error": error,
        },
        status=400 if error else 200,
    )


# --- Provider (operators) ---------------------------------------------------------------------


@login_required
def provider_detail(request: HttpRequest, pk: int) -> HttpResponse:
    provider = selectors.provider_get_for_operator(user=request.user, pk=pk)
    invitations = (
        selectors.invitations_visible_to(request.user)
        .filter(municipality__isnull=True)
        .select_related("provider", "district", "topic", "invited_by")
    )
    return render(
        request,
        "accounts/provider_detail.html",
        {
            "provider": provider,
            "assignments": selectors.provider_role_assignments(provider),
            "invitations": invitations,
            "member_count": provider.members.count(),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def provider_role_grant(request: HttpRequest, pk: int) -> HttpResponse:
    provider = selectors.provider_get_for_operator(user=request.user, pk=pk)
    return _role_form_page(request, form_class=RoleGrantForm, provider=provider, invite=False)


@login_required
@require_http_methods(["GET", "POST"])
def provider_invitation_create(request: HttpRequest, pk: int) -> HttpResponse:
    provider = selectors.provider_get_for_operator(user=request.user, pk=pk)
    return _role_form_page(request, form_class=InvitationForm, provider=provider, invite=True)


# --- Audit log (operators) --------------------------------------------------------------------


@login_required
def audit_log(request: HttpRequest) -> HttpResponse:
    """The security log; filters by event kind; htmx swaps only the results."""
    if not selectors.is_platform_operator(request.user):
        raise Http404
    events = selectors.audit_events_visible_to(request.user).select_related("municipality")
    kind = request.GET.get("kind", "")
    if kind in AuditKind.values:
        events = events.filter(kind=kind)
    else:
        kind = ""
    page = Paginator(events, 50).get_page(request.GET.get("page"))
    context = {
        "page_obj": page,
        "kind": kind,
        "kinds": AuditKind.choices,
        "hx_target": "#audit-results",
    }
    template = "accounts/_audit_results.html" if request.htmx else "accounts/audit_log.html"
    return render(request, template, context)
