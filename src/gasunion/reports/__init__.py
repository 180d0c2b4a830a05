"""Reports on a simulated network, for any network (not one dataset).

Data flow: :class:`~gasunion.network.Network` -> :func:`gasunion.simulate` -> the functions
here -> the command line.

* :func:`border_ledger` -- one row per interconnection point and direction of flow: flow,
  technical capacity in that direction, headroom, the capacity's source, owners on each side;
* :func:`country_ledger` -- per country: production, storage, imports, exports, consumption,
  compressor fuel and transit (gas carried for others, by proportional-sharing flow tracing,
  :mod:`gasunion.reports.tracing`);
* :func:`member_trade` -- imports and exports of chosen countries by partner;
* :func:`compare_ledgers` -- the change of a ledger against another scenario's.

Volumes are standard m3 of the network's gas (``net.gas.rho_n``): mcm/d, and bcm/y =
mcm/d x 365 / 1000. See ``docs/reports/ledger.md``.
"""

from __future__ import annotations

from gasunion.reports.ledger import (
    border_ledger,
    compare_ledgers,
    country_ledger,
    member_trade,
)
from gasunion.reports.tracing import TRACING_METHOD, origin_mix, transit_by_country

__all__ = [
    "TRACING_METHOD",
    "border_ledger",
    "compare_ledgers",
    "country_ledger",
    "member_trade",
    "origin_mix",
    "transit_by_country",
]
