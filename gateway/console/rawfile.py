"""A received file's bytes as a person reads them: one X12 segment a line, capped in size."""

from __future__ import annotations

from dataclasses import dataclass

from gateway.app.ports import Archive
from gateway.errors import ArchivedBytesMissing
from gateway.model.payload import contents_size


@dataclass(frozen=True)
class RawView:
    text: str | None  # None when the bytes are gone
    shown_bytes: int
    total_bytes: int
    note: str | None = None
    # True when the file already had one segment a line: then a finding's "line N" is the
    # N-th line shown, and the page may point at it.
    lines_as_sent: bool = False

    @property
    def lines(self) -> list[str]:
        return (self.text or "").split("\n")

    @property
    def truncated(self) -> bool:
        return self.shown_bytes < self.total_bytes


def raw_view(archive: Archive, key: str, cap: int) -> RawView:
    """The first ``cap`` bytes of the kept file, read alone: a 100 MB ASN costs its page the
    cap, not the file."""
    try:
        with archive.open(key) as stream:
            total = contents_size(stream)
            stream.seek(0)
            shown = stream.read(cap)
    except (ArchivedBytesMissing, ValueError) as exc:
        return RawView(None, 0, 0, str(exc))
    sent = readable(shown)
    text = one_segment_a_line(sent)
    as_sent = text.count("\n") == sent.replace("\r\n", "\n").strip("\n").count("\n")
    return RawView(text, len(shown), total, lines_as_sent=as_sent)


def readable(data: bytes) -> str:
    """UTF-8 when the bytes are (so a multi-byte terminator such as "…" is one character),
    else latin-1, which never fails, as the gateway's own intake reads them. The cap may have
    cut a character in two: that tail is dropped. The template escapes whatever comes out."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(data) - 3:
            return data.decode("latin-1")
        text = data[:exc.start].decode("utf-8", errors="replace")
    return text.removeprefix("\ufeff")


def one_segment_a_line(text: str) -> str:
    """Break after each segment terminator the ISA declares; a file already broken into
    lines (CR/LF after each terminator) or one that is not X12 is left as it is."""
    terminator = segment_terminator(text)
    if terminator is None or terminator in "\r\n":
        return text
    lines = text.replace("\r\n", "\n").split(terminator)
    return "\n".join(f"{line.strip(chr(10))}{terminator}" for line in lines[:-1]) + (
        f"\n{lines[-1].strip(chr(10))}" if lines[-1].strip() else "")


def segment_terminator(text: str) -> str | None:
    """The character after ISA16: ISA's element separator is the character after "ISA",
    and ISA16 (one character) follows the sixteenth separator."""
    start = text.find("ISA")
    if start < 0 or len(text) < start + 4:
        return None
    separator, position = text[start + 3], start + 3  # the first separator
    for _ in range(15):
        position = text.find(separator, position + 1)
        if position < 0:
            return None
    end = position + 2  # ISA16 is one character
    return text[end] if end < len(text) else None
