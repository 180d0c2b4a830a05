"""``gasunion simulate``, ``info``, ``validate`` and ``convert``."""

from __future__ import annotations

import math
import time
from enum import StrEnum
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

if TYPE_CHECKING:
    from gasunion.network import Network, ValidationReport
    from gasunion.simulation import SimulationResult


class Friction(StrEnum):
    nikuradse = "nikuradse"
    colebrook = "colebrook"
    hofer = "hofer"
    weymouth = "weymouth"
    stanet_nikuradse = "stanet_nikuradse"
    stanet_colebrook = "stanet_colebrook"


# ------------------------------------------------------------------------------ shared steps
def load(ui: Ui, path: Path, scenario: Path | None = None) -> Network:
    """Read a network file (a spinner on stderr meanwhile)."""
    with ui.status(f"reading {path.name} ..."):
        from gasunion.io import read
        from gasunion.network import NetworkError

        try:
            return read(path, scenario=scenario)
        except NetworkError as exc:
            raise CliError("invalid_network", f"{path}: {exc}") from None


def check_nomination(net: Network, path: Path, scenario: Path | None,
                     command: str = "simulate") -> None:
    """A GasLib network read without a scenario has no demands: nothing to simulate (the hint
    shows ``gasunion <command> ...``)."""
    if net.meta.get("format") != "GasLib XML" or scenario is not None:
        return
    flows = [net[c]["mass_flow_kg_s"].to_numpy(float) for c in ("sources", "sinks", "storages")
             if len(net[c]) and "mass_flow_kg_s" in net[c].columns]
    if any(math.isfinite(v) for f in flows for v in f):
        return
    guess = path.with_suffix(".scn")
    hint = (f"e.g. gasunion {command} {path} --scenario {guess}" if guess.exists() else
            "GasLib ships one or more .scn files per network")
    raise CliError("setup", f"{path.name} has no nomination (GasLib .net files carry no supplies or "
                   "demands): pass --scenario FILE.scn", hint=hint)


def run_simulation(ui: Ui, net: Network, friction: str, z: str, max_iter: int) -> SimulationResult:
    """Validate and simulate ``net``; the spinner shows the Newton iteration and residual."""
    t0 = time.perf_counter()
    label = net.name or "network"
    with ui.status(f"simulating {label}: validating and building the model ...") as status:
        from gasunion.simulation import simulate

        def progress(iteration: int, residual: float) -> None:
            status.update(f"simulating {label}: Newton iteration {iteration}, scaled residual "
                          f"{residual:.1e}")

        def z_progress(done: float) -> None:
            status.update(f"simulating {label}: tabulating the compressibility ({z}) "
                          f"{100 * done:.0f} %")

        res = simulate(net, friction=friction, z=z, max_iter=max_iter, progress=progress,
                       z_progress=z_progress)
    res.summary["wall_time_s"] = time.perf_counter() - t0
    return res


def _validation_frame(report: ValidationReport, severity: str | None = None) -> Any:
    frame = report.to_frame()
    return frame if severity is None else frame[frame["severity"] == severity].drop(columns="severity")


def _invalid(path: Path, report: ValidationReport, what: str = "", shown: bool = False,
             hint: bool = True, silent: bool = False) -> CliError:
    """The failure of an invalid network, with its errors as the diagnosis."""
    counts = f"{plural(len(report.errors), 'error')}, {plural(len(report.warnings), 'warning')}"
    return CliError("invalid_network", f"{path.name} is an invalid network ({counts}){what}",
                    diagnosis=_validation_frame(report, "error"), shown=shown, silent=silent,
                    hint=f"every problem: gasunion validate {path}" if hint and not shown else None)


# ---------------------------------------------------------------------------------- simulate
@app.command("simulate", cls=Command, short_help="Simulate the steady state of a network.", help=(
    "Simulate the steady state of NETWORK and print the summary: convergence, supply (kg/s, "
    "mcm/d), pressure extremes (bar(a)), compressor power (MW) and any violated bound.\n\n"
    "Exit code 2 for bad input (file, network, option, a GasLib network without --scenario), "
    "1 if the simulation fails (not converged, infeasible), with its diagnosis."))
