"""Single-element outages (N-1) as a ready-made sweep.

:func:`outage_changes` makes one scenario per in-service element of the chosen components:
the element out of service. Where the outage cuts junctions off from every supply (no source,
no pressure-set sink, no storage that delivers), the sinks there cannot be served: they are
taken out of service in that scenario and their demand is counted as **unserved**.
:func:`outage_sweep` runs them all (:func:`~.sweep.sweep`) and reports per outage the unserved
demand, whether the rest of the network still has a steady state, and the bounds it breaks.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from gasunion.network import Network
from gasunion.network.validation import flow_edges, islands
from gasunion.simulation.results import SimulationError
from gasunion.simulation.sweep import SweepResult, sweep

OUTAGE_COMPONENTS = ("pipes", "compressors", "control_valves", "valves", "short_pipes",
                     "resistors", "sources", "storages")


def _edges(net: Network) -> tuple[np.ndarray, np.ndarray, list[tuple[str, str]]]:
    """Flow-carrying edges (:func:`~gasunion.network.validation.flow_edges`, regulators
    included) and the (component, id) of each."""
    fr, to, owners = flow_edges(net, cut_regulators=False)
    who = [(comp, str(e)) for comp, rows in owners for e in net[comp].index[rows]]
    return fr, to, who


def _supplied_nodes(net: Network, exclude: tuple[str, str] | None = None) -> np.ndarray:
    """Junctions where gas can enter: in-service sources, pressure-set sinks, storages."""
    j = net.junctions.index
    out = np.zeros(len(j), bool)
    for comp in ("sources", "sinks", "storages"):
        df = net[comp]
        if not len(df):
            continue
        m = df["in_service"].to_numpy(bool).copy()
        if comp == "sinks":
            m &= np.isfinite(df["p_set_bar"].to_numpy(float))
        if exclude is not None and exclude[0] == comp:
            m &= (df.index != exclude[1])
        out[j.get_indexer(df["junction"][m])] = True
    return out


def outage_changes(net: Network, components: tuple[str, ...] = ("pipes", "compressors")
                   ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One scenario per single-element outage.

    Returns ``(changes, cut)``: the ``changes`` table for :func:`~.sweep.sweep` (scenario
    ``"component:id"``) and, per scenario, the demand cut off from every supply
    (``unserved_kg_s``) and the sinks taken out because of it (``cut_sinks``).
    """
    bad = [c for c in components if c not in OUTAGE_COMPONENTS]
    if bad:
        raise SimulationError("setup", f"outages: unknown component(s) {bad}; choose from "
                              f"{', '.join(OUTAGE_COMPONENTS)}")
    n = len(net.junctions)
    fr, to, who = _edges(net)
    index = {w: i for i, w in enumerate(who)}
    sinks = net.sinks
    s_on = sinks["in_service"].to_numpy(bool) & ~np.isfinite(sinks["p_set_bar"].to_numpy(float))
    s_node = net.junctions.index.get_indexer(sinks["junction"])
    s_flow = np.nan_to_num(sinks["mass_flow_kg_s"].to_numpy(float))
    base_labels = islands(net, cut_regulators=False)[1]
    base_supplied = np.bincount(base_labels, weights=_supplied_nodes(net).astype(float)) > 0
    cells: dict[tuple[str, str, str], dict[str, Any]] = {}
    cut_rows = []
    names = []
    for comp in components:
        df = net[comp]
        if not len(df):
            continue
        for eid in df.index[df["in_service"].to_numpy(bool)]:
            scen = f"{comp}:{eid}"
            names.append(scen)
            cells.setdefault((comp, str(eid), "in_service"), {})[scen] = False
            keep = np.ones(len(fr), bool)
            if (comp, str(eid)) in index:
                keep[index[(comp, str(eid))]] = False
            g = sp.coo_matrix((np.ones(int(keep.sum())), (fr[keep], to[keep])), shape=(n, n))
            _, lab = connected_components(g, directed=False)
            excl = (comp, str(eid)) if comp in ("sources", "storages") else None
            sup = np.bincount(lab, weights=_supplied_nodes(net, excl).astype(float),
                              minlength=lab.max() + 1) > 0
            dead = s_on & ~sup[lab[s_node]] & base_supplied[base_labels[s_node]]
            for sid in sinks.index[dead]:
                cells.setdefault(("sinks", str(sid), "in_service"), {})[scen] = False
            cut_rows.append({"scenario": scen, "unserved_kg_s": float(s_flow[dead].sum()),
                             "cut_sinks": ", ".join(map(str, sinks.index[dead][:20]))})
    idx = pd.Index(names, name="scenario")
    changes = pd.DataFrame({k: pd.Series(v, dtype=object) for k, v in cells.items()},
                           index=idx, dtype=object)
    changes.columns = pd.MultiIndex.from_tuples(list(cells), names=["component", "element",
                                                                    "column"])
    cut = pd.DataFrame(cut_rows, columns=["scenario", "unserved_kg_s", "cut_sinks"]
                       ).set_index("scenario")
    return changes, cut


def outage_sweep(net: Network, components: tuple[str, ...] = ("pipes", "compressors"),
                 friction: str = "nikuradse", z: str = "papay", *, client: Any = None,
                 progress: Callable[[int, int], None] | None = None
                 ) -> tuple[pd.DataFrame, SweepResult]:
    """Run every single-element outage of ``components``; returns ``(report, sweep_result)``.

    ``report`` (one row per outage, worst first): component, element, name, ``ok`` (a
    physical steady state exists for the rest), ``error`` (failure kind), ``unserved_kg_s``
    and ``unserved_mcm_d`` (demand cut off from every supply), ``n_violations`` (bounds the
    steady state breaks), ``min_p_bar`` (lowest junction pressure) and ``message``.
    """
    changes, cut = outage_changes(net, components)
    res = sweep(net, changes, friction=friction, z=z, client=client, progress=progress)
    s = res.summary
    comp_el = pd.Series(changes.index, index=changes.index).str.split(":", n=1, expand=True)
    names = []
    for c, e in zip(comp_el[0], comp_el[1], strict=True):
        nm = net[c].at[e, "name"] if "name" in net[c].columns else ""
        names.append(nm if isinstance(nm, str) else "")
    report = pd.DataFrame({
        "component": comp_el[0], "element": comp_el[1], "name": names,
        "ok": s["ok"], "error": s["error"],
        "unserved_kg_s": cut["unserved_kg_s"].reindex(changes.index).to_numpy(),
        "n_violations": s["n_violations"],
        "min_p_bar": res.junctions.min(axis=1),
        "message": s["message"],
    }, index=changes.index)
    report["unserved_mcm_d"] = net.gas.mcm_d_from_kg_s(report["unserved_kg_s"])
    report = report.sort_values(["ok", "unserved_kg_s", "n_violations", "min_p_bar"],
                                ascending=[True, False, False, True], kind="stable")
    return report, res
