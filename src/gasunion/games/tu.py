"""Transferable-utility (TU) games in characteristic-function form.

A TU game on the players ``N = {0, ..., n-1}`` is a set function ``v: 2^N -> R`` with
``v(∅) = 0``; ``v(S)`` is the worth (a gain, e.g. in million USD per year, or a cost — the
unit is the caller's and every solution concept returns allocations in that same unit) that
the coalition ``S`` can secure on its own. :class:`Game` stores ``v`` densely as a vector of
length ``2^n`` indexed by the bitmask of the coalition: bit ``i`` of ``mask`` set means that
``players[i]`` belongs to the coalition, so ``values[0b101]`` is ``v({players[0], players[2]})``.

Coalitions are named by their members joined with ``+`` (``"A+B"``, in any order when read;
written in the order of ``players``). Files (:meth:`Game.from_json`)::

    {"players": ["A", "B", "C"],
     "values": {"A": 0, "B": 0, "C": 0, "A+B": 90, "A+C": 80, "B+C": 70, "A+B+C": 120}}

The empty coalition is worth 0 and may be omitted; every other coalition must be given.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from gasunion.errors import GasunionError

__all__ = ["MAX_PLAYERS", "SEP", "Game", "GameError", "bit_matrix", "coalition_sums", "popcount"]

SEP = "+"  #: joins player names into a coalition name
MAX_PLAYERS = 24  #: 2^24 coalition values (128 MB): the most a dense game holds
_LIST_MISSING = 10  #: missing coalitions named in an error message (then "... and k more")


class GameError(GasunionError, ValueError):
    """An ill-posed game or argument (bad file, missing coalition, too many players, an
    allocation of the wrong players); the message names the file and the field."""


# ------------------------------------------------------------------------- bit helpers
def popcount(masks: np.ndarray) -> np.ndarray:
    """The number of members of each coalition mask (``|S|``), as ``int64``."""
    return np.bitwise_count(np.asarray(masks, dtype=np.int64)).astype(np.int64)


def bit_matrix(masks: np.ndarray, n: int) -> np.ndarray:
    """``B[k, i] = 1`` if player ``i`` is in coalition ``masks[k]`` (``uint8``, k x n)."""
    m = np.asarray(masks, dtype=np.int64)
    return ((m[:, None] >> np.arange(n, dtype=np.int64)) & 1).astype(np.uint8)


def coalition_sums(x: np.ndarray) -> np.ndarray:
    """``x(S) = sum_{i in S} x_i`` for every mask ``S`` in ``0 .. 2^n - 1`` (``n = len(x)``),
    built by doubling: the coalitions with bit ``i`` are those without it plus ``x_i``."""
    x = np.asarray(x, dtype=float)
    out = np.zeros(1 << len(x))
    for i, xi in enumerate(x):
        half = 1 << i
        out[half:2 * half] = out[:half] + xi
    return out


# --------------------------------------------------------------------------------- game
class Game:
    """A TU game: ``players`` (unique names without ``+``) and ``values[mask] = v(S)``.

    ``values`` has length ``2^n`` and ``values[0] == 0``; it is copied and made read-only.
    """

    __slots__ = ("_index", "players", "values")

    players: tuple[str, ...]
    values: np.ndarray

    def __init__(self, players: Sequence[str], values: Any) -> None:
        names = _check_players(players, "players")
        vals = np.array(values, dtype=float, copy=True).reshape(-1)
        if vals.shape != (1 << len(names),):
            raise GameError(f"values: need 2^n = {1 << len(names)} coalition values for "
                            f"{len(names)} players, got {vals.size}")
        if not np.all(np.isfinite(vals)):
            bad = int(np.flatnonzero(~np.isfinite(vals))[0])
            raise GameError(f"values[{bad}]: not a finite number ({vals[bad]})")
        if vals[0] != 0.0:
            raise GameError(f"values[0]: the empty coalition is worth 0, got {vals[0]}")
        vals.setflags(write=False)
        self.players = names
        self.values = vals
        self._index = {p: i for i, p in enumerate(names)}

    # -- size and lookup
    @property
    def n(self) -> int:
        """The number of players."""
        return len(self.players)

    @property
    def full(self) -> int:
        """The mask of the grand coalition ``N``."""
        return (1 << self.n) - 1

    @property
    def grand_value(self) -> float:
        """``v(N)``."""
        return float(self.values[self.full])

    @property
    def stand_alone(self) -> pd.Series:
        """``v({i})`` per player (the stand-alone values)."""
        return pd.Series(self.values[1 << np.arange(self.n)], index=list(self.players),
                         name="stand_alone")

    def mask(self, coalition: int | str | Iterable[str]) -> int:
        """The bitmask of a coalition given as a mask, an ``"A+B"`` name or player names."""
        if isinstance(coalition, int | np.integer):
            m = int(coalition)
            if not 0 <= m <= self.full:
                raise GameError(f"coalition mask {m}: not in 0..{self.full}")
            return m
        members = _split(coalition) if isinstance(coalition, str) else list(coalition)
        m = 0
        for p in members:
            if p not in self._index:
                raise GameError(f"coalition {coalition!r}: unknown player {p!r} (players: "
                                f"{', '.join(self.players)})")
            m |= 1 << self._index[p]
        return m

    def value(self, coalition: int | str | Iterable[str]) -> float:
        """``v(S)`` for a coalition given as a mask, an ``"A+B"`` name or player names."""
        return float(self.values[self.mask(coalition)])

    def name(self, mask: int) -> str:
        """The coalition's name: its members in player order joined by ``+`` (``""`` for ∅)."""
        return SEP.join(p for i, p in enumerate(self.players) if mask >> i & 1)

    def allocation(self, x: Any, what: str = "allocation") -> np.ndarray:
        """``x`` (a Series or mapping by player, or a sequence in player order) as an array in
        player order; an error names missing or unknown players."""
        if isinstance(x, pd.Series | Mapping):
            d = dict(x.items())
            unknown = [str(k) for k in d if k not in self._index]
            missing = [p for p in self.players if p not in d]
            if unknown or missing:
                raise GameError(f"{what}: " + "; ".join(
                    s for s in (f"unknown players {unknown}" if unknown else "",
                                f"missing players {missing}" if missing else "") if s))
            arr = np.array([d[p] for p in self.players], dtype=float)
        else:
            arr = np.asarray(x, dtype=float).reshape(-1)
            if arr.size != self.n:
                raise GameError(f"{what}: {arr.size} numbers for {self.n} players")
        if not np.all(np.isfinite(arr)):
            raise GameError(f"{what}: every payoff must be a finite number")
        return arr

    def excess(self, x: Any) -> np.ndarray:
        """``e(S, x) = v(S) - x(S)`` for every mask ``S`` (index 0 is the empty coalition)."""
        return self.values - coalition_sums(self.allocation(x))

    def series(self, x: np.ndarray, name: str | None = None) -> pd.Series:
        """An array in player order as a Series indexed by the players."""
        return pd.Series(np.asarray(x, dtype=float), index=list(self.players), name=name)

    def to_dict(self) -> dict[str, float]:
        """``{"A": v({A}), "A+B": v({A, B}), ...}`` for every non-empty coalition."""
        return {self.name(m): float(self.values[m]) for m in range(1, self.full + 1)}

    def __repr__(self) -> str:
        return f"Game(players={list(self.players)!r}, v(N)={self.grand_value:g})"

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, Game) and self.players == other.players
                and bool(np.array_equal(self.values, other.values)))

    __hash__ = None  # type: ignore[assignment]

    # -- constructors
    @classmethod
    def from_function(cls, players: Sequence[str], worth: Callable[[frozenset[str]], float]
                      ) -> Game:
        """The game ``v(S) = worth(frozenset of S's names)`` (``worth`` is not called for ∅)."""
        names = _check_players(players, "players")
        vals = np.zeros(1 << len(names))
        for m in range(1, len(vals)):
            vals[m] = float(worth(frozenset(p for i, p in enumerate(names) if m >> i & 1)))
        return cls(names, vals)

    @classmethod
    def from_dict(cls, players: Sequence[str], mapping: Mapping[str, Any], *,
                  source: str | None = None, max_players: int = MAX_PLAYERS) -> Game:
        """The game from ``{"A+B": worth, ...}``: keys name coalitions (members joined by
        ``+``, any order, spaces around names ignored); the empty coalition (key ``""``) may be
        omitted and must be 0 if given; every other coalition must be present. Errors name
        ``source`` (e.g. the file) and the field."""
        where = f"{source}: " if source else ""
        names = _check_players(players, f"{where}players", max_players)
        index = {p: i for i, p in enumerate(names)}
        if not isinstance(mapping, Mapping):
            raise GameError(f"{where}values: must be an object mapping coalitions such as "
                            f"\"A+B\" to numbers, got {type(mapping).__name__}")
        vals = np.zeros(1 << len(names))
        seen: dict[int, str] = {}
        for key, raw in mapping.items():
            field = f"{where}values[{json.dumps(str(key), ensure_ascii=False)}]"
            if not isinstance(key, str):
                raise GameError(f"{field}: coalition keys are strings such as \"A+B\"")
            members = _split(key)
            m = 0
            for p in members:
                if p not in index:
                    raise GameError(f"{field}: unknown player {p!r} (players: "
                                    f"{', '.join(names)})")
                if m >> index[p] & 1:
                    raise GameError(f"{field}: player {p!r} named twice")
                m |= 1 << index[p]
            if m in seen:
                raise GameError(f"{field}: the same coalition as values[\"{seen[m]}\"]")
            seen[m] = key
            if isinstance(raw, bool) or not isinstance(raw, int | float | np.integer |
                                                        np.floating):
                raise GameError(f"{field}: must be a number, got {json.dumps(raw, default=str)}")
            val = float(raw)
            if not math.isfinite(val):
                raise GameError(f"{field}: must be a finite number, got {raw}")
            if m == 0 and val != 0.0:
                raise GameError(f"{field}: the empty coalition is worth 0, got {raw}")
            vals[m] = val
        missing = [m for m in range(1, len(vals)) if m not in seen]
        if missing:
            shown = ", ".join(f"\"{SEP.join(p for i, p in enumerate(names) if m >> i & 1)}\""
                              for m in missing[:_LIST_MISSING])
            more = f" and {len(missing) - _LIST_MISSING} more" if len(missing) > _LIST_MISSING \
                else ""
            raise GameError(f"{where}values: {len(missing)} of the {len(vals) - 1} coalitions "
                            f"missing: {shown}{more} (every non-empty coalition needs a value)")
        return cls(names, vals)

    @classmethod
    def from_json(cls, path: str | Path, *, max_players: int = MAX_PLAYERS) -> Game:
        """Read ``{"players": [...], "values": {"A+B": worth, ...}}`` (other top-level keys,
        e.g. ``"name"`` or ``"unit"``, are ignored). Errors name the file and the field."""
        p = Path(path)
        try:
            text = p.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise GameError(f"{p}: no such file") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise GameError(f"{p}: cannot read the file: {getattr(exc, 'strerror', None) or exc}"
                            ) from None
        duplicates: list[str] = []

        def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
            out: dict[str, Any] = {}
            for k, val in items:
                if k in out:
                    duplicates.append(k)
                out[k] = val
            return out

        try:
            doc = json.loads(text, object_pairs_hook=pairs)
        except json.JSONDecodeError as exc:
            raise GameError(f"{p}: not valid JSON (line {exc.lineno}, column {exc.colno}: "
                            f"{exc.msg})") from None
        if duplicates:
            raise GameError(f"{p}: key {json.dumps(duplicates[0], ensure_ascii=False)} given "
                            "twice in one object")
        if not isinstance(doc, dict):
            raise GameError(f"{p}: the top level must be an object with \"players\" and "
                            "\"values\"")
        for key in ("players", "values"):
            if key not in doc:
                raise GameError(f"{p}: {key}: missing (a game file has \"players\" and "
                                "\"values\")")
        return cls.from_dict(doc["players"], doc["values"], source=str(p),
                             max_players=max_players)


