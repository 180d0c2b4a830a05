"""The nucleolus and the prenucleolus, exactly, by the sequential LP method.

For a payoff vector ``x`` the *excess* of a coalition is ``e(S, x) = v(S) - x(S)``: how much
``S`` is short of what it could get alone (positive: ``S`` objects to ``x``). The
*prenucleolus* is the efficient vector (``x(N) = v(N)``) whose excesses, sorted in decreasing
order, are lexicographically smallest; the *nucleolus* (Schmeidler 1969, "The nucleolus of a
characteristic function game", SIAM J. Appl. Math. 17(6):1163-1170) is the same over the
imputations (also ``x_i >= v({i})``; it exists when ``sum_i v({i}) <= v(N)``). Both are
unique, lie in the core whenever the core is non-empty, and are covariant under strategic
equivalence (``a v + additive`` -> ``a x + additive``). Allocations are in the unit of ``v``.

Method (Maschler, Peleg & Shapley 1979, "Geometric properties of the kernel, nucleolus and
related solution concepts", Math. Oper. Res. 4(4):303-338): solve the LP

    min t  s.t.  x(S) + t >= v(S)  for the free coalitions S,
                 x(S) = v(S) - t_k  for the coalitions fixed in earlier rounds (and x(N) = v(N)),
                 [x_i >= v({i}) for the nucleolus],

then fix the coalitions whose excess equals ``t*`` in *every* optimum, and repeat with the rest.
Which coalitions those are is read from the duals: by complementary slackness a coalition
with a positive multiplier in an optimal dual solution is tight in every optimal primal
solution, and the multipliers of the free coalitions add up to 1, so every round fixes at
least one coalition. Coalitions whose incidence vector lies in the span of the fixed ones
have a constant excess from then on and leave the LP. Each round raises the rank of the fixed
set, so at most ``n - 1`` rounds are needed; the result solves the fixed equalities exactly.
Degenerate games (many ties, several optimal vertices) are handled by this rule: a coalition
tight at the solver's vertex but not in every optimum is not fixed, since its dual is 0 (a
coalition is accepted only when its dual is clearly positive *and* it is tight at the
vertex; if a round found none, each tight coalition is checked by an LP of its own).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from gasunion.errors import GasunionError
from gasunion.games.tu import Game, GameError, bit_matrix

__all__ = ["EXACT_MAX_PLAYERS", "nucleolus", "prenucleolus", "sequential_lp"]

EXACT_MAX_PLAYERS = 20  #: the LPs have 2^n rows
_TIGHT = 1e-7   #: excess within this of t* (game scaled to max |v| = 1) counts as tight
_DUAL = 1e-7    #: a dual multiplier above this counts as positive
_SPAN = 1e-7    #: residual norm below which an incidence vector is in the fixed span
_BLOCK = 1 << 16


def nucleolus(game: Game) -> pd.Series:
    """The nucleolus (over the imputations), one payoff per player in the unit of ``v``.

    Raises :class:`GameError` if the imputation set is empty (``sum v({i}) > v(N)``); the
    prenucleolus exists for every game.
    """
    x, _ = sequential_lp(game, imputations=True)
    return game.series(x, name="nucleolus")


def prenucleolus(game: Game) -> pd.Series:
    """The prenucleolus (over the efficient payoff vectors), in the unit of ``v``."""
    x, _ = sequential_lp(game, imputations=False)
    return game.series(x, name="prenucleolus")


def sequential_lp(game: Game, imputations: bool) -> tuple[np.ndarray, list[float]]:
    """The (pre)nucleolus in player order and the excess level ``t*`` of every round; the
    first level is the least-core epsilon (over imputations if ``imputations``)."""
    n = game.n
    if n > EXACT_MAX_PLAYERS:
        raise GameError(f"players: n = {n} > {EXACT_MAX_PLAYERS}: the exact nucleolus solves "
                        "LPs over all 2^n coalitions")
    single = game.values[1 << np.arange(n)]
    if imputations and single.sum() > game.grand_value + 1e-9 * max(1.0, abs(game.grand_value)):
        raise GameError(f"the imputation set is empty: the stand-alone values add up to "
                        f"{single.sum():g} > v(N) = {game.grand_value:g}, so the nucleolus is "
                        "not defined (the prenucleolus is)")
    if n == 1:
        return np.array([game.grand_value]), []
    if imputations and np.isclose(single.sum(), game.grand_value, rtol=1e-12, atol=1e-12):
        # the imputation set is the single point v({i}) (a degenerate LP: skip it)
        return single.copy(), [float(np.max(game.excess(single)[1:-1]))]
    scale = float(np.max(np.abs(game.values))) or 1.0
    v = game.values / scale
    full = game.full
    free = np.arange(1, full, dtype=np.int64)          # proper non-empty coalitions
    fixed: list[int] = [full]
    rhs: list[float] = [float(v[full])]
    lower = v[1 << np.arange(n)] if imputations else np.full(n, -np.inf)
    basis = _orthonormal(bit_matrix(np.array(fixed), n))
    levels: list[float] = []
    while len(free) and basis.shape[1] < n:
        t, x, duals = _solve(v, free, fixed, rhs, lower, n)
        levels.append(t * scale)
        excess = v[free] - (bit_matrix(free, n) @ x)
        tight = np.abs(excess - t) <= _TIGHT
        chosen = free[tight & (duals > _DUAL)]
        if not len(chosen):  # numerically unclear duals: check each tight coalition
            chosen = np.array([s for s in free[tight]
                               if _always_tight(v, int(s), t, free, fixed, rhs, lower, n)],
                              dtype=np.int64)
        added = 0
        for s in chosen:
            vec = bit_matrix(np.array([s]), n)[0].astype(float)
            if np.linalg.norm(vec - basis @ (basis.T @ vec)) > _SPAN:
                fixed.append(int(s))
                rhs.append(float(v[s]) - t)
                basis = _orthonormal(bit_matrix(np.array(fixed), n))
                added += 1
        if not added:
            raise GasunionError("nucleolus: no coalition could be fixed in an LP round "
                                "(numerical trouble in the solver); please report the game")
        free = free[~_in_span(free, basis, n)]
    A = bit_matrix(np.array(fixed), n).astype(float)
    x, *_ = np.linalg.lstsq(A, np.array(rhs), rcond=None)
    if basis.shape[1] < n:  # pragma: no cover - every coalition left yet the rank is short
        raise GasunionError("nucleolus: the fixed coalitions do not determine the payoffs")
    x = x * scale
    x[np.abs(x) < 1e-12 * scale] = 0.0  # no -0.0 or 1e-17 noise in reports
    return x, [0.0 if abs(t) < 1e-12 * scale else t for t in levels]


def _orthonormal(rows: np.ndarray) -> np.ndarray:
    """An orthonormal basis (columns) of the span of ``rows``."""
    q, r = np.linalg.qr(rows.astype(float).T)
    keep = np.abs(np.diag(r)) > 1e-10
    return np.asarray(q[:, keep])


def _in_span(masks: np.ndarray, basis: np.ndarray, n: int) -> np.ndarray:
    """Whether each coalition's incidence vector lies in the span of ``basis``."""
    out = np.zeros(len(masks), dtype=bool)
    for k in range(0, len(masks), _BLOCK):
        B = bit_matrix(masks[k:k + _BLOCK], n).astype(float)
        res = B - (B @ basis) @ basis.T
        out[k:k + _BLOCK] = np.linalg.norm(res, axis=1) <= _SPAN
    return out


