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
    assert res.status == "incomplete"
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
    from gasunion.optimize._security_data import central_asia_capacities

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
    """Kyrgyzstan is fed only through BTBA_5 (BTBA system figure 12 bcm/y, one string);
    the way back from Almaty has no gas behind it (Almaty is fed through Kyrgyzstan). So
    EP = I = 12 bcm/y and N-1 = P / D = 0.028 / 0.44 = 6.36 % (annual rates; the ratio is
    the same in mcm/d)."""
    _, res = union_result
    row = res["n1"].loc["KG"]
    assert row["i_m_element"] == "BTBA_5"
    assert row["ep_m_mcm_d"] == pytest.approx(row["i_m_mcm_d"])
    assert row["n1_pct"] == pytest.approx(0.028 / 0.44 * 100.0, rel=1e-3)
    h = res["hhi"]
    share_cols = [c for c in h.columns if c.startswith("share_")]
    sums = h.loc[h["imports_kg_s"] > 0, share_cols].sum(axis=1)
    assert (sums - 100.0).abs().max() < 1e-6
