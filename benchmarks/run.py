"""Steady-state solve benchmarks: gasunion vs pandapipes vs one sparse LU.

Usage::

    python benchmarks/run.py [--quick] [--out benchmarks/results/latest.json]
    python benchmarks/run.py --profile meshed-5000      # cProfile of gasunion on one case

For every case (GasLib-134 with its 2011-11-01 nomination, GasLib-135 with its ``.scn``,
GasLib-582 built from GasModels' ``gaslib-582-G.m`` and two generated meshed grids of 2,000 and
5,000 junctions, see ``benchmarks/generate.py``) it measures, in one process on this machine:

* gasunion: wall time of ``simulate(net, friction="stanet_nikuradse", z="ideal")`` (the
  Nikuradse law pandapipes uses, so both solve the same equations; median of the
  repeats, after one warm-up call), ``summary["solve_time_s"]`` (Newton loop alone),
  ``summary["lu_time_s"]`` and the iteration count (Picard start-up steps included: each
  iteration factorises once);
* one ``scipy.sparse.linalg.splu`` of the final (scaled) full Newton Jacobian
  (``Kernel.full_jacobian``) with SciPy's default options (median of many), and
  ``ratio = solve_time / (iterations x splu)``; also the factorisation gasunion actually does
  (``Kernel.factorize`` of the reduced matrix ``Kernel.J``, pipe flows eliminated);
* pandapipes: wall time of ``pandapipes.pipeflow`` (median) on ``to_pandapipes(net)`` with
  ``friction_model="nikuradse"``, ``tol_p = tol_m = 1e-7`` (gasunion keeps its default
  ``tol = 1e-10`` on scaled residuals) and a constant-property fluid with Z = 1 (= gasunion's
  ``z="ideal"``); if pandapipes' plain Newton (``nonlinear_method="constant"``) does not
  converge or returns negative pressures, its own adaptive damping
  (``nonlinear_method="automatic"``) is used and recorded;
* the largest difference of the junction pressures of the two solutions (absolute bar);
* memory per solve: ``tracemalloc`` peak (Python and NumPy allocations) and the increase of the
  peak resident set size (``/proc/self/status`` VmHWM after resetting it through
  ``/proc/self/clear_refs``; SuperLU's C allocations are only seen there).

Results are printed as a table and written as JSON. Nothing here changes the environment (BLAS
threads etc. stay as they are); the JSON records what it was.
"""

from __future__ import annotations

import argparse
import gc
import importlib.util
import json
import math
import os
import platform
import resource
import statistics
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
    import gasunion
except ImportError:  # pragma: no cover - depends on the environment
    sys.path.insert(0, str(ROOT / "src"))
    import gasunion
sys.path.insert(0, str(HERE))

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import scipy  # noqa: E402
import scipy.sparse as sp  # noqa: E402
import scipy.sparse.linalg as spla  # noqa: E402

from gasunion.network import Network  # noqa: E402
from gasunion.simulation import simulate  # noqa: E402
from generate import meshed_network  # noqa: E402

SIM = {"friction": "stanet_nikuradse", "z": "ideal"}  # the law pandapipes uses; default tol (1e-10)
PP_TOL = 1e-7
DATA_DIRS = (ROOT / "tests" / "data", ROOT.parent / "shared" / "gaslib")
TARGET_SPEEDUP = 10.0
TARGET_LU_RATIO = 3.0
_FOUND: list[Path] = []  # data files used by the case being loaded


# ------------------------------------------------------------------------------------ data
def find_data(name: str) -> Path:
    """First file called ``name`` below tests/data, then the read-only originals in shared/."""
    for d in DATA_DIRS:
        if d.is_dir():
            hits = sorted(d.rglob(name))
            if hits:
                _FOUND.append(hits[0])
                return hits[0]
    raise FileNotFoundError(f"{name} not found under {', '.join(map(str, DATA_DIRS))}")


