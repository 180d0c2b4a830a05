"""Alembic environment of the service: run by :func:`gasunion.service.db.migrate` with a
connection in ``config.attributes["connection"]`` (or the ``sqlalchemy.url`` option)."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from gasunion.service.db import make_engine
from gasunion.service.tables import metadata

config = context.config


def _run(connection: Connection) -> None:
    context.configure(connection=connection, target_metadata=metadata,
                      render_as_batch=connection.dialect.name == "sqlite")
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():  # pragma: no cover - SQL scripts for a DBA
    context.configure(url=config.get_main_option("sqlalchemy.url"), target_metadata=metadata,
                      literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    conn = config.attributes.get("connection")
    if conn is not None:
        _run(conn)
    else:
        engine = make_engine(str(config.get_main_option("sqlalchemy.url")))
        with engine.connect() as c:
            _run(c)
        engine.dispose()
