"""Unserved demand of every single-element outage, per calculated area (country or coalition).

**Definition.** For an area A (one country, or a coalition whose members pool their assets)
and an outage e, the load-shedding LP of :mod:`gasunion.optimize.shed` (the linear transport
model without prices; supplies and minimum flows may drop to zero) is solved on the whole
network with e out of service and three rules that make the result the *area's* exposure.
"Nominated" flows are those of the network's own nomination (the simulated steady state,
``DesignDay.sim``), per non-member country X, summed over all branches between X and A:

1. **Non-members do not help beyond their nomination.** The gross inflow into A from X (the
   flows in the direction X -> A) is at most its nominated value: a non-member neither raises
   its deliveries nor lets A reroute its own gas through X's pipes (A -> X -> A). Between
   members of a coalition there is no such limit: their sources, storages and pipes are
   pooled.
2. **Transit and exports are honoured first.** A's net imports (all flows into A minus all
   flows out of A, over every border with a non-member) do not rise above their nominated
   value as far as the network allows (an excess is penalised above every demand of A): A
   cannot cover a loss by keeping transit gas or cutting its exports. Its own production and
   storage are its own: a country cut off from its imports keeps them.
3. **Then A's demand** (by its ``priority``), then the non-members' demand.

``unserved_kg_s`` is A's unserved demand with e out minus ``base_unserved_kg_s``, A's
unserved demand with nothing out under the same rules (non-zero when the design day itself
is not deliverable in the model, e.g. a peak day above the nominated imports), so that it is
the loss *caused by* the outage. It is unique (A's served gas is a lexicographic maximum)
even where the split of a shortage between countries of equal priority is not. A coalition
is therefore not the sum of its members: a member whose second route runs through a fellow
member, or whose fellow member has spare supply, loses nothing, alone it does. For the area
of all countries (no non-members) the value is :func:`gasunion.optimize.shed.outage_unserved`'s
total.

The network the LP is built on:

* the design-day network (peak demand applied);
* every *transfer* pair (a sink at a station inlet and a source at its outlet, see
  :mod:`gasunion.optimize._security_terms`) becomes a one-way short pipe from the sink's to
  the source's junction, so that an outage upstream of the station reaches the demand behind
  it (a fixed injection would hide it); the station itself is an outage candidate;
* the ``capacities`` option fills the bounds the network leaves empty: branch flow bounds
  (both directions, or one as its ``direction`` says), source ``mass_flow_max_kg_s`` and
  storage ``withdrawal_max_kg_s``, so that the load shedding sees the capacities of the N-1;
* sinks without a ``country`` take their junction's;
* storages may end the day below their start inventory (``storage_cyclic=False`` unless
  given): a design day is one day of emergency withdrawal.

Without a simulated nomination (``DesignDay.sim`` is None) the non-members are unlimited
(rules 1 and 2 are not applied) and ``summary["outages_note"]`` says so.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from gasunion.network import Network
from gasunion.network.schema import BRANCHES
from gasunion.optimize._linear_data import LinearData, linear_data, priority_weights
from gasunion.optimize._linear_model import HighsLP, TransportLP, build_lp
from gasunion.optimize._security_terms import DesignDay
from gasunion.optimize.result import OptimizationError
from gasunion.reports.tracing import element_country

COLUMNS = ["component", "element", "name", "area", "unserved_kg_s", "unserved_mcm_d",
           "unserved_share", "demand_kg_s", "demand_mcm_d", "outage_unserved_kg_s",
           "base_unserved_kg_s"]
#: components whose in-service elements are outage candidates by default (plus transfers)
OUTAGE_COMPONENTS = ("pipes", "compressors", "sources", "storages")
_LP_KEYS = ("friction", "z", "pipe_capacity", "fuel_share_default", "storage_cyclic",
            "max_variables")


def transfer_pipe(sink: str, source: str) -> str:
    """Id of the short pipe that replaces the transfer pair (sink, source)."""
    return f"transfer {sink}->{source}"


def outage_network(d: DesignDay) -> Network:
    """The design-day network with transfers merged and capacities as bounds (module doc)."""
    net = d.net.copy()
    sinks = net.sinks
    sinks["country"] = element_country(net, "sinks")
    net["sinks"] = sinks
    for s, q in d.transfers:
        a, b = net.sinks.at[s, "junction"], net.sources.at[q, "junction"]
        net.add("short_pipes", transfer_pipe(s, q), from_junction=a, to_junction=b,
                name=f"transfer {net.sinks.at[s, 'name'] or s}",
                country=net.junctions.at[a, "country"], owner=net.sinks.at[s, "owner"],
                mass_flow_min_kg_s=0.0)
        net.remove("sinks", s)
        net.remove("sources", q)
    cap = d.capacities
    for comp in BRANCHES:
        df = net[comp]
        ids = [e for e in df.index if e in cap.index] if len(df) else []
        if not ids:
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
    for comp, col in (("sources", "mass_flow_max_kg_s"), ("storages", "withdrawal_max_kg_s")):
        df = net[comp]
        ids = [e for e in df.index if e in cap.index and math.isnan(df.at[e, col])]
        if ids:
            df = df.copy()
            df.loc[ids, col] = cap.loc[ids, "mass_flow_kg_s"].astype(float).to_numpy()
            net[comp] = df
    return net


def _elements(d: DesignDay, net: Network, elements: Iterable[Any] | None
              ) -> list[tuple[str, str]]:
    """Outage candidates in the outage network's ids (transfer sink/source -> its pipe)."""
    merged = {}
    for s, q in d.transfers:
        merged[("sinks", s)] = merged[("sources", q)] = ("short_pipes", transfer_pipe(s, q))
    if elements is None:
        out = [(c, str(i)) for c in OUTAGE_COMPONENTS
               for i in net[c].index[net[c]["in_service"].astype(bool)]]
        return out + [("short_pipes", transfer_pipe(s, q)) for s, q in d.transfers]
    out = []
    for item in elements:
        if not (isinstance(item, (tuple, list)) and len(item) == 2):
            raise OptimizationError("bad_input", f"outage {item!r}: give (component, element id)")
        key = merged.get((str(item[0]), str(item[1])), (str(item[0]), str(item[1])))
        if key[0] not in (*BRANCHES, "sources", "storages"):
            raise OptimizationError("bad_input", f"outage {item!r}: not a branch, source or "
                                    "storage")
        if key[1] not in net[key[0]].index:
            raise OptimizationError("bad_input", f"outage {item!r}: no such element")
        if key not in out:
            out.append(key)
    return out


