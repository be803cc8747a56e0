"""The receiving schedule (gateway.domain.receiving), read from the stored documents.

Which cases
    Every return case with a 180, 856 or 214 received in the `LOOKBACK_DAYS` before the
    schedule's first day (a case none of whose documents moved for that long is history, or
    lost: not something a dock plans for). A cancelled case is left out. Each case is read
    once: a document already read as part of a case does not lead to it again.

A case's shipments
    Its 856s, one per shipper and BSN02 (the latest version received stands; one whose latest
    version cancels or deletes it, BSN01 01 / 03, is gone). A shipment on several cases (a
    consolidated truck) is one shipment with every case's RMAs, its status the least advanced
    of theirs. A case with no 856 whose goods have left (a 180 notification, a carrier's
    pickup) is a shipment with no BSN02 and its authorized units: the dock should expect it.
    A case authorized but not shipped is listed as such, with its authorized units.

A shipment's 214s
    Every 214 of its cases; when a case has several shipments, only the 214s that share a
    shipment number with it (BSN02, bill of lading, PRO, tracking: B10 or L11 BM / CN / 2I /
    SI), so one truck's estimate never moves the other's.

Arrived
    The first delivery or receipt its cases record (a 214 D1, an 861, a dock's step), or a
    214's G62*35 (delivered on this date): an arrived shipment is never late.

Counts
    Cartons are the 856's pack levels, pallets its tare levels (else the TD1 lading quantity
    when it is packed in cartons, CTN, or on pallets, PLT); units the shipped quantity of its
    outermost items (an item without one counts as one unit, as a return line does).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation

from gateway.app.case_export import CaseSource
from gateway.app.cases import CaseView, case_documents, cases_for
from gateway.app.ports import StoredDocument
from gateway.domain.correlation import CorrelationKey, KeyKind, hierarchy_nodes, normalize
from gateway.domain.receiving import (
    DTM_ESTIMATES,
    G62_DELIVERED,
    G62_ESTIMATES,
    AuthorizedReturn,
    CentreSchedule,
    Destination,
    Estimate,
    InboundShipment,
    ReturnCentre,
    Said,
    Window,
    receiving_schedule,
)
from gateway.domain.return_case import (
    MAIN_PATH_RANK,
    VERDICTS,
    ReturnCase,
    document_reference,
)
from gateway.model import (
    CanonicalDocument,
    Disposition,
    HierarchyLevel,
    Party,
    Purpose,
    ReturnAuthorization,
    ReturnShipment,
    ReturnStage,
    ShipmentNode,
    ShipmentStatus,
    ShipmentStatusReport,
)
from gateway.model.states import CaseState

LOOKBACK_DAYS = 90
ENTRY_KINDS = frozenset({"return-authorization", "return-shipment", "shipment-status"})
SHIPMENT_NUMBERS = frozenset({"BM", "CN", "2I", "SI"})  # X12 128: BOL, PRO, tracking, shipper
WITHDRAWN = (Purpose.CANCELLATION, Purpose.DELETE)
SHIPPED_RANK = MAIN_PATH_RANK[CaseState.SHIPPED]
AUTHORIZED = (CaseState.AUTHORIZED, CaseState.PARTIALLY_AUTHORIZED)
NOON_UTC = time(12, tzinfo=UTC)

Stored180 = tuple[StoredDocument, ReturnAuthorization]
Stored856 = tuple[StoredDocument, ReturnShipment]
Stored214 = tuple[StoredDocument, ShipmentStatusReport]


def receiving_schedule_of(store: CaseSource, centres: tuple[ReturnCentre, ...], window: Window,
                          now: datetime, *, centre: str | None = None
                          ) -> tuple[CentreSchedule, ...]:
    """The schedule of every centre (or of ``centre``) over ``window``, as of ``now``."""
    facts = receiving_facts(each_receiving_case(store, since=_read_since(window, now)))
    return receiving_schedule(centres, facts.shipments, facts.authorized, window, now,
                              only=centre)


def _read_since(window: Window, now: datetime) -> datetime | None:
    """LOOKBACK_DAYS before the window's first day (None: from the start of the store)."""
    try:
        return (datetime.combine(window.first, time.min, now.tzinfo)
                - timedelta(days=LOOKBACK_DAYS))
    except OverflowError:
        return None


def each_receiving_case(store: CaseSource, *, since: datetime | None
                        ) -> Iterator[tuple[ReturnCase, CaseView]]:
    """Every case with a 180, 856 or 214 received ``since``, each once, with its view."""
    seen_cases: set[str] = set()
    read: set[int] = set()
    for stored in store.each_document(since=since):
        if stored.direction != "in" or stored.kind not in ENTRY_KINDS or stored.id in read:
            continue
        view = cases_for(store, stored.reference)
        read.update(document.id for document in view.documents)
        for case in view.cases:
            if case.case_id not in seen_cases:
                seen_cases.add(case.case_id)
                yield case, view


