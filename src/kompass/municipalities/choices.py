from django.db import models
from django.utils.translation import gettext_lazy as _


class MunicipalityLevel(models.TextChoices):
    """Whether a Kommune is a Kreis (Satzart 40) or a Gemeinde (Satzart 60, kreisfreie Städte too)."""

    DISTRICT = "district", _("Kreis")
    MUNICIPALITY = "municipality", _("Gemeinde")


class AssociationKind(models.TextChoices):
    """GV100AD Textkennzeichen of a Gemeindeverband (Satzart 50)."""

    NONE = "50", _("verbandsfreie Gemeinde")
    AMT = "51", _("Amt")
    SAMTGEMEINDE = "52", _("Samtgemeinde")
    VERBANDSGEMEINDE = "53", _("Verbandsgemeinde")
    VERWALTUNGSGEMEINSCHAFT = "54", _("Verwaltungsgemeinschaft")
    KIRCHSPIELSLANDGEMEINDE = "55", _("Kirchspielslandgemeinde")
    VERWALTUNGSVERBAND = "56", _("Verwaltungsverband")
    VG_TRAEGERMODELL = "57", _("Verwaltungsgemeinschaft (Trägermodell)")
    ERFUELLENDE_GEMEINDE = "58", _("Erfüllende Gemeinde")
