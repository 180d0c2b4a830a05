"""Writer for GasLib XML (``.net`` network, ``.scn`` scenario): :func:`write_gaslib`.

The inverse of :func:`gasunion.io.gaslib.read_gaslib` (format: Schmidt et al. 2017, *Data*
2(4):40, and the GasLib schemas ``Gas.xsd``/``Scenario.xsd``); element names, namespaces and
units are those of the GasLib instances:

* every junction becomes a node, in table order: ``source`` if in-service sources sit on it,
  ``sink`` if in-service sinks (or storages with a non-zero flow) do, else ``innode``. The
  node id is the junction id, so the reader's source/sink takes the junction's id and alias.
  Several sources (or sinks) at one junction are merged: flow set-points and flow bounds are
  summed (a bound missing on one element leaves the merged bound open), the pressure set-point
  must agree, gas data are averaged. A storage is a sink withdrawing ``-mass_flow_kg_s`` with
  bounds ``[-withdrawal_max_kg_s, injection_max_kg_s]``;
* each in-service branch becomes ``pipe``, ``shortPipe``, ``resistor``, ``valve``,
  ``controlValve`` or ``compressorStation``;
* the gas data the reader averages over the sources (``gasTemperature``, ``calorificValue``,
  ``normDensity``, ``molarMass``, ``pseudocriticalPressure``/``Temperature``) are written on
  every source node: the source's own value, or the network's (``net.gas``) where none is set;
* the ``.scn`` gives each entry/exit with a set-point ``flow`` and/or ``pressure`` with
  ``bound="both"``.

Units: lengths km, diameters and roughness mm, heights m, flows ``1000m_cube_per_hour``
(normal m³/h at 0 °C and 1.01325 bar; ``Q = 3.6 m / rho_n`` with ``m`` in kg/s), pressures bar
absolute in the ``.net`` and ``barg`` (absolute − 1.01325 bar) in the ``.scn``, gas
temperature Celsius, pseudo-critical temperature K. Numbers are the shortest decimal that reads
back to the same double, so values without a unit change round-trip exactly; kg/s flows,
Celsius and barg values come back to within a few units in the last place.

Not representable, silently dropped: ``note``/``source`` (the reader writes its own), junction
``kind`` (read back as the node type), source/sink/storage ids and names (read back as the
junction's), storage volumes, out-of-service elements, infinite bounds, operating states
(compressor/control-valve modes and set-points, closed valves; read back as ``bypass``, ``open``
and open — a :class:`~gasunion.errors.GasunionWarning` names them), compressor machine data
(ratio limits, power, efficiency, drive, fuel model), and ``net.name``/``meta`` except title,
date and documentation. Raises :class:`GaslibExportError` for what would change the network
read back: ``owner``/``country``, pipe ``friction_factor``/``loss_coefficient``, gas properties
the sources cannot carry (with ``drop_unsupported=True`` these are dropped and warned about),
and always for a source and a sink at one junction, conflicting set-points at one junction,
duplicate connection ids, unknown junctions and incomplete pipes/resistors.
"""

from __future__ import annotations

import math
import os
import warnings
import xml.etree.ElementTree as ET
from datetime import date
from pathlib import Path
from typing import Any, NoReturn

import numpy as np
import pandas as pd

from gasunion.errors import GasunionError, GasunionWarning
from gasunion.io.gaslib import GASLIB_CITATION
from gasunion.network import Network
from gasunion.physics.constants import P_NORMAL_PA, T_NORMAL_K
from gasunion.physics.gas import GasProperties

__all__ = ["GaslibExportError", "write_gaslib"]

PathLike = str | os.PathLike[str]
_FLOW = "1000m_cube_per_hour"
_BARG = P_NORMAL_PA / 1e5  # 1.01325 bar
#: Source gas data: GasLib child, sources column (= GasProperties field), unit, offset.
_GAS = (("gasTemperature", "temperature_k", "Celsius", T_NORMAL_K),
        ("calorificValue", "calorific_value_mj_m3", "MJ_per_m_cube", 0.0),
        ("normDensity", "norm_density_kg_m3", "kg_per_m_cube", 0.0),
        ("molarMass", "molar_mass_kg_kmol", "kg_per_kmol", 0.0),
        ("pseudocriticalPressure", "p_pc_bar", "bar", 0.0),
        ("pseudocriticalTemperature", "t_pc_k", "K", 0.0))