def _nominated_flows(d: DesignDay, dl: LinearData) -> np.ndarray | None:
    """Flow of every LP branch at the network's nomination [kg/s] (NaN: not simulated)."""
    if d.sim is None:
        return None
    out = np.full(len(dl.br), np.nan)
    pipes = {transfer_pipe(s, q): float(d.net.sinks.at[s, "mass_flow_kg_s"])
             for s, q in d.transfers}
    for k, (comp, eid) in enumerate(zip(dl.br["component"], dl.br.index, strict=True)):
        if comp == "short_pipes" and eid in pipes:
            out[k] = pipes[eid]
            continue
        try:
            t = d.sim[comp]
        except (KeyError, AttributeError):
            continue
        if eid in t.index:
            out[k] = float(t.at[eid, "mass_flow_kg_s"])
    return np.nan_to_num(out, nan=0.0)


def _sum(lp: TransportLP, parts: Iterable[tuple[str, np.ndarray]]) -> Any:
    """Sum over the given branch positions of the named flow variables (per period)."""
    expr: Any = None
    for name, idx in parts:
        if len(idx):
            part = lp.v[name].isel(branch=idx).sum("branch")
            expr = part if expr is None else expr + part
    return expr if expr is not None else 0.0 * lp.v["fp"].isel(branch=[0]).sum("branch")


def _unserved(dl: LinearData, served: np.ndarray) -> np.ndarray:
    """Hours-weighted mean unserved rate per sink [kg/s]."""
    h = dl.periods.hours
    return ((dl.demand - served).clip(min=0.0) * h[:, None]).sum(axis=0) / h.sum()


