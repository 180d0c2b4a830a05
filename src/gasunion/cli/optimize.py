"""``gasunion optimize transport|ogf|operate|expansion|shed|security``: the planning problems.

A thin layer over :func:`gasunion.optimize`: read the network (or the embedded Central Asia
dataset when NETWORK is omitted), call the problem with the options given, print the summary
and the headline tables (80 columns), write every table as CSV plus ``summary.json`` (and the
operated ``network.json`` where the problem makes one) with ``--out DIR``.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from gasunion.cli._core import CliError, Command, Group, IdsFlag, JsonFlag, Ui, app
from gasunion.cli.commands import Friction, check_nomination, load
from gasunion.cli.optimize_inputs import (
    Check,
    check_candidates,
    check_coalitions,
    check_outages,
    check_periods,
    parse_coalitions,
    parse_outages,
    parse_periods,
    read_candidates,
)

if TYPE_CHECKING:

    from gasunion.network import Network
    from gasunion.optimize import OptimizationResult


optimize_app = typer.Typer(
    cls=Group, no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False,
    help="Planning and optimisation: transport (multi-period LP with storage), ogf (optimal "
         "gas flow, NLP or relaxation), operate (set-points for a nomination, confirmed by the "
         "simulator), expansion (MILP), shed (load shedding after an outage), security (N-1, "
         "HHI, single-element outages). Without NETWORK the embedded Central Asia dataset is "
         "used. Exit codes: 0 solved, 2 bad input, 1 infeasible or solver failure; --json "
         "prints one JSON document also on failure.")
app.add_typer(optimize_app, name="optimize", short_help="Plan and optimise: transport, ogf, "
              "operate, expansion, shed, security.")

#: JSON carries whole tables up to this many rows (the terminal views: cli/optimize_views.py)
JSON_MAX_ROWS = 20_000

NetworkOpt = Annotated[Path | None, typer.Argument(
    metavar="[NETWORK]", show_default=False,
    help="Network file (GasLib .net, matgas .m, gasunion .json, pandapipes .json); omitted: "
         "the embedded Central Asia dataset.")]
ScenarioStr = Annotated[str | None, typer.Option(
    "--scenario", "-s", metavar="S",
    help="GasLib nomination file (.scn) for a GasLib network; a scenario name of the Central "
         "Asia dataset when NETWORK is omitted (e.g. 2023, union).")]
FormulationOpt = Annotated[str | None, typer.Option(
    metavar="NAME", help="Formulation: linear, the only one of this problem.")]
OgfFormulation = Annotated[str | None, typer.Option(
    metavar="NAME", help="Formulation: nlp (default; CasADi + IPOPT) or relaxed (GasModels' "
    "linear relaxation LRWP, HiGHS).")]
OperateFormulation = Annotated[str | None, typer.Option(
    metavar="NAME", help="Formulation: simulator, the only one (the simulator in the loop).")]
ExpansionFormulation = Annotated[str | None, typer.Option(
    metavar="NAME", help="Formulation: relaxed (default; one steady state, new pipes and "
    "compressors), nlp (relaxed, then checked with the full physics) or linear (transport "
    "over periods; also reverse upgrades).")]
ShedFormulation = Annotated[str | None, typer.Option(
    metavar="NAME", help="Formulation: linear (default; transport model) or nlp (one steady "
    "state with the pressure-flow physics, GasModels' ls).")]
FrictionOpt = Annotated[Friction | None, typer.Option(
    metavar="LAW", show_choices=False,
    help="Pipe friction law: " + ", ".join(f.value for f in Friction) + " (default: the "
         "problem's own, the simulator's nikuradse for GasLib and gasunion files, GasModels' "
         "fixed lambda for matgas files).")]
ZOpt = Annotated[str | None, typer.Option(
    "--z", metavar="MODEL", help="Compressibility model (see gasunion simulate --help; "
    "default: the problem's own).")]
OutOpt = Annotated[Path | None, typer.Option(
    metavar="DIR", help="Folder for the result tables (CSV), summary.json and, where the "
    "problem makes one, the operated network.json.")]


#: --objective of each problem, its choices in words (the help wraps at spaces, so every word
#: shows whole in 80 columns)
TransportObjective = Annotated[str | None, typer.Option(
    metavar="NAME", help="Objective: welfare (default when a sink has a value or priority) or "
    "cost (serve all demand at least cost).")]
OgfObjective = Annotated[str | None, typer.Option(
    metavar="NAME", help="Objective: min_power (default), min_fuel, max_delivery, ls (load "
    "shedding) or gasmodels (default for matgas files).")]
OperateObjective = Annotated[str | None, typer.Option(
    metavar="NAME", help="Objective: power (default: least compressor power) or feasibility "
    "(the first operation that breaks no bound).")]
ExpansionObjective = Annotated[str | None, typer.Option(
    metavar="NAME", help="Objective: cost (default: the cheapest set) or ls (the largest "
    "delivered load with every candidate available; not with --formulation linear).")]


def _load(ui: Ui, network: Path | None, scenario: str | None, problem: str,
          check: Check | None = None) -> tuple[Network, dict[str, Any]]:
    """The network (and problem options the dataset brings, e.g. monthly periods); ``check``
    runs on the network as soon as it is read."""
    if network is None:
        from gasunion.datasets.central_asia import SCENARIOS, central_asia

        name = scenario or "2023"
        if name not in SCENARIOS:
            raise CliError("bad_option", f"--scenario {name}: not a Central Asia scenario; "
                           f"choose one of {', '.join(SCENARIOS)}")
        with ui.status(f"building the Central Asia network ({name}) ..."):
            if problem == "transport":
                from gasunion.datasets.central_asia_monthly import (
                    MONTHLY_OPTIONS,
                    central_asia_monthly,
                )

                net, periods = central_asia_monthly(name)
                net.name = f"Central Asia ({name})"  # the title says what the periods are
                if check is not None:
                    check(net)
                return net, {"periods": periods, **MONTHLY_OPTIONS}
            net = central_asia(name)
            if check is not None:
                check(net)
            if problem == "security":  # the dataset's sourced design capacities (no bounds
                from gasunion.datasets.central_asia_capacities import (  # in the network)
                    central_asia_capacities,
                )

                return net, {"capacities": central_asia_capacities(net, supply=True)}
            return net, {}
    scn = Path(scenario) if scenario else None
    if scn is not None and not scn.exists():
        raise CliError("bad_input", f"--scenario {scenario}: no such file (give the GasLib "
                       "nomination .scn for a GasLib network)")
    net = load(ui, network, scn)
    check_nomination(net, network, scn, f"optimize {problem}")
    if check is not None:
        check(net)
    return net, {}


def run(ui: Ui, problem: str, network: Path | None, scenario: str | None,
        formulation: str | None, friction: Friction | None, z: str | None, out: Path | None,
        check: Check | None = None, identical_days: bool = False, **options: Any) -> None:
    """Load, solve, report: the body shared by every ``optimize`` command. ``check`` runs on
    the network as soon as it is read (option values that name its elements, sizes)."""
    import gasunion.optimize as opt

    with ui.guard():
        ui.prepare_out(out)
        if network is not None:
            ui.extra["file"] = str(network)
        net, extra = _load(ui, network, scenario, problem, check)
        for k, v in extra.items():
            if options.get(k) is None:
                options[k] = v
        options = {k: v for k, v in options.items() if v is not None}
        if friction is not None:
            options["friction"] = friction.value
        if z is not None:
            options["z"] = z
        ui.extra["network"] = net.name
        t0 = time.perf_counter()
        with ui.status(f"{problem}: preparing ...") as st, _quiet(ui.as_json):
            options["progress"] = lambda msg: st.update(f"{problem}: {msg}")
            try:
                res = opt.optimize(net, problem=problem, formulation=formulation, **options)
            except TypeError as exc:  # an option this problem does not take
                if "unexpected keyword" not in str(exc):
                    raise
                raise CliError("bad_option", f"{problem}: {exc}") from None
        res.summary.setdefault("wall_time_s", time.perf_counter() - t0)
        written = res.write(out) if out is not None else []
        if ui.as_json:
            ui.emit_ok(network=net.name, file=network, **res.to_dict(),
                       tables=_json_tables(res), written=written)
            return
        _print(ui, net, res, ui.ids, identical_days)
        for path in written:
            ui.message(str(path), prefix="wrote ")


@contextmanager
def _quiet(as_json: bool) -> Iterator[None]:
    """With --json, whatever a solver library prints on file descriptor 1 (banners, logs) is
    discarded, so that stdout carries the one JSON document only."""
    if not as_json:
        yield
        return
    from gasunion.optimize._highs import stdout_silenced

    try:
        ctx = stdout_silenced()
        ctx.__enter__()
    except (OSError, ValueError):  # no real descriptor 1 (e.g. an embedding host)
        yield
        return
    try:
        yield
    finally:
        ctx.__exit__(None, None, None)


def _json_tables(res: OptimizationResult) -> dict[str, Any]:
    from gasunion.optimize.result import _records

    out: dict[str, Any] = {}
    for name, df in res.tables.items():
        out[name] = _records(df) if len(df) <= JSON_MAX_ROWS else (
            f"{len(df)} rows: too many for JSON, written with --out DIR")
    return out


def _print(ui: Ui, net: Network, res: OptimizationResult, ids: bool,
           identical_days: bool = False) -> None:
    from gasunion.cli.optimize_views import VIEWS, generic_views
    from gasunion.cli.render import num

    s = res.summary
    unit = s.get("objective_unit") or ""
    times = ", ".join(f"{k.removesuffix('_time_s')} {num(s[k], '.2f')} s"
                      for k in ("build_time_s", "solve_time_s") if s.get(k) is not None)
    what = ", ".join(p for p in (net.name or "the network", periods_phrase(res, identical_days),
                                 _outage_phrase(net, res, ids)) if p)
    ui.line(f"{res.problem} ({res.formulation}) on {what}: {res.status}")
    ui.line(f"objective {num(res.objective, '.6g')} {unit}".rstrip()
            + (f"; gap to the relaxation {num(100 * max(s['gap'], 0.0), '.3g')} %"
               if s.get("gap") is not None else "")
            + (f"; {times}" if times else ""))
    if s.get("objective_meaning"):
        ui.line(f"objective: {s['objective_meaning']}")
    for table in VIEWS.get(res.problem, generic_views)(net, res, ids):
        ui.print(table)
    ui.line(f"tables: {', '.join(n for n, df in res.tables.items() if len(df))} "
            "(all of them with --out DIR or --json)", style="dim")
    for text in s.get("assumptions") or []:
        ui.line(f"assumption: {text}", style="dim")


def _period_names(res: OptimizationResult) -> list[str]:
    """The periods of a multi-period result in order (none for one steady state)."""
    for df in res.tables.values():
        if "period" in (df.index.names or []):
            return [str(p) for p in df.index.get_level_values("period").unique()]
    return []


def periods_phrase(res: OptimizationResult, identical_days: bool = False) -> str:
    """What the periods of ``res`` are, for the title: ``12 months (2023-01 to 2023-12)``,
    ``3 identical days (d1 to d3)``, ``one day`` ('' for a problem without periods)."""
    names = _period_names(res)
    if not names:
        return ""
    n = len(names)
    if names == ["p1"]:
        return "one day"
    span = f"({names[0]} to {names[-1]})" if n > 1 else f"({names[0]})"
    if all(re.fullmatch(r"\d{4}-\d{2}", p) for p in names):
        kind = "month" if n == 1 else "months"
    elif names == [f"d{i + 1}" for i in range(n)]:
        kind = ("identical " if identical_days and n > 1 else "") + ("day" if n == 1 else "days")
    else:
        kind = "period" if n == 1 else "periods"
    return f"{'one' if n == 1 else n} {kind} {span}"


def _outage_phrase(net: Network, res: OptimizationResult, ids: bool) -> str:
    """``with pipes:P12 (name) out of service`` for the load shedding ('' otherwise)."""
    if res.problem != "shed":
        return ""
    from gasunion.cli.render import name_of

    outs = res.summary.get("outages") or []
    if not outs:
        return "with nothing out of service"
    parts = []
    for comp, eid in outs:
        name = name_of(net, str(comp), eid, ids)
        parts.append(f"{comp}:{eid}" + (f" ({name})" if name != str(eid) else ""))
    return "with " + ", ".join(parts) + " out of service"


# ------------------------------------------------------------------------------ commands
def _cmd(name: str, short: str, help_text: str) -> Any:
    return optimize_app.command(name, cls=Command, short_help=short, help=help_text)


@_cmd("transport", "Multi-period transport LP with storage, contracts and node prices.",
      "Minimum-cost or maximum-welfare transport over periods (linopy + HiGHS): supplies with "
      "costs, demands with values and priorities, storages, per-direction capacities, fees. "
      "Without NETWORK: the Central Asia dataset month by month (12 periods).")
def transport_cmd(network: NetworkOpt = None, scenario: ScenarioStr = None,
                  formulation: FormulationOpt = None, periods: Annotated[str | None, typer.Option(
                      metavar="N", help="N identical daily periods at the network's "
                      "set-points (default: the dataset's months, or one day); at most "
                      "2,000,000 variables in all (docs/optimize/transport.md).")] = None,
                  objective: TransportObjective = None, friction: FrictionOpt = None,
                  z: ZOpt = None, out: OutOpt = None, as_json: JsonFlag = False,
                  ids: IdsFlag = False) -> None:
    ui = Ui("optimize transport", as_json=as_json, ids=ids)
    with ui.guard():
        n = parse_periods(periods)
    run(ui, "transport", network, scenario, formulation, friction, z, out,
        check=check_periods(n), identical_days=n is not None, periods=n, objective=objective)


@_cmd("ogf", "Optimal gas flow: one steady state (NLP with IPOPT, or a relaxation).",
      "Optimal gas flow with the pipe law, compressor ratios and power: minimum compressor "
      "power or maximum delivery; matgas files default to GasModels' own objective. "
      "Formulations: nlp (CasADi + IPOPT), relaxed (gap reported).")
def ogf_cmd(network: NetworkOpt = None, scenario: ScenarioStr = None,
            formulation: OgfFormulation = None, objective: OgfObjective = None,
            friction: FrictionOpt = None, z: ZOpt = None, out: OutOpt = None,
            as_json: JsonFlag = False, ids: IdsFlag = False) -> None:
    ui = Ui("optimize ogf", as_json=as_json, ids=ids)
    run(ui, "ogf", network, scenario, formulation, friction, z, out, objective=objective)


@_cmd("operate", "Set-points for a nomination, confirmed by the simulator.",
      "Choose compressor modes and ratios, valve positions and regulator set-points so that "
      "the steady state of the nomination violates no bound; --out DIR writes the operated "
      "network as DIR/network.json, which gasunion simulate DIR/network.json confirms.")
def operate_cmd(network: NetworkOpt = None, scenario: ScenarioStr = None,
                formulation: OperateFormulation = None, objective: OperateObjective = None,
                friction: FrictionOpt = None, z: ZOpt = None, out: OutOpt = None,
                as_json: JsonFlag = False, ids: IdsFlag = False) -> None:
    ui = Ui("optimize operate", as_json=as_json, ids=ids)
    run(ui, "operate", network, scenario, formulation, friction, z, out, objective=objective)


@_cmd("expansion", "Cheapest set of candidate pipes and compressors (MILP).",
      "Network expansion: the cheapest set of candidates (pipes, compressors, reverse-flow "
      "upgrades) that meets the demand or transit target (MILP with HiGHS).")
def expansion_cmd(network: NetworkOpt = None, scenario: ScenarioStr = None,
                  candidates: Annotated[Path | None, typer.Option(
                      metavar="FILE", help="Candidate table (CSV), one row per candidate: "
                      "id, kind (pipe, compressor or reverse), from_junction, to_junction, "
                      "diameter_mm, length_km, mass_flow_max_kg_s, mass_flow_min_kg_s, element "
                      "(the branch a reverse upgrade raises), construction_cost; see "
                      "docs/optimize/expansion.md. matgas files bring their own.")] = None,
                  formulation: ExpansionFormulation = None, objective: ExpansionObjective = None,
                  friction: FrictionOpt = None, z: ZOpt = None, out: OutOpt = None,
                  as_json: JsonFlag = False, ids: IdsFlag = False) -> None:
    ui = Ui("optimize expansion", as_json=as_json, ids=ids)
    table, check = None, None
    with ui.guard():
        if candidates is not None:
            table, lines = read_candidates(candidates)
            check = check_candidates(ui, candidates, table, lines, formulation)
    run(ui, "expansion", network, scenario, formulation, friction, z, out, check=check,
        objective=objective, candidates=table)


@_cmd("shed", "Load shedding by priority after an outage.",
      "Maximum delivered gas, by priority (households first), with the given elements out "
      "of service.")
def shed_cmd(network: NetworkOpt = None, scenario: ScenarioStr = None,
             outage: Annotated[list[str] | None, typer.Option(
                 metavar="COMPONENT:ID", help="An element out of service, e.g. pipes:P12 "
                 "(repeatable).")] = None,
             formulation: ShedFormulation = None, friction: FrictionOpt = None, z: ZOpt = None,
             out: OutOpt = None, as_json: JsonFlag = False, ids: IdsFlag = False) -> None:
    ui = Ui("optimize shed", as_json=as_json, ids=ids)
    with ui.guard():
        outages = parse_outages(outage)
    run(ui, "shed", network, scenario, formulation, friction, z, out,
        check=check_outages(outages), outages=outages)


@_cmd("security", "N-1 per country or coalition, supplier HHI, single-element outages.",
      "Security of supply: the N-1 indicator (Regulation (EU) 2017/1938, Annex II), the HHI "
      "of import sources and the unserved demand of every single-element outage, per country "
      "and for the coalitions given (e.g. --coalition RU,KZ,UZ --coalition KZ,KG,TJ,TM,UZ). "
      "A network without countries (GasLib, matgas) is one area, the whole network.")
def security_cmd(network: NetworkOpt = None, scenario: ScenarioStr = None,
                 coalition: Annotated[list[str] | None, typer.Option(
                     metavar="A,B,...", help="Countries (or parties) pooled as one coalition "
                     "(repeatable, to compare coalitions).")] = None,
                 formulation: FormulationOpt = None, friction: FrictionOpt = None,
                 z: ZOpt = None, out: OutOpt = None, as_json: JsonFlag = False,
                 ids: IdsFlag = False) -> None:
    ui = Ui("optimize security", as_json=as_json, ids=ids)
    with ui.guard():
        groups = parse_coalitions(coalition)
    run(ui, "security", network, scenario, formulation, friction, z, out,
        check=check_coalitions(groups) if groups else None, compare=groups or None)
