"""The Central Asia network month by month: a 12-month transport case (profiles, storage).

:func:`central_asia_monthly` takes the network of :func:`gasunion.datasets.central_asia`
(one scenario's annual-average set-points) and adds what a monthly plan needs, from
``datasets/data/central_asia/monthly.csv`` (every row sourced or ``estimate: <method>``):

* demand profiles: the share of each country's (or sink's) annual demand falling in Oct-Mar,
  spread evenly over those six months (factor ``share x 365/182``) and over Apr-Sep
  (``(1 - share) x 365/183``); the annual volume is kept;
* supply maxima per month: sourced monthly volumes where reported (Uzbek production, Russian
  gas from Oct 2023), else the scenario's annual balance rate in every month;
* storages: start inventory (share of working gas), injection and withdrawal limits;
* priorities: domestic demand 1, exports 2; no prices are sourced, so the case minimises
  unserved demand weighted by priority with a nominal transport cost (:data:`MONTHLY_OPTIONS`);
* branch ratings: the network's own per-direction pipe bounds (capacities per direction and
  year, shared over parallel strings at equal pressure drop; the same bounds as the simulator
  and the security problem);
* the three delivery points become one-way short pipes (the exchanged volume is decided).

Units: kg/s in the network, months as periods of ``days x 24`` hours.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Any

import numpy as np
import pandas as pd

from gasunion.datasets.central_asia import central_asia, dataset_tables
from gasunion.network import Network
from gasunion.optimize.periods import Periods

__all__ = ["MONTHLY_OPTIONS", "central_asia_monthly", "monthly_table"]

#: Options of the monthly case for :func:`gasunion.optimize.transport.transport`.
MONTHLY_OPTIONS: dict[str, Any] = {"flow_cost_per_kg": 1e-6}

_WINTER = (1, 2, 3, 10, 11, 12)


@cache
def _read() -> pd.DataFrame:
    base = resources.files("gasunion.datasets").joinpath("data", "central_asia", "monthly.csv")
    with base.open("r", encoding="utf-8") as fh:
        return pd.read_csv(fh, dtype=str, keep_default_na=False)


def monthly_table() -> pd.DataFrame:
    """``monthly.csv`` as read (kind, key, month, value, unit, source, note; text columns)."""
    return _read().copy()


def _value(t: pd.DataFrame, kind: str, key: str = "all") -> float:
    row = t[(t["kind"] == kind) & (t["key"] == key)]
    return float(row["value"].iloc[0])


def _branch_ratings(net: Network) -> None:
    """The network's own per-direction pipe bounds are the ratings (capacities.csv per year,
    else the design capacity by operation, shared at equal pressure drop: defaults.csv
    capacity_*); pipes without a sourced figure keep the pipe-law bound of the transport
    problem. Only the note says so."""
    pipes = net.pipes.copy()
    rated = pipes["mass_flow_max_kg_s"].notna() | pipes["mass_flow_min_kg_s"].notna()
    pipes.loc[rated, "note"] = (pipes.loc[rated, "note"].astype(str)
                                + " | monthly rating: the network's per-direction bounds "
                                "(monthly.csv branch_capacity)")
    net["pipes"] = pipes


def _delivery_links(net: Network) -> None:
    """Replace each DLV_*_OUT / DLV_*_IN pair by a one-way short pipe (inlet -> outlet)."""
    outs = net.sinks[net.sinks.index.str.startswith("DLV_") & net.sinks.index.str.endswith("_OUT")]
    if not len(outs):
        return
    base = outs.index.str.removesuffix("_OUT")
    ins = net.sources.reindex(base + "_IN")
    links = pd.DataFrame({
        "from_junction": outs["junction"].to_numpy(), "to_junction": ins["junction"].to_numpy(),
        "name": outs["name"].to_numpy(), "mass_flow_min_kg_s": 0.0,
        "owner": outs["owner"].to_numpy(), "country": outs["country"].to_numpy(),
        "source": outs["source"].to_numpy(),
        "note": "model: delivery point as a one-way link (monthly.csv delivery_points)"},
        index=pd.Index(base, name="id"))
    net.remove("sinks", outs.index)
    net.remove("sources", ins.index)
    net.add_table("short_pipes", links)


def central_asia_monthly(scenario: str = "2023") -> tuple[Network, Periods]:
    """The network of ``scenario`` prepared for a 12-month transport plan, and its months.

    Returns ``(net, periods)``: ``periods`` names the months ``"2023-01" .. "2023-12"`` (hours
    = days x 24) with profiles ``sinks.mass_flow_kg_s`` (demand) and
    ``sources.mass_flow_max_kg_s`` (supply maxima). Solve with
    ``transport(net, periods=periods, **MONTHLY_OPTIONS)``.
    """
    t = _read()
    net = central_asia(scenario)
    net.name = f"Central Asia ({scenario}), monthly"
    _delivery_links(net)
    _branch_ratings(net)
    gas = net.gas
    months = pd.period_range("2023-01", periods=12, freq="M")
    names = months.strftime("%Y-%m")
    days = months.days_in_month.to_numpy(float)
    winter = np.isin(months.month, _WINTER)

    # ---- demand: winter share -> monthly factor (annual volume kept)
    snk = net.sinks
    flat = float(winter @ days) / 365.0  # "flat": the winter months' share of the days
    shares = t[t["kind"] == "demand_winter_share"].set_index("key")["value"]
    shares = shares.replace("flat", str(flat)).astype(float)
    share = snk.index.to_series().map(shares).fillna(snk["country"].map(shares))
    share = share.fillna(flat)
    factor = np.where(winter[:, None], share.to_numpy()[None, :] * 365.0 / (winter @ days),
                      (1.0 - share.to_numpy())[None, :] * 365.0 / ((~winter) @ days))
    demand = pd.DataFrame(factor * snk["mass_flow_kg_s"].to_numpy(float)[None, :],
                          index=names, columns=snk.index)
    prio = t[t["kind"] == "priority"].set_index("key")["value"].astype(float)
    sinks = snk.copy()
    sinks["priority"] = snk.index.to_series().map(prio).fillna(snk["country"].map(prio))
    net["sinks"] = sinks

    # ---- supply maxima: sourced monthly volumes as a shape of the annual balance, else flat
    src = net.sources
    sc = dataset_tables()["scenarios"]
    sc = sc[(sc["scenario"] == scenario) & (sc["kind"] == "source")].set_index("element")
    annual = gas.kg_s_from_bcm_y(pd.to_numeric(sc["value"]).reindex(src.index).to_numpy(float))
    rate = np.where(np.isnan(annual), src["mass_flow_kg_s"].to_numpy(float), annual)
    vol = t[t["kind"] == "supply_volume"]
    vol = vol.pivot(index="month", columns="key", values="value").astype(float).reindex(names)
    shape = pd.DataFrame(1.0, index=names, columns=src.index)
    known = vol.columns.intersection(src.index)
    per_day = vol[known].to_numpy() / days[:, None]
    total = vol[known].to_numpy().sum(axis=0)
    shape[known] = np.where(total > 0, per_day / np.where(total > 0, total, 1.0) * 365.0, 0.0)
    supply_max = shape * rate[None, :]

    # ---- storages: limits and start inventory
    sto = net.storages.copy()
    wg = sto["working_gas_mcm"].to_numpy(float)
    sto["inventory_mcm"] = _value(t, "storage_start_share") * wg
    sto["injection_max_kg_s"] = gas.kg_s_from_mcm_d(wg / _value(t, "storage_injection_days"))
    sto["withdrawal_max_kg_s"] = sto["withdrawal_max_kg_s"].fillna(
        pd.Series(gas.kg_s_from_mcm_d(wg / _value(t, "storage_withdrawal_days")), index=sto.index))
    net["storages"] = sto

    net.meta["assumptions"] = [*net.meta.get("assumptions", []),
                               "Central Asia monthly case: profiles, storage and priorities from "
                               "monthly.csv (sourced or estimate: <method> per row)"]
    per = Periods(names, days * 24.0)
    per.set_profile("sinks", "mass_flow_kg_s", demand)
    per.set_profile("sources", "mass_flow_max_kg_s", supply_max)
    return net, per
