"""GasModels.jl's published test values on its case-6 instances (tests/data/matgas/).

Every number and tolerance is GasModels.jl's own assertion (lanl-ansi/GasModels.jl, commit
36cbbdfc, ``test/*.jl``; file and line in each test's docstring). Objectives are GasModels'
(:mod:`gasunion.optimize.gasmodels`), reached with the default options for matgas input.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import gasunion as gu
from gasunion.optimize import optimize

DATA = Path(__file__).resolve().parents[1] / "data" / "matgas"


def _read(name: str) -> gu.Network:
    return gu.read(DATA / name)


def _receipt(res) -> float:
    return float(res["sources"].loc["receipt_1", "mass_flow_kg_s"])


@pytest.mark.parametrize("name, objective, fg", [
    ("case-6-no-power-limits.m", -253.683, 123.68219),  # test/ogf.jl:5-10 (WP)
    ("case-6.m", -167.190, 60.67887),  # test/ogf.jl:142-147 (WP)
    ("case-6-elevation.m", -191.169, 69.27275),  # test/ogf.jl:152-157 (WP)
])
def test_ogf_wp(name: str, objective: float, fg: float) -> None:
    """ogf.jl: objective (atol 1e-2) and receipt 1 injection fg [kg/s] (atol 1e-2), and the
    simulator confirms the optimised state (Z = 1, the file's lambda)."""
    res = optimize(_read(name), "ogf")
    assert res.objective == pytest.approx(objective, abs=1e-2)
    assert _receipt(res) == pytest.approx(fg, abs=1e-2)
    sim = gu.simulate(res.network, z="ideal")
    assert np.allclose(sim.junctions["p_bar"], res["junctions"]["p_bar"], atol=1e-6)
    assert np.allclose(sim.pipes["mass_flow_kg_s"], res["pipes"]["mass_flow_kg_s"], atol=1e-6)


def test_ogf_duals_case6() -> None:
    """ogf.jl:181-192 (CWP, duals on): ``lam_junction_mfb`` per unit, atol 1e-2. Our
    ``price_per_kg`` [$/kg] times base_flow 8071.8 kg/s is GasModels' per-unit dual."""
    res = optimize(_read("case-6.m"), "ogf")
    ref = [9585.2624, 23004.6300, 30672.8399, 24621.9535, 9584.9839, 23004.3516]
    got = res["junctions"]["price_per_kg"].to_numpy() * 8071.8
    assert got == pytest.approx(ref, abs=1e-2)


def test_ogf_lrwp_relaxation() -> None:
    """ogf.jl:131-136 (LRWP): objective -260.001, fg 130.00040 (atol 1e-2)."""
    res = optimize(_read("case-6-no-power-limits.m"), "ogf", "relaxed")
    assert res.objective == pytest.approx(-260.001, abs=1e-2)
    assert _receipt(res) == pytest.approx(130.00040, abs=1e-2)


@pytest.mark.parametrize("name, value", [("case-6-ls.m", 5.0), ("case-6-ls-priority.m", 4.5)])
@pytest.mark.parametrize("formulation", ["nlp", "relaxed"])
def test_load_shedding(name: str, value: float, formulation: str) -> None:
    """ls.jl:5-71 (WP, CWP, LRWP, ...): objective * base_flow = 5.0 / 4.5 kg/s (atol 1e-1)."""
    res = optimize(_read(name), "ogf", formulation, objective="ls")
    assert res.objective == pytest.approx(value, abs=1e-1)


def test_load_shed_nlp_function() -> None:
    """``load_shed_nlp`` is the ls objective (ls.jl:53-55, WP: 5.0)."""
    from gasunion.optimize.ogf import load_shed_nlp

    assert load_shed_nlp(_read("case-6-ls.m")).objective == pytest.approx(5.0, abs=1e-1)


@pytest.mark.parametrize("formulation", ["relaxed", "linear", "nlp"])
def test_ne_cost(formulation: str) -> None:
    """ne.jl:6-44: build cost 1476 (atol 1e-1) for every formulation."""
    res = optimize(_read("case-6-ne.m"), "expansion", formulation)
    assert res.objective == pytest.approx(1476.0, abs=1e-1)


def test_nels_lrwp() -> None:
    """nels.jl:20, 27 (LRDWP, LRWP): objective * base_flow = 1036.93 (atol 1e-1)."""
    res = optimize(_read("case-6-nels.m"), "expansion", "relaxed", objective="ls")
    assert res.objective == pytest.approx(1036.93, abs=1e-1)


def test_nels_nlp() -> None:
    """nels.jl:34 (WP) and :6, 13, 41: objective * base_flow = 1031.60 (atol 1e-1)."""
    res = optimize(_read("case-6-nels.m"), "expansion", "nlp", objective="ls")
    assert res.objective == pytest.approx(1031.60, abs=1e-1)


def test_direction_pipe_reversed_is_infeasible() -> None:
    """direction_pipe.jl:52-66: pipe 10 (1 -> 12) forced to reverse flow is infeasible; the
    diagnosis names pipe 10's flow bound."""
    net = _read("direction.m")
    optimize(net, "ogf")  # the base case solves
    net.pipes.loc["10", "mass_flow_max_kg_s"] = 0.0
    with pytest.raises(gu.OptimizationError) as err:
        optimize(net, "ogf")
    assert err.value.kind == "infeasible"
    diag = err.value.diagnosis
    assert ((diag["component"] == "pipes") & (diag["element"] == "10")).any()
