"""Outcome check-ins: closing a case creates follow-ups at 3, 6 and 12 months and enqueues one
django-task each (database backend) after the commit; running the task notifies the firm once."""

from __future__ import annotations

from datetime import UTC, datetime, time
from typing import Any

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from clusterhub.core.models import Notification
from clusterhub.support import actions
from clusterhub.support.models import FollowUp
from clusterhub.support.tasks import send_follow_up
from clusterhub.testing import new_request

from .conftest import forward

TASK_PATH = "clusterhub.support.tasks.send_follow_up"


@pytest.fixture
def ready_to_close(hub: Any) -> Any:
    return forward(hub, new_request(hub), "outcome_recorded")


@pytest.fixture
def closed(hub: Any, ready_to_close: Any, django_capture_on_commit_callbacks: Any) -> Any:
    with django_capture_on_commit_callbacks(execute=True):
        return actions.close(hub.coordinator, ready_to_close, "종료")


def run_worker_on(row: DBTaskResult) -> DBTaskResult:
    """Run one stored task the way `db_worker` does, and return its updated row."""
    from django_tasks_db.management.commands.db_worker import Worker

    worker = Worker(queue_names=["default"], interval=0, batch=True, backend_name="default",
                    startup_delay=False, max_tasks=1, worker_id="test", excluded_queue_names=[])
    worker.run_task(row)
    return DBTaskResult.objects.get(pk=row.pk)


def test_close_creates_three_follow_ups(hub, closed):
    today = timezone.localdate()
    follow_ups = list(closed.follow_ups.order_by("months"))
    assert [f.months for f in follow_ups] == [3, 6, 12]
    assert [(f.due_on - today).days for f in follow_ups] == [91, 183, 365]
    assert all(f.sent_at is None and f.answered_at is None for f in follow_ups)


