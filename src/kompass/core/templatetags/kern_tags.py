"""Template tags shared by every app, and as_text for the apps' tags that render in Python.

kern_field renders one form field in KERN-UX markup (label, hint, error, input) in Python. It
replaced an include per field: a list page has some fifteen filter and bulk fields, and their
includes cost about a tenth of its time (measured at SCALE=de)."""

import html

from django import template
from django.conf import settings
from django.forms import BoundField
from django.utils.formats import date_format, get_format, localize, number_format
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString, mark_safe

register = template.Library()


def as_text(value) -> str:
    """A value as {{ value }} renders it, for tags that build their markup in Python: localised,
    then escaped unless safe (plain text escaped as django.utils.html.escape does, without its
    SafeString wrapping: such a tag marks its whole markup safe once)."""
    if type(value) is str:
        return html.escape(value)
    if not settings.USE_THOUSAND_SEPARATOR:
        # What localize() makes of a number without grouping, at a fiftieth (whole numbers) or a
        # quarter (shares like 12.5) of its cost: a roll-up page shows some 350 counts.
        if type(value) is int:
            return str(value)
        if type(value) is float:
            text = repr(value)
            if text.replace(".", "").replace("-", "").isdigit():  # not 1e-05, nan or inf
                return text.replace(".", get_format("DECIMAL_SEPARATOR"))
    return conditional_escape(localize(value))


def or_dash(value) -> str:
    """as_text(value), or "–" for None (an empty cell)."""
    return "–" if value is None else as_text(value)


def short_date(value) -> str:
    """A date as {{ value|date:"SHORT_DATE_FORMAT" }} renders it."""
    return as_text(date_format(value, "SHORT_DATE_FORMAT"))


def grouped(value: int) -> str:
    """A whole number as {{ value|intcomma }} renders it (12.500), at a tenth of its cost where
    the locale groups by threes (the global Reifegrad shows two counts per LeiKa-Leistung)."""
    if type(value) is int and get_format("NUMBER_GROUPING") == 3:
        return f"{value:,}".replace(",", get_format("THOUSAND_SEPARATOR"))
    return conditional_escape(number_format(value, force_grouping=True))


@register.simple_tag
def kern_field(field: BoundField) -> SafeString:
    """One field of a KernFilterForm (or any form whose widgets carry the KERN classes and aria
    attributes): a checkbox beside its label, every other widget below its label, hint and
    errors, a select in KERN's select wrapper. The ids of hint and error are the ones
    KernFilterForm links with aria-describedby."""
    widget_type = field.widget_type
    if widget_type == "checkbox":
        return format_html(
            '<div class="kern-form-check">{}<label class="kern-label" for="{}">{}</label></div>',
            field,
            field.id_for_label,
            field.label,
        )
    errors = field.errors
    parts = [
        format_html(
            '<div class="kern-form-input{}"><label class="kern-label" for="{}">{}</label>',
            " kern-form-input--error" if errors else "",
            field.id_for_label,
            field.label,
        )
    ]
    if field.help_text:
        parts.append(
            format_html(
                '<div class="kern-hint" id="{}_helptext">{}</div>', field.auto_id, field.help_text
            )
        )
    if errors:
        parts.append(
            format_html(
                '<p class="kern-error" id="{}_error">'
                '<span class="kern-icon kern-icon--danger kern-icon--small" aria-hidden="true"></span>'
                '<span class="kern-body">{}</span></p>',
                field.auto_id,
                " ".join(conditional_escape(error) for error in errors),
            )
        )
    if "select" in widget_type:
        parts.append(format_html('<div class="kern-form-input__select-wrapper">{}</div>', field))
    else:
        parts.append(conditional_escape(field))
    parts.append("</div>")
    return mark_safe("".join(parts))  # noqa: S308 - every part escaped above
