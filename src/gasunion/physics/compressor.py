"""Compressor head, power, discharge temperature and fuel (ideal-gas-with-Z relations).

Inlet state 1 (``p_in`` [Pa], ``T_in`` [K], compressibility ``Z`` [-]), specific gas constant
``R_s`` [J/(kg K)], isentropic exponent ``kappa`` [-], pressure ratio ``r = p_out / p_in``.

* Isentropic (adiabatic) head ``H_is = Z R_s T_in kappa/(kappa-1) (r^((kappa-1)/kappa) - 1)``
  [J/kg], shaft power ``P = m H / eta`` [W].
* Polytropic exponent from the polytropic efficiency eta_p:
  ``(n-1)/n = (kappa-1)/(kappa eta_p)``, head ``H_p = Z R_s T_in n/(n-1) (r^((n-1)/n) - 1)``,
  discharge temperature ``T_out = T_in r^((n-1)/n)``.

Sources: Menon, *Gas Pipeline Hydraulics*, CRC 2005, compressor-station chapter (isentropic
and polytropic head, power, discharge temperature); Saravanamuttoo, Rogers, Cohen, Straznicky,
*Gas Turbine Theory*, 6th ed., Pearson 2009, Ch. 2 (polytropic efficiency); the GasModels.jl
power proxy is from ``src/core/data.jl`` (``_calc_compressor_work``) of GasModels.jl
(Bent, Coffrin, Sundar et al.; lanl-ansi/GasModels.jl, commit 36cbbdfc). Worked example with
every number: ``docs/validation.md`` §1.5.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]

__all__ = [
    "GASMODELS_WORK_CONSTANT",
    "fuel_from_power",
    "gasmodels_power_proxy",
    "isentropic_head",
    "outlet_temperature_actual",
    "outlet_temperature_isentropic",
    "outlet_temperature_polytropic",
    "polytropic_exponent",
    "polytropic_head",
    "shaft_power_w",
]

#: GasModels.jl constant 286.76 [J/(kg K)] (= R/M_air in its unit system) in ``W = 286.76/G ...``.
GASMODELS_WORK_CONSTANT = 286.76


def _f(x: npt.ArrayLike) -> FloatArray:
    return np.asarray(x, dtype=np.float64)


def isentropic_head(
    p_in: npt.ArrayLike,
    p_out: npt.ArrayLike,
    t_in_k: npt.ArrayLike,
    z: npt.ArrayLike,
    r_s: npt.ArrayLike,
    kappa: npt.ArrayLike,
) -> FloatArray:
    """Isentropic head ``H_is = Z R_s T_in kappa/(kappa-1) ((p_out/p_in)^((kappa-1)/kappa) - 1)``.

    Units: p [Pa], T [K], R_s [J/(kg K)] -> H_is [J/kg]. Source: Menon (2005), compressor
    chapter (adiabatic head); worked example in docs/validation.md §1.5.
    """
    k = _f(kappa)
    e = (k - 1.0) / k
    return np.asarray(
        _f(z) * _f(r_s) * _f(t_in_k) / e * ((_f(p_out) / _f(p_in)) ** e - 1.0), dtype=np.float64
    )


def polytropic_exponent(kappa: npt.ArrayLike, eta_p: npt.ArrayLike) -> FloatArray:
    """Polytropic exponent n [-] from ``(n-1)/n = (kappa-1)/(kappa eta_p)``.

    ``n = 1 / (1 - (kappa-1)/(kappa eta_p))``; requires ``(kappa-1)/(kappa eta_p) < 1``.
    Source: Saravanamuttoo et al., *Gas Turbine Theory*, Ch. 2 (polytropic efficiency of
    compression).
    """
    k = _f(kappa)
    e = (k - 1.0) / (k * _f(eta_p))
    if np.any(~(e < 1.0)) or np.any(~(e > 0.0)):
        raise ValueError("polytropic_exponent needs 0 < (kappa-1)/(kappa eta_p) < 1")
    return np.asarray(1.0 / (1.0 - e), dtype=np.float64)


def polytropic_head(
    p_in: npt.ArrayLike,
    p_out: npt.ArrayLike,
    t_in_k: npt.ArrayLike,
    z: npt.ArrayLike,
    r_s: npt.ArrayLike,
    kappa: npt.ArrayLike,
    eta_p: npt.ArrayLike,
) -> FloatArray:
    """Polytropic head ``H_p = Z R_s T_in n/(n-1) ((p_out/p_in)^((n-1)/n) - 1)`` [J/kg].

    n from :func:`polytropic_exponent`. Source: Menon (2005), compressor chapter (polytropic
    head); Saravanamuttoo et al., Ch. 2.
    """
    n = polytropic_exponent(kappa, eta_p)
    e = (n - 1.0) / n
    return np.asarray(
        _f(z) * _f(r_s) * _f(t_in_k) / e * ((_f(p_out) / _f(p_in)) ** e - 1.0), dtype=np.float64
    )


def shaft_power_w(
    mass_flow: npt.ArrayLike, head: npt.ArrayLike, eta: npt.ArrayLike
) -> FloatArray:
    """Shaft power ``P = m H / eta`` [W] (m [kg/s], H [J/kg], eta [-]). Source: Menon (2005)."""
    return np.asarray(_f(mass_flow) * _f(head) / _f(eta), dtype=np.float64)


def outlet_temperature_isentropic(
    p_in: npt.ArrayLike, p_out: npt.ArrayLike, t_in_k: npt.ArrayLike, kappa: npt.ArrayLike
) -> FloatArray:
    """Isentropic discharge temperature ``T_2s = T_1 (p_out/p_in)^((kappa-1)/kappa)`` [K].

    Source: isentropic ideal-gas relation (Saravanamuttoo et al., Ch. 2; Menon 2005).
    """
    k = _f(kappa)
    return np.asarray(_f(t_in_k) * (_f(p_out) / _f(p_in)) ** ((k - 1.0) / k), dtype=np.float64)


def outlet_temperature_actual(
    t1: npt.ArrayLike, t2_is: npt.ArrayLike, eta: npt.ArrayLike
) -> FloatArray:
    """Actual discharge temperature ``T_2 = T_1 + (T_2s - T_1) / eta_is`` [K].

    Source: definition of isentropic efficiency ``eta_is = (T_2s - T_1)/(T_2 - T_1)``
    (Saravanamuttoo et al., Ch. 2; Menon 2005).
    """
    a = _f(t1)
    return np.asarray(a + (_f(t2_is) - a) / _f(eta), dtype=np.float64)


def outlet_temperature_polytropic(
    p_in: npt.ArrayLike,
    p_out: npt.ArrayLike,
    t_in_k: npt.ArrayLike,
    kappa: npt.ArrayLike,
    eta_p: npt.ArrayLike,
) -> FloatArray:
    """Polytropic discharge temperature ``T_2 = T_1 (p_out/p_in)^((n-1)/n)`` [K].

    n from :func:`polytropic_exponent`. Source: Saravanamuttoo et al., Ch. 2.
    """
    n = polytropic_exponent(kappa, eta_p)
    return np.asarray(_f(t_in_k) * (_f(p_out) / _f(p_in)) ** ((n - 1.0) / n), dtype=np.float64)


def fuel_from_power(
    power_w: npt.ArrayLike, drive_efficiency: npt.ArrayLike, lhv_j_kg: npt.ArrayLike
) -> FloatArray:
    """Fuel mass flow of the driver ``m_fuel = P / (eta_drive LHV)`` [kg/s].

    P [W], eta_drive [-] (gas-turbine/engine thermal efficiency), LHV [J/kg]. Source: energy
    balance of the driver, e.g. Menon (2005), compressor chapter (fuel consumption);
    Saravanamuttoo et al. (thermal efficiency).
    """
    return np.asarray(_f(power_w) / (_f(drive_efficiency) * _f(lhv_j_kg)), dtype=np.float64)


def gasmodels_power_proxy(
    mass_flow: npt.ArrayLike,
    ratio: npt.ArrayLike,
    t_k: npt.ArrayLike,
    specific_gravity: npt.ArrayLike,
    gamma: npt.ArrayLike,
) -> FloatArray:
    """GasModels.jl compressor power proxy ``P = m W ((r^2)^m_e - 1)`` [W].

    ``W = 286.76 / G * T * gamma/(gamma-1)`` [J/kg], ``m_e = (gamma-1)/(2 gamma)``,
    r = pressure ratio [-], G = specific gravity [-], T [K], m [kg/s] (no efficiency, Z = 1).
    Source: GasModels.jl ``src/core/data.jl`` (``_calc_compressor_work``); worked example in
    docs/validation.md §1.5.
    """
    g = _f(gamma)
    w = GASMODELS_WORK_CONSTANT / _f(specific_gravity) * _f(t_k) * g / (g - 1.0)
    me = (g - 1.0) / (2.0 * g)
    return np.asarray(_f(mass_flow) * w * ((_f(ratio) ** 2) ** me - 1.0), dtype=np.float64)
