"""Import and export of pandapipes networks (pandapipes is an optional dependency).

pandapipes (Lohmeier et al. 2020, *Sustainability* 12(23) 9899; github.com/e2nIEE/pandapipes,
BSD-3) stores a network as one pandas table per component, like gasunion, but with

* **gauge** pressures: ``p_abs = p_gauge + p_amb(h)`` with the barometric ambient pressure of the
  junction height, ``p_amb(h) = 1.01325 (1 - 0.0065 h / 288.15)^5.255`` bar
  (``pandapipes.component_models.component_toolbox.p_correction_height_air`` with the constants
  of ``pandapipes/constants.py``; reproduced by :func:`ambient_pressure_bar`);
* a *fluid* object (normal density, viscosity, compressibility, ...) instead of a gas
  composition;
* integer element indices (gasunion ids are strings).

:func:`from_pandapipes` converts a pandapipes net (or, via :func:`from_pandapipes_tables`, its
plain tables plus a :class:`PandapipesFluid`) into a :class:`~gasunion.network.Network`:

==========================  ================================================================
pandapipes                  gasunion
==========================  ================================================================
junction                    junctions (id: the junction ``name`` if all names are unique and
                            non-empty, else the integer index as text)
ext_grid type p / pt        sources with ``p_set_bar`` = gauge + p_amb(height) (id ext_grid_<i>)
sink / source               sinks / sources, ``mass_flow_kg_s = mdot_kg_per_s * scaling``
                            (a source with negative mdot becomes a sink)
pipe                        pipes (length_km, inner_diameter_mm or diameter_m, k_mm ->
                            roughness_mm, loss_coefficient, in_service)
valve                       valves (open/closed); an open valve with ``loss_coefficient`` > 0
                            becomes a resistor with that drag factor and the valve diameter;
                            a valve at a pipe end (``et == "pi"``) gets its own junction
compressor                  compressors, mode ``ratio`` (``pressure_ratio`` is p_out/p_in of
                            absolute pressures in pandapipes too), no fuel
press_control               control_valves, mode ``p_out`` (controlled junction must be the
                            outlet); inactive control -> mode ``open``
pump, heat_exchanger,       :class:`~gasunion.io.errors.InputFileError` naming the element
flow_control, mass_storage,
circ_pump_*, heat_consumer
==========================  ================================================================

Element ids are ``<table>_<index>`` (``pipe_0``, ``sink_3``, ...); ``net.meta["pandapipes"]``
maps every gasunion id back to its pandapipes table and index, and each row's ``source`` column
names it too.

The gas: ``M = rho_n R T_n / p_n`` from the fluid's normal density (so that the specific gas
constant is exactly the ``p_n / (rho_n T_n)`` pandapipes uses), the viscosity at the network
temperature (ext_grid ``t_k``, else junction ``tfluid_k``). Compressibility: pandapipes fluids
have ``Z = offset + slope p`` (p absolute in bar; constant Z is slope 0). ``Z = 1`` is
``simulate(z="ideal")``. A linear law with offset 1 (``STANET_fluid`` in most STANET cases,
``hgas``, ``lgas``, ``methane``: slope -0.0022 /bar) is reproduced *exactly* by
``simulate(z="aga_linear")`` (formerly ``"aga"``), whose formula
``Z = 1 + (0.257 - 0.533 T_pc/T) p/p_pc`` (Koch et al. 2015, eq. 2.5) is linear in p: the
importer sets the pseudo-critical temperature so that the slope matches (a fitted value, not gas
data) and says so in ``net.meta["assumptions"]``. The recommended ``z`` is
``net.meta["pandapipes"]["z"]``.

:func:`to_pandapipes` exports a Network so that pandapipes can run the same case (benchmarks,
``tests/validation/test_gaslib_pandapipes.py``): ``z="aga_linear"`` exports that linear law
as pandapipes' linear compressibility (:func:`gas_fluid`, :func:`linear_z_coefficients`), and
:func:`contract_zero_resistance` merges the loops of zero-resistance elements pandapipes cannot
solve.
"""

from __future__ import annotations

import math
import os
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from gasunion.io.errors import InputFileError
from gasunion.network import Network, NetworkError
from gasunion.physics.compressibility import Z_METHODS, make_z_model
from gasunion.physics.constants import P_NORMAL_PA, R_UNIVERSAL, T_NORMAL_K
from gasunion.physics.gas import GasProperties

__all__ = [
    "PANDAPIPES_INSTALL_HINT",
    "PandapipesFluid",
    "ambient_pressure_bar",
    "contract_zero_resistance",
    "fluid_from_pandapipes",
    "from_pandapipes",
    "from_pandapipes_tables",
    "gas_fluid",
    "linear_z_coefficients",
    "read_pandapipes_json",
    "to_pandapipes",
]

PANDAPIPES_INSTALL_HINT = (
    "this needs the optional dependency pandapipes: pip install pandapipes "
    "(or pip install 'gasunion[pandapipes]')"
)

# pandapipes/constants.py (0.16): barometric formula of p_correction_height_air
_PP_NORMAL_PRESSURE_BAR = 1.01325
_PP_TEMP_GRADIENT_K_PER_M = 0.0065
_PP_AVG_TEMPERATURE_K = 288.15
_PP_HEIGHT_EXPONENT = 5.255
_PP_NORMAL_TEMPERATURE_K = 273.15

# the linear "AGA" formula of gasunion.physics.compressibility: Z = 1 + (A - B T_pc/T) p/p_pc
_AGA_A = 0.257
_AGA_B = 0.533
#: its name in simulate(z=...): "aga_linear" (the old name "aga" is a deprecated alias)
_Z_LINEAR = "aga_linear" if "aga_linear" in Z_METHODS else "aga"

#: pandapipes tables gasunion converts.
_SUPPORTED = ("junction", "ext_grid", "sink", "source", "pipe", "valve", "compressor",
              "press_control", "pressure_control")
#: Why a pandapipes component cannot be converted.
_UNSUPPORTED_REASON = {
    "pump": (
        "pandapipes pumps lift the pressure along a curve dp(V) of the inlet volume flow "
        "(std_type {std_type!r}); gasunion compressors have a fixed pressure ratio or an "
        "outlet pressure set-point only, so the pump cannot be converted without changing the "
        "physics (replace it by a compressor in mode 'ratio' or 'p_out' if that is acceptable)"
    ),
    "heat_exchanger": "heat exchangers add or remove heat; the gasunion model is isothermal",
    "heat_consumer": "heat consumers belong to district-heating models; gasunion is isothermal",
    "flow_control": (
        "flow controllers fix a branch mass flow; gasunion has no flow-controlled branch"
    ),
    "mass_storage": (
        "mass storages are transient elements; use a gasunion storage/sink with a fixed flow"
    ),
    "circ_pump_mass": "circulation pumps belong to district-heating models",
    "circ_pump_pressure": "circulation pumps belong to district-heating models",
}


