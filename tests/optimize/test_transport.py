"""The transport LP: a hand-worked optimum, duality by finite differences, per-direction
capacities, fees, contracts and take-or-pay, infeasibility diagnosis, bad input, and the
12-month Central Asia case (solves, conserves mass per period, cycles its storages)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import gasunion as gu
from gasunion.optimize import OptimizationError, optimize
from gasunion.optimize.periods import Periods
from gasunion.optimize.transport import transport
from gasunion.physics.compressibility import make_z_model
from gasunion.physics.friction import lambda_nikuradse
from gasunion.physics.pipe import mass_flow_from_pressures

DAY = 86400.0


def two_node(d1: float = 40.0, d2: float = 80.0, da: float = 5.0) -> tuple[gu.Network, Periods]:
    """A -> B, storage and an expensive source at B, two days (see test_hand_optimum)."""
    net = gu.Network("two nodes")
    net.add("junctions", ["A", "B"], p_max_bar=80.0, country=["KZ", "UZ"])
    net.add("sources", "S", junction="A", mass_flow_max_kg_s=100.0, cost_per_kg=0.10)
    net.add("sources", "S2", junction="B", mass_flow_max_kg_s=100.0, cost_per_kg=0.50)
    net.add("sinks", ["D", "DA"], junction=["B", "A"], mass_flow_kg_s=[60.0, da],
            value_per_kg=1.0)
    net.add("pipes", "AB", from_junction="A", to_junction="B", length_km=10.0,
            diameter_mm=500.0, mass_flow_max_kg_s=50.0, mass_flow_min_kg_s=-20.0,
            fee_per_kg=0.02)
    net.add("storages", "G", junction="B", working_gas_mcm=10.0, inventory_mcm=5.0,
            injection_max_kg_s=30.0, withdrawal_max_kg_s=30.0)
    per = Periods(["d1", "d2"], 24.0).with_profile(
        "sinks", "mass_flow_kg_s", pd.DataFrame({"D": [d1, d2]}, index=["d1", "d2"]))
    return net, per


def test_hand_optimum() -> None:
    """Two days of 24 h. Demand at B 40 then 80 kg/s, at A 5 kg/s; values 1.0/kg.

    Pipe A->B carries at most 50 kg/s (fee 0.02/kg); S at A costs 0.10/kg (max 100), S2 at B
    0.50/kg; storage G at B may shift gas between the days (end = start, 30 kg/s limits).
    Over the two days B needs 120 kg/s-days, the pipe brings at most 100: it runs full both
    days (cost 0.12/kg delivered) and S2 supplies the missing 20 kg/s-days; storage moves
    gas from day 1 to day 2 so that the timing of S2 is free. Everything is served.

        welfare = 86400 x [1.0 x (120 + 10) - 0.12 x 100 - 0.10 x 10 - 0.50 x 20]
                = 86400 x 107 = 9 244 800
        prices:   B = 0.50 (S2 is the marginal source on both days, storage links them),
                  A = 0.10 (S has spare capacity); pipe congestion rent 0.50 - 0.12 = 0.38.
    """
    net, per = two_node()
    res = optimize(net, "transport", periods=per)
    assert res.summary["objective_kind"] == "welfare"
    assert res.objective == pytest.approx(86400 * 107, rel=1e-9)
    p = res["pipes"].loc["AB"]
    np.testing.assert_allclose(p["flow_kg_s"], [50.0, 50.0], atol=1e-7)
    np.testing.assert_allclose(p["utilisation"], [1.0, 1.0], atol=1e-9)
    assert res["sources"].loc["S2", "supply_kg_s"].sum() == pytest.approx(20.0, abs=1e-7)
    np.testing.assert_allclose(res["prices"].loc["B"], [0.50, 0.50], atol=1e-9)
    np.testing.assert_allclose(res["prices"].loc["A"], [0.10, 0.10], atol=1e-9)
    g = res["storages"].loc["G"]
    assert g["inventory_mcm"].iloc[-1] == pytest.approx(5.0, abs=1e-9)  # end = start
    assert (res["sinks"]["unserved_kg_s"] < 1e-9).all()


@pytest.mark.parametrize(("sink", "node", "period"), [("D", "B", 0), ("D", "B", 1),
                                                       ("DA", "A", 0), ("DA", "A", 1)])
def test_prices_are_marginal_costs(sink: str, node: str, period: int) -> None:
    """Duality: the node price equals d(cost)/d(demand) by a finite difference (re-solve with
    one more kg/s at one sink in one period, objective 'cost' so the value terms drop)."""
    net, per = two_node()
    base = optimize(net, "transport", periods=per, objective="cost")
    eps = 1.0
    dem = pd.DataFrame({"D": [40.0, 80.0], "DA": [5.0, 5.0]}, index=per.names)
    dem.iloc[period, dem.columns.get_loc(sink)] += eps
    per2 = Periods(per.names, per.hours).with_profile("sinks", "mass_flow_kg_s", dem)
    bumped = optimize(net, "transport", periods=per2, objective="cost")
    marginal = (bumped.objective - base.objective) / (eps * DAY)
    assert marginal == pytest.approx(base["prices"].loc[node].iloc[period], abs=1e-9)
    # the hand values of test_hand_optimum's docstring
    assert marginal == pytest.approx({"B": 0.50, "A": 0.10}[node], abs=1e-9)


def test_capacity_per_direction() -> None:
    """Gas flowing B -> A on pipe A->B is limited by the reverse rating (20 kg/s), not the
    forward one (50): of 30 kg/s demanded at A, 20 are served; turned round, all 30."""
    net = gu.Network("reverse")
    net.add("junctions", ["A", "B"], p_max_bar=80.0)
    net.add("sources", "S", junction="B", mass_flow_max_kg_s=100.0)
    net.add("sinks", "D", junction="A", mass_flow_kg_s=30.0, value_per_kg=1.0)
    net.add("pipes", "AB", from_junction="A", to_junction="B", length_km=1.0, diameter_mm=500.0,
            mass_flow_max_kg_s=50.0, mass_flow_min_kg_s=-20.0)
    res = transport(net)
    assert res["sinks"].loc[("D", "p1"), "served_kg_s"] == pytest.approx(20.0, abs=1e-9)
    row = res["pipes"].loc[("AB", "p1")]
    assert row["flow_kg_s"] == pytest.approx(-20.0, abs=1e-9)
    assert row["capacity_kg_s"] == pytest.approx(20.0)
    net.pipes.loc["AB", ["mass_flow_max_kg_s", "mass_flow_min_kg_s"]] = [20.0, -50.0]
    assert transport(net)["sinks"].loc[("D", "p1"), "served_kg_s"] == pytest.approx(30.0)


def test_fees_choose_the_route_and_set_the_price() -> None:
    """Two parallel pipes of 10 kg/s, fees 0.01 and 0.05 per kg, supply at 0.10: 15 kg/s go
    10 on the cheap pipe and 5 on the dear one; price at B = 0.10 + 0.05 (the dear pipe is
    marginal), cost per day = 86400 x (15 x 0.10 + 10 x 0.01 + 5 x 0.05) = 86400 x 1.85."""
    net = gu.Network("fees")
    net.add("junctions", ["A", "B"], p_max_bar=80.0)
    net.add("sources", "S", junction="A", mass_flow_max_kg_s=100.0, cost_per_kg=0.10)
    net.add("sinks", "D", junction="B", mass_flow_kg_s=15.0)
    net.add("pipes", ["cheap", "dear"], from_junction="A", to_junction="B", length_km=1.0,
            diameter_mm=500.0, mass_flow_max_kg_s=10.0, fee_per_kg=[0.01, 0.05])
    res = transport(net)
    assert res.summary["objective_kind"] == "cost"
    assert res.objective == pytest.approx(86400 * 1.85, rel=1e-9)
    assert res["pipes"].loc[("cheap", "p1"), "flow_kg_s"] == pytest.approx(10.0)
    assert res["pipes"].loc[("dear", "p1"), "flow_kg_s"] == pytest.approx(5.0)
    assert res["prices"].loc["B", "p1"] == pytest.approx(0.15, abs=1e-9)


def contract_net() -> gu.Network:
    net = gu.Network("contract")
    net.add("junctions", ["A", "B"], p_max_bar=80.0)
    net.add("sources", ["cheap", "seller"], junction="A", mass_flow_max_kg_s=100.0,
            cost_per_kg=[0.05, 0.20], owner=["X", "Y"])
    net.add("sinks", "D", junction="B", mass_flow_kg_s=30.0, owner="buyer")
    net.add("pipes", "AB", from_junction="A", to_junction="B", length_km=1.0, diameter_mm=500.0)
    return net


@pytest.mark.parametrize("price", [np.nan, 0.01])
def test_take_or_pay(price: float) -> None:
    """Contract Y -> buyer, 1 mcm per day for 2 days, take-or-pay 0.8: at least 1.6 mcm over the
    horizon. Taking costs 0.20 - 0.05 = 0.15 per kg more than the cheap source. Hard minimum
    (no price): exactly 1.6 mcm is taken from Y. Priced at 0.01 per kg not taken (cheaper than
    taking): nothing is taken and 1.6 mcm is paid for."""
    net = contract_net()
    k = pd.DataFrame({"seller": ["Y"], "buyer": ["buyer"], "volume_mcm": [1.0],
                      "take_or_pay": [0.8], "price_per_kg": [price]}, index=["K1"])
    res = transport(net, periods=2, contracts=k)
    kg_per_mcm = net.gas.rho_n * 1e6
    taken_mcm = res["sources"].loc["seller", "supply_kg_s"].sum() * DAY / kg_per_mcm
    c = res["contracts"].loc["K1"]
    if np.isnan(price):
        assert taken_mcm == pytest.approx(1.6, rel=1e-9)
        assert c["delivered_mcm"].sum() == pytest.approx(1.6, rel=1e-9)
        assert (c["delivered_kg_s"] <= c["max_kg_s"] + 1e-9).all()
    else:
        assert taken_mcm == pytest.approx(0.0, abs=1e-9)
        extra = 1.6 * kg_per_mcm * 0.01  # currency paid for gas not taken
        assert res.objective == pytest.approx(2 * DAY * 30 * 0.05 + extra, rel=1e-9)


def test_fuel_share_is_taken_at_the_inlet() -> None:
    """A compressor with fuel_share 0.02 burns 2 % of its throughput at its inlet (as the
    simulator does): 49 kg/s through it need 49 x 1.02 = 49.98 kg/s of supply (0.98 burnt);
    a kg more at B costs 1.02 kg at A, so price_B = 1.02 x price_A = 1.02."""
    net = gu.Network("fuel")
    net.add("junctions", ["A", "B"], p_max_bar=80.0)
    net.add("sources", "S", junction="A", mass_flow_max_kg_s=100.0, cost_per_kg=1.0)
    net.add("sinks", "D", junction="B", mass_flow_kg_s=49.0)
    net.add("compressors", "C", from_junction="A", to_junction="B", fuel_model="share",
            fuel_share=0.02)
    res = transport(net)
    assert res["sources"].loc[("S", "p1"), "supply_kg_s"] == pytest.approx(49.98, rel=1e-9)
    assert res["compressors"].loc[("C", "p1"), "fuel_kg_s"] == pytest.approx(0.98, rel=1e-9)
    assert res["prices"].loc["B", "p1"] == pytest.approx(1.02, rel=1e-9)


def test_default_pipe_capacity_is_the_pipe_law_bound() -> None:
    """An unrated pipe carries at most the flow the pipe law allows from p_max (70 bar) to
    p_min (40 bar): compared with physics.pipe.mass_flow_from_pressures (Nikuradse, Z at
    p_max)."""
    net = gu.Network("law")
    net.add("junctions", ["A", "B"], p_max_bar=70.0, p_min_bar=40.0)
    net.add("sources", "S", junction="A")
    net.add("sinks", "D", junction="B", mass_flow_kg_s=1e4, value_per_kg=1.0)
    net.add("pipes", "AB", from_junction="A", to_junction="B", length_km=100.0,
            diameter_mm=600.0, roughness_mm=0.05)
    g = net.gas
    z = make_z_model("papay", g).z(np.array([70e5]))
    lam = lambda_nikuradse(0.6, 0.05e-3)
    expected = mass_flow_from_pressures(70e5, 40e5, lam, 100e3, 0.6, z, g.r_specific,
                                        g.temperature_k)[0]
    res = transport(net)
    assert res["sinks"].loc[("D", "p1"), "served_kg_s"] == pytest.approx(expected, rel=1e-9)
    assert transport(net, pipe_capacity="none")["sinks"]["unserved_kg_s"].max() < 1e-9


def test_infeasible_request_is_diagnosed() -> None:
    """objective='cost' must serve 70 kg/s at B through a 50 kg/s pipe: infeasible by 20 kg/s,
    and the diagnosis names the junction, the missing amount and the full pipe."""
    net = gu.Network("short")
    net.add("junctions", ["A", "B"], p_max_bar=80.0)
    net.add("sources", "S", junction="A", mass_flow_max_kg_s=100.0)
    net.add("sinks", "D", junction="B", mass_flow_kg_s=70.0)
    net.add("pipes", "AB", from_junction="A", to_junction="B", length_km=1.0, diameter_mm=500.0,
            mass_flow_max_kg_s=50.0)
    with pytest.raises(OptimizationError) as e:
        transport(net, objective="cost")
    err = e.value
    assert err.kind == "infeasible"
    dg = err.diagnosis
    short = dg[dg["constraint"] == "violated: node balance"]
    assert list(short["element"]) == ["B"]
    assert short["amount"].iloc[0] == pytest.approx(20.0, abs=1e-7)
    assert ((dg["constraint"] == "forward capacity") & (dg["element"] == "AB")).any()
    assert "junction B" in err.message


def test_bad_input_names_element_and_field() -> None:
    net, _ = two_node()
    net.sinks.loc["D", "mass_flow_kg_s"] = -5.0
    with pytest.raises(OptimizationError, match="sinks D: mass_flow_kg_s") as e:
        transport(net)
    assert e.value.kind == "bad_input"
    net, _ = two_node()
    with pytest.raises(OptimizationError, match="unknown option"):
        transport(net, colour="red")
    k = pd.DataFrame({"seller": ["nobody"], "buyer": ["D"], "volume_mcm": [1.0]}, index=["K"])
    with pytest.raises(OptimizationError, match="contracts K: seller 'nobody'"):
        transport(net, contracts=k)
    with pytest.raises(OptimizationError, match="periods"):
        transport(net, periods=0)


@pytest.fixture(scope="module")
def monthly() -> tuple[gu.Network, Periods, gu.OptimizationResult]:
    from gasunion.datasets.central_asia_monthly import MONTHLY_OPTIONS, central_asia_monthly

    net, per = central_asia_monthly("2023")
    return net, per, transport(net, periods=per, **MONTHLY_OPTIONS)


def test_central_asia_12_months_conserves_mass(monthly: tuple) -> None:
    """Per month: supply + storage withdrawal - injection = served + fuel (kg/s), and every
    storage's inventory change equals its net injection over the month (mcm)."""
    net, per, res = monthly
    assert res.summary["n_periods"] == 12
    sup = res["sources"]["supply_kg_s"].groupby(level="period").sum()
    srv = res["sinks"]["served_kg_s"].groupby(level="period").sum()
    st = res["storages"]
    net_wd = st["net_withdrawal_kg_s"].groupby(level="period").sum()
    fuel = res["branches"]["fuel_kg_s"].groupby(level="period").sum()
    np.testing.assert_allclose((sup + net_wd - srv - fuel).to_numpy(), 0.0, atol=1e-6)
    kg_per_mcm = net.gas.rho_n * 1e6
    inv = st["inventory_mcm"].unstack("period")[per.names]
    start = net.storages["inventory_mcm"].reindex(inv.index).to_numpy()
    change = np.diff(np.column_stack([start, inv.to_numpy()]), axis=1)
    inj = (-st["net_withdrawal_kg_s"]).unstack("period")[per.names].to_numpy()
    np.testing.assert_allclose(change, inj * 3600 * per.hours / kg_per_mcm, atol=1e-6)
    np.testing.assert_allclose(inv.iloc[:, -1].to_numpy(), start, atol=1e-6)  # cyclic


