"""Steady-state simulation: :func:`simulate` and its result tables.

``simulate(net)`` builds the solver arrays once (:mod:`.model`), runs the Newton kernel
(:mod:`.newton`) and returns a :class:`SimulationResult` with one table per component type
(same index as the network tables), a ``summary`` dict and a ``violations`` table of bounds
that the solution breaks. A failure raises a :class:`SimulationError` whose ``diagnosis`` table
names the elements at fault.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from gasunion.errors import GasunionError
from gasunion.network import BRANCHES, Network
from gasunion.physics.compressibility import make_z_model
from gasunion.physics.friction import friction_factor, reynolds
from gasunion.physics.pipe import mean_pressure
from gasunion.simulation.model import (
    CLOSED,
    PLOSS,
    POUT,
    RATIO,
    SimulationSetupError,
    build_model,
)
from gasunion.simulation.newton import Kernel, NewtonOptions, solve

FRICTION_MODELS = ("nikuradse", "colebrook", "hofer", "weymouth", "stanet_nikuradse",
                   "stanet_colebrook")
Z_MODELS = ("ideal", "papay", "aga", "aga8", "gerg2008")


class SimulationError(GasunionError, RuntimeError):
    """A simulation that failed; ``diagnosis`` lists the elements at fault.

    ``kind`` is ``"setup"`` (ill-posed input), ``"not_converged"`` or ``"infeasible"``
    (physically impossible, e.g. a pressure would fall below zero).
    """

    def __init__(self, kind: str, message: str, diagnosis: pd.DataFrame | None = None,
                 result: SimulationResult | None = None) -> None:
        self.kind = kind
        self.diagnosis = diagnosis if diagnosis is not None else pd.DataFrame()
        self.result = result
        text = message
        if len(self.diagnosis):
            rows = [
                "  " + ", ".join(f"{c}={_fmt(v)}" for c, v in r.items())
                for _, r in self.diagnosis.head(10).iterrows()
            ]
            text += "\n" + "\n".join(rows)
        super().__init__(text)


def _fmt(v: object) -> str:
    if isinstance(v, float):
        return f"{v:.6g}"
    return str(v)


@dataclass
class SimulationResult:
    """Result tables of a steady-state simulation.

    * ``junctions``: ``p_bar`` (absolute), ``p_barg``, ``z``, ``density_kg_m3``,
      ``injection_kg_s`` (net gas entering the network at the junction).
    * ``pipes``: ``from_junction``, ``to_junction``, ``mass_flow_kg_s``, ``flow_mcm_d``,
      ``flow_knm3_h``, ``p_from_bar``, ``p_to_bar``, ``velocity_m_s`` (at mean pressure),
      ``velocity_from_m_s``, ``velocity_to_m_s``, ``reynolds``, ``lambda``.
    * other branch tables: flows and end pressures; ``compressors`` also ``ratio``,
      ``head_j_kg``, ``power_mw``, ``fuel_kg_s``.
    * ``sources``/``sinks``/``storages``: actual ``mass_flow_kg_s`` and ``flow_mcm_d``.
    * ``summary``: converged, iterations, ``solve_time_s`` (numerical solve alone),
      ``max_mass_balance_error_kg_s``, settings, assumptions.
    * ``violations``: component, id, field, value, bound, excess.
    """

    junctions: pd.DataFrame
    pipes: pd.DataFrame
    short_pipes: pd.DataFrame
    resistors: pd.DataFrame
    valves: pd.DataFrame
    control_valves: pd.DataFrame
    compressors: pd.DataFrame
    sources: pd.DataFrame
    sinks: pd.DataFrame
    storages: pd.DataFrame
    summary: dict[str, Any]
    violations: pd.DataFrame = field(default_factory=pd.DataFrame)

    def __getitem__(self, component: str) -> pd.DataFrame:
        table: pd.DataFrame = getattr(self, component)
        return table

    def tables(self) -> dict[str, pd.DataFrame]:
        names = ("junctions", "pipes", "short_pipes", "resistors", "valves", "control_valves",
                 "compressors", "sources", "sinks", "storages")
        return {n: getattr(self, n) for n in names}

    def border_flows(self, net: Network) -> pd.DataFrame:
        """Flows on branches whose ends lie in different countries (see Network.border_points)."""
        bp = net.border_points()
        bp = bp[bp["component"] != "junctions"]
        rows = []
        for eid, r in bp.iterrows():
            t = self[r["component"]]
            if eid in t.index:
                rows.append({"component": r["component"], "id": eid,
                             "from_country": r["from_country"], "to_country": r["to_country"],
                             "mass_flow_kg_s": t.at[eid, "mass_flow_kg_s"],
                             "flow_mcm_d": t.at[eid, "flow_mcm_d"]})
        return pd.DataFrame(rows, columns=["component", "id", "from_country", "to_country",
                                           "mass_flow_kg_s", "flow_mcm_d"])


def simulate(
    net: Network,
    friction: str = "nikuradse",
    z: str = "papay",
    tol: float = 1e-10,
    max_iter: int = 60,
    slack: str = "auto",
    raise_on_failure: bool = True,
    progress: Callable[[int, float], None] | None = None,
) -> SimulationResult:
    """Steady-state, isothermal gas flow on ``net``.

    Parameters
    ----------
    friction: ``"nikuradse"`` (fully rough), ``"colebrook"`` (Colebrook–White with Reynolds
        number), ``"hofer"`` (explicit approximation of Colebrook), ``"weymouth"``, or the
        variants ``"stanet_nikuradse"`` / ``"stanet_colebrook"`` that STANET and pandapipes use
        (see :mod:`gasunion.physics.friction`). Pipes with a ``friction_factor`` use that value.
    z: compressibility ``"ideal"``, ``"papay"``, ``"aga"`` (alias ``"aga8"``: the AGA formula of
        Koch et al. 2015) or ``"gerg2008"`` (CoolProp, needs ``net.gas.composition`` or methane).
    tol: convergence tolerance on the scaled residuals (mass balance relative to the flow scale,
        pressure laws relative to the squared reference pressure).
    slack: ``"auto"`` gives an island without pressure set-point a reference at its source with
        the highest ``p_max_bar`` (recorded in ``summary["assumptions"]``); ``"none"`` refuses.
    raise_on_failure: raise :class:`SimulationError` if not converged or infeasible; else return
        the last iterate with ``summary["converged"] = False``.
    """
    if friction not in FRICTION_MODELS:
        raise ValueError(f"friction must be one of {', '.join(FRICTION_MODELS)}, got {friction!r}")
    if z not in Z_MODELS:
        raise ValueError(f"z must be one of {', '.join(Z_MODELS)}, got {z!r}")
    report = net.validate()
    if report.errors:
        diag = report.to_frame()
        raise SimulationError("setup", f"network {net.name!r} is invalid:", diag[diag.severity == "error"])
    _check_friction_inputs(net, friction)
    try:
        m = build_model(net, slack=slack)
    except SimulationSetupError as exc:
        raise SimulationError("setup", str(exc)) from None
    gas = net.gas
    z_model = make_z_model(z, gas)
    opt = NewtonOptions(friction=friction, tol=tol, max_iter=max_iter)
    try:
        k = Kernel(m, z_model, gas.r_specific, gas.temperature_k, gas.viscosity_pa_s, opt)
        lhv = gas.lower_heating_value_mj_kg * 1e6
        st = solve(k, lhv, gas.kappa, progress=progress)
        res = _results(net, k, st.x, friction, z)
    except (ValueError, FloatingPointError) as exc:  # input no check above caught
        raise SimulationError("setup", f"invalid input reached the solver: {exc}") from exc
    summary = {
        "network": net.name,
        "converged": bool(st.converged),
        "iterations": st.iterations,
        "factorizations": k.factorizations,
        "residual_norm": st.residual_norm,
        "solve_time_s": st.solve_time_s,
        "lu_time_s": st.lu_time_s,
        "max_mass_balance_error_kg_s": res.summary["max_mass_balance_error_kg_s"],
        "total_injection_kg_s": res.summary["total_injection_kg_s"],
        "settings": {"friction": friction, "z": z, "tol": tol, "max_iter": max_iter,
                     "slack": slack, "temperature_k": gas.temperature_k},
        "assumptions": list(net.meta.get("assumptions", [])) + m.assumptions,
        "n_violations": len(res.violations),
    }
    res.summary = summary
    if not st.converged:
        diag = _largest_residuals(k, st.x)
        msg = (f"not converged after {st.iterations} iterations (scaled residual "
               f"{st.residual_norm:.3g} > tol {tol:g}){': ' + st.message if st.message else ''}; "
               "elements with the largest residuals:")
        summary["message"] = msg
        if raise_on_failure:
            raise SimulationError("not_converged", msg, diag, res)
        return res
    infeasible = _infeasibilities(net, k, st.x, res)
    if len(infeasible):
        msg = "physically impossible steady state:"
        summary["converged"] = True
        summary["feasible"] = False
        summary["message"] = msg
        if raise_on_failure:
            raise SimulationError("infeasible", msg, infeasible, res)
    else:
        summary["feasible"] = True
    return res


def _check_friction_inputs(net: Network, friction: str) -> None:
    """Pipes that use the friction law (no fixed ``friction_factor``) need what the law needs:
    a finite roughness for all laws but Weymouth, a positive one for the Nikuradse laws."""
    p = net.pipes
    if not len(p) or friction == "weymouth":
        return
    k = p["roughness_mm"].to_numpy(float)
    uses_law = p["in_service"].to_numpy(bool) & ~np.isfinite(p["friction_factor"].to_numpy(float))
    bad = uses_law & ~np.isfinite(k)
    need = "finite"
    if friction in ("nikuradse", "stanet_nikuradse"):
        bad |= uses_law & (k <= 0)
        need = "positive (the fully rough law has no smooth limit; use colebrook for k = 0)"
    if bad.any():
        ids = p.index[bad]
        diag = pd.DataFrame({"component": "pipes", "id": ids, "field": "roughness_mm",
                             "value": k[bad]})
        raise SimulationError("setup", f"friction={friction!r} needs a {need} roughness_mm on "
                              f"{len(ids)} pipe(s):", diag)


# ---------------------------------------------------------------------------------- results
def _largest_residuals(k: Kernel, x: np.ndarray, n: int = 10) -> pd.DataFrame:
    F, _ = k.evaluate(x, need_jac=False)
    scaled = np.abs(F / k.fscale)
    order = np.argsort(-scaled)[:n]
    rows = []
    for r in order:
        if r < k.nf:
            rows.append({"component": "junctions", "id": k.m.junction_ids[k.free_nodes[r]],
                         "equation": "mass balance", "residual": F[r], "unit": "kg/s",
                         "scaled": scaled[r]})
        else:
            b = r - k.nf
            rows.append({"component": k.m.branch_component[b], "id": k.m.branch_id[b],
                         "equation": "pressure law", "residual": F[r],
                         "unit": {CLOSED: "kg/s", PLOSS: "bar"}.get(int(k.m.law[b]), "bar^2"),
                         "scaled": scaled[r]})
    return pd.DataFrame(rows)


def _infeasibilities(net: Network, k: Kernel, x: np.ndarray, res: SimulationResult) -> pd.DataFrame:
    rows = []
    pi = k.pi_all(x)
    m = k.m
    neg = np.flatnonzero(~m.fixed & (pi <= 0))
    for i in neg[np.argsort(pi[neg])][:20]:
        rows.append({"component": "junctions", "id": m.junction_ids[i], "field": "p_bar",
                     "problem": "pressure would fall below zero",
                     "value": float(pi[i]), "unit": "bar^2 (p^2)"})
    q = x[k.nf:]
    p = np.sqrt(np.maximum(pi, 0.0))
    scale = 1e-6 * k.flow_scale
    for law, label in ((RATIO, "compressor"), (POUT, "regulator/compressor")):
        bad = np.flatnonzero((m.law == law) & (q < -scale))
        for b in bad:
            rows.append({"component": m.branch_component[b], "id": m.branch_id[b],
                         "field": "mass_flow_kg_s",
                         "problem": f"flow against the {label} direction", "value": float(q[b]),
                         "unit": "kg/s"})
    # regulators cannot raise pressure; compressors in p_out mode cannot lower it
    for b in np.flatnonzero(m.law == POUT):
        pin, pout = p[m.fr[b]], p[m.to[b]]
        if m.branch_component[b] == "control_valves" and pin < pout - 1e-9:
            rows.append({"component": "control_valves", "id": m.branch_id[b], "field": "p_out_set_bar",
                         "problem": f"inlet pressure {pin:.4g} bar below the outlet set-point",
                         "value": float(pout), "unit": "bar"})
        if m.branch_component[b] == "compressors" and pout < pin - 1e-9:
            rows.append({"component": "compressors", "id": m.branch_id[b], "field": "p_out_set_bar",
                         "problem": f"suction pressure {pin:.4g} bar above the discharge set-point "
                                    "(ratio < 1)", "value": float(pout), "unit": "bar"})
    return pd.DataFrame(rows, columns=["component", "id", "field", "problem", "value", "unit"])


def _results(net: Network, k: Kernel, x: np.ndarray, friction: str, z: str) -> SimulationResult:
    """Result tables (one DataFrame constructor per table; arrays from the solver model)."""
    m = k.m
    gas = net.gas
    rt = gas.r_specific * gas.temperature_k
    pi = k.pi_all(x)
    undefined = (m.fixed & np.isnan(m.p_fixed_bar)) | (~m.fixed & (pi < 0))
    p = np.where(undefined, np.nan, np.sqrt(np.maximum(pi, 0.0)))
    q = x[k.nf:]
    zj = np.where(undefined, np.nan, k.z_model.z(np.where(undefined, 1.0, p) * 1e5))
    # net injection per junction from the balance (slack flows included)
    n = m.n_nodes
    flow_in = np.bincount(m.to, weights=q, minlength=n) - np.bincount(m.fr, weights=q, minlength=n)
    fuel_at = (np.bincount(m.comp_fuel_node, weights=k.fuel, minlength=n) if len(k.fuel)
               else np.zeros(n))
    injection = fuel_at - flow_in  # gas that must enter at the junction to balance it
    free = ~m.fixed
    max_err = float(np.max(np.abs(injection - m.injection_kg_s)[free])) if free.any() else 0.0
    inj = np.where(m.fixed, injection, m.injection_kg_s)
    idx = pd.Index(m.junction_ids, name="id")
    jt = pd.DataFrame({"p_bar": p, "p_barg": p - 1.01325, "z": zj,
                       "density_kg_m3": p * 1e5 / (zj * rt), "injection_kg_s": inj,
                       "injection_mcm_d": gas.mcm_d_from_kg_s(inj)}, index=idx)

    tables: dict[str, pd.DataFrame] = {}
    for comp in ("pipes", "short_pipes", "resistors", "valves", "control_valves", "compressors"):
        df = net[comp]
        nrow = len(df)
        qc = np.zeros(nrow)
        sel = m.branch_slices[comp]
        qc[m.branch_row[sel]] = q[sel]
        fi = m.junction_ids.get_indexer(df["from_junction"]) if nrow else np.zeros(0, int)
        ti = m.junction_ids.get_indexer(df["to_junction"]) if nrow else np.zeros(0, int)
        cols: dict[str, Any] = {
            "from_junction": df["from_junction"].to_numpy(),
            "to_junction": df["to_junction"].to_numpy(),
            "mass_flow_kg_s": qc,
            "flow_mcm_d": gas.mcm_d_from_kg_s(qc),
            "flow_knm3_h": gas.knm3_h_from_kg_s(qc),
            "p_from_bar": p[fi],
            "p_to_bar": p[ti],
            "in_service": df["in_service"].to_numpy(),
        }
        if comp == "pipes" and nrow:
            d = df["diameter_mm"].to_numpy(float) * 1e-3
            area = math.pi * d**2 / 4
            p1, p2 = p[fi], p[ti]
            with np.errstate(invalid="ignore", divide="ignore"):
                pm = mean_pressure(p1, p2)
                zm = k.z_model.z(np.nan_to_num(pm, nan=1.0) * 1e5)
                cols["velocity_m_s"] = qc * zm * rt / (pm * 1e5 * area)
                cols["velocity_from_m_s"] = qc * zj[fi] * rt / (p1 * 1e5 * area)
                cols["velocity_to_m_s"] = qc * zj[ti] * rt / (p2 * 1e5 * area)
            re = reynolds(qc, d, gas.viscosity_pa_s)
            lam_fixed = df["friction_factor"].to_numpy(float)
            lam = np.full(nrow, np.nan)
            pos_re = re > 0
            if pos_re.any():
                lam[pos_re] = friction_factor(friction, re[pos_re], d[pos_re],
                                              df["roughness_mm"].to_numpy(float)[pos_re] * 1e-3)[0]
            cols["reynolds"] = re
            cols["lambda"] = np.where(np.isfinite(lam_fixed), lam_fixed, lam)
        if comp == "compressors":
            head = np.zeros(nrow)
            fuel = np.zeros(nrow)
            cb = m.comp_branch
            if len(cb):
                rows = m.branch_row[cb]
                defined = np.isfinite(p[m.fr[cb]]) & np.isfinite(p[m.to[cb]])
                head[rows] = np.where(defined, k.compressor_head(pi, gas.kappa)[0], np.nan)
                fuel[rows] = k.fuel
            eta = df["efficiency"].to_numpy(float) if nrow else np.zeros(0)
            with np.errstate(invalid="ignore", divide="ignore"):
                cols["ratio"] = p[ti] / p[fi]
            cols["head_j_kg"] = head
            cols["power_mw"] = np.maximum(qc, 0.0) * head / eta / 1e6
            cols["fuel_kg_s"] = fuel
            cols["mode"] = df["mode"].to_numpy() if nrow else np.zeros(0, dtype=object)
        tables[comp] = pd.DataFrame(cols, index=pd.Index(df.index, name="id"))

    # node elements: flow-controlled ones keep their set-point; at a pressure-fixed junction the
    # part of the balance not covered by them goes to its pressure-controlled element(s)
    # (a supply goes to the junction's pressure-set sources, a withdrawal to its sinks; where
    # only one kind is pressure-set, it takes the balance whatever its sign)
    remainder = np.where(m.fixed, injection - m.injection_kg_s, 0.0)
    slack_el = m.slack_elements
    shares: dict[str, np.ndarray] = {}
    if len(slack_el):
        nodes = slack_el["node"].to_numpy(int)
        is_src = (slack_el["component"] == "sources").to_numpy()
        n_src = np.bincount(nodes[is_src], minlength=n)
        n_snk = np.bincount(nodes[~is_src], minlength=n)
        to_src = (n_src > 0) & ((remainder >= 0) | (n_snk == 0))
        shares["sources"] = np.where(to_src, remainder / np.maximum(n_src, 1), 0.0)
        shares["sinks"] = np.where(~to_src, remainder / np.maximum(n_snk, 1), 0.0)
    node_tables: dict[str, pd.DataFrame] = {}
    for comp, sign in (("sources", 1.0), ("sinks", -1.0), ("storages", 1.0)):
        df = net[comp]
        flow = df["mass_flow_kg_s"].to_numpy(float).copy()
        cols = {"junction": df["junction"].to_numpy()}
        if comp != "storages":
            sl = slack_el[slack_el["component"] == comp]
            if len(sl):
                rows = df.index.get_indexer(sl["id"])
                flow[rows] = sign * shares[comp][sl["node"].to_numpy(int)]
            cols["p_set_bar"] = df["p_set_bar"].to_numpy(float)
            cols["nominated_kg_s"] = df["mass_flow_kg_s"].to_numpy(float)
        flow[~df["in_service"].to_numpy(bool)] = 0.0
        cols["mass_flow_kg_s"] = flow
        cols["flow_mcm_d"] = gas.mcm_d_from_kg_s(flow)
        node_tables[comp] = pd.DataFrame(cols, index=pd.Index(df.index, name="id"))
    res = SimulationResult(
        junctions=jt,
        **tables,
        **node_tables,
        summary={"max_mass_balance_error_kg_s": max_err,
                 "total_injection_kg_s": float(np.sum(np.maximum(injection, 0.0)))},
    )
    res.violations = _violations(net, res)
    return res


def _violations(net: Network, res: SimulationResult) -> pd.DataFrame:
    rows: list[dict[str, Any]] = []

    def check(comp: str, ids: pd.Index, fld: str, value: np.ndarray, bound: np.ndarray,
              upper: bool, tol: float = 1e-6) -> None:
        ok = np.isfinite(value) & np.isfinite(bound)
        if comp != "junctions":  # out-of-service elements break no bound
            ok &= net[comp]["in_service"].to_numpy(bool)
        excess = (value - bound) if upper else (bound - value)
        bad = ok & (excess > tol * np.maximum(1.0, np.abs(bound)))
        for i in np.flatnonzero(bad):
            rows.append({"component": comp, "id": ids[i], "field": fld, "value": float(value[i]),
                         "bound": float(bound[i]), "kind": "max" if upper else "min",
                         "excess": float(excess[i])})

    j = net.junctions
    pj = res.junctions["p_bar"].reindex(j.index).to_numpy(float)
    check("junctions", j.index, "p_bar", pj, j["p_max_bar"].to_numpy(float), True)
    check("junctions", j.index, "p_bar", pj, j["p_min_bar"].to_numpy(float), False)
    if len(net.pipes):
        pt = res.pipes
        pmax = net.pipes["p_max_bar"].to_numpy(float)
        pmx = np.fmax(pt["p_from_bar"].to_numpy(float), pt["p_to_bar"].to_numpy(float))
        check("pipes", pt.index, "p_bar", pmx, pmax, True)
    for comp in (*BRANCHES, "sources", "sinks"):
        df = net[comp]
        if not len(df):
            continue
        f = res[comp]["mass_flow_kg_s"].to_numpy(float)
        check(comp, df.index, "mass_flow_kg_s", f, df["mass_flow_max_kg_s"].to_numpy(float), True)
        check(comp, df.index, "mass_flow_kg_s", f, df["mass_flow_min_kg_s"].to_numpy(float), False)
    c = net.compressors
    if len(c):
        ct = res.compressors
        active = (c["mode"].isin(["ratio", "p_out"])).to_numpy()
        r = np.where(active, ct["ratio"].to_numpy(float), np.nan)
        check("compressors", c.index, "ratio", r, c["ratio_max"].to_numpy(float), True)
        check("compressors", c.index, "ratio", r, c["ratio_min"].to_numpy(float), False)
        check("compressors", c.index, "power_mw", ct["power_mw"].to_numpy(float),
              c["power_max_mw"].to_numpy(float), True)
        check("compressors", c.index, "p_from_bar", ct["p_from_bar"].to_numpy(float),
              c["p_in_min_bar"].to_numpy(float), False)
        check("compressors", c.index, "p_to_bar", ct["p_to_bar"].to_numpy(float),
              c["p_out_max_bar"].to_numpy(float), True)
    return pd.DataFrame(rows, columns=["component", "id", "field", "value", "bound", "kind", "excess"])
