"""Forms of the relevance pages. They only parse input; rules live in services."""

from __future__ import annotations

from django import forms
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _

from kompass.accounts.forms import KernFormMixin
from kompass.catalogue.models import Service, Topic
from kompass.municipalities.models import MunicipalityType
from kompass.relevance.choices import BulkScope, DeviationValue, ListScope, RelevanceValue
from kompass.relevance.selectors import allows_by_district
from kompass.relevance.services import MAX_REASON_LENGTH, CellInput

CELL_PREFIX = "c-"


def cell_field_name(service_id: int, type_id: int) -> str:
    return f"{CELL_PREFIX}{service_id}-{type_id}"


def matrix_cells_from_post(data) -> tuple[list[CellInput], list[str]]:
    """The cells of a submitted matrix page (fields c-<service>-<type>) and malformed names."""
    cells, errors = [], []
    for name, value in data.items():
        if not name.startswith(CELL_PREFIX):
            continue
        parts = name[len(CELL_PREFIX) :].split("-")
        if len(parts) != 2 or not all(p.isdigit() for p in parts):
            errors.append(name)
            continue
        cells.append(CellInput(service_id=int(parts[0]), type_id=int(parts[1]), value=value))
    return cells, errors


class MatrixSaveForm(KernFormMixin, forms.Form):
    """The non-cell fields of the matrix page form."""

    reason = forms.CharField(
        label=_("Begründung für die geänderten Zellen"),
        required=False,
        max_length=MAX_REASON_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Gilt für alle Zellen, die Sie auf dieser Seite ändern (optional)."),
    )
    loaded_at = forms.CharField(widget=forms.HiddenInput, required=False)
    page = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1)

    def clean_loaded_at(self):
        value = self.cleaned_data["loaded_at"]
        return parse_datetime(value) if value else None


class BulkDecisionForm(KernFormMixin, forms.Form):
    """Set a whole OZG-Leistung, row (one Leistung) or column (one Kommunaltyp) at once."""

    value = forms.ChoiceField(label=_("Relevanz"), choices=RelevanceValue.choices)
    types = forms.ModelMultipleChoiceField(
        label=_("Kommunaltypen"),
        queryset=MunicipalityType.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Bitte wählen Sie mindestens einen Kommunaltyp.")},
    )
    reason = forms.CharField(
        label=_("Begründung"),
        required=False,
        max_length=MAX_REASON_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    scope = forms.ChoiceField(
        label=_("Welche Zellen?"),
        choices=BulkScope.choices,
        initial=BulkScope.OPEN,
        widget=forms.RadioSelect,
    )
    ozg_service = forms.CharField(widget=forms.HiddenInput, required=False)
    service = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, types, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["types"].queryset = types
        self.fields["types"].label_from_instance = lambda t: t.name


class RowForm(KernFormMixin, forms.Form):
    """All cells of one matrix row (one Leistung × every Kommunaltyp), each with its reason."""

    def __init__(self, *args, types, decisions, default_value, **kwargs):
        super().__init__(*args, **kwargs)
        self.types = types
        for municipality_type in types:
            decision = decisions.get(municipality_type.pk)
            choices = [
                c
                for c in RelevanceValue.choices
                if c[0] != RelevanceValue.BY_DISTRICT or allows_by_district(municipality_type)
            ]
            self.fields[f"value_{municipality_type.pk}"] = forms.ChoiceField(
                label=municipality_type.name,
                choices=choices,
                initial=decision.value if decision else default_value,
            )
            self.fields[f"reason_{municipality_type.pk}"] = forms.CharField(
                label=_("Begründung für %(type)s") % {"type": municipality_type.name},
                required=False,
                max_length=MAX_REASON_LENGTH,
                initial=decision.reason if decision else "",
                widget=forms.Textarea(attrs={"rows": 2}),
            )

    def pairs(self):
        for municipality_type in self.types:
            yield (
                municipality_type,
                self[f"value_{municipality_type.pk}"],
                self[f"reason_{municipality_type.pk}"],
            )

    def cells(self, service: Service) -> list[CellInput]:
        return [
            CellInput(
                service_id=service.pk,
                type_id=t.pk,
                value=self.cleaned_data[f"value_{t.pk}"],
                reason=self.cleaned_data[f"reason_{t.pk}"],
            )
            for t in self.types
        ]


class DeviationForm(KernFormMixin, forms.Form):
    value = forms.ChoiceField(
        label=_("Relevanz für Ihre Kommune"),
        choices=DeviationValue.choices,
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(
        label=_("Begründung"),
        max_length=MAX_REASON_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Pflichtangabe, z. B. eine besondere Zuständigkeit wie ein eigenes Jugendamt."),
        error_messages={
            "required": _(
                "Bitte begründen Sie die Abweichung (z. B. eine besondere Zuständigkeit)."
            )
        },
    )


class CrossCheckForm(forms.Form):
    topic = forms.ModelChoiceField(
        label=_("Themenfeld"),
        queryset=Topic.objects.current(),
        to_field_name="code",
        error_messages={"invalid_choice": _("Bitte wählen Sie ein Themenfeld.")},
    )


class ReviewForm(forms.Form):
    reviewed = forms.BooleanField(required=False)


class MatrixImportForm(KernFormMixin, forms.Form):
    file = forms.FileField(
        label=_("Ausgefüllte Tabelle (.xlsx)"),
        help_text=_(
            "Die Datei aus „Als Excel exportieren“, mit Ihren Änderungen. Höchstens 10 MB."
        ),
    )


class MunicipalityListFilter(KernFormMixin, forms.Form):
    """Filter of a Kommune's relevance list (GET)."""

    scope = forms.ChoiceField(
        label=_("Anzeigen"), choices=ListScope.choices, required=False, initial=ListScope.RELEVANT
    )
    topic = forms.ModelChoiceField(
        label=_("Themenfeld"),
        queryset=Topic.objects.current().order_by("position"),
        to_field_name="code",
        required=False,
        empty_label=_("alle Themenfelder"),
    )
    q = forms.CharField(label=_("Suche"), required=False, max_length=200)
