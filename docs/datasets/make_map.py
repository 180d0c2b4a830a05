"""Draw the map of the embedded Central Asia dataset: ``docs/datasets/central-asia-map.png``.

Offline and from the dataset alone (no basemap): nodes at their latitude/longitude coloured
by country, pipeline rows as straight lines coloured by system, border points marked and
labelled with the simulated 2023 border flows.

    PYTHONPATH=src python docs/datasets/make_map.py [--out PATH]
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.lines import Line2D

import gasunion as gu
from gasunion.datasets.central_asia import (
    border_flow_report,
    central_asia,
    dataset_tables,
)

OUT = Path(__file__).resolve().parent / "central-asia-map.png"

COUNTRY_COLOURS = {"RU": "#c0392b", "KZ": "#2e86c1", "UZ": "#27ae60", "TM": "#d4ac0d",
                   "KG": "#8e44ad", "TJ": "#e67e22", "CN": "#7f8c8d"}
COUNTRY_NAMES = {"RU": "Russia", "KZ": "Kazakhstan", "UZ": "Uzbekistan", "TM": "Turkmenistan",
                 "KG": "Kyrgyzstan", "TJ": "Tajikistan", "CN": "China"}
SYSTEM_STYLE = {  # system -> (colour, label)
    "CAC": ("#e67e22", "Central Asia-Center"),
    "CAC-3": ("#f5b041", "CAC-3 / Okarem-Beineu, East-West"),
    "EW": ("#f5b041", None),
    "CAGP": ("#c0392b", "Central Asia-China A/B/C"),
    "CAGP-D": ("#c0392b", "Central Asia-China Line D (planned)"),
    "BBS": ("#8e44ad", "Beineu-Bozoi-Shymkent, Saryarka"),
    "SARYARKA": ("#8e44ad", None),
    "BTBA": ("#1e8449", "Bukhara-Tashkent-Bishkek-Almaty"),
    "BU": ("#6e2c00", "Bukhara-Ural"),
    "BU-AKT": ("#6e2c00", None),
}
OTHER = ("#7f8c8d", "other lines and connectors")
MARKERS = {"field": "^", "city": "o", "storage": "s", "border": "D", "compressor": "P",
           "export": "*", "junction": "."}
LABELLED_KINDS = {"field", "city", "export", "storage"}
LABELLED_NODES = {"KZ_BEINEU", "KZ_MAKAT", "KZ_SHYMKENT", "UZ_GAZLI", "UZ_MUBAREK", "UZ_KAGAN",
                  "UZ_KHIVA", "UZ_KUNGRAD", "KZ_BOZOI", "KZ_KARAOZEK", "TM_SHATLYK", "TM_BELEK",
                  "KZ_CS14", "UZ_GEDAIM", "RU_ORENBURG_GPP", "UZ_KELIF"}


ABBREVIATIONS = {"underground gas storage": "UGS", "compressor station": "CS", "gas processing plant": "GPP",
                 " field": "", " hub": ""}


def short(name: str) -> str:
    """First words of a node name, without bracketed detail, with common abbreviations."""
    text = name.split("(")[0].split(",")[0].split("/")[0].strip()
    for long, abbr in ABBREVIATIONS.items():
        text = text.replace(long, abbr)
    return text


def draw(out: Path = OUT) -> Path:
    t = dataset_tables()
    nodes = t["nodes"].set_index("id")
    nodes = nodes[nodes["model_only"].str.lower() != "true"]
    lat = pd.to_numeric(nodes["lat"])
    lon = pd.to_numeric(nodes["lon"])
    pipes = t["pipelines"]
    net = central_asia("2023")
    flows = border_flow_report(net, gu.simulate(net, friction="colebrook", z="papay"))

    fig, ax = plt.subplots(figsize=(14, 9.5))
    ax.set_facecolor("#f8f9f9")
    # ---- pipelines: one line per pair of nodes and system (parallel rows drawn once, wider)
    pipes = pipes.assign(cap=pd.to_numeric(pipes["design_capacity_bcm_y"], errors="coerce"))
    groups = pipes.groupby(["system", "from_node", "to_node"], sort=False)
    for (system, a, b), g in groups:
        colour, _ = SYSTEM_STYLE.get(system, OTHER)
        planned = g["scenarios"].isin(["line-d", "none", "union"]).all()
        closed = (g["operation"] == "closed").all()
        width = 1.2 + 0.9 * len(g) + (0.8 if system in SYSTEM_STYLE else 0.0)
        ax.plot([lon[a], lon[b]], [lat[a], lat[b]], color=colour, lw=width,
                ls="--" if planned else (":" if closed else "-"), alpha=0.55 if closed else 0.85,
                solid_capstyle="round", zorder=2)
    # ---- nodes
    for kind, marker in MARKERS.items():
        sel = nodes["kind"] == kind
        if not sel.any():
            continue
        ax.scatter(lon[sel], lat[sel], c=nodes.loc[sel, "country"].map(COUNTRY_COLOURS),
                   marker=marker, s=130 if kind == "border" else (190 if kind == "export" else 70),
                   edgecolors="black", linewidths=1.1 if kind == "border" else 0.5, zorder=4)
    for nid, r in nodes.iterrows():
        if r["kind"] in LABELLED_KINDS or nid in LABELLED_NODES:
            ax.annotate(short(r["name"]), (lon[nid], lat[nid]), xytext=(4, 4),
                        textcoords="offset points", fontsize=7.5, zorder=5)
    # ---- border points with the simulated 2023 flows
    for _, f in flows.iterrows():
        bp = f["border_point"]
        if bp not in nodes.index:
            continue
        active = f["flow_bcm_y"] > 0.005
        text = f"{f['from_country']}→{f['to_country']} {f['flow_bcm_y']:.1f}" if active else "idle"
        ax.annotate(text, (lon[bp], lat[bp]), xytext=(6, -12) if active else (7, 5),
                    textcoords="offset points", fontsize=8 if active else 6.5,
                    color="black" if active else "#666666", weight="bold" if active else "normal",
                    bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "#555555", "lw": 0.5,
                          "alpha": 0.85}, zorder=6)
    # ---- country names at the centre of their nodes
    for c, g in nodes.groupby("country"):
        # China: only its two border-side export points are nodes; label above the eastmost
        east = lon[g.index].idxmax()
        x = lon[east] - 0.8 if c == "CN" else lon[g.index].mean()
        y = lat[east] + 1.3 if c == "CN" else lat[g.index].mean() + 0.9
        ax.text(x, y, COUNTRY_NAMES[c].upper(),
                color=COUNTRY_COLOURS[c], fontsize=13, weight="bold", alpha=0.35, ha="center",
                zorder=1)
    # ---- legends
    sys_handles = [Line2D([], [], color=c, lw=3, label=lbl) for c, lbl in SYSTEM_STYLE.values() if lbl]
    sys_handles += [Line2D([], [], color=OTHER[0], lw=3, label=OTHER[1]),
                    Line2D([], [], color="black", lw=2, ls="--",
                           label="planned (Line D, BBS II, Aktobe III)"),
                    Line2D([], [], color="black", lw=2, ls=":", label="closed in the model")]
    country_handles = [Line2D([], [], marker="o", ls="", color=col, markeredgecolor="black",
                              markersize=8, label=COUNTRY_NAMES[c]) for c, col in COUNTRY_COLOURS.items()]
    kind_handles = [Line2D([], [], marker=m, ls="", color="white", markeredgecolor="black",
                           markersize=8, label=k) for k, m in MARKERS.items()]
    leg1 = ax.legend(handles=sys_handles, loc="upper right", fontsize=8, title="pipeline systems",
                     title_fontsize=8, framealpha=0.9)
    ax.add_artist(leg1)
    leg2 = ax.legend(handles=country_handles, loc="lower left", fontsize=8, title="country",
                     title_fontsize=8, framealpha=0.9)
    ax.add_artist(leg2)
    ax.legend(handles=kind_handles, loc="lower right", fontsize=8, title="node kind",
              title_fontsize=8, framealpha=0.9)
    ax.set_aspect(1.0 / math.cos(math.radians(float(lat.mean()))))
    ax.set_xlabel("longitude [deg E]")
    ax.set_ylabel("latitude [deg N]")
    ax.grid(color="white", lw=0.8)
    ax.set_title("gasunion Central Asia dataset: schematic network, labels at border points = "
                 "simulated 2023 border flows [bcm/y]", fontsize=11)
    fig.text(0.01, 0.005, "Straight lines between sourced nodes (coordinates approximate, ±30-50 km); "
             "line width grows with the number of parallel rows. Generated by docs/datasets/make_map.py "
             "from gasunion/datasets/data/central_asia.", fontsize=7.5, color="#555555")
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT, help="output PNG file")
    args = parser.parse_args()
    print(f"wrote {draw(args.out)}")


if __name__ == "__main__":
    main()
