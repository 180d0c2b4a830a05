"""Results of a steady state: arrays first, tables on demand.

A solution ``x`` of the Newton kernel becomes a :class:`State` (numpy arrays in the solver's
order: junction pressures, branch flows with parallel units split, compressor heads and fuel).
A :class:`ResultBuilder`, made once per network, turns states into the component tables of a
:class:`SimulationResult` and checks bounds vectorised (``violation_count`` for sweeps,
``violations`` as a table). Units: pressures in bar (absolute), flows in kg/s (and mcm/d at
the gas's volume reference), power in MW, head in J/kg.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from gasunion.errors import GasunionError
from gasunion.network import BRANCHES, Network
from gasunion.network.validation import junction_positions
from gasunion.physics.friction import friction_factor, reynolds
from gasunion.physics.pipe import mean_pressure
from gasunion.simulation.newton import Kernel

NODE_ELEMENTS = ("sources", "sinks", "storages")
VIOLATION_COLUMNS = ["component", "id", "field", "value", "bound", "kind", "excess"]


class SimulationError(GasunionError, RuntimeError):
    """A simulation that failed; ``diagnosis`` lists the elements at fault.

    ``kind`` is ``"setup"`` (ill-posed input the user can fix), ``"not_converged"``,
    ``"infeasible"`` (physically impossible, e.g. a pressure would fall below zero) or
    ``"internal"`` (a defect inside gasunion, not in the input: please report it).
    """

    def __init__(self, kind: str, message: str, diagnosis: pd.DataFrame | None = None,
                 result: SimulationResult | None = None) -> None:
        self.kind = kind
        self.message = message
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

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready description: kind, message and the diagnosis rows."""
        diag = self.diagnosis.astype(object).where(self.diagnosis.notna(), None)
        return {"kind": self.kind, "message": self.message,
                "diagnosis": diag.to_dict(orient="records")}


def _fmt(v: object) -> str:
    if isinstance(v, float):
        return f"{v:.6g}"
    return str(v)


@dataclass
class SimulationResult:
    """Result tables of a steady-state simulation.

    * ``junctions``: ``p_bar`` (absolute), ``p_barg``, ``z``, ``density_kg_m3``,
      ``injection_kg_s`` (net gas entering the network at the junction), ``injection_mcm_d``.
    * ``pipes``: ``from_junction``, ``to_junction``, ``mass_flow_kg_s``, ``flow_mcm_d``,
      ``flow_knm3_h``, ``p_from_bar``, ``p_to_bar``, ``velocity_m_s`` (at mean pressure),
      ``velocity_from_m_s``, ``velocity_to_m_s``, ``reynolds``, ``lambda``.
    * other branch tables: flows and end pressures; ``compressors`` also ``ratio``,
      ``head_j_kg``, ``power_mw``, ``fuel_kg_s``.
    * ``sources``/``sinks``/``storages``: actual ``mass_flow_kg_s`` and ``flow_mcm_d``.
    * ``summary``: converged, iterations, ``solve_time_s`` (numerical solve alone),
      ``max_mass_balance_error_kg_s``, settings, assumptions.
    * ``violations``: component, id, field, value, bound, kind, excess.
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
        names = ("junctions", *BRANCHES, *NODE_ELEMENTS)
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


@dataclass
class State:
    """One solution as arrays in the solver's order."""

    pi: np.ndarray  #: squared pressure per junction [bar^2]
    p_bar: np.ndarray  #: absolute pressure per junction [bar] (NaN where undefined)
    z: np.ndarray  #: compressibility per junction [-]
    q: np.ndarray  #: flow per branch [kg/s], parallel units split
    injection: np.ndarray  #: net gas entering at each junction [kg/s]
    head: np.ndarray  #: isentropic head per compressor branch [J/kg]
    fuel: np.ndarray  #: fuel per compressor branch [kg/s]
    max_balance_error: float  #: largest mass-balance error at free junctions [kg/s]
    cache: dict[Any, Any] = field(default_factory=dict, repr=False)  #: derived arrays


