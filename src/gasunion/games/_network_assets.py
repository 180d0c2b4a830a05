"""Who owns which asset of the linear transport model, and what a coalition may use.

The assets are the columns of the transport LP (:mod:`gasunion.optimize._linear_model`):
sources, sinks, storages and branches. An asset's owners come from
:meth:`gasunion.network.Network.ownership_shares` (joint ventures) mapped to the game's
players; the share not held by any player belongs to *outsiders*.

Availability of an asset to a coalition S (a factor in [0, 1] on its capacity):

* ``joint="all"``: 1 if every player among its owners is in S, else 0;
* ``joint="share"``: the outsiders' share (``others="open"``) plus the shares of S's members.

``others="open"``: assets owned only by outsiders are open to every coalition (the
environment: neighbours' pipes, markets); ``"closed"``: unusable.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from gasunion.network import Network
from gasunion.optimize._linear_data import LinearData

__all__ = ["Ownership", "coalition_matrix", "ownership", "party_players"]

JOINT_RULES = ("all", "share")
OTHERS_RULES = ("open", "closed")


@dataclass
class Ownership:
    """Asset x player shares of the LP's assets (rows: sources, sinks, storages, branches)."""

    players: list[str]
    kind: np.ndarray           # asset kind per row: "sources", "sinks", "storages", "branches"
    element: np.ndarray        # element id per row
    node: np.ndarray           # junction position (branches: from node)
    node_to: np.ndarray        # junction position (branches: to node; others: = node)
    shares: np.ndarray         # (n_assets, n_players)
    outside: np.ndarray        # (n_assets,) share held by non-players

    def availability(self, masks: np.ndarray, joint: str, others: str) -> np.ndarray:
        """Factor per asset and coalition ``(n_masks, n_assets)`` for coalition bit masks."""
        z = coalition_matrix(masks, len(self.players))          # (K, n)
        if joint == "share":
            base = self.outside if others == "open" else np.zeros_like(self.outside)
            return np.clip(base[None, :] + z @ self.shares.T, 0.0, 1.0)
        owned = self.shares > 0
        missing = (1.0 - z) @ owned.T.astype(float)             # owners not in S
        ok = np.asarray(missing < 0.5)
        if others == "closed":
            ok = ok & np.asarray(owned.any(axis=1))[None, :]
        return ok.astype(float)


def coalition_matrix(masks: np.ndarray, n: int) -> np.ndarray:
    """0/1 membership ``(len(masks), n)``: bit i of a mask = player i."""
    m = np.asarray(masks, dtype=np.int64)
    return ((m[:, None] >> np.arange(n)[None, :]) & 1).astype(float)


def party_players(parents: pd.DataFrame | None, parties: pd.Index) -> dict[str, dict[str, float]]:
    """Each party's top-level owners with shares (``parents``: rows party, parent, share;
    missing shares split equally). A party without parents is its own top level."""
    up: dict[str, list[tuple[str, float]]] = {}
    if parents is not None and len(parents):
        for party, g in parents.groupby("party"):
            sh = g["share"].to_numpy(float)
            sh = np.where(np.isnan(sh), (1.0 - np.nansum(sh)) / max(1, int(np.isnan(sh).sum())),
                          sh)
            up[str(party)] = list(zip(g["parent"].astype(str), sh, strict=True))

    def top(p: str, depth: int = 0) -> dict[str, float]:
        if p not in up or depth > 20:
            return {p: 1.0}
        out: dict[str, float] = {}
        for q, s in up[p]:
            for r, t in top(q, depth + 1).items():
                out[r] = out.get(r, 0.0) + s * t
        return out

    return {str(p): top(str(p)) for p in parties}


def owner_countries(net: Network) -> dict[str, str]:
    """Each owner's country: the most frequent ``country`` of the elements it owns (the
    ``owner`` column of every element table)."""
    frames = [net[c][["owner", "country"]] for c in ("junctions", "sources", "sinks",
                                                       "storages", "pipes", "compressors",
                                                       "short_pipes", "valves",
                                                       "control_valves", "resistors")
              if len(net[c])]
    if not frames:
        return {}
    t = pd.concat(frames).astype(str)
    t = t[(t["owner"] != "") & (t["country"] != "")]
    if not len(t):
        return {}
    top = t.groupby(["owner", "country"]).size().reset_index(name="n")
    top = top.sort_values(["owner", "n"], ascending=[True, False]).drop_duplicates("owner")
    return dict(zip(top["owner"], top["country"], strict=True))


