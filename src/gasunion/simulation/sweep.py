"""Scenario sweeps: many variants of one network, in process or on a Dask cluster.

``sweep(net, changes)`` solves one steady state per scenario. ``changes`` is a
``pandas.DataFrame`` indexed by scenario name whose columns are a three-level ``MultiIndex``
``(component, element, column)``, e.g. ``("sinks", "N5", "mass_flow_kg_s")``; each cell is the
value of that column in that scenario (NaN: unchanged). Each scenario is applied to the
network as given (scenarios are independent); the :class:`~.prepared.Simulator` behind it
validates and prepares the network once and warm-starts each scenario from the last solution.

A failed scenario never stops the sweep: its row in the tables is NaN (also for an infeasible
scenario, whose last iterate is not a steady state), the summary records the kind of failure
and its message, and ``SweepResult.diagnoses[scenario]`` the elements at fault.

With ``client`` (a ``dask.distributed.Client``: a ``LocalCluster`` or a scheduler address),
scenarios go out in chunks; the network is sent to every worker once and each worker
prepares it once (its :class:`~.prepared.Simulator` is kept for the following chunks).
"""

from __future__ import annotations

import math
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from gasunion.network import BRANCHES, Network
from gasunion.simulation.prepared import Outcome, Simulator
from gasunion.simulation.results import SimulationError

#: result columns kept per component: (component, column)
QUANTITIES: tuple[tuple[str, str], ...] = (
    ("junctions", "p_bar"),
    *((c, "mass_flow_kg_s") for c in BRANCHES),
    ("compressors", "power_mw"), ("compressors", "ratio"), ("compressors", "fuel_kg_s"),
    ("sources", "mass_flow_kg_s"), ("sinks", "mass_flow_kg_s"), ("storages", "mass_flow_kg_s"),
)
SUMMARY_COLUMNS = ["ok", "converged", "error", "iterations", "max_mass_balance_error_kg_s",
                   "n_violations", "solve_time_s", "message"]


@dataclass
class SweepResult:
    """Tables of a sweep, one row per scenario.

    * ``junctions``: absolute pressure ``p_bar`` (scenario x junction);
    * ``pipes``: ``mass_flow_kg_s`` (scenario x pipe);
    * ``compressors``: columns ``(quantity, compressor)`` with quantities ``mass_flow_kg_s``,
      ``power_mw``, ``ratio``, ``fuel_kg_s``;
    * ``summary``: per scenario ``ok`` (converged, physically possible), ``converged`` (the
      Newton iteration converged: also true for ``infeasible``, a solution that is not
      physical), ``error`` (``""``, ``setup``, ``not_converged``, ``infeasible``,
      ``internal``), ``iterations`` (<NA> for ``setup``/``internal``),
      ``max_mass_balance_error_kg_s`` and ``n_violations`` (bounds broken; both NaN/<NA> for
      a failed scenario), ``solve_time_s``, ``message`` (with the first diagnosis rows);
    * ``diagnoses``: scenario -> the diagnosis table of a failed scenario;
    * :meth:`table` for any other kept quantity, e.g. ``table("sinks", "mass_flow_kg_s")``.
    """

    values: dict[tuple[str, str], pd.DataFrame]
    summary: pd.DataFrame
    diagnoses: dict[str, pd.DataFrame] = field(default_factory=dict)
    meta: dict[str, Any] = field(default_factory=dict)

    def table(self, component: str, column: str) -> pd.DataFrame:
        """Scenario x element table of one kept quantity (see :data:`QUANTITIES`)."""
        try:
            return self.values[(component, column)]
        except KeyError:
            kept = ", ".join(f"{c}.{q}" for c, q in self.values)
            raise KeyError(f"{component}.{column} is not kept by sweeps; kept: {kept}") from None

    @property
    def junctions(self) -> pd.DataFrame:
        return self.values[("junctions", "p_bar")]

    @property
    def pipes(self) -> pd.DataFrame:
        return self.values[("pipes", "mass_flow_kg_s")]

    @property
    def compressors(self) -> pd.DataFrame:
        parts = {q: self.values[("compressors", q)]
                 for q in ("mass_flow_kg_s", "power_mw", "ratio", "fuel_kg_s")}
        return pd.concat(parts, axis=1, names=["quantity", "id"])

    def write(self, folder: str | Path, formats: tuple[str, ...] = ("parquet",)) -> list[Path]:
        """Write every table (``<component>.<column>.parquet`` / ``.csv``), ``summary`` and the
        diagnoses (one long table) into ``folder``; returns the paths."""
        out = Path(folder)
        out.mkdir(parents=True, exist_ok=True)
        written: list[Path] = []
        tables: dict[str, pd.DataFrame] = {f"{c}.{q}": df for (c, q), df in self.values.items()
                                           if df.shape[1]}
        tables["summary"] = self.summary
        if self.diagnoses:
            tables["diagnoses"] = pd.concat(self.diagnoses, names=["scenario", "row"]
                                            ).reset_index(level="row", drop=True)
        for name, df in tables.items():
            for fmt in formats:
                path = out / f"{name}.{fmt}"
                frame = df.copy()
                frame.columns = [str(c) for c in frame.columns]
                if fmt == "parquet":
                    frame.astype({c: str for c in frame.columns
                                  if frame[c].dtype == object}).to_parquet(path)
                else:
                    frame.to_csv(path)
                written.append(path)
        return written