def state_of(k: Kernel, x: np.ndarray, kappa: float) -> State:
    """The arrays of the solution ``x`` of kernel ``k``."""
    m = k.m
    pi = k.pi_all(x)
    undefined = (m.fixed & np.isnan(m.p_fixed_bar)) | (~m.fixed & (pi < 0))
    p = np.where(undefined, np.nan, np.sqrt(np.maximum(pi, 0.0)))
    q = k.unit_flows(x[k.nf:])
    z = np.where(undefined, np.nan, k.z_model.z(np.where(undefined, 1.0, p) * 1e5))
    n = m.n_nodes
    flow_in = np.bincount(m.to, weights=q, minlength=n) - np.bincount(m.fr, weights=q, minlength=n)
    fuel_at = (np.bincount(m.comp_fuel_node, weights=k.fuel, minlength=n) if len(k.fuel)
               else np.zeros(n))
    injection = fuel_at - flow_in
    free = ~m.fixed
    err = float(np.max(np.abs(injection - m.injection_kg_s)[free])) if free.any() else 0.0
    head = np.zeros(len(m.comp_branch))
    if len(m.comp_branch):
        cb = m.comp_branch
        defined = np.isfinite(p[m.fr[cb]]) & np.isfinite(p[m.to[cb]])
        head = np.where(defined, k.compressor_head(pi, kappa)[0], np.nan)
    return State(pi=pi, p_bar=p, z=z, q=q, injection=np.where(m.fixed, injection,
                                                                 m.injection_kg_s),
                 head=head, fuel=k.fuel.copy(), max_balance_error=err)


