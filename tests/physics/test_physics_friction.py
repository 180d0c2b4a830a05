"""Tests of gasunion.physics.friction.

Reference numbers: hand calculations for Example A (D 0.5 m, k 0.05 mm, mu 1.1e-5 Pa s),
written out with every intermediate number in docs/validation.md §1.2; formulas from the
publications cited in gasunion.physics.friction (Nikuradse 1933, Colebrook 1939, Hofer 1973,
Weymouth 1912). The STANET variant's reference lambda is pandapipes' own result, shipped in
tests/data/pandapipes_stanet/gas_one_pipe1_n/res_pipe_pandapipes.csv.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from scipy.optimize import brentq

from gasunion.physics.friction import (
    FRICTION_MODELS,
    friction_factor,
    friction_term,
    lambda_colebrook,
    lambda_hofer,
    lambda_nikuradse,
    lambda_times_re,
    lambda_weymouth,
    reynolds,
)

REL = 1e-4
D, K, MU = 0.5, 0.05e-3, 1.1e-5  # Example A pipe: D 0.5 m, k 0.05 mm, mu 1.1e-5 Pa s


# ------------------------------------------------------------------ Example A (validation.md §1.2)
def test_reynolds_example_a() -> None:
    """docs/validation.md §1.2: Re = 4 m/(pi D mu) with pi D mu = pi * 0.5 * 1.1e-5
    = 1.727876e-5 m Pa s: 4 * 55.7882 / 1.727876e-5 = 1.2915e7 (Nikuradse flow),
    4 * 55.4507 / 1.727876e-5 = 1.2837e7 (Colebrook), 4 * 56.0880 / 1.727876e-5 = 1.2984e7
    (Weymouth); sign of the flow must not matter."""
    re = reynolds(np.array([55.7882, -55.4507, 56.0880]), D, MU)
    assert re == pytest.approx([1.2915e7, 1.2837e7, 1.2984e7], rel=REL)


def test_lambda_nikuradse_example_a() -> None:
    """By hand: Nikuradse lambda = (2 log10(3.7 D/k))^-2, 3.7 * 0.5 / 5e-5 = 37 000,
    log10(37 000) = 4.568202, lambda = 1 / 9.136403^2 = 0.011980 (D 0.5 m, k 0.05 mm)."""
    assert float(lambda_nikuradse(D, K)) == pytest.approx(0.011980, rel=REL)


def test_lambda_weymouth_example_a() -> None:
    """By hand: Weymouth lambda = 0.009407 / D^(1/3) = 0.009407 / 0.7937005 = 0.011852 for
    D = 0.5 m."""
    assert float(lambda_weymouth(D)) == pytest.approx(0.011852, rel=REL)


def test_lambda_colebrook_example_a() -> None:
    """Colebrook-White lambda = 0.012126 at the coupled Re = 1.2837e7; by hand
    (docs/validation.md §1.2): with lambda = 0.01212606, sqrt(lambda) = 0.110118,
    2.51 / (1.2837e7 * 0.110118) = 1.7757e-6, + k/(3.7 D) = 2.7027e-5 -> 2.8803e-5,
    -2 log10(2.8803e-5) = 9.08113 = 1/sqrt(0.01212606)."""
    assert float(lambda_colebrook(1.2837e7, D, K)) == pytest.approx(0.012126, rel=REL)


def test_lambda_hofer_example_a() -> None:
    """Hofer lambda at the Colebrook Re = 1.2837e7, by hand (docs/validation.md §1.2):
    log10(Re/7) = 6.263357, 4.518 / Re * 6.263357 = 2.2044e-6, k/(3.71 D) = 2.6954e-5,
    sum 2.9159e-5, log10 = -4.535233, lambda = 1 / (2 * 4.535233)^2 = 0.012155."""
    assert float(lambda_hofer(1.2837e7, D, K)) == pytest.approx(0.012155, rel=REL)


def test_weymouth_coefficient_matches_imperial_form() -> None:
    """Weymouth (1912): lambda = 0.032 / d^(1/3), d in inches (Menon 2005, Ch. 2); the SI
    coefficient 0.009407 must reproduce it to its 4 printed digits."""
    d_m = np.array([0.1, 0.5, 1.2])
    d_in = d_m / 0.0254
    assert lambda_weymouth(d_m) == pytest.approx(0.032 / np.cbrt(d_in), rel=1e-4)


# ------------------------------------------------------------------ Colebrook solver
def test_colebrook_matches_independent_bracketing_solver() -> None:
    """Newton solution vs. scipy brentq on 1/sqrt(l) + 2 log10(k/(3.7D) + 2.51/(Re sqrt(l))) = 0
    (Colebrook 1939) over Re 2.3e3..1e9 and relative roughness 0..0.05."""
    re = np.geomspace(2.3e3, 1e9, 25)
    rel_rough = np.array([0.0, 1e-6, 1e-4, 1e-3, 0.01, 0.05])
    rr, kk = np.meshgrid(re, rel_rough)
    lam = lambda_colebrook(rr, 1.0, kk)
    for r, k, l_newton in zip(rr.ravel(), kk.ravel(), lam.ravel(), strict=True):

        def f(x: float, r: float = r, k: float = k) -> float:
            return 1 / math.sqrt(x) + 2 * math.log10(k / 3.7 + 2.51 / (r * math.sqrt(x)))

        l_ref = brentq(f, 1e-4, 0.5, xtol=1e-16, rtol=1e-15)
        assert l_newton == pytest.approx(l_ref, rel=1e-12)


def test_colebrook_residual_is_tiny() -> None:
    """The returned lambda satisfies Colebrook's equation to ~machine precision."""
    re = np.geomspace(3e3, 1e8, 50)
    lam = lambda_colebrook(re, 0.3, 2e-5)
    x = 1 / np.sqrt(lam)
    res = x + 2 * np.log10(2e-5 / (3.7 * 0.3) + 2.51 * x / re)
    assert np.max(np.abs(res) / x) < 1e-13


