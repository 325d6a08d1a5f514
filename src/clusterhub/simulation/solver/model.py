"""The solver: a voxel problem, its state, explicit time stepping with sub-cycling, and results.

Time stepping (see docs/simulation.md, "Time stepping"): explicit finite volumes on the enthalpy.
Each cell's stable step is C_min / sum(face conductances) (C_min the smallest dH/dT of its
material off the mushy zone, face conductances with the largest conductivity of each side), so
the update is monotone. Metal and chill cells share the smallest step (the fast class); mould cells
whose own stable step is much longer (sand: ~240 times the aluminium step) form the slow class and
take one big step per M fast sub-steps. The heat crossing each fast/slow face is accumulated over
the sub-steps and handed to the slow cell at the end of the big step, so enthalpy is conserved
to rounding in every mode.
"""

from __future__ import annotations

import math
import time as _time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from . import kernels_numpy as knp
from .kernels_numba import N_RECORDS, X_GRAD, X_HI, X_LIQ, X_LO, X_MID, X_SOL, X_STAR
from .materials import (
    N_PARAMS,
    P_FP,
    P_HE,
    P_HL,
    P_HS,
    P_INVDP,
    Material,
)

FACES = ("x-", "x+", "y-", "y+", "z-", "z+")


@dataclass(frozen=True)
class Boundary:
    kind: str = "adiabatic"  # adiabatic | temperature | convection
    value: float = 0.0  # fixed temperature
    h: float = 0.0  # convection coefficient, W/m^2K
    ambient: float = 0.0


@dataclass
class Problem:
    """A voxel problem. Grid spacing in metres; arrays are (nx, ny, nz)."""

    spacing: float
    materials: list[Material]
    mat: np.ndarray  # uint8 material index per cell
    T0: np.ndarray  # initial temperature per cell, degC
    boundaries: dict[str, Boundary] = field(default_factory=dict)
    interfaces: dict[tuple[int, int], float] = field(default_factory=dict)  # htc, W/m^2K
    niyama_temperature: float | None = None  # overrides each alloy's T_S + 0.1 (T_L - T_S)

    @property
    def shape(self) -> tuple[int, int, int]:
        s = self.mat.shape
        return (int(s[0]), int(s[1]), int(s[2]))


@dataclass
class State:
    """Solver arrays (padded, flattened) and the constants the kernels read."""

    padded: tuple[int, int, int]
    spacing: float
    sx: int
    sy: int
    H: np.ndarray
    T: np.ndarray
    Tn: np.ndarray
    r: np.ndarray
    rn: np.ndarray
    mat: np.ndarray
    P: np.ndarray
    Ttab: np.ndarray
    Rtab: np.ndarray
    Ftab: np.ndarray
    Rint: np.ndarray
    has_rint: bool
    thr: np.ndarray
    X: np.ndarray
    latent_idx: np.ndarray
    interior_idx: np.ndarray
    a_cell: np.ndarray
    b_cell: np.ndarray
    rface: list[tuple[np.ndarray, np.ndarray]]
    rfaces: list[np.ndarray]
    fast: np.ndarray
    fast_idx: np.ndarray
    slow_idx: np.ndarray
    face_fast: np.ndarray
    face_slow: np.ndarray
    acc: np.ndarray
    bnd_cells: np.ndarray
    bnd_ghosts: np.ndarray
    bnd_fast: np.ndarray  # bool per boundary pair: its cell is fast

    def swap(self) -> None:
        self.T, self.Tn = self.Tn, self.T
        self.r, self.rn = self.rn, self.r


@dataclass
class Probe:
    name: str
    position: tuple[float, float, float]  # metres
    times: list[Any]  # as given (int or float), reported with str(time) keys


