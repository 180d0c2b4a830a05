"""Steady-state simulation of one network: :func:`simulate`.

``simulate(net)`` is ``Simulator(net, ...).run()`` (:mod:`.prepared`): it validates the
network, builds the solver arrays once (:mod:`.model`), runs the Newton kernel
(:mod:`.newton`) and returns a :class:`~gasunion.simulation.results.SimulationResult` with one
table per component type (same index as the network tables), a ``summary`` dict and a
``violations`` table of bounds that the solution breaks. A failure raises a
:class:`~gasunion.simulation.results.SimulationError` whose ``diagnosis`` table names the
elements at fault. To solve many variants of one network, prepare a
:class:`~gasunion.simulation.prepared.Simulator` once, or use :func:`gasunion.sweep`.
"""

from __future__ import annotations

from collections.abc import Callable

from gasunion.network import Network
from gasunion.simulation.prepared import FRICTION_MODELS, Simulator
from gasunion.simulation.results import SimulationError, SimulationResult

__all__ = ["FRICTION_MODELS", "SimulationError", "SimulationResult", "simulate"]


def simulate(
    net: Network,
    friction: str = "nikuradse",
    z: str = "papay",
    tol: float = 1e-10,
    max_iter: int = 60,
    slack: str = "auto",
    raise_on_failure: bool = True,
    progress: Callable[[int, float], None] | None = None,
    linear_solver: str = "auto",
    z_progress: Callable[[float], None] | None = None,
) -> SimulationResult:
    """Steady-state, isothermal gas flow on ``net``.

    Parameters
    ----------
    friction: ``"nikuradse"`` (fully rough), ``"colebrook"`` (Colebrook–White with Reynolds
        number), ``"hofer"`` (explicit approximation of Colebrook), ``"weymouth"``, or the
        variants ``"stanet_nikuradse"`` / ``"stanet_colebrook"`` that STANET and pandapipes use
        (see :mod:`gasunion.physics.friction`). Pipes with a ``friction_factor`` use that value.
    z: compressibility model (see :func:`gasunion.physics.compressibility.make_z_model`):
        ``"ideal"``, ``"papay"``, ``"aga_linear"`` (the linear formula of Koch et al. 2015),
        ``"aga8"`` (AGA-8 DETAIL, needs ``net.gas.composition``), ``"sgerg88"`` or
        ``"gerg2008"`` (CoolProp).
    tol: convergence tolerance on the scaled residuals (mass balance relative to the flow scale,
        pressure laws relative to the squared reference pressure).
    slack: ``"auto"`` gives an island without pressure set-point a reference at its source with
        the highest ``p_max_bar`` (recorded in ``summary["assumptions"]``); ``"none"`` refuses.
    raise_on_failure: raise :class:`SimulationError` if not converged or infeasible; else return
        the last iterate with ``summary["converged"] = False`` or ``summary["feasible"] = False``.
    progress: called with (Newton iteration, scaled residual) after each iteration.
    linear_solver: sparse LU of the Newton steps: ``"auto"`` (SuiteSparse KLU where the
        library is installed, else SciPy's SuperLU), ``"klu"`` or ``"superlu"``; the same
        solution either way (``summary["linear_solver"]`` says which ran).
    z_progress: called with the fraction done (0..1) while a compressibility table is built
        (GERG-2008 through CoolProp can take seconds).
    """
    # used once, before the caller can edit ``net``: no copy
    sim = Simulator(net, friction=friction, z=z, tol=tol, max_iter=max_iter, slack=slack,
                    copy=False, linear_solver=linear_solver, progress=z_progress)
    return sim.run(raise_on_failure=raise_on_failure, progress=progress)
