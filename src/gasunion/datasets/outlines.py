"""Country outlines shipped with the package (Natural Earth, public domain; no download).

``data/outlines/countries.geojson`` holds two layers: ``50m`` (Central Asia and its
neighbours, lon 30-105 E, lat 22-62 N, clipped) and ``110m`` (the whole world, coarser); see
``data/outlines/README.md`` for source, version and licence.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import numpy as np

__all__ = ["REGION", "Outline", "country_outlines", "outlines_geojson"]

#: lon_min, lat_min, lon_max, lat_max of the detailed (1:50m) layer
REGION = (30.0, 22.0, 105.0, 62.0)


@dataclass(frozen=True)
class Outline:
    """One country: ``name``, ``iso_a2`` (may be empty), ``rings`` (lon/lat arrays; the first
    ring of each polygon is its outer ring) and ``polygons`` (ring counts per polygon)."""

    name: str
    iso_a2: str
    rings: tuple[np.ndarray, ...]
    polygons: tuple[int, ...]

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        xy = np.concatenate(self.rings)
        return (float(xy[:, 0].min()), float(xy[:, 1].min()), float(xy[:, 0].max()),
                float(xy[:, 1].max()))


@cache
def outlines_geojson() -> dict[str, Any]:
    """The shipped GeoJSON FeatureCollection (both layers; a shared object: do not modify)."""
    path = resources.files("gasunion.datasets").joinpath("data", "outlines", "countries.geojson")
    with path.open("r", encoding="utf-8") as fh:
        doc: dict[str, Any] = json.load(fh)
    return doc


def _inside(extent: tuple[float, float, float, float], box: tuple[float, float, float, float]
            ) -> bool:
    return (extent[0] >= box[0] and extent[1] >= box[1] and extent[2] <= box[2]
            and extent[3] <= box[3])


def _overlaps(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> bool:
    return a[0] <= b[2] and b[0] <= a[2] and a[1] <= b[3] and b[1] <= a[3]


def country_outlines(extent: tuple[float, float, float, float] | None = None) -> list[Outline]:
    """The countries overlapping ``extent`` (lon_min, lat_min, lon_max, lat_max; default the
    whole world): from the detailed layer when ``extent`` lies inside :data:`REGION`, else
    from the world layer."""
    scale = "50m" if extent is not None and _inside(extent, REGION) else "110m"
    out = []
    for f in outlines_geojson()["features"]:
        p = f["properties"]
        if p["scale"] != scale:
            continue
        polys = f["geometry"]["coordinates"]
        rings = tuple(np.asarray(r, dtype=float) for poly in polys for r in poly)
        o = Outline(p["name"], p["iso_a2"], rings, tuple(len(poly) for poly in polys))
        if extent is None or _overlaps(o.bounds, extent):
            out.append(o)
    return out
