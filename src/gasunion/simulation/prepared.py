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
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from gasunion.errors import GasunionError, MissingDependencyError
from gasunion.network import Network
from gasunion.physics.compressibility import make_z_model
from gasunion.simulation.laws import PLOSS, POUT, RATIO
from gasunion.simulation.model import SimModel, SimulationSetupError, build_model
from gasunion.simulation.newton import Kernel, NewtonOptions, NewtonState, solve
from gasunion.simulation.results import (
    ResultBuilder,
    SimulationError,
    SimulationResult,
    State,
    infeasibilities,
    largest_residuals,
    state_of,
)
from gasunion.simulation.topology import check_pressure_links

FRICTION_MODELS = ("nikuradse", "colebrook", "hofer", "weymouth", "stanet_nikuradse",
                   "stanet_colebrook")

Change = tuple[str, str, str]
_BOUND_SUFFIXES = ("_min_bar", "_max_bar", "_min_kg_s", "_max_kg_s", "ratio_min", "ratio_max")
_SETPOINTS = {
    ("sources", "mass_flow_kg_s"), ("sinks", "mass_flow_kg_s"), ("storages", "mass_flow_kg_s"),
    ("sources", "p_set_bar"), ("sinks", "p_set_bar"), ("compressors", "ratio_set"),
    ("compressors", "p_out_set_bar"), ("control_valves", "p_out_set_bar"),
    ("resistors", "pressure_loss_bar"),
}


def normalize_changes(changes: Any) -> dict[Change, Any]:
    """``changes`` as a dict ``{(component, element, column): value}``."""
    if changes is None:
        return {}
    if isinstance(changes, pd.Series):
        if changes.index.nlevels != 3:
            raise SimulationSetupError("changes: a Series needs a three-level index "
                                       "(component, element, column)")
        return {(str(c), str(e), str(col)): v for (c, e, col), v in changes.items()}
    if isinstance(changes, Mapping):
        out = {}
        for key, v in changes.items():
            if not (isinstance(key, tuple) and len(key) == 3):
                raise SimulationSetupError(f"changes: key {key!r} is not (component, element, "
                                           "column)")
            out[(str(key[0]), str(key[1]), str(key[2]))] = v
        return out
    if isinstance(changes, Iterable):
        out = {}
        for item in changes:
            c, e, col, v = item
            out[(str(c), str(e), str(col))] = v
        return out
    raise SimulationSetupError(f"changes: expected a dict, Series or list of tuples, got "
                               f"{type(changes).__name__}")


def apply_changes(net: Network, changes: Mapping[Change, Any]) -> Network:
    """A copy of ``net`` with ``changes`` applied (copies only the tables that change).

    Unknown components, elements or columns raise :class:`SimulationSetupError` naming them.
    """
    by_table: dict[str, list[tuple[str, str, Any]]] = {}
    for (comp, eid, col), v in changes.items():
        by_table.setdefault(comp, []).append((eid, col, v))
    new = Network.__new__(Network)
    new.__dict__.update(net.__dict__)
    new._tables = dict(net._tables)
    for comp, items in by_table.items():
        if comp not in net._tables:
            raise SimulationSetupError(f"changes: unknown component {comp!r}")
        df = net._tables[comp].copy()
        cols: dict[str, tuple[list[str], list[Any]]] = {}
        for eid, col, v in items:
            if col not in df.columns:
                raise SimulationSetupError(f"changes: {comp} has no column {col!r} "
                                           f"(element {eid!r})")
            cols.setdefault(col, ([], []))
            cols[col][0].append(eid)
            cols[col][1].append(v)
        for col, (ids, vals) in cols.items():
            rows = df.index.get_indexer(ids)
            if (rows < 0).any():
                bad = [i for i, r in zip(ids, rows, strict=True) if r < 0]
                raise SimulationSetupError(f"changes: {comp} has no element(s) {bad[:5]} "
                                           f"(column {col!r})")
            arr = df[col].to_numpy(copy=True)
            arr[rows] = np.asarray(vals, dtype=arr.dtype)
            df[col] = arr
        new._tables[comp] = df
    return new


@dataclasses.dataclass
class _Case:
    """One structure of the equations: tables, solver arrays, kernel, result builder."""

    net: Network
    model: SimModel
    kernel: Kernel
    builder: ResultBuilder
    x_last: np.ndarray | None = None  #: last converged solution (warm start)
    eps_last: np.ndarray | None = None  #: its fixed-loss smoothing widths


