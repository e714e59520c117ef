"""Template tags of the implementation workspace.

workspace_rows renders the list's rows in Python: a page shows up to 100 rows of nine cells, and
the template engine spent a fifth of the list page's time on them (about 27 of 134 ms at
SCALE=de). Each value is rendered as {{ value }} would: localised, then escaped unless safe."""

from django import template
from django.utils.formats import date_format, localize
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

register = template.Library()


def _text(value) -> str:
    """A value as {{ value }} renders it."""
    return conditional_escape(localize(value))


def _or_dash(value) -> str:
    return "–" if value is None else _text(value)


@register.simple_tag
def workspace_rows(rows, can_bulk=False, saved=False) -> SafeString:
    """The <tr> of each selectors.WorkspaceRow: a selection checkbox of the bulk form (can_bulk,
    for the rows the person may edit), the Leistung, its Fachbereich and contact, status,
    Reifegrad, Fallzahl, priority with the suggestion, planned date and the inline-edit link.
    saved marks the status cell of a row just saved inline. Ids use row.key (never "1.234")."""
    labels = {
        "select": conditional_escape(_("auswählen")),
        "no_department": conditional_escape(_("noch ohne Fachbereich")),
        "saved": conditional_escape(_("gespeichert")),
        "overdue": conditional_escape(_("überfällig")),
        "edit": conditional_escape(_("Schnell bearbeiten")),
    }
    return mark_safe(  # noqa: S308 - _row escapes every value
        "".join(_row(row, can_bulk=can_bulk, saved=saved, labels=labels) for row in rows)
    )


def _row(row, *, can_bulk: bool, saved: bool, labels: dict[str, str]) -> str:
    s = row.service
    key = row.key
    name = _text(s.name)
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
        meta = f"{_text(s.ozg_service.ozg_id)} {_text(s.ozg_service.name)}"
    if s.leika_key:
        meta += f" · {_text(s.leika_key)}"
    cells.append(
        f'<a class="kern-link" href="{_text(row.detail_url)}">{name}</a> '
        f'<span class="kern-body kern-body--small implementation-meta">{meta}</span>'
    )
    if s.impl_department_id:
        department = f"{_text(s.impl_department_code)} {_text(s.impl_department_name)}"
    else:
        department = f'<span class="kern-body kern-body--small">{labels["no_department"]}</span>'
    contact = row.contact_name
    if contact:
        department += f'<br><span class="kern-body kern-body--small">{_text(contact)}</span>'
    cells.append(department)
    status = f'<span class="kern-badge implementation-status">{_text(row.status_label)}</span>'
    if saved:
        status += (
            f' <span class="kern-body kern-body--small" role="status">{labels["saved"]}</span>'
        )
    cells.append(status)
    cells.append(f"{_or_dash(s.impl_current_level)} → {_or_dash(s.impl_target_level)}")
    if s.impl_case_count is None:
        cases = "–"
    else:
        cases = _text(s.impl_case_count)
        if s.impl_case_count_year:
            cases += f" ({conditional_escape(str(s.impl_case_count_year))})"
    cells.append(cases)
    cells.append(
        f"{_text(row.priority_label or '–')}<br>"
        f'<span class="kern-body kern-body--small">{_text(row.suggestion)}</span>'
    )
    planned = (
        _text(date_format(s.impl_planned_date, "SHORT_DATE_FORMAT")) if s.impl_planned_date else "–"
    )
    if row.overdue:
        planned += f' <span class="kern-badge kern-badge--danger">{labels["overdue"]}</span>'
    cells.append(planned)
    cells.append(
        f'<a class="kern-link" href="{_text(row.edit_url)}" hx-get="{_text(row.row_edit_url)}" '
        f'hx-target="#row-{key}" hx-swap="outerHTML">{labels["edit"]}'
        f'<span class="kern-sr-only">: {name}</span></a>'
        if row.can_edit
        else ""
    )
    body = "".join(f'<td class="kern-table__cell">{cell}</td>' for cell in cells)
    return f'\n<tr class="kern-table__row" id="row-{key}">{body}</tr>'
