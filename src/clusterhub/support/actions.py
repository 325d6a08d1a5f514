"""Every state change of a support request: explicit actor, one transaction, one event row,
an audit event, and notifications sent after commit."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from clusterhub.core.actions import ActionRefused
from clusterhub.core.audit import notify, record_event
from clusterhub.core.models import Expert, Organisation, Region, Role, TechField, role_of

from . import sla
from .models import (
    Assignment,
    Attachment,
    FollowUp,
    JointProject,
    Outcome,
    RequestEvent,
    SolvedCase,
    Status,
    SupportRequest,
    SupportType,
    WorkLog,
)


@dataclass(frozen=True)
class Transition:
    sources: tuple[str, ...]
    target: str | None  # None: the status does not change
    roles: tuple[str, ...]


S = Status
TRANSITIONS: dict[str, Transition] = {
    "triage": Transition((S.SUBMITTED, S.TRIAGED), S.TRIAGED, ("coordinator", "admin")),
    "assign": Transition((S.TRIAGED, S.ASSIGNED), S.ASSIGNED, ("coordinator", "admin")),
    "accept": Transition((S.ASSIGNED,), S.IN_PROGRESS, ("expert",)),
    "decline": Transition((S.ASSIGNED, S.IN_PROGRESS), None, ("expert",)),
    "log_work": Transition((S.IN_PROGRESS,), None, ("expert",)),
    "resolve": Transition((S.IN_PROGRESS,), S.RESOLVED, ("expert", "coordinator", "admin")),
    "record_outcome": Transition((S.RESOLVED,), S.OUTCOME_RECORDED, ("sme",)),
    "close": Transition((S.OUTCOME_RECORDED,), S.CLOSED, ("coordinator", "admin")),
    "withdraw": Transition((S.SUBMITTED, S.TRIAGED, S.ASSIGNED, S.IN_PROGRESS), S.WITHDRAWN,
                           ("sme",)),
    "reject": Transition((S.SUBMITTED, S.TRIAGED), S.REJECTED, ("coordinator", "admin")),
}


# How an action reads inside a sentence ("Cannot triage a request that is closed").
ACTION_VERBS = {
    "triage": gettext_lazy("triage"), "assign": gettext_lazy("assign"), "accept": gettext_lazy("accept"),
    "decline": gettext_lazy("decline"), "log_work": gettext_lazy("log work on"), "resolve": gettext_lazy("resolve"),
    "record_outcome": gettext_lazy("record the outcome of"), "close": gettext_lazy("close"),
    "withdraw": gettext_lazy("withdraw"), "reject": gettext_lazy("reject"),
}


def allowed_actions(user: Any, req: SupportRequest) -> list[str]:
    """The actions this user may take on this request now (for showing buttons)."""
    role = role_of(user)
    names = []
    for name, tr in TRANSITIONS.items():
        if role in tr.roles and req.status in tr.sources:
            if role == "expert" and not _expert_assignment(user, req, name):
                continue
            names.append(name)
    return names


def _expert_assignment(user: Any, req: SupportRequest, action: str) -> Assignment | None:
    expert = getattr(user, "expert", None)
    if expert is None:
        return None
    states = ["offered"] if action in ("accept",) else ["accepted"]
    if action == "decline":
        states = ["offered", "accepted"]
    return req.assignments.filter(expert=expert, state__in=states).first()


def _check(actor: Any, req: SupportRequest, action: str) -> str:
    """Refuse with a message that says why when `action` is not allowed now."""
    tr = TRANSITIONS[action]
    role = role_of(actor)
    if role not in tr.roles:
        raise ActionRefused(
            _("Only %(roles)s can %(action)s a request.")
            % {"roles": ", ".join(str(Role(r).label) for r in tr.roles),
               "action": ACTION_VERBS.get(action, action)},
            code="forbidden",
        )
    if req.status not in tr.sources:
        raise ActionRefused(
            _("Cannot %(action)s a request that is %(status)s; it must be %(allowed)s.")
            % {"action": ACTION_VERBS.get(action, action), "status": Status(req.status).label,
               "allowed": " / ".join(str(Status(s).label) for s in tr.sources)},
            code="invalid_transition",
        )
    return role


def _lock(req: SupportRequest) -> SupportRequest:
    """Re-read the request under a row lock so that concurrent transitions serialise."""
    return SupportRequest.objects.select_for_update().get(pk=req.pk)


def _event(actor: Any, req: SupportRequest, action: str, before: str, note: str = "") -> None:
    RequestEvent.objects.create(request=req, actor=actor, action=action, from_status=before,
                                to_status=req.status, note=note)
    record_event(actor, f"request.{action}", req, from_status=before, to_status=req.status)


def _members(org_id: int | None, role: str) -> list[Any]:
    from django.contrib.auth import get_user_model

    if org_id is None:
        return []
    return list(get_user_model().objects.filter(profile__organisation_id=org_id,
                                                profile__role=role, is_active=True))


def _firm_members(req: SupportRequest) -> list[Any]:
    return _members(req.firm_id, Role.SME)


def _coordinators(req: SupportRequest) -> list[Any]:
    return _members(req.routed_to_id, Role.COORDINATOR)


def _expert_users(req: SupportRequest, states: Iterable[str] = ("accepted",)) -> list[Any]:
    return [a.expert.user for a in req.assignments.filter(state__in=list(states))
            .select_related("expert__user") if a.expert.user]


def default_desk(region: Region | None) -> Organisation | None:
    """Where a new request goes: the region's support desk, else any desk of the hub."""
    desks = Organisation.objects.filter(is_support_desk=True).order_by("pk")
    if region is not None:
        local = desks.filter(region=region).first()
        if local:
            return local
    return desks.first()


