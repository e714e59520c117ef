"""Forms of the implementation workspace. They parse and validate input (one validator per
thing: the detail page, the inline row, the board and the bulk edit share these fields); the
rules about who may change what live in services."""

from __future__ import annotations

import datetime

from django import forms
from django.core.validators import MaxValueValidator, RegexValidator
from django.utils.translation import gettext_lazy as _

from kompass.accounts.forms import KernFormMixin
from kompass.accounts.models import Department
from kompass.catalogue.models import MaturityLevel
from kompass.catalogue.selectors import topic_choices
from kompass.core.forms import KernSelect
from kompass.implementation.choices import (
    DepartmentScope,
    ImplementationStatus,
    ListSort,
    Priority,
)
from kompass.implementation.selectors import departments_of, maturity_levels, people_of
from kompass.municipalities.models import Municipality

DATE_ERROR = _("Bitte ein gültiges Datum im Format TT.MM.JJJJ angeben.")
MIN_YEAR = 1990


class _AriaErrorsMixin(KernFormMixin):
    """Renders selects with the fast KernSelect, marks invalid fields with aria-invalid and links
    them to their error text (the ids that the kern_field tag renders)."""

    def _use_fast_selects(self) -> None:
        for field in self.fields.values():
            if type(field.widget) is forms.Select:
                field.widget = KernSelect(attrs=field.widget.attrs, choices=field.widget.choices)

    def full_clean(self):
        super().full_clean()
        for name in self.errors:
            if name in self.fields:
                attrs = self.fields[name].widget.attrs
                attrs["aria-invalid"] = "true"
                attrs["aria-describedby"] = f"{self[name].auto_id}_error"


def _level_choices(levels: list[MaturityLevel], empty: str) -> list[tuple[str, str]]:
    return [("", empty)] + [(str(lvl.level), f"{lvl.level} – {lvl.name}") for lvl in levels]


def _level_field(label: str, levels: list[MaturityLevel], empty: str) -> forms.TypedChoiceField:
    scale = f"{levels[0].level}–{levels[-1].level}" if levels else "–"
    return forms.TypedChoiceField(
        label=label,
        choices=_level_choices(levels, empty),
        coerce=int,
        empty_value=None,
        required=False,
        error_messages={
            "invalid_choice": _(
                "Der Reifegrad „%(value)s“ liegt nicht auf der Skala des Reifegradmodells (%(scale)s)."
            )
            % {"value": "%(value)s", "scale": scale}
        },
    )


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")


