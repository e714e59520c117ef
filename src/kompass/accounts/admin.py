"""The Django admin, for platform operators only (Kommunen work on their own pages)."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from kompass.accounts import selectors
from kompass.accounts.models import AuditEvent, Department, Invitation, RoleAssignment, User


def _operator_admin_permission(request) -> bool:
    """Admin access: active platform operators (and superusers), never Kommune staff."""
    user = request.user
    return bool(user.is_active and user.is_authenticated and selectors.is_platform_operator(user))


admin.site.has_permission = _operator_admin_permission


class RoleAssignmentInline(admin.TabularInline):
    model = RoleAssignment
    fk_name = "user"
    extra = 0
    raw_id_fields = ["municipality", "district", "provider", "department", "topic", "granted_by"]


@admin.register(User)
class KompassUserAdmin(UserAdmin):
    inlines = [RoleAssignmentInline]


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "municipality"]
    search_fields = ["code", "name", "municipality__name"]
    raw_id_fields = ["municipality"]


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = ["email", "role", "municipality", "created_at", "expires_at", "accepted_at"]
    list_filter = ["role"]
    readonly_fields = ["token_hash"]
    raw_id_fields = ["municipality", "district", "provider", "department", "topic"]


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """Read-only: the log is written by the application only."""

    list_display = [
        "created_at",
        "kind",
        "subject_name",
        "actor_name",
        "municipality",
        "ip_address",
    ]
    list_filter = ["kind"]
    search_fields = ["subject_name", "actor_name", "detail"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
