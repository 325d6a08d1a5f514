"""State changes of the analytics app: explicit actor, one transaction, an audit event."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Prefetch
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from clusterhub.core.access import require_role
from clusterhub.core.actions import ActionRefused
from clusterhub.core.audit import record_event

from . import incentives
from .models import IncentiveLine, IncentiveRun

RECOMPUTERS = ("admin", "analyst")


def recompute_incentives(actor: Any, period: str) -> IncentiveRun:
    """Replace the period's ledger lines with those the current scheme gives its closed cases
    (closed within the period, with an SME-side outcome). Idempotent: the same cases and
    scheme give the same lines."""
    from clusterhub.support.models import Assignment, FollowUp, SupportRequest

    try:
        require_role(actor, *RECOMPUTERS)
    except Http404:
        raise ActionRefused(_("Only analysts and admins recompute incentives."),
                            code="forbidden") from None
    try:
        start, end = incentives.period_bounds(period)
    except ValueError:
        raise ActionRefused(_("A period is a year (2025), a quarter (2025-Q2) or a half "
                              "(2025-H1)."), "period") from None
    rules = incentives.scheme()["rules"]
    cases = (SupportRequest.objects.filter(status="closed", closed_at__gte=start,
                                           closed_at__lt=end, outcome__isnull=False)
             .select_related("outcome")
             .prefetch_related(
                 Prefetch("assignments", to_attr="accepted",
                          queryset=Assignment.objects.filter(state="accepted")
                          .select_related("expert__organisation").order_by("expert_id")),
                 Prefetch("follow_ups", to_attr="answered",
                          queryset=FollowUp.objects.filter(answered_at__isnull=False)))
             .order_by("pk"))
    with transaction.atomic():
        IncentiveLine.objects.filter(period=period).delete()
        rows: list[IncentiveLine] = []
        counted = 0
        for req in cases:
            experts = [a.expert for a in req.accepted]  # type: ignore[attr-defined]
            if not experts:
                continue
            counted += 1
            share = Decimal(len(experts))
            answered = [f.months for f in req.answered]  # type: ignore[attr-defined]
            for line in incentives.score_case(req.outcome, answered, rules):
                for expert in experts:
                    org = expert.organisation
                    rows.append(IncentiveLine(
                        period=period, request=req, rule=line.rule, basis=line.basis[:200],
                        points=incentives._q(line.points / share), expert=expert, centre=org,
                        institute_id=org.parent_id or org.pk))
        IncentiveLine.objects.bulk_create(rows)
        total = sum((r.points for r in rows), Decimal(0))
        run, _created = IncentiveRun.objects.update_or_create(
            period=period, defaults={"computed_by": actor, "computed_at": timezone.now(), "cases": counted, "lines": len(rows),
                                     "points": total, "scheme": incentives.scheme()})
        record_event(actor, "recompute_incentives", run, period=period, cases=counted,
                     lines=len(rows), points=str(total))
    return run
