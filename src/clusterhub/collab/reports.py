"""`clusterhub report collab-kpis --workspace ID [--start D --end D] [--firm EXT_ID]`: the
lead-time KPIs of one workspace, one row per delivered job plus the totals (JSON)."""

from __future__ import annotations

import argparse
from datetime import date, timedelta
from typing import Any

from django.utils import timezone

from clusterhub.core.models import Organisation
from clusterhub.core.reports import Report, register
from clusterhub.core.tabular import Table, render

from .kpis import compute
from .models import Workspace


@register
class CollabKpis(Report):
    name = "collab-kpis"
    help = "Lead time, design changes, distribution time, transfer errors, trial time per job"

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--workspace", required=True, help="workspace external id")
        parser.add_argument("--start", type=date.fromisoformat)
        parser.add_argument("--end", type=date.fromisoformat)
        parser.add_argument("--firm", help="organisation external id")

    def render(self, options: dict[str, Any], fmt: str) -> bytes:
        ws = Workspace.objects.filter(external_id=options["workspace"]).first()
        if ws is None:
            raise ValueError(f"unknown workspace {options['workspace']!r}")
        end = options.get("end") or timezone.localdate()
        start = options.get("start") or end - timedelta(days=365)
        firm_id = None
        if options.get("firm"):
            firm = Organisation.objects.filter(external_id=options["firm"]).first()
            if firm is None:
                raise ValueError(f"unknown firm {options['firm']!r}")
            firm_id = firm.pk
        k = compute(ws, start, end, firm_id)
        table = Table(columns=[("job", "job"), ("ordered_on", "ordered_on"),
                               ("delivered_on", "delivered_on"), ("gross_days", "gross_days"),
                               ("waiting_days", "waiting_days"), ("net_days", "net_days"),
                               ("on_time", "on_time"), ("changes", "changes"),
                               ("trial_days", "trial_days")],
                      title="collab-kpis")
        table.rows = [{"job": j.job.code, "ordered_on": j.job.ordered_on,
                       "delivered_on": j.job.delivered_on, "gross_days": j.gross_days,
                       "waiting_days": j.waiting_days, "net_days": j.net_days,
                       "on_time": j.on_time, "changes": j.changes, "trial_days": j.trial_days}
                      for j in k.jobs]
        return render(table, fmt, json_data={"workspace": ws.external_id, **k.as_dict(),
                                             "jobs": table.rows})
