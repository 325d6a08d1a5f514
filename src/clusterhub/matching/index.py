"""The persisted search index: one BM25 index (bm25s) per kind, built to files, memory-mapped
when loaded, and kept current between builds by an overlay of changed documents.

Layout: `DATA_DIR/matching/builds/<build id>-<token>/<kind>/` holds
- `bm25/`: the bm25s index (`BM25.save`; loaded with `BM25.load(mmap=True)`);
- `pks.npy`: the primary key of each document row, ascending;
- `terms.npy`, `tf.npy`, `indptr.npy`: each document's distinct term ids and their counts
  (for the reasons "일치: ..." and for request similarity);
- `meta.json`: document count, average length, BM25 parameters, analyser version.

A build (`build_index`) analyses every document (Kiwi in worker threads), indexes the term ids
and saves; its `IndexBuild` row records progress, the analyser version and `change_seq`, the
last `IndexChange` included. Between builds each process keeps an `Overlay`: the documents
changed since (re-read from the database and analysed), scored with the build's statistics;
the stale rows of the build are masked.
"""

from __future__ import annotations

import json
import logging
import secrets
import shutil
import time
from array import array
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import bm25s
import numpy as np
from bm25s.tokenization import Tokenized
from django.conf import settings
from django.db.models import Max
from django.utils import timezone

from .analysis import Analyzer
from .concepts import Taxonomy
from .conf import index_version
from .sources import SOURCES, Doc

log = logging.getLogger(__name__)
logging.getLogger("bm25s").setLevel(logging.WARNING)  # bm25s sets DEBUG on import

def indexed_kinds() -> tuple[str, ...]:
    """Every registered source is indexed: the built-in kinds and those apps add (equipment)."""
    return tuple(SOURCES)
PROGRESS_EVERY = 2000  # documents between progress updates of a build
CACHE_TEXT_CHARS = 120  # texts up to this long are analysed once per build
CACHE_TEXTS = 200_000
K1 = 1.5
B = 0.75


def index_root() -> Path:
    return Path(settings.DATA_DIR) / "matching"


def stream_doc_tokens(analyzer: Analyzer, chunks: Iterable[list[Doc]], taxonomy: Taxonomy
                      ) -> Iterator[tuple[Doc, list[str]]]:
    """Documents with their index terms, streamed: Kiwi's worker threads read the texts as
    they need them, so that database reads and analysis overlap and the workers never wait
    for a chunk boundary."""
    # Short texts that recur (field names, organisation names, keyword lists) are analysed
    # once: a part is either its cached terms or None, to be read from Kiwi's results.
    cache: dict[str, list[str]] = {}
    pending: deque[tuple[Doc, list[tuple[str, int, list[str] | None]]]] = deque()

    def texts() -> Iterator[str]:
        for chunk in chunks:
            for doc in chunk:
                parts = [(t, reps, cache.get(t)) for t, reps in doc.parts
                         if reps > 0 and t and t.strip()]
                if not any(cached is None for _t, _r, cached in parts):
                    parts.append((" ", 0, None))  # each document sends Kiwi a text
                pending.append((doc, parts))
                for text, _reps, cached in parts:
                    if cached is None:
                        yield text

    results = analyzer.tokens_many(texts())
    for first in results:
        doc, parts = pending.popleft()
        tokens: list[str] = []
        fresh: list[str] | None = first
        for text, reps, cached in parts:
            if cached is None:
                terms = fresh if fresh is not None else next(results)
                fresh = None
                if len(text) <= CACHE_TEXT_CHARS and len(cache) < CACHE_TEXTS:
                    cache[text] = terms
            else:
                terms = cached
            tokens.extend(terms * reps)
        tokens.extend(taxonomy.index_terms(doc.fields))
        yield doc, tokens


