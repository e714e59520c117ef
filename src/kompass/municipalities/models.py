"""Germany's territorial units from the Destatis Gemeindeverzeichnis (GV100AD).

A *Kommune* (Municipality) is either a Gemeinde (including kreisfreie Städte) or a Kreis, because
Kreise execute many services themselves. Kommunaltypen are data per Land (NRW: § 4 GO NRW).
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from kompass.municipalities.choices import AssociationKind, MunicipalityLevel


class Land(models.Model):
    """Bundesland, keyed by its 2-digit code (05 = Nordrhein-Westfalen)."""

    code = models.CharField(_("Schlüssel"), max_length=2, unique=True)
    name = models.CharField(_("Name"), max_length=100)

    class Meta:
        verbose_name = _("Land")
        verbose_name_plural = _("Länder")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class AdministrativeRegion(models.Model):
    """Regierungsbezirk, keyed by its 3-digit code (Land + 1 digit); not every Land has them."""

    code = models.CharField(_("Schlüssel"), max_length=3, unique=True)
    name = models.CharField(_("Name"), max_length=100)
    land = models.ForeignKey(
        Land, on_delete=models.PROTECT, related_name="regions", verbose_name=_("Land")
    )

    class Meta:
        verbose_name = _("Regierungsbezirk")
        verbose_name_plural = _("Regierungsbezirke")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class MunicipalityType(models.Model):
    """Kommunaltyp / Größenklasse, defined per Land (relevance is decided per type)."""

    land = models.ForeignKey(
        Land, on_delete=models.PROTECT, related_name="municipality_types", verbose_name=_("Land")
    )
    code = models.SlugField(_("Code"), max_length=64)
    name = models.CharField(_("Name"), max_length=100)
    level = models.CharField(_("Ebene"), max_length=12, choices=MunicipalityLevel.choices)
    position = models.PositiveSmallIntegerField(_("Reihenfolge"), default=0)

    class Meta:
        verbose_name = _("Kommunaltyp")
        verbose_name_plural = _("Kommunaltypen")
        ordering = ["land", "position", "name"]
        constraints = [
            models.UniqueConstraint(fields=["land", "code"], name="municipalities_unique_type")
        ]

    def __str__(self) -> str:
        return self.name


class MunicipalityQuerySet(models.QuerySet):
    def active(self):
        return self.filter(dissolved_on__isnull=True)


class Municipality(models.Model):
    """Kommune: a Gemeinde or a Kreis, keyed by its 12-digit ARS."""

    ars = models.CharField(_("Regionalschlüssel (ARS)"), max_length=12, unique=True)
    # Gemeinden: the 8-digit AGS; Kreise: their 5-digit Kreisschlüssel.
    ags = models.CharField(_("Gemeindeschlüssel (AGS)"), max_length=8, db_index=True)
    name = models.CharField(_("Name"), max_length=200)
    level = models.CharField(_("Ebene"), max_length=12, choices=MunicipalityLevel.choices)
    land = models.ForeignKey(
        Land, on_delete=models.PROTECT, related_name="municipalities", verbose_name=_("Land")
    )
    region = models.ForeignKey(
        AdministrativeRegion,
        on_delete=models.PROTECT,
        related_name="municipalities",
        null=True,
        blank=True,
        verbose_name=_("Regierungsbezirk"),
    )
    district_code = models.CharField(_("Kreisschlüssel"), max_length=5, db_index=True)
    # The Kreis a kreisangehörige Gemeinde belongs to (Aachen: the Städteregion); empty for Kreise
    # and kreisfreie Städte.
    district = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        related_name="members",
        null=True,
        blank=True,
        verbose_name=_("Kreis"),
    )
    municipality_type = models.ForeignKey(
        MunicipalityType,
        on_delete=models.PROTECT,
        related_name="municipalities",
        null=True,
        blank=True,
        verbose_name=_("Kommunaltyp"),
    )
    special_status = models.CharField(_("Sonderstatus"), max_length=200, blank=True)
    # GV100AD Textkennzeichen (e.g. 61 kreisfreie Stadt, 63 Stadt, 64 Gemeinde, 43 Kreis).
    textkennzeichen = models.CharField(_("Textkennzeichen"), max_length=2, blank=True)
    association_code = models.CharField(_("Gemeindeverband"), max_length=9, blank=True)
    association_name = models.CharField(_("Name des Gemeindeverbands"), max_length=200, blank=True)
    association_kind = models.CharField(
        _("Art des Gemeindeverbands"), max_length=2, choices=AssociationKind.choices, blank=True
    )
    population = models.PositiveIntegerField(_("Einwohner"), null=True, blank=True)
    area_ha = models.PositiveIntegerField(_("Fläche (ha)"), null=True, blank=True)
    # GV100AD: the PLZ of the administrative seat when the Gemeinde has several.
    postal_code = models.CharField(_("Postleitzahl"), max_length=5, blank=True)
    has_several_postal_codes = models.BooleanField(_("mehrere Postleitzahlen"), default=False)
    territorial_status = models.DateField(_("Gebietsstand"), null=True, blank=True)
    # Set when a re-import no longer contains the ARS (e.g. after a merger); never deleted.
    dissolved_on = models.DateField(_("aufgelöst zum"), null=True, blank=True)
    search_text = models.TextField(editable=False, blank=True)

    objects = MunicipalityQuerySet.as_manager()

    class Meta:
        verbose_name = _("Kommune")
        verbose_name_plural = _("Kommunen")
        ordering = ["name", "ars"]
        indexes = [
            models.Index(fields=["land", "level", "name"]),
            models.Index(fields=["municipality_type", "name"]),
            models.Index(fields=["district", "name"]),
            # The global views count the active Kommunen per Kommunaltyp and look up the types
            # of the active Kreise in every statement (reports.sql): index-only scans of these
            # instead of reading all ~11,000 rows, each time 2-4 ms at SCALE=de.
            models.Index(
                fields=["municipality_type"],
                condition=models.Q(dissolved_on__isnull=True),
                name="municipality_active_type",
            ),
            models.Index(
                fields=["level", "municipality_type"],
                condition=models.Q(dissolved_on__isnull=True),
                name="municipality_active_level",
            ),
            # The gap list names and types the Kommunen that use its offers (thousands per page,
            # solutions.selectors.offers_for): index-only lookups instead of one heap page each.
            models.Index(
                fields=["id"], include=["name", "municipality_type"], name="municipality_name_type"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Provider(models.Model):
    """A municipal IT service provider (kommunales Rechenzentrum) and its member Kommunen."""

    name = models.CharField(_("Name"), max_length=200, unique=True)
    slug = models.SlugField(_("Kurzname"), max_length=64, unique=True)
    members = models.ManyToManyField(
        Municipality, related_name="providers", blank=True, verbose_name=_("Mitgliedskommunen")
    )

    class Meta:
        verbose_name = _("IT-Dienstleister")
        verbose_name_plural = _("IT-Dienstleister")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
