"""clusterhub import FILE [FILE ...]: JSON Lines records, all or nothing."""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from clusterhub.core.importing import RecordError, import_files


class Command(BaseCommand):
    help = "Import JSON Lines records (types: see docs/records.md). All or nothing."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("files", nargs="+")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            result = import_files(options["files"], stream=sys.stderr)
        except RecordError as exc:
            self.stderr.write(f"import failed, nothing was written: {exc}")
            sys.exit(2)
        counts = ", ".join(f"{n} {t}" for t, n in sorted(result.counts.items())) or "nothing"
        self.stdout.write(f"imported {result.total} records ({counts}); "
                          f"{result.created} created, {result.updated} updated")
