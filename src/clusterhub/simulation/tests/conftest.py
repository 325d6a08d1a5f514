"""Helpers for the solver verification tests (no database: nothing here is marked django_db)."""

from __future__ import annotations

import numpy as np

from clusterhub.simulation.solver import Boundary, Material, Problem


def slab(
    metal: Material,
    metal_mm: float,
    dx_mm: float,
    T_metal: float,
    wall: Boundary | None = None,
    mould: Material | None = None,
    mould_mm: float = 0.0,
    T_mould: float = 25.0,
    mould_first: bool = False,
    niyama_temperature: float | None = None,
) -> Problem:
    """A 1-D-like problem: one row of cells along x (y and z one cell, adiabatic).

    mould_first puts the mould at x = 0 (a die in front of the metal); otherwise the metal
    starts at x = 0 and the mould follows it (a plate half-thickness against its sand).
    """
    nm = int(round(metal_mm / dx_mm))
    nd = int(round(mould_mm / dx_mm)) if mould is not None else 0
    mats = [metal] + ([mould] if mould is not None else [])
    mat = np.zeros((nm + nd, 1, 1), dtype=np.uint8)
    T0 = np.full((nm + nd, 1, 1), T_metal)
    if nd:
        sl = slice(0, nd) if mould_first else slice(nm, nm + nd)
        mat[sl] = 1
        T0[sl] = T_mould
    bnd = {"x-": wall} if wall is not None else {}
    return Problem(
        spacing=dx_mm * 1e-3, materials=mats, mat=mat, T0=T0, boundaries=bnd,
        niyama_temperature=niyama_temperature,
    )


# ---- the service: personas and runs ------------------------------------------------------
import pytest  # noqa: E402

PERSONAS = ["sme", "other_sme", "expert", "coordinator", "other_coordinator", "admin", "analyst",
            "anonymous"]
# Who sees a run of hub.firm (made by hub.sme, served by hub.desk).
SEES_RUN = {"sme", "coordinator", "admin"}


def user_of(hub, persona):  # type: ignore[no-untyped-def]
    return {
        "sme": hub.sme, "other_sme": hub.other_sme, "expert": hub.expert_user,
        "coordinator": hub.coordinator, "other_coordinator": hub.other_coordinator,
        "admin": hub.admin, "analyst": hub.analyst, "anonymous": None,
    }[persona]


QUICK = {"title": "시험 평판", "geometry": "box", "alloy": "A356", "mould": "silica_sand",
         "pouring_temperature": 700.0, "mesh_mm": 2.0, "dims_mm": (20.0, 20.0, 10.0)}


def make_run(hub, execute=True, **kw):  # type: ignore[no-untyped-def]
    """A quick-shape run of hub.firm (about 3,000 cells), solved in this process."""
    from clusterhub.simulation import actions

    params = {**QUICK, **kw}
    run = actions.create_run(hub.sme, enqueue=False, **params)
    if execute:
        actions.execute_run(run.pk)
        run.refresh_from_db()
    return run


@pytest.fixture(autouse=True)
def _english_and_fast(settings):  # type: ignore[no-untyped-def]
    from django.utils import translation

    settings.LANGUAGE_CODE = "en"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    with translation.override("en"):
        yield


@pytest.fixture
def done_run(hub):  # type: ignore[no-untyped-def]
    return make_run(hub, riser=True)
