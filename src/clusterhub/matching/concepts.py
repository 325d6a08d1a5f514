"""The concept table as the matcher uses it: terms -> taxonomy fields, and field suggestion.

`concepts.jsonl` (one object a line: `term`, `fields` most specific first, optional `weight`
and `expand`) seeds the `Concept` model; the admin edits the model. Each field's own name
(주조, 용접·접합 -> 용접, 접합) is a concept too, unless the table already has the term.

A text's terms (analysis.py) are matched against the concepts' term sequences, longest match
first, each word used by one concept only. A matched concept gives its weight to its first
field and `SECONDARY_SHARE` of it to each further field; a field's confidence is
1 - exp(-confidence_scale * evidence).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .analysis import Analyzer, Term

CONCEPTS_PATH = Path(__file__).resolve().parent / "concepts.jsonl"
SECONDARY_SHARE = 0.6  # evidence of a concept's second and further fields, relative to its first
ROOTS = ("root-tech", "industry")
DERIVED_WEIGHT = 0.6  # a word of a field's name (분석 in 계측·분석) says less than a table entry


def read_concepts_file(path: Path = CONCEPTS_PATH) -> list[dict[str, Any]]:
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            rec = json.loads(line)
            rows.append({"term": rec["term"], "fields": list(rec["fields"]),
                         "weight": float(rec.get("weight", 1.0)),
                         "expand": list(rec.get("expand", []))})
    return rows


def load_concepts(model: Any, path: Path = CONCEPTS_PATH, update: bool = False) -> int:
    """Add the file's concepts to the table (`model` may be a migration's historical model);
    with `update`, entries already there take the file's values. Returns how many were written."""
    existing = set(model.objects.values_list("term", flat=True))
    rows = read_concepts_file(path)
    new = [model(**row) for row in rows if row["term"] not in existing]
    model.objects.bulk_create(new)
    written = len(new)
    if update:
        for row in rows:
            if row["term"] in existing:
                written += model.objects.filter(term=row["term"]).update(
                    fields=row["fields"], weight=row["weight"], expand=row["expand"])
    return written


@dataclass(frozen=True)
class FieldNode:
    pk: int
    id: str
    name: str
    parent: str | None


@dataclass
class Taxonomy:
    """The technology fields by external id, with their ancestors."""

    nodes: dict[str, FieldNode]
    ancestors: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for fid in self.nodes:
            chain: list[str] = []
            node = self.nodes[fid].parent
            while node and node in self.nodes and node not in ROOTS and len(chain) < 10:
                chain.append(node)
                node = self.nodes[node].parent
            self.ancestors[fid] = tuple(chain)

    def category(self, fid: str) -> str:
        """The root technology or industry a field belongs to (itself at that level)."""
        chain = self.ancestors.get(fid, ())
        return chain[-1] if chain else fid

    def similarity(self, a: str, b: str, w: dict[str, Any]) -> float:
        if a == b:
            return float(w["field_exact"])
        if a in self.ancestors.get(b, ()) or b in self.ancestors.get(a, ()):
            return float(w["field_path"])
        if a in self.nodes and b in self.nodes and self.category(a) == self.category(b):
            return float(w["field_sibling"])
        return 0.0

    def index_terms(self, fids: Iterable[str]) -> list[str]:
        """Index terms for an item's fields: each field and its ancestors (`§casting-die`,
        `§casting`)."""
        out: list[str] = []
        for fid in fids:
            for f in (fid, *self.ancestors.get(fid, ())):
                term = field_term(f)
                if term not in out:
                    out.append(term)
        return out

    def names_with_ancestors(self, fids: Iterable[str]) -> tuple[list[str], list[str]]:
        """Names of the fields themselves, and of their ancestors (not given twice)."""
        own = [self.nodes[f].name for f in fids if f in self.nodes]
        above: list[str] = []
        for f in fids:
            for a in self.ancestors.get(f, ()):
                name = self.nodes[a].name
                if name not in own and name not in above:
                    above.append(name)
        return own, above


def field_term(fid: str) -> str:
    return f"§{fid}"


@dataclass(frozen=True)
class ConceptEntry:
    term: str
    sequence: tuple[str, ...]
    fields: tuple[str, ...]
    weight: float
    expand: tuple[str, ...]
    derived: bool = False  # from a field's name, not from the table


@dataclass
class ConceptMatch:
    entry: ConceptEntry
    positions: tuple[int, ...]


def _sequence(analyzer: Analyzer, text: str) -> tuple[str, ...]:
    """The main term of each word of `text` (a compound's parts and a code's parts left out)."""
    seen: dict[int, str] = {}
    for term in analyzer.terms(text):
        seen.setdefault(term.pos, term.form)
    return tuple(seen[p] for p in sorted(seen))


