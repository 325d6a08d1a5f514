"""`clusterhub simulate CASE.json [--out DIR] [--json]`: run a casting-solidification case file."""

from __future__ import annotations

import json
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser


class Command(BaseCommand):
    help = "Run a solidification case file (see docs/simulation.md) and print its summary."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("case", help="case file (JSON)")
        parser.add_argument("--out", help="directory for summary.json and fields.npz")
        parser.add_argument("--json", action="store_true", help="print the summary as JSON")
        parser.add_argument("--backend", choices=["numba", "numpy"], help="override the case's solver.backend")
        parser.add_argument("--progress", action="store_true", help="report progress on stderr")

    def handle(self, *args: Any, **opts: Any) -> None:
        from clusterhub.simulation.solver.case import (
            CaseError,
            load_case,
            run_case,
            summarise,
            write_outputs,
        )

        try:
            case = load_case(opts["case"])
        except CaseError as exc:
            raise CommandError(f"{opts['case']}: {exc}") from exc
        if opts.get("backend"):
            case.backend = opts["backend"]

        def progress(t: float, frac: float) -> None:
            sys.stderr.write(f"\r  t = {t:9.2f} s  {100 * min(frac, 1.0):5.1f} %")
            sys.stderr.flush()

        res = run_case(case, callback=progress if opts.get("progress") else None)
        if opts.get("progress"):
            sys.stderr.write("\n")
        summary = summarise(case, res)
        if opts.get("out"):
            write_outputs(case, res, summary, opts["out"])
        if opts.get("json"):
            self.stdout.write(json.dumps(summary, indent=2))
            return
        self.stdout.write(_human(summary))


def _human(s: dict[str, Any]) -> str:
    run = s["run"]
    lines = [
        f"simulated {run['end_time_s']:.2f} s on {run['cells']} cells in {run['wall_s']:.1f} s "
        f"({run['fast_steps']} steps of {run['dt_s']:.3g} s, stopped: {run['stopped']})",
    ]
    st = s["solidification_time_s"]
    lines.append(f"solidification time: {'not solidified' if st is None else f'{st:.2f} s'}")
    if s["last_to_solidify_mm"] is not None:
        lines.append("last to solidify at (mm): " + ", ".join(f"{v:.1f}" for v in s["last_to_solidify_mm"]))
    ny = s["niyama"]
    if ny.get("min") is not None:
        lines.append(
            f"Niyama ((K s)^0.5/mm) over {ny['cells']} cells: min {ny['min']:.3g} at "
            + ", ".join(f"{v:.1f}" for v in ny["min_location_mm"])
            + f" mm; p10 {ny['p10']:.3g}, median {ny['median']:.3g}, p90 {ny['p90']:.3g}"
        )
    for name, vals in s["probes"].items():
        lines.append(f"probe {name}: " + ", ".join(f"{t} s: {v:.2f} C" for t, v in vals.items()))
    for t, fr in s["fronts"].items():
        lines.append(f"fronts at {t} s: solidus {fr['solidus_mm']} mm, liquidus {fr['liquidus_mm']} mm")
    e = s["energy"]
    lines.append(f"energy drift {e['relative_drift']:.2e}; latent heat released {e['latent_heat_released_J']:.4g} J")
    return "\n".join(lines)
