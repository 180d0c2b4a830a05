"""Expansion on a network whose cheapest candidate is obvious."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import gasunion as gu
from gasunion.optimize import optimize
from gasunion.optimize.periods import Periods


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


# ---- over the periods with linear transport (candidate table, reverse upgrades, targets)

def _two_days(demand_d2: float) -> tuple[gu.Network, Periods, pd.DataFrame]:
    """Field S at A (100 kg/s), town D at B: 10 kg/s on day d1, ``demand_d2`` on d2, over
    pipe AB rated 20 kg/s each way. Candidates: ``loop15`` (a 15 kg/s loop A->B, cost 10),
    ``rev`` (AB's reverse capacity raised to 60 kg/s, cost 1: gas flows A->B, so it cannot
    help) and ``loop50`` (a 50 kg/s loop, cost 25)."""
    net = gu.Network("two days")
    net.add("junctions", ["A", "B"])
    net.add("sources", "S", junction="A", mass_flow_max_kg_s=100.0)
    net.add("sinks", "D", junction="B", mass_flow_kg_s=10.0)
    net.add("pipes", "AB", from_junction="A", to_junction="B", length_km=10.0,
            diameter_mm=500.0, mass_flow_max_kg_s=20.0, mass_flow_min_kg_s=-20.0)
    days = Periods(["d1", "d2"], 24.0).with_profile(
        "sinks", "mass_flow_kg_s", pd.DataFrame({"D": [10.0, demand_d2]}, index=["d1", "d2"]))
    cand = pd.DataFrame({
        "id": ["loop15", "rev", "loop50"], "kind": ["pipe", "reverse", "pipe"],
        "from_junction": ["A", "", "A"], "to_junction": ["B", "", "B"],
        "diameter_mm": [400.0, np.nan, 700.0], "length_km": [10.0, np.nan, 10.0],
        "mass_flow_max_kg_s": [15.0, np.nan, 50.0], "mass_flow_min_kg_s": [-15.0, -60.0, -50.0],
        "element": ["", "AB", ""], "construction_cost": [10.0, 1.0, 25.0]})
    return net, days, cand


def test_two_periods_cheapest_loop() -> None:
    """Day d2 asks 30 kg/s at B; AB carries at most 20, so 10 more are needed. The reverse
    upgrade (cost 1) adds nothing in the A->B direction; loop15 (15 >= 10, cost 10) is
    cheaper than loop50 (cost 25): build loop15, cost 10. On d2 AB and the loop carry
    30 kg/s together; on d1 (10 kg/s) nothing binds."""
    net, days, cand = _two_days(30.0)
    res = optimize(net, "expansion", "linear", candidates=cand, periods=days)
    assert res.summary["built"] == ["loop15"]
    assert res.objective == pytest.approx(10.0)
    pipes = res["pipes"]["flow_kg_s"]
    assert pipes[("AB", "d2")] + pipes[("loop15", "d2")] == pytest.approx(30.0)
    assert res["sinks"].loc[("D", "d2"), "served_kg_s"] == pytest.approx(30.0)
    assert res["candidates"].loc["loop15", "built"]


def test_two_periods_needs_the_big_loop() -> None:
    """d2 asks 40 kg/s: 20 + 15 = 35 < 40, so loop15 no longer suffices; 20 + 50 >= 40:
    loop50 alone (25) beats loop15 + loop50 (35): build loop50, cost 25."""
    net, days, cand = _two_days(40.0)
    res = optimize(net, "expansion", "linear", candidates=cand, periods=days)
    assert res.summary["built"] == ["loop50"]
    assert res.objective == pytest.approx(25.0)


def _reverse_case() -> tuple[gu.Network, Periods, pd.DataFrame]:
    """Pipe AB was built for A->B (50 kg/s) and takes only 5 kg/s back. Now the gas is at B
    (source S, 100 kg/s) and the town D at A needs 5 kg/s on d1, 25 on d2. Candidates:
    ``rev_AB`` (AB's reverse capacity to 30 kg/s, cost 4) and ``loop_BA`` (a new 30 kg/s
    pipe B->A, cost 12). d2 needs 25 - 5 = 20 kg/s more from B to A: both suffice, the
    reverse upgrade is cheaper: build rev_AB, cost 4."""
    net = gu.Network("reverse")
    net.add("junctions", ["A", "B"])
    net.add("sources", "S", junction="B", mass_flow_max_kg_s=100.0)
    net.add("sinks", "D", junction="A", mass_flow_kg_s=5.0)
    net.add("pipes", "AB", from_junction="A", to_junction="B", length_km=100.0,
            diameter_mm=700.0, mass_flow_max_kg_s=50.0, mass_flow_min_kg_s=-5.0)
    days = Periods(["d1", "d2"], 24.0).with_profile(
        "sinks", "mass_flow_kg_s", pd.DataFrame({"D": [5.0, 25.0]}, index=["d1", "d2"]))
    cand = pd.DataFrame({
        "kind": ["reverse", "pipe"], "element": ["AB", ""], "from_junction": ["", "B"],
        "to_junction": ["", "A"], "diameter_mm": [np.nan, 500.0], "length_km": [np.nan, 100.0],
        "mass_flow_max_kg_s": [np.nan, 30.0], "mass_flow_min_kg_s": [-30.0, 0.0],
        "construction_cost": [4.0, 12.0]}, index=pd.Index(["rev_AB", "loop_BA"], name="id"))
    return net, days, cand


def test_reverse_upgrade_is_the_answer() -> None:
    net, days, cand = _reverse_case()
    res = optimize(net, "expansion", "linear", candidates=cand, periods=days)
    assert res.summary["built"] == ["rev_AB"]
    assert res.objective == pytest.approx(4.0)
    assert res["pipes"].loc[("AB", "d2"), "flow_kg_s"] == pytest.approx(-25.0)
    assert res["candidates"].loc["rev_AB", "capacity_reverse_kg_s"] == pytest.approx(30.0)


def test_transit_target_per_period() -> None:
    """Same network, no obligation to serve D (serve=None) but a transit target across AB
    towards A (negative = reverse): 5 kg/s on d1, 25 on d2. The same reasoning gives the
    reverse upgrade (cost 4), and the transit table shows the flows -5 and -25 kg/s."""
    net, days, cand = _reverse_case()
    res = optimize(net, "expansion", "linear", candidates=cand, periods=days, serve=None,
                   transit={"AB": [-5.0, -25.0]})
    assert res.summary["built"] == ["rev_AB"]
    t = res["transit"]
    assert t.loc[("AB", "d2"), "flow_kg_s"] == pytest.approx(-25.0)
    assert t.loc[("AB", "d1"), "target_kg_s"] == pytest.approx(-5.0)


def test_no_candidate_set_suffices() -> None:
    """d2 asks 100 kg/s: with every candidate built B receives at most 20 + 15 + 50 = 85:
    infeasible; the diagnosis names junction B on d2, 15 kg/s short."""
    net, days, cand = _two_days(100.0)
    with pytest.raises(gu.OptimizationError) as err:
        optimize(net, "expansion", "linear", candidates=cand, periods=days)
    assert err.value.kind == "infeasible"
    diag = err.value.diagnosis
    short = diag[diag["constraint"] == "violated: node balance"]
    assert list(short["element"]) == ["B"] and list(short["period"]) == ["d2"]
    assert short["amount"].iloc[0] == pytest.approx(15.0)
    assert "junction B in period d2" in err.value.message


def test_candidate_table_errors() -> None:
    net, days, cand = _two_days(30.0)
    bad = cand.assign(element=["", "nope", ""])
    with pytest.raises(gu.OptimizationError, match="must name an existing branch") as err:
        optimize(net, "expansion", "linear", candidates=bad, periods=days)
    assert err.value.kind == "bad_input"
    with pytest.raises(gu.OptimizationError, match="need formulation='linear'"):
        optimize(net, "expansion", "relaxed", candidates=cand)


def test_every_bad_candidate_row_is_reported_at_once() -> None:
    """Four rows, each with its own faults, checked in one call: the diagnosis has one row per
    (candidate, column) with the row's position in the table given, the value as written and
    what it must be; a column that is not a number is not also reported as missing."""
    net, days, _ = _two_days(30.0)
    bad = pd.DataFrame({
        "id": ["k1", "p1", "p1", "r1"],
        "kind": ["pipee", "pipe", "compressor", "reverse"],
        "from_junction": ["A", "Q", "A", ""], "to_junction": ["B", "B", "B", ""],
        "diameter_mm": ["300", "abc", "", ""], "length_km": ["10", "10", "", ""],
        "mass_flow_max_kg_s": ["", "", "", ""], "mass_flow_min_kg_s": ["", "", "", "5"],
        "element": ["", "", "", "nope"], "construction_cost": ["1", "-2", "3", ""]})
    with pytest.raises(gu.OptimizationError) as err:
        optimize(net, "expansion", "linear", candidates=bad, periods=days)
    assert err.value.kind == "bad_input"
    diag = err.value.diagnosis
    got = {(r.row, r.column, r.value) for r in diag.itertuples()}
    assert got == {
        (0, "kind", "pipee"),
        (1, "id", "p1"), (1, "from_junction", "Q"), (1, "diameter_mm", "abc"),
        (1, "construction_cost", "-2"),
        (2, "id", "p1"), (2, "mass_flow_max_kg_s", ""),
        (3, "construction_cost", ""), (3, "mass_flow_min_kg_s", "5"), (3, "element", "nope")}
    assert all(diag["explanation"].str.startswith("candidate "))
    assert "10 problem(s) in 4 row(s)" in err.value.message