@dataclass
class RunResult:
    problem: Problem
    time: float
    steps: int
    fast_steps: int
    substeps: int
    dt_fast: float
    dt_slow: float
    wall_seconds: float
    T: np.ndarray
    H: np.ndarray
    fs: np.ndarray
    fs0: np.ndarray
    crossings: np.ndarray  # (7, nx, ny, nz): rows X_LIQ ... X_MID of kernels_numba
    thresholds: np.ndarray  # per material: T*+d, T*, T*-d
    probes: dict[str, dict[str, float]]
    fronts: dict[str, dict[str, float | None]]
    energy_initial: float
    energy_final: float
    boundary_heat: float
    energy_scale: float
    stopped: str  # end_time | solidified | max_time | cancelled

    # ---- derived fields ---------------------------------------------------------------
    @property
    def spacing(self) -> float:
        return self.problem.spacing

    @property
    def casting(self) -> np.ndarray:
        """Cells of latent materials that started above their solidus (the casting)."""
        lat = np.array([m.is_latent for m in self.problem.materials])[self.problem.mat]
        return lat & (self.fs0 < 1.0)

    @property
    def t_liquidus(self) -> np.ndarray:
        return self.crossings[X_LIQ]

    @property
    def t_solidus(self) -> np.ndarray:
        return self.crossings[X_SOL]

    @property
    def t_front(self) -> np.ndarray:
        """When the solidus front crossed each cell's centre (middle of a solidus plateau)."""
        return self.crossings[X_MID]

    @property
    def local_solidification_time(self) -> np.ndarray:
        """Liquidus to solidus at the cell centre (0 for a pure metal; NaN where not both)."""
        pure = np.array([m.is_pure for m in self.problem.materials])[self.problem.mat]
        start = np.where(pure, self.crossings[X_MID], self.crossings[X_LIQ])
        return self.crossings[X_MID] - start

    @property
    def solidified(self) -> bool:
        c = self.casting
        return bool(c.any()) and bool(np.all(self.fs[c] >= 1.0))

    @property
    def solidification_time(self) -> float | None:
        c = self.casting
        if not c.any() or not self.solidified:
            return None
        return float(np.nanmax(self.t_solidus[c]))

    def last_to_solidify(self) -> tuple[float, float, float] | None:
        """Centre (m) of the cells that reached the solidus last (ties within 1e-9 averaged)."""
        c = self.casting & np.isfinite(self.t_solidus)
        if not c.any():
            return None
        ts = np.where(c, self.t_solidus, -np.inf)
        tmax = ts.max()
        sel = ts >= tmax - 1e-9 * max(abs(tmax), 1.0)
        ijk = np.argwhere(sel).mean(axis=0)
        return tuple(float((v + 0.5) * self.spacing) for v in ijk)  # type: ignore[return-value]

    def hot_spots(self, limit: int = 10, radius: int = 2) -> list[dict[str, Any]]:
        """Last-to-freeze regions: regional maxima of the fully-solid time over the casting.

        A cell whose solidification time is the largest within `radius` cells (casting cells
        only) freezes after everything around it: an isolated liquid pocket that nothing can feed
        once it closes. Adjacent maxima (ties, symmetric pairs) are merged; each spot reports its
        centroid (mm), time (s) and cell count, latest first.
        """
        from scipy import ndimage

        c = self.casting & np.isfinite(self.t_solidus)
        if not c.any():
            return []
        t = np.where(c, self.t_solidus, -np.inf)
        peak = ndimage.maximum_filter(t, size=2 * radius + 1, mode="constant", cval=-np.inf)
        tol = 1e-9 * max(float(np.max(t[c])), 1.0)
        sel = c & (t >= peak - tol)
        labels, n = ndimage.label(sel, structure=np.ones((3, 3, 3)))
        spots: list[dict[str, Any]] = []
        for lab in range(1, n + 1):
            cells = np.argwhere(labels == lab)
            spots.append(
                {
                    "position_mm": [float((v + 0.5) * self.spacing * 1e3) for v in cells.mean(axis=0)],
                    "time_s": float(t[tuple(cells.T)].max()),
                    "cells": int(len(cells)),
                }
            )
        spots.sort(key=lambda d: -float(d["time_s"]))
        return spots[:limit]

    def niyama_fields(self) -> dict[str, np.ndarray]:
        """Thermal gradient (K/mm), cooling rate (K/s) and Niyama ((K s)^0.5/mm) at T*.

        Isotherm-velocity form (ProCAST's "method 1"): the kernel records, per cell, the time t*
        it reached T* (interpolated within the step) and |grad T| from the field at that step
        (one-sided on the hot side, away from a solidus plateau). The isotherm speed is
        V = 1 / |grad t*| from the arrival-time field, the cooling rate Tdot = G V, and
        Ny = G / sqrt(Tdot) = sqrt(G |grad t*|). Per-cell rates dT/dt next to an isothermal
        eutectic plateau jitter with the plateau cells; arrival times and the hot-side gradient
        don't, which keeps Ny convergent there. Where t* has a local maximum (the last liquid,
        |grad t*| = 0) Ny is 0 and the cooling rate falls back to the crossing of T* +- d.
        """
        X = self.crossings
        mats = self.problem.mat
        thr = self.thresholds
        ts = np.where(self.casting & np.isfinite(X[X_STAR]) & np.isfinite(X[X_GRAD]), X[X_STAR], np.nan)
        ok = np.isfinite(ts)
        g2 = np.zeros_like(ts)
        dx = self.spacing
        for axis in range(3):
            n = ts.shape[axis]
            if n < 2:
                continue
            lo = np.full_like(ts, np.nan)
            hi = np.full_like(ts, np.nan)
            sl_a = [slice(None)] * 3
            sl_b = [slice(None)] * 3
            sl_a[axis] = slice(1, None)
            sl_b[axis] = slice(None, -1)
            same = np.zeros(ts.shape, bool)
            same[tuple(sl_a)] = mats[tuple(sl_a)] == mats[tuple(sl_b)]
            lo[tuple(sl_a)] = np.where(same[tuple(sl_a)], ts[tuple(sl_b)], np.nan)
            same_hi = np.zeros(ts.shape, bool)
            same_hi[tuple(sl_b)] = mats[tuple(sl_a)] == mats[tuple(sl_b)]
            hi[tuple(sl_b)] = np.where(same_hi[tuple(sl_b)], ts[tuple(sl_a)], np.nan)
            both = np.isfinite(lo) & np.isfinite(hi)
            d = np.where(both, (hi - lo) / (2 * dx), np.nan)
            d = np.where(~both & np.isfinite(hi), (hi - ts) / dx, d)
            d = np.where(~both & np.isfinite(lo), (ts - lo) / dx, d)
            g2 += np.where(np.isfinite(d), d * d, 0.0)
        grad_t = np.sqrt(g2)  # s/m
        G = np.where(ok, X[X_GRAD], np.nan)  # K/m
        ny = np.where(ok, np.sqrt(np.where(ok, G * grad_t, 0.0)) / 1000.0, np.nan)
        with np.errstate(divide="ignore", invalid="ignore"):
            tdot = np.where(ok & (grad_t > 0), G / grad_t, np.nan)
            window = np.where(ok, thr[mats, 0] - thr[mats, 2], np.nan)
            dtw = X[X_LO] - X[X_HI]
            fallback = np.where(np.isfinite(dtw) & (dtw > 0), window / dtw, np.nan)
        tdot = np.where(ok & ~(grad_t > 0), fallback, tdot)
        return {"cooling_rate": tdot, "gradient": G / 1000.0, "niyama": ny, "t_star": ts}

    def latent_heat_released(self) -> float:
        """rho L (f_s,end - f_s,start) V summed over the latent cells, J."""
        mats = self.problem.materials
        rl = np.array([m.rho * m.latent_heat for m in mats])[self.problem.mat]
        return float(np.sum(rl * (self.fs - self.fs0)) * self.spacing**3)

    def latent_heat_available(self) -> float:
        mats = self.problem.materials
        rl = np.array([m.rho * m.latent_heat for m in mats])[self.problem.mat]
        return float(np.sum(rl * (1.0 - self.fs0)) * self.spacing**3)

    @property
    def energy_drift(self) -> float:
        """(E_end - E_0 - heat in through the boundary) / sum |H_0| V."""
        return (self.energy_final - self.energy_initial - self.boundary_heat) / self.energy_scale