def _import_pandapipes() -> Any:
    try:
        import pandapipes
    except ImportError as exc:
        raise ImportError(PANDAPIPES_INSTALL_HINT) from exc
    return pandapipes


def ambient_pressure_bar(height_m: Any) -> Any:
    """Ambient (atmospheric) pressure [bar] at ``height_m`` as pandapipes computes it.

    ``p_amb = 1.01325 (1 - 0.0065 h / 288.15)^5.255`` (barometric formula of the international
    standard atmosphere; pandapipes ``p_correction_height_air``). pandapipes pressures are gauge
    pressures relative to this value.
    """
    h = np.asarray(height_m, dtype=float)
    out = _PP_NORMAL_PRESSURE_BAR * np.power(
        1.0 - h * _PP_TEMP_GRADIENT_K_PER_M / _PP_AVG_TEMPERATURE_K, _PP_HEIGHT_EXPONENT
    )
    return float(out) if out.ndim == 0 else out


# ------------------------------------------------------------------------------------- fluid
@dataclass(frozen=True)
class PandapipesFluid:
    """The properties of a pandapipes fluid that the conversion uses.

    ``z_kind`` is ``"constant"`` (``Z = z_offset``), ``"linear"`` (``Z = z_offset +
    z_slope_per_bar * p``, p absolute in bar) or ``"other"`` (not representable).
    ``higher_heating_value_kwh_kg`` and ``molar_mass_kg_kmol`` are kept for information.
    """

    name: str
    norm_density_kg_m3: float
    viscosity_pa_s: float
    z_kind: str = "constant"
    z_offset: float = 1.0
    z_slope_per_bar: float = 0.0
    higher_heating_value_kwh_kg: float | None = None
    molar_mass_kg_kmol: float | None = None

    def describe_z(self) -> str:
        if self.z_kind == "constant":
            return f"Z = {self.z_offset:g} (constant)"
        if self.z_kind == "linear":
            sign = "-" if self.z_slope_per_bar < 0 else "+"
            return f"Z = {self.z_offset:g} {sign} {abs(self.z_slope_per_bar):g} p [bar abs]"
        return "Z from a table or function of p and T"


def _scalar(x: Any) -> float:
    return float(np.asarray(x, dtype=float).ravel()[0])


def _prop_value(fluid: Any, name: str) -> float | None:
    props = getattr(fluid, "all_properties", {}) or {}
    if name not in props:
        return None
    try:
        return _scalar(fluid.get_property(name))
    except Exception:  # property needs arguments or is malformed: informational only
        return None


def fluid_from_pandapipes(fluid: Any, temperature_k: float) -> PandapipesFluid:
    """Read a pandapipes ``Fluid`` at ``temperature_k`` into a :class:`PandapipesFluid`.

    Normal density = ``fluid.get_density(273.15)`` (pandapipes' convention for gases),
    viscosity = ``fluid.get_viscosity(temperature_k)``.
    """
    name = str(getattr(fluid, "name", "") or "")
    if not getattr(fluid, "is_gas", True):
        raise InputFileError(
            f"fluid {name!r} is a liquid; gasunion models gas networks only", field="fluid"
        )
    try:
        rho_n = _scalar(fluid.get_density(_PP_NORMAL_TEMPERATURE_K))
        mu = _scalar(fluid.get_viscosity(temperature_k))
    except Exception as exc:
        raise InputFileError(
            f"fluid {name!r}: cannot evaluate density/viscosity ({exc})", field="fluid"
        ) from None
    comp = (getattr(fluid, "all_properties", {}) or {}).get("compressibility")
    kind, offset, slope = "other", 1.0, 0.0
    if comp is None:
        kind = "constant"
    elif hasattr(comp, "slope") and hasattr(comp, "offset"):
        kind, offset, slope = "linear", float(comp.offset), float(comp.slope)
    elif hasattr(comp, "value") and np.ndim(comp.value) == 0:
        kind, offset = "constant", float(comp.value)
    return PandapipesFluid(
        name=name,
        norm_density_kg_m3=rho_n,
        viscosity_pa_s=mu,
        z_kind=kind,
        z_offset=offset,
        z_slope_per_bar=slope,
        higher_heating_value_kwh_kg=_prop_value(fluid, "hhv"),
        molar_mass_kg_kmol=_prop_value(fluid, "molar_mass"),
    )


def _gas_from_fluid(fl: PandapipesFluid, temperature_k: float,
                    assumptions: list[str]) -> tuple[GasProperties, str]:
    """GasProperties reproducing pandapipes' gas law, and the recommended ``z`` method."""
    if not (fl.norm_density_kg_m3 > 0 and fl.viscosity_pa_s > 0):
        raise InputFileError(
            f"fluid {fl.name!r}: normal density {fl.norm_density_kg_m3!r} and viscosity "
            f"{fl.viscosity_pa_s!r} must be positive", field="fluid")
    molar_mass = fl.norm_density_kg_m3 * R_UNIVERSAL * T_NORMAL_K / P_NORMAL_PA * 1e3
    default = GasProperties()
    p_pc, t_pc = default.p_pc_bar, default.t_pc_k
    z = "ideal"
    zdesc = fl.describe_z()
    slope = fl.z_slope_per_bar if fl.z_kind == "linear" else 0.0
    if fl.z_kind in ("constant", "linear") and math.isclose(fl.z_offset, 1.0, abs_tol=1e-12):
        if slope == 0.0:
            assumptions.append(
                f"fluid {fl.name!r}: {zdesc}; simulate with z='ideal' to reproduce it")
        else:
            # Z = 1 + (A - B T_pc/T) p/p_pc equals 1 + slope p for this T_pc (p_pc kept unless
            # that would need T_pc <= 0)
            if slope * p_pc >= _AGA_A / 2:
                p_pc = _AGA_A / (2.0 * slope)
            t_pc = temperature_k * (_AGA_A - slope * p_pc) / _AGA_B
            z = _Z_LINEAR
            assumptions.append(
                f"fluid {fl.name!r}: {zdesc}; reproduced exactly by simulate(z={z!r}) with the "
                f"pseudo-critical point set to p_pc = {p_pc:.6g} bar, T_pc = {t_pc:.6g} K "
                f"(fitted to that slope at T = {temperature_k:g} K, not gas data); "
                "z='ideal' would ignore the compressibility")
    else:
        z = ""
        assumptions.append(
            f"fluid {fl.name!r}: {zdesc} has no exact gasunion equivalent; choose the "
            "compressibility model in simulate(z=...) (z='ideal' means Z = 1)")
    calorific = default.calorific_value_mj_m3
    if fl.higher_heating_value_kwh_kg is not None and fl.higher_heating_value_kwh_kg > 0:
        calorific = fl.higher_heating_value_kwh_kg * 3.6 * fl.norm_density_kg_m3
    else:
        assumptions.append(
            f"fluid {fl.name!r} has no heating value: calorific value left at the default "
            f"{calorific:g} MJ/m3")
    assumptions.append(
        f"gas from fluid {fl.name!r}: normal density {fl.norm_density_kg_m3:g} kg/m3 -> molar "
        f"mass {molar_mass:.6g} kg/kmol (ideal gas at 0 degC, 1.01325 bar, as pandapipes' "
        f"p_n/(rho_n T_n)); viscosity {fl.viscosity_pa_s:g} Pa s at {temperature_k:g} K")
    gas = GasProperties(
        molar_mass_kg_kmol=molar_mass,
        temperature_k=temperature_k,
        p_pc_bar=p_pc,
        t_pc_k=t_pc,
        norm_density_kg_m3=fl.norm_density_kg_m3,
        calorific_value_mj_m3=calorific,
        viscosity_pa_s=fl.viscosity_pa_s,
    )
    return gas, z


