"""Closed-form steady isothermal gas flow in one pipe (for tests and documentation).

Steady, isothermal, 1-D momentum balance with the kinetic (inertia) term neglected and Darcy
friction factor lambda (derivation in ``docs/validation.md`` §1.1; Koch et al. (eds.),
*Evaluating Gas Network Capacities*, SIAM 2015, Ch. 2; Menon, *Gas Pipeline Hydraulics*,
CRC 2005, Ch. 2):

    dp/dx = -lambda rho v|v| / (2 D) - rho g sin(theta),   rho = p / (Z R_s T),   m = rho v A.

For constant Z, T, lambda and slope it integrates exactly to (docs/validation.md §1.1)

    horizontal:  p_in^2 - p_out^2 = K m|m|,                K = lambda Z R_s T L / (D A^2)   (1)
    inclined:    p_out^2 = e^{-s} p_in^2 - K m|m| (1 - e^{-s}) / s,  s = 2 g dh / (Z R_s T)  (2)

with A = pi D^2 / 4, dh = outlet height - inlet height [m]; (2) tends to (1) as s -> 0.
Units: p [Pa], m [kg/s], L, D, dh [m], R_s [J/(kg K)], T [K], K [Pa^2 s^2/kg^2 = 1/m^4].
The network solver has its own vectorised residuals; these functions are the reference.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt
from numpy.typing import NDArray

from gasunion.physics.constants import GRAVITY

FloatArray = NDArray[np.float64]

__all__ = [
    "elevation_factor",
    "mass_flow_from_pressures",
    "mean_pressure",
    "outlet_pressure",
    "pipe_resistance",
    "slope_correction",
]

#: Below this |s| the series of (1 - e^{-s})/s is used.
_S_SERIES = 1e-5


def _f(x: npt.ArrayLike) -> FloatArray:
    return np.asarray(x, dtype=np.float64)


def mean_pressure(p1: npt.ArrayLike, p2: npt.ArrayLike) -> FloatArray:
    """Mean pressure of a pipe ``p_m = 2/3 (p1 + p2 - p1 p2 / (p1 + p2))`` [Pa].

    The length average of p(x) for the horizontal profile ``p(x)^2 = p1^2 - (p1^2 - p2^2) x/L``
    (equivalently ``2/3 (p1^3 - p2^3)/(p1^2 - p2^2)``). Source: Menon (2005), *Gas Pipeline
    Hydraulics*, Ch. 2 ("average pipe pressure"); Koch et al. (2015), Ch. 2.
    """
    a = _f(p1)
    b = _f(p2)
    return np.asarray(2.0 / 3.0 * (a + b - a * b / (a + b)), dtype=np.float64)


def pipe_resistance(
    lam: npt.ArrayLike,
    length_m: npt.ArrayLike,
    d_m: npt.ArrayLike,
    z: npt.ArrayLike,
    r_s: npt.ArrayLike,
    t_k: npt.ArrayLike,
) -> FloatArray:
    """Pipe resistance ``K = lambda Z R_s T L / (D A^2) = 16 lambda Z R_s T L / (pi^2 D^5)``.

    Units: [Pa^2 s^2 / kg^2]; ``p_in^2 - p_out^2 = K m|m|`` for a horizontal pipe
    (docs/validation.md §1.1 eq. (1); GasModels' Weymouth resistance is ``w = 1/K``).
    """
    d = _f(d_m)
    area = math.pi * d**2 / 4.0
    return np.asarray(
        _f(lam) * _f(z) * _f(r_s) * _f(t_k) * _f(length_m) / (d * area**2), dtype=np.float64
    )


def elevation_factor(
    dh_m: npt.ArrayLike,
    z: npt.ArrayLike,
    r_s: npt.ArrayLike,
    t_k: npt.ArrayLike,
    g: float = GRAVITY,
) -> FloatArray:
    """Elevation factor ``s = 2 g dh / (Z R_s T)`` [-] (dh = h_out - h_in [m], g [m/s^2]).

    Source: integration of the hydrostatic term with ``rho = p/(Z R_s T)`` (docs/validation.md
    §1.1 eq. (2); Menon 2005, Ch. 2, elevation-adjusted flow equation).
    """
    return np.asarray(2.0 * g * _f(dh_m) / (_f(z) * _f(r_s) * _f(t_k)), dtype=np.float64)


def slope_correction(s: npt.ArrayLike) -> FloatArray:
    """``(1 - e^{-s}) / s`` [-], with the limit 1 at s = 0 (series ``1 - s/2 + s^2/6``)."""
    sv = _f(s)
    small = np.abs(sv) < _S_SERIES
    safe = np.where(small, 1.0, sv)
    return np.asarray(
        np.where(small, 1.0 - sv / 2.0 + sv**2 / 6.0, -np.expm1(-safe) / safe), dtype=np.float64
    )


def outlet_pressure(
    p_in_pa: npt.ArrayLike,
    mass_flow: npt.ArrayLike,
    lam: npt.ArrayLike,
    length_m: npt.ArrayLike,
    d_m: npt.ArrayLike,
    z: npt.ArrayLike,
    r_s: npt.ArrayLike,
    t_k: npt.ArrayLike,
    dh_m: npt.ArrayLike = 0.0,
    g: float = GRAVITY,
) -> FloatArray:
    """Outlet pressure [Pa] from inlet pressure [Pa] and mass flow [kg/s] (fixed lambda, Z).

    ``p_out = sqrt(e^{-s} p_in^2 - K m|m| (1 - e^{-s})/s)`` with K from :func:`pipe_resistance`
    and s from :func:`elevation_factor` (docs/validation.md §1.1 eq. (2); eq. (1) for dh = 0).
    Raises ValueError if the right-hand side is negative (flow not feasible for p_in).
    """
    k = pipe_resistance(lam, length_m, d_m, z, r_s, t_k)
    s = elevation_factor(dh_m, z, r_s, t_k, g)
    m = _f(mass_flow)
    p_in = _f(p_in_pa)
    rhs = np.exp(-s) * p_in**2 - k * m * np.abs(m) * slope_correction(s)
    if np.any(rhs < 0):
        raise ValueError(
            "outlet_pressure: p_out^2 < 0, the mass flow is too large for the inlet pressure"
        )
    return np.asarray(np.sqrt(rhs), dtype=np.float64)


def mass_flow_from_pressures(
    p_in: npt.ArrayLike,
    p_out: npt.ArrayLike,
    lam: npt.ArrayLike,
    length_m: npt.ArrayLike,
    d_m: npt.ArrayLike,
    z: npt.ArrayLike,
    r_s: npt.ArrayLike,
    t_k: npt.ArrayLike,
    dh_m: npt.ArrayLike = 0.0,
    g: float = GRAVITY,
) -> FloatArray:
    """Mass flow [kg/s] (positive from inlet to outlet) from both end pressures [Pa].

    Inverting eq. (2) of docs/validation.md §1.1:
    ``m|m| = (e^{-s} p_in^2 - p_out^2) / (K (1 - e^{-s})/s)``,
    ``m = sign(q) sqrt(|q|)``; for dh = 0 this is eq. (1), ``m = sign sqrt((p_in^2-p_out^2)/K)``
    (the Weymouth form ``f = sqrt(w (p_in^2 - p_out^2))`` of GasModels.jl with ``w = 1/K``).
    """
    k = pipe_resistance(lam, length_m, d_m, z, r_s, t_k)
    s = elevation_factor(dh_m, z, r_s, t_k, g)
    a = _f(p_in)
    b = _f(p_out)
    q = (np.exp(-s) * a**2 - b**2) / (k * slope_correction(s))
    return np.asarray(np.sign(q) * np.sqrt(np.abs(q)), dtype=np.float64)
