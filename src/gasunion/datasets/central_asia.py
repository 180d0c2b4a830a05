"""The embedded Central Asia dataset: the gas network of the trilateral union and its neighbours.

Russia, Kazakhstan and Uzbekistan (the union) with Turkmenistan, Kyrgyzstan, Tajikistan and
China (the export market). The data ship inside the package (``datasets/data/central_asia/``)
so that everything runs offline:

* ``nodes.csv``, ``pipelines.csv``, ``countries.csv``, ``flows.csv``, ``SOURCES.md`` -- the
  sourced facts (copied from the research tables; added model columns only);
* ``parties.csv`` -- the parties (operators, shippers, buyers), their country and role;
* ``defaults.csv`` -- the one place for engineering defaults (values no source gives);
* ``scenarios.csv`` -- supply and demand per scenario, each with its source or
  ``estimate: <method>``.

Data flow: CSV files -> :func:`central_asia` builds a :class:`~gasunion.network.Network` ->
:func:`gasunion.simulate` -> :func:`border_flow_report`, :func:`corridor_report` and
:func:`key_pressures` turn the result into tables. How the model is built (strings, sections,
equivalent stations, delivery points) is described in ``docs/datasets/central-asia.md`` and,
rule by rule, in ``defaults.csv``.
"""

from __future__ import annotations

import math
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from gasunion.network import Network
from gasunion.physics.compressibility import make_z_model
from gasunion.physics.constants import P_NORMAL_PA, R_UNIVERSAL, T_NORMAL_K
from gasunion.physics.friction import friction_factor, reynolds
from gasunion.physics.gas import GasProperties
from gasunion.physics.pipe import pipe_resistance

if TYPE_CHECKING:
    from gasunion.simulation import SimulationResult

__all__ = [
    "SCENARIOS",
    "border_flow_report",
    "central_asia",
    "corridor_report",
    "dataset_tables",
    "defaults",
    "key_pressures",
    "parties",
    "reported_flow_check",
    "segment_name",
]

#: Scenario name -> description (load with ``central_asia(scenario=name)``).
SCENARIOS: dict[str, str] = {
    "2023": "Reported flows of 2023 as annual-average daily flows, incl. Russian gas to Uzbekistan "
            "via Kazakhstan (the Oct-Dec 2023 volume spread over the year).",
    "union": "The trilateral union at its announced volume: 11 bcm/y of Russian gas to Uzbekistan "
             "via Kazakhstan (planned from 2026); Kazakh consumption at its 2025 estimate; all other "
             "flows at 2023 levels.",
    "winter-peak": "A cold peak day on the 2023 network: domestic demand x 1.5 (estimate), exports "
                   "held at their 2023 average, winter import rates (Turkmen 35, Russian 18 mcm/d), "
                   "storage withdrawal.",
    "line-d": "2023 plus Central Asia-China Line D built and used (Galkynysh -> Wuqia, 27 bcm/y = "
              "0.9 x its 30 bcm/y design).",
}

_DATA = ("data", "central_asia")
_TABLES = ("nodes", "pipelines", "countries", "flows", "parties", "defaults", "scenarios")
_CITATION = ("gasunion Central Asia dataset, compiled from the public sources listed in "
             "gasunion/datasets/data/central_asia/SOURCES.md (docs/datasets/central-asia.md)")
_LINE_D_COUNTRIES = ("TM", "UZ", "TJ", "KG", "CN")


# ============================================================================ shipped tables
@cache
def _read(name: str) -> pd.DataFrame:
    base = resources.files("gasunion.datasets").joinpath(*_DATA)
    with base.joinpath(f"{name}.csv").open("r", encoding="utf-8") as fh:
        return pd.read_csv(fh, dtype=str, keep_default_na=False)


def dataset_tables() -> dict[str, pd.DataFrame]:
    """The shipped CSV tables as read (every column as text; each a copy)."""
    return {n: _read(n).copy() for n in _TABLES}


def defaults() -> pd.DataFrame:
    """``defaults.csv`` indexed by key: value, unit, applies_to, reasoning, source."""
    return _read("defaults").set_index("key")


@cache
def _default_values() -> dict[str, str]:
    d = _read("defaults")
    return dict(zip(d["key"], d["value"], strict=True))


def _d(key: str) -> float:
    return float(_default_values()[key])


def _ds(key: str) -> str:
    return _default_values()[key]


# Parsed views of the shipped tables, built once per process (the report helpers run for
# every row and segment). Shared objects: callers must not modify them.
@cache
def _pipelines() -> pd.DataFrame:
    """``pipelines.csv`` indexed by row id (text columns as read)."""
    return _read("pipelines").set_index("id")


@cache
def _nodes() -> pd.DataFrame:
    """``nodes.csv`` indexed by node id (text columns as read)."""
    return _read("nodes").set_index("id")


def parties() -> pd.DataFrame:
    """The parties indexed by party id.

    Columns: name, country, role (``union member``, ``neighbour``, ``market``),
    country_operator (True for the party owning that country's junctions), operator_of,
    source, note.
    """
    p = _read("parties").set_index("party")
    p["country_operator"] = p["country_operator"].str.lower() == "true"
    return p


