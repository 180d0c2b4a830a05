"""``gasunion sweep``: many scenarios of one network, or every single-element outage (N-1)."""

from __future__ import annotations

from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from gasunion.cli._core import (
    CliError,
    Command,
    IdsFlag,
    JsonFlag,
    NetworkArg,
    ScenarioOpt,
    Ui,
    app,
    plural,
)
from gasunion.cli.commands import Friction, check_nomination, load

if TYPE_CHECKING:
    import pandas as pd

    from gasunion.network import Network

OUTAGE_CHOICES = ("pipes", "compressors", "control_valves", "valves", "short_pipes",
                  "resistors", "sources", "storages")


def read_changes(path: Path, net: Network | None = None) -> pd.DataFrame:
    """CHANGES.csv in long form (``scenario,component,element,column,value``) -> the wide
    ``changes`` table of :func:`gasunion.sweep`. Bad rows (unknown component, element or
    column; a value that is not a number, or not true/false, where the column needs one;
    duplicates) are bad input naming file, line (the header is line 1) and column."""
    import pandas as pd

    from gasunion.simulation.sweep import changes_from_long

    need = ["scenario", "component", "element", "column", "value"]
    long = _read_csv(path)
    long.columns = [str(c).strip() for c in long.columns]
    missing = [c for c in need if c not in long.columns]
    if missing:
        raise CliError("bad_input", f"{path}: line 1: missing column(s) {', '.join(missing)}; "
                       f"expected the header {','.join(need)}")
    long = long[need].apply(lambda c: c.str.strip())
    long.index = pd.RangeIndex(2, len(long) + 2)
    problems = _row_problems(long, net)
    if problems:
        diag = pd.DataFrame(problems, columns=["line", "column", "problem"])
        first = problems[0]
        more = f" (and {len(problems) - 1} more, listed below)" if len(problems) > 1 else ""
        raise CliError("bad_input", f"{path}: line {first[0]}, column {first[1]}: "
                       f"{first[2]}{more}", diagnosis=diag)
    return changes_from_long(long.reset_index(drop=True))


def _read_csv(path: Path) -> pd.DataFrame:
    import io

    import pandas as pd

    from gasunion.io.errors import InputFileError, read_text

    try:
        text = read_text(path)
    except InputFileError as exc:
        where = f"line {exc.line}" if exc.line else "cannot read the changes table"
        raise CliError("bad_input", f"{path}: {where}: {exc.message}") from None
    try:
        return pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False,
                           skipinitialspace=True)
    except pd.errors.EmptyDataError:
        raise CliError("bad_input", f"{path}: line 1: the file is empty: no header line "
                       "scenario,component,element,column,value") from None
    except (pd.errors.ParserError, ValueError) as exc:
        why = str(exc).split(". C error: ")[-1]
        raise CliError("bad_input", f"{path}: not readable as CSV: {why}") from None


def _row_problems(long: pd.DataFrame, net: Network | None) -> list[tuple[int, str, str]]:
    """(line, column, problem) of every bad row, in file order."""
    import pandas as pd

    out: list[tuple[int, str, str]] = []
    key = ["scenario", "component", "element", "column"]
    dup = long.duplicated(key, keep=False)
    # the first line of each (scenario, component, element, column): what a duplicate repeats
    first_of = pd.Series(long.index, index=long.index).groupby(
        [long[c] for c in key]).transform("min")
    for line, r in long.iterrows():
        empty = [c for c in key if r[c] == ""]
        if empty:
            out.append((int(line), empty[0], f"{empty[0]} is empty"))
            continue
        if dup.at[line]:
            first = int(first_of.at[line])
            out.append((int(line), "scenario", f"{r['scenario']}: {r['component']} "
                        f"{r['element']} {r['column']} is set twice (also on line {first})"))
            continue
        if net is not None:
            problem = _cell_problem(net, r["component"], r["element"], r["column"], r["value"])
            if problem is not None:
                out.append((int(line), *problem))
    return out


def _cell_problem(net: Network, comp: str, eid: str, col: str,
                  value: str) -> tuple[str, str] | None:
    """(column, problem) if the row cannot apply to ``net``, else None."""
    import math

    import pandas as pd

    from gasunion.simulation.sweep import change_target_problem

    target = change_target_problem(net, comp, eid, col)
    if target is not None:
        if target[0] == "component":
            names = dict.fromkeys(["junctions", *net.components])
            return "component", f"{target[1]}; choose from {', '.join(names)}"
        return target
    dtype = net[comp][col].dtype
    if pd.api.types.is_bool_dtype(dtype):
        if value.lower() not in ("true", "false", "1", "0"):
            return "value", f"{comp} {eid} {col}: {value!r} is not true or false"
    elif pd.api.types.is_numeric_dtype(dtype):
        try:
            number = float(value)
        except ValueError:
            return "value", f"{comp} {eid} {col}: {value!r} is not a number"
        if math.isnan(number):
            return "value", f"{comp} {eid} {col}: {value!r} is not a number"
    return None


