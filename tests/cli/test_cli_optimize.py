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
    import numpy as np
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
    # the command line solves the documented case: the Python example of
    # docs/optimize/transport.md (with MONTHLY_OPTIONS) gives the same plan
    from gasunion.datasets.central_asia_monthly import MONTHLY_OPTIONS, central_asia_monthly
    from gasunion.optimize.transport import transport

    net, months = central_asia_monthly("2023")
    py = transport(net, periods=months, **MONTHLY_OPTIONS)
    cli = pd.read_csv(tmp_path / "storages.csv").set_index(["id", "period"])["inventory_mcm"]
    inv = py["storages"]["inventory_mcm"]
    assert np.allclose(cli.loc[inv.index].to_numpy(), inv.to_numpy(), atol=1e-6)
    assert summary["objective"] == pytest.approx(py.objective, rel=1e-9)


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
    _candidate_net(tmp_path)
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


# ----------------------------------------------------------------- reviewed defects
GASLIB40 = DATA / "gaslib" / "GasLib-40"


@pytest.mark.parametrize("args", [
    (str(GASLIB40 / "GasLib-40.net"), "--scenario", str(GASLIB40 / "GasLib-40.scn")),
    (str(MATGAS / "case-6.m"),),
])
def test_security_of_a_network_without_countries(args: tuple[str, ...]) -> None:
    """GasLib and matgas files have no countries: the whole network is the one area (no
    internal error). Its N-1 has no entry point (EP = 0) and, with no foreign gas, the HHI
    is undefined; each outage's loss is at most the area's demand."""
    doc = _json("security", *args)
    assert doc["areas"] == ["whole network"]
    (n1,) = doc["tables"]["n1"]
    assert n1["area"] == "whole network" and n1["ep_m_mcm_d"] == 0.0
    (hhi,) = doc["tables"]["hhi"]
    assert hhi["imports_mcm_d"] == 0.0 and hhi["hhi"] is None
    for row in doc["tables"]["outages"]:
        assert row["unserved_mcm_d"] <= row["demand_mcm_d"] + 1e-9
    r = run("optimize", "security", *args)
    assert r.exit_code == 0 and "whole network" in r.stdout


def test_bad_coalition_member_is_refused_before_computing(monkeypatch: pytest.MonkeyPatch
                                                          ) -> None:
    """`--coalition RU,XX` is checked as soon as the network is built: the dataset's
    capacities (7 s), the simulation and the outages are never computed."""
    import gasunion.datasets.central_asia_capacities as caps

    def never(*_a: Any, **_k: Any) -> Any:
        raise AssertionError("capacities computed before the coalition was checked")

    monkeypatch.setattr(caps, "central_asia_capacities", never)
    r = run("optimize", "security", "--coalition", "RU,XX", "--json")
    assert r.exit_code == 2, r.output
    err = json.loads(r.stdout)["error"]
    assert err["kind"] == "bad_option" and err["message"].startswith("--coalition RU,XX:")
    assert "'XX'" in err["message"]


def test_too_many_periods_is_refused_with_the_limit() -> None:
    """--periods 100000 on the Central Asia network would be about 52 million variables
    (over 50 GB at about 1 kB each): exit 2 before building, one JSON document naming the
    limit and the largest --periods that fits (limit // variables per period)."""
    from gasunion.datasets.central_asia_monthly import central_asia_monthly
    from gasunion.optimize._linear_data import MAX_VARIABLES, variables_per_period

    r = run("optimize", "transport", "--periods", "100000", "--json")
    assert r.exit_code == 2, r.output
    err = json.loads(r.stdout)["error"]
    assert err["kind"] == "bad_option" and err["message"].startswith("--periods 100000:")
    assert f"{MAX_VARIABLES:,}" in err["message"]
    per = variables_per_period(central_asia_monthly("2023")[0])
    assert f"at most --periods {MAX_VARIABLES // per} " in err["hint"]


def _storage_ids() -> list[str]:
    from gasunion.datasets.central_asia_monthly import central_asia_monthly

    return [str(i) for i in central_asia_monthly("2023")[0].storages.index]


def test_transport_ids_and_title_say_what_was_computed() -> None:
    """--ids shows every storage id whole (no ellipsis anywhere, 80 columns); --periods 3 is
    titled with its periods (3 identical days d1 to d3), not the dataset's months."""
    r = run("optimize", "transport", "--periods", "3", "--ids")
    assert r.exit_code == 0, r.output
    lines = r.stdout.splitlines()
    assert "3 identical days (d1 to d3)" in lines[0] and "monthly" not in lines[0]
    assert "…" not in r.stdout and max(len(line) for line in lines) <= 80
    shown = {line.split()[0] for line in lines if line.split()}
    assert set(_storage_ids()) <= shown


def test_transport_months_show_names_whole() -> None:
    """The 12-month view: title names the months; storage names whole (Poltoratskoe); the
    border system and the demand point names are not cut."""
    r = run("optimize", "transport")
    assert r.exit_code == 0, r.output
    assert "12 months (2023-01 to 2023-12)" in r.stdout.splitlines()[0]
    assert "…" not in r.stdout
    assert max(len(line) for line in r.stdout.splitlines()) <= 80
    assert "Poltoratskoe " in r.stdout
    assert "Jan-Mar, Oct-Dec" in r.stdout          # the periods with a shortfall, as ranges


