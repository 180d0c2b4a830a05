"""Writer for GasLib XML (``.net`` network, ``.scn`` scenario): :func:`write_gaslib`.

The inverse of :func:`gasunion.io.gaslib.read_gaslib`, with the element names, namespaces and
units of the GasLib instances (Schmidt et al. 2017, *Data* 2(4):40; ``Gas.xsd``,
``Scenario.xsd``). Each junction is a node with its id (``source``, ``sink`` or ``innode``);
the sources and sinks (storages: sinks withdrawing ``-mass_flow_kg_s``) at one junction merge
into that node (:func:`_merge`, :func:`_combine`); each in-service branch is a ``pipe``,
``shortPipe``, ``resistor``, ``valve``, ``controlValve`` or ``compressorStation``; the gas data
the reader averages over the sources are written on every source node; the ``.scn`` holds the
set-points (``bound="both"``). Units: lengths km; diameters, roughness mm; heights m; flows
``1000m_cube_per_hour`` (normal m³/h at 0 °C, 1.01325 bar: ``Q = 3.6 m / rho_n``, ``m`` in
kg/s); pressures bar absolute in the ``.net``, ``barg`` (absolute − 1.01325 bar) in the
``.scn``; gas temperature Celsius. Numbers are the shortest decimals that read back to the same
double. What is lost or refused: :func:`write_gaslib` and ``docs/format.md`` (GasLib export).

The XML text is built from column-wise string lists (escaped with :mod:`xml.sax.saxutils`)
rather than with :mod:`xml.etree.ElementTree`, whose pure-Python serializer alone needs seconds
per 20,000 junctions.
"""

from __future__ import annotations

import math
import os
import re
import warnings
from datetime import date
from pathlib import Path
from typing import Any, NoReturn
from xml.sax.saxutils import escape

import numpy as np
import pandas as pd

from gasunion.errors import GasunionError, GasunionWarning
from gasunion.io.gaslib import GASLIB_CITATION
from gasunion.network import Network
from gasunion.physics.constants import P_NORMAL_PA, T_NORMAL_K
from gasunion.physics.gas import GasProperties

__all__ = ["GaslibExportError", "write_gaslib"]

PathLike = str | os.PathLike[str]
_Col = list[str | None]
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
#: Branch component -> GasLib element, and its children (after flowMin/flowMax).
_BRANCHES = {"pipes": "pipe", "short_pipes": "shortPipe", "resistors": "resistor", "valves": "valve",
             "control_valves": "controlValve", "compressors": "compressorStation"}
_P_IN_OUT = [("pressureInMin", "p_in_min_bar", "bar"), ("pressureOutMax", "p_out_max_bar", "bar")]
_CHILDREN: dict[str, list[tuple[str, str, str]]] = {
    "pipes": [("length", "length_km", "km"), ("diameter", "diameter_mm", "mm"),
              ("roughness", "roughness_mm", "mm"), ("pressureMax", "p_max_bar", "bar"),
              ("heatTransferCoefficient", "heat_transfer_w_m2k", "W_per_m_square_per_K")],
    "short_pipes": [],
    "resistors": [("dragFactor", "drag_factor", ""), ("diameter", "diameter_mm", "mm"),
                  ("pressureLoss", "pressure_loss_bar", "bar")],
    "valves": [("pressureDifferentialMax", "p_diff_max_bar", "bar")],
    "control_valves": [("pressureDifferentialMin", "p_diff_min_bar", "bar"),
                       ("pressureDifferentialMax", "p_diff_max_bar", "bar"), *_P_IN_OUT],
    "compressors": _P_IN_OUT,
}
_HEADER = ("GasLib XML written by gasunion (gasunion.io.gaslib_writer); format: Schmidt et al. "
           "(2017), GasLib - A Library of Gas Network Instances, Data 2(4):40.")
_SPECIAL = re.compile(r'[&<>"\n\r\t]')
_ATTR_ESC = {'"': "&quot;", "\n": "&#10;", "\r": "&#13;", "\t": "&#9;"}
_ROOT = ('<{tag} xmlns="http://gaslib.zib.de/Gas" xmlns:framework="http://gaslib.zib.de/Framework"'
         ' xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"'
         ' xsi:schemaLocation="http://gaslib.zib.de/Gas {xsd}">')


