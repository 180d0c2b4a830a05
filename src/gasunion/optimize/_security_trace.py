"""Proportional flow tracing for the HHI of :mod:`gasunion.optimize.security`.

The tracer is public and generic now: :mod:`gasunion.reports.tracing` (proportional sharing,
Bialek 1996). This module re-exports it so that existing imports keep working.
"""

from __future__ import annotations

from gasunion.reports.tracing import area_consumed_imports, area_imports, origin_mix

__all__ = ["area_consumed_imports", "area_imports", "origin_mix"]