class ImplementationForm(_AriaErrorsMixin, forms.Form):
    """The whole record (detail page) or a subset of it (`only`: the inline row's fields)."""

    INLINE_FIELDS = ("status", "priority", "current_level", "target_level")

    department = forms.ModelChoiceField(
        label=_("Fachbereich"),
        queryset=None,
        required=False,
        empty_label=_("– noch kein Fachbereich –"),
        error_messages={
            "invalid_choice": _("Dieser Fachbereich gehört nicht zu dieser Kommune."),
        },
    )
    contact_person = forms.ModelChoiceField(
        label=_("Ansprechperson"),
        queryset=None,
        required=False,
        empty_label=_("– niemand –"),
        error_messages={"invalid_choice": _("Diese Person arbeitet nicht in dieser Kommune.")},
    )
    status = forms.ChoiceField(
        label=_("Status"),
        choices=ImplementationStatus.choices,
        error_messages={"invalid_choice": _("Diesen Status gibt es nicht.")},
    )
    current_level = forms.TypedChoiceField(label=_("aktueller Reifegrad"))
    target_level = forms.TypedChoiceField(label=_("Ziel-Reifegrad"))
    case_count = forms.IntegerField(
        label=_("Fallzahl pro Jahr"),
        required=False,
        min_value=0,
        max_value=100_000_000,
        error_messages={
            "invalid": _("Die Fallzahl muss eine ganze Zahl sein."),
            "min_value": _("Die Fallzahl darf nicht negativ sein."),
            "max_value": _("Die Fallzahl ist unrealistisch hoch."),
        },
    )
    case_count_year = forms.IntegerField(
        label=_("Jahr der Fallzahl"),
        required=False,
        min_value=MIN_YEAR,
        error_messages={
            "invalid": _("Das Jahr muss eine vierstellige Zahl sein."),
            "min_value": _("Das Jahr muss %(limit_value)s oder später sein."),
        },
    )
    priority = forms.ChoiceField(
        label=_("Priorität"),
        choices=[("", _("– nicht festgelegt –")), *Priority.choices],
        required=False,
        error_messages={"invalid_choice": _("Diese Priorität gibt es nicht.")},
    )
    planned_date = forms.DateField(
        label=_("geplante Fertigstellung"),
        required=False,
        widget=DateInput,
        input_formats=["%Y-%m-%d", "%d.%m.%Y"],
        error_messages={"invalid": DATE_ERROR},
    )
    solution = forms.CharField(
        label=_("Lösung (im Einsatz oder geplant)"), required=False, max_length=300
    )
    notes = forms.CharField(label=_("Notizen"), required=False, widget=forms.Textarea)
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)

    def __init__(
        self,
        *args,
        municipality: Municipality,
        levels: list[MaturityLevel] | None = None,
        only: tuple[str, ...] | None = None,
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        levels = maturity_levels() if levels is None else levels
        self.fields["department"].queryset = departments_of_queryset(municipality)
        self.fields["contact_person"].queryset = people_of(municipality)
        self.fields["current_level"] = _level_field(
            _("aktueller Reifegrad"), levels, _("– nicht erfasst –")
        )
        self.fields["target_level"] = _level_field(
            _("Ziel-Reifegrad"), levels, _("– nicht festgelegt –")
        )
        self.fields["case_count_year"].validators.append(
            MaxValueValidator(
                datetime.date.today().year,
                message=_("Das Jahr darf nicht in der Zukunft liegen."),
            )
        )
        if only is not None:
            for name in list(self.fields):
                if name not in (*only, "version"):
                    del self.fields[name]
        self._use_fast_selects()

    def clean(self):
        data = super().clean()
        needs_year = "case_count" in self.fields and data.get("case_count") is not None
        if needs_year and not data.get("case_count_year") and "case_count_year" not in self.errors:
            self.add_error("case_count_year", _("Bitte das Jahr der Fallzahl angeben."))
        return data

    def values(self) -> dict:
        """The record's fields as submitted (everything but the version)."""
        return {k: v for k, v in self.cleaned_data.items() if k != "version"}


def departments_of_queryset(municipality: Municipality):
    return Department.objects.filter(municipality=municipality).order_by("code")


class MoveForm(_AriaErrorsMixin, forms.Form):
    """Move a board card: the new status and the version the card showed."""

    status = forms.ChoiceField(
        label=_("Status"),
        choices=ImplementationStatus.choices,
        error_messages={"invalid_choice": _("Diesen Status gibt es nicht.")},
    )
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)


KEEP = ""
NO_DEPARTMENT = "none"


class BulkEditForm(_AriaErrorsMixin, forms.Form):
    """Set department, status, priority or target Reifegrad of the selected rows.

    `selected` values are "<service id>:<version>" as the list showed them, so that a row changed
    by someone else meanwhile refuses the whole change.
    """

    selected = forms.MultipleChoiceField(
        label=_("Ausgewählte Leistungen"),
        required=True,
        error_messages={"required": _("Bitte mindestens eine Leistung auswählen.")},
    )
    department = forms.ChoiceField(label=_("Fachbereich"), required=False)
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[(KEEP, _("– unverändert –")), *ImplementationStatus.choices],
    )
    priority = forms.ChoiceField(
        label=_("Priorität"),
        required=False,
        choices=[(KEEP, _("– unverändert –")), *Priority.choices],
    )
    target_level = forms.ChoiceField(label=_("Ziel-Reifegrad"), required=False)

    def __init__(self, *args, municipality: Municipality, levels=None, departments=None, **kwargs):
        super().__init__(*args, **kwargs)
        if departments is None:
            departments = departments_of(municipality)
        self.departments = {d.pk: d for d in departments}
        levels = maturity_levels() if levels is None else levels
        self.fields["department"].choices = [
            (KEEP, _("– unverändert –")),
            (NO_DEPARTMENT, _("– kein Fachbereich –")),
            *[(str(pk), str(d)) for pk, d in self.departments.items()],
        ]
        self.fields["department"].error_messages["invalid_choice"] = _(
            "Dieser Fachbereich gehört nicht zu dieser Kommune."
        )
        self.fields["target_level"].choices = [(KEEP, _("– unverändert –"))] + [
            (str(lvl.level), f"{lvl.level} – {lvl.name}") for lvl in levels
        ]
        self.fields["target_level"].error_messages["invalid_choice"] = _(
            "Dieser Reifegrad liegt nicht auf der Skala des Reifegradmodells."
        )
        self._use_fast_selects()
        # Any "<id>:<version>" is syntactically valid; the view checks the ids against the list.
        self.fields["selected"].choices = [
            (value, value)
            for value in (self.data.getlist(self.add_prefix("selected")) if self.data else [])
        ]

    def clean_selected(self):
        pairs = []
        for value in self.cleaned_data["selected"]:
            service_id, _sep, version = value.partition(":")
            if not (service_id.isdigit() and version.isdigit()):
                raise forms.ValidationError(_("Ungültige Auswahl."))
            pairs.append((int(service_id), int(version)))
        return pairs

    def clean(self):
        data = super().clean()
        if not any(data.get(name) for name in ("department", "status", "priority", "target_level")):
            raise forms.ValidationError(
                _("Bitte mindestens einen Wert wählen, der gesetzt werden soll.")
            )
        return data

    def values(self) -> dict:
        data, values = self.cleaned_data, {}
        if data.get("department") == NO_DEPARTMENT:
            values["department"] = None
        elif data.get("department"):
            values["department"] = self.departments[int(data["department"])]
        if data.get("status"):
            values["status"] = data["status"]
        if data.get("priority"):
            values["priority"] = data["priority"]
        if data.get("target_level"):
            values["target_level"] = int(data["target_level"])
        return values


