"""CPSC Recalls Retrieval records (``<Recalls><Recall>`` or one ``<Recall>``) to a `RecallNotice`.

CPSC publishes no XSD, and its records are published data we do not control: unknown elements
are ignored, empty ones are normal, and problems that do not stop us from knowing which recall
this is (a UPC with a wrong check digit, an unreadable date) are WARNINGS, so the notice is
still accepted. A bad UPC is kept as published, because it is what is printed on the product
and what a return line may carry; the warning tells a person to look. Only a file with no
record, several records or no recall number is rejected.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date
from decimal import Decimal

from lxml import etree

from gateway.model import (
    AffectedProduct,
    Contact,
    DatedEvent,
    Identifier,
    ItemId,
    ItemIdScheme,
    Party,
    PartyRole,
    Quantity,
    RecallNotice,
    Reference,
    RequiredAction,
    RequiredActionType,
    Source,
)
from gateway.recall.checks import gtin_errors
from gateway.recall.parse import element_path, line_of, local_name, namespace_of
from gateway.recall.result import ERROR_LIMIT, RecallError, Severity, error

DIALECT = "cpsc"
ROOT_NAMES = frozenset({"Recalls", "Recall"})

_FIRM_GROUPS = (("Manufacturers", PartyRole.MANUFACTURER), ("Retailers", PartyRole.RETAILER),
                ("Importers", PartyRole.IMPORTER), ("Distributors", PartyRole.DISTRIBUTOR))
_REMEDY_ACTIONS = {"refund": RequiredActionType.REFUND, "replace": RequiredActionType.REPLACE,
                   "repair": RequiredActionType.REPAIR, "return": RequiredActionType.RETURN,
                   "dispose": RequiredActionType.DESTROY, "destroy": RequiredActionType.DESTROY}
_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")  # CPSC writes 2018-04-19 (JSON adds T00:00:00)
_PLAIN_COUNT = re.compile(r"\d{1,3}(,\d{3})+|\d+")  # "2900" or "2,900", nothing around it
_PHONE = re.compile(r"\b\d{3}-\d{3}-\d{4}\b")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")


def is_cpsc(root: etree._Element) -> bool:
    return namespace_of(root) is None and local_name(root) in ROOT_NAMES


def declared_notice_id(root: etree._Element) -> tuple[str, str | None] | None:
    """The recall number of a one-record file, for the ack (None when there is none)."""
    records = [root] if local_name(root) == "Recall" else root.findall("Recall")
    if len(records) != 1:
        return None
    notice_id = _text(records[0], "RecallNumber") or _text(records[0], "RecallID")
    return None if notice_id is None else (notice_id, "CPSC")


def read_cpsc(root: etree._Element) -> tuple[RecallNotice | None, tuple[RecallError, ...]]:
    """The notice of the one record in ``root`` with its warnings, or None with the reasons."""
    records = [root] if local_name(root) == "Recall" else root.findall("Recall")
    if len(records) != 1:
        return None, (_record_count_error(root, len(records)),)
    record = records[0]
    notice_id = _text(record, "RecallNumber") or _text(record, "RecallID")
    if notice_id is None:
        return None, (error("cpsc.missing-id", "The CPSC record has neither a RecallNumber nor "
                            "a RecallID, so the recall cannot be identified.",
                            line=line_of(record), path=element_path(record)),)
    dates, date_warnings = _dates(record)
    products, upc_warnings = _products(record)
    return _notice(record, notice_id, dates, products), (*date_warnings, *upc_warnings)


def _record_count_error(root: etree._Element, count: int) -> RecallError:
    if count == 0:
        return error("cpsc.no-record", "The file has no <Recall> record.", line=line_of(root),
                     path=element_path(root))
    return error("cpsc.multiple-records", f"The file has {count} <Recall> records; send one "
                 "record per file so that each recall gets its own answer.",
                 line=line_of(root), path=element_path(root))


def _notice(record: etree._Element, notice_id: str, dates: tuple[DatedEvent, ...],
            products: tuple[AffectedProduct, ...]) -> RecallNotice:
    return RecallNotice(
        notice_id=notice_id,
        notice_scheme="CPSC",
        authority="CPSC",
        title=_text(record, "Title"),
        description=_text(record, "Description"),
        dates=dates,
        parties=_parties(record),
        hazards=_texts(record, "Hazards/Hazard/Name"),
        products=products,
        actions=tuple(_remedy_action(option) for option in _texts(
            record, "RemedyOptions/RemedyOption/Option")),
        remedies=_texts(record, "Remedies/Remedy/Name"),
        injuries="\n\n".join(_texts(record, "Injuries/Injury/Name")) or None,
        links=_links(record),
        source=Source(standard="CPSC-XML", mapping=DIALECT),
    )


def _text(parent: etree._Element, path: str) -> str | None:
    element = parent.find(path)
    return None if element is None else (element.text or "").strip() or None


def _texts(parent: etree._Element, path: str) -> tuple[str, ...]:
    return tuple(text for element in parent.iterfind(path)
                 if (text := (element.text or "").strip()))


def _dates(record: etree._Element) -> tuple[tuple[DatedEvent, ...], tuple[RecallError, ...]]:
    events: list[DatedEvent] = []
    warnings: list[RecallError] = []
    for name, qualifier in (("RecallDate", "published"), ("LastPublishDate", "last-published")):
        element = record.find(name)
        text = "" if element is None else (element.text or "").strip()
        if element is None or not text:
            continue
        day = _day(text)
        if day is None:
            warnings.append(error("cpsc.date", f"{name} '{text}' is not a date (YYYY-MM-DD); "
                                  "it was left out.", line=line_of(element),
                                  path=element_path(element), severity=Severity.WARNING))
        else:
            events.append(DatedEvent(qualifier=qualifier, on=day))
    return tuple(events), tuple(warnings)


def _day(text: str) -> date | None:
    match = _ISO_DAY.match(text)
    try:
        return date.fromisoformat(match.group()) if match else None
    except ValueError:  # 2018-02-30 has the right shape and is still no day
        return None


def _parties(record: etree._Element) -> tuple[Party, ...]:
    parties = [_firm(firm, role, group[:-1]) for group, role in _FIRM_GROUPS
               for firm in record.iterfind(f"{group}/RecallFirm")
               if _text(firm, "Name") or _text(firm, "CompanyID")]
    contact = _text(record, "ConsumerContact")
    if contact is not None:
        parties.append(_consumer_contact(contact))
    return tuple(parties)


def _firm(firm: etree._Element, role: PartyRole, role_code: str) -> Party:
    company_id = _text(firm, "CompanyID")
    return Party(role=role, role_code=role_code, name=_text(firm, "Name"),
                 identifiers=() if company_id is None
                 else (Identifier(qualifier="CPSC-COMPANY-ID", value=company_id),))


def _consumer_contact(text: str) -> Party:
    """CPSC's ConsumerContact is one sentence naming a firm, phone numbers and web sites.

    The model has no free-text contact, so the sentence is kept whole as the contact's name and
    the first phone number and e-mail address in it are picked out for machines.
    """
    phone, email = _PHONE.search(text), _EMAIL.search(text)
    return Party(role=PartyRole.OTHER, role_code="ConsumerContact",
                 contacts=(Contact(role="CONSUMER", name=text,
                                   phone=phone.group() if phone else None,
                                   email=email.group() if email else None),))


def _products(record: etree._Element) -> tuple[tuple[AffectedProduct, ...],
                                                tuple[RecallError, ...]]:
    products = [_product(product) for product in record.iterfind("Products/Product")]
    upcs = [upc for upc in record.iterfind("ProductUPCs//UPC") if (upc.text or "").strip()]
    warnings = _upc_warnings(upcs)
    item_ids = tuple(ItemId(scheme=ItemIdScheme.UPC, value=_upc_value(upc), qualifier="UPC")
                     for upc in upcs)
    if not item_ids:
        return tuple(products), warnings
    # CPSC lists UPCs for the whole recall. With one product they are that product's; with
    # several nobody says which is whose, so they go on a product of their own.
    if len(products) == 1:
        return (replace(products[0], item_ids=item_ids),), warnings
    return (*products, AffectedProduct(item_ids=item_ids)), warnings


def _upc_warnings(upcs: list[etree._Element]) -> tuple[RecallError, ...]:
    # One more than the report shows, so that read_recall notes the rest; each warning walks
    # the tree for its path, which 100,000 bad UPCs must not make cost minutes.
    found: list[RecallError] = []
    for upc in upcs:
        if len(found) > ERROR_LIMIT:
            break
        found += gtin_errors(_upc_value(upc), upc, severity=Severity.WARNING)
    return tuple(found)


def _upc_value(upc: etree._Element) -> str:
    # Published UPCs are sometimes grouped for reading: "0 12345 67890 5", "012345-678905".
    return re.sub(r"[\s-]", "", upc.text or "")


def _product(product: etree._Element) -> AffectedProduct:
    units = _text(product, "NumberOfUnits")
    count = units if units is not None and _PLAIN_COUNT.fullmatch(units) else None
    return AffectedProduct(
        name=_text(product, "Name"),
        model=_text(product, "Model"),
        description=_text(product, "Description"),
        quantity=None if count is None else Quantity(Decimal(count.replace(",", "")), "EA"),
        # "About 2,900 (In addition, about 240 were sold in Canada)" is no number: kept as text.
        code_info=units if count is None else None,
    )


def _remedy_action(option: str) -> RequiredAction:
    action = _REMEDY_ACTIONS.get(option.strip().lower(), RequiredActionType.OTHER)
    return RequiredAction(action=action, action_code=option)


def _links(record: etree._Element) -> tuple[Reference, ...]:
    sources = [("URL", "source"), ("Images/Image/URL", "image"),
               ("Inconjunctions/Inconjunction/URL", "counterpart")]
    return tuple(Reference(qualifier=rel, value=url)
                 for path, rel in sources for url in _texts(record, path))
