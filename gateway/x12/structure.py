"""What the envelope layer builds: interchanges, functional groups and transaction sets.

Each keeps the findings that belong to it and, for transaction sets, where the set sits in the
text (not its segments), so that a 20 MB ASN costs a few integers until someone reads it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from gateway.x12.findings import Finding, Location
from gateway.x12.isa import IsaHeader
from gateway.x12.text import FileKind, SourceText, iter_raw_segments, split_elements


@dataclass(slots=True)
class TransactionSet:
    set_id: str  # ST01
    control: str  # ST02
    convention: str | None  # ST03 (005010 and later)
    ordinal: int
    start: int  # offset of the ST segment
    end: int  # offset just past the last segment of the set
    first_segment: int  # file-wide ordinal of the ST segment
    segment_count: int = 1
    declared_count: str | None = None  # SE01 as sent
    trailer_control: str | None = None  # SE02 as sent
    findings: list[Finding] = field(default_factory=list)
    skip_validation: bool = False  # over a limit: rejected without being handed to pyx12


@dataclass(slots=True)
class FunctionalGroup:
    elements: tuple[str, ...]  # GS01..GS08, padded to 8
    ordinal: int
    first_segment: int
    sets: list[TransactionSet] = field(default_factory=list)
    declared_count: str | None = None  # GE01 as sent
    trailer_control: str | None = None  # GE02 as sent
    findings: list[Finding] = field(default_factory=list)

    @property
    def functional_id(self) -> str:
        return self.elements[0]

    @property
    def sender(self) -> str:
        return self.elements[1]

    @property
    def receiver(self) -> str:
        return self.elements[2]

    @property
    def control(self) -> str:
        return self.elements[5]

    @property
    def version(self) -> str:
        return self.elements[7]


@dataclass(frozen=True, slots=True)
class Ta1Ack:
    """A TA1 a partner sent us: their answer to one of our interchanges."""

    acknowledged_control: str
    date: str
    time: str
    ack_code: str
    note_code: str
    location: Location


@dataclass(slots=True)
class Interchange:
    header: IsaHeader
    ordinal: int
    groups: list[FunctionalGroup] = field(default_factory=list)
    ta1s: list[Ta1Ack] = field(default_factory=list)
    declared_groups: str | None = None  # IEA01 as sent
    trailer_control: str | None = None  # IEA02 as sent
    end: int = 0
    findings: list[Finding] = field(default_factory=list)

    @property
    def control(self) -> str:
        return self.header.control_number

    def where(self) -> Location:
        return Location(interchange=self.ordinal, isa13=self.control)

    def all_findings(self) -> Iterator[Finding]:
        yield from self.findings
        for group in self.groups:
            yield from group.findings
            for ts in group.sets:
                yield from ts.findings


@dataclass(slots=True)
class Intake:
    """Everything the envelope layer learned about one file."""

    source: SourceText
    interchanges: list[Interchange]
    findings: list[Finding]  # about the file as a whole

    @property
    def kind(self) -> FileKind:
        return self.source.kind

    def line_of(self, offset: int | None) -> int | None:
        return self.source.line_of(offset)

    def segment_offsets(self, interchange: Interchange, ts: TransactionSet,
                        positions: set[int]) -> dict[int, int]:
        """Where the segments at ``positions`` (counted from ST = 1) start in the text."""
        found: dict[int, int] = {}
        segments = iter_raw_segments(self.source.text, ts.start, ts.end,
                                     interchange.header.delimiters.segment)
        for position, (start, _end, _raw) in enumerate(segments, start=1):
            if position in positions:
                found[position] = start
                if len(found) == len(positions):
                    break
        return found

    def set_segments(self, interchange: Interchange, ts: TransactionSet) -> Iterator[list[str]]:
        """The elements of each segment of ``ts`` (``[tag, e01, e02, ...]``), ST through SE."""
        delimiters = interchange.header.delimiters
        for _start, _end, raw in iter_raw_segments(self.source.text, ts.start, ts.end,
                                                   delimiters.segment):
            yield split_elements(raw, delimiters.element)
