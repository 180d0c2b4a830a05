"""Properties of the solution concepts on random games (hypothesis), each a theorem:

* Shapley (1953): efficiency, symmetry, dummy player, additivity; equal to the average of
  the marginal contributions over all n! orders (brute force, n <= 5).
* Shapley (1971), "Cores of convex games", Int. J. Game Theory 1:11-26: the Shapley value of
  a convex game lies in its core.
* Schmeidler (1969): the nucleolus lies in the core when the core is non-empty; then it
  equals the prenucleolus (the prenucleolus is in the least core, hence in the core, hence
  an imputation). Both minimise the decreasingly sorted excess vector lexicographically over
  their domains: no feasible perturbation does better.
* Zero-monotonic games (v(S ∪ {i}) >= v(S) + v({i})): the prenucleolus is individually
  rational, hence the nucleolus (a classical result: the prekernel of a zero-monotonic game
  consists of imputations); checked here on random zero-monotonic games, empty cores
  included.
* Covariance under strategic equivalence: a v + additive b  ->  a x + b (a > 0).
* Bondareva-Shapley via the least core: the core is empty iff epsilon* > 0; the least-core
  point has no excess above epsilon*.
* Aumann & Maschler (1985), J. Econ. Theory 36:195-213: the nucleolus of a bankruptcy game
  is the Talmud rule (constrained equal awards of half-claims, or claims minus the
  constrained equal losses of half-claims).
"""

from __future__ import annotations

from itertools import permutations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from gasunion.games import Game, core, gain_game, in_core, nucleolus, prenucleolus, shapley
from gasunion.games.tu import bit_matrix, coalition_sums

FAST = settings(max_examples=25, deadline=None)


@st.composite
def games(draw: st.DrawFn, n_min: int = 2, n_max: int = 5, lo: int = -10, hi: int = 30
          ) -> Game:
    n = draw(st.integers(n_min, n_max))
    vals = draw(st.lists(st.integers(lo, hi), min_size=(1 << n) - 1, max_size=(1 << n) - 1))
    return Game([f"p{i}" for i in range(n)], [0, *vals])


@st.composite
def convex_games(draw: st.DrawFn) -> Game:
    """v(S) = sum_k (w_k(S))^2 + a(S): squares of non-negative measures are supermodular."""
    n = draw(st.integers(2, 5))
    k = draw(st.integers(1, 3))
    w = np.array(draw(st.lists(st.integers(0, 5), min_size=n * k, max_size=n * k)),
                 float).reshape(k, n)
    a = np.array(draw(st.lists(st.integers(-5, 5), min_size=n, max_size=n)), float)
    B = bit_matrix(np.arange(1 << n), n).astype(float)
    return Game([f"p{i}" for i in range(n)], ((B @ w.T) ** 2).sum(axis=1) + B @ a)


@st.composite
def zero_monotonic_games(draw: st.DrawFn) -> Game:
    """An additive game plus the monotone closure of random worths (singletons 0)."""
    n = draw(st.integers(2, 5))
    r = np.array([0, *draw(st.lists(st.integers(-5, 20), min_size=(1 << n) - 1,
                                    max_size=(1 << n) - 1))], float)
    r[1 << np.arange(n)] = 0.0
    w = np.zeros(1 << n)
    for s in sorted(range(1, 1 << n), key=int.bit_count):
        w[s] = max([r[s], *(w[s & ~(1 << i)] for i in range(n) if s >> i & 1)])
    a = np.array(draw(st.lists(st.integers(-5, 5), min_size=n, max_size=n)), float)
    return Game([f"p{i}" for i in range(n)], w + coalition_sums(a))


def _sorted_excess(g: Game, x: np.ndarray) -> np.ndarray:
    e = g.excess(x)[1:-1]
    return np.sort(e)[::-1]


def _lex_leq(a: np.ndarray, b: np.ndarray, tol: float = 1e-7) -> bool:
    diff = np.flatnonzero(np.abs(a - b) > tol)
    return len(diff) == 0 or a[diff[0]] < b[diff[0]]


# ------------------------------------------------------------------------------ Shapley
@FAST
@given(games())
def test_shapley_efficiency_and_brute_force(g: Game) -> None:
    phi = shapley(g).to_numpy()
    assert abs(phi.sum() - g.grand_value) < 1e-9
    if g.n <= 5:
        total = np.zeros(g.n)
        for order in permutations(range(g.n)):
            m = 0
            for i in order:
                total[i] += g.values[m | 1 << i] - g.values[m]
                m |= 1 << i
        np.testing.assert_allclose(phi, total / len(list(permutations(range(g.n)))),
                                   atol=1e-9)


@FAST
@given(st.data())
def test_shapley_additive(data: st.DataObject) -> None:
    g = data.draw(games())
    h = data.draw(games(n_min=g.n, n_max=g.n))
    s = Game(g.players, g.values + h.values)
    np.testing.assert_allclose(shapley(s), shapley(g) + shapley(h).to_numpy(), atol=1e-9)


@FAST
@given(games())
def test_shapley_symmetric_players_get_the_same(g: Game) -> None:
    m = np.arange(1 << g.n)
    b0, b1 = m & 1, (m >> 1) & 1
    swapped = (m & ~3) | (b0 << 1) | b1                  # exchange players 0 and 1
    sym = Game(g.players, g.values + g.values[swapped])
    phi = shapley(sym)
    assert abs(phi.iloc[0] - phi.iloc[1]) < 1e-9