_GAS_COLS = [g[1] for g in _GAS]
#: Branch component -> (GasLib tag, [(child, column, unit)]) after flowMin/flowMax.
_BRANCHES: dict[str, str] = {"pipes": "pipe", "short_pipes": "shortPipe", "resistors": "resistor",
                             "valves": "valve", "control_valves": "controlValve",
                             "compressors": "compressorStation"}
_CHILDREN: dict[str, list[tuple[str, str, str]]] = {
    "pipes": [("length", "length_km", "km"), ("diameter", "diameter_mm", "mm"),
              ("roughness", "roughness_mm", "mm"), ("pressureMax", "p_max_bar", "bar"),
              ("heatTransferCoefficient", "heat_transfer_w_m2k", "W_per_m_square_per_K")],
    "short_pipes": [],
    "resistors": [("dragFactor", "drag_factor", ""), ("diameter", "diameter_mm", "mm"),
                  ("pressureLoss", "pressure_loss_bar", "bar")],
    "valves": [("pressureDifferentialMax", "p_diff_max_bar", "bar")],
    "control_valves": [("pressureDifferentialMin", "p_diff_min_bar", "bar"),
                       ("pressureDifferentialMax", "p_diff_max_bar", "bar"),
                       ("pressureInMin", "p_in_min_bar", "bar"),
                       ("pressureOutMax", "p_out_max_bar", "bar")],
    "compressors": [("pressureInMin", "p_in_min_bar", "bar"),
                    ("pressureOutMax", "p_out_max_bar", "bar")],
}
_HEADER = ("GasLib XML network written by gasunion (gasunion.io.gaslib_writer). Format: "
           "Schmidt et al. (2017), GasLib - A Library of Gas Network Instances, Data 2(4):40.")
_Col = list[str | None]


class GaslibExportError(GasunionError, ValueError):
    """The network holds something GasLib XML cannot represent (names component, element
    and field: ``component``, ``element``, ``field`` attributes)."""

    def __init__(self, message: str, component: str | None = None, element: str | None = None,
                 field: str | None = None) -> None:
        where = " ".join(p for p in (component, None if element is None else repr(element),
                                     None if field is None else f"field {field!r}") if p)
        super().__init__(f"GasLib export, {where}: {message}" if where else
                         f"GasLib export: {message}")
        self.message, self.component, self.element, self.field = message, component, element, field


class _Check:
    """Raises for what GasLib cannot hold; with ``lossy`` the droppable things are listed."""

    def __init__(self, lossy: bool) -> None:
        self.lossy = lossy
        self.lost: list[str] = []

    def fail(self, msg: str, comp: str, ids: Any = (), field: str | None = None) -> NoReturn:
        ids = [str(i) for i in ids]
        more = f" (elements {', '.join(map(repr, ids[:5]))}{' ...' if len(ids) > 5 else ''})" \
            if len(ids) > 1 else ""
        raise GaslibExportError(msg + more, comp, ids[0] if ids else None, field)

    def drop(self, msg: str, comp: str, ids: Any = None, field: str | None = None) -> None:
        """``ids=None``: the network as a whole (e.g. a gas property)."""
        if ids is not None and not len(ids):
            return
        if not self.lossy:
            self.fail(msg + "; pass drop_unsupported=True to drop it", comp,
                      () if ids is None else ids, field)
        n = "" if ids is None else f" ({len(ids)} element(s))"
        self.lost.append(f"{comp} {field}: {msg}{n}")