class StepForm(_AriaErrorsMixin, forms.Form):
    title = forms.CharField(
        label=_("Schritt"),
        max_length=200,
        error_messages={"required": _("Bitte den Schritt benennen.")},
    )
    due_date = forms.DateField(
        label=_("fällig am"),
        required=False,
        widget=DateInput,
        input_formats=["%Y-%m-%d", "%d.%m.%Y"],
        error_messages={"invalid": DATE_ERROR},
    )


class SavedFilterForm(_AriaErrorsMixin, forms.Form):
    name = forms.CharField(
        label=_("Name des Filters"),
        max_length=100,
        error_messages={"required": _("Bitte einen Namen für den Filter angeben.")},
    )
    query = forms.CharField(widget=forms.HiddenInput, required=False, max_length=1000)


class WorkspaceFilterForm(_AriaErrorsMixin, forms.Form):
    """Filter, search and sort of the Leistungen list and the board (GET)."""

    q = forms.CharField(label=_("Suche"), required=False, max_length=200)
    # Plain choices (catalogue.selectors.topic_choices): a ModelChoiceField would read the Topic
    # rows again, through a server-side cursor, every time the select is rendered.
    topic = forms.ChoiceField(label=_("Themenfeld"), required=False)
    ozg = forms.CharField(
        label=_("OZG-ID"),
        required=False,
        max_length=5,
        validators=[RegexValidator(r"^\d{5}$", message=_("Die OZG-ID hat fünf Ziffern."))],
    )
    department = forms.ChoiceField(label=_("Fachbereich"), required=False)
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("alle Status")), *ImplementationStatus.choices],
    )
    level = forms.ChoiceField(label=_("aktueller Reifegrad"), required=False)
    priority = forms.ChoiceField(
        label=_("Priorität"),
        required=False,
        choices=[("", _("alle Prioritäten")), *Priority.choices, ("none", _("nicht festgelegt"))],
    )
    sort = forms.ChoiceField(label=_("Sortierung"), required=False, choices=ListSort.choices)
    mine = forms.BooleanField(label=_("nur meine (Ansprechperson)"), required=False)
    overdue = forms.BooleanField(label=_("nur überfällige"), required=False)

    def __init__(self, *args, departments, levels, has_own_departments: bool, **kwargs):
        super().__init__(*args, **kwargs)
        choices = [("", _("alle Fachbereiche"))]
        if has_own_departments:
            choices.append((DepartmentScope.MINE.value, DepartmentScope.MINE.label))
        choices.append((DepartmentScope.NONE.value, DepartmentScope.NONE.label))
        choices += [(str(d.pk), str(d)) for d in departments]
        self.fields["department"].choices = choices
        self.fields["level"].choices = [("", _("alle Reifegrade"))] + [
            (str(lvl.level), f"{lvl.level} – {lvl.name}") for lvl in levels
        ]
        self.fields["topic"].choices = topic_choices()
        self._use_fast_selects()
