"""Benchmark: latency of the coordination service (``gasunion serve``) under a steady load.

The real server (``gasunion serve --db sqlite:///... --port P``, a subprocess, loopback) gets an
**open-loop** load of 200 requests/s for 60 s: requests are *scheduled* at fixed instants
(t0 + i/rate) whatever the server does, so a slow answer does not slow the load down
(no coordinated omission); a request's latency is measured from its scheduled instant to the
end of its answer. The mix: 50 % ``POST /nominations`` (a new nomination each, with an
``Idempotency-Key``), 30 % ``GET /nominations/{id}`` of one already made, 20 %
``GET /nominations?gas_day=``. Every answer must be a 2xx (``errors`` counts the others and
transport failures) and the server must keep up (``sustained``: the achieved rate at least
95 % of the offered one); the run exits 1 otherwise.

In the same run, the same load generator drives a bare FastAPI endpoint (``GET /ping``
returning a constant, served by uvicorn in a subprocess the same way) at the same rate for the
same time; the figure of merit is the ratio of the two p99 latencies (how much the service adds
over the framework and the loopback on this machine).

Run: ``python benchmarks/service_latency.py`` (60 s per phase, ~2.5 min) or ``--quick``
(10 s per phase); writes ``benchmarks/results/service_latency.json`` (``--out``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SRC = ROOT / "src"

#: the parties of the benchmark (ids); the shipper nominates against the counter-shipper
TSO, COUNTER_TSO = "bench-tso-a", "bench-tso-b"
SHIPPER, COUNTER_SHIPPER = "bench-shipper-a", "bench-shipper-b"
IP = "bench-ip-1"


# --------------------------------------------------------------------------- servers


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(SRC), env.get("PYTHONPATH", "")) if p)
    return env


def cli(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    """``gasunion ARGS`` from this checkout."""
    return subprocess.run([sys.executable, "-m", "gasunion.cli", *args], capture_output=True,
                          text=True, env=_env(), check=check, timeout=120)


def wait_healthy(base: str, proc: subprocess.Popen[str], path: str, timeout: float = 60.0) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if proc.poll() is not None:
            out = proc.stdout.read() if proc.stdout else ""
            raise RuntimeError(f"server exited with {proc.returncode} before it was up:\n{out}")
        try:
            if httpx.get(base + path, timeout=1.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"server not healthy at {base}{path} after {timeout:.0f} s")


def start(cmd: list[str], base: str, health: str, workers: int = 1) -> subprocess.Popen[str]:
    """Start a server and return once it answers ``health`` and all its ``workers`` processes
    have said "Application startup complete" (a load on a half-booted server measures the
    boot, not the service)."""
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            env=_env())
    booted = threading.Semaphore(0)
    # drain the server's output (a full pipe would block it), counting the booted workers
    threading.Thread(target=_drain, args=(proc, booted), daemon=True).start()
    try:
        wait_healthy(base, proc, health)
        end = time.monotonic() + 120.0
        for _ in range(workers):
            if not booted.acquire(timeout=max(end - time.monotonic(), 0.0)):
                raise RuntimeError(f"not all {workers} worker processes booted in 120 s")
    except Exception:
        proc.kill()
        raise
    return proc


def _drain(proc: subprocess.Popen[str], booted: threading.Semaphore) -> None:
    if proc.stdout is not None:
        for line in proc.stdout:
            if "Application startup complete" in line:
                booted.release()


def stop(proc: subprocess.Popen[str]) -> None:
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(10)


def bare_app() -> Any:
    from fastapi import FastAPI

    app = FastAPI()

    @app.get("/ping")
    def ping() -> dict[str, bool]:
        return {"ok": True}

    return app


def serve_bare(port: int, workers: int) -> None:  # pragma: no cover - runs in the subprocess
    import uvicorn

    if workers == 1:
        uvicorn.run(bare_app(), host="127.0.0.1", port=port, access_log=False)
    else:  # the worker processes import this module by name (PYTHONPATH: benchmarks/)
        sys.path.insert(0, str(HERE))
        os.environ["PYTHONPATH"] = os.pathsep.join([str(HERE), os.environ.get("PYTHONPATH", "")])
        uvicorn.run("service_latency:bare_app", factory=True, workers=workers,
                    host="127.0.0.1", port=port, access_log=False)


# --------------------------------------------------------------------------- set-up


def admin_token(db_url: str) -> str:
    """A fresh admin party and its token, made with the admin CLI."""
    admin = f"bench-admin-{uuid.uuid4().hex[:8]}"
    cli("admin", "create-party", admin, "--name", "Benchmark admin", "--role", "admin",
        "--country", "XX", "--db", db_url)
    out = cli("admin", "create-token", admin, "--db", db_url).stdout
    return out.strip().splitlines()[-1].strip()


def set_up(base: str, admin: str) -> str:
    """Parties, an interconnection point and the shipper's token; returns that token."""
    h = {"Authorization": f"Bearer {admin}"}
    with httpx.Client(base_url=base, headers=h, timeout=30) as c:
        for pid, role, country in [(TSO, "tso", "KZ"), (COUNTER_TSO, "tso", "UZ"),
                                   (SHIPPER, "shipper", "KZ"), (COUNTER_SHIPPER, "shipper", "UZ")]:
            r = c.post("/parties", json={"id": pid, "name": pid, "role": role, "country": country})
            r.raise_for_status()
        r = c.post("/interconnection-points",
                   json={"id": IP, "name": "Benchmark point", "tso": TSO, "counter_tso": COUNTER_TSO,
                         "capacity_forward_kwh_d": 1e12, "capacity_reverse_kwh_d": 1e12})
        r.raise_for_status()
        r = c.post("/parties/" + SHIPPER + "/tokens")
        r.raise_for_status()
        return str(r.json()["token"])


