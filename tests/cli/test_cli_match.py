"""``gasunion match``: the output columns, --json, exit 2 with line numbers for bad rows.
Reference values: the hand-worked lesser-rule case of tests/operations/test_matching.py."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
from typer.testing import CliRunner

from gasunion.cli import app

runner = CliRunner()
HEADER = "gas_day,ip,tso,counter_tso,shipper,counter_shipper,direction,quantity_kwh\n"
GOOD = (HEADER + "2024-01-01,IP1,A,B,A1,B1,exit,12000000\n"
        "2024-01-01,IP1,B,A,B1,A1,entry,11500000\n"
        "2024-01-01,IP1,A,B,A3,B3,exit,1000000\n")
OUTPUT = ["gas_day", "ip", "tso", "counter_tso", "shipper", "counter_shipper", "direction",
          "nominated_kwh", "counter_nominated_kwh", "confirmed_kwh", "reason"]


def run(*args: str) -> Any:
    return runner.invoke(app, list(args), env={"COLUMNS": "80"})


def test_match_writes_the_confirmations(tmp_path: Path) -> None:
    noms, out = tmp_path / "n.csv", tmp_path / "confirmed.csv"
    noms.write_text(GOOD)
    r = run("match", str(noms), "--out", str(out))
    assert r.exit_code == 0, r.output
    res = pd.read_csv(out)
    assert list(res.columns) == OUTPUT
    assert res["confirmed_kwh"].tolist() == [11.5e6, 11.5e6, 0.0]
    assert res["reason"].tolist() == ["lesser rule: reduced from 12000000", "matched",
                                      "no counter-nomination"]
    r = run("match", str(noms), "--rule", "initiating", "--out", str(out))
    assert r.exit_code == 0 and pd.read_csv(out)["confirmed_kwh"].tolist()[:2] == [12e6, 12e6]


def test_match_json_and_capacity(tmp_path: Path) -> None:
    noms, cap = tmp_path / "n.csv", tmp_path / "cap.csv"
    noms.write_text(GOOD)
    cap.write_text("ip,direction,capacity_kwh\nIP1,exit,5750000\n")
    r = run("match", str(noms), "--capacity", str(cap), "--json")
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    assert doc["ok"] is True and doc["counts"]["no_counter_nomination"] == 1
    rows = doc["confirmed"]
    assert [row["confirmed_kwh"] for row in rows] == [5.75e6, 5.75e6, 0.0]
    assert rows[1]["reason"] == "capacity: reduced pro rata"
    assert rows[2]["counter_nominated_kwh"] is None


def test_bad_rows_exit_2_with_line_numbers(tmp_path: Path) -> None:
    noms = tmp_path / "n.csv"
    noms.write_text(GOOD + "2024-01-01,IP1,A,B,A2,B2,sideways,5\n"
                    "2024-01-01,IP1,A,B,A2,B2,exit,-1\n"
                    "2024-01-01,IP1,A,B,A1,B1,exit,3\n")
    r = run("match", str(noms), "--json")
    assert r.exit_code == 2
    doc = json.loads(r.stdout)
    assert doc["ok"] is False and doc["error"]["kind"] == "bad_input"
    lines = {row["line"] for row in doc["error"]["diagnosis"]}
    assert lines == {2, 5, 6, 7}  # 2 and 7 share a key
    r = run("match", str(noms))
    assert r.exit_code == 2 and "sideways" in r.stderr


def test_bad_options_and_files(tmp_path: Path) -> None:
    noms = tmp_path / "n.csv"
    noms.write_text(GOOD)
    assert run("match", str(noms), "--rule", "greater").exit_code == 2
    assert run("match", str(tmp_path / "missing.csv")).exit_code == 2
    assert run("match", str(noms), "--out", str(tmp_path)).exit_code == 2
    (tmp_path / "h.csv").write_text("gas_day,ip\n2024-01-01,IP1\n")
    r = run("match", str(tmp_path / "h.csv"), "--json")
    assert r.exit_code == 2 and "missing column" in r.stdout


def test_files_that_are_not_csv_text_exit_2_with_the_line(tmp_path: Path) -> None:
    """An empty file, an unclosed quote, a row with too many fields and a byte that is not
    UTF-8 are bad input (exit 2, the line named), not an internal error."""
    cases = {
        "empty.csv": (b"", 1, "empty"),
        "quote.csv": ((HEADER + '2024-01-01,IP1,A,B,A1,B1,exit,"12\n').encode(), 2,
                      "quoted field is not closed"),
        "fields.csv": ((HEADER + "2024-01-01,IP1,A,B,A1,B1,exit,12\n"
                        "2024-01-01,IP1,B,A,B1,A1,entry,11,9,9\n").encode(), 3,
                       "Expected 8 fields in line 3"),
        "latin1.csv": ((HEADER + "2024-01-01,IP1,A,B,A1,B1,exit,12\n").encode()
                       + "2024-01-01,IP1,B,A,B1,Å1,entry,11\n".encode("latin-1"), 3, "UTF-8"),
    }
    for name, (data, line, words) in cases.items():
        f = tmp_path / name
        f.write_bytes(data)
        r = run("match", str(f), "--json")
        assert r.exit_code == 2, (name, r.output)
        doc = json.loads(r.stdout)
        assert doc["error"]["kind"] == "bad_input" and name in doc["error"]["message"]
        (row,) = doc["error"]["diagnosis"]
        assert row["line"] == line and words in row["problem"], (name, row)
