"""The envelope layer: bytes in, interchanges / groups / transaction sets out, with findings.

One pass over the file. Only envelope segments (ISA, IEA, GS, GE, ST, SE, TA1, ISB, ISE) are split
into elements; every other segment is only counted, and a transaction set remembers its span in
the text, so memory stays flat however large the file is. Control numbers and counts are checked
here, once, and become findings with the X12 code each maps to (TA1 note, AK905, AK502).
"""

from __future__ import annotations

from typing import BinaryIO

from gateway.model.payload import contents_size
from gateway.x12 import findings as f
from gateway.x12.findings import Finding, Level, Location, Severity, X12Code
from gateway.x12.isa import Delimiters, IsaHeader, read_isa
from gateway.x12.limits import FrontDoorRules, Limits
from gateway.x12.structure import (
    FunctionalGroup,
    Intake,
    Interchange,
    Ta1Ack,
    TransactionSet,
)
from gateway.x12.text import (
    FileKind,
    SourceText,
    Text,
    iter_raw_segments,
    leading_tag,
    split_elements,
)
from gateway.x12.values import X12_CHARACTERS, is_alnum, is_date, is_digits, is_time, is_x12_text

DEFAULT_RULES = FrontDoorRules()


def read_intake(data: bytes | BinaryIO, rules: FrontDoorRules = DEFAULT_RULES) -> Intake:
    """Read every interchange in ``data``: the file's bytes, or a seekable binary stream of
    them (read in chunks and never held whole; it must stay open while the intake is used).
    Never raises on partner data. A file over the size limit is refused from its first ISA
    alone; one over a count limit is read no further."""
    size = contents_size(data)
    too_big = size > rules.limits.file_bytes
    source = _source_text(data, head_only=too_big)
    findings = list(source.findings)
    interchanges: list[Interchange] = []
    position = source.first_content
    if source.kind is not FileKind.X12:
        if too_big:  # not "empty" or "not X12": its first 4 KB say nothing about the rest
            findings[:] = [_too_large(size, rules.limits, Location(offset=0))]
        return Intake(source, interchanges, findings)
    seen_controls: set[str] = set()
    segment_counter = 0
    budget = _Budget(rules.limits)
    while position < len(source.text):
        where = Location(offset=position, file_segment=segment_counter + 1,
                         interchange=len(interchanges) + 1)
        isa = read_isa(source.text, position, where, strict=rules.strict_envelope)
        if isa.header is None:
            findings.extend(isa.findings)
            break
        if too_big:
            interchanges.append(_refused_unread(isa.header, size, rules.limits))
            break
        reader = _InterchangeReader(source.text, isa.header, len(interchanges) + 1,
                                    segment_counter, budget)
        interchange, position, segment_counter = reader.read()
        interchange.findings[:0] = [_relocated(x, interchange) for x in isa.findings]
        _check_duplicate_control(interchange, seen_controls)
        interchanges.append(interchange)
        if budget.exceeded:
            break
        position = source.skip_blank(position)
        if position < len(source.text) and not source.text.startswith("ISA", position):
            findings.append(f.warning(
                "file.trailing-data", "There is data after the last interchange trailer (IEA) "
                "that is not another interchange; it was ignored.",
                Location(offset=position), found=source.text[position:position + 20]))
            break
    return Intake(source, interchanges, findings)


_HEAD_WHEN_TOO_BIG = 4096  # enough for the ISA of a file refused for its size


def _source_text(data: bytes | BinaryIO, *, head_only: bool) -> SourceText:
    if isinstance(data, bytes):
        return SourceText.from_bytes(data[:_HEAD_WHEN_TOO_BIG] if head_only else data)
    if head_only:
        data.seek(0)
        return SourceText.from_bytes(data.read(_HEAD_WHEN_TOO_BIG))
    return SourceText.from_stream(data)


def _refused_unread(header: IsaHeader, size: int, limits: Limits) -> Interchange:
    interchange = Interchange(header, 1)
    interchange.findings.append(_too_large(size, limits, interchange.where()))
    return interchange


