"""A `RecallNotice` written back as our own recall-notice 1.0 (``urn:returns-gateway:recall:1``).

The inverse of `gateway.recall.native.to_notice`: for a notice read from a recall-notice 1.0
file, ``read_recall(build_native_notice(notice)).notice == notice`` (tested on the samples).

The format is stricter than the model, so not every notice can be written. A notice the format
cannot hold (no title, reason or party name, an action or scheme outside its code lists: typical
of CPSC records) raises ValueError naming what is wrong; use the recall notification for those,
whose notice shape takes any `RecallNotice`. What the format has no place for is left out:

- ``remedies`` (CPSC remedies; the model's ``RequiredAction`` list carries what to do);
- dates other than initiated / classified / published / last-published / terminated, and the
  time of day of any date;
- party identifiers other than GLN and DUNS, contact fax numbers, a return-to that is no GLN;
- the notice ``source`` (the reader sets its own) and a version number without a version status.

Two things survive only as text: which ``distribution`` entries were countries or states (the
model keeps one list of texts, so every entry is written as a Channel and reads back as the same
list), and hazard types and injury counts, which the model never held.
"""

from __future__ import annotations

from lxml import etree

from gateway.model import (
    AffectedProduct,
    Contact,
    ItemId,
    Party,
    RecallNotice,
    RequiredAction,
    ValueRange,
)
from gateway.recall.native import DATE_QUALIFIERS, NAMESPACE
from gateway.recall.writing import DocumentBuilder, day, finish, optional_decimal
from gateway.recall.xsd import NOTICE_SCHEMA

_XML = DocumentBuilder(NAMESPACE)
_DATE_ATTRIBUTES = {qualifier: name for name, qualifier in DATE_QUALIFIERS.items()}
_NATIVE_ITEM_SCHEMES = frozenset({"GTIN", "UPC", "EAN", "NDC", "ISBN", "SKU", "VENDOR_PART",
                                  "BUYER_ITEM"})
_NATIVE_ACTIONS = frozenset({"STOP_SALE", "QUARANTINE", "RETURN", "DESTROY", "REPAIR",
                             "REPLACE", "REFUND", "NOTIFY_CONSUMERS"})
_NATIVE_ROLES = frozenset({"RECALLING_FIRM", "MANUFACTURER", "IMPORTER", "DISTRIBUTOR",
                           "RETAILER", "RECIPIENT"})
_PATTERN_TEXT_FROM = 501  # a Channel holds 500 characters; longer distribution text is a pattern


def build_native_notice(notice: RecallNotice) -> bytes:
    """``notice`` as UTF-8 recall-notice 1.0 XML; ValueError when the format cannot hold it."""
    root = _XML.root("RecallNotice")
    _add_identity(root, notice)
    _XML.add_optional(root, "Title", notice.title)
    _XML.add_optional(root, "Description", notice.description)
    _add_dates(root, notice)
    for party in notice.parties:
        _add_party(root, party)
    for reason in notice.reasons:
        _XML.add(root, "Reason", reason.text, {"code": reason.code, "scheme": reason.scheme})
    _XML.add_each(root, "Hazard", notice.hazards)
    for product in notice.products:
        _add_product(root, product)
    _add_distribution(root, notice.distribution)
    for action in notice.actions:
        _add_action(root, action)
    _XML.add_optional(root, "Injuries", notice.injuries)
    for link in notice.links:
        _XML.add(root, "Link", link.value, {"rel": link.qualifier})
    return finish(root, NOTICE_SCHEMA)


def _add_identity(root: etree._Element, notice: RecallNotice) -> None:
    # Element order is the schema's sequence, so identity and status come first, in this order.
    _XML.add(root, "NoticeId", notice.notice_id, {"scheme": notice.notice_scheme})
    # The format wants a scheme on the original id too; the model keeps none, and an update
    # comes from the same authority as its original.
    _XML.add_optional(root, "OriginalNoticeId", notice.original_notice_id,
                      {"scheme": notice.notice_scheme})
    if notice.version_status is not None:
        _XML.add(root, "NoticeVersion", attributes={
            "status": notice.version_status.value.upper(),
            "seq": None if notice.version is None else str(notice.version)})
    _XML.add_optional(root, "RecallStatus", None if notice.status is None
                      else notice.status.value.upper())
    _XML.add_optional(root, "Authority", notice.authority)
    _XML.add_optional(root, "Classification", notice.classification,
                      {"scheme": notice.classification_scheme})
    if notice.voluntary is not None:
        _XML.add(root, "VoluntaryMandated", "VOLUNTARY" if notice.voluntary else "MANDATED")


