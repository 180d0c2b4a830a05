"""The native JSON format: lossless round trips and clear errors for malformed files."""

from __future__ import annotations

import json
import math
import pickle
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gasunion.io.errors import InputFileError
from gasunion.io.native import FORMAT, VERSION, dumps_native, read_native, write_native
from gasunion.network import COMPONENTS, Network
from gasunion.physics.gas import GasProperties


def build_network() -> Network:
    """A small network with every component type populated and awkward values."""
    gas = GasProperties(norm_density_kg_m3=0.785, composition={"Methane": 0.95, "Ethane": 0.05})
    net = Network(
        name="Тест-сеть ünïcode",
        gas=gas,
        meta={"source": "hand-built", "year": 2024, "nested": {"l": [1, 2.5, None, True]}},
    )
    net.add(
        "junctions",
        ["A", "B", "C", "D", "E", "F", "G"],
        name=["Бейнеу", "Шымкент", "", "Bukhara", "", "", "Ташкент"],
        x=[0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0],
        y=[0.0, 0.5, -0.0, 1.5, 2.0, 2.5, 3.0],
        lat=[45.3, 42.3, 43.0, 39.8, 41.0, 41.1, 41.3],
        lon=[55.2, 69.6, 60.0, 64.4, 66.0, 67.0, 69.2],
        height_m=[10.0, 500.0, 0.1 + 0.2, 1e-300, 5e-324, 0.0, 455.0],
        p_min_bar=[1.0, math.nan, 1.0, 1.0, 1.0, 1.0, 1.0],
        p_max_bar=[75.0, 75.0, 75.0, 75.0, 75.0, 75.0, math.inf],
        kind=["border", "city", "innode", "field", "innode", "innode", "city"],
        owner=["QazaqGaz", "QazaqGaz", "QazaqGaz", "Uztransgaz", "Uztransgaz", "Uztransgaz",
               "Uztransgaz"],
        country=["KZ", "KZ", "KZ", "UZ", "UZ", "UZ", "UZ"],
    )
    net.add("sources", "S1", junction="A", p_set_bar=60.0, temperature_k=288.15,
            mass_flow_max_kg_s=1.7976931348623157e308, owner="QazaqGaz", country="KZ")
    net.add("sinks", ["D1", "D2"], junction=["G", "B"], mass_flow_kg_s=[10.0, -0.0],
            in_service=[True, False], note=["city gate", "line \"2\"\n\ttab"])
    net.add("storages", "ST", junction="C", working_gas_mcm=1200.0, inventory_mcm=math.nan,
            mass_flow_kg_s=-5.5)
    net.add("pipes", ["P1", "P2"], from_junction=["A", "B"], to_junction=["B", "C"],
            length_km=[100.25, 0.001], diameter_mm=[1016.0, 700.0],
            friction_factor=[math.nan, 0.011], mass_flow_min_kg_s=[-math.inf, -0.0],
            owner="QazaqGaz", source="Menon 2005")
    net.add("short_pipes", "SP", from_junction="B", to_junction="D")
    net.add("resistors", "R", from_junction="D", to_junction="E", drag_factor=2.5,
            diameter_mm=500.0)
    net.add("valves", "V", from_junction="E", to_junction="F", open=False)
    net.add("control_valves", "CV", from_junction="F", to_junction="G", mode="p_out",
            p_out_set_bar=40.0)
    net.add("compressors", "K", from_junction="C", to_junction="E", mode="ratio",
            ratio_set=1.3, drive="electric", fuel_model="none")
    net.add("interconnections", "KZ-UZ", name="Border A", from_country="KZ",
            to_country="UZ", capacity_forward_mcm_d=30.5, capacity_reverse_mcm_d=math.nan,
            capacity_year=2024.0, capacity_source="operator statement")
    net.pipes.loc["P2", "interconnection"] = "KZ-UZ"
    net.add("ownership", ["P1/QazaqGaz", "P1/CNPC"], component="pipes", element="P1",
            party=["QazaqGaz", "CNPC"], share=[0.5, 0.5])
    return net


@pytest.fixture
def net() -> Network:
    return build_network()


def _roundtrip(net: Network, path: Path) -> Network:
    write_native(net, path)
    return read_native(path)


