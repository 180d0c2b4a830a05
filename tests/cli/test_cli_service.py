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


def test_unusable_databases_and_options_are_bad_input(tmp_path: Path) -> None:
    """verify-audit on a database that does not exist does not create one (and says so), an
    unknown URL scheme or a file that is not SQLite is bad input naming --db, a port out of
    range is refused before anything starts: all exit 2 with one JSON document."""
    missing = tmp_path / "no" / "such.db"
    code, out = _run("admin", "verify-audit", "--db", f"sqlite:///{missing}", "--json")
    assert code == 2 and "no such database" in json.loads(out)["error"]["message"]
    assert not missing.parent.exists()
    code, out = _run("admin", "verify-audit", "--db", "foo://bar", "--json")
    assert code == 2 and "--db foo://bar" in json.loads(out)["error"]["message"]
    text = tmp_path / "text.db"
    text.write_text("not a database\n")
    code, out = _run("admin", "create-party", "X", "--db", f"sqlite:///{text}", "--json")
    assert code == 2 and "not a database" in json.loads(out)["error"]["message"]
    code, out = _run("serve", "--port", "99999", "--db", f"sqlite:///{tmp_path / 'a.db'}",
                     "--json")
    assert code == 2 and json.loads(out)["error"]["kind"] == "bad_option"


def test_serve_refuses_an_invalid_network_at_start(tmp_path: Path) -> None:
    """A network with a negative pipe length is refused before the server starts (exit 2,
    the element and field named), not at the first hydraulic check."""
    src = Path(__file__).resolve().parents[1] / "data" / "gaslib" / "GasLib-11" / "GasLib-11.net"
    text = src.read_text()
    bad = tmp_path / "bad.net"
    i = text.index('<length unit="km" value="')
    j = text.index('"', i + len('<length unit="km" value="'))
    bad.write_text(text[:i] + '<length unit="km" value="-5' + text[j:])
    code, out = _run("serve", "--db", f"sqlite:///{tmp_path / 's.db'}", "--network", str(bad),
                     "--json")
    doc = json.loads(out)
    assert code == 2 and doc["error"]["kind"] == "invalid_network", doc
    assert any(r.get("field") == "length_km" for r in doc["error"]["diagnosis"]), doc
