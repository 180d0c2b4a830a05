"""Tests of the GasLib XML reader :func:`gasunion.io.gaslib.read_gaslib`.

Data: ``tests/data/gaslib`` — original GasLib instances (gaslib.zib.de, CC BY 3.0; Schmidt et
al. 2017, *Data* 2(4):40; Pfetsch et al. 2012, ZIB-Report 12-41). ``inventory.txt`` there is an
independent count of every instance's XML elements and scenario flows, made with Python's
xml.etree (not with gasunion); tests/data/gaslib/README.md states how to recount it.
"""

from __future__ import annotations

import ast
import math
import pickle
import re
from importlib import resources
from pathlib import Path

import numpy as np
import pytest

from gasunion.io.errors import InputFileError
from gasunion.io.gaslib import read_gaslib
from gasunion.network import Network

DATA = Path(__file__).resolve().parents[1] / "data" / "gaslib"

#: instance -> (.net, .scn, .cs) relative to DATA
INSTANCES: dict[str, tuple[str, str | None, str | None]] = {
    "GasLib-11": ("GasLib-11/GasLib-11.net", "GasLib-11/GasLib-11.scn",
                  "GasLib-11/GasLib-11.cs"),
    "GasLib-24": ("GasLib-24/GasLib-24.net", "GasLib-24/GasLib-24.scn",
                  "GasLib-24/GasLib-24.cs"),
    "GasLib-40": ("GasLib-40/GasLib-40.net", "GasLib-40/GasLib-40.scn",
                  "GasLib-40/GasLib-40.cs"),
    "GasLib-134": ("GasLib-134/GasLib-134-v2.net", "GasLib-134/Nominations-134/2011-11-01.scn",
                   None),
    "GasLib-135": ("GasLib-135/GasLib-135.net", "GasLib-135/GasLib-135.scn",
                   "GasLib-135/GasLib-135.cs"),
    "GasLib-Integration": ("GasLib-Integration/GasLib-Integration.net",
                           "GasLib-Integration/GasLib-Integration.scn",
                           "GasLib-Integration/GasLib-Integration.cs"),
}
#: GasLib element -> (component table, kind in junctions.kind or None)
ELEMENT_TABLE = {
    "source": "sources", "sink": "sinks", "pipe": "pipes", "shortPipe": "short_pipes",
    "resistor": "resistors", "valve": "valves", "controlValve": "control_valves",
    "compressorStation": "compressors",
}


def _load(name: str) -> Network:
    net, scn, cs = INSTANCES[name]
    return read_gaslib(DATA / net, DATA / scn if scn else None, DATA / cs if cs else None)


@pytest.fixture(scope="module")
def nets() -> dict[str, Network]:
    return {name: _load(name) for name in INSTANCES}


def _inventory() -> dict[str, dict[str, object]]:
    """Parse inventory.txt: per .net file its element counts and scenario flow sums."""
    out: dict[str, dict[str, object]] = {}
    current: dict[str, object] = {}
    for line in (DATA / "inventory.txt").read_text(encoding="utf-8").splitlines():
        m = re.match(r"## (\S+)", line)
        if m:
            current = {}
            out[m.group(1)] = current
            continue
        s = line.strip()
        if s.startswith("elements:"):
            current["elements"] = ast.literal_eval(s.removeprefix("elements:").strip())
        m = re.search(r"sum of \(both/lower\) flow by type (\{[^}]*\})", s)
        if m:
            current["flow_sums"] = ast.literal_eval(m.group(1))
    return out


INVENTORY = _inventory()


# ---------------------------------------------------------------------------- every instance
@pytest.mark.parametrize("name", sorted(INSTANCES))
def test_instance_loads_and_validates(nets: dict[str, Network], name: str) -> None:
    net = nets[name]
    report = net.validate()
    assert report.ok, str(report)
    assert net.meta["format"] == "GasLib XML"
    assert "CC BY 3.0" in net.meta["licence"]
    assert "Data 2(4):40" in net.meta["citation"] and "ZIB-Report 12-41" in net.meta["citation"]
    assert net.meta["assumptions"]
    assert net.meta["scenario"]
    assert Path(INSTANCES[name][0]).name in net.meta["source_files"]


