"""KERN-UX form rendering shared by every app's filter and edit forms.

KernFilterForm is the form class of our FilterSets (Meta.form): it gives every widget its KERN-UX
class and, once validated, marks invalid fields with aria-invalid and links them to their error
text, so that the templates can render any filter field the same way (the kern_field tag).

KernFormRenderer (settings.FORM_RENDERER) draws every <input> widget in Python.
"""

import html

from django import forms
from django.forms.renderers import DjangoTemplates
from django.forms.utils import flatatt
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

# Django's widget templates that are nothing but {% include "django/forms/widgets/input.html" %}.
_INPUT_TEMPLATES = frozenset(
    f"django/forms/widgets/{kind}.html"
    for kind in (
        *("input", "text", "search", "number", "email", "url", "tel", "password", "hidden"),
        *("date", "datetime", "time", "color", "file", "checkbox"),
    )
)


def _input_html(widget: dict) -> SafeString:
    """django/forms/widgets/input.html (with attrs.html) in Python, from the widget's context."""
    parts = [format_html('<input type="{}" name="{}"', widget["type"], widget["name"])]
    if widget["value"] is not None:
        parts.append(format_html(' value="{}"', widget["value"]))
    for name, value in widget["attrs"].items():
        if value is True:
            parts.append(format_html(" {}", name))
        elif value is not False:
            parts.append(format_html(' {}="{}"', name, value))
    parts.append(">")
    return mark_safe("".join(parts))  # noqa: S308 - every part is escaped by format_html


def _escaped(value) -> str:
    """conditional_escape(value) as plain text: safe strings as they are, all else escaped."""
    if hasattr(value, "__html__"):
        return value.__html__()
    return html.escape(str(value))


class KernFormRenderer(DjangoTemplates):
    """Django's default form renderer, except that <input> widgets are drawn in Python with the
    markup of Django's template: a list page has a dozen of them in its filter and bulk forms, and
    two template renders each (input.html and attrs.html) cost about 0.5 ms per page."""

    def render(self, template_name, context, request=None):
        if template_name in _INPUT_TEMPLATES:
            return _input_html(context["widget"])
        return super().render(template_name, context, request=request)


_WIDGET_CLASSES = {
    "select": "kern-form-input__select",
    "checkbox": "kern-form-check__checkbox",
}


class KernSelect(forms.Select):
    """A single select whose options are rendered in Python.

    Django renders every option through its own template; with the ~100 options of the catalogue
    filters that was about a third of the search page's time (measured with 5,249 services).
    """

    def _options_html(self, choices, selected: set[str]) -> SafeString:
        # str.format with _escaped instead of format_html_join: the same markup at half the time
        # (format_html escapes through Django's lazy-aware wrappers, ~100 options per list page).
        parts = []
        for option_value, label in choices:
            value = str(option_value if option_value is not None else "")
            parts.append(
                '<option value="{}"{}>{}</option>'.format(
                    _escaped(value), " selected" if value in selected else "", _escaped(label)
                )
            )
        return SafeString("".join(parts))

    def render(self, name, value, attrs=None, renderer=None) -> SafeString:
        selected = {str(v) for v in self.format_value(value)}
        parts, plain = [], []
        for option_value, option_label in self.choices:
            if isinstance(option_label, list | tuple):  # an optgroup: (group label, [choices])
                if plain:
                    parts.append(self._options_html(plain, selected))
                    plain = []
                parts.append(
                    format_html(
                        '<optgroup label="{}">{}</optgroup>',
                        option_value,
                        self._options_html(option_label, selected),
                    )
                )
            else:
                plain.append((option_value, option_label))
        if plain:
            parts.append(self._options_html(plain, selected))
        return format_html(
            "<select{}>{}</select>",
            flatatt({"name": name, **self.build_attrs(self.attrs, attrs)}),
            SafeString("".join(parts)),
        )


class KernFilterForm(forms.Form):
    """Base form for django-filter FilterSets rendered with KERN-UX markup."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            if type(field.widget) is forms.Select:
                field.widget = KernSelect(attrs=field.widget.attrs, choices=field.widget.choices)
            widget = field.widget
            if isinstance(widget, forms.Select):
                css_class = _WIDGET_CLASSES["select"]
            else:
                widget_type = widget.__class__.__name__.lower().removesuffix("input")
                css_class = _WIDGET_CLASSES.get(widget_type, "kern-form-input__input")
            widget.attrs.setdefault("class", css_class)

    def full_clean(self):
        super().full_clean()
        for name in self.errors:
            if name in self.fields:
                attrs = self.fields[name].widget.attrs
                attrs["aria-invalid"] = "true"
                auto_id = self[name].auto_id
                described_by = [f"{auto_id}_error"]
                if self.fields[name].help_text:
                    described_by.insert(0, f"{auto_id}_helptext")
                attrs["aria-describedby"] = " ".join(described_by)
