"""Tests of the GasModels.jl matgas reader :func:`gasunion.io.matgas.read_matgas`.

Data: ``tests/data/matgas`` — GasModels.jl test/example files (BSD-3, Triad National Security;
GasLib-derived networks CC BY 3.0; see its README). Expected counts are those GasModels' own
tests assert (lanl-ansi/GasModels.jl commit 36cbbdfc038371d6bc2ea7a3b075e72b8cc8d580:
``test/data.jl`` lines 2-6 and 57-85 for gaslib-40-E.m, ``test/debug.jl`` lines 1-60 for
gaslib-582-G.m) or counts of the rows in the shipped files.
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from gasunion.io.errors import InputFileError
from gasunion.io.matgas import read_matgas
from gasunion.network import Network

DATA = Path(__file__).resolve().parents[1] / "data" / "matgas"
FILES = sorted(p.name for p in DATA.glob("*.m"))


@pytest.fixture(scope="module")
def case6() -> Network:
    return read_matgas(DATA / "case-6.m")


@pytest.mark.parametrize("name", FILES)
def test_every_file_loads_and_validates(name: str) -> None:
    net = read_matgas(DATA / name)
    report = net.validate()
    assert report.ok, str(report)
    assert net.meta["format"] == "matgas (GasModels.jl)"
    assert net.meta["source_files"] == [name]
    assert net.meta["assumptions"]


def test_case6_counts_and_mapping(case6: Network) -> None:
    """case-6.m: 6 junctions, 4 pipes, 2 compressors, 1 receipt, 5 deliveries, 5 transfers."""
    net = case6
    assert len(net.junctions) == 6 and len(net.pipes) == 4 and len(net.compressors) == 2
    assert sorted(net.sources.index) == ["receipt_1", "slack_1"]
    assert sum(i.startswith("delivery_") for i in net.sinks.index) == 5
    assert sum(i.startswith("transfer_") for i in net.sinks.index) == 5
    # junction 1 is the slack (junction_type 1, p_nominal 4e6 Pa = 40 bar)
    slack = net.sources.loc["slack_1"]
    assert slack.junction == "1" and slack.p_set_bar == 40.0
    assert math.isnan(slack.mass_flow_kg_s)
    assert net.junctions.at["1", "p_min_bar"] == 30.0 and net.junctions.at["1", "p_max_bar"] == 60
    # dispatchable receipt: set-point = nominal 500, bounds [0, 1000], offer price in meta/note
    r = net.sources.loc["receipt_1"]
    assert (r.mass_flow_kg_s, r.mass_flow_min_kg_s, r.mass_flow_max_kg_s) == (500, 0, 1000)
    assert "dispatchable" in r.note and "offer_price=1.25" in r.note
    econ = net.meta["economics"]
    assert econ["sources"]["receipt_1"] == {"dispatchable": True, "offer_price": 1.25,
                                            "min_kg_s": 0.0, "max_kg_s": 1000.0}
    assert econ["sinks"]["transfer_3"]["bid_price"] == 5.0
    assert econ["economic_weighting"] == 0.95
    # non-dispatchable delivery: fixed at its nominal 0, no bounds
    d = net.sinks.loc["delivery_2"]
    assert d.mass_flow_kg_s == 0 and math.isnan(d.mass_flow_max_kg_s)
    # pipe 1: 5 -> 2, D 0.6 m, L 50 km, lambda 0.01, p_max 6 MPa
    p = net.pipes.loc["1"]
    assert (p.from_junction, p.to_junction) == ("5", "2")
    assert (p.diameter_mm, p.length_km, p.friction_factor, p.p_max_bar) == (600, 50, 0.01, 60)
    # compressor 1: 1 -> 5, ratio 1..1.4, power 3e6 W, flow 0..1000 kg/s, directionality 2
    c = net.compressors.loc["1"]
    assert c["mode"] == "ratio" and c.ratio_set == 1.0
    assert (c.ratio_min, c.ratio_max, c.power_max_mw) == (1.0, 1.4, 3.0)
    assert (c.mass_flow_min_kg_s, c.mass_flow_max_kg_s) == (0, 1000)
    assert (c.p_in_min_bar, c.p_out_max_bar) == (30, 60)
    assert c.fuel_model == "none" and "directionality 2" in c.note
    assert net.name == "model6_new_format"
    assert net.meta["matgas"]["tables"]["sources"][0]["name"] == "test"


def test_case6_gas(case6: Network) -> None:
    """M = R T / a^2 = 8.314462618 * 288.706 / 371.6643^2 = 0.0173775 kg/mol.

    (GasModels' pipe law uses p = a^2 rho with a = sound_speed, i.e. R_s T = a^2.)
    """
    gas = case6.gas
    assert gas.molar_mass_kg_kmol == pytest.approx(8.314462618 * 288.706 / 371.6643**2 * 1e3)
    assert gas.molar_mass_kg_kmol == pytest.approx(17.3775, abs=1e-4)
    assert gas.r_specific * gas.temperature_k == pytest.approx(371.6643**2)
    assert gas.temperature_k == 288.706 and gas.kappa == 1.4
    # normal density: ideal gas with M = G * 28.9626 = 17.37756 kg/kmol (no gas_molar_mass)
    assert gas.rho_n == pytest.approx(101325 * 0.6 * 28.9626e-3 / (8.314462618 * 273.15))
    assert any("R*T/a^2" in a for a in case6.meta["assumptions"])


def test_gaslib40_like_gasmodels_data_test() -> None:
    """GasModels test/data.jl: gaslib-40-E.m has 39 pipes, 40 junctions, 29 deliveries,
    3 receipts, c_ratio_max 5 and injection_nominal 0.333 per unit (201.3886 / 604 kg/s)."""
    net = read_matgas(DATA / "gaslib-40-E.m")
    assert (len(net.pipes), len(net.junctions), len(net.sinks), len(net.sources)) == (
        39, 40, 29, 3)
    assert (net.compressors["ratio_max"] == 5.0).all()
    base_flow = net.meta["matgas"]["globals"]["base_flow"]
    assert base_flow == 604
    assert net.sources.at["receipt_1", "mass_flow_kg_s"] / base_flow == pytest.approx(
        0.333, abs=1e-3)
    # no slack junction in the file: the receipt at the junction with the highest p_max
    # (all 81.01325 bar; first in table order) becomes the pressure reference
    assert net.sources.at["receipt_0", "p_set_bar"] == pytest.approx(81.01325)
    assert net.sources["p_set_bar"].notna().sum() == 1
    assert any("pressure reference" in a for a in net.meta["assumptions"])
    assert "Data 2(4):40" in net.meta["citation"]
    # the 1e100 W power_max placeholder means "no limit"
    assert net.compressors["power_max_mw"].isna().all()


def test_gaslib582_counts() -> None:
    """GasModels test/debug.jl (DWP model of its test/data/matgas/gaslib-582-G.m) counts 605
    junction pressures, 278 pipes, 5 compressors, 269 short pipes, 8 resistors, 26 valves,
    46 regulators. The shipped file is the examples/ version, in which the 8 resistors
    (ids 601-608) are written as short pipes: 269 + 8 = 277 short pipes, 0 resistors."""
    net = read_matgas(DATA / "gaslib-582-G.m")
    assert len(net.junctions) == 605
    assert (len(net.pipes), len(net.compressors), len(net.valves)) == (278, 5, 26)
    assert (len(net.short_pipes), len(net.resistors)) == (269 + 8, 0)
    assert len(net.control_valves) == 46
    assert set(map(str, range(601, 609))) <= set(net.short_pipes.index)
    # debug.jl: mass balance at junction 26 has RHS -526 (a receipt of 526 kg/s) and at
    # junction 100 +0.64266 (a delivery; the file has 0.6427 kg/s)
    assert net.sources.at["receipt_26", "mass_flow_kg_s"] == 526
    assert net.sinks.at["delivery_100", "mass_flow_kg_s"] == pytest.approx(0.64266, abs=1e-3)
    # regulator_data extension column is_bidirectional is read
    assert all(net.control_valves["mode"] == "open")


def test_extension_tables() -> None:
    elev = read_matgas(DATA / "case-6-elevation.m")
    assert elev.junctions["height_m"].tolist() == [10000, 10000, 0, 0, 10000, 0]
    prio = read_matgas(DATA / "case-6-ls-priority.m")
    assert prio.meta["economics"]["sinks"]["delivery_1"]["priority"] == 0.9
    a1 = read_matgas(DATA / "A1.m")  # pipe_data: flow_direction flow_min flow_max
    assert a1.pipes.at["1", "mass_flow_min_kg_s"] == 0.001
    assert a1.pipes.at["1", "mass_flow_max_kg_s"] == 600
    assert "flow_direction=1" in a1.pipes.at["1", "note"]
    assert len(a1.meta["candidates"]["ne_pipe"]) == 4


def test_candidates_not_built() -> None:
    net = read_matgas(DATA / "case-6-ne.m")
    assert len(net.pipes) == 0 and len(net.compressors) == 0
    ne = net.meta["candidates"]
    assert [c["id"] for c in ne["ne_pipe"]] == ["1", "2", "3", "4"]
    assert ne["ne_pipe"][0]["construction_cost"] == 100
    assert ne["ne_pipe"][0]["diameter_mm"] == 600 and ne["ne_pipe"][0]["length_km"] == 50
    assert ne["ne_compressor"][1]["construction_cost"] == 2000


def test_storage() -> None:
    net = read_matgas(DATA / "case-6-storage.m")
    s = net.storages.loc["storage_1"]
    assert s.junction == "3" and s.injection_max_kg_s == 1000 and s.withdrawal_max_kg_s == 1000
    # working gas = (6.2e8 - 3.5e8) kg / rho_n
    assert s.working_gas_mcm == pytest.approx(2.7e8 / net.gas.rho_n / 1e6)


# ---------------------------------------------------------------------------- units
USC = """function mgc = usc_case
mgc.gas_specific_gravity         = 0.6;
mgc.specific_heat_capacity_ratio = 1.4;
mgc.temperature                  = 288.706;
mgc.compressibility_factor       = 1;
mgc.units                        = 'usc';
% id p_min p_max p_nominal junction_type status
mgc.junction = [
1  500  1000  800  1  1
2  500  1000  600  0  1
];
% id fr_junction to_junction diameter length friction_factor p_min p_max status
mgc.pipe = [
1  1  2  24  10  0.01  500  1000  1
];
% id junction_id withdrawal_min withdrawal_max withdrawal_nominal is_dispatchable status bid_price
mgc.delivery = [
1  2  0  200  100  0  1  0
];
"""


def test_usc_units(tmp_path: Path) -> None:
    """psi -> bar (6894.75729 Pa/psi), miles -> km, inches -> mm, MMSCFD -> kg/s.

    Factors of GasModels.jl (``psi_to_pascal``, ``get_mmscfd_to_kgps_conversion_factor``),
    except the mile, taken as the international mile 1609.344 m (10 mi = 16.09344 km).
    GasModels' MMSCFD factor: rho_std = 101325 * 0.6 * 0.02896 / (288.706 * 8.314)
    = 1760.623 / 2400.302 = 0.733501 kg/m3; 1 MMSCFD = 0.02832e6 m3 / 86400 s
    = 0.327778 m3/s -> 0.733501 * 0.327778 = 0.240425 kg/s.
    """
    path = tmp_path / "usc.m"
    path.write_text(USC, encoding="utf-8")
    net = read_matgas(path)
    assert net.junctions.at["1", "p_max_bar"] == pytest.approx(1000 * 0.0689475729)
    assert net.sources.at["slack_1", "p_set_bar"] == pytest.approx(800 * 0.0689475729)
    assert net.pipes.at["1", "length_km"] == pytest.approx(16.09344)
    assert net.pipes.at["1", "diameter_mm"] == pytest.approx(609.6)
    factor = 101325 * 0.6 * 0.02896 / (288.706 * 8.314) * 0.02832e6 / 86400
    assert factor == pytest.approx(0.240425, rel=1e-5)
    assert net.sinks.at["delivery_1", "mass_flow_kg_s"] == pytest.approx(100 * factor)
    assert any("usc" in a for a in net.meta["assumptions"])
    assert net.validate().ok


# ---------------------------------------------------------------------------- malformed files
def _write(tmp_path: Path, text: str, name: str = "bad.m") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _raises(path: Path) -> InputFileError:
    with pytest.raises(InputFileError) as info:
        read_matgas(path)
    assert isinstance(info.value, ValueError)
    return info.value


def _line_of(path: Path, needle: str) -> int:
    for k, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if needle in line:
            return k
    raise AssertionError(needle)


def test_malformed_row_non_numeric(tmp_path: Path) -> None:
    text = (DATA / "case-6.m").read_text(encoding="utf-8").replace(
        "2\t2\t3\t0.6\t80000", "2\t2\t3\t0.6\tabc")
    path = _write(tmp_path, text)
    err = _raises(path)
    line = _line_of(path, "abc")
    assert (err.line, err.kind, err.element, err.field) == (line, "pipe", "2", "length")
    assert str(err) == f"{path}, line {line}, pipe '2' field 'length': not a number: 'abc'"


def test_malformed_row_too_short(tmp_path: Path) -> None:
    text = (DATA / "case-6.m").read_text(encoding="utf-8").replace(
        "4\t3\t4\t0.3\t80000\t0.01\t3000000\t6000000\t1  1  'synthetic6'  1", "4\t3\t4\t0.3")
    path = _write(tmp_path, text)
    err = _raises(path)
    assert (err.kind, err.element, err.field) == ("pipe", "4", "length")
    assert "missing value" in str(err) and "bad.m" in str(err)
    assert err.line == _line_of(path, "4\t3\t4\t0.3")


def test_unknown_junction_reference(tmp_path: Path) -> None:
    text = (DATA / "case-6.m").read_text(encoding="utf-8").replace(
        "1\t5\t2\t0.6\t50000", "1\t55\t2\t0.6\t50000")
    err = _raises(_write(tmp_path, text))
    assert (err.kind, err.element, err.field) == ("pipe", "1", "fr_junction")
    assert "unknown junction '55'" in str(err)


def test_missing_global_and_bad_units(tmp_path: Path) -> None:
    text = (DATA / "case-6.m").read_text(encoding="utf-8")
    err = _raises(_write(tmp_path, text.replace("mgc.temperature", "% mgc.temperature")))
    assert err.field == "temperature" and "missing required global" in str(err)
    err = _raises(_write(tmp_path, text.replace("'si'", "'imperial'"), "u.m"))
    assert err.field == "units" and err.line == 11 and "imperial" in str(err)
    err = _raises(_write(tmp_path, text.replace("is_per_unit                  = 0",
                                                "is_per_unit                  = 1"), "pu.m"))
    assert err.field == "is_per_unit" and "per-unit" in str(err)


def test_syntax_errors(tmp_path: Path) -> None:
    text = (DATA / "case-6.m").read_text(encoding="utf-8")
    err = _raises(_write(tmp_path, text.replace("mgc.junction = [", "mgc junction = [")))
    assert "unrecognised statement" in str(err) and err.line == _line_of(
        tmp_path / "bad.m", "mgc junction")
    cut = text[: text.index("];", text.index("mgc.delivery"))]
    path = _write(tmp_path, cut, "open.m")
    err = _raises(path)
    assert err.kind == "delivery" and "not closed" in str(err)
    assert err.line == _line_of(path, "mgc.delivery = [")
    err = _raises(_write(tmp_path, "\x00\xff garbage", "bin.m"))
    assert "bin.m" in str(err)


def test_extension_row_count_mismatch(tmp_path: Path) -> None:
    text = (DATA / "case-6-elevation.m").read_text(encoding="utf-8").replace(
        "10000\n0\n]", "10000\n]")
    path = _write(tmp_path, text)
    err = _raises(path)
    assert err.kind == "junction_data" and "5 rows" in str(err)
    assert err.line == _line_of(path, "mgc.junction_data")


def test_duplicate_id(tmp_path: Path) -> None:
    text = (DATA / "case-6.m").read_text(encoding="utf-8").replace(
        "2\t2\t3\t0.6\t80000", "1\t2\t3\t0.6\t80000")
    err = _raises(_write(tmp_path, text))
    assert (err.kind, err.element, err.field) == ("pipe", "1", "id")
    assert "duplicate id" in str(err)


def test_missing_file(tmp_path: Path) -> None:
    err = _raises(tmp_path / "absent.m")
    assert "absent.m" in str(err) and "cannot read" in str(err)


def test_direction_all_branch_types() -> None:
    """direction.m has one of each branch type (GasModels test/direction_*.jl)."""
    net = read_matgas(DATA / "direction.m")
    assert net.valves.at["60", "open"] and net.valves.at["60", "to_junction"] == "62"
    assert net.short_pipes.at["30", "to_junction"] == "32"
    r = net.resistors.loc["40"]
    assert (r.drag_factor, r.diameter_mm) == (1.0, 1000.0)
    cv = net.control_valves.loc["50"]
    assert cv["mode"] == "open" and "reduction factor p_out/p_in in [0, 1]" in cv.note
    assert (cv.mass_flow_min_kg_s, cv.mass_flow_max_kg_s) == (-8000, 8000)
    c = net.compressors.loc["20"]
    assert c.ratio_max == 1.2
    assert math.isnan(c.power_max_mw)  # 1e12 W: a 'no limit' placeholder
    # gas_molar_mass is given: it sets the normal density; sound_speed sets the molar mass
    assert net.gas.rho_n == pytest.approx(101325 * 0.0185674 / (8.314462618 * 273.15))


def test_loss_resistor(tmp_path: Path) -> None:
    text = (DATA / "case-6.m").read_text(encoding="utf-8") + """
%% loss resistor data
% id fr_junction to_junction p_loss status
mgc.loss_resistor = [
7  2  3  150000  1
];
"""
    net = read_matgas(_write(tmp_path, text, "loss.m"))
    r = net.resistors.loc["loss_7"]
    assert r.pressure_loss_bar == pytest.approx(1.5) and math.isnan(r.drag_factor)
    assert net.validate().ok
