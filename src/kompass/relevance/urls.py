from django.urls import path

from kompass.relevance import views

app_name = "relevance"

matrix = "matrix/<str:land>/<slug:topic>/"

urlpatterns = [
    path("", views.overview, name="overview"),
    path(matrix, views.matrix, name="matrix"),
    path(f"{matrix}speichern/", views.matrix_save, name="matrix-save"),
    path(f"{matrix}sammelentscheidung/", views.bulk, name="bulk"),
    path(f"{matrix}leistung/<int:pk>/", views.row, name="row"),
    path(f"{matrix}geprueft/", views.review, name="review"),
    path(f"{matrix}export.xlsx", views.export, name="export"),
    path(f"{matrix}import/", views.matrix_import, name="import"),
    path("abweichungen/", views.deviation_list, name="deviation-list"),
    path("kommunen/<int:pk>/", views.municipality, name="municipality"),
    path(
        "kommunen/<int:pk>/leistungen/<int:service_pk>/",
        views.deviation_edit,
        name="deviation-edit",
    ),
    path(
        "kommunen/<int:pk>/leistungen/<int:service_pk>/zuruecknehmen/",
        views.deviation_remove,
        name="deviation-remove",
    ),
    path("kommunen/<int:pk>/gegenpruefung/", views.cross_check, name="cross-check"),
]
