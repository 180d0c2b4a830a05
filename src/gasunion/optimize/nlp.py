"""The steady-state network as arrays for optimisation, and its CasADi/IPOPT model.

:func:`steady_data` turns a network into :class:`SteadyData` (built on the simulator's
:func:`~gasunion.simulation.model.build_model` arrays: same branch order, laws, junction
positions); :class:`NlpModel` writes the optimal-gas-flow NLP over those arrays as vectorised
CasADi expressions (one expression per law group, numpy index arrays, no loop per element).

Units (as in the simulator): squared pressure ``pi`` [bar^2], mass flow ``q`` [kg/s] positive
from ``from_junction`` to ``to_junction``, compressor ratio ``r = p_out/p_in`` [-], power [W].
Variables are scaled inside the NLP (``pi / p_ref^2``, ``q / q_ref``).

Laws (the simulator's, :mod:`gasunion.simulation.newton`):

* pipe / drag resistor: ``e^{-s} pi_i - pi_j = Z(p_m) R_s T g(s) / A^2 [(L/D) lambda + zeta]
  q sqrt(q^2 + eps^2)`` (the simulator's smoothing of ``q|q|``), Z a polynomial fit of the
  chosen Z model over the network's pressure range (exact for ideal, papay, aga_linear);
* short pipe, open valve, bypass: ``pi_i = pi_j``; closed element: ``q = 0``;
* compressor (modes ratio / p_out): ``pi_j = r^2 pi_i``, ``r`` in [ratio_min, ratio_max] a
  decision, ``q >= 0``; power ``P = q H / eta`` with the isentropic head
  ``H = Z_in R_s T kappa/(kappa-1) (r^((kappa-1)/kappa) - 1)``, ``P <= power_max``;
  fuel (fuel_model power: ``P / (eta_drive LHV)``, share: ``share q``) leaves at the fuel
  junction as in the simulator;
* control valve (mode p_out; open too with ``regulate_open``): a regulator decision:
  ``q (pi_i - pi_j) >= 0`` (the pressure drops in the flow direction, or the regulator is off
  with no flow), ``q`` in its bounds (minimum 0 where none is given); with ``band`` (the
  simulator's physics) open or active with the reduction ``p_i - p_j`` [bar] in
  ``[0, p_diff_max]`` (``[p_diff_min, p_diff_max]`` once fixed active), reverse flow only
  when open;
* compressor that may bypass: ``r >= 1``, ``(r - 1) q >= 0``;
* fixed-loss resistor: ``p_i - p_j = dp tanh(q / eps)``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from gasunion.optimize._ogf_data import RE_DEPENDENT, SteadyData, steady_data
from gasunion.physics.constants import GRAVITY
from gasunion.simulation.model import SimModel

__all__ = ["RE_DEPENDENT", "NlpModel", "SteadyData", "steady_data"]


class NlpModel:
    """The OGF NLP of :class:`SteadyData` as a CasADi ``Opti`` problem (IPOPT).

    Attributes after construction: ``opti``, the scaled variables ``xpi``, ``xq``, ``r``,
    ``xs`` (sources), ``xk`` (sinks) and the unscaled expressions ``pi``, ``q``, ``fs``,
    ``fk``, ``power_w`` (per decided compressor), ``fuel`` (per compressor of ``m``),
    ``balance`` (per junction, kg/s). With ``elastic`` every bound and the mass balance get
    non-negative slacks (``slacks``: name -> (expression, element labels, unit)). ``p_scale``
    [bar]: pressure scale of the variables (default: the largest upper pressure bound).
    ``r_squared``: ratio bounds on ``r^2`` (GasModels' ``rsqr``), else on ``r`` (simple
    variable bounds with the option ``detect_simple_bounds``).
    """

    def __init__(self, sd: SteadyData, elastic: bool = False,
                 p_scale: float | None = None, r_squared: bool = True) -> None:
        import casadi as ca

        self.sd = sd
        m = sd.m
        self.ca = ca
        opti = self.opti = ca.Opti()
        ps, qs = (p_scale or sd.p_ref) ** 2, sd.q_ref
        self.ps, self.qs = ps, qs
        n, nb = m.n_nodes, m.n_branches
        self.xpi = opti.variable(n)
        self.xq = opti.variable(nb)
        self.r = opti.variable(len(sd.comp))
        self.xs = opti.variable(len(sd.src_ids))
        self.xk = opti.variable(len(sd.snk_ids))
        pi, q = self.xpi * ps, self.xq * qs
        self.pi, self.q, self.fs, self.fk = pi, q, self.xs * qs, self.xk * qs
        self.slacks: dict[str, tuple[Any, pd.Index | np.ndarray, str]] = {}
        self.slack_sum: Any = 0
        self.balance_constraint: Any = None
        fr, to = m.fr, m.to
        # ---------------- bounds (elastic: with slacks)
        self._bounds(self.xpi, sd.pi_lo / ps, sd.pi_hi / ps, "pressure", m.junction_ids,
                     "bar^2", elastic, ps, fixed=sd.fixed)
        self._bounds(self.xq, sd.q_lo / qs, sd.q_hi / qs, "flow", _branch_labels(m), "kg/s",
                     elastic, qs)
        self._bounds(self.xs, sd.src_lo / qs, sd.src_hi / qs, "source", sd.src_ids, "kg/s",
                     elastic, qs)
        self._bounds(self.xk, sd.snk_lo / qs, sd.snk_hi / qs, "sink", sd.snk_ids, "kg/s",
                     elastic, qs)
        if len(sd.comp) and r_squared:  # on r^2, as GasModels' rsqr (same solution; IPOPT's
            # bound relaxation then acts on r^2 like GasModels')
            opti.subject_to(opti.bounded(sd.r_lo**2, self.r**2, sd.r_hi**2))
            opti.subject_to(self.r >= 0)
        elif len(sd.comp):
            opti.subject_to(opti.bounded(sd.r_lo, self.r, sd.r_hi))
        # ---------------- mass balance (fuel leaves at the fuel junction)
        inc = _incidence(n, fr, to)
        bal = ca.mtimes(ca.DM(inc), q) + sd.inj_fixed
        if len(sd.src_ids):
            bal += ca.mtimes(ca.DM(_scatter(n, sd.src_node)), self.fs)
        if len(sd.snk_ids):
            bal -= ca.mtimes(ca.DM(_scatter(n, sd.snk_node)), self.fk)
        self.power_w, self.head, self.fuel = self._compressors(pi, q)
        if len(m.comp_branch):
            bal -= ca.mtimes(ca.DM(_scatter(n, m.comp_fuel_node)), self.fuel)
        self.balance = bal
        if elastic:
            sp, sm = opti.variable(n), opti.variable(n)
            opti.subject_to(sp >= 0)
            opti.subject_to(sm >= 0)
            opti.subject_to(bal / qs + sp - sm == 0)
            self.slacks["balance"] = (ca.vertcat(sp, -sm) * qs, m.junction_ids, "kg/s")
            self.slack_sum += ca.sum1(sp) + ca.sum1(sm)
        else:
            self.balance_constraint = bal / qs == 0
            opti.subject_to(self.balance_constraint)
        # ---------------- branch laws
        if len(sd.ip):
            opti.subject_to(self.pipe_residual(pi, q) / ps == 0)
        for idx in (sd.ie,):
            if len(idx):
                opti.subject_to((pi[fr[idx]] - pi[to[idx]]) / ps == 0)
        if len(sd.ic):
            opti.subject_to(self.xq[sd.ic] == 0)
        if len(sd.comp):
            c = sd.comp
            opti.subject_to((pi[to[c]] - self.r**2 * pi[fr[c]]) / ps == 0)
            lim = np.isfinite(sd.power_max_w)
            if lim.any():
                k = np.flatnonzero(lim)
                opti.subject_to(self.power_w[k] / sd.power_max_w[k] <= 1)
        if len(sd.comp) and sd.bypass.any():
            self._bypass()
        if len(sd.reg) and sd.band:
            self._band(elastic)
        elif len(sd.reg):  # pressure drops in the flow direction, or no flow (regulator off)
            g = sd.reg
            opti.subject_to(self.xq[g] * (self.xpi[fr[g]] - self.xpi[to[g]]) >= 0)
        if len(sd.il):
            il = sd.il
            eps = 1e-3 * qs
            p = ca.sqrt(pi)
            opti.subject_to(p[fr[il]] - p[to[il]] - m.dp_loss_bar[il] * ca.tanh(q[il] / eps) == 0)
        self._initial()

    # ------------------------------------------------------------------ pieces
    def _bounds(self, x: Any, lo: np.ndarray, hi: np.ndarray, name: str, labels: Any, unit: str,
                elastic: bool, scale: float, fixed: np.ndarray | None = None) -> None:
        opti, ca = self.opti, self.ca
        lo = np.asarray(lo, float)
        hi = np.asarray(hi, float)
        if not elastic:
            opti.subject_to(opti.bounded(lo, x, hi))
            return
        hard = np.zeros(len(lo), bool) if fixed is None else fixed
        for side, b, sign in (("lower", lo, 1.0), ("upper", hi, -1.0)):
            k = np.flatnonzero(np.isfinite(b) & ~hard)
            if len(k):
                s = opti.variable(len(k))
                opti.subject_to(s >= 0)
                opti.subject_to(sign * (x[k] - b[k]) + s >= 0)
                self.slacks[f"{name}_{side}"] = (s * scale, np.asarray(labels)[k], unit)
                self.slack_sum += ca.sum1(s)
        if hard.any():
            k = np.flatnonzero(hard)
            opti.subject_to(x[k] == lo[k])

    def _bypass(self) -> None:
        """Stations that may bypass: ``r >= 1`` (bounds), reverse flow only at ``r = 1``
        (``(r - 1) q >= 0``) and, where ratio_min > 1, ``r = 1`` or ``r >= ratio_min``."""
        sd, opti = self.sd, self.opti
        k = np.flatnonzero(sd.bypass & (sd.q_lo[sd.comp] < 0))
        if len(k):
            opti.subject_to((self.r[k] - 1.0) * self.xq[sd.comp[k]] >= 0)
        k = np.flatnonzero(sd.bypass & (sd.r_act > 1.0))
        if len(k):
            opti.subject_to((self.r[k] - 1.0) * (self.r[k] - sd.r_act[k]) >= 0)

    def _band(self, elastic: bool) -> None:
        """Regulators open (``p_in = p_out``, flow either way in its bounds) or active
        (reduction ``p_in - p_out`` [bar] in ``[d_lo, d_hi]``, flow >= 0), per ``reg_state``:
        0 either (reduction in ``[0, d_hi]``, reverse flow only without reduction), 1 open,
        2 active."""
        sd, opti, ca = self.sd, self.opti, self.ca
        g, st, m = sd.reg, sd.reg_state, sd.m
        fr, to = m.fr[g], m.to[g]
        k = np.flatnonzero(st == 1)
        if len(k):
            opti.subject_to(self.xpi[fr[k]] - self.xpi[to[k]] == 0)
        k = np.flatnonzero(st != 1)
        if not len(k):
            return
        pr = float(np.sqrt(self.ps))
        red = (ca.sqrt(self.pi[fr[k]]) - ca.sqrt(self.pi[to[k]])) / pr
        lo = np.where(st[k] == 2, sd.d_lo[k], 0.0)
        self._bounds(red, lo / pr, sd.d_hi[k] / pr, "reduction", _branch_labels(m)[g[k]], "bar",
                     elastic, pr)
        act = k[st[k] == 2]
        if len(act):
            opti.subject_to(self.xq[g[act]] >= 0)
        rev = k[(st[k] == 0) & (sd.q_lo[g[k]] < 0)]
        if len(rev):
            opti.subject_to(self.xq[g[rev]] * (self.xpi[fr[rev]] - self.xpi[to[rev]]) >= 0)

    def warm_start(self, st: dict[str, np.ndarray]) -> None:
        """Start from a state (:func:`~gasunion.optimize._ogf_data.simulator_start`):
        pressures clipped to the bounds, flows, ratios ``p_out / p_in`` within theirs."""
        sd, opti = self.sd, self.opti
        pi = np.clip(st["p_bar"] ** 2, sd.pi_lo, sd.pi_hi)
        opti.set_initial(self.xpi, pi / self.ps)
        opti.set_initial(self.xq, st["q"] / self.qs)
        if len(sd.comp):
            c = sd.comp
            opti.set_initial(self.r, np.clip(np.sqrt(pi[sd.m.to[c]] / pi[sd.m.fr[c]]),
                                             sd.r_lo, sd.r_hi))
        for x, v in ((self.xs, st["fs"]), (self.xk, st["fk"])):
            if x.shape[0]:
                opti.set_initial(x, v / self.qs)

    def start(self, start: str | dict[str, np.ndarray]) -> None:
        """Start values: ``"fixed"``/``"mid"`` (:meth:`_initial`) or a state (:meth:`warm_start`)."""
        if isinstance(start, str):
            self._initial(start)
        else:
            self.warm_start(start)

    def state(self, sol: Any) -> dict[str, np.ndarray]:
        """The solution as a start (:meth:`warm_start`): ``p_bar``, ``q``, ``fs``, ``fk``."""
        sd = self.sd
        return {"p_bar": np.sqrt(np.maximum(np.atleast_1d(sol.value(self.pi)), 0.0)),
                "q": np.atleast_1d(sol.value(self.q)),
                "fs": np.atleast_1d(sol.value(self.fs)) if len(sd.src_ids) else np.zeros(0),
                "fk": np.atleast_1d(sol.value(self.fk)) if len(sd.snk_ids) else np.zeros(0)}

    def reduction(self, sol: Any) -> np.ndarray:
        """Pressure reduction ``p_in - p_out`` [bar] of every regulator in the solution."""
        p = np.sqrt(np.maximum(np.atleast_1d(sol.value(self.pi)), 0.0))
        return p[self.sd.m.fr[self.sd.reg]] - p[self.sd.m.to[self.sd.reg]]

    def z_of(self, p: Any) -> Any:
        c = self.sd.z_poly
        return ((c[0] * p + c[1]) * p + c[2]) * p + c[3]

    def pipe_residual(self, pi: Any, q: Any, lam: np.ndarray | None = None) -> Any:
        """``e^{-s} pi_i - pi_j - K(Z) q sqrt(q^2 + eps^2)`` of every pipe-law branch [bar^2]."""
        ca, sd, m = self.ca, self.sd, self.sd.m
        ip = sd.ip
        pi_i, pi_j, qp = pi[m.fr[ip]], pi[m.to[ip]], q[ip]
        p_i, p_j = ca.sqrt(pi_i), ca.sqrt(pi_j)
        pm = 2.0 / 3.0 * (p_i + p_j - p_i * p_j / (p_i + p_j))
        z = self.z_of(pm)
        k0 = sd.pipe_k0(lam)
        phi = qp * ca.sqrt(qp**2 + sd.eps_q() ** 2)
        dh = m.dh_m[ip]
        if not np.any(dh != 0):
            return pi_i - pi_j - z * k0 * phi
        dh_eff = np.where(dh == 0, 1e-6, dh)
        s = 2.0 * GRAVITY * dh_eff / (z * sd.r_s * sd.t_k)
        es = ca.exp(-s)
        g = -ca.expm1(-s) / s
        return es * pi_i - pi_j - z * g * k0 * phi

    def _compressors(self, pi: Any, q: Any) -> tuple[Any, Any, Any]:
        """Power [W] and head [J/kg] per decided compressor, fuel [kg/s] per compressor."""
        ca, sd, m = self.ca, self.sd, self.sd.m
        c = sd.comp
        e = (sd.kappa - 1.0) / sd.kappa
        if len(c):
            p_in = ca.sqrt(pi[m.fr[c]])
            z_in = self.z_of(p_in)
            head = z_in * sd.r_s * sd.t_k / e * (self.r**e - 1.0)
            power = q[c] * head / m.comp_eta[sd.comp_pos]
        else:
            head = power = ca.MX.zeros(0, 1)
        nc = len(m.comp_branch)
        if not nc:
            return power, head, ca.MX.zeros(0, 1)
        fuel = ca.MX.zeros(nc, 1)
        pos = sd.comp_pos
        model = m.comp_fuel_model[pos] if len(pos) else np.zeros(0, str)
        if len(pos):
            by_power = (model == "power") & m.comp_drive_gas[pos]
            coef = np.where(by_power, 1.0 / (m.comp_drive_eta[pos] * sd.lhv_j_kg), 0.0)
            share = np.where(model == "share", m.comp_fuel_share[pos], 0.0)
            f = power * coef + q[c] * share
            sel = np.zeros((nc, len(pos)))
            sel[pos, np.arange(len(pos))] = 1.0
            fuel = ca.mtimes(ca.DM(sel), f)
        return power, head, fuel

    def _initial(self, start: str = "fixed") -> None:
        """Start values: pressures at the highest set pressure (as the simulator starts;
        ``start="mid"``: the middle of each junction's bounds), clipped to the bounds; zero
        flows; ratios 1."""
        sd = self.sd
        lo, hi = sd.pi_lo, sd.pi_hi
        mid = np.where(np.isfinite(hi), 0.5 * (lo + hi), lo * 2.0)
        if start == "fixed" and sd.fixed.any():
            guess = np.clip(np.full(len(lo), np.nanmax(sd.p_fixed) ** 2), lo, hi)
        else:
            guess = mid
        self.opti.set_initial(self.xpi, np.where(sd.fixed, lo, guess) / self.ps)
        self.opti.set_initial(self.xq, np.zeros(sd.m.n_branches))
        if len(sd.comp):
            self.opti.set_initial(self.r, np.clip(1.0, sd.r_lo, sd.r_hi))
        for x, a, b in ((self.xs, sd.src_lo, sd.src_hi), (self.xk, sd.snk_lo, sd.snk_hi)):
            if x.shape[0]:
                self.opti.set_initial(x, np.clip(0.0, np.nan_to_num(a, neginf=-1e9),
                                                 np.nan_to_num(b, posinf=1e9)) / self.qs)

    def solve(self, objective: Any, options: dict[str, Any] | None = None) -> Any:
        """Minimise ``objective`` with IPOPT; returns the CasADi solution (raises RuntimeError
        with IPOPT's status on failure; ``self.opti.debug`` holds the last iterate)."""
        opts: dict[str, Any] = {"ipopt.print_level": 0, "print_time": False, "ipopt.sb": "yes",
                "ipopt.max_iter": 3000, "ipopt.tol": 1e-9, "ipopt.mu_init": 1e-2,
                "ipopt.acceptable_tol": 1e-6}
        opts.update(options or {})
        self.opti.minimize(objective)
        self.opti.solver("ipopt", opts)
        return self.opti.solve()


def _branch_labels(m: SimModel) -> np.ndarray:
    return np.array([f"{c}:{i}" for c, i in zip(m.branch_component, m.branch_id, strict=True)],
                    dtype=object)


def _incidence(n: int, fr: np.ndarray, to: np.ndarray) -> Any:
    import scipy.sparse as sp

    nb = len(fr)
    b = np.arange(nb)
    return sp.csc_matrix((np.r_[-np.ones(nb), np.ones(nb)], (np.r_[fr, to], np.r_[b, b])),
                         shape=(n, nb))


def _scatter(n: int, node: np.ndarray) -> Any:
    import scipy.sparse as sp

    k = len(node)
    return sp.csc_matrix((np.ones(k), (node, np.arange(k))), shape=(n, k))
