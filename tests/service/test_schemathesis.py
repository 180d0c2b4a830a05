"""Property-based API tests from the service's own OpenAPI schema (schemathesis): whatever the
request a client can build from the schema, the service never answers 5xx.

The app runs in process (ASGI) on a fresh SQLite file and, when ``GASUNION_TEST_PG_URL`` is
set (as in CI), on PostgreSQL too (where column lengths, types and transactions are enforced
for real). Requests carry a valid token: an admin's (every admin operation reaches its
handler) and a shipper's (nominations get past the role check). The database holds a small
union (two TSOs, two shippers, an interconnection point, a nomination) so that generated ids
sometimes hit real rows.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import not_a_server_error

from gasunion.service import core
from gasunion.service.app import create_app

MAX_EXAMPLES = 15  # per operation, token and database


def _bootstrap_admin(app: Any) -> str:
    """An admin party and its token, straight in the database (as ``gasunion admin`` does)."""
    from sqlalchemy.orm import Session

    admin = f"st-admin-{uuid.uuid4().hex[:8]}"
    with Session(app.state.engine) as s:
        core.write(s, "bootstrap", None, uuid.uuid4().hex, lambda s: core.Result(
            201, core.add_party(s, "bootstrap", admin, "Schemathesis admin", "admin", "XX")))
        res = core.write(s, "bootstrap", None, uuid.uuid4().hex, lambda s: core.Result(
            201, core.add_token(s, "bootstrap", admin)))
    return str(res.body)


def _populate(app: Any, admin: str) -> str:
    """A small union through the API; the shipper's token."""
    from fastapi.testclient import TestClient

    sfx = uuid.uuid4().hex[:6]
    tso, ctso, ship, cship, ip = (f"{p}-{sfx}" for p in ("tso", "ctso", "ship", "cship", "ip"))
    with TestClient(app, headers={"Authorization": f"Bearer {admin}"}) as c:
        for pid, role in [(tso, "tso"), (ctso, "tso"), (ship, "shipper"), (cship, "shipper")]:
            r = c.post("/parties", json={"id": pid, "name": pid, "role": role, "country": "KZ"})
            assert r.status_code == 201, r.text
        r = c.post("/interconnection-points", json={"id": ip, "name": ip, "tso": tso,
                                                     "counter_tso": ctso})
        assert r.status_code == 201, r.text
        r = c.post(f"/parties/{ship}/tokens")
        assert r.status_code == 201, r.text
        shipper = str(r.json()["token"])
        r = c.post("/nominations", headers={"Authorization": f"Bearer {shipper}"},
                   json={"gas_day": "2032-01-01", "ip": ip, "tso": tso, "counter_tso": ctso,
                         "counter_shipper": cship, "direction": "entry", "quantity_kwh": 1e6})
        assert r.status_code == 201, r.text
    return shipper


def _params() -> list[Any]:
    pg = os.environ.get("GASUNION_TEST_PG_URL")
    skip_pg = pytest.mark.skipif(not pg, reason="GASUNION_TEST_PG_URL not set (CI sets it; "
                                 "see .ci/run)")
    return [pytest.param((db, role), id=f"{db}-{role}", marks=[skip_pg] if db == "postgresql" else [])
            for db in ("sqlite", "postgresql") for role in ("admin", "shipper")]


@pytest.fixture(scope="module", params=_params())
def service(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
            ) -> Iterator[tuple[Any, str]]:
    """The app on a database (a fresh SQLite file, or PostgreSQL) and a token of the role."""
    db, role = request.param
    if db == "sqlite":
        tmp: Path = tmp_path_factory.mktemp("schemathesis")
        yield from _service(f"sqlite:///{tmp}/db.sqlite", role)
        return
    # PostgreSQL: a schema of its own, dropped afterwards
    from sqlalchemy import create_engine, text

    from gasunion.service.db import resolve_url

    base = resolve_url(os.environ["GASUNION_TEST_PG_URL"])
    name = "st_" + uuid.uuid4().hex[:12]
    owner = create_engine(base, isolation_level="AUTOCOMMIT")
    with owner.connect() as c:
        c.execute(text(f"CREATE SCHEMA {name}"))
    try:
        yield from _service(f"{base}{'&' if '?' in base else '?'}options=-csearch_path%3D{name}",
                            role)
    finally:
        with owner.connect() as c:
            c.execute(text(f"DROP SCHEMA {name} CASCADE"))
        owner.dispose()


def _service(url: str, role: str) -> Iterator[tuple[Any, str]]:
    app = create_app(url)
    try:
        admin = _bootstrap_admin(app)
        shipper = _populate(app, admin)
        yield app, {"admin": admin, "shipper": shipper}[role]
    finally:
        app.state.engine.dispose()


@pytest.fixture(scope="module")
def api_schema(service: tuple[Any, str]) -> Any:
    return schemathesis.openapi.from_asgi("/openapi.json", service[0])


@pytest.fixture(scope="module")
def token(service: tuple[Any, str]) -> str:
    return service[1]


schema = schemathesis.pytest.from_fixture("api_schema")


@pytest.mark.slow
@schema.parametrize()
@settings(max_examples=MAX_EXAMPLES, deadline=None, derandomize=True, database=None,
          phases=[Phase.explicit, Phase.generate],  # no shrinking: a failure stays quick
          suppress_health_check=list(HealthCheck))
def test_no_server_error(case: Any, token: str) -> None:
    case.call_and_validate(headers={"Authorization": f"Bearer {token}"},
                           checks=[not_a_server_error])