# ------------------------------------------------------------------------------------ import
def _table(tables: Mapping[str, Any], name: str) -> pd.DataFrame:
    df = tables.get(name) if hasattr(tables, "get") else None
    if isinstance(df, pd.DataFrame):
        return df
    return pd.DataFrame()


def _col(df: pd.DataFrame, name: str, default: Any) -> np.ndarray:
    if name in df.columns:
        return df[name].to_numpy()
    return np.full(len(df), default, dtype=object if isinstance(default, str) else None)


def _bool_col(df: pd.DataFrame, name: str, default: bool = True) -> np.ndarray:
    if name not in df.columns:
        return np.full(len(df), default, dtype=bool)
    return np.array([default if _isnan(v) else bool(v) for v in df[name]], dtype=bool)


def _float_col(df: pd.DataFrame, name: str, default: float = math.nan) -> np.ndarray:
    if name not in df.columns:
        return np.full(len(df), default, dtype=float)
    return pd.to_numeric(df[name], errors="coerce").to_numpy(dtype=float)


def _isnan(v: Any) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v))


def _name(v: Any) -> str:
    return "" if _isnan(v) else str(v)


def _elem(table: str, idx: Any, name: Any = None) -> str:
    nm = _name(name)
    return f"{table}[{idx}]" + (f" ({nm!r})" if nm else "")


def _temperature(tables: Mapping[str, Any], assumptions: list[str]) -> float:
    eg = _table(tables, "ext_grid")
    vals = np.zeros(0)
    what = ""
    if len(eg) and "t_k" in eg.columns:
        active = _bool_col(eg, "in_service")
        vals = _float_col(eg, "t_k")[active]
        vals = vals[np.isfinite(vals) & (vals > 0)]
        what = "ext_grid t_k"
    if not len(vals):
        j = _table(tables, "junction")
        vals = _float_col(j, "tfluid_k")[_bool_col(j, "in_service")] if len(j) else np.zeros(0)
        vals = vals[np.isfinite(vals) & (vals > 0)]
        what = "junction tfluid_k"
    if not len(vals):
        t = GasProperties().temperature_k
        assumptions.append(f"no fluid temperature in the net: {t:g} K assumed")
        return t
    t = float(np.mean(vals))
    if np.ptp(vals) > 1e-9:
        assumptions.append(
            f"{what} ranges from {vals.min():g} to {vals.max():g} K; the isothermal gasunion "
            f"model uses their mean {t:g} K")
    return t


def from_pandapipes(pp_net: Any, name: str | None = None) -> Network:
    """Convert a pandapipes net into a :class:`~gasunion.network.Network` (see module docs).

    Pressures become absolute (``p_gauge + ambient_pressure_bar(height)``). Elements gasunion
    cannot represent raise :class:`~gasunion.io.errors.InputFileError` naming them.
    ``net.meta["pandapipes"]`` holds the id mapping (``junction_index``: gasunion junction id ->
    pandapipes index; ``element_index``: gasunion id -> [table, index]) and ``z``, the
    compressibility model to pass to :func:`~gasunion.simulation.simulate`.
    """
    fluid = pp_net.get("fluid") if hasattr(pp_net, "get") else None
    if fluid is None:
        raise InputFileError("the pandapipes net has no fluid (pandapipes.create_fluid_from_lib)",
                             field="fluid")
    assumptions: list[str] = []
    t = _temperature(pp_net, assumptions)
    spec = fluid_from_pandapipes(fluid, t)
    if name is None:
        name = str(pp_net.get("name", "") or "")
    return _convert(pp_net, spec, name, t, assumptions)


def from_pandapipes_tables(
    tables: Mapping[str, pd.DataFrame], fluid: PandapipesFluid, name: str = ""
) -> Network:
    """Like :func:`from_pandapipes`, from plain tables (``{"junction": df, "pipe": df, ...}``
    with pandapipes' columns and indices) and a :class:`PandapipesFluid`; needs no pandapipes.
    """
    assumptions: list[str] = []
    t = _temperature(tables, assumptions)
    return _convert(tables, fluid, name, t, assumptions)


def _unsupported(tables: Mapping[str, Any]) -> list[str]:
    names: list[str] = list(_UNSUPPORTED_REASON)
    comps = tables.get("component_list") if hasattr(tables, "get") else None
    for comp in comps or []:
        try:
            tn = str(comp.table_name())
        except Exception:
            continue
        if tn not in names and tn not in _SUPPORTED:
            names.append(tn)
    problems = []
    for tn in names:
        df = _table(tables, tn)
        if not len(df):
            continue
        reason = _UNSUPPORTED_REASON.get(tn, "no gasunion equivalent")
        for idx, row in df.iterrows():
            text = reason.format(std_type=_name(row.get("std_type", "")))
            problems.append(f"{_elem(tn, idx, row.get('name'))}: {text}")
    return problems


