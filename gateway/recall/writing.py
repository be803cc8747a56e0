"""What every XML document the gateway sends has in common, and the check before it goes out.

Documents are built with lxml's element API only, so every value goes in as element text or an
attribute value and lxml escapes it: nothing in a value can become markup. Characters XML 1.0
cannot carry are replaced (lxml would refuse them), never silently dropped.

`finish` serializes, then reads the bytes back through the same hardened parser and schema as
untrusted input: what we send is exactly what a partner validating against our XSD will see, and
a value that breaks the schema (an id too long, a naive datetime, a blank note) is our bug, so it
raises ValueError rather than sending a document the partner must reject.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import cast

from lxml import etree

from gateway.recall.parse import read_document
from gateway.recall.result import RecallError, plain_text
from gateway.recall.xsd import schema_errors

SCHEMA_VERSION = "1.0"
# Our own documents carry at most a notice (itself at most 10 MB as received) and its matches.
OUTBOUND_MAX_BYTES = 50_000_000
_REPORTED_PROBLEMS = 5  # enough to find a bug; the rest would only bury it


class DocumentBuilder:
    """Elements of one namespace, written as that namespace's default (no prefixes)."""

    def __init__(self, namespace: str) -> None:
        self.namespace = namespace

    def tag(self, name: str) -> str:
        return f"{{{self.namespace}}}{name}"

    def root(self, name: str) -> etree._Element:
        # The default namespace is the None prefix, which lxml-stubs 0.5 does not allow for.
        default_namespace = cast("dict[str, str]", {None: self.namespace})
        element = etree.Element(self.tag(name), nsmap=default_namespace)
        element.set("schemaVersion", SCHEMA_VERSION)
        return element

    def add(self, parent: etree._Element, name: str, text: str | None = None,
            attributes: Mapping[str, str | None] | None = None) -> etree._Element:
        """A child ``name`` with ``text`` and the attributes whose value is not None."""
        element = etree.SubElement(parent, self.tag(name))
        if text is not None:
            element.text = xml_text(text)
        for key, value in (attributes or {}).items():
            if value is not None:
                element.set(key, xml_text(value))
        return element

    def add_optional(self, parent: etree._Element, name: str, text: str | None,
                     attributes: Mapping[str, str | None] | None = None) -> None:
        """``add`` when there is a text; nothing when there is none."""
        if text is not None:
            self.add(parent, name, text, attributes)

    def add_each(self, parent: etree._Element, name: str, texts: tuple[str, ...]) -> None:
        for text in texts:
            self.add(parent, name, text)


def xml_text(value: str) -> str:
    """``value`` with characters XML 1.0 cannot carry replaced by U+FFFD, never shortened."""
    return plain_text(value, limit=len(value))


def zoned(moment: datetime, name: str) -> str:
    """ISO 8601 with its offset; a moment without a time zone means nothing to a partner."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got {moment.isoformat()}")
    return moment.isoformat()


def day(value: date) -> str:
    return value.isoformat()


def decimal_text(value: Decimal) -> str:
    """Positional notation: xs:decimal has no exponent, so Decimal('1E+3') must be '1000'."""
    if not value.is_finite():
        raise ValueError(f"{value} is not a number a document can carry")
    return format(value, "f")


def optional_decimal(value: Decimal | None) -> str | None:
    return None if value is None else decimal_text(value)


def finish(root: etree._Element, schema_name: str) -> bytes:
    """UTF-8 bytes with an XML declaration, pretty-printed, valid against ``schema_name``."""
    data = etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
    problems = outbound_errors(data, schema_name)
    if problems:
        shown = "; ".join(f"{problem.path or '?'}: {problem.message}"
                          for problem in problems[:_REPORTED_PROBLEMS])
        raise ValueError(f"the document does not meet {schema_name} ({len(problems)} "
                         f"problem(s)): {shown}")
    return data


def outbound_errors(data: bytes, schema_name: str) -> tuple[RecallError, ...]:
    """Every way ``data`` fails our hardened parsing or ``schema_name``; empty when valid."""
    document = read_document(data, max_bytes=OUTBOUND_MAX_BYTES)
    if document.root is None:
        return document.errors
    return schema_errors(document.root, schema_name)
