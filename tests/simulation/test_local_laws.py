"""An element's law must not depend on the size of the rest of the network.

Two defects found by review (issue "Trustworthy answers at scale", section 1):

* a fixed-loss resistor lost ``dp * tanh(q / eps)`` with ``eps = 1e-4`` x the whole network's
  throughput, so a 1-bar resistor carrying 0.003 kg/s next to a 200 kg/s demand lost 0.29 bar;
* two identical compressor units in parallel (same ratio) got 200 / 0 kg/s and a false power
  violation, because the loop they form was "opened" at an arbitrary unit.

Reference values are the laws themselves (the set loss; equal ratio and load sharing by power
limit, documented in the user guide) and conservation of mass.
"""

from __future__ import annotations

import numpy as np
import pytest

import gasunion as gu
from gasunion.network import Network


def resistor_net(q_small: float, q_big: float, reverse: bool = False) -> Network:
    """S (60 bar) -pipe- A; A -> resistor R (1 bar) -> B with a sink of ``q_small``; a large
    sink ``q_big`` at A (the rest of the network). With ``reverse`` the resistor is drawn
    B -> A (flow against its direction)."""
    net = Network("resistor")
    net.add("junctions", ["S", "A", "B"])
    net.add("sources", "src", junction="S", p_set_bar=60.0)
    net.add("pipes", "P", from_junction="S", to_junction="A", length_km=1.0,
            diameter_mm=1400.0, roughness_mm=0.05)
    fr, to = ("B", "A") if reverse else ("A", "B")
    net.add("resistors", "R", from_junction=fr, to_junction=to, pressure_loss_bar=1.0)
    net.add("sinks", ["small", "big"], junction=["B", "A"], mass_flow_kg_s=[q_small, q_big])
    return net


@pytest.mark.parametrize("q_small", [1e-6, 1e-4, 0.003, 0.1, 10.0, 300.0])
@pytest.mark.parametrize("q_big", [0.0, 200.0, 2000.0])
def test_fixed_loss_independent_of_network_size(q_small: float, q_big: float) -> None:
    """The loss is the set 1 bar (within 1e-3 relative) for every flow that is not
    numerically zero, whatever the other demand."""
    res = gu.simulate(resistor_net(q_small, q_big))
    p = res.junctions["p_bar"]
    assert p["A"] - p["B"] == pytest.approx(1.0, rel=1e-3)
    assert res.resistors.at["R", "mass_flow_kg_s"] == pytest.approx(q_small, rel=1e-9)


def test_fixed_loss_reverse_flow() -> None:
    """Flow against the drawing direction: the pressure falls in the flow direction."""
    res = gu.simulate(resistor_net(0.003, 200.0, reverse=True))
    p = res.junctions["p_bar"]
    assert p["A"] - p["B"] == pytest.approx(1.0, rel=1e-3)
    assert res.resistors.at["R", "mass_flow_kg_s"] == pytest.approx(-0.003, rel=1e-9)


def test_fixed_loss_smoothing_stated() -> None:
    res = gu.simulate(resistor_net(0.003, 200.0))
    text = " ".join(res.summary["assumptions"])
    assert "fixed-loss resistor" in text


def test_fixed_loss_in_parallel_with_pipe_carries_nothing_when_pipe_drop_is_smaller() -> None:
    """A 1-bar resistor in parallel with a pipe that loses less than 1 bar: by its law
    ``p_i - p_j = dp sign(q)`` the resistor can only carry flow at a 1-bar difference, so it
    carries (numerically) nothing and the pipe takes the whole demand."""
    net = Network("parallel")
    net.add("junctions", ["S", "A"])
    net.add("sources", "src", junction="S", p_set_bar=60.0)
    net.add("pipes", "P", from_junction="S", to_junction="A", length_km=1.0,
            diameter_mm=1000.0, roughness_mm=0.05)
    net.add("resistors", "R", from_junction="S", to_junction="A", pressure_loss_bar=1.0)
    net.add("sinks", "d", junction="A", mass_flow_kg_s=50.0)
    res = gu.simulate(net)
    assert abs(res.resistors.at["R", "mass_flow_kg_s"]) < 1e-6
    assert res.pipes.at["P", "mass_flow_kg_s"] == pytest.approx(50.0, abs=1e-6)
    assert res.junctions["p_bar"]["S"] - res.junctions["p_bar"]["A"] < 1.0


def fixed_lambda_net(q_small: float, q_big: float) -> Network:
    net = Network("fixed lambda")
    net.add("junctions", ["S", "A", "B"])
    net.add("sources", "src", junction="S", p_set_bar=60.0)
    net.add("pipes", ["P", "Q"], from_junction=["S", "A"], to_junction=["A", "B"],
            length_km=[1.0, 50.0], diameter_mm=[1400.0, 300.0], roughness_mm=0.05,
            friction_factor=[np.nan, 0.012])
    net.add("sinks", ["small", "big"], junction=["B", "A"], mass_flow_kg_s=[q_small, q_big])
    return net


