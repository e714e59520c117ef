from django.db import models
from django.utils.translation import gettext_lazy as _


class MunicipalityLevel(models.TextChoices):
    """Whether a Kommune is a Kreis (Satzart 40) or a Gemeinde (Satzart 60, kreisfreie Städte too)."""

    DISTRICT = "district", _("Kreis")
    MUNICIPALITY = "municipality", _("Gemeinde")
