"""``gasunion demo``: the embedded Central Asia network, simulated and reported."""

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
DEMO_SCENARIOS = ("2023", "union", "winter-peak", "line-d")
SOURCES_DOC = "docs/datasets/central-asia.md"


@app.command("demo", cls=Command, short_help="Simulate and report the embedded Central Asia "
             "network.", help=(
                 "The main job: simulate the embedded Central Asia network (offline, no set-up) "
                 "and report the flows across every border point (mcm/d, bcm/y), the "
                 "utilisation of each corridor, pressures at key points (bar(a)) and any "
                 "violated bound."))
def demo_cmd(
    scenario: Annotated[str, typer.Option(
        metavar="NAME", help="Scenario of the embedded Central Asia dataset: 2023 (reported "
        "flows), union (11 bcm/y Russia -> Uzbekistan), winter-peak, line-d.")] = "2023",
    out: Annotated[Path | None, typer.Option(
        metavar="DIR", help="Folder for the result tables, reports (CSV), summary.json, "
        "network.json and network.geojson. Created if missing; checked before anything is "
        "computed.")] = None,
    as_json: JsonFlag = False,
    ids: IdsFlag = False,
) -> None:
    """Simulate and report the embedded Central Asia network (see the help text above)."""
    ui = Ui("demo", as_json=as_json, ids=ids)
    with ui.guard():
        ui.prepare_out(out)
        if scenario not in DEMO_SCENARIOS:
            raise CliError("bad_option", f"unknown scenario {scenario!r}; available: "
                           f"{', '.join(DEMO_SCENARIOS)}")
        ui.extra["scenario"] = scenario
        with ui.status("building the Central Asia network ..."):
            from gasunion.datasets import (
                SCENARIOS,
                border_flow_report,
                central_asia,
                corridor_report,
                key_pressures,
            )

            net = central_asia(scenario)
        ui.extra["network"] = net.name
        if not as_json:
            counts = ", ".join(f"{n} {c}" for c, n in net.counts().items())
            ui.line(f"scenario {scenario}: {SCENARIOS[scenario]}", prefix=f"{net.name} - ")
            ui.line(f"{counts}; sources and estimates: {SOURCES_DOC}", style="dim")
        res = run_simulation(ui, net, "colebrook", "papay", 60)
        bf = border_flow_report(net, res)
        cr = corridor_report(net, res)
        kp = key_pressures(net, res)
        written = _write(ui, net, res, bf, cr, kp, out) if out is not None else []
        if as_json:
            ui.emit_ok(scenario=scenario, description=SCENARIOS[scenario], network=net.name,
                       summary=res.summary, border_flows=bf, corridors=cr, key_pressures=kp,
                       violations=res.violations, written=written)
            return
        from gasunion.cli.render import summary_table, violations_table

        ui.print()
        ui.print(summary_table(net, res, ids))
        for a in res.summary.get("assumptions", []):
            ui.line(a, prefix="assumption: ", prefix_style="yellow")
        for table in (_border_table(bf, ids), _corridor_table(cr, ids), _pressure_table(kp, ids)):
            ui.print()
            ui.print(table)
        ui.print()
        if len(res.violations):
            ui.print(violations_table(net, res.violations, ids))
        else:
            ui.line("no bound violated", style="green")
        for path in written:
            ui.line(str(path), prefix="wrote ")


def _border_table(bf: pd.DataFrame, ids: bool) -> Table:
    from gasunion.cli.render import data_table, num, pct

    t = data_table("Flows across border points",
                   "use = flow / design capacity; n/a: no sourced capacity")
    t.add_column("border point", overflow="fold", ratio=1)
    t.add_column("from>to", no_wrap=True)
    t.add_column("systems", overflow="fold", max_width=9)
    t.add_column("mcm/d", justify="right", no_wrap=True)
    t.add_column("bcm/y", justify="right", no_wrap=True)
    t.add_column("capacity bcm/y", justify="right", max_width=8)
    t.add_column("use", justify="right", no_wrap=True)
    for _, r in bf.iterrows():
        t.add_row(str(r["border_point"] if ids else r["name"]),
                  f"{r['from_country']}>{r['to_country']}", str(r["systems"]).replace(", ", " "),
                  num(r["flow_mcm_d"]), num(r["flow_bcm_y"]), num(r["capacity_bcm_y"], ".1f"),
                  pct(r["utilisation"]))
    return t


def _corridor_table(cr: pd.DataFrame, ids: bool) -> Table:
    from gasunion.cli.render import data_table, num, pct
    from gasunion.datasets.central_asia import segment_name

    t = data_table("Corridor utilisation",
                   "largest flow: on the system's segment that carries the most gas, with that "
                   "segment's design capacity and use (flow / capacity); bottleneck: the segment "
                   "with the highest use (same: that segment); n/a: no sourced capacity")
    t.add_column("system", overflow="fold", ratio=3)
    t.add_column("largest flow bcm/y", justify="right", max_width=7)
    t.add_column("capacity bcm/y", justify="right", max_width=8)
    t.add_column("use", justify="right", no_wrap=True)
    t.add_column("bottleneck", overflow="fold", ratio=2)
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


def _write(ui: Ui, net: Network, res: Any, bf: pd.DataFrame, cr: pd.DataFrame,
           kp: pd.DataFrame, out: Path) -> list[Path]:
    from gasunion.cli.render import write_results
    from gasunion.io import write
    from gasunion.io.geojson import write_geojson

    with ui.status(f"writing results into {out} ..."):
        written = write_results(res, out)
        for name, table in (("border_flows", bf), ("corridors", cr), ("key_pressures", kp)):
            path = out / f"{name}.csv"
            table.to_csv(path, index=False)
            written.append(path)
        write_geojson(net, out / "network.geojson", results=res)
        written.append(out / "network.geojson")
        write(net, out / "network.json")  # the network itself, for `gasunion simulate`
        written.append(out / "network.json")
    return written
