"""Invariants: enthalpy conservation, latent heat, symmetry, agreement of the solver paths."""

from __future__ import annotations

import numpy as np
import pytest

from clusterhub.simulation.solver import (
    Boundary,
    FsCurve,
    Material,
    Problem,
    Solver,
    geometry,
    load_library,
)
from clusterhub.simulation.solver.model import FACES


def mixed_problem(n: int = 16, htc: bool = True, boundaries: dict | None = None) -> Problem:
    """Alloys with eutectic, lever-rule and tabulated curves, a pure metal, a chill, sand."""
    lib = load_library()
    lever = Material(
        "lever", rho=7300, k_solid=30, k_liquid=32, c_solid=690, c_liquid=820, latent_heat=272e3,
        liquidus=1510, solidus=1460, fs_curve=FsCurve("lever", partition_coefficient=0.2),
    )
    table = Material(
        "table", rho=7000, k_solid=35, k_liquid=35, c_solid=750, c_liquid=840, latent_heat=230e3,
        liquidus=1200, solidus=1145, eutectic_fraction=0.6,
        fs_curve=FsCurve("table", points=((1145.0, 0.4), (1170.0, 0.25), (1200.0, 0.0))),
    )
    pure = Material("pure", rho=2700, k_solid=210, k_liquid=95, c_solid=1100, c_liquid=1100, latent_heat=397e3, liquidus=660, solidus=660)
    mats = [lib["silica_sand"], lib["A356"], lever, table, pure, lib["copper_chill"]]
    shape = (n, n + 2, n + 1)
    h = 2.0
    mat = np.zeros(shape, np.uint8)
    T0 = np.full(shape, 25.0)
    for idx, (lo, hi, temp) in enumerate(
        [
            ([4, 4, 4], [14, 30, 14], 700.0),
            ([16, 4, 4], [26, 30, 14], 1580.0),
            ([4, 4, 16], [14, 30, 28], 1300.0),
            ([16, 4, 16], [26, 30, 28], 680.0),
            ([0, 0, 0], [32, 3, 32], 20.0),
        ],
        start=1,
    ):
        sel = geometry.box_mask(shape, h, lo, hi)
        mat[sel] = idx
        T0[sel] = temp
    interfaces = {(1, 0): 800.0, (5, 1): 3000.0} if htc else {}
    return Problem(spacing=h * 1e-3, materials=mats, mat=mat, T0=T0, interfaces=interfaces, boundaries=boundaries or {})


@pytest.mark.parametrize("substepping", ["off", "auto"])
def test_closed_adiabatic_box_conserves_enthalpy(substepping: str) -> None:
    pb = mixed_problem()
    s = Solver(pb, substepping=substepping)
    if substepping == "auto":
        assert s.substeps > 1
    res = s.run(end_time=40.0)
    assert res.boundary_heat == 0.0
    assert abs(res.energy_drift) <= 1e-10
    assert res.latent_heat_released() > 0


def test_heat_balance_with_open_boundaries() -> None:
    bnd = {
        "x-": Boundary("temperature", value=20.0),
        "y+": Boundary("convection", h=50.0, ambient=30.0),
        "z-": Boundary("convection", h=10.0, ambient=25.0),
    }
    res = Solver(mixed_problem(boundaries=bnd)).run(end_time=20.0)
    assert res.boundary_heat != 0.0
    assert abs(res.energy_drift) <= 1e-10


def test_latent_heat_released_equals_rho_L_V() -> None:
    lib = load_library()
    a356 = lib["A356"]
    shape = (12, 12, 12)
    inside = geometry.box_mask(shape, 2.0, [6, 6, 6], [18, 18, 18])
    pb = Problem(
        spacing=2e-3, materials=[lib["silica_sand"], a356], mat=inside.astype(np.uint8),
        T0=np.where(inside, 680.0, 25.0), boundaries={f: Boundary("temperature", value=25.0) for f in FACES},
    )
    res = Solver(pb).run(until_solidified=True)
    assert res.solidified
    V = inside.sum() * (2e-3) ** 3
    assert res.latent_heat_released() == pytest.approx(a356.rho * a356.latent_heat * V, rel=1e-3)


def test_symmetric_input_gives_symmetric_field() -> None:
    lib = load_library()
    shape = (20, 20, 20)
    c = [20.0, 20.0, 20.0]
    inside = geometry.sphere_mask(shape, 2.0, c, 12.0)
    core = geometry.box_mask(shape, 2.0, [16, 16, 16], [24, 24, 24])
    mat = np.where(inside, 1, 0).astype(np.uint8)
    mat[core] = 2
    bnd = {f: Boundary("convection", h=20.0, ambient=25.0) for f in FACES}
    pb = Problem(
        spacing=2e-3, materials=[lib["silica_sand"], lib["A356"], lib["copper_chill"]], mat=mat,
        T0=np.where(mat == 1, 690.0, np.where(mat == 2, 100.0, 25.0)), boundaries=bnd,
        interfaces={(1, 0): 1000.0},
    )
    res = Solver(pb).run(end_time=30.0)
    T = res.T
    for flipped in (T[::-1], T[:, ::-1], T[:, :, ::-1], T.transpose(1, 0, 2), T.transpose(2, 1, 0)):
        np.testing.assert_allclose(flipped, T, rtol=1e-12, atol=0)


@pytest.mark.parametrize("block_cells", [16384, 150])
@pytest.mark.parametrize("substepping", ["off", "auto"])
def test_numpy_and_numba_paths_agree(substepping: str, block_cells: int, monkeypatch: pytest.MonkeyPatch) -> None:
    # 150 cells: the NumPy path's cache blocks are one x-plane each (12 x 12 interior planes)
    from clusterhub.simulation.solver import kernels_numpy

    monkeypatch.setattr(kernels_numpy, "BLOCK_CELLS", block_cells)
    bnd = {"x-": Boundary("temperature", value=20.0), "y+": Boundary("convection", h=50.0, ambient=30.0)}
    results = {}
    for backend in ("numpy", "numba"):
        s = Solver(mixed_problem(n=12, boundaries=bnd), backend=backend, substepping=substepping)
        steps = 100 if substepping == "off" else 3 * s.substeps
        t_end = steps * s.dt_fast
        results[backend] = s.run(end_time=t_end)
    a, b = results["numpy"], results["numba"]
    scale = np.abs(a.H).max()
    assert np.max(np.abs(a.H - b.H)) <= 1e-12 * scale
    np.testing.assert_allclose(a.T, b.T, rtol=1e-12, atol=1e-9)
    for row in range(a.crossings.shape[0]):
        np.testing.assert_allclose(a.crossings[row], b.crossings[row], rtol=1e-9, atol=1e-12, equal_nan=True)
    assert a.boundary_heat == pytest.approx(b.boundary_heat, rel=1e-12)
