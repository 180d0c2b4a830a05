"""Solution concepts of TU games against published games (each test names its source).

Oracles:

* Aumann & Maschler (1985), "Game theoretic analysis of a bankruptcy problem from the
  Talmud", J. Econ. Theory 36(2):195-213: estates 100, 200, 300 with claims 100, 200, 300 are
  divided (33 1/3, 33 1/3, 33 1/3), (50, 75, 75), (50, 100, 150); their theorem: this is the
  nucleolus of the bankruptcy game ``v(S) = max(0, E - sum of the claims outside S)``.
* The glove game (one left glove, two right gloves) of the Wikipedia article "Shapley value"
  (section "Glove game"): Shapley value 2/3 to the left-glove owner, 1/6 to each other.
* Littlechild & Owen (1973), "A simple expression for the Shapley value in a special case",
  Management Science 20(3):370-372: the Shapley value of an airport game
  ``c(S) = max_{i in S} c_i`` charges each runway segment equally to the players that use it.
  Its numbers: Aumann (2010), "Some non-superadditive games, and their Shapley values, in the
  Talmud", Int. J. Game Theory 39(1):3-10 — Ibn Ezra's division of an estate of 120 among
  claims 120, 60, 40, 30 (``v(S) = max claim in S``) is the Shapley value
  (80 5/6, 20 5/6, 10 5/6, 7 1/2).
* Peleg & Sudhölter (2007), "Introduction to the Theory of Cooperative Games", 2nd ed.,
  Springer, Example 5.5.12, p. 96 (as reproduced in the documentation of the R package
  CoopGame 0.2.2, ``prenucleolus()``): v(12) = 10, v(N) = 2, else 0 has prenucleolus
  (3, 3, -4), which is not the nucleolus.
* The R package CoopGame 0.2.2 (Staudacher & Anwander), documentation of ``nucleolus()`` and
  ``prenucleolus()``: a 4-player game with (pre)nucleolus (3.5, 4.5, 5.5, 7.5).
* Shapley & Shubik (1954), "A method for evaluating the distribution of power in a committee
  system", Am. Polit. Sci. Rev. 48(3):787-792, applied to today's UN Security Council (15
  members, 9 votes including the 5 permanent ones): a non-permanent member is pivotal in
  C(9,3) 8! 6! of the 15! orders = 4/2145, a permanent member gets 421/2145.
"""

from __future__ import annotations

import importlib
import json
from itertools import combinations
from math import comb, factorial
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from gasunion.games import (
    Game,
    GameError,
    core,
    gain_game,
    in_core,
    nash_bargaining,
    nash_bargaining_game,
    nucleolus,
    prenucleolus,
    shapley,
    shapley_sampled,
)


def bankruptcy(estate: float, claims: list[float]) -> Game:
    d = np.asarray(claims, float)
    n = len(d)
    B = (np.arange(1 << n)[:, None] >> np.arange(n)) & 1
    return Game([f"c{int(c)}" for c in d], np.maximum(0.0, estate - (1 - B) @ d))


def airport(costs: list[float]) -> Game:
    c = np.asarray(costs, float)
    n = len(c)
    B = ((np.arange(1 << n)[:, None] >> np.arange(n)) & 1).astype(bool)
    return Game([f"p{i}" for i in range(n)], np.where(B, c, 0.0).max(axis=1))


def sequential_equal_sharing(costs: list[float]) -> np.ndarray:
    """Littlechild & Owen (1973): segment k (between the k-th and (k+1)-th smallest cost) is
    shared equally by the players needing at least that much runway."""
    c = np.asarray(costs, float)
    order = np.argsort(c)
    levels = np.r_[0.0, c[order]]
    share = np.cumsum(np.diff(levels) / (len(c) - np.arange(len(c))))
    out = np.empty(len(c))
    out[order] = share
    return out


