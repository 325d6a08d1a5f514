"""Directory endpoints under /api/v1/ for every persona: visibility, filters, paging, errors."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from clusterhub.core.models import Cluster, Organisation
from clusterhub.testing import (
    ExpertFactory,
    FieldFactory,
    FirmFactory,
    OrganisationFactory,
    RegionFactory,
)

pytestmark = pytest.mark.django_db

API = "/api/v1"
PERSONAS = ["anonymous", "sme", "other_sme", "expert", "coordinator", "other_coordinator",
            "admin", "analyst"]
SEES_FIGURES = {"sme", "coordinator", "other_coordinator", "admin", "analyst"}
EMAIL = "kim.contact@example.org"


def persona(hub: Any, name: str) -> Any:
    return {"anonymous": None, "expert": hub.expert_user}.get(name, getattr(hub, name, None))


@pytest.fixture
def directory(hub: Any) -> Any:
    Organisation.objects.filter(pk=hub.firm.pk).update(
        sales_mkrw=Decimal("98765.4"), rnd_mkrw=Decimal("1200"), exports_mkrw=None,
        employees=45, innobiz=True)
    Organisation.objects.filter(pk=hub.centre.pk).update(
        branch_category="지역센터", location="부산 강서구", staff=12,
        budget_2005_eok=Decimal("20.5"), source="Table 3-1 (l.1013)")
    hub.expert.email, hub.expert.phone = EMAIL, "055-123-4567"
    hub.expert.save()
    hub.cluster = Cluster.objects.create(
        external_id="changwon", name="창원 혁신클러스터", region=hub.region, complex="창원국가산업단지")
    hub.cluster.institutes.set([hub.institute])
    hub.cluster.strategic_industries.set([hub.casting])
    hub.die = FieldFactory(external_id="casting-die", name="다이캐스팅", name_en="Die casting",
                           parent=hub.casting)
    hub.firm.fields.set([hub.die])
    hub.centre.fields.set([hub.casting])
    Organisation.objects.filter(pk=hub.desk.pk).update(keywords=["시험분석"])
    return hub


def ids(response: Any) -> list[str]:
    assert response.status_code == 200, response.content
    return [item["id"] for item in response.json()["items"]]


# --- every endpoint, every persona -------------------------------------------------------------


@pytest.mark.parametrize("who", PERSONAS)
def test_every_endpoint_answers_every_persona(directory: Any, api_for: Any, who: str) -> None:
    client = api_for(persona(directory, who))
    for path in ["/regions", "/fields", "/clusters", "/organisations", "/organisations/f-a",
                 "/organisations/kitech-busan", "/experts", "/experts/e-a"]:
        response = client.get(API + path)
        assert response.status_code == 200, (path, response.content)


def test_reference_endpoints(directory: Any, client: Any) -> None:
    assert client.get(f"{API}/regions").json() == [
        {"code": "47", "name": "경상북도", "short_name": "경북", "name_en": "Gyeongsangbuk-do"},
        {"code": "48", "name": "경상남도", "short_name": "경남", "name_en": "Gyeongsangnam-do"},
    ]
    fields = {f["id"]: f for f in client.get(f"{API}/fields").json()}
    assert fields["casting-die"] == {"id": "casting-die", "name": "다이캐스팅",
                                     "name_en": "Die casting", "parent": "casting"}
    assert fields["root-tech"]["parent"] is None
    assert client.get(f"{API}/clusters").json() == [{
        "id": "changwon", "name": "창원 혁신클러스터", "name_en": "", "region": "48",
        "complex": "창원국가산업단지", "strategic_industries": ["casting"],
        "institutes": ["kitech"], "description": ""}]


@pytest.mark.parametrize("who", PERSONAS)
def test_firm_figures_only_for_its_members_and_the_hub_staff(
    directory: Any, api_for: Any, who: str
) -> None:
    client = api_for(persona(directory, who))
    detail = client.get(f"{API}/organisations/f-a").json()
    listed = {o["id"]: o for o in client.get(f"{API}/organisations").json()["items"]}
    for data in (detail, listed["f-a"]):
        if who in SEES_FIGURES:
            assert data["figures"] == {"employees": 45, "sales_mkrw": 98765.4,
                                       "rnd_mkrw": 1200.0, "exports_mkrw": None,
                                       "innobiz": True, "venture": False}
        else:
            assert data["figures"] is None
        assert data["is_sme"] is True and data["sector"] == "manufacturing"
        assert "employees" not in data and "sales_mkrw" not in data
    # Nobody but its own member (and staff) sees the other firm's figures.
    other = listed["f-b"]["figures"]
    assert (other is not None) is (who in SEES_FIGURES - {"sme"} or who == "other_sme")
    assert all(o["figures"] is None for o in listed.values() if o["kind"] != "firm")


@pytest.mark.parametrize("who", PERSONAS)
def test_expert_contact_only_when_signed_in(directory: Any, api_for: Any, who: str) -> None:
    client = api_for(persona(directory, who))
    detail = client.get(f"{API}/experts/e-a").json()
    listed = {e["id"]: e for e in client.get(f"{API}/experts").json()["items"]}
    for data in (detail, listed["e-a"]):
        if who == "anonymous":
            assert data["email"] is None and data["phone"] is None
        else:
            assert data["email"] == EMAIL and data["phone"] == "055-123-4567"
        assert data["organisation"] == "kitech-busan"
        assert data["organisation_name"] == "생기원 부산센터"
        assert data["fields"] == ["casting"] and data["keywords"] == ["다이캐스팅", "기공"]


def test_branch_attributes(directory: Any, client: Any) -> None:
    centre = client.get(f"{API}/organisations/kitech-busan").json()
    assert centre["parent"] == "kitech" and centre["region"] == "48"
    assert centre["branch"] == {
        "category": "지역센터", "location": "부산 강서구", "staff": 12, "facilities": "",
        "budget_eok": {"2004": None, "2005": 20.5, "2006": None},
        "source": "Table 3-1 (l.1013)"}
    assert client.get(f"{API}/organisations/gn-tp").json()["branch"] is None


@pytest.mark.parametrize("path", ["/organisations/nope", "/experts/nope"])
def test_missing_ids_are_404(directory: Any, api_for: Any, path: str) -> None:
    for who in ("anonymous", "admin"):
        response = api_for(persona(directory, who)).get(API + path)
        assert response.status_code == 404
        assert response.json() == {"code": "not_found", "message": "Not found.", "field": None}


# --- filters and paging ------------------------------------------------------------------------


@pytest.mark.parametrize(("params", "expected"), [
    ({}, ["f-a", "gn-tp", "gb-tp", "kitech-busan", "f-b", "kitech"]),
    ({"q": "테크노파크"}, ["gn-tp", "gb-tp"]),
    ({"q": "시험분석"}, ["gn-tp"]),
    ({"q": "nothing-like-this"}, []),
    ({"kind": "firm"}, ["f-a", "f-b"]),
    ({"kind": "gri_centre"}, ["kitech-busan"]),
    ({"region": "47"}, ["gb-tp", "f-b"]),
    ({"region": "경북"}, ["gb-tp", "f-b"]),
    ({"region": "99"}, []),
    ({"field": "casting"}, ["f-a", "kitech-busan"]),
    ({"field": "root-tech"}, ["f-a", "kitech-busan"]),
    ({"field": "casting-die"}, ["f-a"]),
    ({"sme": "true"}, ["f-a", "f-b"]),
    ({"sme": "false"}, ["gn-tp", "gb-tp", "kitech-busan", "kitech"]),
    ({"kind": "firm", "region": "경남", "sme": "true"}, ["f-a"]),
])
def test_organisation_filters(
    directory: Any, client: Any, params: dict[str, str], expected: list[str]
) -> None:
    response = client.get(f"{API}/organisations", params)
    assert ids(response) == expected
    assert response.json()["count"] == len(expected)


@pytest.mark.parametrize(("params", "expected"), [
    ({}, ["e-a", "e-b"]),
    ({"q": "기공"}, ["e-a"]),
    ({"q": "이금형"}, ["e-b"]),
    ({"field": "casting"}, ["e-a"]),
    ({"field": "root-tech"}, ["e-a", "e-b"]),
    ({"region": "경남"}, ["e-a", "e-b"]),
    ({"region": "48"}, ["e-a", "e-b"]),
    ({"region": "경북"}, []),
    ({"organisation": "kitech-busan"}, ["e-a", "e-b"]),
    ({"organisation": "kitech"}, []),
])
def test_expert_filters(
    directory: Any, client: Any, params: dict[str, str], expected: list[str]
) -> None:
    assert ids(client.get(f"{API}/experts", params)) == expected


def test_bad_filter_value_is_422(directory: Any, client: Any) -> None:
    response = client.get(f"{API}/organisations", {"sme": "perhaps"})
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "invalid" and body["field"] == "sme" and body["message"]


def test_pagination_limit_offset_count(db: Any, client: Any) -> None:
    region = RegionFactory()
    for i in range(12):
        OrganisationFactory(external_id=f"o-{i:02d}", name=f"기관{i:02d}", region=region)
    page = client.get(f"{API}/organisations", {"limit": 5, "offset": 0}).json()
    assert page["count"] == 12
    assert [o["id"] for o in page["items"]] == [f"o-{i:02d}" for i in range(5)]
    page = client.get(f"{API}/organisations", {"limit": 5, "offset": 10}).json()
    assert page["count"] == 12
    assert [o["id"] for o in page["items"]] == ["o-10", "o-11"]
    assert client.get(f"{API}/organisations", {"offset": 20}).json() == {"items": [],
                                                                        "count": 12}
    assert len(client.get(f"{API}/organisations").json()["items"]) == 12
    assert client.get(f"{API}/organisations", {"limit": 0}).status_code == 422
    assert client.get(f"{API}/organisations", {"offset": -1}).status_code == 422


# --- authentication ----------------------------------------------------------------------------


@pytest.mark.parametrize("header", [
    "Bearer chub_not-a-real-token", "Bearer ", "Basic dXNlcjpwYXNz", "chub_no-scheme"])
def test_a_bad_authorization_header_is_401_not_anonymous(
    directory: Any, client: Any, header: str
) -> None:
    for path in ["/organisations", "/organisations/f-a", "/experts", "/experts/e-a"]:
        response = client.get(API + path, HTTP_AUTHORIZATION=header)
        assert response.status_code == 401, path
        assert response["Content-Type"].startswith("application/json")
        assert response.json() == {"code": "unauthorised",
                                   "message": "A valid bearer token is required.",
                                   "field": None}


def test_a_token_of_an_inactive_user_is_401(directory: Any, api_for: Any) -> None:
    client = api_for(directory.sme)
    directory.sme.is_active = False
    directory.sme.save()
    assert client.get(f"{API}/organisations/f-a").status_code == 401


def test_a_session_does_not_count_for_the_api(directory: Any, client_for: Any) -> None:
    data = client_for(directory.admin).get(f"{API}/organisations/f-a").json()
    assert data["figures"] is None


def test_openapi_lists_the_endpoints(client: Any) -> None:
    response = client.get(f"{API}/openapi.json")
    assert response.status_code == 200
    spec = response.json()
    assert spec["info"]["title"] == "ClusterHub API"
    paths = spec["paths"]
    for path in ["/regions", "/fields", "/clusters", "/organisations",
                 "/organisations/{org_id}", "/experts", "/experts/{expert_id}"]:
        assert "get" in paths[API + path], path
    params = {p["name"] for p in paths[f"{API}/organisations"]["get"]["parameters"]}
    assert {"q", "kind", "region", "field", "sme", "limit", "offset"} <= params


# --- query counts ------------------------------------------------------------------------------


def _populate(n: int) -> None:
    region = RegionFactory()
    root = FieldFactory(external_id="root-tech")
    fields = [FieldFactory(parent=root) for _ in range(3)]
    parent = OrganisationFactory(kind="gri", region=region)
    for i in range(n):
        if i % 2:
            org = FirmFactory(region=region)
        else:
            org = OrganisationFactory(kind="gri_centre", parent=parent, region=region)
        org.fields.set(fields[: 1 + i % 3])
        expert = ExpertFactory(organisation=org)
        expert.fields.set(fields[: 1 + i % 3])


@pytest.mark.parametrize("n", [5, 20])
@pytest.mark.parametrize(("path", "queries"), [
    ("/organisations", 3),  # count, page, fields of the page
    ("/experts", 3),
])
@pytest.mark.parametrize("who", ["anonymous", "coordinator"])
def test_list_query_counts_do_not_grow_with_rows(
    db: Any, api_for: Any, django_assert_num_queries: Any, n: int, path: str, queries: int,
    who: str,
) -> None:
    from clusterhub.testing import make_user

    _populate(n)
    user = make_user("coord", "coordinator", Organisation.objects.first()) if who != "anonymous" \
        else None
    client = api_for(user)
    client.get(API + path)  # the token's first use records last_used_at
    with django_assert_num_queries(queries + (who != "anonymous")):  # + the token's user
        response = client.get(API + path)
    items = response.json()["items"]
    assert len(items) == n + (path == "/organisations")
    if who == "coordinator":
        assert all(o["figures"] is not None for o in items if o.get("kind") == "firm")
