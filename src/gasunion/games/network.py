"""The characteristic function of a network game: what each coalition achieves with its own
assets.

Players are parties (owners of pipes, compressors, storages, fields and markets) or
countries. The value of a coalition S is the welfare of the transport problem
(:mod:`gasunion.optimize.transport`, ``objective="welfare"``: value of served gas - supply
costs - fees) restricted to the assets S may use, minus the welfare the outsiders achieve
alone (so that v(empty) = 0)::

    v(S) = W(assets of S + open assets) - W(open assets)

A coalition that cannot reach a market keeps what it makes at home (its stand-alone value).
Co-owned assets (joint ventures) follow ``joint="all"`` (usable only when all their owners
among the players are in S) or ``joint="share"`` (capacity x the coalition's share);
outsiders' assets are open to all (``others="open"``) or to nobody (``"closed"``). See
``docs/games.md``.

All 2^n values come from one LP (bounds changed per coalition, HiGHS hot start, Gray-code
order), a cache of identical restrictions, and a split of coalitions whose members use
disconnected parts of the network (v(S) = v(S1) + v(S2)); ``workers`` > 1 solves in
processes (or on a Dask ``client``).

Example::

    from gasunion.games.network import network_game
    g = network_game(net, players="country", joint="all")
    g.values[0b011]          # v({player 0, player 1}) per year
    g.table()                # coalition, members, value
    g.game()                 # gasunion.games.tu.Game for shapley(), nucleolus(), core()
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from gasunion.games._network_assets import (
    JOINT_RULES,
    OTHERS_RULES,
    Ownership,
    check_members,
    network_players,
    ownership,
)
from gasunion.games._network_solve import (
    CoalitionLP,
    gray_order,
    solve_masks,
    solve_parallel,
    split_groups,
)
from gasunion.games.tu import GameError
from gasunion.network import Network
from gasunion.optimize.periods import Periods

__all__ = ["MAX_PLAYERS", "NetworkGame", "coalition_value", "network_game"]

#: 2^20 coalitions is the most this module will enumerate.
MAX_PLAYERS = 20


@dataclass
class NetworkGame:
    """The values of all coalitions of a network game.

    ``values[mask]`` = v(S) [currency per year], bit i of ``mask`` = ``players[i]``.
    ``stats``: coalitions solved, cached, split; timings. ``assumptions``: the rules used.
    """

    players: list[str]
    values: np.ndarray
    joint: str
    others: str
    objective: str
    unit: str
    stats: dict[str, Any] = field(default_factory=dict)
    assumptions: list[str] = field(default_factory=list)
    welfare_empty: float = 0.0

    @property
    def n(self) -> int:
        return len(self.players)

    def value(self, members: Sequence[str]) -> float:
        """v(S) of the coalition of these players."""
        mask = 0
        for p in members:
            mask |= 1 << self.players.index(p)
        return float(self.values[mask])

    def standalone(self) -> pd.Series:
        """v({i}) per player."""
        return pd.Series([self.values[1 << i] for i in range(self.n)], index=self.players,
                         name="standalone")

    def table(self) -> pd.DataFrame:
        """One row per coalition: mask, members (``+``-joined), size, value."""
        masks = np.arange(len(self.values))
        bits = (masks[:, None] >> np.arange(self.n)[None, :]) & 1
        names = np.array(self.players, dtype=object)
        members = ["+".join(names[b.astype(bool)]) for b in bits]
        return pd.DataFrame({"mask": masks, "members": members, "size": bits.sum(axis=1),
                             "value": self.values})

    def game(self) -> Any:
        """The TU game (:class:`gasunion.games.tu.Game`)."""
        from gasunion.games.tu import Game

        return Game(list(self.players), np.asarray(self.values, dtype=float))


def _prepare(net: Network, periods: Periods | int | None, players: Any,
             members: Sequence[str] | None, party_country: Mapping[str, str] | None,
             parents: pd.DataFrame | None, options: dict[str, Any]
             ) -> tuple[CoalitionLP, Ownership]:
    # the players first (a clear error for a network without them or an unknown member),
    # then the LP
    found = network_players(net, players, party_country, parents)
    chosen = check_members(list(members), found) if members is not None else found
    if len(chosen) > MAX_PLAYERS:
        raise GameError(f"{len(chosen)} players ({', '.join(chosen[:8])}, ...): at most "
                        f"{MAX_PLAYERS} (2^n coalitions); choose some as members")
    lp = CoalitionLP(net, periods, options)
    own = ownership(net, lp.d, players, list(members) if members is not None else None,
                    party_country, parents)
    return lp, own


def _check(joint: str, others: str, objective: str) -> None:
    if joint not in JOINT_RULES:
        raise ValueError(f"joint must be one of {JOINT_RULES}, got {joint!r}")
    if others not in OTHERS_RULES:
        raise ValueError(f"others must be one of {OTHERS_RULES}, got {others!r}")
    if objective != "welfare":
        raise ValueError(f"objective must be 'welfare' (set prices as sink value_per_kg and "
                         f"source cost_per_kg), got {objective!r}")


def network_game(net: Network, players: str | Mapping[str, Any] = "country", *,
                 members: Sequence[str] | None = None, joint: str = "all",
                 others: str = "open", objective: str = "welfare",
                 periods: Periods | int | None = None,
                 party_country: Mapping[str, str] | None = None,
                 parents: pd.DataFrame | None = None, decompose: bool = True,
                 workers: int = 1, client: Any = None,
                 progress: Callable[[int, int], None] | None = None,
                 **lp_options: Any) -> NetworkGame:
    """All 2^n coalition values of the network game on ``net``.

    ``players``: ``"country"``, ``"party"`` or a mapping party -> player (or -> {player:
    share}); ``members``: the players (others are outsiders; checked first:
    :class:`~gasunion.games._network_assets.UnknownPlayersError` names unknown ones, and
    :class:`~gasunion.games._network_assets.NoPlayersError` the columns to fill when the
    network has no owned assets, or none with a country); ``party_country``: a party's
    country (default: the element's country); ``parents``: party, parent, share rows to roll
    parties up to their top-level owners (``players="party"``). ``joint``: ``"all"`` or
    ``"share"``; ``others``: ``"open"`` or ``"closed"``. ``objective``: ``"welfare"`` (prices
    from the network: sinks' ``value_per_kg``, sources' ``cost_per_kg``, branches'
    ``fee_per_kg``; sinks without a value get the transport problem's default value of lost
    load by priority -- penalty units, stated in the assumptions). ``periods``: as in
    :func:`gasunion.optimize.transport.transport`; values are per year (horizon scaled to
    8760 h). ``decompose``: split coalitions using disconnected parts of the network.
    ``workers``/``client``: processes or a Dask client for the LP solves. ``progress(done,
    total)`` is called as coalitions are solved. ``lp_options``: ``friction``, ``z``,
    ``pipe_capacity``, ``fuel_share_default``, ``storage_cyclic``, ``flow_cost_per_kg``.
    """
    _check(joint, others, objective)
    t0 = time.perf_counter()
    lp, own = _prepare(net, periods, players, members, party_country, parents, lp_options)
    n = len(own.players)
    t_build = time.perf_counter() - t0
    N = 1 << n
    n_nodes = len(lp.d.nodes)
    w_empty = lp.welfare(own.availability(np.array([0]), joint, others)[0])
    solve_for: dict[bytes, int] = {}      # restriction -> the mask that solves it
    same: dict[int, int] = {0: 0}         # mask -> mask with the same restriction
    parts: dict[int, list[int]] = {}      # mask -> groups
    empty_key = None
    for start in range(0, N, 4096):
        chunk = np.arange(start, min(N, start + 4096), dtype=np.int64)
        av = own.availability(chunk, joint, others)
        for j, mm in enumerate(chunk.tolist()):
            m = int(mm)
            if m == 0:
                empty_key = np.round(av[j], 12).tobytes()
                solve_for[empty_key] = 0
                continue
            if decompose:
                g = split_groups(m, av[j], own, n_nodes)
                if len(g) > 1:
                    parts[m] = g
                    continue
            key = np.round(av[j], 12).tobytes()
            if key in solve_for:
                same[m] = solve_for[key]
            else:
                solve_for[key] = m
                same[m] = m
    todo = gray_order(np.array([m for m in solve_for.values() if m != 0], dtype=np.int64))
    t_plan = time.perf_counter() - t0 - t_build
    if workers > 1 or client is not None:
        w = solve_parallel(net, periods, dict(lp_options), own, todo, joint, others,
                           max(1, workers), client)
        if progress is not None:
            progress(len(todo), len(todo))
    else:
        w = solve_masks(lp, own, todo, joint, others, progress)
    w[0] = w_empty
    values = np.zeros(N)
    for k in range(1, N):
        if k in parts:
            values[k] = sum(values[g] for g in parts[k])
        else:
            values[k] = w[same[k]] - w_empty
    del empty_key
    t_total = time.perf_counter() - t0
    assumptions = [
        f"v(S) = W(S) - W(empty): W the transport welfare (value of served gas - supply costs "
        f"- fees) per year with S's assets; joint={joint!r}; others={others!r}",
        "minimum flows and minimum supplies dropped: a coalition may leave any asset idle",
        "junction ownership ignored: nodes carry no capacity",
    ]
    if own.unassigned:
        k = len(own.unassigned)
        eg = ", ".join(f"{c} {e!r}" for c, e in own.unassigned[:3])
        why = "no country: " if players == "country" else ""
        assumptions.append(f"{k} owned asset{'s' if k > 1 else ''} with no player ({why}e.g. "
                           f"{eg}) count{'' if k > 1 else 's'} as the outsiders' ({others})")
    if lp.defaulted:
        assumptions.append("sinks without value_per_kg: the transport problem's default value "
                           "of lost load by priority (penalty units, not money)")
    stats = {"coalitions": N, "lp_solves": len(todo) + 1, "split": len(parts),
             "cached": N - 1 - len(parts) - len(todo), "build_time_s": t_build,
             "plan_time_s": t_plan, "total_time_s": t_total, "workers": workers,
             "n_variables": lp.hl.n_variables, "n_constraints": lp.hl.n_constraints}
    unit = ("value units per year (default priority values)" if lp.defaulted
            else "currency per year")
    return NetworkGame(own.players, values, joint, others, objective, unit, stats,
                       assumptions, welfare_empty=w_empty)


def coalition_value(net: Network, coalition: Sequence[str],
                    players: str | Mapping[str, Any] = "country", *,
                    members: Sequence[str] | None = None, joint: str = "all",
                    others: str = "open", periods: Periods | int | None = None,
                    party_country: Mapping[str, str] | None = None,
                    parents: pd.DataFrame | None = None, **lp_options: Any) -> float:
    """v(S) of one coalition the naive way: a fresh LP for S and one for the empty
    coalition (the reference for tests and the benchmark)."""
    _check(joint, others, "welfare")
    lp, own = _prepare(net, periods, players, members, party_country, parents, lp_options)
    mask = 0
    for p in coalition:
        mask |= 1 << own.players.index(p)
    a = own.availability(np.array([mask, 0]), joint, others)
    w_s = lp.welfare(a[0])
    lp0, _ = _prepare(net, periods, players, members, party_country, parents, lp_options)
    return w_s - lp0.welfare(a[1])
