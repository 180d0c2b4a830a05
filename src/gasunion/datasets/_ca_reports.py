"""Report tables of a simulated Central Asia network (internal; public via
:mod:`gasunion.datasets.central_asia`)."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from gasunion.datasets._ca_capacity import crossing_branches
from gasunion.datasets._ca_data import _nodes, _num, _pipelines, _read
from gasunion.network import Network

if TYPE_CHECKING:
    from gasunion.simulation import SimulationResult


def _branch_rows(net: Network) -> pd.Series:
    return pd.Series(net.meta.get("branch_row", {}), dtype=object)


def border_flow_report(net: Network, res: SimulationResult) -> pd.DataFrame:
    """The flow at every border point (crossing branches grouped by interconnection).

    Columns: border_point (the interconnection id), name, from_country, to_country (in the
    direction of the flow), systems, flow_mcm_d, flow_bcm_y (the daily flow as an annual
    rate), capacity_bcm_y (the interconnection's capacity **in the flow's direction** for the
    network's year, ``net.interconnections``), utilisation (flow / that capacity).
    """
    cb = crossing_branches(net)
    flows = res.border_flows(net).set_index("id")
    cb = cb[cb.index.isin(flows.index)].copy()
    f = flows.reindex(cb.index)
    same = (f["from_country"] == cb["from_country"]).to_numpy()
    cb["signed_kg_s"] = np.where(same, 1.0, -1.0) * f["mass_flow_kg_s"].to_numpy(float)
    ic = net.interconnections
    agg = cb.groupby("interconnection")["signed_kg_s"].sum()
    pip = _pipelines()
    systems = cb.groupby("interconnection")["row"].agg(
        lambda s: ", ".join(sorted(set(s.map(pip["system"])))))
    out = pd.DataFrame({"border_point": agg.index})
    out["name"] = out["border_point"].map(ic["name"])
    fwd = agg.to_numpy(float) >= 0
    fc, tc = out["border_point"].map(ic["from_country"]), out["border_point"].map(ic["to_country"])
    out["from_country"] = np.where(fwd, fc, tc)
    out["to_country"] = np.where(fwd, tc, fc)
    out["systems"] = out["border_point"].map(systems)
    kg_s = np.abs(agg.to_numpy(float))
    out["flow_mcm_d"] = net.gas.mcm_d_from_kg_s(kg_s)
    out["flow_bcm_y"] = net.gas.bcm_y_from_kg_s(kg_s)
    cap = np.where(fwd, out["border_point"].map(ic["capacity_forward_mcm_d"]),
                   out["border_point"].map(ic["capacity_reverse_mcm_d"])).astype(float)
    out["capacity_bcm_y"] = cap * 365.0 / 1000.0
    out["utilisation"] = out["flow_bcm_y"] / out["capacity_bcm_y"]
    return out.sort_values("flow_bcm_y", ascending=False, kind="stable").reset_index(drop=True)


def corridor_report(net: Network, res: SimulationResult) -> pd.DataFrame:
    """Per pipeline system (CAC, CAGP, BBS, BTBA, BU, ...): its largest flow and utilisation.

    A segment is one pair of end nodes of a system (parallel rows and strings summed, the
    most loaded section). Columns: system, system_name, segment (rows of the segment with the
    largest flow), max_flow_mcm_d, max_flow_bcm_y, capacity_bcm_y (of that segment in the
    flow's direction: the sum of its strings' per-direction bounds, the network's own
    capacities), utilisation (of that segment), max_utilisation and bottleneck (the segment
    with the highest flow / capacity).
    """
    pip = _pipelines()
    pt = res.pipes
    pipes = net.pipes.reindex(pt.index)
    f = pd.DataFrame({
        "row": pt.index.map(_branch_rows(net)),
        "section": pt.index.map(pd.Series(net.meta.get("branch_section", {}), dtype=float)),
        "kg_s": pt["mass_flow_kg_s"].to_numpy(float),
        "fwd": pipes["mass_flow_max_kg_s"].to_numpy(float),
        "rev": -pipes["mass_flow_min_kg_s"].to_numpy(float),
    })
    f = f[f["row"].notna()]
    f["system"] = f["row"].map(pip["system"])
    f["segment"] = f["row"].map(pip["from_node"] + ">" + pip["to_node"])
    keys = ["system", "segment", "section"]
    sec = f.groupby(keys).agg(kg_s=("kg_s", "sum"), fwd=("fwd", lambda s: s.sum(min_count=len(s))),
                              rev=("rev", lambda s: s.sum(min_count=len(s))))
    sec["cap"] = np.where(sec["kg_s"] >= 0, sec["fwd"], sec["rev"])
    sec["abs"] = sec["kg_s"].abs()
    idx = sec.groupby(level=["system", "segment"])["abs"].idxmax()
    seg = sec.loc[idx.to_numpy()].reset_index(level="section", drop=True)
    seg["rows"] = f.groupby(["system", "segment"])["row"].agg(lambda s: sorted(set(s)))
    seg["flow_bcm_y"] = net.gas.bcm_y_from_kg_s(seg["abs"].to_numpy(float))
    seg["capacity"] = net.gas.bcm_y_from_kg_s(seg["cap"].to_numpy(float))
    seg["util"] = seg["flow_bcm_y"] / seg["capacity"]
    seg = seg.reset_index()
    top = seg.loc[seg.groupby("system")["abs"].idxmax()].set_index("system")
    util = seg.dropna(subset=["util"])
    worst = util.loc[util.groupby("system")["util"].idxmax()].set_index("system")
    out = pd.DataFrame({
        "system": top.index, "system_name": top.index.map(pip.groupby("system")["system_name"].first()),
        "segment": top["rows"].map(" + ".join).to_numpy(),
        "max_flow_mcm_d": net.gas.mcm_d_from_kg_s(top["abs"].to_numpy(float)),
        "max_flow_bcm_y": top["flow_bcm_y"].to_numpy(float),
        "capacity_bcm_y": top["capacity"].to_numpy(float),
        "utilisation": top["util"].to_numpy(float),
        "max_utilisation": top.index.map(worst["util"]).to_numpy(float),
        "bottleneck": top.index.map(worst["rows"].map(" + ".join)).fillna("").to_numpy(),
    })
    return out.sort_values("max_flow_bcm_y", ascending=False, kind="stable").reset_index(drop=True)


def _place(node: str) -> str:
    """A node's name without its qualifiers: ``"Shymkent / Akbulak hub"`` -> ``"Shymkent"``."""
    name = str(_nodes()["name"].get(node, node)) or node
    return name.split(" (")[0].split(" / ")[0].strip()


def segment_name(segment: str) -> str:
    """A readable name for a segment of :func:`corridor_report` (``segment`` or ``bottleneck``:
    pipeline row ids joined by ``" + "``).

    One row: its name in ``pipelines.csv``; parallel rows: ``"<from> - <to> (n parallel
    lines)"`` from the names of the end nodes. Unknown ids are returned as given.
    """
    rows = [r.strip() for r in segment.split(" + ") if r.strip()]
    pip = _pipelines()
    if not rows or any(r not in pip.index for r in rows):
        return segment
    if len(rows) == 1:
        return str(pip.at[rows[0], "name"])
    first = pip.loc[rows[0]]
    return f"{_place(first['from_node'])} - {_place(first['to_node'])} ({len(rows)} parallel lines)"


def key_pressures(net: Network, res: SimulationResult) -> pd.DataFrame:
    """Pressures at the sourced nodes (hubs, fields, cities, borders, storages, exports).

    Columns: junction, name, country, kind, p_bar, p_min_bar, p_max_bar, margin_to_min_bar,
    margin_to_max_bar (modelling-only junctions and section points are left out).
    """
    nodes = _nodes()
    sourced = nodes.index[nodes["model_only"].str.lower() != "true"]
    j = net.junctions.loc[net.junctions.index.isin(sourced)]
    out = j[["name", "country", "kind", "p_min_bar", "p_max_bar"]].copy()
    out.insert(3, "p_bar", res.junctions["p_bar"].reindex(j.index).to_numpy(float))
    out["margin_to_min_bar"] = out["p_bar"] - out["p_min_bar"]
    out["margin_to_max_bar"] = out["p_max_bar"] - out["p_bar"]
    out = out.rename_axis("junction").reset_index()
    return out.sort_values(["country", "junction"]).reset_index(drop=True)


def reported_flow_check(net: Network, res: SimulationResult, scenario: str = "2023") -> pd.DataFrame:
    """Simulated border flows against the reported volumes marked in ``flows.csv``.

    ``compare_at`` names a border point or a country pair ``A>B`` (net flow from A to B over
    all their border points); reports sharing a ``compare_at`` are summed. Columns:
    compare_at, kind (``calibration``: the report is an input of the scenario, so the
    comparison only checks that the model reproduces it; ``prediction``: the flow is a result
    of the model, compared with an independent report), reported_bcm_y, simulated_bcm_y,
    deviation (simulated / reported - 1), reports, note.
    """
    fl = _read("flows")
    marked = fl["compare_in"].str.split(";").apply(lambda xs: scenario in [x.strip() for x in xs])
    fl = fl[marked].assign(at=fl["compare_at"].str.split(";")).explode("at")
    fl["at"] = fl["at"].str.strip()
    fl["volume"] = _num(fl["volume_bcm"])
    fl["report"] = fl["year"] + " " + fl["from_country"] + "->" + fl["to_country"] + " " + fl["volume_bcm"]
    bfr = border_flow_report(net, res)
    at_point = bfr.set_index("border_point")["flow_bcm_y"]
    directed = bfr.groupby(["from_country", "to_country"])["flow_bcm_y"].sum()

    def simulated(at: str) -> float:
        if ">" in at:
            a, b = at.split(">")
            return float(directed.get((a, b), 0.0) - directed.get((b, a), 0.0))
        return float(at_point.get(at, math.nan))

    out = fl.groupby("at", sort=False).agg(kind=("compare_kind", "first"),
                                          reported_bcm_y=("volume", "sum"),
                                          reports=("report", "; ".join),
                                          note=("compare_note", "; ".join))
    out.insert(2, "simulated_bcm_y", [simulated(a) for a in out.index])
    out.insert(3, "deviation", out["simulated_bcm_y"] / out["reported_bcm_y"] - 1.0)
    return out.rename_axis("compare_at").reset_index()
