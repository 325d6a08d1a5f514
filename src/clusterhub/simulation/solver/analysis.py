"""Feeding analysis on a finished run: isolated liquid pockets and Chvorinov's riser check.

Isolated liquid pockets
-----------------------
Feeding stops where the metal reaches a critical fraction solid fs_crit (the alloy's
`critical_fraction_solid`, 0.3 for A356, 0.5 for steel; 0.5 when the library gives none). At time
t the feedable liquid is the set of casting cells that have not reached fs_crit yet. That set only
shrinks; when it splits, every part is cut off from the others and whatever shrinkage it still has
to feed stays inside it: an isolated pocket.

The time t_c at which a cell reached fs_crit is taken from the recorded liquidus and solidus
crossings, t_c = t_L + fs_crit (t_S - t_L) (linear in time across the cell's freezing range; a cell
that never reached the solidus has t_c = +inf). The splits are found with a merge tree: cells are
added in order of decreasing t_c (running time backwards, the liquid grows and parts join) with
union-find over the six face neighbours. When two parts join at time t, in forward time they
separated at t, and each part that has not split before is a pocket isolated at t. Its volume is
the cells it held at that moment, its location their centroid and its hottest cell (largest t_c).

Ties and numerical wrinkles make many tiny maxima; a part whose own last-to-freeze time exceeds
the join time by less than `persistence` (default 2 % of the casting's t_c range) is merged
silently (topological persistence). A body of liquid that never splits is reported once, isolated
when its skin closes (the largest t_c on the casting's surface cells).

Chvorinov
---------
Modulus M = V / A from the voxels: V = n h^3, A = h^2 times the number of cell faces of the body
that face neither the body itself nor another metal part (contacts between the casting, its
risers and its gating cool nothing); faces on the grid boundary count. Each riser (a connected
component of riser cells) should have M_riser >= factor x M_casting (factor 1.2). The voxel
surface of a curved body is a staircase, which overstates the area of spheres and cylinders (a
sphere's by about 1.5x, a cylinder's side by 4/pi); boxes aligned with the grid are exact.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numba import njit

ROLE_NONE, ROLE_CASTING, ROLE_RISER, ROLE_GATING, ROLE_CHILL, ROLE_CORE = 0, 1, 2, 3, 4, 5
ROLES = {"casting": ROLE_CASTING, "riser": ROLE_RISER, "gating": ROLE_GATING,
         "chill": ROLE_CHILL, "core": ROLE_CORE}
METAL_ROLES = (ROLE_CASTING, ROLE_RISER, ROLE_GATING)
DEFAULT_FS_CRIT = 0.5
DEFAULT_PERSISTENCE = 0.02
CHVORINOV_FACTOR = 1.2


def critical_time(t_liq: np.ndarray, t_sol: np.ndarray, fs_crit: np.ndarray | float) -> np.ndarray:
    """When each cell reached fs_crit (s): t_L + fs_crit (t_S - t_L); +inf if never."""
    tl = np.where(np.isfinite(t_liq), t_liq, 0.0)  # started below the liquidus
    out = np.where(np.isfinite(t_sol), tl + fs_crit * (t_sol - tl), np.inf)
    return out


@njit(cache=True)
def _merge_tree(order, tc, active, surface, riser, shape, persistence):  # pragma: no cover - numba
    nx, ny, nz = shape
    n = nx * ny * nz
    parent = np.full(n, -1, np.int64)
    size = np.zeros(n, np.int64)
    peak = np.zeros(n, np.int64)  # the cell with the largest t_c (birth of the part)
    sx = np.zeros(n)
    sy = np.zeros(n)
    sz = np.zeros(n)
    nr = np.zeros(n, np.int64)  # riser cells
    done = np.zeros(n, np.bool_)  # the part has been reported (it split before)
    skin_t = np.full(n, np.nan)  # largest t_c among its surface cells (first seen backwards)
    skin_size = np.zeros(n, np.int64)
    skin_sum = np.zeros((n, 3))
    skin_nr = np.zeros(n, np.int64)
    out = np.zeros((n, 9))  # time, cells, cx, cy, cz, peak index, peak t_c, riser cells, kind
    nout = 0

    def find(a):
        r = a
        while parent[r] != r:
            r = parent[r]
        while parent[a] != r:
            nxt = parent[a]
            parent[a] = r
            a = nxt
        return r

    for q in range(order.size):
        c = order[q]
        t = tc[c]
        i = c // (ny * nz)
        j = (c // nz) % ny
        k = c % nz
        parent[c] = c
        size[c] = 0
        peak[c] = c
        if surface[c]:
            skin_t[c] = t
            skin_size[c] = 0
            skin_sum[c, 0] = 0.0
            skin_sum[c, 1] = 0.0
            skin_sum[c, 2] = 0.0
            skin_nr[c] = 0
        for d in range(6):
            ii, jj, kk = i, j, k
            if d == 0:
                ii -= 1
            elif d == 1:
                ii += 1
            elif d == 2:
                jj -= 1
            elif d == 3:
                jj += 1
            elif d == 4:
                kk -= 1
            else:
                kk += 1
            if ii < 0 or jj < 0 or kk < 0 or ii >= nx or jj >= ny or kk >= nz:
                continue
            nb = (ii * ny + jj) * nz + kk
            if not active[nb] or parent[nb] < 0:
                continue
            a = find(nb)
            b = find(c)
            if a == b:
                continue
            if size[b] == 0:
                # the new cell simply joins the part
                parent[b] = a
                if surface[c] and not (skin_t[a] == skin_t[a]):
                    skin_t[a] = t
                    skin_size[a] = size[a]
                    skin_sum[a, 0] = sx[a]
                    skin_sum[a, 1] = sy[a]
                    skin_sum[a, 2] = sz[a]
                    skin_nr[a] = nr[a]
                continue
            # two parts join: the elder has the later peak
            if tc[peak[a]] > tc[peak[b]] or (tc[peak[a]] == tc[peak[b]] and peak[a] < peak[b]):
                old, young = a, b
            else:
                old, young = b, a
            if tc[peak[young]] - t >= persistence:
                for r in (young, old):
                    if not done[r]:
                        out[nout, 0] = t
                        out[nout, 1] = size[r]
                        out[nout, 2] = sx[r] / size[r]
                        out[nout, 3] = sy[r] / size[r]
                        out[nout, 4] = sz[r] / size[r]
                        out[nout, 5] = peak[r]
                        out[nout, 6] = tc[peak[r]]
                        out[nout, 7] = nr[r]
                        out[nout, 8] = 0
                        nout += 1
                        done[r] = True
                done[old] = True
            elif done[young]:
                done[old] = True
            parent[young] = old
            size[old] += size[young]
            sx[old] += sx[young]
            sy[old] += sy[young]
            sz[old] += sz[young]
            nr[old] += nr[young]
            ys, os_ = skin_t[young], skin_t[old]
            if ys == ys and (not (os_ == os_) or ys > os_):
                skin_t[old] = ys
                skin_size[old] = skin_size[young]
                skin_sum[old, 0] = skin_sum[young, 0]
                skin_sum[old, 1] = skin_sum[young, 1]
                skin_sum[old, 2] = skin_sum[young, 2]
                skin_nr[old] = skin_nr[young]
        r = find(c)
        size[r] += 1
        sx[r] += i
        sy[r] += j
        sz[r] += k
        if riser[c]:
            nr[r] += 1
    # parts that never split: one pocket each, closed when its skin froze
    for q in range(order.size):
        c = order[q]
        if parent[c] != c or done[c]:
            continue
        if skin_t[c] == skin_t[c] and skin_size[c] > 0:
            m = skin_size[c]
            out[nout, 0] = skin_t[c]
            out[nout, 1] = m
            out[nout, 2] = skin_sum[c, 0] / m
            out[nout, 3] = skin_sum[c, 1] / m
            out[nout, 4] = skin_sum[c, 2] / m
            out[nout, 7] = skin_nr[c]
        else:
            out[nout, 0] = tc[peak[c]]
            out[nout, 1] = 1
            pi = peak[c]
            out[nout, 2] = pi // (ny * nz)
            out[nout, 3] = (pi // nz) % ny
            out[nout, 4] = pi % nz
            out[nout, 7] = 1 if riser[pi] else 0
        out[nout, 5] = peak[c]
        out[nout, 6] = tc[peak[c]]
        out[nout, 8] = 1
        nout += 1
    return out[:nout]


def surface_cells(body: np.ndarray, metal: np.ndarray | None = None) -> np.ndarray:
    """Cells of `body` with a face towards something that is not metal (or the grid's edge)."""
    metal = body if metal is None else metal
    p = np.pad(metal, 1, constant_values=False)
    inner = np.ones(body.shape, bool)
    for axis in range(3):
        for shift in (-1, 1):
            sl = [slice(1, -1)] * 3
            sl[axis] = slice(1 + shift, p.shape[axis] - 1 + shift)
            inner &= p[tuple(sl)]
    return body & ~inner


def liquid_pockets(
    tc: np.ndarray, casting: np.ndarray, spacing_mm: float, riser: np.ndarray | None = None,
    persistence: float | None = None, limit: int = 20,
) -> list[dict[str, Any]]:
    """Isolated liquid pockets from the fs_crit arrival times `tc` over the `casting` cells."""
    if not casting.any():
        return []
    riser = np.zeros(casting.shape, bool) if riser is None else (riser & casting)
    t = np.where(casting, tc, -np.inf)
    finite = t[casting & np.isfinite(t)]
    if persistence is None:
        span = float(finite.max() - finite.min()) if finite.size else 0.0
        persistence = DEFAULT_PERSISTENCE * span
    # cells that never reached fs_crit sort first (they are the last liquid)
    key = np.where(np.isfinite(t), t, np.nanmax(finite) + 1.0 if finite.size else 1.0)
    key = np.where(casting, key, -np.inf)
    flat = key.ravel()
    idx = np.flatnonzero(casting.ravel())
    order = idx[np.argsort(-flat[idx], kind="stable")]
    surf = surface_cells(casting)
    rows = _merge_tree(order, flat.copy(), casting.ravel(), surf.ravel(), riser.ravel(),
                       casting.shape, float(persistence))
    h = spacing_mm
    shape = casting.shape
    pockets: list[dict[str, Any]] = []
    for r in rows:
        pi = np.unravel_index(int(r[5]), shape)
        cells = int(r[1])
        riser_cells = int(r[7])
        pockets.append({
            "isolated_at_s": _fin(r[0]),
            "cells": cells,
            "volume_mm3": cells * h**3,
            "centroid_mm": [float((v + 0.5) * h) for v in r[2:5]],
            "last_liquid_mm": [float((v + 0.5) * h) for v in pi],
            "last_liquid_at_s": _fin(r[6]),
            "riser_cells": riser_cells,
            "fed_by_riser": riser_cells > 0,
            "never_split": bool(r[8]),
        })
    pockets.sort(key=lambda p: (-p["volume_mm3"], p["centroid_mm"]))
    return pockets[:limit]


def _fin(v: float) -> float | None:
    v = float(v)
    return v if np.isfinite(v) and v < 1e300 else None


# ---- Chvorinov ---------------------------------------------------------------------------
def modulus(body: np.ndarray, metal: np.ndarray, spacing_mm: float) -> dict[str, float]:
    """V, cooling area A (faces not touching metal) and M = V / A, in mm."""
    h = spacing_mm
    p = np.pad(metal, 1, constant_values=False)
    faces = 0
    for axis in range(3):
        for shift in (-1, 1):
            sl = [slice(1, -1)] * 3
            sl[axis] = slice(1 + shift, p.shape[axis] - 1 + shift)
            faces += int(np.count_nonzero(body & ~p[tuple(sl)]))
    v = float(body.sum()) * h**3
    a = faces * h**2
    return {"volume_mm3": v, "area_mm2": a, "modulus_mm": v / a if a else float("inf")}


def chvorinov_check(
    roles: np.ndarray, spacing_mm: float, factor: float = CHVORINOV_FACTOR,
    t_solidus: np.ndarray | None = None,
) -> dict[str, Any] | None:
    """Each riser's modulus against `factor` x the casting's (None when there is no casting)."""
    from scipy import ndimage

    casting = roles == ROLE_CASTING
    if not casting.any():
        return None
    metal = np.isin(roles, METAL_ROLES)
    mc = modulus(casting, metal, spacing_mm)
    out: dict[str, Any] = {"factor": factor, "casting": mc, "risers": [], "ok": None}
    if t_solidus is not None:
        ts = t_solidus[casting]
        out["casting"]["freezes_at_s"] = _fin(np.max(ts)) if np.all(np.isfinite(ts)) else None
    labels, n = ndimage.label(roles == ROLE_RISER)
    oks = []
    for lab in range(1, n + 1):
        body = labels == lab
        mr = modulus(body, metal, spacing_mm)
        ratio = mr["modulus_mm"] / mc["modulus_mm"] if mc["modulus_mm"] else float("inf")
        cells = np.argwhere(body)
        entry: dict[str, Any] = {
            **mr, "ratio": ratio, "ok": bool(ratio >= factor),
            "centroid_mm": [float((v + 0.5) * spacing_mm) for v in cells.mean(axis=0)],
            "touches_casting": bool(np.any(ndimage.binary_dilation(body) & casting)),
        }
        if t_solidus is not None:
            tr = t_solidus[body]
            entry["freezes_at_s"] = _fin(np.max(tr)) if np.all(np.isfinite(tr)) else None
        out["risers"].append(entry)
        oks.append(entry["ok"])
    out["ok"] = all(oks) if oks else None
    return out