class _AreaLP:
    """The load-shedding LP of one area (rules 1-3 of the module docstring)."""

    def __init__(self, dl: LinearData, members: frozenset[str], node_country: np.ndarray,
                 nominated: np.ndarray | None, time_limit: float | None) -> None:
        self.dl = dl
        self.in_area = dl.snk["country"].fillna("").astype(str).isin(members).to_numpy()
        pr = dl.snk["priority"].to_numpy(float)
        top = float(np.nanmax(pr)) if np.isfinite(pr).any() else 0.0
        pr = np.where(np.isnan(pr), top + 1.0, pr)
        pr = np.where(self.in_area, pr, pr + top + 1.0)       # the area's demand first
        w = priority_weights(pr)
        lp = build_lp(dl, np.broadcast_to(w, dl.demand.shape), use_costs=False)
        self.caps: dict[str, float] = {}
        self.net_import = math.nan
        if nominated is not None and len(dl.br):
            hours = xr.DataArray(dl.periods.hours, coords={"period": list(dl.periods.names)},
                                 dims=("period",))
            penalty = 10.0 * float(w.max()) if len(w) else 1.0
            fc = node_country[dl.br["from_node"].to_numpy(int)]
            tc = node_country[dl.br["to_node"].to_numpy(int)]
            fin, tin = np.isin(fc, list(members)), np.isin(tc, list(members))
            for x in sorted(set(fc[~fin & tin]) | set(tc[fin & ~tin])):
                fwd = np.flatnonzero((fc == x) & tin)          # X -> A
                rev = np.flatnonzero(fin & (tc == x))          # A -> X
                gross_in = float(nominated[fwd].clip(min=0).sum()
                                 + (-nominated[rev]).clip(min=0).sum())
                lp.m.add_constraints(_sum(lp, (("fp", fwd), ("fm", rev))) <= gross_in,
                                     name=f"nominated_in_{len(self.caps)}")
                self.caps[x] = gross_in
            # rule 2: net imports over all borders (net per branch) at most the nomination
            fwd, rev = np.flatnonzero(~fin & tin), np.flatnonzero(fin & ~tin)
            self.net_import = float(nominated[fwd].sum() - nominated[rev].sum())
            net_in = (_sum(lp, (("fp", fwd), ("fm", rev)))
                      - _sum(lp, (("fm", fwd), ("fp", rev))))
            short = lp.m.add_variables(lower=0.0, coords=[pd.Index(dl.periods.names,
                                                                    name="period")],
                                       name="net_import_excess")
            lp.m.add_constraints(net_in - short <= self.net_import, name="nominated_net")
            lp.m.objective = lp.m.objective.expression + (penalty * hours) * short
        self.lp: TransportLP = lp
        self.hl = HighsLP(lp.m, time_limit=time_limit)
        self.key = pd.MultiIndex.from_arrays([dl.br["component"], dl.br.index])

    def solve(self) -> float:
        """Solve and return the area's unserved demand [kg/s]."""
        status = self.hl.run()
        if not self.hl.optimal:
            raise OptimizationError("infeasible" if status == "Infeasible" else "solver",
                                    f"security outages: HiGHS model status {status!r} (storage "
                                    "inventory rules unreachable?)")
        uns = _unserved(self.dl, self.hl.value(self.lp.v["served"]))
        return float(uns[self.in_area].sum())

    def without(self, comp: str, eid: str) -> float | None:
        """The area's unserved demand with one element out (None: not in the LP)."""
        dl, lp, hl = self.dl, self.lp, self.hl
        if comp == "sources":
            names, col = ["supply"], dl.src.index.get_indexer([eid])[0]
        elif comp == "storages":
            names, col = ["inj", "wd"], dl.sto.index.get_indexer([eid])[0]
        else:
            names, col = ["fp", "fm"], self.key.get_indexer([(comp, eid)])[0]
        if col < 0:
            return None
        saved = []
        upper = np.asarray(hl.h.getLp().col_upper_)
        for nm in names:
            var = lp.v[nm]
            mask = np.zeros(var.labels.shape, dtype=bool)
            mask[:, col] = True
            saved.append((var, mask, upper[hl.col_of[var.labels.values[:, col]]]))
            hl.set_upper(var, mask, 0.0)
        try:
            return self.solve()
        finally:
            for var, mask, up in saved:
                hl.set_upper(var, mask, up)


