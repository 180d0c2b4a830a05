"""The union ledger: border points and countries of a simulated network, for any network.

* :func:`border_ledger` -- one row per interconnection point and direction of flow;
* :func:`country_ledger` -- per country: production, storage, imports, exports,
  consumption, compressor fuel and transit (gas carried for others);
* :func:`member_trade` -- imports and exports of chosen countries by partner;
* :func:`compare_ledgers` -- one ledger against another scenario's.

Volumes are standard m3 of the network's gas (``net.gas.rho_n``); bcm/y = mcm/d x 365 /
1000 (a daily flow as an annual rate). The rules are documented in ``docs/reports/ledger.md``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

from gasunion.network import Network
from gasunion.reports.tracing import (
    branch_flows,
    element_country,
    origin_mix,
    station_transfers,
    transit_by_country,
)

__all__ = ["border_ledger", "compare_ledgers", "country_ledger", "member_trade"]

#: the capacity source of a border point without an interconnections row
BOUNDS_SOURCE = "network bounds"
_TOL = 1e-9  # kg/s: a smaller flow is no flow

LEDGER_COLUMNS = [
    "border_point", "name", "direction", "from_country", "to_country", "systems",
    "owners_from", "owners_to", "owners", "flow_kg_s", "flow_mcm_d", "flow_bcm_y",
    "capacity_mcm_d", "headroom_mcm_d", "utilisation", "capacity_year", "capacity_source",
    "branches",
]


# ================================================================================ border
def _point_branches(net: Network, res: Any) -> pd.DataFrame:
    """The branches of every border point with the point's definition.

    A branch belongs to the point its ``interconnection`` column names (if the network's
    ``interconnections`` table has that row): the point's border-crossing branches, or all of
    its branches if none crosses a border. Border-crossing branches without a listed point
    are grouped by country pair (fallback: point ``"A-B"``, the pair in alphabetical order,
    capacity from the branches' flow bounds). Columns added: point, def_from, def_to, sign
    (+1 if the branch's from -> to is the point's forward direction), fallback.
    """
    br = branch_flows(net, res)
    jc = net.junctions["country"].fillna("").astype(str)
    fc = br["from_junction"].map(jc).fillna("").astype(str)
    tc = br["to_junction"].map(jc).fillna("").astype(str)
    br["fc"], br["tc"] = fc.to_numpy(), tc.to_numpy()
    br["crossing"] = ((fc != tc) & (fc != "") & (tc != "")).to_numpy()
    ic = net.interconnections
    tagged = br["interconnection"].isin(ic.index) & (br["interconnection"] != "")
    any_cross = br["crossing"].where(tagged, False).groupby(br["interconnection"]).transform("any")
    listed = tagged & (br["crossing"] | ~any_cross.astype(bool))
    loose = br["crossing"] & ~listed
    pair_a = np.minimum(fc, tc).where(loose, "")
    pair_b = np.maximum(fc, tc).where(loose, "")
    br["point"] = br["interconnection"].where(listed, pair_a + "-" + pair_b)
    br["def_from"] = br["point"].map(ic["from_country"]).where(listed, pair_a)
    br["def_to"] = br["point"].map(ic["to_country"]).where(listed, pair_b)
    br["fallback"] = loose
    br = br[listed | loose].copy()
    rev = (((br["fc"] == br["def_to"]) & (br["tc"] != br["def_to"]))
           | ((br["tc"] == br["def_from"]) & (br["fc"] != br["def_from"])))
    br["sign"] = np.where(rev, -1.0, 1.0)
    return br


def _directions(br: pd.DataFrame) -> pd.Series:
    """``forward``/``reverse`` per branch by its flow (point's orientation); a branch without
    flow joins the point's larger flowing direction (``forward`` if none flows)."""
    g = br["sign"] * br["mass_flow_kg_s"]
    fwd = g.clip(lower=0.0).groupby(br["point"]).transform("sum")
    bwd = (-g).clip(lower=0.0).groupby(br["point"]).transform("sum")
    still = np.where(bwd > fwd, "reverse", "forward")
    return pd.Series(np.where(g > _TOL, "forward", np.where(g < -_TOL, "reverse", still)),
                     index=br.index)


def _bound_capacities(br: pd.DataFrame) -> pd.DataFrame:
    """Per fallback point: capacity forward/reverse [kg/s] from the in-service branches'
    bounds (max for from -> to, -min for to -> from); NaN if any branch has no bound."""
    b = br[br["fallback"] & br["in_service"].astype(bool)]
    hi = b["mass_flow_max_kg_s"].to_numpy(float).clip(min=0.0)
    lo = (-b["mass_flow_min_kg_s"].to_numpy(float)).clip(min=0.0)
    fwd = pd.Series(np.where(b["sign"] > 0, hi, lo), index=b.index)
    rev = pd.Series(np.where(b["sign"] > 0, lo, hi), index=b.index)
    caps = pd.DataFrame({"forward": fwd, "reverse": rev, "point": b["point"]})
    total = caps.groupby("point")[["forward", "reverse"]].sum()
    unknown = caps[["forward", "reverse"]].isna().groupby(caps["point"]).any()
    return total.mask(unknown)


def _owners(net: Network, rows: pd.DataFrame, members: pd.DataFrame,
            allbr: pd.DataFrame | None = None) -> pd.DataFrame:
    """Owners on each side of every ledger row: row, side, party, share (shares of a side sum
    to 1).

    A side (country X) is represented by the assets in X next to the border: the branches
    with both ends in X that meet a crossing branch's end junction in X, weighted by their
    flow (equal weights where none flows). Where no such branch exists (e.g. the border
    junction only feeds a sink), the crossing branch stands for the side of its ``country``
    (else of its from-junction's country) and the junction at its other end for the other
    side, weighted by the crossing branch's flow. Owners come from
    :meth:`~gasunion.network.Network.ownership_shares` (joint ventures with their shares).
    """
    jc = net.junctions["country"].fillna("").astype(str)
    m = members.join(rows[["from_country", "to_country"]], on="row")
    # --- the assets next to the border, per side
    sides = []
    for side, col in (("from", "from_country"), ("to", "to_country")):
        ctry = m[col].astype(str).to_numpy()
        junc = np.where(m["fc"].to_numpy() == ctry, m["from_junction"].to_numpy(),
                        np.where(m["tc"].to_numpy() == ctry, m["to_junction"].to_numpy(), ""))
        sides.append(pd.DataFrame({"row": m["row"].to_numpy(), "side": side,
                                   "junction": junc, "country": ctry}))
    bj = pd.concat(sides, ignore_index=True)
    bj = bj[bj["junction"] != ""].drop_duplicates()
    if allbr is None:
        allbr = pd.DataFrame(columns=["component", "id", "from_junction", "to_junction",
                                      "mass_flow_kg_s"])
    afc = allbr["from_junction"].map(jc).fillna("").astype(str).to_numpy()
    atc = allbr["to_junction"].map(jc).fillna("").astype(str).to_numpy()
    inner = allbr[(afc == atc) & (afc != "")]
    adj = pd.concat([inner.assign(junction=inner["from_junction"]),
                     inner.assign(junction=inner["to_junction"])], ignore_index=True)
    near = bj.merge(adj[["junction", "component", "id", "mass_flow_kg_s"]], on="junction")
    near = near.rename(columns={"id": "element"})
    wn = near["mass_flow_kg_s"].abs().to_numpy(float)
    wn = np.where(wn > _TOL, wn, 0.0)
    flowing = pd.Series(wn, index=near.index).groupby(
        [near["row"], near["side"]]).transform("sum").to_numpy() > _TOL
    near["w"] = np.where(flowing, wn, 1.0)
    covered = pd.MultiIndex.from_frame(near[["row", "side"]].drop_duplicates())
    # --- fallback: the crossing branch and the junction at its far end
    own_c = m["country"].fillna("").astype(str)
    own_c = own_c.where(own_c != "", m["fc"])
    own_side = np.where(own_c == m["to_country"], "to", "from")
    end = np.where(own_side == "from",
                   np.where(m["tc"] == m["to_country"], m["to_junction"], m["from_junction"]),
                   np.where(m["fc"] == m["from_country"], m["from_junction"], m["to_junction"]))
    end_ok = pd.Series(end).map(jc).to_numpy() != own_c.to_numpy()
    w = m["mass_flow_kg_s"].abs().to_numpy(float)
    w = np.where(w > _TOL, w, 0.0)
    has_flow = pd.Series(w, index=m.index).groupby(m["row"]).transform("sum").to_numpy() > _TOL
    w = np.where(has_flow, w, 1.0)
    fallback = pd.concat([
        pd.DataFrame({"row": m["row"].to_numpy(), "side": own_side,
                      "component": m["component"].to_numpy(), "element": m["id"].to_numpy(),
                      "w": w}),
        pd.DataFrame({"row": m["row"].to_numpy()[end_ok],
                      "side": np.where(own_side == "from", "to", "from")[end_ok],
                      "component": "junctions", "element": end[end_ok], "w": w[end_ok]}),
    ], ignore_index=True)
    fallback = fallback[~pd.MultiIndex.from_frame(fallback[["row", "side"]]).isin(covered)]
    elements = pd.concat([near[["row", "side", "component", "element", "w"]], fallback],
                         ignore_index=True)
    shares = net.ownership_shares()
    o = elements.merge(shares, on=["component", "element"])
    o["w"] = o["w"] * o["share"]
    o = o.groupby(["row", "side", "party"], as_index=False)["w"].sum()
    o = o[o["w"] > 0]
    # a side with no owned element: the operator the interconnections table names
    ic = net.interconnections
    if len(ic):
        r = rows[rows["border_point"].isin(ic.index)]
        rev = (r["direction"] == "reverse").to_numpy()
        op_from, op_to = (r["border_point"].map(ic[c]).fillna("").to_numpy(object)
                          for c in ("operator_from", "operator_to"))
        ops = pd.DataFrame({"row": np.tile(r.index.to_numpy(), 2),
                            "side": np.repeat(["from", "to"], len(r)),
                            "party": np.concatenate([np.where(rev, op_to, op_from),
                                                     np.where(rev, op_from, op_to)]), "w": 1.0})
        have = pd.MultiIndex.from_frame(o[["row", "side"]])
        ops = ops[(ops["party"] != "")
                  & ~pd.MultiIndex.from_frame(ops[["row", "side"]]).isin(have)]
        o = pd.concat([o, ops], ignore_index=True)
    o["share"] = o["w"] / o.groupby(["row", "side"])["w"].transform("sum")
    return o.sort_values(["row", "side", "share", "party"], ascending=[True, True, False, True])


def _owner_text(o: pd.DataFrame, side: str, index: pd.Index) -> pd.Series:
    s = o[o["side"] == side]
    text = np.where(s["share"] > 1 - 1e-9, s["party"],
                    s["party"] + " " + (100 * s["share"]).round(0).astype(int).astype(str) + "%")
    return pd.Series(text, index=s["row"]).groupby(level=0).agg("; ".join).reindex(index,
                                                                                   fill_value="")


def border_ledger(net: Network, res: Any) -> pd.DataFrame:
    """One row per border point and direction of flow, largest flow first.

    Columns: border_point (id), name, direction (``forward``: the point's from_country ->
    to_country, else ``reverse``), from_country and to_country (in the direction of the
    flow), systems, owners_from / owners_to (``"PARTY"`` or ``"P 50%; Q 50%"``), owners (list
    of ``{"side", "party", "share"}``), flow_kg_s, flow_mcm_d, flow_bcm_y, capacity_mcm_d
    (technical capacity in the flow's direction; NaN: not known), headroom_mcm_d (capacity -
    flow), utilisation (flow / capacity), capacity_year, capacity_source, branches.

    With an ``interconnections`` table, branches are grouped by their ``interconnection``
    column and the capacity is the row's ``capacity_forward_mcm_d`` or
    ``capacity_reverse_mcm_d`` (its source: ``capacity_source``, or of a text ``"forward: X;
    reverse: Y"`` the part of the flow's direction); border-crossing branches outside that
    table are grouped by country pair (``"A-B"``) with the capacity of their flow bounds
    (``network bounds``).
    """
    br = _point_branches(net, res)
    if br.empty:
        numeric = {"flow_kg_s", "flow_mcm_d", "flow_bcm_y", "capacity_mcm_d", "headroom_mcm_d",
                   "utilisation", "capacity_year"}
        return pd.DataFrame({c: pd.Series(dtype=float if c in numeric else object)
                             for c in LEDGER_COLUMNS})
    br["direction"] = _directions(br).to_numpy()
    key = ["point", "direction"]
    flowing = br["sign"] * br["mass_flow_kg_s"] * np.where(br["direction"] == "forward", 1, -1)
    br["kg_s"] = flowing.where(flowing > _TOL, 0.0)
    rows = br.groupby(key, sort=False).agg(
        def_from=("def_from", "first"), def_to=("def_to", "first"),
        fallback=("fallback", "first"), flow_kg_s=("kg_s", "sum"),
        branches=("id", lambda s: "; ".join(s))).reset_index()
    rev = (rows["direction"] == "reverse").to_numpy()
    rows["from_country"] = np.where(rev, rows["def_to"], rows["def_from"])
    rows["to_country"] = np.where(rev, rows["def_from"], rows["def_to"])
    rows = rows.rename(columns={"point": "border_point"})
    ic = net.interconnections
    listed = ~rows["fallback"].to_numpy(bool)
    gas = net.gas
    fwd = rows["border_point"].map(ic["capacity_forward_mcm_d"]).to_numpy(float)
    bwd = rows["border_point"].map(ic["capacity_reverse_mcm_d"]).to_numpy(float)
    bounds = _bound_capacities(br)
    bfwd = gas.mcm_d_from_kg_s(rows["border_point"].map(bounds["forward"]).to_numpy(float))
    bbwd = gas.mcm_d_from_kg_s(rows["border_point"].map(bounds["reverse"]).to_numpy(float))
    rows["capacity_mcm_d"] = np.where(listed, np.where(rev, bwd, fwd), np.where(rev, bbwd, bfwd))
    name = rows["border_point"].map(ic["name"]).fillna("")
    rows["name"] = np.where(listed, name.where(name != "", rows["border_point"]),
                            rows["border_point"] + " border")
    rows["systems"] = np.where(listed, rows["border_point"].map(ic["systems"]).fillna(""), "")
    rows["capacity_year"] = np.where(listed, rows["border_point"].map(ic["capacity_year"]),
                                     np.nan)
    src = rows["border_point"].map(ic["capacity_source"]).fillna("").astype(str)
    parts = src.str.extract(r"^\s*forward:\s*(?P<f>.*?);\s*reverse:\s*(?P<r>.*)$", flags=re.S)
    src = src.where(parts["f"].isna(), np.where(rev, parts["r"], parts["f"]))
    rows["capacity_source"] = np.where(listed, src, BOUNDS_SOURCE)
    rows.loc[np.isnan(rows["capacity_mcm_d"].to_numpy(float)) & ~listed, "capacity_source"] = ""
    rows["flow_mcm_d"] = gas.mcm_d_from_kg_s(rows["flow_kg_s"].to_numpy(float))
    rows["flow_bcm_y"] = rows["flow_mcm_d"] * 365.0 / 1000.0
    cap = rows["capacity_mcm_d"].to_numpy(float)
    rows["headroom_mcm_d"] = cap - rows["flow_mcm_d"]
    with np.errstate(divide="ignore", invalid="ignore"):
        rows["utilisation"] = np.where(cap > 0, rows["flow_mcm_d"] / cap, np.nan)
    # owners: the branches flowing in the row's direction (all the point's for a still row)
    members = br.reset_index(drop=True).merge(
        rows.reset_index()[["index", "border_point", "direction"]].rename(
            columns={"index": "row", "border_point": "point"}), on=key)
    o = _owners(net, rows, members, branch_flows(net, res))
    rows["owners_from"] = _owner_text(o, "from", rows.index).to_numpy()
    rows["owners_to"] = _owner_text(o, "to", rows.index).to_numpy()
    recs = pd.Series(o[["side", "party", "share"]].to_dict(orient="records"), index=o["row"])
    rows["owners"] = recs.groupby(level=0).agg(list).reindex(rows.index).map(
        lambda v: v if isinstance(v, list) else []).to_numpy()
    out = rows[LEDGER_COLUMNS]
    return out.sort_values(["flow_kg_s", "border_point"], ascending=[False, True],
                           kind="stable").reset_index(drop=True)


# =============================================================================== country
def _by_country(values: pd.Series, country: pd.Series) -> pd.Series:
    return values.groupby(country.reindex(values.index).fillna("").to_numpy()).sum()


def country_ledger(net: Network, res: Any, mix: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per country (rows in alphabetical order), bcm/y.

    Columns: country, production_bcm_y (sources, station transfers left out), storage_bcm_y
    (net withdrawal; negative = injection), imports_bcm_y and exports_bcm_y (flows on the
    branches crossing its borders), consumption_bcm_y (its sinks, station transfers left
    out), fuel_bcm_y (compressor fuel: the compressor's ``country``, else its fuel junction's),
    transit_bcm_y (gas of foreign origin leaving the country: proportional-sharing flow
    tracing, :func:`~gasunion.reports.tracing.transit_by_country`), balance_bcm_y
    (production + storage + imports - exports - consumption - fuel; ~0 in a steady state).
    ``mix``: the origin mix if already traced (:func:`~gasunion.reports.tracing.origin_mix`).
    """
    jc = net.junctions["country"].fillna("").astype(str)
    countries = sorted(set(jc) - {""})
    transfers = station_transfers(net)
    sinks_out, sources_out = {s for s, _ in transfers}, {q for _, q in transfers}
    cols: dict[str, pd.Series] = {}
    for comp, col, skip in (("sources", "production", sources_out),
                            ("storages", "storage", set()), ("sinks", "consumption", sinks_out)):
        t = res[comp]
        m = t["mass_flow_kg_s"][~t.index.isin(list(skip))] if len(t) else pd.Series(dtype=float)
        cols[col] = _by_country(m.fillna(0.0), element_country(net, comp)) if len(m) else (
            pd.Series(dtype=float))
    c = net.compressors
    if len(res.compressors):
        fj = c["fuel_junction"].where(c["fuel_junction"] != "", c["from_junction"])
        where = c["country"].where(c["country"] != "", fj.map(jc)).fillna("")
        cols["fuel"] = _by_country(res.compressors["fuel_kg_s"].fillna(0.0), where)
    br = branch_flows(net, res)
    f = br["mass_flow_kg_s"].to_numpy(float)
    tail = np.where(f >= 0, br["from_junction"], br["to_junction"])
    head = np.where(f >= 0, br["to_junction"], br["from_junction"])
    e = pd.DataFrame({"t": pd.Series(tail).map(jc).fillna(""),
                      "h": pd.Series(head).map(jc).fillna(""), "kg_s": np.abs(f)})
    e = e[(e["t"] != e["h"]) & (e["t"] != "") & (e["h"] != "")]
    cols["exports"] = e.groupby("t")["kg_s"].sum()
    cols["imports"] = e.groupby("h")["kg_s"].sum()
    mix = origin_mix(net, res, transfers=transfers) if mix is None else mix
    cols["transit"] = transit_by_country(net, res, mix)
    order = ["production", "storage", "imports", "exports", "consumption", "fuel", "transit"]
    kg = pd.DataFrame({k: cols.get(k, pd.Series(dtype=float)) for k in order})
    kg = kg.reindex(countries).fillna(0.0)
    kg["balance"] = (kg["production"] + kg["storage"] + kg["imports"] - kg["exports"]
                     - kg["consumption"] - kg["fuel"])
    out = pd.DataFrame(net.gas.bcm_y_from_kg_s(kg.to_numpy(float)), index=kg.index,
                       columns=[f"{k}_bcm_y" for k in kg.columns])
    return out.rename_axis("country").reset_index()


def member_trade(ledger: pd.DataFrame, members: Iterable[str] | None = None) -> pd.DataFrame:
    """Imports and exports of each member by partner country, from a :func:`border_ledger`.

    Columns: member, partner, imports_bcm_y, exports_bcm_y, net_imports_bcm_y. ``members``:
    the countries to list (default every country of the ledger).
    """
    imp = ledger.groupby(["to_country", "from_country"])["flow_bcm_y"].sum()
    exp = ledger.groupby(["from_country", "to_country"])["flow_bcm_y"].sum()
    imp.index.names = exp.index.names = ["member", "partner"]
    t = pd.DataFrame({"imports_bcm_y": imp, "exports_bcm_y": exp}).fillna(0.0)
    if members is not None:
        t = t[t.index.get_level_values("member").isin(list(members))]
    t["net_imports_bcm_y"] = t["imports_bcm_y"] - t["exports_bcm_y"]
    return t.reset_index().sort_values(["member", "partner"]).reset_index(drop=True)


# =============================================================================== compare
_KEYS = (["border_point", "from_country", "to_country"], ["member", "partner"], ["country"])


def compare_ledgers(a: pd.DataFrame, b: pd.DataFrame, label: str = "other") -> pd.DataFrame:
    """Ledger ``a`` against ledger ``b`` (another scenario) of the same kind.

    Rows of either (matched on border point and direction, member and partner, or country);
    for every flow column (``flow_*``, ``*_bcm_y``) the value in ``a`` (0 if the row is only
    in ``b``), ``<column>_<label>`` (its value in ``b``) and ``<column>_change`` (a - b).
    """
    keys = next(k for k in _KEYS if set(k) <= set(a.columns))
    values = [c for c in a.columns if c.startswith("flow_") or c.endswith("_bcm_y")]
    m = a.merge(b, on=keys, how="outer", suffixes=("", f"_{label}"), indicator=True)
    only_b = (m["_merge"] == "right_only").to_numpy()
    for c in a.columns:
        if c not in keys and f"{c}_{label}" in m:
            m.loc[only_b, c] = m.loc[only_b, f"{c}_{label}"]
    for c in values:
        m.loc[only_b, c] = 0.0
        other = m[f"{c}_{label}"].astype(float).fillna(0.0)
        m[f"{c}_{label}"] = other
        m[f"{c}_change"] = m[c].astype(float) - other
    keep = list(a.columns) + [x for c in values for x in (f"{c}_{label}", f"{c}_change")]
    return m[keep].reset_index(drop=True)
