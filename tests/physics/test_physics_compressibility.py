"""Tests of gasunion.physics.compressibility (ideal, Papay, linear "AGA", make_z_model) and of
gasunion.physics.gerg2008.

Reference numbers:

* Papay and the linear formula: hand calculations of the formulas (written out in each test) with
  the pseudo-critical data of the GasLib sources, p_pc = 45.9293457336 bar, T_pc = 188.549758911
  K (``pseudocriticalPressure`` / ``pseudocriticalTemperature`` of GasLib-Integration.net), at
  T = 288.15 K: T_r = 288.15 / 188.549758911 = 1.5282438, p_r = p / 45.9293457336 bar.
* GERG-2008 / methane reference equation: CoolProp 8.0.0 (``pip install CoolProp==8.0.0``),
  ``CoolProp.CoolProp.PropsSI("Z", "P", p, "T", 288.15, fluid)`` with the fluid string given in
  each test (CoolProp: Bell et al. 2014, Ind. Eng. Chem. Res. 53, 2498; GERG-2008: Kunz & Wagner
  2012, J. Chem. Eng. Data 57, 3032; methane: Setzmann & Wagner 1991, J. Phys. Chem. Ref. Data
  20, 1061). gasunion's ``gerg2008`` calls CoolProp itself, so these check the interpolation and
  the composition handling, not the equation of state independently.
"""

from __future__ import annotations

import itertools
import sys
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from gasunion.errors import GasunionError, MissingDependencyError, ValidityRangeWarning
from gasunion.physics.compressibility import (
    Z_METHODS,
    AgaZ,
    CompressibilityError,
    Gerg2008Z,
    IdealZ,
    LinearAgaZ,
    PapayZ,
    ZModel,
    dz_dp_aga,
    dz_dp_papay,
    make_z_model,
    z_aga,
    z_papay,
)
from gasunion.physics.gas import GasProperties

REL = 1e-4
P_PC = 45.9293457336e5
T_PC = 188.549758911
T = 288.15
P = np.array([50e5, 60e5, 70e5])
MIX = {"Methane": 0.90, "Ethane": 0.06, "Nitrogen": 0.02, "CarbonDioxide": 0.02}
MIX_STR = "HEOS::Methane[0.90]&Ethane[0.06]&Nitrogen[0.02]&CarbonDioxide[0.02]"
Z_PAPAY = [0.897227, 0.881091, 0.866428]
Z_LINEAR = [0.900101, 0.880121, 0.860141]


def test_papay_table() -> None:
    """Papay (1968), Z = 1 - 3.52 p_r e^(-2.260 T_r) + 0.274 p_r^2 e^(-1.878 T_r), with
    e^(-2.260 * 1.5282438) = 0.0316243 and e^(-1.878 * 1.5282438) = 0.0566966:
    50 bar: p_r = 1.088629, Z = 1 - 0.121183 + 0.018411 = 0.897227;
    60 bar: p_r = 1.306354, Z = 1 - 0.145420 + 0.026511 = 0.881091;
    70 bar: p_r = 1.524080, Z = 1 - 0.169657 + 0.036085 = 0.866428."""
    assert z_papay(P, T, P_PC, T_PC) == pytest.approx(Z_PAPAY, rel=REL)


def test_aga_linear_table() -> None:
    """Linear formula of Koch et al. 2015 Ch. 2 eq. (2.5), Z = 1 + 0.257 p_r - 0.533 p_r/T_r
    = 1 + (0.257 - 0.533/1.5282438) p_r = 1 - 0.0917663 p_r: p_r = 1.088629 / 1.306354 /
    1.524080 (50 / 60 / 70 bar) -> Z = 0.900101 / 0.880121 / 0.860141."""
    assert z_aga(P, T, P_PC, T_PC) == pytest.approx(Z_LINEAR, rel=REL)


@pytest.mark.parametrize(("z", "dz"), [(z_papay, dz_dp_papay), (z_aga, dz_dp_aga)])
def test_dz_dp_vs_finite_difference(z: Callable[..., Any], dz: Callable[..., Any]) -> None:
    """Analytic dZ/dp [1/Pa] vs central differences over 1..120 bar and 250..320 K."""
    p = np.linspace(1e5, 120e5, 13)[:, None]
    t = np.array([250.0, 288.15, 320.0])[None, :]
    h = 10.0
    fd = (z(p + h, t, P_PC, T_PC) - z(p - h, t, P_PC, T_PC)) / (2 * h)
    got = dz(p, t, P_PC, T_PC)
    assert got.shape == (13, 3)
    assert got == pytest.approx(fd, rel=1e-6, abs=1e-16)


