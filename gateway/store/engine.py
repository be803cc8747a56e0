"""Connecting to the store: SQLite in WAL mode by default, PostgreSQL when the URL says so."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url

from gateway.errors import GatewayError


class StoreMissing(GatewayError):
    """The SQLite file of the store is not there: only `gateway db upgrade` creates it."""


def open_engine(url: str, *, create: bool = True) -> Engine:
    """An engine on ``url``. With ``create=False`` a SQLite store that does not exist yet is
    refused (StoreMissing) instead of being created, folder and all, as a side effect."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True)
    if parsed.database and parsed.database != ":memory:":
        _sqlite_file(Path(parsed.database), url, create=create)
    engine = create_engine(url, connect_args={"timeout": 30})
    event.listen(engine, "connect", _sqlite_pragmas)
    event.listen(engine, "begin", _begin_immediate)
    return engine


def _sqlite_file(path: Path, url: str, *, create: bool) -> None:
    shown = make_url(url).render_as_string(hide_password=True)
    if not create and not path.exists():
        raise StoreMissing(f"the store {shown} does not exist yet (no file {path}). "
                           "Run: gateway db upgrade")
    if create:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreMissing(f"the store {shown} cannot be created: {path.parent}: "
                               f"{exc.strerror}") from exc


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


READS_ONLY = "gateway_reads_only"  # the execution option `reading` sets


def _begin_immediate(connection: Any) -> None:
    deferred = connection.get_execution_options().get(READS_ONLY, False)
    connection.exec_driver_sql("BEGIN" if deferred else "BEGIN IMMEDIATE")


def reading(engine: Engine) -> Engine:
    """``engine`` (the same pool) for transactions that only read. On SQLite they begin
    deferred and take no write lock: in WAL mode such a reader neither waits for a writer nor
    holds one up, even the writer on its own thread (the archive's stream is read while the
    ingest transaction that reports on it is open). On PostgreSQL nothing changes."""
    return engine.execution_options(**{READS_ONLY: True})
