"""Pages of the collab app. Thin: parse, find through queries (404 for non-members), call the
action, respond."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header, url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from clusterhub.core import charts
from clusterhub.core.actions import ActionRefused

from . import actions, kpis, queries, storage
from .forms import (
    ChangeForm,
    DecisionForm,
    DistributionForm,
    DocumentForm,
    InviteForm,
    JobForm,
    KpiForm,
    LogisticsForm,
    StageCloseForm,
    StageDateForm,
    UploadForm,
    WaitForm,
)
from .models import (
    Approval,
    ChangeStatus,
    MemberRole,
    Membership,
    TransferError,
    Workspace,
)

View = Callable[..., HttpResponse]


def member_view(view: View) -> View:
    """Login required; the workspace in the URL must be one the user is a member of (404)."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, ws: int, *args: Any, **kwargs: Any) -> HttpResponse:
        workspace, m = queries.get_workspace(request.user, ws)
        return view(request, workspace, m, *args, **kwargs)

    return wrapper


def _refused(request: HttpRequest, exc: ActionRefused) -> None:
    messages.error(request, exc.message)


def _form_errors(request: HttpRequest, form: Any) -> None:
    for field, errors in form.errors.items():
        label = form.fields[field].label if field in form.fields else ""
        messages.error(request, f"{label}: {' '.join(errors)}" if label else " ".join(errors))


def _ctx(ws: Workspace, m: Membership, **extra: Any) -> dict[str, Any]:
    return {"ws": ws, "me": m, "today": timezone.localdate(), **extra}


@login_required
def index(request: HttpRequest) -> HttpResponse:
    return render(request, "collab/index.html",
                  {"workspaces": list(queries.workspaces_for(request.user))})


@login_required
def invitation(request: HttpRequest, token: str) -> HttpResponse:
    if request.method == "POST":
        try:
            m = actions.accept_invitation(request.user, token)
        except ActionRefused as exc:
            _refused(request, exc)
            return render(request, "collab/invitation.html", {"token": token}, status=400)
        messages.success(request, _("Welcome to %(ws)s.") % {"ws": m.workspace.name})
        return redirect("collab:workspace", ws=m.workspace_id)
    return render(request, "collab/invitation.html", {"token": token})


@member_view
def workspace(request: HttpRequest, ws: Workspace, m: Membership) -> HttpResponse:
    members = list(ws.memberships.select_related("user", "organisation")
                   .order_by("organisation__name", "user__username"))
    return render(request, "collab/workspace.html", _ctx(
        ws, m, members=members, receipts=list(queries.pending_receipts(m)),
        roles=MemberRole.choices,
        approvals=list(queries.approval_queue(m)), invite_form=InviteForm(),
        invitations=list(ws.invitations.filter(accepted_at__isnull=True,
                                               expires_at__gt=timezone.now())
                         .select_related("organisation")) if m.can_manage else [],
        board=queries.board(m)[:8]))


@member_view
@require_POST
def invite(request: HttpRequest, ws: Workspace, m: Membership) -> HttpResponse:
    form = InviteForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
        return redirect("collab:workspace", ws=ws.pk)
    try:
        inv, token = actions.invite(request.user, ws, email=form.cleaned_data["email"],
                                    organisation=form.cleaned_data["organisation"],
                                    role=form.cleaned_data["role"])
        messages.success(request, _("Invitation sent to %(email)s (link: %(url)s).")
                         % {"email": inv.email,
                            "url": request.build_absolute_uri(
                                reverse("collab:invitation", args=[token]))})
    except ActionRefused as exc:
        _refused(request, exc)
    return redirect("collab:workspace", ws=ws.pk)


@member_view
@require_POST
def member_role(request: HttpRequest, ws: Workspace, m: Membership, member: int
                ) -> HttpResponse:
    target = ws.memberships.select_related("user", "workspace").filter(pk=member).first()
    if target is None:
        raise Http404
    try:
        actions.set_role(request.user, target, request.POST.get("role", ""))
        messages.success(request, _("Saved."))
    except ActionRefused as exc:
        _refused(request, exc)
    return redirect("collab:workspace", ws=ws.pk)