def submit_request(
    actor: Any, *, title: str, description: str, support_type: str, region: Region,
    fields: Iterable[TechField] = (), urgency: str = "normal", consent_publish: bool = False,
    routed_to: Organisation | None = None,
) -> SupportRequest:
    """An SME member files a need for their firm."""
    if role_of(actor) != Role.SME:
        raise ActionRefused(_("Only SME members can file support requests."), code="forbidden")
    if support_type not in SupportType.values:
        raise ActionRefused(_("Unknown support type."), "support_type")
    if not title.strip():
        raise ActionRefused(_("A title is required."), "title")
    if not description.strip():
        raise ActionRefused(_("Describe the need."), "description")
    if routed_to is not None and routed_to.kind == Organisation.Kind.FIRM:
        raise ActionRefused(_("A request goes to a support organisation, not a firm."),
                            "routed_to")
    now = timezone.now()
    with transaction.atomic():
        req = SupportRequest.objects.create(
            firm_id=actor.profile.organisation_id, submitted_by=actor, title=title.strip(),
            description=description.strip(), support_type=support_type, region=region,
            urgency=urgency, consent_publish=consent_publish,
            routed_to=routed_to or default_desk(region), created_at=now,
            contact_due_at=sla.contact_due(now), plan_due_at=sla.plan_due(now),
        )
        req.fields.set(list(fields))
        _event(actor, req, "submit", "", "")
        notify(_coordinators(req), _("New support request: %(title)s") % {"title": req.title},
               req.description[:300], req.get_absolute_url())
    return req


def triage(
    actor: Any, req: SupportRequest, *, support_type: str | None = None,
    fields: Iterable[TechField] | None = None, routed_to: Organisation | None = None,
    note: str = "",
) -> SupportRequest:
    """A coordinator confirms type and fields, and may route the request to another centre."""
    with transaction.atomic():
        req = _lock(req)
        _check(actor, req, "triage")
        before = req.status
        if support_type:
            if support_type not in SupportType.values:
                raise ActionRefused(_("Unknown support type."), "support_type")
            req.support_type = support_type
        if routed_to is not None:
            if routed_to.kind == Organisation.Kind.FIRM:
                raise ActionRefused(_("A request goes to a support organisation, not a firm."),
                                    "routed_to")
            req.routed_to = routed_to
        req.status = Status.TRIAGED
        req.first_contact_at = req.first_contact_at or timezone.now()
        req.save(update_fields=["support_type", "routed_to", "status", "first_contact_at"])
        if fields is not None:
            req.fields.set(list(fields))
        _event(actor, req, "triage", before, note)
        notify(_firm_members(req), _("Your request was triaged: %(title)s") % {"title": req.title},
               note, req.get_absolute_url())
        if routed_to is not None:
            notify(_coordinators(req), _("Request routed to you: %(title)s") % {"title": req.title},
                   note, req.get_absolute_url())
    return req


