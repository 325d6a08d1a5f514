"""Directory pages for every persona: what is public, what only some see, and query counts."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.urls import reverse

from clusterhub.core.models import Cluster, Notification, Organisation
from clusterhub.testing import (
    ExpertFactory,
    FieldFactory,
    FirmFactory,
    OrganisationFactory,
    RegionFactory,
    make_user,
)

pytestmark = pytest.mark.django_db

PERSONAS = ["anonymous", "sme", "other_sme", "expert", "coordinator", "other_coordinator",
            "admin", "analyst"]
# Who sees the business figures of hub.firm (whose member is `sme`).
SEES_FIGURES = {"sme", "coordinator", "other_coordinator", "admin", "analyst"}
SALES = "98,765.4"
EMAIL = "kim.contact@example.org"


def persona(hub: Any, name: str) -> Any:
    return {"anonymous": None, "expert": hub.expert_user}.get(name, getattr(hub, name, None))


@pytest.fixture
def directory(hub: Any) -> Any:
    """The hub plus business figures, contact details, a cluster and a deeper field."""
    Organisation.objects.filter(pk=hub.firm.pk).update(
        sales_mkrw=Decimal("98765.4"), rnd_mkrw=Decimal("1200"), employees=45)
    hub.expert.email, hub.expert.phone = EMAIL, "055-123-4567"
    hub.expert.save()
    hub.cluster = Cluster.objects.create(
        external_id="changwon", name="창원 혁신클러스터", region=hub.region, complex="창원국가산업단지")
    hub.cluster.institutes.set([hub.institute, hub.centre])
    hub.cluster.strategic_industries.set([hub.casting])
    hub.die = FieldFactory(external_id="casting-die", name="다이캐스팅", name_en="Die casting",
                           parent=hub.casting)
    hub.firm.fields.set([hub.die])
    hub.centre.fields.set([hub.casting])
    Organisation.objects.filter(pk=hub.desk.pk).update(keywords=["시험분석", "장비 공동활용"])
    return hub


def pages(hub: Any) -> list[str]:
    return [
        reverse("home"), reverse("organisations"), reverse("organisation", args=[hub.firm.pk]),
        reverse("organisation", args=[hub.centre.pk]),
        reverse("organisation", args=[hub.institute.pk]), reverse("experts"),
        reverse("expert", args=[hub.expert.pk]), reverse("clusters"),
        reverse("cluster", args=[hub.cluster.pk]),
    ]


@pytest.mark.parametrize("who", PERSONAS)
def test_public_pages_answer_every_persona(directory: Any, client_for: Any, who: str) -> None:
    client = client_for(persona(directory, who))
    for url in pages(directory):
        response = client.get(url)
        assert response.status_code == 200, url


@pytest.mark.parametrize("who", PERSONAS)
def test_firm_figures_only_for_its_members_and_the_hub_staff(
    directory: Any, client_for: Any, who: str
) -> None:
    client = client_for(persona(directory, who))
    response = client.get(reverse("organisation", args=[directory.firm.pk]))
    content = response.content.decode()
    assert response.context["show_figures"] is (who in SEES_FIGURES)
    assert (SALES in content) is (who in SEES_FIGURES)
    assert ("경영 현황" in content) is (who in SEES_FIGURES)
    assert directory.firm.name in content  # the firm itself is public


@pytest.mark.parametrize("who", ["sme", "admin", "analyst"])
def test_no_figures_card_for_non_firms(directory: Any, client_for: Any, who: str) -> None:
    response = client_for(persona(directory, who)).get(
        reverse("organisation", args=[directory.desk.pk]))
    assert response.context["show_figures"] is False


def test_the_other_firms_figures_are_hidden_from_sme(directory: Any, client_for: Any) -> None:
    Organisation.objects.filter(pk=directory.other_firm.pk).update(sales_mkrw=Decimal("55555"))
    client = client_for(directory.sme)
    response = client.get(reverse("organisation", args=[directory.other_firm.pk]))
    assert response.context["show_figures"] is False
    assert "55,555" not in response.content.decode()
    response = client_for(directory.other_sme).get(
        reverse("organisation", args=[directory.other_firm.pk]))
    assert response.context["show_figures"] is True


@pytest.mark.parametrize("who", PERSONAS)
def test_expert_contact_only_when_signed_in(directory: Any, client_for: Any, who: str) -> None:
    response = client_for(persona(directory, who)).get(
        reverse("expert", args=[directory.expert.pk]))
    content = response.content.decode()
    signed_in = who != "anonymous"
    assert response.context["show_contact"] is signed_in
    assert (EMAIL in content) is signed_in
    assert ("055-123-4567" in content) is signed_in
    assert directory.expert.name in content and "다이캐스팅" in content


@pytest.mark.parametrize("name", ["organisation", "expert", "cluster"])
def test_missing_ids_are_404(directory: Any, client_for: Any, name: str) -> None:
    for who in ("anonymous", "admin"):
        response = client_for(persona(directory, who)).get(reverse(name, args=[987654]))
        assert response.status_code == 404


def test_organisation_detail_shows_parent_branches_experts_clusters(
    directory: Any, client: Any
) -> None:
    response = client.get(reverse("organisation", args=[directory.institute.pk]))
    assert list(response.context["branches"]) == [directory.centre]
    assert list(response.context["clusters"]) == [directory.cluster]
    response = client.get(reverse("organisation", args=[directory.centre.pk]))
    content = response.content.decode()
    assert directory.institute.name in content  # parent institute
    assert list(response.context["experts"]) == [directory.expert, directory.other_expert]


def test_cluster_pages(directory: Any, client: Any) -> None:
    response = client.get(reverse("clusters"))
    assert list(response.context["clusters"]) == [directory.cluster]
    assert response.context["clusters"][0].n_institutes == 2
    response = client.get(reverse("cluster", args=[directory.cluster.pk]))
    content = response.content.decode()
    assert "창원국가산업단지" in content and "주조" in content
    support = list(response.context["support"])
    assert directory.desk in support and directory.centre in support
    assert directory.firm not in support and directory.other_desk not in support
    assert response.context["firm_count"] == 1


def test_home_page_figures(directory: Any, client: Any) -> None:
    response = client.get(reverse("home"))
    figures = response.context["figures"]
    assert figures["regions"] == 2 and figures["clusters"] == 1 and figures["experts"] == 2
    assert figures["smes"] == 2  # both 45-person manufacturing firms
    assert figures["support_organisations"] == 4
    assert directory.cluster.name in response.content.decode()


# --- lists, filters, htmx ----------------------------------------------------------------------


def names(response: Any) -> list[str]:
    return [o.name for o in response.context["page"]]


@pytest.mark.parametrize(("params", "expected"), [
    ({}, ["(주)한길금형", "경남테크노파크", "경북테크노파크", "생기원 부산센터", "신라주조", "한국생산기술연구원"]),
    ({"q": "테크노파크"}, ["경남테크노파크", "경북테크노파크"]),
    ({"q": "경북 테크노"}, ["경북테크노파크"]),
    ({"q": "시험분석"}, ["경남테크노파크"]),  # a keyword (Korean, JSON list)
    ({"q": "공동활용"}, ["경남테크노파크"]),
    ({"kind": "firm"}, ["(주)한길금형", "신라주조"]),
    ({"region": "47"}, ["경북테크노파크", "신라주조"]),
    ({"region": "경북"}, ["경북테크노파크", "신라주조"]),
    ({"field": "casting"}, ["(주)한길금형", "생기원 부산센터"]),  # casting-die is under casting
    ({"field": "root-tech"}, ["(주)한길금형", "생기원 부산센터"]),
    ({"field": "casting-die"}, ["(주)한길금형"]),
    ({"field": "mould"}, []),
    ({"kind": "firm", "region": "경남"}, ["(주)한길금형"]),
])
def test_organisation_list_filters(
    directory: Any, client: Any, params: dict[str, str], expected: list[str]
) -> None:
    response = client.get(reverse("organisations"), params)
    assert response.status_code == 200
    assert names(response) == expected
    assert response.context["params"]["q"] == params.get("q", "")


def test_organisation_list_htmx_partial(directory: Any, client: Any) -> None:
    full = client.get(reverse("organisations"), {"q": "테크노파크"})
    assert "core/organisation_list.html" in [t.name for t in full.templates]
    assert "<html" in full.content.decode()

    partial = client.get(reverse("organisations"), {"q": "테크노파크"}, HTTP_HX_REQUEST="true")
    content = partial.content.decode()
    assert partial.status_code == 200
    assert [t.name for t in partial.templates][0] == "core/_organisation_rows.html"
    assert "<html" not in content and "<form" not in content
    assert "경남테크노파크" in content and "신라주조" not in content


@pytest.mark.parametrize(("params", "expected"), [
    ({}, ["김주조", "이금형"]),
    ({"q": "기공"}, ["김주조"]),  # keyword
    ({"q": "부산센터"}, ["김주조", "이금형"]),  # organisation name
    ({"field": "casting"}, ["김주조"]),
    ({"field": "root-tech"}, ["김주조", "이금형"]),
    ({"region": "경남"}, ["김주조", "이금형"]),
    ({"region": "47"}, []),
])
def test_expert_list_filters(
    directory: Any, client: Any, params: dict[str, str], expected: list[str]
) -> None:
    response = client.get(reverse("experts"), params)
    assert names(response) == expected


def test_expert_list_htmx_partial(directory: Any, client: Any) -> None:
    response = client.get(reverse("experts"), {"q": "기공"}, HTTP_HX_REQUEST="true")
    content = response.content.decode()
    assert [t.name for t in response.templates][0] == "core/_expert_rows.html"
    assert "<html" not in content and "김주조" in content and "이금형" not in content


def test_organisation_list_paginates(db: Any, client: Any) -> None:
    region = RegionFactory()
    for i in range(30):
        OrganisationFactory(name=f"기관{i:02d}", region=region)
    first = client.get(reverse("organisations"))
    assert len(names(first)) == 25
    second = client.get(reverse("organisations"), {"page": 2})
    assert names(second) == [f"기관{i:02d}" for i in range(25, 30)]
    assert "page=1" in second.content.decode()


# --- notifications -----------------------------------------------------------------------------


def test_notifications_require_login(directory: Any, client: Any) -> None:
    response = client.get(reverse("notifications"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_notifications_list_own_and_mark_read(directory: Any, client_for: Any) -> None:
    Notification.objects.create(user=directory.sme, subject="요청이 접수되었습니다", url="/requests/1/")
    Notification.objects.create(user=directory.other_sme, subject="남의 알림")
    client = client_for(directory.sme)
    response = client.get(reverse("notifications"))
    content = response.content.decode()
    assert response.status_code == 200
    assert "요청이 접수되었습니다" in content and "남의 알림" not in content
    assert response.context["unread_count"] == 1

    response = client.post(reverse("notifications"))
    assert response.status_code == 200
    assert not directory.sme.notifications.filter(read_at__isnull=True).exists()
    assert directory.other_sme.notifications.filter(read_at__isnull=True).exists()


@pytest.mark.parametrize("who", [p for p in PERSONAS if p != "anonymous"])
def test_notifications_page_for_every_signed_in_persona(
    directory: Any, client_for: Any, who: str
) -> None:
    assert client_for(persona(directory, who)).get(reverse("notifications")).status_code == 200


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
        expert = ExpertFactory(organisation=org, keywords=["주조"])
        expert.fields.set(fields[: 1 + i % 3])


@pytest.mark.parametrize("n", [5, 20])
@pytest.mark.parametrize(("url", "signed_in", "queries"), [
    # count, page, filter choices (regions, fields); signed in: session, user, profile, unread
    ("organisations", False, 4),
    ("organisations", True, 8),
    # count, page, fields of the page, filter choices
    ("experts", False, 5),
    ("experts", True, 9),
])
def test_list_page_query_counts_do_not_grow_with_rows(
    db: Any, client_for: Any, django_assert_num_queries: Any, n: int, url: str,
    signed_in: bool, queries: int,
) -> None:
    _populate(n)
    user = make_user("coord", "coordinator", Organisation.objects.first()) if signed_in else None
    client = client_for(user)
    with django_assert_num_queries(queries):
        response = client.get(reverse(url))
    assert len(response.context["page"]) == n + (url == "organisations")  # + the parent
