from django.urls import path

from kompass.catalogue import views

app_name = "catalogue"

urlpatterns = [
    path("", views.topic_list, name="topic-list"),
    path("themenfelder/<slug:code>/", views.topic_detail, name="topic-detail"),
    path("lebenslagen/<int:pk>/", views.life_situation_detail, name="life-situation-detail"),
    path("ozg-leistungen/<str:ozg_id>/", views.ozg_service_detail, name="ozg-service-detail"),
    path("leistungen/", views.service_list, name="service-list"),
    path("leistungen/<str:catalogue_key>/", views.service_detail, name="service-detail"),
    path("staende/", views.release_list, name="release-list"),
    path("staende/<int:pk>/", views.release_detail, name="release-detail"),
]
