"""Changes to a network's values, as the prepared simulator and sweeps take them.

A change is ``(component, element, column) -> value``; :func:`normalize_changes` accepts a dict
of such keys, a ``pandas.Series`` with a three-level index or ``(component, element, column,
value)`` tuples, and groups them by (component, column). :func:`apply_changes` makes a copy of a
network with changes applied (copying only the tables that change).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from gasunion.network import Network
from gasunion.simulation.topology import SimulationSetupError

Change = tuple[str, str, str]
#: changes grouped by (component, column): (element ids, values)
Grouped = dict[tuple[str, str], tuple[list[str], list[Any]]]


def normalize_changes(changes: Any) -> Grouped:
    """``changes`` (a dict ``{(component, element, column): value}``, a Series with a
    three-level index, ``(component, element, column, value)`` tuples, or already grouped)
    grouped by (component, column)."""
    if changes is None:
        return {}
    items: Iterable[tuple[Any, Any, Any, Any]]
    if isinstance(changes, pd.Series):
        if changes.index.nlevels != 3:
            raise SimulationSetupError("changes: a Series needs a three-level index "
                                       "(component, element, column)")
        items = ((c, e, col, v) for (c, e, col), v in changes.items())
    elif isinstance(changes, Mapping):
        first = next(iter(changes), None)
        if first is not None and isinstance(first, tuple) and len(first) == 2:
            return dict(changes)  # already grouped
        def _items() -> Iterable[tuple[Any, Any, Any, Any]]:
            for key, v in changes.items():
                if not (isinstance(key, tuple) and len(key) == 3):
                    raise SimulationSetupError(f"changes: key {key!r} is not (component, "
                                               "element, column)")
                yield (key[0], key[1], key[2], v)
        items = _items()
    elif isinstance(changes, Iterable):
        items = changes
    else:
        raise SimulationSetupError(f"changes: expected a dict, Series or list of tuples, got "
                                   f"{type(changes).__name__}")
    out: Grouped = {}
    for c, e, col, v in items:
        g = out.setdefault((str(c), str(col)), ([], []))
        g[0].append(str(e))
        g[1].append(v)
    return out


def apply_changes(net: Network, changes: Grouped) -> Network:
    """A copy of ``net`` with ``changes`` applied (copies only the tables that change).

    Unknown components, elements or columns raise :class:`SimulationSetupError` naming them.
    """
    new = Network.__new__(Network)
    new.__dict__.update(net.__dict__)
    new._tables = dict(net._tables)
    for (comp, col), (ids, vals) in changes.items():
        if comp not in net._tables:
            raise SimulationSetupError(f"changes: unknown component {comp!r}")
        df = new._tables[comp]
        if df is net._tables[comp]:
            df = df.copy()
            new._tables[comp] = df
        if col not in df.columns:
            raise SimulationSetupError(f"changes: {comp} has no column {col!r}")
        rows = df.index.get_indexer(ids)
        if (rows < 0).any():
            bad = [i for i, r in zip(ids, rows, strict=True) if r < 0]
            raise SimulationSetupError(f"changes: {comp} has no element(s) {bad[:5]} "
                                       f"(column {col!r})")
        arr = df[col].to_numpy(copy=True)
        try:
            arr[rows] = np.asarray(vals, dtype=arr.dtype)
        except (TypeError, ValueError) as exc:
            raise SimulationSetupError(f"changes: {comp}.{col}: {exc}") from None
        df[col] = arr
    return new


