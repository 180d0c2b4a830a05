"""Matching of nominations (Regulation (EU) 2015/703 Art. 8) against hand-worked cases.

The reference case (all quantities kWh per gas day 2024-01-01 at IP1, TSO A upstream (exit),
TSO B downstream (entry)):

====  =========  ===========  ===========  =====================================
pair  A (exit)   B (entry)    lesser rule  why
====  =========  ===========  ===========  =====================================
A1-B1 12,000,000 11,500,000   11,500,000   min(12.0, 11.5) GWh: A1 reduced
A2-B2  5,000,000  5,000,000    5,000,000   equal: matched
A3-B3  1,000,000  (none)               0   no counter-nomination confirms 0
====  =========  ===========  ===========  =====================================

initiating rule (A, the exit side, initiates): A1-B1 = 12,000,000 (B1 increased);
matching rule (B's quantity): A1-B1 = 11,500,000.
Capacity 8,250,000 at (IP1, A, exit): matched total 16,500,000 -> factor 0.5 pro rata:
A1-B1 5,750,000, A2-B2 2,500,000. By priority (A2-B2 priority 1, A1-B1 priority 2):
A2-B2 keeps 5,000,000, A1-B1 gets the remaining 3,250,000.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from gasunion.operations import NominationError, match_nominations, read_nominations

COLS = ["gas_day", "ip", "tso", "counter_tso", "shipper", "counter_shipper", "direction",
        "quantity_kwh"]
D = "2024-01-01"


def table() -> pd.DataFrame:
    return pd.DataFrame([
        (D, "IP1", "A", "B", "A1", "B1", "exit", 12e6),
        (D, "IP1", "B", "A", "B1", "A1", "entry", 11.5e6),
        (D, "IP1", "A", "B", "A2", "B2", "exit", 5e6),
        (D, "IP1", "B", "A", "B2", "A2", "entry", 5e6),
        (D, "IP1", "A", "B", "A3", "B3", "exit", 1e6),
    ], columns=COLS)


def confirmed(res: pd.DataFrame) -> list[float]:
    return res["confirmed_kwh"].tolist()


def test_lesser_rule_and_missing_counter_nomination() -> None:
    res = match_nominations(table())
    assert list(res.columns) == [*COLS[:7], "nominated_kwh", "counter_nominated_kwh",
                                 "confirmed_kwh", "reason"]
    assert confirmed(res) == [11.5e6, 11.5e6, 5e6, 5e6, 0.0]
    assert res["reason"].tolist() == ["lesser rule: reduced from 12000000", "matched",
                                      "matched", "matched", "no counter-nomination"]
    assert np.isnan(res["counter_nominated_kwh"].iloc[4])
    assert res["counter_nominated_kwh"].iloc[0] == 11.5e6


@pytest.mark.parametrize(("rule", "a1b1", "reason_b1"), [
    ("initiating", 12e6, "initiating rule: increased from 11500000"),
    ("matching", 11.5e6, "matched"),
])
def test_other_rules(rule: str, a1b1: float, reason_b1: str) -> None:
    res = match_nominations(table(), rule=rule)
    assert confirmed(res) == [a1b1, a1b1, 5e6, 5e6, 0.0]
    assert res["reason"].iloc[1] == reason_b1


def test_initiating_tso_column() -> None:
    """B initiates: the initiating rule takes B's 11.5 GWh for A1-B1."""
    df = table().assign(initiating_tso="B")
    assert confirmed(match_nominations(df, rule="initiating"))[:2] == [11.5e6, 11.5e6]
    df.loc[1, "initiating_tso"] = "A"
    with pytest.raises(NominationError, match="different initiating TSOs"):
        match_nominations(df, rule="initiating")


def test_capacity_pro_rata_and_by_priority() -> None:
    cap = pd.DataFrame({"ip": ["IP1"], "tso": ["A"], "direction": ["exit"],
                        "capacity_kwh": [8.25e6]})
    res = match_nominations(table(), capacity=cap)
    assert confirmed(res) == [5.75e6, 5.75e6, 2.5e6, 2.5e6, 0.0]
    assert res["reason"].iloc[0] == ("lesser rule: reduced from 12000000; "
                                     "capacity: reduced pro rata")
    assert res["reason"].iloc[3] == "capacity: reduced pro rata"
    df = table().assign(priority=[2, 2, 1, 1, 1])
    res = match_nominations(df, capacity=cap, reduction="priority")
    assert confirmed(res) == pytest.approx([3.25e6, 3.25e6, 5e6, 5e6, 0.0])
    assert res["reason"].iloc[1] == "capacity: reduced by priority"


