"""Reader for GasModels.jl's matgas format (``.m`` files).

A matgas file (GasModels.jl, lanl-ansi/GasModels.jl commit 36cbbdfc,
``docs/src/data-format.md`` and ``src/io/matgas.jl``) is MATLAB-like::

    function mgc = case_name
    mgc.gas_specific_gravity = 0.6;          % scalar globals
    mgc.units = 'si';
    %% junction data
    % id p_min p_max p_nominal junction_type status ...   <- column names
    mgc.junction = [
    1  3000000  6000000  4000000  1  1  'synthetic6'  ...
    ];
    %column_names% elevation                             <- extension table, merged by row
    mgc.junction_data = [ ... ];

:func:`read_matgas` maps the tables onto a :class:`~gasunion.network.Network`
(pressures Pa -> bar, lengths m -> km, diameters m -> mm, power W -> MW; ``usc`` files:
psi, miles, inches, MMSCFD, hp). Prices, bids and offers go to ``net.meta["economics"]`` and
the elements' notes; expansion candidates (``ne_pipe``, ``ne_compressor``) are not built but
listed in ``net.meta["candidates"]``. Everything defaulted or derived is listed in
``net.meta["assumptions"]``. Bad input raises :class:`~gasunion.io.errors.InputFileError` with
file, line, table/element and column.

GasModels.jl is BSD-3 licensed (Triad National Security / LANL); the GasLib-derived instances
(``gaslib-*.m``) are CC-BY 3.0 data (see :data:`gasunion.io.gaslib.GASLIB_CITATION`).
"""

from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from gasunion.io.errors import InputFileError
from gasunion.io.gaslib import GASLIB_CITATION, GASLIB_LICENCE, add_pressure_references
from gasunion.network import Network, NetworkError
from gasunion.physics.constants import M_AIR_KG_KMOL, P_NORMAL_PA, R_UNIVERSAL, T_NORMAL_K
from gasunion.physics.gas import GasProperties

__all__ = ["GASMODELS_CITATION", "read_matgas"]

PathLike = str | os.PathLike[str]

#: Reference for the matgas format and the GasModels test instances.
GASMODELS_CITATION = (
    "R. Bent, K. Sundar, et al.: GasModels.jl, LA-CC-13-108, https://github.com/lanl-ansi/"
    "GasModels.jl (BSD-3 licence, (c) Triad National Security, LLC); instances after "
    "Borraz-Sanchez et al., Convex Relaxations for Gas Expansion Planning, INFORMS J. "
    "Computing 28(4):645-656, 2016."
)

#: Column names used when a table has no ``% id ...``/``%column_names%`` header (GasModels.jl
#: ``src/io/matgas.jl`` and the format documentation; compressor as in the shipped headers).
_DEFAULT_COLUMNS: dict[str, list[str]] = {
    "junction": ["id", "p_min", "p_max", "p_nominal", "junction_type", "status",
                 "pipeline_name", "edi_id", "lat", "lon"],
    "pipe": ["id", "fr_junction", "to_junction", "diameter", "length", "friction_factor",
             "p_min", "p_max", "status", "is_bidirectional", "pipeline_name",
             "num_spatial_discretization_points"],
    "ne_pipe": ["id", "fr_junction", "to_junction", "diameter", "length", "friction_factor",
                "p_min", "p_max", "status", "construction_cost", "is_bidirectional",
                "pipeline_name", "num_spatial_discretization_points"],
    "compressor": ["id", "fr_junction", "to_junction", "c_ratio_min", "c_ratio_max",
                   "power_max", "flow_min", "flow_max", "inlet_p_min", "inlet_p_max",
                   "outlet_p_min", "outlet_p_max", "status", "operating_cost", "directionality"],
    "ne_compressor": ["id", "fr_junction", "to_junction", "c_ratio_min", "c_ratio_max",
                      "power_max", "flow_min", "flow_max", "inlet_p_min", "inlet_p_max",
                      "outlet_p_min", "outlet_p_max", "status", "construction_cost",
                      "operating_cost", "directionality"],
    "short_pipe": ["id", "fr_junction", "to_junction", "status", "is_bidirectional",
                   "pipeline_name"],
    "resistor": ["id", "fr_junction", "to_junction", "drag", "diameter", "status",
                 "is_bidirectional", "pipeline_name"],
    "loss_resistor": ["id", "fr_junction", "to_junction", "p_loss", "status",
                      "is_bidirectional", "pipeline_name"],
    "regulator": ["id", "fr_junction", "to_junction", "reduction_factor_min",
                  "reduction_factor_max", "flow_min", "flow_max", "status", "directionality",
                  "discharge_coefficient", "design_flow_rate", "design_inlet_pressure",
                  "design_outlet_pressure", "pipeline_name"],
    "valve": ["id", "fr_junction", "to_junction", "status", "flow_coefficient", "pipeline_name"],
    "receipt": ["id", "junction_id", "injection_min", "injection_max", "injection_nominal",
                "is_dispatchable", "status", "offer_price", "name", "company_name",
                "daily_scheduled_flow", "design_capacity", "operating_capacity", "is_firm",
                "edi_id"],
    "delivery": ["id", "junction_id", "withdrawal_min", "withdrawal_max", "withdrawal_nominal",
                 "is_dispatchable", "status", "bid_price", "name", "company_name",
                 "daily_scheduled_flow", "design_capacity", "operating_capacity", "is_firm",
                 "edi_id"],
    "transfer": ["id", "junction_id", "withdrawal_min", "withdrawal_max", "withdrawal_nominal",
                 "is_dispatchable", "status", "bid_price", "offer_price", "exchange_point_name",
                 "pipeline_name", "other_pipeline_name", "design_pressure", "meter_capacity",
                 "daily_scheduled_flow"],
    "storage": ["id", "junction_id", "pressure_nominal", "flow_injection_rate_min",
                "flow_injection_rate_max", "flow_withdrawal_rate_min",
                "flow_withdrawal_rate_max", "capacity", "status", "name", "owner_name",
                "storage_type", "daily_withdrawal_max", "seasonal_withdrawal_max",
                "base_gas_capacity", "working_gas_capacity", "total_field_capacity", "edi_id"],
}
_KNOWN_TABLES = tuple(_DEFAULT_COLUMNS)
_REQUIRED_GLOBALS = ("gas_specific_gravity", "specific_heat_capacity_ratio", "temperature",
                     "compressibility_factor", "units")
