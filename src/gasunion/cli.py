"""The ``gasunion`` command line (Typer + Rich): a thin layer over the Python API.

Exit codes: 0 success, 1 simulation failed (diagnosis printed), 2 bad input file or network.
"""

from __future__ import annotations

import json
import math
import time
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import pandas as pd
import typer
from rich.console import Console
from rich.table import Table

from gasunion.io import InputFileError, read, write
from gasunion.network import Network, NetworkError
from gasunion.simulation import SimulationError, SimulationResult, simulate

app = typer.Typer(
    name="gasunion",
    help="Gas transport networks: read, validate, convert and simulate.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console()
err_console = Console(stderr=True, soft_wrap=True)


class Friction(StrEnum):
    nikuradse = "nikuradse"
    colebrook = "colebrook"
    hofer = "hofer"
    weymouth = "weymouth"
    stanet_nikuradse = "stanet_nikuradse"
    stanet_colebrook = "stanet_colebrook"


class ZChoice(StrEnum):
    ideal = "ideal"
    papay = "papay"
    aga8 = "aga8"
    aga = "aga"
    gerg2008 = "gerg2008"


def _fail(message: str, code: int) -> typer.Exit:
    err_console.print(f"[bold red]error:[/] {message}", highlight=False)
    return typer.Exit(code)


def _load(network: Path, scenario: Path | None = None) -> Network:
    try:
        with console.status(f"reading {network.name} ...", spinner="dots"):
            return read(network, scenario=scenario)
    except InputFileError as exc:
        raise _fail(str(exc), 2) from None
    except NetworkError as exc:
        raise _fail(f"{network}: {exc}", 2) from None


def _run(net: Network, friction: str, z: str) -> SimulationResult:
    t0 = time.perf_counter()
    try:
        with console.status(f"simulating {net.name or 'network'} ...", spinner="dots") as status:

            def progress(it: int, norm: float) -> None:
                status.update(f"simulating {net.name}: Newton iteration {it}, residual {norm:.2e}")

            res = simulate(net, friction=friction, z=z, progress=progress)
    except SimulationError as exc:
        kind = {"setup": "cannot set up the simulation", "not_converged": "did not converge",
                "infeasible": "no physically possible steady state"}[exc.kind]
        err_console.print(f"[bold red]simulation failed ({kind}):[/] {exc}", highlight=False)
        raise typer.Exit(1) from None
    except ImportError as exc:
        raise _fail(str(exc), 2) from None
    res.summary["wall_time_s"] = time.perf_counter() - t0
    return res


def _json_default(o: Any) -> Any:
    if isinstance(o, float) and not math.isfinite(o):
        return None
    if hasattr(o, "item"):
        return o.item()
    return str(o)


def write_results(net: Network, res: SimulationResult, out: Path) -> list[Path]:
    """Write ``junctions.csv``, ``pipes.csv``, ``compressors.csv`` (and the other non-empty
    tables), ``violations.csv`` and ``summary.json`` into ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, table in res.tables().items():
        if name in ("junctions", "pipes", "compressors") or len(table):
            path = out / f"{name}.csv"
            table.reset_index().to_csv(path, index=False)
            written.append(path)
    if len(res.violations):
        path = out / "violations.csv"
        res.violations.to_csv(path, index=False)
        written.append(path)
    path = out / "summary.json"
    path.write_text(json.dumps(res.summary, indent=2, default=_json_default))
    written.append(path)
    return written


def print_summary(net: Network, res: SimulationResult) -> None:
    s = res.summary
    t = Table(title=f"Steady state of {net.name or 'network'}", show_header=False)
    t.add_row("converged", "[green]yes[/]" if s["converged"] else "[red]no[/]")
    t.add_row("Newton iterations", str(s["iterations"]))
    t.add_row("solve time", f"{s['solve_time_s'] * 1e3:.1f} ms")
    t.add_row("max mass-balance error", f"{s['max_mass_balance_error_kg_s']:.3g} kg/s")
    t.add_row("total supply", f"{s['total_injection_kg_s']:.2f} kg/s = "
              f"{net.gas.mcm_d_from_kg_s(s['total_injection_kg_s']):.2f} mcm/d")
    t.add_row("friction / Z", f"{s['settings']['friction']} / {s['settings']['z']}")
    p = res.junctions["p_bar"]
    if p.notna().any():
        t.add_row("pressure range", f"{p.min():.2f} bar ({p.idxmin()}) .. {p.max():.2f} bar "
                  f"({p.idxmax()})")
    if len(res.compressors):
        t.add_row("compressor power", f"{res.compressors['power_mw'].sum():.2f} MW, fuel "
                  f"{res.compressors['fuel_kg_s'].sum():.3f} kg/s")
    console.print(t)
    for a in s.get("assumptions", []):
        console.print(f"[yellow]assumption:[/] {a}", highlight=False)
    v = res.violations
    if len(v):
        vt = Table(title=f"{len(v)} bound violation(s)")
        for c in ("component", "id", "field", "value", "bound", "excess"):
            vt.add_column(c)
        for _, r in v.head(15).iterrows():
            vt.add_row(r["component"], str(r["id"]), r["field"], f"{r['value']:.4g}",
                       f"{r['kind']} {r['bound']:.4g}", f"{r['excess']:.3g}")
        console.print(vt)
        if len(v) > 15:
            console.print(f"... and {len(v) - 15} more (see violations.csv with --out)")


@app.command("simulate")
def simulate_cmd(
    network: Annotated[Path, typer.Argument(help="Network file: GasLib .net, matgas .m, "
                                             "gasunion .json or pandapipes .json")],
    scenario: Annotated[Path | None, typer.Option("--scenario", "-s", help="GasLib .scn")] = None,
    friction: Annotated[Friction, typer.Option(help="Pipe friction law")] = Friction.nikuradse,
    z: Annotated[ZChoice, typer.Option("--z", help="Compressibility model")] = ZChoice.papay,
    out: Annotated[Path | None, typer.Option(help="Write result tables (CSV) and "
                                             "summary.json into this folder")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON")] = False,
) -> None:
    """Simulate the steady state of NETWORK."""
    net = _load(network, scenario)
    res = _run(net, friction.value, z.value)
    if out is not None:
        for path in write_results(net, res, out):
            if not as_json:
                console.print(f"wrote {path}")
    if as_json:
        print(json.dumps(res.summary, indent=2, default=_json_default))
    else:
        print_summary(net, res)


@app.command("info")
def info_cmd(
    network: Annotated[Path, typer.Argument(help="Network file")],
    scenario: Annotated[Path | None, typer.Option("--scenario", "-s")] = None,
) -> None:
    """Show what NETWORK contains: element counts, owners, countries, border points."""
    net = _load(network, scenario)
    t = Table(title=f"{net.name or network.name}")
    t.add_column("component")
    t.add_column("count", justify="right")
    for comp, n in net.counts().items():
        t.add_row(comp, str(n))
    console.print(t)
    g = net.gas
    console.print(f"gas: M = {g.molar_mass_kg_kmol:.4g} kg/kmol, T = {g.temperature_k:.2f} K, "
                  f"density {g.rho_n:.4g} kg/m3 and H_s = {g.calorific_value_mj_m3:.4g} MJ/m3 at the "
                  f"volume reference {g.volume_reference_k - 273.15:g} degC, 1.01325 bar")
    owners = pd.concat([df["owner"] for _, df in net.iter_components()]) if net.counts() else None
    if owners is not None and (owners != "").any():
        console.print("owners: " + ", ".join(sorted(set(owners[owners != ""]))))
    bp = net.border_points()
    if len(bp):
        console.print(f"{len(bp)} border point(s):")
        for eid, r in bp.iterrows():
            console.print(f"  {r['component']} {eid}: {r['from_country']} -> {r['to_country']}")
    for a in net.meta.get("assumptions", []):
        console.print(f"[yellow]assumption:[/] {a}", highlight=False)


@app.command("validate")
def validate_cmd(
    network: Annotated[Path, typer.Argument(help="Network file")],
    scenario: Annotated[Path | None, typer.Option("--scenario", "-s")] = None,
) -> None:
    """Check NETWORK and list every problem (exit code 2 if there are errors)."""
    net = _load(network, scenario)
    report = net.validate()
    for issue in report.issues:
        style = "red" if issue.severity == "error" else "yellow"
        console.print(f"[{style}]{issue}[/]", highlight=False)
    if report.errors:
        err_console.print(f"[bold red]{len(report.errors)} error(s)[/] in {network}")
        raise typer.Exit(2)
    console.print(f"[green]valid[/]: {net!r} ({len(report.warnings)} warning(s))")


@app.command("convert")
def convert_cmd(
    source: Annotated[Path, typer.Argument(help="Input network (.net, .m, .json)")],
    target: Annotated[Path, typer.Argument(help="Output: .json (gasunion) or .geojson")],
    scenario: Annotated[Path | None, typer.Option("--scenario", "-s")] = None,
) -> None:
    """Convert a network between formats (chosen by suffix)."""
    net = _load(source, scenario)
    try:
        write(net, target)
    except (ValueError, OSError) as exc:
        raise _fail(str(exc), 2) from None
    console.print(f"wrote {target} ({net!r})")


def _pct(x: float) -> str:
    return "–" if not np.isfinite(x) else f"{100 * x:.0f} %"


def _num(x: float, spec: str = ".2f") -> str:
    return "–" if not np.isfinite(x) else format(x + 0.0, spec)  # + 0.0: no "-0.00"


@app.command("demo")
def demo_cmd(
    scenario: Annotated[str, typer.Option(help="Scenario of the embedded Central Asia dataset "
                                          "(2023, union, winter-peak, line-d)")] = "2023",
    out: Annotated[Path | None, typer.Option(help="Write result tables, reports, summary and a "
                                             "GeoJSON into this folder")] = None,
) -> None:
    """The main job: simulate the embedded Central Asia network and report border flows,
    corridor utilisation, pressures and any violated bound (offline, no set-up)."""
    from gasunion.datasets import (
        SCENARIOS,
        border_flow_report,
        central_asia,
        corridor_report,
        key_pressures,
    )

    if scenario not in SCENARIOS:
        raise _fail(f"unknown scenario {scenario!r}; available: {', '.join(SCENARIOS)}", 2)
    with console.status("loading the embedded Central Asia dataset ...", spinner="dots"):
        net = central_asia(scenario)
    console.print(f"[bold]{net.name}[/] — scenario [bold]{scenario}[/]: {SCENARIOS[scenario]}",
                  highlight=False)
    console.print(f"{net!r}; sources and estimates: docs/datasets/central-asia.md", highlight=False)
    res = _run(net, "colebrook", "papay")
    print_summary(net, res)

    bf = border_flow_report(net, res)
    t = Table(title="Flows across border points")
    for c in ("border point", "from → to", "systems", "mcm/d", "bcm/y", "capacity bcm/y",
              "utilisation"):
        t.add_column(c, justify="right" if c in ("mcm/d", "bcm/y", "capacity bcm/y",
                                                 "utilisation") else "left")
    for _, r in bf.iterrows():
        t.add_row(str(r["border_point"]), f"{r['from_country']} → {r['to_country']}",
                  str(r["systems"]), _num(r["flow_mcm_d"]), _num(r["flow_bcm_y"]),
                  _num(r["capacity_bcm_y"], ".1f"), _pct(r["utilisation"]))
    console.print(t)

    cr = corridor_report(net, res)
    t = Table(title="Corridor utilisation (largest flow on the system vs design capacity)")
    for c in ("system", "name", "largest flow bcm/y", "capacity bcm/y", "utilisation",
              "bottleneck"):
        t.add_column(c, justify="right" if "bcm" in c or c == "utilisation" else "left")
    for _, r in cr.iterrows():
        t.add_row(str(r["system"]), str(r["system_name"]), _num(r["max_flow_bcm_y"]),
                  _num(r["capacity_bcm_y"], ".1f"), _pct(r["max_utilisation"]),
                  str(r["bottleneck"]))
    console.print(t)

    kp = key_pressures(net, res)
    kp = kp[kp["kind"].isin(["border", "city", "export", "field"])].sort_values("margin_to_min_bar")
    t = Table(title="Pressures at key points (closest to their lower bound first)")
    for c in ("junction", "country", "kind", "p bar", "bounds bar", "margin bar"):
        t.add_column(c, justify="right" if "bar" in c else "left")
    for _, r in kp.head(12).iterrows():
        t.add_row(str(r["junction"]), str(r["country"]), str(r["kind"]), _num(r["p_bar"]),
                  f"{_num(r['p_min_bar'], '.0f')}–{_num(r['p_max_bar'], '.0f')}",
                  _num(r["margin_to_min_bar"]))
    console.print(t)
    if not len(res.violations):
        console.print("[green]no bound violated[/]")

    if out is not None:
        from gasunion.io.geojson import write_geojson

        written = write_results(net, res, out)
        for name, table in (("border_flows", bf), ("corridors", cr),
                            ("key_pressures", key_pressures(net, res))):
            path = out / f"{name}.csv"
            table.to_csv(path, index=False)
            written.append(path)
        write_geojson(net, out / "network.geojson", results=res)
        written.append(out / "network.geojson")
        write(net, out / "network.json")  # the network itself, for `gasunion simulate`
        written.append(out / "network.json")
        for path in written:
            console.print(f"wrote {path}")


def main() -> None:  # pragma: no cover - entry point
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
