"""Reader for GasLib XML instances (``.net`` network, ``.scn`` scenario, ``.cs`` stations).

GasLib (gaslib.zib.de) describes a network in three XML files (format: Schmidt et al. 2017,
*Data* 2(4):40, and the XML schemas ``Gas.xsd``, ``Scenario.xsd``, ``CompressorStations.xsd``
named in the files' headers). :func:`read_gaslib` maps them onto a
:class:`~gasunion.network.Network`:

* every node (``source``, ``sink``, ``innode``) becomes a ``junctions`` row; a source also gets a
  ``sources`` row and a sink a ``sinks`` row with the node's id;
* ``pipe``, ``shortPipe``, ``resistor``, ``valve``, ``controlValve`` and ``compressorStation``
  become rows of ``pipes``, ``short_pipes``, ``resistors``, ``valves``, ``control_valves`` and
  ``compressors``;
* the network's gas is the arithmetic mean over the sources of their gas data (as GasModels.jl
  does in ``src/io/gaslib.jl``); the per-source values stay in the ``sources`` table;
* flows in ``1000m_cube_per_hour`` (normal m³ at 0 °C, 1.01325 bar) become kg/s with the
  network's normal density: ``kg/s = rho_n * value / 3.6``;
* a scenario (``.scn``) fixes or bounds flows and pressures of entries/exits;
* a compressor-station file (``.cs``) is summarised in each compressor's ``note`` and sets its
  ``drive``.

Units are honoured as written (``bar``/``barg``/``Pa``, ``m``/``meter``/``km``/``mm``,
``Celsius``/``K``, ...); an unknown unit raises :class:`~gasunion.io.errors.InputFileError`
naming it. Every default or derived value is listed in ``net.meta["assumptions"]``.

Licence of the data: CC-BY 3.0; cite Schmidt et al. (2017), *Data* 2(4):40 and Pfetsch et al.
(2012), ZIB-Report 12-41 (see :data:`GASLIB_CITATION`).
"""

from __future__ import annotations

import math
import os
import xml.etree.ElementTree as ET
import xml.parsers.expat as expat
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from gasunion.io.errors import InputFileError
from gasunion.network import Network, NetworkError
from gasunion.network.schema import attributes
from gasunion.network.validation import islands, pressure_anchors, reference_candidates
from gasunion.physics.constants import P_NORMAL_PA
from gasunion.physics.gas import GasProperties

__all__ = [
    "GASLIB_CITATION",
    "GASLIB_LICENCE",
    "add_pressure_references",
    "read_gaslib",
]

PathLike = str | os.PathLike[str]

#: Citation the GasLib authors ask for (file headers and Schmidt et al. 2017).
GASLIB_CITATION = (
    "M. Schmidt, D. Aßmann, R. Burlacu, J. Humpola, I. Joormann, N. Kanelakis, T. Koch, "
    "D. Oucherif, M. E. Pfetsch, L. Schewe, R. Schwarz, M. Sirvent: GasLib - A Library of Gas "
    "Network Instances. Data 2(4):40, 2017, doi:10.3390/data2040040. "
    "M. E. Pfetsch et al.: Validation of Nominations in Gas Network Optimization: Models, "
    "Methods, and Solutions. ZIB-Report 12-41, 2012 (Optimization Methods & Software "
    "30(1):15-53, 2015)."
)
#: Licence of the GasLib data (header of every GasLib file).
GASLIB_LICENCE = (
    "Creative Commons Attribution 3.0 Unported (CC BY 3.0), "
    "https://creativecommons.org/licenses/by/3.0/. GasLib data (c) 2013 FAU Erlangen-Nuremberg, "
    "HU Berlin, LU Hannover, TU Darmstadt, University Duisburg-Essen, WIAS Berlin, Zuse "
    "Institute Berlin (BMWi project 0328006 'Technical Capacities of Gas Networks')."
)

_BAR_PER_ATM = P_NORMAL_PA / 1e5  # 1.01325 bar: gauge -> absolute

# ---------------------------------------------------------------------------- units
# unit -> (factor, offset): canonical = factor * value + offset
_UnitTable = dict[str, tuple[float, float]]
_LENGTH_M: _UnitTable = {
    "mm": (1e-3, 0.0), "cm": (1e-2, 0.0), "m": (1.0, 0.0), "meter": (1.0, 0.0),
    "metre": (1.0, 0.0), "km": (1e3, 0.0),
}


def _scaled(table: _UnitTable, divisor: float) -> _UnitTable:
    return {u: (f / divisor, o / divisor) for u, (f, o) in table.items()}


_PRESSURE_DIFF_BAR: _UnitTable = {
    "bar": (1.0, 0.0), "mbar": (1e-3, 0.0), "Pa": (1e-5, 0.0), "kPa": (1e-2, 0.0),
    "MPa": (10.0, 0.0),
}
#: Quantity kinds: canonical unit -> accepted units.
_UNITS: dict[str, _UnitTable] = {
    "pressure": {**_PRESSURE_DIFF_BAR, "barg": (1.0, _BAR_PER_ATM)},  # bar (absolute)
    "pressure_difference": _PRESSURE_DIFF_BAR,  # bar
    "flow": {  # 1000 normal m3/h
        "1000m_cube_per_hour": (1.0, 0.0), "m_cube_per_hour": (1e-3, 0.0),
        "m_cube_per_s": (3.6, 0.0),
    },
    "length_km": _scaled(_LENGTH_M, 1e3),
    "length_mm": _scaled(_LENGTH_M, 1e-3),
    "height_m": _LENGTH_M,
    "temperature": {"K": (1.0, 0.0), "Kelvin": (1.0, 0.0), "Celsius": (1.0, 273.15),
                    "C": (1.0, 273.15)},
    "calorific": {"MJ_per_m_cube": (1.0, 0.0), "kWh_per_m_cube": (3.6, 0.0)},
    "density": {"kg_per_m_cube": (1.0, 0.0)},
    "molar_mass": {"kg_per_kmol": (1.0, 0.0), "g_per_mol": (1.0, 0.0)},
    "htc": {"W_per_m_square_per_K": (1.0, 0.0)},
    "speed": {"per_min": (1.0, 0.0)},
    "dimensionless": {"": (1.0, 0.0), "1": (1.0, 0.0), "-": (1.0, 0.0)},
}
_CANONICAL = {
    "pressure": "bar", "pressure_difference": "bar", "flow": "1000m_cube_per_hour",
    "length_km": "km", "length_mm": "mm", "height_m": "m", "temperature": "K",
    "calorific": "MJ_per_m_cube", "density": "kg_per_m_cube", "molar_mass": "kg_per_kmol",
    "htc": "W_per_m_square_per_K", "speed": "per_min", "dimensionless": "",
}
#: Units assumed when a quantity is written without one (recorded in the assumptions).
_DEFAULT_UNIT = {"height_m": "m"}

