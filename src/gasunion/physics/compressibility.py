"""Compressibility factor Z(p, T) of natural gas and its pressure derivative.

Models (``method`` of :func:`make_z_model`, all listed in :data:`Z_METHODS`)
---------------------------------------------------------------------------
* ``ideal``: Z = 1.
* ``papay``: Papay (1968) explicit correlation in the reduced variables of Kay's rule
  (``p_r = p / p_pc``, ``T_r = T / T_pc``; Kay 1936, Ind. Eng. Chem. 28, 1014), see :func:`z_papay`.
* ``aga_linear``: the *linear* formula ``Z = 1 + 0.257 p_r - 0.533 p_r/T_r`` of Koch, Hiller,
  Pfetsch, Schewe (eds.), *Evaluating Gas Network Capacities*, SIAM 2015, Ch. 2, eq. (2.5), which
  the GasLib/ZIB literature and data files call "AGA" (:func:`z_aga`, :class:`LinearAgaZ`). It is
  **not** AGA Report No. 8. The old name ``aga`` is a deprecated alias (``FutureWarning``).
* ``aga8``: the AGA-8 DETAIL equation of state (AGA Report No. 8 Part 1, 2017; ISO 20765-1;
  ISO 12213-2), from the molar composition: :mod:`gasunion.physics.aga8_detail`.
* ``sgerg88``: the SGERG-88 virial equation (ISO 12213-3) from superior calorific value,
  relative density and the CO2 and H2 fractions: :mod:`gasunion.physics.sgerg88`.
* ``gerg2008``: the GERG-2008 equation of state (Kunz & Wagner 2012, J. Chem. Eng. Data 57,
  3032-3091) through CoolProp: :mod:`gasunion.physics.gerg2008`.

Every model is a :class:`ZModel` at a fixed temperature with a ``validity`` dict and
``range_warnings(p_pa)``; user-fixable problems raise :class:`CompressibilityError`.
All pressures are absolute and in Pa, temperatures in K; derivatives ``dZ/dp`` are in 1/Pa.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from typing import Any, Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt
from numpy.typing import NDArray

from gasunion.errors import GasunionError, ValidityRangeWarning
from gasunion.physics.constants import BAR
from gasunion.physics.gas import GasProperties

FloatArray = NDArray[np.float64]

__all__ = [
    "Z_METHODS",
    "AgaZ",
    "CompressibilityError",
    "Gerg2008Z",
    "IdealZ",
    "LinearAgaZ",
    "PapayZ",
    "TabulatedZ",
    "ZModel",
    "dz_dp_aga",
    "dz_dp_papay",
    "make_z_model",
    "z_aga",
    "z_papay",
]

#: Valid ``method`` names of :func:`make_z_model` (deprecated aliases not included).
Z_METHODS: tuple[str, ...] = ("ideal", "papay", "aga_linear", "aga8", "sgerg88", "gerg2008")
#: Deprecated method names and their replacement.
DEPRECATED_Z_METHODS: dict[str, str] = {"aga": "aga_linear"}

# Papay (1968) coefficients.
_PAPAY_A = 3.52
_PAPAY_B = 2.260
_PAPAY_C = 0.274
_PAPAY_D = 1.878
# Linear "AGA" formula coefficients (Koch et al. 2015, Ch. 2, eq. 2.5).
_AGA_A = 0.257
_AGA_B = 0.533


class CompressibilityError(GasunionError, ValueError):
    """A compressibility model cannot be built or evaluated for the given input (bad or
    unknown composition, unknown method, two-phase state, pressure beyond a hard limit)."""


def _f(x: npt.ArrayLike) -> FloatArray:
    return np.asarray(x, dtype=np.float64)


def check_pressures(label: str, p: FloatArray, limit_pa: float) -> None:
    """Raise :class:`CompressibilityError` for negative / non-finite pressures or pressures
    above the hard limit ``limit_pa`` [Pa]; the message names the pressure."""
    if p.size == 0:
        return
    bad = ~np.isfinite(p) | (p < 0.0)
    if np.any(bad):
        raise CompressibilityError(
            f"{label}: pressure {float(p[bad].flat[0]):.6g} Pa is negative or not finite")
    pmax = float(np.max(p))
    if pmax > limit_pa:
        raise CompressibilityError(
            f"{label}: pressure {pmax:.6g} Pa is above the hard limit {limit_pa:.6g} Pa")


def pressure_sentences(label: str, p_pa: npt.ArrayLike, p_max_pa: float, range_name: str) -> list[str]:
    """``[sentence]`` if the largest of the pressures [Pa] exceeds ``p_max_pa``, else ``[]``."""
    p = _f(p_pa)
    finite = p[np.isfinite(p)]
    if finite.size == 0 or float(finite.max()) <= p_max_pa:
        return []
    return [f"{label}: pressure {float(finite.max()) / BAR:.6g} bar is above the {range_name} "
            f"(p <= {p_max_pa / BAR:g} bar)"]


# ---------------------------------------------------------------------------------------------
# closed-form correlations
# ---------------------------------------------------------------------------------------------
def z_papay(
    p_pa: npt.ArrayLike, t_k: npt.ArrayLike, p_pc_pa: npt.ArrayLike, t_pc_k: npt.ArrayLike
) -> FloatArray:
    """Papay compressibility factor [-].

    ``Z = 1 - 3.52 p_r exp(-2.260 T_r) + 0.274 p_r^2 exp(-1.878 T_r)``,
    ``p_r = p / p_pc``, ``T_r = T / T_pc`` (p, p_pc in Pa, T, T_pc in K).

    Source: J. Papay (1968), "A termelestechnologiai parameterek valtozasa a gazlelepk muvelese
    soran", OGIL Musz. Tud. Kozl., Budapest, pp. 267-273; as used in Koch et al. (eds.),
    *Evaluating Gas Network Capacities*, SIAM 2015, Ch. 2, and Menon, *Gas Pipeline Hydraulics*,
    CRC 2005, Ch. 1.
    """
    pr = _f(p_pa) / _f(p_pc_pa)
    tr = _f(t_k) / _f(t_pc_k)
    return np.asarray(
        1.0 - _PAPAY_A * pr * np.exp(-_PAPAY_B * tr) + _PAPAY_C * pr**2 * np.exp(-_PAPAY_D * tr),
        dtype=np.float64,
    )


def dz_dp_papay(
    p_pa: npt.ArrayLike, t_k: npt.ArrayLike, p_pc_pa: npt.ArrayLike, t_pc_k: npt.ArrayLike
) -> FloatArray:
    """Pressure derivative of :func:`z_papay` at constant T [1/Pa].

    ``dZ/dp = (-3.52 exp(-2.260 T_r) + 2 * 0.274 p_r exp(-1.878 T_r)) / p_pc``
    (analytic differentiation of Papay 1968).
    """
    p_pc = _f(p_pc_pa)
    pr = _f(p_pa) / p_pc
    tr = _f(t_k) / _f(t_pc_k)
    return np.asarray(
        (-_PAPAY_A * np.exp(-_PAPAY_B * tr) + 2.0 * _PAPAY_C * pr * np.exp(-_PAPAY_D * tr)) / p_pc,
        dtype=np.float64,
    )


def z_aga(
    p_pa: npt.ArrayLike, t_k: npt.ArrayLike, p_pc_pa: npt.ArrayLike, t_pc_k: npt.ArrayLike
) -> FloatArray:
    """The linear "AGA" compressibility formula of the GasLib/ZIB literature [-].

    ``Z = 1 + 0.257 p_r - 0.533 p_r / T_r``, ``p_r = p / p_pc``, ``T_r = T / T_pc``.

    Source: Koch, Hiller, Pfetsch, Schewe (eds.), *Evaluating Gas Network Capacities*, SIAM 2015,
    Ch. 2, eq. (2.5) ("AGA formula"). Despite the name this is **not** AGA Report No. 8 (for
    that use ``aga8``, :mod:`gasunion.physics.aga8_detail`); the function keeps the literature's
    name of the formula.
    """
    pr = _f(p_pa) / _f(p_pc_pa)
    tr = _f(t_k) / _f(t_pc_k)
    return np.asarray(1.0 + _AGA_A * pr - _AGA_B * pr / tr, dtype=np.float64)


def dz_dp_aga(
    p_pa: npt.ArrayLike, t_k: npt.ArrayLike, p_pc_pa: npt.ArrayLike, t_pc_k: npt.ArrayLike
) -> FloatArray:
    """Pressure derivative of the linear formula :func:`z_aga` at constant T [1/Pa].

    ``dZ/dp = (0.257 - 0.533 / T_r) / p_pc`` (independent of p; Koch et al. 2015, Ch. 2).
    """
    tr = _f(t_k) / _f(t_pc_k)
    val = (_AGA_A - _AGA_B / tr) / _f(p_pc_pa)
    return np.asarray(np.broadcast_to(val, np.broadcast(_f(p_pa), val).shape), dtype=np.float64)


# ---------------------------------------------------------------------------------------------
# Z models at fixed temperature
# ---------------------------------------------------------------------------------------------
@runtime_checkable
class ZModel(Protocol):
    """Compressibility model Z(p) at a fixed temperature (isothermal network model).

    ``z(p_pa)`` returns Z [-] and ``dz_dp(p_pa)`` returns dZ/dp [1/Pa], both element-wise for
    an array of absolute pressures in Pa. ``validity`` states the model's validity range as data
    (keys such as ``p_max_pa``, ``t_min_k``, ``t_max_k``, composition limits; empty: no stated
    limits) and ``range_warnings(p_pa)`` returns one sentence per limit that the pressures, the
    model's temperature or its composition exceed (empty list if inside).
    """

    name: str
    temperature_k: float
    validity: dict[str, float]

    def z(self, p_pa: npt.ArrayLike) -> FloatArray: ...

    def dz_dp(self, p_pa: npt.ArrayLike) -> FloatArray: ...

    def range_warnings(self, p_pa: npt.ArrayLike) -> list[str]: ...


class IdealZ:
    """Ideal gas: ``Z = 1``, ``dZ/dp = 0``; no validity limits."""

    name = "ideal"

    def __init__(self, temperature_k: float = 288.15) -> None:
        self.temperature_k = float(temperature_k)
        self.validity: dict[str, float] = {}

    def z(self, p_pa: npt.ArrayLike) -> FloatArray:
        return np.ones_like(_f(p_pa))

    def dz_dp(self, p_pa: npt.ArrayLike) -> FloatArray:
        return np.zeros_like(_f(p_pa))

    def range_warnings(self, p_pa: npt.ArrayLike) -> list[str]:
        """Always ``[]`` (the ideal-gas law has no stated limits here)."""
        return []

    def __repr__(self) -> str:
        return f"IdealZ(temperature_k={self.temperature_k})"


class _PseudoCriticalZ:
    """Correlation in Kay's-rule reduced variables. Neither Papay (1968) nor Koch et al. (2015)
    state a validity range for these formulas, so ``validity`` is empty and
    ``range_warnings`` returns ``[]``."""

    name = "base"

    def __init__(self, temperature_k: float, p_pc_pa: float, t_pc_k: float) -> None:
        for nm, v in (("temperature_k", temperature_k), ("p_pc_pa", p_pc_pa), ("t_pc_k", t_pc_k)):
            if not (math.isfinite(v) and v > 0):
                raise CompressibilityError(f"{type(self).__name__}: {nm} must be positive, got {v!r}")
        self.temperature_k = float(temperature_k)
        self.p_pc_pa = float(p_pc_pa)
        self.t_pc_k = float(t_pc_k)
        self.validity: dict[str, float] = {}

    def range_warnings(self, p_pa: npt.ArrayLike) -> list[str]:
        return []

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(temperature_k={self.temperature_k}, "
            f"p_pc_pa={self.p_pc_pa}, t_pc_k={self.t_pc_k})"
        )


class PapayZ(_PseudoCriticalZ):
    """Papay (1968) correlation at fixed T, see :func:`z_papay` / :func:`dz_dp_papay`."""

    name = "papay"

    def z(self, p_pa: npt.ArrayLike) -> FloatArray:
        return z_papay(p_pa, self.temperature_k, self.p_pc_pa, self.t_pc_k)

    def dz_dp(self, p_pa: npt.ArrayLike) -> FloatArray:
        return dz_dp_papay(p_pa, self.temperature_k, self.p_pc_pa, self.t_pc_k)


class LinearAgaZ(_PseudoCriticalZ):
    """The linear formula of Koch et al. (2015) Ch. 2, eq. (2.5) at fixed T (``aga_linear``),
    see :func:`z_aga`. Not AGA Report No. 8 (that is ``aga8``)."""

    name = "aga_linear"

    def z(self, p_pa: npt.ArrayLike) -> FloatArray:
        return z_aga(p_pa, self.temperature_k, self.p_pc_pa, self.t_pc_k)

    def dz_dp(self, p_pa: npt.ArrayLike) -> FloatArray:
        return dz_dp_aga(p_pa, self.temperature_k, self.p_pc_pa, self.t_pc_k)


#: Former name of :class:`LinearAgaZ` (kept so that old imports keep working).
AgaZ = LinearAgaZ


class TabulatedZ:
    """Base of the fixed-temperature models that tabulate Z(p) once and interpolate.

    Grid: ``p = 0`` (ideal-gas limit ``Z = 1``), 16 log-spaced points 0.01 .. 1 bar and
    ``n_points`` equally spaced points 1 bar .. ``p_max_pa``. A subclass's ``_tabulate(p)``
    returns Z and, when it has them, exact dZ/dp [1/Pa] on the grid: then a cubic Hermite spline
    is used (scipy ``CubicHermiteSpline``), otherwise a not-a-knot cubic spline (``CubicSpline``).
    ``dz_dp`` is the derivative of the interpolant, so it is consistent with ``z``. Pressures
    above the grid rebuild it up to ``max(2 p_max, 1.25 p)`` (at most :attr:`P_LIMIT_PA`);
    negative, non-finite or above-limit pressures raise :class:`CompressibilityError`.
    """

    name = "tabulated"
    #: Hard upper limit of the tabulation [Pa].
    P_LIMIT_PA = 700e5
    #: for :meth:`range_warnings`: the model's name and the pressure range it is valid in
    #: (``validity["p_max_pa"]``); no pressure check when ``RANGE_LABEL`` is empty
    RANGE_LABEL = ""
    RANGE_NAME = ""
    temperature_k: float
    validity: dict[str, float]
    n_points: int
    p_max_pa: float

    def _init_table(self, temperature_k: float, p_max_pa: float, n_points: int) -> None:
        label = type(self).__name__
        if not (math.isfinite(temperature_k) and temperature_k > 0):
            raise CompressibilityError(f"{label}: temperature_k must be positive, got {temperature_k!r}")
        if not (1e5 < p_max_pa <= self.P_LIMIT_PA):
            raise CompressibilityError(
                f"{label}: p_max_pa must be in (1e5, {self.P_LIMIT_PA:.6g}] Pa, got {p_max_pa!r}")
        if int(n_points) < 4:
            raise CompressibilityError(f"{label}: n_points must be >= 4, got {n_points!r}")
        self.temperature_k = float(temperature_k)
        self.p_max_pa = float(p_max_pa)
        self.n_points = int(n_points)

    def _tabulate(
        self, p: FloatArray, progress: Callable[[float], None] | None
    ) -> tuple[FloatArray, FloatArray | None]:
        raise NotImplementedError

    def _fixed_warnings(self) -> list[str]:
        return []

    def _finish(self, progress: Callable[[float], None] | None) -> None:
        """End of a subclass's constructor: warn for a temperature or composition outside the
        validity range, then build the table."""
        for msg in self._fixed_warnings():
            warnings.warn(msg, ValidityRangeWarning, stacklevel=3)
        self._build(self.p_max_pa, progress)

    def _build(self, p_max_pa: float, progress: Callable[[float], None] | None = None) -> None:
        from scipy.interpolate import CubicHermiteSpline, CubicSpline, PPoly

        p_lin = np.linspace(1e5, p_max_pa, self.n_points)
        p_low = np.geomspace(1e3, 1e5, 17)[:-1]
        p_grid = np.concatenate([[0.0], p_low, p_lin])
        z, dz = self._tabulate(p_grid, progress)
        spline: PPoly = CubicSpline(p_grid, z) if dz is None else CubicHermiteSpline(p_grid, z, dz)
        self.p_grid_pa: FloatArray = p_grid
        self.z_grid: FloatArray = np.asarray(z, dtype=np.float64)
        self.p_max_pa = float(p_max_pa)
        self._spline = spline
        self._dspline = spline.derivative()
        if progress is not None:
            progress(1.0)

    def _check(self, p_pa: npt.ArrayLike) -> FloatArray:
        p = _f(p_pa)
        check_pressures(type(self).__name__, p, self.P_LIMIT_PA)
        if p.size and float(np.max(p)) > self.p_max_pa:
            self._build(min(self.P_LIMIT_PA, max(2.0 * self.p_max_pa, 1.25 * float(np.max(p)))))
        return p

    def z(self, p_pa: npt.ArrayLike) -> FloatArray:
        """Z(p) [-] from the interpolating spline (p in Pa)."""
        p = self._check(p_pa)
        return np.asarray(self._spline(p), dtype=np.float64)

    def dz_dp(self, p_pa: npt.ArrayLike) -> FloatArray:
        """dZ/dp [1/Pa]: derivative of the interpolating spline."""
        p = self._check(p_pa)
        return np.asarray(self._dspline(p), dtype=np.float64)

    def range_warnings(self, p_pa: npt.ArrayLike) -> list[str]:
        """One sentence per validity limit exceeded by the pressures [Pa], the temperature or
        the composition."""
        out = self._fixed_warnings()
        if self.RANGE_LABEL:
            out += pressure_sentences(self.RANGE_LABEL, p_pa, self.validity["p_max_pa"],
                                      self.RANGE_NAME)
        return out


class EosTableZ(TabulatedZ):
    """A :class:`TabulatedZ` whose values come from an equation-of-state object ``eos`` with
    ``z_and_dz_dp(p_pa, t_k)`` and ``fixed_warnings(t_k)`` (AGA-8 DETAIL, SGERG-88)."""

    eos: Any

    def _fixed_warnings(self) -> list[str]:
        return list(self.eos.fixed_warnings(self.temperature_k))

    def _tabulate(
        self, p: FloatArray, progress: Callable[[float], None] | None
    ) -> tuple[FloatArray, FloatArray | None]:
        z, dz = self.eos.z_and_dz_dp(p, self.temperature_k)
        return z, dz


def make_z_model(
    method: str, gas: GasProperties, progress: Callable[[float], None] | None = None
) -> ZModel:
    """Build the Z model ``method`` (case-insensitive, see :data:`Z_METHODS`) for ``gas`` at
    ``gas.temperature_k``.

    * ``papay`` / ``aga_linear`` use ``gas.p_pc_bar`` and ``gas.t_pc_k``; ``aga`` is a
      deprecated alias of ``aga_linear`` (``FutureWarning``).
    * ``aga8`` (AGA-8 DETAIL) uses ``gas.composition`` (CoolProp or AGA-8 names); an empty
      composition raises :class:`CompressibilityError` pointing to ``sgerg88``.
    * ``sgerg88`` uses the calorific value, the molar mass (-> relative density) and the CO2 and
      H2 fractions of ``gas.composition`` (0 if absent), see
      :meth:`gasunion.physics.sgerg88.Sgerg88.from_gas` for the conversions.
    * ``gerg2008`` uses ``gas.composition`` through CoolProp (empty: pure methane).

    ``progress`` (optional) is called with the fraction done (0..1) while a table is built;
    it matters for ``gerg2008``, whose tabulation through CoolProp can take over a second.
    Temperature or composition outside a model's validity range gives a
    :class:`~gasunion.errors.ValidityRangeWarning`.
    """
    m = method.strip().lower()
    if m in DEPRECATED_Z_METHODS:
        new = DEPRECATED_Z_METHODS[m]
        warnings.warn(
            f"compressibility method {method!r} is deprecated: use {new!r} (the linear formula of "
            f"Koch et al. 2015, eq. 2.5); 'aga8' is the AGA-8 DETAIL equation of state",
            FutureWarning, stacklevel=2)
        m = new
    t = gas.temperature_k
    if m == "ideal":
        return IdealZ(t)
    if m == "papay":
        return PapayZ(t, gas.p_pc_bar * BAR, gas.t_pc_k)
    if m == "aga_linear":
        return LinearAgaZ(t, gas.p_pc_bar * BAR, gas.t_pc_k)
    if m == "aga8":
        if not gas.composition:
            raise CompressibilityError(
                "z='aga8' (AGA-8 DETAIL) needs the gas composition (gas.composition, mole "
                "fractions of the 21 AGA-8 components) and it is empty; give the composition, or "
                "use z='sgerg88', which needs only the calorific value, the relative density "
                "(from the molar mass) and the CO2 and H2 fractions")
        from gasunion.physics.aga8_detail import Aga8DetailZ

        return Aga8DetailZ(gas.composition, t, progress=progress)
    if m == "sgerg88":
        from gasunion.physics.sgerg88 import Sgerg88Z

        return Sgerg88Z.from_gas(gas, progress=progress)
    if m == "gerg2008":
        return Gerg2008Z(gas.composition, t, progress=progress)
    raise CompressibilityError(
        f"unknown compressibility method {method!r}; valid methods: {', '.join(Z_METHODS)}"
    )


# Re-export (defined in its own module, which imports the names above).
from gasunion.physics.gerg2008 import Gerg2008Z  # noqa: E402
