"""The embedded Central Asia dataset: provenance, validity, convergence and consistency.

* every row of every shipped table names its source, and every [ID] cited exists in SOURCES.md;
* every scenario builds a valid network whose elements all carry owner, country and source;
* every scenario converges (Colebrook/Papay and the default Nikuradse) with no bound violated;
* border flows stay within the sourced design capacities (system figures counted once);
* the 2023 border flows match the reported 2023 volumes within 10 %;
* sections sized by the design-capacity rule keep the pressure band at their design flow.
"""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import gasunion as gu
from gasunion.datasets import (
    SCENARIOS,
    border_flow_report,
    central_asia,
    corridor_report,
    default_network,
    key_pressures,
    parties,
    reported_flow_check,
)
from gasunion.datasets.central_asia import dataset_tables, defaults

DATA = resources.files("gasunion.datasets").joinpath("data", "central_asia")
DOCS = Path(__file__).resolve().parents[2] / "docs" / "datasets"


@pytest.fixture(scope="module")
def tables() -> dict[str, pd.DataFrame]:
    return dataset_tables()


@pytest.fixture(scope="module")
def runs() -> dict[str, tuple[gu.Network, gu.SimulationResult]]:
    out = {}
    for name in SCENARIOS:
        net = central_asia(name)
        out[name] = (net, gu.simulate(net, friction="colebrook", z="papay"))
    return out


# ----------------------------------------------------------------------------- provenance
def test_every_shipped_row_has_a_source(tables: dict[str, pd.DataFrame]) -> None:
    assert set(tables) == {"nodes", "pipelines", "countries", "flows", "parties", "defaults",
                           "scenarios"}
    for name, df in tables.items():
        assert "source" in df.columns, name
        empty = df[df["source"].str.strip() == ""]
        assert empty.empty, f"{name}.csv rows without source: {empty.index.tolist()}"


def test_cited_source_ids_exist(tables: dict[str, pd.DataFrame]) -> None:
    text = DATA.joinpath("SOURCES.md").read_text(encoding="utf-8")
    known = set(re.findall(r"^\| ([A-Z0-9_]+) \|", text, flags=re.M))
    assert len(known) > 50
    for name, df in tables.items():
        cited = set(re.findall(r"\[([A-Z0-9_]+)\]", " ".join(df["source"])))
        assert cited <= known, f"{name}.csv cites unknown sources {sorted(cited - known)}"


def test_unsourced_values_are_marked_estimates(tables: dict[str, pd.DataFrame]) -> None:
    # defaults: every row is an engineering default or cites a source
    d = tables["defaults"]
    assert d["source"].str.contains(r"estimate: engineering default|\[[A-Z0-9_]+\]").all()
    # scenario values without a sourced figure say how they were made
    sc = tables["scenarios"]
    derived = sc["element"].str.match(r"SNK_(UZ|KZ)_|SRC_TM_SAMANDEPE|DLV_SHYMKENT|UGS_")
    sourced_rate = sc["note"].str.startswith("peak-day withdrawal: deliverability")  # Gazli 28-30
    assert sc.loc[derived & ~sourced_rate, "note"].str.contains("estimate:").all()
    # rows that only rest on general knowledge say so in their note
    for name in ("nodes", "pipelines"):
        df = tables[name]
        gk = df["source"].str.strip() == "general knowledge"
        assert df.loc[gk, "note"].str.contains("estimate|approx").all(), name


def test_scenario_table_is_complete(tables: dict[str, pd.DataFrame]) -> None:
    sc = tables["scenarios"]
    assert set(sc["scenario"]) == set(SCENARIOS)
    assert set(sc["kind"]) == {"source", "sink", "storage"}
    assert set(sc["unit"]) <= {"bcm_y", "mcm_d"}
    assert set(sc["control"]) == {"flow", "pressure"}
    assert not sc.duplicated(["scenario", "kind", "element"]).any()
    assert (pd.to_numeric(sc["value"]) >= 0).all()
    # paired delivery points carry the same value on both sides
    for _, g in sc[sc["element"].str.startswith("DLV_")].groupby(
            [sc["scenario"], sc["element"].str.rsplit("_", n=1).str[0]]):
        assert len(g) == 2 and g["value"].nunique() == 1


@pytest.mark.parametrize(("scenario", "country", "total"), [
    ("2023", "UZ", 51.0), ("2023", "KZ", 20.0), ("union", "UZ", 51.0), ("union", "KZ", 21.3),
    ("line-d", "KZ", 20.0), ("winter-peak", "UZ", 51.0 * 1.5), ("winter-peak", "KZ", 20.0 * 1.5)])