def load_gaslib_134() -> Network:
    from gasunion.io.gaslib import read_gaslib

    return read_gaslib(find_data("GasLib-134-v2.net"), scenario=find_data("2011-11-01.scn"))


def load_gaslib_135() -> Network:
    from gasunion.io.gaslib import read_gaslib

    return read_gaslib(find_data("GasLib-135.net"), scenario=find_data("GasLib-135.scn"),
                       compressor_stations=find_data("GasLib-135.cs"))


def load_gaslib_582_raw() -> Network:
    from gasunion.io.matgas import read_matgas

    return read_matgas(find_data("gaslib-582-G.m"))


def contract_zero_resistance(net: Network) -> tuple[Network, dict[str, Any]]:
    """Merge junctions joined by zero-resistance elements; keep pipes, sources and sinks.

    Short pipes, open valves, open control valves and compressors in bypass or at ratio 1 force
    equal pressures at their ends, so their junctions are one node (the one earliest in the
    junction table stays). Pipes whose ends fall into one node carry no flow and are dropped;
    closed valves and compressors that are off are dropped. Pipes get Nikuradse friction from
    their roughness (a fixed ``friction_factor`` is removed). Elements that do something else
    (regulating control valves, compressors with a ratio != 1, resistors) are kept unchanged.
    """
    j = net.junctions
    ids = list(j.index)
    order = {jid: k for k, jid in enumerate(ids)}
    parent = {jid: jid for jid in ids}

    def find(a: str) -> str:
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    def union(a: str, b: str) -> None:
        ra, rb = find(a), find(b)
        if ra != rb:
            if order[ra] > order[rb]:
                ra, rb = rb, ra
            parent[rb] = ra

    contracted: dict[str, int] = {}
    dropped: dict[str, int] = {}
    keep: dict[str, pd.DataFrame] = {}
    for comp in ("short_pipes", "valves", "control_valves", "compressors", "resistors"):
        df = net[comp]
        if not len(df):
            continue
        ins = df["in_service"].to_numpy(bool)
        if comp == "short_pipes":
            equal = ins
            off = ~ins
        elif comp == "valves":
            equal = ins & df["open"].to_numpy(bool)
            off = ~equal
        elif comp == "control_valves":
            equal = ins & (df["mode"] == "open").to_numpy()
            off = ~ins | (df["mode"] == "closed").to_numpy()
        elif comp == "compressors":
            mode = df["mode"].to_numpy(str)
            equal = ins & ((mode == "bypass") | ((mode == "ratio")
                                                 & (df["ratio_set"].to_numpy(float) == 1.0)))
            off = ~ins | (mode == "off")
        else:
            equal = np.zeros(len(df), bool)
            off = ~ins
        for a, b in zip(df["from_junction"][equal], df["to_junction"][equal], strict=True):
            union(str(a), str(b))
        contracted[comp] = int(equal.sum())
        dropped[comp] = int(off.sum())
        rest = df[~equal & ~off]
        if len(rest):
            keep[comp] = rest
    rep = {jid: find(jid) for jid in ids}
    out = Network(name=f"{net.name}-contracted", gas=net.gas,
                  meta={"derived_from": net.name, "assumptions": list(
                      net.meta.get("assumptions", []))})
    reps = [jid for jid in ids if rep[jid] == jid]
    out.add_table("junctions", j.loc[reps])
    pipes = net.pipes.copy()
    pipes["from_junction"] = pipes["from_junction"].astype(str).map(rep)
    pipes["to_junction"] = pipes["to_junction"].astype(str).map(rep)
    internal = pipes["from_junction"] == pipes["to_junction"]
    pipes = pipes[~internal]
    pipes["friction_factor"] = np.nan
    out.add_table("pipes", pipes)
    for comp, df in keep.items():
        df = df.copy()
        df["from_junction"] = df["from_junction"].astype(str).map(rep)
        df["to_junction"] = df["to_junction"].astype(str).map(rep)
        out.add_table(comp, df)
    for comp in ("sources", "sinks", "storages"):
        df = net[comp]
        if len(df):
            df = df.copy()
            df["junction"] = df["junction"].astype(str).map(rep)
            out.add_table(comp, df)
    info = {"junctions_merged": len(ids) - len(reps), "contracted_elements": contracted,
            "dropped_elements": dropped, "pipes_inside_a_merged_node": int(internal.sum()),
            "friction": "Nikuradse from roughness_mm (matgas friction_factor removed)"}
    out.meta["assumptions"].append(
        "benchmark: zero-resistance elements contracted, fixed friction factors removed "
        f"({info})")
    return out, info


