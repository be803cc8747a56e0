"""The canonical returns model: what 180, 856, 214 and recall notices all become.

Pure and standard-library only: frozen dataclasses, ``Decimal`` for every quantity and amount,
``date`` for dates and timezone-aware ``datetime`` for moments. Every canonical enum keeps the
partner's original code beside it (``..._code``), so nothing is lost in translation, and data no
mapping rule claims is kept in ``unmapped`` rather than dropped.

Schema version: `SCHEMA_VERSION`; the published JSON Schema is ``schemas/canonical-<v>.json``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

SCHEMA_VERSION = "1.0"


# --- shared parts ---------------------------------------------------------------------------
class PartyRole(StrEnum):
    SHIP_FROM = "ship-from"
    SHIP_TO = "ship-to"
    BUYER = "buyer"
    VENDOR = "vendor"
    MANUFACTURER = "manufacturer"
    SHIPPER = "shipper"
    CONSIGNEE = "consignee"
    BILL_TO = "bill-to"
    CARRIER = "carrier"
    RECALLING_FIRM = "recalling-firm"
    RETAILER = "retailer"
    DISTRIBUTOR = "distributor"
    IMPORTER = "importer"
    RECIPIENT = "recipient"  # a party a recall notice is addressed to (GS1 impacted recipient)
    OTHER = "other"


class ItemIdScheme(StrEnum):
    GTIN = "gtin"  # GTIN-14 (X12 UK / EN-13 / UPC-A as GTIN when flagged)
    UPC = "upc"
    EAN = "ean"
    NDC = "ndc"
    ISBN = "isbn"
    SKU = "sku"
    VENDOR_PART = "vendor-part"
    VENDOR_STYLE = "vendor-style"
    BUYER_ITEM = "buyer-item"
    BUYER_PART = "buyer-part"
    MODEL = "model"
    SERIAL = "serial"
    LOT = "lot"
    OTHER = "other"


@dataclass(frozen=True, slots=True)
class Identifier:
    """A party identifier such as a GLN or DUNS: ``qualifier`` as sent (X12 66: UL, 1, 92...)."""

    qualifier: str
    value: str


@dataclass(frozen=True, slots=True)
class ItemId:
    scheme: ItemIdScheme
    value: str
    qualifier: str | None = None  # as sent (X12 235: UP, EN, VN...)


@dataclass(frozen=True, slots=True)
class Reference:
    """A reference number; ``qualifier`` is the X12 128 code (BM, CN, RZ, PO...) or a name."""

    qualifier: str
    value: str
    description: str | None = None


@dataclass(frozen=True, slots=True)
class Address:
    lines: tuple[str, ...] = ()
    city: str | None = None
    state: str | None = None
    postal_code: str | None = None
    country: str | None = None


@dataclass(frozen=True, slots=True)
class Contact:
    role: str | None = None  # X12 366 (BD buyer, EB entered by...) or RECALL / CONSUMER
    name: str | None = None
    phone: str | None = None
    email: str | None = None
    fax: str | None = None


@dataclass(frozen=True, slots=True)
class Party:
    role: PartyRole
    role_code: str | None = None  # as sent (X12 98: SF, ST, BY...)
    name: str | None = None
    identifiers: tuple[Identifier, ...] = ()
    address: Address | None = None
    contacts: tuple[Contact, ...] = ()


@dataclass(frozen=True, slots=True)
class Quantity:
    value: Decimal
    unit: str | None = None  # X12 355 (EA, CA, LB...)


@dataclass(frozen=True, slots=True)
class Money:
    amount: Decimal
    currency: str | None = None
    qualifier: str | None = None  # X12 639 (UCP unit cost, PUR purchase price...)


@dataclass(frozen=True, slots=True)
class Measure:
    """A weight, volume or dimension: ``qualifier`` as sent (G gross, N net...)."""

    qualifier: str | None
    value: Decimal
    unit: str | None = None


@dataclass(frozen=True, slots=True)
class DatedEvent:
    """A date or moment with its X12 374 qualifier (011 shipped, 017 estimated delivery...)."""

    qualifier: str
    on: date
    at: datetime | None = None  # when a time was sent too (timezone-aware)


@dataclass(frozen=True, slots=True)
class Timestamp:
    """A moment. ``zone_code`` is the sender's time code (X12 623: ET, CT, UT, LT...);
    ``assumed_zone`` is true when the sender gave none and the partner's default was used."""

    at: datetime
    zone_code: str | None = None
    assumed_zone: bool = False


