"""Evaluation of the ranking on a labelled set, beside plain baselines.

Labels: JSON Lines `{"id", "text", "region"?, "experts": {id: grade}, "cases": {id: grade},
"organisations"?: {id: grade}}`, grades 2 = right, 1 = useful, 0 = wrong. Per kind and query
the engine ranks that kind alone (`match(kinds=(kind,), limit=10)`); a query without relevant
items of a kind is left out of that kind's figures.

Metrics at 10: nDCG@10 (gain = grade, discount log2(rank + 1), ideal from the labels), recall@10
(relevant = grade >= 1) and MRR@10 (reciprocal rank of the first relevant result, 0 beyond 10).
Baselines, built in memory over the records' own text (each part once; no field names, field
terms, solved cases' titles or concepts): "bm25-whitespace" (whitespace tokens) and
"bm25-kiwi" (the analyser's terms).
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .analysis import get_analyzer, whitespace_tokens
from .sources import SOURCES

LABEL_KEYS = {"expert": "experts", "case": "cases", "organisation": "organisations"}
K = 10


@dataclass
class Labelled:
    id: str
    text: str
    region: str | None
    grades: dict[str, dict[str, int]]  # kind -> external id -> grade


def read_labels(path: Path | str) -> list[Labelled]:
    out = []
    with open(path, encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            rec = json.loads(line)
            grades = {kind: {str(k): int(v) for k, v in (rec.get(key) or {}).items()}
                      for kind, key in LABEL_KEYS.items()}
            out.append(Labelled(str(rec.get("id", lineno)), rec["text"], rec.get("region"),
                                grades))
    return out


def ndcg(ranked: Sequence[str], grades: dict[str, int], k: int = K) -> float:
    dcg = sum(grades.get(x, 0) / math.log2(i + 2) for i, x in enumerate(ranked[:k]))
    ideal = sorted((g for g in grades.values() if g > 0), reverse=True)[:k]
    idcg = sum(g / math.log2(i + 2) for i, g in enumerate(ideal))
    return dcg / idcg if idcg else 0.0


def recall(ranked: Sequence[str], grades: dict[str, int], k: int = K) -> float:
    relevant = {x for x, g in grades.items() if g > 0}
    return len(relevant & set(ranked[:k])) / len(relevant) if relevant else 0.0


def mrr(ranked: Sequence[str], grades: dict[str, int], k: int = K) -> float:
    for i, x in enumerate(ranked[:k]):
        if grades.get(x, 0) > 0:
            return 1.0 / (i + 1)
    return 0.0


@dataclass
class Figures:
    ndcg: list[float] = field(default_factory=list)
    recall: list[float] = field(default_factory=list)
    mrr: list[float] = field(default_factory=list)

    def add(self, ranked: Sequence[str], grades: dict[str, int]) -> None:
        self.ndcg.append(ndcg(ranked, grades))
        self.recall.append(recall(ranked, grades))
        self.mrr.append(mrr(ranked, grades))

    def summary(self) -> dict[str, float]:
        n = len(self.ndcg)
        return {"ndcg@10": sum(self.ndcg) / n if n else 0.0,
                "recall@10": sum(self.recall) / n if n else 0.0,
                "mrr@10": sum(self.mrr) / n if n else 0.0, "queries": n}


class PlainBM25:
    """A baseline: bm25s over one tokenizer's tokens of each document (parts once)."""

    def __init__(self, kind: str, tokenize_many: Callable[[list[str]], list[list[str]]]):
        import bm25s

        from .engine import engine

        taxonomy = engine().taxonomy
        # The record's own text, each part once: no field names, no solved cases' titles.
        weights = {k: 0 if k.endswith(("_fields", "_cases")) else 1 for k in _doc_keys()}
        ids: list[str] = []
        texts: list[str] = []
        ext = _external_ids(kind)
        for chunk in SOURCES[kind].iter_docs(taxonomy, weights):
            for doc in chunk:
                ids.append(ext.get(doc.pk, str(doc.pk)))
                texts.append(" \n ".join(t for t, reps in doc.parts if reps > 0 and t))
        self.ids = ids
        self.tokenize_many = tokenize_many
        self.retriever = bm25s.BM25()
        corpus = tokenize_many(texts)
        self.retriever.index([c or [""] for c in corpus], show_progress=False)
        self.vocab: dict[str, int] = self.retriever.vocab_dict

    def top(self, text: str, k: int = K) -> list[str]:
        scores = np.zeros(len(self.ids), dtype=np.float32)
        data, indices, indptr = (self.retriever.scores["data"], self.retriever.scores["indices"],
                                 self.retriever.scores["indptr"])
        for term in set(self.tokenize_many([text])[0]):
            tid = self.vocab.get(term)
            if tid is None or tid + 1 >= len(indptr):
                continue
            a, b = indptr[tid], indptr[tid + 1]
            scores[indices[a:b]] += data[a:b]
        order = np.argsort(-scores, kind="stable")[:k]
        return [self.ids[i] for i in order if scores[i] > 0]


def _doc_keys() -> list[str]:
    from .conf import DOC_KEYS

    return list(DOC_KEYS)


def _external_ids(kind: str) -> dict[int, str]:
    model = SOURCES[kind].model
    return dict(model._default_manager.values_list("pk", "external_id"))


def evaluate(labels: list[Labelled], kinds: Sequence[str] = ("expert", "case"),
             baselines: bool = True) -> dict[str, Any]:
    """Figures per kind and method, and the time the engine took per query."""
    from .engine import match

    analyzer = get_analyzer()
    methods: dict[str, dict[str, Figures]] = {}
    timings: list[float] = []
    for kind in kinds:
        per: dict[str, Figures] = {"clusterhub": Figures()}
        bases: dict[str, PlainBM25] = {}
        if baselines:
            bases["bm25-kiwi"] = PlainBM25(
                kind, lambda texts: list(analyzer.tokens_many(texts)))
            bases["bm25-whitespace"] = PlainBM25(
                kind, lambda texts: [whitespace_tokens(t) for t in texts])
            for name in bases:
                per[name] = Figures()
        for item in labels:
            grades = item.grades.get(kind) or {}
            if not any(g > 0 for g in grades.values()):
                continue
            started = time.perf_counter()
            ranked = [m.id for m in match(item.text, region=item.region, kinds=(kind,), limit=K)]
            timings.append(time.perf_counter() - started)
            per["clusterhub"].add(ranked, grades)
            for name, base in bases.items():
                per[name].add(base.top(item.text), grades)
        methods[kind] = per
    ms = sorted(t * 1000 for t in timings)
    return {
        "figures": {kind: {name: f.summary() for name, f in per.items()}
                    for kind, per in methods.items()},
        "latency_ms": {"p50": ms[len(ms) // 2] if ms else 0.0,
                       "p95": ms[int(len(ms) * 0.95)] if ms else 0.0},
        "queries": len(labels),
    }


def per_query(labels: list[Labelled], kind: str) -> list[dict[str, Any]]:
    """Each query's figures for one kind (to look into failures)."""
    from .engine import match

    rows = []
    for item in labels:
        grades = item.grades.get(kind) or {}
        if not any(g > 0 for g in grades.values()):
            continue
        ranked = [m.id for m in match(item.text, region=item.region, kinds=(kind,), limit=K)]
        rows.append({"id": item.id, "ndcg": ndcg(ranked, grades), "recall": recall(ranked, grades),
                     "ranked": ranked, "relevant": grades})
    return rows
