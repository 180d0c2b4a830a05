"""Expansion on a network whose cheapest candidate is obvious."""

from __future__ import annotations

import pytest

import gasunion as gu
from gasunion.optimize import optimize


def _net() -> tuple[gu.Network, dict]:
    """A town (20 kg/s) not yet connected to the field: two candidate pipes would each do,
    one costs 10, the other 50; a third (cost 1) is far too thin to carry 20 kg/s."""
    net = gu.Network("grow")
    net.add("junctions", ["F", "T"], p_min_bar=30.0, p_max_bar=70.0)
    net.add("sources", "field", junction="F", p_set_bar=60.0)
    net.add("sinks", "town", junction="T", mass_flow_kg_s=20.0)
    cand = {"ne_pipe": [
        {"id": "cheap", "from_junction": "F", "to_junction": "T", "length_km": 40.0,
         "diameter_mm": 400.0, "friction_factor": 0.01, "construction_cost": 10.0},
        {"id": "dear", "from_junction": "F", "to_junction": "T", "length_km": 40.0,
         "diameter_mm": 600.0, "friction_factor": 0.01, "construction_cost": 50.0},
        {"id": "thin", "from_junction": "F", "to_junction": "T", "length_km": 40.0,
         "diameter_mm": 20.0, "friction_factor": 0.01, "construction_cost": 1.0}]}
    return net, cand


@pytest.mark.parametrize("formulation", ["relaxed", "nlp"])
def test_cheapest_candidate(formulation: str) -> None:
    net, cand = _net()
    res = optimize(net, "expansion", formulation, candidates=cand, z="ideal")
    assert res.objective == pytest.approx(10.0)
    assert res.summary["built"] == ["ne_pipe_cheap"]


def test_linear_transport_ignores_pressure_only_through_bounds() -> None:
    """Transport only: the thin pipe's flow bound (from the pressure bounds) still rules it
    out, so the cheap one is chosen too."""
    net, cand = _net()
    res = optimize(net, "expansion", "linear", candidates=cand, z="ideal")
    assert res.summary["built"] == ["ne_pipe_cheap"]


def test_no_candidates() -> None:
    net, _ = _net()
    with pytest.raises(gu.OptimizationError) as err:
        optimize(net, "expansion")
    assert err.value.kind == "bad_input"
