"""Optimal gas flow on hand-checkable networks, confirmed by the simulator."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

import gasunion as gu
from gasunion.optimize import optimize


def _triangle() -> gu.Network:
    """Source A at 60 bar; dispatchable sinks B and C (p >= 40 bar); identical pipes A-B and
    A-C, a pipe B-C; fixed lambda 0.01."""
    net = gu.Network("triangle")
    net.add("junctions", ["A", "B", "C"], p_min_bar=40.0, p_max_bar=70.0)
    net.add("sources", "S", junction="A", p_set_bar=60.0)
    net.add("sinks", ["dB", "dC"], junction=["B", "C"], mass_flow_kg_s=10.0,
            mass_flow_min_kg_s=0.0)
    net.add("pipes", ["AB", "AC", "BC"], from_junction=["A", "A", "B"],
            to_junction=["B", "C", "C"], length_km=[50.0, 50.0, 30.0], diameter_mm=500.0,
            friction_factor=0.01)
    return net


def test_triangle_max_delivery_by_hand_and_relaxation() -> None:
    """By symmetry p_B = p_C = 40 bar (the bound), no flow on B-C, and each of A-B, A-C
    carries q = sqrt((60^2 - 40^2) 1e10 / K), K = lambda R_s T L / (D A^2) (ideal gas,
    horizontal: docs/validation.md §1.1 eq. (1)). The LRWP relaxation is exact here (both
    pipes sit at the vertex q_max of their hull), so NLP and relaxation agree."""
    net = _triangle()
    gas = net.gas
    d, length = 0.5, 50e3
    area = math.pi * d**2 / 4
    k = 0.01 * gas.r_specific * gas.temperature_k * length / (d * area**2)
    q = math.sqrt((60.0**2 - 40.0**2) * 1e10 / k)
    nlp = optimize(net, "ogf", objective="max_delivery", z="ideal")
    rel = optimize(net, "ogf", "relaxed", objective="max_delivery", z="ideal")
    assert nlp.objective == pytest.approx(2 * q, rel=1e-6)
    assert rel.objective == pytest.approx(2 * q, rel=1e-6)
    assert abs(nlp.summary["gap"]) < 1e-6
    assert nlp["pipes"].loc["BC", "mass_flow_kg_s"] == pytest.approx(0.0, abs=1e-4)
    sim = gu.simulate(nlp.network, z="ideal")
    assert np.allclose(sim.junctions["p_bar"], nlp["junctions"]["p_bar"], atol=1e-6)


def _compressor_line(fuel_model: str = "power") -> gu.Network:
    net = gu.Network("line")
    net.add("junctions", ["A", "B", "C"], p_min_bar=[30.0, 30.0, 45.0], p_max_bar=80.0)
    net.add("sources", "S", junction="A", p_set_bar=50.0)
    net.add("sinks", "T", junction="C", mass_flow_kg_s=40.0)
    net.add("compressors", "K", from_junction="A", to_junction="B", ratio_min=1.0,
            ratio_max=1.6, fuel_model=fuel_model)
    net.add("pipes", "BC", from_junction="B", to_junction="C", length_km=100.0,
            diameter_mm=500.0)
    return net


@pytest.mark.parametrize("objective", ["min_power", "min_fuel"])
def test_min_power_compresses_just_enough(objective: str) -> None:
    """Power grows with the ratio, so the optimum puts C exactly at its 45 bar minimum; the
    simulator (nikuradse, papay: the defaults) reproduces the state, fuel included."""
    res = optimize(_compressor_line(), "ogf", objective=objective)
    assert res["junctions"].loc["C", "p_bar"] == pytest.approx(45.0, abs=1e-5)
    comp = res["compressors"].loc["K"]
    assert comp["ratio"] > 1.01
    sim = gu.simulate(res.network)
    assert sim.junctions.loc["C", "p_bar"] == pytest.approx(45.0, abs=1e-5)
    assert sim.compressors.loc["K", "power_mw"] == pytest.approx(comp["power_mw"], rel=1e-6)
    assert sim.compressors.loc["K", "fuel_kg_s"] == pytest.approx(comp["fuel_kg_s"], rel=1e-6)
    assert sim.sources.loc["S", "mass_flow_kg_s"] == pytest.approx(
        res["sources"].loc["S", "mass_flow_kg_s"], rel=1e-8)


def test_colebrook_outer_passes_agree_with_simulator() -> None:
    """Re-dependent friction: lambda is re-evaluated from the NLP's flows until it settles;
    the simulator with colebrook then gives the same state."""
    res = optimize(_compressor_line(), "ogf", friction="colebrook")
    sim = gu.simulate(res.network, friction="colebrook")
    assert np.allclose(sim.junctions["p_bar"], res["junctions"]["p_bar"], atol=1e-5)


def test_demand_above_pressure_limits_is_infeasible() -> None:
    """No compressor ratio within 1.6 delivers 400 kg/s at 45 bar: infeasible, and the
    diagnosis names the bounds the elastic re-solve relaxed."""
    net = _compressor_line()
    net.sinks.loc["T", "mass_flow_kg_s"] = 400.0
    with pytest.raises(gu.OptimizationError) as err:
        optimize(net, "ogf")
    assert err.value.kind == "infeasible"
    assert len(err.value.diagnosis)
    assert {"constraint", "component", "element", "amount"} <= set(err.value.diagnosis.columns)


def test_bad_objective() -> None:
    with pytest.raises(gu.OptimizationError) as err:
        optimize(_triangle(), "ogf", objective="nope")
    assert err.value.kind == "bad_input"


def test_summary_and_json() -> None:
    res = optimize(_compressor_line(), "ogf", progress=lambda s: None)
    d = res.to_dict()
    for key in ("status", "objective", "objective_unit", "build_time_s", "solve_time_s", "gap",
                "solver_message", "assumptions"):
        assert key in d


GASLIB = Path(__file__).resolve().parents[1] / "data" / "gaslib"
NOMINATIONS = [
    ("GasLib-11/GasLib-11.net", "GasLib-11/GasLib-11.scn"),
    ("GasLib-24/GasLib-24.net", "GasLib-24/GasLib-24.scn"),
    ("GasLib-40/GasLib-40.net", "GasLib-40/GasLib-40.scn"),
    *[("GasLib-134/GasLib-134-v2.net", f"GasLib-134/Nominations-134/2011-11-0{d}.scn")
      for d in (1, 2, 3)],
    ("GasLib-135/GasLib-135.net", "GasLib-135/GasLib-135.scn"),
]


def _gaslib(net: str, scn: str, factor: float = 1.0) -> gu.Network:
    out = gu.read(GASLIB / net, scenario=GASLIB / scn)
    for kind in ("sources", "sinks"):
        out[kind]["mass_flow_kg_s"] = out[kind]["mass_flow_kg_s"] * factor
    return out


def _confirmed(res) -> gu.SimulationResult:
    """The simulator (same physics) on the operated network: no violated bound, the NLP's
    pressures and flows."""
    sim = gu.simulate(res.network)
    assert len(sim.violations) == 0, sim.violations
    assert np.allclose(sim.junctions["p_bar"], res["junctions"]["p_bar"], atol=1e-6)
    assert np.allclose(sim.pipes["mass_flow_kg_s"], res["pipes"]["mass_flow_kg_s"], atol=1e-5)
    return sim


@pytest.mark.parametrize("net_file, scn", NOMINATIONS, ids=[s.split("/")[-1] for _, s in
                                                             NOMINATIONS])
def test_gaslib_nomination_min_power_confirmed_by_simulator(net_file: str, scn: str) -> None:
    """Stations (read in bypass) and regulators (read open) are decisions, the reader's
    reference pressure is free: the optimum needs no compression (power >= 0, so 0 is the
    least), the simulator confirms the operated network with no violated bound, and the
    nomination is delivered as given."""
    net = _gaslib(net_file, scn)
    res = optimize(net, "ogf", objective="min_power")
    assert res.status == "optimal"
    assert res.objective == pytest.approx(0.0, abs=1e-6)
    sim = _confirmed(res)
    modes = res.network.compressors["mode"]
    assert modes.isin(["bypass", "off"]).all()
    nominated = net.sinks["mass_flow_kg_s"]
    assert np.allclose(sim.sinks.loc[nominated.index, "mass_flow_kg_s"], nominated, atol=1e-6)
    cv = res.network.control_valves
    for cid in cv.index[cv["mode"] == "p_out"]:  # active regulators: reduction in the band
        red = sim.control_valves.loc[cid, "p_from_bar"] - sim.control_valves.loc[cid, "p_to_bar"]
        assert max(cv.at[cid, "p_diff_min_bar"], 0.0) - 1e-6 <= red <= cv.at[cid, "p_diff_max_bar"]


def test_gaslib11_higher_nomination_compresses() -> None:
    """GasLib-11 with every nominated flow x1.6: bypassing both stations breaks pressure
    bounds, so one station compresses (ratio > 1, mode ratio). The simulator confirms the
    state and the NLP's shaft power; the reference source supplies nomination + fuel."""
    net = _gaslib(*NOMINATIONS[0], factor=1.6)
    res = optimize(net, "ogf", objective="min_power")
    sim = _confirmed(res)
    active = res.network.compressors["mode"] == "ratio"
    assert active.sum() == 1
    assert res.objective > 0.01
    assert sim.compressors["power_mw"].sum() == pytest.approx(res.objective, rel=1e-6)
    fuel = float(sim.compressors["fuel_kg_s"].sum())
    ref = sim.sources.loc["entry01", "mass_flow_kg_s"]
    assert ref == pytest.approx(net.sources.loc["entry01", "mass_flow_kg_s"] + fuel, abs=1e-6)


