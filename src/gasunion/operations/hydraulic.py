"""Hydraulic check of a gas day: do the confirmed border flows fit the union's network?

The confirmed quantities of a gas day (energy in kWh/d, gross calorific value, as from
:func:`~gasunion.operations.match_nominations`) are turned into flow set-points on the network,
the day's demands are applied, and the steady state is simulated with the prepared
:class:`~gasunion.simulation.prepared.Simulator`. Every broken bound (pressure, flow,
compressor power, ...) is reported with its element; a simulation that fails (not converged,
physically impossible) makes the day infeasible with the solver's diagnosis.

**From confirmations to set-points** (per interconnection point, IP, of ``net.interconnections``):

1. Net quantity: exit rows of a TSO on the IP's ``from`` side (``operator_from`` or
   ``from_country``) count forward, on the ``to`` side reverse (each matched pair is counted
   once, on its exit row; entry rows only where an IP has no exit row); rows with direction
   ``forward``/``reverse`` are taken as they are. Hours are summed to the day.
2. Energy to mass: ``kg/s = kWh/d / (kwh_per_kg * 86400)`` with ``kwh_per_kg = H_s / rho_n /
   3.6`` (``net.gas.calorific_value_mj_m3``, gross, per m^3 at the gas's volume reference
   ``net.gas.volume_reference_k`` and 1.01325 bar), unless ``kwh_per_kg`` is given.
3. Imposing the flow: the IP's crossing branches (column ``interconnection``) cut the network in
   two sides. The side without a pressure reference (a source or sink with ``p_set_bar``)
   is *dependent*: the flow across the IP equals its net offtake, so the flow-controlled
   sources and sinks on that side that are not in ``demands`` (the IP's *carriers*, e.g. the
   entry source of the neighbour's gas) take the difference between the confirmed and the
   network's own (base) flow, shared in proportion to their base flows (a carrier never
   changes sign: it stops at 0). No element is added and only set-points change, so one
   prepared model serves every gas day. An IP whose both sides hold a pressure reference, or
   which is meshed (both sides still connected), or has no carrier, is reported with
   ``imposed = False``: its flow follows from the pressures and is only compared.
   IPs without confirmations keep the network's set-points.
"""

from __future__ import annotations

import dataclasses
import weakref
from typing import Any

import numpy as np
import pandas as pd
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from gasunion.network import BRANCHES, Network
from gasunion.simulation.prepared import Simulator
from gasunion.simulation.results import SimulationError, SimulationResult

SECONDS_PER_DAY = 86400.0
VIOLATION_COLUMNS = ["component", "element", "name", "field", "value", "bound", "kind",
                     "excess", "unit"]
_BASE: weakref.WeakKeyDictionary[Simulator, pd.Series] = weakref.WeakKeyDictionary()


@dataclasses.dataclass
class HydraulicResult:
    """Outcome of :func:`hydraulic_check`.

    * ``feasible``: the day simulates (converged, physically possible) without a broken bound.
    * ``violations``: component, element, name, field, value, bound, kind (``max``/``min``, or
      the solver's failure kind), excess, unit (bar, kg/s, MW, mcm/d, -).
    * ``border_flows``: per IP: name, direction of the net confirmation, confirmed_kwh_d
      (forward, reverse, net), confirmed_kg_s, confirmed_mcm_d, simulated_kg_s,
      simulated_mcm_d (forward positive), capacity_mcm_d (in the net direction), imposed,
      carriers, note.
    * ``summary``: gas_day, kwh_per_kg, n_violations, converged, error, message, changes.
    """

    feasible: bool
    violations: pd.DataFrame
    border_flows: pd.DataFrame
    summary: dict[str, Any]
    result: SimulationResult | None = None  #: the simulated steady state (if any)


def kwh_per_kg_of(net: Network) -> float:
    """Gross calorific value per kg [kWh/kg] = ``H_s [MJ/m^3] / rho_n [kg/m^3] / 3.6``."""
    return float(net.gas.calorific_value_mj_m3 / net.gas.rho_n / 3.6)


