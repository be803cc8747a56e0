"""Alembic environment: the gateway passes its own connection (see gateway/store/migrate.py)."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection, create_engine

from gateway.store.schema import metadata

config = context.config


def run() -> None:
    connection = config.attributes.get("connection")
    if connection is None:  # the alembic command line, for developers writing migrations
        engine = create_engine(config.get_main_option("sqlalchemy.url") or "")
        with engine.begin() as connection:
            _migrate(connection)
        return
    _migrate(connection)


def _migrate(connection: Connection) -> None:
    context.configure(connection=connection, target_metadata=metadata,
                      render_as_batch=True, compare_type=True)
    with context.begin_transaction():
        context.run_migrations()


run()
