"""The simulation service: runs, STL checks, cancel, the task, attach/publish, statistics."""

from __future__ import annotations

import json
import struct
from pathlib import Path

import numpy as np
import pytest
from django.conf import settings

from clusterhub.core.actions import ActionRefused
from clusterhub.core.models import AuditEvent
from clusterhub.simulation import actions, service
from clusterhub.simulation.models import RunStatus, SimulationRun
from clusterhub.simulation.solver.case import parse_case
from clusterhub.testing import advance, new_request

from .conftest import QUICK, make_run

pytestmark = pytest.mark.django_db


def cube_stl(size: float = 20.0, binary: bool = True) -> bytes:
    """A closed cube of `size` mm as 12 triangles."""
    v = np.array([[x, y, z] for x in (0, size) for y in (0, size) for z in (0, size)], float)
    quads = [(0, 1, 3, 2), (4, 6, 7, 5), (0, 4, 5, 1), (2, 3, 7, 6), (0, 2, 6, 4), (1, 5, 7, 3)]
    tris = [(a, b, c) for a, b, c, d in quads] + [(a, c, d) for a, b, c, d in quads]
    if binary:
        out = bytearray(b"cube".ljust(80, b" ") + struct.pack("<I", len(tris)))
        for t in tris:
            out += struct.pack("<3f", 0, 0, 0)
            for i in t:
                out += struct.pack("<3f", *v[i])
            out += b"\0\0"
        return bytes(out)
    lines = ["solid cube"]
    for t in tris:
        lines.append(" facet normal 0 0 0\n  outer loop")
        lines += [f"   vertex {v[i][0]} {v[i][1]} {v[i][2]}" for i in t]
        lines.append("  endloop\n endfacet")
    return ("\n".join(lines) + "\nendsolid cube\n").encode()


# ---- creating runs -----------------------------------------------------------------------
def test_a_quick_shape_run_is_queued_with_a_case_the_cli_reads(hub):
    run = make_run(hub, execute=False)
    assert run.status == RunStatus.QUEUED and run.organisation == hub.firm and run.desk == hub.desk
    assert run.region == hub.region
    case = parse_case(run.case)
    assert case.problem.shape == tuple(run.case["grid"]["shape"]) and run.cells == np.prod(case.problem.shape)
    # 20 x 20 x 10 mm box of 2 mm cells: 10 x 10 x 5 casting cells
    assert int((case.roles == 1).sum()) == 500
    assert AuditEvent.objects.filter(verb="simulation.create", object_id=str(run.pk)).exists()


@pytest.mark.parametrize("binary", [True, False])
def test_an_stl_part_is_stored_outside_the_web_root_and_voxelised(hub, binary):
    content = cube_stl(20.0, binary=binary)
    run = actions.create_run(hub.sme, **{**QUICK, "geometry": "stl"}, stl_name="../../cube.stl",
                             stl_content=content, enqueue=False)
    assert run.stl_name == "cube.stl" and run.stl_size == len(content)
    path = Path(settings.MEDIA_ROOT) / run.stl_path
    assert path.read_bytes() == content and "static" not in str(path)
    case = parse_case(run.case, base_dir=service.storage_root() / "stl")
    assert int((case.roles == 1).sum()) == 10 * 10 * 10


@pytest.mark.parametrize("content,message", [
    (b"", "empty"),
    (b"\x89PNG\r\n\x1a\n" + b"\0" * 200, "not an STL part"),
    (b"solid x\nfacet normal 0 0 1\nouter loop\nvertex 0 0 0\nvertex 1 0 0\nvertex 0 1 0\nendloop\nendfacet\nendsolid\n",
     "at least 4"),
])
def test_bad_stl_files_are_refused_with_the_reason(hub, content, message):
    with pytest.raises(ActionRefused) as exc:
        actions.create_run(hub.sme, **{**QUICK, "geometry": "stl"}, stl_content=content, enqueue=False)
    assert message in exc.value.message and exc.value.field == "stl"
    assert not SimulationRun.objects.exists()


def test_an_stl_over_the_upload_limit_is_refused(hub, settings):
    settings.CLUSTERHUB_MAX_UPLOAD_BYTES = 500  # the cube is 684 bytes
    with pytest.raises(ActionRefused) as exc:
        actions.create_run(hub.sme, **{**QUICK, "geometry": "stl"}, stl_content=cube_stl(), enqueue=False)
    assert "larger than" in exc.value.message


def test_a_mesh_over_the_cell_budget_is_refused(hub, settings):
    settings.CLUSTERHUB_SIM_MAX_CELLS = 1000
    with pytest.raises(ActionRefused) as exc:
        make_run(hub, execute=False)
    assert exc.value.field == "mesh_mm" and "at most 1,000" in exc.value.message


@pytest.mark.parametrize("change,field", [
    ({"alloy": "silica_sand"}, "alloy"), ({"mould": "A356"}, "mould"),
    ({"pouring_temperature": 600.0}, "pouring_temperature"), ({"mesh_mm": 0.1}, "mesh_mm"),
    ({"title": " "}, "title"), ({"dims_mm": (0.0, 10.0, 10.0)}, "dim_x"),
])
def test_bad_inputs_name_the_field(hub, change, field):
    with pytest.raises(ActionRefused) as exc:
        make_run(hub, execute=False, **change)
    assert exc.value.field == field


