"""Evaluate one operating configuration with the prepared simulator.

For a fixed set of modes (a :data:`~._operate_space.Config`) a
:class:`~gasunion.simulation.prepared.Simulator` is built once; a vector of continuous
set-points (ratios [-], pressures [bar]) then goes into its prepared arrays (no rebuilding)
and one warm-started Newton solve gives the steady state. From it :class:`Evaluator` returns
the *bound excess* of every bound the simulator checks (the very checks behind
``SimulationResult.violations``: junction and pipe pressures, flows, compressor ratio, power,
suction and discharge pressure) plus the regulator bounds the simulator does not check
(``p_in_min_bar``, ``p_out_max_bar``, ``p_diff_min_bar``/``p_diff_max_bar``) and the
direction of flow through active compressors and regulators. Excess > 0 is a violation, in
the bound's unit (bar, kg/s, MW, -).

Pressures enter the checks as signed square roots of the solver's squared pressures, so a
state with a negative squared pressure still gives a graded penalty.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from gasunion.network import Network
from gasunion.simulation.prepared import Simulator

#: relative check tolerance: a bound counts as met when excess <= FEAS_TOL * max(1, |bound|)
#: (the simulator flags excess > 1e-6 * max(1, |bound|); ten times stricter here)
FEAS_TOL = 1e-7
#: the continuous phase aims this far inside every bound (relative, as FEAS_TOL)
MARGIN = 1e-4
#: penalty scale per unit: 1 bar ~ 0.02 in a ratio ~ 1 kg/s ~ 1 MW
UNIT_SCALE = {"bar": 1.0, "-": 0.02, "kg/s": 1.0, "MW": 1.0}
FIELD_UNIT = {"p_bar": "bar", "p_from_bar": "bar", "p_to_bar": "bar", "ratio": "-",
              "mass_flow_kg_s": "kg/s", "power_mw": "MW", "p_in_bar": "bar",
              "p_out_bar": "bar", "p_diff_bar": "bar"}


@dataclass
class Evaluation:
    """One steady state of a configuration."""

    x: np.ndarray  #: set-points (in the order of the evaluator's variables)
    ok: bool  #: the simulator converged (a state exists)
    excess: np.ndarray  #: per check, value beyond its bound (<= 0: met) [bound's unit]
    tol: np.ndarray  #: per check, the tolerance of "met" [bound's unit]
    power_mw: float  #: total compressor shaft power [MW]
    message: str = ""

    @property
    def feasible(self) -> bool:
        return self.ok and bool(np.all(self.excess <= self.tol))

    @property
    def worst(self) -> float:
        """Largest excess beyond tolerance (<= 0 when feasible; inf when not converged)."""
        if not self.ok:
            return math.inf
        return float(np.max(self.excess - self.tol, initial=0.0))


class Evaluator:
    """One configuration (network with modes set) prepared for fast set-point changes.

    ``variables`` lists ``(component, id, column)`` of the continuous set-points; ``counter``
    is a one-element list counting simulations across evaluators.
    """

    def __init__(self, net: Network, variables: list[tuple[str, str, str]], friction: str,
                 z: str, counter: list[int]) -> None:
        self.net = net
        self.variables = variables
        self.counter = counter
        self.sim = Simulator(net, friction=friction, z=z, copy=False)
        self.labels: pd.DataFrame | None = None  #: component, id, field, kind, bound, unit
        self._scale: np.ndarray | None = None
        self._margin: np.ndarray | None = None
        cv = net.control_valves
        self._cv_pout = (cv["mode"].to_numpy(str) == "p_out") & cv["in_service"].to_numpy(bool)
        self._cv_flow = (cv["mode"].to_numpy(str) != "closed") & cv["in_service"].to_numpy(bool)
        c = net.compressors
        self._comp_active = (c["mode"].isin(["ratio", "p_out"]).to_numpy()
                             & c["in_service"].to_numpy(bool))
        self.failed = False  #: a set-up error: no variant of this configuration solves

    def evaluate(self, x: np.ndarray) -> Evaluation:
        """The steady state with set-points ``x`` (failures give ``ok=False``)."""
        self.counter[0] += 1
        changes = {v: float(xi) for v, xi in zip(self.variables, x, strict=True)}
        out = self.sim.solve(changes)
        st = out.state
        if st is None or not out.summary.get("converged", False):
            if st is None and self.labels is None:
                self.failed = True
            msg = out.error.message if out.error is not None else "no state"
            n = 0 if self.labels is None else len(self.labels)
            return Evaluation(np.asarray(x, float), False, np.full(n, np.inf), np.zeros(n),
                              math.inf, msg)
        k = out.case.kernel
        b = out.builder
        power = b.compressor_rows(k, st)["power_mw"]
        pi = st.pi
        signed = np.where(np.isfinite(pi), np.sign(pi) * np.sqrt(np.abs(pi)), st.p_bar)
        sst = dataclasses.replace(st, p_bar=np.nan_to_num(signed), cache={})
        rows = []
        for comp, fld, value, bound, upper, active in b.bound_checks(k, sst):
            rows.append((comp, fld, np.asarray(value, float), np.asarray(bound, float), upper,
                         np.asarray(active, bool)))
        rows += self._element_checks(b, k, sst)
        excess, bound = self._flatten(rows)
        tol = FEAS_TOL * np.maximum(1.0, np.abs(np.nan_to_num(bound)))
        return Evaluation(np.asarray(x, float), True, excess, tol,
                          float(np.nansum(np.where(self._comp_active, power, 0.0))))

    def _element_checks(self, b: object, k: object, st: object) -> list[tuple[
            str, str, np.ndarray, np.ndarray, bool, np.ndarray]]:
        """Flow direction of active compressors and regulators (not a bound of the simulator:
        an active unit must pass gas forwards)."""
        out = []
        net = self.net
        c = net.compressors
        if len(c):
            q = b.branch_flows(k, st, "compressors")  # type: ignore[attr-defined]
            out.append(("compressors", "mass_flow_kg_s", q, np.zeros(len(c)), False,
                        self._comp_active))
        cv = net.control_valves
        if len(cv):  # the regulator's pressure bounds are among the simulator's bound checks
            q = b.branch_flows(k, st, "control_valves")  # type: ignore[attr-defined]
            out.append(("control_valves", "mass_flow_kg_s", q, np.zeros(len(cv)), False,
                        self._cv_pout))
        return out

    def _flatten(self, rows: list[tuple[str, str, np.ndarray, np.ndarray, bool, np.ndarray]]
                 ) -> tuple[np.ndarray, np.ndarray]:
        ex, bd = [], []
        for _comp, _fld, value, bound, upper, active in rows:
            e = (value - bound) if upper else (bound - value)
            use = active & np.isfinite(bound)
            ex.append(np.where(use, np.nan_to_num(e, nan=0.0), -np.inf))
            bd.append(np.where(use, bound, np.nan))
        if self.labels is None:
            parts = []
            for comp, fld, _v, _b, upper, _a in rows:
                ids = (self.net.junctions.index if comp == "junctions"
                       else self.net[comp].index)
                parts.append(pd.DataFrame({"component": comp, "id": ids.astype(str),
                                           "field": fld, "kind": "max" if upper else "min",
                                           "unit": FIELD_UNIT.get(fld, "")}))
            self.labels = pd.concat(parts, ignore_index=True)
        return np.concatenate(ex), np.concatenate(bd)

    # ------------------------------------------------------------------ penalties
    def residuals(self, ev: Evaluation) -> np.ndarray:
        """Scaled amounts by which ``ev`` misses each bound minus a small inside margin
        (>= 0; all zero when every bound holds with the margin)."""
        assert self.labels is not None
        if self._scale is None:
            self._scale = self.labels["unit"].map(UNIT_SCALE).fillna(1.0).to_numpy(float)
        if not ev.ok:
            return np.full(len(self.labels), 1e3)
        margin = ev.tol * (MARGIN / FEAS_TOL)
        return np.maximum(ev.excess + margin, 0.0) / self._scale

    def constraints(self, ev: Evaluation, rows: np.ndarray) -> np.ndarray:
        """Scaled slack of the checks ``rows`` (>= 0: met with the margin), for SLSQP."""
        residual_rows = self.residuals(ev)  # sets the scale
        del residual_rows
        assert self._scale is not None
        if not ev.ok:
            return np.full(len(rows), -1e3)
        margin = ev.tol * (MARGIN / FEAS_TOL)
        return -(ev.excess[rows] + margin[rows]) / self._scale[rows]

    def violations(self, ev: Evaluation) -> pd.DataFrame:
        """The checks ``ev`` breaks: component, element, constraint, amount, unit."""
        if self.labels is None or not ev.ok:
            return pd.DataFrame({"constraint": ["steady state"], "component": [""],
                                 "element": [""], "amount": [math.nan], "unit": [""],
                                 "explanation": [ev.message or "no steady state"]})
        bad = ev.excess > ev.tol
        lab = self.labels[bad]
        return pd.DataFrame({
            "constraint": (lab["field"] + " " + lab["kind"]).to_numpy(),
            "component": lab["component"].to_numpy(), "element": lab["id"].to_numpy(),
            "amount": ev.excess[bad], "unit": lab["unit"].to_numpy(),
            "explanation": [f"{f} beyond its {k} bound by {a:.4g} {u}" for f, k, a, u in zip(
                lab["field"], lab["kind"], ev.excess[bad], lab["unit"], strict=True)]})


def make_progress(progress: Callable[[str], None] | None) -> Callable[[str], None]:
    """``progress`` or a no-op."""
    return progress if progress is not None else (lambda _msg: None)