@pytest.mark.parametrize("name", sorted(INSTANCES))
def test_counts_match_inventory(nets: dict[str, Network], name: str) -> None:
    net = nets[name]
    elements = INVENTORY[INSTANCES[name][0]]["elements"]
    assert isinstance(elements, dict)
    kinds = net.junctions["kind"].value_counts().to_dict()
    n_nodes = sum(elements.get(k, 0) for k in ("source", "sink", "innode"))
    assert len(net.junctions) == n_nodes
    for kind in ("source", "sink", "innode"):
        assert kinds.get(kind, 0) == elements.get(kind, 0), kind
    for element, table in ELEMENT_TABLE.items():
        assert len(net[table]) == elements.get(element, 0), (element, table)


def test_gaslib40_counts_by_hand(nets: dict[str, Network]) -> None:
    """GasLib-40: 3 sources + 29 sinks + 8 innodes = 40 junctions, 39 pipes, 6 compressors."""
    net = nets["GasLib-40"]
    assert (len(net.sources), len(net.sinks), len(net.junctions)) == (3, 29, 40)
    assert (len(net.pipes), len(net.compressors)) == (39, 6)


@pytest.mark.parametrize("name", sorted(INSTANCES))
def test_scenario_set_points_balance(nets: dict[str, Network], name: str) -> None:
    """Sum of source set-points == sum of sink set-points == inventory sum * rho_n / 3.6."""
    net = nets[name]
    src = net.sources["mass_flow_kg_s"].to_numpy(float)
    snk = net.sinks["mass_flow_kg_s"].to_numpy(float)
    assert np.isfinite(src).all() and np.isfinite(snk).all()
    assert src.sum() == pytest.approx(snk.sum(), rel=1e-12)
    sums = INVENTORY[INSTANCES[name][0]]["flow_sums"]
    assert isinstance(sums, dict)
    expected = sums["entry"] * net.gas.rho_n / 3.6
    assert src.sum() == pytest.approx(expected, rel=1e-12)


def test_gaslib40_balance_by_hand(nets: dict[str, Network]) -> None:
    """GasLib-40.scn nominates 3 x 725 = 2175 (1000 Nm3/h) in and 2175 out.

    With the normal density of all three sources, rho_n = 0.785 kg/m3:
    2175 * 1000 m3/h * 0.785 kg/m3 / 3600 s/h = 2175 * 0.785 / 3.6 = 474.2708333 kg/s.
    """
    net = nets["GasLib-40"]
    assert net.gas.rho_n == pytest.approx(0.785)
    assert net.sources["mass_flow_kg_s"].sum() == pytest.approx(474.2708333, abs=1e-6)
    assert net.sinks["mass_flow_kg_s"].sum() == pytest.approx(474.2708333, abs=1e-6)
    assert net.meta["scenario"] == "nomination_1"