@dataclasses.dataclass
class Outcome:
    """One solve: the kernel, its state arrays and the summary (no tables built)."""

    case: _Case
    net: Network
    newton: NewtonState
    state: State | None
    summary: dict[str, Any]
    error: SimulationError | None = None


class Simulator:
    """Steady-state simulator of one network, prepared once for many runs.

    Parameters as :func:`gasunion.simulate`. ``run(changes)`` returns a
    :class:`~gasunion.simulation.results.SimulationResult`; ``solve(changes)`` the arrays only
    (what :func:`gasunion.sweep` uses).
    """

    def __init__(self, net: Network, friction: str = "nikuradse", z: str = "papay", *,
                 tol: float = 1e-10, max_iter: int = 60, slack: str = "auto",
                 progress: Callable[[float], None] | None = None, cache_size: int = 8) -> None:
        if friction not in FRICTION_MODELS:
            raise SimulationSetupError(
                f"friction must be one of {', '.join(FRICTION_MODELS)}, got {friction!r}")
        if slack not in ("auto", "none"):
            raise SimulationSetupError(f"slack must be 'auto' or 'none', got {slack!r}")
        self.friction = friction
        self.z = z
        self.slack = slack
        self.options = NewtonOptions(friction=friction, tol=tol, max_iter=max_iter)
        self.gas = net.gas
        try:
            self.z_model = make_z_model(z, net.gas, **({"progress": progress} if progress else {}))
        except MissingDependencyError:
            raise
        except GasunionError as exc:
            raise SimulationError("setup", str(exc)) from None
        except (ValueError, ImportError) as exc:
            raise SimulationError("setup", f"z={z!r}: {exc}") from None
        self._cache: OrderedDict[frozenset[tuple[Change, Any]], _Case] = OrderedDict()
        self._cache_size = cache_size
        self.base = self._build(net.copy())

    # ------------------------------------------------------------------ building
    def _build(self, net: Network) -> _Case:
        report = net.validate()
        if report.errors:
            diag = report.to_frame()
            raise SimulationError("setup", f"network {net.name!r} is invalid:",
                                  diag[diag.severity == "error"])
        _check_friction_inputs(net, self.friction)
        try:
            m = build_model(net, slack=self.slack)
        except SimulationSetupError as exc:
            raise SimulationError("setup", str(exc)) from None
        k = Kernel(m, self.z_model, net.gas.r_specific, net.gas.temperature_k,
                   net.gas.viscosity_pa_s, self.options)
        return _Case(net=net, model=m, kernel=k, builder=ResultBuilder(net))

    def _case_for(self, changes: dict[Change, Any]) -> tuple[_Case, Network, bool]:
        """The case to solve and the tables for its results; whether it is the base case."""
        if not changes:
            b = self.base
            if b.kernel.m is not b.model:
                b.kernel.set_values(b.model)
            return b, b.net, True
        fast, structural = self._classify(changes)
        view = apply_changes(self.base.net, changes)
        if structural:
            key = frozenset((k, _hashable(v)) for k, v in changes.items())
            case = self._cache.get(key)
            if case is None:
                case = self._build(view)
                self._cache[key] = case
                if len(self._cache) > self._cache_size:
                    self._cache.popitem(last=False)
            else:
                self._cache.move_to_end(key)
            return case, case.net, False
        b = self.base
        b.kernel.set_values(self._model_with(fast))
        return b, view, True

    def _classify(self, changes: dict[Change, Any]) -> tuple[dict[Change, float], bool]:
        """Split changes into set-point changes the prepared arrays can take, and whether any
        change alters the structure (then the variant is built anew)."""
        m = self.base.model
        net = self.base.net
        fast: dict[Change, float] = {}
        for (comp, eid, col), v in changes.items():
            if col.endswith(_BOUND_SUFFIXES) or col in ("power_max_mw", "p_in_min_bar",
                                                          "p_out_max_bar"):
                if comp == "compressors" and col in ("power_max_mw", "mass_flow_max_kg_s"):
                    # these set the load sharing of parallel units
                    b = _branch_of(m, comp, net, eid)
                    if b is None or m.unit_share[b] != 1.0:
                        return {}, True
                continue
            if (comp, col) not in _SETPOINTS:
                return {}, True
            try:
                val = float(v)
            except (TypeError, ValueError):
                return {}, True
            if not math.isfinite(val):
                return {}, True
            if not self._fast_ok(comp, eid, col):
                return {}, True
            fast[(comp, eid, col)] = val
        return fast, False

    def _fast_ok(self, comp: str, eid: str, col: str) -> bool:
        m = self.base.model
        net = self.base.net
        df = net[comp]
        if eid not in df.index:
            return True  # apply_changes reports the unknown element
        row = df.index.get_loc(eid)
        if not bool(df["in_service"].iat[row]):
            return False
        if comp in ("sources", "sinks", "storages"):
            has_p = comp != "storages" and math.isfinite(float(df["p_set_bar"].iat[row]))
            slack = m.slack_elements
            is_slack = bool(((slack["component"] == comp) & (slack["id"] == eid)).any())
            if col == "mass_flow_kg_s":
                return not has_p and not is_slack and math.isfinite(
                    float(df["mass_flow_kg_s"].iat[row]))
            if not has_p:
                return False
            node = int(slack.loc[(slack["component"] == comp) & (slack["id"] == eid),
                                 "node"].iloc[0])
            return int((slack["node"] == node).sum()) == 1
        b = _branch_of(m, comp, net, eid)
        if b is None or m.unit_rep[b] != b or (m.unit_rep == b).sum() > 1:
            return False
        want = {"ratio_set": RATIO, "p_out_set_bar": POUT, "pressure_loss_bar": PLOSS}[col]
        return bool(m.law[b] == want and m.law_set[b] == want)

    def _model_with(self, fast: dict[Change, float]) -> SimModel:
        """The base solver arrays with set-point changes applied."""
        m = self.base.model
        net = self.base.net
        inj = m.injection_kg_s.copy()
        pfix = m.p_fixed_bar.copy()
        ratio = m.ratio.copy()
        pset = m.p_set_bar.copy()
        dp = m.dp_loss_bar.copy()
        jid = m.junction_ids
        for (comp, eid, col), v in fast.items():
            df = net[comp]
            if col == "mass_flow_kg_s":
                node = jid.get_loc(df.at[eid, "junction"])
                sign = -1.0 if comp == "sinks" else 1.0
                inj[node] += sign * (v - float(df.at[eid, "mass_flow_kg_s"]))
            elif col == "p_set_bar":
                pfix[jid.get_loc(df.at[eid, "junction"])] = v
            else:
                b = _branch_of(m, comp, net, eid)
                assert b is not None
                if col == "ratio_set":
                    ratio[b] = v
                elif col == "p_out_set_bar":
                    pset[b] = v
                else:
                    dp[b] = v
        new = dataclasses.replace(m, injection_kg_s=inj, p_fixed_bar=pfix, ratio=ratio,
                                  p_set_bar=pset, dp_loss_bar=dp)
        if any(c[2] == "ratio_set" for c in fast):
            check_pressure_links(new.law, new.fr, new.to, ratio, new.fixed, pfix,
                                 jid, new.branch_component, new.branch_id)
        return new

    # ------------------------------------------------------------------ solving
    def solve(self, changes: Any = None, *, warm: bool = True,
              progress: Callable[[int, float], None] | None = None) -> Outcome:
        """Solve one variant; returns arrays and the summary, never raises for a failed
        solve (``Outcome.error`` holds the :class:`SimulationError`)."""
        ch = normalize_changes(changes)
        try:
            case, view, _ = self._case_for(ch)
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
            st = solve(k, lhv, gas.kappa, progress=progress, x0=x0)
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
            msg = (f"not converged after {st.iterations} iterations (scaled residual "
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
        return Outcome(case, view, st, state, summary, failure)

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
        builder = out.case.builder
        if out.net is not out.case.net:
            builder = builder.rebind(out.net)
        res = builder.result(out.case.kernel, out.state, self.friction, out.summary)
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
    """Validity-range warnings of the compressibility model at the solution's pressures."""
    fn = getattr(z_model, "range_warnings", None)
    if fn is None:
        return []
    p = p_bar[np.isfinite(p_bar)]
    return [f"compressibility {z_model.name}: {w}" for w in fn(p * 1e5)] if len(p) else []


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
