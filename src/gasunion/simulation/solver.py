"""The Newton iteration: start-up, damped Newton with chord steps, fixed-loss refinement.

Works on a :class:`~.newton.Kernel` (residuals, derivatives and the reduced linear system).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from gasunion.simulation.newton import LOSS_SATURATION, Kernel
from gasunion.simulation.reduced import Derivatives


@dataclass
class NewtonState:
    x: np.ndarray
    iterations: int = 0
    converged: bool = False
    residual_norm: float = math.inf
    history: list[float] = field(default_factory=list)
    alphas: list[float] = field(default_factory=list)  #: step length of each Newton step
    solve_time_s: float = 0.0
    lu_time_s: float = 0.0
    message: str = ""


def initial_guess(k: Kernel) -> np.ndarray:
    """Start values: all free squared pressures at the highest set pressure, zero flows."""
    x = np.zeros(k.nx)
    x[: k.nf] = k.p_ref**2
    return x


def solve(k: Kernel, lhv_j_kg: float, kappa: float,
          progress: Callable[[int, float], None] | None = None,
          x0: np.ndarray | None = None, warm_steps: int = 0) -> NewtonState:
    """Solve the network equations: Picard start-up steps (from a given start ``x0``, e.g. a
    previous solution, only ``warm_steps`` linearised around its flows), damped Newton to
    convergence, then the fixed-loss refinement (see :func:`refine_loss_smoothing`)."""
    st = NewtonState(x=initial_guess(k) if x0 is None else np.array(x0, dtype=float))
    t0 = time.perf_counter()
    if k.nx == 0:
        st.converged = True
        st.residual_norm = 0.0
        return st
    if x0 is None:
        _picard(k, st)
    elif warm_steps:
        _picard(k, st, warm_steps, warm=True)
    _newton(k, st, lhv_j_kg, kappa, progress)
    for _ in range(30):  # each round narrows the smoothing at least 100-fold
        if not (st.converged and refine_loss_smoothing(k, st.x)):
            break
        _newton(k, st, lhv_j_kg, kappa, progress, refactor_first=True)
    st.solve_time_s = time.perf_counter() - t0
    return st


def refine_loss_smoothing(k: Kernel, x: np.ndarray) -> bool:
    """Narrow the smoothing of fixed-loss laws whose flow is not yet saturated.

    The law ``p_i - p_j = dp tanh(q / eps)`` gives the set loss within
    ``1 - tanh(LOSS_SATURATION) = 2.3e-7`` (relative) once ``|q| >= LOSS_SATURATION * eps``.
    Each resistor whose flow is below that gets ``eps`` at most 1/100 of its old value and
    at most ``|q| / 10`` (but not below ``k.eps_loss_min``, a tenth of the mass-balance
    tolerance: flows below it are numerically zero); a flow inside the old smoothing band is
    scaled with it. Modifies ``k.eps_loss`` and ``x`` in place; returns whether anything
    changed (then the equations must be solved again).
    """
    if not len(k.il):
        return False
    eps = k.eps_loss
    q = x[k.nf + k.il]
    need = (np.abs(q) < LOSS_SATURATION * eps) & (eps > k.eps_loss_min)
    if not need.any():
        return False
    new = np.maximum(k.eps_loss_min, np.minimum(eps / 100.0, np.abs(q) / 10.0))
    new = np.where(need, new, eps)
    # a flow inside the band is set by the law itself where the resistor lies on a loop (it
    # follows the band), but by the mass balance where it is a bridge (it stays)
    inside = need & (np.abs(q) < eps) & ~k.loss_bridges()
    x[k.nf + k.il[inside]] = q[inside] * new[inside] / eps[inside]
    k.eps_loss = new
    return True


def _step(k: Kernel, st: NewtonState, F: np.ndarray, d: Derivatives,
          refactor: bool = True) -> np.ndarray | None:
    try:
        dx, t_lu = k.newton_step(F, d, refactor=refactor)
    except RuntimeError as exc:  # SuperLU: exactly singular
        st.message = f"singular Jacobian ({exc})"
        return None
    st.lu_time_s += t_lu
    if not np.all(np.isfinite(dx)):
        st.message = "non-finite Newton step (singular Jacobian)"
        return None
    return dx


def _picard(k: Kernel, st: NewtonState, steps: int | None = None, warm: bool = False) -> None:
    """Linearised start-up solves: ``q|q|`` linearised around ``|q|`` of the previous solve
    (of the start values when ``warm``, else a tenth of the flow scale)."""
    x = st.x
    qabs = (np.abs(x[k.nf:]) + 1e-3 * k.flow_scale if warm
            else np.full(k.m.n_branches, k.flow_scale * 0.1))
    n = k.opt.picard_steps if steps is None else steps
    # the start-up solves count as iterations: never more than max_iter in all
    for _ in range(min(n, max(k.opt.max_iter - st.iterations, 0))):
        F, d = k.evaluate(x, picard_qabs=qabs)
        assert d is not None
        dx = _step(k, st, F, d)
        if dx is None:
            break
        x = x + dx
        qabs = np.abs(x[k.nf:]) + 1e-3 * k.flow_scale
        st.iterations += 1
    st.x = x


def _newton(k: Kernel, st: NewtonState, lhv_j_kg: float, kappa: float,
            progress: Callable[[int, float], None] | None, refactor_first: bool = False) -> None:
    """Damped Newton from ``st.x`` until the scaled residual is below ``tol`` (updates ``st``)."""
    opt = k.opt
    x = st.x
    k.fuel = k.fuel_kg_s(k.pi_all(x), x[k.nf:], lhv_j_kg, kappa)
    F, d = k.evaluate(x)
    norm = k.scaled_norm(F)
    merit = k.merit(F)
    st.history.append(norm)
    chord_ok = not refactor_first
    budget = max(opt.max_iter - st.iterations, 0) if not st.message else 0
    for _it in range(budget):
        if norm <= opt.tol:
            break
        assert d is not None
        chord = chord_ok and norm < opt.chord_below
        dx = _step(k, st, F, d, refactor=not chord)
        if dx is None:
            break
        # damped step: backtrack until the scaled residual decreases
        alpha = 1.0
        while True:
            x_new = x + alpha * dx
            k.fuel = k.fuel_kg_s(k.pi_all(x_new), x_new[k.nf:], lhv_j_kg, kappa)
            F_new, d_new = k.evaluate(x_new)
            norm_new = k.scaled_norm(F_new)
            merit_new = k.merit(F_new)
            if (merit_new < (1.0 - 1e-4 * alpha) * merit or alpha < 1.0 / 64
                    or norm_new <= opt.tol):
                break
            if chord:  # a weak chord step: refactorise instead of backtracking
                break
            alpha /= 2.0
        st.alphas.append(alpha)
        # keep reusing the factorisation only while it contracts fast enough
        chord_ok = not chord or merit_new <= opt.chord_rate * merit
        if chord and merit_new >= merit:
            continue  # reject the chord step; the next one refactorises
        x, F, d, norm, merit = x_new, F_new, d_new, norm_new, merit_new
        st.iterations += 1
        st.history.append(norm)
        if progress is not None:
            progress(st.iterations, norm)
    st.converged = bool(norm <= opt.tol)
    st.x = x
    st.residual_norm = norm
