"""Template tags of the evaluations.

heat_cell renders one heat map cell in Python: a provider's page shows up to 50 Kommunen × 15
cells, and an include per cell (with floatformat) cost more than the rest of the page. heat_cells
renders a row's cells and its total with one tag: a tag call per cell still cost the page about
a sixth of its time at SCALE=de."""

from django import template
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
    # Both values are whole numbers computed here: nothing to escape.
    bucket = min(int(value // 20), 4)
    percent = int(value + 0.5)  # whole percent, rounded half up (as floatformat:0)
    return mark_safe(  # noqa: S308
        f'<td class="kern-table__cell reports-heat reports-heat--{bucket}">{percent}</td>'
    )


@register.simple_tag
def heat_cells(cells, total) -> str:
    """The cells of one heat map row (a list of HeatCell or None) followed by its total."""
    return mark_safe("".join(heat_cell(cell) for cell in (*cells, total)))  # noqa: S308
