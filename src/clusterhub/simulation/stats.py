"""Statistics of the design service by region and year (the seed's Table 4-9), from the hub's
own runs: distinct firms and distinct products (a firm's product title) per region and year,
counting runs that finished."""

from __future__ import annotations

import json
from datetime import date
from importlib import resources
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from clusterhub.core.tabular import Table

from .models import RunStatus, SimulationRun


def hub_table(date_from: date | None = None, date_to: date | None = None) -> Table:
    qs = SimulationRun.objects.filter(status=RunStatus.SUCCEEDED)
    if date_from is not None:
        qs = qs.filter(created_at__date__gte=date_from)
    if date_to is not None:
        qs = qs.filter(created_at__date__lte=date_to)
    groups: dict[tuple[int, str], dict[str, set[Any]]] = {}
    rows = qs.values_list("pk", "created_at", "region__name", "organisation_id", "title")
    for pk, created, region, org, title in rows.iterator():
        year = timezone.localtime(created).year
        g = groups.setdefault((year, region or _("No region")), {"firms": set(), "products": set(), "runs": set()})
        g["firms"].add(org)
        g["products"].add((org, title.strip().lower()))
        g["runs"].add(pk)
    table = Table(
        columns=[("year", _("Year")), ("region", _("Region")), ("firms", _("Firms")),
                 ("products", _("Products")), ("runs", _("Runs"))],
        title="design-support")
    for (year, region), g in sorted(groups.items()):
        table.rows.append({"year": year, "region": region, "firms": len(g["firms"]),
                           "products": len(g["products"]), "runs": len(g["runs"])})
    return table


def yearly_totals(table: Table) -> dict[int, dict[str, int]]:
    """Per year: the sums over regions (a firm counts in its region, so firms add up)."""
    out: dict[int, dict[str, int]] = {}
    for r in table.rows:
        t = out.setdefault(r["year"], {"firms": 0, "products": 0, "runs": 0})
        for k in ("firms", "products", "runs"):
            t[k] += r[k]
    return out


def seed_table() -> dict[str, Any]:
    """Table 4-9 as transcribed in reference/table_4_9.json (with its line numbers)."""
    text = resources.files("clusterhub.simulation").joinpath("reference/table_4_9.json").read_text("utf-8")
    return json.loads(text)
