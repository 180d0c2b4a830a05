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

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from gasunion.games.tu import GameError
from gasunion.network import Network
from gasunion.network.schema import BRANCHES
from gasunion.optimize._linear_data import LinearData

__all__ = ["NoPlayersError", "Ownership", "UnknownPlayersError", "check_members",
           "coalition_matrix", "network_players", "ownership", "party_players"]

JOINT_RULES = ("all", "share")
OTHERS_RULES = ("open", "closed")
#: the element tables whose owners are players: the columns of the transport LP
ASSETS: tuple[str, ...] = ("sources", "sinks", "storages", *BRANCHES)


class NoPlayersError(GameError):
    """The network defines no player (no owned assets, or none with a country); the message
    names the columns to fill."""


class UnknownPlayersError(GameError):
    """Members that the network does not define: ``unknown``, and the ``known`` players."""

    def __init__(self, unknown: Sequence[str], known: Sequence[str]) -> None:
        self.unknown = list(unknown)
        self.known = list(known)
        names = ", ".join(repr(m) for m in self.unknown)
        super().__init__(f"members: unknown player{'s' if len(self.unknown) > 1 else ''} "
                         f"{names}; the network's players are "
                         f"{', '.join(self.known) or 'none'}")


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
    #: owned assets (component, element) that map to no player (country players: no country)
    unassigned: list[tuple[str, str]] = field(default_factory=list)

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


