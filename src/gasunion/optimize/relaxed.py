"""Linear relaxation of the steady-state network (GasModels' LRWP), solved with HiGHS.

Variables as in :mod:`gasunion.optimize.nlp` (``pi`` [bar^2], ``q`` [kg/s], source and sink
flows [kg/s]) plus ``y`` per pipe, the relaxed ``q|q|`` [(kg/s)^2]:

* pipe law, linear in ``pi`` and ``y``: ``e^{-s} pi_i - pi_j = K y`` with ``K = Z R_s T g(s) /
  A^2 [(L/D) lambda + zeta]`` (Z at each pipe's upper pressure bound; exact for Z = 1);
* ``(q, y)`` in the convex hull of the graph of ``q|q|`` over ``[q_min, q_max]`` built from the
  points of GasModels' ``construct_univariate_relaxation!`` (LP variant, partition
  ``[q_min, 0, q_max]``): the ends, the origin and the intersections of the tangents
  (``(q_min/2, 0)``, ``(q_max/2, 0)``; one-signed ranges: ``((q_min+q_max)/2, q_min q_max)``);
  flow bounds from the pressure bounds as GasModels' ``_calc_pipe_flow_max``;
* compressor: ``r_min^2 pi_i <= pi_j <= r_max^2 pi_i``, ``q >= 0`` (no power limit, no fuel);
  regulators only keep their flow bounds (on/off decouples the pressures); equal pressure and
  closed as in the NLP; fixed-loss resistors are dropped (their pressures are decoupled).

Every NLP-feasible state with Z = 1 is feasible here, so the optimum bounds the NLP's (a
lower bound for a minimisation); power and fuel terms of the objective are dropped (>= 0).
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from gasunion.optimize._highs import new_highs
from gasunion.optimize.gasmodels import GasModelsTerms, pipe_flow_bounds
from gasunion.optimize.nlp import SteadyData
from gasunion.optimize.result import OptimizationError
from gasunion.physics.constants import GRAVITY
from gasunion.physics.pipe import slope_correction

#: one block of coefficients: (row, column, coefficient), arrays or scalars broadcast together
Term = tuple[Any, Any, Any]

__all__ = ["LinearModel", "RelaxedVars", "add_relaxed_network", "hull_rows", "relaxed_cost",
           "solve_relaxation"]


class LinearModel:
    """A sparse LP/MILP assembled from vectorised blocks, solved by HiGHS (highspy)."""

    def __init__(self) -> None:
        self.lo: list[np.ndarray] = []
        self.hi: list[np.ndarray] = []
        self.cost: list[np.ndarray] = []
        self.integer: list[np.ndarray] = []
        self.n = 0
        self.rows: list[np.ndarray] = []
        self.cols: list[np.ndarray] = []
        self.vals: list[np.ndarray] = []
        self.rlo: list[np.ndarray] = []
        self.rhi: list[np.ndarray] = []
        self.m = 0

    def add_vars(self, k: int, lo: Any = -np.inf, hi: Any = np.inf, cost: Any = 0.0,
                 integer: bool = False) -> np.ndarray:
        """Add ``k`` columns; returns their indices."""
        idx = np.arange(self.n, self.n + k)
        self.lo.append(np.broadcast_to(np.asarray(lo, float), (k,)).copy())
        self.hi.append(np.broadcast_to(np.asarray(hi, float), (k,)).copy())
        self.cost.append(np.broadcast_to(np.asarray(cost, float), (k,)).copy())
        self.integer.append(np.full(k, integer))
        self.n += k
        return idx

    def add_rows(self, k: int, terms: list[Term],
                 lo: Any, hi: Any) -> np.ndarray:
        """Add ``k`` rows ``lo <= sum terms <= hi``; each term is (row in 0..k-1, column,
        coefficient) arrays. Returns the row indices."""
        idx = np.arange(self.m, self.m + k)
        for r, c, v in terms:
            r, c, v = np.broadcast_arrays(np.asarray(r), np.asarray(c), np.asarray(v, float))
            self.rows.append(r.ravel() + self.m)
            self.cols.append(c.ravel())
            self.vals.append(v.ravel())
        self.rlo.append(np.broadcast_to(np.asarray(lo, float), (k,)).copy())
        self.rhi.append(np.broadcast_to(np.asarray(hi, float), (k,)).copy())
        self.m += k
        return idx

    def set_cost(self, cols: np.ndarray, values: Any) -> None:
        cost = np.concatenate(self.cost)
        np.add.at(cost, cols, values)
        self.cost = [cost]

    def solve(self, time_limit: float | None = None, mip_rel_gap: float = 1e-6,
              feasibility_tol: float = 1e-6) -> dict[str, Any]:
        """Minimise; returns ``status``, ``x``, ``objective``, ``row_dual``, ``mip_gap``, time.

        ``feasibility_tol`` (HiGHS' primal feasibility tolerance on the scaled rows, i.e. a
        fraction of the flow scale ``q_ref``): 1e-6 like IPOPT's accepts e.g. GasLib-582-G,
        whose fixed nominations exceed its dispatchable supply bound by 3e-4 kg/s."""
        import highspy
        import scipy.sparse as sp

        t0 = time.perf_counter()
        a = sp.csc_matrix((np.concatenate(self.vals) if self.vals else np.zeros(0),
                           (np.concatenate(self.rows) if self.rows else np.zeros(0, int),
                            np.concatenate(self.cols) if self.cols else np.zeros(0, int))),
                          shape=(self.m, self.n))
        a.sum_duplicates()
        lp = highspy.HighsLp()
        lp.num_col_, lp.num_row_ = self.n, self.m
        inf = highspy.kHighsInf
        lp.col_cost_ = np.concatenate(self.cost)
        lp.col_lower_ = np.nan_to_num(np.concatenate(self.lo), neginf=-inf, posinf=inf)
        lp.col_upper_ = np.nan_to_num(np.concatenate(self.hi), neginf=-inf, posinf=inf)
        lp.row_lower_ = np.nan_to_num(np.concatenate(self.rlo), neginf=-inf, posinf=inf)
        lp.row_upper_ = np.nan_to_num(np.concatenate(self.rhi), neginf=-inf, posinf=inf)
        lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
        lp.a_matrix_.start_ = a.indptr
        lp.a_matrix_.index_ = a.indices
        lp.a_matrix_.value_ = a.data
        integer = np.concatenate(self.integer)
        if integer.any():
            lp.integrality_ = [highspy.HighsVarType.kInteger if i else
                               highspy.HighsVarType.kContinuous for i in integer]
        h = new_highs()
        h.setOptionValue("mip_rel_gap", mip_rel_gap)
        h.setOptionValue("primal_feasibility_tolerance", feasibility_tol)
        if time_limit:
            h.setOptionValue("time_limit", float(time_limit))
        h.passModel(lp)
        h.run()
        status = h.modelStatusToString(h.getModelStatus())
        sol = h.getSolution()
        info = h.getInfo()
        out = {"status": status, "x": np.asarray(sol.col_value),
               "row_dual": np.asarray(sol.row_dual) if sol.dual_valid else None,
               "objective": info.objective_function_value,
               "mip_gap": info.mip_gap if integer.any() else None,
               "solve_time_s": time.perf_counter() - t0}
        return out


def hull_points(qlo: np.ndarray, qhi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The 5 points (x, y) per pipe whose convex hull relaxes ``y = q|q|`` on [qlo, qhi]."""
    both = (qlo < 0) & (qhi > 0)
    fw = qlo >= 0
    mid, prod = (qlo + qhi) / 2, qlo * qhi
    lo_pt = qlo * np.abs(qlo)
    hi_pt = qhi * np.abs(qhi)
    x = np.stack([qlo, np.where(both, qlo / 2, np.where(fw, qlo, mid)),
                  np.where(both, 0.0, np.where(fw, qlo, mid)),
                  np.where(both, qhi / 2, np.where(fw, mid, qhi)), qhi], axis=1)
    y = np.stack([lo_pt, np.where(both, 0.0, np.where(fw, lo_pt, -prod)),
                  np.where(both, 0.0, np.where(fw, lo_pt, -prod)),
                  np.where(both, 0.0, np.where(fw, prod, hi_pt)), hi_pt], axis=1)
    return x, y