def _client(scheduler: str | None, workers: int | None, stack: ExitStack) -> Any:
    if scheduler is None:
        return None
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError:
        from gasunion.errors import MissingDependencyError

        raise MissingDependencyError("dask[distributed]", "sweep", "--scheduler") from None
    try:
        if scheduler == "local":
            cluster = stack.enter_context(LocalCluster(
                n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None))
            return stack.enter_context(Client(cluster))
        return stack.enter_context(Client(scheduler, timeout="10s"))
    except OSError as exc:
        raise CliError("bad_option", f"--scheduler {scheduler}: cannot connect: {exc}") from None


@app.command("sweep", cls=Command, short_help="Simulate many scenarios, or every outage (N-1).",
             help=(
    "Simulate one steady state per scenario of CHANGES.csv (long form: "
    "scenario,component,element,column,value; e.g. s1,sinks,N5,mass_flow_kg_s,42), each "
    "applied to NETWORK as given; or, with --outages, every single-element outage of those "
    "components (N-1), reporting per outage the demand cut off from every supply (unserved) "
    "and the bounds the steady state breaks. A failed scenario is recorded, never stops the "
    "sweep; the exit code is 0 when the sweep ran.\n\n"
    "With --out DIR: one Parquet table per quantity (junctions.p_bar, pipes.mass_flow_kg_s, "
    "compressors.power_mw, ...: scenario x element), summary and diagnoses (and CSV with "
    "--csv). --scheduler local runs the scenarios on a Dask LocalCluster, an address on "
    "that Dask scheduler."))
def sweep_cmd(
    network: NetworkArg,
    changes: Annotated[Path | None, typer.Argument(
        metavar="[CHANGES.csv]", help="Scenarios in long form (omit with --outages).",
        show_default=False)] = None,
    scenario: ScenarioOpt = None,
    outages: Annotated[str | None, typer.Option(
        metavar="COMPONENTS", help="Comma-separated components whose every in-service "
        f"element is taken out in turn: {', '.join(OUTAGE_CHOICES)}.")] = None,
    scheduler: Annotated[str | None, typer.Option(
        metavar="ADDRESS|local", help="Dask scheduler address, or 'local' for a LocalCluster "
        "on this machine (needs the sweep extra).")] = None,
    workers: Annotated[int | None, typer.Option(
        min=1, metavar="N", help="Workers of the local cluster (default: one per core).")] = None,
    friction: Annotated[Friction, typer.Option(help="Pipe friction law.")] = Friction.nikuradse,
    z: Annotated[str, typer.Option("--z", metavar="MODEL", help="Compressibility model "
                                   "(see gasunion simulate --help).")] = "papay",
    out: Annotated[Path | None, typer.Option(
        metavar="DIR", help="Folder for the result tables (Parquet; CSV too with --csv).")] = None,
    csv: Annotated[bool, typer.Option("--csv", help="Also write CSV tables (only CSV if "
                                      "pyarrow is not installed).")] = False,
    as_json: JsonFlag = False,
    ids: IdsFlag = False,
) -> None:
    """Simulate many scenarios of NETWORK (see the help text above)."""
    ui = Ui("sweep", as_json=as_json, ids=ids)
    with ui.guard():
        if (changes is None) == (outages is None):
            raise CliError("bad_option", "give either CHANGES.csv or --outages COMPONENTS")
        comps: tuple[str, ...] = ()
        if outages is not None:
            comps = tuple(c.strip() for c in outages.split(",") if c.strip())
            bad = [c for c in comps if c not in OUTAGE_CHOICES]
            if bad or not comps:
                raise CliError("bad_option", f"--outages: unknown component(s) {bad or outages!r}; "
                               f"choose from {', '.join(OUTAGE_CHOICES)}")
        formats = _formats(csv) if out is not None else ()
        ui.prepare_out(out)
        net = load(ui, network, scenario)
        ui.extra["network"] = net.name
        check_nomination(net, network, scenario, "sweep")
        table = read_changes(changes, net) if changes is not None else None
        with ExitStack() as stack:
            client = _client(scheduler, workers, stack)
            report, res = _run(ui, net, table, comps, friction.value, z, client)
        written = []
        if out is not None:
            with ui.status(f"writing results into {out} ..."):
                written = res.write(out, formats)
                if report is not None:
                    for fmt in formats:
                        path = out / f"outages.{fmt}"
                        (report.to_parquet(path) if fmt == "parquet" else report.to_csv(path))
                        written.append(path)
        s = res.summary
        counts = {"scenarios": len(s), "ok": int(s["ok"].sum()),
                  "failed": {k: int(v) for k, v in s.loc[~s["ok"], "error"].value_counts().items()},
                  "wall_time_s": res.meta.get("wall_time_s"), "workers": res.meta.get("workers")}
        if as_json:
            ui.emit_ok(network=net.name, file=network, counts=counts,
                       summary=s.reset_index(), outages=None if report is None
                       else report.reset_index(), written=written)
            return
        _print(ui, net, res, report, counts, ids)
        for path in written:
            ui.message(str(path), prefix="wrote ")


