"""Day boundaries: opening hours are Seoul wall-clock time, storage is UTC; Seoul's midnight is
15:00 UTC the day before, so a UTC date is the wrong day for nine hours of every day."""

from __future__ import annotations

from datetime import UTC, datetime, time
from decimal import Decimal
from typing import Any

import pytest

from clusterhub.core.actions import ActionRefused
from clusterhub.equipment import actions, availability
from clusterhub.equipment.models import Compensation, OpeningHours

from .factories import seoul

pytestmark = pytest.mark.django_db


def test_monday_0900_seoul_is_monday_0000_utc(hub: Any, machine: Any) -> None:
    b = actions.request_booking(hub.sme, machine, start=seoul(4, 9), end=seoul(4, 10))
    assert b.start == datetime(2030, 3, 4, 0, 0, tzinfo=UTC)


def test_monday_0830_seoul_is_sunday_utc_and_closed(hub: Any, machine: Any) -> None:
    machine.setup_minutes = 0
    machine.save()
    # 23:30 UTC on Sunday: the UTC weekday is Sunday, the Seoul one Monday before opening.
    start = datetime(2030, 3, 3, 23, 30, tzinfo=UTC)
    with pytest.raises(ActionRefused, match="opening hours"):
        actions.request_booking(hub.sme, machine, start=start,
                                end=datetime(2030, 3, 4, 0, 30, tzinfo=UTC))


def test_midnight_booking_on_a_site_open_around_the_clock(hub: Any, machine: Any) -> None:
    OpeningHours.objects.filter(site=hub.centre).delete()
    for wd in range(7):
        OpeningHours.objects.create(site=hub.centre, weekday=wd, opens=time(0),
                                    closes=time(23, 59))
    machine.setup_minutes = machine.cleanup_minutes = 0
    machine.save()
    # Monday 00:00-01:00 Seoul = Sunday 15:00-16:00 UTC: open (Monday, Seoul).
    b = actions.request_booking(hub.sme, machine, start=seoul(4, 0), end=seoul(4, 1))
    assert b.start == datetime(2030, 3, 3, 15, 0, tzinfo=UTC)
    # Across Seoul midnight: 23:30 Monday to 00:30 Tuesday is not inside one day's hours.
    with pytest.raises(ActionRefused, match="opening hours"):
        actions.request_booking(hub.sme, machine, start=seoul(4, 23, 30), end=seoul(5, 0, 30))


def test_availability_of_one_seoul_day(hub: Any, machine: Any) -> None:
    start, end = seoul(4, 0), seoul(5, 0)
    assert availability.local_days(start, end) == [seoul(4, 0).date()]
    cal = availability.calendar(machine, start, end)
    assert cal.open == [(datetime(2030, 3, 4, 0, 0, tzinfo=UTC),
                         datetime(2030, 3, 4, 9, 0, tzinfo=UTC))]
    # The UTC day 2030-03-04 holds Monday 09:00-18:00 Seoul and nothing of Tuesday (opens
    # at 00:00 UTC on Tuesday, the end of the window).
    cal = availability.calendar(machine, datetime(2030, 3, 4, tzinfo=UTC),
                                datetime(2030, 3, 5, tzinfo=UTC))
    assert availability.hours_of(cal.open) == 9


def test_ledger_month_is_the_seoul_month(hub: Any, machine: Any, staff: Any) -> None:
    OpeningHours.objects.filter(site=hub.centre).delete()
    for wd in range(7):
        OpeningHours.objects.create(site=hub.centre, weekday=wd, opens=time(7), closes=time(18))
    # 2030-04-01 08:00 Seoul = 2030-03-31 23:00 UTC: an April use.
    start = datetime(2030, 4, 1, 8, tzinfo=availability.TZ)
    b = actions.request_booking(hub.sme, machine, start=start,
                                end=datetime(2030, 4, 1, 9, tzinfo=availability.TZ))
    assert b.start.astimezone(UTC).month == 3
    actions.confirm(staff, b)
    actions.complete(staff, b, Decimal("1"))
    assert Compensation.objects.get().period == "2030-04"


def test_week_calendar_starts_at_seoul_midnight(client: Any, hub: Any, machine: Any) -> None:
    actions.request_booking(hub.sme, machine, start=seoul(4, 9), end=seoul(4, 10))
    page = client.get("/equipment/items/cmm-1/?week=2030-03-04").content.decode()
    # The first row (07:00) is closed, 09:00 Monday is booked (not shifted to Sunday).
    assert page.count('class="busy"') >= 1
    assert "03/04" in page and "03/10" in page
