"""``operate``: modes and set-points that make a nomination feasible, confirmed by simulation.

Given a network and a nomination (source and sink flows), choose compressor modes
(``ratio``/``bypass``/``off``) and ratios, valve positions, regulator modes
(``p_out``/``open``/``closed``) and outlet pressures, and the pressure of free pressure
references (entry pressures a GasLib nomination leaves open), so that the steady state breaks
no bound; among such operations, the one with the least total compressor power [MW].

Formulation ``simulator`` (the default): the prepared
:class:`~gasunion.simulation.prepared.Simulator` is in the loop (see
:mod:`._operate_search`): every candidate is a real steady state under the same physics
(``friction``, ``z``) that confirms the answer, so what is operated here simulates without
violations. The operated network is written to the tables, written to the own JSON format,
read back and simulated once more as confirmation.

Usage::

    res = gu.optimize(net, problem="operate")        # or operate(net)
    res.network                                     # the operated network
    res["decisions"]                                # mode, set-point, bounds per element
    res.summary["violations_before"], res.summary["violations_after"]
    res.write("DIR")                                # DIR/network.json, tables, summary.json
"""

from __future__ import annotations

import math
import tempfile
import time
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from gasunion.network import Network
from gasunion.optimize._operate_eval import make_progress
from gasunion.optimize._operate_search import Outcome, Search
from gasunion.optimize._operate_space import SETPOINT, DecisionSpace
from gasunion.optimize.result import OptimizationError, OptimizationResult
from gasunion.simulation.prepared import FRICTION_MODELS
from gasunion.simulation.results import SimulationError, SimulationResult

__all__ = ["DEFAULT_FORMULATION", "FORMULATIONS", "operate"]

OBJECTIVES = ("power", "feasibility")


def operate(net: Network, *, friction: str = "nikuradse", z: str = "papay",
            objective: str = "power", progress: Callable[[str], None] | None = None,
            free_pressures: bool | Sequence[str] | None = None,
            modes: dict[str, Sequence[str]] | None = None, max_simulations: int = 20000,
            simulations_per_configuration: int = 1500, round_trip: bool = True
            ) -> OptimizationResult:
    """Operate ``net`` (its nomination as given) so that its steady state breaks no bound.

    Parameters
    ----------
    friction, z: physics of the simulator (as :func:`gasunion.simulate`; the same must be
        used to confirm).
    objective: ``"power"`` (least total compressor shaft power [MW] among feasible
        operations) or ``"feasibility"`` (the first feasible operation found).
    free_pressures: which sources' ``p_set_bar`` [bar] is a decision: ``None`` (default)
        every source with both a nominated flow and a pressure set-point (the reference a
        GasLib reader chooses); ``False`` none; or a list of source ids.
    modes: allowed modes per component, e.g. ``{"compressors": ("bypass", "ratio")}``
        (default: compressors bypass/ratio/off, control valves open/p_out/closed, valves
        open/closed).
    max_simulations: budget of steady-state solves; ``simulations_per_configuration``: per
        set of modes and phase.
    round_trip: confirm by writing the operated network to JSON, reading it back and
        simulating that (else the operated network is simulated directly).

    Returns an :class:`OptimizationResult` (``problem="operate"``, ``network`` = the operated
    network). Raises :class:`OptimizationError` ``infeasible`` with a diagnosis of the bounds
    the best state found still breaks, ``bad_input`` for bad options or a network the
    simulator refuses.
    """
    say = make_progress(progress)
    if friction not in FRICTION_MODELS:
        raise OptimizationError("bad_input", f"friction must be one of "
                                f"{', '.join(FRICTION_MODELS)}, got {friction!r}")
    if objective not in OBJECTIVES:
        raise OptimizationError("bad_input", f"objective must be one of {', '.join(OBJECTIVES)}"
                                f", got {objective!r}")
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # range notes of z: the summaries keep them
        before = _simulate(net, friction, z, "the input network")
        space = DecisionSpace(net, free_pressures, modes)
        say(f"operate {net.name!r}: {len(before.violations)} violated bound(s) before; "
            f"{sum(e.component != 'sources' for e in space.elements)} operable element(s), "
            f"{sum(e.component == 'sources' for e in space.elements)} free pressure(s)")
        search = Search(space, friction, z, objective, say, max_simulations,
                        simulations_per_configuration)
        try:
            best = search.run()
        except RuntimeError as exc:
            raise OptimizationError("bad_input", f"operate: {exc}") from None
        solve_time = time.perf_counter() - t0
        if not best.feasible:
            diag = best.evaluator.violations(best.best) if best.evaluator else pd.DataFrame()
            raise OptimizationError(
                "infeasible", f"no operation found that meets every bound after "
                f"{search.counter[0]} simulations; the best state found breaks "
                f"{len(diag)} bound(s):", diag,
                hint="check the nomination against the network's capacity, or allow more "
                     "modes/simulations")
        operated = _operated(space, best)
        say(f"confirming ({search.counter[0]} simulations so far)")
        after = _confirm(operated, friction, z, round_trip)
    n_after = len(after.violations)
    power = float(after.compressors["power_mw"].where(
        after.compressors["mode"].isin(["ratio", "p_out"]), 0.0).sum()) if len(
        after.compressors) else 0.0
    # no power at all is provably the least; otherwise a local optimum over the modes
    status = "optimal" if objective == "power" and power <= 0.0 else "feasible"
    decisions = _decisions(space, best, after)
    tables = {"decisions": decisions, "violations_before": before.violations,
              **after.tables(), "violations": after.violations}
    summary: dict[str, Any] = {
        "status": status, "objective": power, "objective_unit": "MW",
        "objective_kind": "total compressor shaft power" if objective == "power"
        else "none (feasibility); total compressor shaft power reported",
        "optimality": ("global (no compressor power needed)" if status == "optimal" else
                       "local: least power over the set-points of the modes found, modes by "
                       "local search" if objective == "power" else "none requested"),
        "n_simulations": search.counter[0], "n_configurations": len(search.done),
        "build_time_s": 0.0, "solve_time_s": solve_time,
        "total_time_s": time.perf_counter() - t0,
        "violations_before": len(before.violations), "violations_after": n_after,
        "round_trip": round_trip, "friction": friction, "z": z,
        "modes": {f"{e.component}/{e.id}": m for e, m in zip(space.elements, best.config,
                                                               strict=True)
                  if e.component != "sources"},
        "assumptions": _assumptions(space, objective) + list(after.summary.get("assumptions",
                                                                                [])),
    }
    if n_after:  # the search said feasible but the confirmation disagrees: a defect
        raise OptimizationError(
            "internal", f"operate: the confirming simulation breaks {n_after} bound(s) the "
            "search found met; please report this with the network",
            after.violations.rename(columns={"id": "element", "excess": "amount"}))
    say(f"done: {status}, power {power:.4g} MW, {search.counter[0]} simulations, "
        f"{summary['total_time_s']:.2f} s")
    return OptimizationResult(problem="operate", formulation="simulator", status=status,
                              objective=power, tables=tables, summary=summary,
                              network=operated)


