"""Prices for the Central Asia network: border prices and regulated prices with their sources.

``datasets/data/central_asia/prices.csv`` (columns kind, key, year, value, unit, source,
note; every row sourced or ``estimate: <method>``) gives:

* ``china_border``: the value of gas sold to China at Horgos (China customs value / volume);
* ``uz_import``: what Uzbekistan pays for imported gas (import value / volume), per year;
* ``ru_regulated``: Gazprom's lowest regulated wholesale price (RUB/kcm) with ``rub_per_usd``;
* ``transit_tariff``: published transit tariffs (none found: the rows say so).

:func:`apply_prices` writes them on a network of :func:`gasunion.datasets.central_asia` (as
``value_per_kg`` of sinks and ``cost_per_kg`` of sources, USD/kg) by the rules of
:data:`PRICE_RULES`, for the union game (:mod:`gasunion.games.network`).
"""

from __future__ import annotations

from functools import cache
from importlib import resources

import numpy as np
import pandas as pd

from gasunion.network import Network

__all__ = ["PRICE_RULES", "apply_prices", "price", "price_table", "transit_tariff"]

#: How the prices are put on the network (repeated in docs/games.md).
PRICE_RULES = (
    "sinks in China (exports at Horgos): china_border",
    "sinks in Russia (Karachaganak gas processed at Orenburg): ru_regulated / rub_per_usd",
    "every other sink (domestic demand in UZ, KZ, TM, KG, TJ): uz_import of the scenario's "
    "year (latest year with a price if later): estimate: the region's marginal import price "
    "as the value of gas at home (no sourced consumer value)",
    "Russian supply at the Kazakh border: ru_regulated / rub_per_usd (Russia's value of the "
    "gas at home)",
    "Turkmen fields: uz_import (what Turkmenistan gets for its gas at the Uzbek border)",
    "Uzbek, Kazakh, Kyrgyz and Tajik fields: cost 0 (estimate: no sourced production cost; "
    "values are gross of production costs)",
    "branch fees: none (no published transit tariff found)",
)


@cache
def _read() -> pd.DataFrame:
    base = resources.files("gasunion.datasets").joinpath("data", "central_asia", "prices.csv")
    with base.open("r", encoding="utf-8") as fh:
        t = pd.read_csv(fh, dtype=str, keep_default_na=False)
    t["value"] = pd.to_numeric(t["value"], errors="coerce")
    t["year"] = pd.to_numeric(t["year"], errors="coerce")
    return t


def price_table() -> pd.DataFrame:
    """``prices.csv`` as read (value and year numeric, NaN where empty)."""
    return _read().copy()


def price(key: str, year: int | None = None, kind: str = "price") -> float:
    """The value of ``key`` for ``year`` (the latest year <= ``year`` with a value, else the
    earliest); NaN if none."""
    t = _read()
    t = t[(t["kind"] == kind) & (t["key"] == key) & t["value"].notna()].sort_values("year")
    if not len(t):
        return float("nan")
    if year is not None and (t["year"] <= year).any():
        return float(t.loc[t["year"] <= year, "value"].iloc[-1])
    return float(t["value"].iloc[0])


def transit_tariff(country: str) -> float:
    """The published transit tariff of ``country`` [USD/kcm] (NaN: none found)."""
    return price(country, kind="transit_tariff")


def usd_per_kcm(net: Network) -> float:
    """USD/kcm -> USD/kg factor for ``net``'s gas (kcm of standard m3)."""
    return 1.0 / (1000.0 * float(net.gas.rho_n))


def apply_prices(net: Network, year: int) -> dict[str, float]:
    """Set ``value_per_kg`` of sinks and ``cost_per_kg`` of sources (USD/kg) on ``net`` by
    :data:`PRICE_RULES`; returns the prices used (USD/kcm) by name."""
    ru = price("ru_regulated", year) / price("rub_per_usd", year, kind="rate")
    used = {"china_border": price("china_border", year), "uz_import": price("uz_import", year),
            "ru_regulated": ru}
    f = usd_per_kcm(net)
    snk = net.sinks.copy()
    c = snk["country"].astype(str)
    snk["value_per_kg"] = np.select([c == "CN", c == "RU"],
                                    [used["china_border"], ru], used["uz_import"]) * f
    net["sinks"] = snk
    src = net.sources.copy()
    sc = src["country"].astype(str)
    src["cost_per_kg"] = np.select([sc == "RU", sc == "TM"], [ru, used["uz_import"]], 0.0) * f
    net["sources"] = src
    return used
