"""Result tables of the linear transport model (simulator shape, long over periods).

Element tables are indexed by ``(id, period)`` (``df.loc["X"]`` is element X over the
periods); ``prices`` is wide (junction x period). Flows in kg/s with mcm/d beside them,
inventories in mcm, prices in currency/kg.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from gasunion.network import Network
from gasunion.optimize._linear_model import HighsLP, TransportLP

__all__ = ["transport_tables"]


def _long(ids: pd.Index, periods: pd.Index, cols: dict[str, np.ndarray],
          static: pd.DataFrame | None = None) -> pd.DataFrame:
    """Arrays ``(T, E)`` -> a table indexed by (id, period); static columns repeated."""
    idx = pd.MultiIndex.from_product([pd.Index(ids, name="id"), periods], names=["id", "period"])
    out = pd.DataFrame({k: np.asarray(v, dtype=float).T.ravel() for k, v in cols.items()}, index=idx)
    if static is not None and len(static.columns):
        rep = static.iloc[np.repeat(np.arange(len(static)), len(periods))]
        for c in static.columns:
            out[c] = rep[c].to_numpy()
    return out


def _util(flow: np.ndarray, cap: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        u = np.where(np.isfinite(cap) & (cap > 0), flow / cap, np.nan)
    return np.where(np.isfinite(cap) & (cap == 0) & (flow <= 1e-9), 0.0, u)


def transport_tables(net: Network, lp: TransportLP, hl: HighsLP, price_sign: float = 1.0
                     ) -> dict[str, pd.DataFrame]:
    """All result tables of a solved transport LP."""
    d, v = lp.data, lp.v
    P = d.periods.names
    h = d.periods.hours
    gas = net.gas
    mcm = gas.mcm_d_from_kg_s
    tables: dict[str, pd.DataFrame] = {}

    sup = hl.value(v["supply"])
    tables["sources"] = _long(d.src.index, P, {
        "supply_kg_s": sup, "supply_mcm_d": mcm(sup), "max_kg_s": d.src_hi,
        "utilisation": _util(sup, d.src_hi), "cost_per_kg": d.src_cost},
        d.src[["name", "country", "owner"]])

    srv = hl.value(v["served"])
    uns = np.clip(d.demand - srv, 0.0, None)
    tables["sinks"] = _long(d.snk.index, P, {
        "demand_kg_s": d.demand, "served_kg_s": srv, "unserved_kg_s": uns,
        "served_mcm_d": mcm(srv), "unserved_mcm_d": mcm(uns), "value_per_kg": d.value},
        d.snk[["name", "country", "owner", "priority"]])

    inj, wd, inv = hl.value(v["inj"]), hl.value(v["wd"]), hl.value(v["inv"])
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(np.isfinite(d.volume) & (d.volume > 0), inv / d.volume, np.nan)
    tables["storages"] = _long(d.sto.index, P, {
        "injection_kg_s": inj, "withdrawal_kg_s": wd, "net_withdrawal_kg_s": wd - inj,
        "net_withdrawal_mcm_d": mcm(wd - inj), "inventory_mcm": inv, "inventory_share": share},
        d.sto[["name", "country", "owner"]])

    fp, fm = hl.value(v["fp"]), hl.value(v["fm"])
    flow = fp - fm
    cap = np.where(flow >= 0, d.fwd_hi, d.rev_hi)
    fuel = fp * d.br["fuel"].to_numpy(float)
    br_static = d.br[["component", "name", "country", "owner"]].copy()
    br_static["from_junction"] = d.nodes[d.br["from_node"].to_numpy(int)]
    br_static["to_junction"] = d.nodes[d.br["to_node"].to_numpy(int)]
    branches = _long(d.br.index, P, {
        "flow_kg_s": flow, "flow_mcm_d": mcm(flow), "forward_kg_s": fp, "reverse_kg_s": fm,
        "capacity_kg_s": cap, "capacity_forward_kg_s": d.fwd_hi, "capacity_reverse_kg_s": d.rev_hi,
        "utilisation": _util(np.abs(flow), cap), "fee_per_kg": d.fee, "fuel_kg_s": fuel},
        br_static)
    tables["branches"] = branches
    for comp in pd.unique(d.br["component"]):
        tables[str(comp)] = branches[branches["component"] == comp].drop(columns="component")

    bal = hl.dual(lp.c["balance"])
    tables["prices"] = pd.DataFrame(price_sign * bal / h[:, None], index=P,
                                    columns=pd.Index(d.nodes, name="junction")).T

    # ---- borders: branches whose ends lie in different countries, per direction
    bp = net.border_points()
    bp = bp[bp["component"] != "junctions"]
    key = pd.MultiIndex.from_arrays([d.br["component"], d.br.index])
    pos = key.get_indexer(pd.MultiIndex.from_arrays([bp["component"], bp.index]))
    bp, pos = bp[pos >= 0], pos[pos >= 0]
    tables["borders"] = _long(bp.index, P, {
        "flow_forward_kg_s": fp[:, pos], "flow_reverse_kg_s": fm[:, pos],
        "flow_mcm_d": mcm(flow[:, pos]),
        "capacity_forward_kg_s": d.fwd_hi[:, pos], "capacity_reverse_kg_s": d.rev_hi[:, pos],
        "utilisation_forward": _util(fp[:, pos], d.fwd_hi[:, pos]),
        "utilisation_reverse": _util(fm[:, pos], d.rev_hi[:, pos])},
        bp[["component", "from_country", "to_country", "owner"]])

    # ---- country balances and flows between countries (who ships what to whom)
    jc = net.junctions["country"].reindex(d.nodes).fillna("").to_numpy(object)
    fc = jc[d.br["from_node"].to_numpy(int)]
    tc = jc[d.br["to_node"].to_numpy(int)]
    cross = fc != tc
    T = len(P)
    recs = pd.DataFrame({
        "from_country": np.where(flow[:, cross] >= 0, fc[cross], tc[cross]).ravel(),
        "to_country": np.where(flow[:, cross] >= 0, tc[cross], fc[cross]).ravel(),
        "period": np.repeat(P.to_numpy(), cross.sum()),
        "flow_kg_s": np.abs(flow[:, cross]).ravel()})
    cf = recs.groupby(["from_country", "to_country", "period"], sort=False)["flow_kg_s"].sum()
    cf = cf[cf > 1e-9].to_frame().sort_index()
    cf["flow_mcm_d"] = mcm(cf["flow_kg_s"].to_numpy())
    tables["country_flows"] = cf
    countries = pd.Index(sorted(set(jc) - {""}), name="country")

    def by_country(arr: np.ndarray, cc: np.ndarray) -> np.ndarray:
        out = np.zeros((T, len(countries)))
        ci = countries.get_indexer(cc)
        ok = ci >= 0
        if ok.any():
            np.add.at(out.T, ci[ok], arr[:, ok].T)
        return out

    src_c = jc[d.src["node"].to_numpy(int)]
    snk_c = jc[d.snk["node"].to_numpy(int)]
    sto_c = jc[d.sto["node"].to_numpy(int)]
    out_flow = np.where(flow > 0, flow, 0.0)
    in_flow = np.where(flow < 0, -flow, 0.0)
    exports = by_country(out_flow[:, cross], fc[cross]) + by_country(in_flow[:, cross], tc[cross])
    imports = by_country(out_flow[:, cross], tc[cross]) + by_country(in_flow[:, cross], fc[cross])
    fuel_c = by_country(fuel, jc[d.br["fuel_node"].to_numpy(int)])
    tables["countries"] = _long(countries, P, {
        "production_kg_s": by_country(sup, src_c), "demand_kg_s": by_country(d.demand, snk_c),
        "served_kg_s": by_country(srv, snk_c), "unserved_kg_s": by_country(uns, snk_c),
        "storage_net_withdrawal_kg_s": by_country(wd - inj, sto_c),
        "imports_kg_s": imports, "exports_kg_s": exports,
        "transit_kg_s": np.minimum(imports, exports), "fuel_kg_s": fuel_c})

    return tables
