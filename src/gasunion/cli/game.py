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

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from gasunion.cli._core import EXIT_BAD_INPUT, CliError, Command, Group, JsonFlag, Ui, app

if TYPE_CHECKING:
    import pandas as pd
    from rich.console import RenderableType

    from gasunion.games import Game


class GameGroup(Group):
    """The ``game`` group: with ``--json`` an option error of a command (``--samples 1``)
    is one JSON document naming that command (``"command": "game solve"``), exit 2."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        ctx.meta["gasunion.game.json"] = "--json" in args
        return list(super().parse_args(ctx, args))

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except (typer.Exit, typer.Abort):
            raise
        except Exception as exc:
            # a usage or parameter error (typer's click); the commands' own errors are
            # reported inside them (Ui.guard)
            message = getattr(exc, "format_message", None)
            if not (callable(message) and hasattr(exc, "exit_code")
                    and ctx.meta.get("gasunion.game.json")):
                raise
            name = " ".join(n for n in (ctx.info_name or "game", ctx.invoked_subcommand) if n)
            Ui(name, as_json=True).fail(CliError("bad_option", str(message())))
            raise typer.Exit(EXIT_BAD_INPUT) from None


game_app = typer.Typer(
    cls=GameGroup, no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False,
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
            ui.emit_ok(**no_negative_zero({"file": str(game), **result}))
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


def no_negative_zero(o: Any) -> Any:
    """``o`` (JSON-ready data) with every ``-0.0`` as ``0.0``."""
    if isinstance(o, float):
        return o + 0.0
    if isinstance(o, dict):
        return {k: no_negative_zero(v) for k, v in o.items()}
    if isinstance(o, list | tuple):
        return [no_negative_zero(v) for v in o]
    return o


def _d(s: pd.Series | None) -> dict[str, float] | None:
    """By player, rounded to 12 significant digits (no 44.99999999999999 from the LPs)."""
    return None if s is None else {str(k): _r(v) for k, v in s.items()}


def _r(x: Any) -> float:
    return float(f"{float(x):.12g}") + 0.0


def _print(ui: Ui, g: Game, path: Path, r: dict[str, Any]) -> None:
    fmt = NumberFormat.of(_numbers(r))
    ui.line(f"{path.name}: {g.n} players, v(N) = {fmt.exact(g.grand_value)}")
    for part in _table(r, fmt, ui.stdout.width):
        ui.print(part)
    eps = r["least_core_epsilon"]
    text = fmt.exact(eps)
    if r["core_empty"]:
        ui.line(f"core: empty; least-core epsilon {text} (no allocation pays every coalition "
                f"more than its worth less {text})")
    elif eps < 0:
        ui.line(f"core: non-empty; least-core epsilon {text} (the prenucleolus pays every "
                f"coalition other than N at least {fmt.exact(-eps)} more than its worth); "
                "core point = the nucleolus")
    else:
        ui.line("core: non-empty but thin (least-core epsilon 0: some coalition gets exactly "
                "its worth at every core point); core point = the nucleolus")
    for text in r["notes"]:
        ui.line(f"note: {text}", style="dim")


def _numbers(r: dict[str, Any]) -> list[float]:
    """Every number of the solve table (the format is common to all of them)."""
    out = [float(r["grand_value"])]
    for key in ("stand_alone", "shapley", "nucleolus", "prenucleolus", "core_point",
                "nash_bargaining"):
        if r.get(key):
            out += [float(v) for v in r[key].values()]
    return out


def _table(r: dict[str, Any], fmt: NumberFormat, width: int = 80) -> list[RenderableType]:
    sampled = r["shapley_method"] == "sampled"
    cols = [("stand-\nalone", r["stand_alone"]), ("Shapley" + ("*" if sampled else ""),
                                                  r["shapley"]),
            ("nucleolus", r["nucleolus"]), ("prenucl.", r["prenucleolus"]),
            ("core\npoint", r["core_point"]), ("Nash", r["nash_bargaining"])]
    players = list(r["players"])
    columns = [(head, [col[p] if col is not None else None for p in players])
               for head, col in cols]
    notes = [fmt.caption(None), "* sampled (n > 15)" if sampled else "",
             "exact values: --json"]
    return player_table(players, columns, fmt, width=width, total=True,
                        caption="; ".join(n for n in notes if n))


# ------------------------------------------------------------------ tables of players
#: the words of the scales of a table's numbers
_SCALE_WORDS = {1e3: "thousand", 1e6: "million", 1e9: "billion", 1e12: "trillion",
                1e15: "quadrillion"}
DASH = "–"  #: a value that does not exist (e.g. the nucleolus of an empty imputation set)
_GAP = 2  #: characters between two columns of a data_table (padding + rule)


@dataclass(frozen=True)
class NumberFormat:
    """One format for all the numbers of a table: a common scale (thousands, millions, ...)
    below which the largest value has at most 5 digits before the point, and the decimals
    for ``digits`` significant digits of the largest value (at most 6 decimals). Numbers
    that round to zero print as ``0.0``, never ``-0.0``."""

    factor: float = 1.0
    top: float = 0.0  #: the largest |value| in the scale
    digits: int = 6

    @classmethod
    def of(cls, values: Iterable[Any], digits: int = 6) -> NumberFormat:
        finite = [abs(float(v)) for v in values
                  if v is not None and math.isfinite(float(v))]
        m = max(finite, default=0.0)
        factor = 1.0
        while m / factor >= 99_999.5 and factor < 1e15:
            factor *= 1e3
        return cls(factor, m / factor, digits)

    @property
    def decimals(self) -> int:
        if self.top == 0:
            return 1
        return min(6, max(0, self.digits - 1 - math.floor(math.log10(self.top))))

    def with_digits(self, digits: int) -> NumberFormat:
        return replace(self, digits=digits)

    @property
    def word(self) -> str:
        """``"million"`` (the scale), ``""`` unscaled."""
        return _SCALE_WORDS.get(self.factor, f"x {self.factor:g}")

    def __call__(self, x: Any) -> str:
        """``x`` scaled and rounded (``–`` if missing or not finite)."""
        try:
            v = float(x) / self.factor
        except (TypeError, ValueError):
            return DASH
        if not math.isfinite(v):
            return DASH
        text = f"{v:.{self.decimals}f}"
        return text.lstrip("-") if float(text) == 0 else text

    def exact(self, x: Any, unit: str | None = None) -> str:
        """``x`` to 6 significant digits in the table's scale, with the scaled ``unit`` (or
        the scale's word: ``"4550 million"``)."""
        v = float(x) / self.factor
        text = f"{v + 0.0:.6g}"
        if float(text) == 0:
            return "0"
        if unit is not None:
            return f"{text} {self.unit(unit)}"
        return f"{text} {self.word}" if self.factor != 1 else text

    def unit(self, unit: str | None) -> str:
        """The unit of the table's numbers: ``unit`` with the scale (``"million USD per
        year"`` x thousand = ``"billion USD per year"``)."""
        if self.factor == 1:
            return unit or ""
        if unit is None:
            return f"{self.word}s"
        for factor, word in _SCALE_WORDS.items():
            if unit.startswith(word + " ") and factor * self.factor in _SCALE_WORDS:
                return f"{_SCALE_WORDS[factor * self.factor]} {unit[len(word) + 1:]}"
        return f"{self.word} {unit}"

    def caption(self, unit: str | None) -> str:
        """``"values in millions"`` (or in the scaled unit); ``""`` unscaled without unit."""
        text = self.unit(unit)
        return f"values in {text}" if text else ""


