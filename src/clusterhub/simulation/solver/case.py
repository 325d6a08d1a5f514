"""Case files: parse and check a JSON case, build the Problem, run it, summarise the result.

The format is documented with examples in docs/simulation.md. Every error names the key that is
wrong (`regions[2].sphere.radius`) and why.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from . import analysis, geometry
from .materials import Material, MaterialError, load_library, material_from_dict, with_overrides
from .model import FACES, Boundary, Probe, Problem, RunResult, Solver

DEFAULT_BACKGROUND_TEMPERATURE = 25.0
DEFAULT_MAX_TIME_S = 1.0e5
TOP_KEYS = {
    "grid", "materials", "background", "regions", "boundaries", "interfaces", "end_time_s", "until",
    "max_time_s", "outputs", "solver", "name", "description",
}


class CaseError(ValueError):
    """A case file that cannot be run; `key` is the dotted path of the offending entry."""

    def __init__(self, key: str, reason: str) -> None:
        super().__init__(f"{key}: {reason}" if key else reason)
        self.key = key
        self.reason = reason


@dataclass
class Case:
    problem: Problem
    end_time: float | None
    until_solidified: bool
    max_time: float
    probes: list[Probe]
    front_times: list[Any]
    niyama_box: tuple[list[float], list[float]] | None
    spacing_mm: float
    material_names: list[str]
    backend: str = "numba"
    substepping: str = "auto"
    raw: dict[str, Any] = field(default_factory=dict)
    roles: np.ndarray | None = None  # uint8 per cell: analysis.ROLE_* of the region painted last
    fs_crit: float | None = None  # overrides each alloy's critical_fraction_solid
    chvorinov_factor: float = analysis.CHVORINOV_FACTOR


# ---- small validators --------------------------------------------------------------------
def _num(key: str, v: Any, *, positive: bool = False, nonneg: bool = False) -> float:
    if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(float(v)):
        raise CaseError(key, f"must be a number (got {json.dumps(v)})")
    if positive and v <= 0:
        raise CaseError(key, f"must be positive (got {v})")
    if nonneg and v < 0:
        raise CaseError(key, f"must not be negative (got {v})")
    return float(v)


def _vec3(key: str, v: Any) -> list[float]:
    if not isinstance(v, list) or len(v) != 3:
        raise CaseError(key, f"must be [x, y, z] in mm (got {json.dumps(v)})")
    return [_num(f"{key}[{i}]", x) for i, x in enumerate(v)]


def _obj(key: str, v: Any) -> dict[str, Any]:
    if not isinstance(v, dict):
        raise CaseError(key, f"must be an object (got {json.dumps(v)[:60]})")
    return v


def _only(key: str, d: dict[str, Any], allowed: set[str]) -> None:
    extra = sorted(set(d) - allowed)
    if extra:
        where = f"{key}.{extra[0]}" if key else extra[0]
        raise CaseError(where, f"unknown key (expected one of: {', '.join(sorted(allowed))})")


# ---- parsing -----------------------------------------------------------------------------
def load_case(path: str | Path) -> Case:
    p = Path(path)
    try:
        text = p.read_text("utf-8")
    except OSError as exc:
        raise CaseError("", f"cannot read case file {p}: {exc.strerror}") from exc
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        raise CaseError("", f"{p} is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from exc
    return parse_case(raw, base_dir=p.parent)


def parse_case(raw: Any, base_dir: Path | None = None) -> Case:
    base_dir = base_dir or Path.cwd()
    d = _obj("case", raw)
    _only("", d, TOP_KEYS)
    # grid
    if "grid" not in d:
        raise CaseError("grid", "is required ({'shape': [nx, ny, nz], 'spacing_mm': h})")
    g = _obj("grid", d["grid"])
    _only("grid", g, {"shape", "spacing_mm"})
    shp = g.get("shape")
    if not isinstance(shp, list) or len(shp) != 3:
        raise CaseError("grid.shape", f"must be [nx, ny, nz] (got {json.dumps(shp)})")
    for i, n in enumerate(shp):
        if isinstance(n, bool) or not isinstance(n, int) or n < 1:
            raise CaseError(f"grid.shape[{i}]", f"must be a positive integer (got {json.dumps(n)})")
    shape = (int(shp[0]), int(shp[1]), int(shp[2]))
    if shape[0] * shape[1] * shape[2] > 200_000_000:
        raise CaseError("grid.shape", f"{shape[0] * shape[1] * shape[2]} cells is more than 200 million")
    if "spacing_mm" not in g:
        raise CaseError("grid.spacing_mm", "is required")
    h = _num("grid.spacing_mm", g["spacing_mm"], positive=True)
    extent = [n * h for n in shape]

    # materials: the case's own, then library entries referenced by name
    library = load_library()
    lib_lower = {k.lower(): k for k in library}
    mats_raw = d.get("materials", {})
    mats_raw = _obj("materials", mats_raw)
    defined: dict[str, Material] = {}
    for name, spec in mats_raw.items():
        key = f"materials.{name}"
        try:
            if isinstance(spec, str):
                spec = {"library": spec}
            spec = _obj(key, spec)
            if "library" in spec:
                lib_name = lib_lower.get(str(spec["library"]).lower())
                if lib_name is None:
                    raise CaseError(f"{key}.library", f"no material {spec['library']!r} in the library ({', '.join(library)})")
                defined[name] = with_overrides(library[lib_name], name, spec, key)
            else:
                defined[name] = material_from_dict(name, spec, key)
        except MaterialError as exc:
            raise CaseError(exc.key, exc.reason) from exc

    names: list[str] = []
    materials: list[Material] = []

    def use(key: str, name: Any) -> int:
        if not isinstance(name, str):
            raise CaseError(key, f"must be a material name (got {json.dumps(name)})")
        if name in names:
            return names.index(name)
        if name in defined:
            m = defined[name]
        elif name.lower() in lib_lower:
            m = library[lib_lower[name.lower()]]
        else:
            known = sorted(set(defined) | set(library))
            raise CaseError(key, f"unknown material {name!r} (defined or in the library: {', '.join(known)})")
        names.append(name)
        materials.append(m)
        return len(names) - 1

    # background
    if "background" not in d:
        raise CaseError("background", "is required (a material name, or {'material', 'initial_temperature'})")
    bg = d["background"]
    bg_temp = DEFAULT_BACKGROUND_TEMPERATURE
    if isinstance(bg, dict):
        _only("background", bg, {"material", "initial_temperature"})
        if "material" not in bg:
            raise CaseError("background.material", "is required")
        bg_idx = use("background.material", bg["material"])
        if "initial_temperature" in bg:
            bg_temp = _num("background.initial_temperature", bg["initial_temperature"])
    else:
        bg_idx = use("background", bg)
    mat = np.full(shape, bg_idx, dtype=np.uint8)
    T0 = np.full(shape, bg_temp)
    roles = np.zeros(shape, dtype=np.uint8)

    # regions, painted in order
    regions = d.get("regions", [])
    if not isinstance(regions, list):
        raise CaseError("regions", "must be a list of regions")
    shape_keys = ("box", "sphere", "cylinder", "stl")
    for n, reg in enumerate(regions):
        key = f"regions[{n}]"
        reg = _obj(key, reg)
        _only(key, reg, {"material", "initial_temperature", "name", "role", *shape_keys})
        if "material" not in reg:
            raise CaseError(f"{key}.material", "is required")
        idx = use(f"{key}.material", reg["material"])
        if "initial_temperature" not in reg:
            raise CaseError(f"{key}.initial_temperature", "is required (degC)")
        temp = _num(f"{key}.initial_temperature", reg["initial_temperature"])
        given = [k for k in shape_keys if k in reg]
        if len(given) != 1:
            raise CaseError(key, f"needs exactly one of {', '.join(shape_keys)} (got {given or 'none'})")
        mask = _region_mask(f"{key}.{given[0]}", given[0], reg[given[0]], shape, h, base_dir)
        if not mask.any():
            raise CaseError(f"{key}.{given[0]}", f"covers no cell centre of the {extent[0]:g} x {extent[1]:g} x {extent[2]:g} mm grid")
        mat[mask] = idx
        T0[mask] = temp
        role = reg.get("role")
        if role is None:
            m = materials[idx]
            code = analysis.ROLE_CASTING if m.is_latent and temp > m.solidus else analysis.ROLE_NONE
        elif role in analysis.ROLES:
            code = analysis.ROLES[role]
        else:
            raise CaseError(f"{key}.role", f"must be one of {', '.join(analysis.ROLES)} (got {json.dumps(role)})")
        roles[mask] = code
    if len(materials) > 255:
        raise CaseError("materials", "at most 255 materials in one case")

    # boundaries
    bnd_raw = _obj("boundaries", d.get("boundaries", {}))
    _only("boundaries", bnd_raw, set(FACES))
    boundaries: dict[str, Boundary] = {}
    for face, spec in bnd_raw.items():
        key = f"boundaries.{face}"
        spec = _obj(key, spec)
        kind = spec.get("type")
        if kind == "adiabatic":
            _only(key, spec, {"type"})
            boundaries[face] = Boundary("adiabatic")
        elif kind == "temperature":
            _only(key, spec, {"type", "value"})
            if "value" not in spec:
                raise CaseError(f"{key}.value", "is required for a temperature boundary (degC)")
            boundaries[face] = Boundary("temperature", value=_num(f"{key}.value", spec["value"]))
        elif kind == "convection":
            _only(key, spec, {"type", "h", "ambient"})
            for k in ("h", "ambient"):
                if k not in spec:
                    raise CaseError(f"{key}.{k}", "is required for a convection boundary")
            boundaries[face] = Boundary(
                "convection", h=_num(f"{key}.h", spec["h"], positive=True), ambient=_num(f"{key}.ambient", spec["ambient"])
            )
        else:
            raise CaseError(f"{key}.type", f"must be 'adiabatic', 'temperature' or 'convection' (got {json.dumps(kind)})")

    # interface heat-transfer coefficients
    interfaces: dict[tuple[int, int], float] = {}
    inter = d.get("interfaces", [])
    if not isinstance(inter, list):
        raise CaseError("interfaces", "must be a list of {'materials': [a, b], 'htc': W/m2K}")
    for n, item in enumerate(inter):
        key = f"interfaces[{n}]"
        item = _obj(key, item)
        _only(key, item, {"materials", "htc"})
        pair = item.get("materials")
        if not isinstance(pair, list) or len(pair) != 2 or pair[0] == pair[1]:
            raise CaseError(f"{key}.materials", f"must name two different materials (got {json.dumps(pair)})")
        if "htc" not in item:
            raise CaseError(f"{key}.htc", "is required (W/m2K)")
        htc = _num(f"{key}.htc", item["htc"], positive=True)
        a = use(f"{key}.materials[0]", pair[0])
        b = use(f"{key}.materials[1]", pair[1])
        interfaces[(a, b)] = htc

    # duration
    end_time = None
    if "end_time_s" in d:
        end_time = _num("end_time_s", d["end_time_s"], positive=True)
    until = d.get("until")
    if until is not None and until != "solidified":
        raise CaseError("until", f"must be \"solidified\" (got {json.dumps(until)})")
    if end_time is None and until is None:
        raise CaseError("end_time_s", "give end_time_s (s) or \"until\": \"solidified\"")
    max_time = _num("max_time_s", d.get("max_time_s", DEFAULT_MAX_TIME_S), positive=True)

    # outputs
    out = _obj("outputs", d.get("outputs", {}))
    _only("outputs", out, {"probes", "front_times_s", "niyama", "hot_spots", "chvorinov"})
    probes: list[Probe] = []
    pr = out.get("probes", [])
    if not isinstance(pr, list):
        raise CaseError("outputs.probes", "must be a list of {'name', 'position_mm', 'times_s'}")
    seen: set[str] = set()
    for n, p in enumerate(pr):
        key = f"outputs.probes[{n}]"
        p = _obj(key, p)
        _only(key, p, {"name", "position_mm", "times_s"})
        pname = p.get("name")
        if not isinstance(pname, str) or not pname:
            raise CaseError(f"{key}.name", "must be a non-empty string")
        name = pname
        if name in seen:
            raise CaseError(f"{key}.name", f"duplicate probe name {name!r}")
        seen.add(name)
        pos = _vec3(f"{key}.position_mm", p.get("position_mm"))
        for i, (v, e) in enumerate(zip(pos, extent, strict=True)):
            if not 0 <= v <= e:
                raise CaseError(f"{key}.position_mm[{i}]", f"{v:g} mm lies outside the grid (0 to {e:g} mm)")
        times = _times(f"{key}.times_s", p.get("times_s"))
        probes.append(Probe(name, (pos[0] / 1e3, pos[1] / 1e3, pos[2] / 1e3), times))
    front_times = _times("outputs.front_times_s", out.get("front_times_s", []))
    niyama_box = None
    crit = None
    if "niyama" in out:
        ny = _obj("outputs.niyama", out["niyama"])
        _only("outputs.niyama", ny, {"critical_temperature", "box"})
        if "critical_temperature" in ny:
            crit = _num("outputs.niyama.critical_temperature", ny["critical_temperature"])
        if "box" in ny:
            lo, hi = _box("outputs.niyama.box", ny["box"])
            niyama_box = (lo, hi)
    fs_crit = None
    if "hot_spots" in out:
        hs = _obj("outputs.hot_spots", out["hot_spots"])
        _only("outputs.hot_spots", hs, {"critical_fraction_solid"})
        if "critical_fraction_solid" in hs:
            fs_crit = _num("outputs.hot_spots.critical_fraction_solid", hs["critical_fraction_solid"])
            if not 0 < fs_crit < 1:
                raise CaseError("outputs.hot_spots.critical_fraction_solid", f"must lie between 0 and 1 (got {fs_crit:g})")
    factor = analysis.CHVORINOV_FACTOR
    if "chvorinov" in out:
        ch = _obj("outputs.chvorinov", out["chvorinov"])
        _only("outputs.chvorinov", ch, {"factor"})
        if "factor" in ch:
            factor = _num("outputs.chvorinov.factor", ch["factor"], positive=True)
    sv = _obj("solver", d.get("solver", {}))
    _only("solver", sv, {"backend", "substepping"})
    backend = sv.get("backend", "numba")
    if backend not in ("numba", "numpy"):
        raise CaseError("solver.backend", f"must be 'numba' or 'numpy' (got {json.dumps(backend)})")
    substepping = sv.get("substepping", "auto")
    if substepping not in ("auto", "off"):
        raise CaseError("solver.substepping", f"must be 'auto' or 'off' (got {json.dumps(substepping)})")
    if not any(m.is_latent for m in materials):
        pass  # a pure conduction case is fine
    problem = Problem(
        spacing=h / 1e3, materials=materials, mat=mat, T0=T0, boundaries=boundaries,
        interfaces=interfaces, niyama_temperature=crit,
    )
    return Case(
        problem=problem, end_time=end_time, until_solidified=until == "solidified", max_time=max_time,
        probes=probes, front_times=front_times, niyama_box=niyama_box, spacing_mm=h,
        material_names=names, backend=backend, substepping=substepping, raw=d,
        roles=roles, fs_crit=fs_crit, chvorinov_factor=factor,
    )


def _times(key: str, v: Any) -> list[Any]:
    if v is None:
        return []
    if not isinstance(v, list):
        raise CaseError(key, f"must be a list of times in seconds (got {json.dumps(v)})")
    for i, t in enumerate(v):
        _num(f"{key}[{i}]", t, nonneg=True)
    return list(v)


def _box(key: str, v: Any) -> tuple[list[float], list[float]]:
    if not isinstance(v, list) or len(v) != 2:
        raise CaseError(key, f"must be [[x0, y0, z0], [x1, y1, z1]] in mm (got {json.dumps(v)})")
    lo = _vec3(f"{key}[0]", v[0])
    hi = _vec3(f"{key}[1]", v[1])
    for i in range(3):
        if hi[i] < lo[i]:
            raise CaseError(f"{key}[1][{i}]", f"upper corner {hi[i]:g} is below the lower corner {lo[i]:g}")
    return lo, hi


def _region_mask(key: str, kind: str, spec: Any, shape: tuple[int, int, int], h: float, base_dir: Path) -> np.ndarray:
    if kind == "box":
        lo, hi = _box(key, spec)
        return geometry.box_mask(shape, h, lo, hi)
    if kind == "sphere":
        s = _obj(key, spec)
        _only(key, s, {"center", "radius"})
        c = _vec3(f"{key}.center", s.get("center"))
        r = _num(f"{key}.radius", s.get("radius"), positive=True)
        return geometry.sphere_mask(shape, h, c, r)
    if kind == "cylinder":
        s = _obj(key, spec)
        _only(key, s, {"start", "end", "radius"})
        a = _vec3(f"{key}.start", s.get("start"))
        b = _vec3(f"{key}.end", s.get("end"))
        r = _num(f"{key}.radius", s.get("radius"), positive=True)
        if a == b:
            raise CaseError(f"{key}.end", "must differ from start")
        return geometry.cylinder_mask(shape, h, a, b, r)
    # stl
    if isinstance(spec, str):
        spec = {"path": spec}
    s = _obj(key, spec)
    _only(key, s, {"path", "scale", "translate_mm"})
    path = s.get("path")
    if not isinstance(path, str) or not path:
        raise CaseError(f"{key}.path", "must be the STL file's path (relative to the case file)")
    p = Path(path)
    if not p.is_absolute():
        p = base_dir / p
    try:
        tris = geometry.read_stl(p)
    except OSError as exc:
        raise CaseError(key if "path" not in spec else f"{key}.path", f"cannot read {p}: {exc.strerror}") from exc
    except geometry.GeometryError as exc:
        raise CaseError(key, f"{p.name}: {exc}") from exc
    scale = _num(f"{key}.scale", s.get("scale", 1.0), positive=True)
    shift = _vec3(f"{key}.translate_mm", s.get("translate_mm", [0, 0, 0]))
    tris = tris * scale + np.asarray(shift)
    return geometry.voxelize(tris, shape, h)


# ---- running and summarising ---------------------------------------------------------------
def run_case(case: Case, callback: Any = None, backend: str | None = None) -> RunResult:
    solver = Solver(case.problem, backend=backend or case.backend, substepping=case.substepping)
    return solver.run(
        end_time=case.end_time,
        until_solidified=case.until_solidified,
        max_time=case.max_time,
        probes=case.probes,
        front_times=case.front_times,
        callback=callback,
    )


def _stat(v: float) -> float | None:
    return None if not math.isfinite(v) else float(v)


def niyama_summary(case: Case, res: RunResult) -> dict[str, Any]:
    f = res.niyama_fields()
    ny = f["niyama"]
    sel = np.isfinite(ny) & res.casting
    if case.niyama_box is not None:
        sel &= geometry.box_mask(case.problem.shape, case.spacing_mm, *case.niyama_box)
    out: dict[str, Any] = {"unit": "(K s)^0.5/mm", "cells": int(sel.sum())}
    if not sel.any():
        out.update(min=None, p10=None, median=None, p90=None, min_location_mm=None)
        return out
    vals = ny[sel]
    imin = np.argwhere(sel)[int(np.argmin(vals))]
    out.update(
        min=float(vals.min()),
        p10=float(np.percentile(vals, 10)),
        median=float(np.median(vals)),
        p90=float(np.percentile(vals, 90)),
        min_location_mm=[float((i + 0.5) * case.spacing_mm) for i in imin],
    )
    # shrinkage-risk cells: below the alloy's threshold where the library gives one
    risk = {}
    mats = case.problem.mat
    for i, m in enumerate(case.problem.materials):
        if m.niyama_threshold is None:
            continue
        cells = sel & (mats == i)
        if not cells.any():
            continue
        low = cells & (ny < m.niyama_threshold)
        risk[case.material_names[i]] = {
            "threshold": m.niyama_threshold,
            "cells": int(low.sum()),
            "volume_mm3": float(low.sum() * case.spacing_mm**3),
        }
    out["shrinkage_risk"] = risk
    return out


def fs_crit_field(case: Case) -> np.ndarray:
    """The critical fraction solid per cell: the case's, else the alloy's, else 0.5."""
    if case.fs_crit is not None:
        return np.full(case.problem.shape, case.fs_crit)
    per = np.array([
        m.critical_fraction_solid if m.critical_fraction_solid is not None else analysis.DEFAULT_FS_CRIT
        for m in case.problem.materials
    ])
    return per[case.problem.mat]


def critical_times(case: Case, res: RunResult) -> np.ndarray:
    """When each cell reached its critical fraction solid (s; +inf if never, NaN outside the casting)."""
    tc = analysis.critical_time(res.t_liquidus, res.t_solidus, fs_crit_field(case))
    return np.where(res.casting, tc, np.nan)


def pockets_summary(case: Case, res: RunResult) -> dict[str, Any]:
    tc = critical_times(case, res)
    riser = case.roles == analysis.ROLE_RISER if case.roles is not None else None
    pockets = analysis.liquid_pockets(np.where(np.isnan(tc), np.inf, tc), res.casting, case.spacing_mm, riser)
    fs = fs_crit_field(case)[res.casting]
    return {
        "critical_fraction_solid": float(fs.min()) if fs.size else None,
        "pockets": pockets,
        "unfed": sum(1 for p in pockets if not p["fed_by_riser"]),
    }


def summarise(case: Case, res: RunResult) -> dict[str, Any]:
    last = res.last_to_solidify()
    st = res.solidification_time
    return {
        "solidification_time_s": st,
        "probes": res.probes,
        "fronts": res.fronts,
        "niyama": niyama_summary(case, res),
        "last_to_solidify_mm": None if last is None else [v * 1e3 for v in last],
        "hot_spots": res.hot_spots(),
        "liquid_pockets": pockets_summary(case, res),
        "chvorinov": analysis.chvorinov_check(
            case.roles if case.roles is not None else np.zeros(case.problem.shape, np.uint8),
            case.spacing_mm, case.chvorinov_factor, t_solidus=res.t_solidus,
        ),
        "energy": {
            "relative_drift": res.energy_drift,
            "latent_heat_released_J": res.latent_heat_released(),
            "latent_heat_available_J": res.latent_heat_available(),
            "boundary_heat_in_J": res.boundary_heat,
        },
        "run": {
            "end_time_s": res.time,
            "stopped": res.stopped,
            "cells": int(np.prod(case.problem.shape)),
            "steps": res.steps,
            "fast_steps": res.fast_steps,
            "dt_s": res.dt_fast,
            "dt_slow_s": res.dt_slow,
            "substeps": res.substeps,
            "wall_s": res.wall_seconds,
            "backend": case.backend,
            "materials": case.material_names,
        },
    }


def write_outputs(case: Case, res: RunResult, summary: dict[str, Any], out_dir: str | Path) -> list[Path]:
    """summary.json and fields.npz (per-cell maps, mm and seconds) in out_dir."""
    d = Path(out_dir)
    d.mkdir(parents=True, exist_ok=True)
    f = res.niyama_fields()
    paths = [d / "summary.json", d / "fields.npz"]
    paths[0].write_text(json.dumps(summary, indent=2, sort_keys=False) + "\n")
    np.savez_compressed(
        paths[1],
        spacing_mm=case.spacing_mm,
        material=case.problem.mat,
        material_names=np.array(case.material_names),
        temperature=res.T,
        fraction_solid=res.fs,
        t_liquidus=res.t_liquidus,
        t_solidus=res.t_solidus,
        local_solidification_time=res.local_solidification_time,
        niyama=f["niyama"],
        thermal_gradient=f["gradient"],
        cooling_rate=f["cooling_rate"],
        critical_time=critical_times(case, res),
        role=case.roles if case.roles is not None else np.zeros(case.problem.shape, np.uint8),
    )
    return paths
