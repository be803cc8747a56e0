"""A partner's bytes as text the envelope layer can walk, and the segment splitter.

The bytes are decoded as latin-1: every byte becomes one character, nothing can fail to decode,
and non-ASCII bytes survive to be reported as invalid characters rather than crashing a decoder.
A UTF-8 byte-order mark is dropped, and CR LF / lone CR are folded into LF, because line breaks
between segments are cosmetic and a newline-only terminator is then always ``"\\n"``.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import StrEnum

from gateway.x12 import findings as f
from gateway.x12.findings import Finding, Location

_UTF8_BOM = b"\xef\xbb\xbf"
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
_BLANK = " \t\n"
_LINE_BREAK = re.compile("\n")


class FileKind(StrEnum):
    X12 = "x12"  # starts with an ISA interchange header
    FRAGMENT = "fragment"  # X12 segments without an ISA (a bare GS or ST)
    NOT_X12 = "not-x12"


@dataclass(frozen=True, slots=True)
class SourceText:
    text: str
    kind: FileKind
    first_content: int
    findings: tuple[Finding, ...]
    # Offsets of every line break, built on the first `line_of` call: only reports need it.
    _line_breaks: list[int] | None = field(default=None, compare=False, repr=False)

    @classmethod
    def from_bytes(cls, data: bytes) -> SourceText:
        notes: list[Finding] = []
        if data.startswith(_UTF16_BOMS):
            notes.append(_not_x12("The file is UTF-16 text; X12 must be in an ASCII-based "
                                  "encoding."))
            return cls("", FileKind.NOT_X12, 0, tuple(notes))
        if data.startswith(_UTF8_BOM):
            data = data[len(_UTF8_BOM):]
            notes.append(f.info("file.byte-order-mark",
                                "The file starts with a UTF-8 byte-order mark; it was skipped.",
                                Location(offset=0)))
        text = data.decode("latin-1")
        if "\r" in text:
            text = text.replace("\r\n", "\n").replace("\r", "\n")
        first = _skip_blank(text, 0)
        kind = _classify(text, first)
        if kind is FileKind.FRAGMENT:
            notes.append(f.interchange_error(
                "file.no-interchange-envelope", f.TA1_BAD_CONTROL_STRUCTURE,
                "The file holds X12 segments but no interchange header (ISA): it is a fragment "
                "and cannot be acknowledged.", Location(offset=first),
                expected="ISA", found=text[first:first + 3]))
        elif kind is FileKind.NOT_X12:
            notes.append(_not_x12(_why_not_x12(text, first)))
        return cls(text, kind, first, tuple(notes))

    def skip_blank(self, position: int) -> int:
        return _skip_blank(self.text, position)

    def line_of(self, offset: int | None) -> int | None:
        if offset is None:
            return None
        if self._line_breaks is None:
            breaks = [match.start() for match in _LINE_BREAK.finditer(self.text)]
            object.__setattr__(self, "_line_breaks", breaks)
        assert self._line_breaks is not None
        return bisect_left(self._line_breaks, offset) + 1


def _skip_blank(text: str, position: int) -> int:
    length = len(text)
    while position < length and text[position] in _BLANK:
        position += 1
    return position


def _classify(text: str, first: int) -> FileKind:
    head = text[first:first + 4]
    if head.startswith("ISA") and len(head) == 4:
        return FileKind.X12
    if (head.startswith(("GS", "ST")) and len(head) > 2
            and not head[2].isalnum() and not head[2].isspace()):
        return FileKind.FRAGMENT
    return FileKind.NOT_X12


def _why_not_x12(text: str, first: int) -> str:
    if first >= len(text):
        return "The file is empty."
    sample = text[first:first + 20].split("\n", 1)[0]
    return f"The file does not start with an X12 interchange header (ISA); it starts {sample!r}."


def _not_x12(message: str) -> Finding:
    return Finding("file.not-x12", message, f.Severity.ERROR, None, Location(offset=0))


def iter_raw_segments(text: str, start: int, stop: int,
                      terminator: str) -> Iterator[tuple[int, int, str]]:
    """Yield ``(start, end, segment)`` for each non-blank segment in ``text[start:stop]``.

    ``segment`` has its leading blanks (indentation, line breaks) and trailing line breaks
    removed; ``end`` is the offset just past its terminator.
    """
    step = len(terminator)
    find = text.find
    position = start
    while position < stop:
        found = find(terminator, position, stop)
        end = stop if found < 0 else found + step
        raw = text[position:stop if found < 0 else found]
        segment_start = position
        if raw and (raw[0] in _BLANK or raw[-1] == "\n"):
            stripped = raw.lstrip(_BLANK)
            segment_start += len(raw) - len(stripped)
            raw = stripped.rstrip("\n")
        if raw:
            yield segment_start, end, raw
        position = end


def leading_tag(segment: str, element_separator: str) -> str:
    at = segment.find(element_separator)
    return segment if at < 0 else segment[:at]


def split_elements(segment: str, element_separator: str) -> list[str]:
    return segment.split(element_separator)