def load_gaslib_582() -> tuple[Network, dict[str, Any]]:
    raw = load_gaslib_582_raw()
    net, info = contract_zero_resistance(raw)
    # does gasunion solve the raw file as read (with its zero-resistance loops)?
    try:
        res = simulate(raw, **SIM, raise_on_failure=False)
        info["raw_file_simulate"] = (
            f"converged={res.summary['converged']} iterations={res.summary['iterations']}")
    except Exception as exc:
        info["raw_file_simulate"] = f"{type(exc).__name__}: {str(exc).splitlines()[0]}"
    info["raw_counts"] = raw.counts()
    info["roughness_mm"] = float(np.nanmedian(net.pipes["roughness_mm"].to_numpy(float)))
    return net, info


def cases(quick: bool) -> list[tuple[str, Callable[[], Network | tuple[Network, dict]]]]:
    return [
        ("GasLib-134", load_gaslib_134),
        ("GasLib-135", load_gaslib_135),
        ("GasLib-582", load_gaslib_582),
        ("meshed-2000", lambda: meshed_network(2000, seed=1)),
        ("meshed-5000", lambda: meshed_network(5000, seed=1)),
    ]


# ------------------------------------------------------------------------------------ memory
_CLEAR_REFS = Path("/proc/self/clear_refs")


def _status_mb(key: str) -> float | None:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return None


def _reset_peak_rss() -> bool:
    try:
        _CLEAR_REFS.write_text("5")
        return True
    except OSError:
        return False


def _maxrss_mb() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return r / 1024.0 / (1024.0 if sys.platform == "darwin" else 1.0)


def measure_memory(fn: Callable[[], Any]) -> dict[str, float | None]:
    """tracemalloc peak of one call, and the peak-RSS increase of another (untraced) call."""
    gc.collect()
    tracemalloc.start()
    fn()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    gc.collect()
    reset = _reset_peak_rss()
    rss0 = _status_mb("VmRSS")
    fn()
    hwm = _status_mb("VmHWM") if reset else None
    return {"tracemalloc_peak_mb": peak / 2**20,
            "rss_peak_increase_mb": (hwm - rss0) if (hwm is not None and rss0 is not None)
            else None}


# ------------------------------------------------------------------------------------ timing
def _median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1e3


def timed_repeats(fn: Callable[[], Any], min_reps: int, budget_s: float,
                  max_reps: int) -> list[float]:
    """Time ``fn`` at least ``min_reps`` times and until ``budget_s`` is spent (timeit-style:
    one garbage collection first, the collector off during each timed call)."""
    out: list[float] = []
    gc.collect()
    t_start = time.perf_counter()
    while len(out) < min_reps or (time.perf_counter() - t_start < budget_s and len(out) < max_reps):
        gc.disable()
        try:
            t0 = time.perf_counter()
            fn()
            out.append(time.perf_counter() - t0)
        finally:
            gc.enable()
    return out


