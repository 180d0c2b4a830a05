"""The :class:`Network`: one pandas table per component type, indexed by element id.

Every element has an ``owner`` (a party: an operator in a country) and a ``country``. Tables
follow the schema in ``components.csv`` (units in column names; pressures absolute).
Elements are created in bulk (:meth:`Network.add` with arrays, or :meth:`Network.add_table`).
"""

from __future__ import annotations

import copy as _copy
import math
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import numpy as np
import pandas as pd

from gasunion.errors import GasunionError
from gasunion.network.schema import (
    BRANCHES,
    COMPONENTS,
    DESCRIPTIVE,
    ELEMENTS,
    NODE_ELEMENTS,
    attributes,
    empty_table,
)
from gasunion.physics.gas import GasProperties


class NetworkError(GasunionError, ValueError):
    """Invalid input to the network model (names the component, element and field)."""


class Network:
    """A gas transport network.

    Parameters
    ----------
    name: a short name (e.g. ``"GasLib-40"``).
    gas: properties of the transported gas (default: GasLib's H-gas composition).
    meta: free-form metadata (source files, licence, citation, scenario name, ...).

    Component tables are available as attributes (``net.junctions``, ``net.pipes``, ...) and
    as ``net[component]``.
    """

    components: tuple[str, ...] = COMPONENTS

    def __init__(
        self,
        name: str = "",
        gas: GasProperties | None = None,
        meta: dict[str, Any] | None = None,
    ) -> None:
        self.name = name
        self.gas = gas if gas is not None else GasProperties()
        self.meta: dict[str, Any] = dict(meta or {})
        self._tables: dict[str, pd.DataFrame] = {c: empty_table(c) for c in COMPONENTS}

    # ------------------------------------------------------------------ table access
    def __getitem__(self, component: str) -> pd.DataFrame:
        attributes(component)  # raises a clear KeyError for unknown names
        return self._tables[component]

    def __setitem__(self, component: str, df: pd.DataFrame) -> None:
        attributes(component)
        self._tables[component] = self._conform(component, df)

    def __getattr__(self, name: str) -> pd.DataFrame:
        tables = self.__dict__.get("_tables")
        if tables is not None and name in tables:
            return tables[name]
        raise AttributeError(f"'Network' object has no attribute {name!r}")

    def iter_components(self, nonempty: bool = True) -> Iterator[tuple[str, pd.DataFrame]]:
        """Yield ``(component, table)`` of the element tables in schema order (only non-empty
        ones by default); the descriptive tables (``interconnections``, ``ownership``) are not
        elements and are not included."""
        for c in ELEMENTS:
            df = self._tables[c]
            if len(df) or not nonempty:
                yield c, df

    # ------------------------------------------------------------------ creation
    def add(self, component: str, ids: str | Sequence[str] | pd.Index, /,
            **columns: Any) -> pd.Index:
        """Add one or many elements of a component.

        ``ids`` is one id or a sequence of ids; each keyword is a column, given as a scalar
        (broadcast) or a sequence of the same length as ``ids``. Unknown columns, missing
        required columns and duplicate ids raise :class:`NetworkError`.

        >>> net = Network()
        >>> net.add("junctions", ["A", "B"], p_max_bar=[70.0, 70.0], country="KZ")  # doctest: +ELLIPSIS
        Index(['A', 'B'], dtype='object', name='id')
        """
        single = isinstance(ids, str) or np.ndim(ids) == 0
        idx = pd.Index([str(ids)] if single else [str(i) for i in ids], dtype="object", name="id")
        n = len(idx)
        data: dict[str, Any] = {}
        for key, value in columns.items():
            if isinstance(value, str) or np.ndim(value) == 0:
                data[key] = [value] * n
            else:
                arr = list(value)
                if len(arr) != n:
                    raise NetworkError(
                        f"{component}: column {key!r} has {len(arr)} values for {n} ids"
                    )
                data[key] = arr
        df = pd.DataFrame(data, index=idx)
        return self.add_table(component, df)

    def add_table(self, component: str, df: pd.DataFrame) -> pd.Index:
        """Append a whole table (index = element ids); missing optional columns get defaults."""
        new = self._conform(component, df)
        old = self._tables[component]
        dup = new.index[new.index.duplicated()].tolist() + new.index.intersection(old.index).tolist()
        if dup:
            shown = ", ".join(map(str, sorted(set(dup))[:10]))
            raise NetworkError(f"{component}: duplicate id(s): {shown}")
        self._tables[component] = new if old.empty else pd.concat([old, new])
        return new.index

    def remove(self, component: str, ids: str | Iterable[str]) -> None:
        """Remove elements by id (missing ids raise :class:`NetworkError`)."""
        table = self[component]  # clear KeyError for an unknown component
        idx = [ids] if isinstance(ids, str) else list(ids)
        missing = [i for i in idx if i not in table.index]
        if missing:
            raise NetworkError(f"{component}: no element(s) {missing}")
        self._tables[component] = self._tables[component].drop(index=idx)

    def _conform(self, component: str, df: pd.DataFrame) -> pd.DataFrame:
        """Check columns against the schema, fill defaults, cast dtypes, order columns."""
        attrs = attributes(component)
        unknown = [c for c in df.columns if c not in attrs]
        if unknown:
            raise NetworkError(
                f"{component}: unknown column(s) {unknown}; see docs/reference/components.md "
                f"(valid: {', '.join(attrs)})"
            )
        out = pd.DataFrame(index=pd.Index(df.index.astype(str), dtype="object", name="id"))
        problems = []
        for a in attrs.values():
            if a.name in df.columns:
                col = df[a.name].to_numpy()
            elif a.required:
                problems.append(f"{component}: required column {a.name!r} missing")
                continue
            else:
                col = np.array([a.default] * len(df), dtype=object)
            try:
                out[a.name] = _cast(col, a.dtype, a.default).to_numpy()
            except (TypeError, ValueError) as exc:
                bad = _first_bad(col, a.dtype)
                problems.append(
                    f"{component}: column {a.name!r} expects {a.dtype}"
                    + (f" [{a.unit}]" if a.unit else "")
                    + f"; element {df.index[bad]!r} has {col[bad]!r} ({exc})"
                )
        if problems:
            raise NetworkError("; ".join(problems))
        return out

    # ------------------------------------------------------------------ queries
    def junction_country(self) -> pd.Series:
        return self._tables["junctions"]["country"]

    def branches(self) -> pd.DataFrame:
        """All branches in one table: component, id, from_junction, to_junction, owner, country."""
        frames = []
        for c in BRANCHES:
            df = self._tables[c]
            if len(df):
                f = df[["from_junction", "to_junction", "name", "owner", "country"]].copy()
                f.insert(0, "component", c)
                frames.append(f)
        if not frames:
            return pd.DataFrame(
                columns=["component", "from_junction", "to_junction", "name", "owner", "country"]
            )
        return pd.concat(frames)

    def border_points(self) -> pd.DataFrame:
        """Branches whose two ends lie in different countries (interconnection points).

        Columns: component, from_junction, to_junction, from_country, to_country, owner.
        Junctions whose ``kind`` is ``"border"`` are listed too (component ``junctions``).
        """
        country = self._tables["junctions"]["country"]
        br = self.branches()
        if len(br):
            fc = br["from_junction"].map(country).fillna("")
            tc = br["to_junction"].map(country).fillna("")
            mask = (fc != tc) & (fc != "") & (tc != "")
            out = br.loc[mask, ["component", "from_junction", "to_junction", "owner"]].copy()
            out.insert(3, "from_country", fc[mask])
            out.insert(4, "to_country", tc[mask])
        else:
            out = pd.DataFrame(
                columns=["component", "from_junction", "to_junction", "from_country",
                         "to_country", "owner"]
            )
        j = self._tables["junctions"]
        bj = j[j["kind"] == "border"]
        if len(bj):
            extra = pd.DataFrame(
                {
                    "component": "junctions",
                    "from_junction": bj.index,
                    "to_junction": bj.index,
                    "from_country": bj["country"],
                    "to_country": bj["country"],
                    "owner": bj["owner"],
                },
                index=bj.index,
            )
            out = pd.concat([out, extra]) if len(out) else extra
        return out

    def ownership_shares(self) -> pd.DataFrame:
        """Who owns what share of every element: columns component, element, party, share.

        Elements listed in the ``ownership`` table take their rows from there (joint ventures);
        every other element with an ``owner`` belongs wholly (share 1) to it.
        """
        own = self._tables["ownership"]
        listed = set(zip(own["component"], own["element"], strict=True))
        frames = [own[["component", "element", "party", "share"]].reset_index(drop=True)]
        for comp in ELEMENTS:
            df = self._tables[comp]
            if not len(df):
                continue
            o = df["owner"].astype(str)
            keep = (o != "").to_numpy() & ~np.array([(comp, e) in listed for e in df.index],
                                                    dtype=bool)
            if keep.any():
                frames.append(pd.DataFrame({"component": comp, "element": df.index[keep],
                                            "party": o[keep].to_numpy(), "share": 1.0}))
        return pd.concat(frames, ignore_index=True)

    def counts(self) -> dict[str, int]:
        return {c: len(df) for c, df in self._tables.items() if len(df)}

    def copy(self) -> Network:
        """An independent copy (tables and metadata copied)."""
        new = Network.__new__(Network)
        new.name = self.name
        new.gas = self.gas
        new.meta = _copy.deepcopy(self.meta)
        new._tables = {c: df.copy() for c, df in self._tables.items()}
        return new

    def validate(self, raise_on_error: bool = False) -> ValidationReport:
        """Check the whole network; every problem is reported at once (see :mod:`.validation`)."""
        from gasunion.network.validation import validate

        report = validate(self)
        if raise_on_error:
            report.raise_if_errors()
        return report

    def equals(self, other: Network) -> bool:
        """Same name, gas, metadata and identical tables (NaN equal to NaN)."""
        if self.name != other.name or self.gas != other.gas or self.meta != other.meta:
            return False
        for c in COMPONENTS:
            a, b = self._tables[c], other._tables[c]
            if not a.index.equals(b.index) or list(a.columns) != list(b.columns):
                return False
            try:
                pd.testing.assert_frame_equal(a, b, check_exact=True)
            except AssertionError:
                return False
        return True

    def __repr__(self) -> str:
        parts = ", ".join(f"{c}={n}" for c, n in self.counts().items())
        return f"Network({self.name!r}: {parts or 'empty'})"


