"""Shared equipment through the real pages in Chromium, in Korean: a trained SME user finds a
machine by what it must do, opens its week, books a free slot with the live check showing the
quote, another firm's user sees the conflict before submitting; the owner's staff approve it
from the queue; the booking appears in "my bookings" with its iCalendar feed."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.utils import translation
from playwright.sync_api import Page, expect

from clusterhub.equipment.models import Booking, Training
from clusterhub.equipment.tests.factories import EquipmentFactory, open_weekdays
from clusterhub.testing import PASSWORD, build_hub, make_user

pytestmark = pytest.mark.browser


def tr(message: str) -> str:
    with translation.override("ko"):
        return translation.gettext(message)


def log_in(page: Page, username: str) -> None:
    page.goto("/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    expect(page.locator("header .me span")).to_have_text(username)


def fill_slot(page: Page, start: str, end: str) -> None:
    page.fill("#id_start", start)
    page.fill("#id_end", end)
    page.select_option("#id_mode", "direct")
    page.locator("#id_purpose").fill("금형 부품 3차원 치수 측정")  # a change: the live check runs


def test_find_book_check_approve(transactional_db: Any, new_page: Any) -> None:
    hub = build_hub()
    open_weekdays(hub.centre)
    item = EquipmentFactory(external_id="cmm-1", name="3차원 측정기", owner=hub.institute,
                            site=hub.centre)
    EquipmentFactory(external_id="utm-1", name="만능재료시험기", owner=hub.institute,
                     site=hub.centre, capabilities="인장 시험, 압축 시험")
    Training.objects.create(user=hub.sme, equipment=item)
    Training.objects.create(user=hub.other_sme, equipment=item)
    make_user("centre-staff", "coordinator", hub.centre)

    page = new_page()
    log_in(page, "sme")
    page.goto("/equipment/")
    expect(page.locator("h1")).to_have_text(tr("Shared equipment"))
    page.fill("input[name=q]", "형상 공차")
    page.locator("main form.filters button[type=submit]").click()
    first = page.locator("main table tbody tr").first  # ranked by what the machine must do
    expect(first).to_contain_text("3차원 측정기")
    first.locator("a").click()
    page.wait_for_url("**/equipment/items/cmm-1/")
    page.goto("/equipment/items/cmm-1/?week=2030-03-04")
    expect(page.locator("table.eq-week td.free").first).to_be_visible()
    page.locator("table.eq-week td.free a").first.click()
    page.wait_for_url(re.compile(r"/equipment/items/cmm-1/book/\?start="))

    fill_slot(page, "2030-03-04T10:00", "2030-03-04T12:00")
    feedback = page.locator("#feedback")
    expect(feedback).to_contain_text("80,000")  # 2 h x 50,000 less the 20 % SME discount
    with page.expect_navigation(url=re.compile(r"/equipment/bookings/\d+/$")):
        page.locator("main form button[type=submit]").click()
    expect(page.locator("h1 .badge")).to_have_text(tr("Awaiting approval"))
    booking = Booking.objects.get()

    # Another firm's user sees the conflict while filling the form.
    other = new_page()
    log_in(other, "sme2")
    other.goto("/equipment/items/cmm-1/book/")
    fill_slot(other, "2030-03-04T11:00", "2030-03-04T13:00")
    expect(other.locator("#feedback .bad")).to_contain_text("2030-03-04 09:45")
    assert Booking.objects.count() == 1

    # The centre's staff approve it from the queue.
    staff = new_page()
    log_in(staff, "centre-staff")
    staff.goto("/equipment/approvals/")
    with staff.expect_navigation():
        staff.locator("main table button[type=submit]").first.click()
    booking.refresh_from_db()
    assert booking.status == "confirmed"

    page.goto("/equipment/bookings/")
    expect(page.locator("main table tbody")).to_contain_text(tr("Confirmed"))
    feed = page.request.get("/equipment/bookings/calendar.ics")
    assert feed.ok and "DTSTART:20300304T010000Z" in feed.text()
