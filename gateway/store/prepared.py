"""The statements every received file runs, built once per process.

Building a SQLAlchemy statement (``select(...).where(...)``, ``insert(t).values(**v)``) costs
several times what running it on SQLite does (~150 us against ~25 us): each new object is
coerced, and its cache key computed, before the compiled form is found in the cache. A
statement built once, with its values as bound parameters, is coerced once and its cache key
memoized on the object. A small file's ingest and follow-ups run some thirty statements, so
those are here; the rest of the store builds its statements where it runs them.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from sqlalchemy import BindParameter, Table, bindparam, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite

from gateway.store.schema import (
    document_keys,
    documents,
    events,
    interchanges,
    outbox,
    received_files,
)


@cache
def insert_into(table: Table) -> Any:
    """``INSERT INTO table``: the columns are those of the parameters it runs with."""
    return insert(table)


@cache
def insert_ignoring_conflicts(dialect: str, table: Table,
                              index_elements: tuple[str, ...] | None = None) -> Any:
    """``INSERT ... ON CONFLICT DO NOTHING`` (on ``index_elements`` when given, then with the
    new row's primary key returned: none when the row was already there)."""
    statement = _dialect_insert(dialect, table)
    if index_elements is None:
        return statement.on_conflict_do_nothing()
    return statement.on_conflict_do_nothing(index_elements=list(index_elements)).returning(
        *table.primary_key.columns)


@cache
def counter_advance(dialect: str, table: Table, key_columns: tuple[str, ...]) -> Any:
    """Insert the counter row at ``step`` or add ``step`` to it, returning the new value;
    parameters: the key columns and ``step``."""
    statement = _dialect_insert(dialect, table).values(
        {**{name: bindparam(name) for name in key_columns}, "last_value": bindparam("step")})
    return statement.on_conflict_do_update(
        index_elements=list(key_columns),
        set_={"last_value": table.c.last_value + bindparam("step")},
    ).returning(table.c.last_value)


def _dialect_insert(dialect: str, table: Table) -> Any:
    return (postgresql if dialect == "postgresql" else sqlite).insert(table)


# --- one file's record -------------------------------------------------------------------------
FILE_BY_SHA256 = (select(received_files)
                  .where(received_files.c.partner == bindparam("partner"),
                         received_files.c.sha256 == bindparam("sha256"),
                         received_files.c.duplicate_of.is_(None))
                  .order_by(received_files.c.id).limit(1))

FINISH_FILE = (update(received_files).where(received_files.c.id == bindparam("file_id"))
               .values(state=bindparam("new_state"), processed_at=bindparam("at"),
                       reason=bindparam("why"), duplicate_of=bindparam("earlier")))

INTERCHANGE_SEEN = (select(interchanges.c.file_id)
                    .where(interchanges.c.partner == bindparam("partner"),
                           interchanges.c.sender_id == bindparam("sender_id"),
                           interchanges.c.control_number == bindparam("control_number"),
                           interchanges.c.outcome != "duplicate",
                           interchanges.c.received_at >= bindparam("since"))
                    .order_by(interchanges.c.id).limit(1))

# --- documents and what relates them ------------------------------------------------------
DOCUMENTS_OF_FILE = (select(documents).where(documents.c.file_id == bindparam("file_id"))
                     .order_by(documents.c.id))

DOCUMENTS_OF_KIND = (select(documents).where(documents.c.kind == bindparam("kind"))
                     .order_by(documents.c.id))

# A reference's own documents: by their number, a key they carry, or their interchange's ISA13.
DOCUMENTS_NAMED = (select(documents).where(
    (documents.c.reference == bindparam("text"))
    | documents.c.id.in_(select(document_keys.c.document_id)
                         .where(document_keys.c.value == bindparam("key")))
    | documents.c.file_id.in_(select(interchanges.c.file_id)
                              .where(interchanges.c.control_number == bindparam("text"))))
    .order_by(documents.c.id))

# The other documents sharing a key value with any of the documents ``ids``: one round of
# the search for a reference's related documents, in one statement (those already found are
# not read again: a blanket order relates hundreds).
_FOUND: BindParameter[list[int]] = bindparam("ids", expanding=True)
DOCUMENTS_SHARING_KEYS = (select(documents).where(documents.c.id.in_(
    select(document_keys.c.document_id).where(document_keys.c.value.in_(
        select(document_keys.c.value).where(document_keys.c.document_id.in_(_FOUND))))),
    documents.c.id.not_in(_FOUND))
    .order_by(documents.c.id))

# --- the outbox and the event feed --------------------------------------------------------
OUTBOUND_EXISTS = select(outbox.c.id).where(outbox.c.partner == bindparam("partner"),
                                            outbox.c.dedupe_key == bindparam("dedupe_key"))

EVENTS_RECORDED = select(events.c.dedupe_key).where(
    events.c.dedupe_key.in_(bindparam("keys", expanding=True)))
