"""What every command shares: the Typer app, the consoles, JSON output and failure handling.

A command creates a :class:`Ui` and runs its body inside :meth:`Ui.guard`, which turns any
exception into one clear message (or one JSON document with ``--json``) and the exit code of
its kind: 2 for input the user can fix, 1 for a failed computation (:func:`exit_code`).
"""

from __future__ import annotations

import csv
import json
import math
import os
import re
import sys
import tempfile
import textwrap
import warnings
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Protocol

import typer
from typer.core import TyperCommand, TyperGroup

from gasunion import __version__
from gasunion.errors import GasunionError, MissingDependencyError

if TYPE_CHECKING:
    from rich.console import Console, RenderableType
    from rich.status import Status

EXIT_OK = 0
EXIT_FAILED = 1  #: a computation failed (not converged, infeasible, internal error)
EXIT_BAD_INPUT = 2  #: bad file, invalid network, bad option value, ill-posed set-up

#: error kinds that the user can fix (exit 2); any other kind is a failed computation (exit 1)
BAD_INPUT_KINDS = frozenset({
    "bad_input",           # unreadable or malformed input file
    "bad_option",          # an option value that makes no sense
    "bad_output",          # --out / target that cannot be written
    "invalid_network",     # the network fails validation
    "setup",               # SimulationError.kind == "setup": ill-posed simulation
    "missing_dependency",  # an optional dependency is not installed
    "io_error",            # the operating system refused to read or write a file
})

REPORT_HINT = ("this is a defect in gasunion, not in your input: please report it with the "
               "command line and the input file (set GASUNION_DEBUG=1 for the traceback)")


def exit_code(kind: str) -> int:
    """2 for the kinds in :data:`BAD_INPUT_KINDS`, else 1."""
    return EXIT_BAD_INPUT if kind in BAD_INPUT_KINDS else EXIT_FAILED


def plural(n: int, word: str) -> str:
    """``plural(1, "error")`` -> ``"1 error"``, ``plural(3, "error")`` -> ``"3 errors"``."""
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


# ---------------------------------------------------------------------------------- errors
#: spans of a message that are never broken across lines, and their glue character
_QUOTED = re.compile(r"`[^`]*`|pip install '[^'\n]*'|pip install \S+|'[^'\n]*'|\"[^\"\n]*\"")
_NBSP = "\ue000"


class CliError(Exception):
    """A failure to report: ``kind`` (see :data:`BAD_INPUT_KINDS`), one-line ``message``,
    optional ``diagnosis`` rows (a DataFrame or a list of dicts) and a ``hint``.

    ``shown`` means the diagnosis was printed already (not repeated on stderr); ``silent``
    that the whole failure was (nothing more on stderr; JSON mode unaffected).
    """

    def __init__(self, kind: str, message: str, diagnosis: Any = None, hint: str | None = None,
                 shown: bool = False, summary: Mapping[str, Any] | None = None,
                 silent: bool = False) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.diagnosis = diagnosis
        self.hint = hint
        self.shown = shown
        self.summary = summary
        self.silent = silent

    @property
    def code(self) -> int:
        return exit_code(self.kind)

    def rows(self) -> list[dict[str, Any]]:
        """The diagnosis as JSON-ready rows."""
        rows = jsonable(self.diagnosis) if self.diagnosis is not None else []
        return rows if isinstance(rows, list) else [rows]

    def as_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"kind": self.kind, "message": self.message,
                             "exit_code": self.code, "diagnosis": self.rows()}
        if self.hint:
            d["hint"] = self.hint
        return d


def _instance_of(exc: BaseException, module: str, name: str) -> bool:
    """``isinstance(exc, module.name)`` without importing ``module`` (if it is not loaded, the
    exception cannot come from it)."""
    cls = getattr(sys.modules.get(module), name, None)
    return isinstance(cls, type) and isinstance(exc, cls)


