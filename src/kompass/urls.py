"""Root URL configuration: one include per app, each with its own namespace."""

from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("", include("kompass.core.urls")),
    path("konto/", include("kompass.accounts.urls")),
    path("katalog/", include("kompass.catalogue.urls")),
    path("kommunen/", include("kompass.municipalities.urls")),
    path("relevanz/", include("kompass.relevance.urls")),
    path("umsetzung/", include("kompass.implementation.urls")),
    path("loesungen/", include("kompass.solutions.urls")),
    path("auswertungen/", include("kompass.reports.urls")),
    path("admin/", admin.site.urls),
]