@dataclass(frozen=True, slots=True)
class UnmappedSegment:
    """A segment no mapping rule claimed, kept as sent: nothing is dropped."""

    position: int  # counted from ST = 1
    tag: str
    elements: tuple[str, ...]
    context: str | None = None  # the loop it sat in, e.g. "BLI 2" or "HL 4"


@dataclass(frozen=True, slots=True)
class Source:
    """Where a canonical document came from."""

    partner: str | None = None
    standard: str = "X12"  # X12 | RECALL-XML | CPSC-XML
    interchange_control: str | None = None
    group_control: str | None = None
    set_control: str | None = None
    version: str | None = None
    mapping: str | None = None  # the mapping file(s) used


# --- 180: return authorizations ---------------------------------------------------------------
class Purpose(StrEnum):
    """X12 353 (BGN01 / BSN01) in canonical form."""

    ORIGINAL = "original"
    CANCELLATION = "cancellation"
    CHANGE = "change"
    REPLACE = "replace"
    DUPLICATE = "duplicate"
    CONFIRMATION = "confirmation"
    RESPONSE = "response"
    REQUEST = "request"
    DELETE = "delete"
    ADVANCE_NOTIFICATION = "advance-notification"
    OTHER = "other"


class ReturnStage(StrEnum):
    REQUEST = "request"  # a retailer asks to return goods
    AUTHORIZATION = "authorization"  # a vendor answers: authorized, partly, denied, pending
    NOTIFICATION = "notification"  # goods already sent back


class Disposition(StrEnum):
    """X12 1292 returns disposition."""

    CONSUMER_RETURN_TO_VENDOR = "consumer-return-to-vendor"  # CR
    DISPOSE = "dispose"  # DI
    KEEP_WITH_ALLOWANCE = "keep-with-allowance"  # KA
    KEEP_AND_REPAIR = "keep-and-repair"  # KR
    MANUFACTURER_WARRANTY = "manufacturer-warranty"  # MW
    PARTIALLY_AUTHORIZED = "partially-authorized"  # PA
    RETURN_WITH_AUTHORIZATION = "return-with-authorization"  # RA
    DENIED = "denied"  # RD
    RETURN_FOR_FACTORY_REPAIR = "return-for-factory-repair"  # RF
    RETURN_WITHOUT_AUTHORIZATION = "return-without-authorization"  # RN
    AUTHORIZATION_PENDING = "authorization-pending"  # RP
    SHIP_TO_THIRD_PARTY = "ship-to-third-party"  # RT
    CHARITABLE_CONTRIBUTION = "charitable-contribution"  # SC
    THIRD_PARTY_DISPOSAL = "third-party-disposal"  # SD
    OTHER = "other"


class ReturnReason(StrEnum):
    """X12 1293 return request reason (the common ones; OTHER keeps the code)."""

    BEYOND_CODE_DATE = "beyond-code-date"
    ORDERING_ERROR = "ordering-error"
    DAMAGED = "damaged"
    DEFECTIVE = "defective"
    DAMAGED_IN_TRANSIT = "damaged-in-transit"
    DISCONTINUED = "discontinued"
    EXCESS_INVENTORY = "excess-inventory"
    END_OF_SEASON = "end-of-season"
    NOT_AS_EXPECTED = "not-as-expected"
    PRICE_ERROR = "price-error"
    RECALL = "recall"  # PR product recall, RE recall
    SPOILED = "spoiled"
    SHORT_DATED = "short-dated"
    WRONG_GOODS = "wrong-goods"
    STOCK_REDUCTION = "stock-reduction"
    OTHER = "other"


class ResponseReason(StrEnum):
    """X12 1294 return response reason."""

    EXCESSIVE_WEAR = "excessive-wear"
    FREIGHT_OR_RETAILER_DAMAGE = "freight-or-retailer-damage"
    NOT_DEFECTIVE = "not-defective"
    AS_ORDERED = "as-ordered"
    MORE_INFORMATION_REQUESTED = "more-information-requested"
    NO_RECORD_OF_SALE = "no-record-of-sale"
    OUT_OF_SEASON = "out-of-season"
    PRICE_DIFFERENCE = "price-difference"
    PICTURE_REQUESTED = "picture-requested"
    QUANTITY_DIFFERENCE = "quantity-difference"
    REPAIR_OR_REFURBISH = "repair-or-refurbish"
    RETURN_PERIOD_EXCEEDED = "return-period-exceeded"
    SAMPLE_REQUESTED = "sample-requested"
    UNIDENTIFIABLE_ITEM = "unidentifiable-item"
    OTHER = "other"


@dataclass(frozen=True, slots=True)
class ReturnReasons:
    disposition: Disposition | None = None
    disposition_code: str | None = None
    request_reason: ReturnReason | None = None
    request_reason_code: str | None = None
    response_reason: ResponseReason | None = None
    response_reason_code: str | None = None
    description: str | None = None
    item_used: bool | None = None