class GaslibExportError(GasunionError, ValueError):
    """The network holds something GasLib XML cannot represent; ``component``, ``element`` and
    ``field`` locate it."""

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

    def require(self, bad: Any, msg: str, comp: str, field: str | None = None) -> None:
        """Fail naming the elements ``bad`` (ids) if there are any."""
        if len(bad):
            self.fail(msg, comp, bad, field)

    def drop(self, msg: str, comp: str, ids: Any = None, field: str | None = None) -> None:
        """``ids=None``: the network as a whole (e.g. a gas property)."""
        if ids is not None and not len(ids):
            return
        if not self.lossy:
            self.fail(msg + "; pass drop_unsupported=True to drop it", comp,
                      () if ids is None else ids, field)
        self.lost.append(f"{comp} {field}: {msg}" + ("" if ids is None else f" ({len(ids)}x)"))


def _num(values: Any, offset: float = 0.0) -> _Col:
    """``values - offset`` as shortest round-trip decimals (None for NaN/±inf); with an offset,
    the value rounded to 9 decimals is taken if adding the offset back gives the same double."""
    a = np.asarray(values, dtype=float)
    if offset:
        c = a - offset
        r = np.round(c, 9)
        a = np.where(r + offset == a, r, c)
    return [repr(v) if math.isfinite(v) else None for v in a.tolist()]


def _text(values: Any) -> list[str]:
    """Text for XML attributes (escaped; only strings that need it are touched)."""
    out = list(map(str, values))
    if _SPECIAL.search("\x00".join(out)) is None:
        return out
    return [escape(v, _ATTR_ESC) if _SPECIAL.search(v) else v for v in out]


def _strs(values: Any) -> _Col:
    """Text for XML attributes (escaped), None for empty strings."""
    return [v or None for v in _text(values)]


def _elements(tags: str | list[str], ids: list[str], attrs: dict[str, _Col],
              children: list[tuple[str, _Col, str]], indent: str, extra: str = "") -> list[str]:
    """One XML element per id (already escaped) with attributes and ``<child value unit/>``
    children (None entries left out), indented as in the GasLib files."""
    tag_list = [tags] * len(ids) if isinstance(tags, str) else tags
    parts = [[f'{indent}<{t} id="{i}"' for t, i in zip(tag_list, ids, strict=True)]]
    parts += [[f' {k}="{v}"' if v is not None else "" for v in col] for k, col in attrs.items()]
    kids = [[f'\n{indent}  <{tag} value="{v}"{u}{extra}/>' if v is not None else "" for v in col]
            for tag, col, u in ((t, c, f' unit="{u}"' if u else "") for t, c, u in children)]
    heads = ["".join(p) for p in zip(*parts, strict=True)]
    bodies = ["".join(k) for k in zip(*kids, strict=True)] if kids else [""] * len(ids)
    return [f"{h}>{b}\n{indent}</{t}>" if b else f"{h}/>"
            for h, b, t in zip(heads, bodies, tag_list, strict=True)]


def _node_frames(net: Network, chk: _Check, jid: pd.Index) -> tuple[pd.DataFrame, pd.DataFrame]:
    """In-service sources and exits (sinks, storages as sinks) with columns junction, name,
    flow, p_set, fmin, fmax (kg/s, bar) and, for sources, the gas columns."""
    cols = ["junction", "name", "mass_flow_kg_s", "p_set_bar", "mass_flow_min_kg_s",
            "mass_flow_max_kg_s"]
    short = dict(zip(cols[2:], ["flow", "p_set", "fmin", "fmax"], strict=True))
    src = net.sources[net.sources["in_service"]][cols + _GAS_COLS].rename(columns=short)
    snk = net.sinks[net.sinks["in_service"]][cols].rename(columns=short)
    st = net.storages[net.storages["in_service"]]
    idle = int((st["mass_flow_kg_s"].to_numpy(float) == 0.0).sum())
    chk.lost += [f"storages: {idle} in-service storage(s) with zero flow not written"] * bool(idle)
    st = st[st["mass_flow_kg_s"].to_numpy(float) != 0.0]
    stores = pd.DataFrame({"junction": st["junction"], "name": st["name"],
                           "flow": -st["mass_flow_kg_s"], "p_set": np.nan,
                           "fmin": -st["withdrawal_max_kg_s"], "fmax": st["injection_max_kg_s"]})
    exits = pd.concat([snk, stores]) if len(stores) else snk
    for comp, df in (("sources", src), ("sinks", exits)):
        chk.require(df.index[~df["junction"].isin(jid)], "unknown junction", comp, "junction")
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

    bad = n.index[g["p_set"].nunique() > 1]
    chk.require(members(bad[0]) if len(bad) else [], f"junction {bad[:1].tolist()}: its {comp} "
                "have different pressure set-points", comp, "p_set_bar")
    out = pd.DataFrame({"name": g["name"].first(), "p_set": g["p_set"].first()})
    nflow = g["flow"].count()
    bad = n.index[(nflow > 0) & (nflow < n) & out["p_set"].isna()]
    chk.require(members(bad[0]) if len(bad) else [], f"junction {bad[:1].tolist()}: some of "
                f"its {comp} have a flow set-point, some not, and none a pressure set-point; "
                "GasLib has one node per junction, so they cannot be merged", comp,
                "mass_flow_kg_s")
    for c in ("flow", "fmin", "fmax"):  # at a pressure-set junction the flow is the slack's
        out[c] = g[c].sum(min_count=1).where(g[c].count() == n)
    for c in df.columns.intersection(_GAS_COLS):
        out[c] = g[c].mean()
    return out