#: Powers at or above this [W] (10 GW, far above any real station) are "no limit" placeholders
#: in GasModels files (1e100 W in gaslib-582-G.m, 1e12 W in direction.m).
_UNLIMITED_POWER_W = 1e10

# column kinds for unit conversion (the canonical unit of each kind in the network)
_PRESSURE_COLS = {"p_min", "p_max", "p_nominal", "inlet_p_min", "inlet_p_max", "outlet_p_min",
                  "outlet_p_max", "p_loss", "design_inlet_pressure", "design_outlet_pressure",
                  "pressure_nominal", "reservoir_p_max", "design_pressure",
                  "design_suction_pressure", "design_discharge_pressure"}
_LENGTH_COLS = {"length"}
_DIAMETER_COLS = {"diameter"}
_FLOW_COLS = {"flow_min", "flow_max", "injection_min", "injection_max", "injection_nominal",
              "withdrawal_min", "withdrawal_max", "withdrawal_nominal", "design_flow_rate",
              "flow_injection_rate_min", "flow_injection_rate_max", "flow_withdrawal_rate_min",
              "flow_withdrawal_rate_max"}
_PRICE_COLS = {"offer_price", "bid_price"}
_POWER_COLS = {"power_max"}
_MASS_COLS = {"base_gas_capacity", "total_field_capacity", "working_gas_capacity", "capacity"}

_DIRECTIONALITY = {
    0: "bidirectional",
    1: "unidirectional (no reverse flow)",
    2: "unidirectional, uncompressed reverse flow allowed",
}

_TOKEN = re.compile(r"'(?:[^']|'')*'|[^\s,;]+|;")
_STATEMENT = re.compile(r"^mgc\.([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$")
_FUNCTION = re.compile(r"^function\s+mgc\s*=\s*(\S+)")


# ---------------------------------------------------------------------------- parsing
@dataclass
class _Row:
    values: list[float | str]
    line: int


@dataclass
class _Table:
    name: str
    line: int
    header: list[str] | None
    rows: list[_Row] = field(default_factory=list)


@dataclass
class _MFile:
    path: PathLike
    name: str | None = None
    scalars: dict[str, tuple[float | str, int]] = field(default_factory=dict)
    tables: dict[str, _Table] = field(default_factory=dict)


def _strip_comment(line: str) -> tuple[str, str | None]:
    """Split a line at the first ``%`` outside quotes: (code, comment or None)."""
    in_quote = False
    for i, ch in enumerate(line):
        if ch == "'":
            in_quote = not in_quote
        elif ch == "%" and not in_quote:
            return line[:i], line[i:]
    return line, None


def _value(token: str) -> float | str:
    if token.startswith("'") and token.endswith("'") and len(token) >= 2:
        return token[1:-1].replace("''", "'")
    try:
        return float(token)
    except ValueError:
        return token  # a bare word: reported where a number is needed


def _parse(path: PathLike) -> _MFile:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise InputFileError(f"cannot read file: {exc.strerror or exc}", path=path) from None
    except UnicodeDecodeError as exc:
        raise InputFileError(f"not UTF-8 text ({exc.reason} at byte {exc.start})",
                             path=path) from None
    mf = _MFile(path)
    header: list[str] | None = None
    table: _Table | None = None
    for lineno, raw in enumerate(text.splitlines(), start=1):
        code, comment = _strip_comment(raw)
        code = code.strip()
        if table is not None:
            closed = False
            if "]" in code:
                code, _, rest = code.partition("]")
                closed = True
                if rest.strip().strip(";").strip():
                    raise InputFileError(f"unexpected text after ']': {rest.strip()!r}",
                                         path=path, line=lineno, kind=table.name)
            _add_rows(table, code, lineno)
            if closed:
                table = None
            continue
        if not code:
            if comment is not None:
                c = comment.strip()
                if c.startswith("%column_names%"):
                    header = c[len("%column_names%"):].split()
                elif not c.startswith("%%"):
                    words = c.lstrip("%").split()
                    if words and words[0] == "id":
                        header = words
            continue
        if code == "end" or code.startswith("end;"):
            continue
        fm = _FUNCTION.match(code)
        if fm:
            mf.name = fm.group(1)
            continue
        m = _STATEMENT.match(code)
        if not m:
            raise InputFileError(f"unrecognised statement: {code!r}", path=path, line=lineno)
        key, rhs = m.group(1), m.group(2).strip()
        if rhs.startswith("["):
            if key in mf.tables:
                raise InputFileError(f"table mgc.{key} defined twice (first on line "
                                     f"{mf.tables[key].line})", path=path, line=lineno, kind=key)
            table = _Table(key, lineno, header)
            mf.tables[key] = table
            body = rhs[1:]
            if "]" in body:
                body, _, rest = body.partition("]")
                _add_rows(table, body, lineno)
                table = None
            else:
                _add_rows(table, body, lineno)
        else:
            rhs = rhs.rstrip(";").strip()
            if not rhs:
                raise InputFileError("missing value", path=path, line=lineno, field=key)
            if key in mf.scalars:
                raise InputFileError(f"mgc.{key} given twice (first on line "
                                     f"{mf.scalars[key][1]})", path=path, line=lineno,
                                     field=key)
            mf.scalars[key] = (_value(rhs), lineno)
        header = None
    if table is not None:
        raise InputFileError("table not closed with ']' before the end of the file", path=path,
                             line=table.line, kind=table.name)
    return mf