# ---------------------------------------------------------------------- round trips
def test_roundtrip_every_component(net: Network, tmp_path: Path) -> None:
    assert set(net.counts()) == set(COMPONENTS)
    back = _roundtrip(net, tmp_path / "net.json")
    assert back.equals(net)
    assert back.gas == net.gas and back.meta == net.meta and back.name == net.name
    for comp in COMPONENTS:
        assert list(back[comp].dtypes) == list(net[comp].dtypes)


def test_special_floats_exact(net: Network, tmp_path: Path) -> None:
    back = _roundtrip(net, tmp_path / "net.json")
    j, p = back.junctions, back.pipes
    assert math.isnan(j.at["B", "p_min_bar"])
    assert j.at["G", "p_max_bar"] == math.inf
    assert p.at["P1", "mass_flow_min_kg_s"] == -math.inf
    assert j.at["C", "height_m"] == 0.1 + 0.2
    assert j.at["E", "height_m"] == 5e-324
    assert back.sources.at["S1", "mass_flow_max_kg_s"] == 1.7976931348623157e308
    # the sign of zero survives
    assert np.signbit(j.at["C", "y"]) and np.signbit(p.at["P2", "mass_flow_min_kg_s"])
    assert np.signbit(back.sinks.at["D2", "mass_flow_kg_s"])
    assert not np.signbit(j.at["A", "y"])


def test_file_is_standard_json_in_documented_layout(net: Network, tmp_path: Path) -> None:
    path = tmp_path / "net.json"
    net.remove("storages", "ST")
    write_native(net, path)
    text = path.read_text(encoding="utf-8")

    def no_constants(name: str) -> Any:
        raise AssertionError(f"non-standard JSON constant {name}")

    doc = json.loads(text, parse_constant=no_constants)
    assert doc["format"] == FORMAT and doc["version"] == VERSION
    assert doc["name"] == net.name
    assert doc["gas"]["composition"] == {"Methane": 0.95, "Ethane": 0.05}
    assert doc["meta"] == net.meta
    assert "storages" not in doc["components"]  # only non-empty components
    pipes = doc["components"]["pipes"]
    assert pipes["index"] == ["P1", "P2"]
    assert pipes["columns"] == list(net.pipes.columns)
    row = dict(zip(pipes["columns"], pipes["data"][0], strict=True))
    assert row["friction_factor"] is None and row["mass_flow_min_kg_s"] == "-inf"
    assert row["length_km"] == 100.25 and row["in_service"] is True
    assert "Бейнеу" in text  # unicode written readably, not escaped


def test_empty_network_roundtrip(tmp_path: Path) -> None:
    net = Network()
    back = _roundtrip(net, tmp_path / "empty.json")
    assert back.equals(net)
    assert json.loads((tmp_path / "empty.json").read_text())["components"] == {}


def test_lone_surrogates_roundtrip(tmp_path: Path) -> None:
    net = Network(name="bad \ud800 name")
    net.add("junctions", ["\udcff", "ok"], owner="x\ud83d")
    back = _roundtrip(net, tmp_path / "s.json")
    assert back.equals(net)


def test_meta_that_json_cannot_hold_is_refused(tmp_path: Path) -> None:
    for meta in ({"v": math.nan}, {"t": (1, 2)}, {1: "int key"}, {"o": object()}):
        with pytest.raises(ValueError, match="meta"):
            write_native(Network(meta=meta), tmp_path / "m.json")
    assert not (tmp_path / "m.json").exists()


_floats = st.floats(allow_nan=True, allow_infinity=True)
_pos = st.floats(min_value=1e-300, max_value=1e300, allow_nan=False, allow_infinity=False)


