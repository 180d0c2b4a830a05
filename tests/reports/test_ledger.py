'''The union ledger by hand on a three-country toy network (A -> B -> C, transit through B).

The toy network (volumes in mcm/d of the network gas; bcm/y = mcm/d x 365 / 1000)::

    A: field a1 (pressure-controlled, supplies what is needed)
    A -> B: border point "AB", two parallel pipes AB1 (joint venture P 50 % / Q 50 %) and AB2
            (owner OPA); the interconnections table has no forward capacity (null) and a
            reverse capacity of 30
    B: field fieldB at b1 25.0, town townB at b1 49.5, compressor CS b1 -> b2 whose fuel is
       1 % of its throughput, taken at its inlet b1
    B -> C: border point "CB", defined from C to B (pipe CB c1 -> b2, so the gas flows in its
            reverse direction): forward capacity 20, reverse 60
    C: town townC at c1 50.0

By hand:

* B -> C carries townC: 50.0. The compressor carries the same 50.0; its fuel is
  0.01 x 50.0 = 0.5, burned in B.
* A -> B: what b1 sends on (49.5 town + 50.0 compressor + 0.5 fuel = 100.0) less B's own
  field (25.0) = 75.0 = 27.375 bcm/y, 37.5 in each of the two identical pipes.
* Headroom: AB has no capacity in its forward direction -> null. CB flows in its reverse
  direction (B -> C): capacity 60, headroom 60 - 50 = 10.
* Owners of AB (flow-weighted, shares of each element): A side: AB1 37.5 x (P 0.5, Q 0.5) +
  AB2 37.5 x OPA -> OPA 50 %, P 25 %, Q 25 %; B side: junction b1 -> OPB 100 %.
* Transit (proportional sharing): b1 mixes 75.0 from A with 25.0 from B, so a share
  75 / 100 = 0.75 of it is foreign; what B sends to C (50.0, from b2 = b1's mix through the
  compressor) is 0.75 foreign: transit of B = 37.5 mcm/d = 13.6875 bcm/y. A and C carry none.
* Fuel: B 0.5 mcm/d = 0.1825 bcm/y. Consumption: B 49.5 = 18.0675 bcm/y, C 50.0 = 18.25.
* Balance of B: 25.0 + 75.0 = 49.5 + 0.5 + 50.0.

Without an interconnections table (fallback): the pairs "A-B" and "B-C", capacities from the
branches' bounds: A-B 2 x 50 = 100 (headroom 25), B-C from CB's -mass_flow_min 60
(headroom 10), source "network bounds".
'''

from __future__ import annotations

import math

import numpy as np
import pytest

import gasunion as gu
from gasunion.reports import (
    border_ledger,
    compare_ledgers,
    country_ledger,
    member_trade,
    origin_mix,
)
from gasunion.reports.tracing import station_transfers

BCM = 365.0 / 1000.0  # bcm/y per mcm/d


def toy(with_table: bool = True, town_c: float = 50.0) -> gu.Network:
    net = gu.Network("toy")
    k = net.gas.kg_s_from_mcm_d
    net.add("junctions", ["a1", "b1", "b2", "c1"], country=["A", "B", "B", "C"],
            owner=["OPA", "OPB", "OPB", "OPC"], p_max_bar=100.0, lat=[50.0, 50.0, 50.2, 50.3],
            lon=[60.0, 61.0, 62.0, 63.0])
    net.add("sources", "fieldA", junction="a1", p_set_bar=70.0, owner="OPA")
    net.add("sources", "fieldB", junction="b1", mass_flow_kg_s=k(25.0), owner="OPB")
    net.add("sinks", "townB", junction="b1", mass_flow_kg_s=k(49.5), owner="OPB")
    net.add("sinks", "townC", junction="c1", mass_flow_kg_s=k(town_c), owner="OPC")
    net.add("pipes", ["AB1", "AB2"], from_junction="a1", to_junction="b1", length_km=20.0,
            diameter_mm=1200.0, owner=["JV", "OPA"], country="A",
            interconnection="AB" if with_table else "", mass_flow_max_kg_s=k(50.0))
    net.add("compressors", "CS", from_junction="b1", to_junction="b2", ratio_set=1.2,
            fuel_model="share", fuel_share=0.01, owner="OPB", country="B")
    net.add("pipes", "CB", from_junction="c1", to_junction="b2", length_km=20.0,
            diameter_mm=1200.0, owner="OPC", country="C",
            interconnection="CB" if with_table else "", mass_flow_min_kg_s=-k(60.0))
    if with_table:
        net.add("interconnections", ["AB", "CB"], name=["A-B point", "C-B point"],
                from_country=["A", "C"], to_country=["B", "B"],
                capacity_forward_mcm_d=[np.nan, 20.0], capacity_reverse_mcm_d=[30.0, 60.0],
                capacity_year=2024.0, capacity_source=["A's map", "C's map"])
    net.add("ownership", ["o1", "o2"], component="pipes", element="AB1", party=["P", "Q"],
            share=0.5)
    net.validate(raise_on_error=True)
    return net