def _num(s: pd.Series) -> pd.Series:
    return pd.to_numeric(s.replace("", np.nan), errors="coerce").astype(float)


def _gas() -> GasProperties:
    """Package default gas at 15 C; volumes (bcm, mcm) in standard m3 at 20 C (defaults.csv)."""
    base = GasProperties()
    m = _d("gas_molar_mass_kg_kmol")
    t_ref = _d("volume_reference_temperature_k")
    return GasProperties(
        molar_mass_kg_kmol=m,
        temperature_k=_d("gas_temperature_k"),
        p_pc_bar=_d("gas_p_pc_bar"),
        t_pc_k=_d("gas_t_pc_k"),
        norm_density_kg_m3=P_NORMAL_PA * m * 1e-3 / (R_UNIVERSAL * t_ref),
        calorific_value_mj_m3=base.calorific_value_mj_m3 * T_NORMAL_K / t_ref,
        volume_reference_k=t_ref,
    )


# ============================================================================ model building
def _active_rows(scenario: str) -> pd.DataFrame:
    """Pipeline rows present in ``scenario`` (closed rows included: out-of-service pipes)."""
    p = _read("pipelines").set_index("id", drop=False)
    names = p["scenarios"].str.split(";").apply(lambda xs: {x.strip() for x in xs})
    p = p[names.apply(lambda s: "all" in s or scenario in s)].copy()
    kind = _nodes()["kind"]
    to_storage = (p["from_node"].map(kind) == "storage") | (p["to_node"].map(kind) == "storage")
    class_p = np.where(to_storage, _d("storage_pressure_max_bar"), _d("pressure_max_bar"))
    p["length"] = _num(p["length_km"])
    p["capacity"] = _num(p["design_capacity_bcm_y"])
    p["p_max"] = _num(p["max_pressure_bar"]).fillna(pd.Series(class_p, index=p.index))
    p["country"] = p["countries"].str.split(";").str[0].str.strip()
    p["group"] = p["model_from_node"] + ">" + p["model_to_node"]
    return p


def _strings(rows: pd.DataFrame) -> pd.DataFrame:
    """One line per parallel string: row, k (1-based), n_strings, od_mm, d_m (inner), basis."""
    std = np.array([float(x) for x in _ds("standard_od_mm").split(";")])
    ref_od, ref_cap = _d("diameter_reference_od_mm"), _d("diameter_reference_capacity_bcm_y")
    raw = ref_od * (rows["capacity"] / ref_cap) ** _d("diameter_exponent")
    nearest = pd.Series([float(std[np.argmin(np.abs(std - x))]) if math.isfinite(x) else math.nan
                         for x in raw], index=rows.index)
    od = rows["diameter_mm"].where(rows["diameter_mm"] != "", nearest.map("{:.0f}".format))
    od = od.where(rows["capacity"].notna() | (rows["diameter_mm"] != ""), f"{_d('connector_od_mm'):.0f}")
    od = rows["model_diameter_mm"].where(rows["model_diameter_mm"] != "", od)
    # the basis of each row's diameter: later rules override earlier ones
    no_dia, has_cap = (rows["diameter_mm"] == "").to_numpy(), rows["capacity"].notna().to_numpy()
    note = rows["strings_note"].to_numpy(object)
    basis = np.full(len(rows), "sourced OD", dtype=object)
    basis[rows["diameter_mm"].str.contains(";").to_numpy()] = (
        "sourced ODs, one string per listed diameter (defaults multi_diameter_rows)")
    from_cap = no_dia & has_cap
    basis[from_cap] = ("estimate: OD from design capacity " + rows["capacity"].map("{:g}".format)
                       + " bcm/y: 1219 x (C/25)^0.4 = " + raw.map("{:.0f}".format)
                       + " mm -> nearest standard OD (defaults diameter_reference_od_mm)"
                       ).to_numpy(object)[from_cap]
    basis[no_dia & ~has_cap] = (
        "estimate: no diameter or capacity - connector default OD (defaults connector_od_mm)")
    model = (rows["model_diameter_mm"] != "").to_numpy()
    basis[model] = "estimate: " + note[model]
    extra = (rows["strings"] != "").to_numpy()
    basis[extra] = basis[extra] + "; " + note[extra]
    ods = od.str.split(";").apply(lambda xs: [float(x) for x in xs])
    mult = _num(rows["strings"]).fillna(1).astype(int)
    ods = pd.Series([xs * m if len(xs) == 1 else xs for xs, m in zip(ods, mult, strict=True)],
                    index=rows.index)
    s = pd.DataFrame({"row": rows.index, "od_mm": ods.to_numpy(), "basis": basis})
    s["n_strings"] = s["od_mm"].str.len()
    s = s.explode("od_mm", ignore_index=True)
    s["od_mm"] = s["od_mm"].astype(float)
    s["k"] = s.groupby("row").cumcount() + 1
    s["d_m"] = s["od_mm"] * (1.0 - 2.0 * _d("wall_thickness_share")) / 1000.0
    return s