# --- from cases to shipments ------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class ReceivingFacts:
    shipments: tuple[InboundShipment, ...]
    authorized: tuple[AuthorizedReturn, ...]


@dataclass(slots=True)
class _CaseDocuments:
    requests: list[Stored180] = field(default_factory=list)
    notices: list[Stored856] = field(default_factory=list)
    reports: list[Stored214] = field(default_factory=list)


@dataclass(slots=True)
class _Shipment:
    """One shipment as its cases are read: the 856 (None: shipped without one), its cases
    and their 180s, and the 214s about it."""

    key: str
    notice: Stored856 | None
    cases: dict[str, ReturnCase] = field(default_factory=dict)
    requests: dict[int, Stored180] = field(default_factory=dict)
    reports: dict[int, Stored214] = field(default_factory=dict)

    def add(self, case: ReturnCase, documents: _CaseDocuments,
            reports: Iterable[Stored214]) -> None:
        self.cases[case.case_id] = case
        self.requests.update((stored.id, (stored, doc)) for stored, doc in documents.requests)
        self.reports.update((stored.id, (stored, doc)) for stored, doc in reports)


def receiving_facts(cases: Iterable[tuple[ReturnCase, CaseView]]) -> ReceivingFacts:
    """The shipments and authorized returns of ``cases`` (module doc)."""
    shipments: dict[str, _Shipment] = {}
    authorized: list[AuthorizedReturn] = []
    for case, view in cases:
        if case.state is CaseState.CANCELLED:
            continue
        documents = _sorted_documents(case_documents(view, case).values())
        notices = _standing_notices(documents.notices)
        for stored, notice in notices:
            key = f"{stored.partner}/{notice.shipment_id}"
            shipment = shipments.setdefault(key, _Shipment(key, (stored, notice)))
            shipment.add(case, documents, _reports_about(notice, notices, documents.reports))
        if notices:
            continue
        if MAIN_PATH_RANK.get(case.state, 0) >= SHIPPED_RANK:
            key = f"case/{case.case_id}"
            shipments.setdefault(key, _Shipment(key, None)).add(case, documents,
                                                               documents.reports)
        elif case.state in AUTHORIZED:
            authorized.append(_authorized(case, documents))
    return ReceivingFacts(tuple(_inbound(shipment) for shipment in shipments.values()),
                          tuple(authorized))


def _sorted_documents(found: Iterable[tuple[StoredDocument, CanonicalDocument]]
                      ) -> _CaseDocuments:
    documents = _CaseDocuments()
    for stored, document in sorted(found, key=lambda pair: (pair[0].created_at, pair[0].id)):
        if isinstance(document, ReturnAuthorization):
            documents.requests.append((stored, document))
        elif isinstance(document, ReturnShipment):
            documents.notices.append((stored, document))
        elif isinstance(document, ShipmentStatusReport):
            documents.reports.append((stored, document))
    return documents


def _standing_notices(notices: list[Stored856]) -> list[Stored856]:
    """The latest version of each shipment (they come oldest first), unless it withdraws it."""
    latest = {(stored.partner, notice.shipment_id.strip()): (stored, notice)
              for stored, notice in notices}
    return [(stored, notice) for stored, notice in latest.values()
            if notice.purpose not in WITHDRAWN and notice.purpose_code not in ("01", "03")]


def _reports_about(notice: ReturnShipment, notices: list[Stored856],
                   reports: list[Stored214]) -> list[Stored214]:
    if len(notices) == 1:
        return reports
    numbers = _notice_numbers(notice)
    return [(stored, report) for stored, report in reports
            if _report_numbers(report) & numbers]


def _notice_numbers(notice: ReturnShipment) -> set[str]:
    references = [*notice.references, *(r for node in notice.hierarchy for r in node.references)]
    return _normalized([notice.shipment_id, notice.bill_of_lading, notice.pro_number,
                        *notice.tracking_numbers,
                        *(r.value for r in references if r.qualifier in SHIPMENT_NUMBERS)])


def _report_numbers(report: ShipmentStatusReport) -> set[str]:
    return _normalized([report.carrier_reference, report.shipment_id,
                        *(r.value for r in report.references
                          if r.qualifier in SHIPMENT_NUMBERS)])


def _normalized(values: Iterable[str | None]) -> set[str]:
    return {normalize(value) for value in values if value and normalize(value)}


