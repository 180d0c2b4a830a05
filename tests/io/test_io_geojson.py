"""GeoJSON export: one feature per junction and branch, coordinates, properties, results."""

from __future__ import annotations

import json
import math
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest

from gasunion.io.geojson import SCHEMATIC_NOTE, to_geojson, write_geojson
from gasunion.network import BRANCHES, Network


def build_network(geographic: bool = True) -> Network:
    net = Network(name="Сеть")
    ids = ["A", "B", "C", "D", "E", "F", "G"]
    coords = {
        "lat": [45.3, 42.3, 43.0, 39.8, 41.0, 41.1, 41.3],
        "lon": [55.2, 69.6, 60.0, 64.4, 66.0, 67.0, 69.2],
    } if geographic else {}
    net.add("junctions", ids, x=[0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0],
            y=[0.0, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0], p_max_bar=[75.0] * 6 + [math.inf],
            name=["Бейнеу", "", "", "", "", "", ""], owner="QazaqGaz", **coords)
    net.add("sources", "S", junction="A", p_set_bar=60.0)
    net.add("sinks", "D", junction="G", mass_flow_kg_s=10.0)
    net.add("storages", "ST", junction="C")
    net.add("pipes", ["P1", "P2"], from_junction=["A", "B"], to_junction=["B", "C"],
            length_km=[100.0, 50.0], diameter_mm=[1000.0, 700.0])
    net.add("short_pipes", "SP", from_junction="B", to_junction="D")
    net.add("resistors", "R", from_junction="D", to_junction="E", drag_factor=2.0)
    net.add("valves", "V", from_junction="E", to_junction="F", open=False)
    net.add("control_valves", "CV", from_junction="F", to_junction="G", mode="p_out",
            p_out_set_bar=40.0)
    net.add("compressors", "K", from_junction="C", to_junction="E", ratio_set=1.3)
    return net


@pytest.fixture
def net() -> Network:
    return build_network()


def _features(doc: dict, component: str) -> dict[str, dict]:
    return {f["properties"]["id"]: f for f in doc["features"]
            if f["properties"]["component"] == component}


def test_feature_count_is_junctions_plus_branches(net: Network) -> None:
    doc = to_geojson(net)
    assert doc["type"] == "FeatureCollection"
    n_branches = sum(len(net[c]) for c in BRANCHES)
    assert n_branches == 7
    assert len(doc["features"]) == len(net.junctions) + n_branches
    kinds = [f["geometry"]["type"] for f in doc["features"]]
    assert kinds.count("Point") == len(net.junctions)
    assert kinds.count("LineString") == n_branches
    assert {f["properties"]["component"] for f in doc["features"]} == {"junctions", *BRANCHES}
    assert "crs_note" not in doc


def test_pipe_coordinates_are_junction_coordinates(net: Network) -> None:
    doc = to_geojson(net)
    j = net.junctions
    for pid, f in _features(doc, "pipes").items():
        a, b = net.pipes.at[pid, "from_junction"], net.pipes.at[pid, "to_junction"]
        assert f["geometry"]["coordinates"] == [[j.at[a, "lon"], j.at[a, "lat"]],
                                                [j.at[b, "lon"], j.at[b, "lat"]]]
    for jid, f in _features(doc, "junctions").items():
        assert f["geometry"]["coordinates"] == [j.at[jid, "lon"], j.at[jid, "lat"]]


def test_properties_hold_every_attribute_and_are_strict_json(net: Network) -> None:
    doc = to_geojson(net)
    text = json.dumps(doc, allow_nan=False)  # NaN / inf must not leak into the output
    assert json.loads(text)["features"][0]["properties"]["name"] == "Бейнеу"
    p1 = _features(doc, "pipes")["P1"]["properties"]
    assert set(net.pipes.columns) <= set(p1)
    assert p1["component"] == "pipes" and p1["id"] == "P1"
    assert p1["length_km"] == 100.0 and p1["in_service"] is True
    assert p1["friction_factor"] is None  # NaN -> null
    assert _features(doc, "junctions")["G"]["properties"]["p_max_bar"] is None  # inf -> null
    assert _features(doc, "valves")["V"]["properties"]["open"] is False


def test_schematic_coordinates_fallback() -> None:
    net = build_network(geographic=False)
    doc = to_geojson(net)
    assert doc["crs_note"] == SCHEMATIC_NOTE
    j = net.junctions
    sp = _features(doc, "short_pipes")["SP"]
    assert sp["geometry"]["coordinates"] == [[j.at["B", "x"], j.at["B", "y"]],
                                             [j.at["D", "x"], j.at["D", "y"]]]
    json.dumps(doc, allow_nan=False)


def test_missing_coordinates_give_null_geometry(net: Network) -> None:
    net.add("junctions", "H", name="nowhere")
    net.add("pipes", "P3", from_junction="G", to_junction="H", length_km=1.0,
            diameter_mm=100.0)
    doc = to_geojson(net)
    assert len(doc["features"]) == 8 + 8
    assert _features(doc, "junctions")["H"]["geometry"] is None
    assert _features(doc, "pipes")["P3"]["geometry"] is None
    assert "crs_note" not in doc and "1 of 8" in doc["coordinates_note"]
    json.dumps(doc, allow_nan=False)


def test_results_are_merged_with_prefix(net: Network) -> None:
    results = SimpleNamespace(
        junctions=pd.DataFrame({"p_bar": [60.0, 55.5]}, index=["A", "B"]),
        pipes=pd.DataFrame({"mass_flow_kg_s": [100.0, math.nan], "v_m_s": [5.0, 3.0]},
                           index=["P1", "P2"]),
    )
    doc = to_geojson(net, results=results)
    j = _features(doc, "junctions")
    assert j["A"]["properties"]["res_p_bar"] == 60.0
    assert j["C"]["properties"]["res_p_bar"] is None  # not in the results
    p = _features(doc, "pipes")
    assert p["P1"]["properties"]["res_mass_flow_kg_s"] == 100.0
    assert p["P2"]["properties"]["res_mass_flow_kg_s"] is None
    assert p["P2"]["properties"]["res_v_m_s"] == 3.0
    assert "res_p_bar" not in _features(doc, "valves")["V"]["properties"]
    json.dumps(doc, allow_nan=False)


def test_write_geojson(net: Network, tmp_path: Path) -> None:
    path = tmp_path / "net.geojson"
    write_geojson(net, path)
    doc = json.loads(path.read_text(encoding="utf-8"))
    assert doc == json.loads(json.dumps(to_geojson(net)))
    assert "Бейнеу" in path.read_text(encoding="utf-8")


def test_empty_network() -> None:
    doc = to_geojson(Network())
    assert doc["features"] == [] and doc["type"] == "FeatureCollection"
