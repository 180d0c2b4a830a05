"""The union game of the Central Asia dataset: RU, KZ, UZ (and TM, CN as optional players).

Built from :func:`gasunion.datasets.central_asia_monthly.central_asia_monthly` (the
scenario's network with the delivery points as links) with the sourced prices of
:mod:`gasunion.datasets.central_asia_prices`, country players (each party's country from
``parties.csv``), outsiders' assets open, one period = the scenario's annual-average day
scaled to a year. Values in million USD per year.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from gasunion.games.network import NetworkGame, network_game

__all__ = ["UNION", "central_asia_game", "union_table"]

#: A player carrying less gas for others [bcm/y] is not a transit country (no fair fee).
MIN_TRANSIT_BCM_Y = 1.0

#: The union's members; Turkmenistan and China may join as players.
UNION = ("RU", "KZ", "UZ")


def _network(scenario: str) -> tuple[Any, dict[str, float], int]:
    from gasunion.datasets.central_asia import scenario_year
    from gasunion.datasets.central_asia_monthly import central_asia_monthly
    from gasunion.datasets.central_asia_prices import apply_prices

    net, _ = central_asia_monthly(scenario)
    year = scenario_year(scenario)
    used = apply_prices(net, year)
    return net, used, year


def central_asia_game(scenario: str = "2023", players: Sequence[str] = UNION, *,
                      joint: str = "all", progress: Callable[[int, int], None] | None = None,
                      **options: Any) -> NetworkGame:
    """The Central Asia union game of ``scenario`` (values in million USD per year)."""
    from gasunion.datasets import parties

    net, used, year = _network(scenario)
    p = parties()
    g = network_game(net, "country", members=list(players), joint=joint, others="open",
                     party_country=p["country"].astype(str).to_dict(), progress=progress,
                     flow_cost_per_kg=options.pop("flow_cost_per_kg", 1e-9), **options)
    g.values = g.values / 1e6
    g.welfare_empty /= 1e6
    g.unit = "million USD per year"
    g.stats.update(scenario=scenario, year=year, prices_usd_per_kcm=used)
    g.assumptions += ["Central Asia union game: country players (parties.csv country), "
                      "outsiders' assets open, the scenario's annual-average day x 365",
                      *_price_rules()]
    g.stats["transit_bcm_y"] = transit_volumes(net, g, joint)
    return g


def _price_rules() -> list[str]:
    from gasunion.datasets.central_asia_prices import PRICE_RULES

    return [f"price: {r}" for r in PRICE_RULES]


def transit_volumes(net: Any, g: NetworkGame, joint: str) -> dict[str, float]:
    """Gas each player carries for others in the grand coalition's flows [bcm/y]: the gas of
    foreign origin leaving its territory, by proportional-sharing flow tracing (the union
    ledger's definition, :func:`gasunion.reports.tracing.transit_by_country`). With every
    player in and the outsiders' assets open the grand coalition uses the whole network, so
    its flows are those of the transport problem on ``net``.

    (Counting "the smaller of what enters and what leaves" would make an exchange such as
    Karachaganak raw gas to Orenburg against Russian gas back look like transit.)
    """
    from gasunion.optimize.transport import transport
    from gasunion.reports.tracing import transit_by_country

    res = transport(net, flow_cost_per_kg=1e-9)
    flows = _TableFlows(res.tables)
    kg_s = transit_by_country(net, flows)
    to_bcm = 86400 * 365 / (net.gas.rho_n * 1e9)
    return {c: float(kg_s.get(c, 0.0)) * to_bcm for c in g.players}


class _TableFlows:
    """Transport tables seen as a simulation result: ``res[component]`` with one
    ``mass_flow_kg_s`` per element (the mean over the periods)."""

    _COLUMN: ClassVar[dict[str, str]] = {"sources": "supply_kg_s", "sinks": "served_kg_s",
                                         "storages": "net_withdrawal_kg_s"}

    def __init__(self, tables: dict[str, pd.DataFrame]) -> None:
        self._t = tables

    def __getitem__(self, component: str) -> pd.DataFrame:
        t = self._t.get(component)
        if t is None or not len(t):
            return pd.DataFrame(columns=["mass_flow_kg_s"])
        col = self._COLUMN.get(component, "flow_kg_s")
        mean = t[col].groupby(level="id", sort=False).mean()
        return pd.DataFrame({"mass_flow_kg_s": mean})


def union_table(g: NetworkGame, solutions: dict[str, pd.Series] | None = None) -> pd.DataFrame:
    """Per player: stand-alone value, Shapley and nucleolus shares, gains, transit volume,
    the per-unit transit fee that pays the Shapley gain, and transit revenue at the current
    (published; NaN where none found) and at that fee. Values in ``g.unit``."""
    from gasunion.datasets.central_asia_prices import transit_tariff

    if solutions is None:
        from gasunion.games.nucleolus import nucleolus
        from gasunion.games.shapley import shapley

        game = g.game()
        solutions = {"shapley": shapley(game), "nucleolus": nucleolus(game)}
    t = pd.DataFrame({"standalone": g.standalone()})
    for name, x in solutions.items():
        t[name] = pd.Series(x).reindex(t.index).astype(float)
        t[f"{name}_gain"] = t[name] - t["standalone"]
    vol = pd.Series(g.stats.get("transit_bcm_y", {}), dtype=float).reindex(t.index)
    t["transit_bcm_y"] = vol
    gain = t.get("shapley_gain", pd.Series(np.nan, index=t.index))
    # million USD / bcm = USD per kcm
    transit = vol >= MIN_TRANSIT_BCM_Y
    t["fair_fee_usd_kcm"] = (gain / vol).where(transit)
    t["current_fee_usd_kcm"] = [transit_tariff(c) for c in t.index]
    t["revenue_current_musd"] = t["current_fee_usd_kcm"] * vol
    t["revenue_fair_musd"] = t["fair_fee_usd_kcm"] * vol
    t.index.name = "player"
    return t
