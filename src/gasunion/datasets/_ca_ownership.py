"""Ownership shares of the Central Asia network (internal).

``ownership.csv`` lists joint ventures and consortia: the pipeline rows (their pipes,
stations and valves) or scenario elements they own, optionally one country's part of a
multi-country row, the party and its share. The network's ``ownership`` table gets one row per
(element, party); every other element belongs wholly to its ``owner``
(:meth:`gasunion.network.Network.ownership_shares`). Subsidiaries are in ``parties.csv``
(``parent``, ``parent_share``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from gasunion.datasets._ca_data import _num, _read
from gasunion.network import Network

_BRANCHES = ("pipes", "compressors", "control_valves")
_NODES = ("sources", "sinks", "storages")


def add_ownership(net: Network) -> None:
    """Fill ``net.ownership`` from ``ownership.csv`` (module docstring)."""
    own = _read("ownership")
    rows = pd.Series(net.meta.get("branch_row", {}), dtype=object)
    frames = []
    for _, o in own.iterrows():
        keys = {x.strip() for x in o["elements"].split(";") if x.strip()}
        note = o["note"] + " | source: " + o["source"]
        for comp in _BRANCHES + _NODES:
            df = net[comp]
            if not len(df):
                continue
            ids = df.index.map(rows) if comp in _BRANCHES else df.index
            hit = ids.isin(list(keys))
            if o["country"]:
                hit = hit & (df["country"] == o["country"]).to_numpy()
            if np.any(hit):
                frames.append(pd.DataFrame({"component": comp, "element": df.index[hit],
                                            "party": o["party"], "share": float(o["share"]),
                                            "note": note}))
    if not frames:
        return
    t = pd.concat(frames, ignore_index=True)
    t["share"] = _num(t["share"].astype(str))
    t.index = pd.Index([f"own{i}" for i in range(len(t))], name="id")
    net.add_table("ownership", t[["component", "element", "party", "share"]])
