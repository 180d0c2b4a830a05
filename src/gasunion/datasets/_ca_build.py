"""Builds the Central Asia :class:`~gasunion.network.Network` of one scenario (internal).

Junctions (sourced nodes, section points, station outlets), pipes (one per row, string and
section), compressor stations (sourced counts or equivalent stations), control valves (where a
line of a lower pressure class leaves a node of a higher class) and the scenario's sources,
sinks and storages. Rules: ``docs/datasets/central-asia.md`` and ``defaults.csv``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from gasunion.datasets._ca_data import _d, _ds, _gas, _num, _read, parties
from gasunion.datasets._ca_geometry import _active_rows, _points, _sections, _strings
from gasunion.network import Network
from gasunion.physics.gas import GasProperties


def _junction_frame(ids: pd.Series, name: pd.Series, lat: pd.Series, lon: pd.Series,
                    kind: pd.Series | str, country: pd.Series, p_max: pd.Series | float,
                    owner: pd.Series, source: pd.Series | str, note: pd.Series | str,
                    height: pd.Series | float) -> pd.DataFrame:
    def arr(v: object) -> object:
        return v if isinstance(v, str) or np.isscalar(v) else np.asarray(v)

    return pd.DataFrame({
        "name": np.asarray(name), "lat": np.asarray(lat, dtype=float),
        "lon": np.asarray(lon, dtype=float), "height_m": arr(height),
        "p_min_bar": _d("junction_p_min_bar"), "p_max_bar": arr(p_max), "kind": arr(kind),
        "country": np.asarray(country), "owner": np.asarray(owner), "source": arr(source),
        "note": arr(note),
    }, index=pd.Index(np.asarray(ids), name="id"))


def _node_class(nodes: pd.DataFrame) -> pd.Series:
    """Pressure class of each sourced node: ``nodes.csv`` pressure_class_bar where given, else
    the storage class (storages) or the 54-bar class (defaults pressure_max_bar)."""
    storage = nodes["kind"] == "storage"
    default = pd.Series(np.where(storage, _d("storage_pressure_max_bar"), _d("pressure_max_bar")),
                        index=nodes.index)
    return _num(nodes["pressure_class_bar"]).fillna(default)


def build(scenario: str, data: str, description: str, citation: str) -> Network:
    """The network of ``scenario`` built from the data of scenario ``data``."""
    gas = _gas()
    nodes = _read("nodes").set_index("id", drop=False)
    rows = _active_rows(data)
    strings = _strings(rows)
    rows = _sections(rows, strings, gas)
    sc = _read("scenarios")
    sc = sc[sc["scenario"] == data]
    p = parties()
    country_op = p[p["country_operator"]].reset_index().set_index("country")["party"]

    used = pd.unique(pd.concat([rows["model_from_node"], rows["model_to_node"], sc["junction"]]))
    n = nodes.loc[nodes.index.isin(used)]
    cls = _node_class(n)
    height = _num(n["height_m"]).fillna(_d("height_m"))
    node_j = _junction_frame(
        n.index, n["name"], _num(n["lat"]), _num(n["lon"]), n["kind"].replace({"junction": "innode"}),
        n["country"], cls, n["country"].map(country_op), n["source"],
        n["note"] + " | model: p_min (defaults junction_p_min_bar), p_max = the node's pressure "
        "class (nodes.csv pressure_class_bar, else defaults pressure_max_bar / "
        "storage_pressure_max_bar), height " + np.where(n["height_m"] != "", "(nodes.csv height_m)",
                                                        "(defaults height_m)"), height)

    pts = _points(rows, node_j["country"])
    rows_of = rows.groupby("group")["id"].agg(" + ".join)
    name_of = rows.groupby("group")["name"].first()
    pclass = pts["group"].map(rows.groupby("group")["p_max"].max())
    interior = pts[(pts["k"] > 0) & (pts["k"] < pts["n"])]
    outlets = pts[pts["station"]]
    crest_note = np.where(interior["crest_point"], "; height: the row's sourced crest (pipelines.csv "
                          "crest_m), put on the section point nearest to crest_km (estimate)", "")
    note = ("estimate: section point of " + interior["group"].map(rows_of) + " at "
            + interior["km"].map("{:.0f}".format) + " km: sections by the record's station count "
            "or n = ceil(length / spacing) (defaults station_spacing_km), position by linear "
            "interpolation (defaults interior_junction_position), country (defaults "
            "interior_junction_country; pipelines.csv country_km where given)" + crest_note)
    sec_j = pd.concat([
        _junction_frame(interior["junction"], interior["group"].map(name_of) + " - section point "
                        + interior["k"].astype(str), interior["lat"], interior["lon"], "compressor",
                        interior["pt_country"], pclass[interior.index],
                        interior["pt_country"].map(country_op),
                        "estimate: section point (defaults.csv station_spacing_km)", note,
                        interior["height_m"]),
        _junction_frame(outlets["outlet"], outlets["group"].map(name_of) + " - station outlet "
                        + outlets["k"].astype(str), outlets["lat"], outlets["lon"], "compressor",
                        outlets["pt_country"], pclass[outlets.index],
                        outlets["pt_country"].map(country_op),
                        "estimate: station outlet (defaults.csv station_spacing_km)",
                        "estimate: outlet junction of the station at this point",
                        outlets["height_m"]),
    ])
    junctions = pd.concat([node_j, sec_j])

    pipes = _pipes(rows, strings, pts, junctions["country"], country_op)
    comps, valves = _stations(rows, pts, nodes, junctions, country_op)
    net = Network(f"Central Asia ({scenario})", gas=gas, meta={
        "dataset": "central_asia", "scenario": scenario, "data_scenario": data,
        "description": description, "citation": citation,
        "assumptions": [
            "Central Asia dataset v2: each line at its design pressure (sourced, or estimated by "
            "pipe class and vintage: pipelines.csv design_pressure_bar); compressor stations "
            "where the record puts them, equivalent stations where it is silent; control valves "
            "where a lower-class line leaves a higher-class node; junction p_min 36 bar",
            "Central Asia dataset: volumes in standard m3 at 20 C (bcm/y, mcm/d)",
        ],
        "branch_row": {**pipes["row"].to_dict(), **comps["row"].to_dict(), **valves["row"].to_dict()},
        "row_group": rows["group"].to_dict(),
        "row_operation": rows["operation"].to_dict(),
        "rows_in_service": sorted(rows.index[rows["operation"] != "closed"]),
        "branch_section": {k: int(v) for k, v in
                           {**pipes["section"].to_dict(), **comps["section"].to_dict(),
                            **valves["section"].to_dict()}.items()},
    })
    net.add_table("junctions", junctions)
    net.add_table("pipes", pipes.drop(columns=["row", "section"]))
    net.add_table("compressors", comps.drop(columns=["row", "section"]))
    if len(valves):
        net.add_table("control_valves", valves.drop(columns=["row", "section"]))
    _add_node_elements(net, sc, nodes, gas)
    return net


def _owner_by_country(rows: pd.Series, country: pd.Series, owner: pd.Series,
                      country_op: pd.Series) -> pd.Series:
    """Owner of the parts of a multi-country row (``country_owner`` column of pipelines.csv,
    ``CC=PARTY; ...``): the named party in that country, else the country's operator."""
    spec = rows.map(_read("pipelines").set_index("id")["country_owner"]).fillna("")
    out = owner.copy()
    multi = spec != ""
    for i in np.flatnonzero(multi.to_numpy()):
        m = dict(x.strip().split("=", 1) for x in str(spec.iloc[i]).split(";") if "=" in x)
        c = country.iloc[i]
        out.iloc[i] = m.get(c, country_op.get(c, out.iloc[i]))
    return out


