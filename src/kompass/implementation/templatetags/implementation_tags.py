"""Template tags of the implementation workspace.

workspace_rows renders the list's rows, board_cards a board column's cards and ozg_rollup_rows
the roll-up's rows in Python: a page shows up to 100 rows of nine cells or 100 cards, and the
template engine spent a fifth of the list page's time on them (about 27 of 134 ms at SCALE=de);
the roll-up's 50 rows of nine cells took 2.5 of its 20 ms. Each value is rendered as {{ value }}
would: localised, then escaped unless safe."""

from django import template
from django.template.defaultfilters import floatformat
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from kompass.core.templatetags.kern_tags import as_text, grouped, or_dash, short_date
from kompass.implementation.choices import ImplementationStatus

register = template.Library()


def _labels() -> dict[str, str]:
    """The fixed texts of rows and cards, translated and escaped once per page."""
    texts = {
        "select": _("auswählen"),
        "no_department": _("noch ohne Fachbereich"),
        "saved": _("gespeichert"),
        "overdue": _("überfällig"),
        "edit": _("Schnell bearbeiten"),
        "planned_until": _("geplant bis"),
        "move": _("Verschieben"),
        "done": _("erledigt:"),
        "open": _("offen:"),
        # Formats: %(…)s is filled with escaped values.
        "priority": _("Priorität: %(p)s"),
        "steps": _("Schritte: %(done)s von %(total)s erledigt"),
        "new_status": _("Neuer Status für %(name)s"),
    }
    return {key: conditional_escape(text) for key, text in texts.items()}


@register.simple_tag
def workspace_rows(rows, can_bulk=False, saved=False) -> SafeString:
    """The <tr> of each selectors.WorkspaceRow: a selection checkbox of the bulk form (can_bulk,
    for the rows the person may edit), the Leistung, its Fachbereich and contact, status,
    Reifegrad, Fallzahl, priority with the suggestion, planned date and the inline-edit link.
    saved marks the status cell of a row just saved inline. Ids use row.key (never "1.234")."""
    labels = _labels()
    return mark_safe(  # noqa: S308 - _row escapes every value
        "".join(_row(row, can_bulk=can_bulk, saved=saved, labels=labels) for row in rows)
    )


def _row(row, *, can_bulk: bool, saved: bool, labels: dict[str, str]) -> str:
    s = row.service
    key = row.key
    name = as_text(s.name)
    cells = []
    if can_bulk:
        checkbox = (
            f'<input type="checkbox" class="kern-form-check__checkbox" name="bulk-selected" '
            f'value="{key}:{row.version}" form="implementation-bulk" id="select-{key}" '
            f'aria-label="{name} {labels["select"]}">'
            if row.can_edit
            else ""
        )
        cells.append(checkbox)
    meta = ""
    if s.ozg_service:
        meta = f"{as_text(s.ozg_service.ozg_id)} {as_text(s.ozg_service.name)}"
    if s.leika_key:
        meta += f" · {as_text(s.leika_key)}"
    cells.append(
        f'<a class="kern-link" href="{as_text(row.detail_url)}">{name}</a> '
        f'<span class="kern-body kern-body--small implementation-meta">{meta}</span>'
    )
    if s.impl_department_id:
        department = f"{as_text(s.impl_department_code)} {as_text(s.impl_department_name)}"
    else:
        department = f'<span class="kern-body kern-body--small">{labels["no_department"]}</span>'
    contact = row.contact_name
    if contact:
        department += f'<br><span class="kern-body kern-body--small">{as_text(contact)}</span>'
    cells.append(department)
    status = f'<span class="kern-badge implementation-status">{as_text(row.status_label)}</span>'
    if saved:
        status += (
            f' <span class="kern-body kern-body--small" role="status">{labels["saved"]}</span>'
        )
    cells.append(status)
    cells.append(f"{or_dash(s.impl_current_level)} → {or_dash(s.impl_target_level)}")
    if s.impl_case_count is None:
        cases = "–"
    else:
        cases = grouped(s.impl_case_count)
        if s.impl_case_count_year:
            cases += f" ({as_text(str(s.impl_case_count_year))})"
    cells.append(cases)
    cells.append(
        f"{as_text(row.priority_label or '–')}<br>"
        f'<span class="kern-body kern-body--small">{as_text(row.suggestion)}</span>'
    )
    planned = short_date(s.impl_planned_date) if s.impl_planned_date else "–"
    if row.overdue:
        planned += f' <span class="kern-badge kern-badge--danger">{labels["overdue"]}</span>'
    cells.append(planned)
    cells.append(
        f'<a class="kern-link" href="{as_text(row.edit_url)}" hx-get="{as_text(row.row_edit_url)}" '
        f'hx-target="#row-{key}" hx-swap="outerHTML">{labels["edit"]}'
        f'<span class="kern-sr-only">: {name}</span></a>'
        if row.can_edit
        else ""
    )
    body = "".join(f'<td class="kern-table__cell">{cell}</td>' for cell in cells)
    return f'\n<tr class="kern-table__row" id="row-{key}">{body}</tr>'


