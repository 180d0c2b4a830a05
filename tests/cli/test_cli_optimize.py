"""``gasunion optimize ...``: exit codes, JSON on every outcome, GasModels' objective values
through the command line, the operated network confirmed by ``gasunion simulate``.

Reference values: GasModels.jl's own tests (lanl-ansi/GasModels.jl, ``test/ogf.jl`` lines
5-10 and 142-147: case-6-no-power-limits.m -253.683, case-6.m -167.190, atol 1e-2).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from gasunion.cli import app

DATA = Path(__file__).resolve().parents[1] / "data"
MATGAS = DATA / "matgas"
runner = CliRunner()


def run(*args: str) -> Any:
    return runner.invoke(app, list(args), env={"COLUMNS": "80"})


@pytest.mark.parametrize("args, kind", [
    (("transport", "--periods", "zero"), "bad_option"),
    (("transport", "--periods", "0"), "bad_option"),
    (("transport", "--scenario", "1999"), "bad_option"),
    (("ogf", "no-such-file.m"), "bad_input"),
    (("shed", "--outage", "P12"), "bad_option"),
    (("ogf", str(MATGAS / "case-6.m"), "--formulation", "quantum"), "bad_input"),
    (("ogf", str(MATGAS / "case-6.m"), "--scenario", "missing.scn"), "bad_input"),
])
def test_bad_input_exit_2_with_json(args: tuple[str, ...], kind: str) -> None:
    r = run("optimize", *args, "--json")
    assert r.exit_code == 2, r.output
    doc = json.loads(r.stdout)
    assert doc["ok"] is False and doc["error"]["kind"] == kind
    assert "Traceback" not in r.output


def test_bad_input_without_json_is_one_message() -> None:
    r = run("optimize", "transport", "--periods", "zero")
    assert r.exit_code == 2
    assert "Traceback" not in r.output and "--periods zero" in r.output
