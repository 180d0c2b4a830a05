"""Tests of the GasLib XML writer :func:`gasunion.io.gaslib_writer.write_gaslib`.

Round trips (read -> write -> read) of every shipped GasLib instance (tests/data/gaslib, CC BY
3.0; Schmidt et al. 2017, *Data* 2(4):40) and of a meshed network built here, compared table by
table and by simulation; plus the cases GasLib cannot represent.
"""

from __future__ import annotations

import math
import warnings
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import gasunion as gu
from gasunion.errors import GasunionError, GasunionWarning
from gasunion.io.gaslib_writer import GaslibExportError, write_gaslib
from gasunion.network import Network

DATA = Path(__file__).resolve().parents[1] / "data" / "gaslib"
INSTANCES = {
    "GasLib-11": ("GasLib-11/GasLib-11.net", "GasLib-11/GasLib-11.scn"),
    "GasLib-24": ("GasLib-24/GasLib-24.net", "GasLib-24/GasLib-24.scn"),
    "GasLib-40": ("GasLib-40/GasLib-40.net", "GasLib-40/GasLib-40.scn"),
    "GasLib-134": ("GasLib-134/GasLib-134-v2.net", "GasLib-134/Nominations-134/2011-11-01.scn"),
    "GasLib-135": ("GasLib-135/GasLib-135.net", "GasLib-135/GasLib-135.scn"),
    "GasLib-Integration": ("GasLib-Integration/GasLib-Integration.net",
                           "GasLib-Integration/GasLib-Integration.scn"),
}
#: Columns compared bit for bit: written as the shortest decimal of the stored double, no unit
#: change (km, mm, m, bar absolute in the .net, degrees, drawing units).
EXACT = {
    "junctions": ["x", "y", "lat", "lon", "height_m", "p_min_bar", "p_max_bar"],
    "pipes": ["length_km", "diameter_mm", "roughness_mm", "p_max_bar", "heat_transfer_w_m2k"],
    "resistors": ["drag_factor", "diameter_mm", "pressure_loss_bar"],
    "valves": ["p_diff_max_bar"],
    "control_valves": ["p_in_min_bar", "p_out_max_bar", "p_diff_min_bar", "p_diff_max_bar"],
    "compressors": ["p_in_min_bar", "p_out_max_bar"],
}
#: Columns through a unit change (kg/s <-> 1000 Nm3/h, K <-> Celsius, bar <-> barg).
CONVERTED = ["mass_flow_kg_s", "mass_flow_min_kg_s", "mass_flow_max_kg_s", "p_set_bar",
             "temperature_k"]
GAS_FIELDS = ["molar_mass_kg_kmol", "temperature_k", "p_pc_bar", "t_pc_k", "norm_density_kg_m3",
              "calorific_value_mj_m3", "viscosity_pa_s", "kappa", "volume_reference_k"]


def _round_trip(net: Network, tmp: Path, name: str = "out", **kw: object) -> tuple[Network,
                                                                                 list[Path]]:
    files = write_gaslib(net, tmp / f"{name}.net", **kw)  # type: ignore[arg-type]
    scn = files[1] if len(files) > 1 else None
    return gu.read(files[0], scenario=scn), files


def _assert_same_tables(a: Network, b: Network) -> None:
    """Every table: same ids in the same order; EXACT columns bit for bit, CONVERTED ones to
    1e-9 relative, every other column equal (note/source/kind excepted: provenance)."""
    for comp in a.components:
        ta, tb = a[comp], b[comp]
        assert list(ta.index) == list(tb.index), comp
        for col in ta.columns:
            if col in ("note", "source", "kind"):
                continue
            x, y = ta[col].to_numpy(), tb[col].to_numpy()
            if col in EXACT.get(comp, ()):
                assert np.array_equal(x, y, equal_nan=True), (comp, col)
            elif col in CONVERTED:
                np.testing.assert_allclose(y, x, rtol=1e-9, atol=0, err_msg=f"{comp}.{col}")
            elif ta[col].dtype == float:
                np.testing.assert_allclose(y, x, rtol=1e-12, atol=0, err_msg=f"{comp}.{col}")
            else:
                assert list(x) == list(y), (comp, col)


