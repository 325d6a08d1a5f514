"""The API: registry, availability, booking (201 / 409 with the interval / 422 with the
reason), cancel, my bookings, feeds; personas; external ids."""

from __future__ import annotations

import json
from typing import Any

import pytest

from clusterhub.equipment import actions
from clusterhub.equipment.models import Booking

from .conftest import PERSONAS
from .factories import seoul

pytestmark = pytest.mark.django_db


def post(client: Any, url: str, data: dict[str, Any]) -> Any:
    return client.post(url, json.dumps(data), content_type="application/json")


SLOT = {"start": "2030-03-04T10:00:00+09:00", "end": "2030-03-04T12:00:00+09:00",
        "mode": "direct", "purpose": "금형 부품 3차원 측정"}


def test_registry_is_public_and_takes_external_ids(client: Any, machine: Any) -> None:
    rows = client.get("/api/v1/equipment?q=측정").json()
    assert rows["count"] == 1 and rows["items"][0]["id"] == "cmm-1"
    assert rows["items"][0]["classification_label"].startswith("물리적 특성 분석장비")
    assert client.get("/api/v1/equipment/cmm-1").json()["name"] == machine.name
    assert client.get(f"/api/v1/equipment/{machine.pk}").status_code == 200
    assert client.get("/api/v1/equipment/nope").status_code == 404
    machine.status = "retired"
    machine.save()
    assert client.get("/api/v1/equipment/cmm-1").status_code == 404


def test_availability_in_utc_with_seoul_opening_hours(client: Any, hub: Any, machine: Any) -> None:
    actions.request_booking(hub.sme, machine, start=seoul(4, 10), end=seoul(4, 12))
    r = client.get("/api/v1/equipment/cmm-1/availability",
                   {"from": "2030-03-04T00:00:00+09:00", "to": "2030-03-05T00:00:00+09:00"})
    body = r.json()
    assert r.status_code == 200 and body["time_zone"] == "Asia/Seoul"
    # Open 09:00-18:00 Seoul = 00:00-09:00 UTC.
    assert body["open"] == [{"start": "2030-03-04T00:00:00Z", "end": "2030-03-04T09:00:00Z"}]
    assert body["busy"] == [{"start": "2030-03-04T00:45:00Z", "end": "2030-03-04T03:15:00Z",
                             "status": "requested"}]
    # Free for a use: until 09:30 (its cleaning meets 09:45) and from 12:30 Seoul.
    assert body["free"] == [{"start": "2030-03-04T00:00:00Z", "end": "2030-03-04T00:30:00Z"},
                            {"start": "2030-03-04T03:30:00Z", "end": "2030-03-04T09:00:00Z"}]


def test_availability_bad_window(client: Any, machine: Any) -> None:
    r = client.get("/api/v1/equipment/cmm-1/availability",
                   {"from": "2030-03-05T00:00:00+09:00", "to": "2030-03-04T00:00:00+09:00"})
    assert r.status_code == 422 and r.json()["field"] == "to"


def test_book_201_then_409_with_the_interval(api_for: Any, hub: Any, machine: Any) -> None:
    r = post(api_for(hub.sme), "/api/v1/equipment/cmm-1/bookings", SLOT)
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["status"] == "requested" and body["start"] == "2030-03-04T01:00:00Z"
    assert body["quote"] == {"fee_krw": 100000.0, "discount_krw": 20000.0, "voucher_krw": 0.0,
                             "total_krw": 80000.0, "sme": True}
    r = post(api_for(hub.other_sme), "/api/v1/equipment/cmm-1/bookings",
             {**SLOT, "mode": "analysis", "start": "2030-03-04T11:30:00+09:00"})
    assert r.status_code == 409
    assert r.json()["conflict"] == {"start": "2030-03-04T00:45:00Z", "end": "2030-03-04T03:15:00Z"}
    assert Booking.objects.count() == 1


