"""The ``gasunion`` command line: outputs, JSON, exit codes, no tracebacks, 80 columns.

Exit codes: 0 success, 2 bad input (file, network, option, set-up, missing dependency,
unwritable --out), 1 failed computation (not converged, infeasible, internal error).
Real exit codes and start-up imports are checked in subprocesses; the rest runs in-process
with Typer's CliRunner (stdout and stderr apart).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from typer.testing import CliRunner

import gasunion as gu
from gasunion.cli import app

DATA = Path(__file__).resolve().parents[1] / "data"
G40 = DATA / "gaslib" / "GasLib-40"
NET40, SCN40 = str(G40 / "GasLib-40.net"), str(G40 / "GasLib-40.scn")
MATGAS40 = str(DATA / "matgas" / "gaslib-40-E.m")
runner = CliRunner()
COMMANDS = ("simulate", "info", "validate", "convert", "demo")


def run(*args: str, columns: int = 80) -> Any:
    return runner.invoke(app, list(args), env={"COLUMNS": str(columns)})


def as_json(r: Any) -> dict[str, Any]:
    """stdout of a --json run: exactly one JSON document."""
    doc: dict[str, Any] = json.loads(r.stdout)
    return doc


def assert_fits(text: str, width: int = 80) -> None:
    lines = text.splitlines()
    too_long = [ln for ln in lines if len(ln) > width]
    assert not too_long, "\n".join(too_long)
    assert "…" not in text  # nothing cut off: names wrap inside their cell


# ------------------------------------------------------------------------------ networks
@pytest.fixture
def negative_length(tmp_path: Path) -> Path:
    net = gu.Network("bad")
    net.add("junctions", ["a", "b"])
    net.add("sources", "s", junction="a", p_set_bar=50.0)
    net.add("sinks", "d", junction="b", mass_flow_kg_s=5.0)
    net.add("pipes", "p", from_junction="a", to_junction="b", length_km=-1.0, diameter_mm=100.0)
    path = tmp_path / "bad.json"
    gu.write(net, path)
    return path


@pytest.fixture
def infeasible(tmp_path: Path) -> Path:
    net = gu.Network("too much")
    net.add("junctions", ["a", "b"])
    net.add("sources", "s", junction="a", p_set_bar=50.0)
    net.add("sinks", "d", junction="b", mass_flow_kg_s=5000.0)
    net.add("pipes", "p", from_junction="a", to_junction="b", length_km=100.0, diameter_mm=300.0)
    path = tmp_path / "net.json"
    gu.write(net, path)
    return path


# ------------------------------------------------------------------------------ simulate
def test_simulate_writes_tables(tmp_path: Path) -> None:
    out = tmp_path / "out"
    r = run("simulate", NET40, "--scenario", SCN40, "--friction", "colebrook", "--z", "ideal",
            "--out", str(out))
    assert r.exit_code == 0, r.output
    j = pd.read_csv(out / "junctions.csv")
    assert {"id", "p_bar"} <= set(j.columns)
    assert len(j) == 40  # one row per node: 3 sources + 29 sinks + 8 inner nodes
    p = pd.read_csv(out / "pipes.csv")
    assert {"id", "from_junction", "to_junction", "mass_flow_kg_s", "flow_mcm_d"} <= set(p.columns)
    assert len(p) == 39
    assert (out / "compressors.csv").exists()
    s = json.loads((out / "summary.json").read_text())
    assert s["ok"] is True and s["converged"] is True
    assert s["settings"]["friction"] == "colebrook" and s["settings"]["z"] == "ideal"
    assert s["max_mass_balance_error_kg_s"] < 1e-6
    assert s["solve_time_s"] > 0
    # sources and sinks balance in the written tables: 2175 x 1000 Nm3/h in and out
    src = pd.read_csv(out / "sources.csv")["mass_flow_kg_s"].sum()
    snk = pd.read_csv(out / "sinks.csv")["mass_flow_kg_s"].sum()
    assert src == pytest.approx(snk, rel=1e-9)
    # the text output: 80 columns, absolute pressures, the violated bounds
    assert_fits(r.stdout)
    assert "bar(a)" in r.stdout and "bound violation" in r.stdout
    assert str(out / "summary.json") in r.stderr  # "wrote" lines are messages (stderr)


def test_simulate_json_summary() -> None:
    r = run("simulate", MATGAS40, "--json", "--z", "ideal")
    assert r.exit_code == 0, r.output
    doc = as_json(r)
    assert doc["ok"] is True and doc["command"] == "simulate"
    assert doc["summary"]["converged"] is True and doc["summary"]["iterations"] >= 1
    assert isinstance(doc["violations"], list) and doc["written"] == []


def test_gaslib_without_scenario_says_so() -> None:
    r = run("simulate", NET40)
    assert r.exit_code == 2
    msg = " ".join(r.stderr.split())
    assert "GasLib-40.net has no nomination" in msg and "--scenario" in msg
    assert "GasLib-40.scn" in msg  # the scenario beside the network is suggested
    doc = as_json(run("simulate", NET40, "--json"))
    assert doc["ok"] is False and doc["error"]["kind"] == "setup"
    assert "no nomination" in doc["error"]["message"]


def test_not_converged_exit_1() -> None:
    r = run("simulate", MATGAS40, "--max-iter", "1", "--json")
    assert r.exit_code == 1
    doc = as_json(r)
    assert doc["ok"] is False and doc["error"]["kind"] == "not_converged"
    assert doc["error"]["diagnosis"] and "residual" in doc["error"]["diagnosis"][0]
    r = run("simulate", MATGAS40, "--max-iter", "1")
    assert r.exit_code == 1 and "not converged" in r.stderr and "Traceback" not in r.output


def test_failed_simulation_exit_1_with_diagnosis(infeasible: Path) -> None:
    r = subprocess.run([sys.executable, "-m", "gasunion.cli", "simulate", str(infeasible)],
                       capture_output=True, text=True, check=False, env=_env())
    assert r.returncode == 1
    assert "Traceback" not in r.stderr and r.stdout == ""
    assert "infeasible" in r.stderr and "pressure would fall" in r.stderr


def test_failed_simulation_writes_its_diagnosis(infeasible: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    r = run("simulate", str(infeasible), "--out", str(out), "--json")
    assert r.exit_code == 1
    doc = as_json(r)
    assert doc["error"]["kind"] == "infeasible"
    assert doc["error"]["diagnosis"][0]["id"] == "b"
    diag = pd.read_csv(out / "diagnosis.csv")
    assert diag.loc[0, "problem"] == "pressure would fall below zero"
    s = json.loads((out / "summary.json").read_text())
    assert s["ok"] is False and s["error"]["kind"] == "infeasible"
    assert not (out / "junctions.csv").exists()


# ---------------------------------------------------------------------- exit codes, JSON
@pytest.mark.parametrize("command", ["simulate", "info", "validate", "convert"])
def test_negative_pipe_length_is_bad_input(command: str, negative_length: Path,
                                           tmp_path: Path) -> None:
    target = tmp_path / "out.geojson"
    args = [command, str(negative_length)] + ([str(target)] if command == "convert" else [])
    r = run(*args)
    assert r.exit_code == 2, r.output
    assert "length_km" in r.output and "Traceback" not in r.output
    r = run(*args, "--json")
    assert r.exit_code == 2
    doc = as_json(r)
    assert doc["ok"] is False and doc["command"] == command
    assert doc["error"]["kind"] in ("invalid_network", "setup")
    assert any(row.get("field") == "length_km" for row in doc["error"]["diagnosis"])
    assert not target.exists()  # convert refuses an invalid network


def test_info_shows_the_errors(negative_length: Path) -> None:
    r = run("info", str(negative_length))
    assert r.exit_code == 2
    assert "junctions" in r.stdout  # the information is still shown
    assert "pipes['p'].length_km: must be > 0" in r.stdout
    assert "invalid network" in r.stderr


def test_every_command_prints_json_on_failure(tmp_path: Path) -> None:
    missing = str(tmp_path / "missing.net")
    cases = {
        "simulate": ["simulate", missing],
        "info": ["info", missing],
        "validate": ["validate", missing],
        "convert": ["convert", missing, str(tmp_path / "x.json")],
        "demo": ["demo", "--scenario", "nope"],
    }
    for command, args in cases.items():
        r = run(*args, "--json")
        assert r.exit_code == 2, (command, r.output)
        doc = as_json(r)
        assert doc["ok"] is False and doc["command"] == command
        assert doc["error"]["kind"] in ("bad_input", "bad_option") and doc["error"]["message"]
    # option values and usage errors, too
    for args in (["simulate", MATGAS40, "--friction", "nope"], ["simulate"],
                 ["convert", MATGAS40, str(tmp_path / "x.txt")], ["simulate", MATGAS40, "--max-iter", "0"]):
        r = run(*args, "--json")
        assert r.exit_code == 2, (args, r.output)
        assert as_json(r)["error"]["kind"] == "bad_option"


def test_every_command_prints_json_on_success(tmp_path: Path) -> None:
    for args in (["info", NET40], ["validate", NET40, "-s", SCN40],
                 ["convert", NET40, str(tmp_path / "g40.json")]):
        r = run(*args, "--json")
        assert r.exit_code == 0, r.output
        doc = as_json(r)
        assert doc["ok"] is True and doc["command"] == args[0]
    assert as_json(run("info", NET40, "--json"))["counts"]["pipes"] == 39


def test_bad_file_exit_code_2_no_traceback(tmp_path: Path) -> None:
    bad = tmp_path / "broken.net"
    bad.write_text("<network><nodes><innode id='a'")
    r = subprocess.run([sys.executable, "-m", "gasunion.cli", "simulate", str(bad)],
                       capture_output=True, text=True, check=False, env=_env())
    assert r.returncode == 2
    assert "Traceback" not in r.stderr + r.stdout
    assert "broken.net" in r.stderr
    assert run("simulate", str(tmp_path / "missing.net")).exit_code == 2
    assert run("simulate", str(tmp_path / "x.xyz")).exit_code == 2


# ---------------------------------------------------------------------------------- --out
@pytest.mark.parametrize("command", ["simulate", "demo"])
def test_out_that_is_a_file_is_refused_before_computing(command: str, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    def must_not_run(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("computed although --out is unusable")

    monkeypatch.setattr("gasunion.simulation.simulate", must_not_run)
    monkeypatch.setattr("gasunion.io.read", must_not_run)
    monkeypatch.setattr("gasunion.datasets.central_asia", must_not_run)
    afile = tmp_path / "results.txt"
    afile.write_text("keep me")
    args = [command, *([NET40, "-s", SCN40] if command == "simulate" else [])]
    for out in (afile, afile / "sub"):
        r = run(*args, "--out", str(out))
        assert r.exit_code == 2, r.output
        assert "--out" in r.stderr and "Traceback" not in r.output
        doc = as_json(run(*args, "--out", str(out), "--json"))
        assert doc["error"]["kind"] == "bad_output"
    assert afile.read_text() == "keep me"


# ------------------------------------------------------------------------------- validate
def test_validate_errors_before_warnings_with_counts(tmp_path: Path) -> None:
    net = gu.Network("mixed")
    net.add("junctions", ["a", "b", "c"])
    net.add("sources", "s", junction="a", p_set_bar=50.0)
    net.add("sinks", ["d", "e"], junction=["b", "c"], mass_flow_kg_s=[5.0, float("nan")])
    net.add("pipes", ["p", "q"], from_junction=["a", "b"], to_junction=["b", "c"],
            length_km=[10.0, -1.0], diameter_mm=300.0)
    path = tmp_path / "mixed.json"
    gu.write(net, path)
    report = net.validate()
    assert report.errors and report.warnings  # the case this test is about
    r = run("validate", str(path))
    assert r.exit_code == 2
    kinds = [ln.split(":")[0] for ln in r.stdout.splitlines() if ln.startswith(("error:", "warning:"))]
    assert kinds == ["error"] * len(report.errors) + ["warning"] * len(report.warnings)
    assert "1 error, 1 warning" in r.stdout
    doc = as_json(run("validate", str(path), "--json"))
    assert (doc["n_errors"], doc["n_warnings"]) == (1, 1)
    assert doc["error"]["diagnosis"][0]["element"] == "q"
    # a valid network with warnings: exit 0, the counts
    r = run("validate", NET40)
    assert r.exit_code == 0 and "0 errors, 31 warnings" in r.stdout


def test_info_validate_convert(tmp_path: Path) -> None:
    r = run("info", NET40)
    assert r.exit_code == 0 and "pipes" in r.output and "39" in r.output
    assert_fits(r.stdout)
    r = run("validate", NET40, "-s", SCN40)
    assert r.exit_code == 0 and "valid" in r.output
    target = tmp_path / "g40.json"
    r = run("convert", NET40, str(target))
    assert r.exit_code == 0 and target.exists()
    r = run("convert", str(target), str(tmp_path / "g40.geojson"))
    assert r.exit_code == 0
    geo = json.loads((tmp_path / "g40.geojson").read_text())
    assert geo["type"] == "FeatureCollection"


# ---------------------------------------------------------------- version, help, failures
def test_version_and_help() -> None:
    r = run("--version")
    assert r.exit_code == 0 and r.stdout.strip() == f"gasunion {gu.__version__}"
    for command in COMMANDS:
        r = run(command, "--help")
        assert r.exit_code == 0
        assert "<bool>" not in r.stdout and "--no-json" not in r.stdout
        assert "--json" in r.stdout
        assert_fits(r.stdout)


@pytest.mark.parametrize("output", ["text", "json"])
def test_missing_dependency_one_line_verbatim(output: str, monkeypatch: pytest.MonkeyPatch) -> None:
    def needs_coolprop(*args: Any, **kwargs: Any) -> None:
        raise gu.MissingDependencyError("CoolProp", "coolprop", "z='gerg2008'")

    monkeypatch.setattr("gasunion.simulation.simulate", needs_coolprop)
    r = run("simulate", MATGAS40, "--z", "gerg2008", *(["--json"] if output == "json" else []))
    assert r.exit_code == 2
    if output == "json":
        err = as_json(r)["error"]
        assert err["kind"] == "missing_dependency"
        assert "pip install 'gasunion[coolprop]'" in err["message"]
        return
    assert "Traceback" not in r.output
    lines = r.stderr.strip().splitlines()
    # wrapped at spaces to 80 columns, but the command stays whole on one line (copyable),
    # its brackets not eaten as markup
    assert all(len(line) <= 80 for line in lines)
    assert any("pip install 'gasunion[coolprop]'" in line for line in lines), lines


def test_warnings_go_to_stderr_as_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    import warnings

    import gasunion.simulation as sim

    real = sim.simulate

    def warns(*args: Any, **kwargs: Any) -> Any:
        warnings.warn("papay: temperature outside the validity range", gu.ValidityRangeWarning,
                      stacklevel=2)
        return real(*args, **kwargs)

    monkeypatch.setattr("gasunion.simulation.simulate", warns)
    r = run("simulate", MATGAS40, "--json")
    assert r.exit_code == 0 and as_json(r)["ok"] is True  # stdout: the JSON document only
    assert r.stderr.strip() == "warning: papay: temperature outside the validity range"


@pytest.mark.parametrize(("error", "code"), [
    (ModuleNotFoundError("No module named 'CoolProp'", name="CoolProp"), 2),  # not installed
    (ImportError("cannot import name 'x' from 'gasunion.simulation'"), 1),  # a defect
])
def test_import_errors(error: ImportError, code: int, monkeypatch: pytest.MonkeyPatch) -> None:
    def fails(*args: Any, **kwargs: Any) -> None:
        raise error

    monkeypatch.setattr("gasunion.simulation.simulate", fails)
    r = run("simulate", MATGAS40, "--json")
    assert r.exit_code == code
    assert as_json(r)["error"]["kind"] == ("missing_dependency" if code == 2 else "internal")


@pytest.mark.parametrize("output", ["text", "json"])
def test_unexpected_exception_is_an_internal_error(output: str,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    def defect(*args: Any, **kwargs: Any) -> None:
        raise ZeroDivisionError("float division by zero [in the kernel]")

    monkeypatch.setattr("gasunion.simulation.simulate", defect)
    r = run("simulate", MATGAS40, *(["--json"] if output == "json" else []))
    assert r.exit_code == 1
    assert "Traceback" not in r.output
    if output == "json":
        err = as_json(r)["error"]
        assert err["kind"] == "internal" and "ZeroDivisionError" in err["message"]
        return
    first, *rest = r.stderr.strip().splitlines()
    assert first == "internal error: ZeroDivisionError: float division by zero [in the kernel]"
    assert "report" in " ".join(rest)


# ----------------------------------------------------------------------------------- demo
def test_demo_runs(tmp_path: Path) -> None:
    """The main job on the embedded Central Asia network: the ledger, report tables and files
    (the ledger's own checks: tests/cli/test_cli_demo.py)."""
    r = run("demo", "--out", str(tmp_path))
    assert r.exit_code == 0, r.output
    assert "Border ledger" in r.stdout and "Corridor utilisation" in r.stdout
    for name in ("junctions.csv", "pipes.csv", "compressors.csv", "border_flows.csv",
                 "corridors.csv", "key_pressures.csv", "summary.json", "network.geojson",
                 "network.json", "ledger.csv", "countries.csv", "map.png"):
        assert (tmp_path / name).exists(), name
    # the written network simulates from the command line to the same state
    r2 = run("simulate", str(tmp_path / "network.json"), "--friction", "colebrook", "--json")
    assert r2.exit_code == 0, r2.output
    assert as_json(r2)["summary"]["converged"] is True
    bf = pd.read_csv(tmp_path / "border_flows.csv").set_index("border_point")
    # Russian gas to Uzbekistan through Kazakhstan: 1.28 bcm in 2023 (flows.csv, TASS_2024_07)
    assert bf.at["BRD_KZ_RU_CAC", "flow_bcm_y"] == pytest.approx(1.28, rel=0.10)
    r = run("demo", "--scenario", "nope")
    assert r.exit_code == 2 and "unknown scenario" in r.stderr


def test_demo_fits_80_columns_with_readable_names() -> None:
    r = run("demo", "--scenario", "union")
    assert r.exit_code == 0, r.output
    out = r.stdout
    assert_fits(out)
    assert "bar(a)" in out
    # names, not ids (a long name may wrap inside its cell: its first word is checked)
    assert "Khorgos" in out and "BRD_KZ_CN_KHORGOS" not in out
    assert "Central Asia-China lines" in out and "CAGP_A_KZ2" not in out
    # an unknown capacity means an unknown use: never "n/a" capacity next to a percentage
    assert not re.search(r"n/a\s+\d+ %", out), out
    assert "–" not in out
    ids = run("demo", "--scenario", "union", "--ids")
    assert "BRD_KZ_CN_KHORGOS" in ids.stdout
    assert_fits(ids.stdout)


def test_demo_json() -> None:
    r = run("demo", "--json")
    assert r.exit_code == 0
    doc = as_json(r)
    assert doc["ok"] is True and doc["scenario"] == "2023"
    assert doc["summary"]["converged"] is True
    points = {row["border_point"]: row for row in doc["border_flows"]}
    assert points["BRD_KZ_RU_CAC"]["flow_bcm_y"] == pytest.approx(1.28, rel=0.10)
    for row in doc["corridors"] + doc["border_flows"]:  # capacity unknown <=> use unknown
        assert (row["capacity_bcm_y"] is None) == (row["utilisation"] is None)


# -------------------------------------------------------------------------------- start-up
def _env() -> dict[str, str]:
    import os

    return {**os.environ, "COLUMNS": "80"}


def test_start_up_imports_no_pandas() -> None:
    """`gasunion --help` must stay fast: the package and the CLI import neither pandas nor
    numpy (timing itself is measured in benchmarks, not here)."""
    code = ("import sys, gasunion, gasunion.cli; "
            "print(sorted(m for m in ('pandas', 'numpy', 'scipy') if m in sys.modules))")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert r.stdout.strip() == "[]"


def test_lazy_public_names() -> None:
    for name in ("read", "simulate", "write", "Network", "GasProperties", "SimulationError",
                 "SimulationResult", "InputFileError", "NetworkError", "NetworkValidationError",
                 "GasunionError", "GasunionWarning", "MissingDependencyError",
                 "ValidityRangeWarning"):
        assert getattr(gu, name) is not None
    assert {"Simulator", "sweep", "SweepResult", "__version__"} <= set(gu.__all__) <= set(dir(gu))
    with pytest.raises(AttributeError):
        _ = gu.no_such_name  # type: ignore[attr-defined]


def test_convert_to_gaslib_round_trips(tmp_path: Path) -> None:
    """convert .net -> .net (+ .scn): simulating the written files gives the original's
    pressures (same network, GasLib units written exactly)."""
    target = tmp_path / "g40.net"
    r = run("convert", NET40, str(target), "-s", SCN40)
    assert r.exit_code == 0, r.output
    assert target.exists() and target.with_suffix(".scn").exists()
    a = gu.simulate(gu.read(NET40, scenario=SCN40)).junctions["p_bar"]
    b = gu.simulate(gu.read(target, scenario=target.with_suffix(".scn"))).junctions["p_bar"]
    pd.testing.assert_series_equal(a, b.reindex(a.index), rtol=1e-9, check_names=False)


def test_option_errors_name_the_subcommand_in_json() -> None:
    """A usage error under --json names the command as typed, subcommand included."""
    for argv, command in ((["optimize", "transport", "--bogus"], "optimize transport"),
                          (["admin", "create-party", "--bogus"], "admin create-party"),
                          (["simulate", "--bogus"], "simulate")):
        r = run(*argv, "--json")
        assert r.exit_code == 2, r.output
        doc = json.loads(r.stdout)
        assert doc["command"] == command and doc["error"]["kind"] == "bad_option", doc


def test_every_help_text_is_whole_at_80_columns() -> None:
    """No command's --help cuts a word with an ellipsis at 80 columns (Rich shortens a token
    that does not fit its column)."""
    commands = [*COMMANDS, "sweep", "match", "serve", "admin", "admin create-party",
                "admin create-token", "admin verify-audit", "game", "game solve",
                "game network", "optimize", "optimize transport", "optimize ogf",
                "optimize operate", "optimize expansion", "optimize shed", "optimize security"]
    for command in commands:
        r = run(*command.split(), "--help")
        assert r.exit_code == 0, (command, r.output)
        cut = [line for line in r.stdout.splitlines() if "\u2026" in line]
        assert not cut, (command, cut)


def test_max_iter_bounds_every_iteration() -> None:
    """--max-iter N allows N iterations in all, the linearised start-up solves included, and
    the message counts them (GasLib-40 needs more than 1 and 2 to converge)."""
    for n in (1, 2):
        r = run("simulate", MATGAS40, "--max-iter", str(n), "--json")
        assert r.exit_code == 1, r.output
        doc = as_json(r)
        assert doc["summary"]["iterations"] == n, doc["summary"]
        assert f"after {n} iteration{'s' if n > 1 else ''} " in doc["error"]["message"]
