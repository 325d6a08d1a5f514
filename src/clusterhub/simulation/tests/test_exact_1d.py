"""1-D verification against exact solutions (fp64, thin grids): Neumann and the mushy zone.

Reference values are computed here from the formulas in tests/exact.py; nothing is hard-coded.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from clusterhub.simulation.solver import Boundary, Material, Solver

from . import exact
from .conftest import slab

# C1 (code_aster V4.22.002): pure Al against a chill wall.
C1 = dict(rho_cs=3.0e6, rho_cl=2.58e6, ks=210.0, kl=95.0, rho_L=1.08048e9, Tm=660.0, Tw=580.0, Ti=740.0)


def c1_material() -> Material:
    rho = 2700.0
    return Material(
        "C1", rho=rho, k_solid=C1["ks"], k_liquid=C1["kl"], c_solid=C1["rho_cs"] / rho,
        c_liquid=C1["rho_cl"] / rho, latent_heat=C1["rho_L"] / rho, liquidus=C1["Tm"], solidus=C1["Tm"],
    )


def run_c1(dx_mm: float, t: float = 10.0):
    pb = slab(c1_material(), 120.0, dx_mm, C1["Ti"], wall=Boundary("temperature", value=C1["Tw"]))
    return Solver(pb).run(end_time=t, front_times=[t])


def test_neumann_pure_metal_chill_front_and_profile() -> None:
    ex = exact.neumann(**C1)
    t = 10.0
    errors = {}
    for dx in (1.0, 0.5):
        res = run_c1(dx, t)
        X = res.fronts[str(t)]["solidus_mm"] / 1e3
        xc = (np.arange(res.T.shape[0]) + 0.5) * dx * 1e-3
        near = xc < 0.08
        dT = np.abs(res.T[:, 0, 0] - ex.temperature(xc, t))[near].max()
        errors[dx] = (abs(X / ex.front(t) - 1.0), dT)
    front_err, dT = errors[0.5]
    assert front_err <= 0.02, errors
    assert dT <= 1.5, errors
    # observed convergence between 1 and 0.5 mm (front and max temperature error)
    order_front = math.log(errors[1.0][0] / errors[0.5][0], 2)
    order_T = math.log(errors[1.0][1] / errors[0.5][1], 2)
    assert order_front >= 0.8 and order_T >= 0.8, (order_front, order_T, errors)


def test_neumann_probes_interpolate_in_time_and_space() -> None:
    from clusterhub.simulation.solver import Probe

    ex = exact.neumann(**C1)
    pb = slab(c1_material(), 120.0, 0.5, C1["Ti"], wall=Boundary("temperature", value=C1["Tw"]))
    res = Solver(pb).run(
        end_time=10.0, probes=[Probe("p5", (5e-3, 0, 0), [4, 10.0]), Probe("p30", (30e-3, 0, 0), [10])]
    )
    assert abs(res.probes["p5"]["10.0"] - float(ex.temperature(np.array([5e-3]), 10.0)[0])) < 1.5
    assert abs(res.probes["p5"]["4"] - float(ex.temperature(np.array([5e-3]), 4.0)[0])) < 1.5
    assert abs(res.probes["p30"]["10"] - float(ex.temperature(np.array([30e-3]), 10.0)[0])) < 1.5


# ---- mushy zone: three-region similarity solution --------------------------------------------------
C2 = dict(rho=2500.0, ks=150.0, kl=80.0, cs=1050.0, cl=1180.0, L=389e3, TL=615.0, TS=555.0, fE=0.0, Ti=665.0)
C6 = dict(rho=7300.0, ks=30.0, kl=30.0, cs=690.0, cl=820.0, L=272e3, TL=1510.0, TS=1460.0, fE=0.0, Ti=1580.0)
DIE = dict(k=28.0, rho=7800.0, c=560.0, T0=150.0)


def alloy(p: dict) -> Material:
    return Material(
        "alloy", rho=p["rho"], k_solid=p["ks"], k_liquid=p["kl"], c_solid=p["cs"], c_liquid=p["cl"],
        latent_heat=p["L"], liquidus=p["TL"], solidus=p["TS"], eutectic_fraction=p["fE"],
    )


def exact_mushy(p: dict, Tw: float | None = None, die: bool = False) -> exact.Mushy:
    m = alloy(p)
    return exact.mushy(
        p["rho"], p["ks"], m.k_mush_value, p["kl"], p["cs"], m.c_mush_value, p["cl"], p["L"], p["TL"], p["TS"],
        p["fE"], p["Ti"], Tw=Tw, mould=(DIE["k"], DIE["rho"], DIE["c"], DIE["T0"]) if die else None,
    )


def niyama_stats(res, offset_mm: float, dx_mm: float, lo_mm: float = 5.0, hi_mm: float = 20.0):
    ny = res.niyama_fields()["niyama"][:, 0, 0]
    x = (np.arange(ny.size) + 0.5) * dx_mm - offset_mm
    sel = (x > lo_mm) & (x < hi_mm) & np.isfinite(ny)
    assert sel.sum() >= 10
    return np.median(ny[sel]), np.percentile(ny[sel], 10), np.percentile(ny[sel], 90)


@pytest.mark.parametrize(
    "params, T_star, tol",
    [
        (C2, None, 0.05),  # C2 at T_S + 0.1 (T_L - T_S) = 561 C
        ({**C2, "TS": 577.0, "fE": 0.5}, 596.0, 0.05),  # C2e, mid-mush
        ({**C2, "TS": 577.0, "fE": 0.5}, None, 0.06),  # C2e at 580.8 C, 3.8 K above the plateau
    ],
    ids=["C2", "C2e-596", "C2e-580.8"],
)
def test_mushy_chill_fronts_and_exact_niyama(params: dict, T_star: float | None, tol: float) -> None:
    t = 12.0
    dx = 0.5
    pb = slab(alloy(params), 80.0, dx, params["Ti"], wall=Boundary("temperature", value=300.0), niyama_temperature=T_star)
    res = Solver(pb).run(end_time=t, front_times=[t])
    ex = exact_mushy(params, Tw=300.0)
    XS, XL = ex.fronts(t)
    fr = res.fronts[str(t)]
    assert fr["solidus_mm"] / (XS * 1e3) == pytest.approx(1.0, abs=0.02)
    assert fr["liquidus_mm"] / (XL * 1e3) == pytest.approx(1.0, abs=0.02)
    Ts = T_star if T_star is not None else alloy(params).niyama_temperature
    ny_exact = ex.niyama(Ts)
    med, p10, p90 = niyama_stats(res, 0.0, dx)
    assert med / ny_exact == pytest.approx(1.0, abs=tol), (med, ny_exact)
    assert p10 / ny_exact > 0.85 and p90 / ny_exact < 1.15, (p10, p90, ny_exact)
    # local solidification time t_f(x) = x^2/4 (1/lambda_S^2 - 1/lambda_L^2) where both fronts passed
    tf = res.local_solidification_time[:, 0, 0]
    x = (np.arange(tf.size) + 0.5) * dx * 1e-3
    sel = (x > 8e-3) & (x < 20e-3) & np.isfinite(tf)
    assert sel.sum() >= 20
    np.testing.assert_allclose(tf[sel], ex.local_solidification_time(x[sel]), rtol=0.06)


def test_mushy_in_h13_die_interface_temperature_fronts_niyama() -> None:
    t = 20.0
    dx = 0.5
    die = Material("H13", rho=DIE["rho"], k_solid=DIE["k"], k_liquid=DIE["k"], c_solid=DIE["c"], c_liquid=DIE["c"])
    pb = slab(alloy(C2), 60.0, dx, C2["Ti"], mould=die, mould_mm=50.0, T_mould=DIE["T0"], mould_first=True)
    res = Solver(pb).run(end_time=t, front_times=[t])
    ex = exact_mushy(C2, die=True)
    XS, XL = ex.fronts(t)
    fr = res.fronts[str(t)]
    assert (fr["solidus_mm"] - 50.0) / (XS * 1e3) == pytest.approx(1.0, abs=0.02)
    assert (fr["liquidus_mm"] - 50.0) / (XL * 1e3) == pytest.approx(1.0, abs=0.02)
    # interface temperature from the two cells beside it (series resistances)
    nd = 100
    a, b = res.T[nd - 1, 0, 0], res.T[nd, 0, 0]
    ka, kb = DIE["k"], C2["ks"]
    T_face = (a * ka + b * kb) / (ka + kb)
    assert abs(T_face - ex.T_interface) <= 3.0
    ny = res.niyama_fields()["niyama"][:, 0, 0]
    x = (np.arange(ny.size) + 0.5) * dx - 50.0
    sel = (x > 1.0) & np.isfinite(ny)
    assert sel.sum() >= 4
    assert np.median(ny[sel]) / ex.niyama(alloy(C2).niyama_temperature) == pytest.approx(1.0, abs=0.05)


def test_steel_chill_exact_niyama() -> None:
    t = 60.0
    dx = 0.5
    pb = slab(alloy(C6), 60.0, dx, C6["Ti"], wall=Boundary("temperature", value=1000.0), niyama_temperature=1465.0)
    res = Solver(pb).run(end_time=t)
    ex = exact_mushy(C6, Tw=1000.0)
    med, p10, p90 = niyama_stats(res, 0.0, dx)
    assert med / ex.niyama(1465.0) == pytest.approx(1.0, abs=0.05)
    assert p10 / ex.niyama(1465.0) > 0.85 and p90 / ex.niyama(1465.0) < 1.15
