"""Reading the acknowledgements partners send about what we sent: TA1, 997 and 999.

The file has already been through the front door (`assess`), so this module trusts only what
passed it: a 997 / 999 is read when its interchange was accepted, its functional group was
(at least partly) accepted and the set itself validated against our 997 / 999 grammar. A
broken 997 says nothing we could rely on. TA1s are read from every interchange, as long as
the TA1 segment itself is well formed, because a TA1 often arrives inside an interchange that
is odd in other ways.

Nothing here raises on partner content: whatever cannot be read is skipped.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from gateway.x12.assess import Assessment, GroupResult, InterchangeResult, Outcome
from gateway.x12.findings import ELEMENT_CODES, SEGMENT_CODES
from gateway.x12.structure import Interchange, Ta1Ack, TransactionSet
from gateway.x12.values import is_digits


@dataclass(frozen=True, slots=True)
class SetAck:
    set_id: str  # AK201
    control: str  # AK202: our ST02
    code: str  # AK501 / IK501: A, E, M, R, W, X
    errors: tuple[str, ...]  # plain-language lines from AK3/AK4 (IK3/IK4) and AK502-AK506


@dataclass(frozen=True, slots=True)
class ReceivedAck:
    kind: str  # "TA1", "997" or "999"
    interchange_control: str | None  # TA101 (our ISA13); None for a 997/999
    group_control: str | None  # AK102 (our GS06)
    functional_id: str | None  # AK101
    code: str  # TA104 (A/E/R) or AK901 (A/E/P/R/M/W/X)
    note: str | None  # TA105 with its meaning, or the AK905-AK909 codes with theirs
    sets: tuple[SetAck, ...] = ()
    # where it came from in the partner's file (their ISA13 / GS06 / ST02), for messages
    from_interchange: str | None = None
    from_group: str | None = None
    from_set: str | None = None


def read_acknowledgements(assessment: Assessment) -> list[ReceivedAck]:
    """Every TA1, 997 and 999 in an assessed file, in file order (TA1s of an interchange
    first: X12 places them before its first GS)."""
    found: list[ReceivedAck] = []
    for result in assessment.interchanges:
        interchange = result.interchange
        found.extend(a for a in (_read_ta1(t, interchange) for t in interchange.ta1s)
                     if a is not None)
        if result.outcome is not Outcome.ACCEPTED:
            continue  # its groups were not processed, so they are not trusted either
        found.extend(_functional_acks(assessment, result))
    return found


# --- TA1 ------------------------------------------------------------------------------------
TA1_ACK_CODES = {"A": "accepted", "E": "accepted with errors", "R": "rejected"}
TA1_NOTES = {
    "000": "no error",
    "001": "the interchange control numbers in the header and trailer do not match",
    "002": "this standard as noted in the control standards identifier is not supported",
    "003": "this version of the controls is not supported",
    "004": "the segment terminator is invalid",
    "005": "invalid interchange ID qualifier for sender",
    "006": "invalid interchange sender ID",
    "007": "invalid interchange ID qualifier for receiver",
    "008": "invalid interchange receiver ID",
    "009": "unknown interchange receiver ID",
    "010": "invalid authorization information qualifier value",
    "011": "invalid authorization information value",
    "012": "invalid security information qualifier value",
    "013": "invalid security information value",
    "014": "invalid interchange date value",
    "015": "invalid interchange time value",
    "016": "invalid interchange standards identifier value",
    "017": "invalid interchange version ID value",
    "018": "invalid interchange control number value",
    "019": "invalid acknowledgment requested value",
    "020": "invalid test indicator value",
    "021": "invalid number of included groups value",
    "022": "invalid control structure",
    "023": "improper (premature) end-of-file (transmission)",
    "024": "invalid interchange content (e.g. invalid GS segment)",
    "025": "duplicate interchange control number",
    "026": "invalid data element separator",
    "027": "invalid component element separator",
    "028": "invalid delivery date in deferred delivery request",
    "029": "invalid delivery time in deferred delivery request",
    "030": "invalid delivery time code in deferred delivery request",
    "031": "invalid grade of service code",
}


def _read_ta1(ta1: Ta1Ack, interchange: Interchange) -> ReceivedAck | None:
    control, code, note = (v.strip() for v in (ta1.acknowledged_control, ta1.ack_code,
                                                 ta1.note_code))
    if not (len(control) == 9 and is_digits(control)) or code not in TA1_ACK_CODES:
        return None  # a TA1 that does not say which interchange, or what, says nothing
    meaning = _meaning(note, TA1_NOTES) if len(note) == 3 and is_digits(note) else None
    return ReceivedAck("TA1", control, None, None, code,
                       f"{note} {meaning}" if meaning else None,
                       from_interchange=interchange.control)


# --- 997 / 999 ------------------------------------------------------------------------------
GROUP_ERRORS = {  # X12 716, AK905-AK909
    "1": "functional group not supported",
    "2": "functional group version not supported",
    "3": "functional group trailer missing",
    "4": "group control number in the header and trailer do not agree",
    "5": "number of included transaction sets does not match actual count",
    "6": "group control number violates syntax",
    "10": "authentication key name unknown",
    "11": "encryption key name unknown",
    "12": "requested service (authentication or encryption) not available",
    "13": "unknown security recipient",
    "14": "unknown security originator",
    "15": "syntax error in decrypted text",
    "16": "security not supported",
    "17": "incorrect message length (encryption)",
    "18": "message authentication code failed",
    "19": "functional group control number not unique within interchange",
    "23": "S3E security end segment missing for S3S security start segment",
    "24": "S3S security start segment missing for S3E end segment",
    "25": "S4E security end segment missing for S4S security start segment",
    "26": "S4S security start segment missing for S4E security end segment",
}
SET_ERRORS = {  # X12 718 (AK502-AK506) and 618 (IK502-IK506)
    "1": "transaction set not supported",
    "2": "transaction set trailer missing",
    "3": "transaction set control number in header and trailer do not match",
    "4": "number of included segments does not match actual count",
    "5": "one or more segments in error",
    "6": "missing or invalid transaction set identifier",
    "7": "missing or invalid transaction set control number",
    "8": "authentication key name unknown",
    "9": "encryption key name unknown",
    "10": "requested service (authentication or encryption) not available",
    "11": "unknown security recipient",
    "12": "incorrect message length (encryption)",
    "13": "message authentication code failed",
    "15": "unknown security originator",
    "16": "syntax error in decrypted text",
    "17": "security not supported",
    "18": "transaction set not in functional group",
    "19": "invalid transaction set implementation convention reference",
    "23": "transaction set control number not unique within the functional group",
    "24": "S3E security end segment missing for S3S security start segment",
    "25": "S3S security start segment missing for S3E security end segment",
    "26": "S4E security end segment missing for S4S security start segment",
    "27": "S4S security start segment missing for S4E security end segment",
    "I5": "implementation one or more segments in error",
    "I6": "implementation convention not supported",
}
# 999 additions to the 997 segment (720 -> 620) and element (723 -> 621) code lists.
SEGMENT_ERRORS = {
    **SEGMENT_CODES,
    "I4": "implementation 'not used' segment present",
    "I6": "implementation dependent segment missing",
    "I7": "implementation loop occurs under minimum times",
    "I8": "implementation segment below minimum use",
    "I9": "implementation dependent 'not used' segment present",
}
ELEMENT_ERRORS = {
    **ELEMENT_CODES,
    "I6": "code value not used in implementation",
    "I9": "implementation dependent data element missing",
    "I10": "implementation 'not used' data element present",
    "I11": "implementation too few repetitions",
    "I12": "implementation pattern match failure",
    "I13": "implementation dependent 'not used' data element present",
}
GROUP_ACK_CODES = {"A": "accepted", "E": "accepted, but errors were noted",
                   "P": "partially accepted", "R": "rejected",
                   "M": "rejected, message authentication code failed",
                   "W": "rejected, assurance failed validity tests",
                   "X": "rejected, content after decryption could not be analyzed"}
_TRUSTED_GROUPS = (Outcome.ACCEPTED, Outcome.PARTIALLY_ACCEPTED)


def _functional_acks(assessment: Assessment, result: InterchangeResult) -> list[ReceivedAck]:
    interchange = result.interchange
    found = []
    for group in result.groups:
        if group.outcome not in _TRUSTED_GROUPS:
            continue
        for set_result in group.sets:
            ts = set_result.ts
            if set_result.outcome is not Outcome.ACCEPTED or ts.set_id not in ("997", "999"):
                continue
            segments = assessment.intake.set_segments(interchange, ts)
            ack = _read_functional(ts, segments, interchange.header.delimiters.component)
            if ack is not None:
                found.append(_located(ack, interchange, group, ts))
    return found


def _located(ack: ReceivedAck, interchange: Interchange, group: GroupResult,
             ts: TransactionSet) -> ReceivedAck:
    return ReceivedAck(ack.kind, ack.interchange_control, ack.group_control, ack.functional_id,
                       ack.code, ack.note, ack.sets, interchange.control,
                       group.group.control.strip(), ts.control.strip())


@dataclass(slots=True)
class _SegmentNote:
    """One AK3 / IK3 and the AK4 / IK4 lines under it, until the next AK3 or AK5."""

    tag: str
    position: str
    code: str
    loop: str
    element_lines: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        where = f"segment {self.tag or '?'} at position {self.position or '?'}"
        if self.loop:
            where += f" (loop {self.loop})"
        # AK304 8 only says "see the elements"; with AK4s below it, they say it better.
        if self.element_lines and self.code in ("", "8"):
            return [f"{where}: {line}" for line in self.element_lines]
        what = _meaning(self.code, SEGMENT_ERRORS) if self.code else "segment in error"
        return [f"{where}: {what}", *(f"{where}: {line}" for line in self.element_lines)]


@dataclass(slots=True)
class _SetReader:
    set_id: str
    control: str
    errors: list[str] = field(default_factory=list)
    note: _SegmentNote | None = None

    def close_note(self) -> None:
        if self.note is not None:
            self.errors.extend(self.note.lines())
            self.note = None


@dataclass(slots=True)
class _AckReader:
    """Walks the segments of one 997 / 999, one method per segment it cares about."""

    component: str
    functional_id: str | None = None
    group_control: str | None = None
    code: str | None = None
    group_errors: list[str] = field(default_factory=list)
    sets: list[SetAck] = field(default_factory=list)
    current: _SetReader | None = None

    def read(self, segment: list[str]) -> None:
        tag = segment[0].strip().upper() if segment else ""
        handler = {"AK1": self._ak1, "AK2": self._ak2, "AK3": self._ak3, "IK3": self._ak3,
                   "AK4": self._ak4, "IK4": self._ak4, "AK5": self._ak5, "IK5": self._ak5,
                   "AK9": self._ak9}.get(tag)
        if handler is not None:
            handler(segment)

    def _ak1(self, segment: list[str]) -> None:
        self.functional_id = _element(segment, 1) or None
        self.group_control = _element(segment, 2) or None

    def _ak2(self, segment: list[str]) -> None:
        if self.current is not None:
            self._ak5(["AK5", ""])  # the previous set had no AK5: close it without a code
        self.current = _SetReader(_element(segment, 1), _element(segment, 2))

    def _ak3(self, segment: list[str]) -> None:
        if self.current is None:
            return
        self.current.close_note()
        self.current.note = _SegmentNote(_element(segment, 1), _element(segment, 2),
                                         _element(segment, 4), _element(segment, 3))

    def _ak4(self, segment: list[str]) -> None:
        if self.current is None:
            return
        if self.current.note is None:
            self.current.note = _SegmentNote("", "", "", "")
        line = _element_line(self.current.note.tag, segment, self.component)
        self.current.note.element_lines.append(line)

    def _ak5(self, segment: list[str]) -> None:
        current = self.current
        if current is None:
            return
        current.close_note()
        codes = [c for c in (_element(segment, n) for n in range(2, 7)) if c]
        current.errors.extend(f"transaction set: {_meaning(c, SET_ERRORS)}" for c in codes)
        if current.set_id and current.control:
            self.sets.append(SetAck(current.set_id, current.control, _element(segment, 1),
                                    tuple(current.errors)))
        self.current = None

    def _ak9(self, segment: list[str]) -> None:
        self.code = _element(segment, 1) or None
        codes = [c for c in (_element(segment, n) for n in range(5, 10)) if c]
        self.group_errors = [f"{c} {_meaning(c, GROUP_ERRORS)}" for c in codes]


def _read_functional(ts: TransactionSet, segments: Iterable[list[str]],
                     component: str) -> ReceivedAck | None:
    reader = _AckReader(component)
    for segment in segments:
        reader.read(segment)
    if reader.code not in GROUP_ACK_CODES or reader.group_control is None:
        return None  # without AK1 and a known AK901 it acknowledges nothing we can name
    note = "; ".join(reader.group_errors) or None
    return ReceivedAck(ts.set_id, None, reader.group_control, reader.functional_id,
                       reader.code, note, tuple(reader.sets))


def _element_line(tag: str, segment: list[str], component: str) -> str:
    """'mandatory data element missing (N902, data element 127)', with the bad value if sent."""
    position = _element(segment, 1).split(component) if component else [_element(segment, 1)]
    element = position[0] if _small_number(position[0]) else ""
    part = position[1] if len(position) > 1 and _small_number(position[1]) else ""
    name = f"{tag or 'element '}{int(element):02d}" if element else "an element"
    if part:
        name += f"-{int(part)}"
    number = _element(segment, 2)
    if number:
        name += f", data element {number}"
    code = _element(segment, 3)
    what = _meaning(code, ELEMENT_ERRORS) if code else "element in error"
    bad = _element(segment, 4)
    return f"{what} ({name})" + (f", found {bad!r}" if bad else "")


def _element(segment: list[str], number: int) -> str:
    return segment[number].strip() if number < len(segment) else ""


def _small_number(value: str) -> bool:
    # A position has at most a few digits; int() of thousands of digits would raise.
    return is_digits(value) and len(value) <= 6


def _meaning(code: str, table: dict[str, str]) -> str:
    """The plain-language meaning of ``code``; '05' finds '5' (counts compare as numbers)."""
    meaning = table.get(code)
    if meaning is None and _small_number(code):
        meaning = table.get(str(int(code)))
    return meaning or f"code {code} (meaning not known to the gateway)"