def simulate_cmd(
    network: NetworkArg,
    scenario: ScenarioOpt = None,
    friction: Annotated[Friction, typer.Option(help="Pipe friction law.")] = Friction.nikuradse,
    z: Annotated[str, typer.Option(
        "--z", metavar="MODEL", help="Compressibility (real-gas factor) model: ideal, papay, "
        "aga_linear, aga8 (AGA-8 DETAIL, needs the gas composition), sgerg88 or gerg2008 (needs "
        "the coolprop extra). An unknown name: exit code 2.")] = "papay",
    max_iter: Annotated[int, typer.Option("--max-iter", min=1, metavar="N",
                                          help="Newton iteration limit.")] = 60,
    out: Annotated[Path | None, typer.Option(
        metavar="DIR", help="Folder for the result tables (CSV) and summary.json; on failure "
        "diagnosis.csv and summary.json (ok = false). Created if missing; checked before "
        "anything is computed.")] = None,
    as_json: JsonFlag = False,
    ids: IdsFlag = False,
) -> None:
    """Simulate the steady state of NETWORK (see the help text above)."""
    ui = Ui("simulate", as_json=as_json, ids=ids)
    with ui.guard():
        ui.prepare_out(out)
        net = load(ui, network, scenario)
        ui.extra["network"] = net.name
        check_nomination(net, network, scenario)
        res = run_simulation(ui, net, friction.value, z, max_iter)
        written = []
        if out is not None:
            from gasunion.cli.render import write_results

            with ui.status(f"writing results into {out} ..."):
                written = write_results(res, out)
        if as_json:
            ui.emit_ok(network=net.name, file=network, summary=res.summary,
                       violations=res.violations, written=written)
            return
        from gasunion.cli.render import summary_table, violations_table

        ui.print(summary_table(net, res, ids))
        for a in res.summary.get("assumptions", []):
            ui.line(a, prefix="assumption: ", prefix_style="yellow")
        if len(res.violations):
            ui.print()
            ui.print(violations_table(net, res.violations, ids))
        for path in written:
            ui.message(str(path), prefix="wrote ")


# -------------------------------------------------------------------------------------- info
def _info(net: Network, ids: bool) -> dict[str, Any]:
    import pandas as pd

    from gasunion.cli.render import name_of

    g = net.gas
    frames = [df["owner"] for _, df in net.iter_components() if "owner" in df.columns]
    owners = pd.concat(frames) if frames else pd.Series(dtype=str)
    bp = net.border_points()
    border = [{"component": r["component"], "id": eid,
               "name": name_of(net, r["component"], eid, ids),
               "from_country": r["from_country"], "to_country": r["to_country"]}
              for eid, r in bp.iterrows()]
    return {
        "network": net.name,
        "counts": net.counts(),
        "gas": {"molar_mass_kg_kmol": g.molar_mass_kg_kmol, "temperature_k": g.temperature_k,
                "norm_density_kg_m3": g.rho_n, "calorific_value_mj_m3": g.calorific_value_mj_m3,
                "volume_reference_c": g.volume_reference_k - 273.15},
        "owners": sorted(set(owners[owners != ""])),
        "border_points": border,
        "assumptions": list(net.meta.get("assumptions", [])),
    }


@app.command("info", cls=Command, short_help="What a network contains, and whether it is valid.",
             help="Show what NETWORK contains: element counts, gas, owners, border points, and "
             "whether it is valid. An invalid network: its errors and exit code 2.")
def info_cmd(
    network: NetworkArg,
    scenario: ScenarioOpt = None,
    as_json: JsonFlag = False,
    ids: IdsFlag = False,
) -> None:
    """Show what NETWORK contains (see the help text above)."""
    ui = Ui("info", as_json=as_json, ids=ids)
    with ui.guard():
        net = load(ui, network, scenario)
        info = _info(net, ids)
        with ui.status("validating ..."):
            report = net.validate()
        validation = {"errors": len(report.errors), "warnings": len(report.warnings)}
        if as_json:
            if report.errors:
                ui.extra.update(info, validation=validation)
                raise _invalid(network, report)
            ui.emit_ok(file=network, **info, validation=validation)
            return
        _print_info(ui, network, info)
        counts = f"{plural(validation['errors'], 'error')}, {plural(validation['warnings'], 'warning')}"
        if not report.errors:
            more = f" (list: gasunion validate {network})" if report.warnings else ""
            ui.line(f"{counts}{more}", prefix="validation: ")
            return
        ui.line(counts, prefix="validation: ", style="red")
        _print_issues(ui, report, warnings=False)
        raise _invalid(network, report, shown=True)


def _print_info(ui: Ui, path: Path, info: dict[str, Any]) -> None:
    from gasunion.cli.render import data_table, num

    ui.line(f"{info['network'] or path.name} ({path.name})", style="bold")
    t = data_table()
    t.add_column("component")
    t.add_column("count", justify="right")
    for comp, n in info["counts"].items():
        t.add_row(comp, str(n))
    ui.print(t)
    g = info["gas"]
    ui.line(f"M = {num(g['molar_mass_kg_kmol'], '.4g')} kg/kmol, T = {num(g['temperature_k'])} K; "
            f"density {num(g['norm_density_kg_m3'], '.4g')} kg/m3 and H_s = "
            f"{num(g['calorific_value_mj_m3'], '.4g')} MJ/m3 at {g['volume_reference_c']:g} degC, "
            "1.01325 bar(a)", prefix="gas: ")
    if info["owners"]:
        ui.line(", ".join(info["owners"]), prefix="owners: ")
    if info["border_points"]:
        t = data_table(f"{len(info['border_points'])} border point(s)")
        t.add_column("element", overflow="fold")
        t.add_column("component")
        t.add_column("countries", no_wrap=True)
        for b in info["border_points"]:
            same = b["from_country"] == b["to_country"]  # a border junction: its country
            t.add_row(b["name"], b["component"],
                      b["from_country"] if same else f"{b['from_country']} -> {b['to_country']}")
        ui.print(t)
    for a in info["assumptions"]:
        ui.line(a, prefix="assumption: ", prefix_style="yellow")


