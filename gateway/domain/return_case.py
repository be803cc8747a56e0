"""The ReturnCase lifecycle (x12-domain.md §8) as a pure, arrival-order-independent state machine.

Why the state is derived, not stepped
    EDI arrives in any order: a carrier's 214 often beats the shipper's 856, and an 856 can beat
    the vendor's authorization. A machine that steps from state to state on arrival would end
    somewhere different for each order. So a case keeps the *facts* each document states (what
    state it justifies, at the document's own time, and which document said so) and its state is
    a function of the set of facts. Sets have no order, so every arrival order of the same
    documents gives the same state and the same timeline.

State precedence (`derive_state`)
    1. The main path is ranked: REQUESTED < PENDING < {AUTHORIZED, PARTIALLY_AUTHORIZED, DENIED}
       < SHIPPED < IN_TRANSIT < DELIVERED < RECEIVED < CLOSED. The state is the furthest rank any
       fact justifies; a late document describing an earlier step never moves a case back.
    2. The three verdicts share one rank. Among them the latest by document time wins (a vendor
       may revise an answer); on a tie, the more restrictive wins (DENIED over PARTIALLY over
       AUTHORIZED). PENDING only stands while there is no verdict. The verdict is kept in
       `ReturnCase.decision` even after the goods move on: a denied return that ships anyway is
       SHIPPED, with decision DENIED.
    3. CANCELLED (180 BGN01 = 01, or 214 CA) is a side state: it stands unless a main-path fact
       is dated strictly after the latest cancellation (a carrier re-picks a cancelled pickup; a
       vendor answers again). A same-time tie goes to the cancellation.
    4. EXCEPTION (214 exception, delivery attempted, returned to shipper) never replaces the
       state: it is recorded in the timeline, and `ReturnCase.open_exceptions` lists those with
       no main-path progress dated after them (a delay followed by a delivery is resolved).
    5. With no fact justifying any state (e.g. a 214 with only unknown codes) a case is
       REQUESTED: it exists because someone is returning something.

Document times
    180: BGN03 (``document_date``). 856: DTM*011 (shipped) on the header or any node, else
    BSN03. 214: each AT7 event's own moment. 861: when the goods were received (DTM*050, else
    BRA02 + BRA05). A date without a time counts as 00:00 UTC of that
    day. A document carrying no time at all is placed at its arrival (`TimeSource.RECEIPT`):
    only then can arrival order change the timeline, and the fact says so.

214 events
    The canonical status decides (the mapping already turned AT701 into it, partner overrides
    included); the raw AT701 code is consulted only when the status is ``other``, against §8's
    trigger lists. acknowledged / arrived-at-pickup / picked-up = SHIPPED; in-transit /
    estimated-delivery / out-for-delivery = IN_TRANSIT; arrived-at-delivery / delivered =
    DELIVERED; cancelled = CANCELLED; exception / delivery-attempted / returned-to-shipper =
    EXCEPTION. An estimate's AT7 date is the estimated moment, not when anything happened: an
    estimate proves IN_TRANSIT as of when its 214 was made, the latest other event the 214
    reports, else (an estimate alone) the 214's arrival (`TimeSource.RECEIPT`).

861 receiving advice
    The return centre's count of what arrived proves RECEIVED, whatever it found missing or
    damaged (those are findings on the case, gateway.domain.receipts, not another state); an
    advice whose lines received nothing at all is an EXCEPTION (the dock counted, nothing was
    there). Each advice is kept with the case (``receipts``); a later advice with the same BRA01
    replaces it (BRA03 04 / 05), and a cancellation (BRA03 01) withdraws it: its quantities no
    longer count, and the RECEIVED it proved stands only if another advice proves it too.
    A person may still record RECEIVED (`record_step`) for a dock that sends no 861.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time
from decimal import Decimal
from enum import StrEnum
from typing import TypeVar

from gateway.domain.correlation import (
    CorrelationKey,
    different_returns,
    hierarchy_nodes,
    keys_of,
    names_of,
    names_several_returns,
    normalize,
    shared_keys,
)
from gateway.domain.recall_match import (
    RecallMatch,
    is_active,
    recall_holds,
    shipment_items,
)
from gateway.model import (
    CanonicalDocument,
    DatedEvent,
    Disposition,
    Purpose,
    RecallNotice,
    ReceivingAdvice,
    ReturnAuthorization,
    ReturnLine,
    ReturnShipment,
    ReturnStage,
    ShipmentNode,
    ShipmentStatus,
    ShipmentStatusReport,
    Source,
    StatusEvent,
)
from gateway.model.states import CaseState

_T = TypeVar("_T")


MAIN_PATH_RANK: dict[CaseState, int] = {
    CaseState.REQUESTED: 0,
    CaseState.PENDING: 1,
    CaseState.AUTHORIZED: 2,
    CaseState.PARTIALLY_AUTHORIZED: 2,
    CaseState.DENIED: 2,
    CaseState.SHIPPED: 3,
    CaseState.IN_TRANSIT: 4,
    CaseState.DELIVERED: 5,
    CaseState.RECEIVED: 6,
    CaseState.CLOSED: 7,
}
VERDICTS = (CaseState.AUTHORIZED, CaseState.PARTIALLY_AUTHORIZED, CaseState.DENIED)
_VERDICT_RANK = MAIN_PATH_RANK[CaseState.AUTHORIZED]
# Steps a person may record: CLOSED, which no document proves, and RECEIVED for a return centre
# that sends no 861 (one that does proves it by the advice itself).
INTERNAL_STEPS = frozenset({CaseState.RECEIVED, CaseState.CLOSED})


class DocumentKind(StrEnum):
    RETURN_AUTHORIZATION = "180"
    RETURN_SHIPMENT = "856"
    SHIPMENT_STATUS = "214"
    RECEIVING_ADVICE = "861"
    RECALL_NOTICE = "recall"
    INTERNAL = "internal"


class TimeSource(StrEnum):
    DOCUMENT = "document"  # the document's own date / time
    RECEIPT = "receipt"  # the document had none: its arrival time stands in


class UnrelatedDocumentError(ValueError):
    """The document shares no correlation key with the case (or names another return)."""


@dataclass(frozen=True, slots=True)
class DocumentRef:
    """Which document: kind, its own id (BGN02, BSN02, B1001, notice id) and, when known, its
    envelope controls, which tell apart two 214s about the same shipment."""

    kind: DocumentKind
    id: str
    control: str | None = None

    def __str__(self) -> str:
        return f"{self.kind} {self.id}" + (f" [{self.control}]" if self.control else "")


@dataclass(frozen=True, slots=True)
class Fact:
    """What one document (or one internal step) says about the case."""

    asserts: CaseState | None  # None: informative only, justifies no state
    at: datetime
    cause: DocumentRef
    note: str
    timed_by: TimeSource = TimeSource.DOCUMENT


@dataclass(frozen=True, slots=True)
class CaseEvent:
    """One timeline entry: a fact, with the case's state just before and just after it when the
    facts are taken in the documents' own time order."""

    at: datetime
    state_before: CaseState | None  # None before the first fact
    state_after: CaseState
    cause: DocumentRef
    note: str
    asserts: CaseState | None
    timed_by: TimeSource = TimeSource.DOCUMENT


