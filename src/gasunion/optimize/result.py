"""The result of every optimisation problem, and the error every failed one raises.

A result carries the problem's tables in the simulator's shape (one DataFrame per component,
indexed by element id, flows in kg/s, pressures in bar; multi-period problems add a ``period``
level or column), the objective, and a ``summary`` dict with at least ``status``,
``objective``, ``objective_unit``, ``formulation``, ``build_time_s``, ``solve_time_s`` and
``gap`` (relative gap to a relaxation or the MIP bound where one exists, else ``None``).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from gasunion.errors import GasunionError

if TYPE_CHECKING:
    from gasunion.network import Network

__all__ = ["OptimizationError", "OptimizationResult"]

#: Error kinds: what the user supplied is wrong / the request has no solution / the solver
#: failed (message says what it said) / a defect inside gasunion.
KINDS = ("bad_input", "infeasible", "solver", "internal")


class OptimizationError(GasunionError, RuntimeError):
    """An optimisation that could not be carried out.

    ``kind`` is one of ``"bad_input"`` (exit code 2 in the CLI), ``"infeasible"``,
    ``"solver"`` or ``"internal"`` (exit code 1). ``diagnosis`` is a table naming the
    conflicting constraints and elements (columns ``constraint``, ``component``, ``element``,
    ``period``, ``amount``, ``unit``, ``explanation``; some may be absent).
    """

    def __init__(self, kind: str, message: str, diagnosis: pd.DataFrame | None = None,
                 hint: str | None = None) -> None:
        if kind not in KINDS:
            raise ValueError(f"unknown OptimizationError kind {kind!r}")
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.diagnosis = diagnosis if diagnosis is not None else pd.DataFrame()
        self.hint = hint

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "message": self.message, "hint": self.hint,
                "diagnosis": _records(self.diagnosis)}


def _records(df: pd.DataFrame) -> list[dict[str, Any]]:
    if df is None or not len(df):
        return []
    return [{k: _plain(v) for k, v in row.items()} for row in df.reset_index().to_dict("records")]


def _plain(v: Any) -> Any:
    if isinstance(v, (np.floating, float)):
        f = float(v)
        return f if math.isfinite(f) else None
    if isinstance(v, np.integer):
        return int(v)
    if isinstance(v, np.bool_):
        return bool(v)
    if isinstance(v, pd.Timestamp):
        return v.isoformat()
    return v


@dataclass
class OptimizationResult:
    """Tables, objective and summary of one solved problem.

    ``tables`` maps a name (``"junctions"``, ``"pipes"``, ``"compressors"``, ``"sources"``,
    ``"sinks"``, ``"storages"``, ``"prices"``, ...) to a DataFrame; ``res["pipes"]`` is a
    shortcut. ``network`` is the operated network where the problem produces one (ogf,
    operate), ready for :func:`gasunion.simulate`.
    """

    problem: str
    formulation: str
    status: str
    objective: float
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    summary: dict[str, Any] = field(default_factory=dict)
    network: Network | None = None

    def __post_init__(self) -> None:
        self.summary.setdefault("problem", self.problem)
        self.summary.setdefault("formulation", self.formulation)
        self.summary.setdefault("status", self.status)
        self.summary.setdefault("objective", self.objective)
        self.summary.setdefault("gap", None)

    def __getitem__(self, name: str) -> pd.DataFrame:
        return self.tables[name]

    def __repr__(self) -> str:
        return (f"OptimizationResult({self.problem}/{self.formulation}: {self.status}, "
                f"objective={self.objective:.6g}, tables={sorted(self.tables)})")

    def to_dict(self, tables: bool = False) -> dict[str, Any]:
        """JSON-ready summary (and, with ``tables=True``, every table as records)."""
        out = {k: _jsonable(v) for k, v in self.summary.items()}
        if tables:
            out["tables"] = {k: _records(v) for k, v in self.tables.items()}
        return out

    def write(self, out_dir: str | Path) -> list[Path]:
        """Write ``summary.json``, one CSV per table and, if any, ``network.json``."""
        from gasunion.io import write

        d = Path(out_dir)
        d.mkdir(parents=True, exist_ok=True)
        written = []
        for name, df in self.tables.items():
            p = d / f"{name}.csv"
            df.to_csv(p)
            written.append(p)
        if self.network is not None:
            p = d / "network.json"
            write(self.network, p)
            written.append(p)
        p = d / "summary.json"
        p.write_text(json.dumps(self.to_dict(), indent=2) + "\n")
        written.append(p)
        return written


def _jsonable(v: Any) -> Any:
    if isinstance(v, dict):
        return {str(k): _jsonable(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_jsonable(x) for x in v]
    if isinstance(v, pd.DataFrame):
        return _records(v)
    if isinstance(v, pd.Series):
        return {str(k): _plain(x) for k, x in v.items()}
    return _plain(v)
