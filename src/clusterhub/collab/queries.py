"""Named reads of the collab app. Every object a view or endpoint shows comes through these:
"missing" and "not a member" are both a 404."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Prefetch, Q, QuerySet
from django.http import Http404

from .models import (
    Approval,
    ChangeRequest,
    ChangeStatus,
    Document,
    DownloadLog,
    Iteration,
    Job,
    JobStage,
    Membership,
    Receipt,
    Revision,
    RevisionState,
    StageStatus,
    Workspace,
)


def workspaces_for(user: Any) -> QuerySet[Workspace]:
    return (Workspace.objects.for_user(user).select_related("lead_firm")
            .annotate(n_members=Count("memberships", distinct=True)).order_by("name"))


def get_workspace(user: Any, pk: int) -> tuple[Workspace, Membership]:
    """The workspace and the user's membership; 404 for missing and not-a-member alike."""
    m = (Membership.objects.select_related("workspace", "workspace__lead_firm", "organisation")
         .filter(workspace_id=pk, user=user).first()) if user.is_authenticated else None
    if m is None:
        raise Http404
    return m.workspace, m


def documents_for(m: Membership) -> QuerySet[Document]:
    """The workspace's documents; a guest sees only those with a revision sent to its firm."""
    qs = Document.objects.filter(workspace_id=m.workspace_id)
    if m.is_guest:
        qs = qs.filter(revisions__receipts__organisation_id=m.organisation_id).distinct()
    return qs


def jobs_for(m: Membership) -> QuerySet[Job]:
    if m.is_guest:
        return Job.objects.none()
    return Job.objects.filter(workspace_id=m.workspace_id)


def changes_for(m: Membership) -> QuerySet[ChangeRequest]:
    if m.is_guest:
        return ChangeRequest.objects.none()
    return ChangeRequest.objects.filter(workspace_id=m.workspace_id)


def get_job(m: Membership, pk: int) -> Job:
    job = jobs_for(m).select_related("supplier", "designer", "workspace").filter(pk=pk).first()
    if job is None:
        raise Http404
    return job


def get_stage(m: Membership, job_pk: int, pk: int) -> JobStage:
    job = get_job(m, job_pk)
    stage = job.stages.select_related("responsible", "job__workspace").filter(pk=pk).first()
    if stage is None:
        raise Http404
    return stage


def get_document(m: Membership, pk: int) -> Document:
    doc = (documents_for(m).select_related("workspace", "job", "checked_out_by")
           .filter(pk=pk).first())
    if doc is None:
        raise Http404
    return doc


def get_revision(m: Membership, doc_pk: int, letter_or_pk: str | int) -> Revision:
    doc = get_document(m, doc_pk)
    qs = doc.revisions.select_related("document__workspace")
    if m.is_guest:
        qs = qs.filter(receipts__organisation_id=m.organisation_id)
    key = str(letter_or_pk)
    rev = (qs.filter(pk=int(key)).first() if key.isdigit() else qs.filter(letter=key).first())
    if rev is None:
        raise Http404
    return rev


def get_iteration(m: Membership, doc_pk: int, rev: str | int, number: int | None = None
                  ) -> Iteration:
    revision = get_revision(m, doc_pk, rev)
    qs = revision.iterations.select_related("blob", "revision__document__workspace")
    it = qs.filter(number=number).first() if number else qs.order_by("-number").first()
    if it is None:
        raise Http404
    return it


def get_receipt(m: Membership, pk: int) -> Receipt:
    r = (Receipt.objects.select_related("revision__document__workspace", "organisation")
         .filter(pk=pk, revision__document__workspace_id=m.workspace_id).first())
    if r is None or (m.is_guest and r.organisation_id != m.organisation_id):
        raise Http404
    return r


def get_change(m: Membership, pk: int) -> ChangeRequest:
    cr = (changes_for(m).select_related("workspace", "raised_by", "raised_by_firm")
          .filter(pk=pk).first())
    if cr is None:
        raise Http404
    return cr


