"""iCalendar feeds: an item's blocking bookings (times only) and a user's own bookings."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.http import HttpResponse
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from icalendar import Calendar, Event

from .models import BLOCKING, Booking, BookingStatus, Equipment

HORIZON_DAYS = 180


def _calendar(name: str) -> Calendar:
    cal = Calendar()
    cal.add("prodid", "-//ClusterHub//equipment//KO")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", name)
    cal.add("x-wr-timezone", "Asia/Seoul")
    return cal


def _event(b: Booking, summary: str, description: str = "") -> Event:
    ev = Event()
    ev.add("uid", f"booking-{b.pk}@clusterhub")
    ev.add("dtstamp", timezone.now())
    ev.add("dtstart", b.start)
    ev.add("dtend", b.end)
    ev.add("summary", summary)
    ev.add("status", "CONFIRMED" if b.status in ("confirmed", "checked_in", "completed")
           else "TENTATIVE" if b.status in BLOCKING else "CANCELLED")
    if b.equipment.site_id:
        ev.add("location", b.equipment.site.name)
    if description:
        ev.add("description", description)
    return ev


def item_feed(item: Equipment) -> bytes:
    since = timezone.now() - timedelta(days=30)
    cal = _calendar(item.name)
    for b in (item.bookings.filter(status__in=BLOCKING, end__gte=since)
              .select_related("equipment__site").order_by("start")):
        cal.add_component(_event(b, f"{item.name}: {BookingStatus(b.status).label}"))
    return cal.to_ical()


def user_feed(user: Any) -> bytes:
    since = timezone.now() - timedelta(days=HORIZON_DAYS)
    cal = _calendar(f"ClusterHub {user.username}")
    for b in (Booking.objects.filter(booked_by=user, end__gte=since)
              .select_related("equipment__site").order_by("start")):
        cal.add_component(_event(b, b.equipment.name, b.purpose))
    return cal.to_ical()


def feed_token(user: Any) -> str:
    """The secret of a user's subscription URL (calendar apps cannot send a login or a bearer
    token). Derived from the password hash like Django's reset tokens: changing the password
    revokes every URL given out before."""
    value = f"{user.pk}:{user.password}:{user.is_active}"
    return salted_hmac("clusterhub.equipment.feed", value, algorithm="sha256").hexdigest()[:40]


def user_for_feed(user_pk: int, token: str) -> Any:
    """The active hub user whose subscription URL this is, or None."""
    from django.contrib.auth import get_user_model

    from clusterhub.core.models import role_of

    user = get_user_model().objects.filter(pk=user_pk, is_active=True).first()
    if user is None or role_of(user) is None or not constant_time_compare(feed_token(user), token):
        return None
    return user


def response(content: bytes, filename: str) -> HttpResponse:
    resp = HttpResponse(content, content_type="text/calendar; charset=utf-8")
    resp["Content-Disposition"] = f'inline; filename="{filename}"'
    return resp
