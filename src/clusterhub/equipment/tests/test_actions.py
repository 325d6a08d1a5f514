"""Booking rules, worked by hand: validation, buffers, conflicts, workflow, quotes, ledger."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from typing import Any

import pytest

from clusterhub.core.actions import ActionRefused
from clusterhub.core.models import AuditEvent
from clusterhub.equipment import actions
from clusterhub.equipment.models import Blackout, Booking, Compensation, Voucher

from .factories import EquipmentFactory, open_weekdays, seoul

pytestmark = pytest.mark.django_db


def book(user: Any, item: Any, start: datetime, end: datetime, **kw: Any) -> Booking:
    return actions.request_booking(user, item, start=start, end=end, **kw)


def test_request_waits_for_approval_then_confirms(hub: Any, machine: Any, staff: Any) -> None:
    b = book(hub.sme, machine, seoul(4, 10), seoul(4, 12), purpose="금형 치수 검사")
    assert b.status == "requested"
    assert b.start == datetime(2030, 3, 4, 1, 0, tzinfo=UTC)  # 10:00 Seoul = 01:00 UTC
    assert (b.blocked_start, b.blocked_end) == (seoul(4, 9, 45), seoul(4, 12, 15))
    assert staff.notifications.filter(subject__contains=machine.name).exists()
    b = actions.confirm(staff, b)
    assert b.status == "confirmed" and b.confirmed_at is not None
    assert hub.sme.notifications.filter(subject__startswith="Booking confirmed").exists()
    assert AuditEvent.objects.filter(verb="booking.confirmed", object_id=str(b.pk)).exists()


def test_no_approval_needed_confirms_at_once(hub: Any, machine: Any) -> None:
    machine.requires_approval = False
    machine.save()
    assert book(hub.sme, machine, seoul(4, 10), seoul(4, 12)).status == "confirmed"


@pytest.mark.parametrize("start,end,fieldname,words", [
    (seoul(4, 12), seoul(4, 10), "end", "after the start"),
    (seoul(4, 7), seoul(4, 9, 30), "start", "opening hours"),
    (seoul(4, 17), seoul(4, 19), "start", "opening hours"),
    (seoul(3, 10), seoul(3, 12), "start", "opening hours"),  # a Sunday
    (seoul(4, 10), seoul(4, 10, 15), "end", "Too short"),
    (seoul(4, 9), seoul(4, 17, 30), "end", "Too long"),
])
def test_bad_requests_say_why_and_write_nothing(hub: Any, machine: Any, start: datetime,
                                                end: datetime, fieldname: str, words: str) -> None:
    with pytest.raises(ActionRefused) as exc:
        book(hub.sme, machine, start, end)
    assert exc.value.code == "invalid" and exc.value.field == fieldname
    assert words in exc.value.message
    assert not Booking.objects.exists() and not AuditEvent.objects.filter(
        verb__startswith="booking").exists()


def test_past_and_notice(hub: Any, machine: Any) -> None:
    now = seoul(4, 8)
    with pytest.raises(ActionRefused, match="in the past"):
        book(hub.sme, machine, seoul(1, 10), seoul(1, 12), now=now)
    machine.notice_hours = 24
    machine.save()
    with pytest.raises(ActionRefused, match="24 hours ahead"):
        book(hub.sme, machine, seoul(4, 10), seoul(4, 12), now=now)
    assert book(hub.sme, machine, seoul(5, 10), seoul(5, 12), now=now).pk


def test_untrained_user_cannot_book_direct_use_but_may_ask_for_analysis(hub: Any, machine: Any) -> None:
    with pytest.raises(ActionRefused, match="needs training") as exc:
        book(hub.other_sme, machine, seoul(4, 10), seoul(4, 12), mode="direct")
    assert exc.value.field == "mode"
    assert book(hub.other_sme, machine, seoul(4, 10), seoul(4, 12), mode="analysis").pk


def test_training_expires(hub: Any, machine: Any) -> None:
    machine.trainings.update(valid_until=datetime(2020, 1, 1).date())
    with pytest.raises(ActionRefused, match="needs training"):
        book(hub.sme, machine, seoul(4, 10), seoul(4, 12))


def test_mode_not_offered_and_unavailable_item(hub: Any, machine: Any) -> None:
    with pytest.raises(ActionRefused, match="not offered"):
        book(hub.sme, machine, seoul(4, 10), seoul(4, 12), mode="pilot")
    machine.status = "maintenance"
    machine.save()
    with pytest.raises(ActionRefused, match="not available"):
        book(hub.sme, machine, seoul(4, 10), seoul(4, 12))


def test_blackout_refuses(hub: Any, machine: Any, staff: Any) -> None:
    actions.add_blackout(staff, machine, seoul(4, 11), seoul(4, 13), "정기 교정")
    with pytest.raises(ActionRefused, match="maintenance"):
        book(hub.sme, machine, seoul(4, 12), seoul(4, 14))
    Blackout.objects.all().delete()
    Blackout.objects.create(site=hub.centre, kind="closure", starts_at=seoul(5, 0),
                            ends_at=seoul(6, 0))
    with pytest.raises(ActionRefused, match="closed"):
        book(hub.sme, machine, seoul(5, 10), seoul(5, 12))


def test_outsiders_cannot_book(hub: Any, machine: Any) -> None:
    with pytest.raises(ActionRefused) as exc:
        book(hub.analyst, machine, seoul(4, 10), seoul(4, 12))
    assert exc.value.code == "forbidden"


def test_overlap_and_buffers(hub: Any, machine: Any) -> None:
    first = book(hub.sme, machine, seoul(4, 10), seoul(4, 12))
    # Overlapping use: refused, naming the buffered interval of the first booking.
    with pytest.raises(actions.BookingConflict) as exc:
        book(hub.other_sme, machine, seoul(4, 11), seoul(4, 13), mode="analysis")
    assert exc.value.interval == (seoul(4, 9, 45), seoul(4, 12, 15))
    assert exc.value.other == first
    # Back to back: the uses do not overlap, but 15 min cleaning + 15 min set-up do.
    with pytest.raises(actions.BookingConflict):
        book(hub.sme, machine, seoul(4, 12), seoul(4, 13))
    with pytest.raises(actions.BookingConflict):
        book(hub.sme, machine, seoul(4, 12, 15), seoul(4, 13))
    # 30 minutes after: the buffers just touch (half-open intervals), accepted.
    assert book(hub.sme, machine, seoul(4, 12, 30), seoul(4, 13, 30)).pk
    assert Booking.objects.count() == 2


def test_cancelled_and_refused_bookings_free_the_slot(hub: Any, machine: Any, staff: Any) -> None:
    b = book(hub.sme, machine, seoul(4, 10), seoul(4, 12))
    actions.cancel(hub.sme, b, "일정 변경")
    b2 = book(hub.sme, machine, seoul(4, 10), seoul(4, 12))
    actions.refuse(staff, b2, "장비 점검 예정")
    assert book(hub.sme, machine, seoul(4, 10), seoul(4, 12)).status == "requested"


def test_other_items_do_not_conflict(hub: Any, machine: Any) -> None:
    other = EquipmentFactory(owner=hub.institute, site=hub.centre, training_required=False)
    book(hub.sme, machine, seoul(4, 10), seoul(4, 12))
    assert book(hub.sme, other, seoul(4, 10), seoul(4, 12)).pk


def test_workflow_to_completion_with_ledger(hub: Any, machine: Any, staff: Any) -> None:
    b = book(hub.sme, machine, seoul(4, 10), seoul(4, 12))
    b = actions.confirm(staff, b)
    b = actions.check_in(hub.sme, b, now=seoul(4, 9, 55))
    assert b.status == "checked_in"
    b = actions.complete(staff, b, Decimal("1.75"), "치수 불량 원인 확인", now=seoul(4, 12))
    assert b.status == "completed" and b.actual_hours == Decimal("1.75")
    # Fee 2 h x 50,000 = 100,000; SME discount 20% = 20,000; charged 80,000; the owner is
    # owed its 30% share: 24,000 KRW, in the Seoul month of the use.
    row = Compensation.objects.get(booking=b)
    assert (row.owner, row.period, row.amount_krw) == (hub.institute, "2030-03", Decimal("24000"))


def test_use_by_the_owner_owes_nothing(hub: Any, machine: Any) -> None:
    owner_staff = hub.expert_user  # expert of the centre, not the owner
    machine.owner = hub.centre
    machine.save()
    b = book(owner_staff, machine, seoul(4, 10), seoul(4, 12), mode="analysis")
    actions.confirm(hub.admin, b)
    actions.complete(hub.admin, b, Decimal("2"))
    assert not Compensation.objects.exists()


def test_no_show_only_after_start_and_only_by_staff(hub: Any, machine: Any, staff: Any) -> None:
    b = actions.confirm(staff, book(hub.sme, machine, seoul(4, 10), seoul(4, 12)))
    with pytest.raises(ActionRefused, match="after the start"):
        actions.no_show(staff, b, now=seoul(4, 9))
    with pytest.raises(ActionRefused) as exc:
        actions.no_show(hub.sme, b, now=seoul(4, 11))
    assert exc.value.code == "forbidden"
    assert actions.no_show(staff, b, now=seoul(4, 11)).status == "no_show"


def test_transitions_refused_from_wrong_state(hub: Any, machine: Any, staff: Any) -> None:
    b = book(hub.sme, machine, seoul(4, 10), seoul(4, 12))
    with pytest.raises(ActionRefused) as exc:
        actions.complete(staff, b, Decimal("1"))
    assert exc.value.code == "invalid_transition"
    with pytest.raises(ActionRefused) as exc:
        actions.confirm(hub.sme, b)
    assert exc.value.code == "forbidden"
    with pytest.raises(ActionRefused) as exc:
        actions.confirm(hub.coordinator, b)  # a coordinator of another organisation
    assert exc.value.code == "forbidden"


def test_quote_sme_discount_and_voucher(hub: Any, machine: Any) -> None:
    voucher = Voucher.objects.create(code="V-1", firm=hub.firm, amount_krw=Decimal("50000"),
                                     coverage_pct=Decimal("50"))
    q = actions.quote(machine, seoul(4, 10), seoul(4, 13), "analysis", firm=hub.firm,
                      voucher=voucher)
    # 3 h x 50,000 + technician 3 h x 30,000 = 240,000; SME 20% -> 48,000 off = 192,000;
    # voucher covers 50% = 96,000 but holds only 50,000 -> pays 142,000.
    assert (q.fee_krw, q.discount_krw, q.voucher_krw, q.total_krw) == (
        Decimal("240000"), Decimal("48000"), Decimal("50000"), Decimal("142000"))
    assert q.sme
    big = hub.other_firm
    big.employees = 1000
    big.save()
    q = actions.quote(machine, seoul(4, 10), seoul(4, 13), "direct", firm=big)
    assert (q.fee_krw, q.discount_krw, q.total_krw, q.sme) == (
        Decimal("150000"), Decimal("0"), Decimal("150000"), False)


def test_voucher_charged_on_completion(hub: Any, machine: Any, staff: Any) -> None:
    voucher = Voucher.objects.create(code="V-2", firm=hub.firm, amount_krw=Decimal("100000"))
    b = book(hub.sme, machine, seoul(4, 10), seoul(4, 11), voucher=voucher)
    assert b.voucher_krw == Decimal("40000") and b.total_krw == 0
    actions.confirm(staff, b)
    actions.complete(staff, b, Decimal("1"))
    voucher.refresh_from_db()
    assert voucher.used_krw == Decimal("40000")


def test_foreign_voucher_refused(hub: Any, machine: Any) -> None:
    voucher = Voucher.objects.create(code="V-3", firm=hub.other_firm, amount_krw=Decimal("1000"))
    with pytest.raises(ActionRefused, match="Unknown voucher"):
        book(hub.sme, machine, seoul(4, 10), seoul(4, 11), voucher=voucher)


def test_per_sample_fee(hub: Any, machine: Any) -> None:
    machine.fee_unit = "sample"
    machine.fee_krw = Decimal("70000")
    machine.operator_fee_krw = Decimal("0")
    q = actions.quote(machine, seoul(4, 10), seoul(4, 11), "analysis", samples=4)
    assert q.fee_krw == Decimal("280000")


def test_series_skips_conflicts(hub: Any, machine: Any) -> None:
    book(hub.other_sme, machine, seoul(18, 10), seoul(18, 11), mode="analysis")  # third Monday
    result = actions.request_series(hub.sme, machine, start=seoul(4, 10), end=seoul(4, 12),
                                    count=4)
    assert [b.start.astimezone(seoul(4, 0).tzinfo).day for b in result.created] == [4, 11, 25]
    assert len(result.skipped) == 1 and "already booked" in result.skipped[0][1]
    assert len({b.series for b in result.created}) == 1


def test_series_without_skipping_is_all_or_nothing(hub: Any, machine: Any) -> None:
    book(hub.other_sme, machine, seoul(18, 10), seoul(18, 11), mode="analysis")
    with pytest.raises(actions.BookingConflict):
        actions.request_series(hub.sme, machine, start=seoul(4, 10), end=seoul(4, 12), count=4,
                               skip_conflicts=False)
    assert Booking.objects.count() == 1


def test_pilot_campaign_spans_days(hub: Any, staff: Any) -> None:
    open_weekdays(hub.centre)
    line = EquipmentFactory(owner=hub.institute, site=hub.centre, modes=["pilot"],
                            campaign_max_days=5, training_required=False,
                            name="용해·주조 파일럿 라인")
    b = book(hub.sme, line, seoul(4, 9), seoul(7, 18), mode="pilot", purpose="시제품 300개 주조")
    assert b.hours == 81
    with pytest.raises(ActionRefused, match="Too long"):
        book(hub.sme, line, seoul(11, 9), seoul(18, 9), mode="pilot")
    with pytest.raises(actions.BookingConflict):
        book(hub.sme, line, seoul(6, 0), seoul(6, 12), mode="pilot")


def test_hold_expires(hub: Any, machine: Any) -> None:
    now = datetime(2030, 3, 1, tzinfo=UTC)
    held = book(hub.sme, machine, seoul(4, 10), seoul(4, 12), hold=True, now=now)
    assert held.status == "held"
    with pytest.raises(actions.BookingConflict):
        book(hub.other_sme, machine, seoul(4, 10), seoul(4, 12), mode="analysis",
             now=now + timedelta(minutes=5))
    b = book(hub.other_sme, machine, seoul(4, 10), seoul(4, 12), mode="analysis",
             now=now + timedelta(minutes=20))
    held.refresh_from_db()
    assert held.status == "cancelled" and b.status == "requested"


def test_support_request_link_needs_equipment_type(hub: Any, machine: Any) -> None:
    from clusterhub.testing import new_request

    wrong = new_request(hub)
    with pytest.raises(ActionRefused, match="equipment use"):
        book(hub.sme, machine, seoul(4, 10), seoul(4, 11), support_request=wrong)
    right = new_request(hub, support_type="equipment", title="3차원 측정 의뢰")
    b = book(hub.sme, machine, seoul(4, 10), seoul(4, 11), support_request=right)
    assert list(right.bookings.all()) == [b]
    assert actions.record_outcome(hub.sme, b, "치수 보고서 수령").outcome == "치수 보고서 수령"


def test_opening_hours_split_in_two(hub: Any, machine: Any) -> None:
    from clusterhub.equipment.models import OpeningHours

    OpeningHours.objects.filter(site=hub.centre).delete()
    OpeningHours.objects.create(site=hub.centre, weekday=0, opens=time(9), closes=time(12))
    OpeningHours.objects.create(site=hub.centre, weekday=0, opens=time(13), closes=time(18))
    with pytest.raises(ActionRefused, match="opening hours"):
        book(hub.sme, machine, seoul(4, 11), seoul(4, 14))
    assert book(hub.sme, machine, seoul(4, 13), seoul(4, 14)).pk


def test_the_database_itself_guards_the_invariant(hub: Any, machine: Any) -> None:
    """PostgreSQL: a direct insert that bypasses the action is refused by the exclusion
    constraint. SQLite: the action's transaction begins IMMEDIATE (write lock at BEGIN)."""
    from django.conf import settings
    from django.db import IntegrityError, connection, transaction

    book(hub.sme, machine, seoul(4, 10), seoul(4, 12))
    if connection.vendor == "postgresql":
        with pytest.raises(IntegrityError), transaction.atomic():
            Booking.objects.create(equipment=machine, start=seoul(4, 11), end=seoul(4, 13),
                                   blocked_start=seoul(4, 11), blocked_end=seoul(4, 13),
                                   status="confirmed")
        # Ended bookings do not block: the constraint is partial on the blocking statuses.
        Booking.objects.create(equipment=machine, start=seoul(4, 11), end=seoul(4, 13),
                               blocked_start=seoul(4, 11), blocked_end=seoul(4, 13),
                               status="cancelled")
    else:
        assert settings.DATABASES["default"]["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
    with pytest.raises(actions.BookingConflict):
        book(hub.sme, machine, seoul(4, 11), seoul(4, 13))
    from clusterhub.equipment.models import UnmetDemand

    assert UnmetDemand.objects.filter(equipment=machine).count() == 1