def fraction_solid(H: np.ndarray, mat: np.ndarray, P: np.ndarray, Ftab: np.ndarray) -> np.ndarray:
    """f_s from enthalpy (0 for non-latent materials)."""
    from .kernels_numba import NTAB

    out = np.zeros(H.shape)
    m = mat.astype(np.int64)
    lat = P[m, 0] != 0.0
    if not lat.any():
        return out
    h = H[lat]
    ml = m[lat]
    Pm = P[ml]
    hs, he, hl = Pm[:, P_HS], Pm[:, P_HE], Pm[:, P_HL]
    f = np.zeros(h.shape)
    f[h <= hs] = 1.0
    pla = (h > hs) & (h <= he) & (h < hl)
    theta = (he[pla] - h[pla]) * Pm[pla, P_INVDP]
    f[pla] = 1.0 - Pm[pla, P_FP] * (1.0 - theta)
    tab = (h > he) & (h < hl)
    if tab.any():
        from .materials import P_INVDH

        x = (h[tab] - he[tab]) * Pm[tab, P_INVDH]
        i = np.minimum(x.astype(np.int64), NTAB - 1)
        w = x - i
        f[tab] = Ftab[ml[tab], i] + (Ftab[ml[tab], i + 1] - Ftab[ml[tab], i]) * w
    out[lat] = f
    return out


