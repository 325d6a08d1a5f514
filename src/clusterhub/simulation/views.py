"""Pages of the simulation service. Thin: parse, authorise (for_user), call the action, respond.
Missing and not-yours both 404, for pages, images, PDFs and downloads alike."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from clusterhub.core.access import require_role
from clusterhub.core.actions import ActionRefused
from clusterhub.core.charts import line_chart
from clusterhub.core.models import Organisation, Role, role_of

from . import actions, results, service, stats
from .forms import AttachForm, RunForm
from .models import SimulationRun

PAGE_SIZE = 25
CAN_RUN = (Role.SME, Role.COORDINATOR, Role.ADMIN)


def get_run_for_user(user: Any, pk: int) -> SimulationRun:
    run = (SimulationRun.objects.for_user(user)
           .select_related("organisation", "owner", "support_request", "solved_case", "region")
           .filter(pk=pk).first())
    if run is None:
        raise Http404
    return run


def _requests_for(user: Any, run: SimulationRun | None = None) -> Any:
    from clusterhub.support.models import SupportRequest

    qs = SupportRequest.objects.for_user(user).select_related("firm")
    if run is not None:
        qs = qs.filter(firm_id=run.organisation_id)
    return qs.order_by("-created_at")


@login_required
def index(request: HttpRequest) -> HttpResponse:
    role = require_role(request.user, *CAN_RUN)
    rows = SimulationRun.objects.for_user(request.user).select_related(
        "organisation", "support_request", "region")
    q = request.GET.get("q", "").strip()
    if q:
        rows = rows.filter(Q(title__icontains=q) | Q(support_request__title__icontains=q)
                           | Q(solved_case__title__icontains=q) | Q(alloy__icontains=q))
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "simulation/index.html", {"page": page, "q": q, "role": role})


def _run_form(request: HttpRequest, data: Any = None, files: Any = None) -> RunForm:
    role = role_of(request.user)
    firms = None if role == Role.SME else Organisation.objects.filter(kind="firm").order_by("name")
    return RunForm(data, files, firms=firms, requests=_requests_for(request.user))


@login_required
def run_new(request: HttpRequest) -> HttpResponse:
    require_role(request.user, *CAN_RUN)
    form = _run_form(request, request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        upload = d.get("stl")
        try:
            run = actions.create_run(
                request.user, title=d["title"], geometry=d["geometry"], alloy=d["alloy"],
                mould=d["mould"], pouring_temperature=d["pouring_temperature"], mesh_mm=d["mesh_mm"],
                dims_mm=(d.get("dim_x") or 0.0, d.get("dim_y") or 0.0, d.get("dim_z") or 0.0),
                riser=d["riser"], stl_name=upload.name if upload else "",
                stl_content=service.read_upload(upload) if upload else None,
                organisation=d.get("organisation"), support_request=d.get("support_request"))
        except ActionRefused as exc:
            if exc.field and exc.field in form.fields:
                form.add_error(exc.field, exc.message)
            else:
                form.add_error(None, exc.message)
        else:
            messages.success(request, _("The run is queued."))
            return redirect(run)
    return render(request, "simulation/run_new.html", {"form": form})


def _context(request: HttpRequest, run: SimulationRun) -> dict[str, Any]:
    ctx: dict[str, Any] = {"run": run, "role": role_of(request.user)}
    if run.has_results:
        s = run.summary
        shape = run.case.get("grid", {}).get("shape", [1, 1, 1])
        axis = request.GET.get("axis", "y")
        axis = axis if axis in results.AXES else "y"
        field = request.GET.get("field", "solidification_time")
        field = field if field in results.FIELDS else "solidification_time"
        n = shape[results.AXES.index(axis)]
        try:
            index = int(request.GET.get("index", n // 2))
        except ValueError:
            index = n // 2
        st = s.get("solidification_time_s") or 0.0
        try:
            t = float(request.GET.get("t", round(st / 2, 2)))
        except ValueError:
            t = st / 2
        cats, series = results.probe_series(run)
        ctx.update(
            axis=axis, field=field, index=max(0, min(index, n - 1)), n=n, t=t, axes=results.AXES,
            fields=list(results.field_labels().items()), shape=shape,
            chart=line_chart(_("Probe temperatures (°C) over time (s)"), cats, series, unit="°C")
            if series else None,
            pockets=(s.get("liquid_pockets") or {}).get("pockets", []),
            chvorinov=s.get("chvorinov"), niyama=s.get("niyama") or {},
        )
    ctx["attach_form"] = AttachForm(requests=_requests_for(request.user, run))
    return ctx


@login_required
def run_detail(request: HttpRequest, pk: int) -> HttpResponse:
    run = get_run_for_user(request.user, pk)
    return render(request, "simulation/run_detail.html", _context(request, run))


@login_required
def run_status(request: HttpRequest, pk: int) -> HttpResponse:
    """The progress fragment that the run page polls (htmx) while the run is active."""
    run = get_run_for_user(request.user, pk)
    response = render(request, "simulation/_status.html", {"run": run})
    if not run.is_active:
        response["HX-Refresh"] = "true"  # reload once to show the results
    return response


@login_required
@require_POST
def run_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    run = get_run_for_user(request.user, pk)
    try:
        actions.cancel_run(request.user, run)
        messages.success(request, _("The run is being cancelled."))
    except ActionRefused as exc:
        messages.error(request, exc.message)
    return redirect(run)


@login_required
@require_POST
def run_attach(request: HttpRequest, pk: int) -> HttpResponse:
    run = get_run_for_user(request.user, pk)
    form = AttachForm(request.POST, requests=_requests_for(request.user, run))
    if form.is_valid():
        try:
            actions.attach_to_request(request.user, run, form.cleaned_data["support_request"])
            messages.success(request, _("Attached to the support case."))
        except ActionRefused as exc:
            messages.error(request, exc.message)
    else:
        messages.error(request, _("Choose a support case of this foundry."))
    return redirect(run)


@login_required
@require_POST
def run_publish(request: HttpRequest, pk: int) -> HttpResponse:
    run = get_run_for_user(request.user, pk)
    try:
        actions.publish_to_knowledge_base(request.user, run)
        messages.success(request, _("Published with the knowledge-base case."))
    except ActionRefused as exc:
        messages.error(request, exc.message)
    return redirect(run)


def _loaded(request: HttpRequest, pk: int) -> tuple[SimulationRun, dict[str, Any]]:
    run = get_run_for_user(request.user, pk)
    if not run.has_results:
        raise Http404
    return run, results.load(run)


@login_required
def run_slice(request: HttpRequest, pk: int) -> HttpResponse:
    run, d = _loaded(request, pk)
    axis = request.GET.get("axis", "y")
    field = request.GET.get("field", "solidification_time")
    if axis not in results.AXES or field not in results.FIELDS:
        raise Http404
    try:
        index = int(request.GET.get("index", "0"))
        t = float(request.GET.get("t", "0"))
    except ValueError as exc:
        raise Http404 from exc
    png = results.slice_png(run, d, field, axis, index, t)
    return HttpResponse(png, content_type="image/png")


@login_required
def run_points(request: HttpRequest, pk: int) -> JsonResponse:
    run, d = _loaded(request, pk)
    return JsonResponse(results.points(run, d))


@login_required
def run_report(request: HttpRequest, pk: int) -> HttpResponse:
    run = get_run_for_user(request.user, pk)
    if not run.has_results:
        raise Http404
    from .report import report_pdf

    response = HttpResponse(report_pdf(run), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="simulation-{run.pk}.pdf"'
    return response


@login_required
def run_case(request: HttpRequest, pk: int) -> HttpResponse:
    run = get_run_for_user(request.user, pk)
    response = HttpResponse(json.dumps(run.case, ensure_ascii=False, indent=2),
                            content_type="application/json")
    response["Content-Disposition"] = f'attachment; filename="simulation-{run.pk}-case.json"'
    return response


@login_required
def run_download(request: HttpRequest, pk: int, what: str) -> FileResponse:
    run = get_run_for_user(request.user, pk)
    if what == "results" and run.has_results:
        path, name, ctype = run.result_path, f"simulation-{run.pk}-fields.npz", "application/octet-stream"
    elif what == "stl" and run.stl_path:
        path, name, ctype = (run.stl_path, run.stl_name or run.case["regions"][0]["stl"]["path"],
                             "model/stl")
    else:
        raise Http404
    full = Path(settings.MEDIA_ROOT) / path
    if not full.exists():
        raise Http404
    return FileResponse(open(full, "rb"), as_attachment=True, filename=name,  # noqa: SIM115
                        content_type=ctype)


@login_required
def statistics(request: HttpRequest) -> HttpResponse:
    require_role(request.user, Role.COORDINATOR, Role.ADMIN, Role.ANALYST)
    table = stats.hub_table()
    seed = stats.seed_table()
    years = sorted({r["year"] for r in table.rows})
    totals = stats.yearly_totals(table)
    from clusterhub.core.charts import bar_chart

    chart = bar_chart(_("Firms and products supported per year"), [str(y) for y in years],
                      [(_("Firms"), [totals[y]["firms"] for y in years]),
                       (_("Products"), [totals[y]["products"] for y in years])]) if years else None
    fmt = request.GET.get("format")
    if fmt in ("csv", "xlsx", "json"):
        from clusterhub.core import tabular

        return tabular.download(tabular.render(table, fmt), "design-support", fmt)
    from django.utils import translation

    is_ko = (translation.get_language() or "").startswith("ko")
    return render(request, "simulation/statistics.html",
                  {"table": table, "seed": seed, "chart": chart, "totals": totals,
                   "seed_source": seed.get("source_ko") if is_ko else seed["source"],
                   "seed_note": seed.get("note_ko") if is_ko else seed["note"]})


@login_required
def knowledge(request: HttpRequest) -> HttpResponse:
    """Published results, found by their knowledge-base case (no firm names)."""
    require_role(request.user)
    rows = SimulationRun.objects.filter(solved_case__isnull=False, solved_case__published=True) \
        .select_related("solved_case").order_by("-published_at", "-id")
    q = request.GET.get("q", "").strip()
    for word in q.split():
        rows = rows.filter(Q(solved_case__title__icontains=word) | Q(solved_case__problem__icontains=word)
                           | Q(alloy__icontains=word))
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "simulation/knowledge.html", {"page": page, "q": q})
