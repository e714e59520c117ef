from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def municipality_list(request: HttpRequest) -> HttpResponse:
    return render(request, "municipalities/municipality_list.html", {})
