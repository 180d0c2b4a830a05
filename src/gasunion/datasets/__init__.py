"""Embedded datasets (shipped inside the package; no download).

* :func:`central_asia` -- the default: the gas network of the Russia-Kazakhstan-Uzbekistan
  union and its neighbours (Turkmenistan, Kyrgyzstan, Tajikistan, China), built from the
  sourced tables in ``gasunion/datasets/data/central_asia/`` (see
  ``docs/datasets/central-asia.md``), with named scenarios (:data:`SCENARIOS`) and report
  helpers for the ``gasunion demo`` command (:func:`segment_name` gives the readable name of
  a corridor segment).
* :func:`gaslib` -- GasLib-11 (Schmidt et al. 2017, CC-BY 3.0), shipped in
  ``gasunion/datasets/gaslib/``.
"""

from __future__ import annotations

from importlib import resources
from typing import TYPE_CHECKING

from gasunion.datasets.central_asia import (
    SCENARIOS,
    border_flow_report,
    central_asia,
    corridor_report,
    key_pressures,
    parties,
    reported_flow_check,
    segment_name,
)

if TYPE_CHECKING:
    from gasunion.network import Network

__all__ = [
    "SCENARIOS",
    "border_flow_report",
    "central_asia",
    "corridor_report",
    "default_network",
    "gaslib",
    "key_pressures",
    "parties",
    "reported_flow_check",
    "segment_name",
]

_GASLIB = ("GasLib-11",)


def gaslib(name: str = "GasLib-11") -> Network:
    """A GasLib instance shipped with the package, with its scenario and compressor stations."""
    if name not in _GASLIB:
        raise ValueError(f"no embedded GasLib instance {name!r}; available: {', '.join(_GASLIB)}")
    from gasunion.io.gaslib import read_gaslib

    base = resources.files("gasunion.datasets").joinpath("gaslib")
    with resources.as_file(base) as folder:
        return read_gaslib(folder / f"{name}.net", scenario=folder / f"{name}.scn",
                           compressor_stations=folder / f"{name}.cs")


def default_network() -> Network:
    """The network ``gasunion demo`` runs on: the Central Asia dataset, scenario ``2023``."""
    return central_asia("2023")
