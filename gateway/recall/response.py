"""Recall response 1.0 (``urn:returns-gateway:recall-response:1``): a partner's answer to a
recall notification, read with the same hardening and error style as `read_recall`.

``read_recall_response`` never raises: size and DOCTYPE guards and the hardened parser of
`gateway.recall.parse`, then the root, ``schema/recall-response-1.0.xsd`` and the checks XSD 1.0
cannot make, each problem a `RecallError` with its line and element path. Codes: ``xml.*`` (not
acceptable XML), ``response.not-a-response`` (another document), ``schema.invalid``,
``response.count-unplaced``, ``response.datetime`` and the warning
``response.units-exceed-found``. ``build_recall_response`` writes one (the partner's side: tests
and the demo play the partner with it).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from lxml import etree

from gateway.recall.parse import element_path, line_of, local_name, namespace_of, read_document
from gateway.recall.result import ERROR_LIMIT, RecallError, Severity, error, plain_text
from gateway.recall.writing import DocumentBuilder, decimal_text, finish, optional_decimal, zoned
from gateway.recall.xsd import schema_errors

NAMESPACE = "urn:returns-gateway:recall-response:1"
RESPONSE_SCHEMA = "recall-response-1.0.xsd"
ROOT_NAME = "RecallResponse"
DEFAULT_MAX_BYTES = 10 * 1024 * 1024  # read_recall's: a response is far smaller still

_XML = DocumentBuilder(NAMESPACE)


class ResponseStatus(StrEnum):
    RECEIVED = "received"  # read; nothing done yet
    ACTING = "acting"  # goods are being looked for, held or sent back
    COMPLETE = "complete"  # every required action is done
    NOT_AFFECTED = "not-affected"  # none of the product is here


@dataclass(frozen=True, slots=True)
class LocationCount:
    """Units at one location and/or of one lot (at least one of the two is named)."""

    units_found: Decimal
    location: str | None = None
    lot: str | None = None
    units_returned: Decimal | None = None


@dataclass(frozen=True, slots=True)
class RecallResponse:
    notification_id: str  # the notification answered (ours)
    notice_id: str  # the recall it carried
    responder: str  # the partner's own id for itself
    responded_at: datetime  # timezone-aware
    status: ResponseStatus
    units_found: Decimal | None = None  # eaches
    units_returned: Decimal | None = None
    counts: tuple[LocationCount, ...] = ()
    note: str | None = None


@dataclass(frozen=True, slots=True)
class RecallResponseResult:
    response: RecallResponse | None
    errors: tuple[RecallError, ...] = ()
    # The NotificationId as written, known even when the response is rejected, so that an
    # operator can tell which notification a broken answer was about.
    declared_notification_id: str | None = None

    @property
    def accepted(self) -> bool:
        """A response was read and nothing in the file is an error (warnings do not reject)."""
        return self.response is not None and not any(
            problem.severity is Severity.ERROR for problem in self.errors)


# --- writing ----------------------------------------------------------------------------------
def build_recall_response(response: RecallResponse) -> bytes:
    """``response`` as UTF-8 XML valid against recall-response-1.0.xsd (ValueError if it
    cannot be: a naive datetime, a negative count, a count naming neither location nor lot)."""
    unplaced = [count for count in response.counts if not (count.location or count.lot)]
    if unplaced:
        raise ValueError("every count must name a location or a lot")
    root = _XML.root(ROOT_NAME)
    _XML.add(root, "NotificationId", response.notification_id)
    _XML.add(root, "NoticeId", response.notice_id)
    _XML.add(root, "Responder", response.responder)
    _XML.add(root, "RespondedAt", zoned(response.responded_at, "responded_at"))
    _XML.add(root, "Status", ResponseStatus(response.status).value)
    _XML.add_optional(root, "UnitsFound", optional_decimal(response.units_found))
    _XML.add_optional(root, "UnitsReturned", optional_decimal(response.units_returned))
    for count in response.counts:
        _XML.add(root, "Count", attributes={
            "location": count.location, "lot": count.lot,
            "found": decimal_text(count.units_found),
            "returned": optional_decimal(count.units_returned)})
    _XML.add_optional(root, "Note", response.note)
    return finish(root, RESPONSE_SCHEMA)


# --- reading ----------------------------------------------------------------------------------
def read_recall_response(data: bytes, *,
                         max_bytes: int = DEFAULT_MAX_BYTES) -> RecallResponseResult:
    """Read one recall response; every problem is in the result, nothing is raised."""
    try:
        return _capped(_read(bytes(data), max_bytes))
    except Exception:  # the promise is "never raises"; the message carries no traceback
        return RecallResponseResult(None, (error(
            "internal.error", "The gateway could not read this file because of an internal "
                              "fault; it has been rejected. Please report it."),))


def is_response_root(root: etree._Element) -> bool:
    """Any root in our response namespace: its reader names the one root it expects."""
    return namespace_of(root) == NAMESPACE


def _read(data: bytes, max_bytes: int) -> RecallResponseResult:
    document = read_document(data, max_bytes=max_bytes)
    if document.root is None:
        return RecallResponseResult(None, document.errors)
    root = document.root
    if not (is_response_root(root) and local_name(root) == ROOT_NAME):
        return RecallResponseResult(None, (_not_a_response(root),))
    declared = _declared_notification_id(root)
    problems = schema_errors(root, RESPONSE_SCHEMA)
    if problems:  # the checks below read values the schema has vouched for
        return RecallResponseResult(None, problems, declared)
    problems = _value_errors(root)
    rejected = any(problem.severity is Severity.ERROR for problem in problems)
    return RecallResponseResult(None if rejected else _to_response(root), problems, declared)


def _not_a_response(root: etree._Element) -> RecallError:
    namespace = namespace_of(root)
    found = f"<{local_name(root)}>" + (f" in namespace '{namespace}'" if namespace else "")
    return error("response.not-a-response",
                 f"The root element is {found}. Expected <{ROOT_NAME}> in namespace "
                 f"'{NAMESPACE}' (recall-response 1.0).", line=line_of(root),
                 path=element_path(root))


def _declared_notification_id(root: etree._Element) -> str | None:
    element = root.find(_XML.tag("NotificationId"))
    text = None if element is None else _token(element)
    return None if not text else plain_text(text, 64)


# --- checks the schema cannot make --------------------------------------------------------------
def _value_errors(root: etree._Element) -> tuple[RecallError, ...]:
    found = [_unplaced(count) for count in root.iterfind(_XML.tag("Count"))
             if not (count.get("location") or count.get("lot"))]
    responded_at = _child(root, "RespondedAt")
    if _moment(responded_at) is None:
        found.append(_located("response.datetime", "RespondedAt", responded_at,
                              f"'{_token(responded_at)}' is a valid XML dateTime but no real "
                              "moment (hour 24 is not accepted); write 00:00 of the next day."))
    found += _returned_over_found(root)
    return tuple(found)


def _unplaced(count: etree._Element) -> RecallError:
    return _located("response.count-unplaced", "Count", count,
                    "names neither a location nor a lot; say which units these are, or put "
                    "the totals in UnitsFound / UnitsReturned.")


def _returned_over_found(root: etree._Element) -> list[RecallError]:
    found_element = root.find(_XML.tag("UnitsFound"))
    returned_element = root.find(_XML.tag("UnitsReturned"))
    if found_element is None or returned_element is None:
        return []
    if _decimal(returned_element) <= _decimal(found_element):
        return []
    # A partner may return units found after it answered; worth a look, not a rejection.
    return [_located("response.units-exceed-found", "UnitsReturned", returned_element,
                     "is more than UnitsFound.", severity=Severity.WARNING)]


def _located(code: str, name: str, element: etree._Element, text: str, *,
             severity: Severity = Severity.ERROR) -> RecallError:
    where = element_path(element)
    line = line_of(element)
    return error(code, f"Line {line}: {name} at {where} {text}", line=line, path=where,
                 severity=severity)


# --- mapping ----------------------------------------------------------------------------------
def _to_response(root: etree._Element) -> RecallResponse:
    """The response of a document that is schema-valid and passed `_value_errors`."""
    note = root.find(_XML.tag("Note"))
    responded_at = _moment(_child(root, "RespondedAt"))
    assert responded_at is not None  # checked by _value_errors
    return RecallResponse(
        notification_id=_token(_child(root, "NotificationId")),
        notice_id=_token(_child(root, "NoticeId")),
        responder=_token(_child(root, "Responder")),
        responded_at=responded_at,
        status=ResponseStatus(_token(_child(root, "Status"))),
        units_found=_optional_decimal(root.find(_XML.tag("UnitsFound"))),
        units_returned=_optional_decimal(root.find(_XML.tag("UnitsReturned"))),
        counts=tuple(_count(count) for count in root.iterfind(_XML.tag("Count"))),
        note=None if note is None else (note.text or "").strip() or None,
    )


def _count(element: etree._Element) -> LocationCount:
    returned = element.get("returned")
    return LocationCount(units_found=Decimal(element.get("found", "").strip()),
                         location=_collapsed(element.get("location")),
                         lot=_collapsed(element.get("lot")),
                         units_returned=None if returned is None else Decimal(returned.strip()))


def _child(root: etree._Element, name: str) -> etree._Element:
    element = root.find(_XML.tag(name))
    if element is None:  # the schema requires it; reaching here is our bug
        raise LookupError(f"{name} is missing from a schema-valid response")
    return element


def _token(element: etree._Element) -> str:
    # xs:token collapses white space: 'RN  2024' and 'RN 2024' are the same id to the schema.
    return " ".join((element.text or "").split())


def _collapsed(value: str | None) -> str | None:
    return None if value is None else " ".join(value.split()) or None


def _decimal(element: etree._Element) -> Decimal:
    return Decimal(_token(element))


def _optional_decimal(element: etree._Element | None) -> Decimal | None:
    return None if element is None else _decimal(element)


def _moment(element: etree._Element) -> datetime | None:
    """The moment written, or None when XML allows it and Python does not (24:00:00)."""
    try:
        return datetime.fromisoformat(_token(element))
    except ValueError:
        return None


def _capped(result: RecallResponseResult) -> RecallResponseResult:
    if len(result.errors) <= ERROR_LIMIT:
        return result
    note = error("report.truncated", f"More errors were found than the {ERROR_LIMIT} listed; "
                 "correct these and send the file again to see the rest.")
    return RecallResponseResult(result.response, (*result.errors[:ERROR_LIMIT], note),
                                result.declared_notification_id)