def _add_dates(root: etree._Element, notice: RecallNotice) -> None:
    attributes = {_DATE_ATTRIBUTES[event.qualifier]: day(event.on)
                  for event in notice.dates if event.qualifier in _DATE_ATTRIBUTES}
    if attributes:
        _XML.add(root, "Dates", attributes=attributes)


def _add_party(root: etree._Element, party: Party) -> None:
    role = _as_sent_or(party.role_code, _NATIVE_ROLES, party.role.value)
    element = _XML.add(root, "Party", attributes={"role": role})
    _XML.add_optional(element, "Name", party.name)
    for qualifier in ("GLN", "DUNS"):
        _XML.add_optional(element, qualifier, next(
            (i.value for i in party.identifiers if i.qualifier == qualifier), None))
    if party.address is not None:
        address = party.address
        lines = _XML.add(element, "Address", attributes={
            "country": address.country, "state": address.state, "city": address.city,
            "postalCode": address.postal_code})
        _XML.add_each(lines, "Line", address.lines)
    for contact in party.contacts:
        _add_contact(element, contact)


def _add_contact(party: etree._Element, contact: Contact) -> None:
    _XML.add(party, "Contact", attributes={"type": contact.role, "name": contact.name,
                                           "phone": contact.phone, "email": contact.email})


def _add_product(root: etree._Element, product: AffectedProduct) -> None:
    element = _XML.add(root, "AffectedProduct")
    _XML.add_optional(element, "Name", product.name)
    _XML.add_optional(element, "Brand", product.brand)
    _XML.add_optional(element, "Model", product.model)
    _XML.add_optional(element, "Description", product.description)
    for item_id in product.item_ids:
        _XML.add(element, "Identifier", item_id.value, {"scheme": _item_scheme(item_id)})
    _XML.add_each(element, "Lot", product.lots)
    _add_ranges(element, "LotRange", product.lot_ranges, with_type=False)
    _add_ranges(element, "SerialRange", product.serial_ranges, with_type=False)
    _add_ranges(element, "DateRange", product.date_ranges, with_type=True)
    if product.quantity is not None:
        _XML.add(element, "QuantityAffected", optional_decimal(product.quantity.value),
                 {"uom": product.quantity.unit})
    _XML.add_optional(element, "CodeInfoText", product.code_info)


def _item_scheme(item_id: ItemId) -> str:
    return _as_sent_or(item_id.qualifier, _NATIVE_ITEM_SCHEMES, item_id.scheme.value)


def _add_ranges(product: etree._Element, name: str, ranges: tuple[ValueRange, ...], *,
                with_type: bool) -> None:
    for value_range in ranges:
        _XML.add(product, name, attributes={
            "type": value_range.kind if with_type else None,
            "from": value_range.start, "to": value_range.end})


def _add_distribution(root: etree._Element, entries: tuple[str, ...]) -> None:
    if not entries:
        return
    element = _XML.add(root, "Distribution")
    # Channels first, one pattern text last: the schema's order, and reading back keeps the
    # model's order as long as a long text (there is at most one) was last.
    for entry in entries:
        if len(entry) < _PATTERN_TEXT_FROM:
            _XML.add(element, "Channel", entry)
    for entry in entries:
        if len(entry) >= _PATTERN_TEXT_FROM:
            _XML.add(element, "PatternText", entry)


def _add_action(root: etree._Element, action: RequiredAction) -> None:
    code = _as_sent_or(action.action_code, _NATIVE_ACTIONS, action.action.value)
    gln = action.return_to.value if action.return_to is not None and (
        action.return_to.qualifier == "GLN") else None
    _XML.add(root, "RequiredAction", action.instructions, {
        "type": code, "deadline": None if action.deadline is None else day(action.deadline),
        "returnToGLN": gln})


def _as_sent_or(as_sent: str | None, known: frozenset[str], word: str) -> str:
    """The code as sent when the format knows it (a 'VENDOR_PART' stays one), otherwise the
    model's word in the format's spelling ('stop-sale' -> 'STOP_SALE')."""
    if as_sent is not None and as_sent in known:
        return as_sent
    return word.upper().replace("-", "_")