def test_z_methods() -> None:
    """The honest method names; the deprecated alias "aga" is not listed."""
    assert Z_METHODS == ("ideal", "papay", "aga_linear", "aga8", "sgerg88", "gerg2008")


def test_make_z_model_methods() -> None:
    """make_z_model builds ideal / papay / aga_linear at gas.temperature_k from gas.p_pc_bar and
    gas.t_pc_k (same hand-calculated values as above); each satisfies the ZModel protocol and
    states no validity limits (none are documented for these formulas)."""
    gas = GasProperties(temperature_k=T, p_pc_bar=45.9293457336, t_pc_k=T_PC)
    ideal = make_z_model("ideal", gas)
    assert isinstance(ideal, IdealZ)
    assert ideal.z(P) == pytest.approx([1.0, 1.0, 1.0]) and np.all(ideal.dz_dp(P) == 0.0)
    papay = make_z_model("papay", gas)
    assert isinstance(papay, PapayZ)
    assert papay.z(P) == pytest.approx(Z_PAPAY, rel=REL)
    lin = make_z_model("AGA_Linear", gas)
    assert isinstance(lin, LinearAgaZ) and lin.name == "aga_linear"
    assert lin.z(P) == pytest.approx(Z_LINEAR, rel=REL)
    assert lin.dz_dp(P) == pytest.approx(dz_dp_aga(P, T, P_PC, T_PC), rel=1e-14)
    for model in (ideal, papay, lin):
        assert isinstance(model, ZModel)
        assert model.temperature_k == T
        assert model.validity == {}
        assert model.range_warnings(np.array([1e5, 500e5])) == []


def test_aga_is_deprecated_alias() -> None:
    """"aga" still builds the linear formula but warns (FutureWarning) to use "aga_linear";
    AgaZ is the old name of LinearAgaZ."""
    gas = GasProperties(temperature_k=T, p_pc_bar=45.9293457336, t_pc_k=T_PC)
    with pytest.warns(FutureWarning, match="aga_linear"):
        model = make_z_model("aga", gas)
    assert isinstance(model, LinearAgaZ)
    assert model.z(P) == pytest.approx(Z_LINEAR, rel=REL)
    assert AgaZ is LinearAgaZ


def test_make_z_model_unknown_lists_valid() -> None:
    with pytest.raises(CompressibilityError, match=r"ideal, papay, aga_linear, aga8, sgerg88, gerg2008"):
        make_z_model("peng-robinson", GasProperties())


def test_compressibility_error_hierarchy() -> None:
    """CompressibilityError is a GasunionError and a ValueError."""
    assert issubclass(CompressibilityError, GasunionError)
    assert issubclass(CompressibilityError, ValueError)


def test_pseudo_critical_models_reject_bad_parameters() -> None:
    with pytest.raises(CompressibilityError, match="p_pc_pa"):
        PapayZ(T, -1.0, T_PC)


def test_aga8_without_composition_points_to_sgerg88() -> None:
    """AGA-8 DETAIL needs a composition: an empty one is an error that names sgerg88."""
    with pytest.raises(CompressibilityError, match=r"empty.*sgerg88"):
        make_z_model("aga8", GasProperties())


# ------------------------------------------------------------------ GERG-2008 via CoolProp
@pytest.fixture(scope="module")
def cp() -> Any:
    return pytest.importorskip("CoolProp.CoolProp")


@pytest.fixture(scope="module")
def gerg_methane(cp: Any) -> Gerg2008Z:
    return Gerg2008Z({}, T)


@pytest.fixture(scope="module")
def gerg_mix(cp: Any) -> Gerg2008Z:
    return Gerg2008Z(MIX, T)


