from django.urls import path

from kompass.municipalities import views

app_name = "municipalities"

urlpatterns = [
    path("", views.municipality_list, name="municipality-list"),
    path("<str:ars>/", views.municipality_detail, name="municipality-detail"),
]