# --------------------------------------------------------------------------- load


class Mix:
    """The service's request mix (thread-safe: every write is a new nomination slot)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.n = 0
        self.writes = 0
        self.ids: list[int] = []
        self.day0 = dt.date(2030, 1, 1)

    def next(self) -> tuple[str, Callable[[httpx.Client], httpx.Response]]:
        with self.lock:
            i = self.n
            self.n += 1
            ids = self.ids
            known = ids[(i * 7919) % len(ids)] if ids else None
            k = i % 10
            write = k < 5 or known is None
            if write:  # each write a new (gas day, hour) slot: no duplicate-nomination 409
                j = self.writes
                self.writes += 1
        if write:
            day = (self.day0 + dt.timedelta(days=j // 24)).isoformat()
            body = {"gas_day": day, "ip": IP, "tso": TSO, "counter_tso": COUNTER_TSO,
                    "counter_shipper": COUNTER_SHIPPER, "direction": "entry",
                    "quantity_kwh": 1000.0 + i, "hour": j % 24}

            def post(c: httpx.Client) -> httpx.Response:
                r = c.post("/nominations", json=body, headers={"Idempotency-Key": uuid.uuid4().hex})
                if r.status_code == 201:
                    with self.lock:
                        self.ids.append(int(r.json()["id"]))
                return r

            return "write", post
        if k < 8:
            return "read_one", lambda c: c.get(f"/nominations/{known}")
        day = self.day0.isoformat()
        return "read_day", lambda c: c.get("/nominations", params={"gas_day": day})


def open_loop(base: str, headers: dict[str, str], rate: float, seconds: float,
              make: Callable[[], tuple[str, Callable[[httpx.Client], httpx.Response]]],
              warmup: float = 2.0, workers: int = 64, warm_path: str = "/health"
              ) -> dict[str, Any]:
    """Requests at t0 + i/rate for ``warmup + seconds``; statistics of those after the warm-up."""
    local = threading.local()
    clients: list[httpx.Client] = []
    clients_lock = threading.Lock()

    def client() -> httpx.Client:
        c = getattr(local, "c", None)
        if c is None:
            c = httpx.Client(base_url=base, headers=headers, timeout=30)
            local.c = c
            with clients_lock:
                clients.append(c)
        return c

    results: list[tuple[float, str, float, float, int, str]] = []
    res_lock = threading.Lock()

    def one(t_sched: float, kind: str, fn: Callable[[httpx.Client], httpx.Response]) -> None:
        t_start = time.perf_counter()
        err = ""
        try:
            r = fn(client())
            status = r.status_code
            if not 200 <= status < 300:
                err = f"{status}: {r.text[:200]}"
        except Exception as e:
            status, err = 0, f"{type(e).__name__}: {e}"
        t_end = time.perf_counter()
        with res_lock:
            results.append((t_sched, kind, t_end - t_sched, t_end - t_start, status, err))

    n = round((warmup + seconds) * rate)
    pool = ThreadPoolExecutor(max_workers=workers)
    # every thread of the generator makes its client and connection before the clock starts:
    # an httpx.Client costs milliseconds of CPU to make (SSL context), and 64 of them made
    # during the load delayed the first seconds' requests by up to ~1 s, which the server
    # never saw
    ready = threading.Barrier(workers)

    def warm() -> None:
        client().get(warm_path)
        ready.wait(timeout=60)

    for f in [pool.submit(warm) for _ in range(workers)]:
        f.result()
    t0 = time.perf_counter() + 0.2
    late = 0.0
    for i in range(n):
        t = t0 + i / rate
        d = t - time.perf_counter()
        if d > 0:
            time.sleep(d)
        else:
            late = max(late, -d)
        kind, fn = make()
        pool.submit(one, t, kind, fn)
    pool.shutdown(wait=True)
    wall = time.perf_counter() - t0
    for c in clients:
        c.close()
    kept = [r for r in results if r[0] >= t0 + warmup]
    return summarise(kept, rate, seconds, wall - warmup, late)


def pct(xs: list[float], q: float) -> float:
    if not xs:
        return float("nan")
    s = sorted(xs)
    return s[min(len(s) - 1, int(q / 100.0 * len(s)))]


def summarise(rows: list[tuple[float, str, float, float, int, str]], rate: float, seconds: float,
              wall: float, late: float) -> dict[str, Any]:
    lat = [r[2] * 1e3 for r in rows]
    svc = [r[3] * 1e3 for r in rows]
    errors = [r[5] for r in rows if r[5]]
    out: dict[str, Any] = {
        "target_rate_per_s": rate, "seconds": seconds, "requests": len(rows),
        "achieved_rate_per_s": round(len(rows) / wall, 1) if wall > 0 else None,
        "errors": len(errors), "error_samples": sorted(set(errors))[:5],
        "latency_ms": {f"p{q}": round(pct(lat, q), 2) for q in (50, 90, 99, 99.9)}
        | {"max": round(max(lat), 2) if lat else None},
        "service_time_ms": {f"p{q}": round(pct(svc, q), 2) for q in (50, 99)},
        "generator_max_lag_ms": round(late * 1e3, 2),
        "by_kind": {},
    }
    for kind in sorted({r[1] for r in rows}):
        k = [r[2] * 1e3 for r in rows if r[1] == kind]
        out["by_kind"][kind] = {"requests": len(k), "p50_ms": round(pct(k, 50), 2),
                                "p99_ms": round(pct(k, 99), 2)}
    return out


# --------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--quick", action="store_true", help="10 s per phase instead of 60 s")
    ap.add_argument("--seconds", type=float, default=None)
    ap.add_argument("--rate", type=float, default=200.0)
    ap.add_argument("--out", type=Path, default=HERE / "results" / "service_latency.json")
    ap.add_argument("--workers", type=int, default=2,
                    help="server processes, for the service and the bare endpoint alike "
                    "(gasunion serve --workers; default 2, the cores of the reference machine)")
    ap.add_argument("--bare-server", type=int, default=None, help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    if a.bare_server is not None:  # the bare FastAPI endpoint, in its own process
        serve_bare(a.bare_server, a.workers)
        return 0
    seconds = a.seconds or (10.0 if a.quick else 60.0)

    with tempfile.TemporaryDirectory(prefix="gasunion-bench-") as tmp:
        db_url = f"sqlite:///{tmp}/service.sqlite"
        admin = admin_token(db_url)
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        srv = start([sys.executable, "-m", "gasunion.cli", "serve", "--db", db_url,
                     "--host", "127.0.0.1", "--port", str(port), "--workers", str(a.workers)],
                    base, "/health", a.workers)
        try:
            token = set_up(base, admin)
            mix = Mix()
            print(f"service: {a.rate:.0f} req/s for {seconds:.0f} s ...", flush=True)
            service = open_loop(base, {"Authorization": f"Bearer {token}"}, a.rate, seconds, mix.next)
        finally:
            stop(srv)

        bport = free_port()
        bbase = f"http://127.0.0.1:{bport}"
        bare = start([sys.executable, str(Path(__file__).resolve()), "--bare-server", str(bport),
                      "--workers", str(a.workers)],
                     bbase, "/ping", a.workers)
        try:
            print(f"bare FastAPI: {a.rate:.0f} req/s for {seconds:.0f} s ...", flush=True)
            ping = open_loop(bbase, {}, a.rate, seconds,
                             lambda: ("ping", lambda c: c.get("/ping")), warm_path="/ping")
        finally:
            stop(bare)

    p99s, p99b = service["latency_ms"]["p99"], ping["latency_ms"]["p99"]
    result = {
        "benchmark": "service_latency",
        "quick": a.quick,
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count(),
                    "platform": platform.platform()},
        "database": "sqlite (WAL, synchronous=FULL), file in a temp dir",
        "workers": a.workers,
        "mix": {"write POST /nominations": 0.5, "read GET /nominations/{id}": 0.3,
                "read GET /nominations?gas_day=": 0.2},
        "service": service,
        "bare_fastapi": ping,
        "p99_ratio_service_to_bare": round(p99s / p99b, 2) if p99b else None,
        # the server kept up with the offered load (else the latencies are queueing times)
        "sustained": (service["achieved_rate_per_s"] or 0) >= 0.95 * a.rate,
        "errors": service["errors"] + ping["errors"],
    }
    result["ok"] = result["errors"] == 0 and result["sustained"]
    a.out.parent.mkdir(parents=True, exist_ok=True)
    a.out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps({k: result[k] for k in ("p99_ratio_service_to_bare", "sustained", "ok")}
                     | {"service_latency_ms": service["latency_ms"], "service_errors": service["errors"],
                        "bare_latency_ms": ping["latency_ms"]}, indent=2))
    print(f"written {a.out}")
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
