"""System checks that keep an unsafe configuration from reaching production."""

from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured


@checks.register(checks.Tags.security)
def check_secret_key(app_configs, **kwargs) -> list[checks.CheckMessage]:
    """Refuse the public development key whenever DEBUG is off (i.e. anything but development)."""
    if not settings.DEBUG and settings.SECRET_KEY == settings.DEVELOPMENT_SECRET_KEY:
        return [
            checks.Error(
                "SECRET_KEY is the public development key while DEBUG is off.",
                hint="Set the SECRET_KEY environment variable to a long random value.",
                id="kompass.E001",
            )
        ]
    return []


@checks.register(checks.Tags.security, deploy=True)
def check_debug_off(app_configs, **kwargs) -> list[checks.CheckMessage]:
    """A deployment must run with DEBUG off (it would leak settings and SQL in error pages)."""
    if settings.DEBUG:
        return [
            checks.Error(
                "DEBUG is on in a deployment.",
                hint="Set DEBUG=false in the environment of production processes.",
                id="kompass.E002",
            )
        ]
    return []


def refuse_unsafe_start() -> None:
    """Raise if a production entry point (WSGI) is started with an unsafe configuration."""
    errors = check_secret_key(None)
    if errors:
        raise ImproperlyConfigured(f"{errors[0].msg} {errors[0].hint}")
