"""Every state change of equipment and bookings: explicit actor, one transaction, an audit
event, notifications on commit. Bad input raises ActionRefused (code "invalid": 422) and writes
nothing; a booking that would overlap another raises BookingConflict (409, with the interval)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from clusterhub.core.actions import ActionRefused
from clusterhub.core.audit import notify, record_event
from clusterhub.core.models import Organisation, Role, role_of
from clusterhub.core.sme import is_sme

from . import availability
from .models import (
    BLOCKING,
    Blackout,
    Booking,
    BookingStatus,
    Compensation,
    Equipment,
    EquipmentPhoto,
    EquipmentStatus,
    Mode,
    OpeningHours,
    Training,
    UnmetDemand,
    Voucher,
)

HOLD_MINUTES = 15
BOOKER_ROLES = (Role.SME, Role.EXPERT, Role.COORDINATOR, Role.ADMIN)


class BookingConflict(ActionRefused):
    """The slot (with buffers) meets a blocking booking of the same item."""

    def __init__(self, equipment: Equipment, other: Booking | None) -> None:
        self.other = other
        self.interval: tuple[datetime, datetime] | None = None
        if other is not None:
            self.interval = (other.blocked_start, other.blocked_end)
            message = _("%(item)s is already booked from %(start)s to %(end)s (buffers included).") % {
                "item": equipment.name, "start": _local(other.blocked_start),
                "end": _local(other.blocked_end)}
        else:
            message = _("%(item)s is already booked at that time.") % {"item": equipment.name}
        super().__init__(message, "start", code="conflict")


def _local(at: datetime) -> str:
    return at.astimezone(availability.TZ).strftime("%Y-%m-%d %H:%M")


# -- who may do what -------------------------------------------------------------------------


def manages(user: Any, equipment: Equipment) -> bool:
    """Owner or site staff (coordinators of either organisation) and admins."""
    role = role_of(user)
    if role == Role.ADMIN:
        return True
    org_id = getattr(getattr(user, "profile", None), "organisation_id", None)
    return role == Role.COORDINATOR and org_id in (equipment.owner_id, equipment.site_id)


def is_trained(user: Any, equipment: Equipment, on: date | None = None) -> bool:
    on = on or timezone.now().astimezone(availability.TZ).date()
    return Training.objects.filter(user=user, equipment=equipment).filter(
        Q(valid_until__isnull=True) | Q(valid_until__gte=on)).exists()


def _managers(equipment: Equipment) -> list[Any]:
    from django.contrib.auth import get_user_model

    return list(get_user_model().objects.filter(
        profile__role=Role.COORDINATOR, is_active=True,
        profile__organisation_id__in=[equipment.owner_id, equipment.site_id]))


# -- quotes ----------------------------------------------------------------------------------


@dataclass
class Quote:
    hours: Decimal
    samples: int
    fee_krw: Decimal  # use fee + technician fee, before discounts
    discount_krw: Decimal  # SME discount
    voucher_krw: Decimal
    total_krw: Decimal  # what the firm pays
    sme: bool
    lines: list[tuple[str, Decimal]] = field(default_factory=list)


def _krw(value: Decimal) -> Decimal:
    return value.quantize(Decimal("1"), rounding=ROUND_HALF_UP)


def quote(equipment: Equipment, start: datetime, end: datetime, mode: str, *,
          samples: int = 0, firm: Organisation | None = None,
          voucher: Voucher | None = None) -> Quote:
    """The price of a use: fee per hour (or per sample), plus the technician's hours for
    analysis on request and pilot runs; the SME discount (SME per clusterhub.core.sme) on the
    whole; then the voucher covers its share of the rest, up to its balance."""
    hours = Decimal((end - start).total_seconds()) / Decimal(3600)
    lines: list[tuple[str, Decimal]] = []
    if equipment.fee_unit == "sample":
        use = equipment.fee_krw * max(samples, 1)
        lines.append((_("Fee: %(n)s samples") % {"n": max(samples, 1)}, _krw(use)))
    else:
        use = equipment.fee_krw * hours
        lines.append((_("Fee: %(h)s hours") % {"h": f"{hours:.2f}"}, _krw(use)))
    fee = use
    if mode in (Mode.ANALYSIS, Mode.PILOT) and equipment.operator_fee_krw:
        tech = equipment.operator_fee_krw * hours
        lines.append((_("Technician: %(h)s hours") % {"h": f"{hours:.2f}"}, _krw(tech)))
        fee += tech
    fee = _krw(fee)
    sme = bool(firm is not None and is_sme(firm))
    discount = _krw(fee * equipment.sme_discount_pct / 100) if sme else Decimal(0)
    if discount:
        lines.append((_("SME discount %(pct)s%%") % {"pct": f"{float(equipment.sme_discount_pct):g}"},
                      -discount))
    rest = fee - discount
    covered = Decimal(0)
    if voucher is not None:
        covered = min(_krw(rest * voucher.coverage_pct / 100), voucher.balance_krw)
        if covered:
            lines.append((_("Voucher %(code)s") % {"code": voucher.code}, -covered))
    return Quote(hours.quantize(Decimal("0.01")), samples, fee, discount, covered,
                 rest - covered, sme, lines)


# -- validation ------------------------------------------------------------------------------


def _invalid(message: str, fieldname: str) -> ActionRefused:
    return ActionRefused(message, fieldname, code="invalid")


def check_request(actor: Any, equipment: Equipment, start: datetime, end: datetime, mode: str,
                  *, now: datetime | None = None, voucher: Voucher | None = None,
                  samples: int = 0) -> None:
    """Every rule a new booking must meet except "no overlap" (checked under the lock)."""
    now = now or timezone.now()
    role = role_of(actor)
    if role not in BOOKER_ROLES:
        raise ActionRefused(_("Sign in as a member of a firm or an institute to book."),
                            code="forbidden")
    if timezone.is_naive(start) or timezone.is_naive(end):
        raise _invalid(_("Give times with a UTC offset (ISO 8601, e.g. 2026-03-02T09:00+09:00)."),
                       "start")
    if end <= start:
        raise _invalid(_("The end must come after the start."), "end")
    if start < now:
        raise _invalid(_("The start is in the past."), "start")
    if equipment.status != EquipmentStatus.AVAILABLE:
        raise _invalid(_("%(item)s is not available (%(status)s).") % {
            "item": equipment.name, "status": EquipmentStatus(equipment.status).label}, "equipment")
    if mode not in Mode.values or mode not in equipment.modes:
        offered = ", ".join(str(Mode(m).label) for m in equipment.modes if m in Mode.values)
        raise _invalid(_("This item is not offered for that use (offered: %(modes)s).") % {
            "modes": offered}, "mode")
    if samples < 0:
        raise _invalid(_("The number of samples cannot be negative."), "samples")
    if start < now + timedelta(hours=equipment.notice_hours):
        raise _invalid(_("Book at least %(h)s hours ahead.") % {"h": equipment.notice_hours},
                       "start")
    minutes = (end - start).total_seconds() / 60
    campaign = mode == Mode.PILOT and equipment.campaign_max_days > 0
    longest = equipment.campaign_max_days * 24 * 60 if campaign else equipment.max_minutes
    if minutes < equipment.min_minutes:
        raise _invalid(_("Too short: at least %(n)s minutes.") % {"n": equipment.min_minutes}, "end")
    if minutes > longest:
        raise _invalid(_("Too long: at most %(n)s minutes.") % {"n": longest}, "end")
    flags, hours = _rules_read(actor, equipment, start, end)
    if flags["closed"]:
        black = availability.merge(
            (a, b) for a, b in Blackout.objects.filter(
                availability.blackout_q([equipment.pk], [equipment.site_id]))
            .filter(starts_at__lt=end, ends_at__gt=start).values_list("starts_at", "ends_at"))
        raise _invalid(_("The item is closed or in maintenance from %(start)s to %(end)s.") % {
            "start": _local(black[0][0]), "end": _local(black[0][1])}, "start")
    if not campaign:
        if not availability.covered(availability.opening_intervals(hours, start, end), start, end):
            raise _invalid(_("Outside the opening hours of %(site)s (times are Asia/Seoul).") % {
                "site": equipment.site.name}, "start")
    if mode == Mode.DIRECT and equipment.training_required and not flags["trained"]:
        raise _invalid(_("Direct use of %(item)s needs training; ask for analysis on request or "
                         "book the training first.") % {"item": equipment.name}, "mode")
    if voucher is not None:
        firm_id = getattr(actor.profile, "organisation_id", None)
        if voucher.firm_id != firm_id:
            raise _invalid(_("Unknown voucher."), "voucher")
        if voucher.valid_until and voucher.valid_until < start.astimezone(availability.TZ).date():
            raise _invalid(_("The voucher has expired."), "voucher")
        if voucher.balance_krw <= 0:
            raise _invalid(_("The voucher is used up."), "voucher")


# One statement for what a booking reads before it writes: whether a blackout meets it, whether
# the user is trained (both as the last row's flags) and the site's opening hours. Written out
# rather than built by the ORM: building the equivalent querysets was a third of a booking's
# Python time (docs/equipment.md, "Benchmarks").
RULES_SQL = """
SELECT weekday, opens, closes, 0 FROM equipment_openinghours WHERE site_id = %s
UNION ALL
SELECT NULL, NULL, NULL,
  (CASE WHEN EXISTS (SELECT 1 FROM equipment_blackout WHERE (equipment_id = %s OR site_id = %s)
                     AND starts_at < %s AND ends_at > %s) THEN 1 ELSE 0 END)
  + (CASE WHEN EXISTS (SELECT 1 FROM equipment_training WHERE user_id = %s AND equipment_id = %s
                       AND (valid_until IS NULL OR valid_until >= %s)) THEN 2 ELSE 0 END)
