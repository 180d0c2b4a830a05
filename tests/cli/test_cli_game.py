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


# the game of docs/games.md ("Files: Game.from_json ...")
DOC_GAME = {"players": ["A", "B", "C"],
            "values": {"A": 0, "B": 0, "C": 0, "A+B": 90, "A+C": 80, "B+C": 70, "A+B+C": 120}}


def test_documented_game(tmp_path: Path) -> None:
    """The 3-player game of docs/games.md, by hand.

    Core: x_A + x_B >= 90, x_A + x_C >= 80, x_B + x_C >= 70 add up to 2 x(N) >= 240 =
    2 v(N), so all three bind: x_C = 120 - 90 = 30, x_B = 120 - 80 = 40, x_A = 50. The core
    is the single point (50, 40, 30), so it is also the nucleolus and the prenucleolus.
    Least core (min eps s.t. x(S) >= v(S) - eps for every proper S, x(N) = v(N)): adding
    the three pair constraints gives 240 >= 240 - 3 eps, so eps >= 0, and eps = 0 is
    attained at (50, 40, 30) (the singletons ask x_i >= 0): epsilon 0, not -27.5.
    Shapley: A's marginal contributions over the 6 orders are 0, 0 (first), 90 (after B),
    80 (after C), 50, 50 (last: 120 - 70): 270 / 6 = 45; B: (90 + 70 + 2 x 40) / 6 = 40;
    C: (80 + 70 + 2 x 30) / 6 = 35. Nash over the stand-alone values 0: 120 / 3 = 40 each.
    """
    r = run("solve", str(write(tmp_path, DOC_GAME)), "--json")
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    assert doc["least_core_epsilon"] == 0.0 and doc["core_empty"] is False
    for key in ("core_point", "nucleolus", "prenucleolus"):
        assert doc[key] == pytest.approx({"A": 50, "B": 40, "C": 30}, abs=1e-9)
    assert doc["shapley"] == pytest.approx({"A": 45, "B": 40, "C": 35}, abs=1e-9)
    assert doc["nash_bargaining"] == pytest.approx({"A": 40, "B": 40, "C": 40})
    text = (Path(__file__).resolve().parents[2] / "docs" / "games.md").read_text()
    assert '"least_core_epsilon": 0.0' in text and "-27.5" not in text
    plain = run("solve", str(write(tmp_path, DOC_GAME)))
    assert "least-core epsilon 0" in plain.stdout and "non-empty but thin" in plain.stdout


@pytest.mark.parametrize("args", [("--samples", "1"), ("--bogus",), ()])
def test_option_errors_name_the_command(tmp_path: Path, args: tuple[str, ...]) -> None:
    """A usage error (bad value, unknown option, missing GAME.json) of `game solve`: one JSON
    document with "command": "game solve", exit 2."""
    path = [] if not args else [str(write(tmp_path, TALMUD))]
    r = run("solve", *path, *args, "--json")
    assert r.exit_code == 2, r.output
    doc = json.loads(r.stdout)
    assert doc["ok"] is False and doc["command"] == "game solve"
    assert doc["error"]["kind"] == "bad_option"
    unknown = run("nosuch", "--json")  # no such command: the group reports
    assert unknown.exit_code == 2 and json.loads(unknown.stdout)["command"] == "game"


LONG = ["Kazakhstan QazaqGaz national operator", "Russia Gazprom",
        "Uzbekistan Uztransgaz JSC", "Turkmenistan", "China CNPC Trans-Asia Gas Pipeline"]
BASE = [1.2e9, 3.4e8, 9.8e8, 5.1e8, 2.2e8]


def additive(names: list[str], base: list[float]) -> dict[str, Any]:
    """v(S) = sum of the members' own values: every concept gives each player its own."""
    values = {}
    for m in range(1, 1 << len(names)):
        members = [i for i in range(len(names)) if m >> i & 1]
        values["+".join(names[i] for i in members)] = sum(base[i] for i in members)
    return {"players": names, "values": values}


def words_whole(text: str, names: list[str]) -> bool:
    tokens = set(text.split())
    return all(w in tokens for name in names for w in name.split())


def test_long_names_and_large_values_fit_80_columns(tmp_path: Path) -> None:
    """The reviewer's case: names of 12-37 characters, values around 1e9. Additive game: every
    concept pays each player its stand-alone value, so each row reads the player's value in
    millions (1.2e9 -> 1200) in all six columns; the total is 3.25e9 -> 3250."""
    r = run("solve", str(write(tmp_path, additive(LONG, BASE))))
    assert r.exit_code == 0, r.output
    lines = r.stdout.splitlines()
    assert max(len(line) for line in lines) <= 80
    assert "…" not in r.stdout and "values in millions" in r.stdout
    assert words_whole(r.stdout, LONG)  # names wrap at spaces only
    header = next(line for line in lines if line.startswith("player"))
    assert "Shapley" in header and "nucleolus" in header
    kz = next(line for line in lines if line.startswith("Kazakhstan"))
    assert kz.split()[-6:] == ["1200"] * 6
    total = next(line for line in lines if line.startswith("total"))
    assert total.split()[1:] == ["3250"] * 6
    assert "v(N) = 3250 million" in r.stdout


@pytest.mark.parametrize("columns", [80, 60, 40])
def test_narrow_terminals_keep_numbers_and_words(tmp_path: Path, columns: int) -> None:
    """Narrower: labels P1.. with a legend (60), one block per player (40); never a cut
    number or a broken word."""
    doc = additive(LONG, BASE)
    r = runner.invoke(app, ["game", "solve", str(write(tmp_path, doc))],
                      env={"COLUMNS": str(columns)})
    assert r.exit_code == 0, r.output
    assert max(len(line) for line in r.stdout.splitlines()) <= columns
    assert "…" not in r.stdout and words_whole(r.stdout, LONG)
    assert "1200" in r.stdout.split() and "3250" in r.stdout.split()
    if columns == 60:
        assert "P1 Kazakhstan QazaqGaz national operator" in r.stdout
    if columns == 40:
        assert any(line.strip().startswith("stand-alone") for line in r.stdout.splitlines())


def test_name_with_a_word_too_long_gets_a_label(tmp_path: Path) -> None:
    names = ["Kazakhstan_QazaqGaz_national_operator_of_the_main_pipelines", "RU"]
    r = run("solve", str(write(tmp_path, additive(names, [1.0, 2.0]))))
    assert r.exit_code == 0, r.output
    assert max(len(line) for line in r.stdout.splitlines()) <= 80
    assert f"P1 {names[0]}" in r.stdout and "P2 RU" in r.stdout


def test_number_format() -> None:
    """One scale per table (the largest value below 1e5 in it), 6 significant digits of the
    largest value, no -0.0."""
    from gasunion.cli.game import NumberFormat

    f = NumberFormat.of([95_820_680.4, -300.0])
    assert f.factor == 1e3 and f(95_820_680.4) == "95820.7" and f(-300.0) == "-0.3"
    assert f(-3.0) == "0.0" and f(-0.0) == "0.0" and f(None) == "–" and f(float("nan")) == "–"
    assert f.unit("currency per year") == "thousand currency per year"
    assert NumberFormat.of([2.5e10]).unit("million USD per year") == "trillion USD per year"
    assert NumberFormat.of([2.5e7]).unit("million USD per year") == "billion USD per year"
    assert NumberFormat.of([1.2e9]).exact(1.2e9) == "1200 million"
    assert NumberFormat.of([120.0])(45.0) == "45.000" and NumberFormat.of([0.0])(0.0) == "0.0"
    assert NumberFormat.of([1.0]).exact(-0.0) == "0"
