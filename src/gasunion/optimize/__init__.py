"""Planning and optimisation on a :class:`~gasunion.network.Network`.

Each *problem* is written once and takes *formulations* (as GasModels.jl does: problem x
formulation). Every problem reads the same network tables the simulator reads and returns an
:class:`OptimizationResult` (tables in the simulator's shape plus the objective).

==============  ==================================================  ======================
problem         what it decides                                     formulations
==============  ==================================================  ======================
``transport``   multi-period flows, storage, contracts; node        ``linear`` (linopy +
                prices (duals)                                      HiGHS)
``ogf``         one steady state with the pipe law, compressor      ``nlp`` (CasADi +
                ratios and power: min fuel/power or max delivery    IPOPT), ``relaxed``
``operate``     compressor modes/ratios, valves and regulator       ``nlp``
                set-points for a nomination, confirmed by the
                simulator
``expansion``   the cheapest set of candidate pipes/compressors     ``linear``, ``relaxed``
                (MILP, HiGHS)
``shed``        maximum delivered gas by priority after an outage   ``linear``, ``nlp``
``security``    N-1 per country, supplier HHI, unserved demand of   ``linear``
                every single-element outage
==============  ==================================================  ======================

Solvers are imported only when a problem is solved.
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import TYPE_CHECKING, Any

from gasunion.optimize.result import OptimizationError, OptimizationResult

if TYPE_CHECKING:
    from gasunion.network import Network

__all__ = ["PROBLEMS", "OptimizationError", "OptimizationResult", "optimize"]

#: problem -> module implementing it. Each module defines ``FORMULATIONS`` (name -> callable
#: ``f(net, **options) -> OptimizationResult``) and ``DEFAULT_FORMULATION``.
PROBLEMS: dict[str, str] = {
    "transport": "gasunion.optimize.transport",
    "ogf": "gasunion.optimize.ogf",
    "operate": "gasunion.optimize.operate",
    "expansion": "gasunion.optimize.expansion",
    "shed": "gasunion.optimize.shed",
    "security": "gasunion.optimize.security",
}


def problem_module(problem: str) -> Any:
    """The module implementing ``problem`` (bad names raise a bad-input error)."""
    if problem not in PROBLEMS:
        raise OptimizationError("bad_input", f"unknown problem {problem!r}; choose one of "
                                + ", ".join(PROBLEMS))
    return importlib.import_module(PROBLEMS[problem])


def formulations(problem: str) -> list[str]:
    """Names of the formulations of ``problem``, the default first."""
    mod = problem_module(problem)
    names = list(mod.FORMULATIONS)
    names.remove(mod.DEFAULT_FORMULATION)
    return [mod.DEFAULT_FORMULATION, *names]


def optimize(net: Network, problem: str = "transport", formulation: str | None = None,
             **options: Any) -> OptimizationResult:
    """Solve ``problem`` on ``net`` with ``formulation`` (default: the problem's own).

    ``options`` go to the problem (e.g. ``periods=``, ``objective=``, ``friction=``, ``z=``,
    ``progress=``). Raises :class:`OptimizationError` (``kind`` ``bad_input`` for a bad
    request, ``infeasible`` with a diagnosis table, ``solver`` when the solver fails).
    """
    mod = problem_module(problem)
    name = formulation or mod.DEFAULT_FORMULATION
    if name not in mod.FORMULATIONS:
        raise OptimizationError(
            "bad_input", f"problem {problem!r} has no formulation {name!r}; choose one of "
            + ", ".join(formulations(problem)))
    result: OptimizationResult = mod.FORMULATIONS[name](net, **options)
    return result


class _CallableModule(types.ModuleType):
    """``gasunion.optimize`` is both this package and the function :func:`optimize`: importing
    the package binds the name ``optimize`` in ``gasunion`` to the module, so the module itself
    is made callable (``gu.optimize(net, problem=...)`` works either way)."""

    def __call__(self, net: Network, problem: str = "transport", formulation: str | None = None,
                 **options: Any) -> OptimizationResult:
        return optimize(net, problem, formulation, **options)


sys.modules[__name__].__class__ = _CallableModule