@pytest.fixture(scope="module")
def solved() -> tuple[gu.Network, gu.SimulationResult]:
    net = toy()
    return net, gu.simulate(net)


def test_border_ledger_by_hand(solved: tuple[gu.Network, gu.SimulationResult]) -> None:
    net, res = solved
    led = border_ledger(net, res).set_index("border_point")
    assert list(led.index) == ["AB", "CB"]  # largest flow first
    ab, cb = led.loc["AB"], led.loc["CB"]
    assert (ab["direction"], ab["from_country"], ab["to_country"]) == ("forward", "A", "B")
    assert ab["name"] == "A-B point" and ab["capacity_source"] == "A's map"
    assert ab["flow_mcm_d"] == pytest.approx(75.0, rel=1e-6)
    assert ab["flow_bcm_y"] == pytest.approx(27.375, rel=1e-6)
    assert math.isnan(ab["capacity_mcm_d"]) and math.isnan(ab["headroom_mcm_d"])
    assert (cb["direction"], cb["from_country"], cb["to_country"]) == ("reverse", "B", "C")
    assert cb["flow_mcm_d"] == pytest.approx(50.0, rel=1e-6)
    assert cb["capacity_mcm_d"] == 60.0
    assert cb["headroom_mcm_d"] == pytest.approx(10.0, abs=1e-5)
    assert cb["utilisation"] == pytest.approx(50.0 / 60.0, rel=1e-6)
    assert ab["owners_from"] == "OPA 50%; P 25%; Q 25%" and ab["owners_to"] == "OPB"
    shares = {(o["side"], o["party"]): o["share"] for o in ab["owners"]}
    assert shares == pytest.approx({("from", "OPA"): 0.5, ("from", "P"): 0.25,
                                    ("from", "Q"): 0.25, ("to", "OPB"): 1.0})
    assert (cb["owners_from"], cb["owners_to"]) == ("OPB", "OPC")  # CB is C's pipe, b2 is B's
    # the pipe CB lies on C's side, the junction b2 on B's: flows B -> C, so from = B (b2)


def test_country_ledger_by_hand(solved: tuple[gu.Network, gu.SimulationResult]) -> None:
    net, res = solved
    c = country_ledger(net, res).set_index("country")
    assert list(c.index) == ["A", "B", "C"]
    expect_b = {"production": 25.0, "imports": 75.0, "exports": 50.0, "consumption": 49.5,
                "fuel": 0.5, "transit": 37.5}
    for col, mcm_d in expect_b.items():
        assert c.at["B", f"{col}_bcm_y"] == pytest.approx(mcm_d * BCM, rel=1e-6), col
    assert c.at["B", "transit_bcm_y"] == pytest.approx(13.6875, rel=1e-6)
    assert c.at["B", "fuel_bcm_y"] == pytest.approx(0.1825, rel=1e-6)
    assert c.at["A", "transit_bcm_y"] == 0.0 and c.at["C", "transit_bcm_y"] == 0.0
    assert c.at["C", "consumption_bcm_y"] == pytest.approx(18.25, rel=1e-6)
    assert c.at["A", "production_bcm_y"] == pytest.approx(27.375, rel=1e-6)
    assert np.allclose(c["balance_bcm_y"], 0.0, atol=1e-6)


