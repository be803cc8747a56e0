"""The fast validator's grammar: our generated maps compiled into plain tables, once per process.

The maps under ``gateway/x12/grammar/maps`` are generated from ``grammar/source`` and are what
pyx12 reads; compiling the *same files* (rather than the YAML a second way) means the two
engines can never validate against different grammars. Everything pyx12 works out again for
every segment (sorted positions, X12 paths, element definitions, qualifier keys) is worked out
here once: loops hold their children in position order with a per-tag index, segments hold
their element specs, syntax rules and the qualifier that picks them.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET  # our own generated files, never partner data
from bisect import bisect_left
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from gateway.errors import GrammarError
from gateway.x12.fast.dates import valid_date, valid_time
from gateway.x12.grammar import map_dir
from gateway.x12.grammar.lookup import element_dictionary

UNLIMITED = 2**31 - 1  # pyx12's MAXINT for ">1"


@dataclass(frozen=True, slots=True)
class ElementRule:
    """One simple element (or one component of a composite)."""

    number: str  # data element number, e.g. "127"
    name: str
    usage: str  # R, S or N
    seq: int  # position in its segment, or in its composite
    kind: str  # AN, ID, R, N0..N9, DT, TM, B
    min_length: int
    max_length: int
    codes: frozenset[str] | None  # inline codes, then the external list; None: no list
    inline_codes: tuple[str, ...]  # only the map's inline <code>s (they pick segments)
    in_composite: bool
    composite_usage: str  # the enclosing composite's usage ("" for a simple element)
    element_position: int  # where an error is reported: the segment's element position...
    component_position: int | None  # ...and, inside a composite, the component's
    # True when a (non-empty) value passes every check pyx12 makes, with no warning either;
    # False sends it to the full check, which says what is wrong. None: always the full check.
    passes: Callable[[str], bool] | None = None


@dataclass(frozen=True, slots=True)
class CompositeRule:
    number: str
    name: str
    refdes: str
    usage: str
    seq: int
    parts: tuple[ElementRule, ...]


@dataclass(eq=False, slots=True)
class SegmentRule:
    tag: str
    name: str
    usage: str
    pos: int
    max_use: int
    parent: LoopRule
    slots: tuple[ElementRule | CompositeRule, ...] = ()
    plain: bool = True  # no DTP or 1250/1251 date typing: each element is checked on its own
    syntax: tuple[tuple[str, tuple[int, ...]], ...] = ()
    # Which element's value picks this segment node among others with the same tag
    # (pyx12's "unique key"): (element position, component position or 0, codes).
    key: tuple[int, int, frozenset[str]] | None = None

    @property
    def first_tag(self) -> str:
        return self.tag


@dataclass(eq=False, slots=True)
class LoopRule:
    id: str
    name: str
    usage: str
    pos: int
    max_repeat: int
    parent: LoopRule | None
    index: int  # this loop's number in its map: counters live in a list by it
    children: list[SegmentRule | LoopRule] = field(default_factory=list)
    positions: list[int] = field(default_factory=list)
    descendants: tuple[int, ...] = ()  # indexes of this loop and every loop inside it
    _scan: dict[str, tuple[int, ...]] = field(default_factory=dict)

    @property
    def first_tag(self) -> str:
        first = self.children[0] if self.children else None
        return "" if first is None else first.first_tag

    def start(self, pos: int) -> int:
        """Index of the first child at or after position ``pos``."""
        return bisect_left(self.positions, pos)

    def candidates(self, tag: str) -> tuple[int, ...]:
        """Indexes of the children a segment with ``tag`` can affect when it is looked for: those
        it may match, and the mandatory ones (whose absence a scan past them records)."""
        found = self._scan.get(tag)
        if found is None:
            found = tuple(i for i, child in enumerate(self.children)
                          if child.usage == "R" or child.first_tag == tag
                          or (isinstance(child, LoopRule) and _is_wrapper(child)))
            self._scan[tag] = found
        return found


def _is_wrapper(loop: LoopRule) -> bool:
    return bool(loop.children) and isinstance(loop.children[0], LoopRule)


@dataclass(frozen=True, slots=True)
class SetGrammar:
    """One transaction set's map, compiled."""

    family: str
    set_id: str
    st_loop: LoopRule
    st: SegmentRule
    loops: tuple[LoopRule, ...]  # by index
    extended_charset_5: bool  # 005010's extended set (adds ^ and `) for AN / ID


