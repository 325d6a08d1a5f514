"""The simulation part of /api/v1/: start a run (multipart), follow it, cancel it, its report."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import File, Form, Router, Schema, Status
from ninja.files import UploadedFile

from clusterhub.core.actions import ActionRefused
from clusterhub.core.api_auth import bearer
from clusterhub.core.models import Organisation

from . import actions, service
from .models import Geometry
from .views import get_run_for_user

router = Router(tags=["simulation"])


class RunIn(Schema):
    title: str
    geometry: Geometry = Geometry.STL
    alloy: str
    mould: str = "silica_sand"
    pouring_temperature: float
    mesh_mm: float
    dim_x: float = 0.0
    dim_y: float = 0.0
    dim_z: float = 0.0
    riser: bool = False
    organisation: str | None = None  # external id of the foundry (coordinators)
    support_request: int | None = None


class RunCreated(Schema):
    id: int
    status: str
    url: str


class RunOut(Schema):
    id: int
    title: str
    status: str
    progress: int
    alloy: str
    mould: str
    cells: int
    created_at: datetime
    finished_at: datetime | None
    wall_seconds: float | None
    error: str
    support_request: int | None
    summary: dict[str, Any]


def _out(run: Any) -> dict[str, Any]:
    return {"id": run.pk, "title": run.title, "status": run.status, "progress": run.progress,
            "alloy": run.alloy, "mould": run.mould, "cells": run.cells, "created_at": run.created_at,
            "finished_at": run.finished_at, "wall_seconds": run.wall_seconds, "error": run.error,
            "support_request": run.support_request_id, "summary": run.summary}


@router.post("/simulations", response={202: RunCreated}, auth=bearer)
def create_simulation(request: HttpRequest, payload: Form[RunIn],
                      stl: File[UploadedFile] = None) -> Any:  # type: ignore[assignment]
    user = request.auth  # type: ignore[attr-defined]
    org = None
    if payload.organisation:
        org = Organisation.objects.filter(external_id=payload.organisation).first()
        if org is None:
            raise ActionRefused(f"unknown organisation '{payload.organisation}'", "organisation",
                                code="invalid")
    req = None
    if payload.support_request is not None:
        from clusterhub.support.models import SupportRequest

        req = SupportRequest.objects.for_user(user).filter(pk=payload.support_request).first()
        if req is None:
            raise ActionRefused("no such support request", "support_request", code="invalid")
    run = actions.create_run(
        user, title=payload.title, geometry=payload.geometry, alloy=payload.alloy,
        mould=payload.mould, pouring_temperature=payload.pouring_temperature,
        mesh_mm=payload.mesh_mm, dims_mm=(payload.dim_x, payload.dim_y, payload.dim_z),
        riser=payload.riser, stl_name=(stl.name or "") if stl else "",
        stl_content=service.read_upload(stl) if stl else None, organisation=org, support_request=req)
    return Status(202, {"id": run.pk, "status": run.status, "url": run.get_absolute_url()})


@router.get("/simulations/{run_id}", response=RunOut, auth=bearer)
def get_simulation(request: HttpRequest, run_id: int) -> Any:
    return _out(get_run_for_user(request.auth, run_id))  # type: ignore[attr-defined]


@router.post("/simulations/{run_id}/cancel", response=RunOut, auth=bearer)
def cancel_simulation(request: HttpRequest, run_id: int) -> Any:
    user = request.auth  # type: ignore[attr-defined]
    return _out(actions.cancel_run(user, get_run_for_user(user, run_id)))


@router.get("/simulations/{run_id}/report.pdf", auth=bearer)
def simulation_report(request: HttpRequest, run_id: int) -> HttpResponse:
    from django.http import Http404

    from .report import report_pdf

    run = get_run_for_user(request.auth, run_id)  # type: ignore[attr-defined]
    if not run.has_results:
        raise Http404
    response = HttpResponse(report_pdf(run), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="simulation-{run.pk}.pdf"'
    return response
