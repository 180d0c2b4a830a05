"""Technical capacities of the Central Asia dataset for the security-of-supply problem.

The Central Asia network carries no flow bounds (``defaults.csv`` ``pipe_flow_bounds`` =
none), so its entry capacities come from the sourced design capacities of ``pipelines.csv``
(``design_capacity_bcm_y``), mapped to the model's pipes through ``net.meta["branch_row"]``
and ``net.meta["branch_section"]``:

* ``capacity_basis = row`` -- the row's own figure, shared equally by the row's parallel
  strings in that section;
* ``capacity_basis = system`` -- a system figure restated on each parallel row (e.g.
  Central Asia-Center 60.2 bcm/y): counted once per group of parallel rows of that system
  (same model end points) and shared equally by all their strings in that section;
* no figure -- absent (the security tables then list the branch as missing; nothing is
  invented).

The direction of each capacity follows the row's ``operation`` (the dataset's operating
state): ``forward`` rows carry gas from_node -> to_node only, ``reverse`` rows the other way
(their compressor stations point that way), ``passive`` rows both ways.

With ``supply=True`` sources and storages without a technical maximum get a *lower bound*:
a source its largest design-day flow over the dataset's scenarios (set-point, or the
simulated injection of a pressure-controlled source), a storage without a sourced withdrawal
rate its winter-peak withdrawal set-point (the dataset's estimate: working gas / 120 d,
``defaults.csv`` ``storage_peak_withdrawal``).
"""

from __future__ import annotations

import pandas as pd

from gasunion.network import Network

__all__ = ["central_asia_capacities"]


def central_asia_capacities(net: Network, supply: bool = False) -> pd.DataFrame:
    """Technical capacity of every Central Asia pipe with a sourced design capacity.

    Returns a table indexed by pipe id: ``mass_flow_kg_s`` (the pipe's share of the row or
    system design capacity, kg/s) and ``basis`` (the pipelines.csv row, its figure in bcm/y
    and how it was shared), ``direction`` (``both``, ``forward``, ``reverse``); with
    ``supply=True`` also sources and storages (see the module docstring). Pass it as
    ``capacities=`` to the security problem.
    """
    from gasunion.datasets.central_asia import dataset_tables

    rows = dataset_tables()["pipelines"].set_index("id")
    branch_row: dict[str, str] = dict(net.meta.get("branch_row", {}))
    section: dict[str, int] = dict(net.meta.get("branch_section", {}))
    pipes = net.pipes
    ids = [p for p in pipes.index if p in branch_row and branch_row[p] in rows.index]
    if not ids:
        return pd.DataFrame(columns=["mass_flow_kg_s", "basis", "direction"])
    t = pd.DataFrame({"row": [branch_row[p] for p in ids],
                      "section": [section.get(p, 1) for p in ids]}, index=ids)
    r = rows.loc[t["row"]]
    t["bcm_y"] = pd.to_numeric(r["design_capacity_bcm_y"].replace("", None),
                               errors="coerce").to_numpy(float)
    t["basis_kind"] = r["capacity_basis"].to_numpy()
    t["system"] = r["system"].to_numpy()
    t["group"] = (r["model_from_node"] + ">" + r["model_to_node"]).to_numpy()
    t["direction"] = r["operation"].map({"forward": "forward", "reverse": "reverse"}).fillna(
        "both").to_numpy()
    t = t[t["bcm_y"].notna()]
    system = t["basis_kind"] == "system"
    key = t["row"].where(~system, t["system"] + "@" + t["group"])
    t["n_share"] = t.groupby([key, t["section"]])["row"].transform("size")
    t["mass_flow_kg_s"] = net.gas.kg_s_from_bcm_y(t["bcm_y"] / t["n_share"])
    how = pd.Series("row design capacity", index=t.index).where(
        ~system, "system design capacity " + t["system"] + " (counted once per parallel group)")
    t["basis"] = ("pipelines.csv " + t["row"] + ": " + how + " " + t["bcm_y"].map("{:g}".format)
                  + " bcm/y / " + t["n_share"].astype(str) + " string(s)")
    out = t[["mass_flow_kg_s", "basis", "direction"]]
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
