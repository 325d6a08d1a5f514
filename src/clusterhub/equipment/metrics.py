"""Use and compensation over a period [start, end) (definitions in docs/equipment.md):

- available hours: opening hours of the site minus blackouts and maintenance, clipped to the
  period (an item in status maintenance or retired has none);
- booked utilisation: hours of bookings that were confirmed (confirmed, checked in, completed,
  no-show), clipped to the period, / available hours;
- operating rate (가동률): actual hours of completed bookings that start in the period /
  available hours;
- no-show rate: no-shows / (completed + no-shows), bookings starting in the period;
- SME share: actual hours of SME firms / actual hours;
- idle: operating rate under 10 % (IDLE_BELOW);
- unmet demand: bookings refused by the owner plus conflicting attempts (UnmetDemand), in the
  period;
- time to confirmation: median hours from request to confirmation of bookings confirmed in the
  period that waited for approval;
- compensation owed: ledger rows of the period's months, per owner and month.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db.models import Count, F, Sum

from . import availability
from .models import Booking, Compensation, Equipment, UnmetDemand

IDLE_BELOW = 0.10
BOOKED = ("confirmed", "checked_in", "completed", "no_show")


@dataclass
class Use:
    """Sums for one item or a group of items."""

    key: str
    label: str
    items: int = 0
    available_h: float = 0.0
    booked_h: float = 0.0
    actual_h: float = 0.0
    sme_h: float = 0.0
    completed: int = 0
    no_shows: int = 0
    refused: int = 0
    conflicts: int = 0
    idle_items: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    def add(self, other: Use) -> None:
        self.items += other.items
        for name in ("available_h", "booked_h", "actual_h", "sme_h"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for name in ("completed", "no_shows", "refused", "conflicts", "idle_items"):
            setattr(self, name, getattr(self, name) + getattr(other, name))

    @property
    def booked_utilisation(self) -> float | None:
        return self.booked_h / self.available_h if self.available_h else None

    @property
    def operating_rate(self) -> float | None:
        return self.actual_h / self.available_h if self.available_h else None

    @property
    def no_show_rate(self) -> float | None:
        n = self.completed + self.no_shows
        return self.no_shows / n if n else None

    @property
    def sme_share(self) -> float | None:
        return self.sme_h / self.actual_h if self.actual_h else None

    @property
    def unmet(self) -> int:
        return self.refused + self.conflicts

    def row(self) -> dict[str, Any]:
        def pct(v: float | None) -> float | None:
            return round(100 * v, 1) if v is not None else None

        return {"key": self.key, "label": self.label, "items": self.items,
                "available_h": round(self.available_h, 1), "booked_h": round(self.booked_h, 1),
                "actual_h": round(self.actual_h, 1),
                "booked_utilisation_pct": pct(self.booked_utilisation),
                "operating_rate_pct": pct(self.operating_rate),
                "no_show_rate_pct": pct(self.no_show_rate), "sme_share_pct": pct(self.sme_share),
                "idle_items": self.idle_items, "unmet_demand": self.unmet, **self.extra}


@dataclass
class Utilisation:
    start: datetime
    end: datetime
    items: list[Use]
    by_site: list[Use]
    by_owner: list[Use]
    by_region: list[Use]
    total: Use
    confirmation_hours_median: float | None
    compensation: list[dict[str, Any]]

    @property
    def idle(self) -> list[Use]:
        return [u for u in self.items if u.idle_items]


def _clip(a: datetime, b: datetime, start: datetime, end: datetime) -> float:
    lo, hi = max(a, start), min(b, end)
    return max((hi - lo).total_seconds(), 0) / 3600


def utilisation(start: datetime, end: datetime, items: Any = None) -> Utilisation:
    """The figures of the period for the given items (default: all but retired ones)."""
    qs = items if items is not None else Equipment.objects.listed()
    equipment = list(qs.select_related("owner", "site", "site__region").order_by("name", "pk"))
    ids = [e.pk for e in equipment]
    uses: dict[int, Use] = {}
    for cal in availability.calendars(equipment, start, end):
        e = cal.equipment
        open_ = availability.subtract(cal.open, cal.blackouts)
        uses[e.pk] = Use(e.external_id, e.name, items=1, available_h=availability.hours_of(open_),
                         extra={"owner": e.owner.name, "site": e.site.name,
                                "region": e.site.region.short_name if e.site.region else ""})
    for eid, a, b in (Booking.objects.filter(equipment_id__in=ids, status__in=BOOKED,
                                             start__lt=end, end__gt=start)
                      .values_list("equipment_id", "start", "end")):
        uses[eid].booked_h += _clip(a, b, start, end)
    for eid, status, hours, sme in (Booking.objects.filter(
            equipment_id__in=ids, status__in=["completed", "no_show"], start__gte=start,
            start__lt=end).values_list("equipment_id", "status", "actual_hours", "sme")):
        u = uses[eid]
        if status == "no_show":
            u.no_shows += 1
            continue
        u.completed += 1
        u.actual_h += float(hours or 0)
        if sme:
            u.sme_h += float(hours or 0)
    for eid, n in (Booking.objects.filter(equipment_id__in=ids, status="refused",
                                          start__gte=start, start__lt=end)
                   .values("equipment_id").annotate(n=Count("id")).values_list("equipment_id", "n")):
        uses[eid].refused = n
    for eid, n in (UnmetDemand.objects.filter(equipment_id__in=ids, start__gte=start,
                                              start__lt=end)
                   .values("equipment_id").annotate(n=Count("id")).values_list("equipment_id", "n")):
        uses[eid].conflicts = n
    for u in uses.values():
        rate = u.operating_rate
        u.idle_items = int(rate is not None and rate < IDLE_BELOW)
    groups: dict[str, dict[str, Use]] = {"site": {}, "owner": {}, "region": {}}
    total = Use("total", "total")
    for e in equipment:
        u = uses[e.pk]
        total.add(u)
        region = e.site.region
        for kind, key, label in (("site", e.site.external_id, e.site.name),
                                 ("owner", e.owner.external_id, e.owner.name),
                                 ("region", region.code if region else "-",
                                  region.short_name if region else "-")):
            groups[kind].setdefault(key, Use(key, label)).add(u)
    waits = [(c - r).total_seconds() / 3600 for r, c in Booking.objects.filter(
        equipment_id__in=ids, confirmed_at__gte=start, confirmed_at__lt=end,
        confirmed_at__gt=F("created_at")).values_list("created_at", "confirmed_at") if c]
    comp = list(Compensation.objects.filter(
        booking__equipment_id__in=ids, period__gte=_month(start), period__lte=_month(end, True))
        .values("owner__external_id", "owner__name", "period")
        .annotate(hours=Sum("hours"), amount_krw=Sum("amount_krw"), uses=Count("id"))
        .order_by("owner__name", "period"))
    compensation = [{"owner": c["owner__external_id"], "owner_name": c["owner__name"],
                     "period": c["period"], "uses": c["uses"], "hours": float(c["hours"] or 0),
                     "amount_krw": int(c["amount_krw"] or Decimal(0))} for c in comp]
    def grouped(kind: str) -> list[Use]:
        return sorted(groups[kind].values(), key=lambda u: u.label)

    return Utilisation(
        start, end, [uses[e.pk] for e in equipment], grouped("site"), grouped("owner"),
        grouped("region"), total, round(statistics.median(waits), 2) if waits else None,
        compensation)


def _month(at: datetime, last: bool = False) -> str:
    from datetime import timedelta

    if last:
        at = at - timedelta(microseconds=1)
    return at.astimezone(availability.TZ).strftime("%Y-%m")
