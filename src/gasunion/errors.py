"""The package's exception and warning bases.

Every error gasunion raises on purpose derives from :class:`GasunionError`, so that one
``except gasunion.GasunionError`` catches them all:

* :class:`~gasunion.io.InputFileError` — a bad input file (also a ``ValueError``);
* :class:`~gasunion.network.NetworkError` / :class:`~gasunion.network.NetworkValidationError`
  — invalid input to the network model (also ``ValueError``);
* :class:`~gasunion.simulation.SimulationError` — a simulation that failed, with its
  ``kind`` (``"setup"`` for what the user can fix, ``"not_converged"``, ``"infeasible"``, or
  ``"internal"`` for a defect inside gasunion) and a ``diagnosis`` table;
* :class:`MissingDependencyError` — an optional dependency is not installed (also an
  ``ImportError``); its message is one line with the install command.

Warnings (e.g. a compressibility model used outside its validity range) are
:class:`GasunionWarning`.
"""

from __future__ import annotations


class GasunionError(Exception):
    """Base of every error raised by gasunion."""


class MissingDependencyError(GasunionError, ImportError):
    """An optional dependency is missing; the message says how to install it."""

    def __init__(self, package: str, extra: str, purpose: str) -> None:
        self.package = package
        self.extra = extra
        super().__init__(f"{purpose} needs the optional dependency {package}: "
                         f"pip install 'gasunion[{extra}]' (or pip install {package})")


class GasunionWarning(UserWarning):
    """Base of the warnings gasunion issues (validity ranges, assumptions)."""


class ValidityRangeWarning(GasunionWarning):
    """A model (e.g. a compressibility equation) is used outside its stated validity range."""