@dataclass(frozen=True, slots=True)
class ReturnLine:
    line_number: int
    item_ids: tuple[ItemId, ...] = ()
    quantity: Quantity | None = None
    unit_price: Money | None = None
    description: str | None = None
    reasons: ReturnReasons | None = None
    lots: tuple[str, ...] = ()
    serials: tuple[str, ...] = ()
    references: tuple[Reference, ...] = ()
    original_po: str | None = None
    dates: tuple[DatedEvent, ...] = ()
    notes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ReturnAuthorization:
    document_id: str  # BGN02
    stage: ReturnStage
    purpose: Purpose | None = None
    purpose_code: str | None = None
    document_date: date | None = None
    rma_number: str | None = None
    original_po: str | None = None
    original_po_date: date | None = None
    reasons: ReturnReasons | None = None
    parties: tuple[Party, ...] = ()
    references: tuple[Reference, ...] = ()
    dates: tuple[DatedEvent, ...] = ()
    contacts: tuple[Contact, ...] = ()
    lines: tuple[ReturnLine, ...] = ()
    notes: tuple[str, ...] = ()
    unmapped: tuple[UnmappedSegment, ...] = ()
    source: Source = field(default_factory=Source)
    kind: str = "return-authorization"


# --- 856: return shipments --------------------------------------------------------------------
class HierarchyLevel(StrEnum):
    """X12 735 (HL03) in canonical form."""

    SHIPMENT = "shipment"  # S
    ORDER = "order"  # O
    TARE = "tare"  # T (pallet)
    PACK = "pack"  # P (carton)
    ITEM = "item"  # I
    SUBPACK = "subpack"  # Q
    COMPONENT = "component"  # F
    OTHER = "other"  # ZZ and anything else: the code is kept


@dataclass(frozen=True, slots=True)
class Carrier:
    scac: str | None = None
    name: str | None = None
    transport_mode: str | None = None  # X12 91 (M motor, A air, U parcel...)
    service_level: str | None = None


@dataclass(frozen=True, slots=True)
class PackageMark:
    """MAN: GM = SSCC-18, UC = GTIN-14 case code, CP = carrier package id, ..."""

    qualifier: str
    value: str


@dataclass(frozen=True, slots=True)
class ShipmentNode:
    """One HL of the 856 tree with what sits in it, and its children."""

    hl_id: str
    level: HierarchyLevel
    level_code: str
    parent_id: str | None = None
    item_ids: tuple[ItemId, ...] = ()
    quantity_shipped: Quantity | None = None
    quantity_ordered: Quantity | None = None
    description: str | None = None
    purchase_order: str | None = None
    purchase_order_date: date | None = None
    marks: tuple[PackageMark, ...] = ()
    lots: tuple[str, ...] = ()
    serials: tuple[str, ...] = ()
    measures: tuple[Measure, ...] = ()
    lading_quantity: Quantity | None = None
    carrier: Carrier | None = None
    references: tuple[Reference, ...] = ()
    dates: tuple[DatedEvent, ...] = ()
    parties: tuple[Party, ...] = ()
    children: tuple[ShipmentNode, ...] = ()


@dataclass(frozen=True, slots=True)
class ReturnShipment:
    shipment_id: str  # BSN02
    purpose: Purpose | None = None
    purpose_code: str | None = None
    shipped_on: date | None = None  # BSN03
    hierarchy_code: str | None = None  # BSN05 (0001 S-O-P-I, 0004 S-O-I...)
    carrier: Carrier | None = None
    bill_of_lading: str | None = None
    pro_number: str | None = None
    tracking_numbers: tuple[str, ...] = ()
    measures: tuple[Measure, ...] = ()
    lading_quantity: Quantity | None = None
    dates: tuple[DatedEvent, ...] = ()
    parties: tuple[Party, ...] = ()
    references: tuple[Reference, ...] = ()
    hierarchy: tuple[ShipmentNode, ...] = ()  # the roots (normally one shipment level)
    hierarchy_depth: int = 0
    unmapped: tuple[UnmappedSegment, ...] = ()
    source: Source = field(default_factory=Source)
    kind: str = "return-shipment"