def final_jacobian(net: Network) -> tuple[sp.csc_matrix, Any]:
    """The scaled Jacobian at the converged state, built exactly as ``simulate`` builds it."""
    from gasunion.physics.compressibility import make_z_model
    from gasunion.simulation.model import build_model
    from gasunion.simulation.newton import Kernel, NewtonOptions, solve

    gas = net.gas
    m = build_model(net, slack="auto")
    k = Kernel(m, make_z_model(SIM["z"], gas), gas.r_specific, gas.temperature_k,
               gas.viscosity_pa_s, NewtonOptions(friction=SIM["friction"]))
    st = solve(k, gas.lower_heating_value_mj_kg * 1e6, gas.kappa)
    if not st.converged:
        raise RuntimeError("kernel did not converge")
    F, d = k.evaluate(st.x)
    k.newton_step(F, d)  # leaves the reduced matrix of the final state in k.J
    return k.full_jacobian(d), k


def nodal_lu_ms(J: sp.csc_matrix, k: Any, reps: int) -> float | None:
    """Diagnostic: LU of the nodal Schur complement (flows eliminated), where that is possible.

    ``J = [[0, B], [C, D]]`` with ``D`` diagonal when every branch law depends on its own flow
    (pipes); then ``dx_pi`` solves ``-B D^-1 C dx_pi = ...`` (size = free junctions).
    """
    nf = k.nf
    D = J[nf:, nf:].diagonal()
    if np.any(D == 0) or J[:nf, :nf].nnz or (J[nf:, nf:] - sp.diags(D)).count_nonzero():
        return None
    B, C = J[:nf, nf:], J[nf:, :nf]

    def run() -> None:
        S = (-(B @ sp.diags(1.0 / D) @ C)).tocsc()
        spla.splu(S)

    return _median_ms(timed_repeats(run, reps, 0.3, 200))


def phase_breakdown(net: Network, reps: int) -> dict[str, float]:
    """Median wall time [ms] of the stages of ``simulate`` (mirrors steady.simulate)."""
    from gasunion.physics.compressibility import make_z_model
    from gasunion.simulation import steady
    from gasunion.simulation.model import build_model
    from gasunion.simulation.newton import Kernel, NewtonOptions, solve

    gas = net.gas
    samples: dict[str, list[float]] = {}

    def lap(key: str, t0: float) -> float:
        t1 = time.perf_counter()
        samples.setdefault(key, []).append(t1 - t0)
        return t1

    for _ in range(reps):
        gc.collect()
        t = time.perf_counter()
        net.validate()
        t = lap("validate", t)
        m = build_model(net, slack="auto")
        t = lap("build_model", t)
        k = Kernel(m, make_z_model(SIM["z"], gas), gas.r_specific, gas.temperature_k,
                   gas.viscosity_pa_s, NewtonOptions(friction=SIM["friction"]))
        t = lap("kernel_setup", t)
        st = solve(k, gas.lower_heating_value_mj_kg * 1e6, gas.kappa)
        t = lap("newton_solve", t)
        res = steady._results(net, k, st.x, SIM["friction"], SIM["z"])
        t = lap("results_tables_incl_violations", t)
        steady._violations(net, res)
        t = lap("violations_alone", t)
        steady._infeasibilities(net, k, st.x, res)
        lap("infeasibility_check", t)
    return {key: _median_ms(v) for key, v in samples.items()}


# ------------------------------------------------------------------------------------ pandapipes
def _pandapipes_available() -> bool:
    return importlib.util.find_spec("pandapipes") is not None


