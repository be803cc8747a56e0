"""Our own outbound X12: the bodies of 180 answers and notifications, 214 status and 861
receiving advice.

The set builders turn canonical values into the *body* segments of one transaction set (no
ST/SE), as element lists: `return_answer_180` from a canonical answer document,
`status_180` / `status_214` from a case state, its moment and the case's references (a mapping
keyed by `RMA`, `REQUEST`, `PURCHASE_ORDER`, `SHIPMENT`, `BILL_OF_LADING`, `PRO`, `SCAC`, the
names the outbound use cases keep them under). The one writer, `gateway.x12.write`
(`write_interchange` / `interchange` with an `Envelope`), wraps them in ST/SE, GS/GE and
ISA/IEA with the partner's delimiters and the caller's control numbers, as it does our
acknowledgements.

Delimiter safety lives in that writer, because only it knows the partner's delimiters: every
element of every body segment, and every partner-derived envelope value, is cleaned there, so a
'*' in a party name can never split an element. The builders own lengths and code lists
instead. They use the 004010 element lengths, which are never longer than the
005010 ones, so one body is valid in both versions; identifiers that do not fit raise
``ValueError`` (cutting an RMA number would silently send a different one), free text is cut.

X12 choices, so that our stock mappings read what we write back the way we mean it:

* 180 answer: BGN01 ``11`` (response). `return_stage` in the 180 mapping reads BGN01 11 as
  stage "authorization" whatever the header RDR01 says, so even a pending (RP) answer
  round-trips. RDR02 and RDR03 exclude each other (E0203): a line with a response reason
  (1294) carries RDR03, otherwise its request reason (1293) in RDR02.
* 180 notification: BGN01 ``00`` (original) with header ``RDR*CR``: the mapping reads a 180 as
  a notification only from RDR01 CR or RN, and RN ("without authorization number") would
  contradict the RMA in N9*RZ. DTM qualifiers (X12 374): 011 shipped, 035 delivered,
  050 received; the request's BGN02 goes in BGN06.
* 214: AT701 ``AF`` (departed pick-up location with shipment) for "shipped", ``X6`` (en route
  to delivery location) for "in-transit", ``D1`` (completed unloading at delivery location)
  for "delivered"; AT702 ``NS`` (normal status) in 004010, whose AT7 pairs AT701 with AT702
  (P0102), and no AT702 from 005010 on, which dropped NS from element 1651 and made AT702
  optional. The RMA goes in a heading ``L11*..*RZ``.
* Moments are written in UTC with time code ``UT`` (X12 623), so no partner has to guess a
  zone; a naive datetime is refused.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import TypeVar

from gateway.model import (
    DatedEvent,
    Disposition,
    EventLocation,
    ItemId,
    ItemIdScheme,
    Party,
    PartyRole,
    Quantity,
    ReceivedLine,
    Reference,
    ResponseReason,
    ReturnAuthorization,
    ReturnLine,
    ReturnReason,
    ReturnReasons,
    ReturnStage,
)
from gateway.x12.values import is_alnum
from gateway.x12.write import x12_date, x12_time

Segment = list[str]


# --- element values ---------------------------------------------------------------------------
# 004010 maximum lengths of the elements we write (005010 allows the same or more).
_REFERENCE = 30  # 127
_NAME = 35  # 93
_DESCRIPTION = 80  # 352
_ITEM_ID = 48  # 234
_ID_CODE = 80  # 67
_ADDRESS = 55  # 166
_CITY = 30  # 19
_POSTAL = 15  # 116
_QUANTITY_DIGITS = 15  # 380
_PRICE_DIGITS = 17  # 212


def _identifier(value: str, limit: int, what: str) -> str:
    """An identifier written exactly as given, or ValueError: a cut one would be another id."""
    text = value.strip()
    if not text or len(text) > limit:
        raise ValueError(f"{what} must be 1 to {limit} characters, not {value!r}")
    return text


def _text(value: str | None, limit: int, minimum: int = 1) -> str | None:
    """Free text on one line, cut to ``limit``; None when nothing (or too little) is left."""
    if value is None:
        return None
    text = " ".join(value.split())[:limit].rstrip()
    return text if len(text) >= minimum else None


def _code(value: str | None, low: int, high: int) -> str | None:
    """A code (X12 ID value) when it has the right shape, else None."""
    text = (value or "").strip().upper()
    return text if low <= len(text) <= high and is_alnum(text) else None


def _decimal(value: Decimal, digits: int, what: str) -> str:
    """An X12 R value: no exponent, no trailing zeros; too many digits is refused."""
    if not value.is_finite():
        raise ValueError(f"{what} must be a finite number, not {value}")
    text = format(value.normalize(), "f")
    if text in ("-0", "0"):
        return "0"
    if sum(c.isdigit() for c in text) > digits:
        raise ValueError(f"{what} has more than {digits} digits: {value}")
    return text


def _utc(at: datetime, what: str) -> datetime:
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError(f"{what} must be timezone-aware: X12 needs a time code")
    return at.astimezone(UTC)


def _date(on: date) -> str:
    return on.strftime("%Y%m%d")


def _pad(segment: list[str | None]) -> Segment:
    """Element list with absent values as empty elements, and no empty ones at the end."""
    values = ["" if value is None else value for value in segment]
    while len(values) > 1 and values[-1] == "":
        values.pop()
    return values


# --- shared segments --------------------------------------------------------------------------
_ROLE_CODES = {
    PartyRole.SHIP_FROM: "SF", PartyRole.SHIP_TO: "ST", PartyRole.BUYER: "BY",
    PartyRole.VENDOR: "VN", PartyRole.MANUFACTURER: "MF", PartyRole.RETAILER: "RL",
    PartyRole.SHIPPER: "SH", PartyRole.CONSIGNEE: "CN", PartyRole.BILL_TO: "BT",
    PartyRole.CARRIER: "CA",
}


def _n9(qualifier: str, value: str, description: str | None = None) -> Segment:
    return _pad(["N9", qualifier, value, _text(description, 45)])  # N903 (369) is AN 1/45


def _references(references: Iterable[Reference]) -> list[tuple[str, str, str | None]]:
    """(qualifier, value, description) of each reference we can write; others are skipped."""
    usable = []
    for ref in references:
        qualifier = _code(ref.qualifier, 2, 3)
        value = " ".join(ref.value.split())
        if qualifier and 0 < len(value) <= _REFERENCE:
            usable.append((qualifier, value, ref.description))
    return usable


def _dtm(event: DatedEvent) -> Segment | None:
    qualifier = _code(event.qualifier, 3, 3)
    if qualifier is None or not qualifier.isdigit():
        return None
    if event.at is not None and event.at.tzinfo is not None:
        moment = _utc(event.at, "a DTM moment")
        return ["DTM", qualifier, x12_date(moment), x12_time(moment), "UT"]
    return ["DTM", qualifier, _date(event.on)]


def _dtm_at(qualifier: str, at: datetime) -> Segment:
    moment = _utc(at, "the moment of the transition")
    return ["DTM", qualifier, x12_date(moment), x12_time(moment), "UT"]


def _party_loop(party: Party) -> list[Segment]:
    """N1 (+ N3, N4); empty when the party has no role code we can write or nothing to name."""
    role = _code(party.role_code, 2, 3) or _ROLE_CODES.get(party.role)
    name = _text(party.name, _NAME)
    ident = next(((q, v) for q, v in ((_code(i.qualifier, 1, 2), i.value.strip())
                                      for i in party.identifiers)
                  if q and 2 <= len(v) <= _ID_CODE), None)
    if role is None or (name is None and ident is None):
        return []
    loop = [_pad(["N1", role, name, *(ident or (None, None))])]
    address = party.address
    if address is None:
        return loop
    lines = [t for t in (_text(line, _ADDRESS) for line in address.lines) if t][:4]
    loop.extend(["N3", *lines[i:i + 2]] for i in range(0, len(lines), 2))
    n4 = [_text(address.city, _CITY, 2), _code(address.state, 2, 2),
          _text(address.postal_code, _POSTAL, 3), _code(address.country, 2, 3)]
    if any(n4):
        loop.append(_pad(["N4", *n4]))
    return loop


# --- 180: the answer to a return request ------------------------------------------------------
# X12 1292 / 1293 / 1294 as our 004010 grammar enforces them.
_DISPOSITION_CODES = frozenset({
    "CR", "DI", "KA", "KR", "MW", "PA", "RA", "RD", "RF", "RN", "RP", "RT", "SC", "SD"})
_REQUEST_REASON_CODES = frozenset({
    "BC", "CO", "CV", "DA", "DI", "DM", "DP", "DR", "DT", "EI", "EO", "EW", "LP", "MD", "NA",
    "OP", "PE", "PF", "PR", "PS", "PW", "RE", "SD", "SM", "SP", "SR", "ST", "TE", "WG"})
_RESPONSE_REASON_CODES = frozenset({
    "EW", "FR", "IN", "IO", "MI", "NR", "OS", "PC", "PR", "QD", "RR", "RT", "SR", "UI"})
_DISPOSITION_OF = {
    Disposition.CONSUMER_RETURN_TO_VENDOR: "CR", Disposition.DISPOSE: "DI",
    Disposition.KEEP_WITH_ALLOWANCE: "KA", Disposition.KEEP_AND_REPAIR: "KR",
    Disposition.MANUFACTURER_WARRANTY: "MW", Disposition.PARTIALLY_AUTHORIZED: "PA",
    Disposition.RETURN_WITH_AUTHORIZATION: "RA", Disposition.DENIED: "RD",
    Disposition.RETURN_FOR_FACTORY_REPAIR: "RF", Disposition.RETURN_WITHOUT_AUTHORIZATION: "RN",
    Disposition.AUTHORIZATION_PENDING: "RP", Disposition.SHIP_TO_THIRD_PARTY: "RT",
    Disposition.CHARITABLE_CONTRIBUTION: "SC", Disposition.THIRD_PARTY_DISPOSAL: "SD",
}
_REQUEST_REASON_OF = {
    ReturnReason.BEYOND_CODE_DATE: "BC", ReturnReason.ORDERING_ERROR: "CO",
    ReturnReason.DAMAGED: "DA", ReturnReason.DEFECTIVE: "DM",
    ReturnReason.DAMAGED_IN_TRANSIT: "DT", ReturnReason.DISCONTINUED: "DI",
    ReturnReason.EXCESS_INVENTORY: "EI", ReturnReason.END_OF_SEASON: "EO",
    ReturnReason.NOT_AS_EXPECTED: "NA", ReturnReason.PRICE_ERROR: "PE",
    ReturnReason.RECALL: "RE", ReturnReason.SPOILED: "PS", ReturnReason.SHORT_DATED: "SD",
    ReturnReason.WRONG_GOODS: "WG", ReturnReason.STOCK_REDUCTION: "SR",
}
_RESPONSE_REASON_OF = {
    ResponseReason.EXCESSIVE_WEAR: "EW", ResponseReason.FREIGHT_OR_RETAILER_DAMAGE: "FR",
    ResponseReason.NOT_DEFECTIVE: "IN", ResponseReason.AS_ORDERED: "IO",
    ResponseReason.MORE_INFORMATION_REQUESTED: "MI", ResponseReason.NO_RECORD_OF_SALE: "NR",
    ResponseReason.OUT_OF_SEASON: "OS", ResponseReason.PRICE_DIFFERENCE: "PC",
    ResponseReason.PICTURE_REQUESTED: "PR", ResponseReason.QUANTITY_DIFFERENCE: "QD",
    ResponseReason.REPAIR_OR_REFURBISH: "RR", ResponseReason.RETURN_PERIOD_EXCEEDED: "RT",
    ResponseReason.SAMPLE_REQUESTED: "SR", ResponseReason.UNIDENTIFIABLE_ITEM: "UI",
}
_ITEM_QUALIFIERS = {
    ItemIdScheme.GTIN: "UK", ItemIdScheme.UPC: "UP", ItemIdScheme.EAN: "EN",
    ItemIdScheme.NDC: "N4", ItemIdScheme.ISBN: "IB", ItemIdScheme.SKU: "SK",
    ItemIdScheme.VENDOR_PART: "VP", ItemIdScheme.VENDOR_STYLE: "VA",
    ItemIdScheme.BUYER_ITEM: "IN", ItemIdScheme.BUYER_PART: "BP", ItemIdScheme.MODEL: "MG",
    ItemIdScheme.SERIAL: "SN", ItemIdScheme.LOT: "LT",
}
_Reason = TypeVar("_Reason", bound=StrEnum)
_UNIT_PRICE = "UCP"  # BLI05 when the model kept no qualifier: unit cost price, the usual one
_MAX_HEADER_N9 = 10
_MAX_HEADER_DTM = 10
_MAX_HEADER_NTE = 5
_MAX_LINE_N9 = 20
_MAX_LINE_DTM = 15
_MAX_PARTIES = 200


def return_answer_180(answer: ReturnAuthorization, *,
                      request_reference: str | None = None) -> list[Segment]:
    """The body of a 180 answering a return request (stage AUTHORIZATION).

    BGN*11 (response) with ``request_reference`` (the request's BGN02) in BGN06, header RDR,
    PRF, DTM, N9*RZ with the RMA number and other references, NTE, N1 loops, then one BLI loop
    per line: BLI (item ids, quantity, unit price), N9 references, PID, RDR, NTE, PRF, DTM and
    a QTY loop with one LX + N9 per serial (SN) and lot (LT). Values beyond a segment's maximum
    use (10 header N9 / DTM, 5 NTE, 20 line N9, 15 line DTM) are left out.
    """
    if answer.stage is not ReturnStage.AUTHORIZATION:
        raise ValueError(f"a 180 answer is stage authorization, not {answer.stage}")
    if answer.document_date is None:
        raise ValueError("BGN03 needs the answer's document_date")
    bgn = _pad(["BGN", "11", _identifier(answer.document_id, _REFERENCE, "BGN02 document id"),
                _date(answer.document_date), None, None,
                _identifier(request_reference, _REFERENCE, "BGN06 request reference")
                if request_reference is not None else None])
    body: list[Segment] = [bgn]
    rdr = _rdr(answer.reasons)
    if rdr is not None:
        body.append(rdr)
    if answer.original_po:
        body.append(_pad(["PRF", _identifier(answer.original_po, 22, "PRF01 purchase order"),
                          None, None,
                          _date(answer.original_po_date) if answer.original_po_date else None]))
    body.extend(_header_dates(answer.dates))
    body.extend(_header_references(answer))
    body.extend(["NTE", "", note] for note in _notes(answer.notes)[:_MAX_HEADER_NTE])
    for party in answer.parties[:_MAX_PARTIES]:
        body.extend(_party_loop(party))
    for line in answer.lines:
        body.extend(_bli_loop(line))
    return body


def _header_dates(dates: Iterable[DatedEvent]) -> list[Segment]:
    return [s for s in (_dtm(d) for d in dates) if s is not None][:_MAX_HEADER_DTM]


def _header_references(answer: ReturnAuthorization) -> list[Segment]:
    n9s = []
    if answer.rma_number:
        n9s.append(_n9("RZ", _identifier(answer.rma_number, _REFERENCE, "RMA number (N9*RZ)")))
    # The RMA is written once, from rma_number; an RZ among the references would repeat it
    # (or, worse, name a second RMA).
    n9s.extend(_n9(q, v, d) for q, v, d in _references(answer.references)
               if not (answer.rma_number and q == "RZ"))
    return n9s[:_MAX_HEADER_N9]


def _notes(notes: Iterable[str]) -> list[str]:
    return [t for t in (_text(note, _DESCRIPTION) for note in notes) if t]


def _reason_code(code: str | None, canonical: _Reason | None, table: Mapping[_Reason, str],
                 allowed: frozenset[str], what: str) -> str | None:
    """The partner's own code when kept, else the code of the canonical value."""
    chosen = _code(code, 1, 3) if code else (table.get(canonical) if canonical else None)
    if chosen is not None and chosen not in allowed:
        raise ValueError(f"{chosen!r} is not an X12 {what} code")
    return chosen


def _rdr(reasons: ReturnReasons | None) -> Segment | None:
    if reasons is None:
        return None
    disposition = _reason_code(reasons.disposition_code, reasons.disposition,
                               _DISPOSITION_OF, _DISPOSITION_CODES, "1292 disposition")
    response = _reason_code(reasons.response_reason_code, reasons.response_reason,
                            _RESPONSE_REASON_OF, _RESPONSE_REASON_CODES, "1294 response reason")
    # RDR02 and RDR03 exclude each other (E0203): an answer's own reason wins.
    request = None if response else _reason_code(
        reasons.request_reason_code, reasons.request_reason, _REQUEST_REASON_OF,
        _REQUEST_REASON_CODES, "1293 request reason")
    used = None if reasons.item_used is None else ("Y" if reasons.item_used else "N")
    values = [disposition, request, response, _text(reasons.description, _DESCRIPTION), used]
    return _pad(["RDR", *values]) if any(values) else None


def _bli_loop(line: ReturnLine) -> list[Segment]:
    loop = [_bli(line)]
    loop.extend(_n9(q, v, d) for q, v, d in _references(line.references)[:_MAX_LINE_N9])
    description = _text(line.description, _DESCRIPTION)
    if description:
        loop.append(["PID", "F", "", "", "", description])
    rdr = _rdr(line.reasons)
    if rdr is not None:
        loop.append(rdr)
    loop.extend(["NTE", "", note] for note in _notes(line.notes))
    if line.original_po:
        loop.append(["PRF", _identifier(line.original_po, 22, "PRF01 purchase order")])
    loop.extend([s for s in (_dtm(d) for d in line.dates) if s is not None][:_MAX_LINE_DTM])
    loop.extend(_qty_loop(line))
    return loop


def _item_pair(item: ItemId) -> tuple[str, str] | None:
    qualifier = _code(item.qualifier, 2, 2) or _ITEM_QUALIFIERS.get(item.scheme)
    value = item.value.strip()
    if qualifier is None or not value:
        return None
    return qualifier, _identifier(value, _ITEM_ID, f"item id {value!r}")


def _bli(line: ReturnLine) -> Segment:
    pairs = [p for p in (_item_pair(i) for i in line.item_ids) if p is not None]
    # Serials and lots are per-unit facts (QTY/LX/N9 below), not what the line is.
    products = [p for p in pairs if p[0] not in ("SN", "LT")] or pairs
    if not products:
        raise ValueError(f"line {line.line_number} has no item id for BLI01/BLI02")
    first, more = products[0], products[1:4]  # BLI08-BLI13 hold three more pairs
    quantity = line.quantity
    price = line.unit_price
    return _pad([
        "BLI", *first,
        _decimal(quantity.value, _QUANTITY_DIGITS, "BLI03 quantity") if quantity else None,
        _code(quantity.unit, 2, 2) if quantity else None,
        (_code(price.qualifier, 3, 3) or _UNIT_PRICE) if price else None,
        _decimal(price.amount, _PRICE_DIGITS, "BLI06 unit price") if price else None,
        None, *(value for pair in more for value in pair)])


def _qty_loop(line: ReturnLine) -> list[Segment]:
    """QTY with one LX + N9 per serial (SN) and per lot (LT), as retailers send them to us."""
    marks = [("SN", s) for s in line.serials] + [("LT", lot) for lot in line.lots]
    marks = [(q, v.strip()) for q, v in marks if v.strip()]
    if not marks:
        return []
    quantity = line.quantity
    count = (_decimal(quantity.value, _QUANTITY_DIGITS, "QTY02 quantity") if quantity
             else str(len(marks)))
    unit = _code(quantity.unit, 2, 2) if quantity else None
    loop = [_pad(["QTY", "01", count, unit])]
    for number, (qualifier, value) in enumerate(marks, start=1):
        loop.append(["LX", str(number)])
        loop.append(_n9(qualifier, _identifier(value, _REFERENCE, f"{qualifier} number")))
    return loop


# --- the references status builders take ---------------------------------------------------
# Keys of the ``references`` mapping of `status_180` / `status_214` (the names the outbound
# use cases keep a case's keys under). Optional references that do not fit their element are
# left out rather than cut: a cut reference would name something else.
RMA = "rma"  # N9*RZ / L11*RZ
REQUEST = "request"  # the partner's own first document of the case: BGN06 / L11*CR
PURCHASE_ORDER = "purchase-order"  # N9*PO / L11*PO
SHIPMENT = "shipment"  # B1002
BILL_OF_LADING = "bill-of-lading"  # L11*BM (and B1002 when there is no shipment id)
PRO = "pro"  # B1001, the carrier's PRO / tracking number
SCAC = "scac"  # B1003


def _reference(references: Mapping[str, str], key: str, limit: int = _REFERENCE) -> str | None:
    value = " ".join((references.get(key) or "").split())
    return value if 0 < len(value) <= limit else None


# --- 180: notifying a retailer that a return moved --------------------------------------------
# X12 374 date/time qualifier of the moment each case state was reached.
# X12 374 for the moment of each state; a state X12 has no date code for is dated 097
# (transaction creation: when we noticed it) and told in the NTE.
NOTIFICATION_DATES = {"authorized": "097", "partially-authorized": "097", "denied": "097",
                      "shipped": "011", "in-transit": "097", "delivered": "035",
                      "received": "050", "closed": "097", "cancelled": "097"}
_NOTIFICATION_TEXT = {
    "shipped": "Return {subject} shipped: the goods are on their way back",
    "delivered": "Return {subject} delivered to the return center",
    "received": "Return {subject} received and checked in at the return center",
    "authorized": "Return {subject} authorized",
    "partially-authorized": "Return {subject} partly authorized: see the answer per line",
    "denied": "Return {subject} denied",
    "in-transit": "Return {subject} in transit with the carrier",
    "closed": "Return {subject} closed: nothing more will happen on it",
    "cancelled": "Return {subject} cancelled",
}
_DOCUMENT_SUFFIX = {"shipped": "SHP", "delivered": "DLV", "received": "RCV",
                    "authorized": "AUT", "partially-authorized": "PAU", "denied": "DEN",
                    "in-transit": "TRN", "closed": "CLS", "cancelled": "CAN"}


def status_180(state: str, at: datetime, references: Mapping[str, str],
               note: str | None = None, *, document_id: str | None = None) -> list[Segment]:
    """The body of a 180 notification (stage NOTIFICATION) that a return reached ``state`` at
    ``at``: BGN*00 (the partner's request in BGN06), RDR*CR, DTM with the moment (011 shipped,
    035 delivered, 050 received, else 097), N9*RZ with the RMA, N9*PO, an NTE with the status
    in plain words and one with ``note``.

    ``references`` is keyed by `RMA`, `REQUEST`, `PURCHASE_ORDER`; at least one of the first
    two is needed. BGN02 is ``document_id``, by default the RMA (else the request) with a
    state suffix, e.g. ``RMA7734021-DLV``.

    Raises ``ValueError`` for a state outside `NOTIFICATION_DATES`.
    """
    qualifier = NOTIFICATION_DATES.get(state)
    if qualifier is None:
        raise ValueError(f"a 180 notification cannot express state {state!r}; "
                         f"it takes {', '.join(NOTIFICATION_DATES)}")
    moment = _utc(at, "the moment of the transition")
    rma, request = _reference(references, RMA), _reference(references, REQUEST)
    subject = rma or request
    if subject is None:
        raise ValueError("a 180 notification needs the RMA number or the partner's request")
    bgn02 = document_id or f"{subject[:_REFERENCE - 4]}-{_DOCUMENT_SUFFIX[state]}"
    body: list[Segment] = [
        _pad(["BGN", "00", _identifier(bgn02, _REFERENCE, "BGN02 document id"),
              x12_date(moment), x12_time(moment), "UT", request]),
        ["RDR", "CR"],
        _dtm_at(qualifier, moment),
    ]
    if rma:
        body.append(_n9("RZ", rma))
    purchase_order = _reference(references, PURCHASE_ORDER)
    if purchase_order:
        body.append(_n9("PO", purchase_order))
    status = _text(_NOTIFICATION_TEXT[state].format(subject=subject), _DESCRIPTION)
    body.extend(["NTE", "", text] for text in (status, _text(note, _DESCRIPTION)) if text)
    return body


# --- 214: forwarding a return's transport state -----------------------------------------------
# X12 1650 (AT701) for each transport state of a case.
SHIPMENT_STATUS_CODES = {"shipped": "AF", "in-transit": "X6", "delivered": "D1"}
_L11_QUALIFIERS = ((RMA, "RZ"), (PURCHASE_ORDER, "PO"), (BILL_OF_LADING, "BM"), (REQUEST, "CR"))


def status_214(state: str, at: datetime, references: Mapping[str, str], *,
               scac: str | None = None, location: EventLocation | None = None,
               version: str = "004010") -> list[Segment]:
    """The body of a 214 telling a retailer where their return is: B10 (`PRO` in B1001,
    `SHIPMENT` or else `BILL_OF_LADING` in B1002, the SCAC in B1003), L11 references
    (RZ RMA, PO, BM bill of lading, CR the partner's request), then LX*1 with
    AT7*<status>*NS***date*time*UT (no NS from 005010 on: see the module docstring) and MS1
    (city, state, country) when ``location`` names a
    city. One LX loop, so it is valid in 004010 (AT7 loop first) and 005010 (LX mandatory).

    ``scac`` (or ``references[SCAC]``) is required: B1003 is mandatory. So is one of PRO and
    SHIPMENT / BILL_OF_LADING (B10 R0102); our own 214 mapping reads B1001, so send the PRO.

    ``state`` is "shipped" (AF), "in-transit" (X6) or "delivered" (D1); any other state
    (received, closed, authorized...) is not a carrier status and raises ``ValueError``.
    """
    status = SHIPMENT_STATUS_CODES.get(state)
    if status is None:
        raise ValueError(f"a 214 cannot express state {state!r}; "
                         f"it takes {', '.join(SHIPMENT_STATUS_CODES)}")
    carrier = _code(scac or references.get(SCAC), 2, 4)
    if carrier is None:
        raise ValueError(f"B1003 needs a 2 to 4 character SCAC, not {scac!r}")
    pro = _reference(references, PRO)
    shipment = _reference(references, SHIPMENT, 30) or _reference(references, BILL_OF_LADING, 30)
    if pro is None and shipment is None:
        raise ValueError("B10 needs the carrier's PRO number or a shipment id / bill of lading")
    moment = _utc(at, "the moment of the status")
    body: list[Segment] = [_pad(["B10", pro, shipment, carrier])]
    for key, qualifier in _L11_QUALIFIERS:
        value = _reference(references, key)
        if value:
            body.append(["L11", value, qualifier])
    body.append(["LX", "1"])
    normal = "NS" if version.strip()[:4] == "0040" else ""
    body.append(["AT7", status, normal, "", "", x12_date(moment), x12_time(moment), "UT"])
    ms1 = _ms1(location)
    if ms1 is not None:
        body.append(ms1)
    return body


# --- 861: forwarding what the return centre received -----------------------------------------
_REF_QUALIFIERS_861 = ((RMA, "RZ"), (SHIPMENT, "SI"), (BILL_OF_LADING, "BM"), (PRO, "CN"),
                       (REQUEST, "CR"))
_RCD_QUESTIONS = 5  # RCD06-20: five quantity / unit / condition triples
_LIN_PAIRS = 15  # LIN02-31


def receipt_861(at: datetime, references: Mapping[str, str],
                lines: Iterable[ReceivedLine] = ()) -> list[Segment]:
    """The body of an 861 telling a partner what the return centre received at ``at``:
    BRA*<RMA or request>-RCV*date*00*1*time (original receiving advice), REF RZ / SI / BM / CN /
    CR, PRF with the purchase order, DTM*050 (received) in UTC, then one RCD loop per received
    line as the dock reported it (RCD received and refused quantities, up to five quantities
    in question with their X12 412 condition; LIN item ids and serials; PID description; MAN
    marks) and CTT with the number of RCD loops. Without ``lines`` (a person recorded the
    receipt) the heading alone says the goods were received: the RCD loop is optional.

    ``references`` as for `status_180`: the RMA or the partner's request is needed.
    """
    subject = _reference(references, RMA) or _reference(references, REQUEST)
    if subject is None:
        raise ValueError("an 861 needs the RMA number or the partner's request")
    moment = _utc(at, "the moment of the receipt")
    body: list[Segment] = [
        ["BRA", _identifier(f"{subject[:_REFERENCE - 4]}-RCV", _REFERENCE, "BRA01"),
         x12_date(moment), "00", "1", x12_time(moment)]]
    body.extend(["REF", qualifier, value] for key, qualifier in _REF_QUALIFIERS_861
                if (value := _reference(references, key)))
    body.append(["DTM", "050", x12_date(moment), x12_time(moment), "UT"])
    purchase_order = _reference(references, PURCHASE_ORDER, 22)
    if purchase_order:
        body.append(["PRF", purchase_order])
    rcd_loops = [_rcd_loop(n, line) for n, line in enumerate(lines, start=1)]
    for loop in rcd_loops:
        body.extend(loop)
    if rcd_loops:
        body.append(["CTT", str(len(rcd_loops))])
    return body


def _rcd_loop(number: int, line: ReceivedLine) -> list[Segment]:
    rcd: list[str | None] = ["RCD", str(number), *_quantity_pair(line.quantity_received),
                             *_quantity_pair(line.quantity_returned)]
    for question in line.in_question[:_RCD_QUESTIONS]:
        rcd += [*_quantity_pair(question.quantity), _code(question.condition_code, 2, 2)]
    loop = [_pad(rcd)]
    ids = [(_ITEM_QUALIFIERS.get(i.scheme, i.qualifier or ""), i.value) for i in line.item_ids]
    ids += [("SN", serial) for serial in line.serials] + [("LT", lot) for lot in line.lots]
    pairs = [(q, _text(v, _ITEM_ID)) for q, v in ids if q][:_LIN_PAIRS]
    if pairs:
        loop.append(_pad(["LIN", "", *(x for q, v in pairs if v for x in (q, v))]))
    description = _text(line.description, _DESCRIPTION)
    if description:
        loop.append(["PID", "F", "", "", "", description])
    loop.extend(["MAN", mark.qualifier, mark.value] for mark in line.marks
                if _code(mark.qualifier, 1, 2) and _text(mark.value, 48))
    return loop


def _quantity_pair(quantity: Quantity | None) -> list[str | None]:
    """An RCD quantity and its unit (C001, first component), or two empty elements."""
    if quantity is None:
        return [None, None]
    return [_decimal(quantity.value, 9, "an RCD quantity"), _code(quantity.unit, 2, 2) or "EA"]


def _ms1(location: EventLocation | None) -> Segment | None:
    # Latitude / longitude (MS104/MS105) are 7-digit degree codes; only the city form is written.
    if location is None:
        return None
    city = _text(location.city, _CITY, 2)
    if city is None:
        return None
    return _pad(["MS1", city, _code(location.state, 2, 2), _code(location.country, 2, 3)])