def test_who_may_start_runs(hub):
    for user in (hub.expert_user, hub.analyst):
        with pytest.raises(ActionRefused):
            actions.create_run(user, **QUICK, enqueue=False)
    with pytest.raises(ActionRefused):
        actions.create_run(hub.sme, **QUICK, organisation=hub.other_firm, enqueue=False)
    with pytest.raises(ActionRefused) as exc:
        actions.create_run(hub.coordinator, **QUICK, enqueue=False)
    assert exc.value.field == "organisation"
    run = actions.create_run(hub.coordinator, **QUICK, organisation=hub.firm, enqueue=False)
    assert run.organisation == hub.firm and run.desk == hub.desk


# ---- the task ----------------------------------------------------------------------------
def test_the_task_solves_the_run_and_writes_all_results(hub, done_run):
    run = done_run
    assert run.status == RunStatus.SUCCEEDED and run.progress == 100 and run.wall_seconds > 0
    s = run.summary
    assert s["solidification_time_s"] > 0 and s["run"]["stopped"] == "solidified"
    assert s["chvorinov"]["risers"] and "ok" in s["chvorinov"]
    assert s["liquid_pockets"]["critical_fraction_solid"] == 0.3
    json.dumps(s, allow_nan=False)  # storable on PostgreSQL
    with np.load(Path(settings.MEDIA_ROOT) / run.result_path) as z:
        assert z["t_solidus"].shape == tuple(run.case["grid"]["shape"])
        assert {"niyama", "critical_time", "role"} <= set(z.files)
    assert not list((Path(settings.MEDIA_ROOT) / "simulation" / "runs").glob("*.part"))
    assert hub.sme.notifications.filter(subject__contains="finished").exists()


def test_the_enqueued_task_runs_after_commit(hub, settings, django_capture_on_commit_callbacks):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    from django_tasks import task_backends

    task_backends._settings = None  # type: ignore[attr-defined]
    with django_capture_on_commit_callbacks(execute=True):
        run = actions.create_run(hub.sme, **QUICK)
    run.refresh_from_db()
    assert run.status == RunStatus.SUCCEEDED and run.task_id


def test_a_failing_run_records_its_error_and_writes_nothing(hub):
    run = make_run(hub, execute=False)
    SimulationRun.objects.filter(pk=run.pk).update(case={**run.case, "background": "unobtanium"})
    assert actions.execute_run(run.pk) == "failed"
    run.refresh_from_db()
    assert run.status == RunStatus.FAILED and "unobtanium" in run.error and not run.result_path
    assert not (Path(settings.MEDIA_ROOT) / "simulation" / "runs" / str(run.pk)).exists()


def test_cancelling_a_queued_run_stops_it_at_once(hub):
    run = make_run(hub, execute=False)
    actions.cancel_run(hub.sme, run)
    run.refresh_from_db()
    assert run.status == RunStatus.CANCELLED and run.finished_at
    assert actions.execute_run(run.pk) == "skipped"
    with pytest.raises(ActionRefused):
        actions.cancel_run(hub.sme, run)


def test_a_running_run_stops_at_its_next_progress_report(hub, monkeypatch):
    run = make_run(hub, execute=False)
    from clusterhub.simulation.solver import model

    real_run = model.Solver.run

    def run_with_cancel(self, *a, **kw):  # type: ignore[no-untyped-def]
        cb = kw["callback"]

        def cancel_then_report(t, frac):  # type: ignore[no-untyped-def]
            actions.cancel_run(hub.sme, SimulationRun.objects.get(pk=run.pk))
            return cb(t, frac)

        kw["callback"] = cancel_then_report
        monkeypatch.setattr(model._time, "perf_counter", _fast_clock())
        return real_run(self, *a, **kw)

    monkeypatch.setattr(model.Solver, "run", run_with_cancel)
    assert actions.execute_run(run.pk) == "cancelled"
    run.refresh_from_db()
    assert run.status == RunStatus.CANCELLED and not run.result_path and run.summary == {}


def _fast_clock():  # type: ignore[no-untyped-def]
    """A clock that moves 2 s per reading, so the solver reports progress on every step."""
    state = {"t": 0.0}

    def clock() -> float:
        state["t"] += 2.0
        return state["t"]

    return clock


def test_others_cannot_cancel(hub):
    run = make_run(hub, execute=False)
    for user in (hub.other_sme, hub.other_coordinator, hub.expert_user):
        with pytest.raises(ActionRefused):
            actions.cancel_run(user, run)
    actions.cancel_run(hub.coordinator, run)