def _assert_same_gas(a: Network, b: Network) -> None:
    for f in GAS_FIELDS:
        va, vb = getattr(a.gas, f), getattr(b.gas, f)
        assert (va is None and vb is None) or math.isclose(va, vb, rel_tol=1e-12), f
    assert a.gas.rho_n == pytest.approx(b.gas.rho_n, rel=1e-15)


def _assert_same_pressures(a: Network, b: Network) -> None:
    ra, rb = gu.simulate(a), gu.simulate(b)
    pa = ra.junctions["p_bar"]
    pb = rb.junctions["p_bar"].reindex(pa.index)
    np.testing.assert_allclose(pb.to_numpy(), pa.to_numpy(), rtol=1e-9, atol=0)
    qa = ra.pipes["mass_flow_kg_s"]
    qb = rb.pipes["mass_flow_kg_s"].reindex(qa.index)
    np.testing.assert_allclose(qb.to_numpy(), qa.to_numpy(), rtol=1e-9, atol=1e-9)


# ------------------------------------------------------------------ shipped instances
@pytest.fixture(scope="module")
def round_trips(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Network, Network,
                                                                             list[Path]]]:
    out = {}
    tmp = tmp_path_factory.mktemp("gaslib_rt")
    for name, (net_file, scn) in INSTANCES.items():
        net = gu.read(DATA / net_file, scenario=DATA / scn)
        with warnings.catch_warnings():
            warnings.simplefilter("error", GasunionWarning)  # nothing is lost for GasLib data
            back, files = _round_trip(net, tmp, name)
        out[name] = (net, back, files)
    return out


@pytest.mark.parametrize("name", list(INSTANCES))
def test_instance_round_trip_tables(round_trips: dict, name: str) -> None:
    net, back, files = round_trips[name]
    assert [f.suffix for f in files] == [".net", ".scn"]
    _assert_same_tables(net, back)
    _assert_same_gas(net, back)
    for key in ("title", "date", "documentation"):
        assert back.meta[key] == net.meta[key]
    assert back.meta["scenario"] == net.meta["scenario"]


@pytest.mark.parametrize("name", list(INSTANCES))
def test_instance_round_trip_flows_in_kg_s(round_trips: dict, name: str) -> None:
    net, back, _ = round_trips[name]
    for comp in ("sources", "sinks"):
        np.testing.assert_allclose(back[comp]["mass_flow_kg_s"].to_numpy(),
                                   net[comp]["mass_flow_kg_s"].to_numpy(), rtol=1e-9, atol=0)
    assert back.meta["scenario_balance_kg_s"] == pytest.approx(
        net.meta["scenario_balance_kg_s"], rel=1e-12)


@pytest.mark.parametrize("name", list(INSTANCES))
def test_instance_round_trip_simulates_the_same(round_trips: dict, name: str) -> None:
    net, back, _ = round_trips[name]
    _assert_same_pressures(net, back)


def _element_counts(path: Path) -> Counter[str]:
    """Count node/connection elements with plain xml.etree (independent of gasunion)."""
    root = ET.parse(path).getroot()
    fw = "{http://gaslib.zib.de/Framework}"
    counts: Counter[str] = Counter()
    for section in (f"{fw}nodes", f"{fw}connections"):
        sec = root.find(section)
        assert sec is not None, section
        counts.update(el.tag.split("}")[1] for el in sec)
    return counts


@pytest.mark.parametrize("name", list(INSTANCES))
def test_written_xml_has_gaslib_structure(round_trips: dict, name: str) -> None:
    _, _, (net_file, scn_file) = round_trips[name]
    original = DATA / INSTANCES[name][0]
    assert _element_counts(net_file) == _element_counts(original)
    root = ET.parse(net_file).getroot()
    assert root.tag == "{http://gaslib.zib.de/Gas}network"
    scn = ET.parse(scn_file).getroot()
    assert scn.tag == "{http://gaslib.zib.de/Gas}boundaryValue"
    units = {el.get("unit") for el in root.iter() if el.get("unit")}
    assert units <= {"m", "bar", "km", "mm", "1000m_cube_per_hour", "Celsius", "K",
                     "MJ_per_m_cube", "kg_per_m_cube", "kg_per_kmol", "W_per_m_square_per_K"}
    assert {el.get("unit") for el in scn.iter() if el.get("unit")} <= {"barg",
                                                                        "1000m_cube_per_hour"}
    text = net_file.read_text(encoding="utf-8")
    assert "Creative Commons Attribution 3.0" in text  # the CC BY licence travels along


