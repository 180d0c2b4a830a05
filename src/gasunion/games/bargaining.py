"""Nash bargaining over a transferable surplus, and the gain game of a union.

With transferable utility the feasible set is ``{x : sum_i x_i <= v(N)}`` and the
disagreement point ``d`` (e.g. the stand-alone values ``v({i})``). The (weighted) Nash
bargaining solution (Nash 1950, "The bargaining problem", Econometrica 18(2):155-162;
with bargaining powers ``w``: Kalai 1977, "Nonsymmetric Nash solutions and replications of
2-person bargaining", Int. J. Game Theory 6(3):129-133) maximises

    prod_i (x_i - d_i)^{w_i}   s.t.   sum_i x_i = v(N),  x_i >= d_i.

The first-order conditions ``w_i / (x_i - d_i) = λ`` give the closed form

    x_i = d_i + w_i / sum_j w_j * (v(N) - sum_j d_j),

equal shares of the surplus for equal weights. For two players with ``d_i = v({i})`` this is
the Shapley value and the nucleolus of the game as well. Amounts are in the unit of ``v``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from gasunion.games.tu import Game, GameError, coalition_sums

__all__ = ["gain_game", "nash_bargaining", "nash_bargaining_game"]


def _as_series(x: Mapping[str, float] | pd.Series | Sequence[float], what: str,
               index: list[str] | None = None) -> pd.Series:
    if isinstance(x, pd.Series):
        s = x.astype(float)
    elif isinstance(x, Mapping):
        s = pd.Series({str(k): float(v) for k, v in x.items()}, dtype=float)
    else:
        arr = np.asarray(x, dtype=float).reshape(-1)
        s = pd.Series(arr, index=index if index is not None and len(index) == arr.size
                      else list(range(arr.size)), dtype=float)
    if index is not None and set(s.index) != set(index):
        raise GameError(f"{what}: players {sorted(map(str, s.index))} differ from the "
                        f"disagreement point's {sorted(map(str, index))}")
    s = s.reindex(index) if index is not None else s
    if not np.all(np.isfinite(s.to_numpy())):
        raise GameError(f"{what}: every entry must be a finite number")
    return s


def nash_bargaining(total: float, disagreement: Mapping[str, float] | pd.Series |
                    Sequence[float], weights: Mapping[str, float] | pd.Series |
                    Sequence[float] | None = None) -> pd.Series:
    """The (weighted) Nash bargaining split of ``total`` (= ``v(N)``) given the disagreement
    payoffs ``d`` (by player; a plain sequence is indexed 0..n-1) and optional positive
    bargaining powers ``weights`` (same players; default equal).

    Raises :class:`GameError` if ``total < sum d`` (no agreement is better for everyone than
    disagreement) or a weight is not positive.
    """
    d = _as_series(disagreement, "disagreement")
    if len(d) == 0:
        raise GameError("disagreement: at least one player is needed")
    w = (pd.Series(1.0, index=d.index) if weights is None
         else _as_series(weights, "weights", list(d.index)))
    if not np.all(w.to_numpy() > 0):
        raise GameError("weights: bargaining powers must be positive")
    total = float(total)
    surplus = total - float(d.sum())
    if surplus < -1e-12 * max(1.0, abs(total)):
        raise GameError(f"total {total:g} < the disagreement payoffs' sum {d.sum():g}: no "
                        "agreement gives every party at least its disagreement payoff")
    x = d + w / w.sum() * max(surplus, 0.0)
    return x.rename("nash_bargaining")


def nash_bargaining_game(game: Game, weights: Mapping[str, float] | pd.Series |
                         Sequence[float] | None = None) -> pd.Series:
    """Nash bargaining over ``v(N)`` with the stand-alone values ``v({i})`` as the
    disagreement point (a sequence of weights is in player order)."""
    if weights is not None and not isinstance(weights, Mapping | pd.Series):
        weights = pd.Series(game.allocation(weights, "weights"), index=list(game.players))
    return nash_bargaining(game.grand_value, game.stand_alone, weights)


def gain_game(game: Game) -> Game:
    """The union's gain over stand-alone: ``g(S) = v(S) - sum_{i in S} v({i})``.

    ``g`` is strategically equivalent to ``v`` (``g({i}) = 0``), so the Shapley value and
    the (pre)nucleolus of ``v`` are those of ``g`` plus the stand-alone values.
    """
    return Game(game.players, game.values - coalition_sums(game.stand_alone.to_numpy()))
