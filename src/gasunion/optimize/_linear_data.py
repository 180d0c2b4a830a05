"""Network tables -> the arrays of the linear transport model (bounds, costs, incidence).

Everything is one array per quantity, ``(n_periods, n_elements)`` for time-varying values
(rates in kg/s, prices in currency/kg), built column-wise from the network tables and the
profiles of a :class:`~gasunion.optimize.periods.Periods` (no loop over elements). The rules
for missing values are listed in :data:`RULES` and repeated in ``docs/optimize/transport.md``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from gasunion.network import Network
from gasunion.network.schema import BRANCHES
from gasunion.optimize.periods import Periods
from gasunion.optimize.result import OptimizationError
from gasunion.physics.compressibility import make_z_model
from gasunion.physics.friction import lambda_nikuradse, lambda_weymouth
from gasunion.physics.pipe import pipe_resistance

__all__ = ["MAX_VARIABLES", "RULES", "LinearData", "check_size", "linear_data", "make_periods",
           "variables_per_period"]

#: Default upper limit on the variables of a linear model (periods x per-period variables).
#: A variable costs about 1 kB of memory to build and solve (measured: the Central Asia
#: network, 365 daily periods, 191 260 variables, 190 MB): 2 million is about 2 GB. Raise it
#: with ``max_variables=`` on a machine with the memory.
MAX_VARIABLES = 2_000_000

#: Defaults for missing data (stated in every result's ``summary["assumptions"]``).
RULES = (
    "supply bound: mass_flow_max_kg_s, else the set-point mass_flow_kg_s, else unlimited; lower "
    "bound mass_flow_min_kg_s, else 0; cost_per_kg NaN = 0",
    "demand of a sink: mass_flow_kg_s, else mass_flow_max_kg_s, else 0",
    "branch capacity per direction: forward mass_flow_max_kg_s, reverse -mass_flow_min_kg_s; a "
    "rating left NaN is, for pipes, the largest flow the pipe law allows from p_max at the "
    "inlet to p_min at the outlet (fully rough Nikuradse friction or the pipe's friction_factor, "
    "Z at p_max, no elevation: a valid upper bound; unlimited without pressure bounds; "
    "pipe_capacity='none' leaves them unlimited), unlimited for short pipes, resistors and open "
    "valves, and 0 in reverse for compressors and control valves (one-directional)",
    "closed valves, control valves in mode closed, compressors in mode off and elements out of "
    "service carry no flow; compressors in mode bypass flow both ways without fuel",
    "compressor fuel: fuel_share x throughput at the fuel junction (default: inlet) for "
    "fuel_model='share'; fuel_model='power' has no linear form and uses fuel_share_default "
    "(0 unless given: fuel neglected)",
    "storage: injection_max NaN = withdrawal_max (unlimited if both NaN); working gas NaN = "
    "unlimited; start inventory inventory_mcm, else half the working gas; end inventory "
    "inventory_end_mcm, else equal to the start (storage_cyclic=True) or free",
    "mcm <-> kg with the network gas's reference density (net.gas.rho_n)",
)


@dataclass
class LinearData:
    """Arrays of the linear model. Rates kg/s, prices currency/kg, volumes mcm."""

    periods: Periods
    nodes: pd.Index
    src: pd.DataFrame          # id index; node (int), country, owner, name
    src_lo: np.ndarray
    src_hi: np.ndarray
    src_cost: np.ndarray
    snk: pd.DataFrame          # id index; node, country, owner, name, priority
    demand: np.ndarray
    value: np.ndarray          # NaN where no value_per_kg is given
    sto: pd.DataFrame          # id index; node, country, owner, name
    inj_hi: np.ndarray
    wd_hi: np.ndarray
    volume: np.ndarray         # working gas [mcm] (inf = unlimited)
    start: np.ndarray          # [mcm]
    end: np.ndarray            # [mcm] (NaN = free)
    br: pd.DataFrame           # id index; component, name, from_node, to_node, fuel_node, fuel
    fwd_lo: np.ndarray         # bounds of the forward part fp >= 0
    fwd_hi: np.ndarray
    rev_lo: np.ndarray         # bounds of the reverse part fm >= 0
    rev_hi: np.ndarray
    fee: np.ndarray
    kg_per_mcm: float
    assumptions: list[str]


def make_periods(periods: Periods | int | None) -> Periods:
    """``None`` -> one 24-h period ``"p1"``; an int n -> n identical days; a Periods as is."""
    if periods is None:
        return Periods(["p1"], 24.0)
    if isinstance(periods, Periods):
        return periods
    if isinstance(periods, (int, np.integer)) and not isinstance(periods, bool) and periods > 0:
        return Periods.daily(int(periods))
    raise OptimizationError("bad_input", f"periods must be None, a positive int or a Periods "
                            f"object, got {periods!r}")


def variables_per_period(net: Network) -> int:
    """Variables of the linear model per period (an upper bound: in-service elements, before
    closed or off branches are dropped): supply per source, served per sink, forward and
    reverse flow per branch, injection, withdrawal and inventory per storage."""
    def live(comp: str) -> int:
        df = net[comp]
        return int(df["in_service"].astype(bool).sum()) if len(df) else 0

    return (live("sources") + live("sinks") + 3 * live("storages")
            + 2 * sum(live(c) for c in BRANCHES))


def check_size(net: Network, n_periods: int, max_variables: int | None = None) -> int:
    """The estimated number of variables of the linear model of ``net`` over ``n_periods``;
    ``bad_input`` before anything is built when it exceeds ``max_variables`` (default
    :data:`MAX_VARIABLES`), naming the limit and the largest number of periods that fits."""
    limit = MAX_VARIABLES if max_variables is None else int(max_variables)
    per = variables_per_period(net)
    n = per * int(n_periods)
    if n > limit:
        fits = limit // per if per else 0
        raise OptimizationError(
            "bad_input", f"periods: {n_periods} periods would make a linear model of about "
            f"{n:,} variables ({per:,} per period), more than the limit of {limit:,} "
            f"(about 1 kB of memory each to build and solve)",
            hint=f"give at most {fits:,} periods (or split the horizon into several runs); "
            "with enough memory, raise the limit with max_variables=")
    return n


def _bad(component: str, ids: pd.Index, mask: np.ndarray, field: str, what: str) -> None:
    """Raise bad_input naming the first offending element(s) if ``mask`` (any shape) is set."""
    m = np.asarray(mask, dtype=bool)
    if m.ndim == 2:
        m = np.asarray(m.any(axis=0), dtype=bool)
    if m.any():
        names = ", ".join(map(str, ids[m][:5]))
        raise OptimizationError("bad_input", f"{component} {names}: {field} {what}")


def _node_index(nodes: pd.Index, refs: pd.Series, component: str, field: str) -> np.ndarray:
    idx = nodes.get_indexer(refs.astype(str))
    _bad(component, refs.index, idx < 0, field, "names no junction")
    return idx


def _pipe_capacity(net: Network, pipes: pd.DataFrame, friction: str, z: str
                   ) -> tuple[np.ndarray, np.ndarray]:
    """Pipe-law flow bound [kg/s] forward and reverse: ``sqrt((p_max^2 - p_min^2) / K)``."""
    j = net.junctions
    gas = net.gas
    d = pipes["diameter_mm"].to_numpy(float) / 1000.0
    k = np.maximum(pipes["roughness_mm"].to_numpy(float), 1e-6) / 1000.0
    lam_rough = lambda_weymouth(d) if friction == "weymouth" else lambda_nikuradse(d, k)
    lam = np.where(np.isfinite(pipes["friction_factor"].to_numpy(float)),
                   pipes["friction_factor"].to_numpy(float), lam_rough)
    zmodel = make_z_model(z, gas)
    length = pipes["length_km"].to_numpy(float) * 1000.0
    pmax_pipe = pipes["p_max_bar"].to_numpy(float)
    out = []
    for a, b in (("from_junction", "to_junction"), ("to_junction", "from_junction")):
        p_hi = np.fmin(j["p_max_bar"].reindex(pipes[a]).to_numpy(float), pmax_pipe) * 1e5
        p_lo = np.nan_to_num(j["p_min_bar"].reindex(pipes[b]).to_numpy(float), nan=0.0) * 1e5
        ok = np.isfinite(p_hi) & (p_hi > p_lo)
        zz = np.ones_like(p_hi)
        if ok.any():
            zz[ok] = np.clip(np.asarray(zmodel.z(p_hi[ok]), dtype=float), 0.05, None)
        kk = pipe_resistance(lam, length, d, zz, gas.r_specific, gas.temperature_k)
        cap = np.where(ok, np.sqrt(np.clip(p_hi**2 - p_lo**2, 0.0, None) / kk), np.inf)
        cap[np.isfinite(p_hi) & (p_hi <= p_lo)] = 0.0
        out.append(cap)
    return out[0], out[1]


def linear_data(net: Network, periods: Periods | int | None = None, *, friction: str = "nikuradse",
                z: str = "papay", pipe_capacity: str = "pressure", fuel_share_default: float = 0.0,
                storage_cyclic: bool = True, flow_cost_per_kg: float = 0.0,
                max_variables: int | None = None) -> LinearData:
    """Collect the arrays of the linear model from ``net`` and ``periods`` (see :data:`RULES`).

    Refuses (``bad_input``) a model larger than ``max_variables`` variables (default
    :data:`MAX_VARIABLES`; see :func:`check_size`) before allocating anything per period."""
    if isinstance(periods, (int, np.integer)) and not isinstance(periods, bool) and periods > 0:
        check_size(net, int(periods), max_variables)   # before n period names are made
    per = make_periods(periods)
    check_size(net, len(per), max_variables)
    _bad("periods", per.names, ~(per.hours > 0), "hours", "must be positive")
    if per.names.has_duplicates:
        raise OptimizationError("bad_input", "periods: duplicate period names")
    if pipe_capacity not in ("pressure", "none"):
        raise OptimizationError("bad_input", f"pipe_capacity must be 'pressure' or 'none', got "
                                f"{pipe_capacity!r}")
    nodes = net.junctions.index
    unknown = per.unknown_elements({c: net[c].index for c in ("sources", "sinks", "storages",
                                                              *BRANCHES)})
    if unknown:
        raise OptimizationError("bad_input", "periods: profile column(s) name no element: "
                                + "; ".join(unknown[:5]))
    T = len(per)

    def series(comp: str, df: pd.DataFrame, attr: str) -> np.ndarray:
        return per.values(comp, attr, df[attr])

    # ---- sources
    src = net.sources[net.sources["in_service"].astype(bool)]
    hi = series("sources", src, "mass_flow_max_kg_s")
    hi = np.where(np.isnan(hi), src["mass_flow_kg_s"].to_numpy(float)[None, :], hi)
    hi = np.where(np.isnan(hi), np.inf, hi)
    lo = np.nan_to_num(series("sources", src, "mass_flow_min_kg_s"), nan=0.0)
    _bad("sources", src.index, (lo > hi + 1e-12) | (lo < 0) | (hi < 0), "mass_flow_min_kg_s/"
         "mass_flow_max_kg_s", "bounds are negative or inverted")
    cost = np.nan_to_num(series("sources", src, "cost_per_kg"), nan=0.0)
    _bad("sources", src.index, cost < 0, "cost_per_kg", "must be >= 0")
    src_t = pd.DataFrame({"node": _node_index(nodes, src["junction"], "sources", "junction"),
                          "country": src["country"], "owner": src["owner"], "name": src["name"]},
                         index=src.index)

    # ---- sinks
    snk = net.sinks[net.sinks["in_service"].astype(bool)]
    dem = series("sinks", snk, "mass_flow_kg_s")
    dem = np.where(np.isnan(dem), snk["mass_flow_max_kg_s"].to_numpy(float)[None, :], dem)
    dem = np.nan_to_num(dem, nan=0.0)
    _bad("sinks", snk.index, ~np.isfinite(dem) | (dem < 0), "mass_flow_kg_s",
         "demand must be finite and >= 0 (model injections as sources)")
    val = series("sinks", snk, "value_per_kg")
    _bad("sinks", snk.index, val < 0, "value_per_kg", "must be >= 0")
    snk_t = pd.DataFrame({"node": _node_index(nodes, snk["junction"], "sinks", "junction"),
                          # a sink without a country is in its junction's country
                          "country": snk["country"].where(
                              snk["country"].fillna("") != "",
                              snk["junction"].map(net.junctions["country"])),
                          "owner": snk["owner"], "name": snk["name"],
                          "priority": snk["priority"].astype(float)}, index=snk.index)

    # ---- storages
    rho = float(net.gas.rho_n)
    kg_per_mcm = rho * 1e6
    sto = net.storages[net.storages["in_service"].astype(bool)]
    wd = series("storages", sto, "withdrawal_max_kg_s")
    inj = series("storages", sto, "injection_max_kg_s")
    inj = np.where(np.isnan(inj), wd, inj)
    wd, inj = np.nan_to_num(wd, nan=np.inf), np.nan_to_num(inj, nan=np.inf)
    vol = sto["working_gas_mcm"].to_numpy(float)
    start = sto["inventory_mcm"].to_numpy(float)
    start = np.where(np.isnan(start), np.where(np.isfinite(vol), 0.5 * vol, 0.0), start)
    vol = np.nan_to_num(vol, nan=np.inf)
    end = sto["inventory_end_mcm"].to_numpy(float)
    end = np.where(np.isnan(end) & storage_cyclic, start, end)
    _bad("storages", sto.index, (start > vol + 1e-9) | (end > vol + 1e-9), "inventory_mcm/"
         "inventory_end_mcm", "exceeds working_gas_mcm")
    _bad("storages", sto.index, (inj < 0) | (wd < 0), "injection_max_kg_s/withdrawal_max_kg_s",
         "must be >= 0")
    sto_t = pd.DataFrame({"node": _node_index(nodes, sto["junction"], "storages", "junction"),
                          "country": sto["country"], "owner": sto["owner"], "name": sto["name"]},
                         index=sto.index)

    # ---- branches (one table over all branch components)
    frames, his, los, fees = [], [], [], []
    for comp in BRANCHES:
        df = net[comp]
        live = df["in_service"].astype(bool).to_numpy()
        if comp == "valves":
            live &= df["open"].astype(bool).to_numpy()
        one_way = np.zeros(len(df), dtype=bool)
        fuel = np.zeros(len(df))
        if comp == "control_valves":
            live &= (df["mode"] != "closed").to_numpy()
            one_way[:] = True
        if comp == "compressors":
            live &= (df["mode"] != "off").to_numpy()
            bypass = (df["mode"] == "bypass").to_numpy()
            one_way = ~bypass
            share = np.where(df["fuel_model"] == "share", df["fuel_share"].to_numpy(float),
                             np.where(df["fuel_model"] == "power", fuel_share_default, 0.0))
            fuel = np.where(bypass, 0.0, np.nan_to_num(share))
        df = df[live]
        one_way, fuel = one_way[live], fuel[live]
        if not len(df):
            continue
        hi_b = series(comp, df, "mass_flow_max_kg_s")
        lo_b = series(comp, df, "mass_flow_min_kg_s")
        if comp == "pipes" and pipe_capacity == "pressure":
            cf, cr = _pipe_capacity(net, df, friction, z)
        else:
            cf = cr = np.full(len(df), np.inf)
        hi_b = np.where(np.isnan(hi_b), cf[None, :], hi_b)
        lo_b = np.where(np.isnan(lo_b), np.where(one_way, 0.0, -cr)[None, :], lo_b)
        fuel_j = df["fuel_junction"] if "fuel_junction" in df else df["from_junction"]
        fuel_j = fuel_j.where(fuel_j.notna() & (fuel_j.astype(str) != ""), df["from_junction"])
        frames.append(pd.DataFrame({
            "component": comp, "name": df["name"], "country": df["country"], "owner": df["owner"],
            "from_node": _node_index(nodes, df["from_junction"], comp, "from_junction"),
            "to_node": _node_index(nodes, df["to_junction"], comp, "to_junction"),
            "fuel_node": _node_index(nodes, fuel_j, comp, "fuel_junction"), "fuel": fuel},
            index=df.index))
        his.append(hi_b)
        los.append(lo_b)
        fees.append(np.nan_to_num(series(comp, df, "fee_per_kg"), nan=0.0) + flow_cost_per_kg)
        _bad(comp, df.index, lo_b > hi_b + 1e-12, "mass_flow_min_kg_s/mass_flow_max_kg_s",
             "bounds are inverted (min > max)")
        _bad(comp, df.index, fees[-1] < 0, "fee_per_kg", "must be >= 0")
    br = pd.concat(frames) if frames else pd.DataFrame(
        columns=["component", "name", "country", "owner", "from_node", "to_node", "fuel_node",
                 "fuel"])
    hi_all = np.hstack(his) if his else np.zeros((T, 0))
    lo_all = np.hstack(los) if los else np.zeros((T, 0))
    fee_all = np.hstack(fees) if fees else np.zeros((T, 0))
    assumptions = list(RULES)
    if fuel_share_default == 0.0 and (net.compressors["fuel_model"] == "power").any():
        assumptions.append("compressors with fuel_model='power': fuel neglected in the linear "
                           "model (no pressures, hence no power); give fuel_share_default to "
                           "take a share of throughput instead")
    if flow_cost_per_kg:
        assumptions.append(f"nominal transport cost {flow_cost_per_kg:g} per kg on every branch "
                           "(a tie-breaker against circulating flows, not a price)")
    return LinearData(
        periods=per, nodes=nodes, src=src_t, src_lo=lo, src_hi=hi, src_cost=cost,
        snk=snk_t, demand=dem, value=val, sto=sto_t, inj_hi=inj, wd_hi=wd, volume=vol,
        start=start, end=end, br=br,
        fwd_lo=np.clip(lo_all, 0.0, None), fwd_hi=np.clip(hi_all, 0.0, None),
        rev_lo=np.clip(-hi_all, 0.0, None), rev_hi=np.clip(-lo_all, 0.0, None),
        fee=fee_all, kg_per_mcm=kg_per_mcm, assumptions=assumptions)


def priority_weights(priority: np.ndarray, base: float = 1.0, factor: float = 10.0) -> np.ndarray:
    """Weight per sink: ``base * factor**(L-1-rank)``; rank 0 = the smallest priority number
    (first served), NaN = last. With factor 10 higher priorities are strictly served first as
    long as no route loses over 90 % of its gas to compressor fuel."""
    p = np.where(np.isnan(priority), np.inf, priority)
    levels = np.unique(p)
    rank = np.searchsorted(levels, p)
    return base * factor ** (len(levels) - 1 - rank).astype(float)


def default_value_base(d: LinearData) -> float:
    """Base of the default value of lost load: 10 x (largest supply cost + sum of all branch
    fees), at least 1 -- more than any route's cost, so serving demand always pays."""
    fee_sum = float(d.fee.max(axis=0).sum()) if d.fee.size else 0.0
    top = float(d.src_cost.max()) if d.src_cost.size else 0.0
    return max(1.0, 10.0 * (top + fee_sum)) if math.isfinite(top + fee_sum) else 1.0