@pytest.mark.parametrize("change,fieldname", [
    ({"end": "2030-03-04T09:00:00+09:00"}, "end"),
    ({"start": "2020-03-04T10:00:00+09:00", "end": "2020-03-04T11:00:00+09:00"}, "start"),
    ({"start": "2030-03-04T19:00:00+09:00", "end": "2030-03-04T20:00:00+09:00"}, "start"),
    ({"end": "2030-03-04T17:59:00+09:00", "start": "2030-03-04T09:00:00+09:00"}, "end"),
    ({"mode": "teleport"}, "mode"),
    ({"start": "not a date"}, "start"),
])
def test_bad_input_422_with_reason_and_nothing_written(api_for: Any, hub: Any, machine: Any,
                                                       change: dict[str, Any], fieldname: str) -> None:
    r = post(api_for(hub.sme), "/api/v1/equipment/cmm-1/bookings", {**SLOT, **change})
    assert r.status_code == 422, r.content
    assert r.json()["field"] == fieldname and r.json()["message"]
    assert not Booking.objects.exists()


def test_untrained_and_unknown_item(api_for: Any, hub: Any, machine: Any) -> None:
    r = post(api_for(hub.other_sme), "/api/v1/equipment/cmm-1/bookings", SLOT)
    assert r.status_code == 422 and "training" in r.json()["message"]
    assert post(api_for(hub.sme), "/api/v1/equipment/nope/bookings", SLOT).status_code == 404
    assert post(api_for(None), "/api/v1/equipment/cmm-1/bookings", SLOT).status_code == 401
    r = post(api_for(hub.analyst), "/api/v1/equipment/cmm-1/bookings", SLOT)
    assert r.status_code == 403
    assert not Booking.objects.exists()


def test_naive_times_refused(api_for: Any, hub: Any, machine: Any) -> None:
    r = post(api_for(hub.sme), "/api/v1/equipment/cmm-1/bookings",
             {**SLOT, "start": "2030-03-04T10:00:00", "end": "2030-03-04T12:00:00"})
    assert r.status_code == 422 and "offset" in r.json()["message"]


def test_weekly_series_with_skip(api_for: Any, hub: Any, machine: Any) -> None:
    actions.request_booking(hub.other_sme, machine, start=seoul(11, 10), end=seoul(11, 11),
                            mode="analysis")
    r = post(api_for(hub.sme), "/api/v1/equipment/cmm-1/bookings", {**SLOT, "repeat_weeks": 3})
    assert r.status_code == 201
    assert len(r.json()["skipped"]) == 1
    assert Booking.objects.filter(booked_by=hub.sme).count() == 2


@pytest.mark.parametrize("persona", PERSONAS)
def test_cancel_personas(api_for: Any, user_of: Any, hub: Any, machine: Any, persona: str) -> None:
    b = actions.request_booking(hub.sme, machine, start=seoul(4, 10), end=seoul(4, 12))
    r = post(api_for(user_of(persona)), f"/api/v1/bookings/{b.pk}/cancel", {"reason": "변경"})
    expected = {"sme": 200, "staff": 200, "admin": 200, "analyst": 403, "anonymous": 401}
    assert r.status_code == expected.get(persona, 404), (persona, r.content)
    b.refresh_from_db()
    assert (b.status == "cancelled") == (r.status_code == 200)


@pytest.mark.parametrize("persona", PERSONAS)
def test_booking_lists_personas(api_for: Any, user_of: Any, hub: Any, machine: Any,
                                persona: str) -> None:
    b = actions.request_booking(hub.sme, machine, start=seoul(4, 10), end=seoul(4, 12))
    client = api_for(user_of(persona))
    r = client.get("/api/v1/bookings")
    if persona == "anonymous":
        assert r.status_code == 401
        return
    sees = persona in ("sme", "staff", "admin", "analyst")
    assert [x["id"] for x in r.json()["items"]] == ([b.pk] if sees else [])
    assert client.get(f"/api/v1/bookings/{b.pk}").status_code == (200 if sees else 404)
    mine = client.get("/api/v1/bookings?mine=true").json()["items"]
    assert [x["id"] for x in mine] == ([b.pk] if persona == "sme" else [])