#: Child element (GasLib quantity) -> kind.
_QUANTITY: dict[str, str] = {
    "height": "height_m",
    "pressureMin": "pressure", "pressureMax": "pressure",
    "flowMin": "flow", "flowMax": "flow", "flow": "flow",
    "pressure": "pressure",
    "gasTemperature": "temperature", "soilTemperature": "temperature",
    "calorificValue": "calorific", "normDensity": "density", "molarMass": "molar_mass",
    "pseudocriticalPressure": "pressure", "pseudocriticalTemperature": "temperature",
    "coefficient-A-heatCapacity": "dimensionless",
    "coefficient-B-heatCapacity": "dimensionless",
    "coefficient-C-heatCapacity": "dimensionless",
    "length": "length_km", "diameter": "length_mm", "roughness": "length_mm",
    "heatTransferCoefficient": "htc",
    "dragFactor": "dimensionless", "dragFactorIn": "dimensionless",
    "dragFactorOut": "dimensionless",
    "diameterIn": "length_mm", "diameterOut": "length_mm",
    "pressureLoss": "pressure_difference",
    "pressureLossIn": "pressure_difference", "pressureLossOut": "pressure_difference",
    "pressureDifferentialMin": "pressure_difference",
    "pressureDifferentialMax": "pressure_difference",
    "pressureInMin": "pressure", "pressureOutMax": "pressure",
    "speedMin": "speed", "speedMax": "speed",
}

_NODE_KINDS = ("source", "sink", "innode")
_CONNECTION_COMPONENT = {
    "pipe": "pipes",
    "shortPipe": "short_pipes",
    "resistor": "resistors",
    "valve": "valves",
    "controlValve": "control_valves",
    "compressorStation": "compressors",
}
#: Source gas data: GasLib child -> sources column.
_SOURCE_GAS = {
    "gasTemperature": "temperature_k",
    "calorificValue": "calorific_value_mj_m3",
    "normDensity": "norm_density_kg_m3",
    "molarMass": "molar_mass_kg_kmol",
    "pseudocriticalPressure": "p_pc_bar",
    "pseudocriticalTemperature": "t_pc_k",
}
#: sources column -> GasProperties field (network gas = mean over the sources).
_GAS_FIELDS = {
    "molar_mass_kg_kmol": "molar_mass_kg_kmol",
    "temperature_k": "temperature_k",
    "p_pc_bar": "p_pc_bar",
    "t_pc_k": "t_pc_k",
    "calorific_value_mj_m3": "calorific_value_mj_m3",
    "norm_density_kg_m3": "norm_density_kg_m3",
}
_DRIVES = {"gasTurbine": "gas", "gasDrivenMotor": "gas", "electricMotor": "electric"}
_FLOW_COLUMNS = ("mass_flow_kg_s", "mass_flow_min_kg_s", "mass_flow_max_kg_s")


# ---------------------------------------------------------------------------- XML with lines
@dataclass
class _Doc:
    """A parsed XML file: the tree (namespaces stripped) and the line of every element."""

    path: PathLike
    root: ET.Element
    lines: dict[int, int]
    comments: list[str]

    @property
    def name(self) -> str:
        return Path(self.path).name

    def line(self, el: ET.Element | None) -> int | None:
        return None if el is None else self.lines.get(id(el))

    def error(self, message: str, el: ET.Element | None = None, *, kind: str | None = None,
              element: str | None = None, field: str | None = None) -> InputFileError:
        return InputFileError(message, path=self.path, line=self.line(el), element=element,
                              field=field, kind=kind)

    def where(self, el: ET.Element) -> str:
        line = self.line(el)
        return f"{self.name}:{line}" if line is not None else self.name


def _local(name: str) -> str:
    return name.rsplit("}", 1)[-1].rsplit(":", 1)[-1]


def _parse_xml(path: PathLike) -> _Doc:
    """Parse with expat so that every element keeps its line number."""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise InputFileError(f"cannot read file: {exc.strerror or exc}", path=path) from None
    builder = ET.TreeBuilder()
    lines: dict[int, int] = {}
    comments: list[str] = []
    parser = expat.ParserCreate(namespace_separator="}")
    parser.buffer_text = True

    def start(name: str, attrs: dict[str, str]) -> None:
        el = builder.start(_local(name), {_local(k): v for k, v in attrs.items()})
        lines[id(el)] = parser.CurrentLineNumber

    def end(name: str) -> None:
        builder.end(_local(name))

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = builder.data
    parser.CommentHandler = comments.append
    try:
        parser.Parse(data, True)
    except expat.ExpatError as exc:
        raise InputFileError(
            f"not a well-formed XML file: {expat.ErrorString(exc.code)} (column {exc.offset})",
            path=path, line=exc.lineno) from None
    root = builder.close()
    return _Doc(path, root, lines, comments)


# ---------------------------------------------------------------------------- quantities
def _number(doc: _Doc, el: ET.Element, text: str | None, *, kind: str, element: str | None,
            field: str) -> float:
    if text is None:
        raise doc.error("missing attribute 'value'", el, kind=kind, element=element, field=field)
    try:
        v = float(text)
    except ValueError:
        raise doc.error(f"not a number: {text!r}", el, kind=kind, element=element,
                        field=field) from None
    if not math.isfinite(v):
        raise doc.error(f"not a finite number: {text!r}", el, kind=kind, element=element,
                        field=field)
    return v