def _num(values: Any, offset: float = 0.0) -> _Col:
    """``values - offset`` as shortest round-trip decimals (None for NaN/±inf); with an offset,
    a value rounded to 9 decimals is taken when adding the offset back gives the same double."""
    a = np.asarray(values, dtype=float)
    if offset:
        c = a - offset
        r = np.round(c, 9)
        a = np.where(r + offset == a, r, c)
    return [repr(v) if math.isfinite(v) else None for v in a.tolist()]


def _strs(values: Any) -> _Col:
    return [str(v) if v else None for v in (values.tolist() if hasattr(values, "tolist")
                                            else values)]


def _elements(parent: ET.Element, tags: str | list[str], ids: list[str], attrs: dict[str, _Col],
              children: list[tuple[str, _Col, str]], indent: str,
              extra: dict[str, str] | None = None) -> None:
    """One XML element per id with the given attributes and ``<child value unit/>`` children
    (plus ``extra`` attributes; None entries are left out), indented as in the GasLib files."""
    sub, names, cols = ET.SubElement, list(attrs), list(attrs.values())
    inner, close = "\n" + indent + "  ", "\n" + indent
    if ids and parent.text is None:
        parent.text = close
    for i, eid in enumerate(ids):
        a = {"id": eid}
        for k, col in zip(names, cols, strict=True):
            if col[i] is not None:
                a[k] = col[i]  # type: ignore[assignment]
        el = sub(parent, tags if isinstance(tags, str) else tags[i], a)
        el.tail = close
        last = None
        for ctag, col, unit in children:
            v = col[i]
            if v is not None:
                ca = {"value": v, "unit": unit} if unit else {"value": v}
                last = sub(el, ctag, {**ca, **extra} if extra else ca)
                last.tail = inner
        if last is not None:
            el.text = inner
            last.tail = close


def _node_frames(net: Network, chk: _Check) -> tuple[pd.DataFrame, pd.DataFrame]:
    """In-service sources and exits (sinks, storages as sinks) with columns junction, name,
    flow, p_set, fmin, fmax (kg/s, bar) and, for sources, the gas columns."""
    cols = ["junction", "name", "mass_flow_kg_s", "p_set_bar", "mass_flow_min_kg_s",
            "mass_flow_max_kg_s"]
    short = dict(zip(cols[2:], ["flow", "p_set", "fmin", "fmax"], strict=True))
    src = net.sources[net.sources["in_service"]][cols + _GAS_COLS].rename(columns=short)
    snk = net.sinks[net.sinks["in_service"]][cols].rename(columns=short)
    st = net.storages[net.storages["in_service"]]
    moving = st["mass_flow_kg_s"].to_numpy(float) != 0.0
    if (~moving).any():
        chk.lost.append(f"storages: {int((~moving).sum())} in-service storage(s) with zero flow "
                        "not written")
    st = st[moving]
    stores = pd.DataFrame({"junction": st["junction"], "name": st["name"],
                           "flow": -st["mass_flow_kg_s"], "p_set": np.nan,
                           "fmin": -st["withdrawal_max_kg_s"], "fmax": st["injection_max_kg_s"]})
    exits = pd.concat([snk, stores]) if len(stores) else snk
    return _merge(src, "sources", chk), _merge(exits, "sinks", chk)


def _merge(df: pd.DataFrame, comp: str, chk: _Check) -> pd.DataFrame:
    """One row per junction: flows and bounds summed, the common pressure set-point."""
    junction = df["junction"].astype(str)
    if not junction.duplicated().any():
        return df.set_index(junction).drop(columns="junction")
    g = df.groupby(junction, sort=False)
    n = g.size()

    def members(j: Any) -> Any:
        return df.index[junction.to_numpy() == j]

    nflow = g["flow"].count()
    bad = n.index[(nflow > 0) & (nflow < n)]
    if len(bad):
        chk.fail(f"junction {bad[0]!r}: some of its {comp} have a flow set-point, some not; "
                 "GasLib has one node per junction, so they cannot be merged", comp,
                 members(bad[0]), "mass_flow_kg_s")
    bad = n.index[g["p_set"].nunique() > 1]
    if len(bad):
        chk.fail(f"junction {bad[0]!r}: its {comp} have different pressure set-points", comp,
                 members(bad[0]), "p_set_bar")
    out = pd.DataFrame({"name": g["name"].first(), "p_set": g["p_set"].first()})
    for c in ("flow", "fmin", "fmax"):
        out[c] = g[c].sum(min_count=1).where(g[c].count() == n)
    for c in df.columns.intersection(_GAS_COLS):
        out[c] = g[c].mean()
    return out


