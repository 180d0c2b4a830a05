"""``gasunion demo``: the union ledger first, 80 columns, JSON keys and types, --compare,
--out files (ledger.csv, countries.csv, map.png) and exit 2 for an unknown scenario."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from typer.testing import CliRunner

from gasunion.cli import app

runner = CliRunner()
LEDGER_KEYS = {"border_point", "name", "from_country", "to_country", "systems", "owners",
               "flow_mcm_d", "flow_bcm_y", "capacity_mcm_d", "headroom_mcm_d",
               "capacity_source"}


def run(*args: str) -> Any:
    return runner.invoke(app, list(args), env={"COLUMNS": "80"})


def assert_fits(text: str) -> None:
    too_long = [ln for ln in text.splitlines() if len(ln) > 80]
    assert not too_long, "\n".join(too_long)
    assert "…" not in text


def test_ledger_leads_in_80_columns() -> None:
    r = run("demo", "--scenario", "union")
    assert r.exit_code == 0, r.output
    out = r.stdout
    assert_fits(out)
    order = ["Border ledger", "Countries (bcm/y)", "Union members' imports and exports",
             "Corridor utilisation", "Pressures at key points", "Steady state of"]
    places = [out.index(s) for s in order]
    assert places == sorted(places), places
    assert "transit" in out and "Bialek 1996" in out.replace("\n", " ")


def test_json_ledger_keys_and_types() -> None:
    r = run("demo", "--json")
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    assert doc["ok"] is True and doc["scenario"] == "2023"
    assert doc["ledger"], "no border point"
    for row in doc["ledger"]:
        assert set(row) >= LEDGER_KEYS
        assert isinstance(row["flow_mcm_d"], float) and row["flow_mcm_d"] >= 0
        assert row["flow_bcm_y"] == pytest.approx(row["flow_mcm_d"] * 0.365)
        assert (row["capacity_mcm_d"] is None) == (row["headroom_mcm_d"] is None)
        if row["capacity_mcm_d"] is not None:
            assert row["headroom_mcm_d"] == pytest.approx(row["capacity_mcm_d"]
                                                          - row["flow_mcm_d"])
        for side in ("from", "to"):
            shares = [o["share"] for o in row["owners"] if o["side"] == side]
            assert not shares or sum(shares) == pytest.approx(1.0)
        assert all(set(o) == {"side", "party", "share"} for o in row["owners"])
    for key in ("transit_bcm_y_by_country", "fuel_bcm_y_by_country",
                "consumption_bcm_y_by_country"):
        assert doc[key] and all(isinstance(v, float) for v in doc[key].values())
    assert doc["transit_bcm_y_by_country"]["KZ"] > 0  # Turkmen and Uzbek gas to China
    assert set(doc["members"]) == {"RU", "KZ", "UZ"}
    assert "proportional sharing" in doc["tracing_method"]
    # the dataset's interconnection points, once it has them, name the ledger's rows
    from gasunion.datasets import central_asia

    listed = set(central_asia("2023").interconnections.index)
    if listed:
        assert {r["border_point"] for r in doc["ledger"]} & listed


def _ru_kz(rows: list[dict[str, Any]], column: str = "flow_bcm_y") -> float:
    return sum(r[column] for r in rows if (r["from_country"], r["to_country"]) == ("RU", "KZ"))


def test_compare_shows_the_change() -> None:
    r = run("demo", "--scenario", "union", "--compare", "2023", "--json")
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    assert doc["compare"]["scenario"] == "2023"
    base = json.loads(run("demo", "--json").stdout)
    # the change is the union's Russian gas into Kazakhstan less 2023's (more in the union)
    change = _ru_kz(doc["compare"]["ledger"], "flow_bcm_y_change")
    assert change == pytest.approx(_ru_kz(doc["ledger"]) - _ru_kz(base["ledger"]), abs=1e-6)
    assert change > 5.0
    transit = {c["country"]: c["transit_bcm_y_change"] for c in doc["compare"]["countries"]}
    assert transit["KZ"] == pytest.approx(doc["transit_bcm_y_by_country"]["KZ"]
                                          - base["transit_bcm_y_by_country"]["KZ"], abs=1e-6)
    text = run("demo", "--scenario", "union", "--compare", "2023")
    assert text.exit_code == 0, text.output
    assert_fits(text.stdout)
    ledger = text.stdout[text.stdout.index("Border ledger"):text.stdout.index("Countries")]
    assert "vs" in ledger and "2023" in ledger and re.search(r"\+\d+\.\d\b", ledger)


def test_out_writes_the_ledger_and_the_map(tmp_path: Path) -> None:
    r = run("demo", "--out", str(tmp_path))
    assert r.exit_code == 0, r.output
    for name in ("ledger.csv", "countries.csv", "member_trade.csv", "map.png",
                 "border_flows.csv", "summary.json", "network.json"):
        assert (tmp_path / name).exists(), name
    assert (tmp_path / "map.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    led = pd.read_csv(tmp_path / "ledger.csv")
    assert {"border_point", "owners_from", "owners_to", "headroom_mcm_d"} <= set(led.columns)
    c = pd.read_csv(tmp_path / "countries.csv")
    assert {"country", "transit_bcm_y", "fuel_bcm_y"} <= set(c.columns)


@pytest.mark.parametrize("args", [["--scenario", "nope"], ["--compare", "nope"]])
def test_unknown_scenario_exit_2(args: list[str]) -> None:
    r = run("demo", *args)
    assert r.exit_code == 2 and "unknown scenario" in r.stderr
    r = run("demo", *args, "--json")
    assert r.exit_code == 2
    assert json.loads(r.stdout)["error"]["kind"] == "bad_option"


def test_demo_lists_every_dataset_scenario() -> None:
    """The CLI keeps its own list (the help needs no pandas); it must be the dataset's."""
    from gasunion.cli.demo import DEMO_SCENARIOS
    from gasunion.datasets.central_asia import SCENARIOS

    assert tuple(DEMO_SCENARIOS) == tuple(SCENARIOS)
