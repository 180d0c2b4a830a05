"""``gasunion sweep``: scenarios from a long-form CSV, N-1 outages, Parquet/CSV output, JSON,
exit codes, 80 columns.

Reference values: the same scenarios through the Python API (``gu.simulate`` of a modified
copy) and GasLib-40's topology (see tests/simulation/test_prepared_and_sweep.py).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import gasunion as gu
from gasunion.cli import app

G40 = Path(__file__).resolve().parents[1] / "data" / "gaslib" / "GasLib-40"
NET40, SCN40 = str(G40 / "GasLib-40.net"), str(G40 / "GasLib-40.scn")
runner = CliRunner()


def run(*args: str) -> Any:
    return runner.invoke(app, list(args), env={"COLUMNS": "80"})


@pytest.fixture
def changes(tmp_path: Path) -> Path:
    path = tmp_path / "changes.csv"
    path.write_text("scenario,component,element,column,value\n"
                    "low,sinks,sink_1,mass_flow_kg_s,10\n"
                    "low,sinks,sink_2,mass_flow_kg_s,12\n"
                    "high,sinks,sink_1,mass_flow_kg_s,25\n"
                    "out38,pipes,pipe_38,in_service,false\n")
    return path


def test_sweep_csv_matches_the_api(changes: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    r = run("sweep", NET40, str(changes), "-s", SCN40, "--out", str(out), "--csv")
    assert r.exit_code == 0, r.output
    assert max(len(line) for line in r.stdout.splitlines()) <= 80
    p = pd.read_parquet(out / "junctions.p_bar.parquet")
    assert list(p.index) == ["low", "high", "out38"]
    net = gu.read(NET40, scenario=SCN40)
    net.sinks.loc["sink_1", "mass_flow_kg_s"] = 25.0
    ref = gu.simulate(net).junctions["p_bar"]
    np.testing.assert_allclose(p.loc["high"].to_numpy(), ref.to_numpy(), rtol=1e-6)
    assert (out / "summary.csv").exists() and (out / "pipes.mass_flow_kg_s.csv").exists()


def test_sweep_outages_json(tmp_path: Path) -> None:
    r = run("sweep", NET40, "-s", SCN40, "--outages", "pipes", "--json")
    assert r.exit_code == 0
    doc = json.loads(r.stdout)
    assert doc["ok"] is True and doc["counts"]["scenarios"] == 39
    worst_served = next(o for o in doc["outages"] if o["ok"])
    assert worst_served["element"] == "pipe_15"
    assert worst_served["unserved_kg_s"] == pytest.approx(3 * 75e3 / 3600 * 0.785, rel=1e-9)


@pytest.mark.parametrize("args", [
    ("sweep", NET40, "-s", SCN40),                                   # neither
    ("sweep", NET40, "-s", SCN40, "--outages", "pipez"),             # unknown component
])
def test_sweep_bad_options_exit_2_with_json(args: tuple[str, ...]) -> None:
    r = run(*args, "--json")
    assert r.exit_code == 2
    doc = json.loads(r.stdout)
    assert doc["ok"] is False and doc["error"]["kind"] == "bad_option"


def test_sweep_bad_changes_file_names_lines(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("scenario,component,element,column,value\n"
                   "a,sinks,sink_1,mass_flow_kg_s,1\n"
                   "a,sinks,sink_1,mass_flow_kg_s,2\n")
    r = run("sweep", NET40, str(bad), "-s", SCN40, "--json")
    assert r.exit_code == 2
    msg = json.loads(r.stdout)["error"]["message"]
    assert "bad.csv" in msg and "[2, 3]" in msg
    unknown = tmp_path / "unknown.csv"
    unknown.write_text("scenario,component,element,column,value\na,sinks,nowhere,"
                       "mass_flow_kg_s,1\n")
    r = run("sweep", NET40, str(unknown), "-s", SCN40, "--json")
    assert r.exit_code == 2
    assert "nowhere" in json.loads(r.stdout)["error"]["message"]
    missing = tmp_path / "missing.csv"
    missing.write_text("scenario,element,value\na,b,1\n")
    r = run("sweep", NET40, str(missing), "-s", SCN40)
    assert r.exit_code == 2 and "component, column" in r.stderr