def _design_spacing_km(rows: pd.DataFrame, strings: pd.DataFrame, gas: GasProperties) -> pd.Series:
    """Per row with its own design capacity: the length that capacity needs for p_max -> p_min.

    Pipe law ``p1^2 - p2^2 = K m^2`` (:func:`gasunion.physics.pipe.pipe_resistance`), Colebrook
    friction at the design Reynolds number, Papay Z at the middle of the band; the capacity is
    shared over the row's strings in proportion to ``D^2.5``. Rows with a restated system
    capacity or none are absent (they use the default spacing).
    """
    own = rows[(rows["capacity_basis"] == "row") & rows["capacity"].notna()
               & rows["operation"].isin(["forward", "reverse"])]
    s = strings[strings["row"].isin(own.index)]
    if s.empty:
        return pd.Series(dtype=float)
    p_hi, p_lo = _d("pressure_max_bar"), _d("junction_p_min_bar")
    cond = s["d_m"] ** 2.5
    share = (cond / cond.groupby(s["row"]).transform("sum")).to_numpy(float)
    m = gas.kg_s_from_bcm_y(s["row"].map(own["capacity"]).to_numpy(float)) * share
    d = s["d_m"].to_numpy(float)
    lam = friction_factor("colebrook", reynolds(m, d, gas.viscosity_pa_s), d,
                          _d("pipe_roughness_mm") * 1e-3)[0]
    z = make_z_model("papay", gas).z(np.full(len(s), 0.5 * (p_hi + p_lo) * 1e5))
    k_per_m = pipe_resistance(lam, 1.0, d, z, gas.r_specific, gas.temperature_k)
    km = (p_hi**2 - p_lo**2) * 1e10 / (k_per_m * m**2) / 1000.0
    return pd.Series(km, index=s["row"].to_numpy()).groupby(level=0).min()


def _points(rows: pd.DataFrame, nodes: pd.DataFrame, node_country: pd.Series) -> pd.DataFrame:
    """The points k = 0..n of every group of parallel rows, with station flags.

    Point 0 is the group's from-node, point n its to-node, 1..n-1 section points
    (``<group>.<k>``). Stations sit at the start of each section in the flow direction: at
    points 0..n-1 (forward) or n..1 (reverse); their outlet junction is ``<group>.<k>>``.
    """
    g = rows.drop_duplicates("group").set_index("group")
    pts = g.loc[g.index.repeat(g["n"] + 1), ["id", "model_from_node", "model_to_node", "n",
                                            "operation", "country", "length"]]
    pts = pts.rename(columns={"id": "first_row"})
    pts["group"] = pts.index
    pts = pts.reset_index(drop=True)
    pts["k"] = pts.groupby("group").cumcount()
    pts["frac"] = pts["k"] / pts["n"]
    start, end = pts["k"] == 0, pts["k"] == pts["n"]
    pts["junction"] = np.where(start, pts["model_from_node"],
                               np.where(end, pts["model_to_node"],
                                        pts["group"] + "." + pts["k"].astype(str)))
    lat, lon = _num(nodes["lat"]), _num(nodes["lon"])
    for col, coord in (("lat", lat), ("lon", lon)):
        a, b = pts["model_from_node"].map(coord), pts["model_to_node"].map(coord)
        pts[col] = a + pts["frac"] * (b - a)
    # interior points lie in the row's first country; Line D: 840 km outside China split equally
    pts["pt_country"] = pts["country"]
    line_d = pts["first_row"] == "CAGP_D"
    km_out = np.array([210.0, 420.0, 630.0, 840.0])
    idx = np.searchsorted(km_out, (pts["frac"] * pts["length"]).to_numpy(float), side="right")
    pts.loc[line_d, "pt_country"] = np.asarray(_LINE_D_COUNTRIES, dtype=object)[idx[line_d.to_numpy()]]
    pts.loc[start | end, "pt_country"] = pts.loc[start | end, "junction"].map(node_country)
    fwd = pts["operation"] == "forward"
    rev = pts["operation"] == "reverse"
    pts["station"] = (fwd & ~end) | (rev & ~start)
    pts["outlet"] = np.where(pts["station"], pts["group"] + "." + pts["k"].astype(str) + ">", "")
    return pts


def _junction_frame(ids: pd.Series, name: pd.Series, lat: pd.Series, lon: pd.Series,
                    kind: pd.Series | str, country: pd.Series, p_max: pd.Series | float,
                    owner: pd.Series, source: pd.Series | str, note: pd.Series | str) -> pd.DataFrame:
    j = pd.DataFrame({
        "name": np.asarray(name), "lat": np.asarray(lat, dtype=float), "lon": np.asarray(lon, dtype=float),
        "height_m": _d("height_m"), "p_min_bar": _d("junction_p_min_bar"),
        "p_max_bar": np.asarray(p_max, dtype=float) if not np.isscalar(p_max) else p_max,
        "kind": np.asarray(kind) if not isinstance(kind, str) else kind,
        "country": np.asarray(country), "owner": np.asarray(owner),
        "source": np.asarray(source) if not isinstance(source, str) else source,
        "note": np.asarray(note) if not isinstance(note, str) else note,
    }, index=pd.Index(np.asarray(ids), name="id"))
    return j


