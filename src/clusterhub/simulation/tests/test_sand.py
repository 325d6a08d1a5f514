"""Castings in sand: plates (exact semi-infinite solution, Chvorinov), a voxel sphere, a T-junction."""

from __future__ import annotations

import numpy as np
import pytest

from clusterhub.simulation.solver import Material, Problem, Solver, geometry, load_library

from . import exact
from .conftest import slab

SAND = dict(k=0.52, rho=1600.0, c=1170.0, T0=25.0)
sand = Material("sand", rho=SAND["rho"], k_solid=SAND["k"], k_liquid=SAND["k"], c_solid=SAND["c"], c_liquid=SAND["c"])
pure_al = Material("Al", rho=2700.0, k_solid=210.0, k_liquid=95.0, c_solid=1100.0, c_liquid=1100.0, latent_heat=397e3, liquidus=660.0, solidus=660.0)
pure_fe = Material("Fe", rho=7300.0, k_solid=30.0, k_liquid=30.0, c_solid=700.0, c_liquid=700.0, latent_heat=272e3, liquidus=1538.0, solidus=1538.0)


def plate_time(metal: Material, half_mm: float, dx_mm: float, substepping: str = "auto") -> float:
    """Half a plate (adiabatic mid-plane at x = 0) poured at its melting point against 80 mm of sand."""
    pb = slab(metal, half_mm, dx_mm, metal.liquidus, mould=sand, mould_mm=80.0, T_mould=SAND["T0"])
    res = Solver(pb, substepping=substepping).run(until_solidified=True)
    assert res.solidification_time is not None
    return res.solidification_time


def exact_plate(metal: Material, half_mm: float) -> float:
    return exact.plate_freezing_time(
        half_mm * 1e-3, metal.rho, metal.k_solid, metal.c_solid, metal.latent_heat, metal.liquidus,
        SAND["k"], SAND["rho"], SAND["c"], SAND["T0"],
    )


def chvorinov(metal: Material, half_mm: float) -> float:
    B = exact.chvorinov_B(metal.rho, metal.latent_heat, metal.liquidus, SAND["k"], SAND["rho"], SAND["c"], SAND["T0"])
    return B * (half_mm * 1e-3) ** 2


@pytest.mark.parametrize("substepping", ["auto", "off"])
def test_aluminium_plates_in_sand_exact_time_and_ratio(substepping: str) -> None:
    t20 = plate_time(pure_al, 10.0, 1.0, substepping)
    t30 = plate_time(pure_al, 15.0, 1.0, substepping)
    assert t20 / exact_plate(pure_al, 10.0) == pytest.approx(1.0, abs=0.03)
    assert t30 / exact_plate(pure_al, 15.0) == pytest.approx(1.0, abs=0.03)
    ratio_exact = exact_plate(pure_al, 15.0) / exact_plate(pure_al, 10.0)
    assert (t30 / t20) / ratio_exact == pytest.approx(1.0, abs=0.03)
    # Chvorinov's rule is the sand limit: for aluminium within about 1 % of the exact time
    assert chvorinov(pure_al, 10.0) / exact_plate(pure_al, 10.0) == pytest.approx(1.0, abs=0.015)


def test_iron_plate_models_metal_resistance() -> None:
    """Pure Fe conducts poorly: the exact time (and the solver) sit well above B (V/A)^2."""
    t = plate_time(pure_fe, 10.0, 0.5)
    assert t / exact_plate(pure_fe, 10.0) == pytest.approx(1.0, abs=0.03)
    assert t / chvorinov(pure_fe, 10.0) > 1.05


def test_substepping_matches_uniform_stepping() -> None:
    a = plate_time(pure_al, 10.0, 2.0, "auto")
    b = plate_time(pure_al, 10.0, 2.0, "off")
    assert a == pytest.approx(b, rel=0.01)


def sphere_octant(dx_mm: float, radius_mm: float = 20.0, box_mm: float = 50.0) -> Problem:
    """One eighth of a sphere centred on the grid corner (symmetry planes adiabatic)."""
    n = int(round(box_mm / dx_mm))
    inside = geometry.sphere_mask((n, n, n), dx_mm, [0.0, 0.0, 0.0], radius_mm)
    return Problem(
        spacing=dx_mm * 1e-3, materials=[pure_al, sand], mat=np.where(inside, 0, 1).astype(np.uint8),
        T0=np.where(inside, pure_al.liquidus, SAND["T0"]),
    )