@dataclass
class _Quantity:
    value: float  # in the canonical unit of its kind
    raw: str
    unit: str
    line: int | None


@dataclass
class _Element:
    """One GasLib node or connection: attributes, quantities (canonical units), line."""

    doc: _Doc
    el: ET.Element
    kind: str  # GasLib tag, e.g. "pipe"
    id: str
    q: dict[str, _Quantity] = field(default_factory=dict)
    unknown_children: list[str] = field(default_factory=list)

    def error(self, message: str, field: str | None = None,
              el: ET.Element | None = None) -> InputFileError:
        return self.doc.error(message, el if el is not None else self.el, kind=self.kind,
                              element=self.id, field=field)

    def get(self, name: str, required: bool = False) -> float:
        if name in self.q:
            return self.q[name].value
        if required:
            raise self.error(f"missing required <{name}>", field=name)
        return math.nan

    def attr(self, name: str, required: bool = False) -> str | None:
        v = self.el.get(name)
        if v is None and required:
            raise self.error(f"missing required attribute {name!r}", field=name)
        return v

    def attr_float(self, name: str) -> float:
        v = self.el.get(name)
        if v is None or v.strip() == "":
            return math.nan
        return _number(self.doc, self.el, v, kind=self.kind, element=self.id, field=name)


def _convert(doc: _Doc, el: ET.Element, *, qkind: str, value: float, raw: str,
             unit: str | None, kind: str, element: str | None, field: str,
             assumptions: _Assumptions) -> tuple[float, str]:
    table = _UNITS[qkind]
    if unit is None:
        if qkind == "dimensionless":
            unit = ""
        elif qkind in _DEFAULT_UNIT:
            unit = _DEFAULT_UNIT[qkind]
            assumptions.count(
                f"{doc.name}: <{field}> without a unit read as {unit!r}", f"{kind} {element!r}")
        else:
            raise doc.error(f"missing unit (expected one of {', '.join(sorted(table))})", el,
                            kind=kind, element=element, field=field)
    if unit not in table:
        if qkind == "pressure_difference" and unit == "barg":
            raise doc.error("unit 'barg' (gauge) is meaningless for a pressure difference", el,
                            kind=kind, element=element, field=field)
        expected = ", ".join(repr(u) for u in table if u) or "none"
        raise doc.error(f"unknown unit {unit!r} for {field} (expected {expected})", el,
                        kind=kind, element=element, field=field)
    factor, offset = table[unit]
    return factor * value + offset, unit


def _read_element(doc: _Doc, el: ET.Element, kind: str, assumptions: _Assumptions) -> _Element:
    eid = el.get("id")
    if eid is None or eid.strip() == "":
        raise doc.error("missing required attribute 'id'", el, kind=kind, field="id")
    item = _Element(doc, el, kind, eid)
    for child in el:
        name = child.tag
        if name not in _QUANTITY:
            item.unknown_children.append(name)
            continue
        if name in item.q:
            raise item.error(f"<{name}> given twice (first on line {item.q[name].line})",
                             field=name, el=child)
        raw = child.get("value")
        v = _number(doc, child, raw, kind=kind, element=eid, field=name)
        value, unit = _convert(doc, child, qkind=_QUANTITY[name], value=v, raw=str(raw),
                               unit=child.get("unit"), kind=kind, element=eid, field=name,
                               assumptions=assumptions)
        item.q[name] = _Quantity(value, str(raw), unit, doc.line(child))
    return item


# ---------------------------------------------------------------------------- bookkeeping
class _Assumptions:
    """Ordered, de-duplicated assumption texts; repeated ones are counted."""

    def __init__(self) -> None:
        self._items: dict[str, list[str]] = {}

    def add(self, text: str) -> None:
        self._items.setdefault(text, [])

    def count(self, text: str, who: str) -> None:
        self._items.setdefault(text, []).append(who)

    def extend(self, texts: Iterable[str]) -> None:
        for t in texts:
            self.add(t)

    def as_list(self) -> list[str]:
        out = []
        for text, who in self._items.items():
            if not who:
                out.append(text)
            else:
                shown = ", ".join(who[:5]) + (f" and {len(who) - 5} more" if len(who) > 5 else "")
                out.append(f"{text} ({len(who)}x: {shown})")
        return out


class _Rows:
    """Rows of one component table, by id, in file order."""

    def __init__(self) -> None:
        self.rows: dict[str, dict[str, Any]] = {}
        self.notes: dict[str, list[str]] = {}
        self.lines: dict[str, int | None] = {}

    def add(self, eid: str, line: int | None, **cols: Any) -> dict[str, Any]:
        self.rows[eid] = dict(cols)
        self.notes[eid] = []
        self.lines[eid] = line
        return self.rows[eid]

    def note(self, eid: str, text: str) -> None:
        self.notes[eid].append(text)

    def frame(self) -> pd.DataFrame:
        records = []
        for eid, row in self.rows.items():
            r = dict(row)
            r["note"] = "; ".join(self.notes[eid])
            records.append(r)
        return pd.DataFrame.from_records(records, index=pd.Index(list(self.rows), name="id"))


def _fmt(v: float) -> str:
    return f"{v:.6g}"


def _q_text(item: _Element, name: str) -> str:
    q = item.q[name]
    unit = f" {q.unit}" if q.unit else ""
    return f"{name} = {q.raw}{unit}"


# ---------------------------------------------------------------------------- .net
@dataclass
class _NetData:
    tables: dict[str, _Rows]
    node_kind: dict[str, str]  # node id -> source/sink/innode
    connection_kind: dict[str, str]  # connection id -> GasLib tag
    title: str
    date: str
    documentation: str


def _text(el: ET.Element | None) -> str:
    return "" if el is None or el.text is None else el.text.strip()


def _find(el: ET.Element, tag: str) -> ET.Element | None:
    for child in el:
        if child.tag == tag:
            return child
    return None


