"""The network simulator against hand-checkable closed forms (one element at a time).

Reference numbers: hand calculations written out with every intermediate number in
docs/validation.md §1 (eqs. (1)-(2) of §1.1 are the exact integrals of the isothermal steady
momentum balance, Koch et al. (eds.), *Evaluating Gas Network Capacities*, SIAM 2015, Ch. 2;
Examples A-C in §1.2-1.3, the compressor in §1.5) and pandapipes' analytic test CSV
``src/pandapipes/test/data/gas_sections_an.csv`` (e2nIEE/pandapipes commit
5b52494e3f3d1ca29d6cdb89eb8653f449f41d43, BSD-3; hand check in §1.4).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import gasunion as gu
from gasunion.network import Network
from gasunion.physics.gas import GasProperties

M_AIR = 28.9626
T = 288.15
Z_CONST = 0.9


def gas_example_a() -> GasProperties:
    """Gas of Example A (docs/validation.md §1.2) with Z = 0.9 folded into the molar mass.

    The laws only use ``c^2 = Z R_s T``; with ``z="ideal"`` and ``M' = M / 0.9`` we get
    ``c^2 = R T / M' = 0.9 R T / M`` exactly (M = 0.6 * 28.9626 g/mol).
    """
    return GasProperties(molar_mass_kg_kmol=0.6 * M_AIR / Z_CONST, temperature_k=T,
                         viscosity_pa_s=1.1e-5, kappa=1.3)


def one_pipe(p_in: float, p_out: float | None = None, mdot: float | None = None,
             dh: float = 0.0) -> Network:
    net = Network("one pipe", gas=gas_example_a())
    net.add("junctions", ["in", "out"], height_m=[0.0, dh])
    net.add("sources", "S", junction="in", p_set_bar=p_in)
    if p_out is not None:
        net.add("sinks", "D", junction="out", p_set_bar=p_out)
    else:
        net.add("sinks", "D", junction="out", mass_flow_kg_s=mdot)
    net.add("pipes", "P", from_junction="in", to_junction="out", length_km=100.0,
            diameter_mm=500.0, roughness_mm=0.05)
    return net


@pytest.mark.parametrize(
    ("friction", "expected"),
    [("nikuradse", 55.7882), ("colebrook", 55.4507), ("weymouth", 56.0880)],
)
def test_example_a_flow_from_pressures(friction: str, expected: float) -> None:
    """Example A (docs/validation.md §1.2): L 100 km, D 0.5 m, k 0.05 mm, 70 -> 50 bar,
    T 288.15 K, SG 0.6, Z 0.9, mu 1.1e-5 Pa s. By hand, mdot = sqrt(2.4e13 Pa^2 / K) with
    K = lambda * 6.436900e11: lambda 0.0119798 -> 55.7882 (Nikuradse), 0.0121261 -> 55.4507
    (Colebrook-White, iterated with Re), 0.0118521 -> 56.0880 kg/s (Weymouth
    lambda = 0.009407/D^(1/3)). Tolerance 1e-4 relative."""
    res = gu.simulate(one_pipe(70.0, p_out=50.0), friction=friction, z="ideal")
    mdot = res.pipes.at["P", "mass_flow_kg_s"]
    assert mdot == pytest.approx(expected, rel=1e-4)
    # the slack elements carry exactly that flow (conservation)
    assert res.sources.at["S", "mass_flow_kg_s"] == pytest.approx(mdot, rel=1e-9)
    assert res.sinks.at["D", "mass_flow_kg_s"] == pytest.approx(mdot, rel=1e-9)
    # inlet velocity 55.7882 / (56.4146 kg/m3 * 0.1963495 m2) = 5.036 m/s and
    # Re = 4 * 55.7882 / (pi * 0.5 * 1.1e-5) = 1.2915e7 (docs/validation.md §1.2)
    if friction == "nikuradse":
        assert res.pipes.at["P", "velocity_from_m_s"] == pytest.approx(5.036, rel=2e-4)
        assert res.pipes.at["P", "reynolds"] == pytest.approx(1.2915e7, rel=1e-4)


def test_example_b_pressure_from_flow() -> None:
    """Example B (docs/validation.md §1.3): mdot = 50 kg/s, p_in = 70 bar, Nikuradse
    K = 7.711275e9 -> p_out^2 = 4.9e13 - 7.711275e9 * 2500 = 2.972181e13 Pa^2,
    p_out = 54.51771 bar."""
    res = gu.simulate(one_pipe(70.0, mdot=50.0), friction="nikuradse", z="ideal")
    assert res.junctions.at["out", "p_bar"] == pytest.approx(54.51771, rel=1e-4)
    assert res.sources.at["S", "mass_flow_kg_s"] == pytest.approx(50.0, rel=1e-9)


def test_example_c_inclined_pipe() -> None:
    """Example C (docs/validation.md §1.3, eq. 2): mdot 55.7882 kg/s, height gain +500 m,
    s = 2 g dh / c^2 = 0.0790610 -> p_out^2 = e^-s 4.9e13 - 2.4e13 (1 - e^-s)/s
    = 2.219941e13 Pa^2, p_out = 47.11625 bar with g = 9.81; gasunion uses g = 9.80665, which
    gives 47.11722 bar (2.1e-5 relative, inside the 1e-4 tolerance)."""
    res = gu.simulate(one_pipe(70.0, mdot=55.7882, dh=500.0), friction="nikuradse", z="ideal")
    assert res.junctions.at["out", "p_bar"] == pytest.approx(47.11625, rel=1e-4)


def test_example_d_pandapipes_sections() -> None:
    """pandapipes' analytic case (pandapipes commit 5b52494e3f3d1ca29d6cdb89eb8653f449f41d43,
    src/pandapipes/test/data/gas_sections_an.csv, column p1; hand check in
    docs/validation.md §1.4): D 0.2091 m, fixed lambda 0.02455, 12 x 1 km, p_in 51 bar abs,
    T 285.15 K, rho_n 0.8275 kg/m3, Q_n 12.5 Nm3/s -> p(1 km) 49.647064, p(6 km) 42.237255,
    p(12 km) 31.096165 bar. The gas is ideal with M = rho_n R T_n / p_n so that
    c^2 = p_n T / (rho_n T_n)."""
    rho_n = 0.8275
    m_kg_kmol = rho_n * 8.314462618 * 273.15 / 101325.0 * 1e3
    net = Network("sections", gas=GasProperties(molar_mass_kg_kmol=m_kg_kmol,
                                                temperature_k=285.15, norm_density_kg_m3=rho_n))
    nodes = [f"n{i}" for i in range(13)]
    net.add("junctions", nodes)
    net.add("sources", "S", junction="n0", p_set_bar=51.0)
    net.add("sinks", "D", junction="n12", mass_flow_kg_s=rho_n * 12.5)
    net.add("pipes", [f"p{i}" for i in range(12)], from_junction=nodes[:-1],
            to_junction=nodes[1:], length_km=1.0, diameter_mm=209.1, friction_factor=0.02455)
    res = gu.simulate(net, z="ideal")
    p = res.junctions["p_bar"]
    assert p["n1"] == pytest.approx(49.647064, rel=1e-6)
    assert p["n6"] == pytest.approx(42.237255, rel=1e-6)
    assert p["n12"] == pytest.approx(31.096165, rel=1e-6)


def test_papay_pipe_matches_closed_form_at_mean_pressure() -> None:
    """With Papay Z the solver uses Z at the mean pressure p_m = 2/3 (p1 + p2 - p1 p2/(p1+p2))
    (Menon 2005, Ch. 2). Reference computed independently in the test from the closed forms
    (not from gasunion): for 70 -> 50 bar, p_m = 60.5556 bar; Papay (docs/validation.md §1.6)
    with the GasLib pseudo-critical data (45.9293457336 bar, 188.549758911 K, as in
    tests/data/gaslib/GasLib-Integration/GasLib-Integration.net) at T 288.15 K gives Z(p_m),
    and mdot = sqrt((p1^2 - p2^2) D A^2 / (lambda Z R_s T L)) (eq. 1)."""
    gas = GasProperties(molar_mass_kg_kmol=0.6 * M_AIR, temperature_k=T, viscosity_pa_s=1.1e-5)
    net = one_pipe(70.0, p_out=50.0)
    net.gas = gas
    res = gu.simulate(net, friction="nikuradse", z="papay")
    p1, p2 = 70e5, 50e5
    pm = 2 / 3 * (p1 + p2 - p1 * p2 / (p1 + p2))
    pr, tr = pm / 45.9293457336e5, T / 188.549758911
    z = 1 - 3.52 * pr * math.exp(-2.260 * tr) + 0.274 * pr**2 * math.exp(-1.878 * tr)
    lam = (2 * math.log10(3.7 * 0.5 / 0.05e-3)) ** -2
    rs = 8.314462618 / (0.6 * M_AIR * 1e-3)
    area = math.pi * 0.25 / 4
    mdot = math.sqrt((p1**2 - p2**2) * 0.5 * area**2 / (lam * z * rs * T * 100e3))
    assert res.pipes.at["P", "mass_flow_kg_s"] == pytest.approx(mdot, rel=1e-9)


def compressor_net(fuel_model: str = "none", fuel_share: float = 0.0) -> Network:
    net = Network("compressor", gas=gas_example_a())
    net.add("junctions", ["suction", "discharge"])
    net.add("sources", "S", junction="suction", p_set_bar=50.0)
    net.add("sinks", "D", junction="discharge", mass_flow_kg_s=100.0)
    net.add("compressors", "K", from_junction="suction", to_junction="discharge", mode="ratio",
            ratio_set=1.4, efficiency=0.8, fuel_model=fuel_model, fuel_share=fuel_share)
    return net


def test_compressor_ratio_and_power() -> None:
    """docs/validation.md §1.5: mdot 100 kg/s, 50 -> 70 bar (r = 1.4), T 288.15 K,
    R_s 478.4597, Z 0.9, kappa 1.3, eta_is 0.8: by hand H_is = 124 081.35 * 1.3/0.3
    * (1.4^(0.3/1.3) - 1) = 124 081.35 * 4.333333 * 0.0807416 = 43 413.60 J/kg,
    P = 100 * 43 413.60 / 0.8 = 5.426700 MW. (p_to_bar and ratio are the imposed set-point.)"""
    res = gu.simulate(compressor_net(), z="ideal")
    c = res.compressors.loc["K"]
    assert c["p_to_bar"] == pytest.approx(70.0, rel=1e-12)
    assert c["ratio"] == pytest.approx(1.4, rel=1e-12)
    assert c["head_j_kg"] == pytest.approx(43413.60, rel=1e-4)
    assert c["power_mw"] == pytest.approx(5.426700, rel=1e-4)
    assert c["fuel_kg_s"] == 0.0


def test_compressor_fuel_share_is_conserved() -> None:
    """Fuel taken at the suction side (1 % of throughput): the source must supply 101 kg/s
    for a 100 kg/s delivery (mass conservation)."""
    res = gu.simulate(compressor_net("share", 0.01), z="ideal")
    assert res.compressors.at["K", "fuel_kg_s"] == pytest.approx(1.0, rel=1e-9)
    assert res.sources.at["S", "mass_flow_kg_s"] == pytest.approx(101.0, rel=1e-9)


def test_compressor_fuel_from_power() -> None:
    """Gas-driven: fuel = P / (eta_drive * H), H = H_s / rho_n per kg. With P = 5.4267 MW
    (docs/validation.md §1.5), eta_drive 0.35, H_s 36.4543670654 MJ/m3 (the GasProperties
    default: the calorificValue of the GasLib sources, e.g. tests/data/gaslib/GasLib-11/
    GasLib-11.net) and rho_n = p_n M / (R T_n) of the gas."""
    net = compressor_net("power")
    res = gu.simulate(net, z="ideal")
    g = net.gas
    rho_n = 101325.0 * g.molar_mass_kg_kmol * 1e-3 / (8.314462618 * 273.15)
    expected = 5.426700e6 / (0.35 * 36.4543670654e6 / rho_n)
    assert res.compressors.at["K", "fuel_kg_s"] == pytest.approx(expected, rel=1e-4)
    assert res.sources.at["S", "mass_flow_kg_s"] == pytest.approx(100.0 + expected, rel=1e-9)


def test_regulator_holds_outlet_pressure_and_valves() -> None:
    """Source 70 bar -> pipe -> regulator (set 40 bar) -> pipe -> sink; a closed valve on a
    parallel branch carries nothing; a short pipe has no pressure drop."""
    net = Network("regulated", gas=gas_example_a())
    net.add("junctions", ["a", "b", "c", "d", "e"])
    net.add("sources", "S", junction="a", p_set_bar=70.0)
    net.add("sinks", "D", junction="e", mass_flow_kg_s=20.0)
    net.add("pipes", ["ab", "cd"], from_junction=["a", "c"], to_junction=["b", "d"],
            length_km=50.0, diameter_mm=400.0)
    net.add("control_valves", "R", from_junction="b", to_junction="c", mode="p_out",
            p_out_set_bar=40.0)
    net.add("short_pipes", "de", from_junction="d", to_junction="e")
    net.add("valves", "V", from_junction="a", to_junction="d", open=False)
    res = gu.simulate(net, z="ideal")
    assert res.junctions.at["c", "p_bar"] == pytest.approx(40.0, abs=1e-9)
    assert res.valves.at["V", "mass_flow_kg_s"] == pytest.approx(0.0, abs=1e-12)
    assert res.pipes["mass_flow_kg_s"].to_numpy() == pytest.approx([20.0, 20.0], rel=1e-9)
    assert res.junctions.at["d", "p_bar"] == pytest.approx(res.junctions.at["e", "p_bar"], abs=1e-9)
    # closed form for the second pipe (eq. 1): p_d^2 = 40^2 - K * 20^2
    g = net.gas
    lam = (2 * math.log10(3.7 * 0.4 / 0.05e-3)) ** -2
    k = lam * g.r_specific * T * 50e3 / (0.4 * (math.pi * 0.4**2 / 4) ** 2)
    assert res.junctions.at["d", "p_bar"] == pytest.approx(math.sqrt(40e5**2 - k * 400) / 1e5,
                                                           rel=1e-9)


def test_resistor_drag_and_fixed_loss() -> None:
    """Drag resistor: p_i^2 - p_j^2 = zeta Z R_s T q|q| / A^2 (Darcy-Weisbach dp = zeta rho
    v^2/2 at the mean density, Koch et al. 2015, Ch. 2), computed in the test from that closed
    form; fixed-loss resistor: p_i - p_j = 1 bar in flow direction."""
    net = Network("resistors", gas=gas_example_a())
    net.add("junctions", ["a", "b", "c"])
    net.add("sources", "S", junction="a", p_set_bar=60.0)
    net.add("sinks", "D", junction="c", mass_flow_kg_s=30.0)
    net.add("resistors", ["drag", "loss"], from_junction=["a", "b"], to_junction=["b", "c"],
            drag_factor=[10.0, float("nan")], diameter_mm=[300.0, float("nan")],
            pressure_loss_bar=[float("nan"), 1.0])
    res = gu.simulate(net, z="ideal")
    g = net.gas
    area = math.pi * 0.3**2 / 4
    pb = math.sqrt(60e5**2 - 10.0 * g.r_specific * T * 30.0**2 / area**2) / 1e5
    assert res.junctions.at["b", "p_bar"] == pytest.approx(pb, rel=1e-9)
    assert res.junctions.at["c", "p_bar"] == pytest.approx(pb - 1.0, rel=1e-9)


def test_impossible_demand_is_diagnosed() -> None:
    """2000 kg/s through one 500 mm, 100 km pipe from 70 bar would need p_out^2 < 0: by hand
    (eq. 1, docs/validation.md §1.2) K = lambda c^2 L/(D A^2) ~ 0.012 * 6.4369e11 = 7.7e9
    Pa^2 s^2/kg^2 (77 bar^2 per (10 kg/s)^2), so K q^2 ~ 7.7e9 * 2000^2 = 3.1e16 Pa^2
    = 3.1e6 bar^2 >> p_in^2 = 4900 bar^2. The error names the junction."""
    with pytest.raises(gu.SimulationError) as info:
        gu.simulate(one_pipe(70.0, mdot=2000.0), z="ideal")
    err = info.value
    assert err.kind == "infeasible"
    assert "out" in set(err.diagnosis["id"])
    assert "below zero" in str(err)


def test_regulator_cannot_raise_pressure() -> None:
    net = Network("reg", gas=gas_example_a())
    net.add("junctions", ["a", "b"])
    net.add("sources", "S", junction="a", p_set_bar=30.0)
    net.add("sinks", "D", junction="b", mass_flow_kg_s=5.0)
    net.add("control_valves", "R", from_junction="a", to_junction="b", mode="p_out",
            p_out_set_bar=40.0)
    with pytest.raises(gu.SimulationError) as info:
        gu.simulate(net, z="ideal")
    assert info.value.kind == "infeasible"
    assert list(info.value.diagnosis["id"]) == ["R"]


def test_not_converged_names_elements() -> None:
    with pytest.raises(gu.SimulationError) as info:
        gu.simulate(one_pipe(70.0, mdot=50.0), z="papay", max_iter=1, tol=1e-15)
    err = info.value
    assert err.kind == "not_converged"
    assert {"component", "id", "equation", "residual"} <= set(err.diagnosis.columns)
    assert set(err.diagnosis["id"]) <= {"in", "out", "P"}


def test_invalid_network_reports_validation_errors() -> None:
    net = one_pipe(70.0, mdot=50.0)
    net.pipes.loc["P", "diameter_mm"] = -1.0
    with pytest.raises(gu.SimulationError) as info:
        gu.simulate(net)
    assert info.value.kind == "setup"
    assert "diameter_mm" in str(info.value)


def test_zero_resistance_loops_are_opened() -> None:
    """A loop of short pipes a -> b, a -> x -> b: the flow split is undetermined (any split
    satisfies p_a = p_x = p_b); the solver sends it one way, says so, and conserves mass.
    (Two short pipes *in parallel* between the same junctions are units of one element and
    share the flow equally, see tests/simulation/test_local_laws.py.)"""
    net = Network("loop of short pipes", gas=gas_example_a())
    net.add("junctions", ["a", "b", "c", "x"])
    net.add("sources", "S", junction="a", p_set_bar=60.0)
    net.add("sinks", "D", junction="c", mass_flow_kg_s=10.0)
    net.add("short_pipes", ["s1", "s2", "s3"], from_junction=["a", "a", "x"],
            to_junction=["b", "x", "b"])
    net.add("pipes", "P", from_junction="b", to_junction="c", length_km=10.0, diameter_mm=300.0)
    res = gu.simulate(net, z="ideal")
    q = res.short_pipes["mass_flow_kg_s"]
    assert q["s1"] + q["s3"] == pytest.approx(10.0, rel=1e-12)  # mass balance at b
    assert q["s2"] == pytest.approx(q["s3"], abs=1e-12)  # and at x
    assert sorted([round(q["s1"], 12), round(q["s2"], 12)]) == [0.0, 10.0]
    assert any("undetermined" in a for a in res.summary["assumptions"])
    # a short pipe between two different fixed pressures is a contradiction
    net2 = Network("contradiction", gas=gas_example_a())
    net2.add("junctions", ["a", "b"])
    net2.add("sources", ["S1", "S2"], junction=["a", "b"], p_set_bar=[60.0, 50.0])
    net2.add("short_pipes", "s", from_junction="a", to_junction="b")
    with pytest.raises(gu.SimulationError,
                       match=r"short_pipes\['s'\] joins junctions 'a' and 'b' without resistance"):
        gu.simulate(net2)


def test_contradictory_compressor_ratio_is_an_error() -> None:
    """A compressor at ratio 1.2 in a loop with a short pipe would need p_C = 1.2 p_B and
    p_C = p_B at once; a ratio between two fixed pressures must equal their quotient."""
    net = Network("ratio loop", gas=gas_example_a())
    net.add("junctions", ["a", "b", "c"])
    net.add("sources", "S", junction="a", p_set_bar=60.0)
    net.add("sinks", "D", junction="c", mass_flow_kg_s=10.0)
    net.add("pipes", "P", from_junction="a", to_junction="b", length_km=10.0, diameter_mm=300.0)
    net.add("compressors", "K", from_junction="b", to_junction="c", mode="ratio", ratio_set=1.2)
    net.add("short_pipes", "s", from_junction="c", to_junction="b")
    with pytest.raises(gu.SimulationError,
                       match=r"compressors\['K'\] imposes the pressure ratio 1.2 between "
                             r"junctions 'b' and 'c', but their pressures are already fixed"):
        gu.simulate(net)
    net.remove("short_pipes", "s")
    net.add("sinks", "E", junction="c", p_set_bar=40.0)
    net.remove("pipes", "P")
    net.add("compressors", "K0", from_junction="a", to_junction="b", mode="ratio", ratio_set=1.0)
    # 60 bar -(K0, ratio 1)-> b -(K, ratio 1.2)-> 40 bar: the chain needs 60 * 1.2 = 40
    with pytest.raises(gu.SimulationError, match=r"compressors\['K0?'\] imposes the pressure ratio"):
        gu.simulate(net)


def test_gaslib582_matgas_simulates() -> None:
    """GasModels' gaslib-582-G.m has 13 loops of zero-resistance elements; the simulator
    opens them (documented) and converges; mass balance holds (sum in = sum out)."""
    from pathlib import Path

    net = gu.read(Path(__file__).resolve().parents[1] / "data" / "matgas" / "gaslib-582-G.m")
    res = gu.simulate(net, z="ideal")
    assert res.summary["converged"]
    assert res.sources["mass_flow_kg_s"].sum() == pytest.approx(res.sinks["mass_flow_kg_s"].sum(),
                                                               rel=1e-9)


def _abc() -> Network:
    net = Network("abc", gas=gas_example_a())
    net.add("junctions", ["A", "B", "C"], p_max_bar=80.0)
    net.add("sources", "S", junction="A", p_set_bar=70.0)
    net.add("sinks", "D", junction="C", mass_flow_kg_s=20.0)
    net.add("pipes", ["AB", "BC"], from_junction=["A", "B"], to_junction=["B", "C"],
            length_km=10.0, diameter_mm=500.0)
    return net


def test_automatic_pressure_reference() -> None:
    """An island with only flow set-points: validation warns, the simulator takes the source
    with the highest p_max_bar as reference (80 bar) and says so; the flows balance."""
    net = _abc()
    net.sources.loc["S", ["p_set_bar", "mass_flow_kg_s"]] = [float("nan"), 20.0]
    rep = net.validate()
    assert rep.ok and "simulate(slack='auto') takes source 'S'" in str(rep)
    res = gu.simulate(net, z="ideal")
    assert res.junctions.at["A", "p_bar"] == pytest.approx(80.0)
    assert res.sources.at["S", "mass_flow_kg_s"] == pytest.approx(20.0, rel=1e-12)
    assert any("taken as pressure reference" in a for a in res.summary["assumptions"])
    with pytest.raises(gu.SimulationError, match="no pressure reference"):
        gu.simulate(net, slack="none")


def test_out_of_service_elements_are_ignored() -> None:
    """Out-of-service sinks do not need a pressure reference, out-of-service pipes and sources
    break no bound, and a junction behind a closed valve has no pressure."""
    net = _abc()
    net.add("junctions", ["X", "Y"])
    net.add("sinks", "DX", junction="X", mass_flow_kg_s=5.0, in_service=False)
    net.add("valves", "V", from_junction="C", to_junction="Y", open=False)
    net.add("pipes", "AC", from_junction="A", to_junction="C", length_km=5.0, diameter_mm=300.0,
            p_max_bar=60.0, in_service=False)
    net.add("sources", "S2", junction="B", mass_flow_kg_s=1.0, mass_flow_min_kg_s=2.0,
            in_service=False)
    assert net.validate().ok
    res = gu.simulate(net, z="ideal")
    assert res.violations.empty, res.violations
    assert np.isnan(res.junctions.at["Y", "p_bar"])
    assert res.sinks.at["DX", "mass_flow_kg_s"] == 0.0


def test_balance_goes_to_sources_not_pressure_set_sinks() -> None:
    """A pressure-set source and a pressure-set sink on one junction: the supply the network
    draws (20 kg/s) is the source's, not a negative withdrawal of the sink."""
    net = _abc()
    net.add("sinks", "D2", junction="A", p_set_bar=70.0)
    res = gu.simulate(net, z="ideal")
    assert res.sources.at["S", "mass_flow_kg_s"] == pytest.approx(20.0, rel=1e-12)
    assert res.sinks.at["D2", "mass_flow_kg_s"] == 0.0


def test_inputs_the_friction_law_cannot_use() -> None:
    """Roughness 0 has no fully-rough (Nikuradse) friction factor: a setup error naming the
    pipe; Colebrook takes it (smooth pipe)."""
    net = _abc()
    net.pipes.loc["BC", "roughness_mm"] = 0.0
    with pytest.raises(gu.SimulationError) as info:
        gu.simulate(net, friction="nikuradse")
    assert info.value.kind == "setup" and list(info.value.diagnosis["id"]) == ["BC"]
    assert gu.simulate(net, friction="colebrook").summary["converged"]


def test_validation_catches_incomplete_operating_data() -> None:
    net = _abc()
    net.add("compressors", "K", from_junction="B", to_junction="C", mode="ratio",
            ratio_set=float("nan"), efficiency=0.0)
    net.add("storages", "U", junction="B", mass_flow_kg_s=float("nan"))
    msgs = {str(i) for i in net.validate().errors}
    assert "error: compressors['K'].ratio_set: mode 'ratio' needs a ratio set-point" in msgs
    assert "error: compressors['K'].efficiency: must lie in (0, 1], got 0" in msgs
    assert "error: storages['U'].mass_flow_kg_s: an in-service storage needs a finite flow " \
           "set-point" in msgs