# ---------------------------------------------------------------------------- mapping details
def test_gaslib11_mapping(nets: dict[str, Network]) -> None:
    net = nets["GasLib-11"]
    j = net.junctions
    assert j.at["entry02", "x"] == 600 and j.at["entry02", "y"] == -300
    assert (j.at["exit02", "p_min_bar"], j.at["exit02", "p_max_bar"]) == (40.0, 60.0)
    # GasLib gas data: 10 degC, M 18.5674, rho_n 0.785 (all sources equal)
    assert net.gas.temperature_k == pytest.approx(283.15)
    assert net.gas.molar_mass_kg_kmol == pytest.approx(18.5674)
    assert net.gas.calorific_value_mj_m3 == pytest.approx(36.4543670654)
    assert net.sources.at["entry01", "temperature_k"] == pytest.approx(283.15)
    # entry01: flow 160 (1000 Nm3/h) -> 160 * 0.785 / 3.6 kg/s; bounds 50..750
    assert net.sources.at["entry01", "mass_flow_kg_s"] == pytest.approx(160 * 0.785 / 3.6)
    assert net.sources.at["entry01", "mass_flow_min_kg_s"] == pytest.approx(50 * 0.785 / 3.6)
    assert net.sources.at["entry01", "mass_flow_max_kg_s"] == pytest.approx(750 * 0.785 / 3.6)
    p = net.pipes.loc["pipe01_entry01_entry03"]
    assert (p.length_km, p.diameter_mm, p.roughness_mm, p.p_max_bar) == (55, 500, 0.1, 200)
    assert p.heat_transfer_w_m2k == 2
    assert p.mass_flow_min_kg_s == pytest.approx(-1100 * 0.785 / 3.6)
    v = net.valves.loc["V01_N01_N03"]
    assert bool(v.open) and v.p_diff_max_bar == 120
    c = net.compressors.loc["CS01_entry03_N01"]
    assert c["mode"] == "bypass" and c.ratio_min == 1.0
    assert c.ratio_max == pytest.approx(70 / 40)
    assert (c.p_in_min_bar, c.p_out_max_bar) == (40, 70)
    assert c.fuel_junction == "N01" and c.drive == "gas"
    assert math.isnan(c.power_max_mw)
    assert "1 turboCompressor" in c.note and "1 gasTurbine" in c.note
    assert "derived bound" in c.note
    text = " ".join(net.meta["assumptions"])
    assert "bypass" in text and "open" in text
    # no scenario pressure set-point -> the source with the highest p_max (all 70 bar; first in
    # file order wins) becomes the pressure reference
    assert net.sources.at["entry01", "p_set_bar"] == 70.0
    assert net.sources["p_set_bar"].notna().sum() == 1
    assert "chose source 'entry01'" in text


def test_gaslib24_units_as_written(nets: dict[str, Network]) -> None:
    net = nets["GasLib-24"]
    # <length unit="m" value="10"/>, <diameter unit="m" value="2.1"/>
    assert net.pipes.at["L04", "length_km"] == pytest.approx(0.01)
    assert net.pipes.at["L04", "diameter_mm"] == pytest.approx(2100.0)
    assert net.junctions.at["entry03", "height_m"] == 200.0  # written without a unit
    assert any("without a unit read as 'm'" in a for a in net.meta["assumptions"])
    r = net.resistors.loc["re01"]
    assert r.drag_factor == pytest.approx(5.40999984741211) and r.diameter_mm == 900.0
    assert math.isnan(r.pressure_loss_bar)
    cv = net.control_valves.loc["CV01"]
    assert cv["mode"] == "open"
    assert (cv.p_in_min_bar, cv.p_out_max_bar, cv.p_diff_min_bar, cv.p_diff_max_bar) == (
        20, 80, 0, 10)
    assert "pressureLossIn = 0.5 bar" in cv.note and "pressureLossOut = 0.6 bar" in cv.note
    # CS1 diameterOut is written in m (0.9 m), kept in the note in the file's unit
    assert "diameterOut = 0.9 m" in net.compressors.at["CS1", "note"]
    # the scenario's <pipe id="L101"><soilTemperature .../> is kept in the note only
    assert "soilTemperature = 311 K" in net.pipes.at["L101", "note"]
    # sources differ in gas data: the network gas is their mean (GasModels does the same)
    m = net.sources["molar_mass_kg_kmol"].to_numpy(float)
    assert net.gas.molar_mass_kg_kmol == pytest.approx(m.mean())
    assert len(set(m)) > 1


def test_gaslib134_units_and_gas(nets: dict[str, Network]) -> None:
    net = nets["GasLib-134"]
    assert net.pipes.at["p_br2", "roughness_mm"] == pytest.approx(0.008)  # 8e-06 m
    assert net.gas.temperature_k == pytest.approx(289.15)  # given in K
    assert "no .cs file read" in " ".join(net.meta["assumptions"])
    # two sources share the highest p_max (66.4 bar); the first in file order is the reference
    assert net.sources.at["node_1", "p_set_bar"] == 66.4


@pytest.mark.parametrize("day", ["2011-11-02", "2011-11-03"])
def test_gaslib134_other_nominations(day: str) -> None:
    net = read_gaslib(DATA / "GasLib-134/GasLib-134-v2.net",
                      DATA / f"GasLib-134/Nominations-134/{day}.scn")
    assert net.validate().ok
    assert net.sources["mass_flow_kg_s"].sum() == pytest.approx(
        net.sinks["mass_flow_kg_s"].sum(), rel=1e-9)