def _add_rows(table: _Table, code: str, lineno: int) -> None:
    row: list[float | str] = []
    for tok in _TOKEN.findall(code):
        if tok == ";":
            if row:
                table.rows.append(_Row(row, lineno))
            row = []
        else:
            row.append(_value(tok))
    if row:
        table.rows.append(_Row(row, lineno))


# ---------------------------------------------------------------------------- typed access
class _Units:
    """Conversion of matgas columns to the network's units (si or usc, GasModels' factors).

    Each kind converts as ``value * mul / div`` (division by powers of ten keeps round SI
    numbers exact: 3e6 Pa -> 30.0 bar).
    """

    def __init__(self, system: str, temperature: float, gravity: float, r_file: float) -> None:
        self.system = system
        if system == "si":
            self.pressure = (1.0, 1e5)  # Pa -> bar
            self.length = (1.0, 1e3)  # m -> km
            self.diameter = (1e3, 1.0)  # m -> mm
            self.flow = (1.0, 1.0)  # kg/s
            self.power = (1.0, 1e6)  # W -> MW
            self.mass = (1.0, 1.0)  # kg
        else:  # usc, as GasModels.jl src/core/data.jl (make_si_units!)
            self.pressure = (6894.75729, 1e5)  # psi -> bar (GasModels psi_to_pascal)
            self.length = (1.609344, 1.0)  # statute mile -> km (GasModels uses 1609.64 m)
            self.diameter = (25.4, 1.0)  # inch -> mm
            # MMSCFD -> kg/s with GasModels' standard density: 1 atm, the file's temperature,
            # M = G * 0.02896 kg/mol, R = the file's R, 1 ft3 = 0.02832 m3
            rho_std = P_NORMAL_PA * gravity * 0.02896 / (temperature * r_file)
            self.flow = (rho_std * 0.02832e6 / 86400.0, 1.0)
            self.power = (745.7, 1e6)  # hp -> MW (GasModels hp_to_watts)
            self.mass = (self.flow[0] * 86400.0, 1.0)  # MMSCF -> kg

    def factor(self, col: str) -> tuple[float, float]:
        if col in _PRESSURE_COLS:
            return self.pressure
        if col in _LENGTH_COLS:
            return self.length
        if col in _DIAMETER_COLS:
            return self.diameter
        if col in _FLOW_COLS:
            return self.flow
        if col in _POWER_COLS:
            return self.power
        if col in _MASS_COLS:
            return self.mass
        if col in _PRICE_COLS:
            return (1.0, self.flow[0])  # $ per (flow unit) -> $ per kg/s
        return (1.0, 1.0)


class _Record:
    """One table row with named columns; typed getters raise located errors."""

    def __init__(self, reader: _Reader, table: str, row: _Row, columns: list[str],
                 index: int) -> None:
        self.reader = reader
        self.table = table
        self.line = row.line
        self.index = index
        self.data: dict[str, float | str | None] = {}
        for k, col in enumerate(columns):
            self.data[col] = row.values[k] if k < len(row.values) else None
        self.extra = row.values[len(columns):]
        self.used: set[str] = set()
        raw_id = self.data.get("id")
        self.id = _id_text(raw_id) if raw_id is not None else None

    def error(self, message: str, col: str | None = None) -> InputFileError:
        element = self.id if self.id is not None else f"row {self.index + 1}"
        return InputFileError(message, path=self.reader.mf.path, line=self.line,
                              element=element, field=col, kind=self.table)

    def has(self, col: str) -> bool:
        return self.data.get(col) is not None

    def raw(self, col: str) -> float | str | None:
        self.used.add(col)
        return self.data.get(col)

    def num(self, col: str, required: bool = False, convert: bool = True) -> float:
        v = self.raw(col)
        if v is None:
            if required:
                raise self.error("missing value (row too short)", col)
            return math.nan
        if isinstance(v, str):
            raise self.error(f"not a number: {v!r}", col)
        if math.isnan(v):
            if required:
                raise self.error("missing value (NaN)", col)
            return v
        if convert:
            if col == "elevation" and self.reader.units.system != "si":
                raise self.error("elevation in a 'usc' file: unit not documented by GasModels; "
                                 "convert the file to 'si'", col)
            mul, div = self.reader.units.factor(col)
            return v * mul / div
        return v

    def int_(self, col: str, default: int) -> int:
        v = self.num(col, convert=False)
        if math.isnan(v):
            return default
        if not float(v).is_integer():
            raise self.error(f"not an integer: {v!r}", col)
        return int(v)

    def ref(self, col: str) -> str:
        v = self.raw(col)
        if v is None:
            raise self.error("missing value (row too short)", col)
        jid = _id_text(v)
        if jid not in self.reader.junction_ids:
            raise self.error(f"unknown junction {jid!r}", col)
        return jid

    def text(self, col: str) -> str:
        v = self.raw(col)
        return "" if v is None else _id_text(v)

    def leftovers(self) -> list[str]:
        """Unused, non-empty columns as ``name=value`` (kept in the note)."""
        out = []
        for col, v in self.data.items():
            if col in self.used or col == "id" or v is None or v == "":
                continue
            if isinstance(v, float) and math.isnan(v):
                continue
            out.append(f"{col}={_id_text(v)}")
        return out