# ------------------------------------------------------------------ generated network
def _meshed() -> Network:
    """A 3 x 4 meshed grid of pipes plus a chain of every other branch type, two sinks (and a
    storage) at one junction."""
    net = Network("meshed")
    grid = [f"N{i}{k}" for i in range(3) for k in range(4)]
    chain = [f"A{i}" for i in range(1, 7)]
    ids = grid + chain
    n = len(ids)
    net.add("junctions", ids, name=[f"junction <{i}> & \"x\"" for i in ids],
            height_m=np.linspace(0.0, 123.4, n), p_min_bar=1.0, p_max_bar=81.01325,
            x=np.arange(n) * 0.1, y=np.arange(n) * 0.3, lat=np.linspace(40.1, 41.2, n),
            lon=np.linspace(60.3, 61.7, n))
    fr, to = [], []
    for i in range(3):
        for k in range(4):
            if k < 3:
                fr.append(f"N{i}{k}"), to.append(f"N{i}{k + 1}")
            if i < 2:
                fr.append(f"N{i}{k}"), to.append(f"N{i + 1}{k}")
    m = len(fr)
    net.add("pipes", [f"P{i}" for i in range(m)], from_junction=fr, to_junction=to,
            length_km=np.linspace(3.3, 47.1, m), diameter_mm=np.linspace(300.0, 1219.2, m),
            roughness_mm=np.linspace(0.005, 0.05, m), p_max_bar=84.0,
            mass_flow_min_kg_s=-500.0, mass_flow_max_kg_s=500.0)
    net.add("short_pipes", "SP", from_junction="N23", to_junction="A1")
    net.add("resistors", ["R_drag", "R_loss"], from_junction=["A1", "A2"],
            to_junction=["A2", "A3"], drag_factor=[2.5, np.nan], diameter_mm=[600.0, np.nan],
            pressure_loss_bar=[np.nan, 0.7])
    net.add("valves", "V", from_junction="A3", to_junction="A4", p_diff_max_bar=30.0)
    net.add("control_valves", "CV", from_junction="A4", to_junction="A5", mode="open",
            p_in_min_bar=20.0, p_out_max_bar=75.0, p_diff_min_bar=0.0, p_diff_max_bar=40.0)
    net.add("compressors", "CS", from_junction="A5", to_junction="A6", mode="bypass",
            p_in_min_bar=30.0, p_out_max_bar=84.0, ratio_max=2.8, fuel_junction="A5")
    net.add("sources", ["SRC_main", "SRC_2"], junction=["N00", "N03"],
            p_set_bar=[70.0, np.nan], mass_flow_kg_s=[np.nan, 40.0],
            mass_flow_min_kg_s=0.0, mass_flow_max_kg_s=400.0)
    net.add("sinks", ["D1", "D2", "D3a", "D3b"], junction=["N12", "N21", "A6", "A6"],
            mass_flow_kg_s=[25.0, 18.5, 12.25, 7.0], mass_flow_min_kg_s=0.0,
            mass_flow_max_kg_s=[100.0, 100.0, 50.0, 30.0])
    net.add("storages", "ST", junction="A3", mass_flow_kg_s=3.5, withdrawal_max_kg_s=10.0,
            injection_max_kg_s=8.0)
    return net


