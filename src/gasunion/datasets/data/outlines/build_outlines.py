"""Build ``countries.geojson`` from world-atlas's Natural Earth TopoJSON (run by hand, once).

    npm pack world-atlas@2.0.2 && tar xzf world-atlas-2.0.2.tgz
    python build_outlines.py package/countries-50m.json package/countries-110m.json

Two layers (property ``scale``): ``50m`` -- the countries that reach into the Central Asia
region (:data:`REGION`) from the 1:50m file, clipped to the region and simplified
(Douglas-Peucker, :data:`TOLERANCE_50M` degrees); ``110m`` -- the whole world from the 1:110m
file, simplified more, for maps elsewhere. Coordinates are rounded to 0.01 degree.
Not part of the package's run time: gasunion only reads the result
(:mod:`gasunion.datasets.outlines`).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import numpy as np

REGION = (30.0, 22.0, 105.0, 62.0)  #: lon_min, lat_min, lon_max, lat_max
TOLERANCE_50M = 0.03
TOLERANCE_110M = 0.15
#: ISO 3166-1 numeric -> alpha-2 (the codes networks use in their ``country`` column)
ALPHA2 = {
    "004": "AF", "031": "AZ", "051": "AM", "112": "BY", "156": "CN", "268": "GE", "356": "IN",
    "364": "IR", "368": "IQ", "398": "KZ", "417": "KG", "496": "MN", "586": "PK", "643": "RU",
    "760": "SY", "762": "TJ", "792": "TR", "795": "TM", "804": "UA", "860": "UZ", "524": "NP",
    "144": "LK", "050": "BD", "064": "BT", "104": "MM", "682": "SA", "784": "AE", "512": "OM",
    "634": "QA", "048": "BH", "414": "KW", "400": "JO", "376": "IL", "422": "LB", "196": "CY",
    "428": "LV", "440": "LT", "233": "EE", "246": "FI", "578": "NO", "752": "SE", "616": "PL",
    "498": "MD", "642": "RO", "100": "BG", "300": "GR", "408": "KP", "410": "KR", "392": "JP",
    "818": "EG", "276": "DE", "250": "FR", "380": "IT", "724": "ES", "826": "GB", "840": "US",
}


def _arcs(topo: dict[str, Any]) -> list[np.ndarray]:
    sx, sy = topo["transform"]["scale"]
    tx, ty = topo["transform"]["translate"]
    out = []
    for arc in topo["arcs"]:
        a = np.cumsum(np.asarray(arc, dtype=float), axis=0)
        out.append(np.column_stack([a[:, 0] * sx + tx, a[:, 1] * sy + ty]))
    return out


def _ring(arcs: list[np.ndarray], idx: list[int]) -> np.ndarray:
    parts = []
    for k, i in enumerate(idx):
        a = arcs[i] if i >= 0 else arcs[~i][::-1]
        parts.append(a if k == 0 else a[1:])
    return np.concatenate(parts)


def _polygons(geom: dict[str, Any], arcs: list[np.ndarray]) -> list[list[np.ndarray]]:
    if geom["type"] == "Polygon":
        return [[_ring(arcs, r) for r in geom["arcs"]]]
    if geom["type"] == "MultiPolygon":
        return [[_ring(arcs, r) for r in p] for p in geom["arcs"]]
    return []


def _clip(ring: np.ndarray, box: tuple[float, float, float, float]) -> np.ndarray:
    """Sutherland-Hodgman clipping of a closed ring to a lon/lat box."""
    pts = [tuple(p) for p in ring]
    for axis, bound, keep_greater in ((0, box[0], True), (0, box[2], False),
                                      (1, box[1], True), (1, box[3], False)):
        if not pts:
            break
        out = []
        for k, cur in enumerate(pts):
            prev = pts[k - 1]
            cin = cur[axis] >= bound if keep_greater else cur[axis] <= bound
            pin = prev[axis] >= bound if keep_greater else prev[axis] <= bound
            if cin != pin:
                t = (bound - prev[axis]) / (cur[axis] - prev[axis])
                out.append((prev[0] + t * (cur[0] - prev[0]), prev[1] + t * (cur[1] - prev[1])))
            if cin:
                out.append(cur)
        pts = out
    return np.asarray(pts, dtype=float).reshape(-1, 2)


def _simplify(p: np.ndarray, tol: float) -> np.ndarray:
    """Douglas-Peucker (iterative)."""
    if len(p) < 4:
        return p
    keep = np.zeros(len(p), bool)
    keep[[0, -1]] = True
    stack = [(0, len(p) - 1)]
    while stack:
        i, j = stack.pop()
        if j <= i + 1:
            continue
        seg = p[j] - p[i]
        d = p[i + 1:j] - p[i]
        norm = np.hypot(*seg)
        dist = np.abs(seg[0] * d[:, 1] - seg[1] * d[:, 0]) / norm if norm > 0 else np.hypot(
            d[:, 0], d[:, 1])
        k = int(np.argmax(dist))
        if dist[k] > tol:
            keep[i + 1 + k] = True
            stack += [(i, i + 1 + k), (i + 1 + k, j)]
    return p[keep]


def _features(path: Path, tol: float, region: bool) -> list[dict[str, Any]]:
    topo = json.loads(path.read_text())
    arcs = _arcs(topo)
    feats = []
    for g in topo["objects"]["countries"]["geometries"]:
        polys = []
        for poly in _polygons(g, arcs):
            outer = poly[0]
            inside = ((outer[:, 0].max() >= REGION[0]) & (outer[:, 0].min() <= REGION[2])
                      & (outer[:, 1].max() >= REGION[1]) & (outer[:, 1].min() <= REGION[3]))
            if region and not inside:
                continue
            rings = []
            for r in poly:
                r = _clip(r, REGION) if region else r
                if len(r) < 4:
                    continue
                r = np.round(_simplify(r, tol), 2)
                r = r[np.r_[True, np.any(np.diff(r, axis=0) != 0, axis=1)]]
                if len(r) >= 4:
                    rings.append(r.tolist())
            if rings:
                polys.append(rings)
        if polys:
            code = str(g.get("id", ""))
            feats.append({"type": "Feature",
                          "properties": {"name": g["properties"]["name"], "iso_n3": code,
                                         "iso_a2": ALPHA2.get(code, ""),
                                         "scale": "50m" if region else "110m"},
                          "geometry": {"type": "MultiPolygon", "coordinates": polys}})
    return feats


def main(fifty: str, hundred_ten: str) -> None:
    feats = _features(Path(fifty), TOLERANCE_50M, True) + _features(
        Path(hundred_ten), TOLERANCE_110M, False)
    doc = {"type": "FeatureCollection",
           "source": "Natural Earth 4.1.0 admin-0 countries (public domain), via world-atlas "
                     "2.0.2 (ISC); see README.md", "features": feats}
    out = Path(__file__).with_name("countries.geojson")
    out.write_text(json.dumps(doc, separators=(",", ":")) + "\n")
    print(f"{out.name}: {len(feats)} features, {out.stat().st_size / 1024:.0f} kB")


if __name__ == "__main__":
    main(*sys.argv[1:3])
