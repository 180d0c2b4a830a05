"""Benchmark: matching 100 IPs x 50 shipper pairs x 24 hours (240,000 nominations, both sides)
against a plain ``pd.merge`` of the two sides on the same keys.

The data are synthetic (seeded): at each IP the TSO pair ``Tk``/``Uk``; every shipper pair
nominates hourly at both TSOs (an ``exit`` at ``Tk``, the mirrored ``entry`` at ``Uk``);
10 % of the counter-nominations differ (the lesser rule reduces them) and 2 % are missing.

``engine`` = :func:`gasunion.operations.match_nominations` (rule ``lesser``, validation of
every row included); ``merge`` = ``pd.merge`` of the exit rows with the entry rows (columns
renamed to the mirrored fields) on ``gas_day, hour, ip, tso, counter_tso, shipper,
counter_shipper``, ``how="outer"`` (both sides' unmatched nominations kept, as matching
must). Median of several runs after a warm-up. Target: engine <= 2 x merge.

Run from the repository root: ``python benchmarks/operations_matching.py`` (writes
``benchmarks/results/operations_matching.json``).
"""

from __future__ import annotations

import json
import platform
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from gasunion.operations import match_nominations

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "benchmarks" / "results" / "operations_matching.json"
IPS, PAIRS, HOURS, RUNS = 100, 50, 24, 7


def nominations(seed: int = 1) -> pd.DataFrame:
    """Both sides of every shipper pair, hourly; quantities in kWh per hour."""
    rng = np.random.default_rng(seed)
    ip = np.repeat([f"IP{i:03d}" for i in range(IPS)], PAIRS * HOURS)
    k = np.repeat(np.arange(IPS), PAIRS * HOURS)
    pair = np.tile(np.repeat(np.arange(PAIRS), HOURS), IPS)
    hour = np.tile(np.arange(HOURS), IPS * PAIRS)
    tso = np.char.add("T", k.astype(str)).astype(object)
    ctso = np.char.add("U", k.astype(str)).astype(object)
    shp = np.char.add("S", pair.astype(str)).astype(object)
    cshp = np.char.add("R", pair.astype(str)).astype(object)
    q = rng.integers(1, 500, len(ip)) * 1000.0
    cq = np.where(rng.random(len(ip)) < 0.1, q * 0.9, q)
    keep = rng.random(len(ip)) >= 0.02
    a = pd.DataFrame({"gas_day": "2024-01-15", "hour": hour, "ip": ip, "tso": tso,
                      "counter_tso": ctso, "shipper": shp, "counter_shipper": cshp,
                      "direction": "exit", "quantity_kwh": q})
    b = pd.DataFrame({"gas_day": "2024-01-15", "hour": hour, "ip": ip, "tso": ctso,
                      "counter_tso": tso, "shipper": cshp, "counter_shipper": shp,
                      "direction": "entry", "quantity_kwh": cq})[keep]
    return pd.concat([a, b], ignore_index=True)


def plain_merge(df: pd.DataFrame) -> pd.DataFrame:
    ex = df[df["direction"] == "exit"]
    en = df[df["direction"] == "entry"].rename(columns={
        "tso": "counter_tso", "counter_tso": "tso", "shipper": "counter_shipper",
        "counter_shipper": "shipper"})
    keys = ["gas_day", "hour", "ip", "tso", "counter_tso", "shipper", "counter_shipper"]
    return pd.merge(ex, en, on=keys, how="outer", suffixes=("", "_counter"))


def median_time(f: Any, df: pd.DataFrame) -> float:
    f(df)
    times = []
    for _ in range(RUNS):
        t0 = time.perf_counter()
        f(df)
        times.append(time.perf_counter() - t0)
    return float(np.median(times))


def main() -> dict[str, Any]:
    df = nominations()
    engine = median_time(match_nominations, df)
    merge = median_time(plain_merge, df)
    res = match_nominations(df)
    doc = {"ips": IPS, "shipper_pairs": PAIRS, "hours": HOURS, "rows": len(df), "runs": RUNS,
           "engine_s": engine, "merge_s": merge, "ratio": engine / merge, "target_ratio": 2.0,
           "confirmed_kwh": float(res["confirmed_kwh"].sum()),
           "no_counter_nomination": int((res["reason"] == "no counter-nomination").sum()),
           "python": platform.python_version(), "pandas": pd.__version__,
           "machine": platform.machine()}
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(doc, indent=2) + "\n")
    print(f"{len(df)} nominations: engine {engine * 1e3:.1f} ms, plain merge "
          f"{merge * 1e3:.1f} ms, ratio {engine / merge:.2f} (target <= 2)")
    return doc


if __name__ == "__main__":
    main()