def central_asia(scenario: str = "2023") -> Network:
    """The Central Asia gas network with the supplies and demands of ``scenario``.

    Scenarios: :data:`SCENARIOS` (``"2023"``, ``"union"``, ``"winter-peak"``, ``"line-d"``).
    Every element carries ``owner``, ``country``, ``source`` and ``note``; every number comes
    from the shipped tables (sourced, or ``estimate: <method>``, or a default of
    ``defaults.csv``).
    """
    if scenario not in SCENARIOS:
        raise ValueError(f"unknown Central Asia scenario {scenario!r}; available scenarios: "
                         f"{', '.join(SCENARIOS)}")
    gas = _gas()
    nodes = _read("nodes").set_index("id", drop=False)
    rows = _active_rows(scenario)
    strings = _strings(rows)
    sc = _read("scenarios")
    sc = sc[sc["scenario"] == scenario]
    p = parties()
    country_op = p[p["country_operator"]].reset_index().set_index("country")["party"]

    # ---- number of sections per group of parallel rows
    design = _design_spacing_km(rows, strings, gas).reindex(rows.index)
    spacing = np.fmin(_d("station_spacing_km"), design)
    active = rows["operation"].isin(["forward", "reverse"])
    rows["n"] = np.where(active, np.ceil(rows["length"] / spacing), 1).astype(int)
    rows["n"] = rows.groupby("group")["n"].transform("max")
    rows["design_spacing_km"] = design

    # ---- junctions of the sourced nodes used in this scenario
    used = pd.unique(pd.concat([rows["model_from_node"], rows["model_to_node"], sc["junction"]]))
    n = nodes.loc[nodes.index.isin(used)]
    storage = n["kind"] == "storage"
    node_j = _junction_frame(
        n.index, n["name"], _num(n["lat"]), _num(n["lon"]), n["kind"].replace({"junction": "innode"}),
        n["country"], np.where(storage, _d("storage_pressure_max_bar"), _d("pressure_max_bar")),
        n["country"].map(country_op), n["source"],
        n["note"] + " | model: p_min (defaults junction_p_min_bar), p_max "
        + np.where(storage, "(defaults storage_pressure_max_bar)", "(defaults pressure_max_bar)")
        + ", height (defaults height_m)")

    # ---- section points and station outlets
    pts = _points(rows, nodes, node_j["country"])
    rows_of = rows.groupby("group")["id"].agg(" + ".join)
    name_of = rows.groupby("group")["name"].first()
    interior = pts[(pts["k"] > 0) & (pts["k"] < pts["n"])]
    outlets = pts[pts["station"]]
    note = ("estimate: section point of " + interior["group"].map(rows_of) + " at "
            + (interior["frac"] * interior["length"]).map("{:.0f}".format) + " km: n = ceil(length / "
            "spacing) equal sections (defaults station_spacing_km), position by linear interpolation "
            "(defaults interior_junction_position), country (defaults interior_junction_country)")
    sec_j = pd.concat([
        _junction_frame(interior["junction"], interior["group"].map(name_of) + " - section point "
                        + interior["k"].astype(str), interior["lat"], interior["lon"], "compressor",
                        interior["pt_country"], _d("pressure_max_bar"),
                        interior["pt_country"].map(country_op),
                        "estimate: equivalent section point (defaults.csv station_spacing_km)", note),
        _junction_frame(outlets["outlet"], outlets["group"].map(name_of) + " - station outlet "
                        + outlets["k"].astype(str), outlets["lat"], outlets["lon"], "compressor",
                        outlets["pt_country"], _d("pressure_max_bar"),
                        outlets["pt_country"].map(country_op),
                        "estimate: equivalent station outlet (defaults.csv station_spacing_km)",
                        "estimate: outlet junction of the station at this point"),
    ])
    junctions = pd.concat([node_j, sec_j])

    pipes = _pipes(rows, strings, pts, junctions["country"], country_op)
    comps = _stations(rows, pts, nodes, junctions["country"], country_op)
    net = Network(f"Central Asia ({scenario})", gas=gas, meta={
        "dataset": "central_asia",
        "scenario": scenario,
        "description": SCENARIOS[scenario],
        "citation": _CITATION,
        "assumptions": [
            "Central Asia dataset: one 54-bar pressure class, equivalent compressor stations every "
            "<= 100 km (denser where a row's own design capacity needs it), junction p_min 36 bar "
            "(defaults.csv)",
            "Central Asia dataset: volumes in standard m3 at 20 C (bcm/y, mcm/d)",
        ],
        "branch_row": {**pipes["row"].to_dict(), **comps["row"].to_dict()},
        "branch_section": {k: int(v) for k, v in
                           {**pipes["section"].to_dict(), **comps["section"].to_dict()}.items()},
    })
    net.add_table("junctions", junctions)
    net.add_table("pipes", pipes.drop(columns=["row", "section"]))
    net.add_table("compressors", comps.drop(columns=["row", "section"]))
    _add_node_elements(net, sc, nodes, gas)
    return net