def _chunk_arrays(sim: Simulator, changes: pd.DataFrame,
                  progress: Callable[[int], None] | None = None) -> dict[str, Any]:
    """Solve the scenarios of ``changes`` on ``sim``; return stacked arrays per quantity."""
    net = sim.base.net
    n = len(changes)
    sizes = {c: (len(net.junctions) if c == "junctions" else len(net[c])) for c, _ in QUANTITIES}
    vals = {key: np.full((n, sizes[key[0]]), np.nan) for key in QUANTITIES}
    summ: dict[str, list[Any]] = {c: [None] * n for c in SUMMARY_COLUMNS}
    diag: dict[str, pd.DataFrame] = {}
    groups = _column_groups(changes)
    data = changes.to_numpy(dtype=object)
    missing = pd.isna(changes).to_numpy()
    for i in scenario_order(changes):
        name = changes.index[i]
        row: dict[tuple[str, str], tuple[list[str], list[Any]]] = {}
        for key, (pos, ids) in groups.items():
            keep = ~missing[i, pos]
            if keep.any():
                row[key] = (ids[keep].tolist(), data[i, pos[keep]].tolist())
        out = sim.solve(row)
        err = out.error
        if err is None:  # a failed scenario keeps NaN rows (no set-points of a failed solve)
            _collect(out, out.builder, i, vals)
        s = out.summary
        summ["ok"][i] = err is None and bool(s.get("ok", False))
        summ["converged"][i] = bool(s.get("converged", False))
        summ["error"][i] = err.kind if err is not None else ""
        summ["iterations"][i] = (int(s["iterations"]) if out.state is not None
                                 and "iterations" in s else np.nan)
        summ["max_mass_balance_error_kg_s"][i] = (
            float(s.get("max_mass_balance_error_kg_s", np.nan)) if err is None else np.nan)
        summ["n_violations"][i] = (out.builder.violation_count(out.case.kernel, out.state)
                                   if err is None and out.state is not None else np.nan)
        summ["solve_time_s"][i] = float(s.get("solve_time_s", np.nan))
        summ["message"][i] = failure_message(err) if err is not None else ""
        if err is not None and len(err.diagnosis):
            diag[str(name)] = err.diagnosis
        if progress is not None:
            progress(1)
    return {"values": vals, "summary": summ, "diagnoses": diag}


