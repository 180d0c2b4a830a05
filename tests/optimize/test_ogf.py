"""Optimal gas flow on hand-checkable networks, confirmed by the simulator."""

from __future__ import annotations

import math

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
