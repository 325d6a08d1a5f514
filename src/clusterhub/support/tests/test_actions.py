"""Every workflow transition of a support request, valid and invalid.

A refused action raises ActionRefused with a message that says why, and changes nothing: no
status change, no event row, no audit row, no notification, no e-mail.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest

from clusterhub.core.actions import ActionRefused
from clusterhub.core.models import AuditEvent, Notification
from clusterhub.support import actions
from clusterhub.support.models import (
    Assignment,
    FollowUp,
    Outcome,
    RequestEvent,
    SolvedCase,
    Status,
    SupportRequest,
    WorkLog,
)
from clusterhub.testing import ExpertFactory, advance, new_request

from .conftest import forward, user_of


def _snapshot(req: SupportRequest) -> tuple[Any, ...]:
    fresh = SupportRequest.objects.get(pk=req.pk)
    return (fresh.status, fresh.routed_to_id, fresh.support_type, fresh.first_contact_at,
            fresh.plan_at, fresh.solution_summary, fresh.end_reason,
            RequestEvent.objects.filter(request=req).count(), AuditEvent.objects.count(),
            Notification.objects.count(),
            sorted(Assignment.objects.filter(request=req).values_list("expert_id", "state")),
            WorkLog.objects.filter(request=req).count(), Outcome.objects.count(),
            FollowUp.objects.count(), SolvedCase.objects.count())


def refused(
    req: SupportRequest, fn: Any, *args: Any, code: str, says: str, capture: Any,
    mailoutbox: list[Any], **kwargs: Any,
) -> ActionRefused:
    """Call an action that must be refused; check the message and that nothing changed."""
    before = _snapshot(req)
    with capture(execute=True) as callbacks, pytest.raises(ActionRefused) as info:
        fn(*args, **kwargs)
    assert info.value.code == code
    assert says in info.value.message
    assert _snapshot(req) == before
    assert callbacks == [] and mailoutbox == []
    return info.value


@pytest.fixture
def refuse(django_capture_on_commit_callbacks: Any, mailoutbox: list[Any]) -> Any:
    def check(req: SupportRequest, fn: Any, *args: Any, code: str = "refused", says: str,
              **kwargs: Any) -> ActionRefused:
        return refused(req, fn, *args, code=code, says=says,
                       capture=django_capture_on_commit_callbacks, mailoutbox=mailoutbox,
                       **kwargs)
    return check


def _events(req: SupportRequest) -> list[tuple[str, str, str]]:
    return list(req.events.values_list("action", "from_status", "to_status"))


# --- submit -----------------------------------------------------------------------------------

def test_submit_files_request_for_own_firm_routed_to_regional_desk(hub):
    req = new_request(hub, urgency="high")
    assert req.status == Status.SUBMITTED
    assert req.firm == hub.firm and req.submitted_by == hub.sme
    assert req.routed_to == hub.desk
    assert list(req.fields.all()) == [hub.casting]
    assert req.contact_due_at > req.created_at and req.plan_due_at == req.created_at + timedelta(
        days=21)
    assert _events(req) == [("submit", "", "submitted")]
    assert AuditEvent.objects.filter(verb="request.submit", object_id=str(req.pk)).exists()
    assert list(Notification.objects.values_list("user__username", flat=True)) == ["coord"]


def test_submit_in_other_region_goes_to_that_regions_desk(hub):
    req = new_request(hub, region=hub.other_region)
    assert req.routed_to == hub.other_desk


@pytest.mark.parametrize("persona", ["expert", "coordinator", "admin", "analyst"])
def test_only_sme_members_submit(hub, persona):
    with pytest.raises(ActionRefused) as info:
        actions.submit_request(
            user_of(hub, persona), title="열처리 변형", description="변형 발생",
            support_type="guidance", region=hub.region)
    assert info.value.code == "forbidden"
    assert "Only SME members" in info.value.message
    assert not SupportRequest.objects.exists()


@pytest.mark.parametrize(("kwargs", "field", "says"), [
    ({"support_type": "magic"}, "support_type", "Unknown support type"),
    ({"title": "   "}, "title", "title is required"),
    ({"description": " \n"}, "description", "Describe the need"),
])
def test_submit_refuses_invalid_input(hub, kwargs, field, says):
    with pytest.raises(ActionRefused) as info:
        new_request(hub, **kwargs)
    assert (info.value.field, info.value.code) == (field, "refused")
    assert says in info.value.message
    assert not SupportRequest.objects.exists() and not Notification.objects.exists()


def test_submit_cannot_route_to_a_firm(hub):
    with pytest.raises(ActionRefused, match="not a firm"):
        new_request(hub, routed_to=hub.other_firm)
    assert not SupportRequest.objects.exists()


# --- notifications and e-mail after commit ---------------------------------------------------

def test_notifications_now_but_email_only_after_commit(hub, django_capture_on_commit_callbacks,
                                                       mailoutbox):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        req = new_request(hub)
    # The inbox entry is written in the action's transaction ...
    assert Notification.objects.get().user == hub.coordinator
    # ... the e-mail waits for the commit.
    assert mailoutbox == [] and len(callbacks) == 1
    callbacks[0]()
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == ["coord@example.org"]
    assert req.title in mailoutbox[0].subject
    assert req.get_absolute_url() in mailoutbox[0].body


def test_each_transition_mails_the_right_people(hub, django_capture_on_commit_callbacks,
                                                mailoutbox):
    req = new_request(hub)
    recipients = {}
    for stage in ["triaged", "assigned", "in_progress", "resolved", "outcome_recorded"]:
        mailoutbox.clear()
        with django_capture_on_commit_callbacks(execute=True):
            req = advance(hub, req, stage) if stage == "triaged" else _step(hub, req, stage)
        recipients[stage] = sorted(addr for m in mailoutbox for addr in m.to)
    assert recipients == {
        "triaged": ["sme@example.org"],
        "assigned": ["expert@example.org"],
        "in_progress": ["coord@example.org", "sme@example.org"],
        "resolved": ["sme@example.org"],
        "outcome_recorded": ["coord@example.org", "expert@example.org"],
    }


def _step(hub: Any, req: SupportRequest, stage: str) -> SupportRequest:
    if stage == "assigned":
        return actions.assign(hub.coordinator, req, [hub.expert])
    if stage == "in_progress":
        return actions.accept(hub.expert_user, req, "현장 방문")
    if stage == "resolved":
        return actions.resolve(hub.expert_user, req, "금형 온도 조정")
    actions.record_outcome(hub.sme, req, satisfaction=4)
    return SupportRequest.objects.get(pk=req.pk)


# --- triage -----------------------------------------------------------------------------------

def test_triage_confirms_type_and_fields_and_counts_as_first_contact(hub, submitted):
    req = actions.triage(hub.coordinator, submitted, support_type="testing",
                         fields=[hub.mould], note="시험평가로 변경")
    assert req.status == Status.TRIAGED and req.support_type == "testing"
    assert list(req.fields.all()) == [hub.mould]
    assert req.first_contact_at is not None
    assert _events(req)[-1] == ("triage", "submitted", "triaged")
    assert Notification.objects.filter(user=hub.sme, subject__contains="triaged").exists()


def test_triage_may_route_to_another_centre(hub, submitted):
    req = actions.triage(hub.coordinator, submitted, routed_to=hub.other_desk, note="경북 이관")
    assert req.routed_to == hub.other_desk
    assert Notification.objects.filter(user=hub.other_coordinator,
                                       subject__contains="routed to you").exists()
    # The request now belongs to the other desk's queue, not ours.
    assert not SupportRequest.objects.for_user(hub.coordinator).filter(pk=req.pk).exists()
    assert SupportRequest.objects.for_user(hub.other_coordinator).filter(pk=req.pk).exists()


def test_retriage_keeps_first_contact_time(hub, submitted):
    req = actions.triage(hub.coordinator, submitted)
    first = req.first_contact_at
    req = actions.triage(hub.admin, req, support_type="prototype")
    assert req.status == Status.TRIAGED and req.first_contact_at == first


@pytest.mark.parametrize("persona", ["sme", "expert", "analyst"])
def test_triage_refused_to_other_roles(hub, submitted, refuse, persona):
    refuse(submitted, actions.triage, user_of(hub, persona), submitted, code="forbidden",
           says="Only Coordinator, Hub admin can triage")


def test_triage_refused_once_assigned(hub, offered, refuse):
    refuse(offered, actions.triage, hub.coordinator, offered, code="invalid_transition",
           says="Cannot triage a request that is Assigned; it must be Submitted / Triaged")


def test_triage_refuses_unknown_type_and_routing_to_firm(hub, submitted, refuse):
    refuse(submitted, actions.triage, hub.coordinator, submitted, support_type="magic",
           says="Unknown support type")
    refuse(submitted, actions.triage, hub.coordinator, submitted, routed_to=hub.firm,
           says="not a firm")


# --- assign, accept, decline ------------------------------------------------------------------

def test_assign_offers_to_experts(hub, submitted):
    req = actions.triage(hub.coordinator, submitted)
    req = actions.assign(hub.coordinator, req, [hub.expert, hub.other_expert], note="두 분께 제안")
    assert req.status == Status.ASSIGNED
    assert sorted(req.assignments.values_list("expert__name", "state")) == [
        ("김주조", "offered"), ("이금형", "offered")]
    assert set(Notification.objects.filter(subject__contains="offered to you")
               .values_list("user__username", flat=True)) == {"expert", "expert2"}


def test_assign_more_experts_while_assigned(hub, offered):
    req = actions.assign(hub.coordinator, offered, [hub.other_expert])
    assert req.status == Status.ASSIGNED and req.assignments.count() == 2


def test_assign_refused_before_triage(hub, submitted, refuse):
    refuse(submitted, actions.assign, hub.coordinator, submitted, [hub.expert],
           code="invalid_transition", says="Cannot assign a request that is Submitted")


def test_assign_needs_an_expert(hub, submitted, refuse):
    req = actions.triage(hub.coordinator, submitted)
    refuse(req, actions.assign, hub.coordinator, req, [], says="Choose at least one expert")


def test_conflict_of_interest_expert_of_requesting_firm_refused(hub, submitted, refuse):
    req = actions.triage(hub.coordinator, submitted)
    insider = ExpertFactory(name="박사내", organisation=hub.firm)
    err = refuse(req, actions.assign, hub.coordinator, req, [hub.expert, insider],
                 says="박사내 belongs to the requesting firm (conflict of interest)")
    assert err.field == "experts"


def test_sme_cannot_assign(hub, submitted, refuse):
    req = actions.triage(hub.coordinator, submitted)
    refuse(req, actions.assign, hub.sme, req, [hub.expert], code="forbidden",
           says="Only Coordinator, Hub admin can assign")


def test_accept_starts_work_with_plan(hub, offered):
    req = actions.accept(hub.expert_user, offered, "탕구 방안 재설계")
    assert req.status == Status.IN_PROGRESS
    assert req.plan_at is not None and req.first_contact_at is not None
    a = req.assignments.get()
    assert (a.state, a.plan) == ("accepted", "탕구 방안 재설계") and a.responded_at


def test_accept_needs_a_plan(hub, offered, refuse):
    refuse(offered, actions.accept, hub.expert_user, offered, "  ", says="solution plan")


def test_accept_refused_to_expert_not_offered(hub, offered, refuse):
    refuse(offered, actions.accept, hub.other_expert_user, offered, "제가 할게요",
           code="forbidden", says="not offered to you")


def test_accept_refused_to_coordinator(hub, offered, refuse):
    refuse(offered, actions.accept, hub.coordinator, offered, "계획", code="forbidden",
           says="Only Expert can accept")


def test_accept_refused_twice(hub, offered, refuse):
    req = actions.accept(hub.expert_user, offered, "계획")
    refuse(req, actions.accept, hub.expert_user, req, "다시", code="invalid_transition",
           says="Cannot accept a request that is In progress; it must be Assigned")


def test_capacity_refusal(hub, offered, refuse):
    hub.expert.capacity = 2
    hub.expert.save()
    for _ in range(2):
        advance(hub, new_request(hub, title="다른 건"), "in_progress")
    refuse(offered, actions.accept, hub.expert_user, offered, "계획", code="capacity",
           says="You already carry 2 open cases, your capacity")


def test_closed_cases_do_not_count_against_capacity(hub, offered):
    hub.expert.capacity = 1
    hub.expert.save()
    advance(hub, new_request(hub, title="끝난 건"), "closed")
    assert actions.accept(hub.expert_user, offered, "계획").status == Status.IN_PROGRESS


def test_decline_returns_request_to_triaged(hub, offered):
    req = actions.decline(hub.expert_user, offered, "일정이 맞지 않음")
    assert req.status == Status.TRIAGED
    a = req.assignments.get()
    assert (a.state, a.reason) == ("declined", "일정이 맞지 않음")
    assert _events(req)[-1] == ("decline", "assigned", "triaged")
    assert Notification.objects.filter(user=hub.coordinator, subject__contains="declined").exists()
    # The coordinator may offer it again, to the same expert too.
    req = actions.assign(hub.coordinator, req, [hub.expert])
    assert req.assignments.get().state == "offered" and req.assignments.get().reason == ""


def test_decline_with_other_offers_left_stays_assigned(hub, offered):
    req = actions.assign(hub.coordinator, offered, [hub.other_expert])
    req = actions.decline(hub.expert_user, req, "전문 분야 아님")
    assert req.status == Status.ASSIGNED


def test_accepted_expert_giving_back_leaves_other_offer_open(hub, offered):
    req = actions.assign(hub.coordinator, offered, [hub.other_expert])
    req = actions.accept(hub.expert_user, req, "계획")
    req = actions.decline(hub.expert_user, req, "장기 출장")
    assert req.status == Status.ASSIGNED
    assert dict(req.assignments.values_list("expert__user__username", "state")) == {
        "expert": "declined", "expert2": "offered"}


def test_decline_needs_a_reason(hub, offered, refuse):
    refuse(offered, actions.decline, hub.expert_user, offered, " ", says="reason for declining")


def test_decline_refused_to_expert_not_offered(hub, offered, refuse):
    refuse(offered, actions.decline, hub.other_expert_user, offered, "싫어요", code="forbidden",
           says="not offered to you")


# --- log work, resolve --------------------------------------------------------------------------

def test_log_work(hub, offered):
    req = actions.accept(hub.expert_user, offered, "계획")
    log = actions.log_work(hub.expert_user, req, on=date.today(), hours=Decimal("4.5"),
                           kind="lab", note="X-ray 분석")
    assert (log.expert, log.hours, log.kind) == (hub.expert, Decimal("4.5"), "lab")
    assert _events(req)[-1] == ("log_work", "in_progress", "in_progress")


@pytest.mark.parametrize(("kwargs", "says"), [
    ({"hours": Decimal("0")}, "Hours must be more than 0"),
    ({"hours": Decimal("24.5")}, "at most 24"),
    ({"on": date.today() + timedelta(days=1)}, "in the future"),
    ({"kind": "nap"}, "Unknown kind of work"),
])
def test_log_work_refuses_bad_input(hub, offered, refuse, kwargs, says):
    req = actions.accept(hub.expert_user, offered, "계획")
    params = {"on": date.today(), "hours": Decimal("2"), "kind": "visit"} | kwargs
    refuse(req, actions.log_work, hub.expert_user, req, says=says, **params)


def test_log_work_refused_before_accept_and_to_others(hub, offered, refuse):
    refuse(offered, actions.log_work, hub.expert_user, offered, on=date.today(),
           hours=Decimal("1"), code="invalid_transition", says="that is Assigned; it must be In progress")
    req = actions.accept(hub.expert_user, offered, "계획")
    refuse(req, actions.log_work, hub.other_expert_user, req, on=date.today(),
           hours=Decimal("1"), code="forbidden", says="Only the assigned expert")


def test_resolve_by_expert(hub, offered):
    req = actions.accept(hub.expert_user, offered, "계획")
    req = actions.resolve(hub.expert_user, req, "진공 다이캐스팅 적용")
    assert req.status == Status.RESOLVED and req.solution_summary == "진공 다이캐스팅 적용"
    assert req.resolved_at is not None
    assert Notification.objects.filter(user=hub.sme, subject__contains="resolved").exists()


def test_coordinator_may_resolve(hub, offered):
    req = actions.accept(hub.expert_user, offered, "계획")
    assert actions.resolve(hub.coordinator, req, "센터에서 해결").status == Status.RESOLVED


def test_resolve_refusals(hub, offered, refuse):
    refuse(offered, actions.resolve, hub.expert_user, offered, "해결",
           code="invalid_transition", says="Cannot resolve a request that is Assigned")
    req = actions.accept(hub.expert_user, offered, "계획")
    refuse(req, actions.resolve, hub.expert_user, req, "", says="Summarise the solution")
    refuse(req, actions.resolve, hub.other_expert_user, req, "해결", code="forbidden",
           says="Only the assigned expert can resolve")
    refuse(req, actions.resolve, hub.sme, req, "해결", code="forbidden",
           says="Only Expert, Coordinator, Hub admin can resolve")


# --- outcome, close -----------------------------------------------------------------------------

def test_record_outcome(hub, offered):
    req = forward(hub, offered, "resolved")
    outcome = actions.record_outcome(hub.sme, req, satisfaction=4, cost_saved_mkrw=Decimal("30"),
                                     comment="불량률 크게 감소")
    req.refresh_from_db()
    assert req.status == Status.OUTCOME_RECORDED
    assert (outcome.satisfaction, outcome.recorded_by) == (4, hub.sme)
    assert _events(req)[-1] == ("record_outcome", "resolved", "outcome_recorded")


@pytest.mark.parametrize(("kwargs", "field", "says"), [
    ({"satisfaction": 0}, "satisfaction", "from 1 to 5"),
    ({"satisfaction": 6}, "satisfaction", "from 1 to 5"),
    ({"satisfaction": 3, "defect_rate_after_pct": Decimal("120")}, "defect_rate_after_pct",
     "percentage from 0 to 100"),
    ({"satisfaction": 3, "firm_name": "x"}, "firm_name", "Unknown measure"),
])
def test_record_outcome_refuses_bad_measures(hub, offered, refuse, kwargs, field, says):
    req = forward(hub, offered, "resolved")
    err = refuse(req, actions.record_outcome, hub.sme, req, says=says, **kwargs)
    assert err.field == field


def test_record_outcome_refusals(hub, offered, refuse):
    refuse(offered, actions.record_outcome, hub.sme, offered, satisfaction=5,
           code="invalid_transition", says="that is Assigned; it must be Resolved")
    req = forward(hub, offered, "resolved")
    refuse(req, actions.record_outcome, hub.coordinator, req, satisfaction=5, code="forbidden",
           says="Only SME member can")
    refuse(req, actions.record_outcome, hub.other_sme, req, satisfaction=5, code="forbidden",
           says="Only the requesting firm")


def test_close_schedules_follow_ups_and_publishes_with_consent(hub, offered):
    req = forward(hub, offered, "closed")
    assert req.status == Status.CLOSED and req.closed_at is not None
    assert list(req.follow_ups.values_list("months", flat=True)) == [3, 6, 12]
    assert SolvedCase.objects.get().source_request == req
    assert _events(req)[-1] == ("close", "outcome_recorded", "closed")


def test_close_without_consent_publishes_nothing(hub):
    req = advance(hub, new_request(hub, consent_publish=False), "closed")
    assert req.status == Status.CLOSED
    assert not SolvedCase.objects.exists()


def test_close_refusals(hub, offered, refuse):
    req = forward(hub, offered, "resolved")
    refuse(req, actions.close, hub.coordinator, req, code="invalid_transition",
           says="Cannot close a request that is Resolved; it must be Outcome recorded")
    actions.record_outcome(hub.sme, req, satisfaction=5)
    refuse(req, actions.close, hub.expert_user, req, code="forbidden",
           says="Only Coordinator, Hub admin can close")
    refuse(req, actions.close, hub.sme, req, code="forbidden", says="can close")
    req = actions.close(hub.coordinator, req)
    refuse(req, actions.close, hub.coordinator, req, code="invalid_transition",
           says="Cannot close a request that is Closed")


# --- withdraw, reject --------------------------------------------------------------------------

@pytest.mark.parametrize("stage", ["submitted", "triaged", "assigned", "in_progress"])
def test_withdraw_from_any_open_stage_before_resolution(hub, stage):
    req = new_request(hub)
    if stage != "submitted":
        req = advance(hub, req, stage)
    req = actions.withdraw(hub.sme, req, "자체 해결")
    assert req.status == Status.WITHDRAWN and req.end_reason == "자체 해결"
    assert req.closed_at is not None
    assert not req.assignments.filter(state__in=["offered", "accepted"]).exists()
    assert Notification.objects.filter(user=hub.coordinator, subject__contains="withdrawn").exists()


def test_withdraw_needs_reason_and_the_requesting_firm(hub, offered, refuse):
    refuse(offered, actions.withdraw, hub.sme, offered, "  ", says="Give a reason")
    refuse(offered, actions.withdraw, hub.other_sme, offered, "남의 것", code="forbidden",
           says="Only the requesting firm can withdraw")
    refuse(offered, actions.withdraw, hub.coordinator, offered, "대신", code="forbidden",
           says="Only SME member can withdraw")


def test_withdraw_refused_once_resolved(hub, offered, refuse):
    req = forward(hub, offered, "resolved")
    refuse(req, actions.withdraw, hub.sme, req, "취소", code="invalid_transition",
           says="Cannot withdraw a request that is Resolved")


@pytest.mark.parametrize("stage", ["submitted", "triaged"])
def test_reject(hub, stage):
    req = new_request(hub)
    if stage == "triaged":
        req = advance(hub, req, "triaged")
    req = actions.reject(hub.coordinator, req, "지원 대상 업종이 아님")
    assert req.status == Status.REJECTED and req.end_reason == "지원 대상 업종이 아님"
    assert req.first_contact_at is not None
    assert Notification.objects.filter(user=hub.sme, subject__contains="rejected").exists()


def test_reject_refusals(hub, submitted, offered, refuse):
    refuse(submitted, actions.reject, hub.coordinator, submitted, "", says="Give a reason")
    refuse(submitted, actions.reject, hub.sme, submitted, "싫음", code="forbidden",
           says="Only Coordinator, Hub admin can reject")
    refuse(offered, actions.reject, hub.coordinator, offered, "늦음", code="invalid_transition",
           says="Cannot reject a request that is Assigned; it must be Submitted / Triaged")


@pytest.mark.parametrize("end", ["withdrawn", "rejected"])
def test_ended_requests_accept_no_transition(hub, submitted, refuse, end):
    if end == "withdrawn":
        req = actions.withdraw(hub.sme, submitted, "취소")
    else:
        req = actions.reject(hub.coordinator, submitted, "대상 아님")
    label = Status(end).label
    refuse(req, actions.triage, hub.coordinator, req, code="invalid_transition",
           says=f"that is {label}")
    refuse(req, actions.withdraw, hub.sme, req, "다시", code="invalid_transition",
           says=f"that is {label}")


# --- what each persona may do now --------------------------------------------------------------

@pytest.mark.parametrize(("persona", "expected"), [
    ("sme", ["withdraw"]),
    ("other_sme", ["withdraw"]),  # by role; the firm check (and the 404) protect the request
    ("expert", ["accept", "decline"]),
    ("other_expert", []),
    ("coordinator", ["assign"]),
    ("admin", ["assign"]),
    ("analyst", []),
    ("anonymous", []),
])
def test_allowed_actions_by_persona(hub, offered, persona, expected):
    assert actions.allowed_actions(user_of(hub, persona), offered) == expected


def test_full_walk_records_every_transition(hub):
    req = advance(hub, new_request(hub), "closed")
    assert _events(req) == [
        ("submit", "", "submitted"), ("triage", "submitted", "triaged"),
        ("assign", "triaged", "assigned"), ("accept", "assigned", "in_progress"),
        ("log_work", "in_progress", "in_progress"), ("resolve", "in_progress", "resolved"),
        ("record_outcome", "resolved", "outcome_recorded"),
        ("close", "outcome_recorded", "closed"),
    ]
    assert AuditEvent.objects.filter(object_id=str(req.pk), verb__startswith="request.").count() == 8
