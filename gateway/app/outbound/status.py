"""Telling partners that a return case moved.

A partner hears about the cases it is part of (it sent one of their documents), on the
transitions its partner file subscribes to, in the form it asks for. Each (partner, case,
state) is queued once for the life of the database: the dedupe key is the partner's own
first document in the case (stable, unlike an RMA number that may arrive later) and the state.
A transition the partner caused itself, or learnt from our own answer to it, is not echoed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from gateway.app.cases import CaseDocuments, CaseView, case_documents, cases_for
from gateway.app.outbound.queue import next_document_id, queue_unwritable, queue_x12, queue_xml
from gateway.app.outbound.terms import Outbound
from gateway.app.partners import X12_STATUS_SETS, PartnerSettings
from gateway.app.ports import OutboundTransaction, StoredDocument
from gateway.domain.correlation import KeyKind
from gateway.domain.return_case import CaseEvent, DocumentRef, ReturnCase
from gateway.model import CanonicalDocument, ReceivedLine, ReturnShipment, ShipmentStatusReport
from gateway.model.states import CaseState
from gateway.recall import StatusUpdate, build_status_document
from gateway.recall.status import REFERENCE_KINDS
from gateway.x12.outbound import receipt_861, status_180, status_214


@dataclass(frozen=True, slots=True)
class Transition:
    """One case transition a partner is told about."""

    partner: str
    case_id: str
    anchor: str  # the partner's own first document in the case
    state: str
    at: datetime
    note: str
    references: dict[str, str]  # rma, request, purchase-order, shipment, bill-of-lading, pro
    # What the return centre's 861s report, for a partner that hears "received" as an 861.
    received: tuple[ReceivedLine, ...] = ()


def queue_status_updates(context: Outbound, references: Iterable[str], now: datetime,
                         file_id: int | None = None, *,
                         seen: set[str] | None = None) -> list[Transition]:
    """Every subscribed transition of the cases ``references`` belong to, queued unless it
    already was; the ones queued now. ``seen``: ids of cases already done by the caller (and
    filled with those done here), so calls for several references look at a case once."""
    seen = set() if seen is None else seen
    return [transition for reference in references
            for transition in status_updates_of(context, cases_for(context.store, reference),
                                                now, file_id, seen=seen)]


def status_updates_of(context: Outbound, view: CaseView, now: datetime,
                      file_id: int | None = None, *, seen: set[str]) -> list[Transition]:
    """`queue_status_updates` of cases already folded: queuing them stores no document, so
    the same fold serves the event feed after it (`gateway.app.case_events`)."""
    queued: list[Transition] = []
    for case in view.cases:
        if case.case_id in seen:
            continue
        seen.add(case.case_id)
        for transition in transitions_to_tell(context, case, case_documents(view, case)):
            if _queue(context, transition, file_id, now):
                queued.append(transition)
    return queued


def transitions_to_tell(context: Outbound, case: ReturnCase,
                        documents: CaseDocuments) -> list[Transition]:
    stored_by_ref = {ref: stored for ref, (stored, _) in documents.items()}
    shared = _case_references(case, [document for _, document in documents.values()])
    found = []
    for partner, anchor in _participants(stored_by_ref.values()):
        party = context.parties.get(partner)
        if party is None or party.status_form is None:
            continue
        references = {"request": anchor, **shared}
        for event in case.timeline:
            if _worth_telling(event, party, stored_by_ref):
                found.append(Transition(partner, case.case_id, anchor,
                                        event.state_after.value, event.at, event.note,
                                        references, _received_lines(case, event)))
    return found


def _received_lines(case: ReturnCase, event: CaseEvent) -> tuple[ReceivedLine, ...]:
    if event.state_after is not CaseState.RECEIVED:
        return ()
    return tuple(line for receipt in case.current_receipts for line in receipt.advice.lines)


def _worth_telling(event: CaseEvent, party: PartnerSettings,
                   stored_by_ref: dict[DocumentRef, StoredDocument]) -> bool:
    if event.state_before == event.state_after:
        return False  # a fact that moved nothing
    if not party.hears_of(event.state_after):
        return False
    cause = stored_by_ref.get(event.cause)
    # Their own document, or our answer to them, already told them.
    return cause is None or cause.partner != party.id


def _participants(stored: Iterable[StoredDocument]) -> list[tuple[str, str]]:
    """Each partner that sent a document of the case, with its first such document."""
    first: dict[str, str] = {}
    for document in sorted(stored, key=lambda d: (d.created_at, d.id)):
        if document.direction == "in":
            first.setdefault(document.partner, document.reference)
    return sorted(first.items())


_KEY_NAMES = {KeyKind.RMA: "rma", KeyKind.PURCHASE_ORDER: "purchase-order",
              KeyKind.SHIPMENT_ID: "shipment", KeyKind.BILL_OF_LADING: "bill-of-lading",
              KeyKind.PRO_NUMBER: "pro"}


def _case_references(case: ReturnCase,
                     documents: Iterable[CanonicalDocument]) -> dict[str, str]:
    """The case's references every partner is told (their own request is added per partner)."""
    found: dict[str, str] = {}
    for key in sorted(case.keys, key=str):
        name = _KEY_NAMES.get(key.kind)
        if name is not None:
            found.setdefault(name, key.value)
    scac = _carrier_scac(documents)
    if scac:
        found["scac"] = scac
    return found


