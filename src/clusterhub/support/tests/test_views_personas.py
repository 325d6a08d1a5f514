"""Every support-desk page, for every persona.

For a request of hub.firm, routed to hub.desk and offered to hub.expert: its firm, that expert,
that desk's coordinator and the admin see it; everyone else logged in gets a 404, exactly as for
a request that does not exist; anonymous visitors are sent to the login page.
"""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from clusterhub.support.models import Attachment, Status, SupportRequest
from clusterhub.testing import ExpertFactory, new_request

from .conftest import NOT_YOURS, PERSONAS, SEES_REQUEST, forward, messages_of

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
MISSING = 987654


def _login_redirect(response, url):
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next={url}"


def _status(req):
    return SupportRequest.objects.get(pk=req.pk).status


# --- request list, new request ----------------------------------------------------------------

@pytest.mark.parametrize("persona", PERSONAS)
def test_request_list(as_persona, offered, persona):
    url = reverse("requests")
    response = as_persona(persona).get(url)
    if persona == "anonymous":
        _login_redirect(response, url)
        return
    assert response.status_code == 200
    shown = [r.pk for r in response.context["page"]]
    assert shown == ([offered.pk] if persona in SEES_REQUEST else [])
    assert (offered.title in response.content.decode()) == (persona in SEES_REQUEST)


def test_request_list_filters_by_status(hub, as_persona, offered):
    triaged = forward(hub, new_request(hub, title="열처리 변형"), "triaged")
    client = as_persona("sme")
    assert [r.pk for r in client.get(reverse("requests")).context["page"]] == [
        triaged.pk, offered.pk]
    page = client.get(reverse("requests"), {"status": "triaged"}).context["page"]
    assert [r.pk for r in page] == [triaged.pk]


@pytest.mark.parametrize("persona", PERSONAS)
def test_new_request_page_is_for_sme_members_only(as_persona, persona):
    url = reverse("request_new")
    response = as_persona(persona).get(url)
    if persona == "anonymous":
        _login_redirect(response, url)
        return
    assert response.status_code == (200 if persona in ("sme", "other_sme") else 404)


def _new_request_data(hub, **extra):
    return {"title": "사출 성형품 휨 변형", "description": "PP 사출품 길이 300mm에서 휨 2mm 발생",
            "support_type": "guidance", "region": hub.region.pk, "fields": [hub.mould.pk],
            "urgency": "high", "consent_publish": "on", **extra}


def test_sme_files_request_with_attachment(hub, as_persona, mailoutbox,
                                           django_capture_on_commit_callbacks):
    from django.core.files.uploadedfile import SimpleUploadedFile

    data = _new_request_data(hub, attachment=SimpleUploadedFile("휨.png", PNG))
    with django_capture_on_commit_callbacks(execute=True):
        response = as_persona("sme").post(reverse("request_new"), data)
    req = SupportRequest.objects.get()
    assert response.status_code == 302 and response["Location"] == req.get_absolute_url()
    assert (req.firm, req.routed_to, req.urgency, req.consent_publish) == (
        hub.firm, hub.desk, "high", True)
    assert list(req.fields.all()) == [hub.mould]
    assert req.attachments.get().original_name == "휨.png"
    assert any("within 3 working days" in m for m in messages_of(response))
    assert [m.to for m in mailoutbox] == [["coord@example.org"]]


def test_request_with_refused_attachment_is_still_filed_with_warning(hub, as_persona):
    from django.core.files.uploadedfile import SimpleUploadedFile

    data = _new_request_data(hub, attachment=SimpleUploadedFile("plan.pdf", b"just text"))
    response = as_persona("sme").post(reverse("request_new"), data)
    assert response.status_code == 302
    assert SupportRequest.objects.count() == 1 and not Attachment.objects.exists()
    assert any("this file's content is none of these" in m for m in messages_of(response))


def test_new_request_form_errors_are_shown(hub, as_persona):
    response = as_persona("sme").post(reverse("request_new"),
                                      _new_request_data(hub, title="", support_type="magic"))
    assert response.status_code == 200
    assert set(response.context["form"].errors) == {"title", "support_type"}
    assert not SupportRequest.objects.exists()


@pytest.mark.parametrize("persona", ["expert", "coordinator", "admin", "analyst"])
def test_only_sme_members_may_post_a_request(hub, as_persona, persona):
    response = as_persona(persona).post(reverse("request_new"), _new_request_data(hub))
    assert response.status_code == 404
    assert not SupportRequest.objects.exists()


# --- request detail ---------------------------------------------------------------------------