def failure_message(err: SimulationError, rows: int = 3) -> str:
    """One line: the message of a failed scenario with its first diagnosis rows (a message
    such as ``"physically impossible steady state:"`` announces them)."""
    msg = err.message.strip()
    diag = err.diagnosis
    if not len(diag):
        return msg.rstrip(":")
    parts = ["; ".join(_diag_row(r) for _, r in diag.head(rows).iterrows())]
    if len(diag) > rows:
        parts.append(f"(+{len(diag) - rows} more in the diagnoses)")
    return f"{msg} {' '.join(parts)}" if msg.endswith(":") else f"{msg}: {' '.join(parts)}"


def _diag_row(r: pd.Series) -> str:
    """``component element field: problem (value unit)`` of one diagnosis row."""
    where = " ".join(str(r[c]) for c in ("component", "id", "element", "field", "equation")
                     if c in r and not _blank(r[c]))
    why = next((str(r[c]) for c in ("problem", "message") if c in r and not _blank(r[c])), "")
    val = next((r[c] for c in ("value", "residual") if c in r and not _blank(r[c])), None)
    if not why and val is None:
        return ", ".join(f"{c}={_fmt(v)}" for c, v in r.items() if not _blank(v))
    unit = f" {r['unit']}" if "unit" in r and not _blank(r["unit"]) else ""
    text = f"{where}: {why}" if why else where
    return text + (f" ({_fmt(val)}{unit})" if val is not None else "")


def _fmt(v: Any) -> str:
    return f"{v:.6g}" if isinstance(v, float) else str(v)


def _blank(v: Any) -> bool:
    return v is None or v == "" or (isinstance(v, float) and math.isnan(v))


def scenario_order(changes: pd.DataFrame) -> np.ndarray:
    """An order that visits similar scenarios one after the other, so that each warm start
    (the previous solution) is close: scenarios sorted along the first principal component of
    their changes (numbers as given, ``True``/``False`` as 1/0, unchanged cells at the column
    mean; columns scaled to unit range). The results do not depend on the order, only the
    number of Newton iterations does."""
    n = len(changes)
    if n < 3:
        return np.arange(n)
    try:  # numbers, booleans and NaN (the usual case): one conversion
        x = changes.to_numpy(dtype=float)
    except (TypeError, ValueError):  # text values: column by column, text as NaN
        x = changes.apply(pd.to_numeric, errors="coerce").to_numpy(dtype=float)
    keep = np.isfinite(x).any(axis=0)
    x = x[:, keep]
    if not x.shape[1]:
        return np.arange(n)
    mean = np.nanmean(x, axis=0)
    x = np.where(np.isfinite(x), x, mean)
    span = x.max(axis=0) - x.min(axis=0)
    x = (x - mean)[:, span > 0] / span[span > 0]
    if not x.shape[1]:
        return np.arange(n)
    # first principal direction by power iteration (a few matrix-vector products)
    v = np.ones(x.shape[1]) / np.sqrt(x.shape[1])
    for _ in range(30):
        w = x.T @ (x @ v)
        norm = float(np.linalg.norm(w))
        if norm == 0.0:
            break
        v = w / norm
    return np.argsort(x @ v, kind="stable")


def _column_groups(changes: pd.DataFrame) -> dict[tuple[str, str], tuple[np.ndarray, np.ndarray]]:
    """(component, column) -> (positions of its columns in ``changes``, element ids)."""
    cols = changes.columns
    comp = np.asarray(cols.get_level_values(0), dtype=str)
    elem = np.asarray(cols.get_level_values(1), dtype=object).astype(str)
    col = np.asarray(cols.get_level_values(2), dtype=str)
    out = {}
    for c, q in dict.fromkeys(zip(comp, col, strict=True)):
        pos = np.flatnonzero((comp == c) & (col == q))
        out[(str(c), str(q))] = (pos, elem[pos].astype(object))
    return out