@pytest.mark.parametrize("q_big", [0.0, 200.0, 2000.0])
def test_fixed_lambda_pipe_independent_of_network_size(q_big: float) -> None:
    """Pipe Q has a fixed lambda = 0.012; its squared-pressure drop is (ideal gas, flat)
    ``pi_A - pi_B = R_s T / A^2 * lambda L / D * q|q|`` [Pa^2] — the same whatever the rest of
    the network carries (here q = 0.05 kg/s, Re = 4 q / (pi D mu) ~ 1.9e4)."""
    q = 0.05
    res = gu.simulate(fixed_lambda_net(q, q_big), z="ideal")
    gas = gu.GasProperties()
    area = np.pi * 0.3**2 / 4
    expected = gas.r_specific * gas.temperature_k / area**2 * 0.012 * 50e3 / 0.3 * q * q / 1e10
    p = res.junctions["p_bar"]
    assert p["A"] ** 2 - p["B"] ** 2 == pytest.approx(expected, rel=1e-6)


def station(power_max: tuple[float, float], mode: str = "ratio") -> Network:
    """S (50 bar) -> pipe -> A => two units K1, K2 (A -> B, ratio 1.4 or p_out 65 bar) =>
    B -> pipe -> sink 200 kg/s."""
    net = Network("station")
    net.add("junctions", ["S", "A", "B", "C"])
    net.add("sources", "src", junction="S", p_set_bar=50.0)
    net.add("pipes", ["in", "out"], from_junction=["S", "B"], to_junction=["A", "C"],
            length_km=[20.0, 80.0], diameter_mm=1000.0, roughness_mm=0.05)
    net.add("compressors", ["K1", "K2"], from_junction="A", to_junction="B", mode=mode,
            ratio_set=1.4, p_out_set_bar=65.0, power_max_mw=list(power_max), fuel_model="none")
    net.add("sinks", "d", junction="C", mass_flow_kg_s=200.0)
    return net


@pytest.mark.parametrize("mode", ["ratio", "p_out"])
def test_parallel_units_share_equally(mode: str) -> None:
    """Identical units: 100 / 100 kg/s, equal ratio, and no power violation although one unit
    alone would need about twice its power limit (computed here from the result's head)."""
    res = gu.simulate(station((6.0, 6.0), mode))
    c = res.compressors
    assert c.at["K1", "mass_flow_kg_s"] == pytest.approx(100.0, rel=1e-9)
    assert c.at["K2", "mass_flow_kg_s"] == pytest.approx(100.0, rel=1e-9)
    assert c.at["K1", "ratio"] == pytest.approx(c.at["K2", "ratio"], rel=1e-12)
    one_unit_mw = 200.0 * c.at["K1", "head_j_kg"] / 0.8 / 1e6
    assert one_unit_mw > 6.0 > c.at["K1", "power_mw"]  # the case is meaningful
    assert res.violations.empty, res.violations
    assert any("parallel" in a for a in res.summary["assumptions"])


def test_parallel_units_share_by_power_limit() -> None:
    """Unequal units (10 and 30 MW): flows in proportion to the power limits, 50 / 150 kg/s."""
    res = gu.simulate(station((10.0, 30.0)))
    c = res.compressors
    assert c.at["K1", "mass_flow_kg_s"] == pytest.approx(50.0, rel=1e-9)
    assert c.at["K2", "mass_flow_kg_s"] == pytest.approx(150.0, rel=1e-9)
    assert c["power_mw"].sum() == pytest.approx(
        200.0 * c.at["K1", "head_j_kg"] / 0.8 / 1e6, rel=1e-9)


def test_parallel_units_fuel_conserved() -> None:
    """Fuel per unit from its own flow; the station total equals one unit carrying all."""
    net = station((10.0, 10.0))
    net.compressors["fuel_model"] = "share"
    net.compressors["fuel_share"] = 0.01
    res = gu.simulate(net)
    c = res.compressors
    assert c["fuel_kg_s"].tolist() == pytest.approx([1.0, 1.0], rel=1e-6)
    assert res.sources.at["src", "mass_flow_kg_s"] == pytest.approx(202.0, rel=1e-6)


def test_parallel_control_valves_share() -> None:
    """Two regulators in parallel at the same outlet set-point share the flow equally."""
    net = Network("regulators")
    net.add("junctions", ["S", "A", "B"])
    net.add("sources", "src", junction="S", p_set_bar=60.0)
    net.add("pipes", "in", from_junction="S", to_junction="A", length_km=5.0,
            diameter_mm=800.0, roughness_mm=0.05)
    net.add("control_valves", ["V1", "V2"], from_junction="A", to_junction="B",
            p_out_set_bar=30.0, mass_flow_max_kg_s=60.0)
    net.add("sinks", "d", junction="B", mass_flow_kg_s=100.0)
    res = gu.simulate(net)
    cv = res.control_valves
    assert cv["mass_flow_kg_s"].tolist() == pytest.approx([50.0, 50.0], rel=1e-9)
    assert res.violations.empty, res.violations
