"""Matching on the desk's pages: live suggestions at intake, the coordinator's ranked list with
one-click assignment, assignment proposals, shared problems and joint projects. Thin: parse,
authorise (require_role and the support app's access helpers), call, respond."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from clusterhub.core.access import require_role
from clusterhub.core.actions import ActionRefused
from clusterhub.core.models import Expert, Region, TechField
from clusterhub.support import actions
from clusterhub.support.models import JointProject, SolvedCase, SupportRequest
from clusterhub.support.queries import (
    get_joint_project_for_user,
    get_request_for_user,
    joint_project_requests,
)

from . import assignment, desk

MIN_TEXT = 6  # characters of description before suggestions are worth asking for
SHOWN = 5  # suggestions of each kind at intake
RANKED = 15  # results on the coordinator's request page


def _ids(values: list[str]) -> list[int]:
    try:
        return sorted({int(v) for v in values if v.strip()})
    except ValueError:
        raise Http404 from None


# The coordinator's ranked list: people, centres, solved cases and shared equipment.
RANKED_KINDS = ("expert", "organisation", "case", "equipment")


def _one_id(value: str) -> int:
    if not value.strip().isdigit():
        raise Http404
    return int(value)


# --- intake -------------------------------------------------------------------------------------


@login_required
@require_POST
def intake_suggest(request: HttpRequest) -> HttpResponse:
    """Suggested fields, experts and solved cases for the description being typed (htmx)."""
    from . import engine

    require_role(request.user, "sme")
    firm_id = request.user.profile.organisation_id  # type: ignore[union-attr]
    title = request.POST.get("title", "").strip()
    description = request.POST.get("description", "").strip()
    ticked = set(_ids(request.POST.getlist("fields")))
    context: dict[str, Any] = {"too_short": len(description) < MIN_TEXT}
    if not context["too_short"]:
        text = f"{title}\n{description}"
        region = None
        if request.POST.get("region", "").isdigit():
            region = Region.objects.filter(pk=int(request.POST["region"])).first()
        linked = actions.linked_organisation_ids([firm_id])[firm_id] if firm_id else set()
        results = engine.match(text, region=region.code if region else None,
                               kinds=("expert", "case"), limit=4 * SHOWN,
                               exclude_organisation_ids=sorted(linked), public_only=True)
        suggested = engine.suggest_fields(text)
        shown = {f.pk for f, _c in suggested}
        context.update(
            fields=[(f, c, f.pk in ticked) for f, c in suggested],
            # Ticked before and no longer suggested: kept, so that a refresh loses no choice.
            kept=list(TechField.objects.filter(pk__in=ticked - shown).order_by("name")),
            experts=[m for m in results if m.kind == "expert"][:SHOWN],
            cases=[m for m in results if m.kind == "case"][:SHOWN],
        )
    return render(request, "matching/_intake_suggestions.html", context)


# --- the coordinator's request page -------------------------------------------------------------


def _desk_request(request: HttpRequest, pk: int) -> SupportRequest:
    require_role(request.user, "coordinator", "admin")
    return get_request_for_user(request.user, pk)


@login_required
@require_GET
def request_matches(request: HttpRequest, pk: int) -> HttpResponse:
    """The ranked list (experts, centres, cases) with reasons, the suggested fields and the
    shared problems of a request (htmx, loaded by the request page)."""
    from . import engine

    req = _desk_request(request, pk)
    allowed = actions.allowed_actions(request.user, req)
    text = desk.request_text(req)
    linked = actions.linked_organisation_ids([req.firm_id])[req.firm_id]
    results = engine.match(text, region=req.region.code, limit=RANKED, kinds=RANKED_KINDS,
                           exclude_organisation_ids=sorted(linked))
    published = set(SolvedCase.objects.published().filter(
        pk__in=[m.pk for m in results if m.kind == "case"]).values_list("pk", flat=True))
    offered = set(req.assignments.filter(state__in=["offered", "accepted"])
                  .values_list("expert_id", flat=True))
    chosen = set(req.fields.values_list("pk", flat=True))
    suggested = [(f, c, f.pk in chosen) for f, c in engine.suggest_fields(text)]
    rows = []
    for m in results:
        url = ""
        if m.kind == "expert":
            url = reverse("expert", args=[m.pk])
        elif m.kind == "organisation":
            url = reverse("organisation", args=[m.pk])
        elif m.kind == "case" and m.pk in published:
            url = reverse("case", args=[m.pk])
        elif m.kind == "equipment":
            url = reverse("equipment:detail", args=[m.id])
        rows.append({"m": m, "url": url, "offered": m.kind == "expert" and m.pk in offered})
    shared = desk.shared_problems(request.user, req) if req.is_open else []
    return render(request, "matching/_request_matches.html", {
        "req": req, "rows": rows, "suggested": suggested, "can_triage": "triage" in allowed,
        "preselect": not chosen, "can_assign": "assign" in allowed, "shared": shared,
        "can_group": req.is_open and req.joint_project_id is None,
    })


@login_required
@require_POST
def request_assign(request: HttpRequest, pk: int, expert: int) -> HttpResponse:
    """One-click assignment from the ranked list, through actions.assign (which refuses
    conflicts of interest)."""
    req = _desk_request(request, pk)
    chosen = Expert.objects.filter(pk=expert).first()
    if chosen is None:
        raise Http404
    try:
        actions.assign(request.user, req, [chosen], request.POST.get("note", ""))
        messages.success(request, _("Offered to %(name)s.") % {"name": chosen.name})
    except ActionRefused as exc:
        messages.error(request, exc.message)
    return redirect("request", pk=req.pk)


# --- assignment proposals -----------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def proposals(request: HttpRequest) -> HttpResponse:
    """The proposed assignment of the desk's triaged requests; the coordinator edits and
    confirms it (all or nothing)."""
    require_role(request.user, "coordinator", "admin")
    error = ""
    choices: dict[int, int | None] = {}
    errors: dict[int, str] = {}
    if request.method == "POST":
        for key in request.POST:
            if key.startswith("expert-"):
                req_pk = _one_id(key.removeprefix("expert-"))
                value = request.POST.get(key, "").strip()
                choices[req_pk] = _one_id(value) if value else None
        visible = set(SupportRequest.objects.for_user(request.user).filter(pk__in=list(choices))
                      .values_list("pk", flat=True))
        if set(choices) - visible:
            raise Http404  # a request that does not exist or is not theirs
        try:
            done = assignment.confirm(request.user, choices, request.POST.get("note", ""))
        except assignment.ProposalRefused as exc:
            error, errors = exc.message, exc.errors
        else:
            messages.success(request, _("Offered %(n)d requests to their experts.")
                             % {"n": len(done)})
            return redirect("proposals")
    proposal = assignment.propose(request.user)
    for row in proposal.rows:
        if row.request.pk in choices:  # keep what the coordinator chose
            row.proposed = choices[row.request.pk]
        row.error = errors.get(row.request.pk, "")
    outside = {row.proposed for row in proposal.rows if row.proposed} - {
        c.expert_id for row in proposal.rows for c in row.candidates}
    if outside:  # chosen by the coordinator outside the candidates: keep them selectable
        experts = Expert.objects.select_related("organisation").in_bulk(outside)
        free = assignment.free_places(outside)
        for row in proposal.rows:
            if row.proposed in experts:
                e = experts[row.proposed]
                row.candidates.append(assignment.Candidate(
                    e.pk, e.name, e.organisation.name, 0.0, free=free.get(e.pk, 0)))
    shown = {row.request.pk for row in proposal.rows}
    return render(request, "matching/proposals.html", {
        "proposal": proposal, "error": error,
        "other_errors": sorted((pk, msg) for pk, msg in errors.items() if pk not in shown),
    }, status=400 if error else 200)


# --- shared problems and joint projects ---------------------------------------------------------


@login_required
@require_GET
def shared_flags(request: HttpRequest) -> HttpResponse:
    """"N similar requests" badges of the queue's rows (htmx out-of-band swaps)."""
    require_role(request.user, "coordinator", "admin")
    ids = _ids(request.GET.get("ids", "").split(","))[:100]
    counts = desk.shared_counts(request.user, ids)
    return render(request, "matching/_shared_flags.html", {"counts": sorted(counts.items())})


