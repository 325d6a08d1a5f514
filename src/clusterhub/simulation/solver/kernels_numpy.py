"""NumPy reference kernels: the same arithmetic as kernels_numba, written with whole-array slicing.

Every function takes the solver state and mirrors its compiled twin operand for operand (same
face order, same expressions), so the two paths agree to rounding.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .kernels_numba import NTAB, X_GRAD, X_HI, X_LIQ, X_MID, X_SOL
from .materials import (
    P_AL,
    P_AS,
    P_BL,
    P_BS,
    P_HE,
    P_HL,
    P_HS,
    P_INVDH,
    P_INVDP,
    P_KE,
    P_KS,
    P_RL,
    P_RS,
    P_TS,
)

if TYPE_CHECKING:
    from .model import State


def invert(h: np.ndarray, m: np.ndarray, P: np.ndarray, Ttab: np.ndarray, Rtab: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Vector T(H), r(H) for latent cells of materials m (same branches as the kernel)."""
    Pm = P[m]
    hs, he, hl = Pm[:, P_HS], Pm[:, P_HE], Pm[:, P_HL]
    T = h * Pm[:, P_AS] + Pm[:, P_BS]
    R = Pm[:, P_RS].copy()
    liq = (h > hs) & (h >= hl)
    T[liq] = h[liq] * Pm[liq, P_AL] + Pm[liq, P_BL]
    R[liq] = Pm[liq, P_RL]
    pla = (h > hs) & (h < hl) & (h <= he)
    if pla.any():
        theta = (he[pla] - h[pla]) * Pm[pla, P_INVDP]
        k = Pm[pla, P_KE] + (Pm[pla, P_KS] - Pm[pla, P_KE]) * theta
        T[pla] = Pm[pla, P_TS]
        R[pla] = 0.5 / k
    tab = (h > he) & (h < hl)
    if tab.any():
        x = (h[tab] - he[tab]) * Pm[tab, P_INVDH]
        i = np.minimum(x.astype(np.int64), NTAB - 1)
        w = x - i
        mt = m[tab]
        T[tab] = Ttab[mt, i] + (Ttab[mt, i + 1] - Ttab[mt, i]) * w
        R[tab] = Rtab[mt, i] + (Rtab[mt, i + 1] - Rtab[mt, i]) * w
    return T, R


def grad_at(S: State, idx: np.ndarray, m: np.ndarray, tstar: np.ndarray) -> np.ndarray:
    """|grad T| (K/m) at cells idx that just reached tstar (same rules as the kernel)."""
    nx, ny, nz = S.padded
    i = idx // S.sx
    rem = idx - i * S.sx
    j = rem // S.sy
    k = rem - j * S.sy
    g2 = np.zeros(idx.shape)
    for o, p, n in ((S.sx, i, nx), (S.sy, j, ny), (1, k, nz)):
        vm = (p - 1 >= 1) & (S.mat[np.maximum(idx - o, 0)] == m)
        vp = (p + 1 <= n - 2) & (S.mat[np.minimum(idx + o, S.T.size - 1)] == m)
        tm = S.T[np.maximum(idx - o, 0)]
        tp = S.T[np.minimum(idx + o, S.T.size - 1)]
        both = vm & vp
        central = both & ((tp - tstar) * (tm - tstar) >= 0.0)
        s = np.where(both, np.where(tp > tm, 1, -1), np.where(vp, 1, -1))
        t1 = S.T[np.clip(idx + s * o, 0, S.T.size - 1)]
        p2 = p + 2 * s
        c2 = np.clip(idx + 2 * s * o, 0, S.T.size - 1)
        ok2 = (p2 >= 1) & (p2 <= n - 2) & (S.mat[c2] == m)
        d = np.where(ok2, 0.5 * (4.0 * t1 - S.T[c2] - 3.0 * tstar), t1 - tstar)
        d = np.where(central, 0.5 * (tp - tm), d)
        d = np.where(vm | vp, d, 0.0)
        g2 += d * d
    return np.sqrt(g2) / S.spacing


def record(
    idx: np.ndarray, m: np.ndarray, h0: np.ndarray, h1: np.ndarray, t0: np.ndarray, t1: np.ndarray,
    time: float, dt: float, P: np.ndarray, thr: np.ndarray, X: np.ndarray, S: State | None = None,
) -> None:
    hm = 0.5 * (P[m, P_HS] + P[m, P_HE])
    for row, lev, a, b in ((X_LIQ, P[m, P_HL], h0, h1), (X_SOL, P[m, P_HS], h0, h1), (X_MID, hm, h0, h1)):
        hit = (a > lev) & (b <= lev)
        if hit.any():
            X[row, idx[hit]] = time + dt * (a[hit] - lev[hit]) / (a[hit] - b[hit])
    for q in range(3):
        lev = thr[m, q]
        hit = (t0 > lev) & (t1 <= lev)
        if hit.any():
            X[X_HI + q, idx[hit]] = time + dt * (t0[hit] - lev[hit]) / (t0[hit] - t1[hit])
            if q == 1 and S is not None:
                X[X_GRAD, idx[hit]] = grad_at(S, idx[hit], m[hit], lev[hit])