def _convert(tables: Mapping[str, Any], fl: PandapipesFluid, name: str, t: float,
             assumptions: list[str]) -> Network:
    problems = _unsupported(tables)
    if problems:
        more = f" (and {len(problems) - 5} more)" if len(problems) > 5 else ""
        raise InputFileError(
            "unsupported pandapipes element(s): " + "; ".join(problems[:5]) + more,
            element=problems[0].split(":")[0],
        )
    gas, z = _gas_from_fluid(fl, t, assumptions)
    jt = _table(tables, "junction")
    if not len(jt):
        raise InputFileError("the pandapipes net has no junctions", field="junction")

    # ---------------------------------------------------------------- junctions
    j_active = _bool_col(jt, "in_service")
    names = [_name(v).strip() for v in _col(jt, "name", "")]
    use_names = all(names) and len(set(names)) == len(names)
    jid = {idx: (names[k] if use_names else str(idx)) for k, idx in enumerate(jt.index)}
    if not use_names:
        assumptions.append("pandapipes junction names are empty or not unique: junction ids are "
                           "the pandapipes indices")
    heights = dict(zip(jt.index, np.nan_to_num(_float_col(jt, "height_m", 0.0)), strict=True))
    dropped = {idx for idx, a in zip(jt.index, j_active, strict=True) if not a}
    if dropped:
        assumptions.append(
            f"{len(dropped)} out-of-service junction(s) left out with every element attached: "
            + ", ".join(map(str, sorted(dropped, key=str)[:10])))

    junction_index: dict[str, int] = {}
    element_index: dict[str, list[Any]] = {}
    rows: dict[str, list[dict[str, Any]]] = {c: [] for c in (
        "junctions", "sources", "sinks", "pipes", "resistors", "valves", "control_valves",
        "compressors")}

    def src(table: str, idx: Any) -> str:
        return f"pandapipes {table}[{idx}]"

    def known(*js: Any) -> bool:
        return all(j in jid and j not in dropped for j in js)

    def check_ref(table: str, idx: Any, row: pd.Series, *cols: str) -> bool:
        for c in cols:
            v = row.get(c)
            if v not in jid:
                raise InputFileError(f"refers to junction {v!r}, which does not exist",
                                     element=_elem(table, idx, row.get("name")), field=c)
        return known(*(row.get(c) for c in cols))

    gx = _table(tables, "junction_geodata")
    for k, idx in enumerate(jt.index):
        if idx in dropped:
            continue
        r = {"id": jid[idx], "name": names[k], "height_m": heights[idx],
             "source": src("junction", idx)}
        if len(gx) and idx in gx.index and {"x", "y"} <= set(gx.columns):
            r["x"], r["y"] = float(gx.at[idx, "x"]), float(gx.at[idx, "y"])
        rows["junctions"].append(r)
        junction_index[jid[idx]] = int(idx)

    # ---------------------------------------------------------------- ext_grid
    eg = _table(tables, "ext_grid")
    for idx, row in eg.iterrows():
        typ = _name(row.get("type", "pt")).lower() or "pt"
        p = row.get("p_bar")
        p = math.nan if _isnan(p) else float(p)
        if typ == "auto":
            typ = "p" if math.isfinite(p) else "t"
        if typ not in ("p", "pt", "tp"):
            raise InputFileError(
                f"ext_grid type {typ!r} is not supported: gasunion needs a pressure set-point "
                "(types 'p' or 'pt'); a temperature-only ext_grid has no meaning in the "
                "isothermal model", element=_elem("ext_grid", idx, row.get("name")), field="type")
        if not math.isfinite(p):
            raise InputFileError("ext_grid of type 'p' without p_bar",
                                 element=_elem("ext_grid", idx, row.get("name")), field="p_bar")
        if not check_ref("ext_grid", idx, row, "junction"):
            continue
        j = row["junction"]
        gid = f"ext_grid_{idx}"
        rows["sources"].append({
            "id": gid, "junction": jid[j], "name": _name(row.get("name")),
            "p_set_bar": p + ambient_pressure_bar(heights[j]),
            "in_service": _bool_col(eg.loc[[idx]], "in_service")[0],
            "source": src("ext_grid", idx),
            "note": f"pandapipes ext_grid at {p:g} bar gauge (type {typ})"})
        element_index[gid] = ["ext_grid", int(idx)]

    # ---------------------------------------------------------------- sinks / sources
    for table in ("sink", "source"):
        df = _table(tables, table)
        if not len(df):
            continue
        mdot = _float_col(df, "mdot_kg_per_s") * np.nan_to_num(_float_col(df, "scaling", 1.0),
                                                                nan=1.0)
        active = _bool_col(df, "in_service")
        for k, (idx, row) in enumerate(df.iterrows()):
            if not check_ref(table, idx, row, "junction"):
                continue
            m = float(mdot[k])
            if not math.isfinite(m):
                raise InputFileError("mdot_kg_per_s is not a number",
                                     element=_elem(table, idx, row.get("name")),
                                     field="mdot_kg_per_s")
            gid = f"{table}_{idx}"
            comp = "sinks" if table == "sink" or m < 0 else "sources"
            flow = m if table == "sink" else abs(m)
            if table == "source" and m < 0:
                assumptions.append(f"{_elem(table, idx, row.get('name'))} has a negative mass "
                                   "flow: converted to a sink")
            rows[comp].append({"id": gid, "junction": jid[row["junction"]],
                               "name": _name(row.get("name")), "mass_flow_kg_s": flow,
                               "in_service": bool(active[k]), "source": src(table, idx)})
            element_index[gid] = [table, int(idx)]

    # ---------------------------------------------------------------- valves (before pipes:
    # a valve at a pipe end moves that pipe end to a new junction)
    pt = _table(tables, "pipe").copy()
    if len(pt):
        pt["from_junction"] = pt["from_junction"].astype(object)
        pt["to_junction"] = pt["to_junction"].astype(object)
    vt = _table(tables, "valve")
    extra_nodes: dict[tuple[Any, Any], str] = {}
    for idx, row in vt.iterrows():
        label = _elem("valve", idx, row.get("name"))
        if "et" in vt.columns and "element" in vt.columns:
            j, el, et = row["junction"], row["element"], _name(row["et"]).lower()
            if et == "ju":
                a, b = j, el
                if not check_ref("valve", idx, row, "junction", "element"):
                    continue
            elif et == "pi":
                if not check_ref("valve", idx, row, "junction"):
                    continue
                if el not in pt.index:
                    raise InputFileError(f"refers to pipe {el!r}, which does not exist",
                                         element=label, field="element")
                key = (j, el)
                if key not in extra_nodes:
                    node = f"valve_node_{j}_pipe_{el}"
                    extra_nodes[key] = node
                    jid[node] = node
                    heights[node] = heights[j]
                    rows["junctions"].append({
                        "id": node, "height_m": heights[j], "source": src("valve", idx),
                        "note": f"internal node between junction {jid[j]!r} and pipe {el}"})
                    if pt.at[el, "from_junction"] == j:
                        pt.at[el, "from_junction"] = node
                    elif pt.at[el, "to_junction"] == j:
                        pt.at[el, "to_junction"] = node
                    else:
                        raise InputFileError(f"pipe {el} is not connected to junction {j}",
                                             element=label, field="element")
                a, b = j, extra_nodes[key]
            else:
                raise InputFileError(f"valve element type {et!r} is not supported "
                                     "(expected 'ju' or 'pi')", element=label, field="et")
            v_d_mm = float(row.get("inner_diameter_mm", math.nan))
        else:  # pandapipes < 0.10: from_junction / to_junction / diameter_m
            a, b = row["from_junction"], row["to_junction"]
            if not check_ref("valve", idx, row, "from_junction", "to_junction"):
                continue
            v_d_mm = float(row.get("diameter_m", math.nan)) * 1e3
        opened = bool(row.get("opened", True)) and bool(
            True if _isnan(row.get("in_service")) else row.get("in_service", True))
        zeta = float(0.0 if _isnan(row.get("loss_coefficient")) else row["loss_coefficient"])
        gid = f"valve_{idx}"
        base: dict[str, Any] = {"id": gid, "from_junction": jid[a], "to_junction": jid[b],
                "name": _name(row.get("name")), "source": src("valve", idx)}
        if opened and zeta > 0:
            rows["resistors"].append({**base, "drag_factor": zeta, "diameter_mm": v_d_mm,
                                      "note": "open pandapipes valve with loss coefficient"})
        else:
            rows["valves"].append({**base, "open": opened})
        element_index[gid] = ["valve", int(idx)]

    # ---------------------------------------------------------------- pipes
    if len(pt):
        if "inner_diameter_mm" in pt.columns:
            d_mm = _float_col(pt, "inner_diameter_mm")
        elif "diameter_m" in pt.columns:
            d_mm = _float_col(pt, "diameter_m") * 1e3
        else:
            raise InputFileError("pipe table has neither inner_diameter_mm nor diameter_m",
                                 field="inner_diameter_mm")
        length = _float_col(pt, "length_km")
        k_mm = _float_col(pt, "k_mm", 0.0)
        zeta = np.nan_to_num(_float_col(pt, "loss_coefficient", 0.0))
        u = _float_col(pt, "u_w_per_m2k")
        p_active = _bool_col(pt, "in_service")
        sections = _float_col(pt, "sections", 1.0)
        if np.nanmax(sections, initial=1.0) > 1:
            assumptions.append(
                "pipes with several pandapipes sections are integrated in one piece (isothermal "
                "closed form with Z at the mean pressure)")
        for k, (idx, row) in enumerate(pt.iterrows()):
            a, b = row["from_junction"], row["to_junction"]
            for c, v in (("from_junction", a), ("to_junction", b)):
                if v not in jid:
                    raise InputFileError(f"refers to junction {v!r}, which does not exist",
                                         element=_elem("pipe", idx, row.get("name")), field=c)
            if not known(a, b):
                continue
            gid = f"pipe_{idx}"
            rows["pipes"].append({
                "id": gid, "from_junction": jid[a], "to_junction": jid[b],
                "name": _name(row.get("name")), "length_km": length[k], "diameter_mm": d_mm[k],
                "roughness_mm": k_mm[k], "loss_coefficient": zeta[k],
                "heat_transfer_w_m2k": u[k], "in_service": bool(p_active[k]),
                "source": src("pipe", idx)})
            element_index[gid] = ["pipe", int(idx)]

    # ---------------------------------------------------------------- compressors
    ct = _table(tables, "compressor")
    if len(ct):
        assumptions.append(
            "pandapipes compressors become gasunion compressors in mode 'ratio' without fuel "
            "(fuel_model 'none'); pandapipes bypasses a compressor with reverse flow, gasunion "
            "reports such a flow as infeasible")
    for idx, row in ct.iterrows():
        if not check_ref("compressor", idx, row, "from_junction", "to_junction"):
            continue
        ratio = float(row["pressure_ratio"])
        gid = f"compressor_{idx}"
        rows["compressors"].append({
            "id": gid, "from_junction": jid[row["from_junction"]],
            "to_junction": jid[row["to_junction"]], "name": _name(row.get("name")),
            "mode": "ratio", "ratio_set": ratio, "ratio_min": min(1.0, ratio),
            "fuel_model": "none",
            "in_service": bool(row.get("in_service", True)), "source": src("compressor", idx)})
        element_index[gid] = ["compressor", int(idx)]

    # ---------------------------------------------------------------- pressure control
    for table in ("press_control", "pressure_control"):
        pc = _table(tables, table)
        for idx, row in pc.iterrows():
            label = _elem(table, idx, row.get("name"))
            if not check_ref(table, idx, row, "from_junction", "to_junction"):
                continue
            ctrl, to = row.get("controlled_junction"), row["to_junction"]
            ctrl_active = bool(row.get("control_active", True))
            gid = f"{table}_{idx}"
            base = {"id": gid, "from_junction": jid[row["from_junction"]], "to_junction": jid[to],
                    "name": _name(row.get("name")),
                    "in_service": bool(row.get("in_service", True)), "source": src(table, idx)}
            if ctrl_active:
                if ctrl != to:
                    raise InputFileError(
                        f"controls junction {ctrl!r}, not its outlet {to!r}: gasunion control "
                        "valves regulate their outlet pressure only", element=label,
                        field="controlled_junction")
                p = float(row["controlled_p_bar"]) + ambient_pressure_bar(heights[to])
                rows["control_valves"].append({**base, "mode": "p_out", "p_out_set_bar": p})
            else:
                lc = row.get("loss_coefficient", 0.0)
                if not _isnan(lc) and float(lc) != 0.0:
                    assumptions.append(f"{label}: inactive, converted to an open control valve; "
                                       f"its loss coefficient {float(lc):g} is dropped")
                rows["control_valves"].append({**base, "mode": "open"})
            element_index[gid] = [table, int(idx)]
    if any(r["mode"] == "p_out" for r in rows["control_valves"]):
        assumptions.append("pandapipes pressure controllers become control valves in mode "
                           "'p_out'; gasunion's cannot raise the pressure (pandapipes' can)")

    ctl = _table(tables, "controller")
    if len(ctl):
        assumptions.append(f"{len(ctl)} pandapipes controller(s) ignored (steady state only)")

    net = Network(name=name, gas=gas, meta={
        "source": "pandapipes",
        "assumptions": assumptions,
        "pandapipes": {"fluid": fl.name, "compressibility": fl.describe_z(), "z": z,
                       "junction_index": junction_index, "element_index": element_index},
    })
    try:
        for comp, rs in rows.items():
            if rs:
                df = pd.DataFrame(rs).set_index("id")
                net.add_table(comp, df)
    except NetworkError as exc:
        raise InputFileError(f"cannot build the network: {exc}") from None
    return net