def test_colebrook_rejects_nonpositive_re() -> None:
    with pytest.raises(ValueError):
        lambda_colebrook(0.0, D, K)


# ------------------------------------------------------------------ friction_factor
def test_laminar_transition_colebrook_hofer() -> None:
    """Hagen-Poiseuille lambda = 64/Re below Re = 2000, the turbulent law from Re = 4000, and
    linear interpolation in Re in between (hand check at Re 3000: the mean of 64/2000 = 0.032
    and lambda_turb(4000)); lambda is continuous at both ends."""
    for model in ("colebrook", "hofer"):
        turb = lambda_colebrook if model == "colebrook" else lambda_hofer
        l4 = float(turb(4000.0, D, K))
        lam, dlam = friction_factor(model, [1000.0, 1999.999, 2000.0, 3000.0, 3999.999, 4000.0],
                                    D, K)
        assert lam[0] == pytest.approx(0.064, rel=1e-14)
        assert dlam[0] == pytest.approx(-64 / 1000.0**2, rel=1e-14)
        assert lam[1] == pytest.approx(0.032, rel=1e-5)
        assert lam[2] == pytest.approx(0.032, rel=1e-14)
        assert lam[3] == pytest.approx((0.032 + l4) / 2, rel=1e-14)
        assert dlam[3] == pytest.approx((l4 - 0.032) / 2000.0, rel=1e-12)
        assert lam[4] == pytest.approx(l4, rel=1e-5)
        assert lam[5] == pytest.approx(l4, rel=1e-14)


def test_laminar_max_nikuradse_weymouth() -> None:
    """lambda = max(64/Re, lambda_turb): laminar below Re* = 64/lambda_turb, turbulent above."""
    for model, lt in (("nikuradse", lambda_nikuradse(D, K)), ("weymouth", lambda_weymouth(D))):
        re_star = 64.0 / float(lt)
        lam, dlam = friction_factor(model, [0.5 * re_star, 2.0 * re_star, 1e7], D, K)
        assert lam[0] == pytest.approx(64 / (0.5 * re_star), rel=1e-14)
        assert lam[1] == pytest.approx(float(lt), rel=1e-14)
        assert lam[2] == pytest.approx(float(lt), rel=1e-14)
        assert dlam[0] < 0 and dlam[1] == 0.0 and dlam[2] == 0.0