#: the words before the message on stderr, by kind
_PREFIX = {
    "not_converged": "simulation failed (not converged): ",
    "infeasible": "simulation failed (infeasible): ",
    "internal": "internal error: ",
}


#: the same for the optimisation commands
_OPT_PREFIX = {
    "infeasible": "optimisation failed (infeasible): ",
    "solver": "optimisation failed (solver): ",
    "internal": "internal error: ",
}


def classify(exc: BaseException) -> CliError:
    """The :class:`CliError` for any exception raised inside a command."""
    if isinstance(exc, CliError):
        return exc
    if isinstance(exc, MissingDependencyError):  # one line with the install command, exit 2
        return CliError("missing_dependency", " ".join(str(exc).split()))
    if isinstance(exc, ModuleNotFoundError) and exc.name and not exc.name.startswith("gasunion"):
        return CliError("missing_dependency", f"a required package is not installed: {exc}")
    # any other ImportError (e.g. a name missing inside gasunion) is a defect: "internal" below
    if _instance_of(exc, "gasunion.simulation", "SimulationError"):
        kind = str(getattr(exc, "kind", "internal"))
        first = str(exc).split("\n", 1)[0].rstrip(":")
        result = getattr(exc, "result", None)
        return CliError(kind, first, diagnosis=getattr(exc, "diagnosis", None),
                        hint=REPORT_HINT if kind == "internal" else None,
                        summary=getattr(result, "summary", None))
    if _instance_of(exc, "gasunion.optimize.result", "OptimizationError"):
        kind = str(getattr(exc, "kind", "internal"))
        return CliError("bad_input" if kind == "bad_input" else kind, str(exc),
                        diagnosis=getattr(exc, "diagnosis", None),
                        hint=getattr(exc, "hint", None) or (REPORT_HINT if kind == "internal"
                                                             else None))
    if _instance_of(exc, "gasunion.network", "NetworkValidationError"):
        report = exc.report  # type: ignore[attr-defined]
        frame = report.to_frame()
        return CliError("invalid_network", f"the network is invalid ({plural(len(report.errors), 'error')})",
                        diagnosis=frame[frame["severity"] == "error"].drop(columns="severity"))
    if _instance_of(exc, "gasunion.io", "InputFileError"):
        return CliError("bad_input", str(exc))
    if _instance_of(exc, "gasunion.network", "NetworkError"):
        return CliError("invalid_network", str(exc))
    if isinstance(exc, GasunionError):
        return CliError("bad_input", str(exc))
    if isinstance(exc, OSError):
        where = f"{exc.filename}: " if exc.filename else ""
        return CliError("io_error", f"{where}{exc.strerror or exc}")
    return CliError("internal", f"{type(exc).__name__}: {exc}", hint=REPORT_HINT)


# ------------------------------------------------------------------------------------ JSON
def jsonable(o: Any) -> Any:
    """``o`` as plain JSON data: tables as lists of row dicts, NaN/inf as ``null``, numpy
    scalars as Python numbers, paths and anything else as strings."""
    if o is None or isinstance(o, bool | str):
        return o
    if isinstance(o, int):
        return o
    if isinstance(o, float):
        return o if math.isfinite(o) else None
    if isinstance(o, Mapping):
        return {str(k): jsonable(v) for k, v in o.items()}
    if isinstance(o, list | tuple | set | frozenset):
        return [jsonable(v) for v in o]
    if isinstance(o, Path):
        return str(o)
    if hasattr(o, "columns") and hasattr(o, "to_dict"):  # a DataFrame: its rows
        return [jsonable(r) for r in o.to_dict(orient="records")]
    if type(o).__name__ in ("NAType", "NaTType"):
        return None
    if hasattr(o, "item") and getattr(o, "ndim", 0) == 0:  # numpy scalar
        return jsonable(o.item())
    if hasattr(o, "tolist"):  # numpy array, pandas Series/Index
        return jsonable(o.tolist())
    return str(o)


def dumps(payload: Any) -> str:
    return json.dumps(jsonable(payload), indent=2, allow_nan=False)


