"""Import record types of the analytics app (docs/analytics.md, "Activity records").

Amounts are million KRW; `institution` and firms are organisation ids. Every error names the
record's file, line and field (the pipeline adds file and line).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, Literal

from pydantic import Field, field_validator

from clusterhub.core.importing import FieldProblem, RecordSchema, RecordType, Ref, register

from .models import (
    ContractResearch,
    Guidance,
    InstituteYear,
    JointRnd,
    Programme,
    RegionIndicator,
    RoyaltyPayment,
    TechTransfer,
    Training,
)

Category = Literal["joint_rnd", "contract_research", "tech_transfer", "guidance", "training"]
Year = Field(ge=1950, le=2100)
Amount = Field(ge=0, max_digits=14, decimal_places=2)


class ActivityType(RecordType):
    """An activity record type: a written chunk makes the pre-aggregated KPI cells stale."""

    def after_write(self, pks: list[int]) -> None:
        from .kpi import mark_stale

        mark_stale()


def _num(value: Decimal) -> float | int:
    return int(value) if value == value.to_integral_value() else float(value)


class _InstitutionYear(RecordSchema):
    institution: str = Field(min_length=1)
    year: int = Year


class InstituteYearRecord(_InstitutionYear):
    regular_staff: int | None = Field(default=None, ge=0)
    unreported: list[Category] = []

    @field_validator("unreported")
    @classmethod
    def _unique(cls, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise ValueError("a category is listed twice")
        return value


@register
class InstituteYearType(RecordType):
    name = "institute_year"
    model = InstituteYear
    schema = InstituteYearRecord
    refs = {"institution": Ref("organisation")}

    def row(self, r: Any, resolved: dict[str, Any]) -> dict[str, Any]:
        other = (InstituteYear.objects.filter(institution_id=resolved["institution"], year=r.year)
                 .exclude(external_id=r.id).values_list("external_id", flat=True).first())
        if not other:  # the same institution and year twice in this import (staged rows)
            from clusterhub.core.models import ImportStaging

            other = (ImportStaging.objects.filter(type=self.name, data__institution=r.institution,
                                                  data__year=r.year)
                     .exclude(ext_id=r.id).values_list("ext_id", flat=True).first())
        if other:
            raise FieldProblem("year", f"{r.institution} already has a report for {r.year} "
                                       f"(institute_year '{other}')")
        return {"institution_id": resolved["institution"], "year": r.year,
                "regular_staff": r.regular_staff, "unreported": list(r.unreported)}

    def export_queryset(self) -> Any:
        return InstituteYear.objects.select_related("institution").order_by("pk")

    def to_record(self, o: InstituteYear) -> dict[str, Any]:
        return {"institution": o.institution.external_id, "year": o.year,
                "regular_staff": o.regular_staff, "unreported": o.unreported}


class JointRndRecord(_InstitutionYear):
    title: str = Field(min_length=1, max_length=200)
    firms: list[str] = Field(min_length=1)
    gov_mkrw: Decimal = Amount
    sme_mkrw: Decimal = Amount


@register
class JointRndType(ActivityType):
    name = "joint_rnd"
    model = JointRnd
    schema = JointRndRecord
    refs = {"institution": Ref("organisation"), "firms": Ref("organisation", True)}

    def row(self, r: Any, resolved: dict[str, Any]) -> dict[str, Any]:
        return {"institution_id": resolved["institution"], "year": r.year, "title": r.title,
                "gov_mkrw": r.gov_mkrw, "sme_mkrw": r.sme_mkrw}

    def export_queryset(self) -> Any:
        return (JointRnd.objects.select_related("institution").prefetch_related("firms")
                .order_by("pk"))

    def to_record(self, o: JointRnd) -> dict[str, Any]:
        return {"institution": o.institution.external_id, "year": o.year, "title": o.title,
                "firms": sorted(f.external_id for f in o.firms.all()),
                "gov_mkrw": _num(o.gov_mkrw), "sme_mkrw": _num(o.sme_mkrw)}


class ContractResearchRecord(_InstitutionYear):
    client_firms: list[str] = Field(min_length=1)
    amount_mkrw: Decimal = Amount


@register
class ContractResearchType(ActivityType):
    name = "contract_research"
    model = ContractResearch
    schema = ContractResearchRecord
    refs = {"institution": Ref("organisation"), "client_firms": Ref("organisation", True)}

    def row(self, r: Any, resolved: dict[str, Any]) -> dict[str, Any]:
        return {"institution_id": resolved["institution"], "year": r.year,
                "amount_mkrw": r.amount_mkrw}

    def export_queryset(self) -> Any:
        return (ContractResearch.objects.select_related("institution")
                .prefetch_related("client_firms").order_by("pk"))

    def to_record(self, o: ContractResearch) -> dict[str, Any]:
        return {"institution": o.institution.external_id, "year": o.year,
                "client_firms": sorted(f.external_id for f in o.client_firms.all()),
                "amount_mkrw": _num(o.amount_mkrw)}


class TechTransferRecord(_InstitutionYear):
    firm: str = Field(min_length=1)
    royalty_mkrw: Decimal = Amount


@register
class TechTransferType(ActivityType):
    name = "tech_transfer"
    model = TechTransfer
    schema = TechTransferRecord
    refs = {"institution": Ref("organisation"), "firm": Ref("organisation")}

    def row(self, r: Any, resolved: dict[str, Any]) -> dict[str, Any]:
        return {"institution_id": resolved["institution"], "year": r.year,
                "firm_id": resolved["firm"], "royalty_mkrw": r.royalty_mkrw}

    def export_queryset(self) -> Any:
        return TechTransfer.objects.select_related("institution", "firm").order_by("pk")

    def to_record(self, o: TechTransfer) -> dict[str, Any]:
        return {"institution": o.institution.external_id, "year": o.year,
                "firm": o.firm.external_id, "royalty_mkrw": _num(o.royalty_mkrw)}


class RoyaltyPaymentRecord(RecordSchema):
    transfer: str = Field(min_length=1)
    date: dt.date
    amount_mkrw: Decimal = Amount


@register
class RoyaltyPaymentType(ActivityType):
    name = "royalty_payment"
    model = RoyaltyPayment
    schema = RoyaltyPaymentRecord
    refs = {"transfer": Ref("tech_transfer")}

    def row(self, r: Any, resolved: dict[str, Any]) -> dict[str, Any]:
        return {"transfer_id": resolved["transfer"], "date": r.date, "amount_mkrw": r.amount_mkrw}

    def export_queryset(self) -> Any:
        return RoyaltyPayment.objects.select_related("transfer").order_by("pk")

    def to_record(self, o: RoyaltyPayment) -> dict[str, Any]:
        return {"transfer": o.transfer.external_id, "date": o.date.isoformat(),
                "amount_mkrw": _num(o.amount_mkrw)}


class GuidanceRecord(_InstitutionYear):
    firm: str = Field(min_length=1)
    man_months: Decimal = Field(ge=0, max_digits=9, decimal_places=2)


@register
class GuidanceType(ActivityType):
    name = "guidance"
    model = Guidance
    schema = GuidanceRecord
    refs = {"institution": Ref("organisation"), "firm": Ref("organisation")}

    def row(self, r: Any, resolved: dict[str, Any]) -> dict[str, Any]:
        return {"institution_id": resolved["institution"], "year": r.year,
                "firm_id": resolved["firm"], "man_months": r.man_months}

    def export_queryset(self) -> Any:
        return Guidance.objects.select_related("institution", "firm").order_by("pk")

    def to_record(self, o: Guidance) -> dict[str, Any]:
        return {"institution": o.institution.external_id, "year": o.year,
                "firm": o.firm.external_id, "man_months": _num(o.man_months)}


class TrainingRecord(_InstitutionYear):
    firms: list[str] = Field(min_length=1)
    trainees: int = Field(ge=0)


@register
class TrainingType(ActivityType):
    name = "training"
    model = Training
    schema = TrainingRecord
    refs = {"institution": Ref("organisation"), "firms": Ref("organisation", True)}

    def row(self, r: Any, resolved: dict[str, Any]) -> dict[str, Any]:
        return {"institution_id": resolved["institution"], "year": r.year,
                "trainees": r.trainees}

    def export_queryset(self) -> Any:
        return (Training.objects.select_related("institution").prefetch_related("firms")
                .order_by("pk"))

    def to_record(self, o: Training) -> dict[str, Any]:
        return {"institution": o.institution.external_id, "year": o.year,
                "firms": sorted(f.external_id for f in o.firms.all()), "trainees": o.trainees}


class RegionIndicatorRecord(RecordSchema):
    region: str = Field(min_length=1)
    year: int = Year
    indicator: str = Field(min_length=1, max_length=40, pattern=r"^[a-z][a-z0-9_]*$")
    value: Decimal = Field(max_digits=18, decimal_places=3)


@register
class RegionIndicatorType(RecordType):
    name = "region_indicator"
    model = RegionIndicator
    schema = RegionIndicatorRecord
    refs = {"region": Ref("region")}

    def row(self, r: Any, resolved: dict[str, Any]) -> dict[str, Any]:
        from .typology import indicator_names

        if r.indicator not in indicator_names():
            known = ", ".join(sorted(indicator_names()))
            raise FieldProblem("indicator", f"unknown indicator '{r.indicator}' (known: {known})")
        return {"region_id": resolved["region"], "year": r.year, "indicator": r.indicator,
                "value": r.value}

    def export_queryset(self) -> Any:
        return RegionIndicator.objects.select_related("region").order_by("pk")

    def to_record(self, o: RegionIndicator) -> dict[str, Any]:
        return {"region": o.region.code, "year": o.year, "indicator": o.indicator,
                "value": _num(o.value)}


Share = Field(default=None, ge=0, le=1)


class ProgrammeRecord(RecordSchema):
    name: str = Field(min_length=1, max_length=120)
    position: int = Field(default=0, ge=0)
    target: str = Field(max_length=300)
    size: str = Field(max_length=200)
    funding: str = Field(max_length=200)
    content: str = Field(max_length=300)
    eligible_kinds: list[str] = []
    sme_only: bool = False
    gov_share: Decimal | None = Share
    local_share: Decimal | None = Share
    private_share: Decimal | None = Share
    public_cap_mkrw: Decimal | None = Field(default=None, ge=0)
    min_budget_mkrw: Decimal | None = Field(default=None, ge=0)
    max_budget_mkrw: Decimal | None = Field(default=None, ge=0)
    source: str = Field(min_length=1, max_length=200)
    note: str = ""


@register
class ProgrammeType(RecordType):
    name = "programme"
    model = Programme
    schema = ProgrammeRecord

    def row(self, r: Any, resolved: dict[str, Any]) -> dict[str, Any]:
        from clusterhub.core.models import Organisation

        shares = [r.gov_share, r.local_share, r.private_share]
        if any(s is not None for s in shares):
            if any(s is None for s in shares):
                raise FieldProblem("gov_share", "give all three shares or none")
            if sum(shares) != 1:
                raise FieldProblem("private_share", f"shares add up to {sum(shares)}, not 1")
        unknown = [k for k in r.eligible_kinds if k not in Organisation.Kind.values]
        if unknown:
            raise FieldProblem("eligible_kinds", f"unknown organisation kind '{unknown[0]}'")
        return {k: getattr(r, k) for k in ProgrammeRecord.model_fields if k != "id"}

    def to_record(self, o: Programme) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for k in ProgrammeRecord.model_fields:
            if k == "id":
                continue
            v = getattr(o, k)
            out[k] = _num(v) if isinstance(v, Decimal) else v
        return out
