"""Middleware of our own."""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def method_not_allowed_page(get_response: Callable[[HttpRequest], HttpResponse]):
    """Answer a request with a method the view refuses (require_POST, the logout view: an
    address opened from a bookmark, the history or a link) with a German page instead of
    Django's empty 405 response; status and Allow header stay as the view set them."""

    def middleware(request: HttpRequest) -> HttpResponse:
        response = get_response(request)
        if response.status_code != 405 or response.streaming or response.content:
            return response
        page = render(request, "405.html", status=405)
        if response.has_header("Allow"):
            page["Allow"] = response["Allow"]
        return page

    return middleware
