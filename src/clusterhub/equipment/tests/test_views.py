"""Pages: every persona on every page (404 for not-yours), the booking form with its live
check, the approval queue, the dashboard; pinned query counts on list pages."""

from __future__ import annotations

from typing import Any

import pytest

from clusterhub.equipment import actions
from clusterhub.equipment.models import Booking

from .conftest import PERSONAS
from .factories import EquipmentFactory, seoul

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("persona", PERSONAS)
def test_public_pages(client_for: Any, user_of: Any, machine: Any, persona: str) -> None:
    c = client_for(user_of(persona))
    assert c.get("/equipment/?q=측정").status_code == 200
    r = c.get("/equipment/items/cmm-1/?week=2030-03-06")
    assert r.status_code == 200 and machine.capabilities in r.content.decode()
    assert c.get("/equipment/items/nope/").status_code == 404
    assert c.get("/equipment/items/cmm-1/calendar.ics").status_code == 200


@pytest.mark.parametrize("persona", PERSONAS)
def test_booking_page_personas(client_for: Any, user_of: Any, hub: Any, machine: Any,
                               persona: str) -> None:
    b = actions.request_booking(hub.sme, machine, start=seoul(4, 10), end=seoul(4, 12))
    r = client_for(user_of(persona)).get(f"/equipment/bookings/{b.pk}/")
    if persona == "anonymous":
        assert r.status_code == 302
    else:
        sees = persona in ("sme", "staff", "admin", "analyst")
        assert r.status_code == (200 if sees else 404)


@pytest.mark.parametrize("persona", PERSONAS)
def test_confirm_by_post_personas(client_for: Any, user_of: Any, hub: Any, machine: Any,
                                  persona: str) -> None:
    b = actions.request_booking(hub.sme, machine, start=seoul(4, 10), end=seoul(4, 12))
    r = client_for(user_of(persona)).post(f"/equipment/bookings/{b.pk}/confirm/")
    b.refresh_from_db()
    if persona == "anonymous":
        assert r.status_code == 302 and b.status == "requested"
    elif persona in ("staff", "admin"):
        assert r.status_code == 302 and b.status == "confirmed"
    elif persona in ("sme", "analyst"):  # sees it, may not approve it
        assert r.status_code == 302 and b.status == "requested"
    else:
        assert r.status_code == 404 and b.status == "requested"


@pytest.mark.parametrize("persona", PERSONAS)
def test_role_pages(client_for: Any, user_of: Any, machine: Any, persona: str) -> None:
    c = client_for(user_of(persona))
    expected = {
        "/equipment/bookings/": 200,
        "/equipment/approvals/": 200 if persona in ("coordinator", "other_coordinator", "staff",
                                                     "admin") else 404,
        "/equipment/utilisation/": 200 if persona in ("coordinator", "other_coordinator", "staff",
                                                       "admin", "analyst") else 404,
        "/equipment/items/cmm-1/book/": 200 if persona not in ("analyst",) else 404,
        "/equipment/bookings/calendar.ics": 200,
    }
    for url, code in expected.items():
        r = c.get(url)
        assert r.status_code == (302 if persona == "anonymous" else code), (url, persona)


def test_book_through_the_form(client_for: Any, hub: Any, machine: Any) -> None:
    c = client_for(hub.sme)
    data = {"start": "2030-03-04T10:00", "end": "2030-03-04T12:00", "mode": "direct",
            "purpose": "치수 측정", "repeat_weeks": 1, "samples": 0}
    r = c.post("/equipment/items/cmm-1/book/", data)
    b = Booking.objects.get()
    assert r.status_code == 302 and r["Location"] == f"/equipment/bookings/{b.pk}/"
    assert b.start == seoul(4, 10)  # the form's wall-clock time is Seoul time
    r = c.post("/equipment/items/cmm-1/book/", data)
    assert r.status_code == 200 and "already booked" in r.content.decode()
    assert Booking.objects.count() == 1


