"""Speed and memory of gasunion, measured as a user has it.

Usage::

    python benchmarks/run.py                  # everything (~15-25 min on 2 cores)
    python benchmarks/run.py --quick          # smaller sizes, fewer repeats (~3 min)
    python benchmarks/run.py --section simulate --sizes 2000 20000
    python benchmarks/run.py --section sweep
    python benchmarks/run.py --section startup

Sections
--------
``simulate``: the whole ``gu.simulate(net, friction="stanet_nikuradse", z="aga_linear")`` call
(validation, model building, Newton solve, result tables) against ``pandapipes.pipeflow`` on
the same network with the same laws (STANET's Nikuradse friction; pandapipes' linear
compressibility with the slope of gasunion's ``aga_linear`` Z, written as a pandapipes fluid by
``gasunion.io.pandapipes.to_pandapipes(net, z="aga_linear")``). Networks: GasLib-134 and
GasLib-135 (GasLib XML files), GasLib-582 (GasModels' matgas conversion, zero-resistance loops
contracted so that pandapipes can take it) and generated meshed grids of 2,000 to 100,000
junctions (``benchmarks/generate.py``) **written to GasLib XML files and read back** with
``gu.read``, which is what is timed. The two tools are timed **interleaved** (gasunion,
pandapipes, gasunion, ...) so that machine load hits both alike; medians are reported.

``sweep``: 60 demand scenarios on the 2,000-junction grid: a loop of ``gu.simulate`` on
modified copies (what a user would write) against ``gu.sweep`` in process, in the same run; the
Dask ``LocalCluster`` figure (2 workers); the time per scenario from 2,000 to 50,000
junctions; and the peak memory of one scenario (tracemalloc).

``startup``: ``gasunion --help`` and ``gasunion demo`` (warm) wall times, best of 5.

Results are printed and written to ``benchmarks/results/latest.json`` (``--out``).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
import tracemalloc
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
try:  # a checkout need not be installed
    import gasunion as gu
except ImportError:  # pragma: no cover - depends on the environment
    sys.path.insert(0, str(ROOT / "src"))
    import gasunion as gu
sys.path.insert(0, str(HERE))

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from generate import meshed_network  # noqa: E402

LAW = {"friction": "stanet_nikuradse", "z": "aga_linear"}
DATA = ROOT / "tests" / "data"
CACHE = HERE / ".cache"
PP_TOL = 1e-7


# ------------------------------------------------------------------------------------ cases
def gaslib_case(name: str) -> gu.Network:
    g = DATA / "gaslib"
    if name == "GasLib-134":
        return gu.read(g / "GasLib-134/GasLib-134-v2.net",
                       scenario=g / "GasLib-134/Nominations-134/2011-11-01.scn")
    if name == "GasLib-135":
        return gu.read(g / "GasLib-135/GasLib-135.net", scenario=g / "GasLib-135/GasLib-135.scn")
    if name == "GasLib-582":
        from gasunion.io.pandapipes import contract_zero_resistance

        net = gu.read(DATA / "matgas" / "gaslib-582-G.m")
        net.pipes["friction_factor"] = np.nan  # friction from roughness, as pandapipes does
        return contract_zero_resistance(net)[0]
    raise KeyError(name)


def grid_file(n: int) -> Path:
    """The generated grid of ``n`` junctions as GasLib XML (written once, cached)."""
    CACHE.mkdir(exist_ok=True)
    path = CACHE / f"meshed-{n}.net"
    if not path.exists() or not path.with_suffix(".scn").exists():
        from gasunion.io.gaslib_writer import write_gaslib

        write_gaslib(meshed_network(n, seed=1), path, drop_unsupported=True)
    return path


def grid_case(n: int) -> gu.Network:
    path = grid_file(n)
    return gu.read(path, scenario=path.with_suffix(".scn"))


# ------------------------------------------------------------------------------------ timing
def _ms(xs: list[float]) -> float:
    return statistics.median(xs) * 1e3


def pandapipes_runner(net: gu.Network) -> tuple[Callable[[], None], Callable[[], np.ndarray],
                                                dict[str, Any]]:
    """(run, absolute junction pressures, options) of pandapipes on ``net``."""
    import pandapipes as pp

    from gasunion.io.pandapipes import ambient_pressure_bar, to_pandapipes

    ppn = to_pandapipes(net, z=LAW["z"])
    opts: dict[str, Any] = {"friction_model": "nikuradse", "tol_p": PP_TOL, "tol_m": PP_TOL,
                            "max_iter_hyd": 30, "mode": "hydraulics"}

    def pabs() -> np.ndarray:
        return (ppn.res_junction["p_bar"].to_numpy(float)
                + np.asarray(ambient_pressure_bar(ppn.junction["height_m"].to_numpy(float))))

    def works(o: dict[str, Any]) -> bool:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                pp.pipeflow(ppn, **o)
        except Exception:  # PipeflowNotConverged and friends
            return False
        return bool(ppn.converged) and float(np.nanmin(pabs())) > 0

    if not works(opts):  # pandapipes' adaptive damping where plain Newton fails
        opts.update(nonlinear_method="automatic", max_iter_hyd=100)
        if not works(opts):
            raise RuntimeError("pandapipes did not converge")

    def run() -> None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            pp.pipeflow(ppn, **opts)

    it = (ppn.get("_internal_results", {}) or {}).get("iterations_hydraulics")
    return run, pabs, {**opts, "iterations": int(it) if it is not None else None,
                       "names": ppn.junction["name"].astype(str).to_numpy()}


def bench_simulate(name: str, loader: Callable[[], gu.Network], repeats: int) -> dict[str, Any]:
    t0 = time.perf_counter()
    net = loader()
    read_s = time.perf_counter() - t0
    res = gu.simulate(net, **LAW)  # warm-up, and the solution to compare
    out: dict[str, Any] = {"case": name, "junctions": len(net.junctions),
                           "branches": sum(len(net[c]) for c in ("pipes", "short_pipes",
                                           "valves", "resistors", "control_valves",
                                           "compressors")),
                           "read_s": read_s, "iterations": res.summary["iterations"],
                           "factorizations": res.summary["factorizations"]}
    try:
        pp_run, pp_p, pp_opts = pandapipes_runner(net)
    except Exception as exc:  # pandapipes missing or unable: gasunion alone
        pp_run, out["pandapipes"] = None, f"n/a ({type(exc).__name__}: {exc})"
    t_gu: list[float] = []
    t_solve: list[float] = []
    t_pp: list[float] = []
    for _ in range(repeats):  # interleaved
        t = time.perf_counter()
        r = gu.simulate(net, **LAW)
        t_gu.append(time.perf_counter() - t)
        t_solve.append(r.summary["solve_time_s"])
        if pp_run is not None:
            t = time.perf_counter()
            pp_run()
            t_pp.append(time.perf_counter() - t)
    out.update(gasunion_ms=_ms(t_gu), solve_ms=_ms(t_solve), repeats=repeats)
    if pp_run is not None:
        p = pd.Series(pp_p(), index=pp_opts.pop("names"))
        dp = (p - res.junctions["p_bar"].reindex(p.index)).abs()
        out.update(pandapipes_ms=_ms(t_pp), pandapipes_iterations=pp_opts.get("iterations"),
                   pandapipes_method=pp_opts.get("nonlinear_method", "constant"),
                   speedup=_ms(t_pp) / _ms(t_gu), max_abs_dp_bar=float(np.nanmax(dp)))
    return out


# ------------------------------------------------------------------------------------ sweeps
def demand_scenarios(net: gu.Network, n: int, seed: int = 0) -> pd.DataFrame:
    """Demand levels 80-105 % of the nominal with +-5 % per exit (uniform, seeded)."""
    rng = np.random.default_rng(seed)
    sinks = net.sinks.index
    base = net.sinks["mass_flow_kg_s"].to_numpy(float)
    vals = base * rng.uniform(0.8, 1.05, size=(n, 1)) * rng.uniform(0.95, 1.05,
                                                                     size=(n, len(sinks)))
    cols = pd.MultiIndex.from_tuples([("sinks", s, "mass_flow_kg_s") for s in sinks])
    return pd.DataFrame(vals, index=[f"s{i:03d}" for i in range(n)], columns=cols)


def loop_of_simulate(net: gu.Network, ch: pd.DataFrame) -> np.ndarray:
    """What a user writes without sweeps: copy, set the demands, simulate."""
    ids = [e for _, e, _ in ch.columns]
    out = []
    for _, row in ch.iterrows():
        n2 = net.copy()
        n2.sinks.loc[ids, "mass_flow_kg_s"] = row.to_numpy(float)
        out.append(gu.simulate(n2, **LAW).junctions["p_bar"].to_numpy())
    return np.array(out)


def bench_sweep(quick: bool) -> dict[str, Any]:
    from gasunion.simulation.prepared import Simulator
    from gasunion.simulation.sweep import sweep

    out: dict[str, Any] = {}
    net = grid_case(2000)
    ch = demand_scenarios(net, 60)
    sweep(net, ch.iloc[:2], **LAW)  # warm-up (imports, caches)
    t = time.perf_counter()
    p_loop = loop_of_simulate(net, ch)
    t_loop = time.perf_counter() - t
    t = time.perf_counter()
    res = sweep(net, ch, **LAW)
    t_sweep = time.perf_counter() - t
    rel = float(np.nanmax(np.abs(res.junctions.to_numpy() - p_loop) / p_loop))
    out["2000"] = {"scenarios": len(ch), "loop_s": t_loop, "sweep_s": t_sweep,
                   "throughput_ratio": t_loop / t_sweep,
                   "loop_ms_per_scenario": 1e3 * t_loop / len(ch),
                   "sweep_ms_per_scenario": 1e3 * t_sweep / len(ch),
                   "mean_iterations": float(res.summary["iterations"].mean()),
                   "max_rel_dp_vs_loop": rel, "all_ok": bool(res.summary["ok"].all())}
    try:
        from dask.distributed import Client, LocalCluster

        with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                          dashboard_address=None) as cluster, Client(cluster) as client:
            sweep(net, ch.iloc[:4], client=client, **LAW)  # workers import gasunion
            t = time.perf_counter()
            rd = sweep(net, ch, client=client, **LAW)
            t_dask = time.perf_counter() - t
        out["2000"]["dask_local_2_workers_s"] = t_dask
        out["2000"]["dask_ms_per_scenario"] = 1e3 * t_dask / len(ch)
        out["2000"]["dask_max_rel_dp"] = float(np.nanmax(np.abs(rd.junctions.to_numpy()
                                                                - p_loop) / p_loop))
    except ImportError as exc:
        out["2000"]["dask"] = f"n/a ({exc})"
    # growth with size, and memory per scenario
    sizes = (2000, 5000) if quick else (2000, 5000, 20000, 50000)
    growth = {}
    for n in sizes:
        g = grid_case(n)
        k = 10 if n <= 5000 else 5
        chg = demand_scenarios(g, k + 1, seed=1)
        sim = Simulator(g, **LAW)
        sim.solve()
        t = time.perf_counter()
        for i in range(k):
            row = chg.iloc[i]
            sim.solve({key: v for key, v in row.items()})
        per = (time.perf_counter() - t) / k
        tracemalloc.start()
        sim.solve({key: v for key, v in chg.iloc[k].items()})
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        growth[str(n)] = {"ms_per_scenario": per * 1e3, "peak_mb_per_scenario": peak / 2**20}
    out["growth"] = growth
    return out


# ------------------------------------------------------------------------------------ start-up
def bench_startup() -> dict[str, Any]:
    def best(cmd: list[str], n: int = 5) -> float:
        ts = []
        for _ in range(n):
            t = time.perf_counter()
            subprocess.run(cmd, check=True, capture_output=True)
            ts.append(time.perf_counter() - t)
        return min(ts)

    exe = [shutil.which("gasunion") or "gasunion"]
    return {"help_s": best([*exe, "--help"]), "demo_warm_s": best([*exe, "demo"], 3)}


# ------------------------------------------------------------------------------------ main
def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="smaller sizes, fewer repeats")
    ap.add_argument("--section", action="append", choices=["simulate", "sweep", "startup"])
    ap.add_argument("--sizes", type=int, nargs="*", help="generated grid sizes (junctions)")
    ap.add_argument("--out", type=Path, default=HERE / "results" / "latest.json")
    args = ap.parse_args(argv)
    sections = args.section or ["simulate", "sweep", "startup"]
    sizes = args.sizes or ([2000, 5000] if args.quick else [2000, 5000, 20000, 50000, 100000])
    record: dict[str, Any] = {
        "when": time.strftime("%Y-%m-%d %H:%M:%S"), "command": " ".join(sys.argv),
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count(),
                    "platform": platform.platform(), "load_before": os.getloadavg()},
        "versions": _versions(), "law": LAW,
    }
    if "simulate" in sections:
        rows = []
        cases: list[tuple[str, Callable[[], gu.Network]]] = [
            (c, lambda c=c: gaslib_case(c)) for c in ("GasLib-134", "GasLib-135", "GasLib-582")]
        cases += [(f"meshed-{n} (XML)", lambda n=n: grid_case(n)) for n in sizes]
        cases += [(f"meshed-{n} (generated)", lambda n=n: meshed_network(n, seed=1))
                  for n in sizes if n <= 20000]
        for name, loader in cases:
            n_j = int(name.split("-")[1].split(" ")[0]) if name.startswith("meshed") else 0
            reps = 3 if n_j >= 50000 else (5 if n_j >= 20000 or args.quick else 11)
            row = bench_simulate(name, loader, reps)
            rows.append(row)
            print(_fmt_row(row), flush=True)
        record["simulate"] = rows
    if "sweep" in sections:
        record["sweep"] = bench_sweep(args.quick)
        print(json.dumps(record["sweep"], indent=1), flush=True)
    if "startup" in sections:
        record["startup"] = bench_startup()
        print(json.dumps(record["startup"]), flush=True)
    record["machine"]["load_after"] = os.getloadavg()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(record, indent=1, default=str))
    print(f"wrote {args.out}")


def _fmt_row(r: dict[str, Any]) -> str:
    pp = (f"pandapipes {r['pandapipes_ms']:.1f} ms ({r['pandapipes_iterations']} it, "
          f"{r['pandapipes_method']}) speed-up {r['speedup']:.1f}x, max|dp| "
          f"{r['max_abs_dp_bar']:.1e} bar" if "pandapipes_ms" in r else r.get("pandapipes", ""))
    return (f"{r['case']:<22} {r['junctions']:>7} j  gasunion {r['gasunion_ms']:.1f} ms "
            f"(solve {r['solve_ms']:.1f}, {r['iterations']} it)  {pp}")


def _versions() -> dict[str, str]:
    out = {}
    for mod in ("gasunion", "numpy", "scipy", "pandas", "pandapipes", "dask"):
        try:
            out[mod] = __import__(mod).__version__
        except Exception:  # not installed
            out[mod] = "n/a"
    return out


if __name__ == "__main__":
    main()