def test_demand_split_adds_up_to_national_consumption(tables: dict[str, pd.DataFrame],
                                                      scenario: str, country: str,
                                                      total: float) -> None:
    sc = tables["scenarios"]
    rows = sc[(sc["scenario"] == scenario) & sc["element"].str.startswith(f"SNK_{country}_")]
    v = pd.to_numeric(rows["value"])
    if (rows["unit"] == "mcm_d").all():
        v = v * 365.0 / 1000.0
    assert v.sum() == pytest.approx(total, rel=1e-6)


def test_parties_cover_every_owner(runs: dict[str, tuple[gu.Network, gu.SimulationResult]]) -> None:
    p = parties()
    assert set(p.loc[p["role"] == "union member", "country"]) == {"RU", "KZ", "UZ"}
    assert set(p.loc[p["role"] == "neighbour", "country"]) == {"TM", "KG", "TJ"}
    assert set(p.loc[p["role"] == "market", "country"]) == {"CN"}
    ops = p[p["country_operator"]]
    assert ops["country"].is_unique and set(ops["country"]) == {"RU", "KZ", "UZ", "TM", "KG", "TJ", "CN"}
    for net, _ in runs.values():
        for comp, df in net.iter_components():
            assert df["owner"].isin(p.index).all(), (comp, sorted(set(df["owner"]) - set(p.index)))


# ----------------------------------------------------------------------------- the networks
@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_every_element_validates_and_carries_provenance(
        runs: dict[str, tuple[gu.Network, gu.SimulationResult]], scenario: str) -> None:
    net, _ = runs[scenario]
    report = net.validate()
    assert report.ok, str(report)
    assert not report.warnings, str(report)
    for comp, df in net.iter_components():
        for col in ("owner", "country", "source", "note"):
            assert (df[col].str.strip() != "").all(), f"{comp}.{col} empty: {df.index[df[col] == ''][:5]}"
    assert net.junctions[["lat", "lon"]].notna().all().all()
    # exactly one pressure reference per hydraulic island: sources with p_set + p_out stations
    from gasunion.network.validation import islands, pressure_anchors

    n, labels = islands(net)
    slack, regs = pressure_anchors(net)
    pos = pd.Series(np.arange(len(net.junctions)), index=net.junctions.index)
    anchored = list(slack) + regs["to_junction"].tolist()
    counts = np.bincount(labels[pos[anchored].to_numpy()], minlength=n)
    used = labels[pos[pd.unique(pd.concat([net.pipes.loc[net.pipes.in_service, "from_junction"],
                                           net.sinks["junction"]]))].to_numpy()]
    assert (counts[np.unique(used)] == 1).all()


@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_every_scenario_converges_within_bounds(
        runs: dict[str, tuple[gu.Network, gu.SimulationResult]], scenario: str) -> None:
    net, res = runs[scenario]
    assert res.summary["converged"] and res.summary["feasible"]
    assert res.violations.empty, res.violations.to_string()
    assert res.summary["max_mass_balance_error_kg_s"] < 1e-4
    # the default settings converge too
    res2 = gu.simulate(net)
    assert res2.summary["converged"] and res2.violations.empty
    p = res.junctions["p_bar"]
    assert p.min() >= float(defaults().loc["junction_p_min_bar", "value"]) - 1e-6


@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_reference_sources_balance_as_expected(
        runs: dict[str, tuple[gu.Network, gu.SimulationResult]],
        tables: dict[str, pd.DataFrame], scenario: str) -> None:
    """Pressure references supply the expected balance of scenarios.csv plus compressor fuel."""
    net, res = runs[scenario]
    sc = tables["scenarios"]
    ref = sc[(sc["scenario"] == scenario) & (sc["control"] == "pressure")].set_index("element")
    expected = pd.to_numeric(ref["value"])
    conv = np.where(ref["unit"] == "mcm_d", net.gas.kg_s_from_mcm_d(expected),
                    net.gas.kg_s_from_bcm_y(expected))
    got = res.sources.loc[ref.index, "mass_flow_kg_s"].to_numpy(float)
    assert np.all(got >= conv * (1 - 1e-6))           # fuel only adds
    assert np.all(got <= conv * 1.06 + 1.0)          # ... a few per cent