def _cast(col: np.ndarray, dtype: str, default: object) -> pd.Series:
    if dtype == "float":
        vals = [default if v is None else v for v in col]
        return pd.Series(np.asarray(vals, dtype=float))
    if dtype == "str":
        return pd.Series(
            ["" if (v is None or (isinstance(v, float) and math.isnan(v))) else str(v) for v in col],
            dtype="object",
        )
    if dtype == "bool":
        out = []
        for v in col:
            if isinstance(v, bool | np.bool_) or (isinstance(v, int | np.integer) and v in (0, 1)):
                out.append(bool(v))
            elif isinstance(v, str) and v.strip().lower() in ("true", "false", "1", "0"):
                out.append(v.strip().lower() in ("true", "1"))
            elif v is None or (isinstance(v, float) and math.isnan(v)):
                out.append(bool(default))
            else:
                raise ValueError(f"not a boolean: {v!r}")
        return pd.Series(out, dtype=bool)
    if dtype == "int":
        return pd.Series(np.asarray(col, dtype=np.int64))
    raise ValueError(dtype)


def _first_bad(col: np.ndarray, dtype: str) -> int:
    for i, v in enumerate(col):
        try:
            _cast(np.asarray([v], dtype=object), dtype, None)
        except (TypeError, ValueError):
            return i
    return 0


# Imported late to avoid a cycle; re-exported for type hints.
from gasunion.network.validation import ValidationReport  # noqa: E402

__all__ = ["BRANCHES", "COMPONENTS", "DESCRIPTIVE", "ELEMENTS", "NODE_ELEMENTS", "Network",
           "NetworkError", "ValidationReport"]
