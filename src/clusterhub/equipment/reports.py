"""`clusterhub report utilisation --from 2026-01-01 --to 2026-04-01 [--format json|csv|xlsx]`:
use per item, site, institute and region, idle items and the compensation owed per owner and
month (definitions in metrics.py and docs/equipment.md). Dates are Seoul dates; `--to` is
exclusive."""

from __future__ import annotations

import argparse
from datetime import UTC, date, datetime
from typing import Any

from clusterhub.core.reports import Report, register
from clusterhub.core.tabular import Table, to_json, to_xlsx

from . import metrics
from .availability import TZ

COLUMNS = [("level", "level"), ("key", "id"), ("label", "name"), ("items", "items"),
           ("available_h", "available hours"), ("booked_h", "booked hours"),
           ("actual_h", "actual hours"), ("booked_utilisation_pct", "booked utilisation %"),
           ("operating_rate_pct", "operating rate %"), ("no_show_rate_pct", "no-show rate %"),
           ("sme_share_pct", "SME share %"), ("idle_items", "idle items (<10%)"),
           ("unmet_demand", "unmet demand")]
COMP_COLUMNS = [("owner", "owner id"), ("owner_name", "owner"), ("period", "month"),
                ("uses", "uses"), ("hours", "hours"), ("amount_krw", "owed (KRW)")]


def _day(value: str, name: str) -> datetime:
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"--{name}: give a date as YYYY-MM-DD, not {value!r}") from None
    return datetime.combine(day, datetime.min.time(), TZ).astimezone(UTC)


def tables(u: metrics.Utilisation) -> tuple[Table, Table]:
    rows = [{"level": "total", **u.total.row()}]
    for level, uses in (("region", u.by_region), ("institute", u.by_owner),
                        ("site", u.by_site), ("item", u.items)):
        rows += [{"level": level, **x.row()} for x in uses]
    return (Table(COLUMNS, rows, "utilisation"), Table(COMP_COLUMNS, u.compensation, "compensation"))


@register
class UtilisationReport(Report):
    name = "utilisation"
    help = "Equipment use, idle items and compensation owed to owners over a period."

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--from", dest="from_", required=True, help="first day (Seoul)")
        parser.add_argument("--to", dest="to", required=True, help="day after the last (Seoul)")

    def render(self, options: dict[str, Any], fmt: str) -> bytes:
        start, end = _day(options["from_"], "from"), _day(options["to"], "to")
        if end <= start:
            raise ValueError("--to must come after --from")
        u = metrics.utilisation(start, end)
        use, comp = tables(u)
        if fmt == "xlsx":
            return to_xlsx(use, comp)
        if fmt == "csv":
            from clusterhub.core.tabular import to_csv

            return to_csv(use)
        return to_json({
            "from": start.isoformat(), "to": end.isoformat(), "time_zone": "Asia/Seoul",
            "idle_below_pct": metrics.IDLE_BELOW * 100, "total": u.total.row(),
            "confirmation_hours_median": u.confirmation_hours_median,
            "idle_items": [x.row() for x in u.idle],
            "by_region": [x.row() for x in u.by_region],
            "by_institute": [x.row() for x in u.by_owner],
            "by_site": [x.row() for x in u.by_site],
            "items": [x.row() for x in u.items], "compensation": u.compensation,
        })