def _line_d_owner(country: pd.Series, country_op: pd.Series) -> pd.Series:
    """Owner of a Line D section: the Tajik section's JV, else that country's operator."""
    return country.map(country_op).where(country != "TJ", "TRANS_TAJIK")


def _pipes(rows: pd.DataFrame, strings: pd.DataFrame, pts: pd.DataFrame, jcountry: pd.Series,
           country_op: pd.Series) -> pd.DataFrame:
    """One pipe per (row, string, section); oriented like its row (reverse flow is negative)."""
    cols = ["id", "group", "n", "operation", "length", "name", "p_max", "owner", "country",
            "source", "note", "operation_note"]
    s = strings.merge(rows[cols].reset_index(drop=True), left_on="row", right_on="id")
    s = s.loc[s.index.repeat(s["n"])].reset_index(drop=True)
    s["section"] = s.groupby(["row", "k"]).cumcount() + 1
    key = pts.set_index(["group", "k"])
    a = key.loc[pd.MultiIndex.from_arrays([s["group"], s["section"] - 1])]
    b = key.loc[pd.MultiIndex.from_arrays([s["group"], s["section"]])]
    fw = (s["operation"] == "forward").to_numpy()
    rv = (s["operation"] == "reverse").to_numpy()
    from_j = np.where(fw, a["outlet"], a["junction"])
    to_j = np.where(rv, b["outlet"], b["junction"])
    multi, sectioned = s["n_strings"] > 1, s["n"] > 1
    pid = (s["row"] + np.where(multi, "/" + s["k"].astype(str), "")
           + np.where(sectioned, "." + s["section"].astype(str), ""))
    line_d = s["row"] == "CAGP_D"
    from_country = pd.Series(from_j).map(jcountry)
    country = s["country"].where(~line_d, from_country)
    owner = s["owner"].where(~line_d, _line_d_owner(country, country_op))
    wall = _d("wall_thickness_share")
    out = pd.DataFrame({
        "from_junction": from_j, "to_junction": to_j,
        "name": (s["name"] + np.where(multi, ", string " + s["od_mm"].map("{:.0f}".format) + " mm", "")
                 + np.where(sectioned, " (section " + s["section"].astype(str) + "/" + s["n"].astype(str)
                            + ")", "")).to_numpy(),
        "length_km": (s["length"] / s["n"]).to_numpy(float),
        "diameter_mm": (s["d_m"] * 1000.0).to_numpy(float),
        "roughness_mm": _d("pipe_roughness_mm"),
        "p_max_bar": s["p_max"].to_numpy(float),
        "in_service": (s["operation"] != "closed").to_numpy(),
        "owner": owner.to_numpy(), "country": country.to_numpy(), "source": s["source"].to_numpy(),
        "note": (s["note"] + " | model: " + s["basis"] + f"; inner diameter = OD x (1 - 2 x {wall:g}) "
                 "(defaults wall_thickness_share); length split equally over " + s["n"].astype(str)
                 + " section(s); roughness (defaults pipe_roughness_mm); max pressure (sourced, else "
                 "defaults pressure_max_bar / storage_pressure_max_bar); " + s["operation_note"]).to_numpy(),
        "row": s["row"].to_numpy(), "section": s["section"].to_numpy(),
    }, index=pd.Index(pid.to_numpy(), name="id"))
    return out


def _stations(rows: pd.DataFrame, pts: pd.DataFrame, nodes: pd.DataFrame, jcountry: pd.Series,
              country_op: pd.Series) -> pd.DataFrame:
    """Compressor stations (mode p_out at the row's maximum pressure) at the flagged points."""
    st = pts[pts["station"]].reset_index(drop=True)
    first = rows.drop_duplicates("group").set_index("group")
    g = first.loc[st["group"]].reset_index(drop=True)
    country = st["outlet"].map(jcountry)
    owner = g["owner"].where(g["id"] != "CAGP_D", _line_d_owner(country, country_op))
    # a station on a node of another country than its row (a border node) belongs to that country
    owner = owner.where((country == g["country"]) | (g["id"] == "CAGP_D"), country.map(country_op))
    real = st["junction"].map(nodes["kind"]).fillna("").eq("compressor")
    spacing = st["group"].map(rows.groupby("group")["design_spacing_km"].min())
    where = np.where(spacing.notna(), "min(100 km, design-capacity length "
                     + spacing.map("{:.0f}".format) + " km)", "100 km")
    out = pd.DataFrame({
        "from_junction": st["junction"], "to_junction": st["outlet"],
        "name": np.where(real, st["junction"].map(nodes["name"]).fillna("") + " (station on "
                         + g["name"] + ")", "equivalent station " + st["k"].astype(str) + " on "
                         + g["name"]),
        "mode": "p_out", "p_out_set_bar": g["p_max"], "p_out_max_bar": g["p_max"],
        "ratio_min": _d("compressor_ratio_min"), "ratio_max": _d("compressor_ratio_max"),
        "efficiency": _d("compressor_efficiency"), "drive": _ds("compressor_drive"),
        "drive_efficiency": _d("compressor_drive_efficiency"),
        "fuel_model": _ds("compressor_fuel_model"),
        "owner": owner, "country": country,
        "source": np.where(real, st["junction"].map(nodes["source"]).fillna(""),
                           "estimate: equivalent station (defaults.csv station_spacing_km)"),
        "note": (np.where(real, "real station at a compressor node, modelled like the equivalent stations; ",
                          "estimate: equivalent station; ")
                 + "mode p_out at the row's maximum pressure (defaults station_p_out); ratio bounds, "
                 "efficiency, drive and fuel (defaults compressor_*); section spacing " + where
                 + " (defaults station_spacing_km)"),
        "row": g["id"],
        "section": np.where(st["operation"] == "forward", st["k"] + 1, st["k"]),
    })
    out.index = pd.Index(("CS " + st["group"] + "." + st["k"].astype(str)).to_numpy(), name="id")
    return out