@pytest.mark.parametrize("model", ["colebrook", "hofer"])
def test_dlambda_dre_vs_finite_difference(model: str) -> None:
    """Analytic dlambda/dRe (implicit differentiation for Colebrook) vs central differences."""
    re = np.array([2500.0, 8e3, 1e5, 3e6, 1e8])
    h = re * 1e-5
    lam_p, _ = friction_factor(model, re + h, D, K)
    lam_m, _ = friction_factor(model, re - h, D, K)
    _, dlam = friction_factor(model, re, D, K)
    assert dlam == pytest.approx((lam_p - lam_m) / (2 * h), rel=1e-6)


def test_friction_factor_zero_re_no_warning() -> None:
    """Re = 0: lambda = inf without RuntimeWarning; lambda*Re helper returns the finite 64."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for model in FRICTION_MODELS:
            lam, _ = friction_factor(model, [0.0, 1e6], D, K)
            assert np.isinf(lam[0]) and np.isfinite(lam[1])
            lr = lambda_times_re(model, [0.0, 10.0, 1e6], D, K)
            assert lr[0] == 64.0
            if not model.startswith("stanet_"):  # STANET laws add/continue past the laminar term
                assert lr[1] == pytest.approx(64.0)
            assert lr[2] == pytest.approx(1e6 * friction_factor(model, 1e6, D, K)[0])


def test_unknown_model_raises_listing_valid() -> None:
    with pytest.raises(ValueError, match="colebrook"):
        friction_factor("darcy", 1e6, D, K)
    with pytest.raises(ValueError, match="nikuradse"):
        friction_term("swamee", 1.0, D, K, MU)


# ------------------------------------------------------------------ friction_term
@pytest.mark.parametrize("model", FRICTION_MODELS)
def test_friction_term_matches_definition(model: str) -> None:
    """phi = lambda(Re(m)) m|m| with the same lambda as friction_factor (m != 0)."""
    m = np.array([-300.0, -1e-3, 2e-4, 0.05, 55.0])
    phi, _ = friction_term(model, m, D, K, MU)
    lam, _ = friction_factor(model, reynolds(m, D, MU), D, K)
    assert phi == pytest.approx(lam * m * np.abs(m), rel=1e-12)


@pytest.mark.parametrize("model", FRICTION_MODELS)
def test_friction_term_at_zero_flow(model: str) -> None:
    """phi(0) = 0 and dphi/dm(0) = 16 pi D mu (laminar 64/Re m|m| = 16 pi D mu m), no NaN/inf,
    and the laminar slope is continuous into small flows of both signs."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        phi, dphi = friction_term(model, np.array([0.0, 1e-9, -1e-9]), D, K, MU)
    slope = 16 * math.pi * D * MU
    assert phi[0] == 0.0
    # stanet_nikuradse adds lambda_r m|m| to the laminar term: 2 lambda_r |m| ~ 1e-10 of slope
    rel = 1e-6 if model == "stanet_nikuradse" else 1e-14
    assert dphi == pytest.approx([slope] * 3, rel=rel)
    assert phi[1:] == pytest.approx([slope * 1e-9, -slope * 1e-9], rel=rel)


def _flows_for_re(re: np.ndarray) -> np.ndarray:
    return re * math.pi * D * MU / 4.0


@pytest.mark.parametrize("model", FRICTION_MODELS)
def test_friction_term_derivative_vs_finite_difference(model: str) -> None:
    """dphi/dm (chain rule + implicit differentiation) vs central finite differences, laminar,
    transitional and turbulent Re, both flow directions and m = 0; points are kept away from the
    Re = 2000/4000 kinks (colebrook/hofer) and the max() kink (nikuradse/weymouth)."""
    re = np.array([0.0, 50.0, 800.0, 1900.0, 2600.0, 4100.0, 1e4, 1e5, 2e6, 1.3e7, 5e8])
    if model in ("nikuradse", "weymouth"):
        lt = float(lambda_nikuradse(D, K) if model == "nikuradse" else lambda_weymouth(D))
        re_star = 64 / lt
        re = re[np.abs(re - re_star) > 0.01 * re_star]
    m = _flows_for_re(re)
    m = np.concatenate([m, -m[1:]])
    h = np.maximum(np.abs(m) * 1e-6, 1e-12)
    phi_p, _ = friction_term(model, m + h, D, K, MU)
    phi_m, _ = friction_term(model, m - h, D, K, MU)
    _, dphi = friction_term(model, m, D, K, MU)
    fd = (phi_p - phi_m) / (2 * h)
    assert np.all(np.isfinite(dphi))
    assert dphi == pytest.approx(fd, rel=1e-6)


