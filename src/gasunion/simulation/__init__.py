"""Steady-state gas-flow simulation (Newton–Raphson on nodal pressures and branch flows).

* :func:`simulate` — one network, one steady state;
* :class:`Simulator` — prepared once, solved many times with set-point changes;
* :func:`sweep` — many scenarios (in process or on a Dask cluster).
"""

from gasunion.simulation.prepared import FRICTION_MODELS, Simulator
from gasunion.simulation.results import SimulationError, SimulationResult
from gasunion.simulation.steady import simulate

__all__ = ["FRICTION_MODELS", "SimulationError", "SimulationResult", "Simulator", "simulate"]
