"""Admin for platform operators: the catalogue and its code lists are read-only here; they
change only by import (manage.py import_catalogue), which would undo any edit by hand."""

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from kompass.catalogue.models import (
    CatalogueChange,
    CatalogueRelease,
    LeikaType,
    LifeSituation,
    MaturityLevel,
    MaturityModel,
    OzgService,
    Service,
    Topic,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    """Viewable, searchable, never edited by hand: the next import would undo the edit."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class RetiredFilter(admin.SimpleListFilter):
    title = _("Stand")
    parameter_name = "retired"

    def lookups(self, request, model_admin):
        return [("no", _("aktuell")), ("yes", _("entfallen"))]

    def queryset(self, request, queryset):
        if self.value() == "no":
            return queryset.filter(retired_in__isnull=True)
        if self.value() == "yes":
            return queryset.filter(retired_in__isnull=False)
        return queryset


@admin.register(CatalogueRelease)
class CatalogueReleaseAdmin(ReadOnlyAdmin):
    list_display = [
        "label",
        "imported_at",
        "imported_by",
        "added_count",
        "changed_count",
        "retired_count",
        "restored_count",
    ]
    readonly_fields = [
        "label",
        "source",
        "imported_at",
        "imported_by",
        "counts",
        "added_count",
        "changed_count",
        "retired_count",
        "restored_count",
        "warnings",
        "change_report",
    ]

    @admin.display(description=_("Änderungsbericht"))
    def change_report(self, obj: CatalogueRelease) -> str:
        # A link, not an inline: a release can have thousands of changes (the first has one per
        # entry); the change list pages and filters them.
        url = reverse("admin:catalogue_cataloguechange_changelist")
        return format_html(
            '<a href="{}?release__id__exact={}">{}</a>',
            url,
            obj.pk,
            _("%(count)d Einträge") % {"count": obj.changes.count()},
        )


@admin.register(CatalogueChange)
class CatalogueChangeAdmin(ReadOnlyAdmin):
    list_display = ["release", "entity", "kind", "key", "name"]
    list_filter = ["release", "entity", "kind"]
    search_fields = ["key", "name"]
    list_select_related = ["release"]


@admin.register(Topic)
class TopicAdmin(ReadOnlyAdmin):
    list_display = ["position", "name", "code", "retired_in"]
    list_filter = [RetiredFilter]
    search_fields = ["name", "code"]


@admin.register(LifeSituation)
class LifeSituationAdmin(ReadOnlyAdmin):
    list_display = ["name", "topic", "target_group", "retired_in"]
    list_filter = [RetiredFilter, "target_group", "topic"]
    search_fields = ["name"]
    list_select_related = ["topic", "retired_in"]


@admin.register(OzgService)
class OzgServiceAdmin(ReadOnlyAdmin):
    list_display = ["ozg_id", "name", "life_situation", "topic", "retired_in"]
    list_filter = [RetiredFilter, "topic"]
    search_fields = ["ozg_id", "name"]
    list_select_related = ["life_situation", "topic", "retired_in"]


@admin.register(Service)
class ServiceAdmin(ReadOnlyAdmin):
    list_display = ["catalogue_key", "name", "ozg_service", "leika_type_codes", "retired_in"]
    list_filter = [RetiredFilter, "topic", "target_group", "leika_types"]
    search_fields = ["catalogue_key", "leika_key", "name", "ozg_service__ozg_id"]
    list_select_related = ["ozg_service", "retired_in"]


class MaturityLevelInline(admin.TabularInline):
    model = MaturityLevel
    fields = ["level", "name", "description", "ozg_compliant"]
    readonly_fields = fields
    extra = 0
    max_num = 0
    can_delete = False


@admin.register(MaturityModel)
class MaturityModelAdmin(admin.ModelAdmin):
    """Models and levels come from the ozg_reifegrad_*.csv files; an operator only picks the
    default model (the import never changes an existing default)."""

    list_display = ["code", "name", "is_default"]
    readonly_fields = ["code", "name"]
    inlines = [MaturityLevelInline]

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(LeikaType)
class LeikaTypeAdmin(ReadOnlyAdmin):
    """From leika_typisierung.csv; corrections go into that file, the next import applies them."""

    list_display = ["code", "regulation", "execution", "meaning_known"]
