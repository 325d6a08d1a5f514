"""Named reads of the equipment app; every object a view or endpoint reads comes through here
("missing" and "not yours" both 404)."""

from __future__ import annotations

from typing import Any

from django.db.models import Q
from django.http import Http404

from .models import Booking, BookingQuerySet, Equipment, EquipmentQuerySet


def equipment_list(q: str = "", region: str = "", classification: str = "", mode: str = "",
                   site: str = "") -> EquipmentQuerySet:
    qs = Equipment.objects.listed().select_related("owner", "site", "site__region")
    if q:
        qs = qs.search(q)
    if region:
        qs = qs.filter(Q(site__region__code=region) | Q(site__region__short_name=region))
    if classification:
        qs = qs.filter(classification__startswith=classification)
    if mode:
        qs = qs.filter(modes__contains=[mode]) if _json_contains() else qs.filter(
            modes__icontains=f'"{mode}"')
    if site:
        qs = qs.filter(site__external_id=site)
    return qs.order_by("name", "id")


def _json_contains() -> bool:
    from django.db import connection

    return connection.vendor == "postgresql"


def get_equipment(key: str | int) -> Equipment:
    """A listed item by external id (or primary key); the registry is public."""
    qs = Equipment.objects.listed().select_related("owner", "site", "site__region")
    item = qs.filter(external_id=str(key)).first()
    if item is None and str(key).isdigit():
        item = qs.filter(pk=int(key)).first()
    if item is None:
        raise Http404
    return item


def get_managed_equipment(user: Any, key: str | int) -> Equipment:
    item = Equipment.objects.managed_by(user).select_related("owner", "site").filter(
        external_id=str(key)).first()
    if item is None:
        raise Http404
    return item


def bookings_for(user: Any) -> BookingQuerySet:
    return (Booking.objects.for_user(user)
            .select_related("equipment", "equipment__site", "booked_by", "firm")
            .order_by("-start", "-id"))


def get_booking_for_user(user: Any, pk: int | str) -> Booking:
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise Http404 from None
    row = bookings_for(user).filter(pk=pk).first()
    if row is None:
        raise Http404
    return row


def approval_queue(user: Any) -> BookingQuerySet:
    """Requests waiting for this user's approval (items their organisation owns or runs)."""
    items = Equipment.objects.managed_by(user).values("pk")
    return (Booking.objects.filter(equipment__in=items, status__in=["requested", "held"])
            .select_related("equipment", "booked_by", "firm").order_by("start", "id"))