def hydraulic_check(net: Network, confirmed: pd.DataFrame, demands: pd.DataFrame | None = None,
                    *, simulator: Simulator | None = None, kwh_per_kg: float | None = None,
                    friction: str = "nikuradse", z: str = "papay") -> HydraulicResult:
    """Simulate a gas day's confirmed border flows with its demands; flag what breaks.

    ``confirmed``: one gas day's rows with ``ip``, ``direction`` (``entry``/``exit`` with
    ``tso``, or ``forward``/``reverse``) and ``confirmed_kwh`` [kWh/d] (or ``quantity_kwh``).
    ``demands``: element ids (index or an ``id`` column; ``component`` column optional,
    default ``sinks``) with ``quantity_kwh`` [kWh/d] or ``mass_flow_kg_s`` [kg/s].
    ``simulator``: a prepared :class:`Simulator` of ``net`` (reuse it over many gas days).
    """
    sim = simulator if simulator is not None else Simulator(net, friction=friction, z=z)
    net = sim.base.net
    e = kwh_per_kg if kwh_per_kg is not None else kwh_per_kg_of(net)
    per_ip, gas_day = _confirmed_per_ip(net, confirmed)
    target = per_ip["net_kwh"] / (e * SECONDS_PER_DAY)  # kg/s, forward positive
    base_flow = _base_flows(sim)
    dem = _demand_changes(net, demands, e)
    carriers = _carriers(net, list(net.interconnections.index), set(dem))
    inj_change = _injection_change(net, dem)
    setp, imposed, names, notes = _setpoints(net, carriers, target, base_flow, inj_change)
    changes = {**{(c, i, "mass_flow_kg_s"): v for (c, i), v in dem.items()}, **setp}
    summary: dict[str, Any] = {"gas_day": gas_day, "kwh_per_kg": e, "changes": changes}
    res: SimulationResult | None
    try:
        res = sim.run(changes)
        viol = _violations(net, res.violations)
        summary.update(converged=True, error=None, message="")
    except SimulationError as exc:
        res = exc.result
        viol = pd.concat([_violations(net, res.violations) if res is not None else None,
                          _diagnosis(net, exc)], ignore_index=True)
        summary.update(converged=exc.kind != "not_converged", error=exc.kind,
                       message=exc.message)
    flows = _border_table(net, per_ip, target, res, imposed, names, notes)
    over = _capacity_violations(flows)
    viol = pd.concat([v for v in (viol, over) if len(v)], ignore_index=True) if (
        len(viol) or len(over)) else pd.DataFrame(columns=VIOLATION_COLUMNS)
    summary["n_violations"] = len(viol)
    ok = summary["error"] is None and not len(viol)
    return HydraulicResult(ok, viol[VIOLATION_COLUMNS].reset_index(drop=True), flows, summary,
                           res)


# ---------------------------------------------------------------------- confirmations
def _confirmed_per_ip(net: Network, confirmed: pd.DataFrame) -> tuple[pd.DataFrame, Any]:
    """Forward, reverse and net (forward - reverse) confirmed energy per IP [kWh/d]."""
    df = confirmed.reset_index(drop=True)
    qcol = "confirmed_kwh" if "confirmed_kwh" in df else "quantity_kwh"
    if qcol not in df or "ip" not in df or "direction" not in df:
        raise ValueError("confirmed needs columns ip, direction and confirmed_kwh")
    days = df["gas_day"].astype(str).unique() if "gas_day" in df else np.array([None])
    if len(days) > 1:
        raise ValueError(f"confirmed holds {len(days)} gas days; check one day at a time")
    ics = net.interconnections
    unknown = sorted(set(df["ip"].astype(str)) - set(ics.index))
    if unknown:
        raise ValueError(f"unknown interconnection point(s): {unknown}")
    d = df["direction"].astype(str).str.lower()
    q = df[qcol].to_numpy(float)
    fwd = d.eq("forward").to_numpy()
    rev = d.eq("reverse").to_numpy()
    if "tso" in df:
        ip = ics.loc[df["ip"].astype(str)]
        tso = df["tso"].astype(str).to_numpy()
        on_from = (tso == ip["operator_from"].to_numpy()) | (tso == ip["from_country"].to_numpy())
        on_to = (tso == ip["operator_to"].to_numpy()) | (tso == ip["to_country"].to_numpy())
        ex, en = d.eq("exit").to_numpy(), d.eq("entry").to_numpy()
        has_exit = df.assign(_x=ex).groupby("ip")["_x"].transform("any").to_numpy()
        use = ex | (en & ~has_exit)
        fwd |= use & ((ex & on_from) | (en & on_to))
        rev |= use & ((ex & on_to) | (en & on_from))
    out = pd.DataFrame({"ip": df["ip"].astype(str), "forward_kwh": np.where(fwd, q, 0.0),
                        "reverse_kwh": np.where(rev, q, 0.0)}).groupby("ip").sum()
    out["net_kwh"] = out["forward_kwh"] - out["reverse_kwh"]
    return out, days[0]


