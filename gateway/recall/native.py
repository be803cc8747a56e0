"""Our own dialect, recall-notice 1.0 (``urn:returns-gateway:recall:1``), to a `RecallNotice`.

`notice_errors` checks what the XSD cannot (GS1 check digits, reversed date ranges) and
`to_notice` maps a document that passed every check: it relies on the schema for presence, types
and closed value sets, so it does no guessing of its own.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from lxml import etree

from gateway.model import (
    Address,
    AffectedProduct,
    Contact,
    DatedEvent,
    Identifier,
    ItemId,
    ItemIdScheme,
    NoticeVersionStatus,
    Party,
    PartyRole,
    Quantity,
    RecallNotice,
    RecallReason,
    RecallStatus,
    Reference,
    RequiredAction,
    RequiredActionType,
    Source,
    ValueRange,
)
from gateway.recall.checks import gln_errors, gtin_errors
from gateway.recall.parse import element_path, line_of
from gateway.recall.result import ERROR_LIMIT, RecallError, error

NAMESPACE = "urn:returns-gateway:recall:1"
DIALECT = "recall-notice-1.0"
GTIN_SCHEMES = frozenset({"GTIN", "UPC", "EAN"})

# The Dates attributes, and the DatedEvent qualifier each becomes (shared with the CPSC mapping).
DATE_QUALIFIERS = {"initiated": "initiated", "classified": "classified",
                   "published": "published", "lastPublished": "last-published",
                   "terminated": "terminated"}

# GS1 has an impacted recipient; the canonical model has no such role, so the code is kept.
_PARTY_ROLES = {"RECALLING_FIRM": PartyRole.RECALLING_FIRM,
                "MANUFACTURER": PartyRole.MANUFACTURER, "IMPORTER": PartyRole.IMPORTER,
                "DISTRIBUTOR": PartyRole.DISTRIBUTOR, "RETAILER": PartyRole.RETAILER,
                "RECIPIENT": PartyRole.RECIPIENT}


def _tag(name: str) -> str:
    return f"{{{NAMESPACE}}}{name}"


def _all(parent: etree._Element, name: str) -> list[etree._Element]:
    return parent.findall(_tag(name))


def _text(parent: etree._Element, name: str) -> str | None:
    child = parent.find(_tag(name))
    return None if child is None else _own_text(child)


def _own_text(element: etree._Element) -> str | None:
    return (element.text or "").strip() or None


def _day(value: str | None) -> date | None:
    # The schema restricts every date to YYYY-MM-DD, which fromisoformat reads exactly.
    return None if value is None else date.fromisoformat(value)


def declared_notice_id(root: etree._Element) -> tuple[str, str | None] | None:
    """The NoticeId as written, read even from an invalid document (for the ack)."""
    element = root.find(_tag("NoticeId"))
    text = None if element is None else _own_text(element)
    return None if element is None or text is None else (text, element.get("scheme"))


# --- checks the schema cannot make ------------------------------------------------------------
def notice_errors(root: etree._Element) -> tuple[RecallError, ...]:
    """GS1 check digits of item identifiers and GLNs, and date ranges that end before they start."""
    # Each error walks the tree for its path: past the report's limit nobody reads them, and
    # a file of 100,000 bad GLNs must not cost minutes (read_recall notes the truncation).
    found: list[RecallError] = []
    for identifier in root.iter(_tag("Identifier")):
        if len(found) > ERROR_LIMIT:
            return tuple(found)
        if identifier.get("scheme") in GTIN_SCHEMES:
            found += gtin_errors((identifier.text or "").strip(), identifier)
    for gln in root.iter(_tag("GLN"), _tag("RequiredAction")):
        if len(found) > ERROR_LIMIT:
            return tuple(found)
        value = gln.text if gln.tag == _tag("GLN") else gln.get("returnToGLN")
        if value:
            found += gln_errors(value.strip(), gln)
    for date_range in root.iter(_tag("DateRange")):
        if len(found) > ERROR_LIMIT:
            return tuple(found)
        found += _reversed_range(date_range)
    return tuple(found)


def _reversed_range(element: etree._Element) -> list[RecallError]:
    start, end = element.get("from", ""), element.get("to", "")
    # ISO dates compare correctly as text; anything else is the schema's error to report.
    if len(start) == len(end) == 10 and start > end:
        where = element_path(element)
        return [error("range.reversed", f"The date range at {where} ends ({end}) before it "
                      f"starts ({start}).", line=line_of(element), path=where)]
    return []


# --- mapping ----------------------------------------------------------------------------------
def to_notice(root: etree._Element) -> RecallNotice:
    """The canonical notice of a document that is schema-valid and passed `notice_errors`."""
    notice_id = root.find(_tag("NoticeId"))
    assert notice_id is not None  # required by the schema
    original = root.find(_tag("OriginalNoticeId"))
    version = root.find(_tag("NoticeVersion"))
    classification = root.find(_tag("Classification"))
    voluntary = _text(root, "VoluntaryMandated")
    status = _text(root, "RecallStatus")
    return RecallNotice(
        notice_id=_own_text(notice_id) or "",
        notice_scheme=notice_id.get("scheme"),
        original_notice_id=None if original is None else _own_text(original),
        version_status=None if version is None
        else NoticeVersionStatus(version.get("status", "").lower()),
        version=None if version is None or version.get("seq") is None
        else int(version.get("seq", "")),
        status=None if status is None else RecallStatus(status.lower()),
        authority=_text(root, "Authority"),
        classification=None if classification is None else _own_text(classification),
        classification_scheme=None if classification is None else classification.get("scheme"),
        voluntary=None if voluntary is None else voluntary == "VOLUNTARY",
        title=_text(root, "Title"),
        description=_text(root, "Description"),
        dates=_dates(root.find(_tag("Dates"))),
        parties=tuple(_party(party) for party in _all(root, "Party")),
        reasons=tuple(RecallReason(text=_own_text(reason) or "", code=reason.get("code"),
                                   scheme=reason.get("scheme"))
                      for reason in _all(root, "Reason")),
        hazards=tuple(_own_text(hazard) or "" for hazard in _all(root, "Hazard")),
        products=tuple(_product(product) for product in _all(root, "AffectedProduct")),
        distribution=_distribution(root.find(_tag("Distribution"))),
        actions=tuple(_action(action) for action in _all(root, "RequiredAction")),
        injuries=_text(root, "Injuries"),
        links=tuple(Reference(qualifier=link.get("rel", ""), value=_own_text(link) or "")
                    for link in _all(root, "Link")),
        source=Source(standard="RECALL-XML", version="1.0", mapping=DIALECT),
    )


def _dates(element: etree._Element | None) -> tuple[DatedEvent, ...]:
    if element is None:
        return ()
    return tuple(DatedEvent(qualifier=qualifier, on=date.fromisoformat(element.get(name, "")))
                 for name, qualifier in DATE_QUALIFIERS.items() if element.get(name))


def _party(element: etree._Element) -> Party:
    role_code = element.get("role", "")
    identifiers = [Identifier(qualifier=name, value=value) for name in ("GLN", "DUNS")
                   if (value := _text(element, name))]
    address = element.find(_tag("Address"))
    return Party(
        role=_PARTY_ROLES.get(role_code, PartyRole.OTHER),
        role_code=role_code,
        name=_text(element, "Name"),
        identifiers=tuple(identifiers),
        address=None if address is None else _address(address),
        contacts=tuple(Contact(role=contact.get("type"), name=contact.get("name"),
                               phone=contact.get("phone"), email=contact.get("email"))
                       for contact in _all(element, "Contact")),
    )


def _address(element: etree._Element) -> Address:
    return Address(lines=tuple(_own_text(line) or "" for line in _all(element, "Line")),
                   city=element.get("city"), state=element.get("state"),
                   postal_code=element.get("postalCode"), country=element.get("country"))


def _product(element: etree._Element) -> AffectedProduct:
    quantity = element.find(_tag("QuantityAffected"))
    return AffectedProduct(
        name=_text(element, "Name"),
        brand=_text(element, "Brand"),
        model=_text(element, "Model"),
        description=_text(element, "Description"),
        item_ids=tuple(_item_id(identifier) for identifier in _all(element, "Identifier")),
        lots=tuple(_own_text(lot) or "" for lot in _all(element, "Lot")),
        lot_ranges=tuple(_range(lot_range, "LOT") for lot_range in _all(element, "LotRange")),
        serial_ranges=tuple(_range(serials, "SERIAL")
                            for serials in _all(element, "SerialRange")),
        date_ranges=tuple(_range(dates, dates.get("type")) for dates in _all(element, "DateRange")),
        quantity=None if quantity is None
        else Quantity(Decimal((quantity.text or "").strip()), quantity.get("uom", "EA")),
        code_info=_text(element, "CodeInfoText"),
    )


def _item_id(element: etree._Element) -> ItemId:
    scheme = element.get("scheme", "")
    return ItemId(scheme=ItemIdScheme(scheme.lower().replace("_", "-")),
                  value=_own_text(element) or "", qualifier=scheme)


def _range(element: etree._Element, kind: str | None) -> ValueRange:
    return ValueRange(start=element.get("from", ""), end=element.get("to", ""), kind=kind)


def _distribution(element: etree._Element | None) -> tuple[str, ...]:
    if element is None:
        return ()
    return tuple(text for child in element if (text := _own_text(child)))


def _action(element: etree._Element) -> RequiredAction:
    code = element.get("type", "")
    gln = element.get("returnToGLN")
    return RequiredAction(
        action=RequiredActionType(code.lower().replace("_", "-")),
        action_code=code,
        deadline=_day(element.get("deadline")),
        instructions=_own_text(element),
        return_to=None if gln is None else Identifier(qualifier="GLN", value=gln),
    )
