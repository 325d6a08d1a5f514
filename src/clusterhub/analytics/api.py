"""The analytics part of /api/v1/: KPI report, incentives, regional typology, programmes.

Readers are analysts, coordinators and admins (others get 404, as on the web); the programme
fit is also open to an SME member for their own firm."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.http import Http404, HttpRequest
from ninja import Router, Schema
from pydantic import Field

from clusterhub.core.access import require_role
from clusterhub.core.actions import ActionRefused
from clusterhub.core.api_auth import bearer
from clusterhub.core.models import Organisation, role_of

from . import actions, incentives, kpi, programmes, typology
from .access import kpi_scope
from .models import IncentiveRun, Programme

router = Router(tags=["analytics"])
READERS = ("analyst", "coordinator", "admin")


def _reader(request: HttpRequest) -> Any:
    user = request.auth  # type: ignore[attr-defined]
    require_role(user, *READERS)
    return user


@router.get("/analytics/kpi", auth=bearer,
            response=dict[str, dict[str, dict[str, float | int | None]]])
def kpi_report(request: HttpRequest, institution: str = "", year_from: int | None = None,
               year_to: int | None = None) -> Any:
    """`{"<institution>": {"<year>": {"<metric>": number or null}}}` (as `clusterhub report
    kpi --format json`); `institution` takes comma-separated organisation ids."""
    scope = kpi_scope(request.auth)  # type: ignore[attr-defined]
    insts = [i for i in institution.split(",") if i] or None
    if scope is not None:  # an expert: their own organisation and its parent institute only
        if insts is not None and not set(insts) <= set(scope):
            raise Http404
        insts = insts or scope
    try:
        return kpi.compute(insts, year_from, year_to).as_json()
    except ValueError as exc:
        raise ActionRefused(str(exc), "institution", code="invalid") from None


class TotalOut(Schema):
    values: dict[str, float | int | None]
    missing: dict[str, list[str]]


@router.get("/analytics/kpi/totals", auth=bearer, response=dict[str, TotalOut])
def kpi_totals(request: HttpRequest, year_from: int | None = None,
               year_to: int | None = None) -> Any:
    """Per year: each metric summed over the institutions that report it, and which do not."""
    _reader(request)
    return {str(y): v for y, v in kpi.compute(None, year_from, year_to).totals().items()}


class LineOut(Schema):
    case: int
    rule: str
    basis: str
    points: Decimal
    expert: str
    centre: str
    institute: str


class IncentivesOut(Schema):
    period: str
    computed_at: str | None
    cases: int
    points: Decimal
    by_institute: list[dict[str, Any]]
    by_centre: list[dict[str, Any]]
    by_expert: list[dict[str, Any]]
    lines: list[LineOut]


@router.get("/analytics/incentives/{period}", auth=bearer, response=IncentivesOut)
def incentive_ledger(request: HttpRequest, period: str) -> Any:
    _reader(request)
    try:
        incentives.period_bounds(period)
    except ValueError:
        raise Http404 from None
    run = IncentiveRun.objects.filter(period=period).first()

    def named(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [{"name": r["name"], "points": r["points"], "cases": r["cases"]} for r in rows]

    return {
        "period": period, "computed_at": run.computed_at.isoformat() if run else None,
        "cases": run.cases if run else 0, "points": run.points if run else Decimal(0),
        "by_institute": named(incentives.totals(period, "institute")),
        "by_centre": named(incentives.totals(period, "centre")),
        "by_expert": named(incentives.totals(period, "expert")),
        "lines": [{"case": ln.request_id, "rule": ln.rule, "basis": ln.basis,
                   "points": ln.points, "expert": ln.expert.external_id,
                   "centre": ln.centre.external_id, "institute": ln.institute.external_id}
                  for ln in incentives.ledger(period)],
    }


class RecomputeIn(Schema):
    period: str = Field(min_length=4, max_length=16)


@router.post("/analytics/incentives", auth=bearer, response={200: IncentivesOut})
def incentive_recompute(request: HttpRequest, payload: RecomputeIn) -> Any:
    """Recompute a period's ledger (analysts and admins)."""
    user = _reader(request)
    actions.recompute_incentives(user, payload.period)
    return incentive_ledger(request, payload.period)


class UnitOut(Schema):
    id: str
    name: str
    regions: list[str]
    industry_index: float
    st_index: float
    cls: str
    cls_name: str
    instruments: list[str]


@router.get("/analytics/typology", auth=bearer, response=list[UnitOut])
def regional_typology(request: HttpRequest, year: int, threshold: float | None = None) -> Any:
    _reader(request)
    return [{"id": r.id, "name": r.name, "regions": r.regions, "industry_index": r.industry,
             "st_index": r.st, "cls": r.cls, "cls_name": r.cls_info["name"],
             "instruments": r.cls_info["instruments"]}
            for r in typology.classify(year, None, threshold)]


class ProgrammeOut(Schema):
    id: str
    name: str
    target: str
    size: str
    funding: str
    content: str
    gov_share: Decimal | None
    local_share: Decimal | None
    private_share: Decimal | None
    public_cap_mkrw: Decimal | None
    source: str
    note: str


@router.get("/analytics/programmes", auth=bearer, response=list[ProgrammeOut])
def programme_list(request: HttpRequest) -> Any:
    if role_of(request.auth) is None:  # type: ignore[attr-defined]
        raise Http404
    return [{"id": p.external_id, **{k: getattr(p, k) for k in ProgrammeOut.model_fields
                                     if k != "id"}} for p in Programme.objects.all()]


class FitOut(Schema):
    programme: str
    name: str
    fits: bool
    reasons: list[str]
    gov_mkrw: Decimal | None
    local_mkrw: Decimal | None
    firm_mkrw: Decimal | None
    capped: bool


@router.get("/analytics/programmes/fit", auth=bearer, response=list[FitOut])
def programme_fit(request: HttpRequest, budget_mkrw: Decimal, organisation: str = "") -> Any:
    """Which programmes fit the organisation and planned budget, and the split."""
    if budget_mkrw <= 0:
        raise ActionRefused("the planned budget must be positive", "budget_mkrw",
                            code="invalid")
    org = organisation_for(request.auth, organisation)  # type: ignore[attr-defined]
    return [f.as_dict() for f in programmes.fit(org, budget_mkrw)]


def organisation_for(user: Any, external_id: str) -> Organisation:
    """The organisation a programme search is for: an SME member's own firm; any organisation
    for analysts, coordinators and admins; 404 otherwise."""
    role = role_of(user)
    if role == "sme":
        own = user.profile.organisation
        if external_id and external_id != own.external_id:
            raise Http404
        return own  # type: ignore[no-any-return]
    require_role(user, *READERS)
    org = Organisation.objects.filter(external_id=external_id).first() if external_id else None
    if org is None:
        raise Http404
    return org
