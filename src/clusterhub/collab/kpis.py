"""The seed's e-Manufacturing measures (l.3231-3238) computed from a workspace's records, per
period and optionally per firm. Definitions in docs/collab.md, "KPIs"."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import cache
from pathlib import Path
from statistics import mean
from typing import Any

from django.db.models import Count, Prefetch, Q
from django.utils import timezone

from .models import (
    ChangeRequest,
    ChangeStatus,
    DownloadLog,
    Job,
    JobStage,
    JobStatus,
    Phase,
    Receipt,
    TransferError,
    WaitingInterval,
    Workspace,
)

DATA = Path(__file__).resolve().parent / "data"


@cache
def seed_results() -> dict[str, Any]:
    """The seed's before/after figures with their line numbers (data/seed_results.json)."""
    return json.loads((DATA / "seed_results.json").read_text(encoding="utf-8"))


def merged_days(intervals: list[tuple[date, date]], lo: date, hi: date) -> int:
    """Days covered by the intervals (end - start, as for lead time), clipped to [lo, hi],
    overlaps counted once."""
    clipped = sorted((max(a, lo), min(b, hi)) for a, b in intervals if min(b, hi) > max(a, lo))
    total = 0
    cur_a: date | None = None
    cur_b: date | None = None
    for a, b in clipped:
        if cur_b is None or a > cur_b:
            if cur_a is not None and cur_b is not None:
                total += (cur_b - cur_a).days
            cur_a, cur_b = a, b
        else:
            cur_b = max(cur_b, b)
    if cur_a is not None and cur_b is not None:
        total += (cur_b - cur_a).days
    return total


def _mean(values: list[float]) -> float | None:
    return round(mean(values), 2) if values else None


@dataclass
class JobFigures:
    job: Job
    gross_days: int
    waiting_days: int
    net_days: int
    on_time: bool
    changes: int
    changes_by_phase: dict[str, int]
    trial_days: int | None


@dataclass
class Kpis:
    start: date
    end: date
    jobs: list[JobFigures] = field(default_factory=list)
    lead_time_gross: float | None = None
    lead_time_net: float | None = None
    on_time_share: float | None = None
    changes_per_job: float | None = None
    changes_by_phase: dict[str, int] = field(default_factory=dict)
    distribution_hours: float | None = None
    receipts_sent: int = 0
    receipts_pending: int = 0
    distribution_by_firm: list[tuple[str, float | None, int]] = field(default_factory=list)
    transfer_errors: int = 0
    transfer_errors_by_kind: dict[str, int] = field(default_factory=dict)
    downloads: int = 0
    trial_days: float | None = None
    open_jobs: int = 0
    overdue_jobs: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "start": self.start.isoformat(), "end": self.end.isoformat(),
            "jobs_delivered": len(self.jobs), "lead_time_gross_days": self.lead_time_gross,
            "lead_time_net_days": self.lead_time_net, "on_time_share": self.on_time_share,
            "design_changes_per_job": self.changes_per_job,
            "design_changes_by_phase": self.changes_by_phase,
            "distribution_hours": self.distribution_hours, "receipts_sent": self.receipts_sent,
            "receipts_pending": self.receipts_pending, "transfer_errors": self.transfer_errors,
            "transfer_errors_by_kind": self.transfer_errors_by_kind, "downloads": self.downloads,
            "trial_days": self.trial_days, "open_jobs": self.open_jobs,
            "overdue_jobs": self.overdue_jobs,
        }


def _bounds(start: date, end: date) -> tuple[datetime, datetime]:
    tz = timezone.get_current_timezone()
    return (datetime.combine(start, time.min, tz),
            datetime.combine(end + timedelta(days=1), time.min, tz))


