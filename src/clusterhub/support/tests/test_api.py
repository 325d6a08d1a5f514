"""The support-desk API: personas, transitions, and errors as JSON {code, message, field}.

401: no, bad or revoked token. 404: missing or not yours (the same body). 403: a visible request,
the wrong role. 409: a transition not allowed from the current status (or capacity). 422: an
invalid payload, with the field at fault.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from clusterhub.core.actions import create_token, revoke_token
from clusterhub.support.models import SolvedCase, Status, SupportRequest
from clusterhub.testing import ExpertFactory, new_request

from .conftest import NOT_YOURS, PERSONAS, SEES_REQUEST, forward, user_of

BASE = "/api/v1"


def post(client: Client, path: str, data: dict[str, Any]) -> Any:
    return client.post(BASE + path, data, content_type="application/json")


def error(response: Any, status: int, code: str, field: str | None = None) -> str:
    """Check an error response's status and body; return its message."""
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"code", "message", "field"}
    assert (body["code"], body["field"]) == (code, field), body
    assert body["message"]
    return body["message"]


def _status(req: SupportRequest) -> str:
    return SupportRequest.objects.get(pk=req.pk).status


NEW = {"title": "CNC 가공 공차 불량", "description": "SUS304 샤프트 외경 공차 ±0.01 미달",
       "support_type": "guidance", "region": "48", "fields": ["mould"], "urgency": "high"}


# --- authentication -------------------------------------------------------------------------------

@pytest.mark.parametrize("headers", [
    {}, {"Authorization": "Bearer chk_not-a-real-token"}, {"Authorization": "Basic c21lOnB3"},
    {"Authorization": "Bearer "},
])
def test_missing_or_bad_token_is_401(hub, offered, headers):
    client = Client(headers=headers)
    for response in [client.get(f"{BASE}/requests"), client.get(f"{BASE}/requests/{offered.pk}"),
                     post(client, "/requests", NEW),
                     post(client, f"/requests/{offered.pk}/transitions", {"action": "triage"})]:
        assert error(response, 401, "unauthorised") == "A valid bearer token is required."
    assert SupportRequest.objects.count() == 1 and _status(offered) == Status.ASSIGNED


def test_revoked_token_is_refused(hub):
    row, token = create_token(None, hub.sme)
    client = Client(headers={"Authorization": f"Bearer {token}"})
    assert client.get(f"{BASE}/requests").status_code == 200
    revoke_token(hub.admin, row)
    error(client.get(f"{BASE}/requests"), 401, "unauthorised")
    error(post(client, "/requests", NEW), 401, "unauthorised")
    assert not SupportRequest.objects.exists()


def test_token_of_deactivated_user_is_refused(hub, api_as):
    client = api_as("sme")
    hub.sme.is_active = False
    hub.sme.save()
    error(client.get(f"{BASE}/requests"), 401, "unauthorised")


def test_session_login_is_not_api_authentication(hub, client_for):
    error(client_for(hub.sme).get(f"{BASE}/requests"), 401, "unauthorised")


# --- reading requests -----------------------------------------------------------------------------

@pytest.mark.parametrize("persona", PERSONAS)
def test_get_request_by_persona(api_as, offered, persona):
    response = api_as(persona).get(f"{BASE}/requests/{offered.pk}")
    if persona == "anonymous":
        error(response, 401, "unauthorised")
    elif persona in SEES_REQUEST:
        assert response.status_code == 200
        body = response.json()
        assert (body["id"], body["status"], body["firm"], body["routed_to"]) == (
            offered.pk, "assigned", "f-a", "gn-tp")
        assert body["fields"] == ["casting"]
        assert [e["action"] for e in body["events"]] == ["submit", "triage", "assign"]
    else:
        error(response, 404, "not_found")


@pytest.mark.parametrize("persona", NOT_YOURS)
def test_missing_and_not_yours_give_the_same_404(api_as, offered, persona):
    client = api_as(persona)
    mine, missing = (client.get(f"{BASE}/requests/{offered.pk}"),
                     client.get(f"{BASE}/requests/987654"))
    assert mine.status_code == missing.status_code == 404
    assert mine.json() == missing.json() == {"code": "not_found", "message": "Not found.",
                                             "field": None}
    t_mine = post(client, f"/requests/{offered.pk}/transitions", {"action": "withdraw",
                                                                   "reason": "x"})
    t_missing = post(client, "/requests/987654/transitions", {"action": "withdraw",
                                                              "reason": "x"})
    assert t_mine.status_code == t_missing.status_code == 404
    assert t_mine.json() == t_missing.json()
    assert _status(offered) == Status.ASSIGNED


