"""gasunion: shared network model, steady-state simulation and coordination tools for unions
of gas transport operators.

Quick start::

    import gasunion as gu
    net = gu.read("GasLib-40.net", scenario="GasLib-40.scn")
    res = gu.simulate(net, friction="nikuradse", z="papay")
    res.junctions["p_bar"], res.pipes["mass_flow_kg_s"], res.summary
    gu.write(net, "gaslib40.json")
"""

from gasunion.errors import (
    GasunionError,
    GasunionWarning,
    MissingDependencyError,
    ValidityRangeWarning,
)
from gasunion.io import InputFileError, read, write
from gasunion.network import Network, NetworkError, NetworkValidationError
from gasunion.physics.gas import GasProperties
from gasunion.simulation import SimulationError, SimulationResult, simulate

__version__ = "0.1.0"

__all__ = [
    "GasProperties",
    "GasunionError",
    "GasunionWarning",
    "InputFileError",
    "MissingDependencyError",
    "Network",
    "NetworkError",
    "NetworkValidationError",
    "SimulationError",
    "SimulationResult",
    "ValidityRangeWarning",
    "__version__",
    "read",
    "simulate",
    "write",
]