# ---------------------------------------------------------------------------------- output
class StatusLine(Protocol):
    def update(self, message: str) -> None: ...


class _NoStatus:
    def update(self, message: str) -> None:
        pass


class _RichStatus:
    def __init__(self, status: Status) -> None:
        self._status = status

    def update(self, message: str) -> None:
        from rich.text import Text

        self._status.update(Text(message))


@dataclass
class Ui:
    """Output of one command: text on stdout (nothing in JSON mode), messages, progress and
    errors on stderr; JSON documents on stdout with ``as_json``."""

    command: str
    as_json: bool = False
    ids: bool = False  #: show element ids instead of their readable names
    out_dir: Path | None = None  #: the checked --out folder (failures write their diagnosis)
    extra: dict[str, Any] = field(default_factory=dict)  #: added to a JSON failure document
    stdout: Console = field(init=False, repr=False)
    stderr: Console = field(init=False, repr=False)

    def __post_init__(self) -> None:
        from rich.console import Console

        # created per command, so that the width follows the terminal (or $COLUMNS) now
        # text is printed literally: no markup (e.g. "gasunion[coolprop]"), emoji or highlighting
        self.stdout = Console(highlight=False, markup=False, emoji=False)
        self.stderr = Console(stderr=True, highlight=False, markup=False, emoji=False)

    # -- text
    def print(self, *objects: RenderableType, **kwargs: Any) -> None:
        """Print to stdout (not in JSON mode). Strings are taken literally (no markup)."""
        if not self.as_json:
            self.stdout.print(*objects, **kwargs)

    def line(self, text: str, style: str | None = None, prefix: str = "",
             prefix_style: str = "bold") -> None:
        """One literal line on stdout (wrapped to the width), with an optional styled prefix."""
        if not self.as_json:
            from rich.text import Text

            self.stdout.print(Text.assemble((prefix, prefix_style), (text, style or "")))

    def message(self, text: str, prefix: str = "", prefix_style: str = "bold") -> None:
        """A message on stderr (also in JSON mode: stderr stays free for people), wrapped at
        spaces to the terminal's width with a hanging indent; words (paths, commands in
        backquotes) are never broken."""
        from rich.text import Text

        width = max(self.stderr.width, 40)
        indent = " " * min(len(prefix), 8)
        # quoted spans (`...`, '...', "...": commands, names with spaces) stay on one line
        glued = _QUOTED.sub(lambda m: m.group(0).replace(" ", _NBSP), text)
        body = textwrap.fill(glued, width=width, initial_indent=" " * len(prefix),
                             subsequent_indent=indent, break_long_words=False,
                             break_on_hyphens=False)[len(prefix):].replace(_NBSP, " ")
        self.stderr.print(Text.assemble((prefix, prefix_style), body), soft_wrap=True)

    def explanations(self, rows: list[dict[str, Any]], limit: int = 20) -> None:
        """A diagnosis whose rows explain themselves in words: one wrapped bullet per row
        (the other columns are in ``--json`` and ``--out``)."""
        for r in rows[:limit]:
            self.message(str(r["explanation"]), prefix="  - ", prefix_style="")
        if len(rows) > limit:
            self.message(f"... and {len(rows) - limit} more (all with --json or --out)",
                         prefix="  ", prefix_style="")

    def emit(self, doc: Mapping[str, Any]) -> None:
        """Write one JSON document on stdout."""
        sys.stdout.write(dumps(doc) + "\n")
        sys.stdout.flush()

    def emit_ok(self, **payload: Any) -> None:
        """The JSON document of a success: ``{"ok": true, "command": ..., **payload}``."""
        self.emit({"ok": True, "command": self.command, **payload})

    @contextmanager
    def status(self, message: str) -> Iterator[StatusLine]:
        """A spinner with ``message`` on stderr while the block runs (terminals only)."""
        if not self.stderr.is_terminal:
            yield _NoStatus()
            return
        from rich.text import Text

        with self.stderr.status(Text(message), spinner="dots") as st:
            yield _RichStatus(st)

    # -- files
    def prepare_out(self, out: Path | None) -> None:
        """Check (and create) the ``--out`` folder before anything is computed."""
        if out is None:
            return
        if out.exists() and not out.is_dir():
            raise CliError("bad_output", f"--out {out}: exists and is not a folder (give a folder; "
                           "it is created if missing)")
        try:
            out.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile(dir=out, prefix=".gasunion-write-test-"):
                pass
        except OSError as exc:
            raise CliError("bad_output", f"--out {out}: cannot write into this folder: "
                           f"{exc.strerror or exc}") from None
        self.out_dir = out

    def _write_failure(self, err: CliError) -> list[Path]:
        """``summary.json`` (ok = false, the error) and ``diagnosis.csv`` in the --out folder."""
        assert self.out_dir is not None
        rows = err.rows()
        written = []
        try:
            path = self.out_dir / "diagnosis.csv"
            columns = list(dict.fromkeys(k for r in rows for k in r)) or ["kind", "message"]
            with path.open("w", newline="", encoding="utf-8") as fh:
                w = csv.DictWriter(fh, fieldnames=columns)
                w.writeheader()
                w.writerows(rows or [{"kind": err.kind, "message": err.message}])
            written.append(path)
            path = self.out_dir / "summary.json"
            doc: dict[str, Any] = {"ok": False, "command": self.command, "error": err.as_dict()}
            if err.summary is not None:
                doc["summary"] = err.summary
            path.write_text(dumps(doc) + "\n", encoding="utf-8")
            written.append(path)
        except OSError as exc:  # pragma: no cover - the folder was writable a moment ago
            self.message(f"could not write the diagnosis into {self.out_dir}: {exc.strerror}",
                         prefix="warning: ", prefix_style="bold yellow")
        return written

    # -- failures
    def fail(self, err: CliError) -> None:
        """Report ``err``: one JSON document, or a message (+ diagnosis, hint) on stderr."""
        written = self._write_failure(err) if self.out_dir is not None else []
        if self.as_json:
            doc: dict[str, Any] = {"ok": False, "command": self.command, **self.extra,
                                   "error": err.as_dict()}
            if err.summary is not None:
                doc["summary"] = err.summary
            if written:
                doc["written"] = written
            self.emit(doc)
            return
        if err.silent:
            return
        prefix = _PREFIX.get(err.kind, "error: ")
        if self.command.startswith("optimize"):
            prefix = _OPT_PREFIX.get(err.kind, prefix)
        self.message(err.message, prefix=prefix, prefix_style="bold red")
        if err.diagnosis is not None and not err.shown:
            from gasunion.cli.render import records_table

            rows = err.rows()
            if rows and all(r.get("explanation") for r in rows):
                self.explanations(rows)
            elif rows:
                self.stderr.print(records_table(rows, limit=20))
        if err.hint:
            self.message(err.hint, prefix="hint: ", prefix_style="bold")
        for path in written:
            self.message(str(path), prefix="wrote ")

    def _show_warning(self, message: Warning | str, category: type[Warning], filename: str,
                      lineno: int, file: Any = None, line: str | None = None) -> None:
        """Python warnings (e.g. a model outside its validity range) as one line on stderr."""
        self.message(" ".join(str(message).split()), prefix="warning: ",
                     prefix_style="bold yellow")

    @contextmanager
    def guard(self) -> Iterator[None]:
        """Run a command body: any exception becomes :meth:`fail` and ``typer.Exit(code)``;
        warnings are printed as ``warning: ...`` lines on stderr."""
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("default")
                warnings.showwarning = self._show_warning
                yield
        except (typer.Exit, typer.Abort, KeyboardInterrupt):
            raise
        except Exception as exc:
            if os.environ.get("GASUNION_DEBUG") and not isinstance(exc, CliError):
                raise
            err = classify(exc)
            self.fail(err)
            raise typer.Exit(err.code) from None


