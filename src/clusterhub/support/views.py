"""Support desk pages. Thin: parse, authorise (through queries' access helpers), call the
action, respond."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import transaction
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from clusterhub.core.access import require_role
from clusterhub.core.actions import ActionRefused
from clusterhub.core.models import Expert, Region, role_of
from clusterhub.matching.desk import record_fields

from . import actions
from .forms import (
    AssignForm,
    FollowUpForm,
    NoteForm,
    OutcomeForm,
    PlanForm,
    ReasonForm,
    RequestForm,
    ResolveForm,
    TriageForm,
    WorkLogForm,
)
from .models import SolvedCase, Status, SupportType
from .queries import (
    coordinator_queue as queue_rows,
)
from .queries import (
    expert_inbox as inbox_rows,
)
from .queries import (
    get_attachment_for_user,
    get_request_for_user,
    man_months,
    published_cases,
    similar_cases,
)
from .queries import (
    request_list as visible_requests,
)

PAGE_SIZE = 25


def _refused(request: HttpRequest, exc: ActionRefused, form: Any = None) -> None:
    if form is not None and exc.field and exc.field in form.fields:
        form.add_error(exc.field, exc.message)
    else:
        messages.error(request, exc.message)


@login_required
def request_list(request: HttpRequest) -> HttpResponse:
    require_role(request.user)
    rows = visible_requests(request.user)
    status = request.GET.get("status", "")
    if status:
        rows = rows.filter(status=status)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "support/request_list.html",
                  {"page": page, "status": status, "statuses": Status.choices})


@login_required
def request_new(request: HttpRequest) -> HttpResponse:
    require_role(request.user, "sme")
    firm = request.user.profile.organisation  # type: ignore[union-attr]
    suggest_url = reverse("intake_suggest")
    if request.method == "POST":
        form = RequestForm(request.POST, request.FILES, suggest_url=suggest_url)
        if form.is_valid():
            d = form.cleaned_data
            try:
                with transaction.atomic():
                    req = actions.submit_request(
                        request.user, title=d["title"], description=d["description"],
                        support_type=d["support_type"], region=d["region"],
                        fields=d["fields"], urgency=d["urgency"],
                        consent_publish=d["consent_publish"],
                    )
                    if d["fields"]:  # the SME confirmed or corrected the suggested fields
                        record_fields(req, d["fields"], request.user)
                upload = d.get("attachment")
                if upload:
                    try:
                        actions.add_attachment(request.user, req, upload.name, upload.read())
                    except ActionRefused as exc:
                        messages.warning(request, exc.message)
                messages.success(request, _("Your request was filed. We will contact you within "
                                            "3 working days."))
                return redirect(req)
            except ActionRefused as exc:
                _refused(request, exc, form)
    else:
        form = RequestForm(initial={"region": firm.region_id if firm else None},
                           suggest_url=suggest_url)
    return render(request, "support/request_new.html", {"form": form, "firm": firm})


ACTION_FORMS: dict[str, Any] = {
    "triage": TriageForm, "assign": AssignForm, "accept": PlanForm, "decline": ReasonForm,
    "log_work": WorkLogForm, "resolve": ResolveForm, "record_outcome": OutcomeForm,
    "close": NoteForm, "withdraw": ReasonForm, "reject": ReasonForm,
}


def _assign_candidates(req: Any) -> Any:
    """Experts to offer: same fields first; never the requesting firm's own people."""
    field_ids = list(req.fields.values_list("pk", flat=True))
    qs = Expert.objects.select_related("organisation").exclude(organisation_id=req.firm_id)
    if field_ids:
        qs = qs.filter(fields__in=field_ids).distinct()
    return qs.order_by("name")


def _action_form(name: str, req: Any, data: Any = None) -> Any:
    cls = ACTION_FORMS[name]
    if name == "assign":
        return cls(data, candidates=_assign_candidates(req), prefix=name)
    if name == "triage" and data is None:
        return cls(prefix=name, initial={"support_type": req.support_type,
                                         "fields": list(req.fields.all()),
                                         "routed_to": req.routed_to_id})
    return cls(data, prefix=name)


@login_required
def request_detail(request: HttpRequest, pk: int, forms: dict[str, Any] | None = None
                   ) -> HttpResponse:
    req = get_request_for_user(request.user, pk)
    allowed = actions.allowed_actions(request.user, req)
    action_forms = {name: (forms or {}).get(name) or _action_form(name, req) for name in allowed}
    follow_ups = list(req.follow_ups.all())
    return render(request, "support/request_detail.html", {
        "req": req, "role": role_of(request.user),
        "events": req.events.select_related("actor"),
        "assignments": req.assignments.select_related("expert", "expert__organisation"),
        "work_logs": req.work_logs.select_related("expert"),
        "attachments": req.attachments.all(),
        "outcome": getattr(req, "outcome", None),
        "man_months": man_months(req),
        "action_forms": action_forms,
        "follow_ups": follow_ups,
        "follow_up_form": FollowUpForm(),
        "can_answer_follow_up": role_of(request.user) == "sme",
        "can_attach": req.is_open,
    })