def coopgame_vector(players: str, vector: list[float]) -> Game:
    """CoopGame's order: coalitions by size, then lexicographically."""
    n = len(players)
    vals = np.zeros(1 << n)
    order = [c for k in range(1, n + 1) for c in combinations(range(n), k)]
    for c, x in zip(order, vector, strict=True):
        vals[sum(1 << i for i in c)] = x
    return Game(list(players), vals)


GLOVE = Game.from_dict(["L", "R1", "R2"], {"L": 0, "R1": 0, "R2": 0, "L+R1": 1, "R2+L": 1,
                                           "R1+R2": 0, "L+R1+R2": 1})


# ----------------------------------------------------------------------------- Talmud
@pytest.mark.parametrize("estate, talmud", [
    (100, [100 / 3, 100 / 3, 100 / 3]), (200, [50, 75, 75]), (300, [50, 100, 150])])
def test_talmud_estates_are_the_nucleolus(estate: float, talmud: list[float]) -> None:
    """Aumann & Maschler (1985), Table 1 / Section 1: claims 100, 200, 300."""
    g = bankruptcy(estate, [100, 200, 300])
    np.testing.assert_allclose(nucleolus(g), talmud, atol=1e-7)
    np.testing.assert_allclose(prenucleolus(g), talmud, atol=1e-7)
    c = core(g)  # bankruptcy games are convex: the core is non-empty
    assert not c.empty and c.point is not None
    np.testing.assert_allclose(c.point, talmud, atol=1e-7)


# ------------------------------------------------------------------------------ gloves
def test_glove_game() -> None:
    """Wikipedia, "Shapley value", section "Glove game": (2/3, 1/6, 1/6). The core is the
    single point (1, 0, 0): x_L + x_Ri >= 1 and x_L + x_R1 + x_R2 = 1 force x_Ri <= 0, and
    x_Ri >= v({Ri}) = 0; so the nucleolus (in the core) is (1, 0, 0) and epsilon* = 0."""
    np.testing.assert_allclose(shapley(GLOVE), [2 / 3, 1 / 6, 1 / 6], atol=1e-12)
    np.testing.assert_allclose(nucleolus(GLOVE), [1, 0, 0], atol=1e-8)
    c = core(GLOVE)
    assert not c.empty and c.least_core_epsilon == 0.0
    np.testing.assert_allclose(c.point, [1, 0, 0], atol=1e-8)
    assert in_core(GLOVE, {"L": 1, "R1": 0, "R2": 0})[0]
    ok, blocker, excess = in_core(GLOVE, [0.5, 0.25, 0.25])
    assert (ok, blocker, excess) == (False, "L+R1", pytest.approx(0.25))  # tie with L+R2


def test_glove_market_with_many_traders() -> None:
    """The scarce side takes all (the core of a glove market with 2 left and 3 right gloves
    is {(1, 1, 0, 0, 0)}; same argument as above), a degenerate game with many ties."""
    g = Game.from_function(["L1", "L2", "R1", "R2", "R3"], lambda s: min(
        sum(p.startswith("L") for p in s), sum(p.startswith("R") for p in s)))
    np.testing.assert_allclose(nucleolus(g), [1, 1, 0, 0, 0], atol=1e-8)
    assert core(g).least_core_epsilon == 0.0


# ---------------------------------------------------------------------------- airports
def test_ibn_ezra_airport_game() -> None:
    """Aumann (2010), Ibn Ezra's estate of 120 with claims 120, 60, 40, 30:
    (80 5/6, 20 5/6, 10 5/6, 7 1/2) = the Shapley value of v(S) = max claim in S, i.e. the
    airport game of Littlechild & Owen (1973)."""
    np.testing.assert_allclose(shapley(airport([120, 60, 40, 30])),
                               [80 + 5 / 6, 20 + 5 / 6, 10 + 5 / 6, 7.5], atol=1e-10)


def test_airport_shapley_is_sequential_equal_sharing() -> None:
    """Littlechild & Owen (1973) on a 12-aircraft-class airport (costs in million USD)."""
    costs = [3.0, 7.5, 7.5, 12.0, 1.0, 20.0, 9.0, 4.5, 15.0, 2.0, 11.0, 6.0]
    np.testing.assert_allclose(shapley(airport(costs)), sequential_equal_sharing(costs),
                               atol=1e-10)


