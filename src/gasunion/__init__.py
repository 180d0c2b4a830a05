"""gasunion: shared network model, steady-state simulation and coordination tools for unions
of gas transport operators.

Quick start::

    import gasunion as gu
    net = gu.read("GasLib-40.net", scenario="GasLib-40.scn")
    res = gu.simulate(net, friction="nikuradse", z="papay")
    res.junctions["p_bar"], res.pipes["mass_flow_kg_s"], res.summary
    gu.write(net, "gaslib40.json")

The public names are imported lazily (PEP 562): ``import gasunion`` is cheap, and pandas,
scipy and the solver load on first use of ``gu.read``, ``gu.simulate``, ``gu.Network`` etc.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

#: public name -> module that defines it (imported on first access)
_LAZY: dict[str, str] = {
    "GasProperties": "gasunion.physics.gas",
    "GasunionError": "gasunion.errors",
    "GasunionWarning": "gasunion.errors",
    "InputFileError": "gasunion.io",
    "MissingDependencyError": "gasunion.errors",
    "Network": "gasunion.network",
    "NetworkError": "gasunion.network",
    "NetworkValidationError": "gasunion.network",
    "OptimizationError": "gasunion.optimize",
    "OptimizationResult": "gasunion.optimize",
    "SimulationError": "gasunion.simulation",
    "SimulationResult": "gasunion.simulation",
    "Simulator": "gasunion.simulation.prepared",
    "SweepResult": "gasunion.simulation.sweep",
    "ValidityRangeWarning": "gasunion.errors",
    "optimize": "gasunion.optimize",
    "read": "gasunion.io",
    "simulate": "gasunion.simulation",
    "sweep": "gasunion.simulation.sweep",
    "write": "gasunion.io",
}

__all__ = [
    "GasProperties",
    "GasunionError",
    "GasunionWarning",
    "InputFileError",
    "MissingDependencyError",
    "Network",
    "NetworkError",
    "NetworkValidationError",
    "OptimizationError",
    "OptimizationResult",
    "SimulationError",
    "SimulationResult",
    "Simulator",
    "SweepResult",
    "ValidityRangeWarning",
    "__version__",
    "optimize",
    "read",
    "simulate",
    "sweep",
    "write",
]

if TYPE_CHECKING:  # the same names, eagerly, for type checkers and IDEs
    from gasunion.errors import (
        GasunionError,
        GasunionWarning,
        MissingDependencyError,
        ValidityRangeWarning,
    )
    from gasunion.io import InputFileError, read, write
    from gasunion.network import Network, NetworkError, NetworkValidationError
    from gasunion.optimize import OptimizationError, OptimizationResult, optimize
    from gasunion.physics.gas import GasProperties
    from gasunion.simulation import SimulationError, SimulationResult, simulate
    from gasunion.simulation.prepared import Simulator
    from gasunion.simulation.sweep import SweepResult, sweep


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'gasunion' has no attribute {name!r}")
    try:
        mod = importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if exc.name != module:  # a dependency of the module is missing: say that
            raise
        raise AttributeError(f"module 'gasunion' has no attribute {name!r} ({module} is not "
                             "part of this installation)") from exc
    value = getattr(mod, name)
    globals()[name] = value  # later look-ups skip __getattr__
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
