"""Rows, strings, sections and section points of the Central Asia network (internal).

``pipelines.csv`` rows -> parallel strings (:func:`_strings`) -> sections and their points
(:func:`_points`). The rules and numbers are in ``defaults.csv`` and the model columns of
``pipelines.csv`` (``design_pressure_bar``, ``stations``, ``country_km``, ``crest_m``).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from gasunion.datasets._ca_data import _d, _ds, _nodes, _num, _read
from gasunion.physics.compressibility import make_z_model
from gasunion.physics.friction import friction_factor, reynolds
from gasunion.physics.gas import GasProperties
from gasunion.physics.pipe import pipe_resistance


def _active_rows(scenario: str) -> pd.DataFrame:
    """Pipeline rows present in ``scenario`` (closed rows included: out-of-service pipes).

    ``scenario`` is a data scenario (after aliases). A row's ``operation_override`` column
    (``scenario=operation; ...``) changes its operation in the named scenarios.
    """
    p = _read("pipelines").set_index("id", drop=False)
    names = p["scenarios"].str.split(";").apply(lambda xs: {x.strip() for x in xs})
    p = p[names.apply(lambda s: "all" in s or scenario in s)].copy()
    over = p["operation_override"].str.split(";").apply(
        lambda xs: dict(x.strip().split("=", 1) for x in xs if "=" in x))
    p["operation"] = [o.get(scenario, op).strip() for o, op in zip(over, p["operation"], strict=True)]
    p["length"] = _num(p["length_km"])
    p["capacity"] = _num(p["design_capacity_bcm_y"])
    p["p_max"] = _num(p["design_pressure_bar"])
    p["stations_n"] = _num(p["stations"])
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
    friction at the design Reynolds number, Papay Z at the middle of the band p_max -> max(p_min,
    p_max / ratio_max) with the row's own design pressure as p_max; the capacity is shared
    over the row's strings in proportion to
    ``D^2.5``. Rows with a restated system capacity or none are absent.
    """
    own = rows[(rows["capacity_basis"] == "row") & rows["capacity"].notna()
               & rows["operation"].isin(["forward", "reverse"])]
    s = strings[strings["row"].isin(own.index)]
    if s.empty:
        return pd.Series(dtype=float)
    p_hi = s["row"].map(own["p_max"]).to_numpy(float)
    p_lo = np.fmax(_d("junction_p_min_bar"), p_hi / _d("compressor_ratio_max"))
    cond = s["d_m"] ** 2.5
    share = (cond / cond.groupby(s["row"]).transform("sum")).to_numpy(float)
    m = gas.kg_s_from_bcm_y(s["row"].map(own["capacity"]).to_numpy(float)) * share
    d = s["d_m"].to_numpy(float)
    lam = friction_factor("colebrook", reynolds(m, d, gas.viscosity_pa_s), d,
                          _d("pipe_roughness_mm") * 1e-3)[0]
    z = make_z_model("papay", gas).z(0.5 * (p_hi + p_lo) * 1e5)
    k_per_m = pipe_resistance(lam, 1.0, d, z, gas.r_specific, gas.temperature_k)
    km = (p_hi**2 - p_lo**2) * 1e10 / (k_per_m * m**2) / 1000.0
    return pd.Series(km, index=s["row"].to_numpy()).groupby(level=0).min()


def _sections(rows: pd.DataFrame, strings: pd.DataFrame, gas: GasProperties) -> pd.DataFrame:
    """Adds ``n`` (sections per group of parallel rows), ``design_spacing_km`` and
    ``stations_sourced`` (the row's station count comes from the record).

    A row with a sourced station count (``stations``) gets that many equal sections, a
    station at the start of each (0 stations: one section without a station); otherwise
    n = ceil(length / min(station_spacing_km, design-capacity length)) (equivalent stations).
    """
    design = _design_spacing_km(rows, strings, gas).reindex(rows.index)
    spacing = np.fmin(_d("station_spacing_km"), design)
    active = rows["operation"].isin(["forward", "reverse"])
    n = np.where(active, np.ceil(rows["length"] / spacing), 1)
    sourced = rows["stations_n"].notna() & active
    n = np.where(sourced, np.maximum(rows["stations_n"].fillna(1), 1), n)
    n = np.where(rows["crest_m"] != "", np.maximum(n, 2), n)  # a crest needs a section point
    rows = rows.assign(n=n.astype(int), design_spacing_km=design, stations_sourced=sourced,
                       no_station=sourced & (rows["stations_n"] == 0))
    rows["n"] = rows.groupby("group")["n"].transform("max")
    return rows