def test_unknown_scenario_is_rejected() -> None:
    with pytest.raises(ValueError, match=r"unknown Central Asia scenario 'winter'; available "
                                         r"scenarios: 2023, union, winter-peak, line-d"):
        central_asia("winter")


def test_default_network_is_central_asia_2023() -> None:
    net = default_network()
    assert net.name == "Central Asia (2023)"
    assert net.meta["scenario"] == "2023" and net.meta["citation"]
    res = gu.simulate(net)  # what `gasunion demo` runs
    assert res.summary["converged"]


def test_lossless_json_round_trip(runs: dict[str, tuple[gu.Network, gu.SimulationResult]],
                                  tmp_path: Path) -> None:
    net, _ = runs["2023"]
    gu.write(net, tmp_path / "ca.json")
    assert gu.read(tmp_path / "ca.json").equals(net)


# ----------------------------------------------------------------------------- consistency
@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_border_flows_within_design_capacity(
        runs: dict[str, tuple[gu.Network, gu.SimulationResult]], scenario: str) -> None:
    net, res = runs[scenario]
    b = border_flow_report(net, res)
    sourced = b.dropna(subset=["capacity_bcm_y"])
    assert len(sourced) >= 12
    assert (sourced["flow_bcm_y"] <= sourced["capacity_bcm_y"]).all(), sourced.to_string()
    # system capacities are counted once: CAC is 60.2 bcm/y at each of its border points,
    # the additive CAGP lines A/B/C give 15 + 15 + 25
    cap = b.set_index("border_point")["capacity_bcm_y"]
    assert cap["BRD_KZ_RU_CAC"] == pytest.approx(60.2)
    assert cap["BRD_TM_UZ_CAC"] == pytest.approx(60.2)
    assert cap["UZ_GEDAIM"] == pytest.approx(55.0)
    assert cap["BRD_UZ_KZ_S"] == pytest.approx(55.0)   # BTBA_2 (12) is closed in the model
    assert cap["BRD_KZ_CN_KHORGOS"] == pytest.approx(55.0)


def test_2023_border_flows_match_reports(runs: dict[str, tuple[gu.Network, gu.SimulationResult]]) -> None:
    net, res = runs["2023"]
    chk = reported_flow_check(net, res, "2023").set_index("compare_at")
    assert set(chk.index) == {"BRD_KZ_RU_CAC", "BRD_UZ_KZ_CAC", "KZ>KG", "BRD_UZ_TJ",
                              "BRD_TM_UZ_CAC", "KARACH_ORENBURG", "BRD_UZ_KZ_S", "UZ_GEDAIM",
                              "BRD_KZ_CN_KHORGOS"}
    assert (chk["deviation"].abs() <= 0.10).all(), chk.to_string()
    # directions: Russian gas flows south through Kazakhstan to Uzbekistan
    b = border_flow_report(net, res).set_index("border_point")
    assert tuple(b.loc["BRD_KZ_RU_CAC", ["from_country", "to_country"]]) == ("RU", "KZ")
    assert tuple(b.loc["BRD_UZ_KZ_CAC", ["from_country", "to_country"]]) == ("KZ", "UZ")
    assert tuple(b.loc["UZ_GEDAIM", ["from_country", "to_country"]]) == ("TM", "UZ")


def test_union_and_line_d_volumes(runs: dict[str, tuple[gu.Network, gu.SimulationResult]]) -> None:
    net, res = runs["union"]
    b = border_flow_report(net, res).set_index("border_point")
    assert b.loc["BRD_KZ_RU_CAC", "flow_bcm_y"] == pytest.approx(11.0, rel=1e-6)
    assert b.loc["BRD_UZ_KZ_CAC", "flow_bcm_y"] == pytest.approx(11.0, rel=0.01)
    net, res = runs["line-d"]
    b = border_flow_report(net, res).set_index("border_point")
    for pair in ("TM-UZ", "UZ-TJ", "TJ-KG", "KG-CN"):
        assert 27.0 <= b.loc[f"CAGP_D {pair}", "flow_bcm_y"] <= 30.0
    assert res.sinks.loc["SNK_CN_WUQIA", "flow_mcm_d"] == pytest.approx(27.0 * 1000 / 365)