def test_nomination_beyond_element_bound_is_infeasible() -> None:
    net = _gaslib(*NOMINATIONS[0])
    net.sinks.loc["exit01", "mass_flow_kg_s"] = 300.0  # mass_flow_max_kg_s 272.57
    with pytest.raises(gu.OptimizationError) as err:
        optimize(net, "ogf", objective="min_power")
    assert err.value.kind == "infeasible"
    assert list(err.value.diagnosis["element"]) == ["exit01"]


def _regulated(b_min: float, b_max: float, diff_max: float = 10.0) -> gu.Network:
    """Source at A fixed at 60 bar; regulator A->B (reduction band [1, diff_max] bar, read
    open); a 1 km pipe B->C; 10 kg/s delivered at C."""
    net = gu.Network("regulated")
    net.add("junctions", ["A", "B", "C"], p_min_bar=[30.0, b_min, 30.0],
            p_max_bar=[70.0, b_max, 70.0])
    net.add("sources", "S", junction="A", p_set_bar=60.0)
    net.add("sinks", "T", junction="C", mass_flow_kg_s=10.0)
    net.add("control_valves", "CV", from_junction="A", to_junction="B", mode="open",
            p_diff_min_bar=1.0, p_diff_max_bar=diff_max, mass_flow_min_kg_s=-100.0,
            mass_flow_max_kg_s=100.0)
    net.add("pipes", "BC", from_junction="B", to_junction="C", length_km=1.0, diameter_mm=500.0)
    return net


