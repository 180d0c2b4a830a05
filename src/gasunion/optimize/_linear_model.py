"""The linear transport LP in linopy, vectorised over elements and periods, solved by HiGHS.

Variables (dims ``period`` x element; rates in kg/s, inventories in mcm):
``supply[t,i]``, ``served[t,s]``, ``fp[t,b]`` / ``fm[t,b]`` (forward / reverse part of the flow
of branch b, both >= 0), ``inj[t,g]``, ``wd[t,g]``, ``inv[t,g]`` (end of period t),
``deliver[t,k]`` and ``short[k]`` (contracts).

Constraints:

* ``balance[t,n]``: sum supply + sum (wd - inj) + sum_in (fp - fm) - sum_out (fp - fm)
  - sum served - sum fuel_b fp_b = 0 (kg/s; fuel taken at the fuel junction);
* ``storage[t,g]``: inv_t - inv_{t-1} - c_t (inj - wd) = start if t = 0 else 0, with
  c_t = 3600 h_t / (rho_n 1e6) [mcm per kg/s over the period];
* ``storage_end[g]``: inv_T = end (where an end inventory is set);
* ``seller[t,g]`` / ``buyer[t,g]``: contract deliveries of a seller (buyer) group <= its supply
  (served demand); ``take_or_pay[k]``: sum_t h_t deliver + short >= top sum_t h_t volume.

The objective is minimised in internal units of currency / 3600 (coefficient ``h_t x price``);
:class:`HighsLP` reports currency. Node prices are the balance duals divided by h_t
[currency/kg].
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import linopy
import numpy as np
import pandas as pd
import xarray as xr

from gasunion.optimize._highs import new_highs
from gasunion.optimize._linear_data import LinearData

__all__ = ["HighsLP", "TransportLP", "build_lp", "sparse_sum"]


def sparse_sum(m: linopy.Model, rows: pd.Index, dim: str, period: pd.Index,
               row_of: np.ndarray, labels: np.ndarray, coeffs: np.ndarray
               ) -> linopy.LinearExpression:
    """Expression ``(period, dim)``: for each row r, sum of ``coeffs[:, j] * var(labels[:, j])``
    over the terms j with ``row_of[j] == r`` (labels ``(T, J)`` variable labels, -1 = none;
    coeffs ``(J,)`` or ``(T, J)``)."""
    T, n = len(period), len(rows)
    order = np.argsort(row_of, kind="stable")
    r = row_of[order]
    slot = np.arange(len(r)) - np.searchsorted(r, r, side="left")
    width = int(slot.max()) + 1 if len(r) else 1
    v = np.full((T, n, width), -1, dtype=np.int64)
    c = np.zeros((T, n, width))
    v[:, r, slot] = labels[:, order]
    c[:, r, slot] = np.broadcast_to(coeffs, labels.shape)[:, order]
    ds = xr.Dataset({"coeffs": (("period", dim, "_term"), c), "vars": (("period", dim, "_term"), v)},
                    coords={"period": period, dim: rows})
    return linopy.LinearExpression(ds, m)


def _da(a: np.ndarray, period: pd.Index, dim: str, ids: pd.Index) -> xr.DataArray:
    return xr.DataArray(np.asarray(a, dtype=float), coords={"period": period,
                                                            dim: pd.Index(ids, name=dim)},
                        dims=("period", dim))


@dataclass
class TransportLP:
    """The built model: linopy objects plus the index arrays needed to read results."""

    m: linopy.Model
    data: LinearData
    v: dict[str, linopy.Variable]
    c: dict[str, linopy.Constraint]
    obj_const: float = 0.0
    groups: dict[str, pd.Index] = field(default_factory=dict)


def build_lp(d: LinearData, served_weight: np.ndarray, *, served_lo: np.ndarray | None = None,
             use_costs: bool = True, contracts: pd.DataFrame | None = None) -> TransportLP:
    """Build the LP. ``served_weight`` ``(T, S)``: value per kg of served demand [currency/kg]
    (enters as ``-h_t w``); ``served_lo``: lower bound on served (default 0); ``use_costs``:
    include supply costs and branch fees."""
    per = d.periods
    P = per.names
    h = per.hours
    m = linopy.Model(force_dim_names=True)
    S, D, G = d.src.index.rename("source"), d.snk.index.rename("sink"), d.sto.index.rename("storage")
    B = pd.Index(np.arange(len(d.br)), name="branch")
    v: dict[str, linopy.Variable] = {}
    v["supply"] = m.add_variables(_da(d.src_lo, P, "source", S), _da(d.src_hi, P, "source", S),
                                  name="supply")
    lo = d.demand * 0.0 if served_lo is None else served_lo
    v["served"] = m.add_variables(_da(lo, P, "sink", D), _da(d.demand, P, "sink", D), name="served")
    v["fp"] = m.add_variables(_da(d.fwd_lo, P, "branch", B), _da(d.fwd_hi, P, "branch", B), name="fp")
    v["fm"] = m.add_variables(_da(d.rev_lo, P, "branch", B), _da(d.rev_hi, P, "branch", B), name="fm")
    v["inj"] = m.add_variables(0.0, _da(d.inj_hi, P, "storage", G), name="inj")
    v["wd"] = m.add_variables(0.0, _da(d.wd_hi, P, "storage", G), name="wd")
    vol = np.broadcast_to(d.volume, (len(P), len(G)))
    v["inv"] = m.add_variables(0.0, _da(vol, P, "storage", G), name="inv")

    # ---- node balance: one term per element end, summed per node (no loop over elements)
    br = d.br
    parts = [  # (node of each term, labels (T, J), coefficient per term)
        (d.src["node"].to_numpy(int), v["supply"].labels.values, 1.0),
        (d.snk["node"].to_numpy(int), v["served"].labels.values, -1.0),
        (d.sto["node"].to_numpy(int), v["wd"].labels.values, 1.0),
        (d.sto["node"].to_numpy(int), v["inj"].labels.values, -1.0),
        (br["to_node"].to_numpy(int), v["fp"].labels.values, 1.0),
        (br["from_node"].to_numpy(int), v["fp"].labels.values, -1.0),
        (br["from_node"].to_numpy(int), v["fm"].labels.values, 1.0),
        (br["to_node"].to_numpy(int), v["fm"].labels.values, -1.0),
    ]
    fuel = br["fuel"].to_numpy(float)
    has_fuel = fuel > 0
    if has_fuel.any():
        parts.append((br["fuel_node"].to_numpy(int)[has_fuel],
                      v["fp"].labels.values[:, has_fuel], -fuel[has_fuel]))
    row_of = np.concatenate([p[0] for p in parts])
    labels = np.concatenate([p[1] for p in parts], axis=1)
    coeffs = np.concatenate([np.broadcast_to(np.asarray(p[2], float), (len(p[0]),)) for p in parts])
    nodes = d.nodes.rename("node")
    c: dict[str, linopy.Constraint] = {}
    c["balance"] = m.add_constraints(sparse_sum(m, nodes, "node", P, row_of, labels, coeffs) == 0,
                                     name="balance")

    # ---- storage inventories [mcm]: inv_t - inv_{t-1} - k_t inj_t + k_t wd_t = start (t=0)
    if len(G):
        k = np.repeat((h * 3600.0 / d.kg_per_mcm)[:, None], len(G), axis=1)
        inv = v["inv"].labels.values
        prev = np.vstack([np.full((1, len(G)), -1), inv[:-1]])
        gi = np.arange(len(G))
        expr = sparse_sum(m, G, "storage", P, np.concatenate([gi, gi, gi, gi]),
                          np.hstack([inv, prev, v["inj"].labels.values, v["wd"].labels.values]),
                          np.hstack([np.ones_like(k), -np.ones_like(k), -k, k]))
        rhs = np.zeros((len(P), len(G)))
        rhs[0, :] = d.start
        c["storage"] = m.add_constraints(expr == _da(rhs, P, "storage", G), name="storage")
        has_end = np.isfinite(d.end)
        if has_end.any():
            last = v["inv"].isel(period=-1).sel(storage=G[has_end])
            c["storage_end"] = m.add_constraints(
                last == xr.DataArray(d.end[has_end], coords={"storage": G[has_end]}),
                name="storage_end")

    # ---- objective (internal unit: currency / 3600), one flat expression
    hh = h[:, None]
    terms = [(v["served"], -hh * served_weight)]
    if use_costs:
        terms += [(v["supply"], hh * d.src_cost), (v["fp"], hh * d.fee), (v["fm"], hh * d.fee)]
    lp = TransportLP(m, d, v, c)
    if contracts is not None and len(contracts):
        terms += _contracts(lp, contracts, use_costs)
    lab = np.concatenate([var.labels.values.ravel() for var, _ in terms])
    coef = np.concatenate([np.broadcast_to(cf, var.labels.shape).ravel() for var, cf in terms])
    keep = (coef != 0) & (lab >= 0)
    if not keep.any():  # a constant objective still needs one term
        keep[:1] = True
    m.add_objective(linopy.LinearExpression(xr.Dataset(
        {"coeffs": ("_term", coef[keep]), "vars": ("_term", lab[keep])}), m))
    return lp


def _contracts(lp: TransportLP, k: pd.DataFrame, use_costs: bool
               ) -> list[tuple[linopy.Variable, np.ndarray]]:
    """Contract variables and constraints; returns the objective terms of take-or-pay shortfall.

    ``k`` (prepared by the caller): index contract id; ``rate`` (T, K) array in column
    ``_rate`` is passed as the attribute ``k.attrs["rate"]``; ``seller_members`` /
    ``buyer_members``: lists of source / sink positions; ``take_or_pay``; ``price_per_kg``.
    """
    m, d, v = lp.m, lp.data, lp.v
    P, h = d.periods.names, d.periods.hours
    K = pd.Index(k.index, name="contract")
    rate = k.attrs["rate"]
    v["deliver"] = m.add_variables(0.0, _da(rate, P, "contract", K), name="deliver")
    dl = v["deliver"].labels.values
    for side, var in (("seller", "supply"), ("buyer", "served")):
        groups = pd.Index(pd.unique(k[side]), name=side)
        lp.groups[side] = groups
        g_of_k = groups.get_indexer(k[side])
        mem = k[f"{side}_members"]
        first = ~pd.Series(k[side].to_numpy()).duplicated().to_numpy()
        el: np.ndarray = np.concatenate([np.asarray(x, int) for x in mem[first]])
        g_el = np.concatenate([np.full(len(x), g_of_k[i]) for i, x in
                               zip(np.flatnonzero(first), mem[first], strict=True)])
        labels = np.concatenate([dl, v[var].labels.values[:, el]], axis=1)
        row_of = np.concatenate([g_of_k, g_el]).astype(int)
        coeffs = np.concatenate([np.ones(len(K)), -np.ones(len(el))])
        lp.c[side] = m.add_constraints(sparse_sum(m, groups, side, P, row_of, labels, coeffs) <= 0,
                                       name=side)
    top = k["take_or_pay"].to_numpy(float)
    need = top * (h[:, None] * rate).sum(axis=0)
    paid = np.isfinite(k["price_per_kg"].to_numpy(float))
    v["short"] = m.add_variables(0.0, xr.DataArray(np.where(paid, np.inf, 0.0), coords={"contract": K}),
                                 name="short")
    hd = xr.DataArray(h, coords={"period": P}, dims="period")
    lp.c["take_or_pay"] = m.add_constraints(
        (v["deliver"] * hd).sum("period") + v["short"]
        >= xr.DataArray(need, coords={"contract": K}), name="take_or_pay")
    price = np.nan_to_num(k["price_per_kg"].to_numpy(float)) if use_costs else np.zeros(len(K))
    return [(v["short"], price)]


class HighsLP:
    """The LP passed once to HiGHS; bounds can be changed and the model re-solved (warm start).

    ``build_time_s`` covers the matrix export and the transfer to HiGHS; ``run`` returns the
    HiGHS model status string and records ``solve_time_s``.
    """

    def __init__(self, m: linopy.Model, time_limit: float | None = None) -> None:
        t0 = time.perf_counter()
        self.m = m
        M = m.matrices
        h = new_highs()
        if time_limit:
            h.setOptionValue("time_limit", float(time_limit))
        self.vlabels = np.asarray(M.vlabels)
        self.clabels = np.asarray(M.clabels)
        n = len(self.vlabels)
        h.addVars(n, M.lb, M.ub)
        h.changeColsCost(n, np.arange(n, dtype=np.int32), M.c)
        A = M.A
        if A is not None and A.shape[0]:
            A = A.tocsr()
            lo = np.where(M.sense != "<", M.b, -np.inf)
            up = np.where(M.sense != ">", M.b, np.inf)
            h.addRows(A.shape[0], lo, up, A.nnz, A.indptr, A.indices, A.data)
        self.h = h
        self.col_of = np.full(int(m._xCounter) + 1, -1, dtype=np.int64)
        self.col_of[self.vlabels] = np.arange(n)
        self.row_of = np.full(int(m._cCounter) + 1, -1, dtype=np.int64)
        self.row_of[self.clabels] = np.arange(len(self.clabels))
        self.n_variables, self.n_constraints = n, len(self.clabels)
        self.build_time_s = time.perf_counter() - t0
        self.solve_time_s = 0.0
        self.status = ""

    def run(self) -> str:
        t0 = time.perf_counter()
        self.h.run()
        self.solve_time_s += time.perf_counter() - t0
        st = self.h.getModelStatus()
        self.status = self.h.modelStatusToString(st)
        sol = self.h.getSolution()
        self._x = np.asarray(sol.col_value)
        self._y = np.asarray(sol.row_dual)
        self._rc = np.asarray(sol.col_dual)
        return self.status

    @property
    def optimal(self) -> bool:
        return self.status == "Optimal"

    @property
    def objective(self) -> float:
        """Objective in currency (internal objective x 3600)."""
        return 3600.0 * float(self.h.getInfo().objective_function_value)

    def _pick(self, labels: np.ndarray, arr: np.ndarray, pos: np.ndarray) -> np.ndarray:
        p = np.where(labels >= 0, pos[np.clip(labels, 0, None)], -1)
        out = np.where(p >= 0, arr[np.clip(p, 0, None)] if len(arr) else 0.0, np.nan)
        return np.asarray(out, dtype=float)

    def value(self, var: linopy.Variable) -> np.ndarray:
        return self._pick(var.labels.values, self._x, self.col_of)

    def reduced_cost(self, var: linopy.Variable) -> np.ndarray:
        return self._pick(var.labels.values, self._rc, self.col_of)

    def dual(self, con: linopy.Constraint) -> np.ndarray:
        return self._pick(con.labels.values, self._y, self.row_of)

    def set_upper(self, var: linopy.Variable, mask: np.ndarray, upper: Any) -> None:
        """Set the upper bound of ``var``'s entries where ``mask`` (same shape) is True."""
        labels = var.labels.values[mask]
        cols = self.col_of[labels[labels >= 0]]
        lo = np.asarray(self.h.getLp().col_lower_)[cols]
        up = np.broadcast_to(np.asarray(upper, dtype=float), labels.shape)[labels >= 0]
        self.h.changeColsBounds(len(cols), cols.astype(np.int32), np.minimum(lo, up), up)

    def set_bounds(self, var: linopy.Variable, lower: np.ndarray, upper: np.ndarray) -> None:
        """Reset all bounds of ``var`` (arrays shaped like its labels)."""
        labels = var.labels.values
        ok = labels >= 0
        cols = self.col_of[labels[ok]]
        self.h.changeColsBounds(len(cols), cols.astype(np.int32),
                                np.asarray(lower, float)[ok], np.asarray(upper, float)[ok])