def _add_node_elements(net: Network, sc: pd.DataFrame, nodes: pd.DataFrame,
                       gas: GasProperties) -> None:
    """Sources, sinks and storages of the scenario (values converted from bcm/y or mcm/d)."""
    val = _num(sc["value"]).to_numpy(float)
    kg_s = np.where(sc["unit"] == "mcm_d", gas.kg_s_from_mcm_d(val), gas.kg_s_from_bcm_y(val))
    sc = sc.assign(kg_s=kg_s, country=sc["junction"].map(net.junctions["country"])).set_index("element")
    p_ref = _d("reference_p_set_bar")
    common = ["junction", "name", "owner", "country", "source"]
    src = sc[sc["kind"] == "source"]
    pres = (src["control"] == "pressure").to_numpy()
    net.add_table("sources", src[common].assign(
        mass_flow_kg_s=np.where(pres, np.nan, src["kg_s"]),
        p_set_bar=np.where(pres, p_ref, np.nan),
        note=src["note"] + np.where(pres, " | p_set (defaults reference_p_set_bar)", "")))
    snk = sc[sc["kind"] == "sink"]
    net.add_table("sinks", snk[common].assign(mass_flow_kg_s=snk["kg_s"], note=snk["note"]))
    ugs = sc[sc["kind"] == "storage"]
    wmax = _num(ugs["junction"].map(nodes["withdrawal_max_mcm_d"])).to_numpy(float)
    net.add_table("storages", ugs[common].assign(
        working_gas_mcm=_num(ugs["junction"].map(nodes["working_gas_mcm"])),
        withdrawal_max_kg_s=gas.kg_s_from_mcm_d(wmax),
        mass_flow_kg_s=ugs["kg_s"],
        note=ugs["note"] + " | capacity: " + ugs["junction"].map(nodes["storage_note"])))


# ============================================================================ reports
def _branch_rows(net: Network) -> pd.Series:
    return pd.Series(net.meta.get("branch_row", {}), dtype=object)


@cache
def _border_points() -> pd.DataFrame:
    """Per pipeline row: its border point (the border node where it crosses; else the row id)."""
    p = _pipelines()
    n = _nodes()
    row_country = p["countries"].str.split(";").str[0].str.strip()
    ends = pd.DataFrame({"from": p["from_node"], "to": p["to_node"]})
    is_border = ends.apply(lambda c: c.map(n["kind"]).eq("border"))
    crosses = ends.apply(lambda c: c.map(n["country"])).ne(row_country, axis=0)
    # prefer a border node in the other country, then any border node, then the row itself
    pick = np.where(is_border["to"] & crosses["to"], p["to_node"],
                    np.where(is_border["from"] & crosses["from"], p["from_node"],
                             np.where(is_border["to"], p["to_node"],
                                      np.where(is_border["from"], p["from_node"], p.index))))
    out = pd.DataFrame({"border_point": pick}, index=p.index)
    out["name"] = out["border_point"].map(n["name"]).fillna(out.index.to_series().map(p["name"]))
    return out


@cache
def _row_capacities() -> dict[str, tuple[float, str, str]]:
    """Per pipeline row: (capacity bcm/y, basis ``row``/``system``/``""``, system).

    A row without a figure takes its system's figure where one is stated on another row
    (e.g. CAC 60.2 bcm/y), with basis ``system``; NaN if none is sourced.
    """
    p = _pipelines()
    cap = _num(p["design_capacity_bcm_y"])
    system_cap = cap[p["capacity_basis"] == "system"].groupby(p["system"]).max()
    basis = p["capacity_basis"].where(cap.notna(),
                                      np.where(p["system"].isin(system_cap.index), "system", ""))
    cap = cap.fillna(p["system"].map(system_cap))
    return {rid: (float(c), str(b), str(s))
            for rid, c, b, s in zip(p.index, cap, basis, p["system"], strict=True)}