def test_gaslib135_source_bounds_clipped(nets: dict[str, Network]) -> None:
    """GasLib-135 writes flowMin = -10000 for sources; a source only injects -> 0, noted."""
    net = nets["GasLib-135"]
    assert (net.sources["mass_flow_min_kg_s"] == 0.0).all()
    assert "clipped to 0" in net.sources.at["source_1", "note"]
    assert (net.sinks["mass_flow_min_kg_s"] < 0).all()  # sinks keep the file's bound


def test_integration_instance(nets: dict[str, Network]) -> None:
    """GasLib-Integration: 4 islands, each gets its own pressure reference; barg bounds."""
    net = nets["GasLib-Integration"]
    assert net.resistors.at["resistor_2", "pressure_loss_bar"] == 1.0
    assert net.resistors.at["resistor_1", "drag_factor"] == 0.1
    assert net.resistors.at["resistor_1", "diameter_mm"] == 1000.0
    assert net.sources["p_set_bar"].notna().sum() == 4
    # scenario: pressure lower 0 barg -> 1.01325 bar tightens the .net bound 0 bar
    assert net.junctions.at["sink_1", "p_min_bar"] == pytest.approx(1.01325)
    assert net.junctions.at["sink_1", "p_max_bar"] == 25.0  # 25 barg = 26.01325 bar is looser
    assert net.junctions.at["source_1", "lat"] == 0.0
    assert net.junctions.at["sink_2", "lat"] == 3.0
    assert sum("pressure reference" in a for a in net.meta["assumptions"]) == 4


def test_without_scenario_still_valid() -> None:
    net = read_gaslib(DATA / "GasLib-40/GasLib-40.net")
    assert net.validate().ok
    assert net.meta["scenario"] is None
    assert net.sources["mass_flow_kg_s"].isna().all()
    assert net.sources["p_set_bar"].notna().sum() == 1
    assert "no .cs file read" in " ".join(net.meta["assumptions"])


def test_package_demo_network() -> None:
    """GasLib-11 is shipped as package data with its licence and README."""
    folder = resources.files("gasunion") / "datasets" / "gaslib"
    with resources.as_file(folder) as p:
        assert (p / "LICENSE").is_file() and (p / "README.md").is_file()
        assert "Creative Commons Attribution 3.0" in (p / "LICENSE").read_text(encoding="utf-8")
        net = read_gaslib(p / "GasLib-11.net", p / "GasLib-11.scn", p / "GasLib-11.cs")
    assert net.validate().ok
    assert len(net.junctions) == 11


# ---------------------------------------------------------------------------- synthetic files
HEADER = """<?xml version="1.0" encoding="UTF-8"?>
<!-- This work is licensed under the Creative Commons Attribution 3.0 Unported License. -->
<network xmlns="http://gaslib.zib.de/Gas" xmlns:framework="http://gaslib.zib.de/Framework">
  <framework:information><framework:title>tiny</framework:title></framework:information>
  <framework:nodes>
"""


def _net(tmp_path: Path, *, pipe: str | None = None, nodes: str | None = None,
         extra: str = "", name: str = "tiny.net") -> Path:
    nodes = nodes if nodes is not None else """
    <source id="S" x="0" y="0">
      <height value="0" unit="m"/>
      <pressureMin value="20" unit="barg"/>
      <pressureMax value="70" unit="barg"/>
      <flowMin value="0" unit="1000m_cube_per_hour"/>
      <flowMax value="500" unit="1000m_cube_per_hour"/>
      <gasTemperature value="15" unit="Celsius"/>
      <normDensity value="0.8" unit="kg_per_m_cube"/>
      <molarMass value="18.0" unit="kg_per_kmol"/>
    </source>
    <sink id="D" x="1" y="0">
      <height value="10" unit="meter"/>
      <pressureMin value="2000" unit="kPa"/>
      <pressureMax value="60" unit="bar"/>
    </sink>
"""
    pipe = pipe if pipe is not None else """
    <pipe id="p1" from="S" to="D">
      <length value="12.5" unit="km"/>
      <diameter value="0.5" unit="m"/>
      <roughness value="0.012" unit="mm"/>
    </pipe>
"""
    text = (HEADER + nodes + "  </framework:nodes>\n  <framework:connections>\n" + pipe + extra
            + "  </framework:connections>\n</network>\n")
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _scn(tmp_path: Path, body: str, name: str = "tiny.scn") -> Path:
    path = tmp_path / name
    path.write_text(
        '<?xml version="1.0"?>\n<boundaryValue xmlns="http://gaslib.zib.de/Gas">\n'
        f'  <scenario id="s1">\n{body}  </scenario>\n</boundaryValue>\n', encoding="utf-8")
    return path


