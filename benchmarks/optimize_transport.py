"""Benchmark: the transport LP with 365 daily periods (model build vs HiGHS solve).

Two cases, each solved once after a warm-up solve of one period (imports, caches):

* ``central_asia``: the Central Asia network (scenario 2023, prepared by
  ``central_asia_monthly``: ratings, storages, priorities) over 365 days; daily demand and
  supply maxima = the monthly profiles of ``monthly.csv`` (each day takes its month's value).
* ``gaslib582``: GasLib-582 (``tests/data/matgas/gaslib-582-G.m``) over 365 days with a
  *synthetic* load: demand x (1 + 0.3 cos(2 pi (day - 15) / 365)), supply maxima 1.1 x the
  set-points, supply costs 0.10..0.30 per kg (seeded), value of gas 1.0 per kg, pipes rated by
  the pipe-law default. The numbers only make the LP non-trivial; they are not data.

``build`` = network tables -> arrays -> linopy model -> matrices passed to HiGHS;
``solve`` = HiGHS ``run()``. Target: build <= 0.5 x solve. Run from the repository root:

    python benchmarks/optimize_transport.py

Prints a table and writes ``benchmarks/results/optimize_transport.json``.
"""

from __future__ import annotations

import json
import platform
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

import gasunion as gu
from gasunion.datasets.central_asia_monthly import MONTHLY_OPTIONS, central_asia_monthly
from gasunion.optimize.periods import Periods
from gasunion.optimize.transport import transport

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "benchmarks" / "results" / "optimize_transport.json"
DAYS = pd.date_range("2023-01-01", periods=365, freq="D")


def central_asia_case() -> tuple[gu.Network, Periods, dict[str, Any]]:
    net, months = central_asia_monthly("2023")
    month_of_day = DAYS.strftime("%Y-%m")
    per = Periods(DAYS.strftime("%Y-%m-%d"), 24.0)
    for (comp, attr), df in months.profiles.items():
        per.set_profile(comp, attr, df.loc[month_of_day].set_axis(per.names))
    return net, per, dict(MONTHLY_OPTIONS)


def gaslib582_case() -> tuple[gu.Network, Periods, dict[str, Any]]:
    net = gu.read(ROOT / "tests" / "data" / "matgas" / "gaslib-582-G.m")
    rng = np.random.default_rng(582)
    src = net.sources.copy()
    src["mass_flow_max_kg_s"] = 1.1 * src["mass_flow_kg_s"].fillna(src["mass_flow_max_kg_s"])
    src["cost_per_kg"] = rng.uniform(0.10, 0.30, len(src))
    net["sources"] = src
    snk = net.sinks.copy()
    snk["value_per_kg"] = 1.0
    net["sinks"] = snk
    day = np.arange(365)
    f = 1.0 + 0.3 * np.cos(2 * np.pi * (day - 15) / 365.0)
    per = Periods(DAYS.strftime("%Y-%m-%d"), 24.0)
    per.set_profile("sinks", "mass_flow_kg_s", pd.DataFrame(
        np.outer(f, snk["mass_flow_kg_s"].to_numpy(float)), index=per.names, columns=snk.index))
    return net, per, {}


def run(name: str, net: gu.Network, per: Periods, opts: dict[str, Any]) -> dict[str, object]:
    transport(net, periods=1, **opts)  # warm-up: imports and caches
    t0 = time.perf_counter()
    res = transport(net, periods=per, **opts)
    wall = time.perf_counter() - t0
    s = res.summary
    return {"case": name, "periods": s["n_periods"], "variables": s["n_variables"],
            "constraints": s["n_constraints"], "build_s": round(s["build_time_s"], 3),
            "solve_s": round(s["solve_time_s"], 3),
            "build_over_solve": round(s["build_time_s"] / s["solve_time_s"], 3),
            "tables_and_rest_s": round(wall - s["build_time_s"] - s["solve_time_s"], 3),
            "objective": s["objective"], "objective_kind": s["objective_kind"],
            "unserved_kg_s": round(s["unserved_kg_s"], 4)}


def main() -> None:
    rows = [run("central_asia", *central_asia_case()), run("gaslib582", *gaslib582_case())]
    df = pd.DataFrame(rows).set_index("case")
    print(df[["periods", "variables", "constraints", "build_s", "solve_s", "build_over_solve",
              "tables_and_rest_s"]].to_string())
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps({"benchmark": "optimize_transport", "target": "build <= 0.5 x solve",
                               "machine": platform.platform(), "python": platform.python_version(),
                               "cases": rows}, indent=2) + "\n")
    print(f"wrote {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