def compute(workspace: Workspace, start: date, end: date, firm_id: int | None = None) -> Kpis:
    """The measures for jobs delivered, receipts sent and errors seen in [start, end]. With a
    firm: the jobs it makes (all jobs for the lead firm), receipts it got, errors it hit."""
    k = Kpis(start=start, end=end)
    jobs = Job.objects.filter(workspace=workspace)
    if firm_id and firm_id != workspace.lead_firm_id:
        jobs = jobs.filter(Q(supplier_id=firm_id) | Q(designer_id=firm_id))
    today = timezone.localdate()
    k.open_jobs = jobs.filter(status=JobStatus.OPEN).count()
    k.overdue_jobs = jobs.filter(status=JobStatus.OPEN, due_on__lt=today).count()
    delivered = (jobs.filter(status=JobStatus.DELIVERED, delivered_on__gte=start,
                             delivered_on__lte=end)
                 .prefetch_related(
                     Prefetch("waits", queryset=WaitingInterval.objects.order_by("started_on")),
                     Prefetch("stages", queryset=JobStage.objects.filter(
                         Q(is_trial=True) | Q(code="approval")).order_by("seq")
                         .only("job_id", "seq", "code", "is_trial", "actual_start",
                               "actual_end")),
                     Prefetch("change_requests",
                              queryset=ChangeRequest.objects.filter(status=ChangeStatus.APPLIED)
                              .only("pk", "phase")))
                 .order_by("delivered_on", "code"))
    phases = {p: 0 for p in Phase.values}
    for job in delivered:
        assert job.delivered_on is not None
        gross = (job.delivered_on - job.ordered_on).days
        waiting = merged_days([(w.started_on, w.ended_on) for w in job.waits.all()],
                              job.ordered_on, job.delivered_on)
        by_phase = {p: 0 for p in Phase.values}
        for cr in job.change_requests.all():
            by_phase[cr.phase] += 1
            phases[cr.phase] += 1
        stages = list(job.stages.all())
        trials = [s for s in stages if s.is_trial and s.actual_start]
        approval = next((s for s in stages if s.code == "approval" and s.actual_end), None)
        trial_days = ((approval.actual_end - trials[0].actual_start).days
                      if trials and approval and approval.actual_end and trials[0].actual_start
                      else None)
        k.jobs.append(JobFigures(job=job, gross_days=gross, waiting_days=waiting,
                                 net_days=gross - waiting, on_time=job.delivered_on <= job.due_on,
                                 changes=sum(by_phase.values()), changes_by_phase=by_phase,
                                 trial_days=trial_days))
    if k.jobs:
        k.lead_time_gross = _mean([j.gross_days for j in k.jobs])
        k.lead_time_net = _mean([j.net_days for j in k.jobs])
        k.on_time_share = round(sum(j.on_time for j in k.jobs) / len(k.jobs), 3)
        k.changes_per_job = _mean([j.changes for j in k.jobs])
        k.trial_days = _mean([j.trial_days for j in k.jobs if j.trial_days is not None])
    k.changes_by_phase = phases

    lo, hi = _bounds(start, end)
    receipts = Receipt.objects.filter(revision__document__workspace=workspace,
                                      sent_at__gte=lo, sent_at__lt=hi)
    errors = TransferError.objects.filter(workspace=workspace, at__gte=lo, at__lt=hi)
    downloads = DownloadLog.objects.filter(iteration__revision__document__workspace=workspace,
                                           at__gte=lo, at__lt=hi)
    if firm_id:
        receipts = receipts.filter(organisation_id=firm_id)
        errors = errors.filter(organisation_id=firm_id)
        downloads = downloads.filter(organisation_id=firm_id)
    rows = list(receipts.select_related("organisation"))
    k.receipts_sent = len(rows)
    k.receipts_pending = sum(1 for r in rows if r.acknowledged_at is None)
    k.distribution_hours = _mean([h for r in rows if (h := r.hours) is not None])
    per_firm: dict[str, list[Receipt]] = {}
    for r in rows:
        per_firm.setdefault(r.organisation.name, []).append(r)
    k.distribution_by_firm = [
        (name, _mean([h for r in rs if (h := r.hours) is not None]), len(rs))
        for name, rs in sorted(per_firm.items())]
    by_kind = dict(errors.values_list("kind").annotate(n=Count("id")).order_by("kind"))
    k.transfer_errors_by_kind = {str(key): int(n) for key, n in by_kind.items()}
    k.transfer_errors = sum(k.transfer_errors_by_kind.values())
    k.downloads = downloads.count()
    return k


COMPARED = [("lead_time_days", "lead_time_gross"), ("design_changes_per_job", "changes_per_job"),
            ("distribution_hours", "distribution_hours"), ("transfer_errors", "transfer_errors"),
            ("trial_days", "trial_days")]


def comparison(baseline: Kpis, current: Kpis) -> list[dict[str, Any]]:
    """Per seed measure: the seed's before/after and the hub's baseline/current, each also as an
    index (before = 100), so that days, counts and hours share one chart."""
    seed = {k["key"]: k for k in seed_results()["kpis"]}
    rows = []
    for key, attr in COMPARED:
        s = seed[key]
        b = getattr(baseline, attr)
        c = getattr(current, attr)
        rows.append({
            "key": key, "label": s["label"], "label_en": s["label_en"], "lines": s["lines"],
            "seed_before": s["before"], "seed_after": s["after"],
            "seed_index": round(100 * s["after"] / s["before"], 1),
            "baseline": b, "current": c,
            "index": round(100 * c / b, 1) if b not in (None, 0) and c is not None else None,
        })
    return rows
