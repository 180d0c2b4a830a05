"""The ledger's map: the network over country borders, flows, owners and border headroom.

:func:`ledger_map` draws with matplotlib (Agg, no display needed) over the country outlines
shipped in :mod:`gasunion.datasets.outlines`:

* each line is a junction pair (parallel branches summed); its width grows with the flow;
* its colour is the owner (the ``owner`` column, or the ``ownership`` table for joint
  ventures): the party with the largest share, weighted by each branch's flow; where a second
  party holds at least a quarter (a joint venture), a dashed line in its colour runs on top;
* every border point of the :func:`~gasunion.reports.ledger.border_ledger` is a marker (green:
  below 80 % of capacity, orange: 80-100 %, red: above, grey: capacity unknown) labelled with
  its direction, flow and headroom in mcm/d.

Networks without latitude/longitude are drawn on their x/y coordinates without borders.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from gasunion.network import Network
from gasunion.reports.tracing import branch_flows

__all__ = ["ledger_map"]

_LAND, _EDGE, _STILL = "#f3f0e8", "#9a968c", "#b8b8b8"
#: owner colours (matplotlib tab10, then Dark2), most important owner first
_PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
            "#7f7f7f", "#bcbd22", "#17becf", "#1b9e77", "#d95f02", "#7570b3", "#e7298a",
            "#66a61e", "#e6ab02", "#a6761d")
_STATUS = (("#2e7d32", "below 80 % of capacity"), ("#ef6c00", "80-100 % of capacity"),
           ("#c62828", "above capacity"), ("#8a8a8a", "capacity unknown"))


def _coords(net: Network) -> tuple[pd.DataFrame, bool]:
    j = net.junctions
    lonlat = j["lon"].notna() & j["lat"].notna()
    if lonlat.sum() >= 2:
        return pd.DataFrame({"x": j["lon"], "y": j["lat"]}), True
    return pd.DataFrame({"x": j["x"], "y": j["y"]}), False


def _segments(net: Network, res: Any, xy: pd.DataFrame) -> pd.DataFrame:
    """Junction pairs: x0, y0, x1, y1, mcm_d (|net flow|), owner, second (JV partner or "")."""
    br = branch_flows(net, res)
    a = np.minimum(br["from_junction"], br["to_junction"])
    b = np.maximum(br["from_junction"], br["to_junction"])
    sign = np.where(br["from_junction"] == a, 1.0, -1.0)
    br = br.assign(a=a, b=b, signed=sign * br["mass_flow_kg_s"].to_numpy(float),
                   w=np.abs(br["mass_flow_kg_s"].to_numpy(float)) + 1e-6)
    seg = br.groupby(["a", "b"])["signed"].sum().abs().rename("kg_s").reset_index()
    shares = net.ownership_shares()
    o = br[["component", "id", "a", "b", "w"]].merge(
        shares.rename(columns={"element": "id"}), on=["component", "id"])
    o["w"] = o["w"] * o["share"]
    o = o.groupby(["a", "b", "party"], as_index=False)["w"].sum()
    o["rank"] = o.sort_values(["w", "party"], ascending=[False, True]).groupby(
        ["a", "b"]).cumcount()
    o["frac"] = o["w"] / o.groupby(["a", "b"])["w"].transform("sum")
    first = o[o["rank"] == 0].set_index(["a", "b"])["party"]
    second = o[(o["rank"] == 1) & (o["frac"] >= 0.25)].set_index(["a", "b"])["party"]
    key = pd.MultiIndex.from_frame(seg[["a", "b"]])
    seg["owner"] = first.reindex(key).fillna("").to_numpy()
    seg["second"] = second.reindex(key).fillna("").to_numpy()
    seg["mcm_d"] = net.gas.mcm_d_from_kg_s(seg["kg_s"].to_numpy(float))
    for end, col in (("a", "0"), ("b", "1")):
        seg["x" + col] = seg[end].map(xy["x"]).to_numpy(float)
        seg["y" + col] = seg[end].map(xy["y"]).to_numpy(float)
    return seg.dropna(subset=["x0", "y0", "x1", "y1"])


def _fmt(v: float) -> str:
    if pd.isna(v):
        return "n/a"
    return f"{v:.0f}" if abs(v) >= 10 else f"{v:.1f}"


def _points(net: Network, res: Any, ledger: pd.DataFrame, xy: pd.DataFrame) -> pd.DataFrame:
    """One marker per location: x, y, status colour index, label (the ledger rows there)."""
    br = branch_flows(net, res).drop_duplicates("id").set_index("id")
    br["x"] = (br["from_junction"].map(xy["x"]) + br["to_junction"].map(xy["x"])) / 2
    br["y"] = (br["from_junction"].map(xy["y"]) + br["to_junction"].map(xy["y"])) / 2
    br["f"] = br["mass_flow_kg_s"].abs()
    ids = ledger["branches"].str.split("; ")
    rows = ledger.assign(id=ids).explode("id")
    rows = rows.join(br[["x", "y", "f"]], on="id").dropna(subset=["x", "y"])
    rows = rows.sort_values("f", ascending=False, kind="stable")
    rows = rows[~rows.index.duplicated()].reindex(ledger.index).dropna(subset=["x", "y"])
    u = rows["utilisation"].to_numpy(float)
    rows["status"] = np.where(np.isnan(u), 3, np.where(u > 1, 2, np.where(u >= 0.8, 1, 0)))
    head = rows["headroom_mcm_d"].map(_fmt)
    rows["label"] = (rows["from_country"] + ">" + rows["to_country"] + " "
                     + rows["flow_mcm_d"].map(_fmt) + ", free " + head)
    rows["kx"], rows["ky"] = rows["x"].round(1), rows["y"].round(1)  # one marker per place
    return rows.groupby(["kx", "ky"], as_index=False).agg(
        x=("x", "mean"), y=("y", "mean"), status=("status", "max"), label=("label", "\n".join))


def _place_labels(ax: Any, pts: pd.DataFrame, span: float) -> None:
    """Labels next to their marker, trying 8 offsets to avoid the labels already placed."""
    placed: list[tuple[float, float, float, float]] = []
    step = 0.018 * span
    offsets = [(1, 1), (1, -1), (-1, 1), (-1, -1), (1, 0), (-1, 0), (0, 1.6), (0, -1.6)]
    for x, y, label in zip(pts["x"], pts["y"], pts["label"], strict=True):
        lines = label.split("\n")
        w = 0.0085 * span * max(len(s) for s in lines)
        h = 0.026 * span * len(lines)
        best = None
        for dx, dy in offsets:
            x0 = x + dx * step - (w if dx < 0 else 0 if dx > 0 else w / 2)
            y0 = y + dy * step - (h if dy < 0 else 0 if dy > 0 else h / 2)
            box = (x0, y0, x0 + w, y0 + h)
            hit = sum(box[0] < b[2] and b[0] < box[2] and box[1] < b[3] and b[1] < box[3]
                      for b in placed)
            if best is None or hit < best[0]:
                best = (hit, box)
            if hit == 0:
                break
        assert best is not None
        box = best[1]
        placed.append(box)
        ax.text(box[0], box[1], label, fontsize=6.5, va="bottom", ha="left", zorder=6,
                linespacing=1.1, bbox={"boxstyle": "round,pad=0.15", "fc": "white",
                                       "ec": "#999999", "lw": 0.4, "alpha": 0.85})
        ax.plot([x, box[0] + (w / 2 if abs(box[0] + w / 2 - x) < w / 2 else
                               (0 if box[0] > x else w))],
                [y, box[1] + (0 if box[1] > y else h)], color="#777777", lw=0.4, zorder=5)


def ledger_map(net: Network, res: Any, ledger: pd.DataFrame, path: str | Path,
               title: str | None = None) -> Path:
    """Draw the network, its flows, owners and border headroom into the PNG ``path``."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt
    from matplotlib.collections import LineCollection
    from matplotlib.lines import Line2D

    xy, geo = _coords(net)
    seg = _segments(net, res, xy)
    fig, ax = plt.subplots(figsize=(12, 8.4), dpi=110)
    ok = xy.dropna()
    if len(ok):
        x0, x1, y0, y1 = ok["x"].min(), ok["x"].max(), ok["y"].min(), ok["y"].max()
    else:
        x0, x1, y0, y1 = 0.0, 1.0, 0.0, 1.0
    span = max(x1 - x0, y1 - y0, 1e-6)
    pad = 0.06 * span
    x0, x1, y0, y1 = x0 - pad, x1 + pad, y0 - pad, y1 + pad
    if geo:
        from gasunion.datasets.outlines import country_outlines

        for o in country_outlines((x0, y0, x1, y1)):
            k = 0
            for n in o.polygons:
                outer = o.rings[k]
                ax.fill(outer[:, 0], outer[:, 1], fc=_LAND, ec=_EDGE, lw=0.7, zorder=0)
                k += n
            big = max(o.rings, key=len)
            cx, cy = big[:, 0].mean(), big[:, 1].mean()
            if o.iso_a2 and x0 < cx < x1 and y0 < cy < y1:
                ax.text(cx, cy, o.iso_a2 or o.name, fontsize=13, color="#8c8779", ha="center",
                        va="center", zorder=1, alpha=0.8, fontweight="bold")
        ax.set_facecolor("#dfeaf2")  # water (the Caspian, Aral and the seas)
        ax.set_aspect(1.0 / math.cos(math.radians((y0 + y1) / 2)))
        ax.set_xlabel("longitude [deg E]")
        ax.set_ylabel("latitude [deg N]")
    else:
        ax.set_aspect("equal")
    # owners: colours by total flow carried, most important first
    weight = seg.groupby("owner")["mcm_d"].sum().sort_values(ascending=False)
    palette = list(_PALETTE)
    partners = [p for p in seg.loc[seg["second"] != "", "second"] if p not in weight.index]
    shown = [p for p in [*weight.index, *dict.fromkeys(partners)] if p][: len(palette)]
    colour = {p: palette[i] for i, p in enumerate(shown)}
    fmax = max(float(seg["mcm_d"].max()) if len(seg) else 0.0, 1e-9)
    lw = 0.6 + 6.5 * seg["mcm_d"].to_numpy(float) / fmax
    still = seg["mcm_d"].to_numpy(float) < 1e-6
    cols = [_STILL if s else colour.get(p, "#555555") for p, s in zip(seg["owner"], still,
                                                                     strict=True)]
    lines = np.stack([seg[["x0", "y0"]].to_numpy(float), seg[["x1", "y1"]].to_numpy(float)],
                     axis=1)
    ax.add_collection(LineCollection(list(lines), linewidths=np.where(still, 0.7, lw), colors=cols,
                                     capstyle="round", zorder=2))
    jv = (seg["second"] != "").to_numpy() & ~still
    if jv.any():
        ax.add_collection(LineCollection(
            list(lines[jv]), linewidths=lw[jv] * 0.45, linestyles=(0, (2.0, 2.0)), zorder=3,
            colors=[colour.get(p, "#555555") for p in seg["second"][jv]]))
    pts = _points(net, res, ledger, xy) if len(ledger) else pd.DataFrame(
        columns=["x", "y", "status", "label"])
    if len(pts):
        ax.scatter(pts["x"], pts["y"], s=46, marker="D", edgecolors="black", linewidths=0.6,
                   c=[_STATUS[int(s)][0] for s in pts["status"]], zorder=4)
        _place_labels(ax, pts, span + 2 * pad)
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_title(title or f"{net.name or 'network'}: flows, owners and border headroom",
                 fontsize=11, loc="left")
    handles = [Line2D([], [], color=colour[p], lw=3, label=p) for p in shown]
    if jv.any():
        handles.append(Line2D([], [], color="#555555", lw=1.5, ls=(0, (2, 2)),
                              label="joint venture: partner"))
    handles.append(Line2D([], [], color=_STILL, lw=0.7, label="no flow"))
    handles += [Line2D([], [], color="black", lw=0.6 + 6.5 * f, label=f"{f * fmax:.0f} mcm/d")
                for f in (0.25, 1.0)]
    handles += [Line2D([], [], ls="", marker="D", mfc=c, mec="black", label=f"border: {t}")
                for c, t in _STATUS]
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=7.5,
              title="owner (majority)", title_fontsize=8, frameon=False)
    ax.text(1.01, 0.0, "labels: direction, flow and\nfree capacity (headroom), mcm/d",
            transform=ax.transAxes, fontsize=7, va="bottom", color="#444444")
    fig.tight_layout()
    out = Path(path)
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return out