def test_meshed_network_round_trip(tmp_path: Path) -> None:
    net = _meshed()
    assert not net.validate().errors
    back, files = _round_trip(net, tmp_path)
    assert [f.name for f in files] == ["out.net", "out.scn"]
    # junctions, pipes and every other branch type: same ids, exact values
    for comp in ("junctions", "pipes", "short_pipes", "resistors", "valves", "control_valves"):
        assert list(back[comp].index) == list(net[comp].index)
        for col in EXACT.get(comp, []):
            assert np.array_equal(back[comp][col].to_numpy(), net[comp][col].to_numpy(),
                                  equal_nan=True), (comp, col)
    assert list(back.junctions["name"]) == list(net.junctions["name"])
    for comp in ("pipes", "short_pipes", "resistors", "valves", "control_valves", "compressors"):
        for col in ("from_junction", "to_junction"):
            assert list(back[comp][col]) == list(net[comp][col])
    np.testing.assert_allclose(back.pipes["mass_flow_min_kg_s"], -500.0, rtol=1e-12)
    cs = back.compressors.loc["CS"]
    assert (cs["mode"], cs["fuel_junction"], cs["p_in_min_bar"], cs["p_out_max_bar"]) == (
        "bypass", "A5", 30.0, 84.0)
    # sources and sinks: renamed to their junction; sinks at one junction summed
    assert list(back.sources.index) == ["N00", "N03"]
    assert back.sources.at["N00", "p_set_bar"] == pytest.approx(70.0, rel=1e-15)
    assert math.isnan(back.sources.at["N00", "mass_flow_kg_s"])
    assert back.sources.at["N03", "mass_flow_kg_s"] == pytest.approx(40.0, rel=1e-9)
    expected = {"N12": 25.0, "N21": 18.5, "A3": -3.5, "A6": 19.25}
    got = back.sinks.set_index("junction")["mass_flow_kg_s"].to_dict()
    assert set(got) == set(expected)
    for k, v in expected.items():
        assert got[k] == pytest.approx(v, rel=1e-9)
    assert back.sinks.at["A6", "mass_flow_max_kg_s"] == pytest.approx(80.0, rel=1e-9)
    assert back.sinks.at["A3", "mass_flow_min_kg_s"] == pytest.approx(-10.0, rel=1e-9)
    assert back.sinks.at["A3", "mass_flow_max_kg_s"] == pytest.approx(8.0, rel=1e-9)
    _assert_same_gas(net, back)
    _assert_same_pressures(net, back)


def test_meshed_network_second_round_trip_is_stable(tmp_path: Path) -> None:
    once, _ = _round_trip(_meshed(), tmp_path, "once")
    twice, _ = _round_trip(once, tmp_path, "twice")
    _assert_same_tables(once, twice)
    _assert_same_gas(once, twice)


def test_write_hook_and_default_scenario_path(tmp_path: Path) -> None:
    net = _meshed()
    gu.io.write(net, tmp_path / "hook.net")
    assert (tmp_path / "hook.net").exists() and (tmp_path / "hook.scn").exists()
    back = gu.read(tmp_path / "hook.net", scenario=tmp_path / "hook.scn")
    assert len(back.junctions) == len(net.junctions)
    with pytest.raises(ValueError, match=r"\.net \(GasLib\)"):
        gu.io.write(net, tmp_path / "x.xml")


def test_explicit_scenario_path_and_no_set_points(tmp_path: Path) -> None:
    net = _meshed()
    files = write_gaslib(net, tmp_path / "a.net", scenario_path=tmp_path / "day1.scn")
    assert files == [tmp_path / "a.net", tmp_path / "day1.scn"]
    net.sinks["mass_flow_kg_s"] = np.nan
    net.sources["mass_flow_kg_s"] = np.nan
    net.sources["p_set_bar"] = np.nan
    net.remove("storages", "ST")
    assert write_gaslib(net, tmp_path / "b.net") == [tmp_path / "b.net"]
    assert not (tmp_path / "b.scn").exists()


def test_gas_from_the_network_when_sources_have_none(tmp_path: Path) -> None:
    net = _meshed()
    net.gas = net.gas.with_(molar_mass_kg_kmol=17.3, temperature_k=288.15, norm_density_kg_m3=0.76,
                            calorific_value_mj_m3=39.1, p_pc_bar=46.2, t_pc_k=192.3)
    back, _ = _round_trip(net, tmp_path)
    _assert_same_gas(net, back)
    assert back.sources["norm_density_kg_m3"].tolist() == [0.76, 0.76]
    assert back.sources.at["N03", "mass_flow_kg_s"] == pytest.approx(40.0, rel=1e-9)