def _demand_changes(net: Network, demands: pd.DataFrame | None, e: float
                    ) -> dict[tuple[str, str], float]:
    """(component, id) -> mass flow [kg/s] of the day's demands."""
    if demands is None or not len(demands):
        return {}
    df = demands.set_index("id") if "id" in demands else demands
    comp = df["component"] if "component" in df else pd.Series("sinks", index=df.index)
    q = (df["mass_flow_kg_s"].to_numpy(float) if "mass_flow_kg_s" in df
         else df["quantity_kwh"].to_numpy(float) / (e * SECONDS_PER_DAY))
    return {(str(c), str(i)): float(v) for c, i, v in zip(comp, df.index, q, strict=True)}


def _setpoints(net: Network, carriers: pd.DataFrame, target: pd.Series, base_flow: pd.Series,
               inj_change: dict[tuple[str, str], float]
               ) -> tuple[dict[tuple[str, str, str], float], pd.Series, pd.Series, pd.Series]:
    """New carrier flows [kg/s] that make every imposable IP carry its target flow.

    The flow across IP ``i`` is ``-side_i`` times the net injection of its dependent side, so
    the carriers' injection changes ``d`` solve ``A d = b`` with ``A[i, e] = -side_i`` for the
    carriers ``e`` on that side and ``b_i`` = target - base flow + ``side_i`` x the demand
    changes there; IPs without confirmation are held at their base flow. The solution of least
    weighted norm (weights: the carriers' base flows) is taken, so one IP with one carrier gets
    exactly the difference, and a chain of IPs is imposed consistently.
    """
    ips = carriers.index[carriers["note"] == ""]
    notes = carriers["note"].reindex(target.index).fillna("not in interconnections")
    members = sorted({m for ip in ips for m in carriers.at[ip, "members"]})
    imposed = pd.Series(False, index=target.index)
    names = pd.Series("", index=target.index, dtype=object)
    if not members:
        return {}, imposed, names, notes
    col = {m: k for k, m in enumerate(members)}
    a = np.zeros((len(ips), len(members)))
    b = np.zeros(len(ips))
    for r, ip in enumerate(ips):
        side, js = carriers.at[ip, "side"], carriers.at[ip, "junctions"]
        a[r, [col[m] for m in carriers.at[ip, "members"]]] = -side
        d_other = sum(v for (c, i), v in inj_change.items() if net[c].at[i, "junction"] in js)
        goal = target.get(ip, base_flow.get(ip, 0.0))
        b[r] = goal - base_flow.get(ip, 0.0) + side * d_other
    base = np.array([net[c].at[i, "mass_flow_kg_s"] for c, i in members], dtype=float)
    w = np.maximum(np.abs(base), 1e-3 * max(np.abs(base).max(), 1.0))
    d = w * (np.linalg.pinv(a * w) @ b)
    sgn = np.array([-1.0 if c == "sinks" else 1.0 for c, _ in members])
    new = base + sgn * d
    clipped = new < -1e-9
    new = np.maximum(new, 0.0)
    setp = {(c, i, "mass_flow_kg_s"): float(v) for (c, i), v, dv in
            zip(members, new, d, strict=True) if abs(dv) > 1e-12}
    exact = np.abs(a @ d - b) <= 1e-6 * np.maximum(np.abs(b), 1.0)
    for r, ip in enumerate(ips):
        if ip not in target.index:
            continue
        mine = carriers.at[ip, "members"]
        names[ip] = ", ".join(i for _, i in mine)
        bad = any(clipped[col[m]] for m in mine)
        imposed[ip] = bool(exact[r]) and not bad
        if bad:
            notes[ip] = "a carrier would change sign: stopped at 0"
        elif not exact[r]:
            notes[ip] = "confirmations inconsistent with the other IPs'"
    return setp, imposed, names, notes


def _injection_change(net: Network, dem: dict[tuple[str, str], float]
                      ) -> dict[tuple[str, str], float]:
    """Change of the injection [kg/s] (sources +, sinks -) each demand makes."""
    return {(c, i): (-1.0 if c == "sinks" else 1.0) * (v - float(net[c].at[i, "mass_flow_kg_s"]))
            for (c, i), v in dem.items()}


