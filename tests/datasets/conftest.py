"""Shared fixtures of the Central Asia dataset tests: every scenario built and simulated once."""

from __future__ import annotations

import pandas as pd
import pytest

import gasunion as gu
from gasunion.datasets.central_asia import SCENARIOS, central_asia, dataset_tables


@pytest.fixture(scope="session")
def tables() -> dict[str, pd.DataFrame]:
    return dataset_tables()


@pytest.fixture(scope="session")
def runs() -> dict[str, tuple[gu.Network, gu.SimulationResult]]:
    out = {}
    for name in SCENARIOS:
        net = central_asia(name)
        out[name] = (net, gu.simulate(net, friction="colebrook", z="papay"))
    return out
