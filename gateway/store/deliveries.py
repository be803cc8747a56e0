"""Where each subscriber stands in the event feed, and what it would not take.

Each record is one short transaction: a delivery round records every event as it goes, so a
crash loses at most the record of the one event in flight (sent again: at least once).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, delete, func, insert, select, update

from gateway.app.delivery import SubscriberState
from gateway.app.events import StoredEvent
from gateway.store.columns import aware_or_none, utc
from gateway.store.schema import dead_letters, subscriber_state


def state_of(engine: Engine, name: str) -> SubscriberState:
    with engine.connect() as connection:
        row = connection.execute(select(subscriber_state).where(
            subscriber_state.c.name == name)).first()
        dead = int(connection.execute(select(func.count()).select_from(dead_letters).where(
            dead_letters.c.subscriber == name)).scalar_one())
    if row is None:
        return SubscriberState(name, dead_letters=dead)
    return SubscriberState(name, row.delivered_cursor, row.failures, row.last_error,
                           aware_or_none(row.next_attempt_at),
                           aware_or_none(row.last_delivered_at), dead)


def delivered(engine: Engine, name: str, cursor: int, at: datetime) -> None:
    with engine.begin() as connection:
        _upsert(connection, name, delivered_cursor=cursor, failures=0, last_error=None,
                next_attempt_at=None, last_delivered_at=utc(at))


def failed(engine: Engine, name: str, error: str, retry_at: datetime) -> int:
    with engine.begin() as connection:
        row = connection.execute(select(subscriber_state).where(
            subscriber_state.c.name == name).with_for_update()).first()
        failures = (row.failures if row else 0) + 1
        values = {"failures": failures, "last_error": error[:2000],
                  "next_attempt_at": utc(retry_at)}
        if row is None:
            connection.execute(insert(subscriber_state).values(
                name=name, delivered_cursor=0, **values))
        else:
            connection.execute(update(subscriber_state).where(
                subscriber_state.c.name == name).values(**values))
    return failures


def dead_letter(engine: Engine, name: str, event: StoredEvent, *, attempts: int, error: str,
                at: datetime) -> None:
    with engine.begin() as connection:
        connection.execute(delete(dead_letters).where(dead_letters.c.subscriber == name,
                                                      dead_letters.c.cursor == event.cursor))
        connection.execute(insert(dead_letters).values(
            subscriber=name, cursor=event.cursor, event_id=event.event_id, attempts=attempts,
            last_error=error[:2000], dead_at=utc(at)))
        _upsert(connection, name, delivered_cursor=event.cursor, failures=0,
                last_error=error[:2000], next_attempt_at=None)


def rewind(engine: Engine, name: str, cursor: int) -> None:
    """Deliver again from ``cursor`` on; dead letters from there are tried again too."""
    with engine.begin() as connection:
        connection.execute(delete(dead_letters).where(dead_letters.c.subscriber == name,
                                                      dead_letters.c.cursor >= cursor))
        _upsert(connection, name, delivered_cursor=max(cursor - 1, 0), failures=0,
                last_error=None, next_attempt_at=None)


def dead_letters_of(engine: Engine, name: str) -> list[tuple[int, str, int, str]]:
    """(cursor, event id, attempts, last error) of each event ``name`` would not take."""
    with engine.connect() as connection:
        rows = connection.execute(select(dead_letters).where(
            dead_letters.c.subscriber == name).order_by(dead_letters.c.cursor))
        return [(r.cursor, r.event_id, r.attempts, r.last_error) for r in rows]


def _upsert(connection: Connection, name: str, **values: Any) -> None:
    changed = connection.execute(update(subscriber_state).where(
        subscriber_state.c.name == name).values(**values)).rowcount
    if not changed:
        connection.execute(insert(subscriber_state).values(
            name=name, **{"delivered_cursor": 0, "failures": 0, **values}))
