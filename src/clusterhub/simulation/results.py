"""Reading a run's result arrays and drawing them: slice PNGs (NumPy + Pillow), 3-D point sets,
probe curves and the PDF report."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import numpy as np
from django.conf import settings
from django.utils.translation import gettext as _

from .models import SimulationRun

FIELDS = ("solidification_time", "niyama", "fraction_solid", "hot_spots")
AXES = ("x", "y", "z")
# A perceptually ordered ramp (dark blue - teal - yellow), interpolated linearly.
RAMP = np.array([[48, 18, 59], [50, 101, 178], [31, 158, 137], [109, 205, 89], [253, 231, 37]], float)
MOULD = (205, 200, 190)
TARGET_PX = 360


def field_labels() -> dict[str, str]:
    return {
        "solidification_time": _("Solidification time (s)"),
        "niyama": _("Niyama ((K s)^0.5/mm)"),
        "fraction_solid": _("Fraction solid at a time"),
        "hot_spots": _("Hot spots (isolated liquid pockets)"),
    }


def load(run: SimulationRun) -> dict[str, np.ndarray]:
    path = Path(settings.MEDIA_ROOT) / run.result_path
    with np.load(path, allow_pickle=False) as z:
        return {k: z[k] for k in z.files}


def casting_mask(d: dict[str, np.ndarray]) -> np.ndarray:
    return np.isin(d["role"], (1, 2, 3)) | np.isfinite(d["t_solidus"])


def fraction_solid_at(d: dict[str, np.ndarray], t: float) -> np.ndarray:
    """f_s at time t rebuilt from each cell's liquidus and solidus crossing times (linear in time
    between them): exact at both ends, an approximation in between."""
    tl = np.where(np.isfinite(d["t_liquidus"]), d["t_liquidus"], 0.0)
    ts = d["t_solidus"]
    span = np.where(np.isfinite(ts), ts - tl, np.inf)
    with np.errstate(invalid="ignore", divide="ignore"):
        fs = np.clip((t - tl) / np.where(span > 0, span, 1e-12), 0.0, 1.0)
    fs = np.where(np.isfinite(ts), fs, 0.0)  # runs go on until solidified; this is a guard
    return np.where(casting_mask(d), fs, np.nan)


def pocket_labels(d: dict[str, np.ndarray], pockets: list[dict[str, Any]], spacing: float) -> np.ndarray:
    """1..n for the cells each pocket held when it was isolated, 0 elsewhere."""
    from scipy import ndimage

    tc = np.where(np.isnan(d["critical_time"]), -np.inf, d["critical_time"])
    out = np.zeros(tc.shape, np.int16)
    for n, p in enumerate(pockets, start=1):
        t = p.get("isolated_at_s")
        if t is None:
            continue
        lab, _count = ndimage.label(tc > t)
        ijk = tuple(min(int(v / spacing), s - 1) for v, s in zip(p["last_liquid_mm"], tc.shape, strict=True))
        if lab[ijk]:
            out[(lab == lab[ijk]) & (out == 0)] = n
    return out


def field_values(run: SimulationRun, d: dict[str, np.ndarray], field: str, t: float) -> np.ndarray:
    cast = casting_mask(d)
    if field == "solidification_time":
        return np.where(cast, d["t_solidus"], np.nan)
    if field == "niyama":
        return np.where(cast, d["niyama"], np.nan)
    if field == "fraction_solid":
        return fraction_solid_at(d, t)
    pockets = (run.summary.get("liquid_pockets") or {}).get("pockets", [])
    lab = pocket_labels(d, pockets, float(d["spacing_mm"]))
    return np.where(cast, lab.astype(float), np.nan)


def _colour(v: np.ndarray, lo: float, hi: float) -> np.ndarray:
    x = np.clip((v - lo) / (hi - lo) if hi > lo else np.zeros_like(v), 0, 1) * (len(RAMP) - 1)
    i = np.minimum(np.floor(np.nan_to_num(x)).astype(int), len(RAMP) - 2)
    w = (np.nan_to_num(x) - i)[..., None]
    return RAMP[i] * (1 - w) + RAMP[i + 1] * w


def slice_png(run: SimulationRun, d: dict[str, np.ndarray], field: str, axis: str, index: int,
              t: float = 0.0) -> bytes:
    """One slice as a PNG: the field over the casting, mould in grey, a colour bar with limits."""
    from PIL import Image, ImageDraw

    vals = field_values(run, d, field, t)
    a = AXES.index(axis)
    index = max(0, min(index, vals.shape[a] - 1))
    sl = np.take(vals, index, axis=a)
    finite = vals[np.isfinite(vals)]
    if field == "fraction_solid":
        lo, hi = 0.0, 1.0
    elif field == "niyama":
        lo, hi = 0.0, float(np.percentile(finite, 95)) if finite.size else 1.0
    elif finite.size:
        lo, hi = float(finite.min()), float(finite.max())
    else:
        lo, hi = 0.0, 1.0
    rgb = np.empty((*sl.shape, 3))
    rgb[:] = MOULD
    ok = np.isfinite(sl)
    if field == "hot_spots":
        base = np.array([235, 225, 205.0])
        rgb[ok] = base
        rgb[ok & (sl > 0)] = (200, 30, 40)
    else:
        rgb[ok] = _colour(sl[ok], lo, hi)
    # image rows go down: put the slice's second axis upwards
    img = np.transpose(rgb, (1, 0, 2))[::-1].astype(np.uint8)
    scale = max(1, TARGET_PX // max(img.shape[:2]))
    pic = Image.fromarray(img, "RGB").resize((img.shape[1] * scale, img.shape[0] * scale), Image.Resampling.NEAREST)
    bar_h = 26
    canvas = Image.new("RGB", (pic.width, pic.height + bar_h), (255, 255, 255))
    canvas.paste(pic, (0, 0))
    draw = ImageDraw.Draw(canvas)
    if field != "hot_spots":
        ramp = _colour(np.linspace(lo, hi, pic.width), lo, hi).astype(np.uint8)
        canvas.paste(Image.fromarray(np.repeat(ramp[None], 8, axis=0), "RGB"), (0, pic.height + 2))
        draw.text((2, pic.height + 12), f"{lo:.3g}", fill=(0, 0, 0))
        label = f"{hi:.3g}"
        draw.text((pic.width - 7 * len(label) - 2, pic.height + 12), label, fill=(0, 0, 0))
    buf = io.BytesIO()
    canvas.save(buf, "PNG", optimize=True)
    return buf.getvalue()


def points(run: SimulationRun, d: dict[str, np.ndarray], max_points: int = 4000) -> dict[str, Any]:
    """Point sets for the 3-D view (mm): the casting's outline, Niyama-risk cells, pocket cells."""
    h = float(d["spacing_mm"])
    cast = casting_mask(d)
    from .solver.analysis import surface_cells

    skin = np.argwhere(surface_cells(cast))
    risk = np.zeros(cast.shape, bool)
    threshold = None
    for info in ((run.summary.get("niyama") or {}).get("shrinkage_risk") or {}).values():
        threshold = info.get("threshold")
    if threshold is not None:
        ny = d["niyama"]
        risk = cast & np.isfinite(ny) & (ny < threshold)
    pockets = (run.summary.get("liquid_pockets") or {}).get("pockets", [])
    lab = pocket_labels(d, pockets, h)

    def sample(ijk: np.ndarray) -> list[list[float]]:
        if len(ijk) > max_points:
            ijk = ijk[np.linspace(0, len(ijk) - 1, max_points).astype(int)]
        return [[round((v + 0.5) * h, 2) for v in row] for row in ijk.tolist()]

    return {
        "extent_mm": [n * h for n in cast.shape],
        "outline": sample(skin),
        "risk": sample(np.argwhere(risk)),
        "pockets": sample(np.argwhere(lab > 0)),
        "niyama_threshold": threshold,
    }


def probe_series(run: SimulationRun) -> tuple[list[str], list[tuple[str, list[float | None]]]]:
    probes = run.summary.get("probes") or {}
    times: list[str] = sorted({t for v in probes.values() for t in v}, key=float)
    series = [(name, [vals.get(t) for t in times]) for name, vals in probes.items()]
    return [f"{float(t):.0f}" if float(t) >= 10 else f"{float(t):.2g}" for t in times], series