@dataclass(frozen=True, slots=True)
class LineVersion:
    """A 180 line as one document stated it (a request and its answer both restate lines)."""

    at: datetime
    cause: DocumentRef
    stage: ReturnStage
    line: ReturnLine


@dataclass(frozen=True, slots=True)
class ShippedItem:
    cause: DocumentRef
    node: ShipmentNode


@dataclass(frozen=True, slots=True)
class Receipt:
    """An 861 as the case keeps it: when it counts from (the goods' receipt, else its arrival)
    and which document said it."""

    at: datetime
    cause: DocumentRef
    advice: ReceivingAdvice


@dataclass(frozen=True, slots=True)
class CaseLine:
    """A return line as the case knows it, with the recall holds on it."""

    line: ReturnLine
    holds: tuple[RecallMatch, ...] = ()

    @property
    def on_hold(self) -> bool:
        return bool(self.holds)


@dataclass(frozen=True, slots=True)
class CaseMerge:
    """Why another case was folded into this one."""

    absorbed_case_id: str
    at: datetime  # arrival of the document that linked them
    cause: DocumentRef
    shared: tuple[CorrelationKey, ...]
    reason: str


@dataclass(frozen=True)
class ReturnCase:
    """One return (one RMA). Everything but the identity and history is evidence; state,
    verdict, timeline, lines and holds are derived from it (see the module doc). ``names`` are
    the RMAs and request ids its documents gave it (gateway.domain.correlation, "Names"):
    what a person names it by, and what keeps it apart from other returns."""

    case_id: str
    opened_at: datetime  # arrival of the first document (the earliest, whatever filed first)
    keys: frozenset[CorrelationKey]
    facts: frozenset[Fact]
    documents: frozenset[DocumentRef]
    line_versions: frozenset[LineVersion] = frozenset()
    shipped: frozenset[ShippedItem] = frozenset()
    notices: frozenset[RecallNotice] = frozenset()
    merges: tuple[CaseMerge, ...] = field(default=(), compare=False)
    names: frozenset[CorrelationKey] = frozenset()
    receipts: frozenset[Receipt] = frozenset()

    @property
    def state(self) -> CaseState:
        return derive_state(self.counted_facts)

    @property
    def decision(self) -> CaseState | None:
        """The vendor's answer: PENDING, a verdict, or None when no answer came yet."""
        return derive_decision(self.counted_facts)

    @property
    def timeline(self) -> tuple[CaseEvent, ...]:
        return build_timeline(self.counted_facts)

    @property
    def counted_facts(self) -> frozenset[Fact]:
        """The facts that count: all but those of a receiving advice that a later version
        replaced or withdrew (module doc, "861 receiving advice")."""
        if not self.receipts:
            return self.facts
        current = {receipt.cause for receipt in self.current_receipts}
        stale = {receipt.cause for receipt in self.receipts
                 if receipt.cause not in current and not withdrawn(receipt.advice)}
        return frozenset(fact for fact in self.facts if fact.cause not in stale)

    @property
    def exceptions(self) -> tuple[Fact, ...]:
        return tuple(sorted((f for f in self.counted_facts
                             if f.asserts is CaseState.EXCEPTION), key=_fact_order))

    @property
    def open_exceptions(self) -> tuple[Fact, ...]:
        progress = [f.at for f in self.counted_facts if f.asserts in MAIN_PATH_RANK]
        return tuple(f for f in self.exceptions if not any(at > f.at for at in progress))

    @property
    def lines(self) -> tuple[CaseLine, ...]:
        notices = active_notices(self.notices)
        return tuple(CaseLine(line, _holds(notices, line))
                     for line in current_lines(self.line_versions))

    @property
    def shipped_items(self) -> tuple[ShipmentHold, ...]:
        notices = active_notices(self.notices)
        return tuple(ShipmentHold(item.node, _holds(notices, item.node))
                     for item in sorted(self.shipped, key=lambda i: (str(i.cause),
                                                                     i.node.hl_id)))

    @property
    def current_receipts(self) -> tuple[Receipt, ...]:
        """The receiving advices that count (module doc, "861 receiving advice")."""
        return current_receipts(self.receipts)

    @property
    def recall_holds(self) -> tuple[RecallMatch, ...]:
        return (*(hold for line in self.lines for hold in line.holds),
                *(hold for item in self.shipped_items for hold in item.holds))

    @property
    def on_recall_hold(self) -> bool:
        return bool(self.recall_holds)


