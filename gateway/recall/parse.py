"""Hardened parsing of untrusted XML: bytes in, an element tree or `RecallError` values out.

Defence in depth, because one missed layer must not be enough to hurt us:

1. size: anything over ``max_bytes`` (the caller's: ``limits.xml_size`` in config.yaml) is
   refused before libxml2 sees a byte;
2. DOCTYPE: refused before parsing (a byte scan in every encoding libxml2 guesses without a
   declaration) and again after parsing (``docinfo``), since a DTD is the door to entity expansion
   (billion laughs), external entities (file reads) and external DTD fetches;
3. structure: a streaming pass (libxml2 with the same hardened options, no tree built) counts
   elements, attributes, namespace declarations, children of one element and depth, and stops
   at the first ceiling a recall notice has no need to reach (`Ceilings`). A tree costs libxml2
   about 120 bytes a node, so 10 MB of ``<a/>x`` is 500 MB of tree: the counting pass refuses
   such a file in a fraction of a second, before any tree exists;
4. the parser itself: no entity substitution, no DTD loading, no network, libxml2's default size
   limits kept (``huge_tree=False``), no XInclude processing (we never call ``xinclude()``) and
   any XInclude element is refused outright, so no later stage is tempted to process it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sized
from dataclasses import dataclass, field
from typing import NoReturn, Protocol, cast

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


@dataclass(frozen=True, slots=True)
class Ceilings:
    """How much structure one XML file may have before it is refused unparsed.

    Derived from recall-notice-1.0.xsd, the largest of our inbound documents: one
    AffectedProduct may list up to 10,000 Lot, 1,000 LotRange, 1,000 SerialRange, 100
    Identifier and 20 DateRange elements beside its 5 single ones (12,125 children), and the
    notice itself up to 10,000 products and about 360 other children. The deepest path is 4
    levels (RecallNotice/Party/Address/Line; a CPSC record nests 5). So:

    - ``children``: 15,000 under one element, above the schema's 12,125;
    - ``elements``: 100,000 in the file: the 10,000 products the schema allows with a name, an
      identifier and up to 8 lots or ranges each, or 8 products with every lot the schema
      allows;
    - ``attributes``: 100,000 (a range carries two, most elements none);
    - ``namespaces``: 64 declarations (a notice needs one or two);
    - ``depth``: 32 levels (libxml2's own limit is 256).

    What the ceilings bound is memory: libxml2 spends about 120 bytes a node (10 MB of
    ``<a/>x`` is a 500 MB tree), and the schema validator's error log about 780 bytes an error,
    up to one or two errors per element and attribute. Under these ceilings a 10 MB file costs
    at most about 60 MB of tree and 150 MB of error log (bench/xml_memory.py measures it).
    """

    elements: int = 100_000
    attributes: int = 100_000
    children: int = 15_000
    namespaces: int = 64
    depth: int = 32


NOTICE_CEILINGS = Ceilings()


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


def read_document(data: bytes, *, max_bytes: int,
                  ceilings: Ceilings = NOTICE_CEILINGS) -> ParsedDocument:
    """Parse ``data`` if it passes every guard; the errors say which guard stopped it."""
    refusal = (_size_refusal(data, max_bytes) or _doctype_refusal(data)
               or structure_refusal(data, ceilings))
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


def structure_refusal(data: bytes, ceilings: Ceilings) -> RecallError | None:
    """The first ceiling ``data`` crosses, found by a pass that builds no tree; None when it
    stays under all of them or is not well-formed (the real parse then says where)."""
    # No data() or comment() method on purpose: lxml then makes no Python call for text.
    counter = cast("etree.ParserTarget", _StructureCounter(ceilings))
    parser = etree.XMLParser(target=counter, resolve_entities=False, no_network=True,
                             load_dtd=False, dtd_validation=False, huge_tree=False)
    try:
        etree.fromstring(data, parser)
    except _CeilingReached as reached:
        return reached.problem
    except etree.LxmlError:
        return None
    return None


class _CeilingReached(Exception):
    """Raised by the counting target: libxml2 stops at once and the exception comes back out."""

    def __init__(self, problem: RecallError) -> None:
        super().__init__(problem.code)
        self.problem = problem


@dataclass(slots=True)
class _OpenElement:
    step: str  # its part of the path: "Lot[12]"
    children: int = 0
    by_tag: dict[str, int] = field(default_factory=dict)  # for the next child's position


class _StructureCounter:
    """An lxml parser target: called for each start tag, end tag and namespace declaration,
    it keeps counts and the open path only (lxml builds no tree for a parser with a target)."""

    def __init__(self, ceilings: Ceilings) -> None:
        self.ceilings = ceilings
        self.elements = self.attributes = self.namespaces = 0
        self.open: list[_OpenElement] = []

    def start(self, tag: str, attrib: Sized) -> None:
        self.elements += 1
        self.attributes += len(attrib)
        self.open.append(_OpenElement(self._step(tag)))
        self._check(tag)

    def end(self, tag: str) -> None:
        self.open.pop()

    def start_ns(self, prefix: str | None, uri: str) -> None:
        self.namespaces += 1
        if self.namespaces > self.ceilings.namespaces:
            limit = self.ceilings.namespaces
            where = f"a child of {self._path()}" if self.open else "the root element"
            self._refuse("xml.too-many-namespaces", f"The file declares more than {limit:,} "
                         f"XML namespaces (the last on {where}); the limit is {limit:,}, and "
                         "a recall document needs one or two.")

    def close(self) -> None:
        return None

    def _step(self, tag: str) -> str:
        name = tag.rpartition("}")[2]
        if not self.open:
            return name
        parent = self.open[-1]
        parent.children += 1
        position = parent.by_tag[tag] = parent.by_tag.get(tag, 0) + 1
        return f"{name}[{position}]"

    def _check(self, tag: str) -> None:
        limits, where = self.ceilings, self._path()
        if len(self.open) > limits.depth:
            self._refuse("xml.too-deep", f"Elements are nested more than {limits.depth:,} "
                         f"levels deep, at {where}; the limit is {limits.depth:,}.")
        if len(self.open) > 1 and self.open[-2].children > limits.children:
            parent = "/" + "/".join(element.step for element in self.open[:-1])
            self._refuse("xml.too-many-children", f"The element {parent} has more than "
                         f"{limits.children:,} child elements; the limit for one element is "
                         f"{limits.children:,}. Send the products or lots in several files.")
        if self.elements > limits.elements:
            self._refuse("xml.too-many-elements", f"The file has more than "
                         f"{limits.elements:,} elements (the next one is {where}); the limit "
                         f"is {limits.elements:,}. Send the products or lots in several files.")
        if self.attributes > limits.attributes:
            self._refuse("xml.too-many-attributes", f"The file has more than "
                         f"{limits.attributes:,} attributes (counted up to {where}); the limit "
                         f"is {limits.attributes:,}.")

    def _path(self) -> str:
        return "/" + "/".join(element.step for element in self.open) if self.open else ""

    def _refuse(self, code: str, message: str) -> NoReturn:
        raise _CeilingReached(error(code, message + " The file was refused before it was "
                                    "read in full.", path=self._path() or None))


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
            # The tag filter runs in libxml2: only same-named siblings become Python objects.
            tag = current.tag
            position = 1 + sum(1 for _ in current.itersiblings(tag, preceding=True))
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