@register.simple_tag(takes_context=True)
def board_cards(context, column, board_url) -> SafeString:
    """The <li> cards of one board column (a dict of views.board: status, rows): name,
    OZG-Leistung, Fachbereich, priority, planned date, checklist, and for the cards the person
    may move, the move form (select and button: the keyboard and no-JavaScript way)."""
    labels = _labels()
    # As {% csrf_token %}: nothing without a token (a page rendered outside a request).
    token = context.get("csrf_token")
    csrf = (
        format_html('<input type="hidden" name="csrfmiddlewaretoken" value="{}">', token)
        if token and token != "NOTPROVIDED"  # noqa: S105 - the marker Django uses, no secret
        else ""
    )
    # The move menu's options, with the column's status chosen: once per column, not per card.
    options = "".join(
        f'<option value="{value}"{" selected" if value == column["status"] else ""}>'
        f"{as_text(str(label))}</option>"
        for value, label in ImplementationStatus.choices
    )
    shared = {"labels": labels, "csrf": csrf, "board_url": as_text(board_url), "options": options}
    return mark_safe(  # noqa: S308 - _card escapes every value
        "".join(_card(row, **shared) for row in column["rows"])
    )


def _card(row, *, labels, csrf, board_url, options) -> str:
    s = row.service
    key = row.key
    name = as_text(s.name)
    lines = []
    if s.ozg_service:
        lines.append(f"{as_text(s.ozg_service.ozg_id)} {as_text(s.ozg_service.name)}")
    if s.impl_department_id:
        lines.append(f"{as_text(s.impl_department_code)} {as_text(s.impl_department_name)}")
    else:
        lines.append(labels["no_department"])
    if row.priority_label:
        lines.append(labels["priority"] % {"p": as_text(row.priority_label)})
    if s.impl_planned_date:
        lines.append(f"{labels['planned_until']} {short_date(s.impl_planned_date)}")
    details = "<br>".join(lines)
    if row.overdue:
        details += f' <span class="kern-badge kern-badge--danger">{labels["overdue"]}</span>'
    parts = [
        f'<h3 class="kern-body implementation-card__title">'
        f'<a class="kern-link" href="{as_text(row.detail_url)}">{name}</a></h3>'
        f'<p class="kern-body kern-body--small">{details}</p>'
    ]
    if row.steps:
        summary = labels["steps"] % {
            "done": row.steps_done,
            "total": len(row.steps),
        }
        steps = "".join(
            '<li class="kern-body kern-body--small">'
            + (
                f'✓ <span class="kern-sr-only">{labels["done"]}</span>'
                if step.done
                else f'○ <span class="kern-sr-only">{labels["open"]}</span>'
            )
            + as_text(step.title)
            + (f" ({short_date(step.due_date)})" if step.due_date else "")
            + "</li>"
            for step in row.steps
        )
        parts.append(
            f'<p class="kern-body kern-body--small">{summary}</p>'
            f'<ul class="implementation-card__steps">{steps}</ul>'
        )
    movable = ""
    if row.can_edit:
        movable = f' implementation-card--movable" draggable="true" data-move-form="move-{key}'
        new_status = labels["new_status"] % {"name": name}
        parts.append(
            f'<form id="move-{key}" class="implementation-move" method="post" '
            f'action="{as_text(row.move_url)}">{csrf}'
            f'<input type="hidden" name="version" value="{row.version}">'
            f'<input type="hidden" name="next" value="{board_url}">'
            f'<label class="kern-label kern-sr-only" for="move-status-{key}">{new_status}</label>'
            f'<div class="kern-form-input__select-wrapper">'
            f'<select class="kern-form-input__select" name="status" id="move-status-{key}">'
            f"{options}</select></div>"
            f'<button type="submit" class="kern-btn kern-btn--secondary kern-btn--small">'
            f'<span class="kern-label">{labels["move"]}<span class="kern-sr-only">: {name}</span>'
            f"</span></button></form>"
        )
    return f'\n<li class="kern-card implementation-card{movable}">{"".join(parts)}</li>'


@register.simple_tag
def ozg_rollup_rows(groups, list_url, query="") -> SafeString:
    """The <tr> of each OZG-Leistung of the roll-up (rows of selectors.ozg_rollup): the
    OZG-Leistung as a link to the list filtered by it (keeping the roll-up's own filter, query),
    the number of its LeiKa-Leistungen, the count per status (in the order of the header's
    columns), the average Reifegrad and the sum of the Fallzahlen."""
    link = f"{as_text(list_url)}?{as_text(query) + '&amp;' if query else ''}ozg="
    without = conditional_escape(_("ohne OZG-Leistung"))
    counts = [f"n_{status}" for status in ImplementationStatus.values]
    rows = []
    for group in groups:
        ozg_id = group["ozg_service__ozg_id"]
        if ozg_id:
            ozg_id = as_text(ozg_id)
            name = as_text(group["ozg_service__name"])
            heading = f'<a class="kern-link" href="{link}{ozg_id}">{ozg_id} {name}</a>'
        else:
            heading = without
        average = group["avg_level"]
        cases = group["cases"]
        cells = [
            as_text(group["total"]),
            *(as_text(group[count]) for count in counts),
            "–" if average is None else as_text(floatformat(average, 1)),
            "–" if cases is None else grouped(cases),
        ]
        body = "".join(f'<td class="kern-table__cell">{cell}</td>' for cell in cells)
        rows.append(
            f'\n<tr class="kern-table__row">'
            f'<th class="kern-table__header" scope="row">{heading}</th>{body}</tr>'
        )
    return mark_safe("".join(rows))  # noqa: S308 - every value is escaped above