# ------------------------------------------------------------------------------------- app
def _plain_flags(params: list[Any]) -> list[Any]:
    for p in params:
        if getattr(p, "is_flag", False) and p.metavar is None:
            p.metavar = ""  # the help shows "--json", not "--json <bool>"
    return params


class Command(TyperCommand):
    """Boolean flags shown as plain flags in the help (no ``<bool>`` type column)."""

    def get_params(self, ctx: Any) -> list[Any]:
        return _plain_flags(list(super().get_params(ctx)))


class Group(TyperGroup):
    """The ``gasunion`` group: flags as plain flags, and with ``--json`` anywhere on the
    command line even option/usage errors come out as one JSON document (exit 2)."""

    def get_params(self, ctx: Any) -> list[Any]:
        return _plain_flags(list(super().get_params(ctx)))

    def main(self, args: Sequence[str] | None = None, prog_name: str | None = None,
             complete_var: str | None = None, standalone_mode: bool = True,
             windows_expand_args: bool = True, **extra: Any) -> Any:
        argv = list(sys.argv[1:] if args is None else args)
        extra["windows_expand_args"] = windows_expand_args
        if "--json" not in argv:
            return super().main(argv, prog_name, complete_var, standalone_mode, **extra)
        try:
            rv = super().main(argv, prog_name, complete_var, False, **extra)
        except typer.Abort:
            rv = EXIT_FAILED
        except Exception as exc:
            if not (hasattr(exc, "format_message") and hasattr(exc, "exit_code")):
                raise  # not a click usage/parameter error
            command = next((a for a in argv if not a.startswith("-")), "")
            # the resolved command ("optimize transport"): the names of the contexts below
            # the program's (which is "python -m gasunion.cli" when run so)
            names, ctx = [], getattr(exc, "ctx", None)
            while ctx is not None and ctx.parent is not None:
                names.append(str(ctx.info_name))
                ctx = ctx.parent
            command = " ".join(reversed(names)) or command
            sys.stdout.write(dumps({"ok": False, "command": command, "error": CliError(
                "bad_option", exc.format_message()).as_dict()}) + "\n")
            rv = EXIT_BAD_INPUT
        code = rv if isinstance(rv, int) else EXIT_OK
        if not standalone_mode:
            return code
        sys.exit(code)


