"""Darcy friction factors for pipe flow and the friction term of the momentum balance.

Symbols (SI): mass flow ``m`` [kg/s], inner diameter ``D`` [m], equivalent sand roughness
``k`` [m], dynamic viscosity ``mu`` [Pa s], Reynolds number ``Re`` [-], Darcy friction factor
``lambda`` [-].

Reynolds number of pipe flow with mass flow m: ``Re = rho v D / mu = 4 |m| / (pi D mu)``.

Friction laws (``model`` names):

* ``nikuradse`` (fully rough): ``lambda = (2 log10(3.7 D / k))^-2``
  (Nikuradse 1933, "Stroemungsgesetze in rauhen Rohren", VDI-Forschungsheft 361).
* ``colebrook`` (Prandtl-Colebrook-White): ``1/sqrt(lambda) = -2 log10(k/(3.7 D) + 2.51/(Re
  sqrt(lambda)))`` (Colebrook 1939, J. Inst. Civil Eng. 11, 133-156).
* ``hofer`` (explicit Colebrook approximation):
  ``lambda = (2 log10(4.518/Re log10(Re/7) + k/(3.71 D)))^-2``
  (Hofer 1973, GWF Gas/Erdgas 114(3), 113-119; as used in Koch et al. (eds.), *Evaluating Gas
  Network Capacities*, SIAM 2015, Ch. 2).
* ``weymouth``: ``lambda = 0.009407 / D^(1/3)`` (D in m; the classic ``0.032/d^(1/3)`` with d in
  inches; Weymouth 1912, Trans. ASME 34, 185-234; Menon, *Gas Pipeline Hydraulics*, CRC 2005,
  Ch. 2).

STANET / pandapipes variants (to reproduce that simulator's results exactly; pandapipes 0.16
``pf/derivative_toolbox.py`` and ``pf/derivative_calculation.py``):

* ``stanet_nikuradse``: ``lambda = 64/Re + (2 log10(D/k) + 1.14)^-2`` (Nikuradse's rough-pipe
  law in its original form, plus the laminar term *added*, at every Re);
* ``stanet_colebrook``: Colebrook-White with ``k/(3.71 D)`` at every Re >= 10 (no laminar
  switch; below Re = 10, i.e. flows of micrograms per second, 64/Re is used as a numerical
  guard for the iteration).

Laminar flow (Hagen-Poiseuille): ``lambda = 64 / Re``. :func:`friction_factor` uses
``lambda = max(64/Re, lambda_turb)`` for the Re-independent laws (nikuradse, weymouth), which
keeps the friction term continuous and linear in m around m = 0, and the switch
for colebrook/hofer ``lambda = 64/Re`` below ``Re = 2000``, the turbulent law from ``Re = 4000``,
and in the transitional zone between them lambda interpolated linearly in Re between the two
laws (as EPANET does with a cubic, Rossman 2000, *EPANET 2 Users Manual*, Dunlop 1991). The
friction term is then continuous in m everywhere, which a Newton solver needs: with a jump (a
plain switch at Re = 2320) a steady state may not exist for a pipe whose flow falls in the jump.

At ``Re = 0`` the friction factor itself is infinite; the products that enter the physics stay
finite: ``lambda Re -> 64`` (:func:`lambda_times_re`) and
``phi = lambda(Re(m)) m |m| -> 16 pi D mu m`` (:func:`friction_term`). Network solvers should use
those helpers, never ``lambda`` alone, near zero flow.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]

__all__ = [
    "FRICTION_MODELS",
    "RE_CRITICAL",
    "RE_TURBULENT",
    "friction_factor",
    "friction_term",
    "lambda_colebrook",
    "lambda_hofer",
    "lambda_nikuradse",
    "lambda_nikuradse_stanet",
    "lambda_times_re",
    "lambda_weymouth",
    "reynolds",
]

#: Valid friction model names.
FRICTION_MODELS: tuple[str, ...] = (
    "nikuradse", "colebrook", "hofer", "weymouth", "stanet_nikuradse", "stanet_colebrook",
)
#: Below this Reynolds number stanet_colebrook falls back to 64/Re (numerical guard).
RE_MIN_STANET_COLEBROOK = 10.0
#: End of the laminar law (64/Re) for colebrook and hofer [-].
RE_CRITICAL = 2000.0
#: Start of the fully turbulent law for colebrook and hofer [-] (transition 2000..4000).
RE_TURBULENT = 4000.0
#: Weymouth coefficient in SI (0.032 in^(1/3) * 0.0254^(1/3) m^(1/3)/in^(1/3)) [m^(1/3)].
WEYMOUTH_COEFF_SI = 0.009407

_LN10 = math.log(10.0)


def _f(x: npt.ArrayLike) -> FloatArray:
    return np.asarray(x, dtype=np.float64)


def _check_model(model: str) -> str:
    m = model.strip().lower()
    if m not in FRICTION_MODELS:
        raise ValueError(
            f"unknown friction model {model!r}; valid models: {', '.join(FRICTION_MODELS)}"
        )
    return m


def _positive(name: str, x: FloatArray) -> None:
    if np.any(~(x > 0)):
        raise ValueError(f"{name} must be positive, got {x[~(x > 0)].flat[0]!r}")


# ---------------------------------------------------------------------------------------------
def reynolds(
    mass_flow_kg_s: npt.ArrayLike, diameter_m: npt.ArrayLike, viscosity_pa_s: npt.ArrayLike
) -> FloatArray:
    """Reynolds number ``Re = 4 |m| / (pi D mu)`` [-] (m [kg/s], D [m], mu [Pa s]).

    Source: definition ``Re = rho v D / mu`` with ``m = rho v pi D^2 / 4`` (e.g. Menon 2005,
    *Gas Pipeline Hydraulics*, Ch. 2).
    """
    return np.asarray(
        4.0 * np.abs(_f(mass_flow_kg_s)) / (math.pi * _f(diameter_m) * _f(viscosity_pa_s)),
        dtype=np.float64,
    )


def lambda_nikuradse(d_m: npt.ArrayLike, k_m: npt.ArrayLike) -> FloatArray:
    """Nikuradse fully-rough friction factor ``lambda = (2 log10(3.7 D/k))^-2`` [-].

    D, k in m (k > 0). Source: Nikuradse (1933), VDI-Forschungsheft 361; Koch et al. (2015) Ch. 2.
    """
    d = _f(d_m)
    k = _f(k_m)
    _positive("roughness k_m", k)
    return np.asarray((2.0 * np.log10(3.7 * d / k)) ** -2, dtype=np.float64)


def lambda_weymouth(d_m: npt.ArrayLike) -> FloatArray:
    """Weymouth friction factor ``lambda = 0.009407 / D^(1/3)`` [-] (D in m).

    Source: Weymouth (1912), Trans. ASME 34, 185-234 (``0.032 / d^(1/3)``, d in inches);
    Menon (2005), *Gas Pipeline Hydraulics*, Ch. 2.
    """
    return np.asarray(WEYMOUTH_COEFF_SI / np.cbrt(_f(d_m)), dtype=np.float64)


def _hofer_with_derivative(
    re: FloatArray, d: FloatArray, k: FloatArray
) -> tuple[FloatArray, FloatArray]:
    # u = 4.518/Re log10(Re/7) + k/(3.71 D); lambda = (2 log10 u)^-2
    lg = np.log10(re / 7.0)
    u = 4.518 / re * lg + k / (3.71 * d)
    du = 4.518 / re**2 * (1.0 / _LN10 - lg)
    y = 2.0 * np.log10(u)
    lam = y**-2
    dlam = -2.0 * y**-3 * 2.0 / (_LN10 * u) * du
    return lam, dlam


def lambda_hofer(re: npt.ArrayLike, d_m: npt.ArrayLike, k_m: npt.ArrayLike) -> FloatArray:
    """Hofer explicit friction factor [-] (turbulent range, Re > 7).

    ``lambda = (2 log10(4.518/Re log10(Re/7) + k/(3.71 D)))^-2`` (D, k in m).
    Source: Hofer (1973), GWF Gas/Erdgas 114(3), 113-119; Koch et al. (2015) Ch. 2.
    """
    r, d, k = np.broadcast_arrays(_f(re), _f(d_m), _f(k_m))
    if np.any(~(r > 7.0)):
        raise ValueError("lambda_hofer needs Re > 7")
    return _hofer_with_derivative(r, d, k)[0]


def _colebrook_x(re: FloatArray, a: FloatArray, *, max_iter: int = 50) -> FloatArray:
    """Solve ``F(x) = x + 2 log10(a + 2.51 x / Re) = 0`` for ``x = 1/sqrt(lambda)`` (Newton)."""
    # Start: Swamee & Jain (1976), J. Hydraul. Div. ASCE 102(5), 657-664.
    x = -2.0 * np.log10(a + 5.74 / re**0.9)
    b = 2.51 / re
    for _ in range(max_iter):
        arg = a + b * x
        f = x + 2.0 * np.log(arg) / _LN10
        fx = 1.0 + 2.0 * b / (_LN10 * arg)
        dx = f / fx
        x = x - dx
        if np.all(np.abs(dx) <= 1e-14 * np.abs(x)):
            break
    return np.asarray(x, dtype=np.float64)


def lambda_colebrook(re: npt.ArrayLike, d_m: npt.ArrayLike, k_m: npt.ArrayLike) -> FloatArray:
    """Colebrook-White friction factor [-] (Re > 0, any flow regime formally).

    Solves ``1/sqrt(lambda) = -2 log10(k/(3.7 D) + 2.51/(Re sqrt(lambda)))`` by Newton's method
    on ``x = 1/sqrt(lambda)``, vectorised over all elements, started from the Swamee-Jain (1976)
    approximation and iterated until ``|dx| <= 1e-14 |x|`` (bounded iteration count).
    Source: Colebrook (1939), J. Inst. Civil Eng. 11, 133-156.
    """
    r, d, k = np.broadcast_arrays(_f(re), _f(d_m), _f(k_m))
    _positive("Reynolds number", r)
    x = _colebrook_x(r, k / (3.7 * d))
    return np.asarray(x**-2, dtype=np.float64)


def lambda_nikuradse_stanet(d_m: npt.ArrayLike, k_m: npt.ArrayLike) -> FloatArray:
    """Rough-pipe part of STANET's/pandapipes' Nikuradse law ``(2 log10(D/k) + 1.14)^-2`` [-].

    Source: Nikuradse (1933) in the form of Schlichting & Gersten, *Boundary-Layer Theory*;
    pandapipes 0.16 ``calc_lambda_nikuradse_comp_np``.
    """
    d = _f(d_m)
    k = _f(k_m)
    _positive("roughness k_m", k)
    return np.asarray((2.0 * np.log10(d / k) + 1.14) ** -2, dtype=np.float64)


def _colebrook_with_derivative(
    re: FloatArray, d: FloatArray, k: FloatArray, k_factor: float = 3.7
) -> tuple[FloatArray, FloatArray]:
    a = k / (k_factor * d)
    x = _colebrook_x(re, a)
    # implicit differentiation of F(x, Re) = x + (2/ln10) ln(a + 2.51 x/Re) = 0
    arg = a + 2.51 * x / re
    f_x = 1.0 + 2.0 / _LN10 * (2.51 / re) / arg
    f_re = 2.0 / _LN10 * (-2.51 * x / re**2) / arg
    dx = -f_re / f_x
    lam = x**-2
    dlam = -2.0 * x**-3 * dx
    return lam, dlam


def _turbulent(
    model: str, re: FloatArray, d: FloatArray, k: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """Turbulent lambda and dlambda/dRe of ``model`` (all arrays same shape, Re > 0)."""
    if model == "nikuradse":
        return lambda_nikuradse(d, k), np.zeros_like(re)
    if model == "weymouth":
        return lambda_weymouth(d), np.zeros_like(re)
    if model == "hofer":
        return _hofer_with_derivative(re, d, k)
    if model == "stanet_nikuradse":
        return lambda_nikuradse_stanet(d, k) + 64.0 / re, -64.0 / re**2
    if model == "stanet_colebrook":
        return _colebrook_with_derivative(re, d, k, k_factor=3.71)
    return _colebrook_with_derivative(re, d, k)


def _above_laminar(
    model: str, re: FloatArray, d: FloatArray, k: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """lambda, dlambda/dRe for Re above the laminar range: for colebrook/hofer the linear
    transition 2000 <= Re < 4000 between 64/Re and the turbulent law, else the turbulent law."""
    if model not in ("colebrook", "hofer"):
        return _turbulent(model, re, d, k)
    lam, dlam = np.empty_like(re), np.empty_like(re)
    turb = re >= RE_TURBULENT
    if np.any(turb):
        lam[turb], dlam[turb] = _turbulent(model, re[turb], d[turb], k[turb])
    tr = ~turb
    if np.any(tr):
        l4, _ = _turbulent(model, np.full(int(tr.sum()), RE_TURBULENT), d[tr], k[tr])
        l2 = 64.0 / RE_CRITICAL
        slope = (l4 - l2) / (RE_TURBULENT - RE_CRITICAL)
        lam[tr] = l2 + slope * (re[tr] - RE_CRITICAL)
        dlam[tr] = slope
    return lam, dlam


def friction_factor(
    model: str, re: npt.ArrayLike, d_m: npt.ArrayLike, k_m: npt.ArrayLike
) -> tuple[FloatArray, FloatArray]:
    """Friction factor ``lambda`` [-] and ``dlambda/dRe`` [-] of ``model`` at Reynolds ``re``.

    * nikuradse / weymouth: ``lambda = max(64/Re, lambda_turb)`` (Hagen-Poiseuille below the
      intersection), ``dlambda/dRe = -64/Re^2`` on the laminar branch, else 0.
    * colebrook / hofer: ``lambda = 64/Re`` for ``Re < 2000``, the turbulent law for
      ``Re >= 4000`` (see module docstring), linear in Re in between; ``dlambda/dRe`` analytic
      (implicit differentiation for Colebrook).

    ``Re = 0`` gives ``lambda = inf`` (no warning); use :func:`lambda_times_re` or
    :func:`friction_term` for quantities that are finite there. Unknown model: ValueError.
    """
    m = _check_model(model)
    r, d, k = np.broadcast_arrays(_f(re), _f(d_m), _f(k_m))
    if np.any(~(r >= 0)):
        raise ValueError("Reynolds number must be >= 0")
    lam = np.empty(r.shape, dtype=np.float64)
    dlam = np.empty(r.shape, dtype=np.float64)
    pos = r > 0
    lam[~pos] = np.inf
    dlam[~pos] = -np.inf
    rp, dp, kp = r[pos], d[pos], k[pos]
    with np.errstate(over="ignore", divide="ignore"):  # Re ~ 1e-160: -inf slope, as at 0
        lam_lam = 64.0 / rp
        dlam_lam = -64.0 / rp**2
    if m in ("nikuradse", "weymouth"):
        lt, dlt = _turbulent(m, rp, dp, kp)
        lamin = lam_lam > lt
    elif m == "stanet_nikuradse":
        lt, dlt = _turbulent(m, rp, dp, kp)
        lamin = np.zeros(rp.shape, dtype=bool)
    else:
        lamin = rp < (RE_MIN_STANET_COLEBROOK if m == "stanet_colebrook" else RE_CRITICAL)
        lt = np.empty_like(rp)
        dlt = np.empty_like(rp)
        if np.any(~lamin):
            lt[~lamin], dlt[~lamin] = _above_laminar(m, rp[~lamin], dp[~lamin], kp[~lamin])
    lam[pos] = np.where(lamin, lam_lam, lt)
    dlam[pos] = np.where(lamin, dlam_lam, dlt)
    return lam, dlam


def lambda_times_re(
    model: str, re: npt.ArrayLike, d_m: npt.ArrayLike, k_m: npt.ArrayLike
) -> FloatArray:
    """``lambda(Re) * Re`` [-], finite for all ``Re >= 0`` (equals 64 on the laminar branch).

    Same laws as :func:`friction_factor`.
    """
    m = _check_model(model)
    r, d, k = np.broadcast_arrays(_f(re), _f(d_m), _f(k_m))
    out = np.full(r.shape, 64.0)
    pos = r > 0
    lam, _ = friction_factor(m, r[pos], d[pos], k[pos])
    out[pos] = lam * r[pos]
    return out


def friction_term(
    model: str,
    mass_flow_kg_s: npt.ArrayLike,
    d_m: npt.ArrayLike,
    k_m: npt.ArrayLike,
    mu: npt.ArrayLike,
) -> tuple[FloatArray, FloatArray]:
    """Friction term ``phi = lambda(Re(m)) m |m|`` [kg^2/s^2] and ``dphi/dm`` [kg/s].

    With ``Re = c |m|``, ``c = 4 / (pi D mu)`` [s/kg]:

    * laminar branch (``lambda = 64/Re``): ``phi = 64 m / c = 16 pi D mu m``,
      ``dphi/dm = 16 pi D mu`` (finite and continuous through m = 0);
    * turbulent branch: ``dphi/dm = 2 lambda |m| + c m^2 dlambda/dRe`` (chain rule with
      ``dRe/dm = c sign(m)``; dlambda/dRe from :func:`friction_factor`, implicit
      differentiation for Colebrook).

    phi is odd in m. For nikuradse/weymouth phi is continuous everywhere (kink at the
    laminar/turbulent intersection); for colebrook/hofer too (linear transition 2000..4000).
    Used in the pipe law ``p_in^2 - p_out^2 = (Z R_s T L / (D A^2)) phi`` (see
    :mod:`gasunion.physics.pipe`).
    """
    mdl = _check_model(model)
    mf, d, k, visc = np.broadcast_arrays(_f(mass_flow_kg_s), _f(d_m), _f(k_m), _f(mu))
    c = np.asarray(4.0 / (math.pi * d * visc), dtype=np.float64)
    re = np.asarray(c * np.abs(mf), dtype=np.float64)
    lam_coef = 16.0 * math.pi * d * visc  # = 64 / c
    phi = np.array(lam_coef * mf, dtype=np.float64)  # laminar branch (0-d safe copies)
    dphi = np.array(lam_coef, dtype=np.float64)
    if mdl in ("nikuradse", "weymouth"):
        lt, _ = _turbulent(mdl, re, d, k)  # Re-independent laws
        use = lt * re > 64.0  # lambda_turb > 64/Re: turbulent branch of the max
        phi[use] = lt[use] * mf[use] * np.abs(mf[use])
        dphi[use] = 2.0 * lt[use] * np.abs(mf[use])
    elif mdl == "stanet_nikuradse":
        # lambda = 64/Re + lambda_r  ->  phi = 16 pi D mu m + lambda_r m|m|  (smooth in m)
        lr = lambda_nikuradse_stanet(d, k)
        phi = phi + lr * mf * np.abs(mf)
        dphi = dphi + 2.0 * lr * np.abs(mf)
    else:
        turb = re >= (RE_MIN_STANET_COLEBROOK if mdl == "stanet_colebrook" else RE_CRITICAL)
        if np.any(turb):
            lt, dlt = _above_laminar(mdl, re[turb], d[turb], k[turb])
            mt = mf[turb]
            phi[turb] = lt * mt * np.abs(mt)
            dphi[turb] = 2.0 * lt * np.abs(mt) + c[turb] * mt**2 * dlt
    return phi, dphi
