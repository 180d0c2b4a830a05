"""OGF benchmark: NLP (CasADi + IPOPT) vs the LRWP relaxation (HiGHS) on GasLib-135 and -582.

Standalone: ``python benchmarks/optimize_ogf.py``. Prints a table and writes
``benchmarks/results/optimize_ogf.json``. For each instance and objective: NLP build and
solve time [s], IPOPT iterations, relaxation build and solve time [s], both objectives and the
gap (NLP - relaxation) / max(1, |NLP|). Instances: GasModels' matgas versions of GasLib-135-F
and GasLib-582-G (tests/data/matgas/), GasModels physics (fixed lambda, Z = 1). Then the GasLib
nominations (tests/data/gaslib/, the simulator's physics nikuradse/papay, objective
``min_power``; stations and regulators are decisions): NLP time, iterations, power [MW], the
simulator's violations on the operated network and its largest pressure difference [bar].
"""

from __future__ import annotations

import json
import platform
import time
from pathlib import Path

import gasunion as gu
from gasunion.optimize import optimize

ROOT = Path(__file__).resolve().parents[1]
CASES = [("gaslib-135-F", "gasmodels"), ("gaslib-135-F", "min_power"),
         ("gaslib-582-G", "gasmodels"), ("gaslib-582-G", "min_power"),
         ("case-6", "gasmodels")]
GASLIB = [("GasLib-11", "GasLib-11/GasLib-11.net", "GasLib-11/GasLib-11.scn"),
          ("GasLib-24", "GasLib-24/GasLib-24.net", "GasLib-24/GasLib-24.scn"),
          ("GasLib-40", "GasLib-40/GasLib-40.net", "GasLib-40/GasLib-40.scn"),
          *[(f"GasLib-134 2011-11-0{d}", "GasLib-134/GasLib-134-v2.net",
             f"GasLib-134/Nominations-134/2011-11-0{d}.scn") for d in (1, 2, 3)],
          ("GasLib-135", "GasLib-135/GasLib-135.net", "GasLib-135/GasLib-135.scn")]


def run(name: str, objective: str, repeat: int = 3) -> dict[str, object]:
    net = gu.read(ROOT / "tests" / "data" / "matgas" / f"{name}.m")
    best_nlp = best_rel = None
    for _ in range(repeat):
        t0 = time.perf_counter()
        nlp = optimize(net, "ogf", objective=objective, relaxation=False, duals=False)
        t_nlp = time.perf_counter() - t0
        t0 = time.perf_counter()
        rel = optimize(net, "ogf", "relaxed", objective=objective)
        t_rel = time.perf_counter() - t0
        if best_nlp is None or t_nlp < best_nlp[0]:
            best_nlp = (t_nlp, nlp)
        if best_rel is None or t_rel < best_rel[0]:
            best_rel = (t_rel, rel)
    assert best_nlp is not None and best_rel is not None
    (t_nlp, nlp), (t_rel, rel) = best_nlp, best_rel
    gap = (nlp.objective - rel.objective) / max(1.0, abs(nlp.objective))
    confirmed: object
    try:
        assert nlp.network is not None
        sim = gu.simulate(nlp.network, z="ideal")
        confirmed = float((sim.junctions["p_bar"] - nlp["junctions"]["p_bar"]).abs().max())
    except Exception as exc:  # reported in the table, not hidden
        confirmed = f"simulator refused the operated network: {str(exc).splitlines()[0]}"
    return {"instance": name, "objective": objective,
            "junctions": len(net.junctions), "nlp_total_s": t_nlp,
            "nlp_build_s": nlp.summary["build_time_s"], "nlp_solve_s": nlp.summary["solve_time_s"],
            "ipopt_iterations": nlp.summary["iterations"], "nlp_objective": nlp.objective,
            "relaxed_total_s": t_rel, "relaxed_solve_s": rel.summary["solve_time_s"],
            "relaxed_objective": rel.objective, "gap": gap,
            "unit": nlp.summary["objective_unit"], "simulator_max_dp_bar": confirmed}


def run_gaslib(name: str, net_file: str, scn: str, repeat: int = 3) -> dict[str, object]:
    base = ROOT / "tests" / "data" / "gaslib"
    net = gu.read(base / net_file, scenario=base / scn)
    best = None
    for _ in range(repeat):
        t0 = time.perf_counter()
        res = optimize(net, "ogf", objective="min_power", relaxation=False, duals=False)
        t = time.perf_counter() - t0
        if best is None or t < best[0]:
            best = (t, res)
    assert best is not None
    t, res = best
    assert res.network is not None
    sim = gu.simulate(res.network)
    modes = res.network.compressors["mode"].value_counts().to_dict()
    cv = res.network.control_valves["mode"].value_counts().to_dict()
    return {"instance": name, "objective": "min_power", "junctions": len(net.junctions),
            "nlp_total_s": t, "nlp_solve_s": res.summary["solve_time_s"],
            "ipopt_iterations": res.summary["iterations"], "power_mw": res.objective,
            "simulator_violations": len(sim.violations),
            "simulator_max_dp_bar": float((sim.junctions["p_bar"]
                                           - res["junctions"]["p_bar"]).abs().max()),
            "compressor_modes": modes, "control_valve_modes": cv}


def main() -> None:
    gas = [run_gaslib(*c) for c in GASLIB]
    print(f"{'instance':22} {'NLP s':>7} {'(solve)':>8} {'it':>4} {'power MW':>9} {'viol':>5} "
          "sim dp [bar]  modes")
    for r in gas:
        print(f"{r['instance']:22} {r['nlp_total_s']:7.3f} {r['nlp_solve_s']:8.3f} "
              f"{r['ipopt_iterations']:4} {r['power_mw']:9.4f} {r['simulator_violations']:5} "
              f"{r['simulator_max_dp_bar']:12.1e}  {r['compressor_modes']} "
              f"{r['control_valve_modes']}")
    rows = [run(n, o) for n, o in CASES]
    head = (f"{'instance':14} {'objective':10} {'NLP s':>7} {'(solve)':>8} {'it':>4} "
            f"{'LP s':>7} {'NLP obj':>12} {'LP obj':>12} {'gap':>8}  sim dp [bar]")
    print(head)
    for r in rows:
        sim = r["simulator_max_dp_bar"]
        sim_s = f"{sim:.1e}" if isinstance(sim, float) else "n/a (see json)"
        print(f"{r['instance']:14} {r['objective']:10} {r['nlp_total_s']:7.3f} "
              f"{r['nlp_solve_s']:8.3f} {r['ipopt_iterations']:4} {r['relaxed_total_s']:7.3f} "
              f"{r['nlp_objective']:12.5g} {r['relaxed_objective']:12.5g} {r['gap']:8.2e}  {sim_s}")
    out = ROOT / "benchmarks" / "results" / "optimize_ogf.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"python": platform.python_version(),
                               "machine": platform.machine(), "rows": rows,
                               "gaslib_nominations": gas}, indent=2) + "\n")
    print(f"written {out}")


if __name__ == "__main__":
    main()