def _line_of(path: Path, needle: str) -> int:
    for k, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if needle in line:
            return k
    raise AssertionError(needle)


def test_barg_and_other_units(tmp_path: Path) -> None:
    """barg = bar + 1.01325 (gauge -> absolute), kPa, Celsius, m diameters, meter heights."""
    path = _net(tmp_path)
    scn = _scn(tmp_path, """
    <node type="entry" id="S">
      <pressure bound="both" value="50" unit="barg"/>
      <flow bound="both" value="360" unit="1000m_cube_per_hour"/>
    </node>
    <node type="exit" id="D">
      <pressure bound="lower" value="30" unit="barg"/>
      <flow bound="lower" value="360" unit="1000m_cube_per_hour"/>
      <flow bound="upper" value="360" unit="1000m_cube_per_hour"/>
    </node>
""")
    net = read_gaslib(path, scn)
    j = net.junctions
    assert j.at["S", "p_min_bar"] == pytest.approx(21.01325)
    assert j.at["S", "p_max_bar"] == pytest.approx(71.01325)
    assert j.at["D", "p_min_bar"] == pytest.approx(31.01325)  # 20 bar tightened by 30 barg
    assert j.at["D", "height_m"] == 10.0
    assert net.sources.at["S", "p_set_bar"] == pytest.approx(51.01325)
    # 360 (1000 Nm3/h) * 0.8 kg/m3 / 3.6 = 80 kg/s
    assert net.sources.at["S", "mass_flow_kg_s"] == pytest.approx(80.0)
    assert net.sinks.at["D", "mass_flow_kg_s"] == pytest.approx(80.0)
    assert net.gas.temperature_k == pytest.approx(288.15)
    assert net.pipes.at["p1", "diameter_mm"] == pytest.approx(500.0)
    assert net.meta["scenario"] == "s1"
    assert net.validate().ok
    # the scenario fixed a pressure: no extra pressure reference is chosen
    assert not any("pressure reference" in a for a in net.meta["assumptions"])


def test_scenario_flow_bounds_replace_element_bounds(tmp_path: Path) -> None:
    path = _net(tmp_path)
    scn = _scn(tmp_path, """
    <node type="entry" id="S">
      <flow bound="lower" value="36" unit="1000m_cube_per_hour"/>
      <flow bound="upper" value="72" unit="1000m_cube_per_hour"/>
    </node>
""")
    net = read_gaslib(path, scn)
    assert net.sources.at["S", "mass_flow_min_kg_s"] == pytest.approx(8.0)
    assert net.sources.at["S", "mass_flow_max_kg_s"] == pytest.approx(16.0)
    assert math.isnan(net.sources.at["S", "mass_flow_kg_s"])


# ---------------------------------------------------------------------------- malformed files
def _raises(*args: Path | None) -> InputFileError:
    with pytest.raises(InputFileError) as info:
        read_gaslib(*args)  # type: ignore[arg-type]
    err = info.value
    assert isinstance(err, ValueError)
    return err


def test_not_xml(tmp_path: Path) -> None:
    path = tmp_path / "broken.net"
    path.write_text("<network>\n  <nodes>\n</network>\n", encoding="utf-8")
    err = _raises(path)
    assert "broken.net" in str(err) and "not a well-formed XML" in str(err)
    assert err.line == 3
    path.write_text("GasLib? no, plain text", encoding="utf-8")
    assert "not a well-formed XML" in str(_raises(path))


def test_missing_file(tmp_path: Path) -> None:
    err = _raises(tmp_path / "absent.net")
    assert "absent.net" in str(err) and "cannot read" in str(err)


