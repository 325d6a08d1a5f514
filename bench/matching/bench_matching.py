"""Matching benchmark: index build beside kiwipiepy's own batch tokenisation, index load time,
match latency and resident memory, on a hub loaded with bench/make_dataset.py data.

    export CLUSTERHUB_DATA_DIR=/tmp/mbench/var
    .venv/bin/clusterhub migrate && .venv/bin/clusterhub import /tmp/mbench/data.jsonl
    .venv/bin/python bench/matching/bench_matching.py build   # kiwi alone, then the build
    .venv/bin/python bench/matching/bench_matching.py query   # a fresh process: load + queries

`build` tokenises the very texts the build analyses (every document part, in the build's order)
with a plain `Kiwi().tokenize(list)` (worker threads, as the build uses), then runs the full
build (database reads, analysis, bm25s index, save) and prints both throughputs. `query` times
loading the persisted index in a new process, then `match()` (all kinds, limit 10) for the
labelled queries (src/clusterhub/matching/eval/labels.jsonl) and queries made of random
field keywords; it reports p50/p95 after a warm-up and the peak RSS. Results are JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clusterhub.settings")


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def setup() -> None:
    import django

    django.setup()


def collect_texts(kinds: list[str], limit: int | None) -> tuple[list[str], int]:
    """The texts a build analyses, in its order (limit: documents per kind)."""
    from clusterhub.matching import conf
    from clusterhub.matching.engine import engine
    from clusterhub.matching.sources import SOURCES

    taxonomy = engine().taxonomy
    weights = conf.doc_weights()
    texts: list[str] = []
    docs = 0
    for kind in kinds:
        n = 0
        for chunk in SOURCES[kind].iter_docs(taxonomy, weights):
            for doc in chunk:
                texts.extend(t for t, reps in doc.parts if reps > 0 and t and t.strip())
            docs += len(chunk)
            n += len(chunk)
            if limit and n >= limit:
                break
    return texts, docs


def cmd_build(args: argparse.Namespace) -> dict:
    setup()
    if args.no_cache:
        from clusterhub.matching import index

        index.CACHE_TEXTS = 0  # analyse every text, recurring ones too
    from kiwipiepy import Kiwi

    from clusterhub.matching.engine import run_build
    from clusterhub.matching.index import INDEXED_KINDS
    from clusterhub.matching.models import IndexBuild

    kinds = list(INDEXED_KINDS)
    t0 = time.perf_counter()
    texts, docs = collect_texts(kinds, None)
    collect_s = time.perf_counter() - t0
    chars = sum(len(t) for t in texts)
    kiwi = Kiwi(num_workers=-1)
    kiwi.tokenize("워밍업")
    t0 = time.perf_counter()
    n_tokens = 0
    for tokens in kiwi.tokenize(texts):
        n_tokens += len(tokens)
    kiwi_s = time.perf_counter() - t0
    del kiwi, texts
    t0 = time.perf_counter()
    build = run_build(IndexBuild.objects.create(status=IndexBuild.Status.QUEUED))
    build_s = time.perf_counter() - t0
    return {
        "documents": docs, "texts_chars": chars, "collect_texts_s": round(collect_s, 1),
        "kiwi_batch_s": round(kiwi_s, 1), "kiwi_chars_per_s": round(chars / kiwi_s),
        "build_s": round(build_s, 1), "build_chars_per_s": round(chars / build_s),
        "build_docs_per_s": round(docs / build_s),
        "build_vs_kiwi": round(kiwi_s / build_s, 3), "build_docs": build.docs,
        "text_cache": not args.no_cache, "peak_rss_mb": round(rss_mb()),
    }


def queries(n_random: int, seed: int) -> list[tuple[str, str | None]]:
    from vocab import DEFECTS, FIELD_KEYWORDS

    labels = ROOT / "src" / "clusterhub" / "matching" / "eval" / "labels.jsonl"
    out = [(r["text"], r.get("region")) for r in map(json.loads, labels.read_text().splitlines())]
    rnd = random.Random(seed)
    words = [w for ws in FIELD_KEYWORDS.values() for w in ws]
    regions = ["경남", "경기", "부산", None, None]
    for _ in range(n_random):
        text = " ".join(rnd.sample(words, rnd.randint(2, 4))) + f" {rnd.choice(DEFECTS)} 문제"
        out.append((text, rnd.choice(regions)))
    return out


def cmd_query(args: argparse.Namespace) -> dict:
    t0 = time.perf_counter()
    setup()
    from clusterhub.matching.analysis import get_analyzer
    from clusterhub.matching.engine import engine, match

    django_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    get_analyzer()
    kiwi_s = time.perf_counter() - t0
    rss_kiwi = rss_mb()
    t0 = time.perf_counter()
    eng = engine()
    eng.ensure()
    eng.concepts()
    load_s = time.perf_counter() - t0
    rss_loaded = rss_mb()
    qs = queries(args.random, args.seed)
    for text, region in qs[:5]:  # warm-up: typo index, caches
        match(text, region=region)
    times = []
    for text, region in qs:
        t0 = time.perf_counter()
        match(text, region=region, limit=10)
        times.append((time.perf_counter() - t0) * 1000)
    times.sort()
    return {
        "documents": {k: ix.n_docs for k, ix in eng.indexes.items()},
        "django_setup_s": round(django_s, 2), "kiwi_load_s": round(kiwi_s, 2),
        "index_load_s": round(load_s, 3), "queries": len(times),
        "p50_ms": round(times[len(times) // 2], 1), "p95_ms": round(times[int(len(times) * .95)], 1),
        "max_ms": round(times[-1], 1), "rss_after_kiwi_mb": round(rss_kiwi),
        "rss_after_load_mb": round(rss_loaded), "peak_rss_mb": round(rss_mb()),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="cmd", required=True)
    b = sub.add_parser("build")
    b.add_argument("--no-cache", action="store_true",
                   help="analyse recurring short texts each time (as plain Kiwi does)")
    q = sub.add_parser("query")
    q.add_argument("--random", type=int, default=200, help="random keyword queries")
    q.add_argument("--seed", type=int, default=2006)
    args = parser.parse_args()
    result = cmd_build(args) if args.cmd == "build" else cmd_query(args)
    print(json.dumps({args.cmd: result}, ensure_ascii=False))


if __name__ == "__main__":
    main()
