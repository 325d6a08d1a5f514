"""`clusterhub report kpi`: the institute KPI report (seed Tables 4-2 to 4-7)."""

from __future__ import annotations

import argparse
from typing import Any

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

from clusterhub.core import tabular
from clusterhub.core.reports import Report, register

from . import kpi


def kpi_table(result: kpi.KpiResult) -> tabular.Table:
    """One row per institution and year, one column per metric (Korean labels)."""
    columns = [("institution", str(_("Institution id"))), ("institution_name", str(_("Institution"))),
               ("year", str(_("Year")))]
    columns += [(m.key, f"{m.label} ({_('M KRW')})" if m.is_amount else str(m.label))
                for m in kpi.METRICS]
    rows = []
    for inst, per in result.rows.items():
        for year, values in sorted(per.items()):
            rows.append({"institution": inst, "institution_name": result.names.get(inst, ""),
                         "year": year, **values})
    return tabular.Table(columns=columns, rows=rows, title="KPI")


@register
class KpiReport(Report):
    name = "kpi"
    help = ("Institute KPI report (seed Tables 4-2 to 4-7): per institution and year, SME "
            "joint R&D, contract research, transfers and royalties, guidance, training.")

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--institution", action="append", metavar="ID",
                            help="organisation id (repeatable; default: all)")
        parser.add_argument("--from", dest="year_from", type=int, metavar="YEAR")
        parser.add_argument("--to", dest="year_to", type=int, metavar="YEAR")

    def render(self, options: dict[str, Any], fmt: str) -> bytes:
        year_from, year_to = options.get("year_from"), options.get("year_to")
        if year_from is not None and year_to is not None and year_from > year_to:
            raise ValueError(f"--from {year_from} is after --to {year_to}")
        result = kpi.compute(options.get("institution") or None, year_from, year_to)
        with translation.override(settings.LANGUAGE_CODE):  # Korean labels by default
            return tabular.render(kpi_table(result), fmt, json_data=result.as_json())
