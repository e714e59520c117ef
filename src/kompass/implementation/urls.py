from django.urls import path

from kompass.implementation import views

app_name = "implementation"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("kommune/<int:pk>/", views.service_list, name="list"),
    path("kommune/<int:pk>/board/", views.board, name="board"),
    path("kommune/<int:pk>/ozg-leistungen/", views.ozg_list, name="ozg-list"),
    path("kommune/<int:pk>/sammelbearbeitung/", views.bulk_edit, name="bulk-edit"),
    path("kommune/<int:pk>/filter/", views.filter_save, name="filter-save"),
    path("kommune/<int:pk>/filter/loeschen/", views.filter_delete, name="filter-delete"),
    path("kommune/<int:pk>/leistung/<int:service_pk>/", views.detail, name="detail"),
    path("kommune/<int:pk>/leistung/<int:service_pk>/bearbeiten/", views.edit, name="edit"),
    path("kommune/<int:pk>/leistung/<int:service_pk>/zeile/", views.row_edit, name="row-edit"),
    path("kommune/<int:pk>/leistung/<int:service_pk>/verschieben/", views.move, name="move"),
    path("kommune/<int:pk>/leistung/<int:service_pk>/schritte/", views.step_add, name="step-add"),
    path("kommune/<int:pk>/schritte/<int:step_pk>/", views.step_change, name="step-change"),
]