def invert_one(h: np.ndarray, mi: int, P: np.ndarray, Ttab: np.ndarray, Rtab: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """T(H), r(H) for cells of one latent material (scalar parameters: fewer gathers). Each
    branch's cells are found once (flatnonzero) and gathered/scattered by index."""
    p = P[mi]
    hs, he, hl = p[P_HS], p[P_HE], p[P_HL]
    T = h * p[P_AS]
    T += p[P_BS]
    R = np.full(h.shape, p[P_RS])
    above = h > hs
    liq = np.flatnonzero(h >= hl)
    if liq.size:
        T[liq] = h[liq] * p[P_AL] + p[P_BL]
        R[liq] = p[P_RL]
    mush = above & (h < hl)
    pla = np.flatnonzero(mush & (h <= he))
    if pla.size:
        theta = (he - h[pla]) * p[P_INVDP]
        T[pla] = p[P_TS]
        R[pla] = 0.5 / (p[P_KE] + (p[P_KS] - p[P_KE]) * theta)
    tab = np.flatnonzero(mush & (h > he))
    if tab.size:
        x = (h[tab] - he) * p[P_INVDH]
        i = np.minimum(x.astype(np.int64), NTAB - 1)
        w = x - i
        tt, rt = Ttab[mi], Rtab[mi]
        t_lo, r_lo = tt[i], rt[i]
        T[tab] = t_lo + (tt[i + 1] - t_lo) * w
        R[tab] = r_lo + (rt[i + 1] - r_lo) * w
    return T, R


def _finish(S: State, idx: np.ndarray, h0: np.ndarray, t0: np.ndarray, time: float, dt: float) -> None:
    """Invert and record the latent cells idx (flat) after their H was updated."""
    mats = S.mat[idx]
    present = np.nonzero(np.bincount(mats, minlength=S.P.shape[0]))[0]
    for mi in present:
        sel = slice(None) if present.size == 1 else mats == mi
        ids = idx[sel]
        h1 = S.H[ids]
        t1, r1 = invert_one(h1, int(mi), S.P, S.Ttab, S.Rtab)
        S.Tn[ids] = t1
        S.rn[ids] = r1
        a, b = h0[sel], t0[sel]
        hl, hs, he = S.P[mi, P_HL], S.P[mi, P_HS], S.P[mi, P_HE]
        # cells that may have crossed a record level (the rest need no work)
        cand = ((a > hl) & (h1 <= hl)) | ((a > hs) & (h1 <= 0.5 * (hs + he))) | ((b > S.thr[mi, 2]) & (t1 <= S.thr[mi, 0]))
        if cand.any():
            m = np.full(int(cand.sum()), mi, dtype=np.int64)
            record(ids[cand], m, a[cand], h1[cand], b[cand], t1[cand], time, dt, S.P, S.thr, S.X, S)


# Cells per block of x-planes in step_uniform: the block's temporaries (face differences,
# resistances, fluxes) stay in the L2 cache instead of streaming whole-grid arrays through memory.
BLOCK_CELLS = 16384


def _scratch(S: State, shape: tuple[int, ...], n: int) -> list[np.ndarray]:
    """n reusable float buffers of `shape` kept on the state (no allocation per step)."""
    key = ("_np_scratch", shape, n)
    cache = S.__dict__.setdefault("_np_cache", {})
    bufs = cache.get(key)
    if bufs is None:
        bufs = [np.empty(shape) for _ in range(n)]
        cache[key] = bufs
    return bufs


def step_uniform(S: State, dtk: float, time: float, dt: float) -> None:
    """Face fluxes once per face (g = (T_hi - T_lo) / (r_lo + r_hi [+ R])), then the divergence,
    a block of x-planes at a time (cache blocking; every operation writes into a reused buffer).

    A cell's six terms are -g(low face) and +g(high face) per axis, summed in the kernel's order
    (x-, x+, y-, y+, z-, z+), so the result matches the compiled path to the last bit.
    """
    nx, ny, nz = S.padded
    T3 = S.T.reshape(S.padded)
    r3 = S.r.reshape(S.padded)
    H3 = S.H.reshape(S.padded)
    Tn3 = S.Tn.reshape(S.padded)
    lat = S.latent_idx
    h0 = S.H[lat]
    t0 = S.T[lat]
    plane = (ny - 2) * (nz - 2)
    B = max(1, min(nx - 2, BLOCK_CELLS // max(plane, 1)))
    for i0 in range(1, nx - 1, B):
        i1 = min(i0 + B, nx - 1)
        b = i1 - i0
        (q,) = _scratch(S, (b, ny - 2, nz - 2), 1)
        # x faces: b + 1 of them, between planes i0 - 1 .. i1
        dx_, gx = _scratch(S, (b + 1, ny - 2, nz - 2), 2)
        np.add(r3[i0 - 1:i1, 1:-1, 1:-1], r3[i0:i1 + 1, 1:-1, 1:-1], out=dx_)
        if S.has_rint:
            dx_ += S.rfaces[0][i0 - 1:i1]
        np.subtract(T3[i0:i1 + 1, 1:-1, 1:-1], T3[i0 - 1:i1, 1:-1, 1:-1], out=gx)
        np.divide(gx, dx_, out=gx)
        np.subtract(gx[1:], gx[:-1], out=q)
        dy_, gy = _scratch(S, (b, ny - 1, nz - 2), 2)
        np.add(r3[i0:i1, :-1, 1:-1], r3[i0:i1, 1:, 1:-1], out=dy_)
        if S.has_rint:
            dy_ += S.rfaces[1][i0 - 1:i1 - 1]
        np.subtract(T3[i0:i1, 1:, 1:-1], T3[i0:i1, :-1, 1:-1], out=gy)
        np.divide(gy, dy_, out=gy)
        q -= gy[:, :-1]
        q += gy[:, 1:]
        dz_, gz = _scratch(S, (b, ny - 2, nz - 1), 2)
        np.add(r3[i0:i1, 1:-1, :-1], r3[i0:i1, 1:-1, 1:], out=dz_)
        if S.has_rint:
            dz_ += S.rfaces[2][i0 - 1:i1 - 1]
        np.subtract(T3[i0:i1, 1:-1, 1:], T3[i0:i1, 1:-1, :-1], out=gz)
        np.divide(gz, dz_, out=gz)
        q -= gz[:, :, :-1]
        q += gz[:, :, 1:]
        q *= dtk
        Hc = H3[i0:i1, 1:-1, 1:-1]
        Hc += q
        Tn = Tn3[i0:i1, 1:-1, 1:-1]
        np.multiply(Hc, S.a_cell[i0 - 1:i1 - 1], out=Tn)
        Tn += S.b_cell[i0 - 1:i1 - 1]
    if lat.size:
        _finish(S, lat, h0, t0, time, dt)


def step_list(S: State, idx: np.ndarray, dtk: float, time: float, dt: float) -> None:
    tc = S.T[idx]
    rc = S.r[idx]
    m = S.mat[idx]
    q = None
    for o in (-S.sx, S.sx, -S.sy, S.sy, -1, 1):
        n = idx + o
        d = rc + S.r[n]
        if S.has_rint:
            d = d + S.Rint[m, S.mat[n]]
        term = (S.T[n] - tc) / d
        q = term if q is None else q + term
    assert q is not None
    h0 = S.H[idx]
    S.H[idx] = h0 + dtk * q
    latent = S.P[m, 0] != 0.0
    nl = idx[~latent]
    S.Tn[nl] = S.H[nl] * S.P[S.mat[nl], P_AS] + S.P[S.mat[nl], P_BS]
    if latent.any():
        _finish(S, idx[latent], h0[latent], tc[latent], time, dt)


def accumulate_faces(S: State) -> None:
    a, b = S.face_fast, S.face_slow
    d = S.r[b] + S.r[a]
    if S.has_rint:
        d = d + S.Rint[S.mat[b], S.mat[a]]
    S.acc += (S.T[a] - S.T[b]) / d


def slow_flux(S: State, dtk: float) -> None:
    idx = S.slow_idx
    tc = S.T[idx]
    rc = S.r[idx]
    m = S.mat[idx]
    q = np.zeros(idx.shape[0])
    for o in (-S.sx, S.sx, -S.sy, S.sy, -1, 1):
        n = idx + o
        d = rc + S.r[n]
        if S.has_rint:
            d = d + S.Rint[m, S.mat[n]]
        term = (S.T[n] - tc) / d
        q += np.where(S.fast[n] != 0, 0.0, term)
    S.H[idx] += dtk * q


def scatter_faces(S: State, dtk: float) -> None:
    np.add.at(S.H, S.face_slow, dtk * S.acc)
    S.acc[:] = 0.0


def slow_invert(S: State) -> None:
    idx = S.slow_idx
    m = S.mat[idx]
    v = S.H[idx] * S.P[m, P_AS] + S.P[m, P_BS]
    S.T[idx] = v
    S.Tn[idx] = v


def boundary_sum(S: State, cells: np.ndarray, ghosts: np.ndarray) -> float:
    return float(np.sum((S.T[ghosts] - S.T[cells]) / (S.r[cells] + S.r[ghosts])))


def count_unsolidified(S: State) -> int:
    idx = S.latent_idx
    return int(np.count_nonzero(S.H[idx] > S.P[S.mat[idx], P_HS]))