def read_pandapipes_json(path: str | os.PathLike[str]) -> Network:
    """Read a network saved with ``pandapipes.to_json`` (needs pandapipes).

    Unreadable files and unsupported elements raise :class:`InputFileError` naming the file.
    """
    pp = _import_pandapipes()
    p = Path(path)
    if not p.exists():
        raise InputFileError("file not found", path=str(p))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            pp_net = pp.from_json(str(p))
    except Exception as exc:
        raise InputFileError(f"not a readable pandapipes JSON file ({type(exc).__name__}: "
                             f"{exc})", path=str(p)) from None
    try:
        net = from_pandapipes(pp_net, name=str(pp_net.get("name", "") or "") or p.stem)
    except InputFileError as exc:
        raise InputFileError(exc.message, path=str(p), element=exc.element,
                             field=exc.field) from None
    net.meta["source"] = f"pandapipes JSON {p.name}"
    return net


# ------------------------------------------------------------------------------------ export
#: Pressures [bar abs] at which :func:`linear_z_coefficients` checks that a model is linear.
_LINEARITY_CHECK_BAR = (0.0, 1.0, 25.0, 50.0, 80.0, 120.0, 200.0)


def linear_z_coefficients(z: str, gas: GasProperties) -> tuple[float, float]:
    """``(offset, slope_per_bar)`` of a gasunion compressibility model that is linear in p.

    ``Z(p) = offset + slope_per_bar * p`` with p absolute in bar, as pandapipes' linear
    compressibility (``FluidPropertyLinear``) defines it. ``"ideal"`` gives ``(1, 0)``; the
    linear "AGA" formula of Koch et al. 2015 (``z="aga_linear"``, formerly ``"aga"``) gives
    ``(1, (0.257 - 0.533 T_pc/T) / p_pc)`` at the gas temperature. The coefficients are read off
    :func:`~gasunion.physics.compressibility.make_z_model` and the model is checked to be linear
    (to 1e-12 between 0 and 200 bar); models that are not (``papay``, ``gerg2008``) raise
    :class:`NotImplementedError`: pandapipes has no equivalent.
    """
    model = make_z_model(z, gas)
    p_bar = np.asarray(_LINEARITY_CHECK_BAR, dtype=float)
    zz = np.asarray(model.z(p_bar * 1e5), dtype=float)
    offset = float(zz[0])
    slope = float(np.asarray(model.dz_dp(np.array([50e5])), dtype=float)[0]) * 1e5
    if not np.allclose(zz, offset + slope * p_bar, rtol=0.0, atol=1e-12):
        raise NotImplementedError(
            f"z={z!r} is not linear in p (Z = {zz[0]:.6g} ... {zz[-1]:.6g} between 0 and "
            "200 bar); pandapipes fluids have a constant or linear compressibility only")
    return offset, slope