def test_the_form_offers_and_links_only_the_firms_equipment_use_requests(
        client_for: Any, hub: Any, machine: Any) -> None:
    from clusterhub.testing import new_request

    req = new_request(hub, support_type="equipment", title="측정 장비 사용 요청")
    other = new_request(hub, title="기공 불량 자문")  # guidance: not offered
    c = client_for(hub.sme)
    page = c.get(f"/equipment/items/cmm-1/book/?request={req.pk}").content.decode()
    assert f'<option value="{req.pk}" selected>#{req.pk} 측정 장비 사용 요청</option>' in page
    assert f'value="{other.pk}"' not in page
    data = {"start": "2030-03-04T10:00", "end": "2030-03-04T12:00", "mode": "direct",
            "purpose": "치수 측정", "repeat_weeks": 1, "samples": 0, "support_request": req.pk}
    assert c.post("/equipment/items/cmm-1/book/", data).status_code == 302
    assert Booking.objects.get().support_request == req
    assert req.events.filter(action="booking").count() == 1
    theirs = client_for(hub.other_sme).post("/equipment/items/cmm-1/book/", {
        **data, "start": "2030-03-05T10:00", "end": "2030-03-05T12:00"})
    assert theirs.status_code == 200 and Booking.objects.count() == 1  # not a choice for them


def test_live_check(client_for: Any, hub: Any, machine: Any) -> None:
    c = client_for(hub.sme)
    data = {"start": "2030-03-04T10:00", "end": "2030-03-04T12:00", "mode": "direct"}
    r = c.post("/equipment/items/cmm-1/check/", data)
    assert "80,000" in r.content.decode() or "80000" in r.content.decode()
    actions.request_booking(hub.other_sme, machine, start=seoul(4, 11), end=seoul(4, 13),
                            mode="analysis")
    r = c.post("/equipment/items/cmm-1/check/", data)
    assert "Conflict" in r.content.decode() and "already booked" in r.content.decode()
    r = c.post("/equipment/items/cmm-1/check/", {**data, "start": "2030-03-04T20:00",
                                                  "end": "2030-03-04T21:00"})
    assert "opening hours" in r.content.decode()
    assert Booking.objects.count() == 1  # checking writes nothing


def test_approval_queue_shows_only_own_items(client_for: Any, hub: Any, machine: Any,
                                             staff: Any) -> None:
    other = EquipmentFactory(owner=hub.desk, site=hub.desk, name="만능재료시험기",
                             training_required=False)
    from .factories import open_weekdays

    open_weekdays(hub.desk)
    mine = actions.request_booking(hub.sme, machine, start=seoul(4, 10), end=seoul(4, 12))
    theirs = actions.request_booking(hub.sme, other, start=seoul(4, 10), end=seoul(4, 12))
    page = client_for(staff).get("/equipment/approvals/").content.decode()
    assert f"/equipment/bookings/{mine.pk}/" in page
    assert f"/equipment/bookings/{theirs.pk}/" not in page


def test_list_queries_are_pinned(client_for: Any, hub: Any, staff: Any,
                                 django_assert_num_queries: Any) -> None:
    from .factories import open_weekdays

    open_weekdays(hub.centre)
    items = [EquipmentFactory(owner=hub.institute, site=hub.centre, training_required=False)
             for _ in range(6)]
    for i, item in enumerate(items):
        actions.request_booking(hub.sme, item, start=seoul(4, 10 + i % 3), end=seoul(4, 13))
    c = client_for(hub.sme)
    # session, user, profile, unread count (base.html), count, regions (filter), page
    with django_assert_num_queries(7):
        assert c.get("/equipment/").status_code == 200
    with django_assert_num_queries(6):  # session, user, profile, unread, count, page
        assert c.get("/equipment/bookings/").status_code == 200
    c = client_for(staff)
    with django_assert_num_queries(6):
        assert c.get("/equipment/approvals/").status_code == 200


def test_korean_by_default(client: Any, machine: Any) -> None:
    from django.utils import translation

    with translation.override("ko"):
        r = client.get("/equipment/", HTTP_ACCEPT_LANGUAGE="ko")
    assert "공동활용 장비" in r.content.decode()