"""


def _rules_read(actor: Any, equipment: Equipment, start: datetime, end: datetime
                ) -> tuple[dict[str, bool], list[OpeningHours]]:
    ops = connection.ops
    on = start.astimezone(availability.TZ).date()
    params = [equipment.site_id, equipment.pk, equipment.site_id,
              ops.adapt_datetimefield_value(end), ops.adapt_datetimefield_value(start),
              actor.pk, equipment.pk, ops.adapt_datefield_value(on)]
    with connection.cursor() as cursor:
        cursor.execute(RULES_SQL, params)
        rows = cursor.fetchall()
    hours: list[OpeningHours] = []
    bits = 0
    for weekday, opens, closes, flag in rows:
        if weekday is None:
            bits = int(flag)
            continue
        hours.append(OpeningHours(site_id=equipment.site_id, weekday=int(weekday),
                                  opens=_time(opens), closes=_time(closes)))
    return {"closed": bool(bits & 1), "trained": bool(bits & 2)}, hours


def _time(value: Any) -> Any:
    """A time column as Python reads it: a time (PostgreSQL) or ISO text (SQLite)."""
    from datetime import time

    return value if isinstance(value, time) else time.fromisoformat(str(value))


def find_conflict(equipment: Equipment, blocked_start: datetime, blocked_end: datetime,
                  exclude: int | None = None) -> Booking | None:
    qs = Booking.objects.filter(equipment=equipment, status__in=BLOCKING).overlapping(
        blocked_start, blocked_end)
    if exclude is not None:
        qs = qs.exclude(pk=exclude)
    return qs.order_by("blocked_start").first()


# -- bookings --------------------------------------------------------------------------------


def request_booking(actor: Any, equipment: Equipment, **kwargs: Any) -> Booking:
    """Book [start, end) of an item (see `_request_booking`); a conflict is also logged as
    unmet demand, after the booking's own transaction has rolled back."""
    try:
        return _request_booking(actor, equipment, **kwargs)
    except BookingConflict:
        with transaction.atomic():
            UnmetDemand.objects.create(
                equipment=equipment, user=actor if actor.is_authenticated else None,
                firm_id=getattr(getattr(actor, "profile", None), "organisation_id", None),
                start=kwargs["start"], end=kwargs["end"])
        raise


