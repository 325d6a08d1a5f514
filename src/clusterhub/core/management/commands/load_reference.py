"""clusterhub load-reference: the seed's reference data (regions, taxonomy, clusters, Table 3-1)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand

from clusterhub.core.importing import RecordError, import_files

REFERENCE_DIR = Path(__file__).resolve().parents[2] / "reference"
FILES = ["regions.jsonl", "fields.jsonl", "organisations.jsonl", "clusters.jsonl"]


class Command(BaseCommand):
    help = "Load the reference data shipped with ClusterHub (sources in reference/SOURCES.md)."

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            result = import_files([REFERENCE_DIR / f for f in FILES], stream=sys.stderr)
        except RecordError as exc:
            self.stderr.write(f"reference data failed to load: {exc}")
            sys.exit(2)
        counts = ", ".join(f"{n} {t}" for t, n in sorted(result.counts.items()))
        self.stdout.write(f"reference data loaded: {counts}")