@pytest.mark.parametrize("persona", PERSONAS)
def test_booking_and_check_posts_personas(client_for: Any, user_of: Any, machine: Any,
                                          persona: str) -> None:
    """Who may book (SME members, experts, coordinators, admins): the form and the live check
    answer; analysts get a 404; anonymous users are sent to log in. Untrained users are told
    why, and nothing is written by the check."""
    c = client_for(user_of(persona))
    data = {"start": "2030-03-04T10:00", "end": "2030-03-04T12:00", "mode": "analysis",
            "repeat_weeks": 1, "samples": 0}
    check = c.post("/equipment/items/cmm-1/check/", data)
    if persona == "anonymous":
        assert check.status_code == 302
    elif persona == "analyst":
        assert check.status_code == 404
    else:
        assert check.status_code == 200 and "KRW" in check.content.decode()
    assert not Booking.objects.exists()
    r = c.post("/equipment/items/cmm-1/book/", data)
    if persona in ("anonymous", "analyst"):
        assert r.status_code in (302, 404) and not Booking.objects.exists()
    else:
        assert r.status_code == 302 and Booking.objects.get().booked_by == user_of(persona)


@pytest.mark.parametrize("persona", PERSONAS)
def test_api_reads_personas(api_for: Any, user_of: Any, machine: Any, persona: str) -> None:
    c = api_for(user_of(persona))
    assert c.get("/api/v1/equipment").status_code == 200
    assert c.get("/api/v1/equipment/cmm-1/availability").status_code == 200
    assert c.get("/api/v1/equipment/cmm-1/calendar.ics").status_code == 200
    assert c.get("/api/v1/bookings.ics").status_code == (401 if persona == "anonymous" else 200)
    assert c.get("/api/v1/bookings?mine=true").status_code == (
        401 if persona == "anonymous" else 200)


def test_search_by_what_it_must_do(client: Any, hub: Any, machine: Any) -> None:
    """The matching engine ranks items by the job described, not only by words they hold."""
    xray = EquipmentFactory(external_id="ct-1", name="산업용 X선 CT", owner=hub.institute,
                            site=hub.centre, classification="A0301",
                            capabilities="주조품 내부 기공 및 수축공 비파괴 검사, 3차원 단층 촬영")
    page = client.get("/equipment/", {"q": "알루미늄 주조품 내부 기공 검사"}).content.decode()
    assert xray.get_absolute_url() in page
    first = page.index(xray.get_absolute_url())
    assert machine.get_absolute_url() not in page or page.index(machine.get_absolute_url()) > first
    other_region = client.get("/equipment/", {"q": "기공 검사", "region": "47"}).content.decode()
    assert xray.get_absolute_url() not in other_region


def test_subscription_url_for_calendar_apps(client: Any, client_for: Any, hub: Any,
                                            machine: Any) -> None:
    import re

    actions.request_booking(hub.sme, machine, start=seoul(4, 10), end=seoul(4, 12),
                            purpose="비밀 시제품")
    page = client_for(hub.sme).get("/equipment/bookings/").content.decode()
    url = re.search(r'value="http://testserver(/equipment/feeds/\d+/\w+\.ics)"', page).group(1)
    feed = client.get(url)  # no login: the secret in the URL authorises
    assert feed.status_code == 200 and "비밀 시제품" in feed.content.decode()
    other_url = client_for(hub.other_sme).get("/equipment/bookings/").content.decode()
    assert url not in other_url
    user_pk, token = url.split("/")[-2], url.split("/")[-1][:-4]
    assert client.get(f"/equipment/feeds/{hub.other_sme.pk}/{token}.ics").status_code == 404
    assert client.get(f"/equipment/feeds/{user_pk}/{'0' * 40}.ics").status_code == 404
    hub.sme.set_password("a-new-password-2026")
    hub.sme.save()
    assert client.get(url).status_code == 404  # a new password revokes the old URL
