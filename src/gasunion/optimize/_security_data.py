"""Moved: the Central Asia capacities live in :mod:`gasunion.datasets.central_asia_capacities`
(datasets hold embedded data and their loaders; ``optimize`` stays dataset-agnostic). This
alias keeps old imports working."""

from __future__ import annotations

from gasunion.datasets.central_asia_capacities import central_asia_capacities

__all__ = ["central_asia_capacities"]
