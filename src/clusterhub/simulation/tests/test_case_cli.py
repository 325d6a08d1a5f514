"""Case files, the `simulate` command, STL voxelisation and the materials library."""

from __future__ import annotations

import copy
import io
import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from clusterhub.simulation.solver import geometry, load_library
from clusterhub.simulation.solver.case import CaseError, parse_case

BASE: dict[str, Any] = {
    "grid": {"shape": [20, 20, 20], "spacing_mm": 2.0},
    "background": {"material": "silica_sand", "initial_temperature": 25},
    "regions": [{"material": "A356", "initial_temperature": 690, "box": [[10, 10, 10], [30, 30, 30]]}],
    "boundaries": {"x-": {"type": "convection", "h": 20, "ambient": 25}},
    "until": "solidified",
    "outputs": {
        "probes": [{"name": "centre", "position_mm": [20, 20, 20], "times_s": [0, 5, 20.5]}],
        "front_times_s": [10],
        "niyama": {},
    },
}


def write(tmp_path: Path, case: dict[str, Any], name: str = "case.json") -> Path:
    p = tmp_path / name
    p.write_text(json.dumps(case))
    return p


def run_cli(path: Path, *extra: str) -> dict[str, Any]:
    out = io.StringIO()
    call_command("simulate", str(path), "--json", *extra, stdout=out)
    return json.loads(out.getvalue())


def test_cli_json_summary_has_the_documented_keys(tmp_path: Path) -> None:
    out_dir = tmp_path / "out"
    s = run_cli(write(tmp_path, BASE), "--out", str(out_dir))
    for key in ("solidification_time_s", "probes", "fronts", "niyama", "last_to_solidify_mm", "energy"):
        assert key in s
    assert s["solidification_time_s"] > 0
    assert set(s["probes"]["centre"]) == {"0", "5", "20.5"}
    assert s["probes"]["centre"]["0"] == pytest.approx(690.0)
    assert set(s["fronts"]["10"]) == {"solidus_mm", "liquidus_mm"}
    for key in ("min", "p10", "median", "p90", "min_location_mm"):
        assert key in s["niyama"]
    assert s["niyama"]["min"] <= s["niyama"]["median"] <= s["niyama"]["p90"]
    assert len(s["last_to_solidify_mm"]) == 3
    assert abs(s["energy"]["relative_drift"]) < 1e-10
    assert s["energy"]["latent_heat_released_J"] == pytest.approx(s["energy"]["latent_heat_available_J"], rel=1e-9)
    assert (out_dir / "summary.json").exists()
    with np.load(out_dir / "fields.npz") as f:
        assert f["niyama"].shape == (20, 20, 20)
        assert np.nanmax(f["fraction_solid"]) == 1.0


def test_cli_human_output_and_case_errors(tmp_path: Path) -> None:
    out = io.StringIO()
    case = copy.deepcopy(BASE)
    case.pop("until")
    case["end_time_s"] = 3
    call_command("simulate", str(write(tmp_path, case)), stdout=out)
    assert "simulated 3.00 s" in out.getvalue()
    bad = copy.deepcopy(BASE)
    bad["regions"][0]["sphere"] = {"center": [1, 2, 3], "radius": -1}
    with pytest.raises(CommandError, match=r"regions\[0\]"):
        call_command("simulate", str(write(tmp_path, bad, "bad.json")), "--json", stdout=io.StringIO())