def _print_issues(ui: Ui, report: ValidationReport, warnings: bool = True) -> None:
    """Errors first, then warnings (if asked), one per line."""
    for issue in report.errors:
        ui.line(str(issue), style="red")
    if warnings:
        for issue in report.warnings:
            ui.line(str(issue), style="yellow")


# ---------------------------------------------------------------------------------- validate
@app.command("validate", cls=Command, short_help="List every problem of a network.",
             help="Check NETWORK and list every problem: errors first, then warnings, then "
             "their counts. Exit code 2 if there is an error.")
def validate_cmd(
    network: NetworkArg,
    scenario: ScenarioOpt = None,
    as_json: JsonFlag = False,
) -> None:
    """Check NETWORK and list every problem (see the help text above)."""
    ui = Ui("validate", as_json=as_json)
    with ui.guard():
        net = load(ui, network, scenario)
        with ui.status("validating ..."):
            report = net.validate()
        errors, warnings = len(report.errors), len(report.warnings)
        if as_json:
            ui.extra.update(network=net.name, n_errors=errors, n_warnings=warnings,
                            warnings=_validation_frame(report, "warning"))
            if errors:
                raise _invalid(network, report, hint=False)
            ui.emit_ok(file=network, network=net.name, n_errors=0, n_warnings=warnings,
                       errors=[], warnings=_validation_frame(report, "warning"))
            return
        _print_issues(ui, report)
        counts = f"{plural(errors, 'error')}, {plural(warnings, 'warning')}"
        if errors:
            ui.line(counts, prefix="invalid: ", prefix_style="bold red")
            raise _invalid(network, report, silent=True)
        ui.line(f"{net.name or network.name} ({counts})", prefix="valid: ", prefix_style="bold green")


# ----------------------------------------------------------------------------------- convert
@app.command("convert", cls=Command,
             short_help="Convert a network to .json, .geojson or GasLib .net.",
             help="Convert a network between formats, chosen by the suffix of TARGET: .json "
             "(gasunion, lossless), .geojson (GIS) or .net (GasLib XML, with a .scn nomination "
             "beside it; what GasLib cannot hold is listed in docs/format.md: with "
             "--drop-unsupported it is dropped with a warning, else refused). An invalid network "
             "is refused (exit code 2); gasunion validate lists its problems.")
def convert_cmd(
    source: Annotated[Path, typer.Argument(metavar="SOURCE", show_default=False,
                                           help="Input network (.net, .m, .json).")],
    target: Annotated[Path, typer.Argument(metavar="TARGET", show_default=False,
                                           help="Output: .json (gasunion, lossless), .geojson "
                                           "(GIS) or .net (GasLib).")],
    scenario: ScenarioOpt = None,
    drop_unsupported: Annotated[bool, typer.Option(
        "--drop-unsupported", help="GasLib output: drop what the format cannot hold (owners, "
        "countries, fixed friction factors, ...) with a warning instead of refusing.")] = False,
    as_json: JsonFlag = False,
) -> None:
    """Convert a network between formats (see the help text above)."""
    ui = Ui("convert", as_json=as_json)
    with ui.guard():
        if target.suffix.lower() not in (".json", ".geojson", ".net"):
            raise CliError("bad_option", f"cannot write {target.name!r}: the output formats are "
                           ".json (gasunion), .geojson and .net (GasLib)")
        if target.is_dir():
            raise CliError("bad_output", f"{target} is a folder; give a file name")
        if not target.parent.is_dir():
            raise CliError("bad_output", f"{target}: the folder {target.parent} does not exist")
        net = load(ui, source, scenario)
        with ui.status("validating ..."):
            report = net.validate()
        if report.errors:
            raise _invalid(source, report, ": not converted")
        from gasunion.io import write

        with ui.status(f"writing {target.name} ..."):
            if target.suffix.lower() == ".net":
                from gasunion.io.gaslib_writer import write_gaslib

                write_gaslib(net, target, drop_unsupported=drop_unsupported)
            else:
                write(net, target)
        if as_json:
            ui.emit_ok(source=source, target=target, network=net.name, counts=net.counts(),
                       n_warnings=len(report.warnings))
            return
        parts = ", ".join(f"{n} {c}" for c, n in net.counts().items())
        ui.line(f"{target} ({net.name}: {parts})", prefix="wrote ")
