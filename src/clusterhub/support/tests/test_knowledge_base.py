"""The knowledge base: closed requests published with consent, anonymised; public pages and
endpoints; search and filters; similar cases."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from django.urls import reverse

from clusterhub.support import actions
from clusterhub.support.models import SolvedCase
from clusterhub.testing import ExpertFactory, FieldFactory, new_request

from .conftest import PERSONAS, forward

# Every way the firm or its people may be named in what the SME and the expert wrote.
FIRM_MENTIONS = ["(주)한길금형", "㈜한길금형", "한길금형", "Hangil Mould Co., Ltd.", "김철수",
                 "박영희"]
LEAKS = ["한길금형", "Hangil Mould", "김철수", "박영희"]


@pytest.fixture
def named_firm(hub: Any) -> Any:
    hub.firm.name_en = "Hangil Mould Co., Ltd."
    hub.firm.save()
    # Korean names: family name first, no space (Django's get_full_name gives "철수 김").
    hub.sme.first_name, hub.sme.last_name = "철수", "김"
    hub.sme.save()
    from clusterhub.testing import make_user

    colleague = make_user("sme-park", "sme", hub.firm)
    colleague.first_name, colleague.last_name = "영희", "박"
    colleague.save()
    return hub.firm


@pytest.fixture
def published(hub: Any, named_firm: Any) -> SolvedCase:
    req = new_request(
        hub, title="(주)한길금형 하우징 기공 불량",
        description="㈜한길금형(Hangil Mould Co., Ltd.) 김해 공장, 담당 김철수 과장. "
                    "ADC12 하우징 두께 변화부 기공으로 기밀시험 불량률 12%. 박영희 대리 동석.")
    req = forward(hub, req, "resolved")
    from clusterhub.support.models import SupportRequest

    SupportRequest.objects.filter(pk=req.pk).update(
        solution_summary="한길금형 2호기에 진공 다이캐스팅 적용, 김철수 과장과 금형 온도 조정")
    req = forward(hub, req, "closed")
    return SolvedCase.objects.get(source_request=req)


def test_published_case_is_anonymised(published):
    texts = [published.title, published.problem, published.solution, published.outcome]
    for text in texts:
        for leak in LEAKS:
            assert leak not in text, (leak, text)
    assert published.title == "[firm] 하우징 기공 불량"
    assert "[firm]" in published.problem and "ADC12" in published.problem
    assert published.solution.startswith("[firm] 2호기에 진공 다이캐스팅 적용")
    assert published.outcome == "defect rate 12% → 3%"


def test_published_case_keeps_what_is_useful(hub, published):
    assert published.published and published.external_id.startswith("req-")
    assert (published.support_type, published.region) == ("guidance", hub.region)
    assert list(published.fields.all()) == [hub.casting]
    assert list(published.experts.all()) == [hub.expert]
    # The firm is kept for the back office only.
    assert published.firm == hub.firm


@pytest.mark.parametrize("persona", PERSONAS)
def test_firm_never_appears_on_public_pages(hub, published, as_persona, api_as, persona):
    client, api = as_persona(persona), api_as(persona)
    pages = [
        client.get(reverse("cases")).content.decode(),
        client.get(reverse("cases"), {"q": "기공"}, HTTP_HX_REQUEST="true").content.decode(),
        client.get(published.get_absolute_url()).content.decode(),
        json.dumps(api.get("/api/v1/cases").json(), ensure_ascii=False),
        json.dumps(api.get(f"/api/v1/cases/{published.pk}").json(), ensure_ascii=False),
    ]
    for page in pages:
        assert "하우징 기공 불량" in page
        for leak in [*LEAKS, hub.firm.external_id, "f-a"]:
            assert leak not in page, leak


def test_no_consent_no_case(hub, as_persona):
    req = forward(hub, new_request(hub, consent_publish=False), "closed")
    assert not SolvedCase.objects.exists()
    assert req.title not in as_persona("anonymous").get(reverse("cases")).content.decode()


def test_withdrawn_or_rejected_requests_are_never_published(hub):
    actions.withdraw(hub.sme, new_request(hub), "취소")
    actions.reject(hub.coordinator, new_request(hub), "대상 아님")
    assert not SolvedCase.objects.exists()


def test_case_year_is_the_local_year_of_closing(hub):
    from unittest import mock

    req = forward(hub, new_request(hub), "outcome_recorded")
    new_year_morning = datetime(2024, 12, 31, 16, 0, tzinfo=UTC)  # 01:00, 1 January in Seoul
    with mock.patch("django.utils.timezone.now", return_value=new_year_morning):
        actions.close(hub.coordinator, req)
    assert SolvedCase.objects.get().year == 2025


def test_unpublished_case_is_hidden(hub, published, as_persona):
    SolvedCase.objects.filter(pk=published.pk).update(published=False)
    client = as_persona("admin")
    assert client.get(published.get_absolute_url()).status_code == 404
    assert list(client.get(reverse("cases")).context["page"]) == []
    assert client.get(reverse("case", args=[987654])).status_code == 404


# --- search and filters ---------------------------------------------------------------------------

def _case(hub: Any, ext: str, title: str, *, fields: list[Any], year: int = 2023,
          region: Any = None, support_type: str = "guidance", problem: str = "",
          published: bool = True) -> SolvedCase:
    case = SolvedCase.objects.create(
        external_id=ext, title=title, problem=problem or title, solution="해결", year=year,
        region=region or hub.region, support_type=support_type, published=published)
    case.fields.set(fields)
    return case


@pytest.fixture
def library(hub: Any) -> dict[str, SolvedCase]:
    heat = FieldFactory(external_id="heat", name="열처리", name_en="Heat treatment",
                        parent=hub.casting.parent)
    return {
        "pores": _case(hub, "h-1", "다이캐스팅 기공 저감", fields=[hub.casting], year=2021,
                       problem="알루미늄 다이캐스팅 기공"),
        "warp": _case(hub, "h-2", "사출 금형 휨 개선", fields=[hub.mould], year=2022,
                      support_type="testing"),
        "heat": _case(hub, "h-3", "열처리 변형 저감", fields=[heat], year=2023,
                      region=hub.other_region, problem="기어 열처리 변형"),
        "both": _case(hub, "h-4", "주조 금형 수명 연장", fields=[hub.casting, hub.mould], year=2023),
        "hidden": _case(hub, "h-5", "비공개 기공 사례", fields=[hub.casting], published=False),
    }


def _listed(client: Any, **params: Any) -> list[str]:
    return [c.external_id for c in client.get(reverse("cases"), params).context["page"]]


def test_case_list_filters(hub, library, as_persona):
    client = as_persona("anonymous")
    assert _listed(client) == ["h-3", "h-4", "h-2", "h-1"]  # newest year first; never hidden
    assert _listed(client, q="기공") == ["h-1"]
    assert _listed(client, q="저감 변형") == ["h-3"]  # every word must match
    assert _listed(client, field="casting") == ["h-4", "h-1"]
    assert _listed(client, field="root-tech") == ["h-3", "h-4", "h-2", "h-1"]  # and below
    assert _listed(client, region="47") == ["h-3"]
    assert _listed(client, region="경북") == ["h-3"]
    assert _listed(client, support_type="testing") == ["h-2"]
    assert _listed(client, year="2023") == ["h-3", "h-4"]
    assert _listed(client, year="이천이십삼") == ["h-3", "h-4", "h-2", "h-1"]  # ignored


def test_case_api_filters(hub, library, api_as):
    api = api_as("anonymous")

    def ids(**params: Any) -> list[str]:
        return [c["external_id"] for c in api.get("/api/v1/cases", params).json()["items"]]

    assert ids() == ["h-3", "h-4", "h-2", "h-1"]
    assert ids(q="기공") == ["h-1"]
    assert ids(field="mould") == ["h-4", "h-2"]
    assert ids(year=2021) == ["h-1"]
    response = api.get("/api/v1/cases", {"year": "soon"})
    assert response.status_code == 422 and response.json()["field"] == "year"


def test_htmx_search_returns_only_the_rows(library, as_persona):
    response = as_persona("anonymous").get(reverse("cases"), {"q": "기공"}, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert "<html" not in html and "다이캐스팅 기공 저감" in html and "사출 금형" not in html
    full = as_persona("anonymous").get(reverse("cases"), {"q": "기공"}).content.decode()
    assert "<html" in full


def test_similar_cases(hub, library, as_persona):
    response = as_persona("anonymous").get(library["both"].get_absolute_url())
    similar = [c.external_id for c in response.context["similar"]]
    # Shares a field with h-1 (casting) and h-2 (mould); never itself nor hidden ones.
    assert sorted(similar) == ["h-1", "h-2"]
    response = as_persona("anonymous").get(library["pores"].get_absolute_url())
    assert [c.external_id for c in response.context["similar"]] == ["h-4"]


def test_case_page_shows_its_experts(hub, library, as_persona):
    expert = ExpertFactory(name="정열처리", organisation=hub.institute)
    library["heat"].experts.set([expert])
    html = as_persona("anonymous").get(library["heat"].get_absolute_url()).content.decode()
    assert "정열처리" in html and expert.get_absolute_url() in html