def _gas(net: Network, src: pd.DataFrame, chk: _Check) -> tuple[dict[str, _Col], float]:
    """Per source node, the gas values to write (by column), and the normal density the reader
    will compute from them [kg/m³] (used to convert the flows)."""
    gas, default = net.gas, GasProperties()
    out: dict[str, _Col] = {}
    read: dict[str, Any] = {}
    for _, col, _, offset in _GAS:
        vals = src[col].to_numpy(float)
        ok = np.isfinite(vals)
        want = getattr(gas, col)
        if ok.any():
            read[col] = float(vals[ok].mean())
            if want is None or abs(read[col] - want) > 1e-9 * abs(want):
                chk.drop(f"net.gas.{col} = {want} is not the mean of the sources' values "
                         f"({read[col]!r}), which the reader takes", "sources", list(src.index[ok]), col)
        elif want is not None and len(vals):
            vals = np.full(len(vals), float(want))
            read[col] = float(want)
        elif want != getattr(default, col):
            chk.drop(f"net.gas.{col} = {want} needs a source to carry it", "gas", None, col)
        out[col] = _num(vals, offset)
    for fld in ("viscosity_pa_s", "kappa", "composition", "volume_reference_k"):
        if getattr(gas, fld) != getattr(default, fld):
            chk.drop(f"GasLib has no field for gas.{fld} (reads back as the default "
                     f"{getattr(default, fld)!r})", "gas", None, fld)
    return out, GasProperties(**read).rho_n


def _branch_checks(net: Network, chk: _Check, junctions: pd.Index) -> None:
    for comp, df in net.iter_components():
        if comp in ("junctions", "sources", "sinks", "storages"):
            continue
        df = df[df["in_service"]]
        for end in ("from_junction", "to_junction"):
            bad = df.index[~df[end].isin(junctions)]
            if len(bad):
                chk.fail(f"unknown junction {df.at[bad[0], end]!r}", comp, bad, end)
    p = net.pipes[net.pipes["in_service"]]
    need = p[["length_km", "diameter_mm"]].to_numpy(float)
    bad = p.index[~np.isfinite(need).all(axis=1)]
    if len(bad):
        chk.fail("a GasLib pipe needs a finite length and diameter", "pipes", bad, "length_km")
    chk.drop("fixed friction factors cannot be written (GasLib gives roughness only)", "pipes",
             p.index[np.isfinite(p["friction_factor"].to_numpy(float))], "friction_factor")
    chk.drop("loss coefficients cannot be written", "pipes",
             p.index[p["loss_coefficient"].to_numpy(float) != 0.0], "loss_coefficient")
    r = net.resistors[net.resistors["in_service"]]
    drag, dia, loss = (np.isfinite(r[c].to_numpy(float))
                       for c in ("drag_factor", "diameter_mm", "pressure_loss_bar"))
    bad = r.index[~(drag | loss) | (drag & ~dia)]
    if len(bad):
        chk.fail("a GasLib resistor needs drag_factor with diameter_mm, or pressure_loss_bar",
                 "resistors", bad, "drag_factor")


