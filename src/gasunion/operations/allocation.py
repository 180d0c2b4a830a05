"""Allocation at interconnection points after the gas day, and each shipper's imbalance.

Allocation follows Regulation (EU) 2015/703 (INT NC) Art. 9 and ENTSOG's business
requirements for allocation (Edig@s ALOCAT): the measured flow at an IP (kWh per gas day, or
per hour) is shared among the shipper pairs that had confirmed quantities there:

* ``as_nominated``: each shipper is allocated its confirmed quantity; the *steering
  difference* (measured - sum of confirmed) is reported per IP, TSO pair and direction
  (``difference_kwh``) and assigned to no shipper;
* ``oba``: the same allocation under an operational balancing agreement (the default rule of
  INT NC Art. 9(1)): the steering difference goes to the OBA account of the two TSOs, whose
  running balance ``oba_balance_kwh`` (kWh delivered by ``tso`` to ``counter_tso`` beyond the
  confirmed quantities, cumulated over the periods) is reported on every row;
* ``pro_rata``: the measured quantity is shared in proportion to the confirmed quantities
  (allocated = measured x confirmed / sum of confirmed); the difference is then 0 (unless
  nothing was confirmed: then the whole measured quantity is the difference).

The daily imbalance of a shipper in a TSO's balancing zone is Regulation (EU) 312/2014
(balancing network code) Art. 19: inputs - offtakes (kWh per gas day); positive = long,
negative = short (see :func:`imbalance`).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from gasunion.errors import GasunionError

METHODS = ("as_nominated", "pro_rata", "oba")
SIDE = ["ip", "tso", "counter_tso", "direction"]


class AllocationError(GasunionError, ValueError):
    """Measurements and confirmations that do not fit together; ``problems`` lists them."""

    def __init__(self, message: str, problems: pd.DataFrame) -> None:
        self.problems = problems
        rows = "; ".join(", ".join(str(v) for v in r) for r in problems.head(10).itertuples(
            index=False))
        super().__init__(f"{message}: {rows}" + (" ..." if len(problems) > 10 else ""))


def _mirrored(measured: pd.DataFrame) -> pd.DataFrame:
    """The measurements plus, where missing, the same meter seen from the other TSO."""
    mir = measured.rename(columns={"tso": "counter_tso", "counter_tso": "tso"})
    mir["direction"] = mir["direction"].map({"entry": "exit", "exit": "entry"})
    both = pd.concat([measured, mir[measured.columns]], ignore_index=True)
    return both.drop_duplicates([c for c in both.columns if c != "measured_kwh"])


def allocate(confirmed: pd.DataFrame, measured: pd.DataFrame, method: str = "as_nominated"
             ) -> pd.DataFrame:
    """Allocated quantities (kWh) per confirmed row.

    ``confirmed``: the result of :func:`~gasunion.operations.match_nominations`.
    ``measured``: ``gas_day, ip, tso, counter_tso, direction, measured_kwh`` (and optionally
    ``hour``): the metered energy in kWh flowing at the IP in that direction as seen from
    ``tso`` (an ``exit`` from ``tso`` into ``counter_tso``); the other TSO's view is derived
    when not given. Hourly confirmations are allocated against daily measurements by day.

    Returns the confirmed rows with ``measured_kwh`` (of the row's group), ``allocated_kwh``,
    ``difference_kwh`` (the group's measured - sum of allocated: the steering difference) and,
    for ``oba``, ``oba_balance_kwh``. Raises :class:`AllocationError` for a group of
    confirmations without a measurement or a measurement without confirmations.
    """
    if method not in METHODS:
        raise ValueError(f"method {method!r}: choose one of {', '.join(METHODS)}")
    need = ["gas_day", *SIDE, "measured_kwh"]
    missing = [c for c in need if c not in measured]
    if missing:
        raise AllocationError("measured: missing columns", pd.DataFrame({"column": missing}))
    if (measured["measured_kwh"] < 0).any() or measured["measured_kwh"].isna().any():
        raise AllocationError("measured_kwh must be a number >= 0",
                              measured[measured["measured_kwh"].isna() |
                                       (measured["measured_kwh"] < 0)])
    group = ["gas_day", *(["hour"] if "hour" in measured else []), *SIDE]
    meas = _mirrored(measured[[*group, "measured_kwh"]])
    if meas.duplicated(group).any():
        raise AllocationError("measured: more than one value per group (or the two TSOs' "
                              "views differ)", meas[meas.duplicated(group, keep=False)])
    out = confirmed.merge(meas, on=group, how="left", validate="many_to_one")
    out.index = confirmed.index
    lost = out["measured_kwh"].isna()
    if lost.any():
        raise AllocationError("confirmations without a measurement",
                              out.loc[lost, group].drop_duplicates())
    known = _mirrored(confirmed[group].drop_duplicates().assign(measured_kwh=0.0))[group]
    seen = measured[group].merge(known.drop_duplicates(), on=group, how="left", indicator=True)
    orphan = seen[seen["_merge"] == "left_only"]
    if len(orphan):
        raise AllocationError("measurements without confirmations", orphan[group])
    c = out["confirmed_kwh"].to_numpy(dtype=float)
    total = out.groupby(group, sort=False)["confirmed_kwh"].transform("sum").to_numpy(dtype=float)
    mk = out["measured_kwh"].to_numpy(dtype=float)
    share = np.divide(mk * c, total, out=np.zeros(len(out)), where=total > 0)
    out["allocated_kwh"] = share if method == "pro_rata" else c
    out["difference_kwh"] = mk - out.groupby(group, sort=False)["allocated_kwh"].transform(
        "sum").to_numpy(dtype=float)
    if method == "oba":
        out["oba_balance_kwh"] = _oba(out, group)
    return out


def _oba(out: pd.DataFrame, group: list[str]) -> np.ndarray:
    """The running OBA balance after each row's period, per IP and ordered TSO pair (kWh)."""
    per = out.drop_duplicates(group)[[*group, "difference_kwh"]].copy()
    per["signed"] = np.where(per["direction"] == "exit", 1.0, -1.0) * per["difference_kwh"]
    period = [c for c in ("gas_day", "hour") if c in group]
    net = per.groupby(["ip", "tso", "counter_tso", *period], sort=True)["signed"].sum()
    bal = net.groupby(level=["ip", "tso", "counter_tso"]).cumsum().rename("oba_balance_kwh")
    return out[["ip", "tso", "counter_tso", *period]].merge(
        bal.reset_index(), on=["ip", "tso", "counter_tso", *period], how="left"
    )["oba_balance_kwh"].to_numpy()


def imbalance(allocations: pd.DataFrame, other: pd.DataFrame | None = None,
              tolerance_kwh: float = 0.0) -> pd.DataFrame:
    """Each shipper's daily imbalance per TSO (balancing zone), Regulation (EU) 312/2014
    Art. 19: ``imbalance_kwh = inputs_kwh - offtakes_kwh`` for the gas day.

    ``allocations``: rows with ``gas_day, tso, shipper, direction, allocated_kwh`` (e.g. from
    :func:`allocate`; hourly rows are summed per gas day): an ``entry`` at ``tso`` is an input
    into its zone, an ``exit`` an offtake. ``other``: optional further inputs and offtakes
    per ``gas_day, tso, shipper`` (``input_kwh``, ``offtake_kwh``: domestic exit points,
    storage, trades at the virtual trading point). ``position``: ``long`` (> tolerance),
    ``short`` (< -tolerance) or ``balanced``.
    """
    a = allocations
    entry = a["direction"].to_numpy() == "entry"
    x = pd.DataFrame({"gas_day": a["gas_day"].to_numpy(), "tso": a["tso"].to_numpy(),
                      "shipper": a["shipper"].to_numpy(),
                      "inputs_kwh": np.where(entry, a["allocated_kwh"], 0.0),
                      "offtakes_kwh": np.where(entry, 0.0, a["allocated_kwh"])})
    if other is not None:
        o = other.rename(columns={"input_kwh": "inputs_kwh", "offtake_kwh": "offtakes_kwh"})
        x = pd.concat([x, o[["gas_day", "tso", "shipper", "inputs_kwh", "offtakes_kwh"]
                            ].fillna(0.0)], ignore_index=True)
    res = x.groupby(["gas_day", "tso", "shipper"], sort=True)[["inputs_kwh", "offtakes_kwh"]
                                                              ].sum().reset_index()
    res["imbalance_kwh"] = res["inputs_kwh"] - res["offtakes_kwh"]
    imb: Any = res["imbalance_kwh"]
    res["position"] = np.select([imb > tolerance_kwh, imb < -tolerance_kwh], ["long", "short"],
                                "balanced")
    return res