def _collect(out: Outcome, b: Any, i: int, vals: dict[tuple[str, str], np.ndarray]) -> None:
    if out.state is None or b is None:
        return
    k, st = out.case.kernel, out.state
    vals[("junctions", "p_bar")][i] = st.p_bar
    for comp in BRANCHES:
        if vals[(comp, "mass_flow_kg_s")].shape[1]:
            vals[(comp, "mass_flow_kg_s")][i] = b.branch_flows(k, st, comp)
    if vals[("compressors", "power_mw")].shape[1]:
        cr = b.compressor_rows(k, st)
        for q in ("power_mw", "ratio", "fuel_kg_s"):
            vals[("compressors", q)][i] = cr[q]
    for comp, flow in b.node_flows(k, st).items():
        if len(flow):
            vals[(comp, "mass_flow_kg_s")][i] = flow


# ------------------------------------------------------------------------------ Dask workers
_WORKER_SIMULATORS: dict[str, Simulator] = {}


def _worker_chunk(token: str, net: Network, settings: dict[str, Any],
                  changes: pd.DataFrame) -> dict[str, Any]:
    """Run on a Dask worker: prepare the network once per sweep (``token``), solve a chunk."""
    sim = _WORKER_SIMULATORS.get(token)
    if sim is None:
        _WORKER_SIMULATORS.clear()  # one sweep at a time per worker process
        sim = Simulator(net, **settings)
        _WORKER_SIMULATORS[token] = sim
    return _chunk_arrays(sim, changes)


def change_target_problem(net: Network, comp: str, eid: Any, col: str
                          ) -> tuple[str, str] | None:
    """``(field, problem)`` when ``(comp, eid, col)`` names no cell of ``net`` (field
    ``component``, ``column`` or ``element``), else None."""
    if comp not in net.components and comp != "junctions":
        return "component", f"unknown component {comp!r}"
    if col not in net[comp].columns:
        return "column", f"{comp} has no column {col!r}"
    if eid not in net[comp].index:
        return "element", f"{comp} has no element {eid!r}"
    return None


def _validate_changes(net: Network, changes: pd.DataFrame) -> pd.DataFrame:
    if not isinstance(changes, pd.DataFrame):
        raise SimulationError("setup", "changes must be a pandas DataFrame indexed by scenario "
                              "with (component, element, column) columns")
    if changes.columns.nlevels != 3:
        raise SimulationError("setup", "changes: columns must be a MultiIndex of "
                              "(component, element, column)")
    if changes.index.has_duplicates:
        dup = changes.index[changes.index.duplicated()].unique().tolist()
        raise SimulationError("setup", f"changes: duplicate scenario names {dup[:5]}")
    problems = [hit[1] for target in changes.columns
                if (hit := change_target_problem(net, *target)) is not None]
    if problems:
        raise SimulationError("setup", "changes: " + "; ".join(sorted(set(problems))[:10]))
    return changes


