"""Security of supply: N-1 per country or coalition, supplier HHI, single-outage unserved demand.

``gu.optimize(net, problem="security", coalition=..., compare=...)`` computes, for every
*calculated area* (each country on its own, plus each coalition asked for; a network without
countries -- no junction has one, as in GasLib and matgas files -- is one area,
:data:`WHOLE_NETWORK`, with no entry points, so its N-1 is that of its own production and
storage, its HHI undefined: no imports):

* ``n1`` -- the infrastructure standard of Regulation (EU) 2017/1938, Annex II
  (:func:`n_minus_1`): the terms EP_m, P_m, S_m, LNG_m, I_m, D_max (and D_eff) in mcm/d, the
  N-1 in percent, the largest infrastructure named, how each term was taken from the network
  and which elements had no value. How each term maps to network elements is documented in
  :mod:`gasunion.optimize._security_terms`; ``n1_terms`` lists every element behind them.
  For a coalition the members are pooled: only border points from outside the coalition
  count as entry capacity, production and storage are summed, I_m is the single largest
  entry point, source or storage serving the coalition.
* ``hhi`` -- supplier dependency: the foreign gas in the area's consumption by country of
  origin at the network's own nomination (proportional flow tracing of its simulated steady
  state, :mod:`gasunion.optimize._security_trace`), the shares and the HHI (:func:`hhi`,
  0-10,000); ``hhi_entries`` the same over all gas entering the area (transit included).
* ``outages`` -- the unserved demand of every single-element outage per area (kg/s, mcm/d,
  share of the area's design-day demand, net of what is unserved with nothing out), from the
  load-shedding LP of :mod:`gasunion.optimize.shed` with the area's members pooled and
  non-members held to their nomination (:mod:`gasunion.optimize._security_outages`).

``status`` is ``"optimal"`` when every part was computed; an N-1 with missing terms is a lower
bound (``n1["complete"]``, ``summary["n1_lower_bounds"]``), which is data completeness, not a
solver outcome. ``"incomplete"`` means the simulation (HHI) failed.

The objective is the N-1 [%] of the first coalition (``coalition``, else the first of
``compare``), or, with none, the lowest country N-1; ``summary["objective_meaning"]`` says
which. Volumes are standard m3 of the network's gas (``net.gas``); kg/s in the tables too.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from gasunion.network import Network
from gasunion.optimize._security_formula import hhi, n_minus_1
from gasunion.optimize._security_terms import (
    DesignDay,
    apply_peak,
    area_items,
    capacity_table,
    largest,
    term_sums,
)
from gasunion.optimize.result import OptimizationError, OptimizationResult
from gasunion.reports.tracing import element_country
from gasunion.reports.tracing import station_transfers as find_transfers

__all__ = ["DEFAULT_FORMULATION", "FORMULATIONS", "WHOLE_NETWORK", "hhi", "n_minus_1",
           "resolve_area", "security"]

#: The label of the one area of a network without countries (its members: the elements with
#: no country, i.e. all of them; ``"?"`` is the tracer's origin of gas of no known country).
WHOLE_NETWORK = "whole network"
_NO_COUNTRY: frozenset[str] = frozenset({"", "?"})


def resolve_area(net: Network, members: Sequence[str] | str) -> frozenset[str]:
    """Country codes of a coalition given as country codes and/or party (owner) names.

    A party stands for the countries its elements lie in. Unknown names raise a bad-input
    :class:`OptimizationError`.
    """
    if isinstance(members, str):
        members = [members]
    countries = set(net.junctions["country"].dropna().astype(str)) - {""}
    if not countries:
        raise OptimizationError("bad_input", f"coalition {', '.join(map(str, members))}: the "
                                "network has no countries (no junction has a country), so "
                                f"its only area is the {WHOLE_NETWORK}",
                                hint="give no coalition, or set the junctions' country column")
    out: set[str] = set()
    for m in members:
        if m in countries:
            out.add(m)
            continue
        found: set[str] = set()
        for comp, df in net.iter_components():
            if "owner" in df and (df["owner"] == m).any():
                c = (element_country(net, comp) if comp in ("sources", "sinks", "storages")
                     else df["country"].fillna("").astype(str))
                found |= set(c[df["owner"] == m]) - {""}
        if not found:
            raise OptimizationError("bad_input", f"coalition member {m!r} is neither a country "
                                    f"of the network ({', '.join(sorted(countries))}) nor an "
                                    "owner of its elements")
        out |= found
    return frozenset(out)


def _members(members: frozenset[str]) -> str:
    return "(no country)" if members == _NO_COUNTRY else "+".join(sorted(members))


def _label(members: frozenset[str], order: Sequence[str]) -> str:
    rank: dict[str, int] = {}
    for c in order:
        rank.setdefault(c, len(rank))
    return "+".join(sorted(members, key=lambda c: (rank.get(c, len(rank)), c)))


def _design_day(net: Network, peak_demand: Any, capacities: Any,
                transfers: Sequence[tuple[str, str]] | None, friction: str | None,
                z: str | None) -> DesignDay:
    pairs = find_transfers(net) if transfers is None else [tuple(p) for p in transfers]
    for s, q in pairs:
        if s not in net.sinks.index or q not in net.sources.index:
            raise OptimizationError("bad_input", f"transfer ({s!r}, {q!r}) is not a (sink, "
                                    "source) pair of the network")
    design, basis = apply_peak(net, peak_demand, {s for s, _ in pairs})
    d = DesignDay(net=design, transfers=[(str(s), str(q)) for s, q in pairs],
                  capacities=capacity_table(capacities), peak_basis=basis,
                  countries={c: element_country(design, c)
                             for c in ("sources", "sinks", "storages")})
    import gasunion as gu

    kw: dict[str, Any] = {k: v for k, v in (("friction", friction), ("z", z)) if v is not None}
    try:  # the network's own nomination: a peak day may have no steady state in the model
        d.sim = gu.simulate(net, **kw)
        d.sim_net = net
    except Exception as exc:  # the indicators that need flows are then reported missing
        d.sim_error = f"{type(exc).__name__}: {exc}"
    return d


def _n1_row(d: DesignDay, label: str, members: frozenset[str], items: pd.DataFrame,
            d_eff_kg_s: float, of: tuple[str, ...]) -> dict[str, Any]:
    mcm = d.net.gas.mcm_d_from_kg_s
    s = term_sums(items)
    big = largest(items, of)
    i_m = float(big["value_kg_s"]) if big is not None else 0.0
    missing = items[items["value_kg_s"].isna()]
    estimated = items[items["basis"].str.startswith("estimate")]
    try:
        n1 = n_minus_1(s["EP_m"], s["P_m"], s["S_m"], 0.0, i_m, s["D_max"], d_eff_kg_s)
    except ValueError:
        n1 = math.nan
    def how(term: str) -> str:
        b = items.loc[items["term"] == term, "basis"].str.replace(r" \(.*", "", regex=True)
        return "; ".join(f"{k} x{v}" for k, v in b.value_counts().items()) or "none in the area"
    return {
        "area": label, "members": _members(members), "kind": (
            "network" if members == _NO_COUNTRY else
            "country" if len(members) == 1 else "coalition"),
        "ep_m_mcm_d": mcm(s["EP_m"]), "p_m_mcm_d": mcm(s["P_m"]), "s_m_mcm_d": mcm(s["S_m"]),
        "lng_m_mcm_d": 0.0, "i_m_mcm_d": mcm(i_m), "d_max_mcm_d": mcm(s["D_max"]),
        "d_eff_mcm_d": mcm(d_eff_kg_s), "n1_pct": n1, "meets_standard": bool(n1 >= 100.0),
        "i_m_element": big["element"] if big is not None else "",
        "i_m_name": big["name"] if big is not None else "",
        "i_m_term": big["term"] if big is not None else "",
        "n_entry_points": int((items["term"] == "EP_m").sum()),
        "complete": missing.empty,
        "missing": "; ".join(f"{t}:{e}" for t, e in zip(missing["term"], missing["element"],
                                                           strict=True)),
        "estimated": "; ".join(f"{t}:{e}" for t, e in zip(estimated["term"],
                                                             estimated["element"], strict=True)),
        "ep_m_basis": how("EP_m"), "p_m_basis": how("P_m"), "s_m_basis": how("S_m"),
        "lng_m_basis": "no LNG component in the network model: 0",
        "i_m_basis": "largest single element of " + ", ".join(of), "d_max_basis": how("D_max"),
    }


def _hhi_row(d: DesignDay, label: str, members: frozenset[str], mix: pd.DataFrame | None
             ) -> dict[str, Any]:
    from gasunion.optimize._security_trace import area_consumed_imports, area_imports

    row: dict[str, Any] = {"area": label, "members": _members(members)}
    if mix is None:
        row.update(imports_kg_s=math.nan, imports_mcm_d=math.nan, hhi=math.nan, n_origins=0,
                   entries_mcm_d=math.nan, hhi_entries=math.nan,
                   basis=f"no simulated flows: {d.sim_error}")
        return row
    mcm = d.net.gas.mcm_d_from_kg_s
    imp = area_consumed_imports(d.sim_net, d.sim, mix, members, d.countries["sinks"],
                                d.transfers)
    gross = area_imports(d.sim_net, d.sim, mix, members)
    total = float(imp.sum())
    row.update(imports_kg_s=total, imports_mcm_d=mcm(total), hhi=hhi(imp.to_dict()),
               n_origins=len(imp), entries_mcm_d=mcm(float(gross.sum())),
               hhi_entries=hhi(gross.to_dict()),
               basis="foreign gas in the area's consumption at the network's nomination "
               "(simulated, origin by proportional tracing); entries = all gas crossing into "
               "the area, transit included" + ("" if total > 0 else "; no imports: HHI undefined"))
    for origin, v in imp.items():
        row[f"share_{origin}_pct"] = 100.0 * float(v) / total
    return row


def security(net: Network, *, progress: Callable[[str], None] | None = None,
             coalition: Sequence[str] | None = None,
             compare: Sequence[Sequence[str]] | None = None, peak_demand: Any = None,
             capacities: Any = None, transfers: Sequence[tuple[str, str]] | None = None,
             d_eff_kg_s: dict[str, float] | None = None, outages: bool = True,
             elements: Any = None, largest_of: Sequence[str] = ("EP_m", "P_m", "S_m"),
             friction: str | None = None, z: str | None = None,
             **options: Any) -> OptimizationResult:
    """The security-of-supply indicators of ``net`` (see the module docstring).

    ``coalition``: country codes or party names pooled into one area; ``compare``: several
    such coalitions; every country of the network is always an area on its own (a network
    without countries is one area, :data:`WHOLE_NETWORK`, and takes no coalition).
    ``peak_demand``: None (sink set-points are the design day), a factor, or a sink -> kg/s
    profile. ``capacities``: technical capacity per element id in kg/s (Series/mapping, or a
    table with ``mass_flow_kg_s`` and ``basis``) where the network has no bound, e.g.
    :func:`gasunion.datasets.central_asia_capacities.central_asia_capacities`. ``transfers``: (sink,
    source) pairs that model a station inside a country (default: detected). ``d_eff_kg_s``:
    demand-side measures per area label or country [kg/s]. ``largest_of``: the terms whose
    elements are I_m candidates (e.g. ``("EP_m", "S_m")`` when sources are aggregates of many
    fields). ``outages=False`` skips the outage table; ``elements`` (``(component, id)``
    pairs; default every in-service pipe, compressor, source, storage and station transfer)
    and ``options`` (``friction``, ``z``, ``pipe_capacity``, ``fuel_share_default``,
    ``storage_cyclic`` -- default False --, ``time_limit``, ``periods``, ``max_variables``) go
    to the load shedding. ``friction`` and ``z`` go to the simulation of the network's
    nomination that gives the import flows (HHI) and the nominated border flows (outages).
    """
    t0 = time.perf_counter()
    say = progress or (lambda _msg: None)
    countries = sorted(set(net.junctions["country"].dropna().astype(str)) - {""})
    specs = [list(c) for c in ([coalition] if coalition else []) + list(compare or [])]
    coalitions = [(_label(resolve_area(net, c), [*c, *countries]), resolve_area(net, c))
                  for c in specs]
    say("security: design day (demand, transfers, simulation)")
    d = _design_day(net, peak_demand, capacities, transfers, friction, z)
    areas: list[tuple[str, frozenset[str]]] = [(c, frozenset([c])) for c in countries]
    if not countries:  # no country anywhere: the whole network is the one area
        areas = [(WHOLE_NETWORK, _NO_COUNTRY)]
    for label, members in coalitions:
        if members not in {m for _, m in areas}:
            areas.append((label, members))
    mix = None
    if d.sim is not None:
        from gasunion.optimize._security_trace import origin_mix

        mix = origin_mix(d.sim_net, d.sim, d.countries, d.transfers)
    n1_rows, hhi_rows, term_frames = [], [], []
    deff = d_eff_kg_s or {}
    for label, members in areas:
        say(f"security: N-1 and HHI of {label}")
        items = area_items(d, members)
        de = float(deff.get(label, sum(float(deff.get(c, 0.0)) for c in members)
                             if len(members) > 1 else 0.0))
        n1_rows.append(_n1_row(d, label, members, items, de, tuple(largest_of)))
        hhi_rows.append(_hhi_row(d, label, members, mix))
        term_frames.append(items.assign(area=label,
                                        value_mcm_d=d.net.gas.mcm_d_from_kg_s(items["value_kg_s"])))
    n1 = pd.DataFrame(n1_rows).set_index("area")
    tables = {"n1": n1, "hhi": pd.DataFrame(hhi_rows).set_index("area"),
              "n1_terms": pd.concat(term_frames, ignore_index=True)[
                  ["area", "term", "component", "element", "name", "country", "value_kg_s",
                   "value_mcm_d", "basis"]]}
    summary: dict[str, Any] = {}
    if outages:
        from gasunion.optimize._security_outages import outage_table

        say("security: single-element outages (load shedding)")
        tables["outages"], info = outage_table(d, areas, elements, progress, **options)
        summary.update(info)
    by_members = {m: a for a, m in areas}
    labels = [by_members[m] for _, m in coalitions]
    if labels:
        objective = float(n1.at[labels[0], "n1_pct"])
        meaning = f"N-1 [%] of {labels[0]} (Regulation (EU) 2017/1938 Annex II)"
    elif not countries:
        objective = float(n1.at[WHOLE_NETWORK, "n1_pct"])
        meaning = (f"N-1 [%] of the {WHOLE_NETWORK} (no junction has a country; Regulation "
                   "(EU) 2017/1938 Annex II)")
    else:
        finite = n1["n1_pct"].replace([np.inf, -np.inf], np.nan).dropna()
        objective = float(finite.min()) if len(finite) else math.nan
        meaning = (f"lowest country N-1 [%] ({finite.idxmin()})" if len(finite)
                   else "no country has an N-1")
    # every part computed -> "optimal"; missing capacities make an N-1 a lower bound (data
    # completeness, stated below and in n1["complete"/"missing"]), not a solver outcome
    lower = [str(a) for a in n1.index[~n1["complete"].astype(bool)]]
    undefined = [str(a) for a in n1.index[~np.isfinite(n1["n1_pct"].astype(float))]]
    parts_missing = [] if d.sim is not None else ["hhi (no simulated nomination)"]
    status = "optimal" if not parts_missing else "incomplete"
    summary.update({
        "n1_lower_bounds": lower,
        "n1_note": ("N-1 of " + ", ".join(lower) + " is a lower bound: terms without a value "
                    "count 0 (n1['missing'])") if lower else "every N-1 term has a value",
        "n1_undefined": undefined,
        "n1_undefined_note": ("N-1 of " + ", ".join(undefined) + " is undefined: D_max - D_eff "
                              "is not positive (no sink withdraws on the design day: give "
                              "peak_demand=)") if undefined else "",
        "parts_not_computed": parts_missing,
        "objective_unit": "%", "objective_meaning": meaning, "areas": [a for a, _ in areas],
        "coalitions": labels, "transfers": [list(p) for p in d.transfers],
        "design_day": d.peak_basis, "simulation_error": d.sim_error,
        "friction": friction, "z": z, "build_time_s": time.perf_counter() - t0,
        "solve_time_s": 0.0, "units": "rates in mcm/d (standard m3 of net.gas) and kg/s; "
        "N-1 in %; HHI 0-10,000",
    })
    return OptimizationResult(problem="security", formulation="linear", status=status,
                              objective=objective, tables=tables, summary=summary)


FORMULATIONS: dict[str, Callable[..., OptimizationResult]] = {"linear": security}
DEFAULT_FORMULATION = "linear"
