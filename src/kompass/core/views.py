from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from kompass.accounts.selectors import municipalities_visible_to
from kompass.catalogue.selectors import catalogue_counts
from kompass.municipalities.selectors import municipality_counts

HOME_MUNICIPALITIES = 6


def home(request: HttpRequest) -> HttpResponse:
    """The start page; signed in, it starts with the person's own Kommunen and their work."""
    context = {"catalogue": catalogue_counts(), "municipalities": municipality_counts()}
    if request.user.is_authenticated:
        own = municipalities_visible_to(request.user).active().order_by("level", "name")
        context["own_municipalities"] = list(own[:HOME_MUNICIPALITIES])
        context["own_count"] = (
            own.count()
            if len(context["own_municipalities"]) == HOME_MUNICIPALITIES
            else len(context["own_municipalities"])
        )
    return render(request, "core/home.html", context)


def legal_page(request: HttpRequest, page: str) -> HttpResponse:
    """Impressum, Datenschutz, Barrierefreiheit; an operator overrides them via KOMPASS_TEMPLATE_DIR."""
    return render(request, f"core/legal/{page}.html")
