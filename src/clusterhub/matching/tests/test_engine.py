"""match(): one explained list across kinds, over the demo data (reasons are Korean: the
hub's default language)."""

from __future__ import annotations

from typing import Any

import pytest

from clusterhub.core.models import Expert, Organisation, Region
from clusterhub.matching import engine
from clusterhub.matching.engine import Match, match, similar_open_requests
from clusterhub.support.models import Assignment, Outcome, SolvedCase, SupportRequest

from .demo import demo  # noqa: F401

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("demo")]

DIE_CASTING = "ADC12 다이캐스팅 하우징에 기공이 생겨 기밀 불량이 납니다"


def _request(title: str, description: str, status: str = "submitted", **kw: Any) -> Any:
    from django.contrib.auth import get_user_model

    user, _ = get_user_model().objects.get_or_create(username="sme-test")
    firm = kw.pop("firm", None) or Organisation.objects.firms().order_by("pk").first()
    extra = {"solution_summary": "해결"} if status in ("resolved", "closed") else {}
    return SupportRequest.objects.create(
        firm=firm, submitted_by=user, title=title, description=description,
        support_type="guidance", region=Region.objects.get(short_name="경남"), status=status,
        **extra, **kw)


def test_one_ranked_list_across_kinds() -> None:
    results = match(DIE_CASTING, limit=15)
    assert results and all(isinstance(m, Match) for m in results)
    assert {m.kind for m in results} >= {"expert", "case"}
    scores = [m.score for m in results]
    assert scores == sorted(scores, reverse=True) and all(0 < s <= 1 for s in scores)
    assert len(results) <= 15
    for m in results:
        assert m.reasons and all(isinstance(r, str) and r for r in m.reasons)
        assert m.as_dict().keys() == {"kind", "id", "name", "score", "reasons"}


def test_the_right_case_and_expert_come_first() -> None:
    cases = match(DIE_CASTING, kinds=("case",), limit=3)
    assert all("다이캐스팅" in m.name and "기공" in m.name for m in cases)
    assert any(r.startswith("같은 분야: 다이캐스팅") for r in cases[0].reasons)
    experts = match(DIE_CASTING, kinds=("expert",), limit=3)
    top = Expert.objects.get(pk=experts[0].pk)
    assert {f.external_id for f in top.fields.all()} & {"casting", "casting-die",
                                                         "casting-simulation", "casting-gravity",
                                                         "casting-sand", "casting-low-pressure",
                                                         "casting-investment"}
    assert any("유사 사례" in r and "해결" in r for m in experts for r in m.reasons)


def test_kinds_and_limit() -> None:
    assert {m.kind for m in match("도금 박리", kinds=("case",), limit=5)} == {"case"}
    assert len(match("도금 박리", kinds=("expert",), limit=2)) == 2
    assert match("도금 박리", kinds=("equipment",)) == []  # no equipment in this dataset
    with pytest.raises(ValueError):
        match("도금 박리", kinds=("robots",))
    assert match("   ") == []


def test_regional_centre_near_the_firm() -> None:
    results = match("알루미늄 주조 기술 지원", region="경남", kinds=("organisation",), limit=10)
    reasons = [r for m in results for r in m.reasons]
    assert "경남 지역센터, 같은 지역" in reasons
    macheon = next(m for m in results if m.id == "kitech-macheon")
    assert "경남 지역센터, 같은 지역" in macheon.reasons
    elsewhere = match("알루미늄 주조 기술 지원", region="전남", kinds=("organisation",), limit=10)
    assert next(m.score for m in elsewhere if m.id == "kitech-macheon") < macheon.score
    # The region may be given by code or full name.
    assert match("알루미늄 주조", region="48", kinds=("organisation",), limit=3) == \
        match("알루미늄 주조", region="경상남도", kinds=("organisation",), limit=3)


def test_same_region_expert_reason() -> None:
    results = match("도금 밀착 불량", region="인천", kinds=("expert",), limit=10)
    assert any(r == "같은 지역: 인천" for m in results for r in m.reasons)


