"""``gasunion match``: match nominations at interconnection points offline (Regulation (EU)
2015/703 Art. 8; ENTSOG's nomination and matching business requirements)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from gasunion.cli._core import CliError, Command, JsonFlag, Ui, app, plural

JSON_MAX_ROWS = 20_000


@app.command("match", cls=Command, short_help="Match nominations at interconnection points.",
             help=(
    "Match the nominations of NOMINATIONS.csv (header gas_day,ip,tso,counter_tso,shipper,"
    "counter_shipper,direction,quantity_kwh; optional hour, version or timestamp, priority, "
    "initiating_tso; energy in kWh per gas day or hour) per shipper pair: a row is matched by "
    "the row with tso/counter_tso and shipper/counter_shipper swapped and the opposite "
    "direction. Rule lesser (default: the lower quantity), initiating (the exit side's, or "
    "initiating_tso's) or matching (the other side's); no counter-nomination confirms 0. "
    "--capacity CAPACITY.csv (ip,direction,capacity_kwh; optional tso, gas_day, hour, "
    "interruption_kwh) reduces confirmations pro rata or by priority. Bad rows are reported "
    "with their line numbers (exit 2)."))
def match_cmd(
    nominations: Annotated[Path, typer.Argument(metavar="NOMINATIONS.csv", show_default=False,
                                                help="The nominations of both TSOs.")],
    rule: Annotated[str, typer.Option(metavar="lesser|initiating|matching",
                                      help="Matching rule.")] = "lesser",
    capacity: Annotated[Path | None, typer.Option(metavar="CAPACITY.csv", help=(
        "Capacity (and interruptions) per ip and direction, kWh per gas day or hour."))] = None,
    reduction: Annotated[str, typer.Option(metavar="pro_rata|priority", help=(
        "How capacity reduces confirmations (priority: the nominations' priority column, "
        "lower first)."))] = "pro_rata",
    out: Annotated[Path | None, typer.Option(metavar="CONFIRMED.csv", help=(
        "Write the confirmations: the nominations' key columns, nominated_kwh, "
        "counter_nominated_kwh, confirmed_kwh and reason."))] = None,
    as_json: JsonFlag = False,
) -> None:
    """Match NOMINATIONS.csv (see the help text above)."""
    ui = Ui("match", as_json=as_json)
    with ui.guard():
        from gasunion.operations.matching import (
            REDUCTIONS,
            RULES,
            NominationError,
            match_nominations,
            read_capacity,
            read_nominations,
        )

        if rule not in RULES:
            raise CliError("bad_option", f"--rule {rule}: choose one of {', '.join(RULES)}")
        if reduction not in REDUCTIONS:
            raise CliError("bad_option", f"--reduction {reduction}: choose one of "
                           f"{', '.join(REDUCTIONS)}")
        if out is not None and (out.is_dir() or not out.parent.is_dir()):
            raise CliError("bad_output", f"--out {out}: give a file in an existing folder")
        for path in (nominations, capacity):
            if path is not None and not path.is_file():
                raise CliError("bad_input", f"{path}: no such file")
        try:
            noms = read_nominations(nominations)
            cap = read_capacity(capacity) if capacity is not None else None
            res = match_nominations(noms, rule=rule, capacity=cap, reduction=reduction)
        except NominationError as exc:
            where = capacity if exc.what == "capacity" else nominations
            raise CliError("bad_input", f"{where}: {exc.what}: "
                           f"{plural(exc.problems['line'].nunique(), 'bad row')} (line numbers "
                           "count the header as line 1)", diagnosis=exc.problems) from None
        if out is not None:
            res.to_csv(out, index=False, float_format="%.10g")
        counts = {"nominations": len(res),
                  "matched": int((res["reason"] == "matched").sum()),
                  "reduced": int(((res["confirmed_kwh"] < res["nominated_kwh"])
                                  & (res["counter_nominated_kwh"].notna())).sum()),
                  "no_counter_nomination": int(res["counter_nominated_kwh"].isna().sum()),
                  "superseded": len(noms) - len(res)}
        totals = {"nominated_kwh": float(res["nominated_kwh"].sum()),
                  "confirmed_kwh": float(res["confirmed_kwh"].sum())}
        if ui.as_json:
            rows = res if len(res) <= JSON_MAX_ROWS else (
                f"{len(res)} rows: too many for JSON, written with --out CONFIRMED.csv")
            ui.emit_ok(file=nominations, rule=rule, reduction=reduction, counts=counts,
                       totals=totals, confirmed=rows, written=[out] if out else [])
            return
        ui.line(f"{plural(len(res), 'nomination')} matched with the {rule} rule: "
                f"{counts['matched']} as nominated, {counts['reduced']} reduced, "
                f"{counts['no_counter_nomination']} without a counter-nomination"
                + (f", {counts['superseded']} superseded by renominations"
                   if counts["superseded"] else ""))
        ui.line(f"confirmed {totals['confirmed_kwh']:,.0f} of {totals['nominated_kwh']:,.0f} kWh "
                "nominated")
        if out is not None:
            ui.message(str(out), prefix="wrote ")
        else:
            ui.print(_confirmations_table(res, limit=20))


def _confirmations_table(res: Any, limit: int) -> Any:
    """The confirmations in 80 columns: one row per shipper pair and slot, quantities in MWh
    (whole numbers) and the outcome in a word (the full reasons are in --out and --json)."""
    from gasunion.cli.render import data_table

    more = (f"; ... and {len(res) - limit} more" if len(res) > limit else "")
    t = data_table(None, "MWh per gas day (per hour with an hour column); counter: the "
                   "counter-nomination; dir.: as seen from the TSO; the reasons in full with "
                   "--out CONFIRMED.csv or --json" + more)
    hourly = "hour" in res.columns
    t.add_column("gas day", no_wrap=True)
    if hourly:
        t.add_column("h", justify="right", no_wrap=True)
    t.add_column("IP", overflow="fold")
    t.add_column("TSO/shipper", overflow="fold")
    t.add_column("dir.", no_wrap=True)
    for c in ("nominated", "counter", "confirmed"):
        t.add_column(c, justify="right", no_wrap=True)
    t.add_column("outcome", no_wrap=True)

    def mwh(x: Any) -> str:
        return "-" if x != x else f"{x / 1e3:,.0f}"  # NaN: no counter-nomination

    for _, r in res.head(limit).iterrows():
        cells = [str(r["gas_day"])[:10]]
        if hourly:
            cells.append("" if r["hour"] != r["hour"] else f"{int(r['hour'])}")
        unmatched = r["counter_nominated_kwh"] != r["counter_nominated_kwh"]
        outcome = ("no counter" if unmatched else
                   "reduced" if r["confirmed_kwh"] < r["nominated_kwh"] else "matched")
        cells += [str(r["ip"]), f"{r['tso']}/{r['shipper']} to {r['counter_tso']}/"
                  f"{r['counter_shipper']}", str(r["direction"]), mwh(r["nominated_kwh"]),
                  mwh(r["counter_nominated_kwh"]), mwh(r["confirmed_kwh"]), outcome]
        t.add_row(*cells)
    return t
