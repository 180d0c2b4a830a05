"""Fixtures of the service tests: a database per test (a SQLite file always; PostgreSQL when
$GASUNION_TEST_PG_URL is set, in a schema of its own), the app with a settable clock and a
small union: admin, TSOs A and B at IP1, C and D at IP2, shippers S1/S2 at IP1, S3/S4 at IP2."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("fastapi")
pytest.importorskip("alembic")

from fastapi.testclient import TestClient

from gasunion.service.admin import create_party, create_token, open_db
from gasunion.service.app import create_app
from gasunion.service.nominations import Deadlines

PG_ENV = "GASUNION_TEST_PG_URL"
GAS_DAY = "2030-01-10"  #: nominations until 2030-01-09 13:00 UTC
BACKENDS = ["sqlite", *(["postgresql"] if os.environ.get(PG_ENV) else [])]


def _pg_url(base: str) -> Iterator[str]:
    from sqlalchemy import create_engine, text

    from gasunion.service.db import resolve_url

    base = resolve_url(base)
    schema = "t_" + uuid.uuid4().hex[:12]
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f"CREATE SCHEMA {schema}"))
    sep = "&" if "?" in base else "?"
    try:
        yield f"{base}{sep}options=-csearch_path%3D{schema}"
    finally:
        with admin.connect() as c:
            c.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


def make_db_url(backend: str, folder: Path) -> Iterator[str]:
    if backend == "sqlite":
        yield f"sqlite:///{folder / 'service.db'}"
    else:
        yield from _pg_url(os.environ[PG_ENV])


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    yield from make_db_url(request.param, tmp_path)


@dataclass
class Clock:
    now: datetime = field(default_factory=lambda: datetime(2030, 1, 8, 12, tzinfo=UTC))

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Union:
    """The app's client, its clock and each party's ``Authorization`` header."""

    client: TestClient
    clock: Clock
    db_url: str
    auth: dict[str, dict[str, str]]

    def h(self, party: str, **extra: str) -> dict[str, str]:
        return {**self.auth[party], **extra}

    def nominate(self, shipper: str, **body: Any) -> Any:
        return self.client.post("/nominations", json=body, headers=self.h(shipper))


PARTIES = [("A", "tso"), ("B", "tso"), ("C", "tso"), ("D", "tso"),
           ("S1", "shipper"), ("S2", "shipper"), ("S3", "shipper"), ("S4", "shipper")]


def build_union(db_url: str) -> Union:
    engine = open_db(db_url)
    create_party(engine, "ADMIN", "Administrator", "admin", "XX")
    admin_token = create_token(engine, "ADMIN")
    engine.dispose()
    clock = Clock()
    client = TestClient(create_app(db_url, deadline=Deadlines(clock=clock)))
    u = Union(client, clock, db_url, {"ADMIN": {"Authorization": f"Bearer {admin_token}"}})
    for pid, role in PARTIES:
        r = client.post("/parties", json={"id": pid, "name": f"party {pid}", "role": role,
                                          "country": "KZ"}, headers=u.h("ADMIN"))
        assert r.status_code == 201, r.text
        r = client.post(f"/parties/{pid}/tokens", headers=u.h("ADMIN"))
        assert r.status_code == 201, r.text
        u.auth[pid] = {"Authorization": f"Bearer {r.json()['token']}"}
    for ip, a, b in (("IP1", "A", "B"), ("IP2", "C", "D")):
        r = client.post("/interconnection-points", headers=u.h("ADMIN"), json={
            "id": ip, "name": f"{a}-{b}", "tso": a, "counter_tso": b,
            "capacity_forward_kwh_d": 20e6, "capacity_reverse_kwh_d": 5e6})
        assert r.status_code == 201, r.text
    return u


@pytest.fixture
def union(db_url: str) -> Iterator[Union]:
    u = build_union(db_url)
    with u.client:
        yield u
    u.client.app.state.engine.dispose()  # type: ignore[attr-defined]


@pytest.fixture(scope="module", params=BACKENDS)
def world(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
          ) -> Iterator[tuple[Union, dict[str, int]]]:
    """A union shared by a module's tests, with nominations on both sides of IP1 (S1 <-> S2)
    and IP2 (S3 <-> S4), matched by A and C: the nomination ids by ``shipper@ip``."""
    gen = make_db_url(request.param, tmp_path_factory.mktemp("world"))
    u = build_union(next(gen))
    ids = {}
    with u.client:
        for shipper, ip, tso, ctso, cs, d in (("S1", "IP1", "A", "B", "S2", "exit"),
                                              ("S2", "IP1", "B", "A", "S1", "entry"),
                                              ("S3", "IP2", "C", "D", "S4", "exit"),
                                              ("S4", "IP2", "D", "C", "S3", "entry")):
            r = u.nominate(shipper, gas_day=GAS_DAY, ip=ip, tso=tso, counter_tso=ctso,
                           counter_shipper=cs, direction=d, quantity_kwh=1e6)
            assert r.status_code == 201, r.text
            ids[f"{shipper}@{ip}"] = r.json()["id"]
        for tso in ("A", "C"):
            r = u.client.post(f"/gas-days/{GAS_DAY}/matching", headers=u.h(tso))
            assert r.status_code == 200, r.text
        yield u, ids
    u.client.app.state.engine.dispose()  # type: ignore[attr-defined]
    gen.close()
