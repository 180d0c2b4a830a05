"""Request dependencies: the database session and the authenticated caller."""

from __future__ import annotations

import threading
import time
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import Depends, Header, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from gasunion.service.core import Caller, Result, caller_of, hash_token
from gasunion.service.problems import Problem

bearer = HTTPBearer(auto_error=False, description="A party's API token (gasunion admin "
                    "create-token, or POST /parties/{id}/tokens).")


async def get_session(request: Request) -> AsyncIterator[Session]:
    """A session per request. Async on purpose: opening one does no I/O (the connection is
    taken from the pool at the first statement, in the endpoint's worker thread), and a sync
    generator dependency would cost two extra thread hops per request. Closing returns the
    connection to the pool (a rollback of an already-ended transaction)."""
    session: Session = request.app.state.sessions()
    try:
        yield session
    finally:
        session.close()


SessionDep = Annotated[Session, Depends(get_session)]


#: how long a server process remembers a verified token (s): a token deleted from the
#: database stops working within this time
TOKEN_TTL_S = 10.0


class TokenCache:
    """Verified tokens of this process: SHA-256 of the token -> (caller, expiry on the
    monotonic clock). Only successful look-ups are kept, so an unknown token is asked of the
    database every time."""

    def __init__(self, ttl_s: float = TOKEN_TTL_S, size: int = 10_000) -> None:
        self.ttl_s, self.size = ttl_s, size
        self._known: dict[str, tuple[Caller, float]] = {}
        self._lock = threading.Lock()

    def get(self, digest: str) -> Caller | None:
        hit = self._known.get(digest)
        if hit is None or hit[1] < time.monotonic():
            return None
        return hit[0]

    def put(self, digest: str, caller: Caller) -> None:
        with self._lock:
            if len(self._known) >= self.size:
                self._known.clear()
            self._known[digest] = (caller, time.monotonic() + self.ttl_s)


async def get_caller(request: Request, session: SessionDep,
                     cred: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]
                     ) -> Caller:
    """The party behind the request's bearer token. A token verified in the last
    :data:`TOKEN_TTL_S` seconds is taken from the process's cache; otherwise the database is
    asked (in a worker thread: the query blocks)."""
    if cred is None or cred.scheme.lower() != "bearer" or not cred.credentials:
        raise Problem(401, "send an API token: Authorization: Bearer <token>",
                      headers={"WWW-Authenticate": "Bearer"})
    cache: TokenCache = request.app.state.token_cache
    digest = hash_token(cred.credentials)
    caller = cache.get(digest)
    if caller is None:
        caller = await run_in_threadpool(caller_of, session, cred.credentials)
        if caller is not None:
            cache.put(digest, caller)
    if caller is None:
        raise Problem(401, "unknown or revoked API token",
                      headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})
    return caller


CallerDep = Annotated[Caller, Depends(get_caller)]
IdemKey = Annotated[str | None, Header(
    alias="Idempotency-Key", description="Repeat a write safely: the same key and body return "
    "the stored answer; the same key with another body is refused (422).")]


def admin_only(caller: CallerDep) -> Caller:
    if caller.role != "admin":
        raise Problem(403, "only the admin may do this")
    return caller


AdminDep = Annotated[Caller, Depends(admin_only)]


def respond(res: Result, **headers: str) -> JSONResponse:
    h = dict(headers)
    if res.etag:
        h["ETag"] = res.etag
    return JSONResponse(res.body, status_code=res.status, headers=h)


def jsonable_row(r: Any) -> dict[str, Any]:
    return dict(r._mapping)
