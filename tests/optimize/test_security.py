"""Security of supply: the N-1 formula, the HHI, pooling of coalitions, origin tracing."""

from __future__ import annotations

import math

import pytest

import gasunion as gu
from gasunion.optimize import OptimizationError, OptimizationResult, optimize
from gasunion.optimize.security import hhi, n_minus_1


# ------------------------------------------------------------------ the pure formulas
def test_n_minus_1_by_hand() -> None:
    """Annex II: (EP + P + S + LNG - I) / (D_max - D_eff) x 100.

    EP 40, P 20, S 10, LNG 0, I 40 (the entry point), D_max 50 mcm/d:
    (40 + 20 + 10 + 0 - 40) / 50 = 30 / 50 = 60 %. With D_eff = 10: 30 / 40 = 75 %.
    With LNG 25: 55 / 50 = 110 %.
    """
    assert n_minus_1(40, 20, 10, 0, 40, 50) == pytest.approx(60.0)
    assert n_minus_1(40, 20, 10, 0, 40, 50, d_eff=10) == pytest.approx(75.0)
    assert n_minus_1(40, 20, 10, 25, 40, 50) == pytest.approx(110.0)


def test_n_minus_1_rejects_bad_terms() -> None:
    with pytest.raises(ValueError, match="d_max > d_eff"):
        n_minus_1(1, 1, 1, 0, 1, 10, d_eff=10)
    with pytest.raises(ValueError, match="i_m"):
        n_minus_1(1, 1, 1, 0, -1, 10)
    with pytest.raises(ValueError, match="ep_m"):
        n_minus_1(math.nan, 1, 1, 0, 1, 10)


def test_hhi_by_hand() -> None:
    """Shares 60/30/10 %: 3600 + 900 + 100 = 4600. One supplier: 100^2 = 10,000.
    Four equal suppliers: 4 x 25^2 = 2500. Volumes are normalised: 3 and 1 = 75/25 % ->
    5625 + 625 = 6250. No imports: undefined (NaN)."""
    assert hhi({"RU": 60, "TM": 30, "KZ": 10}) == pytest.approx(4600.0)
    assert hhi([7.0]) == pytest.approx(10_000.0)
    assert hhi([1, 1, 1, 1]) == pytest.approx(2500.0)
    assert hhi({"a": 3.0, "b": 1.0}) == pytest.approx(6250.0)
    assert math.isnan(hhi([]))
    with pytest.raises(ValueError):
        hhi([1.0, -1.0])


# ------------------------------------------------------------------ a three-node network
def three_nodes() -> gu.Network:
    """X1 in country XX; Y1, Y2 in country YY.

    X1 --ip--> Y1 --int--> Y2. ``ip`` is the border point: 40 kg/s into YY
    (mass_flow_max_kg_s), 5 kg/s back into XX (mass_flow_min_kg_s = -5). Source ``imp`` at X1
    is pressure-controlled (no maximum); ``field`` at Y2 has mass_flow_max 20 (set-point 15);
    storage ``ugs`` at Y2 withdrawal_max 10 (set-point 0). Sinks: ``town`` 50 kg/s at Y2,
    ``xcity`` 5 kg/s at X1. The simulated injection of ``imp`` is the balance
    50 + 5 - 15 = 40 kg/s.
    """
    net = gu.Network("three nodes")
    net.add("junctions", ["X1", "Y1", "Y2"], country=["XX", "YY", "YY"], p_max_bar=80.0)
    net.add("sources", "imp", junction="X1", p_set_bar=60.0, country="XX")
    net.add("sources", "field", junction="Y2", mass_flow_kg_s=15.0, mass_flow_max_kg_s=20.0)
    net.add("storages", "ugs", junction="Y2", withdrawal_max_kg_s=10.0, mass_flow_kg_s=0.0)
    net.add("sinks", "town", junction="Y2", mass_flow_kg_s=50.0)
    net.add("sinks", "xcity", junction="X1", mass_flow_kg_s=5.0)
    net.add("pipes", ["ip", "int"], from_junction=["X1", "Y1"], to_junction=["Y1", "Y2"],
            length_km=[50.0, 30.0], diameter_mm=600.0,
            mass_flow_max_kg_s=[40.0, math.nan], mass_flow_min_kg_s=[-5.0, math.nan])
    return net


