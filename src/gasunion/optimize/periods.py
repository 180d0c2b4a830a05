"""Planning periods and per-element profiles for multi-period problems (transport, shed).

A :class:`Periods` object holds the period names, their durations in hours and, like PyPSA's
``*_t`` tables, *profiles*: one DataFrame per ``(component, attribute)`` with the periods as
rows and element ids as columns. A profile overrides the network's static column for the
elements it names; elements it does not name keep their static value in every period.

Time-varying attributes (units as in the network schema):

==============  =====================================================================
component       attributes
==============  =====================================================================
``sources``     ``mass_flow_max_kg_s``, ``mass_flow_min_kg_s``, ``cost_per_kg``
``sinks``       ``mass_flow_kg_s`` (demand), ``value_per_kg``
``storages``    ``injection_max_kg_s``, ``withdrawal_max_kg_s``
branches        ``mass_flow_max_kg_s``, ``mass_flow_min_kg_s``, ``fee_per_kg`` (any
                branch component: pipes, compressors, valves, ...)
==============  =====================================================================

Example: 12 months with a demand profile::

    import pandas as pd
    from gasunion.optimize.periods import Periods

    months = pd.period_range("2023-01", periods=12, freq="M")
    hours = months.days_in_month * 24.0
    demand = pd.DataFrame({"town": [30.0] * 3 + [15.0] * 6 + [30.0] * 3}, index=months.astype(str))
    per = Periods(months.astype(str), hours).with_profile("sinks", "mass_flow_kg_s", demand)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from gasunion.network.schema import BRANCHES

__all__ = ["PROFILE_ATTRIBUTES", "Periods"]

#: (component, attribute) pairs that may vary by period.
PROFILE_ATTRIBUTES: frozenset[tuple[str, str]] = frozenset(
    [("sources", a) for a in ("mass_flow_max_kg_s", "mass_flow_min_kg_s", "cost_per_kg")]
    + [("sinks", a) for a in ("mass_flow_kg_s", "value_per_kg")]
    + [("storages", a) for a in ("injection_max_kg_s", "withdrawal_max_kg_s")]
    + [(b, a) for b in BRANCHES for a in ("mass_flow_max_kg_s", "mass_flow_min_kg_s",
                                          "fee_per_kg")]
)


@dataclass
class Periods:
    """Period names, durations [h] and per-element profiles.

    ``names``: period labels (strings are best: they become the ``period`` level of the result
    tables). ``hours``: duration of each period [h] (> 0). ``profiles``: ``{(component,
    attribute): DataFrame}`` indexed by period name, one column per element id (units of the
    attribute, e.g. kg/s); see :data:`PROFILE_ATTRIBUTES`.
    """

    names: pd.Index
    hours: np.ndarray
    profiles: dict[tuple[str, str], pd.DataFrame] = field(default_factory=dict)

    def __init__(self, names: Sequence[object] | pd.Index, hours: Sequence[float] | np.ndarray
                 | float = 24.0,
                 profiles: dict[tuple[str, str], pd.DataFrame] | None = None) -> None:
        self.names = pd.Index([str(n) for n in names], name="period")
        h = np.broadcast_to(np.asarray(hours, dtype=float), (len(self.names),)).copy()
        self.hours = h
        self.profiles = {}
        for (comp, attr), df in (profiles or {}).items():
            self.set_profile(comp, attr, df)

    # ------------------------------------------------------------------ construction
    @classmethod
    def daily(cls, n: int) -> Periods:
        """``n`` identical days of 24 h named ``d1 .. dn`` (no profiles)."""
        return cls([f"d{i + 1}" for i in range(int(n))], 24.0)

    def set_profile(self, component: str, attribute: str, df: pd.DataFrame) -> None:
        """Set the profile of ``component.attribute`` (rows: periods, columns: element ids)."""
        if (component, attribute) not in PROFILE_ATTRIBUTES:
            raise ValueError(f"Periods: {component}.{attribute} cannot vary by period; allowed: "
                             + ", ".join(sorted(f"{c}.{a}" for c, a in PROFILE_ATTRIBUTES)))
        df = pd.DataFrame(df).copy()
        df.index = pd.Index([str(i) for i in df.index], name="period")
        missing = self.names.difference(df.index)
        if len(missing):
            raise ValueError(f"Periods: profile {component}.{attribute} has no row for period(s) "
                             + ", ".join(map(str, missing[:5])))
        self.profiles[(component, attribute)] = df.loc[self.names].astype(float)

    def with_profile(self, component: str, attribute: str, df: pd.DataFrame) -> Periods:
        """This object with one more profile (returns ``self`` for chaining)."""
        self.set_profile(component, attribute, df)
        return self

    # ------------------------------------------------------------------ use
    def __len__(self) -> int:
        return len(self.names)

    def values(self, component: str, attribute: str, static: pd.Series) -> np.ndarray:
        """``(n_periods, n_elements)`` values of ``attribute``: the profile where it names the
        element, else the static column ``static`` (indexed by element id) in every period."""
        out = np.tile(static.to_numpy(dtype=float), (len(self), 1))
        df = self.profiles.get((component, attribute))
        if df is not None:
            cols = static.index.get_indexer(df.columns)
            keep = cols >= 0
            out[:, cols[keep]] = df.to_numpy(dtype=float)[:, keep]
        return out

    def unknown_elements(self, tables: dict[str, pd.Index]) -> list[str]:
        """Profile columns that name no element of ``tables`` (component -> element ids)."""
        bad = []
        for (comp, attr), df in self.profiles.items():
            ids = tables.get(comp, pd.Index([]))
            bad += [f"{comp}.{attr}: {c!r}" for c in df.columns if c not in ids]
        return bad
