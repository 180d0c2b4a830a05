"""Benchmark: all 2^15 = 32,768 coalition values of a 15-player network game, plus the Shapley
value and the nucleolus; against the naive way (a fresh LP per coalition).

The network: 15 countries on a ring (each with a gas field, a city and the pipe to the next
country; fields, cities, prices and capacities differ), three cross-links owned 50/50 by
their two end countries (joint ventures, ``joint="all"``), and a large export market owned
by country 0. The naive time is measured on a random sample of coalitions (building the LP
from the network and solving it, per coalition) and extrapolated to 32,768 coalitions.

Run: ``python benchmarks/games_network.py`` (writes ``benchmarks/results/games_network.json``).
"""

from __future__ import annotations

import json
import os
import platform
import time
from pathlib import Path

import numpy as np

import gasunion as gu
from gasunion.games._network_assets import ownership
from gasunion.games._network_solve import CoalitionLP
from gasunion.games.network import network_game

N = 15
SAMPLE = 40


def ring(n: int = N) -> gu.Network:
    rng = np.random.default_rng(7)
    c = [f"C{i:02d}" for i in range(n)]
    net = gu.Network(f"ring of {n}")
    net.add("junctions", [f"j{i}" for i in range(n)], country=c, owner=c)
    net.add("sources", [f"field{i}" for i in range(n)], junction=[f"j{i}" for i in range(n)],
            mass_flow_max_kg_s=rng.uniform(0, 100, n).round(1),
            cost_per_kg=rng.uniform(0.05, 0.2, n).round(3), owner=c, country=c)
    net.add("sinks", [f"city{i}" for i in range(n)], junction=[f"j{i}" for i in range(n)],
            mass_flow_kg_s=rng.uniform(10, 80, n).round(1),
            value_per_kg=rng.uniform(0.15, 0.4, n).round(3), owner=c, country=c)
    net.add("sinks", "export", junction="j0", mass_flow_kg_s=300.0, value_per_kg=0.3,
            owner=c[0], country=c[0])
    net.add("pipes", [f"p{i}" for i in range(n)], from_junction=[f"j{i}" for i in range(n)],
            to_junction=[f"j{(i + 1) % n}" for i in range(n)], length_km=100.0,
            diameter_mm=800.0, mass_flow_max_kg_s=rng.uniform(40, 120, n).round(0),
            mass_flow_min_kg_s=-60.0, fee_per_kg=0.005, owner=c, country=c)
    links = [(a, b) for a, b in ((2, 9), (4, 12), (7, 14)) if b < n]
    net.add("pipes", [f"x{a}_{b}" for a, b in links], from_junction=[f"j{a}" for a, _ in links],
            to_junction=[f"j{b}" for _, b in links], length_km=300.0, diameter_mm=600.0,
            mass_flow_max_kg_s=50.0, mass_flow_min_kg_s=-50.0, owner=[c[a] for a, _ in links],
            country=[c[a] for a, _ in links])
    net.add("ownership", [f"o{k}" for k in range(2 * len(links))], component="pipes",
            element=[f"x{a}_{b}" for a, b in links for _ in (0, 1)],
            party=[c[x] for a, b in links for x in (a, b)], share=0.5)
    return net


def naive(net: gu.Network, masks: np.ndarray) -> tuple[float, dict[int, float]]:
    """A fresh LP per coalition: network tables -> arrays -> linopy model -> HiGHS -> solve."""
    t0 = time.perf_counter()
    out = {}
    for m in masks:
        lp = CoalitionLP(net)
        own = ownership(net, lp.d, "country")
        out[int(m)] = lp.welfare(own.availability(np.array([m]), "all", "open")[0])
    return time.perf_counter() - t0, out


def main() -> dict[str, object]:
    from gasunion.games.nucleolus import nucleolus
    from gasunion.games.shapley import shapley

    net = ring()
    network_game(ring(3))  # warm the imports (linopy, highspy) outside the timing
    t0 = time.perf_counter()
    g = network_game(net, "country", joint="all")
    t_values = time.perf_counter() - t0
    game = g.game()
    t1 = time.perf_counter()
    sh = shapley(game)
    t_shapley = time.perf_counter() - t1
    t2 = time.perf_counter()
    nu = nucleolus(game)
    t_nucleolus = time.perf_counter() - t2
    total = time.perf_counter() - t0
    rng = np.random.default_rng(1)
    sample = rng.choice(np.arange(1, 1 << N), SAMPLE, replace=False)
    t_naive, w = naive(net, sample)
    w0 = naive(net, np.array([0]))[1][0]
    err = max(abs((w[m] - w0) - g.values[m]) for m in w) / max(1.0, abs(g.values[-1]))
    naive_total = t_naive / SAMPLE * (1 << N)
    res = {
        "players": N, "coalitions": 1 << N, "stats": {k: v for k, v in g.stats.items()},
        "values_s": t_values, "shapley_s": t_shapley, "nucleolus_s": t_nucleolus,
        "total_s": total,
        "naive_sample": SAMPLE, "naive_sample_s": t_naive,
        "naive_extrapolated_s": naive_total,
        "naive_note": f"a fresh LP per coalition, timed on {SAMPLE} random coalitions and "
                      "extrapolated to 32,768 (values only, no Shapley/nucleolus)",
        "speedup_values": naive_total / t_values,
        "max_relative_difference_vs_naive": err,
        "grand_value": float(g.values[-1]),
        "shapley": {k: float(v) for k, v in sh.items()},
        "nucleolus": {k: float(v) for k, v in nu.items()},
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                    "platform": platform.platform()},
    }
    out = Path(__file__).parent / "results" / "games_network.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(res, indent=2) + "\n")
    print(f"{N} players: 32,768 values {t_values:.1f} s ({g.stats['lp_solves']} LP solves, "
          f"{g.stats['split']} split, {g.stats['cached']} cached), Shapley {t_shapley:.2f} s, "
          f"nucleolus {t_nucleolus:.1f} s: total {total:.1f} s")
    print(f"naive: {t_naive / SAMPLE * 1000:.1f} ms per coalition -> {naive_total:.0f} s "
          f"extrapolated; speed-up {naive_total / t_values:.0f}x (values); max rel. diff "
          f"{err:.1e}")
    return res


if __name__ == "__main__":
    main()
