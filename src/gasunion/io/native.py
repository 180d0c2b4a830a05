"""The native gasunion network format: one JSON file, lossless.

Layout (see ``docs/format.md``)::

    {
      "format": "gasunion-network",
      "version": 1,
      "name": "GasLib-40",
      "gas": {"molar_mass_kg_kmol": 18.5674, ...},
      "meta": {...},
      "components": {
        "junctions": {
          "columns": ["name", "x", ...],
          "index": ["A", "B"],
          "data": [["", 1.0, ...], ["", 2.5, ...]]
        },
        ...
      }
    }

Only non-empty components are written. Column names and units are those of
``components.csv``. Floats are written by Python's :mod:`json` (shortest repr, which
round-trips exactly, including ``-0.0``); NaN is written as ``null`` and infinities as the
strings ``"inf"`` / ``"-inf"``, so the file is standard JSON. ``read_native(write_native(net))``
equals ``net`` (:meth:`Network.equals`).

The reader fills missing optional columns with schema defaults and rejects, with an
:class:`~gasunion.io.errors.InputFileError` naming the file, component, element and field:
files that are not JSON, a wrong ``"format"``, a newer ``"version"``, unknown components,
unknown or duplicate columns, and values of the wrong type.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
from pathlib import Path
from typing import Any, TypeAlias

import numpy as np
import pandas as pd

from gasunion.io.errors import InputFileError
from gasunion.network.network import Network, NetworkError
from gasunion.network.schema import COMPONENTS, Attribute, attributes
from gasunion.physics.gas import GasProperties

#: Value of the top-level ``"format"`` key.
FORMAT = "gasunion-network"
#: Current format version written by :func:`write_native`; files with a higher version are
#: rejected, older versions are read.
VERSION = 1

_TOP_KEYS = ("format", "version", "name", "gas", "meta", "components")
_TABLE_KEYS = ("columns", "index", "data")
_NONFINITE = {"inf": math.inf, "+inf": math.inf, "-inf": -math.inf, "infinity": math.inf,
              "+infinity": math.inf, "-infinity": -math.inf, "nan": math.nan}

PathLike: TypeAlias = str | os.PathLike[str]


# ====================================================================== writing
def write_native(net: Network, path: PathLike) -> None:
    """Write ``net`` to ``path`` in the native JSON format (UTF-8).

    Raises ``ValueError`` if ``net.meta`` holds something JSON cannot represent exactly
    (NaN/inf floats, tuples, non-string keys, arbitrary objects); nothing is written then.
    """
    text = dumps_native(net)
    with open(path, "w", encoding="utf-8", newline="\n") as fh:
        fh.write(text)


def dumps_native(net: Network) -> str:
    """The native JSON text of ``net`` (what :func:`write_native` writes).

    Non-ASCII characters are written as such; only if the text contains lone surrogates
    (which UTF-8 cannot encode) is everything escaped (``\\uXXXX``).
    """
    if not isinstance(net.name, str):
        raise ValueError(f"network name must be a string, got {net.name!r}")
    _check_json_value(net.meta, "meta")
    gas = _encode_gas(net.gas)
    text = _format(net, gas, ensure_ascii=False) + "\n"
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = _format(net, gas, ensure_ascii=True) + "\n"
    return text


def _format(net: Network, gas: dict[str, Any], ensure_ascii: bool) -> str:
    def dump(v: Any) -> str:
        return json.dumps(v, ensure_ascii=ensure_ascii, allow_nan=False)

    def dump_block(v: Any, indent: int) -> str:
        text = json.dumps(v, ensure_ascii=ensure_ascii, allow_nan=False, indent=2)
        return text.replace("\n", "\n" + " " * indent)

    out = [
        "{",
        f'  "format": {dump(FORMAT)},',
        f'  "version": {VERSION},',
        f'  "name": {dump(net.name)},',
        f'  "gas": {dump_block(gas, 2)},',
        f'  "meta": {dump_block(net.meta, 2)},',
    ]
    comps = [(c, net[c]) for c in COMPONENTS if len(net[c])]  # elements and descriptive tables
    if not comps:
        out.append('  "components": {}')
    else:
        out.append('  "components": {')
        for k, (comp, df) in enumerate(comps):
            attrs = attributes(comp)
            cols = list(df.columns)
            encoders = [_ENCODERS[attrs[c].dtype] for c in cols]
            arrays = [df[c].to_numpy() for c in cols]
            rows = [
                dump([enc(arr[i]) for enc, arr in zip(encoders, arrays, strict=True)])
                for i in range(len(df))
            ]
            ids = [dump(str(i)) for i in df.index]
            out.append(f"    {dump(comp)}: {{")
            out.append(f'      "columns": {dump(cols)},')
            out.append('      "index": [')
            out.append(",\n".join("        " + i for i in ids))
            out.append("      ],")
            out.append('      "data": [')
            out.append(",\n".join("        " + r for r in rows))
            out.append("      ]")
            out.append("    }" + ("," if k < len(comps) - 1 else ""))
        out.append("  }")
    out.append("}")
    return "\n".join(out)


def _enc_float(v: Any) -> float | str | None:
    f = float(v)
    if math.isnan(f):
        return None
    if math.isinf(f):
        return "inf" if f > 0 else "-inf"
    return f


def _enc_str(v: Any) -> str:
    return v if isinstance(v, str) else str(v)


def _enc_bool(v: Any) -> bool:
    return bool(v)


def _enc_int(v: Any) -> int:
    return int(v)


_ENCODERS = {"float": _enc_float, "str": _enc_str, "bool": _enc_bool, "int": _enc_int}


def _encode_gas(gas: GasProperties) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in gas.to_dict().items():
        if isinstance(value, float) and not math.isfinite(value):
            out[key] = "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")
        else:
            _check_json_value(value, f"gas.{key}")
            out[key] = value
    return out


def _check_json_value(value: Any, where: str) -> None:
    """Raise ``ValueError`` unless ``value`` survives a JSON round trip unchanged."""
    if value is None or isinstance(value, bool | int | str):
        return
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"{where}: non-finite float {value!r} cannot be stored in JSON")
        return
    if isinstance(value, list):
        for i, v in enumerate(value):
            _check_json_value(v, f"{where}[{i}]")
        return
    if isinstance(value, dict):
        for k, v in value.items():
            if not isinstance(k, str):
                raise ValueError(f"{where}: key {k!r} is not a string")
            _check_json_value(v, f"{where}[{k!r}]")
        return
    raise ValueError(
        f"{where}: {type(value).__name__} value {value!r} is not JSON-representable "
        "(use None, bool, int, finite float, str, list or dict with string keys)"
    )


# ====================================================================== reading
def read_native(path: PathLike) -> Network:
    """Read a network from a native JSON file; raises :class:`InputFileError` on bad input."""
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise InputFileError(f"cannot read file: {exc.strerror or exc}", path=path) from exc
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputFileError(f"not UTF-8 text ({exc.reason} at byte {exc.start})",
                             path=path) from exc
    return loads_native(text, path=path)


def loads_native(text: str, path: PathLike | None = None) -> Network:
    """Parse native JSON text (``path`` is only used in error messages)."""
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputFileError(f"not a JSON file: {exc.msg} (column {exc.colno})",
                             path=path, line=exc.lineno) from exc
    except RecursionError as exc:
        raise InputFileError("not a usable JSON file: nesting too deep", path=path) from exc
    if not isinstance(doc, dict):
        raise InputFileError(
            f"expected a JSON object with \"format\": \"{FORMAT}\", got {_jtype(doc)}", path=path
        )
    if "format" not in doc:
        raise InputFileError(f"not a gasunion network file: no \"format\" key (expected "
                             f"\"format\": \"{FORMAT}\")", path=path, field="format")
    fmt = doc["format"]
    if fmt != FORMAT:
        raise InputFileError(f"not a gasunion network file: \"format\" is {fmt!r}, "
                             f"expected {FORMAT!r}", path=path, field="format")
    version = doc.get("version")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise InputFileError(f"\"version\" must be a positive integer, got {version!r}",
                             path=path, field="version")
    if version > VERSION:
        raise InputFileError(
            f"file has format version {version}, newer than the supported version {VERSION}; "
            "upgrade gasunion to read it", path=path, field="version")
    unknown = [k for k in doc if k not in _TOP_KEYS]
    if unknown:
        raise InputFileError(f"unknown top-level key(s) {unknown}; valid: {', '.join(_TOP_KEYS)}",
                             path=path, field=str(unknown[0]))

    name = doc.get("name", "")
    if not isinstance(name, str):
        raise InputFileError(f"\"name\" must be a string, got {_jtype(name)}", path=path,
                             field="name")
    meta = doc.get("meta", {})
    if not isinstance(meta, dict):
        raise InputFileError(f"\"meta\" must be an object, got {_jtype(meta)}", path=path,
                             field="meta")
    gas = _decode_gas(doc.get("gas"), path)
    comps = doc.get("components", {})
    if not isinstance(comps, dict):
        raise InputFileError(f"\"components\" must be an object, got {_jtype(comps)}",
                             path=path, field="components")

    net = Network(name=name, gas=gas, meta=meta)
    bad = [c for c in comps if c not in COMPONENTS]
    if bad:
        raise InputFileError(
            f"unknown component {bad[0]!r}; valid components: {', '.join(COMPONENTS)}",
            path=path, field="components")
    # schema order, so references read the same way whatever the file's key order
    for comp in COMPONENTS:
        if comp in comps:
            df = _decode_table(comp, comps[comp], path)
            try:
                net.add_table(comp, df)
            except NetworkError as exc:
                raise InputFileError(str(exc), path=path) from exc
    return net


def _decode_gas(obj: Any, path: PathLike | None) -> GasProperties:
    if obj is None:
        return GasProperties()
    if not isinstance(obj, dict):
        raise InputFileError(f"\"gas\" must be an object, got {_jtype(obj)}", path=path,
                             field="gas")
    fields = {f.name: f for f in dataclasses.fields(GasProperties)}
    kwargs: dict[str, Any] = {}
    for key, value in obj.items():
        if key not in fields:
            raise InputFileError(f"gas: unknown property {key!r}; valid: {', '.join(fields)}",
                                 path=path, field=f"gas.{key}")
        if isinstance(value, str) and key != "composition":
            low = value.strip().lower()
            if low not in _NONFINITE:
                raise InputFileError(f"gas: {key} must be a number, got {value!r}", path=path,
                                     field=f"gas.{key}")
            value = _NONFINITE[low]
        kwargs[key] = value
    comp = kwargs.get("composition", {})
    if not isinstance(comp, dict) or not all(
        isinstance(v, int | float) and not isinstance(v, bool) for v in comp.values()
    ):
        raise InputFileError("gas: composition must be an object of mole fractions",
                             path=path, field="gas.composition")
    try:
        return GasProperties(**kwargs)
    except (TypeError, ValueError) as exc:
        raise InputFileError(f"invalid gas properties: {exc}", path=path, field="gas") from exc


def _decode_table(comp: str, obj: Any, path: PathLike | None) -> pd.DataFrame:
    if not isinstance(obj, dict):
        raise InputFileError(f"{comp}: expected an object with columns, index and data, "
                             f"got {_jtype(obj)}", path=path, field=comp)
    extra = [k for k in obj if k not in _TABLE_KEYS]
    if extra:
        raise InputFileError(f"{comp}: unknown key(s) {extra}; expected columns, index, data",
                             path=path, field=str(extra[0]))
    columns, index, data = obj.get("columns"), obj.get("index"), obj.get("data")
    if not isinstance(columns, list) or not all(isinstance(c, str) for c in columns):
        raise InputFileError(f"{comp}: \"columns\" must be a list of strings", path=path,
                             field="columns")
    if not isinstance(index, list):
        raise InputFileError(f"{comp}: \"index\" must be a list of element ids", path=path,
                             field="index")
    if not isinstance(data, list):
        raise InputFileError(f"{comp}: \"data\" must be a list of rows", path=path,
                             field="data")
    attrs = attributes(comp)
    for c in columns:
        if c not in attrs:
            raise InputFileError(
                f"{comp}: unknown column {c!r}; valid columns: {', '.join(attrs)}",
                path=path, field=c)
    dup = sorted({c for c in columns if columns.count(c) > 1})
    if dup:
        raise InputFileError(f"{comp}: duplicate column {dup[0]!r}", path=path, field=dup[0])
    ids: list[str] = []
    for k, i in enumerate(index):
        if isinstance(i, str):
            ids.append(i)
        elif isinstance(i, int) and not isinstance(i, bool):
            ids.append(str(i))
        else:
            raise InputFileError(f"{comp}: element id #{k} must be a string, got {i!r}",
                                 path=path, field="index")
    if len(data) != len(ids):
        raise InputFileError(f"{comp}: {len(data)} data rows for {len(ids)} ids", path=path,
                             field="data")
    values: list[list[Any]] = [[] for _ in columns]
    for eid, row in zip(ids, data, strict=True):
        if not isinstance(row, list) or len(row) != len(columns):
            got = f"{len(row)} values" if isinstance(row, list) else _jtype(row)
            raise InputFileError(f"{comp}: row must be a list of {len(columns)} values, "
                                 f"got {got}", path=path, element=eid)
        for j, v in enumerate(row):
            values[j].append(_decode_value(comp, attrs[columns[j]], v, eid, path))
    frame: dict[str, Any] = {}
    for c, vals in zip(columns, values, strict=True):
        dtype = attrs[c].pandas_dtype
        try:
            frame[c] = np.asarray(vals, dtype=object if dtype == "object" else dtype)
        except (OverflowError, ValueError) as exc:
            raise InputFileError(f"{comp}: column {c!r}: {exc}", path=path, field=c) from exc
    return pd.DataFrame(frame, index=pd.Index(ids, dtype="object", name="id"),
                        columns=columns)


def _decode_value(comp: str, a: Attribute, v: Any, eid: str, path: PathLike | None) -> Any:
    if a.dtype == "float":
        if v is None:
            return math.nan
        if isinstance(v, str) and v.strip().lower() in _NONFINITE:
            return _NONFINITE[v.strip().lower()]
        if isinstance(v, int | float) and not isinstance(v, bool):
            try:
                return float(v)
            except OverflowError:
                pass
    elif a.dtype == "str":
        if v is None:
            return ""
        if isinstance(v, str):
            return v
    elif a.dtype == "bool":
        if v is None:
            return bool(a.default)
        if isinstance(v, bool):
            return v
    elif a.dtype == "int":
        if isinstance(v, int) and not isinstance(v, bool):
            return v
        if isinstance(v, float) and v.is_integer():
            return int(v)
    expect = {"float": "a number, null (NaN) or \"inf\"/\"-inf\"", "str": "a string",
              "bool": "true or false", "int": "an integer"}[a.dtype]
    unit = f" [{a.unit}]" if a.unit else ""
    raise InputFileError(f"{comp}: {a.name}{unit} must be {expect}, got {v!r}", path=path,
                         element=eid, field=a.name)


def _jtype(v: Any) -> str:
    if v is None:
        return "null"
    return {dict: "an object", list: "an array", str: "a string", bool: "a boolean",
            int: "a number", float: "a number"}.get(type(v), type(v).__name__)


__all__ = ["FORMAT", "VERSION", "dumps_native", "loads_native", "read_native", "write_native"]