def _country_at(km_spec: str, km: np.ndarray) -> np.ndarray:
    """Country at each distance along a row from its ``country_km`` spec ``"UZ 205; TJ 391"``."""
    parts = [x.split() for x in km_spec.split(";") if x.strip()]
    ends = np.cumsum([float(v) for _, v in parts])
    idx = np.minimum(np.searchsorted(ends, km, side="left"), len(parts) - 1)
    return np.asarray([parts[i][0] for i in idx], dtype=object)


def _points(rows: pd.DataFrame, node_country: pd.Series) -> pd.DataFrame:
    """The points k = 0..n of every group of parallel rows, with station flags.

    Point 0 is the group's from-node, point n its to-node, 1..n-1 section points
    (``<group>.<k>``). Stations sit at the start of each section in the flow direction: at
    points 0..n-1 (forward) or n..1 (reverse); their outlet junction is ``<group>.<k>>``.
    Rows with 0 sourced stations have none, a crest point none. Interior points lie in the
    row's first country,
    or by distance along ``country_km``; their height is 0 except the point nearest to a
    sourced crest (``crest_m`` at ``crest_km``).
    """
    nodes = _nodes()
    g = rows.drop_duplicates("group").set_index("group")
    pts = g.loc[g.index.repeat(g["n"] + 1), ["id", "model_from_node", "model_to_node", "n",
                                            "operation", "country", "length", "country_km",
                                            "crest_m", "crest_km", "no_station"]]
    pts = pts.rename(columns={"id": "first_row"})
    pts["group"] = pts.index
    pts = pts.reset_index(drop=True)
    pts["k"] = pts.groupby("group").cumcount()
    pts["frac"] = pts["k"] / pts["n"]
    pts["km"] = pts["frac"] * pts["length"]
    start, end = pts["k"] == 0, pts["k"] == pts["n"]
    pts["junction"] = np.where(start, pts["model_from_node"],
                               np.where(end, pts["model_to_node"],
                                        pts["group"] + "." + pts["k"].astype(str)))
    lat, lon = _num(nodes["lat"]), _num(nodes["lon"])
    for col, coord in (("lat", lat), ("lon", lon)):
        a, b = pts["model_from_node"].map(coord), pts["model_to_node"].map(coord)
        pts[col] = a + pts["frac"] * (b - a)
    pts["pt_country"] = pts["country"]
    by_km = pts["country_km"] != ""
    for grp, sel in pts[by_km].groupby("group").groups.items():
        spec = str(pts.loc[sel[0], "country_km"])
        pts.loc[sel, "pt_country"] = _country_at(spec, pts.loc[sel, "km"].to_numpy(float))
        del grp
    pts.loc[start | end, "pt_country"] = pts.loc[start | end, "junction"].map(node_country)
    pts["height_m"] = _d("height_m")
    crest = pts["crest_m"] != ""
    if crest.any():
        dist = (pts["km"] - _num(pts["crest_km"])).abs().where(crest & ~start & ~end)
        best = dist.groupby(pts["group"]).transform("min")
        at = crest & dist.notna() & (dist == best)
        pts.loc[at, "height_m"] = _num(pts.loc[at, "crest_m"])
    pts["crest_point"] = pts["height_m"] != _d("height_m")
    fwd = pts["operation"] == "forward"
    rev = pts["operation"] == "reverse"
    pts["station"] = (((fwd & ~end) | (rev & ~start)) & ~pts["no_station"].astype(bool)
                      & ~pts["crest_point"])  # no station on a crest: the record's is at the start
    pts["outlet"] = np.where(pts["station"], pts["group"] + "." + pts["k"].astype(str) + ">", "")
    return pts