def sweep(net: Network, changes: pd.DataFrame, friction: str = "nikuradse", z: str = "papay",
          *, client: Any = None, chunk_size: int | None = None, tol: float = 1e-10,
          max_iter: int = 60, slack: str = "auto", linear_solver: str = "auto",
          progress: Callable[[int, int], None] | None = None) -> SweepResult:
    """Solve one steady state per scenario (row of ``changes``); see the module docstring.

    ``progress(done, total)`` is called as scenarios finish. With a Dask ``client`` (a
    ``dask.distributed.Client``, or a scheduler address such as ``"tcp://host:8786"``) the
    scenarios are sent in chunks of ``chunk_size`` (default: about four chunks per worker).
    """
    changes = _validate_changes(net, changes)
    settings: dict[str, Any] = {"friction": friction, "z": z, "tol": tol, "max_iter": max_iter,
                                "slack": slack, "linear_solver": linear_solver}
    t0 = time.perf_counter()
    total = len(changes)
    done = [0]

    def tick(k: int) -> None:
        done[0] += k
        if progress is not None:
            progress(done[0], total)

    if client is None:
        sim = Simulator(net, **settings)
        parts = [_chunk_arrays(sim, changes, tick)]
        n_workers = 1
    else:
        from dask.distributed import Client, as_completed

        own = None
        if isinstance(client, str):  # a scheduler address
            own = client = Client(client, timeout="10s")
        n_workers = max(len(client.scheduler_info().get("workers", {})), 1)
        size = chunk_size or max(1, math.ceil(total / (4 * n_workers)))
        chunks = [changes.iloc[i:i + size] for i in range(0, total, size)]
        token = uuid.uuid4().hex
        # hash=False: a key of its own per sweep. With the default content hash two sweeps of
        # one network on one scheduler share the key, and the first sweep's release can drop
        # the data under the second ("lost dependencies").
        net_future = client.scatter(net, broadcast=True, hash=False)
        futures = [client.submit(_worker_chunk, token, net_future, settings, ch, pure=False)
                   for ch in chunks]
        order = {f.key: i for i, f in enumerate(futures)}
        results: list[dict[str, Any] | None] = [None] * len(futures)
        for fut in as_completed(futures):
            i = order[fut.key]
            results[i] = fut.result()
            tick(len(chunks[i]))
        parts = [r for r in results if r is not None]
        net_future.release()
        if own is not None:
            own.close()
    return _assemble(net, changes.index, parts, {"wall_time_s": time.perf_counter() - t0,
                                                  "workers": n_workers, **settings})


def _assemble(net: Network, index: pd.Index, parts: list[dict[str, Any]],
              meta: dict[str, Any]) -> SweepResult:
    idx = pd.Index(index, name="scenario")
    values = {}
    for comp, q in QUANTITIES:
        ids = net.junctions.index if comp == "junctions" else net[comp].index
        arr = np.vstack([p["values"][(comp, q)] for p in parts]) if parts else np.zeros((0, 0))
        values[(comp, q)] = pd.DataFrame(arr, index=idx, columns=pd.Index(ids, name="id"))
    summ = {c: [v for p in parts for v in p["summary"][c]] for c in SUMMARY_COLUMNS}
    summary = pd.DataFrame(summ, index=idx, columns=SUMMARY_COLUMNS).astype(
        {"ok": bool, "converged": bool, "iterations": "Int64", "n_violations": "Int64",
         "max_mass_balance_error_kg_s": float, "solve_time_s": float})
    diagnoses: dict[str, pd.DataFrame] = {}
    for p in parts:
        diagnoses.update(p["diagnoses"])
    return SweepResult(values=values, summary=summary, diagnoses=diagnoses, meta=meta)


def changes_from_long(df: pd.DataFrame) -> pd.DataFrame:
    """Long form (columns ``scenario, component, element, column, value``) -> the wide
    ``changes`` table of :func:`sweep`. Values are taken as numbers where they parse, else
    as booleans (``true``/``false``) or text."""
    need = ["scenario", "component", "element", "column", "value"]
    missing = [c for c in need if c not in df.columns]
    if missing:
        raise SimulationError("setup", f"changes table: missing column(s) {missing}; "
                              f"expected {', '.join(need)}")
    key = ["scenario", "component", "element", "column"]
    dup = df.duplicated(key, keep=False)
    if dup.any():
        rows = (np.flatnonzero(dup.to_numpy()) + 2).tolist()[:10]
        raise SimulationError("setup", f"changes table: duplicate (scenario, component, "
                              f"element, column) on lines {rows}")
    vals = [_parse_value(v) for v in df["value"]]
    wide = pd.Series(vals, index=pd.MultiIndex.from_frame(df[key].astype(str)), dtype=object)
    out = wide.unstack(["component", "element", "column"])
    return out.reindex(pd.Index(pd.unique(df["scenario"].astype(str)), name="scenario"))


def _parse_value(v: Any) -> Any:
    if isinstance(v, str):
        t = v.strip().lower()
        if t in ("true", "false"):
            return t == "true"
        try:
            return float(t)
        except ValueError:
            return v.strip()
    return v
