"""The ``gasunion`` command line (Typer + Rich): a thin layer over the Python API.

Commands: ``simulate``, ``info``, ``validate``, ``convert``, ``demo``, ``sweep`` and
``optimize ...``; every one takes ``--json`` (one JSON document on stdout, failures
included). Exit codes: 0 success, 2 bad input
(unreadable or invalid file, invalid network, bad option, ill-posed simulation, missing optional
dependency, unwritable output), 1 failed computation (not converged, infeasible, internal
error).

Start-up is kept short: this package imports Typer only; pandas, numpy and the solver load
inside the commands that need them.
"""

import gasunion.cli.commands
import gasunion.cli.demo
import gasunion.cli.game
import gasunion.cli.game_network
import gasunion.cli.match
import gasunion.cli.optimize
import gasunion.cli.serve
import gasunion.cli.sweep  # noqa: F401  (the modules register their commands on the app)
from gasunion.cli._core import EXIT_BAD_INPUT, EXIT_FAILED, EXIT_OK, app

__all__ = ["EXIT_BAD_INPUT", "EXIT_FAILED", "EXIT_OK", "app", "main"]


def main() -> None:  # pragma: no cover - entry point
    """Run the command line (the ``gasunion`` console script calls ``app`` directly)."""
    app()
