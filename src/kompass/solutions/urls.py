from django.urls import path

from kompass.solutions import views

app_name = "solutions"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("export/", views.export, name="export"),
    path("neu/", views.create, name="create"),
    path("luecken/", views.gaps_overview, name="gaps-overview"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/bearbeiten/", views.edit, name="edit"),
    path("<int:pk>/pruefen/", views.review, name="review"),
    path("<int:pk>/leistungen/", views.coverage, name="coverage"),
    path("kommune/<int:pk>/vorschlagen/", views.propose, name="propose"),
    path("kommune/<int:pk>/luecken/", views.gaps, name="gaps"),
    path("kommune/<int:pk>/nutzung/", views.usage_list, name="usage-list"),
    path("kommune/<int:pk>/leistung/<int:service_pk>/", views.usage, name="usage"),
    path(
        "kommune/<int:pk>/nutzung/<int:usage_pk>/loeschen/",
        views.usage_delete,
        name="usage-delete",
    ),
]
