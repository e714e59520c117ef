"""Template tags of the evaluations.

heat_cell renders one heat map cell in Python: a provider's page shows up to 50 Kommunen × 15
cells, and an include per cell (with floatformat) cost more than the rest of the page."""

from django import template
from django.utils.html import format_html
from django.utils.safestring import mark_safe

register = template.Library()

_EMPTY = mark_safe('<td class="kern-table__cell reports-heat reports-heat--none">–</td>')


@register.simple_tag
def heat_cell(cell) -> str:
    """One cell of the heat map (selectors.HeatCell or None): the Umsetzungsquote in whole
    percent, coloured by its fifth (reports-heat--0 … --4); "–" without relevant Leistungen."""
    value = cell.progress if cell is not None else None
    if value is None:
        return _EMPTY
    return format_html(
        '<td class="kern-table__cell reports-heat reports-heat--{}">{}</td>',
        min(int(value // 20), 4),
        int(value + 0.5),  # whole percent, rounded half up (as floatformat:0)
    )