def _formats(csv: bool) -> tuple[str, ...]:
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        if csv:
            return ("csv",)
        from gasunion.errors import MissingDependencyError

        raise MissingDependencyError("pyarrow", "sweep", "writing Parquet tables (--out)") from None
    return ("parquet", "csv") if csv else ("parquet",)


def _run(ui: Ui, net: Network, table: pd.DataFrame | None, comps: tuple[str, ...],
         friction: str, z: str, client: Any) -> tuple[pd.DataFrame | None, Any]:
    from gasunion.simulation.outages import outage_sweep
    from gasunion.simulation.sweep import sweep

    with ExitStack() as stack:
        bar = None
        if ui.stderr.is_terminal and not ui.as_json:
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

            prog = stack.enter_context(Progress(
                "[progress.description]{task.description}", BarColumn(), MofNCompleteColumn(),
                TimeRemainingColumn(), console=ui.stderr, transient=True))
            bar = prog.add_task("scenarios", total=None)

            def progress(done: int, total: int) -> None:
                prog.update(bar, completed=done, total=total)
        else:
            progress = None  # type: ignore[assignment]
        if table is not None:
            return None, sweep(net, table, friction=friction, z=z, client=client,
                               progress=progress)
        return outage_sweep(net, comps, friction=friction, z=z, client=client,
                            progress=progress)


def _print(ui: Ui, net: Network, res: Any, report: pd.DataFrame | None,
           counts: dict[str, Any], ids: bool) -> None:
    from gasunion.cli.render import data_table, name_of, num

    failed = ", ".join(f"{v} {k}" for k, v in counts["failed"].items()) or "none"
    ui.line(f"{plural(counts['scenarios'], 'scenario')} of {net.name or 'the network'}: "
            f"{counts['ok']} with a physical steady state; failed: {failed}; "
            f"{num(counts['wall_time_s'], '.1f')} s on {plural(counts['workers'] or 1, 'worker')}")
    if report is not None:
        t = data_table("Outages, worst first (unserved: demand cut off from every supply)")
        for c, j in (("outage", "left"), ("steady state", "left"), ("unserved mcm/d", "right"),
                     ("violations", "right"), ("min p bar(a)", "right")):
            t.add_column(c, justify=j)  # type: ignore[arg-type]
        for _, r in report.head(15).iterrows():
            state = "yes" if r["ok"] else f"no ({r['error']})"
            t.add_row(name_of(net, r["component"], r["element"], ids), state,
                      num(r["unserved_mcm_d"]), num(r["n_violations"], ".0f"),
                      num(r["min_p_bar"]))
        ui.print(t)
        if len(report) > 15:
            ui.line(f"... and {len(report) - 15} more outages (all of them with --out or --json)")
        return
    s = res.summary
    pmin = res.junctions.min(axis=1)
    t = data_table("Scenarios")
    for c, j in (("scenario", "left"), ("steady state", "left"), ("iterations", "right"),
                 ("violations", "right"), ("min p bar(a)", "right")):
        t.add_column(c, justify=j)  # type: ignore[arg-type]
    for name, r in s.head(20).iterrows():
        state = "yes" if r["ok"] else f"no ({r['error']})"
        t.add_row(str(name), state, num(r["iterations"], ".0f"), num(r["n_violations"], ".0f"),
                  num(pmin.loc[name]))
    ui.print(t)
    if len(s) > 20:
        ui.line(f"... and {len(s) - 20} more scenarios (all of them with --out or --json)")