@member_view
def job_board(request: HttpRequest, ws: Workspace, m: Membership) -> HttpResponse:
    if m.is_guest:
        raise Http404
    return render(request, "collab/board.html", _ctx(ws, m, rows=queries.board(m)))


@member_view
def board_live(request: HttpRequest, ws: Workspace, m: Membership) -> HttpResponse:
    """The board's body for htmx polling: 204 (nothing to swap) while the change token is the
    one the page has."""
    if m.is_guest:
        raise Http404
    if request.GET.get("v") == str(ws.version):
        return HttpResponse(status=204)
    return render(request, "collab/_board.html", _ctx(ws, m, rows=queries.board(m)))


@member_view
def job_new(request: HttpRequest, ws: Workspace, m: Membership) -> HttpResponse:
    if not (m.is_lead and m.can_manage):
        raise Http404
    form = JobForm(ws, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            job = actions.create_job(request.user, ws, **form.cleaned_data)
            return redirect(job.get_absolute_url())
        except ActionRefused as exc:
            if exc.field in form.fields:
                form.add_error(exc.field, exc.message)
            else:
                _refused(request, exc)
    return render(request, "collab/job_new.html", _ctx(ws, m, form=form))


@member_view
def job_detail(request: HttpRequest, ws: Workspace, m: Membership, job: int) -> HttpResponse:
    j = queries.get_job(m, job)
    stages = list(j.stages.select_related("responsible", "evidence_revision__document")
                  .order_by("seq"))
    return render(request, "collab/job_detail.html", _ctx(
        ws, m, job=j, stages=stages, waits=list(j.waits.all()),
        logistics=list(j.logistics.select_related("organisation")),
        changes=list(j.change_requests.order_by("-number")),
        documents=list(j.documents.order_by("number")),
        close_form=StageCloseForm(ws), date_form=StageDateForm(), wait_form=WaitForm(),
        logistics_form=LogisticsForm(initial={"on": timezone.localdate()}),
        waiting_days=sum(w.days for w in j.waits.all())))


def _job_action(request: HttpRequest, ws: Workspace, m: Membership, job: int,
                do: Callable[[Any], Any]) -> HttpResponse:
    j = queries.get_job(m, job)
    try:
        do(j)
        messages.success(request, _("Saved."))
    except ActionRefused as exc:
        _refused(request, exc)
    return redirect(j.get_absolute_url())


@member_view
@require_POST
def stage_start(request: HttpRequest, ws: Workspace, m: Membership, job: int,
                stage: int) -> HttpResponse:
    st = queries.get_stage(m, job, stage)
    form = StageDateForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
        return redirect(st.job.get_absolute_url())
    return _job_action(request, ws, m, job,
                       lambda j: actions.start_stage(request.user, st, form.cleaned_data["on"]))


@member_view
@require_POST
def stage_close(request: HttpRequest, ws: Workspace, m: Membership, job: int,
                stage: int) -> HttpResponse:
    st = queries.get_stage(m, job, stage)
    form = StageCloseForm(ws, request.POST)
    if not form.is_valid():
        _form_errors(request, form)
        return redirect(st.job.get_absolute_url())
    data = form.cleaned_data
    return _job_action(request, ws, m, job, lambda j: actions.close_stage(
        request.user, st, data["on"], evidence_revision=data["evidence_revision"],
        evidence_record=data["evidence_record"]))


@member_view
@require_POST
def add_trial(request: HttpRequest, ws: Workspace, m: Membership, job: int) -> HttpResponse:
    return _job_action(request, ws, m, job, lambda j: actions.add_trial(request.user, j))


@member_view
@require_POST
def record_wait(request: HttpRequest, ws: Workspace, m: Membership, job: int) -> HttpResponse:
    form = WaitForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
        return redirect(queries.get_job(m, job).get_absolute_url())
    return _job_action(request, ws, m, job,
                       lambda j: actions.record_waiting(request.user, j, **form.cleaned_data))


@member_view
@require_POST
def record_logistics(request: HttpRequest, ws: Workspace, m: Membership, job: int
                     ) -> HttpResponse:
    form = LogisticsForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
        return redirect(queries.get_job(m, job).get_absolute_url())
    return _job_action(request, ws, m, job,
                       lambda j: actions.record_logistics(request.user, j, **form.cleaned_data))


@member_view
def document_list(request: HttpRequest, ws: Workspace, m: Membership) -> HttpResponse:
    form = DocumentForm(ws, request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            try:
                doc = actions.create_document(request.user, ws, **form.cleaned_data)
                return redirect(doc.get_absolute_url())
            except ActionRefused as exc:
                if exc.field in form.fields:
                    form.add_error(exc.field, exc.message)
                else:
                    _refused(request, exc)
    return render(request, "collab/document_list.html",
                  _ctx(ws, m, documents=queries.document_rows(m), form=form))


@member_view
def document_detail(request: HttpRequest, ws: Workspace, m: Membership, doc: int
                    ) -> HttpResponse:
    d = queries.get_document(m, doc)
    revisions = d.revisions.prefetch_related("iterations__created_by", "iterations__blob",
                                             "receipts__organisation",
                                             "receipts__acknowledged_by")
    if m.is_guest:
        revisions = revisions.filter(receipts__organisation_id=m.organisation_id)
    revs = list(revisions.order_by("-index"))
    mine = {r.revision_id: r for r in queries.pending_receipts(m).filter(revision__document=d)}
    return render(request, "collab/document_detail.html", _ctx(
        ws, m, doc=d, revisions=revs, my_receipts=mine,
        holder=d.lock_holder(), flags=queries.supersede_flags(d) if not m.is_guest else [],
        downloads=queries.download_log(d) if not m.is_guest else [],
        upload_form=UploadForm(), distribution_form=DistributionForm(
            ws, initial={"distribution": list(d.distribution.all())}),
        distribution=list(d.distribution.all()),
        max_mb=f"{_max_mb():g}"))


def read_upload(f: Any) -> bytes:
    """The upload's bytes, at most one past the limit (enough for the action to refuse it)."""
    from django.conf import settings

    return f.read(settings.CLUSTERHUB_MAX_UPLOAD_BYTES + 1)  # type: ignore[no-any-return]


def _max_mb() -> float:
    from django.conf import settings

    return settings.CLUSTERHUB_MAX_UPLOAD_BYTES / (1024 * 1024)


@member_view
@require_POST
def document_upload(request: HttpRequest, ws: Workspace, m: Membership, doc: int
                    ) -> HttpResponse:
    d = queries.get_document(m, doc)
    form = UploadForm(request.POST, request.FILES)
    if not form.is_valid():
        _form_errors(request, form)
        return redirect(d.get_absolute_url())
    f = form.cleaned_data["file"]
    try:
        it = actions.upload(request.user, d, name=f.name, content=read_upload(f),
                            note=form.cleaned_data["note"])
        messages.success(request, _("Uploaded as revision %(rev)s, iteration %(n)s.")
                         % {"rev": it.revision.letter, "n": it.number})
    except ActionRefused as exc:
        _refused(request, exc)
    return redirect(d.get_absolute_url())


def _doc_action(request: HttpRequest, m: Membership, doc: int,
                do: Callable[[Any], Any], done: str) -> HttpResponse:
    d = queries.get_document(m, doc)
    try:
        do(d)
        messages.success(request, done)
    except ActionRefused as exc:
        _refused(request, exc)
    return redirect(d.get_absolute_url())


@member_view
@require_POST
def document_checkout(request: HttpRequest, ws: Workspace, m: Membership, doc: int
                      ) -> HttpResponse:
    return _doc_action(request, m, doc, lambda d: actions.check_out(request.user, d),
                       _("Checked out."))


@member_view
@require_POST
def document_checkin(request: HttpRequest, ws: Workspace, m: Membership, doc: int
                     ) -> HttpResponse:
    return _doc_action(request, m, doc, lambda d: actions.cancel_check_out(request.user, d),
                       _("Lock released."))


@member_view
@require_POST
def document_distribution(request: HttpRequest, ws: Workspace, m: Membership, doc: int
                          ) -> HttpResponse:
    form = DistributionForm(ws, request.POST)
    if not form.is_valid():
        _form_errors(request, form)
        return redirect(queries.get_document(m, doc).get_absolute_url())
    return _doc_action(request, m, doc, lambda d: actions.set_distribution(
        request.user, d, form.cleaned_data["distribution"]), _("Distribution list saved."))


@member_view
@require_POST
def revision_release(request: HttpRequest, ws: Workspace, m: Membership, doc: int, rev: str
                     ) -> HttpResponse:
    r = queries.get_revision(m, doc, rev)
    return _doc_action(request, m, doc, lambda d: actions.release(request.user, r),
                       _("Released and distributed."))


@member_view
def revision_file(request: HttpRequest, ws: Workspace, m: Membership, doc: int, rev: str,
                  n: int | None = None) -> HttpResponse:
    it = queries.get_iteration(m, doc, rev, n)
    try:
        content, log = actions.download(request.user, it, via="web")
    except ActionRefused as exc:
        _refused(request, exc)
        return redirect(it.revision.document.get_absolute_url())
    return _file_response(content, it)


def _file_response(content: bytes, it: Any) -> HttpResponse:
    response = HttpResponse(content, content_type=it.blob.content_type)
    rev = it.revision
    response["Content-Disposition"] = content_disposition_header(
        True, f"{rev.document.number}_{rev.letter}.{it.number}_{it.filename}") or ""
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


@member_view
def revision_preview(request: HttpRequest, ws: Workspace, m: Membership, doc: int, rev: str
                     ) -> HttpResponse:
    it = queries.get_iteration(m, doc, rev)
    content, problem = storage.read_verified(it.blob.storage_path, it.blob.sha256)
    info: dict[str, Any] = {}
    if problem:
        info = {"error": _("The stored file is missing or damaged.")}
    elif it.blob.content_type == "application/pdf":
        info = storage.pdf_info(content or b"")
    elif it.blob.content_type.startswith("image/"):
        info = storage.image_info(content or b"")
    return render(request, "collab/_preview.html", _ctx(ws, m, it=it, info=info,
                                                         problem=problem))


@member_view
def revision_thumbnail(request: HttpRequest, ws: Workspace, m: Membership, doc: int, rev: str
                       ) -> HttpResponse:
    it = queries.get_iteration(m, doc, rev)
    if not it.blob.content_type.startswith("image/"):
        raise Http404
    content, problem = storage.read_verified(it.blob.storage_path, it.blob.sha256)
    if problem or content is None:
        raise Http404
    response = HttpResponse(storage.thumbnail_png(content), content_type="image/png")
    response["Cache-Control"] = "private, no-store"
    return response


@member_view
@require_POST
def receipt_ack(request: HttpRequest, ws: Workspace, m: Membership, receipt: int
                ) -> HttpResponse:
    r = queries.get_receipt(m, receipt)
    try:
        actions.acknowledge(request.user, r)
        messages.success(request, _("Receipt of %(doc)s rev %(rev)s acknowledged.")
                         % {"doc": r.revision.document.number, "rev": r.revision.letter})
    except ActionRefused as exc:
        _refused(request, exc)
    nxt = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(nxt, allowed_hosts={request.get_host()},
                                           require_https=request.is_secure()):
        nxt = r.revision.document.get_absolute_url()  # never off the site
    return redirect(nxt)


@member_view
def change_list(request: HttpRequest, ws: Workspace, m: Membership) -> HttpResponse:
    if m.is_guest:
        raise Http404
    changes = list(queries.changes_for(m).select_related("raised_by_firm")
                   .prefetch_related("jobs").order_by("-number"))
    return render(request, "collab/change_list.html",
                  _ctx(ws, m, changes=changes, queue=list(queries.approval_queue(m))))


@member_view
def change_new(request: HttpRequest, ws: Workspace, m: Membership) -> HttpResponse:
    if not m.can_write:
        raise Http404
    initial: dict[str, Any] = {}
    if request.GET.get("document"):
        initial["documents"] = [request.GET["document"]]
    if request.GET.get("job"):
        initial["jobs"] = [request.GET["job"]]
    form = ChangeForm(m, request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        data["phase"] = data["phase"] or None
        try:
            cr = actions.raise_change(request.user, ws, **data)
            messages.success(request, _("ECR-%(n)s raised.") % {"n": cr.number})
            return redirect(cr.get_absolute_url())
        except ActionRefused as exc:
            if exc.field in form.fields:
                form.add_error(exc.field, exc.message)
            else:
                _refused(request, exc)
    return render(request, "collab/change_new.html", _ctx(ws, m, form=form))


@member_view
def change_detail(request: HttpRequest, ws: Workspace, m: Membership, cr: int) -> HttpResponse:
    c = queries.get_change(m, cr)
    approvals = list(c.approvals.select_related("organisation", "decided_by"))
    mine = next((a for a in approvals if a.organisation_id == m.organisation_id
                 and a.decision == Approval.Decision.PENDING), None)
    return render(request, "collab/change_detail.html", _ctx(
        ws, m, cr=c, approvals=approvals, documents=list(c.documents.all()),
        jobs=list(c.jobs.all()), revisions=list(c.revisions.select_related("document")),
        can_decide=mine is not None and m.can_manage and c.status == ChangeStatus.OPEN,
        can_apply=m.is_lead and m.can_manage and c.status == ChangeStatus.APPROVED,
        decision_form=DecisionForm()))


@member_view
@require_POST
def change_decide(request: HttpRequest, ws: Workspace, m: Membership, cr: int) -> HttpResponse:
    c = queries.get_change(m, cr)
    form = DecisionForm(request.POST)
    if form.is_valid():
        try:
            actions.decide(request.user, c, approve=form.cleaned_data["decision"] == "approve",
                           comment=form.cleaned_data["comment"])
            messages.success(request, _("Decision recorded."))
        except ActionRefused as exc:
            _refused(request, exc)
    else:
        _form_errors(request, form)
    return redirect(c.get_absolute_url())


@member_view
@require_POST
def change_apply(request: HttpRequest, ws: Workspace, m: Membership, cr: int) -> HttpResponse:
    c = queries.get_change(m, cr)
    try:
        actions.apply_change(request.user, c)
        messages.success(request, _("ECR-%(n)s applied.") % {"n": c.number})
    except ActionRefused as exc:
        _refused(request, exc)
    return redirect(c.get_absolute_url())


def kpi_periods(form: KpiForm) -> tuple[Any, Any, Any, Any, Any]:
    today = timezone.localdate()
    data = form.cleaned_data if form.is_valid() else {}
    end = data.get("end") or today
    start = data.get("start") or end - timedelta(days=364)
    b_end = data.get("baseline_end") or start - timedelta(days=1)
    b_start = data.get("baseline_start") or b_end - timedelta(days=364)
    firm = data.get("firm")
    return start, end, b_start, b_end, firm


@member_view
def kpi_dashboard(request: HttpRequest, ws: Workspace, m: Membership) -> HttpResponse:
    if m.is_guest:
        raise Http404
    form = KpiForm(ws, request.GET or None)
    start, end, b_start, b_end, firm = kpi_periods(form)
    firm_id = firm.pk if firm else None
    current = kpis.compute(ws, start, end, firm_id)
    baseline = kpis.compute(ws, b_start, b_end, firm_id)
    rows = kpis.comparison(baseline, current)
    chart = charts.bar_chart(
        _("Before and after (before = 100)"), [r["label"] for r in rows],
        [(_("Seed: before"), [100.0 for _r in rows]),
         (_("Seed: after"), [r["seed_index"] for r in rows]),
         (_("Hub: baseline"), [100.0 if r["index"] is not None else None for r in rows]),
         (_("Hub: current"), [r["index"] for r in rows])], unit="%", width=760)
    lead_chart = charts.bar_chart(
        _("Lead time per job (days)"), [j.job.code for j in current.jobs],
        [(_("Gross"), [float(j.gross_days) for j in current.jobs]),
         (_("Net of waiting on the customer"), [float(j.net_days) for j in current.jobs])],
        unit=_("days"), width=760)
    errors = [(TransferError.Kind(k).label, n)
              for k, n in current.transfer_errors_by_kind.items()]
    return render(request, "collab/kpis.html", _ctx(
        ws, m, form=form, current=current, baseline=baseline, rows=rows, chart=chart,
        errors=errors,
        lead_chart=lead_chart, start=start, end=end, b_start=b_start, b_end=b_end,
        seed=kpis.seed_results()))

