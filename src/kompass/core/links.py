"""URLs for many rows at once."""

from django.urls import reverse


def url_prefix(name: str, **kwargs) -> str:
    """The URL `name` with a trailing id 0 (passed in kwargs), without the "0/": rows whose URLs
    differ only in that id append it, one reverse() per page instead of one per row."""
    return reverse(name, kwargs=kwargs).removesuffix("0/")