def _party_rows(net: Network, components: Sequence[str],
                players: str | Mapping[str, str | Mapping[str, float]],
                party_country: Mapping[str, str] | None,
                parents: pd.DataFrame | None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The owned assets of ``components`` (``component, element, party, share`` rows) and the
    same rows mapped to the players (``player``, ``w`` = the player's share; rows that map to
    no player are left out)."""
    own = net.ownership_shares()
    own = own[own["component"].isin(list(components))]
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
    rows = [(p, q, s) for p, m in to_player.items() for q, s in m.items()]
    pmap = pd.DataFrame(rows, columns=["party", "player", "pshare"])
    o = own.merge(pmap, on="party", how="left")
    if isinstance(players, str) and players == "country" and len(o):
        # fall back to the element's country
        ec = pd.concat([net[c]["country"].rename("ecountry").to_frame().assign(component=c)
                        for c in o["component"].unique()]).reset_index(names="element")
        o = o.merge(ec, on=["component", "element"], how="left")
        miss = o["player"].isna() & (o["ecountry"].fillna("").astype(str) != "")
        o.loc[miss, "player"] = o.loc[miss, "ecountry"]
        o.loc[miss, "pshare"] = 1.0
    o = o.dropna(subset=["player"])
    o = o[o["player"].astype(str) != ""].copy()
    o["player"] = o["player"].astype(str)
    o["w"] = o["share"].astype(float) * o["pshare"].astype(float)
    return own, o


def _examples(rows: pd.DataFrame, limit: int = 3) -> str:
    """``pipes 'p1', sources 's2' and 4 more``: some of the rows' elements by name."""
    items = [f"{c} {e!r}" for c, e in zip(rows["component"], rows["element"], strict=True)]
    more = f" and {len(items) - limit} more" if len(items) > limit else ""
    return ", ".join(items[:limit]) + more


def network_players(net: Network, players: str | Mapping[str, str | Mapping[str, float]]
                    = "country", party_country: Mapping[str, str] | None = None,
                    parents: pd.DataFrame | None = None) -> list[str]:
    """The players the assets of ``net`` define (sorted): who may be a member.

    Raises :class:`NoPlayersError` (a :class:`~gasunion.games.GameError`) naming the columns
    to fill when there is none: no source, sink, storage or branch has an ``owner`` (and the
    ``ownership`` table is empty), or, for country players, the owned assets have no
    ``country`` (neither the elements nor, elsewhere in the network, their owners).
    """
    own, o = _party_rows(net, ASSETS, players, party_country, parents)
    found = sorted(set(o["player"]))
    if found:
        return found
    fill = ("set the `owner` column of the sources, sinks, storages or branches (pipes, "
            "compressors, ...) or fill the `ownership` table (component, element, party, share)")
    country = isinstance(players, str) and players == "country"
    if not len(own):
        with_country = sum(int((net[c]["country"].astype(str) != "").sum())
                           for c in ("junctions", *ASSETS) if len(net[c]))
        nodes = (" (owners of junctions do not count: nodes carry no capacity)"
                 if len(net["junctions"]) and (net["junctions"]["owner"].astype(str) != "").any()
                 else "")
        if country and with_country:
            raise NoPlayersError(
                f"no owned assets: {with_country} elements have a `country`, but no source, "
                f"sink, storage or branch has an `owner`{nodes}; country players play with "
                f"the assets their parties own: {fill}")
        raise NoPlayersError(
            f"no owned assets: no source, sink, storage or branch has an `owner`{nodes} and "
            f"the `ownership` table is empty: {fill}"
            + (", and the `country` column of the owned elements" if country else ""))
    if country:
        names = sorted(set(own["party"].astype(str)))
        parties = ", ".join(repr(p) for p in names[:5]) + (", ..." if len(names) > 5 else "")
        raise NoPlayersError(
            f"no country for the owned assets: {len(own)} assets have an `owner` ({parties}) "
            f"but neither they nor the other elements of their owners have a `country` (e.g. "
            f"{_examples(own)}): set the `country` column of the owned elements, or let "
            f"the owners play (players='party')")
    raise NoPlayersError(f"no player: the owners of the {len(own)} owned assets map to no "
                         f"player (e.g. {_examples(own)}): check the players mapping")


def check_members(members: Sequence[str], found: Sequence[str]) -> list[str]:
    """``members`` as a list, checked against the ``found`` players (:class:`GameError` for a
    duplicate or an empty list, :class:`UnknownPlayersError` for unknown players)."""
    chosen = [str(m) for m in members]
    if not chosen:
        raise GameError("members: no player given (leave members out for all players)")
    twice = sorted({m for m in chosen if chosen.count(m) > 1})
    if twice:
        raise GameError(f"members: {', '.join(repr(m) for m in twice)} given twice")
    unknown = [m for m in chosen if m not in set(found)]
    if unknown:
        raise UnknownPlayersError(unknown, list(found))
    return chosen


def ownership(net: Network, d: LinearData, players: str | Mapping[str, str | Mapping[str, float]],
              members: list[str] | None = None,
              party_country: Mapping[str, str] | None = None,
              parents: pd.DataFrame | None = None) -> Ownership:
    """The asset x player shares for the LP data ``d`` of ``net``.

    ``players``: ``"party"`` (owners as in the ownership table, rolled up to their top-level
    parents with ``parents``), ``"country"`` (a party's country from ``party_country``, else
    :func:`owner_countries`, else the element's country) or a mapping party -> player (or -> {player: share}).
    ``members``: keep only these players (the others become outsiders); default all. Owned
    assets that map to no player (no country) are the outsiders' (``unassigned``).
    Raises :class:`NoPlayersError` if the network defines no player and
    :class:`UnknownPlayersError` for members it does not define (:func:`network_players`).
    """
    found = network_players(net, players, party_country, parents)
    plist = check_members(members, found) if members is not None else found
    comps_used = ["sources", "sinks", "storages", *d.br["component"].unique()]
    own, o = _party_rows(net, comps_used, players, party_country, parents)
    mapped = set(zip(o["component"], o["element"], strict=True))
    unassigned = own[[(c, e) not in mapped for c, e in zip(own["component"], own["element"],
                                                             strict=True)]]
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
                     outside=np.clip(1.0 - shares.sum(axis=1), 0.0, 1.0),
                     unassigned=[(str(c), str(e)) for c, e in
                                 zip(unassigned["component"], unassigned["element"],
                                     strict=True)])