# ---- support cases and the knowledge base ------------------------------------------------
def test_attach_to_a_support_case_of_the_same_firm(hub, done_run):
    req = new_request(hub)
    actions.attach_to_request(hub.sme, done_run, req)
    done_run.refresh_from_db()
    assert done_run.support_request == req and done_run.attached_at
    event = req.events.get(action="simulation")  # on the request's timeline
    assert event.actor == hub.sme and event.note == f"#{done_run.pk} {done_run.title}"
    assert event.action_label == "Casting simulation attached"
    other = new_request(hub)
    other.firm = hub.other_firm
    other.save()
    with pytest.raises(ActionRefused):
        actions.attach_to_request(hub.sme, done_run, other)
    with pytest.raises(ActionRefused):
        actions.attach_to_request(hub.other_sme, done_run, req)


def test_publish_links_the_solved_case(hub, done_run):
    req = new_request(hub)
    actions.attach_to_request(hub.sme, done_run, req)
    with pytest.raises(ActionRefused):
        actions.publish_to_knowledge_base(hub.coordinator, done_run)  # not solved yet
    req = advance(hub, req, "closed")
    req.refresh_from_db()
    with pytest.raises(ActionRefused):
        actions.publish_to_knowledge_base(hub.sme, done_run)
    actions.publish_to_knowledge_base(hub.coordinator, done_run)
    done_run.refresh_from_db()
    assert done_run.solved_case == req.solved_case and done_run.published_at


def test_demo_populates_finished_runs_and_history_once(hub):
    import io

    from clusterhub.simulation import demo

    new_request(hub)
    users = {"sme": hub.sme, "coordinator": hub.coordinator}
    out = io.StringIO()
    demo.populate(users, out)
    mine = SimulationRun.objects.filter(owner=hub.sme)
    assert mine.filter(status=RunStatus.SUCCEEDED).count() == 3
    assert mine.exclude(support_request=None).count() == 1
    assert SimulationRun.objects.filter(owner=hub.coordinator, created_at__year=2004).count() == 40
    before = SimulationRun.objects.count()
    demo.populate(users, out)
    assert SimulationRun.objects.count() == before


def test_the_quick_riser_is_sized_by_the_casting_modulus():
    from clusterhub.simulation.solver import analysis

    # 60 x 40 x 20 mm box: M = 48000 / 8800 = 5.45 mm, so d = 8 M = 43.6 mm (capped at 60)
    case = service.build_case(geometry_kind="box", alloy="A356", mould="silica_sand",
                              pouring_temperature=700, mesh_mm=2.0, dims_mm=(60, 40, 20), riser=True)
    riser = case["regions"][1]["cylinder"]
    assert 2 * riser["radius"] == pytest.approx(8 * 48000 / 8800)
    assert riser["end"][2] - riser["start"][2] == pytest.approx(1.5 * 2 * riser["radius"])
    parsed = parse_case(case)
    check = analysis.chvorinov_check(parsed.roles, 2.0)
    assert check is not None and check["risers"][0]["touches_casting"]
    assert check["risers"][0]["ratio"] >= 1.2


def test_an_open_stl_that_covers_no_cell_is_refused_and_not_kept(hub):
    # two flat 20 mm squares at z = 0 and z = 20 (4 triangles): an open surface, no inside
    tris = []
    for z in (0.0, 20.0):
        tris += [[(0, 0, z), (20, 0, z), (20, 20, z)], [(0, 0, z), (20, 20, z), (0, 20, z)]]
    out = bytearray(b"open".ljust(80, b" ") + struct.pack("<I", len(tris)))
    for t in tris:
        out += struct.pack("<3f", 0, 0, 0)
        for v in t:
            out += struct.pack("<3f", *v)
        out += b"\0\0"
    with pytest.raises(ActionRefused) as exc:
        actions.create_run(hub.sme, **{**QUICK, "geometry": "stl"}, stl_content=bytes(out), enqueue=False)
    assert "cannot be meshed" in exc.value.message and exc.value.field == "stl"
    assert not SimulationRun.objects.exists()
    assert not list((Path(settings.MEDIA_ROOT) / "simulation" / "stl").glob("*.stl"))


def test_a_run_whose_save_fails_keeps_no_stl_file(hub, monkeypatch):
    def boom(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise RuntimeError("audit store unavailable")

    monkeypatch.setattr(actions, "record_event", boom)
    with pytest.raises(RuntimeError):
        actions.create_run(hub.sme, **{**QUICK, "geometry": "stl"}, stl_name="cube.stl",
                           stl_content=cube_stl(17.0), enqueue=False)
    assert not SimulationRun.objects.exists()
    assert not list((Path(settings.MEDIA_ROOT) / "simulation" / "stl").glob("*.stl"))


def test_a_failed_save_keeps_an_stl_file_another_run_uses(hub, monkeypatch):
    kept = actions.create_run(hub.sme, **{**QUICK, "geometry": "stl"}, stl_name="cube.stl",
                              stl_content=cube_stl(17.0), enqueue=False)

    def boom(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise RuntimeError("audit store unavailable")

    monkeypatch.setattr(actions, "record_event", boom)
    with pytest.raises(RuntimeError):
        actions.create_run(hub.sme, **{**QUICK, "geometry": "stl"}, stl_name="cube.stl",
                           stl_content=cube_stl(17.0), enqueue=False)
    assert (Path(settings.MEDIA_ROOT) / kept.stl_path).exists()
