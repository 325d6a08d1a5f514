"""Every state change of a simulation run: explicit actor, one transaction, an audit event,
notifications after commit. `execute_run` is the background task's body."""

from __future__ import annotations

import hashlib
import json
import shutil
import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from clusterhub.core.actions import ActionRefused
from clusterhub.core.audit import notify, record_event
from clusterhub.core.models import Organisation, Role, role_of

from . import service
from .models import ACTIVE, Geometry, RunStatus, SimulationRun

PROGRESS_EVERY_S = 1.0  # the solver calls back about once a second of wall time


def _can_see(actor: Any, run: SimulationRun) -> bool:
    return SimulationRun.objects.for_user(actor).filter(pk=run.pk).exists()


def create_run(
    actor: Any, *, title: str, geometry: str, alloy: str, mould: str, pouring_temperature: float,
    mesh_mm: float, dims_mm: tuple[float, float, float] = (0.0, 0.0, 0.0), riser: bool = False,
    stl_name: str = "", stl_content: bytes | None = None, organisation: Organisation | None = None,
    support_request: Any = None, enqueue: bool = True,
) -> SimulationRun:
    """Check the input, store the STL, write the case and queue the run.

    An SME member runs for its own firm; a coordinator (or admin) on behalf of a firm, given as
    `organisation` or through the support request.
    """
    role = role_of(actor)
    if role == Role.SME:
        org = actor.profile.organisation
        if organisation is not None and organisation.pk != org.pk:
            raise ActionRefused(_("You can run simulations for your own firm only."), code="forbidden")
    elif role in (Role.COORDINATOR, Role.ADMIN):
        org = organisation or (support_request.firm if support_request is not None else None)
        if org is None:
            raise ActionRefused(_("Choose the foundry this run is for."), "organisation")
    else:
        raise ActionRefused(_("Only foundries and coordinators can run simulations."), code="forbidden")
    if org.kind != Organisation.Kind.FIRM:
        raise ActionRefused(_("A simulation runs for a firm."), "organisation")
    title = (title or "").strip()
    if not title:
        raise ActionRefused(_("Name the product."), "title")
    if geometry not in Geometry.values:
        raise ActionRefused(_("Unknown geometry."), "geometry")
    if support_request is not None:
        _check_request(actor, support_request, org)
    tris = None
    sha = ""
    stl_file = ""
    if geometry == Geometry.STL:
        if stl_content is None:
            raise ActionRefused(_("Upload an STL part or choose a quick shape."), "stl")
        tris = service.check_stl(stl_content)
        sha = hashlib.sha256(stl_content).hexdigest()
        stl_file = f"{sha}.stl"
    elif any(d <= 0 for d in (dims_mm if geometry == Geometry.BOX else dims_mm[:1])) or (
            geometry == Geometry.CYLINDER and dims_mm[2] <= 0):
        raise ActionRefused(_("Give the shape's dimensions in mm (all positive)."), "dim_x")
    case = service.build_case(
        geometry_kind=geometry, alloy=alloy, mould=mould, pouring_temperature=pouring_temperature,
        mesh_mm=mesh_mm, dims_mm=dims_mm, riser=riser, stl_file=stl_file, triangles=tris, title=title)
    # the case must parse (and, for an STL, cover at least one cell) before anything is saved
    from .solver.case import CaseError, parse_case

    stl_path = ""
    new_file = False
    if stl_content is not None and geometry == Geometry.STL:
        new_file = not (service.storage_root() / "stl" / stl_file).exists()
        stl_path = service.store_stl(stl_content, sha)
    try:
        parsed = parse_case(case, base_dir=service.storage_root() / "stl")
    except CaseError as exc:
        if stl_path and not SimulationRun.objects.filter(stl_path=stl_path).exists():
            (Path(settings.MEDIA_ROOT) / stl_path).unlink(missing_ok=True)  # nothing half-written
        raise ActionRefused(_("The part cannot be meshed: %(why)s") % {"why": exc.reason},
                            "stl" if geometry == Geometry.STL else "dim_x") from exc
    from clusterhub.support.actions import default_desk

    desk = support_request.routed_to if support_request is not None and support_request.routed_to else (
        actor.profile.organisation if role == Role.COORDINATOR else default_desk(org.region))
    try:
        run = _save_run(actor, org, desk, title, geometry, stl_name, stl_path, stl_content, sha,
                        riser, alloy, mould, pouring_temperature, mesh_mm, case, parsed,
                        support_request, enqueue)
    except BaseException:
        if new_file and not SimulationRun.objects.filter(stl_path=stl_path).exists():
            (Path(settings.MEDIA_ROOT) / stl_path).unlink(missing_ok=True)  # nothing half-written
        raise
    return run