def _simulate(net: Network, friction: str, z: str, what: str) -> SimulationResult:
    """Simulate without raising for an infeasible steady state (a bad network is bad input)."""
    from gasunion.simulation import simulate

    try:
        return simulate(net, friction=friction, z=z, raise_on_failure=False)
    except SimulationError as exc:
        raise OptimizationError("bad_input", f"operate: {what} cannot be simulated: "
                                f"{exc.message}", exc.diagnosis) from None


def _operated(space: DecisionSpace, best: Outcome) -> Network:
    """The input network with the chosen modes and (lightly rounded) set-points."""
    values = {}
    for v, x in zip(best.variables, best.best.x, strict=True):
        digits = 8 if v.column == "ratio_set" else 6
        values[(v.component, v.id, v.column)] = round(float(x), digits)
    net = space.apply(best.config, values)
    changed = sorted({f"{comp} {eid}" for comp, eid, col in values if col == "p_set_bar"})
    note = ("operated by gasunion optimize operate (simulator formulation): modes and "
            "set-points chosen" + (f"; the pressure set-points of {', '.join(changed)} are "
                                   "decisions now (an earlier reader assumption about their "
                                   "value no longer holds)" if changed else ""))
    old = [a for a in net.meta.get("assumptions", [])
           if not any(c.split(" ", 1)[1] in a and "pressure reference" in a for c in changed)]
    net.meta["assumptions"] = [*old, note]
    return net


def _confirm(net: Network, friction: str, z: str, round_trip: bool) -> SimulationResult:
    """Simulate the operated network (after a JSON round trip if ``round_trip``)."""
    if not round_trip:
        return _simulate(net, friction, z, "the operated network")
    from gasunion.io import read, write

    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "network.json"
        write(net, path)
        back = read(path)
    return _simulate(back, friction, z, "the operated network (read back from JSON)")


def _decisions(space: DecisionSpace, best: Outcome, after: SimulationResult) -> pd.DataFrame:
    """One row per operable element: mode, set-point, its bounds, and the input's."""
    xs = {(v.component, v.id): (v.column, float(x), v.lower, v.upper)
          for v, x in zip(best.variables, best.best.x, strict=True)}
    rows = []
    for e, m in zip(space.elements, best.config, strict=True):
        col, x, lo, hi = xs.get(e.key, (None, math.nan, math.nan, math.nan))
        unit = SETPOINT[(e.component, m)][1] if (e.component, m) in SETPOINT else ""
        flow = math.nan
        if e.component != "sources" and e.id in after[e.component].index:
            flow = float(after[e.component].at[e.id, "mass_flow_kg_s"])
        elif e.component == "sources":
            flow = float(after.sources.at[e.id, "mass_flow_kg_s"])
        rows.append({"component": e.component, "element": e.id, "mode": m,
                     "setpoint_column": col or "", "setpoint": x, "unit": unit,
                     "lower": lo, "upper": hi, "initial_mode": e.initial_mode,
                     "initial_setpoint": e.initial_setpoint, "mass_flow_kg_s": flow})
    return pd.DataFrame(rows).set_index("element")


def _assumptions(space: DecisionSpace, objective: str) -> list[str]:
    out = ["operate: the nomination (source and sink flows) is kept; modes, ratios, "
           "regulator set-points, valve positions and free entry pressures are decided"]
    srcs = [e.id for e in space.elements if e.component == "sources"]
    if srcs:
        out.append("operate: pressure set-point of source(s) " + ", ".join(srcs) + " chosen "
                   "within the junction's bounds (a nominated flow with a reference pressure: "
                   "the nomination fixes the flow, the operator the pressure)")
    out.append("operate: regulator bounds p_in_min_bar, p_out_max_bar, p_diff_min_bar and "
               "p_diff_max_bar are kept (the simulator's violations table does not check them)")
    if objective == "power":
        out.append("operate: power = isentropic shaft power of compressors in mode ratio/p_out "
                   "at their efficiency; a local optimum over the modes searched")
    return out


FORMULATIONS: dict[str, Callable[..., OptimizationResult]] = {"simulator": operate}
DEFAULT_FORMULATION = "simulator"
