"""The matching engine: one ranked, explained list of experts, organisations, equipment and
solved cases for a problem described in Korean.

Interface (used by the intake and coordinator pages, assignment proposals, shared problems,
the CLI and the API):

- `match(text, *, region=None, kinds=("expert", "organisation", "case"), limit=10,
  exclude_organisation_ids=(), public_only=False) -> list[Match]`
- `suggest_fields(text, limit=3) -> list[tuple[TechField, float]]` (confidence 0..1)
- `record_field_correction(request, suggested, confirmed, actor) -> FieldCorrection`
- `similar_open_requests(text, *, exclude_request_id=None, limit=5, min_score=None)
  -> list[tuple[SupportRequest, float]]` (similarity 0..1, at least `shared_problem_min`)
- `index_status() -> dict`, `request_rebuild() -> IndexBuild` (queued task `rebuild_index`),
  `run_build() -> IndexBuild` (now, in this process)

How a list is made (weights: settings.CLUSTERHUB_MATCH_WEIGHTS):

1. The text is analysed (analysis.py) and matched against the concept table (concepts.py),
   which gives the suggested fields with their evidence and the expansion words.
2. Per kind, BM25 over the persisted index (index.py) scores every document twice: for the
   query's words (plus expansions at `query_expansion`) and for its field terms (`§casting-die`,
   each suggested field at its confidence, parents at `query_field_parents`). The best
   `candidates` by the sum are read from the database as they are now.
3. Each candidate gets signals in 0..1: `text` (its word BM25 over the kind's best), `fields`
   (taxonomy overlap: same field, one above the other, same root technology), `region` (same or
   neighbouring region of the request), for experts `similar_cases` (noisy-or of the scores of
   the `similar_cases_k` best solved cases they solved), `outcome` (cases solved, average
   satisfaction and speed of their closed requests) and `load`/`full` (open accepted
   assignments against capacity, subtracted); organisations take the best `similar_cases` of
   their experts. The score is the weighted mean of the signals, times the kind's weight; the
   reasons name the signals that contributed most.
4. Feedback from the knowledge base: the fields of the `prf_cases` best cases join the
   suggested fields (share `prf_fields`) for a second scoring of the cases and for experts and
   organisations. Outcomes and workloads are read only for the experts that can still reach
   the list (their score's upper bound decides), and reasons are written for the results only.
"""

from __future__ import annotations

import json
import logging
import math
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.db.models import Count, Max
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from . import conf
from .analysis import Analyzer, Term, TypoIndex, get_analyzer
from .concepts import ConceptMatcher, FieldNode, Taxonomy, confidence, field_term
from .index import KindIndex, Overlay, analyse_changed, build_index, idf, indexed_kinds, top_rows
from .sources import SOURCES, Item

log = logging.getLogger(__name__)

KINDS = ("expert", "organisation", "case", "equipment")
DEFAULT_KINDS = ("expert", "organisation", "case")
ADJACENT_PATH = Path(__file__).resolve().parent / "data" / "regions_adjacent.json"
CHECK_SECONDS = 5.0  # how often the concept table and the taxonomy are checked for changes
OVERLAY_FACTOR = 4  # changes beyond this many times the rebuild threshold get no overlay
CENTRE_KINDS = ("gri_centre", "gri", "technopark", "ric", "university", "agency")


@dataclass
class Match:
    """One result. `kind` is "expert", "organisation", "case" or "equipment"; `id` is the
    external id (what the API and the CLI show); `pk` the primary key; `score` 0..1 (the
    weighted mean of the signals, times the kind's weight); `reasons` short Korean phrases
    (translated with gettext) such as "같은 분야: 주조", "유사 사례 3건 해결",
    "경남 지역센터, 같은 지역"."""

    kind: str
    id: str
    pk: int
    name: str
    score: float
    reasons: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "id": self.id, "name": self.name,
                "score": round(self.score, 4), "reasons": list(self.reasons)}


@dataclass
class Query:
    text: str
    terms: list[Term]
    words: dict[str, float]      # term -> weight in the word part of the query
    fields: dict[str, float]     # suggested field id -> confidence
    field_share: dict[str, float]  # field id -> share of the evidence (sums to 1)
    retrieval_fields: dict[str, float]  # field terms (§id) -> weight


@dataclass
class Scored:
    """A kind's retrieval result: candidate pks with their word and field BM25."""

    words: dict[int, float]
    best_words: float
    order: list[int]


