"""Shared problems: open requests of other firms close to a request are flagged on the
coordinator's queue and request page, and the coordinator groups them into a joint project
(the seed's consortium R&D on shared problems, Table 5-1)."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from clusterhub.core.actions import ActionRefused
from clusterhub.core.models import AuditEvent, Notification
from clusterhub.matching import desk, engine
from clusterhub.support import actions
from clusterhub.support.models import JointProject, RequestEvent, SupportRequest
from clusterhub.support.tests.conftest import PERSONAS, forward, messages_of, user_of
from clusterhub.testing import FirmFactory, make_user, new_request

DESK = {"coordinator", "admin"}
CASTING = "ADC12 다이캐스팅 하우징 두께 변화부에서 기공이 발생하여 기밀시험 불량률이 12%입니다."


@pytest.fixture(autouse=True)
def _english(settings: Any) -> Any:
    from django.utils import translation

    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def as_persona(hub: Any, client_for: Any) -> Any:
    return lambda persona: client_for(user_of(hub, persona))


@pytest.fixture
def third_sme(hub: Any) -> Any:
    """An SME member of a third firm of the hub's region (its requests go to hub.desk)."""
    return make_user("sme3", "sme", FirmFactory(external_id="f-c", name="가야다이캐스팅",
                                                region=hub.region))


def filed(hub: Any, user: Any, title: str, description: str = CASTING) -> SupportRequest:
    """A request filed by `user`, routed to hub.desk."""
    return actions.submit_request(user, title=title, description=description,
                                  support_type="joint_rnd", region=hub.region,
                                  fields=[hub.casting])


@pytest.fixture
def similar(monkeypatch: Any) -> dict[int, list[int]]:
    """engine.similar_open_requests replaced: request pk -> the pks it is similar to."""
    table: dict[int, list[int]] = {}

    def fake(text: str, *, exclude_request_id: int | None = None, limit: int = 5,
             **_: Any) -> list[tuple[SupportRequest, float]]:
        pks = table.get(exclude_request_id or 0, [])
        objs = SupportRequest.objects.in_bulk(pks)
        return [(objs[pk], 0.9 - i / 100) for i, pk in enumerate(pks) if pk in objs][:limit]

    monkeypatch.setattr(engine, "similar_open_requests", fake)
    return table


# --- the action -----------------------------------------------------------------------------------


def test_coordinator_groups_requests_of_several_firms(hub, third_sme, mailoutbox,
                                                      django_capture_on_commit_callbacks):
    a, b = filed(hub, hub.sme, "기공 A"), filed(hub, third_sme, "기공 B")
    with django_capture_on_commit_callbacks(execute=True):
        project = actions.create_joint_project(hub.coordinator, [a, b], " 다이캐스팅 기공 공동연구 ",
                                               "두 업체 공통 문제")
    assert (project.title, project.description, project.organisation, project.created_by) == (
        "다이캐스팅 기공 공동연구", "두 업체 공통 문제", hub.desk, hub.coordinator)
    assert set(project.requests.all()) == {a, b}
    assert RequestEvent.objects.filter(action="joint_project").count() == 2
    audit = AuditEvent.objects.get(verb="joint_project.created")
    assert audit.data["requests"] == [a.pk, b.pk] and audit.actor == hub.coordinator
    assert set(Notification.objects.filter(subject__contains="joint project")
               .values_list("user__username", flat=True)) == {"sme", "sme3"}
    assert sorted(m.to[0] for m in mailoutbox if "joint project" in m.subject) == [
        "sme3@example.org", "sme@example.org"]


def test_admin_groups_for_the_requests_desk(hub, third_sme):
    a, b = filed(hub, hub.sme, "기공 A"), filed(hub, third_sme, "기공 B")
    assert actions.create_joint_project(hub.admin, [a, b], "공동").organisation == hub.desk


