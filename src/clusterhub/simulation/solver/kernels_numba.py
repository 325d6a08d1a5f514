"""Compiled CPU kernels (Numba, parallel over x-planes with prange).

All arrays are the padded grid (one ghost layer on every side) flattened in C order; `sx`, `sy`
are the strides of x and y in cells (z is contiguous). Ghost cells carry the boundary condition:
temperature T_g and half-resistance r_g (0 for a fixed temperature, 1/(h dx) for convection,
inf for an adiabatic face), so the update has no boundary branches.

The fused update of a cell reads H, T, r (r = 1/(2k)) and the material id, and writes H, T_new
and r_new: flux through each face (T_n - T_c) / (r_c + r_n [+ R_ab]) times dt/dx^2, then
T and r from the new enthalpy. Face terms are computed with the same operands from both sides,
so what leaves one cell enters its neighbour to the last bit (the sums of six terms round on
their own, which is the only source of drift).
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from .materials import (
    MUSH_TABLE_SIZE,
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
    P_LATENT,
    P_RL,
    P_RS,
    P_TS,
)

NTAB = MUSH_TABLE_SIZE

# Records (rows of X): times the enthalpy fell below H_L and H_S, and the temperature below
# T* + d, T*, T* - d (each interpolated within the step); and the thermal gradient (K/m) at the
# moment the cell reached T*, from the field at that step; and the time the enthalpy fell below the
# middle of the solidus plateau (a front crossing the cell centre; = X_SOL without a plateau).
X_LIQ, X_SOL, X_HI, X_STAR, X_LO, X_GRAD, X_MID = 0, 1, 2, 3, 4, 5, 6
N_RECORDS = 7


@njit(cache=True, error_model="numpy")
def _grad_at(T, mat, c, m, tstar, sx, sy, nx, ny, nz, inv_dx):
    """|grad T| at a cell that just reached tstar, from same-material neighbours.

    Along each axis where the temperature rises through the cell, a one-sided difference on the
    hot side (second order when two cells are there): the cold side may hold the solidus plateau,
    whose kink spoils a central difference. Where the cell is an extremum along the axis, or
    has one usable neighbour only, the central or first-order difference.
    """
    i = c // sx
    rem = c - i * sx
    j = rem // sy
    k = rem - j * sy
    g2 = 0.0
    for axis in range(3):
        if axis == 0:
            o, p, n = sx, i, nx
        elif axis == 1:
            o, p, n = sy, j, ny
        else:
            o, p, n = 1, k, nz
        vm = p - 1 >= 1 and mat[c - o] == m
        vp = p + 1 <= n - 2 and mat[c + o] == m
        if not vm and not vp:
            continue
        if vm and vp:
            tm = T[c - o]
            tp = T[c + o]
            if (tp - tstar) * (tm - tstar) >= 0.0:
                d = 0.5 * (tp - tm)
                g2 += d * d
                continue
            s = 1 if tp > tm else -1
        else:
            s = 1 if vp else -1
        t1 = T[c + s * o]
        if (p + 2 * s >= 1) and (p + 2 * s <= n - 2) and mat[c + 2 * s * o] == m:
            d = 0.5 * (4.0 * t1 - T[c + 2 * s * o] - 3.0 * tstar)
        else:
            d = t1 - tstar
        g2 += d * d
    return np.sqrt(g2) * inv_dx


@njit(cache=True, error_model="numpy")
def _record(c, m, h0, h1, t0, t1, time, dt, P, thr, X, T, mat, sx, sy, nx, ny, nz, inv_dx):
    hl = P[m, P_HL]
    if h0 > hl and h1 <= hl:
        X[X_LIQ, c] = time + dt * (h0 - hl) / (h0 - h1)
    hs = P[m, P_HS]
    if h0 > hs and h1 <= hs:
        X[X_SOL, c] = time + dt * (h0 - hs) / (h0 - h1)
    hm = 0.5 * (hs + P[m, P_HE])
    if h0 > hm and h1 <= hm:
        X[X_MID, c] = time + dt * (h0 - hm) / (h0 - h1)
    for q in range(3):
        tq = thr[m, q]
        if t0 > tq and t1 <= tq:
            X[X_HI + q, c] = time + dt * (t0 - tq) / (t0 - t1)
            if q == 1:
                X[X_GRAD, c] = _grad_at(T, mat, c, m, tq, sx, sy, nx, ny, nz, inv_dx)


@njit(cache=True, error_model="numpy")
def _update_range(c0, c1, qb, H, T, Tn, r, rn, mat, P, Ttab, Rtab, Rint, has_rint, thr, X, sx, sy, nx, ny, nz, inv_dx, dtk, time, dt):
    """The fused update of the consecutive cells c0 .. c1 - 1 (one row, or one run of a list).

    Two sweeps over the row, which stays in L1: the face fluxes into qb (branch-free, so the
    compiler vectorises the six divisions), then enthalpy, T(H), r(H) and the records.
    """
    n = c1 - c0
    if has_rint:
        for c in range(c0, c1):
            tc = T[c]
            rc = r[c]
            m = mat[c]
            if has_rint:
                q = 0.0
                for o in (-sx, sx, -sy, sy, -1, 1):
                    nb = c + o
                    d = rc + r[nb]
                    mn = mat[nb]
                    if mn != m:
                        d += Rint[m, mn]
                    q += (T[nb] - tc) / d
            else:
                q = (
                    (T[c - sx] - tc) / (rc + r[c - sx])
                    + (T[c + sx] - tc) / (rc + r[c + sx])
                    + (T[c - sy] - tc) / (rc + r[c - sy])
                    + (T[c + sy] - tc) / (rc + r[c + sy])
                    + (T[c - 1] - tc) / (rc + r[c - 1])
                    + (T[c + 1] - tc) / (rc + r[c + 1])
                )
            qb[c - c0] = q
    else:
        Tz = T[c0 - 1 : c1 + 1]
        Rz = r[c0 - 1 : c1 + 1]
        Txm = T[c0 - sx : c1 - sx]
        Rxm = r[c0 - sx : c1 - sx]
        Txp = T[c0 + sx : c1 + sx]
        Rxp = r[c0 + sx : c1 + sx]
        Tym = T[c0 - sy : c1 - sy]
        Rym = r[c0 - sy : c1 - sy]
        Typ = T[c0 + sy : c1 + sy]
        Ryp = r[c0 + sy : c1 + sy]
        for k in range(n):
            tc = Tz[k + 1]
            rc = Rz[k + 1]
            qb[k] = (
                (Txm[k] - tc) / (rc + Rxm[k])
                + (Txp[k] - tc) / (rc + Rxp[k])
                + (Tym[k] - tc) / (rc + Rym[k])
                + (Typ[k] - tc) / (rc + Ryp[k])
                + (Tz[k] - tc) / (rc + Rz[k])
                + (Tz[k + 2] - tc) / (rc + Rz[k + 2])
            )
    for c in range(c0, c1):
        q = qb[c - c0]
        tc = T[c]
        m = mat[c]
        h0 = H[c]
        h1 = h0 + dtk * q
        H[c] = h1
        if P[m, P_LATENT] == 0.0:
            Tn[c] = h1 * P[m, P_AS] + P[m, P_BS]
            continue
        # T(H) and r(H): solid, liquid, solidus plateau, mush table
        if h1 <= P[m, P_HS]:
            t1 = h1 * P[m, P_AS] + P[m, P_BS]
            r1 = P[m, P_RS]
        elif h1 >= P[m, P_HL]:
            t1 = h1 * P[m, P_AL] + P[m, P_BL]
            r1 = P[m, P_RL]
        elif h1 <= P[m, P_HE]:
            theta = (P[m, P_HE] - h1) * P[m, P_INVDP]
            t1 = P[m, P_TS]
            r1 = 0.5 / (P[m, P_KE] + (P[m, P_KS] - P[m, P_KE]) * theta)
        else:
            x = (h1 - P[m, P_HE]) * P[m, P_INVDH]
            i = int(x)
            if i >= NTAB:
                i = NTAB - 1
            w = x - i
            t1 = Ttab[m, i] + (Ttab[m, i + 1] - Ttab[m, i]) * w
            r1 = Rtab[m, i] + (Rtab[m, i + 1] - Rtab[m, i]) * w
        Tn[c] = t1
        rn[c] = r1
        hl = P[m, P_HL]
        hm = 0.5 * (P[m, P_HS] + P[m, P_HE])
        if (h0 > hl and h1 <= hl) or (h0 > P[m, P_HS] and h1 <= hm) or (tc > thr[m, 2] and t1 <= thr[m, 0]):
            _record(c, m, h0, h1, tc, t1, time, dt, P, thr, X, T, mat, sx, sy, nx, ny, nz, inv_dx)


def _step_uniform(H, T, Tn, r, rn, mat, P, Ttab, Rtab, Rint, has_rint, thr, X, nx, ny, nz, inv_dx, dtk, time, dt):
    """One explicit step of every interior cell (nx, ny, nz: padded sizes)."""
    sy = nz
    sx = ny * nz
    for i in prange(1, nx - 1):
        qb = np.empty(nz)
        for j in range(1, ny - 1):
            base = i * sx + j * sy
            _update_range(
                base + 1, base + nz - 1, qb, H, T, Tn, r, rn, mat, P, Ttab, Rtab, Rint, has_rint, thr, X,
                sx, sy, nx, ny, nz, inv_dx, dtk, time, dt,
            )


def _step_list(runs, H, T, Tn, r, rn, mat, P, Ttab, Rtab, Rint, has_rint, thr, X, nx, ny, nz, inv_dx, dtk, time, dt):
    """One explicit (sub)step of listed cells, given as runs [start, end) of consecutive cells.

    Runs through a casting are short (its thickness in cells), so the cell update is written out
    here instead of calling the row routine per run: that call, with its array arguments and row
    views, costs more than ten cells' updates.
    """
    sy = nz
    sx = ny * nz
    nruns = runs.shape[0]
    nchunks = min(nruns, 256)
    per = (nruns + nchunks - 1) // max(nchunks, 1)
    for ch in prange(nchunks):
        for p in range(ch * per, min(nruns, (ch + 1) * per)):
            for c in range(runs[p, 0], runs[p, 1]):
                tc = T[c]
                rc = r[c]
                m = mat[c]
                if has_rint:
                    q = 0.0
                    for o in (-sx, sx, -sy, sy, -1, 1):
                        nb = c + o
                        d = rc + r[nb]
                        mn = mat[nb]
                        if mn != m:
                            d += Rint[m, mn]
                        q += (T[nb] - tc) / d
                else:
                    q = (
                        (T[c - sx] - tc) / (rc + r[c - sx])
                        + (T[c + sx] - tc) / (rc + r[c + sx])
                        + (T[c - sy] - tc) / (rc + r[c - sy])
                        + (T[c + sy] - tc) / (rc + r[c + sy])
                        + (T[c - 1] - tc) / (rc + r[c - 1])
                        + (T[c + 1] - tc) / (rc + r[c + 1])
                    )
                h0 = H[c]
                h1 = h0 + dtk * q
                H[c] = h1
                if P[m, P_LATENT] == 0.0:
                    Tn[c] = h1 * P[m, P_AS] + P[m, P_BS]
                    continue
                # T(H) and r(H): solid, liquid, solidus plateau, mush table
                if h1 <= P[m, P_HS]:
                    t1 = h1 * P[m, P_AS] + P[m, P_BS]
                    r1 = P[m, P_RS]
                elif h1 >= P[m, P_HL]:
                    t1 = h1 * P[m, P_AL] + P[m, P_BL]
                    r1 = P[m, P_RL]
                elif h1 <= P[m, P_HE]:
                    theta = (P[m, P_HE] - h1) * P[m, P_INVDP]
                    t1 = P[m, P_TS]
                    r1 = 0.5 / (P[m, P_KE] + (P[m, P_KS] - P[m, P_KE]) * theta)
                else:
                    x = (h1 - P[m, P_HE]) * P[m, P_INVDH]
                    i = int(x)
                    if i >= NTAB:
                        i = NTAB - 1
                    w = x - i
                    t1 = Ttab[m, i] + (Ttab[m, i + 1] - Ttab[m, i]) * w
                    r1 = Rtab[m, i] + (Rtab[m, i + 1] - Rtab[m, i]) * w
                Tn[c] = t1
                rn[c] = r1
                hl = P[m, P_HL]
                hm = 0.5 * (P[m, P_HS] + P[m, P_HE])
                if (h0 > hl and h1 <= hl) or (h0 > P[m, P_HS] and h1 <= hm) or (tc > thr[m, 2] and t1 <= thr[m, 0]):
                    _record(c, m, h0, h1, tc, t1, time, dt, P, thr, X, T, mat, sx, sy, nx, ny, nz, inv_dx)


def runs_of(idx: np.ndarray) -> np.ndarray:
    """Sorted flat indices -> (n, 2) array of [start, end) runs of consecutive cells."""
    idx = np.sort(np.asarray(idx, dtype=np.int64))
    if idx.size == 0:
        return np.zeros((0, 2), dtype=np.int64)
    brk = np.nonzero(np.diff(idx) != 1)[0]
    starts = np.concatenate(([idx[0]], idx[brk + 1]))
    ends = np.concatenate((idx[brk] + 1, [idx[-1] + 1]))
    return np.ascontiguousarray(np.stack([starts, ends], axis=1))


def _accumulate_faces(face_fast, face_slow, T, r, mat, Rint, has_rint, acc):
    """acc[f] += what fast cell face_fast[f] sends to slow cell face_slow[f] this substep."""
    for f in prange(face_fast.shape[0]):
        a = face_fast[f]
        b = face_slow[f]
        d = r[b] + r[a]
        if has_rint:
            if mat[a] != mat[b]:
                d += Rint[mat[b], mat[a]]
        acc[f] += (T[a] - T[b]) / d


def _slow_flux(slow, H, T, r, mat, fast, Rint, has_rint, sx, sy, dtk):
    """Big-step enthalpy update of the slow cells from their slow neighbours only."""
    for p in prange(slow.shape[0]):
        c = slow[p]
        tc = T[c]
        rc = r[c]
        m = mat[c]
        q = 0.0
        for o in (-sx, sx, -sy, sy, -1, 1):
            n = c + o
            if fast[n]:
                continue
            d = rc + r[n]
            if has_rint:
                mn = mat[n]
                if mn != m:
                    d += Rint[m, mn]
            q += (T[n] - tc) / d
        H[c] += dtk * q


@njit(cache=True)
def scatter_faces(face_slow, acc, H, dtk):
    for f in range(face_slow.shape[0]):
        H[face_slow[f]] += dtk * acc[f]
        acc[f] = 0.0


def _slow_invert(slow, H, T, Tn, mat, P):
    for p in prange(slow.shape[0]):
        c = slow[p]
        m = mat[c]
        v = H[c] * P[m, P_AS] + P[m, P_BS]
        T[c] = v
        Tn[c] = v


@njit(cache=True)
def boundary_sum(cells, ghosts, T, r):
    s = 0.0
    for f in range(cells.shape[0]):
        c = cells[f]
        g = ghosts[f]
        s += (T[g] - T[c]) / (r[c] + r[g])
    return s


@njit(cache=True)
def count_unsolidified(idx, H, mat, P):
    n = 0
    for p in range(idx.shape[0]):
        c = idx[p]
        if H[c] > P[mat[c], P_HS]:
            n += 1
    return n


# Parallel kernels, and serial twins for small grids (thread start-up dominates there).
step_uniform = njit(parallel=True, cache=True, error_model="numpy")(_step_uniform)
step_uniform_serial = njit(cache=True, error_model="numpy")(_step_uniform)
step_list = njit(parallel=True, cache=True, error_model="numpy")(_step_list)
step_list_serial = njit(cache=True, error_model="numpy")(_step_list)
accumulate_faces = njit(parallel=True, cache=True, error_model="numpy")(_accumulate_faces)
accumulate_faces_serial = njit(cache=True, error_model="numpy")(_accumulate_faces)
slow_flux = njit(parallel=True, cache=True, error_model="numpy")(_slow_flux)
slow_flux_serial = njit(cache=True, error_model="numpy")(_slow_flux)
slow_invert = njit(parallel=True, cache=True, error_model="numpy")(_slow_invert)
slow_invert_serial = njit(cache=True, error_model="numpy")(_slow_invert)
PARALLEL_MIN_CELLS = 32768


def warm_up() -> None:
    """Compile the kernels on a tiny grid (numba caches them on disk afterwards)."""
    from .materials import N_PARAMS

    shape = (3, 3, 3)
    n = int(np.prod(shape))
    H = np.zeros(n)
    T = np.zeros(n)
    r = np.ones(n)
    mat = np.zeros(n, dtype=np.uint8)
    P = np.zeros((1, N_PARAMS))
    P[0, P_AS] = 1.0
    tab = np.zeros((1, NTAB + 1))
    Rint = np.zeros((1, 1))
    thr = np.zeros((1, 3))
    X = np.zeros((N_RECORDS, n))
    step_uniform(H, T, T.copy(), r, r.copy(), mat, P, tab, tab, Rint, False, thr, X, 3, 3, 3, 1.0, 0.0, 0.0, 0.0)
