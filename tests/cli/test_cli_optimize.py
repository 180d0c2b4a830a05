"""``gasunion optimize ...``: exit codes, JSON on every outcome, GasModels' objective values
through the command line, the operated network confirmed by ``gasunion simulate``.

Reference values: GasModels.jl's own tests (lanl-ansi/GasModels.jl, ``test/ogf.jl`` lines
5-10 and 142-147: case-6-no-power-limits.m -253.683, case-6.m -167.190, atol 1e-2).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from gasunion.cli import app

DATA = Path(__file__).resolve().parents[1] / "data"
MATGAS = DATA / "matgas"
runner = CliRunner()


def run(*args: str) -> Any:
    return runner.invoke(app, list(args), env={"COLUMNS": "80"})


@pytest.mark.parametrize("args, kind", [
    (("transport", "--periods", "zero"), "bad_option"),
    (("transport", "--periods", "0"), "bad_option"),
    (("transport", "--scenario", "1999"), "bad_option"),
    (("ogf", "no-such-file.m"), "bad_input"),
    (("shed", "--outage", "P12"), "bad_option"),
    (("ogf", str(MATGAS / "case-6.m"), "--formulation", "quantum"), "bad_input"),
    (("ogf", str(MATGAS / "case-6.m"), "--scenario", "missing.scn"), "bad_input"),
])
def test_bad_input_exit_2_with_json(args: tuple[str, ...], kind: str) -> None:
    r = run("optimize", *args, "--json")
    assert r.exit_code == 2, r.output
    doc = json.loads(r.stdout)
    assert doc["ok"] is False and doc["error"]["kind"] == kind
    assert "Traceback" not in r.output


def test_bad_input_without_json_is_one_message() -> None:
    r = run("optimize", "transport", "--periods", "zero")
    assert r.exit_code == 2
    assert "Traceback" not in r.output and "--periods zero" in r.output


def _json(*args: str) -> dict[str, Any]:
    r = run("optimize", *args, "--json")
    assert r.exit_code == 0, r.output
    doc: dict[str, Any] = json.loads(r.stdout)  # stdout is the JSON document only
    assert doc["ok"] is True
    return doc


@pytest.mark.parametrize("case, objective", [
    ("case-6-no-power-limits.m", -253.683),  # GasModels test/ogf.jl:5-10
    ("case-6.m", -167.190),                  # GasModels test/ogf.jl:142-147
])
def test_ogf_matgas_defaults_reproduce_gasmodels(case: str, objective: float) -> None:
    """With no option, a matgas file is optimised with GasModels' own objective and physics:
    the JSON objective equals GasModels' published test value within its atol 1e-2."""
    doc = _json("ogf", str(MATGAS / case))
    assert doc["objective"] == pytest.approx(objective, abs=1e-2)
    assert doc["status"] in ("optimal", "locally_optimal")


def test_operate_then_simulate_confirms(tmp_path: Path) -> None:
    """`optimize operate --out DIR` writes DIR/network.json; `gasunion simulate` of that file
    (same default physics) reports no violated bound, while the file as read breaks 10."""
    g40 = DATA / "gaslib" / "GasLib-40"
    net, scn = str(g40 / "GasLib-40.net"), str(g40 / "GasLib-40.scn")
    before = json.loads(run("simulate", net, "-s", scn, "--json").stdout)
    assert len(before["violations"]) > 0
    doc = _json("operate", net, "-s", scn, "--out", str(tmp_path))
    assert doc["violations_after"] == 0
    r = run("simulate", str(tmp_path / "network.json"), "--json")
    assert r.exit_code == 0, r.output
    after = json.loads(r.stdout)
    assert after["violations"] == []


