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
With the simulator's physics (GasLib nominations) stations in bypass are bypass-or-ratio
decisions, control valves regulators with their reduction band (open or active), the reader's
pressure reference is free and, for a network read with a scenario, the nominated flows stay
fixed; IPOPT starts from the simulator's state of the network as given
(docs/optimize/ogf.md, "GasLib nominations").

``result.network`` carries the optimised set-points; ``gu.simulate(result.network,
friction=..., z=...)`` reproduces the state.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from gasunion.network import Network
from gasunion.optimize._ogf_data import released_references, simulator_start
from gasunion.optimize._ogf_tables import (
    diagnosis_table,
    nomination_conflicts,
    operated_network,
    state_tables,
)
from gasunion.optimize.gasmodels import GasModelsTerms, gasmodels_terms, is_matgas
from gasunion.optimize.nlp import RE_DEPENDENT, NlpModel, SteadyData, steady_data
from gasunion.optimize.relaxed import solve_relaxation
from gasunion.optimize.result import OptimizationError, OptimizationResult

__all__ = ["DEFAULT_FORMULATION", "FORMULATIONS", "OBJECTIVES", "load_shed_nlp", "solve_nlp",
           "solve_relaxed"]

OBJECTIVES = {"gasmodels": "$/s", "ls": "kg/s", "min_power": "MW", "min_fuel": "kg/s",
              "max_delivery": "kg/s"}
#: objectives reported with the opposite sign of what is minimised (maximisations)
_MAXIMISED = ("ls", "max_delivery")
Progress = Callable[[str], None] | None
#: IPOPT defaults with the simulator's physics: variable bounds passed as bounds (iterates
#: stay inside them: no square root of a negative squared pressure) and held exactly (a
#: bypassed station at ratio 1, not 1 - 1e-8: the simulator confirms to 1e-6 bar), an
#: adaptive barrier (the flat min_power optimum of stations in bypass is degenerate for the
#: monotone rule)
SIMULATOR_IPOPT = {"detect_simple_bounds": True, "ipopt.bound_relax_factor": 0.0,
                   "ipopt.mu_strategy": "adaptive"}


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
          decide: tuple[str, ...] = (),
          free_pressures: bool | Sequence[str] | None = None,
          fixed_flows: bool | None = None) -> SteadyData:
    if fixed_flows is None:  # a nomination (GasLib scenario) fixes the flows it gives
        fixed_flows = not gm and bool(net.meta.get("scenario"))
    try:
        release = released_references(net, gm, free_pressures)
        bypass: tuple[str, ...] = ()
        if not gm:  # stations read in bypass (GasLib gives no operating state) may compress
            c = net.compressors
            on = (c["mode"] == "bypass").to_numpy() & c["in_service"].to_numpy(bool)
            bypass = tuple(map(str, c.index[on]))
            decide = tuple(dict.fromkeys([*decide, *bypass]))
        sd = steady_data(net, friction=friction, z=z, slack_flow_zero=gm, regulate_open=True,
                         release=release, decide=decide, fixed_flows=fixed_flows,
                         bypass=bypass, regulator_band=not gm, balance_released=not gm)
    except OptimizationError:
        raise
    except Exception as exc:  # setup errors of the network (same as the simulator's)
        raise OptimizationError("bad_input", f"network cannot be optimised: {exc}") from exc
    if gm:
        sd.power_max_w = np.full(len(sd.comp), np.nan)  # GasModels' own limit instead
    else:
        sd.assumptions += [
            f"free reference pressure (within junction bounds, balancing flow): {', '.join(release)}"
            if release else "no free reference pressure",
            f"{len(bypass)} station(s) read in bypass decided (bypass or ratio); "
            f"{len(sd.reg)} control valve(s) decided (open or p_out within the reduction band)",
            "nominated flows fixed" if fixed_flows else "flows with bounds dispatchable"]
        bad = nomination_conflicts(sd)
        if len(bad):
            raise OptimizationError(
                "infeasible", "nominated flows outside their elements' flow bounds: "
                + ", ".join(f"{r.component} {r.element}" for r in bad.head(5).itertuples()),
                diagnosis=bad)
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
    nm = NlpModel(sd, elastic=elastic, r_squared=gm)
    if gm:
        _gasmodels_power_limit(nm, sd.net, terms)
    return nm, _objective(nm, objective, terms)


