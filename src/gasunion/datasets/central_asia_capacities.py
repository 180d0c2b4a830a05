"""Technical capacities of the Central Asia dataset for the security-of-supply problem.

The Central Asia network carries its own per-direction pipe bounds (``mass_flow_max_kg_s``
forward, ``mass_flow_min_kg_s`` = -reverse; see :mod:`gasunion.datasets._ca_capacity` and
``defaults.csv`` capacity_year, capacity_direction, capacity_split): the capacity stages of
``capacities.csv`` for the network's year where sourced, else the design capacity of
``pipelines.csv`` in the direction the row's stations face (passive rows both ways), shared
over the parallel strings of a section as a flow splits at equal pressure drop. This table
restates those bounds per pipe (one derivation for the simulator, the monthly transport case
and the security problem); pipes without a sourced figure are absent (the security tables
then list the branch as missing; nothing is invented).

With ``supply=True`` sources and storages without a technical maximum get a *lower bound*:
a source its largest design-day flow over the dataset's scenarios (set-point, or the
simulated injection of a pressure-controlled source), a storage without a sourced withdrawal
rate its winter-peak withdrawal set-point (the dataset's estimate: working gas / 120 d,
``defaults.csv`` ``storage_peak_withdrawal``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from gasunion.network import Network

__all__ = ["central_asia_capacities"]


def central_asia_capacities(net: Network, supply: bool = False) -> pd.DataFrame:
    """Technical capacity of every Central Asia pipe with a sourced capacity.

    Returns a table indexed by pipe id: ``mass_flow_kg_s`` (the pipe's share of the capacity,
    kg/s: forward, or reverse for a reverse-only pipe), ``basis`` (where the bound comes
    from) and ``direction`` (``both``, ``forward``, ``reverse``); with ``supply=True`` also
    sources and storages (see the module docstring). Pass it as ``capacities=`` to the
    security problem.
    """
    pipes = net.pipes
    if "capacity_year" in net.meta and pipes["mass_flow_max_kg_s"].isna().all():
        from gasunion.datasets._ca_capacity import apply_branch_bounds

        net = net.copy()
        apply_branch_bounds(net, int(net.meta["capacity_year"]))
        pipes = net.pipes
    rows = pd.Series(net.meta.get("branch_row", {}), dtype=object)
    p = pipes[pipes.index.isin(rows.index)]
    fwd = p["mass_flow_max_kg_s"].to_numpy(float)
    rev = -p["mass_flow_min_kg_s"].to_numpy(float)
    known = np.isfinite(fwd) & np.isfinite(rev) & ((fwd > 0) | (rev > 0))
    direction = np.where((fwd > 0) & (rev > 0), "both", np.where(fwd > 0, "forward", "reverse"))
    value = np.where(direction == "reverse", rev, fwd)
    basis = p["note"].astype(str).str.split(" | bounds ", regex=False).str[-1]
    out = pd.DataFrame({"mass_flow_kg_s": value, "basis": "network bounds " + basis,
                        "direction": direction}, index=p.index)[known]
    if supply:
        out = pd.concat([out, _supply_bounds(net)])
    return out


def _supply_bounds(net: Network) -> pd.DataFrame:
    """Lower bounds on production capability and storage deliverability (module docstring)."""
    import gasunion as gu
    from gasunion.datasets.central_asia import SCENARIOS, central_asia

    flows = {}
    for name in SCENARIOS:
        res = gu.simulate(central_asia(name))
        flows[name] = res.sources["mass_flow_kg_s"]
    f = pd.DataFrame(flows).reindex(net.sources.index)
    best = f.max(axis=1)
    src = pd.DataFrame({
        "mass_flow_kg_s": best,
        "basis": "estimate: largest design-day flow over the dataset scenarios (scenario "
                 + f.idxmax(axis=1).astype(str) + "; lower bound on capability)",
        "direction": "both"})
    peak = central_asia("winter-peak").storages
    st = net.storages
    need = st.index[st["withdrawal_max_kg_s"].isna() & st.index.isin(peak.index)]
    sto = pd.DataFrame({"mass_flow_kg_s": peak.loc[need, "mass_flow_kg_s"],
                        "basis": "estimate: winter-peak withdrawal set-point (working gas / "
                                 "120 d, defaults storage_peak_withdrawal)",
                        "direction": "both"})
    return pd.concat([src.dropna(subset=["mass_flow_kg_s"]), sto])