# --- one shipment -----------------------------------------------------------------------------
def _inbound(shipment: _Shipment) -> InboundShipment:
    cases = sorted(shipment.cases.values(), key=lambda case: case.case_id)
    requests = sorted(shipment.requests.values(), key=lambda pair: (pair[0].created_at,
                                                                    pair[0].id))
    reports = sorted(shipment.reports.values(), key=lambda pair: (pair[0].created_at,
                                                                  pair[0].id))
    notice = shipment.notice[1] if shipment.notice else None
    carrier = _carrier(notice, [report for _, report in reports])
    cartons, pallets, units = (_counts(*shipment.notice) if shipment.notice
                               else (0, 0, _authorized_units(cases)[1]))
    return InboundShipment(
        key=shipment.key, shipment_id=notice.shipment_id if notice else None,
        partner=shipment.notice[0].partner if shipment.notice else _partner_of(requests),
        destination=_destination(notice, requests, reports),
        status=min((case.state for case in cases), key=lambda s: MAIN_PATH_RANK.get(s, 0)),
        rmas=tuple(sorted({key.value for case in cases for key in _rmas(case)})),
        case_ids=tuple(case.case_id for case in cases),
        scac=carrier[0], pro_number=carrier[1],
        bill_of_lading=notice.bill_of_lading if notice else None,
        cartons=cartons, pallets=pallets, units=units,
        shipped_on=notice.shipped_on if notice else None,
        carrier_estimates=tuple(e for stored, report in reports
                                for e in carrier_estimates(stored, report)),
        notice_estimates=notice_estimates(*shipment.notice) if shipment.notice else (),
        arrived_at=min((a for a in (*map(_arrived_at, cases), *_delivered_on(reports)) if a),
                       default=None),
        exception=_open_exception(cases))


def carrier_estimates(stored: StoredDocument, report: ShipmentStatusReport
                      ) -> tuple[Estimate, ...]:
    """The delivery estimates of one 214, in the order it says them: its G62s (in the N1
    loops, before its status details) then its AT7 estimated-delivery events."""
    ref = str(document_reference(report))
    found = [Estimate(Said(dated.on, dated.at), f"214 G62*{dated.qualifier}", ref,
                      stored.created_at, (stored.id, position))
             for position, dated in enumerate(report.dates)
             if dated.qualifier.strip() in G62_ESTIMATES]
    found += [Estimate(Said(event.at.at.date(), event.at.at),
                       f"214 AT7*{event.status_code or 'AG'}", ref, stored.created_at,
                       (stored.id, len(report.dates) + position))
              for position, event in enumerate(report.events)
              if event.status is ShipmentStatus.ESTIMATED_DELIVERY and event.at is not None]
    return tuple(found)


def notice_estimates(stored: StoredDocument, notice: ReturnShipment) -> tuple[Estimate, ...]:
    """The 856's own DTM*017 / 067, header first, then the levels in document order."""
    ref = str(document_reference(notice))
    dates = [*notice.dates, *(d for node in hierarchy_nodes(notice.hierarchy)
                              for d in node.dates)]
    return tuple(Estimate(Said(dated.on, dated.at), f"856 DTM*{dated.qualifier}", ref,
                          stored.created_at, (stored.id, position))
                 for position, dated in enumerate(dates)
                 if dated.qualifier.strip() in DTM_ESTIMATES)


def _carrier(notice: ReturnShipment | None,
             reports: list[ShipmentStatusReport]) -> tuple[str | None, str | None]:
    """SCAC and PRO: the 856's (TD5, REF*CN), else the latest 214's (B10)."""
    scac = notice.carrier.scac if notice and notice.carrier else None
    scac = scac or next((node.carrier.scac for node in (notice.hierarchy if notice else ())
                         if node.carrier and node.carrier.scac), None)
    pro = notice.pro_number if notice else None
    latest = reports[-1] if reports else None
    return (scac or (latest.scac if latest else None),
            pro or (latest.carrier_reference if latest else None))


def _counts(stored: StoredDocument, notice: ReturnShipment) -> tuple[int, int, Decimal]:
    """Cartons, pallets and units (module doc)."""
    levels = [node.level for node in hierarchy_nodes(notice.hierarchy)]
    cartons, pallets = levels.count(HierarchyLevel.PACK), levels.count(HierarchyLevel.TARE)
    lading = notice.lading_quantity
    packed_in = (lading.unit or "").upper() if lading else ""
    if lading and not cartons and packed_in.startswith("CTN"):
        cartons = int(lading.value)
    if lading and not pallets and packed_in.startswith("PLT"):
        pallets = int(lading.value)
    units = (_parted_units(stored) if stored.parts
             else sum(_outermost_units(notice.hierarchy), Decimal(0)))
    return cartons, pallets, units


