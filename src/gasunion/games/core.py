"""The core and the least core of a TU game; whether an allocation is in the core.

The *core* (Gillies 1959) is the set of efficient allocations that no coalition can improve
on alone::

    C(v) = {x : x(N) = v(N), x(S) >= v(S) for every S ⊆ N}.

It may be empty (Bondareva 1963, Shapley 1967: it is non-empty iff the game is balanced).
The *least core* (Maschler, Peleg & Shapley 1979) relaxes every proper coalition's demand by
the smallest uniform amount ``ε`` for which the relaxed set is non-empty::

    ε* = min { ε : exists x, x(N) = v(N), x(S) >= v(S) - ε for all ∅ ≠ S ≠ N }.

The core is empty iff ``ε* > 0``; ``ε* < 0`` means the core has interior points (every
proper coalition gets at least ``|ε*|`` more than its worth). ``ε*`` is the first level of
the sequential LP of the prenucleolus, and the prenucleolus lies in the least core (and in
the core, where it equals the nucleolus, whenever the core is non-empty), so :func:`core`
takes its point from there: a canonical point rather than an arbitrary LP vertex.
Amounts are in the unit of ``v``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from gasunion.games.nucleolus import sequential_lp
from gasunion.games.tu import Game, popcount

__all__ = ["CoreResult", "core", "in_core"]

_TOL = 1e-9  #: relative to max |v|: smaller violations or epsilons count as zero


@dataclass(frozen=True)
class CoreResult:
    """The core in brief: whether it is ``empty``; a ``point`` in it (the nucleolus) or
    ``None``; the least-core ``least_core_epsilon`` (``ε*``, > 0 iff empty; 0 for one
    player by convention) and ``least_core_point`` (the prenucleolus, always in the least
    core)."""

    empty: bool
    point: pd.Series | None
    least_core_epsilon: float
    least_core_point: pd.Series


def _tol(game: Game) -> float:
    return _TOL * max(1.0, float(np.max(np.abs(game.values))))


def core(game: Game) -> CoreResult:
    """Emptiness of the core, a point in it, and the least core (``n <= 20``)."""
    x, levels = sequential_lp(game, imputations=False)
    eps = levels[0] if levels else 0.0
    tol = _tol(game)
    if abs(eps) <= tol:
        eps = 0.0
    pre = game.series(x, name="prenucleolus")
    empty = eps > 0.0
    point = None if empty else game.series(x, name="core_point")
    return CoreResult(empty=empty, point=point, least_core_epsilon=float(eps),
                      least_core_point=pre)


def in_core(game: Game, allocation: Any) -> tuple[bool, str | None, float]:
    """Whether ``allocation`` (a Series or mapping by player, or a sequence in player order)
    is in the core, the most blocking coalition and its excess ``v(S) - x(S)``.

    * in the core: ``(True, None, e)`` with ``e <= 0`` the largest excess (the margin by
      which the closest coalition is still satisfied; 0 when some coalition is exactly paid);
    * blocked: ``(False, "A+B", e)`` with ``e > 0`` the largest excess over all coalitions
      (the grand coalition too: an allocation paying out less than ``v(N)`` is blocked by
      ``N``); ties go to the smaller coalition, then to the lower bitmask;
    * over-distributing (``x(N) > v(N)``: not feasible): ``(False, None, v(N) - x(N))``.

    Differences within ``1e-9 * max |v|`` count as zero.
    """
    x = game.allocation(allocation)
    e = game.excess(x)
    tol = _tol(game)
    if e[game.full] < -tol:
        return False, None, float(e[game.full])
    masks = np.arange(1, game.full + 1, dtype=np.int64)
    ex = e[1:]
    top = float(ex.max())
    if top <= tol:
        return True, None, min(top, 0.0)
    near = masks[ex >= top - tol]
    sizes = popcount(near)
    pick = int(near[sizes == sizes.min()].min())
    return False, game.name(pick), top