@cache
def set_grammar(family: str, set_id: str) -> SetGrammar | None:
    """The compiled grammar of ``set_id`` in ``family``; None when we ship no map for it."""
    folder = map_dir(family)
    if not (folder / "maps.xml").is_file():
        raise GrammarError(f"the {family} grammar folder {folder} is missing or incomplete; "
                           "reinstall the gateway")
    path = folder / f"{set_id}.{family[2:]}.xml"
    if not path.is_file():
        return None
    return _Compiler(family, folder).compile(set_id, path)


@cache
def _external_codes(folder: Path) -> dict[str, frozenset[str]]:
    root = ET.parse(folder / "codes.xml").getroot()
    return {c.findtext("id") or "": frozenset(x.text or "" for x in c.iterfind("version/code"))
            for c in root.iter("codeset")}


class _Compiler:
    def __init__(self, family: str, folder: Path) -> None:
        self.family = family
        # pyx12 picks its character set by the map's ISA12; ours is 00501 exactly in 005010.
        self.extended_5 = family == "005010"
        self.dictionary = element_dictionary(family)
        self.external = _external_codes(folder)
        self.loops: list[LoopRule] = []

    def compile(self, set_id: str, path: Path) -> SetGrammar:
        root = self._loop(ET.parse(path).getroot(), None, root=True)
        st_loop = _find_loop(root, "ST_LOOP")
        st = st_loop.children[0]
        assert isinstance(st, SegmentRule) and st.tag == "ST"
        return SetGrammar(self.family, set_id, st_loop, st, tuple(self.loops),
                          extended_charset_5=self.extended_5)

    def _loop(self, node: ET.Element, parent: LoopRule | None, *, root: bool = False) -> LoopRule:
        loop = LoopRule("" if root else node.get("xid", ""), _text(node, "name"),
                        _text(node, "usage"), _int(node, "pos"),
                        _repeat(_text(node, "repeat")), parent, len(self.loops))
        self.loops.append(loop)
        children: list[SegmentRule | LoopRule] = []
        for child in node:
            if child.tag == "loop":
                children.append(self._loop(child, loop))
            elif child.tag == "segment":
                children.append(self._segment(child, loop))
        children.sort(key=lambda c: c.pos)  # pyx12 scans children by position
        loop.children = children
        loop.positions = [c.pos for c in children]
        loop.descendants = tuple(range(loop.index, len(self.loops)))
        return loop

    def _segment(self, node: ET.Element, parent: LoopRule) -> SegmentRule:
        segment = SegmentRule(node.get("xid", ""), _text(node, "name"), _text(node, "usage"),
                              _int(node, "pos"), _repeat(_text(node, "max_use")), parent)
        slots: dict[int, ElementRule | CompositeRule] = {}
        for child in node:
            if child.tag == "element":
                rule = self._element(child, composite=None)
                slots[rule.seq] = rule
            elif child.tag == "composite":
                composite = self._composite(child)
                slots[composite.seq] = composite
        segment.slots = tuple(slots[seq] for seq in sorted(slots))
        rules = [_syntax(note.text) for note in node.findall("syntax")]
        segment.syntax = tuple(rule for rule in rules if rule is not None)
        segment.key = _unique_key(segment)
        segment.plain = segment.tag != "DTP" and not any(
            slot.number in ("1250", "1251") for slot in segment.slots)
        return segment

    def _composite(self, node: ET.Element) -> CompositeRule:
        usage, seq = _text(node, "usage"), _int(node, "seq")
        parts = tuple(self._element(child, composite=(usage, seq))
                      for child in node.findall("element"))
        refdes = node.findtext("refdes") or node.get("xid") or ""
        return CompositeRule(_text(node, "data_ele"), _text(node, "name"), refdes, usage, seq,
                             parts)

    def _element(self, node: ET.Element, *, composite: tuple[str, int] | None) -> ElementRule:
        """A simple element, or a component of the composite with (usage, seq) ``composite``."""
        number = _text(node, "data_ele")
        kind, low, high, _name = self.dictionary[number]
        listed = node.find("valid_codes")
        inline = tuple(c.text or "" for c in listed.findall("code")) if listed is not None else ()
        codes: frozenset[str] | None = None
        if listed is not None:
            external = listed.get("external")
            codes = frozenset(inline) | (self.external[external] if external else frozenset())
            if not inline and not external:
                codes = None
        seq = _int(node, "seq")
        position, component = (seq, None) if composite is None else (composite[1], seq)
        return ElementRule(number, _text(node, "name"), _text(node, "usage"), seq, kind, low,
                           high, codes, inline, composite is not None,
                           composite[0] if composite else "", element_position=position,
                           component_position=component,
                           passes=_passes(kind, low, high, codes, self.extended_5))

