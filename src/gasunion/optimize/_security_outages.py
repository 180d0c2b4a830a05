"""Unserved demand of every single-element outage, per country and per coalition.

The load shedding itself is :func:`gasunion.optimize.shed.outage_unserved` (maximum delivered
gas by priority, one solve per outage). This module prepares the network it is given and
turns its per-country answer into per-area rows:

* the design-day network (peak demand applied) is used;
* every *transfer* pair (a sink at a station inlet and a source at its outlet, see
  :mod:`gasunion.optimize._security_terms`) is replaced by a short pipe from the sink's to the
  source's junction, so that an outage upstream of the station reaches the demand behind
  it (a fixed injection would hide it) and the paired withdrawal is not counted as demand;
* the ``capacities`` option becomes flow bounds on branches that have none (both directions,
  or one as its ``direction`` says), so that the load shedding sees the same capacities as
  the N-1;
* per area: unserved = the sum over its member countries, share = unserved / the area's
  design-day demand; ``base_unserved_kg_s`` is what is unserved with nothing out (a
  non-zero value means the design day itself is not deliverable in the model).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import pandas as pd

from gasunion.network import Network
from gasunion.network.schema import BRANCHES
from gasunion.optimize._security_terms import DesignDay

COLUMNS = ["component", "element", "name", "area", "unserved_kg_s", "unserved_mcm_d",
           "unserved_share", "demand_mcm_d", "base_unserved_kg_s"]


def outage_network(d: DesignDay) -> Network:
    """The design-day network with transfers merged and capacities as flow bounds."""
    net = d.net.copy()
    for s, q in d.transfers:
        a, b = net.sinks.at[s, "junction"], net.sources.at[q, "junction"]
        net.add("short_pipes", f"transfer {s}->{q}", from_junction=a, to_junction=b,
                name=f"transfer {net.sinks.at[s, 'name'] or s}",
                country=net.junctions.at[a, "country"], owner=net.sinks.at[s, "owner"],
                mass_flow_min_kg_s=0.0)
        net.remove("sinks", s)
        net.remove("sources", q)
    cap = d.capacities
    for comp in BRANCHES:
        df = net[comp]
        ids = df.index[df.index.isin(cap.index)] if len(df) else []
        if not len(ids):
            continue
        df = df.copy()
        for eid in ids:
            v, way = float(cap.at[eid, "mass_flow_kg_s"]), str(cap.at[eid, "direction"])
            if not math.isfinite(v):
                continue
            if math.isnan(df.at[eid, "mass_flow_max_kg_s"]):
                df.at[eid, "mass_flow_max_kg_s"] = v if way != "reverse" else 0.0
            if math.isnan(df.at[eid, "mass_flow_min_kg_s"]):
                df.at[eid, "mass_flow_min_kg_s"] = -v if way != "forward" else 0.0
        net[comp] = df
    return net


def _by_country(table: pd.DataFrame, countries: list[str]) -> pd.DataFrame:
    """Unserved kg/s per country from the outage_unserved table (one column per country)."""
    out = pd.DataFrame(index=table.index)
    for c in countries:
        for col in (c, f"unserved_{c}_kg_s", f"unserved_kg_s_{c}", f"{c}_kg_s"):
            if col in table:
                out[c] = pd.to_numeric(table[col], errors="coerce").fillna(0.0)
                break
        else:
            out[c] = 0.0
    return out


def outage_table(d: DesignDay, areas: list[tuple[str, frozenset[str]]], elements: Any,
                 progress: Callable[[str], None] | None, **options: Any
                 ) -> tuple[pd.DataFrame, dict[str, Any]]:
    """The ``outages`` table (columns :data:`COLUMNS`) and notes for the summary."""
    try:
        from gasunion.optimize.shed import outage_unserved, shed
    except ImportError as exc:
        return (pd.DataFrame(columns=COLUMNS),
                {"outages_error": f"load shedding unavailable ({exc}); no outage table"})
    net = outage_network(d)
    countries = sorted(set(net.junctions["country"].dropna().astype(str)) - {""})
    table = outage_unserved(net, elements, progress=progress, **options)
    base = shed(net, (), progress=progress, **options).tables["sinks"]
    sink_country = net.sinks["country"].where(net.sinks["country"] != "",
                                              net.sinks["junction"].map(net.junctions["country"]))
    demand = base["demand_kg_s"].groupby(sink_country.reindex(base.index)).sum()
    base_un = base["unserved_kg_s"].groupby(sink_country.reindex(base.index)).sum()
    per = _by_country(table, countries)
    mcm = net.gas.mcm_d_from_kg_s
    frames = []
    for label, members in areas:
        cols = [c for c in countries if c in members]
        un = per[cols].sum(axis=1)
        dem = float(demand.reindex(cols).fillna(0.0).sum())
        frames.append(pd.DataFrame({
            "component": table["component"], "element": table["element"],
            "name": table.get("name", table["element"]), "area": label, "unserved_kg_s": un,
            "unserved_mcm_d": mcm(un), "unserved_share": un / dem if dem > 0 else math.nan,
            "demand_mcm_d": mcm(dem),
            "base_unserved_kg_s": float(base_un.reindex(cols).fillna(0.0).sum())}))
    out = pd.concat(frames, ignore_index=True)
    out = out.sort_values(["area", "unserved_kg_s"], ascending=[True, False], kind="stable")
    info = {"outages": len(table), "outage_network": "transfers merged into short pipes; "
            "capacities as branch flow bounds where the network has none"}
    return out.reset_index(drop=True)[COLUMNS], info
