"""Capacities per direction and year: interconnections and branch bounds (internal).

``capacities.csv`` gives, per interconnection (border point) or corridor and direction, the
capacity stages with their start dates; ``pipelines.csv`` gives design capacities. For a
scenario year (``defaults.csv`` capacity_year: the stage in force on 31 December):

* every group of parallel rows gets a capacity per direction: the stage of capacities.csv
  for its rows, else the design capacity in the direction its stations face
  (``defaults.csv`` capacity_direction);
* that capacity is split over the group's in-service strings of each section as a
  flow splits at equal pressure drop (capacity_split) into ``mass_flow_max_kg_s``
  (forward) and ``mass_flow_min_kg_s``
  (= -reverse) of every pipe;
* the network's ``interconnections`` table gets one row per border point (readable name,
  countries, capacities in mcm/d per direction, year, source, systems, operators) and the
  crossing branches their ``interconnection``.
"""

from __future__ import annotations

import math
from functools import cache

import numpy as np
import pandas as pd

from gasunion.datasets._ca_data import _nodes, _num, _pipelines, _read
from gasunion.network import Network
from gasunion.physics.friction import friction_factor, reynolds

_FWD_OPS = ("forward", "passive")
_REV_OPS = ("reverse", "passive")


def _stage_date(s: pd.Series) -> pd.Series:
    txt = s.str.strip()
    txt = txt.where(txt.str.len() != 4, txt + "-01-01")
    txt = txt.where(txt.str.len() != 7, txt + "-01")
    return pd.to_datetime(txt, format="%Y-%m-%d")


def capacity_stages(year: int) -> pd.DataFrame:
    """The capacities.csv stages in force on 31 December of ``year`` (one per
    interconnection, rows and direction), with ``rows`` as a list."""
    c = _read("capacities").copy()
    c["date"] = _stage_date(c["year_from"])
    c = c[c["date"] <= pd.Timestamp(year=year, month=12, day=31)]
    c = c.sort_values("date").groupby(["interconnection", "rows", "direction"], sort=False).tail(1)
    c["row_list"] = c["rows"].str.split(";").apply(lambda xs: [x.strip() for x in xs])
    c["capacity"] = _num(c["capacity_mcm_d"])
    return c.reset_index(drop=True)


@cache
def _row_capacities() -> dict[str, tuple[float, str, str]]:
    """Per pipeline row: (design capacity bcm/y, basis ``row``/``system``/``""``, system).

    A row without a figure takes its system's figure where one is stated on another row
    (e.g. CAC 60.2 bcm/y), with basis ``system``; NaN if none is sourced.
    """
    p = _pipelines()
    cap = _num(p["design_capacity_bcm_y"])
    system_cap = cap[p["capacity_basis"] == "system"].groupby(p["system"]).max()
    basis = p["capacity_basis"].where(cap.notna(),
                                      np.where(p["system"].isin(system_cap.index), "system", ""))
    cap = cap.fillna(p["system"].map(system_cap))
    return {rid: (float(c), str(b), str(s))
            for rid, c, b, s in zip(p.index, cap, basis, p["system"], strict=True)}


def _capacity(row_ids: list[str]) -> float:
    """Design capacity [bcm/y] of parallel rows: row figures summed, system figures once.
    NaN if none is sourced."""
    table = _row_capacities()
    rows = [table[r] for r in row_ids if r in table]
    if not rows or all(math.isnan(c) for c, _, _ in rows):
        return math.nan
    own = sum(c for c, b, _ in rows if b == "row" and not math.isnan(c))
    shared: dict[str, float] = {}
    for c, b, system in rows:
        if b == "system" and not math.isnan(c):
            shared[system] = max(c, shared.get(system, -math.inf))
    return float(own + sum(shared.values()))