# ---------------------------------------------------------------------- network side
def _crossing(net: Network) -> pd.DataFrame:
    """In-service crossing branches with their orientation: sign +1 when the branch runs from
    the IP's from_country to its to_country, -1 when the other way."""
    frames = []
    for c in BRANCHES:
        df = net[c]
        sel = df[(df["interconnection"] != "") & df["in_service"]] if len(df) else df
        if len(sel):
            frames.append(pd.DataFrame({"component": c, "ip": sel["interconnection"],
                                        "fr": sel["from_junction"], "to": sel["to_junction"]}))
    if not frames:
        return pd.DataFrame(columns=["component", "ip", "fr", "to", "sign"])
    cr = pd.concat(frames)
    country = net.junctions["country"]
    ics = net.interconnections
    back = ((cr["fr"].map(country).to_numpy() == ics.loc[cr["ip"], "to_country"].to_numpy())
            & (cr["to"].map(country).to_numpy() == ics.loc[cr["ip"], "from_country"].to_numpy()))
    cr["sign"] = np.where(back, -1.0, 1.0)
    return cr


def _links(net: Network) -> pd.DataFrame:
    """Branches that connect their ends (in service, not closed)."""
    frames = []
    for c in BRANCHES:
        df = net[c]
        if not len(df):
            continue
        on = df["in_service"].to_numpy(bool)
        if c == "valves":
            on &= df["open"].to_numpy(bool)
        if c in ("control_valves", "compressors"):
            on &= ~df["mode"].isin(["closed", "off"]).to_numpy()
        frames.append(pd.DataFrame({"id": df.index[on], "component": c,
                                    "fr": df["from_junction"][on], "to": df["to_junction"][on]}))
    return pd.concat(frames, ignore_index=True)


def _carriers(net: Network, ips: list[str], fixed: set[tuple[str, str]]) -> pd.DataFrame:
    """Per IP: the dependent side (+1 downstream/to side, -1 upstream/from side), its
    junctions, its carriers [(component, id)] and a note where the flow cannot be imposed."""
    cr = _crossing(net)
    links = _links(net)
    jid = net.junctions.index
    jpos = pd.Series(np.arange(len(jid)), index=jid)
    nodes = []
    for comp in ("sources", "sinks"):
        df = net[comp]
        on = df["in_service"].to_numpy(bool)
        nodes.append(pd.DataFrame({"component": comp, "id": df.index[on],
                                   "junction": df["junction"][on],
                                   "pref": np.isfinite(df["p_set_bar"][on].to_numpy(float)),
                                   "flow": np.isfinite(df["mass_flow_kg_s"][on].to_numpy(float))}))
    nd = pd.concat(nodes, ignore_index=True)
    rows: list[tuple[str, int, set[str], list[tuple[str, str]], str]] = []
    for ip in ips:
        mine = cr[cr["ip"] == ip]
        if not len(mine):
            rows.append((ip, 0, set(), [], "no crossing branch in service"))
            continue
        keep = ~(links["component"] + "/" + links["id"]).isin(mine["component"] + "/" + mine.index)
        lk = links[keep.to_numpy()]
        g = coo_matrix((np.ones(len(lk)), (jpos[lk["fr"]].to_numpy(), jpos[lk["to"]].to_numpy())),
                       shape=(len(jid), len(jid)))
        _, lab = connected_components(g, directed=False)
        up = np.where(mine["sign"] > 0, mine["fr"], mine["to"])
        down = np.where(mine["sign"] > 0, mine["to"], mine["fr"])
        lu, ld = set(lab[jpos[up]]), set(lab[jpos[down]])
        if lu & ld:
            rows.append((ip, 0, set(), [], "meshed: both sides stay connected"))
            continue
        nlab = lab[jpos[nd["junction"]].to_numpy()]
        done = False
        for side, labs in ((1, ld), (-1, lu)):
            on_side = np.isin(nlab, list(labs))
            if nd["pref"][on_side].any():
                continue
            js = set(jid[np.isin(lab, list(labs))])
            cand = nd[on_side & nd["flow"].to_numpy() & ~nd["pref"].to_numpy()]
            members = [(c, i) for c, i in zip(cand["component"], cand["id"], strict=True)
                       if (c, i) not in fixed]
            note = "" if members else "no flow set-point on the dependent side"
            rows.append((ip, side, js, members, note))
            done = True
            break
        if not done:
            rows.append((ip, 0, set(), [], "both sides hold a pressure reference"))
    return pd.DataFrame(rows, columns=["ip", "side", "junctions", "members", "note"]
                        ).set_index("ip")


def _ip_flows(net: Network, res: SimulationResult | None) -> pd.Series:
    """Simulated flow per IP [kg/s], forward (from_country -> to_country) positive."""
    cr = _crossing(net)
    if res is None or not len(cr):
        return pd.Series(dtype=float)
    q = np.concatenate([getattr(res, c)["mass_flow_kg_s"].reindex(cr.index[cr["component"] == c]
                                                                  ).to_numpy(float)
                        for c in cr["component"].unique()])
    order = np.concatenate([np.flatnonzero(cr["component"].to_numpy() == c)
                            for c in cr["component"].unique()])
    flows = np.empty(len(cr))
    flows[order] = q
    return pd.Series(flows * cr["sign"].to_numpy(), index=cr["ip"].to_numpy()).groupby(
        level=0).sum()


