"""Steady-state gas-flow simulation (Newton–Raphson on nodal pressures and branch flows)."""

from gasunion.simulation.steady import (
    FRICTION_MODELS,
    Z_MODELS,
    SimulationError,
    SimulationResult,
    simulate,
)

__all__ = ["FRICTION_MODELS", "Z_MODELS", "SimulationError", "SimulationResult", "simulate"]
