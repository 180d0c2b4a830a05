"""The ``gasunion`` command line: outputs, exit codes, no tracebacks on bad input."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from gasunion.cli import app

DATA = Path(__file__).resolve().parents[1] / "data"
G40 = DATA / "gaslib" / "GasLib-40"
runner = CliRunner()


def test_simulate_writes_tables(tmp_path: Path) -> None:
    out = tmp_path / "out"
    r = runner.invoke(app, ["simulate", str(G40 / "GasLib-40.net"), "--scenario",
                            str(G40 / "GasLib-40.scn"), "--friction", "colebrook", "--z",
                            "aga8", "--out", str(out)])
    assert r.exit_code == 0, r.output
    j = pd.read_csv(out / "junctions.csv")
    assert {"id", "p_bar"} <= set(j.columns)
    assert len(j) == 40  # one row per node: 3 sources + 29 sinks + 8 inner nodes
    p = pd.read_csv(out / "pipes.csv")
    assert {"id", "from_junction", "to_junction", "mass_flow_kg_s", "flow_mcm_d"} <= set(p.columns)
    assert len(p) == 39
    assert (out / "compressors.csv").exists()
    s = json.loads((out / "summary.json").read_text())
    assert s["converged"] is True
    assert s["settings"]["friction"] == "colebrook" and s["settings"]["z"] == "aga8"
    assert s["max_mass_balance_error_kg_s"] < 1e-6
    assert s["solve_time_s"] > 0
    # sources and sinks balance in the written tables: 2175 x 1000 Nm3/h in and out
    src = pd.read_csv(out / "sources.csv")["mass_flow_kg_s"].sum()
    snk = pd.read_csv(out / "sinks.csv")["mass_flow_kg_s"].sum()
    assert src == pytest.approx(snk, rel=1e-9)


def test_simulate_json_summary() -> None:
    r = runner.invoke(app, ["simulate", str(DATA / "matgas" / "gaslib-40-E.m"), "--json",
                            "--z", "ideal"])
    assert r.exit_code == 0, r.output
    s = json.loads(r.stdout)
    assert s["converged"] is True and s["iterations"] >= 1


def test_info_validate_convert(tmp_path: Path) -> None:
    r = runner.invoke(app, ["info", str(G40 / "GasLib-40.net")])
    assert r.exit_code == 0 and "pipes" in r.output and "39" in r.output
    r = runner.invoke(app, ["validate", str(G40 / "GasLib-40.net"), "-s", str(G40 / "GasLib-40.scn")])
    assert r.exit_code == 0 and "valid" in r.output
    target = tmp_path / "g40.json"
    r = runner.invoke(app, ["convert", str(G40 / "GasLib-40.net"), str(target)])
    assert r.exit_code == 0 and target.exists()
    r = runner.invoke(app, ["convert", str(target), str(tmp_path / "g40.geojson")])
    assert r.exit_code == 0
    geo = json.loads((tmp_path / "g40.geojson").read_text())
    assert geo["type"] == "FeatureCollection"


def test_bad_file_exit_code_2_no_traceback(tmp_path: Path) -> None:
    bad = tmp_path / "broken.net"
    bad.write_text("<network><nodes><innode id='a'")
    r = subprocess.run([sys.executable, "-m", "gasunion.cli", "simulate", str(bad)],
                       capture_output=True, text=True, check=False)
    assert r.returncode == 2
    assert "Traceback" not in r.stderr + r.stdout
    assert "broken.net" in r.stderr
    r = runner.invoke(app, ["simulate", str(tmp_path / "missing.net")])
    assert r.exit_code == 2
    r = runner.invoke(app, ["simulate", str(tmp_path / "x.xyz")])
    assert r.exit_code == 2


def test_invalid_network_validate_exit_2(tmp_path: Path) -> None:
    import gasunion as gu

    net = gu.Network("bad")
    net.add("junctions", ["a", "b"])
    net.add("pipes", "p", from_junction="a", to_junction="b", length_km=-1.0, diameter_mm=100.0)
    path = tmp_path / "bad.json"
    gu.write(net, path)
    r = runner.invoke(app, ["validate", str(path)])
    assert r.exit_code == 2
    assert "pipes['p'].length_km: must be > 0" in r.output


def test_failed_simulation_exit_1_with_diagnosis(tmp_path: Path) -> None:
    import gasunion as gu

    net = gu.Network("too much")
    net.add("junctions", ["a", "b"])
    net.add("sources", "s", junction="a", p_set_bar=50.0)
    net.add("sinks", "d", junction="b", mass_flow_kg_s=5000.0)
    net.add("pipes", "p", from_junction="a", to_junction="b", length_km=100.0, diameter_mm=300.0)
    path = tmp_path / "net.json"
    gu.write(net, path)
    r = subprocess.run([sys.executable, "-m", "gasunion.cli", "simulate", str(path)],
                       capture_output=True, text=True, check=False)
    assert r.returncode == 1
    assert "Traceback" not in r.stderr
    assert "below zero" in r.stderr and "b" in r.stderr


def test_demo_runs(tmp_path: Path) -> None:
    """The main job on the embedded Central Asia network: report tables and files."""
    r = runner.invoke(app, ["demo", "--out", str(tmp_path)])
    assert r.exit_code == 0, r.output
    assert "Flows across border points" in r.output and "Corridor utilisation" in r.output
    for name in ("junctions.csv", "pipes.csv", "compressors.csv", "border_flows.csv",
                 "corridors.csv", "key_pressures.csv", "summary.json", "network.geojson",
                 "network.json"):
        assert (tmp_path / name).exists(), name
    # the written network simulates from the command line to the same state
    r2 = runner.invoke(app, ["simulate", str(tmp_path / "network.json"), "--friction",
                             "colebrook", "--json"])
    assert r2.exit_code == 0, r2.output
    assert json.loads(r2.stdout)["converged"] is True
    bf = pd.read_csv(tmp_path / "border_flows.csv").set_index("border_point")
    # Russian gas to Uzbekistan through Kazakhstan: 1.28 bcm in 2023 (flows.csv, TASS_2024_07)
    assert bf.at["BRD_KZ_RU_CAC", "flow_bcm_y"] == pytest.approx(1.28, rel=0.10)
    r = runner.invoke(app, ["demo", "--scenario", "nope"])
    assert r.exit_code == 2
