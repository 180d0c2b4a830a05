"""GeoJSON export of a network (for maps: QGIS, Leaflet, geojson.io, ...).

A FeatureCollection with one ``Point`` feature per junction and one ``LineString`` feature
per branch (pipes, short pipes, resistors, valves, control valves, compressors) drawn straight
from its from-junction to its to-junction. Each feature's ``properties`` hold ``component``,
``id`` and every attribute of the element (NaN and infinities become ``null``), optionally
followed by simulation results prefixed ``res_``.

Coordinates: WGS84 ``[lon, lat]`` when every junction has finite ``lat`` and ``lon``;
otherwise, when the schematic ``x``/``y`` cover more junctions, those are used and the
collection carries a top-level ``"crs_note"`` saying the coordinates are schematic drawing
units, not WGS84. Features whose coordinates are unknown get ``"geometry": null``. Details
in ``docs/format.md``.
"""

from __future__ import annotations

import datetime as _dt
import json
import math
import os
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from gasunion.network.network import Network
from gasunion.network.schema import BRANCHES

SCHEMATIC_NOTE = (
    "coordinates are schematic drawing units (junction x/y), not WGS84 longitude/latitude"
)


def to_geojson(net: Network, results: Any = None) -> dict[str, Any]:
    """The network as a GeoJSON FeatureCollection (a dict ready for :func:`json.dumps`).

    ``results`` is optional: any object (or mapping) with attributes ``junctions`` and
    ``pipes`` (and optionally other branch components) holding DataFrames indexed by element
    id like the network tables; their columns are added to the features' properties with the
    prefix ``res_`` (``null`` for elements missing from the results).
    """
    j = net.junctions
    lon, lat = j["lon"].to_numpy(float), j["lat"].to_numpy(float)
    x, y = j["x"].to_numpy(float), j["y"].to_numpy(float)
    geo_ok = np.isfinite(lon) & np.isfinite(lat)
    sch_ok = np.isfinite(x) & np.isfinite(y)
    geographic = int(geo_ok.sum()) >= int(sch_ok.sum())  # ties (incl. all) -> WGS84
    if geographic:
        cx, cy, ok = lon, lat, geo_ok
    else:
        cx, cy, ok = x, y, sch_ok
    coords: dict[str, list[float]] = {
        str(jid): [float(cx[i]), float(cy[i])] for i, jid in enumerate(j.index) if ok[i]
    }

    features: list[dict[str, Any]] = []
    res_j = _result_table(results, "junctions")
    for jid, props in _records("junctions", j, res_j):
        c = coords.get(jid)
        geom = {"type": "Point", "coordinates": c} if c is not None else None
        features.append(_feature("junctions", jid, geom, props))
    for comp in BRANCHES:
        df = net[comp]
        if not len(df):
            continue
        res = _result_table(results, comp)
        for bid, props in _records(comp, df, res):
            a, b = coords.get(props["from_junction"]), coords.get(props["to_junction"])
            geom = (
                {"type": "LineString", "coordinates": [a, b]}
                if a is not None and b is not None
                else None
            )
            features.append(_feature(comp, bid, geom, props))

    out: dict[str, Any] = {"type": "FeatureCollection", "name": net.name}
    if not geographic:
        out["crs_note"] = SCHEMATIC_NOTE
    missing = len(j) - int(ok.sum())
    if missing:
        out["coordinates_note"] = (
            f"{missing} of {len(j)} junction(s) have no "
            f"{'lat/lon' if geographic else 'x/y'} coordinates; their features and those "
            "of the branches attached to them have a null geometry"
        )
    out["features"] = features
    return out


def write_geojson(net: Network, path: str | os.PathLike[str], results: Any = None) -> None:
    """Write :func:`to_geojson` of ``net`` (and ``results``) to ``path`` as UTF-8 JSON."""
    doc = to_geojson(net, results)
    text = json.dumps(doc, ensure_ascii=False, allow_nan=False)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates in some string: escape everything
        text = json.dumps(doc, ensure_ascii=True, allow_nan=False)
    with open(path, "w", encoding="utf-8", newline="\n") as fh:
        fh.write(text + "\n")


# ---------------------------------------------------------------------- helpers
def _result_table(results: Any, component: str) -> pd.DataFrame | None:
    if results is None:
        return None
    table = (results.get(component) if isinstance(results, Mapping)
             else getattr(results, component, None))
    if table is None:
        return None
    if not isinstance(table, pd.DataFrame):
        raise TypeError(
            f"results.{component} must be a pandas DataFrame, got {type(table).__name__}"
        )
    return table


def _records(
    component: str, df: pd.DataFrame, res: pd.DataFrame | None
) -> list[tuple[str, dict[str, Any]]]:
    cols = list(df.columns)
    arrays = [df[c].to_numpy() for c in cols]
    res_cols: list[str] = []
    res_arrays: list[np.ndarray] = []
    res_pos: pd.Series | None = None
    if res is not None and len(res.columns):
        if res.index.has_duplicates:
            raise ValueError(f"results.{component}: duplicate element ids in the index")
        res_index = res.index.astype(str)
        res_pos = pd.Series(np.arange(len(res)), index=res_index)
        res_cols = [str(c) for c in res.columns]
        res_arrays = [res.iloc[:, k].to_numpy() for k in range(res.shape[1])]
    out = []
    for i, eid in enumerate(df.index):
        sid = str(eid)
        props = {c: _jsonable(arr[i]) for c, arr in zip(cols, arrays, strict=True)}
        if res_pos is not None:
            k = res_pos.get(sid)
            for c, arr in zip(res_cols, res_arrays, strict=True):
                props[f"res_{c}"] = None if k is None else _jsonable(arr[int(k)])
        out.append((sid, props))
    return out


def _feature(
    component: str, eid: str, geometry: dict[str, Any] | None, props: dict[str, Any]
) -> dict[str, Any]:
    return {
        "type": "Feature",
        "id": f"{component}/{eid}",
        "geometry": geometry,
        "properties": {"component": component, "id": eid, **props},
    }


def _jsonable(v: Any) -> Any:
    """A plain JSON value: non-finite floats and missing values become ``None``."""
    if v is None or isinstance(v, str):
        return v
    if isinstance(v, bool | np.bool_):
        return bool(v)
    if isinstance(v, int | np.integer):
        return int(v)
    if isinstance(v, float | np.floating):
        f = float(v)
        return f if math.isfinite(f) else None
    if isinstance(v, pd.Timestamp | _dt.datetime | _dt.date):
        return None if pd.isna(v) else v.isoformat()
    if v is pd.NA or v is pd.NaT:
        return None
    return str(v)


__all__ = ["SCHEMATIC_NOTE", "to_geojson", "write_geojson"]