# X12's extended character set as pyx12 checks it (005010 adds ^ and `).
_EXTENDED = r"""A-Z0-9!"&'()*+,\-\./:;?= a-z%~@\[\]_{}\\|<>#$"""
_EXTENDED_5 = _EXTENDED + "^`"


def _passes(kind: str, low: int, high: int, codes: frozenset[str] | None,
            extended_5: bool) -> Callable[[str], bool] | None:
    """The quick test of a value that needs no finding: length and type in one regular
    expression (and the code list), so a clean file costs one C call per element."""
    if kind in ("AN", "ID"):
        characters = _EXTENDED_5 if extended_5 else _EXTENDED
        shape = re.compile(f"[{characters}]{{{low},{high}}}").fullmatch
        def text(value: str) -> bool:
            return shape(value) is not None and value[-1] != " "  # a trailing space warns
        check = text
    elif kind[:1] == "N":
        number = re.compile(f"-?[0-9]{{{low},{high}}}", re.ASCII).fullmatch
        def whole(value: str) -> bool:
            return number(value) is not None
        check = whole
    elif kind == "R":
        decimal = re.compile(r"-?[0-9]*(\.[0-9]+)?", re.ASCII).fullmatch
        def real(value: str) -> bool:
            size = len(value) - value.count("-") - value.count(".")
            return low <= size <= high and decimal(value) is not None
        check = real
    elif kind in ("DT", "TM"):
        def dated(value: str) -> bool:
            return low <= len(value) <= high and (
                valid_date("DT", value) if kind == "DT" else valid_time(value))
        check = dated
    else:
        return None  # binary data: always the full check
    if codes is None:
        return check
    return lambda value: value in codes and check(value)


def _unique_key(segment: SegmentRule) -> tuple[int, int, frozenset[str]] | None:
    """pyx12's ``_resolve_unique_key_field(with_qual=False)``: the element whose inline codes
    tell this segment node apart from others with the same tag, or None (any value matches)."""
    slots = segment.slots
    first = slots[0] if slots else None
    second = slots[1] if len(slots) > 1 else None
    third = slots[2] if len(slots) > 2 else None
    if (isinstance(first, ElementRule) and first.kind == "ID" and first.usage == "R"
            and first.inline_codes):
        return 1, 0, frozenset(first.inline_codes)
    if (segment.tag == "ENT" and isinstance(second, ElementRule) and second.kind == "ID"
            and second.inline_codes):
        return 2, 0, frozenset(second.inline_codes)
    if isinstance(first, CompositeRule) and first.parts[0].inline_codes and (
            first.parts[0].kind == "ID" or (segment.tag == "CTX" and first.parts[0].kind == "AN")):
        return 1, 1, frozenset(first.parts[0].inline_codes)
    if segment.tag == "HL" and isinstance(third, ElementRule) and third.inline_codes:
        return 3, 0, frozenset(third.inline_codes)
    return None


def _find_loop(loop: LoopRule, loop_id: str) -> LoopRule:
    for child in loop.children:
        if isinstance(child, LoopRule):
            if child.id == loop_id:
                return child
            try:
                return _find_loop(child, loop_id)
            except LookupError:
                continue
    raise LookupError(loop_id)


def _syntax(text: str | None) -> tuple[str, tuple[int, ...]] | None:
    if not text or text[0] not in "PRCLE":
        return None
    digits = text[1:]
    return text[0], tuple(int(digits[i * 2:i * 2 + 2]) for i in range(len(digits) // 2))


def _text(node: ET.Element, name: str) -> str:
    return node.get(name) or node.findtext(name) or ""


def _int(node: ET.Element, name: str) -> int:
    return int(_text(node, name) or "0")


def _repeat(text: str) -> int:
    if not text or text.startswith(">"):
        return UNLIMITED
    return int(text)
