"""Support-desk endpoints: requests (create, list own, get, transition) and solved cases."""

from __future__ import annotations

import datetime as dt
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

from django.http import Http404, HttpRequest
from ninja import Router, Schema, Status
from ninja.pagination import LimitOffsetPagination, paginate
from pydantic import Field

from clusterhub.core.actions import ActionRefused
from clusterhub.core.api_auth import bearer
from clusterhub.core.models import Expert, Organisation, Region, TechField

from . import actions
from .models import SolvedCase, SupportRequest, SupportType, Urgency
from .queries import get_request_for_user, man_months, published_cases, request_list

router = Router(tags=["support"])


class RequestIn(Schema):
    title: str = Field(min_length=1, max_length=200)
    description: str = Field(min_length=1)
    support_type: SupportType
    region: str
    fields: list[str] = []
    urgency: Urgency = Urgency.NORMAL
    consent_publish: bool = False
    routed_to: str | None = None


class EventOut(Schema):
    at: datetime
    action: str
    actor: str | None
    from_status: str
    to_status: str
    note: str


class RequestOut(Schema):
    id: int
    title: str
    description: str
    support_type: str
    status: str
    urgency: str
    region: str
    fields: list[str]
    firm: str
    routed_to: str | None
    consent_publish: bool
    created_at: datetime
    first_contact_at: datetime | None
    plan_at: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None
    solution_summary: str
    man_months: float | None = None
    events: list[EventOut] | None = None


class TransitionIn(Schema):
    action: Literal["triage", "assign", "accept", "decline", "log_work", "resolve",
                    "record_outcome", "close", "withdraw", "reject"]
    note: str = ""
    reason: str = ""
    plan: str = ""
    solution_summary: str = ""
    support_type: SupportType | None = None
    fields: list[str] | None = None
    routed_to: str | None = None
    experts: list[str] = []
    date: dt.date | None = None
    hours: Decimal | None = None
    kind: str = "visit"
    satisfaction: int | None = None
    cost_saved_mkrw: Decimal | None = None
    lead_time_before_days: Decimal | None = None
    lead_time_after_days: Decimal | None = None
    defect_rate_before_pct: Decimal | None = None
    defect_rate_after_pct: Decimal | None = None
    sales_increase_mkrw: Decimal | None = None
    new_product: bool = False
    comment: str = ""


class CaseOut(Schema):
    id: int
    external_id: str
    title: str
    problem: str
    solution: str
    outcome: str
    support_type: str
    region: str | None
    year: int
    fields: list[str]


def _user(request: HttpRequest) -> Any:
    """The token's user (set by the bearer authentication)."""
    return request.auth  # type: ignore[attr-defined]


def request_out(req: Any, detail: bool = False) -> dict[str, Any]:
    data = {
        "id": req.pk, "title": req.title, "description": req.description,
        "support_type": req.support_type, "status": req.status, "urgency": req.urgency,
        "region": req.region.code, "fields": [f.external_id for f in req.fields.all()],
        "firm": req.firm.external_id,
        "routed_to": req.routed_to.external_id if req.routed_to else None,
        "consent_publish": req.consent_publish, "created_at": req.created_at,
        "first_contact_at": req.first_contact_at, "plan_at": req.plan_at,
        "resolved_at": req.resolved_at, "closed_at": req.closed_at,
        "solution_summary": req.solution_summary,
    }
    if detail:
        data["man_months"] = man_months(req)
        data["events"] = [
            {"at": e.at, "action": e.action, "actor": e.actor.username if e.actor else None,
             "from_status": e.from_status, "to_status": e.to_status, "note": e.note}
            for e in req.events.select_related("actor")
        ]
    return data


def _fields(ids: list[str], name: str = "fields") -> list[TechField]:
    found = {f.external_id: f for f in TechField.objects.filter(external_id__in=ids)}
    for value in ids:
        if value not in found:
            raise ActionRefused(f"unknown field '{value}'", name, code="invalid")
    return [found[v] for v in ids]


def _region(value: str) -> Region:
    region = (Region.objects.filter(code=value).first()
              or Region.objects.filter(short_name=value).first())
    if region is None:
        raise ActionRefused(f"unknown region '{value}'", "region", code="invalid")
    return region


def _support_org(value: str | None) -> Organisation | None:
    if not value:
        return None
    org = Organisation.objects.support_providers().filter(external_id=value).first()
    if org is None:
        raise ActionRefused(f"unknown support organisation '{value}'", "routed_to",
                            code="invalid")
    return org


