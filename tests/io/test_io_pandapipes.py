"""pandapipes import/export (gasunion.io.pandapipes).

Tests that need pandapipes skip without it; the table-based ones run everywhere.
"""

from __future__ import annotations

import math
import sys
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from gasunion.io import read
from gasunion.io.errors import InputFileError
from gasunion.io.pandapipes import (
    PandapipesFluid,
    ambient_pressure_bar,
    contract_zero_resistance,
    from_pandapipes,
    from_pandapipes_tables,
    gas_fluid,
    linear_z_coefficients,
    read_pandapipes_json,
    to_pandapipes,
)
from gasunion.network import Network
from gasunion.physics.compressibility import make_z_model
from gasunion.physics.gas import GasProperties
from gasunion.simulation.steady import simulate

DATA = Path(__file__).resolve().parents[1] / "data" / "pandapipes_stanet"
#: the linear "AGA" formula of Koch et al. 2015 (z="aga_linear")
Z_LINEAR = "aga_linear"
STANET_FLUID = PandapipesFluid("STANET_fluid", norm_density_kg_m3=0.84, viscosity_pa_s=1.193e-5)


def _pp() -> Any:
    pp = pytest.importorskip("pandapipes")
    warnings.simplefilter("ignore")  # pandapipes logs/warns a lot on creation
    return pp


