"""Rendering helpers for the matrix: ~700 cell selects per page are built here rather than in a
template loop, which keeps the first screen fast (see tests/test_matrix_performance.py)."""

from functools import lru_cache

from django import template
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from kompass.relevance.choices import RelevanceValue
from kompass.relevance.forms import cell_field_name
from kompass.relevance.selectors import MatrixCell, MatrixRow

register = template.Library()


@lru_cache(maxsize=64)
def _options(allows_by_district: bool, value: str, is_default: bool, language: str) -> str:
    parts = []
    for choice, label in RelevanceValue.choices:
        if choice == RelevanceValue.BY_DISTRICT and not allows_by_district and value != choice:
            continue
        text = str(label)
        if choice == value and is_default:
            text = _("%(value)s (Vorschlag)") % {"value": text}
        selected = " selected" if choice == value else ""
        parts.append(f'<option value="{choice}"{selected}>{escape(text)}</option>')
    return "".join(parts)


@register.simple_tag
def matrix_cells(row: MatrixRow, editable: bool) -> SafeString:
    """All cells of a matrix row as <td> elements (one tag per row keeps rendering fast)."""
    # Safe: each part is a SafeString from matrix_cell.
    return mark_safe(  # noqa: S308
        "".join(
            f'<td class="kern-table__cell">{matrix_cell(cell, row.service.pk, editable)}</td>'
            for cell in row.cells
        )
    )


@register.simple_tag
def matrix_cell(cell: MatrixCell, service_id: int, editable: bool) -> SafeString:
    """A native <select> named c-<service>-<type>, labelled by the row and column headings."""
    classes = f"relevance-cell relevance-cell--{escape(cell.value)}"
    if cell.is_default:
        classes += " relevance-cell--proposal"
    type_id = cell.municipality_type.pk
    if not editable:
        label = cell.label
        if cell.is_default:
            label = _("%(value)s (Vorschlag)") % {"value": label}
        return format_html('<span class="{}">{}</span>', classes, label)
    name = cell_field_name(service_id, type_id)
    options = _options(cell.allows_by_district, cell.value, cell.is_default, get_language() or "")
    # Safe: integers, escaped classes and options escaped in _options.
    return mark_safe(  # noqa: S308
        f'<select name="{name}" class="{classes}" aria-labelledby="rs{service_id} rt{type_id}">'
        f"{options}</select>"
    )