class Engine:
    """The process's matcher: the analyser, the loaded build, the overlay and the concepts."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self._analyzer: Analyzer | None = None
        self.build_id: int | None = None
        self.build_seq = 0
        self.build_path = ""
        self.indexes: dict[str, KindIndex] = {}
        self.overlays: dict[str, Overlay] = {k: Overlay() for k in indexed_kinds()}
        self.change_key: tuple[Any, ...] | None = None
        self._typos: TypoIndex | None = None
        self._concepts: ConceptMatcher | None = None
        self._concepts_key: tuple[Any, ...] | None = None
        self._concepts_checked = 0.0
        self._regions: dict[str, str] | None = None
        self._regions_checked = 0.0
        self.adjacent: dict[str, list[str]] = json.loads(ADJACENT_PATH.read_text("utf-8"))
        self.load_seconds = 0.0
        # Commands (match, eval-matching) may rebuild in-process when the overlay would be too
        # large; web processes queue the rebuild instead.
        self.inline_rebuild = False
        self.overlay_skipped = False

    # -- state ---------------------------------------------------------------------------------

    @property
    def analyzer(self) -> Analyzer:
        if self._analyzer is None:
            self._analyzer = get_analyzer()
        return self._analyzer

    def invalidate_concepts(self) -> None:
        self._concepts_key = None
        self._concepts_checked = 0.0

    def concepts(self) -> ConceptMatcher:
        from clusterhub.core.models import TechField

        from .models import Concept

        now = time.monotonic()
        if self._concepts is not None and now - self._concepts_checked < CHECK_SECONDS:
            return self._concepts
        c = Concept.objects.aggregate(n=Count("id"), at=Max("updated_at"))
        f = TechField.objects.aggregate(n=Count("id"), mx=Max("id"))
        key = (c["n"], c["at"], f["n"], f["mx"])
        if self._concepts is None or key != self._concepts_key:
            taxonomy = Taxonomy({row["external_id"]: FieldNode(
                row["pk"], row["external_id"], row["name"], row["parent__external_id"])
                for row in TechField.objects.values("pk", "external_id", "name",
                                                    "parent__external_id")})
            rows: list[dict[str, Any]] = [dict(r) for r in Concept.objects.filter(
                active=True).values("term", "fields", "weight", "expand")]
            self._concepts = ConceptMatcher(self.analyzer, rows, taxonomy)
            self._concepts_key = key
        self._concepts_checked = now
        return self._concepts

    @property
    def taxonomy(self) -> Taxonomy:
        return self.concepts().taxonomy

    def regions(self) -> dict[str, str]:
        """Code, short name and full name of each region -> its short name."""
        from clusterhub.core.models import Region

        now = time.monotonic()
        if self._regions is None or now - self._regions_checked > 60:
            table: dict[str, str] = {}
            for code, short, name, name_en in Region.objects.values_list(
                    "code", "short_name", "name", "name_en"):
                for key in (code, short, name, name_en.lower()):
                    table[key] = short
            self._regions = table
            self._regions_checked = now
        return self._regions

    def resolve_region(self, region: str | None) -> str | None:
        if not region:
            return None
        key = region.strip()
        return self.regions().get(key) or self.regions().get(key.lower())

    def ensure(self) -> None:
        """Load the newest usable build (building one when there is none) and take in the
        changes since."""
        from .models import IndexBuild

        with self.lock:
            for _attempt in range(2):
                self._load_latest()
                if not self._refresh_changes():
                    return
                # Too many changes for an overlay, and this process may build (a command).
                log.warning("matching: many changes since the index build; rebuilding now")
                build_index(IndexBuild.objects.create(status=IndexBuild.Status.QUEUED),
                            self.analyzer, self.taxonomy, conf.doc_weights())

    def _load_latest(self) -> None:
        from .models import IndexBuild

        latest = (IndexBuild.objects.filter(status=IndexBuild.Status.DONE,
                                            analyzer_version=conf.index_version())
                  .order_by("-id").first())
        if latest is not None and not Path(latest.path).is_dir():
            latest = None
        if latest is None:
            log.warning("matching: no index build; building one now "
                        "(run `clusterhub match-index --rebuild` after large imports)")
            latest = IndexBuild.objects.create(status=IndexBuild.Status.QUEUED)
            build_index(latest, self.analyzer, self.taxonomy, conf.doc_weights())
            latest.refresh_from_db()
        if latest.path != self.build_path:
            started = time.perf_counter()
            self.indexes = {kind: KindIndex(kind, Path(latest.path) / kind)
                            for kind in indexed_kinds() if (Path(latest.path) / kind).is_dir()}
            self.build_id, self.build_seq = latest.pk, latest.change_seq
            self.build_path = latest.path
            self.overlays = {k: Overlay() for k in indexed_kinds()}
            self.change_key = None
            self.overlay_skipped = False
            self._typos = None
            self.load_seconds = time.perf_counter() - started

    def _refresh_changes(self) -> bool:
        """Take in the changes since the build (the overlay). Many changes queue a rebuild; too
        many for an overlay return True when this process may rebuild at once
        (`inline_rebuild`), else the build is used as it is (names, fields, regions and
        deletions are read from the database anyway) until the rebuild is done."""
        from .models import IndexChange

        pending = IndexChange.objects.filter(id__gt=self.build_seq)
        agg = pending.aggregate(n=Count("id"), mx=Max("id"), tk=Max("token"))
        key = (agg["n"], agg["mx"], agg["tk"])
        if key == self.change_key:
            return self.overlay_skipped and self.inline_rebuild
        w = conf.weights()
        documents = sum(ix.n_docs for ix in self.indexes.values())
        limit = max(float(w["delta_rebuild_min"]), float(w["delta_rebuild_share"]) * documents)
        count = agg["n"] or 0
        if count > limit:
            if count > OVERLAY_FACTOR * limit and self.inline_rebuild:
                return True
            request_rebuild()
        if count > OVERLAY_FACTOR * limit:
            log.warning("matching: %d changes since the index build; a rebuild is queued", count)
            self.change_key = key
            self.overlay_skipped = True
            return False
        by_obj: dict[tuple[str, int], set[tuple[int, str]]] = {}
        for cid, kind, obj, token in pending.values_list("id", "kind", "object_id", "token"):
            by_obj.setdefault((kind, obj), set()).add((cid, token))
        for kind, overlay in self.overlays.items():
            if kind not in SOURCES:
                continue
            now = {obj: frozenset(keys) for (k, obj), keys in by_obj.items() if k == kind}
            for gone in [pk for pk in overlay.docs if pk not in now]:
                del overlay.docs[gone]  # its change was rolled back: the build is right again
                overlay.keys.pop(gone, None)
            stale = [pk for pk, keys in now.items() if overlay.keys.get(pk) != keys]
            if stale:
                overlay.docs.update(analyse_changed(kind, stale, self.analyzer, self.taxonomy,
                                                    conf.doc_weights()))
                for pk in stale:
                    overlay.keys[pk] = now[pk]
        self.change_key = key
        self.overlay_skipped = False
        self._typos = None
        return False

    def typos(self) -> TypoIndex:
        if self._typos is None:
            freq: dict[str, int] = {}
            for index in self.indexes.values():
                for term, tid in index.vocab.items():
                    freq[term] = freq.get(term, 0) + index.df(tid)
            for overlay in self.overlays.values():
                for doc in overlay.docs.values():
                    if doc is not None:
                        for term in doc.tf:
                            freq.setdefault(term, 1)
            for term in self.analyzer.lexicon:
                freq.setdefault(term, 1)
            self._typos = TypoIndex((t, n) for t, n in freq.items() if not t.startswith("§"))
        return self._typos

    def known(self, term: str) -> bool:
        if term in self.analyzer.lexicon:
            return True
        if any(term in ix.vocab for ix in self.indexes.values()):
            return True
        return any(doc is not None and term in doc.tf
                   for ov in self.overlays.values() for doc in ov.docs.values())

    # -- queries -------------------------------------------------------------------------------

    def analyse(self, text: str) -> Query:
        w = conf.weights()
        matcher = self.concepts()
        terms = self.analyzer.query_terms(text, known=self.known, typos=self.typos())
        words: dict[str, float] = {}
        first_at: dict[int, str] = {}
        for term in terms:
            main = first_at.setdefault(term.pos, term.form) == term.form
            weight = 1.0 if main else 0.5
            words[term.form] = max(words.get(term.form, 0.0), weight)
        matches = matcher.match(terms)
        expansion = float(w["query_expansion"])
        for cm in matches:
            for extra in cm.entry.expand:
                for form in self.analyzer.tokens(extra):
                    words[form] = max(words.get(form, 0.0), expansion)
        evidence = matcher.evidence(matches)
        fields: dict[str, float] = {}
        share: dict[str, float] = {}
        if evidence:
            best = max(evidence.values())
            kept = {f: e for f, e in evidence.items() if e >= float(w["field_min_share"]) * best}
            total = sum(kept.values())
            scale = float(w["confidence_scale"])
            fields = {f: confidence(e, scale) for f, e in kept.items()}
            share = {f: e / total for f, e in kept.items()}
        retrieval: dict[str, float] = {}
        taxonomy = matcher.taxonomy
        for fid, conf_ in fields.items():
            retrieval[field_term(fid)] = max(retrieval.get(field_term(fid), 0.0),
                                             float(w["query_fields"]) * conf_)
            for parent in taxonomy.ancestors.get(fid, ()):
                weight = float(w["query_fields"]) * float(w["query_field_parents"]) * conf_
                retrieval[field_term(parent)] = max(retrieval.get(field_term(parent), 0.0), weight)
        return Query(text, terms, words, fields, share, retrieval)

    def retrieve(self, kind: str, q: Query, n: int) -> Scored:
        """The best n documents of a kind by word + field BM25 (build and overlay)."""
        index = self.indexes.get(kind)
        overlay = self.overlays.get(kind, Overlay())
        if index is None:
            return Scored({}, 0.0, [])
        words = index.scores(q.words)
        fields = index.scores(q.retrieval_fields)
        masked = index.rows_of(list(overlay.docs))
        words[masked] = 0.0
        fields[masked] = 0.0
        total = words + fields
        rows = top_rows(total, n)
        cand: dict[int, tuple[float, float]] = {
            int(index.pks[r]): (float(words[r]), float(total[r])) for r in rows}
        o_words = overlay.scores(index, q.words)
        o_fields = overlay.scores(index, q.retrieval_fields)
        for pk in set(o_words) | set(o_fields):
            cand[pk] = (o_words.get(pk, 0.0), o_words.get(pk, 0.0) + o_fields.get(pk, 0.0))
        best = max([float(words.max()) if len(words) else 0.0, *o_words.values(), 0.0])
        order = sorted(cand, key=lambda pk: (-cand[pk][1], pk))[:n]
        return Scored({pk: cand[pk][0] for pk in order}, best, order)

    def terms_of(self, kind: str, pk: int) -> dict[str, int]:
        overlay = self.overlays.get(kind)
        if overlay is not None and pk in overlay.docs:
            doc = overlay.docs[pk]
            return dict(doc.tf) if doc is not None else {}
        index = self.indexes.get(kind)
        if index is None:
            return {}
        rows = index.rows_of([pk])
        return index.doc_terms(int(rows[0])) if len(rows) else {}

    def idf_of(self, kind: str, term: str) -> float:
        index = self.indexes.get(kind)
        if index is None:
            return 1.0
        tid = index.vocab.get(term)
        df = index.df(tid) if tid is not None else 0
        return float(idf(df, max(index.n_docs, 1)))


_engine: Engine | None = None
_engine_lock = threading.Lock()


def engine() -> Engine:
    global _engine
    if _engine is None:
        with _engine_lock:
            if _engine is None:
                _engine = Engine()
    return _engine


def reset_engine() -> None:
    """Forget the loaded build and caches (tests; the analyser stays loaded)."""
    global _engine
    with _engine_lock:
        _engine = None


# ---------------------------------------------------------------------------------------------
# Signals of a candidate
# ---------------------------------------------------------------------------------------------


def _region_signal(request_region: str | None, item_region: str | None,
                   adjacent: dict[str, list[str]], w: dict[str, Any]) -> tuple[float, str]:
    if not request_region or not item_region:
        return 0.0, ""
    if request_region == item_region:
        return 1.0, "same"
    if item_region in adjacent.get(request_region, ()):
        return float(w["region_adjacent"]), "adjacent"
    return 0.0, ""


def _region_reason(relation: str, item: Item) -> str:
    region = item.region or ""
    centre = item.kind == "organisation" and item.organisation_kind in CENTRE_KINDS
    if relation == "same":
        if centre:
            return _("%(region)s regional centre, same region") % {"region": region}
        return _("Same region: %(region)s") % {"region": region}
    if centre:
        return _("%(region)s regional centre, neighbouring region") % {"region": region}
    return _("Neighbouring region: %(region)s") % {"region": region}


def _matched_words(q: Query, doc_terms: dict[str, int], limit: int = 3) -> list[str]:
    """The query's words the document holds, the query's own words first; a compound's parts
    are not repeated beside it (다이캐스팅, not 다이캐스팅, 다이, 캐스팅)."""
    order = {t: i for i, t in enumerate(q.words)}
    words = sorted((t for t in q.words if t in doc_terms and not t.startswith("§") and len(t) > 1),
                   key=lambda t: (-q.words[t], -len(t), order[t]))
    picked: list[str] = []
    for t in words:
        if not any(t in p for p in picked):
            picked.append(t)
    picked.sort(key=lambda t: (-q.words[t], order[t]))
    return picked[:limit]


@dataclass
class ExpertStats:
    solved: int = 0
    satisfaction: float | None = None
    days: float | None = None
    open: int = 0


def _expert_stats(pks: Sequence[int]) -> dict[int, ExpertStats]:
    from clusterhub.support.models import OPEN_STATUSES, Assignment, SolvedCase

    stats = {pk: ExpertStats() for pk in pks}
    if not pks:
        return stats
    solved = (SolvedCase.experts.through.objects.filter(expert_id__in=list(pks))
              .values("expert_id").annotate(solved=Count("id")))
    for row in solved:
        stats[row["expert_id"]].solved = row["solved"]
    accepted = Assignment.objects.filter(expert_id__in=list(pks), state=Assignment.State.ACCEPTED)
    for pk, n in (accepted.filter(request__status__in=OPEN_STATUSES).values("expert_id")
                  .annotate(n=Count("id")).values_list("expert_id", "n")):
        stats[pk].open = n
    rows = (accepted.filter(request__outcome__isnull=False)
            .values_list("expert_id", "request__outcome__satisfaction", "request__created_at",
                         "request__resolved_at"))
    sat: dict[int, list[float]] = {}
    days: dict[int, list[float]] = {}
    for pk, s, created, resolved in rows:
        sat.setdefault(pk, []).append(float(s))
        if created and resolved:
            days.setdefault(pk, []).append(max((resolved - created).total_seconds() / 86400, 0.0))
    for pk, values in sat.items():
        stats[pk].satisfaction = sum(values) / len(values)
    for pk, values in days.items():
        stats[pk].days = sum(values) / len(values)
    return stats


def _outcome_signal(s: ExpertStats, w: dict[str, Any]) -> float:
    wv, ws, wd = float(w["outcome_volume"]), float(w["outcome_satisfaction"]), float(w["outcome_speed"])
    volume = min(1.0, math.log1p(s.solved) / math.log1p(max(float(w["outcome_volume_ref"]), 1.0)))
    sat = (s.satisfaction - 1) / 4 if s.satisfaction is not None else 0.5
    speed = 1 / (1 + s.days / max(float(w["outcome_speed_ref_days"]), 1.0)) if s.days is not None else 0.5
    total = wv + ws + wd
    return (wv * volume + ws * sat + wd * speed) / total if total else 0.0


# ---------------------------------------------------------------------------------------------
# The interface
# ---------------------------------------------------------------------------------------------


def match(text: str, *, region: str | None = None, kinds: Sequence[str] = DEFAULT_KINDS,
          limit: int = 10, exclude_organisation_ids: Sequence[int] = (),
          public_only: bool = False) -> list[Match]:
    """One ranked list across `kinds` for a problem text (see the module docstring).

    `region`: the request's region (code, short or full name: "48", "경남", "경상남도").
    `exclude_organisation_ids`: organisations whose experts and which themselves must not be
    proposed (conflicts of interest). `public_only`: published cases only, and no workload or
    satisfaction in the reasons (anonymous users).
    Kinds without an index ("equipment" until that module registers a source) give nothing;
    an unknown kind raises ValueError."""
    unknown = [k for k in kinds if k not in KINDS and k not in SOURCES]
    if unknown:
        raise ValueError(f"unknown kind: {unknown[0]}")
    if not text or not text.strip() or limit <= 0:
        return []
    eng = engine()
    with eng.lock:
        eng.ensure()
        return _match(eng, text, region, list(kinds), limit, set(exclude_organisation_ids),
                      public_only)


@dataclass
class Cand:
    """A candidate of one kind with its signals; reasons are written for the results only."""

    item: Item
    q: Query
    signals: dict[str, float]
    score: float = 0.0
    best_field: str | None = None
    field_sim: float = 0.0
    relation: str = ""
    n_similar: int = 0
    members: int = 0
    stats: ExpertStats | None = None


class FieldOverlap:
    """For one query: an item's taxonomy overlap with the query's fields, 0..1, with the item's
    field that matched best (field similarities are computed once per field and query)."""

    def __init__(self, q: Query, taxonomy: Taxonomy, w: dict[str, Any]) -> None:
        self.share = list(q.field_share.items())
        self.taxonomy, self.w = taxonomy, w
        self.memo: dict[str, list[float]] = {}

    def _vector(self, h: str) -> list[float]:
        vec = self.memo.get(h)
        if vec is None:
            vec = self.memo[h] = [self.taxonomy.similarity(g, h, self.w) for g, _s in self.share]
        return vec

    def __call__(self, fields: Sequence[str]) -> tuple[float, str | None, float]:
        if not self.share or not fields:
            return 0.0, None, 0.0
        vectors = [(h, self._vector(h)) for h in fields]
        total, best_gain, best_field, best_sim = 0.0, 0.0, None, 0.0
        for i, (_g, share) in enumerate(self.share):
            sim, field_ = 0.0, None
            for h, vec in vectors:
                if vec[i] > sim:
                    sim, field_ = vec[i], h
            total += share * sim
            if share * sim > best_gain:
                best_gain, best_field, best_sim = share * sim, field_, sim
        return min(total, 1.0), best_field, best_sim


def _base(q: Query, item: Item, scored: Scored, overlap: FieldOverlap, request_region: str | None,
          adjacent: dict[str, list[str]], w: dict[str, Any]) -> Cand:
    text = scored.words.get(item.pk, 0.0) / scored.best_words if scored.best_words > 0 else 0.0
    fields, best_field, sim = overlap(item.fields)
    region, relation = _region_signal(request_region, item.region, adjacent, w)
    return Cand(item, q, {"text": text, "fields": fields, "region": region},
                best_field=best_field, field_sim=sim, relation=relation)


def _weighted(c: Cand, weights: dict[str, float]) -> float:
    return sum(weights[k] * c.signals.get(k, 0.0) for k in weights) / (sum(weights.values()) or 1.0)


def _match(eng: Engine, text: str, region: str | None, kinds: list[str], limit: int,
           excluded: set[int], public_only: bool) -> list[Match]:
    w = conf.weights()
    q = eng.analyse(text)
    taxonomy = eng.taxonomy
    request_region = eng.resolve_region(region)
    n = max(int(w["candidates"]), limit)
    positive = {"text": float(w["text"]), "fields": float(w["fields"]),
                "region": float(w["region"]) if request_region else 0.0}
    results: list[tuple[float, Cand]] = []

    # Solved cases first: they are a kind of their own and the evidence for experts. Two
    # passes: the second with the fields of the first pass's best cases blended in.
    cases: dict[int, Cand] = {}
    if {"case", "expert", "organisation"} & set(kinds):
        scored = eng.retrieve("case", q, n)
        items = SOURCES["case"].hydrate(scored.order, public_only=public_only)
        overlap = FieldOverlap(q, taxonomy, w)
        for pk in scored.order:
            if pk in items:
                c = cases[pk] = _base(q, items[pk], scored, overlap, request_region,
                                      eng.adjacent, w)
                c.score = _weighted(c, positive)
        first = sorted(cases, key=lambda pk: -cases[pk].score)[: int(w["prf_cases"])]
        if first and cases[first[0]].score > 0:
            top = cases[first[0]].score
            q_case = _with_case_fields(q, [cases[pk].item for pk in first],
                                       [cases[pk].score / top for pk in first], taxonomy, w)
            overlap = FieldOverlap(q_case, taxonomy, w)
            for c in cases.values():
                c.q = q_case
                c.signals["fields"], c.best_field, c.field_sim = overlap(c.item.fields)
                c.score = _weighted(c, positive)
        if "case" in kinds:
            results.extend((c.score * float(w["kind_case"]), c) for c in cases.values())

    # Experts who solved the most similar cases.
    top_cases = sorted(cases, key=lambda pk: -cases[pk].score)[: int(w["similar_cases_k"])]
    best_case = cases[top_cases[0]].score if top_cases else 0.0
    # The fields of the best cases sharpen the fields for experts and organisations.
    prf = top_cases[: int(w["prf_cases"])] if best_case > 0 else []
    q = _with_case_fields(q, [cases[pk].item for pk in prf],
                          [cases[pk].score / best_case for pk in prf], taxonomy, w)
    case_experts: dict[int, list[int]] = {}
    if top_cases and best_case > 0:
        from clusterhub.support.models import SolvedCase

        for case_pk, expert_pk in SolvedCase.experts.through.objects.filter(
                solvedcase_id__in=top_cases).values_list("solvedcase_id", "expert_id"):
            case_experts.setdefault(expert_pk, []).append(case_pk)
    expert_signal: dict[int, tuple[float, int]] = {}
    for expert_pk, solved in case_experts.items():
        rel = [cases[c].score / best_case for c in solved]
        expert_signal[expert_pk] = (1 - math.prod(1 - min(r, 1.0) for r in rel),
                                    sum(1 for r in rel if r >= 0.5))

    overlap = FieldOverlap(q, taxonomy, w)
    experts: dict[int, Cand] = {}
    if {"expert", "organisation"} & set(kinds):
        scored = eng.retrieve("expert", q, n)
        pks = list(dict.fromkeys([*scored.order, *expert_signal]))
        items = {pk: it for pk, it in SOURCES["expert"].hydrate(pks).items()
                 if it.organisation_id not in excluded}
        weights = {**positive, "similar_cases": float(w["similar_cases"]),
                   "outcome": float(w["outcome"])}
        denom = sum(weights.values()) or 1.0
        for pk, item in items.items():
            c = experts[pk] = _base(q, item, scored, overlap, request_region, eng.adjacent, w)
            c.signals["similar_cases"], c.n_similar = expert_signal.get(pk, (0.0, 0))
            c.signals["outcome"] = 1.0  # an upper bound until the outcomes are read
            c.score = _weighted(c, weights)
        if "expert" in kinds:
            # Outcomes and workloads (database reads) only for the experts that can still
            # reach the list: by upper bound, a batch at a time.
            pending = sorted(experts.values(), key=lambda c: -c.score)
            done: list[Cand] = []
            batch = max(3 * limit, 30)
            while pending:
                now, pending = pending[:batch], pending[batch:]
                stats = _expert_stats([c.item.pk for c in now])
                for c in now:
                    c.stats = st = stats[c.item.pk]
                    c.signals["outcome"] = _outcome_signal(st, w)
                    ratio = st.open / c.item.capacity if c.item.capacity else 1.0
                    full = st.open >= c.item.capacity
                    c.score = _weighted(c, weights) - (
                        float(w["load"]) * min(ratio, 1.0) + float(w["full"]) * full) / denom
                done.extend(now)
                kth = sorted((c.score for c in done), reverse=True)[: limit][-1]
                if not pending or pending[0].score <= kth:
                    break
            results.extend((c.score * float(w["kind_expert"]), c) for c in done)

    if "organisation" in kinds:
        scored = eng.retrieve("organisation", q, n)
        by_org: dict[int, list[int]] = {}
        for pk, c in experts.items():
            if c.item.organisation_id is not None and c.signals["similar_cases"] > 0:
                by_org.setdefault(c.item.organisation_id, []).append(pk)
        pks = list(dict.fromkeys([*scored.order, *sorted(by_org)]))
        items = {pk: it for pk, it in SOURCES["organisation"].hydrate(pks).items()
                 if pk not in excluded}
        weights = {**positive, "similar_cases": float(w["similar_cases"])}
        for pk, item in items.items():
            c = _base(q, item, scored, overlap, request_region, eng.adjacent, w)
            members = by_org.get(pk, [])
            c.signals["similar_cases"] = max((experts[p].signals["similar_cases"]
                                              for p in members), default=0.0)
            c.members = len(members)
            c.score = _weighted(c, weights)
            results.append((c.score * float(w["kind_organisation"]), c))

    for kind in kinds:  # kinds registered by other modules (equipment)
        if kind in ("expert", "organisation", "case", "request") or kind not in SOURCES:
            continue
        scored = eng.retrieve(kind, q, n)
        items = SOURCES[kind].hydrate(scored.order, public_only=public_only)
        for pk in scored.order:
            other = items.get(pk)
            if other is None or other.organisation_id in excluded:
                continue
            c = _base(q, other, scored, overlap, request_region, eng.adjacent, w)
            c.score = _weighted(c, positive)
            results.append((c.score * float(w.get(f"kind_{kind}", 1.0)), c))

    order = {k: i for i, k in enumerate(KINDS)}
    results = [r for r in results if r[0] > 0]
    results.sort(key=lambda r: (-r[0], order.get(r[1].item.kind, 9), r[1].item.pk))
    return [Match(c.item.kind, c.item.id, c.item.pk, c.item.name, score,
                  _reasons(eng, c, w, taxonomy, public_only))
            for score, c in results[:limit]]


def _reasons(eng: Engine, c: Cand, w: dict[str, Any], taxonomy: Taxonomy,
             public_only: bool) -> list[str]:
    """Short phrases for the signals that contributed, the largest first; workload last."""
    reasons: list[tuple[float, str]] = []
    s = c.signals
    if c.best_field is not None and c.best_field in taxonomy.nodes:
        name = taxonomy.nodes[c.best_field].name
        label = (_("Same field: %(field)s") if c.field_sim >= float(w["field_path"])
                 else _("Related field: %(field)s"))
        reasons.append((float(w["fields"]) * s["fields"], label % {"field": name}))
    if s["text"] > 0:
        words = _matched_words(c.q, eng.terms_of(c.item.kind, c.item.pk))
        if words:
            reasons.append((float(w["text"]) * s["text"],
                            _("Matches: %(words)s") % {"words": ", ".join(words)}))
    if c.relation:
        reasons.append((float(w["region"]) * s["region"], _region_reason(c.relation, c.item)))
    if c.n_similar:
        reasons.append((float(w["similar_cases"]) * s["similar_cases"], ngettext(
            "Solved %(n)d similar case", "Solved %(n)d similar cases", c.n_similar)
            % {"n": c.n_similar}))
    if c.members:
        reasons.append((float(w["similar_cases"]) * s["similar_cases"], ngettext(
            "%(n)d expert with similar cases", "%(n)d experts with similar cases", c.members)
            % {"n": c.members}))
    st = c.stats
    if st is not None and not public_only:  # satisfaction and workloads are not public
        if st.satisfaction is not None:
            reasons.append((float(w["outcome"]) * s["outcome"],
                            _("Average satisfaction %(s).1f") % {"s": st.satisfaction}))
        capacity = c.item.capacity
        ratio = st.open / capacity if capacity else 1.0
        if st.open >= capacity:
            reasons.append((-1.0, _("At capacity (%(open)d/%(capacity)d)")
                            % {"open": st.open, "capacity": capacity}))
        elif ratio >= 0.5:
            reasons.append((-0.5, _("Workload %(open)d/%(capacity)d")
                            % {"open": st.open, "capacity": capacity}))
    return _ordered(reasons)


def _with_case_fields(q: Query, cases: list[Item], rel: list[float], taxonomy: Taxonomy,
                      w: dict[str, Any]) -> Query:
    """The query with the fields of its best solved cases blended into its fields (pseudo-
    relevance feedback over the knowledge base): `prf_fields` is their share, all of it when
    the concept table found nothing."""
    prf: dict[str, float] = {}
    for item, r in zip(cases, rel, strict=True):
        for fid in item.fields:
            prf[fid] = prf.get(fid, 0.0) + r / max(len(item.fields), 1)
    total = sum(prf.values())
    if not total:
        return q
    gamma = float(w["prf_fields"]) if q.field_share else 1.0
    share = {f: (1 - gamma) * v for f, v in q.field_share.items()}
    for fid, v in prf.items():
        share[fid] = share.get(fid, 0.0) + gamma * v / total
    retrieval = dict(q.retrieval_fields)
    for fid, v in prf.items():
        term = field_term(fid)
        retrieval[term] = max(retrieval.get(term, 0.0),
                              float(w["query_fields"]) * gamma * v / total)
    return Query(q.text, q.terms, q.words, q.fields, share, retrieval)


def _ordered(reasons: list[tuple[float, str]]) -> list[str]:
    positive = sorted((r for r in reasons if r[0] > 0), key=lambda r: -r[0])
    negative = [r for r in reasons if r[0] <= 0]
    return [text for _v, text in positive + negative]


def suggest_fields(text: str, limit: int = 3) -> list[tuple[Any, float]]:
    """The taxonomy fields a text is about, with confidence 0..1, best first (the more specific
    field first when two are as likely)."""
    from clusterhub.core.models import TechField

    if not text or not text.strip():
        return []
    eng = engine()
    with eng.lock:
        q = eng.analyse(text)
        taxonomy = eng.taxonomy
    ranked = sorted(q.fields.items(),
                    key=lambda fc: (-round(fc[1], 6), -len(taxonomy.ancestors.get(fc[0], ())),
                                    fc[0]))[:limit]
    objs = TechField.objects.in_bulk([f for f, _c in ranked], field_name="external_id")
    return [(objs[f], round(c, 4)) for f, c in ranked if f in objs]


def _field_ids(values: Iterable[Any]) -> list[str]:
    out: list[str] = []
    for v in values:
        if isinstance(v, tuple | list):
            v = v[0]
        fid = getattr(v, "external_id", v)
        if fid and str(fid) not in out:
            out.append(str(fid))
    return out


def record_field_correction(request: Any, suggested: Iterable[Any], confirmed: Iterable[Any],
                            actor: Any) -> Any:
    """Keep what was suggested for a request and what a person confirmed (TechFields, external
    ids, or (TechField, confidence) pairs as `suggest_fields` returns them)."""
    from .models import FieldCorrection

    suggested = list(suggested)
    confidences = {}
    for s in suggested:
        if isinstance(s, tuple | list) and len(s) > 1:
            confidences[_field_ids([s])[0]] = float(s[1])
    sug = _field_ids(suggested)
    con = _field_ids(confirmed)
    text = ""
    if request is not None:
        text = f"{getattr(request, 'title', '')}\n{getattr(request, 'description', '')}".strip()
    return FieldCorrection.objects.create(
        request=request if getattr(request, "pk", None) else None, text=text,
        suggested=[{"field": f, "confidence": confidences.get(f)} for f in sug],
        confirmed=con, added=[f for f in con if f not in sug],
        removed=[f for f in sug if f not in con],
        actor=actor if getattr(actor, "is_authenticated", False) else None)


def similar_open_requests(text: str, *, exclude_request_id: int | None = None, limit: int = 5,
                          min_score: float | None = None) -> list[tuple[Any, float]]:
    """Open support requests about the same problem, with a similarity 0..1 (idf-weighted
    cosine of their terms, field terms included); only those at or above `min_score`
    (default: the `shared_problem_min` weight)."""
    from clusterhub.support.models import SupportRequest

    if not text or not text.strip():
        return []
    w = conf.weights()
    threshold = float(w["shared_problem_min"]) if min_score is None else min_score
    eng = engine()
    with eng.lock:
        eng.ensure()
        q = eng.analyse(text)
        scored = eng.retrieve("request", q, max(50, limit * 5))
        items = SOURCES["request"].hydrate(scored.order)
        query_terms = {t: wt for t, wt in q.words.items()}
        query_terms.update({t: 1.0 for t in q.retrieval_fields})
        qnorm = math.sqrt(sum((eng.idf_of("request", t) * wt) ** 2
                              for t, wt in query_terms.items()))
        sims: list[tuple[int, float]] = []
        for pk in scored.order:
            if pk == exclude_request_id or pk not in items:
                continue
            terms = eng.terms_of("request", pk)
            dnorm = math.sqrt(sum(eng.idf_of("request", t) ** 2 for t in terms))
            dot = sum(eng.idf_of("request", t) ** 2 * wt for t, wt in query_terms.items()
                      if t in terms)
            sim = dot / (qnorm * dnorm) if qnorm and dnorm else 0.0
            if sim >= threshold:
                sims.append((pk, sim))
    sims.sort(key=lambda s: (-s[1], s[0]))
    sims = sims[:limit]
    objs = SupportRequest.objects.in_bulk([pk for pk, _s in sims])
    return [(objs[pk], round(s, 4)) for pk, s in sims if pk in objs]


def request_rebuild(kinds: Sequence[str] | None = None) -> Any:
    """Queue a full rebuild (a background task; `clusterhub db_worker` runs it). A build
    already queued or running is returned instead of queueing another."""
    from datetime import timedelta

    from django.db import transaction
    from django.utils import timezone

    from .models import IndexBuild
    from .tasks import rebuild_index

    pending = IndexBuild.objects.filter(
        status__in=[IndexBuild.Status.QUEUED, IndexBuild.Status.RUNNING],
        requested_at__gte=timezone.now() - timedelta(hours=6)).order_by("-id").first()
    if pending is not None:
        return pending
    build = IndexBuild.objects.create(status=IndexBuild.Status.QUEUED)

    def enqueue() -> None:
        result = rebuild_index.enqueue(build.pk)
        IndexBuild.objects.filter(pk=build.pk).update(task_id=str(result.id))

    transaction.on_commit(enqueue)
    return build


def run_build(build: Any | None = None) -> Any:
    """Run a full build now, in this process (the task and `match-index --rebuild` call it)."""
    from .models import IndexBuild

    if build is None:
        build = IndexBuild.objects.create(status=IndexBuild.Status.QUEUED)
    eng = engine()
    build_index(build, eng.analyzer, eng.taxonomy, conf.doc_weights())
    build.refresh_from_db()
    return build


def index_status() -> dict[str, Any]:
    """Where the index stands: the build in use, changes not yet built, a build in progress."""
    from .models import IndexBuild, IndexChange

    version = conf.index_version()
    done = IndexBuild.objects.filter(status=IndexBuild.Status.DONE).order_by("-id")
    current = done.filter(analyzer_version=version).first() or done.first()
    pending = IndexBuild.objects.filter(
        status__in=[IndexBuild.Status.QUEUED, IndexBuild.Status.RUNNING]).order_by("-id").first()
    seq = current.change_seq if current else 0
    changes = IndexChange.objects.filter(id__gt=seq)
    by_kind = dict(changes.values("kind").annotate(n=Count("id")).values_list("kind", "n"))
    usable = bool(current and current.analyzer_version == version
                  and Path(current.path).is_dir())
    eng = _engine
    return {
        "build": None if current is None else {
            "id": current.pk, "finished_at": current.finished_at, "docs": current.docs,
            "analyzer_version": current.analyzer_version, "path": current.path,
            "message": current.message,
        },
        "usable": usable,
        "index_version": version,
        "pending_changes": sum(by_kind.values()),
        "pending_by_kind": by_kind,
        "stale": bool(by_kind) or not usable,
        "rebuild": None if pending is None else {
            "id": pending.pk, "status": pending.status, "done": pending.done,
            "total": pending.total, "progress": round(pending.progress, 3),
        },
        "loaded": eng is not None and eng.build_id is not None,
        "loaded_build": eng.build_id if eng is not None else None,
        "load_seconds": round(eng.load_seconds, 3) if eng is not None else None,
    }
