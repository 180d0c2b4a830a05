"""``gasunion demo``: the union ledger of the embedded Central Asia network.

Leads with the border ledger (:func:`gasunion.reports.border_ledger`), then the countries
(:func:`gasunion.reports.country_ledger`) and the members' imports and exports; corridors,
pressures and solver details come after, for engineers. ``--compare`` simulates a second
scenario and shows the change.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from gasunion.cli._core import CliError, Command, IdsFlag, JsonFlag, Ui, app
from gasunion.cli.commands import run_simulation

if TYPE_CHECKING:
    import pandas as pd
    from rich.table import Table

    from gasunion.network import Network

#: the scenarios of the embedded dataset (gasunion.datasets.SCENARIOS; listed here so that
#: the help needs no pandas)
DEMO_SCENARIOS = ("2023", "2024", "2025", "2026", "2027", "2028", "2029", "2030", "union",
                  "ramp-2030", "winter-peak", "line-d")
#: (a test checks that this list equals gasunion.datasets.central_asia.SCENARIOS)
SOURCES_DOC = "docs/datasets/central-asia.md"


@app.command("demo", cls=Command, short_help="The union ledger of the embedded Central Asia "
             "network.", help=(
                 "The main job: simulate the embedded Central Asia network (offline, no set-up) "
                 "and print the union ledger: per border point the flow (mcm/d, bcm/y), the "
                 "technical capacity in that direction, the headroom and the owners on each "
                 "side; per country the gas carried for others (transit), own consumption and "
                 "compressor fuel; the members' imports and exports. Then corridors, pressures "
                 "(bar(a)), solver details and violated bounds."))
def demo_cmd(
    scenario: Annotated[str, typer.Option(
        metavar="NAME", help="Scenario of the embedded Central Asia dataset: 2023, 2024, "
        "2025 (reported flows), 2026 ... 2030 (the announced ramp; union = 2026, ramp-2030 = "
        "2030), winter-peak, line-d.")] = "2023",
    compare: Annotated[str | None, typer.Option(
        metavar="NAME", help="A second scenario: the ledger shows the change against it.")] = None,
    out: Annotated[Path | None, typer.Option(
        metavar="DIR", help="Folder for the result tables, the ledger (ledger.csv, "
        "countries.csv), map.png, reports (CSV), summary.json, network.json and "
        "network.geojson. Created if missing; checked before anything is computed.")] = None,
    as_json: JsonFlag = False,
    ids: IdsFlag = False,
    game: Annotated[bool, typer.Option(
        "--game", help="Add the union game (about 2 s more): per member the stand-alone "
        "value, Shapley and nucleolus shares, transit and the transit revenue at the "
        "current and at the Shapley-fair tariff (million USD/y; docs/games.md).")] = False,
) -> None:
    """The union ledger of the embedded Central Asia network (see the help text above)."""
    ui = Ui("demo", as_json=as_json, ids=ids)
    with ui.guard():
        ui.prepare_out(out)
        for opt, name in (("--scenario", scenario), ("--compare", compare)):
            if name is not None and name not in DEMO_SCENARIOS:
                raise CliError("bad_option", f"{opt}: unknown scenario {name!r}; available: "
                               f"{', '.join(DEMO_SCENARIOS)}")
        ui.extra["scenario"] = scenario
        with ui.status("building the Central Asia network ..."):
            from gasunion.datasets import SCENARIOS, central_asia

            net = central_asia(scenario)
        ui.extra["network"] = net.name
        if not as_json:
            counts = ", ".join(f"{n} {c}" for c, n in net.counts().items())
            ui.line(f"scenario {scenario}: {SCENARIOS[scenario]}", prefix=f"{net.name} - ")
            ui.line(f"{counts}; sources and estimates: {SOURCES_DOC}", style="dim")
        res = run_simulation(ui, net, "colebrook", "papay", 60)
        rep = _reports(net, res)
        cmp = None
        if compare is not None:
            with ui.status(f"simulating scenario {compare} for the comparison ..."):
                net2 = central_asia(compare)
                from gasunion.simulation import simulate

                rep2 = _reports(net2, simulate(net2, friction="colebrook", z="papay"),
                                full=False)
            cmp = _compare(rep, rep2, compare)
        if game:
            with ui.status("computing the union game ..."):
                rep["game"] = _union_game(scenario)
        written = _write(ui, net, res, rep, cmp, out) if out is not None else []
        if as_json:
            _emit_json(ui, scenario, SCENARIOS[scenario], net, res, rep, cmp, written)
            return
        _print(ui, net, res, rep, cmp, ids)
        if game:
            _print_game(ui, rep["game"])
        for path in written:
            ui.message(str(path), prefix="wrote ")


def _union_game(scenario: str) -> pd.DataFrame:
    """The union members' game columns (:func:`gasunion.games._network_ca.union_table`)."""
    from gasunion.games._network_ca import central_asia_game, union_table

    g = central_asia_game(scenario)
    t = union_table(g).reset_index()
    t.attrs["unit"] = g.unit
    t.attrs["grand_value"] = float(g.values[-1])
    return t