def write_gaslib(net: Network, path: PathLike, scenario_path: PathLike | None = None, *,
                 drop_unsupported: bool = False) -> list[Path]:
    """Write ``net`` as a GasLib ``.net`` file and, if it has set-points, a ``.scn`` file.

    Parameters
    ----------
    net: the network (pressures absolute in bar, flows in kg/s, lengths km, diameters mm).
    path: the ``.net`` file to write.
    scenario_path: the ``.scn`` file (default: ``path`` with suffix ``.scn``). Written when a
        source or sink has ``mass_flow_kg_s`` or ``p_set_bar``, or when given explicitly.
    drop_unsupported: drop ``owner``/``country``, pipe ``friction_factor``/
        ``loss_coefficient`` and gas properties GasLib cannot carry (with a warning) instead of
        raising.

    Returns the files written. ``gasunion.io.read(path, scenario=scn)`` gives back an
    equivalent network; see the module docstring for the units and for what is lost.

    Raises
    ------
    GaslibExportError: for data GasLib cannot represent, naming component, element and field.
    """
    chk = _Check(drop_unsupported)
    j = net.junctions
    jid = j.index.astype(str)
    for comp, df in net.iter_components():
        live = df if comp == "junctions" else df[df["in_service"]]
        for fld in ("owner", "country"):
            chk.drop(f"GasLib has no {fld}", comp, live.index[live[fld].to_numpy() != ""], fld)
    src, ext = _node_frames(net, chk)
    for comp, frame in (("sources", src), ("sinks", ext)):
        bad = frame.index.difference(jid)
        if len(bad):
            chk.fail(f"unknown junction {bad[0]!r}", comp, [], "junction")
    both = src.index.intersection(ext.index)
    if len(both):
        chk.fail(f"junction {both[0]!r} has both a source and a sink; a GasLib node is either",
                 "junctions", both)
    _branch_checks(net, chk, jid)
    gas_cols, rho_n = _gas(net, src, chk)
    S, E = src.reindex(jid), ext.reindex(jid)
    is_src, is_ext = jid.isin(src.index), jid.isin(ext.index)
    pick = {c: np.where(is_src, S[c].to_numpy(float), E[c].to_numpy(float))
            for c in ("flow", "p_set", "fmin", "fmax")}
    flows = {c: _num(pick[c] * 3.6 / rho_n) for c in ("flow", "fmin", "fmax")}

    # ---------------------------------------------------------------- .net
    meta = net.meta
    root = _root("network", "Gas.xsd")
    info = ET.SubElement(root, "framework:information")
    texts = {"title": meta.get("title") or net.name or Path(path).stem, "type": "gas",
             "date": meta.get("date") or date.today().isoformat(),
             "documentation": meta.get("documentation") or f"network {net.name!r} exported "
             "by gasunion"}
    info.text, info.tail = "\n    ", "\n  "
    for k, v in texts.items():
        ET.SubElement(info, f"framework:{k}").text = str(v)
        info[-1].tail = "\n    "
    info[-1].tail = "\n  "
    nodes = ET.SubElement(root, "framework:nodes")
    nodes.tail = "\n  "
    tags = np.where(is_src, "source", np.where(is_ext, "sink", "innode")).tolist()
    node_children = [("height", _num(j["height_m"]), "m"),
                     ("pressureMin", _num(j["p_min_bar"]), "bar"),
                     ("pressureMax", _num(j["p_max_bar"]), "bar"),
                     ("flowMin", flows["fmin"], _FLOW), ("flowMax", flows["fmax"], _FLOW)]
    src_pos = pd.Index(src.index).get_indexer(jid)
    for tag, col, unit, _ in _GAS:
        vals = gas_cols[col]
        node_children.append((tag, [vals[k] if k >= 0 else None for k in src_pos], unit))
    _elements(nodes, tags, list(jid), {
        "alias": _strs(j["name"]), "x": _num(j["x"]), "y": _num(j["y"]),
        "geoWGS84Lat": _num(j["lat"]), "geoWGS84Long": _num(j["lon"])},
        node_children, "    ")
    conns = ET.SubElement(root, "framework:connections")
    conns.tail = "\n"
    seen: list[pd.Index] = []
    for comp, tag in _BRANCHES.items():
        df = net[comp][net[comp]["in_service"]]
        seen.append(df.index)
        if not len(df):
            continue
        q = {c: _num(df[c].to_numpy(float)) for c in df.columns if df[c].dtype == float}
        kids = [("flowMin", _num(df["mass_flow_min_kg_s"].to_numpy(float) * 3.6 / rho_n), _FLOW),
                ("flowMax", _num(df["mass_flow_max_kg_s"].to_numpy(float) * 3.6 / rho_n), _FLOW)]
        kids += [(child, q[col], unit) for child, col, unit in _CHILDREN[comp]]
        attrs = {"alias": _strs(df["name"]), "from": _strs(df["from_junction"]),
                 "to": _strs(df["to_junction"])}
        if comp == "compressors":
            attrs["fuelGasVertex"] = _strs(df["fuel_junction"])
            bad = df.index[(df["fuel_junction"] != "") & ~df["fuel_junction"].isin(jid)]
            if len(bad):
                chk.fail("unknown fuel junction", comp, bad, "fuel_junction")
        _elements(conns, tag, list(df.index.astype(str)), attrs, kids, "    ")
    for box in (nodes, conns):
        if len(box):
            box[-1].tail = "\n  "
    ids = pd.Index(np.concatenate([s.to_numpy(dtype=object) for s in seen]))
    if ids.has_duplicates:
        dup = ids[ids.duplicated()][0]
        chk.fail("GasLib needs connection ids unique across all branch types", "branches", [dup])
    _operating_states(net, chk)

    written = [Path(path)]
    licence = str(meta.get("licence", ""))
    header = [_HEADER]
    if "Creative Commons Attribution 3.0" in licence:
        header += [f"Derived from GasLib data. Licence: {licence}",
                   f"Please cite: {meta.get('citation') or GASLIB_CITATION}"]
    _write(written[0], root, header)

    # ---------------------------------------------------------------- .scn
    has_set = (is_src | is_ext) & (np.isfinite(pick["flow"]) | np.isfinite(pick["p_set"]))
    if has_set.any() or scenario_path is not None:
        scn_path = Path(scenario_path) if scenario_path is not None else written[0].with_suffix(
            ".scn")
        bv = _root("boundaryValue", "Scenario.xsd")
        scn = ET.SubElement(bv, "scenario", {"id": str(meta.get("scenario") or "nomination")})
        scn.tail = "\n"
        sel = np.flatnonzero(has_set)
        _elements(scn, "node", list(jid[sel]), {"type": np.where(is_src, "entry", "exit")[
            sel].tolist()}, [("pressure", _num(pick["p_set"][sel], _BARG), "barg"),
                             ("flow", [flows["flow"][k] for k in sel], _FLOW)],
                  "    ", {"bound": "both"})
        if len(scn):
            scn[-1].tail = "\n  "
        _write(scn_path, bv, header)
        written.append(scn_path)
    if chk.lost:
        warnings.warn(f"GasLib export of {net.name!r} to {written[0].name}: not written: "
                      + "; ".join(chk.lost), GasunionWarning, stacklevel=2)
    return written