def test_shed_title_names_the_outage() -> None:
    r = run("optimize", "shed", "--outage", "pipes:CAC_08/1", "--ids")
    assert r.exit_code == 0, r.output
    title = " ".join(" ".join(r.stdout.splitlines()[:3]).split())
    assert "with pipes:CAC_08/1 out of service" in title
    r = run("optimize", "shed", "--outage", "pipes:NOPE", "--json")
    assert r.exit_code == 2
    assert json.loads(r.stdout)["error"]["message"].startswith("--outage pipes:NOPE:")


@pytest.mark.parametrize("command", ["transport", "ogf", "operate", "expansion", "shed",
                                     "security"])
def test_help_fits_80_columns_whole(command: str) -> None:
    """No option's metavar or help is cut with an ellipsis in an 80-column --help."""
    r = run("optimize", command, "--help")
    assert r.exit_code == 0
    assert "…" not in r.stdout
    assert max(len(line) for line in r.stdout.splitlines()) <= 80
    if command == "ogf":
        assert "max_delivery" in r.stdout and "gasmodels" in r.stdout
    if command == "expansion":
        assert "docs/optimize/expansion.md" in r.stdout


def _candidate_net(tmp_path: Path) -> Path:
    import gasunion as gu

    net = gu.Network("expand")
    net.add("junctions", ["A", "B"])
    net.add("sources", "s", junction="A", mass_flow_max_kg_s=100.0)
    net.add("sinks", "d", junction="B", mass_flow_kg_s=30.0)
    net.add("pipes", "AB", from_junction="A", to_junction="B", length_km=10.0,
            diameter_mm=500.0, mass_flow_max_kg_s=20.0, mass_flow_min_kg_s=-20.0)
    path = tmp_path / "net.json"
    gu.write(net, path)
    return path


def test_expansion_reports_every_bad_candidate_row(tmp_path: Path) -> None:
    """Three bad rows (lines 3, 5 and 6 of the file; a blank line 4 is counted): all are
    reported in one run, each with the file, its line, the candidate and the column."""
    path = _candidate_net(tmp_path)
    csv = tmp_path / "cand.csv"
    csv.write_text(
        "id,kind,from_junction,to_junction,diameter_mm,length_km,construction_cost\n"
        "ok,pipe,A,B,300,10,10\n"
        "X1,pipee,A,B,300,10,10\n"
        "\n"
        "X2,pipe,A,Q,300,10,10\n"
        "X3,pipe,A,B,abc,10,-1\n")
    r = run("optimize", "expansion", str(path), "--formulation", "linear",
            "--candidates", str(csv), "--json")
    assert r.exit_code == 2, r.output
    err = json.loads(r.stdout)["error"]
    assert err["kind"] == "bad_input"
    got = {(d["line"], d["candidate"], d["column"]) for d in err["diagnosis"]}
    assert got == {(3, "X1", "kind"), (5, "X2", "to_junction"), (6, "X3", "diameter_mm"),
                   (6, "X3", "construction_cost")}
    for d in err["diagnosis"]:
        assert d["file"] == str(csv)
        assert d["explanation"].startswith(f"{csv} line {d['line']} (candidate {d['candidate']})")
    r = run("optimize", "expansion", str(path), "--formulation", "linear",
            "--candidates", str(csv))
    assert r.exit_code == 2 and "Traceback" not in r.output


def test_expansion_reverse_needs_linear_in_cli_words(tmp_path: Path) -> None:
    path = _candidate_net(tmp_path)
    csv = tmp_path / "cand.csv"
    csv.write_text("id,kind,element,mass_flow_min_kg_s,construction_cost\n"
                   "rev,reverse,AB,-60,1\n")
    r = run("optimize", "expansion", str(path), "--candidates", str(csv), "--json")
    assert r.exit_code == 2, r.output
    (d,) = json.loads(r.stdout)["error"]["diagnosis"]
    assert d["line"] == 2 and d["column"] == "kind"
    assert "--formulation linear" in d["explanation"]
    assert "formulation='linear'" not in d["explanation"]


def test_period_ranges_never_list_hundreds_of_periods() -> None:
    """Runs of consecutive periods: d1-d3 and d7; months by name; more than four runs are
    counted (3 of 10 periods, first to last) instead of listed."""
    from gasunion.cli.optimize_views import period_ranges

    days = [f"d{i}" for i in range(1, 11)]
    assert period_ranges(["d1", "d2", "d3", "d7"], days) == "d1-d3, d7"
    months = [f"2023-{m:02d}" for m in range(1, 13)]
    assert period_ranges([months[i] for i in (0, 1, 2, 9, 10, 11)], months) == "Jan-Mar, Oct-Dec"
    odd = ["d1", "d3", "d5", "d7", "d9"]
    assert period_ranges(odd, days) == "5 of 10 periods, d1 to d9"
