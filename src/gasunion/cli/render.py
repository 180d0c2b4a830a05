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


def longest_word(values: Any, cap: int = 32) -> int:
    """The width a text column needs so that no word of ``values`` is broken (a column folds
    only words longer than itself), at most ``cap``. Give it as the column's ``width``: with
    ``min_width`` rich 15 crops the lines of the other wrapped columns instead of wrapping
    them."""
    words = [len(w) for v in values for w in str(v).split()]
    return min(max(words, default=1), cap)


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
                  f"kg/s ({len(c)} unit{'' if len(c) == 1 else 's'})")
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
    shown = rows[:limit]
    for c in columns:
        cells = [r.get(c) for r in shown]
        numeric = all(isinstance(v, int | float) or v is None for v in cells)
        # headers in words, never split; numbers whole; text wraps at spaces (folding
        # only a word longer than the column)
        t.add_column(str(c).replace("_", " "), justify="right" if numeric else "left",
                     no_wrap=numeric, overflow="fold")
    for r in shown:
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


# -------------------------------------------------------------------------------- ledger
def flow(x: Any) -> str:
    """A flow with one decimal below 100, none above (``n/a`` if unknown)."""
    try:
        v = float(x)
    except (TypeError, ValueError):
        return NA
    return num(v, ".0f" if math.isfinite(v) and abs(v) >= 100 else ".1f")


def signed(x: Any, spec: str = "+.1f") -> str:
    """A change with its sign; ``0.0`` without one."""
    s = num(x, spec)
    return s.lstrip("+-") if s != NA and float(s) == 0 else s


def owners_text(from_side: str, to_side: str) -> str:
    """``"A > B"``: the owners on each side of a border point (``"?"`` if unknown)."""
    def side(s: str) -> str:
        return s.replace("; ", "+") if s else "?"
    return f"{side(from_side)} > {side(to_side)}"


def _short_source(text: str) -> str:
    """A source without its web addresses (they are in --json and ledger.csv)."""
    import re

    short = re.sub(r"\s*https?://\S+?(?=[)\]]|\s|$)", "", text)
    return re.sub(r"\s+", " ", short).strip().rstrip(".")


def ledger_table(ledger: pd.DataFrame, ids: bool = False, change: pd.Series | None = None,
                 other: str = "") -> Table:
    """The border ledger (:func:`gasunion.reports.border_ledger`): one row per border point
    and direction, capacity sources numbered under the table; ``change``: flow change in
    mcm/d against scenario ``other``."""
    sources = [s for s in dict.fromkeys(ledger["capacity_source"].fillna("")) if s]
    ref = {s: f"[{i}]" for i, s in enumerate(sources, 1)}
    notes = " ".join(f"{r} {_short_source(s)}." for s, r in ref.items())
    t = data_table("Border ledger (mcm/d; bcm/y = mcm/d x 365 / 1000)",
                   "owners: from side > to side (joint ventures with shares); cap.: technical "
                   "capacity in the flow's direction; headroom = cap. - flow; n/a: no capacity "
                   "on record; src: the capacity's source (web addresses in --json and ledger.csv)."
                   + (f" {notes}" if notes else ""))
    t.add_column("border point", overflow="fold", ratio=3)
    t.add_column("from>to", no_wrap=True)
    t.add_column("owners", overflow="fold", ratio=3)
    t.add_column("flow", justify="right", no_wrap=True)
    t.add_column("bcm/y", justify="right", no_wrap=True)
    t.add_column("cap.", justify="right", no_wrap=True)
    t.add_column("head-\nroom", justify="right", no_wrap=True)
    t.add_column("src", no_wrap=True)
    if change is not None:
        t.add_column(f"vs\n{other}", justify="right", no_wrap=True)
    for i, r in ledger.iterrows():
        cells = [str(r["border_point"] if ids else r["name"]),
                 f"{r['from_country']}>{r['to_country']}",
                 owners_text(str(r["owners_from"]), str(r["owners_to"])),
                 flow(r["flow_mcm_d"]), num(r["flow_bcm_y"]), flow(r["capacity_mcm_d"]),
                 flow(r["headroom_mcm_d"]), ref.get(str(r["capacity_source"] or ""), "")]
        if change is not None:
            cells.append(signed(change.get(i)))
        t.add_row(*cells)
    return t


def country_table(countries: pd.DataFrame, transit_change: pd.Series | None = None,
                  other: str = "") -> Table:
    """The country ledger (:func:`gasunion.reports.country_ledger`), bcm/y."""
    storage = bool((countries["storage_bcm_y"].abs() > 5e-4).any())
    t = data_table("Countries (bcm/y)",
                   "transit: gas of foreign origin leaving the country (flow tracing by "
                   "proportional sharing, Bialek 1996); consumed: its sinks (station transfers "
                   "left out); fuel: its compressors' fuel"
                   + ("; storage: net withdrawal" if storage else ""))
    t.add_column("country", no_wrap=True)
    heads = ["produced", *(["storage"] if storage else []), "imports", "exports", "consumed",
             "fuel", "transit"]
    for h in heads:
        t.add_column(h, justify="right", no_wrap=True)
    if transit_change is not None:
        t.add_column(f"transit\nvs {other}", justify="right", no_wrap=True)
    for i, r in countries.iterrows():
        cells = [str(r["country"]), num(r["production_bcm_y"]),
                 *([num(r["storage_bcm_y"])] if storage else []), num(r["imports_bcm_y"]),
                 num(r["exports_bcm_y"]), num(r["consumption_bcm_y"]), num(r["fuel_bcm_y"], ".3f"),
                 num(r["transit_bcm_y"])]
        if transit_change is not None:
            cells.append(signed(transit_change.get(i), "+.2f"))
        t.add_row(*cells)
    return t


def trade_table(trade: pd.DataFrame, title: str, caption: str = "") -> Table:
    """Imports and exports by partner (:func:`gasunion.reports.member_trade`), bcm/y."""
    t = data_table(title, caption + "net imports = imports - exports")
    for h in ("member", "partner"):
        t.add_column(h, no_wrap=True)
    for h in ("imports", "exports", "net imports"):
        t.add_column(h, justify="right", no_wrap=True)
    for _, r in trade.iterrows():
        t.add_row(str(r["member"]), str(r["partner"]), num(r["imports_bcm_y"]),
                  num(r["exports_bcm_y"]), signed(r["net_imports_bcm_y"], "+.2f"))
    return t
