"""Tests of gasunion.physics.compressor.

Reference numbers: hand calculations written out in docs/validation.md §1.5 (formulas of
Menon, *Gas Pipeline Hydraulics*, CRC 2005, compressor chapter, and Saravanamuttoo et al.,
*Gas Turbine Theory*, 6th ed., 2009, Ch. 2; the example case itself is made up for this
project): m = 100 kg/s, p1 = 50 bar, p2 = 70 bar (r = 1.4), T1 = 288.15 K, SG 0.6
(R_s = 8.314462618 / (0.6 * 0.0289626) = 478.4597 J/(kg K)), Z = 0.9 (Z R_s T1 =
124 081.35 J/kg), kappa = 1.3, eta_is = eta_p = 0.8.
"""

from __future__ import annotations

import numpy as np
import pytest

from gasunion.physics.compressor import (
    fuel_from_power,
    gasmodels_power_proxy,
    isentropic_head,
    outlet_temperature_actual,
    outlet_temperature_isentropic,
    outlet_temperature_polytropic,
    polytropic_exponent,
    polytropic_head,
    shaft_power_w,
)
from gasunion.physics.gas import GasProperties

REL = 1e-4
M, P1, P2, T1, Z, KAPPA, ETA = 100.0, 50e5, 70e5, 288.15, 0.9, 1.3, 0.8
RS = GasProperties(molar_mass_kg_kmol=0.6 * 28.9626).r_specific


def test_isentropic_example() -> None:
    """By hand (docs/validation.md §1.5): (kappa-1)/kappa = 0.3/1.3 = 0.2307692,
    1.4^0.2307692 = 1.0807416; H_is = 124 081.35 * 4.333333 * 0.0807416 = 43 413.60 J/kg;
    P = 100 * 43 413.60 / 0.8 = 5.426700 MW; T2_is = 288.15 * 1.0807416 = 311.416 K;
    T2_actual = 288.15 + 23.266 / 0.8 = 317.232 K."""
    h = float(isentropic_head(P1, P2, T1, Z, RS, KAPPA))
    assert h == pytest.approx(43413.60, rel=REL)
    assert float(shaft_power_w(M, h, ETA)) / 1e6 == pytest.approx(5.426700, rel=REL)
    t2s = float(outlet_temperature_isentropic(P1, P2, T1, KAPPA))
    assert t2s == pytest.approx(311.416, rel=REL)
    assert float(outlet_temperature_actual(T1, t2s, ETA)) == pytest.approx(317.232, rel=REL)


def test_polytropic_example() -> None:
    """By hand (docs/validation.md §1.5): (n-1)/n = 0.2307692 / 0.8 = 0.2884615,
    n = 1 / (1 - 0.2884615) = 1.405405; 1.4^0.2884615 = 1.1019257;
    H_p = 124 081.35 / 0.2884615 * 0.1019257 = 43 843.21 J/kg; P = 100 * 43 843.21 / 0.8
    = 5.480402 MW; T2 = 288.15 * 1.1019257 = 317.520 K."""
    assert float(polytropic_exponent(KAPPA, ETA)) == pytest.approx(1.405405, rel=REL)
    h = float(polytropic_head(P1, P2, T1, Z, RS, KAPPA, ETA))
    assert h == pytest.approx(43843.21, rel=REL)
    assert float(shaft_power_w(M, h, ETA)) / 1e6 == pytest.approx(5.480402, rel=REL)
    t2 = float(outlet_temperature_polytropic(P1, P2, T1, KAPPA, ETA))
    assert t2 == pytest.approx(317.520, rel=REL)


def test_gasmodels_proxy_example() -> None:
    """GasModels.jl proxy (lanl-ansi/GasModels.jl commit 36cbbdfc038371d6bc2ea7a3b075e72b8cc8d580,
    src/core/data.jl ``_calc_compressor_work``), by hand (docs/validation.md §1.5):
    gamma = 1.4, G = 0.6, T = 288.15 K, r = 1.4 -> W = 286.76 / 0.6 * 288.15 * 1.4 / 0.4
    = 482 007.715 J/kg, m_e = 0.4 / 2.8 = 0.1428571, (1.4^2)^m_e = 1.1009076,
    P = 100 * 482 007.715 * 0.1009076 = 4.863824 MW."""
    p = float(gasmodels_power_proxy(M, P2 / P1, T1, 0.6, 1.4))
    assert p / 1e6 == pytest.approx(4.863824, rel=REL)
    m_exp = 0.4 / 2.8
    w = p / (M * ((1.4**2) ** m_exp - 1.0))
    assert w == pytest.approx(482007.715, rel=REL)


def test_fuel_from_power_hand_value() -> None:
    """By hand: 5.4267 MW shaft power, gas-turbine efficiency 0.35, LHV 50 MJ/kg ->
    5.4267e6 / (0.35 * 50e6) = 0.3100971 kg/s."""
    assert float(fuel_from_power(5.4267e6, 0.35, 50e6)) == pytest.approx(0.3100971, rel=1e-6)


def test_ideal_gas_energy_balance() -> None:
    """For Z = 1 the isentropic head equals c_p (T2s - T1) with c_p = R_s kappa/(kappa-1)
    (first law for a perfect gas), and polytropic -> isentropic as eta_p -> 1 (n -> kappa)."""
    r = np.array([1.05, 1.4, 2.0])
    cp = RS * KAPPA / (KAPPA - 1)
    t2s = outlet_temperature_isentropic(P1, P1 * r, T1, KAPPA)
    assert isentropic_head(P1, P1 * r, T1, 1.0, RS, KAPPA) == pytest.approx(cp * (t2s - T1),
                                                                             rel=1e-12)
    assert float(polytropic_exponent(KAPPA, 1.0)) == pytest.approx(KAPPA, rel=1e-14)
    assert polytropic_head(P1, P1 * r, T1, Z, RS, KAPPA, 1.0) == pytest.approx(
        isentropic_head(P1, P1 * r, T1, Z, RS, KAPPA), rel=1e-12
    )
    # with losses the polytropic discharge temperature exceeds the isentropic one
    assert np.all(outlet_temperature_polytropic(P1, P1 * r, T1, KAPPA, ETA) > t2s)


def test_polytropic_exponent_invalid() -> None:
    with pytest.raises(ValueError):
        polytropic_exponent(1.3, 0.2)  # (k-1)/(k eta) = 1.15 > 1
