"""Outcome-based incentives: a hand-worked case, idempotent recompute, traceable lines, access."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from clusterhub.analytics import actions, incentives
from clusterhub.analytics.models import IncentiveLine, IncentiveRun
from clusterhub.core.actions import ActionRefused
from clusterhub.core.models import AuditEvent
from clusterhub.support.models import FollowUp, Outcome, SupportRequest
from clusterhub.testing import advance, new_request

from .conftest import PERSONAS, READERS, user_of

CLOSED = datetime(2025, 5, 20, 9, 0, tzinfo=UTC)


def _case(hub: Any, closed: datetime = CLOSED) -> Any:
    req = advance(hub, new_request(hub), "closed")
    SupportRequest.objects.filter(pk=req.pk).update(closed_at=closed)
    Outcome.objects.filter(request=req).update(
        cost_saved_mkrw=Decimal("25"), lead_time_before_days=Decimal("90"),
        lead_time_after_days=Decimal("60"), new_product=True)
    FollowUp.objects.filter(request=req, months=3).update(answered_at=timezone.now(),
                                                         answer="불량률 3% 유지")
    return req


def test_hand_worked_case(hub: Any) -> None:
    """defect 12 → 3 %, satisfaction 5, cost saved 25, lead time 90 → 60 days, new product,
    the 3-month check-in answered."""
    req = _case(hub)
    run = actions.recompute_incentives(hub.analyst, "2025")
    lines = {ln.rule: ln for ln in IncentiveLine.objects.filter(request=req)}
    points = {rule: ln.points for rule, ln in lines.items()}
    assert points == {
        "closed_case": Decimal("1.00"),
        "cost_saved": Decimal("2.50"),  # 25 / 10 x 1
        "defect_rate": Decimal("4.50"),  # 9 percentage points x 0.5
        "lead_time": Decimal("3.33"),  # 33.3 % shorter x 0.1
        "new_product": Decimal("3.00"),
        "satisfaction": Decimal("2.00"),  # 5 - 3
        "follow_up": Decimal("0.50"),  # the 3-month check-in
    }
    assert run.points == Decimal("16.83") and run.cases == 1 and run.lines == 7
    assert lines["defect_rate"].basis == "defect_rate_before_pct 12.00 → 3.00"
    assert {ln.expert for ln in lines.values()} == {hub.expert}
    assert lines["closed_case"].centre == hub.centre
    assert lines["closed_case"].institute == hub.institute
    assert incentives.totals("2025", "institute")[0]["points"] == Decimal("16.83")


def test_recompute_is_idempotent_and_audited(hub: Any) -> None:
    _case(hub)
    _case(hub, closed=datetime(2024, 12, 31, 10, 0, tzinfo=UTC))  # 19:00 in Seoul: 2024
    _case(hub, closed=datetime(2024, 12, 31, 16, 0, tzinfo=UTC))  # 01:00 in Seoul: 2025
    first = actions.recompute_incentives(hub.admin, "2025")
    assert first.cases == 2
    again = actions.recompute_incentives(hub.admin, "2025")
    assert IncentiveLine.objects.filter(period="2025").count() == again.lines == first.lines
    assert IncentiveRun.objects.count() == 1
    assert AuditEvent.objects.filter(verb="recompute_incentives").count() == 2
    assert actions.recompute_incentives(hub.admin, "2025-Q2").cases == 1
    assert actions.recompute_incentives(hub.admin, "2025-Q1").cases == 1
    assert actions.recompute_incentives(hub.admin, "2024-H2").cases == 1


def test_scheme_is_data(hub: Any, settings: Any, tmp_path: Any) -> None:
    path = tmp_path / "scheme.json"
    path.write_text('{"rules": [{"id": "flat", "label": "x", "kind": "flat", "points": 7}]}')
    settings.CLUSTERHUB_INCENTIVE_SCHEME = str(path)
    _case(hub)
    assert actions.recompute_incentives(hub.admin, "2025").points == Decimal("7.00")


@pytest.mark.parametrize("period", ["25", "2025-Q5", "2025-H3", ""])
def test_bad_period(hub: Any, period: str) -> None:
    with pytest.raises(ActionRefused) as err:
        actions.recompute_incentives(hub.admin, period)
    assert err.value.field == "period"


@pytest.mark.parametrize("persona", ["coordinator", "sme", "expert"])
def test_only_analysts_and_admins_recompute(hub: Any, persona: str) -> None:
    with pytest.raises(ActionRefused) as err:
        actions.recompute_incentives(user_of(hub, persona), "2025")
    assert err.value.code == "forbidden"


@pytest.mark.parametrize("persona", PERSONAS)
def test_page_personas(hub: Any, client_for: Any, persona: str) -> None:
    _case(hub)
    actions.recompute_incentives(hub.admin, "2025")
    client = client_for(user_of(hub, persona))
    page = client.get(reverse("analytics:incentives"), {"period": "2025"})
    post = client.post(reverse("analytics:incentives_recompute"), {"period": "2025"})
    if persona == "anonymous":
        assert page.status_code == post.status_code == 302
    elif persona in READERS:
        assert page.status_code == 200
        assert "defect_rate_before_pct 12.00 → 3.00" in page.content.decode()
        assert post.status_code == (302 if persona in ("admin", "analyst") else 404)
    else:
        assert page.status_code == post.status_code == 404


def test_ledger_download_and_query_count(hub: Any, client_for: Any,
                                         django_assert_max_num_queries: Any) -> None:
    for _ in range(3):
        _case(hub)
    actions.recompute_incentives(hub.admin, "2025")
    client = client_for(hub.analyst)
    csv = client.get(reverse("analytics:incentives_download", kwargs={"fmt": "csv"}),
                     {"period": "2025"}).content.decode("utf-8-sig")
    assert len(csv.strip().splitlines()) == 1 + 3 * 7
    with django_assert_max_num_queries(12):
        client.get(reverse("analytics:incentives"), {"period": "2025"})


def test_scheme_rules_in_korean_on_a_korean_page(hub: Any, client_for: Any,
                                                 settings: Any) -> None:
    from django.utils import translation

    settings.LANGUAGE_CODE = "ko"
    with translation.override("ko"):
        page = client_for(hub.analyst).get(reverse("analytics:incentives"),
                                           HTTP_ACCEPT_LANGUAGE="ko").content.decode()
    assert "원가 절감" in page and "연간 절감액 10백만원당 1점, 최대 10점" in page
    assert "Cost saved" not in page and "point per" not in page
    # every rule of the shipped scheme has its Korean words
    assert all(r.get("label_ko") and (r.get("explain_ko") or "explain" not in r)
               for r in incentives.scheme()["rules"])
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        english = client_for(hub.analyst).get(reverse("analytics:incentives"),
                                              HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Cost saved" in english