def test_fallback_without_interconnections_table() -> None:
    net = toy(with_table=False)
    led = border_ledger(net, gu.simulate(net)).set_index("border_point")
    assert list(led.index) == ["A-B", "B-C"]
    ab, bc = led.loc["A-B"], led.loc["B-C"]
    assert ab["name"] == "A-B border" and ab["capacity_source"] == "network bounds"
    assert ab["capacity_mcm_d"] == pytest.approx(100.0, rel=1e-9)
    assert ab["headroom_mcm_d"] == pytest.approx(25.0, abs=1e-5)
    assert (bc["direction"], bc["from_country"], bc["to_country"]) == ("forward", "B", "C")
    assert bc["capacity_mcm_d"] == pytest.approx(60.0, rel=1e-9)
    assert bc["headroom_mcm_d"] == pytest.approx(10.0, abs=1e-5)
    # no bound at all: capacity unknown, no source
    net.pipes["mass_flow_max_kg_s"] = np.nan
    led = border_ledger(net, gu.simulate(net)).set_index("border_point")
    assert math.isnan(led.at["A-B", "capacity_mcm_d"]) and led.at["A-B", "capacity_source"] == ""


def test_crossing_branches_outside_the_table_fall_back() -> None:
    net = toy()
    net.pipes.loc["CB", "interconnection"] = ""
    net.interconnections = net.interconnections.drop(index="CB")
    led = border_ledger(net, gu.simulate(net)).set_index("border_point")
    assert list(led.index) == ["AB", "B-C"]
    assert led.at["B-C", "capacity_source"] == "network bounds"


def test_no_border_no_rows() -> None:
    net = gu.Network("one country")
    net.add("junctions", ["x", "y"], country="A", p_max_bar=80.0)
    net.add("sources", "s", junction="x", p_set_bar=60.0)
    net.add("sinks", "d", junction="y", mass_flow_kg_s=10.0)
    net.add("pipes", "p", from_junction="x", to_junction="y", length_km=10.0, diameter_mm=500.0)
    res = gu.simulate(net)
    assert border_ledger(net, res).empty
    c = country_ledger(net, res)
    assert list(c["country"]) == ["A"] and c.at[0, "transit_bcm_y"] == 0.0


def test_station_transfer_passes_the_mix_on() -> None:
    """A transfer pair in B (sink DLV_OUT at b1 20.0, source DLV_IN at b2 20.0, same owner):
    not consumption, and the gas it hands over keeps b1's mix. The compressor now carries
    30.0 (fuel 0.3); A sends 49.5 + 20.0 + 30.0 + 0.3 - 25.0 = 74.8; b1 is 74.8 / 99.8
    foreign, and b2 (fed by the compressor and the transfer, both b1's mix) too: transit of
    B = 50.0 x 74.8 / 99.8."""
    net = toy()
    k = net.gas.kg_s_from_mcm_d
    net.add("sinks", "DLV_OUT", junction="b1", mass_flow_kg_s=k(20.0), owner="OPB")
    net.add("sources", "DLV_IN", junction="b2", mass_flow_kg_s=k(20.0), owner="OPB")
    assert station_transfers(net) == [("DLV_OUT", "DLV_IN")]
    c = country_ledger(net, gu.simulate(net)).set_index("country")
    assert c.at["B", "consumption_bcm_y"] == pytest.approx(49.5 * BCM, rel=1e-6)
    assert c.at["B", "production_bcm_y"] == pytest.approx(25.0 * BCM, rel=1e-6)
    assert c.at["B", "transit_bcm_y"] == pytest.approx(50.0 * 74.8 / 99.8 * BCM, rel=1e-6)