@st.composite
def networks(draw: st.DrawFn) -> Network:
    ids = draw(st.lists(st.text(min_size=1, max_size=6), min_size=1, max_size=6, unique=True))
    n = len(ids)

    def col(strategy: st.SearchStrategy[Any], size: int) -> list[Any]:
        return draw(st.lists(strategy, min_size=size, max_size=size))

    gas = GasProperties(molar_mass_kg_kmol=draw(_pos), temperature_k=draw(_pos),
                        calorific_value_mj_m3=draw(st.floats(allow_nan=False)),
                        composition=draw(st.dictionaries(st.text(), _pos, max_size=3)))
    meta = draw(st.dictionaries(st.text(), st.text() | st.integers() | st.booleans()
                                | st.floats(allow_nan=False, allow_infinity=False),
                                max_size=3))
    net = Network(name=draw(st.text()), gas=gas, meta=meta)
    net.add("junctions", ids, name=col(st.text(), n), owner=col(st.text(), n),
            x=col(_floats, n), lat=col(_floats, n), height_m=col(_floats, n),
            p_max_bar=col(_floats, n))
    m = draw(st.integers(0, 5))
    if m:
        net.add("pipes", [f"p{k}" for k in range(m)],
                from_junction=col(st.sampled_from(ids), m),
                to_junction=col(st.sampled_from(ids), m),
                length_km=col(_floats, m), diameter_mm=col(_floats, m),
                in_service=col(st.booleans(), m), owner=col(st.text(), m))
    if draw(st.booleans()):
        net.add("compressors", "k", from_junction=ids[0], to_junction=ids[-1],
                mode=draw(st.sampled_from(["ratio", "p_out", "bypass", "off"])),
                ratio_set=draw(_floats), name=draw(st.text()))
    return net


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(networks())
def test_roundtrip_property(net: Network) -> None:
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "net.json"
        write_native(net, path)
        back = read_native(path)
    assert back.equals(net)
    for comp in ("junctions", "pipes"):  # every non-NaN value bit-exact (sign of zero too)
        a = net[comp].select_dtypes("float64").to_numpy()
        b = back[comp].select_dtypes("float64").to_numpy()
        nan = np.isnan(a)
        assert np.array_equal(nan, np.isnan(b))
        assert a[~nan].tobytes() == b[~nan].tobytes()

# ---------------------------------------------------------------------- reading leniency
def _doc(components: dict[str, Any], **top: Any) -> dict[str, Any]:
    return {"format": FORMAT, "version": 1, "name": "n", "components": components, **top}


def test_missing_optional_columns_get_schema_defaults(tmp_path: Path) -> None:
    path = tmp_path / "min.json"
    path.write_text(json.dumps(_doc({
        "junctions": {"columns": [], "index": ["A", "B"], "data": [[], []]},
        "pipes": {"columns": ["from_junction", "to_junction", "length_km", "diameter_mm"],
                  "index": ["P"], "data": [["A", "B", 10, 500.0]]},
    })))
    net = read_native(path)
    assert list(net.junctions.index) == ["A", "B"]
    assert math.isnan(net.junctions.at["A", "lat"]) and net.junctions.at["A", "height_m"] == 0.0
    p = net.pipes.loc["P"]
    assert p["roughness_mm"] == 0.05 and p["in_service"] and p["owner"] == ""
    assert p["length_km"] == 10.0 and isinstance(p["length_km"], float)
    assert net.gas == GasProperties() and net.meta == {}
    assert list(net.pipes.columns) == list(Network().pipes.columns)


def test_reader_accepts_nonstandard_constants_and_null_defaults(tmp_path: Path) -> None:
    path = tmp_path / "c.json"
    path.write_text('{"format": "gasunion-network", "version": 1, "components": {"junctions": '
                    '{"columns": ["p_max_bar", "lat", "name"], "index": ["A"], '
                    '"data": [[Infinity, NaN, null]]}}}')
    j = read_native(path).junctions
    assert j.at["A", "p_max_bar"] == math.inf and math.isnan(j.at["A", "lat"])
    assert j.at["A", "name"] == ""


# ---------------------------------------------------------------------- malformed files
_JUNCTIONS = {"columns": ["name"], "index": ["A"], "data": [["a"]]}
_PIPES = {"columns": ["from_junction", "to_junction", "length_km", "diameter_mm"],
          "index": ["P"], "data": [["A", "A", 1.0, 100.0]]}

