"""Validation of a :class:`~gasunion.network.network.Network`.

Every problem is collected and reported at once, each naming the component, the element id
and the field. Checks are driven by the schema (required, references, ranges, choices) plus
network-level rules: inverted bounds, self-loops, islands without a pressure reference,
conflicting pressure set-points.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from gasunion.errors import GasunionError
from gasunion.network.schema import BRANCHES, COMPONENTS, NODE_ELEMENTS, attributes

if TYPE_CHECKING:
    from gasunion.network.network import Network


@dataclass(frozen=True)
class Issue:
    """One validation finding."""

    severity: str  # "error" | "warning"
    component: str
    element: str
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.component}[{self.element!r}]" if self.element else self.component
        if self.field:
            where += f".{self.field}"
        return f"{self.severity}: {where}: {self.message}"


class NetworkValidationError(GasunionError, ValueError):
    """Raised by :meth:`ValidationReport.raise_if_errors`; its message lists every error."""

    def __init__(self, report: ValidationReport) -> None:
        self.report = report
        super().__init__(str(report))


@dataclass
class ValidationReport:
    """All findings of a validation run."""

    issues: list[Issue] = field(default_factory=list)
    #: ``islands(net)`` as computed by the topology check (reused by the simulator)
    islands: tuple[int, np.ndarray] | None = field(default=None, repr=False, compare=False)
    #: junction positions of reference columns, see :func:`junction_positions` (reused by the
    #: simulator right after validation, while the tables are unchanged)
    positions: dict[tuple[str, str], np.ndarray] = field(default_factory=dict, repr=False,
                                                         compare=False)

    @property
    def errors(self) -> list[Issue]:
        return [i for i in self.issues if i.severity == "error"]

    @property
    def warnings(self) -> list[Issue]:
        return [i for i in self.issues if i.severity == "warning"]

    @property
    def ok(self) -> bool:
        return not self.errors

    def add(self, severity: str, component: str, element: object, fld: str, msg: str) -> None:
        self.issues.append(Issue(severity, component, str(element) if element != "" else "",
                                 fld, msg))

    def raise_if_errors(self) -> None:
        if self.errors:
            raise NetworkValidationError(self)

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame(
            [vars(i) for i in self.issues],
            columns=["severity", "component", "element", "field", "message"],
        )

    def __str__(self) -> str:
        if not self.issues:
            return "network is valid"
        head = f"{len(self.errors)} error(s), {len(self.warnings)} warning(s)"
        return "\n".join([head, *(f"  {i}" for i in self.issues)])


_MAX_PER_RULE = 50  # cap identical findings per (component, field) to keep reports readable


def validate(net: Network) -> ValidationReport:
    """Validate ``net`` and return a :class:`ValidationReport` (never raises on bad data)."""
    rep = ValidationReport()
    _check_columns(net, rep)
    if any(i.field == "id" for i in rep.errors):  # duplicate ids: fix those first
        return rep
    _check_bounds(net, rep)
    _check_ownership(net, rep)
    _check_topology(net, rep)
    return rep


def _check_ownership(net: Network, rep: ValidationReport) -> None:
    """Ownership rows name existing elements, once per party, and sum to 1 per element."""
    own = net["ownership"]
    if not len(own):
        return
    comp, elem = own["component"].to_numpy(dtype=object), own["element"].to_numpy(dtype=object)
    known = np.zeros(len(own), bool)
    for c in np.unique(comp):
        if c in net.components:
            sel = comp == c
            known[sel] = np.isin(elem[sel], net[c].index.to_numpy(dtype=object))
    _report_mask(rep, "ownership", own, ~known & (elem != ""), "element",
                 lambda e: f"no {own.at[e, 'component']} element {own.at[e, 'element']!r}")
    dup = own.duplicated(["component", "element", "party"], keep="first").to_numpy()
    _report_mask(rep, "ownership", own, dup, "party",
                 lambda e: f"party {own.at[e, 'party']!r} listed twice for "
                           f"{own.at[e, 'component']} {own.at[e, 'element']!r}")
    total = own.groupby(["component", "element"])["share"].transform("sum")
    first = ~own.duplicated(["component", "element"], keep="first").to_numpy()
    t = total.to_numpy(float)
    bad = first & np.isfinite(t) & (np.abs(t - 1.0) > 1e-6)
    _report_mask(rep, "ownership", own, bad, "share",
                 lambda e: f"the shares of {own.at[e, 'component']} "
                           f"{own.at[e, 'element']!r} sum to {total[e]:g}, not 1")


def _report_mask(rep: ValidationReport, comp: str, df: pd.DataFrame, mask: np.ndarray,
                 fld: str, msg_fn, severity: str = "error") -> None:
    if not mask.any():
        return
    ids = df.index[mask]
    for k, eid in enumerate(ids):
        if k == _MAX_PER_RULE:
            rep.add(severity, comp, "", fld, f"... and {len(ids) - k} more element(s)")
            break
        rep.add(severity, comp, eid, fld, msg_fn(eid))


_FLOAT_CHECKS = {
    "positive": (lambda v: v <= 0, "must be > 0"),
    "nonnegative": (lambda v: v < 0, "must be >= 0"),
    "fraction": (lambda v: (v < 0) | (v > 1), "must lie in [0, 1]"),
    "efficiency": (lambda v: (v <= 0) | (v > 1), "must lie in (0, 1]"),
    "lat": (lambda v: (v < -90) | (v > 90), "must lie in [-90, 90]"),
    "lon": (lambda v: (v < -180) | (v > 180), "must lie in [-180, 180]"),
}


def _check_columns(net: Network, rep: ValidationReport) -> None:
    for comp in COMPONENTS:
        df = net[comp]
        if not len(df):
            continue
        dup = df.index.duplicated(keep="first")
        if dup.any():  # per-element messages look values up by id: check the rest once fixed
            _report_mask(rep, comp, df, dup, "id", lambda _e: "duplicate id")
            continue
        attrs = list(attributes(comp).values())
        floats = [a for a in attrs if a.dtype == "float"]
        block = df[[a.name for a in floats]].to_numpy(dtype=float) if floats else None
        fpos = {a.name: k for k, a in enumerate(floats)}
        for a in attrs:
            if a.dtype == "float":
                assert block is not None
                v = block[:, fpos[a.name]]
                fin = np.isfinite(v)
                if a.check not in _FLOAT_CHECKS and (not a.required or fin.all()) and (
                        fin | np.isnan(v)).all():
                    continue
                col = df[a.name]
                unit = f" {a.unit}" if a.unit else ""
                if a.required:
                    _report_mask(rep, comp, df, ~fin, a.name,
                                 lambda _e: "is required but missing/not finite")
                if a.check in _FLOAT_CHECKS:
                    test, text = _FLOAT_CHECKS[a.check]
                    with np.errstate(invalid="ignore"):
                        bad = fin & test(v)
                    _report_mask(rep, comp, df, bad, a.name,
                                 lambda e, c=col, t=text, u=unit: f"{t}, got {float(c[e]):g}{u}")
                _report_mask(rep, comp, df, np.isinf(v), a.name, lambda _e: "is infinite")
                continue
            col = df[a.name]
            if a.dtype == "str":
                if not (a.required or a.ref or a.choices):
                    continue
                vals = col.to_numpy(dtype=object)
                empty = vals == ""
                if a.required:
                    _report_mask(rep, comp, df, empty, a.name,
                                 lambda _e: "is required but empty")
                if a.ref == "junctions":
                    bad = ~empty & (junction_positions(net, comp, a.name, rep.positions) < 0)
                    _report_mask(rep, comp, df, bad, a.name,
                                 lambda e, c=col: f"unknown junction {c[e]!r}")
                elif a.ref:
                    bad = ~empty & ~np.isin(vals, net[a.ref].index.to_numpy(dtype=object))
                    _report_mask(rep, comp, df, bad, a.name,
                                 lambda e, c=col, r=a.ref: f"unknown {r} id {c[e]!r}")
                if a.choices:
                    bad = ~np.isin(vals, a.choices)
                    _report_mask(rep, comp, df, bad, a.name,
                                 lambda e, c=col, ch=a.choices:
                                 f"{c[e]!r} is not one of {', '.join(ch)}")


def _check_bounds(net: Network, rep: ValidationReport) -> None:
    pairs = [
        ("junctions", "p_min_bar", "p_max_bar"),
        ("sources", "mass_flow_min_kg_s", "mass_flow_max_kg_s"),
        ("sinks", "mass_flow_min_kg_s", "mass_flow_max_kg_s"),
        ("compressors", "ratio_min", "ratio_max"),
        ("control_valves", "p_diff_min_bar", "p_diff_max_bar"),
        *((b, "mass_flow_min_kg_s", "mass_flow_max_kg_s") for b in BRANCHES),
    ]
    for comp, lo, hi in pairs:
        df = net[comp]
        if not len(df):
            continue
        a, b = df[lo].to_numpy(float), df[hi].to_numpy(float)
        bad = np.isfinite(a) & np.isfinite(b) & (a > b)
        _report_mask(rep, comp, df, bad, lo,
                     lambda e, d=df, lo=lo, hi=hi: f"bounds inverted: {lo} = {d.at[e, lo]} > "
                     f"{hi} = {d.at[e, hi]}")
    # set-points outside the junction's bounds (a warning: the solver reports the violation)
    j = net.junctions
    for comp in ("sources", "sinks"):
        df = net[comp]
        if not len(df):
            continue
        ps = df["p_set_bar"].to_numpy(float)
        k = junction_positions(net, comp, "junction", rep.positions)
        known = k >= 0
        pmax = np.where(known, j["p_max_bar"].to_numpy(float)[np.maximum(k, 0)], np.nan) \
            if len(j) else np.full(len(df), np.nan)
        pmin = np.where(known, j["p_min_bar"].to_numpy(float)[np.maximum(k, 0)], np.nan) \
            if len(j) else np.full(len(df), np.nan)
        bad = np.isfinite(ps) & ((np.isfinite(pmax) & (ps > pmax)) | (np.isfinite(pmin) & (ps < pmin)))
        _report_mask(rep, comp, df, bad, "p_set_bar",
                     lambda e, d=df: f"pressure set-point {d.at[e, 'p_set_bar']} bar lies outside "
                     f"the bounds of junction {d.at[e, 'junction']!r}", severity="warning")
    for comp in ("sources", "sinks"):
        df = net[comp]
        if len(df):
            neither = (df["in_service"].to_numpy(bool) & ~np.isfinite(df["p_set_bar"].to_numpy(float))
                       & ~np.isfinite(df["mass_flow_kg_s"].to_numpy(float)))
            # a warning: a network without nominations is valid; simulating it is not possible
            _report_mask(rep, comp, df, neither, "mass_flow_kg_s",
                         lambda _e: "neither mass_flow_kg_s nor p_set_bar is set: give a flow "
                         "set-point or a pressure set-point before simulating",
                         severity="warning")
    st = net.storages
    if len(st):
        bad = st["in_service"].to_numpy(bool) & ~np.isfinite(st["mass_flow_kg_s"].to_numpy(float))
        _report_mask(rep, "storages", st, bad, "mass_flow_kg_s",
                     lambda _e: "an in-service storage needs a finite flow set-point")
    comp_df = net.compressors
    if len(comp_df):
        mode = comp_df["mode"]
        r = comp_df["ratio_set"].to_numpy(float)
        no_set = ((mode == "p_out") & comp_df["p_out_set_bar"].isna()).to_numpy()
        _report_mask(rep, "compressors", comp_df, no_set,
                     "p_out_set_bar", lambda _e: "mode 'p_out' needs an outlet pressure set-point")
        no_ratio = ((mode == "ratio") & ~np.isfinite(r)).to_numpy()
        _report_mask(rep, "compressors", comp_df, no_ratio, "ratio_set",
                     lambda _e: "mode 'ratio' needs a ratio set-point")
        rmin, rmax = comp_df["ratio_min"].to_numpy(float), comp_df["ratio_max"].to_numpy(float)
        out = (mode == "ratio").to_numpy() & (
            (np.isfinite(rmin) & (r < rmin)) | (np.isfinite(rmax) & (r > rmax)))
        _report_mask(rep, "compressors", comp_df, out, "ratio_set",
                     lambda e: f"ratio set-point {comp_df.at[e, 'ratio_set']} lies outside "
                     f"[ratio_min, ratio_max]", severity="warning")
    cv = net.control_valves
    if len(cv):
        no_set = ((cv["mode"] == "p_out") & cv["p_out_set_bar"].isna()).to_numpy()
        _report_mask(rep, "control_valves", cv, no_set,
                     "p_out_set_bar", lambda _e: "mode 'p_out' needs an outlet pressure set-point")


def pressure_anchors(net: Network) -> tuple[pd.Index, pd.DataFrame]:
    """Junctions with a fixed pressure and the branches that regulate an outlet pressure.

    Returns ``(slack_junctions, regulators)``: the junctions where an in-service source or sink
    has ``p_set_bar``, and a table (component, id, from_junction, to_junction, p_out_set_bar) of
    in-service control valves / compressors in mode ``p_out``.
    """
    slack: list[np.ndarray] = []
    for comp in ("sources", "sinks"):
        df = net[comp]
        if len(df):
            m = df["in_service"].to_numpy(bool) & np.isfinite(df["p_set_bar"].to_numpy(float))
            slack.append(df["junction"].to_numpy(dtype=object)[m])
    cols: dict[str, list[np.ndarray]] = {"component": [], "id": [], "from_junction": [],
                                         "to_junction": [], "p_out_set_bar": []}
    for comp in ("control_valves", "compressors"):
        df = net[comp]
        if len(df):
            m = df["in_service"].to_numpy(bool) & (df["mode"].to_numpy(dtype=object) == "p_out")
            if m.any():
                cols["component"].append(np.full(int(m.sum()), comp, dtype=object))
                cols["id"].append(df.index.to_numpy(dtype=object)[m])
                for c in ("from_junction", "to_junction", "p_out_set_bar"):
                    cols[c].append(df[c].to_numpy()[m])
    reg_df = pd.DataFrame({c: np.concatenate(v) if v else np.zeros(0, dtype=object)
                           for c, v in cols.items() if c != "id"},
                          index=pd.Index(np.concatenate(cols["id"]) if cols["id"] else [],
                                         dtype=object, name="id"))
    sl = np.concatenate(slack) if slack else np.zeros(0, dtype=object)
    return pd.Index(pd.unique(sl), dtype=object), reg_df


def reference_candidates(net: Network, in_island: np.ndarray,
                         component: str = "sources") -> pd.Series:
    """The in-service elements of ``component`` at junctions where ``in_island`` (bool per
    junction) is true whose junction has a finite ``p_max_bar``: their ``p_max_bar``, in table
    order. The automatic pressure reference of an island is the first maximum of this series
    (one rule for validation, the simulator and the GasLib reader).
    """
    j = net.junctions
    df = net[component]
    if not len(df):
        return pd.Series(dtype=float)
    k = j.index.get_indexer(df["junction"])
    ok = (k >= 0) & df["in_service"].to_numpy(bool)
    ok[ok] = in_island[k[ok]]
    pmax = j["p_max_bar"].to_numpy(float)[k[ok]]
    fin = np.isfinite(pmax)
    return pd.Series(pmax[fin], index=df.index[ok][fin])


def junction_positions(net: Network, comp: str, col: str,
                       cache: dict[tuple[str, str], np.ndarray] | None = None) -> np.ndarray:
    """Position in ``net.junctions`` of the junction each row of ``net[comp][col]`` names
    (-1 if unknown), memoised in ``cache`` (valid only while the tables are unchanged)."""
    if cache is not None and (comp, col) in cache:
        return cache[(comp, col)]
    df = net[comp]
    pos = (net.junctions.index.get_indexer(df[col].to_numpy(dtype=object)) if len(df)
           else np.zeros(0, dtype=np.intp))
    if cache is not None:
        cache[(comp, col)] = pos
    return pos


def flow_edges(net: Network, cut_regulators: bool = True,
               positions: dict[tuple[str, str], np.ndarray] | None = None
               ) -> tuple[np.ndarray, np.ndarray, list[tuple[str, np.ndarray]]]:
    """The branches that can carry flow, as junction positions ``(from, to)`` and, per
    component, the table rows they come from (``[(component, rows), ...]`` in edge order).

    Closed valves, closed control valves, compressors that are off and out-of-service branches
    carry no flow; with ``cut_regulators`` the branches that regulate an outlet pressure are cut
    too (pressure does not propagate through them).
    """
    rows: list[np.ndarray] = []
    cols: list[np.ndarray] = []
    owners: list[tuple[str, np.ndarray]] = []
    for comp in BRANCHES:
        df = net[comp]
        if not len(df):
            continue
        m = df["in_service"].to_numpy(bool).copy()
        if comp == "valves":
            m &= df["open"].to_numpy(bool)
        if comp in ("control_valves", "compressors"):
            mode = df["mode"].to_numpy(dtype=object)
            m &= mode != ("closed" if comp == "control_valves" else "off")
            if cut_regulators:
                m &= mode != "p_out"
        f = junction_positions(net, comp, "from_junction", positions)
        t = junction_positions(net, comp, "to_junction", positions)
        m &= (f >= 0) & (t >= 0)
        rows.append(f[m])
        cols.append(t[m])
        owners.append((comp, np.flatnonzero(m)))
    r = np.concatenate(rows) if rows else np.zeros(0, int)
    c = np.concatenate(cols) if cols else np.zeros(0, int)
    return r, c, owners


def islands(net: Network, cut_regulators: bool = True,
            positions: dict[tuple[str, str], np.ndarray] | None = None) -> tuple[int, np.ndarray]:
    """Connected components of the junction graph over the branches of :func:`flow_edges`.
    Returns ``(n, label per junction)``."""
    n_j = len(net.junctions)
    r, c, _ = flow_edges(net, cut_regulators, positions)
    g = sp.coo_matrix((np.ones(len(r)), (r, c)), shape=(n_j, n_j))
    n, labels = connected_components(g, directed=False)
    return int(n), labels


def _check_topology(net: Network, rep: ValidationReport) -> None:
    for comp in BRANCHES:
        df = net[comp]
        if len(df):
            loop = (df["from_junction"] == df["to_junction"]).to_numpy()
            _report_mask(rep, comp, df, loop, "to_junction",
                         lambda e, d=df: f"connects junction {d.at[e, 'from_junction']!r} to itself")
    j = net.junctions
    if not len(j):
        if any(len(net[c]) for c in COMPONENTS):
            rep.add("error", "junctions", "", "", "network has elements but no junctions")
        return
    if rep.errors:  # unknown references make the graph meaningless
        return
    slack, regs = pressure_anchors(net)
    # conflicting set-points on one junction
    # (parallel units of one station -- same type, inlet and set-point -- are one regulator)
    distinct = regs.drop_duplicates(["component", "from_junction", "to_junction", "p_out_set_bar"])
    dup_reg = distinct["to_junction"][distinct["to_junction"].duplicated(keep=False)]
    for jid in pd.unique(dup_reg):
        ids = regs.index[regs["to_junction"] == jid].tolist()
        rep.add("error", "junctions", jid, "", "outlet pressure regulated by several elements "
                f"that are not parallel units with one set-point: {ids}")
    for comp_name, eid, row in ((r.component, i, r) for i, r in regs.iterrows()):
        if row.to_junction in set(slack):
            rep.add("error", comp_name, eid, "to_junction",
                    f"outlet junction {row.to_junction!r} also has a pressure set-point")
    anchored = np.zeros(len(j), bool)
    anchored[j.index.get_indexer(slack)] = True
    anchored[j.index.get_indexer(regs["to_junction"])] = True
    n, labels = islands(net, positions=rep.positions)
    rep.islands = (n, labels)
    has_anchor = np.zeros(n, bool)
    has_anchor[labels[anchored]] = True
    # where gas can enter or leave an island: in-service node elements, or the inlet of an
    # in-service regulator/compressor that regulates its outlet (same rule as the simulator)
    gas_in_out = np.zeros(len(j), bool)
    for comp in NODE_ELEMENTS:
        df = net[comp]
        if len(df):
            gas_in_out[j.index.get_indexer(df["junction"][df["in_service"]])] = True
    gas_in_out[j.index.get_indexer(regs["from_junction"])] = True
    attached = gas_in_out.copy()
    for comp in BRANCHES:
        attached[junction_positions(net, comp, "from_junction", rep.positions)] = True
        attached[junction_positions(net, comp, "to_junction", rep.positions)] = True
    for k in np.flatnonzero(~has_anchor)[:_MAX_PER_RULE]:
        in_island = labels == k
        members = j.index[in_island]
        shown = ", ".join(map(str, members[:5])) + (" ..." if len(members) > 5 else "")
        if not gas_in_out[in_island].any():
            if len(members) == 1 and not attached[in_island].any():
                rep.add("warning", "junctions", members[0], "", "isolated junction (no element attached)")
            else:
                rep.add("warning", "junctions", members[0], "",
                        f"island of {len(members)} junction(s) ({shown}) has no in-service source, "
                        "sink or storage: no flow, pressure undefined")
            continue
        cand = reference_candidates(net, in_island)
        if len(cand):
            rep.add("warning", "junctions", members[0], "p_set_bar",
                    f"island of {len(members)} junction(s) ({shown}) has no pressure set-point; "
                    f"simulate(slack='auto') takes source {cand.idxmax()!r} at its junction's "
                    f"p_max_bar = {cand.max():g} bar as reference")
            continue
        rep.add("error", "junctions", members[0], "p_set_bar",
                f"island of {len(members)} junction(s) ({shown}) has no pressure reference: "
                "give a source or sink a p_set_bar, or a regulator/compressor mode 'p_out' "
                "feeding it")