def test_interruption_reduces_the_same_way() -> None:
    """No capacity limit, 4,125,000 kWh interrupted of 16,500,000 matched at B's entry:
    12,375,000 left, factor 0.75: A1-B1 8,625,000, A2-B2 3,750,000."""
    cap = pd.DataFrame({"ip": ["IP1"], "tso": ["B"], "direction": ["entry"],
                        "interruption_kwh": [4.125e6]})
    res = match_nominations(table(), capacity=cap)
    assert confirmed(res) == [8.625e6, 8.625e6, 3.75e6, 3.75e6, 0.0]
    assert res["reason"].iloc[2] == "interruption: reduced pro rata"


def test_renomination_after_matching() -> None:
    """Cycle 1 (version 1) confirms the lesser rule's 11.5 GWh; then A1 renominates 11 GWh
    and B1 10 GWh (version 2): the last version counts, confirmed 10 GWh."""
    df = table().assign(version=1)
    first = match_nominations(df, as_of=1)
    assert confirmed(first)[:2] == [11.5e6, 11.5e6]
    renom = pd.DataFrame([(D, "IP1", "A", "B", "A1", "B1", "exit", 11e6, 2),
                          (D, "IP1", "B", "A", "B1", "A1", "entry", 10e6, 2)],
                         columns=[*COLS, "version"])
    both = pd.concat([df, renom], ignore_index=True)
    assert confirmed(match_nominations(both, as_of=1)) == confirmed(first)
    res = match_nominations(both)
    assert len(res) == 5 and list(res.index) == [2, 3, 4, 5, 6]
    assert res.loc[5, "confirmed_kwh"] == res.loc[6, "confirmed_kwh"] == 10e6
    assert res.loc[5, "reason"] == "lesser rule: reduced from 11000000"


def test_hourly_quantities() -> None:
    """Hourly kWh: hour 0 matches 500 vs 400 -> 400; hour 1 has only A's 300 -> 0; the
    hourly capacity 300 at A's exit reduces hour 0's 400 to 300."""
    df = pd.DataFrame([(D, 0, "IP1", "A", "B", "A1", "B1", "exit", 500.0),
                       (D, 0, "IP1", "B", "A", "B1", "A1", "entry", 400.0),
                       (D, 1, "IP1", "A", "B", "A1", "B1", "exit", 300.0)],
                      columns=["gas_day", "hour", *COLS[1:]])
    res = match_nominations(df)
    assert list(res.columns[:2]) == ["gas_day", "hour"]
    assert confirmed(res) == [400.0, 400.0, 0.0]
    cap = pd.DataFrame({"ip": ["IP1"], "direction": ["exit"], "hour": [0],
                        "capacity_kwh": [300.0]})
    assert confirmed(match_nominations(df, capacity=cap)) == [300.0, 300.0, 0.0]


def test_bad_rows_with_line_numbers(tmp_path: Path) -> None:
    path = tmp_path / "n.csv"
    path.write_text(",".join(COLS) + "\n"
                    f"{D},IP1,A,B,A1,B1,exit,100\n"        # line 2 (duplicate of line 6)
                    f"{D},IP1,B,A,B1,A1,north,100\n"       # line 3
                    f"{D},IP1,A,B,A2,B2,exit,-5\n"         # line 4
                    f"{D},IP1,A,,A3,B3,exit,5\n"           # line 5
                    f"{D},IP1,A,B,A1,B1,exit,7\n"          # line 6
                    f"2024-13-01,IP1,A,B,A4,B4,exit,7\n")  # line 7
    with pytest.raises(NominationError) as info:
        read_nominations(path)
    p = info.value.problems
    assert sorted(set(p["line"])) == [2, 3, 4, 5, 6, 7]
    text = str(info.value)
    assert "line 3: direction 'north' is not entry or exit" in text
    assert "line 4: negative quantity_kwh" in text and "line 5: missing counter_tso" in text
    assert "line 7: gas_day is not a date" in text


def test_read_then_match(tmp_path: Path) -> None:
    path = tmp_path / "n.csv"
    table().to_csv(path, index=False)
    df = read_nominations(path)
    assert list(df.index) == [2, 3, 4, 5, 6]
    assert confirmed(match_nominations(df)) == [11.5e6, 11.5e6, 5e6, 5e6, 0.0]


def test_bad_options() -> None:
    with pytest.raises(ValueError, match="rule"):
        match_nominations(table(), rule="greater")
    with pytest.raises(ValueError, match="reduction"):
        match_nominations(table(), reduction="random")
