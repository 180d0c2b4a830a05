"""Why a transport LP is infeasible: elastic slacks and the bounds that bind against them.

The infeasible LP is copied into a fresh HiGHS model in which every node balance, storage end
inventory and take-or-pay minimum gets elastic slack columns (cost 1 per unit, every other
cost 0): the minimum total violation. Its non-zero slacks say *where* the request fails
(node and period, with the missing amount); the bounds with non-zero reduced cost at that
optimum say *which* limits conflict with it (a pipe at capacity, a supply at its maximum, a
demand that must be served, ...): relaxing any of them would reduce the violation.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from gasunion.optimize._linear_model import HighsLP, TransportLP

__all__ = ["diagnose"]

_TOL = 1e-6

#: variable -> (component, bound at upper, bound at lower, unit)
_VARS = {
    "supply": ("sources", "supply at its maximum", "supply at its minimum", "kg/s"),
    "served": ("sinks", "served at its demand", "demand that must be served (cost objective)",
               "kg/s"),
    "fp": ("branches", "forward capacity", "minimum forward flow", "kg/s"),
    "fm": ("branches", "reverse capacity", "minimum reverse flow", "kg/s"),
    "inj": ("storages", "injection at its maximum", "injection at zero", "kg/s"),
    "wd": ("storages", "withdrawal at its maximum", "withdrawal at zero", "kg/s"),
    "inv": ("storages", "inventory at the working gas volume", "inventory empty", "mcm"),
    "deliver": ("contracts", "contract volume", "contract delivery at zero", "kg/s"),
}


def _ids(lp: TransportLP, name: str) -> tuple[pd.Index, np.ndarray | None]:
    d = lp.data
    if name == "supply":
        return d.src.index, None
    if name == "served":
        return d.snk.index, None
    if name in ("fp", "fm"):
        return d.br.index, d.br["component"].to_numpy(object)
    if name in ("inj", "wd", "inv"):
        return d.sto.index, None
    return pd.Index(lp.v[name].labels.coords[lp.v[name].labels.dims[-1]].values), None


def diagnose(lp: TransportLP) -> pd.DataFrame:
    """Diagnosis table (constraint, component, element, period, amount, unit, explanation)."""
    hl = HighsLP(lp.m)
    h = hl.h
    n = hl.n_variables
    h.changeColsCost(n, np.arange(n, dtype=np.int32), np.zeros(n))
    P = lp.data.periods.names
    slacks = []  # (constraint object name, row positions, sign, labels array)
    for name, sign in (("balance", 1.0), ("balance", -1.0), ("storage_end", 1.0),
                       ("storage_end", -1.0), ("take_or_pay", 1.0)):
        if name not in lp.c:
            continue
        labels = lp.c[name].labels.values
        rows = np.where(labels >= 0, hl.row_of[np.clip(labels, 0, None)], -1)
        ok = rows >= 0
        r = rows[ok].astype(np.int32)
        start = hl.h.getNumCol()
        h.addCols(len(r), np.ones(len(r)), np.zeros(len(r)), np.full(len(r), np.inf), len(r),
                  np.arange(len(r), dtype=np.int32), r, np.full(len(r), sign))
        slacks.append((name, sign, ok, start, len(r)))
    h.run()
    x = np.asarray(h.getSolution().col_value)
    rc = np.asarray(h.getSolution().col_dual)
    hl._x, hl._rc = x, rc
    out = []
    d = lp.data
    for name, sign, ok, start, cnt in slacks:
        vals = np.full(ok.shape, np.nan)
        vals[ok] = x[start:start + cnt]
        for pos in zip(*np.nonzero(vals > _TOL), strict=True):
            amt = float(vals[pos])
            if name == "balance":
                t, node = P[pos[0]], d.nodes[pos[1]]
                what = ("gas missing" if sign > 0 else "gas that cannot be taken away")
                out.append(("violated: node balance", "junctions", node, t, amt, "kg/s",
                            f"junction {node} in period {t}: {amt:.4g} kg/s {what}"))
            elif name == "storage_end":
                g = lp.c[name].labels.coords["storage"].values[pos[0]]
                out.append(("violated: storage end inventory", "storages", g, None, amt, "mcm",
                            f"storage {g}: end inventory missed by {amt:.4g} mcm "
                            f"({'too low' if sign > 0 else 'too high'})"))
            else:
                kid = lp.c[name].labels.coords["contract"].values[pos[0]]
                out.append(("violated: take-or-pay minimum", "contracts", kid, None, amt,
                            "kg/s x h", f"contract {kid}: take-or-pay minimum missed by "
                            f"{amt * 3600 / d.kg_per_mcm:.4g} mcm"))
    for name, (comp, at_up, at_lo, unit) in _VARS.items():
        if name not in lp.v:
            continue
        var = lp.v[name]
        r, xv = hl.reduced_cost(var), hl.value(var)
        ids, comps = _ids(lp, name)
        hit = np.abs(np.nan_to_num(r)) > 1e-9
        for t, e in zip(*np.nonzero(hit), strict=True):
            upper = r[t, e] < 0
            label = at_up if upper else at_lo
            c = comps[e] if comps is not None else comp
            out.append((label, c, ids[e], P[t], float(xv[t, e]), unit,
                        f"{c} {ids[e]} in period {P[t]}: {label} ({xv[t, e]:.4g} {unit}) "
                        "limits the balance"))
    cols = ["constraint", "component", "element", "period", "amount", "unit", "explanation"]
    return pd.DataFrame(out, columns=cols)
