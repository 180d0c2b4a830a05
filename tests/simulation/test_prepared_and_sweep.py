"""The prepared simulator and scenario sweeps.

References: a loop of independent ``gu.simulate`` calls on modified copies of the network (an
independent code path: validation, model building and a cold start every time), conservation
of mass, and for the outage sweep the topology of GasLib-40 read by hand from its ``.net`` file.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import gasunion as gu
from gasunion.simulation.outages import outage_changes, outage_sweep
from gasunion.simulation.prepared import Simulator
from gasunion.simulation.sweep import changes_from_long, sweep

DATA = Path(__file__).resolve().parents[1] / "data" / "gaslib"


def gaslib135() -> gu.Network:
    """Meshed: 135 junctions, 141 pipes (GasLib-135 with its scenario, compressors bypassed)."""
    return gu.read(DATA / "GasLib-135/GasLib-135.net", scenario=DATA / "GasLib-135/GasLib-135.scn")


def gaslib134() -> gu.Network:
    """GasLib-134 with an active compressor (ratio 1.2) and a regulator at 50 bar."""
    net = gu.read(DATA / "GasLib-134/GasLib-134-v2.net",
                  scenario=DATA / "GasLib-134/Nominations-134/2011-11-01.scn")
    net.compressors["mode"] = "ratio"
    net.compressors["ratio_set"] = 1.2
    net.control_valves["mode"] = "p_out"
    net.control_valves["p_out_set_bar"] = 50.0
    return net


def demand_scenarios(net: gu.Network, n: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    sinks = net.sinks.index[np.isfinite(net.sinks["mass_flow_kg_s"])]
    base = net.sinks.loc[sinks, "mass_flow_kg_s"].to_numpy()
    level = rng.uniform(0.8, 1.05, size=(n, 1))
    vals = base * level * rng.uniform(0.95, 1.05, size=(n, len(sinks)))
    cols = pd.MultiIndex.from_tuples([("sinks", s, "mass_flow_kg_s") for s in sinks])
    return pd.DataFrame(vals, index=[f"d{i}" for i in range(n)], columns=cols)


def loop_reference(net: gu.Network, changes: pd.DataFrame, **kw: str) -> np.ndarray:
    """Pressures of a loop of gu.simulate on modified copies (the independent reference)."""
    out = []
    for _, row in changes.iterrows():
        n2 = net.copy()
        for (comp, eid, col), v in row.items():
            if not pd.isna(v):
                n2[comp].loc[eid, col] = v
        out.append(gu.simulate(n2, **kw).junctions["p_bar"].to_numpy())
    return np.array(out)


def test_run_equals_simulate() -> None:
    net = gaslib134()
    sim = Simulator(net, friction="nikuradse", z="papay")
    a = sim.run()
    b = gu.simulate(net, friction="nikuradse", z="papay")
    np.testing.assert_allclose(a.junctions["p_bar"], b.junctions["p_bar"], rtol=1e-12)
    np.testing.assert_allclose(a.pipes["mass_flow_kg_s"], b.pipes["mass_flow_kg_s"],
                               rtol=1e-12, atol=1e-12)
    assert a.violations.equals(b.violations)


@pytest.mark.parametrize("change", [
    {("sinks", "node_ld1", "mass_flow_kg_s"): 30.0},
    {("compressors", "cs", "ratio_set"): 1.35},
    {("control_valves", "controlValve_br65", "p_out_set_bar"): 45.0},
    {("compressors", "cs", "mode"): "bypass"},
])
def test_run_with_changes_equals_simulate_of_modified_copy(change: dict) -> None:
    """Set-point changes (applied to the prepared arrays) and a structural change (the
    compressor in bypass: rebuilt) give the pressures of a fresh simulation of the modified
    network."""
    net = gaslib134()
    (comp, eid, col), value = next(iter(change.items()))
    sim = Simulator(net)
    got = sim.run(change)
    n2 = net.copy()
    n2[comp].loc[eid, col] = value
    ref = gu.simulate(n2)
    np.testing.assert_allclose(got.junctions["p_bar"], ref.junctions["p_bar"], rtol=1e-8)
    np.testing.assert_allclose(got.pipes["mass_flow_kg_s"], ref.pipes["mass_flow_kg_s"],
                               rtol=1e-7, atol=1e-7)
    # changes do not accumulate: a run without changes is the base network again
    base = gu.simulate(net)
    np.testing.assert_allclose(sim.run().junctions["p_bar"], base.junctions["p_bar"], rtol=1e-8)


def test_unknown_element_in_changes_is_a_setup_error() -> None:
    sim = Simulator(gaslib134())
    with pytest.raises(gu.SimulationError, match="no element") as info:
        sim.run({("sinks", "nowhere", "mass_flow_kg_s"): 1.0})
    assert info.value.kind == "setup"


def test_sweep_equals_loop_on_meshed_network() -> None:
    """20 demand scenarios on the meshed GasLib-135: pressures equal those of a loop of
    gu.simulate to 1e-6 relative; every scenario balances (supply = demand)."""
    net = gaslib135()
    ch = demand_scenarios(net, 20)
    res = sweep(net, ch)
    assert res.summary["converged"].all() and res.summary["ok"].all()
    ref = loop_reference(net, ch)
    np.testing.assert_allclose(res.junctions.to_numpy(), ref, rtol=1e-6)
    supply = res.table("sources", "mass_flow_kg_s").sum(axis=1)
    demand = res.table("sinks", "mass_flow_kg_s").sum(axis=1)
    np.testing.assert_allclose(supply, demand, rtol=1e-9)
    assert list(res.junctions.index) == list(ch.index)
    assert res.compressors.columns.nlevels == 2


def test_sweep_records_failures_and_goes_on() -> None:
    """A scenario asking 20x the demand has no physical steady state (pressures would fall
    below zero): it is recorded with its diagnosis; the next scenario is solved."""
    net = gaslib135()
    ch = demand_scenarios(net, 3)
    ch.iloc[1] = ch.iloc[1] * 20.0
    res = sweep(net, ch)
    s = res.summary
    assert list(s["ok"]) == [True, False, True]
    assert s.loc["d1", "error"] in ("infeasible", "not_converged")
    assert "d1" in res.diagnoses and len(res.diagnoses["d1"])
    ref = loop_reference(net, ch.iloc[[2]])
    np.testing.assert_allclose(res.junctions.loc["d2"].to_numpy(), ref[0], rtol=1e-6)


def gaslib11() -> gu.Network:
    return gu.read(DATA / "GasLib-11/GasLib-11.net", scenario=DATA / "GasLib-11/GasLib-11.scn")


def test_failed_scenarios_have_no_numbers_and_a_complete_message() -> None:
    """3000 kg/s at exit01 (GasLib-11): ``gu.simulate`` of the modified copy (an independent
    path) says infeasible; the sweep keeps no number of that failed solve (no slack set-point
    as 'min pressure', no violation count) and its message carries the diagnosis. A negative
    pipe length is a setup failure of its scenario, with no -1 sentinel. The feasible scenario
    conserves mass: total supply = total demand."""
    net = gaslib11()
    pipe = net.pipes.index[0]
    ch = pd.DataFrame({("sinks", "exit01", "mass_flow_kg_s"): [10.0, 3000.0, np.nan],
                       ("pipes", pipe, "length_km"): [np.nan, np.nan, -3.0]},
                      index=["low", "huge", "neg"], dtype=object)
    ch.columns = pd.MultiIndex.from_tuples(ch.columns)
    copy = net.copy()
    copy.sinks.loc["exit01", "mass_flow_kg_s"] = 3000.0
    with pytest.raises(gu.SimulationError) as info:
        gu.simulate(copy)
    assert info.value.kind == "infeasible"
    res = sweep(net, ch)
    s = res.summary
    assert list(s["ok"]) == [True, False, False]
    assert list(s["error"]) == ["", "infeasible", "setup"]
    for name in ("huge", "neg"):
        assert res.junctions.loc[name].isna().all()
        assert res.pipes.loc[name].isna().all()
        assert pd.isna(s.loc[name, "n_violations"])
        assert np.isnan(s.loc[name, "max_mass_balance_error_kg_s"])
    assert pd.isna(s.loc["neg", "iterations"]) and s.loc["huge", "iterations"] > 0
    diag = res.diagnoses["huge"]
    msg = s.loc["huge", "message"]
    assert msg.startswith("physically impossible steady state: ")
    for eid in diag["id"].head(3):
        assert eid in msg
    assert f"+{len(diag) - 3} more" in msg
    assert "length_km" in s.loc["neg", "message"] and "-3" in s.loc["neg", "message"]
    supply = res.table("sources", "mass_flow_kg_s").loc["low"].sum()
    demand = net.sinks["mass_flow_kg_s"].drop("exit01").sum() + 10.0
    assert supply == pytest.approx(demand, rel=1e-9)
    assert s.loc["low", "n_violations"] >= 0


def test_changes_from_long_form() -> None:
    long = pd.DataFrame({"scenario": ["a", "a", "b"],
                         "component": ["sinks", "pipes", "sinks"],
                         "element": ["s1", "p1", "s1"],
                         "column": ["mass_flow_kg_s", "in_service", "mass_flow_kg_s"],
                         "value": ["3.5", "false", "4"]})
    wide = changes_from_long(long)
    assert list(wide.index) == ["a", "b"]
    assert wide.loc["a", ("pipes", "p1", "in_service")] is False
    assert wide.loc["b", ("sinks", "s1", "mass_flow_kg_s")] == 4.0
    assert pd.isna(wide.loc["b", ("pipes", "p1", "in_service")])
    dup = pd.concat([long, long.iloc[[0]]], ignore_index=True)
    with pytest.raises(gu.SimulationError, match=r"duplicate .* lines \[2, 5\]"):
        changes_from_long(dup)


def test_sweep_rejects_unknown_columns() -> None:
    net = gaslib135()
    ch = pd.DataFrame({("sinks", "nowhere", "mass_flow_kg_s"): [1.0]}, index=["x"])
    with pytest.raises(gu.SimulationError, match="no element 'nowhere'"):
        sweep(net, ch)


def test_outage_sweep_gaslib40_worst_outage_by_hand() -> None:
    """GasLib-40 (.net file): pipe_15 (sink_7 -> sink_24), pipe_17 (sink_24 -> sink_21) and
    pipe_18 (sink_21 -> sink_12) form a radial line with no other connection; every exit
    nominates 75 x 1000 m3/h at normal density 0.785 kg/m3 (.scn and .net files), i.e.
    75e3 / 3600 x 0.785 = 16.354167 kg/s. Losing pipe_15 cuts off sink_24, sink_21 and sink_12:
    3 x 16.354167 = 49.0625 kg/s unserved, the most any single pipe outage can cut off (the
    other radial ends carry at most two exits)."""
    net = gu.read(DATA / "GasLib-40/GasLib-40.net", scenario=DATA / "GasLib-40/GasLib-40.scn")
    changes, cut = outage_changes(net, ("pipes",))
    assert len(changes) == len(net.pipes)
    assert cut.loc["pipes:pipe_15", "unserved_kg_s"] == pytest.approx(3 * 75e3 / 3600 * 0.785,
                                                                      rel=1e-9)
    assert set(cut.loc["pipes:pipe_15", "cut_sinks"].split(", ")) == {"sink_24", "sink_21",
                                                                      "sink_12"}
    assert cut["unserved_kg_s"].idxmax() == "pipes:pipe_15"
    report, res = outage_sweep(net, ("pipes",))
    feasible = report[report["ok"]]
    assert feasible.index[0] == "pipes:pipe_15"
    # the rest of the network balances in that outage: supply = remaining demand
    supply = res.table("sources", "mass_flow_kg_s").loc["pipes:pipe_15"].sum()
    total = net.sinks["mass_flow_kg_s"].sum()
    assert supply == pytest.approx(total - 3 * 75e3 / 3600 * 0.785, rel=1e-9)


@pytest.mark.slow
def test_dask_local_cluster_gives_the_same_tables() -> None:
    """Scenarios on a Dask LocalCluster of two worker processes give the in-process tables."""
    distributed = pytest.importorskip("dask.distributed")
    net = gaslib135()
    ch = demand_scenarios(net, 12, seed=3)
    ch.iloc[4] = ch.iloc[4] * 20.0  # one failure travels back too
    local = sweep(net, ch)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        remote = sweep(net, ch, client=client, chunk_size=3)
        by_address = sweep(net, ch, client=cluster.scheduler_address, chunk_size=6)
    np.testing.assert_allclose(by_address.junctions.to_numpy(), local.junctions.to_numpy(),
                               rtol=1e-8, equal_nan=True)
    np.testing.assert_allclose(remote.junctions.to_numpy(), local.junctions.to_numpy(),
                               rtol=1e-8, equal_nan=True)
    # chunks warm-start from other solutions: both are converged to tol = 1e-10 on scaled
    # residuals, which leaves flows in loops uncertain by ~1e-6 kg/s here
    np.testing.assert_allclose(remote.pipes.to_numpy(), local.pipes.to_numpy(), rtol=1e-6,
                               atol=1e-5, equal_nan=True)
    pd.testing.assert_series_equal(remote.summary["ok"], local.summary["ok"])
    assert remote.meta["workers"] == 2
    assert set(remote.diagnoses) == set(local.diagnoses)


def test_sweep_writes_parquet_and_csv(tmp_path: Path) -> None:
    net = gaslib135()
    res = sweep(net, demand_scenarios(net, 2))
    paths = res.write(tmp_path, formats=("parquet", "csv"))
    names = {p.name for p in paths}
    assert {"junctions.p_bar.parquet", "pipes.mass_flow_kg_s.csv", "summary.parquet"} <= names
    back = pd.read_parquet(tmp_path / "junctions.p_bar.parquet")
    np.testing.assert_allclose(back.to_numpy(), res.junctions.to_numpy())


def test_defect_inside_the_solver_is_an_internal_error(monkeypatch: pytest.MonkeyPatch) -> None:
    """A bug in the kernel (here: the mean-pressure formula raising FloatingPointError, as a
    numerical defect would) is reported as kind 'internal' that says so, not as a setup error of the
    user's input."""
    from gasunion.simulation import newton

    def broken(*args: object, **kw: object) -> None:
        raise FloatingPointError("overflow in a kernel")

    monkeypatch.setattr(newton, "mean_pressure", broken)
    with pytest.raises(gu.SimulationError) as info:
        gu.simulate(gaslib135())
    assert info.value.kind == "internal"
    assert "internal error" in str(info.value) and "not of the input" in str(info.value)
    assert isinstance(info.value, gu.GasunionError)


