"""The equipment part of /api/v1/: the registry, availability, bookings and their feeds."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from ninja import Query, Router, Schema, Status
from ninja.pagination import LimitOffsetPagination, paginate
from pydantic import Field

from clusterhub.core.actions import ActionRefused
from clusterhub.core.api_auth import bearer

from . import actions, availability, ical
from .classification import label
from .models import Booking, Mode, Voucher
from .queries import bookings_for, equipment_list, get_booking_for_user, get_equipment

router = Router(tags=["equipment"])


class EquipmentOut(Schema):
    id: str
    name: str
    owner: str
    site: str
    region: str | None
    classification: str
    classification_label: str
    maker: str
    model: str
    acquired_year: int | None
    capabilities: str
    modes: list[str]
    fee_unit: str
    fee_krw: float
    sme_discount_pct: float
    status: str
    training_required: bool
    requires_approval: bool
    setup_minutes: int
    cleanup_minutes: int
    min_minutes: int
    max_minutes: int
    notice_hours: int


class IntervalOut(Schema):
    start: datetime
    end: datetime


class BusyOut(IntervalOut):
    status: str


class AvailabilityOut(Schema):
    equipment: str
    time_zone: str
    start: datetime
    end: datetime
    open: list[IntervalOut]
    closed: list[IntervalOut]
    busy: list[BusyOut]
    free: list[IntervalOut]


class BookingIn(Schema):
    start: datetime
    end: datetime
    mode: Mode = Mode.DIRECT
    purpose: str = Field(default="", max_length=4000)
    samples: int = Field(default=0, ge=0, le=10000)
    voucher: str | None = None
    hold: bool = False
    repeat_weeks: int = Field(default=1, ge=1, le=52)
    skip_conflicts: bool = True
    support_request: int | None = Field(
        default=None, description="id of the caller's support request of type equipment use")


class QuoteOut(Schema):
    fee_krw: float
    discount_krw: float
    voucher_krw: float
    total_krw: float
    sme: bool


class BookingOut(Schema):
    id: int
    equipment: str
    equipment_name: str
    start: datetime
    end: datetime
    blocked_start: datetime
    blocked_end: datetime
    mode: str
    purpose: str
    status: str
    booked_by: str | None
    actual_hours: float | None
    outcome: str
    support_request: int | None = None
    quote: QuoteOut
    skipped: list[dict[str, Any]] | None = None


class ConflictOut(Schema):
    code: str
    message: str
    field: str | None
    conflict: IntervalOut | None


class CancelIn(Schema):
    reason: str = ""


def equipment_out(e: Any) -> dict[str, Any]:
    return {
        "id": e.external_id, "name": e.name, "owner": e.owner.external_id,
        "site": e.site.external_id, "region": e.site.region.short_name if e.site.region else None,
        "classification": e.classification, "classification_label": label(e.classification),
        "maker": e.maker, "model": e.model_name, "acquired_year": e.acquired_year,
        "capabilities": e.capabilities, "modes": list(e.modes), "fee_unit": e.fee_unit,
        "fee_krw": float(e.fee_krw), "sme_discount_pct": float(e.sme_discount_pct),
        "status": e.status, "training_required": e.training_required,
        "requires_approval": e.requires_approval, "setup_minutes": e.setup_minutes,
        "cleanup_minutes": e.cleanup_minutes, "min_minutes": e.min_minutes,
        "max_minutes": e.max_minutes, "notice_hours": e.notice_hours,
    }


def booking_out(b: Booking) -> dict[str, Any]:
    return {
        "id": b.pk, "equipment": b.equipment.external_id, "equipment_name": b.equipment.name,
        "start": b.start, "end": b.end, "blocked_start": b.blocked_start,
        "blocked_end": b.blocked_end, "mode": b.mode, "purpose": b.purpose, "status": b.status,
        "booked_by": b.booked_by.username if b.booked_by else None,
        "actual_hours": float(b.actual_hours) if b.actual_hours is not None else None,
        "outcome": b.outcome, "support_request": b.support_request_id,
        "quote": {"fee_krw": float(b.fee_krw), "discount_krw": float(b.discount_krw),
                  "voucher_krw": float(b.voucher_krw), "total_krw": float(b.total_krw),
                  "sme": b.sme},
    }


@router.get("/equipment", response=list[EquipmentOut])
@paginate(LimitOffsetPagination)
def list_equipment(request: HttpRequest, q: str = "", region: str = "", classification: str = "",
                   mode: str = "") -> Any:
    from clusterhub.core.api import Mapped  # noqa: I001

    return Mapped(equipment_list(q, region, classification, mode), equipment_out)


class Window(Schema):
    start: datetime | None = Field(default=None, alias="from")
    end: datetime | None = Field(default=None, alias="to")


def window(start: datetime | None, end: datetime | None) -> tuple[datetime, datetime]:
    """[from, to): default this moment and a week on; at most 62 days."""
    start = start or timezone.now()
    end = end or start + timedelta(days=7)
    if timezone.is_naive(start) or timezone.is_naive(end):
        raise ActionRefused("give 'from' and 'to' with a UTC offset", "from", code="invalid")
    if end <= start:
        raise ActionRefused("'to' must come after 'from'", "to", code="invalid")
    if end - start > timedelta(days=62):
        raise ActionRefused("at most 62 days at once", "to", code="invalid")
    return start, end


class FreeItemOut(Schema):
    equipment: str
    name: str
    site: str
    region: str | None
    free_hours: float
    free: list[IntervalOut]


MAX_FREE_ITEMS = 500


@router.get("/equipment/free", response=list[FreeItemOut])
def free_equipment(request: HttpRequest, w: Query[Window], q: str = "", region: str = "",
                   classification: str = "", mode: str = "", minutes: int = 0) -> Any:
    """Which items (filtered as the registry) have free time in [from, to), each with its free
    intervals; `minutes`: only items with one free interval at least that long. At most 500
    items are looked at (narrow the filters for more)."""
    start, end = window(w.start, w.end)
    if not 0 <= minutes <= 62 * 24 * 60:
        raise ActionRefused("minutes must be between 0 and 89,280", "minutes", code="invalid")
    items = list(equipment_list(q, region, classification, mode)[:MAX_FREE_ITEMS])
    need = timedelta(minutes=minutes)
    out = []
    for item, cal in zip(items, availability.calendars(items, start, end), strict=True):
        free = [(a, b) for a, b in cal.free if b - a >= need and b > a]
        if not free:
            continue
        out.append({
            "equipment": item.external_id, "name": item.name, "site": item.site.name,
            "region": item.site.region.short_name if item.site.region is not None else None,
            "free_hours": round(sum((b - a).total_seconds() for a, b in free) / 3600, 2),
            "free": [{"start": a, "end": b} for a, b in free],
        })
    return out


@router.get("/equipment/{key}", response=EquipmentOut)
def get_item(request: HttpRequest, key: str) -> Any:
    return equipment_out(get_equipment(key))


@router.get("/equipment/{key}/availability", response=AvailabilityOut)
def item_availability(request: HttpRequest, key: str, w: Query[Window]) -> Any:
    item = get_equipment(key)
    start, end = window(w.start, w.end)
    cal = availability.calendar(item, start, end)
    return {
        "equipment": item.external_id, "time_zone": availability.SITE_TIME_ZONE,
        "start": start, "end": end,
        "open": [{"start": a, "end": b} for a, b in cal.open],
        "closed": [{"start": a, "end": b} for a, b in cal.blackouts],
        "busy": [{"start": a, "end": b, "status": s} for a, b, _pk, s in cal.busy],
        "free": [{"start": a, "end": b} for a, b in cal.free],
    }


@router.post("/equipment/{key}/bookings", response={201: BookingOut, 409: ConflictOut},
             auth=bearer)
def create_booking(request: HttpRequest, key: str, payload: BookingIn) -> Any:
    user = request.auth  # type: ignore[attr-defined]
    item = get_equipment(key)
    voucher = None
    if payload.voucher:
        voucher = Voucher.objects.for_firm(getattr(user.profile, "organisation_id", None)).filter(
            code=payload.voucher).first()
        if voucher is None:
            raise ActionRefused("unknown voucher", "voucher", code="invalid")
    kwargs: dict[str, Any] = {"mode": payload.mode, "purpose": payload.purpose,
                              "samples": payload.samples, "voucher": voucher}
    if payload.support_request is not None:
        from clusterhub.support.queries import get_request_for_user

        kwargs["support_request"] = get_request_for_user(user, payload.support_request)
    try:
        if payload.repeat_weeks > 1:
            result = actions.request_series(
                user, item, start=payload.start, end=payload.end, count=payload.repeat_weeks,
                skip_conflicts=payload.skip_conflicts, **kwargs)
            if not result.created:
                reason = result.skipped[0][1] if result.skipped else "nothing booked"
                raise ActionRefused(reason, "start", code="invalid")
            out = booking_out(result.created[0])
            out["skipped"] = [{"start": s, "reason": r} for s, r in result.skipped]
            return Status(201, out)
        booking = actions.request_booking(user, item, start=payload.start, end=payload.end,
                                          hold=payload.hold, **kwargs)
    except actions.BookingConflict as exc:
        conflict = ({"start": exc.interval[0], "end": exc.interval[1]} if exc.interval else None)
        return Status(409, {"code": "conflict", "message": exc.message, "field": exc.field,
                     "conflict": conflict})
    return Status(201, booking_out(booking))


@router.get("/bookings", response=list[BookingOut], auth=bearer)
@paginate(LimitOffsetPagination)
def list_bookings(request: HttpRequest, mine: bool = False, status: str = "") -> Any:
    from clusterhub.core.api import Mapped  # noqa: I001

    user = request.auth  # type: ignore[attr-defined]
    qs = bookings_for(user)
    if mine:
        qs = qs.filter(booked_by=user)
    if status:
        qs = qs.filter(status=status)
    return Mapped(qs, booking_out)


@router.get("/bookings/{booking_id}", response=BookingOut, auth=bearer)
def get_booking(request: HttpRequest, booking_id: int) -> Any:
    return booking_out(get_booking_for_user(request.auth, booking_id))  # type: ignore[attr-defined]


@router.post("/bookings/{booking_id}/cancel", response=BookingOut, auth=bearer)
def cancel_booking(request: HttpRequest, booking_id: int, payload: CancelIn | None = None) -> Any:
    user = request.auth  # type: ignore[attr-defined]
    booking = get_booking_for_user(user, booking_id)
    booking = actions.cancel(user, booking, payload.reason if payload else "")
    return booking_out(booking)


@router.get("/equipment/{key}/calendar.ics")
def item_feed(request: HttpRequest, key: str) -> HttpResponse:
    """The item's blocking bookings as iCalendar (times only: no names, no purposes)."""
    item = get_equipment(key)
    return ical.response(ical.item_feed(item), f"{item.external_id}.ics")


@router.get("/bookings.ics", auth=bearer)
def user_feed(request: HttpRequest) -> HttpResponse:
    user = request.auth  # type: ignore[attr-defined]
    return ical.response(ical.user_feed(user), "bookings.ics")
