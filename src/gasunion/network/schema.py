"""The one schema of every component table.

Declared once in ``components.csv`` (component, attribute, dtype, unit, default, required,
check, description), like PyPSA's component attribute files. Defaults, dtypes, validation and
the reference page ``docs/reference/components.md`` are all derived from it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache
from importlib import resources

import pandas as pd

#: Element tables, in a fixed order (nodes, attached elements, branches).
ELEMENTS: tuple[str, ...] = (
    "junctions",
    "sources",
    "sinks",
    "storages",
    "pipes",
    "short_pipes",
    "resistors",
    "valves",
    "control_valves",
    "compressors",
)
#: Tables that describe elements rather than being ones: interconnection points (groups of
#: border-crossing branches with their capacity per direction) and ownership shares.
DESCRIPTIVE: tuple[str, ...] = ("interconnections", "ownership")
#: Every table of a network: the elements, then the descriptive tables.
COMPONENTS: tuple[str, ...] = ELEMENTS + DESCRIPTIVE
#: Components attached to one junction (column ``junction``).
NODE_ELEMENTS: tuple[str, ...] = ("sources", "sinks", "storages")
#: Components connecting two junctions (``from_junction`` -> ``to_junction``).
BRANCHES: tuple[str, ...] = (
    "pipes",
    "short_pipes",
    "resistors",
    "valves",
    "control_valves",
    "compressors",
)

#: Attributes every component carries in addition to its own (provenance of the data).
_COMMON = (
    ("source", "Where the element's data come from (citation, source ID or file)"),
    ("note", "Free-text note: what is estimated and how"),
)


@dataclass(frozen=True)
class Attribute:
    """One column of a component table."""

    component: str
    name: str
    dtype: str  # "str" | "float" | "bool" | "int"
    unit: str
    default: object
    required: bool
    check: str
    description: str

    @property
    def pandas_dtype(self) -> str:
        return {"str": "object", "float": "float64", "bool": "bool", "int": "int64"}[self.dtype]

    @property
    def choices(self) -> tuple[str, ...]:
        if self.check.startswith("choice:"):
            return tuple(self.check.removeprefix("choice:").split("|"))
        return ()

    @property
    def ref(self) -> str | None:
        return self.check.removeprefix("ref:") if self.check.startswith("ref:") else None


def _parse_default(dtype: str, raw: object) -> object:
    if dtype == "str":
        return "" if raw is None or (isinstance(raw, float) and math.isnan(raw)) else str(raw)
    if dtype == "float":
        if raw is None or raw == "" or (isinstance(raw, float) and math.isnan(raw)):
            return math.nan
        return float(str(raw))
    if dtype == "bool":
        return str(raw).strip().lower() in ("true", "1", "yes")
    if dtype == "int":
        return int(str(raw))
    raise ValueError(f"components.csv: unknown dtype {dtype!r}")


@cache
def schema() -> dict[str, dict[str, Attribute]]:
    """All attributes, ``schema()[component][attribute]``, in declaration order."""
    with resources.files("gasunion.network").joinpath("components.csv").open("r") as fh:
        table = pd.read_csv(fh, dtype=str, keep_default_na=False)
    out: dict[str, dict[str, Attribute]] = {c: {} for c in COMPONENTS}
    for row in table.itertuples(index=False):
        if row.component not in out:
            raise ValueError(f"components.csv: unknown component {row.component!r}")
        dtype = str(row.dtype)
        out[row.component][row.attribute] = Attribute(
            component=str(row.component),
            name=str(row.attribute),
            dtype=dtype,
            unit=str(row.unit),
            default=_parse_default(dtype, row.default if row.default != "" else None),
            required=str(row.required).lower() == "true",
            check=str(row.check),
            description=str(row.description),
        )
    for comp in COMPONENTS:
        for name, desc in _COMMON:
            out[comp][name] = Attribute(comp, name, "str", "", "", False, "", desc)
    return out


def attributes(component: str) -> dict[str, Attribute]:
    """The attributes of one component; raises ``KeyError`` naming the valid components."""
    try:
        return schema()[component]
    except KeyError:
        raise KeyError(
            f"unknown component {component!r}; valid components: {', '.join(COMPONENTS)}"
        ) from None


_EMPTY: dict[str, pd.DataFrame] = {}


def empty_table(component: str) -> pd.DataFrame:
    """An empty table with every schema column at its dtype, indexed by element id (a copy
    of one built once per component)."""
    df = _EMPTY.get(component)
    if df is None:
        cols = {
            a.name: pd.Series(dtype=a.pandas_dtype) for a in attributes(component).values()
        }
        df = pd.DataFrame(cols)
        df.index = pd.Index([], dtype="object", name="id")
        _EMPTY[component] = df
    return df.copy()


def reference_markdown() -> str:
    """The component reference page (Markdown), generated from the schema."""
    lines = [
        "# Component reference",
        "",
        "Generated from `src/gasunion/network/components.csv` by "
        "`gasunion.network.schema.reference_markdown()`; do not edit by hand.",
        "Pressures are absolute. Every table is indexed by element id (`id`).",
        "",
    ]
    for comp in COMPONENTS:
        lines += [f"## `{comp}`", "", "| column | type | unit | default | required | check | description |",
                  "|---|---|---|---|---|---|---|"]
        for a in attributes(comp).values():
            default = "" if a.default == "" else a.default
            if isinstance(default, float) and math.isnan(default):
                default = "NaN"
            lines.append(
                f"| `{a.name}` | {a.dtype} | {a.unit} | {default} | {'yes' if a.required else ''} "
                f"| {a.check} | {a.description} |"
            )
        lines.append("")
    return "\n".join(lines)
