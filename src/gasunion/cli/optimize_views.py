"""What ``gasunion optimize ...`` shows on the terminal: a few headline tables per problem,
80 columns wide, readable names; every table in full goes to ``--out DIR`` or ``--json``.

Month-by-month views (transport) pivot periods into columns when there are at most 12 of
them, else show the minimum, mean and maximum over the periods.

Nothing is cut: numbers never wrap (``no_wrap``), names and ids wrap at spaces and fold only
a word longer than the whole column (:func:`_text_column`, :func:`_number_column`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from gasunion.cli.render import data_table, name_of, num, pct

if TYPE_CHECKING:
    from rich.table import Table

    from gasunion.network import Network
    from gasunion.optimize import OptimizationResult

__all__ = ["VIEWS", "generic_views"]

ROWS = 12
MONTHS = {f"{m:02d}": n for m, n in enumerate(
    ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), 1)}


def _label(period: Any) -> str:
    """``2023-01`` -> ``Jan``; other period names as they are."""
    m = re.fullmatch(r"\d{4}-(\d{2})", str(period))
    return MONTHS.get(m.group(1), str(period)) if m else str(period)


def _text_column(t: Table, header: str, **kw: Any) -> None:
    """A column of names or ids: wraps at spaces, folds only a word longer than the column
    (never an ellipsis)."""
    t.add_column(header, overflow="fold", **kw)


def _number_column(t: Table, header: str) -> None:
    """A column of numbers (or short codes): never wrapped or cut."""
    t.add_column(header, justify="right", no_wrap=True)


def period_ranges(periods: list[Any], order: list[Any]) -> str:
    """``Jan-Mar, Oct-Dec`` (runs of consecutive periods of ``order``), or for more than four
    runs ``N of M periods, first to last``."""
    pos = sorted({order.index(p) for p in periods if p in order})
    runs: list[tuple[int, int]] = []
    for k in pos:
        if runs and k == runs[-1][1] + 1:
            runs[-1] = (runs[-1][0], k)
        else:
            runs.append((k, k))
    if len(runs) > 4:
        return (f"{len(pos)} of {len(order)} periods, {_label(order[pos[0]])} to "
                f"{_label(order[pos[-1]])}")
    return ", ".join(_label(order[a]) if a == b else f"{_label(order[a])}-{_label(order[b])}"
                     for a, b in runs)


def system_name(name: str) -> str:
    """The pipeline system of a readable element name: the text before the first ``(`` or
    ``,`` (``Bukhara-Ural (Khiva-KZ border), string 1020 mm`` -> ``Bukhara-Ural``)."""
    return re.split(r"[(,]", str(name), maxsplit=1)[0].strip() or str(name)


def _table(title: str, caption: str | None = None) -> Table:
    """A data table at least as wide as its title (a narrow table would fold the title)."""
    t = data_table(title, caption)
    t.min_width = min(80, len(title))
    return t


def _pivot(values: pd.Series, title: str, row_label: str, spec: str = ".0f",
           caption: str | None = None) -> Table:
    """``values`` indexed (row, period) as one column per period (<= 12) or min/mean/max."""
    wide = values.unstack("period", fill_value=0.0)
    periods = list(wide.columns)
    t = _table(title, caption)
    _text_column(t, row_label)
    if len(periods) <= 12:
        t.padding = (0, 0, 0, 0)  # the column separator alone: 12 months and a name fit 80
        for p in periods:
            _number_column(t, _label(p))
        for row, r in wide.iterrows():
            t.add_row(str(row), *(num(v, spec) for v in r.to_numpy()))
    else:
        for c in ("min", "mean", "max"):
            _number_column(t, c)
        for row, r in wide.iterrows():
            v = r.to_numpy(float)
            t.add_row(str(row), num(np.nanmin(v), spec), num(np.nanmean(v), spec),
                      num(np.nanmax(v), spec))
    return t


# --------------------------------------------------------------------------- transport
def transport_views(net: Network, res: OptimizationResult, ids: bool) -> list[Table]:
    out: list[Table] = []
    cf = res.tables.get("country_flows")
    if cf is not None and len(cf):
        s = cf["flow_mcm_d"]
        keep = s.groupby(level=["from_country", "to_country"]).transform("max") > 1e-6
        s = s[keep]
        if len(s):
            s.index = pd.MultiIndex.from_arrays(
                [[f"{a} > {b}" for a, b in zip(s.index.get_level_values("from_country"),
                                               s.index.get_level_values("to_country"),
                                               strict=True)],
                 s.index.get_level_values("period")], names=["pair", "period"])
            out.append(_pivot(s, "Gas between countries, mcm/d", "from > to"))
    st = res.tables.get("storages")
    if st is not None and len(st):
        inv = st["inventory_mcm"].copy()
        names = st["name"].groupby(level="id").first()
        labels = [names.get(i) or i if not ids else i for i in inv.index.get_level_values("id")]
        inv.index = pd.MultiIndex.from_arrays(
            [[str(x).removesuffix(" UGS") for x in labels], inv.index.get_level_values("period")],
            names=["storage", "period"])
        out.append(_pivot(inv, "Storage inventory at the end of each period, mcm", "storage"))
    b = res.tables.get("borders")
    if b is not None and len(b):
        out.append(_borders(net, b, ids))
    out += _unserved(net, res, ids)
    return out


def _borders(net: Network, b: pd.DataFrame, ids: bool) -> Table:
    """Border points grouped by pipeline system and direction (with ``ids``: per element):
    peak flow against the capacity in that direction."""
    d = b.reset_index()
    comp = d["component"].to_numpy()
    d["system"] = [str(i) if ids else system_name(name_of(net, c, i)) for c, i in
                   zip(comp, d["id"], strict=True)]  # --ids: each element, its id whole
    fwd = d.assign(frm=d["from_country"], to=d["to_country"], flow=d["flow_forward_kg_s"],
                   cap=d["capacity_forward_kg_s"])
    rev = d.assign(frm=d["to_country"], to=d["from_country"], flow=d["flow_reverse_kg_s"],
                   cap=d["capacity_reverse_kg_s"])
    both = pd.concat([fwd, rev])
    g = both.groupby(["system", "frm", "to", "period"], sort=False)[["flow", "cap"]].sum(
        min_count=1)
    g = g.groupby(level=["system", "frm", "to"], sort=False).agg(
        flow=("flow", "max"), cap=("cap", "max"))
    g = g[g["flow"] > 1e-6]
    kg_to_mcm = 86400.0 / (net.gas.rho_n * 1e6)
    g["util"] = g["flow"] / g["cap"].where(g["cap"] > 0)
    g = g.sort_values("util", ascending=False)
    t = _table("Border points: peak flow and capacity in the flow's direction, mcm/d",
               f"... and {len(g) - ROWS} more" if len(g) > ROWS else None)
    _text_column(t, "element" if ids else "system", ratio=1)
    for c in ("from", "to"):
        t.add_column(c, no_wrap=True)
    for c in ("peak flow", "capacity", "use"):
        _number_column(t, c)
    for (system, frm, to), r in g.head(ROWS).iterrows():
        t.add_row(str(system), str(frm), str(to), num(r["flow"] * kg_to_mcm, ".1f"),
                  num(r["cap"] * kg_to_mcm, ".1f"), pct(r["util"]))
    return t


def _unserved(net: Network, res: OptimizationResult, ids: bool) -> list[Table]:
    sk = res.tables.get("sinks")
    if sk is None or not len(sk) or "unserved_mcm_d" not in sk:
        return []
    d = sk.reset_index()
    if "period" not in d:
        d["period"] = "p1"
    short = d[d["unserved_mcm_d"] > 1e-6]
    if not len(short):
        return []
    order = list(dict.fromkeys(d["period"]))
    g = short.groupby("id", sort=False).agg(
        unserved=("unserved_mcm_d", "mean"), demand=("demand_kg_s", "mean"),
        periods=("period", lambda p: period_ranges(list(p), order)))
    g = g.sort_values("unserved", ascending=False)
    t = _table("Demand not served (mean over the periods with a shortfall), mcm/d",
               f"... and {len(g) - ROWS} more" if len(g) > ROWS else None)
    _text_column(t, "demand point", ratio=2)
    _number_column(t, "unserved")
    _text_column(t, "periods", ratio=1)
    for i, r in g.head(ROWS).iterrows():
        t.add_row(name_of(net, "sinks", i, ids), num(r["unserved"], ".2f"), r["periods"])
    return [t]


# ---------------------------------------------------------------------------- security
def security_views(net: Network, res: OptimizationResult, ids: bool) -> list[Table]:
    out: list[Table] = []
    n1 = res.tables.get("n1")
    if n1 is not None and len(n1):
        notes = []
        if not n1.get("complete", pd.Series(True, index=n1.index)).astype(bool).all():
            notes.append("* a lower bound: a term is missing in the data (see --out n1.csv)")
        if not np.isfinite(n1["n1_pct"].to_numpy(float)).all():
            notes.append("n/a: D max is 0 (no sink withdraws on the design day)")
        t = _table("N-1 (Regulation (EU) 2017/1938, Annex II), mcm/d",
                   "\n".join(notes) or None)
        _text_column(t, "area")
        for c in ("EP", "P", "S"):
            _number_column(t, c)
        _text_column(t, "largest", ratio=1)
        for c in ("D max", "N-1"):
            _number_column(t, c)
        for area, r in n1.iterrows():
            mark = "" if bool(r.get("complete", True)) else "*"
            t.add_row(str(area), num(r["ep_m_mcm_d"], ".0f"),
                      num(r["p_m_mcm_d"], ".0f"), num(r["s_m_mcm_d"], ".0f"),
                      str(r.get("i_m_name") or r.get("i_m_element") or ""),
                      num(r["d_max_mcm_d"], ".0f"), num(r["n1_pct"], ".0f") + " %" + mark)
        out.append(t)
    hhi = res.tables.get("hhi")
    if hhi is not None and len(hhi):
        t = _table("Supplier dependency: HHI of imports by origin (0-10,000)")
        _text_column(t, "area")
        for c in ("imports mcm/d", "HHI"):
            _number_column(t, c)
        t.add_column("largest origin", no_wrap=True)
        shares = hhi[[c for c in hhi.columns if c.startswith("share_")]]
        for area, r in hhi.iterrows():
            s = shares.loc[area].dropna()
            top = (f"{s.idxmax().removeprefix('share_').removesuffix('_pct')} "
                   f"{s.max():.0f} %") if len(s) and s.max() > 0 else (
                       "no imports" if not r["imports_mcm_d"] else "")
            t.add_row(str(area), num(r["imports_mcm_d"], ".1f"), num(r["hhi"], ".0f"), top)
        out.append(t)
    ot = res.tables.get("outages")
    if ot is not None and len(ot):
        hit = ot[ot["unserved_mcm_d"] > 1e-6]
        worst = hit.sort_values("unserved_mcm_d", ascending=False).drop_duplicates("area")
        worst = worst.set_index("area")
        n_hit = hit.groupby("area")["element"].nunique()
        t = _table("The worst single-element outage of each area: demand not served, mcm/d",
                   f"outages: how many of the {int(ot.groupby('area').size().max())} "
                   "single-element outages leave some demand unserved")
        _text_column(t, "area")
        _text_column(t, "worst outage", ratio=1)
        for c in ("unserved", "share", "outages"):
            _number_column(t, c)
        areas = [a for a in res.summary.get("areas") or [] if a in set(ot["area"])]
        for area in areas or list(dict.fromkeys(ot["area"])):
            if area not in worst.index:
                t.add_row(str(area), "none", num(0.0, ".1f"), pct(0.0), "0")
                continue
            r = worst.loc[area]
            name = r.get("name")
            label = (str(name) if isinstance(name, str) and name.strip() and not ids
                     else name_of(net, str(r["component"]), r["element"], ids))
            t.add_row(str(area), label, num(r["unserved_mcm_d"], ".1f"),
                      pct(r.get("unserved_share")), str(int(n_hit.get(area, 0))))
        out.append(t)
    return out


# ----------------------------------------------------------------------------- generic
#: problem -> [(table, title, columns, sort column or None, filter: keep rows where > 0)]
GENERIC: dict[str, list[tuple[str, str, list[str], str | None, str | None]]] = {
    "ogf": [
        ("compressors", "Compressors, largest power first", ["mass_flow_kg_s", "ratio",
                                                             "power_mw", "p_from_bar",
                                                             "p_to_bar"], "power_mw", None),
        ("junctions", "Pressures, bar, and node prices", ["p_bar", "price_per_kg"], None, None),
        ("sources", "Supplies, kg/s", ["mass_flow_kg_s"], None, None),
        ("sinks", "Deliveries, kg/s", ["mass_flow_kg_s"], None, "mass_flow_kg_s"),
    ],
    "operate": [
        ("decisions", "Decisions", ["component", "mode", "setpoint", "unit", "lower", "upper"],
         None, None),
        ("violations_before", "Bounds broken before (as read)", ["component", "id", "field",
                                                                 "value", "bound"], None, None),
        ("violations", "Bounds broken after", ["component", "id", "field", "value", "bound"],
         None, None),
    ],
    "expansion": [
        ("candidates", "Candidates", ["kind", "construction_cost", "built", "mass_flow_kg_s"],
         None, None),
    ],
}


def generic_views(net: Network, res: OptimizationResult, ids: bool) -> list[Table]:
    from gasunion.cli.render import _cell
    from gasunion.network.schema import COMPONENTS

    out = []
    for name, title, cols, sort, keep in GENERIC.get(res.problem, []):
        df = res.tables.get(name)
        if df is None or not len(df):
            continue
        if keep and keep in df:
            df = df[df[keep].abs() > 1e-9]
        if sort and sort in df:
            df = df.sort_values(sort, ascending=False)
        cols = [c for c in cols if c in df.columns]
        more = f"... and {len(df) - ROWS} more rows" if len(df) > ROWS else None
        t = _table(title, more)
        labelled = not isinstance(df.index, pd.RangeIndex)  # row numbers say nothing
        idx = df.index.name or "id"
        if labelled:
            _text_column(t, "element" if idx == "id" else idx)
        for c in cols:
            if pd.api.types.is_numeric_dtype(df[c]):
                _number_column(t, c)
            else:
                _text_column(t, c)
        comp = name if name in COMPONENTS else None
        for i, r in df.head(ROWS).iterrows():
            label = name_of(net, comp, i, ids) if comp and _unique(net, comp) else str(i)
            cells = [_cell(0.0 if isinstance(v, float) and abs(v) < 1e-6 else v)  # round-off
                     for v in r[cols].tolist()]
            t.add_row(*([label] if labelled else []), *cells)
        out.append(t)
    return out


def _unique(net: Network, component: str) -> bool:
    names = net[component]["name"].astype(str).str.strip()
    return bool(names[names != ""].is_unique)


#: problem -> function returning the tables to print
VIEWS: dict[str, Callable[[Network, OptimizationResult, bool], list[Table]]] = {
    "transport": transport_views,
    "shed": transport_views,
    "security": security_views,
}
