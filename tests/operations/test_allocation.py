"""Allocation (Regulation (EU) 2015/703 Art. 9) and imbalance (Regulation (EU) 312/2014
Art. 19), hand-worked on the matching reference case: confirmed A1-B1 11.5 GWh, A2-B2 5 GWh,
A3 0 (sum 16.5 GWh); measured 17 GWh from A into B.

* as_nominated / oba: allocated = confirmed; steering difference 17 - 16.5 = 0.5 GWh
  (OBA balance +0.5 GWh seen from A, -0.5 GWh from B);
* pro_rata: 17 x 11.5/16.5 = 11.848485 GWh and 17 x 5/16.5 = 5.151515 GWh, difference 0;
* imbalance at B (entries are inputs): B1 +11.5 GWh (long); at A (exits are offtakes):
  A1 -11.5 GWh (short), A3 0 (balanced).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from gasunion.operations import AllocationError, allocate, imbalance, match_nominations


def table() -> pd.DataFrame:
    """The matching reference case (kWh per gas day)."""
    rows = [("A", "B", "A1", "B1", "exit", 12e6), ("B", "A", "B1", "A1", "entry", 11.5e6),
            ("A", "B", "A2", "B2", "exit", 5e6), ("B", "A", "B2", "A2", "entry", 5e6),
            ("A", "B", "A3", "B3", "exit", 1e6)]
    df = pd.DataFrame(rows, columns=["tso", "counter_tso", "shipper", "counter_shipper",
                                     "direction", "quantity_kwh"])
    return df.assign(gas_day="2024-01-01", ip="IP1")


MEASURED = pd.DataFrame({"gas_day": ["2024-01-01"], "ip": ["IP1"], "tso": ["A"],
                         "counter_tso": ["B"], "direction": ["exit"], "measured_kwh": [17e6]})


def test_as_nominated_and_oba() -> None:
    conf = match_nominations(table())
    a = allocate(conf, MEASURED)
    assert a["allocated_kwh"].tolist() == conf["confirmed_kwh"].tolist()
    assert (a["difference_kwh"] == 0.5e6).all()
    o = allocate(conf, MEASURED, method="oba")
    assert o["oba_balance_kwh"].tolist() == [0.5e6, -0.5e6, 0.5e6, -0.5e6, 0.5e6]


def test_pro_rata() -> None:
    a = allocate(match_nominations(table()), MEASURED, method="pro_rata")
    np.testing.assert_allclose(a["allocated_kwh"], [17e6 * 11.5 / 16.5] * 2
                               + [17e6 * 5 / 16.5] * 2 + [0.0])
    np.testing.assert_allclose(a["difference_kwh"], 0.0, atol=1e-6)


def test_imbalance() -> None:
    imb = imbalance(allocate(match_nominations(table()), MEASURED))
    by = imb.set_index(["tso", "shipper"])
    assert by.loc[("B", "B1"), "imbalance_kwh"] == 11.5e6
    assert by.loc[("B", "B1"), "position"] == "long"
    assert by.loc[("A", "A1"), "position"] == "short"
    assert by.loc[("A", "A3"), "position"] == "balanced"
    other = pd.DataFrame({"gas_day": ["2024-01-01"], "tso": ["B"], "shipper": ["B1"],
                          "input_kwh": [0.0], "offtake_kwh": [11.5e6]})
    by = imbalance(allocate(match_nominations(table()), MEASURED), other).set_index(
        ["tso", "shipper"])
    assert by.loc[("B", "B1"), "imbalance_kwh"] == 0.0


def test_missing_measurement() -> None:
    other = MEASURED.assign(ip="IP2")
    with pytest.raises(AllocationError, match="without a measurement"):
        allocate(match_nominations(table()), other)
    with pytest.raises(ValueError, match="method"):
        allocate(match_nominations(table()), MEASURED, method="guess")