def doc_tokens(analyzer: Analyzer, docs: Sequence[Doc], taxonomy: Taxonomy) -> list[list[str]]:
    """The index terms of documents: each part's terms as many times as the part counts, then
    the field terms."""
    texts: list[str] = []
    where: list[tuple[int, int]] = []
    for k, doc in enumerate(docs):
        for text, reps in doc.parts:
            if reps > 0 and text and text.strip():
                texts.append(text)
                where.append((k, reps))
    out: list[list[str]] = [[] for _ in docs]
    if texts:
        for (k, reps), tokens in zip(where, analyzer.tokens_many(texts), strict=True):
            out[k].extend(tokens * reps)
    for k, doc in enumerate(docs):
        out[k].extend(taxonomy.index_terms(doc.fields))
    return out


def bm25_weights(tf: Any, dl: float, avgdl: float) -> Any:
    """Lucene's BM25 term-frequency part (bm25s `method="lucene"`)."""
    return tf / (K1 * ((1 - B) + B * dl / max(avgdl, 1e-9)) + tf)


def idf(df: np.ndarray | float, n_docs: int) -> np.ndarray | float:
    return np.log(1 + (n_docs - df + 0.5) / (df + 0.5))


# ---------------------------------------------------------------------------------------------
# Building
# ---------------------------------------------------------------------------------------------


@dataclass
class KindBuilder:
    """Collects one kind's documents and writes its index files."""

    vocab: dict[str, int] = field(default_factory=dict)
    ids: list[list[int]] = field(default_factory=list)
    pks: array[int] = field(default_factory=lambda: array("q"))
    terms: array[int] = field(default_factory=lambda: array("i"))
    tfs: array[int] = field(default_factory=lambda: array("H"))
    indptr: array[int] = field(default_factory=lambda: array("q", [0]))
    total_len: int = 0

    def add(self, pk: int, tokens: list[str]) -> None:
        vocab = self.vocab
        ids = [vocab.setdefault(t, len(vocab)) for t in tokens]
        self.ids.append(ids)
        self.pks.append(pk)
        self.total_len += len(ids)
        counts: dict[int, int] = {}
        for tid in ids:
            counts[tid] = counts.get(tid, 0) + 1
        for tid in sorted(counts):
            self.terms.append(tid)
            self.tfs.append(min(counts[tid], 65535))
        self.indptr.append(len(self.terms))

    def write(self, path: Path) -> dict[str, Any]:
        path.mkdir(parents=True, exist_ok=True)
        n = len(self.pks)
        meta: dict[str, Any] = {
            "n_docs": n, "avgdl": self.total_len / n if n else 0.0, "k1": K1, "b": B,
            "method": "lucene", "index_version": index_version(), "vocab": len(self.vocab),
        }
        if n:
            retriever = bm25s.BM25(k1=K1, b=B, method="lucene")
            retriever.index(Tokenized(ids=self.ids, vocab=self.vocab), show_progress=False)
            retriever.save(str(path / "bm25"), show_progress=False)
        np.save(path / "pks.npy", np.frombuffer(self.pks, dtype=np.int64))
        np.save(path / "terms.npy", np.frombuffer(self.terms, dtype=np.int32))
        np.save(path / "tf.npy", np.frombuffer(self.tfs, dtype=np.uint16))
        np.save(path / "indptr.npy", np.frombuffer(self.indptr, dtype=np.int64))
        if not n:  # no bm25s files: keep the vocabulary for the overlay's sake
            (path / "vocab.json").write_text(json.dumps(self.vocab, ensure_ascii=False))
        (path / "meta.json").write_text(json.dumps(meta))
        return meta


