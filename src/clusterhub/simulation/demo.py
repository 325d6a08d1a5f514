"""Demo data of the simulation service: three finished runs of the demo foundry on small grids
(one attached to its first support request), and past runs spread over regions and years so the
statistics page has something to count. Safe to call twice; about 10 s."""

from __future__ import annotations

import random
from datetime import datetime
from typing import Any

from django.utils import timezone

DEMO_RUNS: list[dict[str, Any]] = [
    {"title": "브래킷 평판 (A356, 압탕)", "geometry": "box", "dims_mm": (60.0, 40.0, 20.0), "riser": True,
     "alloy": "A356", "pouring_temperature": 700.0, "mesh_mm": 4.0},
    {"title": "밸브 바디 원기둥 (주강)", "geometry": "cylinder", "dims_mm": (40.0, 0.0, 50.0),
     "riser": True, "alloy": "plain_carbon_steel", "pouring_temperature": 1580.0, "mesh_mm": 4.0},
    {"title": "볼 조인트 (A356, 압탕 없음)", "geometry": "sphere", "dims_mm": (40.0, 0.0, 0.0),
     "riser": False, "alloy": "A356", "pouring_temperature": 690.0, "mesh_mm": 4.0},
]
HISTORY_YEARS = {2003: 25, 2004: 40, 2005: 30}  # demo past runs per year (not the seed's figures)


def populate(users: dict[str, Any], stdout: Any) -> None:
    from clusterhub.core.models import Organisation
    from clusterhub.support.models import SupportRequest

    from . import actions
    from .models import RunStatus, SimulationRun

    sme = users.get("sme")
    if sme is None or SimulationRun.objects.filter(owner=sme).exists():
        return
    request = SupportRequest.objects.filter(firm_id=sme.profile.organisation_id).order_by("pk").first()
    done = 0
    for n, spec in enumerate(DEMO_RUNS):
        run = actions.create_run(sme, mould="silica_sand", enqueue=False,
                                 support_request=request if n == 0 else None, **spec)
        if actions.execute_run(run.pk) == "succeeded":
            done += 1
    coordinator = users.get("coordinator")
    rng = random.Random(7)
    firms = list(Organisation.objects.firms().filter(region__isnull=False).order_by("external_id")[:300])
    rows = []
    if coordinator is not None and firms:
        for year, count in HISTORY_YEARS.items():
            chosen = rng.sample(firms, min(len(firms), max(1, count // 2)))
            for i in range(count):
                firm = chosen[i % len(chosen)]
                rows.append(SimulationRun(
                    owner=coordinator, organisation=firm, desk=coordinator.profile.organisation,
                    region=firm.region, title=f"과거 지원 제품 {year}-{i + 1:02d}", geometry="box",
                    alloy=rng.choice(["A356", "plain_carbon_steel", "grey_iron"]), mould="silica_sand",
                    pouring_temperature=700.0, mesh_mm=4.0, status=RunStatus.SUCCEEDED, progress=100,
                    created_at=timezone.make_aware(datetime(year, rng.randint(1, 12), rng.randint(1, 28), 10)),
                ))
        SimulationRun.objects.bulk_create(rows)
    stdout.write(f"simulation: {done} finished demo runs, {len(rows)} past runs for the statistics")
