"""Korean analysis: codes kept whole, spacing, compounds, particles, typos (no database)."""

from __future__ import annotations

import pytest

from clusterhub.matching.analysis import (
    TypoIndex,
    code_spans,
    get_analyzer,
    jamo,
    normalise,
    whitespace_tokens,
)


@pytest.fixture(scope="module")
def analyzer():  # type: ignore[no-untyped-def]
    return get_analyzer()


def tokens(analyzer, text: str) -> list[str]:  # type: ignore[no-untyped-def]
    return analyzer.tokens(text)


@pytest.mark.parametrize("text, expected", [
    ("SUS304 배관", ["SUS304", "304"]),
    ("SKD61 금형 열처리", ["SKD61"]),
    ("ADC12 다이캐스팅", ["ADC12"]),
    ("A356-T6 휠", ["A356-T6", "A356", "T6"]),
    ("T6 열처리", ["T6"]),
    ("Al6061-T6 압출재", ["AL6061-T6", "AL6061", "6061", "T6"]),
    ("17-4PH 정밀주조", ["17-4PH", "4PH"]),
    ("PC/ABS 사출품", ["PC/ABS", "PC", "ABS"]),
    ("PA66 GF30", ["PA66", "GF30"]),
    ("KS D 3503 SS400 강판", ["KSD3503", "D3503", "SS400"]),
    ("JIS G4051 S45C", ["JISG4051", "G4051", "S45C"]),
    ("ASTM A36 강재", ["ASTMA36", "A36"]),
    ("품번 HX-2041-A 브래킷", ["HX-2041-A"]),
    ("5축 가공", ["5축"]),
    ("6가크롬 대체", ["6가", "크롬"]),
])
def test_codes_are_kept_whole(analyzer, text: str, expected: list[str]) -> None:  # type: ignore[no-untyped-def]
    out = tokens(analyzer, text)
    for term in expected:
        assert term in out, (text, out)


def test_numbers_with_units_are_not_codes(analyzer) -> None:  # type: ignore[no-untyped-def]
    out = tokens(analyzer, "휨 0.8mm, 불량률 12%, 250kg, 1200rpm")
    assert not [t for t in out if t.endswith(("MM", "KG", "RPM")) or t in ("12", "0.8")]
    assert "휘" in out  # 휨 is the noun form of 휘다 (to warp): Kiwi gives the stem
    assert code_spans(normalise("0.8mm 12%")) == []


def test_hangul_and_latin_mixed(analyzer) -> None:  # type: ignore[no-untyped-def]
    assert {"CO2", "용접"} <= set(tokens(analyzer, "CO2용접 후 변형"))
    assert {"3D", "프린팅"} <= set(tokens(analyzer, "3D프린팅 시작품"))
    assert {"TIG", "용접부"} <= set(tokens(analyzer, "TIG용접부 변색"))


def test_spacing_does_not_change_the_terms(analyzer) -> None:  # type: ignore[no-untyped-def]
    spaced = set(tokens(analyzer, "다이 캐스팅 제품"))
    joined = set(tokens(analyzer, "다이캐스팅제품"))
    assert "다이캐스팅" in spaced and "다이캐스팅" in joined
    assert "사출성형" in set(tokens(analyzer, "사출 성형 불량"))
    assert {"금형", "냉각수"} <= set(tokens(analyzer, "금형냉각수라인설계최적화가필요합니다"))


def test_user_dictionary_keeps_terms_whole_and_gives_parts(analyzer) -> None:  # type: ignore[no-untyped-def]
    out = tokens(analyzer, "염수분무 시험에서 사출성형 불량")
    assert "염수분무" in out
    assert {"사출성형", "사출", "성형"} <= set(out)
    assert "도금" in tokens(analyzer, "도금층이 들떠요")  # a compound the dictionary lacks


def test_particles_and_endings_are_dropped(analyzer) -> None:  # type: ignore[no-untyped-def]
    out = tokens(analyzer, "도금이 벗겨져요")
    assert out[:2] == ["도금", "벗겨지"]
    assert not {"이", "어요", "요"} & set(out)


def test_batch_analysis_equals_single(analyzer) -> None:  # type: ignore[no-untyped-def]
    texts = ["ADC12 다이캐스팅 기공", "SUS304 TIG 용접부 변색", "", "사출 성형 웰드라인"]
    assert list(analyzer.tokens_many(texts)) == [analyzer.tokens(t) for t in texts]


def test_jamo() -> None:
    assert jamo("균열") == "ㄱㅠㄴㅇㅕㄹ"
    assert jamo("A1") == "A1"


def test_typo_index_corrects_within_one_jamo() -> None:
    typos = TypoIndex([("균열", 5), ("용접", 9), ("열처리", 3), ("기공", 2)])
    assert typos.correct("균녈") == "균열"
    assert typos.correct("열쳐리") == "열처리"
    assert typos.correct("주조") is None  # nothing close
    assert typos.correct("기곤") == "기공"
    assert typos.correct("고") is None  # too short to guess


def test_query_terms_correct_typos(analyzer) -> None:  # type: ignore[no-untyped-def]
    typos = TypoIndex([("균열", 5), ("용접", 9), ("열처리", 3)])
    known = {"균열", "용접", "열처리", "용접부"}.__contains__
    forms = {t.form for t in analyzer.query_terms("용졉부에 균녈이 생겨요 열쳐리", known, typos)}
    assert {"용접", "균열", "열처리"} <= forms


def test_whitespace_baseline_tokens() -> None:
    assert whitespace_tokens("도금이 벗겨져요. (긴급)") == ["도금이", "벗겨져요", "긴급"]
