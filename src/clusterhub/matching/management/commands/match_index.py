"""clusterhub match-index [--rebuild] [--queue] [--load-concepts] [--json]

Without options: where the persisted matching index stands. `--rebuild` builds it now, in this
process, with progress; `--queue` hands the rebuild to the background worker instead.
`--load-concepts` adds the entries of matching/concepts.jsonl that the concept table lacks
(`--update-concepts`: and overwrites those it has)."""

from __future__ import annotations

import json
import threading
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "Show, rebuild or queue a rebuild of the matching index."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--rebuild", action="store_true", help="rebuild now")
        parser.add_argument("--queue", action="store_true", help="queue a background rebuild")
        parser.add_argument("--load-concepts", action="store_true",
                            help="add concepts.jsonl entries the table lacks")
        parser.add_argument("--update-concepts", action="store_true",
                            help="add and overwrite concepts from concepts.jsonl")
        parser.add_argument("--json", action="store_true", help="print the status as JSON")

    def handle(self, *args: Any, **options: Any) -> None:
        from clusterhub.matching.concepts import load_concepts
        from clusterhub.matching.engine import index_status, request_rebuild, run_build
        from clusterhub.matching.models import Concept, IndexBuild

        if options["load_concepts"] or options["update_concepts"]:
            n = load_concepts(Concept, update=options["update_concepts"])
            self.stdout.write(f"concepts written: {n}")
        if options["queue"]:
            build = request_rebuild()
            self.stdout.write(f"build {build.pk} queued (clusterhub db_worker runs it)")
        if options["rebuild"]:
            build = IndexBuild.objects.create(status=IndexBuild.Status.QUEUED)
            stop = threading.Event()
            watcher = threading.Thread(target=self._watch, args=(build.pk, stop), daemon=True)
            if self.stderr.isatty():
                watcher.start()
            started = time.perf_counter()
            build = run_build(build)
            stop.set()
            self.stdout.write(f"build {build.pk}: {build.status}, {build.docs} "
                              f"({time.perf_counter() - started:.1f} s)")
        status = index_status()
        if options["json"]:
            self.stdout.write(json.dumps(status, default=str, ensure_ascii=False))
        elif not (options["rebuild"] or options["queue"]):
            build = status["build"]
            if build is None:
                self.stdout.write("no index built yet (clusterhub match-index --rebuild)")
            else:
                self.stdout.write(f"build {build['id']} finished {build['finished_at']}: "
                                  f"{build['docs']} ({build['message']})")
            self.stdout.write(f"usable: {status['usable']}  pending changes: "
                              f"{status['pending_changes']} {status['pending_by_kind']}")
            if status["rebuild"]:
                r = status["rebuild"]
                self.stdout.write(f"rebuild {r['id']}: {r['status']} {r['done']}/{r['total']}")

    def _watch(self, build_id: int, stop: threading.Event) -> None:
        from django.db import connection

        from clusterhub.matching.models import IndexBuild

        try:
            while not stop.wait(1.0):
                row = IndexBuild.objects.filter(pk=build_id).values("done", "total").first()
                if row and row["total"]:
                    self.stderr.write(f"\rindexed {row['done']:,}/{row['total']:,}", ending="")
            self.stderr.write("")
        finally:
            connection.close()
