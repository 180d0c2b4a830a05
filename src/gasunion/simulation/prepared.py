"""A prepared simulator: validate and build once, then solve many variants of a network.

``sim = Simulator(net, friction=..., z=...)`` validates the network, builds the solver arrays
(:mod:`.model`), the Newton kernel with its linear-system pattern and fill-reducing order
(:mod:`.newton`) and the compressibility model once. ``sim.run()`` equals
``simulate(net, ...)``; ``sim.run(changes)`` solves the network with some values changed,
each run relative to the network given at construction (changes do not accumulate), starting
from the last solution (warm start).

``changes`` maps ``(component, element, column)`` to a value, e.g.
``{("sinks", "N5", "mass_flow_kg_s"): 42.0, ("pipes", "P7", "in_service"): False}`` (a dict,
a ``pandas.Series`` with a three-level index, or ``(component, element, column, value)``
tuples). Set-point changes that keep the structure of the equations are applied to the
prepared arrays directly (no rebuilding):

* ``mass_flow_kg_s`` of flow-controlled sources, sinks and storages;
* ``p_set_bar`` of pressure-controlled sources and sinks;
* ``ratio_set`` of compressors in mode ``ratio``, ``p_out_set_bar`` of compressors and control
  valves in mode ``p_out``, ``pressure_loss_bar`` of fixed-loss resistors;
* bounds (``p_min_bar``, ``p_max_bar``, ``mass_flow_min_kg_s``, ...), which only change what
  counts as a violation.

Anything else (elements in or out of service, modes, valve positions, a flow set-point that
replaces a pressure set-point, pipe data) changes the structure: that variant is validated
and built anew (and kept in a small cache), with a cold start.
"""

from __future__ import annotations

import dataclasses
import math
import time
import warnings
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from gasunion.errors import GasunionError, MissingDependencyError, ValidityRangeWarning
from gasunion.network import Network
from gasunion.physics.compressibility import make_z_model
from gasunion.simulation.changes import Grouped, apply_changes, normalize_changes
from gasunion.simulation.diagnosis import infeasibilities, largest_residuals
from gasunion.simulation.laws import PLOSS, POUT, RATIO
from gasunion.simulation.model import SimModel, SimulationSetupError, build_model
from gasunion.simulation.newton import Kernel, NewtonOptions
from gasunion.simulation.results import (
    ResultBuilder,
    SimulationError,
    SimulationResult,
    State,
    state_of,
)
from gasunion.simulation.solver import NewtonState, solve
from gasunion.simulation.topology import check_pressure_links

FRICTION_MODELS = ("nikuradse", "colebrook", "hofer", "weymouth", "stanet_nikuradse",
                   "stanet_colebrook")

_BOUND_SUFFIXES = ("_min_bar", "_max_bar", "_min_kg_s", "_max_kg_s", "ratio_min", "ratio_max")
_SETPOINTS = {
    ("sources", "mass_flow_kg_s"), ("sinks", "mass_flow_kg_s"), ("storages", "mass_flow_kg_s"),
    ("sources", "p_set_bar"), ("sinks", "p_set_bar"), ("compressors", "ratio_set"),
    ("compressors", "p_out_set_bar"), ("control_valves", "p_out_set_bar"),
    ("resistors", "pressure_loss_bar"),
}


@dataclasses.dataclass
class _Case:
    """One structure of the equations: tables, solver arrays, kernel, result builder."""

    net: Network
    model: SimModel
    kernel: Kernel
    builder: ResultBuilder
    x_last: np.ndarray | None = None  #: last converged solution (warm start)
    eps_last: np.ndarray | None = None  #: its fixed-loss smoothing widths
    cold_iterations: int = 0  #: Newton iterations of the last cold start
    #: warm-start mode -> [total iterations, runs]
    warm_stats: dict[str, list[int]] = dataclasses.field(
        default_factory=lambda: {"newton": [0, 0], "picard": [0, 0]})

    def warm_mode(self) -> str:
        """Plain Newton from the last solution, unless it has needed about as many iterations
        as a cold start; then linearised steps first (``"picard"``) while they do better."""
        (tn, nn), (tp, np_) = self.warm_stats["newton"], self.warm_stats["picard"]
        if nn == 0:
            return "newton"
        if np_ == 0:
            slow = tn / nn >= 0.8 * max(self.cold_iterations, 1)
            return "picard" if slow else "newton"
        return "picard" if tp / np_ < tn / nn else "newton"


