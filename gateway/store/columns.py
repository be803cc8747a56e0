"""What every store module does the same way: moments in UTC, and counters advanced in place."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Table

from gateway.store.prepared import counter_advance


def utc(moment: datetime) -> datetime:
    """Moments are stored in UTC on every database (SQLite keeps no time zone)."""
    return moment.astimezone(UTC)


def aware(moment: datetime) -> datetime:
    """A stored moment read back: SQLite returns it naive, in UTC."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def utc_or_none(moment: datetime | None) -> datetime | None:
    """`utc` of a moment a column may leave empty."""
    return utc(moment) if moment is not None else None


def aware_or_none(moment: datetime | None) -> datetime | None:
    """`aware` of a stored moment that may be empty."""
    return aware(moment) if moment is not None else None


def advance_counter(connection: Connection, table: Table, key: dict[str, Any], by: int) -> int:
    """Add ``by`` to the ``last_value`` of ``table``'s row ``key`` (made at ``by`` when new)
    and read it back: one statement, atomic on both databases, the row locked to the commit."""
    statement = counter_advance(connection.dialect.name, table, tuple(key))
    return int(connection.execute(statement, {**key, "step": by}).scalar_one())