@pytest.mark.parametrize("who", ["sme", "expert", "analyst"])
def test_only_the_desk_groups(hub, third_sme, who):
    a, b = filed(hub, hub.sme, "기공 A"), filed(hub, third_sme, "기공 B")
    user = {"sme": hub.sme, "expert": hub.expert_user, "analyst": hub.analyst}[who]
    with pytest.raises(ActionRefused) as exc:
        actions.create_joint_project(user, [a, b], "공동")
    assert exc.value.code == "forbidden"
    assert not JointProject.objects.exists()


def test_requests_of_another_desk_cannot_be_grouped(hub, third_sme):
    a, b = filed(hub, hub.sme, "기공 A"), filed(hub, third_sme, "기공 B")
    with pytest.raises(ActionRefused) as exc:
        actions.create_joint_project(hub.other_coordinator, [a, b], "공동")
    assert exc.value.code == "not_found"


@pytest.mark.parametrize("case", ["one", "same_firm", "closed", "grouped", "no_title"])
def test_grouping_is_refused_with_a_reason(hub, third_sme, case):
    a, b = filed(hub, hub.sme, "기공 A"), filed(hub, third_sme, "기공 B")
    title = "공동"
    if case == "one":
        reqs, says = [a, a], "at least two requests"
    elif case == "same_firm":
        reqs, says = [a, filed(hub, hub.sme, "기공 C")], "at least two firms"
    elif case == "closed":
        actions.withdraw(third_sme, b, "자체 해결")
        reqs, says = [a, b], f"#{b.pk} is Withdrawn"
    elif case == "grouped":
        c = filed(hub, hub.sme, "기공 C")
        actions.create_joint_project(hub.coordinator, [c, b], "먼저")
        reqs, says = [a, b], f"#{b.pk} is already part of a joint project"
    else:
        reqs, says, title = [a, b], "A title is required", "  "
    before = JointProject.objects.count()
    with pytest.raises(ActionRefused, match=says):
        actions.create_joint_project(hub.coordinator, reqs, title)
    assert JointProject.objects.count() == before
    assert SupportRequest.objects.get(pk=a.pk).joint_project_id is None


# --- flags ----------------------------------------------------------------------------------------


def test_shared_problems_are_other_firms_open_requests_the_user_sees(hub, third_sme, similar):
    a = filed(hub, hub.sme, "기공 A")
    same_firm = filed(hub, hub.sme, "기공 A2")
    other = filed(hub, third_sme, "기공 B")
    closed = filed(hub, third_sme, "기공 C")
    actions.withdraw(third_sme, closed, "자체 해결")
    elsewhere = actions.submit_request(hub.other_sme, title="기공 D", description=CASTING,
                                       support_type="guidance", region=hub.other_region)
    similar[a.pk] = [same_firm.pk, other.pk, closed.pk, elsewhere.pk]
    assert [r for r, _s in desk.shared_problems(hub.coordinator, a)] == [other]
    assert [r for r, _s in desk.shared_problems(hub.admin, a)] == [other, elsewhere]
    assert desk.shared_counts(hub.coordinator, [a.pk, other.pk, 987654]) == {a.pk: 1}
    assert desk.shared_counts(hub.other_coordinator, [a.pk]) == {}
    # Once grouped, the request's own project members are no longer flagged.
    actions.create_joint_project(hub.coordinator, [a, other], "공동")
    assert desk.shared_counts(hub.coordinator, [a.pk]) == {}


@pytest.mark.parametrize("persona", PERSONAS)
def test_queue_flags_by_persona(hub, third_sme, similar, as_persona, persona):
    a, b = filed(hub, hub.sme, "기공 A"), filed(hub, third_sme, "기공 B")
    similar[a.pk] = [b.pk]
    similar[b.pk] = [a.pk]
    url = reverse("shared_flags")
    response = as_persona(persona).get(url, {"ids": f"{a.pk},{b.pk}"})
    if persona == "anonymous":
        assert response.status_code == 302
        return
    if persona == "other_coordinator":  # their queue's endpoint, but not their requests
        assert response.status_code == 200 and "shared-" not in response.content.decode()
        return
    if persona not in DESK:
        assert response.status_code == 404
        return
    html = response.content.decode()
    assert response.status_code == 200
    assert f'<span id="shared-{a.pk}" hx-swap-oob="true">' in html
    assert f'<span id="shared-{b.pk}" hx-swap-oob="true">' in html
    assert "1 similar request<" in html
    assert f'{reverse("request", args=[a.pk])}#shared' in html