def outage_table(d: DesignDay, areas: list[tuple[str, frozenset[str]]], elements: Any,
                 progress: Callable[[str], None] | None, **options: Any
                 ) -> tuple[pd.DataFrame, dict[str, Any]]:
    """The ``outages`` table (columns :data:`COLUMNS`) and notes for the summary."""
    bad = sorted(set(options) - set(_LP_KEYS) - {"time_limit", "periods"})
    if bad:
        raise OptimizationError("bad_input", "security: unknown option(s) " + ", ".join(bad))
    lp_opts = {k: options[k] for k in _LP_KEYS if k in options}
    lp_opts.setdefault("storage_cyclic", False)
    net = outage_network(d)
    outs = _elements(d, net, elements)
    dl = linear_data(net, options.get("periods"), **lp_opts)
    dl.src_lo = np.zeros_like(dl.src_lo)        # emergency: supplies may stop
    dl.fwd_lo = np.zeros_like(dl.fwd_lo)        # and minimum flows are relaxed
    dl.rev_lo = np.zeros_like(dl.rev_lo)
    node_country = net.junctions["country"].fillna("").astype(str).reindex(dl.nodes).to_numpy()
    nominated = _nominated_flows(d, dl)
    h = dl.periods.hours
    demand_snk = (dl.demand * h[:, None]).sum(axis=0) / h.sum()
    mcm = net.gas.mcm_d_from_kg_s
    names = {(c, e): str(net[c].at[e, "name"] or e) for c, e in outs}
    frames: list[pd.DataFrame] = []
    caps: dict[str, dict[str, float]] = {}
    nets: dict[str, float] = {}
    for label, members in areas:
        if progress is not None:
            progress(f"security: outages of {label} ({len(outs)} elements)")
        a = _AreaLP(dl, members, node_country, nominated, options.get("time_limit"))
        caps[label] = {x: mcm(v) for x, v in a.caps.items()}
        nets[label] = mcm(a.net_import)
        base = a.solve()
        gross = np.array([base if u is None else u
                          for u in (a.without(c, e) for c, e in outs)], dtype=float)
        dem = float(demand_snk[a.in_area].sum())
        net_un = gross - base
        frames.append(pd.DataFrame({
            "component": [c for c, _ in outs], "element": [e for _, e in outs],
            "name": [names[o] for o in outs], "area": label, "unserved_kg_s": net_un,
            "unserved_mcm_d": mcm(net_un),
            "unserved_share": net_un / dem if dem > 0 else np.nan, "demand_kg_s": dem,
            "demand_mcm_d": mcm(dem), "outage_unserved_kg_s": gross,
            "base_unserved_kg_s": base}))
    out = (pd.concat(frames, ignore_index=True) if frames
           else pd.DataFrame(columns=COLUMNS))
    out = out.sort_values(["area", "unserved_kg_s"], ascending=[True, False], kind="stable")
    out = out.reset_index(drop=True)[COLUMNS]
    worst = {}
    for label, g in out.groupby("area", sort=False):
        top = g.iloc[0]
        hurts = bool(top["unserved_kg_s"] > 0)  # no outage loses gas: no worst element
        worst[str(label)] = {"element": f"{top['component']}:{top['element']}" if hurts
                             else None,
                             "unserved_mcm_d": float(top["unserved_mcm_d"]),
                             "unserved_share": float(top["unserved_share"])}
    info: dict[str, Any] = {
        "outages": len(outs), "outages_worst": worst,
        "outages_nominated_imports_mcm_d": caps, "outages_nominated_net_imports_mcm_d": nets,
        "outage_definition": "per area: load shedding with the element out; gross inflow "
        "from each non-member capped at the nomination, net imports from non-members at "
        "most the nomination where the network allows (transit and exports kept), then the "
        "area's demand first; members pooled; net of the area's unserved demand with "
        "nothing out",
        "outage_network": "design day; transfers merged into one-way short pipes; capacities "
        "as branch, source and storage bounds where the network has none; storages may end "
        f"below their start inventory (storage_cyclic={lp_opts['storage_cyclic']})"}
    if nominated is None:
        info["outages_note"] = ("no simulated nomination: non-member deliveries are not "
                                f"capped and exports not kept (rules 1-2 not applied): "
                                f"{d.sim_error}")
    return out, info
