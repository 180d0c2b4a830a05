"""Seeded generator of realistic meshed gas grids for the benchmarks.

:func:`meshed_network` builds a perturbed 2-D grid:

* junctions on an ``nx x ny`` lattice (spacing 8 km) with random jitter of the coordinates;
* a *backbone* of large pipes (700-1000 mm) along every 5th lattice row and column, a random
  spanning tree over the remaining lattice edges (so the grid is connected) and random extra
  lattice edges until there are ~1.4 pipes per junction; non-backbone pipes get 200-600 mm;
* pipe length = jittered Euclidean distance x a route factor 1.0-1.5, clipped to 1-20 km;
  roughness 0.05 mm; flat terrain (height 0, so that pandapipes' static head plays no part);
* a few pressure-controlled sources (one per ~800 junctions, at least 3) at backbone crossings,
  with set-points 60-70 bar (absolute);
* flow-controlled sinks at ~70 % of the other junctions with log-normal demands, scaled so that
  the lowest pressure of the solved network is ``target_min_pressure_bar`` (default 35 bar).

Only pipes, sources and sinks are used, so pandapipes can represent the identical network.
The demand scaling uses gasunion's own steady-state solver (Nikuradse friction, ideal gas):
with pressure-controlled sources, squared pressure drops scale with the square of the demand
level, so two or three solves pin the level (the level is rounded to 0.1 kg/s, so round-off
differences between solver versions do not change the network). Everything is deterministic
for a given seed.

Run ``python benchmarks/generate.py 5000 --seed 1`` to print a summary of one network.
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components, minimum_spanning_tree

try:  # the benchmarks run from a checkout without installing the package
    import gasunion  # noqa: F401
except ImportError:  # pragma: no cover - depends on the environment
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from gasunion.network import Network

SPACING_KM = 8.0
BACKBONE_STRIDE = 5
BRANCHES_PER_JUNCTION = 1.4
SINK_SHARE = 0.7


def _lattice_edges(nx: int, n: int) -> tuple[np.ndarray, np.ndarray]:
    """4-neighbour edges between the first ``n`` cells of a row-major lattice ``nx`` wide."""
    idx = np.arange(n)
    col, row = idx % nx, idx // nx
    right = idx[(col < nx - 1) & (idx + 1 < n)]
    down = idx[idx + nx < n]
    a = np.concatenate([right, down])
    b = np.concatenate([right + 1, down + nx])
    # backbone: edges along a lattice row (horizontal) or column (vertical) that is a multiple
    # of the stride
    horiz = np.concatenate([np.ones(len(right), bool), np.zeros(len(down), bool)])
    backbone = np.where(horiz, row[a] % BACKBONE_STRIDE == 0, col[a] % BACKBONE_STRIDE == 0)
    return np.stack([a, b], axis=1), backbone


def _topology(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray,
                                                           np.ndarray]:
    nx = math.ceil(math.sqrt(n))
    edges, backbone = _lattice_edges(nx, n)
    # random spanning tree preferring the backbone: backbone weights in (0, 1), others in (1, 2)
    w = rng.random(len(edges)) + np.where(backbone, 0.0, 1.0) + 1e-9
    g = sp.coo_matrix((w, (edges[:, 0], edges[:, 1])), shape=(n, n)).tocsr()
    tree = minimum_spanning_tree(g).tocoo()
    key = {(int(a), int(b)) for a, b in zip(np.minimum(tree.row, tree.col),
                                            np.maximum(tree.row, tree.col), strict=True)}
    chosen = np.array([(int(a), int(b)) in key for a, b in edges]) | backbone
    target = round(BRANCHES_PER_JUNCTION * n)
    rest = np.flatnonzero(~chosen)
    extra = max(0, min(len(rest), target - int(chosen.sum())))
    chosen[rng.choice(rest, size=extra, replace=False)] = True
    sel = np.flatnonzero(chosen)
    e = edges[sel]
    # random orientation of the pipes (flows of either sign occur)
    flip = rng.random(len(e)) < 0.5
    e[flip] = e[flip][:, ::-1]
    # coordinates (km), jittered
    idx = np.arange(n)
    xy = np.stack([idx % nx, idx // nx], axis=1).astype(float) * SPACING_KM
    xy += rng.uniform(-0.42, 0.42, size=xy.shape) * SPACING_KM
    return e, backbone[sel], xy, idx


def meshed_network(
    n_junctions: int,
    seed: int = 0,
    target_min_pressure_bar: float = 35.0,
) -> Network:
    """A seeded meshed transmission/distribution grid of ``n_junctions`` junctions.

    See the module docstring for the construction. The result has only pipes, pressure-set
    sources and flow-set sinks; ``net.meta["generator"]`` records the parameters and
    ``net.meta["min_pressure_bar"]`` the lowest pressure of the network solved with gasunion
    (Nikuradse, ideal gas).
    """
    if n_junctions < 25:
        raise ValueError(f"n_junctions must be at least 25, got {n_junctions}")
    rng = np.random.default_rng(seed)
    n = int(n_junctions)
    edges, backbone, xy, idx = _topology(n, rng)
    m = len(edges)
    ncomp, _ = connected_components(
        sp.coo_matrix((np.ones(m), (edges[:, 0], edges[:, 1])), shape=(n, n)), directed=False)
    assert ncomp == 1, "generator produced a disconnected grid"

    dist = np.linalg.norm(xy[edges[:, 0]] - xy[edges[:, 1]], axis=1)
    length = np.clip(dist * rng.uniform(1.0, 1.5, m), 1.0, 20.0)
    diam = np.where(backbone,
                    rng.choice([700.0, 800.0, 900.0, 1000.0], size=m, p=[0.3, 0.3, 0.25, 0.15]),
                    rng.choice([200.0, 300.0, 400.0, 500.0, 600.0], size=m,
                               p=[0.3, 0.25, 0.2, 0.15, 0.1]))

    # sources at backbone crossings, spread out: pick from a shuffled list of crossings
    nx = math.ceil(math.sqrt(n))
    col, row = idx % nx, idx // nx
    crossings = idx[(col % BACKBONE_STRIDE == 0) & (row % BACKBONE_STRIDE == 0)]
    n_src = max(3, round(n / 800))
    src_nodes = np.sort(rng.choice(crossings, size=min(n_src, len(crossings)), replace=False))
    p_set = np.round(rng.uniform(60.0, 70.0, size=len(src_nodes)), 2)

    others = np.setdiff1d(idx, src_nodes)
    sink_nodes = np.sort(rng.choice(others, size=round(SINK_SHARE * len(others)), replace=False))
    raw = rng.lognormal(mean=0.0, sigma=0.8, size=len(sink_nodes))
    raw /= raw.sum()

    jid = np.array([f"J{i:05d}" for i in range(n)], dtype=object)
    net = Network(name=f"meshed-{n}-s{seed}",
                  meta={"generator": {"function": "benchmarks.generate.meshed_network",
                                      "n_junctions": n, "seed": seed,
                                      "target_min_pressure_bar": target_min_pressure_bar}})
    net.add("junctions", jid, x=xy[:, 0], y=xy[:, 1], height_m=0.0, p_min_bar=20.0,
            p_max_bar=80.0, kind="innode", owner="BENCH", country="XX")
    net.add("pipes", [f"P{i:05d}" for i in range(m)], from_junction=jid[edges[:, 0]],
            to_junction=jid[edges[:, 1]], length_km=np.round(length, 3), diameter_mm=diam,
            roughness_mm=0.05, p_max_bar=80.0, owner="BENCH", country="XX")
    net.add("sources", [f"S{i:03d}" for i in range(len(src_nodes))], junction=jid[src_nodes],
            p_set_bar=p_set, owner="BENCH", country="XX")
    sink_ids = [f"D{i:05d}" for i in range(len(sink_nodes))]
    net.add("sinks", sink_ids, junction=jid[sink_nodes], mass_flow_kg_s=0.0, owner="BENCH",
            country="XX")

    total, pmin = _scale_demand(net, raw, target_min_pressure_bar, float(p_set.min()), n)
    net.meta["total_demand_kg_s"] = total
    net.meta["min_pressure_bar"] = pmin
    return net


def _min_pressure(net: Network) -> float:
    from gasunion.simulation import simulate

    res = simulate(net, friction="nikuradse", z="ideal", raise_on_failure=False)
    if not res.summary["converged"]:
        return -math.inf
    p = res.junctions["p_bar"].to_numpy(float)
    return float(np.nanmin(p)) if np.isfinite(p).any() else -math.inf


def _scale_demand(net: Network, raw: np.ndarray, target: float, p_src: float,
                  n: int) -> tuple[float, float]:
    """Set sink demands ``total * raw`` with ``total`` such that min pressure ~= ``target``.

    Model: ``pmin^2 ~= A - B total^2`` (exact for one source pressure, Nikuradse, ideal gas).
    """

    def set_total(total: float) -> float:
        sinks = net.sinks.copy()
        sinks["mass_flow_kg_s"] = np.round(total * raw, 6)
        net["sinks"] = sinks
        return _min_pressure(net)

    total = 0.05 * n  # kg/s: a first guess (~ 0.05 kg/s per junction)
    pmin = set_total(total)
    while not math.isfinite(pmin):  # too much demand for a first guess: back off
        total /= 3.0
        pmin = set_total(total)
    for _ in range(6):
        if abs(pmin - target) <= 1.0:
            break
        b = max((p_src**2 - pmin**2) / total**2, 1e-12)
        new = math.sqrt(max(p_src**2 - target**2, 1.0) / b)
        # rounded, so that round-off differences of the solver cannot change the network
        total = round(min(new, 4.0 * total), 1)
        pmin = set_total(total)
        while not math.isfinite(pmin):
            total /= 1.5
            pmin = set_total(total)
    return float(np.round(total * raw, 6).sum()), pmin


def main(argv: list[str] | None = None) -> None:
    import argparse
    import time

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("n_junctions", type=int)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    net = meshed_network(args.n_junctions, args.seed)
    dt = time.perf_counter() - t0
    deg = 2 * len(net.pipes) / len(net.junctions)
    print(f"{net!r} in {dt:.2f} s")
    print(f"pipes per junction {len(net.pipes) / len(net.junctions):.3f} (mean degree {deg:.2f}), "
          f"length {net.pipes.length_km.min():.1f}-{net.pipes.length_km.max():.1f} km, "
          f"diameter {net.pipes.diameter_mm.min():.0f}-{net.pipes.diameter_mm.max():.0f} mm")
    print(f"sources {len(net.sources)} at {net.sources.p_set_bar.min():.1f}-"
          f"{net.sources.p_set_bar.max():.1f} bar; sinks {len(net.sinks)}, total demand "
          f"{net.meta['total_demand_kg_s']:.1f} kg/s; min pressure "
          f"{net.meta['min_pressure_bar']:.2f} bar")


if __name__ == "__main__":
    main()
