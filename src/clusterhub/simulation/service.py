"""The web service's side of a run: check uploaded STL parts, write the case file, store results.

The case a run gets is an ordinary case file (docs/simulation.md): the part (an uploaded STL or a
quick shape) sits in a box of mould material with `margin` of mould around it, a riser on top when
asked for, convection to the room on every face, and `"until": "solidified"`. Probes sit at the
part's centre (and the riser's); their times follow Chvorinov's estimate of the freezing time.
"""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Any

import numpy as np
from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from clusterhub.core.actions import ActionRefused

from .solver import geometry
from .solver.materials import Material, load_library

# The largest grid a run may have: about 100 bytes a cell while solving (fields, records,
# results), so 2 million cells stay near 200 MB. Override with settings.CLUSTERHUB_SIM_MAX_CELLS.
DEFAULT_MAX_CELLS = 2_000_000
MIN_MESH_MM = 0.5
MAX_MESH_MM = 20.0
MAX_TRIANGLES = 500_000
AMBIENT = 25.0
AIR_HTC = 10.0
PROBE_COUNT = 16


def max_cells() -> int:
    return int(getattr(settings, "CLUSTERHUB_SIM_MAX_CELLS", DEFAULT_MAX_CELLS))


# Display names of the built-in materials (materials.json keys them by id); a material a user
# adds is shown by its own id.
MATERIAL_NAMES = {
    "A356": gettext_lazy("A356 aluminium alloy"),
    "plain_carbon_steel": gettext_lazy("Plain carbon steel"),
    "grey_iron": gettext_lazy("Grey iron"),
    "silica_sand": gettext_lazy("Silica sand"),
    "H13": gettext_lazy("H13 die steel"),
    "copper_chill": gettext_lazy("Copper chill"),
}


def material_label(key: str) -> str:
    return str(MATERIAL_NAMES.get(key, key))


def alloys() -> dict[str, Material]:
    return {k: m for k, m in load_library().items() if m.is_latent}


def moulds() -> dict[str, Material]:
    return {k: m for k, m in load_library().items() if not m.is_latent}


def storage_root() -> Path:
    return Path(settings.MEDIA_ROOT) / "simulation"


# ---- STL ---------------------------------------------------------------------------------
def read_upload(f: Any) -> bytes:
    """An uploaded file's bytes, at most one past the upload limit (enough for check_stl to
    refuse it) so that an oversized upload is never read whole into memory."""
    return f.read(settings.CLUSTERHUB_MAX_UPLOAD_BYTES + 1)  # type: ignore[no-any-return]


