"""``gasunion game network [NETWORK]``: the cooperative game of a gas network.

Builds the characteristic function from the network (:func:`gasunion.games.network.
network_game`: each coalition's transport welfare with its own assets) and prints the
solution concepts side by side with each player's stand-alone value and gain. Without
NETWORK: the Central Asia union game (:mod:`gasunion.games._network_ca`, sourced prices).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from gasunion.cli._core import CliError, Command, JsonFlag, Ui
from gasunion.cli.game import game_app

if TYPE_CHECKING:
    from rich.table import Table

    from gasunion.games.network import NetworkGame

PLAYER_KINDS = ("party", "country")
JOINT = ("all", "share")


@game_app.command(
    "network", cls=Command, short_help="The game of a gas network: coalition values from "
    "its assets, then Shapley value, nucleolus, core.",
    help="Build the cooperative game of a network: v(S) = the transport welfare (value of "
    "served gas - supply costs - fees, per year) that coalition S achieves with only the "
    "assets its members own (joint ventures by --joint), minus what the outsiders achieve "
    "alone. Prints the Shapley value, nucleolus, core point and Nash bargaining split "
    "next to each player's stand-alone value and gain. Without NETWORK: the Central Asia "
    "union game (RU, KZ, UZ; sourced border prices; million USD per year).")
def network_cmd(
    network: Annotated[Path | None, typer.Argument(
        metavar="[NETWORK]", show_default=False, help="Network file (.net, .m, .json); "
        "prices from its sinks' value_per_kg and sources' cost_per_kg. Default: the "
        "Central Asia dataset.")] = None,
    scenario: Annotated[str | None, typer.Option(
        metavar="S", help="With NETWORK: a GasLib .scn file; without: a Central Asia "
        "scenario (2023 ... 2030; default 2023).")] = None,
    players: Annotated[str, typer.Option(
        metavar="party|country", help="Players: the owning parties or the countries.")]
    = "country",
    members: Annotated[str | None, typer.Option(
        metavar="A,B,..", help="Only these players (the rest are outsiders whose assets "
        "stay open). Central Asia default: RU,KZ,UZ (add TM,CN).")] = None,
    joint: Annotated[str, typer.Option(
        metavar="all|share", help="Jointly owned assets: usable only with all owners (all) "
        "or capacity x the coalition's share (share).")] = "all",
    out: Annotated[Path | None, typer.Option(
        metavar="DIR", help="Write values.csv (every coalition) and solution.csv.")] = None,
    as_json: JsonFlag = False,
) -> None:
    ui = Ui("game network", as_json=as_json)
    with ui.guard():
        if players not in PLAYER_KINDS:
            raise CliError("bad_option", f"--players must be party or country, got {players!r}")
        if joint not in JOINT:
            raise CliError("bad_option", f"--joint must be all or share, got {joint!r}")
        ui.prepare_out(out)
        chosen = [m.strip() for m in members.split(",") if m.strip()] if members else None
        with ui.status("computing the coalition values ...") as st:
            def progress(done: int, total: int) -> None:
                st.update(f"coalition LPs {done}/{total}")

            g = _game(ui, network, scenario, players, chosen, joint, progress)
        from gasunion.cli.game import solve

        with ui.status(f"solving the {g.n}-player game ..."):
            r = solve(g.game())
        written = _write(g, r, out) if out is not None else []
        if as_json:
            ui.emit_ok(players=g.players, unit=g.unit, joint=joint, values=_values(g),
                       stats=g.stats, assumptions=g.assumptions, solution=r, written=written)
            return
        _print(ui, g, r)
        for p in written:
            ui.line(str(p), prefix="wrote ")


def _game(ui: Ui, network: Path | None, scenario: str | None, players: str,
          members: list[str] | None, joint: str, progress: Any) -> NetworkGame:
    if network is None:
        from gasunion.datasets.central_asia import SCENARIOS
        from gasunion.games._network_ca import UNION, central_asia_game

        sc = scenario or "2023"
        if sc not in SCENARIOS:
            raise CliError("bad_option", f"--scenario: unknown Central Asia scenario {sc!r}; "
                           f"available: {', '.join(SCENARIOS)}")
        if players != "country":
            raise CliError("bad_option", "the Central Asia union game has country players")
        return central_asia_game(sc, members or list(UNION), joint=joint, progress=progress)
    from gasunion.cli.commands import load
    from gasunion.games.network import network_game

    net = load(ui, network, Path(scenario) if scenario else None)
    g = network_game(net, players, members=members, joint=joint, progress=progress)
    if g.n == 0:
        raise CliError("bad_input", f"{network}: no owned assets: set the owner column "
                       "(or the ownership table)")
    return g


def _values(g: NetworkGame) -> dict[str, float]:
    t = g.table()
    return {str(m) or "": float(v) for m, v in zip(t["members"], t["value"], strict=True)
            if m}


def _solution_frame(g: NetworkGame, r: dict[str, Any]) -> Any:
    import pandas as pd

    t = pd.DataFrame({"standalone": g.standalone()})
    for key in ("shapley", "nucleolus", "core_point", "nash_bargaining"):
        if r.get(key):
            t[key] = pd.Series(r[key])
            t[f"{key}_gain"] = t[key] - t["standalone"]
    t.index.name = "player"
    return t


def _write(g: NetworkGame, r: dict[str, Any], out: Path) -> list[Path]:
    p1, p2 = out / "values.csv", out / "solution.csv"
    g.table().to_csv(p1, index=False)
    _solution_frame(g, r).to_csv(p2)
    return [p1, p2]


def _print(ui: Ui, g: NetworkGame, r: dict[str, Any]) -> None:
    from gasunion.cli.render import num

    s = g.stats
    ui.line(f"{g.n} players, v(N) = {num(g.values[-1], '.6g')} {g.unit}; {s['coalitions']} "
            f"coalitions: {s['lp_solves']} LP solves, {s['split']} split, {s['cached']} "
            f"cached, {s['total_time_s']:.2f} s")
    ui.print(_table(g, r))
    core = "empty" if r["core_empty"] else "non-empty"
    ui.line(f"core: {core}; least-core epsilon {num(r['least_core_epsilon'], '.6g')}")
    for a in g.assumptions:
        ui.line(a, prefix="assumption: ", prefix_style="yellow")
    for text in r["notes"]:
        ui.line(f"note: {text}", style="dim")


def _table(g: NetworkGame, r: dict[str, Any]) -> Table:
    from gasunion.cli.render import data_table, num

    t = _solution_frame(g, r)
    tab = data_table("Who gets what", f"{g.unit}; gain = share - stand-alone value; the "
                     "core point is in solution.csv / --json")
    heads = {"standalone": "alone", "shapley": "Shapley", "shapley_gain": "gain",
             "nucleolus": "nucleolus", "nucleolus_gain": "gain", "nash_bargaining": "Nash",
             "nash_bargaining_gain": "gain"}
    cols = [c for c in heads if c in t.columns]
    tab.add_column("player", no_wrap=True)
    for c in cols:
        tab.add_column(heads[c], justify="right", no_wrap=True)
    for p, row in t.iterrows():
        tab.add_row(str(p), *[num(row[c], ".1f") for c in cols])
    return tab