def _id_text(v: float | str | None) -> str:
    if isinstance(v, float):
        return str(int(v)) if v.is_integer() and abs(v) < 1e15 else repr(v)
    return "" if v is None else str(v)


def _fmt(v: float) -> str:
    return f"{v:.6g}"


class _Reader:
    def __init__(self, mf: _MFile) -> None:
        self.mf = mf
        self.assumptions: list[str] = []
        self.junction_ids: set[str] = set()
        self.units = _Units("si", 288.15, 0.6, 8.314)

    def error(self, message: str, *, line: int | None = None, field: str | None = None,
              kind: str | None = None) -> InputFileError:
        return InputFileError(message, path=self.mf.path, line=line, field=field, kind=kind)

    def assume(self, text: str) -> None:
        if text not in self.assumptions:
            self.assumptions.append(text)

    # ------------------------------------------------------------------ globals
    def scalar(self, key: str, required: bool = False) -> float | None:
        if key not in self.mf.scalars:
            if required:
                raise self.error(f"missing required global mgc.{key}", field=key)
            return None
        v, line = self.mf.scalars[key]
        if isinstance(v, str) or not math.isfinite(v):
            raise self.error(f"not a number: {v!r}", line=line, field=key)
        return v

    def text_scalar(self, key: str) -> str | None:
        if key not in self.mf.scalars:
            return None
        v, _ = self.mf.scalars[key]
        return v if isinstance(v, str) else _id_text(v)

    # ------------------------------------------------------------------ tables
    def columns(self, name: str) -> list[str]:
        t = self.mf.tables[name]
        if t.header is not None:
            return t.header
        if name in _DEFAULT_COLUMNS:
            self.assume(f"mgc.{name} has no column header; GasModels' default column order used")
            return _DEFAULT_COLUMNS[name]
        raise self.error("table without a column header (% id ... or %column_names% line)",
                         line=t.line, kind=name)

    def records(self, name: str) -> list[_Record]:
        if name not in self.mf.tables:
            return []
        cols = self.columns(name)
        recs = [_Record(self, name, r, cols, k) for k, r in enumerate(self.mf.tables[name].rows)]
        for ext_name, ext in self.mf.tables.items():
            if _extension_base(ext_name) != name:
                continue
            if ext.header is None:
                raise self.error("extension table needs a %column_names% line", line=ext.line,
                                 kind=ext_name)
            if len(ext.rows) != len(recs):
                raise self.error(f"extension table has {len(ext.rows)} rows, mgc.{name} has "
                                 f"{len(recs)}", line=ext.line, kind=ext_name)
            for rec, row in zip(recs, ext.rows, strict=True):
                for k, col in enumerate(ext.header):
                    if col in rec.data and rec.data[col] is not None:
                        raise self.error(f"column {col!r} is already in mgc.{name}",
                                         line=row.line, kind=ext_name, field=col)
                    rec.data[col] = row.values[k] if k < len(row.values) else None
                if len(row.values) > len(ext.header):
                    raise self.error(f"{len(row.values)} values for {len(ext.header)} columns",
                                     line=row.line, kind=ext_name)
        seen: dict[str, int] = {}
        for rec in recs:
            if rec.id is None or rec.id == "":
                raise rec.error("missing id", "id")
            if rec.id in seen:
                raise rec.error(f"duplicate id (first on line {seen[rec.id]})", "id")
            seen[rec.id] = rec.line
            if rec.extra:
                self.assume(f"mgc.{name}: rows with more values than column names; extra values "
                            "ignored")
        return recs


def _extension_base(name: str) -> str | None:
    """``junction_data`` -> ``junction`` (GasModels' table-extension rule)."""
    best = None
    for base in _KNOWN_TABLES:
        if name.startswith(base + "_") and (best is None or len(base) > len(best)):
            best = base
    return best


# ---------------------------------------------------------------------------- mapping
class _Builder:
    def __init__(self) -> None:
        self.rows: dict[str, list[dict[str, Any]]] = {}
        self.ids: dict[str, list[str]] = {}

    def add(self, comp: str, eid: str, **cols: Any) -> None:
        self.rows.setdefault(comp, []).append(cols)
        self.ids.setdefault(comp, []).append(eid)


def _note(parts: list[str]) -> str:
    return "; ".join(p for p in parts if p)


def _status(rec: _Record) -> bool:
    return rec.int_("status", 1) != 0


