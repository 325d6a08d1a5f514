"""Outcome-based incentives: SME-side outcomes of closed cases turned into points.

The scheme is data (reference/incentives.json, or the file named by the setting
CLUSTERHUB_INCENTIVE_SCHEME): a list of rules, each giving a case points from one measure of
its `support.Outcome` or its answered follow-ups. `score_case` is pure and explains each line;
`actions.recompute_incentives` writes the lines to the ledger (IncentiveLine).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from functools import cache
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db.models import Count, F, QuerySet, Sum
from django.utils import timezone

from .models import IncentiveLine

DEFAULT_SCHEME = Path(__file__).resolve().parent / "reference" / "incentives.json"
PERIOD_RE = re.compile(r"^(\d{4})(?:-(Q[1-4]|H[12]))?$")


@dataclass(frozen=True)
class Line:
    rule: str
    basis: str
    points: Decimal


def scheme_path() -> Path:
    return Path(getattr(settings, "CLUSTERHUB_INCENTIVE_SCHEME", "") or DEFAULT_SCHEME)


@cache
def _load(path: str) -> dict[str, Any]:
    return json.loads(Path(path).read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def scheme() -> dict[str, Any]:
    return _load(str(scheme_path()))


def period_bounds(period: str) -> tuple[datetime, datetime]:
    """[start, end) of a period: a year (2025), a quarter (2025-Q2) or a half (2025-H1)."""
    m = PERIOD_RE.match(period or "")
    if not m:
        raise ValueError(f"period '{period}' is not YYYY, YYYY-Qn or YYYY-Hn")
    year, part = int(m.group(1)), m.group(2)
    first, months = 1, 12
    if part and part[0] == "Q":
        first, months = 3 * (int(part[1]) - 1) + 1, 3
    elif part:
        first, months = 6 * (int(part[1]) - 1) + 1, 6
    end_month = first + months
    tz = timezone.get_current_timezone()
    start = datetime(year, first, 1, tzinfo=tz)
    end = (datetime(year + 1, 1, 1, tzinfo=tz) if end_month > 12
           else datetime(year, end_month, 1, tzinfo=tz))
    return start, end


def _d(value: Any) -> Decimal:
    return Decimal(str(value))


def _q(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _capped(value: Decimal, rule: dict[str, Any]) -> Decimal:
    cap = rule.get("cap")
    return min(value, _d(cap)) if cap is not None else value


def score_case(outcome: Any, answered_months: list[int], rules: list[dict[str, Any]]
               ) -> list[Line]:
    """The points each rule gives one case, with the outcome figure each comes from."""
    lines: list[Line] = []
    for rule in rules:
        kind, pts = rule["kind"], _d(rule["points"])
        if kind == "flat":
            lines.append(Line(rule["id"], "closed", pts))
        elif kind == "per_unit":
            value = getattr(outcome, rule["field"])
            if value is not None and value > 0:
                got = _capped(_d(value) / _d(rule["unit"]) * pts, rule)
                lines.append(Line(rule["id"], f"{rule['field']} = {_d(value)}", _q(got)))
        elif kind in ("reduction_points", "reduction_share"):
            before, after = getattr(outcome, rule["before"]), getattr(outcome, rule["after"])
            if before is None or after is None or after >= before:
                continue
            cut = _d(before) - _d(after)
            if kind == "reduction_share":
                cut = cut / _d(before) * 100
            got = _capped(cut * pts, rule)
            lines.append(Line(rule["id"], f"{rule['before']} {_d(before)} → {_d(after)}",
                              _q(got)))
        elif kind == "flag":
            if getattr(outcome, rule["field"]):
                lines.append(Line(rule["id"], f"{rule['field']} = yes", pts))
        elif kind == "satisfaction":
            steps = int(outcome.satisfaction) - int(rule.get("neutral", 3))
            if steps:
                lines.append(Line(rule["id"], f"satisfaction = {outcome.satisfaction}/5",
                                  _q(steps * pts)))
        elif kind == "follow_up":
            answered = sorted(m for m in answered_months if m in rule.get("months", []))
            if answered:
                lines.append(Line(rule["id"], "answered at " + ", ".join(f"{m}m" for m in answered),
                                  _q(len(answered) * pts)))
        else:
            raise ValueError(f"incentive rule '{rule['id']}': unknown kind '{kind}'")
    return lines


def ledger(period: str) -> QuerySet[IncentiveLine]:
    return (IncentiveLine.objects.filter(period=period)
            .select_related("request", "request__firm", "expert", "centre", "institute")
            .order_by("request_id", "rule", "expert_id"))


def totals(period: str, by: str) -> list[dict[str, Any]]:
    """Points per expert, centre or institute in a period, highest first."""
    key = {"expert": "expert", "centre": "centre", "institute": "institute"}[by]
    rows = list(IncentiveLine.objects.filter(period=period)
                .values(pk=F(f"{key}_id"), name=F(f"{key}__name"))
                .annotate(points=Sum("points"), cases=Count("request_id", distinct=True))
                .order_by("-points", "name"))
    for row in rows:  # SQLite sums decimals as floats
        row["points"] = _q(_d(row["points"]))
    return rows
