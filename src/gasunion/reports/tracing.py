"""Where the gas at every junction comes from: proportional flow tracing of a steady state.

Method: proportional sharing (Bialek, "Tracing the flow of electricity", IEE Proc.-Gener.
Transm. Distrib. 143(4), 1996), applied to gas. Each junction mixes what flows into it
perfectly, and every stream leaving it (branch, sink, compressor fuel, storage injection)
carries that mix. With ``inflow_n`` the gas entering junction n (supplies at n plus branch
flows into n) and ``c_n[k]`` the share of origin k in it::

    inflow_n * c_n[k] = supply_n[k] + sum over branches e into n of |f_e| * c_tail(e)[k]

a sparse linear system in c (one right-hand side per origin). Origins are the countries of
the supplying elements (sources, storages withdrawing, sinks injecting; ``"?"`` where none is
known). A *transfer pair* (a sink at a station inlet and a source of the same flow at its
outlet, same owner and country: :func:`station_transfers`) passes the inlet's mix on to the
outlet instead of creating gas of the source's country.

Everything here works on any network with junction countries; the loops run over component
types, never over elements.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.sparse.linalg import spsolve

from gasunion.network import Network
from gasunion.network.schema import BRANCHES

__all__ = [
    "TRACING_METHOD",
    "area_consumed_imports",
    "area_imports",
    "branch_flows",
    "element_country",
    "origin_mix",
    "station_transfers",
    "transit_by_country",
]

#: one sentence for reports: how transit is attributed
TRACING_METHOD = ("proportional sharing (Bialek 1996): every junction mixes its inflows and "
                  "each outflow carries the mix; transit of a country = gas of foreign origin "
                  "leaving it across its borders")

_TOL = 1e-12


def element_country(net: Network, component: str) -> pd.Series:
    """Country of each element of a node component: its ``country``, else its junction's."""
    df = net[component]
    own = df["country"].fillna("").astype(str)
    at = df["junction"].map(net.junctions["country"]).fillna("").astype(str)
    return own.where(own != "", at)


def station_transfers(net: Network) -> list[tuple[str, str]]:
    """(sink, source) pairs modelling a flow-controlled station inside one country: an
    in-service flow-controlled sink and source of the same positive flow (relative 1e-9),
    owner and country. Each source pairs with at most one sink (the first in table order)."""
    snk, src = net.sinks, net.sources
    if not len(snk) or not len(src):
        return []
    a = pd.DataFrame({"sink": snk.index, "owner": snk["owner"].to_numpy(),
                      "country": element_country(net, "sinks").to_numpy(),
                      "m": snk["mass_flow_kg_s"].to_numpy(float),
                      "ok": (snk["in_service"] & snk["p_set_bar"].isna()).to_numpy()})
    b = pd.DataFrame({"source": src.index, "owner": src["owner"].to_numpy(),
                      "country": element_country(net, "sources").to_numpy(),
                      "q": src["mass_flow_kg_s"].to_numpy(float),
                      "ok": (src["in_service"] & src["p_set_bar"].isna()).to_numpy()})
    a = a[a["ok"] & np.isfinite(a["m"]) & (a["m"] > 0)]
    b = b[b["ok"] & np.isfinite(b["q"])]
    pairs = a.merge(b, on=["owner", "country"], sort=False)
    pairs = pairs[np.isclose(pairs["q"], pairs["m"], rtol=1e-9, atol=0.0)]
    pairs = pairs.drop_duplicates("sink").drop_duplicates("source")
    return list(zip(pairs["sink"].astype(str), pairs["source"].astype(str), strict=True))


def branch_flows(net: Network, res: Any) -> pd.DataFrame:
    """Every simulated branch: component, id, from_junction, to_junction, mass_flow_kg_s (from
    -> to positive), in_service, interconnection, name, owner, country, mass_flow_min_kg_s,
    mass_flow_max_kg_s."""
    cols = ["from_junction", "to_junction", "in_service", "interconnection", "name", "owner",
            "country", "mass_flow_min_kg_s", "mass_flow_max_kg_s"]
    frames = []
    for comp in BRANCHES:
        t = res[comp]
        if not len(t):
            continue
        f = net[comp].loc[t.index, cols].copy()
        f.insert(0, "component", comp)
        f.insert(1, "id", t.index.astype(str))
        f["mass_flow_kg_s"] = t["mass_flow_kg_s"].to_numpy(float)
        frames.append(f)
    if not frames:
        return pd.DataFrame(columns=["component", "id", *cols, "mass_flow_kg_s"])
    return pd.concat(frames, ignore_index=True)


