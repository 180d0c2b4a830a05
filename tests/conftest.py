"""Shared test fixtures."""

from __future__ import annotations

import os
from collections.abc import Callable

import pytest
from hypothesis import settings

import gasunion as gu

# Property tests draw the same examples on every run (derandomize), so a green run here is a
# green run in CI. GASUNION_HYPOTHESIS=explore draws fresh random examples (and keeps
# failing ones in .hypothesis/) when hunting for new counter-examples.
settings.register_profile("deterministic", derandomize=True, database=None)
settings.register_profile("explore")
settings.load_profile(os.environ.get("GASUNION_HYPOTHESIS", "deterministic"))


def chain_network(jv: bool = False) -> gu.Network:
    """Producer A, transit B, market C.

    A's field: up to 12 kg/s at 0.10 $/kg; A's home demand 4 kg/s worth 0.15 $/kg; C's
    market 10 kg/s worth 0.30 $/kg; pipes a-b1 (A), b1-b2 (B, 10 kg/s), b2-c (C). With
    ``jv`` B's pipe is a 50/50 venture of B and A.
    """
    net = gu.Network("chain")
    net.add("junctions", ["a", "b1", "b2", "c"], country=["A", "B", "B", "C"],
            owner=["PA", "PB", "PB", "PC"])
    net.add("sources", "field", junction="a", mass_flow_max_kg_s=12.0, cost_per_kg=0.1,
            owner="PA", country="A")
    net.add("sinks", "home", junction="a", mass_flow_kg_s=4.0, value_per_kg=0.15, owner="PA",
            country="A")
    net.add("sinks", "market", junction="c", mass_flow_kg_s=10.0, value_per_kg=0.3,
            owner="PC", country="C")
    net.add("pipes", ["ab", "bb", "bc"], from_junction=["a", "b1", "b2"],
            to_junction=["b1", "b2", "c"], length_km=[10.0, 100.0, 10.0], diameter_mm=500.0,
            mass_flow_max_kg_s=[100.0, 10.0, 100.0], mass_flow_min_kg_s=-100.0,
            owner=["PA", "PB", "PC"], country=["A", "B", "C"])
    if jv:
        net.add("ownership", ["j1", "j2"], component="pipes", element="bb",
                party=["PB", "PA"], share=0.5)
    return net



@pytest.fixture
def chain() -> Callable[..., gu.Network]:
    """The three-country chain network of :func:`chain_network` (a factory: ``chain(jv=True)``)."""
    return chain_network
