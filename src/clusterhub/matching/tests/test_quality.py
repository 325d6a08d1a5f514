"""The labelled set (eval/labels.jsonl) over the demo data: its shape, and the targets of
docs/benchmarks.md as a regression guard (experts nDCG@10 >= 0.80, cases recall@10 >= 0.90)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from clusterhub.core.models import Expert
from clusterhub.matching.evaluation import evaluate, read_labels
from clusterhub.support.models import SolvedCase

from .demo import demo  # noqa: F401

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("demo")]
LABELS = Path(__file__).resolve().parents[1] / "eval" / "labels.jsonl"


def test_labels_are_well_formed() -> None:
    rows = [json.loads(x) for x in LABELS.read_text(encoding="utf-8").splitlines()]
    assert len(rows) >= 80
    experts = set(Expert.objects.values_list("external_id", flat=True))
    cases = set(SolvedCase.objects.values_list("external_id", flat=True))
    for row in rows:
        assert row["text"] and set(row["experts"]) <= experts and set(row["cases"]) <= cases
        assert 2 in row["experts"].values() and 2 in row["cases"].values()
        assert set(row["experts"].values()) | set(row["cases"].values()) <= {1, 2}


def test_labels_are_up_to_date() -> None:
    from clusterhub.matching.eval.make_labels import make

    rows = [json.loads(x) for x in LABELS.read_text(encoding="utf-8").splitlines()]
    assert make() == rows  # python -m clusterhub.matching.eval.make_labels rewrites the file


def test_targets_on_the_labelled_set() -> None:
    result = evaluate(read_labels(LABELS), ("expert", "case"), baselines=False)
    figures = result["figures"]
    assert figures["expert"]["clusterhub"]["ndcg@10"] >= 0.80
    assert figures["case"]["clusterhub"]["recall@10"] >= 0.90
