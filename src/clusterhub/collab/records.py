"""Import record types for historical collaboration data: `workspace`, `mould_job`,
`job_stage`, `job_wait` (waiting on the customer) and `job_event` (shipment, delivery, receipt).
Formats in docs/collab.md, "Import"."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from pydantic import Field

from clusterhub.core.importing import FieldProblem, RecordSchema, RecordType, Ref, register

from .models import Job, JobStage, LogisticsEvent, WaitingInterval, Workspace


class WorkspaceRecord(RecordSchema):
    name: str = Field(min_length=1, max_length=200)
    lead_firm: str
    description: str = ""
    source: str = ""


@register
class WorkspaceType(RecordType):
    name = "workspace"
    model = Workspace
    schema = WorkspaceRecord
    refs = {"lead_firm": Ref("organisation")}

    def row(self, r: Any, resolved: dict[str, Any]) -> dict[str, Any]:
        return {"name": r.name, "lead_firm_id": resolved["lead_firm"],
                "description": r.description, "source": r.source}

    def export_queryset(self) -> Any:
        return Workspace.objects.select_related("lead_firm").order_by("pk")

    def to_record(self, w: Workspace) -> dict[str, Any]:
        return {"name": w.name, "lead_firm": w.lead_firm.external_id,
                "description": w.description, "source": w.source}


class JobRecord(RecordSchema):
    workspace: str
    code: str = Field(min_length=1, max_length=40)
    title: str = Field(min_length=1, max_length=200)
    kind: Literal["injection_mould", "blow_mould"]
    supplier: str
    designer: str | None = None
    ordered_on: date
    due_on: date
    original_due_on: date | None = None
    delivered_on: date | None = None
    status: Literal["open", "delivered", "cancelled"] = "open"


@register
class JobType(RecordType):
    name = "mould_job"
    model = Job
    schema = JobRecord
    refs = {"workspace": Ref("workspace"), "supplier": Ref("organisation"),
            "designer": Ref("organisation")}

    def row(self, r: Any, resolved: dict[str, Any]) -> dict[str, Any]:
        if r.due_on < r.ordered_on:
            raise FieldProblem("due_on", "before ordered_on")
        if r.delivered_on is not None and r.delivered_on < r.ordered_on:
            raise FieldProblem("delivered_on", "before ordered_on")
        if r.status == "delivered" and r.delivered_on is None:
            raise FieldProblem("delivered_on", "required when status is delivered")
        if r.status != "delivered" and r.delivered_on is not None:
            raise FieldProblem("status", "must be delivered when delivered_on is given")
        return {"workspace_id": resolved["workspace"], "code": r.code, "title": r.title,
                "kind": r.kind, "supplier_id": resolved["supplier"],
                "designer_id": resolved["designer"], "ordered_on": r.ordered_on,
                "due_on": r.due_on, "original_due_on": r.original_due_on or r.due_on,
                "delivered_on": r.delivered_on, "status": r.status}

    def export_queryset(self) -> Any:
        return Job.objects.select_related("workspace", "supplier", "designer").order_by("pk")

    def to_record(self, j: Job) -> dict[str, Any]:
        return {"workspace": j.workspace.external_id, "code": j.code, "title": j.title,
                "kind": j.kind, "supplier": j.supplier.external_id,
                "designer": j.designer.external_id if j.designer else None,
                "ordered_on": j.ordered_on.isoformat(), "due_on": j.due_on.isoformat(),
                "original_due_on": j.original_due_on.isoformat(),
                "delivered_on": j.delivered_on.isoformat() if j.delivered_on else None,
                "status": j.status}


class StageRecord(RecordSchema):
    job: str
    seq: int = Field(ge=1, le=32000)
    code: str = Field(min_length=1, max_length=32)
    name: str = Field(min_length=1, max_length=80)
    name_en: str = ""
    phase: Literal["before_steel", "after_steel"]
    is_trial: bool = False
    responsible: str
    planned_start: date
    planned_end: date
    actual_start: date | None = None
    actual_end: date | None = None
    status: Literal["pending", "active", "done"] = "pending"
    evidence_kind: Literal["file", "record"] = "record"
    evidence_label: str = Field(min_length=1, max_length=120)
    evidence_record: str = Field(default="", max_length=300)


@register
class StageType(RecordType):
    name = "job_stage"
    model = JobStage
    schema = StageRecord
    refs = {"job": Ref("mould_job"), "responsible": Ref("organisation")}

    def row(self, r: Any, resolved: dict[str, Any]) -> dict[str, Any]:
        if r.planned_end < r.planned_start:
            raise FieldProblem("planned_end", "before planned_start")
        if r.actual_end is not None and (r.actual_start is None or r.actual_end < r.actual_start):
            raise FieldProblem("actual_end", "needs an actual_start on or before it")
        if r.status == "done" and (r.actual_end is None or not r.evidence_record):
            raise FieldProblem("evidence_record" if r.actual_end else "actual_end",
                               "a done stage needs its end date and the evidence record")
        return {"job_id": resolved["job"], "seq": r.seq, "code": r.code, "name": r.name,
                "name_en": r.name_en, "phase": r.phase, "is_trial": r.is_trial,
                "responsible_id": resolved["responsible"], "planned_start": r.planned_start,
                "planned_end": r.planned_end, "actual_start": r.actual_start,
                "actual_end": r.actual_end, "status": r.status,
                "evidence_kind": r.evidence_kind, "evidence_label": r.evidence_label,
                "evidence_record": r.evidence_record}

    def export_queryset(self) -> Any:
        return JobStage.objects.select_related("job", "responsible").order_by("pk")

    def to_record(self, s: JobStage) -> dict[str, Any]:
        def iso(d: date | None) -> str | None:
            return d.isoformat() if d else None

        return {"job": s.job.external_id, "seq": s.seq, "code": s.code, "name": s.name,
                "name_en": s.name_en, "phase": s.phase, "is_trial": s.is_trial,
                "responsible": s.responsible.external_id, "planned_start": iso(s.planned_start),
                "planned_end": iso(s.planned_end), "actual_start": iso(s.actual_start),
                "actual_end": iso(s.actual_end), "status": s.status,
                "evidence_kind": s.evidence_kind, "evidence_label": s.evidence_label,
                "evidence_record": s.evidence_record}


class WaitRecord(RecordSchema):
    job: str
    started_on: date
    ended_on: date
    reason: str = Field(min_length=1, max_length=200)


@register
class WaitType(RecordType):
    name = "job_wait"
    model = WaitingInterval
    schema = WaitRecord
    refs = {"job": Ref("mould_job")}

    def row(self, r: Any, resolved: dict[str, Any]) -> dict[str, Any]:
        if r.ended_on < r.started_on:
            raise FieldProblem("ended_on", "before started_on")
        return {"job_id": resolved["job"], "started_on": r.started_on, "ended_on": r.ended_on,
                "reason": r.reason}

    def export_queryset(self) -> Any:
        return WaitingInterval.objects.select_related("job").order_by("pk")

    def to_record(self, w: WaitingInterval) -> dict[str, Any]:
        return {"job": w.job.external_id, "started_on": w.started_on.isoformat(),
                "ended_on": w.ended_on.isoformat(), "reason": w.reason}


class EventRecord(RecordSchema):
    job: str
    kind: Literal["shipment", "delivery", "receipt"]
    on: date
    organisation: str
    carrier: str = Field(default="", max_length=100)
    tracking: str = Field(default="", max_length=100)
    note: str = Field(default="", max_length=300)


@register
class EventType(RecordType):
    name = "job_event"
    model = LogisticsEvent
    schema = EventRecord
    refs = {"job": Ref("mould_job"), "organisation": Ref("organisation")}

    def row(self, r: Any, resolved: dict[str, Any]) -> dict[str, Any]:
        return {"job_id": resolved["job"], "kind": r.kind, "on": r.on,
                "organisation_id": resolved["organisation"], "carrier": r.carrier,
                "tracking": r.tracking, "note": r.note}

    def export_queryset(self) -> Any:
        return LogisticsEvent.objects.select_related("job", "organisation").order_by("pk")

    def to_record(self, e: LogisticsEvent) -> dict[str, Any]:
        return {"job": e.job.external_id, "kind": e.kind, "on": e.on.isoformat(),
                "organisation": e.organisation.external_id, "carrier": e.carrier,
                "tracking": e.tracking, "note": e.note}
