from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from kompass.catalogue.selectors import catalogue_counts
from kompass.municipalities.selectors import municipality_counts


def home(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "core/home.html",
        {"catalogue": catalogue_counts(), "municipalities": municipality_counts()},
    )


def legal_page(request: HttpRequest, page: str) -> HttpResponse:
    """Impressum, Datenschutz, Barrierefreiheit; an operator overrides them via KOMPASS_TEMPLATE_DIR."""
    return render(request, f"core/legal/{page}.html")