def group_capacities(net: Network, year: int) -> pd.DataFrame:
    """Per group of parallel rows (in service): capacity forward / reverse in mcm/d and
    their basis. Index: group; columns rows, forward_mcm_d, reverse_mcm_d, forward_basis,
    reverse_basis."""
    rows = pd.Series(net.meta.get("branch_row", {}), dtype=object)
    groups: dict[str, str] = net.meta.get("row_group", {})
    p = net.pipes
    on = p.index[p["in_service"].astype(bool) & p.index.isin(rows.index)]
    used = sorted(set(rows[on]))
    pip = _pipelines()
    ops: dict[str, str] = net.meta.get("row_operation", {})
    g = pd.DataFrame({"row": used, "group": [groups[r] for r in used]})
    out = []
    stages = capacity_stages(year)
    for grp, rs in g.groupby("group")["row"]:
        rl = sorted(rs)
        design = _capacity(rl) * 1000.0 / 365.0
        src = "; ".join(sorted({s for r in rl for s in [pip.at[r, "source"].split(" ; ")[0]]}))
        rec = {"group": grp, "rows": rl}
        for d, okops in (("forward", _FWD_OPS), ("reverse", _REV_OPS)):
            any_ok = any(ops.get(r, "passive") in okops for r in rl)
            st = stages[(stages["direction"] == d)
                        & stages["row_list"].apply(lambda xs, rl=rl: bool(set(xs) & set(rl)))]
            if len(st):
                rec[f"{d}_mcm_d"] = float(st["capacity"].min())
                rec[f"{d}_basis"] = ("capacities.csv " + st["interconnection"].iloc[0] + " " + d
                                     + " from " + st["year_from"].iloc[0] + ": "
                                     + st["source"].iloc[0].split(" ; ")[0])
            elif math.isfinite(design):
                rec[f"{d}_mcm_d"] = design if any_ok else 0.0
                rec[f"{d}_basis"] = (("design capacity of pipelines.csv " + " + ".join(rl) + " (" + src
                                      + ")") if any_ok else
                                     "estimate: 0 against the direction of its stations (no reverse "
                                     "capability reported)") + " (defaults capacity_direction)"
            else:
                rec[f"{d}_mcm_d"] = math.nan
                rec[f"{d}_basis"] = "not known"
        out.append(rec)
    return pd.DataFrame(out).set_index("group")


def apply_branch_bounds(net: Network, year: int) -> None:
    """Per-direction bounds of every in-service pipe (module docstring)."""
    gc = group_capacities(net, year)
    rows = pd.Series(net.meta.get("branch_row", {}), dtype=object)
    groups = pd.Series(net.meta.get("row_group", {}), dtype=object)
    sections = pd.Series(net.meta.get("branch_section", {}), dtype=float)
    pipes = net.pipes.copy()
    p = pipes[pipes["in_service"].astype(bool) & pipes.index.isin(rows.index)]
    grp = rows.reindex(p.index).map(groups)
    gas = net.gas
    key = [grp, sections.reindex(p.index)]
    total = {d: gas.kg_s_from_mcm_d(grp.map(gc[f"{d}_mcm_d"]).to_numpy(float))
             for d in ("forward", "reverse")}
    fwd = total["forward"] * _split(p, key, np.nan_to_num(total["forward"]), gas.viscosity_pa_s)
    rev = total["reverse"] * _split(p, key, np.nan_to_num(total["reverse"]), gas.viscosity_pa_s)
    pipes.loc[p.index, "mass_flow_max_kg_s"] = fwd
    pipes.loc[p.index, "mass_flow_min_kg_s"] = -rev
    basis = ("forward: " + grp.map(gc["forward_basis"]) + "; reverse: " + grp.map(gc["reverse_basis"]))
    pipes.loc[p.index, "note"] = (pipes.loc[p.index, "note"].astype(str) + " | bounds " + str(year)
                                  + " (capacity per direction, shared over the parallel strings as "
                                  "at equal pressure drop: defaults capacity_split): " + basis)
    net["pipes"] = pipes


def _split(p: pd.DataFrame, key: list[pd.Series], total: np.ndarray, mu: float) -> np.ndarray:
    """Share of each parallel string in its group's section flow at equal pressure drop:
    ``m ~ sqrt(D^5 / (lambda L))`` with Colebrook friction at the string's own share of
    ``total`` (two fixed-point steps from the D^2.5 split; defaults capacity_split)."""
    d = p["diameter_mm"].to_numpy(float) / 1000.0
    length = p["length_km"].to_numpy(float)
    k = p["roughness_mm"].to_numpy(float) / 1000.0
    w = pd.Series(d**2.5 / np.sqrt(length), index=p.index)
    share = (w / w.groupby(key).transform("sum")).to_numpy(float)
    for _ in range(2):
        m = np.maximum(total * share, 1e-3)
        lam = friction_factor("colebrook", reynolds(m, d, mu), d, k)[0]
        w = pd.Series(np.sqrt(d**5 / (lam * length)), index=p.index)
        share = (w / w.groupby(key).transform("sum")).to_numpy(float)
    return share


