"""The XML acknowledgement of one recall upload (``recall-ack-1.0.xsd``).

Built with lxml's element API only: every value, including text quoted from the sender's file,
goes in as element text or an attribute value, so lxml escapes it and nothing the sender wrote
can become markup. Values pass through `plain_text` first, which bounds their length and
replaces characters XML cannot carry.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import cast

from lxml import etree

from gateway.recall.parse import read_document
from gateway.recall.result import RecallError, RecallResult, plain_text
from gateway.recall.xsd import ACK_SCHEMA, schema_errors

NAMESPACE = "urn:returns-gateway:recall-ack:1"
_ACK_ID = re.compile(r"[A-Za-z0-9._:\-]{1,64}")
_ACK_LIMIT = 1_000_000  # an ack listing ERROR_LIMIT errors stays far below this


def build_recall_ack(result: RecallResult, *, received_at: datetime, ack_id: str) -> bytes:
    """The acknowledgement of ``result`` as UTF-8 XML bytes.

    Raises ValueError when ``received_at`` has no time zone or ``ack_id`` is not 1-64 of
    ``A-Z a-z 0-9 . _ : -``: both come from the gateway, not the sender, so that is our bug.
    """
    if received_at.tzinfo is None or received_at.utcoffset() is None:
        raise ValueError("received_at must be timezone-aware")
    if not _ACK_ID.fullmatch(ack_id):
        raise ValueError(f"ack_id {ack_id!r} is not 1-64 of A-Z a-z 0-9 . _ : -")
    # The default namespace is the None prefix, which lxml-stubs 0.5 does not allow for.
    default_namespace = cast("dict[str, str]", {None: NAMESPACE})
    root = etree.Element(_tag("RecallAck"), nsmap=default_namespace)
    root.set("schemaVersion", "1.0")
    _add(root, "AckId", ack_id)
    _add(root, "ReceivedAt", received_at.isoformat())
    if result.dialect is not None:
        _add(root, "Dialect", result.dialect)
    if result.declared_id is not None:
        notice_id, scheme = result.declared_id
        element = _add(root, "NoticeId", plain_text(notice_id, 256))
        if scheme:
            element.set("scheme", plain_text(scheme, 64))
    _add(root, "Status", "ACCEPTED" if result.accepted else "REJECTED")
    for problem in result.errors:
        _add_error(root, problem)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def ack_errors(ack: bytes) -> tuple[RecallError, ...]:
    """Every way ``ack`` breaks ``recall-ack-1.0.xsd`` (for tests and for partners' checks)."""
    document = read_document(ack, max_bytes=_ACK_LIMIT)
    if document.root is None:
        return document.errors
    if etree.QName(document.root).namespace != NAMESPACE:
        return (RecallError("schema.invalid", "The root is not a recall acknowledgement."),)
    return schema_errors(document.root, ACK_SCHEMA)


def _tag(name: str) -> str:
    return f"{{{NAMESPACE}}}{name}"


def _add(parent: etree._Element, name: str, text: str) -> etree._Element:
    element = etree.SubElement(parent, _tag(name))
    element.text = text
    return element


def _add_error(root: etree._Element, problem: RecallError) -> None:
    element = _add(root, "Error", plain_text(problem.message))
    element.set("code", problem.code)
    element.set("severity", problem.severity.value)
    if problem.line is not None and problem.line > 0:
        element.set("line", str(problem.line))
    if problem.path:
        element.set("path", plain_text(problem.path))