def _request_booking(
    actor: Any, equipment: Equipment, *, start: datetime, end: datetime, mode: str = Mode.DIRECT,
    purpose: str = "", samples: int = 0, voucher: Voucher | None = None,
    support_request: Any = None, hold: bool = False, series: str = "",
    now: datetime | None = None,
) -> Booking:
    """Book [start, end) of an item. Confirmed at once where the item needs no approval, else
    waits for the owner ("requested"); `hold` keeps the slot for HOLD_MINUTES (a quote to
    accept). Overlap with a blocking booking, buffers included, raises BookingConflict."""
    now = now or timezone.now()
    if timezone.is_naive(start) or timezone.is_naive(end):
        raise _invalid(_("Give times with a UTC offset (ISO 8601, e.g. 2026-03-02T09:00+09:00)."),
                       "start")
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    check_request(actor, equipment, start, end, mode, now=now, voucher=voucher, samples=samples)
    if support_request is not None:
        from clusterhub.support.models import SupportType

        if support_request.support_type != SupportType.EQUIPMENT:
            raise _invalid(_("Only a support request of type \"equipment use\" links to bookings."),
                           "support_request")
    firm = actor.profile.organisation if getattr(actor, "profile", None) else None
    q = quote(equipment, start, end, mode, samples=samples, firm=firm, voucher=voucher)
    if hold:
        status = BookingStatus.HELD
    elif equipment.requires_approval and not manages(actor, equipment):
        status = BookingStatus.REQUESTED
    else:
        status = BookingStatus.CONFIRMED
    booking = Booking(
        equipment=equipment, booked_by=actor, firm=firm, mode=mode, purpose=purpose.strip(),
        start=start, end=end, blocked_start=start - timedelta(minutes=equipment.setup_minutes),
        blocked_end=end + timedelta(minutes=equipment.cleanup_minutes), status=status,
        samples=samples, series=series, created_at=now,
        hold_expires_at=now + timedelta(minutes=HOLD_MINUTES) if hold else None,
        confirmed_at=now if status == BookingStatus.CONFIRMED else None,
        support_request=support_request, voucher=voucher if q.voucher_krw else None,
        fee_krw=q.fee_krw, discount_krw=q.discount_krw, voucher_krw=q.voucher_krw,
        total_krw=q.total_krw, sme=q.sme,
    )
    for attempt in range(2):
        try:
            return _insert(actor, equipment, booking)
        except IntegrityError as exc:
            if not _is_overlap_violation(exc):
                raise
            other = find_conflict(equipment, booking.blocked_start, booking.blocked_end)
        except BookingConflict as exc:
            other = exc.other
        expired = (other is not None and other.status == BookingStatus.HELD
                   and other.hold_expires_at is not None and other.hold_expires_at < now)
        if not expired or attempt:
            raise BookingConflict(equipment, other)
        _expire_holds(equipment, now)
    raise AssertionError("unreachable")