def run_pandapipes(net: Network, res_gu: Any, reps: int, budget_s: float) -> dict[str, Any]:
    if not _pandapipes_available():
        return {"status": "n/a", "reason": "pandapipes is not installed"}
    try:
        from gasunion.io.pandapipes import ambient_pressure_bar, to_pandapipes
    except ImportError as exc:
        return {"status": "n/a", "reason": f"gasunion.io.pandapipes.to_pandapipes missing ({exc})"}
    import pandapipes as pp

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", UserWarning)  # e.g. fuel that pandapipes ignores
            ppn = to_pandapipes(net)
    except (NotImplementedError, ValueError, UserWarning) as exc:
        return {"status": "n/a", "reason": f"{type(exc).__name__}: {exc}"}

    def pabs() -> np.ndarray:
        return (ppn.res_junction["p_bar"].to_numpy(float)
                + np.asarray(ambient_pressure_bar(ppn.junction["height_m"].to_numpy(float))))

    def attempt(opts: dict[str, Any]) -> str | None:
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            try:
                pp.pipeflow(ppn, **opts)
            except Exception as exc:  # PipeflowNotConverged and friends
                return f"{type(exc).__name__}: {exc}"
        bad = [str(x.message) for x in w if "physically incorrect" in str(x.message)]
        if not ppn.converged:
            return "not converged"
        if bad or np.nanmin(pabs()) <= 0:
            return "converged to negative pressures: " + (bad[0] if bad else "")
        return None

    # plain Newton first (converges in < 10 iterations where it converges at all), then
    # pandapipes' adaptive damping
    opts: dict[str, Any] = {"friction_model": "nikuradse", "tol_p": PP_TOL, "tol_m": PP_TOL,
                            "max_iter_hyd": 30, "mode": "hydraulics"}
    notes = []
    err = attempt(opts)
    if err is not None:
        notes.append(f"nonlinear_method='constant' (plain Newton) failed: {err[:200]}")
        opts["nonlinear_method"] = "automatic"
        opts["max_iter_hyd"] = 100
        err = attempt(opts)
        if err is not None:
            return {"status": "failed", "reason": err[:300], "notes": notes}
    times = timed_repeats(lambda: pp.pipeflow(ppn, **opts), reps, budget_s, 50)
    ir = ppn.get("_internal_results", {}) or {}
    p_pp = pd.Series(pabs(), index=ppn.junction["name"].astype(str).to_numpy())
    p_gu = res_gu.junctions["p_bar"]
    diff = (p_pp - p_gu.reindex(p_pp.index)).abs()
    mem = measure_memory(lambda: pp.pipeflow(ppn, **opts))
    return {
        "status": "ok",
        "options": {k: v for k, v in opts.items()},
        "notes": notes,
        "time_ms": _median_ms(times),
        "time_min_ms": min(times) * 1e3,
        "repeats": len(times),
        "iterations": int(ir["iterations_hydraulics"]) if "iterations_hydraulics" in ir else None,
        "residual_norm": float(ir["residual_norm_hydraulics"])
        if "residual_norm_hydraulics" in ir else None,
        "max_abs_dp_bar": float(np.nanmax(diff.to_numpy())),
        "mean_abs_dp_bar": float(np.nanmean(diff.to_numpy())),
        "min_p_bar": float(np.nanmin(p_pp.to_numpy())),
        "junctions_compared": int(diff.notna().sum()),
        "memory": mem,
    }