def _combine(src: pd.DataFrame, ext: pd.DataFrame, chk: _Check) -> tuple[pd.DataFrame,
                                                                         pd.DataFrame]:
    """A junction with sources and sinks becomes one node: with a pressure set-point a source
    holding it (the flows there are the slack's), else the net injection N = sources - sinks as
    a source (N >= 0) or a sink withdrawing -N. Flow bounds are not carried over."""
    both = src.index.intersection(ext.index)
    if not len(both):
        return src, ext
    s, e = src.loc[both].copy(), ext.loc[both].copy()
    ps, pe = s["p_set"].to_numpy(float), e["p_set"].to_numpy(float)
    chk.require(both[np.isfinite(ps) & np.isfinite(pe) & (ps != pe)], "its source and sink "
                "have different pressure set-points", "junctions", "p_set_bar")
    p = np.where(np.isfinite(ps), ps, pe)
    inj = s["flow"].to_numpy(float) - e["flow"].to_numpy(float)
    chk.require(both[~np.isfinite(p) & ~np.isfinite(inj)], "has a source and a sink, no "
                "pressure set-point and not every flow set; a GasLib node is either a source or "
                "a sink", "junctions", "mass_flow_kg_s")
    s["p_set"], s["flow"], s["fmin"], s["fmax"] = p, np.where(np.isfinite(p), np.nan, inj), np.nan, np.nan
    e["p_set"], e["flow"], e["fmin"], e["fmax"] = np.nan, -inj, np.nan, np.nan
    as_src = np.isfinite(p) | (inj >= 0)
    return (pd.concat([src.drop(both), s[as_src]]),
            pd.concat([ext.drop(both), e[~as_src]]))


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
                         f"({read[col]!r}), which the reader takes", "sources", src.index[ok], col)
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
    seen: list[np.ndarray] = []
    kinds: list[str] = []
    for comp in _BRANCHES:
        df = net[comp][net[comp]["in_service"]]
        seen.append(df.index.to_numpy(dtype=object))
        kinds += [comp] * len(df)
        ends = ("from_junction", "to_junction", "fuel_junction")[:3 if comp == "compressors" else 2]
        for end in ends:
            bad = df.index[~df[end].isin(junctions) & (df[end] != "")]
            chk.require(bad, f"unknown junction {df.loc[bad[:1], end].tolist()}", comp, end)
    ids = pd.Index(np.concatenate(seen))
    dup = ids[ids.duplicated()][:1]
    if len(dup):
        holders = [k for k, i in zip(kinds, ids, strict=True) if i == dup[0]]
        chk.require(dup, "GasLib needs connection ids unique across all branch types, and "
                    f"{dup[0]!r} is the id of {' and '.join(holders)}: rename one in the "
                    "source network (GasLib connection ids share one name space)",
                    holders[-1], "id")
    p = net.pipes[net.pipes["in_service"]]
    need = p[["length_km", "diameter_mm"]].to_numpy(float)
    chk.require(p.index[~np.isfinite(need).all(axis=1)], "a GasLib pipe needs a finite "
                "length and diameter", "pipes", "length_km")
    chk.drop("fixed friction factors cannot be written (GasLib gives roughness only)", "pipes",
             p.index[np.isfinite(p["friction_factor"].to_numpy(float))], "friction_factor")
    chk.drop("loss coefficients cannot be written", "pipes",
             p.index[p["loss_coefficient"].to_numpy(float) != 0.0], "loss_coefficient")
    r = net.resistors[net.resistors["in_service"]]
    drag, dia, loss = (np.isfinite(r[c].to_numpy(float))
                       for c in ("drag_factor", "diameter_mm", "pressure_loss_bar"))
    chk.require(r.index[~(drag | loss) | (drag & ~dia)], "a GasLib resistor needs drag_factor "
                "with diameter_mm, or pressure_loss_bar", "resistors", "drag_factor")


