"""Newton–Raphson kernel for the steady-state network equations: residuals and derivatives.

Unknowns ``x = [pi_free (bar^2), q (kg/s)]``; equations ``F = [mass balance at free junctions
(kg/s); one law per branch]`` (laws in :mod:`gasunion.simulation.laws`). The :class:`Kernel`
evaluates ``F`` and the branch-law derivatives vectorised over all elements; its reduced linear
system (pipe flows eliminated; KLU or SuperLU) is in :mod:`.reduced`, the iteration (start-up,
damped Newton, chord steps, fixed-loss refinement) in :mod:`.solver`.

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
from dataclasses import dataclass
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
from gasunion.simulation.linear import Klu, klu_library
from gasunion.simulation.model import CLOSED, EQUAL, PIPE, PLOSS, POUT, RATIO, SimModel
from gasunion.simulation.reduced import Derivatives, ReducedSystem

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


class Kernel(ReducedSystem):
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

    def scaled_norm(self, F: np.ndarray) -> float:
        """Largest scaled residual (the convergence measure)."""
        return float(np.max(np.abs(F / self.fscale))) if len(F) else 0.0

    def merit(self, F: np.ndarray) -> float:
        """Root-mean-square scaled residual (the line-search measure)."""
        return float(np.sqrt(np.mean((F / self.fscale) ** 2))) if len(F) else 0.0