def _read_net(doc: _Doc, A: _Assumptions) -> _NetData:
    root = doc.root
    if root.tag != "network":
        raise doc.error(f"not a GasLib network file: root element is <{root.tag}>, expected "
                        "<network>", root)
    info = _find(root, "information")
    nodes = _find(root, "nodes")
    conns = _find(root, "connections")
    if nodes is None:
        raise doc.error("no <framework:nodes> section", root)
    comps = ("junctions", "sources", "sinks", *_CONNECTION_COMPONENT.values())
    tables = {c: _Rows() for c in comps}
    node_kind: dict[str, str] = {}
    node_line: dict[str, int | None] = {}
    where = doc.where

    for el in nodes:
        if el.tag not in _NODE_KINDS:
            raise doc.error(f"unknown node type <{el.tag}> (expected one of "
                            f"{', '.join(_NODE_KINDS)})", el, kind=el.tag, element=el.get("id"))
        item = _read_element(doc, el, el.tag, A)
        if item.id in node_kind:
            raise item.error(f"duplicate node id (first defined on line {node_line[item.id]})",
                             field="id")
        node_kind[item.id] = el.tag
        node_line[item.id] = doc.line(el)
        lat, lon = item.attr_float("geoWGS84Lat"), item.attr_float("geoWGS84Long")
        j = tables["junctions"].add(
            item.id, doc.line(el),
            name=item.attr("alias") or "", x=item.attr_float("x"), y=item.attr_float("y"),
            lat=lat, lon=lon, height_m=item.get("height"),
            p_min_bar=item.get("pressureMin"), p_max_bar=item.get("pressureMax"),
            kind=el.tag, source=where(el))
        if math.isnan(j["height_m"]):
            j["height_m"] = 0.0
            A.count(f"{doc.name}: node without <height>: height_m = 0 m", f"{el.tag} {item.id!r}")
        if el.tag == "source":
            row = tables["sources"].add(
                item.id, doc.line(el), junction=item.id, name=item.attr("alias") or "",
                mass_flow_min_kg_s=item.get("flowMin"), mass_flow_max_kg_s=item.get("flowMax"),
                source=where(el))
            for child, col in _SOURCE_GAS.items():
                row[col] = item.get(child)
            coeffs = [n for n in ("coefficient-A-heatCapacity", "coefficient-B-heatCapacity",
                                  "coefficient-C-heatCapacity") if n in item.q]
            if coeffs:
                tables["sources"].note(
                    item.id, "heat capacity c_p(T) coefficients (not used): "
                    + ", ".join(f"{n.split('-')[1]} = {item.q[n].raw}" for n in coeffs))
        elif el.tag == "sink":
            tables["sinks"].add(
                item.id, doc.line(el), junction=item.id, name=item.attr("alias") or "",
                mass_flow_min_kg_s=item.get("flowMin"), mass_flow_max_kg_s=item.get("flowMax"),
                source=where(el))
        if item.unknown_children:
            tables["junctions"].note(item.id, "ignored: " + ", ".join(
                f"<{c}>" for c in item.unknown_children))
            A.count(f"{doc.name}: unrecognised child elements ignored", f"{el.tag} {item.id!r}")

    connection_kind: dict[str, str] = {}
    connection_line: dict[str, int | None] = {}
    for el in [] if conns is None else list(conns):
        if el.tag not in _CONNECTION_COMPONENT:
            raise doc.error(f"unknown connection type <{el.tag}> (expected one of "
                            f"{', '.join(_CONNECTION_COMPONENT)})", el, kind=el.tag,
                            element=el.get("id"))
        item = _read_element(doc, el, el.tag, A)
        if item.id in connection_kind:
            raise item.error("duplicate connection id (first defined on line "
                             f"{connection_line[item.id]})", field="id")
        connection_kind[item.id] = el.tag
        connection_line[item.id] = doc.line(el)
        ends = {}
        for end in ("from", "to"):
            ref = item.attr(end, required=True)
            assert ref is not None
            if ref not in node_kind:
                raise item.error(f"unknown node {ref!r}", field=end)
            ends[end] = ref
        comp = _CONNECTION_COMPONENT[el.tag]
        rows = tables[comp]
        common = dict(from_junction=ends["from"], to_junction=ends["to"],
                      name=item.attr("alias") or "", mass_flow_min_kg_s=item.get("flowMin"),
                      mass_flow_max_kg_s=item.get("flowMax"), source=where(el))
        if el.tag == "pipe":
            rows.add(item.id, doc.line(el), **common,
                     length_km=item.get("length", required=True),
                     diameter_mm=item.get("diameter", required=True),
                     roughness_mm=item.get("roughness"), p_max_bar=item.get("pressureMax"),
                     heat_transfer_w_m2k=item.get("heatTransferCoefficient"))
            if "roughness" not in item.q:
                rows.rows[item.id]["roughness_mm"] = attributes("pipes")["roughness_mm"].default
                A.count(f"{doc.name}: pipe without <roughness>: schema default roughness_mm",
                        f"pipe {item.id!r}")
            if "pressureMin" in item.q:
                rows.note(item.id, _q_text(item, "pressureMin") + " (not in the schema)")
        elif el.tag == "shortPipe":
            rows.add(item.id, doc.line(el), **common)
        elif el.tag == "resistor":
            has_drag, has_loss = "dragFactor" in item.q, "pressureLoss" in item.q
            if not has_drag and not has_loss:
                raise item.error("a resistor needs <dragFactor> (with <diameter>) or "
                                 "<pressureLoss>", field="dragFactor")
            rows.add(item.id, doc.line(el), **common,
                     drag_factor=item.get("dragFactor"),
                     diameter_mm=item.get("diameter", required=has_drag),
                     pressure_loss_bar=item.get("pressureLoss"))
        elif el.tag == "valve":
            rows.add(item.id, doc.line(el), **common, open=True,
                     p_diff_max_bar=item.get("pressureDifferentialMax"))
            A.add("valves: GasLib gives no valve state; every valve is open (open=True)")
        elif el.tag == "controlValve":
            rows.add(item.id, doc.line(el), **common, mode="open",
                     p_in_min_bar=item.get("pressureInMin"),
                     p_out_max_bar=item.get("pressureOutMax"),
                     p_diff_min_bar=item.get("pressureDifferentialMin"),
                     p_diff_max_bar=item.get("pressureDifferentialMax"))
            A.add("control valves: GasLib gives no operating state; every control valve is in "
                  "mode 'open' (no pressure regulation)")
            _note_station_extras(item, rows, ("gasPreheaterExisting", "internalBypassRequired"))
        else:  # compressorStation
            pin, pout = item.get("pressureInMin"), item.get("pressureOutMax")
            row = rows.add(item.id, doc.line(el), **common, mode="bypass", ratio_min=1.0,
                           p_in_min_bar=pin, p_out_max_bar=pout)
            A.add("compressors: GasLib gives no operating state; every compressor station is in "
                  "mode 'bypass' with ratio_min = 1")
            if math.isfinite(pin) and math.isfinite(pout) and pin > 0 and pout / pin >= 1.0:
                row["ratio_max"] = pout / pin
                rows.note(item.id, f"ratio_max = pressureOutMax/pressureInMin = {_fmt(pout)}/"
                          f"{_fmt(pin)} bar (derived bound, not a machine limit)")
                A.add("compressors: ratio_max derived as pressureOutMax / pressureInMin where "
                      "both are given (a bound implied by the pressure limits, not a machine "
                      "limit)")
            else:
                rows.note(item.id, "ratio_max not derivable from pressureInMin/pressureOutMax")
            fuel = item.attr("fuelGasVertex")
            if fuel:
                if fuel not in node_kind:
                    raise item.error(f"unknown node {fuel!r}", field="fuelGasVertex")
                row["fuel_junction"] = fuel
            _note_station_extras(item, rows, ("gasCoolerExisting", "internalBypassRequired"))
        if item.unknown_children:
            rows.note(item.id, "ignored: " + ", ".join(f"<{c}>" for c in item.unknown_children))
            A.count(f"{doc.name}: unrecognised child elements ignored", f"{el.tag} {item.id!r}")
    return _NetData(
        tables, node_kind, connection_kind,
        title=_text(_find(info, "title")) if info is not None else "",
        date=_text(_find(info, "date")) if info is not None else "",
        documentation=_text(_find(info, "documentation")) if info is not None else "",
    )