def _print_game(ui: Ui, t: pd.DataFrame) -> None:
    from gasunion.cli.render import data_table, num

    tab = data_table("The union game (million USD per year)",
                     f"v(members) = {num(t.attrs['grand_value'], '.6g')}; joint ventures usable "
                     "only with all owners; transit in bcm/y; fee: the Shapley-fair fee = "
                     "Shapley gain / transit (USD per kcm); rev.: transit revenue at the "
                     "current tariff (none published: n/a) and at the fair fee; "
                     "docs/games.md")
    for c in ("", "alone", "Shapley", "nucl.", "transit", "fee", "rev. now", "rev. fair"):
        tab.add_column(c, justify="left" if c == "member" else "right", no_wrap=True)
    for _, r in t.iterrows():
        tab.add_row(str(r["player"]), num(r["standalone"], ".0f"), num(r["shapley"], ".0f"),
                    num(r["nucleolus"], ".0f"), num(r["transit_bcm_y"], ".1f"),
                    num(r["fair_fee_usd_kcm"], ".1f"), num(r["revenue_current_musd"], ".0f"),
                    num(r["revenue_fair_musd"], ".0f"))
    ui.print()
    ui.print(tab)


def _members() -> list[str]:
    """The union's member countries (the dataset's parties with role ``union member``)."""
    from gasunion.datasets import parties

    p = parties()
    return sorted(set(p.loc[p["role"] == "union member", "country"].astype(str)) - {""})


def _reports(net: Network, res: Any, full: bool = True) -> dict[str, Any]:
    """The ledger (any network) and, with ``full``, the dataset's own reports."""
    from gasunion.reports import border_ledger, country_ledger, member_trade

    ledger = border_ledger(net, res)
    rep: dict[str, Any] = {"ledger": ledger, "countries": country_ledger(net, res),
                           "members": _members()}
    rep["trade"] = member_trade(ledger, rep["members"])
    if full:
        from gasunion.datasets import border_flow_report, corridor_report, key_pressures

        rep.update(border_flows=border_flow_report(net, res),
                   corridors=corridor_report(net, res), key_pressures=key_pressures(net, res))
    return rep


def _compare(rep: dict[str, Any], other: dict[str, Any], name: str) -> dict[str, Any]:
    from gasunion.reports import compare_ledgers

    return {"scenario": name,
            "ledger": compare_ledgers(rep["ledger"], other["ledger"], label="compare"),
            "countries": compare_ledgers(rep["countries"], other["countries"],
                                         label="compare")}


def _by_country(countries: pd.DataFrame, column: str) -> dict[str, float]:
    return {str(c): float(v) for c, v in zip(countries["country"], countries[column],
                                             strict=True)}


def _emit_json(ui: Ui, scenario: str, description: str, net: Network, res: Any,
               rep: dict[str, Any], cmp: dict[str, Any] | None, written: list[Path]) -> None:
    from gasunion.reports import TRACING_METHOD

    c = rep["countries"]
    doc: dict[str, Any] = dict(
        scenario=scenario, description=description, network=net.name, ledger=rep["ledger"],
        transit_bcm_y_by_country=_by_country(c, "transit_bcm_y"),
        fuel_bcm_y_by_country=_by_country(c, "fuel_bcm_y"),
        consumption_bcm_y_by_country=_by_country(c, "consumption_bcm_y"),
        countries=c, members=rep["members"], member_trade=rep["trade"],
        tracing_method=TRACING_METHOD, summary=res.summary, border_flows=rep["border_flows"],
        corridors=rep["corridors"], key_pressures=rep["key_pressures"],
        violations=res.violations, written=written)
    if "game" in rep:
        doc["union_game"] = rep["game"]
    if cmp is not None:
        doc["compare"] = cmp
    ui.emit_ok(**doc)


def _print(ui: Ui, net: Network, res: Any, rep: dict[str, Any], cmp: dict[str, Any] | None,
           ids: bool) -> None:
    import pandas as pd

    from gasunion.cli.render import (
        country_table,
        ledger_table,
        summary_table,
        trade_table,
        violations_table,
    )

    change = transit = None
    other = cmp["scenario"] if cmp else ""
    if cmp is not None:  # the ledgers' rows in the comparison, by the ledger's own index
        keys = ["border_point", "from_country", "to_country"]
        lc = cmp["ledger"].set_index(keys)["flow_mcm_d_change"]
        change = pd.Series(lc.reindex(pd.MultiIndex.from_frame(rep["ledger"][keys])).to_numpy(),
                           index=rep["ledger"].index)
        transit = pd.Series(cmp["countries"].set_index("country")["transit_bcm_y_change"]
                            .reindex(rep["countries"]["country"]).to_numpy(),
                            index=rep["countries"].index)
    ui.print()
    ui.print(ledger_table(rep["ledger"], ids, change, other))
    if cmp is not None:
        gone = cmp["ledger"][cmp["ledger"]["flow_mcm_d"] == 0]
        gone = gone[gone["flow_mcm_d_compare"] > 0]
        for _, r in gone.iterrows():
            ui.line(f"{r['border_point'] if ids else r['name']} {r['from_country']}>"
                    f"{r['to_country']}: {r['flow_mcm_d_compare']:.1f} mcm/d in {other}, "
                    "none now", prefix="also: ", style="dim")
    ui.print()
    ui.print(country_table(rep["countries"], transit, other))
    ui.print()
    ui.print(trade_table(rep["trade"], "Union members' imports and exports (bcm/y)",
                         f"members: {', '.join(rep['members'])}; "))
    ui.line("for engineers: corridors, pressures, solver", style="bold dim")
    for table in (_corridor_table(rep["corridors"], ids), _pressure_table(rep["key_pressures"], ids)):
        ui.print()
        ui.print(table)
    ui.print()
    ui.print(summary_table(net, res, ids))
    for a in res.summary.get("assumptions", []):
        ui.line(a, prefix="assumption: ", prefix_style="yellow")
    ui.print()
    if len(res.violations):
        ui.print(violations_table(net, res.violations, ids))
    else:
        ui.line("no bound violated", style="green")