def _insert(actor: Any, equipment: Equipment, booking: Booking) -> Booking:
    """Write a new booking, or refuse it as overlapping.

    PostgreSQL: the exclusion constraint refuses the second of two concurrent inserts (it waits
    for the first to commit); the IntegrityError leaves this atomic block, rolled back.
    SQLite: the outermost atomic() begins IMMEDIATE (settings: transaction_mode), so the check
    and the insert run with the database's write lock held: writers queue."""
    with transaction.atomic():
        if connection.vendor != "postgresql":
            other = find_conflict(equipment, booking.blocked_start, booking.blocked_end)
            if other is not None:
                raise BookingConflict(equipment, other)
        booking.save()
        if booking.support_request is not None:
            from clusterhub.support.actions import record_linked_work

            record_linked_work(actor, booking.support_request, "booking",
                               f"{equipment.name} {_local(booking.start)} – {_local(booking.end)}")
        record_event(actor, "booking.requested", booking, status=booking.status,
                     equipment=equipment.external_id, start=booking.start.isoformat(),
                     end=booking.end.isoformat())
        if booking.status == BookingStatus.REQUESTED:
            notify(_managers(equipment), _("Booking to approve: %(item)s") % {"item": equipment.name},
                   f"{_local(booking.start)} – {_local(booking.end)} {booking.purpose[:200]}",
                   "/equipment/approvals/")
    return booking


def _is_overlap_violation(exc: IntegrityError) -> bool:
    cause = exc.__cause__
    return getattr(cause, "sqlstate", None) == "23P01" or "booking_no_overlap" in str(exc)


def _expire_holds(equipment: Equipment, now: datetime) -> None:
    """Holds past their time stop blocking (done when one stands in a new booking's way)."""
    Booking.objects.filter(equipment=equipment, status=BookingStatus.HELD,
                           hold_expires_at__lt=now).update(status=BookingStatus.CANCELLED,
                                                           finished_at=now, reason="hold expired")


