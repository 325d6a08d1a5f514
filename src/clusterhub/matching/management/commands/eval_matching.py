"""clusterhub eval-matching LABELS.jsonl [--kinds expert case] [--no-baseline] [--json]

nDCG@10, recall@10 and MRR@10 per kind for the hub's ranking beside plain BM25 baselines
(whitespace tokens; kiwipiepy morphemes) over the same documents. Labels: lines `{"id", "text",
"region"?, "experts": {id: grade}, "cases": {id: grade}}` (grades 2 right, 1 useful)."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser


class Command(BaseCommand):
    help = "Evaluate the matching ranking on a labelled set of queries."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("labels", help="LABELS.jsonl")
        parser.add_argument("--kinds", nargs="+", default=["expert", "case"],
                            help="kinds to evaluate (expert, case, organisation)")
        parser.add_argument("--no-baseline", action="store_true", help="the hub's ranking only")
        parser.add_argument("--json", action="store_true", help="print JSON")
        parser.add_argument("--per-query", metavar="KIND",
                            help="also print each query's nDCG and recall for KIND")

    def handle(self, *args: Any, **options: Any) -> None:
        from clusterhub.matching.engine import engine
        from clusterhub.matching.evaluation import LABEL_KEYS, evaluate, per_query, read_labels

        engine().inline_rebuild = True  # a command may rebuild a stale index at once
        kinds = [k for v in options["kinds"] for k in v.split(",") if k]
        bad = [k for k in kinds if k not in LABEL_KEYS]
        if bad:
            raise CommandError(f"unknown kind '{bad[0]}' (known: {', '.join(LABEL_KEYS)})")
        try:
            labels = read_labels(options["labels"])
        except (OSError, ValueError, KeyError) as exc:
            raise CommandError(f"cannot read {options['labels']}: {exc}") from None
        result = evaluate(labels, kinds, baselines=not options["no_baseline"])
        if options["json"]:
            self.stdout.write(json.dumps(result, ensure_ascii=False))
        else:
            self.stdout.write(f"{len(labels)} queries; latency p50 "
                              f"{result['latency_ms']['p50']:.1f} ms, p95 "
                              f"{result['latency_ms']['p95']:.1f} ms")
            self.stdout.write(f"{'kind':<13}{'method':<18}{'nDCG@10':>9}{'recall@10':>11}"
                              f"{'MRR@10':>9}{'queries':>9}")
            for kind, per in result["figures"].items():
                if not per["clusterhub"]["queries"]:
                    self.stdout.write(f"{kind:<13}(no labels of this kind)")
                    continue
                for name, f in per.items():
                    self.stdout.write(f"{kind:<13}{name:<18}{f['ndcg@10']:>9.3f}"
                                      f"{f['recall@10']:>11.3f}{f['mrr@10']:>9.3f}"
                                      f"{f['queries']:>9}")
        if options["per_query"]:
            for row in per_query(labels, options["per_query"]):
                self.stdout.write(json.dumps(row, ensure_ascii=False))