def linked_organisation_ids(firm_ids: Iterable[int]) -> dict[int, set[int]]:
    """For each firm, the organisations whose experts have a conflict of interest on its
    requests: the firm itself and its corporate group, that is the firm's parent when that is a
    firm, the firms whose parent it is, and the other firms under the same parent firm.

    Having solved one of the firm's problems before is not a conflict (it is a reason to ask the
    same expert again), so past solved cases do not count here."""
    firm_ids = set(firm_ids)
    linked: dict[int, set[int]] = {f: {f} for f in firm_ids}
    if not firm_ids:
        return linked
    firms = Organisation.objects.filter(kind=Organisation.Kind.FIRM)
    parent_of = dict(firms.filter(pk__in=firm_ids, parent__kind=Organisation.Kind.FIRM)
                     .values_list("pk", "parent_id"))
    groups = firm_ids | set(parent_of.values())
    members: dict[int, set[int]] = {}
    for pk, parent_id in firms.filter(parent_id__in=groups).values_list("pk", "parent_id"):
        members.setdefault(parent_id, set()).add(pk)
    for firm in firm_ids:
        linked[firm] |= members.get(firm, set())
        parent = parent_of.get(firm)
        if parent is not None:
            linked[firm] |= {parent} | members.get(parent, set())
    return linked


def conflict_of_interest(expert: Expert, req: SupportRequest,
                         linked: set[int] | None = None) -> str | None:
    """Why this expert must not work on this request, or None."""
    if expert.organisation_id == req.firm_id:
        return _("%(name)s belongs to the requesting firm (conflict of interest).") % {
            "name": expert.name}
    if linked is None:
        linked = linked_organisation_ids([req.firm_id])[req.firm_id]
    if expert.organisation_id in linked:
        return _("%(name)s belongs to a firm of the requesting firm's group (conflict of "
                 "interest).") % {"name": expert.name}
    return None


def assign(actor: Any, req: SupportRequest, experts: Iterable[Expert], note: str = "") -> SupportRequest:
    """Offer the request to one or more experts (never one with a conflict of interest)."""
    experts = list(experts)
    if not experts:
        raise ActionRefused(_("Choose at least one expert."), "experts")
    with transaction.atomic():
        req = _lock(req)
        _check(actor, req, "assign")
        linked = linked_organisation_ids([req.firm_id])[req.firm_id]
        for expert in experts:
            conflict = conflict_of_interest(expert, req, linked)
            if conflict:
                raise ActionRefused(conflict, "experts")
        before = req.status
        offered = []
        for expert in experts:
            assignment, created = Assignment.objects.get_or_create(request=req, expert=expert)
            if not created and assignment.state in ("declined", "released"):
                assignment.state = Assignment.State.OFFERED
                assignment.offered_at = timezone.now()
                assignment.reason = ""
                assignment.save(update_fields=["state", "offered_at", "reason"])
            offered.append(expert.name)
        req.status = Status.ASSIGNED
        req.save(update_fields=["status"])
        _event(actor, req, "assign", before, note or ", ".join(offered))
        notify([e.user for e in experts if e.user],
               _("Support request offered to you: %(title)s") % {"title": req.title},
               note, req.get_absolute_url())
    return req


# An expert's assignment counts against their capacity while its request is in one of these.
LOAD_STATUSES = (S.ASSIGNED, S.IN_PROGRESS, S.RESOLVED)


def accept(actor: Any, req: SupportRequest, plan: str) -> SupportRequest:
    """An expert takes the request on, with a solution plan."""
    if not plan.strip():
        raise ActionRefused(_("Describe your solution plan."), "plan")
    with transaction.atomic():
        req = _lock(req)
        _check(actor, req, "accept")
        assignment = _expert_assignment(actor, req, "accept")
        if assignment is None:
            raise ActionRefused(_("This request is not offered to you."), code="forbidden")
        open_cases = Assignment.objects.filter(
            expert=assignment.expert, state="accepted", request__status__in=LOAD_STATUSES,
        ).count()
        if open_cases >= assignment.expert.capacity:
            raise ActionRefused(
                _("You already carry %(n)d open cases, your capacity.") % {"n": open_cases},
                code="capacity")
        now = timezone.now()
        assignment.state = Assignment.State.ACCEPTED
        assignment.responded_at = now
        assignment.plan = plan.strip()
        assignment.save(update_fields=["state", "responded_at", "plan"])
        before = req.status
        req.status = Status.IN_PROGRESS
        req.plan_at = req.plan_at or now
        req.first_contact_at = req.first_contact_at or now
        req.save(update_fields=["status", "plan_at", "first_contact_at"])
        _event(actor, req, "accept", before, plan.strip())
        notify(_firm_members(req) + _coordinators(req),
               _("An expert took on your request: %(title)s") % {"title": req.title},
               plan.strip(), req.get_absolute_url())
    return req


