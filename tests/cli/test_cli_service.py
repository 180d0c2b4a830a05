"""``gasunion admin create-party | create-token | verify-audit``: exit codes and --json."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

pytest.importorskip("fastapi")
pytest.importorskip("alembic")

from typer.testing import CliRunner

from gasunion.cli import app

runner = CliRunner()


def _run(*args: str) -> tuple[int, str]:
    r = runner.invoke(app, list(args))
    return r.exit_code, r.stdout


@pytest.fixture
def db(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'svc.db'}"


def test_create_party_and_token(db: str, tmp_path: Path) -> None:
    code, out = _run("admin", "create-party", "ADMIN", "--role", "admin", "--db", db, "--json")
    assert code == 0
    doc = json.loads(out)
    assert doc["ok"] and doc["party"]["role"] == "admin"
    code, out = _run("admin", "create-token", "ADMIN", "--db", db, "--json")
    assert code == 0
    token = json.loads(out)["token"]
    assert token.startswith("gu_") and len(token) > 40
    code, out = _run("admin", "create-token", "ADMIN", "--db", db)
    assert code == 0 and out.strip().startswith("gu_") and out.strip() != token
    with sqlite3.connect(tmp_path / "svc.db") as c:
        stored = [h for (h,) in c.execute("SELECT token_hash FROM tokens")]
    assert token not in stored and len(stored) == 2


def test_create_party_errors(db: str) -> None:
    assert _run("admin", "create-party", "S1", "--db", db)[0] == 0
    code, out = _run("admin", "create-party", "S1", "--db", db, "--json")
    assert code == 2
    doc = json.loads(out)
    assert not doc["ok"] and "exists" in doc["error"]["message"]
    code, out = _run("admin", "create-party", "S9", "--role", "king", "--db", db, "--json")
    assert code == 2 and json.loads(out)["error"]["kind"] == "bad_option"
    code, out = _run("admin", "create-token", "NOBODY", "--db", db, "--json")
    assert code == 2 and "NOBODY" in json.loads(out)["error"]["message"]


def test_verify_audit(db: str, tmp_path: Path) -> None:
    for pid in ("A", "B", "C"):
        assert _run("admin", "create-party", pid, "--role", "tso", "--db", db)[0] == 0
    code, out = _run("admin", "verify-audit", "--db", db, "--json")
    assert code == 0
    assert json.loads(out)["audit"] == {"ok": True, "rows": 3, "broken_seq": None, "reason": ""}
    code, out = _run("admin", "verify-audit", "--db", db)
    assert code == 0 and "verifies (3 rows)" in out
    with sqlite3.connect(tmp_path / "svc.db") as c:
        c.execute("UPDATE audit_log SET actor = 'mallory' WHERE seq = 2")
    code, out = _run("admin", "verify-audit", "--db", db, "--json")
    assert code == 1
    doc = json.loads(out)
    assert not doc["ok"] and doc["error"]["diagnosis"][0]["broken_seq"] == 2
    assert "row 2" in doc["error"]["message"]


def test_verify_audit_detects_a_deleted_row(db: str, tmp_path: Path) -> None:
    for pid in ("A", "B", "C"):
        _run("admin", "create-party", pid, "--db", db)
    with sqlite3.connect(tmp_path / "svc.db") as c:
        c.execute("DELETE FROM audit_log WHERE seq = 3")
    code, out = _run("admin", "verify-audit", "--db", db, "--json")
    assert code == 1 and "rows removed" in json.loads(out)["error"]["message"]
