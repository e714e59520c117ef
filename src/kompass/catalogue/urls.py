from django.urls import path

from kompass.catalogue import views

app_name = "catalogue"

urlpatterns = [
    path("", views.topic_list, name="topic-list"),
    path("leistungen/", views.service_list, name="service-list"),
    path("staende/", views.release_list, name="release-list"),
]
