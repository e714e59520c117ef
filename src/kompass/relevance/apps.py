from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RelevanceConfig(AppConfig):
    name = "kompass.relevance"
    label = "relevance"
    verbose_name = _("Relevanz")
