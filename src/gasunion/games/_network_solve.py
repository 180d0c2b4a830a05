"""One transport LP for all coalitions: built once, bounds changed per coalition (HiGHS hot
start), identical restrictions cached, disconnected coalitions split into their parts.

:class:`CoalitionLP` wraps :func:`gasunion.optimize._linear_model.build_lp` and
:class:`~gasunion.optimize._linear_model.HighsLP` without changing them: the capacity of every
asset column (supply, served demand, storage injection / withdrawal, branch flow per
direction) is its full bound times the coalition's availability factor.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from gasunion.games._network_assets import Ownership
from gasunion.network import Network
from gasunion.optimize._linear_data import linear_data
from gasunion.optimize._linear_model import HighsLP, build_lp
from gasunion.optimize.periods import Periods
from gasunion.optimize.result import OptimizationError

__all__ = ["CoalitionLP", "gray_order", "solve_masks", "solve_parallel", "split_groups"]

LP_KEYS = ("friction", "z", "pipe_capacity", "fuel_share_default", "storage_cyclic",
           "flow_cost_per_kg")


class CoalitionLP:
    """The welfare LP of ``net`` (``value_per_kg`` of sinks, ``cost_per_kg`` of sources,
    ``fee_per_kg`` of branches), ready to be restricted to a coalition's assets.

    Minimum flows and minimum supplies are dropped (a coalition may leave any asset idle).
    ``scale`` turns the horizon's objective into a value per year (8760 h / horizon hours).
    """

    def __init__(self, net: Network, periods: Periods | int | None = None,
                 options: dict[str, Any] | None = None) -> None:
        from gasunion.optimize.transport import served_weights

        opts = {k: v for k, v in (options or {}).items() if k in LP_KEYS}
        d = linear_data(net, periods, **opts)
        d.src_lo = np.zeros_like(d.src_lo)
        d.fwd_lo = np.zeros_like(d.fwd_lo)
        d.rev_lo = np.zeros_like(d.rev_lo)
        weight, self.defaulted = served_weights(d)
        self.d = d
        self.lp = build_lp(d, weight)
        self.hl = HighsLP(self.lp.m)
        v = self.lp.v
        groups = [(["supply"], 0), (["served"], len(d.src)),
                  (["inj", "wd"], len(d.src) + len(d.snk)),
                  (["fp", "fm"], len(d.src) + len(d.snk) + len(d.sto))]
        cols, asset = [], []
        for names, off in groups:
            for nm in names:
                lab = v[nm].labels.values                   # (T, n)
                c = self.hl.col_of[lab]
                cols.append(c.ravel())
                asset.append(np.broadcast_to(off + np.arange(lab.shape[1]), lab.shape).ravel())
        self.cols = np.concatenate(cols).astype(np.int32)
        self.asset = np.concatenate(asset).astype(np.int64)
        lp_ = self.hl.h.getLp()
        self.full_up = np.asarray(lp_.col_upper_)[self.cols]
        self.full_lo = np.asarray(lp_.col_lower_)[self.cols]
        self.scale = 8760.0 / float(d.periods.hours.sum())
        self.n_solves = 0

    def welfare(self, avail: np.ndarray) -> float:
        """The LP's welfare [currency per year] with every asset's capacity x ``avail``."""
        a = avail[self.asset]
        with np.errstate(invalid="ignore"):
            up = np.where(a > 0, self.full_up * a, 0.0)
            lo = np.where(a > 0, np.minimum(self.full_lo * a, up), 0.0)
        self.hl.h.changeColsBounds(len(self.cols), self.cols, lo, up)
        status = self.hl.run()
        self.n_solves += 1
        if not self.hl.optimal:
            raise OptimizationError("solver", f"coalition LP: HiGHS stopped with status "
                                    f"{status!r}")
        return -self.hl.objective * self.scale


    def flows(self) -> np.ndarray:
        """Net branch flows of the last solve [kg/s], ``(T, n_branches)`` (forward - reverse)."""
        return self.hl.value(self.lp.v["fp"]) - self.hl.value(self.lp.v["fm"])


def split_groups(mask: int, avail: np.ndarray, own: Ownership, n_nodes: int) -> list[int]:
    """The coalition's players grouped by the connected parts of the network they use: the
    masks of the groups (one mask if the coalition cannot be split)."""
    members = [i for i in range(len(own.players)) if mask >> i & 1]
    if len(members) < 2:
        return [mask]
    br = (own.kind == "branches") & (avail > 0)
    e0, e1 = own.node[br], own.node_to[br]
    g = coo_matrix((np.ones(len(e0)), (e0, e1)), shape=(n_nodes, n_nodes))
    _, lab = connected_components(g, directed=False)
    sub = own.shares[:, members] > 0
    use = sub & (avail > 0)[:, None]
    rows, cols = np.nonzero(use)
    if not len(rows):
        return [1 << i for i in members]
    labels = lab[own.node[rows]]
    k = len(members)
    # players (0..k-1) and component labels (k..) in one graph
    bg = coo_matrix((np.ones(len(rows)), (cols, k + labels)), shape=(k + n_nodes, k + n_nodes))
    _, comp = connected_components(bg, directed=False)
    groups: dict[int, int] = {}
    for j, i in enumerate(members):
        groups[int(comp[j])] = groups.get(int(comp[j]), 0) | (1 << i)
    return list(groups.values())


def _key(avail: np.ndarray) -> bytes:
    return np.round(avail, 12).tobytes()


def solve_masks(lp: CoalitionLP, own: Ownership, masks: Iterable[int], joint: str, others: str,
                progress: Callable[[int, int], None] | None = None) -> dict[int, float]:
    """Welfare of each mask (one LP, bounds changed per mask, masks in Gray-code order)."""
    ms = np.asarray(list(masks), dtype=np.int64)
    out: dict[int, float] = {}
    total = len(ms)
    step = max(1, total // 100)
    for start in range(0, total, 2048):
        chunk = ms[start:start + 2048]
        av = own.availability(chunk, joint, others)
        for j, m in enumerate(chunk):
            out[int(m)] = lp.welfare(av[j])
            if progress is not None and (start + j + 1) % step == 0:
                progress(start + j + 1, total)
    return out


def gray_order(masks: np.ndarray) -> np.ndarray:
    """``masks`` sorted by their rank in the binary-reflected Gray code (neighbours differ in
    one player: the next LP starts from a near-optimal basis)."""
    r = np.asarray(masks, dtype=np.int64).copy()
    shift = 1
    while shift < 64:
        r ^= r >> shift
        shift <<= 1
    return np.asarray(masks)[np.argsort(r, kind="stable")]


def _worker(args: tuple[Network, Any, dict[str, Any], Ownership, np.ndarray, str, str]
            ) -> dict[int, float]:
    net, periods, options, own, masks, joint, others = args
    lp = CoalitionLP(net, periods, options)
    return solve_masks(lp, own, masks, joint, others)


def solve_parallel(net: Network, periods: Any, options: dict[str, Any], own: Ownership,
                   masks: np.ndarray, joint: str, others: str, workers: int,
                   client: Any = None) -> dict[int, float]:
    """The masks in ``workers`` contiguous Gray-ordered chunks, each in its own process (a
    process pool, or a Dask ``client``); every worker builds its own LP once."""
    parts = [p for p in np.array_split(masks, workers) if len(p)]
    jobs = [(net, periods, options, own, p, joint, others) for p in parts]
    out: dict[int, float] = {}
    if client is not None:
        for r in client.gather(client.map(_worker, jobs, pure=False)):
            out.update(r)
        return out
    import multiprocessing as mp
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(max_workers=len(jobs), mp_context=mp.get_context("spawn")) as ex:
        for r in ex.map(_worker, jobs):
            out.update(r)
    return out

