from django.contrib import admin

from .models import (
    Assignment,
    Attachment,
    FollowUp,
    JointProject,
    Outcome,
    RequestEvent,
    SolvedCase,
    SupportRequest,
    WorkLog,
)


class EventInline(admin.TabularInline):
    model = RequestEvent
    extra = 0
    readonly_fields = ["at", "actor", "action", "from_status", "to_status", "note"]
    can_delete = False


class AssignmentInline(admin.TabularInline):
    model = Assignment
    extra = 0
    autocomplete_fields = ["expert"]


@admin.register(SupportRequest)
class SupportRequestAdmin(admin.ModelAdmin):
    list_display = ["id", "title", "firm", "support_type", "status", "routed_to", "created_at"]
    list_filter = ["status", "support_type", "region"]
    search_fields = ["title", "description", "firm__name"]
    # Status changes go through the workflow actions, never through the admin form.
    readonly_fields = ["status", "created_at", "first_contact_at", "plan_at", "resolved_at",
                       "closed_at", "joint_project"]
    autocomplete_fields = ["firm", "routed_to"]
    inlines = [AssignmentInline, EventInline]
    list_select_related = ["firm", "routed_to"]


@admin.register(SolvedCase)
class SolvedCaseAdmin(admin.ModelAdmin):
    list_display = ["external_id", "title", "support_type", "region", "year", "published"]
    list_filter = ["support_type", "region", "year", "published"]
    search_fields = ["title", "problem", "solution", "external_id"]
    filter_horizontal = ["fields", "experts"]


@admin.register(JointProject)
class JointProjectAdmin(admin.ModelAdmin):
    list_display = ["id", "title", "organisation", "created_by", "created_at"]
    search_fields = ["title", "description"]
    list_select_related = ["organisation", "created_by"]
    readonly_fields = ["created_by", "created_at"]
    autocomplete_fields = ["organisation"]


admin.site.register(WorkLog)
admin.site.register(Outcome)
admin.site.register(FollowUp)
admin.site.register(Attachment)