app = typer.Typer(
    name="gasunion",
    help="Gas transport networks: read, validate, convert and simulate (steady state). "
         "Pressures are absolute, in bar(a); flows in kg/s, mcm/d (million standard m3 per day) "
         "or bcm/y.\n\nExit codes: 0 success, 2 bad input (file, network, option value, "
         "set-up), 1 failed computation (not converged, infeasible, internal error). Add --json "
         "to any command for one JSON document on stdout.",
    cls=Group,
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _print_version(value: bool) -> None:
    if value:
        sys.stdout.write(f"gasunion {__version__}\n")
        raise typer.Exit(EXIT_OK)


@app.callback()
def _root(
    version: Annotated[bool, typer.Option("--version", help="Print the version and exit.",
                                          callback=_print_version, is_eager=True)] = False,
) -> None:
    """The group's options (--version); the help text is the app's."""


# options shared by several commands
JsonFlag = Annotated[bool, typer.Option(
    "--json", help="Print one JSON document on stdout (also on failure); messages go to "
    "stderr.")]
IdsFlag = Annotated[bool, typer.Option(
    "--ids", help="Show element ids instead of their readable names.")]
ScenarioOpt = Annotated[Path | None, typer.Option(
    "--scenario", "-s", metavar="FILE.scn",
    help="GasLib scenario (nomination): supplies, demands and pressure bounds.")]
NetworkArg = Annotated[Path, typer.Argument(
    metavar="NETWORK", help="Network file: GasLib .net, matgas .m, gasunion .json or "
    "pandapipes .json.", show_default=False)]
