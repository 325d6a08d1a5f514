"""Service-level deadlines of the desk (working days skip weekends and Korean public holidays)."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from functools import cache
from pathlib import Path

from django.conf import settings
from django.utils import timezone

HOLIDAYS_FILE = Path(__file__).with_name("holidays_kr.json")
# Solar-calendar holidays fixed by the regulation; they apply in any year.
FIXED_HOLIDAYS = [(1, 1), (3, 1), (5, 5), (6, 6), (8, 15), (10, 3), (10, 9), (12, 25)]


@cache
def holidays() -> dict[date, str]:
    """Listed public holidays (lunar, substitute and election days) from the data file(s):
    the shipped file, then ``CLUSTERHUB_HOLIDAYS_FILE`` if set (same format, adds days)."""
    out: dict[date, str] = {}
    paths = [HOLIDAYS_FILE]
    extra = getattr(settings, "CLUSTERHUB_HOLIDAYS_FILE", "")
    if extra:
        paths.append(Path(extra))
    for path in paths:
        data = json.loads(path.read_text(encoding="utf-8"))
        for day, name in data["holidays"].items():
            out[date.fromisoformat(day)] = name
    return out


def is_working_day(day: date) -> bool:
    """Monday to Friday and not a public holiday in Korea."""
    return (day.weekday() < 5 and (day.month, day.day) not in FIXED_HOLIDAYS
            and day not in holidays())


def add_working_days(start: datetime, days: int) -> datetime:
    """`start` plus `days` working days, same time of day.

    Days are counted in local time: 08:00 on a Saturday in Seoul is still Friday in UTC."""
    current = timezone.localtime(start) if timezone.is_aware(start) else start
    added = 0
    while added < days:
        current += timedelta(days=1)
        if is_working_day(current.date()):
            added += 1
    return current


def contact_due(submitted: datetime) -> datetime:
    return add_working_days(submitted, settings.CLUSTERHUB_SLA_FIRST_CONTACT_WORKING_DAYS)


def plan_due(submitted: datetime) -> datetime:
    return submitted + timedelta(days=settings.CLUSTERHUB_SLA_PLAN_DAYS)
