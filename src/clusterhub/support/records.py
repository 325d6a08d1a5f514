"""Import record type `case`: historical solved cases for the knowledge base."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from clusterhub.core.importing import RecordSchema, RecordType, Ref, register

from .models import SolvedCase

SupportTypeName = Literal["guidance", "joint_rnd", "contract_research", "tech_transfer",
                          "testing", "prototype", "equipment", "training", "consulting"]


class CaseRecord(RecordSchema):
    title: str = Field(min_length=1, max_length=200)
    problem: str = Field(min_length=1)
    solution: str = Field(min_length=1)
    support_type: SupportTypeName
    region: str | None = None
    year: int = Field(ge=1950, le=2100)
    experts: list[str] = []
    firm: str | None = None
    fields: list[str] = []
    outcome: str | None = None


@register
class CaseType(RecordType):
    name = "case"
    model = SolvedCase
    schema = CaseRecord
    refs = {"region": Ref("region"), "experts": Ref("expert", True),
            "firm": Ref("organisation"), "fields": Ref("field", True)}

    def row(self, r: Any, resolved: dict[str, Any]) -> dict[str, Any]:
        return {"title": r.title, "problem": r.problem, "solution": r.solution,
                "support_type": r.support_type, "region_id": resolved["region"], "year": r.year,
                "firm_id": resolved["firm"], "outcome": r.outcome or ""}

    def export_queryset(self) -> Any:
        return (SolvedCase.objects.select_related("region", "firm").prefetch_related("experts", "fields")
                .order_by("pk"))

    def to_record(self, c: SolvedCase) -> dict[str, Any]:
        return {"title": c.title, "problem": c.problem, "solution": c.solution,
                "support_type": c.support_type, "region": c.region.code if c.region else None,
                "year": c.year, "experts": sorted(e.external_id for e in c.experts.all()),
                "firm": c.firm.external_id if c.firm else None,
                "fields": sorted(f.external_id for f in c.fields.all()),
                "outcome": c.outcome or None}