def test_sampled_shapley_covers_the_exact_value_for_18_players() -> None:
    """Littlechild & Owen's formula gives the exact value where enumeration is refused."""
    costs = list(np.linspace(1.0, 18.0, 18) ** 1.5)
    g = airport(costs)
    with pytest.raises(GameError, match="shapley_sampled"):
        shapley(g)
    df = shapley_sampled(g, samples=4000, seed=7, confidence=0.9999)
    exact = sequential_equal_sharing(costs)
    assert list(df.columns) == ["value", "ci_low", "ci_high"]
    assert df["value"].sum() == pytest.approx(g.grand_value, rel=1e-12)  # every order adds up
    assert np.all((df["ci_low"] <= exact) & (exact <= df["ci_high"]))
    quarter = shapley_sampled(g, samples=1000, seed=8, confidence=0.9999)  # width ~ 1/sqrt(N)
    ratio = (quarter["ci_high"] - quarter["ci_low"]) / (df["ci_high"] - df["ci_low"])
    assert np.all((ratio > 1.5) & (ratio < 2.7))


# ----------------------------------------------------------------------- empty cores
def test_majority_game_has_an_empty_core() -> None:
    """3-player majority game (v = 1 for 2 or 3 players): x_i + x_j >= 1 - eps for the three
    pairs adds up to 2 >= 3 (1 - eps), so eps* = 1/3, at (1/3, 1/3, 1/3) = nucleolus =
    Shapley value (symmetry)."""
    g = Game.from_function(["A", "B", "C"], lambda s: float(len(s) >= 2))
    c = core(g)
    assert c.empty and c.point is None
    assert c.least_core_epsilon == pytest.approx(1 / 3, abs=1e-9)
    for x in (shapley(g), nucleolus(g), prenucleolus(g), c.least_core_point):
        np.testing.assert_allclose(x, [1 / 3] * 3, atol=1e-8)
    ok, blocker, excess = in_core(g, [1 / 3] * 3)
    assert not ok and blocker == "A+B" and excess == pytest.approx(1 / 3)


def test_maschler_game_least_core() -> None:
    """CoopGame's ``maschlerGame`` c(0,0,0,60,60,60,72): pairs 60, all three 72; as above
    2 * 72 >= 3 (60 - eps) gives eps* = 12 and the point (24, 24, 24)."""
    g = coopgame_vector("123", [0, 0, 0, 60, 60, 60, 72])
    c = core(g)
    assert c.empty and c.least_core_epsilon == pytest.approx(12.0, abs=1e-7)
    np.testing.assert_allclose(nucleolus(g), [24, 24, 24], atol=1e-7)


# ------------------------------------------------------------------ textbook examples
def test_peleg_sudholter_example_5_5_12_prenucleolus_differs() -> None:
    """Peleg & Sudhölter (2007), Example 5.5.12, p. 96: prenucleolus (3, 3, -4). Over the
    imputations (x >= 0, sum 2) the largest excess 10 - x1 - x2 = 8 + x3 is least at x3 = 0,
    then symmetry: nucleolus (1, 1, 0)."""
    g = coopgame_vector("123", [0, 0, 0, 10, 0, 0, 2])
    np.testing.assert_allclose(prenucleolus(g), [3, 3, -4], atol=1e-8)
    np.testing.assert_allclose(nucleolus(g), [1, 1, 0], atol=1e-8)
    c = core(g)
    assert c.empty and c.least_core_epsilon == pytest.approx(4.0)


def test_coopgame_four_player_nucleolus() -> None:
    """CoopGame 0.2.2, ``nucleolus()`` / ``prenucleolus()`` examples: (3.5, 4.5, 5.5, 7.5)."""
    g = coopgame_vector("1234", [0, 0, 0, 0, 5, 5, 8, 9, 10, 8, 13, 15, 16, 17, 21])
    np.testing.assert_allclose(nucleolus(g), [3.5, 4.5, 5.5, 7.5], atol=1e-8)
    np.testing.assert_allclose(prenucleolus(g), [3.5, 4.5, 5.5, 7.5], atol=1e-8)
    assert in_core(g, [3.5, 4.5, 5.5, 7.5])[0]