MALFORMED: dict[str, tuple[str | dict[str, Any] | list[Any], list[str]]] = {
    "not_json": ("this is not JSON {", ["not a JSON file"]),
    "truncated_json": ('{"format": "gasunion-network",\n "version": 1,\n', ["line 3"]),
    "empty_file": ("", ["not a JSON file"]),
    "json_array": ([1, 2, 3], ["expected a JSON object"]),
    "wrong_format": ({"format": "pandapipes", "version": 1}, ["'pandapipes'", "format"]),
    "missing_format": ({"version": 1}, ["format"]),
    "newer_version": ({"format": FORMAT, "version": VERSION + 1}, ["newer", "version"]),
    "bad_version": ({"format": FORMAT, "version": "1"}, ["version"]),
    "unknown_component": (_doc({"pumps": _JUNCTIONS}), ["unknown component 'pumps'"]),
    "unknown_column": (
        _doc({"junctions": {"columns": ["name", "colour"], "index": ["A"],
                            "data": [["a", "red"]]}}),
        ["junctions", "unknown column 'colour'", "field 'colour'"],
    ),
    "duplicate_column": (
        _doc({"junctions": {"columns": ["x", "x"], "index": ["A"], "data": [[1, 2]]}}),
        ["duplicate column 'x'"],
    ),
    "wrong_value_type": (
        _doc({"junctions": _JUNCTIONS,
              "pipes": {**_PIPES, "data": [["A", "A", "ten", 100.0]]}}),
        ["pipes", "element 'P'", "field 'length_km'", "'ten'"],
    ),
    "bool_as_string": (
        _doc({"junctions": {"columns": ["name"], "index": ["A"], "data": [["a"]]},
              "valves": {"columns": ["from_junction", "to_junction", "open"], "index": ["V"],
                         "data": [["A", "A", "yes"]]}}),
        ["valves", "element 'V'", "field 'open'"],
    ),
    "row_length": (
        _doc({"junctions": {"columns": ["name", "x"], "index": ["A"], "data": [["a"]]}}),
        ["junctions", "element 'A'"],
    ),
    "rows_vs_ids": (
        _doc({"junctions": {"columns": ["name"], "index": ["A", "B"], "data": [["a"]]}}),
        ["junctions", "1 data rows for 2 ids"],
    ),
    "missing_required_column": (
        _doc({"junctions": _JUNCTIONS,
              "pipes": {"columns": ["from_junction", "to_junction"], "index": ["P"],
                        "data": [["A", "A"]]}}),
        ["pipes", "length_km"],
    ),
    "duplicate_ids": (
        _doc({"junctions": {"columns": ["name"], "index": ["A", "A"], "data": [["a"], ["b"]]}}),
        ["junctions", "duplicate id"],
    ),
    "bad_gas": (_doc({}, gas={"molar_mass_kg_kmol": -1.0}), ["gas", "molar_mass_kg_kmol"]),
    "unknown_gas_property": (_doc({}, gas={"colour": "blue"}), ["gas.colour"]),
    "unknown_top_level_key": (_doc({}, extra=1), ["unknown top-level key"]),
    "meta_not_object": (_doc({}, meta=[1]), ["meta"]),
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_malformed_file_raises_input_file_error(case: str, tmp_path: Path) -> None:
    content, expected = MALFORMED[case]
    path = tmp_path / f"{case}.json"
    path.write_text(content if isinstance(content, str) else json.dumps(content),
                    encoding="utf-8")
    with pytest.raises(InputFileError) as info:
        read_native(path)
    err = info.value
    msg = str(err)
    assert str(path) in msg
    assert Path(err.path) == path  # type: ignore[arg-type]
    for part in expected:
        assert part in msg, (part, msg)
    assert isinstance(err, ValueError)


def test_not_utf8_and_missing_file(tmp_path: Path) -> None:
    bad = tmp_path / "latin1.json"
    bad.write_bytes(b'{"name": "\xe9"}')
    with pytest.raises(InputFileError, match="UTF-8"):
        read_native(bad)
    with pytest.raises(InputFileError, match="cannot read"):
        read_native(tmp_path / "absent.json")


def test_error_locates_element_and_field(tmp_path: Path) -> None:
    path = tmp_path / "e.json"
    path.write_text(json.dumps(_doc({"junctions": {"columns": ["lat"], "index": ["Z"],
                                                   "data": [[[1]]]}})))
    with pytest.raises(InputFileError) as info:
        read_native(path)
    assert info.value.element == "Z" and info.value.field == "lat"
    assert str(info.value).startswith(f"{path}, element 'Z' field 'lat': junctions: lat [deg]")
    again = pickle.loads(pickle.dumps(info.value))
    assert str(again) == str(info.value)


def test_dumps_matches_file(net: Network, tmp_path: Path) -> None:
    path = tmp_path / "n.json"
    write_native(net, path)
    assert path.read_text(encoding="utf-8") == dumps_native(net)


def test_read_dispatch_rejects_binary_json(tmp_path: Path) -> None:
    """A .json that is not UTF-8 text: InputFileError naming the file, not a decode traceback."""
    import gasunion as gu

    bad = tmp_path / "binary.json"
    bad.write_bytes(b"\xff\xfe\x00\x01garbage")
    with pytest.raises(InputFileError, match=r"binary\.json"):
        gu.read(bad)
