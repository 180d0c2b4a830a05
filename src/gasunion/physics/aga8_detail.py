"""AGA-8 DETAIL equation of state (AGA Report No. 8 Part 1, 2017; ISO 20765-1; ISO 12213-2).

The DETAIL characterisation method: 21 components, 58-term equation of state. With the molar
density ``D`` [mol/L], the reduced density ``D_r = K^3 D`` and the composition-dependent mixture
parameters ``K``, ``U``, ``G``, ``Q``, ``F``, the second virial terms ``B_n`` (n = 1..18) and the
coefficients ``C*_n = a_n (G+1-g_n)^g_n (Q^2+1-q_n)^q_n (F+1-f_n)^f_n U^u_n`` (n = 13..58):

    Z = 1 + D sum_{n=1}^{18} B_n T^-u_n - D_r sum_{n=13}^{18} C*_n T^-u_n
          + sum_{n=13}^{58} C*_n T^-u_n (b_n - c_n k_n D_r^k_n) D_r^b_n exp(-c_n D_r^k_n)

(``c_n = 1`` where ``k_n > 0``, else 0), ``p = D R T Z`` with ``R = 8.31451 J/(mol K)``.
The density at given (p, T) is found by a vectorised Newton iteration on ``ln D`` against
``ln p`` (all points at once, safeguarded as in the NIST code: where ``dp/dD <= 0`` the step is
``ln D -= 0.1``), starting from the ideal-gas density; as in the NIST code no phase check is made,
so a two-phase (p, T) returns a metastable gas-like root. ``dZ/dp`` at constant T is analytic:
``dZ/dp = (dZ/dD) / (dp/dD)``, both derivatives of the equation above.

Coefficients (a_n, b_n, k_n, u_n, g_n, q_n, f_n, s_n, w_n; M_i, E_i, K_i, G_i, Q_i, F_i, S_i,
W_i; binary E*_ij, U_ij, K_ij, G*_ij) are the published data of AGA Report No. 8 Part 1 (2017),
as reproduced in NIST's public-domain reference implementation: github.com/usnistgov/AGA8,
file ``AGA8CODE/C/Detail.cpp`` (E. W. Lemmon, I. H. Bell), commit
143c929d8e9613f848605d53d8d7e89a92d8c4c5. The code here is an independent vectorised
implementation, checked against the example printed there (``Detail_test.cpp``) and the example
gases of ISO 12213-2 Annex C (see ``tests/physics/test_physics_aga8_detail.py``).

Validity (ISO 12213-2:2006, clause 4.4, "pipeline quality gas", uncertainty about 0.1 %):
0 < p <= 12 MPa, 263 K <= T <= 338 K and the composition ranges in :data:`AGA8_VALIDITY`
(transcribed from secondary sources; to be checked against the standard's table); outside them
the uncertainty grows. The hard limit of this implementation, :attr:`Aga8Detail.P_LIMIT_PA`
= 280 MPa, is the upper pressure of AGA 8's expanded range as commonly quoted. As in the NIST
code there is no phase check. Units: p in Pa, T in K, densities in mol/m^3 (public API), molar
mass in kg/kmol, dZ/dp in 1/Pa.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping

import numpy as np
import numpy.typing as npt

from gasunion.physics._aga8_coefficients import (
    _A,
    _B,
    _BI_INT,
    _C,
    _EI,
    _EIJ,
    _FI,
    _FN,
    _GI,
    _GIJ,
    _GN,
    _K,
    _KI,
    _KI_INT,
    _KIJ,
    _M,
    _QI,
    _QN,
    _R,
    _SI,
    _SN,
    _U,
    _UIJ,
    _WI,
    _WN,
)
from gasunion.physics.compressibility import (
    CompressibilityError,
    EosTableZ,
    FloatArray,
    check_pressures,
)

__all__ = ["AGA8_COMPONENTS", "AGA8_VALIDITY", "Aga8Detail", "Aga8DetailZ", "canonical_component"]

#: The 21 components of the DETAIL method, in the standard's order.
AGA8_COMPONENTS: tuple[str, ...] = (
    "methane", "nitrogen", "carbon dioxide", "ethane", "propane", "isobutane", "n-butane",
    "isopentane", "n-pentane", "n-hexane", "n-heptane", "n-octane", "n-nonane", "n-decane",
    "hydrogen", "oxygen", "carbon monoxide", "water", "hydrogen sulfide", "helium", "argon",
)
_ALIASES: dict[str, tuple[str, ...]] = {
    "methane": ("ch4", "c1"), "nitrogen": ("n2",), "carbon dioxide": ("co2",),
    "ethane": ("c2h6", "c2"), "propane": ("c3h8", "c3"),
    "isobutane": ("ibutane", "ic4", "2methylpropane"), "n-butane": ("butane", "nc4"),
    "isopentane": ("ipentane", "ic5", "2methylbutane"), "n-pentane": ("pentane", "nc5"),
    "n-hexane": ("hexane", "c6", "nc6"), "n-heptane": ("heptane", "c7", "nc7"),
    "n-octane": ("octane", "c8", "nc8"), "n-nonane": ("nonane", "c9", "nc9"),
    "n-decane": ("decane", "c10", "nc10"), "hydrogen": ("h2",), "oxygen": ("o2",),
    "carbon monoxide": ("co",), "water": ("h2o",),
    "hydrogen sulfide": ("h2s", "hydrogensulphide"), "helium": ("he",), "argon": ("ar",),
}
_LOOKUP: dict[str, int] = {}
for _i, _name in enumerate(AGA8_COMPONENTS):
    for _key in (_name, *_ALIASES[_name]):
        _LOOKUP[re.sub(r"[\s_\-]", "", _key)] = _i


def canonical_component(name: str) -> str:
    """The AGA-8 name of a component given in any accepted spelling (case-insensitive; spaces,
    ``-`` and ``_`` ignored; CoolProp names such as ``CarbonDioxide``, ``IsoButane``, ``n-Butane``
    and formulas such as ``CO2``). Raises :class:`CompressibilityError` naming an unknown one."""
    i = _LOOKUP.get(re.sub(r"[\s_\-]", "", str(name)).lower())
    if i is None:
        raise CompressibilityError(
            f"AGA-8 DETAIL: unknown component {name!r}; known: {', '.join(AGA8_COMPONENTS)}")
    return AGA8_COMPONENTS[i]


def composition_vector(composition: Mapping[str, float]) -> FloatArray:
    """Mole fractions [-] in the standard's component order from a mapping name -> fraction.

    Fractions summing to 1 (or percentages summing to 100) within 1 % are normalised to sum 1;
    anything else, a negative or non-finite fraction, or a repeated component raises
    :class:`CompressibilityError`."""
    x = np.zeros(len(AGA8_COMPONENTS))
    if not composition:
        raise CompressibilityError("AGA-8 DETAIL needs a gas composition; it is empty")
    seen: set[int] = set()
    for name, v in composition.items():
        i = AGA8_COMPONENTS.index(canonical_component(name))
        try:
            fv = float(v)
        except (TypeError, ValueError):
            fv = math.nan
        if not (math.isfinite(fv) and fv >= 0):
            raise CompressibilityError(f"AGA-8 DETAIL: mole fraction of {name!r} is {v!r}")
        if i in seen:
            raise CompressibilityError(f"AGA-8 DETAIL: component {name!r} is given twice")
        seen.add(i)
        x[i] = fv
    total = float(x.sum())
    for scale in (1.0, 100.0):
        if abs(total - scale) <= 0.01 * scale:
            return np.asarray(x / total, dtype=np.float64)
    raise CompressibilityError(
        f"AGA-8 DETAIL: mole fractions sum to {total:.6g}, not 1 (or 100 %)")


#: Validity data (ISO 12213-2:2006 clause 4.4, pipeline quality gas; composition limits
#: transcribed from secondary sources): pressure, temperature and mole-fraction limits;
#: ``p_limit_pa`` is the hard limit of this implementation (280 MPa).
AGA8_VALIDITY: dict[str, float] = {
    "p_max_pa": 12e6, "t_min_k": 263.0, "t_max_k": 338.0, "p_limit_pa": 280e6,
    "x_methane_min": 0.7, "x_nitrogen_max": 0.2, "x_carbon_dioxide_max": 0.2,
    "x_ethane_max": 0.1, "x_propane_max": 0.035, "x_butanes_max": 0.015,
    "x_pentanes_max": 0.005, "x_hexanes_max": 0.001, "x_heptanes_max": 0.0005,
    "x_octanes_plus_max": 0.0005, "x_hydrogen_max": 0.1, "x_carbon_monoxide_max": 0.03,
    "x_helium_max": 0.005, "x_water_max": 0.00015,
    # not in the pipeline-quality table: flagged above this trace level (a gasunion choice)
    "x_oxygen_max": 0.0002, "x_hydrogen_sulfide_max": 0.0002, "x_argon_max": 0.0002,
}
_GROUPS: dict[str, tuple[int, ...]] = {
    "methane": (0,), "nitrogen": (1,), "carbon_dioxide": (2,), "ethane": (3,), "propane": (4,),
    "butanes": (5, 6), "pentanes": (7, 8), "hexanes": (9,), "heptanes": (10,),
    "octanes_plus": (11, 12, 13), "hydrogen": (14,), "oxygen": (15,), "carbon_monoxide": (16,),
    "water": (17,), "hydrogen_sulfide": (18,), "helium": (19,), "argon": (20,),
}


class Aga8Detail:
    """AGA-8 DETAIL equation of state for one gas composition (any p, T arrays).

    ``composition`` maps component names (see :func:`canonical_component`) to mole fractions.
    """

    #: Hard upper pressure limit [Pa] (AGA 8 wide range, 280 MPa).
    P_LIMIT_PA = AGA8_VALIDITY["p_limit_pa"]

    def __init__(self, composition: Mapping[str, float]) -> None:
        x = composition_vector(composition)
        self.x: FloatArray = x
        self.composition: dict[str, float] = {
            AGA8_COMPONENTS[i]: float(x[i]) for i in np.flatnonzero(x)}
        #: Molar mass of the mixture [kg/kmol].
        self.molar_mass_kg_kmol = float(x @ _M)
        xx = np.outer(x, x)
        k25, e25 = _KI**2.5, _EI**2.5
        k3 = (x @ k25) ** 2 + float(np.sum(np.triu(xx * (_KIJ**5 - 1) * np.outer(k25, k25), 1))) * 2
        u5 = (x @ e25) ** 2 + float(np.sum(np.triu(xx * (_UIJ**5 - 1) * np.outer(e25, e25), 1))) * 2
        gsum = np.add.outer(_GI, _GI) / 2
        g = x @ _GI + 2 * float(np.sum(np.triu(xx * (_GIJ - 1) * gsum, 1)))
        q, f = float(x @ _QI), float(x**2 @ _FI)
        self._k3 = k3**0.6  # K^3
        u = u5**0.2
        # second virial terms B_n, n = 1..18: sum_ij x_i x_j a_n E_ij^u_n (K_i K_j)^1.5 B*_nij
        eij = _EIJ * np.sqrt(np.outer(_EI, _EI))
        kk15 = np.outer(_KI, _KI) ** 1.5
        n18 = np.arange(18)
        bs = np.ones((18, 21, 21))
        gij = (_GIJ * gsum)[None]
        bs = np.where(_GN[n18, None, None] > 0, gij, bs)
        bs = bs * np.where(_QN[n18, None, None] > 0, np.outer(_QI, _QI)[None], 1.0)
        bs = bs * np.where(_FN[n18, None, None] > 0, np.outer(_FI, _FI)[None], 1.0)
        bs = bs * np.where(_SN[n18, None, None] > 0, np.outer(_SI, _SI)[None], 1.0)
        bs = bs * np.where(_WN[n18, None, None] > 0, np.outer(_WI, _WI)[None], 1.0)
        terms = _A[n18, None, None] * eij[None] ** _U[n18, None, None] * kk15[None] * bs
        self._bn = np.einsum("i,nij,j->n", x, terms, x)
        csn = _A * u**_U * np.where(_GN > 0, g, 1.0) * np.where(_QN > 0, q * q, 1.0)
        self._csn = np.where(np.arange(58) >= 12, csn * np.where(_FN > 0, f, 1.0), 0.0)

    # ------------------------------------------------------------------ kernel
    def _terms(self, d: FloatArray, t: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray]:
        """(Z, dZ/dD [L/mol], dp/dD [kPa L/mol]) at densities d [mol/L] and temperatures t [K]
        (1-D arrays), evaluated in blocks of 4096 points (vectorised; blocks keep the
        (points x terms) temporaries in cache)."""
        t_u, inv = np.unique(t, return_inverse=True)
        tun_u = t_u[:, None] ** (-_U[None, :])  # one row per distinct temperature
        inv = inv.ravel()
        out = np.empty((3, d.size))
        for i in range(0, d.size, 4096):
            sl = slice(i, i + 4096)
            tun = tun_u if t_u.size == 1 else tun_u[inv[sl]]
            out[:, sl] = self._block(d[sl], t[sl], tun)
        return out[0], out[1], out[2]

    def _block(self, d: FloatArray, t: FloatArray, tun: FloatArray) -> FloatArray:
        a = tun[:, :18] @ self._bn - self._k3 * (tun[:, 12:18] @ self._csn[12:18])
        # integer powers D_r^0..D_r^9 by products, exp(-D_r^k) for k = 0..4
        pw = np.cumprod(np.column_stack([np.ones_like(d)] + [self._k3 * d] * 9), axis=1)
        ex = np.column_stack([np.ones_like(d), np.exp(-pw[:, 1:5])])
        b, k, c = _B[12:], _K[12:], _C[12:]
        drk = pw[:, _KI_INT]
        w = (self._k3 * self._csn[12:] * tun[:, 12:]) * pw[:, _BI_INT - 1] * ex[:, _KI_INT]
        cd1 = b - c * k * drk
        cd2 = cd1 * (cd1 - 1) - c * k * k * drk
        z = 1 + d * (a + np.sum(w * cd1, axis=1))
        dz_dd = a + np.sum(w * (cd1 + cd2), axis=1)
        dp_dd = _R * t * (1 + 2 * (z - 1) + d * np.sum(w * cd2, axis=1))
        return np.stack([z, dz_dd, dp_dd])

    def pressure(
        self, d_mol_m3: npt.ArrayLike, t_k: npt.ArrayLike
    ) -> tuple[FloatArray, FloatArray, FloatArray]:
        """(p [Pa], Z [-], dp/dD [Pa m^3/mol]) at molar densities [mol/m^3] and T [K]."""
        d, t = np.broadcast_arrays(np.asarray(d_mol_m3, float), np.asarray(t_k, float))
        shape = d.shape
        dl, tf = d.ravel() * 1e-3, t.ravel()
        z, _, dp_dd = self._terms(dl, tf)
        p = dl * _R * tf * z * 1e3
        return p.reshape(shape), z.reshape(shape), dp_dd.reshape(shape)

    def _density(self, p_kpa: FloatArray, t: FloatArray) -> FloatArray:
        """Molar density [mol/L] at p [kPa] > 0, T [K] (1-D arrays), Newton on ln D vs ln p."""
        d = p_kpa / (_R * t)
        todo = np.arange(d.size)
        for _ in range(60):
            dd, tt, pp = d[todo], t[todo], p_kpa[todo]
            z, _, dp_dd = self._terms(dd, tt)
            p2 = dd * _R * tt * z
            bad = (dp_dd <= 0) | (p2 <= 0)
            step = np.where(bad, -0.1, (np.log(pp) - np.log(np.where(bad, 1.0, p2)))
                            * p2 / np.where(bad, 1.0, dd * dp_dd))
            d[todo] = dd * np.exp(step)
            todo = todo[bad | (np.abs(step) > 1e-13)]
            if todo.size == 0:
                return d
        raise CompressibilityError(
            f"AGA-8 DETAIL: no convergence of the density at p = {float(p_kpa[todo[0]]) * 1e3:.6g}"
            f" Pa, T = {float(t[todo[0]]):.6g} K")

    def _eval(self, p_pa: npt.ArrayLike, t_k: npt.ArrayLike) -> tuple[FloatArray, ...]:
        p, t = np.broadcast_arrays(np.asarray(p_pa, float), np.asarray(t_k, float))
        check_pressures("AGA-8 DETAIL", p, self.P_LIMIT_PA)
        if np.any(~np.isfinite(t) | (t <= 0)):
            raise CompressibilityError("AGA-8 DETAIL: temperatures must be positive and finite")
        pf, tf = p.ravel(), t.ravel()
        d = np.zeros_like(pf)
        pos = pf > 0
        d[pos] = self._density(pf[pos] * 1e-3, tf[pos])
        z, dz_dd, dp_dd = self._terms(d, tf)
        dz_dp = dz_dd / (dp_dd * 1e3)
        return tuple(a.reshape(p.shape) for a in (z, dz_dp, d * 1e3))

    def molar_density(self, p_pa: npt.ArrayLike, t_k: npt.ArrayLike) -> FloatArray:
        """Molar density [mol/m^3] at absolute pressures [Pa] and temperatures [K]."""
        return self._eval(p_pa, t_k)[2]

    def z(self, p_pa: npt.ArrayLike, t_k: npt.ArrayLike) -> FloatArray:
        """Compressibility factor Z [-] (p [Pa], T [K], broadcast element-wise)."""
        return self._eval(p_pa, t_k)[0]

    def dz_dp(self, p_pa: npt.ArrayLike, t_k: npt.ArrayLike) -> FloatArray:
        """dZ/dp at constant T [1/Pa], analytic."""
        return self._eval(p_pa, t_k)[1]

    def z_and_dz_dp(self, p_pa: npt.ArrayLike, t_k: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
        """(Z [-], dZ/dp [1/Pa]) in one evaluation."""
        z, dz, _ = self._eval(p_pa, t_k)
        return z, dz

    # ------------------------------------------------------------------ validity
    def fixed_warnings(self, temperature_k: float | None = None) -> list[str]:
        """Sentences for the composition (and a temperature) outside :data:`AGA8_VALIDITY`."""
        v, out = AGA8_VALIDITY, []
        for group, idx in _GROUPS.items():
            xg = float(self.x[list(idx)].sum())
            lo, hi = v.get(f"x_{group}_min", 0.0), v.get(f"x_{group}_max", 1.0)
            if not lo <= xg <= hi:
                out.append(f"AGA-8 DETAIL: mole fraction of {group.replace('_', ' ')} {xg:.6g} is "
                           f"outside the pipeline-quality range {lo:g}..{hi:g} of ISO 12213-2")
        t = temperature_k
        if t is not None and not v["t_min_k"] <= t <= v["t_max_k"]:
            out.append(f"AGA-8 DETAIL: temperature {t:.6g} K is outside the pipeline-quality range "
                       f"{v['t_min_k']:g}..{v['t_max_k']:g} K of ISO 12213-2")
        return out

    def __repr__(self) -> str:
        return f"Aga8Detail(composition={self.composition!r})"


class Aga8DetailZ(EosTableZ):
    """AGA-8 DETAIL Z(p) at a fixed temperature, tabulated once and interpolated.

    Z and the analytic dZ/dp of :class:`Aga8Detail` are evaluated (vectorised) on the grid of
    :class:`~gasunion.physics.compressibility.TabulatedZ` (0, 16 points 0.01..1 bar, ``n_points``
    points 1 bar..``p_max_pa``) and interpolated by a cubic Hermite spline (value and derivative
    exact at the nodes; interpolation error < 1e-7 in Z). Pressures above the grid extend it, up
    to 280 MPa. Validity: :data:`AGA8_VALIDITY` (ISO 12213-2 pipeline quality, p <= 12 MPa,
    263..338 K); the constructor warns (:class:`~gasunion.errors.ValidityRangeWarning`) for a
    temperature or composition outside it, :meth:`range_warnings` also checks pressures.
    """

    name = "aga8"
    P_LIMIT_PA = AGA8_VALIDITY["p_limit_pa"]
    RANGE_LABEL = "AGA-8 DETAIL"
    RANGE_NAME = "pipeline-quality range of ISO 12213-2"

    def __init__(
        self,
        composition: Mapping[str, float],
        temperature_k: float,
        *,
        p_max_pa: float = 200e5,
        n_points: int = 120,
        progress: Callable[[float], None] | None = None,
    ) -> None:
        self.eos = Aga8Detail(composition)
        self.composition = self.eos.composition
        self.validity = dict(AGA8_VALIDITY)
        self._init_table(temperature_k, p_max_pa, n_points)
        self._finish(progress)

    def __repr__(self) -> str:
        return (f"Aga8DetailZ(composition={self.composition!r}, temperature_k={self.temperature_k},"
                f" p_max_pa={self.p_max_pa})")
