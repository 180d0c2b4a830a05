"""The Annex II terms of a calculated area (a country or a coalition) read from a network.

How each term maps to network elements (every value in kg/s here, mcm/d in the tables):

* **EP_m** -- every in-service branch with one end in the area and the other outside it (a
  border point in :meth:`Network.border_points` terms; borders between two members of a
  coalition are internal and do not count). Its inward capacity is ``mass_flow_max_kg_s``
  when the branch points into the area, ``-mass_flow_min_kg_s`` when it points out of it
  (a reverse-flow bound); where the network has no bound, the ``capacities`` option (a
  technical capacity per branch, both directions for pipes, short pipes, valves and
  resistors unless its ``direction`` says ``forward`` or ``reverse`` only); a compressor or
  control valve pointing out of the area carries nothing inward. Otherwise the value is
  *missing* (NaN, listed in the ``missing`` column). A border branch whose outside end no
  supply outside the area can reach (e.g. the pipe to an export sink) counts 0: there is no
  gas behind it.
* **P_m** -- the area's in-service sources (minus the transfer injections below): their
  ``mass_flow_max_kg_s``; else the ``capacities`` option; else, as an *estimate*, their
  flow set-point, or for a pressure-controlled source its simulated injection at the
  network's nomination -- a lower bound on the technical capability.
* **S_m** -- the area's in-service storages: ``withdrawal_max_kg_s``; else ``capacities``;
  else a positive design-day withdrawal set-point (estimate, lower bound); else missing.
* **LNG_m** -- the network model has no LNG component: 0.
* **I_m** -- the largest single element among the area's EP_m, P_m and S_m items.
* **D_max** -- the area's in-service sinks (minus the transfer withdrawals) at their
  design-day withdrawal (set-points, or the ``peak_demand`` profile). Sinks with a negative
  or free (pressure-controlled) set-point take their simulated withdrawal.

*Transfers* are paired sink/source elements that model a flow-controlled station inside one
country (withdrawal at its inlet, injection of the same set-point at its outlet, e.g. the
Central Asia dataset's ``delivery_point`` default). They are neither demand nor production.
Detected automatically: one sink and one source, both in service and flow-controlled, with the
same country, the same owner and the same positive set-point.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from gasunion.network import Network
from gasunion.network.schema import BRANCHES

#: branches that only carry flow from ``from_junction`` to ``to_junction``
ONE_WAY = ("compressors", "control_valves")
ITEM_COLUMNS = ["term", "component", "element", "name", "country", "value_kg_s", "basis"]


@dataclass
class DesignDay:
    """The design day of a network: peak demand applied, transfers found, and the steady
    state of the network's own nomination simulated (for import flows and the flows of
    pressure-controlled elements)."""

    net: Network
    transfers: list[tuple[str, str]]
    capacities: pd.DataFrame              # index element id: mass_flow_kg_s, basis
    peak_basis: str
    sim: Any = None                       # SimulationResult of sim_net, or None
    sim_net: Any = None                   # the network simulated (its own nomination)
    sim_error: str | None = None
    countries: dict[str, pd.Series] = field(default_factory=dict)


def capacity_table(capacities: Any) -> pd.DataFrame:
    """The ``capacities`` option as a table (index element id: mass_flow_kg_s, basis,
    direction -- ``both``, ``forward`` (from -> to only) or ``reverse``; branches only)."""
    cols = ["mass_flow_kg_s", "basis", "direction"]
    if capacities is None:
        return pd.DataFrame(columns=cols, dtype=object)
    if isinstance(capacities, pd.DataFrame):
        out = capacities.copy()
    else:
        s = pd.Series(dict(capacities) if isinstance(capacities, Mapping) else capacities,
                      dtype=float)
        out = pd.DataFrame({"mass_flow_kg_s": s})
    if "basis" not in out:
        out["basis"] = "capacities option"
    if "direction" not in out:
        out["direction"] = "both"
    return out[cols]


def supplied_from_outside(net: Network, members: frozenset[str],
                          transfers: list[tuple[str, str]]) -> set[str]:
    """Junctions outside the area that gas from a supply outside the area can reach
    without passing through the area (pipes both ways, one-way branches forward only)."""
    jc = net.junctions["country"].fillna("")
    outside = set(jc.index[~jc.isin(members)])
    adj: dict[str, list[str]] = {}
    for comp in BRANCHES:
        df = net[comp]
        if not len(df):
            continue
        df = df[df["in_service"]]
        if comp == "valves":
            df = df[df["open"]]
        for a, b in zip(df["from_junction"], df["to_junction"], strict=True):
            adj.setdefault(a, []).append(b)
            if comp not in ONE_WAY:
                adj.setdefault(b, []).append(a)
    for s, q in transfers:
        adj.setdefault(net.sinks.at[s, "junction"], []).append(net.sources.at[q, "junction"])
    skip = {q for _, q in transfers}
    seeds = []
    for comp in ("sources", "storages"):
        df = net[comp]
        if len(df):
            seeds += [j for e, j in df.loc[df["in_service"], "junction"].items() if e not in skip]
    seen = {j for j in seeds if j in outside}
    stack = list(seen)
    while stack:
        for b in adj.get(stack.pop(), []):
            if b in outside and b not in seen:
                seen.add(b)
                stack.append(b)
    return seen


def apply_peak(net: Network, peak_demand: Any, transfer_sinks: set[str]) -> tuple[Network, str]:
    """A copy of ``net`` with the design-day demand on its sinks, and how it was taken.

    ``peak_demand``: None (the sinks' set-points are the design day), a number (factor on
    every sink's set-point except transfers) or a mapping/Series sink id -> kg/s (entries for
    transfer sinks are ignored: a station's withdrawal and injection stay paired).
    """
    out = net.copy()
    if peak_demand is None:
        return out, "sink set-points (the network's nomination is the design day)"
    sinks = out.sinks
    if isinstance(peak_demand, (int, float)):
        mask = ~sinks.index.isin(list(transfer_sinks))
        sinks.loc[mask, "mass_flow_kg_s"] = sinks.loc[mask, "mass_flow_kg_s"] * float(peak_demand)
        out["sinks"] = sinks
        return out, f"sink set-points x {float(peak_demand):g} (peak_demand factor; transfers kept)"
    prof = pd.Series(dict(peak_demand) if isinstance(peak_demand, Mapping) else peak_demand,
                     dtype=float)
    known = prof[prof.index.isin(sinks.index) & ~prof.index.isin(list(transfer_sinks))]
    sinks.loc[known.index, "mass_flow_kg_s"] = known.to_numpy()
    out["sinks"] = sinks
    return out, (f"peak_demand profile for {len(known)} of {len(sinks)} sinks "
                 "(the rest at their set-points)")


def _cap(d: DesignDay, eid: str) -> tuple[float, str] | None:
    if eid in d.capacities.index:
        v = float(d.capacities.at[eid, "mass_flow_kg_s"])
        if math.isfinite(v):
            return v, str(d.capacities.at[eid, "basis"])
    return None


def _sim_flow(d: DesignDay, component: str, eid: str) -> float:
    if d.sim is None:
        return math.nan
    t = d.sim[component]
    if component == "sinks" and d.sim_net is not d.net:  # peak demand: not what was simulated
        return math.nan
    return float(t.at[eid, "mass_flow_kg_s"]) if eid in t.index else math.nan


def entry_items(d: DesignDay, members: frozenset[str]) -> list[dict[str, Any]]:
    """EP_m items: the inward capacity of every branch crossing into the area."""
    jc = d.net.junctions["country"].fillna("")
    behind = supplied_from_outside(d.net, members, d.transfers)
    rows = []
    for comp in BRANCHES:
        df = d.net[comp]
        if not len(df):
            continue
        df = df[df["in_service"]]
        fin = df["from_junction"].map(jc).isin(members)
        tin = df["to_junction"].map(jc).isin(members)
        for eid, r in df[fin != tin].iterrows():
            inward = bool(tin[eid])
            out_j = r["from_junction"] if inward else r["to_junction"]
            bound = r["mass_flow_max_kg_s"] if inward else -r["mass_flow_min_kg_s"]
            cap = _cap(d, str(eid))
            way = (str(d.capacities.at[str(eid), "direction"]) if cap is not None else "both")
            if out_j not in behind:
                value, basis = 0.0, "no supply outside the area can reach it: 0"
            elif math.isfinite(bound):
                value, basis = max(float(bound), 0.0), ("mass_flow_max_kg_s" if inward
                                                         else "-mass_flow_min_kg_s (reverse)")
            elif not inward and comp in ONE_WAY:
                value, basis = 0.0, f"one-way {comp[:-1].replace('_', ' ')} pointing out"
            elif cap is not None and way != "both" and (way == "forward") != inward:
                value, basis = 0.0, f"capacity is {way} only (pointing out of the area): 0"
            elif cap is not None:
                value, basis = cap[0], cap[1] + ("" if inward else " (reverse direction)")
            else:
                value, basis = math.nan, "missing: no flow bound and no capacity given"
            rows.append({"term": "EP_m", "component": comp, "element": str(eid),
                         "name": f"{r['name'] or eid} ({jc[out_j]} -> area)", "country": jc[out_j],
                         "value_kg_s": value, "basis": basis})
    return rows


def supply_items(d: DesignDay, members: frozenset[str]) -> list[dict[str, Any]]:
    """P_m (sources) and S_m (storages) items of the area."""
    rows = []
    skip = {q for _, q in d.transfers}
    for comp, term, col in (("sources", "P_m", "mass_flow_max_kg_s"),
                            ("storages", "S_m", "withdrawal_max_kg_s")):
        df = d.net[comp]
        if not len(df):
            continue
        cc = d.countries[comp]
        for eid, r in df[df["in_service"] & cc.isin(members)].iterrows():
            if eid in skip:
                continue
            cap = _cap(d, str(eid))
            flow = float(r["mass_flow_kg_s"])
            if math.isfinite(r[col]):
                value, basis = float(r[col]), col
            elif cap is not None:
                value, basis = cap
            elif comp == "sources" and math.isfinite(flow) and math.isnan(r["p_set_bar"]):
                value, basis = flow, f"estimate: flow set-point (no {col}; lower bound)"
            elif comp == "sources" and math.isfinite(_sim_flow(d, comp, str(eid))):
                value = max(_sim_flow(d, comp, str(eid)), 0.0)
                basis = f"estimate: simulated injection (no {col}; pressure-controlled)"
            elif comp == "storages" and math.isfinite(flow) and flow > 0:
                value, basis = flow, f"estimate: design-day withdrawal set-point (no {col})"
            else:
                value, basis = math.nan, f"missing: no {col} and no capacity given"
            rows.append({"term": term, "component": comp, "element": str(eid),
                         "name": r["name"] or str(eid), "country": cc[eid],
                         "value_kg_s": value, "basis": basis})
    return rows


def demand_items(d: DesignDay, members: frozenset[str]) -> list[dict[str, Any]]:
    """D_max items: the area's sinks on the design day."""
    rows = []
    skip = {s for s, _ in d.transfers}
    cc = d.countries["sinks"]
    for eid, r in d.net.sinks[d.net.sinks["in_service"] & cc.isin(members)].iterrows():
        if eid in skip:
            continue
        m = float(r["mass_flow_kg_s"])
        if math.isfinite(m) and m >= 0 and math.isnan(r["p_set_bar"]):
            value, basis = m, d.peak_basis
        else:
            value = max(_sim_flow(d, "sinks", str(eid)), 0.0)
            basis = "simulated withdrawal (free or negative set-point)"
        rows.append({"term": "D_max", "component": "sinks", "element": str(eid),
                     "name": r["name"] or str(eid), "country": cc[eid],
                     "value_kg_s": value, "basis": basis})
    return rows


def area_items(d: DesignDay, members: frozenset[str]) -> pd.DataFrame:
    """Every element behind the N-1 terms of the area (columns :data:`ITEM_COLUMNS`)."""
    rows = entry_items(d, members) + supply_items(d, members) + demand_items(d, members)
    return pd.DataFrame(rows, columns=ITEM_COLUMNS)


def largest(items: pd.DataFrame, of: tuple[str, ...] = ("EP_m", "P_m", "S_m")
            ) -> pd.Series | None:
    """The I_m item: the largest single element of the terms ``of`` (None if there is none)."""
    cand = items[items["term"].isin(list(of)) & items["value_kg_s"].notna()]
    if not len(cand) or not float(cand["value_kg_s"].max()) > 0.0:
        return None
    return cand.loc[cand["value_kg_s"].astype(float).idxmax()]


def term_sums(items: pd.DataFrame) -> dict[str, float]:
    """Sum per term in kg/s (missing values count as 0; see the ``missing`` column)."""
    v = items.groupby("term")["value_kg_s"].sum(min_count=0)
    return {t: float(v.get(t, 0.0)) if not np.isnan(v.get(t, 0.0)) else 0.0
            for t in ("EP_m", "P_m", "S_m", "D_max")}
