"""Arrays for the steady-state solver, built once from the network tables.

All branches of all component types are stacked into one set of arrays with a *law* code;
the Newton kernel then works on these arrays only (vectorised, no loop over elements).

Unknowns: squared pressure ``pi = p^2`` [bar^2] at every junction without a fixed pressure,
and the mass flow ``q`` [kg/s] of every branch (positive from ``from_junction`` to
``to_junction``). Equations: mass balance at every free junction and one law per branch.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from gasunion.network import BRANCHES, Network
from gasunion.network.validation import islands, junction_positions, reference_candidates
from gasunion.simulation.laws import CLOSED, EQUAL, PIPE, PLOSS, POUT, RATIO
from gasunion.simulation.topology import (
    SimulationSetupError,
    check_pressure_links,
    group_parallel_units,
    open_zero_resistance_loops,
)

__all__ = ["CLOSED", "EQUAL", "PIPE", "PLOSS", "POUT", "RATIO", "SimModel",
           "SimulationSetupError", "build_model"]


@dataclass
class SimModel:
    """Everything the Newton kernel needs, as arrays."""

    junction_ids: pd.Index
    heights_m: np.ndarray
    fixed: np.ndarray  #: bool per junction: pressure fixed
    p_fixed_bar: np.ndarray  #: fixed pressure (NaN where free)
    injection_kg_s: np.ndarray  #: net fixed injection per junction (sources - sinks + storage)
    # branches
    branch_component: np.ndarray
    branch_id: np.ndarray
    branch_row: np.ndarray  #: row of each branch in its component table
    branch_slices: dict[str, np.ndarray]  #: component -> indices into the branch arrays
    law: np.ndarray
    fr: np.ndarray
    to: np.ndarray
    length_m: np.ndarray
    diameter_m: np.ndarray
    roughness_m: np.ndarray
    lam_fixed: np.ndarray  #: fixed Darcy lambda (NaN: from the friction law)
    zeta: np.ndarray  #: lumped loss coefficient (pipes) or drag factor (resistors)
    dh_m: np.ndarray  #: height gain to - from
    ratio: np.ndarray  #: ratio set-point (RATIO)
    p_set_bar: np.ndarray  #: outlet set-point (POUT)
    dp_loss_bar: np.ndarray  #: fixed loss (PLOSS)
    law_set: np.ndarray  #: law set by the element's mode (before loops are opened)
    unit_rep: np.ndarray  #: branch carrying the total flow of this branch's parallel group
    unit_share: np.ndarray  #: share of that total flow (1 if not in a parallel group)
    # compressors (indices into the branch arrays) and their fuel data
    comp_branch: np.ndarray
    comp_fuel_node: np.ndarray
    comp_eta: np.ndarray
    comp_drive_eta: np.ndarray
    comp_fuel_model: np.ndarray
    comp_fuel_share: np.ndarray
    comp_drive_gas: np.ndarray
    #: pressure-controlled elements: DataFrame(component, id, node)
    slack_elements: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(
        columns=["component", "id", "node"]))
    assumptions: list[str] = field(default_factory=list)

    @property
    def n_nodes(self) -> int:
        return len(self.junction_ids)

    @property
    def n_branches(self) -> int:
        return len(self.law)


class _Active:
    """The in-service rows of a component table, as numpy arrays (no DataFrame copies)."""

    def __init__(self, df: pd.DataFrame) -> None:
        self.df = df
        mask = df["in_service"].to_numpy(bool) if len(df) else np.zeros(0, bool)
        self.all = bool(mask.all())
        self.mask = mask
        self.rows = np.flatnonzero(mask)
        self.index = df.index if self.all else df.index[mask]

    def __len__(self) -> int:
        return len(self.rows)

    def arr(self, col: str) -> np.ndarray:
        v = self.df[col].to_numpy()
        return v if self.all else v[self.mask]

    def num(self, col: str, default: float = math.nan) -> np.ndarray:
        if col not in self.df:
            return np.full(len(self), default)
        v = self.df[col].to_numpy(dtype=float)
        return v if self.all else v[self.mask]


def build_model(net: Network, slack: str = "auto",
                island_labels: tuple[int, np.ndarray] | None = None,
                positions: dict[tuple[str, str], np.ndarray] | None = None) -> SimModel:
    """Turn ``net`` into solver arrays.

    ``slack="auto"``: an island with no pressure reference gets one at the in-service source
    with the highest ``p_max_bar`` of its junction (pressure = that ``p_max_bar``); the choice
    is recorded in :attr:`SimModel.assumptions`. ``slack="none"``: such an island is an error.
    ``island_labels``: ``islands(net)`` if already computed (e.g. by validation);
    ``positions``: junction positions of reference columns already computed (validation's
    :attr:`~gasunion.network.ValidationReport.positions`).
    """
    positions = {} if positions is None else positions
    if slack not in ("auto", "none"):
        raise ValueError(f"slack must be 'auto' or 'none', got {slack!r}")
    j = net.junctions
    jid = j.index
    n = len(jid)
    assumptions: list[str] = []
    slack_rows: list[tuple[str, str, int]] = []

    # ---------------------------------------------------------------- node data
    fixed = np.zeros(n, bool)
    p_fixed = np.full(n, np.nan)
    inj = np.zeros(n)
    for comp, sign in (("sources", 1.0), ("sinks", -1.0), ("storages", 1.0)):
        a = _Active(net[comp])
        if not len(a):
            continue
        k = junction_positions(net, comp, "junction", positions)[a.rows]
        if comp != "storages":
            ps = a.num("p_set_bar")
            has = np.isfinite(ps)
            for kk, pp, eid in zip(k[has], ps[has], a.index[has], strict=True):
                if fixed[kk] and not math.isclose(p_fixed[kk], pp, rel_tol=1e-12):
                    raise SimulationSetupError(
                        f"{comp}[{eid!r}].p_set_bar: junction {jid[kk]!r} has two different "
                        f"pressure set-points ({p_fixed[kk]} and {pp} bar)"
                    )
                fixed[kk] = True
                p_fixed[kk] = pp
                slack_rows.append((comp, str(eid), int(kk)))
            m = a.num("mass_flow_kg_s")
            flow_ctl = ~has & np.isfinite(m)
            free_no_p = ~has & ~np.isfinite(m)
            if free_no_p.any():
                bad = a.index[free_no_p][0]
                raise SimulationSetupError(
                    f"{comp}[{bad!r}]: neither mass_flow_kg_s nor p_set_bar is set; give a "
                    "flow set-point or a pressure set-point"
                )
            np.add.at(inj, k[flow_ctl], sign * m[flow_ctl])
        else:
            np.add.at(inj, k, a.num("mass_flow_kg_s"))

    # ---------------------------------------------------------------- branches
    parts: dict[str, list[np.ndarray]] = {key: [] for key in (
        "component", "id", "row", "law", "fr", "to", "L", "D", "k", "lam", "zeta", "ratio", "pset",
        "dp", "pmax", "fmax")}

    def push(comp: str, a: _Active, law: np.ndarray, **cols: np.ndarray) -> None:
        cnt = len(a)
        parts["component"].append(np.full(cnt, comp, dtype=object))
        parts["id"].append(a.index.to_numpy(dtype=object))
        parts["row"].append(a.rows)
        parts["law"].append(law.astype(np.int8))
        parts["fr"].append(junction_positions(net, comp, "from_junction", positions)[a.rows])
        parts["to"].append(junction_positions(net, comp, "to_junction", positions)[a.rows])
        nan = np.full(cnt, np.nan)
        for key, default in (("L", nan), ("D", nan), ("k", nan), ("lam", nan),
                             ("zeta", np.zeros(cnt)), ("ratio", nan), ("pset", nan),
                             ("dp", nan), ("pmax", nan)):
            parts[key].append(cols.get(key, default))
        parts["fmax"].append(a.num("mass_flow_max_kg_s"))

    for comp in BRANCHES:
        a = _Active(net[comp])
        cnt = len(a)
        if not cnt:
            continue
        if comp == "pipes":
            push(comp, a, np.full(cnt, PIPE), L=a.num("length_km") * 1e3,
                 D=a.num("diameter_mm") * 1e-3, k=a.num("roughness_mm") * 1e-3,
                 lam=a.num("friction_factor"), zeta=a.num("loss_coefficient", 0.0))
        elif comp == "short_pipes":
            push(comp, a, np.full(cnt, EQUAL))
        elif comp == "resistors":
            drag = a.num("drag_factor")
            loss = a.num("pressure_loss_bar")
            law = np.where(np.isfinite(drag), PIPE, PLOSS)
            bad = ~np.isfinite(drag) & ~np.isfinite(loss)
            if bad.any():
                raise SimulationSetupError(
                    f"resistors[{a.index[bad][0]!r}]: needs drag_factor (with diameter_mm) or "
                    "pressure_loss_bar"
                )
            d = a.num("diameter_mm") * 1e-3
            nodiam = np.isfinite(drag) & ~np.isfinite(d)
            if nodiam.any():
                raise SimulationSetupError(
                    f"resistors[{a.index[nodiam][0]!r}].diameter_mm: a drag factor needs a diameter"
                )
            push(comp, a, law, L=np.zeros(cnt), D=d, k=np.zeros(cnt), lam=np.zeros(cnt),
                 zeta=np.where(np.isfinite(drag), drag, 0.0), dp=loss)
        elif comp == "valves":
            push(comp, a, np.where(a.arr("open").astype(bool), EQUAL, CLOSED))
        elif comp == "control_valves":
            mode = a.arr("mode").astype(str)
            law = np.select([mode == "p_out", mode == "open"], [POUT, EQUAL], CLOSED)
            push(comp, a, law, pset=a.num("p_out_set_bar"))
        elif comp == "compressors":
            mode = a.arr("mode").astype(str)
            law = np.select([mode == "ratio", mode == "p_out", mode == "bypass"],
                            [RATIO, POUT, EQUAL], CLOSED)
            push(comp, a, law, ratio=a.num("ratio_set"), pset=a.num("p_out_set_bar"),
                 pmax=a.num("power_max_mw"))

    def cat(key: str, dtype: Any = float) -> np.ndarray:
        return np.concatenate(parts[key]) if parts[key] else np.zeros(0, dtype=dtype)

    law = cat("law", np.int8).astype(np.int8)
    fr = cat("fr", int).astype(int)
    to = cat("to", int).astype(int)
    heights = j["height_m"].to_numpy(float)
    heights = np.where(np.isfinite(heights), heights, 0.0)

    # outlets of POUT branches are pressure anchors too: a set-point there clashes with a slack
    pout_to = to[law == POUT]
    clash = fixed[pout_to]
    if clash.any():
        raise SimulationSetupError(
            f"junction {jid[pout_to[clash][0]]!r} has a pressure set-point and is also the outlet "
            "of a pressure regulator/compressor in mode 'p_out'"
        )

    # ---------------------------------------------------------------- islands / slack
    n_isl, labels = island_labels if island_labels is not None else islands(net)
    anchored_nodes = np.zeros(n, bool)
    anchored_nodes[fixed] = True
    anchored_nodes[pout_to] = True
    anchored = np.zeros(n_isl, bool)
    anchored[labels[anchored_nodes]] = True
    # an island "is used" if gas can enter or leave it: node elements, or the inlet side of a
    # regulator/compressor whose outlet is regulated
    used = np.zeros(n, bool)
    used[fr[law == POUT]] = True
    for comp in ("sources", "sinks", "storages"):
        df = net[comp]
        if len(df):
            used[jid.get_indexer(df["junction"][df["in_service"]])] = True
    for isl in np.flatnonzero(~anchored):
        members = np.flatnonzero(labels == isl)
        if not used[members].any():
            # no gas enters or leaves: flows are zero and pressures undefined; pin the
            # junctions (NaN pressure) and close the branches inside the island
            fixed[members] = True
            p_fixed[members] = np.nan
            inside = np.isin(fr, members) & np.isin(to, members)
            law[inside] = CLOSED
            if len(members) > 1 or inside.any():
                names = ", ".join(map(str, jid[members[:5]])) + (" ..." if len(members) > 5 else "")
                assumptions.append(f"island {names} has no source or sink: no flow, pressure undefined")
            continue
        names = ", ".join(map(str, jid[members[:5]])) + (" ..." if len(members) > 5 else "")
        if slack == "none":
            raise SimulationSetupError(
                f"island of {len(members)} junction(s) ({names}) has no pressure reference; "
                "set p_set_bar on a source or sink there"
            )
        cand = reference_candidates(net, labels == isl)
        if not len(cand):
            raise SimulationSetupError(
                f"island of {len(members)} junction(s) ({names}) has no pressure reference and "
                "no source with a p_max_bar to use as one; set p_set_bar on a source or sink"
            )
        best = cand.idxmax()
        node = int(jid.get_loc(net.sources.at[best, "junction"]))
        fixed[node] = True
        p_fixed[node] = cand.max()
        slack_rows.append(("sources", str(best), node))
        assumptions.append(
            f"island {names}: no pressure set-point; source {best!r} at junction "
            f"{jid[node]!r} taken as pressure reference at its p_max_bar = {p_fixed[node]:g} bar"
        )
        # a flow set-point at that junction becomes free: remove it from the fixed injection
        inj[node] -= float(np.nan_to_num(net.sources.at[best, "mass_flow_kg_s"]))

    # ---------------------------------------------------------------- compressors
    component = cat("component", object)
    comp_branch = np.flatnonzero(component == "compressors")
    cdf = _Active(net.compressors)
    if len(comp_branch):
        fj = cdf.arr("fuel_junction").astype(object)
        fj = np.where(fj == "", cdf.arr("from_junction"), fj)
        fuel_node = jid.get_indexer(fj)
        if (fuel_node < 0).any():
            bad = int(np.flatnonzero(fuel_node < 0)[0])
            raise SimulationSetupError(
                f"compressors[{cdf.index[bad]!r}].fuel_junction: unknown junction {fj[bad]!r}"
            )
        fuel_model = cdf.arr("fuel_model").astype(str)
    else:
        fuel_node = np.zeros(0, int)
        fuel_model = np.zeros(0, dtype=str)

    branch_id = cat("id", object)
    ratio_arr = cat("ratio")
    pset_arr = cat("pset")
    law_set = law.copy()
    check_pressure_links(law, fr, to, ratio_arr, fixed, p_fixed, jid, component, branch_id)
    unit_rep, unit_share = group_parallel_units(
        law, fr, to, np.where(law == RATIO, ratio_arr, pset_arr), component, branch_id,
        cat("pmax"), cat("fmax"), assumptions)
    open_zero_resistance_loops(law, fr, to, fixed, p_fixed, jid, component, branch_id,
                               assumptions)
    dh = heights[to] - heights[fr] if len(law) else np.zeros(0)
    return SimModel(
        junction_ids=jid,
        heights_m=heights,
        fixed=fixed,
        p_fixed_bar=p_fixed,
        injection_kg_s=inj,
        branch_component=component,
        branch_id=branch_id,
        branch_row=cat("row", int).astype(int),
        branch_slices={c: np.flatnonzero(component == c) for c in BRANCHES},
        law=law,
        fr=fr,
        to=to,
        length_m=cat("L"),
        diameter_m=cat("D"),
        roughness_m=cat("k"),
        lam_fixed=cat("lam"),
        zeta=cat("zeta"),
        dh_m=dh,
        ratio=ratio_arr,
        p_set_bar=pset_arr,
        law_set=law_set,
        unit_rep=unit_rep,
        unit_share=unit_share,
        dp_loss_bar=cat("dp"),
        comp_branch=comp_branch,
        comp_fuel_node=fuel_node,
        comp_eta=cdf.num("efficiency") if len(comp_branch) else np.zeros(0),
        comp_drive_eta=cdf.num("drive_efficiency") if len(comp_branch) else np.zeros(0),
        comp_fuel_model=fuel_model,
        comp_fuel_share=cdf.num("fuel_share") if len(comp_branch) else np.zeros(0),
        comp_drive_gas=(cdf.arr("drive").astype(str) == "gas") if len(comp_branch) else np.zeros(0, bool),
        slack_elements=pd.DataFrame(slack_rows, columns=["component", "id", "node"]),
        assumptions=assumptions,
    )