def test_three_node_n1_by_hand() -> None:
    """N-1 of YY, XX and the coalition XX+YY worked by hand (kg/s; the ratio has no unit).

    YY: EP = ip inward 40 (mass_flow_max); P = field 20; S = ugs 10; LNG 0;
        I = max(40, 20, 10) = 40 (ip); D = town 50.
        N-1 = (40 + 20 + 10 + 0 - 40) / 50 = 30 / 50 = 60 %.
    XX: EP = ip reverse 5 (-mass_flow_min); P = imp 40 (estimate: simulated injection);
        S = 0; I = 40 (imp); D = xcity 5. N-1 = (5 + 40 - 40) / 5 = 100 %.
    XX+YY: ip is internal, EP = 0; P = 40 + 20 = 60; S = 10; I = 40 (imp);
        D = 5 + 50 = 55. N-1 = (60 + 10 - 40) / 55 = 54.5454... %.
    """
    net = three_nodes()
    res = optimize(net, "security", coalition=["XX", "YY"], outages=False)
    n1 = res["n1"]
    assert n1.at["YY", "n1_pct"] == pytest.approx(60.0)
    assert n1.at["YY", "i_m_element"] == "ip"
    assert n1.at["XX", "n1_pct"] == pytest.approx(100.0, rel=1e-6)
    assert n1.at["XX+YY", "n1_pct"] == pytest.approx(30.0 / 55.0 * 100.0, rel=1e-6)
    assert n1.at["XX+YY", "ep_m_mcm_d"] == 0.0
    assert res.objective == pytest.approx(30.0 / 55.0 * 100.0, rel=1e-6)
    # mcm/d = kg/s x 86,400 s/d / rho_n / 1e6
    assert n1.at["YY", "ep_m_mcm_d"] == pytest.approx(40.0 * 86400.0 / net.gas.rho_n / 1e6)
    assert "estimate" in n1.at["XX", "p_m_basis"] and n1.at["XX", "estimated"] == "P_m:imp"
    assert bool(n1["complete"].all())
    # demand-side variant: D_eff 10 kg/s for YY -> 30 / 40 = 75 %
    res = optimize(net, "security", d_eff_kg_s={"YY": 10.0}, outages=False)
    assert res["n1"].at["YY", "n1_pct"] == pytest.approx(75.0)


def test_missing_capacity_is_reported_not_invented() -> None:
    """Without ip's bounds, YY's entry capacity is unknown: listed as missing, counted 0
    (N-1 = (0 + 20 + 10 - 20) / 50 = 20 %, a lower bound). With capacities={"ip": 40}
    it is back to 60 %."""
    net = three_nodes()
    net.pipes.loc["ip", ["mass_flow_max_kg_s", "mass_flow_min_kg_s"]] = math.nan
    res = optimize(net, "security", outages=False)
    row = res["n1"].loc["YY"]
    assert not row["complete"] and row["missing"] == "EP_m:ip"
    assert row["n1_pct"] == pytest.approx(20.0)
    assert res.status == "optimal"                      # computed; the N-1 is a lower bound
    assert res.summary["n1_lower_bounds"] == ["XX", "YY"]   # XX: ip reverse unknown
    res = optimize(net, "security", capacities={"ip": 40.0}, outages=False)
    assert res["n1"].at["YY", "n1_pct"] == pytest.approx(60.0)


def test_peak_demand_factor_and_profile() -> None:
    """Factor 1.25: YY's demand 50 -> 62.5, N-1 = 30 / 62.5 = 48 %. Profile town = 60:
    30 / 60 = 50 %."""
    net = three_nodes()
    res = optimize(net, "security", peak_demand=1.25, outages=False)
    assert res["n1"].at["YY", "n1_pct"] == pytest.approx(48.0)
    res = optimize(net, "security", peak_demand={"town": 60.0}, outages=False)
    assert res["n1"].at["YY", "n1_pct"] == pytest.approx(50.0)


