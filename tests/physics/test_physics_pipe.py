"""Tests of gasunion.physics.pipe (closed forms for one pipe).

Reference numbers: hand calculations with eqs. (1) and (2) of docs/validation.md §1.1
(exact integrals of the isothermal steady momentum balance; Koch et al. (eds.), *Evaluating
Gas Network Capacities*, SIAM 2015, Ch. 2; Menon, *Gas Pipeline Hydraulics*, CRC 2005, Ch. 2),
written out with every intermediate number in docs/validation.md §1.2 (Example A), §1.3
(Examples B, C) and §1.4 (Example D). Examples A-C are made up for this project; Example D is
pandapipes' analytic case (e2nIEE/pandapipes commit 5b52494e3f3d1ca29d6cdb89eb8653f449f41d43,
src/pandapipes/test/data/gas_sections_an.csv).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from scipy.integrate import quad, solve_ivp
from scipy.optimize import brentq

from gasunion.physics.friction import (
    friction_term,
    lambda_nikuradse,
    lambda_weymouth,
    reynolds,
)
from gasunion.physics.gas import GasProperties
from gasunion.physics.pipe import (
    elevation_factor,
    mass_flow_from_pressures,
    mean_pressure,
    outlet_pressure,
    pipe_resistance,
    slope_correction,
)

REL = 1e-4
# Example A data (docs/validation.md §1.2)
L, D, K_ROUGH = 100e3, 0.5, 0.05e-3
P1, P2 = 70e5, 50e5
T, Z, MU = 288.15, 0.9, 1.1e-5
GAS = GasProperties(molar_mass_kg_kmol=0.6 * 28.9626, temperature_k=T)
RS = GAS.r_specific
AREA = math.pi * D**2 / 4


def test_intermediate_values_example_a() -> None:
    """By hand (docs/validation.md §1.2): M = 0.6 * 28.9626 = 17.37756 g/mol,
    R_s = 8.314462618 / 0.01737756 = 478.4597 J/(kg K), A = pi 0.5^2 / 4 = 0.196350 m^2,
    c^2 = 0.9 * 478.4597 * 288.15 = 124 081.35 m^2/s^2,
    rho_n = 101325 * 0.01737756 / (8.314462618 * 273.15) = 0.77530 kg/Nm^3."""
    r_s = GAS.r_specific
    area = math.pi * D**2 / 4
    assert r_s == pytest.approx(478.4597, rel=REL)
    assert area == pytest.approx(0.196350, rel=REL)
    assert Z * r_s * T == pytest.approx(124081.35, rel=REL)
    assert GAS.rho_n == pytest.approx(0.77530, rel=REL)


def test_example_a_nikuradse() -> None:
    """Example A, Nikuradse, by hand (docs/validation.md §1.2): lambda = (2 log10(37 000))^-2
    = 0.0119798, K = lambda c^2 L / (D A^2) = 0.0119798 * 6.436900e11 = 7.711275e9,
    m = sqrt(2.4e13 / 7.711275e9) = 55.7882 kg/s, Q_n = 3.6 * 55.7882 / 0.775300
    = 259.045 1000 Nm^3/h, v_in = m / (rho_in A) = 55.7882 / (56.4146 * 0.1963495) = 5.036 m/s
    (printed to 3 decimals: tolerance also half a unit of the last digit);
    GasModels-style w = 1/K = 1.296802e-10 kg^2 s^-2 Pa^-2."""
    lam = lambda_nikuradse(D, K_ROUGH)
    m = float(mass_flow_from_pressures(P1, P2, lam, L, D, Z, RS, T))
    assert m == pytest.approx(55.7882, rel=REL)
    assert GAS.knm3_h_from_kg_s(m) == pytest.approx(259.045, rel=REL)
    v_in = m / (P1 / (Z * RS * T) * AREA)
    assert v_in == pytest.approx(5.036, rel=REL, abs=5e-4)
    w = 1.0 / float(pipe_resistance(lam, L, D, Z, RS, T))
    assert w == pytest.approx(1.296802e-10, rel=REL)


def test_example_a_weymouth() -> None:
    """Example A, Weymouth lambda, by hand (docs/validation.md §1.2): lambda = 0.009407 /
    0.5^(1/3) = 0.0118521, K = 7.629063e9, m = sqrt(2.4e13 / K) = 56.0880 kg/s,
    Q_n = 3.6 * 56.0880 / 0.775300 = 260.437, v_in = 56.0880 / (56.4146 * 0.1963495)
    = 5.063 m/s."""
    m = float(mass_flow_from_pressures(P1, P2, lambda_weymouth(D), L, D, Z, RS, T))
    assert m == pytest.approx(56.0880, rel=REL)
    assert GAS.knm3_h_from_kg_s(m) == pytest.approx(260.437, rel=REL)
    assert m / (P1 / (Z * RS * T) * AREA) == pytest.approx(5.063, rel=REL, abs=5e-4)


def test_example_a_colebrook_coupled() -> None:
    """Example A, Colebrook-White coupled with Re(m): lambda = 0.012126, m = 55.4507 kg/s,
    Re = 1.2837e7, Q_n = 257.478, v_in = 5.006 m/s (fixed-point iteration written out by hand
    in docs/validation.md §1.2: Re 1.291487e7 -> lambda 0.0121252 -> m 55.4527; Re 1.283720e7
    -> 0.0121261 -> 55.4508; Re 1.283674e7 -> 0.0121261 -> 55.4507). Solved here as
    p1^2 - p2^2 = (Z R_s T L/(D A^2)) * phi(m), phi = lambda(Re(m)) m|m| (friction_term)."""
    k1 = float(pipe_resistance(1.0, L, D, Z, RS, T))

    def res(m: float) -> float:
        return P1**2 - P2**2 - k1 * float(friction_term("colebrook", m, D, K_ROUGH, MU)[0])

    m = brentq(res, 10.0, 100.0, xtol=1e-12)
    assert m == pytest.approx(55.4507, rel=REL)
    re = float(reynolds(m, D, MU))
    assert re == pytest.approx(1.2837e7, rel=REL)
    assert float(friction_term("colebrook", m, D, K_ROUGH, MU)[0]) / m**2 == pytest.approx(
        0.012126, rel=REL
    )
    assert GAS.knm3_h_from_kg_s(m) == pytest.approx(257.478, rel=REL)
    assert m / (P1 / (Z * RS * T) * AREA) == pytest.approx(5.006, rel=REL, abs=5e-4)


def test_example_b_outlet_pressure() -> None:
    """Example B, by hand (docs/validation.md §1.3): m = 50 kg/s, p_in = 70 bar, Nikuradse
    K = 7.711275e9 -> p_out^2 = 4.9e13 - 7.711275e9 * 2500 = 2.972181e13 Pa^2,
    p_out = 54.51771 bar."""
    p = float(outlet_pressure(P1, 50.0, lambda_nikuradse(D, K_ROUGH), L, D, Z, RS, T))
    assert p / 1e5 == pytest.approx(54.51771, rel=REL)


def test_example_c_inclined() -> None:
    """Example C, by hand (docs/validation.md §1.3, eq. 2, g = 9.81 m/s^2): m of Example A
    Nikuradse (K m^2 = 2.4e13 Pa^2), dh = +500 m -> s = 2 * 9.81 * 500 / 124 081.35 = 0.079061,
    p_out^2 = e^-s 4.9e13 - 2.4e13 (1 - e^-s)/s = 4.527519e13 - 2.307578e13,
    p_out = 47.11625 bar (vs 50 bar horizontal)."""
    lam = lambda_nikuradse(D, K_ROUGH)
    m = mass_flow_from_pressures(P1, P2, lam, L, D, Z, RS, T)
    s = float(elevation_factor(500.0, Z, RS, T, g=9.81))
    assert s == pytest.approx(0.079061, rel=REL)
    p = float(outlet_pressure(P1, m, lam, L, D, Z, RS, T, dh_m=500.0, g=9.81))
    assert p / 1e5 == pytest.approx(47.11625, rel=REL)
    assert float(outlet_pressure(P1, m, lam, L, D, Z, RS, T)) == pytest.approx(P2, rel=1e-12)
    m_back = mass_flow_from_pressures(P1, p, lam, L, D, Z, RS, T, dh_m=500.0, g=9.81)
    assert float(m_back) == pytest.approx(float(m), rel=1e-10)


def test_example_d_pandapipes_profile() -> None:
    """Example D: pandapipes' analytic profile (e2nIEE/pandapipes commit
    5b52494e3f3d1ca29d6cdb89eb8653f449f41d43, src/pandapipes/test/data/gas_sections_an.csv,
    column p1): D 0.2091 m, lambda 0.02455,
    p_in 51 bar, T 285.15 K, rho_n 0.8275, Q_n 12.5 Nm^3/s (m = rho_n Q_n = 10.34375 kg/s),
    Z R_s = p_n/(rho_n T_n) -> p(1 km) 49.647064, p(6 km) 42.237255, p(12 km) 31.096165 bar.
    Hand check (docs/validation.md §1.4): c^2 = 127 826.47 m^2/s^2, lambda c^2 m^2/(D A^2) =
    1.361690e9 Pa^2/m, p(x)^2 = 2.601e13 - 1.361690e9 x."""
    rs = 101325.0 / (0.8275 * 273.15)
    m = 0.8275 * 12.5
    x = np.array([1e3, 6e3, 12e3])
    p = outlet_pressure(51e5, m, 0.02455, x, 0.2091, 1.0, rs, 285.15)
    assert p / 1e5 == pytest.approx([49.647064, 42.237255, 31.096165], rel=REL)


def test_inclined_closed_form_vs_ode() -> None:
    """Eq. (2) vs numerical integration of dp/dx = -lambda c^2 m|m|/(2 D A^2 p) - g sin(theta) p/c^2
    (momentum balance of docs/validation.md §1.1, rho = p/c^2), for uphill and downhill flow."""
    lam = float(lambda_nikuradse(D, K_ROUGH))
    c2 = Z * RS * T
    for dh, m in ((500.0, 55.0), (-800.0, 40.0), (300.0, -20.0)):
        sin_t = dh / L

        def rhs(_x: float, p: np.ndarray, m: float = m, sin_t: float = sin_t) -> np.ndarray:
            return -lam * c2 * m * abs(m) / (2 * D * AREA**2 * p) - 9.80665 * sin_t * p / c2

        sol = solve_ivp(rhs, (0.0, L), [P1], rtol=1e-11, atol=1e-3)
        p_ode = float(sol.y[0, -1])
        p_cf = float(outlet_pressure(P1, m, lam, L, D, Z, RS, T, dh_m=dh))
        assert p_cf == pytest.approx(p_ode, rel=1e-8)


def test_slope_correction_limit_and_continuity() -> None:
    """(1 - e^{-s})/s -> 1 as s -> 0, smooth across the series/exact switch at |s| = 1e-5."""
    s = np.array([0.0, 1e-12, -1e-12, 9.999e-6, 1.0001e-5, -1.0001e-5, 0.3])
    exact = np.where(s == 0, 1.0, -np.expm1(-np.where(s == 0, 1.0, s)) / np.where(s == 0, 1, s))
    assert slope_correction(s) == pytest.approx(exact, rel=1e-14)
    lam = lambda_nikuradse(D, K_ROUGH)
    p0 = float(outlet_pressure(P1, 50.0, lam, L, D, Z, RS, T, dh_m=0.0))
    p_tiny = float(outlet_pressure(P1, 50.0, lam, L, D, Z, RS, T, dh_m=1e-6))
    assert p_tiny == pytest.approx(p0, rel=1e-9)


def test_outlet_pressure_infeasible_raises() -> None:
    with pytest.raises(ValueError, match="too large"):
        outlet_pressure(P1, 500.0, lambda_nikuradse(D, K_ROUGH), L, D, Z, RS, T)


def test_mean_pressure() -> None:
    """p_m = 2/3 (p1 + p2 - p1 p2/(p1+p2)) equals 2/3 (p1^3 - p2^3)/(p1^2 - p2^2) and the length
    average of p(x) = sqrt(p1^2 - (p1^2 - p2^2) x/L) (Menon 2005 Ch. 2); p_m(p, p) = p."""
    pm = float(mean_pressure(P1, P2))
    assert pm == pytest.approx(2 / 3 * (P1**3 - P2**3) / (P1**2 - P2**2), rel=1e-13)
    avg, _ = quad(lambda x: math.sqrt(P1**2 - (P1**2 - P2**2) * x), 0.0, 1.0, epsabs=1e-6)
    assert pm == pytest.approx(avg, rel=1e-10)
    assert pm == pytest.approx(6.0555555e6, rel=1e-7)  # 2/3 (120 - 35/1.2) bar, by hand
    assert float(mean_pressure(42e5, 42e5)) == pytest.approx(42e5, rel=1e-14)


@settings(max_examples=200, deadline=None)
@given(
    p_in=st.floats(1e5, 120e5),
    p_out=st.floats(1e5, 120e5),
    dh=st.floats(-1500.0, 1500.0),
    d=st.floats(0.1, 1.4),
    length=st.floats(1e2, 2e5),
)
def test_outlet_pressure_and_mass_flow_invert(
    p_in: float, p_out: float, dh: float, d: float, length: float
) -> None:
    """Property: mass_flow_from_pressures and outlet_pressure are inverse to each other (any flow
    direction, uphill/downhill), and flow direction follows the sign of e^{-s} p_in^2 - p_out^2."""
    lam = float(lambda_nikuradse(d, 2e-5))
    m = float(mass_flow_from_pressures(p_in, p_out, lam, length, d, Z, RS, T, dh_m=dh))
    s = float(elevation_factor(dh, Z, RS, T))
    assert np.sign(m) == np.sign(math.exp(-s) * p_in**2 - p_out**2)
    assume(abs(m) > 1e-9)
    p_back = float(outlet_pressure(p_in, m, lam, length, d, Z, RS, T, dh_m=dh))
    assert p_back == pytest.approx(p_out, rel=1e-8)
    m_back = float(mass_flow_from_pressures(p_in, p_back, lam, length, d, Z, RS, T, dh_m=dh))
    assert m_back == pytest.approx(m, rel=1e-6, abs=1e-9)
