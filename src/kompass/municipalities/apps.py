from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MunicipalitiesConfig(AppConfig):
    name = "kompass.municipalities"
    label = "municipalities"
    verbose_name = _("Kommunen")