def test_central_asia_12_months_story(monthly: tuple) -> None:
    """Storages cycle (Gazli fills in summer, empties in winter); domestic demand is served
    before exports (priority); the country balances close; border utilisation <= 1."""
    res = monthly[2]
    gazli = res["storages"].loc["UGS_UZ_GAZLI", "inventory_mcm"]
    assert gazli["2023-09"] > gazli["2023-03"] + 1000.0
    s = res["sinks"]
    dom = s[s["priority"] == 1]
    assert dom["unserved_kg_s"].max() < 1e-6
    c = res["countries"]
    resid = (c["production_kg_s"] + c["imports_kg_s"] + c["storage_net_withdrawal_kg_s"]
             - c["served_kg_s"] - c["exports_kg_s"] - c["fuel_kg_s"])
    assert resid.abs().max() < 1e-6
    b = res["borders"]
    assert (b[["utilisation_forward", "utilisation_reverse"]].fillna(0) <= 1 + 1e-9).all().all()
    ru = res["country_flows"]
    assert ("RU", "KZ", "2023-11") in ru.index and ("RU", "KZ", "2023-05") not in ru.index


def test_monthly_data_provenance() -> None:
    """Every row of monthly.csv has a source; rows without a cited figure say how they were
    estimated; cited IDs are in SOURCES.md or come with their URL."""
    import re
    from importlib import resources

    from gasunion.datasets.central_asia_monthly import monthly_table

    t = monthly_table()
    assert (t["source"].str.strip() != "").all()
    general = t["source"].str.contains("general knowledge") & ~t["source"].str.contains(r"\[")
    assert t.loc[general, "note"].str.contains("estimate").all()
    known = set(re.findall(r"^\| ([A-Z0-9_]+) \|", resources.files("gasunion.datasets").joinpath(
        "data", "central_asia", "SOURCES.md").read_text(encoding="utf-8"), flags=re.M))
    for cell in t["source"]:
        for sid, url in re.findall(r"\[([A-Z0-9_]+)\]\s*(\S*)", cell):
            assert sid in known or url.startswith("http"), sid


