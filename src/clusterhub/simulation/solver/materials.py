"""Materials: properties, fraction-solid curves and the enthalpy tables the kernels read.

Volumetric enthalpy H (J/m^3) is measured from 0 degC:

    H(T) = rho * integral_0^T c(T') dT' + rho * L * (1 - f_s(T))

with c = c_solid below the solidus, c_liquid above the liquidus and a constant c_mush in the
mushy zone (default: the mean of c_solid and c_liquid); the conductivity likewise (k_mush, default
the mean of k_solid and k_liquid). Constant mush properties are what the exact similarity
solutions assume, so the solver can be checked against them with any solid/liquid data; on the
solidus plateau k goes linearly from k_solid (fully solid) to the mush value. A fraction `eutectic_fraction` of the
latent heat is released isothermally at the solidus; a pure metal (liquidus == solidus) releases
all of it there.

The kernels invert H -> (T, conductivity) per cell: a linear branch below the solidus plateau,
the plateau itself (T = solidus), a uniform table in H across the mushy zone, and a linear
branch above the liquidus. Non-latent materials (moulds, chills) have one linear branch.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field, replace
from importlib import resources
from typing import Any

import numpy as np

# Entries of the uniform-in-H mush table. Linear f_s with constant mush properties is exact
# at any size; curved f_s (lever rule, tables) and mixture heat capacities are within 1e-3 K.
MUSH_TABLE_SIZE = 1024

# Column layout of the per-material parameter matrix handed to the kernels.
P_LATENT = 0  # 1.0 when the material releases latent heat
P_AS = 1  # solid branch: T = H * a_s + b_s
P_BS = 2
P_AL = 3  # liquid branch: T = H * a_l + b_l
P_BL = 4
P_HS = 5  # enthalpy at the bottom of the solidus plateau (fully solid)
P_HE = 6  # enthalpy at the top of the plateau (start of the mush table)
P_HL = 7  # enthalpy at the liquidus
P_TS = 8
P_TL = 9
P_RS = 10  # 1 / (2 k_solid)
P_RL = 11  # 1 / (2 k_liquid)
P_KS = 12  # k_solid
P_KE = 13  # k at the top of the plateau
P_FP = 14  # fraction released on the plateau (1 for a pure metal)
P_INVDH = 15  # (table size) / (H_L - H_E)
P_INVDP = 16  # 1 / (H_E - H_S), the plateau width
N_PARAMS = 17


class MaterialError(ValueError):
    """A material definition that cannot be used; the message names the key and the reason."""

    def __init__(self, key: str, message: str) -> None:
        super().__init__(f"{key}: {message}")
        self.key = key
        self.reason = message


@dataclass(frozen=True)
class FsCurve:
    """Fraction solid between liquidus and solidus, before the isothermal (eutectic) part."""

    kind: str = "linear"  # linear | lever | table
    partition_coefficient: float = 0.13  # lever rule only
    points: tuple[tuple[float, float], ...] = ()  # table only: (T, f_s), any order

    def describe(self) -> Any:
        if self.kind == "linear":
            return "linear"
        if self.kind == "lever":
            return {"type": "lever", "partition_coefficient": self.partition_coefficient}
        return {"type": "table", "points": [list(p) for p in self.points]}


@dataclass(frozen=True)
class Material:
    name: str
    rho: float
    k_solid: float
    k_liquid: float
    c_solid: float
    c_liquid: float
    latent_heat: float = 0.0  # J/kg
    liquidus: float = 0.0
    solidus: float = 0.0
    eutectic_fraction: float = 0.0
    fs_curve: FsCurve = field(default_factory=FsCurve)
    k_mush: float | None = None
    c_mush: float | None = None
    niyama_threshold: float | None = None  # (K s)^0.5/mm; below it: shrinkage risk
    critical_fraction_solid: float | None = None  # feeding cut-off (hot-spot pockets)
    source: str = ""

    @property
    def is_latent(self) -> bool:
        return self.latent_heat > 0.0

    @property
    def is_pure(self) -> bool:
        return self.is_latent and self.liquidus == self.solidus

    @property
    def plateau_fraction(self) -> float:
        """Fraction of L released at the solidus temperature."""
        return 1.0 if self.is_pure else self.eutectic_fraction

    @property
    def niyama_temperature(self) -> float:
        """Default critical temperature: T_S + 0.1 (T_L - T_S) (Carlson & Beckermann)."""
        return self.solidus + 0.1 * (self.liquidus - self.solidus)

    # ---- fraction solid --------------------------------------------------------------
    def fs_of_T(self, T: np.ndarray | float) -> np.ndarray:
        """f_s(T), the isothermal fraction counted as solid only below the solidus."""
        T = np.asarray(T, dtype=np.float64)
        if not self.is_latent:
            return np.zeros_like(T)
        if self.is_pure:
            return np.where(T < self.solidus, 1.0, 0.0)
        g = self._primary_fs(np.clip(T, self.solidus, self.liquidus))
        fs = (1.0 - self.eutectic_fraction) * g if self.fs_curve.kind != "table" else g
        fs = np.where(T >= self.liquidus, 0.0, fs)
        return np.where(T < self.solidus, 1.0, fs)

    def _primary_fs(self, T: np.ndarray) -> np.ndarray:
        TL, TS = self.liquidus, self.solidus
        curve = self.fs_curve
        if curve.kind == "linear":
            return (TL - T) / (TL - TS)
        if curve.kind == "lever":
            kp = curve.partition_coefficient
            Tf = (TL - kp * TS) / (1.0 - kp)  # melting point of the solvent
            return (TL - T) / ((1.0 - kp) * (Tf - T))
        pts = np.array(sorted(curve.points), dtype=np.float64)
        return np.interp(T, pts[:, 0], pts[:, 1])

    @property
    def k_mush_value(self) -> float:
        """Conductivity in the mushy zone: k_mush, else the mean of solid and liquid."""
        return self.k_mush if self.k_mush is not None else 0.5 * (self.k_solid + self.k_liquid)

    @property
    def c_mush_value(self) -> float:
        return self.c_mush if self.c_mush is not None else 0.5 * (self.c_solid + self.c_liquid)

    # ---- enthalpy -----------------------------------------------------------------------
    def enthalpy_breaks(self) -> tuple[float, float, float]:
        """(H_S, H_E, H_L): fully solid, top of the solidus plateau, liquidus."""
        rho = self.rho
        if not self.is_latent:
            return (math.inf, math.inf, math.inf)
        hs = rho * self.c_solid * self.solidus
        he = hs + rho * self.latent_heat * self.plateau_fraction
        if self.is_pure:
            return hs, he, he
        Tm, fm = self._mush_samples()
        sens = rho * _cumtrapz(self._c_mush_curve(fm), Tm)[-1]
        hl = he + sens + rho * self.latent_heat * (1.0 - self.plateau_fraction)
        return hs, he, hl

    def _mush_samples(self, n: int = 4001) -> tuple[np.ndarray, np.ndarray]:
        Tm = np.linspace(self.solidus, self.liquidus, n)
        fm = self.fs_of_T(Tm)
        fm[0] = 1.0 - self.plateau_fraction  # just above the plateau
        fm[-1] = 0.0
        return Tm, fm

    def _c_mush_curve(self, fm: np.ndarray) -> np.ndarray:
        return np.full_like(fm, self.c_mush_value)

    def _k_mush_curve(self, fm: np.ndarray) -> np.ndarray:
        return np.full_like(fm, self.k_mush_value)

    def mush_table(self, n: int = MUSH_TABLE_SIZE) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(T, 1/(2k), f_s) at n + 1 enthalpies spaced evenly from H_E to H_L."""
        hs, he, hl = self.enthalpy_breaks()
        if not self.is_latent or self.is_pure or hl <= he:
            t = np.full(n + 1, self.solidus)
            return t, np.full(n + 1, 0.5 / self.k_liquid), np.zeros(n + 1)
        Tm, fm = self._mush_samples()
        Hm = he + self.rho * (
            _cumtrapz(self._c_mush_curve(fm), Tm) + self.latent_heat * ((1.0 - self.plateau_fraction) - fm)
        )
        grid = np.linspace(he, hl, n + 1)
        T = np.interp(grid, Hm, Tm)
        fs = np.interp(grid, Hm, fm)
        k = np.interp(grid, Hm, self._k_mush_curve(fm))
        return T, 0.5 / k, fs

    def enthalpy(self, T: np.ndarray | float) -> np.ndarray:
        """H(T) for temperatures off the plateau (on it: its top, i.e. fully liquid side)."""
        T = np.asarray(T, dtype=np.float64)
        if not self.is_latent:
            return self.rho * self.c_solid * T
        hs, he, hl = self.enthalpy_breaks()
        out = np.where(T <= self.solidus, self.rho * self.c_solid * T, 0.0)
        out = np.where(T >= self.liquidus, hl + self.rho * self.c_liquid * (T - self.liquidus), out)
        if not self.is_pure:
            Tm, fm = self._mush_samples()
            Hm = he + self.rho * (
                _cumtrapz(self._c_mush_curve(fm), Tm)
                + self.latent_heat * ((1.0 - self.plateau_fraction) - fm)
            )
            mid = (T > self.solidus) & (T < self.liquidus)
            out = np.where(mid, np.interp(T, Tm, Hm), out)
        else:
            out = np.where(T > self.solidus, hl + self.rho * self.c_liquid * (T - self.liquidus), out)
        return out

    def params(self) -> np.ndarray:
        p = np.zeros(N_PARAMS)
        rho = self.rho
        p[P_RS] = 0.5 / self.k_solid
        p[P_RL] = 0.5 / self.k_liquid
        p[P_KS] = self.k_solid
        p[P_AS] = 1.0 / (rho * self.c_solid)
        if not self.is_latent:
            p[P_AL], p[P_BS], p[P_BL] = p[P_AS], 0.0, 0.0
            p[P_HS] = p[P_HE] = p[P_HL] = np.inf
            p[P_RL] = p[P_RS]
            return p
        hs, he, hl = self.enthalpy_breaks()
        p[P_LATENT] = 1.0
        p[P_BS] = self.solidus - hs * p[P_AS]
        p[P_AL] = 1.0 / (rho * self.c_liquid)
        p[P_BL] = self.liquidus - hl * p[P_AL]
        p[P_HS], p[P_HE], p[P_HL] = hs, he, hl
        p[P_TS], p[P_TL] = self.solidus, self.liquidus
        p[P_FP] = self.plateau_fraction
        p[P_KE] = self.k_liquid if self.is_pure else self.k_mush_value
        p[P_INVDH] = MUSH_TABLE_SIZE / (hl - he) if hl > he else 0.0
        p[P_INVDP] = 1.0 / (he - hs) if he > hs else 0.0
        return p

    def stable_capacity(self) -> float:
        """Smallest volumetric heat capacity dH/dT (solid, liquid or mush), J/m^3K."""
        caps = [self.c_solid, self.c_liquid]
        if self.is_latent and not self.is_pure:
            caps.append(self.c_mush_value)
        return self.rho * min(caps)

    def max_conductivity(self) -> float:
        ks = [self.k_solid, self.k_liquid]
        if self.is_latent and not self.is_pure:
            ks.append(self.k_mush_value)
        return max(ks)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "rho": self.rho,
            "k_solid": self.k_solid,
            "k_liquid": self.k_liquid,
            "c_solid": self.c_solid,
            "c_liquid": self.c_liquid,
            "latent_heat": self.latent_heat,
            "liquidus": self.liquidus,
            "solidus": self.solidus,
            "eutectic_fraction": self.eutectic_fraction,
            "fs_curve": self.fs_curve.describe(),
        }
        for key in ("k_mush", "c_mush", "niyama_threshold", "critical_fraction_solid"):
            if getattr(self, key) is not None:
                out[key] = getattr(self, key)
        if self.source:
            out["source"] = self.source
        return out