@dataclass(frozen=True, slots=True)
class ShipmentHold:
    """An 856 item node as the case knows it, with the recall holds on it."""

    node: ShipmentNode
    holds: tuple[RecallMatch, ...] = ()

    @property
    def on_hold(self) -> bool:
        return bool(self.holds)


# --- applying documents --------------------------------------------------------------------------
def apply(case: ReturnCase | None, document: CanonicalDocument,
          received_at: datetime) -> ReturnCase:
    """The case after ``document`` arrived at ``received_at`` (timezone-aware).

    ``None`` opens a case. Which case a document belongs to is gateway.domain.matching's
    question; this refuses a document that shares no key with ``case`` or names another return
    (another RMA, or another request when they share no RMA).
    A recall notice cannot open a case (it has no key); applied to one, it is kept with the case
    (not in the timeline) and the case's holds are derived from it and whatever lines the case
    has, so a notice applied before the lines arrive still holds them.
    """
    if received_at.tzinfo is None:
        raise ValueError("received_at must be timezone-aware")
    if case is None:
        if isinstance(document, RecallNotice):
            raise ValueError("a recall notice does not open a return case")
        case = _empty_case(document_reference(document), received_at)
    elif not isinstance(document, RecallNotice) and not related(case, document):
        raise UnrelatedDocumentError(f"{document_reference(document)} does not belong to case "
                                     f"{case.case_id}")
    keys, names = _keys_taken(case, document)
    return replace(case,
                   opened_at=case.opened_at if isinstance(document, RecallNotice)
                   else min(case.opened_at, received_at),
                   keys=case.keys | keys,
                   names=case.names | names,
                   facts=case.facts | frozenset(facts_of(document, received_at)),
                   documents=case.documents | {document_reference(document)},
                   line_versions=case.line_versions | _line_versions(document, received_at),
                   shipped=case.shipped | _shipped_items(document),
                   notices=case.notices | _notices(document),
                   receipts=case.receipts | _receipts(document, received_at))


def record_step(case: ReturnCase, state: CaseState, at: datetime, note: str) -> ReturnCase:
    """An internal step no inbound document proves: goods RECEIVED at the dock, case CLOSED."""
    if state not in INTERNAL_STEPS:
        raise ValueError(f"{state} comes from documents, not from an internal step")
    fact = Fact(state, at, DocumentRef(DocumentKind.INTERNAL, str(state)), note)
    return replace(case, facts=case.facts | {fact})


