from django.urls import path

from kompass.reports import views

app_name = "reports"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("kommune/<int:pk>/", views.dashboard, name="dashboard"),
    path("kommune/<int:pk>/bericht/", views.dashboard_print, name="dashboard-print"),
    path("kommune/<int:pk>/export.<str:fmt>", views.dashboard_export, name="dashboard-export"),
    path("kommune/<int:pk>/leistungen.<str:fmt>", views.workspace_export, name="workspace-export"),
    path("kommune/<int:pk>/vergleich/", views.benchmark, name="benchmark"),
    path("kommune/<int:pk>/vergleich.<str:fmt>", views.benchmark_export, name="benchmark-export"),
    path("leistung/<int:service_pk>/", views.service_global, name="service-global"),
    path(
        "leistung/<int:service_pk>/export.<str:fmt>",
        views.service_global_export,
        name="service-global-export",
    ),
    path("ozg-leistung/<str:ozg_id>/", views.ozg_global, name="ozg-global"),
    path(
        "ozg-leistung/<str:ozg_id>/export.<str:fmt>",
        views.ozg_global_export,
        name="ozg-global-export",
    ),
    path("it-dienstleister/<int:pk>/", views.heatmap, name="heatmap"),
    path("it-dienstleister/<int:pk>/export.<str:fmt>", views.heatmap_export, name="heatmap-export"),
    path("exporte/", views.export_list, name="export-list"),
    path("exporte/<uuid:pk>/", views.export_detail, name="export"),
    path("exporte/<uuid:pk>/datei", views.export_download, name="export-download"),
    path("exporte/<uuid:pk>/erneut/", views.export_retry, name="export-retry"),
]
