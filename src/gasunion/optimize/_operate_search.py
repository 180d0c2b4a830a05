"""The search of ``operate``: continuous set-points per configuration, modes by local search.

*Continuous phase* (one configuration): the set-points, scaled to [0, 1] within their bounds,
minimise the sum of squared bound excesses (:meth:`Evaluator.residuals`, a smooth penalty
that is zero once every bound holds with a small inside margin) with
``scipy.optimize.least_squares`` (trust region reflective, finite differences). Then, when the
configuration is feasible and compressors run, ``SLSQP`` minimises the total compressor power
[MW] subject to every bound (the same simulator in the loop). Every state evaluated is
remembered; the answer is the feasible one with the least power, else the one with the least
penalty.

*Discrete phase*: start from the input's modes and from "everything active" (compressors in
``ratio``, regulators in ``p_out``), keep the better, then move to the best configuration that
differs in one element's mode while that lowers the penalty (steepest descent over modes).
Once feasible, single mode changes that keep feasibility and lower the power are taken the
same way (e.g. a compressor whose best ratio is 1 goes to ``bypass``).
"""

from __future__ import annotations

import contextlib
import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import least_squares, minimize

from gasunion.errors import GasunionError
from gasunion.optimize._operate_eval import Evaluation, Evaluator
from gasunion.optimize._operate_space import Config, DecisionSpace, Variable


class _BudgetError(Exception):
    """The simulation budget of a phase is spent."""


@dataclass
class Outcome:
    """The best state found for one configuration."""

    config: Config
    variables: list[Variable]
    best: Evaluation  #: feasible with least power, else least penalty
    penalty: float  #: sum of squared scaled excesses of ``best``
    evaluator: Evaluator | None = None
    history: list[float] = field(default_factory=list)

    @property
    def feasible(self) -> bool:
        return self.best.feasible

    def key(self) -> tuple[int, float]:
        """Ordering: feasible first by power, then by penalty."""
        return (0, self.best.power_mw) if self.feasible else (1, self.penalty)