def _capacity(row_ids: list[str]) -> float:
    """Design capacity [bcm/y] of parallel rows: row figures summed, system figures once.

    A row without a figure takes its system's figure where one is stated on another row
    (e.g. CAC 60.2 bcm/y). NaN if none is sourced.
    """
    table = _row_capacities()
    rows = [table[r] for r in row_ids]
    if all(math.isnan(c) for c, _, _ in rows):
        return math.nan
    own = sum(c for c, b, _ in rows if b == "row" and not math.isnan(c))
    shared: dict[str, float] = {}
    for c, b, system in rows:
        if b == "system" and not math.isnan(c):
            shared[system] = max(c, shared.get(system, -math.inf))
    return float(own + sum(shared.values()))


def border_flow_report(net: Network, res: SimulationResult) -> pd.DataFrame:
    """The flow at every border point (crossing branches grouped by border point).

    Columns: border_point, name, from_country, to_country (in the direction of the flow),
    systems, flow_mcm_d, flow_bcm_y (the daily flow as an annual rate), capacity_bcm_y (design
    capacity of the in-service rows where sourced; system figures counted once), utilisation.
    """
    bf = res.border_flows(net)
    bf = bf.assign(row=bf["id"].map(_branch_rows(net)))
    bf = bf[bf["row"].notna()].copy()
    pip = _pipelines()
    bp = _border_points()
    bf["border_point"] = bf["row"].map(bp["border_point"])
    bf["name"] = bf["row"].map(bp["name"])
    # Line D crosses several borders between section points: one border point per country pair
    multi = bf["row"].map(pip["countries"]).str.count(";") > 1
    pair = bf["from_country"] + "-" + bf["to_country"]
    bf.loc[multi, "border_point"] = bf["row"] + " " + pair
    bf.loc[multi, "name"] = bf["row"].map(pip["system_name"]) + " " + pair + " (section point, estimate)"
    ref = bf.groupby("border_point")[["from_country", "to_country", "name"]].first()
    same = bf["from_country"].to_numpy() == bf["border_point"].map(ref["from_country"]).to_numpy()
    bf["signed_kg_s"] = np.where(same, 1.0, -1.0) * bf["mass_flow_kg_s"]
    in_service = net.pipes["in_service"].groupby(net.pipes.index.map(_branch_rows(net))).any()
    bf["open_row"] = bf["row"].where(bf["row"].map(in_service).fillna(True).astype(bool))
    agg = bf.groupby("border_point").agg(
        kg_s=("signed_kg_s", "sum"),
        rows=("open_row", lambda s: sorted(set(s.dropna()))),
        systems=("row", lambda s: ", ".join(sorted(set(s.map(pip["system"]))))))
    agg = agg.join(ref)
    flip = agg["kg_s"] < 0
    agg.loc[flip, ["from_country", "to_country"]] = agg.loc[flip, ["to_country", "from_country"]].to_numpy()
    kg_s = agg["kg_s"].abs().to_numpy(float)
    out = pd.DataFrame({
        "border_point": agg.index, "name": agg["name"].to_numpy(),
        "from_country": agg["from_country"].to_numpy(), "to_country": agg["to_country"].to_numpy(),
        "systems": agg["systems"].to_numpy(),
        "flow_mcm_d": net.gas.mcm_d_from_kg_s(kg_s), "flow_bcm_y": net.gas.bcm_y_from_kg_s(kg_s),
        "capacity_bcm_y": [_capacity(r) if r else math.nan for r in agg["rows"]],
    })
    out["utilisation"] = out["flow_bcm_y"] / out["capacity_bcm_y"]
    return out.sort_values("flow_bcm_y", ascending=False, kind="stable").reset_index(drop=True)


def corridor_report(net: Network, res: SimulationResult) -> pd.DataFrame:
    """Per pipeline system (CAC, CAGP, BBS, BTBA, BU, ...): its largest flow and utilisation.

    A segment is one pair of end nodes of a system (parallel rows and strings summed, the
    most loaded section). Columns: system, system_name, segment (rows of the segment with the
    largest flow), max_flow_mcm_d, max_flow_bcm_y, capacity_bcm_y (of that segment: design,
    where sourced; system figures counted once), utilisation (of that segment),
    max_utilisation and bottleneck (the segment with the highest flow / capacity).
    """
    pip = _pipelines()
    pt = res.pipes
    f = pd.DataFrame({
        "row": pt.index.map(_branch_rows(net)),
        "section": pt.index.map(pd.Series(net.meta.get("branch_section", {}), dtype=float)),
        "kg_s": pt["mass_flow_kg_s"].to_numpy(float),
    })
    f = f[f["row"].notna()]
    f["system"] = f["row"].map(pip["system"])
    f["segment"] = f["row"].map(pip["from_node"] + ">" + pip["to_node"])
    by_section = f.groupby(["system", "segment", "section"])["kg_s"].sum().abs()
    seg = by_section.groupby(level=["system", "segment"]).max().rename("kg_s").to_frame()
    seg["rows"] = f.groupby(["system", "segment"])["row"].agg(lambda s: sorted(set(s)))
    seg["capacity"] = seg["rows"].map(_capacity)
    seg["flow_bcm_y"] = net.gas.bcm_y_from_kg_s(seg["kg_s"].to_numpy(float))
    seg["util"] = seg["flow_bcm_y"] / seg["capacity"]
    seg = seg.reset_index()
    top = seg.loc[seg.groupby("system")["kg_s"].idxmax()].set_index("system")
    util = seg.dropna(subset=["util"])
    worst = util.loc[util.groupby("system")["util"].idxmax()].set_index("system")
    out = pd.DataFrame({
        "system": top.index, "system_name": top.index.map(pip.groupby("system")["system_name"].first()),
        "segment": top["rows"].map(" + ".join).to_numpy(),
        "max_flow_mcm_d": net.gas.mcm_d_from_kg_s(top["kg_s"].to_numpy(float)),
        "max_flow_bcm_y": top["flow_bcm_y"].to_numpy(float),
        "capacity_bcm_y": top["capacity"].to_numpy(float),
        "utilisation": top["util"].to_numpy(float),
        "max_utilisation": top.index.map(worst["util"]).to_numpy(float),
        "bottleneck": top.index.map(worst["rows"].map(" + ".join)).fillna("").to_numpy(),
    })
    return out.sort_values("max_flow_bcm_y", ascending=False, kind="stable").reset_index(drop=True)


