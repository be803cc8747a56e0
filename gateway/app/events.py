"""The event feed: what internal systems hear of, written with what it describes.

Every event is added inside the transaction that stores what it describes (`record_document`
stores a document *and* its event; ingest finishes a file with its `file_event`), so an event
exists exactly when its subject was committed: none for anything rolled back, none lost to a
crash after the commit. The store gives each committed event a cursor that rises in commit
order (`gateway.store.schema.events`); readers page with "after this cursor".

The published form of an event is its `StoredEvent.envelope` (``schemas/event-1.2.json``):
a stable id, the cursor, the type, when it happened, the partner, the case keys, and ``data``
whose shape the type decides:

* ``document.received`` / ``document.sent`` / ``document.recorded``: a partner's document we
  stored, one of ours we send (an RMA answer), a step a person recorded on a case; ``data``
  holds its id, kind, reference, direction and the canonical JSON (``schemas/canonical-1.0.json``),
  or, for a document kept in parts (`gateway.app.parted`), ``document_omitted`` instead;
* ``file.<state>`` (``file.accepted``, ``file.rejected``, ``file.not-x12``, ...): a received
  file finished processing, with its name, state, reason and control numbers;
* ``ack.received``: a partner's TA1 / 997 / 999 about something we sent, with what it matched;
  ``ack.overdue``: what we sent was not acknowledged by its partner's deadline;
* ``case.state-changed`` and ``recall.hold-placed``: a return case moved, or a line of it is
  held by a recall (`gateway.app.case_events`);
* ``recall.recipient-notified`` / ``recall.recipient-responded``: a partner holding a recalled
  product was sent our notification, or answered it (what it found and returned).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from itertools import chain
from typing import Any, Protocol

from gateway.app.items import item_keys
from gateway.model.canonical_json import to_json
from gateway.model.states import FileState

RECALL_NOTICE_KEY = "recall-notice"  # the key kind recall events carry their notice under
EVENT_SCHEMA_VERSION = "1.2"  # 1.1: recall recipients; 1.2: data.document_omitted


class EventType(StrEnum):
    DOCUMENT_RECEIVED = "document.received"
    DOCUMENT_SENT = "document.sent"
    DOCUMENT_RECORDED = "document.recorded"
    ACK_RECEIVED = "ack.received"
    ACK_OVERDUE = "ack.overdue"
    CASE_STATE_CHANGED = "case.state-changed"
    RECALL_HOLD_PLACED = "recall.hold-placed"
    RECALL_RECIPIENT_NOTIFIED = "recall.recipient-notified"
    RECALL_RECIPIENT_RESPONDED = "recall.recipient-responded"


# A received file's last word: one event type per state a file can finish in.
FILE_EVENT_TYPES: dict[FileState, str] = {
    state: f"file.{state.value}" for state in FileState
                    if state not in (FileState.RECEIVED, FileState.IN_PROGRESS)}
EVENT_TYPES = (*(t.value for t in EventType), *FILE_EVENT_TYPES.values())
_DOCUMENT_EVENTS = {"in": EventType.DOCUMENT_RECEIVED, "out": EventType.DOCUMENT_SENT,
                    "internal": EventType.DOCUMENT_RECORDED}


def new_event_id() -> str:
    return f"evt_{uuid.uuid4().hex}"


@dataclass(frozen=True, slots=True)
class EventRecord:
    """An event as the use cases add it; the store gives it its cursor at commit."""

    type: str
    partner: str | None
    occurred_at: datetime
    data: Mapping[str, Any]
    keys: tuple[tuple[str, str], ...] = ()  # (kind, value): rma, purchase-order, ...
    file_id: int | None = None
    document_id: int | None = None
    # What makes it the same event when something is derived again (a case's moves after a
    # re-run of the follow-ups): the store keeps one event per key. None: none needed.
    dedupe_key: str | None = None
    event_id: str = field(default_factory=new_event_id)
    # A stored document's JSON, which the store writes as ``data["document"]`` as it is: a
    # big document is never parsed back into objects for its event.
    document_json: str | None = None


@dataclass(frozen=True, slots=True)
class StoredEvent:
    """An event as the store keeps it, with the cursor it was committed under."""

    cursor: int
    event_id: str
    type: str
    partner: str | None
    occurred_at: datetime
    keys: tuple[tuple[str, str], ...]
    data: dict[str, Any]
    file_id: int | None = None
    document_id: int | None = None

    def envelope(self) -> dict[str, Any]:
        """The published form (``schemas/event-1.2.json``)."""
        return {
            "specversion": EVENT_SCHEMA_VERSION,
            "id": self.event_id,
            "cursor": self.cursor,
            "type": self.type,
            "occurred_at": self.occurred_at.isoformat(),
            "partner": self.partner,
            "keys": [{"kind": kind, "value": value} for kind, value in self.keys],
            "file_id": self.file_id,
            "document_id": self.document_id,
            "data": self.data,
        }


class EventWriter(Protocol):
    def add_event(self, event: EventRecord) -> None:
        """Keep ``event`` with this transaction: committed with it, or not at all."""
        ...


class DocumentWriter(EventWriter, Protocol):
    def add_document(self, file_id: int | None, partner: str, *, kind: str, reference: str,
                     body: str, keys: Iterable[tuple[str, str]], created_at: datetime,
                     direction: str = "in", items: Iterable[tuple[str, str]] = (),
                     parts: DocumentParts | None = None) -> int: ...


@dataclass(frozen=True, slots=True)
class DocumentParts:
    """A document the store keeps in parts (`gateway.app.parted`): its JSON and its item
    subtrees (JSON lines) as pieces of any size, its item identifiers (repeats allowed) and
    its case digest."""

    json: Iterable[str]
    items: Iterable[str]
    item_keys: Iterable[tuple[str, str]]
    case_digest: str


class PartedForm(Protocol):
    """A document on its way to the store in parts (`gateway.app.parted.PartedDocument`)."""

    def parts(self) -> DocumentParts: ...

    def close(self) -> None: ...


@dataclass(frozen=True, slots=True)
class DocumentRecord:
    """A canonical document as the store keeps it: its JSON text with its kind, reference,
    correlation keys and item identifiers. Ingest makes it as soon as a set is mapped, so a
    file of several big sets holds one set's document as objects at a time, not all of them.
    A ship notice mapped a loop at a time is kept in parts (``parted``, on disk until it is
    stored) and has an empty ``body``."""

    kind: str  # the JSON's "kind": return-authorization, return-shipment, ...
    reference: str
    body: str  # the canonical JSON
    keys: tuple[tuple[str, str], ...]
    items: tuple[tuple[str, str], ...]  # `gateway.app.items.item_keys`
    parted: PartedForm | None = None


def body_reference(body: Mapping[str, Any]) -> str:
    """The number a document is known by: BGN02, BSN02, B1001, BRA01 or a recall's notice
    id."""
    for name in ("document_id", "shipment_id", "carrier_reference", "receipt_id", "notice_id"):
        if body.get(name):
            return str(body[name])
    return ""


def stored_form(document: object, keys_of: Callable[[object], Iterable[tuple[str, str]]]
                ) -> DocumentRecord:
    """A canonical document as the store keeps it: its JSON, the number it is known by,
    its correlation keys (``keys_of``) and item identifiers."""
    body = to_json(document)
    return document_record(body, body_reference(body), keys_of(document))


def document_record(body: Mapping[str, Any], reference: str,
                    keys: Iterable[tuple[str, str]]) -> DocumentRecord:
    return DocumentRecord(str(body["kind"]), reference, json.dumps(body),
                          tuple(sorted(set(keys))), tuple(sorted(item_keys(body))))


def record_document(tx: DocumentWriter, file_id: int | None, partner: str, *,
                    body: Mapping[str, Any], reference: str, keys: Iterable[tuple[str, str]],
                    at: datetime, direction: str = "in") -> int:
    """Store a canonical document (``body``, its JSON) with its keys and item identifiers
    (`gateway.app.items`), and its event, in ``tx``; its id."""
    return store_document(tx, file_id, partner, document_record(body, reference, keys),
                          at=at, direction=direction, body=body)


def store_document(tx: DocumentWriter, file_id: int | None, partner: str,
                   record: DocumentRecord, *, at: datetime, direction: str = "in",
                   body: Mapping[str, Any] | None = None) -> int:
    """`record_document` of a document already in its stored form (its event carries the
    stored JSON as it is); ``body``, when the caller still has it, goes in the event instead.
    A document kept in parts is not carried by its event (megabytes in every subscriber's
    feed): ``document_omitted`` says so and where to read it."""
    if record.parted is not None:
        try:
            parts = record.parted.parts()
            document_id = tx.add_document(file_id, partner, kind=record.kind,
                                          reference=record.reference, body="",
                                          keys=record.keys, created_at=at,
                                          direction=direction,
                                          items=chain(record.items, parts.item_keys),
                                          parts=parts)
        finally:
            record.parted.close()
        data = {**_document_data(document_id, record, direction),
                "document_omitted": f"kept in parts: GET /api/v1/documents/{document_id}"}
        tx.add_event(EventRecord(_DOCUMENT_EVENTS[direction], partner, at, data,
                                 keys=record.keys, file_id=file_id, document_id=document_id))
        return document_id
    document_id = tx.add_document(file_id, partner, kind=record.kind,
                                  reference=record.reference, body=record.body,
                                  keys=record.keys, created_at=at, direction=direction,
                                  items=list(record.items))
    data = _document_data(document_id, record, direction)
    if body is not None:
        data["document"] = body
    tx.add_event(EventRecord(_DOCUMENT_EVENTS[direction], partner, at, data, keys=record.keys,
                             file_id=file_id, document_id=document_id,
                             document_json=None if body is not None else record.body))
    return document_id


def _document_data(document_id: int, record: DocumentRecord, direction: str
                   ) -> dict[str, Any]:
    return {"document_id": document_id, "kind": record.kind, "reference": record.reference,
            "direction": direction}


def file_event(file_id: int, partner: str, name: str, state: FileState, *,
               reason: str | None, at: datetime, controls: Mapping[str, Any] | None = None,
               replayed: bool = False, duplicate_of: int | None = None) -> EventRecord:
    """A received file finished in ``state`` (not "received" nor "in-progress")."""
    return EventRecord(FILE_EVENT_TYPES[state], partner, at, {
        "file_id": file_id, "name": name, "state": state.value, "reason": reason,
        "duplicate_of": duplicate_of, "replayed": replayed, **(controls or {})},
        file_id=file_id)


def ack_event(partner: str, file_id: int, at: datetime, *, kind: str, answers: str,
              control: str | None, state: str | None, matched: list[str], note: str | None
              ) -> EventRecord:
    """A partner's TA1 / 997 / 999 (``kind``) about our ``answers`` (interchange or group)
    ``control``: what it says (``state``; None: the envelope only) and what it matched."""
    return EventRecord(EventType.ACK_RECEIVED, partner, at, {
        "kind": kind, "answers": answers, "control": control, "state": state,
        "matched": matched, "note": note}, file_id=file_id)


def recipient_notified_event(notice_id: str, partner: str, notification_id: str, *,
                             affected_units: str, items: list[dict[str, Any]], at: datetime,
                             file_id: int | None) -> EventRecord:
    """``partner`` holds the recalled product of ``notice_id`` and is sent our notification."""
    return EventRecord(EventType.RECALL_RECIPIENT_NOTIFIED, partner, at, {
        "notice_id": notice_id, "notification_id": notification_id, "partner": partner,
        "affected_units": affected_units, "items": items},
        keys=((RECALL_NOTICE_KEY, notice_id),), file_id=file_id)


def recipient_responded_event(notice_id: str, partner: str, notification_id: str, *,
                              status: str, responded_at: datetime, units_found: str | None,
                              units_returned: str | None, note: str | None, at: datetime,
                              file_id: int) -> EventRecord:
    """``partner`` answered our notification about ``notice_id`` (its response file)."""
    return EventRecord(EventType.RECALL_RECIPIENT_RESPONDED, partner, at, {
        "notice_id": notice_id, "notification_id": notification_id, "partner": partner,
        "status": status, "responded_at": responded_at.isoformat(),
        "units_found": units_found, "units_returned": units_returned, "note": note},
        keys=((RECALL_NOTICE_KEY, notice_id),), file_id=file_id)
