"""Exact and reference solutions the verification tests compare against, from the formulas.

Neumann (pure metal, chill wall), the three-region similarity solution for a linear mushy zone
(chill wall or semi-infinite die, optional eutectic fraction released at the solidus), the pure
metal against a semi-infinite mould, Chvorinov's constant, and a 1-D spherical finite-volume
reference (enthalpy, shell resistances) for the voxel-sphere check.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numba import njit
from scipy.optimize import brentq
from scipy.special import erf, erfc


# ---- Neumann: pure metal against a chill wall ------------------------------------------------
@dataclass
class Neumann:
    lam: float
    alpha_s: float
    alpha_l: float
    Tw: float
    Tm: float
    Ti: float

    def front(self, t: float) -> float:
        return 2.0 * self.lam * math.sqrt(self.alpha_s * t)

    def temperature(self, x: np.ndarray, t: float) -> np.ndarray:
        X = self.front(t)
        nu = math.sqrt(self.alpha_s / self.alpha_l)
        solid = self.Tw + (self.Tm - self.Tw) * erf(x / (2 * np.sqrt(self.alpha_s * t))) / erf(self.lam)
        liquid = self.Ti - (self.Ti - self.Tm) * erfc(x / (2 * np.sqrt(self.alpha_l * t))) / erfc(self.lam * nu)
        return np.where(x < X, solid, liquid)


def neumann(rho_cs: float, rho_cl: float, ks: float, kl: float, rho_L: float, Tm: float, Tw: float, Ti: float) -> Neumann:
    a_s, a_l = ks / rho_cs, kl / rho_cl
    nu = math.sqrt(a_s / a_l)
    St = rho_cs * (Tm - Tw) / rho_L

    def f(lam: float) -> float:
        return (
            math.exp(-lam * lam) / math.erf(lam)
            - (kl / ks) * nu * (Ti - Tm) / (Tm - Tw) * math.exp(-nu * nu * lam * lam) / math.erfc(nu * lam)
            - lam * math.sqrt(math.pi) / St
        )

    return Neumann(brentq(f, 1e-8, 10.0, xtol=1e-15), a_s, a_l, Tw, Tm, Ti)


# ---- three-region similarity solution (linear mushy zone) --------------------------------------
@dataclass
class Mushy:
    """T_r = A_r + B_r erf(eta / sqrt(alpha_r)), eta = x / (2 sqrt t); fronts X = 2 lambda sqrt t."""

    lam_s: float
    lam_l: float
    A: tuple[float, float, float]
    B: tuple[float, float, float]
    alpha: tuple[float, float, float]
    T_interface: float
    mould: tuple[float, float, float] | None  # (A_M, B_M, alpha_M) for x < 0

    def fronts(self, t: float) -> tuple[float, float]:
        return 2 * self.lam_s * math.sqrt(t), 2 * self.lam_l * math.sqrt(t)

    def temperature(self, x: np.ndarray, t: float) -> np.ndarray:
        eta = np.asarray(x, float) / (2 * math.sqrt(t))
        out = np.empty_like(eta)
        for r, (lo, hi) in enumerate(((-np.inf, self.lam_s), (self.lam_s, self.lam_l), (self.lam_l, np.inf))):
            sel = (eta >= lo) & (eta < hi) & (eta >= 0)
            out[sel] = self.A[r] + self.B[r] * erf(eta[sel] / math.sqrt(self.alpha[r]))
        if self.mould is not None:
            am, bm, alm = self.mould
            sel = eta < 0
            out[sel] = am + bm * erf(eta[sel] / math.sqrt(alm))
        return out

    def niyama(self, T_star: float) -> float:
        """Exact Niyama ((K s)^0.5/mm) at T_star, which must lie in the mushy zone."""
        A, B, al = self.A[1], self.B[1], self.alpha[1]
        eta = math.sqrt(al) * _erfinv((T_star - A) / B)
        e = math.exp(-eta * eta / al)
        return math.sqrt(abs(B) * e / (math.sqrt(math.pi * al) * eta)) / 1000.0

    def local_solidification_time(self, x: np.ndarray) -> np.ndarray:
        return (np.asarray(x) ** 2 / 4.0) * (1 / self.lam_s**2 - 1 / self.lam_l**2)


def _erfinv(y: float) -> float:
    from scipy.special import erfinv

    return float(erfinv(y))


def mushy(
    rho: float, ks: float, km: float, kl: float, cs: float, cm: float, cl: float, L: float,
    TL: float, TS: float, fE: float, Ti: float, Tw: float | None = None,
    mould: tuple[float, float, float, float] | None = None,
) -> Mushy:
    """Chill wall at Tw, or a semi-infinite mould (k, rho, c, T0) filling x < 0."""
    a_s = ks / (rho * cs)
    a_m = km / (rho * (cm + L * (1.0 - fE) / (TL - TS)))
    a_l = kl / (rho * cl)

    def coeffs(ls: float, ll: float) -> tuple[float, ...]:
        Es = erf(ls / math.sqrt(a_s))
        if mould is None:
            assert Tw is not None
            Tint = Tw
        else:
            kM, rM, cM, T0 = mould
            phi = math.sqrt(ks * rho * cs) / math.sqrt(kM * rM * cM)
            Tint = (T0 + phi * TS / Es) / (1.0 + phi / Es)
        B1 = (TS - Tint) / Es
        A1 = Tint
        B2 = (TL - TS) / (erf(ll / math.sqrt(a_m)) - erf(ls / math.sqrt(a_m)))
        A2 = TS - B2 * erf(ls / math.sqrt(a_m))
        B3 = (Ti - TL) / erfc(ll / math.sqrt(a_l))
        A3 = Ti - B3
        return A1, B1, A2, B2, A3, B3, Tint

    def flux(k: float, B: float, a: float, lam: float) -> float:
        return k * B * math.exp(-lam * lam / a) / math.sqrt(math.pi * a)

    def liquidus_eq(ll: float, ls: float) -> float:
        _, _, _, B2, _, B3, _ = coeffs(ls, ll)
        return flux(km, B2, a_m, ll) - flux(kl, B3, a_l, ll)

    def lam_l_of(ls: float) -> float:
        lo = ls * (1 + 1e-9) + 1e-12
        hi = max(2 * ls, 1e-4)
        while liquidus_eq(hi, ls) > 0:
            hi *= 2
        return brentq(liquidus_eq, lo, hi, args=(ls,), xtol=1e-16, rtol=1e-14)

    def solidus_eq(ls: float) -> float:
        ll = lam_l_of(ls)
        _, B1, _, B2, _, _, _ = coeffs(ls, ll)
        return flux(ks, B1, a_s, ls) - flux(km, B2, a_m, ls) - rho * L * fE * ls

    lo, hi = 1e-7, 1e-5
    while solidus_eq(hi) > 0:
        lo, hi = hi, hi * 1.5
    ls = brentq(solidus_eq, lo, hi, xtol=1e-16, rtol=1e-14)
    ll = lam_l_of(ls)
    A1, B1, A2, B2, A3, B3, Tint = coeffs(ls, ll)
    mould_coef = None
    if mould is not None:
        kM, rM, cM, T0 = mould
        mould_coef = (Tint, Tint - T0, kM / (rM * cM))
    return Mushy(ls, ll, (A1, A2, A3), (B1, B2, B3), (a_s, a_m, a_l), Tint, mould_coef)


# ---- pure metal against a semi-infinite mould -----------------------------------------------------
def semi_infinite_mould_lambda(rho: float, ks: float, cs: float, L: float, Tm: float, kM: float, rM: float, cM: float, T0: float) -> float:
    """lambda with X = 2 lambda sqrt(alpha_s t): lambda e^lambda^2 (erf lambda + Phi) = c_s dT / (sqrt(pi) L)."""
    phi = math.sqrt(ks * rho * cs) / math.sqrt(kM * rM * cM)
    rhs = cs * (Tm - T0) / (math.sqrt(math.pi) * L)
    return brentq(lambda lam: lam * math.exp(lam * lam) * (math.erf(lam) + phi) - rhs, 1e-12, 5.0, xtol=1e-16)


def plate_freezing_time(half_thickness: float, rho: float, ks: float, cs: float, L: float, Tm: float, kM: float, rM: float, cM: float, T0: float) -> float:
    lam = semi_infinite_mould_lambda(rho, ks, cs, L, Tm, kM, rM, cM, T0)
    return half_thickness**2 / (4 * lam * lam * ks / (rho * cs))


def chvorinov_B(rho: float, L: float, Tm: float, kM: float, rM: float, cM: float, T0: float, c_liq: float = 0.0, superheat: float = 0.0) -> float:
    Lp = L + c_liq * superheat
    return (math.pi / 4) * (rho * Lp / (Tm - T0)) ** 2 / (kM * rM * cM)


# ---- 1-D spherical finite-volume reference --------------------------------------------------------
@njit(cache=True)
def _sphere_run(rc, vol, Gf, cap_s, cap_l, Hs, Hl, Tm, is_metal, H, dt, t_end, Tfar):
    n = H.shape[0]
    T = np.empty(n)
    t = 0.0
    while t < t_end:
        for i in range(n):
            h = H[i]
            if is_metal[i]:
                if h <= Hs:
                    T[i] = Tm + (h - Hs) / cap_s[i]
                elif h >= Hl:
                    T[i] = Tm + (h - Hl) / cap_l[i]
                else:
                    T[i] = Tm
            else:
                T[i] = h / cap_s[i]
        solid = True
        for i in range(n):
            if is_metal[i] and H[i] > Hs:
                solid = False
                break
        if solid:
            return t
        for i in range(n):
            q = 0.0
            if i > 0:
                q += Gf[i - 1] * (T[i - 1] - T[i])
            if i < n - 1:
                q += Gf[i] * (T[i + 1] - T[i])
            else:
                q += Gf[i] * (Tfar - T[i])
            H[i] += dt * q / vol[i]
        t += dt
    return -1.0


def sphere_freezing_time(
    radius: float, rho: float, k_metal: float, c_metal: float, L: float, Tm: float,
    kM: float, rM: float, cM: float, T0: float, dr: float = 2.5e-4, outer: float = 0.08,
) -> float:
    """Freezing time of a pure-metal sphere (no superheat) in a spherical mould shell.

    Explicit enthalpy finite volumes in r with exact shell resistances
    (1/r_a - 1/r_b) / (4 pi k) between cell centres and faces.
    """
    nm = int(round(radius / dr))
    n = int(round(outer / dr))
    faces = np.arange(n + 1) * dr
    rcen = 0.5 * (faces[1:] + faces[:-1])
    vol = 4.0 / 3.0 * math.pi * (faces[1:] ** 3 - faces[:-1] ** 3)
    is_metal = np.arange(n) < nm
    k = np.where(is_metal, k_metal, kM)

    def shell(ra: float, rb: float, kk: float) -> float:
        return (1.0 / ra - 1.0 / rb) / (4 * math.pi * kk)

    Gf = np.zeros(n)
    for i in range(n - 1):
        R = shell(rcen[i], faces[i + 1], k[i]) + shell(faces[i + 1], rcen[i + 1], k[i + 1])
        Gf[i] = 1.0 / R
    Gf[n - 1] = 1.0 / shell(rcen[n - 1], faces[n], k[n - 1])  # far face held at T0
    cap_s = np.where(is_metal, rho * c_metal, rM * cM)
    cap_l = cap_s.copy()
    Hs = rho * c_metal * Tm
    Hl = Hs + rho * L
    H = np.where(is_metal, Hl, rM * cM * T0)
    gsum = np.zeros(n)
    gsum[:-1] += Gf[:-1]
    gsum[1:] += Gf[:-1]
    gsum[-1] += Gf[-1]
    dt = 0.9 * float(np.min(cap_s * vol / gsum))
    t = _sphere_run(rcen, vol, Gf, cap_s, cap_l, Hs, Hl, Tm, is_metal, H.astype(np.float64), dt, 1e5, T0)
    return float(t)
