"""Network model: bulk creation, schema defaults, validation of every class of bad input."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from gasunion.network import Network, NetworkError, NetworkValidationError, attributes
from gasunion.network.schema import COMPONENTS, reference_markdown


def small() -> Network:
    net = Network("small")
    net.add("junctions", ["A", "B", "C"], p_min_bar=1.0, p_max_bar=80.0,
            country=["KZ", "KZ", "UZ"], owner=["QazaqGaz", "QazaqGaz", "Uztransgaz"])
    net.add("sources", "S", junction="A", p_set_bar=60.0)
    net.add("sinks", "D", junction="C", mass_flow_kg_s=10.0)
    net.add("pipes", ["AB", "BC"], from_junction=["A", "B"], to_junction=["B", "C"],
            length_km=[10.0, 20.0], diameter_mm=500.0)
    return net


def test_bulk_creation_and_defaults() -> None:
    net = small()
    assert list(net.pipes.index) == ["AB", "BC"]
    # schema defaults filled: roughness 0.05 mm, in_service True, empty owner
    assert (net.pipes["roughness_mm"] == 0.05).all()
    assert net.pipes["in_service"].all()
    assert (net.pipes["owner"] == "").all()
    assert net.pipes["p_max_bar"].isna().all()
    assert net.pipes["length_km"].dtype == np.float64
    assert net.validate().ok


def test_add_table_bulk_matches_add() -> None:
    net = Network()
    n = 1000
    ids = [f"J{i}" for i in range(n)]
    net.add_table("junctions", pd.DataFrame({"p_max_bar": np.full(n, 70.0)}, index=ids))
    assert len(net.junctions) == n
    assert net.junctions.index.name == "id"


def test_every_component_has_owner_and_country() -> None:
    from gasunion.network import ELEMENTS

    for comp in ELEMENTS:
        a = attributes(comp)
        assert "owner" in a and "country" in a, comp
        assert "source" in a, comp


def test_border_points_listed() -> None:
    bp = small().border_points()
    assert list(bp.index) == ["BC"]
    assert bp.loc["BC", "from_country"] == "KZ" and bp.loc["BC", "to_country"] == "UZ"


def test_reference_page_covers_schema() -> None:
    md = reference_markdown()
    for comp in COMPONENTS:
        assert f"## `{comp}`" in md
    assert "| `length_km` | float | km |" in md


def test_duplicate_ids_rejected() -> None:
    net = small()
    with pytest.raises(NetworkError, match=r"junctions: duplicate id\(s\): A"):
        net.add("junctions", "A")
    with pytest.raises(NetworkError, match="duplicate"):
        Network().add("junctions", ["X", "X"])


def test_unknown_column_and_wrong_type_named() -> None:
    net = small()
    with pytest.raises(NetworkError, match=r"unknown column.*lenght_km"):
        net.add("pipes", "x", from_junction="A", to_junction="B", lenght_km=1.0, diameter_mm=1.0)
    with pytest.raises(NetworkError, match=r"length_km.*element 'x'.*'abc'"):
        net.add("pipes", "x", from_junction="A", to_junction="B", length_km="abc", diameter_mm=1.0)
    with pytest.raises(NetworkError, match="required column 'diameter_mm' missing"):
        net.add("pipes", "x", from_junction="A", to_junction="B", length_km=1.0)
    with pytest.raises(KeyError, match="unknown component 'pipe'"):
        net.add("pipe", "x")


def test_validation_reports_everything_at_once() -> None:
    net = small()
    net.add("pipes", ["bad1", "bad2", "loop"],
            from_junction=["A", "Q", "B"], to_junction=["Z", "B", "B"],
            length_km=[0.0, -3.0, 1.0], diameter_mm=[500.0, 0.0, 100.0])
    net.junctions.loc["B", ["p_min_bar", "p_max_bar"]] = [90.0, 50.0]
    rep = net.validate()
    text = str(rep)
    expected = [
        "pipes['bad1'].to_junction: unknown junction 'Z'",
        "pipes['bad2'].from_junction: unknown junction 'Q'",
        "pipes['bad1'].length_km: must be > 0, got 0 km",
        "pipes['bad2'].length_km: must be > 0, got -3 km",
        "pipes['bad2'].diameter_mm: must be > 0, got 0 mm",
        "junctions['B'].p_min_bar: bounds inverted: p_min_bar = 90.0 > p_max_bar = 50.0",
        "pipes['loop'].to_junction: connects junction 'B' to itself",
    ]
    for e in expected:
        assert e in text, (e, text)
    assert len(rep.errors) == len(expected)
    with pytest.raises(NetworkValidationError) as info:
        rep.raise_if_errors()
    assert "7 error(s)" in str(info.value)
    frame = rep.to_frame()
    assert set(frame.columns) == {"severity", "component", "element", "field", "message"}


def test_island_without_pressure_reference() -> None:
    net = small()
    net.add("junctions", ["I1", "I2"])
    net.add("sinks", "D2", junction="I2", mass_flow_kg_s=1.0)
    net.add("pipes", "I12", from_junction="I1", to_junction="I2", length_km=1.0, diameter_mm=100.0)
    rep = net.validate()
    (err,) = rep.errors
    assert err.component == "junctions" and err.element == "I1"
    assert "island of 2 junction(s) (I1, I2) has no pressure reference" in err.message
    # a regulator in mode p_out feeding the island anchors it
    net.add("control_valves", "R", from_junction="C", to_junction="I1", mode="p_out",
            p_out_set_bar=30.0)
    assert net.validate().ok


def test_choice_and_range_checks() -> None:
    net = small()
    net.add("compressors", "K", from_junction="B", to_junction="C", mode="turbo",
            efficiency=1.5)
    rep = net.validate()
    msgs = [str(i) for i in rep.errors]
    assert any("compressors['K'].mode: 'turbo' is not one of ratio, p_out, bypass, off" in m
               for m in msgs)
    assert any("compressors['K'].efficiency: must lie in (0, 1], got 1.5" in m for m in msgs)


def test_isolated_junction_is_a_warning_only() -> None:
    net = small()
    net.add("junctions", "lonely")
    rep = net.validate()
    assert rep.ok
    assert [w.element for w in rep.warnings] == ["lonely"]


def test_copy_and_equals() -> None:
    net = small()
    c = net.copy()
    assert c.equals(net)
    c.pipes.loc["AB", "length_km"] = 11.0
    assert not c.equals(net)
    assert net.pipes.loc["AB", "length_km"] == 10.0
    assert math.isnan(c.pipes.loc["AB", "p_max_bar"])


def test_docs_reference_page_is_generated_from_schema() -> None:
    """docs/reference/components.md must equal the schema's generated page (regenerate with
    ``python -c "from gasunion.network.schema import reference_markdown as r; print(r())"``)."""
    from pathlib import Path

    page = Path(__file__).resolve().parents[2] / "docs" / "reference" / "components.md"
    assert page.read_text() == reference_markdown() + "\n"


def test_duplicate_ids_found_by_validation_after_direct_edit() -> None:
    """Tables edited with plain pandas (here: a concatenation) are checked too."""
    net = small()
    net["pipes"] = pd.concat([net.pipes, net.pipes.loc[["AB"]]])
    errs = [str(i) for i in net.validate().errors]
    assert errs == ["error: pipes['AB'].id: duplicate id"]


def test_ownership_shares_and_interconnections_are_validated() -> None:
    """A joint venture (50/50) replaces the single owner; shares must sum to 1 and name an
    existing element; a branch's interconnection must exist."""
    net = Network("jv")
    net.add("junctions", ["A", "B"], country=["KZ", "CN"])
    net.add("pipes", ["P", "Q"], from_junction="A", to_junction="B", length_km=1.0,
            diameter_mm=500.0, owner="QAZAQGAZ", interconnection="KZ-CN")
    net.add("ownership", ["P/QG", "P/CNPC", "X/QG"], component="pipes",
            element=["P", "P", "X"], party=["QAZAQGAZ", "CNPC", "QAZAQGAZ"],
            share=[0.5, 0.4, 1.0])
    errors = {(i.component, i.field): i.message for i in net.validate().errors}
    assert "unknown interconnections id 'KZ-CN'" in errors[("pipes", "interconnection")]
    assert "sum to 0.9" in errors[("ownership", "share")]
    assert "no pipes element 'X'" in errors[("ownership", "element")]
    net.add("interconnections", "KZ-CN", from_country="KZ", to_country="CN")
    net.ownership.loc["P/CNPC", "share"] = 0.5
    net.remove("ownership", "X/QG")
    assert not net.validate().errors
    shares = net.ownership_shares().set_index(["element", "party"])["share"]
    assert shares.to_dict() == {("P", "QAZAQGAZ"): 0.5, ("P", "CNPC"): 0.5,
                                ("Q", "QAZAQGAZ"): 1.0}
