"""When an item may be booked: opening hours of its site (local wall-clock time, Asia/Seoul),
minus blackouts and maintenance, minus blocking bookings with their buffers. All instants are
aware datetimes in UTC; local dates are turned into instants day by day with zoneinfo (so a
day boundary is Seoul's midnight, not UTC's)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from django.db import connection
from django.db.models import FloatField, Func, Q
from django.utils import timezone

from .models import BLOCKING, SITE_TIME_ZONE, Blackout, Booking, Equipment, OpeningHours

TZ = ZoneInfo(SITE_TIME_ZONE)
Interval = tuple[datetime, datetime]
# The fields calendars() reads of each item (load only these for many items).
CALENDAR_FIELDS = ("pk", "site_id", "status", "setup_minutes", "cleanup_minutes")


class CalendarItem(NamedTuple):
    """What calendars() needs of an item, without building a model instance (thousands of
    items: a tenth of the time)."""

    pk: int
    site_id: int
    status: str
    setup_minutes: int
    cleanup_minutes: int


def calendar_items(qs: Any) -> list[CalendarItem]:
    return [CalendarItem(*row) for row in qs.values_list(*CALENDAR_FIELDS)]
MANY = 200  # items above which calendars() reads a window's rows rather than filtering by id


def local_days(start: datetime, end: datetime) -> list[date]:
    """The Seoul dates that [start, end) touches."""
    first = start.astimezone(TZ).date()
    last = (end - timedelta(microseconds=1)).astimezone(TZ).date()
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def opening_intervals(hours: Sequence[OpeningHours], start: datetime, end: datetime
                      ) -> list[Interval]:
    """Open intervals (UTC) of a site's weekly hours within [start, end)."""
    by_day: dict[int, list[OpeningHours]] = defaultdict(list)
    for h in hours:
        by_day[h.weekday].append(h)
    out: list[Interval] = []
    for day in local_days(start, end):
        for h in by_day.get(day.weekday(), []):
            a = datetime.combine(day, h.opens, TZ).astimezone(UTC)
            b = datetime.combine(day, h.closes, TZ).astimezone(UTC)
            a, b = max(a, start), min(b, end)
            if a < b:
                out.append((a, b))
    return merge(out)


def merge(intervals: Iterable[Interval]) -> list[Interval]:
    out: list[Interval] = []
    for a, b in sorted(intervals):
        if out and a <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        else:
            out.append((a, b))
    return out


def subtract(base: list[Interval], holes: Iterable[Interval]) -> list[Interval]:
    """base minus holes (both half-open); base must be merged."""
    holes = merge(holes)
    out: list[Interval] = []
    for a, b in base:
        cur = a
        for h0, h1 in holes:
            if h1 <= cur or h0 >= b:
                continue
            if h0 > cur:
                out.append((cur, h0))
            cur = max(cur, h1)
            if cur >= b:
                break
        if cur < b:
            out.append((cur, b))
    return out


def covered(intervals: list[Interval], start: datetime, end: datetime) -> bool:
    """Whether [start, end) lies inside one of the (merged) intervals."""
    return any(a <= start and end <= b for a, b in intervals)


def hours_of(intervals: Iterable[Interval]) -> float:
    return sum((b - a).total_seconds() for a, b in intervals) / 3600


@dataclass
class Calendar:
    """One item's week (or any window): open time, closed time, busy time, free time."""

    equipment: Any  # an Equipment, or a CalendarItem
    start: datetime
    end: datetime
    open: list[Interval]
    blackouts: list[Interval]
    busy: list[tuple[datetime, datetime, int, str]]  # blocked interval, booking pk, status
    free: list[Interval]


def blackout_q(item_ids: Sequence[int], site_ids: Sequence[int]) -> Q:
    return Q(equipment_id__in=list(item_ids)) | Q(site_id__in=list(site_ids))


def calendars(items: Sequence[Any], start: datetime, end: datetime) -> list[Calendar]:
    """Calendars of many items in four queries whatever their number."""
    site_ids = sorted({e.site_id for e in items})
    item_ids = [e.pk for e in items]
    hours: dict[int, list[OpeningHours]] = defaultdict(list)
    for h in OpeningHours.objects.filter(site_id__in=site_ids):
        hours[h.site_id].append(h)
    item_black: dict[int, list[Interval]] = defaultdict(list)
    site_black: dict[int, list[Interval]] = defaultdict(list)
    # Many items: read the window's rows and keep those of the items here (a list of thousands
    # of ids as parameters costs more to send and plan than the rows it saves).
    many = len(item_ids) > MANY
    wanted, sites = set(item_ids), set(site_ids)
    blackouts = Blackout.objects.filter(starts_at__lt=end, ends_at__gt=start)
    if not many:
        blackouts = blackouts.filter(blackout_q(item_ids, site_ids))
    for eid, sid, a, b in blackouts.values_list("equipment_id", "site_id", "starts_at", "ends_at"):
        if eid in wanted:
            item_black[eid].append((a, b))
        elif eid is None and sid in sites:
            site_black[sid].append((a, b))
    busy: dict[int, list[tuple[datetime, datetime, int, str]]] = defaultdict(list)
    bookings = Booking.objects.filter(status__in=BLOCKING).overlapping(start, end)
    if not many:
        bookings = bookings.filter(equipment_id__in=item_ids)
    for eid, a, b, pk, status in _busy_rows(bookings.order_by("blocked_start")):
        if eid in wanted:
            busy[eid].append((a, b, pk, status))
    # What has begun is not free any more (open hours in the past still count as available
    # hours for the utilisation figures, which read `open` and `blackouts`).
    now = timezone.now()
    past = (start, min(now, end)) if now > start else None
    opened: dict[int, list[Interval]] = {}
    out = []
    for e in items:
        if e.site_id not in opened:
            opened[e.site_id] = opening_intervals(hours[e.site_id], start, end)
        open_ = opened[e.site_id] if e.status == "available" else []
        black = merge(item_black[e.pk] + site_black[e.site_id])
        # A use [s, t) blocks [s - setup, t + cleanup): it is free where that meets no busy
        # interval, i.e. outside each busy [a, b) widened to [a - cleanup, b + setup).
        before, after = timedelta(minutes=e.cleanup_minutes), timedelta(minutes=e.setup_minutes)
        base = subtract(open_, black) if black else open_
        rows = busy.get(e.pk)
        holes = [(a - before, b + after) for a, b, _pk, _s in rows] if rows else []
        if past:
            holes.append(past)
        free = subtract(base, holes) if holes else base
        out.append(Calendar(e, start, end, open_, black, busy[e.pk], free))
    return out


class _Epoch(Func):
    """Seconds since 1970 as float8 (PostgreSQL): a number reads several times faster than a
    timestamptz, which counts when a week of thousands of items is read."""

    template = "EXTRACT(EPOCH FROM %(expressions)s)::float8"
    output_field = FloatField()


def _busy_rows(bookings: Any) -> Iterable[tuple[int, datetime, datetime, int, str]]:
    if connection.vendor != "postgresql":
        yield from bookings.values_list("equipment_id", "blocked_start", "blocked_end", "pk",
                                        "status")
        return
    stamp = datetime.fromtimestamp
    for eid, a, b, pk, status in bookings.annotate(
            a=_Epoch("blocked_start"), b=_Epoch("blocked_end")).values_list(
            "equipment_id", "a", "b", "pk", "status"):
        yield eid, stamp(a, UTC), stamp(b, UTC), pk, status


def calendar(item: Equipment, start: datetime, end: datetime) -> Calendar:
    return calendars([item], start, end)[0]