# --- 214: shipment status ---------------------------------------------------------------------
class ShipmentStatus(StrEnum):
    """Canonical statuses from X12 1650 (AT701); the code is always kept beside it."""

    ACKNOWLEDGED = "acknowledged"  # XB
    ARRIVED_AT_PICKUP = "arrived-at-pickup"  # X3, X8
    PICKED_UP = "picked-up"  # AF, CP, J1...
    IN_TRANSIT = "in-transit"  # X6, P1, X4, I1, R1, AM, B6, BA, K1
    ESTIMATED_DELIVERY = "estimated-delivery"  # AG, X2
    OUT_FOR_DELIVERY = "out-for-delivery"  # AJ, AV, S1
    ARRIVED_AT_DELIVERY = "arrived-at-delivery"  # X1, X5
    DELIVERED = "delivered"  # D1, CD
    DELIVERY_ATTEMPTED = "delivery-attempted"  # AH, AP
    EXCEPTION = "exception"  # A9, A7, SD, AI...
    RETURNED_TO_SHIPPER = "returned-to-shipper"  # A3
    CANCELLED = "cancelled"  # CA
    OTHER = "other"


@dataclass(frozen=True, slots=True)
class EventLocation:
    city: str | None = None
    state: str | None = None
    country: str | None = None
    latitude: Decimal | None = None
    longitude: Decimal | None = None


@dataclass(frozen=True, slots=True)
class StatusEvent:
    status: ShipmentStatus | None  # None: an appointment-only AT7 (AT703)
    status_code: str | None = None  # AT701
    reason_code: str | None = None  # AT702 (NS normal...)
    appointment_code: str | None = None  # AT703
    appointment_reason_code: str | None = None  # AT704
    at: Timestamp | None = None
    location: EventLocation | None = None
    equipment: str | None = None  # MS2
    stop_number: str | None = None  # LX01
    references: tuple[Reference, ...] = ()
    measures: tuple[Measure, ...] = ()
    lading_quantity: Quantity | None = None


@dataclass(frozen=True, slots=True)
class ShipmentStatusReport:
    carrier_reference: str  # B1001 (carrier PRO / tracking)
    shipment_id: str | None = None  # B1002 (shipper's BOL / shipment id)
    scac: str | None = None  # B1003
    references: tuple[Reference, ...] = ()
    parties: tuple[Party, ...] = ()
    # G62 of the N1 loops, qualifier X12 432 as sent (17 estimated delivery, 70 scheduled
    # delivery, 78 / 82 delivery appointment, 35 delivered...)
    dates: tuple[DatedEvent, ...] = ()
    events: tuple[StatusEvent, ...] = ()
    unmapped: tuple[UnmappedSegment, ...] = ()
    source: Source = field(default_factory=Source)
    kind: str = "shipment-status"


# --- 861: receiving advice -------------------------------------------------------------------
class ReceivingCondition(StrEnum):
    """X12 412 receiving condition in canonical form; the code is always kept beside it."""

    DAMAGED = "damaged"  # 01 damaged product or container
    SHORT = "short"  # 02 quantity short
    OVER = "over"  # 03 quantity over
    QUALITY_PROBLEM = "quality-problem"  # 04
    WRONG_PRODUCT = "wrong-product"  # 05 incorrect product
    NON_STANDARD_CONTAINER = "non-standard-container"  # 06
    GOOD = "good"  # 07 good condition
    REJECTED = "rejected"  # 08
    HOLD = "hold"  # 09
    SCRAPPED = "scrapped"  # 10 material scrapped
    RETURNED_TO_SUPPLIER = "returned-to-supplier"  # 12 quantity over, returned to supplier
    NO_SHIP_NOTICE = "no-ship-notice"  # 13, 14 received with no matching ship notice
    NOT_RECEIVED = "not-received"  # 16 not received, ship notice required
    OTHER = "other"  # 11 and anything else


@dataclass(frozen=True, slots=True)
class QuantityInQuestion:
    """RCD06-20: a quantity the dock questions, and why (X12 412)."""

    quantity: Quantity
    condition: ReceivingCondition | None = None
    condition_code: str | None = None


@dataclass(frozen=True, slots=True)
class ReceivedLine:
    """One RCD loop: what arrived of one item."""

    line_number: int  # the RCD loop's place in the set, from 1
    assigned_id: str | None = None  # RCD01 (often the 856 or 180 line it answers)
    item_ids: tuple[ItemId, ...] = ()
    lots: tuple[str, ...] = ()
    serials: tuple[str, ...] = ()
    description: str | None = None
    quantity_received: Quantity | None = None  # RCD02-03: received or accepted
    quantity_returned: Quantity | None = None  # RCD04-05: sent back (refused at the dock)
    in_question: tuple[QuantityInQuestion, ...] = ()  # RCD06-20
    quantity_shipped: Quantity | None = None  # SN1: what the shipper said it sent
    purchase_order: str | None = None  # PRF01
    marks: tuple[PackageMark, ...] = ()  # MAN (GM: the carton's SSCC)
    references: tuple[Reference, ...] = ()
    dates: tuple[DatedEvent, ...] = ()


