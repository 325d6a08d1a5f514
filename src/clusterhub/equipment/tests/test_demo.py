"""The demo: items at the demo's sites, history with idle items and compensation owed,
pending requests in the demo coordinator's queue; safe to run twice."""

from __future__ import annotations

import io
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from clusterhub.core.models import Organisation
from clusterhub.equipment import demo, metrics
from clusterhub.equipment.models import Booking, Compensation, Equipment
from clusterhub.testing import make_user

pytestmark = pytest.mark.django_db


def test_populate(hub: Any) -> None:
    tp = Organisation.objects.create(external_id="gyeongnam-tp", name="경남테크노파크",
                                     kind="technopark", region=hub.region, is_support_desk=True)
    hub.centre.external_id = "kitech-busan"
    hub.centre.save()
    users = {"sme": hub.sme, "sme_other": hub.other_sme, "expert": hub.expert_user,
             "coordinator": make_user("demo-coord", "coordinator", tp), "admin": hub.admin,
             "analyst": hub.analyst}
    out = io.StringIO()
    demo.populate(users, out)
    assert Equipment.objects.count() == 60
    assert "60 items" in out.getvalue()
    pending = Booking.objects.filter(status="requested", equipment__site=tp)
    assert pending.count() >= 3
    now = timezone.now()
    u = metrics.utilisation(now - timedelta(days=100), now - timedelta(days=2))
    assert 0 < len(u.idle) < 60
    assert Compensation.objects.exists() and u.compensation
    # The history never overlaps either (buffers included), and a second run adds nothing.
    rows = list(Booking.objects.order_by("equipment_id", "blocked_start")
                .values_list("equipment_id", "blocked_start", "blocked_end"))
    assert not [a for a, b in zip(rows, rows[1:], strict=False) if a[0] == b[0] and b[1] < a[2]]
    demo.populate(users, out)
    assert Equipment.objects.count() == 60
