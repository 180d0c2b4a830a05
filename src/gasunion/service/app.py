"""The FastAPI application: :func:`create_app`.

Parties, tokens, interconnection points and the audit log live here; nominations, matching
and confirmations in :mod:`gasunion.service.nominations`.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Annotated, Any, Literal

from fastapi import APIRouter, FastAPI, Path, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from gasunion.service import audit, core, hydraulic, problems
from gasunion.service.db import make_engine, migrate, writers_lock
from gasunion.service.deps import (
    AdminDep,
    CallerDep,
    IdemKey,
    SessionDep,
    TokenCache,
    respond,
)
from gasunion.service.nominations import Deadlines
from gasunion.service.nominations import match as plain_match
from gasunion.service.nominations import router as nominations_router
from gasunion.service.tables import audit_log, interconnection_points

if TYPE_CHECKING:
    from gasunion.network import Network

ID_PATTERN = r"^[A-Za-z0-9_.\-]+$"
Id = Annotated[str, Field(min_length=1, max_length=64, pattern=ID_PATTERN)]
#: free text without control characters (PostgreSQL refuses NUL)
Text = Annotated[str, Field(min_length=1, max_length=200, pattern=r"^[^\x00-\x1f\x7f]+$")]


class PartyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: Id
    name: Text
    role: Literal["tso", "shipper", "admin"]
    country: Annotated[str, Field(min_length=2, max_length=8, pattern=r"^[A-Za-z]+$")]


class Party(BaseModel):
    id: str
    name: str
    role: str
    country: str
    created_at: str


class TokenOut(BaseModel):
    party_id: str
    token: str | None


class IpIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: Id
    name: Text
    tso: Id
    counter_tso: Id
    capacity_forward_kwh_d: Annotated[float | None, Field(ge=0, le=1e15, allow_inf_nan=False)] = None
    capacity_reverse_kwh_d: Annotated[float | None, Field(ge=0, le=1e15, allow_inf_nan=False)] = None


class Ip(IpIn):
    model_config = ConfigDict(extra="ignore")


class AuditRow(BaseModel):
    seq: int
    at: str
    actor: str
    action: str
    entity: str
    entity_id: str
    data: dict[str, Any]
    prev_hash: str
    hash: str


#: worker threads for the (blocking) endpoints: few enough that they do not fight over the
#: GIL (anyio's default is 40), enough to overlap database waits
WORKER_THREADS = 8


@contextlib.asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    import anyio.to_thread

    anyio.to_thread.current_default_thread_limiter().total_tokens = WORKER_THREADS
    # the objects of the imports (pandas, SciPy, the network) live as long as the process:
    # freezing them keeps the cyclic garbage collector's full passes, which otherwise walk
    # them all and stalled requests by hundreds of ms every few seconds, short
    gc.collect()
    gc.freeze()
    yield


def create_app(db_url: str, *, deadline: Deadlines | None = None,
               migrate_db: bool = True, network: Network | None = None) -> FastAPI:
    """The service on ``db_url`` (SQLite file or ``postgresql+psycopg://...``), its schema
    migrated first. ``deadline``: the nomination/renomination deadlines (and the clock).
    ``network``: the union's network for the hydraulic check of a gas day (none: 409)."""
    engine = make_engine(db_url)
    if migrate_db:
        migrate(db_url, engine)
    app = FastAPI(lifespan=_lifespan, title="gasunion coordination service", version="1",
                  description="Nominations, matching and confirmations at interconnection points "
                  "between the parties of a gas union. Errors are RFC 9457 problem details.")
    app.state.engine = engine
    app.state.deadlines = deadline or Deadlines()
    app.state.sessions = sessionmaker(engine, expire_on_commit=False,
                                      info={"deadlines": app.state.deadlines,
                                            "writers": writers_lock(db_url)})
    app.state.token_cache = TokenCache()
    problems.install(app)
    hydraulic.install(app, network)

    @app.get("/health", tags=["service"])
    def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.post("/parties", status_code=201, response_model=Party, tags=["parties"])
    def create_party(body: PartyIn, caller: AdminDep, session: SessionDep,
                     idempotency_key: IdemKey = None) -> JSONResponse:
        payload = body.model_dump()
        res = core.write(session, caller.id, idempotency_key,
                         core.fingerprint("POST", "/parties", payload),
                         lambda s: core.Result(201, core.add_party(s, caller.id, **payload)))
        return respond(res)

    @app.get("/parties/me", response_model=Party, tags=["parties"])
    def me(caller: CallerDep, session: SessionDep) -> dict[str, Any]:
        from gasunion.service.tables import parties

        row = session.execute(select(parties).where(parties.c.id == caller.id)).one()
        return core.party_dict(row)

    @app.post("/parties/{party_id}/tokens", status_code=201, response_model=TokenOut,
              tags=["parties"])
    def create_token(party_id: Annotated[str, Path(max_length=64, pattern=ID_PATTERN)],
                     caller: AdminDep, session: SessionDep,
                     idempotency_key: IdemKey = None) -> JSONResponse:
        def change(s: Any) -> core.Result:
            token = core.add_token(s, caller.id, party_id)
            # a replay does not show the token again: only its hash is kept
            return core.Result(201, {"party_id": party_id, "token": token},
                               stored={"party_id": party_id, "token": None})

        res = core.write(session, caller.id, idempotency_key,
                         core.fingerprint("POST", f"/parties/{party_id}/tokens", None), change)
        return respond(res)

    @app.get("/interconnection-points", response_model=list[Ip], tags=["network"])
    def list_ips(caller: CallerDep, session: SessionDep) -> list[dict[str, Any]]:
        rows = session.execute(select(interconnection_points)
                               .order_by(interconnection_points.c.id))
        return [core.ip_dict(r) for r in rows]

    @app.post("/interconnection-points", status_code=201, response_model=Ip, tags=["network"])
    def create_ip(body: IpIn, caller: AdminDep, session: SessionDep,
                  idempotency_key: IdemKey = None) -> JSONResponse:
        payload = body.model_dump()
        res = core.write(session, caller.id, idempotency_key,
                         core.fingerprint("POST", "/interconnection-points", payload),
                         lambda s: core.Result(201, core.add_ip(s, caller.id, payload)))
        return respond(res)

    @app.get("/audit", response_model=list[AuditRow], tags=["audit"])
    def audit_rows(caller: AdminDep, session: SessionDep,
                   after: Annotated[int, Query(ge=0, le=2**31 - 1, description="rows after this seq")] = 0,
                   limit: Annotated[int, Query(ge=1, le=10_000)] = 1000,
                   ) -> list[dict[str, Any]]:
        rows = session.execute(select(audit_log).where(audit_log.c.seq > after)
                               .order_by(audit_log.c.seq).limit(limit))
        return [audit.row_dict(r) for r in rows]

    # the matching route is the hydraulic module's (it adds ?check=true to the plain one)
    app.include_router(APIRouter(routes=[r for r in nominations_router.routes
                                         if getattr(r, "endpoint", None) is not plain_match]))
    app.include_router(hydraulic.router)
    return app


#: environment of :func:`app_from_env` (set by ``gasunion serve --workers N``)
ENV_DB, ENV_NETWORK = "GASUNION_SERVE_DB", "GASUNION_SERVE_NETWORK"


#: the network source of ``gasunion serve --demo``
DEMO_NETWORK = "demo:central_asia"


def union_network(source: str | None) -> Network | None:
    """The union's network for the hydraulic check: a file path (any format gasunion reads),
    :data:`DEMO_NETWORK` for the embedded Central Asia network, or None for none."""
    if source == DEMO_NETWORK:
        from gasunion.datasets.central_asia import central_asia

        return central_asia()
    if source:
        from gasunion.io import read

        return read(source)
    return None


def app_from_env() -> FastAPI:
    """The app of one worker process of ``gasunion serve --workers N``: the database URL from
    ``$GASUNION_SERVE_DB`` (already migrated by the parent), the hydraulic check's network
    from ``$GASUNION_SERVE_NETWORK`` (see :func:`union_network`; unset: none)."""
    import os

    return create_app(os.environ[ENV_DB], migrate_db=False,
                      network=union_network(os.environ.get(ENV_NETWORK)))
