"""Arrays of one network for the optimisation models (the simulator's arrays plus bounds).

Built on :func:`~gasunion.simulation.model.build_model` (same branch order, laws, junction
positions). Units: squared pressure [bar^2], mass flow [kg/s], power [W], lambda [-].
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from gasunion.network import Network
from gasunion.network.validation import junction_positions
from gasunion.physics.compressibility import make_z_model
from gasunion.physics.friction import friction_factor, reynolds
from gasunion.simulation.model import CLOSED, EQUAL, PIPE, PLOSS, POUT, RATIO, SimModel, build_model
from gasunion.simulation.newton import RE_SMOOTH

__all__ = ["RE_DEPENDENT", "SteadyData", "released_references", "simulator_start", "steady_data"]

_PA2_PER_BAR2 = 1e10
_P_FLOOR_BAR = 1.0  #: lower pressure bound where none is given [bar]
#: friction laws whose lambda depends on the Reynolds number (outer fixed-point passes)
RE_DEPENDENT = ("colebrook", "hofer", "stanet_colebrook")


@dataclass
class SteadyData:
    """Arrays of one network for the optimisation models (simulator order and units)."""

    net: Network
    m: SimModel
    friction: str
    z: str
    r_s: float  #: specific gas constant [J/(kg K)]
    t_k: float
    kappa: float
    lhv_j_kg: float
    z_poly: np.ndarray  #: Z(p) = polyval(z_poly, p [bar])
    z_fit_error: float
    fixed: np.ndarray  #: junction pressure fixed by an explicit p_set_bar
    p_fixed: np.ndarray
    pi_lo: np.ndarray
    pi_hi: np.ndarray
    q_lo: np.ndarray
    q_hi: np.ndarray
    src_ids: pd.Index
    src_node: np.ndarray
    src_lo: np.ndarray
    src_hi: np.ndarray
    snk_ids: pd.Index
    snk_node: np.ndarray
    snk_lo: np.ndarray
    snk_hi: np.ndarray
    inj_fixed: np.ndarray  #: storages' fixed injection per junction [kg/s]
    ip: np.ndarray  #: branches with the pipe law
    ie: np.ndarray
    ic: np.ndarray
    il: np.ndarray
    comp: np.ndarray  #: compressor branches whose ratio is decided
    comp_pos: np.ndarray  #: their position in ``m.comp_branch``
    r_lo: np.ndarray
    r_hi: np.ndarray
    power_max_w: np.ndarray
    reg: np.ndarray  #: regulator (control valve p_out) branches
    lam: np.ndarray  #: Darcy lambda of each ``ip`` branch (0 for drag resistors)
    released: tuple[str, ...] = ()  #: sources/sinks whose p_set_bar is ignored
    assumptions: list[str] = field(default_factory=list)
    #: per decided compressor: may bypass (ratio 1, flow either way within the element's
    #: bounds); then ``r_lo`` is 1 and ``r_act`` the ratio_min of an active unit
    bypass: np.ndarray = field(default_factory=lambda: np.zeros(0, bool))
    r_act: np.ndarray = field(default_factory=lambda: np.zeros(0))
    #: regulators as a reduction band (else GasModels' ``q (pi_i - pi_j) >= 0``)
    band: bool = False
    d_lo: np.ndarray = field(default_factory=lambda: np.zeros(0))  #: p_diff_min >= 0 [bar]
    d_hi: np.ndarray = field(default_factory=lambda: np.zeros(0))  #: p_diff_max [bar]
    #: per regulator: 0 open or active (reduction in [0, d_hi]), 1 open, 2 active
    reg_state: np.ndarray = field(default_factory=lambda: np.zeros(0, int))
    q_scale: float | None = None  #: flow scale [kg/s] (default: from the supply bounds)

    @property
    def p_ref(self) -> float:
        hi = np.sqrt(self.pi_hi[np.isfinite(self.pi_hi)])
        return float(hi.max()) if len(hi) else 70.0

    @property
    def q_ref(self) -> float:
        if self.q_scale:
            return self.q_scale
        caps = np.concatenate([self.src_hi, self.snk_hi])
        caps = caps[np.isfinite(caps)]
        return max(float(caps.sum()) / 4.0 if len(caps) else 100.0, 1.0)

    def pipe_k0(self, lam: np.ndarray | None = None) -> np.ndarray:
        """``R_s T / A^2 [(L/D) lambda + zeta] * g(s)`` [bar^2/(kg/s)^2] per ``ip`` branch, to be
        multiplied by Z (flat pipes; :meth:`slope` gives the elevation terms)."""
        m, ip = self.m, self.ip
        lam = self.lam if lam is None else lam
        area = math.pi * m.diameter_m[ip] ** 2 / 4.0
        l_over_d = np.where(m.length_m[ip] > 0, m.length_m[ip] / m.diameter_m[ip], 0.0)
        return self.r_s * self.t_k / (area**2 * _PA2_PER_BAR2) * (l_over_d * lam + m.zeta[ip])

    def eps_q(self) -> np.ndarray:
        """The simulator's smoothing flow of ``q|q|`` (Re = RE_SMOOTH) per ``ip`` branch."""
        d = np.nan_to_num(self.m.diameter_m[self.ip], nan=1.0)
        return RE_SMOOTH * math.pi * d * self.net.gas.viscosity_pa_s / 4

    def update_lambda(self, q_pipe: np.ndarray) -> float:
        """Re-evaluate law-based lambda at the flows ``q_pipe``; returns the largest change."""
        m, ip = self.m, self.ip
        use = m.length_m[ip] > 0
        law = use & ~np.isfinite(m.lam_fixed[ip])
        if not law.any():
            return 0.0
        d, k = m.diameter_m[ip][law], m.roughness_m[ip][law]
        if self.friction in RE_DEPENDENT:
            re = np.maximum(reynolds(np.abs(q_pipe[law]), d, self.net.gas.viscosity_pa_s), 4000.0)
        else:
            re = np.full(int(law.sum()), 1e12)
        new = friction_factor(self.friction, re, d, k)[0]
        old = self.lam[law]
        self.lam[law] = new
        return float(np.max(np.abs(new - old) / new))


