"""The OZG catalogue: Themenfeld → Lebenslage → OZG-Leistung → LeiKa-Leistung, plus the code lists.

Catalogue rows are reference data, updated by importing a release (see services.catalogue_import).
They are never deleted: an entry that a release no longer contains is *retired* (retired_in set),
so that everything Kommunen attached to it stays intact.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from kompass.catalogue.choices import CatalogueEntity, ChangeKind, TargetGroup


class CatalogueRelease(models.Model):
    """One import of the catalogue, with counts and its change report (CatalogueChange rows)."""

    label = models.CharField(_("Bezeichnung"), max_length=200)
    source = models.CharField(_("Quelle"), max_length=500, blank=True)
    imported_at = models.DateTimeField(_("eingelesen am"), auto_now_add=True)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("eingelesen von"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    counts = models.JSONField(_("Anzahl je Ebene"), default=dict, blank=True)
    added_count = models.PositiveIntegerField(_("neu"), default=0)
    changed_count = models.PositiveIntegerField(_("geändert"), default=0)
    retired_count = models.PositiveIntegerField(_("entfallen"), default=0)
    restored_count = models.PositiveIntegerField(_("wieder aufgenommen"), default=0)
    # Oddities in the files that did not stop the import (German text, one per entry).
    warnings = models.JSONField(_("Hinweise"), default=list, blank=True)

    class Meta:
        verbose_name = _("Katalogstand")
        verbose_name_plural = _("Katalogstände")
        ordering = ["-imported_at", "-pk"]

    def __str__(self) -> str:
        return self.label


class CatalogueChange(models.Model):
    """One line of a release's change report: an entry added, changed (field before → after),
    retired, or restored (a retired key that a later release contains again)."""

    release = models.ForeignKey(
        CatalogueRelease, on_delete=models.CASCADE, related_name="changes", verbose_name=_("Stand")
    )
    entity = models.CharField(_("Ebene"), max_length=20, choices=CatalogueEntity.choices)
    # Lebenslagen are keyed by their name, so this is as long as LifeSituation.name.
    key = models.CharField(_("Schlüssel"), max_length=200)
    name = models.CharField(_("Bezeichnung"), max_length=500)
    kind = models.CharField(_("Art"), max_length=10, choices=ChangeKind.choices)
    # {"field": ["before", "after"], …} with model field names and display values (names, not
    # pks); empty for added/retired entries, set for changed and restored ones.
    fields = models.JSONField(_("Felder"), default=dict, blank=True)

    class Meta:
        verbose_name = _("Katalogänderung")
        verbose_name_plural = _("Katalogänderungen")
        ordering = ["release", "entity", "kind", "key"]
        indexes = [models.Index(fields=["release", "entity", "kind"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.key} {self.name}"


class RetirableQuerySet(models.QuerySet):
    def current(self):
        return self.filter(retired_in__isnull=True)


class RetirableModel(models.Model):
    first_release = models.ForeignKey(
        CatalogueRelease,
        verbose_name=_("aufgenommen mit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    retired_in = models.ForeignKey(
        CatalogueRelease,
        verbose_name=_("entfallen mit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    objects = RetirableQuerySet.as_manager()

    class Meta:
        abstract = True

    @property
    def is_retired(self) -> bool:
        return self.retired_in_id is not None


class Topic(RetirableModel):
    """Themenfeld (14 in the OZG catalogue), keyed by the FIM-Portal enum code."""

    code = models.SlugField(_("Code"), max_length=64, unique=True)
    name = models.CharField(_("Name"), max_length=200)
    position = models.PositiveSmallIntegerField(_("Reihenfolge"), default=0)

    class Meta:
        verbose_name = _("Themenfeld")
        verbose_name_plural = _("Themenfelder")
        ordering = ["position", "name"]

    def __str__(self) -> str:
        return self.name


class LifeSituation(RetirableModel):
    """Lebenslage (citizens) or Unternehmenslage (businesses) within a Themenfeld; keyed by name."""

    name = models.CharField(_("Name"), max_length=200, unique=True)
    topic = models.ForeignKey(
        Topic,
        on_delete=models.PROTECT,
        related_name="life_situations",
        verbose_name=_("Themenfeld"),
    )
    target_group = models.CharField(
        _("Zielgruppe"), max_length=12, choices=TargetGroup.choices, blank=True
    )

    class Meta:
        verbose_name = _("Lebens-/Unternehmenslage")
        verbose_name_plural = _("Lebens-/Unternehmenslagen")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class OzgService(RetirableModel):
    """OZG-Leistung (Leistungsbündel), keyed by its 5-digit OZG-ID."""

    ozg_id = models.CharField(_("OZG-ID"), max_length=5, unique=True)
    name = models.CharField(_("Name"), max_length=300)
    life_situation = models.ForeignKey(
        LifeSituation,
        on_delete=models.PROTECT,
        related_name="ozg_services",
        null=True,
        blank=True,
        verbose_name=_("Lebens-/Unternehmenslage"),
    )
    # Denormalised from life_situation so that lists filter by Themenfeld without joins.
    topic = models.ForeignKey(
        Topic,
        on_delete=models.PROTECT,
        related_name="ozg_services",
        null=True,
        blank=True,
        verbose_name=_("Themenfeld"),
    )

    class Meta:
        verbose_name = _("OZG-Leistung")
        verbose_name_plural = _("OZG-Leistungen")
        ordering = ["ozg_id"]

    def __str__(self) -> str:
        return f"{self.ozg_id} {self.name}"


class LeikaType(models.Model):
    """LeiKa-Typ: who regulates and who executes a service (code list urn:de:fim:leika:typisierung)."""

    code = models.CharField(_("Code"), max_length=8, unique=True)
    regulation = models.CharField(_("Regelungskompetenz"), max_length=100, blank=True)
    execution = models.CharField(_("Vollzugskompetenz"), max_length=100, blank=True)
    meaning_known = models.BooleanField(_("Bedeutung bekannt"), default=False)
    position = models.PositiveSmallIntegerField(_("Reihenfolge"), default=0)

    class Meta:
        verbose_name = _("LeiKa-Typ")
        verbose_name_plural = _("LeiKa-Typen")
        ordering = ["position", "code"]

    def __str__(self) -> str:
        return self.code


class Service(RetirableModel):
    """LeiKa-Leistung: the single service (Einzelleistung) that a Kommune implements.

    catalogue_key is the stable identity across releases: the 14-digit LeiKa key where there is
    one, otherwise a key derived from OZG-ID and name for the rows "nicht im LeiKa".
    """

    catalogue_key = models.CharField(_("Katalogschlüssel"), max_length=40, unique=True)
    leika_key = models.CharField(
        _("LeiKa-Schlüssel"), max_length=14, unique=True, null=True, blank=True
    )
    name = models.CharField(_("Bezeichnung"), max_length=500)
    ozg_service = models.ForeignKey(
        OzgService,
        on_delete=models.PROTECT,
        related_name="services",
        null=True,
        blank=True,
        verbose_name=_("OZG-Leistung"),
    )
    # Denormalised from ozg_service for fast filtering of the ~5,000-row list.
    life_situation = models.ForeignKey(
        LifeSituation,
        on_delete=models.PROTECT,
        related_name="services",
        null=True,
        blank=True,
        verbose_name=_("Lebens-/Unternehmenslage"),
    )
    topic = models.ForeignKey(
        Topic,
        on_delete=models.PROTECT,
        related_name="services",
        null=True,
        blank=True,
        verbose_name=_("Themenfeld"),
    )
    # The parts of the LeiKa key: 99 + Leistungsgruppierung + Kennung + Verrichtung + Detail.
    leika_group = models.CharField(_("Leistungsgruppierung"), max_length=3, blank=True)
    leika_identifier = models.CharField(_("Kennung"), max_length=3, blank=True)
    action = models.CharField(_("Verrichtung"), max_length=3, blank=True)
    action_detail = models.CharField(_("Verrichtungsdetail"), max_length=3, blank=True)
    leika_type_codes = models.CharField(_("LeiKa-Typ"), max_length=40, blank=True)
    leika_types = models.ManyToManyField(
        LeikaType, related_name="services", blank=True, verbose_name=_("LeiKa-Typen")
    )
    legal_basis = models.TextField(_("Rechtsgrundlagen"), blank=True)
    laws = models.TextField(_("Gesetze"), blank=True)
    law_abbreviations = models.TextField(_("Gesetzeskürzel"), blank=True)
    sdg1_relevant = models.BooleanField(_("SDG-relevant (Anhang I)"), default=False)
    sdg2_relevant = models.BooleanField(_("SDG-relevant (Anhang II)"), default=False)
    target_group = models.CharField(
        _("Zielgruppe"), max_length=12, choices=TargetGroup.choices, blank=True
    )
    # Folded text (kompass.core.text.fold) of name, keys and OZG-Leistung, for search.
    search_text = models.TextField(editable=False, blank=True)

    class Meta:
        verbose_name = _("LeiKa-Leistung")
        verbose_name_plural = _("LeiKa-Leistungen")
        ordering = ["name", "catalogue_key"]
        indexes = [
            models.Index(fields=["topic", "name"]),
            models.Index(fields=["ozg_service"]),
            models.Index(fields=["retired_in", "name"]),
            # The service list's default order over current entries: the first page is read
            # from the index instead of sorting all ~5,000 names.
            models.Index(
                fields=["name", "catalogue_key"],
                condition=models.Q(retired_in__isnull=True),
                name="catalogue_service_current_name",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def sdg_relevant(self) -> bool:
        return self.sdg1_relevant or self.sdg2_relevant


class MaturityModel(models.Model):
    """A Reifegradmodell (1.1 with levels 0–4; 2.0 with 0–7). Levels are data, not an enum."""

    code = models.CharField(_("Version"), max_length=10, unique=True)
    name = models.CharField(_("Name"), max_length=200)
    is_default = models.BooleanField(_("Standard"), default=False)

    class Meta:
        verbose_name = _("Reifegradmodell")
        verbose_name_plural = _("Reifegradmodelle")
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"],
                condition=models.Q(is_default=True),
                name="catalogue_one_default_maturity_model",
            )
        ]

    def __str__(self) -> str:
        return self.name


class MaturityLevel(models.Model):
    """One level of a maturity model, e.g. 3 "Online-Leistung" (OZG-konform)."""

    model = models.ForeignKey(
        MaturityModel, on_delete=models.CASCADE, related_name="levels", verbose_name=_("Modell")
    )
    level = models.PositiveSmallIntegerField(_("Stufe"))
    name = models.CharField(_("Bezeichnung"), max_length=100)
    description = models.TextField(_("Beschreibung"), blank=True)
    ozg_compliant = models.BooleanField(_("OZG-konform"), default=False)

    class Meta:
        verbose_name = _("Reifegradstufe")
        verbose_name_plural = _("Reifegradstufen")
        ordering = ["model", "level"]
        constraints = [
            models.UniqueConstraint(fields=["model", "level"], name="catalogue_unique_level")
        ]

    def __str__(self) -> str:
        return f"{self.level} {self.name}"
