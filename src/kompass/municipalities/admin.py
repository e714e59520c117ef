from django.contrib import admin

from kompass.municipalities.models import (
    AdministrativeRegion,
    Land,
    Municipality,
    MunicipalityType,
    Provider,
)


@admin.register(Land)
class LandAdmin(admin.ModelAdmin):
    list_display = ["code", "name"]
    search_fields = ["code", "name"]


@admin.register(AdministrativeRegion)
class AdministrativeRegionAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "land"]
    list_filter = ["land"]
    search_fields = ["code", "name"]


@admin.register(MunicipalityType)
class MunicipalityTypeAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "land", "level", "position"]
    list_filter = ["land", "level"]
    search_fields = ["name", "code"]
    list_select_related = ["land"]


@admin.register(Municipality)
class MunicipalityAdmin(admin.ModelAdmin):
    """Gemeinden and Kreise come from the Gemeindeverzeichnis import; edits here are overwritten
    by the next import for every imported field, so they are shown read-only."""

    list_display = [
        "name",
        "ars",
        "level",
        "municipality_type",
        "land",
        "population",
        "dissolved_on",
    ]
    list_filter = ["level", "land", "municipality_type", "dissolved_on"]
    search_fields = ["name", "ars", "ags", "postal_code"]
    list_select_related = ["land", "municipality_type"]
    readonly_fields = [
        "ars",
        "ags",
        "name",
        "level",
        "land",
        "region",
        "district_code",
        "district",
        "municipality_type",
        "special_status",
        "textkennzeichen",
        "association_code",
        "association_name",
        "association_kind",
        "population",
        "area_ha",
        "postal_code",
        "has_several_postal_codes",
        "territorial_status",
        "dissolved_on",
    ]

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        # Kommunen are never deleted: a re-import marks them dissolved instead.
        return False


@admin.register(Provider)
class ProviderAdmin(admin.ModelAdmin):
    list_display = ["name", "slug"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    autocomplete_fields = ["members"]

    def save_related(self, request, form, formsets, change):
        """Members may have joined or left: the provider's sums for the heat map
        (reports.ProviderProgress) are recomputed in the same transaction."""
        from kompass.reports.services import provider_progress_rebuild

        before = set(form.instance.members.values_list("pk", flat=True)) if change else set()
        super().save_related(request, form, formsets, change)
        provider_progress_rebuild(provider_ids=[form.instance.pk], also_lock=before)
