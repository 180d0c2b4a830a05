"""What ``gasunion optimize ...`` shows on the terminal: a few headline tables per problem,
80 columns wide, readable names; every table in full goes to ``--out DIR`` or ``--json``.

Month-by-month views (transport) pivot periods into columns when there are at most 12 of
them, else show the minimum, mean and maximum over the periods.
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
    """``2023-01`` -> ``Jan``; other period names as they are (shortened to 6 characters)."""
    m = re.fullmatch(r"\d{4}-(\d{2})", str(period))
    return MONTHS.get(m.group(1), str(period)) if m else str(period)[:6]


def _short(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


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
    t.add_column(row_label)
    if len(periods) <= 12:
        for p in periods:
            t.add_column(_label(p), justify="right")
        for row, r in wide.iterrows():
            t.add_row(_short(str(row), 16), *(num(v, spec) for v in r.to_numpy()))
    else:
        for c in ("min", "mean", "max"):
            t.add_column(c, justify="right")
        for row, r in wide.iterrows():
            v = r.to_numpy(float)
            t.add_row(_short(str(row), 30), num(np.nanmin(v), spec), num(np.nanmean(v), spec),
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
    """Border points grouped by pipeline system and direction: peak flow against the
    capacity in that direction."""
    d = b.reset_index()
    comp = d["component"].to_numpy()
    d["system"] = [system_name(name_of(net, c, i, ids)) for c, i in zip(comp, d["id"],
                                                                        strict=True)]
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
    t = data_table("Border points: peak flow and capacity in the flow's direction, mcm/d",
                   f"... and {len(g) - ROWS} more" if len(g) > ROWS else None)
    for c, j in (("system", "left"), ("from", "left"), ("to", "left"), ("peak flow", "right"),
                 ("capacity", "right"), ("use", "right")):
        t.add_column(c, justify=j)  # type: ignore[arg-type]
    for (system, frm, to), r in g.head(ROWS).iterrows():
        t.add_row(_short(str(system), 34), str(frm), str(to), num(r["flow"] * kg_to_mcm, ".1f"),
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
    g = short.groupby("id", sort=False).agg(
        unserved=("unserved_mcm_d", "mean"), demand=("demand_kg_s", "mean"),
        periods=("period", lambda p: ", ".join(_label(x) for x in p)))
    g = g.sort_values("unserved", ascending=False)
    t = data_table("Demand not served (mean over the periods with a shortfall), mcm/d",
                   f"... and {len(g) - ROWS} more" if len(g) > ROWS else None)
    for c, j in (("demand point", "left"), ("unserved", "right"), ("periods", "left")):
        t.add_column(c, justify=j, overflow="fold")  # type: ignore[arg-type]
    for i, r in g.head(ROWS).iterrows():
        t.add_row(_short(name_of(net, "sinks", i, ids), 34), num(r["unserved"], ".2f"),
                  _short(r["periods"], 30))
    return [t]


# ---------------------------------------------------------------------------- security
def security_views(net: Network, res: OptimizationResult, ids: bool) -> list[Table]:
    out: list[Table] = []
    n1 = res.tables.get("n1")
    if n1 is not None and len(n1):
        t = _table("N-1 (Regulation (EU) 2017/1938, Annex II), mcm/d",
                       "* a lower bound: a term is missing in the data (see --out n1.csv)")
        for c in ("area", "EP", "P", "S", "largest", "D max", "N-1"):
            t.add_column(c, justify="left" if c in ("area", "largest") else "right")
        for area, r in n1.iterrows():
            mark = "" if bool(r.get("complete", True)) else "*"
            t.add_row(_short(str(area), 16), num(r["ep_m_mcm_d"], ".0f"),
                      num(r["p_m_mcm_d"], ".0f"), num(r["s_m_mcm_d"], ".0f"),
                      _short(str(r.get("i_m_name") or r.get("i_m_element") or ""), 20),
                      num(r["d_max_mcm_d"], ".0f"), num(r["n1_pct"], ".0f") + " %" + mark)
        out.append(t)
    hhi = res.tables.get("hhi")
    if hhi is not None and len(hhi):
        t = _table("Supplier dependency: HHI of imports by origin (0-10,000)")
        for c in ("area", "imports mcm/d", "HHI", "largest origin"):
            t.add_column(c, justify="left" if c in ("area", "largest origin") else "right")
        shares = hhi[[c for c in hhi.columns if c.startswith("share_")]]
        for area, r in hhi.iterrows():
            s = shares.loc[area].dropna()
            top = (f"{s.idxmax().removeprefix('share_').removesuffix('_pct')} "
                   f"{s.max():.0f} %") if len(s) and s.max() > 0 else ""
            t.add_row(_short(str(area), 16), num(r["imports_mcm_d"], ".1f"),
                      num(r["hhi"], ".0f"), top)
        out.append(t)
    ot = res.tables.get("outages")
    if ot is not None and len(ot):
        hit = ot[ot["unserved_mcm_d"] > 1e-6]
        worst = hit.sort_values("unserved_mcm_d", ascending=False).drop_duplicates("area")
        n_hit = hit.groupby("area")["element"].nunique()
        t = _table("The worst single-element outage of each area: demand not served, mcm/d",
                   "outages: how many single-element outages leave some demand unserved")
        for c, j in (("area", "left"), ("worst outage", "left"), ("unserved", "right"),
                     ("share", "right"), ("outages", "right")):
            t.add_column(c, justify=j)  # type: ignore[arg-type]
        for _, r in worst.iterrows():
            name = r.get("name")
            label = (str(name) if isinstance(name, str) and name.strip() and not ids
                     else name_of(net, str(r["component"]), r["element"], ids))
            t.add_row(_short(str(r["area"]), 16), _short(label, 34),
                      num(r["unserved_mcm_d"], ".1f"), pct(r.get("unserved_share")),
                      str(int(n_hit.get(r["area"], 0))))
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
            t.add_column("element" if idx == "id" else idx)
        for c in cols:
            t.add_column(c, justify="right" if pd.api.types.is_numeric_dtype(df[c]) else "left")
        comp = name if name in COMPONENTS else None
        for i, r in df.head(ROWS).iterrows():
            label = name_of(net, comp, i, ids) if comp and _unique(net, comp) else str(i)
            cells = [_cell(0.0 if isinstance(v, float) and abs(v) < 1e-6 else v)  # round-off
                     for v in r[cols].tolist()]
            t.add_row(*([_short(label, 28)] if labelled else []), *cells)
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
