"""Recall notification 1.0 (``urn:returns-gateway:recall-notification:1``) to one partner.

`build_recall_notification` writes the recall as the gateway holds it (any `RecallNotice`,
from our own format or a CPSC record), the items found in *this recipient's* documents, and how
to answer (a recall-response 1.0 quoting the notification id): ``schema/
recall-notification-1.0.xsd``. The notice is written in the notification's own, permissive
shape rather than as recall-notice 1.0, because a CPSC notice often lacks what that format
requires (a reason, a party name) and has remedies it has no place for.

Codes are the model's words (``stop-sale``, ``gtin``), with the code the recall's author wrote
kept beside them. Links that are not http(s) are left out: partners may follow links, and only
web links are ours to pass on (the same rule as recall-notice 1.0).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from lxml import etree

from gateway.model import (
    AffectedProduct,
    ItemId,
    ItemIdScheme,
    Party,
    Quantity,
    RecallNotice,
    RequiredAction,
    ValueRange,
)
from gateway.recall.response import NAMESPACE as RESPONSE_NAMESPACE
from gateway.recall.response import RESPONSE_SCHEMA
from gateway.recall.writing import DocumentBuilder, day, finish, optional_decimal, zoned

NAMESPACE = "urn:returns-gateway:recall-notification:1"
NOTIFICATION_SCHEMA = "recall-notification-1.0.xsd"

_XML = DocumentBuilder(NAMESPACE)
_WEB_LINK_PREFIXES = ("http://", "https://")
_ITEM_SCHEMES = frozenset(scheme.value for scheme in ItemIdScheme)


@dataclass(frozen=True, slots=True)
class AffectedItem:
    """One line of the recipient's own documents that carries an affected product."""

    document: str  # the recipient's document: the 180's BGN02 or the 856's BSN02
    line: str | None = None  # as the case shows it: "line 2" (180) or "HL 4" (856)
    # The product the line shares with the recall, as the gateway compares products:
    # "gtin:00614141000364" (GTIN-14), "ndc:0002-1433-80"...; written as scheme and value.
    identifier: str | None = None
    lots: tuple[str, ...] = ()  # the line's lots inside the recall
    serials: tuple[str, ...] = ()  # the line's serials inside the recall
    quantity: Decimal | None = None
    unit: str | None = None  # X12 355 (EA, CA...); None: not known


@dataclass(frozen=True, slots=True)
class RecallNotification:
    notification_id: str  # ours: 1-64 of A-Z a-z 0-9 . _ : -; the response quotes it
    created_at: datetime  # timezone-aware
    recipient: str  # the partner's id
    notice: RecallNotice
    items: tuple[AffectedItem, ...]  # at least one: a notification says what we found
    respond_by: date | None = None


def build_recall_notification(notification: RecallNotification) -> bytes:
    """``notification`` as UTF-8 XML valid against recall-notification-1.0.xsd.

    Raises ValueError when the values cannot make a valid document (no matched item, a naive
    datetime, an id or text the schema refuses): they come from the gateway, so that is our bug.
    """
    if not notification.items:
        raise ValueError("a recall notification must name at least one matched item")
    root = _XML.root("RecallNotification")
    _XML.add(root, "NotificationId", notification.notification_id)
    _XML.add(root, "CreatedAt", zoned(notification.created_at, "created_at"))
    _XML.add(root, "Recipient", notification.recipient)
    _add_notice(root, notification.notice)
    for item in notification.items:
        _add_item(root, item)
    _add_respond(root, notification)
    return finish(root, NOTIFICATION_SCHEMA)


# --- the recall -------------------------------------------------------------------------------
def _add_notice(root: etree._Element, notice: RecallNotice) -> None:
    element = _XML.add(root, "Notice")
    _add_identity(element, notice)
    for event in notice.dates:
        _XML.add(element, "Date", day(event.on), {
            "qualifier": event.qualifier,
            "at": None if event.at is None else zoned(event.at, "a notice date's time")})
    for party in notice.parties:
        _add_party(element, party)
    for reason in notice.reasons:
        _XML.add(element, "Reason", reason.text, {"code": reason.code, "scheme": reason.scheme})
    _XML.add_each(element, "Hazard", notice.hazards)
    for product in notice.products:
        _add_product(element, product)
    _XML.add_each(element, "Distribution", notice.distribution)
    for action in notice.actions:
        _add_action(element, action)
    _XML.add_each(element, "Remedy", notice.remedies)
    _XML.add_optional(element, "Injuries", notice.injuries)
    for link in notice.links:
        if link.value.startswith(_WEB_LINK_PREFIXES):
            _XML.add(element, "Link", link.value, {"rel": link.qualifier})


