"""Diagnoses of a failed steady state: the largest residuals of an unconverged solve and the
reasons a converged solution is not physical."""

from __future__ import annotations

import numpy as np
import pandas as pd

from gasunion.simulation.laws import CLOSED, PLOSS, POUT, RATIO
from gasunion.simulation.newton import Kernel


def largest_residuals(k: Kernel, x: np.ndarray, n: int = 10) -> pd.DataFrame:
    """The equations with the largest scaled residuals at ``x`` (for a failed solve)."""
    F, _ = k.evaluate(x, need_jac=False)
    scaled = np.abs(F / k.fscale)
    order = np.argsort(-scaled)[:n]
    rows = []
    for r in order:
        if r < k.nf:
            rows.append({"component": "junctions", "id": k.m.junction_ids[k.free_nodes[r]],
                         "equation": "mass balance", "residual": F[r], "unit": "kg/s",
                         "scaled": scaled[r]})
        else:
            b = r - k.nf
            rows.append({"component": k.m.branch_component[b], "id": k.m.branch_id[b],
                         "equation": "pressure law", "residual": F[r],
                         "unit": {CLOSED: "kg/s", PLOSS: "bar"}.get(int(k.m.law[b]), "bar^2"),
                         "scaled": scaled[r]})
    return pd.DataFrame(rows)


def infeasibilities(k: Kernel, x: np.ndarray) -> pd.DataFrame:
    """Why a converged solution is not a physical steady state (negative squared pressures,
    flow against a compressor or regulator, a regulator raising or a compressor in p_out mode
    lowering the pressure)."""
    rows = []
    pi = k.pi_all(x)
    m = k.m
    neg = np.flatnonzero(~m.fixed & (pi <= 0))
    for i in neg[np.argsort(pi[neg])][:20]:
        rows.append({"component": "junctions", "id": m.junction_ids[i], "field": "p_bar",
                     "problem": "pressure would fall below zero",
                     "value": float(pi[i]), "unit": "bar^2 (p^2)"})
    q = x[k.nf:]
    p = np.sqrt(np.maximum(pi, 0.0))
    scale = 1e-6 * k.flow_scale
    for law, label in ((RATIO, "compressor"), (POUT, "regulator/compressor")):
        for b in np.flatnonzero((m.law == law) & (q < -scale)):
            rows.append({"component": m.branch_component[b], "id": m.branch_id[b],
                         "field": "mass_flow_kg_s",
                         "problem": f"flow against the {label} direction", "value": float(q[b]),
                         "unit": "kg/s"})
    for b in np.flatnonzero(m.law == POUT):
        pin, pout = p[m.fr[b]], p[m.to[b]]
        if m.branch_component[b] == "control_valves" and pin < pout - 1e-9:
            rows.append({"component": "control_valves", "id": m.branch_id[b],
                         "field": "p_out_set_bar",
                         "problem": f"inlet pressure {pin:.4g} bar below the outlet set-point",
                         "value": float(pout), "unit": "bar"})
        if m.branch_component[b] == "compressors" and pout < pin - 1e-9:
            rows.append({"component": "compressors", "id": m.branch_id[b],
                         "field": "p_out_set_bar",
                         "problem": f"suction pressure {pin:.4g} bar above the discharge "
                                    "set-point (ratio < 1)", "value": float(pout), "unit": "bar"})
    if not rows:
        return _NO_INFEASIBILITY
    return pd.DataFrame(rows, columns=["component", "id", "field", "problem", "value", "unit"])


_NO_INFEASIBILITY = pd.DataFrame(columns=["component", "id", "field", "problem", "value", "unit"])
