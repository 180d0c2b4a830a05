"""What the API and the ``gasunion admin`` commands share: write transactions (writers'
lock, idempotency, audit), tokens and the party/interconnection-point changes."""

from __future__ import annotations

import contextlib
import hashlib
import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from gasunion.service import audit
from gasunion.service.problems import Problem, not_found
from gasunion.service.tables import idempotency, interconnection_points, parties, tokens

ROLES = ("tso", "shipper", "admin")
TOKEN_PREFIX = "gu_"


@dataclass(frozen=True)
class Caller:
    id: str
    role: str
    name: str = ""
    country: str = ""


@dataclass
class Result:
    """What a write answers: status, JSON body and an optional ETag."""

    status: int
    body: Any
    etag: str | None = None
    #: the body kept for replays under the same Idempotency-Key (default: ``body``)
    stored: Any = None


def fingerprint(method: str, path: str, payload: Any) -> str:
    return hashlib.sha256(audit.canonical([method, path, payload]).encode()).hexdigest()


def write(session: Session, actor: str, key: str | None, fp: str,
          change: Callable[[Session], Result]) -> Result:
    """Run ``change`` in one transaction: the writers' lock first, then (with an
    Idempotency-Key) the replay of an earlier answer, else the change, the stored answer and
    the commit. The same key with another request -> 422.

    The server's writers first queue on ``session.info["writers"]``
    (:class:`gasunion.service.db.WritersLock`, set by the app); sessions without it (the admin
    commands) queue on the database's own lock."""
    writers = session.info.get("writers")
    with writers if writers is not None else contextlib.nullcontext():
        return _write(session, actor, key, fp, change)


def _write(session: Session, actor: str, key: str | None, fp: str,
           change: Callable[[Session], Result]) -> Result:
    try:
        audit.lock(session)
        if key is not None:
            if not 1 <= len(key) <= 200:
                raise Problem(422, "Idempotency-Key must have 1 to 200 characters",
                              errors=[{"field": "Idempotency-Key", "message": "1-200 characters"}])
            old = session.execute(select(idempotency).where(
                idempotency.c.party_id == actor, idempotency.c.key == key)).one_or_none()
            if old is not None:
                session.rollback()
                if old.fingerprint != fp:
                    raise Problem(422, f"Idempotency-Key {key!r} was used for another request",
                                  kind="idempotency-key-reused", errors=[{
                                      "field": "Idempotency-Key",
                                      "message": "reused with a different request body"}])
                return Result(old.status, json.loads(old.body), old.etag)
        res = change(session)
        if key is not None:
            stored = res.body if res.stored is None else res.stored
            session.execute(idempotency.insert().values(
                party_id=actor, key=key, fingerprint=fp, status=res.status,
                body=audit.canonical(stored), etag=res.etag, created_at=audit.now_iso()))
        session.commit()
        return res
    except BaseException:
        session.rollback()
        raise


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def caller_of(session: Session, token: str) -> Caller | None:
    row = session.execute(
        select(parties.c.id, parties.c.role, parties.c.name, parties.c.country)
        .join(tokens, tokens.c.party_id == parties.c.id)
        .where(tokens.c.token_hash == hash_token(token))).one_or_none()
    session.rollback()  # end the read transaction
    return None if row is None else Caller(row.id, row.role, row.name, row.country)


def party_dict(r: Any) -> dict[str, Any]:
    return {"id": r.id, "name": r.name, "role": r.role, "country": r.country,
            "created_at": r.created_at}


def add_party(session: Session, actor: str, id: str, name: str, role: str,
              country: str) -> dict[str, Any]:
    """Insert a party (call inside :func:`write`); 409 if the id exists."""
    if role not in ROLES:
        raise Problem(422, f"role {role!r}: choose one of {', '.join(ROLES)}",
                      errors=[{"field": "role", "message": "tso, shipper or admin"}])
    if session.execute(select(parties.c.id).where(parties.c.id == id)).first():
        raise Problem(409, f"party {id} exists", errors=[{"field": "id", "message": "taken"}])
    row = {"id": id, "name": name, "role": role, "country": country,
           "created_at": audit.now_iso()}
    session.execute(parties.insert().values(**row))
    audit.append(session, actor, "create", "party", id, row)
    return row


def add_token(session: Session, actor: str, party_id: str) -> str:
    """A new token for ``party_id`` (only its SHA-256 is stored); 404 if no such party."""
    if not session.execute(select(parties.c.id).where(parties.c.id == party_id)).first():
        raise not_found("party", party_id)
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    digest = hash_token(token)
    ident = session.execute(tokens.insert().values(
        party_id=party_id, token_hash=digest, created_at=audit.now_iso())
        .returning(tokens.c.id)).scalar_one()
    audit.append(session, actor, "create", "token", ident, {"party_id": party_id,
                                                            "token_sha256": digest})
    return token


def ip_dict(r: Any) -> dict[str, Any]:
    return {"id": r.id, "name": r.name, "tso": r.tso, "counter_tso": r.counter_tso,
            "capacity_forward_kwh_d": r.capacity_forward_kwh_d,
            "capacity_reverse_kwh_d": r.capacity_reverse_kwh_d}


def add_ip(session: Session, actor: str, row: dict[str, Any]) -> dict[str, Any]:
    """Insert an interconnection point between two TSOs (call inside :func:`write`)."""
    errors = []
    for f in ("tso", "counter_tso"):
        p = session.execute(select(parties.c.role).where(parties.c.id == row[f])).first()
        if p is None or p.role != "tso":
            errors.append({"field": f, "message": f"{row[f]} is not a TSO party"})
    if row["tso"] == row["counter_tso"]:
        errors.append({"field": "counter_tso", "message": "the same as tso"})
    if errors:
        raise Problem(422, "invalid interconnection point: "
                      + "; ".join(f"{e['field']}: {e['message']}" for e in errors), errors=errors)
    if session.execute(select(interconnection_points.c.id)
                       .where(interconnection_points.c.id == row["id"])).first():
        raise Problem(409, f"interconnection point {row['id']} exists",
                      errors=[{"field": "id", "message": "taken"}])
    try:
        session.execute(interconnection_points.insert().values(**row))
    except IntegrityError as exc:  # pragma: no cover - checked above
        raise Problem(409, "interconnection point conflicts with an existing one") from exc
    audit.append(session, actor, "create", "interconnection_point", row["id"], row)
    return row