REFERENCE_FIELDS = Path(__file__).resolve().parents[1] / "core" / "reference" / "fields.jsonl"


def _reference_names() -> dict[str, str]:
    """The names of the reference taxonomy's fields (the concept table's ids), by id."""
    try:
        lines = REFERENCE_FIELDS.read_text(encoding="utf-8").splitlines()
    except OSError:
        return {}
    return {rec["id"]: rec["name"] for rec in map(json.loads, filter(str.strip, lines))}


def field_resolver(taxonomy: Taxonomy) -> dict[str, str]:
    """Concept-table field id -> a field of this hub's taxonomy: the same id, else a field with
    the same name (a hub that imported its own taxonomy under other ids), else nothing."""
    by_name: dict[str, str] = {}
    for node in taxonomy.nodes.values():
        by_name.setdefault(node.name.replace(" ", ""), node.id)
    out: dict[str, str] = {}
    for fid, name in _reference_names().items():
        if fid in taxonomy.nodes:
            out[fid] = fid
        elif name.replace(" ", "") in by_name:
            out[fid] = by_name[name.replace(" ", "")]
    return out


class ConceptMatcher:
    def __init__(self, analyzer: Analyzer, rows: Sequence[dict[str, Any]], taxonomy: Taxonomy):
        self.taxonomy = taxonomy
        resolve = field_resolver(taxonomy)
        entries: list[ConceptEntry] = []
        taken: set[tuple[str, ...]] = set()
        for row in rows:
            fields = tuple(dict.fromkeys(
                f if f in taxonomy.nodes else resolve[f] for f in row["fields"]
                if f in taxonomy.nodes or f in resolve))
            seq = _sequence(analyzer, row["term"])
            if not fields or not seq:
                continue
            entries.append(ConceptEntry(row["term"], seq, fields, float(row["weight"]),
                                        tuple(row.get("expand") or ())))
            taken.add(seq)
        for node in taxonomy.nodes.values():
            if node.id in ROOTS:
                continue
            for part in _name_parts(node.name):
                seq = _sequence(analyzer, part)
                if seq and seq not in taken:
                    entries.append(ConceptEntry(part, seq, (node.id,), DERIVED_WEIGHT, (),
                                                derived=True))
                    taken.add(seq)
        self.entries = entries
        self.by_first: dict[str, list[ConceptEntry]] = {}
        for entry in entries:
            self.by_first.setdefault(entry.sequence[0], []).append(entry)
        for lst in self.by_first.values():
            lst.sort(key=lambda e: -len(e.sequence))

    def match(self, terms: Sequence[Term]) -> list[ConceptMatch]:
        """Concepts in a text's terms: longest first, each word used once."""
        forms: dict[int, set[str]] = {}
        main: dict[int, str] = {}
        for t in terms:
            forms.setdefault(t.pos, set()).add(t.form)
            main.setdefault(t.pos, t.form)
        candidates: list[tuple[int, int, int, ConceptMatch]] = []
        for pos in sorted(forms):
            for form in forms[pos]:
                for entry in self.by_first.get(form, ()):
                    positions = [pos]
                    ok = True
                    for k, token in enumerate(entry.sequence[1:], start=1):
                        nxt = pos + k
                        if token not in forms.get(nxt, ()):
                            ok = False
                            break
                        positions.append(nxt)
                    if ok:
                        is_main = int(main.get(pos) == form)
                        candidates.append((len(positions), is_main, -pos,
                                           ConceptMatch(entry, tuple(positions))))
        candidates.sort(key=lambda c: (c[0], c[1], c[2], c[3].entry.weight), reverse=True)
        used: set[int] = set()
        out: list[ConceptMatch] = []
        seen_entries: set[str] = set()
        for _n, _m, _p, cm in candidates:
            if used.intersection(cm.positions):
                continue
            used.update(cm.positions)
            if cm.entry.term in seen_entries:
                continue  # the same concept twice counts once
            seen_entries.add(cm.entry.term)
            out.append(cm)
        return out

    @staticmethod
    def evidence(matches: Iterable[ConceptMatch]) -> dict[str, float]:
        scores: dict[str, float] = {}
        for cm in matches:
            for k, fid in enumerate(cm.entry.fields):
                share = 1.0 if k == 0 else SECONDARY_SHARE
                scores[fid] = scores.get(fid, 0.0) + cm.entry.weight * share
        return scores


def confidence(evidence: float, scale: float) -> float:
    return 1.0 - math.exp(-scale * evidence)


def _name_parts(name: str) -> list[str]:
    for sep in "·/(),":
        name = name.replace(sep, "|")
    return [p.strip() for p in name.split("|") if p.strip()]