def _bound(df: pd.DataFrame, col: str, rows: np.ndarray) -> np.ndarray:
    if col not in df or not len(rows):
        return np.full(len(rows), np.nan)
    return df[col].to_numpy(float)[rows]


def _col(df: pd.DataFrame, col: str, rows: np.ndarray, default: float) -> np.ndarray:
    if col not in df or not len(rows):
        return np.full(len(rows), default)
    return np.nan_to_num(df[col].to_numpy(float)[rows], nan=default)


def _flow_scale(net: Network) -> float | None:
    """Half the nominated throughput [kg/s] (the order of the largest branch flows), or None
    without flow set-points."""
    f = [net[k]["mass_flow_kg_s"].to_numpy(float)[net[k]["in_service"].to_numpy(bool)]
         for k in ("sources", "sinks") if len(net[k])]
    tot = float(np.nansum(np.abs(np.concatenate(f)))) if f else 0.0
    return max(tot / 4.0, 1.0) if tot > 0 else None


def steady_data(net: Network, friction: str = "nikuradse", z: str = "papay",
                slack_flow_zero: bool = False, regulate_open: bool = False,
                release: tuple[str, ...] = (), decide: tuple[str, ...] = (),
                fixed_flows: bool = False, bypass: tuple[str, ...] = (),
                regulator_band: bool = False, balance_released: bool = False) -> SteadyData:
    """Arrays of ``net`` for the optimisation models.

    Junction pressures are fixed only where a source or sink gives ``p_set_bar`` (the
    simulator's automatic reference of an island without one is not a constraint here).
    Sources/sinks with ``mass_flow_min_kg_s``/``mass_flow_max_kg_s`` are dispatchable in those
    bounds (NaN min -> 0, NaN max -> unbounded), others stay at ``mass_flow_kg_s``; a
    pressure-controlled source or sink has a free flow in its bounds (``slack_flow_zero``: 0,
    GasModels' slack junctions, which fix the pressure but inject nothing). Control valves in
    mode p_out (and, with ``regulate_open``, in mode open: GasModels' regulators) are regulator
    decisions. With ``fixed_flows`` an element's flow set-point is kept (a nomination) and only
    elements without one are dispatchable within their bounds; with ``balance_released`` the
    released ones are (as the simulator's reference they balance: nomination + fuel).
    Sources and sinks named in ``release`` ignore their ``p_set_bar`` (e.g. a pressure
    reference the matgas reader added for the simulator): their pressure is free.
    Compressors named in ``decide`` (e.g. expansion candidates parallel to existing units,
    kept in mode ``off`` so that the simulator's arrays accept them) are ratio decisions too;
    those also named in ``bypass`` may bypass (ratio 1, flow either way within the element's
    flow bounds; reverse flow only at ratio 1). With ``regulator_band`` a regulator is open
    (no reduction) or active with its reduction ``p_in - p_out`` in ``[max(p_diff_min, 0),
    p_diff_max]`` (flow >= 0), and the flow scale is taken from the flow set-points.
    """
    m = build_model(net, slack="auto")
    gas = net.gas
    n = m.n_nodes
    notes: list[str] = []
    fixed = np.zeros(n, bool)
    p_fixed = np.full(n, np.nan)
    nodes: dict[str, tuple[pd.Index, np.ndarray, np.ndarray, np.ndarray]] = {}
    for kind in ("sources", "sinks"):
        df = net[kind]
        act = df["in_service"].to_numpy(bool) if len(df) else np.zeros(0, bool)
        rows = np.flatnonzero(act)
        node = junction_positions(net, kind, "junction")[rows] if len(rows) else np.zeros(0, int)
        pset = _bound(df, "p_set_bar", rows)
        freed = df.index[rows].isin(list(release))
        pset = np.where(freed, np.nan, pset)
        flow = _bound(df, "mass_flow_kg_s", rows)
        lo, hi = _bound(df, "mass_flow_min_kg_s", rows), _bound(df, "mass_flow_max_kg_s", rows)
        disp = np.isfinite(lo) | np.isfinite(hi)
        if fixed_flows:  # a flow set-point is a nomination (fixed); bounds alone: dispatchable
            disp &= ~np.isfinite(flow)
        if balance_released:  # the simulator's reference: balances (also compressor fuel)
            disp |= freed
        has_p = np.isfinite(pset)
        fixed[node[has_p]] = True
        p_fixed[node[has_p]] = pset[has_p]
        free = disp | has_p
        lo = np.where(free, np.where(np.isfinite(lo), lo, 0.0 if kind == "sources" else -np.inf),
                      flow)
        hi = np.where(free, np.where(np.isfinite(hi), hi, np.inf), flow)
        if slack_flow_zero:
            lo = np.where(has_p & ~disp, 0.0, lo)
            hi = np.where(has_p & ~disp, 0.0, hi)
        nodes[kind] = (df.index[rows], node, lo, hi)
    inj = np.zeros(n)
    st = net.storages
    if len(st):
        act = st["in_service"].to_numpy(bool)
        k = junction_positions(net, "storages", "junction")[act]
        np.add.at(inj, k, st["mass_flow_kg_s"].to_numpy(float)[act])
    jn = net.junctions
    pmin = jn["p_min_bar"].to_numpy(float)
    pmax = jn["p_max_bar"].to_numpy(float)
    pi_lo = np.where(np.isfinite(pmin), np.maximum(pmin, _P_FLOOR_BAR), _P_FLOOR_BAR) ** 2
    pi_hi = np.where(np.isfinite(pmax), pmax**2, np.inf)
    # branch pressure limits (pipe p_max, compressor suction/discharge)
    law, fr, to, comp_of = m.law, m.fr, m.to, m.branch_component
    for c, col, end, upper in (("pipes", "p_max_bar", "both", True),
                               ("compressors", "p_in_min_bar", "fr", False),
                               ("compressors", "p_out_max_bar", "to", True),
                               ("control_valves", "p_in_min_bar", "fr", False),
                               ("control_valves", "p_out_max_bar", "to", True)):
        b = m.branch_slices[c]
        if not len(b) or col not in net[c]:
            continue
        v = net[c][col].to_numpy(float)[m.branch_row[b]]
        ok = np.isfinite(v)
        for ends in ((fr, to) if end == "both" else ((fr,) if end == "fr" else (to,))):
            if upper:
                np.minimum.at(pi_hi, ends[b[ok]], v[ok] ** 2)
            else:
                np.maximum.at(pi_lo, ends[b[ok]], v[ok] ** 2)
    pf2 = p_fixed**2
    pi_lo = np.where(fixed, pf2, pi_lo)
    pi_hi = np.where(fixed, pf2, pi_hi)
    # branch flows
    nb = m.n_branches
    q_lo = np.full(nb, -np.inf)
    q_hi = np.full(nb, np.inf)
    for c, b in m.branch_slices.items():
        if len(b) and "mass_flow_min_kg_s" in net[c]:
            q_lo[b] = np.nan_to_num(net[c]["mass_flow_min_kg_s"].to_numpy(float)[m.branch_row[b]],
                                    nan=-np.inf)
            q_hi[b] = np.nan_to_num(net[c]["mass_flow_max_kg_s"].to_numpy(float)[m.branch_row[b]],
                                    nan=np.inf)
    is_comp = comp_of == "compressors"
    extra = is_comp & np.isin(m.branch_id.astype(str), list(decide))
    comp = np.flatnonzero((is_comp & ((law == RATIO) | (law == POUT))) | extra)
    is_cv = comp_of == "control_valves"
    reg = np.flatnonzero(is_cv & ((law == POUT) | ((law == EQUAL) & regulate_open)))
    ie = np.setdiff1d(np.flatnonzero((law == EQUAL) & ~(is_cv & regulate_open)), comp)
    can_bypass = np.isin(m.branch_id[comp].astype(str), list(bypass))
    q_lo[comp] = np.where(can_bypass, q_lo[comp], np.maximum(q_lo[comp], 0.0))
    if not regulator_band:
        q_lo[reg] = np.where(np.isfinite(q_lo[reg]), q_lo[reg], 0.0)
    ctab = net.compressors
    crow = m.branch_row[comp]
    r_act = np.nan_to_num(ctab["ratio_min"].to_numpy(float)[crow], nan=1.0) if len(comp) else np.zeros(0)
    r_lo = np.where(can_bypass, 1.0, r_act)
    r_hi = np.nan_to_num(ctab["ratio_max"].to_numpy(float)[crow], nan=10.0) if len(comp) else np.zeros(0)
    pmw = ctab["power_max_mw"].to_numpy(float)[crow] * 1e6 if len(comp) else np.zeros(0)
    comp_pos = np.asarray(np.searchsorted(m.comp_branch, comp), dtype=int)
    ip = np.flatnonzero(law == PIPE)
    lam = np.where(np.isfinite(m.lam_fixed[ip]), m.lam_fixed[ip], 0.0)
    # Z(p) as a polynomial in p [bar] over the network's pressure range
    zm = make_z_model(z, gas)
    top = float(np.nanmax(np.sqrt(pi_hi[np.isfinite(pi_hi)]))) if np.isfinite(pi_hi).any() else 100.0
    pg = np.linspace(0.5, max(top, 10.0) * 1.05, 60)
    zv = np.asarray(zm.z(pg * 1e5), float)
    z_poly = np.polyfit(pg, zv, 3)
    z_err = float(np.max(np.abs(np.polyval(z_poly, pg) - zv)))
    if z_err > 1e-9:
        notes.append(f"Z model {z!r} fitted by a cubic in p over [0.5, {pg[-1]:.4g}] bar for the "
                     f"NLP (largest deviation {z_err:.2e})")
    if (law == PLOSS).any():
        notes.append("fixed-loss resistors: dp sign(q) smoothed as dp tanh(q / eps), eps = 1e-3 "
                     "of the flow scale")
    sd = SteadyData(
        net=net, m=m, friction=friction, z=z, r_s=gas.r_specific, t_k=gas.temperature_k,
        kappa=gas.kappa, lhv_j_kg=gas.lower_heating_value_mj_kg * 1e6, z_poly=z_poly,
        z_fit_error=z_err, fixed=fixed, p_fixed=p_fixed, pi_lo=pi_lo, pi_hi=pi_hi, q_lo=q_lo,
        q_hi=q_hi, src_ids=nodes["sources"][0], src_node=nodes["sources"][1],
        src_lo=nodes["sources"][2], src_hi=nodes["sources"][3], snk_ids=nodes["sinks"][0],
        snk_node=nodes["sinks"][1], snk_lo=nodes["sinks"][2], snk_hi=nodes["sinks"][3],
        inj_fixed=inj, ip=ip, ie=ie, ic=np.flatnonzero((law == CLOSED) & ~extra),
        il=np.flatnonzero(law == PLOSS), comp=comp, comp_pos=comp_pos, r_lo=r_lo, r_hi=r_hi,
        power_max_w=pmw, reg=reg, lam=lam, released=tuple(release), assumptions=notes,
        bypass=can_bypass, r_act=r_act, band=regulator_band, reg_state=np.zeros(len(reg), int))
    if regulator_band:
        cvt, row = net.control_valves, m.branch_row[reg]
        sd.d_lo = np.fmax(_col(cvt, "p_diff_min_bar", row, 0.0), 0.0)
        sd.d_hi = _col(cvt, "p_diff_max_bar", row, np.inf)
        sd.q_scale = _flow_scale(net)
    sd.update_lambda(np.full(len(ip), 1e3))
    return sd