def _pipes(rows: pd.DataFrame, strings: pd.DataFrame, pts: pd.DataFrame, jcountry: pd.Series,
           country_op: pd.Series) -> pd.DataFrame:
    """One pipe per (row, string, section); oriented like its row (reverse flow is negative)."""
    cols = ["id", "group", "n", "operation", "length", "name", "p_max", "owner", "country",
            "source", "note", "operation_note", "design_pressure_source"]
    s = strings.merge(rows[cols].reset_index(drop=True), left_on="row", right_on="id")
    s = s.loc[s.index.repeat(s["n"])].reset_index(drop=True)
    s["section"] = s.groupby(["row", "k"]).cumcount() + 1
    key = pts.set_index(["group", "k"])
    a = key.loc[pd.MultiIndex.from_arrays([s["group"], s["section"] - 1])]
    b = key.loc[pd.MultiIndex.from_arrays([s["group"], s["section"]])]
    fw = (s["operation"] == "forward").to_numpy()
    rv = (s["operation"] == "reverse").to_numpy()
    a_out = a["outlet"].to_numpy(object)
    b_out = b["outlet"].to_numpy(object)
    from_j = np.where(fw & (a_out != ""), a_out, a["junction"].to_numpy(object))
    to_j = np.where(rv & (b_out != ""), b_out, b["junction"].to_numpy(object))
    multi, sectioned = s["n_strings"] > 1, s["n"] > 1
    pid = (s["row"] + np.where(multi, "/" + s["k"].astype(str), "")
           + np.where(sectioned, "." + s["section"].astype(str), ""))
    from_country = pd.Series(from_j).map(jcountry)
    several = s["row"].map(rows["country_km"]) != ""
    country = s["country"].where(~several, from_country)
    owner = _owner_by_country(s["row"], country, s["owner"], country_op)
    wall = _d("wall_thickness_share")
    return pd.DataFrame({
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
                 + " section(s); roughness (defaults pipe_roughness_mm); max pressure = design "
                 "pressure " + s["p_max"].map("{:g}".format) + " bar (" + s["design_pressure_source"]
                 + "); " + s["operation_note"]).to_numpy(),
        "row": s["row"].to_numpy(), "section": s["section"].to_numpy(),
    }, index=pd.Index(pid.to_numpy(), name="id"))


