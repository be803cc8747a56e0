"""Hardened parsing of untrusted XML: bytes in, an element tree or `RecallError` values out.

Defence in depth, because one missed layer must not be enough to hurt us:

1. size: anything over ``max_bytes`` is refused before libxml2 sees a byte;
2. DOCTYPE: refused before parsing (a byte scan in every encoding libxml2 guesses without a
   declaration) and again after parsing (``docinfo``), since a DTD is the door to entity expansion
   (billion laughs), external entities (file reads) and external DTD fetches;
3. the parser itself: no entity substitution, no DTD loading, no network, libxml2's default size
   limits kept (``huge_tree=False``), no XInclude processing (we never call ``xinclude()``) and
   any XInclude element is refused outright, so no later stage is tempted to process it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol, cast

from lxml import etree

from gateway.recall.result import RecallError, error

XINCLUDE_NAMESPACES = ("http://www.w3.org/2001/XInclude", "http://www.w3.org/2003/XInclude")

# "<!DOCTYPE" as libxml2 may read it: UTF-8 and ASCII-compatible encodings, then UTF-16 and
# UTF-32 in both byte orders (libxml2 guesses those from the first bytes, with or without a BOM).
_DOCTYPE_ENCODINGS = ("utf-8", "utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be")

# libxml2's words for a raw '&' or an undeclared entity, and what the sender should do instead.
_HINTS = (
    (re.compile(r"EntityRef"), "A raw '&' must be written &amp; (for example 'Wild &amp; Wolf')."),
    (re.compile(r"Entity '.*' not defined"),
     "Only &amp; &lt; &gt; &quot; &apos; and numeric character references are allowed."),
)


class LogEntry(Protocol):
    """The part of an lxml error-log entry we read (lxml-stubs 0.5 leaves the log untyped)."""

    line: int
    column: int
    message: str
    level: int
    path: str | None


def log_entries(log: object) -> list[LogEntry]:
    return list(cast("Iterable[LogEntry]", log))


@dataclass(frozen=True, slots=True)
class ParsedDocument:
    """The root element when the bytes are acceptable XML; otherwise the reasons they are not."""

    root: etree._Element | None
    errors: tuple[RecallError, ...] = ()


def hardened_parser() -> etree.XMLParser:
    """A fresh parser that cannot expand entities, load a DTD or reach a network.

    Fresh on every call: an lxml parser keeps its error log across documents, so a shared one
    would report one sender's errors in another sender's answer (and parsers are not for
    sharing between threads).
    """
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        attribute_defaults=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
        collect_ids=False,
    )


def read_document(data: bytes, *, max_bytes: int) -> ParsedDocument:
    """Parse ``data`` if it passes every guard; the errors say which guard stopped it."""
    refusal = _size_refusal(data, max_bytes) or _doctype_refusal(data)
    if refusal is not None:
        return ParsedDocument(None, (refusal,))
    parser = hardened_parser()
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        # The parser's own log, not exc.error_log: that one is lxml's thread-wide log and also
        # holds earlier documents' errors (schema errors included).
        return ParsedDocument(None, _syntax_errors(exc, parser.error_log))
    problems = _after_parse_problems(root)
    return ParsedDocument(None if problems else root, problems)


def _size_refusal(data: bytes, max_bytes: int) -> RecallError | None:
    if len(data) > max_bytes:
        return error("xml.too-large",
                     f"The file is {len(data):,} bytes; the limit is {max_bytes:,} bytes.")
    if not data.strip():
        return error("xml.empty", "The file is empty: there is no XML in it.")
    return None


def _doctype_refusal(data: bytes) -> RecallError | None:
    # Anywhere in the file, not only in the prolog: a comment that quotes "<!DOCTYPE" is refused
    # too, a price worth paying for a scan that needs no XML knowledge. Encodings this misses
    # (EBCDIC, which this libxml2 does not read anyway) meet the check after parsing.
    for encoding in _DOCTYPE_ENCODINGS:
        position = data.find("<!DOCTYPE".encode(encoding))
        if position >= 0:
            line = data[:position].decode(encoding, errors="replace").count("\n") + 1
            return _doctype_error(line)
    return None


def _doctype_error(line: int | None) -> RecallError:
    return error("xml.doctype-forbidden",
                 "The file has a DOCTYPE declaration. Recall notices must not carry a DTD "
                 "(it can define entities that expand or read files); remove the <!DOCTYPE ...>.",
                 line=line)


def _syntax_errors(exc: etree.XMLSyntaxError, log: object) -> tuple[RecallError, ...]:
    entries = [entry for entry in log_entries(log) if entry.level >= etree.ErrorLevels.ERROR]
    if not entries:  # lxml always logs the fatal error; this is only a safety net
        return (_not_well_formed(str(exc.msg), exc.lineno, None),)
    unique = dict.fromkeys((entry.message, entry.line, entry.column) for entry in entries)
    return tuple(_not_well_formed(message, line, column) for message, line, column in unique)


def _not_well_formed(message: str, line: int | None, column: int | None) -> RecallError:
    where = f"line {line}, column {column}" if column else f"line {line}"
    text = f"The XML is not well-formed at {where}: {message.strip()}."
    hints = [hint for pattern, hint in _HINTS if pattern.search(message)]
    return error("xml.not-well-formed", " ".join([text, *hints]), line=line or None)


def _after_parse_problems(root: etree._Element) -> tuple[RecallError, ...]:
    docinfo = root.getroottree().docinfo
    # internalDTD is set for any DOCTYPE, even one without an internal subset.
    if docinfo.internalDTD is not None or docinfo.externalDTD is not None:
        return (_doctype_error(None),)
    problems = [error("xml.xinclude-forbidden",
                      "XInclude is not processed here; remove the include element.",
                      line=line_of(element), path=element_path(element))
                for namespace in XINCLUDE_NAMESPACES
                for element in root.iter(f"{{{namespace}}}*")]
    problems += [error("xml.entity-forbidden", "Entity references are not allowed.",
                       line=line_of(entity))
                 for entity in root.iter(etree.Entity)]
    return tuple(problems)


def element_path(element: etree._Element) -> str:
    """An XPath-like path by local names: /RecallNotice/AffectedProduct[2]/Identifier[1]."""
    steps: list[str] = []
    current: etree._Element | None = element
    while current is not None:
        parent = current.getparent()
        name = etree.QName(current).localname
        if parent is None:
            steps.append(name)
        else:
            position = 1 + sum(1 for sibling in current.itersiblings(preceding=True)
                               if sibling.tag == current.tag)
            steps.append(f"{name}[{position}]")
        current = parent
    return "/" + "/".join(reversed(steps))


def line_of(element: etree._Element) -> int | None:
    """The line an element starts on (lxml-stubs 0.5 leaves ``sourceline`` untyped)."""
    line = element.sourceline
    return line if isinstance(line, int) else None


def local_name(element: etree._Element) -> str:
    return etree.QName(element).localname


def namespace_of(element: etree._Element) -> str | None:
    return etree.QName(element).namespace
