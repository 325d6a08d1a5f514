"""Import record types `equipment` and `booking` (historical use, with actual hours), formats
in docs/equipment.md. Bookings are checked for overlap against each other and the database
after each chunk is written (on PostgreSQL the exclusion constraint refuses them anyway)."""

from __future__ import annotations

from datetime import datetime, time
from decimal import Decimal
from typing import Any, Literal

from django.db.models import Exists, OuterRef
from pydantic import Field, field_validator

from clusterhub.core.importing import FieldProblem, RecordSchema, RecordType, Ref, register

from .classification import classes
from .models import BLOCKING, Booking, Equipment, OpeningHours

ModeName = Literal["direct", "analysis", "pilot"]


class HoursRecord(RecordSchema):
    """Opening hours of the site on one weekday (0 = Monday), Seoul time."""

    id: str = ""
    weekday: int = Field(ge=0, le=6)
    opens: time
    closes: time


class EquipmentRecord(RecordSchema):
    name: str = Field(min_length=1, max_length=200)
    organisation: str
    site: str | None = None
    classification: str
    maker: str | None = None
    model: str | None = None
    acquired_year: int | None = Field(default=None, ge=1950, le=2100)
    acquisition_value_mkrw: Decimal | None = Field(default=None, ge=0)
    capabilities: str = ""
    modes: list[ModeName] = Field(min_length=1)
    fee_unit: Literal["hour", "sample"] = "hour"
    fee_krw: Decimal = Field(default=Decimal(0), ge=0)
    operator_fee_krw: Decimal = Field(default=Decimal(0), ge=0)
    sme_discount_pct: Decimal = Field(default=Decimal(0), ge=0, le=100)
    status: Literal["available", "maintenance", "retired"] = "available"
    training_required: bool = True
    requires_approval: bool = True
    setup_minutes: int = Field(default=0, ge=0)
    cleanup_minutes: int = Field(default=0, ge=0)
    min_minutes: int = Field(default=30, ge=1)
    max_minutes: int = Field(default=480, ge=1)
    notice_hours: int = Field(default=0, ge=0)
    campaign_max_days: int = Field(default=0, ge=0)
    compensation_pct: Decimal = Field(default=Decimal(30), ge=0, le=100)
    fields: list[str] = []
    hours: list[dict[str, Any]] = []

    @field_validator("hours")
    @classmethod
    def _hours(cls, value: list[dict[str, Any]]) -> list[dict[str, Any]]:
        for row in value:
            HoursRecord.model_validate({"id": "", **row})
        return value


@register
class EquipmentType(RecordType):
    name = "equipment"
    model = Equipment
    schema = EquipmentRecord
    refs = {"organisation": Ref("organisation"), "site": Ref("organisation"),
            "fields": Ref("field", True)}

    def row(self, r: Any, resolved: dict[str, Any]) -> dict[str, Any]:
        if r.classification not in classes():
            raise FieldProblem("classification", f"unknown class '{r.classification}'")
        if r.max_minutes < r.min_minutes:
            raise FieldProblem("max_minutes", "shorter than min_minutes")
        return {
            "name": r.name, "owner_id": resolved["organisation"],
            "site_id": resolved["site"] or resolved["organisation"],
            "classification": r.classification, "maker": r.maker or "",
            "model_name": r.model or "", "acquired_year": r.acquired_year,
            "acquisition_value_mkrw": r.acquisition_value_mkrw, "capabilities": r.capabilities,
            "modes": list(dict.fromkeys(r.modes)), "fee_unit": r.fee_unit, "fee_krw": r.fee_krw,
            "operator_fee_krw": r.operator_fee_krw, "sme_discount_pct": r.sme_discount_pct,
            "status": r.status, "training_required": r.training_required,
            "requires_approval": r.requires_approval, "setup_minutes": r.setup_minutes,
            "cleanup_minutes": r.cleanup_minutes, "min_minutes": r.min_minutes,
            "max_minutes": r.max_minutes, "notice_hours": r.notice_hours,
            "campaign_max_days": r.campaign_max_days, "compensation_pct": r.compensation_pct,
        }

    def after_write(self, pks: list[int]) -> None:
        """Opening hours given with an item become its site's hours (replacing them)."""
        from clusterhub.core.models import ImportStaging

        for eid, site_id in Equipment.objects.filter(pk__in=pks).values_list("external_id",
                                                                              "site_id"):
            staged = (ImportStaging.objects.filter(type="equipment", ext_id=eid, done=True)
                      .order_by("-pk").values_list("data", flat=True).first())
            hours = (staged or {}).get("hours") or []
            if hours:
                OpeningHours.objects.filter(site_id=site_id).delete()
                OpeningHours.objects.bulk_create([
                    OpeningHours(site_id=site_id, weekday=h["weekday"], opens=h["opens"],
                                 closes=h["closes"]) for h in hours])
        from clusterhub.matching.signals import record_changes

        record_changes("equipment", pks)

    def export_queryset(self) -> Any:
        return Equipment.objects.select_related("owner", "site").prefetch_related(
            "fields", "site__opening_hours").order_by("pk")

    def to_record(self, e: Equipment) -> dict[str, Any]:
        def num(v: Decimal | None) -> float | int | None:
            if v is None:
                return None
            return int(v) if v == v.to_integral_value() else float(v)

        return {
            "name": e.name, "organisation": e.owner.external_id,
            "site": e.site.external_id if e.site_id != e.owner_id else None,
            "classification": e.classification, "maker": e.maker or None,
            "model": e.model_name or None, "acquired_year": e.acquired_year,
            "acquisition_value_mkrw": num(e.acquisition_value_mkrw),
            "capabilities": e.capabilities, "modes": list(e.modes), "fee_unit": e.fee_unit,
            "fee_krw": num(e.fee_krw), "operator_fee_krw": num(e.operator_fee_krw),
            "sme_discount_pct": num(e.sme_discount_pct), "status": e.status,
            "training_required": e.training_required, "requires_approval": e.requires_approval,
            "setup_minutes": e.setup_minutes, "cleanup_minutes": e.cleanup_minutes,
            "min_minutes": e.min_minutes, "max_minutes": e.max_minutes,
            "notice_hours": e.notice_hours, "campaign_max_days": e.campaign_max_days,
            "compensation_pct": num(e.compensation_pct),
            "fields": sorted(f.external_id for f in e.fields.all()),
            "hours": [{"weekday": h.weekday, "opens": h.opens.isoformat(),
                       "closes": h.closes.isoformat()} for h in e.site.opening_hours.all()],  # type: ignore[attr-defined]
        }


