"""Pressure links between flow-independent elements: contradictions, parallel units, loops.

Elements whose law does not depend on their own flow (short pipes, open valves, bypasses,
regulators and compressors at a fixed outlet pressure or ratio) fix a relation between the
pressures at their ends. Three things follow, handled here on the stacked branch arrays of
:mod:`gasunion.simulation.model`:

* relations that contradict each other (around a loop, or between fixed pressures) are input
  errors (:func:`check_pressure_links`);
* parallel units of a station (same ends, same mode and set-point) share the station's flow by
  a load-sharing rule (:func:`group_parallel_units`);
* any other loop of such elements has an undetermined flow split: it is opened, and the
  choice recorded (:func:`open_zero_resistance_loops`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from gasunion.errors import GasunionError
from gasunion.simulation.laws import CLOSED, EQUAL, POUT, RATIO


class SimulationSetupError(GasunionError, ValueError):
    """The network cannot be turned into a well-posed steady-state problem."""


def check_pressure_links(
    law: np.ndarray, fr: np.ndarray, to: np.ndarray, ratio: np.ndarray, fixed: np.ndarray,
    p_fixed: np.ndarray, jid: pd.Index, comp: np.ndarray, ids: np.ndarray,
) -> None:
    """Raise if elements that impose a pressure relation (``pi_j = pi_i`` for zero-resistance
    links, ``pi_j = r^2 pi_i`` for compressors at a fixed ratio) contradict each other around a
    loop or between junctions whose pressures are fixed. Union-find on ``log pi`` with offsets;
    fixed junctions hang on one ground node at their ``log pi``.
    """
    links = np.flatnonzero((law == EQUAL) | (law == RATIO))
    if not len(links):
        return
    n = len(fixed)
    ground = n
    parent = np.arange(n + 1)
    pot = np.zeros(n + 1)  # log(pi_x) - log(pi_root)

    def find(a: int) -> tuple[int, float]:
        path = []
        while parent[a] != a:
            path.append(a)
            a = int(parent[a])
        # compress: accumulate offsets from the root downwards
        acc = 0.0
        for x in reversed(path):
            acc += pot[x]
            pot[x] = acc
            parent[x] = a
        return a, (pot[path[0]] if path else 0.0)

    def node(j: int) -> tuple[int, float]:
        if fixed[j] and np.isfinite(p_fixed[j]):
            return ground, 2.0 * np.log(p_fixed[j])
        return j, 0.0

    for b in links:
        (i, oi), (j, oj) = node(int(fr[b])), node(int(to[b]))
        w = 0.0 if law[b] == EQUAL else 2.0 * np.log(ratio[b])  # log pi_to - log pi_from
        ri, pi_ = find(i)
        rj, pj = find(j)
        # log pi_from = oi + pi_ + log(root_i); log pi_to = oj + pj + log(root_j)
        if ri == rj:
            if abs((oj + pj) - (oi + pi_) - w) > 1e-9:
                pair = f"junctions {jid[fr[b]]!r} and {jid[to[b]]!r}"
                what = (f"joins {pair} without resistance" if law[b] == EQUAL
                        else f"imposes the pressure ratio {ratio[b]:g} between {pair}")
                raise SimulationSetupError(
                    f"{comp[b]}[{ids[b]!r}] {what}, but their pressures are already fixed "
                    "otherwise (set-points, or a loop of zero-resistance elements and "
                    "fixed-ratio compressors)"
                )
        else:
            parent[rj] = ri
            pot[rj] = (oi + pi_) + w - (oj + pj)


def open_zero_resistance_loops(
    law: np.ndarray, fr: np.ndarray, to: np.ndarray, fixed: np.ndarray, p_fixed: np.ndarray,
    jid: pd.Index, comp: np.ndarray, ids: np.ndarray, assumptions: list[str],
) -> None:
    """Elements whose law does not depend on their own flow (short pipes, open valves, bypasses,
    open regulators, compressors at a fixed ratio or outlet pressure) that close a loop of such
    elements — or join two pressure-fixed junctions — carry an undetermined flow (any split
    satisfies the laws), which makes the Jacobian singular. One valid solution sends nothing
    through them: their law becomes ``q = 0`` (modified in place, recorded). Contradictory
    pressure relations are rejected before, by :func:`check_pressure_links`.
    """
    eq = np.flatnonzero((law == EQUAL) | (law == RATIO) | (law == POUT))
    if not len(eq):
        return
    parent = np.arange(len(fixed) + 1)
    ground = len(fixed)  # all pressure-fixed junctions hang on one node

    def find(a: int) -> int:
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = int(parent[a])
        return a

    def node(j: int) -> int:
        return ground if fixed[j] and np.isfinite(p_fixed[j]) else j

    opened = []
    for b in eq:
        i, j = int(fr[b]), int(to[b])
        ri, rj = find(node(i)), find(node(j))
        if ri == rj:
            law[b] = CLOSED
            opened.append(f"{comp[b]}[{ids[b]!r}]")
        else:
            parent[ri] = rj
    if opened:
        shown = ", ".join(opened[:10]) + (" ..." if len(opened) > 10 else "")
        assumptions.append(
            f"{len(opened)} element(s) without flow-dependent law (short pipes, open valves, "
            f"bypasses, regulators, compressors) close a loop of such elements or join "
            f"pressure-fixed junctions: the flow split is undetermined, they are taken to carry "
            f"no flow ({shown})"
        )


def group_parallel_units(
    law: np.ndarray, fr: np.ndarray, to: np.ndarray, setpoint: np.ndarray, comp: np.ndarray,
    ids: np.ndarray, power_max: np.ndarray, flow_max: np.ndarray, assumptions: list[str],
) -> tuple[np.ndarray, np.ndarray]:
    """Parallel units of a station share its flow.

    Units are parallel when they are of the same component type, join the same ``from`` and
    ``to`` junctions (same orientation) and have the same flow-independent law with the same
    set-point (compressors at the same ratio or outlet pressure, regulators at the same outlet
    pressure, bypasses/open valves/short pipes). Any split of their total flow satisfies
    their laws; the one chosen is the **load-sharing rule** of a station:

    * compressors: in proportion to ``power_max_mw`` when every unit of the group has a
      positive one (equal relative load), else to ``mass_flow_max_kg_s`` when every unit has a
      positive one, else equal shares;
    * other elements: in proportion to ``mass_flow_max_kg_s`` when every unit has a positive
      one, else equal shares.

    The first unit of a group (its *representative*) carries the group's total flow in the
    equations; the others get the law ``q = 0`` there (``law`` is modified in place) and their
    flows are ``share * total`` in the results and in the fuel.

    Returns ``(rep, share)``: for every branch the index of the branch that carries its
    group's total flow (itself if not grouped) and its share of that flow (1 if not grouped).
    """
    n = len(law)
    rep = np.arange(n)
    share = np.ones(n)
    cand = np.flatnonzero((law == RATIO) | (law == POUT) | (law == EQUAL))
    if len(cand) < 2:
        return rep, share
    sp = np.where(law[cand] == EQUAL, 0.0, setpoint[cand])
    key = pd.DataFrame({"fr": fr[cand], "to": to[cand], "law": law[cand],
                        "set": np.round(np.nan_to_num(sp, nan=-1.0), 12),
                        "comp": comp[cand]})
    gid = key.groupby(["fr", "to", "law", "set", "comp"], sort=False).ngroup().to_numpy()
    size = np.bincount(gid)
    multi = size[gid] > 1
    if not multi.any():
        return rep, share
    members = cand[multi]
    g = gid[multi]
    order = np.argsort(g, kind="stable")
    members, g = members[order], g[order]
    first = np.r_[True, g[1:] != g[:-1]]
    starts = np.flatnonzero(first)
    group_of = np.cumsum(first) - 1
    leader = members[starts][group_of]
    is_comp = comp[members] == "compressors"
    pw = power_max[members]
    fm = flow_max[members]
    ng = len(starts)
    all_pw = np.bincount(group_of, weights=~(np.isfinite(pw) & (pw > 0)), minlength=ng) == 0
    all_fm = np.bincount(group_of, weights=~(np.isfinite(fm) & (fm > 0)), minlength=ng) == 0
    use_pw = all_pw[group_of] & is_comp
    use_fm = ~use_pw & all_fm[group_of]
    w = np.where(use_pw, pw, np.where(use_fm, fm, 1.0))
    total = np.bincount(group_of, weights=w, minlength=ng)
    rep[members] = leader
    share[members] = w / total[group_of]
    law[members[~first]] = CLOSED
    rule = np.where(use_pw, "power_max_mw", np.where(use_fm, "mass_flow_max_kg_s", "equal shares"))
    for s in starts[:10]:
        sel = group_of == group_of[s]
        names = ", ".join(repr(x) for x in ids[members[sel]])
        shares = "/".join(f"{100 * x:.4g} %" for x in share[members[sel]])
        how = rule[s] if rule[s] == "equal shares" else f"in proportion to {rule[s]}"
        assumptions.append(
            f"{comp[members[s]]} {names} run in parallel (same ends, mode and set-point): "
            f"the flow is split {how} ({shares})"
        )
    if ng > 10:
        assumptions.append(f"... and {ng - 10} more groups of parallel units")
    return rep, share
