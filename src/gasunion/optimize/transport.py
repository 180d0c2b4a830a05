"""The multi-period transport problem: a linear network-flow model of gas (linopy + HiGHS).

Decides per period (days, months, ...): supply of every source, gas served at every sink,
flow of every branch in each direction, injection, withdrawal and inventory of every storage,
and contract deliveries -- at minimum cost or maximum welfare. No pressures: pipes are
capacity-limited links (per direction), compressors one-way links with a linear fuel share.

Units: rates kg/s (tables add mcm/d), inventories mcm, durations h, prices currency/kg, the
objective in currency (over the whole horizon). The model, its equations and its defaults are
documented in ``docs/optimize/transport.md`` and in :mod:`gasunion.optimize._linear_model`.

Example::

    import gasunion as gu
    from gasunion.datasets.central_asia_monthly import central_asia_monthly

    net, months = central_asia_monthly("2023")
    res = gu.optimize(net, "transport", periods=months)
    res["storages"].loc["UGS_UZ_GAZLI", "inventory_mcm"]     # 12 monthly end inventories
    res["prices"]                                            # junction x month [currency/kg]
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from gasunion.network import Network
from gasunion.optimize._linear_data import (
    LinearData,
    default_value_base,
    linear_data,
    priority_weights,
)
from gasunion.optimize._linear_diagnosis import diagnose
from gasunion.optimize._linear_model import HighsLP, TransportLP, build_lp
from gasunion.optimize._linear_tables import transport_tables
from gasunion.optimize.periods import Periods
from gasunion.optimize.result import OptimizationError, OptimizationResult

__all__ = ["CONTRACT_COLUMNS", "DEFAULT_FORMULATION", "FORMULATIONS", "transport"]

#: Columns of the ``contracts`` table (index: contract id). ``seller``: a source id, or an
#: owner or country whose in-service sources sell; ``buyer``: a sink id, or an owner or country
#: whose sinks buy; ``volume_mcm``: maximum volume per period [mcm] (a number or a
#: period -> volume mapping via ``volume_mcm_<period>`` columns is not needed: give a scalar);
#: ``take_or_pay``: fraction of the horizon's total volume that must be taken (0..1);
#: ``price_per_kg``: what the buyer pays per kg not taken below take-or-pay (NaN: the minimum
#: is a hard take obligation).
CONTRACT_COLUMNS = ("seller", "buyer", "volume_mcm", "take_or_pay", "price_per_kg")

#: Price sign: HiGHS row duals of ``balance`` -> marginal cost of one more kg of demand.
_PRICE_SIGN = 1.0


def _progress(progress: Callable[[str], None] | None, msg: str) -> None:
    if progress is not None:
        progress(msg)


def _has_values(net: Network, d: LinearData) -> bool:
    return bool(np.isfinite(d.value).any() or np.isfinite(d.snk["priority"].to_numpy()).any()
                or (net.sinks["value_per_kg"].notna().any()))


def served_weights(d: LinearData) -> tuple[np.ndarray, bool]:
    """Value per kg of served gas ``(T, S)``: ``value_per_kg``, else the default value of lost
    load by priority (10x per level, base :func:`default_value_base`); and whether a default
    was used."""
    base = default_value_base(d)
    w = priority_weights(d.snk["priority"].to_numpy(float), base=base)
    val = np.where(np.isnan(d.value), w[None, :], d.value)
    return val, bool(np.isnan(d.value).any())


def _prepare_contracts(contracts: pd.DataFrame | None, net: Network, d: LinearData
                       ) -> pd.DataFrame | None:
    if contracts is None or not len(contracts):
        return None
    k = pd.DataFrame(contracts).copy()
    missing = [c for c in ("seller", "buyer", "volume_mcm") if c not in k]
    if missing:
        raise OptimizationError("bad_input", "contracts: missing column(s) " + ", ".join(missing))
    k["take_or_pay"] = pd.to_numeric(k.get("take_or_pay", 0.0), errors="coerce")
    k["take_or_pay"] = k["take_or_pay"].fillna(0.0)
    k["price_per_kg"] = pd.to_numeric(k.get("price_per_kg", np.nan), errors="coerce")
    vol = pd.to_numeric(k["volume_mcm"], errors="coerce").to_numpy(float)
    bad = ~np.isfinite(vol) | (vol < 0) | ~k["take_or_pay"].between(0, 1).to_numpy()
    if bad.any():
        raise OptimizationError("bad_input", f"contracts {', '.join(map(str, k.index[bad][:5]))}: "
                                "volume_mcm must be >= 0 and take_or_pay in [0, 1]")
    for side, tab in (("seller", d.src), ("buyer", d.snk)):
        ids = tab.index.to_numpy(object)
        own = tab["owner"].to_numpy(object)
        cty = tab["country"].to_numpy(object)
        mem = [np.flatnonzero((ids == x) | (own == x) | (cty == x)) for x in k[side]]
        empty = np.array([len(x) == 0 for x in mem])
        if empty.any():
            raise OptimizationError(
                "bad_input", f"contracts {', '.join(map(str, k.index[empty][:5]))}: {side} "
                f"{k[side][empty].iloc[0]!r} names no in-service "
                f"{'source' if side == 'seller' else 'sink'}, owner or country")
        k[f"{side}_members"] = mem
    h = d.periods.hours
    k.attrs["rate"] = np.outer(1.0 / (3600.0 * h), vol * d.kg_per_mcm)
    return k


def transport(net: Network | None = None, *, periods: Periods | int | None = None,
              objective: str | None = None,
              contracts: pd.DataFrame | None = None, storage_cyclic: bool = True,
              pipe_capacity: str = "pressure", fuel_share_default: float = 0.0,
              flow_cost_per_kg: float = 0.0, time_limit: float | None = None,
              progress: Callable[[str], None] | None = None, friction: str = "nikuradse",
              z: str = "papay", max_variables: int | None = None,
              **unknown: Any) -> OptimizationResult:
    """Multi-period transport LP on ``net``.

    ``net``: None runs the default case, the Central Asia network month by month (2023,
    :func:`gasunion.datasets.central_asia_monthly.central_asia_monthly`).
    ``periods``: None (one 24-h period from the set-points), n (n identical days) or a
    :class:`~gasunion.optimize.periods.Periods` with profiles. ``objective``: ``"welfare"``
    (maximise value of served gas - supply costs - fees; demand may go unserved) or
    ``"cost"`` (serve all demand at minimum cost; infeasible if impossible); default welfare
    when any sink has a value or priority. ``contracts``: see :data:`CONTRACT_COLUMNS`.
    ``pipe_capacity``: ``"pressure"`` (unrated pipes get the pipe-law bound, with ``friction``
    and ``z``) or ``"none"``. ``fuel_share_default``: fuel share for ``fuel_model='power'``
    compressors. ``flow_cost_per_kg``: nominal tie-breaking cost per kg on every branch.
    ``max_variables``: refuse (``bad_input``, before building) a model with more variables
    than this (periods x variables per period; default
    :data:`~gasunion.optimize._linear_data.MAX_VARIABLES`, about 2 GB of memory).

    Returns tables ``sources``, ``sinks``, ``storages``, ``branches`` (+ one per branch
    component), ``borders``, ``countries``, ``country_flows``, ``prices`` (junction x period,
    currency/kg) and ``contracts``. Raises :class:`OptimizationError` (``bad_input``,
    ``infeasible`` with a diagnosis table, ``solver``).
    """
    if unknown:
        raise OptimizationError("bad_input", "transport: unknown option(s) "
                                + ", ".join(sorted(unknown)))
    if net is None:  # the default case: Central Asia, 12 months of 2023
        from gasunion.datasets.central_asia_monthly import MONTHLY_OPTIONS, central_asia_monthly

        net, months = central_asia_monthly("2023")
        periods = months if periods is None else periods
        flow_cost_per_kg = flow_cost_per_kg or MONTHLY_OPTIONS["flow_cost_per_kg"]
    t0 = time.perf_counter()
    d = linear_data(net, periods, friction=friction, z=z, pipe_capacity=pipe_capacity,
                    fuel_share_default=fuel_share_default, storage_cyclic=storage_cyclic,
                    flow_cost_per_kg=flow_cost_per_kg, max_variables=max_variables)
    kind = objective or ("welfare" if _has_values(net, d) else "cost")
    if kind not in ("welfare", "cost"):
        raise OptimizationError("bad_input", f"objective must be 'welfare' or 'cost', got {kind!r}")
    k = _prepare_contracts(contracts, net, d)
    weight, defaulted = served_weights(d)
    T = len(d.periods)
    n_var = T * (len(d.src) + len(d.snk) + 2 * len(d.br) + 3 * len(d.sto)
                 + (len(k) if k is not None else 0))
    _progress(progress, f"building model ({n_var} variables)")
    lp = build_lp(d, weight, served_lo=d.demand if kind == "cost" else None, contracts=k)
    hl = HighsLP(lp.m, time_limit=time_limit)
    build_time = time.perf_counter() - t0
    _progress(progress, f"solving with HiGHS ({hl.n_variables} variables, "
                        f"{hl.n_constraints} constraints)")
    status = hl.run()
    if status == "Infeasible":
        _progress(progress, "infeasible: diagnosing with elastic slacks")
        diag = diagnose(lp)
        raise OptimizationError("infeasible", "transport: no flow meets every constraint; "
                                + _summary_words(diag), diagnosis=diag,
                                hint="see the diagnosis table: the shortfalls and the bounds "
                                "that cause them")
    if not hl.optimal:
        raise OptimizationError("solver", f"HiGHS stopped with model status {status!r}")
    _progress(progress, "writing tables")
    tables = transport_tables(net, lp, hl, price_sign=_PRICE_SIGN)
    if k is not None:
        tables["contracts"] = _contract_table(lp, hl, k, d)
    const = float(3600.0 * (d.periods.hours[:, None] * weight * d.demand).sum())
    if kind == "welfare":
        obj, unit = -hl.objective, ("value units (welfare with default priority values, not "
                                    "money)" if defaulted else "currency (welfare over the horizon)")
    else:
        obj, unit = hl.objective + const, "currency (cost over the horizon)"
    assumptions = list(d.assumptions)
    if defaulted:
        assumptions.append("sinks without value_per_kg: a default value of lost load by priority "
                           f"({default_value_base(d):g} x 10^(levels-1-rank) per kg; higher "
                           "priority strictly first) -- a penalty, not a price: welfare and node "
                           "prices are in these units")
    assumptions += ["linear transport model: no pressures; flows limited by capacities only",
                    f"friction={friction!r}, z={z!r} used only for the pipe-law capacities of "
                    "unrated pipes" if pipe_capacity == "pressure" else
                    "friction and z ignored (pipe_capacity='none')"]
    s = tables["sinks"]
    hours = np.repeat(d.periods.hours[None, :], len(d.snk), axis=0).ravel()
    summary = {
        "status": "optimal", "objective": obj, "objective_unit": unit, "objective_kind": kind,
        "build_time_s": build_time, "solve_time_s": hl.solve_time_s,
        "n_variables": hl.n_variables, "n_constraints": hl.n_constraints,
        "n_periods": T, "hours": float(d.periods.hours.sum()),
        "unserved_kg_s": float((s["unserved_kg_s"].to_numpy() * hours).sum()
                               / d.periods.hours.sum()) if len(s) else 0.0,
        "assumptions": assumptions,
    }
    _progress(progress, f"done: objective {obj:.6g}")
    return OptimizationResult("transport", "linear", "optimal", obj, tables, summary)


def _summary_words(diag: pd.DataFrame) -> str:
    if not len(diag):
        return "HiGHS reports the model infeasible, and no slack explains it"
    short = diag[diag["constraint"].str.startswith("violated")]
    words = [f"{r.explanation}" for r in short.head(3).itertuples()]
    return "; ".join(words) + (f" (and {len(short) - 3} more)" if len(short) > 3 else "")


def _contract_table(lp: TransportLP, hl: HighsLP, k: pd.DataFrame, d: LinearData) -> pd.DataFrame:
    from gasunion.optimize._linear_tables import _long

    dl = hl.value(lp.v["deliver"])
    short = hl.value(lp.v["short"])
    t = _long(pd.Index(k.index, name="id"), d.periods.names, {
        "delivered_kg_s": dl, "max_kg_s": k.attrs["rate"],
        "delivered_mcm": dl * 3600.0 * d.periods.hours[:, None] / d.kg_per_mcm},
        k[["seller", "buyer", "take_or_pay", "price_per_kg"]])
    t["shortfall_paid_kg_horizon"] = np.repeat(short * 3600.0, len(d.periods))  # per contract
    return t


FORMULATIONS: dict[str, Callable[..., OptimizationResult]] = {"linear": transport}
DEFAULT_FORMULATION = "linear"
