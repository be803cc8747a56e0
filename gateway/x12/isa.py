"""Reading the ISA interchange header and the delimiters it declares.

The ISA is fixed width: 106 characters with the segment terminator, element separator at
offset 3, component separator at 104 (ISA16), terminator at 105. Real files break this (unpadded
ids, ``b`` placeholders, a line break inside the ISA), so when the fixed positions do not line up
we fall back to splitting on the element separator and warn. Field checks become findings with
the TA1 note code each maps to.

Text here is the file decoded as latin-1, so one character is one byte: a multi-byte UTF-8
terminator such as ``…`` (E2 80 A6) is a three-character terminator.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from gateway.x12 import findings as f
from gateway.x12.findings import Finding, Location
from gateway.x12.text import Text
from gateway.x12.values import X12_CHARACTERS, is_alnum, is_date, is_digits, is_time

ISA_LENGTH = 106
_SEPARATOR_OFFSETS = (3, 6, 17, 20, 31, 34, 50, 53, 69, 76, 81, 83, 89, 99, 101, 103)
_LINE_BREAKS = "\r\n"


@dataclass(frozen=True, slots=True)
class Delimiters:
    element: str
    component: str
    segment: str
    repetition: str | None = None

    def all(self) -> tuple[str, ...]:
        return tuple(d for d in (self.element, self.component, self.segment, self.repetition) if d)


@dataclass(frozen=True, slots=True)
class IsaHeader:
    """The 16 ISA elements (``fields[0]`` is ISA01) and where the segment sits in the text."""

    fields: tuple[str, ...]
    delimiters: Delimiters
    start: int
    end: int  # offset just past the segment terminator
    fixed_width: bool

    def element(self, number: int) -> str:
        return self.fields[number - 1]

    @property
    def control_number(self) -> str:
        return self.fields[12].strip()

    @property
    def version(self) -> str:
        return self.fields[11].strip()

    @property
    def sender(self) -> tuple[str, str]:
        return self.fields[4].strip(), self.fields[5].strip()

    @property
    def receiver(self) -> tuple[str, str]:
        return self.fields[6].strip(), self.fields[7].strip()

    @property
    def ack_requested(self) -> bool:
        return self.fields[13].strip() == "1"

    @property
    def usage(self) -> str:
        return self.fields[14].strip()


@dataclass(frozen=True, slots=True)
class IsaRead:
    header: IsaHeader | None
    findings: tuple[Finding, ...]


def read_isa(text: Text, start: int, where: Location, *, strict: bool = False) -> IsaRead:
    """Read the ISA that begins at ``text[start]`` (which must be ``"ISA"``). ``strict``: an
    envelope X12 does not allow but we can read (not fixed width) is rejected, not tolerated."""
    if len(text) < start + 4:
        return _unreadable(where, "the file ends inside the ISA header", f.TA1_PREMATURE_END)
    separator = text[start + 3]
    problem = separator_problem(separator)
    if problem:
        return _unreadable(where, f"the character after ISA ({separator!r}) cannot be the "
                           f"element separator: {problem}", note=f.TA1_BAD_ELEMENT_SEPARATOR)
    header = _read_fixed_width(text, start) or _read_by_separator(text, start, separator)
    if header is None:
        return _unreadable(where, "the file ends before its 16 elements",
                           f.TA1_PREMATURE_END)
    problems = check_isa(header, where)
    faulty = {x.location.element_position for x in problems if x.is_error}
    widths = [] if header.fixed_width else [
        x for x in _width_notes(header, where, strict) if x.location.element_position
        not in faulty or x.location.element_position is None]
    return IsaRead(header, (*widths, *problems))


def separator_problem(character: str, *, terminator: bool = False) -> str | None:
    """Why ``character`` cannot be a delimiter, or None. X12 lets a sender choose any character
    that is not in its data, control characters included (large carriers use FS, GS, RS, US);
    only what can never work is refused."""
    if character.isascii() and character.isalnum():
        return "a letter or digit is data"
    if character == " ":
        return "a space is data"
    if character == "\x00":
        return "NUL cannot be a delimiter"
    if character in _LINE_BREAKS and not terminator:
        return "a line break can only end segments"
    return None


def _width_notes(header: IsaHeader, where: Location, strict: bool) -> list[Finding]:
    """The ISA is not 106 characters: say which fields are not their fixed width, each with
    the TA1 note code for that field (answered TA104 'E', or rejected when strict)."""
    length = header.end - len(header.delimiters.segment) - header.start + 1
    notes = [f.tolerated(
        f"isa.isa{number:02d}-wrong-width", note,
        f"ISA{number:02d} ({what}) is {len(value)} characters wide; the ISA is fixed width "
        f"and ISA{number:02d} must be {width}.", where.within(segment_tag="ISA",
                                                             element_position=number),
        strict=strict, expected=f"{width} characters", found=value)
        for number, width, note, what in _WIDTHS
        if len(value := header.element(number)) != width]
    if not notes:  # every field fits, so something else is in the way (a line break...)
        notes.append(f.tolerated(
            "isa.not-fixed-width", f.TA1_BAD_CONTENT,
            f"The ISA spans {length} characters with its terminator, not 106 (a line break "
            "or other characters between its fields); it was read by its separators.",
            where.within(segment_tag="ISA"), strict=strict, expected="106 characters",
            found=f"{length} characters"))
    verb = "rejected (strict_envelope)" if strict else "read by its separators and accepted"
    notes.insert(0, f.info("isa.read-by-separators", f"The ISA is not fixed width; it was {verb}.",
                           where.within(segment_tag="ISA")))
    return notes


def _unreadable(where: Location, why: str, note: str = f.TA1_BAD_CONTROL_STRUCTURE) -> IsaRead:
    message = f"The interchange header (ISA) cannot be read: {why}. No acknowledgement can be sent."
    return IsaRead(None, (f.interchange_error("isa.unreadable", note, message, where),))


def _read_fixed_width(text: Text, start: int) -> IsaHeader | None:
    segment = text[start:start + ISA_LENGTH - 1]
    if len(segment) < ISA_LENGTH - 1:
        return None
    separator = segment[3]
    if any(segment[i] != separator for i in _SEPARATOR_OFFSETS):
        return None
    if segment.count(separator) != len(_SEPARATOR_OFFSETS):
        return None
    terminator = _terminator_at(text, start + ISA_LENGTH - 1)
    if not terminator:
        return None
    fields = tuple(segment[4:].split(separator))
    return _header(fields, separator, terminator, start, start + ISA_LENGTH - 1, fixed=True)


def _read_by_separator(text: Text, start: int, separator: str) -> IsaHeader | None:
    position = start + 3
    for _ in range(15):
        position = text.find(separator, position + 1)
        if position < 0:
            return None
    component_at = position + 1
    terminator = _terminator_at(text, component_at + 1)
    if component_at >= len(text) or not terminator:
        return None
    raw = text[start + 4:component_at + 1]
    fields = tuple(_without_line_breaks(value) for value in raw.split(separator))
    return _header(fields, separator, terminator, start, component_at + 1, fixed=False)


def _without_line_breaks(value: str) -> str:
    return value.replace("\r", "").replace("\n", "")


def _terminator_at(text: Text, position: int) -> str:
    """The segment terminator starting at ``position``: one character, or a whole UTF-8 one."""
    if position >= len(text):
        return ""
    first = ord(text[position])
    extra = 1 if 0xC2 <= first <= 0xDF else 2 if 0xE0 <= first <= 0xEF else \
        3 if 0xF0 <= first <= 0xF4 else 0
    candidate = text[position:position + 1 + extra]
    if extra and not all(0x80 <= ord(c) <= 0xBF for c in candidate[1:]):
        return text[position]
    return candidate


def _header(fields: tuple[str, ...], separator: str, terminator: str, start: int,
            terminator_at: int, *, fixed: bool) -> IsaHeader:
    version = fields[11].strip()
    isa11 = fields[10]
    usable = len(isa11) == 1 and separator_problem(isa11) is None
    repetition = isa11 if version >= "00402" and usable else None
    if terminator in _LINE_BREAKS:
        terminator = "\n"  # the intake has already folded CR LF and CR into LF
    delimiters = Delimiters(separator, fields[15][:1], terminator, repetition)
    return IsaHeader(fields, delimiters, start, terminator_at + len(terminator), fixed)


def check_isa(header: IsaHeader, where: Location) -> list[Finding]:
    """Element-level checks of an ISA that could be read; each maps to a TA1 note code."""
    problems = [*_check_delimiters(header.delimiters, where)]
    for number, valid, note, what in _ISA_RULES:
        value = header.element(number)
        if not valid(value.strip() if number in _TRIMMED else value):
            problems.append(f.interchange_error(
                f"isa.isa{number:02d}-invalid", note,
                f"ISA{number:02d} ({what}) is not valid.", where.within(
                    segment_tag="ISA", element_position=number), expected=_EXPECTED[number],
                found=value))
    problems.extend(_check_isa11(header, where))
    problems.extend(_unechoable_ids(header, where))
    return problems


def _unechoable_ids(header: IsaHeader, where: Location) -> list[Finding]:
    """ISA06 comes back as our answer's ISA08: a sender id holding one of the interchange's
    delimiters (or a character outside X12's sets) would split our envelope. (ISA08 names us;
    it is never echoed.)"""
    value = header.element(6).strip()
    delimiters = set("".join(header.delimiters.all()))
    bad = sorted({c for c in value if c in delimiters or c not in X12_CHARACTERS})
    if not (value and bad):
        return []
    return [f.interchange_error(
        "isa.isa06-invalid", f.TA1_BAD_SENDER_ID,
        f"ISA06 holds {', '.join(repr(c) for c in bad)}: a delimiter or a character outside "
        "the X12 character sets cannot be in the sender id (no acknowledgement could be "
        "addressed to it).", where.within(segment_tag="ISA", element_position=6), found=value)]


def _check_isa11(header: IsaHeader, where: Location) -> list[Finding]:
    value = header.element(11)
    if header.version >= "00402" and header.delimiters.repetition is None:
        return [f.warning(
            "isa.isa11-not-a-separator",
            f"ISA11 is {value!r}; from version 00402 it is the repetition separator, and a "
            "letter, digit or space cannot be one. Repetitions are not split.",
            where.within(segment_tag="ISA", element_position=11), found=value)]
    if header.version < "00402" and value != "U":
        return [f.warning(
            "isa.isa11-not-u",
            f"ISA11 is {value!r}; version {header.version} expects the standards identifier 'U'. "
            "It is not used as a repetition separator.",
            where.within(segment_tag="ISA", element_position=11), expected="U", found=value)]
    return []


def _check_delimiters(d: Delimiters, where: Location) -> list[Finding]:
    """Each delimiter must be usable and play one role only; an unusual control character is
    accepted with a warning (some transports and editors alter them)."""
    at = where.within(segment_tag="ISA")
    problems = []
    component_problem = ("it is missing" if not d.component else
                         separator_problem(d.component) or _same_as(d.component, d, "component"))
    if component_problem:
        problems.append(f.interchange_error(
            "isa.bad-component-separator", f.TA1_BAD_COMPONENT_SEPARATOR,
            f"ISA16 component separator {d.component!r} cannot be used: {component_problem}.",
            at.within(element_position=16), found=d.component))
    # A multi-character terminator is one UTF-8 character (``…``) read as latin-1 bytes.
    terminator_problem = ((len(d.segment) == 1 and separator_problem(d.segment, terminator=True))
                          or _same_as(d.segment, d, "segment"))
    if terminator_problem:
        problems.append(f.interchange_error(
            "isa.bad-segment-terminator", f.TA1_BAD_SEGMENT_TERMINATOR,
            f"The segment terminator {d.segment!r} cannot be used: {terminator_problem}.", at,
            found=d.segment))
    if d.repetition is not None and (clash := _same_as(d.repetition, d, "repetition")):
        problems.append(f.interchange_error(
            "isa.bad-repetition-separator", f.TA1_BAD_STANDARDS_ID,
            f"ISA11 repetition separator {d.repetition!r} cannot be used: {clash}.",
            at.within(element_position=11), found=d.repetition))
    problems.extend(_unusual(d, at))
    return problems


def _same_as(character: str, d: Delimiters, role: str) -> str | None:
    # A clash with ISA11 is ISA11's fault (it is checked last, against the three others).
    roles = {"element": d.element, "component": d.component, "segment": d.segment}
    clash = [name for name, value in roles.items() if name != role and value == character]
    return f"it is also the {clash[0]} separator" if clash else None


_COMMON_CONTROL = "\n\x1c\x1d\x1e\x1f"  # LF, FS, GS, RS, US: used by partners as delimiters


def _unusual(d: Delimiters, at: Location) -> list[Finding]:
    single = [c for c in d.all() if len(c) == 1]
    odd = sorted({c for c in single if (ord(c) < 32 or 127 <= ord(c) < 160)
                  and c not in _COMMON_CONTROL})
    if not odd:
        return []
    return [f.warning(
        "isa.unusual-delimiter",
        f"The interchange uses the control character{'s' * (len(odd) > 1)} "
        f"{', '.join(repr(c) for c in odd)} as a delimiter: allowed by X12, but some "
        "transports and editors alter such characters. Our answers use the same delimiters.",
        at, found=", ".join(repr(c) for c in odd))]


# ISA field, fixed width, the TA1 note code that names it, and what it is.
_WIDTHS = (
    (1, 2, f.TA1_BAD_AUTH_QUALIFIER, "authorization qualifier"),
    (2, 10, f.TA1_BAD_AUTH_INFO, "authorization information"),
    (3, 2, f.TA1_BAD_SECURITY_QUALIFIER, "security qualifier"),
    (4, 10, f.TA1_BAD_SECURITY_INFO, "security information"),
    (5, 2, f.TA1_BAD_SENDER_QUALIFIER, "sender qualifier"),
    (6, 15, f.TA1_BAD_SENDER_ID, "sender id"),
    (7, 2, f.TA1_BAD_RECEIVER_QUALIFIER, "receiver qualifier"),
    (8, 15, f.TA1_BAD_RECEIVER_ID, "receiver id"),
    (9, 6, f.TA1_BAD_DATE, "interchange date"),
    (10, 4, f.TA1_BAD_TIME, "interchange time"),
    (11, 1, f.TA1_BAD_STANDARDS_ID, "standards identifier / repetition separator"),
    (12, 5, f.TA1_BAD_VERSION, "control version number"),
    (13, 9, f.TA1_BAD_CONTROL_NUMBER, "interchange control number"),
    (14, 1, f.TA1_BAD_ACK_REQUESTED, "acknowledgment requested"),
    (15, 1, f.TA1_BAD_TEST_INDICATOR, "usage indicator"),
    (16, 1, f.TA1_BAD_COMPONENT_SEPARATOR, "component separator"),
)
_TRIMMED = {5, 6, 7, 8}
_AUTH_QUALIFIERS = ("00", "01", "02", "03", "04", "05", "06", "07")  # I01, 4010 through 5010
_ISA_RULES: tuple[tuple[int, Callable[[str], bool], str, str], ...] = (
    (1, lambda v: v in _AUTH_QUALIFIERS, f.TA1_BAD_AUTH_QUALIFIER, "authorization qualifier"),
    (3, lambda v: v in ("00", "01"), f.TA1_BAD_SECURITY_QUALIFIER, "security qualifier"),
    (5, lambda v: len(v) == 2 and is_alnum(v), f.TA1_BAD_SENDER_QUALIFIER, "sender qualifier"),
    (6, lambda v: 0 < len(v) <= 15, f.TA1_BAD_SENDER_ID, "sender id"),
    (7, lambda v: len(v) == 2 and is_alnum(v), f.TA1_BAD_RECEIVER_QUALIFIER,
     "receiver qualifier"),
    (8, lambda v: 0 < len(v) <= 15, f.TA1_BAD_RECEIVER_ID, "receiver id"),
    (9, lambda v: is_date(v, (6,)), f.TA1_BAD_DATE, "interchange date"),
    (10, lambda v: is_time(v, seconds=False), f.TA1_BAD_TIME, "interchange time"),
    (12, lambda v: len(v) == 5 and is_digits(v), f.TA1_BAD_VERSION, "control version number"),
    (13, lambda v: len(v) == 9 and is_digits(v), f.TA1_BAD_CONTROL_NUMBER,
     "interchange control number"),
    (14, lambda v: v in ("0", "1"), f.TA1_BAD_ACK_REQUESTED, "acknowledgment requested"),
    (15, lambda v: v in ("P", "T", "I"), f.TA1_BAD_TEST_INDICATOR, "usage indicator"),
)
_EXPECTED = {
    1: "00 to 07", 3: "00 or 01", 5: "2 letters or digits", 6: "1 to 15 characters",
    7: "2 letters or digits", 8: "1 to 15 characters", 9: "a date YYMMDD", 10: "a time HHMM",
    12: "5 digits", 13: "9 digits", 14: "0 or 1", 15: "P, T or I",
}