@dataclasses.dataclass
class Outcome:
    """One solve: the kernel, its state arrays and the summary (no tables built)."""

    case: _Case
    net: Network
    newton: NewtonState
    state: State | None
    summary: dict[str, Any]
    error: SimulationError | None = None
    #: changed columns of the case's tables (set-point and bound changes): (component,
    #: column) -> the whole column with the changes
    overrides: dict[tuple[str, str], np.ndarray] = dataclasses.field(default_factory=dict)

    @property
    def builder(self) -> ResultBuilder:
        """The result builder of this outcome (with its changed columns)."""
        b = self.case.builder
        return b.with_overrides(self.overrides) if self.overrides else b


class Simulator:
    """Steady-state simulator of one network, prepared once for many runs.

    Parameters as :func:`gasunion.simulate`. ``run(changes)`` returns a
    :class:`~gasunion.simulation.results.SimulationResult`; ``solve(changes)`` the arrays only
    (what :func:`gasunion.sweep` uses).
    """

    def __init__(self, net: Network, friction: str = "nikuradse", z: str = "papay", *,
                 tol: float = 1e-10, max_iter: int = 60, slack: str = "auto",
                 progress: Callable[[float], None] | None = None, cache_size: int = 8,
                 copy: bool = True, linear_solver: str = "auto") -> None:
        if friction not in FRICTION_MODELS:
            raise SimulationSetupError(
                f"friction must be one of {', '.join(FRICTION_MODELS)}, got {friction!r}")
        if slack not in ("auto", "none"):
            raise SimulationSetupError(f"slack must be 'auto' or 'none', got {slack!r}")
        self.friction = friction
        self.z = z
        self.slack = slack
        if linear_solver not in ("auto", "klu", "superlu"):
            raise SimulationSetupError(f"linear_solver must be auto, klu or superlu, got "
                                       f"{linear_solver!r}")
        self.options = NewtonOptions(friction=friction, tol=tol, max_iter=max_iter,
                                     linear_solver=linear_solver)
        self.gas = net.gas
        try:
            self.z_model = make_z_model(z, net.gas, **({"progress": progress} if progress else {}))
        except MissingDependencyError:
            raise
        except GasunionError as exc:
            raise SimulationError("setup", str(exc)) from None
        except (ValueError, ImportError) as exc:
            raise SimulationError("setup", f"z={z!r}: {exc}") from None
        self._cache: OrderedDict[frozenset[Any], _Case] = OrderedDict()
        self._cache_size = cache_size
        self._elig: dict[tuple[str, str], np.ndarray] | None = None
        self._row_cache: dict[tuple[str, tuple[str, ...]], np.ndarray] = {}
        # a copy keeps the prepared state independent of later edits of ``net``
        self.base = self._build(net.copy() if copy else net)

    # ------------------------------------------------------------------ building
    def _build(self, net: Network) -> _Case:
        report = net.validate()
        if report.errors:
            diag = report.to_frame()
            raise SimulationError("setup", f"network {net.name!r} is invalid:",
                                  diag[diag.severity == "error"])
        _check_friction_inputs(net, self.friction)
        try:
            m = build_model(net, slack=self.slack, island_labels=report.islands,
                            positions=report.positions)
        except SimulationSetupError as exc:
            raise SimulationError("setup", str(exc)) from None
        try:
            k = Kernel(m, self.z_model, net.gas.r_specific, net.gas.temperature_k,
                       net.gas.viscosity_pa_s, self.options)
        except RuntimeError as exc:  # linear_solver="klu" without the library
            raise SimulationError("setup", str(exc)) from None
        return _Case(net=net, model=m, kernel=k, builder=ResultBuilder(net, report.positions))

    def _case_for(self, changes: Grouped
                  ) -> tuple[_Case, Network, dict[tuple[str, str], np.ndarray]]:
        """The case to solve, the tables of its results and column overrides for them."""
        if not changes:
            b = self.base
            if b.kernel.m is not b.model:
                b.kernel.set_values(b.model, keep_scales=True)
            return b, b.net, {}
        fast, structural = self._classify(changes)
        if structural:
            key = frozenset(((c, col), tuple(ids), tuple(_hashable(v) for v in vals))
                            for (c, col), (ids, vals) in changes.items())
            case = self._cache.get(key)
            if case is None:
                case = self._build(apply_changes(self.base.net, changes))
                self._cache[key] = case
                if len(self._cache) > self._cache_size:
                    self._cache.popitem(last=False)
            else:
                self._cache.move_to_end(key)
            return case, case.net, {}
        b = self.base
        b.kernel.set_values(self._model_with(fast), keep_scales=True)
        overrides = {}
        for (comp, col), (ids, vals) in changes.items():
            arr = b.net[comp][col].to_numpy(dtype=float, copy=True)
            arr[self._rows(comp, ids)] = np.asarray(vals, dtype=float)
            overrides[(comp, col)] = arr
        return b, b.net, overrides

    def _eligibility(self) -> dict[tuple[str, str], np.ndarray]:
        """Per (component, set-point column): for each table row, the index its value goes to
        in the solver arrays (junction for node elements, branch for branches), or -1 where a
        change of that value alters the structure. Built once."""
        if self._elig is not None:
            return self._elig
        m = self.base.model
        net = self.base.net
        jid = m.junction_ids
        out: dict[tuple[str, str], np.ndarray] = {}
        slack = m.slack_elements
        per_node = np.bincount(slack["node"].to_numpy(int), minlength=m.n_nodes)
        for comp in ("sources", "sinks", "storages"):
            df = net[comp]
            on = df["in_service"].to_numpy(bool)
            node = jid.get_indexer(df["junction"]) if len(df) else np.zeros(0, int)
            has_p = (np.isfinite(df["p_set_bar"].to_numpy(float)) if comp != "storages"
                     else np.zeros(len(df), bool))
            is_slack = df.index.isin(slack.loc[slack["component"] == comp, "id"])
            flow_ok = on & ~has_p & ~is_slack & np.isfinite(df["mass_flow_kg_s"].to_numpy(float))
            out[(comp, "mass_flow_kg_s")] = np.where(flow_ok, node, -1)
            if comp != "storages":
                p_ok = on & has_p & (per_node[np.maximum(node, 0)] == 1)
                out[(comp, "p_set_bar")] = np.where(p_ok, node, -1)
        grouped = (m.unit_rep != np.arange(m.n_branches)) | (
            np.bincount(m.unit_rep, minlength=m.n_branches) > 1)
        for comp, col, law in (("compressors", "ratio_set", RATIO),
                               ("compressors", "p_out_set_bar", POUT),
                               ("control_valves", "p_out_set_bar", POUT),
                               ("resistors", "pressure_loss_bar", PLOSS)):
            rowmap = np.full(len(net[comp]), -1)
            sel = m.branch_slices[comp]
            ok = (m.law[sel] == law) & (m.law_set[sel] == law) & ~grouped[sel]
            rowmap[m.branch_row[sel][ok]] = sel[ok]
            out[(comp, col)] = rowmap
        self._elig = out
        return out

    def _rows(self, comp: str, ids: list[str]) -> np.ndarray:
        """Rows of elements ``ids`` in the base table ``comp`` (-1 if unknown), memoised: a
        sweep names the same elements in every scenario."""
        key = (comp, tuple(ids))
        rows = self._row_cache.get(key)
        if rows is None:
            if len(self._row_cache) > 256:
                self._row_cache.clear()
            rows = self.base.net[comp].index.get_indexer(ids)
            self._row_cache[key] = rows
        return rows

    def _classify(self, changes: Grouped
                  ) -> tuple[dict[tuple[str, str], tuple[np.ndarray, np.ndarray, np.ndarray]],
                             bool]:
        """Split changes into set-point changes the prepared arrays can take (grouped by
        (component, column): table rows, target indices, values) and whether any change
        alters the structure (then the variant is built anew)."""
        net = self.base.net
        m = self.base.model
        elig = self._eligibility()
        fast = {}
        for (comp, col), (ids, vals) in changes.items():
            rows = self._rows(comp, ids) if comp in net.components else None
            if rows is None or (rows < 0).any():
                return {}, True  # apply_changes names the unknown element
            if col.endswith(_BOUND_SUFFIXES) or col in ("power_max_mw", "p_in_min_bar",
                                                          "p_out_max_bar"):
                if comp == "compressors" and col in ("power_max_mw", "mass_flow_max_kg_s"):
                    # these set the load sharing of parallel units
                    sel = m.branch_slices["compressors"]
                    shared = np.zeros(len(net.compressors), bool)
                    shared[m.branch_row[sel]] = m.unit_share[sel] != 1.0
                    if shared[rows].any():
                        return {}, True
                continue
            if (comp, col) not in elig:
                return {}, True
            try:
                x = np.asarray(vals, dtype=float)
            except (TypeError, ValueError):
                return {}, True
            target = elig[(comp, col)][rows]
            if not np.isfinite(x).all() or (target < 0).any():
                return {}, True
            fast[(comp, col)] = (rows, target, x)
        return fast, False

    def _model_with(self, fast: dict[tuple[str, str], tuple[np.ndarray, np.ndarray, np.ndarray]]
                    ) -> SimModel:
        """The base solver arrays with set-point changes applied."""
        m = self.base.model
        net = self.base.net
        inj = m.injection_kg_s.copy()
        pfix = m.p_fixed_bar.copy()
        ratio = m.ratio.copy()
        pset = m.p_set_bar.copy()
        dp = m.dp_loss_bar.copy()
        for (comp, col), (rows, target, x) in fast.items():
            if col == "mass_flow_kg_s":
                old = net[comp]["mass_flow_kg_s"].to_numpy(float)[rows]
                sign = -1.0 if comp == "sinks" else 1.0
                inj += np.bincount(target, weights=sign * (x - old), minlength=len(inj))
            elif col == "p_set_bar":
                pfix[target] = x
            elif col == "ratio_set":
                ratio[target] = x
            elif col == "p_out_set_bar":
                pset[target] = x
            else:
                dp[target] = x
        new = dataclasses.replace(m, injection_kg_s=inj, p_fixed_bar=pfix, ratio=ratio,
                                  p_set_bar=pset, dp_loss_bar=dp)
        if ("compressors", "ratio_set") in fast:
            check_pressure_links(new.law, new.fr, new.to, ratio, new.fixed, pfix,
                                 m.junction_ids, new.branch_component, new.branch_id)
        return new

    # ------------------------------------------------------------------ solving
    def solve(self, changes: Any = None, *, warm: bool = True,
              progress: Callable[[int, float], None] | None = None) -> Outcome:
        """Solve one variant; returns arrays and the summary, never raises for a failed
        solve (``Outcome.error`` holds the :class:`SimulationError`)."""
        ch = normalize_changes(changes)
        try:
            case, view, overrides = self._case_for(ch)
        except SimulationSetupError as exc:
            err = SimulationError("setup", str(exc))
            return Outcome(self.base, self.base.net, NewtonState(x=np.zeros(0)), None,
                           {"converged": False, "ok": False, "error": "setup",
                            "message": str(exc)}, err)
        except SimulationError as exc:
            return Outcome(self.base, self.base.net, NewtonState(x=np.zeros(0)), None,
                           {"converged": False, "ok": False, "error": exc.kind,
                            "message": exc.message}, exc)
        k = case.kernel
        gas = self.gas
        lhv = gas.lower_heating_value_mj_kg * 1e6
        try:
            x0 = case.x_last if warm and case.x_last is not None else None
            if x0 is not None and case.eps_last is not None:
                k.eps_loss = case.eps_last.copy()
            # warm start: Newton from the last solution; where that has needed about as many
            # iterations as a cold start (large meshed grids: flows that change direction),
            # two linearised steps around the last solution's flows come first
            mode = case.warm_mode()
            st = solve(k, lhv, gas.kappa, progress=progress, x0=x0,
                       warm_steps=2 if mode == "picard" else 0)
            if x0 is None:
                case.cold_iterations = st.iterations
            else:
                case.warm_stats[mode][0] += st.iterations
                case.warm_stats[mode][1] += 1
            if not st.converged and x0 is not None:  # fall back to a cold start
                k.set_values(k.m)
                st = solve(k, lhv, gas.kappa, progress=progress)
            state = state_of(k, st.x, gas.kappa)
        except GasunionError as exc:
            err = SimulationError("setup", str(exc))
            return Outcome(case, view, NewtonState(x=np.zeros(0)), None,
                           {"converged": False, "ok": False, "error": "setup",
                            "message": str(exc)}, err)
        except Exception as exc:  # a defect inside gasunion, not in the input
            msg = (f"internal error in the solver ({type(exc).__name__}: {exc}); this is a "
                   "defect of gasunion, not of the input: please report it with the network")
            err = SimulationError("internal", msg)
            err.__cause__ = exc
            return Outcome(case, view, NewtonState(x=np.zeros(0)), None,
                           {"converged": False, "ok": False, "error": "internal",
                            "message": msg}, err)
        if st.converged:
            case.x_last = st.x.copy()
            case.eps_last = k.eps_loss.copy()
        summary = self._summary(case, view, st, state)
        failure: SimulationError | None = None
        if not st.converged:
            msg = (f"not converged after {st.iterations} iteration"
                   f"{'' if st.iterations == 1 else 's'} (scaled residual "
                   f"{st.residual_norm:.3g} > tol {self.options.tol:g})"
                   f"{': ' + st.message if st.message else ''}; elements with the largest "
                   "residuals:")
            summary["message"] = msg
            failure = SimulationError("not_converged", msg, largest_residuals(k, st.x))
        else:
            bad = infeasibilities(k, st.x)
            summary["feasible"] = not len(bad)
            if len(bad):
                msg = "physically impossible steady state:"
                summary["message"] = msg
                failure = SimulationError("infeasible", msg, bad)
        summary["ok"] = failure is None
        return Outcome(case, view, st, state, summary, failure, overrides)

    def _summary(self, case: _Case, view: Network, st: NewtonState, state: State
                 ) -> dict[str, Any]:
        k = case.kernel
        m = k.m
        notes = list(view.meta.get("assumptions", [])) + m.assumptions + k.smoothing_notes(st.x)
        notes += _range_notes(self.z_model, state.p_bar)
        return {
            "network": view.name,
            "converged": bool(st.converged),
            "iterations": st.iterations,
            "factorizations": k.factorizations,
            "linear_solver": k.linear_solver,
            "residual_norm": st.residual_norm,
            "solve_time_s": st.solve_time_s,
            "lu_time_s": st.lu_time_s,
            "max_mass_balance_error_kg_s": state.max_balance_error,
            "total_injection_kg_s": float(np.sum(np.maximum(state.injection, 0.0))),
            "settings": {"friction": self.friction, "z": self.z, "tol": self.options.tol,
                         "max_iter": self.options.max_iter, "slack": self.slack,
                         "temperature_k": self.gas.temperature_k},
            "assumptions": notes,
        }

    def run(self, changes: Any = None, *, raise_on_failure: bool = True, warm: bool = True,
            progress: Callable[[int, float], None] | None = None) -> SimulationResult:
        """Solve (with ``changes`` applied to the network given at construction) and return
        the result tables; a failure raises :class:`SimulationError` (with the last iterate
        as ``.result`` where there is one) unless ``raise_on_failure=False``."""
        t0 = time.perf_counter()
        out = self.solve(changes, warm=warm, progress=progress)
        if out.state is None:
            assert out.error is not None
            raise out.error
        res = out.builder.result(out.case.kernel, out.state, self.friction, out.summary)
        res.summary["n_violations"] = len(res.violations)
        res.summary["wall_time_s"] = time.perf_counter() - t0
        if out.error is not None and raise_on_failure:
            out.error.result = res
            raise out.error
        return res


