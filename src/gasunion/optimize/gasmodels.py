"""GasModels.jl's objectives, constants and bounds, for reproducing its results on matgas input.

GasModels.jl (Bent, Sundar et al., lanl-ansi/GasModels.jl, BSD-3; commit 36cbbdfc):

* OGF objective (``src/core/objective.jl``, ``objective_min_economic_costs``), in $/s:
  ``w (sum_receipts offer fg - sum_deliveries bid fl - sum_transfers price ft)
  + (1 - w) sum_compressors q work (r^((gamma-1)/gamma) - 1)`` over *dispatchable*
  elements, ``w`` = the file's ``economic_weighting`` (default 1), a transfer's price = its
  ``bid_price`` if ``withdrawal_min >= 0`` else ``-offer_price``; the power term is in W
  (``work = 286.76 / G * T * gamma/(gamma-1)`` [J/kg], ``_calc_compressor_work`` in
  ``src/core/data.jl``): with ``w < 1`` any compression is heavily penalised.
* Load shedding objective (``objective_max_load``): maximise ``sum priority fl`` over the
  dispatchable deliveries (priority default 1), in kg/s (GasModels' tests compare
  ``objective * base_flow``, i.e. kg/s).
* Compressor energy ``q (r^((gamma-1)/gamma) - 1) <= power_max / work`` is posted only where
  ``f_max (r_max^(2^m) - 1) > power_max / work``, ``m = (gamma-1)/(2 gamma)`` (the bound test
  of ``_calc_is_compressor_energy_bounded``, Julia precedence ``r^2^m = r^(2^m)``).
* Pipe flow bounds (``_calc_pipe_flow_max``): ``min(mf, sqrt((p_max,i^2 - p_min,j^2) / K), f_max)``
  with ``K = lambda a^2 L / (D A^2)`` (``w = 1/K``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from gasunion.network import Network
from gasunion.physics.compressor import GASMODELS_WORK_CONSTANT

__all__ = ["GasModelsTerms", "gasmodels_terms", "is_matgas", "pipe_flow_bounds"]


def is_matgas(net: Network) -> bool:
    """Whether ``net`` was read from a GasModels matgas file (``net.meta["format"]``)."""
    return str(net.meta.get("format", "")).startswith("matgas")


@dataclass
class GasModelsTerms:
    """Per-element coefficients of GasModels' objectives, aligned with given source/sink ids."""

    weighting: float  #: economic weighting w [-]
    work_j_kg: float  #: 286.76 / G T gamma/(gamma-1) [J/kg]
    exponent: float  #: (gamma-1)/gamma, applied to r (= m applied to r^2)
    c_src: np.ndarray  #: $/kg per source flow in the econ term (0 if not dispatchable)
    c_snk: np.ndarray  #: $/kg per sink flow in the econ term
    ls_weight: np.ndarray  #: priority of each dispatchable delivery (0 otherwise)
    energy_bounded: dict[str, bool]  #: compressor id -> GasModels posts its power limit


def _globals(net: Network) -> dict[str, Any]:
    return dict(net.meta.get("matgas", {}).get("globals", {}))


def compressor_work(net: Network) -> float:
    """GasModels' specific compression work constant ``286.76/G T gamma/(gamma-1)`` [J/kg]."""
    g = _globals(net)
    gravity = float(g.get("gas_specific_gravity") or net.gas.specific_gravity)
    t = float(g.get("temperature") or net.gas.temperature_k)
    gamma = float(g.get("specific_heat_capacity_ratio") or net.gas.kappa)
    return GASMODELS_WORK_CONSTANT / gravity * t * gamma / (gamma - 1.0)


def gasmodels_terms(net: Network, src_ids: pd.Index, snk_ids: pd.Index,
                    comp_ids: np.ndarray | None = None) -> GasModelsTerms:
    """Coefficients of GasModels' OGF and load-shedding objectives for ``net``'s elements.

    Prices come from ``net.meta["economics"]`` (written by the matgas reader, $/kg); networks
    not read from matgas get zero prices and weighting 1.
    """
    econ = net.meta.get("economics", {}) or {}
    w = econ.get("economic_weighting")
    w = 1.0 if w is None else float(w)
    gamma = float(_globals(net).get("specific_heat_capacity_ratio") or net.gas.kappa)
    work = compressor_work(net)
    c_src = np.zeros(len(src_ids))
    for k, sid in enumerate(src_ids):
        e = econ.get("sources", {}).get(str(sid))
        if e and e.get("dispatchable"):
            c_src[k] = _price(e.get("offer_price"))
    c_snk = np.zeros(len(snk_ids))
    ls = np.zeros(len(snk_ids))
    for k, sid in enumerate(snk_ids):
        e = econ.get("sinks", {}).get(str(sid))
        if not (e and e.get("dispatchable")):
            continue
        if e.get("table") == "transfer":
            lo = e.get("min_kg_s")
            price = (_price(e.get("bid_price")) if lo is None or lo >= 0
                     else -_price(e.get("offer_price")))
            c_snk[k] = -price
        else:
            c_snk[k] = -_price(e.get("bid_price"))
            prio = e.get("priority")
            ls[k] = 1.0 if prio is None else float(prio)
    bounded: dict[str, bool] = {}
    if comp_ids is not None and len(comp_ids):
        ct = net.compressors
        mexp = (gamma - 1.0) / (2.0 * gamma)
        for cid in comp_ids:
            f_max = max(abs(np.nan_to_num(ct.at[cid, "mass_flow_max_kg_s"], nan=np.inf)),
                        abs(np.nan_to_num(ct.at[cid, "mass_flow_min_kg_s"], nan=0.0)))
            rmax = float(np.nan_to_num(ct.at[cid, "ratio_max"], nan=1.0))
            pmax = float(ct.at[cid, "power_max_mw"]) * 1e6
            bounded[str(cid)] = bool(math.isfinite(pmax)
                                     and f_max * (rmax ** (2.0**mexp) - 1.0) > pmax / work)
    return GasModelsTerms(weighting=w, work_j_kg=work, exponent=(gamma - 1.0) / gamma,
                          c_src=c_src, c_snk=c_snk, ls_weight=ls, energy_bounded=bounded)


def _price(v: Any) -> float:
    return 0.0 if v is None or not math.isfinite(float(v)) else float(v)


def pipe_flow_bounds(k_bar2: np.ndarray, pi_hi_from: np.ndarray, pi_lo_to: np.ndarray,
                     pi_hi_to: np.ndarray, pi_lo_from: np.ndarray,
                     cap: float) -> tuple[np.ndarray, np.ndarray]:
    """GasModels' pipe flow bounds [kg/s] from squared-pressure bounds [bar^2] and resistance
    ``K`` [bar^2/(kg/s)^2]: ``f_max = min(cap, sqrt((pi_max,i - pi_min,j)/K))``, ``f_min =
    max(-cap, -sqrt((pi_max,j - pi_min,i)/K))`` (``_calc_pipe_flow_max``/``_min``)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        d_fw = pi_hi_from - pi_lo_to
        d_bw = pi_hi_to - pi_lo_from
        hi = np.sign(d_fw) * np.sqrt(np.abs(d_fw) / k_bar2)
        lo = -np.sign(d_bw) * np.sqrt(np.abs(d_bw) / k_bar2)
    hi = np.where(np.isfinite(hi), np.minimum(hi, cap), cap)
    lo = np.where(np.isfinite(lo), np.maximum(lo, -cap), -cap)
    return lo, hi