def player_table(players: Sequence[str], columns: Sequence[tuple[str, Sequence[Any]]],
                 fmt: NumberFormat, *, width: int = 80, title: str | None = None,
                 caption: str | None = None, total: bool = False) -> list[RenderableType]:
    """Players x numeric columns in ``width`` characters, as the renderables to print.

    Numbers are never cut (``fmt``: a common scale and precision) and names never broken
    inside a word: a name wraps at spaces in its own column. If the names' longest word does
    not fit beside the numbers, the rows are labelled P1, P2, ... with a legend below; if
    the numbers alone do not fit, every player gets a block of its own (one line per
    column). ``columns``: (header, one value per player; ``None`` for none); a header may
    break its line at ``\n``. ``total``: a last row with the column sums.
    """
    from rich.table import Table
    from rich.text import Text

    from gasunion.cli.render import data_table

    rows = [list(values) for _, values in columns]
    if total:
        for values in rows:
            values.append(None if any(v is None for v in values) else sum(values))
    heads = [h for h, _ in columns]
    names = [str(p) for p in players]
    longest = max((len(p) for p in names), default=1)
    word = max((len(w) for p in names for w in p.split()), default=1)
    head = "player"
    least = max(len(head), len("total") if total else 1)
    labels: list[str] | None = None
    tried: list[tuple[list[list[str]], list[int], int]] = []
    for digits in range(fmt.digits, min(fmt.digits, 4) - 1, -1):
        f = fmt.with_digits(digits)
        cells = [_trim([f(v) for v in values]) for values in rows]
        widths = [max(*(len(line) for line in h.split("\n")), *(len(c) for c in col))
                  for h, col in zip(heads, cells, strict=True)]
        tried.append((cells, widths, width - sum(widths) - _GAP * len(widths)))
    # names beside the numbers, never a word broken: the most digits with which no name
    # needs more than two lines, else the most room if three lines do
    fits = [c for c in tried if word <= c[2] and least <= c[2]]
    short = [c for c in fits if max(_lines(p, c[2]) for p in names) <= 2]
    fits = [c for c in fits if max(_lines(p, c[2]) for p in names) <= 3]
    if short or fits:
        cells, widths, room = short[0] if short else max(fits, key=lambda c: c[2])
        name_width = max(least, min(longest, room))
    else:
        roomy = [c for c in tried if c[2] >= least]
        if not roomy:
            return _blocks(names, heads, tried[0][0], title, caption, total)
        cells, widths, room = roomy[0]
        labels = [f"P{i}" for i in range(1, len(names) + 1)]
        name_width = least
    # with labels the legend comes before the caption
    t = data_table(title, (caption or None) if labels is None else None)
    t.add_column(head, width=name_width, overflow="fold")
    for h, w in zip(heads, widths, strict=True):
        t.add_column(h, justify="right", no_wrap=True, width=w)
    shown = labels if labels is not None else names
    for i, p in enumerate(shown):
        t.add_row(Text(p), *(col[i] for col in cells))
    if total:
        t.add_row(Text("total", style="bold"), *(col[-1] for col in cells))
    if labels is None:
        return [t]
    legend = Table.grid(padding=(0, 1, 0, 0))
    legend.add_column(no_wrap=True)
    legend.add_column(overflow="fold")
    for lab, name in zip(labels, names, strict=True):
        legend.add_row(lab, name)
    return [t, legend, *([Text(caption, style="dim")] if caption else [])]