def _edges(net: Network, res: Any, transfers: Sequence[tuple[str, str]]
           ) -> tuple[np.ndarray, np.ndarray, np.ndarray, pd.Index]:
    """Tail, head (junction positions) and |flow| of every branch in its flow direction,
    then one edge per transfer pair (sink junction -> source junction)."""
    jidx = pd.Index(net.junctions.index)
    br = branch_flows(net, res)
    f = br["mass_flow_kg_s"].to_numpy(float)
    a = jidx.get_indexer(br["from_junction"])
    b = jidx.get_indexer(br["to_junction"])
    pos = f >= 0
    tails, heads, flows = np.where(pos, a, b), np.where(pos, b, a), np.abs(f)
    if transfers:
        s, q = (list(x) for x in zip(*transfers, strict=True))
        tails = np.concatenate([tails, jidx.get_indexer(net.sinks.loc[s, "junction"])])
        heads = np.concatenate([heads, jidx.get_indexer(net.sources.loc[q, "junction"])])
        qf = res.sources["mass_flow_kg_s"].reindex(q).to_numpy(float)
        flows = np.concatenate([flows, np.maximum(np.nan_to_num(qf), 0.0)])
    return tails, heads, flows, jidx


def _supplies(net: Network, res: Any, countries: Mapping[str, pd.Series],
              skip_sources: set[str]) -> pd.DataFrame:
    """Gas entering the network: junction, origin, kg_s (transfer sources left out)."""
    frames = []
    for comp, sign in (("sources", 1.0), ("storages", 1.0), ("sinks", -1.0)):
        t = res[comp]
        if not len(t):
            continue
        v = sign * t["mass_flow_kg_s"].to_numpy(float)
        keep = (v > 0) & ~t.index.isin(list(skip_sources) if comp == "sources" else [])
        if not keep.any():
            continue
        ids = t.index[keep]
        origin = countries.get(comp, pd.Series(dtype=object)).reindex(ids).fillna("").astype(str)
        frames.append(pd.DataFrame({"junction": net[comp].loc[ids, "junction"].to_numpy(),
                                    "origin": origin.where(origin != "", "?").to_numpy(),
                                    "kg_s": v[keep]}))
    if not frames:
        return pd.DataFrame({"junction": [], "origin": [], "kg_s": []})
    return pd.concat(frames, ignore_index=True)


def origin_mix(net: Network, res: Any, countries: Mapping[str, pd.Series] | None = None,
               transfers: Sequence[tuple[str, str]] | None = None) -> pd.DataFrame:
    """Share of each origin in the gas at every junction (junction x origin; rows sum to 1,
    or to 0 where no gas arrives).

    ``res``: a simulation result (or anything indexable by component with
    ``mass_flow_kg_s`` columns). ``countries``: origin per element of ``sources``,
    ``storages`` and ``sinks`` (default :func:`element_country`); ``transfers``: station
    transfer pairs (default :func:`station_transfers`).
    """
    if countries is None:
        countries = {c: element_country(net, c) for c in ("sources", "storages", "sinks")}
    transfers = station_transfers(net) if transfers is None else list(transfers)
    tails, heads, flows, jidx = _edges(net, res, transfers)
    n = len(jidx)
    sup = _supplies(net, res, countries, {q for _, q in transfers})
    origins = sorted(set(sup["origin"]))
    if not origins:
        return pd.DataFrame(index=jidx)
    rhs = np.zeros((n, len(origins)))
    np.add.at(rhs, (jidx.get_indexer(sup["junction"]),
                    pd.Index(origins).get_indexer(sup["origin"])), sup["kg_s"].to_numpy(float))
    inflow = rhs.sum(axis=1) + np.bincount(heads, weights=flows, minlength=n)
    diag = np.where(inflow > _TOL, inflow, 1.0)
    a_mat = (sp.diags(diag) - sp.csr_matrix((flows, (heads, tails)), shape=(n, n))).tocsc()
    mix = np.asarray(spsolve(a_mat, rhs)).reshape(n, len(origins))
    mix[inflow <= _TOL] = 0.0
    return pd.DataFrame(np.clip(mix, 0.0, 1.0), index=jidx, columns=origins)


