"""Forms of the solutions marketplace. They parse and validate input (German messages); who may
change what is decided in services. The operator's form (central entry), the Kommune's proposal
and the review share SolutionForm, so every channel enforces the same rules."""

from __future__ import annotations

import re

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.utils.translation import gettext_lazy as _

from kompass.accounts.forms import KernFormMixin
from kompass.catalogue.models import MaturityLevel
from kompass.catalogue.selectors import topic_choices
from kompass.core.forms import KernFilterForm, KernSelect
from kompass.implementation.selectors import people_of
from kompass.municipalities.models import Municipality
from kompass.solutions.choices import (
    GapFilter,
    Integration,
    ReviewState,
    SolutionKind,
    SolutionStatus,
    UsageState,
)
from kompass.solutions.models import Solution

MAX_LINKS = 10
MAX_PASTED_KEYS = 2000
# Something that looks like an HTML tag or comment: "<script>", "</b>", "<!--", "<img …>".
_TAG = re.compile(r"<\s*[/!]?\s*[a-zA-Z!-][^>]*>|<\s*[a-zA-Z]")
TAG_ERROR = _(
    "Bitte geben Sie nur Text ein: HTML-Auszeichnungen oder Skripte (z. B. „<script>“) sind "
    "nicht erlaubt."
)


def reject_markup(value: str) -> None:
    if value and _TAG.search(value):
        raise ValidationError(TAG_ERROR, code="markup")


class _AriaErrorsMixin(KernFormMixin):
    """Fast selects, and invalid fields marked with aria-invalid and linked to their error text
    (the ids the kern_field tag renders)."""

    def _use_fast_selects(self) -> None:
        for form_field in self.fields.values():
            if type(form_field.widget) is forms.Select:
                form_field.widget = KernSelect(
                    attrs=form_field.widget.attrs, choices=form_field.widget.choices
                )

    def full_clean(self):
        super().full_clean()
        for name in self.errors:
            if name in self.fields:
                attrs = self.fields[name].widget.attrs
                attrs["aria-invalid"] = "true"
                attrs["aria-describedby"] = f"{self[name].auto_id}_error"


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")


def _text(label, *, max_length=None, required=False, missing=None, widget=None, help_text=""):
    messages = {"max_length": _("Bitte höchstens %(limit_value)d Zeichen eingeben.")}
    if missing:
        messages["required"] = missing
    return forms.CharField(
        label=label,
        max_length=max_length,
        required=required,
        widget=widget,
        help_text=help_text,
        validators=[reject_markup],
        error_messages=messages,
    )


