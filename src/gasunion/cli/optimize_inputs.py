"""The options of ``gasunion optimize`` that need parsing or a check against the network:
--periods, --outage, --coalition and the --candidates file (every bad row at once, with its
line). Each ``_check_*`` runs as soon as the network is read, before anything expensive."""

from __future__ import annotations

import csv
import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gasunion.cli._core import CliError, Ui

if TYPE_CHECKING:
    import pandas as pd

    from gasunion.network import Network

#: a check of the options against the network, run as soon as it is read (before anything
#: expensive: the dataset's capacities, the model)
Check = Callable[["Network"], None]


def parse_periods(value: str | None) -> Any:
    if value is None:
        return None
    try:
        n = int(value)
    except ValueError:
        raise CliError("bad_option", f"--periods {value}: give a whole number of daily "
                       "periods (e.g. 365)") from None
    if n < 1:
        raise CliError("bad_option", f"--periods {value}: must be at least 1")
    return n


def check_periods(n: int | None) -> Check | None:
    """--periods N against the size of the linear model (before the dataset's periods or the
    model are built): exit 2 with the largest N that fits."""
    if n is None:
        return None

    def check(net: Network) -> None:
        from gasunion.optimize._linear_data import MAX_VARIABLES, variables_per_period

        per = variables_per_period(net)
        if per * n > MAX_VARIABLES:
            raise CliError(
                "bad_option", f"--periods {n}: the linear model would have about "
                f"{per * n:,} variables ({per:,} per period), more than the limit of "
                f"{MAX_VARIABLES:,} (about 1 kB of memory each to build and solve)",
                hint=f"give at most --periods {MAX_VARIABLES // per} on this network, or "
                "split the horizon into several runs (docs/optimize/transport.md, Limits)")

    return check


def parse_outages(values: list[str] | None) -> list[tuple[str, str]]:
    out = []
    for v in values or []:
        comp, sep, eid = v.partition(":")
        if not sep or not comp or not eid:
            raise CliError("bad_option", f"--outage {v}: give COMPONENT:ID, e.g. pipes:P12")
        out.append((comp, eid))
    return out


def check_outages(outages: list[tuple[str, str]]) -> Check:
    """Every --outage names an element of the network (before the model is built)."""
    def check(net: Network) -> None:
        import difflib

        from gasunion.network.schema import BRANCHES

        allowed = (*BRANCHES, "sources", "sinks", "storages")
        for comp, eid in outages:
            if comp not in allowed:
                raise CliError("bad_option", f"--outage {comp}:{eid}: {comp!r} is not a "
                               f"component that can be out of service; give one of "
                               f"{', '.join(allowed)}")
            ids = net[comp].index.astype(str)
            if eid not in ids:
                close = difflib.get_close_matches(eid, list(ids), n=3)
                raise CliError("bad_option", f"--outage {comp}:{eid}: the network has no "
                               f"{comp} element {eid!r}"
                               + (f" (did you mean {', '.join(close)}?)" if close else ""))

    return check


def parse_coalitions(values: list[str] | None) -> list[list[str]]:
    groups = []
    for v in values or []:
        members = [m.strip() for m in v.split(",") if m.strip()]
        if not members:
            raise CliError("bad_option", f"--coalition {v!r}: give country codes or owners "
                           "separated by commas, e.g. RU,KZ,UZ")
        groups.append(members)
    return groups


def check_coalitions(groups: list[list[str]]) -> Check:
    """Every --coalition member is a country or an owner of the network (before the dataset's
    capacities, the simulation and the outages are computed)."""
    def check(net: Network) -> None:
        from gasunion.optimize import OptimizationError
        from gasunion.optimize.security import resolve_area

        for g in groups:
            try:
                resolve_area(net, g)
            except OptimizationError as exc:
                why = exc.message.removeprefix(f"coalition {', '.join(g)}: ")
                raise CliError("bad_option", f"--coalition {','.join(g)}: {why}",
                               hint=exc.hint) from None

    return check


# ------------------------------------------------------------------ expansion candidates
#: columns every candidate table needs (the others depend on the kind of candidate)
CANDIDATE_REQUIRED = ("kind", "construction_cost")


