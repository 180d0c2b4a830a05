"""Expansion candidates as one table: given as a DataFrame and/or read from matgas files.

One row per candidate, indexed by its element id (the id the built element gets):

==========================  =====================================================================
column                      meaning (units)
==========================  =====================================================================
``kind``                    ``pipe`` (a new pipe or loop), ``compressor`` (a new one-way
                            station) or ``reverse`` (raise the reverse capacity of an existing
                            branch)
``from_junction``,          ends of a new pipe / compressor (flow direction from -> to)
``to_junction``
``diameter_mm``,            inner diameter [mm] and length [km] of a new pipe
``length_km``
``mass_flow_max_kg_s``      forward capacity [kg/s] (pipes: NaN = the pipe law between the
                            pressure bounds; compressors: required)
``mass_flow_min_kg_s``      pipes: lower flow bound [kg/s] (NaN = pipe law in reverse);
                            ``reverse``: the new lower bound of ``element`` (<= 0; its reverse
                            capacity becomes ``-mass_flow_min_kg_s`` when built)
``element``                 ``reverse`` only: the existing branch (any branch component)
``construction_cost``       investment [cost units, the same for every row]
optional                    ``name``, ``friction_factor``, ``roughness_mm``, ``p_max_bar``
                            (pipes); ``ratio_min``, ``ratio_max``, ``fuel_share`` (compressors)
==========================  =====================================================================

matgas candidates (``net.meta["candidates"]``: ``ne_pipe`` / ``ne_compressor`` records) become
rows ``ne_pipe_<id>`` / ``ne_compressor_<id>``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from gasunion.network import Network
from gasunion.network.schema import BRANCHES
from gasunion.optimize.result import OptimizationError

__all__ = ["CANDIDATE_COLUMNS", "KINDS", "PROBLEM_COLUMNS", "candidate_table", "describe",
           "network_with", "to_records"]

KINDS = ("pipe", "compressor", "reverse")
CANDIDATE_COLUMNS = ("kind", "from_junction", "to_junction", "diameter_mm", "length_km",
                     "mass_flow_max_kg_s", "mass_flow_min_kg_s", "element", "construction_cost")
_OPTIONAL = ("name", "friction_factor", "roughness_mm", "p_max_bar", "ratio_min", "ratio_max",
             "fuel_share", "p_out_max_bar", "p_in_min_bar")
_TEXT = ("kind", "from_junction", "to_junction", "element", "name")


def _from_matgas(cand: dict[str, list[dict[str, Any]]]) -> pd.DataFrame:
    """matgas ``ne_pipe`` / ``ne_compressor`` records -> candidate rows."""
    rows = []
    for rec in cand.get("ne_pipe", []) or []:
        rows.append({"id": f"ne_pipe_{rec['id']}", "kind": "pipe",
                     "mass_flow_max_kg_s": rec.get("mass_flow_max_kg_s", np.nan),
                     "mass_flow_min_kg_s": rec.get("mass_flow_min_kg_s", np.nan),
                     **{k: rec.get(k) for k in ("from_junction", "to_junction", "diameter_mm",
                                                "length_km", "friction_factor", "p_max_bar",
                                                "construction_cost")}})
    for rec in cand.get("ne_compressor", []) or []:
        rows.append({"id": f"ne_compressor_{rec['id']}", "kind": "compressor",
                     "ratio_min": rec.get("c_ratio_min"), "ratio_max": rec.get("c_ratio_max"),
                     **{k: rec.get(k) for k in ("from_junction", "to_junction",
                                                "mass_flow_max_kg_s", "p_out_max_bar",
                                                "p_in_min_bar", "construction_cost")}})
    return pd.DataFrame(rows).set_index("id") if rows else pd.DataFrame()


def _branch_of(net: Network, ids: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Component of each existing branch id ('' where none; bad input where ambiguous)."""
    comp = np.full(len(ids), "", dtype=object)
    hits = np.zeros(len(ids), dtype=int)
    for c in BRANCHES:
        found = ids.isin(net[c].index).to_numpy()
        comp[found] = c
        hits += found
    return comp, hits


