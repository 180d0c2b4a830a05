"""The decision space of ``operate``: which elements can be operated, their discrete modes and
the continuous set-point of each mode, with its bounds.

Decisions (units in the column names; pressures absolute, bar):

* compressors: mode ``bypass`` | ``ratio`` | ``off`` (and ``p_out`` if the input uses it);
  in mode ``ratio`` the set-point ``ratio_set`` [-] in ``[ratio_min, ratio_hi]``, where
  ``ratio_hi`` is ``ratio_max`` capped by what the pressure bounds allow
  (outlet junction ``p_max_bar`` / inlet junction ``p_min_bar``);
* control valves: mode ``open`` | ``p_out`` | ``closed``; in mode ``p_out`` the set-point
  ``p_out_set_bar`` within the outlet junction's bounds and ``p_out_max_bar``;
* valves: ``open`` | ``closed`` (column ``open``);
* pressure references: a source with both a nominated flow and a pressure set-point (the
  reference a GasLib reader picks, since a nomination fixes entry flows but leaves entry
  pressures to the operator) gets its ``p_set_bar`` chosen within its junction's bounds.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from gasunion.network import Network

#: mode -> (column of its continuous set-point, unit) (None: no set-point)
SETPOINT = {
    ("compressors", "ratio"): ("ratio_set", "-"),
    ("compressors", "p_out"): ("p_out_set_bar", "bar"),
    ("control_valves", "p_out"): ("p_out_set_bar", "bar"),
    ("sources", "p_set"): ("p_set_bar", "bar"),
}
#: mode that makes an element carry no control (used as "simplest" by the search)
PASSIVE = {"compressors": "bypass", "control_valves": "open", "valves": "open"}
#: the mode that gives the most control
ACTIVE = {"compressors": "ratio", "control_valves": "p_out", "valves": "open"}


@dataclass
class Element:
    """One operable element: its modes and, per mode with a set-point, bounds and start."""

    component: str
    id: str
    modes: tuple[str, ...]
    initial_mode: str
    bounds: dict[str, tuple[float, float]]  #: mode -> (lower, upper) of its set-point
    start: dict[str, float]  #: mode -> initial set-point
    initial_setpoint: float = math.nan

    @property
    def key(self) -> tuple[str, str]:
        return (self.component, self.id)


Config = tuple[str, ...]  #: one mode per element of the space, in order


@dataclass
class Variable:
    """One continuous set-point of a configuration."""

    element: int  #: index into DecisionSpace.elements
    component: str
    id: str
    column: str
    lower: float
    upper: float
    start: float


def _num(v: object, default: float) -> float:
    try:
        f = float(v)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return default
    return f if math.isfinite(f) else default


class DecisionSpace:
    """All operable elements of ``net`` (in-service compressors, control valves, valves and
    free pressure references)."""

    def __init__(self, net: Network, free_pressures: bool | Sequence[str] | None = None,
                 modes: dict[str, Sequence[str]] | None = None) -> None:
        self.net = net
        j = net.junctions
        pmin = j["p_min_bar"].to_numpy(float)
        pmax = j["p_max_bar"].to_numpy(float)
        self._pmin = dict(zip(j.index, np.where(np.isfinite(pmin), pmin, 1.01325), strict=True))
        self._pmax = dict(zip(j.index, pmax, strict=True))
        allowed = {"compressors": ("bypass", "ratio", "off"),
                   "control_valves": ("open", "p_out", "closed"),
                   "valves": ("open", "closed")}
        allowed.update({k: tuple(v) for k, v in (modes or {}).items()})
        self.elements: list[Element] = []
        self._add_sources(free_pressures)
        self._add_compressors(allowed["compressors"])
        self._add_control_valves(allowed["control_valves"])
        self._add_valves(allowed["valves"])

    # ------------------------------------------------------------------ elements
    def _add_sources(self, free: bool | Sequence[str] | None) -> None:
        s = self.net.sources
        if free is False or not len(s):
            return
        for sid, r in s.iterrows():
            if not bool(r["in_service"]) or not math.isfinite(_num(r["p_set_bar"], math.nan)):
                continue
            if free is None or free is True:
                if not math.isfinite(_num(r["mass_flow_kg_s"], math.nan)):
                    continue  # a pure pressure-controlled entry: its set-point is given
            elif str(sid) not in set(map(str, free)):
                continue
            jn = r["junction"]
            p0 = float(r["p_set_bar"])
            hi = _num(self._pmax.get(jn), p0)
            lo = min(self._pmin.get(jn, 1.01325), hi)
            self.elements.append(Element("sources", str(sid), ("p_set",), "p_set",
                                         {"p_set": (lo, hi)}, {"p_set": min(max(p0, lo), hi)},
                                         p0))

    def _add_compressors(self, allowed: Sequence[str]) -> None:
        c = self.net.compressors
        for cid, r in c.iterrows():
            if not bool(r["in_service"]):
                continue
            mode = str(r["mode"])
            modes = tuple(dict.fromkeys([*allowed, mode]))
            rmin = max(_num(r["ratio_min"], 1.0), 1.0)
            pin_lo = max(self._pmin.get(r["from_junction"], 1.01325),
                         _num(r["p_in_min_bar"], 0.0))
            pout_hi = min(_num(self._pmax.get(r["to_junction"]), math.inf),
                          _num(r["p_out_max_bar"], math.inf))
            rhi = _num(r["ratio_max"], math.inf)
            if math.isfinite(pout_hi) and pin_lo > 0:
                rhi = min(rhi, pout_hi / pin_lo)
            if not math.isfinite(rhi):
                rhi = 2.0 * rmin  # nothing bounds the ratio: a wide but finite range
            rhi = max(rhi, rmin)
            bounds = {"ratio": (rmin, rhi)}
            r0 = _num(r["ratio_set"], rmin)
            start = {"ratio": min(max(r0 if mode == "ratio" else rmin + 0.02 * (rhi - rmin),
                                      rmin), rhi)}
            if "p_out" in modes:
                lo, hi = self._pout_bounds(str(r["to_junction"]), _num(r["p_out_max_bar"],
                                                                        math.inf))
                bounds["p_out"] = (lo, hi)
                start["p_out"] = min(max(_num(r["p_out_set_bar"], (lo + hi) / 2), lo), hi)
            sp = _num(r["ratio_set"] if mode == "ratio" else r["p_out_set_bar"], math.nan)
            self.elements.append(Element("compressors", str(cid), modes, mode, bounds, start,
                                         sp))

    def _pout_bounds(self, junction: str, p_out_max: float) -> tuple[float, float]:
        lo = self._pmin.get(junction, 1.01325)
        hi = min(_num(self._pmax.get(junction), math.inf), p_out_max)
        if not math.isfinite(hi):
            hi = 2.0 * lo
        return lo, max(hi, lo)

    def _add_control_valves(self, allowed: Sequence[str]) -> None:
        cv = self.net.control_valves
        for vid, r in cv.iterrows():
            if not bool(r["in_service"]):
                continue
            mode = str(r["mode"])
            modes = tuple(dict.fromkeys([*allowed, mode]))
            lo, hi = self._pout_bounds(str(r["to_junction"]), _num(r["p_out_max_bar"],
                                                                   math.inf))
            p0 = _num(r["p_out_set_bar"], math.nan)
            start = p0 if math.isfinite(p0) else lo + 0.5 * (hi - lo)
            self.elements.append(Element("control_valves", str(vid), modes, mode,
                                         {"p_out": (lo, hi)},
                                         {"p_out": min(max(start, lo), hi)}, p0))

    def _add_valves(self, allowed: Sequence[str]) -> None:
        v = self.net.valves
        for vid, r in v.iterrows():
            if not bool(r["in_service"]):
                continue
            mode = "open" if bool(r["open"]) else "closed"
            modes = tuple(dict.fromkeys([*allowed, mode]))
            self.elements.append(Element("valves", str(vid), modes, mode, {}, {}))

    # ------------------------------------------------------------------ configurations
    @property
    def initial(self) -> Config:
        """The modes of the input network."""
        return tuple(e.initial_mode for e in self.elements)

    @property
    def all_active(self) -> Config:
        """Every compressor in ``ratio``, every regulator in ``p_out`` (valves as given), but
        at most one regulator per outlet junction and none onto a pressure-set junction (one
        outlet pressure cannot be set twice)."""
        fixed = set(self.net.sources.loc[self.net.sources["p_set_bar"].notna(), "junction"])
        fixed |= set(self.net.sinks.loc[self.net.sinks["p_set_bar"].notna(), "junction"])
        taken: set[str] = set()
        out = []
        for e in self.elements:
            m = ACTIVE.get(e.component, e.initial_mode)
            if e.component == "valves" or m not in e.modes:
                m = e.initial_mode
            elif m == "p_out":
                outlet = str(self.net[e.component].at[e.id, "to_junction"])
                if outlet in taken or outlet in fixed:
                    m = e.initial_mode
                taken.add(outlet)
            out.append(m)
        return tuple(out)

    def neighbours(self, config: Config) -> list[Config]:
        """Every configuration that differs from ``config`` in one element's mode."""
        out = []
        for i, e in enumerate(self.elements):
            for m in e.modes:
                if m != config[i]:
                    out.append((*config[:i], m, *config[i + 1:]))
        return out

    def variables(self, config: Config) -> list[Variable]:
        """The continuous set-points of ``config``."""
        out = []
        for i, (e, m) in enumerate(zip(self.elements, config, strict=True)):
            sp = SETPOINT.get((e.component, m))
            if sp is not None:
                lo, hi = e.bounds[m]
                out.append(Variable(i, e.component, e.id, sp[0], lo, hi, e.start[m]))
        return out

    def apply(self, config: Config, values: dict[tuple[str, str, str], float] | None = None
              ) -> Network:
        """A copy of the network with the modes of ``config`` and the set-points ``values``
        ((component, id, column) -> value) written into its tables."""
        net = self.net.copy()
        for e, m in zip(self.elements, config, strict=True):
            if e.component == "valves":
                net.valves.loc[e.id, "open"] = m == "open"
            elif e.component in ("compressors", "control_valves"):
                net[e.component].loc[e.id, "mode"] = m
            sp = SETPOINT.get((e.component, m))
            if sp is not None:
                net[e.component].loc[e.id, sp[0]] = e.start[m]
        for (comp, eid, col), v in (values or {}).items():
            net[comp].loc[eid, col] = float(v)
        return net