def decline(actor: Any, req: SupportRequest, reason: str) -> SupportRequest:
    """An expert declines (or gives back) an offer, with a reason."""
    if not reason.strip():
        raise ActionRefused(_("Give a reason for declining."), "reason")
    with transaction.atomic():
        req = _lock(req)
        _check(actor, req, "decline")
        assignment = _expert_assignment(actor, req, "decline")
        if assignment is None:
            raise ActionRefused(_("This request is not offered to you."), code="forbidden")
        before = req.status
        assignment.state = Assignment.State.DECLINED
        assignment.reason = reason.strip()
        assignment.responded_at = timezone.now()
        assignment.save(update_fields=["state", "reason", "responded_at"])
        remaining = req.assignments.filter(state__in=["offered", "accepted"])
        if not remaining.exists():
            req.status = Status.TRIAGED  # back to the coordinator to assign again
        elif not remaining.filter(state="accepted").exists():
            req.status = Status.ASSIGNED
        req.save(update_fields=["status"])
        _event(actor, req, "decline", before, reason.strip())
        notify(_coordinators(req), _("An expert declined: %(title)s") % {"title": req.title},
               reason.strip(), req.get_absolute_url())
    return req


def log_work(
    actor: Any, req: SupportRequest, *, on: date, hours: Decimal, kind: str = "visit",
    note: str = "",
) -> WorkLog:
    """An assigned expert logs hours (a visit, remote work, lab work)."""
    if hours <= 0 or hours > 24:
        raise ActionRefused(_("Hours must be more than 0 and at most 24."), "hours")
    if on > timezone.localdate():
        raise ActionRefused(_("Work cannot be logged in the future."), "date")
    if kind not in WorkLog.Kind.values:
        raise ActionRefused(_("Unknown kind of work."), "kind")
    with transaction.atomic():
        req = _lock(req)
        _check(actor, req, "log_work")
        assignment = _expert_assignment(actor, req, "log_work")
        if assignment is None:
            raise ActionRefused(_("Only the assigned expert can log work."), code="forbidden")
        log = WorkLog.objects.create(request=req, expert=assignment.expert, date=on, hours=hours,
                                     kind=kind, note=note.strip())
        _event(actor, req, "log_work", req.status, f"{hours}h {kind}: {note.strip()}".strip())
    return log


def resolve(actor: Any, req: SupportRequest, solution_summary: str) -> SupportRequest:
    """The expert (or coordinator) records the solution."""
    if not solution_summary.strip():
        raise ActionRefused(_("Summarise the solution."), "solution_summary")
    with transaction.atomic():
        req = _lock(req)
        role = _check(actor, req, "resolve")
        if role == "expert" and _expert_assignment(actor, req, "resolve") is None:
            raise ActionRefused(_("Only the assigned expert can resolve."), code="forbidden")
        before = req.status
        req.status = Status.RESOLVED
        req.solution_summary = solution_summary.strip()
        req.resolved_at = timezone.now()
        req.save(update_fields=["status", "solution_summary", "resolved_at"])
        _event(actor, req, "resolve", before, solution_summary.strip())
        notify(_firm_members(req),
               _("Your request is resolved; please record the outcome: %(title)s")
               % {"title": req.title}, solution_summary.strip(), req.get_absolute_url())
    return req