def solve_nlp(net: Network, progress: Progress = None, friction: str | None = None,
              z: str | None = None, objective: str | None = None, physics: str | None = None,
              relaxation: bool = True, duals: bool = True,
              ipopt_options: dict[str, Any] | None = None,
              decide: tuple[str, ...] = (),
              free_pressures: bool | Sequence[str] | None = None,
              fixed_flows: bool | None = None) -> OptimizationResult:
    """OGF as an NLP (CasADi + IPOPT). Options: see the module docstring; ``relaxation``
    also solves the LRWP relaxation for the gap; ``duals`` adds ``junctions.price_per_kg``
    (the mass-balance multipliers: marginal cost of 1 kg/s more withdrawal, in objective units
    per kg/s); ``decide``: compressors in mode off that are ratio decisions too;
    ``free_pressures``: which pressure set-points are decisions (see
    :func:`~gasunion.optimize._ogf_data.released_references`);
    ``fixed_flows``: flow set-points are nominations, kept even where the element has flow
    bounds (default: for a network read with a scenario, e.g. a GasLib nomination). Raises
    :class:`OptimizationError` (``infeasible`` with a diagnosis of the
    bounds an elastic re-solve had to relax; ``solver`` with IPOPT's status)."""
    say = progress or (lambda _s: None)
    friction, z, objective, gm, notes = _settings(net, friction, z, objective, physics)
    t0 = time.perf_counter()
    say("building the steady-state arrays")
    sd = _data(net, friction, z, gm, decide, free_pressures, fixed_flows)
    terms = gasmodels_terms(net, sd.src_ids, sd.snk_ids, sd.m.branch_id[sd.comp])
    clock = {"build": 0.0, "solve": 0.0}
    ipopt_options = ({} if gm else dict(SIMULATOR_IPOPT)) | (ipopt_options or {})
    warm = None if gm else simulator_start(sd)  # the network as given, simulated
    starts: list[Any] = ([warm] if warm is not None else []) + ["fixed", "mid"]
    nm, sol = _solve_passes(sd, objective, terms, gm, ipopt_options, starts, say, clock)
    for _ in range(3):  # regulators whose reduction fell into (0, p_diff_min): open or active
        gap_k = _band_gaps(sd, nm, sol) if sol is not None and sd.band else np.zeros(0, int)
        if sol is None or not len(gap_k):
            break
        d = nm.reduction(sol)[gap_k]
        rule = sd.reg_state.copy()
        rule[gap_k] = np.where(d < 0.5 * sd.d_lo[gap_k], 1, 2)
        flip = rule.copy()
        flip[gap_k] = 3 - rule[gap_k]
        prev = [nm.state(sol)]
        for choice in (rule, flip):
            say(f"regulators {', '.join(map(str, sd.m.branch_id[sd.reg[gap_k]]))}: reduction "
                "inside (0, p_diff_min); re-solving with them open or active")
            sd.reg_state = choice
            nm, sol = _solve_passes(sd, objective, terms, gm, ipopt_options, prev + starts, say,
                                    clock)
            if sol is not None:
                break
    if sol is None:
        _fail(sd, objective, terms, gm, nm, say, warm, ipopt_options)
    solve_time, build_time = clock["solve"], clock["build"]
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