def _note_station_extras(item: _Element, rows: _Rows, attrs: tuple[str, ...]) -> None:
    """Keep what the schema has no column for (non-zero losses, drag, flags) in the note."""
    for name in ("pressureLossIn", "pressureLossOut", "dragFactorIn", "dragFactorOut"):
        if name in item.q and item.q[name].value != 0.0:
            rows.note(item.id, _q_text(item, name) + " (not modelled)")
    for name in ("diameterIn", "diameterOut"):
        if name in item.q:
            rows.note(item.id, _q_text(item, name))
    flags = [f"{a}={item.el.get(a)}" for a in attrs if item.el.get(a) is not None]
    if flags:
        rows.note(item.id, ", ".join(flags))


# ---------------------------------------------------------------------------- .scn
def _apply_scenario(doc: _Doc, net: _NetData, A: _Assumptions) -> str:
    root = doc.root
    if root.tag != "boundaryValue":
        raise doc.error(f"not a GasLib scenario file: root element is <{root.tag}>, expected "
                        "<boundaryValue>", root)
    scenarios = [el for el in root if el.tag == "scenario"]
    if not scenarios:
        raise doc.error("no <scenario> element", root)
    if len(scenarios) > 1:
        A.add(f"{doc.name}: {len(scenarios)} scenarios in the file; only the first "
              f"({scenarios[0].get('id')!r}) is used")
    scn = scenarios[0]
    sid = scn.get("id") or ""
    tag = f"scenario {sid!r}" if sid else "scenario"
    T = net.tables
    seen: dict[str, int | None] = {}
    for el in scn:
        eid = el.get("id")
        if el.tag != "node":
            comp = _CONNECTION_COMPONENT.get(el.tag)
            if comp is None:
                raise doc.error(f"unknown scenario element <{el.tag}>", el, kind=el.tag,
                                element=eid)
            if eid is None or eid not in T[comp].rows:
                raise doc.error(f"{el.tag} {eid!r} is not in the network", el, kind=el.tag,
                                element=eid, field="id")
            for child in el:
                _scenario_quantity(doc, child, el.tag, eid, A)  # checks value and unit
                unit = f" {child.get('unit')}" if child.get("unit") else ""
                T[comp].note(eid, f"{tag}: {child.tag} = {child.get('value')}{unit} (not used "
                             "by the isothermal model)")
                A.count(f"{doc.name}: per-connection scenario data (e.g. soilTemperature) kept "
                        "in the note only", f"{el.tag} {eid!r}")
            continue
        if eid is None:
            raise doc.error("missing required attribute 'id'", el, kind="node", field="id")
        if eid not in net.node_kind:
            raise doc.error(f"node {eid!r} is not in the network", el, kind="node", element=eid,
                            field="id")
        if eid in seen:
            raise doc.error(f"node given twice in the scenario (first on line {seen[eid]})", el,
                            kind="node", element=eid, field="id")
        seen[eid] = doc.line(el)
        nkind = net.node_kind[eid]
        stype = el.get("type")
        expected = {"source": "entry", "sink": "exit"}.get(nkind)
        if stype is not None and stype not in ("entry", "exit"):
            raise doc.error(f"type must be 'entry' or 'exit', got {stype!r}", el, kind="node",
                            element=eid, field="type")
        if stype is not None and stype != expected:
            raise doc.error(f"scenario type {stype!r} does not match the network: {eid!r} is "
                            f"a {nkind}", el, kind="node", element=eid, field="type")
        comp = "sources" if nkind == "source" else "sinks" if nkind == "sink" else None
        bounds: dict[str, dict[str, tuple[float, ET.Element]]] = {"flow": {}, "pressure": {}}
        for child in el:
            if child.tag in ("flow", "pressure"):
                bound = child.get("bound")
                if bound not in ("lower", "upper", "both"):
                    raise doc.error(f"bound must be 'lower', 'upper' or 'both', got {bound!r}",
                                    child, kind="node", element=eid, field=child.tag)
                if bound in bounds[child.tag]:
                    raise doc.error(f"{child.tag} bound {bound!r} given twice", child,
                                    kind="node", element=eid, field=child.tag)
                q = _scenario_quantity(doc, child, "node", eid, A)
                bounds[child.tag][bound] = (q, child)
            elif child.tag in _SOURCE_GAS and comp == "sources":
                q = _scenario_quantity(doc, child, "node", eid, A)
                col = _SOURCE_GAS[child.tag]
                T["sources"].rows[eid][col] = q
                T["sources"].note(eid, f"{tag}: {child.tag} = {child.get('value')} "
                                  f"{child.get('unit') or ''}".rstrip())
                A.count(f"{doc.name}: scenario gas data replace the source's .net values",
                        f"node {eid!r}")
            else:
                raise doc.error(f"unexpected <{child.tag}> for a {nkind} node", child,
                                kind="node", element=eid, field=child.tag)
        flow_set, flow_lo, flow_hi = _set_or_bounds(bounds["flow"])
        p_set, p_lo, p_hi = _set_or_bounds(bounds["pressure"])
        if comp is None and (bounds["flow"] or not math.isnan(p_set)):
            bad = [c for _, c in (*bounds["flow"].values(), *bounds["pressure"].values())]
            raise doc.error("an innode cannot take a flow or a pressure set-point", bad[0],
                            kind="node", element=eid, field=bad[0].tag)
        if comp is not None:
            rows = T[comp]
            if not math.isnan(flow_set):
                rows.rows[eid]["mass_flow_kg_s"] = flow_set
                rows.note(eid, f"{tag}: flow fixed at {_fmt(flow_set)} 1000 Nm3/h")
            if not math.isnan(flow_lo):
                rows.rows[eid]["mass_flow_min_kg_s"] = flow_lo
            if not math.isnan(flow_hi):
                rows.rows[eid]["mass_flow_max_kg_s"] = flow_hi
            if not (math.isnan(flow_lo) and math.isnan(flow_hi)):
                rows.note(eid, f"{tag}: flow bounds replaced by the scenario's")
                A.count(f"{doc.name}: scenario flow bounds (lower != upper) replace the .net "
                        "flow bounds", f"node {eid!r}")
            if not math.isnan(p_set):
                rows.rows[eid]["p_set_bar"] = p_set
                rows.note(eid, f"{tag}: pressure fixed at {_fmt(p_set)} bar")
        if not (math.isnan(p_lo) and math.isnan(p_hi)):
            j = T["junctions"].rows[eid]
            old = (j["p_min_bar"], j["p_max_bar"])
            if not math.isnan(p_lo):
                j["p_min_bar"] = p_lo if math.isnan(old[0]) else max(old[0], p_lo)
            if not math.isnan(p_hi):
                j["p_max_bar"] = p_hi if math.isnan(old[1]) else min(old[1], p_hi)
            if j["p_min_bar"] > j["p_max_bar"]:
                first = next(iter(bounds["pressure"].values()))
                raise doc.error(
                    f"scenario pressure bounds [{_fmt(p_lo)}, {_fmt(p_hi)}] bar do not intersect "
                    f"the network's [{_fmt(old[0])}, {_fmt(old[1])}] bar", first[1], kind="node",
                    element=eid, field="pressure")
            if (j["p_min_bar"], j["p_max_bar"]) != old:
                T["junctions"].note(eid, f"{tag}: pressure bounds tightened from "
                                    f"[{_fmt(old[0])}, {_fmt(old[1])}] bar")
    A.add(f"scenario {sid!r} ({doc.name}): 'both' or equal lower/upper bounds are set-points "
          "(mass_flow_kg_s, p_set_bar); other flow bounds replace the element's bounds; other "
          "pressure bounds tighten the junction's p_min_bar/p_max_bar")
    return sid


