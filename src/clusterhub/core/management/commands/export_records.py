"""clusterhub export --type T [--out FILE]: JSON Lines that `import` takes back unchanged."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from clusterhub.core.importing import REGISTRY, dependency_order, export_records


class Command(BaseCommand):
    help = "Export records of one type (or all types) as JSON Lines."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--type", dest="type", action="append",
                            help="record type; repeat for several; 'all' for every type")
        parser.add_argument("--out", help="file to write (default: standard output)")

    def handle(self, *args: Any, **options: Any) -> None:
        types = options["type"] or []
        if not types:
            raise CommandError(f"--type is required (one of {', '.join(sorted(REGISTRY))}, all)")
        if "all" in types:
            types = dependency_order()
        for t in types:
            if t not in REGISTRY:
                raise CommandError(f"unknown type '{t}' (one of {', '.join(sorted(REGISTRY))})")
        # self.stdout (not sys.stdout) so that call_command(..., stdout=...) captures the records.
        out = open(options["out"], "w", encoding="utf-8") if options["out"] else self.stdout  # noqa: SIM115
        n = 0
        try:
            for t in types:
                for record in export_records(t):
                    out.write(json.dumps(record, ensure_ascii=False) + "\n")
                    n += 1
        finally:
            if out is not self.stdout:
                out.close()
        if options["out"]:
            self.stderr.write(f"exported {n} records to {options['out']}")