def test_voxel_sphere_in_sand_against_1d_spherical_reference() -> None:
    ref = exact.sphere_freezing_time(
        0.02, pure_al.rho, pure_al.k_solid, pure_al.c_solid, pure_al.latent_heat, pure_al.liquidus,
        SAND["k"], SAND["rho"], SAND["c"], SAND["T0"],
    )
    # the 1-D reference is itself converged (coarser radial cells give the same time)
    ref_coarse = exact.sphere_freezing_time(
        0.02, pure_al.rho, pure_al.k_solid, pure_al.c_solid, pure_al.latent_heat, pure_al.liquidus,
        SAND["k"], SAND["rho"], SAND["c"], SAND["T0"], dr=5e-4,
    )
    assert ref_coarse == pytest.approx(ref, rel=0.005)
    times = {}
    for dx in (2.0, 1.0):
        res = Solver(sphere_octant(dx)).run(until_solidified=True)
        times[dx] = res.solidification_time
        assert times[dx] / ref == pytest.approx(1.0, abs=0.04), (dx, times[dx], ref)
        # the last cell to freeze is the one at the centre
        last = np.array(res.last_to_solidify()) * 1e3
        assert np.all(last < dx), last
    assert times[1.0] == pytest.approx(times[2.0], rel=0.02)


def t_junction(dx_mm: float) -> tuple[Problem, dict[str, tuple[float, float]]]:
    """Steel T (flange and web 20 mm thick) in sand, 2-D (one cell in z), symmetric about x = 100 mm."""
    lib = load_library()
    shape = (int(round(200 / dx_mm)), int(round(160 / dx_mm)), 1)
    flange = geometry.box_mask(shape, dx_mm, [40, 40, 0], [160, 60, dx_mm])
    web = geometry.box_mask(shape, dx_mm, [90, 60, 0], [110, 120, dx_mm])
    steel = flange | web
    pb = Problem(
        spacing=dx_mm * 1e-3, materials=[lib["silica_sand"], lib["plain_carbon_steel"]],
        mat=steel.astype(np.uint8), T0=np.where(steel, 1560.0, 25.0),
    )
    points = {"junction": (100.0, 52.0), "web": (100.0, 90.0), "flange": (60.0, 50.0)}
    return pb, points


def test_t_junction_hot_spot_and_niyama() -> None:
    totals = {}
    for dx in (2.0, 1.0):
        pb, points = t_junction(dx)
        res = Solver(pb).run(until_solidified=True)
        totals[dx] = res.solidification_time
        x, y, _ = (v * 1e3 for v in res.last_to_solidify())
        # on the symmetry plane, above the flange's inscribed-circle centre (0.625 t = 12.5 mm
        # above its outer face at y = 40), inside the junction/web
        assert abs(x - 100.0) <= dx
        assert 52.5 < y < 90.0
        ny = res.niyama_fields()["niyama"]
        ok = np.isfinite(ny)
        i, j, _ = np.argwhere(ok)[int(np.argmin(ny[ok]))]
        assert abs((i + 0.5) * dx - x) <= 2 * dx and abs((j + 0.5) * dx - y) <= 2 * dx
        ts = res.t_solidus

        t_at = {k: float(ts[int(p[0] / dx), int(p[1] / dx), 0]) for k, p in points.items()}
        assert t_at["junction"] > t_at["web"] > t_at["flange"], t_at
        # symmetric input, symmetric result
        np.testing.assert_allclose(res.T, res.T[::-1], rtol=0, atol=1e-9)
    assert totals[1.0] == pytest.approx(totals[2.0], rel=0.03)


def test_dumbbell_has_two_hot_spots() -> None:
    """Two 24 mm cubes joined by a thin bar: the bar freezes first and leaves two pockets."""
    lib = load_library()
    dx = 2.0
    shape = (48, 20, 20)
    cube_a = geometry.box_mask(shape, dx, [8, 8, 8], [32, 32, 32])
    cube_b = geometry.box_mask(shape, dx, [64, 8, 8], [88, 32, 32])
    bar = geometry.box_mask(shape, dx, [32, 16, 16], [64, 24, 24])
    metal = cube_a | cube_b | bar
    pb = Problem(
        spacing=dx * 1e-3, materials=[lib["silica_sand"], lib["A356"]], mat=metal.astype(np.uint8),
        T0=np.where(metal, 690.0, 25.0),
    )
    res = Solver(pb).run(until_solidified=True)
    spots = res.hot_spots()
    assert len(spots) == 2, spots
    xs = sorted(s["position_mm"][0] for s in spots)
    assert abs(xs[0] - 20.0) < 4.0 and abs(xs[1] - 76.0) < 4.0, spots
    assert spots[0]["time_s"] == pytest.approx(spots[1]["time_s"], rel=1e-6)