def merge_cases(survivor: ReturnCase, absorbed: ReturnCase, record: CaseMerge) -> ReturnCase:
    """One case holding the evidence of both; identity of ``survivor``, history of both."""
    return ReturnCase(case_id=survivor.case_id,
                      opened_at=min(survivor.opened_at, absorbed.opened_at),
                      keys=survivor.keys | absorbed.keys,
                      facts=survivor.facts | absorbed.facts,
                      documents=survivor.documents | absorbed.documents,
                      line_versions=survivor.line_versions | absorbed.line_versions,
                      shipped=survivor.shipped | absorbed.shipped,
                      notices=survivor.notices | absorbed.notices,
                      merges=(*survivor.merges, *absorbed.merges, record),
                      names=survivor.names | absorbed.names,
                      receipts=survivor.receipts | absorbed.receipts)


def related(case: ReturnCase, document: CanonicalDocument) -> bool:
    """A document may join a case when they share a key and do not name different returns."""
    return (bool(shared_keys(keys_of(document), case.keys))
            and not different_returns(names_of(document), case.names))


def _keys_taken(case: ReturnCase,
                document: CanonicalDocument) -> tuple[frozenset[CorrelationKey],
                                                      frozenset[CorrelationKey]]:
    """The keys and names ``case`` takes from ``document``: all of them, except from a
    consolidated shipment (several returns on one truck). A named case takes from it only the
    names it already has, and not the other returns' RMAs or request ids even as keys, so it
    never becomes their case too; an unnamed case takes its keys but no name."""
    keys, names = keys_of(document), names_of(document)
    if not names_several_returns(document):
        return keys, names
    if not case.names:
        return keys, frozenset()
    return keys - (names - case.names), names & case.names


def _empty_case(opening: DocumentRef, received_at: datetime) -> ReturnCase:
    # Derived from the opening document, not random: the same input gives the same case.
    return ReturnCase(case_id=f"{opening.kind}:{opening.id}", opened_at=received_at,
                      keys=frozenset(), facts=frozenset(), documents=frozenset())


# --- facts ---------------------------------------------------------------------------------------
def facts_of(document: CanonicalDocument, received_at: datetime) -> list[Fact]:
    """What ``document`` says about a case's lifecycle."""
    if isinstance(document, ReturnAuthorization):
        return _authorization_facts(document, received_at)
    if isinstance(document, ReturnShipment):
        return [_shipment_fact(document, received_at)]
    if isinstance(document, ShipmentStatusReport):
        said_at = _report_said_at(document, received_at)
        return [_event_fact(document, event, received_at, said_at) for event in document.events]
    if isinstance(document, ReceivingAdvice):
        return [_receipt_fact(document, received_at)]
    return []  # a recall notice changes holds, not the lifecycle


def _authorization_facts(document: ReturnAuthorization, received_at: datetime) -> list[Fact]:
    at, timed_by = _moment(_created(document), received_at)
    cause = document_reference(document)

    def fact(state: CaseState, note: str) -> Fact:
        return Fact(state, at, cause, note, timed_by)

    if document.purpose is Purpose.CANCELLATION or document.purpose_code == "01":
        return [fact(CaseState.CANCELLED, "return cancelled (180 BGN01 01)")]
    if document.stage is ReturnStage.REQUEST:
        return [fact(CaseState.REQUESTED, "return requested (180)")]
    if document.stage is ReturnStage.NOTIFICATION:
        # A notification of return says the goods have already been sent back.
        return [fact(CaseState.REQUESTED, "return notified (180)"),
                fact(CaseState.SHIPPED, "goods already sent back (180 notification)")]
    answer, why = answer_of(document)
    return [fact(answer, f"{answer} (180: {why})")]


_ANSWER_BY_DISPOSITION: dict[Disposition, CaseState] = {
    Disposition.RETURN_WITH_AUTHORIZATION: CaseState.AUTHORIZED,
    Disposition.PARTIALLY_AUTHORIZED: CaseState.PARTIALLY_AUTHORIZED,
    Disposition.DENIED: CaseState.DENIED,
    Disposition.AUTHORIZATION_PENDING: CaseState.PENDING,
}


def _answer_of_disposition(disposition: Disposition | None) -> CaseState | None:
    if disposition is None or disposition is Disposition.OTHER:
        return None
    # Any other 1292 code (dispose, keep with allowance, ship to third party...) tells what to do
    # with goods the vendor accepts: an authorization with an instruction.
    return _ANSWER_BY_DISPOSITION.get(disposition, CaseState.AUTHORIZED)


