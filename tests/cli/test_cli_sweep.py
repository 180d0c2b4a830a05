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
    assert "bad.csv: line 2, column scenario" in msg and "also on line 2" in msg
    unknown = tmp_path / "unknown.csv"
    unknown.write_text("scenario,component,element,column,value\na,sinks,nowhere,"
                       "mass_flow_kg_s,1\n")
    r = run("sweep", NET40, str(unknown), "-s", SCN40, "--json")
    assert r.exit_code == 2
    assert "unknown.csv: line 2, column element: sinks has no element 'nowhere'" in (
        json.loads(r.stdout)["error"]["message"])
    missing = tmp_path / "missing.csv"
    missing.write_text("scenario,element,value\na,b,1\n")
    r = run("sweep", NET40, str(missing), "-s", SCN40)
    assert r.exit_code == 2 and "component, column" in r.stderr


G11 = Path(__file__).resolve().parents[1] / "data" / "gaslib" / "GasLib-11"
NET11, SCN11 = str(G11 / "GasLib-11.net"), str(G11 / "GasLib-11.scn")
HEADER = "scenario,component,element,column,value\n"


def test_failed_scenario_shows_no_numbers(tmp_path: Path) -> None:
    """3000 kg/s at exit01 of GasLib-11 is infeasible (``gu.simulate`` of the modified copy
    says so): the table shows n/a, not the slack's set-point as min pressure nor the failed
    solve's violation count; JSON has null, ``converged`` true (Newton converged) next to the
    error, and the whole message with the elements at fault."""
    ch = tmp_path / "ch.csv"
    ch.write_text(HEADER + "low,sinks,exit01,mass_flow_kg_s,10\n"
                  "huge,sinks,exit01,mass_flow_kg_s,3000\n")
    net = gu.read(NET11, scenario=SCN11)
    net.sinks.loc["exit01", "mass_flow_kg_s"] = 3000.0
    with pytest.raises(gu.SimulationError) as info:
        gu.simulate(net)
    assert info.value.kind == "infeasible"
    r = run("sweep", NET11, str(ch), "-s", SCN11)
    assert r.exit_code == 0, r.output
    assert max(len(line) for line in r.stdout.splitlines()) <= 80
    huge = next(line for line in r.stdout.splitlines() if line.startswith("huge"))
    assert huge.split()[-2:] == ["n/a", "n/a"]  # violations, min p: none of a failed solve
    assert huge.split()[-3].isdigit()  # Newton's iterations are a real count
    r = run("sweep", NET11, str(ch), "-s", SCN11, "--json")
    doc = json.loads(r.stdout)
    row = next(x for x in doc["summary"] if x["scenario"] == "huge")
    assert row["ok"] is False and row["error"] == "infeasible" and row["converged"] is True
    assert row["n_violations"] is None and row["max_mass_balance_error_kg_s"] is None
    assert row["message"].startswith("physically impossible steady state: junctions ")
    assert "exit01" in row["message"] and "pressure would fall below zero" in row["message"]
    low = next(x for x in doc["summary"] if x["scenario"] == "low")
    assert low["ok"] is True and isinstance(low["n_violations"], int)


def test_negative_length_is_a_setup_failure_without_sentinels(tmp_path: Path) -> None:
    ch = tmp_path / "ch.csv"
    pipe = gu.read(NET11).pipes.index[0]
    ch.write_text(HEADER + f"neg,pipes,{pipe},length_km,-3\n")
    r = run("sweep", NET11, str(ch), "-s", SCN11, "--json")
    assert r.exit_code == 0
    row = json.loads(r.stdout)["summary"][0]
    assert row["error"] == "setup" and row["converged"] is False
    assert row["n_violations"] is None and row["iterations"] is None
    assert "length_km" in row["message"] and pipe in row["message"]
    r = run("sweep", NET11, str(ch), "-s", SCN11)
    line = next(x for x in r.stdout.splitlines() if x.startswith("neg"))
    assert line.split()[-3:] == ["n/a", "n/a", "n/a"] and "-1" not in line


@pytest.mark.parametrize(("row", "where", "problem"), [
    ("a,sinks,exit01,mass_flow_kg_s,abc", "line 3, column value", "'abc' is not a number"),
    ("a,sinks,exit01,in_service,maybe", "line 3, column value", "not true or false"),
    ("a,sinks,nosuch,mass_flow_kg_s,1", "line 3, column element", "no element 'nosuch'"),
    ("a,sinkz,exit01,mass_flow_kg_s,1", "line 3, column component", "unknown component"),
    ("a,sinks,exit01,flow,1", "line 3, column column", "sinks has no column 'flow'"),
])
def test_bad_changes_rows_are_bad_input(tmp_path: Path, row: str, where: str,
                                        problem: str) -> None:
    ch = tmp_path / "ch.csv"
    ch.write_text(HEADER + "ok,sinks,exit01,mass_flow_kg_s,10\n" + row + "\n")
    r = run("sweep", NET11, str(ch), "-s", SCN11, "--json")
    assert r.exit_code == 2
    err = json.loads(r.stdout)["error"]
    assert err["kind"] == "bad_input"
    assert f"{ch}: {where}" in err["message"] and problem in err["message"]
    assert err["diagnosis"][0]["line"] == 3
    r = run("sweep", NET11, str(ch), "-s", SCN11)
    assert r.exit_code == 2 and "Traceback" not in r.output and "line 3" in r.stderr


def test_changes_not_utf8_names_the_line(tmp_path: Path) -> None:
    ch = tmp_path / "ch.csv"
    ch.write_bytes(HEADER.encode() + b"ok,sinks,exit01,mass_flow_kg_s,10\n\xff,x,y,z,1\n")
    r = run("sweep", NET11, str(ch), "-s", SCN11, "--json")
    assert r.exit_code == 2
    msg = json.loads(r.stdout)["error"]["message"]
    assert msg == f"{ch}: line 3: not UTF-8 text (byte 0xff): save the file as UTF-8"