def build_index(build: Any, analyzer: Analyzer, taxonomy: Taxonomy, doc_weights: dict[str, int],
                kinds: Iterable[str] | None = None) -> None:
    """Run a full build for an `IndexBuild` row (status, progress and result written to it)."""
    from .models import IndexBuild, IndexChange

    kinds = [k for k in (indexed_kinds() if kinds is None else kinds) if k in SOURCES]
    started = time.perf_counter()
    seq = IndexChange.objects.aggregate(m=Max("id"))["m"] or 0
    total = sum(SOURCES[k].count() for k in kinds)
    root = index_root() / "builds" / f"{build.pk}-{secrets.token_hex(4)}"
    IndexBuild.objects.filter(pk=build.pk).update(
        status=IndexBuild.Status.RUNNING, started_at=timezone.now(), total=total, done=0,
        change_seq=seq, path=str(root), analyzer_version=index_version())
    done = 0
    docs: dict[str, int] = {}
    try:
        for kind in kinds:
            builder = KindBuilder()
            chunks = SOURCES[kind].iter_docs(taxonomy, doc_weights)
            for n, (doc, tokens) in enumerate(stream_doc_tokens(analyzer, chunks, taxonomy), 1):
                builder.add(doc.pk, tokens)
                if n % PROGRESS_EVERY == 0:
                    IndexBuild.objects.filter(pk=build.pk).update(done=done + n)
            done += len(builder.pks)
            IndexBuild.objects.filter(pk=build.pk).update(done=done)
            builder.write(root / kind)
            docs[kind] = len(builder.pks)
    except Exception as exc:
        IndexBuild.objects.filter(pk=build.pk).update(
            status=IndexBuild.Status.FAILED, finished_at=timezone.now(), message=repr(exc))
        shutil.rmtree(root, ignore_errors=True)
        raise
    seconds = time.perf_counter() - started
    IndexBuild.objects.filter(pk=build.pk).update(
        status=IndexBuild.Status.DONE, finished_at=timezone.now(), done=done, docs=docs,
        message=f"{done} documents in {seconds:.1f} s")
    IndexChange.objects.filter(id__lte=seq).delete()
    _remove_old_builds()


def _remove_old_builds(keep: int = 2, grace_minutes: int = 10) -> None:
    """Delete the files of builds older than the newest `keep` finished ones and finished
    `grace_minutes` ago (a process may still read an older build until its next query)."""
    from datetime import timedelta

    from .models import IndexBuild

    done = list(IndexBuild.objects.filter(status=IndexBuild.Status.DONE)
                .order_by("-id").values_list("path", "finished_at"))
    keep_paths = {Path(p) for p, _at in done[:keep]}
    cutoff = timezone.now() - timedelta(minutes=grace_minutes)
    for old, finished_at in done[keep:]:
        path = Path(old)
        if (path not in keep_paths and path.parent == index_root() / "builds"
                and finished_at is not None and finished_at < cutoff):
            shutil.rmtree(path, ignore_errors=True)


# ---------------------------------------------------------------------------------------------
# Loading and scoring
# ---------------------------------------------------------------------------------------------


