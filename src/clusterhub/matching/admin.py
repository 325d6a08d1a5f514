"""Admin: the concept table (edited by hub admins), corrections, index builds."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from .models import Concept, FieldCorrection, IndexBuild


@admin.register(Concept)
class ConceptAdmin(admin.ModelAdmin):
    list_display = ("term", "fields", "weight", "expand", "active", "updated_at")
    list_filter = ("active",)
    search_fields = ("term", "note")
    list_editable = ("weight", "active")


@admin.register(FieldCorrection)
class FieldCorrectionAdmin(admin.ModelAdmin):
    list_display = ("created_at", "request", "suggested_ids", "confirmed", "added", "removed",
                    "actor")
    readonly_fields = ("request", "text", "suggested", "confirmed", "added", "removed", "actor",
                       "created_at")

    @admin.display(description=_("suggested"))
    def suggested_ids(self, obj: FieldCorrection) -> str:
        return ", ".join(str(s.get("field")) for s in obj.suggested if isinstance(s, dict))

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(IndexBuild)
class IndexBuildAdmin(admin.ModelAdmin):
    list_display = ("id", "status", "done", "total", "docs", "requested_at", "finished_at",
                    "message")
    readonly_fields = [f.name for f in IndexBuild._meta.fields]
    actions = ["rebuild"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.action(description=_("Queue a full rebuild of the index"))
    def rebuild(self, request: HttpRequest, queryset: Any) -> None:
        from .engine import request_rebuild

        build = request_rebuild()
        self.message_user(request, _("Build %(id)s queued.") % {"id": build.pk})
