"""Embedded datasets (shipped inside the package; no download).

Until the Central Asia dataset lands, the default network is GasLib-11 (Schmidt et al. 2017,
CC-BY 3.0), shipped in ``gasunion/datasets/gaslib/``.
"""

from __future__ import annotations

from importlib import resources

from gasunion.network import Network

__all__ = ["default_network", "gaslib"]

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
    """The network ``gasunion demo`` runs on."""
    return gaslib("GasLib-11")
