from django.db import models
from django.utils.translation import gettext_lazy as _


class TargetGroup(models.TextChoices):
    CITIZENS = "citizens", _("Bürgerinnen und Bürger")
    BUSINESSES = "businesses", _("Unternehmen")


class CatalogueEntity(models.TextChoices):
    TOPIC = "topic", _("Themenfeld")
    LIFE_SITUATION = "life_situation", _("Lebens-/Unternehmenslage")
    OZG_SERVICE = "ozg_service", _("OZG-Leistung")
    SERVICE = "service", _("LeiKa-Leistung")


class ChangeKind(models.TextChoices):
    ADDED = "added", _("neu")
    CHANGED = "changed", _("geändert")
    RETIRED = "retired", _("entfallen")
    RESTORED = "restored", _("wieder aufgenommen")
