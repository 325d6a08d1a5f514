"""Calendars of many items (the window-read path) agree with one item's calendar."""

from __future__ import annotations

from typing import Any

import pytest

from clusterhub.equipment import actions, availability
from clusterhub.equipment.models import Blackout, Equipment

from .factories import EquipmentFactory, seoul

pytestmark = pytest.mark.django_db


def test_many_items_same_answer_as_one(hub: Any, machine: Any) -> None:
    Equipment.objects.bulk_create([Equipment(
        external_id=f"bulk-{i}", name=f"장비 {i}", owner=hub.institute, site=hub.centre,
        classification="B0101", modes=["direct"], setup_minutes=15, cleanup_minutes=15)
        for i in range(availability.MANY + 5)])
    other = EquipmentFactory(owner=hub.institute, site=hub.desk)  # no opening hours: closed
    actions.request_booking(hub.sme, machine, start=seoul(4, 10), end=seoul(4, 12))
    Blackout.objects.create(equipment=machine, starts_at=seoul(5, 9), ends_at=seoul(5, 13))
    Blackout.objects.create(site=hub.centre, starts_at=seoul(6, 0), ends_at=seoul(7, 0),
                            kind="closure")
    items = availability.calendar_items(Equipment.objects.all())
    start, end = seoul(4, 0), seoul(11, 0)
    many = {c.equipment.pk: c for c in availability.calendars(items, start, end)}
    first = Equipment.objects.get(pk=items[0].pk)
    for item in (machine, other, first):
        one = availability.calendar(item, start, end)
        assert (many[item.pk].free, many[item.pk].busy, many[item.pk].blackouts) == (
            one.free, one.busy, one.blackouts)
    cal = many[machine.pk]
    # Monday 09:00-18:00 less the booking widened by the buffers (09:30-12:30 can't start),
    # Tuesday afternoon only, Wednesday closed, Thursday and Friday whole days: 9 h each.
    assert availability.hours_of(cal.free) == pytest.approx(6 + 5 + 9 + 9)
    assert availability.hours_of(many[other.pk].free) == 0


def test_the_past_is_not_free(hub: Any, machine: Any) -> None:
    from datetime import timedelta

    from django.utils import timezone

    now = timezone.now()
    cal = availability.calendar(machine, now - timedelta(days=7), now + timedelta(days=7))
    assert cal.free and all(a >= now for a, _b in cal.free)
    assert availability.hours_of(cal.open) > availability.hours_of(cal.free)