def test_other_coordinator_gets_no_flags_for_requests_not_theirs(hub, third_sme, similar,
                                                                as_persona):
    a, b = filed(hub, hub.sme, "기공 A"), filed(hub, third_sme, "기공 B")
    similar[a.pk] = [b.pk]
    response = as_persona("other_coordinator").get(reverse("shared_flags"), {"ids": str(a.pk)})
    assert response.status_code == 200 and "shared-" not in response.content.decode()
    assert as_persona("coordinator").get(reverse("shared_flags"),
                                         {"ids": "1,x"}).status_code == 404


def test_queue_asks_for_the_flags_of_its_rows(hub, third_sme, as_persona):
    a, b = filed(hub, hub.sme, "기공 A"), filed(hub, third_sme, "기공 B")
    html = as_persona("coordinator").get(reverse("queue")).content.decode()
    assert f'hx-get="{reverse("shared_flags")}?ids={b.pk},{a.pk}"' in html
    assert f'<span id="shared-{a.pk}"></span>' in html
    assert reverse("proposals") in html and reverse("joint_projects") in html
    sme_list = as_persona("sme").get(reverse("requests")).content.decode()
    assert "shared-" not in sme_list


def test_korean_flag(hub, third_sme, similar, as_persona):
    from django.utils import translation

    a, b = filed(hub, hub.sme, "기공 A"), filed(hub, third_sme, "기공 B")
    similar[a.pk] = [b.pk]
    with translation.override("ko"):
        client = as_persona("coordinator")
        client.cookies["django_language"] = "ko"
        html = client.get(reverse("shared_flags"), {"ids": str(a.pk)},
                          HTTP_ACCEPT_LANGUAGE="ko").content.decode()
    assert "유사 요청 1건" in html


def test_request_page_offers_to_group_shared_problems(hub, third_sme, similar, as_persona,
                                                      monkeypatch):
    monkeypatch.setattr(engine, "match", lambda text, **kw: [])
    monkeypatch.setattr(engine, "suggest_fields", lambda text, limit=3: [])
    a, b = filed(hub, hub.sme, "기공 A"), filed(hub, third_sme, "기공 B")
    similar[a.pk] = [b.pk]
    html = as_persona("coordinator").get(reverse("request_matches", args=[a.pk])) \
        .content.decode()
    assert f'action="{reverse("joint_project_new")}"' in html
    assert f'<input type="hidden" name="requests" value="{a.pk}">' in html
    assert f'name="requests" value="{b.pk}" checked' in html
    assert "가야다이캐스팅" in html  # the other firm, for the coordinator


def test_shared_problems_with_the_real_engine(hub, third_sme):
    """Two firms with the same casting problem are flagged; an unrelated request is not."""
    engine.reset_engine()
    a = filed(hub, hub.sme, "하우징 기공 불량")
    b = filed(hub, third_sme, "다이캐스팅 부품 기공", "ADC12 알루미늄 다이캐스팅 부품 두께 "
              "변화부에 기공이 생겨 기밀 불량이 납니다.")
    c = filed(hub, third_sme, "사출 휨", "PP 사출 성형품 길이 300mm에서 휨 2mm가 발생합니다.")
    found = [r for r, _s in desk.shared_problems(hub.coordinator, a)]
    assert b in found and c not in found
    assert desk.shared_counts(hub.coordinator, [a.pk, c.pk]).get(a.pk, 0) >= 1


# --- joint project pages ------------------------------------------------------------------------