# ------------------------------------------------------------------ origin tracing / HHI
def test_hhi_traces_transit_to_the_country_of_origin() -> None:
    """A (country AA) -> B (BB) -> C (CC): AA supplies 30 kg/s, BB adds 10 at B, CC takes
    40. CC imports 40 kg/s across one border (from BB), but by origin 30 from AA and 10
    from BB: shares 75/25 %, HHI = 5625 + 625 = 6250 (by neighbour it would be 10,000).
    BB consumes nothing (HHI undefined) but 30 kg/s of AA gas enters it: entry HHI
    10,000. Conservation: CC's imports = its consumption = the border flow."""
    net = gu.Network("chain")
    net.add("junctions", ["A", "B", "C"], country=["AA", "BB", "CC"], p_max_bar=80.0)
    net.add("sources", "a", junction="A", p_set_bar=60.0)
    net.add("sources", "b", junction="B", mass_flow_kg_s=10.0)
    net.add("sinks", "c", junction="C", mass_flow_kg_s=40.0)
    net.add("pipes", ["ab", "bc"], from_junction=["A", "B"], to_junction=["B", "C"],
            length_km=40.0, diameter_mm=600.0)
    res = optimize(net, "security", outages=False)
    h = res["hhi"]
    assert h.at["CC", "imports_kg_s"] == pytest.approx(40.0, rel=1e-6)
    assert h.at["CC", "share_AA_pct"] == pytest.approx(75.0, rel=1e-6)
    assert h.at["CC", "share_BB_pct"] == pytest.approx(25.0, rel=1e-6)
    assert h.at["CC", "hhi"] == pytest.approx(6250.0, rel=1e-6)
    assert math.isnan(h.at["BB", "hhi"])
    assert h.at["BB", "hhi_entries"] == pytest.approx(10_000.0)
    assert h.at["BB", "entries_mcm_d"] == pytest.approx(net.gas.mcm_d_from_kg_s(30.0), rel=1e-6)
    assert math.isnan(h.at["AA", "hhi"])


def test_bad_coalition_member() -> None:
    with pytest.raises(OptimizationError) as exc:
        optimize(three_nodes(), "security", coalition=["XX", "ZZ"], outages=False)
    assert exc.value.kind == "bad_input"


# ------------------------------------------------------------------ the Central Asia dataset
@pytest.fixture(scope="module")
def union_result() -> tuple[gu.Network, OptimizationResult]:
    from gasunion.datasets.central_asia import central_asia
    from gasunion.datasets.central_asia_capacities import central_asia_capacities

    net = central_asia("union")
    res = optimize(net, "security", compare=[["RU", "KZ", "UZ"], ["KZ", "KG", "TJ", "TM", "UZ"]],
                      capacities=central_asia_capacities(net), outages=False)
    return net, res


def test_central_asia_coalitions_pool_their_members(union_result) -> None:  # type: ignore[no-untyped-def]
    """Pooling: a coalition's P_m, S_m and D_max are the sums of its members'; its entry
    points are the members' entry points whose outside end is not a member."""
    _, res = union_result
    n1, terms = res["n1"], res["n1_terms"]
    assert list(n1.index[-2:]) == ["RU+KZ+UZ", "KZ+KG+TJ+TM+UZ"]
    for label, members in (("RU+KZ+UZ", ["RU", "KZ", "UZ"]),
                           ("KZ+KG+TJ+TM+UZ", ["KZ", "KG", "TJ", "TM", "UZ"])):
        for col in ("p_m_mcm_d", "s_m_mcm_d", "d_max_mcm_d"):
            assert n1.at[label, col] == pytest.approx(n1.loc[members, col].sum())
        ep = terms[(terms["area"] == label) & (terms["term"] == "EP_m")]
        assert not ep["country"].isin(members).any()
        member_eps = terms[terms["area"].isin(members) & (terms["term"] == "EP_m")
                           & ~terms["country"].isin(members)]
        assert set(ep["element"]) == set(member_eps["element"])
    # the three station transfers are neither demand nor production
    assert len(res.summary["transfers"]) == 3
    assert not terms["element"].str.startswith("DLV_").any()


