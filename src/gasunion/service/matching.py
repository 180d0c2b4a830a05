"""Matching of the stored nominations with :func:`gasunion.operations.match_nominations`,
the IPs' capacity per direction from the interconnection points."""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from gasunion.operations import match_nominations

COLS = ["gas_day", "ip", "tso", "counter_tso", "shipper", "counter_shipper", "direction",
        "quantity_kwh"]


def capacity_table(ips: list[dict[str, Any]]) -> pd.DataFrame | None:
    """``ip, direction, tso, capacity_kwh``: forward (``tso`` -> ``counter_tso``) is the exit
    at the IP's tso and the entry at its counter_tso; reverse the other way round. Unknown
    capacities (null) do not limit."""
    rows = []
    for p in ips:
        for cap, exit_at, entry_at in ((p["capacity_forward_kwh_d"], p["tso"], p["counter_tso"]),
                                       (p["capacity_reverse_kwh_d"], p["counter_tso"], p["tso"])):
            if cap is None or not math.isfinite(cap):
                continue
            rows.append({"ip": p["id"], "direction": "exit", "tso": exit_at, "capacity_kwh": cap})
            rows.append({"ip": p["id"], "direction": "entry", "tso": entry_at,
                         "capacity_kwh": cap})
    return pd.DataFrame(rows) if rows else None


def run_matching(noms: list[dict[str, Any]], ips: list[dict[str, Any]], rule: str = "lesser"
                 ) -> list[dict[str, Any]]:
    """One confirmation per nomination (daily and hourly nominations matched apart)."""
    if not noms:
        return []
    cap = capacity_table(ips)
    df = pd.DataFrame(noms).set_index("id")
    out = []
    for hourly in (False, True):
        part = df[df["hour"].notna()] if hourly else df[df["hour"].isna()]
        if part.empty:
            continue
        frame = part[COLS].copy()
        if hourly:
            frame["hour"] = part["hour"].astype(int)
        res = match_nominations(frame, rule=rule, capacity=cap)
        for nid, r in zip(res.index, res.itertuples(index=False), strict=True):
            cnq = float(r.counter_nominated_kwh)
            out.append({
                "gas_day": r.gas_day, "ip": r.ip,
                "hour": int(getattr(r, "hour")) if hourly else None,  # noqa: B009
                "tso": r.tso, "counter_tso": r.counter_tso, "shipper": r.shipper,
                "counter_shipper": r.counter_shipper, "direction": r.direction,
                "nomination_id": int(nid), "nominated_kwh": float(r.nominated_kwh),
                "counter_nominated_kwh": cnq if math.isfinite(cnq) else None,
                "confirmed_kwh": float(r.confirmed_kwh), "reason": str(r.reason)})
    return sorted(out, key=lambda r: r["nomination_id"])
