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

import pandas as pd
import typer
from rich.console import Console
from rich.table import Table

from gasunion.io import InputFileError, read, write
from gasunion.network import Network, NetworkError
from gasunion.simulate import SimulationError, SimulationResult, simulate

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
                  f"rho_n = {g.rho_n:.4g} kg/m3, H_s = {g.calorific_value_mj_m3:.4g} MJ/m3")
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


@app.command("demo")
def demo_cmd(
    out: Annotated[Path | None, typer.Option(help="Write result tables, summary and a GeoJSON "
                                             "into this folder")] = None,
) -> None:
    """Run the main job on the embedded default network (no set-up, offline)."""
    from gasunion.datasets import default_network

    with console.status("loading the embedded default network ...", spinner="dots"):
        net = default_network()
    console.print(f"[bold]{net.name}[/]: {net!r}")
    if net.meta.get("citation"):
        console.print(f"data: {net.meta['citation']}", highlight=False)
    res = _run(net, "nikuradse", "papay")
    print_summary(net, res)
    pt = res.pipes.sort_values("mass_flow_kg_s", key=abs, ascending=False).head(10)
    t = Table(title="Largest pipe flows")
    for c in ("pipe", "from", "to", "kg/s", "mcm/d", "p_from bar", "p_to bar", "v m/s"):
        t.add_column(c, justify="right" if c not in ("pipe", "from", "to") else "left")
    for eid, r in pt.iterrows():
        t.add_row(str(eid), r["from_junction"], r["to_junction"], f"{r['mass_flow_kg_s']:.2f}",
                  f"{r['flow_mcm_d']:.3f}", f"{r['p_from_bar']:.2f}", f"{r['p_to_bar']:.2f}",
                  f"{r['velocity_m_s']:.2f}")
    console.print(t)
    if out is not None:
        from gasunion.io.geojson import write_geojson

        for path in write_results(net, res, out):
            console.print(f"wrote {path}")
        write_geojson(net, out / "network.geojson", results=res)
        console.print(f"wrote {out / 'network.geojson'}")


def main() -> None:  # pragma: no cover - entry point
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
