"""GERG-2008 compressibility through CoolProp, tabulated at a fixed temperature.

Equation of state: GERG-2008 (Kunz & Wagner 2012, J. Chem. Eng. Data 57, 3032-3091) for
mixtures; a single component uses CoolProp's reference equation for that fluid (for methane:
Setzmann & Wagner 1991, J. Phys. Chem. Ref. Data 20, 1061). CoolProp: Bell, Wronski, Quoilin,
Lemort (2014), Ind. Eng. Chem. Res. 53, 2498-2508. Units: p in Pa, T in K, dZ/dp in 1/Pa.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from gasunion.errors import MissingDependencyError
from gasunion.physics.compressibility import (
    CompressibilityError,
    FloatArray,
    TabulatedZ,
)

__all__ = ["GERG2008_VALIDITY", "Gerg2008Z"]

#: Validity of GERG-2008 (Kunz & Wagner 2012): the "normal range" (90..450 K, p <= 35 MPa) and
#: the "extended range" (60..700 K, p <= 70 MPa) with larger uncertainty.
GERG2008_VALIDITY: dict[str, float] = {
    "p_max_pa": 35e6, "t_min_k": 90.0, "t_max_k": 450.0,
    "p_max_extended_pa": 70e6, "t_min_extended_k": 60.0, "t_max_extended_k": 700.0,
}


def _import_coolprop() -> Any:
    try:
        import CoolProp.CoolProp as CP  # noqa: N817
    except ImportError as exc:  # depends on the environment
        raise MissingDependencyError("CoolProp", "coolprop", "z='gerg2008'") from exc
    return CP


class Gerg2008Z(TabulatedZ):
    """GERG-2008 compressibility through CoolProp, tabulated on a pressure grid.

    Z(p) at the fixed temperature ``T`` is evaluated once with CoolProp's HEOS backend (through
    an ``AbstractState`` so the mixture is built only once) on the grid of
    :class:`~gasunion.physics.compressibility.TabulatedZ` (``p = 0`` with ``Z = 1``, 16 points
    0.01 .. 1 bar, ``n_points`` (default 120) points 1 bar .. ``p_max_pa`` (default 200 bar)) and
    interpolated with a not-a-knot cubic spline; ``dZ/dp`` [1/Pa] is the spline's derivative.
    With the default grid the interpolation error is below 1e-7 in Z. ``progress(fraction)``
    is called while the table is computed (it can take over a second).

    Phase handling. Pure fluids: every grid point gets a full PT flash; a two-phase or
    (sub-critical) liquid state raises :class:`CompressibilityError`. Mixtures: for speed the
    flash imposes a single gas-like phase (no phase-stability analysis, ~0.2 ms per point); it is
    cross-checked at 10 grid points against a full PT flash with stability analysis (~70 ms per
    point). A two-phase check point raises; single points where the imposed-phase flash fails
    are redone with the full flash; if the check values differ, the whole grid is recomputed with
    the full flash. A two-phase window narrower than the check spacing could go undetected, and
    CoolProp labels dense single-phase mixture states "liquid", so they are accepted: use
    temperatures well above the gas's cricondentherm, as in transmission networks.

    ``composition`` maps CoolProp fluid names to mole fractions (normalised to sum 1); empty
    means pure ``"Methane"``. Pressures above the grid extend it up to 700 bar (the extended
    range of GERG-2008). Validity: :data:`GERG2008_VALIDITY`; the constructor warns
    (:class:`~gasunion.errors.ValidityRangeWarning`) for a temperature outside the normal range
    or a component that is not one of the 21 GERG-2008 components. Without CoolProp a
    :class:`~gasunion.errors.MissingDependencyError` is raised.
    """

    name = "gerg2008"
    RANGE_LABEL = "GERG-2008"
    RANGE_NAME = "normal range of Kunz & Wagner (2012)"
    #: Hard upper limit of tabulation [Pa] (GERG-2008 extended range, 70 MPa).
    P_LIMIT_PA = 700e5

    def __init__(
        self,
        composition: Mapping[str, float] | None,
        temperature_k: float,
        *,
        p_max_pa: float = 200e5,
        n_points: int = 120,
        progress: Callable[[float], None] | None = None,
    ) -> None:
        CP = _import_coolprop()
        self._cp = CP
        comp = dict(composition or {})
        if not comp:
            comp = {"Methane": 1.0}
        bad = {k: v for k, v in comp.items() if not (math.isfinite(v) and v >= 0)}
        total = sum(comp.values())
        if bad or not total > 0:
            raise CompressibilityError(
                f"Gerg2008Z: mole fractions must be non-negative with a positive sum, got {comp!r}"
            )
        self.composition: dict[str, float] = {k: v / total for k, v in comp.items() if v > 0}
        self._init_table(temperature_k, p_max_pa, n_points)
        self.validity = dict(GERG2008_VALIDITY)
        names = list(self.composition)
        try:
            self._state = CP.AbstractState("HEOS", "&".join(names))
            if len(names) > 1:
                self._state.set_mole_fractions([self.composition[n] for n in names])
        except ValueError as exc:
            raise CompressibilityError(
                f"Gerg2008Z: CoolProp cannot build fluid {self.fluid_string!r}: {exc}"
            ) from exc
        self._finish(progress)

    # ------------------------------------------------------------------ helpers
    @property
    def fluid_string(self) -> str:
        """CoolProp fluid string, e.g. ``HEOS::Methane[0.9]&Ethane[0.1]``."""
        if len(self.composition) == 1:
            return "HEOS::" + next(iter(self.composition))
        return "HEOS::" + "&".join(f"{k}[{v:.12g}]" for k, v in self.composition.items())

    def _fixed_warnings(self) -> list[str]:
        from gasunion.physics.aga8_detail import canonical_component

        v, t, out = self.validity, self.temperature_k, []
        if not v["t_min_k"] <= t <= v["t_max_k"]:
            out.append(f"GERG-2008: temperature {t:.6g} K is outside the normal range "
                       f"{v['t_min_k']:g}..{v['t_max_k']:g} K of Kunz & Wagner (2012)")
        for name in self.composition:
            try:
                canonical_component(name)  # the 21 GERG-2008 components are those of AGA-8
            except CompressibilityError:
                out.append(f"GERG-2008: {name!r} is not one of the 21 GERG-2008 components; "
                           "CoolProp uses its own estimated mixing parameters for it")
        return out

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
                    raise CompressibilityError(
                        f"Gerg2008Z: {self.fluid_string} is not single-phase gas at "
                        f"p = {p:.6g} Pa, T = {self.temperature_k} K"
                    )
            return float(st.compressibility_factor())
        finally:
            st.unspecify_phase()

    def _wrap(self, exc: ValueError, p: float) -> CompressibilityError:
        if isinstance(exc, CompressibilityError):
            return exc
        return CompressibilityError(
            f"Gerg2008Z: CoolProp failed for {self.fluid_string} at p = {p:.6g} Pa, "
            f"T = {self.temperature_k} K: {exc}"
        )

    def _flash_z(self, p: FloatArray, *, impose_gas: bool, report: Callable[[], None]) -> FloatArray:
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
            report()
        return out

    def _tabulate(
        self, p: FloatArray, progress: Callable[[float], None] | None
    ) -> tuple[FloatArray, FloatArray | None]:
        p_eval = p[1:]  # p[0] = 0: ideal-gas limit
        pure = len(self.composition) == 1
        check_idx = np.unique(np.linspace(0, p_eval.size - 1, 10).round().astype(int))
        # cost units: a full flash ~ 300 imposed-phase flashes (mixtures)
        state = {"done": 0.0, "total": float(p_eval.size if pure else 300 * check_idx.size
                                             + p_eval.size), "last": 0.0}

        def reporter(weight: float) -> Callable[[], None]:
            def report() -> None:
                state["done"] += weight
                state["last"] = max(state["last"], min(state["done"] / state["total"], 0.999))
                if progress is not None:
                    progress(state["last"])
            return report

        if pure:
            z = self._flash_z(p_eval, impose_gas=False, report=reporter(1.0))
        else:
            z_check = self._flash_z(p_eval[check_idx], impose_gas=False, report=reporter(300.0))
            z = self._flash_z(p_eval, impose_gas=True, report=reporter(1.0))
            if not np.allclose(z[check_idx], z_check, rtol=1e-9, atol=0.0):
                state["total"] += 300.0 * p_eval.size
                z = self._flash_z(p_eval, impose_gas=False, report=reporter(300.0))
        return np.concatenate([[1.0], z]), None

    def __repr__(self) -> str:
        return (
            f"Gerg2008Z(composition={self.composition!r}, temperature_k={self.temperature_k}, "
            f"p_max_pa={self.p_max_pa})"
        )