class ResultBuilder:
    """Index maps and bound arrays of one network, built once; turns states into tables."""

    def __init__(self, net: Network,
                 positions: dict[tuple[str, str], np.ndarray] | None = None) -> None:
        self.net = net
        self.gas = net.gas
        j = net.junctions
        self.jid = j.index
        self.overrides: dict[tuple[str, str], np.ndarray] = {}
        self._slack_cache: dict[int, dict[str, Any]] = {}
        self.rows: dict[str, dict[str, np.ndarray]] = {}
        for comp in BRANCHES:
            df = net[comp]
            self.rows[comp] = {
                "fi": junction_positions(net, comp, "from_junction", positions),
                "ti": junction_positions(net, comp, "to_junction", positions),
                "on": df["in_service"].to_numpy(bool),
            }
        for comp in NODE_ELEMENTS:
            df = net[comp]
            self.rows[comp] = {"node": junction_positions(net, comp, "junction", positions),
                               "on": df["in_service"].to_numpy(bool)}

    def with_overrides(self, overrides: dict[tuple[str, str], np.ndarray]) -> ResultBuilder:
        """The same builder with some columns replaced: (component, column) -> whole column
        (a variant with set-points or bounds changed)."""
        new = ResultBuilder.__new__(ResultBuilder)
        new.__dict__.update(self.__dict__)
        new.overrides = overrides
        return new

    def col(self, comp: str, name: str) -> np.ndarray:
        """Column ``name`` of table ``comp`` as floats (with overrides)."""
        v = self.overrides.get((comp, name))
        if v is not None:
            return v
        return self.net[comp][name].to_numpy(float)

    # ------------------------------------------------------------------ arrays per table row
    def branch_flows(self, k: Kernel, st: State, comp: str) -> np.ndarray:
        m = k.m
        qc = np.zeros(len(self.net[comp]))
        sel = m.branch_slices[comp]
        qc[m.branch_row[sel]] = st.q[sel]
        return qc

    def compressor_rows(self, k: Kernel, st: State) -> dict[str, np.ndarray]:
        """ratio, head [J/kg], power [MW] and fuel [kg/s] per compressor table row."""
        df = self.net.compressors
        n = len(df)
        r = self.rows["compressors"]
        head = np.zeros(n)
        fuel = np.zeros(n)
        m = k.m
        if len(m.comp_branch):
            rows = m.branch_row[m.comp_branch]
            head[rows] = st.head
            fuel[rows] = st.fuel
        q = self.branch_flows(k, st, "compressors")
        with np.errstate(invalid="ignore", divide="ignore"):
            ratio = st.p_bar[r["ti"]] / st.p_bar[r["fi"]] if n else np.zeros(0)
        eta = df["efficiency"].to_numpy(float)
        return {"mass_flow_kg_s": q, "ratio": ratio, "head_j_kg": head,
                "power_mw": np.maximum(q, 0.0) * head / eta / 1e6, "fuel_kg_s": fuel}

    def node_flows(self, k: Kernel, st: State) -> dict[str, np.ndarray]:
        """Actual flow of every source, sink and storage row [kg/s].

        Flow-controlled elements keep their set-point; at a pressure-fixed junction the part of
        the balance not covered by them goes to its pressure-controlled element(s) (a supply
        to the junction's pressure-set sources, a withdrawal to its sinks; where only one kind
        is pressure-set, it takes the balance whatever its sign), shared equally.
        """
        key = ("node_flows", id(self))
        if key in st.cache:
            cached: dict[str, np.ndarray] = st.cache[key]
            return cached
        m = k.m
        n = m.n_nodes
        remainder = np.where(m.fixed, st.injection - m.injection_kg_s, 0.0)
        slack = self._slack_rows(m)
        shares: dict[str, np.ndarray] = {}
        if slack["n"]:
            n_src = np.bincount(slack["sources"][1], minlength=n)
            n_snk = np.bincount(slack["sinks"][1], minlength=n)
            to_src = (n_src > 0) & ((remainder >= 0) | (n_snk == 0))
            shares["sources"] = np.where(to_src, remainder / np.maximum(n_src, 1), 0.0)
            shares["sinks"] = np.where(~to_src, remainder / np.maximum(n_snk, 1), 0.0)
        out = {}
        for comp, sign in (("sources", 1.0), ("sinks", -1.0), ("storages", 1.0)):
            flow = self.col(comp, "mass_flow_kg_s").copy()
            if comp != "storages" and slack["n"]:
                rows, nodes = slack[comp]
                flow[rows] = sign * shares[comp][nodes]
            flow[~self.rows[comp]["on"]] = 0.0
            out[comp] = flow
        st.cache[key] = out
        return out

    def _slack_rows(self, m: Any) -> dict[str, Any]:
        """Table rows and junctions of the pressure-controlled sources and sinks of model
        ``m`` (memoised per model)."""
        key = id(m.slack_elements)
        got = self._slack_cache.get(key)
        if got is None:
            sl = m.slack_elements
            comps = sl["component"].to_numpy(dtype=object)
            ids = sl["id"].to_numpy(dtype=object)
            nodes = sl["node"].to_numpy(int)
            got = {"n": len(sl)}
            for comp in ("sources", "sinks"):
                sel = comps == comp
                got[comp] = (self.net[comp].index.get_indexer(ids[sel]) if sel.any()
                             else np.zeros(0, dtype=np.intp), nodes[sel])
            self._slack_cache.clear()
            self._slack_cache[key] = got
        return got

    # ------------------------------------------------------------------ bounds
    def bound_checks(self, k: Kernel, st: State) -> list[tuple[str, str, np.ndarray, np.ndarray,
                                                          bool, np.ndarray]]:
        """(component, field, value, bound, upper, active) for every bound check."""
        net = self.net
        out: list[tuple[str, str, np.ndarray, np.ndarray, bool, np.ndarray]] = []
        on_j = np.ones(len(self.jid), bool)
        out.append(("junctions", "p_bar", st.p_bar, self.col("junctions", "p_max_bar"), True,
                    on_j))
        out.append(("junctions", "p_bar", st.p_bar, self.col("junctions", "p_min_bar"), False,
                    on_j))
        if len(net.pipes):
            r = self.rows["pipes"]
            pmx = np.fmax(st.p_bar[r["fi"]], st.p_bar[r["ti"]])
            out.append(("pipes", "p_bar", pmx, self.col("pipes", "p_max_bar"), True, r["on"]))
        nflows = self.node_flows(k, st)
        for comp in (*BRANCHES, "sources", "sinks"):
            df = net[comp]
            if not len(df):
                continue
            f = nflows[comp] if comp in nflows else self.branch_flows(k, st, comp)
            on = self.rows[comp]["on"]
            out.append((comp, "mass_flow_kg_s", f, self.col(comp, "mass_flow_max_kg_s"),
                        True, on))
            out.append((comp, "mass_flow_kg_s", f, self.col(comp, "mass_flow_min_kg_s"),
                        False, on))
        c = net.compressors
        if len(c):
            cr = self.compressor_rows(k, st)
            on = self.rows["compressors"]["on"]
            active = c["mode"].isin(["ratio", "p_out"]).to_numpy()
            ratio = np.where(active, cr["ratio"], np.nan)
            r = self.rows["compressors"]
            out += [
                ("compressors", "ratio", ratio, self.col("compressors", "ratio_max"), True, on),
                ("compressors", "ratio", ratio, self.col("compressors", "ratio_min"), False, on),
                ("compressors", "power_mw", cr["power_mw"],
                 self.col("compressors", "power_max_mw"), True, on),
                ("compressors", "p_from_bar", st.p_bar[r["fi"]],
                 self.col("compressors", "p_in_min_bar"), False, on),
                ("compressors", "p_to_bar", st.p_bar[r["ti"]],
                 self.col("compressors", "p_out_max_bar"), True, on),
            ]
        cv = net.control_valves
        if len(cv):
            # GasLib controlValve bounds: in mode p_out (regulating) the inlet minimum and the
            # pressure reduction band; the outlet maximum whenever gas can pass (not closed)
            r = self.rows["control_valves"]
            on = r["on"]
            mode = cv["mode"].to_numpy()
            active = on & (mode == "p_out")
            passing = on & (mode != "closed")
            pin, pout = st.p_bar[r["fi"]], st.p_bar[r["ti"]]
            out += [
                ("control_valves", "p_from_bar", pin, self.col("control_valves", "p_in_min_bar"),
                 False, active),
                ("control_valves", "p_to_bar", pout,
                 self.col("control_valves", "p_out_max_bar"), True, passing),
                ("control_valves", "p_diff_bar", pin - pout,  # a regulator cannot compress
                 np.fmax(self.col("control_valves", "p_diff_min_bar"), 0.0), False, active),
                ("control_valves", "p_diff_bar", pin - pout,
                 self.col("control_valves", "p_diff_max_bar"), True, active),
            ]
        return out

    @staticmethod
    def _bad(value: np.ndarray, bound: np.ndarray, upper: bool, active: np.ndarray,
             tol: float = 1e-6) -> tuple[np.ndarray, np.ndarray]:
        with np.errstate(invalid="ignore"):
            excess = (value - bound) if upper else (bound - value)
            bad = (active & np.isfinite(value) & np.isfinite(bound)
                   & (excess > tol * np.maximum(1.0, np.abs(bound))))
        return bad, excess

    def violation_count(self, k: Kernel, st: State) -> int:
        """Number of violated bounds (no table built)."""
        return int(sum(self._bad(v, b, u, a)[0].sum() for _, _, v, b, u, a in self.bound_checks(k, st)))

    def violations(self, k: Kernel, st: State) -> pd.DataFrame:
        """Every violated bound: component, id, field, value, bound, kind, excess."""
        parts = []
        for comp, fld, value, bound, upper, active in self.bound_checks(k, st):
            bad, excess = self._bad(value, bound, upper, active)
            if bad.any():
                ids = self.jid if comp == "junctions" else self.net[comp].index
                parts.append(pd.DataFrame({
                    "component": comp, "id": ids[bad], "field": fld, "value": value[bad],
                    "bound": bound[bad], "kind": "max" if upper else "min",
                    "excess": excess[bad]}))
        if not parts:
            return pd.DataFrame(columns=VIOLATION_COLUMNS)
        return pd.concat(parts, ignore_index=True)[VIOLATION_COLUMNS]

    # ------------------------------------------------------------------ tables
    def result(self, k: Kernel, st: State, friction: str, summary: dict[str, Any]
               ) -> SimulationResult:
        """All component tables of the state (one DataFrame constructor per table)."""
        gas = self.gas
        net = self.net
        rt = gas.r_specific * gas.temperature_k
        p, zj = st.p_bar, st.z
        idx = pd.Index(self.jid, name="id")
        jt = pd.DataFrame({"p_bar": p, "p_barg": p - 1.01325, "z": zj,
                           "density_kg_m3": p * 1e5 / (zj * rt), "injection_kg_s": st.injection,
                           "injection_mcm_d": gas.mcm_d_from_kg_s(st.injection)}, index=idx)
        tables: dict[str, pd.DataFrame] = {}
        for comp in BRANCHES:
            df = net[comp]
            r = self.rows[comp]
            qc = self.branch_flows(k, st, comp)
            cols: dict[str, Any] = {
                "from_junction": df["from_junction"].to_numpy(),
                "to_junction": df["to_junction"].to_numpy(),
                "mass_flow_kg_s": qc, "flow_mcm_d": gas.mcm_d_from_kg_s(qc),
                "flow_knm3_h": gas.knm3_h_from_kg_s(qc),
                "p_from_bar": p[r["fi"]], "p_to_bar": p[r["ti"]], "in_service": r["on"],
            }
            if comp == "pipes" and len(df):
                cols.update(self._pipe_columns(k, st, qc, friction))
            if comp == "compressors":
                cr = self.compressor_rows(k, st)
                cols.update({c: cr[c] for c in ("ratio", "head_j_kg", "power_mw", "fuel_kg_s")})
                cols["mode"] = df["mode"].to_numpy()
            tables[comp] = pd.DataFrame(cols, index=pd.Index(df.index, name="id"))
        nflows = self.node_flows(k, st)
        for comp in NODE_ELEMENTS:
            df = net[comp]
            cols = {"junction": df["junction"].to_numpy()}
            if comp != "storages":
                cols["p_set_bar"] = self.col(comp, "p_set_bar")
                cols["nominated_kg_s"] = self.col(comp, "mass_flow_kg_s")
            cols["mass_flow_kg_s"] = nflows[comp]
            cols["flow_mcm_d"] = gas.mcm_d_from_kg_s(nflows[comp])
            tables[comp] = pd.DataFrame(cols, index=pd.Index(df.index, name="id"))
        res = SimulationResult(junctions=jt, **tables, summary=summary)
        res.violations = self.violations(k, st)
        return res

    def _pipe_columns(self, k: Kernel, st: State, qc: np.ndarray, friction: str
                      ) -> dict[str, np.ndarray]:
        df = self.net.pipes
        r = self.rows["pipes"]
        gas = self.gas
        rt = gas.r_specific * gas.temperature_k
        d = df["diameter_mm"].to_numpy(float) * 1e-3
        area = math.pi * d**2 / 4
        p1, p2 = st.p_bar[r["fi"]], st.p_bar[r["ti"]]
        out: dict[str, np.ndarray] = {}
        with np.errstate(invalid="ignore", divide="ignore"):
            pm = mean_pressure(p1, p2)
            zm = k.z_model.z(np.nan_to_num(pm, nan=1.0) * 1e5)
            out["velocity_m_s"] = qc * zm * rt / (pm * 1e5 * area)
            out["velocity_from_m_s"] = qc * st.z[r["fi"]] * rt / (p1 * 1e5 * area)
            out["velocity_to_m_s"] = qc * st.z[r["ti"]] * rt / (p2 * 1e5 * area)
        re = reynolds(qc, d, gas.viscosity_pa_s)
        lam_fixed = df["friction_factor"].to_numpy(float)
        lam = np.full(len(df), np.nan)
        pos = re > 0
        if pos.any():
            lam[pos] = friction_factor(friction, re[pos], d[pos],
                                       df["roughness_mm"].to_numpy(float)[pos] * 1e-3)[0]
        out["reynolds"] = re
        out["lambda"] = np.where(np.isfinite(lam_fixed), lam_fixed, lam)
        return out