def candidate_table(net: Network, candidates: Any = None, *,
                    formulation: str = "linear") -> pd.DataFrame:
    """The validated candidate table (see the module docstring).

    ``candidates``: a DataFrame (merged with the network's matgas candidates, if any), a
    matgas-style dict ``{"ne_pipe": [...], "ne_compressor": [...]}`` (replaces them) or None
    (the network's own). ``formulation``: the expansion formulation the table is for (reverse
    upgrades need ``"linear"``). Every bad row is reported at once: ``bad_input`` whose
    ``diagnosis`` has one row per problem (:data:`PROBLEM_COLUMNS`).
    """
    meta = net.meta.get("candidates", {}) or {}
    if isinstance(candidates, dict):
        tab = _from_matgas(candidates)
    else:
        given = pd.DataFrame(candidates) if candidates is not None else pd.DataFrame()
        if len(given) and "id" in given.columns:
            given = given.set_index("id")
        if len(given):
            given = given.assign(**{_ROW: np.arange(len(given))})
        tab = pd.concat([t for t in (_from_matgas(meta), given) if len(t)]) if (
            len(given) or meta) else pd.DataFrame()
    if not len(tab):
        raise OptimizationError("bad_input", "no expansion candidates: give candidates= (a "
                                "DataFrame with columns " + ", ".join(CANDIDATE_COLUMNS)
                                + ") or a network with matgas candidates",
                                hint="on the command line: --candidates FILE.csv with those "
                                "columns (docs/optimize/expansion.md has an example)")
    tab = tab.copy()
    tab.index = pd.Index(tab.index.astype(str), name="id")
    if _ROW not in tab:
        tab[_ROW] = np.nan
    for c in CANDIDATE_COLUMNS + _OPTIONAL:
        if c not in tab:
            tab[c] = "" if c in _TEXT else np.nan
    for c in _TEXT:
        tab[c] = tab[c].fillna("").astype(str).str.strip()
    raw = tab.copy()
    num = [c for c in CANDIDATE_COLUMNS + _OPTIONAL if c not in _TEXT]
    tab[num] = tab[num].apply(pd.to_numeric, errors="coerce")
    problems = _Problems(raw)
    for c in num:  # given but not a number: say so (the checks below would only say "missing")
        given = raw[c].notna() & (raw[c].astype(str).str.strip() != "")
        problems.add(given & tab[c].isna(), c, "must be a number")
    _validate(net, tab, problems, formulation)
    problems.raise_if_any()
    return tab.drop(columns=_ROW)


#: Columns of the diagnosis of a bad candidate table: ``candidate`` (id), ``row`` (0-based
#: position in the table given; empty for the network's own matgas candidates), ``column``,
#: ``value`` (as given), ``problem`` and ``explanation`` (all of it in words).
PROBLEM_COLUMNS = ("candidate", "row", "column", "value", "problem", "explanation")
_ROW = "__row__"


def _shown(value: Any) -> str:
    """A cell as the user wrote it ('' when empty)."""
    if value is None:
        return ""
    if isinstance(value, (float, np.floating)):
        return "" if np.isnan(value) else f"{float(value):g}"
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    return str(value)


def describe(column: str, value: str, problem: str) -> str:
    """``column kind is 'pipee'; it must be one of ...`` (``is empty`` when nothing given)."""
    what = f"is {value!r}" if value != "" else "is empty"
    return f"column {column} {what}; it {problem}"


class _Problems:
    """Every problem of a candidate table, one row per (candidate, column); a column already
    reported for a row is not reported again by a later check."""

    def __init__(self, raw: pd.DataFrame) -> None:
        self.raw = raw
        self.rows: list[dict[str, Any]] = []
        self._seen: set[tuple[int, str]] = set()

    def add(self, mask: Any, column: str, problem: str) -> None:
        for k in np.flatnonzero(np.asarray(mask, dtype=bool)):
            if (int(k), column) in self._seen:
                continue
            self._seen.add((int(k), column))
            cid = str(self.raw.index[k])
            value = cid if column == "id" else self.raw[column].iloc[k]
            shown = _shown(value)
            pos = self.raw[_ROW].iloc[k]
            self.rows.append({"candidate": cid,
                              "row": int(pos) if pd.notna(pos) else None,
                              "column": column, "value": shown, "problem": problem,
                              "explanation": f"candidate {cid}: {describe(column, shown, problem)}"})

    def raise_if_any(self) -> None:
        if not self.rows:
            return
        diag = pd.DataFrame(self.rows, columns=list(PROBLEM_COLUMNS))
        order = diag["row"].fillna(-1).to_numpy(float)
        diag = diag.iloc[np.argsort(order, kind="stable")].reset_index(drop=True)
        n_rows = len(diag[["candidate", "row"]].astype(str).drop_duplicates())
        shown = "; ".join(f"candidate {r.candidate}: {describe(r.column, r.value, r.problem)}"
                          for r in diag.head(5).itertuples())
        more = f" (and {len(diag) - 5} more)" if len(diag) > 5 else ""
        raise OptimizationError("bad_input", f"candidates: {len(diag)} problem(s) in {n_rows} "
                                f"row(s): {shown}{more}", diagnosis=diag)