def test_feeds(client: Any, api_for: Any, hub: Any, machine: Any) -> None:
    actions.request_booking(hub.sme, machine, start=seoul(4, 10), end=seoul(4, 12),
                            purpose="비밀 시제품")
    item = client.get("/api/v1/equipment/cmm-1/calendar.ics")
    assert item.status_code == 200 and item["Content-Type"].startswith("text/calendar")
    text = item.content.decode()
    assert "DTSTART:20300304T010000Z" in text and "비밀" not in text  # no purposes in public
    mine = api_for(hub.sme).get("/api/v1/bookings.ics").content.decode()
    assert "비밀 시제품" in mine
    assert "BEGIN:VEVENT" not in api_for(hub.other_sme).get("/api/v1/bookings.ics").content.decode()


def test_a_booking_links_to_the_firms_equipment_use_request(api_for: Any, hub: Any,
                                                            machine: Any) -> None:
    from clusterhub.testing import new_request

    req = new_request(hub, support_type="equipment", title="3차원 측정 장비 사용")
    r = post(api_for(hub.sme), "/api/v1/equipment/cmm-1/bookings",
             {**SLOT, "support_request": req.pk})
    assert r.status_code == 201, r.content
    assert r.json()["support_request"] == req.pk
    event = req.events.get(action="booking")  # on the request's timeline
    assert event.actor == hub.sme and machine.name in event.note and "10:00" in event.note


def test_a_booking_cannot_link_to_someone_elses_or_another_kind_of_request(
        api_for: Any, hub: Any, machine: Any) -> None:
    from clusterhub.testing import new_request

    theirs = new_request(hub, support_type="equipment")
    r = post(api_for(hub.other_sme), "/api/v1/equipment/cmm-1/bookings",
             {**SLOT, "support_request": theirs.pk})
    assert r.status_code == 404  # not yours answers like missing
    guidance = new_request(hub)
    r = post(api_for(hub.sme), "/api/v1/equipment/cmm-1/bookings",
             {**SLOT, "support_request": guidance.pk})
    assert r.status_code == 422 and r.json()["field"] == "support_request"
    assert not Booking.objects.exists()
    assert not guidance.events.filter(action="booking").exists()


def test_which_items_are_free(client: Any, hub: Any, machine: Any,
                              django_assert_max_num_queries: Any) -> None:
    from .factories import EquipmentFactory

    busy_all_day = EquipmentFactory(external_id="cmm-2", owner=hub.institute, site=hub.centre,
                                    requires_approval=False, setup_minutes=0, cleanup_minutes=0)
    actions.request_booking(hub.sme, machine, start=seoul(4, 10), end=seoul(4, 12))
    actions.request_booking(hub.sme, busy_all_day, start=seoul(4, 9), end=seoul(4, 17),
                            mode="analysis")
    window = {"from": "2030-03-04T00:00:00+09:00", "to": "2030-03-05T00:00:00+09:00"}
    with django_assert_max_num_queries(8):  # the same few queries for any number of items
        r = client.get("/api/v1/equipment/free", window)
    assert r.status_code == 200
    by_id = {row["equipment"]: row for row in r.json()}
    # cmm-1: 09:00-18:00 Seoul minus 10:00-12:00 and its 15-minute buffers, leaving room for a
    # new booking's own buffers: it may run 09:00-09:30 or 12:30-18:00.
    assert by_id["cmm-1"]["free"] == [
        {"start": "2030-03-04T00:00:00Z", "end": "2030-03-04T00:30:00Z"},
        {"start": "2030-03-04T03:30:00Z", "end": "2030-03-04T09:00:00Z"}]
    assert by_id["cmm-1"]["free_hours"] == 6.0 and by_id["cmm-1"]["region"] == "경남"
    assert by_id["cmm-2"]["free_hours"] == 1.0  # 17:00-18:00 only
    two_hours = client.get("/api/v1/equipment/free", {**window, "minutes": 120}).json()
    assert [row["equipment"] for row in two_hours] == ["cmm-1"]
    assert [row["free"] for row in two_hours][0] == [
        {"start": "2030-03-04T03:30:00Z", "end": "2030-03-04T09:00:00Z"}]
    bad = client.get("/api/v1/equipment/free", {**window, "minutes": -5})
    assert bad.status_code == 422 and bad.json()["field"] == "minutes"
    naive = client.get("/api/v1/equipment/free", {"from": "2030-03-04T00:00:00"})
    assert naive.status_code == 422 and naive.json()["field"] == "from"