def test_central_asia_kyrgyz_single_entry(union_result) -> None:  # type: ignore[no-untyped-def]
    """Kyrgyzstan is fed only through BTBA_5 (the KZ-KG interconnection, 10.8 mcm/d since
    2017, one string); the way back from Almaty has no gas behind it (Almaty is fed through
    Kyrgyzstan). So EP = I = 10.8 mcm/d and N-1 = P / D = 0.028 / 0.6 = 4.67 % (union = the
    2026 data: Kyrgyz consumption 0.6 bcm/y; annual rates; the ratio is the same in mcm/d)."""
    _, res = union_result
    row = res["n1"].loc["KG"]
    assert row["i_m_element"] == "BTBA_5"
    assert row["ep_m_mcm_d"] == pytest.approx(row["i_m_mcm_d"])
    assert row["n1_pct"] == pytest.approx(0.028 / 0.6 * 100.0, rel=1e-3)
    h = res["hhi"]
    share_cols = [c for c in h.columns if c.startswith("share_")]
    sums = h.loc[h["imports_kg_s"] > 0, share_cols].sum(axis=1)
    assert (sums - 100.0).abs().max() < 1e-6


# ------------------------------------------------------------------ single-element outages
def two_countries() -> gu.Network:
    """AA: source ``sa`` 10 kg/s (flow-controlled, so at most 10) at A1, pipe ``p`` A1 -> A2,
    sink ``a`` 10 kg/s at A2. BB: source ``sb`` at B1 (pressure reference, at most 20 kg/s),
    sink ``b`` 5 kg/s at B1, and the border pipe ``q`` B1 -> A2 (the second route into AA).
    At the nomination ``p`` carries 10 (all of A1's injection) and ``q`` 0 (A2 needs no more).
    ``sa`` has its own owner: it is not a station transfer of ``a``."""
    net = gu.Network("two countries")
    net.add("junctions", ["A1", "A2", "B1"], country=["AA", "AA", "BB"], p_max_bar=80.0)
    net.add("sources", "sa", junction="A1", mass_flow_kg_s=10.0, owner="producer")
    net.add("sources", "sb", junction="B1", p_set_bar=60.0, mass_flow_max_kg_s=20.0)
    net.add("sinks", "a", junction="A2", mass_flow_kg_s=10.0)
    net.add("sinks", "b", junction="B1", mass_flow_kg_s=5.0)
    net.add("pipes", ["p", "q"], from_junction=["A1", "B1"], to_junction=["A2", "A2"],
            length_km=[40.0, 60.0], diameter_mm=500.0)
    return net


def test_outage_pools_the_coalition_by_hand() -> None:
    """Unserved demand per area (kg/s), worked by hand.

    Outage of ``p``: AA alone gets nothing from A1; BB is a non-member, its gross deliveries
    into AA are capped at the nominated 0 kg/s on ``q``: AA loses its whole demand, 10
    (share 10 / 10 = 1). BB loses 0. The coalition AA+BB pools ``sb``: 20 >= 10 + 5, served
    through ``q``: 0 -- not the sum of its members (10 + 0).
    Outage of ``sa``: the same, AA 10, AA+BB 0.
    Outage of ``sb``: BB loses ``b`` = 5 (share 1); AA keeps ``sa`` for ``a``: 0; AA+BB has
    10 for 15: 5 (share 5 / 15 = 1/3).
    Outage of ``q``: 0 everywhere (it carries nothing at the nomination and ``p`` suffices).
    Nothing is unserved with nothing out (base 0). The area of all countries has no
    non-members, so its values are the load-shedding totals of ``outage_unserved`` (0, 0,
    5, 0). mcm/d = kg/s x 86,400 / rho_n / 1e6.
    """
    from gasunion.optimize.shed import outage_unserved

    net = two_countries()
    res = optimize(net, "security", coalition=["AA", "BB"])
    assert res.status == "optimal"
    o = res["outages"].set_index(["area", "element"])
    expected = {("AA", "p"): 10.0, ("AA", "sa"): 10.0, ("AA", "sb"): 0.0, ("AA", "q"): 0.0,
                ("BB", "p"): 0.0, ("BB", "sa"): 0.0, ("BB", "sb"): 5.0, ("BB", "q"): 0.0,
                ("AA+BB", "p"): 0.0, ("AA+BB", "sa"): 0.0, ("AA+BB", "sb"): 5.0,
                ("AA+BB", "q"): 0.0}
    for key, value in expected.items():
        assert o.at[key, "unserved_kg_s"] == pytest.approx(value, abs=1e-6), key
    assert o.at[("AA", "p"), "unserved_share"] == pytest.approx(1.0)
    assert o.at[("AA+BB", "sb"), "unserved_share"] == pytest.approx(1.0 / 3.0)
    assert o.at[("AA", "p"), "unserved_mcm_d"] == pytest.approx(
        10.0 * 86400.0 / net.gas.rho_n / 1e6)
    assert o.at[("AA+BB", "p"), "demand_kg_s"] == pytest.approx(15.0)
    assert (res["outages"]["base_unserved_kg_s"].abs() < 1e-9).all()
    total = outage_unserved(net).set_index("element")["unserved_kg_s"]
    for el in ("p", "q", "sa", "sb"):
        assert o.at[("AA+BB", el), "unserved_kg_s"] == pytest.approx(total[el], abs=1e-6)


