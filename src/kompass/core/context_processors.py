"""Template context shared by every page."""

from django.conf import settings
from django.http import HttpRequest

# Which main-navigation section a page belongs to, by URL namespace and name.
_NAV_SECTIONS = {
    ("catalogue", "topic-list"): "topics",
    ("catalogue", "topic-detail"): "topics",
    ("catalogue", "life-situation-detail"): "topics",
    ("catalogue", "ozg-service-detail"): "topics",
    ("catalogue", "service-list"): "services",
    ("catalogue", "service-detail"): "services",
    ("catalogue", "release-list"): "releases",
    ("catalogue", "release-detail"): "releases",
    ("municipalities", "municipality-list"): "municipalities",
    ("municipalities", "municipality-detail"): "municipalities",
}


def site(request: HttpRequest) -> dict:
    match = getattr(request, "resolver_match", None)
    section = None
    if match:
        section = _NAV_SECTIONS.get((match.namespace, match.url_name))
        if match.namespace in ("relevance", "implementation", "solutions", "reports"):
            section = match.namespace
    return {"operator": settings.KOMPASS_OPERATOR, "nav_section": section}