# ------------------------------------------------------------------------------------ one case
def run_case(name: str, loader: Callable[[], Any], quick: bool) -> dict[str, Any]:
    stages: dict[str, float] = {}
    t_stage = [time.perf_counter()]

    def stage(key: str) -> None:
        now = time.perf_counter()
        stages[key] = now - t_stage[0]
        t_stage[0] = now

    t0 = time.perf_counter()
    _FOUND.clear()
    loaded = loader()
    net, prep = (loaded if isinstance(loaded, tuple) else (loaded, {}))
    load_s = time.perf_counter() - t0
    stage("load")
    out: dict[str, Any] = {"case": name, "network": net.name, "counts": net.counts(),
                           "load_s": load_s, "preparation": prep}
    if _FOUND:
        out["data_files"] = [os.path.relpath(f, ROOT) for f in _FOUND]
    n_br = sum(len(net[c]) for c in ("pipes", "short_pipes", "resistors", "valves",
                                     "control_valves", "compressors"))
    out["junctions"], out["branches"] = len(net.junctions), n_br
    if "min_pressure_bar" in net.meta:
        out["generator"] = {**net.meta["generator"], "min_pressure_bar": net.meta[
            "min_pressure_bar"], "total_demand_kg_s": net.meta["total_demand_kg_s"]}

    # ---- gasunion
    res = simulate(net, **SIM)  # warm-up (and the solution to compare with)
    summaries: list[dict[str, Any]] = []

    def one() -> None:
        summaries.append(simulate(net, **SIM).summary)

    walls = timed_repeats(one, 3 if quick else 7, 0.3 if quick else 2.0, 30)
    its = sorted({s["iterations"] for s in summaries})
    solve_ms = _median_ms([s["solve_time_s"] for s in summaries])
    gu = {
        "converged": bool(res.summary["converged"]), "feasible": res.summary.get("feasible"),
        "simulate_ms": _median_ms(walls), "simulate_min_ms": min(walls) * 1e3,
        "solve_ms": solve_ms,
        "solve_min_ms": min(s["solve_time_s"] for s in summaries) * 1e3,
        "lu_ms": _median_ms([s["lu_time_s"] for s in summaries]),
        "iterations": its[0] if len(its) == 1 else its,
        "factorizations": res.summary.get("factorizations"),
        "repeats": len(walls),
        "max_mass_balance_error_kg_s": res.summary["max_mass_balance_error_kg_s"],
        "min_p_bar": float(np.nanmin(res.junctions["p_bar"].to_numpy(float))),
        "max_p_bar": float(np.nanmax(res.junctions["p_bar"].to_numpy(float))),
    }
    out["gasunion"] = gu
    stage("gasunion")

    # ---- one sparse LU of the final Jacobian
    J, k = final_jacobian(net)
    lu = spla.splu(J)
    lu_times = timed_repeats(lambda: spla.splu(J), 10 if quick else 30, 0.2 if quick else 1.0,
                             300)
    splu_ms = _median_ms(lu_times)
    iters = gu["iterations"] if isinstance(gu["iterations"], int) else max(gu["iterations"])
    out["splu"] = {"n": J.shape[0], "nnz": int(J.nnz), "fill_nnz": int(lu.L.nnz + lu.U.nnz),
                   "permc_spec": "COLAMD (SciPy default)", "time_ms": splu_ms,
                   "time_min_ms": min(lu_times) * 1e3, "repeats": len(lu_times)}
    reduced = k.J.copy()
    red_times = timed_repeats(lambda: k.factorize(reduced), 10 if quick else 30,
                              0.2 if quick else 1.0, 300)
    out["reduced_lu"] = {"n": reduced.shape[0], "nnz": int(reduced.nnz),
                         "what": "the matrix gasunion factorises (flows of pipes eliminated; "
                                 "fixed fill-reducing order, SuperLU symmetric mode)",
                         "time_ms": _median_ms(red_times)}
    out["ratio_solve_to_iter_x_splu"] = solve_ms / (iters * splu_ms)
    out["ratio_simulate_to_iter_x_splu"] = gu["simulate_ms"] / (iters * splu_ms)
    if not quick:
        out["diagnostics"] = {
            "splu_mmd_ata_ms": _median_ms(timed_repeats(
                lambda: spla.splu(J, permc_spec="MMD_ATA"), 10, 0.3, 100)),
            "nodal_schur_lu_ms": nodal_lu_ms(J, k, 10),
            "simulate_overhead_ms": gu["simulate_ms"] - solve_ms,
        }
        try:
            out["diagnostics"]["phases_ms"] = phase_breakdown(net, 5)
        except Exception as exc:  # private API changed: diagnostics only
            out["diagnostics"]["phases_ms"] = f"unavailable ({type(exc).__name__}: {exc})"
    stage("splu_and_diagnostics")
    gu["memory"] = measure_memory(lambda: simulate(net, **SIM))
    stage("gasunion_memory")

    # ---- pandapipes
    pp_res = run_pandapipes(net, res, 1 if quick else 5, 0.3 if quick else 3.0)
    out["pandapipes"] = pp_res
    stage("pandapipes")
    out["stage_s"] = stages
    if pp_res.get("status") == "ok":
        out["speedup_simulate"] = pp_res["time_ms"] / gu["simulate_ms"]
        out["speedup_solve"] = pp_res["time_ms"] / solve_ms
    out["targets"] = {
        f"speedup>={TARGET_SPEEDUP:g}": (out["speedup_simulate"] >= TARGET_SPEEDUP)
        if "speedup_simulate" in out else None,
        f"ratio<={TARGET_LU_RATIO:g}": out["ratio_solve_to_iter_x_splu"] <= TARGET_LU_RATIO,
    }
    return out


