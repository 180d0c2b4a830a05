"""Where the gas at every junction comes from: proportional flow tracing of a steady state.

Each junction mixes what flows into it (assumption of proportional sharing, as in
electricity flow tracing: Bialek, IEE Proc. Gener. Transm. Distrib. 143(4), 1996). With
``inflow_n`` the gas entering junction n (supplies at n plus branch flows into n) and
``c_n[k]`` the share of origin k in it::

    inflow_n * c_n[k] = supply_n[k] + sum over branches e into n of |f_e| * c_tail(e)[k]

a sparse linear system in c (one right-hand side per origin). Origins are the countries of
the supplying elements (sources, storages withdrawing). A transfer pair (sink at a station
inlet, source at its outlet) passes the inlet's mix on to the outlet instead of creating
gas of the source's country. Imports of an area are the flows on the branches crossing into
it, each with the mix at its outside end; gas whose origin is a member of the area (gas
returning home) is not an import.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.sparse.linalg import spsolve

from gasunion.network import Network
from gasunion.network.schema import BRANCHES


def origin_mix(net: Network, sim: Any, countries: dict[str, pd.Series],
               transfers: list[tuple[str, str]]) -> pd.DataFrame:
    """Share of each origin country in the gas at every junction (rows sum to 1 or 0)."""
    jidx = pd.Index(net.junctions.index)
    n = len(jidx)
    tails: list[int] = []
    heads: list[int] = []
    flows: list[float] = []
    for comp in BRANCHES:
        t = sim[comp]
        if not len(t):
            continue
        f = t["mass_flow_kg_s"].to_numpy(float)
        a = jidx.get_indexer(net[comp].loc[t.index, "from_junction"])
        b = jidx.get_indexer(net[comp].loc[t.index, "to_junction"])
        pos = f >= 0
        tails += list(np.where(pos, a, b))
        heads += list(np.where(pos, b, a))
        flows += list(np.abs(f))
    transfer_src = {q for _, q in transfers}
    for s, q in transfers:
        tails.append(int(jidx.get_loc(net.sinks.at[s, "junction"])))
        heads.append(int(jidx.get_loc(net.sources.at[q, "junction"])))
        flows.append(max(float(sim.sources.at[q, "mass_flow_kg_s"]), 0.0))
    supply_rows: list[tuple[int, str, float]] = []
    for comp, sign in (("sources", 1.0), ("storages", 1.0), ("sinks", -1.0)):
        t = sim[comp]
        for eid, m in t["mass_flow_kg_s"].items():
            v = sign * float(m)
            if v > 0 and eid not in transfer_src:
                j = int(jidx.get_loc(net[comp].at[eid, "junction"]))
                supply_rows.append((j, str(countries[comp].get(eid, "")) or "?", v))
    origins = sorted({o for _, o, _ in supply_rows})
    k = {o: i for i, o in enumerate(origins)}
    rhs = np.zeros((n, len(origins)))
    for j, o, v in supply_rows:
        rhs[j, k[o]] += v
    inflow = rhs.sum(axis=1) + np.bincount(heads, weights=flows, minlength=n)
    diag = np.where(inflow > 1e-12, inflow, 1.0)
    a_mat = sp.diags(diag) - sp.csr_matrix((flows, (heads, tails)), shape=(n, n))
    a_mat = a_mat.tocsc()
    if not origins:
        return pd.DataFrame(index=jidx)
    mix = spsolve(a_mat, rhs)
    mix = np.asarray(mix).reshape(n, len(origins))
    mix[inflow <= 1e-12] = 0.0
    return pd.DataFrame(np.clip(mix, 0.0, 1.0), index=jidx, columns=origins)


def area_imports(net: Network, sim: Any, mix: pd.DataFrame,
                 members: frozenset[str]) -> pd.Series:
    """Gas imported into the area on the design day by origin country [kg/s]."""
    jc = net.junctions["country"].fillna("")
    total = pd.Series(0.0, index=mix.columns, dtype=float)
    for comp in BRANCHES:
        t = sim[comp]
        if not len(t):
            continue
        br = net[comp].loc[t.index]
        fin = br["from_junction"].map(jc).isin(members)
        tin = br["to_junction"].map(jc).isin(members)
        f = t["mass_flow_kg_s"]
        for eid in br.index[fin != tin]:
            inward = f[eid] if tin[eid] else -f[eid]
            if inward > 0:
                outside = br.at[eid, "from_junction"] if tin[eid] else br.at[eid, "to_junction"]
                total = total + inward * mix.loc[outside]
    return total[~total.index.isin(list(members)) & (total > 1e-9)]


def area_consumed_imports(net: Network, sim: Any, mix: pd.DataFrame, members: frozenset[str],
                          sink_country: pd.Series, transfers: list[tuple[str, str]]) -> pd.Series:
    """Foreign gas in what the area's own sinks withdraw, by origin country [kg/s]
    (transit through the area and the area's own production are not counted)."""
    skip = {s for s, _ in transfers}
    total = pd.Series(0.0, index=mix.columns, dtype=float)
    for eid, m in sim.sinks["mass_flow_kg_s"].items():
        if eid in skip or m <= 0 or sink_country.get(eid, "") not in members:
            continue
        total = total + float(m) * mix.loc[net.sinks.at[eid, "junction"]]
    return total[~total.index.isin(list(members)) & (total > 1e-9)]