def answer_of(document: ReturnAuthorization) -> tuple[CaseState, str]:
    """The vendor's answer in a 180 response and where it was read: header RDR01, else the
    lines' RDR01 taken together, else an RMA number (§8: an RMA # in N9 authorizes), else
    PENDING (a response without a verdict)."""
    header = _answer_of_disposition(document.reasons.disposition if document.reasons else None)
    if header is not None:
        return header, "header RDR01"
    per_line = {answer for line in document.lines
                if (answer := _answer_of_disposition(
                    line.reasons.disposition if line.reasons else None)) is not None}
    if per_line:
        return _combine_line_answers(per_line), "line RDR01"
    if document.rma_number:
        return CaseState.AUTHORIZED, "RMA number issued"
    return CaseState.PENDING, "no disposition"


def _combine_line_answers(answers: set[CaseState]) -> CaseState:
    if len(answers) == 1:
        return next(iter(answers))
    if CaseState.PARTIALLY_AUTHORIZED in answers or CaseState.AUTHORIZED in answers:
        return CaseState.PARTIALLY_AUTHORIZED  # some lines may come back, others not (yet)
    return CaseState.PENDING  # denied and pending lines: the answer is not complete


def _shipment_fact(document: ReturnShipment, received_at: datetime) -> Fact:
    at, timed_by = _moment(_shipped_moment(document), received_at)
    cause = document_reference(document)
    if document.purpose is Purpose.DELETE:
        return Fact(None, at, cause, "ship notice withdrawn (856 BSN01 03): not counted",
                    timed_by)
    carrier = document.carrier.scac if document.carrier and document.carrier.scac else None
    note = "shipped (856)" + (f" with {carrier}" if carrier else "")
    return Fact(CaseState.SHIPPED, at, cause, note, timed_by)


def _shipped_moment(document: ReturnShipment) -> datetime | None:
    shipped = [event for event in _all_dates(document) if event.qualifier == "011"]
    if shipped:
        return min(_event_moment(event) for event in shipped)
    return _day(document.shipped_on)


def _all_dates(document: ReturnShipment) -> list[DatedEvent]:
    return [*document.dates, *(d for node in hierarchy_nodes(document.hierarchy)
                               for d in node.dates)]


_STATE_BY_STATUS: dict[ShipmentStatus, CaseState] = {
    ShipmentStatus.ACKNOWLEDGED: CaseState.SHIPPED,
    ShipmentStatus.ARRIVED_AT_PICKUP: CaseState.SHIPPED,
    ShipmentStatus.PICKED_UP: CaseState.SHIPPED,
    ShipmentStatus.IN_TRANSIT: CaseState.IN_TRANSIT,
    ShipmentStatus.ESTIMATED_DELIVERY: CaseState.IN_TRANSIT,
    ShipmentStatus.OUT_FOR_DELIVERY: CaseState.IN_TRANSIT,
    ShipmentStatus.ARRIVED_AT_DELIVERY: CaseState.DELIVERED,
    ShipmentStatus.DELIVERED: CaseState.DELIVERED,
    ShipmentStatus.CANCELLED: CaseState.CANCELLED,
    ShipmentStatus.EXCEPTION: CaseState.EXCEPTION,
    ShipmentStatus.DELIVERY_ATTEMPTED: CaseState.EXCEPTION,
    ShipmentStatus.RETURNED_TO_SHIPPER: CaseState.EXCEPTION,
}
# §8 triggers by raw AT701 code, for events the mapping could only call "other".
_STATE_BY_X12_STATUS: dict[str, CaseState] = {
    **dict.fromkeys(("AF", "CP", "XB"), CaseState.SHIPPED),
    **dict.fromkeys(("X6", "P1", "X4", "I1", "R1", "J1", "AG", "X2"), CaseState.IN_TRANSIT),
    **dict.fromkeys(("X1", "D1", "CD"), CaseState.DELIVERED),
    "CA": CaseState.CANCELLED,
    **dict.fromkeys(("A9", "A7", "AH", "AP", "SD", "A3"), CaseState.EXCEPTION),
}


def state_of_event(event: StatusEvent) -> CaseState | None:
    """The lifecycle state a 214 event justifies (see "214 events" in the module doc)."""
    if event.status is not None and event.status is not ShipmentStatus.OTHER:
        return _STATE_BY_STATUS[event.status]
    code = (event.status_code or "").strip().upper()
    return _STATE_BY_X12_STATUS.get(code)


