"""Reference prices: postage stamp and capacity-weighted distance (Commission Regulation (EU)
2017/460, Art. 8) on a worked 3 x 3 example, and the points of a network."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest

import gasunion as gu
from gasunion.games.tariffs import cwd, fair_transit_fee, network_points, postage_stamp

D = pd.DataFrame([[1200, 900, 500], [800, 300, 400], [700, 600, 200]],
                 index=["En1", "En2", "En3"], columns=["Ex1", "Ex2", "Ex3"], dtype=float)
CAP_EN = pd.Series([60.0, 30.0, 10.0], index=D.index)    # GWh/d
CAP_EX = pd.Series([40.0, 20.0, 40.0], index=D.columns)
R = 100e6                                                  # EUR per year, split 50/50


def test_cwd_worked_example() -> None:
    """Regulation (EU) 2017/460 Art. 8 by hand (3 entries x 3 exits, R = 100 M, 50/50):

    AD_En1 = (1200 x 40 + 900 x 20 + 500 x 40) / 100 = 860 km (En2 540, En3 480);
    sum CAP x AD over entries = 60 x 860 + 30 x 540 + 10 x 480 = 72 600;
    W_En1 = 51 600 / 72 600 = 0.71074; T_En1 = 0.71074 x 50 M / 60 = 592 286.5 per GWh/d
    (En2 371 900.8, En3 330 578.5). Exits: AD = 1030, 690, 440 km, T = 709 366.4,
    475 206.6, 303 030.3. T / AD = 688.705 for every point (uniform per unit of capacity and
    distance); the revenues add up to R.
    """
    t = cwd(D, CAP_EN, CAP_EX, R)
    np.testing.assert_allclose(t["avg_distance_km"], [860, 540, 480, 1030, 690, 440])
    np.testing.assert_allclose(t.loc["En1", "weight"], 51600 / 72600)
    np.testing.assert_allclose(t["price"], [592286.5014, 371900.8264, 330578.5124,
                                            709366.3912, 475206.6116, 303030.3030], rtol=1e-9)
    np.testing.assert_allclose(t["price_per_km"], 688.7052342, rtol=1e-9)
    assert (t["price"] * t["capacity"]).sum() == pytest.approx(R)


def test_postage_stamp_and_infeasible_pairs() -> None:
    p = postage_stamp(CAP_EN, CAP_EX, R)
    np.testing.assert_allclose(p["price"], 500_000.0)
    assert p["revenue"].sum() == pytest.approx(R)
    ok = D.notna() & ~((D.index.to_numpy()[:, None] == "En3") & (D.columns == "Ex1"))
    t = cwd(D, CAP_EN, CAP_EX, R, feasible=ok)
    assert t.loc["En3", "avg_distance_km"] == pytest.approx((600 * 20 + 200 * 40) / 60)
    assert (t["price"] * t["capacity"]).sum() == pytest.approx(R)


def test_fair_fee_and_network_points(chain: Callable[..., gu.Network]) -> None:
    fee = fair_transit_fee(pd.Series({"KZ": 100.0, "RU": 5.0}), pd.Series({"KZ": 25.0,
                                                                          "RU": 0.2}))
    assert fee["KZ"] == pytest.approx(4.0) and np.isnan(fee["RU"])
    d, ent, ext = network_points(chain(), "B")
    assert len(ent) == 1 and len(ext) == 1
    assert d.iloc[0, 0] == pytest.approx(100.0, rel=1e-6)
