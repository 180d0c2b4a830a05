"""The append-only, hash-chained audit log.

Every change is one row written in the transaction of the change: ``hash =
sha256(prev_hash + canonical JSON of the change)`` where the change is ``seq, at, actor,
action, entity, entity_id, data`` (keys sorted, no spaces). :func:`verify` recomputes the chain
and names the first row that does not fit (edited, deleted or re-ordered rows, a cut tail).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine, select, update
from sqlalchemy.orm import Session

from gasunion.service.tables import audit_head, audit_log

GENESIS = "0" * 64


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


def canonical(obj: Any) -> str:
    """Canonical JSON: sorted keys, no spaces, UTF-8 text."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      allow_nan=False)


def chain_hash(prev_hash: str, change: dict[str, Any]) -> str:
    return hashlib.sha256((prev_hash + canonical(change)).encode("utf-8")).hexdigest()


def lock(session: Session) -> None:
    """Take the writers' lock (the audit head row) as the transaction's first statement: the
    writers queue here (PostgreSQL row lock, SQLite write lock), so the chain stays linear."""
    session.execute(update(audit_head).where(audit_head.c.id == 1)
                    .values(seq=audit_head.c.seq))


def append(session: Session, actor: str, action: str, entity: str, entity_id: object,
           data: dict[str, Any]) -> dict[str, Any]:
    """Add one change to the chain (call :func:`lock` first, in the same transaction)."""
    head = session.execute(select(audit_head.c.seq, audit_head.c.hash)
                           .where(audit_head.c.id == 1)).one()
    change = {"seq": int(head.seq) + 1, "at": now_iso(), "actor": actor, "action": action,
              "entity": entity, "entity_id": str(entity_id), "data": data}
    digest = chain_hash(head.hash, change)
    session.execute(audit_log.insert().values(
        seq=change["seq"], at=change["at"], actor=actor, action=action, entity=entity,
        entity_id=change["entity_id"], data=canonical(data), prev_hash=head.hash, hash=digest))
    session.execute(update(audit_head).where(audit_head.c.id == 1)
                    .values(seq=change["seq"], hash=digest))
    return {**change, "prev_hash": head.hash, "hash": digest}


def row_dict(r: Any) -> dict[str, Any]:
    return {"seq": r.seq, "at": r.at, "actor": r.actor, "action": r.action, "entity": r.entity,
            "entity_id": r.entity_id, "data": json.loads(r.data), "prev_hash": r.prev_hash,
            "hash": r.hash}


@dataclass
class Verdict:
    ok: bool
    rows: int
    broken_seq: int | None = None
    reason: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "rows": self.rows, "broken_seq": self.broken_seq,
                "reason": self.reason}


def verify(bind: Engine | Connection) -> Verdict:
    """Recompute the chain; the first broken row (by sequence number) and why."""
    prev, n = GENESIS, 0
    with Session(bind) as s:
        for r in s.execute(select(audit_log).order_by(audit_log.c.seq)):
            n += 1
            if r.seq != n:
                return Verdict(False, n, r.seq, f"row {n} is missing (next is {r.seq})")
            if r.prev_hash != prev:
                return Verdict(False, n, r.seq, "prev_hash does not match the previous row")
            try:
                data = json.loads(r.data)
            except ValueError:
                return Verdict(False, n, r.seq, "data is not JSON")
            change = {"seq": r.seq, "at": r.at, "actor": r.actor, "action": r.action,
                      "entity": r.entity, "entity_id": r.entity_id, "data": data}
            if chain_hash(prev, change) != r.hash:
                return Verdict(False, n, r.seq, "hash does not match the row's content")
            prev = r.hash
        head = s.execute(select(audit_head.c.seq, audit_head.c.hash)
                         .where(audit_head.c.id == 1)).one_or_none()
    if head is None or head.seq != n or head.hash != prev:
        return Verdict(False, n, n + 1 if head is not None and head.seq > n else None,
                       "the chain's head does not match its last row (rows removed at the end?)")
    return Verdict(True, n)
