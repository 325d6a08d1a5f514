"""`clusterhub report design-support --from YYYY-MM-DD --to YYYY-MM-DD --format json|csv|xlsx`."""

from __future__ import annotations

import argparse
from datetime import date
from typing import Any

from clusterhub.core import tabular
from clusterhub.core.reports import Report, register


def _date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {value!r}") from exc


@register
class DesignSupportReport(Report):
    name = "design-support"
    help = "Firms and products the design service supported, by region and year (Table 4-9)."

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--from", dest="date_from", type=_date, help="first day (YYYY-MM-DD)")
        parser.add_argument("--to", dest="date_to", type=_date, help="last day (YYYY-MM-DD)")

    def render(self, options: dict[str, Any], fmt: str) -> bytes:
        from .stats import hub_table, seed_table, yearly_totals

        a, b = options.get("date_from"), options.get("date_to")
        if a and b and b < a:
            raise ValueError("--to is before --from")
        table = hub_table(a, b)
        data = {"hub": [dict(r) for r in table.rows],
                "totals": {str(y): t for y, t in yearly_totals(table).items()},
                "seed_table_4_9": seed_table()}
        return tabular.render(table, fmt, json_data=data)
