"""Tests of gasunion.physics.compressibility.

Reference numbers: /work/shared/validation/analytic.md sec. 3 (Papay and "AGA88-simplified"
tables from scripts/analytic_cases.out; CoolProp 8.0.0 values from scripts/coolprop_Z.out).
Pseudo-critical data p_pc = 45.9293457336 bar, T_pc = 188.549758911 K (GasLib-Integration).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from gasunion.physics.compressibility import (
    AgaZ,
    Gerg2008Z,
    IdealZ,
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


def test_papay_table() -> None:
    """analytic.md sec. 3 (Papay 1968): T = 288.15 K, p = 50/60/70 bar ->
    Z = 0.897227 / 0.881091 / 0.866428."""
    assert z_papay(P, T, P_PC, T_PC) == pytest.approx([0.897227, 0.881091, 0.866428], rel=REL)


def test_aga_table() -> None:
    """analytic.md sec. 3 ("AGA" formula, Koch et al. 2015 Ch. 2): T = 288.15 K,
    p = 50/60/70 bar -> Z = 0.900101 / 0.880121 / 0.860141."""
    assert z_aga(P, T, P_PC, T_PC) == pytest.approx([0.900101, 0.880121, 0.860141], rel=REL)


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


def test_make_z_model_methods() -> None:
    """make_z_model builds each model at gas.temperature_k from gas.p_pc_bar / t_pc_k; "aga8" is
    the same AGA formula as "aga"; every model satisfies the ZModel protocol."""
    gas = GasProperties(temperature_k=T, p_pc_bar=45.9293457336, t_pc_k=T_PC)
    ideal = make_z_model("ideal", gas)
    assert isinstance(ideal, IdealZ)
    assert ideal.z(P) == pytest.approx([1.0, 1.0, 1.0]) and np.all(ideal.dz_dp(P) == 0.0)
    papay = make_z_model("papay", gas)
    assert isinstance(papay, PapayZ)
    assert papay.z(P) == pytest.approx([0.897227, 0.881091, 0.866428], rel=REL)
    for name in ("aga", "aga8", "AGA8"):
        aga = make_z_model(name, gas)
        assert isinstance(aga, AgaZ)
        assert aga.z(P) == pytest.approx([0.900101, 0.880121, 0.860141], rel=REL)
        assert aga.dz_dp(P) == pytest.approx(dz_dp_aga(P, T, P_PC, T_PC), rel=1e-14)
    for model in (ideal, papay, aga):
        assert isinstance(model, ZModel)
        assert model.temperature_k == T


def test_make_z_model_unknown_lists_valid() -> None:
    with pytest.raises(ValueError, match=r"ideal, papay, aga, aga8, gerg2008"):
        make_z_model("peng-robinson", GasProperties())


def test_pseudo_critical_models_reject_bad_parameters() -> None:
    with pytest.raises(ValueError, match="p_pc_pa"):
        PapayZ(T, -1.0, T_PC)


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
    """coolprop_Z.out (CoolProp 8.0.0, methane reference EOS): T = 288.15 K, p = 50/60/70 bar ->
    Z = 0.905478 / 0.887994 / 0.871324. Empty composition means pure methane."""
    assert gerg_methane.fluid_string == "HEOS::Methane"
    assert gerg_methane.z(P) == pytest.approx([0.905478, 0.887994, 0.871324], rel=REL)


def test_gerg_mix_coolprop_values(gerg_mix: Gerg2008Z) -> None:
    """coolprop_Z.out (CoolProp 8.0.0, GERG-2008) for
    HEOS::Methane[0.90]&Ethane[0.06]&Nitrogen[0.02]&CarbonDioxide[0.02], T = 288.15 K:
    p = 50 bar -> Z = 0.891340, p = 70 bar -> Z = 0.851277."""
    assert gerg_mix.z([50e5, 70e5]) == pytest.approx([0.891340, 0.851277], rel=REL)


def test_make_z_model_gerg(cp: Any) -> None:
    """make_z_model("gerg2008") uses gas.composition (same coolprop_Z.out mix values)."""
    gas = GasProperties(temperature_k=T, composition=dict(MIX))
    model = make_z_model("gerg2008", gas)
    assert isinstance(model, Gerg2008Z) and isinstance(model, ZModel)
    assert model.z([50e5, 70e5]) == pytest.approx([0.891340, 0.851277], rel=REL)


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
    """Negative / non-finite / > 700 bar pressures raise ValueError naming the pressure; a
    pressure above the initial 200 bar grid extends the table (checked against CoolProp)."""
    model = Gerg2008Z({"Methane": 1.0}, T)
    with pytest.raises(ValueError, match="-100"):
        model.z(np.array([50e5, -100.0]))
    with pytest.raises(ValueError, match="nan"):
        model.dz_dp(np.array([np.nan]))
    with pytest.raises(ValueError, match="8e\\+07"):
        model.z(800e5)
    assert model.p_max_pa == 200e5
    z300 = float(model.z(300e5))
    assert model.p_max_pa >= 300e5
    assert z300 == pytest.approx(cp.PropsSI("Z", "P", 300e5, "T", T, "HEOS::Methane"), rel=1e-8)


def test_gerg_two_phase_rejected(cp: Any) -> None:
    """Pure methane at 150 K condenses at p_sat ~ 10.4 bar (CoolProp): not a gas -> ValueError."""
    with pytest.raises(ValueError, match="not single-phase gas"):
        Gerg2008Z({}, 150.0)


def test_gerg_mix_two_phase_rejected(cp: Any) -> None:
    """The 4-component mix at 200 K is two-phase around 50 bar (CoolProp full PT flash): the
    cross-check of the fast imposed-phase table must detect it and raise ValueError."""
    with pytest.raises(ValueError, match="not single-phase gas"):
        Gerg2008Z(MIX, 200.0)


def test_gerg_composition_is_normalised(gerg_mix: Gerg2008Z) -> None:
    """Mole fractions given in percent are normalised to sum 1 (same coolprop_Z.out values:
    Z(50 bar) = 0.891340, Z(70 bar) = 0.851277)."""
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
    with pytest.raises(ValueError, match="mole fractions"):
        Gerg2008Z({"Methane": -0.1, "Ethane": 1.1}, T)
    with pytest.raises(ValueError, match="CoolProp"):
        Gerg2008Z({"Methane": 0.9, "Unobtainium": 0.1}, T)


def test_gerg_missing_coolprop_message(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without CoolProp the error says how to install it."""
    monkeypatch.setitem(sys.modules, "CoolProp", None)
    monkeypatch.setitem(sys.modules, "CoolProp.CoolProp", None)
    with pytest.raises(ImportError, match=r"pip install CoolProp.*gasunion\[coolprop\]"):
        Gerg2008Z({}, T)
