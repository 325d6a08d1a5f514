"""Jobs from templates, stages closed only with evidence, trials, waiting time, logistics; and
the KPIs against a hand-worked example."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from clusterhub.collab import actions, kpis
from clusterhub.collab.models import (
    ChangeRequest,
    Job,
    JobStage,
    Receipt,
    TransferError,
)
from clusterhub.core.actions import ActionRefused

SEOUL = ZoneInfo("Asia/Seoul")


def test_job_stages_come_from_the_template(world: Any) -> None:
    stages = list(world.job.stages.order_by("seq"))
    template = actions.stage_templates()["injection_mould"]["stages"]
    assert [s.code for s in stages] == [t["code"] for t in template]
    # rfq 5 days from the order date 2026-01-05, kick-off 2 days after it ...
    assert (stages[0].planned_start, stages[0].planned_end) == (date(2026, 1, 5),
                                                                date(2026, 1, 9))
    assert (stages[1].planned_start, stages[1].planned_end) == (date(2026, 1, 10),
                                                                date(2026, 1, 11))
    # ... 67 days of stages in all: the shipment ends on day 67 (2026-03-12).
    assert sum(t["days"] for t in template) == 67
    assert stages[-1].planned_end == date(2026, 3, 12)
    assert stages[0].responsible == world.lead and stages[7].responsible == world.supplier


def test_only_lead_managers_open_jobs(world: Any) -> None:
    with pytest.raises(ActionRefused) as exc:
        actions.create_job(world.users["supplier_manager"], world.ws, code="J-2", title="t",
                           kind="injection_mould", supplier=world.supplier,
                           ordered_on=date(2026, 1, 1), due_on=date(2026, 2, 1))
    assert exc.value.code == "forbidden"
    with pytest.raises(ActionRefused) as exc:
        actions.create_job(world.users["owner"], world.ws, code="J-2", title="t",
                           kind="injection_mould", supplier=world.hub.other_firm,
                           ordered_on=date(2026, 1, 1), due_on=date(2026, 2, 1))
    assert exc.value.field == "supplier"
    with pytest.raises(ActionRefused) as exc:
        actions.create_job(world.users["owner"], world.ws, code="J-1", title="t",
                           kind="injection_mould", supplier=world.supplier,
                           ordered_on=date(2026, 1, 1), due_on=date(2026, 2, 1))
    assert exc.value.field == "code"
    assert Job.objects.count() == 1


def test_stage_closes_only_with_evidence(world: Any) -> None:
    owner, sme = world.users["owner"], world.users["sme"]
    rfq, kickoff = world.job.stages.order_by("seq")[:2]
    with pytest.raises(ActionRefused, match="needs a file"):
        actions.close_stage(owner, rfq, date(2026, 1, 8), evidence_record="견적서 메일")
    with pytest.raises(ActionRefused) as exc:  # the lead firm is responsible for the RFQ
        actions.close_stage(sme, rfq, date(2026, 1, 8), evidence_revision=world.rev_a)
    assert exc.value.code == "forbidden"
    actions.close_stage(owner, rfq, date(2026, 1, 8), evidence_revision=world.rev_a)
    rfq.refresh_from_db()
    assert (rfq.status, rfq.actual_start, rfq.actual_end) == ("done", date(2026, 1, 8),
                                                              date(2026, 1, 8))
    with pytest.raises(ActionRefused, match="needs evidence"):
        actions.close_stage(owner, kickoff, date(2026, 1, 9))
    actions.start_stage(owner, kickoff, date(2026, 1, 9))
    with pytest.raises(ActionRefused, match="before the stage started"):
        actions.close_stage(owner, kickoff, date(2026, 1, 8), evidence_record="PO-1")
    actions.close_stage(owner, kickoff, date(2026, 1, 10), evidence_record="PO-2026-001")
    with pytest.raises(ActionRefused, match="closed already"):
        actions.close_stage(owner, kickoff, date(2026, 1, 10), evidence_record="PO")


def test_supplier_closes_its_own_stage_reader_cannot(world: Any) -> None:
    steel = world.job.stages.get(code="steel_ordered")
    with pytest.raises(ActionRefused) as exc:
        actions.close_stage(world.users["reader"], steel, date(2026, 2, 1),
                            evidence_record="PO")
    assert exc.value.code == "forbidden"
    actions.close_stage(world.users["sme"], steel, date(2026, 2, 1),
                        evidence_record="강재 발주서 NAK80 #77")


def test_database_refuses_a_done_stage_without_evidence(world: Any) -> None:
    from django.db import IntegrityError, transaction

    stage = world.job.stages.get(code="edm")
    with pytest.raises(IntegrityError), transaction.atomic():
        JobStage.objects.filter(pk=stage.pk).update(status="done", actual_start=date(2026, 2, 1),
                                                    actual_end=date(2026, 2, 2))


def test_another_trial_goes_before_approval(world: Any) -> None:
    approval = world.job.stages.get(code="approval")
    t2 = actions.add_trial(world.users["sme"], world.job)
    t1 = world.job.stages.get(code="t1")
    assert t2.code == "t2" and t2.seq == t1.seq + 1
    assert t2.planned_start == t1.planned_end + timedelta(days=1)
    moved = world.job.stages.get(code="approval")
    assert moved.seq > t2.seq
    assert moved.planned_start == approval.planned_start + timedelta(days=4)
    assert actions.add_trial(world.users["sme"], world.job).code == "t3"


def test_waiting_and_logistics(world: Any) -> None:
    sme, owner = world.users["sme"], world.users["owner"]
    with pytest.raises(ActionRefused) as exc:
        actions.record_waiting(sme, world.job, started_on=date(2026, 2, 5),
                               ended_on=date(2026, 2, 1), reason="승인 대기")
    assert exc.value.field == "ended_on"
    w = actions.record_waiting(sme, world.job, started_on=date(2026, 2, 1),
                               ended_on=date(2026, 2, 5), reason="고객 3D 데이터 대기")
    assert w.days == 4
    with pytest.raises(ActionRefused, match="shipment first"):
        actions.record_logistics(owner, world.job, kind="delivery", on=date(2026, 3, 20))
    actions.record_logistics(sme, world.job, kind="shipment", on=date(2026, 3, 18),
                             carrier="한진", tracking="123")
    actions.record_logistics(owner, world.job, kind="delivery", on=date(2026, 3, 20))
    world.job.refresh_from_db()
    assert (world.job.status, world.job.delivered_on) == ("delivered", date(2026, 3, 20))


@pytest.mark.parametrize("intervals,lo,hi,days", [
    ([], date(2026, 1, 1), date(2026, 2, 1), 0),
    ([(date(2026, 1, 10), date(2026, 1, 15))], date(2026, 1, 1), date(2026, 2, 1), 5),
    ([(date(2026, 1, 10), date(2026, 1, 15)), (date(2026, 1, 13), date(2026, 1, 20))],
     date(2026, 1, 1), date(2026, 2, 1), 10),
    ([(date(2025, 12, 25), date(2026, 1, 3))], date(2026, 1, 1), date(2026, 2, 1), 2),
    ([(date(2026, 1, 5), date(2026, 1, 6)), (date(2026, 1, 6), date(2026, 1, 8))],
     date(2026, 1, 1), date(2026, 2, 1), 3),
])
def test_merged_days(intervals: list[tuple[date, date]], lo: date, hi: date, days: int) -> None:
    assert kpis.merged_days(intervals, lo, hi) == days


def _at(day: date, hour: int) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=SEOUL)


def _hand_worked(world: Any) -> tuple[Job, Job]:
    """Two mould jobs delivered in H1 2026, worked out by hand:

    J-10 (mould maker f-a): ordered 01-01, due 03-31, delivered 03-22 -> gross 80 days; waiting
      01-10..01-15 and 01-13..01-20 overlap -> 10 days; net 70; on time; applied changes: one
      before steel, one after; T0 started 03-01, buy-off ended 03-15 -> trial 14 days.
    J-11 (mould maker third): ordered 02-01, due 03-15, delivered 03-20 -> gross 47; waiting
      03-18..03-25 counts until delivery -> 2; net 45; late; one applied change after steel (and
      one still open, not counted); T0 03-05, buy-off 03-17 -> 12 days.
    """
    owner = world.users["owner"]
    j10 = actions.create_job(owner, world.ws, code="J-10", title="하우징", kind="injection_mould",
                             supplier=world.supplier, ordered_on=date(2026, 1, 1),
                             due_on=date(2026, 3, 31))
    j11 = actions.create_job(owner, world.ws, code="J-11", title="캡", kind="blow_mould",
                             supplier=world.third, ordered_on=date(2026, 2, 1),
                             due_on=date(2026, 3, 15))
    Job.objects.filter(pk=j10.pk).update(status="delivered", delivered_on=date(2026, 3, 22))
    Job.objects.filter(pk=j11.pk).update(status="delivered", delivered_on=date(2026, 3, 20))
    for job, start, end in [(j10, (1, 10), (1, 15)), (j10, (1, 13), (1, 20)),
                            (j11, (3, 18), (3, 25))]:
        actions.record_waiting(owner, job, started_on=date(2026, *start),
                               ended_on=date(2026, *end), reason="고객 승인 대기")
    for job, t0, approval in [(j10, date(2026, 3, 1), date(2026, 3, 15)),
                              (j11, date(2026, 3, 5), date(2026, 3, 17))]:
        job.stages.filter(code="t0").update(actual_start=t0)
        job.stages.filter(code="approval").update(actual_start=approval - timedelta(days=1),
                                                   actual_end=approval, status="done",
                                                   evidence_record="승인서")
    for n, (job, phase, status) in enumerate([(j10, "before_steel", "applied"),
                                              (j10, "after_steel", "applied"),
                                              (j11, "after_steel", "applied"),
                                              (j11, "after_steel", "open")], start=1):
        cr = ChangeRequest.objects.create(
            workspace=world.ws, number=100 + n, title=f"변경 {n}", reason="r", origin="customer",
            raised_by_firm=world.lead, phase=phase, status=status,
            applied_at=_at(date(2026, 2, 1), 9) if status == "applied" else None)
        cr.jobs.add(job)
    # Receipts sent in February: acknowledged after 6 h and 30 h, one still pending.
    sent = _at(date(2026, 2, 2), 9)
    rev = world.rev_a
    Receipt.objects.filter(revision=rev).update(sent_at=sent)
    Receipt.objects.filter(revision=rev, organisation=world.supplier).update(
        acknowledged_at=sent + timedelta(hours=6))
    Receipt.objects.filter(revision=rev, organisation=world.fourth).update(
        acknowledged_at=sent + timedelta(hours=30))
    Receipt.objects.create(revision=rev, organisation=world.third, sent_at=sent)
    it = rev.iterations.get()
    for kind, when in [("hash_mismatch", _at(date(2026, 2, 10), 10)),
                       ("superseded_used", _at(date(2026, 2, 11), 10)),
                       ("missing_file", _at(date(2025, 12, 31), 10))]:
        TransferError.objects.create(workspace=world.ws, kind=kind, iteration=it, at=when,
                                     organisation=world.supplier)
    return j10, j11


def test_kpis_hand_worked(world: Any) -> None:
    _hand_worked(world)
    k = kpis.compute(world.ws, date(2026, 1, 1), date(2026, 6, 30))
    assert [(j.job.code, j.gross_days, j.waiting_days, j.net_days, j.on_time, j.changes,
             j.trial_days) for j in k.jobs] == [
        ("J-11", 47, 2, 45, False, 1, 12), ("J-10", 80, 10, 70, True, 2, 14)]
    assert k.lead_time_gross == 63.5      # (80 + 47) / 2
    assert k.lead_time_net == 57.5        # (70 + 45) / 2
    assert k.on_time_share == 0.5
    assert k.changes_per_job == 1.5       # (2 + 1) / 2; the open change does not count
    assert k.changes_by_phase == {"before_steel": 1, "after_steel": 2}
    assert k.trial_days == 13             # (14 + 12) / 2
    assert (k.receipts_sent, k.receipts_pending, k.distribution_hours) == (3, 1, 18.0)
    assert k.transfer_errors == 2         # the December error is outside the period
    assert k.transfer_errors_by_kind == {"hash_mismatch": 1, "superseded_used": 1}
    assert k.open_jobs == 1               # J-1 of the fixture


def test_kpis_per_firm(world: Any) -> None:
    _hand_worked(world)
    k = kpis.compute(world.ws, date(2026, 1, 1), date(2026, 6, 30), firm_id=world.supplier.pk)
    assert [j.job.code for j in k.jobs] == ["J-10"]
    assert (k.lead_time_gross, k.lead_time_net, k.changes_per_job) == (80, 70, 2)
    assert (k.receipts_sent, k.distribution_hours) == (1, 6.0)
    lead = kpis.compute(world.ws, date(2026, 1, 1), date(2026, 6, 30), firm_id=world.lead.pk)
    assert len(lead.jobs) == 2 and lead.receipts_sent == 0


def test_comparison_with_the_seed(world: Any) -> None:
    _hand_worked(world)
    current = kpis.compute(world.ws, date(2026, 1, 1), date(2026, 6, 30))
    baseline = kpis.Kpis(start=date(2025, 1, 1), end=date(2025, 12, 31), lead_time_gross=90.0,
                         changes_per_job=3.0, distribution_hours=72.0, transfer_errors=4,
                         trial_days=20.0)
    rows = {r["key"]: r for r in kpis.comparison(baseline, current)}
    assert (rows["lead_time_days"]["seed_before"], rows["lead_time_days"]["seed_after"]) == (90, 60)
    assert rows["lead_time_days"]["seed_index"] == 66.7
    assert rows["lead_time_days"]["index"] == 70.6          # 63.5 / 90
    assert rows["design_changes_per_job"]["index"] == 50.0  # 1.5 / 3
    assert rows["distribution_hours"]["index"] == 25.0      # 18 / 72
    assert rows["transfer_errors"]["index"] == 50.0         # 2 / 4
    assert rows["trial_days"]["index"] == 65.0              # 13 / 20
    assert rows["design_changes_per_job"]["lines"] == "l.3232-3233"


def test_kpi_page_shows_the_figures(world: Any, web: Any) -> None:
    from django.urls import reverse

    _hand_worked(world)
    response = web("owner").get(reverse("collab:kpis", args=[world.ws.pk]),
                                {"start": "2026-01-01", "end": "2026-06-30"})
    body = response.content.decode()
    assert response.status_code == 200
    assert "63.5" in body and "57.5" in body and "<svg" in body and "J-10" in body


def test_kpi_report_command(world: Any) -> None:
    import json

    from clusterhub.core.reports import REPORTS

    _hand_worked(world)
    out = REPORTS["collab-kpis"]().render({"workspace": "ws-test", "start": date(2026, 1, 1),
                                           "end": date(2026, 6, 30)}, "json")
    data = json.loads(out)
    assert data["lead_time_gross_days"] == 63.5 and len(data["jobs"]) == 2


def test_board_shows_open_and_recently_delivered_jobs(world: Any) -> None:
    from django.utils import timezone

    from clusterhub.collab import queries
    from clusterhub.collab.models import Membership

    j10, j11 = _hand_worked(world)  # delivered in March 2026, long before "today"
    recent = timezone.localdate() - timedelta(days=3)
    Job.objects.filter(pk=j11.pk).update(delivered_on=recent)
    m = Membership.objects.get(workspace=world.ws, user=world.users["owner"])
    rows = {r["job"].code: r for r in queries.board(m)}
    assert set(rows) == {"J-1", "J-11"}
    assert rows["J-1"]["current"] == {"name": "견적(RFQ)", "status": "pending"}
    assert (rows["J-1"]["done"], rows["J-1"]["total"]) == (0, 15)
    assert (rows["J-11"]["done"], rows["J-11"]["total"]) == (1, 14)
