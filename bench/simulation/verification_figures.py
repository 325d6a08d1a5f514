"""Print the verification figures quoted in docs/simulation.md (same set-ups as the tests).

    .venv/bin/python bench/simulation/verification_figures.py
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "src"))

from clusterhub.simulation.solver import Boundary, Material, Solver  # noqa: E402
from clusterhub.simulation.tests import exact  # noqa: E402
from clusterhub.simulation.tests import test_exact_1d as t1  # noqa: E402
from clusterhub.simulation.tests import test_sand as ts  # noqa: E402
from clusterhub.simulation.tests.conftest import slab  # noqa: E402


def neumann() -> None:
    ex = exact.neumann(**t1.C1)
    for dx in (2.0, 1.0, 0.5):
        res = t1.run_c1(dx)
        X = res.fronts["10.0"]["solidus_mm"] / 1e3
        xc = (np.arange(res.T.shape[0]) + 0.5) * dx * 1e-3
        dT = np.abs(res.T[:, 0, 0] - ex.temperature(xc, 10.0))[xc < 0.08].max()
        print(f"C1 Neumann dx={dx} mm: front {X * 1e3:.3f} mm vs {ex.front(10.0) * 1e3:.3f} ({X / ex.front(10.0) - 1:+.2%}), max|dT| {dT:.2f} K")


def mushy() -> None:
    cases = [
        ("C2 chill, Ny at 561", t1.C2, None, False),
        ("C2e chill, Ny at 596", {**t1.C2, "TS": 577.0, "fE": 0.5}, 596.0, False),
        ("C2e chill, Ny at 580.8", {**t1.C2, "TS": 577.0, "fE": 0.5}, None, False),
        ("C6 steel chill, Ny at 1465", t1.C6, 1465.0, False),
        ("C3 A356 in H13 die, Ny at 561", t1.C2, None, True),
    ]
    for dx in (1.0, 0.5):
        for name, p, Tst, die in cases:
            t = 20.0 if die else (60.0 if p is t1.C6 else 12.0)
            if die:
                d = t1.DIE
                mould = Material("H13", rho=d["rho"], k_solid=d["k"], k_liquid=d["k"], c_solid=d["c"], c_liquid=d["c"])
                pb = slab(t1.alloy(p), 60.0, dx, p["Ti"], mould=mould, mould_mm=50.0, T_mould=d["T0"], mould_first=True, niyama_temperature=Tst)
                off = 50.0
                ex = t1.exact_mushy(p, die=True)
            else:
                Tw = 1000.0 if p is t1.C6 else 300.0
                pb = slab(t1.alloy(p), 80.0 if p is not t1.C6 else 60.0, dx, p["Ti"], wall=Boundary("temperature", value=Tw), niyama_temperature=Tst)
                off = 0.0
                ex = t1.exact_mushy(p, Tw=Tw)
            res = Solver(pb).run(end_time=t, front_times=[t])
            XS, XL = ex.fronts(t)
            fr = res.fronts[str(t)]
            es = (fr["solidus_mm"] - off) / (XS * 1e3) - 1
            el = (fr["liquidus_mm"] - off) / (XL * 1e3) - 1
            T_star = Tst if Tst is not None else t1.alloy(p).niyama_temperature
            ny = res.niyama_fields()["niyama"][:, 0, 0]
            x = (np.arange(ny.size) + 0.5) * dx - off
            sel = (x > (1.0 if die else 5.0)) & (x < 20.0) & np.isfinite(ny)
            nye = ex.niyama(T_star)
            extra = ""
            if die:
                nd = int(round(50.0 / dx))
                a, b = res.T[nd - 1, 0, 0], res.T[nd, 0, 0]
                tf = (a * t1.DIE["k"] + b * p["ks"]) / (t1.DIE["k"] + p["ks"])
                extra = f", interface {tf:.2f} vs {ex.T_interface:.2f} C"
            print(
                f"{name} dx={dx}: X_S {es:+.2%}, X_L {el:+.2%}, Ny median {np.median(ny[sel]):.3f} vs {nye:.3f} "
                f"({np.median(ny[sel]) / nye - 1:+.1%}; p10 {np.percentile(ny[sel], 10) / nye - 1:+.1%}, "
                f"p90 {np.percentile(ny[sel], 90) / nye - 1:+.1%}, {sel.sum()} cells){extra}"
            )


def sand() -> None:
    for dx in (2.0, 1.0, 0.5):
        for half in (10.0, 15.0):
            t = ts.plate_time(ts.pure_al, half, dx)
            print(f"Al plate {2 * half:.0f} mm in sand dx={dx}: {t:.1f} s vs exact {ts.exact_plate(ts.pure_al, half):.1f} s ({t / ts.exact_plate(ts.pure_al, half) - 1:+.2%}); Chvorinov {ts.chvorinov(ts.pure_al, half):.1f} s")
    t = ts.plate_time(ts.pure_fe, 10.0, 0.5)
    print(f"Fe plate 20 mm dx=0.5: {t:.1f} s vs exact {ts.exact_plate(ts.pure_fe, 10.0):.1f} s, Chvorinov {ts.chvorinov(ts.pure_fe, 10.0):.1f} s")
    ref = exact.sphere_freezing_time(0.02, 2700, 210, 1100, 397e3, 660, 0.52, 1600, 1170, 25.0)
    for dx in (2.0, 1.0):
        res = Solver(ts.sphere_octant(dx)).run(until_solidified=True)
        print(f"Al sphere r=20 mm in sand dx={dx}: {res.solidification_time:.2f} s vs 1-D reference {ref:.2f} s ({res.solidification_time / ref - 1:+.2%}); M={res.substeps}, wall {res.wall_seconds:.1f} s")
    for dx in (2.0, 1.0):
        pb, pts = ts.t_junction(dx)
        res = Solver(pb).run(until_solidified=True)
        last = [v * 1e3 for v in res.last_to_solidify()]
        ny = res.niyama_fields()["niyama"]
        ok = np.isfinite(ny)
        i, j, _ = np.argwhere(ok)[int(np.argmin(ny[ok]))]
        tt = {k: float(res.t_solidus[int(p[0] / dx), int(p[1] / dx), 0]) for k, p in pts.items()}
        print(f"T-junction dx={dx}: t_f {res.solidification_time:.1f} s, last at ({last[0]:.1f}, {last[1]:.1f}) mm, min Ny {ny[ok].min():.3f} at ({(i + .5) * dx:.1f}, {(j + .5) * dx:.1f}), t_solidus junction/web/flange {tt['junction']:.0f}/{tt['web']:.0f}/{tt['flange']:.0f} s")


if __name__ == "__main__":
    neumann()
    mushy()
    sand()
    B = exact.chvorinov_B(2700, 397e3, 660, 0.52, 1600, 1170, 25)
    print(f"Chvorinov B for pure Al in sand: {B:.3e} s/m2 ({B / 6e5:.2f} min/cm2)")
