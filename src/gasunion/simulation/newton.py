"""Newton–Raphson kernel for the steady-state network equations.

Unknowns ``x = [pi_free (bar^2), q (kg/s)]``; equations ``F = [mass balance at free junctions
(kg/s); one law per branch]`` (laws in :mod:`gasunion.simulation.model`).

Each Newton step solves ``J dx = -F`` by block elimination: the flow of every branch whose law
depends on its own flow (pipes, drag resistors, closed elements: ``dF_b/dq_b != 0``) is
eliminated, ``dq_b = -(F_b + dF_b/dpi_i dpi_i + dF_b/dpi_j dpi_j) / (dF_b/dq_b)``, which leaves
a sparse system in the free squared pressures (a weighted Laplacian) plus the flows of the
remaining branches (short pipes, open valves, compressors, regulators). Its pattern is built
once; each iteration refills the data (vectorised, ``np.bincount`` over a fixed slot map) and
factorises it with SuperLU (``scipy.sparse.linalg.splu``, symmetric mode with an ordering of
``A + A^T``, since the pattern is structurally symmetric). Rows and columns are scaled (flows by
the flow scale, squared pressures by the pressure scale) before factorisation. Close to the
solution (scaled residual below ``chord_below``) the last factorisation is reused (chord steps)
as long as each step still cuts the residual by ``chord_rate``; otherwise it refactorises.

Pipe law (isothermal, steady, kinetic term neglected; Koch et al. 2015, *Evaluating Gas
Network Capacities*, ch. 2, eq. (2.14) integrated for constant Z, T, lambda; slope term as in
GasModels.jl ``wp.jl``):

    e^{-s} p_i^2 - p_j^2 = (Z R_s T / A^2) * g(s) * [ (L/D) lambda(Re) q|q| + zeta q|q| ]

with ``s = 2 g (h_j - h_i) / (Z R_s T)``, ``g(s) = (1 - e^{-s}) / s`` (``g -> 1`` as
``s -> 0``), Z at the mean pressure ``p_m = 2/3 (p_i + p_j - p_i p_j / (p_i + p_j))``.
Derivatives are exact except for the dependence of ``s`` on Z and of compressor fuel on the
state (both lagged by one iteration; they change convergence speed, not the solution).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.sparse as sp

from gasunion.physics.compressibility import IdealZ, LinearAgaZ, ZModel, dz_dp_aga
from gasunion.physics.compressor import isentropic_head
from gasunion.physics.constants import GRAVITY
from gasunion.physics.friction import (
    friction_factor,
    friction_term,
    lambda_nikuradse_stanet,
    reynolds,
)
from gasunion.physics.pipe import mean_pressure
from gasunion.simulation.linear import Klu, SuperLU, klu_library
from gasunion.simulation.model import CLOSED, EQUAL, PIPE, PLOSS, POUT, RATIO, SimModel

_PI_FLOOR = 1e-6  # bar^2: pressures are evaluated at sqrt(max(pi, floor)) inside Z and laws
_PA2_PER_BAR2 = 1e10
#: fixed-lambda and loss-coefficient terms: q|q| ~ q sqrt(q^2 + eps^2), eps = flow at this Re
RE_SMOOTH = 10.0
#: a fixed-loss law is refined until |q| >= LOSS_SATURATION * eps (tanh(8) = 1 - 2.3e-7)
LOSS_SATURATION = 8.0


@dataclass
class NewtonOptions:
    friction: str = "nikuradse"
    tol: float = 1e-10  #: relative tolerance on scaled residuals
    max_iter: int = 60
    picard_steps: int = 2  #: linearised start-up solves (initial guess)
    #: below this scaled residual, reuse the last factorisation (chord steps) while each step
    #: still cuts the residual by at least ``chord_rate``
    chord_below: float = 1e-3
    chord_rate: float = 0.25
    #: sparse LU: "auto" (KLU where the library is installed, else SuperLU), "klu", "superlu"
    linear_solver: str = "auto"
    warm_picard_steps: int = 0  #: linearised steps before Newton from given start values


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


@dataclass
class Derivatives:
    """Partial derivatives of each branch law: d/dpi_from, d/dpi_to, d/dq."""

    d_i: np.ndarray
    d_j: np.ndarray
    d_q: np.ndarray


class Kernel:
    """Pre-computed index structures and the residual/Jacobian evaluation."""

    def __init__(self, m: SimModel, z_model: ZModel, r_s: float, t_k: float, mu: float,
                 options: NewtonOptions) -> None:
        self.m = m
        self.z_model = z_model
        self.r_s = r_s
        self.t_k = t_k
        self.mu = mu
        self.opt = options
        n, nb = m.n_nodes, m.n_branches
        free = ~m.fixed
        self.free_nodes = np.flatnonzero(free)
        self.nf = len(self.free_nodes)
        self.col_pi = np.full(n, -1)
        self.col_pi[self.free_nodes] = np.arange(self.nf)
        self.nx = self.nf + nb
        # branch groups
        law = m.law
        self.ip = np.flatnonzero(law == PIPE)
        self.ie = np.flatnonzero(law == EQUAL)
        self.ir = np.flatnonzero(law == RATIO)
        self.io = np.flatnonzero(law == POUT)
        self.il = np.flatnonzero(law == PLOSS)
        self.ic = np.flatnonzero(law == CLOSED)
        ip = self.ip
        # q|q| of fixed-lambda pipes and of loss coefficients is smoothed as q sqrt(q^2 + eps^2)
        # with eps = the flow at Re = RE_SMOOTH of the element (independent of the network)
        self.eps_q = RE_SMOOTH * math.pi * np.nan_to_num(m.diameter_m[ip], nan=1.0) * mu / 4
        self.area = math.pi * m.diameter_m[ip] ** 2 / 4.0
        self.l_over_d = np.where(m.length_m[ip] > 0, m.length_m[ip] / m.diameter_m[ip], 0.0)
        self.has_len = self.l_over_d > 0
        self.lam_fixed = m.lam_fixed[ip]
        self.use_law = self.has_len & ~np.isfinite(self.lam_fixed)
        self.use_fixed = self.has_len & np.isfinite(self.lam_fixed)
        self.d_law = m.diameter_m[ip][self.use_law]  # pipes whose lambda follows the law
        self.k_law = m.roughness_m[ip][self.use_law]
        self.zeta = m.zeta[ip]
        self.has_zeta = bool(np.any(self.zeta > 0))
        self.dh = m.dh_m[ip]
        self.flat = not np.any(self.dh != 0)
        self.all_law = bool(self.use_law.all())
        self._inv_area2 = 1.0 / (self.area**2 * _PA2_PER_BAR2)
        self._loss_bridges: np.ndarray | None = None
        self._fric_const: tuple[np.ndarray, np.ndarray] | None = None
        # ---- incidence of the balance rows (nf x nb): -1 at the from-, +1 at the to-junction
        fr, to = m.fr, m.to
        b = np.arange(nb)
        ffree, tfree = free[fr], free[to]
        self.mask_i, self.mask_j = ffree, tfree
        rows_bal = np.concatenate([self.col_pi[fr[ffree]], self.col_pi[to[tfree]]])
        cols_bal = np.concatenate([b[ffree], b[tfree]])
        vals_bal = np.concatenate([-np.ones(ffree.sum()), np.ones(tfree.sum())])
        self.B = sp.csr_matrix((vals_bal, (rows_bal, cols_bal)), shape=(self.nf, nb))
        self._bal_fr_row, self._bal_fr_br = self.col_pi[fr[ffree]], b[ffree]
        self._bal_to_row, self._bal_to_br = self.col_pi[to[tfree]], b[tfree]
        self._z_lin: float | None = None
        self._order: np.ndarray | None = None  #: fill-reducing order, found at the first LU
        self._lu: Any = None  #: last factorisation (for chord steps)
        #: KLU (symbolic analysis once, refactorisations) where the library is installed
        self._klu: Klu | None = None
        want = options.linear_solver
        if want not in ("auto", "klu", "superlu"):
            raise ValueError(f"linear_solver must be auto, klu or superlu, got {want!r}")
        have_klu = want != "superlu" and klu_library() is not None
        if want == "klu" and not have_klu:
            raise RuntimeError("linear_solver='klu': the SuiteSparse KLU library (libklu) is not "
                               "installed (Debian/Ubuntu: apt install libklu1 or libklu2)")
        self.linear_solver = "klu" if have_klu else "superlu"
        self.factorizations = 0
        self.set_values(m)
        if self.linear_solver == "klu":
            self._order = None  # KLU orders (AMD) itself: the pattern stays in natural order
            self._build_reduced_pattern()
            try:
                self._klu = Klu(self.J)
            except RuntimeError:
                self.linear_solver = "superlu"
            if self._klu is not None:
                self._order = np.arange(self.n_red)
        else:
            self._build_reduced_pattern()
        # compressor fuel
        self.fuel = np.zeros(len(m.comp_branch))

    def set_values(self, m: SimModel, keep_scales: bool = False) -> None:
        """Adopt the set-points of ``m`` (fixed pressures, injections, ratios, outlet pressures,
        fixed losses), which must have this kernel's structure (same fixed junctions and laws):
        keeps the pattern and fill-reducing order of the linear system. The scales (and with
        them the tolerance's reference and the last factorisation, reusable for chord steps
        from a previous solution) are kept with ``keep_scales``, else recomputed.
        """
        self.m = m
        nb = m.n_branches
        self.pi_fixed = np.where(m.fixed, m.p_fixed_bar**2, 0.0)
        self.pi_fixed = np.where(np.isfinite(self.pi_fixed), self.pi_fixed, 0.0)
        self.ratio2 = m.ratio[self.ir] ** 2
        self.pset2 = m.p_set_bar[self.io] ** 2
        self.dp = m.dp_loss_bar[self.il]
        self.inj_free = m.injection_kg_s[self.free_nodes]
        self.fuel = np.zeros(len(m.comp_branch))
        if keep_scales and hasattr(self, "fscale"):
            return
        self.flow_scale = max(float(np.abs(m.injection_kg_s).sum()) / 2.0, 1.0)
        pref = np.concatenate([m.p_fixed_bar[np.isfinite(m.p_fixed_bar)],
                               m.p_set_bar[np.isfinite(m.p_set_bar)]])
        self.p_ref = float(pref.max()) if len(pref) else 50.0
        self.pi_scale = self.p_ref**2
        #: smoothing width of each fixed-loss law [kg/s]; narrowed by :func:`solve` until the
        #: flow is at least LOSS_SATURATION widths or the width reaches ``eps_loss_min``
        self.eps_loss = np.full(len(self.il), self.flow_scale)
        self.eps_loss_min = 0.1 * self.opt.tol * self.flow_scale
        self.fscale = np.concatenate([np.full(self.nf, self.flow_scale), np.full(nb, self.pi_scale)])
        self.fscale[self.nf + self.ic] = self.flow_scale
        self.fscale[self.nf + self.il] = self.p_ref  # fixed-loss laws are in bar, not bar^2
        self.xscale = np.concatenate([np.full(self.nf, self.pi_scale), np.full(nb, self.flow_scale)])
        self._lu = None
        if hasattr(self, "_pat_rows"):
            self._set_scaling()

    def _set_scaling(self) -> None:
        """Row/column scaling of the reduced matrix: balance rows / flow_scale, kept-law rows
        / their residual scale; pi columns * pi_scale, kept-flow columns * flow_scale."""
        nf, kk = self.nf, self.kept
        rs = np.concatenate([np.full(nf, self.flow_scale), self.fscale[nf + kk]])
        cs = np.concatenate([np.full(nf, self.pi_scale), np.full(len(kk), self.flow_scale)])
        self._rscale, self._cscale = rs, cs
        self._entry_scale = cs[self._pat_cols] / rs[self._pat_rows]

    # ------------------------------------------------------------------ helpers
    def pi_all(self, x: np.ndarray) -> np.ndarray:
        pi = self.pi_fixed.copy()
        pi[self.free_nodes] = x[: self.nf]
        return pi

    def loss_bridges(self) -> np.ndarray:
        """Whether each fixed-loss branch is a bridge: removing it separates its ends (all
        pressure-fixed junctions count as one node), so that its flow follows from the mass
        balance alone. Computed once per kernel."""
        if self._loss_bridges is None:
            from scipy.sparse.csgraph import connected_components

            m = self.m
            n = m.n_nodes
            node = np.where(m.fixed, n, np.arange(n))
            open_ = m.law != CLOSED
            out = np.zeros(len(self.il), bool)
            for pos, b in enumerate(self.il):
                keep = open_.copy()
                keep[b] = False
                g = sp.coo_matrix((np.ones(int(keep.sum())), (node[m.fr[keep]], node[m.to[keep]])),
                                  shape=(n + 1, n + 1))
                _, lab = connected_components(g, directed=False)
                out[pos] = lab[node[m.fr[b]]] != lab[node[m.to[b]]]
            self._loss_bridges = out
        return self._loss_bridges

    def smoothing_notes(self, x: np.ndarray) -> list[str]:
        """The smoothings of non-smooth laws that this network uses, each with its error bound
        at the solution ``x`` (for ``summary["assumptions"]``)."""
        notes = []
        m = self.m
        if len(self.il):
            q = np.abs(x[self.nf + self.il])
            zero = q < LOSS_SATURATION * self.eps_loss
            text = (f"{len(self.il)} fixed-loss resistor(s): the loss dp sign(q) is taken as "
                    f"dp tanh(q/eps) with eps narrowed per resistor until |q| >= "
                    f"{LOSS_SATURATION:g} eps, where the loss is within "
                    f"{1 - math.tanh(LOSS_SATURATION):.1e} (relative) of its set value")
            if zero.any():
                ids = ", ".join(repr(i) for i in m.branch_id[self.il[zero]][:5])
                text += (f"; {int(zero.sum())} carry a flow below "
                         f"{LOSS_SATURATION * self.eps_loss_min:.1e} kg/s (a tenth of the "
                         f"mass-balance tolerance: numerically zero) with a pressure difference "
                         f"below their set loss ({ids})")
            notes.append(text)
        smooth = self.use_fixed | (self.zeta > 0)
        if smooth.any():
            r22, r6 = math.sqrt(1 / 2e-3), math.sqrt(1 / 2e-6)
            notes.append(
                f"{int(smooth.sum())} pipe(s) with a fixed friction_factor or loss coefficient, "
                f"or drag resistor(s): q|q| is taken as q sqrt(q^2 + eps^2) with eps the flow at "
                f"Re = {RE_SMOOTH:g} of the element (at most {self.eps_q[smooth].max():.2g} "
                f"kg/s): the friction term is within 1e-3 (relative) of q|q| for "
                f"Re > {RE_SMOOTH * r22:.0f} and within 1e-6 for Re > {RE_SMOOTH * r6:.0f}")
        return notes

    def _balance(self, q: np.ndarray) -> np.ndarray:
        """Net inflow at each free junction [kg/s]: ``B @ q`` by two bincounts."""
        return (np.bincount(self._bal_to_row, weights=q[self._bal_to_br], minlength=self.nf)
                - np.bincount(self._bal_fr_row, weights=q[self._bal_fr_br], minlength=self.nf))

    def _z_and_slope(self, pm: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Z and dZ/dp [1/bar] at mean pressures ``pm`` [bar]; closed forms for the ideal and
        the linear model (same values as the model's own methods)."""
        zm = self.z_model
        if isinstance(zm, IdealZ):
            return np.ones_like(pm), np.zeros_like(pm)
        if isinstance(zm, LinearAgaZ):
            if self._z_lin is None:
                slope = float(dz_dp_aga(1e5, zm.temperature_k, zm.p_pc_pa, zm.t_pc_k)) * 1e5
                self._z_lin = slope
            return 1.0 + self._z_lin * pm, np.full_like(pm, self._z_lin)
        return zm.z(pm * 1e5), zm.dz_dp(pm * 1e5) * 1e5

    def _friction(self, q: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``phi = lambda(Re) q|q|`` and ``dphi/dq`` of the law pipes (see
        :func:`gasunion.physics.friction.friction_term`). For the laws whose turbulent lambda
        does not depend on Re (nikuradse, weymouth, stanet_nikuradse) the per-pipe constants
        are computed once; the formulas are friction_term's."""
        law = self.opt.friction
        if law not in ("nikuradse", "weymouth", "stanet_nikuradse"):
            return friction_term(law, q, self.d_law, self.k_law, self.mu)
        if self._fric_const is None:
            lam_coef = 16.0 * math.pi * self.d_law * self.mu  # laminar: phi = 64 q / c
            if law == "stanet_nikuradse":
                lr = lambda_nikuradse_stanet(self.d_law, self.k_law)
            else:
                lr = friction_factor(law, np.full(len(self.d_law), 1e12), self.d_law,
                                     self.k_law)[0]  # the Re-independent turbulent lambda
            self._fric_const = (lam_coef, lr)
        lam_coef, lr = self._fric_const
        qa = np.abs(q)
        if law == "stanet_nikuradse":  # lambda = 64/Re + lambda_r: phi smooth in q
            return lam_coef * q + lr * q * qa, lam_coef + 2.0 * lr * qa
        turb = lr * qa > lam_coef  # max(64/Re, lambda_t): lambda_t q|q| > 16 pi D mu |q|
        return (np.where(turb, lr * q * qa, lam_coef * q),
                np.where(turb, 2.0 * lr * qa, lam_coef))

    def unit_flows(self, q: np.ndarray) -> np.ndarray:
        """Flow of every branch [kg/s] with the total of each group of parallel units split by
        its load-sharing rule (``q`` as solved: the group's first unit carries the total)."""
        m = self.m
        return q[m.unit_rep] * m.unit_share

    def compressor_head(self, pi: np.ndarray, kappa: float) -> tuple[np.ndarray, np.ndarray]:
        """Isentropic head [J/kg] of each compressor (``m.comp_branch`` order) at squared
        pressures ``pi`` and whether it compresses (not in bypass or off; head 0 there)."""
        m = self.m
        cb = m.comp_branch
        p_in = np.sqrt(np.maximum(pi[m.fr[cb]], _PI_FLOOR))
        p_out = np.sqrt(np.maximum(pi[m.to[cb]], _PI_FLOOR))
        ratio = np.maximum(p_out / p_in, 1.0)
        z_in = self.z_model.z(p_in * 1e5)
        head = isentropic_head(p_in * 1e5, p_in * ratio * 1e5, self.t_k, z_in, self.r_s, kappa)
        active = (m.law_set[cb] != EQUAL) & (m.law_set[cb] != CLOSED)
        return np.where(active, head, 0.0), active

    def fuel_kg_s(self, pi: np.ndarray, q: np.ndarray, lhv_j_kg: float, kappa: float) -> np.ndarray:
        """Compressor fuel [kg/s] from the current state (see :mod:`gasunion.physics.compressor`)."""
        m = self.m
        if not len(m.comp_branch):
            return np.zeros(0)
        qc = np.maximum(self.unit_flows(q)[m.comp_branch], 0.0)
        head, active = self.compressor_head(pi, kappa)
        power_w = qc * head / m.comp_eta
        fuel = np.where(
            m.comp_fuel_model == "share", m.comp_fuel_share * qc,
            np.where((m.comp_fuel_model == "power") & m.comp_drive_gas,
                     power_w / (m.comp_drive_eta * lhv_j_kg), 0.0))
        return np.where(active, fuel, 0.0)

    # ------------------------------------------------------------------ residual + Jacobian
    def evaluate(
        self, x: np.ndarray, picard_qabs: np.ndarray | None = None, need_jac: bool = True
    ) -> tuple[np.ndarray, Derivatives | None]:
        """Residual ``F(x)`` (unscaled) and the branch-law derivatives (``None`` if not needed)."""
        m = self.m
        nf = self.nf
        nb = m.n_branches
        pi = self.pi_all(x)
        q = x[nf:]
        p = np.sqrt(np.maximum(pi, _PI_FLOOR))
        # dp/dpi, consistent with the clamp: zero where pi is below the floor, so that a
        # state with p^2 < 0 (an impossible demand) is still a smooth solution of the laws
        # and gets diagnosed instead of stalling Newton
        dp_dpi = np.where(pi > _PI_FLOOR, 0.5 / p, 0.0)
        fr, to = m.fr, m.to
        F = np.empty(self.nx)
        # balance at free nodes: inflow - outflow + injection - fuel
        bal = self._balance(q) + self.inj_free
        if len(self.fuel):
            fuel_at = np.zeros(m.n_nodes)
            np.add.at(fuel_at, m.comp_fuel_node, self.fuel)
            bal -= fuel_at[self.free_nodes]
        F[:nf] = bal
        d_i = np.zeros(nb)
        d_j = np.zeros(nb)
        d_q = np.zeros(nb)
        R = np.empty(nb)
        # ---- pipes and drag resistors
        ip = self.ip
        if len(ip):
            pi_i, pi_j, qp = pi[fr[ip]], pi[to[ip]], q[ip]
            p_i, p_j = p[fr[ip]], p[to[ip]]
            psum = p_i + p_j
            pm = mean_pressure(p_i, p_j)
            z, dz = self._z_and_slope(pm)  # dz in 1/bar
            c2 = z * self.r_s * self.t_k
            if self.flat:  # no height differences: e^-s = 1, g = 1
                es = np.ones(len(ip))
                K = c2 * self._inv_area2
            else:
                s = 2.0 * GRAVITY * self.dh / c2
                es = np.exp(-s)
                small = np.abs(s) < 1e-10
                g = np.where(small, 1.0 - s / 2.0, -np.expm1(-s) / np.where(small, 1.0, s))
                K = c2 * g * self._inv_area2  # bar^2 per (kg/s)^2
            phi = np.zeros(len(ip))
            dphi = np.zeros(len(ip))
            if picard_qabs is None:
                u = self.use_law
                if self.all_law:
                    ph, dph = self._friction(qp)
                    phi = self.l_over_d * ph
                    dphi = self.l_over_d * dph
                elif u.any():
                    ph, dph = self._friction(qp[u])
                    phi[u] = self.l_over_d[u] * ph
                    dphi[u] = self.l_over_d[u] * dph
                uf = self.use_fixed
                if uf.any():
                    rq = np.sqrt(qp[uf] ** 2 + self.eps_q[uf] ** 2)
                    lam = self.lam_fixed[uf] * self.l_over_d[uf]
                    phi[uf] = lam * qp[uf] * rq
                    dphi[uf] = lam * (rq + qp[uf] ** 2 / rq)
            else:
                qa = np.maximum(picard_qabs[ip], self.eps_q)
                lam = np.where(np.isfinite(self.lam_fixed), self.lam_fixed, 0.0)
                u = self.use_law
                if u.any():
                    re = reynolds(qa[u], self.d_law, self.mu)
                    lam[u] = friction_factor(self.opt.friction, re, self.d_law, self.k_law)[0]
                coef = self.l_over_d * lam * qa
                phi = coef * qp
                dphi = coef
            if self.has_zeta:
                rq = np.sqrt(qp**2 + self.eps_q**2)
                phi = phi + self.zeta * qp * rq
                dphi = dphi + self.zeta * (rq + qp**2 / rq)
            R[ip] = es * pi_i - pi_j - K * phi
            d_q[ip] = -K * dphi
            # dK/dpi via Z(p_m): dK/dZ = K/Z ; dpm/dp_i = 2/3 (1 - p_j^2/psum^2); dp/dpi = 1/(2p)
            dKdpm = K / z * dz
            dpm_dpi_i = 2.0 / 3.0 * (1.0 - (p_j / psum) ** 2) * dp_dpi[fr[ip]]
            dpm_dpi_j = 2.0 / 3.0 * (1.0 - (p_i / psum) ** 2) * dp_dpi[to[ip]]
            d_i[ip] = es - phi * dKdpm * dpm_dpi_i
            d_j[ip] = -1.0 - phi * dKdpm * dpm_dpi_j
        # ---- equal pressure
        ie = self.ie
        R[ie] = pi[fr[ie]] - pi[to[ie]]
        d_i[ie] = 1.0
        d_j[ie] = -1.0
        # ---- fixed ratio
        ir = self.ir
        R[ir] = pi[to[ir]] - self.ratio2 * pi[fr[ir]]
        d_i[ir] = -self.ratio2
        d_j[ir] = 1.0
        # ---- outlet set-point
        io = self.io
        R[io] = pi[to[io]] - self.pset2
        d_j[io] = 1.0
        # ---- fixed pressure loss
        il = self.il
        if len(il):
            t = np.tanh(q[il] / self.eps_loss)
            R[il] = p[fr[il]] - p[to[il]] - self.dp * t
            d_i[il] = dp_dpi[fr[il]]
            d_j[il] = -dp_dpi[to[il]]
            d_q[il] = -self.dp * (1.0 - t**2) / self.eps_loss
        # ---- closed
        ic = self.ic
        R[ic] = q[ic]
        d_q[ic] = 1.0
        F[nf:] = R
        if not need_jac:
            return F, None
        return F, Derivatives(d_i, d_j, d_q)

    # ------------------------------------------------------------------ reduced linear system
    def _build_reduced_pattern(self) -> None:
        """Slot map of the reduced matrix ``R`` (built once).

        ``R y = rhs`` with ``y = [dpi_free, dq_kept]``: rows are the balances at free junctions
        and the laws of kept branches. Eliminated branch b (weight ``w_b = 1/(dF_b/dq_b)``)
        contributes ``w d_i`` at (fr, fr), ``w d_j`` at (fr, to), ``-w d_i`` at (to, fr) and
        ``-w d_j`` at (to, to) (free junctions only); kept branch k has ``-1``/``+1`` at
        (fr, k)/(to, k) and its law's derivatives ``d_i, d_j, d_q`` in row k.
        """
        m = self.m
        law = m.law
        elim = (law == PIPE) | (law == CLOSED)
        self.elim = np.flatnonzero(elim)
        self.kept = np.flatnonzero(~elim)
        nf, nk = self.nf, len(self.kept)
        self.n_red = nf + nk
        cp = self.col_pi
        e, kk = self.elim, self.kept
        fe, te = m.fr[e], m.to[e]
        fk, tk = m.fr[kk], m.to[kk]
        krow = nf + np.arange(nk)
        pieces_r: list[np.ndarray] = []
        pieces_c: list[np.ndarray] = []
        # each piece: (rows, cols, which value source, mask); value sources filled per iteration
        self._pieces: list[tuple[str, np.ndarray]] = []

        def add(rows: np.ndarray, cols: np.ndarray, source: str, mask: np.ndarray) -> None:
            pieces_r.append(rows[mask])
            pieces_c.append(cols[mask])
            self._pieces.append((source, mask))

        ff, tf = self.mask_i[e], self.mask_j[e]
        add(cp[fe], cp[fe], "e_fi", ff)
        add(cp[fe], cp[te], "e_fj", ff & tf)
        add(cp[te], cp[fe], "e_ti", tf & ff)
        add(cp[te], cp[te], "e_tj", tf)
        fkf, tkf = self.mask_i[kk], self.mask_j[kk]
        add(cp[fk], krow, "k_bal_from", fkf)
        add(cp[tk], krow, "k_bal_to", tkf)
        add(krow, cp[fk], "k_di", fkf)
        add(krow, cp[tk], "k_dj", tkf)
        add(krow, krow, "k_dq", np.ones(nk, bool))
        rows = np.concatenate(pieces_r) if pieces_r else np.zeros(0, int)
        cols = np.concatenate(pieces_c) if pieces_c else np.zeros(0, int)
        self._pat_rows, self._pat_cols = rows, cols
        self._set_scaling()
        if self._order is not None:  # symmetric permutation: new index = position in order
            pos = np.empty(self.n_red, dtype=np.int64)
            pos[self._order] = np.arange(self.n_red)
            rows, cols = pos[rows], pos[cols]
        n = max(self.n_red, 1)
        key = cols.astype(np.int64) * n + rows  # column-major -> CSC order after unique
        ukey, self._slot = np.unique(key, return_inverse=True)
        self._nnz = len(ukey)
        urow = (ukey % n).astype(np.int32)
        ucol = (ukey // n).astype(np.int64)
        indptr = np.zeros(self.n_red + 1, dtype=np.int64)
        np.add.at(indptr, ucol + 1, 1)
        indptr = np.cumsum(indptr).astype(np.int32)
        self.J = sp.csc_matrix((np.zeros(self._nnz), urow, indptr), shape=(self.n_red, self.n_red))

    def full_jacobian(self, d: Derivatives) -> sp.csc_matrix:
        """The full (unreduced) scaled Jacobian ``dF/dx`` — for diagnostics and benchmarks.

        Rows: balances at free junctions, then one law per branch; columns: free squared
        pressures, then all branch flows; scaled like the reduced system.
        """
        m = self.m
        nf, nb = self.nf, m.n_branches
        b = np.arange(nb)
        mi, mj = self.mask_i, self.mask_j
        bal = self.B.tocoo()
        rows = np.concatenate([bal.row, nf + b[mi], nf + b[mj], nf + b])
        cols = np.concatenate([nf + bal.col, self.col_pi[m.fr[mi]], self.col_pi[m.to[mj]], nf + b])
        vals = np.concatenate([bal.data, d.d_i[mi], d.d_j[mj], d.d_q])
        vals = vals * self.xscale[cols] / self.fscale[rows]
        return sp.csc_matrix((vals, (rows, cols)), shape=(self.nx, self.nx))

    def factorize(self, J: sp.csc_matrix) -> Any:
        """Factorise the reduced matrix: KLU (refactorisation with the first pivot sequence,
        see :mod:`.linear`) where available, else SuperLU in symmetric mode.

        SuperLU: the fill-reducing order (minimum degree on ``A + A^T``) depends only on the
        pattern: it is computed at the first factorisation and then built into the slot map,
        so later matrices arrive already permuted and are factorised in their natural order
        (about half the cost of ordering anew each time).
        """
        if self._klu is not None:
            self._klu.factor(J.data)
            return self._klu
        return SuperLU().factor(J, natural=self._order is not None)

    def newton_step(self, F: np.ndarray, d: Derivatives,
                    refactor: bool = True) -> tuple[np.ndarray, float]:
        """Solve ``J dx = -F`` by elimination (see module docs); returns ``(dx, lu_seconds)``.

        ``refactor=False`` reuses the last factorisation (a chord step: the reduced matrix of
        an earlier iterate, the current residual and eliminated-flow weights).
        """
        m = self.m
        nf = self.nf
        e, kk = self.elim, self.kept
        fr, to = m.fr, m.to
        dq_e = d.d_q[e]
        w = 1.0 / dq_e
        di_e, dj_e = d.d_i[e], d.d_j[e]
        src = {
            "e_fi": w * di_e, "e_fj": w * dj_e, "e_ti": -w * di_e, "e_tj": -w * dj_e,
            "k_bal_from": -np.ones(len(kk)), "k_bal_to": np.ones(len(kk)),
            "k_di": d.d_i[kk], "k_dj": d.d_j[kk], "k_dq": d.d_q[kk],
        }
        reuse = not refactor and self._lu is not None
        if not reuse:
            vals = np.concatenate([src[name][mask] for name, mask in self._pieces])
            self.J.data = np.bincount(self._slot, weights=vals * self._entry_scale,
                                      minlength=self._nnz)
        # right-hand side: [-F_bal + A_E (F_E / dq_E); -F_K]
        F_e = F[nf + e]
        v = F_e * w
        top = -F[:nf].copy()
        fe_free, te_free = self.mask_i[e], self.mask_j[e]
        top -= np.bincount(self.col_pi[fr[e][fe_free]], weights=v[fe_free], minlength=nf)
        top += np.bincount(self.col_pi[to[e][te_free]], weights=v[te_free], minlength=nf)
        rhs = np.concatenate([top, -F[nf + kk]]) / self._rscale
        t0 = time.perf_counter()
        if reuse:
            assert self._lu is not None and self._order is not None
            y = np.empty(self.n_red)
            y[self._order] = self._lu.solve(rhs[self._order])
        else:
            lu = self.factorize(self.J)
            self.factorizations += 1
            if self._order is None:
                y = lu.solve(rhs)
                # adopt SuperLU's column order for all later factorisations
                self._order = np.argsort(lu.perm_c)
                self._build_reduced_pattern()
            else:
                y = np.empty(self.n_red)
                y[self._order] = lu.solve(rhs[self._order])
                self._lu = lu
        y *= self._cscale
        t_lu = time.perf_counter() - t0
        dx = np.empty(self.nx)
        dpi = y[:nf]
        dx[:nf] = dpi
        dx[nf + kk] = y[nf:]
        dpi_all = np.zeros(m.n_nodes)
        dpi_all[self.free_nodes] = dpi
        dx[nf + e] = -(F_e + di_e * dpi_all[fr[e]] + dj_e * dpi_all[to[e]]) * w
        return dx, t_lu

    def scaled_norm(self, F: np.ndarray) -> float:
        """Largest scaled residual (the convergence measure)."""
        return float(np.max(np.abs(F / self.fscale))) if len(F) else 0.0

    def merit(self, F: np.ndarray) -> float:
        """Root-mean-square scaled residual (the line-search measure)."""
        return float(np.sqrt(np.mean((F / self.fscale) ** 2))) if len(F) else 0.0


def initial_guess(k: Kernel) -> np.ndarray:
    """Start values: all free squared pressures at the highest set pressure, zero flows."""
    x = np.zeros(k.nx)
    x[: k.nf] = k.p_ref**2
    return x


def solve(k: Kernel, lhv_j_kg: float, kappa: float,
          progress: Callable[[int, float], None] | None = None,
          x0: np.ndarray | None = None, chord_start: bool = False) -> NewtonState:
    """Solve the network equations: Picard start-up steps (skipped when a start ``x0`` is
    given, e.g. a previous solution), damped Newton to convergence, then the fixed-loss
    refinement (see :func:`refine_loss_smoothing`)."""
    st = NewtonState(x=initial_guess(k) if x0 is None else np.array(x0, dtype=float))
    t0 = time.perf_counter()
    if k.nx == 0:
        st.converged = True
        st.residual_norm = 0.0
        return st
    if x0 is None:
        _picard(k, st)
    elif k.opt.warm_picard_steps:
        _picard(k, st, k.opt.warm_picard_steps, warm=True)
    _newton(k, st, lhv_j_kg, kappa, progress, chord_start=chord_start)
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
    for _ in range(k.opt.picard_steps if steps is None else steps):
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
            progress: Callable[[int, float], None] | None, refactor_first: bool = False,
            chord_start: bool = False) -> None:
    """Damped Newton from ``st.x`` until the scaled residual is below ``tol`` (updates ``st``).

    ``chord_start``: chord steps with the last factorisation (of a previous solution) are
    tried from the first step on, not only below ``chord_below``.
    """
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
        chord = chord_ok and (norm < opt.chord_below or chord_start)
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