@login_required
@require_POST
def request_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    req = get_request_for_user(request.user, pk)
    if action not in ACTION_FORMS:
        raise Http404
    form = _action_form(action, req, request.POST)
    if not form.is_valid():
        messages.error(request, _("Please correct the form below."))
        return request_detail(request, pk, forms={action: form})
    d = form.cleaned_data
    user = request.user
    try:
        if action == "triage":
            with transaction.atomic():
                req = actions.triage(user, req, support_type=d["support_type"],
                                     fields=d["fields"], routed_to=d["routed_to"],
                                     note=d["note"])
                # The coordinator confirmed or corrected the suggested fields.
                record_fields(req, d["fields"], user)
        elif action == "assign":
            actions.assign(user, req, d["experts"], d["note"])
        elif action == "accept":
            actions.accept(user, req, d["plan"])
        elif action == "decline":
            actions.decline(user, req, d["reason"])
        elif action == "log_work":
            actions.log_work(user, req, on=d["date"], hours=d["hours"], kind=d["kind"],
                             note=d["note"])
        elif action == "resolve":
            actions.resolve(user, req, d["solution_summary"])
        elif action == "record_outcome":
            measures = {k: v for k, v in d.items() if k != "satisfaction"}
            actions.record_outcome(user, req, satisfaction=d["satisfaction"], **measures)
        elif action == "close":
            actions.close(user, req, d["note"])
        elif action == "withdraw":
            actions.withdraw(user, req, d["reason"])
        elif action == "reject":
            actions.reject(user, req, d["reason"])
    except ActionRefused as exc:
        _refused(request, exc, form)
        return request_detail(request, pk, forms={action: form})
    messages.success(request, _("Done."))
    if role_of(user) == "expert" and action == "decline":
        return redirect("inbox")
    if action == "triage" and not visible_requests(user).filter(pk=pk).exists():
        return redirect("queue")  # routed to another centre: no longer ours to see
    return redirect("request", pk=pk)


@login_required
@require_POST
def attachment_upload(request: HttpRequest, pk: int) -> HttpResponse:
    req = get_request_for_user(request.user, pk)
    upload = request.FILES.get("file")
    if upload is None:
        messages.error(request, _("Choose a file."))
    else:
        try:
            actions.add_attachment(request.user, req, upload.name or "file", upload.read())
            messages.success(request, _("File attached."))
        except ActionRefused as exc:
            messages.error(request, exc.message)
    return redirect("request", pk=pk)


@login_required
def attachment_download(request: HttpRequest, pk: int, att: int) -> FileResponse:
    from django.conf import settings

    attachment = get_attachment_for_user(request.user, pk, att)
    path = settings.MEDIA_ROOT / attachment.storage_path
    if not path.exists():
        raise Http404
    return FileResponse(open(path, "rb"), as_attachment=True,  # noqa: SIM115
                        filename=attachment.original_name, content_type=attachment.content_type)


@login_required
@require_POST
def follow_up_answer(request: HttpRequest, pk: int, fu: int) -> HttpResponse:
    req = get_request_for_user(request.user, pk)
    follow_up = req.follow_ups.filter(pk=fu).first()
    if follow_up is None:
        raise Http404
    form = FollowUpForm(request.POST)
    if form.is_valid():
        try:
            actions.answer_follow_up(request.user, follow_up, form.cleaned_data["answer"])
            messages.success(request, _("Thank you."))
        except ActionRefused as exc:
            messages.error(request, exc.message)
    return redirect("request", pk=pk)


@login_required
def coordinator_queue(request: HttpRequest) -> HttpResponse:
    require_role(request.user, "coordinator", "admin")
    params = {k: request.GET.get(k, "").strip() for k in ("status", "support_type", "field", "q")}
    overdue = request.GET.get("overdue") == "1"
    rows = queue_rows(request.user, overdue=overdue, **params)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "support/queue.html", {
        "page": page, "params": params, "overdue": overdue, "statuses": Status.choices,
        "support_types": SupportType.choices,
        "overdue_count": queue_rows(request.user, overdue=True).count(),
    })


@login_required
def expert_inbox(request: HttpRequest) -> HttpResponse:
    require_role(request.user, "expert")
    return render(request, "support/inbox.html", {"assignments": inbox_rows(request.user)})


def case_list(request: HttpRequest) -> HttpResponse:
    params = {k: request.GET.get(k, "").strip() for k in ("q", "field", "region", "support_type")}
    year_text = request.GET.get("year", "").strip()
    year = int(year_text) if year_text.isdigit() else None
    page = Paginator(published_cases(year=year, **params), PAGE_SIZE).get_page(
        request.GET.get("page"))
    from clusterhub.core.views import _filter_choices

    template = "support/_case_rows.html" if request.headers.get("HX-Request") \
        else "support/case_list.html"
    return render(request, template, {
        "page": page, "params": params, "year": year_text,
        "support_types": SupportType.choices, "regions": Region.objects.all(),
        **{k: v for k, v in _filter_choices().items() if k == "fields"},
    })


def case_detail(request: HttpRequest, pk: int) -> HttpResponse:
    case = (SolvedCase.objects.published().select_related("region")
            .prefetch_related("fields", "experts", "experts__organisation")
            .filter(pk=pk).first())
    if case is None:
        raise Http404
    return render(request, "support/case_detail.html",
                  {"case": case, "similar": similar_cases(case)})
