"""Correlation keys: the identifiers that tie a 180, an 856 and a 214 to the same return.

Where each key kind is read from
--------------------------------
=================  ==========================================================================
RMA                180 ``rma_number`` (N9*RZ); REF / N9 / L11 qualifier ``RZ`` anywhere
PURCHASE_ORDER     180 ``original_po`` and line ``original_po`` (PRF01); 856 order-node
                   ``purchase_order`` (PRF01 in HL O); 861 ``purchase_orders`` and line
                   ``purchase_order`` (PRF01); qualifier ``PO`` anywhere
SHIPMENT_ID        856 ``shipment_id`` (BSN02); 214 ``shipment_id`` (B1002); qualifier ``SI``
BILL_OF_LADING     856 ``bill_of_lading``; qualifier ``BM``
PRO_NUMBER         856 ``pro_number``; qualifier ``CN``
TRACKING           856 ``tracking_numbers``; qualifier ``2I``
CARRIER_REFERENCE  214 ``carrier_reference`` (B1001)
REQUEST_ID         180 ``document_id`` (BGN02); qualifier ``CR``
=================  ==========================================================================

"Anywhere" means the document's own references, the 180's line references, every node of the
856 hierarchy, the 214's header and per-event (L11 in the LX loop) references, and the 861's
header and per-line (REF in the RCD loop) references. An 861's own number (BRA01, which other
documents quote as ``RV``) is not a key: no other document of a return carries it.

Why these X12 128 qualifiers and no others
    ``RZ`` is the returned-goods authorization number, ``PO`` the purchase order, ``BM`` the bill
    of lading, ``CN`` the carrier's reference (PRO / invoice), ``2I`` the tracking number: each is
    the same identity its header field carries. ``SI`` ("shipper's identifying number for
    shipment") is the shipper's own shipment number, which on a returns ASN is the BSN02 the
    carrier later echoes in B1002, so it counts as SHIPMENT_ID. ``CR`` (customer reference) is
    where §8 of the domain notes says a 214 carries the external request id, so it counts as
    REQUEST_ID. Vendor (IA), invoice (IV), department (DP), package (97), stop (QN), equipment
    (EQ) and similar qualifiers name other things than the return and are not keys.

Families
    Carriers do not agree on which of their numbers goes in B1001 and B1002: the sample 214 sends
    the shipper's BOL in B1002 and the PRO in B1001. So a key links to another key of the same
    *family* with the same value, not only to one of the same kind: SHIPMENT_ID ~ BILL_OF_LADING
    (the shipper's numbers) and CARRIER_REFERENCE ~ PRO_NUMBER ~ TRACKING (the carrier's numbers).
    RMA, PURCHASE_ORDER and REQUEST_ID each stand alone.

Names: the keys that say *which* return
    RMA and REQUEST_ID are names, not just links: an RMA is the one return a vendor authorized, a
    request id the one request a retailer made. A document's names (`names_of`) are every RMA it
    carries and every request id it quotes (``CR``), plus its own BGN02 when it is a 180 request
    or notification. A 180 *answer*'s own BGN02 is the answerer's document number: still a key,
    so it finds the answer, but it names no request (a vendor quotes the request in BGN06 or
    CR). Two sets of names are `different_returns` when both name RMAs and share none, or, when
    they share no RMA because one side has none, both name request ids and share none; an RMA
    in common makes one return whatever request ids they carry (a change request quoting the
    same RMA). A 180 is about one return, so all its names are aliases of it; an 856 or 214 that
    names two RMAs (or, without an RMA, two request ids) is a consolidated shipment of several
    returns (`names_several_returns`), and names none of them on its own.

Normalisation
    Surrounding whitespace is removed and the value is upper-cased; partners pad fixed-width
    fields and disagree on case. Nothing inside the value changes (a hyphen or a leading zero may
    be significant in a PRO number), and an empty value is no key at all.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from enum import StrEnum

from gateway.model import (
    CanonicalDocument,
    RecallNotice,
    ReceivingAdvice,
    Reference,
    ReturnAuthorization,
    ReturnShipment,
    ReturnStage,
    ShipmentNode,
    ShipmentStatusReport,
)


class KeyKind(StrEnum):
    RMA = "rma"
    PURCHASE_ORDER = "purchase-order"
    SHIPMENT_ID = "shipment-id"
    BILL_OF_LADING = "bill-of-lading"
    PRO_NUMBER = "pro-number"
    TRACKING = "tracking"
    CARRIER_REFERENCE = "carrier-reference"
    REQUEST_ID = "request-id"


# X12 128 reference qualifiers that carry a key, and the kind each carries (see module doc).
REFERENCE_QUALIFIERS: dict[str, KeyKind] = {
    "RZ": KeyKind.RMA,
    "PO": KeyKind.PURCHASE_ORDER,
    "SI": KeyKind.SHIPMENT_ID,
    "BM": KeyKind.BILL_OF_LADING,
    "CN": KeyKind.PRO_NUMBER,
    "2I": KeyKind.TRACKING,
    "CR": KeyKind.REQUEST_ID,
}

_FAMILY: dict[KeyKind, str] = {
    KeyKind.RMA: "rma",
    KeyKind.PURCHASE_ORDER: "purchase-order",
    KeyKind.REQUEST_ID: "request-id",
    KeyKind.SHIPMENT_ID: "shipper-shipment",
    KeyKind.BILL_OF_LADING: "shipper-shipment",
    KeyKind.CARRIER_REFERENCE: "carrier-shipment",
    KeyKind.PRO_NUMBER: "carrier-shipment",
    KeyKind.TRACKING: "carrier-shipment",
}

# A purchase order is shared by every return raised against it, so on its own it is weak
# evidence that two documents describe the same return (see gateway.domain.matching).
WEAK_KINDS = frozenset({KeyKind.PURCHASE_ORDER})
# The kinds that name one return (see "Names" in the module doc).
NAME_KINDS = frozenset({KeyKind.RMA, KeyKind.REQUEST_ID})


def normalize(raw: str) -> str:
    """The comparable form of a key value: surrounding whitespace removed, upper case."""
    return raw.strip().upper()


@dataclass(frozen=True, slots=True)
class CorrelationKey:
    kind: KeyKind
    value: str

    def __post_init__(self) -> None:
        # Refuse raw values so that two equal identities are always equal keys.
        if not self.value or self.value != normalize(self.value):
            raise ValueError(f"a {self.kind} key needs a normalized, non-empty value: "
                             f"{self.value!r}")

    @classmethod
    def of(cls, kind: KeyKind, raw: str | None) -> CorrelationKey | None:
        """The key for a raw value, or None when the value is missing or blank."""
        value = normalize(raw) if raw is not None else ""
        return cls(kind, value) if value else None

    @property
    def family(self) -> str:
        return _FAMILY[self.kind]

    @property
    def is_weak(self) -> bool:
        return self.kind in WEAK_KINDS

    def links_to(self, other: CorrelationKey) -> bool:
        """Same identity: same family and same value (see "Families" in the module doc)."""
        return self.value == other.value and self.family == other.family

    def __str__(self) -> str:
        return f"{self.kind}={self.value}"


def shared_keys(ours: Iterable[CorrelationKey],
                theirs: Iterable[CorrelationKey]) -> frozenset[CorrelationKey]:
    """The keys in ``ours`` that link to some key in ``theirs``."""
    by_identity = {(key.family, key.value) for key in theirs}
    return frozenset(key for key in ours if (key.family, key.value) in by_identity)


def values_of(keys: Iterable[CorrelationKey], kind: KeyKind) -> frozenset[str]:
    return frozenset(key.value for key in keys if key.kind == kind)


def rma_conflict(ours: Iterable[CorrelationKey], theirs: Iterable[CorrelationKey]) -> bool:
    """True when both sides name RMAs and none is common: two different returns, whatever else
    they share (the same PO, or even the same truck)."""
    our_rmas = values_of(ours, KeyKind.RMA)
    their_rmas = values_of(theirs, KeyKind.RMA)
    return bool(our_rmas) and bool(their_rmas) and not our_rmas & their_rmas


def different_returns(ours: Iterable[CorrelationKey], theirs: Iterable[CorrelationKey]) -> bool:
    """True when two sets of names (`names_of`) cannot be one return: both name RMAs and share
    none, or (no RMA in common because one side has none) both name request ids and share
    none. Keys of other kinds are ignored, so whole key sets may be passed."""
    ours, theirs = frozenset(ours), frozenset(theirs)
    if values_of(ours, KeyKind.RMA) and values_of(theirs, KeyKind.RMA):
        return rma_conflict(ours, theirs)
    our_requests = values_of(ours, KeyKind.REQUEST_ID)
    their_requests = values_of(theirs, KeyKind.REQUEST_ID)
    return bool(our_requests) and bool(their_requests) and not our_requests & their_requests


def names_of(document: CanonicalDocument) -> frozenset[CorrelationKey]:
    """The RMAs and request ids a document names (see "Names" in the module doc)."""
    names = frozenset(key for key in keys_of(document) if key.kind in NAME_KINDS)
    if isinstance(document, ReturnAuthorization) and \
            document.stage is ReturnStage.AUTHORIZATION:
        own = CorrelationKey.of(KeyKind.REQUEST_ID, document.document_id)
        if own is not None and own not in _quoted_request_ids(document):
            names -= {own}  # the answer's own number, not the request's
    return names


def names_several_returns(document: CanonicalDocument) -> bool:
    """An 856, 214 or 861 naming two RMAs, or no RMA and two request ids: a consolidated
    shipment (or its receipt).
    A 180 never does: whatever names it carries are aliases of its one return."""
    if isinstance(document, ReturnAuthorization):
        return False
    names = names_of(document)
    rmas = values_of(names, KeyKind.RMA)
    return len(rmas) > 1 or (not rmas and len(values_of(names, KeyKind.REQUEST_ID)) > 1)


def _quoted_request_ids(document: ReturnAuthorization) -> frozenset[CorrelationKey]:
    references = [*document.references, *(ref for line in document.lines
                                          for ref in line.references)]
    return frozenset(key for key in _reference_keys(references)
                     if key is not None and key.kind is KeyKind.REQUEST_ID)


def keys_of(document: CanonicalDocument) -> frozenset[CorrelationKey]:
    """Every correlation key a canonical document carries. A recall notice carries none: it
    reaches cases through their products, not through identifiers (gateway.domain.recall_match).
    """
    return frozenset(key for key in _raw_keys(document) if key is not None)


def _raw_keys(document: CanonicalDocument) -> Iterator[CorrelationKey | None]:
    if isinstance(document, ReturnAuthorization):
        yield from _authorization_keys(document)
    elif isinstance(document, ReturnShipment):
        yield from _shipment_keys(document)
    elif isinstance(document, ShipmentStatusReport):
        yield from _status_keys(document)
    elif isinstance(document, ReceivingAdvice):
        yield from _receipt_keys(document)
    elif isinstance(document, RecallNotice):
        return
    else:  # pragma: no cover - CanonicalDocument is a closed union
        raise TypeError(f"not a canonical document: {type(document).__name__}")


def _authorization_keys(document: ReturnAuthorization) -> Iterator[CorrelationKey | None]:
    yield CorrelationKey.of(KeyKind.REQUEST_ID, document.document_id)
    yield CorrelationKey.of(KeyKind.RMA, document.rma_number)
    yield CorrelationKey.of(KeyKind.PURCHASE_ORDER, document.original_po)
    yield from _reference_keys(document.references)
    for line in document.lines:
        yield CorrelationKey.of(KeyKind.PURCHASE_ORDER, line.original_po)
        yield from _reference_keys(line.references)


def _shipment_keys(document: ReturnShipment) -> Iterator[CorrelationKey | None]:
    yield CorrelationKey.of(KeyKind.SHIPMENT_ID, document.shipment_id)
    yield CorrelationKey.of(KeyKind.BILL_OF_LADING, document.bill_of_lading)
    yield CorrelationKey.of(KeyKind.PRO_NUMBER, document.pro_number)
    for tracking in document.tracking_numbers:
        yield CorrelationKey.of(KeyKind.TRACKING, tracking)
    yield from _reference_keys(document.references)
    for node in hierarchy_nodes(document.hierarchy):
        # PRF01 sits on order nodes, but a flat or odd hierarchy may put it anywhere.
        yield CorrelationKey.of(KeyKind.PURCHASE_ORDER, node.purchase_order)
        yield from _reference_keys(node.references)


def _status_keys(document: ShipmentStatusReport) -> Iterator[CorrelationKey | None]:
    yield CorrelationKey.of(KeyKind.CARRIER_REFERENCE, document.carrier_reference)
    yield CorrelationKey.of(KeyKind.SHIPMENT_ID, document.shipment_id)
    yield from _reference_keys(document.references)
    for event in document.events:
        yield from _reference_keys(event.references)


def _receipt_keys(document: ReceivingAdvice) -> Iterator[CorrelationKey | None]:
    for purchase_order in document.purchase_orders:
        yield CorrelationKey.of(KeyKind.PURCHASE_ORDER, purchase_order)
    yield from _reference_keys(document.references)
    for line in document.lines:
        yield CorrelationKey.of(KeyKind.PURCHASE_ORDER, line.purchase_order)
        yield from _reference_keys(line.references)


def _reference_keys(references: Iterable[Reference]) -> Iterator[CorrelationKey | None]:
    for reference in references:
        kind = REFERENCE_QUALIFIERS.get(normalize(reference.qualifier))
        if kind is not None:
            yield CorrelationKey.of(kind, reference.value)


def hierarchy_nodes(nodes: Iterable[ShipmentNode]) -> Iterator[ShipmentNode]:
    """Every node of an 856 hierarchy, parents before their children."""
    for node in nodes:
        yield node
        yield from hierarchy_nodes(node.children)
