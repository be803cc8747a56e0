"""Return status 1.0 (``urn:returns-gateway:status:1``): a partner is told that a case moved.

`build_status_document` writes a `StatusUpdate` as ``schema/return-status-1.0.xsd``. The update
is plain values the caller fills from a return case; its state is a `gateway.model.states
.CaseState` value, one of the `REPORTED_STATES` the schema's StatusCode lists.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from lxml import etree

from gateway.model.states import CaseState
from gateway.recall.writing import DocumentBuilder, finish, optional_decimal, zoned

NAMESPACE = "urn:returns-gateway:status:1"
STATUS_SCHEMA = "return-status-1.0.xsd"

_XML = DocumentBuilder(NAMESPACE)

# The case states a partner hears about, in CaseState's order (requested / pending are the
# partner's own news; an exception is never a case's state): the schema's StatusCode.
REPORTED_STATES = tuple(state for state in CaseState if state not in (
    CaseState.REQUESTED, CaseState.PENDING, CaseState.EXCEPTION))
# The case references a partner finds its case by, in the schema's words, in writing order.
REFERENCE_KINDS = ("rma", "request", "purchase-order", "shipment", "bill-of-lading", "pro")


@dataclass(frozen=True, slots=True)
class LineItemId:
    scheme: str  # the gateway's word: gtin, upc, sku, vendor-part...
    value: str


@dataclass(frozen=True, slots=True)
class StatusLine:
    """One return line as it stands after the move."""

    line_number: int
    item_ids: tuple[LineItemId, ...] = ()
    quantity: Decimal | None = None
    unit: str | None = None  # X12 355 (EA, CA...); None: not known
    disposition: str | None = None  # return-with-authorization, denied, dispose...


@dataclass(frozen=True, slots=True)
class RecallHoldRef:
    """A recall hold on the case: the notice, and the 180 line or 856 item HL it holds."""

    notice_id: str
    line_number: int | None = None
    shipment_item: str | None = None  # the 856 HL id, for a hold on a shipped item


@dataclass(frozen=True, slots=True)
class StatusUpdate:
    document_id: str  # ours: 1-64 of A-Z a-z 0-9 . _ : -
    created_at: datetime  # timezone-aware
    state: str  # a `CaseState` value of REPORTED_STATES: authorized ... cancelled
    at: datetime  # when the case moved (timezone-aware)
    note: str  # plain language, for a person at the partner
    # (kind, value), kinds from REFERENCE_KINDS, at least one, each kind once: ("rma", "RMA7")
    references: tuple[tuple[str, str], ...]
    lines: tuple[StatusLine, ...] = ()
    holds: tuple[RecallHoldRef, ...] = ()


def build_status_document(update: StatusUpdate) -> bytes:
    """``update`` as UTF-8 XML valid against return-status-1.0.xsd.

    Raises ValueError when the update cannot make a valid document (no reference, a kind twice,
    a state outside `REPORTED_STATES`, a naive datetime, an id the schema refuses): the values come
    from the gateway, so that is our bug.
    """
    references = _ordered_references(update.references)
    state = _reported(update.state)
    root = _XML.root("ReturnStatusUpdate")
    _XML.add(root, "DocumentId", update.document_id)
    _XML.add(root, "CreatedAt", zoned(update.created_at, "created_at"))
    for kind, value in references:
        _XML.add(root, "Reference", value, {"type": kind})
    _XML.add(root, "Status", state.value)
    _XML.add(root, "OccurredAt", zoned(update.at, "at"))
    _XML.add(root, "Note", update.note)
    for line in update.lines:
        _add_line(root, line)
    for hold in update.holds:
        _XML.add(root, "RecallHold", attributes={
            "noticeId": hold.notice_id, "shipmentItem": hold.shipment_item,
            "line": None if hold.line_number is None else str(hold.line_number)})
    return finish(root, STATUS_SCHEMA)


def _reported(state: str) -> CaseState:
    """``state`` as the case state it names; ValueError (naming it) when partners never hear
    of it or it is no case state at all."""
    if state not in REPORTED_STATES:
        raise ValueError(f"{state!r} is not a valid reported case state; expected one of "
                         f"{', '.join(REPORTED_STATES)}")
    return CaseState(state)


def _ordered_references(references: tuple[tuple[str, str], ...]) -> list[tuple[str, str]]:
    """The known references in a stable order (RMA first), so equal updates give equal bytes."""
    known = [(kind, value) for kind, value in references if value]
    unknown = sorted({kind for kind, _ in known} - set(REFERENCE_KINDS))
    if unknown:
        raise ValueError(f"unknown reference kind(s) {unknown}; expected {REFERENCE_KINDS}")
    if not known:
        raise ValueError("a status update needs at least one case reference")
    return sorted(known, key=lambda pair: REFERENCE_KINDS.index(pair[0]))


def _add_line(root: etree._Element, line: StatusLine) -> None:
    element = _XML.add(root, "Line", attributes={"number": str(line.line_number)})
    for item_id in line.item_ids:
        _XML.add(element, "ItemId", item_id.value, {"scheme": item_id.scheme})
    _XML.add_optional(element, "Quantity", optional_decimal(line.quantity), {"uom": line.unit})
    _XML.add_optional(element, "Disposition", line.disposition)
