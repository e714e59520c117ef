from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "kompass.core"
    label = "core"
    verbose_name = _("Grundlagen")

    def ready(self) -> None:
        from kompass.core import checks  # noqa: F401  (registers the system checks)
