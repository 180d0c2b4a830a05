"""Engines, sessions and migrations.

SQLite (the default: a file, created on first start) runs in WAL mode with
``synchronous=FULL``, so a write acknowledged to the client survives a SIGKILL of the server;
PostgreSQL is reached with the psycopg 3 driver (``postgresql+psycopg://user:pw@host/db``).
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from types import TracebackType
from typing import Any

try:  # POSIX: writers of several server processes queue on a file lock
    import fcntl
except ImportError:  # pragma: no cover - Windows: one server process per SQLite file
    fcntl = None  # type: ignore[assignment]

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url

#: the database of ``gasunion serve`` without --db (or $GASUNION_DB)
DEFAULT_DB = "sqlite:///gasunion-service.db"

MIGRATIONS = Path(__file__).with_name("migrations")


def resolve_url(db_url: str | None) -> str:
    """``db_url``, else ``$GASUNION_DB``, else :data:`DEFAULT_DB`; ``postgresql://`` gets the
    psycopg 3 driver."""
    url = db_url or os.environ.get("GASUNION_DB") or DEFAULT_DB
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=FULL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.close()


def make_engine(db_url: str) -> Engine:
    """An engine for ``db_url`` (SQLite files: WAL, synchronous=FULL, foreign keys on)."""
    url = make_url(resolve_url(db_url))
    if url.get_backend_name() == "sqlite":
        if url.database and url.database != ":memory:":
            Path(url.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        # one pooled connection per request thread (anyio runs up to 40 sync endpoints at
        # once): a smaller pool makes requests queue for a connection, not for the database
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30},
                               pool_size=20, max_overflow=30)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True)


def alembic_config(db_url: str) -> Any:
    """The Alembic configuration of the packaged migrations."""
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", resolve_url(db_url).replace("%", "%%"))
    return cfg


def migrate(db_url: str, engine: Engine | None = None) -> None:
    """Create or upgrade the schema of ``db_url`` to the latest migration."""
    from alembic import command

    cfg = alembic_config(db_url)
    own = engine is None
    eng = make_engine(db_url) if engine is None else engine
    try:
        with eng.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")
    finally:
        if own:
            eng.dispose()


class WritersLock:
    """The queue of the writers of one database in this process, and across the server's
    worker processes for a SQLite file.

    Every write transaction takes it first (:func:`gasunion.service.core.write`). Threads
    queue on a lock; processes on an exclusive ``flock`` of ``<database>-writers.lock`` next
    to a SQLite file, which wakes the next writer as soon as the lock is free. Without it a
    second writer meets a busy SQLite database and polls it with SQLite's busy handler
    (sleeps of up to 100 ms), which under load costs far more than the write itself.
    PostgreSQL writers queue on the audit head's row lock; there only threads queue here.
    """

    def __init__(self, lock_file: Path | None = None) -> None:
        self._thread = threading.Lock()
        self.lock_file = lock_file if fcntl is not None else None
        self._fd: int | None = None

    def __enter__(self) -> WritersLock:
        self._thread.acquire()
        try:
            if self.lock_file is not None:
                if self._fd is None:
                    self._fd = os.open(self.lock_file, os.O_RDWR | os.O_CREAT, 0o600)
                fcntl.flock(self._fd, fcntl.LOCK_EX)
        except BaseException:
            self._thread.release()
            raise
        return self

    def __exit__(self, typ: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        try:
            if self._fd is not None:
                fcntl.flock(self._fd, fcntl.LOCK_UN)
        finally:
            self._thread.release()


def writers_lock(db_url: str) -> WritersLock:
    """The :class:`WritersLock` for ``db_url`` (a file lock only for a SQLite file)."""
    url = make_url(resolve_url(db_url))
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        db = Path(url.database).expanduser()
        return WritersLock(db.with_name(db.name + "-writers.lock"))
    return WritersLock()
