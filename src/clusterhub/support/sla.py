"""Service-level deadlines of the desk (working days skip Saturdays and Sundays)."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone


def add_working_days(start: datetime, days: int) -> datetime:
    """`start` plus `days` working days (Monday to Friday), same time of day.

    Days are counted in local time: 08:00 on a Saturday in Seoul is still Friday in UTC."""
    current = timezone.localtime(start) if timezone.is_aware(start) else start
    added = 0
    while added < days:
        current += timedelta(days=1)
        if current.weekday() < 5:
            added += 1
    return current


def contact_due(submitted: datetime) -> datetime:
    return add_working_days(submitted, settings.CLUSTERHUB_SLA_FIRST_CONTACT_WORKING_DAYS)


def plan_due(submitted: datetime) -> datetime:
    return submitted + timedelta(days=settings.CLUSTERHUB_SLA_PLAN_DAYS)