def _scenario_quantity(doc: _Doc, child: ET.Element, kind: str, eid: str | None,
                       A: _Assumptions) -> float:
    qkind = _QUANTITY.get(child.tag)
    if qkind is None:
        raise doc.error(f"unexpected <{child.tag}>", child, kind=kind, element=eid,
                        field=child.tag)
    v = _number(doc, child, child.get("value"), kind=kind, element=eid, field=child.tag)
    value, _ = _convert(doc, child, qkind=qkind, value=v, raw=str(child.get("value")),
                        unit=child.get("unit"), kind=kind, element=eid, field=child.tag,
                        assumptions=A)
    return value


def _set_or_bounds(b: dict[str, tuple[float, ET.Element]]) -> tuple[float, float, float]:
    """(set-point, lower, upper): 'both' or lower == upper is a set-point."""
    if "both" in b:
        return b["both"][0], math.nan, math.nan
    lo = b["lower"][0] if "lower" in b else math.nan
    hi = b["upper"][0] if "upper" in b else math.nan
    if lo == hi:
        return lo, math.nan, math.nan
    return math.nan, lo, hi


# ---------------------------------------------------------------------------- .cs
def _apply_stations(doc: _Doc, net: _NetData, A: _Assumptions) -> None:
    root = doc.root
    if root.tag != "compressorStations":
        raise doc.error(f"not a GasLib compressor-station file: root element is <{root.tag}>, "
                        "expected <compressorStations>", root)
    rows = net.tables["compressors"]
    seen: set[str] = set()
    for st in root:
        if st.tag != "compressorStation":
            raise doc.error(f"unknown element <{st.tag}> (expected <compressorStation>)", st,
                            kind=st.tag, element=st.get("id"))
        sid = st.get("id")
        if sid is None:
            raise doc.error("missing required attribute 'id'", st, kind="compressorStation",
                            field="id")
        if sid not in rows.rows:
            raise doc.error(f"compressor station {sid!r} is not in the network", st,
                            kind="compressorStation", element=sid, field="id")
        seen.add(sid)
        units: dict[str, int] = {}
        speeds: list[tuple[float, float]] = []
        drives: dict[str, int] = {}
        unknown_drives: list[str] = []
        n_conf = max_serial = max_parallel = 0
        for sec in st:
            if sec.tag == "compressors":
                for c in sec:
                    units[c.tag] = units.get(c.tag, 0) + 1
                    smin = _find(c, "speedMin")
                    smax = _find(c, "speedMax")
                    if smin is not None and smax is not None:
                        speeds.append(
                            (_scenario_quantity(doc, smin, "compressorStation", sid, A),
                             _scenario_quantity(doc, smax, "compressorStation", sid, A)))
            elif sec.tag == "drives":
                for d in sec:
                    drives[d.tag] = drives.get(d.tag, 0) + 1
                    if d.tag not in _DRIVES:
                        unknown_drives.append(d.tag)
            elif sec.tag == "configurations":
                for conf in sec:
                    n_conf += 1
                    serial = _int_attr(doc, conf, "nrOfSerialStages", sid)
                    max_serial = max(max_serial, serial)
                    for stage in conf:
                        max_parallel = max(max_parallel,
                                           _int_attr(doc, stage, "nrOfParallelUnits", sid))
        parts = [f"{doc.name}: " + (", ".join(f"{n} {t}" for t, n in units.items())
                                    or "no compressor units")]
        if speeds:
            parts.append("speed " + ", ".join(f"{_fmt(a)}-{_fmt(b)}" for a, b in speeds)
                         + " per_min")
        parts.append("drives: " + (", ".join(f"{n} {t}" for t, n in drives.items()) or "none"))
        if n_conf:
            parts.append(f"{n_conf} configuration(s), up to {max_serial} serial stage(s) x "
                         f"{max_parallel} parallel unit(s)")
        kinds = {_DRIVES[t] for t in drives if t in _DRIVES}
        row = rows.rows[sid]
        if kinds == {"electric"}:
            row["drive"] = "electric"
        elif kinds:
            row["drive"] = "gas"
            if len(kinds) > 1:
                parts.append("mixed gas/electric drives: drive = 'gas'")
        if unknown_drives:
            parts.append(f"drive type(s) {sorted(set(unknown_drives))} not classified")
        parts.append("power_max_mw not derived (NaN): the .cs gives maximum drive power as a "
                     "polynomial in speed and ambient temperature (power_fun_coeff_*) whose "
                     "exact form and units are not documented in the reference material at hand")
        rows.note(sid, "; ".join(parts))
    for cid in rows.rows:
        if cid not in seen:
            rows.note(cid, f"not in {doc.name}")
            A.count(f"{doc.name}: compressor station missing from the .cs file",
                    f"compressorStation {cid!r}")
    A.add(f"compressors ({doc.name}): drive from the .cs drives (gasTurbine/gasDrivenMotor -> "
          "'gas', electricMotor -> 'electric'); unit counts, speeds and configurations "
          "summarised in the note; power_max_mw left NaN (not derivable with confidence)")


