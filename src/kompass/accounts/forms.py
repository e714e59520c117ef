"""Forms of the accounts pages. Validation rules live in the services; the forms collect input,
render it on KERN-UX (classes, error state, aria-describedby) and map service errors to fields."""

from __future__ import annotations

from datetime import datetime

from django import forms
from django.conf import settings
from django.contrib.auth import forms as auth_forms
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.forms.boundfield import BoundField
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kompass.accounts import selectors, services
from kompass.accounts.choices import Role
from kompass.accounts.models import Department, User
from kompass.catalogue.models import Topic
from kompass.municipalities.choices import MunicipalityLevel
from kompass.municipalities.models import Municipality, Provider


class KernBoundField(BoundField):
    """Adds KERN-UX input classes, including the error variant, to every widget."""

    def build_widget_attrs(self, attrs, widget=None):
        attrs = super().build_widget_attrs(attrs, widget)
        widget = widget or self.field.widget
        base = (
            "kern-form-input__select"
            if isinstance(widget, forms.Select)
            else "kern-form-input__input"
        )
        classes = [attrs.get("class", ""), base]
        if self.errors:
            classes.append(f"{base}--error")
        attrs["class"] = " ".join(c for c in classes if c)
        return attrs


class KernFormMixin:
    bound_field_class = KernBoundField

    def add_service_error(self, error: ValidationError) -> None:
        """Attach a service's ValidationError to the matching fields (or the whole form)."""
        if hasattr(error, "error_dict"):
            for field, errors in error.error_dict.items():
                self.add_error(field if field in self.fields else None, errors)
        else:
            self.add_error(None, error)


# --- Sign-in and passwords ------------------------------------------------------------------


def lockout_message(until: datetime) -> str:
    return _(
        "Zu viele fehlgeschlagene Anmeldeversuche: Die Anmeldung ist aus Sicherheitsgründen bis "
        "%(time)s Uhr gesperrt. Bitte versuchen Sie es danach erneut oder setzen Sie Ihr Passwort "
        "zurück."
    ) % {"time": timezone.localtime(until).strftime("%H:%M")}


class LoginForm(KernFormMixin, auth_forms.AuthenticationForm):
    """Sign-in by username or e-mail; explains a lockout instead of the generic error."""

    error_messages = {
        **auth_forms.AuthenticationForm.error_messages,
        "invalid_login": _(
            "Benutzername bzw. E-Mail-Adresse oder Passwort sind nicht richtig. Nach "
            "%(max)s Fehlversuchen in Folge wird die Anmeldung für %(minutes)s Minuten gesperrt."
        ),
    }

    def __init__(self, request=None, *args, **kwargs):
        super().__init__(request, *args, **kwargs)
        self.fields["username"].label = _("Benutzername oder E-Mail-Adresse")
        self.fields["username"].max_length = 254
        self.fields["username"].widget.attrs["maxlength"] = 254
        self.fields["password"].label = _("Passwort")

    def get_invalid_login_error(self):
        return ValidationError(
            self.error_messages["invalid_login"],
            code="invalid_login",
            params={
                "max": settings.KOMPASS_LOGIN_MAX_FAILURES,
                "minutes": settings.KOMPASS_LOGIN_LOCKOUT_SECONDS // 60,
            },
        )

    def _locked_until(self, identifier: str) -> datetime | None:
        user = services.user_for_login(identifier)
        return services.login_locked_until(services.login_throttle_key(identifier, user))

    def clean(self):
        identifier = self.cleaned_data.get("username") or ""
        if identifier and (until := self._locked_until(identifier)):
            services.login_blocked_record(
                identifier=identifier,
                user=services.user_for_login(identifier),
                request=self.request,
            )
            raise ValidationError(lockout_message(until), code="locked")
        try:
            return super().clean()
        except ValidationError:
            # The backend has counted this failure; it may have been the one that locks.
            if identifier and (until := self._locked_until(identifier)):
                raise ValidationError(lockout_message(until), code="locked") from None
            raise


class PasswordChangeForm(KernFormMixin, auth_forms.PasswordChangeForm):
    pass


class PasswordResetForm(KernFormMixin, auth_forms.PasswordResetForm):
    pass


class SetPasswordForm(KernFormMixin, auth_forms.SetPasswordForm):
    pass


# --- Departments --------------------------------------------------------------------------------


class DepartmentForm(KernFormMixin, forms.Form):
    code = forms.CharField(
        label=_("Kürzel"),
        max_length=20,
        help_text=_("z. B. „FB 3“ oder „32“; eindeutig in Ihrer Kommune."),
    )
    name = forms.CharField(label=_("Bezeichnung"), max_length=200)


# --- Roles and invitations ----------------------------------------------------------------------