@router.post("/requests", response={201: RequestOut}, auth=bearer)
def create_request(request: HttpRequest, payload: RequestIn) -> Any:
    user = _user(request)
    req = actions.submit_request(
        user, title=payload.title, description=payload.description,
        support_type=payload.support_type, region=_region(payload.region),
        fields=_fields(payload.fields), urgency=payload.urgency,
        consent_publish=payload.consent_publish, routed_to=_support_org(payload.routed_to),
    )
    return Status(201, request_out(req))


@router.get("/requests", response=list[RequestOut], auth=bearer)
@paginate(LimitOffsetPagination)
def list_requests(request: HttpRequest, status: str = "") -> Any:
    qs = request_list(_user(request))
    if status:
        qs = qs.filter(status=status)
    from clusterhub.core.api import Mapped  # noqa: I001

    return Mapped(qs, request_out)


@router.get("/requests/{request_id}", response=RequestOut, auth=bearer)
def get_request(request: HttpRequest, request_id: int) -> Any:
    return request_out(get_request_for_user(_user(request), request_id), detail=True)


@router.post("/requests/{request_id}/transitions", response=RequestOut, auth=bearer)
def transition(request: HttpRequest, request_id: int, payload: TransitionIn) -> Any:
    user = _user(request)
    req = get_request_for_user(user, request_id)
    a = payload.action
    if a == "triage":
        actions.triage(user, req, support_type=payload.support_type,
                       fields=_fields(payload.fields) if payload.fields is not None else None,
                       routed_to=_support_org(payload.routed_to), note=payload.note)
    elif a == "assign":
        experts = list(Expert.objects.filter(external_id__in=payload.experts))
        missing = set(payload.experts) - {e.external_id for e in experts}
        if missing:
            raise ActionRefused(f"unknown expert '{sorted(missing)[0]}'", "experts",
                                code="invalid")
        actions.assign(user, req, experts, payload.note)
    elif a == "accept":
        actions.accept(user, req, payload.plan)
    elif a == "decline":
        actions.decline(user, req, payload.reason)
    elif a == "log_work":
        if payload.date is None or payload.hours is None:
            raise ActionRefused("date and hours are required", "date" if payload.date is None
                                else "hours", code="invalid")
        actions.log_work(user, req, on=payload.date, hours=payload.hours, kind=payload.kind,
                         note=payload.note)
    elif a == "resolve":
        actions.resolve(user, req, payload.solution_summary)
    elif a == "record_outcome":
        if payload.satisfaction is None:
            raise ActionRefused("satisfaction (1-5) is required", "satisfaction", code="invalid")
        actions.record_outcome(
            user, req, satisfaction=payload.satisfaction,
            cost_saved_mkrw=payload.cost_saved_mkrw,
            lead_time_before_days=payload.lead_time_before_days,
            lead_time_after_days=payload.lead_time_after_days,
            defect_rate_before_pct=payload.defect_rate_before_pct,
            defect_rate_after_pct=payload.defect_rate_after_pct,
            sales_increase_mkrw=payload.sales_increase_mkrw, new_product=payload.new_product,
            comment=payload.comment)
    elif a == "close":
        actions.close(user, req, payload.note)
    elif a == "withdraw":
        actions.withdraw(user, req, payload.reason)
    elif a == "reject":
        actions.reject(user, req, payload.reason)
    # Answer with the request as it now is, even where the action took it out of the actor's
    # sight (an expert declining, a coordinator routing it elsewhere): the transition succeeded.
    req = SupportRequest.objects.select_related("firm", "region", "routed_to").get(pk=req.pk)
    return request_out(req, detail=True)


def case_out(c: SolvedCase) -> dict[str, Any]:
    return {"id": c.pk, "external_id": c.external_id, "title": c.title, "problem": c.problem,
            "solution": c.solution, "outcome": c.outcome, "support_type": c.support_type,
            "region": c.region.code if c.region else None, "year": c.year,
            "fields": [f.external_id for f in c.fields.all()]}


@router.get("/cases", response=list[CaseOut])
@paginate(LimitOffsetPagination)
def list_cases(request: HttpRequest, q: str = "", field: str = "", region: str = "",
               support_type: str = "", year: int | None = None) -> Any:
    from clusterhub.core.api import Mapped  # noqa: I001

    return Mapped(published_cases(q, field, region, support_type, year), case_out)


@router.get("/cases/{case_id}", response=CaseOut)
def get_case(request: HttpRequest, case_id: int) -> Any:
    case = SolvedCase.objects.published().select_related("region").filter(pk=case_id).first()
    if case is None:
        raise Http404
    return case_out(case)