def _add_identity(element: etree._Element, notice: RecallNotice) -> None:
    _XML.add(element, "NoticeId", notice.notice_id, {"scheme": notice.notice_scheme})
    _XML.add_optional(element, "OriginalNoticeId", notice.original_notice_id)
    if notice.version_status is not None or notice.version is not None:
        _XML.add(element, "Version", attributes={
            "status": None if notice.version_status is None else notice.version_status.value,
            "seq": None if notice.version is None else str(notice.version)})
    _XML.add_optional(element, "RecallStatus",
                      None if notice.status is None else notice.status.value)
    _XML.add_optional(element, "Authority", notice.authority)
    _XML.add_optional(element, "Classification", notice.classification,
                      {"scheme": notice.classification_scheme})
    _XML.add_optional(element, "Voluntary",
                      None if notice.voluntary is None else str(notice.voluntary).lower())
    _XML.add_optional(element, "Title", notice.title)
    _XML.add_optional(element, "Description", notice.description)


def _add_party(notice: etree._Element, party: Party) -> None:
    element = _XML.add(notice, "Party", attributes={"role": party.role.value,
                                                    "code": party.role_code})
    _XML.add_optional(element, "Name", party.name)
    for identifier in party.identifiers:
        _XML.add(element, "Identifier", identifier.value, {"qualifier": identifier.qualifier})
    if party.address is not None:
        address = party.address
        lines = _XML.add(element, "Address", attributes={
            "city": address.city, "state": address.state, "postalCode": address.postal_code,
            "country": address.country})
        _XML.add_each(lines, "Line", address.lines)
    for contact in party.contacts:
        _XML.add(element, "Contact", attributes={
            "role": contact.role, "name": contact.name, "phone": contact.phone,
            "email": contact.email, "fax": contact.fax})


def _add_product(notice: etree._Element, product: AffectedProduct) -> None:
    element = _XML.add(notice, "Product")
    _XML.add_optional(element, "Name", product.name)
    _XML.add_optional(element, "Brand", product.brand)
    _XML.add_optional(element, "Model", product.model)
    _XML.add_optional(element, "Description", product.description)
    _add_item_ids(element, product.item_ids)
    _XML.add_each(element, "Lot", product.lots)
    _add_ranges(element, "LotRange", product.lot_ranges)
    _add_ranges(element, "SerialRange", product.serial_ranges)
    _add_ranges(element, "DateRange", product.date_ranges)
    _add_quantity(element, product.quantity)
    _XML.add_optional(element, "CodeInfo", product.code_info)


def _add_item_ids(parent: etree._Element, item_ids: tuple[ItemId, ...]) -> None:
    for item_id in item_ids:
        _XML.add(parent, "ItemId", item_id.value,
                 {"scheme": item_id.scheme.value, "qualifier": item_id.qualifier})


def _add_ranges(product: etree._Element, name: str, ranges: tuple[ValueRange, ...]) -> None:
    for value_range in ranges:
        _XML.add(product, name, attributes={"type": value_range.kind,
                                            "from": value_range.start, "to": value_range.end})


def _add_quantity(parent: etree._Element, quantity: Quantity | None) -> None:
    if quantity is not None:
        _XML.add(parent, "Quantity", optional_decimal(quantity.value), {"uom": quantity.unit})


def _add_action(notice: etree._Element, action: RequiredAction) -> None:
    return_to = action.return_to
    _XML.add(notice, "RequiredAction", action.instructions, {
        "type": action.action.value, "code": action.action_code,
        "deadline": None if action.deadline is None else day(action.deadline),
        "returnTo": None if return_to is None else return_to.value,
        "returnToQualifier": None if return_to is None else return_to.qualifier})


# --- this recipient's goods, and how to answer ------------------------------------------------
def _add_item(root: etree._Element, item: AffectedItem) -> None:
    element = _XML.add(root, "AffectedItem")
    _XML.add(element, "Document", item.document)
    _XML.add_optional(element, "Line", item.line)
    if item.identifier is not None:
        scheme, value = _split_identity(item.identifier)
        _XML.add(element, "ItemId", value, {"scheme": scheme})
    _XML.add_each(element, "Lot", item.lots)
    _XML.add_each(element, "Serial", item.serials)
    _XML.add_optional(element, "Quantity", optional_decimal(item.quantity), {"uom": item.unit})


def _split_identity(identity: str) -> tuple[str, str]:
    """'gtin:00614141000364' -> ('gtin', '00614141000364'); a value without a known scheme
    prefix is kept whole under 'other', since NDCs and SKUs may contain a colon themselves."""
    scheme, separator, value = identity.partition(":")
    if separator and value and scheme in _ITEM_SCHEMES:
        return scheme, value
    return ItemIdScheme.OTHER.value, identity


def _add_respond(root: etree._Element, notification: RecallNotification) -> None:
    notice_id = notification.notice.notice_id
    by = "" if notification.respond_by is None else f" by {day(notification.respond_by)}"
    words = (f"Please answer{by} with a recall response ({RESPONSE_SCHEMA}, namespace "
             f"{RESPONSE_NAMESPACE}) quoting notification {notification.notification_id} and "
             f"recall {notice_id}: say whether you received this, are acting on it, have "
             "completed every action or are not affected, with the units you found and "
             "returned.")
    _XML.add(root, "Respond", words, {
        "format": RESPONSE_NAMESPACE, "schema": RESPONSE_SCHEMA,
        "notificationId": notification.notification_id, "noticeId": notice_id,
        "respondBy": None if notification.respond_by is None
        else day(notification.respond_by)})
