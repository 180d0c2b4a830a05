"""``gasunion game network``: the Central Asia union game by default, a network file, --json,
--out (values.csv, solution.csv), exit 2 for a bad option, a network without players or an
unknown member (before any coalition is computed), the table in 80 columns."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from typer.testing import CliRunner

import gasunion as gu
from gasunion.cli import app

runner = CliRunner()
DATA = Path(__file__).resolve().parents[1] / "data"
YEAR_S = 8760 * 3600.0


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


def no_lp(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail the test if a coalition LP is built (the checks come before any computation)."""
    import gasunion.games.network as gn

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("a coalition LP was built")

    monkeypatch.setattr(gn, "CoalitionLP", refuse)


def _bare(chain: Callable[..., gu.Network], tmp_path: Path) -> Path:
    net = chain()
    for table in ("junctions", "sources", "sinks", "pipes"):
        net[table]["owner"] = ""
        net[table]["country"] = ""
    path = tmp_path / "bare.json"
    gu.write(net, path)
    return path


@pytest.mark.parametrize("players", ["country", "party"])
@pytest.mark.parametrize("which", ["gaslib", "matgas", "own"])
def test_network_without_owners_is_bad_input(which: str, players: str, tmp_path: Path,
                                             chain: Callable[..., gu.Network],
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """GasLib-40, matgas case-6 and an own-format network without owners or countries: exit 2
    naming the file and the columns to set (was: internal error 'No objects to
    concatenate')."""
    no_lp(monkeypatch)
    args = {"gaslib": [str(DATA / "gaslib" / "GasLib-40" / "GasLib-40.net"), "--scenario",
                       str(DATA / "gaslib" / "GasLib-40" / "GasLib-40.scn")],
            "matgas": [str(DATA / "matgas" / "case-6.m")],
            "own": [str(_bare(chain, tmp_path))]}[which]
    r = run(*args, "--players", players, "--json")
    assert r.exit_code == 2, r.output
    err = json.loads(r.stdout)["error"]
    assert err["kind"] == "bad_input"
    assert err["message"].startswith(f"{args[0]}: no owned assets")
    assert "`owner` column" in err["message"] and "`ownership` table" in err["message"]
    plain = run(*args, "--players", players)
    assert plain.exit_code == 2
    assert "internal error" not in plain.output and "Traceback" not in plain.output


def test_owners_without_country_says_country(chain: Callable[..., gu.Network],
                                             tmp_path: Path) -> None:
    """Owners but no country: the message names the missing country column and the owners,
    not the owner column; with --players party the same file plays."""
    net = chain()
    for table in ("junctions", "sources", "sinks", "pipes"):
        net[table]["country"] = ""
    path = tmp_path / "owners.json"
    gu.write(net, path)
    r = run(str(path), "--json")
    assert r.exit_code == 2, r.output
    msg = json.loads(r.stdout)["error"]["message"]
    assert "no country for the owned assets" in msg and "set the `country` column" in msg
    assert "set the `owner` column" not in msg and "--players party" in msg
    ok = run(str(path), "--players", "party", "--json")
    assert ok.exit_code == 0 and json.loads(ok.stdout)["players"] == ["PA", "PB", "PC"]


def test_unknown_member_is_refused_before_computation(monkeypatch: pytest.MonkeyPatch,
                                                      chain: Callable[..., gu.Network],
                                                      tmp_path: Path) -> None:
    no_lp(monkeypatch)
    r = run("--members", "RU,XX", "--json")
    assert r.exit_code == 2, r.output
    doc = json.loads(r.stdout)
    assert doc["ok"] is False and doc["command"] == "game network"
    err = doc["error"]
    assert err["kind"] == "bad_option" and "'XX'" in err["message"]
    assert all(p in err["message"] for p in ("RU", "KZ", "UZ", "TM", "CN"))
    path = tmp_path / "chain.json"
    gu.write(chain(), path)
    r = run(str(path), "--members", "A,Q,Z")
    assert r.exit_code == 2
    assert "unknown players 'Q', 'Z'" in r.output and "A, B, C" in r.output
    for bad in ("RU,RU", ","):
        r = run("--members", bad, "--json")
        assert r.exit_code == 2 and json.loads(r.stdout)["error"]["kind"] == "bad_option"


def test_option_error_names_the_command() -> None:
    r = run("--bogus", "--json")
    assert r.exit_code == 2
    doc = json.loads(r.stdout)
    assert doc["command"] == "game network" and doc["error"]["kind"] == "bad_option"


def test_large_values_and_long_names_fit_80_columns(chain: Callable[..., gu.Network],
                                                    tmp_path: Path) -> None:
    """The chain game (tests/games/test_network_game.py, by hand): v = 0.2 u_A + 1.9 u_ABC
    per second, x 31.536e6 s per year: v(N) = 66 225 600, Shapley = nucleolus = Nash =
    (0.2 + 1.9/3, 1.9/3, 1.9/3) x 31.536e6 = (26 280 000, 19 972 800, 19 972 800), gains
    (19 972 800 each); shown in thousands. Long owner names as players (party)."""
    names = {"PA": "Kazakhstan QazaqGaz national operator", "PB": "Uzbekistan Uztransgaz JSC",
             "PC": "China CNPC Trans-Asia Gas Pipeline"}
    net = chain()
    for table in ("junctions", "sources", "sinks", "pipes"):
        net[table]["owner"] = net[table]["owner"].replace(names)
    path = tmp_path / "long.json"
    gu.write(net, path)
    r = run(str(path), "--players", "party")
    assert r.exit_code == 0, r.output
    lines = r.stdout.splitlines()
    assert max(len(line) for line in lines) <= 80 and "…" not in r.stdout
    assert "thousand currency per year" in r.stdout
    tokens = set(r.stdout.split())
    assert all(w in tokens for name in names.values() for w in name.split())
    header = next(line for line in lines if line.startswith("player"))
    assert header.split() == ["player", "alone", "Shapley", "gain", "nucleolus", "gain",
                              "Nash", "gain"]
    kz = next(line for line in lines if line.startswith("Kazakhstan"))
    a = kz.split()[-7:]
    assert [float(x) for x in a] == pytest.approx(
        [6307.2, 26280, 19972.8, 26280, 19972.8, 26280, 19972.8], abs=1)
    assert f"{(0.2 + 1.9 / 3) * YEAR_S / 1e3:.0f}" in kz  # 26280


def test_gains_show_no_negative_zero() -> None:
    """joint="share" of the union game: a gain that rounds to zero prints as 0.0 (it printed
    -0.0), also in the JSON."""
    r = run("--joint", "share")
    assert r.exit_code == 0, r.output
    assert "-0.0" not in r.stdout and not any(t == "-0" for t in r.stdout.split())
    j = run("--joint", "share", "--json")
    assert "-0.0" not in j.stdout


def test_more_than_20_players_is_refused(tmp_path: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """21 countries with a field each: exit 2 before any LP, pointing at --members; with 2
    of them as members the game is played (each field alone: v = 0, nothing to sell)."""
    net = gu.Network("many")
    net.add("junctions", "j")
    names = [f"S{i:02d}" for i in range(21)]
    net.add("sources", names, junction="j", mass_flow_max_kg_s=1.0, owner=names,
            country=names)
    path = tmp_path / "many.json"
    gu.write(net, path)
    with monkeypatch.context() as m:
        no_lp(m)
        r = run(str(path), "--json")
    assert r.exit_code == 2, r.output
    err = json.loads(r.stdout)["error"]
    assert err["kind"] == "bad_option" and "21 players" in err["message"]
    assert "at most 20" in err["message"] and "--members" in err["message"]
    ok = run(str(path), "--members", "S00,S01", "--json")
    assert ok.exit_code == 0, ok.output
    assert json.loads(ok.stdout)["values"] == {"S00": 0.0, "S01": 0.0, "S00+S01": 0.0}