def test_un_security_council_shapley_shubik() -> None:
    """Shapley & Shubik (1954) index of the 15-member Security Council (n = 15: the largest
    exact case): 421/2145 per permanent, 4/2145 per non-permanent member."""
    assert comb(9, 3) * factorial(8) * factorial(6) * 2145 == 4 * factorial(15)
    w = np.array([7] * 5 + [1] * 10)
    B = (np.arange(1 << 15)[:, None] >> np.arange(15)) & 1
    g = Game([f"P{i}" for i in range(5)] + [f"E{i}" for i in range(10)],
             (B @ w >= 39).astype(float))
    phi = shapley(g)
    np.testing.assert_allclose(phi.iloc[:5], 421 / 2145, rtol=1e-12)
    np.testing.assert_allclose(phi.iloc[5:], 4 / 2145, rtol=1e-10)


def test_unanimity_game_is_shared_by_its_carrier() -> None:
    """u_T (1 if T ⊆ S): Shapley and nucleolus 1/|T| on T, 0 elsewhere (null players)."""
    g = Game.from_function(list("abcde"), lambda s: float({"a", "c", "d"} <= s))
    expected = [1 / 3, 0, 1 / 3, 1 / 3, 0]
    np.testing.assert_allclose(shapley(g), expected, atol=1e-12)
    np.testing.assert_allclose(nucleolus(g), expected, atol=1e-8)


def test_tight_coalitions_checked_by_lp_when_duals_are_not_used(monkeypatch) -> None:
    """The fallback (one LP per tight coalition) gives the same answers as the duals."""
    # the package re-exports the function ``nucleolus`` under the module's name
    monkeypatch.setattr(importlib.import_module("gasunion.games.nucleolus"), "_DUAL", np.inf)
    np.testing.assert_allclose(nucleolus(bankruptcy(200, [100, 200, 300])), [50, 75, 75],
                               atol=1e-7)
    np.testing.assert_allclose(nucleolus(GLOVE), [1, 0, 0], atol=1e-8)
    g = coopgame_vector("1234", [0, 0, 0, 0, 5, 5, 8, 9, 10, 8, 13, 15, 16, 17, 21])
    np.testing.assert_allclose(prenucleolus(g), [3.5, 4.5, 5.5, 7.5], atol=1e-8)


def test_nucleolus_needs_imputations() -> None:
    g = Game(["a", "b"], [0, 5, 5, 8])
    with pytest.raises(GameError, match="imputation set is empty"):
        nucleolus(g)
    np.testing.assert_allclose(prenucleolus(g), [4, 4])


def test_one_player() -> None:
    g = Game(["solo"], [0, 7.0])
    assert shapley(g).tolist() == [7.0] and nucleolus(g).tolist() == [7.0]
    c = core(g)
    assert not c.empty and c.least_core_epsilon == 0.0


# ------------------------------------------------------------------- Nash bargaining
def test_nash_bargaining_closed_form() -> None:
    """Nash (1950) TU: equal split of the surplus; Kalai (1977): split by bargaining power."""
    x = nash_bargaining(100.0, {"A": 10.0, "B": 20.0, "C": 40.0})
    assert x.to_dict() == pytest.approx({"A": 20.0, "B": 30.0, "C": 50.0})
    y = nash_bargaining(100.0, {"A": 10.0, "B": 20.0}, weights={"B": 3.0, "A": 1.0})
    assert y.to_dict() == pytest.approx({"A": 27.5, "B": 72.5})
    # the closed form maximises the Nash product: any feasible move lowers it
    d, w = np.array([10.0, 20.0]), np.array([1.0, 3.0])
    best = np.sum(w * np.log(y.to_numpy() - d))
    for shift in (-1.0, -0.1, 0.1, 1.0):
        assert np.sum(w * np.log(y.to_numpy() + np.array([shift, -shift]) - d)) < best
    with pytest.raises(GameError, match="no agreement"):
        nash_bargaining(10.0, [6.0, 6.0])
    with pytest.raises(GameError, match="positive"):
        nash_bargaining(10.0, [1.0, 1.0], [1.0, 0.0])


