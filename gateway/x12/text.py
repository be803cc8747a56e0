"""A partner's bytes as text the envelope layer can walk, and the segment splitter.

The bytes are decoded as latin-1: every byte becomes one character, nothing can fail to decode,
and non-ASCII bytes survive to be reported as invalid characters rather than crashing a decoder.
A UTF-8 byte-order mark is dropped, and CR LF / lone CR are folded into LF, because line breaks
between segments are cosmetic and a newline-only terminator is then always ``"\\n"``.

A file in memory becomes one ``str``. A file read from a stream (a big one, from the archive)
becomes a `StreamText`: the same characters, read from the file a chunk at a time and never
held whole, so intake costs the same few megabytes at any file size.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections import OrderedDict
from collections.abc import Generator, Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from typing import BinaryIO

from gateway.x12 import findings as f
from gateway.x12.findings import Finding, Location

_UTF8_BOM = b"\xef\xbb\xbf"
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
_BLANK = " \t\n"
_LINE_BREAK = re.compile("\n")
_CONTENT = re.compile("[^ \t\n]")
CHUNK_BYTES = 1 << 20  # how much of a streamed file is read (and held) at a time


class FileKind(StrEnum):
    X12 = "x12"  # starts with an ISA interchange header
    FRAGMENT = "fragment"  # X12 segments without an ISA (a bare GS or ST)
    NOT_X12 = "not-x12"


@dataclass(frozen=True, slots=True)
class SourceText:
    text: Text
    kind: FileKind
    first_content: int
    findings: tuple[Finding, ...]
    # Offsets of every line break, built on the first `line_of` call: only reports need it.
    _line_breaks: list[int] | None = field(default=None, compare=False, repr=False)

    @classmethod
    def from_bytes(cls, data: bytes) -> SourceText:
        notes: list[Finding] = []
        if data.startswith(_UTF16_BOMS):
            return cls("", FileKind.NOT_X12, 0, (_utf16(),))
        if data.startswith(_UTF8_BOM):
            data = data[len(_UTF8_BOM):]
            notes.append(_bom_skipped())
        text = data.decode("latin-1")
        if "\r" in text:
            text = _folded(text)
        return cls._classified(text, notes)

    @classmethod
    def from_stream(cls, stream: BinaryIO) -> SourceText:
        """The text of a seekable binary stream, read in chunks (`StreamText`); the stream
        must stay open while the text is read."""
        stream.seek(0)
        head = stream.read(len(_UTF8_BOM))
        if head.startswith(_UTF16_BOMS):
            return cls("", FileKind.NOT_X12, 0, (_utf16(),))
        bom = head == _UTF8_BOM
        return cls._classified(StreamText(stream, start=len(_UTF8_BOM) if bom else 0),
                               [_bom_skipped()] if bom else [])

    @classmethod
    def _classified(cls, text: Text, notes: list[Finding]) -> SourceText:
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
        if isinstance(self.text, StreamText):
            return self.text.line_of(offset)
        if self._line_breaks is None:
            breaks = [match.start() for match in _LINE_BREAK.finditer(self.text)]
            object.__setattr__(self, "_line_breaks", breaks)
        assert self._line_breaks is not None
        return bisect_left(self._line_breaks, offset) + 1


def _folded(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _utf16() -> Finding:
    return _not_x12("The file is UTF-16 text; X12 must be in an ASCII-based encoding.")


def _bom_skipped() -> Finding:
    return f.info("file.byte-order-mark",
                  "The file starts with a UTF-8 byte-order mark; it was skipped.",
                  Location(offset=0))


@dataclass(frozen=True, slots=True)
class _Chunk:
    """Where one chunk of a streamed file sits: in the stream and in the text."""

    raw_start: int
    raw_length: int
    text_start: int
    line_breaks_before: int
    drops_line_feed: bool  # it begins with the LF of a CR LF the chunk before ended in


class StreamText:
    """The text `SourceText.from_bytes` would make of a file, read from a seekable binary
    stream a chunk at a time: the same characters at the same offsets (the byte-order mark
    dropped, line breaks folded) with a few chunks held at once, whatever the file's size.

    One pass on creation notes where each chunk starts (in the stream and in the text) and
    how many line breaks come before it; reading a chunk again is a seek and a read. It offers
    what the envelope layer uses of a ``str``: ``len``, indexing and slicing, ``find`` and
    ``startswith``; `iter_raw_segments` walks it chunk by chunk at ``str`` speed."""

    def __init__(self, stream: BinaryIO, *, start: int = 0, chunk_bytes: int | None = None,
                 chunks_held: int = 3) -> None:
        self._stream = stream
        self._chunks: list[_Chunk] = []
        self._starts: list[int] = []  # text offset of each chunk, for bisect
        self._held: OrderedDict[int, str] = OrderedDict()
        self._chunks_held = max(2, chunks_held)  # a slice across one boundary needs two
        self._length = self._index(start, chunk_bytes or CHUNK_BYTES)

    def _index(self, start: int, chunk_bytes: int) -> int:
        stream, raw, text_at, breaks, after_cr = self._stream, start, 0, 0, False
        stream.seek(start)
        while block := stream.read(chunk_bytes):
            chunk = _Chunk(raw, len(block), text_at, breaks,
                           after_cr and block.startswith(b"\n"))
            text = self._decoded(chunk, block)
            self._chunks.append(chunk)
            self._starts.append(text_at)
            self._keep(len(self._chunks) - 1, text)
            raw, text_at = raw + len(block), text_at + len(text)
            breaks += text.count("\n")
            after_cr = block.endswith(b"\r")
        return text_at

    @staticmethod
    def _decoded(chunk: _Chunk, block: bytes) -> str:
        text = block.decode("latin-1")
        if "\r" in text:
            text = _folded(text)
        return text[1:] if chunk.drops_line_feed else text

    def _chunk_text(self, index: int) -> str:
        text = self._held.get(index)
        if text is not None:
            self._held.move_to_end(index)
            return text
        chunk = self._chunks[index]
        self._stream.seek(chunk.raw_start)
        block = self._stream.read(chunk.raw_length)
        if len(block) != chunk.raw_length:  # the archive never changes a file it keeps
            raise OSError(f"the file changed while it was read (chunk at byte "
                          f"{chunk.raw_start} is {len(block)} bytes, was {chunk.raw_length})")
        text = self._decoded(chunk, block)
        self._keep(index, text)
        return text

    def _keep(self, index: int, text: str) -> None:
        self._held[index] = text
        self._held.move_to_end(index)
        while len(self._held) > self._chunks_held:
            self._held.popitem(last=False)

    def _chunk_at(self, offset: int) -> int:
        return max(0, bisect_right(self._starts, offset) - 1)

    def _end_of(self, index: int) -> int:
        return self._starts[index + 1] if index + 1 < len(self._starts) else self._length

    def __len__(self) -> int:
        return self._length

    def __getitem__(self, key: int | slice) -> str:
        if isinstance(key, int):
            at = key + self._length if key < 0 else key
            if not 0 <= at < self._length:
                raise IndexError("text index out of range")
            index = self._chunk_at(at)
            return self._chunk_text(index)[at - self._starts[index]]
        start, stop, step = key.indices(self._length)
        if step != 1:
            raise ValueError("a streamed text is sliced without a step")
        return "".join(piece for _at, piece in self.pieces(start, stop))

    def pieces(self, start: int, stop: int) -> Iterator[tuple[int, str]]:
        """``self[start:stop]`` as consecutive pieces, one per chunk: (text offset, piece)."""
        position = max(0, start)
        stop = min(stop, self._length)
        while position < stop:
            index = self._chunk_at(position)
            begin, end = self._starts[index], min(self._end_of(index), stop)
            yield position, self._chunk_text(index)[position - begin:end - begin]
            position = end

    def find(self, sub: str, start: int = 0, end: int | None = None) -> int:
        end = self._length if end is None else min(end, self._length)
        overlap = len(sub) - 1  # a match may begin in one chunk and end in the next
        position = max(0, start)
        while position < end:
            index = self._chunk_at(position)
            begin, chunk_end = self._starts[index], self._end_of(index)
            found = self._chunk_text(index).find(sub, position - begin,
                                                 min(end, chunk_end) - begin)
            if found >= 0:
                return begin + found
            if overlap and chunk_end < end:
                across = max(position, chunk_end - overlap)
                found = self[across:min(end, chunk_end + overlap)].find(sub)
                if found >= 0:
                    return across + found
            position = chunk_end
        return -1

    def startswith(self, prefix: str, start: int = 0) -> bool:
        return self[start:start + len(prefix)] == prefix

    def line_of(self, offset: int) -> int:
        """The line ``offset`` is on (1-based): the line breaks before it, plus one."""
        if not self._chunks:
            return 1
        index = self._chunk_at(min(offset, self._length))
        local = min(offset, self._length) - self._starts[index]
        return (self._chunks[index].line_breaks_before
                + self._chunk_text(index).count("\n", 0, local) + 1)


Text = str | StreamText  # what the envelope layer reads: a file's whole text, or its stream


def _skip_blank(text: Text, position: int) -> int:
    """The first offset at or after ``position`` that is not a blank (or the text's end)."""
    pieces = [(0, text)] if isinstance(text, str) else text.pieces(position, len(text))
    for at, piece in pieces:
        found = _CONTENT.search(piece, max(0, position - at))
        if found is not None:
            return at + found.start()
    return max(position, len(text))


def _classify(text: Text, first: int) -> FileKind:
    head = text[first:first + 4]
    if head.startswith("ISA") and len(head) == 4:
        return FileKind.X12
    if (head.startswith(("GS", "ST")) and len(head) > 2
            and not head[2].isalnum() and not head[2].isspace()):
        return FileKind.FRAGMENT
    return FileKind.NOT_X12


def _why_not_x12(text: Text, first: int) -> str:
    if first >= len(text):
        return "The file is empty."
    sample = text[first:first + 20].split("\n", 1)[0]
    return f"The file does not start with an X12 interchange header (ISA); it starts {sample!r}."


def _not_x12(message: str) -> Finding:
    return Finding("file.not-x12", message, f.Severity.ERROR, None, Location(offset=0))


def iter_raw_segments(text: Text, start: int, stop: int,
                      terminator: str) -> Iterator[tuple[int, int, str]]:
    """Yield ``(start, end, segment)`` for each non-blank segment in ``text[start:stop]``.

    ``segment`` has its leading blanks (indentation, line breaks) and trailing line breaks
    removed; ``end`` is the offset just past its terminator.
    """
    if isinstance(text, str):
        return _segments(text, start, stop, terminator)
    return _streamed_segments(text, start, stop, terminator)


def _streamed_segments(text: StreamText, start: int, stop: int,
                       terminator: str) -> Iterator[tuple[int, int, str]]:
    """A streamed text walked a piece at a time: a segment cut by a piece's end is carried
    over to the next piece, so offsets and segments are those of the whole text. A segment
    that spans many pieces (a hostile file without terminators) is joined once, at its end,
    never piece by piece: the walk stays linear in the file."""
    carried: list[str] = []  # the pieces of a segment no terminator has ended yet
    carried_at = start
    overlap = len(terminator) - 1
    ending = ""  # the carried text's last characters: a terminator may begin in them
    end_of_text = min(stop, len(text))
    for at, piece in text.pieces(start, stop):
        last = at + len(piece) >= end_of_text
        if carried and not last and terminator not in ending + piece:
            carried.append(piece)
            ending = (ending + piece)[-overlap:] if overlap else ""
            continue
        window = "".join([*carried, piece])
        base = carried_at if carried else at
        rest = yield from _segments(window, 0, len(window), terminator, base=base, tail=last)
        remainder = window[rest:]
        carried, carried_at = ([remainder] if remainder else []), base + rest
        ending = remainder[-overlap:] if overlap else ""
    if carried:  # only when the text shrank under us; read it as the end of the text
        rest_text = "".join(carried)
        yield from _segments(rest_text, 0, len(rest_text), terminator, base=carried_at)


def _segments(text: str, start: int, stop: int, terminator: str, *, base: int = 0,
              tail: bool = True) -> Generator[tuple[int, int, str], None, int]:
    """The segments of ``text[start:stop]``, offsets counted from ``base``; with ``tail``
    False an unterminated last segment is not yielded: returns where it begins."""
    step = len(terminator)
    find = text.find
    position = start
    while position < stop:
        found = find(terminator, position, stop)
        if found < 0 and not tail:
            return position
        end = stop if found < 0 else found + step
        raw = text[position:stop if found < 0 else found]
        segment_start = position
        if raw and (raw[0] in _BLANK or raw[-1] == "\n"):
            stripped = raw.lstrip(_BLANK)
            segment_start += len(raw) - len(stripped)
            raw = stripped.rstrip("\n")
        if raw:
            yield base + segment_start, base + end, raw
        position = end
    return position


def leading_tag(segment: str, element_separator: str) -> str:
    at = segment.find(element_separator)
    return segment if at < 0 else segment[:at]


def split_elements(segment: str, element_separator: str) -> list[str]:
    return segment.split(element_separator)