@pytest.mark.parametrize("persona", PERSONAS)
def test_create_joint_project_by_persona(hub, third_sme, as_persona, persona):
    a, b = filed(hub, hub.sme, "기공 A"), filed(hub, third_sme, "기공 B")
    url = reverse("joint_project_new")
    response = as_persona(persona).post(url, {"requests": [a.pk, b.pk], "title": "공동연구",
                                              "note": "공통 기공 문제", "back": a.pk})
    if persona == "anonymous":
        assert response.status_code == 302 and response["Location"].startswith(
            reverse("login"))
    elif persona in DESK:
        project = JointProject.objects.get()
        assert response.status_code == 302 and response["Location"] == project.get_absolute_url()
        assert set(project.requests.all()) == {a, b}
        return
    else:
        # Not the desk's role, or (the other desk's coordinator) requests not theirs: 404.
        assert response.status_code == 404
    assert not JointProject.objects.exists()


def test_create_joint_project_refused_goes_back_with_the_reason(hub, as_persona):
    a, a2 = filed(hub, hub.sme, "기공 A"), filed(hub, hub.sme, "기공 A2")
    client = as_persona("coordinator")
    response = client.post(reverse("joint_project_new"),
                           {"requests": [a.pk, a2.pk], "title": "공동", "back": a.pk})
    assert response.status_code == 302 and response["Location"] == a.get_absolute_url()
    assert any("at least two firms" in m for m in messages_of(response))
    assert client.get(reverse("joint_project_new")).status_code == 405
    assert client.post(reverse("joint_project_new"),
                       {"requests": [a.pk, 987654], "title": "공동"}).status_code == 404


@pytest.fixture
def project(hub: Any, third_sme: Any) -> JointProject:
    a = new_request(hub, title="기공 A")
    b = filed(hub, third_sme, "기공 B")
    return actions.create_joint_project(hub.coordinator, [a, b], "다이캐스팅 기공 공동연구",
                                        "두 업체 공통 문제")


# Who sees the project of hub.desk grouping requests of hub.firm and the third firm.
SEES_PROJECT = {"sme", "coordinator", "admin"}


@pytest.mark.parametrize("persona", PERSONAS)
def test_joint_project_page_by_persona(hub, project, as_persona, persona):
    url = project.get_absolute_url()
    response = as_persona(persona).get(url)
    if persona == "anonymous":
        assert response.status_code == 302
        return
    assert response.status_code == (200 if persona in SEES_PROJECT else 404)
    missing = as_persona(persona).get(reverse("joint_project", args=[987654]))
    assert missing.status_code == 404
    if response.status_code != 200:
        return
    html = response.content.decode()
    assert project.title in html and "두 업체 공통 문제" in html and "2 firms" in html
    shown = {r.title for r in response.context["requests"]}
    if persona == "sme":
        # A member firm sees its own request only; the other firm stays private.
        assert shown == {"기공 A"} and "가야다이캐스팅" not in html
        assert "Other firms' requests are not shown" in html
    else:
        assert shown == {"기공 A", "기공 B"} and "가야다이캐스팅" in html


@pytest.mark.parametrize("persona", PERSONAS)
def test_joint_project_list_by_persona(hub, project, as_persona, persona):
    url = reverse("joint_projects")
    response = as_persona(persona).get(url)
    if persona == "anonymous":
        assert response.status_code == 302
        return
    if persona not in ("sme", "other_sme", "coordinator", "other_coordinator", "admin"):
        assert response.status_code == 404
        return
    assert response.status_code == 200
    assert list(response.context["projects"]) == ([project] if persona in SEES_PROJECT else [])


def test_request_page_links_its_joint_project(hub, project, as_persona):
    req = project.requests.get(firm=hub.firm)
    for persona in ("sme", "coordinator"):
        html = as_persona(persona).get(req.get_absolute_url()).content.decode()
        assert project.get_absolute_url() in html
    assert "Grouped into a joint project" in as_persona("sme").get(
        req.get_absolute_url()).content.decode()


def test_grouped_request_can_still_be_worked_on(hub, project):
    req = project.requests.get(firm=hub.firm)
    req = forward(hub, req, "closed")
    assert req.joint_project == project