def _carrier_scac(documents: Iterable[CanonicalDocument]) -> str | None:
    """The carrier of the case (a 214's B1003, else an 856's TD5), which a 214 must name."""
    for document in documents:
        if isinstance(document, ShipmentStatusReport) and document.scac:
            return document.scac
        if isinstance(document, ReturnShipment) and document.carrier and document.carrier.scac:
            return document.carrier.scac
    return None


def _queue(context: Outbound, transition: Transition, file_id: int | None,
           now: datetime) -> bool:
    party = context.parties[transition.partner]
    key = f"status:{transition.anchor}:{transition.state}"
    with context.store.transaction() as tx:
        if tx.outbound_exists(party.id, key):
            return False
        if party.status_form == "xml":
            return _queue_xml(tx, party, transition, key=key, file_id=file_id, now=now)
        set_id = X12_STATUS_SETS[party.status_form or "x12-180"]
        try:
            body = _x12_body(set_id, transition, party.version)
        except ValueError as exc:  # the case lacks what the form needs (e.g. a 214's SCAC)
            return queue_unwritable(tx, party, set_id, str(exc), purpose="status-update",
                                    subject=transition.anchor, dedupe_key=key,
                                    file_id=file_id, now=now) is not None
        return queue_x12(tx, context, party, [(set_id, body)], purpose="status-update",
                         subject=transition.anchor, dedupe_key=key, file_id=file_id,
                         now=now) is not None


def _x12_body(set_id: str, transition: Transition, version: str) -> list[list[str]]:
    if set_id == "861":
        return receipt_861(transition.at, transition.references, transition.received)
    if set_id == "214":
        return status_214(transition.state, transition.at, transition.references,
                          version=version)
    return status_180(transition.state, transition.at, transition.references, transition.note)


def _queue_xml(tx: OutboundTransaction, party: PartnerSettings, transition: Transition, *,
               key: str, file_id: int | None, now: datetime) -> bool:
    document_id = next_document_id(tx, "S")
    try:
        payload = _status_xml(document_id, transition, now)
    except ValueError as exc:  # a state or reference the status schema cannot carry
        return queue_unwritable(tx, party, "status-xml", str(exc), purpose="status-update",
                                subject=transition.anchor, dedupe_key=key, file_id=file_id,
                                now=now) is not None
    return queue_xml(tx, party, "status-xml", document_id, payload, purpose="status-update",
                     subject=transition.anchor, dedupe_key=key, file_id=file_id,
                     now=now) is not None


def _status_xml(document_id: str, transition: Transition, now: datetime) -> bytes:
    return build_status_document(StatusUpdate(
        document_id=document_id, created_at=now, state=transition.state, at=transition.at,
        note=transition.note, references=tuple(
            (kind, value) for kind, value in transition.references.items()
            if kind in REFERENCE_KINDS)))
