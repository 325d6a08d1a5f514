"""Import record types of the directory (formats in docs/records.md)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Literal

from pydantic import EmailStr, Field, field_validator

from .importing import FieldProblem, RecordSchema, RecordType, Ref, register
from .models import Cluster, Expert, Organisation, Region, TechField
from .sme import is_sme

OrgKind = Literal["firm", "gri", "gri_centre", "university", "technopark", "ric", "agency",
                  "finance"]
Sector = Literal["mining", "manufacturing", "fisheries", "transport", "construction", "commerce",
                 "services"]


def _text(value: str | None) -> str:
    return value or ""


def _dec(value: Decimal | None) -> float | int | None:
    if value is None:
        return None
    return int(value) if value == value.to_integral_value() else float(value)


class RegionRecord(RecordSchema):
    name: str = Field(min_length=1)
    short_name: str = Field(min_length=1)
    name_en: str = Field(min_length=1)


@register
class RegionType(RecordType):
    name = "region"
    model = Region
    schema = RegionRecord
    key_field = "code"

    def lookup(self, keys: set[str]) -> dict[str, int]:
        """A region may be named by its code or by its Korean short name (경남)."""
        found: dict[str, int] = {}
        for code, short, pk in Region.objects.values_list("code", "short_name", "pk"):
            if code in keys:
                found[code] = pk
            if short in keys:
                found[short] = pk
        return found

    def row(self, record: Any, resolved: dict[str, Any]) -> dict[str, Any]:
        return {"name": record.name, "short_name": record.short_name, "name_en": record.name_en}

    def to_record(self, obj: Region) -> dict[str, Any]:
        return {"name": obj.name, "short_name": obj.short_name, "name_en": obj.name_en}


class FieldRecord(RecordSchema):
    name: str = Field(min_length=1)
    name_en: str = Field(min_length=1)
    parent: str | None = None


@register
class FieldType(RecordType):
    name = "field"
    model = TechField
    schema = FieldRecord
    refs = {"parent": Ref("field")}

    def row(self, record: Any, resolved: dict[str, Any]) -> dict[str, Any]:
        return {"name": record.name, "name_en": record.name_en, "parent_id": resolved["parent"]}

    def export_queryset(self) -> Any:
        return TechField.objects.select_related("parent").order_by("pk")

    def to_record(self, obj: TechField) -> dict[str, Any]:
        return {"name": obj.name, "name_en": obj.name_en,
                "parent": obj.parent.external_id if obj.parent else None}


class OrganisationRecord(RecordSchema):
    name: str = Field(min_length=1, max_length=200)
    name_en: str | None = None
    kind: OrgKind
    parent: str | None = None
    region: str | None = None
    sector: Sector | None = None
    employees: int | None = Field(default=None, ge=0)
    is_sme: bool | None = None
    fields: list[str] = []
    keywords: list[str] = []
    address: str | None = None
    url: str | None = None
    is_support_desk: bool = False
    sales_mkrw: Decimal | None = None
    rnd_mkrw: Decimal | None = None
    exports_mkrw: Decimal | None = None
    innobiz: bool = False
    venture: bool = False
    branch_category: str | None = None
    location: str | None = None
    staff: int | None = Field(default=None, ge=0)
    facilities: str | None = None
    budget_2004_eok: Decimal | None = None
    budget_2005_eok: Decimal | None = None
    budget_2006_eok: Decimal | None = None
    source: str | None = None
    note: str | None = None


@register
class OrganisationType(RecordType):
    name = "organisation"
    model = Organisation
    schema = OrganisationRecord
    refs = {"parent": Ref("organisation"), "region": Ref("region"), "fields": Ref("field", True)}

    def row(self, r: Any, resolved: dict[str, Any]) -> dict[str, Any]:
        if r.kind == "gri_centre" and not r.parent:
            raise FieldProblem("parent", "a GRI centre needs its parent institute")
        values: dict[str, Any] = {
            "name": r.name, "name_en": _text(r.name_en), "kind": r.kind,
            "parent_id": resolved["parent"], "region_id": resolved["region"],
            "sector": r.sector or "", "employees": r.employees, "is_sme_override": r.is_sme,
            "keywords": r.keywords, "address": _text(r.address), "url": _text(r.url),
            "is_support_desk": r.is_support_desk, "sales_mkrw": r.sales_mkrw,
            "rnd_mkrw": r.rnd_mkrw, "exports_mkrw": r.exports_mkrw, "innobiz": r.innobiz,
            "venture": r.venture, "branch_category": _text(r.branch_category),
            "location": _text(r.location), "staff": r.staff, "facilities": _text(r.facilities),
            "budget_2004_eok": r.budget_2004_eok, "budget_2005_eok": r.budget_2005_eok,
            "budget_2006_eok": r.budget_2006_eok, "source": _text(r.source),
            "note": _text(r.note),
        }
        values["is_sme"] = is_sme(Organisation(**values))
        return values

    def export_queryset(self) -> Any:
        return (Organisation.objects.select_related("parent", "region")
                .prefetch_related("fields").order_by("pk"))

    def to_record(self, o: Organisation) -> dict[str, Any]:
        return {
            "name": o.name, "name_en": o.name_en or None, "kind": o.kind,
            "parent": o.parent.external_id if o.parent else None,
            "region": o.region.code if o.region else None, "sector": o.sector or None,
            "employees": o.employees, "is_sme": o.is_sme_override,
            "fields": sorted(f.external_id for f in o.fields.all()), "keywords": o.keywords,
            "address": o.address or None, "url": o.url or None,
            "is_support_desk": o.is_support_desk, "sales_mkrw": _dec(o.sales_mkrw),
            "rnd_mkrw": _dec(o.rnd_mkrw), "exports_mkrw": _dec(o.exports_mkrw),
            "innobiz": o.innobiz, "venture": o.venture,
            "branch_category": o.branch_category or None, "location": o.location or None,
            "staff": o.staff, "facilities": o.facilities or None,
            "budget_2004_eok": _dec(o.budget_2004_eok), "budget_2005_eok": _dec(o.budget_2005_eok),
            "budget_2006_eok": _dec(o.budget_2006_eok), "source": o.source or None,
            "note": o.note or None,
        }


class ClusterRecord(RecordSchema):
    name: str = Field(min_length=1)
    name_en: str | None = None
    region: str
    complex: str | None = None
    strategic_industries: list[str] = []
    institutes: list[str] = []
    description: str | None = None
    source: str | None = None


@register
class ClusterType(RecordType):
    name = "cluster"
    model = Cluster
    schema = ClusterRecord
    refs = {"region": Ref("region"), "strategic_industries": Ref("field", True),
            "institutes": Ref("organisation", True)}

    def row(self, r: Any, resolved: dict[str, Any]) -> dict[str, Any]:
        return {"name": r.name, "name_en": _text(r.name_en), "region_id": resolved["region"],
                "complex": _text(r.complex), "description": _text(r.description),
                "source": _text(r.source)}

    def export_queryset(self) -> Any:
        return (Cluster.objects.select_related("region")
                .prefetch_related("strategic_industries", "institutes").order_by("pk"))

    def to_record(self, c: Cluster) -> dict[str, Any]:
        return {"name": c.name, "name_en": c.name_en or None, "region": c.region.code,
                "complex": c.complex or None,
                "strategic_industries": sorted(f.external_id for f in c.strategic_industries.all()),
                "institutes": sorted(o.external_id for o in c.institutes.all()),
                "description": c.description or None, "source": c.source or None}


class ExpertRecord(RecordSchema):
    name: str = Field(min_length=1, max_length=80)
    organisation: str
    title: str | None = None
    keywords: list[str] = []
    bio: str | None = None
    fields: list[str] = []
    capacity: int = Field(default=3, ge=0, le=100)
    email: EmailStr | None = None
    phone: str | None = None

    @field_validator("keywords")
    @classmethod
    def _strip(cls, value: list[str]) -> list[str]:
        return [v.strip() for v in value if v.strip()]


@register
class ExpertType(RecordType):
    name = "expert"
    model = Expert
    schema = ExpertRecord
    refs = {"organisation": Ref("organisation"), "fields": Ref("field", True)}

    def row(self, r: Any, resolved: dict[str, Any]) -> dict[str, Any]:
        return {"name": r.name, "organisation_id": resolved["organisation"],
                "title": _text(r.title), "keywords": r.keywords, "bio": _text(r.bio),
                "capacity": r.capacity, "email": _text(r.email), "phone": _text(r.phone)}

    def export_queryset(self) -> Any:
        return (Expert.objects.select_related("organisation").prefetch_related("fields")
                .order_by("pk"))

    def to_record(self, e: Expert) -> dict[str, Any]:
        return {"name": e.name, "organisation": e.organisation.external_id,
                "title": e.title or None, "keywords": e.keywords, "bio": e.bio or None,
                "fields": sorted(f.external_id for f in e.fields.all()), "capacity": e.capacity,
                "email": e.email or None, "phone": e.phone or None}
