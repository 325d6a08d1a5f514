"""Every page, form target and file URL for every persona: members see what their role allows,
non-members (the hub admin too) get 404 for everything in the workspace, anonymous users are
sent to log in."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from clusterhub.collab import actions

from .conftest import MEMBERS, PERSONAS, pdf_bytes

ALL_MEMBERS = set(MEMBERS)
NOT_GUEST = ALL_MEMBERS - {"guest"}
WRITERS = {"owner", "lead_manager", "sme", "supplier_manager"}
LEAD_MANAGERS = {"owner", "lead_manager"}


def _extra(world: Any) -> dict[str, Any]:
    """A change request and a drawing that was not sent to the guest's firm."""
    if not world.extra:
        owner = world.users["owner"]
        world.extra["cr"] = actions.raise_change(
            world.users["sme"], world.ws, title="게이트 위치 변경", reason="웰드라인", origin="supplier",
            documents=[world.doc], jobs=[world.job], days=3)
        doc2 = actions.create_document(owner, world.ws, number="D-200", title="내부 사양",
                                       kind="spec")
        actions.upload(owner, doc2, name="spec.pdf", content=pdf_bytes("SPEC"))
        world.extra["doc2"] = doc2
    return world.extra


# (name, url args builder, personas who get 200)
PAGES: list[tuple[str, Any, set[str]]] = [
    ("collab:workspace", lambda w: [w.ws.pk], ALL_MEMBERS),
    ("collab:board", lambda w: [w.ws.pk], NOT_GUEST),
    ("collab:board_live", lambda w: [w.ws.pk], NOT_GUEST),
    ("collab:job_new", lambda w: [w.ws.pk], LEAD_MANAGERS),
    ("collab:job", lambda w: [w.ws.pk, w.job.pk], NOT_GUEST),
    ("collab:documents", lambda w: [w.ws.pk], ALL_MEMBERS),
    ("collab:document", lambda w: [w.ws.pk, w.doc.pk], ALL_MEMBERS),
    ("collab:document", lambda w: [w.ws.pk, _extra(w)["doc2"].pk], NOT_GUEST),
    ("collab:file", lambda w: [w.ws.pk, w.doc.pk, "A"], ALL_MEMBERS),
    ("collab:iteration_file", lambda w: [w.ws.pk, w.doc.pk, "A", 1], ALL_MEMBERS),
    ("collab:file", lambda w: [w.ws.pk, _extra(w)["doc2"].pk, "A"], NOT_GUEST),
    ("collab:preview", lambda w: [w.ws.pk, w.doc.pk, "A"], ALL_MEMBERS),
    ("collab:changes", lambda w: [w.ws.pk], NOT_GUEST),
    ("collab:change_new", lambda w: [w.ws.pk], WRITERS),
    ("collab:change", lambda w: [w.ws.pk, _extra(w)["cr"].pk], NOT_GUEST),
    ("collab:kpis", lambda w: [w.ws.pk], NOT_GUEST),
]


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("name,args,allowed", PAGES, ids=[f"{p[0]}-{i}" for i, p in
                                                          enumerate(PAGES)])
def test_pages(world: Any, web: Any, persona: str, name: str, args: Any,
               allowed: set[str]) -> None:
    url = reverse(name, args=args(world))
    response = web(persona).get(url)
    if persona == "anonymous":
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    elif persona in allowed:
        assert response.status_code == 200, (persona, url)
    else:
        assert response.status_code == 404, (persona, url)


@pytest.mark.parametrize("persona", PERSONAS)
def test_index_lists_only_own_workspaces(world: Any, web: Any, persona: str) -> None:
    response = web(persona).get(reverse("collab:index"))
    if persona == "anonymous":
        assert response.status_code == 302
        return
    assert response.status_code == 200
    assert (world.ws.name in response.content.decode()) == (persona in ALL_MEMBERS)