@pytest.mark.parametrize("case", ["GasLib-135", "GasLib-134 operated"])
def test_klu_and_superlu_give_the_same_state(case: str) -> None:
    """The two sparse LU back-ends solve the same equations: same pressures (1e-9) and flows.
    (KLU needs the SuiteSparse library, which CI installs; without it only SuperLU runs.)"""
    from gasunion.simulation.linear import klu_library

    if klu_library() is None:
        if os.environ.get("CI"):  # .ci/run installs it: its absence there is a failure
            pytest.fail("SuiteSparse KLU (libklu) is not installed in CI")
        pytest.skip("SuiteSparse KLU (libklu) not installed")
    net = gaslib135() if case == "GasLib-135" else gaslib134()
    a = gu.simulate(net, linear_solver="klu")
    b = gu.simulate(net, linear_solver="superlu")
    assert a.summary["linear_solver"] == "klu" and b.summary["linear_solver"] == "superlu"
    np.testing.assert_allclose(a.junctions["p_bar"], b.junctions["p_bar"], rtol=1e-9)
    np.testing.assert_allclose(a.pipes["mass_flow_kg_s"], b.pipes["mass_flow_kg_s"],
                               rtol=1e-7, atol=1e-6)


def test_linear_solver_option_is_checked() -> None:
    with pytest.raises(gu.GasunionError, match="linear_solver"):
        gu.simulate(gaslib135(), linear_solver="magic")


def test_pressure_outside_the_z_models_range_warns_and_is_recorded() -> None:
    """SGERG-88 holds up to 12 MPa (ISO 12213-3, pipeline quality); GasLib-40 with its supply
    pressure raised to 130 bar runs above it: a ValidityRangeWarning and a note."""
    net = gu.read(DATA / "GasLib-40/GasLib-40.net", scenario=DATA / "GasLib-40/GasLib-40.scn")
    net.sources["p_set_bar"] = 130.0
    with pytest.warns(gu.ValidityRangeWarning, match="120 bar"):
        res = gu.simulate(net, z="sgerg88", raise_on_failure=False)
    assert any("sgerg88" in a and "120 bar" in a for a in res.summary["assumptions"])
