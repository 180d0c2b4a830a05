"""Request dependencies: the database session and the authenticated caller."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Any

from fastapi import Depends, Header, Request
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from gasunion.service.core import Caller, Result, caller_of
from gasunion.service.problems import Problem

bearer = HTTPBearer(auto_error=False, description="A party's API token (gasunion admin "
                    "create-token, or POST /parties/{id}/tokens).")


def get_session(request: Request) -> Iterator[Session]:
    session: Session = request.app.state.sessions()
    try:
        yield session
    finally:
        session.close()


SessionDep = Annotated[Session, Depends(get_session)]


def get_caller(session: SessionDep,
               cred: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]) -> Caller:
    if cred is None or cred.scheme.lower() != "bearer" or not cred.credentials:
        raise Problem(401, "send an API token: Authorization: Bearer <token>",
                      headers={"WWW-Authenticate": "Bearer"})
    caller = caller_of(session, cred.credentials)
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