@dataclass
class SeriesResult:
    created: list[Booking]
    skipped: list[tuple[datetime, str]]
    series: str


def request_series(
    actor: Any, equipment: Equipment, *, start: datetime, end: datetime, count: int,
    every_days: int = 7, skip_conflicts: bool = True, **kwargs: Any,
) -> SeriesResult:
    """The same slot every `every_days` days, `count` times. With skip_conflicts an occurrence
    that cannot be booked (conflict, closed day...) is skipped with its reason; without, any
    such occurrence refuses the whole series and nothing is written."""
    if not 1 <= count <= 52:
        raise _invalid(_("A series has 1 to 52 occurrences."), "count")
    if every_days < 1:
        raise _invalid(_("Repeat at least one day apart."), "every_days")
    series = secrets.token_hex(8)
    created: list[Booking] = []
    skipped: list[tuple[datetime, str]] = []
    with transaction.atomic():
        for i in range(count):
            # Repeat in local wall-clock time (the same Seoul hour every week).
            s = (start.astimezone(availability.TZ) + timedelta(days=i * every_days))
            e = (end.astimezone(availability.TZ) + timedelta(days=i * every_days))
            try:
                with transaction.atomic():
                    created.append(request_booking(actor, equipment, start=s, end=e,
                                                   series=series, **kwargs))
            except ActionRefused as exc:
                if not skip_conflicts or exc.code == "forbidden":
                    raise
                skipped.append((s.astimezone(UTC), exc.message))
    return SeriesResult(created, skipped, series)


def _load(booking: Booking) -> Booking:
    return Booking.objects.select_for_update().select_related("equipment").get(pk=booking.pk)


def _transition(actor: Any, booking: Booking, sources: tuple[str, ...], target: str,
                verb: str, allowed: bool, now: datetime, **changes: Any) -> Booking:
    with transaction.atomic():
        booking = _load(booking)
        if not allowed:
            raise ActionRefused(_("You may not change this booking."), code="forbidden")
        if booking.status not in sources:
            raise ActionRefused(
                _("Cannot do that to a booking that is %(status)s.") % {
                    "status": BookingStatus(booking.status).label},
                code="invalid_transition")
        before = booking.status
        booking.status = target
        for name, value in changes.items():
            setattr(booking, name, value)
        booking.save(update_fields=["status", *changes])
        record_event(actor, f"booking.{verb}", booking, from_status=before, to_status=target)
    return booking


def _is_booker(actor: Any, booking: Booking) -> bool:
    if booking.booked_by_id == actor.pk:
        return True
    org_id = getattr(getattr(actor, "profile", None), "organisation_id", None)
    return role_of(actor) == Role.SME and org_id is not None and org_id == booking.firm_id


def confirm(actor: Any, booking: Booking, now: datetime | None = None) -> Booking:
    """Owner approval (or the booker accepting their own hold)."""
    now = now or timezone.now()
    eq = booking.equipment
    allowed = manages(actor, eq) or (booking.status == "held" and _is_booker(actor, booking))
    booking = _transition(actor, booking, ("requested", "held"), "confirmed", "confirmed",
                          allowed, now, confirmed_at=now, hold_expires_at=None)
    if booking.booked_by_id:
        notify([booking.booked_by], _("Booking confirmed: %(item)s") % {"item": eq.name},
               f"{_local(booking.start)} – {_local(booking.end)}", booking.get_absolute_url())
    return booking


def refuse(actor: Any, booking: Booking, reason: str, now: datetime | None = None) -> Booking:
    """The owner says no (counted as unmet demand)."""
    now = now or timezone.now()
    if not reason.strip():
        raise _invalid(_("Give a reason."), "reason")
    booking = _transition(actor, booking, ("requested", "held"), "refused", "refused",
                          manages(actor, booking.equipment), now, finished_at=now,
                          reason=reason.strip())
    if booking.booked_by_id:
        notify([booking.booked_by], _("Booking refused: %(item)s") % {"item": booking.equipment.name},
               reason, booking.get_absolute_url())
    return booking