def test_transport_default_is_the_central_asia_year(tmp_path: Path) -> None:
    """Without NETWORK: the 12-month Central Asia case. Conservation per month: supply plus
    storage withdrawal equals served demand plus compressor fuel (from the written tables)."""
    import pandas as pd

    r = run("optimize", "transport", "--out", str(tmp_path))
    assert r.exit_code == 0, r.output
    assert max(len(line) for line in r.stdout.splitlines()) <= 80
    assert "Gas between countries" in r.stdout and "Jan" in r.stdout
    src = pd.read_csv(tmp_path / "sources.csv").groupby("period")["supply_kg_s"].sum()
    snk = pd.read_csv(tmp_path / "sinks.csv").groupby("period")["served_kg_s"].sum()
    sto = pd.read_csv(tmp_path / "storages.csv").groupby("period")["net_withdrawal_kg_s"].sum()
    fuel = pd.read_csv(tmp_path / "branches.csv").groupby("period")["fuel_kg_s"].sum()
    assert len(src) == 12
    assert (src + sto - snk - fuel).abs().max() < 1e-4
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["status"] == "optimal"


def test_infeasible_is_exit_1_with_a_diagnosis(tmp_path: Path) -> None:
    """A demand of 30 kg/s that a 10 kg/s supply cannot meet under cost minimisation (firm
    demand): exit 1; the JSON diagnosis gives the 20 kg/s missing and names the supply at its
    maximum and the demand that must be served."""
    import gasunion as gu

    net = gu.Network("short")
    net.add("junctions", ["A", "B"])
    net.add("sources", "s", junction="A", mass_flow_max_kg_s=10.0)
    net.add("sinks", "d", junction="B", mass_flow_kg_s=30.0)
    net.add("pipes", "AB", from_junction="A", to_junction="B", length_km=10.0,
            diameter_mm=500.0, mass_flow_max_kg_s=50.0)
    path = tmp_path / "short.json"
    gu.write(net, path)
    r = run("optimize", "transport", str(path), "--objective", "cost", "--json")
    assert r.exit_code == 1, r.output
    doc = json.loads(r.stdout)
    assert doc["ok"] is False and doc["error"]["kind"] == "infeasible"
    rows = doc["error"]["diagnosis"]
    assert any(r["component"] == "junctions" and r["amount"] == pytest.approx(20.0)
               for r in rows)
    named = {(r["component"], r["element"]) for r in rows}
    assert {("sources", "s"), ("sinks", "d")} <= named


def test_expansion_candidates_from_csv(tmp_path: Path) -> None:
    """Demand 30 kg/s at B over a 20 kg/s pipe; candidates: a 15 kg/s loop for 10 and a
    50 kg/s loop for 25. The cheapest set that serves all demand is the 15 kg/s loop
    (20 + 15 >= 30): construction cost 10."""
    import gasunion as gu

    net = gu.Network("expand")
    net.add("junctions", ["A", "B"])
    net.add("sources", "s", junction="A", mass_flow_max_kg_s=100.0)
    net.add("sinks", "d", junction="B", mass_flow_kg_s=30.0)
    net.add("pipes", "AB", from_junction="A", to_junction="B", length_km=10.0,
            diameter_mm=500.0, mass_flow_max_kg_s=20.0, mass_flow_min_kg_s=-20.0)
    gu.write(net, tmp_path / "net.json")
    (tmp_path / "cand.csv").write_text(
        "id,kind,from_junction,to_junction,diameter_mm,length_km,mass_flow_max_kg_s,"
        "mass_flow_min_kg_s,construction_cost\n"
        "loop15,pipe,A,B,300,10,15,-15,10\n"
        "loop50,pipe,A,B,600,10,50,-50,25\n")
    doc = _json("expansion", str(tmp_path / "net.json"), "--formulation", "linear",
                "--candidates", str(tmp_path / "cand.csv"))
    assert doc["built"] == ["loop15"]
    assert doc["construction_cost"] == pytest.approx(10.0)
    r = run("optimize", "expansion", str(tmp_path / "net.json"), "--json")
    assert r.exit_code == 2 and json.loads(r.stdout)["error"]["hint"].startswith(
        "on the command line: --candidates")
