"""The event feed's table: events are held by their transaction and written as its last act.

`PendingEvents` collects what a transaction adds (`gateway.app.events.EventRecord`) and
`flush` writes them just before the commit, taking their cursors from the feed's counter
(``event_cursors``) in one statement. That statement locks the counter's row until the
commit (PostgreSQL; SQLite locks the whole database for any write), so transactions that write
events commit one after another in cursor order; and it is the transaction's last lock, so it
cannot deadlock with the control-number counters taken earlier. A reader paging "after cursor
N" therefore never misses an event that commits later under a smaller cursor.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable, Iterator
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, func, select

from gateway.app.events import EventRecord, StoredEvent
from gateway.store.columns import advance_counter, aware, utc
from gateway.store.prepared import EVENTS_RECORDED, insert_into
from gateway.store.schema import event_cursors, events

_FEED = "events"  # the event_cursors row the cursors come from
_STREAM_BATCH = 250  # events per page of an export: each holds its parsed JSON


class PendingEvents:
    def __init__(self) -> None:
        self.records: list[EventRecord] = []

    def add(self, event: EventRecord) -> None:
        self.records.append(event)

    def holds(self, dedupe_key: str) -> bool:
        return any(record.dedupe_key == dedupe_key for record in self.records)

    def flush(self, connection: Connection) -> None:
        """Write the events added so far, with the next cursors (call just before commit)."""
        if not self.records:
            return
        last = _take_cursors(connection, len(self.records))
        first = last - len(self.records) + 1
        connection.execute(insert_into(events), [
            _row(cursor, record) for cursor, record in enumerate(self.records, start=first)])
        self.records.clear()


def recorded_among(connection: Connection, dedupe_keys: Collection[str]) -> set[str]:
    """Those of ``dedupe_keys`` the feed already has, asked in one statement."""
    if not dedupe_keys:
        return set()
    return {row.dedupe_key for row in connection.execute(
        EVENTS_RECORDED, {"keys": list(dedupe_keys)})}


def _take_cursors(connection: Connection, count: int) -> int:
    """Advance the event counter by ``count``; its new value (the last cursor taken)."""
    return advance_counter(connection, event_cursors, {"feed": _FEED}, count)


def _row(cursor: int, record: EventRecord) -> dict[str, Any]:
    return {"cursor": cursor, "event_id": record.event_id, "type": record.type,
            "partner": record.partner, "occurred_at": utc(record.occurred_at),
            "file_id": record.file_id, "document_id": record.document_id,
            "keys": json.dumps([list(k) for k in record.keys]),
            "data": _data(record), "dedupe_key": record.dedupe_key}


def _data(record: EventRecord) -> str:
    """The event's data as JSON; a document's stored JSON is put in as it is (never parsed:
    a 70 MB ASN would be hundreds of megabytes of objects), where a marker no data holds
    stood in for it."""
    if record.document_json is None:
        return json.dumps(record.data, sort_keys=True, default=str)
    marker = f"\u0000document {record.event_id}"
    text = json.dumps({**record.data, "document": marker}, sort_keys=True, default=str)
    return text.replace(json.dumps(marker), record.document_json, 1)


def events_after(engine: Engine, cursor: int, *, types: Iterable[str] = (),
                 partners: Iterable[str] = (), limit: int = 100) -> list[StoredEvent]:
    """At most ``limit`` events with a cursor above ``cursor``, oldest first."""
    with engine.connect() as connection:
        rows = connection.execute(_query(types, partners).where(events.c.cursor > cursor)
                                  .limit(limit))
        return [_stored(row) for row in rows]


def each_event(engine: Engine, *, since: datetime | None = None, types: Iterable[str] = (),
               partners: Iterable[str] = ()) -> Iterator[StoredEvent]:
    """Every matching event, oldest first, a page at a time, each page read in a short
    transaction of its own: memory stays flat however many, and a long export never holds
    the database (SQLite's transactions lock it for writers) while the gateway works."""
    query = _query(types, partners)
    if since is not None:
        query = query.where(events.c.occurred_at >= utc(since))
    after = 0
    while True:
        with engine.connect() as connection:
            page = [_stored(row) for row in connection.execute(
                query.where(events.c.cursor > after).limit(_STREAM_BATCH))]
        yield from page
        if len(page) < _STREAM_BATCH:
            return
        after = page[-1].cursor


def count_after(engine: Engine, cursor: int, *, types: Iterable[str] = (),
                partners: Iterable[str] = ()) -> int:
    """How many matching events there are after ``cursor`` (a subscriber's lag)."""
    query = _query(types, partners).where(events.c.cursor > cursor).order_by(None)
    with engine.connect() as connection:
        return int(connection.execute(
            select(func.count()).select_from(query.subquery())).scalar_one())


def last_cursor(engine: Engine) -> int:
    with engine.connect() as connection:
        found = connection.execute(select(event_cursors.c.last_value).where(
            event_cursors.c.feed == _FEED)).scalar()
    return int(found or 0)


def _query(types: Iterable[str], partners: Iterable[str]) -> Any:
    query = select(events).order_by(events.c.cursor)
    if wanted := list(types):
        query = query.where(events.c.type.in_(wanted))
    if whose := list(partners):
        query = query.where(events.c.partner.in_(whose))
    return query


def _stored(row: Any) -> StoredEvent:
    return StoredEvent(row.cursor, row.event_id, row.type, row.partner, aware(row.occurred_at),
                       tuple((k, v) for k, v in json.loads(row.keys)), json.loads(row.data),
                       file_id=row.file_id, document_id=row.document_id)