def check_in(actor: Any, booking: Booking, now: datetime | None = None) -> Booking:
    now = now or timezone.now()
    allowed = manages(actor, booking.equipment) or _is_booker(actor, booking)
    if now < booking.start - timedelta(hours=1):
        raise _invalid(_("Check-in opens an hour before the start."), "start")
    return _transition(actor, booking, ("confirmed",), "checked_in", "checked_in", allowed, now,
                       checked_in_at=now)


def complete(actor: Any, booking: Booking, actual_hours: Decimal, outcome: str = "",
             now: datetime | None = None) -> Booking:
    """The use is over: log the actual hours; the voucher is charged and, for use by anyone
    but the owner, the owner's compensation is entered in the ledger."""
    now = now or timezone.now()
    actual_hours = Decimal(actual_hours)
    if actual_hours < 0 or actual_hours > Decimal(24 * 31):
        raise _invalid(_("Actual hours must be between 0 and 744."), "actual_hours")
    with transaction.atomic():
        booking = _transition(actor, booking, ("checked_in", "confirmed"), "completed", "completed",
                              manages(actor, booking.equipment), now, finished_at=now,
                              actual_hours=actual_hours, outcome=outcome.strip())
        if booking.voucher_id and booking.voucher_krw:
            updated = Voucher.objects.filter(
                pk=booking.voucher_id, used_krw__lte=F("amount_krw") - booking.voucher_krw
            ).update(used_krw=F("used_krw") + booking.voucher_krw)
            if not updated:
                raise _invalid(_("The voucher no longer covers this booking."), "voucher")
        _ledger(booking)
    return booking


def _ledger(booking: Booking) -> Compensation | None:
    eq = booking.equipment
    if booking.firm_id is None or booking.firm_id == eq.owner_id:
        return None
    charged = booking.fee_krw - booking.discount_krw
    amount = _krw(charged * eq.compensation_pct / 100)
    return Compensation.objects.create(
        booking=booking, owner_id=eq.owner_id, hours=booking.actual_hours or 0, amount_krw=amount,
        period=booking.start.astimezone(availability.TZ).strftime("%Y-%m"))


def no_show(actor: Any, booking: Booking, now: datetime | None = None) -> Booking:
    now = now or timezone.now()
    if now < booking.start:
        raise _invalid(_("A no-show is recorded after the start."), "start")
    return _transition(actor, booking, ("confirmed",), "no_show", "no_show",
                       manages(actor, booking.equipment), now, finished_at=now)


def cancel(actor: Any, booking: Booking, reason: str = "", now: datetime | None = None) -> Booking:
    now = now or timezone.now()
    allowed = manages(actor, booking.equipment) or _is_booker(actor, booking)
    booking = _transition(actor, booking, ("held", "requested", "confirmed"), "cancelled",
                          "cancelled", allowed, now, finished_at=now, reason=reason.strip())
    if booking.booked_by_id and booking.booked_by_id != actor.pk:
        notify([booking.booked_by], _("Booking cancelled: %(item)s") % {"item": booking.equipment.name},
               reason, booking.get_absolute_url())
    return booking


def record_outcome(actor: Any, booking: Booking, outcome: str) -> Booking:
    if not outcome.strip():
        raise _invalid(_("Describe the outcome."), "outcome")
    allowed = manages(actor, booking.equipment) or _is_booker(actor, booking)
    with transaction.atomic():
        booking = _load(booking)
        if not allowed:
            raise ActionRefused(_("You may not change this booking."), code="forbidden")
        booking.outcome = outcome.strip()
        booking.save(update_fields=["outcome"])
        record_event(actor, "booking.outcome", booking)
    return booking


def grant_training(actor: Any, user: Any, equipment: Equipment,
                   valid_until: date | None = None) -> Training:
    if not manages(actor, equipment):
        raise ActionRefused(_("Only the item's staff can record training."), code="forbidden")
    with transaction.atomic():
        row, _created = Training.objects.update_or_create(
            user=user, equipment=equipment,
            defaults={"valid_until": valid_until, "granted_by": actor, "granted_at": timezone.now()})
        record_event(actor, "equipment.training", equipment, user=user.username,
                     valid_until=valid_until.isoformat() if valid_until else None)
    return row