def _validate(net: Network, tab: pd.DataFrame, problems: _Problems, formulation: str) -> None:
    dup = tab.index.duplicated(keep=False)
    problems.add(dup, "id", "must be unique (another row has the same id)")
    kind = tab["kind"].to_numpy(object)
    problems.add(~np.isin(kind, KINDS), "kind", "must be one of " + ", ".join(KINDS))
    cost = tab["construction_cost"].to_numpy(float)
    problems.add(~np.isfinite(cost) | (cost < 0), "construction_cost",
                 "must be a number >= 0 (the investment)")
    new = np.isin(kind, ("pipe", "compressor"))
    nodes = net.junctions.index
    for end in ("from_junction", "to_junction"):
        problems.add(new & ~tab[end].isin(nodes).to_numpy(), end,
                     "must name a junction of the network")
    pipe = kind == "pipe"
    for c, unit in (("diameter_mm", "inner diameter in mm"), ("length_km", "length in km")):
        problems.add(pipe & ~(tab[c] > 0).to_numpy(), c, f"must be the pipe's {unit}, > 0")
    fmax = tab["mass_flow_max_kg_s"].to_numpy(float)
    problems.add((kind == "compressor") & ~(np.isfinite(fmax) & (fmax >= 0)),
                 "mass_flow_max_kg_s", "must be the compressor's capacity, kg/s >= 0")
    rev = kind == "reverse"
    if formulation != "linear":
        problems.add(rev, "kind", "must be pipe or compressor: reverse upgrades need "
                     f"formulation='linear' ({formulation!r} is one steady state)")
    fmin = tab["mass_flow_min_kg_s"].to_numpy(float)
    problems.add(rev & ~(np.isfinite(fmin) & (fmin <= 0)), "mass_flow_min_kg_s",
                 "must be the element's new lower flow bound, kg/s <= 0")
    comp, hits = _branch_of(net, tab["element"])
    problems.add(rev & (hits == 0), "element", "must name an existing branch")
    problems.add(rev & (hits > 1), "element", "must name one branch (the id is used by "
                 "several components)")
    problems.add(rev & (hits == 1) & tab["element"].duplicated(keep=False).to_numpy(), "element",
                 "must have one reverse upgrade only (give the largest as one row)")
    clash = tab.index.isin(pd.Index(np.concatenate([net[c].index.astype(str) for c in
                                                    ("pipes", "compressors")])))
    problems.add(new & clash, "id", "must differ from the ids of existing pipes and "
                 "compressors")
    tab["component"] = np.where(rev, comp, np.where(kind == "pipe", "pipes", "compressors"))


def network_with(net: Network, tab: pd.DataFrame) -> Network:
    """A copy of ``net`` with every new pipe and compressor of ``tab`` added (compressors
    one-way in mode ``ratio``, fuel a share of throughput, default 0); reverse upgrades leave
    the network unchanged."""
    out = net.copy()
    p = tab[tab["kind"] == "pipe"]
    if len(p):
        rough = p["roughness_mm"].fillna(0.05)
        out.add("pipes", list(p.index), from_junction=list(p["from_junction"]),
                to_junction=list(p["to_junction"]), length_km=p["length_km"].to_numpy(),
                diameter_mm=p["diameter_mm"].to_numpy(), roughness_mm=rough.to_numpy(),
                friction_factor=p["friction_factor"].to_numpy(),
                p_max_bar=p["p_max_bar"].to_numpy(),
                mass_flow_max_kg_s=p["mass_flow_max_kg_s"].to_numpy(),
                mass_flow_min_kg_s=p["mass_flow_min_kg_s"].to_numpy(),
                name=list(p["name"]), note="expansion candidate")
    c = tab[tab["kind"] == "compressor"]
    if len(c):
        out.add("compressors", list(c.index), from_junction=list(c["from_junction"]),
                to_junction=list(c["to_junction"]), mode="ratio",
                ratio_min=c["ratio_min"].fillna(1.0).to_numpy(),
                ratio_max=c["ratio_max"].fillna(1.0).to_numpy(), fuel_model="share",
                fuel_share=c["fuel_share"].fillna(0.0).to_numpy(), mass_flow_min_kg_s=0.0,
                mass_flow_max_kg_s=c["mass_flow_max_kg_s"].to_numpy(),
                name=list(c["name"]), note="expansion candidate")
    return out


def to_records(tab: pd.DataFrame) -> dict[str, list[dict[str, Any]]]:
    """Pipe and compressor rows as matgas-style records (``element_id`` = the row id) for the
    single-steady-state formulations; ``reverse`` rows are refused there."""
    rev = tab.index[tab["kind"] == "reverse"]
    if len(rev):
        raise OptimizationError("bad_input", f"candidates {', '.join(rev[:5])}: reverse "
                                "upgrades need formulation='linear'",
                                hint="on the command line: --formulation linear")
    out: dict[str, list[dict[str, Any]]] = {"ne_pipe": [], "ne_compressor": []}
    for kind, key in (("pipe", "ne_pipe"), ("compressor", "ne_compressor")):
        sub = tab[tab["kind"] == kind].rename(columns={"ratio_min": "c_ratio_min",
                                                       "ratio_max": "c_ratio_max"})
        sub = sub.assign(element_id=sub.index, id=sub.index,
                         c_ratio_min=sub["c_ratio_min"].fillna(1.0),
                         c_ratio_max=sub["c_ratio_max"].fillna(1.0))
        out[key] = sub.to_dict("records")
    return out