def _corridor_table(cr: pd.DataFrame, ids: bool) -> Table:
    from gasunion.cli.render import data_table, longest_word, num, pct
    from gasunion.datasets.central_asia import segment_name

    t = data_table("Corridor utilisation",
                   "largest flow: on the system's segment that carries the most gas, with that "
                   "segment's design capacity and use (flow / capacity); bottleneck: the segment "
                   "with the highest use (same: that segment); n/a: no sourced capacity")
    names = cr["system"] if ids else cr["system_name"]
    t.add_column("system", overflow="fold", width=longest_word(names, 31))
    t.add_column("largest flow bcm/y", justify="right", max_width=7)
    t.add_column("capacity bcm/y", justify="right", max_width=8)
    t.add_column("use", justify="right", no_wrap=True)
    t.add_column("bottleneck", overflow="fold")
    for _, r in cr.iterrows():
        system = str(r["system"] if ids else r["system_name"])
        if r["bottleneck"] and r["bottleneck"] == r["segment"]:
            bottleneck = "same"
        elif r["bottleneck"]:
            where = str(r["bottleneck"]) if ids else segment_name(str(r["bottleneck"]))
            bottleneck = f"{where}: {pct(r['max_utilisation'])}"
        else:
            bottleneck = "n/a"
        t.add_row(system, num(r["max_flow_bcm_y"]), num(r["capacity_bcm_y"], ".1f"),
                  pct(r["utilisation"]), bottleneck)
    return t


def _pressure_table(kp: pd.DataFrame, ids: bool, n: int = 12) -> Table:
    from gasunion.cli.render import data_table, num

    kp = kp[kp["kind"].isin(["border", "city", "export", "field"])]
    kp = kp.sort_values("margin_to_min_bar", kind="stable")
    t = data_table("Pressures at key points (closest to their lower bound first)",
                   f"{min(n, len(kp))} of {len(kp)} borders, cities, export points and fields")
    t.add_column("junction", overflow="fold", ratio=1)
    t.add_column("country", no_wrap=True)
    t.add_column("kind", no_wrap=True)
    t.add_column("p bar(a)", justify="right", max_width=6)
    t.add_column("bounds bar(a)", justify="right", max_width=6)
    t.add_column("margin bar", justify="right", max_width=6)
    for _, r in kp.head(n).iterrows():
        t.add_row(str(r["junction"] if ids else r["name"]), str(r["country"]), str(r["kind"]),
                  num(r["p_bar"]), f"{num(r['p_min_bar'], '.0f')}-{num(r['p_max_bar'], '.0f')}",
                  num(r["margin_to_min_bar"]))
    return t


def _write(ui: Ui, net: Network, res: Any, rep: dict[str, Any], cmp: dict[str, Any] | None,
           out: Path) -> list[Path]:
    from gasunion.cli.render import write_results
    from gasunion.io import write
    from gasunion.io.geojson import write_geojson
    from gasunion.reports.map import ledger_map

    with ui.status(f"writing results into {out} ..."):
        written = write_results(res, out)
        tables = {"border_flows": rep["border_flows"], "corridors": rep["corridors"],
                  "key_pressures": rep["key_pressures"],
                  "ledger": rep["ledger"].drop(columns="owners"), "countries": rep["countries"],
                  "member_trade": rep["trade"]}
        if "game" in rep:
            tables["union_game"] = rep["game"]
        if cmp is not None:
            tables["ledger_compare"] = cmp["ledger"].drop(columns="owners")
            tables["countries_compare"] = cmp["countries"]
        for name, table in tables.items():
            path = out / f"{name}.csv"
            table.to_csv(path, index=False)
            written.append(path)
        write_geojson(net, out / "network.geojson", results=res)
        written.append(out / "network.geojson")
        write(net, out / "network.json")  # the network itself, for `gasunion simulate`
        written.append(out / "network.json")
        written.append(ledger_map(net, res, rep["ledger"], out / "map.png",
                                  title=f"{net.name}: flows, owners and border headroom"))
    return written