@dataclass(frozen=True, slots=True)
class ReceivingAdvice:
    receipt_id: str  # BRA01
    purpose: Purpose | None = None  # BRA03
    purpose_code: str | None = None
    document_date: date | None = None  # BRA02
    advice_type_code: str | None = None  # BRA04 (X12 962)
    condition: ReceivingCondition | None = None  # BRA06: the whole receipt's condition
    condition_code: str | None = None
    action_code: str | None = None  # BRA07 (X12 306)
    received_at: Timestamp | None = None  # DTM*050 (received), else BRA02 + BRA05
    purchase_orders: tuple[str, ...] = ()  # PRF01 of the heading
    carrier: Carrier | None = None  # TD5
    references: tuple[Reference, ...] = ()
    dates: tuple[DatedEvent, ...] = ()
    parties: tuple[Party, ...] = ()
    lines: tuple[ReceivedLine, ...] = ()
    unmapped: tuple[UnmappedSegment, ...] = ()
    source: Source = field(default_factory=Source)
    kind: str = "receiving-advice"


# --- recall notices ---------------------------------------------------------------------------
class RecallStatus(StrEnum):
    ISSUED = "issued"
    ONGOING = "ongoing"
    COMPLETED = "completed"
    TERMINATED = "terminated"
    CANCELLED = "cancelled"


class NoticeVersionStatus(StrEnum):
    INITIAL = "initial"
    UPDATE = "update"
    CLOSEOUT = "closeout"
    CANCELLED = "cancelled"


class RequiredActionType(StrEnum):
    STOP_SALE = "stop-sale"
    QUARANTINE = "quarantine"
    RETURN = "return"
    DESTROY = "destroy"
    REPAIR = "repair"
    REPLACE = "replace"
    REFUND = "refund"
    NOTIFY_CONSUMERS = "notify-consumers"
    OTHER = "other"


@dataclass(frozen=True, slots=True)
class ValueRange:
    """A lot, serial or date range; ``kind`` says which (for dates: MANUFACTURE, EXPIRY...)."""

    start: str
    end: str
    kind: str | None = None


@dataclass(frozen=True, slots=True)
class AffectedProduct:
    name: str | None = None
    brand: str | None = None
    model: str | None = None
    description: str | None = None
    item_ids: tuple[ItemId, ...] = ()
    lots: tuple[str, ...] = ()
    lot_ranges: tuple[ValueRange, ...] = ()
    serial_ranges: tuple[ValueRange, ...] = ()
    date_ranges: tuple[ValueRange, ...] = ()
    quantity: Quantity | None = None
    code_info: str | None = None  # free-text lot / code information, kept verbatim


@dataclass(frozen=True, slots=True)
class RecallReason:
    text: str
    code: str | None = None
    scheme: str | None = None  # GS1, INTERNAL...


@dataclass(frozen=True, slots=True)
class RequiredAction:
    action: RequiredActionType
    action_code: str | None = None
    deadline: date | None = None
    instructions: str | None = None
    return_to: Identifier | None = None  # e.g. a GLN


@dataclass(frozen=True, slots=True)
class RecallNotice:
    notice_id: str
    notice_scheme: str | None = None  # GDTI, CPSC, FDA, INTERNAL...
    original_notice_id: str | None = None
    version_status: NoticeVersionStatus | None = None
    version: int | None = None
    status: RecallStatus | None = None
    authority: str | None = None  # FDA, CPSC, FSIS, NHTSA, NONE...
    classification: str | None = None  # CLASS_I ... as sent
    classification_scheme: str | None = None
    voluntary: bool | None = None
    title: str | None = None
    description: str | None = None
    dates: tuple[DatedEvent, ...] = ()  # qualifiers: initiated, published, terminated...
    parties: tuple[Party, ...] = ()
    reasons: tuple[RecallReason, ...] = ()
    hazards: tuple[str, ...] = ()
    products: tuple[AffectedProduct, ...] = ()
    distribution: tuple[str, ...] = ()  # countries, states, channels, pattern text
    actions: tuple[RequiredAction, ...] = ()
    remedies: tuple[str, ...] = ()
    injuries: str | None = None
    links: tuple[Reference, ...] = ()  # qualifier = rel (source, image, counterpart)
    source: Source = field(default_factory=Source)
    kind: str = "recall-notice"


CanonicalDocument = (ReturnAuthorization | ReturnShipment | ShipmentStatusReport | RecallNotice
                     | ReceivingAdvice)
