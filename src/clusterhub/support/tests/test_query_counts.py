"""Pinned query counts of the list pages and endpoints.

Each page is measured with 5 and with 15 rows and must take the same, pinned, number of queries:
a query per row (N+1) fails the 15-row case, and a new query anywhere fails both. When a change
adds a query on purpose, update the number here and say why in the commit.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from django.urls import reverse

from clusterhub.support import actions
from clusterhub.support.models import SolvedCase, SupportRequest
from clusterhub.testing import new_request

from .conftest import forward, user_of

SIZES = [5, 15]
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16


def make_requests(hub: Any, n: int, stage: str = "submitted") -> list[SupportRequest]:
    reqs = []
    for i in range(n):
        req = new_request(hub, title=f"요청 {i:02d}", fields=[hub.casting, hub.mould],
                          urgency="high" if i % 2 else "normal")
        reqs.append(forward(hub, req, stage) if stage != "submitted" else req)
    return reqs


def make_cases(hub: Any, n: int) -> list[SolvedCase]:
    cases = []
    for i in range(n):
        case = SolvedCase.objects.create(
            external_id=f"hist-{i}", title=f"사례 {i:02d} 다이캐스팅 기공", problem="기공 불량",
            solution="진공 적용", outcome="불량률 12% → 3%", support_type="guidance",
            region=hub.region, year=2020 + i % 4)
        case.fields.set([hub.casting, hub.mould])
        case.experts.set([hub.expert, hub.other_expert])
        cases.append(case)
    return cases


@pytest.mark.parametrize("n", SIZES)
def test_sme_request_list(hub, as_persona, django_assert_num_queries, n):
    make_requests(hub, n)
    client = as_persona("sme")
    with django_assert_num_queries(7):
        response = client.get(reverse("requests"))
    assert len(response.context["page"]) == n


@pytest.mark.parametrize("n", SIZES)
def test_coordinator_queue(hub, as_persona, django_assert_num_queries, n):
    make_requests(hub, n)
    client = as_persona("coordinator")
    with django_assert_num_queries(8):
        response = client.get(reverse("queue"))
    assert len(response.context["page"]) == n


@pytest.mark.parametrize("n", SIZES)
def test_expert_inbox(hub, as_persona, django_assert_num_queries, n):
    hub.expert.capacity = 20
    hub.expert.save()
    make_requests(hub, n, "assigned")
    client = as_persona("expert")
    with django_assert_num_queries(6):
        response = client.get(reverse("inbox"))
    assert len(response.context["assignments"]) == n


@pytest.mark.parametrize("n", SIZES)
def test_case_list(hub, as_persona, django_assert_num_queries, n):
    make_cases(hub, n)
    client = as_persona("anonymous")
    with django_assert_num_queries(5):
        response = client.get(reverse("cases"))
    assert len(response.context["page"]) == n


@pytest.mark.parametrize("n", SIZES)
def test_case_detail_with_similar_cases(hub, as_persona, django_assert_num_queries, n):
    cases = make_cases(hub, n)
    client = as_persona("anonymous")
    with django_assert_num_queries(6):
        response = client.get(cases[0].get_absolute_url())
    assert len(response.context["similar"]) == min(n - 1, 5)


@pytest.mark.parametrize("n", SIZES)
def test_request_detail(hub, as_persona, django_assert_num_queries, n):
    req = forward(hub, new_request(hub), "in_progress")
    for i in range(n):
        actions.log_work(hub.expert_user, req, on=date.today(), hours=Decimal("1"),
                         note=f"방문 {i}")
        actions.add_attachment(hub.sme, req, f"사진{i}.png", PNG + bytes([i]))
    client = as_persona("coordinator")
    with django_assert_num_queries(13):
        response = client.get(req.get_absolute_url())
    assert len(response.context["work_logs"]) == n + 1  # and the one `forward` logged
    assert len(response.context["attachments"]) == n


@pytest.mark.parametrize("n", SIZES)
def test_api_request_list(hub, api_for, django_assert_num_queries, n):
    make_requests(hub, n)
    client = api_for(user_of(hub, "sme"))
    with django_assert_num_queries(5):
        response = client.get("/api/v1/requests")
    assert response.json()["count"] == n and len(response.json()["items"]) == n


@pytest.mark.parametrize("n", SIZES)
def test_api_case_list(hub, api_for, django_assert_num_queries, n):
    make_cases(hub, n)
    client = api_for(None)
    with django_assert_num_queries(3):
        response = client.get("/api/v1/cases")
    assert len(response.json()["items"]) == n
