"""Network expansion: the cheapest set of candidate pipes and compressors (MILP, HiGHS).

Candidates come from ``candidates=`` (a dict ``{"ne_pipe": [...], "ne_compressor": [...]}``
of records in the network's units, as the matgas reader writes ``net.meta["candidates"]``)
or from ``net.meta["candidates"]``. Each record has ``id``, ``from_junction``,
``to_junction``, ``construction_cost`` and, for pipes, ``length_km``, ``diameter_mm``,
``friction_factor`` (else the roughness law), for compressors ``c_ratio_min``,
``c_ratio_max``, ``mass_flow_max_kg_s``. A binary ``z`` per candidate [-].

Objectives: ``"cost"`` (default; GasModels ``ne``): minimise ``sum cost z`` [cost units]
while every non-dispatchable sink and source keeps its flow; ``"ls"`` (GasModels ``nels``):
maximise ``sum priority * delivery`` [kg/s] with every candidate available at no cost.

Formulations:

* ``"relaxed"`` (default): the LRWP relaxation of :mod:`gasunion.optimize.relaxed` for the
  existing network; a built candidate pipe carries ``z q_min <= q <= z q_max`` with
  GasModels' flow bounds from the pressure bounds (as GasModels' LRWP, which posts no
  pressure-flow law for candidate pipes); a candidate compressor ``0 <= q <= z f_max`` and
  ``r_min^2 pi_i - M (1-z) <= pi_j <= r_max^2 pi_i + M (1-z)``.
* ``"linear"``: transport only (mass balance and flow bounds, pipes' from the pressure
  bounds; the pressures themselves are free).
* ``"nlp"``: the relaxed MILP chooses the set, then the OGF NLP (:mod:`.ogf`) on the
  network with the chosen candidates built checks it and, for ``"ls"``, gives the delivered
  load with the full physics (GasModels' WP value).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from gasunion.network import Network
from gasunion.optimize.gasmodels import gasmodels_terms
from gasunion.optimize.ogf import _data, _settings
from gasunion.optimize.ogf import solve_nlp as ogf_nlp
from gasunion.optimize.relaxed import LinearModel, add_relaxed_network
from gasunion.optimize.result import OptimizationError, OptimizationResult

__all__ = ["DEFAULT_FORMULATION", "FORMULATIONS", "with_candidates"]

Progress = Callable[[str], None] | None


def _candidates(net: Network, candidates: dict[str, list[dict[str, Any]]] | None
                ) -> dict[str, list[dict[str, Any]]]:
    cand = candidates if candidates is not None else net.meta.get("candidates", {}) or {}
    if not cand.get("ne_pipe") and not cand.get("ne_compressor"):
        raise OptimizationError("bad_input", "no expansion candidates: give candidates= or a "
                                "network with meta['candidates'] (ne_pipe / ne_compressor)")
    return cand


def with_candidates(net: Network, cand: dict[str, list[dict[str, Any]]],
                    build: set[str] | None = None) -> Network:
    """A copy of ``net`` with the candidates added as ``ne_pipe_<id>`` / ``ne_compressor_<id>``
    (all of them, or only the ids in ``build``); compressors in mode ``off`` (decided by
    ``decide=`` of the models, so that parallel units do not clash in the simulator's
    arrays)."""
    out = net.copy()
    for rec in cand.get("ne_pipe", []):
        eid = f"ne_pipe_{rec['id']}"
        if build is not None and eid not in build:
            continue
        out.add("pipes", eid, from_junction=str(rec["from_junction"]),
                to_junction=str(rec["to_junction"]), length_km=float(rec["length_km"]),
                diameter_mm=float(rec["diameter_mm"]),
                friction_factor=float(rec.get("friction_factor") or np.nan),
                p_max_bar=float(rec.get("p_max_bar") or np.nan))
    for rec in cand.get("ne_compressor", []):
        eid = f"ne_compressor_{rec['id']}"
        if build is not None and eid not in build:
            continue
        out.add("compressors", eid, from_junction=str(rec["from_junction"]),
                to_junction=str(rec["to_junction"]), mode="off", ratio_set=1.0,
                ratio_min=float(rec.get("c_ratio_min") or 1.0),
                ratio_max=float(rec.get("c_ratio_max") or 1.0), fuel_model="none",
                mass_flow_min_kg_s=0.0,
                mass_flow_max_kg_s=float(rec.get("mass_flow_max_kg_s") or np.nan),
                p_out_max_bar=float(rec.get("p_out_max_bar") or np.nan),
                p_in_min_bar=float(rec.get("p_in_min_bar") or np.nan))
    return out


def _comp_ids(cand: dict[str, list[dict[str, Any]]]) -> tuple[str, ...]:
    return tuple(f"ne_compressor_{r['id']}" for r in cand.get("ne_compressor", []))


def _costs(cand: dict[str, list[dict[str, Any]]]) -> pd.Series:
    rows = {f"{kind}_{r['id']}": float(r.get("construction_cost") or 0.0)
            for kind in ("ne_pipe", "ne_compressor") for r in cand.get(kind, [])}
    return pd.Series(rows, name="construction_cost", dtype=float)


def _milp(net: Network, cand: dict[str, list[dict[str, Any]]], objective: str,
          linear: bool, friction: str | None, z: str | None,
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
    if linear:  # transport: free the pressures (every pressure row becomes slack)
        lp.lo[0][:] = -np.inf
        lp.hi[0][:] = np.inf
    zc = lp.add_vars(len(ids), 0.0, 1.0, integer=True)
    qlo, qhi = rv.q_bounds
    qc = rv.q[br]
    r = np.arange(len(ids))
    lp.add_rows(len(ids), [(r, qc, 1.0), (r, zc, -qhi[br] / qs)], -np.inf, 0.0)
    lp.add_rows(len(ids), [(r, qc, 1.0), (r, zc, -qlo[br] / qs)], 0.0, np.inf)
    is_c = np.isin(br, sd.comp)
    if is_c.any() and not linear:
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
           objective: str | None = None, candidates: dict[str, Any] | None = None,
           friction: str | None = None, z: str | None = None,
           time_limit: float | None = None, **_ignored: Any) -> OptimizationResult:
    say = progress or (lambda _s: None)
    objective = objective or "cost"
    if objective not in ("cost", "ls"):
        raise OptimizationError("bad_input", f"expansion objective must be 'cost' or 'ls', got "
                                f"{objective!r}")
    cand = _candidates(net, candidates)
    t0 = time.perf_counter()
    say("building the expansion MILP")
    out, table, delivered = _milp(net, cand, objective, formulation == "linear", friction, z,
                                  time_limit)
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


def solve_linear(net: Network, **options: Any) -> OptimizationResult:
    """Expansion MILP with linear transport (flows and bounds only; HiGHS)."""
    return _solve(net, "linear", **options)


def solve_nlp(net: Network, **options: Any) -> OptimizationResult:
    """Relaxed MILP for the set, then the OGF NLP on the expanded network."""
    return _solve(net, "nlp", **options)


FORMULATIONS: dict[str, Callable[..., OptimizationResult]] = {
    "relaxed": solve_relaxed, "linear": solve_linear, "nlp": solve_nlp}
DEFAULT_FORMULATION = "relaxed"