class Search:
    """Local search over the modes of ``space``, continuous set-points per configuration."""

    def __init__(self, space: DecisionSpace, friction: str, z: str, objective: str,
                 progress: Callable[[str], None], max_simulations: int,
                 per_config: int) -> None:
        self.space = space
        self.friction = friction
        self.z = z
        self.objective = objective
        self.progress = progress
        self.max_simulations = max_simulations
        self.per_config = per_config
        self.counter = [0]
        self.screen_budget = 40  #: simulations to screen one neighbour
        self.n_full = 3  #: screened neighbours solved in full per step
        self.done: dict[Config, Outcome] = {}

    # ------------------------------------------------------------------ one configuration
    def solve(self, config: Config, power: bool = False,
              start: dict[tuple[str, str], float] | None = None) -> Outcome | None:
        """Best state of ``config`` (memoised; ``power=True`` also minimises the power)."""
        got = self.done.get(config)
        if got is not None and (not power or not got.feasible or got.history):
            return got
        if got is None:
            got = self._feasibility(config, start)
            if got is None:
                return None
            self.done[config] = got
        if power and got.feasible and self.objective == "power":
            self._min_power(got)
        return got

    def _feasibility(self, config: Config, start: dict[tuple[str, str], float] | None = None,
                     only: set[tuple[str, str]] | None = None, budget: int | None = None
                     ) -> Outcome | None:
        """Least-penalty set-points of ``config`` from ``start`` ((component, id) -> value;
        default: each element's start), moving only the elements ``only`` (default all)."""
        variables = self.space.variables(config)
        keys = [(v.component, v.id, v.column) for v in variables]
        ev = self._evaluator(config, keys)
        if ev is None:
            return None
        start = start or {}
        x0 = np.array([min(max(start.get((v.component, v.id), v.start), v.lower), v.upper)
                       for v in variables])
        move = np.array([only is None or (v.component, v.id) in only for v in variables],
                        dtype=bool)
        first = ev.evaluate(x0)
        if ev.labels is None:
            return None
        out = Outcome(config, variables, first, _penalty(ev, first), ev)
        if not move.any() or first.feasible:
            return out
        lo = np.array([v.lower for v in variables])
        span = np.array([v.upper - v.lower for v in variables])
        limit = self.counter[0] + (budget or self.per_config)

        def fun(u: np.ndarray) -> np.ndarray:
            if self.counter[0] >= min(limit, self.max_simulations):
                raise _BudgetError
            x = x0.copy()
            x[move] = lo[move] + u * span[move]
            e = ev.evaluate(x)
            self._keep(out, e, ev)
            r = ev.residuals(e)
            if not np.any(r):
                raise _BudgetError  # every bound holds with margin: done
            return r

        span_safe = np.where(span > 0, span, 1.0)
        u0 = np.clip((x0 - lo) / span_safe, 0.0, 1.0)[move]
        for u_start in (u0, np.full(len(u0), 0.5)):
            if out.feasible and not np.any(ev.residuals(out.best)):
                break
            with contextlib.suppress(_BudgetError):
                least_squares(fun, u_start, bounds=(0.0, 1.0), method="trf", diff_step=1e-4,
                              x_scale=1.0, xtol=1e-10, ftol=1e-12, gtol=1e-12,
                              max_nfev=50 * (len(u_start) + 1))
        return out

    def _evaluator(self, config: Config, keys: list[tuple[str, str, str]]) -> Evaluator | None:
        try:
            return Evaluator(self.space.apply(config), keys, self.friction, self.z,
                             self.counter)
        except GasunionError:  # a configuration the simulator cannot set up
            return None

    def _keep(self, out: Outcome, e: Evaluation, ev: Evaluator) -> None:
        """Remember ``e`` if it beats ``out.best``."""
        pen = _penalty(ev, e)
        if e.feasible:
            better = (not out.best.feasible or e.power_mw < out.best.power_mw - 1e-9
                      or (e.power_mw <= out.best.power_mw + 1e-9 and pen < out.penalty))
        else:
            better = not out.best.feasible and pen < out.penalty
        if better:
            out.best, out.penalty = e, pen

    def _min_power(self, out: Outcome) -> None:
        """Minimise total compressor power [MW] over the set-points, all bounds kept."""
        ev = out.evaluator
        variables = out.variables
        active = np.array([v.component == "compressors" for v in variables])
        out.history.append(out.best.power_mw)
        if ev is None or not active.any():
            return
        lo = np.array([v.lower for v in variables])
        span = np.array([v.upper - v.lower for v in variables])
        span_safe = np.where(span > 0, span, 1.0)
        rows = np.flatnonzero(np.isfinite(out.best.excess))
        cache: dict[bytes, Evaluation] = {}
        limit = self.counter[0] + self.per_config
        scale = max(out.best.power_mw, 1.0)

        def at(u: np.ndarray) -> Evaluation:
            key = np.round(u, 12).tobytes()
            e = cache.get(key)
            if e is None:
                if self.counter[0] >= min(limit, self.max_simulations):
                    raise _BudgetError
                e = ev.evaluate(lo + np.clip(u, 0.0, 1.0) * span)
                self._keep(out, e, ev)
                cache[key] = e
            return e

        def obj(u: np.ndarray) -> float:
            e = at(u)
            return e.power_mw / scale if e.ok else 1e3

        def cons(u: np.ndarray) -> np.ndarray:
            return ev.constraints(at(u), rows)

        u0 = np.clip((out.best.x - lo) / span_safe, 0.0, 1.0)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                minimize(obj, u0, method="SLSQP", bounds=[(0.0, 1.0)] * len(u0),
                         constraints=[{"type": "ineq", "fun": cons}],
                         options={"maxiter": 60, "ftol": 1e-7, "eps": 1e-5})
        except _BudgetError:
            pass
        out.history.append(out.best.power_mw)

    # ------------------------------------------------------------------ modes
    def run(self) -> Outcome:
        """The best configuration found (feasible if any was found)."""
        sp = self.space
        starts = list(dict.fromkeys([sp.initial, sp.all_active]))
        best: Outcome | None = None
        for cfg in starts:
            if best is not None and best.feasible and best.best.power_mw <= 0.0:
                break  # no power at all: nothing to improve
            o = self.solve(cfg)
            self.progress(f"start {self._name(cfg)}: {_state(o)} "
                          f"({self.counter[0]} simulations)")
            if o is not None and (best is None or o.key() < best.key()):
                best = o
        if best is None:
            raise RuntimeError("no configuration could be simulated")
        best = self._descend(best, feasible_phase=False)
        if best.feasible and best.best.power_mw > 0.0:
            best = self.solve(best.config, power=True) or best
            best = self._descend(best, feasible_phase=True)
        return best

    def _descend(self, cur: Outcome, feasible_phase: bool) -> Outcome:
        """Steepest descent over single mode changes: by penalty until feasible (each
        neighbour screened with only its changed element's set-point moving, the best few
        then solved in full), then by power among feasible ones (compressor changes)."""
        step = 0
        while self.counter[0] < self.max_simulations:
            if cur.feasible and not feasible_phase:
                return cur
            step += 1
            vals = _values(cur)
            if feasible_phase:
                cands = [o for cfg in self._neighbours(cur.config, {"compressors"})
                         if (o := self.solve(cfg, power=True, start=vals)) is not None
                         and o.feasible]
            else:
                cands = self._screened(cur, vals)
            cand = min(cands, key=Outcome.key, default=None)
            if cand is None or not _improves(cand, cur):
                return cur
            cur = cand
            self.progress(f"step {step}: {self._name(cur.config)}: {_state(cur)} "
                          f"({self.counter[0]} simulations)")
        return cur

    def _neighbours(self, config: Config, components: set[str] | None = None) -> list[Config]:
        out = []
        for cfg in self.space.neighbours(config):
            if self.counter[0] >= self.max_simulations:
                break
            i = next(i for i, (a, b) in enumerate(zip(cfg, config, strict=True)) if a != b)
            if components is None or self.space.elements[i].component in components:
                out.append(cfg)
        return out

    def _screened(self, cur: Outcome, vals: dict[tuple[str, str], float]) -> list[Outcome]:
        """Neighbours of ``cur``: screened cheaply, the best few solved in full."""
        screened = []
        for cfg in self._neighbours(cur.config):
            o = self.done.get(cfg)
            if o is None:
                i = next(i for i, (a, b) in enumerate(zip(cfg, cur.config, strict=True))
                         if a != b)
                o = self._feasibility(cfg, vals, {self.space.elements[i].key},
                                      budget=self.screen_budget)
            if o is not None:
                screened.append(o)
        screened.sort(key=Outcome.key)
        full = []
        for o in screened[:self.n_full]:
            f = self.solve(o.config, start=_values(o))
            if f is not None:
                full.append(f)
        return full

    def _name(self, cfg: Config) -> str:
        parts = [f"{e.id}={m}" for e, m in zip(self.space.elements, cfg, strict=True)
                 if e.component != "sources"]
        text = ", ".join(parts) or "no modes"
        return text if len(text) < 120 else text[:117] + "..."


def _improves(new: Outcome, cur: Outcome) -> bool:
    a, b = new.key(), cur.key()
    return a[0] < b[0] or (a[0] == b[0] and a[1] < b[1] - 1e-9 * max(1.0, abs(b[1])))


def _values(o: Outcome) -> dict[tuple[str, str], float]:
    """Set-point per (component, id) of the best state of ``o``."""
    return {(v.component, v.id): float(x) for v, x in zip(o.variables, o.best.x, strict=True)}


def _penalty(ev: Evaluator, e: Evaluation) -> float:
    return float(np.sum(ev.residuals(e) ** 2)) if e.ok else math.inf


def _state(o: Outcome | None) -> str:
    if o is None:
        return "cannot be simulated"
    if o.feasible:
        return f"feasible, power {o.best.power_mw:.4g} MW"
    return f"worst excess {o.best.worst:.4g}, penalty {o.penalty:.4g}"
