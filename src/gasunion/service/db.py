"""Engines, sessions and migrations.

SQLite (the default: a file, created on first start) runs in WAL mode with
``synchronous=FULL``, so a write acknowledged to the client survives a SIGKILL of the server;
PostgreSQL is reached with the psycopg 3 driver (``postgresql+psycopg://user:pw@host/db``).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

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
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
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
