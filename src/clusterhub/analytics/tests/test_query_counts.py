"""Pinned query counts of the analytics list pages: the same number of queries whatever the
number of rows."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from django.urls import reverse

from clusterhub.analytics import actions
from clusterhub.analytics.models import IncentiveLine

from .test_incentives import _case


@pytest.mark.parametrize("cases", [1, 4])
def test_incentives_page_query_count_is_pinned(hub: Any, client_for: Any,
                                               django_assert_num_queries: Any,
                                               cases: int) -> None:
    client = client_for(hub.analyst)
    for day in range(cases):
        _case(hub, closed=datetime(2025, 5, 20 + day, 9, 0, tzinfo=UTC))
    run = actions.recompute_incentives(hub.analyst, "2025")
    assert run.cases == cases and IncentiveLine.objects.count() == 7 * cases
    # the same ten queries for one case or four (the ledger is read joined, never per line)
    with django_assert_num_queries(10):
        page = client.get(reverse("analytics:incentives") + "?period=2025")
    assert page.status_code == 200
    assert page.content.decode().count('<td class="num">') >= 7 * cases