def write_gaslib(net: Network, path: PathLike, scenario_path: PathLike | None = None, *,
                 drop_unsupported: bool = False) -> list[Path]:
    """Write ``net`` as a GasLib ``.net`` file and, if it has set-points, a ``.scn`` file.

    Parameters
    ----------
    net: the network (pressures absolute in bar, flows in kg/s, lengths km, diameters mm).
    path: the ``.net`` file.
    scenario_path: the ``.scn`` file (default: ``path`` with suffix ``.scn``); written when a
        source or sink has ``mass_flow_kg_s`` or ``p_set_bar``, or when given.
    drop_unsupported: drop ``owner``/``country``, pipe ``friction_factor``/``loss_coefficient``
        and gas properties GasLib cannot carry instead of raising (a warning lists them).

    Returns the files written; ``gasunion.io.read(path, scenario=scn)`` reads back an
    equivalent network. Dropped, as GasLib has no place for them: ``note``/``source``, junction
    ``kind``, source/sink/storage ids and names (read back as the junction's), storage volumes,
    out-of-service elements, non-finite values, compressor ratio limits and machine data,
    ``net.name``, most of ``meta``, and operating states (compressor/control-valve modes and
    set-points, closed valves: read back as ``bypass``/``open``; a
    :class:`~gasunion.errors.GasunionWarning` names them).

    Raises
    ------
    GaslibExportError: naming component, element and field: for ``owner``/``country``, pipe
        ``friction_factor``/``loss_coefficient`` and gas properties the sources cannot carry
        (unless ``drop_unsupported``); always for elements at one junction that cannot be
        merged, connection ids repeated across branch types, unknown junctions, and pipes or
        resistors without their required data.
    """
    chk = _Check(drop_unsupported)
    for comp, what in (("interconnections", "interconnection points"),
                       ("ownership", "ownership shares")):
        if len(net[comp]):
            chk.lost.append(f"{comp}: GasLib has no {what}; {len(net[comp])} row(s) not written")
    j = net.junctions
    jid = j.index.astype(str)
    for comp, df in net.iter_components():
        live = df if comp == "junctions" else df[df["in_service"]]
        for fld in ("owner", "country"):
            chk.drop(f"GasLib has no {fld}", comp, live.index[live[fld].to_numpy() != ""], fld)
    src, ext = _node_frames(net, chk, jid)
    src, ext = _combine(src, ext, chk)
    _branch_checks(net, chk, jid)
    gas_cols, rho_n = _gas(net, src, chk)
    for comp, col, keep in (("compressors", "mode", "bypass"), ("control_valves", "mode", "open"),
                            ("valves", "open", True)):
        n = int((net[comp][net[comp]["in_service"]][col].to_numpy() != keep).sum())
        chk.lost += [f"{comp} {col}: GasLib has no operating state; {n} element(s) read back as "
                     f"{keep!r}"] if n else []

    is_src, is_ext = jid.isin(src.index), jid.isin(ext.index)
    S, E = src.reindex(jid), ext.reindex(jid)
    pick = {c: np.where(is_src, S[c].to_numpy(float), E[c].to_numpy(float))
            for c in ("flow", "p_set", "fmin", "fmax")}
    flows = {c: _num(pick[c] * 3.6 / rho_n) for c in ("flow", "fmin", "fmax")}
    ids = _text(jid)
    children = [("height", _num(j["height_m"]), "m"), ("pressureMin", _num(j["p_min_bar"]), "bar"),
                ("pressureMax", _num(j["p_max_bar"]), "bar"),
                ("flowMin", flows["fmin"], _FLOW), ("flowMax", flows["fmax"], _FLOW)]
    pos = src.index.get_indexer(jid).tolist()
    children += [(tag, [gas_cols[col][k] if k >= 0 else None for k in pos], unit)
                 for tag, col, unit, _ in _GAS]
    nodes = _elements(np.where(is_src, "source", np.where(is_ext, "sink", "innode")).tolist(),
                      ids, {"alias": _strs(j["name"]), "x": _num(j["x"]), "y": _num(j["y"]),
                            "geoWGS84Lat": _num(j["lat"]), "geoWGS84Long": _num(j["lon"])},
                      children, "    ")
    conns = [line for comp, tag in _BRANCHES.items()
             for line in _branch_lines(net[comp][net[comp]["in_service"]], comp, tag, rho_n)]

    meta = net.meta
    info = {"title": meta.get("title") or net.name or Path(path).stem, "type": "gas",
            "date": meta.get("date") or date.today().isoformat(),
            "documentation": meta.get("documentation") or f"exported by gasunion from {net.name!r}"}
    licence = str(meta.get("licence") or "")
    header = [_HEADER] + ([f"Derived from GasLib data. Licence: {licence}", "Please cite: "
                           f"{meta.get('citation') or GASLIB_CITATION}"]
                          if "Creative Commons Attribution 3.0" in licence else [])
    written = [Path(path)]
    _write(written[0], header, "network", "Gas.xsd", [
        "  <framework:information>",
        *(f"    <framework:{k}>{escape(str(v))}</framework:{k}>" for k, v in info.items()),
        "  </framework:information>", "  <framework:nodes>", *nodes, "  </framework:nodes>",
        "  <framework:connections>", *conns, "  </framework:connections>"])

    has_set = (is_src | is_ext) & (np.isfinite(pick["flow"]) | np.isfinite(pick["p_set"]))
    if has_set.any() or scenario_path is not None:
        sel = np.flatnonzero(has_set)
        lines = _elements("node", [ids[k] for k in sel],
                          {"type": np.where(is_src, "entry", "exit")[sel].tolist()},
                          [("pressure", _num(pick["p_set"][sel], _BARG), "barg"),
                           ("flow", [flows["flow"][k] for k in sel], _FLOW)],
                          "    ", ' bound="both"')
        sid = escape(str(meta.get("scenario") or "nomination"), _ATTR_ESC)
        written.append(Path(scenario_path) if scenario_path is not None
                       else written[0].with_suffix(".scn"))
        _write(written[1], header, "boundaryValue", "Scenario.xsd",
               [f'  <scenario id="{sid}">', *lines, "  </scenario>"])
    if chk.lost:
        warnings.warn(f"GasLib export of {net.name!r} to {written[0].name}: not written: "
                      + "; ".join(chk.lost), GasunionWarning, stacklevel=2)
    return written