def _int_attr(doc: _Doc, el: ET.Element, name: str, sid: str) -> int:
    raw = el.get(name)
    if raw is None:
        return 1
    try:
        return int(raw)
    except ValueError:
        raise doc.error(f"not an integer: {raw!r}", el, kind="compressorStation", element=sid,
                        field=name) from None


# ---------------------------------------------------------------------------- gas
def _network_gas(sources: _Rows, A: _Assumptions) -> GasProperties:
    defaults = GasProperties()
    values: dict[str, Any] = {}
    n = len(sources.rows)
    for col, fld in _GAS_FIELDS.items():
        vals = np.array([r.get(col, math.nan) for r in sources.rows.values()], dtype=float)
        vals = vals[np.isfinite(vals)]
        if len(vals):
            values[fld] = float(vals.mean())
            if len(vals) < n:
                A.add(f"gas: {col} given for {len(vals)} of {n} sources; mean over those")
            if vals.max() - vals.min() > 1e-9 * max(1.0, abs(vals.max())):
                A.add(f"gas: sources differ in {col} ({_fmt(vals.min())} .. {_fmt(vals.max())});"
                      f" network value = mean {_fmt(values[fld])}")
        else:
            default = getattr(defaults, fld)
            A.add(f"gas: no source gives {col}; GasProperties default "
                  f"{'ideal-gas value' if default is None else _fmt(default)} used")
    A.add(f"gas: network gas = arithmetic mean over the {n} source(s) of molar mass, temperature, "
          "pseudo-critical pressure/temperature, calorific value and normal density (as "
          "GasModels.jl src/io/gaslib.jl); per-source values kept in the sources table; "
          "viscosity and kappa are GasProperties defaults")
    try:
        return GasProperties(**values)
    except ValueError as exc:
        raise InputFileError(f"invalid gas data from the sources: {exc}") from None


# ---------------------------------------------------------------------------- pressure reference
def add_pressure_references(net: Network) -> list[str]:
    """Give every island that has no pressure set-point a pressure reference.

    An island is a connected part of the network (see
    :func:`gasunion.network.validation.islands`) and is anchored if an in-service source or sink
    in it has ``p_set_bar`` or a regulator/compressor in mode ``p_out`` feeds it. For each
    island without an anchor the in-service source whose junction has the highest
    ``p_max_bar`` (ties: the first in table order) gets ``p_set_bar = p_max_bar``; an island
    without sources falls back to its sinks. The element keeps its flow set-point. Returns one
    text per choice, for ``net.meta["assumptions"]``.
    """
    j = net.junctions
    if not len(j):
        return []
    n, labels = islands(net)
    label = pd.Series(labels, index=j.index)
    slack, regs = pressure_anchors(net)
    anchored = {int(label[x]) for x in list(slack) + list(regs["to_junction"].astype(str))
                if x in label.index}
    out: list[str] = []
    sizes = np.bincount(labels, minlength=n)
    for k in range(n):
        if k in anchored:
            continue
        for comp in ("sources", "sinks"):
            pmax = reference_candidates(net, labels == k, comp)
            if not len(pmax):
                continue
            best = float(pmax.max())
            ties = pmax.index[pmax.to_numpy() == best]
            eid = str(ties[0])
            net[comp].at[eid, "p_set_bar"] = best
            what = "source" if comp == "sources" else "sink (the island has no source)"
            tie = (f", ties broken by table order among {list(map(str, ties))}"
                   if len(ties) > 1 else "")
            flow = float(net[comp]["mass_flow_kg_s"].to_numpy(float)[net[comp].index.get_loc(eid)])
            keep = f"; its flow set-point {_fmt(flow)} kg/s is kept" if math.isfinite(flow) else ""
            out.append(
                f"pressure reference: no pressure set-point in the island of {int(sizes[k])} "
                f"junction(s) containing {str(net[comp].at[eid, 'junction'])!r}; chose {what} {eid!r} "
                f"(highest p_max_bar = {_fmt(best)} bar among {len(pmax)}{tie}) and set its "
                f"p_set_bar = {_fmt(best)} bar{keep}")
            break
    return out


