"""Load shedding by priority and the single-outage sweep (one LP, bounds changed per outage)."""

from __future__ import annotations

from pathlib import Path

import pytest

import gasunion as gu
from gasunion.optimize import OptimizationError, optimize
from gasunion.optimize.shed import outage_unserved, shed

DATA = Path(__file__).resolve().parents[1] / "data" / "matgas"


def ring() -> gu.Network:
    """Source S (60 kg/s) at A; pipes A->B (50 kg/s) and A->C (40) and C->B (40, both ways).

    Sinks at B: H (households, priority 1, 45 kg/s) and X (export, priority 2, 30 kg/s); at
    C: T (town, priority 1, 10 kg/s).
    """
    net = gu.Network("ring")
    net.add("junctions", ["A", "B", "C"], p_max_bar=80.0, country=["KZ", "UZ", "UZ"])
    net.add("sources", "S", junction="A", mass_flow_max_kg_s=60.0, country="KZ")
    net.add("sinks", ["H", "X", "T"], junction=["B", "B", "C"], mass_flow_kg_s=[45.0, 30.0, 10.0],
            priority=[1.0, 2.0, 1.0], country=["UZ", "UZ", "UZ"])
    net.add("pipes", ["AB", "AC", "CB"], from_junction=["A", "A", "C"],
            to_junction=["B", "C", "B"], length_km=1.0, diameter_mm=500.0,
            mass_flow_max_kg_s=[50.0, 40.0, 40.0], mass_flow_min_kg_s=[0.0, 0.0, -40.0])
    return net


def test_priority_first_then_the_rest() -> None:
    """Intact: 60 kg/s for 85 demanded. Priority 1 (H 45 + T 10 = 55) is served in full,
    the export X gets the remaining 5: unserved 25 kg/s, all at X."""
    res = shed(ring())
    s = res["sinks"].xs("p1", level="period")
    assert s.loc["H", "served_kg_s"] == pytest.approx(45.0)
    assert s.loc["T", "served_kg_s"] == pytest.approx(10.0)
    assert s.loc["X", "served_kg_s"] == pytest.approx(5.0)
    assert res.summary["unserved_kg_s"] == pytest.approx(25.0)
    assert set(s.columns) >= {"demand_kg_s", "served_kg_s", "unserved_kg_s", "priority"}


def test_outage_reroutes_and_sheds_by_priority() -> None:
    """Pipe AB out: all gas goes through A->C (40 kg/s); it all goes to priority 1 (T at C and
    H behind C->B, 55 demanded), the export X gets nothing: unserved 85 - 40 = 45 kg/s."""
    res = optimize(ring(), "shed", outages=[("pipes", "AB")])
    s = res["sinks"].xs("p1", level="period")
    assert s.loc["T", "served_kg_s"] + s.loc["H", "served_kg_s"] == pytest.approx(40.0)
    assert s.loc["X", "served_kg_s"] == pytest.approx(0.0, abs=1e-9)
    assert res.summary["unserved_kg_s"] == pytest.approx(45.0)
    assert res.summary["unserved_by_country_kg_s"]["UZ"] == pytest.approx(45.0)


def test_outage_unserved_matches_single_solves() -> None:
    """One LP with changed bounds gives what a fresh shed() per outage gives."""
    net = ring()
    df = outage_unserved(net).set_index(["component", "element"])
    assert len(df) == 4  # 3 pipes + 1 source
    assert df.attrs["base_unserved_kg_s"] == pytest.approx(25.0)
    for (comp, eid), row in df.iterrows():
        assert row["unserved_kg_s"] == pytest.approx(
            shed(net, [(comp, eid)]).summary["unserved_kg_s"], abs=1e-9)
    assert df.loc[("sources", "S"), "unserved_share"] == pytest.approx(1.0)
    assert df.loc[("pipes", "AB"), "unserved_UZ_kg_s"] == pytest.approx(45.0)


def test_storage_covers_an_outage_over_two_days() -> None:
    """With a storage at B (200 mcm, 20 kg/s out, end inventory free) the outage of AB on two
    days: 40 kg/s via C plus 20 from storage = 60 per day for 55 of priority 1 and 30 of
    export: priority 1 in full, X gets 5, unserved 25 kg/s (as intact, without storage)."""
    net = ring()
    net.add("storages", "G", junction="B", working_gas_mcm=200.0, inventory_mcm=100.0,
            withdrawal_max_kg_s=20.0, injection_max_kg_s=20.0)
    res = shed(net, [("pipes", "AB")], periods=2, storage_cyclic=False)
    s = res["sinks"]
    assert s[s["priority"] == 1]["unserved_kg_s"].max() == pytest.approx(0.0, abs=1e-9)
    assert res.summary["unserved_kg_s"] == pytest.approx(25.0)


def test_bad_outage_is_bad_input() -> None:
    with pytest.raises(OptimizationError, match="no such element") as e:
        shed(ring(), [("pipes", "nope")])
    assert e.value.kind == "bad_input"


@pytest.mark.parametrize("name, value", [("case-6-ls.m", 5.0), ("case-6-ls-priority.m", 4.5)])
def test_shed_nlp_gasmodels_ls(name: str, value: float) -> None:
    """GasModels.jl test/ls.jl:5-7 (WP, case-6-ls.m: objective * base_flow = 5.0) and the
    priority file (4.5), atol 1e-1 as GasModels asserts them; the same values
    tests/optimize/test_gasmodels.py checks through ``ogf`` with ``objective="ls"``."""
    res = optimize(gu.read(DATA / name), "shed", formulation="nlp")
    assert res.problem == "shed" and res.formulation == "nlp"
    assert res.objective == pytest.approx(value, abs=1e-1)
    assert res.summary["delivered_kg_s"] == pytest.approx(value, abs=1e-1)


def test_shed_nlp_outage_delivers_less() -> None:
    """The outage is applied on a copy: taking out pipe 4 (3 -> 4, parallel to the route
    2 -> 6 -> 4, so the network stays connected) cannot raise the delivered load above the
    intact 5.0 kg/s, and the input network keeps the pipe in service."""
    net = gu.read(DATA / "case-6-ls.m")
    pipe = "4"
    res = optimize(net, "shed", formulation="nlp", outages=[("pipes", pipe)])
    assert res.objective <= 5.0 + 1e-6
    assert res.summary["outages"] == [["pipes", pipe]]
    assert bool(net.pipes.loc[pipe, "in_service"])