@pytest.mark.parametrize("persona", [p for p in PERSONAS if p != "anonymous"])
def test_list_shows_only_visible_requests(hub, api_as, offered, persona):
    elsewhere = new_request(hub, region=hub.other_region, title="경북 요청")
    response = api_as(persona).get(f"{BASE}/requests")
    assert response.status_code == 200
    ids = [r["id"] for r in response.json()["items"]]
    expected = {
        "sme": [elsewhere.pk, offered.pk], "expert": [offered.pk],
        "coordinator": [offered.pk], "other_coordinator": [elsewhere.pk],
        "admin": [elsewhere.pk, offered.pk],
    }.get(persona, [])
    assert ids == expected
    assert response.json()["count"] == len(expected)


def test_list_filters_by_status_and_paginates(hub, api_as, offered):
    for i in range(3):
        new_request(hub, title=f"요청 {i}")
    client = api_as("sme")
    body = client.get(f"{BASE}/requests", {"status": "assigned"}).json()
    assert [r["id"] for r in body["items"]] == [offered.pk]
    page = client.get(f"{BASE}/requests", {"limit": 2, "offset": 0}).json()
    assert page["count"] == 4 and len(page["items"]) == 2


# --- creating requests ------------------------------------------------------------------------------

def test_sme_creates_request(hub, api_as, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = post(api_as("sme"), "/requests", NEW)
    assert response.status_code == 201
    body = response.json()
    req = SupportRequest.objects.get(pk=body["id"])
    assert (body["status"], body["firm"], body["routed_to"], body["fields"]) == (
        "submitted", "f-a", "gn-tp", ["mould"])
    assert (req.submitted_by, req.urgency) == (hub.sme, "high")
    assert [m.to for m in mailoutbox] == [["coord@example.org"]]


def test_create_may_route_to_a_support_organisation(hub, api_as):
    body = post(api_as("sme"), "/requests", {**NEW, "routed_to": "gb-tp"}).json()
    assert body["routed_to"] == "gb-tp"


@pytest.mark.parametrize("persona", ["expert", "coordinator", "admin", "analyst"])
def test_only_sme_members_create(api_as, persona):
    message = error(post(api_as(persona), "/requests", NEW), 403, "forbidden")
    assert "Only SME members" in message
    assert not SupportRequest.objects.exists()


@pytest.mark.parametrize(("change", "field"), [
    ({"title": ""}, "title"),
    ({"title": "x" * 201}, "title"),
    ({"description": None}, "description"),
    ({"support_type": "magic"}, "support_type"),
    ({"urgency": "yesterday"}, "urgency"),
    ({"fields": "casting"}, "fields"),
    ({"region": "99"}, "region"),
    ({"fields": ["casting", "no-such-field"]}, "fields"),
    ({"routed_to": "f-b"}, "routed_to"),  # a firm is no support organisation
])
def test_create_refuses_invalid_payload(api_as, change, field):
    data = {k: v for k, v in {**NEW, **change}.items() if v is not None}
    error(post(api_as("sme"), "/requests", data), 422, "invalid", field)
    assert not SupportRequest.objects.exists()


def test_malformed_json_is_400(api_as):
    response = api_as("sme").post(f"{BASE}/requests", "{not json", content_type="application/json")
    error(response, 400, "error")
    assert not SupportRequest.objects.exists()


# --- transitions ----------------------------------------------------------------------------------

def test_full_workflow_through_the_api(hub, api_as, submitted):
    url = f"/requests/{submitted.pk}/transitions"
    steps = [
        ("coordinator", {"action": "triage", "support_type": "testing", "fields": ["casting"],
                         "note": "확인"}, "triaged"),
        ("coordinator", {"action": "assign", "experts": ["e-a"]}, "assigned"),
        ("expert", {"action": "accept", "plan": "시험 계획"}, "in_progress"),
        ("expert", {"action": "log_work", "date": "2024-05-02", "hours": "16",
                    "kind": "lab"}, "in_progress"),
        ("expert", {"action": "resolve", "solution_summary": "시험 완료"}, "resolved"),
        ("sme", {"action": "record_outcome", "satisfaction": 4, "cost_saved_mkrw": "12.5",
                 "comment": "좋음"}, "outcome_recorded"),
        ("coordinator", {"action": "close", "note": "종료"}, "closed"),
    ]
    for persona, payload, status in steps:
        response = post(api_as(persona), url, payload)
        assert response.status_code == 200, response.content
        assert response.json()["status"] == status
    body = response.json()
    assert body["support_type"] == "testing" and body["man_months"] == 0.1
    assert [e["action"] for e in body["events"]][-1] == "close"
    req = SupportRequest.objects.get(pk=submitted.pk)
    assert req.outcome.cost_saved_mkrw == 12.5 and req.follow_ups.count() == 3


@pytest.mark.parametrize("persona", PERSONAS)
def test_transition_by_persona(api_as, offered, persona):
    response = post(api_as(persona), f"/requests/{offered.pk}/transitions",
                    {"action": "withdraw", "reason": "자체 해결"})
    if persona == "sme":
        assert response.status_code == 200
        assert response.json()["status"] == "withdrawn"
        assert _status(offered) == Status.WITHDRAWN
        return
    if persona == "anonymous":
        error(response, 401, "unauthorised")
    elif persona in SEES_REQUEST:
        assert "Only SME member can withdraw" in error(response, 403, "forbidden")
    else:
        error(response, 404, "not_found")
    assert _status(offered) == Status.ASSIGNED


@pytest.mark.parametrize(("persona", "payload"), [
    ("coordinator", {"action": "close"}),
    ("coordinator", {"action": "triage"}),
    ("coordinator", {"action": "reject", "reason": "늦음"}),
    ("sme", {"action": "record_outcome", "satisfaction": 5}),
])
def test_invalid_transition_is_409(api_as, offered, persona, payload):
    message = error(post(api_as(persona), f"/requests/{offered.pk}/transitions", payload), 409,
                    "invalid_transition")
    assert message.startswith("Cannot") and "a request that is Assigned; it must be" in message
    assert _status(offered) == Status.ASSIGNED
    assert offered.events.count() == 3


@pytest.mark.parametrize(("persona", "payload", "says"), [
    ("sme", {"action": "assign", "experts": ["e-b"]}, "Only Coordinator, Hub admin can assign"),
    ("sme", {"action": "accept", "plan": "제가 하죠"}, "Only Expert can accept"),
    ("expert", {"action": "withdraw", "reason": "싫음"}, "Only SME member can withdraw"),
    ("coordinator", {"action": "accept", "plan": "대신"}, "Only Expert can accept"),
    ("admin", {"action": "withdraw", "reason": "대신"}, "Only SME member can withdraw"),
])
def test_wrong_role_on_a_visible_request_is_403(api_as, offered, persona, payload, says):
    message = error(post(api_as(persona), f"/requests/{offered.pk}/transitions", payload), 403,
                    "forbidden")
    assert says in message
    assert _status(offered) == Status.ASSIGNED and offered.assignments.count() == 1


@pytest.mark.parametrize(("persona", "payload", "field"), [
    ("sme", {"action": "withdraw"}, "reason"),
    ("sme", {"action": "withdraw", "reason": "   "}, "reason"),
    ("expert", {"action": "decline", "reason": ""}, "reason"),
    ("expert", {"action": "accept"}, "plan"),
    ("coordinator", {"action": "assign", "experts": []}, "experts"),
    ("coordinator", {"action": "assign", "experts": ["e-zzz"]}, "experts"),
    ("coordinator", {"action": "explode"}, "action"),
    ("coordinator", {}, "action"),
    ("coordinator", {"action": "assign", "experts": "e-a"}, "experts"),
])
def test_invalid_transition_payload_is_422(api_as, offered, persona, payload, field):
    response = post(api_as(persona), f"/requests/{offered.pk}/transitions", payload)
    body = response.json()
    assert response.status_code == 422 and body["field"] == field, body
    assert body["code"] in ("invalid", "refused") and body["message"]
    assert _status(offered) == Status.ASSIGNED


def test_log_work_payload_errors(hub, api_as, offered):
    forward(hub, offered, "in_progress")
    client = api_as("expert")
    url = f"/requests/{offered.pk}/transitions"
    error(post(client, url, {"action": "log_work", "hours": "2"}), 422, "invalid", "date")
    error(post(client, url, {"action": "log_work", "date": "2024-05-02"}), 422, "invalid",
          "hours")
    error(post(client, url, {"action": "log_work", "date": "2024-05-02", "hours": "30"}), 422,
          "refused", "hours")
    error(post(client, url, {"action": "log_work", "date": "2999-01-01", "hours": "3"}), 422,
          "refused", "date")
    error(post(client, url, {"action": "log_work", "date": "yesterday", "hours": "3"}), 422,
          "invalid", "date")
    assert offered.work_logs.count() == 1  # the one `forward` logged


def test_record_outcome_payload_errors(hub, api_as, offered):
    forward(hub, offered, "resolved")
    client = api_as("sme")
    url = f"/requests/{offered.pk}/transitions"
    error(post(client, url, {"action": "record_outcome"}), 422, "invalid", "satisfaction")
    error(post(client, url, {"action": "record_outcome", "satisfaction": 9}), 422, "refused",
          "satisfaction")
    error(post(client, url, {"action": "record_outcome", "satisfaction": 3,
                             "defect_rate_before_pct": "-1"}), 422, "refused",
          "defect_rate_before_pct")
    assert _status(offered) == Status.RESOLVED


def test_capacity_is_409(hub, api_as, offered):
    hub.expert.capacity = 1
    hub.expert.save()
    forward(hub, new_request(hub, title="진행 중인 다른 건"), "in_progress")
    message = error(post(api_as("expert"), f"/requests/{offered.pk}/transitions",
                         {"action": "accept", "plan": "계획"}), 409, "capacity")
    assert "capacity" in message
    assert _status(offered) == Status.ASSIGNED


def test_conflict_of_interest_is_refused(hub, api_as, submitted):
    ExpertFactory(external_id="e-insider", name="박사내", organisation=hub.firm)
    forward(hub, submitted, "triaged")
    message = error(post(api_as("coordinator"), f"/requests/{submitted.pk}/transitions",
                         {"action": "assign", "experts": ["e-insider"]}), 422, "refused",
                    "experts")
    assert "conflict of interest" in message
    assert _status(submitted) == Status.TRIAGED and not submitted.assignments.exists()


def test_decline_returns_to_triaged_and_answers_200(api_as, offered):
    client = api_as("expert")
    response = post(client, f"/requests/{offered.pk}/transitions",
                    {"action": "decline", "reason": "출장 중"})
    # A transition that succeeded answers 200 with the request as it now is, even though the
    # expert no longer sees it afterwards (a 404 here would read as "it failed").
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "triaged"
    assert _status(offered) == Status.TRIAGED
    error(client.get(f"{BASE}/requests/{offered.pk}"), 404, "not_found")


def test_routing_elsewhere_through_the_api(hub, api_as, submitted):
    client = api_as("coordinator")
    response = post(client, f"/requests/{submitted.pk}/transitions",
                    {"action": "triage", "routed_to": "gb-tp"})
    assert response.status_code == 200, response.content
    assert (response.json()["status"], response.json()["routed_to"]) == ("triaged", "gb-tp")
    error(client.get(f"{BASE}/requests/{submitted.pk}"), 404, "not_found")
    assert api_as("other_coordinator").get(f"{BASE}/requests/{submitted.pk}").status_code == 200


# --- public case endpoints ------------------------------------------------------------------------

@pytest.mark.parametrize("persona", PERSONAS)
def test_case_endpoints_are_public(hub, api_as, persona):
    req = forward(hub, new_request(hub), "closed")
    client = api_as(persona)
    listing = client.get(f"{BASE}/cases")
    assert listing.status_code == 200
    assert [c["external_id"] for c in listing.json()["items"]] == [f"req-{req.pk}"]
    case = SolvedCase.objects.get()
    detail = client.get(f"{BASE}/cases/{case.pk}")
    assert detail.status_code == 200 and detail.json()["fields"] == ["casting"]
    assert "firm" not in detail.json()


def test_unpublished_case_is_404(hub, api_as):
    forward(hub, new_request(hub), "closed")
    case = SolvedCase.objects.get()
    case.published = False
    case.save()
    error(api_as("anonymous").get(f"{BASE}/cases/{case.pk}"), 404, "not_found")
    assert api_as("admin").get(f"{BASE}/cases").json()["items"] == []


def test_user_of_token_is_the_actor(hub, api_as, submitted):
    post(api_as("coordinator"), f"/requests/{submitted.pk}/transitions",
         {"action": "reject", "reason": "대상 아님"})
    event = SupportRequest.objects.get(pk=submitted.pk).events.last()
    assert (event.action, event.actor) == ("reject", user_of(hub, "coordinator"))