# ---------------------------------------------------------------------------- entry point
def read_gaslib(
    net_path: PathLike,
    scenario: PathLike | None = None,
    compressor_stations: PathLike | None = None,
) -> Network:
    """Read a GasLib network, optionally with a scenario and a compressor-station file.

    Parameters
    ----------
    net_path: the ``.net`` file (GasLib XML network).
    scenario: a ``.scn`` file (nomination): per entry/exit ``flow`` and ``pressure`` bounds.
        ``bound="both"`` or equal lower/upper bounds become set-points (``mass_flow_kg_s``,
        ``p_set_bar`` on the node's source/sink); other flow bounds replace the element's
        ``mass_flow_min/max_kg_s``; other pressure bounds tighten the junction's
        ``p_min_bar``/``p_max_bar``. A node id not in the network is an error.
    compressor_stations: a ``.cs`` file: stations must exist in the network; unit counts,
        drives and configurations are summarised in each compressor's ``note``.

    Returns
    -------
    Network
        Pressures absolute in bar, flows in kg/s (``rho_n * Q[1000 m³/h] / 3.6`` with the
        network's normal density), lengths in km, diameters in mm. Compressors are in mode
        ``bypass``, control valves ``open``, valves open (GasLib has no operating state); every
        island without a pressure set-point gets one at its source with the highest
        ``p_max_bar`` (see :func:`add_pressure_references`). ``net.meta`` holds
        ``source_files``, ``title``, ``scenario``, ``citation``, ``licence`` and
        ``assumptions`` (everything defaulted or derived).

    Raises
    ------
    InputFileError
        For any problem in the files, naming file, line, element and field.
    """
    A = _Assumptions()
    net_doc = _parse_xml(net_path)
    data = _read_net(net_doc, A)
    files = [net_doc]
    scenario_id: str | None = None
    if scenario is not None:
        scn_doc = _parse_xml(scenario)
        files.append(scn_doc)
        scenario_id = _apply_scenario(scn_doc, data, A)
    if compressor_stations is not None:
        cs_doc = _parse_xml(compressor_stations)
        files.append(cs_doc)
        _apply_stations(cs_doc, data, A)
    elif data.tables["compressors"].rows:
        A.add("compressors: no .cs file read; drive, efficiency, power and fuel use schema "
              "defaults")
    for doc in files:
        if not any("Creative Commons Attribution 3.0" in c for c in doc.comments):
            A.add(f"{doc.name}: no CC-BY 3.0 licence header found; GasLib licence and "
                  "citation assumed")

    _clip_source_bounds(data.tables["sources"], A)
    gas = _network_gas(data.tables["sources"], A)
    rho_n = gas.rho_n
    A.add(f"flows: 1000 Nm3/h converted to kg/s with the network normal density rho_n = "
          f"{_fmt(rho_n)} kg/m3 (kg/s = rho_n * value / 3.6)")
    name = Path(net_path).stem
    net = Network(name=name, gas=gas)
    for comp, rows in data.tables.items():
        if not rows.rows:
            continue
        df = rows.frame()
        for col in _FLOW_COLUMNS:
            if col in df.columns:
                df[col] = gas.kg_s_from_knm3_h(df[col].astype(float))
        try:
            net.add_table(comp, df)
        except NetworkError as exc:  # pragma: no cover - the reader builds valid tables
            raise InputFileError(f"{comp}: {exc}", path=net_path) from None
    A.extend(add_pressure_references(net))

    net.meta.update({
        "format": "GasLib XML",
        "source_files": [d.name for d in files],
        "title": data.title,
        "date": data.date,
        "documentation": data.documentation,
        "scenario": scenario_id,
        "citation": GASLIB_CITATION,
        "licence": GASLIB_LICENCE,
        "assumptions": A.as_list(),
    })
    if scenario_id is not None:
        _check_balance(net, A, net.meta)
    return net


def _clip_source_bounds(sources: _Rows, A: _Assumptions) -> None:
    """A source injects (schema: mass_flow_min_kg_s >= 0); GasLib-135 writes -10000 here."""
    for eid, row in sources.rows.items():
        for col in ("mass_flow_min_kg_s", "mass_flow_max_kg_s"):
            v = row.get(col, math.nan)
            if math.isfinite(v) and v < 0:
                row[col] = 0.0
                sources.note(eid, f"{col}: {_fmt(v)} 1000 Nm3/h in the file clipped to 0 (a "
                             "source only injects)")
                A.count("sources: negative flow bounds clipped to 0 (a source only injects; "
                        "the schema requires mass_flow_min/max_kg_s >= 0)", f"source {eid!r}")


def _check_balance(net: Network, A: _Assumptions, meta: dict[str, Any]) -> None:
    src = net.sources["mass_flow_kg_s"].to_numpy(float)
    snk = net.sinks["mass_flow_kg_s"].to_numpy(float)
    s_in = float(np.nansum(src))
    s_out = float(np.nansum(snk))
    meta["scenario_balance_kg_s"] = {"sources": s_in, "sinks": s_out}
    if abs(s_in - s_out) > 1e-6 * max(1.0, abs(s_in)) and np.isfinite(src).all() \
            and np.isfinite(snk).all():
        meta["assumptions"].append(
            f"scenario: flow set-points do not balance: sources {_fmt(s_in)} kg/s, sinks "
            f"{_fmt(s_out)} kg/s")