def test_non_numeric_value_message_format(tmp_path: Path) -> None:
    path = _net(tmp_path, pipe="""
    <pipe id="p_5" from="S" to="D">
      <length value="abc" unit="km"/>
      <diameter value="500" unit="mm"/>
    </pipe>
""")
    err = _raises(path)
    line = _line_of(path, 'value="abc"')
    assert (err.line, err.element, err.field, err.kind) == (line, "p_5", "length", "pipe")
    assert str(err) == f"{path}, line {line}, pipe 'p_5' field 'length': not a number: 'abc'"
    again = pickle.loads(pickle.dumps(err))
    assert str(again) == str(err)


def test_missing_required_quantity(tmp_path: Path) -> None:
    path = _net(tmp_path, pipe="""
    <pipe id="p1" from="S" to="D">
      <diameter value="500" unit="mm"/>
    </pipe>
""")
    err = _raises(path)
    assert (err.element, err.field) == ("p1", "length")
    assert err.line == _line_of(path, '<pipe id="p1"')
    assert "tiny.net" in str(err) and "'p1'" in str(err) and "'length'" in str(err)


def test_unknown_node_in_pipe(tmp_path: Path) -> None:
    path = _net(tmp_path, pipe="""
    <pipe id="p1" from="S" to="NOWHERE">
      <length value="1" unit="km"/>
      <diameter value="500" unit="mm"/>
    </pipe>
""")
    err = _raises(path)
    assert (err.element, err.field) == ("p1", "to")
    assert "unknown node 'NOWHERE'" in str(err) and "tiny.net" in str(err)
    assert err.line == _line_of(path, '<pipe id="p1"')


def test_unknown_element_type(tmp_path: Path) -> None:
    path = _net(tmp_path, extra='    <pipeline id="x1" from="S" to="D"/>\n')
    err = _raises(path)
    assert (err.kind, err.element) == ("pipeline", "x1")
    assert "unknown connection type <pipeline>" in str(err)
    assert err.line == _line_of(path, "<pipeline")
    nodes = '    <well id="W1" x="0" y="0"/>\n'
    err = _raises(_net(tmp_path, nodes=nodes, pipe="", name="n2.net"))
    assert (err.kind, err.element) == ("well", "W1") and "unknown node type" in str(err)


def test_unknown_unit(tmp_path: Path) -> None:
    path = _net(tmp_path, pipe="""
    <pipe id="p1" from="S" to="D">
      <length value="1" unit="furlong"/>
      <diameter value="500" unit="mm"/>
    </pipe>
""")
    err = _raises(path)
    assert (err.element, err.field) == ("p1", "length")
    assert "unknown unit 'furlong'" in str(err)
    assert err.line == _line_of(path, "furlong")


def test_missing_unit_and_gauge_difference(tmp_path: Path) -> None:
    path = _net(tmp_path, pipe="""
    <pipe id="p1" from="S" to="D">
      <length value="1"/>
      <diameter value="500" unit="mm"/>
    </pipe>
""")
    err = _raises(path)
    assert err.field == "length" and "missing unit" in str(err)
    path = _net(tmp_path, pipe="""
    <valve id="v1" from="S" to="D">
      <pressureDifferentialMax value="5" unit="barg"/>
    </valve>
""", name="v.net")
    err = _raises(path)
    assert (err.element, err.field) == ("v1", "pressureDifferentialMax")
    assert "meaningless" in str(err)


def test_duplicate_node_id(tmp_path: Path) -> None:
    nodes = '    <innode id="A" x="0" y="0"/>\n    <innode id="A" x="1" y="0"/>\n'
    err = _raises(_net(tmp_path, nodes=nodes, pipe=""))
    assert (err.kind, err.element, err.field) == ("innode", "A", "id")
    assert "duplicate" in str(err) and err.line is not None


def test_scenario_node_not_in_network(tmp_path: Path) -> None:
    path = _net(tmp_path)
    scn = _scn(tmp_path, """
    <node type="exit" id="GHOST">
      <flow bound="both" value="1" unit="1000m_cube_per_hour"/>
    </node>
""")
    err = _raises(path, scn)
    assert (err.element, err.field) == ("GHOST", "id")
    assert "tiny.scn" in str(err) and "not in the network" in str(err)
    assert err.line == _line_of(scn, "GHOST")