@FAST
@given(games(n_max=4), st.integers(-5, 5))
def test_dummy_player_gets_its_contribution(g: Game, c: int) -> None:
    n = g.n
    vals = np.concatenate([g.values, g.values + c])       # the new player n adds c anywhere
    ext = Game([*g.players, "dummy"], vals)
    phi = shapley(ext)
    assert abs(phi["dummy"] - c) < 1e-9
    np.testing.assert_allclose(phi.iloc[:n], shapley(g), atol=1e-9)


@FAST
@given(convex_games())
def test_shapley_of_a_convex_game_is_in_the_core(g: Game) -> None:
    assert in_core(g, shapley(g))[0]
    assert in_core(g, nucleolus(g))[0]


# ---------------------------------------------------------------------------- nucleolus
@FAST
@given(games())
def test_core_nucleolus_prenucleolus(g: Game) -> None:
    c = core(g)
    e = g.excess(c.least_core_point)[1:-1]
    scale = max(1.0, np.abs(g.values).max())
    assert e.max() <= c.least_core_epsilon + 1e-7 * scale          # the least-core point
    assert abs(e.max() - c.least_core_epsilon) <= 1e-7 * scale      # ... attains epsilon*
    assert c.empty == (c.least_core_epsilon > 0)
    pre = prenucleolus(g).to_numpy()
    assert abs(pre.sum() - g.grand_value) < 1e-7 * scale
    if not c.empty:
        nuc = nucleolus(g).to_numpy()
        assert in_core(g, nuc)[0]
        np.testing.assert_allclose(nuc, pre, atol=1e-7 * scale)
        assert c.point is not None
        np.testing.assert_allclose(c.point, nuc, atol=1e-7 * scale)


@FAST
@given(zero_monotonic_games())
def test_zero_monotonic_nucleolus_is_the_prenucleolus(g: Game) -> None:
    np.testing.assert_allclose(nucleolus(g), prenucleolus(g),
                               atol=1e-7 * max(1.0, np.abs(g.values).max()))


@FAST
@given(games(n_max=4), st.integers(0, 2**32 - 1))
def test_prenucleolus_is_lexicographically_minimal(g: Game, seed: int) -> None:
    x = prenucleolus(g).to_numpy()
    best = _sorted_excess(g, x)
    rng = np.random.default_rng(seed)
    for _ in range(30):
        d = rng.normal(size=g.n) * rng.choice([1e-3, 1e-1, 1.0, 10.0])
        d -= d.mean()                                    # stay efficient
        assert _lex_leq(best, _sorted_excess(g, x + d))


@FAST
@given(games(n_max=4, lo=0), st.integers(0, 2**32 - 1))
def test_nucleolus_is_lexicographically_minimal_over_imputations(g: Game, seed: int) -> None:
    alone = g.stand_alone.to_numpy()
    if alone.sum() > g.grand_value:
        return
    x = nucleolus(g).to_numpy()
    assert np.all(x >= alone - 1e-7) and abs(x.sum() - g.grand_value) < 1e-7
    best = _sorted_excess(g, x)
    rng = np.random.default_rng(seed)
    for _ in range(30):
        d = rng.normal(size=g.n) * rng.choice([1e-3, 1e-1, 1.0])
        d -= d.mean()
        y = x + d
        if np.all(y >= alone):
            assert _lex_leq(best, _sorted_excess(g, y))


@FAST
@given(games(n_max=4), st.integers(1, 5), st.lists(st.integers(-5, 5), min_size=4,
                                                   max_size=4))
def test_covariance(g: Game, a: int, b: list[int]) -> None:
    shift = np.array(b[:g.n], float)
    h = Game(g.players, a * g.values + coalition_sums(shift))
    np.testing.assert_allclose(prenucleolus(h), a * prenucleolus(g).to_numpy() + shift,
                               atol=1e-6 * a * max(1.0, np.abs(g.values).max()))
    np.testing.assert_allclose(shapley(h), a * shapley(g).to_numpy() + shift, atol=1e-9)
    gain = gain_game(g)
    np.testing.assert_allclose(shapley(g), shapley(gain) + g.stand_alone, atol=1e-9)


# ------------------------------------------------------------------------------- Talmud
def talmud(estate: float, claims: np.ndarray) -> np.ndarray:
    """Aumann & Maschler's rule, computed without any game: CEA / CEL on half-claims."""
    half = claims / 2.0

    def cea(amount: float, caps: np.ndarray) -> np.ndarray:  # equal awards, capped
        lo, hi = 0.0, float(caps.max())
        for _ in range(200):
            mid = (lo + hi) / 2
            lo, hi = (mid, hi) if np.minimum(caps, mid).sum() < amount else (lo, mid)
        return np.minimum(caps, hi)

    if estate <= half.sum():
        return cea(estate, half)
    return claims - cea(claims.sum() - estate, half)


@FAST
@given(st.lists(st.integers(1, 100), min_size=2, max_size=5), st.floats(0.05, 0.95))
def test_bankruptcy_nucleolus_is_the_talmud_rule(claims: list[int], share: float) -> None:
    d = np.array(claims, float)
    estate = share * d.sum()
    n = len(d)
    B = bit_matrix(np.arange(1 << n), n).astype(float)
    g = Game([f"c{i}" for i in range(n)], np.maximum(0.0, estate - (1 - B) @ d))
    np.testing.assert_allclose(nucleolus(g), talmud(estate, d), atol=1e-6 * d.sum())
