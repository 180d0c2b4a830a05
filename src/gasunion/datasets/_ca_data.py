"""The shipped tables of the Central Asia dataset, read once per process (internal).

Every table lives in ``datasets/data/central_asia/`` as CSV (all columns read as text);
:func:`dataset_tables` returns copies. ``defaults.csv`` is the one place for engineering
defaults; :func:`_d` / :func:`_ds` read one of them.
"""

from __future__ import annotations

from functools import cache
from importlib import resources

import numpy as np
import pandas as pd

from gasunion.physics.constants import P_NORMAL_PA, R_UNIVERSAL, T_NORMAL_K
from gasunion.physics.gas import GasProperties

_DATA = ("data", "central_asia")
#: the tables of :func:`dataset_tables` (monthly.csv is read by ``central_asia_monthly``)
TABLES = ("nodes", "pipelines", "countries", "flows", "parties", "defaults", "scenarios",
          "capacities", "ownership")


@cache
def _read(name: str) -> pd.DataFrame:
    base = resources.files("gasunion.datasets").joinpath(*_DATA)
    with base.joinpath(f"{name}.csv").open("r", encoding="utf-8") as fh:
        return pd.read_csv(fh, dtype=str, keep_default_na=False)


def dataset_tables() -> dict[str, pd.DataFrame]:
    """The shipped CSV tables as read (every column as text; each a copy)."""
    return {n: _read(n).copy() for n in TABLES}


def defaults() -> pd.DataFrame:
    """``defaults.csv`` indexed by key: value, unit, applies_to, reasoning, source."""
    return _read("defaults").set_index("key")


@cache
def _default_values() -> dict[str, str]:
    d = _read("defaults")
    return dict(zip(d["key"], d["value"], strict=True))


def _d(key: str) -> float:
    return float(_default_values()[key])


def _ds(key: str) -> str:
    return _default_values()[key]


# Parsed views of the shipped tables, built once per process. Shared objects: callers must
# not modify them.
@cache
def _pipelines() -> pd.DataFrame:
    """``pipelines.csv`` indexed by row id (text columns as read)."""
    return _read("pipelines").set_index("id")


@cache
def _nodes() -> pd.DataFrame:
    """``nodes.csv`` indexed by node id (text columns as read)."""
    return _read("nodes").set_index("id")


def parties() -> pd.DataFrame:
    """The parties indexed by party id.

    Columns: name, country, role (``union member``, ``neighbour``, ``market``, ``shareholder``),
    country_operator (True for the party owning that country's junctions), parent (the
    parties holding it, ``"; "``-separated, ``""`` for none), parent_share (their shares in the
    same order, ``""`` where not sourced), parent_source, operator_of, source, note. See
    :func:`parent_shares` for the parents as a table.
    """
    p = _read("parties").set_index("party")
    p["country_operator"] = p["country_operator"].str.lower() == "true"
    return p


def parent_shares() -> pd.DataFrame:
    """The subsidiaries and joint ventures of ``parties.csv``: one row per (party, parent) with
    the parent's share (NaN where not sourced)."""
    p = _read("parties")
    out = []
    for party, par, sh in zip(p["party"], p["parent"], p["parent_share"], strict=True):
        parents = [x.strip() for x in par.split(";") if x.strip()]
        shares = [x.strip() for x in sh.split(";")] if sh.strip() else []
        for i, q in enumerate(parents):
            out.append({"party": party, "parent": q,
                        "share": float(shares[i]) if i < len(shares) and shares[i] else np.nan})
    return pd.DataFrame(out, columns=["party", "parent", "share"])


def _num(s: pd.Series) -> pd.Series:
    return pd.to_numeric(s.astype(str).str.strip(), errors="coerce").astype(float)


def _gas() -> GasProperties:
    """Package default gas at 15 C; volumes (bcm, mcm) in standard m3 at 20 C (defaults.csv)."""
    base = GasProperties()
    m = _d("gas_molar_mass_kg_kmol")
    t_ref = _d("volume_reference_temperature_k")
    return GasProperties(
        molar_mass_kg_kmol=m,
        temperature_k=_d("gas_temperature_k"),
        p_pc_bar=_d("gas_p_pc_bar"),
        t_pc_k=_d("gas_t_pc_k"),
        norm_density_kg_m3=P_NORMAL_PA * m * 1e-3 / (R_UNIVERSAL * t_ref),
        calorific_value_mj_m3=base.calorific_value_mj_m3 * T_NORMAL_K / t_ref,
        volume_reference_k=t_ref,
    )
