"""Load shedding: the most gas delivered, by priority, after an outage (linear, HiGHS).

Formulation ``"nlp"`` (:func:`shed_nlp`) is GasModels' ``ls`` with the pressure-flow physics
on one steady state (CasADi + IPOPT).

The transport network model of :mod:`gasunion.optimize.transport` without prices: maximise
``sum_t h_t sum_s w_s served[t,s]`` with ``w = 10^(L-1-rank(priority))`` (priority 1 first,
NaN last; a higher priority is strictly served first as long as no route loses over 90 % of
its gas to compressor fuel). Supplies and branch flows may drop to zero (minimum flows are
relaxed in an emergency); storages keep their inventory rules. Units: kg/s.

:func:`outage_unserved` builds the LP once and, for every single-element outage, only sets
that element's bounds to zero and re-solves (HiGHS hot start).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np
import pandas as pd

from gasunion.network import Network
from gasunion.optimize._linear_data import LinearData, linear_data, priority_weights
from gasunion.optimize._linear_model import HighsLP, TransportLP, build_lp
from gasunion.optimize._linear_tables import transport_tables
from gasunion.optimize.periods import Periods
from gasunion.optimize.result import OptimizationError, OptimizationResult

__all__ = ["DEFAULT_FORMULATION", "FORMULATIONS", "outage_unserved", "shed", "shed_nlp"]

_OUTAGE_COMPONENTS = ("pipes", "compressors", "sources", "storages")


def _progress(progress: Callable[[str], None] | None, msg: str) -> None:
    if progress is not None:
        progress(msg)


def _lp_options(options: dict[str, Any]) -> dict[str, Any]:
    keys = ("friction", "z", "pipe_capacity", "fuel_share_default", "storage_cyclic",
            "max_variables")
    bad = sorted(set(options) - set(keys) - {"time_limit"})
    if bad:
        raise OptimizationError("bad_input", "shed: unknown option(s) " + ", ".join(bad))
    return {k: options[k] for k in keys if k in options}


def _build(net: Network, periods: Periods | int | None, options: dict[str, Any]
           ) -> tuple[LinearData, TransportLP, HighsLP]:
    d = linear_data(net, periods, **_lp_options(options))
    d.src_lo = np.zeros_like(d.src_lo)          # emergency: supplies may stop
    d.fwd_lo = np.zeros_like(d.fwd_lo)          # and minimum flows are relaxed
    d.rev_lo = np.zeros_like(d.rev_lo)
    w = priority_weights(d.snk["priority"].to_numpy(float))
    lp = build_lp(d, np.broadcast_to(w, d.demand.shape), use_costs=False)
    return d, lp, HighsLP(lp.m, time_limit=options.get("time_limit"))


def _solve(hl: HighsLP) -> None:
    status = hl.run()
    if status == "Infeasible":
        raise OptimizationError("infeasible", "shed: even with every demand shed no flow meets "
                                "the storage inventory rules (end inventory unreachable); give "
                                "storage_cyclic=False or feasible inventory_end_mcm")
    if not hl.optimal:
        raise OptimizationError("solver", f"HiGHS stopped with model status {status!r}")


def _check_elements(net: Network, elements: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    out = []
    for item in elements:
        if not (isinstance(item, (tuple, list)) and len(item) == 2):
            raise OptimizationError("bad_input", f"outage {item!r}: give (component, element id)")
        comp, eid = str(item[0]), str(item[1])
        if comp not in (*_OUTAGE_COMPONENTS, "short_pipes", "resistors", "valves",
                        "control_valves", "sinks"):
            raise OptimizationError("bad_input", f"outage ({comp!r}, {eid!r}): unknown component")
        if eid not in net[comp].index:
            raise OptimizationError("bad_input", f"outage ({comp!r}, {eid!r}): no such element")
        out.append((comp, eid))
    return out


def _unserved_hours(d: LinearData, served: np.ndarray) -> np.ndarray:
    """Hours-weighted mean unserved rate per sink [kg/s]."""
    h = d.periods.hours
    return ((d.demand - served).clip(min=0.0) * h[:, None]).sum(axis=0) / h.sum()


def shed(net: Network, outages: Iterable[tuple[str, str]] = (), *,
         periods: Periods | int | None = None, progress: Callable[[str], None] | None = None,
         **options: Any) -> OptimizationResult:
    """Maximum delivery by priority with ``outages`` (``(component, element id)`` pairs) out.

    Returns tables as :func:`gasunion.optimize.transport.transport` (``sinks``: demand_kg_s,
    served_kg_s, unserved_kg_s, priority, ...) and ``summary["unserved_kg_s"]`` (total,
    hours-weighted mean over the periods) and ``summary["unserved_by_country_kg_s"]``.
    Options: ``friction``, ``z``, ``pipe_capacity``, ``fuel_share_default``,
    ``storage_cyclic``, ``time_limit``, ``max_variables`` (as for transport).
    """
    t0 = time.perf_counter()
    outs = _check_elements(net, outages)
    work = net.copy()
    for comp, eid in outs:
        work[comp].loc[eid, "in_service"] = False
    _progress(progress, f"building model ({len(outs)} element(s) out)")
    d, lp, hl = _build(work, periods, options)
    build = time.perf_counter() - t0
    _progress(progress, f"solving with HiGHS ({hl.n_variables} variables)")
    _solve(hl)
    tables = transport_tables(work, lp, hl)
    uns = _unserved_hours(d, hl.value(lp.v["served"]))
    by_c = pd.Series(uns, index=d.snk["country"].fillna("").to_numpy()).groupby(level=0).sum()
    summary = {
        "status": "optimal", "objective": float(uns.sum()), "objective_unit": "kg/s unserved",
        "build_time_s": build, "solve_time_s": hl.solve_time_s,
        "n_variables": hl.n_variables, "n_constraints": hl.n_constraints,
        "unserved_kg_s": float(uns.sum()),
        "unserved_by_country_kg_s": {str(k): float(v) for k, v in by_c.items()},
        "outages": [list(o) for o in outs],
        "assumptions": [*d.assumptions, "load shedding: maximise delivered gas weighted 10x per "
                        "priority level (priority 1 first); supplies and minimum flows may drop "
                        "to zero; no prices"],
    }
    _progress(progress, f"done: {uns.sum():.6g} kg/s unserved")
    return OptimizationResult("shed", "linear", "optimal", float(uns.sum()), tables, summary)


def outage_unserved(net: Network, elements: Iterable[tuple[str, str]] | None = None, *,
                    progress: Callable[[str], None] | None = None, **options: Any) -> pd.DataFrame:
    """Unserved demand of every single-element outage (one LP, bounds changed per outage).

    ``elements``: ``(component, id)`` pairs; default every in-service pipe, compressor, source
    and storage. Columns: component, element, name, country, unserved_kg_s (total,
    hours-weighted over ``periods=`` if given), unserved_share (of total demand) and
    ``unserved_<country>_kg_s`` per sink country. ``df.attrs["base_unserved_kg_s"]`` is the
    intact network's value.
    """
    periods = options.pop("periods", None)
    if elements is None:
        elements = [(c, str(i)) for c in _OUTAGE_COMPONENTS
                    for i in net[c].index[net[c]["in_service"].astype(bool)]]
    outs = _check_elements(net, elements)
    d, lp, hl = _build(net, periods, options)
    _progress(progress, f"built one LP ({hl.n_variables} variables); {len(outs)} outages")
    _solve(hl)
    base = _unserved_hours(d, hl.value(lp.v["served"]))
    key = pd.MultiIndex.from_arrays([d.br["component"], d.br.index])
    targets = {"sources": (["supply"], d.src.index), "storages": (["inj", "wd"], d.sto.index)}
    countries = pd.Index(sorted(set(d.snk["country"].fillna("")) - {""}))
    snk_c = countries.get_indexer(d.snk["country"].fillna(""))
    total_demand = float((d.demand * d.periods.hours[:, None]).sum() / d.periods.hours.sum())
    rows = []
    for n, (comp, eid) in enumerate(outs):
        if comp in targets:
            names, ids = targets[comp]
            col = ids.get_indexer([eid])[0]
        else:
            names, col = ["fp", "fm"], key.get_indexer([(comp, eid)])[0]
        saved = []
        if col >= 0:
            for nm in names:
                var = lp.v[nm]
                mask = np.zeros(var.labels.shape, dtype=bool)
                mask[:, col] = True
                saved.append((var, mask, np.asarray(hl.h.getLp().col_upper_)[
                    hl.col_of[var.labels.values[:, col]]]))
                hl.set_upper(var, mask, 0.0)
            _solve(hl)
            uns = _unserved_hours(d, hl.value(lp.v["served"]))
            for var, mask, up in saved:
                hl.set_upper(var, mask, up)
        else:  # not in the LP (out of service already): nothing changes
            uns = base
        per_c = np.bincount(snk_c[snk_c >= 0], weights=uns[snk_c >= 0], minlength=len(countries))
        el = net[comp].loc[eid]
        rows.append({"component": comp, "element": eid, "name": el.get("name", ""),
                     "country": el.get("country", ""), "unserved_kg_s": float(uns.sum()),
                     "unserved_share": float(uns.sum()) / total_demand if total_demand else 0.0,
                     **{f"unserved_{c}_kg_s": float(x) for c, x in zip(countries, per_c,
                                                                         strict=True)}})
        if progress is not None and (n + 1) % max(1, len(outs) // 10) == 0:
            progress(f"outage {n + 1}/{len(outs)}")
    out = pd.DataFrame(rows)
    out.attrs["base_unserved_kg_s"] = float(base.sum())
    out.attrs["solve_time_s"] = hl.solve_time_s
    return out


def shed_nlp(net: Network, outages: Iterable[tuple[str, str]] = (), *,
             progress: Callable[[str], None] | None = None, **options: Any) -> OptimizationResult:
    """Maximum delivered load by priority with the pressure-flow physics (one steady state).

    GasModels' ``ls`` objective (:func:`gasunion.optimize.ogf.load_shed_nlp`, CasADi + IPOPT):
    maximise ``sum priority x delivery`` [kg/s] over the dispatchable deliveries with the pipe
    law, compressor ratios and power limits, after taking ``outages`` (``(component, element
    id)`` pairs) out of service on a copy of ``net``. The objective is that weighted delivery
    [kg/s]; ``summary["delivered_kg_s"]`` the same, ``summary["delivered_total_kg_s"]`` the
    unweighted sum over all sinks. Options go to the OGF NLP (``friction``, ``z``,
    ``physics``, ``relaxation``, ``ipopt_options``); ``periods=`` is refused (one state).
    """
    from gasunion.optimize.ogf import load_shed_nlp

    if options.get("periods") is not None:
        raise OptimizationError("bad_input", "shed formulation 'nlp' is one steady state: "
                                "periods= needs formulation='linear'")
    options.pop("periods", None)
    outs = _check_elements(net, outages)
    work = net.copy()
    for comp, eid in outs:
        work[comp].loc[eid, "in_service"] = False
    _progress(progress, f"load shedding NLP ({len(outs)} element(s) out)")
    res = load_shed_nlp(work, progress=progress, **options)
    summary = dict(res.summary)
    summary.update({"problem": "shed", "formulation": "nlp", "delivered_kg_s": res.objective,
                    "objective_unit": "kg/s delivered (priority-weighted, GasModels ls)",
                    "delivered_total_kg_s": float(res["sinks"]["mass_flow_kg_s"].sum()),
                    "outages": [list(o) for o in outs]})
    return OptimizationResult("shed", "nlp", "optimal", res.objective, res.tables, summary,
                              network=res.network)


#: name -> solver (same signature: ``f(net, outages=(), **options)``).
FORMULATIONS: dict[str, Callable[..., OptimizationResult]] = {"linear": shed, "nlp": shed_nlp}
DEFAULT_FORMULATION = "linear"
