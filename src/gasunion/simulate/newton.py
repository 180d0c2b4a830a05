"""Newton–Raphson kernel for the steady-state network equations.

Unknowns ``x = [pi_free (bar^2), q (kg/s)]``; equations ``F = [mass balance at free junctions
(kg/s); one law per branch]`` (laws in :mod:`gasunion.simulate.model`). The Jacobian is sparse
with a fixed pattern built once; each iteration only refills its data array (vectorised) and
factorises it with SuperLU (``scipy.sparse.linalg.splu``). Rows and columns are scaled (flows
by the flow scale, squared pressures by the pressure scale) before factorisation.

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
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from gasunion.physics.compressibility import ZModel
from gasunion.physics.compressor import isentropic_head
from gasunion.physics.friction import friction_factor, friction_term, reynolds
from gasunion.simulate.model import CLOSED, EQUAL, PIPE, PLOSS, POUT, RATIO, SimModel

_PI_FLOOR = 1e-6  # bar^2: pressures are evaluated at sqrt(max(pi, floor)) inside Z and laws
_PA2_PER_BAR2 = 1e10


@dataclass
class NewtonOptions:
    friction: str = "nikuradse"
    tol: float = 1e-10  #: relative tolerance on scaled residuals
    max_iter: int = 60
    picard_steps: int = 2  #: linearised start-up solves (initial guess)


@dataclass
class NewtonState:
    x: np.ndarray
    iterations: int = 0
    converged: bool = False
    residual_norm: float = math.inf
    history: list[float] = field(default_factory=list)
    solve_time_s: float = 0.0
    lu_time_s: float = 0.0
    message: str = ""


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
        self.pi_fixed = np.where(m.fixed, m.p_fixed_bar**2, 0.0)
        self.pi_fixed = np.where(np.isfinite(self.pi_fixed), self.pi_fixed, 0.0)
        # scales
        self.flow_scale = max(float(np.abs(m.injection_kg_s).sum()) / 2.0, 1.0)
        pref = np.concatenate([m.p_fixed_bar[np.isfinite(m.p_fixed_bar)],
                               m.p_set_bar[np.isfinite(m.p_set_bar)]])
        self.p_ref = float(pref.max()) if len(pref) else 50.0
        self.pi_scale = self.p_ref**2
        self.eps_q = 1e-6 * self.flow_scale  # regularisation of q|q| for fixed-lambda terms
        # branch groups
        law = m.law
        self.ip = np.flatnonzero(law == PIPE)
        self.ie = np.flatnonzero(law == EQUAL)
        self.ir = np.flatnonzero(law == RATIO)
        self.io = np.flatnonzero(law == POUT)
        self.il = np.flatnonzero(law == PLOSS)
        self.ic = np.flatnonzero(law == CLOSED)
        ip = self.ip
        self.area = math.pi * m.diameter_m[ip] ** 2 / 4.0
        self.l_over_d = np.where(m.length_m[ip] > 0, m.length_m[ip] / m.diameter_m[ip], 0.0)
        self.has_len = self.l_over_d > 0
        self.lam_fixed = m.lam_fixed[ip]
        self.use_law = self.has_len & ~np.isfinite(self.lam_fixed)
        self.use_fixed = self.has_len & np.isfinite(self.lam_fixed)
        self.zeta = m.zeta[ip]
        self.dh = m.dh_m[ip]
        self.ratio2 = m.ratio[self.ir] ** 2
        self.pset2 = m.p_set_bar[self.io] ** 2
        self.dp = m.dp_loss_bar[self.il]
        self.eps_loss = 1e-4 * self.flow_scale
        # ---- sparse pattern: balance entries (constant) then branch entries
        fr, to = m.fr, m.to
        b = np.arange(nb)
        ffree, tfree = free[fr], free[to]
        rows_bal = np.concatenate([self.col_pi[fr[ffree]], self.col_pi[to[tfree]]])
        cols_bal = np.concatenate([self.nf + b[ffree], self.nf + b[tfree]])
        vals_bal = np.concatenate([-np.ones(ffree.sum()), np.ones(tfree.sum())])
        self.mask_i, self.mask_j = ffree, tfree
        rows_br = np.concatenate([self.nf + b[ffree], self.nf + b[tfree], self.nf + b])
        cols_br = np.concatenate([self.col_pi[fr[ffree]], self.col_pi[to[tfree]], self.nf + b])
        rows = np.concatenate([rows_bal, rows_br])
        cols = np.concatenate([cols_bal, cols_br])
        self.vals_bal = vals_bal
        # scaling: F~ = F / fscale, x = x~ * xscale -> J~ = J * xscale[col] / fscale[row]
        self.fscale = np.concatenate([np.full(self.nf, self.flow_scale), np.full(nb, self.pi_scale)])
        self.fscale[self.nf + self.ic] = self.flow_scale
        self.xscale = np.concatenate([np.full(self.nf, self.pi_scale), np.full(nb, self.flow_scale)])
        entry_scale = self.xscale[cols] / self.fscale[rows]
        pattern = sp.csc_matrix(
            (np.arange(1, len(rows) + 1, dtype=float), (rows, cols)), shape=(self.nx, self.nx)
        )
        pattern.sort_indices()
        self.perm = pattern.data.astype(np.int64) - 1
        self.entry_scale = entry_scale[self.perm]
        self.J = pattern
        # incidence for the balance residual: B q with B (nf x nb)
        self.B = sp.csr_matrix((vals_bal, (rows_bal, cols_bal - self.nf)), shape=(self.nf, nb))
        self.inj_free = m.injection_kg_s[self.free_nodes]
        # compressor fuel
        self.fuel = np.zeros(len(m.comp_branch))

    # ------------------------------------------------------------------ helpers
    def pi_all(self, x: np.ndarray) -> np.ndarray:
        pi = self.pi_fixed.copy()
        pi[self.free_nodes] = x[: self.nf]
        return pi

    def fuel_kg_s(self, pi: np.ndarray, q: np.ndarray, lhv_j_kg: float, kappa: float) -> np.ndarray:
        """Compressor fuel [kg/s] from the current state (see :mod:`gasunion.physics.compressor`)."""
        m = self.m
        if not len(m.comp_branch):
            return np.zeros(0)
        cb = m.comp_branch
        qc = np.maximum(q[cb], 0.0)
        p_in = np.sqrt(np.maximum(pi[m.fr[cb]], _PI_FLOOR))
        p_out = np.sqrt(np.maximum(pi[m.to[cb]], _PI_FLOOR))
        ratio = np.maximum(p_out / p_in, 1.0)
        z_in = self.z_model.z(p_in * 1e5)
        head = isentropic_head(p_in * 1e5, p_in * ratio * 1e5, self.t_k, z_in, self.r_s, kappa)
        power_w = qc * head / m.comp_eta
        active = m.law[cb] != EQUAL
        active &= m.law[cb] != CLOSED
        fuel = np.where(
            m.comp_fuel_model == "share", m.comp_fuel_share * qc,
            np.where((m.comp_fuel_model == "power") & m.comp_drive_gas,
                     power_w / (m.comp_drive_eta * lhv_j_kg), 0.0))
        return np.where(active, fuel, 0.0)

    # ------------------------------------------------------------------ residual + Jacobian
    def evaluate(
        self, x: np.ndarray, picard_qabs: np.ndarray | None = None, need_jac: bool = True
    ) -> tuple[np.ndarray, sp.csc_matrix | None]:
        """Residual ``F(x)`` (unscaled) and the scaled Jacobian (``None`` if not needed)."""
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
        bal = self.B @ q + self.inj_free
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
            pm = 2.0 / 3.0 * (psum - p_i * p_j / psum)
            z = self.z_model.z(pm * 1e5)
            dz = self.z_model.dz_dp(pm * 1e5) * 1e5  # 1/bar
            c2 = z * self.r_s * self.t_k
            s = 2.0 * 9.80665 * self.dh / c2
            es = np.exp(-s)
            small = np.abs(s) < 1e-10
            g = np.where(small, 1.0 - s / 2.0, -np.expm1(-s) / np.where(small, 1.0, s))
            K = c2 * g / self.area**2 / _PA2_PER_BAR2  # bar^2 per (kg/s)^2
            phi = np.zeros(len(ip))
            dphi = np.zeros(len(ip))
            if picard_qabs is None:
                u = self.use_law
                if u.any():
                    ph, dph = friction_term(self.opt.friction, qp[u], m.diameter_m[ip][u],
                                            m.roughness_m[ip][u], self.mu)
                    phi[u] = self.l_over_d[u] * ph
                    dphi[u] = self.l_over_d[u] * dph
                uf = self.use_fixed
                if uf.any():
                    rq = np.sqrt(qp[uf] ** 2 + self.eps_q**2)
                    lam = self.lam_fixed[uf] * self.l_over_d[uf]
                    phi[uf] = lam * qp[uf] * rq
                    dphi[uf] = lam * (rq + qp[uf] ** 2 / rq)
            else:
                qa = np.maximum(picard_qabs[ip], self.eps_q)
                lam = np.where(np.isfinite(self.lam_fixed), self.lam_fixed, 0.0)
                u = self.use_law
                if u.any():
                    re = reynolds(qa[u], m.diameter_m[ip][u], self.mu)
                    lam[u] = friction_factor(self.opt.friction, re, m.diameter_m[ip][u],
                                             m.roughness_m[ip][u])[0]
                coef = self.l_over_d * lam * qa
                phi = coef * qp
                dphi = coef
            if np.any(self.zeta > 0):
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
            # in the Picard start-up the loss is taken at the sign of the current flow
            # (a steep tanh slope at q = 0 would throw the first pressures far off)
            if picard_qabs is None:
                d_q[il] = -self.dp * (1.0 - t**2) / self.eps_loss
        # ---- closed
        ic = self.ic
        R[ic] = q[ic]
        d_q[ic] = 1.0
        F[nf:] = R
        if not need_jac:
            return F, None
        vals = np.concatenate([self.vals_bal, d_i[self.mask_i], d_j[self.mask_j], d_q])
        J = self.J
        J.data = vals[self.perm] * self.entry_scale
        return F, J

    def scaled_norm(self, F: np.ndarray) -> float:
        return float(np.max(np.abs(F / self.fscale))) if len(F) else 0.0


def initial_guess(k: Kernel) -> np.ndarray:
    """Start values: all free squared pressures at the highest set pressure, zero flows."""
    x = np.zeros(k.nx)
    x[: k.nf] = k.p_ref**2
    return x


def solve(k: Kernel, lhv_j_kg: float, kappa: float, progress=None) -> NewtonState:
    """Run Picard start-up steps then damped Newton to convergence (or ``max_iter``)."""
    opt = k.opt
    x = initial_guess(k)
    st = NewtonState(x=x)
    t0 = time.perf_counter()
    if k.nx == 0:
        st.converged = True
        st.residual_norm = 0.0
        return st
    # ---- Picard start-up: linearise q|q| around |q| of the previous solve
    qabs = np.full(k.m.n_branches, k.flow_scale * 0.1)
    for _ in range(opt.picard_steps):
        F, J = k.evaluate(x, picard_qabs=qabs)
        t1 = time.perf_counter()
        lu = spla.splu(J)
        dx = lu.solve(-F / k.fscale) * k.xscale
        st.lu_time_s += time.perf_counter() - t1
        x = x + dx
        qabs = np.abs(x[k.nf:]) + 1e-3 * k.flow_scale
        st.iterations += 1
    # ---- Newton
    pi_all = k.pi_all(x)
    k.fuel = k.fuel_kg_s(pi_all, x[k.nf:], lhv_j_kg, kappa)
    F, J = k.evaluate(x)
    norm = k.scaled_norm(F)
    st.history.append(norm)
    for _it in range(opt.max_iter):
        if norm <= opt.tol:
            st.converged = True
            break
        assert J is not None
        t1 = time.perf_counter()
        try:
            lu = spla.splu(J)
        except RuntimeError as exc:  # exactly singular
            st.message = f"singular Jacobian ({exc})"
            break
        dx = lu.solve(-F / k.fscale) * k.xscale
        st.lu_time_s += time.perf_counter() - t1
        if not np.all(np.isfinite(dx)):
            st.message = "non-finite Newton step (singular Jacobian)"
            break
        # damped step: backtrack until the scaled residual decreases
        alpha = 1.0
        while True:
            x_new = x + alpha * dx
            k.fuel = k.fuel_kg_s(k.pi_all(x_new), x_new[k.nf:], lhv_j_kg, kappa)
            F_new, J_new = k.evaluate(x_new)
            norm_new = k.scaled_norm(F_new)
            if norm_new < (1.0 - 1e-4 * alpha) * norm or alpha < 1.0 / 64 or norm_new <= opt.tol:
                break
            alpha /= 2.0
        x, F, J, norm = x_new, F_new, J_new, norm_new
        st.iterations += 1
        st.history.append(norm)
        if progress is not None:
            progress(st.iterations, norm)
    else:
        st.converged = norm <= opt.tol
    if norm <= opt.tol:
        st.converged = True
    st.x = x
    st.residual_norm = norm
    st.solve_time_s = time.perf_counter() - t0
    return st