# ------------------------------------------------------------------ what GasLib cannot hold
def _error(net: Network, tmp: Path) -> GaslibExportError:
    with pytest.raises(GaslibExportError) as info:
        write_gaslib(net, tmp / "bad.net")
    assert isinstance(info.value, GasunionError) and isinstance(info.value, ValueError)
    return info.value


def test_owner_is_refused_unless_dropped(tmp_path: Path) -> None:
    net = _meshed()
    net.pipes.loc["P3", "owner"] = "KazTransGas"
    err = _error(net, tmp_path)
    assert (err.component, err.element, err.field) == ("pipes", "P3", "owner")
    assert "drop_unsupported=True" in str(err)
    with pytest.warns(GasunionWarning, match="owner"):
        back, _ = _round_trip(net, tmp_path, drop_unsupported=True)
    assert (back.pipes["owner"] == "").all()


def test_source_and_sink_at_one_junction_are_merged_exactly(tmp_path: Path) -> None:
    net = _meshed()
    net.add("sinks", ["D_slack", "D_net_in", "D_net_out"], junction=["N00", "N03", "N12"],
            mass_flow_kg_s=[5.0, 15.0, 4.0])
    net.add("sources", "SRC_small", junction="N12", mass_flow_kg_s=1.5)
    back, _ = _round_trip(net, tmp_path)
    src = back.sources
    # a pressure set-point makes the node a source holding it; its flow is the slack's
    assert src.at["N00", "p_set_bar"] == pytest.approx(70.0, rel=1e-15)
    assert "N00" not in back.sinks.index
    # otherwise the net injection: 40 - 15 in at N03, 25 + 4 - 1.5 out at N12
    assert src.at["N03", "mass_flow_kg_s"] == pytest.approx(25.0, rel=1e-9)
    assert back.sinks.at["N12", "mass_flow_kg_s"] == pytest.approx(27.5, rel=1e-9)
    assert "N12" not in src.index
    _assert_same_pressures(net, back)


def test_source_and_sink_that_cannot_be_merged(tmp_path: Path) -> None:
    net = _meshed()
    net.add("sinks", "D_at_slack", junction="N00", p_set_bar=60.0)
    err = _error(net, tmp_path)
    assert (err.element, err.field) == ("N00", "p_set_bar")
    net = _meshed()
    net.add("sinks", "D_free", junction="N03")  # neither a flow nor a pressure set-point
    err = _error(net, tmp_path)
    assert (err.element, err.field) == ("N03", "mass_flow_kg_s")
    assert "either a source or a sink" in str(err)


def test_conflicting_set_points_at_one_junction(tmp_path: Path) -> None:
    net = _meshed()
    net.sinks.loc["D3b", "p_set_bar"] = 40.0
    net.add("sinks", "D3c", junction="A6", p_set_bar=41.0, mass_flow_kg_s=1.0)
    err = _error(net, tmp_path)
    assert err.field == "p_set_bar" and "'A6'" in str(err)
    net = _meshed()
    net.sinks.loc["D3b", "mass_flow_kg_s"] = np.nan
    err = _error(net, tmp_path)
    assert err.field == "mass_flow_kg_s" and "D3b" in str(err)
    net.sinks.loc["D3b", "p_set_bar"] = 45.0  # a pressure-set junction: the flows are the slack's
    back, _ = _round_trip(net, tmp_path)
    assert back.sinks.at["A6", "p_set_bar"] == pytest.approx(45.0, rel=1e-15)
    assert math.isnan(back.sinks.at["A6", "mass_flow_kg_s"])


def test_friction_factor_and_repeated_connection_ids(tmp_path: Path) -> None:
    net = _meshed()
    net.pipes.loc["P0", "friction_factor"] = 0.011
    assert _error(net, tmp_path).field == "friction_factor"
    net = _meshed()
    net.add("valves", "P0", from_junction="N00", to_junction="N01")
    err = _error(net, tmp_path)
    assert err.element == "P0" and "unique" in str(err)