def ownership(net: Network, d: LinearData, players: str | Mapping[str, str | Mapping[str, float]],
              members: list[str] | None = None,
              party_country: Mapping[str, str] | None = None,
              parents: pd.DataFrame | None = None) -> Ownership:
    """The asset x player shares for the LP data ``d`` of ``net``.

    ``players``: ``"party"`` (owners as in the ownership table, rolled up to their top-level
    parents with ``parents``), ``"country"`` (a party's country from ``party_country``, else
    :func:`owner_countries`, else the element's country) or a mapping party -> player (or -> {player: share}).
    ``members``: keep only these players (the others become outsiders); default all.
    """
    own = net.ownership_shares()
    own = own[own["component"].isin(["sources", "sinks", "storages", *d.br["component"].unique()])]
    parties = pd.Index(own["party"].astype(str).unique())
    if isinstance(players, str):
        if players == "party":
            tops = party_players(parents, parties)
            to_player = {p: tops[p] for p in parties}
        elif players == "country":
            pc = {**owner_countries(net), **dict(party_country or {})}
            to_player = {p: ({pc[p]: 1.0} if pc.get(p) else {}) for p in parties}
        else:
            raise ValueError(f"players must be 'party', 'country' or a mapping, got {players!r}")
    else:
        to_player = {p: ({v: 1.0} if isinstance(v, str) else dict(v))
                     for p, v in players.items()}
    rows = []
    for p, m in to_player.items():
        for q, s in m.items():
            rows.append((p, q, s))
    pmap = pd.DataFrame(rows, columns=["party", "player", "pshare"])
    o = own.merge(pmap, on="party", how="left")
    if isinstance(players, str) and players == "country":  # fall back to the element's country
        ec = pd.concat([net[c]["country"].rename("ecountry").to_frame().assign(component=c)
                        for c in o["component"].unique()]).reset_index(names="element")
        o = o.merge(ec, on=["component", "element"], how="left")
        miss = o["player"].isna() & (o["ecountry"].fillna("") != "")
        o.loc[miss, "player"] = o.loc[miss, "ecountry"]
        o.loc[miss, "pshare"] = 1.0
    o = o.dropna(subset=["player"])
    o["w"] = o["share"].astype(float) * o["pshare"].astype(float)
    found = sorted(set(o["player"].astype(str)))
    plist = [p for p in (members if members is not None else found)]
    kinds = (["sources"] * len(d.src) + ["sinks"] * len(d.snk) + ["storages"] * len(d.sto)
             + ["branches"] * len(d.br))
    comps = ([("sources", i) for i in d.src.index] + [("sinks", i) for i in d.snk.index]
             + [("storages", i) for i in d.sto.index]
             + list(zip(d.br["component"], d.br.index, strict=True)))
    key = pd.MultiIndex.from_tuples(comps, names=["component", "element"])
    o = o[o["player"].isin(plist)]
    tab = o.groupby(["component", "element", "player"])["w"].sum().unstack("player")
    tab = tab.reindex(index=key, columns=plist).fillna(0.0)
    shares = tab.to_numpy(float)
    node = np.concatenate([d.src["node"].to_numpy(int), d.snk["node"].to_numpy(int),
                           d.sto["node"].to_numpy(int), d.br["from_node"].to_numpy(int)])
    node_to = node.copy()
    node_to[len(node) - len(d.br):] = d.br["to_node"].to_numpy(int)
    return Ownership(players=list(plist), kind=np.array(kinds, dtype=object),
                     element=np.array([c[1] for c in comps], dtype=object), node=node,
                     node_to=node_to, shares=shares,
                     outside=np.clip(1.0 - shares.sum(axis=1), 0.0, 1.0))