def read_matgas(path: PathLike) -> Network:
    """Read a GasModels.jl matgas ``.m`` file into a :class:`~gasunion.network.Network`.

    Mapping (GasModels table -> network):

    * ``junction`` -> ``junctions`` (Pa -> bar; ``elevation`` from ``junction_data`` ->
      ``height_m``); ``junction_type`` 1 (slack) -> a ``sources`` row ``slack_<id>`` with
      ``p_set_bar = p_nominal`` and no flow set-point;
    * ``receipt`` -> ``sources`` ``receipt_<id>``: set-point ``injection_nominal``; if
      dispatchable also bounds ``injection_min/max``; ``delivery`` -> ``sinks``
      ``delivery_<id>`` and ``transfer`` -> ``sinks`` ``transfer_<id>`` likewise with
      ``withdrawal_*`` (a transfer's withdrawal may be negative = injection);
    * ``pipe`` (diameter m -> mm, length m -> km, ``friction_factor`` = Darcy lambda as given),
      ``short_pipe``, ``resistor`` (``drag``), ``loss_resistor`` (``p_loss``), ``valve``
      (open), ``regulator`` (control valve, mode ``open``), ``compressor`` (mode ``ratio``,
      ``ratio_set = max(1, c_ratio_min)``, power W -> MW, no fuel), ``storage``;
    * ``ne_pipe``/``ne_compressor`` are expansion candidates: not built, listed in
      ``meta["candidates"]``.

    Gas: temperature from the file; ``kappa`` = ``specific_heat_capacity_ratio``; molar mass
    ``M = R T / a²`` (R = 8.314462618) when ``sound_speed`` a is given, so that ``R_s T = a²``
    as in GasModels' pipe equation, else ``gas_molar_mass`` or ``G * 28.9626``. Every island
    without a pressure set-point gets one (see
    :func:`gasunion.io.gaslib.add_pressure_references`). Prices/bids/offers and the file's
    globals are kept in ``meta["economics"]`` and ``meta["matgas"]``.

    Raises
    ------
    InputFileError
        Bad syntax, malformed rows, unknown junctions, per-unit files (not supported).
    """
    mf = _parse(path)
    R = _Reader(mf)
    A = R.assume
    fname = Path(path).name

    # ---------------------------------------------------------------- globals, units, gas
    for key in _REQUIRED_GLOBALS:
        if key not in mf.scalars:
            raise R.error(f"missing required global mgc.{key}", field=key)
    units = R.text_scalar("units")
    if units not in ("si", "usc"):
        raise R.error(f"units must be 'si' or 'usc', got {units!r}",
                      line=mf.scalars["units"][1], field="units")
    per_unit = R.scalar("is_per_unit") or 0.0
    if per_unit:
        raise R.error("per-unit matgas files are not supported; write the file in 'si' or "
                      "'usc' units (GasModels: make_si_units!)", line=mf.scalars["is_per_unit"][1],
                      field="is_per_unit")
    G = R.scalar("gas_specific_gravity", required=True)
    gamma = R.scalar("specific_heat_capacity_ratio", required=True)
    T = R.scalar("temperature", required=True)
    Z = R.scalar("compressibility_factor", required=True)
    assert G is not None and gamma is not None and T is not None and Z is not None
    r_file = R.scalar("R") or 8.314
    for key, v in (("gas_specific_gravity", G), ("specific_heat_capacity_ratio", gamma),
                   ("temperature", T), ("compressibility_factor", Z), ("R", r_file)):
        if v <= 0:
            raise R.error(f"must be positive, got {v!r}", line=mf.scalars.get(key, (0, None))[1],
                          field=key)
    R.units = _Units(units, T, G, r_file)
    if units == "usc":
        A("units 'usc': psi (absolute) -> bar with 6894.75729 Pa/psi, miles -> km with the "
          "statute mile 1.609344 km (GasModels uses 1609.64 m), inches -> mm, hp -> W with "
          f"745.7 W/hp, MMSCFD -> kg/s with GasModels' factor {_fmt(R.units.flow[0])} (standard "
          "density at 1 atm and the file's temperature, M = G * 0.02896 kg/mol, 1 ft3 = "
          "0.02832 m3); prices converted from $/MMSCFD-day basis likewise")
    a = R.scalar("sound_speed")
    m_given = R.scalar("gas_molar_mass")
    if a is not None and a > 0:
        molar = R_UNIVERSAL * T / a**2 * 1e3
        A(f"gas: molar mass M = R*T/a^2 = 8.314462618 * {_fmt(T)} / {_fmt(a)}^2 = {_fmt(molar)} "
          "kg/kmol so that R_s*T equals the file's sound_speed^2 (GasModels' pipe equation "
          "uses p = a^2 rho)" + (f"; the file's compressibility_factor {_fmt(Z)} is folded into "
                                 "this effective molar mass: simulate with Z = 1 to reproduce "
                                 "GasModels" if Z != 1 else ""))
    elif m_given is not None:
        molar = m_given * 1e3
        A(f"gas: molar mass from mgc.gas_molar_mass = {_fmt(molar)} kg/kmol")
    else:
        molar = G * M_AIR_KG_KMOL
        A(f"gas: molar mass = gas_specific_gravity * 28.9626 = {_fmt(molar)} kg/kmol")
    m_true = m_given * 1e3 if m_given is not None else G * M_AIR_KG_KMOL
    rho_n = P_NORMAL_PA * m_true * 1e-3 / (R_UNIVERSAL * T_NORMAL_K)
    A(f"gas: normal density {_fmt(rho_n)} kg/m3 = ideal gas at 0 degC, 1.01325 bar with "
      f"M = {_fmt(m_true)} kg/kmol ("
      + ("mgc.gas_molar_mass" if m_given is not None else "specific gravity * 28.9626") + ")")
    A("gas: pseudo-critical pressure/temperature, calorific value and viscosity are not in "
      "matgas files: GasProperties defaults (GasLib H-gas) used")
    try:
        gas = GasProperties(molar_mass_kg_kmol=molar, temperature_k=T, kappa=gamma,
                            norm_density_kg_m3=rho_n)
    except ValueError as exc:
        raise R.error(f"invalid gas data: {exc}") from None

    B = _Builder()
    econ: dict[str, Any] = {"sources": {}, "sinks": {}, "compressors": {},
                            "economic_weighting": R.scalar("economic_weighting")}

    # ---------------------------------------------------------------- junctions
    junctions = R.records("junction")
    if not junctions:
        raise R.error("no mgc.junction table (or it is empty)", field="junction")
    slack_rows: list[tuple[_Record, float]] = []
    kinds: dict[str, str] = {}
    for rec in junctions:
        assert rec.id is not None
        R.junction_ids.add(rec.id)
    for rec in junctions:
        assert rec.id is not None
        jtype = rec.int_("junction_type", 0)
        p_nom = rec.num("p_nominal")
        notes = []
        if math.isfinite(p_nom):
            notes.append(f"p_nominal={_fmt(p_nom)} bar")
        if not _status(rec):
            notes.append("status 0 (out of service) in the file")
            A("junctions with status 0 are kept (the schema has no junction status); see notes")
        height = rec.num("elevation") if rec.has("elevation") else 0.0
        B.add("junctions", rec.id, name=rec.text("pipeline_name"), lat=rec.num("lat"),
              lon=rec.num("lon"), height_m=height if math.isfinite(height) else 0.0,
              p_min_bar=rec.num("p_min"), p_max_bar=rec.num("p_max"), kind="innode",
              source=f"{fname}:{rec.line}",
              note=_note([*notes, *_leftover(rec, {"edi_id"}), _edi(rec)]))
        if jtype == 1:
            if not math.isfinite(p_nom):
                raise rec.error("slack junction (junction_type 1) needs p_nominal", "p_nominal")
            slack_rows.append((rec, p_nom))
        elif jtype != 0:
            raise rec.error(f"junction_type must be 0 or 1, got {jtype}", "junction_type")
    if not any(r.has("elevation") for r in junctions):
        A("junctions: no elevation column; height_m = 0")
    for rec, p_nom in slack_rows:
        assert rec.id is not None
        B.add("sources", f"slack_{rec.id}", junction=rec.id, p_set_bar=p_nom,
              name=f"slack at junction {rec.id}", source=f"{fname}:{rec.line}",
              note="junction_type 1 (slack): pressure fixed at p_nominal, flow free")
        kinds[rec.id] = "source"
    if slack_rows:
        A("slack junctions (junction_type 1) -> sources 'slack_<junction id>' with p_set_bar = "
          "p_nominal and no flow set-point")

    # ---------------------------------------------------------------- receipts, deliveries...
    for rec in R.records("receipt"):
        jid = rec.ref("junction_id")
        nom = rec.num("injection_nominal", required=True)
        lo, hi = rec.num("injection_min"), rec.num("injection_max")
        disp = rec.int_("is_dispatchable", 0) == 1
        price = rec.num("offer_price")
        eid = f"receipt_{rec.id}"
        B.add("sources", eid, junction=jid, name=rec.text("name"), mass_flow_kg_s=nom,
              mass_flow_min_kg_s=lo if disp else math.nan,
              mass_flow_max_kg_s=hi if disp else math.nan, in_service=_status(rec),
              source=f"{fname}:{rec.line}",
              note=_note([_dispatch_note(disp, "injection", lo, hi),
                          f"offer_price={_fmt(price)} $/kg" if math.isfinite(price) else "",
                          *_leftover(rec)]))
        econ["sources"][eid] = _econ(disp, offer_price=price, min_kg_s=lo, max_kg_s=hi)
        kinds.setdefault(jid, "source")
    for table, prefix in (("delivery", "delivery"), ("transfer", "transfer")):
        for rec in R.records(table):
            jid = rec.ref("junction_id")
            nom = rec.num("withdrawal_nominal", required=True)
            lo, hi = rec.num("withdrawal_min"), rec.num("withdrawal_max")
            disp = rec.int_("is_dispatchable", 0) == 1
            bid = rec.num("bid_price")
            offer = rec.num("offer_price") if table == "transfer" else math.nan
            prio = rec.num("priority", convert=False) if rec.has("priority") else math.nan
            eid = f"{prefix}_{rec.id}"
            prices = [f"bid_price={_fmt(bid)} $/kg" if math.isfinite(bid) else "",
                      f"offer_price={_fmt(offer)} $/kg" if math.isfinite(offer) else "",
                      f"priority={_fmt(prio)}" if math.isfinite(prio) else ""]
            B.add("sinks", eid, junction=jid, name=rec.text("name") or rec.text(
                  "exchange_point_name"), mass_flow_kg_s=nom,
                  mass_flow_min_kg_s=lo if disp else math.nan,
                  mass_flow_max_kg_s=hi if disp else math.nan, in_service=_status(rec),
                  source=f"{fname}:{rec.line}",
                  note=_note([f"matgas {table}", _dispatch_note(disp, "withdrawal", lo, hi),
                              *prices, *_leftover(rec)]))
            econ["sinks"][eid] = _econ(disp, bid_price=bid, offer_price=offer, priority=prio,
                                       min_kg_s=lo, max_kg_s=hi, table=table)
            kinds.setdefault(jid, "sink")
    A("receipts/deliveries/transfers: flow set-point = the nominal value (GasModels fixes "
      "non-dispatchable elements there); dispatchable ones also get bounds [min, max] and are "
      "flagged in the note and meta['economics']; non-dispatchable ones keep their file "
      "bounds only in the note")

    # ---------------------------------------------------------------- branches
    def ends(rec: _Record) -> dict[str, Any]:
        return dict(from_junction=rec.ref("fr_junction"), to_junction=rec.ref("to_junction"),
                    in_service=_status(rec), source=f"{fname}:{rec.line}")

    for rec in R.records("pipe"):
        e = ends(rec)
        lam = rec.num("friction_factor", convert=False)
        if not math.isfinite(lam):
            A("pipes without friction_factor: lambda from roughness (schema default)")
        p_min = rec.num("p_min")
        notes = [f"p_min={_fmt(p_min)} bar" if math.isfinite(p_min) else "", _bidir(rec),
                 _flow_direction(rec)]
        B.add("pipes", str(rec.id), **e, length_km=rec.num("length", required=True),
              diameter_mm=rec.num("diameter", required=True), friction_factor=lam,
              p_max_bar=rec.num("p_max"), mass_flow_min_kg_s=rec.num("flow_min"),
              mass_flow_max_kg_s=rec.num("flow_max"), name=rec.text("pipeline_name"),
              note=_note([*notes, *_leftover(rec)]))
    if "pipe" in mf.tables:
        A("pipes: friction_factor = the file's Darcy lambda (constant); roughness_mm stays at "
          "the schema default and is unused while lambda is set")
    for rec in R.records("short_pipe"):
        B.add("short_pipes", str(rec.id), **ends(rec), name=rec.text("pipeline_name"),
              note=_note([_bidir(rec), _flow_direction(rec), *_leftover(rec)]))
    for rec in R.records("resistor"):
        B.add("resistors", str(rec.id), **ends(rec), drag_factor=rec.num("drag", required=True,
                                                                            convert=False),
              diameter_mm=rec.num("diameter", required=True), name=rec.text("pipeline_name"),
              note=_note([_bidir(rec), _flow_direction(rec), *_leftover(rec)]))
    for rec in R.records("loss_resistor"):
        B.add("resistors", f"loss_{rec.id}", **ends(rec),
              pressure_loss_bar=rec.num("p_loss", required=True),
              name=rec.text("pipeline_name"),
              note=_note(["matgas loss_resistor", _bidir(rec), *_leftover(rec)]))
    for rec in R.records("valve"):
        B.add("valves", str(rec.id), **ends(rec), open=True, name=rec.text("pipeline_name"),
              note=_note([_flow_direction(rec), *_leftover(rec)]))
    if "valve" in mf.tables and mf.tables["valve"].rows:
        A("valves: matgas gives no valve state (GasModels decides it); every valve is open")
    for rec in R.records("regulator"):
        rmin, rmax = rec.num("reduction_factor_min"), rec.num("reduction_factor_max")
        B.add("control_valves", str(rec.id), **ends(rec), mode="open",
              mass_flow_min_kg_s=rec.num("flow_min"), mass_flow_max_kg_s=rec.num("flow_max"),
              name=rec.text("pipeline_name"),
              note=_note([f"reduction factor p_out/p_in in [{_fmt(rmin)}, {_fmt(rmax)}]"
                          if math.isfinite(rmin) or math.isfinite(rmax) else "",
                          _bidir(rec), _flow_direction(rec), *_leftover(rec)]))
    if "regulator" in mf.tables and mf.tables["regulator"].rows:
        A("regulators -> control valves in mode 'open' (matgas gives no set-point; the "
          "reduction-factor bounds are in the note)")
    unlimited: list[str] = []
    for rec in R.records("compressor"):
        e = ends(rec)
        cmin = rec.num("c_ratio_min", convert=False)
        cmax = rec.num("c_ratio_max", convert=False)
        power = rec.num("power_max")
        if math.isfinite(power) and power * 1e6 >= _UNLIMITED_POWER_W:
            unlimited.append(str(rec.id))
            power = math.nan
        d = rec.int_("directionality", -1)
        cost = rec.num("operating_cost", convert=False)
        B.add("compressors", str(rec.id), **e, mode="ratio",
              ratio_set=max(1.0, cmin) if math.isfinite(cmin) else 1.0,
              ratio_min=cmin if math.isfinite(cmin) else 1.0, ratio_max=cmax,
              p_in_min_bar=rec.num("inlet_p_min"), p_out_max_bar=rec.num("outlet_p_max"),
              power_max_mw=power, fuel_model="none",
              mass_flow_min_kg_s=rec.num("flow_min"), mass_flow_max_kg_s=rec.num("flow_max"),
              name=rec.text("compressor_station_name"),
              note=_note([f"directionality {d}: {_DIRECTIONALITY.get(d, 'unknown')}"
                          if d >= 0 else "",
                          f"operating_cost={_fmt(cost)}" if math.isfinite(cost) else "",
                          _inlet_outlet(rec), _flow_direction(rec), *_leftover(rec)]))
        econ["compressors"][str(rec.id)] = {"operating_cost": _json(cost)}
    if "compressor" in mf.tables and mf.tables["compressor"].rows:
        A("compressors: mode 'ratio' with ratio_set = max(1, c_ratio_min), ratio bounds "
          "c_ratio_min/max; fuel_model 'none' (GasModels' model burns no fuel; compression "
          "power enters its objective only)")
    if unlimited:
        A(f"compressors: power_max >= {_UNLIMITED_POWER_W:g} W is GasModels' 'no limit' "
          f"placeholder -> power_max_mw NaN ({len(unlimited)}x: {', '.join(unlimited[:5])}"
          + (" ..." if len(unlimited) > 5 else "") + ")")
    for rec in R.records("storage"):
        jid = rec.ref("junction_id")
        _storage(B, rec, jid, rho_n, fname, A)
        kinds.setdefault(jid, "storage")

    # ---------------------------------------------------------------- candidates, other data
    candidates: dict[str, list[dict[str, Any]]] = {}
    for table in ("ne_pipe", "ne_compressor"):
        recs = R.records(table)
        if recs:
            candidates[table] = [_candidate(rec) for rec in recs]
            A(f"{len(recs)} expansion candidate(s) mgc.{table} not built; listed in "
              "meta['candidates'] (converted units, construction_cost as given)")
    handled = {*_KNOWN_TABLES}
    other_tables: dict[str, Any] = {}
    for name, t in mf.tables.items():
        if name in handled or _extension_base(name) is not None:
            continue
        cols = t.header or [f"col{k + 1}" for k in range(max((len(r.values) for r in t.rows),
                                                              default=0))]
        other_tables[name] = [
            {c: (_json(v) if isinstance(v, float) else v)
             for c, v in zip(cols, r.values, strict=False)} for r in t.rows]
        A(f"mgc.{name}: not a network table; kept in meta['matgas']['tables']")

    # ---------------------------------------------------------------- assemble
    B_j = B.rows["junctions"]
    for row, jid in zip(B_j, B.ids["junctions"], strict=True):
        row["kind"] = kinds.get(jid, "innode")
    net = Network(name=mf.name or Path(path).stem, gas=gas)
    for comp, rows in B.rows.items():
        df = pd.DataFrame.from_records(rows, index=pd.Index(B.ids[comp], name="id"))
        try:
            net.add_table(comp, df)
        except NetworkError as exc:
            raise R.error(f"{comp}: {exc}") from None
    refs = add_pressure_references(net)
    for text in refs:
        A(text)

    globals_: dict[str, Any] = {k: (_json(v) if isinstance(v, float) else v)
                                for k, (v, _) in mf.scalars.items()}
    gaslib_based = (mf.name or "").lower().startswith("gaslib") or fname.lower().startswith(
        "gaslib")
    net.meta.update({
        "format": "matgas (GasModels.jl)",
        "source_files": [fname],
        "title": mf.name or "",
        "matgas": {"name": mf.name, "globals": globals_, "tables": other_tables,
                   "row_counts": {n: len(t.rows) for n, t in mf.tables.items()}},
        "economics": econ,
        "candidates": candidates,
        "citation": GASMODELS_CITATION + (" Network data: " + GASLIB_CITATION
                                          if gaslib_based else ""),
        "licence": "GasModels.jl test/example data: BSD-3 (Triad National Security, LLC)"
                   + ("; underlying GasLib network: " + GASLIB_LICENCE if gaslib_based else ""),
        "assumptions": list(R.assumptions),
    })
    return net


