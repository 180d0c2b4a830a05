"""Compressibility factor Z(p, T) of natural gas and its pressure derivative.

Reduced variables (Kay's rule pseudo-critical point, Kay 1936, Ind. Eng. Chem. 28, 1014):

    p_r = p / p_pc   [-],   T_r = T / T_pc   [-]

Models
------
* ``ideal``: Z = 1.
* ``papay``: Papay (1968) explicit correlation, see :func:`z_papay`.
* ``aga`` (alias ``aga8``): the linear "AGA" formula as given in Koch, Hiller, Pfetsch, Schewe
  (eds.), *Evaluating Gas Network Capacities*, SIAM 2015, Ch. 2, eq. (2.5) (the formula called
  "AGA88-simplified" in ``/work/shared/validation/analytic.md``), see :func:`z_aga`. **This is not
  the AGA Report No. 8 DETAIL characterisation method** (a composition-based multi-parameter
  equation of state, ISO 20765-1); the alias only exists because the GasLib/ZIB literature and
  data files use the name "AGA" for this formula.
* ``gerg2008``: the GERG-2008 wide-range equation of state (Kunz & Wagner 2012,
  J. Chem. Eng. Data 57, 3032-3091) through CoolProp (Bell et al. 2014, Ind. Eng. Chem. Res. 53,
  2498-2508), tabulated once and interpolated, see :class:`Gerg2008Z`.

All pressures are absolute and in Pa, temperatures in K; derivatives ``dZ/dp`` are in 1/Pa.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt
from numpy.typing import NDArray

from gasunion.physics.constants import BAR
from gasunion.physics.gas import GasProperties

FloatArray = NDArray[np.float64]

__all__ = [
    "Z_METHODS",
    "AgaZ",
    "Gerg2008Z",
    "IdealZ",
    "PapayZ",
    "ZModel",
    "dz_dp_aga",
    "dz_dp_papay",
    "make_z_model",
    "z_aga",
    "z_papay",
]

#: Valid ``method`` names of :func:`make_z_model`.
Z_METHODS: tuple[str, ...] = ("ideal", "papay", "aga", "aga8", "gerg2008")

# Papay (1968) coefficients.
_PAPAY_A = 3.52
_PAPAY_B = 2.260
_PAPAY_C = 0.274
_PAPAY_D = 1.878
# "AGA" formula coefficients (Koch et al. 2015, Ch. 2).
_AGA_A = 0.257
_AGA_B = 0.533


def _f(x: npt.ArrayLike) -> FloatArray:
    return np.asarray(x, dtype=np.float64)


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
    """The "AGA" compressibility formula of the GasLib/ZIB literature [-].

    ``Z = 1 + 0.257 p_r - 0.533 p_r / T_r``, ``p_r = p / p_pc``, ``T_r = T / T_pc``.

    Source: Koch, Hiller, Pfetsch, Schewe (eds.), *Evaluating Gas Network Capacities*, SIAM 2015,
    Ch. 2, eq. (2.5) ("AGA formula"). Not the AGA Report No. 8 DETAIL method.
    """
    pr = _f(p_pa) / _f(p_pc_pa)
    tr = _f(t_k) / _f(t_pc_k)
    return np.asarray(1.0 + _AGA_A * pr - _AGA_B * pr / tr, dtype=np.float64)


def dz_dp_aga(
    p_pa: npt.ArrayLike, t_k: npt.ArrayLike, p_pc_pa: npt.ArrayLike, t_pc_k: npt.ArrayLike
) -> FloatArray:
    """Pressure derivative of :func:`z_aga` at constant T [1/Pa].

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
    an array of absolute pressures in Pa.
    """

    name: str
    temperature_k: float

    def z(self, p_pa: npt.ArrayLike) -> FloatArray: ...

    def dz_dp(self, p_pa: npt.ArrayLike) -> FloatArray: ...


class IdealZ:
    """Ideal gas: ``Z = 1``, ``dZ/dp = 0``."""

    name = "ideal"

    def __init__(self, temperature_k: float = 288.15) -> None:
        self.temperature_k = float(temperature_k)

    def z(self, p_pa: npt.ArrayLike) -> FloatArray:
        return np.ones_like(_f(p_pa))

    def dz_dp(self, p_pa: npt.ArrayLike) -> FloatArray:
        return np.zeros_like(_f(p_pa))

    def __repr__(self) -> str:
        return f"IdealZ(temperature_k={self.temperature_k})"


class _PseudoCriticalZ:
    name = "base"

    def __init__(self, temperature_k: float, p_pc_pa: float, t_pc_k: float) -> None:
        for nm, v in (("temperature_k", temperature_k), ("p_pc_pa", p_pc_pa), ("t_pc_k", t_pc_k)):
            if not (math.isfinite(v) and v > 0):
                raise ValueError(f"{type(self).__name__}: {nm} must be positive, got {v!r}")
        self.temperature_k = float(temperature_k)
        self.p_pc_pa = float(p_pc_pa)
        self.t_pc_k = float(t_pc_k)

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


class AgaZ(_PseudoCriticalZ):
    """"AGA" formula of Koch et al. (2015) Ch. 2 at fixed T, see :func:`z_aga`.

    Not the AGA Report No. 8 DETAIL equation (see module docstring).
    """

    name = "aga"

    def z(self, p_pa: npt.ArrayLike) -> FloatArray:
        return z_aga(p_pa, self.temperature_k, self.p_pc_pa, self.t_pc_k)

    def dz_dp(self, p_pa: npt.ArrayLike) -> FloatArray:
        return dz_dp_aga(p_pa, self.temperature_k, self.p_pc_pa, self.t_pc_k)


def _import_coolprop() -> Any:
    try:
        import CoolProp.CoolProp as CP  # noqa: N817
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(
            "z='gerg2008' needs the optional dependency CoolProp: "
            "`pip install CoolProp` or `pip install gasunion[coolprop]`"
        ) from exc
    return CP


class Gerg2008Z:
    """GERG-2008 compressibility through CoolProp, tabulated on a pressure grid.

    Z(p) at the fixed temperature ``T`` is evaluated once with CoolProp's HEOS backend, i.e.
    ``PropsSI("Z", "P", p, "T", T, "HEOS::Methane[x1]&Ethane[x2]...")`` (done through an
    ``AbstractState`` so the mixture is built only once), on the grid

    * ``p = 0`` with the exact ideal-gas limit ``Z = 1``,
    * 16 log-spaced points 0.01 .. 1 bar,
    * ``n_points`` (default 120) equally spaced points 1 bar .. ``p_max_pa`` (default 200 bar),

    and interpolated with a cubic spline (scipy ``CubicSpline``, not-a-knot); ``dZ/dp`` [1/Pa] is
    the analytic derivative of the spline. With the default grid the interpolation error is
    below 1e-7 in Z.

    Equation of state: mixtures use GERG-2008 (Kunz & Wagner 2012, J. Chem. Eng. Data 57,
    3032-3091); a single component uses CoolProp's reference EOS for that fluid (for methane:
    Setzmann & Wagner 1991, J. Phys. Chem. Ref. Data 20, 1061). CoolProp: Bell, Wronski,
    Quoilin, Lemort (2014), Ind. Eng. Chem. Res. 53, 2498-2508.

    Phase handling. Pure fluids: every grid point gets a full PT flash (fast for pure fluids);
    a two-phase or (sub-critical) liquid state raises ValueError. Mixtures: for speed the flash
    imposes a single gas-like phase (CoolProp ``iphase_supercritical_gas``, no phase-stability
    analysis, ~0.2 ms per point); it is cross-checked at 10 grid points (spacing ~22 bar)
    against a full PT flash with stability analysis (~70 ms per point). A two-phase check point
    raises ValueError; single points where the imposed-phase flash fails are redone with the
    full flash; if the check values differ, the whole grid is recomputed with the full flash
    (which raises at any two-phase state). A two-phase window narrower than the check spacing
    could go undetected, and CoolProp labels dense single-phase mixture states (e.g. above the
    cricondenbar) "liquid", so they are accepted: use temperatures well above the gas's
    cricondentherm, as in transmission networks.

    ``composition`` maps CoolProp fluid names to mole fractions (normalised to sum 1); an empty
    composition means pure ``"Methane"``. Pressures above the grid extend it (up to 700 bar,
    the extended validity range of GERG-2008); negative/non-finite pressures or pressures above
    700 bar raise ValueError naming the pressure.
    """

    name = "gerg2008"
    #: Hard upper limit of tabulation [Pa] (GERG-2008 extended range, 70 MPa).
    P_LIMIT_PA = 700e5

    def __init__(
        self,
        composition: Mapping[str, float] | None,
        temperature_k: float,
        *,
        p_max_pa: float = 200e5,
        n_points: int = 120,
    ) -> None:
        CP = _import_coolprop()
        self._cp = CP
        comp = dict(composition or {})
        if not comp:
            comp = {"Methane": 1.0}
        bad = {k: v for k, v in comp.items() if not (math.isfinite(v) and v >= 0)}
        total = sum(comp.values())
        if bad or not total > 0:
            raise ValueError(
                f"Gerg2008Z: mole fractions must be non-negative with a positive sum, got {comp!r}"
            )
        comp = {k: v / total for k, v in comp.items() if v > 0}
        if not (math.isfinite(temperature_k) and temperature_k > 0):
            raise ValueError(f"Gerg2008Z: temperature_k must be positive, got {temperature_k!r}")
        if not (1e5 < p_max_pa <= self.P_LIMIT_PA):
            raise ValueError(f"Gerg2008Z: p_max_pa must be in (1 bar, 700 bar], got {p_max_pa!r}")
        self.composition: dict[str, float] = comp
        self.temperature_k = float(temperature_k)
        self.n_points = int(n_points)
        names = list(comp)
        try:
            self._state = CP.AbstractState("HEOS", "&".join(names))
            if len(names) > 1:
                self._state.set_mole_fractions([comp[n] for n in names])
        except ValueError as exc:
            raise ValueError(
                f"Gerg2008Z: CoolProp cannot build fluid {self.fluid_string!r}: {exc}"
            ) from exc
        self._build(float(p_max_pa))

    # ------------------------------------------------------------------ helpers
    @property
    def fluid_string(self) -> str:
        """CoolProp fluid string, e.g. ``HEOS::Methane[0.9]&Ethane[0.1]``."""
        if len(self.composition) == 1:
            return "HEOS::" + next(iter(self.composition))
        return "HEOS::" + "&".join(f"{k}[{v:.12g}]" for k, v in self.composition.items())

    def _flash_one(self, p: float, *, impose_gas: bool) -> float:
        """Z at (p, T); gas-like phase imposed (fast) or full PT flash with stability analysis."""
        CP = self._cp
        st = self._state
        if impose_gas:
            st.specify_phase(CP.iphase_supercritical_gas)
        try:
            st.update(CP.PT_INPUTS, p, self.temperature_k)
            if not impose_gas:
                bad = [CP.iphase_twophase]
                if len(self.composition) == 1:
                    bad.append(CP.iphase_liquid)
                if st.phase() in bad:
                    raise ValueError(
                        f"Gerg2008Z: {self.fluid_string} is not single-phase gas at "
                        f"p = {p:.6g} Pa, T = {self.temperature_k} K"
                    )
            return float(st.compressibility_factor())
        finally:
            st.unspecify_phase()

    def _wrap(self, exc: ValueError, p: float) -> ValueError:
        if str(exc).startswith("Gerg2008Z"):
            return exc
        return ValueError(
            f"Gerg2008Z: CoolProp failed for {self.fluid_string} at p = {p:.6g} Pa, "
            f"T = {self.temperature_k} K: {exc}"
        )

    def _flash_z(self, p: FloatArray, *, impose_gas: bool) -> FloatArray:
        """Z on the pressures p; with ``impose_gas`` a point whose gas-phase flash fails is
        redone with the full flash."""
        out = np.empty_like(p)
        for i, pi in enumerate(p.tolist()):
            try:
                out[i] = self._flash_one(pi, impose_gas=impose_gas)
            except ValueError as exc:
                if not impose_gas:
                    raise self._wrap(exc, pi) from exc
                try:
                    out[i] = self._flash_one(pi, impose_gas=False)
                except ValueError as exc2:
                    raise self._wrap(exc2, pi) from exc2
        return out

    def _build(self, p_max_pa: float) -> None:
        from scipy.interpolate import CubicSpline

        p_lin = np.linspace(1e5, p_max_pa, self.n_points)
        p_low = np.geomspace(1e3, 1e5, 17)[:-1]
        p_eval = np.concatenate([p_low, p_lin])
        if len(self.composition) == 1:
            z = self._flash_z(p_eval, impose_gas=False)  # pure fluid: full flash is cheap
        else:
            check_idx = np.unique(np.linspace(0, p_eval.size - 1, 10).round().astype(int))
            z_check = self._flash_z(p_eval[check_idx], impose_gas=False)  # raises if two-phase
            z = self._flash_z(p_eval, impose_gas=True)
            if not np.allclose(z[check_idx], z_check, rtol=1e-9, atol=0.0):
                z = self._flash_z(p_eval, impose_gas=False)
        self.p_grid_pa: FloatArray = np.concatenate([[0.0], p_eval])
        self.z_grid: FloatArray = np.concatenate([[1.0], z])
        self.p_max_pa = float(p_max_pa)
        self._spline = CubicSpline(self.p_grid_pa, self.z_grid)
        self._dspline = self._spline.derivative()

    def _check(self, p_pa: npt.ArrayLike) -> FloatArray:
        p = _f(p_pa)
        if p.size == 0:
            return p
        bad = ~np.isfinite(p) | (p < 0.0)
        if np.any(bad):
            raise ValueError(
                f"Gerg2008Z: pressure {float(p[bad].flat[0]):.6g} Pa is negative or not finite"
            )
        pmax = float(np.max(p))
        if pmax > self.p_max_pa:
            if pmax > self.P_LIMIT_PA:
                raise ValueError(
                    f"Gerg2008Z: pressure {pmax:.6g} Pa is above the tabulation limit "
                    f"{self.P_LIMIT_PA:.6g} Pa (700 bar)"
                )
            self._build(min(self.P_LIMIT_PA, max(2.0 * self.p_max_pa, 1.25 * pmax)))
        return p

    # ------------------------------------------------------------------ ZModel API
    def z(self, p_pa: npt.ArrayLike) -> FloatArray:
        """Z(p) [-] from the spline of the CoolProp table."""
        p = self._check(p_pa)
        return np.asarray(self._spline(p), dtype=np.float64)

    def dz_dp(self, p_pa: npt.ArrayLike) -> FloatArray:
        """dZ/dp [1/Pa]: derivative of the interpolating cubic spline."""
        p = self._check(p_pa)
        return np.asarray(self._dspline(p), dtype=np.float64)

    def __repr__(self) -> str:
        return (
            f"Gerg2008Z(composition={self.composition!r}, temperature_k={self.temperature_k}, "
            f"p_max_pa={self.p_max_pa})"
        )


def make_z_model(method: str, gas: GasProperties) -> ZModel:
    """Build the Z model ``method`` for ``gas`` at ``gas.temperature_k``.

    ``method`` is one of ``ideal``, ``papay``, ``aga``, ``aga8``, ``gerg2008`` (case-insensitive).
    ``aga8`` is an alias of ``aga``: the AGA formula of Koch et al. (2015) Ch. 2, eq. (2.5),
    ``Z = 1 + 0.257 p_r - 0.533 p_r/T_r`` -- *not* the full AGA-8 DETAIL equation.
    Papay/AGA use ``gas.p_pc_bar`` and ``gas.t_pc_k``; GERG-2008 uses ``gas.composition``
    (empty: pure methane).
    """
    m = method.strip().lower()
    t = gas.temperature_k
    if m == "ideal":
        return IdealZ(t)
    if m == "papay":
        return PapayZ(t, gas.p_pc_bar * BAR, gas.t_pc_k)
    if m in ("aga", "aga8"):
        return AgaZ(t, gas.p_pc_bar * BAR, gas.t_pc_k)
    if m == "gerg2008":
        return Gerg2008Z(gas.composition, t)
    raise ValueError(
        f"unknown compressibility method {method!r}; valid methods: {', '.join(Z_METHODS)}"
    )