def _too_large(size: int, limits: Limits, where: Location) -> Finding:
    return f.interchange_error(
        "file.too-large", f.TA1_BAD_CONTENT,
        f"The file is {size:,} bytes; the limit is {limits.file_bytes:,} bytes "
        "(limits.file_size), so it was refused unread (only its first bytes were looked at, "
        "for an interchange header to answer).",
        where, expected=f"at most {limits.file_bytes:,} bytes", found=f"{size:,} bytes")


class _Budget:
    """Counts what the whole file holds against the limits, across its interchanges."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.segments = self.groups = self.sets = 0
        self.exceeded = False

    def breach(self, what: str) -> str | None:
        """Count one more ``what``; the problem when that is one too many."""
        count = getattr(self, what) + 1
        setattr(self, what, count)
        limit = getattr(self.limits, what)
        if count <= limit:
            return None
        self.exceeded = True
        return (f"the file holds more than {limit:,} {_COUNTED[what]} (limits.{what}); it was "
                "read no further and is rejected")


_COUNTED = {"segments": "segments", "groups": "functional groups", "sets": "transaction sets"}


def _relocated(finding: Finding, interchange: Interchange) -> Finding:
    loc = finding.location.within(isa13=interchange.control)
    return Finding(finding.code, finding.message, finding.severity, finding.x12, loc,
                   finding.expected, finding.found)


def _check_duplicate_control(interchange: Interchange, seen: set[str]) -> None:
    if interchange.control in seen:
        interchange.findings.append(f.interchange_error(
            "interchange.duplicate-control", f.TA1_DUPLICATE_CONTROL,
            f"Interchange control number {interchange.control} appears twice in this file.",
            interchange.where(), found=interchange.control))
    seen.add(interchange.control)


def same_number(declared: str | None, actual: str | int) -> bool:
    """Compare control numbers and counts as X12 intends: as numbers when both are digits."""
    if declared is None:
        return False
    declared, actual_text = declared.strip(), str(actual).strip()
    if is_digits(declared) and is_digits(actual_text):
        return int(declared) == int(actual_text)
    return declared == actual_text


class _InterchangeReader:
    """Walks the segments of one interchange; one method per envelope segment."""

    def __init__(self, text: Text, header: IsaHeader, ordinal: int, segments_before: int,
                 budget: _Budget) -> None:
        self.text = text
        self.delimiters = header.delimiters
        self.interchange = Interchange(header, ordinal)
        self.segment_number = segments_before + 1  # the ISA itself
        self.group: FunctionalGroup | None = None
        self.ts: TransactionSet | None = None
        self.stray_reported = False
        self.budget = budget
        self.hierarchy = _Hierarchy()
        self.group_controls: set[int] = set()
        self.set_controls: set[str] = set()

    def read(self) -> tuple[Interchange, int, int]:
        handlers = {"GS": self._gs, "GE": self._ge, "ST": self._st, "SE": self._se,
                    "TA1": self._ta1, "ISB": self._service, "ISE": self._service}
        for start, end, raw in iter_raw_segments(self.text, self.interchange.header.end,
                                                 len(self.text), self.delimiters.segment):
            self.segment_number += 1
            tag = leading_tag(raw, self.delimiters.element)
            if tag == "ISA":
                self.segment_number -= 1
                return self._finish_without_trailer(start)
            if self._over_budget("segments", start, tag):
                return self._finish_over_budget(start)
            if tag == "IEA":
                self._iea(split_elements(raw, self.delimiters.element), start, end)
                return self.interchange, end, self.segment_number
            handler = handlers.get(tag)
            if handler is not None:
                handler(split_elements(raw, self.delimiters.element), start, end)
                if self.budget.exceeded:
                    return self._finish_over_budget(start)
            else:
                self._body(tag, raw, start, end)
        return self._finish_without_trailer(len(self.text))

    def _over_budget(self, what: str, start: int, tag: str) -> bool:
        problem = self.budget.breach(what)
        if problem is None:
            return False
        self.interchange.findings.append(f.interchange_error(
            f"file.too-many-{what}", f.TA1_BAD_CONTENT,
            f"Rejected before validation: {problem}.", self._where(start, tag)))
        return True

    def _finish_over_budget(self, offset: int) -> tuple[Interchange, int, int]:
        """Stop reading: the interchange is rejected (TA1 024), nothing after it is read, and
        what was read is not validated either (no 997 will speak of it: bounded work)."""
        for group in self.interchange.groups:
            for ts in group.sets:
                ts.skip_validation = True
        self.ts = self.group = None
        self.interchange.end = offset
        return self.interchange, len(self.text), self.segment_number

    # --- locations -----------------------------------------------------------------------
    def _where(self, offset: int, tag: str) -> Location:
        loc = self.interchange.where().within(offset=offset, file_segment=self.segment_number,
                                              segment_tag=tag)
        if self.group is not None:
            loc = loc.within(group=self.group.ordinal, gs06=self.group.control)
        if self.ts is not None:
            loc = loc.within(transaction=self.ts.ordinal, st02=self.ts.control,
                             segment_position=self.ts.segment_count)
        return loc

    # --- segment handlers ----------------------------------------------------------------
    def _body(self, tag: str, raw: str, start: int, end: int) -> None:
        ts = self.ts
        if ts is None:
            self._stray(tag, start)
            return
        ts.segment_count += 1
        ts.end = end
        if tag == "HL" and not ts.skip_validation:
            self._hl(split_elements(raw, self.delimiters.element), start)

    def _hl(self, elements: list[str], start: int) -> None:
        """Track how deep HL levels nest; deeper than the limit, the set is not validated (a
        hostile nesting makes pyx12's parent checks quadratic) and is rejected."""
        assert self.ts is not None
        depth = self.hierarchy.enter(_element(elements, 1) or "", _element(elements, 2) or "")
        limit = self.budget.limits.hl_depth
        if depth <= limit:
            return
        self.ts.skip_validation = True
        self.ts.findings.append(Finding(
            "set.hl-too-deep", f"HL levels nest {depth} deep here; the limit is {limit} "
            "(limits.hl_depth), so this transaction set is rejected without further "
            "validation.", Severity.ERROR, X12Code(Level.SEGMENT, f.AK3_LOOP_OVER_MAXIMUM),
            self._where(start, "HL"), expected=f"at most {limit} levels",
            found=f"{depth} levels"))

    def _stray(self, tag: str, start: int) -> None:
        if self.stray_reported:
            return
        self.stray_reported = True
        where = "a functional group" if self.group is None else "a transaction set"
        self.interchange.findings.append(f.interchange_error(
            "interchange.segment-outside-envelope", f.TA1_BAD_CONTROL_STRUCTURE,
            f"Segment {tag or '(empty)'} appears outside {where}; the envelope structure is "
            "broken.", self._where(start, tag), found=tag))

    def _service(self, elements: list[str], start: int, end: int) -> None:
        if self.interchange.groups or self.group is not None:
            self._stray(elements[0], start)
            return
        self.interchange.findings.append(f.info(
            "interchange.service-segment",
            f"Interchange service segment {elements[0]} was read and skipped.",
            self._where(start, elements[0])))

    def _gs(self, elements: list[str], start: int, end: int) -> None:
        self._close_group_without_trailer(start)
        if self._over_budget("groups", start, "GS"):
            return
        values = tuple((elements[1:] + [""] * 8)[:8])
        group = FunctionalGroup(values, len(self.interchange.groups) + 1, self.segment_number)
        self.interchange.groups.append(group)
        self.group = group
        self.set_controls = set()
        group.findings.extend(_check_gs(values, self._where(start, "GS"), self.delimiters))
        control = group.control.strip()
        if not (is_digits(control) and 1 <= len(control) <= 9):
            # A group a 997 cannot name (AK102 is numeric) is answered at interchange level.
            group.findings.append(f.interchange_error(
                "group.gs06-invalid", f.TA1_BAD_CONTENT,
                "GS06 (group control number) must be 1 to 9 digits, so the functional group "
                "header cannot be trusted.", self._where(start, "GS").within(element_position=6),
                expected="1 to 9 digits", found=control))
        elif int(control) in self.group_controls:
            group.findings.append(f.group_error(
                "group.duplicate-control", f.AK9_DUPLICATE_CONTROL,
                f"Group control number {control} is used twice in this interchange.",
                self._where(start, "GS").within(element_position=6), found=control))
        else:
            self.group_controls.add(int(control))

    def _ge(self, elements: list[str], start: int, end: int) -> None:
        self._close_set_without_trailer(start)
        group = self.group
        if group is None:
            self._stray("GE", start)
            return
        group.declared_count = _element(elements, 1)
        group.trailer_control = _element(elements, 2)
        where = self._where(start, "GE")
        if not same_number(group.declared_count, len(group.sets)):
            group.findings.append(f.group_error(
                "group.count-mismatch", f.AK9_COUNT_WRONG,
                f"GE01 says the group holds {group.declared_count} transaction sets; "
                f"it holds {len(group.sets)}.", where.within(element_position=1),
                expected=str(len(group.sets)), found=group.declared_count))
        if not same_number(group.trailer_control, group.control):
            group.findings.append(f.group_error(
                "group.control-mismatch", f.AK9_CONTROL_MISMATCH,
                f"GE02 ({group.trailer_control}) does not match GS06 ({group.control}).",
                where.within(element_position=2), expected=group.control,
                found=group.trailer_control))
        self.group = None

    def _st(self, elements: list[str], start: int, end: int) -> None:
        self._close_set_without_trailer(start)
        if self.group is None:
            self._stray("ST", start)
            return
        if self._over_budget("sets", start, "ST"):
            return
        control = _element(elements, 2) or ""
        ts = TransactionSet(_element(elements, 1) or "", control, _element(elements, 3),
                            len(self.group.sets) + 1, start, end, self.segment_number)
        duplicate = control in self.set_controls
        self.set_controls.add(control)
        self.group.sets.append(ts)
        self.ts = ts
        self.hierarchy = _Hierarchy()
        where = self._where(start, "ST")
        if not (len(ts.set_id) == 3 and is_digits(ts.set_id)):
            ts.findings.append(f.set_error(
                "set.bad-set-id", f.AK5_BAD_SET_ID, "ST01 is not a transaction set identifier.",
                where.within(element_position=1), expected="3 digits", found=ts.set_id))
        if not 4 <= len(control) <= 9:
            ts.findings.append(f.set_error(
                "set.bad-control-number", f.AK5_BAD_CONTROL_NUMBER,
                "ST02 (transaction set control number) must be 4 to 9 characters.",
                where.within(element_position=2), found=control))
        elif unsafe := _unechoable(control, self.delimiters):
            ts.findings.append(f.set_error(
                "set.bad-control-number", f.AK5_BAD_CONTROL_NUMBER,
                f"ST02 (transaction set control number) holds {unsafe}: it cannot be echoed "
                "in an acknowledgement (AK202), so the set cannot be accepted.",
                where.within(element_position=2), found=control))
        elif duplicate:
            ts.findings.append(f.set_error(
                "set.duplicate-control", f.AK5_DUPLICATE_CONTROL,
                f"Transaction set control number {control} is used twice in this group.",
                where.within(element_position=2), found=control))

    def _se(self, elements: list[str], start: int, end: int) -> None:
        ts = self.ts
        if ts is None:
            self._stray("SE", start)
            return
        ts.segment_count += 1
        ts.end = end
        ts.declared_count = _element(elements, 1)
        ts.trailer_control = _element(elements, 2)
        where = self._where(start, "SE")
        if not same_number(ts.declared_count, ts.segment_count):
            ts.findings.append(f.set_error(
                "set.count-mismatch", f.AK5_COUNT_WRONG,
                f"SE01 says the transaction set has {ts.declared_count} segments; "
                f"it has {ts.segment_count} (ST to SE).", where.within(element_position=1),
                expected=str(ts.segment_count), found=ts.declared_count))
        if (ts.trailer_control or "").strip() != ts.control.strip():
            ts.findings.append(f.set_error(
                "set.control-mismatch", f.AK5_CONTROL_MISMATCH,
                f"SE02 ({ts.trailer_control}) does not match ST02 ({ts.control}).",
                where.within(element_position=2), expected=ts.control,
                found=ts.trailer_control))
        self.ts = None

    def _ta1(self, elements: list[str], start: int, end: int) -> None:
        where = self._where(start, "TA1")
        if self.group is not None:
            self._stray("TA1", start)
            return
        control, date, time, code, note = ((_element(elements, n) or "") for n in range(1, 6))
        ack = Ta1Ack(control, date, time, code, note, where)
        self.interchange.ta1s.append(ack)
        problem = _ta1_problem(ack, len(elements) - 1)
        if problem:
            self.interchange.findings.append(f.interchange_error(
                "interchange.bad-ta1", f.TA1_BAD_CONTENT, f"This TA1 is malformed: {problem}.",
                where, found=self.delimiters.element.join(elements)))
        if self.interchange.groups:
            self.interchange.findings.append(f.info(
                "interchange.ta1-after-group",
                "A TA1 follows a functional group; X12 places it before the first GS. "
                "It was read anyway.", where))

    def _iea(self, elements: list[str], start: int, end: int) -> None:
        self._close_group_without_trailer(start)
        ic = self.interchange
        ic.declared_groups = _element(elements, 1)
        ic.trailer_control = _element(elements, 2)
        ic.end = end
        where = self._where(start, "IEA")
        if not (ic.declared_groups or "").strip():
            ic.findings.append(f.interchange_error(
                "interchange.count-missing", f.TA1_BAD_GROUP_COUNT,
                f"IEA01 (number of functional groups) is missing; the interchange holds "
                f"{len(ic.groups)}.", where.within(element_position=1),
                expected=str(len(ic.groups))))
        elif not ic.groups and ic.ta1s and same_number(ic.declared_groups, len(ic.ta1s)):
            ic.findings.append(f.warning(
                "interchange.count-includes-ta1",
                f"IEA01 is {ic.declared_groups}: it counts the TA1 segments, but X12 counts only "
                "functional groups, so it should be 0.", where.within(element_position=1),
                expected="0", found=ic.declared_groups))
        elif not same_number(ic.declared_groups, len(ic.groups)):
            ic.findings.append(f.interchange_error(
                "interchange.count-mismatch", f.TA1_BAD_GROUP_COUNT,
                f"IEA01 says the interchange holds {ic.declared_groups} functional groups; "
                f"it holds {len(ic.groups)}.", where.within(element_position=1),
                expected=str(len(ic.groups)), found=ic.declared_groups))
        if not same_number(ic.trailer_control, ic.control):
            ic.findings.append(f.interchange_error(
                "interchange.control-mismatch", f.TA1_CONTROL_MISMATCH,
                f"IEA02 ({ic.trailer_control}) does not match ISA13 ({ic.control}).",
                where.within(element_position=2), expected=ic.control,
                found=ic.trailer_control))
        if not ic.groups and not ic.ta1s:
            ic.findings.append(f.interchange_error(
                "interchange.empty", f.TA1_BAD_CONTENT,
                "The interchange holds neither a functional group nor a TA1.", where))

    # --- missing trailers ----------------------------------------------------------------
    def _close_set_without_trailer(self, offset: int) -> None:
        ts = self.ts
        if ts is None:
            return
        ts.findings.append(f.set_error(
            "set.trailer-missing", f.AK5_TRAILER_MISSING,
            f"Transaction set {ts.control} has no SE trailer.",
            self._where(offset, "ST").within(segment_position=1, offset=ts.start)))
        self.ts = None

    def _close_group_without_trailer(self, offset: int) -> None:
        self._close_set_without_trailer(offset)
        group = self.group
        if group is None:
            return
        group.findings.append(f.group_error(
            "group.trailer-missing", f.AK9_TRAILER_MISSING,
            f"Functional group {group.control} has no GE trailer.", self._where(offset, "GS")))
        self.group = None

    def _finish_without_trailer(self, offset: int) -> tuple[Interchange, int, int]:
        self._close_group_without_trailer(offset)
        self.interchange.end = offset
        self.interchange.findings.append(f.interchange_error(
            "interchange.trailer-missing", f.TA1_PREMATURE_END,
            f"Interchange {self.interchange.control} has no IEA trailer: the data ends early.",
            self.interchange.where().within(offset=offset)))
        return self.interchange, offset, self.segment_number


def _unechoable(value: str, delimiters: Delimiters) -> str | None:
    """Why ``value`` cannot be copied into our answer, which uses the partner's delimiters."""
    bad = sorted({c for c in value if c in delimiters.all() or c not in X12_CHARACTERS})
    if not bad:
        return None
    return ", ".join(repr(c) for c in bad) + (" (a delimiter or a character outside the X12 "
                                              "character sets)")


class _Hierarchy:
    """The chain of open HL levels in one set, linear however they nest: each HL's parent
    (HL02) must be an open ancestor; the levels below that parent close."""

    def __init__(self) -> None:
        self.chain: list[str] = []
        self.open: set[str] = set()

    def enter(self, number: str, parent: str) -> int:
        if not parent or parent not in self.open:
            self.chain.clear()
            self.open.clear()
        while self.chain and self.chain[-1] != parent:
            self.open.discard(self.chain.pop())
        self.chain.append(number)
        self.open.add(number)
        return len(self.chain)


def _check_gs(values: tuple[str, ...], where: Location,
              delimiters: Delimiters) -> list[Finding]:
    """GS element checks. X12 answers a bad GS at interchange level: TA1 note 024."""
    # Before 004010 GS04 was YYMMDD; real 003xxx files send either width, so both are taken.
    widths = (8,) if values[7][:3] >= "004" else (6, 8)
    rules = (
        (1, len(values[0]) == 2 and is_alnum(values[0]) and values[0].isalpha(),
         "a 2-letter functional identifier"),
        (2, 2 <= len(values[1].strip()) <= 15 and not _unechoable(values[1].strip(),
                                                                   delimiters),
         "a 2 to 15 character sender code in the X12 character sets, without delimiters"),
        (3, 2 <= len(values[2].strip()) <= 15, "a 2 to 15 character receiver code"),
        (4, is_date(values[3], widths), "a date CCYYMMDD" + (" or YYMMDD" * (6 in widths))),
        (5, is_time(values[4]), "a time HHMM, HHMMSS or HHMMSSDD"),
        (7, values[6] in ("X", "T"), "X (ASC X12) or T (TDCC)"),
        (8, is_x12_text(values[7].strip(), 1, 12), "a version/release code of 1 to 12 "
         "characters"),
    )
    return [f.interchange_error(
        f"group.gs{number:02d}-invalid", f.TA1_BAD_CONTENT,
        f"GS{number:02d} is not valid, so the functional group header cannot be trusted.",
        where.within(element_position=number), expected=expected, found=values[number - 1])
        for number, ok, expected in rules if not ok]


def _element(elements: list[str], number: int) -> str | None:
    return elements[number] if number < len(elements) else None


def _ta1_problem(ack: Ta1Ack, element_count: int) -> str | None:
    checks = (
        (element_count == 5, f"it has {element_count} elements instead of 5"),
        (len(ack.acknowledged_control) == 9 and is_digits(ack.acknowledged_control),
         "TA101 must be the 9-digit interchange control number"),
        (len(ack.date) == 6 and is_digits(ack.date), "TA102 must be a date YYMMDD"),
        (len(ack.time) == 4 and is_digits(ack.time), "TA103 must be a time HHMM"),
        (ack.ack_code in ("A", "E", "R"), "TA104 must be A, E or R"),
        (len(ack.note_code) == 3 and is_digits(ack.note_code), "TA105 must be a 3-digit code"),
    )
    return next((why for ok, why in checks if not ok), None)