def gas_fluid(gas: GasProperties, z_offset: float = 1.0, z_slope_per_bar: float = 0.0,
              name: str = "gasunion_gas") -> Any:
    """A pandapipes gas ``Fluid`` with gasunion's gas law (needs pandapipes).

    Constant normal density ``p_n / (R_s T_n)`` (so that pandapipes' specific gas constant
    ``p_n / (rho_n T_n)`` is exactly ``gas.r_specific``), constant viscosity
    ``gas.viscosity_pa_s``, heat capacity ``kappa R_s / (kappa - 1)``, and the compressibility
    ``Z = z_offset + z_slope_per_bar * p`` (p absolute in bar; pandapipes evaluates it at its
    mean pipe pressure, as gasunion does) with ``der_compressibility = z_slope_per_bar``.
    """
    _import_pandapipes()
    from pandapipes.properties.fluids import Fluid, FluidPropertyConstant, FluidPropertyLinear

    rho_n = P_NORMAL_PA / (gas.r_specific * T_NORMAL_K)  # p_n / (R_s T_n): same gas law
    cp = gas.kappa * gas.r_specific / (gas.kappa - 1.0)
    comp = (FluidPropertyLinear(float(z_slope_per_bar), float(z_offset)) if z_slope_per_bar
            else FluidPropertyConstant(float(z_offset)))
    props = {
        "density": FluidPropertyConstant(rho_n),
        "viscosity": FluidPropertyConstant(gas.viscosity_pa_s),
        "heat_capacity": FluidPropertyConstant(cp),
        "molar_mass": FluidPropertyConstant(gas.molar_mass_kg_kmol),
        "compressibility": comp,
        "der_compressibility": FluidPropertyConstant(float(z_slope_per_bar)),
        "hhv": FluidPropertyConstant(gas.calorific_value_mj_m3 / gas.rho_n / 3.6),
    }
    return Fluid(name=name, fluid_type="gas", **props)


def _default_fluid(net: Network, z: str = "ideal") -> Any:
    """pandapipes gas with gasunion's gas law and the compressibility of ``simulate(z=z)``."""
    offset, slope = (1.0, 0.0) if z == "ideal" else linear_z_coefficients(z, net.gas)
    return gas_fluid(net.gas, offset, slope,
                     name=f"gasunion_{net.name}" if net.name else "gasunion_gas")