def hull_rows(qlo: np.ndarray, qhi: np.ndarray) -> list[tuple[np.ndarray, np.ndarray,
                                                             np.ndarray, np.ndarray]]:
    """Facets of the hull as (pipe index, slope, intercept, sense) with sense +1 for
    ``y <= slope q + intercept`` and -1 for ``y >= ...`` (vectorised over the pipes)."""
    x, y = hull_points(qlo, qhi)
    scale = np.maximum(np.abs(y).max(axis=1), 1e-12)
    out = []
    for i, j in itertools.combinations(range(5), 2):
        dx = x[:, j] - x[:, i]
        ok = np.abs(dx) > 1e-9 * np.maximum(np.abs(qhi - qlo), 1e-12)
        with np.errstate(divide="ignore", invalid="ignore"):
            s = np.where(ok, (y[:, j] - y[:, i]) / np.where(ok, dx, 1.0), 0.0)
        b = y[:, i] - s * x[:, i]
        d = (y - (s[:, None] * x + b[:, None])) / scale[:, None]
        below = ok & np.all(d <= 1e-9, axis=1)
        above = ok & np.all(d >= -1e-9, axis=1)
        for mask, sense in ((below, 1.0), (above, -1.0)):
            k = np.flatnonzero(mask)
            if len(k):
                out.append((k, s[k], b[k], np.full(len(k), sense)))
    return out