def test_scenario_type_mismatch_and_bad_bound(tmp_path: Path) -> None:
    path = _net(tmp_path)
    scn = _scn(tmp_path, '    <node type="exit" id="S"/>\n')
    err = _raises(path, scn)
    assert (err.element, err.field) == ("S", "type") and "is a source" in str(err)
    scn = _scn(tmp_path, """
    <node type="entry" id="S">
      <flow bound="sideways" value="1" unit="1000m_cube_per_hour"/>
    </node>
""", name="b.scn")
    err = _raises(path, scn)
    assert (err.element, err.field) == ("S", "flow") and "sideways" in str(err)


def test_scenario_unknown_flow_unit(tmp_path: Path) -> None:
    path = _net(tmp_path)
    scn = _scn(tmp_path, """
    <node type="entry" id="S">
      <flow bound="both" value="1" unit="barrels_per_day"/>
    </node>
""")
    err = _raises(path, scn)
    assert (err.element, err.field) == ("S", "flow")
    assert "unknown unit 'barrels_per_day'" in str(err) and "tiny.scn" in str(err)


def test_compressor_station_not_in_network(tmp_path: Path) -> None:
    path = _net(tmp_path)
    cs = tmp_path / "tiny.cs"
    cs.write_text('<?xml version="1.0"?>\n<compressorStations xmlns="http://gaslib.zib.de/'
                  'CompressorStations">\n  <compressorStation id="CSX"/>\n'
                  '</compressorStations>\n', encoding="utf-8")
    err = _raises(path, None, cs)
    assert (err.kind, err.element, err.field, err.line) == ("compressorStation", "CSX", "id", 3)
    assert "tiny.cs" in str(err)


def test_electric_drive_from_cs(tmp_path: Path) -> None:
    path = _net(tmp_path, extra="""
    <compressorStation id="C1" from="D" to="S" fuelGasVertex="D">
      <pressureInMin value="30" unit="bar"/>
      <pressureOutMax value="75" unit="bar"/>
    </compressorStation>
""")
    cs = tmp_path / "tiny.cs"
    cs.write_text("""<?xml version="1.0"?>
<compressorStations xmlns="http://gaslib.zib.de/CompressorStations">
  <compressorStation id="C1">
    <compressors>
      <turboCompressor id="T1" drive="E1"/><turboCompressor id="T2" drive="E2"/>
    </compressors>
    <drives><electricMotor id="E1"/><electricMotor id="E2"/></drives>
    <configurations>
      <configuration confId="1" nrOfSerialStages="1">
        <stage stageNr="1" nrOfParallelUnits="2"/>
      </configuration>
    </configurations>
  </compressorStation>
</compressorStations>
""", encoding="utf-8")
    net = read_gaslib(path, None, cs)
    c = net.compressors.loc["C1"]
    assert c.drive == "electric" and c.ratio_max == pytest.approx(2.5)
    assert "2 turboCompressor" in c.note and "2 electricMotor" in c.note
    assert "2 parallel unit(s)" in c.note


def test_missing_from_attribute(tmp_path: Path) -> None:
    path = _net(tmp_path, pipe="""
    <shortPipe id="sp1" to="D"/>
""")
    err = _raises(path)
    assert (err.kind, err.element, err.field) == ("shortPipe", "sp1", "from")
    assert "missing required attribute 'from'" in str(err)
    assert err.line == _line_of(path, "sp1")


def test_innode_cannot_take_flow(tmp_path: Path) -> None:
    nodes = """
    <source id="S" x="0" y="0"><pressureMax value="70" unit="bar"/></source>
    <innode id="N" x="1" y="0"><pressureMax value="70" unit="bar"/></innode>
"""
    path = _net(tmp_path, nodes=nodes, pipe="""
    <shortPipe id="sp1" from="S" to="N"/>
""")
    scn = _scn(tmp_path, """
    <node id="N">
      <flow bound="both" value="1" unit="1000m_cube_per_hour"/>
    </node>
""")
    err = _raises(path, scn)
    assert (err.element, err.field) == ("N", "flow") and "innode" in str(err)
