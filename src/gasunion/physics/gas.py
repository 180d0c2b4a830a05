"""Gas composition-level properties and flow-unit conversions.

A :class:`GasProperties` describes the (single, well-mixed) gas in a network at its flow
temperature. Flow units:

* mass flow ``kg/s`` (what the physics uses),
* normal volume flow ``1000 m^3/h`` at 0 degC and 1.01325 bar (GasLib's ``1000m_cube_per_hour``),
* ``mcm/d`` = million normal m^3 per day (the trade unit in the region; 1 bcm/y = 1000/365 mcm/d).

Conversion: ``m_dot [kg/s] = rho_n [kg/m^3] * Q_n [m^3/s]`` (definition of normal density;
GasLib's own convention, see Schmidt et al. 2017, and GasModels.jl ``src/io/gaslib.jl``).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from gasunion.physics.constants import (
    M_AIR_KG_KMOL,
    P_NORMAL_PA,
    R_UNIVERSAL,
    SECONDS_PER_DAY,
    T_NORMAL_K,
)


@dataclass(frozen=True)
class GasProperties:
    """Properties of the transported gas.

    Attributes
    ----------
    molar_mass_kg_kmol: molar mass M [kg/kmol].
    temperature_k: flow temperature T [K] (isothermal model).
    p_pc_bar: pseudo-critical pressure [bar] (for Papay/AGA compressibility).
    t_pc_k: pseudo-critical temperature [K].
    norm_density_kg_m3: density at the reference conditions volumes are counted in [kg/m^3]
        (by default normal conditions, 0 degC and 1.01325 bar); if not given, the ideal-gas value
        ``p_n M / (R T_ref)`` is used.
    calorific_value_mj_m3: gross (superior) calorific value per normal m^3 [MJ/m^3].
    viscosity_pa_s: dynamic viscosity mu [Pa s] (for Reynolds numbers).
    kappa: isentropic exponent [-] (for compressor power).
    composition: mole fractions by CoolProp fluid name (only needed for ``z="gerg2008"``).
    volume_reference_k: temperature of the reference conditions of all volumes (m^3, mcm/d,
        bcm/y, 1000 m^3/h) [K]: 273.15 (normal, ISO 13443; GasLib) by default; 293.15 for
        standard m^3 as counted in the former USSR and China (GOST 2939).
    """

    molar_mass_kg_kmol: float = 18.5674
    temperature_k: float = 283.15
    p_pc_bar: float = 45.9293457336
    t_pc_k: float = 188.549758911
    norm_density_kg_m3: float | None = None
    calorific_value_mj_m3: float = 36.4543670654
    viscosity_pa_s: float = 1.1e-5
    kappa: float = 1.3
    composition: dict[str, float] = field(default_factory=dict)
    volume_reference_k: float = T_NORMAL_K

    def __post_init__(self) -> None:
        problems = []
        for name in ("molar_mass_kg_kmol", "temperature_k", "p_pc_bar", "t_pc_k",
                     "viscosity_pa_s", "kappa", "volume_reference_k"):
            v = getattr(self, name)
            if not (isinstance(v, int | float) and math.isfinite(v) and v > 0):
                problems.append(f"gas.{name} must be a positive number, got {v!r}")
        if self.norm_density_kg_m3 is not None and not self.norm_density_kg_m3 > 0:
            problems.append(
                f"gas.norm_density_kg_m3 must be positive, got {self.norm_density_kg_m3!r}"
            )
        if problems:
            raise ValueError("; ".join(problems))

    # ------------------------------------------------------------------ derived values
    @property
    def r_specific(self) -> float:
        """Specific gas constant R_s = R / M [J/(kg K)]."""
        return R_UNIVERSAL / (self.molar_mass_kg_kmol * 1e-3)

    @property
    def rho_n(self) -> float:
        """Density at the volume reference conditions [kg/m^3]: the given value, else the ideal
        gas ``p_n M / (R T_ref)`` (``T_ref = volume_reference_k``, 273.15 K by default)."""
        if self.norm_density_kg_m3 is not None:
            return float(self.norm_density_kg_m3)
        return P_NORMAL_PA * self.molar_mass_kg_kmol * 1e-3 / (R_UNIVERSAL * self.volume_reference_k)

    @property
    def specific_gravity(self) -> float:
        """Specific gravity relative to air, ``M / M_air`` [-]."""
        return self.molar_mass_kg_kmol / M_AIR_KG_KMOL

    @property
    def lower_heating_value_mj_kg(self) -> float:
        """Calorific value per kilogram [MJ/kg] (``H_s / rho_n``)."""
        return self.calorific_value_mj_m3 / self.rho_n

    # ------------------------------------------------------------------ conversions
    def kg_s_from_knm3_h(self, q: Any) -> Any:
        """Normal volume flow [1000 m^3/h] -> mass flow [kg/s]: ``rho_n * q * 1000 / 3600``."""
        return q * self.rho_n / 3.6

    def knm3_h_from_kg_s(self, m: Any) -> Any:
        """Mass flow [kg/s] -> normal volume flow [1000 m^3/h]."""
        return m * 3.6 / self.rho_n

    def kg_s_from_mcm_d(self, q: Any) -> Any:
        """Normal volume flow [million m^3/day] -> mass flow [kg/s]."""
        return q * 1e6 * self.rho_n / SECONDS_PER_DAY

    def mcm_d_from_kg_s(self, m: Any) -> Any:
        """Mass flow [kg/s] -> normal volume flow [million m^3/day]."""
        return m * SECONDS_PER_DAY / (1e6 * self.rho_n)

    def kg_s_from_bcm_y(self, q: Any) -> Any:
        """Annual volume [billion normal m^3/year, 365 d] -> mean mass flow [kg/s]."""
        return self.kg_s_from_mcm_d(q * 1000.0 / 365.0)

    def bcm_y_from_kg_s(self, m: Any) -> Any:
        """Mean mass flow [kg/s] -> annual volume [bcm/y, 365 d]."""
        return self.mcm_d_from_kg_s(m) * 365.0 / 1000.0

    # ------------------------------------------------------------------ serialisation
    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> GasProperties:
        known = {k: v for k, v in d.items() if k in cls.__dataclass_fields__}
        return cls(**known)

    def with_(self, **changes: Any) -> GasProperties:
        """A copy with some fields changed."""
        return replace(self, **changes)