def _outermost_units(nodes: Iterable[ShipmentNode]) -> Iterator[Decimal]:
    for node in nodes:
        if node.level is HierarchyLevel.ITEM:
            yield node.quantity_shipped.value if node.quantity_shipped else Decimal(1)
        else:
            yield from _outermost_units(node.children)


def _parted_units(stored: StoredDocument) -> Decimal:
    """A ship notice kept in parts: its item subtrees are read a line at a time (the case
    holds only what recalls need of them)."""
    total = Decimal(0)
    for line in stored.item_lines():
        quantity = json.loads(line).get("quantity_shipped") or {}
        try:
            total += Decimal(str(quantity.get("value", 1)))
        except InvalidOperation:
            total += 1
    return total


def _destination(notice: ReturnShipment | None, requests: list[Stored180],
                 reports: list[Stored214]) -> Destination:
    """The ship-to: the 856's, else the latest 180's that names one, else a 214's
    consignee."""
    parties = [*(notice.parties if notice else ()),
               *(p for node in hierarchy_nodes(notice.hierarchy if notice else ())
                 for p in node.parties),
               *(p for _, request in reversed(requests) for p in request.parties)]
    found = next((p for p in parties if _role(p) == "ST"), None)
    found = found or next((p for _, report in reversed(reports) for p in report.parties
                           if _role(p) in ("ST", "CN")), None)
    return _as_destination(found)


def _role(party: Party) -> str:
    return (party.role_code or "").strip().upper()


def _as_destination(party: Party | None) -> Destination:
    if party is None:
        return Destination()
    return Destination(party.name, tuple((i.qualifier.strip(), i.value.strip())
                                         for i in party.identifiers if i.value.strip()))


def _partner_of(requests: list[Stored180]) -> str:
    """Whose return it is: the partner of its request, else of its first 180."""
    return next((stored.partner for stored, request in requests
                 if request.stage is ReturnStage.REQUEST),
                requests[0][0].partner if requests else "-")


def _rmas(case: ReturnCase) -> Iterator[CorrelationKey]:
    named = [key for key in case.names if key.kind is KeyKind.RMA]
    return iter(named or [key for key in case.keys if key.kind is KeyKind.RMA])


def _arrived_at(case: ReturnCase) -> datetime | None:
    """The first delivery or receipt on record (any fact at or past DELIVERED)."""
    return min((fact.at for fact in case.facts
                if MAIN_PATH_RANK.get(fact.asserts or CaseState.REQUESTED, 0)
                >= MAIN_PATH_RANK[CaseState.DELIVERED]), default=None)


def _delivered_on(reports: list[Stored214]) -> Iterator[datetime]:
    """A 214's G62*35 (delivered on this date): its moment, or noon UTC of a date sent alone
    (the same day in any centre's zone within twelve hours of UTC)."""
    for _, report in reports:
        for dated in report.dates:
            if dated.qualifier.strip() == G62_DELIVERED:
                yield dated.at or datetime.combine(dated.on, NOON_UTC)


def _open_exception(cases: list[ReturnCase]) -> str | None:
    found = [fact for case in cases for fact in case.open_exceptions]
    return max(found, key=lambda fact: fact.at).note if found else None


# --- authorized, not shipped ------------------------------------------------------------------
def _authorized(case: ReturnCase, documents: _CaseDocuments) -> AuthorizedReturn:
    lines, units = _authorized_units([case])
    verdicts = [fact.at for fact in case.facts if fact.asserts in VERDICTS]
    return AuthorizedReturn(
        case.case_id, _partner_of(documents.requests),
        _destination(None, documents.requests, documents.reports), case.state,
        tuple(sorted(key.value for key in _rmas(case))), lines, units,
        max(verdicts, default=None), _expires_on(documents.requests))


def _authorized_units(cases: Iterable[ReturnCase]) -> tuple[int, Decimal]:
    """Lines and units the cases' latest statements do not deny (a line without a quantity
    counts as one unit)."""
    lines = [case_line.line for case in cases for case_line in case.lines
             if not (case_line.line.reasons
                     and case_line.line.reasons.disposition is Disposition.DENIED)]
    return len(lines), sum((line.quantity.value if line.quantity else Decimal(1)
                            for line in lines), Decimal(0))


def _expires_on(requests: list[Stored180]) -> date | None:
    """The latest 180's DTM*036 (the authorization expires)."""
    return next((dated.on for _, request in reversed(requests) for dated in request.dates
                 if dated.qualifier.strip() == "036"), None)