class Solver:
    """Explicit enthalpy solver on a voxel grid.

    backend: "numba" (fused compiled kernel) or "numpy" (reference path).
    substepping: "auto" (sub-cycle slow mould cells when it pays), "off".
    """

    def __init__(
        self,
        problem: Problem,
        backend: str = "numba",
        substepping: str = "auto",
        safety: float = 0.9,
        slow_safety: float = 0.5,
        min_ratio: int = 4,
    ) -> None:
        if backend not in ("numba", "numpy"):
            raise ValueError(f"unknown backend {backend!r}")
        self.problem = problem
        self.backend = backend
        self.safety = safety
        self.slow_safety = slow_safety
        self.S = self._build_state()
        self._plan_steps(substepping, min_ratio)
        self.time = 0.0

    # ---- set-up -----------------------------------------------------------------------
    def _build_state(self) -> State:
        pb = self.problem
        nx, ny, nz = pb.shape
        if len(pb.materials) > 255:
            raise ValueError("at most 255 materials")
        padded = (nx + 2, ny + 2, nz + 2)
        sx, sy = padded[1] * padded[2], padded[2]
        dx = pb.spacing
        nm = len(pb.materials)
        P = np.zeros((nm, N_PARAMS))
        from .kernels_numba import NTAB

        Ttab = np.zeros((nm, NTAB + 1))
        Rtab = np.zeros((nm, NTAB + 1))
        Ftab = np.zeros((nm, NTAB + 1))
        for i, m in enumerate(pb.materials):
            P[i] = m.params()
            Ttab[i], Rtab[i], Ftab[i] = m.mush_table(NTAB)
        mat = np.pad(pb.mat.astype(np.uint8), 1, mode="edge")
        # Initial enthalpy, temperature and half-resistance per cell.
        H0 = np.zeros(pb.shape)
        for i, m in enumerate(pb.materials):
            sel = pb.mat == i
            if sel.any():
                H0[sel] = m.enthalpy(pb.T0[sel])
        H = np.zeros(padded)
        H[1:-1, 1:-1, 1:-1] = H0
        T = np.zeros(padded)
        r = np.full(padded, np.inf)
        Hf = H.ravel()
        matf = mat.ravel()
        idx_all = np.arange(Hf.size).reshape(padded)[1:-1, 1:-1, 1:-1].ravel()
        Tint, rint = _invert_all(Hf[idx_all], matf[idx_all].astype(np.int64), P, Ttab, Rtab)
        T.ravel()[idx_all] = Tint
        r.ravel()[idx_all] = rint
        # Ghost layers carry the boundary conditions.
        for face in FACES:
            b = pb.boundaries.get(face, Boundary())
            sl = _ghost_slice(face)
            if b.kind == "adiabatic":
                T[sl], r[sl] = 0.0, np.inf
            elif b.kind == "temperature":
                T[sl], r[sl] = b.value, 0.0
            elif b.kind == "convection":
                T[sl], r[sl] = b.ambient, 1.0 / (b.h * dx)
            else:
                raise ValueError(f"boundary {face}: unknown type {b.kind!r}")
        Rint = np.zeros((nm, nm))
        for (a, bb), htc in pb.interfaces.items():
            Rint[a, bb] = Rint[bb, a] = 1.0 / (htc * dx)
        has_rint = bool(np.any(Rint > 0))
        rface: list[tuple[np.ndarray, np.ndarray]] = []
        if has_rint:
            mi = mat[1:-1, 1:-1, 1:-1].astype(np.int64)
            for axis in range(3):
                lo = [slice(1, -1)] * 3
                hi = [slice(1, -1)] * 3
                lo[axis] = slice(0, -2)
                hi[axis] = slice(2, None)
                rface.append((Rint[mi, mat[tuple(lo)]], Rint[mi, mat[tuple(hi)]]))
        rfaces: list[np.ndarray] = []
        if has_rint:
            for axis in range(3):
                a_sl = [slice(1, -1)] * 3
                b_sl = [slice(1, -1)] * 3
                a_sl[axis] = slice(0, -1)
                b_sl[axis] = slice(1, None)
                rfaces.append(Rint[mat[tuple(a_sl)].astype(np.int64), mat[tuple(b_sl)].astype(np.int64)])
        # Thresholds for the Niyama window: T*+d, T*, T*-d per material.
        thr = np.full((nm, 3), -np.inf)
        for i, m in enumerate(pb.materials):
            if m.is_latent:
                thr[i] = niyama_window(m, pb.niyama_temperature)
        lat_mask = P[matf[idx_all].astype(np.int64), 0] != 0.0
        latent_idx = idx_all[lat_mask]
        mi_int = pb.mat.astype(np.int64)
        a_cell = P[mi_int, 1]
        b_cell = P[mi_int, 2]
        # Boundary pairs (interior cell, ghost) on non-adiabatic faces, for the heat balance.
        cells, ghosts = [], []
        flat = np.arange(Hf.size).reshape(padded)
        for face in FACES:
            b = pb.boundaries.get(face, Boundary())
            if b.kind == "adiabatic":
                continue
            g = flat[_ghost_slice(face)]
            c = flat[_inner_slice(face)]
            cells.append(c.ravel())
            ghosts.append(g.ravel())
        bc = np.concatenate(cells) if cells else np.zeros(0, np.int64)
        bg = np.concatenate(ghosts) if ghosts else np.zeros(0, np.int64)
        empty = np.zeros(0, np.int64)
        return State(
            padded=padded, spacing=dx, sx=sx, sy=sy, H=Hf, T=T.ravel(), Tn=T.ravel().copy(), r=r.ravel(),
            rn=r.ravel().copy(), mat=matf, P=P, Ttab=Ttab, Rtab=Rtab, Ftab=Ftab, Rint=Rint,
            has_rint=has_rint, thr=thr, X=np.full((N_RECORDS, Hf.size), np.nan),
            latent_idx=latent_idx, interior_idx=idx_all, a_cell=a_cell, b_cell=b_cell,
            rface=rface, rfaces=rfaces, fast=np.zeros(Hf.size, np.uint8), fast_idx=empty, slow_idx=empty,
            face_fast=empty, face_slow=empty, acc=np.zeros(0), bnd_cells=bc, bnd_ghosts=bg,
            bnd_fast=np.ones(bc.size, bool),
        )

    def stable_steps(self) -> np.ndarray:
        """Each interior cell's stable explicit step (s), from its worst-case conductances."""
        pb = self.problem
        S = self.S
        dx = pb.spacing
        cap = np.array([m.stable_capacity() for m in pb.materials])
        rmin = np.array([0.5 / m.max_conductivity() for m in pb.materials])
        rpad = np.full(S.padded, np.inf)
        rpad[1:-1, 1:-1, 1:-1] = rmin[pb.mat]
        r_now = S.r.reshape(S.padded)
        for face in FACES:  # ghosts: boundary resistances
            sl = _ghost_slice(face)
            rpad[sl] = r_now[sl]
        mat = S.mat.reshape(S.padded)
        c = (slice(1, -1),) * 3
        gsum = np.zeros(pb.shape)
        for axis in range(3):
            for off in (slice(0, -2), slice(2, None)):
                sl_nb = [slice(1, -1)] * 3
                sl_nb[axis] = off
                nb = tuple(sl_nb)
                d = rpad[c] + rpad[nb]
                if S.has_rint:
                    d = d + S.Rint[mat[c].astype(np.int64), mat[nb].astype(np.int64)]
                gsum += 1.0 / (dx * dx * d)
        with np.errstate(divide="ignore"):
            return np.where(gsum > 0, cap[pb.mat] / gsum, np.inf)

    def _plan_steps(self, substepping: str, min_ratio: int) -> None:
        S = self.S
        pb = self.problem
        dts = self.stable_steps()
        finite = dts[np.isfinite(dts)]
        self.dt_fast = self.safety * float(finite.min()) if finite.size else 1.0
        self.substeps = 1
        self.dt_slow = self.dt_fast
        self._split_boundary()
        if substepping == "off":
            return
        latent = np.array([m.is_latent for m in pb.materials])[pb.mat]
        slow = (~latent) & (dts >= min_ratio * self.dt_fast / self.safety)
        if slow.sum() < 0.2 * slow.size:
            return
        dt_big = self.slow_safety * float(dts[slow].min())
        M = int(dt_big // self.dt_fast)
        if M < min_ratio:
            return
        self.substeps = M
        self.dt_slow = M * self.dt_fast
        interior = S.interior_idx.reshape(pb.shape)
        fast_mask = np.zeros(S.padded, np.uint8)
        fast_mask[1:-1, 1:-1, 1:-1] = ~slow
        S.fast = fast_mask.ravel()
        S.fast_idx = interior[~slow].ravel()
        S.slow_idx = interior[slow].ravel()
        ff, fsl = [], []
        for o in (-S.sx, S.sx, -S.sy, S.sy, -1, 1):
            nb = S.fast_idx + o
            isslow = np.zeros(nb.shape, bool)
            interior_nb = S.fast[nb] == 0
            # slow interior neighbours only (ghosts are neither)
            isslow = interior_nb & np.isin(nb, S.slow_idx, assume_unique=False)
            ff.append(S.fast_idx[isslow])
            fsl.append(nb[isslow])
        from .kernels_numba import runs_of

        self._fast_runs = runs_of(S.fast_idx)
        S.face_fast = np.concatenate(ff)
        S.face_slow = np.concatenate(fsl)
        S.acc = np.zeros(S.face_fast.size)
        S.bnd_fast = S.fast[S.bnd_cells] != 0
        self._split_boundary()

    def _split_boundary(self) -> None:
        S = self.S
        self._bf_cells, self._bf_ghosts = S.bnd_cells[S.bnd_fast], S.bnd_ghosts[S.bnd_fast]
        self._bs_cells, self._bs_ghosts = S.bnd_cells[~S.bnd_fast], S.bnd_ghosts[~S.bnd_fast]

    # ---- stepping ---------------------------------------------------------------------
    def _k(self) -> Any:
        if self.backend == "numba":
            from . import kernels_numba

            return kernels_numba
        return knp

    def step_uniform(self, dt: float) -> float:
        """Advance every cell by dt (<= dt_fast); returns boundary heat (J) taken in."""
        S = self.S
        dtk = dt / self.problem.spacing**2
        q = self._boundary(S.bnd_cells, S.bnd_ghosts) * dtk
        if self.backend == "numba":
            from . import kernels_numba as k

            nx, ny, nz = S.padded
            kern = k.step_uniform if S.interior_idx.size >= k.PARALLEL_MIN_CELLS else k.step_uniform_serial
            kern(
                S.H, S.T, S.Tn, S.r, S.rn, S.mat, S.P, S.Ttab, S.Rtab, S.Rint, S.has_rint, S.thr,
                S.X, nx, ny, nz, 1.0 / self.problem.spacing, dtk, self.time, dt,
            )
        else:
            knp.step_uniform(S, dtk, self.time, dt)
        return q * self.problem.spacing**3

    def _boundary(self, cells: np.ndarray, ghosts: np.ndarray) -> float:
        if cells.size == 0:
            return 0.0
        if self.backend == "numba":
            from . import kernels_numba as k

            return float(k.boundary_sum(cells, ghosts, self.S.T, self.S.r))
        return knp.boundary_sum(self.S, cells, ghosts)

    def substep_fast(self, dt: float) -> float:
        S = self.S
        dtk = dt / self.problem.spacing**2
        q = self._boundary(self._bf_cells, self._bf_ghosts) * dtk
        if self.backend == "numba":
            from . import kernels_numba as k

            big = k.PARALLEL_MIN_CELLS
            acc = k.accumulate_faces if S.face_fast.size >= big else k.accumulate_faces_serial
            acc(S.face_fast, S.face_slow, S.T, S.r, S.mat, S.Rint, S.has_rint, S.acc)
            nx, ny, nz = S.padded
            kern = k.step_list if S.fast_idx.size >= big else k.step_list_serial
            kern(
                self._fast_runs, S.H, S.T, S.Tn, S.r, S.rn, S.mat, S.P, S.Ttab, S.Rtab, S.Rint,
                S.has_rint, S.thr, S.X, nx, ny, nz, 1.0 / self.problem.spacing, dtk, self.time, dt,
            )
        else:
            knp.accumulate_faces(S)
            knp.step_list(S, S.fast_idx, dtk, self.time, dt)
        return q * self.problem.spacing**3

    def finish_slow(self, dt_big: float, dt_fast: float) -> float:
        """Big-step update of the slow cells (their T is read at the big step's start)."""
        S = self.S
        dtk = dt_big / self.problem.spacing**2
        dtk_f = dt_fast / self.problem.spacing**2
        q = self._boundary(self._bs_cells, self._bs_ghosts) * dtk
        if self.backend == "numba":
            from . import kernels_numba as k

            par = S.slow_idx.size >= k.PARALLEL_MIN_CELLS
            (k.slow_flux if par else k.slow_flux_serial)(
                S.slow_idx, S.H, S.T, S.r, S.mat, S.fast, S.Rint, S.has_rint, S.sx, S.sy, dtk
            )
            k.scatter_faces(S.face_slow, S.acc, S.H, dtk_f)
            (k.slow_invert if par else k.slow_invert_serial)(S.slow_idx, S.H, S.T, S.Tn, S.mat, S.P)
        else:
            knp.slow_flux(S, dtk)
            knp.scatter_faces(S, dtk_f)
            knp.slow_invert(S)
        return q * self.problem.spacing**3

    def unsolidified(self) -> int:
        S = self.S
        if self.backend == "numba":
            from . import kernels_numba as k

            return int(k.count_unsolidified(S.latent_idx, S.H, S.mat, S.P))
        return knp.count_unsolidified(S)

    def energy(self) -> float:
        S = self.S
        return float(np.sum(S.H[S.interior_idx])) * self.problem.spacing**3

    def interior(self, a: np.ndarray) -> np.ndarray:
        return a.reshape(self.S.padded)[1:-1, 1:-1, 1:-1]

    # ---- driver -----------------------------------------------------------------------
    def run(
        self,
        end_time: float | None = None,
        until_solidified: bool = False,
        max_time: float = 1.0e5,
        probes: list[Probe] | None = None,
        front_times: list[Any] | None = None,
        callback: Callable[[float, float], bool | None] | None = None,
        check_every: int = 32,
    ) -> RunResult:
        """Run to end_time, or until every casting cell is solid (whichever comes first).

        callback(time, fraction_done) is called about once a second of wall time; returning
        False cancels the run (the result so far is returned, stopped = "cancelled").
        """
        if end_time is None and not until_solidified:
            raise ValueError("give end_time or until_solidified")
        S = self.S
        stop_at = min(end_time if end_time is not None else math.inf, max_time)
        sampler = _Sampler(self, probes or [], front_times or [])
        wall0 = _time.perf_counter()
        fs0 = self._fs()
        E0 = self.energy()
        scale = float(np.sum(np.abs(S.H[S.interior_idx]))) * self.problem.spacing**3 or 1.0
        qin = 0.0
        steps = fast_steps = 0
        stopped = "end_time"
        last_cb = wall0
        nlat = max(1, S.latent_idx.size)
        has_casting = S.latent_idx.size > 0 or end_time is None
        M = self.substeps
        while True:
            every = 1 if M > 1 else check_every
            if until_solidified and has_casting and steps % every == 0 and self.unsolidified() == 0:
                stopped = "solidified"
                break
            remaining = stop_at - self.time
            if remaining <= 1e-12 * max(1.0, stop_at):
                stopped = "end_time" if end_time is not None and stop_at == end_time else "max_time"
                break
            # a big step of M fast sub-steps; near the end a shorter one, then one last uniform step
            m_sub = M if remaining >= self.dt_slow * (1 - 1e-12) else int(remaining / self.dt_fast)
            if M > 1 and m_sub >= 2:
                t_big = self.time
                for _ in range(m_sub):
                    dt = self.dt_fast
                    sampler.before(dt)
                    qin += self.substep_fast(dt)
                    S.swap()
                    # slow cells hold the same values in both buffers
                    self.time += dt
                    sampler.after(dt)
                    fast_steps += 1
                qin += self.finish_slow(m_sub * self.dt_fast, self.dt_fast)
                self.time = t_big + m_sub * self.dt_fast
            else:
                dt = min(self.dt_fast, remaining)
                sampler.before(dt)
                qin += self.step_uniform(dt)
                S.swap()
                self.time += dt
                sampler.after(dt)
                fast_steps += 1
            steps += 1
            if callback is not None:
                now = _time.perf_counter()
                if now - last_cb >= 1.0:
                    last_cb = now
                    if math.isfinite(stop_at):
                        frac = self.time / stop_at
                    else:
                        frac = 1.0 - self.unsolidified() / nlat
                    if callback(self.time, frac) is False:
                        stopped = "cancelled"
                        break
        H = self.interior(S.H).copy()
        fs = self._fs()
        X = np.stack([self.interior(S.X[i]) for i in range(N_RECORDS)])
        return RunResult(
            problem=self.problem, time=self.time, steps=steps, fast_steps=fast_steps,
            substeps=M, dt_fast=self.dt_fast, dt_slow=self.dt_slow,
            wall_seconds=_time.perf_counter() - wall0, T=self.interior(S.T).copy(), H=H, fs=fs,
            fs0=fs0, crossings=X, thresholds=S.thr.copy(), probes=sampler.probe_values,
            fronts=sampler.front_values, energy_initial=E0, energy_final=self.energy(),
            boundary_heat=qin, energy_scale=scale, stopped=stopped,
        )

    def _fs(self) -> np.ndarray:
        S = self.S
        return fraction_solid(self.interior(S.H), self.problem.mat, S.P, S.Ftab)


def niyama_window(m: Material, critical: float | None = None) -> np.ndarray:
    """(T* + d, T*, T* - d): the temperatures whose crossing times give Tdot and t*(x).

    d is a small part of the freezing range that stays off the solidus plateau. A pure metal has
    no mushy zone: its window lies just below the melting point (cooling of the fresh solid).
    """
    if m.is_pure or m.liquidus - m.solidus <= 0:
        t = m.solidus - 1.0 if critical is None else critical
        return np.array([t + 0.5, t, t - 0.5])
    t = m.niyama_temperature if critical is None else critical
    span = m.liquidus - m.solidus
    d = 0.02 * span
    if m.plateau_fraction > 0 and t > m.solidus:
        d = min(d, 0.45 * (t - m.solidus))
    if t < m.liquidus:
        d = min(d, 0.45 * (m.liquidus - t))
    d = max(d, 1e-3)
    return np.array([t + d, t, t - d])


def _invert_all(h: np.ndarray, m: np.ndarray, P: np.ndarray, Ttab: np.ndarray, Rtab: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    T = h * P[m, 1] + P[m, 2]
    R = P[m, 10].copy()
    lat = P[m, 0] != 0.0
    if lat.any():
        t, rr = knp.invert(h[lat], m[lat], P, Ttab, Rtab)
        T[lat] = t
        R[lat] = rr
    return T, R


def _ghost_slice(face: str) -> tuple[slice | int, ...]:
    axis = "xyz".index(face[0])
    sl: list[slice | int] = [slice(1, -1)] * 3
    sl[axis] = 0 if face[1] == "-" else -1
    return tuple(sl)


def _inner_slice(face: str) -> tuple[slice | int, ...]:
    axis = "xyz".index(face[0])
    sl: list[slice | int] = [slice(1, -1)] * 3
    sl[axis] = 1 if face[1] == "-" else -2
    return tuple(sl)


class _Sampler:
    """Probe temperatures and x-centre-line fronts at requested times, interpolated in time."""

    def __init__(self, solver: Solver, probes: list[Probe], front_times: list[Any]) -> None:
        self.solver = solver
        pb = solver.problem
        self.probe_values: dict[str, dict[str, float]] = {p.name: {} for p in probes}
        self.front_values: dict[str, dict[str, float | None]] = {}
        self.events: list[tuple[float, str, Any]] = []
        self.stencils: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        for p in probes:
            self.stencils[p.name] = _trilinear(solver, p.position)
            for t in p.times:
                self.events.append((float(t), "probe", (p.name, t)))
        for t in front_times:
            self.events.append((float(t), "front", t))
        self.events.sort(key=lambda e: e[0])
        self.pending: list[tuple[float, str, Any, Any]] = []
        nx, ny, nz = pb.shape
        jc, kc = (ny - 1) / 2.0, (nz - 1) / 2.0
        # the x centre line: nearest row of cells (average of the two or four middle rows)
        js = [int(math.floor(jc)), int(math.ceil(jc))]
        ks = [int(math.floor(kc)), int(math.ceil(kc))]
        S = solver.S
        flat = np.arange(S.H.size).reshape(S.padded)
        self.line = [flat[1:-1, j + 1, k + 1] for j in sorted(set(js)) for k in sorted(set(ks))]
        self.line_mat = pb.mat[:, js[0], ks[0]]
        # Events at time 0 are sampled from the initial state.
        while self.events and self.events[0][0] <= 0.0:
            ev = self.events.pop(0)
            self._emit(ev, self._snapshot(ev), self._snapshot(ev), 0.0)

    def _snapshot(self, ev: tuple[float, str, Any]) -> Any:
        S = self.solver.S
        if ev[1] == "probe":
            idx, w = self.stencils[ev[2][0]]
            return float(np.dot(S.T[idx], w))
        return self._fronts_now(S.T, S.H)

    def before(self, dt: float) -> None:
        t1 = self.solver.time + dt
        self.pending = []
        while self.events and self.events[0][0] <= t1 + 1e-12 * max(1.0, t1):
            ev = self.events.pop(0)
            self.pending.append((ev[0], ev[1], ev[2], self._snapshot(ev)))

    def after(self, dt: float) -> None:
        if not self.pending:
            return
        t1 = self.solver.time
        t0 = t1 - dt
        for te, kind, payload, before in self.pending:
            w = min(max((te - t0) / dt, 0.0), 1.0) if dt > 0 else 1.0
            self._emit((te, kind, payload), before, self._snapshot((te, kind, payload)), w)
        self.pending = []

    def _emit(self, ev: tuple[float, str, Any], a: Any, b: Any, w: float) -> None:
        _, kind, payload = ev
        if kind == "probe":
            name, t = payload
            self.probe_values[name][str(t)] = (1.0 - w) * a + w * b
        else:
            fr: dict[str, float | None] = {}
            for key in a:
                va, vb = a[key], b[key]
                fr[key] = (1.0 - w) * va + w * vb if va is not None and vb is not None else None
            self.front_values[str(payload)] = fr  # type: ignore[assignment]

    def _fronts_now(self, T: np.ndarray, H: np.ndarray) -> dict[str, float | None]:
        solver = self.solver
        pb = solver.problem
        dx = pb.spacing
        S = solver.S
        vals = []
        for line in self.line:
            vals.append(_fronts_on_line(T[line], H[line], self.line_mat, pb.materials, S.P, dx))
        out: dict[str, float | None] = {}
        for key in ("solidus_mm", "liquidus_mm"):
            got = [float(v[key]) for v in vals if v[key] is not None]  # type: ignore[arg-type]
            out[key] = float(np.mean(got)) if got else None
        return out


def _fronts_on_line(
    T: np.ndarray, H: np.ndarray, mats: np.ndarray, materials: list[Material], P: np.ndarray, dx: float
) -> dict[str, float | None]:
    """Solidus and liquidus positions (mm from the x- face) along one row of cells."""
    latent = np.array([m.is_latent for m in materials])[mats]
    if not latent.any():
        return {"solidus_mm": None, "liquidus_mm": None}
    first = int(np.argmax(latent))
    last = first
    while last + 1 < len(mats) and mats[last + 1] == mats[first]:
        last += 1
    m = materials[int(mats[first])]
    seg = slice(first, last + 1)
    x0 = first * dx
    xc = (np.arange(first, last + 1) + 0.5) * dx
    Ts = T[seg]
    Hs = H[seg]
    p = P[int(mats[first])]

    def plateau_front(hbot: float, htop: float) -> float:
        s = np.clip((htop - Hs) / (htop - hbot), 0.0, 1.0)
        return x0 + float(np.sum(s)) * dx

    def crossing(level: float) -> float:
        below = Ts < level
        if not below[0]:
            return x0
        i = int(np.argmin(below)) if not below.all() else len(Ts)
        if i >= len(Ts):
            return x0 + len(Ts) * dx
        ta, tb = Ts[i - 1], Ts[i]
        return float(xc[i - 1] + (level - ta) / (tb - ta) * dx)

    hs, he = p[P_HS], p[P_HE]
    if m.is_pure:
        x = plateau_front(hs, he)
        return {"solidus_mm": x * 1e3, "liquidus_mm": x * 1e3}
    xs = plateau_front(hs, he) if m.plateau_fraction > 0 else crossing(m.solidus)
    xl = crossing(m.liquidus)
    return {"solidus_mm": xs * 1e3, "liquidus_mm": xl * 1e3}


def _trilinear(solver: Solver, pos: tuple[float, float, float]) -> tuple[np.ndarray, np.ndarray]:
    """Flat indices and weights interpolating cell-centre values at pos (clamped to the grid)."""
    pb = solver.problem
    S = solver.S
    dx = pb.spacing
    flat = np.arange(S.H.size).reshape(S.padded)
    lo, ws = [], []
    for a in range(3):
        n = pb.shape[a]
        u = pos[a] / dx - 0.5
        u = min(max(u, 0.0), n - 1.0)
        i0 = min(int(math.floor(u)), max(n - 2, 0))
        f = u - i0
        if n == 1:
            i0, f = 0, 0.0
        lo.append(i0)
        ws.append(f)
    idx, w = [], []
    for di in (0, 1):
        for dj in (0, 1):
            for dk in (0, 1):
                wt = (ws[0] if di else 1 - ws[0]) * (ws[1] if dj else 1 - ws[1]) * (ws[2] if dk else 1 - ws[2])
                if wt == 0.0:
                    continue
                i = min(lo[0] + di, pb.shape[0] - 1)
                j = min(lo[1] + dj, pb.shape[1] - 1)
                k = min(lo[2] + dk, pb.shape[2] - 1)
                idx.append(flat[i + 1, j + 1, k + 1])
                w.append(wt)
    wa = np.array(w)
    return np.array(idx, dtype=np.int64), wa / wa.sum()
