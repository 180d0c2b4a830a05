"""SGERG-88: compression factor from physical properties (ISO 12213-3; GERG TM5).

The "master" GERG-88 virial equation in its simplified input form (Jaeschke & Humphreys,
*Standard GERG Virial Equation for Field Use*, GERG Technical Monograph TM5, 1991; ISO 12213-3,
Annex B). Inputs: superior calorific value ``H_s`` [MJ/m^3] (combustion at 25 degC, volume
metered at 0 degC and 1.01325 bar), relative density ``d`` [-] (real-gas densities of gas and
dry air at 0 degC and 1.01325 bar, air 1.292923 kg/m^3), mole fractions ``x_CO2`` and ``x_H2``.
The gas is represented by an equivalent hydrocarbon (molar calorific value ``H_CH`` [MJ/kmol],
molar mass ``M_CH = -2.709328 + 0.021062199 H_CH``), N2, CO2, H2 and CO (``x_CO = 0.0964 x_H2``);
``H_CH`` and ``x_N2`` follow from ``H_s`` and ``d`` by the nested iteration of the standard
(here converged to ~1e-12, tighter than the Fortran's 1e-6 kg/m^3 and 1e-4 MJ/m^3). Then

    Z = 1 + B(T) rho_m + C(T) rho_m^2,   p = rho_m R T Z,   R = 0.0831451 bar m^3/(kmol K),

with mixture virial coefficients ``B`` [m^3/kmol], ``C`` [m^6/kmol^2] quadratic in T (and in
``H_CH`` for the hydrocarbon terms). ``rho_m`` is solved by a vectorised bracketed Newton
iteration on the cubic, all points at once; ``dZ/dp = (B + 2 C rho_m) / (R T (1 + 2 B rho_m +
3 C rho_m^2))`` (analytic).

Coefficients: GERG TM5 (1991) / ISO 12213-3 Annex B, as in the Fortran subroutine SGERG.FOR of
Michels & Schouten (1991) reproduced in ISO 12213-3 Annex F (transcribed e.g. in the MIT-licensed
Python package ``pygerg``). Own implementation; checked against the example calculations of
ISO 12213-3 Annex C (``tests/physics/test_physics_sgerg88.py``).

SGERG-88 is the basis of the "GERG-91 mod." method of GOST 30319.2 used in Russia and Central
Asia (the same virial form with modified input handling); GERG-91 mod. itself is **not**
implemented here.

Validity (ISO 12213-3:2006 clause 4.4 as listed in FE-ISO12213-3-C's documentation,
felib.com/fe_iso12213x3_c.php; :data:`SGERG88_VALIDITY`): pipeline-quality gas
p <= 12 MPa, 263..338 K, d 0.55..0.80, H_s 30..45 MJ/m^3, x_CO2 <= 0.20, x_H2 <= 0.10 (about
0.1 % uncertainty); the wider input limits of the standard's program (H_s 20..48, d 0.55..0.90,
x_CO2 <= 0.30, x_H2 <= 0.10, derived x_N2 -0.01..0.5, x_N2 + x_CO2 <= 0.5 and the
relative-density consistency conditions) are hard limits (:class:`CompressibilityError`).
Units: p in Pa, T in K, molar density in mol/m^3, dZ/dp in 1/Pa.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import numpy.typing as npt

from gasunion.physics.compressibility import (
    CompressibilityError,
    EosTableZ,
    FloatArray,
    check_pressures,
)
from gasunion.physics.gas import GasProperties

__all__ = ["SGERG88_VALIDITY", "Sgerg88", "Sgerg88Z"]

#: Validity data: ISO 12213-3 pipeline-quality ranges (``*_min`` / ``*_max``) and the hard
#: input limits of the standard's program (``*_limit_*``).
SGERG88_VALIDITY: dict[str, float] = {
    "p_max_pa": 12e6, "t_min_k": 263.0, "t_max_k": 338.0,
    "d_min": 0.55, "d_max": 0.80, "hs_min_mj_m3": 30.0, "hs_max_mj_m3": 45.0,
    "x_co2_max": 0.20, "x_h2_max": 0.10,
    "d_limit_min": 0.55, "d_limit_max": 0.90, "hs_limit_min_mj_m3": 20.0,
    "hs_limit_max_mj_m3": 48.0, "x_co2_limit_max": 0.30, "x_h2_limit_max": 0.10,
    "t_limit_min_k": 250.15, "t_limit_max_k": 338.15,
}

_R = 0.0831451  # bar m^3 / (kmol K)
_VM0 = 22.414097  # ideal-gas molar volume at 0 degC, 1.01325 bar [m^3/kmol]
_RHO_AIR = 1.292923  # density of dry air at 0 degC, 1.01325 bar [kg/m^3]
_T0 = 273.15
_H_H2, _H_CO = 285.83, 282.98  # molar calorific values [MJ/kmol]
_M_N2, _M_CO2, _M_H2, _M_CO = 28.0135, 44.010, 2.0159, 28.010
# (a0, a1, a2) of a0 + a1 T + a2 T^2; B in m^3/kmol, C in m^6/kmol^2
_B11 = np.array([[-0.425468, 0.286500e-2, -0.462073e-5],   # H^0
                 [0.877118e-3, -0.556281e-5, 0.881510e-8],  # H^1
                 [-0.824747e-6, 0.431436e-8, -0.608319e-11]])  # H^2
_C111 = np.array([[-0.302488, 0.195861e-2, -0.316302e-5],
                  [0.646422e-3, -0.422876e-5, 0.688157e-8],
                  [-0.332805e-6, 0.223160e-8, -0.367713e-11]])
_B22 = (-0.144600, 0.740910e-3, -0.911950e-6)
_B23 = (-0.339693, 0.161176e-2, -0.204429e-5)
_B33 = (-0.868340, 0.403760e-2, -0.516570e-5)
_B15 = (-0.521280e-1, 0.271570e-3, -0.25e-6)   # CH-H2
_B17 = (-0.687290e-1, -0.239381e-5, 0.518195e-6)  # CH-CO
_B55 = (-0.110596e-2, 0.813385e-4, -0.987220e-7)  # H2-H2
_B77 = (-0.130820, 0.602540e-3, -0.644300e-6)  # CO-CO
_B25 = 0.012  # N2-H2
_C222 = (0.784980e-2, -0.398950e-4, 0.611870e-7)
_C223 = (0.552066e-2, -0.168609e-4, 0.157169e-7)
_C233 = (0.358783e-2, 0.806674e-5, -0.325798e-7)
_C333 = (0.205130e-2, 0.348880e-4, -0.837030e-7)
_C555 = (0.104711e-2, -0.364887e-5, 0.467095e-8)
_C117 = (0.736748e-2, -0.276578e-4, 0.343051e-7)


def _poly(c: tuple[float, float, float] | FloatArray, t: FloatArray) -> FloatArray:
    return np.asarray(c[0] + c[1] * t + c[2] * t * t, dtype=np.float64)


class Sgerg88:
    """SGERG-88 for one gas: ``hs_mj_m3`` (H_s, 25 degC combustion, m^3 at 0 degC and
    1.01325 bar), relative density ``d``, mole fractions ``x_co2`` and ``x_h2``.

    The constructor characterises the gas (``x_ch``, ``x_n2``, ``x_co``, ``h_ch`` [MJ/kmol]);
    inputs outside the hard limits raise :class:`CompressibilityError`. ``tol_rho`` [kg/m^3] and
    ``tol_hs`` [MJ/m^3] are the convergence tolerances of the characterisation; the standard's
    program uses 1e-6 and 1e-4, with which its result (slightly unconverged, ~1e-6 in Z) is
    reproduced exactly; the defaults converge to round-off.
    """

    def __init__(
        self, hs_mj_m3: float, d: float, x_co2: float = 0.0, x_h2: float = 0.0, *,
        tol_rho: float = 1e-12, tol_hs: float = 1e-10,
    ) -> None:
        v = SGERG88_VALIDITY
        checks = [
            ("relative density d", d, v["d_limit_min"], v["d_limit_max"]),
            ("superior calorific value H_s [MJ/m^3]", hs_mj_m3, v["hs_limit_min_mj_m3"],
             v["hs_limit_max_mj_m3"]),
            ("x_CO2", x_co2, 0.0, v["x_co2_limit_max"]), ("x_H2", x_h2, 0.0, v["x_h2_limit_max"]),
        ]
        for what, val, lo, hi in checks:
            if not (math.isfinite(val) and lo <= val <= hi):
                raise CompressibilityError(
                    f"SGERG-88: {what} = {val!r} is outside the input limits {lo:g}..{hi:g} of "
                    "ISO 12213-3")
        if 0.55 + 0.97 * x_co2 - 0.45 * x_h2 > d:
            raise CompressibilityError(
                f"SGERG-88: conflicting inputs: d = {d} < 0.55 + 0.97 x_CO2 - 0.45 x_H2")
        self.hs_mj_m3, self.d, self.x_co2, self.x_h2 = float(hs_mj_m3), float(d), float(x_co2), float(x_h2)
        self.x_co = 0.0964 * self.x_h2
        self._characterise(tol_rho, tol_hs)
        x2, x3 = self.x_n2, self.x_co2
        if not (-0.01 <= x2 <= 0.5) or x2 + x3 > 0.5 or 0.55 + 0.4 * x2 + 0.97 * x3 - 0.45 * self.x_h2 > d:
            raise CompressibilityError(
                f"SGERG-88: the inputs give x_N2 = {x2:.4g}, outside the method's limits "
                "(-0.01 <= x_N2 <= 0.5, x_N2 + x_CO2 <= 0.5, d >= 0.55 + 0.4 x_N2 + 0.97 x_CO2 "
                "- 0.45 x_H2): H_s and d do not fit together")

    @classmethod
    def from_gas(cls, gas: GasProperties) -> Sgerg88:
        """SGERG-88 inputs from a :class:`~gasunion.physics.gas.GasProperties`.

        * ``H_s = gas.calorific_value_mj_m3 * gas.volume_reference_k / 273.15``: the gross
          calorific value per m^3 at the gas's volume reference temperature converted to m^3 at
          0 degC with the ideal-gas law (the real-gas correction is a few 1e-4 of H_s). The
          combustion reference is *assumed* to be 25 degC, as the standard requires; gasunion
          does not record it. A value for another combustion temperature (e.g. 0 degC, a few
          tenths of a percent higher) must be converted first: Z is sensitive to it (0.3 % in
          H_s moves Z at 7 MPa, 283 K by about 8e-4 for the GasLib default gas).
        * ``d`` with the real-gas relation of the standard: ``d * 1.292923 kg/m^3 = M / (V_m0 +
          B(273.15 K))`` (``V_m0 = 22.414097 m^3/kmol``), solved by fixed-point iteration because
          B depends on the characterisation, which depends on d. ``gas.norm_density_kg_m3`` is
          not used (GasLib data files give norm densities inconsistent with their molar masses).
        * ``x_CO2``, ``x_H2`` from ``gas.composition`` (any spelling accepted by
          :func:`~gasunion.physics.aga8_detail.canonical_component`), normalised, 0 if absent.
        """
        from gasunion.physics.aga8_detail import canonical_component

        comp = gas.composition or {}
        total = sum(float(v) for v in comp.values()) or 1.0
        x = {"carbon dioxide": 0.0, "hydrogen": 0.0}
        for name, val in comp.items():
            try:
                key = canonical_component(name)
            except CompressibilityError:
                continue  # other components do not enter SGERG-88
            if key in x:
                x[key] += float(val) / total
        hs = gas.calorific_value_mj_m3 * gas.volume_reference_k / _T0
        m = gas.molar_mass_kg_kmol
        d = m / (_VM0 - 0.05) / _RHO_AIR
        for _ in range(50):
            b0 = float(cls(hs, d, x["carbon dioxide"], x["hydrogen"]).virial_bc(_T0)[0])
            d_new = m / (_VM0 + b0) / _RHO_AIR
            if abs(d_new - d) < 1e-13:
                break
            d = d_new
        return cls(hs, d_new, x["carbon dioxide"], x["hydrogen"])

    # ------------------------------------------------------------------ characterisation
    def _mixture(self, h: float, amol: float) -> tuple[float, float, float]:
        """(rho_n [kg/m^3], x_CH, x_N2) for molar calorific value h and molar density amol."""
        x1 = (self.hs_mj_m3 - (self.x_h2 * _H_H2 + self.x_co * _H_CO) * amol) / (h * amol)
        x2 = 1.0 - x1 - self.x_co2 - self.x_h2 - self.x_co
        m1 = -2.709328 + 0.021062199 * h
        rho = (x1 * m1 + x2 * _M_N2 + self.x_co2 * _M_CO2 + self.x_h2 * _M_H2 + self.x_co * _M_CO)
        return rho * amol, x1, x2

    def _characterise(self, tol_rho: float, tol_hs: float) -> None:
        target = self.d * _RHO_AIR
        h, amol = 1000.0, 1.0 / (_VM0 - 0.065)
        for _ in range(100):
            for _ in range(100):
                rho1, x1, x2 = self._mixture(h, amol)
                if abs(target - rho1) <= tol_rho:
                    break
                rho2 = self._mixture(h + 1.0, amol)[0]
                h += (target - rho1) / (rho2 - rho1)
            else:
                raise CompressibilityError("SGERG-88: no convergence of the molar calorific value")
            self.h_ch, self.x_ch, self.x_n2 = h, x1, x2
            amol = 1.0 / (_VM0 + float(self.virial_bc(_T0)[0]))
            hs = (x1 * h + self.x_h2 * _H_H2 + self.x_co * _H_CO) * amol
            if abs(self.hs_mj_m3 - hs) <= tol_hs:
                return
        raise CompressibilityError("SGERG-88: no convergence of the calorific value")

    # ------------------------------------------------------------------ virial equation
    def virial_bc(self, t_k: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
        """Mixture virial coefficients ``B`` [m^3/kmol] and ``C`` [m^6/kmol^2] at T [K]."""
        t = np.asarray(t_k, dtype=np.float64)
        h = self.h_ch
        x1, x2, x3, x5, x7 = self.x_ch, self.x_n2, self.x_co2, self.x_h2, self.x_co
        hv = np.array([1.0, h, h * h])
        b11 = _poly(hv @ _B11, t)
        c111 = _poly(hv @ _C111, t)
        b22, b23, b33 = _poly(_B22, t), _poly(_B23, t), _poly(_B33, t)
        c222, c333, c555 = _poly(_C222, t), _poly(_C333, t), _poly(_C555, t)
        if np.any(b11 * b33 < 0) or np.any((c111 < 0) | (c222 < 0) | (c333 < 0) | (c555 < 0)):
            raise CompressibilityError("SGERG-88: virial coefficients have no real solution at T")
        b = (x1 * x1 * b11 + x1 * x2 * (0.72 + 1.875e-5 * (320.0 - t) ** 2) * (b11 + b22)
             + 2 * x1 * x3 * (-0.865) * np.sqrt(b11 * b33) + x2 * x2 * b22 + 2 * x2 * x3 * b23
             + x3 * x3 * b33 + x5 * x5 * _poly(_B55, t) + 2 * x1 * x5 * _poly(_B15, t)
             + 2 * x2 * x5 * _B25 + 2 * x1 * x7 * _poly(_B17, t) + x7 * x7 * _poly(_B77, t))
        y12 = 0.92 + 0.0013 * (t - 270.0)
        c = (x1**3 * c111 + 3 * x1 * x1 * x2 * np.cbrt(c111 * c111 * c222) * y12
             + 3 * x1 * x1 * x3 * np.cbrt(c111 * c111 * c333) * 0.92
             + 3 * x1 * x1 * x5 * np.cbrt(c111 * c111 * c555) * 1.2
             + 3 * x1 * x2 * x2 * np.cbrt(c111 * c222 * c222) * y12
             + 6 * x1 * x2 * x3 * np.cbrt(c111 * c222 * c333) * 1.10
             + 3 * x1 * x3 * x3 * np.cbrt(c111 * c333 * c333) * 0.92
             + x2**3 * c222 + 3 * x2 * x2 * x3 * _poly(_C223, t) + 3 * x2 * x3 * x3 * _poly(_C233, t)
             + x3**3 * c333 + x5**3 * c555 + 3 * x1 * x1 * x7 * _poly(_C117, t))
        return np.asarray(b, dtype=np.float64), np.asarray(c, dtype=np.float64)

    def _eval(self, p_pa: npt.ArrayLike, t_k: npt.ArrayLike) -> tuple[FloatArray, ...]:
        p, t = np.broadcast_arrays(np.asarray(p_pa, float), np.asarray(t_k, float))
        check_pressures("SGERG-88", p, math.inf)
        if np.any(~np.isfinite(t) | (t <= 0)):
            raise CompressibilityError("SGERG-88: temperatures must be positive and finite")
        shape = p.shape
        pb, tf = p.ravel() / 1e5, t.ravel()
        b, c = self.virial_bc(tf)
        rt = _R * tf
        # upper bracket: first maximum of p(rho) (if any), else a density with p(rho) > p
        disc = b * b - 3 * c
        rho_max = np.where(disc > 0, (-b - np.sqrt(np.maximum(disc, 0))) / (3 * c), np.inf)

        def p_of(r: FloatArray) -> FloatArray:
            return np.asarray(rt * r * (1 + b * r + c * r * r), dtype=np.float64)

        lo, hi = np.zeros_like(pb), np.minimum(rho_max, 2 * pb / rt + 1e-12)
        for _ in range(200):
            grow = np.isinf(rho_max) & (p_of(hi) < pb)
            if not grow.any():
                break
            hi = np.where(grow, 2 * hi, hi)
        if np.any(p_of(hi) < pb):
            i = int(np.flatnonzero(p_of(hi) < pb)[0])
            raise CompressibilityError(
                f"SGERG-88: no gas solution of the virial equation at p = {pb[i] * 1e5:.6g} Pa, "
                f"T = {tf[i]:.6g} K (pressure far beyond the method's range)")
        rho = np.minimum(pb / rt, hi)
        for _ in range(100):
            f = p_of(rho) - pb
            lo, hi = np.where(f < 0, rho, lo), np.where(f > 0, rho, hi)
            fp = rt * (1 + 2 * b * rho + 3 * c * rho * rho)
            new = rho - f / np.where(fp > 0, fp, 1.0)
            new = np.where((fp > 0) & (new > lo) & (new < hi), new, 0.5 * (lo + hi))
            done = np.abs(new - rho) <= 1e-15 * np.maximum(rho, 1e-300)
            rho = new
            if done.all():
                break
        z = 1 + b * rho + c * rho * rho
        dz_dp = (b + 2 * c * rho) / (rt * (1 + 2 * b * rho + 3 * c * rho * rho)) / 1e5
        return z.reshape(shape), dz_dp.reshape(shape), (rho * 1e3).reshape(shape)

    def z(self, p_pa: npt.ArrayLike, t_k: npt.ArrayLike) -> FloatArray:
        """Compression factor Z [-] at absolute pressures [Pa] and temperatures [K]."""
        return self._eval(p_pa, t_k)[0]

    def dz_dp(self, p_pa: npt.ArrayLike, t_k: npt.ArrayLike) -> FloatArray:
        """dZ/dp at constant T [1/Pa], analytic."""
        return self._eval(p_pa, t_k)[1]

    def z_and_dz_dp(self, p_pa: npt.ArrayLike, t_k: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
        """(Z [-], dZ/dp [1/Pa]) in one evaluation."""
        z, dz, _ = self._eval(p_pa, t_k)
        return z, dz

    def molar_density(self, p_pa: npt.ArrayLike, t_k: npt.ArrayLike) -> FloatArray:
        """Molar density [mol/m^3]."""
        return self._eval(p_pa, t_k)[2]

    def fixed_warnings(self, temperature_k: float | None = None) -> list[str]:
        """Sentences for inputs (and a temperature) outside the pipeline-quality ranges."""
        v, out = SGERG88_VALIDITY, []
        for what, val, lo, hi in (
            ("relative density", self.d, v["d_min"], v["d_max"]),
            ("superior calorific value [MJ/m^3]", self.hs_mj_m3, v["hs_min_mj_m3"], v["hs_max_mj_m3"]),
            ("CO2 mole fraction", self.x_co2, 0.0, v["x_co2_max"]),
            ("H2 mole fraction", self.x_h2, 0.0, v["x_h2_max"]),
            ("temperature [K]", temperature_k, v["t_min_k"], v["t_max_k"]),
        ):
            if val is not None and not lo <= val <= hi:
                out.append(f"SGERG-88: {what} {val:.6g} is outside the pipeline-quality range "
                           f"{lo:g}..{hi:g} of ISO 12213-3")
        return out

    def __repr__(self) -> str:
        return (f"Sgerg88(hs_mj_m3={self.hs_mj_m3}, d={self.d}, x_co2={self.x_co2}, "
                f"x_h2={self.x_h2})")


class Sgerg88Z(EosTableZ):
    """SGERG-88 Z(p) at a fixed temperature, tabulated once and interpolated.

    Z and the analytic dZ/dp of :class:`Sgerg88` on the grid of
    :class:`~gasunion.physics.compressibility.TabulatedZ`, cubic Hermite interpolation
    (error < 1e-7 in Z); pressures above the grid extend it (up to 700 bar, far beyond the
    standard's 12 MPa). The constructor warns (:class:`~gasunion.errors.ValidityRangeWarning`)
    for a temperature or input outside the pipeline-quality ranges of :data:`SGERG88_VALIDITY`;
    :meth:`range_warnings` also checks pressures.
    """

    name = "sgerg88"
    P_LIMIT_PA = 700e5
    RANGE_LABEL = "SGERG-88"
    RANGE_NAME = "pipeline-quality range of ISO 12213-3"

    def __init__(
        self,
        hs_mj_m3: float,
        d: float,
        x_co2: float,
        x_h2: float,
        temperature_k: float,
        *,
        p_max_pa: float = 200e5,
        n_points: int = 120,
        progress: Callable[[float], None] | None = None,
        eos: Sgerg88 | None = None,
    ) -> None:
        self.eos = eos if eos is not None else Sgerg88(hs_mj_m3, d, x_co2, x_h2)
        self.validity = dict(SGERG88_VALIDITY)
        self._init_table(temperature_k, p_max_pa, n_points)
        self._finish(progress)

    @classmethod
    def from_gas(
        cls,
        gas: GasProperties,
        *,
        p_max_pa: float = 200e5,
        n_points: int = 120,
        progress: Callable[[float], None] | None = None,
    ) -> Sgerg88Z:
        """Fixed-T model at ``gas.temperature_k`` with the inputs of :meth:`Sgerg88.from_gas`."""
        e = Sgerg88.from_gas(gas)
        return cls(e.hs_mj_m3, e.d, e.x_co2, e.x_h2, gas.temperature_k, p_max_pa=p_max_pa,
                   n_points=n_points, progress=progress, eos=e)

    def __repr__(self) -> str:
        e = self.eos
        return (f"Sgerg88Z(hs_mj_m3={e.hs_mj_m3}, d={e.d}, x_co2={e.x_co2}, x_h2={e.x_h2}, "
                f"temperature_k={self.temperature_k}, p_max_pa={self.p_max_pa})")