@dataclass
class RelaxedVars:
    """Column indices of the relaxed network in a :class:`LinearModel`; columns are scaled
    (``pi / ps``, flows / ``qs``, ``y / qs^2``): :meth:`values` unscales a solution."""

    pi: np.ndarray
    q: np.ndarray
    fs: np.ndarray
    fk: np.ndarray
    y: np.ndarray
    balance_rows: np.ndarray
    ps: float = 1.0
    qs: float = 1.0
    q_bounds: tuple[np.ndarray, np.ndarray] = field(default_factory=lambda: (np.zeros(0),
                                                                            np.zeros(0)))

    def values(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """``pi`` [bar^2], ``q``, source and sink flows [kg/s] of a solution ``x``."""
        return (x[self.pi] * self.ps, x[self.q] * self.qs, x[self.fs] * self.qs,
                x[self.fk] * self.qs)


def pipe_constants(sd: SteadyData) -> tuple[np.ndarray, np.ndarray]:
    """``K`` [bar^2/(kg/s)^2] (Z at the upper pressure bound of the pipe's ends) and
    ``e^{-s}`` per pipe-law branch."""
    m, ip = sd.m, sd.ip
    p_top = np.sqrt(np.minimum(sd.pi_hi[m.fr[ip]], sd.pi_hi[m.to[ip]]))
    p_top = np.where(np.isfinite(p_top), p_top, sd.p_ref)
    z = np.polyval(sd.z_poly, p_top)
    s = 2.0 * GRAVITY * m.dh_m[ip] / (z * sd.r_s * sd.t_k)
    return z * sd.pipe_k0() * slope_correction(s), np.exp(-s)


def add_relaxed_network(lp: LinearModel, sd: SteadyData,
                        extra_balance: list[Term] | None = None,
                        skip: np.ndarray | None = None) -> RelaxedVars:
    """Add the relaxed steady-state network of ``sd`` to ``lp`` (see the module docstring).

    ``extra_balance``: further (junction, column, coefficient) terms of the mass balance
    (e.g. candidate pipes' flows, coefficient in kg/s per column unit / ``q_ref``), inflow
    positive. ``skip``: branches (e.g. expansion candidates) that get only their flow column
    and bounds here, no pressure law. Columns are scaled (see :class:`RelaxedVars`).
    """
    m = sd.m
    n, nb = m.n_nodes, m.n_branches
    fr, to = m.fr, m.to
    ps, qs = sd.p_ref**2, sd.q_ref
    pi = lp.add_vars(n, sd.pi_lo / ps, sd.pi_hi / ps)
    ip = sd.ip
    k, es = pipe_constants(sd)
    caps = np.concatenate([sd.src_hi, sd.snk_hi, -sd.snk_lo])
    caps = caps[np.isfinite(caps) & (caps > 0)]
    cap = float(caps.sum()) if len(caps) else 1e6
    flo, fhi = pipe_flow_bounds(k, sd.pi_hi[fr[ip]], sd.pi_lo[to[ip]], sd.pi_hi[to[ip]],
                                sd.pi_lo[fr[ip]], cap)
    qlo, qhi = sd.q_lo.copy(), sd.q_hi.copy()
    qlo[ip] = np.maximum(qlo[ip], flo)
    qhi[ip] = np.minimum(qhi[ip], fhi)
    qlo[~np.isfinite(qlo)] = -cap
    qhi[~np.isfinite(qhi)] = cap
    q = lp.add_vars(nb, qlo / qs, qhi / qs)
    fs = lp.add_vars(len(sd.src_ids), sd.src_lo / qs, sd.src_hi / qs)
    fk = lp.add_vars(len(sd.snk_ids), sd.snk_lo / qs, sd.snk_hi / qs)
    b = np.arange(nb)
    terms: list[Term] = [(to, q[b], 1.0), (fr, q[b], -1.0), (sd.src_node, fs, 1.0), (sd.snk_node, fk, -1.0)]
    terms += extra_balance or []
    bal = lp.add_rows(n, terms, -sd.inj_fixed / qs, -sd.inj_fixed / qs)
    qy = qs**2
    if skip is not None and len(skip):
        keep = ~np.isin(ip, skip)
        ip, k, es = ip[keep], k[keep], es[keep]
    y = lp.add_vars(len(ip), -np.inf, np.inf)
    if len(ip):
        r = np.arange(len(ip))
        lp.add_rows(len(ip), [(r, pi[fr[ip]], es), (r, pi[to[ip]], -1.0),
                              (r, y, -k * qy / ps)], 0.0, 0.0)
        for sel, s, icpt, sense in hull_rows(qlo[ip], qhi[ip]):
            rr = np.arange(len(sel))
            bb = icpt / qy
            lo_, hi_ = (np.where(sense > 0, -np.inf, bb), np.where(sense > 0, bb, np.inf))
            lp.add_rows(len(sel), [(rr, y[sel], 1.0), (rr, q[ip[sel]], -s / qs)], lo_, hi_)
    if len(sd.ie):
        idx = sd.ie
        r = np.arange(len(idx))
        lp.add_rows(len(idx), [(r, pi[fr[idx]], 1.0), (r, pi[to[idx]], -1.0)], 0.0, 0.0)
    if len(sd.ic):
        r = np.arange(len(sd.ic))
        lp.add_rows(len(sd.ic), [(r, q[sd.ic], 1.0)], 0.0, 0.0)
    c = sd.comp if skip is None else sd.comp[~np.isin(sd.comp, skip)]
    r_lo = sd.r_lo[np.isin(sd.comp, c)]
    r_hi = sd.r_hi[np.isin(sd.comp, c)]
    if len(c):
        r = np.arange(len(c))
        lp.add_rows(len(c), [(r, pi[to[c]], 1.0), (r, pi[fr[c]], -r_hi**2)], -np.inf, 0.0)
        lp.add_rows(len(c), [(r, pi[to[c]], 1.0), (r, pi[fr[c]], -r_lo**2)], 0.0, np.inf)
    return RelaxedVars(pi=pi, q=q, fs=fs, fk=fk, y=y, balance_rows=bal, ps=ps, qs=qs,
                       q_bounds=(qlo, qhi))


def relaxed_cost(lp: LinearModel, rv: Any, sd: SteadyData, objective: str,
                terms: GasModelsTerms) -> None:
    qs = rv.qs  # columns are flows / qs
    if objective == "gasmodels":
        lp.set_cost(rv.fs, terms.weighting * terms.c_src * qs)
        lp.set_cost(rv.fk, terms.weighting * terms.c_snk * qs)
    elif objective == "ls":
        lp.set_cost(rv.fk, -terms.ls_weight * qs)
    elif objective == "max_delivery":
        disp = sd.snk_hi > sd.snk_lo
        lp.set_cost(rv.fk, -disp.astype(float) * qs)


def solve_relaxation(sd: SteadyData, objective: str, terms: GasModelsTerms
                   ) -> tuple[dict[str, Any], Any, LinearModel]:
    lp = LinearModel()
    rv = add_relaxed_network(lp, sd)
    relaxed_cost(lp, rv, sd, objective, terms)
    out = lp.solve()
    if out["status"] != "Optimal":
        kind = "infeasible" if "nfeasible" in out["status"] else "solver"
        raise OptimizationError(kind, f"HiGHS: {out['status']} (linear relaxation)")
    return out, rv, lp
