"""Template tags of the solutions marketplace.

{% load solutions_tags %}{% solution_usage_summary municipality service can_edit %} renders the
solutions a Kommune uses or plans for a Leistung, with a link to record one (implementation
detail page). One query.

{% gap_rows gaps can_edit %} renders the rows of the gap list in Python: 25 gaps with up to three
offers and three users each were a fifth of that page's time in the template engine (45 of
240 ms at SCALE=de). Each value is rendered as {{ value }} would: localised, then escaped.
"""

from urllib.parse import quote

from django import template
from django.urls import reverse
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from kompass.core.templatetags.kern_tags import as_text
from kompass.solutions.choices import UsageState
from kompass.solutions.selectors import usages_for

register = template.Library()


@register.inclusion_tag("solutions/_usage_summary.html")
def solution_usage_summary(municipality, service, can_edit=False) -> dict:
    return {
        "municipality": municipality,
        "service": service,
        "usages": usages_for(municipality=municipality, service=service),
        "can_edit": can_edit,
    }


@register.filter
def shared_contact(person) -> SafeString:
    """A contact person a Kommune chose to share: name and a mailto link (escaped), or a note."""
    if person is None:
        return format_html(
            '<span class="kern-body kern-body--small">{}</span>', _("keine Ansprechperson genannt")
        )
    markup = _contact(person.get_full_name() or person.get_username(), person.email)
    return mark_safe(markup)  # noqa: S308 - _contact escapes every part


def _contact(name: str, email: str) -> str:
    """Name and mailto link as markup of escaped parts (gap_rows marks its whole markup safe)."""
    name = as_text(name)
    if not email:
        return name
    email = as_text(email)
    return f'{name}, <a class="kern-link" href="mailto:{email}">{email}</a>'


@register.simple_tag
def gap_rows(gaps, can_edit=False) -> SafeString:
    """The <tr> of each selectors.Gap: the Leistung, its Reifegrad gap, its (suggested) priority
    and the offers, each with the Kommunen using it and, for editors, a link to record a use."""
    overview_url = reverse("solutions:overview")
    labels = {
        "suggestion": conditional_escape(_("Vorschlag")),
        "none": conditional_escape(_("keine Lösung bekannt")),
        "no_contact": shared_contact(None),
        # The states' labels once per page, not once per user (get_state_display() is slow).
        **{state: as_text(str(label)) for state, label in UsageState.choices},
    }
    return mark_safe(  # noqa: S308 - _gap_row escapes every value
        "".join(_gap_row(gap, can_edit, overview_url, labels) for gap in gaps)
    )


def _gap_row(gap, can_edit: bool, overview_url: str, labels: dict[str, str]) -> str:
    s = gap.service
    ozg = f"{as_text(s.ozg_service.ozg_id)} {as_text(s.ozg_service.name)}" if s.ozg_service else ""
    priority = as_text(gap.priority_label)
    if not s.impl_priority:
        priority += f' <span class="kern-body kern-body--small">({labels["suggestion"]})</span>'
    if gap.offers:
        offers = "".join(_offer(gap, offer, can_edit, labels) for offer in gap.offers)
        offers = f'<ul class="solutions-offers">{offers}</ul>'
        if gap.more_offers:
            key = quote(str(s.leika_key or s.catalogue_key), safe="/")
            more = ngettext("%(n)s weitere Lösung", "%(n)s weitere Lösungen", gap.more_offers) % {
                "n": as_text(gap.more_offers)
            }
            offers += (
                f'<a class="kern-link" href="{overview_url}?leistung={as_text(key)}">{more}</a>'
            )
    else:
        offers = f'<span class="kern-badge kern-badge--warning">{labels["none"]}</span>'
    return (
        f'\n<tr class="kern-table__row" id="gap-{s.pk}">'
        f'<td class="kern-table__cell"><a class="kern-link" href="{as_text(gap.detail_url)}">'
        f"{as_text(s.name)}</a><br>"
        f'<span class="kern-body kern-body--small">{ozg}</span></td>'
        f'<td class="kern-table__cell">{as_text(s.gap_current)} → {as_text(s.gap_target)}</td>'
        f'<td class="kern-table__cell">{priority}</td>'
        f'<td class="kern-table__cell">{offers}</td></tr>'
    )


def _offer(gap, offer, can_edit: bool, labels: dict[str, str]) -> str:
    name = as_text(offer.solution.name)
    url = as_text(offer.url)
    text = _("erreicht Reifegrad %(level)s") % {"level": as_text(offer.level)}
    if offer.similar_users:
        text += ", " + ngettext(
            "%(n)s Kommune gleichen Typs nutzt sie",
            "%(n)s Kommunen gleichen Typs nutzen sie",
            offer.similar_users,
        ) % {"n": as_text(offer.similar_users)}
    users = ""
    if offer.users:
        users = "".join(
            f"<li>{as_text(user.municipality.name)} ({labels[user.state]}): "
            f"{_contact(user.contact_name, user.contact_email) if user.contact_name else labels['no_contact']}</li>"
            for user in offer.users
        )
        if offer.more_users:
            more = ngettext(
                "und %(n)s weitere Kommune", "und %(n)s weitere Kommunen", offer.more_users
            ) % {"n": as_text(offer.more_users)}
            users += f'<li><a class="kern-link" href="{url}">{more}</a></li>'
        users = f'<ul class="solutions-users">{users}</ul>'
    record = ""
    if can_edit:
        label = _("Nutzung von „%(name)s“ erfassen") % {"name": name}
        record = (
            f'<a class="kern-link" href="{as_text(gap.usage_url)}?loesung={offer.solution.pk}">'
            f"{label}</a>"
        )
    return (
        f'<li class="solutions-offer"><a class="kern-link" href="{url}">{name}</a> – {text}'
        f"{users}{record}</li>"
    )