def _operating_states(net: Network, chk: _Check) -> None:
    """List operating states GasLib has no place for (they read back as bypass/open)."""
    for comp, col, keep in (("compressors", "mode", "bypass"), ("control_valves", "mode", "open"),
                            ("valves", "open", True)):
        df = net[comp][net[comp]["in_service"]]
        n = int((df[col].to_numpy() != keep).sum())
        if n:
            chk.lost.append(f"{comp}: {col} of {n} element(s) (GasLib has no operating state; "
                            f"read back as {keep!r})")


def _root(tag: str, xsd: str) -> ET.Element:
    el = ET.Element(tag, {
        "xmlns": "http://gaslib.zib.de/Gas", "xmlns:framework": "http://gaslib.zib.de/Framework",
        "xmlns:xsi": "http://www.w3.org/2001/XMLSchema-instance",
        "xsi:schemaLocation": f"http://gaslib.zib.de/Gas {xsd}"})
    el.text = "\n  "
    return el


def _write(path: Path, root: ET.Element, header: list[str]) -> None:
    comments = "".join(f"<!-- {h.replace('--', '- -')} -->\n" for h in header)
    body = ET.tostring(root, encoding="unicode")
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(f'<?xml version="1.0" encoding="UTF-8"?>\n{comments}\n{body}\n')
