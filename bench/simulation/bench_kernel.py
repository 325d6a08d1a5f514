"""Throughput of the fused enthalpy update (Mcell/s, fp64) for the NumPy and Numba paths.

    .venv/bin/python bench/simulation/bench_kernel.py [--n 160] [--repeat 20] [--threads 2]

The grid is an A356 block (liquid, mushy and solid layers) in silica sand, n^3 cells, all
updated each step (no sub-cycling): what the issue calls the fused update. For context it also
times a plain 7-point stencil (Numba, same threads) and a copy, the bandwidth ceilings. Each
figure is the best of `--repeat` timed calls after a warm-up. Results go to stdout as a table and,
with --json, as one JSON object. Figures for docs/simulation.md, never asserted in tests.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "src"))


def build(n: int):
    from clusterhub.simulation.solver import Problem, Solver, geometry, load_library

    lib = load_library()
    shape = (n, n, n)
    h = 2.0
    lo, hi = [0.15 * n * h] * 3, [0.85 * n * h] * 3
    inside = geometry.box_mask(shape, h, lo, hi)
    x = (np.arange(n) + 0.5) / n
    # a temperature ramp through the block: liquid, mushy zone and solid all present
    T = np.broadcast_to((560.0 + 80.0 * x)[:, None, None], shape)
    mat = inside.astype(np.uint8)
    T0 = np.where(inside, T, 25.0)
    pb = Problem(spacing=h * 1e-3, materials=[lib["silica_sand"], lib["A356"]], mat=mat, T0=T0)
    return Solver, pb


def best_of(fn, repeat: int) -> float:
    fn()
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=160)
    ap.add_argument("--repeat", type=int, default=20)
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    import numba

    if args.threads:
        numba.set_num_threads(args.threads)
    from numba import njit, prange

    Solver, pb = build(args.n)
    cells = args.n**3
    out: dict[str, object] = {"n": args.n, "cells": cells, "threads": numba.get_num_threads(), "cpu_count": os.cpu_count()}

    for backend in ("numba", "numpy"):
        s = Solver(pb, backend=backend, substepping="off")
        dt = s.dt_fast

        def step(s=s, dt=dt) -> None:
            s.step_uniform(dt)
            s.S.swap()

        reps = args.repeat if backend == "numba" else max(3, args.repeat // 5)
        out[f"fused_{backend}_mcells"] = cells / best_of(step, reps) / 1e6

    @njit(parallel=True, cache=True)
    def stencil7(a, b, c):
        nx, ny, nz = a.shape
        for i in prange(1, nx - 1):
            for j in range(1, ny - 1):
                for k in range(1, nz - 1):
                    b[i, j, k] = a[i, j, k] + c * (
                        a[i - 1, j, k] + a[i + 1, j, k] + a[i, j - 1, k] + a[i, j + 1, k] + a[i, j, k - 1]
                        + a[i, j, k + 1] - 6.0 * a[i, j, k]
                    )

    @njit(parallel=True, cache=True)
    def copy(a, b):
        fa = a.ravel()
        fb = b.ravel()
        for i in prange(fa.size):
            fb[i] = fa[i]

    a = np.random.default_rng(0).random((args.n + 2,) * 3)
    b = np.zeros_like(a)
    out["stencil7_numba_mcells"] = cells / best_of(lambda: stencil7(a, b, 0.1), args.repeat) / 1e6
    tcopy = best_of(lambda: copy(a, b), args.repeat)
    out["copy_bandwidth_GBs"] = 2 * a.nbytes / tcopy / 1e9
    out["fused_roofline_mcells"] = out["copy_bandwidth_GBs"] * 1e9 / 48 / 1e6  # type: ignore[operator]

    if args.json:
        print(json.dumps(out))
        return
    print(f"grid {args.n}^3 = {cells / 1e6:.2f} M cells, {out['threads']} threads, fp64")
    for k in ("fused_numba_mcells", "fused_numpy_mcells", "stencil7_numba_mcells"):
        print(f"  {k:24s} {out[k]:8.1f} Mcell/s")
    print(f"  {'copy bandwidth':24s} {out['copy_bandwidth_GBs']:8.1f} GB/s (read + write)")
    print(f"  {'fused roofline (48 B)':24s} {out['fused_roofline_mcells']:8.1f} Mcell/s")


if __name__ == "__main__":
    main()