def _branch_lines(df: pd.DataFrame, comp: str, tag: str, rho_n: float) -> list[str]:
    """The XML elements of one branch table (flows converted with ``rho_n`` [kg/m³])."""
    if not len(df):
        return []
    kids = [("flowMin", _num(df["mass_flow_min_kg_s"].to_numpy(float) * 3.6 / rho_n), _FLOW),
            ("flowMax", _num(df["mass_flow_max_kg_s"].to_numpy(float) * 3.6 / rho_n), _FLOW)]
    kids += [(child, _num(df[col].to_numpy(float)), unit) for child, col, unit in _CHILDREN[comp]]
    attrs = {"alias": _strs(df["name"]), "from": _strs(df["from_junction"]),
             "to": _strs(df["to_junction"])}
    if comp == "compressors":
        attrs["fuelGasVertex"] = _strs(df["fuel_junction"])
    return _elements(tag, _text(df.index), attrs, kids, "    ")


def _write(path: Path, header: list[str], tag: str, xsd: str, lines: list[str]) -> None:
    comments = "".join(f"<!-- {h.replace('--', '- -')} -->\n" for h in header)
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(f'<?xml version="1.0" encoding="UTF-8"?>\n{comments}\n'
                 f'{_ROOT.format(tag=tag, xsd=xsd)}\n')
        fh.write("\n".join(lines))
        fh.write(f"\n</{tag}>\n")
