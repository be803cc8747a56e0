"""Connecting to the store: SQLite in WAL mode by default, PostgreSQL when the URL says so."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url


def open_engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True)
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"timeout": 30})
    event.listen(engine, "connect", _sqlite_pragmas)
    event.listen(engine, "begin", _begin_immediate)
    return engine


def _sqlite_pragmas(connection: Any, _record: Any) -> None:
    # The driver must not open transactions by itself: `_begin_immediate` does, so that a
    # write transaction takes SQLite's write lock at its start. Two writers then queue (up to
    # the 30 s busy timeout) instead of both reading, one failing late at its first write.
    connection.isolation_level = None
    # WAL: readers never block the writer; foreign keys are off in SQLite unless asked for.
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=FULL")  # a committed file must survive a power cut
    cursor.close()


def _begin_immediate(connection: Any) -> None:
    connection.exec_driver_sql("BEGIN IMMEDIATE")