@pytest.mark.parametrize(
    "mutate, key, words",
    [
        (lambda c: c.pop("grid"), "grid", "required"),
        (lambda c: c["grid"].update(shape=[10, 0, 10]), "grid.shape[1]", "positive integer"),
        (lambda c: c["grid"].update(spacing_mm="2"), "grid.spacing_mm", "number"),
        (lambda c: c["regions"][0].update(material="unobtainium"), "regions[0].material", "unknown material"),
        (lambda c: c["regions"][0].pop("initial_temperature"), "regions[0].initial_temperature", "required"),
        (lambda c: c["regions"][0].update(sphere={"center": [1, 1, 1], "radius": 2}), "regions[0]", "exactly one"),
        (lambda c: c["regions"][0].update(box=[[0, 0, 0], [1, 1]]), "regions[0].box[1]", "[x, y, z]"),
        (lambda c: c["regions"][0].update(box=[[100, 100, 100], [120, 120, 120]]), "regions[0].box", "no cell"),
        (lambda c: c["boundaries"].update({"x+": {"type": "radiation"}}), "boundaries.x+.type", "convection"),
        (lambda c: c["boundaries"].update({"w-": {"type": "adiabatic"}}), "boundaries.w-", "unknown key"),
        (lambda c: c["boundaries"].update({"y-": {"type": "temperature"}}), "boundaries.y-.value", "required"),
        (lambda c: c.pop("until"), "end_time_s", "until"),
        (lambda c: c.update(until="cold"), "until", "solidified"),
        (lambda c: c["outputs"]["probes"][0].update(position_mm=[20, 20, 99]), "outputs.probes[0].position_mm[2]", "outside"),
        (lambda c: c["outputs"]["probes"][0].update(times_s=[1, -2]), "outputs.probes[0].times_s[1]", "negative"),
        (lambda c: c.update(materials={"X": {"rho": 1, "k_liquid": 1, "c_solid": 1}}), "materials.X.k_solid", "required"),
        (lambda c: c.update(materials={"X": {"rho": -1, "k": 1, "c": 1}}), "materials.X.rho", "positive"),
        (
            lambda c: c.update(materials={"X": {"rho": 1, "k": 1, "c": 1, "latent_heat": 5, "liquidus": 600}}),
            "materials.X.solidus",
            "required",
        ),
        (
            lambda c: c.update(materials={"X": {"rho": 1, "k": 1, "c": 1, "latent_heat": 5, "liquidus": 600, "solidus": 610}}),
            "materials.X.solidus",
            "exceed",
        ),
        (lambda c: c.update(materials={"X": {"library": "adamantium"}}), "materials.X.library", "library"),
        (lambda c: c.update(materials={"X": {"rho": 1, "k": 1, "c": 1, "colour": "red"}}), "materials.X.colour", "unknown"),
        (lambda c: c.update(interfaces=[{"materials": ["A356", "A356"], "htc": 5}]), "interfaces[0].materials", "two different"),
        (lambda c: c.update(frobnicate=1), "frobnicate", "unknown key"),
    ],
)
def test_case_errors_name_the_key(mutate: Any, key: str, words: str | None) -> None:
    case = copy.deepcopy(BASE)
    mutate(case)
    with pytest.raises(CaseError) as info:
        parse_case(case)
    assert info.value.key == key, str(info.value)
    if words:
        assert words in info.value.reason, str(info.value)


def test_material_overrides_fs_curves_and_interfaces() -> None:
    case = copy.deepcopy(BASE)
    case["materials"] = {
        "my_a356": {"library": "A356", "liquidus": 612},
        "steel": {
            "rho": 7300, "k_solid": 30, "k_liquid": 30, "c_solid": 690, "c_liquid": 820,
            "latent_heat": 272000, "liquidus": 1510, "solidus": 1460,
            "fs_curve": {"type": "lever", "partition_coefficient": 0.2},
        },
        "table_alloy": {
            "rho": 7000, "k": 35, "c": 800, "latent_heat": 230000, "liquidus": 1200, "solidus": 1150,
            "fs_curve": [[1200, 0], [1170, 0.3], [1150, 0.4]],
        },
    }
    case["regions"][0]["material"] = "my_a356"
    case["interfaces"] = [{"materials": ["my_a356", "silica_sand"], "htc": 1000}]
    c = parse_case(case)
    names = c.material_names
    m = c.problem.materials[names.index("my_a356")]
    assert m.liquidus == 612 and m.solidus == load_library()["A356"].solidus and m.source
    assert c.problem.interfaces == {(names.index("my_a356"), names.index("silica_sand")): 1000.0}