def test_gerg_methane_coolprop_values(gerg_methane: Gerg2008Z) -> None:
    """CoolProp 8.0.0, PropsSI("Z", "P", p, "T", 288.15, "HEOS::Methane") (methane reference
    equation) at p = 50/60/70 bar: Z = 0.905478 / 0.887994 / 0.871324. Empty composition means
    pure methane."""
    assert gerg_methane.fluid_string == "HEOS::Methane"
    assert gerg_methane.z(P) == pytest.approx([0.905478, 0.887994, 0.871324], rel=REL)


def test_gerg_mix_coolprop_values(gerg_mix: Gerg2008Z) -> None:
    """CoolProp 8.0.0, PropsSI("Z", "P", p, "T", 288.15,
    "HEOS::Methane[0.90]&Ethane[0.06]&Nitrogen[0.02]&CarbonDioxide[0.02]") (GERG-2008 mixture):
    p = 50 bar -> Z = 0.891340, p = 70 bar -> Z = 0.851277."""
    assert gerg_mix.z([50e5, 70e5]) == pytest.approx([0.891340, 0.851277], rel=REL)


def test_make_z_model_gerg(cp: Any) -> None:
    """make_z_model("gerg2008") uses gas.composition (same CoolProp 8.0.0 mix values as
    test_gerg_mix_coolprop_values) and reports progress: increasing fractions ending at 1.0."""
    gas = GasProperties(temperature_k=T, composition=dict(MIX))
    calls: list[float] = []
    model = make_z_model("gerg2008", gas, progress=calls.append)
    assert isinstance(model, Gerg2008Z) and isinstance(model, ZModel)
    assert model.z([50e5, 70e5]) == pytest.approx([0.891340, 0.851277], rel=REL)
    assert len(calls) > 10 and calls[-1] == 1.0
    assert all(0.0 <= a <= b <= 1.0 for a, b in itertools.pairwise(calls))


def test_gerg_spline_matches_coolprop_off_grid(cp: Any, gerg_mix: Gerg2008Z) -> None:
    """Spline interpolation vs direct CoolProp PropsSI at off-grid pressures (0.005..199 bar)."""
    p = np.array([500.0, 4.2e3, 0.77e5, 3.3e5, 17.77e5, 61.3e5, 123.45e5, 199.0e5])
    ref = np.array([cp.PropsSI("Z", "P", x, "T", T, MIX_STR) for x in p])
    assert gerg_mix.z(p) == pytest.approx(ref, rel=1e-8)


@pytest.mark.parametrize("which", ["methane", "mix"])
def test_gerg_dz_dp_vs_coolprop_finite_difference(
    cp: Any, gerg_methane: Gerg2008Z, gerg_mix: Gerg2008Z, which: str
) -> None:
    """Spline derivative dZ/dp vs central differences of CoolProp's own Z (independent)."""
    model, fluid = (gerg_methane, "HEOS::Methane") if which == "methane" else (gerg_mix, MIX_STR)
    p = np.array([0.3e5, 5.5e5, 43.21e5, 77.7e5, 150.5e5])
    h = p * 1e-4
    zp = np.array([cp.PropsSI("Z", "P", x + d, "T", T, fluid) for x, d in zip(p, h, strict=True)])
    zm = np.array([cp.PropsSI("Z", "P", x - d, "T", T, fluid) for x, d in zip(p, h, strict=True)])
    fd = (zp - zm) / (2 * h)
    assert model.dz_dp(p) == pytest.approx(fd, rel=1e-5)


def test_gerg_zero_pressure_limit(gerg_methane: Gerg2008Z) -> None:
    """Ideal-gas limit Z(0) = 1 (virial expansion Z = 1 + B rho + ...)."""
    assert float(gerg_methane.z(0.0)) == 1.0


def test_gerg_out_of_range(cp: Any) -> None:
    """Negative / non-finite / > 700 bar pressures raise CompressibilityError naming the
    pressure; a pressure above the initial 200 bar grid extends the table (checked against
    CoolProp)."""
    model = Gerg2008Z({"Methane": 1.0}, T)
    with pytest.raises(CompressibilityError, match="-100"):
        model.z(np.array([50e5, -100.0]))
    with pytest.raises(CompressibilityError, match="nan"):
        model.dz_dp(np.array([np.nan]))
    with pytest.raises(CompressibilityError, match="8e\\+07"):
        model.z(800e5)
    assert model.p_max_pa == 200e5
    z300 = float(model.z(300e5))
    assert model.p_max_pa >= 300e5
    assert z300 == pytest.approx(cp.PropsSI("Z", "P", 300e5, "T", T, "HEOS::Methane"), rel=1e-8)