# ------------------------------------------------------------------------------------ report
def environment() -> dict[str, Any]:
    def ver(mod: str) -> str | None:
        try:
            return __import__(mod).__version__
        except Exception:
            return None

    return {
        "python": platform.python_version(), "platform": platform.platform(),
        "machine": platform.machine(), "cpu_count": os.cpu_count(),
        "numpy": np.__version__, "scipy": scipy.__version__, "pandas": pd.__version__,
        "pandapipes": ver("pandapipes"), "gasunion": getattr(gasunion, "__version__", None),
        "numba_installed": importlib.util.find_spec("numba") is not None,
        "thread_env": {k: os.environ.get(k) for k in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS",
                                                      "MKL_NUM_THREADS")},
        "loadavg_start": os.getloadavg() if hasattr(os, "getloadavg") else None,
    }


def _fmt(v: Any, spec: str) -> str:
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return "n/a"
    if isinstance(v, list):
        return "/".join(str(x) for x in v)
    return format(v, spec)


def table_rows(results: list[dict[str, Any]]) -> tuple[list[str], list[list[str]]]:
    head = ["case", "junc/branch", "gasunion ms", "solve ms", "iter", "splu ms", "ratio",
            "reduced LU ms", "pandapipes ms", "pp iter", "speed-up", "max|dp| bar", "peak MB gu/pp"]
    rows = []
    for r in results:
        if "error" in r:
            rows.append([r["case"], "", "error: " + r["error"][:60]] + [""] * (len(head) - 3))
            continue
        gu, pp_, sl = r["gasunion"], r["pandapipes"], r["splu"]
        ok = pp_.get("status") == "ok"
        mem_gu = gu["memory"]["tracemalloc_peak_mb"]
        mem_pp = pp_["memory"]["tracemalloc_peak_mb"] if ok else None
        rows.append([
            r["case"], f"{r['junctions']}/{r['branches']}",
            _fmt(gu["simulate_ms"], ".1f"), _fmt(gu["solve_ms"], ".1f"),
            _fmt(gu["iterations"], "d"), _fmt(sl["time_ms"], ".2f"),
            _fmt(r["ratio_solve_to_iter_x_splu"], ".2f"),
            _fmt(r.get("reduced_lu", {}).get("time_ms"), ".2f"),
            _fmt(pp_.get("time_ms"), ".1f") if ok else pp_.get("status", "n/a"),
            _fmt(pp_.get("iterations"), "d") if ok else "",
            _fmt(r.get("speedup_simulate"), ".1f") + ("x" if ok else ""),
            _fmt(pp_.get("max_abs_dp_bar"), ".2g") if ok else "n/a",
            f"{_fmt(mem_gu, '.1f')}/{_fmt(mem_pp, '.1f')}",
        ])
    return head, rows


