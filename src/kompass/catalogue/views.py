from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def topic_list(request: HttpRequest) -> HttpResponse:
    return render(request, "catalogue/topic_list.html", {})


def service_list(request: HttpRequest) -> HttpResponse:
    return render(request, "catalogue/service_list.html", {})


def release_list(request: HttpRequest) -> HttpResponse:
    return render(request, "catalogue/release_list.html", {})
