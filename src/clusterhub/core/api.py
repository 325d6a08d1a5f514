"""Directory endpoints: regions, fields, clusters, organisations, experts."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch
from django.http import Http404, HttpRequest
from ninja import Router, Schema
from ninja.pagination import LimitOffsetPagination, paginate

from .api_auth import optional_user
from .models import Cluster, Expert, Organisation, Region, Role, TechField, role_of
from .queries import can_see_firm_figures

router = Router(tags=["directory"])


class RegionOut(Schema):
    code: str
    name: str
    short_name: str
    name_en: str


class FieldOut(Schema):
    id: str
    name: str
    name_en: str
    parent: str | None


class ClusterOut(Schema):
    id: str
    name: str
    name_en: str
    region: str
    complex: str
    strategic_industries: list[str]
    institutes: list[str]
    description: str


class FirmFigures(Schema):
    employees: int | None
    sales_mkrw: float | None
    rnd_mkrw: float | None
    exports_mkrw: float | None
    innobiz: bool
    venture: bool


class BranchOut(Schema):
    category: str
    location: str
    staff: int | None
    facilities: str
    budget_eok: dict[str, float | None]
    source: str


class OrganisationOut(Schema):
    id: str
    name: str
    name_en: str
    kind: str
    parent: str | None
    region: str | None
    fields: list[str]
    keywords: list[str]
    address: str
    url: str
    is_sme: bool
    sector: str | None
    branch: BranchOut | None = None
    figures: FirmFigures | None = None


class ExpertOut(Schema):
    id: str
    name: str
    title: str
    organisation: str
    organisation_name: str
    fields: list[str]
    keywords: list[str]
    bio: str
    email: str | None = None
    phone: str | None = None


def _f(value: Any) -> float | None:
    return float(value) if value is not None else None


def organisation_out(o: Organisation, user: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": o.external_id, "name": o.name, "name_en": o.name_en, "kind": o.kind,
        "parent": o.parent.external_id if o.parent else None,
        "region": o.region.code if o.region else None,
        "fields": [f.external_id for f in o.fields.all()], "keywords": o.keywords,
        "address": o.address, "url": o.url, "is_sme": o.is_sme, "sector": o.sector or None,
    }
    if o.kind == Organisation.Kind.GRI_CENTRE or o.branch_category:
        data["branch"] = {
            "category": o.branch_category, "location": o.location, "staff": o.staff,
            "facilities": o.facilities, "source": o.source,
            "budget_eok": {"2004": _f(o.budget_2004_eok), "2005": _f(o.budget_2005_eok),
                           "2006": _f(o.budget_2006_eok)},
        }
    if o.kind == Organisation.Kind.FIRM and can_see_firm_figures(user, o):
        data["figures"] = {"employees": o.employees, "sales_mkrw": _f(o.sales_mkrw),
                           "rnd_mkrw": _f(o.rnd_mkrw), "exports_mkrw": _f(o.exports_mkrw),
                           "innobiz": o.innobiz, "venture": o.venture}
    return data


def expert_out(e: Expert, user: Any) -> dict[str, Any]:
    data = {"id": e.external_id, "name": e.name, "title": e.title,
            "organisation": e.organisation.external_id, "organisation_name": e.organisation.name,
            "fields": [f.external_id for f in e.fields.all()], "keywords": e.keywords,
            "bio": e.bio}
    if role_of(user) is not None:  # contact details for signed-in hub users only
        data.update(email=e.email or None, phone=e.phone or None)
    return data


@router.get("/regions", response=list[RegionOut])
def list_regions(request: HttpRequest) -> Any:
    return Region.objects.all()


@router.get("/fields", response=list[FieldOut])
def list_fields(request: HttpRequest) -> Any:
    return [{"id": f.external_id, "name": f.name, "name_en": f.name_en,
             "parent": f.parent.external_id if f.parent else None}
            for f in TechField.objects.select_related("parent")]


@router.get("/clusters", response=list[ClusterOut])
def list_clusters(request: HttpRequest) -> Any:
    return [{"id": c.external_id, "name": c.name, "name_en": c.name_en, "region": c.region.code,
             "complex": c.complex, "description": c.description,
             "strategic_industries": [f.external_id for f in c.strategic_industries.all()],
             "institutes": [o.external_id for o in c.institutes.all()]}
            for c in Cluster.objects.select_related("region")
            .prefetch_related("strategic_industries", "institutes")]


def _org_qs() -> Any:
    return (Organisation.objects.select_related("parent", "region")
            .prefetch_related(Prefetch("fields", queryset=TechField.objects.only("external_id"))))


@router.get("/organisations", response=list[OrganisationOut])
@paginate(LimitOffsetPagination)
def list_organisations(request: HttpRequest, q: str = "", kind: str = "", region: str = "",
                       field: str = "", sme: bool | None = None) -> Any:
    user = optional_user(request)
    from .queries import directory_organisations

    qs = directory_organisations(q=q, kind=kind, region=region, field=field, sme=sme)
    return Mapped(qs.select_related("parent", "region").prefetch_related("fields"),
                   lambda o: organisation_out(o, user))


@router.get("/organisations/{org_id}", response=OrganisationOut)
def get_organisation(request: HttpRequest, org_id: str) -> Any:
    user = optional_user(request)
    org = _org_qs().filter(external_id=org_id).first()
    if org is None:
        raise Http404
    return organisation_out(org, user)


@router.get("/experts", response=list[ExpertOut])
@paginate(LimitOffsetPagination)
def list_experts(request: HttpRequest, q: str = "", field: str = "", region: str = "",
                 organisation: str = "") -> Any:
    user = optional_user(request)
    from .queries import directory_experts

    qs = directory_experts(q=q, field=field, region=region, organisation=organisation)
    return Mapped(qs, lambda e: expert_out(e, user))


@router.get("/experts/{expert_id}", response=ExpertOut)
def get_expert(request: HttpRequest, expert_id: str) -> Any:
    user = optional_user(request)
    expert = (Expert.objects.select_related("organisation").prefetch_related("fields")
              .filter(external_id=expert_id).first())
    if expert is None:
        raise Http404
    return expert_out(expert, user)


class Mapped:
    """A sliceable view of a queryset that maps each item (for paginated endpoints)."""

    def __init__(self, qs: Any, fn: Any) -> None:
        self.qs, self.fn = qs, fn

    def count(self) -> int:
        return int(self.qs.count())

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, item: slice) -> list[Any]:
        return [self.fn(o) for o in self.qs[item]]


__all__ = ["router", "Role"]