def test_fraction_solid_curves() -> None:
    from clusterhub.simulation.solver import FsCurve, Material

    lever = Material("l", rho=1, k_solid=1, k_liquid=1, c_solid=1, c_liquid=1, latent_heat=1, liquidus=1510, solidus=1460, fs_curve=FsCurve("lever", partition_coefficient=0.2))
    fs = lever.fs_of_T(np.array([1510.0, 1485.0, 1460.0 + 1e-9, 1400.0]))
    assert fs[0] == 0.0 and fs[2] == pytest.approx(1.0) and fs[3] == 1.0
    assert fs[1] > 0.5  # the lever rule runs ahead of the linear curve
    eut = Material("e", rho=1, k_solid=1, k_liquid=1, c_solid=1, c_liquid=1, latent_heat=1, liquidus=615, solidus=577, eutectic_fraction=0.5)
    assert eut.fs_of_T(577.0 + 1e-9) == pytest.approx(0.5)
    # H(T) and the kernels' T(H) agree off the plateau
    from clusterhub.simulation.solver.kernels_numpy import invert

    for m in (lever, eut):
        T = np.linspace(m.solidus - 30, m.liquidus + 30, 301)
        T = T[np.abs(T - m.solidus) > 1e-6]
        H = m.enthalpy(T)
        P = m.params()[None, :]
        Ttab, Rtab, _ = m.mush_table()
        back, _ = invert(H, np.zeros(H.size, np.int64), P, Ttab[None], Rtab[None])
        np.testing.assert_allclose(back, T, atol=1e-3)


def test_library_has_the_six_materials_with_sources() -> None:
    lib = load_library()
    for name in ("A356", "plain_carbon_steel", "grey_iron", "silica_sand", "H13", "copper_chill"):
        assert name in lib and len(lib[name].source) > 40
    assert lib["A356"].is_latent and not lib["silica_sand"].is_latent


# ---- STL ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("binary", [True, False])
def test_stl_voxelisation_matches_analytic_shapes(tmp_path: Path, binary: bool) -> None:
    shape = (30, 30, 30)
    h = 2.0
    writer = geometry.write_stl_binary if binary else geometry.write_stl_ascii
    # a box whose faces lie exactly on cell faces and one whose faces cut cells
    for lo, hi in (([10, 10, 10], [40, 30, 50]), ([9.3, 11.1, 7.7], [41.5, 33.3, 50.9])):
        p = tmp_path / "box.stl"
        writer(p, geometry.box_triangles(lo, hi))
        vox = geometry.voxelize(geometry.read_stl(p), shape, h)
        np.testing.assert_array_equal(vox, geometry.box_mask(shape, h, lo, hi))
    p = tmp_path / "sphere.stl"
    writer(p, geometry.sphere_triangles([30.0, 30.0, 30.0], 20.0, n_lat=64, n_lon=128))
    vox = geometry.voxelize(geometry.read_stl(p), shape, h)
    ref = geometry.sphere_mask(shape, h, [30.0, 30.0, 30.0], 20.0)
    assert (vox != ref).sum() <= 0.01 * ref.sum()
    assert vox.sum() * h**3 == pytest.approx(4 / 3 * math.pi * 20**3, rel=0.02)


def test_stl_region_in_a_case(tmp_path: Path) -> None:
    geometry.write_stl_binary(tmp_path / "part.stl", geometry.box_triangles([0, 0, 0], [20, 20, 20]))
    case = copy.deepcopy(BASE)
    case["regions"][0].pop("box")
    case["regions"][0]["stl"] = {"path": "part.stl", "translate_mm": [10, 10, 10]}
    c = parse_case(case, base_dir=tmp_path)
    via_box = parse_case(BASE)
    np.testing.assert_array_equal(c.problem.mat, via_box.problem.mat)
    case["regions"][0]["stl"] = "missing.stl"
    with pytest.raises(CaseError, match="cannot read"):
        parse_case(case, base_dir=tmp_path)


def test_cylinder_and_sphere_regions() -> None:
    case = copy.deepcopy(BASE)
    case["regions"] = [
        {"material": "A356", "initial_temperature": 690, "cylinder": {"start": [20, 20, 5], "end": [20, 20, 35], "radius": 8}},
        {"material": "copper_chill", "initial_temperature": 25, "sphere": {"center": [20, 20, 20], "radius": 4}},
    ]
    c = parse_case(case)
    mat = c.problem.mat
    cu = c.material_names.index("copper_chill")
    a356 = c.material_names.index("A356")
    assert mat[10, 10, 10] == cu  # painted last, over the cylinder
    assert mat[10, 10, 3] == a356 and mat[10, 10, 1] != a356
    assert (mat == a356).sum() * 8 == pytest.approx(math.pi * 8**2 * 30, rel=0.1)
