"""Findings: what the gateway noticed about a partner's file, as data.

A finding is never an exception. Each carries:

* a stable ``code`` (``"interchange.control-mismatch"``) that tests, samples and operators rely on;
* a severity: an ERROR rejects the structure its X12 code belongs to, a WARNING or INFO does not;
* an optional X12 code (`X12Code`) that maps one to one onto an acknowledgement field:
  TA105 note codes (interchange), AK905 (group), AK502 / IK502 (transaction set),
  AK304 / IK304 (segment) and AK403 / IK403 (element);
* a `Location` precise enough to answer "which segment, which element, where in the file";
* plain-language ``message`` plus ``expected`` / ``found`` values for people.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from enum import StrEnum


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


class Level(StrEnum):
    """Which acknowledgement field an X12 code belongs in."""

    INTERCHANGE = "TA105"  # TA1 note code
    GROUP = "AK905"  # functional group syntax error
    TRANSACTION = "AK502"  # transaction set syntax error
    SEGMENT = "AK304"  # segment syntax error
    ELEMENT = "AK403"  # data element syntax error


@dataclass(frozen=True, slots=True)
class X12Code:
    level: Level
    value: str

    def __str__(self) -> str:
        return f"{self.level.value} {self.value}"


@dataclass(frozen=True, slots=True)
class Location:
    """Where a finding is. Counts are 1-based; ``segment_position`` counts from ST = 1."""

    offset: int | None = None  # character offset in the (BOM-stripped) file text
    file_segment: int | None = None  # segment ordinal in the whole file
    interchange: int | None = None  # ordinal of the interchange in the file
    isa13: str | None = None
    group: int | None = None  # ordinal of the group in its interchange
    gs06: str | None = None
    transaction: int | None = None  # ordinal of the set in its group
    st02: str | None = None
    segment_position: int | None = None
    segment_tag: str | None = None
    loop_id: str | None = None
    element_position: int | None = None
    component_position: int | None = None
    repetition_position: int | None = None
    element_number: str | None = None  # the X12 data element reference number, e.g. "1650"

    def within(self, **changes: object) -> Location:
        return replace(self, **changes)  # type: ignore[arg-type]


@dataclass(frozen=True, slots=True)
class Finding:
    code: str
    message: str
    severity: Severity = Severity.ERROR
    x12: X12Code | None = None
    location: Location = field(default_factory=Location)
    expected: str | None = None
    found: str | None = None

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR

    def rejects(self, level: Level) -> bool:
        """True when this finding rejects a structure at ``level``."""
        return self.is_error and self.x12 is not None and self.x12.level is level


# --- TA105 interchange note codes (X12 element I18) -------------------------------------------
TA1_NO_ERROR = "000"
TA1_CONTROL_MISMATCH = "001"  # ISA13 and IEA02 differ
TA1_STANDARD_NOT_SUPPORTED = "002"
TA1_VERSION_NOT_SUPPORTED = "003"
TA1_BAD_SEGMENT_TERMINATOR = "004"
TA1_BAD_SENDER_QUALIFIER = "005"
TA1_BAD_SENDER_ID = "006"
TA1_BAD_RECEIVER_QUALIFIER = "007"
TA1_BAD_RECEIVER_ID = "008"
TA1_BAD_AUTH_QUALIFIER = "010"
TA1_BAD_AUTH_INFO = "011"
TA1_BAD_SECURITY_QUALIFIER = "012"
TA1_BAD_SECURITY_INFO = "013"
TA1_BAD_DATE = "014"
TA1_BAD_TIME = "015"
TA1_BAD_STANDARDS_ID = "016"
TA1_BAD_VERSION = "017"
TA1_BAD_CONTROL_NUMBER = "018"
TA1_BAD_ACK_REQUESTED = "019"
TA1_BAD_TEST_INDICATOR = "020"
TA1_BAD_GROUP_COUNT = "021"
TA1_BAD_CONTROL_STRUCTURE = "022"
TA1_PREMATURE_END = "023"
TA1_BAD_CONTENT = "024"
TA1_DUPLICATE_CONTROL = "025"
TA1_BAD_ELEMENT_SEPARATOR = "026"
TA1_BAD_COMPONENT_SEPARATOR = "027"

# --- AK905 functional group syntax error codes (X12 element 716) ------------------------------
AK9_NOT_SUPPORTED = "1"
AK9_VERSION_NOT_SUPPORTED = "2"
AK9_TRAILER_MISSING = "3"
AK9_CONTROL_MISMATCH = "4"
AK9_COUNT_WRONG = "5"
AK9_DUPLICATE_CONTROL = "19"

# --- AK502 transaction set syntax error codes (X12 element 718) -------------------------------
AK5_NOT_SUPPORTED = "1"
AK5_TRAILER_MISSING = "2"
AK5_CONTROL_MISMATCH = "3"
AK5_COUNT_WRONG = "4"
AK5_SEGMENTS_IN_ERROR = "5"
AK5_BAD_SET_ID = "6"
AK5_BAD_CONTROL_NUMBER = "7"
AK5_DUPLICATE_CONTROL = "23"

# --- AK304 segment syntax error codes (X12 element 720) ---------------------------------------
AK3_LOOP_OVER_MAXIMUM = "4"
SEGMENT_CODES = {
    "1": "unrecognized segment ID",
    "2": "unexpected segment",
    "3": "mandatory segment missing",
    "4": "loop occurs over maximum times",
    "5": "segment exceeds maximum use",
    "6": "segment not in defined transaction set",
    "7": "segment not in proper sequence",
    "8": "segment has data element errors",
}

# --- AK403 data element syntax error codes (X12 element 723) ----------------------------------
ELEMENT_CODES = {
    "1": "mandatory data element missing",
    "2": "conditional required data element missing",
    "3": "too many data elements",
    "4": "data element too short",
    "5": "data element too long",
    "6": "invalid character in data element",
    "7": "invalid code value",
    "8": "invalid date",
    "9": "invalid time",
    "10": "exclusion condition violated",
    "12": "too many repetitions",
    "13": "too many components",
}


def interchange_error(
    code: str, note: str, message: str, location: Location, **values: str | None
) -> Finding:
    return Finding(code, message, Severity.ERROR, X12Code(Level.INTERCHANGE, note), location,
                   values.get("expected"), values.get("found"))


def tolerated(
    code: str, note: str, message: str, location: Location, *, strict: bool = False,
    **values: str | None
) -> Finding:
    """An interchange-level fault the gateway can read past: a warning that still carries its
    TA1 note code (answered TA104 'E'), or an error when the partner's envelope is strict."""
    return Finding(code, message, Severity.ERROR if strict else Severity.WARNING,
                   X12Code(Level.INTERCHANGE, note), location, values.get("expected"),
                   values.get("found"))


def group_error(
    code: str, ak905: str, message: str, location: Location, **values: str | None
) -> Finding:
    return Finding(code, message, Severity.ERROR, X12Code(Level.GROUP, ak905), location,
                   values.get("expected"), values.get("found"))


def set_error(
    code: str, ak502: str, message: str, location: Location, **values: str | None
) -> Finding:
    return Finding(code, message, Severity.ERROR, X12Code(Level.TRANSACTION, ak502), location,
                   values.get("expected"), values.get("found"))


def warning(code: str, message: str, location: Location, **values: str | None) -> Finding:
    return Finding(code, message, Severity.WARNING, None, location,
                   values.get("expected"), values.get("found"))


def info(code: str, message: str, location: Location) -> Finding:
    return Finding(code, message, Severity.INFO, None, location)
