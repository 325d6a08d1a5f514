"""The PDF report of a finished run: inputs, summary, hot spots, Chvorinov check, slices."""

from __future__ import annotations

from django.utils.translation import gettext as _

from clusterhub.core.pdf import PdfDocument

from . import results
from .models import SimulationRun


def _f(v: object, digits: int = 3) -> str:
    return "-" if v is None else f"{float(v):.{digits}g}" if isinstance(v, int | float) else str(v)


def report_pdf(run: SimulationRun) -> bytes:
    s = run.summary
    doc = PdfDocument(_("Casting simulation report: %(title)s") % {"title": run.title},
                      f"#{run.pk} · {run.organisation.name} · {run.created_at:%Y-%m-%d}")
    doc.heading(_("Inputs"))
    doc.table([_("Item"), _("Value")], [
        [_("Geometry"), run.get_geometry_display() + (f" ({run.stl_name})" if run.stl_name else "")],
        [_("Alloy"), run.alloy_label], [_("Mould"), run.mould_label],
        [_("Pouring temperature (°C)"), _f(run.pouring_temperature, 4)],
        [_("Cell size (mm)"), _f(run.mesh_mm)], [_("Cells"), f"{run.cells:,}"],
        [_("Riser"), _("yes") if run.riser else _("no")],
    ])
    doc.heading(_("Summary"))
    ny = s.get("niyama") or {}
    rows = [
        [_("Total solidification time (s)"), _f(s.get("solidification_time_s"), 4)],
        [_("Last to solidify (mm)"), ", ".join(_f(v) for v in s.get("last_to_solidify_mm") or []) or "-"],
        [_("Niyama min / median ((K s)^0.5/mm)"), f"{_f(ny.get('min'))} / {_f(ny.get('median'))}"],
    ]
    for name, risk in (ny.get("shrinkage_risk") or {}).items():
        rows.append([_("Shrinkage-risk volume of %(alloy)s below Ny %(t)s (mm³)")
                     % {"alloy": name, "t": _f(risk["threshold"])}, _f(risk["volume_mm3"], 4)])
    rows.append([_("Energy drift"), f"{(s.get('energy') or {}).get('relative_drift', 0):.2e}"])
    doc.table([_("Result"), _("Value")], rows)
    lp = s.get("liquid_pockets") or {}
    doc.heading(_("Isolated liquid pockets (critical fraction solid %(fs)s)") % {"fs": _f(lp.get("critical_fraction_solid"))})
    pockets = lp.get("pockets") or []
    if pockets:
        doc.table([_("Isolated at (s)"), _("Volume (mm³)"), _("Centre (mm)"), _("Fed by a riser")],
                  [[_f(p["isolated_at_s"], 4), _f(p["volume_mm3"], 4),
                    ", ".join(_f(v) for v in p["centroid_mm"]), _("yes") if p["fed_by_riser"] else _("no")]
                   for p in pockets[:12]])
    else:
        doc.paragraph(_("No isolated pocket."))
    ch = s.get("chvorinov")
    doc.heading(_("Chvorinov modulus check"))
    if ch:
        crow = [[_("Casting"), _f(ch["casting"]["volume_mm3"], 5), _f(ch["casting"]["area_mm2"], 5),
                 _f(ch["casting"]["modulus_mm"]), "-", "-"]]
        for n, r in enumerate(ch["risers"], start=1):
            crow.append([_("Riser %(n)d") % {"n": n}, _f(r["volume_mm3"], 5), _f(r["area_mm2"], 5),
                         _f(r["modulus_mm"]), _f(r["ratio"]), _("pass") if r["ok"] else _("fail")])
        doc.table([_("Part"), _("V (mm³)"), _("A (mm²)"), _("M (mm)"), _("M / M casting"),
                   _("≥ %(f)s") % {"f": _f(ch["factor"])}], crow)
        if not ch["risers"]:
            doc.paragraph(_("No riser in this run."))
    d = results.load(run)
    shape = run.case["grid"]["shape"]
    for field in ("solidification_time", "niyama", "hot_spots"):
        doc.heading(results.field_labels()[field] + _(" — section y = middle"))
        doc.image(results.slice_png(run, d, field, "y", shape[1] // 2), width_mm=110)
    return doc.render()