def _stations(rows: pd.DataFrame, pts: pd.DataFrame, nodes: pd.DataFrame, junctions: pd.DataFrame,
              country_op: pd.Series) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Compressor stations (mode p_out at the row's design pressure) at the flagged points, and
    control valves (mode p_out) where the suction node's class is above the row's."""
    st = pts[pts["station"]].reset_index(drop=True)
    first = rows.drop_duplicates("group").set_index("group")
    g = first.loc[st["group"]].reset_index(drop=True)
    p_row = st["group"].map(rows.groupby("group")["p_max"].max())
    p_in_class = st["junction"].map(junctions["p_max_bar"])
    valve = (p_in_class > p_row + 1e-9).to_numpy()
    boundary = (p_in_class < p_row - 1e-9).to_numpy()
    country = st["outlet"].map(junctions["country"])
    owner = _owner_by_country(g["id"], country, g["owner"], country_op)
    owner = owner.where((country == g["country"]) | (g["country_km"] != ""), country.map(country_op))
    real = st["junction"].map(nodes["kind"]).fillna("").eq("compressor").to_numpy()
    sourced = st["group"].map(rows.groupby("group")["stations_sourced"].any()).to_numpy(bool)
    spacing = st["group"].map(rows.groupby("group")["design_spacing_km"].min())
    where = np.where(sourced, "stations: the record's count on the row (pipelines.csv stations), "
                     "equal spacing (estimate)",
                     np.where(spacing.notna(), "section spacing min(100 km, design-capacity length "
                              + spacing.map("{:.0f}".format) + " km)", "section spacing 100 km")
                     + " (defaults station_spacing_km)")
    src = np.where(real, st["junction"].map(nodes["source"]).fillna(""),
                   np.where(sourced, st["group"].map(rows.groupby("group")["stations_source"].first()),
                            "estimate: equivalent station (defaults.csv station_spacing_km)"))
    kind = np.where(real, "real station at a compressor node; ",
                    np.where(sourced, "station of the record (count sourced, position estimated); ",
                             "estimate: equivalent station; "))
    ratio_max = np.where(boundary, _d("class_boundary_ratio_max"), _d("compressor_ratio_max"))
    out = pd.DataFrame({
        "from_junction": st["junction"], "to_junction": st["outlet"],
        "name": np.where(real, st["junction"].map(nodes["name"]).fillna("") + " (station on "
                         + g["name"] + ")", np.where(sourced, "station ", "equivalent station ")
                         + st["k"].astype(str) + " on " + g["name"]),
        "mode": "p_out", "p_out_set_bar": p_row, "p_out_max_bar": p_row,
        "ratio_min": _d("compressor_ratio_min"), "ratio_max": ratio_max,
        "efficiency": _d("compressor_efficiency"), "drive": _ds("compressor_drive"),
        "drive_efficiency": _d("compressor_drive_efficiency"),
        "fuel_model": _ds("compressor_fuel_model"),
        "owner": owner, "country": country, "source": src,
        "note": (kind + "mode p_out at the row's design pressure (defaults station_p_out); ratio "
                 "bounds" + np.where(boundary, " (head station between pressure classes: defaults "
                                     "class_boundary_ratio_max)", "")
                 + ", efficiency, drive and fuel (defaults compressor_*); " + where),
        "row": g["id"],
        "section": np.where(st["operation"] == "forward", st["k"] + 1, st["k"]),
    })
    ids = st["group"] + "." + st["k"].astype(str)
    out.index = pd.Index(("CS " + ids).to_numpy(), name="id")
    cv = out[valve].copy()
    cv.index = pd.Index(("CV " + ids[valve]).to_numpy(), name="id")
    cv = cv[["from_junction", "to_junction", "name", "mode", "p_out_set_bar", "p_out_max_bar",
             "owner", "country", "row", "section"]].assign(
        name=("pressure reduction " + st.loc[valve, "junction"].map(nodes["name"]).fillna("")
              + " -> " + g.loc[valve, "name"]).to_numpy(),
        source=g.loc[valve, "design_pressure_source"].to_numpy(),
        note=("model: control valve reducing the pressure from the node's class ("
              + p_in_class[valve].map("{:g}".format) + " bar) to the line's design pressure ("
              + p_row[valve].map("{:g}".format) + " bar), in place of the line's first station "
              "(defaults pressure_class_boundary)").to_numpy())
    return out[~valve], cv


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
