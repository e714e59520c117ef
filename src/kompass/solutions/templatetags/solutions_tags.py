"""Template tags other apps use to show the solutions marketplace.

{% load solutions_tags %}{% solution_usage_summary municipality service can_edit %} renders the
solutions a Kommune uses or plans for a Leistung, with a link to record one (implementation
detail page). One query.
"""

from django import template
from django.utils.html import format_html
from django.utils.translation import gettext as _

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
def shared_contact(person) -> str:
    """A contact person a Kommune chose to share: name and a mailto link (escaped), or a note."""
    if person is None:
        return format_html(
            '<span class="kern-body kern-body--small">{}</span>', _("keine Ansprechperson genannt")
        )
    name = person.get_full_name() or person.get_username()
    if not person.email:
        return format_html("{}", name)
    return format_html(
        '{}, <a class="kern-link" href="mailto:{}">{}</a>', name, person.email, person.email
    )