@pytest.mark.parametrize("persona", PERSONAS)
def test_request_detail(as_persona, offered, persona):
    url = reverse("request", args=[offered.pk])
    response = as_persona(persona).get(url)
    if persona == "anonymous":
        _login_redirect(response, url)
        return
    assert response.status_code == (200 if persona in SEES_REQUEST else 404)
    if persona in SEES_REQUEST:
        assert response.context["req"] == offered
        assert offered.description in response.content.decode()


@pytest.mark.parametrize(("persona", "forms"), [
    ("sme", ["withdraw"]), ("expert", ["accept", "decline"]),
    ("coordinator", ["assign"]), ("admin", ["assign"]),
])
def test_request_detail_shows_only_the_actions_allowed_now(as_persona, offered, persona, forms):
    response = as_persona(persona).get(reverse("request", args=[offered.pk]))
    assert list(response.context["action_forms"]) == forms
    html = response.content.decode()
    for name in ["triage", "assign", "accept", "decline", "withdraw", "reject", "close"]:
        assert (f'data-action="{name}"' in html) == (name in forms)


@pytest.mark.parametrize("persona", NOT_YOURS)
def test_missing_and_not_yours_look_the_same(as_persona, offered, persona):
    client = as_persona(persona)
    mine_url, missing_url = reverse("request", args=[offered.pk]), reverse("request", args=[MISSING])
    mine, missing = client.get(mine_url), client.get(missing_url)
    assert mine.status_code == missing.status_code == 404
    # The same page but for the path it echoes and the CSRF token.
    assert _scrub(mine, mine_url) == _scrub(missing, missing_url)


def _scrub(response, url):
    return re.sub(r'CSRFToken": "[^"]+"|name="csrfmiddlewaretoken" value="[^"]+"', "",
                  response.content.decode().replace(url, ""))


@pytest.mark.parametrize("persona", sorted(SEES_REQUEST))
def test_missing_request_is_404_for_everyone(as_persona, persona):
    client = as_persona(persona)
    assert client.get(reverse("request", args=[MISSING])).status_code == 404
    assert client.post(reverse("request_action", args=[MISSING, "withdraw"]),
                       {"reason": "x"}).status_code == 404


# --- actions through the page -------------------------------------------------------------------

# (action, form data, persona who may, status after)
ACTIONS = {
    "withdraw": ({"withdraw-reason": "자체 해결"}, "sme", "withdrawn"),
    "accept": ({"accept-plan": "현장 방문"}, "expert", "in_progress"),
    "decline": ({"decline-reason": "일정 불가"}, "expert", "triaged"),
}


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("action", sorted(ACTIONS))
def test_action_by_persona(as_persona, offered, action, persona):
    data, who, after = ACTIONS[action]
    url = reverse("request_action", args=[offered.pk, action])
    response = as_persona(persona).post(url, data)
    if persona == "anonymous":
        _login_redirect(response, url)
    elif persona == who:
        assert response.status_code == 302
        assert messages_of(response) == ["Done."]
        assert _status(offered) == after
        return
    elif persona in SEES_REQUEST:
        # Visible but not theirs to do: the page says why, nothing changes.
        assert response.status_code == 200
        assert any("Only" in m for m in messages_of(response)), messages_of(response)
    else:
        assert response.status_code == 404
    assert _status(offered) == Status.ASSIGNED


def test_assign_through_the_page(hub, as_persona, offered):
    second = ExpertFactory(name="최용탕")
    second.fields.set([hub.casting])  # candidates share the request's fields
    url = reverse("request_action", args=[offered.pk, "assign"])
    response = as_persona("coordinator").post(url, {"assign-experts": [second.pk],
                                                    "assign-note": "추가 배정"})
    assert response.status_code == 302
    assert set(offered.assignments.values_list("expert__name", flat=True)) == {"김주조", "최용탕"}


def test_assign_form_never_offers_the_requesting_firms_own_expert(hub, as_persona, submitted):
    insider = ExpertFactory(name="박사내", organisation=hub.firm)
    insider.fields.set([hub.casting])
    forward(hub, submitted, "triaged")
    client = as_persona("coordinator")
    page = client.get(reverse("request", args=[submitted.pk]))
    candidates = list(page.context["action_forms"]["assign"].fields["experts"].queryset)
    assert hub.expert in candidates and insider not in candidates
    response = client.post(reverse("request_action", args=[submitted.pk, "assign"]),
                           {"assign-experts": [insider.pk]})
    assert response.status_code == 200
    assert "experts" in response.context["action_forms"]["assign"].errors
    assert _status(submitted) == Status.TRIAGED and not submitted.assignments.exists()