def test_tasks_are_enqueued_only_after_commit(hub, ready_to_close,
                                              django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        req = actions.close(hub.coordinator, ready_to_close)
    assert req.follow_ups.count() == 3
    assert not DBTaskResult.objects.exists()
    assert set(req.follow_ups.values_list("task_id", flat=True)) == {""}
    for callback in callbacks:
        callback()
    assert DBTaskResult.objects.count() == 3


def test_a_rolled_back_close_enqueues_nothing(hub, ready_to_close,
                                              django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks, \
            pytest.raises(actions.ActionRefused):
        actions.close(hub.sme, ready_to_close)
    assert callbacks == [] and not DBTaskResult.objects.exists()
    assert not FollowUp.objects.exists()


def test_enqueued_tasks_run_at_nine_on_the_due_day(hub, closed):
    rows = {r.args_kwargs["args"][0]: r for r in DBTaskResult.objects.all()}
    assert len(rows) == 3
    for fu in closed.follow_ups.all():
        row = rows[fu.pk]
        assert row.task_path == TASK_PATH
        assert row.status == "READY"
        assert row.args_kwargs == {"args": [fu.pk], "kwargs": {}}
        assert fu.task_id == str(row.id)
        local = timezone.localtime(row.run_after)
        assert (local.date(), local.time()) == (fu.due_on, time(9, 0))
        assert str(local.tzinfo) == "Asia/Seoul"
    # None is ready to run today.
    assert not DBTaskResult.objects.ready().exists()


def test_running_the_task_notifies_the_firm_once(hub, closed, django_capture_on_commit_callbacks,
                                                 mailoutbox):
    mailoutbox.clear()  # the closing mail
    fu = closed.follow_ups.get(months=6)
    row = DBTaskResult.objects.get(pk=fu.task_id)
    before = Notification.objects.count()
    with django_capture_on_commit_callbacks(execute=True):
        row = run_worker_on(row)
    assert (row.status, row.return_value) == ("SUCCESSFUL", "sent")
    (note,) = Notification.objects.order_by("-id")[: Notification.objects.count() - before]
    assert note.user == hub.sme
    assert note.subject.startswith("6-month check-in") and closed.title in note.subject
    assert note.url == closed.get_absolute_url()
    assert [m.to for m in mailoutbox] == [["sme@example.org"]]
    fu.refresh_from_db()
    assert fu.sent_at is not None

    # Run again (a retry, a second worker): nothing more is sent.
    assert send_follow_up.call(fu.pk) == "skipped"
    assert Notification.objects.count() == before + 1
    assert len(mailoutbox) == 1


def test_task_for_a_vanished_follow_up_is_skipped(hub):
    assert send_follow_up.call(987654) == "skipped"
    assert not Notification.objects.exists()


def test_only_active_members_of_the_firm_are_asked(hub, closed):
    from clusterhub.testing import make_user

    colleague = make_user("sme-colleague", "sme", hub.firm)
    gone = make_user("sme-gone", "sme", hub.firm)
    gone.is_active = False
    gone.save()
    send_follow_up.call(closed.follow_ups.get(months=3).pk)
    asked = Notification.objects.filter(subject__contains="check-in")
    assert set(asked.values_list("user__username", flat=True)) == {"sme", colleague.username}


def test_follow_up_months_come_from_settings(hub, ready_to_close, settings):
    settings.CLUSTERHUB_FOLLOW_UP_MONTHS = [1, 24]
    req = actions.close(hub.coordinator, ready_to_close)
    assert list(req.follow_ups.values_list("months", flat=True)) == [1, 24]


def test_answer_appears_on_the_request_page(hub, closed, as_persona):
    fu = closed.follow_ups.get(months=3)
    client = as_persona("sme")
    page = client.get(closed.get_absolute_url()).content.decode()
    answer_url = f"/requests/{closed.pk}/follow-ups/{fu.pk}/"
    assert answer_url not in page  # not asked yet
    send_follow_up.call(fu.pk)
    assert answer_url in client.get(closed.get_absolute_url()).content.decode()
    client.post(answer_url, {"answer": "양산 적용 후 불량률 2% 유지"})
    page = client.get(closed.get_absolute_url()).content.decode()
    assert "양산 적용 후 불량률 2% 유지" in page and answer_url not in page


def test_answer_needs_text(hub, closed, as_persona):
    fu = closed.follow_ups.get(months=3)
    send_follow_up.call(fu.pk)
    with pytest.raises(actions.ActionRefused, match="how things stand"):
        actions.answer_follow_up(hub.sme, fu, "   ")
    fu.refresh_from_db()
    assert fu.answered_at is None


@pytest.mark.parametrize("frozen", [
    datetime(2024, 1, 30, 23, 0, tzinfo=UTC),  # 08:00 on 31 January in Seoul
    datetime(2024, 1, 31, 6, 0, tzinfo=UTC),  # 15:00 on 31 January in Seoul
])
def test_due_dates_count_from_the_local_day_of_closing(hub, ready_to_close, frozen):
    """Early in the morning in Seoul it is still yesterday in UTC (timezone.now() is UTC); the
    due dates must not come a day early."""
    from datetime import date
    from unittest import mock

    with mock.patch("django.utils.timezone.now", return_value=frozen):
        req = actions.close(hub.coordinator, ready_to_close)
    assert req.closed_at == frozen
    due = {f.months: f.due_on for f in req.follow_ups.all()}
    assert due == {3: date(2024, 5, 1), 6: date(2024, 8, 1), 12: date(2025, 1, 30)}


def test_answer_refused_before_the_check_in_is_sent_and_after_it_is_answered(hub, closed):
    fu = closed.follow_ups.get(months=3)
    with pytest.raises(actions.ActionRefused, match="not due yet"):
        actions.answer_follow_up(hub.sme, fu, "아직 결과 없음")
    send_follow_up.call(fu.pk)
    fu.refresh_from_db()
    actions.answer_follow_up(hub.sme, fu, "불량률 2% 유지")
    with pytest.raises(actions.ActionRefused, match="already answered"):
        actions.answer_follow_up(hub.sme, fu, "다시 답변")
    fu.refresh_from_db()
    assert fu.answer == "불량률 2% 유지"
