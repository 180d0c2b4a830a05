"""Expansion over the periods with linear transport: the transport LP plus build binaries (MILP).

The network with every new candidate added goes through :func:`linear_data` and
:func:`build_lp` unchanged (periods, storage, per-direction capacities, fuel shares, profiles);
then, vectorised over candidates and periods:

* a binary ``build[b]`` per candidate, indexed by the candidate's branch position b;
* new pipe / compressor b: ``fp[t,b] <= F[t,b] build[b]``, ``fm[t,b] <= R[t,b] build[b]``
  with F, R its forward / reverse capacity [kg/s] (rating, else the pipe law);
* reverse upgrade of an existing branch b to reverse capacity R1 from R0:
  ``fm[t,b] <= R0[t,b] + max(R1 - R0[t,b], 0) build[b]``;
* target: ``served[t,s] >= demand`` for the sinks to serve (``serve="all"``, or those with
  ``priority <= serve``; a sink with ``mass_flow_min_kg_s < mass_flow_max_kg_s`` is
  dispatchable: only its minimum is asked and it may take up to its maximum), and per period a
  minimum flow ``sign(v) (fp - fm)[t,b] >= |v|`` across given branches or
  ``served[t,s] >= v`` into given sinks (``transit=``, kg/s).

Objective: ``sum construction_cost x build`` [cost units] (``operating_costs=True`` adds the
transport objective over the horizon: supply costs and fees, in currency). Then the build
decisions are fixed and the LP re-solved for the flows, node prices and operating cost.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import highspy
import numpy as np
import pandas as pd
import xarray as xr

from gasunion.network import Network
from gasunion.optimize._expansion_candidates import network_with
from gasunion.optimize._linear_data import linear_data
from gasunion.optimize._linear_diagnosis import diagnose
from gasunion.optimize._linear_model import HighsLP, TransportLP, build_lp
from gasunion.optimize._linear_tables import transport_tables
from gasunion.optimize.gasmodels import is_matgas
from gasunion.optimize.result import OptimizationError, OptimizationResult

__all__ = ["solve_linear_expansion"]

_DATA_OPTIONS = ("friction", "z", "pipe_capacity", "fuel_share_default", "storage_cyclic",
                 "flow_cost_per_kg", "max_variables")


def _da(a: np.ndarray, periods: pd.Index, pos: np.ndarray) -> xr.DataArray:
    return xr.DataArray(np.asarray(a, float), dims=("period", "branch"),
                        coords={"period": periods, "branch": pos})


def _served_bounds(net: Network, d: Any, serve: Any) -> np.ndarray:
    """Lower bound of ``served`` (T, S) for the serve target; widens dispatchable sinks."""
    snk = net.sinks.loc[d.snk.index]
    lo_s = snk["mass_flow_min_kg_s"].to_numpy(float)
    hi_s = snk["mass_flow_max_kg_s"].to_numpy(float)
    disp = np.isfinite(lo_s) & np.isfinite(hi_s) & (lo_s < hi_s)
    d.demand[:, disp] = hi_s[disp]
    need = np.where(disp[None, :], np.clip(lo_s, 0.0, None)[None, :], d.demand)
    if serve is None:
        return np.zeros_like(d.demand)
    if isinstance(serve, str) and serve == "all":
        return need
    if isinstance(serve, (int, float)) and not isinstance(serve, bool):
        prio = d.snk["priority"].to_numpy(float)
        return np.where((prio <= float(serve))[None, :], need, 0.0)
    raise OptimizationError("bad_input", f"serve must be 'all', a priority number or None, got "
                            f"{serve!r}")


def _transit(transit: Any, d: Any) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """``transit`` -> (targets (T, E) in kg/s, branch positions (-1: sink), sink positions)."""
    P = d.periods.names
    if isinstance(transit, pd.DataFrame):
        t = transit.copy()
        t.index = pd.Index([str(i) for i in t.index])
        missing = P.difference(t.index)
        if len(missing):
            raise OptimizationError("bad_input", "transit: no row for period(s) "
                                    + ", ".join(missing[:5]))
        t = t.loc[P]
    else:
        t = pd.DataFrame({str(k): np.broadcast_to(np.asarray(v, float), (len(P),))
                          for k, v in dict(transit).items()}, index=P)
    t = t.astype(float)
    t.columns = pd.Index([str(c) for c in t.columns], name="element")
    br_ids = pd.Index(d.br.index.astype(str))
    dup = br_ids.duplicated(keep=False)
    at = br_ids[~dup].get_indexer(t.columns)
    bpos = np.where(at >= 0, np.flatnonzero(~dup)[np.clip(at, 0, None)] if (~dup).any() else -1,
                    -1)
    spos = d.snk.index.get_indexer(t.columns)
    amb = (bpos >= 0) & (spos >= 0)
    bad = (bpos < 0) & (spos < 0)
    if amb.any() or bad.any() or not np.isfinite(t.to_numpy()).all():
        names = ", ".join(t.columns[amb | bad][:5]) or "values"
        raise OptimizationError("bad_input", f"transit {names}: give one in-service branch id "
                                "(flow from -> to; negative = reverse) or sink id per column, "
                                "finite kg/s")
    return t, bpos, spos


def solve_linear_expansion(net: Network, tab: pd.DataFrame, *, periods: Any = None,
                           serve: Any = "all", transit: Any = None,
                           operating_costs: bool = False, time_limit: float | None = None,
                           mip_rel_gap: float = 1e-6,
                           progress: Callable[[str], None] | None = None,
                           **options: Any) -> OptimizationResult:
    """Cheapest candidate set meeting ``serve`` and ``transit`` in every period (see the module
    docstring). ``options``: ``friction``, ``z``, ``pipe_capacity``, ``fuel_share_default``,
    ``storage_cyclic``, ``flow_cost_per_kg``, ``max_variables`` as in :func:`~gasunion.optimize.transport.
    transport`. Raises ``infeasible`` (with the transport diagnosis, every candidate built)
    when no candidate set meets the target."""
    say = progress or (lambda _s: None)
    bad = sorted(set(options) - set(_DATA_OPTIONS))
    if bad:
        raise OptimizationError("bad_input", "expansion (linear): unknown option(s) "
                                + ", ".join(bad))
    opts = {k: v for k, v in options.items() if v is not None}
    t0 = time.perf_counter()
    full = network_with(net, tab)
    d = linear_data(full, periods, **opts)
    notes = list(d.assumptions)
    if is_matgas(net):  # GasModels: slack junctions fix a pressure and inject nothing
        slack = d.src.index.str.startswith("slack_")
        d.src_hi[:, slack] = 0.0
        notes.append("matgas input: slack junctions inject nothing (GasModels)")
    served_lo = _served_bounds(net, d, serve)
    P = d.periods.names
    key = pd.MultiIndex.from_arrays([d.br["component"].to_numpy(), d.br.index.astype(str)])
    elem = np.where(tab["kind"] == "reverse", tab["element"], tab.index)
    pos = key.get_indexer(pd.MultiIndex.from_arrays([tab["component"].to_numpy(), elem]))
    if (pos < 0).any():
        raise OptimizationError("bad_input", "candidates " + ", ".join(tab.index[pos < 0][:5])
                                + ": element out of service (or a closed valve / compressor "
                                "off): nothing to upgrade")
    rev = (tab["kind"] == "reverse").to_numpy()
    new_pos, rev_pos = pos[~rev], pos[rev]
    cap_f, cap_r = d.fwd_hi[:, new_pos], d.rev_hi[:, new_pos]
    inf = ~(np.isfinite(cap_f) & np.isfinite(cap_r)).all(axis=0)
    if inf.any():
        raise OptimizationError("bad_input", "candidates " + ", ".join(tab.index[~rev][inf][:5])
                                + ": unlimited capacity (give mass_flow_max_kg_s / "
                                "mass_flow_min_kg_s or pressure bounds at both ends)")
    base = d.rev_hi[:, rev_pos]
    target = np.broadcast_to(-tab["mass_flow_min_kg_s"].to_numpy(float)[rev], base.shape)
    inc = np.where(np.isfinite(base), np.clip(target - base, 0.0, None), 0.0)
    d.rev_hi[:, rev_pos] = np.fmax(base, target)

    tt = None
    if transit is not None:
        tt, bpos, spos = _transit(transit, d)
        sink_cols = spos >= 0
        served_lo[:, spos[sink_cols]] = np.maximum(served_lo[:, spos[sink_cols]],
                                                   tt.to_numpy()[:, sink_cols])
    over = (served_lo > d.demand + 1e-9).any(axis=0)
    if over.any():
        raise OptimizationError("bad_input", "transit: sink(s) " + ", ".join(d.snk.index[over][:5])
                                + " asked for more than their demand (mass_flow_kg_s)")
    say(f"building the expansion MILP ({len(tab)} candidates, {len(P)} periods)")
    lp = build_lp(d, np.zeros_like(d.demand), served_lo=served_lo)
    m, v = lp.m, lp.v
    build = m.add_variables(binary=True, coords=[pd.Index(pos, name="branch")], name="build")
    v["build"] = build
    if len(new_pos):
        bn = build.sel(branch=new_pos)
        lp.c["build_forward"] = m.add_constraints(
            v["fp"].sel(branch=new_pos) - _da(cap_f, P, new_pos) * bn <= 0, name="build_forward")
        lp.c["build_reverse"] = m.add_constraints(
            v["fm"].sel(branch=new_pos) - _da(cap_r, P, new_pos) * bn <= 0, name="build_reverse")
    if len(rev_pos):
        base_ok = np.where(np.isfinite(base), base, 1e30)
        lp.c["build_upgrade"] = m.add_constraints(
            v["fm"].sel(branch=rev_pos) - _da(inc, P, rev_pos) * build.sel(branch=rev_pos)
            <= _da(base_ok, P, rev_pos), name="build_upgrade")
    if tt is not None and (bpos >= 0).any():
        b = bpos[bpos >= 0]
        val = tt.to_numpy()[:, bpos >= 0]
        sign = _da(np.where(val < 0, -1.0, 1.0), P, b)
        lp.c["transit"] = m.add_constraints(
            sign * (v["fp"].sel(branch=b) - v["fm"].sel(branch=b)) >= _da(np.abs(val), P, b),
            name="transit")
    hl, cols, c_op = _highs(lp, tab, operating_costs, time_limit, mip_rel_gap)
    build_time = time.perf_counter() - t0
    say(f"solving with HiGHS ({hl.n_variables} variables, {len(cols)} binaries)")
    status = hl.run()
    if "nfeasible" in status:
        say("infeasible: diagnosing with every candidate available")
        diag = diagnose(lp)
        short = diag[diag["constraint"].str.startswith("violated")] if len(diag) else diag
        words = "; ".join(short["explanation"].head(3)) or "HiGHS reports no feasible set"
        raise OptimizationError("infeasible", "expansion: no set of candidates meets the target; "
                                "with every candidate built: " + words, diagnosis=diag,
                                hint="more or larger candidates, or a lower target")
    if status not in ("Optimal", "Time limit reached") or not np.isfinite(hl._x).all():
        raise OptimizationError("solver", f"HiGHS stopped with model status {status!r}")
    mip_gap = float(hl.h.getInfo().mip_gap)
    built = np.round(hl.value(build)).astype(bool)
    say("fixing the build decisions; re-solving the LP for flows and prices")
    kc = np.full(len(cols), highspy.HighsVarType.kContinuous)
    hl.h.changeColsIntegrality(len(cols), cols, kc)
    hl.h.changeColsBounds(len(cols), cols, built.astype(float), built.astype(float))
    hl.h.changeColsCost(len(c_op), np.arange(len(c_op), dtype=np.int32), c_op)
    solve1 = hl.solve_time_s
    if hl.run() != "Optimal":
        raise OptimizationError("solver", f"HiGHS: {hl.status} (LP with the set fixed)")
    tables = transport_tables(full, lp, hl)
    cost = float(tab["construction_cost"].to_numpy()[built].sum())
    operating = hl.objective
    tables["candidates"] = _candidate_table(lp, hl, tab, built, pos)
    if tt is not None:
        tables["transit"] = _transit_table(lp, hl, tt, bpos, spos)
    obj = cost + (operating if operating_costs else 0.0)
    summary = {
        "status": "optimal", "objective": obj, "objective_unit": "cost units (construction_cost"
        + (" + operating cost in currency)" if operating_costs else ")"),
        "objective_name": "cost", "build_time_s": build_time, "solve_time_s": hl.solve_time_s,
        "mip_solve_time_s": solve1, "gap": mip_gap, "solver": "highs", "solver_message": status,
        "built": list(tab.index[built]), "construction_cost": cost,
        "operating_cost": operating, "n_periods": len(P), "n_variables": hl.n_variables,
        "serve": serve, "assumptions": [
            *notes, "linear transport: no pressures; candidate capacities from their ratings or "
            "the pipe law between the pressure bounds", "a build decision holds for every period"]}
    return OptimizationResult("expansion", "linear", "optimal", obj, tables, summary)


def _highs(lp: TransportLP, tab: pd.DataFrame, operating_costs: bool,
           time_limit: float | None, gap: float) -> tuple[HighsLP, np.ndarray, np.ndarray]:
    """HiGHS model with binaries and the expansion objective; returns it, the binary columns
    and the operating cost vector (for the fixed-set LP)."""
    hl = HighsLP(lp.m, time_limit=time_limit)
    hl.h.setOptionValue("mip_rel_gap", float(gap))
    cols = hl.col_of[lp.v["build"].labels.values].astype(np.int32)
    c_op = np.asarray(hl.h.getLp().col_cost_, dtype=float)
    c = c_op.copy() if operating_costs else np.zeros_like(c_op)
    c[cols] += tab["construction_cost"].to_numpy(float) / 3600.0  # internal unit: currency/3600
    hl.h.changeColsCost(len(c), np.arange(len(c), dtype=np.int32), c)
    hl.h.changeColsIntegrality(len(cols), cols,
                               np.full(len(cols), highspy.HighsVarType.kInteger))
    return hl, cols, c_op


def _candidate_table(lp: TransportLP, hl: HighsLP, tab: pd.DataFrame, built: np.ndarray,
                     pos: np.ndarray) -> pd.DataFrame:
    d = lp.data
    fp, fm = hl.value(lp.v["fp"])[:, pos], hl.value(lp.v["fm"])[:, pos]
    out = tab[["kind", "element", "from_junction", "to_junction", "construction_cost"]].copy()
    out["from_junction"] = d.nodes[d.br["from_node"].to_numpy(int)[pos]]
    out["to_junction"] = d.nodes[d.br["to_node"].to_numpy(int)[pos]]
    out["built"] = built
    out["capacity_forward_kg_s"] = d.fwd_hi[:, pos].max(axis=0)
    out["capacity_reverse_kg_s"] = d.rev_hi[:, pos].max(axis=0)
    out["max_forward_kg_s"] = fp.max(axis=0)
    out["max_reverse_kg_s"] = fm.max(axis=0)
    return out


def _transit_table(lp: TransportLP, hl: HighsLP, tt: pd.DataFrame, bpos: np.ndarray,
                   spos: np.ndarray) -> pd.DataFrame:
    flow = hl.value(lp.v["fp"]) - hl.value(lp.v["fm"])
    served = hl.value(lp.v["served"])
    got = np.where(bpos[None, :] >= 0, flow[:, np.clip(bpos, 0, None)],
                   served[:, np.clip(spos, 0, None)])
    idx = pd.MultiIndex.from_product([tt.columns, tt.index], names=["id", "period"])
    return pd.DataFrame({"target_kg_s": tt.to_numpy().T.ravel(), "flow_kg_s": got.T.ravel()},
                        index=idx)
