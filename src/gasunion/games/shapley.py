"""The Shapley value: exact (vectorised over all coalitions) and by permutation sampling.

The Shapley value (Shapley 1953, "A value for n-person games", Contributions to the Theory
of Games II, pp. 307-317) gives player ``i`` its average marginal contribution over all
orders in which the grand coalition can form::

    phi_i(v) = sum_{S ⊆ N \\ {i}} |S|! (n - |S| - 1)! / n! * (v(S ∪ {i}) - v(S))

It is efficient (``sum phi = v(N)``), symmetric, gives a dummy player its constant
contribution and is additive in ``v``. Allocations are in the unit of ``v``.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from gasunion.games.tu import Game, GameError, bit_matrix, popcount

__all__ = ["EXACT_MAX_PLAYERS", "shapley", "shapley_sampled"]

EXACT_MAX_PLAYERS = 15  #: the exact value for n <= 15 (2^15 coalitions); sample above
_CHUNK = 1 << 20  #: marginal contributions evaluated per block when sampling


def shapley(game: Game) -> pd.Series:
    """The exact Shapley value (``n <= 15``), one number per player in the unit of ``v``.

    Vectorised: with ``B[S, i] = 1`` if ``i ∈ S`` the sum over coalitions is rewritten as
    ``phi_i = sum_{S ∋ i} w_in(|S|) v(S) - sum_{S ∌ i} w_out(|S|) v(S)`` with
    ``w_in(s) = (s-1)!(n-s)!/n!`` and ``w_out(s) = s!(n-s-1)!/n!``: two matrix-vector products
    over the ``2^n`` coalitions, no Python loop. Larger games: :func:`shapley_sampled`.
    """
    n = game.n
    if n > EXACT_MAX_PLAYERS:
        raise GameError(f"players: n = {n} > {EXACT_MAX_PLAYERS}: the exact Shapley value "
                        "enumerates n 2^(n-1) marginal contributions; use shapley_sampled()")
    masks = np.arange(1 << n, dtype=np.int64)
    size = popcount(masks)
    fact = np.array([math.factorial(k) for k in range(n + 1)], dtype=float)
    w_in = np.zeros(n + 1)
    w_in[1:] = fact[:n] * fact[n - 1::-1] / fact[n]            # s = 1..n
    w_out = np.zeros(n + 1)
    w_out[:n] = fact[:n] * fact[n - 1::-1] / fact[n]           # s = 0..n-1
    B = bit_matrix(masks, n).astype(float)
    v = game.values
    phi = B.T @ (w_in[size] * v) - (1.0 - B).T @ (w_out[size] * v)
    return game.series(phi, name="shapley")


def shapley_sampled(game: Game, samples: int = 20_000, seed: int | None = None,
                    confidence: float = 0.95) -> pd.DataFrame:
    """The Shapley value estimated from ``samples`` uniformly random orders of the players.

    Each order gives every player its marginal contribution ``v(P ∪ {i}) - v(P)`` (``P``
    its predecessors); the estimate is the mean over the orders, with a normal-approximation
    confidence interval per player (``mean ± z * sd / sqrt(samples)``, ``z`` the two-sided
    quantile of ``confidence``). Every order's contributions add up to ``v(N)``, so the
    estimates are exactly efficient. Returns a DataFrame indexed by player with columns
    ``value``, ``ci_low``, ``ci_high`` (unit of ``v``); ``attrs`` holds samples, seed and
    confidence.
    """
    from scipy.stats import norm

    if isinstance(samples, bool) or not isinstance(samples, int | np.integer) or samples < 2:
        raise GameError(f"samples: need a whole number >= 2, got {samples!r}")
    if not 0.0 < float(confidence) < 1.0:
        raise GameError(f"confidence: must lie strictly between 0 and 1, got {confidence!r}")
    n, v = game.n, game.values
    rng = np.random.default_rng(seed)
    count, mean, m2 = 0, np.zeros(n), np.zeros(n)
    per_block = max(1, _CHUNK // n)
    rows = np.arange(per_block)[:, None]
    while count < samples:
        m = min(per_block, samples - count)
        perms = rng.permuted(np.tile(np.arange(n, dtype=np.int64), (m, 1)), axis=1)
        bits = np.left_shift(np.int64(1), perms)
        after = np.cumsum(bits, axis=1)               # the coalition once the player joined
        marg = v[after] - v[after - bits]             # marginal contribution, in order
        contrib = np.empty((m, n))
        contrib[rows[:m], perms] = marg               # back to player order
        # Chan et al.'s parallel update of the running mean and sum of squared deviations
        b_mean = contrib.mean(axis=0)
        b_m2 = ((contrib - b_mean) ** 2).sum(axis=0)
        total = count + m
        delta = b_mean - mean
        mean = mean + delta * (m / total)
        m2 = m2 + b_m2 + delta ** 2 * (count * m / total)
        count = total
    se = np.sqrt(m2 / (count - 1) / count)
    z = float(norm.ppf(0.5 + float(confidence) / 2.0))
    df = pd.DataFrame({"value": mean, "ci_low": mean - z * se, "ci_high": mean + z * se},
                      index=pd.Index(list(game.players), name="player"))
    df.attrs.update(samples=int(samples), seed=seed, confidence=float(confidence))
    return df