def test_expert_decline_returns_to_inbox(as_persona, offered):
    response = as_persona("expert").post(reverse("request_action", args=[offered.pk, "decline"]),
                                         {"decline-reason": "일정 불가"})
    assert response.status_code == 302 and response["Location"] == reverse("inbox")
    assert _status(offered) == Status.TRIAGED


def test_routing_elsewhere_returns_coordinator_to_the_queue(hub, as_persona, submitted):
    client = as_persona("coordinator")
    response = client.post(reverse("request_action", args=[submitted.pk, "triage"]),
                           {"triage-support_type": "guidance", "triage-routed_to": hub.other_desk.pk})
    # Not to the request's page: it is the other centre's now, and would be a 404 to us.
    assert response.status_code == 302 and response["Location"] == reverse("queue")
    assert messages_of(response) == ["Done."]
    assert client.get(submitted.get_absolute_url()).status_code == 404
    assert as_persona("other_coordinator").get(submitted.get_absolute_url()).status_code == 200


def test_invalid_transition_says_why_and_changes_nothing(as_persona, offered):
    response = as_persona("coordinator").post(
        reverse("request_action", args=[offered.pk, "close"]), {"close-note": ""})
    assert response.status_code == 200
    assert messages_of(response) == [
        "Cannot close a request that is Assigned; it must be Outcome recorded."]
    assert _status(offered) == Status.ASSIGNED and not offered.follow_ups.exists()


@pytest.mark.parametrize(("persona", "action"), [("sme", "withdraw"), ("coordinator", "reject")])
def test_withdraw_and_reject_need_a_reason(as_persona, submitted, persona, action):
    response = as_persona(persona).post(reverse("request_action", args=[submitted.pk, action]),
                                        {f"{action}-reason": "  "})
    assert response.status_code == 200
    assert messages_of(response) == ["Please correct the form below."]
    assert "reason" in response.context["action_forms"][action].errors
    assert _status(submitted) == Status.SUBMITTED


def test_reject_with_reason(as_persona, submitted):
    response = as_persona("coordinator").post(
        reverse("request_action", args=[submitted.pk, "reject"]), {"reject-reason": "대상 아님"})
    assert response.status_code == 302
    req = SupportRequest.objects.get(pk=submitted.pk)
    assert (req.status, req.end_reason) == ("rejected", "대상 아님")


def test_refusal_in_korean_still_says_why(as_persona, offered):
    response = as_persona("coordinator").post(
        reverse("request_action", args=[offered.pk, "close"]), HTTP_ACCEPT_LANGUAGE="ko")
    (message,) = messages_of(response)
    assert "배정" in message and "성과 기록" in message  # what it is, what it must be


def test_unknown_action_and_get_are_refused(as_persona, offered):
    client = as_persona("coordinator")
    assert client.post(reverse("request_action", args=[offered.pk, "delete"])).status_code == 404
    assert client.get(reverse("request_action", args=[offered.pk, "assign"])).status_code == 405


def test_outcome_through_the_page(hub, as_persona, offered):
    forward(hub, offered, "resolved")
    response = as_persona("sme").post(
        reverse("request_action", args=[offered.pk, "record_outcome"]),
        {"record_outcome-satisfaction": "4", "record_outcome-defect_rate_before_pct": "12",
         "record_outcome-defect_rate_after_pct": "2.5", "record_outcome-comment": "만족"})
    assert response.status_code == 302
    req = SupportRequest.objects.get(pk=offered.pk)
    assert req.status == Status.OUTCOME_RECORDED
    assert (req.outcome.satisfaction, str(req.outcome.defect_rate_after_pct)) == (4, "2.50")


def test_full_walk_through_the_pages(hub, as_persona, submitted):
    steps = [
        ("coordinator", "triage", {"triage-support_type": "testing",
                                   "triage-fields": [hub.casting.pk]}),
        ("coordinator", "assign", {"assign-experts": [hub.expert.pk]}),
        ("expert", "accept", {"accept-plan": "시험 계획"}),
        ("expert", "log_work", {"log_work-date": "2024-05-02", "log_work-hours": "8",
                                "log_work-kind": "lab"}),
        ("expert", "resolve", {"resolve-solution_summary": "시험 완료"}),
        ("sme", "record_outcome", {"record_outcome-satisfaction": "5"}),
        ("coordinator", "close", {"close-note": "종료"}),
    ]
    for persona, action, data in steps:
        response = as_persona(persona).post(
            reverse("request_action", args=[submitted.pk, action]), data)
        assert response.status_code == 302, (action, messages_of(response))
    req = SupportRequest.objects.get(pk=submitted.pk)
    assert req.status == Status.CLOSED and req.support_type == "testing"
    assert req.work_logs.get().hours == 8
    page = as_persona("sme").get(req.get_absolute_url())
    assert page.context["man_months"] == 0.05
    assert page.context["action_forms"] == {}


