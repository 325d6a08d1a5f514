"""The demo: four centres as workspaces, the demo SME a supplier of the first, and a KPI page
with figures computed from what the demo's firms did."""

from __future__ import annotations

import io
from datetime import timedelta
from typing import Any

from django.urls import reverse
from django.utils import timezone

from clusterhub.collab import kpis
from clusterhub.collab.demo import populate
from clusterhub.collab.models import Membership, Receipt, Workspace
from clusterhub.testing import FirmFactory


def test_demo(hub: Any, client_for: Any) -> None:
    for n in range(10):
        FirmFactory(external_id=f"demo-firm-{n}")
    users = {"sme": hub.sme, "sme_other": hub.other_sme, "expert": hub.expert_user,
             "coordinator": hub.coordinator, "admin": hub.admin, "analyst": hub.analyst}
    out = io.StringIO()
    populate(users, out)
    populate(users, out)  # a second run changes nothing
    assert Workspace.objects.count() == 4
    ws = Workspace.objects.get(external_id="emc-injection-design")
    assert ws.lead_firm.name == "삼진LND"
    m = Membership.objects.get(workspace=ws, user=hub.sme)
    assert m.organisation == hub.firm and m.organisation_id != ws.lead_firm_id
    assert Receipt.objects.filter(revision__document__workspace=ws, organisation=hub.firm,
                                  acknowledged_at__isnull=True).exists()
    today = timezone.localdate()
    current = kpis.compute(ws, today - timedelta(days=364), today)
    baseline = kpis.compute(ws, today - timedelta(days=729), today - timedelta(days=365))
    assert len(current.jobs) == 1 and len(baseline.jobs) == 5
    assert current.lead_time_gross is not None and baseline.lead_time_gross is not None
    assert current.lead_time_gross < baseline.lead_time_gross
    assert current.changes_per_job is not None and baseline.changes_per_job is not None
    assert current.changes_per_job < baseline.changes_per_job
    assert current.distribution_hours is not None and baseline.distribution_hours is not None
    assert current.distribution_hours < baseline.distribution_hours
    assert current.trial_days is not None and current.transfer_errors >= 1
    page = client_for(hub.sme).get(reverse("collab:kpis", args=[ws.pk]))
    assert page.status_code == 200 and "<svg" in page.content.decode()
    assert client_for(hub.other_sme).get(reverse("collab:kpis", args=[ws.pk])).status_code == 404