def record_outcome(actor: Any, req: SupportRequest, *, satisfaction: int, **measures: Any) -> Outcome:
    """The SME records what the support achieved, from its side."""
    if not 1 <= int(satisfaction) <= 5:
        raise ActionRefused(_("Satisfaction is a score from 1 to 5."), "satisfaction")
    allowed = {"cost_saved_mkrw", "lead_time_before_days", "lead_time_after_days",
               "defect_rate_before_pct", "defect_rate_after_pct", "sales_increase_mkrw",
               "new_product", "comment"}
    unknown = set(measures) - allowed
    if unknown:
        raise ActionRefused(_("Unknown measure: %(name)s") % {"name": sorted(unknown)[0]},
                            sorted(unknown)[0])
    for key in ("defect_rate_before_pct", "defect_rate_after_pct"):
        value = measures.get(key)
        if value is not None and not 0 <= Decimal(value) <= 100:
            raise ActionRefused(_("A defect rate is a percentage from 0 to 100."), key)
    with transaction.atomic():
        req = _lock(req)
        _check(actor, req, "record_outcome")
        if actor.profile.organisation_id != req.firm_id:
            raise ActionRefused(_("Only the requesting firm records the outcome."),
                                code="forbidden")
        outcome = Outcome.objects.create(request=req, recorded_by=actor,
                                         satisfaction=int(satisfaction), **measures)
        before = req.status
        req.status = Status.OUTCOME_RECORDED
        req.save(update_fields=["status"])
        _event(actor, req, "record_outcome", before, measures.get("comment", "") or "")
        notify(_coordinators(req) + _expert_users(req),
               _("Outcome recorded: %(title)s") % {"title": req.title}, "",
               req.get_absolute_url())
    return outcome


def _anonymise(text: str, req: SupportRequest) -> str:
    """Remove the firm's and its people's names from text that will be published."""
    names = {req.firm.name, req.firm.name_en}
    names.update(n for n in (req.firm.name.replace("(주)", "").replace("㈜", "").strip(),) if n)
    for u in _firm_members(req):
        # Korean names are written family name first, usually without a space ("김철수");
        # get_full_name() gives "철수 김".
        names.update((u.get_full_name(), f"{u.last_name}{u.first_name}".strip(),
                      f"{u.last_name} {u.first_name}".strip()))
    names.add(req.submitted_by.username)
    for name in sorted((n for n in names if n and len(n) >= 2), key=len, reverse=True):
        text = text.replace(name, _("[firm]"))
    return text


def close(actor: Any, req: SupportRequest, note: str = "") -> SupportRequest:
    """The coordinator closes the case: follow-ups are scheduled, and with consent the solution
    is published, anonymised, in the knowledge base."""
    from .tasks import send_follow_up

    with transaction.atomic():
        req = _lock(req)
        _check(actor, req, "close")
        before = req.status
        now = timezone.now()
        req.status = Status.CLOSED
        req.closed_at = now
        req.save(update_fields=["status", "closed_at"])
        follow_ups = []
        for months in settings.CLUSTERHUB_FOLLOW_UP_MONTHS:
            due = (timezone.localtime(now) + timedelta(days=round(months * 30.44))).date()
            follow_ups.append(FollowUp.objects.create(request=req, months=months, due_on=due))
        if req.consent_publish:
            case = SolvedCase.objects.create(
                external_id=f"req-{req.pk}", title=_anonymise(req.title, req),
                problem=_anonymise(req.description, req),
                solution=_anonymise(req.solution_summary, req),
                outcome=_outcome_text(req), support_type=req.support_type, region=req.region,
                year=timezone.localtime(now).year, firm=req.firm, source_request=req,
                published=True,
            )
            case.fields.set(req.fields.all())
            case.experts.set([a.expert for a in req.assignments.filter(state="accepted")])
        _event(actor, req, "close", before, note)
        notify(_firm_members(req), _("Your request is closed: %(title)s") % {"title": req.title},
               note, req.get_absolute_url())

        def schedule() -> None:
            for fu in follow_ups:
                # 09:00 local time on the due day
                run_after = timezone.make_aware(datetime.combine(fu.due_on, time(9, 0)))
                result = send_follow_up.using(run_after=run_after).enqueue(fu.pk)
                FollowUp.objects.filter(pk=fu.pk).update(task_id=str(result.id))

        transaction.on_commit(schedule)
    return req