def test_model_size_is_refused_before_building() -> None:
    """A source, a sink and one pipe: 1 supply + 1 served + 2 flow parts (forward, reverse)
    = 4 variables per period. With max_variables=100, 25 periods (100 variables) are built,
    26 (104) are refused with the limit and the largest number of periods that fits (25);
    10**12 periods are refused before a single period name is made (no memory spent)."""
    net = gu.Network("small")
    net.add("junctions", ["A", "B"])
    net.add("sources", "s", junction="A", mass_flow_max_kg_s=10.0)
    net.add("sinks", "d", junction="B", mass_flow_kg_s=5.0)
    net.add("pipes", "AB", from_junction="A", to_junction="B", length_km=1.0, diameter_mm=300.0)
    res = transport(net, periods=25, max_variables=100)
    assert res.summary["n_variables"] <= 100 and res.summary["n_periods"] == 25
    with pytest.raises(OptimizationError) as err:
        transport(net, periods=26, max_variables=100)
    assert err.value.kind == "bad_input"
    assert "104 variables (4 per period)" in err.value.message
    assert "limit of 100" in err.value.message
    assert err.value.hint is not None and "at most 25 periods" in err.value.hint
    with pytest.raises(OptimizationError, match="limit of 2,000,000"):
        transport(net, periods=10**12)
    # the same guard holds for every problem built on the linear model
    from gasunion.optimize.shed import shed

    with pytest.raises(OptimizationError, match="limit of 100"):
        shed(net, periods=26, max_variables=100)
