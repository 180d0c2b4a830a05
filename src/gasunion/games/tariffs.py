"""Transit tariffs: postage stamp, capacity-weighted distance and the Shapley-fair fee.

Reference-price methods of Commission Regulation (EU) 2017/460 (TAR NC) on a set of entry
and exit points with forecast contracted capacities and an allowed capacity revenue R:

* **postage stamp**: one price per unit of capacity for all entries (``R_en / sum CAP_en``)
  and one for all exits (``R_ex / sum CAP_ex``);
* **capacity-weighted distance** (Art. 8): per entry the weighted average distance to all
  exits ``AD_en = sum_ex CAP_ex D_en,ex / sum_ex CAP_ex`` (likewise per exit over the
  entries), weight of cost ``W_en = CAP_en AD_en / sum CAP AD``, reference price
  ``T_en = W_en R_en / CAP_en``; entry-exit split 50/50 by default. Combinations that cannot
  be combined in a flow scenario (``feasible`` False) are left out (Art. 8(2)). Every
  entry's (exit's) price per unit of distance ``T / AD`` is the same.

:func:`network_points` finds a country's entry and exit points on a network (its border
points by direction, domestic sinks and sources) and the shortest pipeline distances
between them; :func:`fair_transit_fee` is the per-unit fee that pays a transit country its
Shapley gain.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import dijkstra

from gasunion.network import Network

__all__ = ["cwd", "fair_transit_fee", "network_points", "postage_stamp"]


def _caps(cap: pd.Series | np.ndarray, name: str) -> pd.Series:
    s = pd.Series(cap, dtype=float)
    if (s < 0).any() or not np.isfinite(s).all():
        raise ValueError(f"{name}: capacities must be finite and >= 0")
    return s


def postage_stamp(cap_entry: pd.Series, cap_exit: pd.Series, revenue: float,
                  entry_share: float = 0.5) -> pd.DataFrame:
    """Postage-stamp reference prices: columns side, capacity, price, revenue (revenue per
    unit of capacity, in the revenue's currency per capacity unit)."""
    en, ex = _caps(cap_entry, "cap_entry"), _caps(cap_exit, "cap_exit")
    r_en, r_ex = revenue * entry_share, revenue * (1.0 - entry_share)
    rows = [pd.DataFrame({"side": "entry", "capacity": en, "price": r_en / en.sum()}),
            pd.DataFrame({"side": "exit", "capacity": ex, "price": r_ex / ex.sum()})]
    out = pd.concat(rows)
    out["revenue"] = out["price"] * out["capacity"]
    out.index.name = "point"
    return out


def cwd(distance: pd.DataFrame, cap_entry: pd.Series, cap_exit: pd.Series, revenue: float,
        entry_share: float = 0.5, feasible: pd.DataFrame | None = None) -> pd.DataFrame:
    """Capacity-weighted-distance reference prices (Regulation (EU) 2017/460, Art. 8).

    ``distance``: entries (rows) x exits (columns) [km]; ``cap_entry``/``cap_exit``:
    forecast contracted capacity per point; ``revenue``: the capacity revenue to recover;
    ``entry_share``: the entry-exit split (0.5); ``feasible``: same shape, False where an
    entry cannot be combined with an exit. Columns: side, capacity, avg_distance_km,
    weight, revenue, price (revenue per unit of capacity), price_per_km.
    """
    en = _caps(cap_entry, "cap_entry").reindex(distance.index)
    ex = _caps(cap_exit, "cap_exit").reindex(distance.columns)
    if en.isna().any() or ex.isna().any():
        raise ValueError("cap_entry / cap_exit must name every row / column of distance")
    D = distance.to_numpy(float)
    ok = np.ones_like(D, dtype=bool) if feasible is None else feasible.reindex_like(
        distance).fillna(False).to_numpy(bool)
    ce, cx = en.to_numpy(), ex.to_numpy()
    wx = np.where(ok, cx[None, :], 0.0)                      # exits seen from each entry
    we = np.where(ok, ce[:, None], 0.0)                      # entries seen from each exit
    ad_en = (wx * np.where(ok, D, 0.0)).sum(axis=1) / wx.sum(axis=1)
    ad_ex = (we * np.where(ok, D, 0.0)).sum(axis=0) / we.sum(axis=0)
    out = []
    for side, cap, ad, r in (("entry", ce, ad_en, revenue * entry_share),
                             ("exit", cx, ad_ex, revenue * (1.0 - entry_share))):
        w = cap * ad / (cap * ad).sum()
        rev = w * r
        price = np.divide(rev, cap, out=np.zeros_like(rev), where=cap > 0)
        out.append(pd.DataFrame({"side": side, "capacity": cap, "avg_distance_km": ad,
                                 "weight": w, "revenue": rev, "price": price,
                                 "price_per_km": price / ad},
                                index=distance.index if side == "entry" else distance.columns))
    t = pd.concat(out)
    t.index.name = "point"
    return t


def network_points(net: Network, country: str) -> tuple[pd.DataFrame, list[str], list[str]]:
    """The entry and exit points of ``country``'s system on ``net`` and the shortest
    pipeline distances [km] between them (pipes of the country only; other branches count
    0 km): ``(distance entries x exits, entries, exits)``. Entries: border branches into the
    country (by their to-junction) and its sources; exits: border branches out of it and its
    sinks. Unreachable pairs are NaN (pass ``feasible=distance.notna()`` to :func:`cwd`)."""
    j = net.junctions
    idx = pd.Index(j.index)
    br = net.branches()
    a = idx.get_indexer(br["from_junction"])
    b = idx.get_indexer(br["to_junction"])
    km = pd.Series(0.0, index=br.index)
    if len(net.pipes):
        km.loc[net.pipes.index] = net.pipes["length_km"].to_numpy(float)
    jc = j["country"].astype(str)
    inside = (jc.iloc[a].to_numpy() == country) & (jc.iloc[b].to_numpy() == country)
    g = coo_matrix((km.to_numpy()[inside] + 1e-9, (a[inside], b[inside])),
                   shape=(len(idx), len(idx)))
    bp = net.border_points()
    bp = bp[bp["component"] != "junctions"]
    ent = {f"{r.from_country}>{country} {i}": r.to_junction for i, r in bp.iterrows()
           if r.to_country == country}
    ext = {f"{country}>{r.to_country} {i}": r.from_junction for i, r in bp.iterrows()
           if r.from_country == country}
    ent.update({f"source {i}": r.junction for i, r in net.sources.iterrows()
                if jc.get(r.junction) == country})
    ext.update({f"sink {i}": r.junction for i, r in net.sinks.iterrows()
                if jc.get(r.junction) == country})
    src = idx.get_indexer(list(ent.values()))
    dist = dijkstra(g, directed=False, indices=src) if len(src) else np.zeros((0, len(idx)))
    D = dist[:, idx.get_indexer(list(ext.values()))] if len(src) else np.zeros((0, len(ext)))
    D = np.where(np.isfinite(D), D, np.nan)
    return (pd.DataFrame(D, index=list(ent), columns=list(ext)), list(ent), list(ext))


def fair_transit_fee(shapley_gain: pd.Series, transit_bcm_y: pd.Series,
                     min_transit: float = 1.0) -> pd.Series:
    """Per-unit transit fee [value unit per bcm; million USD/bcm = USD per kcm] that pays
    each transit country its Shapley gain (Shapley value - stand-alone value) on the gas it
    carries for others; NaN below ``min_transit`` bcm/y."""
    vol = transit_bcm_y.reindex(shapley_gain.index).astype(float)
    return (shapley_gain / vol).where(vol >= min_transit).rename("fair_fee")
