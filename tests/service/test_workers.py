"""``gasunion serve --workers 2`` on one SQLite file: two server processes write at once.

Every write transaction queues on the writers' lock (a thread lock plus an ``flock`` of
``<db>-writers.lock``, :class:`gasunion.service.db.WritersLock`). What must hold whatever the
interleaving: every request is acknowledged once (201, no 5xx, no "database is locked"), the
nominations are all there with distinct ids, and the hash-chained audit log is one linear
chain (``gasunion admin verify-audit`` recomputes it) with one entry per change.
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
from test_crash_safety import (  # the real server as a subprocess, shared helpers
    Server,
    _admin_token,
    _cli,
    _request,
    _set_up,
)

from gasunion.service.db import WritersLock, writers_lock

N = 240


def test_two_server_processes_write_one_linear_audit_chain(tmp_path: Path) -> None:
    db_url = f"sqlite:///{tmp_path}/db.sqlite"
    admin = _admin_token(db_url)
    srv = Server(db_url, tmp_path / "server.log", workers=2)
    try:
        token = _set_up(srv.base, admin)
        reqs = [_request(i) for i in range(N)]

        def send(i: int) -> tuple[int, int, str]:
            key, body = reqs[i]
            with httpx.Client(base_url=srv.base, timeout=60,
                              headers={"Authorization": f"Bearer {token}"}) as c:
                r = c.post("/nominations", json=body, headers={"Idempotency-Key": key})
            return i, r.status_code, r.text

        with ThreadPoolExecutor(max_workers=24) as pool:
            answers = list(pool.map(send, range(N)))
        bad = [a for a in answers if a[1] != 201]
        assert not bad, bad[:5]
        ids = {int(json.loads(text)["id"]) for _, _, text in answers}
        assert len(ids) == N
        with httpx.Client(base_url=srv.base, timeout=30,
                          headers={"Authorization": f"Bearer {admin}"}) as c:
            r = c.get("/audit", params={"limit": 10_000})
            assert r.status_code == 200, r.text
            rows = r.json()
    finally:
        srv.stop()
    # the admin party and its token (CLI), 4 parties, 1 point and 1 token (_set_up), then one
    # entry per nomination, numbered 1, 2, ... without a gap
    assert [row["seq"] for row in rows] == list(range(1, 8 + N + 1))
    noms = [row for row in rows if row["entity"] == "nomination"]
    assert sorted(int(row["entity_id"]) for row in noms) == sorted(ids)
    assert (tmp_path / "db.sqlite-writers.lock").exists()
    cp = _cli("admin", "verify-audit", "--db", db_url, "--json")
    assert cp.returncode == 0, cp.stdout + cp.stderr
    verdict = json.loads(cp.stdout)["audit"]
    assert verdict["ok"] and verdict["rows"] == 8 + N, verdict


def test_writers_lock_file_is_next_to_a_sqlite_file_only(tmp_path: Path) -> None:
    lk = writers_lock(f"sqlite:///{tmp_path}/a.db")
    assert lk.lock_file == tmp_path / "a.db-writers.lock"
    assert writers_lock("sqlite:///:memory:").lock_file is None
    assert writers_lock("postgresql://u:p@localhost/db").lock_file is None
    with lk:  # re-entrant use from one thread after release
        pass
    with lk:
        pass
    assert isinstance(lk, WritersLock)