def _cumtrapz(y: np.ndarray, x: np.ndarray) -> np.ndarray:
    out = np.zeros_like(x)
    out[1:] = np.cumsum(0.5 * (y[1:] + y[:-1]) * np.diff(x))
    return out


# ---- parsing ----------------------------------------------------------------------------
_NUMBER_KEYS = ("rho", "k_solid", "k_liquid", "c_solid", "c_liquid")
_OPTIONAL = {
    "latent_heat": 0.0,
    "liquidus": None,
    "solidus": None,
    "eutectic_fraction": 0.0,
}
_KNOWN = set(_NUMBER_KEYS) | set(_OPTIONAL) | {
    "fs_curve",
    "k_mush",
    "c_mush",
    "niyama_threshold",
    "critical_fraction_solid",
    "source",
    "library",
    "k",
    "c",
}


def _number(key: str, value: Any, *, positive: bool = False, nonneg: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise MaterialError(key, f"must be a number (got {value!r})")
    v = float(value)
    if not math.isfinite(v):
        raise MaterialError(key, f"must be finite (got {value!r})")
    if positive and v <= 0:
        raise MaterialError(key, f"must be positive (got {value!r})")
    if nonneg and v < 0:
        raise MaterialError(key, f"must not be negative (got {value!r})")
    return v


def parse_fs_curve(key: str, spec: Any) -> FsCurve:
    if spec is None or spec == "linear":
        return FsCurve("linear")
    if spec in ("lever", "lever_rule"):
        return FsCurve("lever")
    if isinstance(spec, list):
        spec = {"type": "table", "points": spec}
    if not isinstance(spec, dict):
        raise MaterialError(
            key, f"must be 'linear', 'lever', {{'type': 'lever', ...}} or a table (got {spec!r})"
        )
    kind = spec.get("type")
    if kind in ("lever", "lever_rule"):
        kp = _number(f"{key}.partition_coefficient", spec.get("partition_coefficient", 0.13), positive=True)
        if kp >= 1.0:
            raise MaterialError(f"{key}.partition_coefficient", f"must be below 1 (got {kp})")
        return FsCurve("lever", partition_coefficient=kp)
    if kind == "linear":
        return FsCurve("linear")
    if kind == "table":
        pts = spec.get("points")
        if not isinstance(pts, list) or len(pts) < 2:
            raise MaterialError(f"{key}.points", "needs at least two [temperature, fraction_solid] pairs")
        out = []
        for i, p in enumerate(pts):
            if not isinstance(p, list | tuple) or len(p) != 2:
                raise MaterialError(f"{key}.points[{i}]", f"must be [temperature, fraction_solid] (got {p!r})")
            t = _number(f"{key}.points[{i}][0]", p[0])
            f = _number(f"{key}.points[{i}][1]", p[1])
            if not 0.0 <= f <= 1.0:
                raise MaterialError(f"{key}.points[{i}][1]", f"fraction solid must be in [0, 1] (got {f})")
            out.append((t, f))
        ordered = sorted(out)
        fs = [f for _, f in ordered]
        if any(b > a + 1e-12 for a, b in zip(fs, fs[1:], strict=False)):
            raise MaterialError(f"{key}.points", "fraction solid must not increase with temperature")
        return FsCurve("table", points=tuple(ordered))
    raise MaterialError(f"{key}.type", f"unknown curve type {kind!r} (linear, lever, table)")


def material_from_dict(name: str, data: dict[str, Any], key: str | None = None) -> Material:
    """Build a Material from case-file or library data; errors name `key.field`."""
    key = key or name
    if not isinstance(data, dict):
        raise MaterialError(key, f"must be an object of properties (got {type(data).__name__})")
    unknown = sorted(set(data) - _KNOWN)
    if unknown:
        raise MaterialError(f"{key}.{unknown[0]}", f"unknown property (known: {', '.join(sorted(_KNOWN - {'library', 'k', 'c'}))})")
    d = dict(data)
    # Shorthands for materials whose properties don't change with phase (moulds, chills).
    if "k" in d:
        d.setdefault("k_solid", d["k"])
        d.setdefault("k_liquid", d["k"])
    if "c" in d:
        d.setdefault("c_solid", d["c"])
        d.setdefault("c_liquid", d["c"])
    vals: dict[str, Any] = {}
    for k in _NUMBER_KEYS:
        if k not in d:
            if k in ("k_liquid", "c_liquid") and k.replace("liquid", "solid") in d:
                d[k] = d[k.replace("liquid", "solid")]
            else:
                raise MaterialError(f"{key}.{k}", "is required")
        vals[k] = _number(f"{key}.{k}", d[k], positive=True)
    L = _number(f"{key}.latent_heat", d.get("latent_heat", 0.0), nonneg=True)
    vals["latent_heat"] = L
    fE = _number(f"{key}.eutectic_fraction", d.get("eutectic_fraction", 0.0), nonneg=True)
    if fE > 1.0:
        raise MaterialError(f"{key}.eutectic_fraction", f"must be between 0 and 1 (got {fE})")
    curve = parse_fs_curve(f"{key}.fs_curve", d.get("fs_curve"))
    if L > 0:
        for k in ("liquidus", "solidus"):
            if d.get(k) is None:
                raise MaterialError(f"{key}.{k}", "is required for a material with latent heat")
        TL = _number(f"{key}.liquidus", d["liquidus"])
        TS = _number(f"{key}.solidus", d["solidus"])
        if TS > TL:
            raise MaterialError(f"{key}.solidus", f"must not exceed the liquidus ({TS} > {TL})")
        if curve.kind == "table" and TL > TS:
            pts = np.array(curve.points)
            f_at_ts = float(np.interp(TS, pts[:, 0], pts[:, 1]))
            f_at_tl = float(np.interp(TL, pts[:, 0], pts[:, 1]))
            if f_at_tl > 1e-9:
                raise MaterialError(f"{key}.fs_curve", f"fraction solid at the liquidus must be 0 (got {f_at_tl:g})")
            implied = 1.0 - f_at_ts
            if "eutectic_fraction" in d and abs(implied - fE) > 1e-6:
                raise MaterialError(
                    f"{key}.eutectic_fraction",
                    f"the table ends at f_s = {f_at_ts:g} at the solidus, which implies an isothermal "
                    f"fraction of {implied:g}, not {fE:g}",
                )
            fE = implied
        vals.update(liquidus=TL, solidus=TS)
    else:
        vals.update(liquidus=0.0, solidus=0.0)
        fE = 0.0
    vals["eutectic_fraction"] = fE
    for k in ("k_mush", "c_mush"):
        if d.get(k) is not None:
            vals[k] = _number(f"{key}.{k}", d[k], positive=True)
    for k in ("niyama_threshold", "critical_fraction_solid"):
        if d.get(k) is not None:
            vals[k] = _number(f"{key}.{k}", d[k], nonneg=True)
    src = d.get("source", "")
    if isinstance(src, list):
        src = "; ".join(str(s) for s in src)
    return Material(name=name, fs_curve=curve, source=str(src), **vals)


def load_library() -> dict[str, Material]:
    """The built-in materials (materials.json beside this package)."""
    text = resources.files("clusterhub.simulation").joinpath("materials.json").read_text("utf-8")
    raw = json.loads(text)
    return {name: material_from_dict(name, data, f"library.{name}") for name, data in raw["materials"].items()}


def with_overrides(base: Material, name: str, data: dict[str, Any], key: str) -> Material:
    merged = base.to_dict()
    merged.update({k: v for k, v in data.items() if k != "library"})
    m = material_from_dict(name, merged, key)
    return replace(m, source=m.source or base.source)
