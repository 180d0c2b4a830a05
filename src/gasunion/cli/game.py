"""``gasunion game solve GAME.json``: the solution concepts of a TU game, in one table.

The ``game`` sub-app (:data:`game_app`) is shared: other modules add their commands to it
(``from gasunion.cli.game import game_app``).

GAME.json is ``{"players": ["A", "B", "C"], "values": {"A": 0, "A+B": 90, ...}}`` with every
non-empty coalition (members joined by ``+`` in any order; the empty one may be omitted).
The command prints the Shapley value (exact for n <= 15, sampled above with a 95 %
interval), the nucleolus, the prenucleolus, the core (empty or not, a point, the least-core
epsilon) and the Nash bargaining split over the stand-alone values; ``--json`` prints them as
one JSON document. Exit codes: 0 solved, 2 bad input (file, field, too many players).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from gasunion.cli._core import Command, Group, JsonFlag, Ui, app

if TYPE_CHECKING:
    import pandas as pd
    from rich.table import Table

    from gasunion.games import Game

game_app = typer.Typer(
    cls=Group, no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False,
    help="Cooperative (TU) games: how a union shares what it gains together. solve: Shapley "
         "value, nucleolus, prenucleolus, core and least core, Nash bargaining of a game "
         "given as JSON. Exit codes: 0 solved, 2 bad input, 1 failed computation; --json "
         "prints one JSON document also on failure.")
app.add_typer(game_app, name="game", short_help="Cooperative games: Shapley value, nucleolus, "
              "core, Nash bargaining.")

#: the exact nucleolus and core enumerate 2^n coalitions in LPs: refuse larger files
MAX_GAME_PLAYERS = 20

GameArg = Annotated[Path, typer.Argument(
    metavar="GAME.json", show_default=False,
    help="The game: {\"players\": [\"A\", \"B\"], \"values\": {\"A\": 0, \"B\": 0, "
         "\"A+B\": 90}}; every non-empty coalition needs a value.")]


@game_app.command("solve", cls=Command, short_help="Shapley value, nucleolus, core, Nash "
                  "bargaining of a TU game.",
                  help="Solve a TU game given as JSON: Shapley value (exact for n <= 15, else "
                       "sampled with a 95 % confidence interval), nucleolus, prenucleolus, "
                       "core (empty or not, a point in it, the least-core epsilon) and the "
                       "Nash bargaining split of v(N) over the stand-alone values. At most "
                       "20 players.")
def solve_cmd(game: GameArg,
              samples: Annotated[int, typer.Option(
                  min=2, metavar="N", help="Random orders for the sampled Shapley value "
                  "(n > 15 only).")] = 20_000,
              seed: Annotated[int, typer.Option(
                  metavar="S", help="Seed of the sampled Shapley value (reproducible).")] = 0,
              as_json: JsonFlag = False) -> None:
    ui = Ui("game solve", as_json=as_json)
    with ui.guard():
        from gasunion.games import Game

        ui.extra["file"] = str(game)
        g = Game.from_json(game, max_players=MAX_GAME_PLAYERS)
        with ui.status(f"solving the {g.n}-player game ..."):
            result = solve(g, samples=samples, seed=seed)
        if ui.as_json:
            ui.emit_ok(file=str(game), **result)
            return
        _print(ui, g, game, result)


def solve(g: Game, samples: int = 20_000, seed: int | None = 0) -> dict[str, Any]:
    """Every solution concept of ``g`` as JSON-ready data (the ``--json`` document's body)."""
    import numpy as np

    from gasunion.games import (
        GameError,
        core,
        nash_bargaining_game,
        nucleolus,
        shapley,
        shapley_sampled,
    )
    from gasunion.games.shapley import EXACT_MAX_PLAYERS

    notes: list[str] = []
    ci: dict[str, list[float]] | None = None
    if g.n <= EXACT_MAX_PLAYERS:
        sh = shapley(g)
        method = "exact"
    else:
        df = shapley_sampled(g, samples=samples, seed=seed)
        sh = df["value"]
        ci = {p: [float(df.at[p, "ci_low"]), float(df.at[p, "ci_high"])] for p in g.players}
        method = "sampled"
        notes.append(f"n = {g.n} > {EXACT_MAX_PLAYERS}: Shapley value sampled from {samples} "
                     f"random orders (seed {seed}), 95 % confidence intervals in shapley_ci")
    c = core(g)
    pre = c.least_core_point  # the prenucleolus
    nuc: pd.Series | None
    tol = 1e-9 * max(1.0, float(np.max(np.abs(g.values))))
    if bool(np.all(pre.to_numpy() >= g.stand_alone.to_numpy() - tol)):
        nuc = pre.rename("nucleolus")  # the minimiser over a superset lies in the imputations
    else:
        try:
            nuc = nucleolus(g)
        except GameError as exc:  # empty imputation set
            nuc = None
            notes.append(str(exc))
    try:
        nash: pd.Series | None = nash_bargaining_game(g)
    except GameError as exc:
        nash = None
        notes.append(f"Nash bargaining: {exc}")
    return {
        "players": list(g.players), "n": g.n, "grand_value": g.grand_value,
        "shapley": _d(sh), "shapley_method": method, "shapley_ci": ci,
        "nucleolus": _d(nuc), "prenucleolus": _d(c.least_core_point),
        "core_empty": c.empty, "least_core_epsilon": _r(c.least_core_epsilon),
        "core_point": _d(c.point), "stand_alone": _d(g.stand_alone),
        "nash_bargaining": _d(nash), "notes": notes,
    }


def _d(s: pd.Series | None) -> dict[str, float] | None:
    """By player, rounded to 12 significant digits (no 44.99999999999999 from the LPs)."""
    return None if s is None else {str(k): _r(v) for k, v in s.items()}


def _r(x: Any) -> float:
    return float(f"{float(x):.12g}") + 0.0


def _print(ui: Ui, g: Game, path: Path, r: dict[str, Any]) -> None:
    from gasunion.cli.render import num

    ui.line(f"{path.name}: {g.n} players, v(N) = {num(g.grand_value, '.6g')}")
    ui.print(_table(r))
    eps = r["least_core_epsilon"]
    text = num(eps, ".6g")
    if r["core_empty"]:
        ui.line(f"core: empty; least-core epsilon {text} (no allocation pays every coalition "
                f"more than its worth less {text})")
    elif eps < 0:
        ui.line(f"core: non-empty; least-core epsilon {text} (the prenucleolus pays every "
                f"coalition other than N at least {num(-eps, '.6g')} more than its worth); core point = "
                "the nucleolus")
    else:
        ui.line("core: non-empty but thin (least-core epsilon 0: some coalition gets exactly "
                "its worth at every core point); core point = the nucleolus")
    for text in r["notes"]:
        ui.line(f"note: {text}", style="dim")


def _table(r: dict[str, Any]) -> Table:
    from rich.text import Text

    from gasunion.cli.render import data_table, num

    sampled = r["shapley_method"] == "sampled"
    cols = [("stand-alone", r["stand_alone"]), ("Shapley" + ("*" if sampled else ""),
                                                r["shapley"]),
            ("nucleolus", r["nucleolus"]), ("prenucl.", r["prenucleolus"]),
            ("core point", r["core_point"]), ("Nash", r["nash_bargaining"])]
    t = data_table(caption="* sampled (n > 15)" if sampled else None)
    t.add_column("player", overflow="fold", max_width=14)
    for title, _ in cols:
        t.add_column(title, justify="right", no_wrap=True)
    for p in r["players"]:
        t.add_row(Text(p), *(num(col[p], ".6g") if col is not None else "–" for _, col in cols))
    total = {title: sum(col.values()) if col is not None else None for title, col in cols}
    t.add_row(Text("total", style="bold"),
              *(num(total[title], ".6g") if total[title] is not None else "–" for title, _ in cols))
    return t
