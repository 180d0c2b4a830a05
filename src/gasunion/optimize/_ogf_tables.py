"""Result tables, the operated network and the infeasibility diagnosis of an OGF solution.

Tables follow the simulator's shape: one DataFrame per component indexed by element id;
pressures in bar (absolute), flows in kg/s, power in MW.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from gasunion.network import BRANCHES, Network
from gasunion.optimize.nlp import SteadyData


def state_tables(sd: SteadyData, pi: np.ndarray, q: np.ndarray, fs: np.ndarray, fk: np.ndarray,
                 ratio: np.ndarray | None = None, power_w: np.ndarray | None = None,
                 fuel: np.ndarray | None = None,
                 price: np.ndarray | None = None) -> dict[str, pd.DataFrame]:
    """Tables of a state (``pi`` [bar^2] per junction, ``q`` [kg/s] per branch, source and sink
    flows; per decided compressor ``ratio`` and ``power_w`` [W]; ``fuel`` [kg/s] per compressor
    of the model; ``price`` [$/kg] per junction, the mass-balance dual)."""
    m = sd.m
    p = np.sqrt(np.maximum(pi, 0.0))
    j = pd.DataFrame({"p_bar": p}, index=m.junction_ids)
    if price is not None:
        j["price_per_kg"] = price
    out = {"junctions": j}
    for comp in BRANCHES:
        b = m.branch_slices[comp]
        if not len(b):
            continue
        df = pd.DataFrame({"from_junction": m.junction_ids[m.fr[b]],
                           "to_junction": m.junction_ids[m.to[b]],
                           "mass_flow_kg_s": q[b], "p_from_bar": p[m.fr[b]],
                           "p_to_bar": p[m.to[b]]}, index=pd.Index(m.branch_id[b], name="id"))
        if comp == "compressors":
            df["ratio"] = df["p_to_bar"] / df["p_from_bar"]
            df["power_mw"] = 0.0
            df["fuel_kg_s"] = 0.0
            pos = np.searchsorted(b, sd.comp)
            if ratio is not None and len(sd.comp):
                df.iloc[pos, df.columns.get_loc("ratio")] = ratio
            if power_w is not None and len(sd.comp):
                df.iloc[pos, df.columns.get_loc("power_mw")] = power_w / 1e6
            if fuel is not None and len(fuel):
                df["fuel_kg_s"] = fuel
        out[comp] = df
    out["sources"] = pd.DataFrame({"junction": m.junction_ids[sd.src_node],
                                   "mass_flow_kg_s": fs}, index=sd.src_ids)
    out["sinks"] = pd.DataFrame({"junction": m.junction_ids[sd.snk_node],
                                 "mass_flow_kg_s": fk}, index=sd.snk_ids)
    return out


def operated_network(sd: SteadyData, tables: dict[str, pd.DataFrame]) -> Network:
    """A copy of the network with the optimised set-points: decided compressors in mode
    ``ratio`` at their ratio (``off`` where they carry no flow, below 1e-5 of the flow
    scale; ``bypass`` where they may bypass and raise the pressure by < 1e-6 bar),
    regulators in mode ``p_out`` at their outlet pressure (``open`` without reduction),
    flow-controlled sources/sinks at their flows; an island without a pressure set-point gets
    one at the simulator's automatic reference, at the optimised pressure."""
    net = sd.net.copy()
    p = tables["junctions"]["p_bar"]
    for comp in ("sources", "sinks"):
        t = tables[comp]
        df = net[comp]
        flow_ctl = ~np.isfinite(df.loc[t.index, "p_set_bar"].to_numpy(float))
        ids = t.index[flow_ctl]
        lo, hi = (sd.src_lo, sd.src_hi) if comp == "sources" else (sd.snk_lo, sd.snk_hi)
        f = np.clip(t["mass_flow_kg_s"].to_numpy(), lo, hi)  # IPOPT's bound relaxation
        df.loc[ids, "mass_flow_kg_s"] = f[flow_ctl]
    m = sd.m
    for sid in sd.released:  # free pressure in the optimisation
        if sid in sd.src_ids:  # a source becomes the reference, at its optimum pressure
            node = int(sd.src_node[sd.src_ids.get_loc(sid)])
            net.sources.at[sid, "p_set_bar"] = float(p.iloc[node])
            net.sources.at[sid, "mass_flow_kg_s"] = np.nan
        elif sid in sd.snk_ids:  # a sink takes its optimised flow
            net.sinks.at[sid, "p_set_bar"] = np.nan
            net.sinks.at[sid, "mass_flow_kg_s"] = float(tables["sinks"].at[sid, "mass_flow_kg_s"])
    for _, row in m.slack_elements.iterrows():
        if row["component"] == "sources" and not np.isfinite(
                float(net.sources.at[row["id"], "p_set_bar"])):
            net.sources.at[row["id"], "p_set_bar"] = float(p.iloc[int(row["node"])])
            net.sources.at[row["id"], "mass_flow_kg_s"] = np.nan
    if len(sd.comp):
        ids = m.branch_id[sd.comp]
        c = tables["compressors"]
        idle = (c.loc[ids, "mass_flow_kg_s"].abs() < 1e-5 * sd.q_ref).to_numpy()
        level = (c.loc[ids, "p_to_bar"] - c.loc[ids, "p_from_bar"] < 1e-6).to_numpy()
        net.compressors.loc[ids, "mode"] = np.where(
            sd.bypass & level, "bypass", np.where(idle, "off", "ratio"))
        net.compressors.loc[ids, "ratio_set"] = c.loc[ids, "ratio"].to_numpy()
    if len(sd.reg):
        ids = m.branch_id[sd.reg]
        cv = tables["control_valves"]
        off = ((cv.loc[ids, "mass_flow_kg_s"].abs() < 1e-7 * sd.q_ref)
               & (cv.loc[ids, "p_to_bar"] > cv.loc[ids, "p_from_bar"] + 1e-6)).to_numpy()
        same = (np.abs(cv.loc[ids, "p_to_bar"] - cv.loc[ids, "p_from_bar"]) < 1e-6).to_numpy()
        net.control_valves.loc[ids, "mode"] = np.where(off, "closed",
                                                       np.where(same, "open", "p_out"))
        net.control_valves.loc[ids, "p_out_set_bar"] = cv.loc[ids, "p_to_bar"].to_numpy()
    return net