def _save_run(actor: Any, org: Organisation, desk: Any, title: str, geometry: str,
              stl_name: str, stl_path: str, stl_content: bytes | None, sha: str, riser: bool,
              alloy: str, mould: str, pouring_temperature: float, mesh_mm: float,
              case: dict[str, Any], parsed: Any, support_request: Any, enqueue: bool
              ) -> SimulationRun:
    with transaction.atomic():
        run = SimulationRun.objects.create(
            owner=actor, organisation=org, desk=desk, region=org.region, title=title[:200],
            geometry=geometry, stl_name=Path(stl_name).name[:200] if stl_path else "",
            stl_path=stl_path, stl_size=len(stl_content) if stl_path and stl_content else None,
            stl_sha256=sha, riser=riser, alloy=alloy, mould=mould,
            pouring_temperature=pouring_temperature, mesh_mm=mesh_mm, case=case,
            cells=int(parsed.problem.mat.size), support_request=support_request,
            attached_at=timezone.now() if support_request is not None else None)
        record_event(actor, "simulation.create", run, cells=run.cells, geometry=geometry)
        if enqueue:
            transaction.on_commit(lambda: _enqueue(run.pk))
    return run


def _enqueue(pk: int) -> None:
    from .tasks import run_simulation

    result = run_simulation.enqueue(pk)
    SimulationRun.objects.filter(pk=pk).update(task_id=str(result.id)[:64])


def _check_request(actor: Any, req: Any, org: Organisation) -> None:
    from clusterhub.support.models import SupportRequest

    if not SupportRequest.objects.for_user(actor).filter(pk=req.pk).exists():
        raise ActionRefused(_("No such support request."), "support_request")
    if req.firm_id != org.pk:
        raise ActionRefused(_("That support request belongs to another firm."), "support_request")


def cancel_run(actor: Any, run: SimulationRun) -> SimulationRun:
    """A queued run stops at once; a running one at the solver's next progress report."""
    if not _can_see(actor, run):
        raise ActionRefused(_("No such run."), code="forbidden")
    with transaction.atomic():
        run = SimulationRun.objects.select_for_update().get(pk=run.pk)
        if run.status not in ACTIVE:
            raise ActionRefused(_("This run has already ended."), code="invalid_transition")
        if run.status == RunStatus.QUEUED:
            run.status = RunStatus.CANCELLED
            run.finished_at = timezone.now()
        run.cancel_requested = True
        run.save(update_fields=["status", "finished_at", "cancel_requested"])
        record_event(actor, "simulation.cancel", run)
    return run


def attach_to_request(actor: Any, run: SimulationRun, req: Any) -> SimulationRun:
    """Link the run to a support case of the same firm (shown on the run's pages)."""
    if not _can_see(actor, run):
        raise ActionRefused(_("No such run."), code="forbidden")
    _check_request(actor, req, run.organisation)
    with transaction.atomic():
        run.support_request = req
        run.attached_at = timezone.now()
        run.save(update_fields=["support_request", "attached_at"])
        record_event(actor, "simulation.attach", run, request=req.pk)
        from clusterhub.support.actions import record_linked_work

        record_linked_work(actor, req, "simulation", f"#{run.pk} {run.title}")
    return run


def publish_to_knowledge_base(actor: Any, run: SimulationRun) -> SimulationRun:
    """Link a finished run to the knowledge-base case its support request was published as."""
    if role_of(actor) not in (Role.COORDINATOR, Role.ADMIN) or not _can_see(actor, run):
        raise ActionRefused(_("Only the desk's coordinators publish results."), code="forbidden")
    if run.status != RunStatus.SUCCEEDED:
        raise ActionRefused(_("Only a finished run can be published."), code="invalid_transition")
    from clusterhub.support.models import SolvedCase

    solved = None
    if run.support_request_id is not None:
        solved = SolvedCase.objects.filter(source_request_id=run.support_request_id,
                                           published=True).first()
    if solved is None:
        raise ActionRefused(
            _("Attach the run to a support case that has been solved and published first."),
            code="invalid_transition")
    with transaction.atomic():
        run.solved_case = solved
        run.published_at = timezone.now()
        run.save(update_fields=["solved_case", "published_at"])
        record_event(actor, "simulation.publish", run, solved_case=solved.pk)
    return run


