"""GasModels.jl case-6: the simulator reproduces a published feasible steady state.

Reference: ``case6_base_solution.json`` from GasModels.jl (lanl-ansi/GasModels.jl, commit
36cbbdfc038371d6bc2ea7a3b075e72b8cc8d580, BSD-3, test/data/transient/case6_base_solution.json,
copied to tests/data/matgas/), the Ipopt solution of the WP optimal-gas-flow problem on
``case-6.m`` (objective -167.190, asserted in GasModels' test/ogf.jl:142-147 at that commit;
test/ogf.jl:95-99 asserts the JSON is primal-feasible to 1e-6). GasModels' WP pipe law
(src/form/wp.jl, resistance from src/core/data.jl ``_calc_pipe_resistance``) is
``p_i^2 - p_j^2 = lambda a^2 L f|f| / (D A^2)`` with the file's lambda and sound speed a,
i.e. gasunion's pipe law with a fixed friction factor, Z = 1 and R_s T = a^2 (which the matgas
reader arranges). Hand check that the stored state obeys that law (docs/validation.md §3):
pipe 2 (2 -> 3, D 0.6 m, L 80 km, lambda 0.01, a 371.6643 m/s) has
K = 0.01 * 371.6643^2 * 80 000 / (0.6 * (pi 0.6^2/4)^2) = 2.303858e9 Pa^2 s^2/kg^2 and
K f^2 = 2.303858e9 * 27.151056^2 = 1.698357e12 Pa^2 = 3 270 834.5^2 - 3 000 000.1^2 Pa^2.

We fix what the optimiser chose — transfers ``ft`` and compressor ratios ``r`` — and
simulate: the pressures and flows must come out as in the stored solution.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import gasunion as gu

DATA = Path(__file__).resolve().parents[1] / "data" / "matgas"


def test_case6_base_solution_is_reproduced() -> None:
    sol = json.loads((DATA / "case6_base_solution.json").read_text())["solution"]
    net = gu.read(DATA / "case-6.m")
    # receipt 1 sits at the slack junction 1 (4 MPa): it supplies whatever the network takes
    net.remove("sources", "receipt_1")
    for tid, t in sol["transfer"].items():
        net.sinks.loc[f"transfer_{tid}", "mass_flow_kg_s"] = t["ft"]
    for cid, c in sol["compressor"].items():
        net.compressors.loc[cid, "ratio_set"] = c["r"]
        net.compressors.loc[cid, "ratio_min"] = min(1.0, c["r"])
    res = gu.simulate(net, z="ideal", tol=1e-12)
    for jid, j in sol["junction"].items():
        assert res.junctions.at[jid, "p_bar"] == pytest.approx(j["p"] / 1e5, rel=1e-6), jid
    for pid, p in sol["pipe"].items():
        assert res.pipes.at[pid, "mass_flow_kg_s"] == pytest.approx(p["f"], rel=1e-5, abs=1e-5), pid
    for cid, c in sol["compressor"].items():
        assert res.compressors.at[cid, "mass_flow_kg_s"] == pytest.approx(c["f"], rel=1e-5), cid
    # the slack supplies exactly the receipt of the solution (fg = 60.67885 kg/s in the JSON;
    # by mass balance it equals the sum of the fixed transfers, 10.88038 + 29.79850 + 20.00008
    # - 0.00007 - 0.00004 = 60.67885, since case-6.m's deliveries withdraw nothing)
    assert res.sources.at["slack_1", "mass_flow_kg_s"] == pytest.approx(
        sol["receipt"]["1"]["fg"], rel=1e-5)
