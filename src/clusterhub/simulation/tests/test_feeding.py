"""Isolated liquid pockets and Chvorinov's riser check, on hand-worked fields and one solver run."""

from __future__ import annotations

import numpy as np
import pytest

from clusterhub.simulation.solver import analysis
from clusterhub.simulation.solver.case import parse_case, run_case, summarise


def _line(values: list[float]) -> tuple[np.ndarray, np.ndarray]:
    tc = np.array(values, float).reshape(len(values), 1, 1)
    return tc, np.ones(tc.shape, bool)


def test_a_line_with_two_maxima_splits_into_two_pockets_at_the_saddle() -> None:
    # t_c along x: 1 5 3 6 2. Backwards in time: cell 3 (6) is born, then cell 1 (5), then
    # cell 2 (3) joins them, so in forward time the liquid splits at t = 3 into {1} and {3}.
    tc, casting = _line([1, 5, 3, 6, 2])
    pockets = analysis.liquid_pockets(tc, casting, spacing_mm=2.0, persistence=0.5)
    assert [(p["isolated_at_s"], p["cells"], p["last_liquid_at_s"]) for p in pockets] == [
        (3.0, 1, 5.0), (3.0, 1, 6.0)]
    assert sorted(p["centroid_mm"][0] for p in pockets) == [3.0, 7.0]  # cells 1 and 3, 2 mm cells
    assert all(p["volume_mm3"] == 8.0 and not p["fed_by_riser"] for p in pockets)


def test_a_shallow_second_maximum_is_not_a_pocket() -> None:
    # the dip 5 -> 4.9 -> 6 is within the persistence of 0.5 s: one body of liquid
    tc, casting = _line([1, 5, 4.9, 6, 2])
    pockets = analysis.liquid_pockets(tc, casting, spacing_mm=1.0, persistence=0.5)
    assert len(pockets) == 1 and pockets[0]["never_split"]


def test_three_maxima_report_each_leaf_once() -> None:
    # t_c 9 2 7 4 8. Backwards: 9, 8, 7 are born; 4 joins 7 and 8 (forward: at t = 4 the
    # pockets {2} and {4} split apart); 2 then joins {0} and {2, 3, 4} (at t = 2: pocket {0}).
    tc, casting = _line([9, 2, 7, 4, 8])
    pockets = analysis.liquid_pockets(tc, casting, spacing_mm=1.0, persistence=0.1)
    got = sorted((p["isolated_at_s"], p["last_liquid_at_s"], p["cells"]) for p in pockets)
    assert got == [(2.0, 9.0, 1), (4.0, 7.0, 1), (4.0, 8.0, 1)]


def test_a_body_that_never_splits_is_closed_when_its_skin_freezes() -> None:
    # a 3x3x3 cube: centre t_c 10, face centres 5, the rest 1 -> the skin's latest cell freezes
    # at 5, and then only the centre is liquid.
    tc = np.ones((3, 3, 3))
    for c in [(0, 1, 1), (2, 1, 1), (1, 0, 1), (1, 2, 1), (1, 1, 0), (1, 1, 2)]:
        tc[c] = 5.0
    tc[1, 1, 1] = 10.0
    pockets = analysis.liquid_pockets(tc, np.ones(tc.shape, bool), spacing_mm=1.0)
    assert len(pockets) == 1
    p = pockets[0]
    assert p["never_split"] and p["isolated_at_s"] == 5.0 and p["cells"] == 1
    assert p["centroid_mm"] == [1.5, 1.5, 1.5]


def test_a_pocket_touching_a_riser_is_fed() -> None:
    tc, casting = _line([1, 5, 3, 6, 2])
    riser = np.zeros(tc.shape, bool)
    riser[3] = True
    pockets = analysis.liquid_pockets(tc, casting, spacing_mm=1.0, riser=riser, persistence=0.5)
    fed = {p["last_liquid_at_s"]: p["fed_by_riser"] for p in pockets}
    assert fed == {5.0: False, 6.0: True}


def test_critical_time_interpolates_across_the_freezing_range() -> None:
    tl = np.array([10.0, np.nan, 4.0])
    ts = np.array([20.0, 8.0, np.nan])
    got = analysis.critical_time(tl, ts, 0.3)
    assert got[0] == pytest.approx(13.0) and got[1] == pytest.approx(2.4) and got[2] == np.inf


