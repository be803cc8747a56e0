"""Which return lines and shipped items a recall notice puts on hold.

A line is held by an affected product when

1. **the product is the same.** GTIN, UPC, EAN and ISBN values are compared as GTIN-14: a UPC-A
   (12 digits) is the GTIN-14 with two leading zeros, an EAN-13 / ISBN-13 with one, a GTIN-8
   with six. NDC values are compared as sent (upper-cased, trimmed): their hyphens carry the
   4-4-2 / 5-3-2 / 5-4-1 layout. SKUs, vendor and buyer part numbers are not compared: they are
   private to one trading partner and equal values mean nothing across partners. A product with
   no identifier (a CPSC notice often names only a product) matches nothing here; a person has to
   read it.
2. **and every criterion the line can be checked on agrees.** The criteria are lots (a list and
   ranges), serials (ranges, and ``serial`` item ids as a list) and date ranges by kind. A
   criterion the line carries data for must match, so a line of a recalled GTIN whose lot is
   outside the recall is *not* held. A criterion the line carries no data for cannot clear it:
   the line is held and the criterion is listed in `RecallMatch.unchecked`, because releasing a
   possibly recalled unit to stock is the costly mistake.

Ranges (lots and serials): a value is inside ``[start, end]`` when

- it equals either end; or
- both ends are *one stem followed by digits* with the same stem (``LOT9`` .. ``LOT120``): the
  value has that stem and its digits are numerically between; or
- otherwise both ends have *the same shape* (same length; digits, letters and every other
  character in the same places, e.g. ``BK170-2301-00001`` .. ``BK170-2312-99999`` or ``L24030A``
  .. ``L24030F``): the value has that shape too and sorts between them. With fixed-width fields,
  text order is the natural order, and a shared prefix is implied.

A range whose ends fit neither rule matches only its two ends: guessing at an order the sender
did not state would put unrelated units on hold (or release recalled ones).

Dates: a line date is compared with the ranges of its kind. X12 374 qualifiers 036 / 208
(expiration, lot expiration) are EXPIRY and 094 / 405 (manufacture, production) are MANUFACTURE;
a qualifier spelled as a kind (``best-by``, ``EXPIRY``) is that kind. A range without a kind, or
with unreadable dates, cannot be checked.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date
from enum import StrEnum

from gateway.domain.correlation import hierarchy_nodes
from gateway.model import (
    AffectedProduct,
    DatedEvent,
    HierarchyLevel,
    ItemId,
    ItemIdScheme,
    NoticeVersionStatus,
    RecallNotice,
    RecallStatus,
    ReturnLine,
    ReturnShipment,
    ShipmentNode,
    ValueRange,
)

RecallableLine = ReturnLine | ShipmentNode

_GTIN_SCHEMES = frozenset({ItemIdScheme.GTIN, ItemIdScheme.UPC, ItemIdScheme.EAN,
                           ItemIdScheme.ISBN})
_AS_SENT_SCHEMES = frozenset({ItemIdScheme.NDC, ItemIdScheme.ISBN})
_GTIN_LENGTHS = frozenset({8, 12, 13, 14})
_DATE_KIND_BY_X12_QUALIFIER = {"036": "EXPIRY", "208": "EXPIRY",
                               "094": "MANUFACTURE", "405": "MANUFACTURE"}
_CLOSED_STATUSES = frozenset({RecallStatus.COMPLETED, RecallStatus.TERMINATED,
                              RecallStatus.CANCELLED})


class Criterion(StrEnum):
    LOT = "lot"
    SERIAL = "serial"
    DATE = "date"


@dataclass(frozen=True, slots=True)
class RecallMatch:
    """One line held by one affected product of one notice, and the evidence."""

    notice_id: str
    product: AffectedProduct
    line: RecallableLine
    identifier: str  # the shared product identifier, e.g. "gtin:00614141000364"
    lots: tuple[str, ...] = ()  # the line's lots inside the recall
    serials: tuple[str, ...] = ()  # the line's serials inside the recall
    dates: tuple[DatedEvent, ...] = ()  # the line's dates inside a recalled range
    unchecked: tuple[Criterion, ...] = ()  # recall criteria the line had no data for

    @property
    def line_label(self) -> str:
        if isinstance(self.line, ReturnLine):
            return f"line {self.line.line_number}"
        return f"HL {self.line.hl_id}"


def recall_holds(notice: RecallNotice, lines: Iterable[RecallableLine]) -> list[RecallMatch]:
    """Every (line, affected product) pair of ``notice`` that puts the line on hold."""
    return [match
            for line in lines
            for product in notice.products
            if (match := _match(notice.notice_id, product, line)) is not None]


def is_active(notice: RecallNotice) -> bool:
    """A notice holds goods until it is closed out, completed, terminated or cancelled."""
    if notice.status in _CLOSED_STATUSES:
        return False
    return notice.version_status not in (NoticeVersionStatus.CLOSEOUT,
                                         NoticeVersionStatus.CANCELLED)


def notice_identity(notice: RecallNotice) -> str:
    """The id a notice is known by across its versions: the first version's id, which an
    update or a cancellation quotes as its original (with the issuer, the notice's identity)."""
    return notice.original_notice_id or notice.notice_id


def claimed_ids(notice: RecallNotice) -> frozenset[str]:
    """Every notice id a version speaks for: its own, and the original it updates or cancels.
    Each belongs to the partner that sent it first; no other partner may send a version of it."""
    return frozenset(i for i in (notice.notice_id, notice.original_notice_id) if i)


def shipment_items(shipment: ReturnShipment) -> tuple[ShipmentNode, ...]:
    """The 856's item nodes, each with the lots, serials and dates of the nodes under it (a
    Walmart-style ZZ lot level below an item describes that item's units)."""
    return tuple(_with_descendant_details(node)
                 for node in hierarchy_nodes(shipment.hierarchy) if is_shipped_item(node))


# --- the product -------------------------------------------------------------------------------
def product_identity(item_id: ItemId) -> str | None:
    """The comparable identity of an item id, or None for schemes that are not compared."""
    value = item_id.value.strip().upper()
    if item_id.scheme in _GTIN_SCHEMES and _is_gtin(value):
        return f"gtin:{value.zfill(14)}"
    if item_id.scheme in _AS_SENT_SCHEMES and value:
        return f"{item_id.scheme}:{value}"
    return None


def identity_spellings(identity: str) -> frozenset[str]:
    """Every item value a line can carry whose `product_identity` is ``identity``: a GTIN-14
    as each shorter GTIN its leading zeros allow (a UPC-A, EAN-13 or GTIN-8 line carries that
    form), any other identity as it was sent. What looking a product up in an index by value
    must ask for to miss no line the matching rules would hold."""
    scheme, _, value = identity.partition(":")
    if scheme != "gtin":
        return frozenset({value})
    return frozenset(value[-length:] for length in _GTIN_LENGTHS
                     if not value[:-length].strip("0"))


def _is_gtin(value: str) -> bool:
    return value.isascii() and value.isdigit() and len(value) in _GTIN_LENGTHS


def _shared_identifier(product_ids: Iterable[ItemId], line_ids: Iterable[ItemId]) -> str | None:
    ours = {identity for item in product_ids if (identity := product_identity(item))}
    theirs = {identity for item in line_ids if (identity := product_identity(item))}
    shared = sorted(ours & theirs)
    return shared[0] if shared else None


# --- the criteria ------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class _Check:
    passed: bool  # False: the line's data puts it outside the recall
    unchecked: bool = False  # the recall has this criterion but the line no data for it


_NOT_A_CRITERION = _Check(passed=True)
_NO_DATA = _Check(passed=True, unchecked=True)


def _match(notice_id: str, product: AffectedProduct,
           line: RecallableLine) -> RecallMatch | None:
    identifier = _shared_identifier(product.item_ids, line.item_ids)
    if identifier is None:
        return None
    lots = _inside(_line_values(line.lots, line.item_ids, ItemIdScheme.LOT),
                   _product_values(product.lots, product.item_ids, ItemIdScheme.LOT),
                   product.lot_ranges)
    serials = _inside(_line_values(line.serials, line.item_ids, ItemIdScheme.SERIAL),
                      _product_values((), product.item_ids, ItemIdScheme.SERIAL),
                      product.serial_ranges)
    dates = tuple(event for event in line.dates if _date_inside(event, product.date_ranges))
    checks = {
        Criterion.LOT: _check(bool(lots), _has_lots(line), _lists_lots(product)),
        Criterion.SERIAL: _check(bool(serials), _has_serials(line), _lists_serials(product)),
        Criterion.DATE: _date_check(line.dates, product.date_ranges),
    }
    if not all(check.passed for check in checks.values()):
        return None
    return RecallMatch(notice_id=notice_id, product=product, line=line, identifier=identifier,
                       lots=lots, serials=serials, dates=dates,
                       unchecked=tuple(c for c, check in checks.items() if check.unchecked))


def _check(matched: bool, line_has_data: bool, recall_has_criterion: bool) -> _Check:
    if not recall_has_criterion:
        return _NOT_A_CRITERION
    if not line_has_data:
        return _NO_DATA
    return _Check(passed=matched)


def _line_values(values: Iterable[str], item_ids: Iterable[ItemId],
                 scheme: ItemIdScheme) -> tuple[str, ...]:
    found = [*values, *(item.value for item in item_ids if item.scheme == scheme)]
    return tuple(dict.fromkeys(v for value in found if (v := _clean(value))))


_product_values = _line_values  # the same reading applies to the recall's side


def _has_lots(line: RecallableLine) -> bool:
    return bool(_line_values(line.lots, line.item_ids, ItemIdScheme.LOT))


def _has_serials(line: RecallableLine) -> bool:
    return bool(_line_values(line.serials, line.item_ids, ItemIdScheme.SERIAL))


def _lists_lots(product: AffectedProduct) -> bool:
    return bool(product.lot_ranges
                or _product_values(product.lots, product.item_ids, ItemIdScheme.LOT))


def _lists_serials(product: AffectedProduct) -> bool:
    return bool(product.serial_ranges
                or _product_values((), product.item_ids, ItemIdScheme.SERIAL))


def _inside(candidates: Iterable[str], listed: Iterable[str],
            ranges: Iterable[ValueRange]) -> tuple[str, ...]:
    listed_set = set(listed)
    ranges = tuple(ranges)
    return tuple(value for value in candidates
                 if value in listed_set or any(in_range(value, r) for r in ranges))


def _clean(value: str) -> str:
    return value.strip().upper()


# --- ranges ------------------------------------------------------------------------------------
_STEM_AND_DIGITS = re.compile(r"(.*?)(\d+)")


def in_range(value: str, value_range: ValueRange) -> bool:
    """The lot / serial range rule of the module doc."""
    candidate, start, end = _clean(value), _clean(value_range.start), _clean(value_range.end)
    if candidate in (start, end):
        return True
    by_number = _within_numeric_tail(candidate, start, end)
    if by_number is not None:
        return by_number
    return _within_same_shape(candidate, start, end)


def _within_numeric_tail(candidate: str, start: str, end: str) -> bool | None:
    """None when the ends are not one stem followed by digits (the rule does not apply)."""
    low, high = _STEM_AND_DIGITS.fullmatch(start), _STEM_AND_DIGITS.fullmatch(end)
    if low is None or high is None or low.group(1) != high.group(1):
        return None
    found = _STEM_AND_DIGITS.fullmatch(candidate)
    if found is None or found.group(1) != low.group(1):
        return False
    bounds = sorted((int(low.group(2)), int(high.group(2))))
    return bounds[0] <= int(found.group(2)) <= bounds[1]


def _within_same_shape(candidate: str, start: str, end: str) -> bool:
    shape = _shape(start)
    if _shape(end) != shape or _shape(candidate) != shape:
        return False
    low, high = sorted((start, end))
    return low <= candidate <= high


def _shape(value: str) -> tuple[str, ...]:
    return tuple("9" if c.isascii() and c.isdigit() else "A" if c.isascii() and c.isalpha()
                 else c for c in value)


# --- dates -------------------------------------------------------------------------------------
def date_kind(qualifier: str) -> str:
    """The recall date-range kind a line date qualifier stands for (see the module doc)."""
    cleaned = _clean(qualifier)
    return _DATE_KIND_BY_X12_QUALIFIER.get(cleaned, cleaned.replace("-", "_"))


def _readable_ranges(ranges: Iterable[ValueRange], kind: str) -> list[tuple[date, date]]:
    readable = []
    for value_range in ranges:
        if value_range.kind is None or date_kind(value_range.kind) != kind:
            continue
        try:
            bounds = sorted((date.fromisoformat(value_range.start),
                             date.fromisoformat(value_range.end)))
        except ValueError:
            continue  # unreadable dates: this range cannot be checked
        readable.append((bounds[0], bounds[1]))
    return readable


def _date_inside(event: DatedEvent, ranges: Iterable[ValueRange]) -> bool:
    return any(low <= event.on <= high
               for low, high in _readable_ranges(ranges, date_kind(event.qualifier)))


def _date_check(line_dates: Iterable[DatedEvent], ranges: tuple[ValueRange, ...]) -> _Check:
    if not ranges:
        return _NOT_A_CRITERION
    comparable = [event for event in line_dates
                  if _readable_ranges(ranges, date_kind(event.qualifier))]
    if not comparable:
        return _NO_DATA
    # Every comparable date must be inside: an expiry outside the recalled window clears the
    # line even if its manufacture date has no range to compare with.
    return _Check(passed=all(_date_inside(event, ranges) for event in comparable))


# --- 856 items ---------------------------------------------------------------------------------
def is_shipped_item(node: ShipmentNode) -> bool:
    """Whether an 856 node is an item of the shipment (what `shipment_items` lists)."""
    return node.level == HierarchyLevel.ITEM or (
        bool(node.item_ids)
        and node.level not in (HierarchyLevel.SHIPMENT, HierarchyLevel.ORDER))


def _with_descendant_details(item: ShipmentNode) -> ShipmentNode:
    below = list(hierarchy_nodes(item.children))
    if not below:
        return item
    return replace(item,
                   lots=tuple(dict.fromkeys([*item.lots, *(v for n in below for v in n.lots)])),
                   serials=tuple(dict.fromkeys([*item.serials,
                                                *(v for n in below for v in n.serials)])),
                   dates=tuple(dict.fromkeys([*item.dates, *(d for n in below for d in n.dates)])))