def simulator_start(sd: SteadyData) -> dict[str, np.ndarray] | None:
    """The simulator's state of the network as given (same physics) as a start for the NLP:
    ``p_bar`` per junction, ``q`` per branch, ``fs``/``fk`` per source/sink [kg/s]; None if the
    simulator does not converge."""
    from gasunion.simulation.steady import simulate

    try:
        res = simulate(sd.net, friction=sd.friction, z=sd.z)
    except Exception:  # no start from the simulator; the NLP starts from its defaults
        return None
    m = sd.m
    q = np.zeros(m.n_branches)
    for comp, b in m.branch_slices.items():
        if len(b):
            q[b] = getattr(res, comp)["mass_flow_kg_s"].reindex(m.branch_id[b]).to_numpy(float)
    out = {"p_bar": res.junctions["p_bar"].reindex(m.junction_ids).to_numpy(float), "q": q,
           "fs": res.sources["mass_flow_kg_s"].reindex(sd.src_ids).to_numpy(float),
           "fk": res.sinks["mass_flow_kg_s"].reindex(sd.snk_ids).to_numpy(float)}
    return out if all(np.isfinite(v).all() for v in out.values()) else None


def released_references(net: Network, gm: bool, free_pressures: bool | Sequence[str] | None
              ) -> tuple[str, ...]:
    """Sources/sinks whose ``p_set_bar`` is a decision within the junction's bounds.

    matgas (GasModels physics): every pressure set-point but the slack junctions' (the reader
    adds the others to anchor islands). Otherwise, by default (``free_pressures=None``), every
    element with both a flow set-point and a pressure set-point: the pressure reference a
    GasLib reader chooses (at the entry's ``p_max_bar``) to pin the level of a nomination that
    itself gives entry pressures only as bounds. ``False``: none; a list: those ids.
    """
    ps = pd.concat([net.sources["p_set_bar"], net.sinks["p_set_bar"]])
    if gm:
        return tuple(str(i) for i in ps.index[ps.notna()] if not str(i).startswith("slack_"))
    if free_pressures is False:
        return ()
    if free_pressures is None or free_pressures is True:
        flow = pd.concat([net.sources["mass_flow_kg_s"], net.sinks["mass_flow_kg_s"]])
        return tuple(str(i) for i in ps.index[ps.notna().to_numpy() & flow.notna().to_numpy()])
    return tuple(str(i) for i in free_pressures)