def _event_fact(document: ShipmentStatusReport, event: StatusEvent, received_at: datetime,
                said_at: tuple[datetime, TimeSource]) -> Fact:
    what = str(event.status) if event.status else "appointment"
    code = f" {event.status_code}" if event.status_code else ""
    place = f" at {event.location.city}" if event.location and event.location.city else ""
    if _is_estimate(event):
        # Its date is when the goods should arrive, not when anything happened: dated there,
        # an estimate would sit after a receipt, or revive a cancelled case from the future.
        # It proves IN_TRANSIT as of when its report was made (`_report_said_at`).
        estimated = f" for {event.at.at:%Y-%m-%d %H:%M%z}" if event.at else ""
        return Fact(state_of_event(event), said_at[0], document_reference(document),
                    f"{what}{estimated} (214{code}){place}", said_at[1])
    at, timed_by = _moment(event.at.at if event.at else None, received_at)
    return Fact(state_of_event(event), at, document_reference(document),
                f"{what} (214{code}){place}", timed_by)


def _report_said_at(document: ShipmentStatusReport,
                    received_at: datetime) -> tuple[datetime, TimeSource]:
    """When a 214 was made, as far as it says: no earlier than the latest event it reports
    (an estimate's own date does not count); with none timed, its arrival."""
    happened = [event.at.at for event in document.events
                if event.at is not None and not _is_estimate(event)]
    if happened:
        return max(happened), TimeSource.DOCUMENT
    return received_at, TimeSource.RECEIPT


def _is_estimate(event: StatusEvent) -> bool:
    return event.status is ShipmentStatus.ESTIMATED_DELIVERY or (
        event.status in (None, ShipmentStatus.OTHER)
        and (event.status_code or "").strip().upper() in ("AG", "X2"))


def _receipt_fact(document: ReceivingAdvice, received_at: datetime) -> Fact:
    at, timed_by = _moment(receipt_moment(document), received_at)
    cause = document_reference(document)
    if withdrawn(document):
        return Fact(None, at, cause, f"receiving advice withdrawn (861 BRA03 "
                    f"{document.purpose_code}): its quantities no longer count", timed_by)
    counted = [line.quantity_received.value for line in document.lines
               if line.quantity_received is not None]
    if document.lines and not any(counted):
        return Fact(CaseState.EXCEPTION, at, cause,
                    "the return centre received nothing of it (861)", timed_by)
    centre = next((party.name for party in document.parties
                   if party.role_code == "ST" and party.name), None)
    place = f" at {centre}" if centre else ""
    return Fact(CaseState.RECEIVED, at, cause,
                f"received{place} (861{_receipt_summary(document)})", timed_by)


def _receipt_summary(document: ReceivingAdvice) -> str:
    """': 2 received, 1 damaged, 1 short' for a timeline note (units of any kind)."""
    received = sum((line.quantity_received.value for line in document.lines
                    if line.quantity_received is not None), start=Decimal(0))
    questioned: dict[str, Decimal] = defaultdict(Decimal)
    for line in document.lines:
        for question in line.in_question:
            what = str(question.condition or question.condition_code or "in question")
            questioned[what] += question.quantity.value
    if not document.lines:
        return ""
    parts = [f"{received.normalize():f} received",
             *(f"{quantity.normalize():f} {what}" for what, quantity in sorted(questioned.items()))]
    return ": " + ", ".join(parts)


def _version_order(receipt: Receipt) -> tuple[datetime, int, str]:
    advice = receipt.advice
    rank = 2 if withdrawn(advice) else 0 if advice.purpose_code in (None, "00") else 1
    return receipt.at, rank, str(receipt.cause)


def receipt_moment(document: ReceivingAdvice) -> datetime | None:
    """When the goods were received: DTM*050 / BRA02 + BRA05 (as mapped), else BRA02's day."""
    if document.received_at is not None:
        return document.received_at.at
    return _day(document.document_date)


def withdrawn(document: ReceivingAdvice) -> bool:
    """A cancellation (BRA03 01) or deletion (03) of an earlier advice."""
    return document.purpose is Purpose.CANCELLATION or document.purpose_code in ("01", "03")


def current_receipts(receipts: Iterable[Receipt]) -> tuple[Receipt, ...]:
    """The latest version of each advice (by BRA01), unless that version withdraws it; ordered
    by time. Latest by the advice's own time; on the same time (a correction that restates the
    receipt's time) a replacement or withdrawal beats an original, so arrival order never
    decides."""
    latest: dict[str, Receipt] = {}
    for receipt in sorted(receipts, key=_version_order):
        latest[normalize(receipt.advice.receipt_id)] = receipt
    return tuple(sorted((r for r in latest.values() if not withdrawn(r.advice)),
                        key=lambda r: (r.at, str(r.cause))))


# --- deriving the state --------------------------------------------------------------------------
def derive_state(facts: Iterable[Fact]) -> CaseState:
    """The case state the facts justify, whatever order they came in (module doc, rules 1-5)."""
    return _standing_of(facts).state()


def derive_decision(facts: Iterable[Fact]) -> CaseState | None:
    """The standing answer: the latest verdict (ties to the most restrictive), else PENDING."""
    return _standing_of(facts).decision()