def _trim(cells: list[str]) -> list[str]:
    """A column's numbers without the trailing zeros they all have (``45.000`` -> ``45``)."""
    nums = [c for c in cells if c != DASH]
    if not nums or not all("." in c for c in nums):
        return cells
    cut = min(len(c) - len(c.rstrip("0")) for c in nums)
    if cut == 0:
        return cells
    if all(len(c.rstrip("0")) == c.index(".") + 1 for c in nums):  # all whole numbers
        cut = max(cut, min(len(c) - c.index(".") for c in nums))
    return [c if c == DASH else c[:len(c) - cut].rstrip(".") for c in cells]


def _lines(text: str, width: int) -> int:
    """The lines ``text`` takes when wrapped at spaces to ``width`` (long words: 1 each)."""
    lines, used = 1, -1
    for w in text.split():
        if used >= 0 and used + 1 + len(w) > width:
            lines, used = lines + 1, -1
        used = len(w) if used < 0 else used + 1 + len(w)
    return lines


def _blocks(names: list[str], heads: list[str], cells: list[list[str]], title: str | None,
            caption: str | None, total: bool) -> list[RenderableType]:
    """The vertical layout: per player its name, then one line per column."""
    from rich.padding import Padding
    from rich.table import Table
    from rich.text import Text

    out: list[RenderableType] = []
    if title:
        out.append(Text(title, style="bold"))
    flat = [h.replace("-\n", "-").replace("\n", " ") for h in heads]
    for i, name in enumerate([*names, *(["total"] if total else [])]):
        out.append(Text(name, style="bold"))
        grid = Table.grid(padding=(0, 2, 0, 0))
        grid.add_column(no_wrap=True)
        grid.add_column(justify="right", no_wrap=True)
        for h, col in zip(flat, cells, strict=True):
            grid.add_row(h, col[i])
        out.append(Padding(grid, (0, 0, 0, 2)))
    if caption:
        out.append(Text(caption, style="dim"))
    return out