def _place(node: str) -> str:
    """A node's name without its qualifiers: ``"Shymkent / Akbulak hub"`` -> ``"Shymkent"``."""
    name = str(_nodes()["name"].get(node, node)) or node
    return name.split(" (")[0].split(" / ")[0].strip()


def segment_name(segment: str) -> str:
    """A readable name for a segment of :func:`corridor_report` (``segment`` or ``bottleneck``:
    pipeline row ids joined by ``" + "``).

    One row: its name in ``pipelines.csv``; parallel rows: ``"<from> - <to> (n parallel
    lines)"`` from the names of the end nodes. Unknown ids are returned as given.
    """
    rows = [r.strip() for r in segment.split(" + ") if r.strip()]
    pip = _pipelines()
    if not rows or any(r not in pip.index for r in rows):
        return segment
    if len(rows) == 1:
        return str(pip.at[rows[0], "name"])
    first = pip.loc[rows[0]]
    return f"{_place(first['from_node'])} - {_place(first['to_node'])} ({len(rows)} parallel lines)"


def key_pressures(net: Network, res: SimulationResult) -> pd.DataFrame:
    """Pressures at the sourced nodes (hubs, fields, cities, borders, storages, exports).

    Columns: junction, name, country, kind, p_bar, p_min_bar, p_max_bar, margin_to_min_bar,
    margin_to_max_bar (modelling-only junctions and section points are left out).
    """
    nodes = _nodes()
    sourced = nodes.index[nodes["model_only"].str.lower() != "true"]
    j = net.junctions.loc[net.junctions.index.isin(sourced)]
    out = j[["name", "country", "kind", "p_min_bar", "p_max_bar"]].copy()
    out.insert(3, "p_bar", res.junctions["p_bar"].reindex(j.index).to_numpy(float))
    out["margin_to_min_bar"] = out["p_bar"] - out["p_min_bar"]
    out["margin_to_max_bar"] = out["p_max_bar"] - out["p_bar"]
    out = out.rename_axis("junction").reset_index()
    return out.sort_values(["country", "junction"]).reset_index(drop=True)


def reported_flow_check(net: Network, res: SimulationResult, scenario: str = "2023") -> pd.DataFrame:
    """Simulated border flows against the reported volumes marked in ``flows.csv``.

    ``compare_at`` names a border point or a country pair ``A>B`` (net flow from A to B over
    all their border points); reports sharing a ``compare_at`` are summed. Columns:
    compare_at, reported_bcm_y, simulated_bcm_y, deviation (simulated / reported - 1),
    reports, note.
    """
    fl = _read("flows")
    marked = fl["compare_in"].str.split(";").apply(lambda xs: scenario in [x.strip() for x in xs])
    fl = fl[marked].assign(at=fl["compare_at"].str.split(";")).explode("at")
    fl["at"] = fl["at"].str.strip()
    fl["volume"] = _num(fl["volume_bcm"])
    fl["report"] = fl["year"] + " " + fl["from_country"] + "->" + fl["to_country"] + " " + fl["volume_bcm"]
    bfr = border_flow_report(net, res)
    at_point = bfr.set_index("border_point")["flow_bcm_y"]
    directed = bfr.groupby(["from_country", "to_country"])["flow_bcm_y"].sum()

    def simulated(at: str) -> float:
        if ">" in at:
            a, b = at.split(">")
            return float(directed.get((a, b), 0.0) - directed.get((b, a), 0.0))
        return float(at_point.get(at, math.nan))

    out = fl.groupby("at", sort=False).agg(reported_bcm_y=("volume", "sum"),
                                          reports=("report", "; ".join),
                                          note=("compare_note", "; ".join))
    out.insert(1, "simulated_bcm_y", [simulated(a) for a in out.index])
    out.insert(2, "deviation", out["simulated_bcm_y"] / out["reported_bcm_y"] - 1.0)
    return out.rename_axis("compare_at").reset_index()
