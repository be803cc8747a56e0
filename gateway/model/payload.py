"""What a file's bytes are, by their first characters: X12, XML, or neither.

The one place that decides it, for every road a file takes: ingest and replay, the commands
(validate, ack, process, translate, replay --dry-run) and the names outbound files are
published under. Only the head of the file is looked at; reading it properly (and saying what
is wrong with it) is the X12 front door's job (`gateway.x12`) or the XML intake's
(`gateway.recall`). A file that is neither still goes to the X12 front door, which answers it
with a located "not X12" finding, so only XML takes the other road.
"""

from __future__ import annotations

import io
import re
from enum import StrEnum
from typing import BinaryIO

_FIRST_CONTENT = re.compile(rb"[^ \t\r\n]")  # past indentation and line breaks
_UTF8_BOM = b"\xef\xbb\xbf"
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


class PayloadKind(StrEnum):
    X12 = "x12"  # an interchange header (ISA) first
    XML = "xml"  # a "<" first (recall notices, our status documents), or UTF-16 text
    NEITHER = "neither"  # empty, a bare GS / ST fragment, or other text


def payload_kind(data: bytes) -> PayloadKind:
    """The kind of ``data``, after an optional UTF-8 byte-order mark and blanks."""
    if data.startswith(_UTF16_BOMS):
        return PayloadKind.XML  # X12 is never UTF-16; the recall intake reads UTF-16 XML
    first = _FIRST_CONTENT.search(data, len(_UTF8_BOM) if data.startswith(_UTF8_BOM) else 0)
    head = b"" if first is None else data[first.start():first.start() + 4]  # no copy of it all
    if head[:1] == b"<":
        return PayloadKind.XML
    # As the X12 front door: "ISA" and one more character (its element separator).
    if head.startswith(b"ISA") and len(head) == 4:
        return PayloadKind.X12
    return PayloadKind.NEITHER


HEAD_BYTES = 64 << 10  # how much of a streamed file is read to tell XML from X12


def contents_kind(contents: bytes | BinaryIO) -> PayloadKind:
    """`payload_kind` of a file's bytes, or of a seekable stream's head (a big file)."""
    if isinstance(contents, bytes):
        return payload_kind(contents)
    contents.seek(0)
    return payload_kind(contents.read(HEAD_BYTES))


def contents_size(contents: bytes | BinaryIO) -> int:
    """How many bytes a file's contents hold: its bytes, or a seekable stream to its end."""
    return len(contents) if isinstance(contents, bytes) else contents.seek(0, io.SEEK_END)


def xml_bytes(contents: bytes | BinaryIO, limit: int) -> bytes:
    """An XML document's bytes; a streamed one read to one byte past ``limit`` at most, enough
    for the XML intake to refuse it as too large without reading it all."""
    if isinstance(contents, bytes):
        return contents
    contents.seek(0)
    return contents.read(limit + 1)