def test_two_player_nash_equals_shapley_and_nucleolus() -> None:
    g = Game(["RU", "KZ"], [0, 10.0, 4.0, 30.0])
    for x in (shapley(g), nucleolus(g), nash_bargaining_game(g)):
        np.testing.assert_allclose(x, [18.0, 12.0], atol=1e-9)


def test_gain_game_shifts_by_stand_alone_values() -> None:
    g = Game.from_function(["A", "B", "C"],
                           lambda s: {1: 5, 2: 40, 3: 90}[len(s)] + 3 * ("A" in s))
    gain = gain_game(g)
    assert np.all(gain.stand_alone == 0.0)
    alone = g.stand_alone
    pd.testing.assert_series_equal(shapley(g), shapley(gain) + alone, check_names=False)
    np.testing.assert_allclose(nucleolus(g), nucleolus(gain) + alone, atol=1e-8)


# --------------------------------------------------------------------------- parsing
def test_from_dict_and_lookup(tmp_path: Path) -> None:
    g = Game.from_dict(["A", "B"], {"A": 1, " B ": 2, "B + A": 5})
    assert g.value("A+B") == 5 and g.value(["B"]) == 2 and g.value(0) == 0
    assert g.to_dict() == {"A": 1.0, "B": 2.0, "A+B": 5.0}
    path = tmp_path / "g.json"
    path.write_text(json.dumps({"players": ["A", "B"], "values": g.to_dict(), "name": "x"}))
    assert Game.from_json(path) == g


@pytest.mark.parametrize("players, values, match", [
    (["A", "A"], {}, r"players: duplicate players 'A'"),
    (["A", "B"], {"A": 1, "B": "x", "A+B": 2}, r'values\["B"\]: must be a number'),
    (["A", "B"], {"A": 1, "B": True, "A+B": 2}, r'values\["B"\]: must be a number'),
    (["A", "B"], {"A": 1, "A+B": 2}, r'values: 1 of the 3 coalitions missing: "B"'),
    (["A", "B"], {"A": 1, "B": 1, "A+C": 2}, r"values\[\"A\+C\"\]: unknown player 'C'"),
    (["A", "B"], {"A": 1, "B": 1, "A+B": 2, "B+A": 3}, r"the same coalition"),
    (["A", "B"], {"A": 1, "B": 1, "A+A": 2}, r"named twice"),
    (["A", "B"], {"": 1, "A": 1, "B": 1, "A+B": 2}, r"empty coalition is worth 0"),
    (["A+B"], {}, r"cannot contain"),
])
def test_from_dict_errors(players: list[str], values: dict, match: str) -> None:
    with pytest.raises(GameError, match=match):
        Game.from_dict(players, values, source="g.json")


def test_from_json_errors(tmp_path: Path) -> None:
    p = tmp_path / "bad.json"
    p.write_text("{\"players\": [\"A\"], \"values\": {\"A\": 1, \"A\": 2}}")
    with pytest.raises(GameError, match=r"bad\.json: key \"A\" given twice"):
        Game.from_json(p)
    p.write_text("{\"players\": [\"A\"], ")
    with pytest.raises(GameError, match=r"bad\.json: not valid JSON"):
        Game.from_json(p)
    p.write_text(json.dumps({"players": [f"p{i}" for i in range(21)], "values": {}}))
    with pytest.raises(GameError, match=r"players: 21 players; at most 20"):
        Game.from_json(p, max_players=20)
    with pytest.raises(GameError, match="no such file"):
        Game.from_json(tmp_path / "missing.json")