# --- coordinator queue, expert inbox ---------------------------------------------------------------

@pytest.mark.parametrize("persona", PERSONAS)
def test_coordinator_queue(as_persona, offered, persona):
    url = reverse("queue")
    response = as_persona(persona).get(url)
    if persona == "anonymous":
        _login_redirect(response, url)
        return
    if persona not in ("coordinator", "other_coordinator", "admin"):
        assert response.status_code == 404
        return
    assert response.status_code == 200
    rows = [r.pk for r in response.context["page"]]
    assert rows == ([] if persona == "other_coordinator" else [offered.pk])


def test_queue_filters(hub, as_persona, offered):
    other = new_request(hub, title="표면처리 도금 박리", support_type="testing", fields=[hub.mould])
    ended = new_request(hub, title="취소된 건")
    forward(hub, ended, "triaged")
    from clusterhub.support import actions

    actions.withdraw(hub.sme, ended, "취소")
    client = as_persona("coordinator")

    def rows(**params):
        return [r.pk for r in client.get(reverse("queue"), params).context["page"]]

    assert rows() == [other.pk, offered.pk]  # open ones only, newest first
    assert rows(status="all") == [ended.pk, other.pk, offered.pk]
    assert rows(status="withdrawn") == [ended.pk]
    assert rows(support_type="testing") == [other.pk]
    assert rows(field="casting") == [offered.pk]
    assert rows(q="도금") == [other.pk]
    assert rows(q="한길금형") == [other.pk, offered.pk]  # by firm name


@pytest.mark.parametrize("persona", PERSONAS)
def test_expert_inbox(as_persona, offered, persona):
    url = reverse("inbox")
    response = as_persona(persona).get(url)
    if persona == "anonymous":
        _login_redirect(response, url)
        return
    if persona not in ("expert", "other_expert"):
        assert response.status_code == 404
        return
    assert response.status_code == 200
    shown = [a.request_id for a in response.context["assignments"]]
    assert shown == ([offered.pk] if persona == "expert" else [])


def test_inbox_drops_declined_offers(as_persona, hub, offered):
    from clusterhub.support import actions

    actions.decline(hub.expert_user, offered, "불가")
    assert list(as_persona("expert").get(reverse("inbox")).context["assignments"]) == []
    # ... and so does what the expert may see.
    assert as_persona("expert").get(offered.get_absolute_url()).status_code == 404


# --- knowledge base pages are public ----------------------------------------------------------------

@pytest.mark.parametrize("persona", PERSONAS)
def test_case_pages_are_public(hub, as_persona, persona):
    req = forward(hub, new_request(hub), "closed")
    case = req.solved_case
    client = as_persona(persona)
    listing = client.get(reverse("cases"))
    assert listing.status_code == 200
    assert [c.pk for c in listing.context["page"]] == [case.pk]
    detail = client.get(case.get_absolute_url())
    assert detail.status_code == 200 and detail.context["case"] == case


# --- follow-up answers ------------------------------------------------------------------------------

@pytest.mark.parametrize("persona", PERSONAS)
def test_follow_up_answer_by_persona(hub, as_persona, persona):
    from clusterhub.support.tasks import send_follow_up

    req = forward(hub, new_request(hub), "closed")
    fu = req.follow_ups.get(months=3)
    send_follow_up.call(fu.pk)
    url = reverse("follow_up_answer", args=[req.pk, fu.pk])
    response = as_persona(persona).post(url, {"answer": "불량률 3% 유지 중"})
    fu.refresh_from_db()
    if persona == "anonymous":
        _login_redirect(response, url)
    elif persona == "sme":
        assert response.status_code == 302 and messages_of(response) == ["Thank you."]
        assert fu.answer == "불량률 3% 유지 중" and fu.answered_at is not None
        return
    elif persona in SEES_REQUEST:
        assert response.status_code == 302
        assert messages_of(response) == ["Only the requesting firm answers its check-ins."]
    else:
        assert response.status_code == 404
    assert fu.answer == "" and fu.answered_at is None


def test_follow_up_of_another_request_is_404(hub, as_persona):
    a = forward(hub, new_request(hub), "closed")
    b = new_request(hub, title="다른 요청")
    fu = a.follow_ups.first()
    response = as_persona("sme").post(reverse("follow_up_answer", args=[b.pk, fu.pk]),
                                      {"answer": "x"})
    assert response.status_code == 404