# Form targets: a non-member's POST is a 404 and changes nothing.
POSTS: list[tuple[str, Any, dict[str, Any]]] = [
    ("collab:invite", lambda w: [w.ws.pk], {"email": "x@example.org", "organisation": "third",
                                            "role": "member"}),
    ("collab:member_role", lambda w: [w.ws.pk, w.ws.memberships.get(user__username="reader").pk],
     {"role": "member"}),
    ("collab:stage_start", lambda w: [w.ws.pk, w.job.pk, w.job.stages.first().pk],
     {"on": "2026-01-05"}),
    ("collab:stage_close", lambda w: [w.ws.pk, w.job.pk, w.job.stages.first().pk],
     {"on": "2026-01-06", "evidence_record": "RFQ-1"}),
    ("collab:add_trial", lambda w: [w.ws.pk, w.job.pk], {}),
    ("collab:record_wait", lambda w: [w.ws.pk, w.job.pk],
     {"started_on": "2026-01-10", "ended_on": "2026-01-12", "reason": "데이터"}),
    ("collab:record_logistics", lambda w: [w.ws.pk, w.job.pk],
     {"kind": "shipment", "on": "2026-03-01"}),
    ("collab:checkout", lambda w: [w.ws.pk, w.doc.pk], {}),
    ("collab:checkin", lambda w: [w.ws.pk, w.doc.pk], {}),
    ("collab:distribution", lambda w: [w.ws.pk, w.doc.pk], {"distribution": []}),
    ("collab:release", lambda w: [w.ws.pk, w.doc.pk, "A"], {}),
    ("collab:acknowledge", lambda w: [w.ws.pk, w.rev_a.receipts.first().pk], {}),
    ("collab:change_decide", lambda w: [w.ws.pk, _extra(w)["cr"].pk],
     {"decision": "approve"}),
    ("collab:change_apply", lambda w: [w.ws.pk, _extra(w)["cr"].pk], {}),
]


@pytest.mark.parametrize("persona", ["outsider", "admin"])
@pytest.mark.parametrize("name,args,data", POSTS, ids=[p[0] for p in POSTS])
def test_posts_of_non_members_are_404(world: Any, web: Any, persona: str, name: str,
                                      args: Any, data: dict[str, Any]) -> None:
    from clusterhub.core.models import AuditEvent

    url = reverse(name, args=args(world))
    before = AuditEvent.objects.count()
    response = web(persona).post(url, data)
    assert response.status_code == 404
    assert AuditEvent.objects.count() == before


@pytest.mark.parametrize("name,args,data", POSTS, ids=[p[0] for p in POSTS])
def test_posts_of_anonymous_go_to_login(world: Any, web: Any, name: str, args: Any,
                                        data: dict[str, Any]) -> None:
    response = web("anonymous").post(reverse(name, args=args(world)), data)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_missing_and_foreign_ids_are_404_alike(world: Any, web: Any) -> None:
    """A member asking for another workspace's objects by id gets the same 404 as for ids that
    do not exist."""
    from clusterhub.collab.models import Membership

    other_owner = world.users["outsider"]
    other = actions.create_workspace(other_owner, name="다른 센터", lead_firm=world.hub.other_firm)
    assert Membership.objects.filter(workspace=other, user=world.users["owner"]).count() == 0
    client = web("owner")
    for url in [reverse("collab:job", args=[other.pk, world.job.pk]),
                reverse("collab:job", args=[world.ws.pk, 999999]),
                reverse("collab:document", args=[other.pk, world.doc.pk]),
                reverse("collab:file", args=[world.ws.pk, world.doc.pk, "B"]),
                reverse("collab:workspace", args=[other.pk])]:
        assert client.get(url).status_code == 404, url


def test_korean_is_the_default(world: Any, client_for: Any) -> None:
    from django.utils import translation

    with translation.override("ko"):
        response = client_for(world.users["sme"]).get(
            reverse("collab:workspace", args=[world.ws.pk]), HTTP_ACCEPT_LANGUAGE="ko")
    body = response.content.decode()
    assert "작업 보드" in body or "작업보드" in body


def test_owner_changes_a_role_on_the_workspace_page(world: Any, web: Any) -> None:
    reader = world.ws.memberships.get(user__username="reader")
    url = reverse("collab:member_role", args=[world.ws.pk, reader.pk])
    assert web("sme").post(url, {"role": "member"}).status_code == 302
    reader.refresh_from_db()
    assert reader.role == "read_only"  # refused: a plain member manages nobody
    assert web("owner").post(url, {"role": "member"}).status_code == 302
    reader.refresh_from_db()
    assert reader.role == "member"