class KindIndex:
    """One kind's loaded index (arrays memory-mapped)."""

    def __init__(self, kind: str, path: Path) -> None:
        self.kind = kind
        self.path = path
        meta = json.loads((path / "meta.json").read_text())
        self.n_docs: int = meta["n_docs"]
        self.avgdl: float = meta["avgdl"] or 1.0
        self.pks = np.load(path / "pks.npy", mmap_mode="r")
        self.terms = np.load(path / "terms.npy", mmap_mode="r")
        self.tf = np.load(path / "tf.npy", mmap_mode="r")
        self.doc_indptr = np.load(path / "indptr.npy", mmap_mode="r")
        self.data: np.ndarray
        self.indices: np.ndarray
        self.indptr: np.ndarray
        if self.n_docs:
            retriever = bm25s.BM25.load(str(path / "bm25"), mmap=True, load_vocab=True)
            self.retriever = retriever
            self.vocab: dict[str, int] = retriever.vocab_dict
            self.data = retriever.scores["data"]
            self.indices = retriever.scores["indices"]
            self.indptr = retriever.scores["indptr"]
        else:
            self.vocab = json.loads((path / "vocab.json").read_text())
            self.data = np.zeros(0, np.float32)
            self.indices = np.zeros(0, np.int32)
            self.indptr = np.zeros(len(self.vocab) + 1, np.int64)
        self._inverse: list[str] | None = None

    def df(self, tid: int) -> int:
        return int(self.indptr[tid + 1] - self.indptr[tid]) if tid + 1 < len(self.indptr) else 0

    def scores(self, weighted: dict[str, float]) -> np.ndarray:
        """BM25 of every document for a query whose terms carry weights."""
        out = np.zeros(self.n_docs, dtype=np.float32)
        for term, weight in weighted.items():
            tid = self.vocab.get(term)
            if tid is None or tid + 1 >= len(self.indptr):
                continue
            a, b = int(self.indptr[tid]), int(self.indptr[tid + 1])
            if b > a:
                out[self.indices[a:b]] += weight * self.data[a:b]
        return out

    def rows_of(self, pks: Sequence[int]) -> np.ndarray:
        """Row numbers of the given primary keys that are in this build."""
        if not len(pks) or not self.n_docs:
            return np.zeros(0, dtype=np.int64)
        arr = np.asarray(sorted(pks), dtype=np.int64)
        rows = np.searchsorted(self.pks, arr)
        rows = np.clip(rows, 0, self.n_docs - 1)
        return rows[np.asarray(self.pks)[rows] == arr]

    @property
    def inverse(self) -> list[str]:
        if self._inverse is None:
            inv = [""] * (max(self.vocab.values(), default=-1) + 1)
            for term, tid in self.vocab.items():
                inv[tid] = term
            self._inverse = inv
        return self._inverse

    def doc_terms(self, row: int) -> dict[str, int]:
        a, b = int(self.doc_indptr[row]), int(self.doc_indptr[row + 1])
        inv = self.inverse
        return {inv[int(t)]: int(n) for t, n in zip(self.terms[a:b], self.tf[a:b], strict=True)}


@dataclass
class OverlayDoc:
    tf: Counter[str]
    length: int
    fields: list[str]


@dataclass
class Overlay:
    """Documents changed since the build: pk -> its current terms (None: gone from the kind)."""

    docs: dict[int, OverlayDoc | None] = field(default_factory=dict)
    keys: dict[int, frozenset[tuple[int, str]]] = field(default_factory=dict)

    def scores(self, index: KindIndex, weighted: dict[str, float]) -> dict[int, float]:
        out: dict[int, float] = {}
        n = max(index.n_docs, 1)
        for pk, doc in self.docs.items():
            if doc is None:
                continue
            total = 0.0
            for term, weight in weighted.items():
                tf = doc.tf.get(term)
                if not tf:
                    continue
                tid = index.vocab.get(term)
                df = index.df(tid) if tid is not None else 0
                total += weight * float(idf(df + 1, n + 1)) * float(
                    bm25_weights(np.float32(tf), doc.length, index.avgdl))
            if total > 0:
                out[pk] = total
        return out


def analyse_changed(kind: str, pks: Sequence[int], analyzer: Analyzer, taxonomy: Taxonomy,
                    doc_weights: dict[str, int]) -> dict[int, OverlayDoc | None]:
    """Current terms of changed objects; None for those no longer in the kind."""
    out: dict[int, OverlayDoc | None] = {pk: None for pk in pks}
    for chunk in SOURCES[kind].iter_docs(taxonomy, doc_weights, pks=pks):
        for doc, tokens in zip(chunk, doc_tokens(analyzer, chunk, taxonomy), strict=True):
            out[doc.pk] = OverlayDoc(Counter(tokens), len(tokens), doc.fields)
    return out


def top_rows(scores: np.ndarray, n: int) -> np.ndarray:
    """Rows of the n best positive scores, best first."""
    positive = int(np.count_nonzero(scores > 0))
    n = min(n, positive)
    if n <= 0:
        return np.zeros(0, dtype=np.int64)
    if n < len(scores):
        rows = np.argpartition(-scores, n - 1)[:n]
    else:
        rows = np.arange(len(scores))
    rows = rows[scores[rows] > 0]
    return rows[np.argsort(-scores[rows], kind="stable")]


ProgressFn = Callable[[int, int], None]