# ---- the background task's body ------------------------------------------------------------
def result_dir(run: SimulationRun) -> Path:
    return Path(settings.MEDIA_ROOT) / "simulation" / "runs" / str(run.pk)


def execute_run(pk: int) -> str:
    """Run the solver for a queued run: progress into the row, cancel honoured, results written
    all or nothing (a temporary folder renamed into place, then the row in one transaction)."""
    from .solver.case import parse_case, run_case, summarise, write_outputs

    with transaction.atomic():
        run = SimulationRun.objects.select_for_update().filter(pk=pk).first()
        if run is None or run.status != RunStatus.QUEUED:
            return "skipped"
        run.status = RunStatus.RUNNING
        run.started_at = timezone.now()
        run.progress = 0
        run.save(update_fields=["status", "started_at", "progress"])
    final = result_dir(run)
    tmp = final.with_name(f"{final.name}.part")
    wall0 = time.perf_counter()
    try:
        case = parse_case(run.case, base_dir=service.storage_root() / "stl")

        def progress(t: float, frac: float) -> bool:
            pct = max(0, min(99, int(100 * frac)))
            SimulationRun.objects.filter(pk=pk).update(progress=pct, simulated_seconds=t)
            return not SimulationRun.objects.filter(pk=pk, cancel_requested=True).exists()

        res = run_case(case, callback=progress)
        if res.stopped == "cancelled" or SimulationRun.objects.filter(pk=pk, cancel_requested=True).exists():
            SimulationRun.objects.filter(pk=pk).update(
                status=RunStatus.CANCELLED, finished_at=timezone.now(),
                wall_seconds=time.perf_counter() - wall0, simulated_seconds=res.time)
            return "cancelled"
        summary = summarise(case, res)
        summary = _clean(json.loads(json.dumps(summary, default=float)))
        shutil.rmtree(tmp, ignore_errors=True)
        write_outputs(case, res, summary, tmp)
        shutil.rmtree(final, ignore_errors=True)
        tmp.replace(final)
        rel = final.relative_to(Path(settings.MEDIA_ROOT)) / "fields.npz"
        with transaction.atomic():
            run = SimulationRun.objects.select_for_update().get(pk=pk)
            run.status = RunStatus.SUCCEEDED
            run.progress = 100
            run.summary = summary
            run.result_path = str(rel)
            run.finished_at = timezone.now()
            run.wall_seconds = time.perf_counter() - wall0
            run.simulated_seconds = res.time
            run.save()
            record_event(None, "simulation.succeeded", run, wall_s=round(run.wall_seconds, 3))
            notify([run.owner], _("Simulation finished: %(title)s") % {"title": run.title},
                   _("Hot spots, Niyama map and the report are ready."), run.get_absolute_url())
        return "succeeded"
    except Exception as exc:  # noqa: BLE001 - any failure ends the run with its reason
        shutil.rmtree(tmp, ignore_errors=True)
        message = f"{type(exc).__name__}: {exc}"[:2000] or type(exc).__name__
        with transaction.atomic():
            SimulationRun.objects.filter(pk=pk).update(
                status=RunStatus.FAILED, error=message, finished_at=timezone.now(),
                wall_seconds=time.perf_counter() - wall0)
            run = SimulationRun.objects.get(pk=pk)
            record_event(None, "simulation.failed", run, error=message[:200])
            notify([run.owner], _("Simulation failed: %(title)s") % {"title": run.title}, message,
                   run.get_absolute_url())
        return "failed"


def _clean(obj: Any) -> Any:
    """NaN and infinities become null (JSON columns refuse them on PostgreSQL)."""
    if isinstance(obj, dict):
        return {str(k): _clean(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_clean(v) for v in obj]
    if isinstance(obj, float) and obj != obj or obj in (float("inf"), float("-inf")):
        return None
    return obj
