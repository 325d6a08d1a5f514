"""Back office for equipment. Bookings are read-only here: every booking change goes through
actions.py (and, on PostgreSQL, the exclusion constraint refuses an overlap whatever writes it)."""

from django.contrib import admin

from .models import Blackout, Booking, Compensation, Equipment, OpeningHours, Training, Voucher


class BlackoutInline(admin.TabularInline):
    model = Blackout
    extra = 0
    fk_name = "equipment"
    fields = ["kind", "starts_at", "ends_at", "reason"]


@admin.register(Equipment)
class EquipmentAdmin(admin.ModelAdmin):
    list_display = ["external_id", "name", "owner", "site", "classification", "status"]
    list_filter = ["status", "classification"]
    search_fields = ["external_id", "name", "capabilities"]
    raw_id_fields = ["owner", "site"]
    filter_horizontal = ["fields"]
    inlines = [BlackoutInline]


@admin.register(OpeningHours)
class OpeningHoursAdmin(admin.ModelAdmin):
    list_display = ["site", "weekday", "opens", "closes"]
    raw_id_fields = ["site"]


@admin.register(Training)
class TrainingAdmin(admin.ModelAdmin):
    list_display = ["user", "equipment", "valid_until", "granted_at"]
    raw_id_fields = ["user", "equipment", "granted_by"]


@admin.register(Voucher)
class VoucherAdmin(admin.ModelAdmin):
    list_display = ["code", "firm", "programme", "amount_krw", "used_krw", "valid_until"]
    raw_id_fields = ["firm"]


@admin.register(Booking)
class BookingAdmin(admin.ModelAdmin):
    list_display = ["pk", "equipment", "start", "end", "status", "booked_by", "firm"]
    list_filter = ["status", "mode"]
    list_select_related = ["equipment", "booked_by", "firm"]

    def has_add_permission(self, request: object) -> bool:
        return False

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        return False


@admin.register(Compensation)
class CompensationAdmin(admin.ModelAdmin):
    list_display = ["owner", "period", "hours", "amount_krw", "paid_at"]
    list_filter = ["period"]
    raw_id_fields = ["booking", "owner"]
