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