def _standing_of(facts: Iterable[Fact]) -> _Standing:
    standing = _Standing()
    for fact in facts:
        standing.add(fact)
    return standing


_STATE_OF_RANK = {rank: state for state, rank in reversed(MAIN_PATH_RANK.items())}


@dataclass(slots=True)
class _Standing:
    """What the state rules read from a set of facts, kept as facts are added one at a time,
    so the state after each of a case's facts costs the same however many came before (a
    carrier's 214 may hold tens of thousands of status events: re-reading every earlier fact
    for each one was quadratic). Gives exactly what the rules say of all the facts added:
    1. a cancellation stands unless progress is dated after the latest one;
    2. no progress: REQUESTED;
    3. the furthest step on the main path;
    4. at the verdict step, the standing answer (`decision`)."""

    furthest: int | None = None  # the highest MAIN_PATH_RANK of a progress fact
    last_progress: datetime | None = None
    last_cancellation: datetime | None = None
    verdict: Fact | None = None  # the latest verdict, ties to the most restrictive
    pending: bool = False  # some progress fact asserts PENDING

    def add(self, fact: Fact) -> None:
        asserts = fact.asserts
        if asserts is CaseState.CANCELLED:
            self.last_cancellation = _later(self.last_cancellation, fact.at)
        if asserts is None or asserts not in MAIN_PATH_RANK:
            return
        rank = MAIN_PATH_RANK[asserts]
        self.furthest = rank if self.furthest is None else max(self.furthest, rank)
        self.last_progress = _later(self.last_progress, fact.at)
        if asserts in VERDICTS:
            if self.verdict is None or _verdict_order(fact) > _verdict_order(self.verdict):
                self.verdict = fact
        elif asserts is CaseState.PENDING:
            self.pending = True

    def state(self) -> CaseState:
        if self.last_cancellation is not None and not (
                self.last_progress is not None and self.last_progress > self.last_cancellation):
            return CaseState.CANCELLED
        if self.furthest is None:
            return CaseState.REQUESTED
        decision = self.decision()
        if self.furthest == _VERDICT_RANK and decision is not None:
            return decision
        return _STATE_OF_RANK[self.furthest]

    def decision(self) -> CaseState | None:
        """The standing answer: the latest verdict (ties to the most restrictive), else
        PENDING when one was given, else None."""
        if self.verdict is not None:
            return self.verdict.asserts
        return CaseState.PENDING if self.pending else None


def _later(moment: datetime | None, other: datetime) -> datetime:
    return other if moment is None or other > moment else moment


def _verdict_order(fact: Fact) -> tuple[datetime, int, tuple[datetime, int, str, str, str]]:
    return fact.at, _restrictiveness(fact.asserts), _fact_order(fact)


_RESTRICTIVENESS = {CaseState.AUTHORIZED: 0, CaseState.PARTIALLY_AUTHORIZED: 1,
                    CaseState.DENIED: 2}


def _restrictiveness(state: CaseState | None) -> int:
    return _RESTRICTIVENESS.get(state, 0) if state is not None else 0


def build_timeline(facts: Iterable[Fact]) -> tuple[CaseEvent, ...]:
    """The facts in the documents' own time order, each with the state before and after it."""
    events = []
    before: CaseState | None = None
    standing = _Standing()
    for fact in sorted(facts, key=_fact_order):
        standing.add(fact)
        after = standing.state()
        events.append(CaseEvent(at=fact.at, state_before=before, state_after=after,
                                cause=fact.cause, note=fact.note, asserts=fact.asserts,
                                timed_by=fact.timed_by))
        before = after
    return tuple(events)


def _fact_order(fact: Fact) -> tuple[datetime, int, str, str, str]:
    # Time first; on the same moment, earlier lifecycle steps first; then a stable tie-break.
    rank = MAIN_PATH_RANK.get(fact.asserts, len(MAIN_PATH_RANK)) if fact.asserts else -1
    return fact.at, rank, str(fact.cause), fact.note, str(fact.asserts)


# --- lines and holds -----------------------------------------------------------------------------
_STAGE_ORDER = {ReturnStage.REQUEST: 0, ReturnStage.NOTIFICATION: 1,
                ReturnStage.AUTHORIZATION: 2}


def current_lines(versions: Iterable[LineVersion]) -> tuple[ReturnLine, ...]:
    """Each line number once: quantity, reasons and text from its latest statement (by document
    time, an answer after a request on the same day); identifiers, lots, serials, dates and
    references from every statement, because each describes the same physical goods and a
    recall check must not lose a lot a later answer left out."""
    by_number: dict[int, list[LineVersion]] = defaultdict(list)
    for version in versions:
        by_number[version.line.line_number].append(version)
    return tuple(_merge_line(by_number[number]) for number in sorted(by_number))