def diagnosis_table(slacks: dict[str, tuple[np.ndarray, np.ndarray, str]],
                    tol: float = 1e-5) -> pd.DataFrame:
    """Rows for every elastic slack above ``tol`` (relative to its scale)."""
    explain = {
        "pressure_lower": "junction pressure would have to fall below p_min",
        "pressure_upper": "junction pressure would have to exceed p_max",
        "flow_lower": "branch flow would have to fall below its minimum (or reverse)",
        "flow_upper": "branch flow would have to exceed its maximum",
        "source_lower": "source would have to inject less than its minimum",
        "source_upper": "source would have to inject more than its maximum",
        "sink_lower": "sink would have to take less than its minimum (unserved demand)",
        "sink_upper": "sink would have to take more than its maximum",
        "balance": "gas missing (+) or in excess (-) at the junction",
        "reduction_lower": "regulator would have to reduce less than p_diff_min (or compress)",
        "reduction_upper": "regulator would have to reduce more than p_diff_max",
    }
    rows = []
    for name, (val, labels, unit) in slacks.items():
        v = np.asarray(val, float).ravel()
        lab = np.asarray(labels, dtype=object)
        if name == "balance":
            nn = len(lab)
            v = v[:nn] + v[nn:]
        scale = max(float(np.abs(v).max()) if len(v) else 0.0, 1.0)
        for k in np.flatnonzero(np.abs(v) > tol * scale):
            label = str(lab[k])
            comp, _, elem = label.partition(":") if ":" in label else (
                {"pressure": "junctions", "source": "sources", "sink": "sinks",
                 "balance": "junctions"}.get(name.split("_")[0], ""), "", label)
            amount = float(v[k])
            unit_out = unit
            if unit == "bar^2":
                unit_out = "bar^2 (of p^2)"
            rows.append({"constraint": name, "component": comp, "element": elem,
                         "amount": amount, "unit": unit_out, "explanation": explain.get(name, "")})
    df = pd.DataFrame(rows, columns=["constraint", "component", "element", "amount", "unit",
                                     "explanation"])
    return df.sort_values("amount", key=np.abs, ascending=False).reset_index(drop=True)


def nomination_conflicts(sd: SteadyData, tol: float = 1e-6) -> pd.DataFrame:
    """Diagnosis rows for fixed (nominated) source/sink flows outside the element's own
    ``mass_flow_min_kg_s``/``mass_flow_max_kg_s`` (no operation can meet those bounds)."""
    rows = []
    for comp, ids, lo, hi in (("sources", sd.src_ids, sd.src_lo, sd.src_hi),
                              ("sinks", sd.snk_ids, sd.snk_lo, sd.snk_hi)):
        df = sd.net[comp].loc[ids]
        fixed = lo == hi
        for col, sign, side in (("mass_flow_min_kg_s", -1.0, "lower"),
                                ("mass_flow_max_kg_s", 1.0, "upper")):
            b = df[col].to_numpy(float) if col in df else np.full(len(ids), np.nan)
            excess = sign * (lo - b)
            for k in np.flatnonzero(fixed & np.isfinite(b) & (excess > tol * np.fmax(1, abs(b)))):
                rows.append({"constraint": f"{comp[:-1]}_{side}", "component": comp,
                             "element": str(ids[k]), "amount": float(excess[k]), "unit": "kg/s",
                             "explanation": f"nominated flow beyond the element's {col}"})
    return pd.DataFrame(rows, columns=["constraint", "component", "element", "amount", "unit",
                                       "explanation"])
