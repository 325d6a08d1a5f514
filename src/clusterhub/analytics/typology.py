"""Regional typology (seed Fig 5-1): industrial and S&T development indices from regional
indicators, the four classes and their recommended instruments.

Method (reference/typology.json, replaceable with the setting CLUSTERHUB_TYPOLOGY): each unit
(a 시도, or a group such as the capital region) gets, per indicator, its share of the total over
the units with data; an axis index is the weighted mean of its indicators' shares divided by the
mean share, so 1.0 is the average unit; a unit is high on an axis at or above the threshold.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db.models import Sum

from clusterhub.core.models import Region

from .models import RegionIndicator

DEFAULT = Path(__file__).resolve().parent / "reference" / "typology.json"
MAP = Path(__file__).resolve().parent / "reference" / "korea_map.json"


@cache
def _load(path: str) -> dict[str, Any]:
    return json.loads(Path(path).read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def config() -> dict[str, Any]:
    return _load(str(getattr(settings, "CLUSTERHUB_TYPOLOGY", "") or DEFAULT))


def indicator_names() -> set[str]:
    return set(config()["indicators"])


def korea_map() -> dict[str, Any]:
    return _load(str(MAP))


@dataclass
class UnitResult:
    id: str
    name: str
    regions: list[str]  # region codes
    industry: float
    st: float
    cls: str
    values: dict[str, float] = field(default_factory=dict)

    @property
    def cls_info(self) -> dict[str, Any]:
        return config()["classes"][self.cls]  # type: ignore[no-any-return]


def years() -> list[int]:
    return sorted(RegionIndicator.objects.values_list("year", flat=True).distinct())


def classify(year: int, weights: dict[str, float] | None = None,
             threshold: float | None = None) -> list[UnitResult]:
    """Units with data for the year, each with its two indices and its class."""
    cfg = config()
    indicators: dict[str, dict[str, Any]] = cfg["indicators"]
    weights = {k: float(weights.get(k, v["weight"]) if weights else v["weight"])
               for k, v in indicators.items()}
    threshold = cfg["threshold"] if threshold is None else threshold
    regions = {r.pk: r for r in Region.objects.all()}
    raw: dict[str, dict[str, Decimal]] = {}
    rows = (RegionIndicator.objects.filter(year=year, indicator__in=list(indicators))
            .values("region_id", "indicator").annotate(v=Sum("value")).order_by())
    for row in rows:
        raw.setdefault(regions[row["region_id"]].code, {})[row["indicator"]] = row["v"]
    units: list[tuple[str, str, list[str]]] = []
    grouped: set[str] = set()
    for unit in cfg.get("units", []):
        members = [c for c in unit["regions"] if c in raw]
        if members:
            units.append((unit["id"], unit["name"], members))
            grouped.update(unit["regions"])
    by_code = {r.code: r for r in regions.values()}
    for code in sorted(raw):
        if code not in grouped:
            units.append((code, by_code[code].name, [code]))
    if not units:
        return []
    values = {uid: {ind: sum((raw[c].get(ind, Decimal(0)) for c in members), Decimal(0))
                    for ind in indicators}
              for uid, _name, members in units}
    totals = {ind: sum((v[ind] for v in values.values()), Decimal(0)) for ind in indicators}
    mean_share = 1.0 / len(units)

    def index(uid: str, axis: str) -> float:
        # Indicators without data that year are left out (not counted as zero shares).
        parts = [(weights[ind], float(values[uid][ind] / totals[ind]))
                 for ind, spec in indicators.items() if spec["axis"] == axis and totals[ind]]
        wsum = sum(w for w, _s in parts)
        return sum(w * s for w, s in parts) / wsum / mean_share if wsum else 0.0

    out = []
    for uid, name, members in units:
        ind_x, st = round(index(uid, "industry"), 3), round(index(uid, "st"), 3)
        hi_ind, hi_st = ind_x >= threshold, st >= threshold
        cls = {(True, False): "industry_led", (True, True): "self_sufficient",
               (False, False): "selective_concentration", (False, True): "rnd_centred"}[
            (hi_ind, hi_st)]
        out.append(UnitResult(uid, name, members, ind_x, st, cls,
                              {k: float(v) for k, v in values[uid].items()}))
    return out


def region_classes(results: list[UnitResult]) -> dict[str, str]:
    """Region code -> class id, for the map."""
    return {code: r.cls for r in results for code in r.regions}


CLASS_COLOURS = {"industry_led": "#e07b24", "self_sufficient": "#2f6db5",
                 "selective_concentration": "#9aa5b1", "rnd_centred": "#3a9a5b"}


def map_svg(classes: dict[str, str], names: dict[str, str], labels: dict[str, str]) -> Any:
    """Korea's 17 regions (boundaries shipped in reference/korea_map.json), coloured by class."""
    from html import escape

    from django.utils.safestring import mark_safe

    data = korea_map()
    body = []
    for region in data["regions"]:
        cls = classes.get(region["code"])
        colour = CLASS_COLOURS.get(cls or "", "#f4f4f4")
        title = names.get(region["code"], region["name_en"])
        if cls:
            title += f": {labels.get(cls, cls)}"
        body.append(f'<path d="{escape(region["path"])}" fill="{colour}" stroke="#fff" '
                    f'stroke-width="1" data-region="{region["code"]}"><title>{escape(title)}'
                    f'</title></path>')
    return mark_safe(  # noqa: S308 - every text inside is escaped above
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart korea-map" role="img" '
        f'viewBox="{data["viewBox"]}" width="100%" style="max-width:420px" '
        f'aria-label="{escape(str(labels.get("_title", "")))}">' + "".join(body) + "</svg>")
