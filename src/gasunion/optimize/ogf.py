"""Optimal gas flow (``ogf``): one steady state with the simulator's physics, optimised.

Formulations: ``"nlp"`` (default; CasADi + IPOPT over the simulator's arrays,
:mod:`gasunion.optimize.nlp`) and ``"relaxed"`` (GasModels' linear relaxation LRWP, HiGHS,
:mod:`gasunion.optimize.relaxed`). Both report ``summary["gap"]`` = (NLP - relaxation) /
max(1, |NLP|) when both are computed (``relaxation=True`` for ``nlp``, ``compare=True`` for
``relaxed``).

Objectives (``objective=``):

* ``"gasmodels"`` (default for matgas input): GasModels.jl's economic objective [$/s]
  (:mod:`gasunion.optimize.gasmodels`), minimised;
* ``"ls"``: GasModels' load shedding, maximise ``sum priority * delivery`` [kg/s];
* ``"min_power"`` (default otherwise): total compressor shaft power [MW];
* ``"min_fuel"``: total compressor fuel [kg/s];
* ``"max_delivery"``: maximise the total flow of the dispatchable sinks [kg/s].

Physics: ``friction``/``z`` as in :func:`gasunion.simulate` (default ``nikuradse``/``papay``;
matgas input: the file's fixed lambda and ``z="ideal"`` with the reader's molar mass, so
that ``R_s T = a^2``: GasModels' physics). With GasModels physics (``physics="gasmodels"``,
default for matgas input) slack junctions inject nothing, regulators are decisions and the
compressor power limit is GasModels' ``q W (r^((gamma-1)/gamma) - 1) <= power_max``.

``result.network`` carries the optimised set-points; ``gu.simulate(result.network,
friction=..., z=...)`` reproduces the state.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from gasunion.network import Network
from gasunion.optimize._ogf_tables import diagnosis_table, operated_network, state_tables
from gasunion.optimize.gasmodels import GasModelsTerms, gasmodels_terms, is_matgas
from gasunion.optimize.nlp import RE_DEPENDENT, NlpModel, SteadyData, steady_data
from gasunion.optimize.relaxed import LinearModel, add_relaxed_network
from gasunion.optimize.result import OptimizationError, OptimizationResult

__all__ = ["DEFAULT_FORMULATION", "FORMULATIONS", "OBJECTIVES", "load_shed_nlp", "solve_nlp",
           "solve_relaxed"]

OBJECTIVES = {"gasmodels": "$/s", "ls": "kg/s", "min_power": "MW", "min_fuel": "kg/s",
              "max_delivery": "kg/s"}
#: objectives reported with the opposite sign of what is minimised (maximisations)
_MAXIMISED = ("ls", "max_delivery")
Progress = Callable[[str], None] | None


def _settings(net: Network, friction: str | None, z: str | None, objective: str | None,
              physics: str | None) -> tuple[str, str, str, bool, list[str]]:
    mat = is_matgas(net)
    physics = physics or ("gasmodels" if mat else "simulator")
    if physics not in ("gasmodels", "simulator"):
        raise OptimizationError("bad_input", f"physics must be 'gasmodels' or 'simulator', got "
                                f"{physics!r}")
    objective = objective or ("gasmodels" if mat else "min_power")
    if objective not in OBJECTIVES:
        raise OptimizationError("bad_input", f"unknown objective {objective!r}; choose one of "
                                + ", ".join(OBJECTIVES))
    gm = physics == "gasmodels"
    friction = friction or "nikuradse"
    z = z or ("ideal" if gm else "papay")
    notes = []
    if gm:
        notes.append("GasModels physics: fixed lambda from the file, Z = 1 with R_s T = a^2, slack "
                     "junctions fix the pressure and inject nothing, regulators are decisions, "
                     "compressor power limit q W (r^((gamma-1)/gamma) - 1) <= power_max")
    return friction, z, objective, gm, notes


def _data(net: Network, friction: str, z: str, gm: bool,
          decide: tuple[str, ...] = ()) -> SteadyData:
    try:
        release: tuple[str, ...] = ()
        if gm:  # matgas: only slack junctions fix a pressure; others were added by the reader
            ps = pd.concat([net.sources["p_set_bar"], net.sinks["p_set_bar"]])
            release = tuple(str(i) for i in ps.index[ps.notna()]
                            if not str(i).startswith("slack_"))
        sd = steady_data(net, friction=friction, z=z, slack_flow_zero=gm, regulate_open=gm,
                         release=release, decide=decide)
    except OptimizationError:
        raise
    except Exception as exc:  # setup errors of the network (same as the simulator's)
        raise OptimizationError("bad_input", f"network cannot be optimised: {exc}") from exc
    if gm:
        sd.power_max_w = np.full(len(sd.comp), np.nan)  # GasModels' own limit instead
    return sd


def _objective(nm: NlpModel, objective: str, terms: GasModelsTerms) -> Any:
    ca, sd = nm.ca, nm.sd
    c = sd.comp
    if objective == "gasmodels":
        econ = ca.dot(ca.DM(terms.c_src), nm.fs) + ca.dot(ca.DM(terms.c_snk), nm.fk)
        power = (ca.sum1(nm.q[c] * terms.work_j_kg * (nm.r**terms.exponent - 1.0))
                 if len(c) else 0.0)
        return terms.weighting * econ + (1.0 - terms.weighting) * power
    if objective == "ls":
        return -ca.dot(ca.DM(terms.ls_weight), nm.fk)
    if objective == "min_power":
        return ca.sum1(nm.power_w) / 1e6 if len(c) else ca.MX(0)
    if objective == "min_fuel":
        return ca.sum1(nm.fuel) if nm.fuel.shape[0] else ca.MX(0)
    disp = sd.snk_hi > sd.snk_lo
    reg = ca.sum1(nm.power_w) * 1e-9 if len(c) else 0.0
    return -ca.dot(ca.DM(disp.astype(float)), nm.fk) + reg


def _gasmodels_power_limit(nm: NlpModel, net: Network, terms: GasModelsTerms) -> None:
    sd = nm.sd
    ids = sd.m.branch_id[sd.comp]
    pmax = net.compressors.loc[ids, "power_max_mw"].to_numpy(float) * 1e6
    on = np.array([terms.energy_bounded.get(str(i), False) for i in ids], bool)
    k = np.flatnonzero(on & np.isfinite(pmax))
    if len(k):
        lhs = nm.q[sd.comp[k]] * terms.work_j_kg * (nm.r[k] ** terms.exponent - 1.0)
        nm.opti.subject_to(lhs / pmax[k] <= 1)


def _build(sd: SteadyData, objective: str, terms: GasModelsTerms, gm: bool,
           elastic: bool = False) -> tuple[NlpModel, Any]:
    nm = NlpModel(sd, elastic=elastic)
    if gm:
        _gasmodels_power_limit(nm, sd.net, terms)
    return nm, _objective(nm, objective, terms)


def solve_nlp(net: Network, progress: Progress = None, friction: str | None = None,
              z: str | None = None, objective: str | None = None, physics: str | None = None,
              relaxation: bool = True, duals: bool = True,
              ipopt_options: dict[str, Any] | None = None,
              decide: tuple[str, ...] = ()) -> OptimizationResult:
    """OGF as an NLP (CasADi + IPOPT). Options: see the module docstring; ``relaxation``
    also solves the LRWP relaxation for the gap; ``duals`` adds ``junctions.price_per_kg``
    (the mass-balance multipliers: marginal cost of 1 kg/s more withdrawal, in objective units
    per kg/s); ``decide``: compressors in mode off that are ratio decisions too. Raises
    :class:`OptimizationError` (``infeasible`` with a diagnosis of the
    bounds an elastic re-solve had to relax; ``solver`` with IPOPT's status)."""
    say = progress or (lambda _s: None)
    friction, z, objective, gm, notes = _settings(net, friction, z, objective, physics)
    t0 = time.perf_counter()
    say("building the steady-state arrays")
    sd = _data(net, friction, z, gm, decide)
    terms = gasmodels_terms(net, sd.src_ids, sd.snk_ids, sd.m.branch_id[sd.comp])
    solve_time = 0.0
    build_time = 0.0
    passes = 1 if friction not in RE_DEPENDENT else 8
    sol: Any = None
    nm: NlpModel | None = None
    for it in range(passes):
        tb = time.perf_counter()
        say(f"building the NLP ({sd.m.n_nodes} junctions, {sd.m.n_branches} branches)")
        nm, obj = _build(sd, objective, terms, gm)
        build_time += time.perf_counter() - tb
        say("solving with IPOPT" + (f" (friction pass {it + 1})" if passes > 1 else ""))
        ts = time.perf_counter()
        try:
            sol = nm.solve(obj, ipopt_options)
        except RuntimeError:
            say("IPOPT failed from the set-pressure start; retrying from mid-bound pressures")
            nm, obj = _build(sd, objective, terms, gm)
            nm._initial("mid")
            try:
                sol = nm.solve(obj, ipopt_options)
            except RuntimeError as exc:
                solve_time += time.perf_counter() - ts
                _fail(nm, sd, objective, terms, gm, str(exc), say)
        solve_time += time.perf_counter() - ts
        assert sol is not None
        if passes == 1 or sd.update_lambda(np.asarray(sol.value(nm.q))[sd.ip]) < 1e-8:
            break
    assert sol is not None and nm is not None
    stats = nm.opti.stats()
    val = float(sol.value(nm.opti.f))
    pi = np.atleast_1d(sol.value(nm.pi))
    q = np.atleast_1d(sol.value(nm.q))
    ratio = np.atleast_1d(sol.value(nm.r)) if len(sd.comp) else np.zeros(0)
    power = np.atleast_1d(sol.value(nm.power_w)) if len(sd.comp) else np.zeros(0)
    fuel = np.atleast_1d(sol.value(nm.fuel)) if nm.fuel.shape[0] else np.zeros(0)
    fs = np.atleast_1d(sol.value(nm.fs)) if len(sd.src_ids) else np.zeros(0)
    fk = np.atleast_1d(sol.value(nm.fk)) if len(sd.snk_ids) else np.zeros(0)
    price = None
    if duals:
        price = _balance_duals(nm, sol)
    tables = state_tables(sd, pi, q, fs, fk, ratio, power, fuel, price)
    objective_value = -val if objective in _MAXIMISED else val
    gap = None
    relax_value = None
    if relaxation:
        say("solving the linear relaxation (HiGHS) for the gap")
        try:
            relax_value = _relaxed_value(sd, objective, terms)
            gap = _gap(objective_value, relax_value, objective)
        except OptimizationError as exc:
            notes.append(f"relaxation not solved: {exc.message}")
    summary = {
        "status": "optimal", "objective": objective_value, "objective_unit": OBJECTIVES[objective],
        "objective_name": objective, "build_time_s": build_time + (time.perf_counter() - t0
                                                                   - build_time - solve_time),
        "solve_time_s": solve_time, "gap": gap, "relaxation_objective": relax_value,
        "solver": "ipopt", "solver_message": stats.get("return_status", ""),
        "iterations": stats.get("iter_count"), "friction": friction, "z": z,
        "physics": "gasmodels" if gm else "simulator",
        "assumptions": notes + sd.assumptions + list(sd.m.assumptions),
    }
    if gm:
        summary["economic_weighting"] = terms.weighting
    return OptimizationResult("ogf", "nlp", "optimal", objective_value, tables, summary,
                              network=operated_network(sd, tables))


def _balance_duals(nm: NlpModel, sol: Any) -> np.ndarray:
    """Multipliers of the mass balance [objective unit per kg/s of extra withdrawal]."""
    lam = np.atleast_1d(sol.value(nm.opti.dual(nm.balance_constraint)))
    return -lam / nm.qs


def _fail(nm: NlpModel, sd: SteadyData, objective: str, terms: GasModelsTerms, gm: bool,
          message: str, say: Callable[[str], None]) -> None:
    stats = nm.opti.stats()
    status = str(stats.get("return_status", message))
    say("IPOPT failed; re-solving with elastic bounds for a diagnosis")
    diag = None
    try:
        en, _ = _build(sd, objective, terms, gm, elastic=True)
        esol = en.solve(en.slack_sum)
        slack = {k: (np.atleast_1d(esol.value(v)), lab, u) for k, (v, lab, u) in
                 en.slacks.items()}
        diag = diagnosis_table(slack)
    except RuntimeError:
        diag = None
    if diag is not None and len(diag):
        names = ", ".join(f"{r.component} {r.element} ({r.constraint})" for r in
                          diag.head(5).itertuples())
        raise OptimizationError(
            "infeasible", f"no steady state satisfies all bounds (IPOPT: {status}); the "
            f"closest one needs: {names}", diagnosis=diag) from None
    raise OptimizationError("solver", f"IPOPT did not solve the OGF: {status}",
                            hint="try another start or ipopt_options={'ipopt.max_iter': ...}"
                            ) from None


def _relax_cost(lp: LinearModel, rv: Any, sd: SteadyData, objective: str,
                terms: GasModelsTerms) -> None:
    qs = rv.qs  # columns are flows / qs
    if objective == "gasmodels":
        lp.set_cost(rv.fs, terms.weighting * terms.c_src * qs)
        lp.set_cost(rv.fk, terms.weighting * terms.c_snk * qs)
    elif objective == "ls":
        lp.set_cost(rv.fk, -terms.ls_weight * qs)
    elif objective == "max_delivery":
        disp = sd.snk_hi > sd.snk_lo
        lp.set_cost(rv.fk, -disp.astype(float) * qs)


def _relaxed_solve(sd: SteadyData, objective: str, terms: GasModelsTerms
                   ) -> tuple[dict[str, Any], Any, LinearModel]:
    lp = LinearModel()
    rv = add_relaxed_network(lp, sd)
    _relax_cost(lp, rv, sd, objective, terms)
    out = lp.solve()
    if out["status"] != "Optimal":
        kind = "infeasible" if "nfeasible" in out["status"] else "solver"
        raise OptimizationError(kind, f"HiGHS: {out['status']} (linear relaxation)")
    return out, rv, lp


def _relaxed_value(sd: SteadyData, objective: str, terms: GasModelsTerms) -> float:
    out, _, _ = _relaxed_solve(sd, objective, terms)
    v = float(out["objective"])
    return -v if objective in _MAXIMISED else v


def _gap(nlp: float, relax: float, objective: str) -> float:
    d = (relax - nlp) if objective in _MAXIMISED else (nlp - relax)
    return float(d / max(1.0, abs(nlp)))


def solve_relaxed(net: Network, progress: Progress = None, friction: str | None = None,
                  z: str | None = None, objective: str | None = None,
                  physics: str | None = None, compare: bool = False,
                  **_ignored: Any) -> OptimizationResult:
    """OGF relaxed to GasModels' LRWP (a linear program; HiGHS). The objective drops power and
    fuel terms (>= 0), so it bounds the NLP optimum; ``compare=True`` also solves the NLP and
    reports the gap. Tables carry the relaxed state (not a physical steady state)."""
    say = progress or (lambda _s: None)
    friction, z, objective, gm, notes = _settings(net, friction, z, objective, physics)
    t0 = time.perf_counter()
    say("building the linear relaxation")
    sd = _data(net, friction, z, gm)
    terms = gasmodels_terms(net, sd.src_ids, sd.snk_ids, sd.m.branch_id[sd.comp])
    say("solving with HiGHS")
    out, rv, _ = _relaxed_solve(sd, objective, terms)
    x = out["x"]
    value = -float(out["objective"]) if objective in _MAXIMISED else float(out["objective"])
    tables = state_tables(sd, *rv.values(x))
    gap = None
    if compare:
        say("solving the NLP for the gap")
        nlp = solve_nlp(net, progress=progress, friction=friction, z=z, objective=objective,
                        physics=physics, relaxation=False, duals=False)
        gap = _gap(nlp.objective, value, objective)
    if objective in ("min_power", "min_fuel"):
        notes.append(f"objective {objective}: the relaxation drops compressor power and fuel, "
                     "so its bound is the trivial 0")
    summary = {"status": "optimal", "objective": value, "objective_unit": OBJECTIVES[objective],
               "objective_name": objective, "build_time_s": time.perf_counter() - t0
               - out["solve_time_s"], "solve_time_s": out["solve_time_s"], "gap": gap,
               "solver": "highs", "solver_message": out["status"], "friction": friction,
               "z": z, "physics": "gasmodels" if gm else "simulator",
               "assumptions": notes + sd.assumptions}
    return OptimizationResult("ogf", "relaxed", "optimal", value, tables, summary)


def load_shed_nlp(net: Network, **options: Any) -> OptimizationResult:
    """GasModels' load shedding (``ls``) as an NLP: maximise ``sum priority * delivery``
    [kg/s] over the dispatchable deliveries with the full physics (``solve_nlp`` with
    ``objective="ls"``)."""
    options.setdefault("objective", "ls")
    return solve_nlp(net, **options)


FORMULATIONS: dict[str, Callable[..., OptimizationResult]] = {
    "nlp": solve_nlp, "relaxed": solve_relaxed}
DEFAULT_FORMULATION = "nlp"
