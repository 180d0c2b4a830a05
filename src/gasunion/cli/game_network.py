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
from gasunion.cli.game import game_app, no_negative_zero

if TYPE_CHECKING:
    import pandas as pd
    from rich.console import RenderableType

    from gasunion.cli.game import NumberFormat
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
        if network is not None:
            ui.extra["network"] = str(network)
        chosen = _members(members)
        ui.prepare_out(out)
        with ui.status("computing the coalition values ...") as st:
            def progress(done: int, total: int) -> None:
                st.update(f"coalition LPs {done}/{total}")

            g = _game(ui, network, scenario, players, chosen, joint, progress)
        from gasunion.cli.game import solve

        with ui.status(f"solving the {g.n}-player game ..."):
            r = solve(g.game())
        written = _write(g, r, out) if out is not None else []
        if as_json:
            ui.emit_ok(**no_negative_zero({
                "players": g.players, "unit": g.unit, "joint": joint, "values": _values(g),
                "stats": g.stats, "assumptions": g.assumptions, "solution": r,
                "written": written}))
            return
        _print(ui, g, r)
        for p in written:
            ui.message(str(p), prefix="wrote ")


def _members(text: str | None) -> list[str] | None:
    """The --members list (None: all players); exit 2 for an empty list or a repeated name."""
    if text is None:
        return None
    chosen = [m.strip() for m in text.split(",") if m.strip()]
    if not chosen:
        raise CliError("bad_option", f"--members: no player in {text!r} (give names separated "
                       "by commas, e.g. --members RU,KZ; leave the option out for all players)")
    twice = sorted({m for m in chosen if chosen.count(m) > 1})
    if twice:
        raise CliError("bad_option", f"--members: {', '.join(repr(m) for m in twice)} given "
                       "twice")
    return chosen


def _game(ui: Ui, network: Path | None, scenario: str | None, players: str,
          members: list[str] | None, joint: str, progress: Any) -> NetworkGame:
    """The network game; the players (and the members among them) are checked before any
    coalition is computed (:func:`gasunion.games.network.network_game` does that first)."""
    from gasunion.games._network_assets import NoPlayersError, UnknownPlayersError
    from gasunion.games.network import MAX_PLAYERS

    kind = "countries" if players == "country" else "owners"
    where = str(network) if network is not None else "the Central Asia dataset"
    try:
        g = _build(ui, network, scenario, players, members, joint, progress)
    except UnknownPlayersError as exc:
        s = "s" if len(exc.unknown) > 1 else ""
        raise CliError("bad_option", f"--members: unknown player{s} "
                       f"{', '.join(repr(m) for m in exc.unknown)}; the players ({kind} with "
                       f"assets) of {where}: {', '.join(exc.known)}") from None
    except NoPlayersError as exc:
        text = str(exc).replace("(players='party')", "(--players party)")
        raise CliError("bad_input", f"{where}: {text}") from None
    except _TooManyError as exc:
        raise CliError("bad_option", f"{where}: {exc.n} players ({kind} with assets: "
                       f"{', '.join(exc.players[:8])}, ...): at most {MAX_PLAYERS} (2^n "
                       "coalitions); choose some with --members") from None
    return g


def _build(ui: Ui, network: Path | None, scenario: str | None, players: str,
           members: list[str] | None, joint: str, progress: Any) -> NetworkGame:
    if network is None:
        from gasunion.datasets.central_asia import SCENARIOS
        from gasunion.games._network_ca import UNION, central_asia_game

        sc = scenario or "2023"
        if sc not in SCENARIOS:
            raise CliError("bad_option", f"--scenario: unknown Central Asia scenario {sc!r}; "
                           f"available: {', '.join(SCENARIOS)}")
        if players != "country":
            raise CliError("bad_option", "--players: the Central Asia union game has country "
                           "players")
        return central_asia_game(sc, members or list(UNION), joint=joint, progress=progress)
    from gasunion.cli.commands import load
    from gasunion.games._network_assets import network_players
    from gasunion.games.network import MAX_PLAYERS, network_game

    net = load(ui, network, Path(scenario) if scenario else None)
    if members is None:
        found = network_players(net, players)
        if len(found) > MAX_PLAYERS:
            raise _TooManyError(found)
    return network_game(net, players, members=members, joint=joint, progress=progress)


class _TooManyError(Exception):
    def __init__(self, players: list[str]) -> None:
        super().__init__(f"{len(players)} players")
        self.players = players
        self.n = len(players)


def _values(g: NetworkGame) -> dict[str, float]:
    """v(S) by coalition (``A+B``), rounded as the solution (12 significant digits)."""
    from gasunion.cli.game import _r

    t = g.table()
    return {str(m): _r(v) for m, v in zip(t["members"], t["value"], strict=True) if m}


def _solution_frame(g: NetworkGame, r: dict[str, Any]) -> pd.DataFrame:
    """Per player: stand-alone value, each share and its gain (share - stand-alone), from the
    rounded numbers of the JSON document (an equal share and stand-alone value: gain 0)."""
    import pandas as pd

    t = pd.DataFrame({"standalone": pd.Series(r["stand_alone"])}).reindex(g.players)
    for key in ("shapley", "nucleolus", "core_point", "nash_bargaining"):
        if r.get(key):
            t[key] = pd.Series(r[key])
            t[f"{key}_gain"] = t[key] - t["standalone"]
    t.index.name = "player"
    return t + 0.0  # no -0.0


def _write(g: NetworkGame, r: dict[str, Any], out: Path) -> list[Path]:
    p1, p2 = out / "values.csv", out / "solution.csv"
    g.table().to_csv(p1, index=False)
    _solution_frame(g, r).to_csv(p2)
    return [p1, p2]


def _print(ui: Ui, g: NetworkGame, r: dict[str, Any]) -> None:
    from gasunion.cli.game import NumberFormat

    t = _solution_frame(g, r)
    fmt = NumberFormat.of([*t.to_numpy().ravel().tolist(), float(g.values[-1])])
    s = g.stats
    ui.line(f"{g.n} players, v(N) = {fmt.exact(g.values[-1], g.unit)}; "
            f"{s['coalitions']} coalitions: {s['lp_solves']} LP solves, {s['split']} split, "
            f"{s['cached']} cached, {s['total_time_s']:.2f} s")
    for part in _table(t, fmt, g.unit, ui.stdout.width):
        ui.print(part)
    core = "empty" if r["core_empty"] else "non-empty"
    ui.line(f"core: {core}; least-core epsilon {fmt.exact(r['least_core_epsilon'], g.unit)}")
    for a in g.assumptions:
        ui.line(a, prefix="assumption: ", prefix_style="yellow")
    for text in r["notes"]:
        ui.line(f"note: {text}", style="dim")


def _table(t: pd.DataFrame, fmt: NumberFormat, unit: str, width: int = 80
           ) -> list[RenderableType]:
    from gasunion.cli.game import player_table

    heads = {"standalone": "alone", "shapley": "Shapley", "shapley_gain": "gain",
             "nucleolus": "nucleolus", "nucleolus_gain": "gain", "nash_bargaining": "Nash",
             "nash_bargaining_gain": "gain"}
    columns = [(heads[c], t[c].tolist()) for c in heads if c in t.columns]
    return player_table([str(p) for p in t.index], columns, fmt, width=width,
                        title="Who gets what",
                        caption=f"{fmt.caption(unit)}; gain = share - stand-alone value; "
                                "the core point and exact values are in solution.csv / --json")
