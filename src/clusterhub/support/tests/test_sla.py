"""Service levels: first contact within 3 working days, a solution plan within 21 days; the
coordinator queue flags what is overdue. Time is frozen by writing the deadlines in the DB."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from unittest import mock

import pytest
from django.urls import reverse
from django.utils import timezone

from clusterhub.support import actions, sla
from clusterhub.support.models import SupportRequest
from clusterhub.testing import new_request

from .conftest import forward

SEOUL = timezone.get_fixed_timezone(9 * 60)


def kst(*args: int) -> datetime:
    return datetime(*args, tzinfo=SEOUL)


@pytest.mark.parametrize(("start", "due"), [
    (kst(2024, 6, 17, 10), kst(2024, 6, 20, 10)),  # Monday -> Thursday
    (kst(2024, 6, 20, 10), kst(2024, 6, 25, 10)),  # Thursday -> Tuesday
    (kst(2024, 6, 21, 10), kst(2024, 6, 26, 10)),  # Friday -> Wednesday
    (kst(2024, 6, 22, 10), kst(2024, 6, 26, 10)),  # Saturday -> Wednesday
    (kst(2024, 6, 23, 10), kst(2024, 6, 26, 10)),  # Sunday -> Wednesday
    # Weekend mornings in Seoul are still Friday / Saturday in UTC: count Seoul's days.
    (kst(2024, 6, 22, 8), kst(2024, 6, 26, 8)),   # Saturday 08:00 -> Wednesday
    (kst(2024, 6, 23, 8), kst(2024, 6, 26, 8)),   # Sunday 08:00 -> Wednesday
    # Public holidays are not working days: Wednesday 15 May 2024 was Buddha's birthday,
    # Monday 6 May a substitute holiday for Children's Day.
    (kst(2024, 5, 10, 10), kst(2024, 5, 16, 10)),  # Friday -> Thursday (skips 13, 14, 15)
    (kst(2024, 5, 3, 10), kst(2024, 5, 9, 10)),   # Friday -> Thursday (skips the 6th)
    # Chuseok 2026 (24-26 Sep) and the substitute day for 개천절 (5 Oct).
    (kst(2026, 9, 23, 10), kst(2026, 9, 30, 10)),  # Wednesday -> Wednesday a week later
    (kst(2026, 10, 1, 10), kst(2026, 10, 7, 10)),  # Thursday -> Wednesday (skips 3 and 5 Oct)
    # A fixed solar holiday applies in a year the data file does not list.
    (kst(2031, 8, 14, 10), kst(2031, 8, 20, 10)),  # Thursday -> Wednesday (15 Aug is a Friday)
])
def test_first_contact_due_in_three_working_days(start, due):
    assert sla.contact_due(start) == due
    assert sla.contact_due(start.astimezone(UTC)) == due  # the same instant, given in UTC


def test_holiday_file_lists_the_years_it_covers():
    data = sla.holidays()
    for year in (2024, 2025, 2026, 2027):
        names = {name for day, name in data.items() if day.year == year}
        assert "설날" in names and "추석" in names
    assert not sla.is_working_day(datetime(2025, 6, 3).date())  # presidential election day
    assert sla.is_working_day(datetime(2025, 6, 4).date())


def test_plan_due_in_21_days():
    assert sla.plan_due(kst(2024, 5, 10, 10)) == kst(2024, 5, 31, 10)


def test_submit_sets_the_deadlines(hub):
    saturday_morning = datetime(2024, 5, 10, 23, 30, tzinfo=UTC)  # Sat 08:30 in Seoul
    with mock.patch("django.utils.timezone.now", return_value=saturday_morning):
        req = new_request(hub)
    assert req.created_at == saturday_morning
    assert req.contact_due_at == kst(2024, 5, 16, 8, 30)  # Mon, Tue, (Buddha's birthday), Thu
    assert req.plan_due_at == saturday_morning + timedelta(days=21)


def _age(req: SupportRequest, days: int, **extra: Any) -> None:
    """Pretend the request was filed `days` ago, with deadlines to match."""
    created = timezone.now() - timedelta(days=days)
    SupportRequest.objects.filter(pk=req.pk).update(
        created_at=created, contact_due_at=sla.contact_due(created),
        plan_due_at=sla.plan_due(created), **extra)


@pytest.fixture
def aged(hub: Any) -> dict[str, SupportRequest]:
    """One request per SLA situation, all of hub.firm, routed to hub.desk."""
    reqs = {
        "fresh": new_request(hub, title="신규 요청"),
        "no_contact": new_request(hub, title="연락 지연"),
        "no_plan": new_request(hub, title="계획 지연"),
        "both": new_request(hub, title="둘 다 지연"),
        "done_late": new_request(hub, title="종결된 지연"),
    }
    _age(reqs["no_contact"], 8)
    forward(hub, reqs["no_plan"], "triaged")
    _age(reqs["no_plan"], 25, first_contact_at=timezone.now() - timedelta(days=24))
    _age(reqs["both"], 30)
    actions.withdraw(hub.sme, reqs["done_late"], "자체 해결")
    _age(reqs["done_late"], 30, first_contact_at=None)
    return reqs


def _flags(page: Any) -> dict[str, tuple[bool, bool]]:
    return {r.title: (bool(r.contact_overdue), bool(r.plan_overdue)) for r in page}


def test_queue_flags_overdue_requests(as_persona, aged):
    response = as_persona("coordinator").get(reverse("queue"), {"status": "all"})
    assert _flags(response.context["page"]) == {
        "신규 요청": (False, False),
        "연락 지연": (True, False),
        "계획 지연": (False, True),
        "둘 다 지연": (True, True),
        "종결된 지연": (False, False),  # ended requests are never overdue
    }
    assert response.context["overdue_count"] == 3
    html = response.content.decode()
    assert html.count("first contact overdue") == 2 and html.count("plan overdue") == 2
    assert "3 overdue" in html


def test_queue_overdue_filter(as_persona, aged):
    response = as_persona("coordinator").get(reverse("queue"), {"overdue": "1"})
    assert sorted(r.title for r in response.context["page"]) == ["계획 지연", "둘 다 지연",
                                                                 "연락 지연"]


def test_other_centres_overdue_is_not_ours(as_persona, aged):
    response = as_persona("other_coordinator").get(reverse("queue"), {"overdue": "1"})
    assert list(response.context["page"]) == [] and response.context["overdue_count"] == 0


def test_contact_and_plan_clear_the_flags(hub, as_persona, aged):
    actions.triage(hub.coordinator, aged["no_contact"])  # first contact made, late
    forward(hub, aged["no_plan"], "in_progress")  # the expert's plan
    response = as_persona("coordinator").get(reverse("queue"), {"overdue": "1"})
    assert [r.title for r in response.context["page"]] == ["둘 다 지연"]


def test_a_deadline_not_yet_passed_is_not_overdue(hub, as_persona):
    req = new_request(hub)
    SupportRequest.objects.filter(pk=req.pk).update(
        contact_due_at=timezone.now() + timedelta(minutes=5))
    assert not SupportRequest.objects.overdue().exists()
    SupportRequest.objects.filter(pk=req.pk).update(
        contact_due_at=timezone.now() - timedelta(minutes=5))
    assert list(SupportRequest.objects.overdue()) == [req]


def test_sme_sees_the_same_flags_on_its_list(as_persona, aged):
    page = as_persona("sme").get(reverse("requests")).context["page"]
    assert _flags(page)["연락 지연"] == (True, False)
