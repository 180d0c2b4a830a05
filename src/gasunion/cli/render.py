"""Tables and files of the command line: result summary, bound violations, diagnoses, CSV.

Every table fits an 80-column terminal: long names wrap inside their cell, numbers keep
their column. Pressures are absolute (bar(a)); an unknown value is shown as ``n/a``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich import box
from rich.table import Table
from rich.text import Text

from gasunion.cli._core import dumps

if TYPE_CHECKING:
    import pandas as pd

    from gasunion.network import Network
    from gasunion.simulation import SimulationResult

NA = "n/a"


def num(x: Any, spec: str = ".2f") -> str:
    """``x`` formatted with ``spec``; ``n/a`` if missing or not finite (no ``-0.00``)."""
    try:
        v = float(x)
    except (TypeError, ValueError):
        return NA
    return format(v + 0.0, spec) if math.isfinite(v) else NA


def pct(x: Any) -> str:
    """A share as ``"73 %"``; ``n/a`` if unknown."""
    s = num(x, ".0f") if x is None else num(100.0 * float(x), ".0f")
    return s if s == NA else f"{s} %"


def data_table(title: str | None = None, caption: str | None = None) -> Table:
    """A table for data rows: one header rule, no vertical lines (more room for names)."""
    return Table(title=title, caption=caption, box=box.SIMPLE_HEAD, show_edge=False,
                 padding=(0, 1, 0, 0), pad_edge=False, title_justify="left",
                 caption_justify="left", title_style="bold", caption_style="dim")


def name_of(net: Network, component: str, eid: Any, ids: bool = False) -> str:
    """The readable name of an element (its ``name`` column), or its id if it has none or
    ``ids`` is set."""
    if ids:
        return str(eid)
    try:
        name = net[component].at[eid, "name"]
    except (KeyError, ValueError):
        return str(eid)
    return str(name) if isinstance(name, str) and name.strip() else str(eid)


# ------------------------------------------------------------------------------- summary
def summary_table(net: Network, res: SimulationResult, ids: bool = False) -> Table:
    """Converged, iterations, times, balance, supply, models, pressure extremes, compressors."""
    s = res.summary
    t = Table(title=f"Steady state of {net.name or 'network'}", show_header=False,
              box=None, pad_edge=False, title_justify="left", title_style="bold")
    t.add_column("quantity", no_wrap=True, style="bold")
    t.add_column("value", overflow="fold")
    converged = bool(s.get("converged"))
    t.add_row("converged", Text("yes", "green") if converged else Text("no", "red"))
    t.add_row("Newton iterations", str(s.get("iterations", NA)))
    wall = s.get("wall_time_s")
    t.add_row("solve time", f"{num(1e3 * s['solve_time_s'], '.1f')} ms"
              + (f" (total {num(wall, '.2f')} s)" if wall is not None else ""))
    t.add_row("mass balance error", f"{num(s['max_mass_balance_error_kg_s'], '.3g')} kg/s "
              "(largest, any junction)")
    supply = s["total_injection_kg_s"]
    t.add_row("total supply", f"{num(supply)} kg/s = {num(net.gas.mcm_d_from_kg_s(supply))} mcm/d")
    t.add_row("friction / Z", f"{s['settings']['friction']} / {s['settings']['z']}")
    p = res.junctions["p_bar"]
    if p.notna().any():
        lo, hi = p.idxmin(), p.idxmax()
        t.add_row("lowest pressure", f"{num(p[lo])} bar(a) at {name_of(net, 'junctions', lo, ids)}")
        t.add_row("highest pressure", f"{num(p[hi])} bar(a) at {name_of(net, 'junctions', hi, ids)}")
    if len(res.compressors):
        c = res.compressors
        t.add_row("compressors", f"{num(c['power_mw'].sum())} MW, fuel {num(c['fuel_kg_s'].sum(), '.3f')} "
                  f"kg/s ({len(c)} units)")
    t.add_row("bound violations", str(len(res.violations)))
    return t


def violations_table(net: Network, v: pd.DataFrame, ids: bool = False, limit: int = 15) -> Table:
    """The bounds the steady state breaks (first ``limit``)."""
    more = f"... and {len(v) - limit} more (all in violations.csv with --out)" if len(v) > limit else None
    t = data_table(f"{len(v)} bound violation(s)", more)
    t.add_column("element", overflow="fold")
    t.add_column("field", overflow="fold")
    for c in ("value", "bound", "excess"):
        t.add_column(c, justify="right", no_wrap=True)
    for _, r in v.head(limit).iterrows():
        t.add_row(f"{r['component']} {name_of(net, r['component'], r['id'], ids)}", str(r["field"]),
                  num(r["value"], ".4g"), f"{r['kind']} {num(r['bound'], '.4g')}",
                  num(r["excess"], ".3g"))
    return t


def records_table(rows: Sequence[Mapping[str, Any]], limit: int = 20) -> Table:
    """A diagnosis (list of row dicts) as a table; numbers with 4 significant digits."""
    columns = list(dict.fromkeys(k for r in rows for k in r))
    more = f"... and {len(rows) - limit} more" if len(rows) > limit else None
    t = data_table(None, more)
    for c in columns:
        t.add_column(c, overflow="fold")
    for r in rows[:limit]:
        t.add_row(*(_cell(r.get(c)) for c in columns))
    return t


def _cell(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, float):
        return num(v, ".4g")
    return str(v)


# ---------------------------------------------------------------------------------- files
def write_results(res: SimulationResult, out: Path) -> list[Path]:
    """Write ``junctions.csv``, ``pipes.csv``, ``compressors.csv`` (and the other non-empty
    result tables), ``violations.csv`` (if any) and ``summary.json`` (``ok`` = true, with the
    simulation summary) into the folder ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, table in res.tables().items():
        if name in ("junctions", "pipes", "compressors") or len(table):
            path = out / f"{name}.csv"
            table.reset_index().to_csv(path, index=False)
            written.append(path)
    if len(res.violations):
        path = out / "violations.csv"
        res.violations.to_csv(path, index=False)
        written.append(path)
    path = out / "summary.json"
    path.write_text(dumps({"ok": True, **res.summary}) + "\n", encoding="utf-8")
    written.append(path)
    return written