def _branch_of(m: SimModel, comp: str, net: Network, eid: str) -> int | None:
    """Index of element ``eid`` of ``comp`` in the solver's branch arrays (None if absent)."""
    sel = m.branch_slices.get(comp)
    if sel is None or eid not in net[comp].index:
        return None
    row = net[comp].index.get_loc(eid)
    hit = sel[m.branch_row[sel] == row]
    return int(hit[0]) if len(hit) else None


def _hashable(v: Any) -> Any:
    if isinstance(v, float) and math.isnan(v):
        return "nan"
    return v if isinstance(v, str | int | float | bool) or v is None else str(v)


def _range_notes(z_model: Any, p_bar: np.ndarray) -> list[str]:
    """Validity-range warnings of the compressibility model at the solution's pressures (also
    issued as :class:`~gasunion.errors.ValidityRangeWarning`)."""
    fn = getattr(z_model, "range_warnings", None)
    if fn is None:
        return []
    p = p_bar[np.isfinite(p_bar)]
    notes = [f"compressibility {z_model.name}: {w}" for w in fn(p * 1e5)] if len(p) else []
    for note in notes:
        warnings.warn(note, ValidityRangeWarning, stacklevel=3)
    return notes


def _check_friction_inputs(net: Network, friction: str) -> None:
    """Pipes that use the friction law (no fixed ``friction_factor``) need what the law needs:
    a finite roughness for all laws but Weymouth, a positive one for the Nikuradse laws."""
    p = net.pipes
    if not len(p) or friction == "weymouth":
        return
    k = p["roughness_mm"].to_numpy(float)
    uses_law = p["in_service"].to_numpy(bool) & ~np.isfinite(p["friction_factor"].to_numpy(float))
    bad = uses_law & ~np.isfinite(k)
    need = "finite"
    if friction in ("nikuradse", "stanet_nikuradse"):
        bad |= uses_law & (k <= 0)
        need = "positive (the fully rough law has no smooth limit; use colebrook for k = 0)"
    if bad.any():
        ids = p.index[bad]
        diag = pd.DataFrame({"component": "pipes", "id": ids, "field": "roughness_mm",
                             "value": k[bad]})
        raise SimulationError("setup", f"friction={friction!r} needs a {need} roughness_mm on "
                              f"{len(ids)} pipe(s):", diag)
