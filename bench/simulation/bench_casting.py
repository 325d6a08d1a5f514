"""Time to solution: an A356 sand casting in a 300 mm mould box at 2 mm cells (3.4 M cells).

    .venv/bin/python bench/simulation/bench_casting.py [--spacing 2] [--substepping auto|off]

The part: a 200 x 150 x 30 mm plate with a 60 mm boss (cylinder, 50 mm high) on top, poured at
690 C into silica sand at 25 C, outer faces of the box at 25 C. It runs until every casting cell
is solid and prints wall time, steps and the summary figures. Figures for docs/simulation.md.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "src"))


def case(spacing: float, substepping: str) -> dict:
    n = int(round(300 / spacing))
    return {
        "grid": {"shape": [n, n, n], "spacing_mm": spacing},
        "background": {"material": "silica_sand", "initial_temperature": 25},
        "regions": [
            {"material": "A356", "initial_temperature": 690, "box": [[50, 75, 100], [250, 225, 130]]},
            {"material": "A356", "initial_temperature": 690, "cylinder": {"start": [150, 150, 130], "end": [150, 150, 180], "radius": 30}},
        ],
        "boundaries": {f: {"type": "temperature", "value": 25} for f in ("x-", "x+", "y-", "y+", "z-", "z+")},
        "until": "solidified",
        "outputs": {
            "probes": [{"name": "boss", "position_mm": [150, 150, 150], "times_s": [60, 300, 600]}],
            "niyama": {},
        },
        "solver": {"substepping": substepping},
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--spacing", type=float, default=2.0)
    ap.add_argument("--substepping", default="auto", choices=["auto", "off"])
    ap.add_argument("--threads", type=int)
    args = ap.parse_args()
    if args.threads:
        import numba

        numba.set_num_threads(args.threads)
    from clusterhub.simulation.solver.case import parse_case, run_case, summarise

    t0 = time.perf_counter()
    c = parse_case(case(args.spacing, args.substepping))
    res = run_case(c)
    s = summarise(c, res)
    s["run"]["total_wall_s"] = time.perf_counter() - t0
    print(json.dumps({k: s[k] for k in ("solidification_time_s", "last_to_solidify_mm", "niyama", "energy", "run", "probes")}, indent=1))


if __name__ == "__main__":
    main()
