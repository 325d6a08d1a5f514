"""The concept table: every entry's effect, admin edits, field suggestion, corrections."""

from __future__ import annotations

from typing import Any

import pytest

from clusterhub.matching import engine
from clusterhub.matching.concepts import read_concepts_file
from clusterhub.matching.models import Concept, FieldCorrection

from .demo import demo  # noqa: F401

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("demo")]

ENTRIES = read_concepts_file()


@pytest.mark.parametrize("entry", ENTRIES, ids=[e["term"] for e in ENTRIES])
def test_each_concept_suggests_its_field(entry: dict[str, Any]) -> None:
    """The term alone suggests the entry's first (most specific) field among the top three."""
    suggested = [f.external_id for f, _c in engine.suggest_fields(entry["term"], limit=3)]
    assert entry["fields"][0] in suggested, (entry["term"], suggested)


EXPANDING = [e for e in ENTRIES if e["expand"]]


@pytest.mark.parametrize("entry", EXPANDING, ids=[e["term"] for e in EXPANDING])
def test_each_expansion_reaches_the_query(entry: dict[str, Any]) -> None:
    eng = engine.engine()
    eng.ensure()
    words = eng.analyse(entry["term"]).words
    for extra in entry["expand"]:
        for form in eng.analyzer.tokens(extra):
            assert form in words, (entry["term"], extra, words)


def test_table_is_seeded_from_the_file() -> None:
    assert Concept.objects.count() >= len(ENTRIES)
    assert set(Concept.objects.values_list("term", flat=True)) >= {e["term"] for e in ENTRIES}


def test_field_names_are_concepts_too() -> None:
    # "광산업" (photonics) is not in the table: the field's own name suggests it.
    assert not Concept.objects.filter(term="광산업").exists()
    assert "photonics" in [f.external_id for f, _c in engine.suggest_fields("광산업")]


def test_an_admin_edit_takes_effect() -> None:
    assert "casting" not in [f.external_id for f, _c in engine.suggest_fields("뽀로롱공법")]
    Concept.objects.create(term="뽀로롱공법", fields=["casting"])
    assert engine.suggest_fields("뽀로롱공법")[0][0].external_id == "casting"
    Concept.objects.filter(term="뽀로롱공법").update(active=False)
    Concept.objects.get(term="뽀로롱공법").save()  # the signal tells the engine
    assert "casting" not in [f.external_id for f, _c in engine.suggest_fields("뽀로롱공법")]


def test_concept_validation() -> None:
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        Concept(term="x", fields=["no-such-field"]).full_clean()
    with pytest.raises(ValidationError):
        Concept(term="y", fields=[]).full_clean()
    Concept(term="z", fields=["casting"], expand=["주물"]).full_clean()


def test_suggestions_are_ranked_with_confidence() -> None:
    out = engine.suggest_fields("ADC12 다이캐스팅 하우징 기공 때문에 기밀 불량", limit=3)
    assert out[0][0].external_id == "casting-die"
    confidences = [c for _f, c in out]
    assert all(0 < c <= 1 for c in confidences)
    assert confidences == sorted(confidences, reverse=True)
    assert engine.suggest_fields("") == []
    assert engine.suggest_fields("안녕하세요") == []


@pytest.mark.parametrize("text, field", [
    ("도금이 자꾸 벗겨져요", "surface_treatment-plating"),
    ("용접한 부분이 녹슬어요", "welding"),
    ("티그 용접부 변색", "welding-arc"),
    ("알루마이트 얼룩", "surface_treatment-anodizing"),
    ("사출품에 수축 자국과 웰드라인", "injection_press-injection"),
    ("열쳐리 후 경도가 안 나와요", "heat_treatment"),
    ("스폿 용접 너깃이 작아요", "welding-resistance"),
])
def test_colloquial_texts(text: str, field: str) -> None:
    suggested = [f.external_id for f, _c in engine.suggest_fields(text, limit=3)]
    assert field in suggested, suggested


def test_record_field_correction(django_user_model: Any) -> None:
    from clusterhub.core.models import TechField

    user = django_user_model.objects.create_user("coord", password="x")
    suggested = engine.suggest_fields("다이캐스팅 기공", limit=2)
    confirmed = [suggested[0][0], TechField.objects.get(external_id="mould-die-casting")]
    row = engine.record_field_correction(None, suggested, confirmed, user)
    assert isinstance(row, FieldCorrection)
    assert row.suggested[0] == {"field": suggested[0][0].external_id,
                                "confidence": suggested[0][1]}
    assert row.added == ["mould-die-casting"]
    assert row.removed == [suggested[1][0].external_id]
    assert row.actor == user and not row.accepted_as_suggested