def _solve_passes(sd: SteadyData, objective: str, terms: GasModelsTerms, gm: bool,
                  options: dict[str, Any] | None, starts: list[Any], say: Callable[[str], None],
                  clock: dict[str, float]) -> tuple[NlpModel, Any]:
    """Solve (friction passes for Re-dependent laws), trying ``starts`` in turn (a state dict
    of :func:`simulator_start`, ``"fixed"`` or ``"mid"``); ``(model, None)`` if all fail."""
    passes = 1 if sd.friction not in RE_DEPENDENT else 8
    nm: NlpModel | None = None
    sol: Any = None
    for it in range(passes):
        for start in starts:
            tb = time.perf_counter()
            say(f"building the NLP ({sd.m.n_nodes} junctions, {sd.m.n_branches} branches)")
            nm, obj = _build(sd, objective, terms, gm)
            nm.start(start)
            clock["build"] += time.perf_counter() - tb
            say("solving with IPOPT" + (f" (friction pass {it + 1})" if passes > 1 else "")
                + ("" if isinstance(start, str) else " from a steady state"))
            ts = time.perf_counter()
            try:
                sol = nm.solve(obj, options)
            except RuntimeError:
                sol = None
                say(f"IPOPT failed from the {start if isinstance(start, str) else 'state'} "
                    "start")
            clock["solve"] += time.perf_counter() - ts
            if sol is not None:
                break
        assert nm is not None
        if sol is None or passes == 1:
            break
        if sd.update_lambda(np.asarray(sol.value(nm.q))[sd.ip]) < 1e-8:
            break
        starts = [nm.state(sol), *starts[-2:]]
    assert nm is not None
    return nm, sol


def _band_gaps(sd: SteadyData, nm: NlpModel, sol: Any, tol: float = 1e-6) -> np.ndarray:
    """Regulators (free to be open or active) whose reduction lies in (0, p_diff_min)."""
    d = nm.reduction(sol)
    return np.flatnonzero((sd.reg_state == 0) & (d > tol) & (d < sd.d_lo - tol))


def _fail(sd: SteadyData, objective: str, terms: GasModelsTerms, gm: bool, nm: NlpModel,
          say: Callable[[str], None], warm: dict[str, np.ndarray] | None,
          options: dict[str, Any]) -> None:
    stats = nm.opti.stats()
    status = str(stats.get("return_status", "failed"))
    say("IPOPT failed; re-solving with elastic bounds for a diagnosis")
    diag = None
    try:
        en, _ = _build(sd, objective, terms, gm, elastic=True)
        if warm is not None:
            en.warm_start(warm)
        esol = en.solve(en.slack_sum, options)
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


def _relaxed_value(sd: SteadyData, objective: str, terms: GasModelsTerms) -> float:
    out, _, _ = solve_relaxation(sd, objective, terms)
    v = float(out["objective"])
    return -v if objective in _MAXIMISED else v


def _gap(nlp: float, relax: float, objective: str) -> float:
    d = (relax - nlp) if objective in _MAXIMISED else (nlp - relax)
    return float(d / max(1.0, abs(nlp)))


def solve_relaxed(net: Network, progress: Progress = None, friction: str | None = None,
                  z: str | None = None, objective: str | None = None,
                  physics: str | None = None, compare: bool = False,
                  free_pressures: bool | Sequence[str] | None = None,
                  fixed_flows: bool | None = None, **_ignored: Any) -> OptimizationResult:
    """OGF relaxed to GasModels' LRWP (a linear program; HiGHS). The objective drops power and
    fuel terms (>= 0), so it bounds the NLP optimum; ``compare=True`` also solves the NLP and
    reports the gap. Tables carry the relaxed state (not a physical steady state)."""
    say = progress or (lambda _s: None)
    friction, z, objective, gm, notes = _settings(net, friction, z, objective, physics)
    t0 = time.perf_counter()
    say("building the linear relaxation")
    sd = _data(net, friction, z, gm, free_pressures=free_pressures, fixed_flows=fixed_flows)
    terms = gasmodels_terms(net, sd.src_ids, sd.snk_ids, sd.m.branch_id[sd.comp])
    say("solving with HiGHS")
    out, rv, _ = solve_relaxation(sd, objective, terms)
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
