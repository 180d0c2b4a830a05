"""Physical constants and reference conditions (SI units).

Sources: CODATA 2018 (universal gas constant), ISO 13443:1996 (normal and standard
reference conditions for natural gas), ISO 80000-3 (standard gravity).
"""

from __future__ import annotations

#: Universal gas constant R [J/(mol K)], CODATA 2018 (exact).
R_UNIVERSAL = 8.314462618
#: Standard acceleration of gravity g [m/s^2], ISO 80000-3.
GRAVITY = 9.80665
#: Normal pressure p_n [Pa] (ISO 13443: 101.325 kPa); GasLib's "1000m_cube_per_hour" are normal m^3.
P_NORMAL_PA = 101_325.0
#: Normal temperature T_n [K] (0 degC, ISO 13443 "normal" conditions).
T_NORMAL_K = 273.15
#: Standard temperature T_s [K] (15 degC, ISO 13443 "standard" conditions).
T_STANDARD_K = 288.15
#: Molar mass of dry air [kg/kmol] as used by GasLib/GasModels for specific gravity.
M_AIR_KG_KMOL = 28.9626
#: Seconds per day.
SECONDS_PER_DAY = 86_400.0
#: Bar to pascal.
BAR = 1e5