@login_required
@require_GET
def joint_project_list(request: HttpRequest) -> HttpResponse:
    require_role(request.user, "coordinator", "admin", "sme")
    projects = (JointProject.objects.for_user(request.user).select_related("organisation")
                .order_by("-created_at", "-id"))
    return render(request, "matching/joint_project_list.html", {"projects": projects})


@login_required
@require_POST
def joint_project_new(request: HttpRequest) -> HttpResponse:
    """Group selected requests into a joint project (only requests the coordinator sees: 404
    otherwise)."""
    require_role(request.user, "coordinator", "admin")
    pks = _ids(request.POST.getlist("requests"))
    reqs = [get_request_for_user(request.user, pk) for pk in pks]
    back = request.POST.get("back", "")
    try:
        project = actions.create_joint_project(request.user, reqs,
                                               request.POST.get("title", ""),
                                               request.POST.get("note", ""))
    except ActionRefused as exc:
        messages.error(request, exc.message)
        if back.isdigit() and int(back) in pks:
            return redirect("request", pk=int(back))
        return redirect("queue")
    messages.success(request, _("Joint project created."))
    return redirect(project)


@login_required
@require_GET
def joint_project_detail(request: HttpRequest, pk: int) -> HttpResponse:
    project = get_joint_project_for_user(request.user, pk)
    requests = list(joint_project_requests(request.user, project))
    firms = project.requests.values("firm_id").distinct().count()
    return render(request, "matching/joint_project_detail.html", {
        "project": project, "requests": requests, "firms": firms,
        "total": project.requests.count(),
    })
