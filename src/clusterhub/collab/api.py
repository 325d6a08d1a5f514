"""The collab part of /api/v1/: workspaces, jobs, documents (multipart upload, verified
download), receipts (acknowledgements), change requests and KPIs. A workspace the caller is not
a member of is a 404 for everything in it."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, Literal

from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.http import content_disposition_header
from ninja import File, Form, Router, Schema, Status
from ninja.files import UploadedFile
from pydantic import Field

from clusterhub.core.actions import ActionRefused
from clusterhub.core.api_auth import bearer
from clusterhub.core.models import Organisation

from . import actions, kpis, queries
from .models import (
    ChangeOrigin,
    ChangeRequest,
    Document,
    DocumentKind,
    Job,
    Membership,
    Phase,
    Receipt,
)

router = Router(tags=["collab"])


def _user(request: HttpRequest) -> Any:
    return request.auth  # type: ignore[attr-defined]


def _member(request: HttpRequest, ws_id: int) -> Membership:
    return queries.get_workspace(_user(request), ws_id)[1]


def _firm(value: str | None, field: str) -> Organisation | None:
    if not value:
        return None
    org = Organisation.objects.filter(external_id=value).first()
    if org is None:
        raise ActionRefused(f"unknown organisation '{value}'", field, code="invalid")
    return org


class WorkspaceOut(Schema):
    id: int
    external_id: str
    name: str
    lead_firm: str
    role: str
    firm: str
    version: int


class StageOut(Schema):
    id: int
    seq: int
    code: str
    name: str
    phase: str
    status: str
    responsible: str
    planned_start: date
    planned_end: date
    actual_start: date | None
    actual_end: date | None
    evidence_label: str
    evidence_record: str
    evidence_revision: int | None


class JobOut(Schema):
    id: int
    external_id: str
    code: str
    title: str
    kind: str
    supplier: str
    designer: str | None
    ordered_on: date
    due_on: date
    original_due_on: date
    delivered_on: date | None
    status: str
    stages: list[StageOut] | None = None


class JobIn(Schema):
    code: str = Field(min_length=1, max_length=40)
    title: str = Field(min_length=1, max_length=200)
    kind: str
    supplier: str
    designer: str | None = None
    ordered_on: date
    due_on: date


class IterationOut(Schema):
    number: int
    filename: str
    size: int
    sha256: str
    content_type: str
    created_at: datetime
    note: str


class ReceiptOut(Schema):
    id: int
    document: int
    revision: str
    recipient: str
    sent_at: datetime
    supersedes: str | None
    acknowledged_at: datetime | None


class RevisionOut(Schema):
    id: int
    letter: str
    state: str
    released_at: datetime | None
    iterations: list[IterationOut]
    receipts: list[ReceiptOut]


class DocumentOut(Schema):
    id: int
    number: str
    title: str
    kind: str
    job: str | None
    checked_out_by: str | None
    revisions: list[RevisionOut] | None = None


class UploadOut(Schema):
    document: int
    revision: str
    iteration: int
    sha256: str
    size: int


class ChangeIn(Schema):
    workspace: int
    title: str = Field(min_length=1, max_length=200)
    reason: str = Field(min_length=1)
    origin: ChangeOrigin
    documents: list[int] = []
    jobs: list[int] = []
    cost_krw: Decimal = Decimal(0)
    days: int = Field(default=0, ge=-365, le=365)
    steel_safe: bool = True
    phase: Phase | None = None
    approvers: list[str] = []


class ApprovalOut(Schema):
    organisation: str
    required: bool
    decision: str
    decided_at: datetime | None
    comment: str


class ChangeOut(Schema):
    id: int
    workspace: int
    number: int
    title: str
    reason: str
    origin: str
    raised_by_firm: str
    status: str
    phase: str
    cost_krw: Decimal
    days: int
    steel_safe: bool
    documents: list[int]
    jobs: list[int]
    approvals: list[ApprovalOut]
    applied_at: datetime | None


class DecisionIn(Schema):
    decision: Literal["approve", "reject"]
    comment: str = ""


def ws_out(m: Membership) -> dict[str, Any]:
    w = m.workspace
    return {"id": w.pk, "external_id": w.external_id, "name": w.name,
            "lead_firm": w.lead_firm.external_id, "role": m.role,
            "firm": m.organisation.external_id, "version": w.version}


def job_out(j: Job, detail: bool = False) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": j.pk, "external_id": j.external_id, "code": j.code, "title": j.title,
        "kind": j.kind, "supplier": j.supplier.external_id,
        "designer": j.designer.external_id if j.designer else None,
        "ordered_on": j.ordered_on, "due_on": j.due_on, "original_due_on": j.original_due_on,
        "delivered_on": j.delivered_on, "status": j.status}
    if detail:
        data["stages"] = [
            {"id": s.pk, "seq": s.seq, "code": s.code, "name": s.name, "phase": s.phase,
             "status": s.status, "responsible": s.responsible.external_id,
             "planned_start": s.planned_start, "planned_end": s.planned_end,
             "actual_start": s.actual_start, "actual_end": s.actual_end,
             "evidence_label": s.evidence_label, "evidence_record": s.evidence_record,
             "evidence_revision": s.evidence_revision_id}
            for s in j.stages.select_related("responsible").order_by("seq")]
    return data


def receipt_out(r: Receipt) -> dict[str, Any]:
    return {"id": r.pk, "document": r.revision.document_id, "revision": r.revision.letter,
            "recipient": r.organisation.external_id, "sent_at": r.sent_at,
            "supersedes": r.supersedes.letter if r.supersedes else None,
            "acknowledged_at": r.acknowledged_at}


def doc_out(d: Document, m: Membership, detail: bool = False) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": d.pk, "number": d.number, "title": d.title, "kind": d.kind,
        "job": d.job.code if d.job else None,
        "checked_out_by": (h.username if (h := d.lock_holder()) else None)}
    if detail:
        revs = d.revisions.prefetch_related("iterations__blob", "receipts__organisation",
                                            "receipts__supersedes", "receipts__revision")
        if m.is_guest:
            revs = revs.filter(receipts__organisation_id=m.organisation_id)
        data["revisions"] = [
            {"id": r.pk, "letter": r.letter, "state": r.state, "released_at": r.released_at,
             "iterations": [{"number": i.number, "filename": i.filename, "size": i.blob.size,
                             "sha256": i.blob.sha256, "content_type": i.blob.content_type,
                             "created_at": i.created_at, "note": i.note}
                            for i in r.iterations.all()],
             "receipts": [receipt_out(x) for x in r.receipts.all()
                          if not m.is_guest or x.organisation_id == m.organisation_id]}
            for r in revs.order_by("index")]
    return data


def change_out(c: ChangeRequest) -> dict[str, Any]:
    return {"id": c.pk, "workspace": c.workspace_id, "number": c.number, "title": c.title,
            "reason": c.reason, "origin": c.origin,
            "raised_by_firm": c.raised_by_firm.external_id, "status": c.status,
            "phase": c.phase, "cost_krw": c.cost_krw, "days": c.days,
            "steel_safe": c.steel_safe,
            "documents": sorted(d.pk for d in c.documents.all()),
            "jobs": sorted(j.pk for j in c.jobs.all()),
            "approvals": [{"organisation": a.organisation.external_id, "required": a.required,
                           "decision": a.decision, "decided_at": a.decided_at,
                           "comment": a.comment}
                          for a in c.approvals.select_related("organisation")],
            "applied_at": c.applied_at}


@router.get("/workspaces", response=list[WorkspaceOut], auth=bearer)
def list_workspaces(request: HttpRequest) -> Any:
    rows = (Membership.objects.filter(user=_user(request))
            .select_related("workspace__lead_firm", "organisation").order_by("workspace__name"))
    return [ws_out(m) for m in rows]


@router.get("/workspaces/{ws_id}", response=WorkspaceOut, auth=bearer)
def get_workspace(request: HttpRequest, ws_id: int) -> Any:
    return ws_out(_member(request, ws_id))


@router.get("/workspaces/{ws_id}/jobs", response=list[JobOut], auth=bearer)
def list_jobs(request: HttpRequest, ws_id: int, status: str = "") -> Any:
    qs = queries.jobs_for(_member(request, ws_id)).select_related("supplier", "designer")
    if status:
        qs = qs.filter(status=status)
    return [job_out(j) for j in qs.order_by("code")]


@router.post("/workspaces/{ws_id}/jobs", response={201: JobOut}, auth=bearer)
def create_job(request: HttpRequest, ws_id: int, payload: JobIn) -> Any:
    m = _member(request, ws_id)
    supplier = _firm(payload.supplier, "supplier")
    assert supplier is not None
    job = actions.create_job(_user(request), m.workspace, code=payload.code,
                             title=payload.title, kind=payload.kind, supplier=supplier,
                             designer=_firm(payload.designer, "designer"),
                             ordered_on=payload.ordered_on, due_on=payload.due_on)
    return Status(201, job_out(job, detail=True))


@router.get("/workspaces/{ws_id}/jobs/{job_id}", response=JobOut, auth=bearer)
def get_job(request: HttpRequest, ws_id: int, job_id: int) -> Any:
    return job_out(queries.get_job(_member(request, ws_id), job_id), detail=True)


@router.get("/workspaces/{ws_id}/documents", response=list[DocumentOut], auth=bearer)
def list_documents(request: HttpRequest, ws_id: int) -> Any:
    m = _member(request, ws_id)
    return [doc_out(d, m) for d in queries.documents_for(m)
            .select_related("job", "checked_out_by").order_by("number")]


@router.post("/workspaces/{ws_id}/documents", response={201: UploadOut}, auth=bearer)
def upload_document(request: HttpRequest, ws_id: int, number: Form[str],
                    file: File[UploadedFile], title: Form[str] = "",
                    kind: Form[str] = DocumentKind.DRAWING, note: Form[str] = "") -> Any:
    """A file for document `number`: created with `title` and `kind` when new; the file becomes
    the next iteration of its working revision, or the first of its next revision."""
    m = _member(request, ws_id)
    user = _user(request)
    doc = queries.documents_for(m).filter(number=number.strip()).first()
    content = file.read(_limit() + 1)
    actions.check_upload(file.name or "", content)
    with transaction.atomic():  # a new document without its file is not left behind
        if doc is None:
            doc = actions.create_document(user, m.workspace, number=number,
                                          title=title or number, kind=kind)
        it = actions.upload(user, doc, name=file.name or "", content=content, note=note)
    return Status(201, {"document": doc.pk, "revision": it.revision.letter,
                        "iteration": it.number, "sha256": it.blob.sha256, "size": it.blob.size})


def _limit() -> int:
    from django.conf import settings

    return int(settings.CLUSTERHUB_MAX_UPLOAD_BYTES)


@router.get("/workspaces/{ws_id}/documents/{doc_id}", response=DocumentOut, auth=bearer)
def get_document(request: HttpRequest, ws_id: int, doc_id: int) -> Any:
    m = _member(request, ws_id)
    return doc_out(queries.get_document(m, doc_id), m, detail=True)


@router.get("/workspaces/{ws_id}/documents/{doc_id}/revisions/{rev}/file", auth=bearer)
def download_file(request: HttpRequest, ws_id: int, doc_id: int, rev: str,
                  iteration: int | None = None) -> HttpResponse:
    """The file (latest iteration unless `iteration`), hash-verified, logged, PDFs stamped."""
    m = _member(request, ws_id)
    it = queries.get_iteration(m, doc_id, rev, iteration)
    content, _log = actions.download(_user(request), it, via="api")
    response = HttpResponse(content, content_type=it.blob.content_type)
    response["Content-Disposition"] = content_disposition_header(True, it.filename) or ""
    response["X-Content-SHA256"] = it.blob.sha256
    return response


@router.post("/workspaces/{ws_id}/documents/{doc_id}/revisions/{rev}/release",
             response=DocumentOut, auth=bearer)
def release_revision(request: HttpRequest, ws_id: int, doc_id: int, rev: str) -> Any:
    m = _member(request, ws_id)
    r = queries.get_revision(m, doc_id, rev)
    actions.release(_user(request), r)
    return doc_out(Document.objects.get(pk=doc_id), m, detail=True)


@router.get("/workspaces/{ws_id}/acknowledgements", response=list[ReceiptOut], auth=bearer)
def list_receipts(request: HttpRequest, ws_id: int, pending: bool = True) -> Any:
    """The caller's firm's receipts in this workspace (only those still to acknowledge unless
    pending=false)."""
    m = _member(request, ws_id)
    qs = Receipt.objects.filter(revision__document__workspace_id=m.workspace_id,
                                organisation_id=m.organisation_id)
    if pending:
        qs = qs.filter(acknowledged_at__isnull=True)
    return [receipt_out(r) for r in qs.select_related("revision", "organisation", "supersedes")
            .order_by("sent_at", "pk")]


@router.post("/workspaces/{ws_id}/acknowledgements/{receipt_id}", response=ReceiptOut,
             auth=bearer)
def acknowledge(request: HttpRequest, ws_id: int, receipt_id: int) -> Any:
    m = _member(request, ws_id)
    r = actions.acknowledge(_user(request), queries.get_receipt(m, receipt_id))
    return receipt_out(Receipt.objects.select_related("revision", "organisation",
                                                      "supersedes").get(pk=r.pk))


@router.get("/workspaces/{ws_id}/kpis", auth=bearer)
def workspace_kpis(request: HttpRequest, ws_id: int, start: date | None = None,
                   end: date | None = None, firm: str | None = None) -> Any:
    m = _member(request, ws_id)
    if m.is_guest:
        raise Http404
    end = end or timezone.localdate()
    start = start or end - timedelta(days=364)
    org = _firm(firm, "firm")
    return kpis.compute(m.workspace, start, end, org.pk if org else None).as_dict()


def _change_for(request: HttpRequest, change_id: int) -> tuple[ChangeRequest, Membership]:
    cr = ChangeRequest.objects.filter(pk=change_id).only("workspace_id").first()
    if cr is None:
        raise Http404
    m = _member(request, cr.workspace_id)
    return queries.get_change(m, change_id), m


@router.get("/change-requests", response=list[ChangeOut], auth=bearer)
def list_changes(request: HttpRequest, workspace: int | None = None, status: str = "") -> Any:
    ids = list(Membership.objects.filter(user=_user(request))
               .exclude(role="guest").values_list("workspace_id", flat=True))
    qs = ChangeRequest.objects.filter(workspace_id__in=ids)
    if workspace is not None:
        qs = qs.filter(workspace_id=workspace)
    if status:
        qs = qs.filter(status=status)
    return [change_out(c) for c in qs.select_related("raised_by_firm")
            .prefetch_related("documents", "jobs").order_by("workspace_id", "number")]


@router.post("/change-requests", response={201: ChangeOut}, auth=bearer)
def create_change(request: HttpRequest, payload: ChangeIn) -> Any:
    m = _member(request, payload.workspace)
    docs = list(queries.documents_for(m).filter(pk__in=payload.documents))
    if len(docs) != len(set(payload.documents)):
        raise ActionRefused("unknown document in this workspace", "documents", code="invalid")
    jobs = list(queries.jobs_for(m).filter(pk__in=payload.jobs))
    if len(jobs) != len(set(payload.jobs)):
        raise ActionRefused("unknown job in this workspace", "jobs", code="invalid")
    approvers = [o for o in (_firm(a, "approvers") for a in payload.approvers) if o]
    cr = actions.raise_change(_user(request), m.workspace, title=payload.title,
                              reason=payload.reason, origin=payload.origin, documents=docs,
                              jobs=jobs, cost_krw=payload.cost_krw, days=payload.days,
                              steel_safe=payload.steel_safe, phase=payload.phase,
                              approvers=approvers)
    return Status(201, change_out(cr))


@router.get("/change-requests/{change_id}", response=ChangeOut, auth=bearer)
def get_change(request: HttpRequest, change_id: int) -> Any:
    return change_out(_change_for(request, change_id)[0])


@router.post("/change-requests/{change_id}/decision", response=ChangeOut, auth=bearer)
def decide(request: HttpRequest, change_id: int, payload: DecisionIn) -> Any:
    cr, _m = _change_for(request, change_id)
    actions.decide(_user(request), cr, approve=payload.decision == "approve",
                   comment=payload.comment)
    return change_out(ChangeRequest.objects.get(pk=cr.pk))


@router.post("/change-requests/{change_id}/apply", response=ChangeOut, auth=bearer)
def apply(request: HttpRequest, change_id: int) -> Any:
    cr, _m = _change_for(request, change_id)
    actions.apply_change(_user(request), cr)
    return change_out(ChangeRequest.objects.get(pk=cr.pk))