def test_origin_mix_and_the_security_re_export(solved: tuple[gu.Network, gu.SimulationResult]
                                               ) -> None:
    from gasunion.optimize import _security_trace

    net, res = solved
    mix = origin_mix(net, res)
    assert mix.loc["b1", "A"] == pytest.approx(0.75, rel=1e-9)
    assert mix.loc["c1"].sum() == pytest.approx(1.0)
    assert _security_trace.origin_mix is origin_mix


def test_member_trade_and_compare(solved: tuple[gu.Network, gu.SimulationResult]) -> None:
    net, res = solved
    led = border_ledger(net, res)
    t = member_trade(led, ["B"]).set_index("partner")
    assert t.at["A", "imports_bcm_y"] == pytest.approx(27.375, rel=1e-6)
    assert t.at["C", "exports_bcm_y"] == pytest.approx(18.25, rel=1e-6)
    assert t.at["C", "net_imports_bcm_y"] == pytest.approx(-18.25, rel=1e-6)
    low = toy(town_c=40.0)
    other = gu.simulate(low)
    cmp = compare_ledgers(led, border_ledger(low, other)).set_index("border_point")
    assert cmp.at["CB", "flow_mcm_d_other"] == pytest.approx(40.0, rel=1e-6)
    assert cmp.at["CB", "flow_mcm_d_change"] == pytest.approx(10.0, rel=1e-5)
    cc = compare_ledgers(country_ledger(net, res), country_ledger(low, other))
    b = cc.set_index("country").loc["B"]
    # B -> C 40.0: fuel 0.4, b1 sends 49.5 + 40.0 + 0.4 = 89.9 of which A 64.9: transit
    # 40 x 64.9 / 89.9
    assert b["transit_bcm_y_change"] == pytest.approx((37.5 - 40.0 * 64.9 / 89.9) * BCM,
                                                      rel=1e-6)
    # a row only in the other ledger: flows 0 in the first
    rev = led.iloc[:0]
    only = compare_ledgers(rev, led)
    assert (only["flow_mcm_d"] == 0).all() and (only["flow_mcm_d_change"] < 0).all()


def test_map_png(tmp_path: object, solved: tuple[gu.Network, gu.SimulationResult]) -> None:
    from pathlib import Path

    from gasunion.reports.map import ledger_map

    net, res = solved
    out = ledger_map(net, res, border_ledger(net, res), Path(str(tmp_path)) / "toy.png")
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # no coordinates at all: drawn on x/y, no outlines, still a PNG
    bare = toy()
    bare.junctions[["lat", "lon"]] = np.nan
    out = ledger_map(bare, res, border_ledger(bare, res), Path(str(tmp_path)) / "bare.png")
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_outlines_shipped() -> None:
    from gasunion.datasets.outlines import country_outlines

    region = {o.iso_a2 for o in country_outlines((45.0, 35.0, 85.0, 55.0))}
    assert {"RU", "KZ", "UZ", "TM", "KG", "TJ", "CN", "AF", "IR", "AZ"} <= region
    world = country_outlines()
    assert len(world) > 150 and all(len(o.rings) for o in world)


def test_owners_are_the_assets_next_to_the_border() -> None:
    """At Khorgos the gas crosses on a connector owned by PipeChina; the Kazakh side is the
    Kazakh section of Central Asia-China arriving at the border, a 50/50 venture of QazaqGaz
    and Trans-Asia Gas Pipeline (the dataset's ownership.csv, sourced there): the ledger must
    name that venture, not the connector's owner, on the Kazakh side."""
    import gasunion as gu
    from gasunion.datasets.central_asia import central_asia
    from gasunion.reports import border_ledger

    net = central_asia("2023")
    led = border_ledger(net, gu.simulate(net))
    k = led[(led["from_country"] == "KZ") & (led["to_country"] == "CN")].iloc[0]
    shares = {o["party"]: o["share"] for o in k["owners"] if o["side"] == "from"}
    assert shares == pytest.approx({"QAZAQGAZ": 0.5, "TRANS_ASIA": 0.5})