def test_regulator_reduction_respects_p_diff_min() -> None:
    """B in [58.9, 59.8] bar: a reduction of 0.2-1.1 bar is needed, the band allows >= 1 bar,
    so the regulator is active (p_out) with a reduction in [1, 1.1] bar. (The first solve,
    reduction in [0, p_diff_max], lands inside (0, 1); the re-solve fixes the mode.)"""
    msgs: list[str] = []
    res = optimize(_regulated(58.9, 59.8), "ogf", objective="min_power", progress=msgs.append)
    sim = _confirmed(res)
    assert any("re-solving with them open or active" in m for m in msgs)
    assert res.network.control_valves.at["CV", "mode"] == "p_out"
    assert 1.0 - 1e-6 <= 60.0 - sim.junctions.at["B", "p_bar"] <= 1.1 + 1e-6


def test_regulator_opens_when_the_band_cannot_be_met() -> None:
    """B in [59.2, 61] bar: any active reduction (>= 1 bar) puts B below 59.2, so the
    regulator is open and B is at 60 bar."""
    res = optimize(_regulated(59.2, 61.0), "ogf", objective="min_power")
    sim = _confirmed(res)
    assert res.network.control_valves.at["CV", "mode"] == "open"
    assert sim.junctions.at["B", "p_bar"] == pytest.approx(60.0, abs=1e-6)


def test_regulator_band_conflict_is_diagnosed() -> None:
    """B at most 55 bar needs a 5 bar reduction from 60 bar, the band allows 2: the elastic
    re-solve moves the regulator's p_diff_max by 3 bar (the cheapest relaxation, against
    55 -> 58 bar on B's bound) and the diagnosis says so."""
    with pytest.raises(gu.OptimizationError) as err:
        optimize(_regulated(50.0, 55.0, diff_max=2.0), "ogf", objective="min_power")
    d = err.value.diagnosis
    assert err.value.kind == "infeasible"
    row = d[d["constraint"] == "reduction_upper"].iloc[0]
    assert (row["component"], row["element"]) == ("control_valves", "CV")
    assert row["amount"] == pytest.approx(3.0, abs=1e-4)
