"""``operate``: the operated network, written to JSON and read back, simulates with no
violated bound (under the simulator's default physics), where the input network does not."""

from __future__ import annotations

from pathlib import Path

import pytest

import gasunion as gu
from gasunion.optimize import OptimizationError

DATA = Path(__file__).resolve().parents[1] / "data" / "gaslib"
CASES = {
    "GasLib-11": ("GasLib-11/GasLib-11.net", "GasLib-11/GasLib-11.scn"),
    "GasLib-24": ("GasLib-24/GasLib-24.net", "GasLib-24/GasLib-24.scn"),
    "GasLib-40": ("GasLib-40/GasLib-40.net", "GasLib-40/GasLib-40.scn"),
    **{f"GasLib-134/{d}": ("GasLib-134/GasLib-134-v2.net",
                           f"GasLib-134/Nominations-134/{d}.scn")
       for d in ("2011-11-01", "2011-11-02", "2011-11-03")},
}


def _read(case: str) -> gu.Network:
    net, scn = CASES[case]
    return gu.read(DATA / net, scenario=DATA / scn)


@pytest.mark.parametrize("case", list(CASES))
def test_operated_network_confirms_after_json_round_trip(case: str, tmp_path: Path) -> None:
    net = _read(case)
    before = gu.simulate(net, raise_on_failure=False)
    assert len(before.violations) > 0  # as read, the nomination breaks bounds
    messages: list[str] = []
    res = gu.optimize(net, problem="operate", progress=messages.append)
    assert res.problem == "operate" and res.status in ("optimal", "feasible")
    assert res.summary["violations_before"] == len(before.violations)
    assert res.summary["violations_after"] == 0
    assert res.summary["n_simulations"] >= 1 and messages
    assert res.network is not None
    # the user's path: write the operated network, read it back, simulate with the defaults
    paths = res.write(tmp_path)
    assert tmp_path / "network.json" in paths
    back = gu.read(tmp_path / "network.json")
    after = gu.simulate(back)
    assert after.violations.empty, after.violations
    # the nomination is kept: every sink takes what it was nominated
    assert (after.sinks["mass_flow_kg_s"] - net.sinks["mass_flow_kg_s"]).abs().max() < 1e-6
    d = res["decisions"]
    assert {"mode", "setpoint", "lower", "upper"} <= set(d.columns)
    held = d["setpoint"].notna()
    assert ((d.loc[held, "setpoint"] >= d.loc[held, "lower"] - 1e-9)
            & (d.loc[held, "setpoint"] <= d.loc[held, "upper"] + 1e-9)).all()
    assert net.compressors["mode"].eq("bypass").all()  # the input is not changed


def test_regulator_is_put_to_work_on_gaslib_134() -> None:
    res = gu.optimize(_read("GasLib-134/2011-11-01"), problem="operate")
    d = res["decisions"]
    cv = d[d["component"] == "control_valves"].iloc[0]
    assert cv["mode"] == "p_out" and cv["setpoint"] <= 37.7  # the low-pressure district's cap
    assert res.network is not None
    assert res.network.control_valves.iloc[0]["mode"] == "p_out"


def test_compressor_ratio_is_the_least_that_meets_the_delivery_pressure() -> None:
    net = gu.Network("line")
    net.add("junctions", ["S", "A", "B", "D"], p_max_bar=80.0,
            p_min_bar=[30.0, 30.0, 30.0, 45.0])
    net.add("sources", "field", junction="S", p_set_bar=50.0)  # a fixed entry pressure
    net.add("sinks", "town", junction="D", mass_flow_kg_s=60.0)
    net.add("pipes", ["SA", "BD"], from_junction=["S", "B"], to_junction=["A", "D"],
            length_km=[60.0, 80.0], diameter_mm=600.0, roughness_mm=0.02)
    net.add("compressors", "CS", from_junction="A", to_junction="B", mode="bypass",
            ratio_max=1.8, p_out_max_bar=75.0)
    assert len(gu.simulate(net).violations) == 1  # delivery pressure too low in bypass
    res = gu.optimize(net, problem="operate")
    assert res.summary["violations_after"] == 0
    assert res["decisions"].at["CS", "mode"] == "ratio"
    assert res.objective > 0 and res.summary["objective_unit"] == "MW"
    # least power: the delivery pressure sits just above its minimum
    assert 45.0 <= res["junctions"].at["D", "p_bar"] < 45.05
    assert res.network is not None
    assert gu.simulate(res.network).violations.empty


def test_infeasible_names_the_bounds_still_broken() -> None:
    # the reader's reference pressure (66.4 bar at node_1) kept fixed: no regulator lies
    # between it and junctions capped at 55 bar, so no operation exists
    net = _read("GasLib-134/2011-11-01")
    with pytest.raises(OptimizationError) as err:
        gu.optimize(net, problem="operate", free_pressures=False)
    e = err.value
    assert e.kind == "infeasible"
    diag = e.diagnosis
    assert {"constraint", "component", "element", "amount", "unit"} <= set(diag.columns)
    assert "node_6" in set(diag["element"]) and (diag["amount"] > 0).all()


def test_bad_options_are_bad_input() -> None:
    net = _read("GasLib-11")
    with pytest.raises(OptimizationError) as err:
        gu.optimize(net, problem="operate", objective="cheapest")
    assert err.value.kind == "bad_input"
    with pytest.raises(OptimizationError) as err:
        gu.optimize(net, problem="operate", formulation="nope")
    assert err.value.kind == "bad_input"
