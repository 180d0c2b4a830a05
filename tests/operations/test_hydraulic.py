"""Hydraulic check of a gas day (:func:`gasunion.operations.hydraulic_check`).

Hand-built case: country AA holds the pressure reference (source ``SA``, 60 bar at ``A``); a
50-km pipe ``P`` (D = 0.5 m, fixed friction factor 0.01) runs to ``B``, and the crossing pipe
``X`` (1 km, interconnection ``IP``) takes the gas to ``C`` in BB, where the only offtake is the
flow-controlled sink ``SC`` (the IP's carrier). With ``kwh_per_kg = 10``, a confirmation of
8.64e6 kWh/d is ``8.64e6 / (10 * 86400) = 10 kg/s``: ``SC`` is set to 10 kg/s, and so is the flow
through ``X``. Isothermal flow: ``pA^2 - pC^2 ~ 16 lambda L R T z q^2 / (pi^2 D^5)`` = about
0.33 z bar^2 per (kg/s)^2 over the 51 km: at 10 kg/s ``pC`` ~ 59.7 bar (feasible, bound
40 bar); at 100 kg/s ``pC`` ~ 25 bar (z ~ 0.9) < 40 bar: flagged at ``C`` (and ``B``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from gasunion.datasets.central_asia import central_asia
from gasunion.network import Network
from gasunion.operations import hydraulic_check
from gasunion.operations.hydraulic import kwh_per_kg_of
from gasunion.simulation.prepared import Simulator


def _two_country() -> Network:
    net = Network("two countries")
    net.add("junctions", ["A", "B", "C"], country=["AA", "AA", "BB"], p_min_bar=40.0,
            p_max_bar=70.0)
    net.add("sources", "SA", junction="A", p_set_bar=60.0, country="AA")
    net.add("sinks", "SC", junction="C", mass_flow_kg_s=5.0, country="BB")
    net.add("pipes", ["P", "X"], from_junction=["A", "B"], to_junction=["B", "C"],
            length_km=[50.0, 1.0], diameter_mm=500.0, friction_factor=0.01,
            interconnection=["", "IP"])
    net.add("interconnections", "IP", from_country="AA", to_country="BB",
            operator_from="TA", operator_to="TB", capacity_forward_mcm_d=20.0)
    return net


def _day(kwh: float) -> pd.DataFrame:
    """One matched pair, seen by both TSOs (counted once)."""
    return pd.DataFrame({"gas_day": "2024-01-01", "ip": "IP", "tso": ["TA", "TB"],
                         "direction": ["exit", "entry"], "confirmed_kwh": kwh})


def test_hand_built_network() -> None:
    net = _two_country()
    sim = Simulator(net)
    ok = hydraulic_check(net, _day(8.64e6), simulator=sim, kwh_per_kg=10.0)
    assert ok.feasible and ok.violations.empty
    bf = ok.border_flows.loc["IP"]
    assert bf["confirmed_kg_s"] == pytest.approx(10.0)
    assert bf["simulated_kg_s"] == pytest.approx(10.0, rel=1e-8)
    assert bf["imposed"] and bf["carriers"] == "SC"
    assert ok.summary["changes"] == {("sinks", "SC", "mass_flow_kg_s"): pytest.approx(10.0)}
    assert ok.result is not None
    assert 59.0 < ok.result.junctions.at["C", "p_bar"] < 60.0

    bad = hydraulic_check(net, _day(8.64e7), simulator=sim, kwh_per_kg=10.0)
    assert not bad.feasible
    v = bad.violations.set_index(["component", "element", "field"])
    assert ("junctions", "C", "p_bar") in v.index
    row = v.loc[("junctions", "C", "p_bar")]
    assert row["kind"] == "min" and row["bound"] == 40.0 and row["unit"] == "bar"
    assert 20.0 < row["value"] < 32.0
    assert bad.border_flows.at["IP", "simulated_kg_s"] == pytest.approx(100.0, rel=1e-8)


def test_kwh_per_kg_uses_gross_calorific_value() -> None:
    net = _two_country()
    g = net.gas
    assert kwh_per_kg_of(net) == pytest.approx(g.calorific_value_mj_m3 / g.rho_n / 3.6)


@pytest.fixture(scope="module")
def ca() -> tuple[Network, Simulator, pd.DataFrame]:
    net = central_asia("2023")
    sim = Simulator(net)
    res = sim.run()
    e = kwh_per_kg_of(net)
    # the scenario's own border flows, as confirmations (kWh/d per IP and direction)
    rows = []
    for ip in net.interconnections.index:
        q = 0.0
        for comp in ("pipes", "compressors", "control_valves", "resistors", "valves"):
            t = net[comp]
            if len(t):
                q += float(getattr(res, comp)["mass_flow_kg_s"][t["interconnection"] == ip].sum())
        rows.append({"ip": ip, "direction": "forward" if q >= 0 else "reverse",
                     "confirmed_kwh": abs(q) * e * 86400.0})
    return net, sim, pd.DataFrame(rows)


def test_central_asia_feasible_day(ca: tuple[Network, Simulator, pd.DataFrame]) -> None:
    net, sim, conf = ca
    out = hydraulic_check(net, conf, simulator=sim)
    assert out.feasible, out.violations
    assert out.violations.empty and out.summary["error"] is None
    bf = out.border_flows
    sel = bf["imposed"]
    assert {"BRD_KZ_RU_CAC", "BRD_KZ_CN_KHORGOS", "BRD_UZ_KZ_CAC"} <= set(bf.index[sel])
    np.testing.assert_allclose(bf.loc[sel, "simulated_kg_s"], bf.loc[sel, "confirmed_kg_s"],
                               rtol=1e-6, atol=1e-6)
    assert bf.at["BRD_KZ_RU_CAC", "carriers"] == "SRC_RU_CAC_ENTRY"


def test_central_asia_cac_reverse_at_80_mcm_d_is_flagged(
        ca: tuple[Network, Simulator, pd.DataFrame]) -> None:
    """80 mcm/d RU -> KZ at Aleksandrov Gai (reverse capacity 18 mcm/d; 2023: 3.5 mcm/d)."""
    net, sim, conf = ca
    day = conf.copy()
    e = kwh_per_kg_of(net)
    day.loc[day["ip"] == "BRD_KZ_RU_CAC", "confirmed_kwh"] = (
        net.gas.kg_s_from_mcm_d(80.0) * e * 86400.0)
    out = hydraulic_check(net, day, simulator=sim)
    assert not out.feasible
    bf = out.border_flows.loc["BRD_KZ_RU_CAC"]
    assert bf["direction"] == "reverse" and bf["imposed"]
    assert bf["simulated_mcm_d"] == pytest.approx(-80.0, rel=1e-6)
    v = out.violations
    keys = set(zip(v["component"], v["element"], v["field"], v["kind"], strict=True))
    # the corridor: the border junction over its pressure bound, both CAC_08 strings (Makat -
    # Aleksandrov Gai) over their pressure bound and beyond their reverse flow bound
    assert ("junctions", "BRD_KZ_RU_CAC", "p_bar", "max") in keys
    for pipe in ("CAC_08/1", "CAC_08/2"):
        assert ("pipes", pipe, "mass_flow_kg_s", "min") in keys
        assert ("pipes", pipe, "p_bar", "max") in keys
    assert ("interconnections", "BRD_KZ_RU_CAC", "capacity_reverse_mcm_d", "max") in keys
    assert out.summary["error"] == "infeasible"  # the solver's diagnosis is in the table too
    assert (v["kind"] == "infeasible").any()


def test_demands_and_bad_input(ca: tuple[Network, Simulator, pd.DataFrame]) -> None:
    net, sim, conf = ca
    # more demand at Almaty (behind the KG-KZ east IP) is carried by the same IP flow
    dem = pd.DataFrame({"mass_flow_kg_s": [net.sinks.at["SNK_KZ_ALMATY", "mass_flow_kg_s"]]},
                       index=["SNK_KZ_ALMATY"])
    out = hydraulic_check(net, conf, dem, simulator=sim)
    assert out.feasible
    with pytest.raises(ValueError, match="unknown interconnection"):
        hydraulic_check(net, pd.DataFrame({"ip": ["NOPE"], "direction": ["forward"],
                                           "confirmed_kwh": [1.0]}), simulator=sim)
    two = conf.assign(gas_day="2024-01-01")
    two.loc[0, "gas_day"] = "2024-01-02"
    with pytest.raises(ValueError, match="gas days"):
        hydraulic_check(net, two, simulator=sim)