def _outcome_text(req: SupportRequest) -> str:
    outcome = getattr(req, "outcome", None)
    if outcome is None:
        return ""
    parts = []
    if outcome.defect_rate_before_pct is not None and outcome.defect_rate_after_pct is not None:
        parts.append(_("defect rate %(a)s%% → %(b)s%%") % {
            "a": outcome.defect_rate_before_pct.normalize(),
            "b": outcome.defect_rate_after_pct.normalize()})
    if outcome.lead_time_before_days is not None and outcome.lead_time_after_days is not None:
        parts.append(_("lead time %(a)s → %(b)s days") % {
            "a": outcome.lead_time_before_days.normalize(),
            "b": outcome.lead_time_after_days.normalize()})
    if outcome.cost_saved_mkrw:
        parts.append(_("cost saved %(v)s M KRW/year") % {"v": outcome.cost_saved_mkrw.normalize()})
    if outcome.sales_increase_mkrw:
        parts.append(_("sales +%(v)s M KRW/year") % {"v": outcome.sales_increase_mkrw.normalize()})
    if outcome.new_product:
        parts.append(_("new product launched"))
    return "; ".join(parts)


def withdraw(actor: Any, req: SupportRequest, reason: str) -> SupportRequest:
    """The SME withdraws its own request."""
    if not reason.strip():
        raise ActionRefused(_("Give a reason."), "reason")
    with transaction.atomic():
        req = _lock(req)
        _check(actor, req, "withdraw")
        if actor.profile.organisation_id != req.firm_id:
            raise ActionRefused(_("Only the requesting firm can withdraw."), code="forbidden")
        before = req.status
        req.status = Status.WITHDRAWN
        req.end_reason = reason.strip()
        req.closed_at = timezone.now()
        req.save(update_fields=["status", "end_reason", "closed_at"])
        req.assignments.filter(state__in=["offered", "accepted"]).update(state="released")
        _event(actor, req, "withdraw", before, reason.strip())
        notify(_coordinators(req), _("Request withdrawn: %(title)s") % {"title": req.title},
               reason.strip(), req.get_absolute_url())
    return req


def reject(actor: Any, req: SupportRequest, reason: str) -> SupportRequest:
    """The coordinator rejects a request the hub cannot take, with a reason."""
    if not reason.strip():
        raise ActionRefused(_("Give a reason."), "reason")
    with transaction.atomic():
        req = _lock(req)
        _check(actor, req, "reject")
        before = req.status
        req.status = Status.REJECTED
        req.end_reason = reason.strip()
        req.closed_at = timezone.now()
        req.first_contact_at = req.first_contact_at or req.closed_at
        req.save(update_fields=["status", "end_reason", "closed_at", "first_contact_at"])
        _event(actor, req, "reject", before, reason.strip())
        notify(_firm_members(req), _("Request rejected: %(title)s") % {"title": req.title},
               reason.strip(), req.get_absolute_url())
    return req


