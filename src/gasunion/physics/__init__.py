"""Gas physics: properties, compressibility, friction, single-pipe closed forms, compressors.

``from gasunion.physics.gas import GasProperties`` keeps working; the public names of the
submodules are re-exported here.
"""

from __future__ import annotations

from gasunion.physics.aga8_detail import Aga8Detail, Aga8DetailZ
from gasunion.physics.compressibility import (
    Z_METHODS,
    AgaZ,
    CompressibilityError,
    IdealZ,
    LinearAgaZ,
    PapayZ,
    TabulatedZ,
    ZModel,
    dz_dp_aga,
    dz_dp_papay,
    make_z_model,
    z_aga,
    z_papay,
)
from gasunion.physics.compressor import (
    fuel_from_power,
    gasmodels_power_proxy,
    isentropic_head,
    outlet_temperature_actual,
    outlet_temperature_isentropic,
    outlet_temperature_polytropic,
    polytropic_exponent,
    polytropic_head,
    shaft_power_w,
)
from gasunion.physics.friction import (
    FRICTION_MODELS,
    RE_CRITICAL,
    friction_factor,
    friction_term,
    lambda_colebrook,
    lambda_hofer,
    lambda_nikuradse,
    lambda_times_re,
    lambda_weymouth,
    reynolds,
)
from gasunion.physics.gas import GasProperties
from gasunion.physics.gerg2008 import Gerg2008Z
from gasunion.physics.pipe import (
    elevation_factor,
    mass_flow_from_pressures,
    mean_pressure,
    outlet_pressure,
    pipe_resistance,
    slope_correction,
)
from gasunion.physics.sgerg88 import Sgerg88, Sgerg88Z

__all__ = [
    "FRICTION_MODELS",
    "RE_CRITICAL",
    "Z_METHODS",
    "Aga8Detail",
    "Aga8DetailZ",
    "AgaZ",
    "CompressibilityError",
    "GasProperties",
    "Gerg2008Z",
    "IdealZ",
    "LinearAgaZ",
    "PapayZ",
    "Sgerg88",
    "Sgerg88Z",
    "TabulatedZ",
    "ZModel",
    "dz_dp_aga",
    "dz_dp_papay",
    "elevation_factor",
    "friction_factor",
    "friction_term",
    "fuel_from_power",
    "gasmodels_power_proxy",
    "isentropic_head",
    "lambda_colebrook",
    "lambda_hofer",
    "lambda_nikuradse",
    "lambda_times_re",
    "lambda_weymouth",
    "make_z_model",
    "mass_flow_from_pressures",
    "mean_pressure",
    "outlet_pressure",
    "outlet_temperature_actual",
    "outlet_temperature_isentropic",
    "outlet_temperature_polytropic",
    "pipe_resistance",
    "polytropic_exponent",
    "polytropic_head",
    "reynolds",
    "shaft_power_w",
    "slope_correction",
    "z_aga",
    "z_papay",
]
