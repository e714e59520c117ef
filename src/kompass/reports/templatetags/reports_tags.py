"""Template tags of the evaluations.

heat_cell renders one heat map cell in Python: a provider's page shows up to 50 Kommunen × 15
cells, and an include per cell (with floatformat) cost more than the rest of the page. heat_cells
renders a row's cells and its total with one tag: a tag call per cell still cost the page about
a sixth of its time at SCALE=de. For the same reason the dashboard's Themenfeld rows
(topic_rows) and short lists (dashboard_rows) are rendered in Python: their includes and loops
took about a sixth of the dashboard's time (16 of 97 ms at SCALE=de), and the global Reifegrad's
rows per LeiKa-Leistung (global_part_rows: some 200 of them for a large OZG-Leistung, then half
of the page's time). Each value is rendered as {{ value }} would: localised, then escaped
unless safe."""

from django import template
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from kompass.core.links import url_prefix
from kompass.core.templatetags.kern_tags import as_text, grouped, or_dash, short_date

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


@register.simple_tag
def heat_rows(rows) -> SafeString:
    """The <tr> of each Kommune of the heat map page (selectors.HeatRow): its name linked to
    its dashboard, then its cells and total (heat_cells)."""
    prefix = url_prefix("reports:dashboard", pk=0)
    out = []
    for row in rows:
        pk = row.municipality.pk
        out.append(
            f'<tr class="kern-table__row" data-municipality="{pk}">'
            f'<th class="kern-table__cell" scope="row"><a class="kern-link" href="{prefix}{pk}/">'
            f"{as_text(row.municipality.name)}</a></th>{heat_cells(row.cells, row.total)}</tr>"
        )
    return mark_safe("\n".join(out))  # noqa: S308 - the name escaped, the rest numbers


def _percent(value) -> str:
    return "–" if value is None else f"{as_text(value)} %"


def _topic_row(row, *, is_total: bool) -> str:
    label = as_text(row.label)
    statuses = row.statuses
    compliant = as_text(row.compliant)
    if row.compliant_share is not None:
        compliant += f" ({_percent(row.compliant_share)})"
    numbers = (
        as_text(row.relevant),
        as_text(row.done),
        as_text(statuses["planning"] + statuses["in_progress"]),
        as_text(statuses["open"]),
        as_text(row.dropped),
        _percent(row.progress),
        compliant,
        _percent(row.case_share),
    )
    cells = "".join(
        f'<td class="kern-table__cell reports-number">{number}</td>' for number in numbers
    )
    if is_total:
        return (
            f'<tr class="kern-table__row" data-total><th class="kern-table__cell" scope="row">'
            f"<strong>{label}</strong></th>{cells}</tr>"
        )
    return (
        f'<tr class="kern-table__row"><th class="kern-table__cell" scope="row">{label}</th>'
        f"{cells}</tr>"
    )


@register.simple_tag
def topic_rows(topics, total) -> SafeString:
    """The rows of the dashboard's Themenfeld table (selectors.Counters), then the total's row
    (data-total): relevant, umgesetzt, in Planung/Umsetzung, offen, entfällt, the
    Umsetzungsquote, OZG-konform with its share, and the share of cases OZG-konform."""
    rows = [_topic_row(row, is_total=False) for row in topics]
    rows.append(_topic_row(total, is_total=True))
    return mark_safe("\n".join(rows))  # noqa: S308 - _topic_row escapes every value


@register.simple_tag
def dashboard_rows(rows) -> SafeString:
    """The <tr> of each Leistung of a dashboard short list (selectors.WorkspaceRow): name
    (linked to its record), status, Reifegrad now → target, cases per year, the suggested
    priority with its reason, planned date and the link to its global Reifegrad."""
    global_prefix = url_prefix("reports:service-global", service_pk=0)
    global_text = _('Globaler Reifegrad<span class="kern-sr-only"> von %(name)s</span>')
    out = []
    for row in rows:
        s = row.service
        name = as_text(s.name)
        cases = "–" if s.impl_case_count is None else grouped(s.impl_case_count)
        planned = short_date(s.impl_planned_date) if s.impl_planned_date else "–"
        cells = (
            as_text(row.status_label),
            f"{or_dash(s.impl_current_level)} → {or_dash(s.impl_target_level)}",
            cases,
            f"{as_text(row.suggested_label)}<span "
            f'class="kern-body kern-body--small reports-meta">{as_text(row.suggested_reason)}'
            "</span>",
            planned,
            f'<a class="kern-link" href="{global_prefix}{s.pk}/">'
            f"{global_text % {'name': name}}</a>",
        )
        classes = ("", " reports-number", " reports-number", "", "", "")
        body = "".join(
            f'<td class="kern-table__cell{css}">{cell}</td>'
            for css, cell in zip(classes, cells, strict=True)
        )
        out.append(
            f'<tr class="kern-table__row"><th class="kern-table__cell" scope="row">'
            f'<a class="kern-link" href="{as_text(row.detail_url)}">{name}</a></th>{body}</tr>'
        )
    return mark_safe("\n".join(out))  # noqa: S308 - every value escaped above


@register.simple_tag
def global_part_rows(parts) -> SafeString:
    """The rows of the global Reifegrad's table per LeiKa-Leistung (selectors.Distribution):
    the Leistung linked to its own global Reifegrad, the Kommunen for which it is relevant and
    how many of them offer it OZG-konform (with the share), or "too few" below MIN_GROUP."""
    prefix = url_prefix("reports:service-global", service_pk=0)
    too_few = as_text(_("zu wenige Kommunen"))
    out = []
    for part in parts:
        if part.enough:
            figure = f"{grouped(part.compliant)} ({as_text(part.compliant_share)} %)"
        else:
            figure = too_few
        out.append(
            f'<tr class="kern-table__row"><th class="kern-table__cell" scope="row">'
            f'<a class="kern-link" href="{prefix}{part.service_id}/">{as_text(part.label)}</a>'
            f'</th><td class="kern-table__cell reports-number">{grouped(part.total)}</td>'
            f'<td class="kern-table__cell reports-number">{figure}</td></tr>'
        )
    return mark_safe("\n".join(out))  # noqa: S308 - every value escaped above