def read_candidates(path: Path) -> tuple[pd.DataFrame, list[int]]:
    """The candidate CSV as text cells, and the line number of each row in the file (the
    header is line 1; blank lines are skipped but counted). Structural problems (no header,
    a required column missing, a row with the wrong number of fields) are reported together:
    exit 2, each with its line."""
    import pandas as pd

    from gasunion.io.errors import InputFileError, read_text

    try:
        text = read_text(path)
    except InputFileError as exc:
        where = f"line {exc.line}" if exc.line else "cannot read the candidate table"
        raise CliError("bad_input", f"--candidates {path}: {where}: {exc.message}") from None
    reader = csv.reader(text.splitlines(keepends=True))
    header: list[str] | None = None
    rows: list[list[str]] = []
    lines: list[int] = []
    problems: list[dict[str, Any]] = []
    first = 1
    try:
        for rec in reader:
            line, first = first, reader.line_num + 1
            if not any(c.strip() for c in rec):
                continue
            cells = [c.strip() for c in rec]
            if header is None:
                header = cells
                continue
            if len(cells) != len(header):
                problems.append({"file": str(path), "line": line, "column": "", "explanation":
                                 f"{path} line {line}: {len(cells)} fields, the header (line 1) "
                                 f"has {len(header)}"})
                continue
            rows.append(cells)
            lines.append(line)
    except csv.Error as exc:
        raise CliError("bad_input", f"{path} line {reader.line_num}: not a CSV table: "
                       f"{exc}") from None
    if header is None:
        raise CliError("bad_input", f"--candidates {path}: the file is empty (give a header "
                       "line and one row per candidate; docs/optimize/expansion.md)")
    dup = sorted({c for c in header if header.count(c) > 1})
    missing = [c for c in CANDIDATE_REQUIRED if c not in header]
    for what, cols in (("twice", dup), ("missing", missing)):
        if cols:
            problems.insert(0, {"file": str(path), "line": 1, "column": ", ".join(cols),
                                "explanation": f"{path} line 1 (header): column(s) "
                                f"{', '.join(cols)} {what}"})
    if problems:
        raise CliError("bad_input", f"{path}: {len(problems)} problem(s) in the candidate "
                       "table", diagnosis=problems)
    return pd.DataFrame(rows, columns=header, dtype=object), lines


def cli_words(text: str, default: bool = False) -> str:
    """The Python API's ``formulation='linear'`` in the command line's words (``default``:
    no --formulation was given)."""
    text = re.sub(r"formulation='(\w+)'", r"--formulation \1", text)
    return re.sub(r"'(\w+)' is one steady state",
                  r"the default, \1, is one steady state" if default
                  else r"--formulation \1 is one steady state", text)


def check_candidates(ui: Ui, path: Path, table: pd.DataFrame, lines: list[int],
                      formulation: str | None) -> Check:
    """Every problem of the candidate table at once, each with its file, line, candidate and
    column (exit 2), before the model is built; unknown columns are a warning."""
    def check(net: Network) -> None:
        import pandas as pd

        from gasunion.optimize import OptimizationError
        from gasunion.optimize._expansion_candidates import (
            _OPTIONAL,
            CANDIDATE_COLUMNS,
            candidate_table,
            describe,
        )
        from gasunion.optimize.expansion import DEFAULT_FORMULATION, FORMULATIONS

        known = {"id", *CANDIDATE_COLUMNS, *_OPTIONAL}
        for c in table.columns:
            if c not in known:
                ui.message(f"{path} line 1: column {c!r} is not a candidate column (ignored; "
                           f"columns: id, {', '.join(CANDIDATE_COLUMNS)})", prefix="warning: ",
                           prefix_style="bold yellow")
        form = formulation or DEFAULT_FORMULATION
        try:
            candidate_table(net, table, formulation=form if form in FORMULATIONS else "linear")
        except OptimizationError as exc:
            diag = exc.diagnosis
            if not len(diag) or "row" not in diag:
                raise
            rows = []
            for r in diag.itertuples():
                line = None if pd.isna(r.row) else lines[int(r.row)]
                where = (f"{path} line {line}" if line is not None
                         else f"{ui.extra.get('file') or 'the network file'}")
                rows.append({"file": str(path) if line is not None else None, "line": line,
                             "candidate": r.candidate, "column": r.column, "value": r.value,
                             "explanation": f"{where} (candidate {r.candidate}): "
                             + cli_words(describe(r.column, r.value, r.problem),
                                          default=formulation is None)})
            raise CliError("bad_input", f"{path}: {len(rows)} problem(s) in the candidate "
                           "table", diagnosis=rows,
                           hint="columns and examples: docs/optimize/expansion.md") from None

    return check