def _rows(masks: np.ndarray, n: int, with_t: bool) -> np.ndarray:
    B = bit_matrix(masks, n).astype(bool)
    return np.hstack([B, np.full((len(masks), 1), with_t)])


def _model(v: np.ndarray, free: np.ndarray, fixed: list[int], rhs: list[float],
           lower: np.ndarray, n: int, cost: np.ndarray, t_upper: float = np.inf) -> Any:
    """HiGHS LP over (x_0..x_{n-1}, t): free rows ``x(S) + t >= v(S)``, fixed rows equal."""
    import highspy

    from gasunion.optimize._highs import new_highs

    fx = np.array(fixed, dtype=np.int64)
    dense = np.vstack([_rows(free, n, True), _rows(fx, n, False)])
    r, c = np.nonzero(dense)
    lp = highspy.HighsLp()
    lp.num_col_ = n + 1
    lp.num_row_ = dense.shape[0]
    lp.col_cost_ = cost
    lp.col_lower_ = np.r_[lower, -np.inf]
    lp.col_upper_ = np.r_[np.full(n, np.inf), t_upper]
    lp.row_lower_ = np.r_[v[free], rhs]
    lp.row_upper_ = np.r_[np.full(len(free), np.inf), rhs]
    lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
    lp.a_matrix_.start_ = np.r_[0, np.cumsum(np.bincount(r, minlength=dense.shape[0]))]
    lp.a_matrix_.index_ = c.astype(np.int32)
    lp.a_matrix_.value_ = np.ones(len(c))
    h = new_highs(primal_feasibility_tolerance=1e-9, dual_feasibility_tolerance=1e-9)
    h.passModel(lp)
    h.run()
    if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        raise GasunionError(f"nucleolus: the LP ended {h.modelStatusToString(h.getModelStatus())}"
                            " (expected optimal); please report the game")
    return h


def _solve(v: np.ndarray, free: np.ndarray, fixed: list[int], rhs: list[float],
           lower: np.ndarray, n: int) -> tuple[float, np.ndarray, np.ndarray]:
    """One round: ``t*``, the solver's ``x`` and the duals of the free rows."""
    h = _model(v, free, fixed, rhs, lower, n, np.r_[np.zeros(n), 1.0])
    sol = h.getSolution()
    col = np.asarray(sol.col_value)
    duals = np.abs(np.asarray(sol.row_dual)[:len(free)])
    return float(col[n]), col[:n], duals


def _always_tight(v: np.ndarray, s: int, t: float, free: np.ndarray, fixed: list[int],
                  rhs: list[float], lower: np.ndarray, n: int) -> bool:
    """Whether ``e(S) = t`` in every optimum: maximise ``x(S)`` with ``t <= t*``."""
    cost = np.r_[-bit_matrix(np.array([s]), n)[0].astype(float), 0.0]
    h = _model(v, free, fixed, rhs, lower, n, cost, t_upper=t + _TIGHT)
    best = -float(h.getInfo().objective_function_value)
    return bool(best <= v[s] - t + 10 * _TIGHT)
