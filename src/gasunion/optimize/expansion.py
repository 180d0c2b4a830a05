"""Network expansion: the cheapest set of candidate pipes, compressors and reverse-flow
upgrades (MILP, HiGHS).

Candidates: ``candidates=`` a DataFrame, one row per candidate (columns ``kind`` in
``pipe`` / ``compressor`` / ``reverse``, ``from_junction``, ``to_junction``, ``diameter_mm``,
``length_km``, ``mass_flow_max_kg_s``, ``mass_flow_min_kg_s``, ``element`` (reverse: the
existing branch), ``construction_cost``; see :mod:`._expansion_candidates`), merged with the
matgas candidates of ``net.meta["candidates"]`` (rows ``ne_pipe_<id>``, ``ne_compressor_<id>``);
or a matgas-style dict ``{"ne_pipe": [...], "ne_compressor": [...]}`` instead of them. A binary
per candidate [-].

Formulations:

* ``"linear"``: the multi-period transport LP of :mod:`.transport` (periods, storage,
  per-direction capacities, profiles, priorities) plus the build binaries and a target:
  ``serve="all"`` (every sink in full, every period), a priority number (the sinks of that
  priority or higher) or None, and ``transit=`` (minimum flow per period across branches or
  into sinks, kg/s). See :mod:`._expansion_linear`. Options ``periods=``,
  ``operating_costs=``, ``friction=``, ``z=``, ``pipe_capacity=``, ``storage_cyclic=``,
  ``fuel_share_default=``, ``flow_cost_per_kg=``, ``time_limit=``, ``mip_rel_gap=``.
* ``"relaxed"`` (default; one steady state): the LRWP relaxation of
  :mod:`gasunion.optimize.relaxed` for the existing network; a built candidate pipe carries
  ``z q_min <= q <= z q_max`` with GasModels' flow bounds from the pressure bounds (as
  GasModels' LRWP, which posts no pressure-flow law for candidate pipes); a candidate
  compressor ``0 <= q <= z f_max`` and ``r_min^2 pi_i - M (1-z) <= pi_j <= r_max^2 pi_i +
  M (1-z)``. Reverse upgrades are not offered here.
* ``"nlp"``: the relaxed MILP chooses the set, then the OGF NLP (:mod:`.ogf`) on the
  network with the chosen candidates built checks it and, for ``"ls"``, gives the delivered
  load with the full physics (GasModels' WP value).

Objectives of ``relaxed`` / ``nlp``: ``"cost"`` (default; GasModels ``ne``): minimise
``sum cost z`` [cost units] while every non-dispatchable sink and source keeps its flow;
``"ls"`` (GasModels ``nels``): maximise ``sum priority * delivery`` [kg/s] with every candidate
available at no cost.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from gasunion.network import Network
from gasunion.optimize._expansion_candidates import candidate_table, to_records
from gasunion.optimize._expansion_linear import solve_linear_expansion
from gasunion.optimize.gasmodels import gasmodels_terms
from gasunion.optimize.ogf import _data, _settings
from gasunion.optimize.ogf import solve_nlp as ogf_nlp
from gasunion.optimize.relaxed import LinearModel, add_relaxed_network
from gasunion.optimize.result import OptimizationError, OptimizationResult

__all__ = ["DEFAULT_FORMULATION", "FORMULATIONS", "with_candidates"]

Progress = Callable[[str], None] | None


def _eid(kind: str, rec: dict[str, Any]) -> str:
    return str(rec.get("element_id") or f"{kind}_{rec['id']}")


def _num(rec: dict[str, Any], key: str, default: float = np.nan) -> float:
    x = rec.get(key)
    return default if x is None or (isinstance(x, float) and np.isnan(x)) else float(x)


def with_candidates(net: Network, cand: dict[str, list[dict[str, Any]]],
                    build: set[str] | None = None) -> Network:
    """A copy of ``net`` with the candidates added as ``ne_pipe_<id>`` / ``ne_compressor_<id>``
    (all of them, or only the ids in ``build``); compressors in mode ``off`` (decided by
    ``decide=`` of the models, so that parallel units do not clash in the simulator's
    arrays)."""
    out = net.copy()
    for rec in cand.get("ne_pipe", []):
        eid = _eid("ne_pipe", rec)
        if build is not None and eid not in build:
            continue
        out.add("pipes", eid, from_junction=str(rec["from_junction"]),
                to_junction=str(rec["to_junction"]), length_km=float(rec["length_km"]),
                diameter_mm=float(rec["diameter_mm"]),
                friction_factor=_num(rec, "friction_factor"), p_max_bar=_num(rec, "p_max_bar"),
                mass_flow_min_kg_s=_num(rec, "mass_flow_min_kg_s"),
                mass_flow_max_kg_s=_num(rec, "mass_flow_max_kg_s"))
    for rec in cand.get("ne_compressor", []):
        eid = _eid("ne_compressor", rec)
        if build is not None and eid not in build:
            continue
        out.add("compressors", eid, from_junction=str(rec["from_junction"]),
                to_junction=str(rec["to_junction"]), mode="off", ratio_set=1.0,
                ratio_min=_num(rec, "c_ratio_min", 1.0), ratio_max=_num(rec, "c_ratio_max", 1.0),
                fuel_model="none", mass_flow_min_kg_s=0.0,
                mass_flow_max_kg_s=_num(rec, "mass_flow_max_kg_s"),
                p_out_max_bar=_num(rec, "p_out_max_bar"), p_in_min_bar=_num(rec, "p_in_min_bar"))
    return out


def _comp_ids(cand: dict[str, list[dict[str, Any]]]) -> tuple[str, ...]:
    return tuple(_eid("ne_compressor", r) for r in cand.get("ne_compressor", []))


def _costs(cand: dict[str, list[dict[str, Any]]]) -> pd.Series:
    rows = {_eid(kind, r): _num(r, "construction_cost", 0.0)
            for kind in ("ne_pipe", "ne_compressor") for r in cand.get(kind, [])}
    return pd.Series(rows, name="construction_cost", dtype=float)


def _milp(net: Network, cand: dict[str, list[dict[str, Any]]], objective: str,
          friction: str | None, z: str | None,
          time_limit: float | None) -> tuple[dict[str, Any], pd.DataFrame, float]:
    full = with_candidates(net, cand)
    fr, zz, _, gm, _ = _settings(full, friction, z, None, None)
    sd = _data(full, fr, zz, gm, _comp_ids(cand))
    m = sd.m
    costs = _costs(cand)
    ids = costs.index.to_numpy()
    pos = pd.Index(m.branch_id.astype(str))
    br = np.array([pos.get_loc(i) for i in ids])
    lp = LinearModel()
    rv = add_relaxed_network(lp, sd, skip=br)
    qs, ps = rv.qs, rv.ps
    zc = lp.add_vars(len(ids), 0.0, 1.0, integer=True)
    qlo, qhi = rv.q_bounds
    qc = rv.q[br]
    r = np.arange(len(ids))
    lp.add_rows(len(ids), [(r, qc, 1.0), (r, zc, -qhi[br] / qs)], -np.inf, 0.0)
    lp.add_rows(len(ids), [(r, qc, 1.0), (r, zc, -qlo[br] / qs)], 0.0, np.inf)
    is_c = np.isin(br, sd.comp)
    if is_c.any():
        k = np.flatnonzero(is_c)
        cpos = np.searchsorted(sd.comp, br[k])
        big = float(np.nanmax(sd.pi_hi[np.isfinite(sd.pi_hi)])) / ps * float(sd.r_hi.max()) ** 2
        rr = np.arange(len(k))
        fr_, to_ = m.fr[br[k]], m.to[br[k]]
        lp.add_rows(len(k), [(rr, rv.pi[to_], 1.0), (rr, rv.pi[fr_], -sd.r_hi[cpos] ** 2),
                             (rr, zc[k], big)], -np.inf, big)
        lp.add_rows(len(k), [(rr, rv.pi[to_], 1.0), (rr, rv.pi[fr_], -sd.r_lo[cpos] ** 2),
                             (rr, zc[k], -big)], -big, np.inf)
    if objective == "cost":
        lp.set_cost(zc, costs.to_numpy())
    else:
        terms = gasmodels_terms(full, sd.src_ids, sd.snk_ids)
        lp.set_cost(rv.fk, -terms.ls_weight * qs)
        lp.set_cost(zc, -1e-7 * np.ones(len(ids)))  # ties: build (free in ``ls``)
    out = lp.solve(time_limit=time_limit)
    if out["status"] not in ("Optimal", "Time limit reached") or out["x"] is None:
        kind = "infeasible" if "nfeasible" in out["status"] else "solver"
        raise OptimizationError(kind, f"HiGHS: {out['status']} (expansion MILP)")
    x = out["x"]
    built = np.round(x[zc]).astype(bool)
    table = pd.DataFrame({"kind": np.where(is_c, "compressor", "pipe"),
                          "construction_cost": costs.to_numpy(), "built": built,
                          "mass_flow_kg_s": x[qc] * qs}, index=pd.Index(ids, name="id"))
    delivered = float(np.dot(gasmodels_terms(full, sd.src_ids, sd.snk_ids).ls_weight,
                             x[rv.fk] * qs))
    return out, table, delivered


def _solve(net: Network, formulation: str, progress: Progress = None,
           objective: str | None = None, candidates: Any = None,
           friction: str | None = None, z: str | None = None,
           time_limit: float | None = None, periods: Any = None,
           **_ignored: Any) -> OptimizationResult:
    say = progress or (lambda _s: None)
    objective = objective or "cost"
    if objective not in ("cost", "ls"):
        raise OptimizationError("bad_input", f"expansion objective must be 'cost' or 'ls', got "
                                f"{objective!r}")
    if periods is not None:
        raise OptimizationError("bad_input", f"formulation {formulation!r} is one steady state: "
                                "periods= needs formulation='linear'")
    cand = to_records(candidate_table(net, candidates, formulation=formulation))
    t0 = time.perf_counter()
    say("building the expansion MILP")
    out, table, delivered = _milp(net, cand, objective, friction, z, time_limit)
    cost = float(table.loc[table["built"], "construction_cost"].sum())
    value = cost if objective == "cost" else delivered
    unit = "cost units" if objective == "cost" else "kg/s"
    summary: dict[str, Any] = {
        "status": "optimal", "objective": value, "objective_unit": unit,
        "objective_name": objective, "build_time_s": time.perf_counter() - t0
        - out["solve_time_s"], "solve_time_s": out["solve_time_s"], "gap": out["mip_gap"],
        "solver": "highs", "solver_message": out["status"], "built": list(
            table.index[table["built"]]), "construction_cost": cost,
        "assumptions": ["one steady state (one period)",
                        "candidate pipes: flow bounds from the pressure bounds only (GasModels' "
                        "LRWP posts no pressure-flow law for candidates)"]}
    tables = {"candidates": table}
    network = None
    if formulation == "nlp":
        say("checking the chosen set with the OGF NLP")
        built = with_candidates(net, cand, set(table.index[table["built"]]))
        res = ogf_nlp(built, progress=progress, friction=friction, z=z,
                        objective="ls" if objective == "ls" else None, relaxation=False,
                        decide=_comp_ids(cand))
        summary["nlp_objective"] = res.objective
        summary["relaxed_objective"] = value
        if objective == "ls":
            summary["gap"] = (value - res.objective) / max(1.0, abs(res.objective))
            value = res.objective
            summary["objective"] = value
        tables.update(res.tables)
        network = res.network
    return OptimizationResult("expansion", formulation, "optimal", value, tables, summary,
                              network=network)


def solve_relaxed(net: Network, **options: Any) -> OptimizationResult:
    """Expansion MILP with the LRWP relaxation of the pressure-flow physics (HiGHS)."""
    return _solve(net, "relaxed", **options)


def solve_linear(net: Network, *, candidates: Any = None, objective: str | None = None,
                 **options: Any) -> OptimizationResult:
    """Expansion MILP over the periods with the linear transport model (HiGHS); see
    :mod:`gasunion.optimize._expansion_linear` for ``serve=``, ``transit=``, ``periods=`` and
    the other options."""
    if objective not in (None, "cost"):
        raise OptimizationError("bad_input", "formulation 'linear' minimises the construction "
                                "cost (objective 'cost'); use serve= / transit= for the target, "
                                "or formulation 'relaxed' / 'nlp' for objective 'ls'")
    return solve_linear_expansion(net, candidate_table(net, candidates), **options)


def solve_nlp(net: Network, **options: Any) -> OptimizationResult:
    """Relaxed MILP for the set, then the OGF NLP on the expanded network."""
    return _solve(net, "nlp", **options)


FORMULATIONS: dict[str, Callable[..., OptimizationResult]] = {
    "relaxed": solve_relaxed, "linear": solve_linear, "nlp": solve_nlp}
DEFAULT_FORMULATION = "relaxed"
