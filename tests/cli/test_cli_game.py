"""``gasunion game solve GAME.json``: JSON on every outcome, exit codes, the 80-column table.

Oracles: the Talmud estate of 200 with claims 100, 200, 300 (Aumann & Maschler 1985, J. Econ.
Theory 36:195-213: nucleolus (50, 75, 75)); the 3-player majority game (empty core,
least-core epsilon 1/3: the three pair constraints add up to 2 >= 3 (1 - eps)).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from gasunion.cli import app
from gasunion.cli.game import game_app

runner = CliRunner()

TALMUD = {"players": ["c100", "c200", "c300"],
          "values": {"c100": 0, "c200": 0, "c300": 0, "c100+c200": 0, "c100+c300": 0,
                     "c300+c200": 100, "c100+c200+c300": 200}}
MAJORITY = {"players": ["A", "B", "C"],
            "values": {"A": 0, "B": 0, "C": 0, "A+B": 1, "A+C": 1, "B+C": 1, "A+B+C": 1}}


def write(tmp_path: Path, doc: Any, name: str = "game.json") -> Path:
    p = tmp_path / name
    p.write_text(doc if isinstance(doc, str) else json.dumps(doc), encoding="utf-8")
    return p


def run(*args: str) -> Any:
    return runner.invoke(app, ["game", *args], env={"COLUMNS": "80"})


def test_sub_app_is_shared() -> None:
    assert any(c.name == "solve" for c in game_app.registered_commands)


def test_solve_json_talmud(tmp_path: Path) -> None:
    r = run("solve", str(write(tmp_path, TALMUD)), "--json")
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    assert doc["ok"] is True and doc["command"] == "game solve"
    assert doc["nucleolus"] == pytest.approx({"c100": 50, "c200": 75, "c300": 75})
    assert doc["prenucleolus"] == pytest.approx({"c100": 50, "c200": 75, "c300": 75})
    assert doc["core_empty"] is False and doc["least_core_epsilon"] <= 0
    assert doc["core_point"] == pytest.approx(doc["nucleolus"])
    assert sum(doc["shapley"].values()) == pytest.approx(200)
    assert doc["shapley_method"] == "exact" and doc["shapley_ci"] is None
    assert {"shapley", "nucleolus", "prenucleolus", "core_empty", "least_core_epsilon",
            "core_point"} <= set(doc)


def test_solve_json_empty_core(tmp_path: Path) -> None:
    r = run("solve", str(write(tmp_path, MAJORITY)), "--json")
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    assert doc["core_empty"] is True and doc["core_point"] is None
    assert doc["least_core_epsilon"] == pytest.approx(1 / 3)
    assert doc["shapley"] == pytest.approx({"A": 1 / 3, "B": 1 / 3, "C": 1 / 3})


def test_solve_table_fits_80_columns(tmp_path: Path) -> None:
    doc = {"players": ["Russia", "Kazakhstan", "Uzbekistan", "Turkmenistan"], "values": {}}
    names = doc["players"]
    for m in range(1, 16):
        members = [p for i, p in enumerate(names) if m >> i & 1]
        doc["values"]["+".join(members)] = 10.0 * len(members) ** 2 + 3 * ("Russia" in members)
    r = run("solve", str(write(tmp_path, doc)))
    assert r.exit_code == 0, r.output
    lines = r.stdout.splitlines()
    assert max(len(line) for line in lines) <= 80
    assert any("Turkmenistan" in line for line in lines) and "nucleolus" in r.stdout
    assert "core: non-empty" in r.stdout


def test_sampled_shapley_for_16_players(tmp_path: Path) -> None:
    players = [f"p{i}" for i in range(16)]
    values = {}
    for m in range(1, 1 << 16):
        members = [p for i, p in enumerate(players) if m >> i & 1]
        values["+".join(members)] = 2.0 * len(members) + 10.0 * ("p0" in members)
    r = run("solve", str(write(tmp_path, {"players": players, "values": values})), "--json",
            "--samples", "200")
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    assert doc["shapley_method"] == "sampled" and len(doc["shapley_ci"]) == 16
    # additive: every order gives p0 its 12 and the others 2, with zero-width intervals
    assert doc["shapley"] == pytest.approx({p: 12.0 if p == "p0" else 2.0 for p in players})
    assert doc["shapley_ci"]["p5"] == pytest.approx([2.0, 2.0])
    assert doc["nucleolus"] == pytest.approx(doc["shapley"])
    assert any("sampled" in note for note in doc["notes"])


@pytest.mark.parametrize("doc, field", [
    ("{\"players\": [\"A\"", "not valid JSON"),
    ({"players": ["A", "A"], "values": {}}, "players: duplicate players 'A'"),
    ({"players": ["A", "B"], "values": {"A": 0, "B": "zero", "A+B": 1}}, 'values["B"]'),
    ({"players": ["A", "B"], "values": {"A": 0, "A+B": 1}}, 'missing: "B"'),
    ({"players": ["A", "B"], "values": {"A": 0, "B": 0, "A+X": 1}}, "unknown player 'X'"),
    ({"players": [f"p{i}" for i in range(21)], "values": {}}, "players: 21 players"),
    ({"values": {}}, "players: missing"),
    ([1, 2], "top level must be an object"),
])
def test_bad_input_exit_2_names_file_and_field(tmp_path: Path, doc: Any, field: str) -> None:
    path = write(tmp_path, doc)
    r = run("solve", str(path), "--json")
    assert r.exit_code == 2, r.output
    out = json.loads(r.stdout)
    assert out["ok"] is False and out["command"] == "game solve"
    assert out["error"]["kind"] == "bad_input"
    assert str(path) in out["error"]["message"] and field in out["error"]["message"]
    plain = run("solve", str(path))
    assert plain.exit_code == 2 and "Traceback" not in plain.output
    assert field in plain.output


def test_missing_file_exit_2(tmp_path: Path) -> None:
    r = run("solve", str(tmp_path / "nope.json"), "--json")
    assert r.exit_code == 2 and "no such file" in json.loads(r.stdout)["error"]["message"]


def test_empty_imputation_set_is_a_note(tmp_path: Path) -> None:
    doc = {"players": ["A", "B"], "values": {"A": 5, "B": 5, "A+B": 8}}
    r = run("solve", str(write(tmp_path, doc)), "--json")
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    assert out["nucleolus"] is None and out["nash_bargaining"] is None
    assert out["prenucleolus"] == pytest.approx({"A": 4, "B": 4})
    assert any("imputation set is empty" in note for note in out["notes"])