@pytest.mark.parametrize("model", FRICTION_MODELS)
def test_friction_term_is_odd_and_broadcasts(model: str) -> None:
    """phi(-m) = -phi(m), dphi(-m) = dphi(m); per-pipe arrays of D, k, mu broadcast."""
    m = np.array([1e-4, 3.0, 80.0])
    d = np.array([0.2, 0.5, 1.0])
    k = np.array([1e-5, 5e-5, 1e-4])
    phi, dphi = friction_term(model, m, d, k, MU)
    phi_n, dphi_n = friction_term(model, -m, d, k, MU)
    assert phi_n == pytest.approx(-phi, rel=1e-14)
    assert dphi_n == pytest.approx(dphi, rel=1e-14)
    for i in range(3):
        p_i, _ = friction_term(model, m[i], d[i], k[i], MU)
        assert float(p_i) == pytest.approx(phi[i], rel=1e-14)


def test_nikuradse_friction_term_continuous_at_kink() -> None:
    """With lambda = max(64/Re, lambda_t) phi is continuous where both laws meet."""
    lt = float(lambda_nikuradse(D, K))
    m_star = float(_flows_for_re(np.array(64 / lt))[()])
    phi, _ = friction_term("nikuradse", np.array([m_star * (1 - 1e-9), m_star * (1 + 1e-9)]), D,
                           K, MU)
    assert phi[0] == pytest.approx(phi[1], rel=1e-8)


def test_stanet_variants_match_pandapipes_formulas() -> None:
    """STANET/pandapipes laws (pandapipes 0.16 pf/derivative_toolbox.py):
    Nikuradse lambda = 64/Re + (2 lg(D/k) + 1.14)^-2; hand check for gas_one_pipe1 (D 89 mm,
    k 0.2 mm, Re 2.238445e6): 64/Re = 2.85912e-5, 2 lg(445) + 1.14 = 6.436786 ->
    0.0241359 + 0.0000286 = 0.0241645 (pandapipes 0.16.0 reports lambda = 0.0241649 and
    Re = 2.238445e6 for that pipe: tests/data/pandapipes_stanet/gas_one_pipe1_n/
    res_pipe_pandapipes.csv, columns ``lambda``, ``reynolds``).
    Colebrook with 3.71: residual of 1/sqrt(l) + 2 lg(2.51/(Re sqrt(l)) + k/(3.71 D)) is 0."""
    from gasunion.physics.friction import friction_factor, friction_term

    re = np.array([2.238445e6])
    lam, dlam = friction_factor("stanet_nikuradse", re, 0.089, 0.2e-3)
    assert lam[0] == pytest.approx(0.024165, abs=5e-7)
    assert dlam[0] == pytest.approx(-64.0 / re[0] ** 2, rel=1e-12)
    lam_c, _ = friction_factor("stanet_colebrook", re, 0.089, 0.2e-3)
    x = 1.0 / np.sqrt(lam_c[0])
    assert x + 2.0 * np.log10(2.51 / (re[0] * np.sqrt(lam_c[0])) + 0.2e-3 / (3.71 * 0.089)) == \
        pytest.approx(0.0, abs=1e-12)
    # friction term derivative vs central differences, through zero flow
    for model in ("stanet_nikuradse", "stanet_colebrook"):
        m = np.array([-3.0, -1e-7, 0.0, 1e-7, 0.02, 5.0])
        _, dphi = friction_term(model, m, 0.1, 1e-4, 1.1e-5)
        h = 1e-7 * np.maximum(1.0, np.abs(m))
        p1, _ = friction_term(model, m + h, 0.1, 1e-4, 1.1e-5)
        p0, _ = friction_term(model, m - h, 0.1, 1e-4, 1.1e-5)
        np.testing.assert_allclose(dphi, (p1 - p0) / (2 * h), rtol=1e-5, atol=1e-8)