def small_tables(**overrides: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """A 3-junction pandapipes net as plain tables (pandapipes columns and units)."""
    tables = {
        "junction": pd.DataFrame({"name": ["J0", "J1", "J2"], "pn_bar": 5.0,
                                  "tfluid_k": 283.15, "height_m": [0.0, 500.0, 20.0],
                                  "in_service": True}),
        "ext_grid": pd.DataFrame({"junction": [1], "p_bar": [5.0], "t_k": [283.15],
                                  "type": ["pt"], "in_service": [True]}),
        "pipe": pd.DataFrame({"name": ["a", "b"], "from_junction": [1, 0],
                              "to_junction": [0, 2], "length_km": [2.0, 1.5],
                              "inner_diameter_mm": [100.0, 80.0], "k_mm": [0.1, 0.2],
                              "loss_coefficient": [0.0, 3.0], "in_service": [True, True]}),
        "sink": pd.DataFrame({"junction": [2], "mdot_kg_per_s": [0.05], "scaling": [2.0],
                              "in_service": [True]}),
    }
    tables.update(overrides)
    return tables


# --------------------------------------------------------------------------- ambient pressure
def test_ambient_pressure_barometric_formula() -> None:
    # p_amb = 1.01325 (1 - 0.0065 h / 288.15)^5.255 (pandapipes constants.py)
    assert ambient_pressure_bar(0.0) == 1.01325
    assert ambient_pressure_bar(500.0) == pytest.approx(0.954618, abs=1e-6)
    assert ambient_pressure_bar(1000.0) == pytest.approx(0.898764, abs=1e-6)
    np.testing.assert_allclose(ambient_pressure_bar(np.array([0.0, 500.0])),
                               [1.01325, ambient_pressure_bar(500.0)])


def test_ambient_pressure_equals_pandapipes() -> None:
    _pp()
    from pandapipes.component_models.component_toolbox import p_correction_height_air

    h = np.array([-50.0, 0.0, 1.0, 20.0, 150.0, 1234.5])
    np.testing.assert_allclose(ambient_pressure_bar(h), p_correction_height_air(h), rtol=1e-15)


# ------------------------------------------------------------------------- import from tables
def test_import_tables_gauge_to_absolute_and_data() -> None:
    net = from_pandapipes_tables(small_tables(), STANET_FLUID, name="small")
    assert list(net.junctions.index) == ["J0", "J1", "J2"]
    np.testing.assert_array_equal(net.junctions["height_m"], [0.0, 500.0, 20.0])
    src = net.sources.loc["ext_grid_0"]
    assert src["junction"] == "J1"
    assert src["p_set_bar"] == pytest.approx(5.0 + 0.954618, abs=1e-6)  # gauge at 500 m
    assert math.isnan(src["mass_flow_kg_s"])
    assert net.sinks.loc["sink_0", "mass_flow_kg_s"] == pytest.approx(0.1)  # mdot * scaling
    p = net.pipes
    assert list(p.index) == ["pipe_0", "pipe_1"]
    assert list(p["from_junction"]) == ["J1", "J0"] and list(p["to_junction"]) == ["J0", "J2"]
    np.testing.assert_array_equal(p["length_km"], [2.0, 1.5])
    np.testing.assert_array_equal(p["diameter_mm"], [100.0, 80.0])
    np.testing.assert_array_equal(p["roughness_mm"], [0.1, 0.2])
    np.testing.assert_array_equal(p["loss_coefficient"], [0.0, 3.0])
    meta = net.meta["pandapipes"]
    assert meta["junction_index"] == {"J0": 0, "J1": 1, "J2": 2}
    assert meta["element_index"]["pipe_1"] == ["pipe", 1]
    assert meta["z"] == "ideal"
    # gas: R_s = p_n / (rho_n T_n) exactly as pandapipes
    assert net.gas.r_specific == pytest.approx(101325.0 / (0.84 * 273.15), rel=1e-13)
    assert net.gas.rho_n == 0.84 and net.gas.viscosity_pa_s == 1.193e-5
    assert net.gas.temperature_k == 283.15
    assert any("z='ideal'" in a for a in net.meta["assumptions"])
    res = simulate(net, friction="colebrook", z="ideal")
    assert res.summary["converged"]


def test_import_tables_duplicate_names_use_indices() -> None:
    j = small_tables()["junction"].assign(name=["J0", "J0", ""])
    net = from_pandapipes_tables(small_tables(junction=j), STANET_FLUID)
    assert list(net.junctions.index) == ["0", "1", "2"]
    assert list(net.junctions["name"]) == ["J0", "J0", ""]
    assert net.meta["pandapipes"]["junction_index"] == {"0": 0, "1": 1, "2": 2}


def test_linear_compressibility_mapped_exactly_to_aga() -> None:
    fluid = PandapipesFluid("lin", 0.84, 1.193e-5, z_kind="linear", z_offset=1.0,
                            z_slope_per_bar=-0.0022)
    net = from_pandapipes_tables(small_tables(), fluid)
    assert net.meta["pandapipes"]["z"] == Z_LINEAR
    p_bar = np.array([1.0, 6.01325, 50.0, 101.0])
    np.testing.assert_allclose(make_z_model(Z_LINEAR, net.gas).z(p_bar * 1e5),
                               1 - 0.0022 * p_bar, rtol=1e-13)
    pos = PandapipesFluid("pos", 0.84, 1.193e-5, z_kind="linear", z_slope_per_bar=0.01)
    g = from_pandapipes_tables(small_tables(), pos).gas
    np.testing.assert_allclose(make_z_model(Z_LINEAR, g).z(p_bar * 1e5), 1 + 0.01 * p_bar,
                               rtol=1e-13)
    other = PandapipesFluid("tab", 0.84, 1.193e-5, z_kind="other")
    n3 = from_pandapipes_tables(small_tables(), other)
    assert n3.meta["pandapipes"]["z"] == ""
    assert any("no exact gasunion equivalent" in a for a in n3.meta["assumptions"])


def test_import_valves_compressor_pressure_control_tables() -> None:
    junction = pd.DataFrame({"name": list("ABCDEF"), "pn_bar": 5.0, "tfluid_k": 283.15,
                             "height_m": [0.0, 0.0, 0.0, 0.0, 0.0, 100.0], "in_service": True})
    pipe = pd.DataFrame({"from_junction": [0, 3], "to_junction": [1, 4], "length_km": 1.0,
                         "inner_diameter_mm": 100.0, "k_mm": 0.1})
    valve = pd.DataFrame({"junction": [1, 1, 3], "element": [2, 2, 1],
                          "et": ["ju", "ju", "pi"], "inner_diameter_mm": [100.0, 50.0, 80.0],
                          "opened": [True, False, True], "loss_coefficient": [0.0, 0.0, 4.0]},
                         index=[0, 5, 7])
    compressor = pd.DataFrame({"from_junction": [2], "to_junction": [3],
                               "pressure_ratio": [1.4], "in_service": [True]})
    press = pd.DataFrame({"from_junction": [4], "to_junction": [5], "controlled_junction": [5],
                          "controlled_p_bar": [2.0], "control_active": [True],
                          "loss_coefficient": [0.0], "in_service": [True]})
    net = from_pandapipes_tables(small_tables(junction=junction, pipe=pipe, valve=valve,
                                              compressor=compressor, press_control=press,
                                              sink=pd.DataFrame(), ext_grid=pd.DataFrame(
                                                  {"junction": [0], "p_bar": [5.0],
                                                   "t_k": [283.15], "type": ["pt"]})),
                                 STANET_FLUID)
    assert net.valves.loc["valve_0", "open"] and not net.valves.loc["valve_5", "open"]
    # valve at pipe 1's end at junction D: own node between D and the pipe, resistor D -> node
    node = "valve_node_3_pipe_1"
    assert net.resistors.loc["valve_7", "from_junction"] == "D"
    assert net.resistors.loc["valve_7", "to_junction"] == node
    assert net.resistors.loc["valve_7", "drag_factor"] == 4.0
    assert net.resistors.loc["valve_7", "diameter_mm"] == 80.0
    assert net.pipes.loc["pipe_1", "from_junction"] == node
    c = net.compressors.loc["compressor_0"]
    assert c["mode"] == "ratio" and c["ratio_set"] == 1.4 and c["fuel_model"] == "none"
    cv = net.control_valves.loc["press_control_0"]
    assert cv["mode"] == "p_out"
    assert cv["p_out_set_bar"] == pytest.approx(2.0 + ambient_pressure_bar(100.0), rel=1e-15)


def test_import_errors_name_the_element() -> None:
    pump = pd.DataFrame({"name": ["booster"], "from_junction": [0], "to_junction": [2],
                         "std_type": ["P1"], "in_service": [True]})
    with pytest.raises(InputFileError, match=r"pump\[0\] \('booster'\).*P1") as exc:
        from_pandapipes_tables(small_tables(pump=pump), STANET_FLUID)
    assert exc.value.element == "pump[0] ('booster')"
    hx = pd.DataFrame({"from_junction": [0], "to_junction": [2], "qext_w": [1e3]}, index=[4])
    with pytest.raises(InputFileError, match=r"heat_exchanger\[4\].*isothermal"):
        from_pandapipes_tables(small_tables(heat_exchanger=hx), STANET_FLUID)
    eg = pd.DataFrame({"junction": [1], "p_bar": [math.nan], "t_k": [300.0], "type": ["t"]})
    with pytest.raises(InputFileError, match=r"ext_grid\[0\].*type 't' is not supported"):
        from_pandapipes_tables(small_tables(ext_grid=eg), STANET_FLUID)
    bad = small_tables()["pipe"].assign(to_junction=[0, 9])
    with pytest.raises(InputFileError, match=r"pipe\[1\].*junction 9"):
        from_pandapipes_tables(small_tables(pipe=bad), STANET_FLUID)
    pc = pd.DataFrame({"from_junction": [0], "to_junction": [2], "controlled_junction": [1],
                       "controlled_p_bar": [2.0], "control_active": [True]})
    with pytest.raises(InputFileError, match=r"press_control\[0\].*outlet"):
        from_pandapipes_tables(small_tables(press_control=pc), STANET_FLUID)


def test_stanet_pump_case_refused_without_pandapipes() -> None:
    tables = {f.stem: pd.read_csv(f, index_col=0) for f in (DATA / "gas_strand_pump").glob(
        "*.csv") if not f.stem.startswith("res_")}
    with pytest.raises(InputFileError, match=r"pump\[0\]"):
        from_pandapipes_tables(tables, STANET_FLUID)


# ---------------------------------------------------------------------- import from pandapipes
def _pp_small(pp: Any) -> Any:
    net = pp.create_empty_network(fluid="hgas")
    pp.create_junctions(net, 3, pn_bar=10.0, tfluid_k=285.0, height_m=[0.0, 50.0, 10.0],
                        name=["in", "mid", "out"])
    pp.create_ext_grid(net, 0, p_bar=10.0, t_k=285.0, name="feed")
    pp.create_pipes_from_parameters(net, [0, 1], [1, 2], length_km=[5.0, 3.0],
                                    inner_diameter_mm=[150.0, 100.0], k_mm=0.05,
                                    loss_coefficient=[0.0, 1.5], name=["p1", "p2"])
    pp.create_sink(net, 2, mdot_kg_per_s=0.4, name="town")
    pp.create_source(net, 1, mdot_kg_per_s=0.1, name="biogas")
    return net


def test_from_pandapipes_library_fluid_and_results_agree() -> None:
    pp = _pp()
    pnet = _pp_small(pp)
    net = from_pandapipes(pnet)
    assert list(net.junctions.index) == ["in", "mid", "out"]
    rho_n = float(pnet.fluid.get_density(273.15))
    assert net.gas.rho_n == pytest.approx(rho_n)
    assert net.gas.viscosity_pa_s == pytest.approx(float(pnet.fluid.get_viscosity(285.0)))
    assert net.gas.calorific_value_mj_m3 == pytest.approx(14.62197 * 3.6 * rho_n)
    assert net.meta["pandapipes"]["z"] == Z_LINEAR  # hgas: Z = 1 - 0.0022 p
    assert net.sources.loc["ext_grid_0", "p_set_bar"] == 10.0 + 1.01325
    assert net.sources.loc["source_0", "mass_flow_kg_s"] == 0.1
    # same physics as pandapipes up to the friction law: pandapipes' Colebrook has k/(3.71 D),
    # gasunion's k/(3.7 D) (4e-5 here; 6e-6 with pandapipes' law, see tests/validation)
    pp.pipeflow(pnet, mode="hydraulics", friction_model="colebrook", tol_p=1e-9, tol_m=1e-9)
    res = simulate(net, friction="colebrook", z=Z_LINEAR)
    p_pp = pnet.res_junction["p_bar"].to_numpy() + ambient_pressure_bar(pnet.junction.height_m)
    np.testing.assert_allclose(res.junctions["p_bar"].to_numpy(), p_pp, rtol=1e-4)
    np.testing.assert_allclose(res.pipes["velocity_m_s"].to_numpy(),
                               pnet.res_pipe["v_mean_m_per_s"].to_numpy(), rtol=1e-3)


def test_from_pandapipes_unsupported_element_named() -> None:
    pp = _pp()
    pnet = _pp_small(pp)
    pp.create_heat_exchanger(pnet, 1, 2, qext_w=500.0, inner_diameter_mm=100.0, name="hx")
    with pytest.raises(InputFileError, match=r"heat_exchanger\[0\] \('hx'\)"):
        from_pandapipes(pnet)
    pnet = _pp_small(pp)
    pp.create_pump(pnet, 0, 1, std_type="P1", name="pmp")
    with pytest.raises(InputFileError, match=r"pump\[0\] \('pmp'\).*'P1'"):
        from_pandapipes(pnet)


def test_from_pandapipes_liquid_refused() -> None:
    pp = _pp()
    pnet = pp.create_empty_network(fluid="water")
    pp.create_junctions(pnet, 2, pn_bar=5.0, tfluid_k=293.15)
    with pytest.raises(InputFileError, match="liquid"):
        from_pandapipes(pnet)


# ------------------------------------------------------------------------------- round trip
def gasunion_net() -> Network:
    net = Network("rt", gas=GasProperties(temperature_k=288.15))
    net.add("junctions", list("ABCDEFGH"),
            height_m=[0.0, 120.0, 40.0, 40.0, 10.0, 10.0, 10.0, 10.0])
    net.add("sources", "S", junction="A", p_set_bar=50.0)
    net.add("sinks", ["X", "Y"], junction=["D", "H"], mass_flow_kg_s=[20.0, 5.0])
    net.add("pipes", ["P1", "P2", "P3"], from_junction=["A", "B", "C"],
            to_junction=["B", "C", "E"], length_km=[30.0, 20.0, 10.0],
            diameter_mm=[500.0, 400.0, 300.0], roughness_mm=[0.05, 0.1, 0.02],
            loss_coefficient=[0.0, 2.0, 0.0])
    net.add("short_pipes", "SP", from_junction="C", to_junction="D")
    net.add("resistors", "R", from_junction="E", to_junction="F", drag_factor=5.0,
            diameter_mm=200.0)
    net.add("valves", ["V1", "V2"], from_junction=["F", "F"], to_junction=["G", "H"],
            open=[True, False])
    net.add("control_valves", "CV", from_junction="G", to_junction="H", p_out_set_bar=30.0)
    return net


def test_round_trip_keeps_pressures_and_pipe_data() -> None:
    _pp()
    net = gasunion_net()
    back = from_pandapipes(to_pandapipes(net))
    assert list(back.junctions.index) == list(net.junctions.index)  # names carry the ids
    np.testing.assert_array_equal(back.junctions["height_m"], net.junctions["height_m"])
    src = back.sources.set_index("name")
    assert src.loc["S", "p_set_bar"] == pytest.approx(50.0, rel=1e-15)
    snk = back.sinks.set_index("name")
    np.testing.assert_array_equal(snk.loc[["X", "Y"], "mass_flow_kg_s"], [20.0, 5.0])
    pipes = back.pipes.set_index("name")
    for col in ("from_junction", "to_junction", "length_km", "diameter_mm", "roughness_mm",
                "loss_coefficient", "in_service"):
        assert list(pipes.loc[["P1", "P2", "P3"], col]) == list(net.pipes[col]), col
    valves = back.valves.set_index("name")
    assert bool(valves.loc["SP", "open"]) and bool(valves.loc["V1", "open"])
    assert not bool(valves.loc["V2", "open"])
    res = back.resistors.set_index("name").loc["R"]
    assert (res["drag_factor"], res["diameter_mm"]) == (5.0, 200.0)
    cv = back.control_valves.set_index("name").loc["CV"]
    assert cv["mode"] == "p_out" and cv["p_out_set_bar"] == pytest.approx(30.0, rel=1e-15)
    assert back.gas.r_specific == pytest.approx(net.gas.r_specific, rel=1e-14)
    assert back.gas.viscosity_pa_s == net.gas.viscosity_pa_s
    assert back.gas.temperature_k == net.gas.temperature_k
    # same steady state before and after (control valve regulates H; sink Y feeds from it)
    r0 = simulate(net, friction="colebrook", z="ideal")
    r1 = simulate(back, friction="colebrook", z="ideal")
    np.testing.assert_allclose(r1.junctions["p_bar"].to_numpy(),
                               r0.junctions["p_bar"].reindex(back.junctions.index).to_numpy(),
                               rtol=1e-10)


def test_export_runs_in_pandapipes() -> None:
    pp = _pp()
    net = gasunion_net()
    net.remove("control_valves", "CV")
    net.remove("valves", "V2")
    net.remove("sinks", "Y")
    net.remove("junctions", "H")
    out = to_pandapipes(net)
    assert out.fluid.get_density(273.15) == pytest.approx(
        101325.0 / (net.gas.r_specific * 273.15))
    pp.pipeflow(out, mode="hydraulics", friction_model="colebrook", tol_p=1e-9, tol_m=1e-9,
                max_iter_hyd=50)
    res = simulate(net, friction="colebrook", z="ideal")
    p_pp = out.res_junction["p_bar"].to_numpy() + ambient_pressure_bar(out.junction.height_m)
    # differences: Colebrook with k/(3.71 D) in pandapipes vs 3.7 in gasunion, g = 9.81 vs
    # 9.80665 and pandapipes' linearised height term
    np.testing.assert_allclose(res.junctions["p_bar"].to_numpy(), p_pp, rtol=1e-4)


def test_export_refuses_elements_without_equivalent() -> None:
    _pp()
    net = gasunion_net()
    net.add("compressors", "K", from_junction="A", to_junction="B", mode="p_out",
            p_out_set_bar=60.0)
    with pytest.raises(NotImplementedError, match=r"compressors\['K'\].*p_out"):
        to_pandapipes(net)
    net = gasunion_net()
    net.add("resistors", "RL", from_junction="A", to_junction="C", pressure_loss_bar=1.0)
    with pytest.raises(NotImplementedError, match=r"resistors\['RL'\].*pressure_loss_bar"):
        to_pandapipes(net)


def test_export_compressor_ratio_and_library_fluid() -> None:
    _pp()
    net = gasunion_net()
    net.add("compressors", "K", from_junction="A", to_junction="B", ratio_set=1.3,
            fuel_model="none")
    out = to_pandapipes(net, fluid="hgas")
    assert out.fluid.name == "hgas"
    row = out.compressor.iloc[0]
    assert row["name"] == "K" and row["pressure_ratio"] == 1.3
    back = from_pandapipes(out)
    assert back.compressors.set_index("name").loc["K", "ratio_set"] == 1.3


def test_linear_z_coefficients() -> None:
    gas = GasProperties(temperature_k=288.15, p_pc_bar=46.0, t_pc_k=193.0)
    assert linear_z_coefficients("ideal", gas) == (1.0, 0.0)
    offset, slope = linear_z_coefficients(Z_LINEAR, gas)
    # Z = 1 + (0.257 - 0.533 T_pc/T) p/p_pc (Koch et al. 2015, eq. 2.5): slope per bar
    assert offset == pytest.approx(1.0, abs=1e-15)
    assert slope == pytest.approx((0.257 - 0.533 * 193.0 / 288.15) / 46.0, rel=1e-12)
    with pytest.raises(NotImplementedError, match="not linear"):
        linear_z_coefficients("papay", gas)


def test_export_linear_compressibility_fluid() -> None:
    _pp()
    net = gasunion_net()
    net.remove("control_valves", "CV")
    out = to_pandapipes(net, z=Z_LINEAR)
    _, slope = linear_z_coefficients(Z_LINEAR, net.gas)
    p_bar = np.array([10.0, 50.0, 80.0])
    np.testing.assert_allclose(out.fluid.get_compressibility(p_bar), 1.0 + slope * p_bar,
                               rtol=1e-15)
    np.testing.assert_allclose(out.fluid.get_der_compressibility(), slope, rtol=1e-15)
    assert out.fluid.get_density(273.15) == pytest.approx(
        101325.0 / (net.gas.r_specific * 273.15), rel=1e-15)
    ideal = gas_fluid(net.gas)
    np.testing.assert_allclose(ideal.get_compressibility(p_bar), 1.0)
    with pytest.raises(NotImplementedError, match="not linear"):
        to_pandapipes(net, z="papay")


def contraction_net() -> Network:
    """A-B pipe; B, C, D joined by a loop of zero-resistance elements; D-E pipe, E-F pipe."""
    net = Network("loops")
    net.add("junctions", list("ABCDEFG"))
    net.add("sources", "S", junction="A", p_set_bar=60.0)
    net.add("sinks", ["X", "Y"], junction=["C", "F"], mass_flow_kg_s=[5.0, 10.0])
    net.add("pipes", ["P1", "P2", "P3", "P4"], from_junction=["A", "D", "E", "B"],
            to_junction=["B", "E", "F", "C"], length_km=[20.0, 10.0, 5.0, 1.0],
            diameter_mm=500.0)
    net.add("short_pipes", "SP", from_junction="B", to_junction="C")
    net.add("valves", ["V1", "V2"], from_junction=["C", "F"], to_junction=["D", "G"],
            open=[True, False])
    net.add("control_valves", "CV", from_junction="D", to_junction="B", mode="open")
    net.add("compressors", ["K1", "K2"], from_junction=["B", "E"], to_junction=["D", "F"],
            mode=["bypass", "off"])
    return net


def test_contract_zero_resistance_merges_loops() -> None:
    net = contraction_net()
    small, rep = contract_zero_resistance(net)
    assert rep == {"A": "A", "B": "B", "C": "B", "D": "B", "E": "E", "F": "F", "G": "G"}
    assert list(small.junctions.index) == ["A", "B", "E", "F", "G"]
    # P4 joins B and C (one group): no flow, removed; the others keep their orientation
    assert list(small.pipes.index) == ["P1", "P2", "P3"]
    assert list(small.pipes["from_junction"]) == ["A", "B", "E"]
    assert small.sinks.at["X", "junction"] == "B"
    assert list(small.valves.index) == ["V2"] and list(small.compressors.index) == ["K2"]
    assert not len(small.short_pipes) and not len(small.control_valves)
    r0 = simulate(net, friction="nikuradse", z="ideal")
    r1 = simulate(small, friction="nikuradse", z="ideal")
    np.testing.assert_allclose(r0.junctions["p_bar"].to_numpy(),
                               r1.junctions["p_bar"].reindex(list(rep.values())).to_numpy(),
                               rtol=1e-10)
    np.testing.assert_allclose(r0.pipes.loc[["P1", "P2", "P3"], "mass_flow_kg_s"],
                               r1.pipes["mass_flow_kg_s"], rtol=1e-9)
    assert r0.pipes.at["P4", "mass_flow_kg_s"] == pytest.approx(0.0, abs=1e-9)


def test_contract_zero_resistance_refuses_what_it_cannot_merge() -> None:
    net = contraction_net()
    net.control_valves.loc["CV", ["mode", "p_out_set_bar"]] = ["p_out", 50.0]
    with pytest.raises(ValueError, match=r"control_valves\['CV'\].*pressure difference"):
        contract_zero_resistance(net)
    net = contraction_net()
    net.compressors.loc["K1", ["mode", "ratio_set"]] = ["ratio", 1.2]
    with pytest.raises(ValueError, match=r"compressors\['K1'\]"):
        contract_zero_resistance(net)
    net = contraction_net()
    net.junctions.loc["C", "height_m"] = 10.0
    with pytest.raises(ValueError, match="different heights"):
        contract_zero_resistance(net)
    net = contraction_net()
    net.add("sources", ["S2", "S3"], junction=["D", "C"], p_set_bar=[61.0, 62.0])
    with pytest.raises(ValueError, match="different pressure set-points"):
        contract_zero_resistance(net)


# ---------------------------------------------------------------------------------- JSON files
def test_read_pandapipes_json(tmp_path: Path) -> None:
    pp = _pp()
    path = tmp_path / "small.json"
    pp.to_json(_pp_small(pp), str(path))
    net = read_pandapipes_json(path)
    assert list(net.junctions.index) == ["in", "mid", "out"]
    assert "small.json" in net.meta["source"]
    assert read(path).pipes.equals(net.pipes)  # gasunion.io.read dispatches on the content


def test_read_pandapipes_json_errors_name_the_file(tmp_path: Path) -> None:
    pp = _pp()
    bad = tmp_path / "broken.json"
    bad.write_text('{"_module": "pandapipes.pandapipes_net", "_class": "pandapipesNet", ',
                   encoding="utf-8")
    with pytest.raises(InputFileError, match=r"broken\.json"):
        read_pandapipes_json(bad)
    with pytest.raises(InputFileError, match=r"missing\.json"):
        read_pandapipes_json(tmp_path / "missing.json")
    pnet = _pp_small(pp)
    pp.create_pump(pnet, 0, 1, std_type="P1")
    path = tmp_path / "with_pump.json"
    pp.to_json(pnet, str(path))
    with pytest.raises(InputFileError, match=r"with_pump\.json.*pump\[0\]"):
        read_pandapipes_json(path)


def test_missing_pandapipes_gives_install_hint(monkeypatch: pytest.MonkeyPatch,
                                               tmp_path: Path) -> None:
    monkeypatch.setitem(sys.modules, "pandapipes", None)  # import pandapipes -> ImportError
    with pytest.raises(ImportError, match=r"pip install pandapipes.*gasunion\[pandapipes\]"):
        read_pandapipes_json(tmp_path / "x.json")
    with pytest.raises(ImportError, match="pip install pandapipes"):
        to_pandapipes(gasunion_net())
