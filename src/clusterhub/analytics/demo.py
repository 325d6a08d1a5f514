"""Demo data of the analytics app: the seed's six institutes' activity records (2000-2004),
regional indicators, the programme catalogue, and an incentive ledger for the demo's cases."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from clusterhub.core.importing import import_files

REFERENCE = Path(__file__).resolve().parent / "reference"
SEED_FILES = [REFERENCE / "seed_firms.jsonl", REFERENCE / "seed_activities.jsonl"]
REGION_FILES = [REFERENCE / "region_indicators.jsonl"]
PROGRAMME_FILES = [REFERENCE / "programmes.jsonl"]


def populate(users: dict[str, Any], stdout: Any) -> None:
    from .models import InstituteYear

    if InstituteYear.objects.exists():
        return  # already loaded: safe to run twice
    result = import_files(SEED_FILES + REGION_FILES + PROGRAMME_FILES)
    analyst = users.get("analyst")
    if analyst is not None:  # the demo's closed cases, this year's ledger
        from django.utils import timezone

        from .actions import recompute_incentives

        run = recompute_incentives(analyst, str(timezone.localdate().year))
        stdout.write(f"analytics: incentives {run.period}: {run.cases} cases, "
                     f"{run.points} points\n")
    stdout.write(f"analytics: {result.total} records (seed Tables 4-2 to 4-7, regional "
                 "indicators, programmes)\n")