def test_winter_peak_is_a_peak_day(runs: dict[str, tuple[gu.Network, gu.SimulationResult]]) -> None:
    base = runs["2023"][1].sinks["mass_flow_kg_s"]
    peak = runs["winter-peak"][1].sinks["mass_flow_kg_s"]
    domestic = base.index.str.match(r"SNK_(UZ|KZ|TM|KG|TJ)_")
    assert np.allclose(peak[domestic], 1.5 * base[domestic])
    assert np.allclose(peak[["SNK_CN_HORGOS", "SNK_RU_ORENBURG"]],
                       base[["SNK_CN_HORGOS", "SNK_RU_ORENBURG"]])       # exports held
    st = runs["winter-peak"][1].storages["flow_mcm_d"]
    assert st["UGS_UZ_GAZLI"] == pytest.approx(28.0) and (st > 0).all()
    net = runs["winter-peak"][0]
    assert (net.storages["mass_flow_kg_s"] <= net.storages["withdrawal_max_kg_s"].fillna(np.inf)).all()


def test_design_flow_sections_stay_in_the_pressure_band(
        runs: dict[str, tuple[gu.Network, gu.SimulationResult]]) -> None:
    """One section of each row sized by its own design capacity, carrying that capacity."""
    net, _ = runs["line-d"]
    pip = dataset_tables()["pipelines"].set_index("id")
    rows = pip[(pip["capacity_basis"] == "row") & pip["operation"].isin(["forward", "reverse"])]
    row_of = pd.Series(net.meta["branch_row"])
    checked = 0
    for (a, b), grp in rows.groupby(["model_from_node", "model_to_node"]):
        first = net.pipes[net.pipes.index.map(row_of).isin(grp.index)
                          & net.pipes.index.map(pd.Series(net.meta["branch_section"])).isin([1])]
        if first.empty:
            continue
        design = pd.to_numeric(grp["design_capacity_bcm_y"]).sum()
        sec = gu.Network("section", gas=net.gas)
        sec.add("junctions", ["in", "out"])
        sec.add("sources", "S", junction="in", p_set_bar=54.0)
        sec.add("sinks", "D", junction="out", mass_flow_kg_s=net.gas.kg_s_from_bcm_y(design))
        sec.add_table("pipes", first[["length_km", "diameter_mm", "roughness_mm"]].assign(
            from_junction="in", to_junction="out"))
        r = gu.simulate(sec, friction="colebrook", z="papay")
        assert r.junctions.at["out", "p_bar"] >= 36.0 - 0.3, (a, b, r.junctions.at["out", "p_bar"])
        checked += 1
    assert checked >= 8


# ----------------------------------------------------------------------------- reports
def test_report_tables(runs: dict[str, tuple[gu.Network, gu.SimulationResult]]) -> None:
    net, res = runs["2023"]
    b = border_flow_report(net, res)
    assert list(b.columns) == ["border_point", "name", "from_country", "to_country", "systems",
                               "flow_mcm_d", "flow_bcm_y", "capacity_bcm_y", "utilisation"]
    assert (b["flow_mcm_d"] >= 0).all() and (b["from_country"] != b["to_country"]).all()
    assert {"BRD_KZ_RU_CAC", "BRD_UZ_KZ_CAC", "UZ_GEDAIM", "BRD_UZ_KZ_S", "BRD_KZ_CN_KHORGOS",
            "BRD_KZ_KG_W", "BRD_UZ_TJ", "BRD_TM_UZ_CAC"} <= set(b["border_point"])
    c = corridor_report(net, res)
    assert list(c.columns) == ["system", "system_name", "segment", "max_flow_mcm_d",
                               "max_flow_bcm_y", "capacity_bcm_y", "utilisation",
                               "max_utilisation", "bottleneck"]
    assert {"CAC", "BU", "CAGP", "BBS", "BTBA"} <= set(c["system"])
    assert c.set_index("system").loc["CAGP", "capacity_bcm_y"] == pytest.approx(55.0)
    assert (c["max_utilisation"].dropna() <= 1.0 + 1e-9).all()
    k = key_pressures(net, res)
    assert list(k.columns) == ["junction", "name", "country", "kind", "p_bar", "p_min_bar",
                               "p_max_bar", "margin_to_min_bar", "margin_to_max_bar"]
    assert (k["margin_to_min_bar"] >= 0).all() and (k["margin_to_max_bar"] >= -1e-9).all()
    assert not k["junction"].str.contains(r"[.>]|_RX$").any()


def test_doc_page_and_map_are_present() -> None:
    page = (DOCS / "central-asia.md").read_text(encoding="utf-8")
    assert "central-asia-map.png" in page
    png = DOCS / "central-asia-map.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (DOCS / "make_map.py").exists()