def test_gas_the_sources_cannot_carry(tmp_path: Path) -> None:
    net = gu.read(DATA / INSTANCES["GasLib-24"][0], scenario=DATA / INSTANCES["GasLib-24"][1])
    net.gas = net.gas.with_(molar_mass_kg_kmol=20.0)  # no longer the mean over the sources
    err = _error(net, tmp_path)
    assert err.field == "molar_mass_kg_kmol"
    net = _meshed()
    net.gas = net.gas.with_(viscosity_pa_s=1.3e-5)
    assert _error(net, tmp_path).field == "viscosity_pa_s"


def test_operating_states_are_lost_with_a_warning(tmp_path: Path) -> None:
    net = _meshed()
    net.compressors.loc["CS", "mode"] = "ratio"
    net.compressors.loc["CS", "ratio_set"] = 1.3
    net.valves.loc["V", "open"] = False
    with pytest.warns(GasunionWarning, match="compressors mode.*valves open"):
        back, _ = _round_trip(net, tmp_path)
    assert back.compressors.at["CS", "mode"] == "bypass"
    assert bool(back.valves.at["V", "open"])


def test_out_of_service_elements_are_not_written(tmp_path: Path) -> None:
    net = _meshed()
    net.pipes.loc["P5", "in_service"] = False
    net.sinks.loc["D2", "in_service"] = False
    back, _ = _round_trip(net, tmp_path)
    assert "P5" not in back.pipes.index
    assert "N21" not in back.sinks.index
    assert back.junctions.at["N21", "kind"] == "innode"


def test_xml_special_characters_round_trip(tmp_path: Path) -> None:
    net = _meshed()
    net.junctions.loc["N00", "name"] = 'a<b>&"c"\n\td'
    net.meta["documentation"] = "pipes & <valves>"
    back, files = _round_trip(net, tmp_path)
    ET.parse(files[0])  # well-formed
    assert back.junctions.at["N00", "name"] == 'a<b>&"c"\n\td'
    assert back.meta["documentation"] == "pipes & <valves>"


def test_written_values_are_the_shortest_round_trip_decimals(tmp_path: Path) -> None:
    net = _meshed()
    net.pipes.loc["P0", "length_km"] = 0.1 + 0.2
    files = write_gaslib(net, tmp_path / "d.net")
    root = ET.parse(files[0]).getroot()
    ns = {"g": "http://gaslib.zib.de/Gas", "f": "http://gaslib.zib.de/Framework"}
    pipe = root.find("f:connections/g:pipe[@id='P0']", ns)
    assert pipe is not None
    length = pipe.find("g:length", ns)
    assert length is not None and length.get("value") == repr(0.1 + 0.2)
    scn = ET.parse(files[1]).getroot()
    p = scn.find("g:scenario/g:node[@id='N00']/g:pressure", ns)
    assert p is not None and (p.get("value"), p.get("unit"), p.get("bound")) == (
        "68.98675", "barg", "both")
    assert pd.isna(gu.read(files[0], scenario=files[1]).sources.at["N00", "mass_flow_kg_s"])


def test_a_shared_branch_id_names_both_kinds(tmp_path: Path) -> None:
    """GasLib connection ids share one name space: a pipe and a compressor both called '1'
    (as in GasModels' case-6.m) are refused naming the id and both kinds of element."""
    net = Network("shared")
    net.add("junctions", ["a", "b", "c"])
    net.add("sources", "s", junction="a", p_set_bar=60.0)
    net.add("sinks", "d", junction="c", mass_flow_kg_s=1.0)
    net.add("pipes", "1", from_junction="a", to_junction="b", length_km=1.0, diameter_mm=500.0)
    net.add("compressors", "1", from_junction="b", to_junction="c", ratio_set=1.2)
    with pytest.raises(GaslibExportError) as info:
        write_gaslib(net, tmp_path / "shared.net")
    text = str(info.value)
    assert "'1' is the id of pipes and compressors" in text, text