def contract_zero_resistance(net: Network) -> tuple[Network, dict[str, str]]:
    """Merge the junctions that zero-resistance elements join (for pandapipes).

    gasunion solves networks with loops made only of elements that force equal pressures
    (short pipes, open valves, open control valves, compressors in bypass or at ratio 1); the
    flow split inside such a loop is undetermined and resolved by the simulator. pandapipes
    models these elements as zero-length branches and its Newton matrix is singular on such
    loops, so this function merges every group of junctions joined by them into one junction
    (the one earliest in the junction table; all pressures and every pipe flow are unchanged):

    * contracted (removed): in-service short pipes, open in-service valves, in-service control
      valves in mode ``open``, in-service compressors in mode ``bypass`` or in mode ``ratio``
      with ``ratio_set == 1`` and no fuel taken as a share of the flow;
    * pipes and drag resistors whose two ends fall into one group are removed (equal end
      pressures, horizontal: they carry no flow); closed or out-of-service valves, control
      valves and compressors whose ends fall into one group are removed (no flow);
    * everything else is kept with its ends renamed; sources, sinks and storages move to their
      group's junction.

    Returns the contracted network and the map ``junction id -> id of its group's junction``
    (``p(j) = p(map[j])``). Raises :class:`ValueError` where the contraction would change the
    physics: a regulating element (control valve at a set-point, compressor at a ratio != 1)
    or a pipe with a height difference inside one group, junctions of different heights in one
    group, or two different pressure set-points in one group.
    """
    j = net.junctions
    ids = [str(i) for i in j.index]
    order = {jid: k for k, jid in enumerate(ids)}
    parent = {jid: jid for jid in ids}

    def find(a: str) -> str:
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    def union(a: str, b: str) -> None:
        ra, rb = find(a), find(b)
        if ra != rb:
            if order[ra] > order[rb]:
                ra, rb = rb, ra
            parent[rb] = ra

    def flags(comp: str, df: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        """(equal-pressure link, carries no flow) per row."""
        ins = df["in_service"].to_numpy(bool)
        if comp == "short_pipes":
            return ins, ~ins
        if comp == "valves":
            equal = ins & df["open"].to_numpy(bool)
            return equal, ~equal
        if comp == "control_valves":
            mode = df["mode"].to_numpy(str)
            return ins & (mode == "open"), ~ins | (mode == "closed")
        if comp == "compressors":
            mode = df["mode"].to_numpy(str)
            share = ((df["fuel_model"] == "share") & (df["fuel_share"] > 0)).to_numpy(bool)
            unit = (mode == "ratio") & (df["ratio_set"].to_numpy(float) == 1.0) & ~share
            return ins & ((mode == "bypass") | unit), ~ins | (mode == "off")
        return np.zeros(len(df), bool), ~df["in_service"].to_numpy(bool)

    links = ("short_pipes", "valves", "control_valves", "compressors")
    dead: dict[str, np.ndarray] = {}
    contracted: dict[str, int] = {}
    for comp in links:
        df = net[comp]
        equal, dead[comp] = flags(comp, df)
        for a, b in zip(df["from_junction"][equal], df["to_junction"][equal], strict=True):
            union(str(a), str(b))
        contracted[comp] = int(equal.sum())
    rep = {jid: find(jid) for jid in ids}
    h = j["height_m"].fillna(0.0)
    for jid, r in rep.items():
        if jid != r and h[jid] != h[r]:
            raise ValueError(
                f"junctions {jid!r} ({h[jid]:g} m) and {r!r} ({h[r]:g} m) are joined by "
                "zero-resistance elements but lie at different heights; merging them would "
                "change the elevation terms of their pipes")

    out = Network(name=net.name, gas=net.gas, meta=dict(net.meta))
    out.add_table("junctions", j.loc[[jid for jid in ids if rep[jid] == jid]])
    removed: dict[str, int] = {}
    for comp in ("pipes", "resistors", *links):
        df = net[comp]
        if not len(df):
            continue
        equal = flags(comp, df)[0]
        a = df["from_junction"].astype(str).map(rep)
        b = df["to_junction"].astype(str).map(rep)
        inside = (a == b).to_numpy() & ~equal
        # elements inside one group that would still impose a pressure difference
        ins = df["in_service"].to_numpy(bool)
        if comp == "pipes":
            dh = (h.reindex(df["to_junction"].astype(str)).to_numpy()
                  - h.reindex(df["from_junction"].astype(str)).to_numpy())
            differs = ins & (dh != 0.0)
        elif comp == "resistors":
            loss = df["pressure_loss_bar"].to_numpy(float)
            differs = ins & np.isfinite(loss) & (loss != 0.0)
        elif comp in ("control_valves", "compressors"):
            differs = ins & ~equal & ~dead[comp]
        else:
            differs = np.zeros(len(df), bool)
        bad = inside & differs
        if bad.any():
            raise ValueError(
                f"{comp}[{df.index[bad][0]!r}] lies in parallel to a loop of zero-resistance "
                "elements (both ends in one group) but imposes a pressure difference; open, "
                "close or remove one of them first")
        keep = ~equal & ~inside
        removed[comp] = int(inside.sum())
        if keep.any():
            kept = df[keep].copy()
            kept["from_junction"] = a[keep]
            kept["to_junction"] = b[keep]
            out.add_table(comp, kept)
    for comp in ("sources", "sinks", "storages"):
        df = net[comp]
        if len(df):
            df = df.copy()
            df["junction"] = df["junction"].astype(str).map(rep)
            out.add_table(comp, df)
    sets = pd.concat([t[np.isfinite(t["p_set_bar"].to_numpy(float))
                        & t["in_service"].to_numpy(bool)] for t in (out.sources, out.sinks)])
    for jid, grp in sets.groupby("junction"):
        if grp["p_set_bar"].nunique() > 1:
            raise ValueError(f"junction group {jid!r} has different pressure set-points "
                             f"{sorted(grp['p_set_bar'])} (elements {list(grp.index)})")
    info = {"junctions_merged": len(ids) - len(out.junctions),
            "contracted_elements": contracted, "removed_inside_a_group": removed}
    out.meta["assumptions"] = [*net.meta.get("assumptions", []),
                               f"zero-resistance elements contracted for pandapipes ({info})"]
    out.meta["contracted"] = info
    return out, rep


def to_pandapipes(net: Network, fluid: Any = None, z: str = "ideal") -> Any:
    """Export ``net`` to a pandapipes net (needs pandapipes), e.g. to run the same case there.

    * junctions keep their order (pandapipes index 0..n-1) and carry the gasunion id as
      ``name``; ``pn_bar`` (the initial guess) is the highest set pressure, gauge;
    * sources/sinks with ``p_set_bar`` -> ext_grid type ``pt`` at ``p_set_bar -
      ambient_pressure_bar(height)`` (gauge) and the gas temperature; flow-controlled sources,
      sinks and storages -> pandapipes source/sink (kg/s);
    * pipes -> pipes (length, inner diameter, k_mm, loss coefficient, in_service);
    * short pipes, valves, open/closed control valves, compressors in bypass/off -> valves
      (``et="ju"``, no loss; diameter of the widest adjacent pipe); resistors with a drag factor
      -> open valves with that ``loss_coefficient`` and diameter;
    * control valves in mode ``p_out`` -> ``press_control`` of their outlet; compressors in mode
      ``ratio`` -> ``compressor`` (absolute pressure ratio, no fuel);
    * ``fluid``: ``None`` builds a gas fluid from ``net.gas`` with :func:`gas_fluid` (normal
      density ``p_n/(R_s T_n)`` so that pandapipes' gas law equals gasunion's, constant
      viscosity) and the compressibility of ``simulate(z=z)``: ``z="ideal"`` (default) is
      ``Z = 1``; a model linear in p (the AGA formula of Koch et al. 2015, ``z="aga_linear"``)
      becomes pandapipes' linear compressibility with the same offset and slope
      (:func:`linear_z_coefficients`); other ``z`` raise :class:`NotImplementedError`. A string
      ``fluid`` is a pandapipes library fluid (``"hgas"``, ...); a pandapipes ``Fluid`` is used
      as given (``z`` is then ignored).

    Elements without a pandapipes equivalent raise :class:`NotImplementedError` (compressors in
    mode ``p_out``, resistors with a fixed pressure loss, pipes with a fixed friction factor).
    Loops of zero-resistance elements make pandapipes' matrix singular: contract them first with
    :func:`contract_zero_resistance`. pandapipes' friction laws are gasunion's
    ``friction="stanet_nikuradse"`` / ``"stanet_colebrook"`` (``friction_model="nikuradse"`` /
    ``"colebrook"``); for horizontal pipes its gas pipe law is gasunion's (``p_in^2 - p_out^2``
    proportional to ``Z(p_m) m|m|`` with the same mean pressure ``p_m``; the elevation terms
    differ: pandapipes adds ``rho_mean g dh`` linearly), see ``docs/validation.md``.
    """
    pp = _import_pandapipes()
    problems: list[str] = []
    p_df = net.pipes
    fixed_lam = p_df.index[np.isfinite(p_df["friction_factor"].to_numpy(float))]
    problems += [f"pipes[{i!r}]: fixed friction_factor (pandapipes computes lambda from k_mm)"
                 for i in fixed_lam[:5]]
    r_df = net.resistors
    ploss = r_df.index[~np.isfinite(r_df["drag_factor"].to_numpy(float))]
    problems += [f"resistors[{i!r}]: fixed pressure_loss_bar (pandapipes has no fixed-loss "
                 "element)" for i in ploss[:5]]
    c_df = net.compressors
    pout = c_df.index[(c_df["mode"] == "p_out").to_numpy() & c_df["in_service"].to_numpy(bool)]
    problems += [f"compressors[{i!r}]: mode 'p_out' (pandapipes compressors only have a fixed "
                 "pressure_ratio; press_control cannot raise the pressure)" for i in pout[:5]]
    if problems:
        raise NotImplementedError("no pandapipes equivalent: " + "; ".join(problems))
    fuel = c_df[(c_df["mode"] == "ratio") & c_df["in_service"]
                & ((c_df["fuel_model"] == "power")
                   | ((c_df["fuel_model"] == "share") & (c_df["fuel_share"] > 0)))]
    if len(fuel):
        warnings.warn(f"{len(fuel)} compressor(s) burn fuel in gasunion; pandapipes compressors "
                      "take none, so the flows will differ", UserWarning, stacklevel=2)

    if fluid is None:
        pp_fluid: Any = _default_fluid(net, z)
    elif isinstance(fluid, str):
        pp_fluid = pp.call_lib(fluid)
    else:
        pp_fluid = fluid
    gas = net.gas
    t = gas.temperature_k
    out = pp.create_empty_network(name=net.name, fluid=pp_fluid)

    j = net.junctions
    pos = {jid: k for k, jid in enumerate(j.index)}
    h = np.nan_to_num(j["height_m"].to_numpy(float))
    pamb = np.atleast_1d(ambient_pressure_bar(h))

    # pressure set-points (gauge) -> ext_grids
    eg_rows: list[tuple[int, float, str, bool]] = []
    flow_rows: list[tuple[str, int, float, str, bool]] = []
    for comp, sign in (("sources", 1.0), ("sinks", -1.0)):
        df = net[comp]
        for eid, r in df.iterrows():
            k = pos[r["junction"]]
            if math.isfinite(r["p_set_bar"]):
                eg_rows.append((k, float(r["p_set_bar"]) - pamb[k], str(eid), bool(r["in_service"])))
            elif math.isfinite(r["mass_flow_kg_s"]):
                flow_rows.append(("source" if sign > 0 else "sink", k, float(r["mass_flow_kg_s"]),
                                  str(eid), bool(r["in_service"])))
            else:
                raise ValueError(f"{comp}[{eid!r}]: neither mass_flow_kg_s nor p_set_bar is set")
    for eid, r in net.storages.iterrows():
        flow_rows.append(("source", pos[r["junction"]], float(r["mass_flow_kg_s"]), str(eid),
                          bool(r["in_service"])))
    pn = max([p for _, p, _, _ in eg_rows], default=1.0)
    pp.create_junctions(out, len(j), pn_bar=pn, tfluid_k=t, height_m=h,
                        name=[str(i) for i in j.index], index=list(range(len(j))))
    for k, p, eid, ins in eg_rows:
        pp.create_ext_grid(out, junction=k, p_bar=p, t_k=t, type="pt", name=eid, in_service=ins)
    for kind, create in (("source", pp.create_sources), ("sink", pp.create_sinks)):
        rows = [r for r in flow_rows if r[0] == kind]
        if rows:  # bulk creation: one call per element type
            create(out, junctions=[r[1] for r in rows], mdot_kg_per_s=[r[2] for r in rows],
                   name=[r[3] for r in rows], in_service=[r[4] for r in rows])

    if len(p_df):
        pp.create_pipes_from_parameters(
            out, from_junctions=p_df["from_junction"].map(pos).to_numpy(int),
            to_junctions=p_df["to_junction"].map(pos).to_numpy(int),
            length_km=p_df["length_km"].to_numpy(float),
            inner_diameter_mm=p_df["diameter_mm"].to_numpy(float),
            k_mm=p_df["roughness_mm"].to_numpy(float),
            loss_coefficient=p_df["loss_coefficient"].to_numpy(float),
            in_service=p_df["in_service"].to_numpy(bool), name=[str(i) for i in p_df.index],
            text_k=t)

    # widest adjacent pipe diameter, for valves (irrelevant to the loss when zeta = 0)
    widest: dict[str, float] = {}
    for col in ("from_junction", "to_junction"):
        for jj, d in zip(p_df[col], p_df["diameter_mm"], strict=True):
            widest[jj] = max(widest.get(jj, 0.0), float(d))

    def diam(a: str, b: str) -> float:
        return max(widest.get(a, 0.0), widest.get(b, 0.0)) or 1000.0

    valves: list[tuple[str, str, float, bool, float, str]] = []
    for eid, r in net.short_pipes.iterrows():
        valves.append((r["from_junction"], r["to_junction"], diam(r["from_junction"],
                       r["to_junction"]), bool(r["in_service"]), 0.0, str(eid)))
    for eid, r in net.valves.iterrows():
        valves.append((r["from_junction"], r["to_junction"], diam(r["from_junction"],
                       r["to_junction"]), bool(r["open"] and r["in_service"]), 0.0, str(eid)))
    for eid, r in r_df.iterrows():
        valves.append((r["from_junction"], r["to_junction"], float(r["diameter_mm"]),
                       bool(r["in_service"]), float(r["drag_factor"]), str(eid)))
    for eid, r in net.control_valves.iterrows():
        if r["mode"] == "p_out" and r["in_service"]:
            k_to = pos[r["to_junction"]]
            made = pp.create_pressure_control(
                out, from_junction=pos[r["from_junction"]], to_junction=k_to,
                controlled_junction=k_to, controlled_p_bar=float(r["p_out_set_bar"]) - pamb[k_to],
                name=str(eid))
            if made is None:  # pandapipes logs an error instead of raising
                raise ValueError(f"control_valves[{eid!r}]: pandapipes refused the pressure "
                                 "control (outlet not controllable)")
        else:
            valves.append((r["from_junction"], r["to_junction"], diam(r["from_junction"],
                           r["to_junction"]), bool(r["mode"] == "open" and r["in_service"]), 0.0,
                           str(eid)))
    for eid, r in c_df.iterrows():
        if r["mode"] == "ratio" and r["in_service"]:
            pp.create_compressor(out, from_junction=pos[r["from_junction"]],
                                 to_junction=pos[r["to_junction"]],
                                 pressure_ratio=float(r["ratio_set"]), name=str(eid))
        else:
            valves.append((r["from_junction"], r["to_junction"], diam(r["from_junction"],
                           r["to_junction"]), bool(r["mode"] == "bypass" and r["in_service"]),
                           0.0, str(eid)))
    if valves:
        pp.create_valves(out, junctions=[pos[v[0]] for v in valves],
                         elements=[pos[v[1]] for v in valves], et=["ju"] * len(valves),
                         inner_diameter_mm=[v[2] for v in valves], opened=[v[3] for v in valves],
                         loss_coefficient=[v[4] for v in valves], name=[v[5] for v in valves])
    return out