def check_stl(content: bytes) -> np.ndarray:
    """Triangles (mm) of an uploaded STL, or ActionRefused naming the problem."""
    limit = settings.CLUSTERHUB_MAX_UPLOAD_BYTES
    if not content:
        raise ActionRefused(_("The STL file is empty."), "stl")
    if len(content) > limit:
        raise ActionRefused(_("The STL file is larger than %(mb)d MB.") % {"mb": limit // (1024 * 1024)},
                            "stl")
    try:
        tris = geometry.parse_stl(content)
    except geometry.GeometryError:
        raise ActionRefused(_("This file is not an STL part (neither binary STL nor ASCII facets)."),
                            "stl") from None
    if len(tris) < 4:
        raise ActionRefused(_("The STL has %(n)d triangles; a closed part needs at least 4.")
                            % {"n": len(tris)}, "stl")
    if len(tris) > MAX_TRIANGLES:
        raise ActionRefused(_("The STL has %(n)d triangles; at most %(max)d are accepted.")
                            % {"n": len(tris), "max": MAX_TRIANGLES}, "stl")
    if not np.all(np.isfinite(tris)):
        raise ActionRefused(_("The STL has vertices that are not numbers."), "stl")
    size = tris.reshape(-1, 3).max(axis=0) - tris.reshape(-1, 3).min(axis=0)
    if np.any(size <= 0):
        raise ActionRefused(_("The STL part is flat (no extent along one axis)."), "stl")
    return tris


def store_stl(content: bytes, sha256: str) -> str:
    rel = Path("simulation") / "stl" / f"{sha256}.stl"
    path = Path(settings.MEDIA_ROOT) / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        tmp = path.with_suffix(f".{os.getpid()}.part")
        tmp.write_bytes(content)
        tmp.replace(path)
    return str(rel)


# ---- case --------------------------------------------------------------------------------
def chvorinov_estimate(alloy: Material, mould: Material, pour: float, modulus_mm: float) -> float:
    """Chvorinov's freezing time (s) in a semi-infinite mould: B M^2 with
    B = (rho_m L' / (T_m - T_0))^2 pi / (4 k rho c)_mould, L' = L + c_l superheat."""
    tm = alloy.solidus + 0.5 * (alloy.liquidus - alloy.solidus)
    lp = alloy.latent_heat + alloy.c_liquid * max(pour - alloy.liquidus, 0.0)
    b = (alloy.rho * lp / (tm - AMBIENT)) ** 2 * math.pi / (4 * mould.k_solid * mould.rho * mould.c_solid)
    return b * (modulus_mm / 1000.0) ** 2


def build_case(
    *, geometry_kind: str, alloy: str, mould: str, pouring_temperature: float, mesh_mm: float,
    dims_mm: tuple[float, float, float] = (0.0, 0.0, 0.0), riser: bool = False,
    stl_file: str = "", triangles: np.ndarray | None = None, title: str = "",
) -> dict[str, Any]:
    """The case file of a run; ActionRefused when it would not fit the cell budget."""
    lib = load_library()
    if alloy not in alloys():
        raise ActionRefused(_("Unknown alloy: %(name)s") % {"name": alloy}, "alloy")
    if mould not in moulds():
        raise ActionRefused(_("Unknown mould material: %(name)s") % {"name": mould}, "mould")
    a, m = lib[alloy], lib[mould]
    if not a.liquidus < pouring_temperature <= a.liquidus + 400:
        raise ActionRefused(
            _("The pouring temperature must lie above the liquidus (%(tl)g °C) and at most 400 K over it.")
            % {"tl": a.liquidus}, "pouring_temperature")
    if not MIN_MESH_MM <= mesh_mm <= MAX_MESH_MM:
        raise ActionRefused(_("The cell size must lie between %(lo)g and %(hi)g mm.")
                            % {"lo": MIN_MESH_MM, "hi": MAX_MESH_MM}, "mesh_mm")
    h = float(mesh_mm)
    if geometry_kind == "stl":
        if triangles is None:
            raise ActionRefused(_("Upload an STL part or choose a quick shape."), "stl")
        lo = triangles.reshape(-1, 3).min(axis=0)
        hi = triangles.reshape(-1, 3).max(axis=0)
        part = [float(v) for v in hi - lo]
    elif geometry_kind == "box":
        part = [float(v) for v in dims_mm]
    elif geometry_kind == "cylinder":
        part = [float(dims_mm[0]), float(dims_mm[0]), float(dims_mm[2])]
    elif geometry_kind == "sphere":
        part = [float(dims_mm[0])] * 3
    else:
        raise ActionRefused(_("Unknown geometry."), "geometry")
    if min(part) < 2 * h:
        raise ActionRefused(_("The part is thinner than two cells; choose a smaller cell size."),
                            "mesh_mm" if geometry_kind == "stl" else "dim_x")
    # riser: a cylinder on top, height 1.5 x diameter. Its modulus (bottom face on the part) is
    # 0.214 d, so d = 8 M_casting gives 1.7 M_casting; the voxel staircase of its side takes about a
    # quarter of that, which leaves the check on the voxels near 1.2 (docs/simulation.md);
    # at least 0.6 x the smaller plan size, at most the larger one.
    rd = 0.0
    if riser:
        rd = min(max(0.6 * min(part[0], part[1]), 8.0 * _modulus_guess(geometry_kind, part)),
                 max(part[0], part[1]))
    rh = 1.5 * rd
    margin = max(3 * h, 0.25 * max(part))
    box = [part[0] + 2 * margin, part[1] + 2 * margin, part[2] + rh + 2 * margin]
    shape = [max(3, int(math.ceil(v / h))) for v in box]
    ncell = shape[0] * shape[1] * shape[2]
    if ncell > max_cells():
        raise ActionRefused(
            _("A %(h)g mm mesh makes %(n)s cells; at most %(max)s are allowed. Choose a coarser mesh.")
            % {"h": h, "n": f"{ncell:,}", "max": f"{max_cells():,}"}, "mesh_mm")
    ext = [n * h for n in shape]
    cx, cy = ext[0] / 2, ext[1] / 2
    z0 = margin
    centre = [cx, cy, z0 + part[2] / 2]
    region: dict[str, Any] = {"name": "casting", "material": alloy,
                              "initial_temperature": pouring_temperature, "role": "casting"}
    if geometry_kind == "stl":
        assert triangles is not None
        shift = [cx - part[0] / 2 - float(lo[0]), cy - part[1] / 2 - float(lo[1]), z0 - float(lo[2])]
        region["stl"] = {"path": stl_file, "translate_mm": [round(v, 6) for v in shift]}
    elif geometry_kind == "box":
        region["box"] = [[cx - part[0] / 2, cy - part[1] / 2, z0],
                         [cx + part[0] / 2, cy + part[1] / 2, z0 + part[2]]]
    elif geometry_kind == "cylinder":
        region["cylinder"] = {"start": [cx, cy, z0], "end": [cx, cy, z0 + part[2]], "radius": part[0] / 2}
    else:
        region["sphere"] = {"center": centre, "radius": part[0] / 2}
    regions = [region]
    probes = [{"name": "centre", "position_mm": centre}]
    modulus = _modulus_guess(geometry_kind, part)
    if riser:
        # reach a little into the part so the riser touches it whatever its shape
        top = z0 + part[2]
        start = top - min(part[2] / 2, rd / 2) if geometry_kind != "box" else top
        regions.append({"name": "riser", "material": alloy, "initial_temperature": pouring_temperature,
                        "role": "riser",
                        "cylinder": {"start": [cx, cy, start], "end": [cx, cy, top + rh], "radius": rd / 2}})
        probes.append({"name": "riser", "position_mm": [cx, cy, top + rh / 2]})
        modulus = max(modulus, rd * rh / (2 * rh + rd) / 2)
    t_est = chvorinov_estimate(a, m, pouring_temperature, modulus)
    end = max(5.0, 1.6 * t_est)
    times = [round(end * i / (PROBE_COUNT - 1), 3) for i in range(PROBE_COUNT)]
    for p in probes:
        p["times_s"] = times
    return {
        "name": title or f"{alloy} in {mould}",
        "grid": {"shape": shape, "spacing_mm": h},
        "background": {"material": mould, "initial_temperature": AMBIENT},
        "regions": regions,
        "boundaries": {f: {"type": "convection", "h": AIR_HTC, "ambient": AMBIENT}
                       for f in ("x-", "x+", "y-", "y+", "z-", "z+")},
        "until": "solidified",
        "max_time_s": max(600.0, 20 * t_est),
        "outputs": {"probes": probes, "niyama": {}},
    }


def _modulus_guess(kind: str, part: list[float]) -> float:
    x, y, z = part
    if kind == "sphere":
        return x / 6
    if kind == "cylinder":
        r = x / 2
        return r * z / (2 * z + 2 * r) if z else r / 2
    return x * y * z / (2 * (x * y + y * z + x * z))