def membership_for_object(user: Any, workspace_id: int) -> Membership:
    """For endpoints addressed by an object id alone (change requests, receipts)."""
    return get_workspace(user, workspace_id)[1]


def board(m: Membership, recent_days: int = 30) -> list[dict[str, Any]]:
    """Open jobs and those delivered in the last `recent_days`, each with its current stage
    (the first not done) and progress, in one query."""
    from datetime import timedelta

    from django.db.models import OuterRef, Subquery
    from django.utils import timezone

    since = timezone.localdate() - timedelta(days=recent_days)
    current = (JobStage.objects.filter(job=OuterRef("pk")).exclude(status=StageStatus.DONE)
               .order_by("seq"))
    jobs = (jobs_for(m).filter(Q(status="open") | Q(delivered_on__gte=since))
            .select_related("supplier")
            .annotate(n_done=Count("stages", filter=Q(stages__status=StageStatus.DONE)),
                      n_stages=Count("stages"),
                      current_name=Subquery(current.values("name")[:1]),
                      current_status=Subquery(current.values("status")[:1]))
            .order_by("due_on", "code"))
    return [{"job": job, "done": job.n_done, "total": job.n_stages,
             "current": ({"name": job.current_name, "status": job.current_status}
                         if job.current_name else None)}
            for job in jobs]


def document_rows(m: Membership) -> list[Document]:
    return list(documents_for(m).select_related("job", "checked_out_by")
                .prefetch_related(Prefetch("revisions",
                                           queryset=Revision.objects.order_by("index")))
                .order_by("number"))


def pending_receipts(m: Membership) -> QuerySet[Receipt]:
    """Receipts the member's firm still has to acknowledge in this workspace."""
    return (Receipt.objects.filter(revision__document__workspace_id=m.workspace_id,
                                   organisation_id=m.organisation_id,
                                   acknowledged_at__isnull=True)
            .select_related("revision__document", "supersedes").order_by("sent_at"))


def approval_queue(m: Membership) -> QuerySet[Approval]:
    """Open change requests waiting on the member's firm."""
    if not m.can_manage:
        return Approval.objects.none()
    return (Approval.objects.filter(change__workspace_id=m.workspace_id,
                                    organisation_id=m.organisation_id,
                                    decision=Approval.Decision.PENDING,
                                    change__status=ChangeStatus.OPEN)
            .select_related("change", "change__raised_by_firm").order_by("change__created_at"))


def supersede_flags(document: Document) -> list[dict[str, Any]]:
    """Firms possibly still working on a superseded revision: recipients who have not
    acknowledged the current release, and downloads of superseded revisions since."""
    current = document.revisions.filter(state=RevisionState.RELEASED).first()
    flags: list[dict[str, Any]] = []
    if current is None:
        return flags
    for r in current.receipts.filter(acknowledged_at__isnull=True,
                                     supersedes__isnull=False).select_related("organisation",
                                                                              "supersedes"):
        flags.append({"firm": r.organisation, "kind": "unacknowledged",
                      "old": r.supersedes.letter if r.supersedes else "", "since": r.sent_at})
    for d in (DownloadLog.objects.filter(iteration__revision__document=document, superseded=True,
                                         at__gte=current.released_at)
              .select_related("organisation", "user", "iteration__revision")):
        flags.append({"firm": d.organisation, "kind": "downloaded",
                      "old": d.iteration.revision.letter, "since": d.at, "user": d.user})
    return flags


def download_log(document: Document, limit: int = 100) -> list[DownloadLog]:
    return list(DownloadLog.objects.filter(iteration__revision__document=document)
                .select_related("user", "organisation", "iteration__revision")[:limit])


def firm_filter(qs: QuerySet[Any], firm_id: int | None, field: str) -> QuerySet[Any]:
    return qs.filter(Q(**{field: firm_id})) if firm_id else qs