def test_gerg_two_phase_rejected(cp: Any) -> None:
    """Pure methane at 150 K condenses at p_sat ~ 10.4 bar (CoolProp): not a gas ->
    CompressibilityError."""
    with pytest.raises(CompressibilityError, match="not single-phase gas"):
        Gerg2008Z({}, 150.0)


def test_gerg_mix_two_phase_rejected(cp: Any) -> None:
    """The 4-component mix at 200 K is two-phase around 50 bar (CoolProp full PT flash): the
    cross-check of the fast imposed-phase table must detect it and raise CompressibilityError."""
    with pytest.raises(CompressibilityError, match="not single-phase gas"):
        Gerg2008Z(MIX, 200.0)


def test_gerg_composition_is_normalised(gerg_mix: Gerg2008Z) -> None:
    """Mole fractions given in percent are normalised to sum 1 (same CoolProp 8.0.0 values as
    test_gerg_mix_coolprop_values: Z(50 bar) = 0.891340, Z(70 bar) = 0.851277)."""
    pct = Gerg2008Z({k: 100.0 * v for k, v in MIX.items()}, T)
    assert sum(pct.composition.values()) == pytest.approx(1.0, rel=1e-14)
    assert pct.z([50e5, 70e5]) == pytest.approx([0.891340, 0.851277], rel=REL)
    assert pct.z([50e5, 70e5]) == pytest.approx(gerg_mix.z([50e5, 70e5]), rel=1e-12)


def test_gerg_fast_path_mismatch_falls_back(cp: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """If the fast imposed-phase flash disagrees with the full flash at the check points, the
    whole table is recomputed with the full flash (simulated by corrupting the fast path)."""
    real = Gerg2008Z._flash_one

    def corrupted(self: Gerg2008Z, p: float, *, impose_gas: bool) -> float:
        z = real(self, p, impose_gas=impose_gas)
        return z * 1.01 if impose_gas else z

    monkeypatch.setattr(Gerg2008Z, "_flash_one", corrupted)
    model = Gerg2008Z(MIX, T, n_points=12)
    assert model.z([50e5, 70e5]) == pytest.approx([0.891340, 0.851277], rel=REL)


def test_gerg_bad_composition(cp: Any) -> None:
    with pytest.raises(CompressibilityError, match="mole fractions"):
        Gerg2008Z({"Methane": -0.1, "Ethane": 1.1}, T)
    with pytest.raises(CompressibilityError, match=r"CoolProp.*Unobtainium"):
        Gerg2008Z({"Methane": 0.9, "Unobtainium": 0.1}, T)


def test_gerg_validity(cp: Any, gerg_methane: Gerg2008Z) -> None:
    """GERG-2008 normal range (Kunz & Wagner 2012): 90..450 K, p <= 35 MPa. Inside: no warning
    and no sentence; 400 bar gives one sentence; 460 K warns at construction."""
    assert gerg_methane.validity["p_max_pa"] == 35e6 and gerg_methane.validity["t_max_k"] == 450.0
    assert gerg_methane.range_warnings(np.array([1e5, 300e5])) == []
    msgs = gerg_methane.range_warnings(np.array([1e5, 400e5]))
    assert len(msgs) == 1 and "400 bar" in msgs[0]
    with pytest.warns(ValidityRangeWarning, match="460 K"):
        hot = Gerg2008Z({}, 460.0, n_points=8)
    assert len(hot.range_warnings(50e5)) == 1


def test_gerg_missing_coolprop_message(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without CoolProp a MissingDependencyError (an ImportError and a GasunionError) says how
    to install it."""
    monkeypatch.setitem(sys.modules, "CoolProp", None)
    monkeypatch.setitem(sys.modules, "CoolProp.CoolProp", None)
    with pytest.raises(MissingDependencyError, match=r"CoolProp.*gasunion\[coolprop\]") as info:
        Gerg2008Z({}, T)
    assert isinstance(info.value, ImportError) and isinstance(info.value, GasunionError)
    with pytest.raises(MissingDependencyError, match="z='gerg2008'"):
        make_z_model("gerg2008", GasProperties())