def _base_flows(sim: Simulator) -> pd.Series:
    """The network's own IP flows [kg/s] (solved once per simulator)."""
    if sim not in _BASE:
        _BASE[sim] = _ip_flows(sim.base.net, sim.run())
    return _BASE[sim]


# ---------------------------------------------------------------------- reporting
def _unit(field: str) -> str:
    for suffix, unit in (("_bar", "bar"), ("_kg_s", "kg/s"), ("_mw", "MW"), ("_mcm_d", "mcm/d")):
        if field.endswith(suffix):
            return unit
    return "-"


def _names(net: Network, comp: pd.Series, ids: pd.Series) -> np.ndarray:
    out = np.full(len(ids), "", dtype=object)
    for c in comp.unique():
        m = (comp == c).to_numpy()
        if c in net.components and "name" in net[c]:
            out[m] = net[c]["name"].reindex(ids[m]).fillna("").to_numpy()
    return out


def _violations(net: Network, v: pd.DataFrame) -> pd.DataFrame:
    if not len(v):
        return pd.DataFrame(columns=VIOLATION_COLUMNS)
    out = v.rename(columns={"id": "element"}).reset_index(drop=True)
    out["name"] = _names(net, out["component"], out["element"])
    out["unit"] = out["field"].map(_unit)
    return out[VIOLATION_COLUMNS]


def _diagnosis(net: Network, exc: SimulationError) -> pd.DataFrame:
    d = exc.diagnosis
    if not len(d) or not {"component", "id"} <= set(d.columns):
        return pd.DataFrame([{"component": "network", "element": net.name, "name": "",
                              "field": exc.kind, "value": np.nan, "bound": np.nan,
                              "kind": exc.kind, "excess": np.nan, "unit": "-"}])
    out = pd.DataFrame({"component": d["component"].astype(str),
                        "element": d["id"].astype(str),
                        "field": d.get("field", d.get("equation", exc.kind)),
                        "value": d.get("value", d.get("residual", np.nan)),
                        "bound": np.nan, "kind": exc.kind, "excess": np.nan,
                        "unit": d.get("unit", "-")})
    out["name"] = _names(net, out["component"], out["element"])
    return out[VIOLATION_COLUMNS]


def _border_table(net: Network, per_ip: pd.DataFrame, target: pd.Series,
                  res: SimulationResult | None, imposed: pd.Series, carriers: pd.Series,
                  notes: pd.Series) -> pd.DataFrame:
    ics = net.interconnections.loc[per_ip.index]
    sim = _ip_flows(net, res).reindex(per_ip.index)
    gas = net.gas
    fwd = target >= 0
    return pd.DataFrame({
        "name": ics["name"], "from_country": ics["from_country"],
        "to_country": ics["to_country"],
        "direction": np.where(fwd, "forward", "reverse"),
        "confirmed_forward_kwh_d": per_ip["forward_kwh"],
        "confirmed_reverse_kwh_d": per_ip["reverse_kwh"],
        "confirmed_net_kwh_d": per_ip["net_kwh"], "confirmed_kg_s": target,
        "confirmed_mcm_d": gas.mcm_d_from_kg_s(target), "simulated_kg_s": sim,
        "simulated_mcm_d": gas.mcm_d_from_kg_s(sim),
        "capacity_mcm_d": np.where(fwd, ics["capacity_forward_mcm_d"],
                                   ics["capacity_reverse_mcm_d"]),
        "imposed": imposed, "carriers": carriers, "note": notes,
    }, index=pd.Index(per_ip.index, name="ip"))


def _capacity_violations(flows: pd.DataFrame) -> pd.DataFrame:
    """Confirmed net flows above the IP's technical capacity in their direction [mcm/d]."""
    q = flows["confirmed_mcm_d"].abs()
    cap = flows["capacity_mcm_d"].astype(float)
    bad = (q > cap * (1 + 1e-9)).to_numpy()
    f = flows[bad]
    return pd.DataFrame({
        "component": "interconnections", "element": f.index, "name": f["name"],
        "field": "capacity_" + f["direction"] + "_mcm_d", "value": q[bad], "bound": cap[bad],
        "kind": "max", "excess": (q - cap)[bad], "unit": "mcm/d"})