# Attachments: accepted types by their first bytes, not by their names.
MAGIC = [
    (b"%PDF-", "application/pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"AC10", "application/acad"),  # DWG drawings
    (b"ISO-10303-21", "application/step"),  # STEP models
]


def sniff(head: bytes, name: str) -> str | None:
    for magic, ctype in MAGIC:
        if head.startswith(magic):
            return ctype
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if name.lower().endswith(".dxf") and b"SECTION" in head[:200]:
        return "image/vnd.dxf"
    return None


def add_attachment(actor: Any, req: SupportRequest, name: str, content: bytes) -> Attachment:
    """Store a file outside the web root, content-addressed, after type and size checks."""
    if role_of(actor) not in ("sme", "expert", "coordinator", "admin"):
        raise ActionRefused(_("You cannot attach files."), code="forbidden")
    if not req.is_open:
        raise ActionRefused(_("This request has ended; no more files can be attached."), "file")
    if len(content) > settings.CLUSTERHUB_MAX_UPLOAD_BYTES:
        raise ActionRefused(
            _("The file is larger than %(mb)d MB.")
            % {"mb": settings.CLUSTERHUB_MAX_UPLOAD_BYTES // (1024 * 1024)}, "file")
    if not content:
        raise ActionRefused(_("The file is empty."), "file")
    ctype = sniff(content[:512], name)
    if ctype is None:
        raise ActionRefused(
            _("Only photos (PNG, JPEG, GIF, WebP), PDFs and drawings (DWG, DXF, STEP) are "
              "accepted; this file's content is none of these."), "file")
    digest = hashlib.sha256(content).hexdigest()
    rel = Path("attachments") / digest[:2] / digest
    path = Path(settings.MEDIA_ROOT) / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        tmp = path.with_suffix(".part")
        tmp.write_bytes(content)
        tmp.replace(path)
    with transaction.atomic():
        att = Attachment.objects.create(
            request=req, uploaded_by=actor, original_name=Path(name).name[:200],
            content_type=ctype, size=len(content), sha256=digest, storage_path=str(rel))
        RequestEvent.objects.create(request=req, actor=actor, action="attach",
                                    from_status=req.status, to_status=req.status,
                                    note=att.original_name)
        record_event(actor, "request.attach", req, attachment=att.pk)
    return att


LINKED_WORK = ("simulation", "booking")


def record_linked_work(actor: Any, req: SupportRequest, kind: str, note: str) -> RequestEvent:
    """Put work done elsewhere in the hub (a simulation run, an equipment booking) on the
    request's timeline. The caller has checked its own permissions and holds the transaction."""
    if kind not in LINKED_WORK:
        raise ValueError(f"unknown kind of linked work: {kind!r}")
    return RequestEvent.objects.create(request=req, actor=actor, action=kind,
                                       from_status=req.status, to_status=req.status,
                                       note=note[:500])


def answer_follow_up(actor: Any, follow_up: FollowUp, answer: str) -> FollowUp:
    if role_of(actor) != Role.SME or actor.profile.organisation_id != follow_up.request.firm_id:
        raise ActionRefused(_("Only the requesting firm answers its check-ins."), code="forbidden")
    if not answer.strip():
        raise ActionRefused(_("Write how things stand now."), "answer")
    if follow_up.answered_at is not None:
        raise ActionRefused(_("This check-in is already answered."), code="invalid_transition")
    if follow_up.sent_at is None:
        raise ActionRefused(_("This check-in is not due yet."), code="invalid_transition")
    with transaction.atomic():
        follow_up.answer = answer.strip()
        follow_up.answered_at = timezone.now()
        follow_up.save(update_fields=["answer", "answered_at"])
        record_event(actor, "followup.answered", follow_up.request, months=follow_up.months)
    return follow_up


def create_joint_project(actor: Any, requests: Iterable[SupportRequest], title: str,
                         note: str = "") -> JointProject:
    """A coordinator groups open requests of several firms about one shared problem into a joint
    project (consortium R&D). Only requests the coordinator sees, still open and in no other
    joint project; at least two firms."""
    if role_of(actor) not in (Role.COORDINATOR, Role.ADMIN):
        raise ActionRefused(_("Only coordinators can create joint projects."), code="forbidden")
    if not title.strip():
        raise ActionRefused(_("A title is required."), "title")
    pks = sorted({r.pk for r in requests})
    if len(pks) < 2:
        raise ActionRefused(_("Choose at least two requests."), "requests")
    with transaction.atomic():
        rows = list(SupportRequest.objects.for_user(actor).select_for_update()
                    .filter(pk__in=pks).order_by("pk"))
        if len(rows) != len(pks):
            raise ActionRefused(_("Some of these requests are not yours to group."),
                                code="not_found")
        for req in rows:
            if not req.is_open:
                raise ActionRefused(
                    _("#%(pk)d is %(status)s; only open requests can be grouped.")
                    % {"pk": req.pk, "status": Status(req.status).label}, "requests")
            if req.joint_project_id is not None:
                raise ActionRefused(
                    _("#%(pk)d is already part of a joint project.") % {"pk": req.pk},
                    "requests")
        if len({r.firm_id for r in rows}) < 2:
            raise ActionRefused(_("A joint project brings together requests of at least two "
                                  "firms."), "requests")
        organisation_id = actor.profile.organisation_id if role_of(actor) == Role.COORDINATOR \
            else None
        organisation_id = organisation_id or rows[0].routed_to_id
        if organisation_id is None:
            raise ActionRefused(_("These requests are not routed to a support desk."), "requests")
        project = JointProject.objects.create(title=title.strip(), description=note.strip(),
                                              organisation_id=organisation_id, created_by=actor)
        SupportRequest.objects.filter(pk__in=pks).update(joint_project=project)
        for req in rows:
            RequestEvent.objects.create(request=req, actor=actor, action="joint_project",
                                        from_status=req.status, to_status=req.status,
                                        note=project.title)
        record_event(actor, "joint_project.created", project, requests=pks,
                     firms=sorted({r.firm_id for r in rows}))
        for req in rows:
            notify(_firm_members(req),
                   _("Your request is part of a joint project: %(title)s")
                   % {"title": project.title}, project.description, project.get_absolute_url())
    return project