def add_blackout(actor: Any, equipment: Equipment, starts_at: datetime, ends_at: datetime,
                 reason: str = "", kind: str = Blackout.Kind.MAINTENANCE) -> Blackout:
    """Maintenance or closure of an item; blocking bookings in it are listed, not removed."""
    if not manages(actor, equipment):
        raise ActionRefused(_("Only the item's staff can plan maintenance."), code="forbidden")
    if ends_at <= starts_at:
        raise _invalid(_("The end must come after the start."), "ends_at")
    with transaction.atomic():
        row = Blackout.objects.create(equipment=equipment, starts_at=starts_at, ends_at=ends_at,
                                      reason=reason, kind=kind)
        record_event(actor, "equipment.blackout", equipment, starts_at=starts_at.isoformat(),
                     ends_at=ends_at.isoformat())
    return row


# ---- photos ------------------------------------------------------------------------------------
PHOTO_TYPES = ("image/png", "image/jpeg", "image/webp", "image/gif")


def add_photo(actor: Any, equipment: Equipment, name: str, content: bytes,
              caption: str = "") -> EquipmentPhoto:
    """Store a photo of an item (its owner's or site's staff): an image by content, within the
    upload limit, that decodes; the file is content-addressed outside the web root."""
    import hashlib
    import io
    from pathlib import Path

    from django.conf import settings
    from PIL import Image, UnidentifiedImageError

    from clusterhub.support.actions import sniff

    if not manages(actor, equipment):
        raise ActionRefused(_("Only the item's owner or site staff add photos."), code="forbidden")
    if not content:
        raise ActionRefused(_("The file is empty."), "photo", code="invalid")
    if len(content) > settings.CLUSTERHUB_MAX_UPLOAD_BYTES:
        raise ActionRefused(_("The file is larger than %(mb)d MB.") % {
            "mb": settings.CLUSTERHUB_MAX_UPLOAD_BYTES // (1024 * 1024)}, "photo", code="invalid")
    ctype = sniff(content[:512], name)
    if ctype not in PHOTO_TYPES:
        raise ActionRefused(_("Only PNG, JPEG, WebP or GIF images are accepted; this file's "
                              "content is none of these."), "photo", code="invalid")
    try:
        with Image.open(io.BytesIO(content)) as image:
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise ActionRefused(_("The image is damaged and cannot be shown."), "photo",
                            code="invalid") from exc
    digest = hashlib.sha256(content).hexdigest()
    rel = Path("equipment") / "photos" / digest[:2] / digest
    with transaction.atomic():
        Equipment.objects.select_for_update().filter(pk=equipment.pk).first()
        if equipment.photos.filter(sha256=digest).exists():
            raise ActionRefused(_("This photo is already on the item."), "photo", code="invalid")
        if equipment.photos.count() >= EquipmentPhoto.MAX_PER_ITEM:
            raise ActionRefused(_("An item has at most %(n)d photos; remove one first.") % {
                "n": EquipmentPhoto.MAX_PER_ITEM}, "photo", code="invalid")
        path = Path(settings.MEDIA_ROOT) / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists():  # content-addressed: an identical file may already be there
            tmp = path.with_suffix(".part")
            tmp.write_bytes(content)
            tmp.replace(path)
        photo = EquipmentPhoto.objects.create(
            equipment=equipment, caption=caption.strip()[:200], content_type=ctype,
            size=len(content), sha256=digest, storage_path=str(rel), uploaded_by=actor)
        record_event(actor, "equipment.photo_added", equipment, photo=photo.pk)
    return photo


def remove_photo(actor: Any, photo: EquipmentPhoto) -> None:
    """Take a photo off its item; its file goes once no other item's photo is the same file."""
    if not manages(actor, photo.equipment):
        raise ActionRefused(_("Only the item's owner or site staff remove photos."),
                            code="forbidden")
    from pathlib import Path

    from django.conf import settings

    with transaction.atomic():
        record_event(actor, "equipment.photo_removed", photo.equipment, photo=photo.pk)
        rel = photo.storage_path
        photo.delete()
        if not EquipmentPhoto.objects.filter(storage_path=rel).exists():
            path = Path(settings.MEDIA_ROOT) / rel
            transaction.on_commit(lambda: path.unlink(missing_ok=True))
