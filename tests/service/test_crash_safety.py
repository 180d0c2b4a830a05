"""Crash safety of ``gasunion serve`` on SQLite: a SIGKILL in the middle of a burst of writes
loses no acknowledged nomination, a retry with the same Idempotency-Key never makes a second
one, and the audit chain still verifies.

The real server runs as a subprocess (``python -m gasunion.cli serve --db sqlite:///... --port
P``); nothing here is mocked. A test that cannot start the service fails (it is not skipped).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

SRC = Path(__file__).resolve().parents[2] / "src"
N_REQUESTS = 400  # nominations in the burst
KILL_AFTER = 80  # acknowledgements seen before the SIGKILL
TSO, COUNTER_TSO = "crash-tso-a", "crash-tso-b"
SHIPPER, COUNTER_SHIPPER = "crash-shipper-a", "crash-shipper-b"
IP = "crash-ip-1"


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(SRC), env.get("PYTHONPATH", "")) if p)
    return env


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "gasunion.cli", *args], capture_output=True,
                          text=True, env=_env(), timeout=120)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """``gasunion serve`` in a subprocess, its output kept for the failure messages."""

    def __init__(self, db_url: str, log: Path, workers: int = 1) -> None:
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = log
        self._fh = log.open("a")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "gasunion.cli", "serve", "--db", db_url, "--host", "127.0.0.1",
             "--port", str(self.port), "--workers", str(workers)],
            stdout=self._fh, stderr=subprocess.STDOUT, env=_env(), start_new_session=True)
        end = time.monotonic() + 60
        while time.monotonic() < end:
            if self.proc.poll() is not None:
                pytest.fail(f"gasunion serve exited with {self.proc.returncode}:\n{log.read_text()}")
            try:
                if httpx.get(self.base + "/health", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        self.kill()
        pytest.fail(f"gasunion serve not healthy after 60 s:\n{log.read_text()}")

    def kill(self) -> None:
        # the whole process group: with --workers N the worker processes too
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(30)
        self._fh.close()

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        self.kill()


def _admin_token(db_url: str) -> str:
    admin = "crash-admin"
    cp = _cli("admin", "create-party", admin, "--name", "Crash-test admin", "--role", "admin",
              "--country", "XX", "--db", db_url)
    assert cp.returncode == 0, cp.stdout + cp.stderr
    cp = _cli("admin", "create-token", admin, "--db", db_url)
    assert cp.returncode == 0, cp.stdout + cp.stderr
    token = cp.stdout.strip().splitlines()[-1].strip()
    assert token, cp.stdout
    return token


def _set_up(base: str, admin: str) -> str:
    """Two TSOs, two shippers and a point between the TSOs; the shipper's token."""
    with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {admin}"}, timeout=30) as c:
        for pid, role, country in [(TSO, "tso", "KZ"), (COUNTER_TSO, "tso", "UZ"),
                                   (SHIPPER, "shipper", "KZ"), (COUNTER_SHIPPER, "shipper", "UZ")]:
            r = c.post("/parties", json={"id": pid, "name": pid, "role": role, "country": country})
            assert r.status_code == 201, r.text
        r = c.post("/interconnection-points",
                   json={"id": IP, "name": "Crash-test point", "tso": TSO, "counter_tso": COUNTER_TSO,
                         "capacity_forward_kwh_d": 1e12, "capacity_reverse_kwh_d": 1e12})
        assert r.status_code == 201, r.text
        r = c.post(f"/parties/{SHIPPER}/tokens")
        assert r.status_code in (200, 201), r.text
        return str(r.json()["token"])