@pytest.fixture(scope="module")
def union_outages() -> tuple[gu.Network, OptimizationResult]:
    from gasunion.datasets.central_asia import central_asia
    from gasunion.datasets.central_asia_capacities import central_asia_capacities

    net = central_asia("union")
    cut = [("pipes", "BTBA_5"), ("pipes", "BU_2/1"), ("pipes", "CAC_E_01/1.1"),
           ("sources", "SRC_UZ_PRODUCTION"), ("sources", "SRC_TM_GALKYNYSH")]
    res = optimize(net, "security", compare=[["RU", "KZ", "UZ"], ["KZ", "KG", "TJ", "TM", "UZ"]],
                   capacities=central_asia_capacities(net, supply=True), elements=cut)
    return net, res


def test_central_asia_outages(union_outages) -> None:  # type: ignore[no-untyped-def]
    """Independent checks of the outage table on the union scenario.

    * 0 <= unserved with the element out (net + base) <= the area's demand, for every row;
    * BTBA_5 is the only line into Kyrgyzstan (Taraz -> Bishkek; BTBA continues through
      Kyrgyzstan to Almaty): KG keeps only its own production and loses Bishkek's demand
      minus it (set-points 10.769 - 0.685 = 10.084 kg/s). KZ loses Almaty (12.623) minus
      the Kyrgyz production that can still flow on to Almaty within KG's nominated delivery
      (11.938). The C5 pools both: Bishkek + Almaty - production = 22.707 -- not the sum of
      its members (22.022), which counts the Kyrgyz production twice;
    * BU_2/1 carries no flow at the nomination and has a parallel twin: 0 for every area;
      CAC_E_01/1.1 carries 57 kg/s and its twin takes it: 0 as well.
    """
    net, res = union_outages
    assert res.status == "optimal"
    assert "UZ" in res.summary["n1_lower_bounds"]          # data completeness, not status
    o = res["outages"]
    lost = o["unserved_kg_s"] + o["base_unserved_kg_s"]
    assert (lost >= -1e-6).all() and (lost <= o["demand_kg_s"] + 1e-6).all()
    t = o.set_index(["area", "element"])["unserved_kg_s"]
    bishkek = net.sinks.at["SNK_KG_BISHKEK", "mass_flow_kg_s"]
    almaty = net.sinks.at["SNK_KZ_ALMATY", "mass_flow_kg_s"]
    prod = net.sources.at["SRC_KG_PRODUCTION", "mass_flow_kg_s"]
    assert t[("KG", "BTBA_5")] == pytest.approx(bishkek - prod, rel=1e-6)
    assert t[("KZ", "BTBA_5")] == pytest.approx(almaty - prod, rel=1e-6)
    assert t[("KZ+KG+TJ+TM+UZ", "BTBA_5")] == pytest.approx(bishkek + almaty - prod, rel=1e-6)
    for el in ("BU_2/1", "CAC_E_01/1.1"):
        assert t.xs(el, level="element").abs().max() < 1e-6


