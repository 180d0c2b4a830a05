"""Cooperative games with transferable utility (TU games) and their solution concepts.

* :class:`Game` — a characteristic function over named players (``"A+B"`` coalition keys),
  read from dicts or JSON files (:meth:`Game.from_json`);
* :func:`shapley` (exact, n <= 15) and :func:`shapley_sampled` (permutation sampling with
  confidence intervals);
* :func:`nucleolus` and :func:`prenucleolus` (exact, sequential LPs with HiGHS);
* :func:`core` (emptiness, a core point, the least-core epsilon) and :func:`in_core` (the
  most blocking coalition of an allocation);
* :func:`nash_bargaining` (weighted, TU closed form) and :func:`gain_game` (the union's gain
  over stand-alone values).

Every allocation is a pandas Series indexed by player, in the unit of the game's values.
"""

from gasunion.games.bargaining import gain_game, nash_bargaining, nash_bargaining_game
from gasunion.games.core import CoreResult, core, in_core
from gasunion.games.nucleolus import nucleolus, prenucleolus
from gasunion.games.shapley import shapley, shapley_sampled
from gasunion.games.tu import Game, GameError

__all__ = ["CoreResult", "Game", "GameError", "core", "gain_game", "in_core", "nash_bargaining",
           "nash_bargaining_game", "nucleolus", "prenucleolus", "shapley", "shapley_sampled"]