def print_table(results: list[dict[str, Any]]) -> None:
    head, rows = table_rows(results)
    try:
        from rich.console import Console
        from rich.table import Table

        t = Table(title="steady-state solve: gasunion vs pandapipes vs one splu")
        for h in head:
            t.add_column(h, justify="left" if h == "case" else "right")
        for row in rows:
            t.add_row(*row)
        Console(width=160).print(t)
    except ImportError:  # pragma: no cover
        widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(head)]
        print("  ".join(h.rjust(w) for h, w in zip(head, widths, strict=True)))
        for row in rows:
            print("  ".join(c.rjust(w) for c, w in zip(row, widths, strict=True)))
    for r in results:
        pp_ = r.get("pandapipes", {})
        if pp_.get("status") not in (None, "ok"):
            print(f"  {r['case']}: pandapipes {pp_['status']}: {pp_.get('reason')}")
        for note in pp_.get("notes", []):
            print(f"  {r['case']}: pandapipes note: {note}")
        if r.get("preparation", {}).get("raw_file_simulate"):
            print(f"  {r['case']}: gasunion on the raw file: "
                  f"{r['preparation']['raw_file_simulate']}")


def profile_case(name: str) -> None:
    import cProfile
    import pstats

    loader = dict(cases(False))[name]
    loaded = loader()
    net = loaded[0] if isinstance(loaded, tuple) else loaded
    simulate(net, **SIM)
    pr = cProfile.Profile()
    pr.enable()
    for _ in range(5):
        simulate(net, **SIM)
    pr.disable()
    st = pstats.Stats(pr)
    st.sort_stats("cumulative").print_stats(25)
    st.sort_stats("tottime").print_stats(12)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="gasunion steady-state benchmarks")
    ap.add_argument("--quick", action="store_true", help="fewer repeats (< 30 s)")
    ap.add_argument("--out", default=str(HERE / "results" / "latest.json"))
    ap.add_argument("--case", action="append", help="run only these cases (repeatable)")
    ap.add_argument("--profile", metavar="CASE", help="cProfile gasunion on one case and exit")
    args = ap.parse_args(argv)
    if args.profile:
        profile_case(args.profile)
        return 0
    t_all = time.perf_counter()
    env = environment()
    if _pandapipes_available():  # import once, outside every timing (takes seconds)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            import pandapipes  # noqa: F401
    results = []
    for name, loader in cases(args.quick):
        if args.case and name not in args.case:
            continue
        print(f"- {name} ...", flush=True)
        t0 = time.perf_counter()
        try:
            r = run_case(name, loader, args.quick)
        except Exception as exc:  # keep going; report the failure
            r = {"case": name, "error": f"{type(exc).__name__}: {exc}"}
        r["case_wall_s"] = time.perf_counter() - t0
        results.append(r)
    env["loadavg_end"] = os.getloadavg() if hasattr(os, "getloadavg") else None
    env["process_maxrss_mb"] = _maxrss_mb()
    doc = {"benchmark": "gasunion steady-state solve", "quick": args.quick,
           "date_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
           "settings": {"gasunion": {**SIM, "tol": 1e-10},
                        "pandapipes": {"friction_model": "nikuradse", "tol_p": PP_TOL,
                                       "tol_m": PP_TOL, "fluid": "to_pandapipes default: "
                                       "constant properties, Z = 1"}},
           "targets": {"speedup_vs_pandapipes_min": TARGET_SPEEDUP,
                       "solve_over_iterations_x_splu_max": TARGET_LU_RATIO},
           "environment": env, "total_wall_s": time.perf_counter() - t_all, "cases": results}
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(doc, indent=2, default=_json_default) + "\n")
    print_table(results)
    print(f"total {doc['total_wall_s']:.1f} s; load average {env['loadavg_start']} -> "
          f"{env['loadavg_end']}; JSON: {out}")
    return 0


def _json_default(o: Any) -> Any:
    if isinstance(o, np.integer):
        return int(o)
    if isinstance(o, np.floating):
        return float(o)
    if isinstance(o, np.bool_):
        return bool(o)
    if isinstance(o, np.ndarray):
        return o.tolist()
    return str(o)


if __name__ == "__main__":
    sys.exit(main())
