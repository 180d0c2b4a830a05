"""The reduced linear system of a Newton step (a mixin of :class:`~.newton.Kernel`).

Each Newton step solves ``J dx = -F`` by block elimination: the flow of every branch whose law
depends on its own flow (pipes, drag resistors, closed elements: ``dF_b/dq_b != 0``) is
eliminated, ``dq_b = -(F_b + dF_b/dpi_i dpi_i + dF_b/dpi_j dpi_j) / (dF_b/dq_b)``, which leaves
a sparse system in the free squared pressures (a weighted Laplacian) plus the flows of the
remaining branches (short pipes, open valves, compressors, regulators). Its pattern is built
once; each iteration refills the data (vectorised, ``np.bincount`` over a fixed slot map) and
factorises it (:mod:`.linear`: KLU refactorisation, or SuperLU). Rows and columns are scaled
(flows by the flow scale, squared pressures by the pressure scale) before factorisation.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp

from gasunion.simulation.laws import CLOSED, PIPE
from gasunion.simulation.linear import SuperLU


@dataclass
class Derivatives:
    """Partial derivatives of each branch law: d/dpi_from, d/dpi_to, d/dq."""

    d_i: np.ndarray
    d_j: np.ndarray
    d_q: np.ndarray


class ReducedSystem:
    """Pattern, scaling, factorisation and solution of the reduced Newton system; expects the
    attributes a :class:`~.newton.Kernel` sets (model ``m``, scales, masks)."""

    m: Any
    nf: int
    nx: int
    flow_scale: float
    pi_scale: float
    fscale: np.ndarray
    xscale: np.ndarray
    col_pi: np.ndarray
    free_nodes: np.ndarray
    mask_i: np.ndarray
    mask_j: np.ndarray
    _bal_fr_row: np.ndarray
    _bal_fr_br: np.ndarray
    _bal_to_row: np.ndarray
    _bal_to_br: np.ndarray
    _order: np.ndarray | None
    _lu: Any
    _klu: Any
    factorizations: int

    def _set_scaling(self) -> None:
        """Row/column scaling of the reduced matrix: balance rows / flow_scale, kept-law rows
        / their residual scale; pi columns * pi_scale, kept-flow columns * flow_scale."""
        nf, kk = self.nf, self.kept
        rs = np.concatenate([np.full(nf, self.flow_scale), self.fscale[nf + kk]])
        cs = np.concatenate([np.full(nf, self.pi_scale), np.full(len(kk), self.flow_scale)])
        self._rscale, self._cscale = rs, cs
        self._entry_scale = cs[self._pat_cols] / rs[self._pat_rows]

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
        # balance rows: -1 at the from-junction, +1 at the to-junction of each branch
        bal_rows = np.concatenate([self._bal_fr_row, self._bal_to_row])
        bal_cols = np.concatenate([self._bal_fr_br, self._bal_to_br])
        bal_vals = np.concatenate([-np.ones(len(self._bal_fr_br)), np.ones(len(self._bal_to_br))])
        rows = np.concatenate([bal_rows, nf + b[mi], nf + b[mj], nf + b])
        cols = np.concatenate([nf + bal_cols, self.col_pi[m.fr[mi]], self.col_pi[m.to[mj]], nf + b])
        vals = np.concatenate([bal_vals, d.d_i[mi], d.d_j[mj], d.d_q])
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
