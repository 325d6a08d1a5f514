from django.contrib import admin

from .models import (
    ApiToken,
    AuditEvent,
    Cluster,
    Expert,
    Notification,
    Organisation,
    Profile,
    Region,
    TechField,
)


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "short_name", "name_en"]


@admin.register(TechField)
class TechFieldAdmin(admin.ModelAdmin):
    list_display = ["external_id", "name", "name_en", "parent"]
    list_filter = ["parent"]
    search_fields = ["external_id", "name", "name_en"]


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "region", "parent", "is_sme", "is_support_desk"]
    list_filter = ["kind", "region", "is_sme", "is_support_desk"]
    search_fields = ["name", "name_en", "external_id"]
    autocomplete_fields = ["parent"]
    filter_horizontal = ["fields"]
    list_select_related = ["region", "parent"]


@admin.register(Cluster)
class ClusterAdmin(admin.ModelAdmin):
    list_display = ["name", "region", "complex"]
    filter_horizontal = ["strategic_industries", "institutes"]


@admin.register(Expert)
class ExpertAdmin(admin.ModelAdmin):
    list_display = ["name", "title", "organisation", "capacity", "user"]
    search_fields = ["name", "external_id", "organisation__name"]
    autocomplete_fields = ["organisation", "user"]
    filter_horizontal = ["fields"]
    list_select_related = ["organisation", "user"]


@admin.register(Profile)
class ProfileAdmin(admin.ModelAdmin):
    list_display = ["user", "role", "organisation"]
    list_filter = ["role"]
    autocomplete_fields = ["organisation", "user"]


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["prefix", "user", "label", "created_at", "last_used_at", "revoked_at"]
    readonly_fields = ["prefix", "digest", "created_at", "last_used_at"]


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ["at", "actor", "verb", "object_type", "object_id"]
    list_filter = ["verb"]

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False  # the audit trail is append-only


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["created_at", "user", "subject", "read_at"]
