"""Every shipped GasLib instance: load, validate, round-trip, simulate.

Data: GasLib (Schmidt et al. 2017, Data 2(4):40; CC-BY 3.0), copied to tests/data/gaslib.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from gaslib_cases import INSTANCES

import gasunion as gu
from gasunion.io.geojson import to_geojson

DATA = Path(__file__).resolve().parents[1] / "data"
G = DATA / "gaslib"

IDS = [Path(s).stem for _, s in INSTANCES]


@pytest.mark.parametrize(("net_file", "scn_file"), INSTANCES, ids=IDS)
def test_load_validate_roundtrip(net_file: str, scn_file: str, tmp_path: Path) -> None:
    net = gu.read(G / net_file, scenario=G / scn_file)
    report = net.validate()
    assert report.ok, str(report)
    out = tmp_path / "net.json"
    gu.write(net, out)
    back = gu.read(out)
    assert back.equals(net)
    geo = to_geojson(net)
    n_branches = sum(len(net[c]) for c in ("pipes", "short_pipes", "resistors", "valves",
                                           "control_valves", "compressors"))
    assert len(geo["features"]) == len(net.junctions) + n_branches


@pytest.mark.parametrize(("net_file", "scn_file"), INSTANCES, ids=IDS)
def test_reported_violations_are_real(net_file: str, scn_file: str) -> None:
    """With the reader's documented defaults (compressors bypassed, regulators open, the entry
    with the highest pressure bound as reference) each nomination has a steady state whose
    violation report is exact: every junction reported above its ``p_max_bar`` is above it,
    every junction above it is reported, and the slack closes the mass balance.

    Whether the steady state itself is right is checked against an independent solver,
    pandapipes, in ``test_gaslib_pandapipes.py`` (every instance here at these defaults, and
    GasLib-134/-582 with running compressors and a regulating control valve)."""
    net = gu.read(G / net_file, scenario=G / scn_file)
    res = gu.simulate(net, friction="nikuradse", z="papay")
    assert res.summary["converged"] and res.summary["feasible"]
    supply = res.sources["mass_flow_kg_s"].sum()
    demand = res.sinks["mass_flow_kg_s"].sum()
    assert supply == pytest.approx(demand, rel=1e-9, abs=1e-9)
    v = res.violations
    jv = v[(v.component == "junctions") & (v.kind == "max")]
    for _, row in jv.iterrows():
        assert res.junctions.at[row["id"], "p_bar"] > net.junctions.at[row["id"], "p_max_bar"]
    p = res.junctions["p_bar"].to_numpy()
    pmax = net.junctions["p_max_bar"].to_numpy()
    over = np.isfinite(pmax) & (p > pmax * (1 + 1e-6))
    assert over.sum() == len(jv)


@pytest.mark.parametrize("scn", ["2011-11-01", "2011-11-02", "2011-11-03"])
def test_gaslib134_regulator_set_point_is_honoured(scn: str) -> None:
    """GasLib-134's control valve in mode p_out at 50 bar (below its inlet pressure): its
    outlet is held at 50 bar with forward flow.
    (The same set-point against pandapipes: ``test_gaslib_pandapipes.py``.)"""
    net = gu.read(G / "GasLib-134/GasLib-134-v2.net",
                  scenario=G / f"GasLib-134/Nominations-134/{scn}.scn")
    (cv,) = net.control_valves.index
    net.control_valves.loc[cv, ["mode", "p_out_set_bar"]] = ["p_out", 50.0]
    res = gu.simulate(net)
    out = net.control_valves.at[cv, "to_junction"]
    assert res.junctions.at[out, "p_bar"] == pytest.approx(50.0, abs=1e-9)
    assert res.control_valves.at[cv, "p_from_bar"] > 50.0
    assert res.control_valves.at[cv, "mass_flow_kg_s"] > 0.0


@pytest.mark.parametrize("name", ["case-6.m", "gaslib-40-E.m", "gaslib-135-F.m", "gaslib-582-G.m"])
def test_matgas_roundtrip(name: str, tmp_path: Path) -> None:
    net = gu.read(DATA / "matgas" / name)
    gu.write(net, tmp_path / "x.json")
    assert gu.read(tmp_path / "x.json").equals(net)