class BookingRecord(RecordSchema):
    equipment: str
    user: str | None = None
    firm: str | None = None
    start: datetime
    end: datetime
    mode: ModeName = "direct"
    status: Literal["confirmed", "completed", "no_show", "cancelled", "refused"] = "completed"
    actual_hours: Decimal | None = Field(default=None, ge=0, le=744)
    purpose: str = ""
    outcome: str = ""
    requested_at: datetime | None = None
    confirmed_at: datetime | None = None
    fee_krw: Decimal = Field(default=Decimal(0), ge=0)
    sme: bool = False

    @field_validator("start", "end", "requested_at", "confirmed_at")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("give a UTC offset (ISO 8601, e.g. 2026-03-02T09:00:00+09:00)")
        return value


@register
class BookingType(RecordType):
    name = "booking"
    model = Booking
    schema = BookingRecord
    refs = {"equipment": Ref("equipment"), "firm": Ref("organisation")}

    def row(self, r: Any, resolved: dict[str, Any]) -> dict[str, Any]:
        from datetime import timedelta

        if r.end <= r.start:
            raise FieldProblem("end", "the end must come after the start")
        if r.status == "completed" and r.actual_hours is None:
            raise FieldProblem("actual_hours", "a completed booking needs its actual hours")
        e = Equipment.objects.only("setup_minutes", "cleanup_minutes").get(pk=resolved["equipment"])
        user_id = None
        if r.user:
            from django.contrib.auth import get_user_model

            user_id = get_user_model().objects.filter(username=r.user).values_list(
                "pk", flat=True).first()
            if user_id is None:
                raise FieldProblem("user", f"unknown user '{r.user}'")
        requested = r.requested_at or r.start
        return {
            "equipment_id": resolved["equipment"], "firm_id": resolved["firm"],
            "booked_by_id": user_id, "start": r.start, "end": r.end,
            "blocked_start": r.start - timedelta(minutes=e.setup_minutes),
            "blocked_end": r.end + timedelta(minutes=e.cleanup_minutes), "mode": r.mode,
            "status": r.status, "actual_hours": r.actual_hours, "purpose": r.purpose,
            "outcome": r.outcome, "created_at": requested,
            "confirmed_at": r.confirmed_at or (requested if r.status in (
                "confirmed", "completed", "no_show") else None),
            "finished_at": r.end if r.status in ("completed", "no_show") else None,
            "fee_krw": r.fee_krw, "total_krw": r.fee_krw, "sme": r.sme,
        }

    def after_write(self, pks: list[int]) -> None:
        """Refuse the import if a written booking overlaps another blocking one (SQLite has no
        exclusion constraint; on PostgreSQL the constraint has refused it already)."""
        others = Booking.objects.filter(
            equipment_id=OuterRef("equipment_id"), status__in=BLOCKING,
            blocked_start__lt=OuterRef("blocked_end"), blocked_end__gt=OuterRef("blocked_start"),
        ).exclude(pk=OuterRef("pk"))
        clash = (Booking.objects.filter(pk__in=pks, status__in=BLOCKING).filter(Exists(others))
                 .values_list("external_id", flat=True).first())
        if clash:
            from clusterhub.core.importing import RecordError

            raise RecordError("import", None, "start",
                              f"booking '{clash}' overlaps another booking of its item")
        for b in Booking.objects.filter(pk__in=pks, status="completed").select_related(
                "equipment").exclude(compensation__isnull=False):
            from .actions import _ledger

            _ledger(b)

    def export_queryset(self) -> Any:
        return Booking.objects.exclude(external_id=None).select_related(
            "equipment", "firm", "booked_by").order_by("pk")

    def to_record(self, b: Booking) -> dict[str, Any]:
        return {
            "equipment": b.equipment.external_id,
            "user": b.booked_by.username if b.booked_by else None,
            "firm": b.firm.external_id if b.firm else None, "start": b.start.isoformat(),
            "end": b.end.isoformat(), "mode": b.mode, "status": b.status,
            "actual_hours": float(b.actual_hours) if b.actual_hours is not None else None,
            "purpose": b.purpose, "outcome": b.outcome,
            "requested_at": b.created_at.isoformat(),
            "confirmed_at": b.confirmed_at.isoformat() if b.confirmed_at else None,
            "fee_krw": int(b.fee_krw), "sme": b.sme,
        }
