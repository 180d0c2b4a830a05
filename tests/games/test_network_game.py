"""The characteristic function of network games: a three-country chain by hand, the
joint-venture rules on a toy network, the fast path against a fresh LP per coalition."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

import gasunion as gu
from gasunion.games import GameError
from gasunion.games._network_assets import (
    NoPlayersError,
    UnknownPlayersError,
    network_players,
)
from gasunion.games.network import coalition_value, network_game

DATA = Path(__file__).resolve().parents[1] / "data"

YEAR_S = 8760 * 3600.0  # values are per year: USD/s x seconds per year


def test_chain_by_hand(chain: Callable[..., gu.Network]) -> None:
    """By hand (USD per second; x 31.536e6 s per year):

    * v(A) = 4 kg/s x (0.15 - 0.10) = 0.2 (home only: the market is behind B and C);
      v(B) = v(C) = v(B, C) = 0 (no gas); v(A, B) = v(A, C) = 0.2 (still no route);
    * v(A, B, C) = 10 x (0.30 - 0.10) to C + 2 x (0.15 - 0.10) at home = 2.1 (the pipe
      b1-b2 carries 10 kg/s, the field's other 2 kg/s serve A's home).

    v = 0.2 u_A + 1.9 u_ABC: Shapley = nucleolus = (0.2 + 1.9/3, 1.9/3, 1.9/3)
    = (0.8333, 0.6333, 0.6333).
    """
    g = network_game(chain(), "country")
    assert g.players == ["A", "B", "C"]
    expect = np.array([0, 0.2, 0, 0.2, 0, 0.2, 0, 2.1]) * YEAR_S
    np.testing.assert_allclose(g.values, expect, rtol=1e-9, atol=1e-3)
    from gasunion.games.nucleolus import nucleolus
    from gasunion.games.shapley import shapley

    sh = shapley(g.game()) / YEAR_S
    np.testing.assert_allclose(sh.loc[["A", "B", "C"]], [0.2 + 1.9 / 3, 1.9 / 3, 1.9 / 3],
                               rtol=1e-9)
    nu = nucleolus(g.game()) / YEAR_S
    np.testing.assert_allclose(nu.loc[["A", "B", "C"]], sh.loc[["A", "B", "C"]], atol=1e-6)
    assert g.standalone()["A"] == pytest.approx(0.2 * YEAR_S)


def test_joint_venture_rules(chain: Callable[..., gu.Network]) -> None:
    """B's pipe owned 50/50 by B and A. joint="all": A and C cannot use it without B, so
    v(A, C) = 0.2. joint="share": A + C use A's half (5 kg/s) to C: 5 x 0.2 + 4 x 0.05 =
    1.2. The grand coalition gets 2.1 either way; B alone has nothing."""
    allg = network_game(chain(jv=True), "country", joint="all")
    share = network_game(chain(jv=True), "country", joint="share")
    assert allg.value(["A", "C"]) == pytest.approx(0.2 * YEAR_S)
    assert share.value(["A", "C"]) == pytest.approx(1.2 * YEAR_S)
    for g in (allg, share):
        assert g.value(["A", "B", "C"]) == pytest.approx(2.1 * YEAR_S)
        assert g.value(["B"]) == pytest.approx(0.0, abs=1e-3)
    assert coalition_value(chain(jv=True), ["A", "C"], joint="share") == pytest.approx(
        1.2 * YEAR_S)


def test_outsiders_open_and_closed(chain: Callable[..., gu.Network]) -> None:
    """Without C as a player, C's pipe and market are open to all: v(A, B) = 2.1 - 0 (the
    outsiders alone make nothing); closed, A + B cannot reach the market."""
    g = network_game(chain(), "country", members=["A", "B"])
    assert g.value(["A", "B"]) == pytest.approx(2.1 * YEAR_S)
    c = network_game(chain(), "country", members=["A", "B"], others="closed")
    assert c.value(["A", "B"]) == pytest.approx(0.2 * YEAR_S)


def test_party_players_and_parallel_agree(chain: Callable[..., gu.Network]) -> None:
    net = chain(jv=True)
    g = network_game(net, "party", joint="share")
    assert g.players == ["PA", "PB", "PC"]
    p = network_game(net, "party", joint="share", workers=2)
    np.testing.assert_allclose(p.values, g.values, rtol=1e-9, atol=1e-3)
    calls: list[tuple[int, int]] = []
    network_game(net, "party", decompose=False, progress=lambda d, t: calls.append((d, t)))
    assert calls and calls[-1][0] == calls[-1][1]


def test_bad_options(chain: Callable[..., gu.Network]) -> None:
    with pytest.raises(ValueError, match="joint"):
        network_game(chain(), joint="half")
    with pytest.raises(ValueError, match="others"):
        network_game(chain(), others="sometimes")


def test_central_asia_union_game() -> None:
    """The dataset's union game: RU alone cannot reach Uzbekistan (v = 0 under joint="all"),
    the grand coalition is worth more than the members alone, and the fair fees are per
    transit country."""
    from gasunion.games._network_ca import central_asia_game, union_table

    g = central_asia_game("2023")
    assert g.players == ["RU", "KZ", "UZ"]
    assert g.value(["RU"]) == pytest.approx(0.0, abs=1e-6)
    assert g.values[-1] > g.standalone().sum()
    t = union_table(g)
    assert t["shapley"].sum() == pytest.approx(g.values[-1])
    assert t["fair_fee_usd_kcm"].notna().sum() >= 1


def _clear(net: gu.Network, column: str) -> gu.Network:
    for table in ("junctions", "sources", "sinks", "pipes"):
        net[table][column] = ""
    return net


@pytest.mark.parametrize("players", ["country", "party"])
def test_no_owned_assets_names_the_columns_to_fill(players: str) -> None:
    """GasLib files carry no owners: no player, a GameError (not pandas' 'No objects to
    concatenate') naming the owner column and the ownership table."""
    net = gu.read(DATA / "gaslib" / "GasLib-40" / "GasLib-40.net")
    with pytest.raises(NoPlayersError, match="no owned assets") as info:
        network_game(net, players)
    assert isinstance(info.value, GameError)
    text = str(info.value)
    assert "`owner` column" in text and "`ownership` table" in text
    assert ("`country`" in text) == (players == "country")


def test_countries_without_owners(chain: Callable[..., gu.Network]) -> None:
    """Countries alone make no player: the message says that the owner is missing."""
    with pytest.raises(NoPlayersError, match="have a `country`, but no source") as info:
        network_players(_clear(chain(), "owner"), "country")
    assert "set the `owner` column" in str(info.value)
    net = chain()
    for table in ("sources", "sinks", "pipes"):  # the junctions keep their owners
        net[table]["owner"] = ""
    with pytest.raises(NoPlayersError, match="owners of junctions do not count"):
        network_players(net, "party")


def test_owners_without_country(chain: Callable[..., gu.Network]) -> None:
    """Owners but no country: the message names the missing country (not the owner), the
    owners and owned elements; the same network plays with party players."""
    net = _clear(chain(), "country")
    with pytest.raises(NoPlayersError) as info:
        network_game(net, "country")
    text = str(info.value)
    assert text.startswith("no country for the owned assets")
    assert "set the `country` column" in text and "'PA', 'PB', 'PC'" in text
    assert "sources 'field'" in text and "set the `owner`" not in text
    assert network_players(net, "party") == ["PA", "PB", "PC"]


def test_unknown_members_are_refused_before_the_lp(chain: Callable[..., gu.Network],
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    import gasunion.games.network as gn

    def no_lp(*args: object, **kwargs: object) -> None:
        raise AssertionError("the LP was built")

    monkeypatch.setattr(gn, "CoalitionLP", no_lp)
    with pytest.raises(UnknownPlayersError) as info:
        network_game(chain(), "country", members=["A", "XX", "YY"])
    assert info.value.unknown == ["XX", "YY"] and info.value.known == ["A", "B", "C"]
    assert "'XX', 'YY'" in str(info.value) and "A, B, C" in str(info.value)
    with pytest.raises(GameError, match="'A' given twice"):
        network_game(chain(), "country", members=["A", "A"])
    with pytest.raises(GameError, match="no player given"):
        network_game(chain(), "country", members=[])


def test_more_than_20_players_is_a_game_error() -> None:
    """21 countries with a field each: refused before the LP, as bad input."""
    net = gu.Network("many")
    net.add("junctions", "j")
    names = [f"S{i:02d}" for i in range(21)]
    net.add("sources", names, junction="j", mass_flow_max_kg_s=1.0, owner=names,
            country=names)
    with pytest.raises(GameError, match=r"21 players .* at most 20"):
        network_game(net, "country")


def test_owned_asset_without_country_is_open(chain: Callable[..., gu.Network]) -> None:
    """B's pipe owned by PX with no country (PX owns nothing else): no player B; the pipe is
    the outsiders', open to all. By hand (per second): v(A) = 4 x 0.05 = 0.2 (C's pipe
    and market are C's), v(C) = 0, v(A, C) = 10 x 0.20 + 2 x 0.05 = 2.1."""
    net = chain()
    net["junctions"]["owner"] = ""
    net["pipes"].loc["bb", ["owner", "country"]] = ["PX", ""]
    g = network_game(net, "country")
    assert g.players == ["A", "C"]
    np.testing.assert_allclose(g.values, np.array([0, 0.2, 0, 2.1]) * YEAR_S, rtol=1e-9,
                               atol=1e-3)
    assert any("pipes 'bb'" in a and "outsiders'" in a for a in g.assumptions)