def test_conflicts_of_interest_are_excluded() -> None:
    first = match(DIE_CASTING, kinds=("expert", "organisation"), limit=20)
    org_id = Expert.objects.get(pk=next(m.pk for m in first if m.kind == "expert")).organisation_id
    again = match(DIE_CASTING, kinds=("expert", "organisation"), limit=20,
                  exclude_organisation_ids=[org_id])
    assert not [m for m in again if m.kind == "expert"
                and Expert.objects.get(pk=m.pk).organisation_id == org_id]
    assert not [m for m in again if m.kind == "organisation" and m.pk == org_id]


def test_public_only_hides_unpublished_cases_and_workloads() -> None:
    top = match(DIE_CASTING, kinds=("case",), limit=1)[0]
    SolvedCase.objects.filter(pk=top.pk).update(published=False)
    assert top.pk in [m.pk for m in match(DIE_CASTING, kinds=("case",), limit=5)]
    assert top.pk not in [m.pk for m in match(DIE_CASTING, kinds=("case",), limit=5,
                                               public_only=True)]


def test_load_against_capacity() -> None:
    first = match(DIE_CASTING, kinds=("expert",), limit=5)[0]
    expert = Expert.objects.get(pk=first.pk)
    expert.capacity = 1
    expert.save()
    req = _request("주조 불량", "기공", status="in_progress")
    Assignment.objects.create(request=req, expert=expert, state=Assignment.State.ACCEPTED)
    again = {m.pk: m for m in match(DIE_CASTING, kinds=("expert",), limit=20)}
    assert again[first.pk].score < first.score
    assert "여유 없음 (1/1)" in again[first.pk].reasons
    public = {m.pk: m for m in match(DIE_CASTING, kinds=("expert",), limit=20, public_only=True)}
    assert not [r for r in public[first.pk].reasons if "여유" in r]


def test_past_outcomes_count() -> None:
    first = match(DIE_CASTING, kinds=("expert",), limit=5)[1]
    expert = Expert.objects.get(pk=first.pk)
    req = _request("다이캐스팅 기공", "기공", status="closed")
    Assignment.objects.create(request=req, expert=expert, state=Assignment.State.ACCEPTED)
    Outcome.objects.create(request=req, satisfaction=5)
    SupportRequest.objects.filter(pk=req.pk).update(resolved_at=req.created_at)
    again = {m.pk: m for m in match(DIE_CASTING, kinds=("expert",), limit=20)}
    assert "평균 만족도 5.0" in again[first.pk].reasons
    assert again[first.pk].score > first.score


def test_english_reasons(settings: Any) -> None:
    from django.utils import translation

    with translation.override("en"):
        results = match("알루미늄 주조 기술 지원", region="경남", kinds=("organisation",), limit=10)
    assert "경남 regional centre, same region" in [r for m in results for r in m.reasons]


def test_similar_open_requests() -> None:
    a = _request("ADC12 다이캐스팅 하우징 기공", "다이캐스팅 하우징 두께 변화부에 기공, 기밀 불량")
    b = _request("다이캐스팅 기공 불량", "ADC12 다이캐스팅 하우징 기공 때문에 기밀시험 불량")
    _request("다이캐스팅 하우징 기공 불량 해결됨", "ADC12 다이캐스팅 기공", status="closed")
    _request("도금 박리", "아연 도금이 벗겨짐")
    found = similar_open_requests(f"{a.title}\n{a.description}", exclude_request_id=a.pk)
    assert [r.pk for r, _s in found] == [b.pk]
    assert 0 < found[0][1] <= 1
    assert similar_open_requests("로봇 그리퍼 진공 흡착", exclude_request_id=a.pk) == []


def test_index_status_and_engine_reload(demo: Any) -> None:  # noqa: F811
    status = engine.index_status()
    assert status["usable"] and not status["stale"]
    assert status["build"]["docs"]["expert"] == Expert.objects.count()
    assert status["build"]["docs"]["case"] == SolvedCase.objects.count()