def _split(name: str) -> list[str]:
    """``"A + B"`` -> ``["A", "B"]``; ``""`` -> ``[]`` (the empty coalition)."""
    if not name.strip():
        return []
    return [part.strip() for part in name.split(SEP)]


def _check_players(players: Any, field: str, max_players: int = MAX_PLAYERS) -> tuple[str, ...]:
    if isinstance(players, str) or not isinstance(players, Sequence | np.ndarray | pd.Index):
        raise GameError(f"{field}: must be a list of player names, got "
                        f"{json.dumps(players, default=str)[:60]}")
    names = list(players)
    if not names:
        raise GameError(f"{field}: at least one player is needed")
    for k, p in enumerate(names):
        if not isinstance(p, str) or not p.strip():
            raise GameError(f"{field}[{k}]: a player name must be a non-empty string, got "
                            f"{json.dumps(p, default=str)}")
        if SEP in p or p != p.strip():
            raise GameError(f"{field}[{k}]: {p!r}: a player name cannot contain {SEP!r} or "
                            "start or end with spaces")
    dup = sorted({p for p in names if names.count(p) > 1})
    if dup:
        raise GameError(f"{field}: duplicate players {', '.join(map(repr, dup))}")
    if len(names) > max_players:
        raise GameError(f"{field}: {len(names)} players; at most {max_players} are supported "
                        f"here (the exact methods enumerate all 2^n coalitions)")
    return tuple(names)
