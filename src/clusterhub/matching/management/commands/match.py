"""clusterhub match "TEXT" [--region R] [--kinds K ...] [--limit N] [--json]
clusterhub match --batch QUERIES.jsonl [--kinds K ...] [--limit N]

One ranked list of experts, organisations and solved cases for a problem text. `--json` prints
`[{"kind", "id", "name", "score", "reasons"}, ...]`. `--batch` reads lines `{"id", "text",
"region"?}` and writes one line `{"id", "results": [...]}` per query (the models load once)."""

from __future__ import annotations

import json
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from clusterhub.matching.engine import DEFAULT_KINDS, KINDS, Match, match


def parse_kinds(values: list[str] | None) -> list[str]:
    kinds = [k.strip() for v in (values or []) for k in v.split(",") if k.strip()]
    kinds = kinds or list(DEFAULT_KINDS)
    unknown = [k for k in kinds if k not in KINDS]
    if unknown:
        raise CommandError(f"unknown kind '{unknown[0]}' (known: {', '.join(KINDS)})")
    return kinds


class Command(BaseCommand):
    help = "Rank experts, organisations and solved cases for a problem text (Korean)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("text", nargs="?", help="the problem, in Korean")
        parser.add_argument("--region", help="region code or short name (48, 경남)")
        parser.add_argument("--kinds", nargs="+", metavar="KIND",
                            help=f"kinds to rank: {', '.join(KINDS)} (default: "
                                 f"{' '.join(DEFAULT_KINDS)}); spaces or commas")
        parser.add_argument("--limit", type=int, default=10)
        parser.add_argument("--json", action="store_true", help="print JSON")
        parser.add_argument("--batch", metavar="QUERIES.jsonl",
                            help='queries, one {"id", "text", "region"?} a line; "-" is stdin')

    def handle(self, *args: Any, **options: Any) -> None:
        from clusterhub.matching.engine import engine

        engine().inline_rebuild = True  # a command may rebuild a stale index at once
        kinds = parse_kinds(options["kinds"])
        limit = options["limit"]
        if limit < 1:
            raise CommandError("--limit must be at least 1")
        if options["batch"]:
            self._batch(options["batch"], kinds, limit)
            return
        text = options["text"]
        if not text:
            raise CommandError("give a TEXT or --batch QUERIES.jsonl")
        results = match(text, region=options["region"], kinds=kinds, limit=limit)
        if options["json"]:
            self.stdout.write(json.dumps([m.as_dict() for m in results], ensure_ascii=False))
            return
        self._table(results)

    def _batch(self, path: str, kinds: list[str], limit: int) -> None:
        handle = sys.stdin if path == "-" else open(path, encoding="utf-8")  # noqa: SIM115
        with handle:
            for lineno, line in enumerate(handle, start=1):
                if not line.strip():
                    continue
                try:
                    query = json.loads(line)
                    text = query["text"]
                except (json.JSONDecodeError, KeyError, TypeError) as exc:
                    raise CommandError(f"{path}:{lineno}: need an object with a 'text' "
                                       f"({exc})") from None
                results = match(text, region=query.get("region"), kinds=kinds, limit=limit)
                self.stdout.write(json.dumps(
                    {"id": query.get("id", lineno), "results": [m.as_dict() for m in results]},
                    ensure_ascii=False))

    def _table(self, results: list[Match]) -> None:
        if not results:
            self.stdout.write("(no results)")
            return
        for n, m in enumerate(results, start=1):
            self.stdout.write(f"{n:2}. {m.score:.3f}  {m.kind:<12} {m.id:<20} {m.name}")
            if m.reasons:
                self.stdout.write("              " + " · ".join(m.reasons))