@cache
def border_points() -> pd.DataFrame:
    """Per pipeline row: its border point (the border node where it crosses; else the row id)."""
    p = _pipelines()
    n = _nodes()
    row_country = p["countries"].str.split(";").str[0].str.strip()
    ends = pd.DataFrame({"from": p["from_node"], "to": p["to_node"]})
    is_border = ends.apply(lambda c: c.map(n["kind"]).eq("border"))
    crosses = ends.apply(lambda c: c.map(n["country"])).ne(row_country, axis=0)
    pick = np.where(is_border["to"] & crosses["to"], p["to_node"],
                    np.where(is_border["from"] & crosses["from"], p["from_node"],
                             np.where(is_border["to"], p["to_node"],
                                      np.where(is_border["from"], p["from_node"], p.index))))
    out = pd.DataFrame({"border_point": pick}, index=p.index)
    out["name"] = out["border_point"].map(n["name"]).fillna(out.index.to_series().map(p["name"]))
    return out


def crossing_branches(net: Network) -> pd.DataFrame:
    """The border-crossing branches with their interconnection id and name (Line D: one
    point per country pair)."""
    bp = net.border_points()
    bp = bp[bp["component"] != "junctions"].copy()
    bp["row"] = bp.index.map(pd.Series(net.meta.get("branch_row", {}), dtype=object))
    bp = bp[bp["row"].notna()]
    pts = border_points()
    pip = _pipelines()
    bp["interconnection"] = bp["row"].map(pts["border_point"])
    bp["name"] = bp["row"].map(pts["name"])
    multi = bp["row"].map(pip["country_km"]) != ""
    pair = bp["from_country"] + "-" + bp["to_country"]
    bp.loc[multi, "interconnection"] = bp["row"] + " " + pair
    bp.loc[multi, "name"] = bp["row"].map(pip["system_name"]) + " " + pair + " (section point)"
    return bp


def add_interconnections(net: Network, year: int) -> None:
    """Fill ``net.interconnections`` and the crossing branches' ``interconnection``."""
    cb = crossing_branches(net)
    if cb.empty:
        return
    pip = _pipelines()
    gc = group_capacities(net, year)
    groups = pd.Series(net.meta.get("row_group", {}), dtype=object)
    stages = capacity_stages(year)
    recs = []
    for ic, b in cb.groupby("interconnection", sort=True):
        rows = sorted(set(b["row"]))
        on = [r for r in rows if r in set(net.meta.get("rows_in_service", []))]
        rec: dict[str, object] = {
            "id": ic, "name": str(b["name"].iloc[0]),
            "from_country": str(b["from_country"].iloc[0]), "to_country": str(b["to_country"].iloc[0]),
            "capacity_year": float(year),
            "systems": ", ".join(sorted({str(pip.at[r, "system_name"]) for r in rows})),
        }
        srcs = []
        for d in ("forward", "reverse"):
            st = stages[(stages["interconnection"] == ic) & (stages["direction"] == d)]
            on_set = set(on)
            st = st[st["row_list"].apply(lambda xs, on_set=on_set: bool(set(xs) & on_set))]
            if len(st):
                val = float(st["capacity"].sum())
                srcs += [f"{d}: capacities.csv from {y} ({s.split(' ; ')[0]})"
                         for y, s in zip(st["year_from"], st["source"], strict=True)]
            else:
                gs = sorted({groups[r] for r in on})
                vals = [float(gc.at[g, f"{d}_mcm_d"]) for g in gs if g in gc.index]
                val = float(np.sum(vals)) if vals and all(np.isfinite(vals)) else math.nan
                if gs and math.isfinite(val):
                    srcs.append(f"{d}: " + str(gc.at[gs[0], f"{d}_basis"]))
            rec[f"capacity_{d}_mcm_d"] = val
        rec["capacity_source"] = "; ".join(srcs) if srcs else "not known"
        fc, tc = rec["from_country"], rec["to_country"]
        rec["operator_from"] = _side_operator(net, b, str(fc))
        rec["operator_to"] = _side_operator(net, b, str(tc))
        recs.append(rec)
    net.add_table("interconnections", pd.DataFrame(recs).set_index("id"))
    for comp, sub in cb.groupby("component"):
        df = net[str(comp)].copy()
        df.loc[sub.index, "interconnection"] = sub["interconnection"]
        net[str(comp)] = df


def _side_operator(net: Network, b: pd.DataFrame, country: str) -> str:
    """The operator on one side of a border point: the owner of the in-service pipes of that
    country touching the crossing branches' ends, else the owner of the country's junctions."""
    ends = set(b["from_junction"]) | set(b["to_junction"])
    p = net.pipes
    near = p[(p["from_junction"].isin(ends) | p["to_junction"].isin(ends)) & (p["country"] == country)]
    if len(near):
        return str(near["owner"].value_counts().index[0])
    j = net.junctions
    own = j.loc[j.index.isin(ends) & (j["country"] == country), "owner"]
    return str(own.iloc[0]) if len(own) else ""