class SolutionForm(_AriaErrorsMixin, forms.Form):
    """A solution's descriptive fields (everything but coverage and review)."""

    FIELDS = (
        "name",
        "provider_name",
        "provider_contact",
        "kind",
        "description",
        "licence",
        "cost_model",
        "links",
        "status",
        "last_reviewed_on",
        "integration",
        "media_break_free",
    )

    name = _text(
        _("Name der Lösung"),
        max_length=200,
        required=True,
        missing=_("Bitte geben Sie den Namen der Lösung an."),
    )
    provider_name = _text(
        _("Anbieter"),
        max_length=200,
        required=True,
        missing=_("Bitte geben Sie an, wer die Lösung anbietet."),
        help_text=_("Organisation, z. B. ein Land, ein IT-Dienstleister oder eine Firma."),
    )
    provider_contact = _text(
        _("Kontakt beim Anbieter"),
        max_length=300,
        help_text=_("Name, E-Mail-Adresse oder Telefonnummer."),
    )
    kind = forms.ChoiceField(
        label=_("Art"),
        choices=[("", _("– bitte wählen –")), *SolutionKind.choices],
        error_messages={
            "required": _("Bitte wählen Sie die Art der Lösung."),
            "invalid_choice": _("Diese Art von Lösung gibt es nicht."),
        },
    )
    description = _text(
        _("Beschreibung"),
        required=True,
        missing=_("Bitte beschreiben Sie kurz, was die Lösung leistet."),
        widget=forms.Textarea(attrs={"rows": 5}),
    )
    licence = _text(_("Lizenz"), max_length=200, help_text=_("z. B. EUPL-1.2 oder proprietär."))
    cost_model = _text(
        _("Kostenmodell"),
        max_length=300,
        help_text=_("z. B. kostenfrei, Mitgliedsbeitrag, Lizenz pro Einwohner."),
    )
    links = forms.CharField(
        label=_("Links"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Eine Adresse pro Zeile, beginnend mit https:// oder http://."),
    )
    status = forms.ChoiceField(
        label=_("Status"),
        choices=SolutionStatus.choices,
        initial=SolutionStatus.AVAILABLE,
        error_messages={
            "required": _("Bitte wählen Sie den Status der Lösung."),
            "invalid_choice": _("Diesen Status gibt es nicht."),
        },
    )
    last_reviewed_on = forms.DateField(
        label=_("zuletzt geprüft am"),
        required=False,
        widget=DateInput,
        input_formats=["%Y-%m-%d", "%d.%m.%Y"],
        error_messages={"invalid": _("Bitte ein gültiges Datum im Format TT.MM.JJJJ angeben.")},
    )
    integration = forms.ChoiceField(
        label=_("Anbindung an das Back-Office"),
        choices=Integration.choices,
        initial=Integration.NONE,
        error_messages={"invalid_choice": _("Diese Anbindung gibt es nicht.")},
    )
    media_break_free = forms.BooleanField(
        label=_("Fälle erreichen das Back-Office ohne Medienbruch"), required=False
    )
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._use_fast_selects()

    def clean_links(self) -> list[str]:
        lines = [line.strip() for line in self.cleaned_data["links"].splitlines() if line.strip()]
        if len(lines) > MAX_LINKS:
            raise ValidationError(_("Bitte höchstens %(max)d Links angeben.") % {"max": MAX_LINKS})
        validate = URLValidator(schemes=["http", "https"])
        errors = []
        for line in lines:
            try:
                validate(line)
            except ValidationError:
                errors.append(
                    _("„%(link)s“ ist keine gültige Adresse mit http:// oder https://.")
                    % {"link": line[:100]}
                )
        if errors:
            raise ValidationError(errors)
        return list(dict.fromkeys(lines))

    def clean(self):
        data = super().clean()
        if data.get("media_break_free") and data.get("integration") == Integration.NONE:
            self.add_error(
                "media_break_free",
                _(
                    "Ohne Anbindung an Fachverfahren oder DMS gibt es einen Medienbruch. Bitte "
                    "wählen Sie die Anbindung."
                ),
            )
        return data

    def values(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.FIELDS}

    @staticmethod
    def initial_for(solution: Solution) -> dict:
        initial = {name: getattr(solution, name) for name in SolutionForm.FIELDS}
        initial["links"] = "\n".join(solution.links or [])
        initial["version"] = solution.version
        return initial


class ReviewForm(SolutionForm):
    """The operator's review: accept (with the edits in the form) or reject with a reason."""

    ACCEPT = "accept"
    REJECT = "reject"

    decision = forms.ChoiceField(
        label=_("Entscheidung"),
        choices=[(ACCEPT, _("annehmen und veröffentlichen")), (REJECT, _("ablehnen"))],
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Bitte entscheiden Sie: annehmen oder ablehnen."),
            "invalid_choice": _("Bitte entscheiden Sie: annehmen oder ablehnen."),
        },
    )
    rejection_reason = _text(
        _("Begründung der Ablehnung"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Wird der vorschlagenden Kommune angezeigt."),
    )

    def clean(self):
        data = forms.Form.clean(self)
        if data.get("decision") == self.REJECT:
            # A rejection needs only the reason; the descriptive fields stay as proposed.
            for name in self.FIELDS:
                self.errors.pop(name, None)
            if not (data.get("rejection_reason") or "").strip() and "rejection_reason" not in (
                self.errors
            ):
                self.add_error(
                    "rejection_reason", _("Bitte begründen Sie die Ablehnung für die Kommune.")
                )
            return data
        return super().clean()


# --- Coverage ---------------------------------------------------------------------------------------


def _level_choices(levels: list[MaturityLevel]) -> list[tuple[str, str]]:
    return [(str(lvl.level), f"{lvl.level} – {lvl.name}") for lvl in levels]


class CoverageSearchForm(KernFilterForm):
    """Find Leistungen to add: by search words, or all LeiKa-Leistungen of an OZG-Leistung."""

    q = forms.CharField(
        label=_("Leistung suchen"),
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off"}),
        help_text=_("Bezeichnung oder LeiKa-Schlüssel; Umlaute wie ae, oe, ue möglich."),
    )
    ozg = forms.RegexField(
        label=_("OZG-ID (alle ihre Leistungen)"),
        required=False,
        regex=r"^\d{5}$",
        error_messages={"invalid": _("Die OZG-ID hat fünf Ziffern, z. B. 10000.")},
    )


class CoverageKeysForm(_AriaErrorsMixin, forms.Form):
    """Pasted LeiKa keys (one per line, or separated by commas, semicolons or spaces)."""

    keys = forms.CharField(
        label=_("LeiKa-Schlüssel einfügen"),
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_(
            "14-stellige Schlüssel, getrennt durch Zeilenumbrüche, Kommas oder Leerzeichen."
        ),
        error_messages={"required": _("Bitte fügen Sie mindestens einen LeiKa-Schlüssel ein.")},
    )

    def clean_keys(self) -> list[str]:
        keys = [key for key in re.split(r"[\s,;]+", self.cleaned_data["keys"]) if key]
        if len(keys) > MAX_PASTED_KEYS:
            raise ValidationError(
                _("Bitte höchstens %(max)d Schlüssel auf einmal einfügen.")
                % {"max": MAX_PASTED_KEYS}
            )
        return list(dict.fromkeys(keys))


class CoverageAddForm(_AriaErrorsMixin, forms.Form):
    """Confirm Leistungen (by id) with the Reifegrad the solution reaches for them."""

    service = forms.TypedMultipleChoiceField(
        label=_("Leistungen"),
        coerce=int,
        error_messages={
            "required": _("Bitte wählen Sie mindestens eine Leistung aus."),
            "invalid_choice": _("Diese Leistung gibt es nicht im aktuellen Katalog."),
        },
    )
    level = forms.TypedChoiceField(
        label=_("erreichter Reifegrad"),
        coerce=int,
        error_messages={
            "required": _("Bitte wählen Sie den Reifegrad, den die Lösung erreicht."),
            "invalid_choice": _("Dieser Reifegrad liegt nicht auf der Skala des Reifegradmodells."),
        },
    )

    def __init__(self, *args, levels: list[MaturityLevel], service_ids=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["level"].choices = _level_choices(levels)
        if service_ids is not None:
            self.fields["service"].choices = [(str(pk), str(pk)) for pk in service_ids]
        self._use_fast_selects()

    def bind_service_choices(self, valid_ids) -> None:
        self.fields["service"].choices = [(str(pk), str(pk)) for pk in valid_ids]


# --- Usage ------------------------------------------------------------------------------------------


class UsageForm(_AriaErrorsMixin, forms.Form):
    """Record that the Kommune uses or plans a solution for a Leistung, with a shared contact."""

    solution = forms.TypedChoiceField(
        label=_("Lösung"),
        coerce=int,
        error_messages={
            "required": _("Bitte wählen Sie eine Lösung."),
            "invalid_choice": _("Diese Lösung gibt es nicht oder sie ist nicht veröffentlicht."),
        },
    )
    state = forms.ChoiceField(
        label=_("Nutzung"),
        choices=UsageState.choices,
        error_messages={"invalid_choice": _("Diese Art der Nutzung gibt es nicht.")},
    )
    contact_person = forms.ModelChoiceField(
        label=_("Ansprechperson für andere Kommunen"),
        queryset=None,
        required=False,
        empty_label=_("– niemanden nennen –"),
        help_text=_("Andere Kommunen sehen Name und E-Mail-Adresse dieser Person bei der Lösung."),
        error_messages={"invalid_choice": _("Diese Person arbeitet nicht in dieser Kommune.")},
    )

    def __init__(self, *args, municipality: Municipality, covering, others, **kwargs):
        super().__init__(*args, **kwargs)
        groups = []
        if covering:
            groups.append((_("decken diese Leistung ab"), [(str(s.pk), s.name) for s in covering]))
        if others:
            groups.append((_("weitere Lösungen"), [(str(s.pk), s.name) for s in others]))
        self.fields["solution"].choices = [("", _("– bitte wählen –")), *groups]
        self.fields["contact_person"].queryset = people_of(municipality)
        self._use_fast_selects()


# --- Filters ----------------------------------------------------------------------------------------


class SolutionFilterForm(KernFilterForm):
    """Search and filter the solutions (the list and its exports)."""

    q = forms.CharField(
        label=_("Suchbegriff"),
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off"}),
        help_text=_("Name, Anbieter oder Beschreibung."),
    )
    kind = forms.ChoiceField(
        label=_("Art"), required=False, choices=[("", _("alle Arten")), *SolutionKind.choices]
    )
    provider = forms.ChoiceField(label=_("Anbieter"), required=False)
    topic = forms.ChoiceField(label=_("Themenfeld"), required=False)
    leistung = forms.CharField(
        label=_("Leistung"),
        required=False,
        max_length=200,
        help_text=_("Bezeichnung oder LeiKa-Schlüssel einer abgedeckten Leistung."),
    )
    level = forms.TypedChoiceField(
        label=_("erreicht mindestens Reifegrad"), required=False, coerce=int, empty_value=None
    )
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("alle")), *SolutionStatus.choices],
    )
    review = forms.ChoiceField(
        label=_("Prüfstatus"),
        required=False,
        choices=[("", _("alle sichtbaren")), *ReviewState.choices],
    )

    def __init__(self, *args, providers: list[str], levels: list[MaturityLevel], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["provider"].choices = [("", _("alle Anbieter"))] + [(p, p) for p in providers]
        self.fields["topic"].choices = topic_choices()
        self.fields["level"].choices = [("", _("egal")), *_level_choices(levels)]
        # KernFilterForm converted the selects when the choices were still empty.
        for name in ("provider", "topic", "level"):
            self.fields[name].widget.choices = self.fields[name].choices


class GapFilterForm(KernFilterForm):
    offers = forms.ChoiceField(label=_("Angebote"), required=False, choices=GapFilter.choices)
    topic = forms.ChoiceField(label=_("Themenfeld"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["topic"].choices = topic_choices()
        self.fields["topic"].widget.choices = self.fields["topic"].choices