def _leftover(rec: _Record, skip: set[str] | None = None) -> list[str]:
    for col in skip or ():
        rec.used.add(col)
    extra = rec.leftovers()
    return [f"matgas (file units): {', '.join(extra)}"] if extra else []


def _edi(rec: _Record) -> str:
    v = rec.data.get("edi_id")
    return "" if v is None or _id_text(v) in ("", rec.id) else f"edi_id={_id_text(v)}"


def _bidir(rec: _Record) -> str:
    if not rec.has("is_bidirectional"):
        return ""
    return "" if rec.int_("is_bidirectional", 1) == 1 else "is_bidirectional=0 (one direction)"


def _flow_direction(rec: _Record) -> str:
    if not rec.has("flow_direction"):
        return ""
    return f"flow_direction={rec.int_('flow_direction', 0)}"


def _inlet_outlet(rec: _Record) -> str:
    parts = []
    for col in ("inlet_p_max", "outlet_p_min"):
        v = rec.num(col)
        if math.isfinite(v):
            parts.append(f"{col}={_fmt(v)} bar")
    return ", ".join(parts)


def _dispatch_note(disp: bool, what: str, lo: float, hi: float) -> str:
    rng = f"[{_fmt(lo)}, {_fmt(hi)}] kg/s"
    if disp:
        return f"dispatchable: GasModels may vary the {what} in {rng}; set-point = nominal"
    return f"non-dispatchable: fixed at the nominal {what}; file bounds {rng}"


