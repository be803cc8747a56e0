"""A return case's moves and recall holds, told to the event feed once each.

A case is derived from its documents (`gateway.app.cases`), so its moves are known only once
the documents are stored: the follow-ups of each stored file (`gateway.app.outbound.react`)
and each step a person records fold the case and call `record_events_of`, which writes, in
one transaction per case, an event for every move of its timeline and every recall hold the
feed has not had yet:

* ``case.state-changed``: the case went from ``state_before`` to ``state_after`` at ``at``
  because of a document (``cause``); ``partner`` is whoever sent that document;
* ``recall.hold-placed``: a line of the case is held by a recall notice (which product, which
  identifier, which lots or serials).

Each has a dedupe key (the case, the state and its moment; the case, notice and line), so a
re-run of the follow-ups after a crash, or a later file of the same case, never tells it twice.
"""

from __future__ import annotations

from collections.abc import Iterable
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Protocol

from gateway.app.cases import CaseView, case_documents
from gateway.app.events import EventRecord, EventType, EventWriter
from gateway.app.ports import DocumentReader
from gateway.domain.recall_match import RecallMatch
from gateway.domain.return_case import (
    CaseEvent,
    DocumentKind,
    DocumentRef,
    ReturnCase,
)


class CaseEventWriter(EventWriter, Protocol):
    def events_recorded(self, dedupe_keys: Iterable[str]) -> set[str]:
        """Those of ``dedupe_keys`` already in the feed (or added in this transaction)."""
        ...


class CaseEventStore(DocumentReader, Protocol):
    def transaction(self) -> AbstractContextManager[CaseEventWriter]: ...


def record_events_of(store: CaseEventStore, view: CaseView, now: datetime, *,
                     seen: set[str]) -> int:
    """The moves and holds of the cases of ``view`` (a fold: `gateway.app.cases.cases_for`)
    that the feed lacks; how many events were written. A move happened when its document
    says; a hold is placed ``now``. ``seen``: case ids already done in this run (skipped,
    then added)."""
    written = 0
    for case in view.cases:
        if case.case_id in seen:
            continue
        seen.add(case.case_id)
        senders = {ref: stored.partner
                   for ref, (stored, _) in case_documents(view, case).items()}
        written += _record(store, [*_moves(case, senders), *_holds(case, now)])
    return written


def _record(store: CaseEventStore, events: list[EventRecord]) -> int:
    written = 0
    with store.transaction() as tx:
        # One question for all of the case's keys, not one per event.
        recorded = tx.events_recorded(e.dedupe_key for e in events if e.dedupe_key)
        for event in events:
            if event.dedupe_key and event.dedupe_key not in recorded:
                tx.add_event(event)
                recorded.add(event.dedupe_key)
                written += 1
    return written


def _moves(case: ReturnCase, senders: dict[DocumentRef, str]) -> list[EventRecord]:
    keys = _keys(case)
    return [EventRecord(
        EventType.CASE_STATE_CHANGED, _sender(move, senders), move.at,
        {"case_id": case.case_id, "state_before": move.state_before.value
         if move.state_before else None, "state_after": move.state_after.value,
         "at": move.at.isoformat(), "cause": {"kind": str(move.cause.kind),
                                               "id": move.cause.id},
         "note": move.note},
        keys=keys, dedupe_key=_move_key(case, move))
        for move in case.timeline if move.state_before != move.state_after]


def _holds(case: ReturnCase, now: datetime) -> list[EventRecord]:
    keys = _keys(case)
    return [EventRecord(
        EventType.RECALL_HOLD_PLACED, None, now,
        {"case_id": case.case_id, "notice_id": hold.notice_id, "line": hold.line_label,
         "identifier": hold.identifier, "lots": list(hold.lots),
         "serials": list(hold.serials)},
        keys=keys, dedupe_key=_hold_key(case, hold))
        for hold in case.recall_holds]


def _sender(move: CaseEvent, senders: dict[DocumentRef, str]) -> str | None:
    """The partner whose document moved the case; "gateway" for a step a person recorded."""
    if move.cause.kind is DocumentKind.INTERNAL:
        return "gateway"
    return senders.get(move.cause)


def _keys(case: ReturnCase) -> tuple[tuple[str, str], ...]:
    return tuple(sorted((key.kind.value, key.value) for key in case.keys))


def _move_key(case: ReturnCase, move: CaseEvent) -> str:
    return f"case:{case.case_id}:{move.state_after.value}:{move.at.isoformat()}"[:160]


def _hold_key(case: ReturnCase, hold: RecallMatch) -> str:
    return f"hold:{case.case_id}:{hold.notice_id}:{hold.line_label}"[:160]