def _merge_line(versions: list[LineVersion]) -> ReturnLine:
    ordered = sorted(versions, key=lambda v: (v.at, _STAGE_ORDER[v.stage], str(v.cause)))
    latest = ordered[-1].line
    lines = [v.line for v in ordered]
    return replace(
        latest,
        item_ids=_union(item for line in lines for item in line.item_ids),
        lots=_union(lot for line in lines for lot in line.lots),
        serials=_union(serial for line in lines for serial in line.serials),
        references=_union(ref for line in lines for ref in line.references),
        dates=_union(event for line in lines for event in line.dates),
        description=next((ln.description for ln in reversed(lines) if ln.description), None),
        original_po=next((ln.original_po for ln in reversed(lines) if ln.original_po), None),
    )


def _union(values: Iterable[_T]) -> tuple[_T, ...]:
    # Sorted by text so that the result does not depend on which statement came first.
    return tuple(sorted(set(values), key=repr))


def active_notices(notices: Iterable[RecallNotice]) -> tuple[RecallNotice, ...]:
    """The latest version of each notice, if that version is still active."""
    latest: dict[str, RecallNotice] = {}
    for notice in sorted(notices, key=lambda n: (n.notice_id, n.version or 0, repr(n))):
        latest[notice.notice_id] = notice
    return tuple(notice for notice in latest.values() if is_active(notice))


def _holds(notices: Iterable[RecallNotice],
           line: ReturnLine | ShipmentNode) -> tuple[RecallMatch, ...]:
    return tuple(hold for notice in notices for hold in recall_holds(notice, [line]))


# --- reading documents ---------------------------------------------------------------------------
def document_reference(document: CanonicalDocument) -> DocumentRef:
    """The reference a case keeps for ``document``."""
    if isinstance(document, ReturnAuthorization):
        kind, own_id = DocumentKind.RETURN_AUTHORIZATION, document.document_id
    elif isinstance(document, ReturnShipment):
        kind, own_id = DocumentKind.RETURN_SHIPMENT, document.shipment_id
    elif isinstance(document, ShipmentStatusReport):
        kind, own_id = DocumentKind.SHIPMENT_STATUS, document.carrier_reference
    elif isinstance(document, ReceivingAdvice):
        kind, own_id = DocumentKind.RECEIVING_ADVICE, document.receipt_id
    else:
        kind, own_id = DocumentKind.RECALL_NOTICE, document.notice_id
    return DocumentRef(kind, own_id.strip(), _controls(document.source))


def _controls(source: Source) -> str | None:
    parts = (source.interchange_control, source.group_control, source.set_control)
    return "/".join(p or "" for p in parts) if any(parts) else None


def _line_versions(document: CanonicalDocument,
                   received_at: datetime) -> frozenset[LineVersion]:
    if not isinstance(document, ReturnAuthorization):
        return frozenset()
    at, _ = _moment(_day(document.document_date), received_at)
    cause = document_reference(document)
    return frozenset(LineVersion(at, cause, document.stage, line) for line in document.lines)


def _shipped_items(document: CanonicalDocument) -> frozenset[ShippedItem]:
    if not isinstance(document, ReturnShipment) or document.purpose is Purpose.DELETE:
        return frozenset()
    cause = document_reference(document)
    return frozenset(ShippedItem(cause, node) for node in shipment_items(document))


def _receipts(document: CanonicalDocument, received_at: datetime) -> frozenset[Receipt]:
    if not isinstance(document, ReceivingAdvice):
        return frozenset()
    at, _ = _moment(receipt_moment(document), received_at)
    return frozenset({Receipt(at, document_reference(document), document)})


def _notices(document: CanonicalDocument) -> frozenset[RecallNotice]:
    return frozenset({document}) if isinstance(document, RecallNotice) else frozenset()


def _created(document: ReturnAuthorization) -> datetime | None:
    """When a 180 was made: its DTM*097 (transaction creation) moment when it has one, so two
    answers of one day (a person changing a decision) keep their order; else its BGN03 day."""
    created = next((d.at for d in document.dates if d.qualifier == "097" and d.at), None)
    return created if created is not None else _day(document.document_date)


def _day(day: date | None) -> datetime | None:
    return datetime.combine(day, time(0), tzinfo=UTC) if day is not None else None


def _event_moment(event: DatedEvent) -> datetime:
    return event.at if event.at is not None else datetime.combine(event.on, time(0), tzinfo=UTC)


def _moment(own: datetime | None, received_at: datetime) -> tuple[datetime, TimeSource]:
    if own is None:
        return received_at, TimeSource.RECEIPT
    return own, TimeSource.DOCUMENT