def _plate_with_riser(riser_h: int) -> np.ndarray:
    """A 40 x 40 x 10 mm plate (2 mm cells) and a 20 x 20 x riser_h mm riser on top of it."""
    roles = np.zeros((24, 24, 10 + riser_h // 2), np.uint8)
    roles[2:22, 2:22, 0:5] = analysis.ROLE_CASTING
    roles[7:17, 7:17, 5:5 + riser_h // 2] = analysis.ROLE_RISER
    return roles


def test_modulus_of_a_plate_and_its_riser_by_hand() -> None:
    roles = _plate_with_riser(20)
    out = analysis.chvorinov_check(roles, spacing_mm=2.0)
    assert out is not None
    # plate: V = 40*40*10 = 16000; A = 2*1600 + 4*400 - 400 (under the riser) = 4400
    assert out["casting"]["volume_mm3"] == 16000.0
    assert out["casting"]["area_mm2"] == 4400.0
    assert out["casting"]["modulus_mm"] == pytest.approx(16000 / 4400)
    # riser 20 x 20 x 20: V = 8000, A = 6*400 - 400 (on the plate) = 2000, M = 4.0
    (r,) = out["risers"]
    assert r["modulus_mm"] == pytest.approx(4.0) and r["touches_casting"]
    assert r["ratio"] == pytest.approx(4.0 / (16000 / 4400))  # 1.1 < 1.2
    assert not r["ok"] and out["ok"] is False


def test_a_taller_riser_passes() -> None:
    # 20 x 20 x 40: V = 16000, A = 4*800 + 400 = 3600, M = 4.44 = 1.22 x 3.64
    out = analysis.chvorinov_check(_plate_with_riser(40), spacing_mm=2.0)
    assert out is not None and out["risers"][0]["modulus_mm"] == pytest.approx(16000 / 3600)
    assert out["ok"] is True


def test_no_casting_no_check() -> None:
    assert analysis.chvorinov_check(np.zeros((3, 3, 3), np.uint8), 1.0) is None


def _dumbbell(neck_radius: float, riser: bool = False) -> dict:
    regions = [
        {"material": "A356", "initial_temperature": 700, "sphere": {"center": [20, 20, 20], "radius": 12}},
        {"material": "A356", "initial_temperature": 700, "sphere": {"center": [60, 20, 20], "radius": 12}},
        {"material": "A356", "initial_temperature": 700,
         "cylinder": {"start": [20, 20, 20], "end": [60, 20, 20], "radius": neck_radius}},
    ]
    if riser:
        regions.append({"material": "A356", "initial_temperature": 700, "role": "riser",
                        "cylinder": {"start": [60, 20, 28], "end": [60, 20, 40], "radius": 8}})
    return {"grid": {"shape": [40, 20, 20 if not riser else 20], "spacing_mm": 2.0},
            "background": "silica_sand", "regions": regions, "until": "solidified"}


def test_two_spheres_joined_by_a_thin_neck_isolate_two_pockets() -> None:
    case = parse_case(_dumbbell(3))
    s = summarise(case, run_case(case))
    pockets = s["liquid_pockets"]["pockets"]
    assert s["liquid_pockets"]["critical_fraction_solid"] == 0.3  # A356's, from materials.json
    big = [p for p in pockets if p["volume_mm3"] > 1000]
    assert len(big) == 2
    a, b = sorted(big, key=lambda p: p["centroid_mm"][0])
    # each is (nearly) its whole sphere, isolated when the neck froze, long before its centre
    assert a["centroid_mm"][0] == pytest.approx(20, abs=2) and b["centroid_mm"][0] == pytest.approx(60, abs=2)
    assert a["isolated_at_s"] == pytest.approx(b["isolated_at_s"])
    assert a["isolated_at_s"] < 0.5 * a["last_liquid_at_s"]
    assert abs(a["cells"] - b["cells"]) <= 0.02 * a["cells"]
    assert s["liquid_pockets"]["unfed"] == 2


def test_a_thick_neck_keeps_one_pocket() -> None:
    case = parse_case(_dumbbell(9))
    s = summarise(case, run_case(case))
    big = [p for p in s["liquid_pockets"]["pockets"] if p["volume_mm3"] > 1000]
    assert len(big) == 1 and big[0]["centroid_mm"][0] == pytest.approx(40, abs=3)


def test_a_riser_region_is_checked_and_feeds_its_sphere() -> None:
    case = parse_case(_dumbbell(3, riser=True))
    s = summarise(case, run_case(case))
    ch = s["chvorinov"]
    assert len(ch["risers"]) == 1 and ch["risers"][0]["touches_casting"]
    pockets = [p for p in s["liquid_pockets"]["pockets"] if p["volume_mm3"] > 1000]
    fed = sorted((p["centroid_mm"][0] > 40, p["fed_by_riser"]) for p in pockets)
    assert fed == [(False, False), (True, True)]


def test_an_unknown_role_is_refused() -> None:
    from clusterhub.simulation.solver.case import CaseError

    raw = _dumbbell(3)
    raw["regions"][0]["role"] = "feeder"
    with pytest.raises(CaseError) as exc:
        parse_case(raw)
    assert exc.value.key == "regions[0].role"