def _request(i: int) -> tuple[str, dict[str, Any]]:
    """The i-th nomination of the burst (its own gas day and hour) and its Idempotency-Key."""
    day = (dt.date(2031, 1, 1) + dt.timedelta(days=i // 24)).isoformat()
    body = {"gas_day": day, "ip": IP, "tso": TSO, "counter_tso": COUNTER_TSO,
            "counter_shipper": COUNTER_SHIPPER, "direction": "entry",
            "quantity_kwh": 1000.0 + i, "hour": i % 24}
    return f"crash-{i}-{uuid.uuid4().hex}", body


def _items(payload: Any) -> list[dict[str, Any]]:
    if isinstance(payload, dict):
        for k in ("items", "nominations", "data"):
            if isinstance(payload.get(k), list):
                return list(payload[k])
    assert isinstance(payload, list), payload
    return payload


@pytest.mark.slow  # ~18 s
def test_sigkill_mid_burst_loses_no_acknowledged_nomination(tmp_path: Path) -> None:
    db_url = f"sqlite:///{tmp_path}/db.sqlite"
    log = tmp_path / "server.log"
    admin = _admin_token(db_url)
    srv = Server(db_url, log)
    try:
        token = _set_up(srv.base, admin)
        reqs = [_request(i) for i in range(N_REQUESTS)]
        acked: dict[int, dict[str, Any]] = {}  # request index -> the 201 answer's body
        failed: list[int] = []
        lock = threading.Lock()
        enough = threading.Event()
        local = threading.local()
        clients: list[Any] = []

        def send(i: int) -> None:
            c = getattr(local, "c", None)
            if c is None:
                c = local.c = httpx.Client(base_url=srv.base, timeout=30,
                                           headers={"Authorization": f"Bearer {token}"})
                with lock:
                    clients.append(c)
            key, body = reqs[i]
            try:
                r = c.post("/nominations", json=body, headers={"Idempotency-Key": key})
            except httpx.HTTPError:
                with lock:
                    failed.append(i)
                return
            with lock:
                if r.status_code == 201:
                    acked[i] = r.json()
                    if len(acked) >= KILL_AFTER:
                        enough.set()
                else:  # anything but 201 before the kill is a bug of its own
                    failed.append(i)
                    assert enough.is_set(), f"request {i}: {r.status_code} {r.text}"

        with ThreadPoolExecutor(max_workers=16) as pool:
            futures = [pool.submit(send, i) for i in range(N_REQUESTS)]
            assert enough.wait(60), f"only {len(acked)} nominations acknowledged in 60 s"
            srv.kill()  # SIGKILL, mid-burst
            for f in futures:
                f.result()
        for c in clients:
            c.close()
        assert KILL_AFTER <= len(acked) < N_REQUESTS, "the kill did not land mid-burst"
        assert failed, "no request failed: the server was not killed mid-burst"

        # the chain is intact right after the crash, before any restart
        cp = _cli("admin", "verify-audit", "--db", db_url)
        assert cp.returncode == 0, f"verify-audit after SIGKILL: {cp.stdout}{cp.stderr}"

        srv = Server(db_url, log)
        with httpx.Client(base_url=srv.base, timeout=30,
                          headers={"Authorization": f"Bearer {token}"}) as c:
            # every acknowledged nomination is there, as acknowledged
            for i, ack in acked.items():
                _, body = reqs[i]
                r = c.get(f"/nominations/{ack['id']}")
                assert r.status_code == 200, f"acknowledged nomination {ack['id']} lost: {r.text}"
                got = r.json()
                for k in ("gas_day", "ip", "direction", "quantity_kwh", "hour"):
                    assert got[k] == body[k], (k, got, body)
            # retrying every request with its key makes each exactly once
            for i, (key, body) in enumerate(reqs):
                r = c.post("/nominations", json=body, headers={"Idempotency-Key": key})
                assert r.status_code in (200, 201), f"retry {i}: {r.status_code} {r.text}"
                if i in acked:
                    assert r.json()["id"] == acked[i]["id"], "a replay made a second nomination"
            ids = set()
            for day in sorted({b["gas_day"] for _, b in reqs}):
                r = c.get("/nominations", params={"gas_day": day})
                assert r.status_code == 200, r.text
                ids |= {n["id"] for n in _items(r.json())}
            assert len(ids) == N_REQUESTS
    finally:
        srv.stop()
    cp = _cli("admin", "verify-audit", "--db", db_url)
    assert cp.returncode == 0, f"verify-audit: {cp.stdout}{cp.stderr}"