def _crossing(net: Network, res: Any, members: frozenset[str] | None = None) -> pd.DataFrame:
    """Branches in their flow direction: tail, head, kg_s, tail_country, head_country;
    with ``members`` only those crossing the area's boundary, else those crossing any border."""
    br = branch_flows(net, res)
    jc = net.junctions["country"].fillna("").astype(str)
    f = br["mass_flow_kg_s"].to_numpy(float)
    pos = f >= 0
    tail = np.where(pos, br["from_junction"], br["to_junction"])
    head = np.where(pos, br["to_junction"], br["from_junction"])
    e = pd.DataFrame({"tail": tail, "head": head, "kg_s": np.abs(f)})
    e["tail_country"] = e["tail"].map(jc).fillna("").to_numpy()
    e["head_country"] = e["head"].map(jc).fillna("").to_numpy()
    if members is None:
        keep = (e["tail_country"] != e["head_country"]) & (e["tail_country"] != "") & (
            e["head_country"] != "")
    else:
        keep = e["tail_country"].isin(members) != e["head_country"].isin(members)
    return e[keep & (e["kg_s"] > 0)]


def _share_of(mix: pd.DataFrame, junctions: pd.Series, origin: pd.Series) -> np.ndarray:
    """``mix.loc[junction, origin]`` per row (0 where the origin is no column)."""
    if mix.shape[1] == 0:
        return np.zeros(len(junctions))
    r = mix.index.get_indexer(junctions)
    c = mix.columns.get_indexer(origin)
    vals = mix.to_numpy(float)[np.maximum(r, 0), np.maximum(c, 0)]
    return np.where((r >= 0) & (c >= 0), vals, 0.0)


def transit_by_country(net: Network, res: Any, mix: pd.DataFrame | None = None) -> pd.Series:
    """Gas carried for others [kg/s] per country: the gas of foreign origin that leaves the
    country across its borders (each leaving branch's flow times the foreign share of the mix
    at its inside end). Gas that passes the same country twice counts twice."""
    mix = origin_mix(net, res) if mix is None else mix
    e = _crossing(net, res)
    kg = e["kg_s"].to_numpy(float)
    foreign = kg * (1.0 - _share_of(mix, e["tail"], e["tail_country"]))
    foreign[foreign <= 1e-9 * kg] = 0.0  # rounding of the solve: no transit
    return pd.Series(foreign, index=e["tail_country"].to_numpy()).groupby(level=0).sum()


def area_imports(net: Network, sim: Any, mix: pd.DataFrame,
                 members: frozenset[str]) -> pd.Series:
    """Gas imported into the area (the countries ``members``) by origin country [kg/s]: the
    flows on the branches crossing into it, each with the mix at its outside end; gas whose
    origin is a member (gas returning home) is not an import."""
    e = _crossing(net, sim, frozenset(members))
    e = e[e["head_country"].isin(members)]
    total = (mix.reindex(e["tail"]).fillna(0.0).to_numpy(float)
             * e["kg_s"].to_numpy(float)[:, None]).sum(axis=0)
    s = pd.Series(total, index=mix.columns, dtype=float)
    return s[~s.index.isin(list(members)) & (s > 1e-9)]


def area_consumed_imports(net: Network, sim: Any, mix: pd.DataFrame, members: frozenset[str],
                          sink_country: pd.Series, transfers: Sequence[tuple[str, str]]
                          ) -> pd.Series:
    """Foreign gas in what the area's own sinks withdraw, by origin country [kg/s]
    (transit through the area and the area's own production are not counted)."""
    m = sim.sinks["mass_flow_kg_s"]
    skip = [s for s, _ in transfers]
    keep = (m > 0) & ~m.index.isin(skip) & m.index.map(sink_country).isin(members)
    ids = m.index[keep]
    total = (mix.reindex(net.sinks.loc[ids, "junction"]).fillna(0.0).to_numpy(float)
             * m[keep].to_numpy(float)[:, None]).sum(axis=0)
    s = pd.Series(total, index=mix.columns, dtype=float)
    return s[~s.index.isin(list(members)) & (s > 1e-9)]