# ------------------------------------------------------------- a network without countries
def no_countries() -> gu.Network:
    """A -> B -> C, no country anywhere (as a GasLib or matgas file). Source ``imp`` at A
    (pressure reference, mass_flow_max 60 kg/s), source ``field`` at C (set-point 15,
    maximum 40), sink ``town`` 50 kg/s at C; pipes rated 100 kg/s."""
    net = gu.Network("no countries")
    net.add("junctions", ["A", "B", "C"], p_max_bar=80.0)
    net.add("sources", "imp", junction="A", p_set_bar=60.0, mass_flow_max_kg_s=60.0)
    net.add("sources", "field", junction="C", mass_flow_kg_s=15.0, mass_flow_max_kg_s=40.0)
    net.add("sinks", "town", junction="C", mass_flow_kg_s=50.0)
    net.add("pipes", ["AB", "BC"], from_junction=["A", "B"], to_junction=["B", "C"],
            length_km=20.0, diameter_mm=600.0, mass_flow_max_kg_s=100.0,
            mass_flow_min_kg_s=-100.0)
    return net


def test_network_without_countries_is_one_area() -> None:
    """With no country the whole network is the one area (what a GasLib user asks: how secure
    is this network?), by hand in kg/s:

    N-1: no border, EP = 0; P = imp 60 + field 40 = 100; S = 0; I = imp 60; D = town 50:
    (0 + 100 + 0 - 60) / 50 = 80 %.
    Outages: without imp, AB or BC only the field's 40 reach the town: 50 - 40 = 10 kg/s
    unserved (20 % of 50); without the field, imp's 60 cover the town: 0.
    HHI: no gas comes from outside the area: no imports, HHI undefined.
    """
    from gasunion.optimize.security import WHOLE_NETWORK

    res = optimize(no_countries(), "security")
    assert res.summary["areas"] == [WHOLE_NETWORK]
    n1 = res["n1"]
    assert list(n1.index) == [WHOLE_NETWORK]
    assert n1.at[WHOLE_NETWORK, "n1_pct"] == pytest.approx(80.0)
    assert n1.at[WHOLE_NETWORK, "i_m_element"] == "imp"
    assert n1.at[WHOLE_NETWORK, "ep_m_mcm_d"] == 0.0
    assert res.objective == pytest.approx(80.0)
    out = res["outages"].set_index("element")
    for e in ("imp", "AB", "BC"):
        assert out.at[e, "unserved_kg_s"] == pytest.approx(10.0, abs=1e-6)
        assert out.at[e, "unserved_share"] == pytest.approx(0.2, abs=1e-6)
    assert out.at["field", "unserved_kg_s"] == pytest.approx(0.0, abs=1e-6)
    hhi_row = res["hhi"].loc[WHOLE_NETWORK]
    assert hhi_row["imports_kg_s"] == 0.0 and math.isnan(hhi_row["hhi"])


def test_coalition_on_a_network_without_countries_is_bad_input() -> None:
    with pytest.raises(OptimizationError) as err:
        optimize(no_countries(), "security", coalition=["XX"], outages=False)
    assert err.value.kind == "bad_input" and "no countries" in err.value.message


def test_zero_design_day_demand_leaves_the_n1_undefined() -> None:
    """Sinks at 0 on the design day (dispatchable deliveries, as matgas files have): D_max 0,
    the N-1 (a ratio over D_max) is undefined, and the summary says why."""
    net = no_countries()
    net.sinks.loc["town", "mass_flow_kg_s"] = 0.0
    net.sources.loc["field", "mass_flow_kg_s"] = 0.0
    res = optimize(net, "security", outages=False)
    assert math.isnan(res.objective)
    assert res.summary["n1_undefined"] == ["whole network"]
    assert "D_max" in res.summary["n1_undefined_note"]