def _json(v: float) -> float | None:
    return None if not math.isfinite(v) else float(v)


def _econ(disp: bool, **values: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"dispatchable": disp}
    for k, v in values.items():
        out[k] = _json(v) if isinstance(v, float) else v
    return out


def _candidate(rec: _Record) -> dict[str, Any]:
    out: dict[str, Any] = {"id": rec.id, "line": rec.line,
                           "from_junction": rec.ref("fr_junction"),
                           "to_junction": rec.ref("to_junction")}
    names = {"diameter": "diameter_mm", "length": "length_km", "p_min": "p_min_bar",
             "p_max": "p_max_bar", "power_max": "power_max_mw", "flow_min": "mass_flow_min_kg_s",
             "flow_max": "mass_flow_max_kg_s", "inlet_p_min": "p_in_min_bar",
             "outlet_p_max": "p_out_max_bar"}
    for col, v in rec.data.items():
        if col in ("id", "fr_junction", "to_junction") or v is None:
            continue
        if isinstance(v, float):
            conv = rec.num(col)
            if col == "power_max":
                conv = conv if conv * 1e6 < _UNLIMITED_POWER_W else math.nan
            out[names.get(col, col)] = _json(conv)
        else:
            out[col] = v
    return out


def _storage(B: _Builder, rec: _Record, jid: str, rho_n: float, fname: str,
             A: Any) -> None:
    inj_max = rec.num("flow_injection_rate_max")
    wd_max = rec.num("flow_withdrawal_rate_max")
    base = rec.num("base_gas_capacity")
    total = rec.num("total_field_capacity")
    pct = rec.num("initial_field_capacity_percent", convert=False)
    notes = []
    working = math.nan
    inventory = math.nan
    if math.isfinite(base) and math.isfinite(total):
        working = (total - base) / rho_n / 1e6
        notes.append(f"working_gas_mcm = (total_field_capacity - base_gas_capacity) / rho_n = "
                     f"({_fmt(total)} - {_fmt(base)}) kg / {_fmt(rho_n)} kg/m3")
        if math.isfinite(pct):
            inventory = max(0.0, pct * total - base) / rho_n / 1e6
            notes.append(f"inventory_mcm = (initial_field_capacity_percent * total - base) / "
                         f"rho_n with percent = {_fmt(pct)}")
        A("storage: working gas and inventory derived from the matgas capacities [kg] with the "
          "network normal density (see the storage note)")
    B.add("storages", f"storage_{rec.id}", junction=jid, name=rec.text("name"),
          injection_max_kg_s=inj_max, withdrawal_max_kg_s=wd_max, working_gas_mcm=working,
          inventory_mcm=inventory, in_service=_status(rec), source=f"{fname}:{rec.line}",
          note=_note([*notes, *_leftover(rec)]))

