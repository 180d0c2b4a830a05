"""``gasunion game network``: the Central Asia union game by default, a network file, --json,
--out (values.csv, solution.csv) and exit 2 for a bad option."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
from typer.testing import CliRunner

import gasunion as gu
from gasunion.cli import app

runner = CliRunner()


def run(*args: str) -> Any:
    return runner.invoke(app, ["game", "network", *args], env={"COLUMNS": "80"})


def test_default_union_game() -> None:
    r = run()
    assert r.exit_code == 0, r.output
    assert "Shapley" in r.output and "nucleolus" in r.output
    for p in ("RU", "KZ", "UZ"):
        assert p in r.output


def test_json_and_out(tmp_path: Path) -> None:
    r = run("--members", "RU,KZ,UZ,TM", "--json", "--out", str(tmp_path))
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    assert doc["ok"] and doc["players"] == ["RU", "KZ", "UZ", "TM"]
    assert len(doc["values"]) == 15
    sol = doc["solution"]
    assert abs(sum(sol["shapley"].values()) - doc["values"]["RU+KZ+UZ+TM"]) < 1e-6
    v = pd.read_csv(tmp_path / "values.csv")
    assert len(v) == 16
    s = pd.read_csv(tmp_path / "solution.csv", index_col=0)
    assert {"standalone", "shapley", "shapley_gain", "nucleolus"} <= set(s.columns)


def test_network_file(chain: Callable[..., gu.Network], tmp_path: Path) -> None:
    path = tmp_path / "chain.json"
    gu.write(chain(), path)
    r = run(str(path), "--json")
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    assert doc["players"] == ["A", "B", "C"]


def test_bad_option() -> None:
    r = run("--joint", "half", "--json")
    assert r.exit_code == 2
    assert json.loads(r.stdout)["error"]["kind"] == "bad_option"
    assert run("--scenario", "1999").exit_code == 2