class RoleScopeForm(KernFormMixin, forms.Form):
    """Role and scope, for a Kommune (admin, Bearbeiter, reader) or for a provider (operator,
    Themenpate, reader for a Kreis or all members). Whether the actor may grant it is checked
    by the service."""

    role = forms.ChoiceField(label=_("Rolle"))

    def __init__(
        self,
        *args,
        actor: User,
        municipality: Municipality | None = None,
        provider: Provider | None = None,
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        self.actor = actor
        self.municipality = municipality
        self.provider = provider
        if municipality is not None:
            self.fields["role"].choices = [
                (r.value, r.label) for r in (Role.MUNICIPALITY_ADMIN, Role.EDITOR, Role.READER)
            ]
            self.fields["department"] = forms.ModelChoiceField(
                label=_("Fachbereich"),
                queryset=Department.objects.filter(municipality=municipality).order_by("code"),
                required=False,
                empty_label=_("– kein Fachbereich –"),
                help_text=_("Nur für die Rolle „Bearbeitung“."),
            )
        else:
            self.fields["role"].choices = [
                (r.value, r.label) for r in (Role.OPERATOR, Role.TOPIC_SPONSOR, Role.READER)
            ]
            self.fields["topic"] = forms.ModelChoiceField(
                label=_("Themenfeld"),
                queryset=Topic.objects.current().order_by("position", "name"),
                required=False,
                empty_label=_("– kein Themenfeld –"),
                help_text=_("Nur für die Rolle „Themenpate“."),
            )
            self.fields["district"] = forms.ModelChoiceField(
                label=_("Kreis"),
                queryset=Municipality.objects.filter(
                    providers=provider, level=MunicipalityLevel.DISTRICT
                ).order_by("name"),
                required=False,
                empty_label=_("alle Mitgliedskommunen"),
                help_text=_(
                    "Nur für „Lesezugriff“: ein Kreis mit seinen Kommunen oder alle "
                    "Mitgliedskommunen."
                ),
            )

    def clean(self):
        cleaned = super().clean()
        role = cleaned.get("role")
        if role == Role.EDITOR and not cleaned.get("department"):
            self.add_error("department", _("Bitte wählen Sie den Fachbereich der Bearbeitung."))
        if role == Role.TOPIC_SPONSOR and not cleaned.get("topic"):
            self.add_error("topic", _("Bitte wählen Sie das Themenfeld des Themenpaten."))
        return cleaned

    def scope(self) -> dict:
        """Keyword arguments for services.role_grant / invitation_create."""
        role = self.cleaned_data["role"]
        if self.municipality is not None:
            if role == Role.EDITOR:
                return {"role": role, "department": self.cleaned_data["department"]}
            return {"role": role, "municipality": self.municipality}
        if role == Role.TOPIC_SPONSOR:
            return {"role": role, "provider": self.provider, "topic": self.cleaned_data["topic"]}
        if role == Role.READER and self.cleaned_data.get("district"):
            return {"role": role, "district": self.cleaned_data["district"]}
        return {"role": role, "provider": self.provider}


class RoleGrantForm(RoleScopeForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"] = forms.ModelChoiceField(
            label=_("Person"),
            queryset=selectors.users_grantable_by(self.actor, municipality=self.municipality),
            empty_label=_("– bitte wählen –"),
            help_text=_("Neue Personen laden Sie per E-Mail ein."),
        )
        self.order_fields(["user", "role", "department", "topic", "district"])


class InvitationForm(RoleScopeForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["email"] = forms.EmailField(label=_("E-Mail-Adresse"), max_length=254)
        self.order_fields(["email", "role", "department", "topic", "district"])


class InvitationAcceptForm(KernFormMixin, forms.Form):
    """The invited person chooses a username and a password."""

    username = forms.CharField(
        label=_("Benutzername"),
        max_length=150,
        help_text=_("Buchstaben, Ziffern und @ . + - _; höchstens 150 Zeichen."),
    )
    first_name = forms.CharField(label=_("Vorname"), max_length=150, required=False)
    last_name = forms.CharField(label=_("Nachname"), max_length=150, required=False)
    password1 = forms.CharField(
        label=_("Passwort"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=password_validation.password_validators_help_text_html(),
    )
    password2 = forms.CharField(
        label=_("Passwort wiederholen"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args, email: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.email = email
        self.fields["username"].widget.attrs["autocomplete"] = "username"

    def clean(self):
        cleaned = super().clean()
        password1, password2 = cleaned.get("password1"), cleaned.get("password2")
        if password1 and password2 and password1 != password2:
            self.add_error("password2", _("Die beiden Passwörter stimmen nicht überein."))
        elif password1:
            probe = User(
                username=cleaned.get("username", ""),
                email=self.email,
                first_name=cleaned.get("first_name", ""),
                last_name=cleaned.get("last_name", ""),
            )
            try:
                password_validation.validate_password(password1, probe)
            except ValidationError as error:
                self.add_error("password1", error)
        return cleaned
