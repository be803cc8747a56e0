"""The 824 Application Advice: telling a partner, in words, which document we could not use.

A partner's transaction set can pass X12 validation (its 997 says AK5*A: the syntax is right)
and still be unusable: its mapping failed because a required value is missing or a value cannot
be used. The 997 stays about syntax. A partner whose policy asks for it (partner file
``x12: {application_advice: x12-824}``, default ``none``; see `ApplicationAdvice`) also gets an
824 saying which document could not be used and why.

`application_advice_824` builds the *body* of one 824 (no ST/SE), like the set builders of
`gateway.x12.outbound`. ``write_interchange("AG", [("824", body)], envelope, at)`` from that
module wraps it with the partner's delimiters and our control numbers. That envelope step cleans
every value against the partner's delimiters, so no delimiter can split an element. This module
cleans what it can check without them: free text becomes one line in the X12 character sets
(anything else becomes '?') and is cut to its element, and identifiers that do not fit raise
``ValueError`` (a cut or altered control number would point at another document). Lengths are
the 004010 ones, which are never longer than the 005010 ones, so one body is valid in both.

X12 choices:

* ``BGN*00*<advice id>*<date>*<time>*UT``: an original (353 ``00``) with our own id for this
  advice, dated in UTC (time code 623 ``UT``, as in our other outbound sets).
* One OTI loop per unusable set: ``OTI*TR*TN*<ST02>*****<GS06>*<ST02>*<ST01>*<GS08>``.
  OTI01 is X12 element 110 (Application Acknowledgment Code). ``TR`` "Transaction Set Reject"
  fits a set that passed syntax checks and was then rejected by the application as a whole.
  ``IR`` (Item Reject) is about one item of a set. ``TE`` (Accept with Error) would say we used
  it. OTI02 ``TN`` (Transaction Reference Number) with the set's ST02 in OTI03: X12's answer to
  RFI 2405 says that with TN and a known ST02, the ST02 goes there. OTI08 is the group's GS06,
  OTI09 the ST02, OTI10 the ST01, OTI11 the GS08 when known (C0908: OTI09 needs OTI08).
  OTI04-OTI07 (the group's sender, receiver, date and time) are left out.
* ``REF*<qualifier>*<number>`` in the OTI loop: the document's own number when the caller knows
  it. The qualifier (X12 128) defaults by set: a 180's BGN02 is ``OD`` (Original Return Request
  Reference Number), an 856's BSN02 ``SI`` (Shipper's Identifying Number for Shipment), a 214's
  B1001 ``CN`` (Carrier's Reference Number (PRO/Invoice)), anything else ``ZZ`` (Mutually
  Defined).
* One TED loop per reason: ``TED*<code>*<reason, cut to 60>*<segment tag>*<position>``. TED01
  is X12 647 (Application Error Condition Code): `OTHER_REASON` ``024`` (Other Unlisted Reason)
  unless the caller says `MISSING_DATA` ``007`` (Missing Data). TED04, the segment position
  (004010 N0 1/6), is left out beyond 999999. Then NTE lines (NTE02, AN 1/80, at most
  `MAX_NOTE_LINES`) say the whole thing in words: "856 ASN1 (interchange 000000105, group 5,
  set 0001) could not be used: ...". An 824 has no element for the ISA13, so it is given there.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from gateway.x12.values import X12_CHARACTERS, is_alnum, is_digits

Segment = list[str]

FUNCTIONAL_ID = "AG"  # GS01 of an 824
SET_ID = "824"
TRANSACTION_SET_REJECT = "TR"  # OTI01, X12 110
TRANSACTION_REFERENCE = "TN"  # OTI02, X12 128
MISSING_DATA = "007"  # TED01, X12 647
OTHER_REASON = "024"  # TED01, X12 647: Other Unlisted Reason
MAX_NOTE_LINES = 10  # NTE per reason; the standard allows 100, ten lines say enough
# REF01 (X12 128) for the number each set carries about itself (861 BRA01: RV, Receiving
# Number).
REFERENCE_QUALIFIERS = {"180": "OD", "856": "SI", "214": "CN", "861": "RV"}
_ANY_REFERENCE = "ZZ"

# 004010 lengths of the elements we write (005010 allows the same or more).
_REFERENCE = 30  # 127
_FREE_FORM = 60  # 3 (TED02)
_NOTE = 80  # 352 (NTE02)
_POSITION = 999_999  # 719 (TED04), N0 1/6
_VERSION = 12  # 480


class ApplicationAdvice(StrEnum):
    """What a partner is told when a set it sent passed X12 validation but could not be used."""

    NONE = "none"  # nothing beyond the 997 (the default)
    X12_824 = "x12-824"  # an 824 Application Advice


@dataclass(frozen=True, slots=True)
class Reason:
    """Why a set could not be used, in words for the partner, located when we know where."""

    text: str
    segment: str | None = None  # the tag of the segment it is about (TED03)
    position: int | None = None  # that segment's position in the set, ST = 1 (TED04)
    code: str = OTHER_REASON  # TED01, X12 647


@dataclass(frozen=True, slots=True)
class UnusableSet:
    """A transaction set that passed X12 validation but that the gateway could not use."""

    set_id: str  # its ST01: 180, 856, 214...
    interchange_control: str  # ISA13 as received
    group_control: str  # GS06 as received
    set_control: str  # ST02 as received
    reasons: Sequence[Reason]
    reference: str | None = None  # the set's own number (BGN02, BSN02, B1001...), if known
    reference_qualifier: str | None = None  # REF01; None: `REFERENCE_QUALIFIERS` by set id
    version: str | None = None  # GS08 as received (OTI11), if known


def application_advice_824(advice_id: str, at: datetime,
                           sets: Sequence[UnusableSet]) -> list[Segment]:
    """The body of an 824 saying that each of ``sets`` could not be used, and why.

    ``advice_id`` is our own number for this advice (BGN02, 1 to 30 characters) and ``at`` the
    moment it is written (timezone-aware). Raises ``ValueError`` when there is nothing to say
    (no sets, a set without reasons) or an identifier does not fit its element.
    """
    if not sets:
        raise ValueError("an 824 needs at least one transaction set that could not be used")
    moment = _utc(at)
    body: list[Segment] = [["BGN", "00", _identifier(advice_id, _REFERENCE, "BGN02 advice id"),
                            moment.strftime("%Y%m%d"), moment.strftime("%H%M"), "UT"]]
    for unusable in sets:
        body.extend(_oti_loop(unusable))
    return body


def _oti_loop(unusable: UnusableSet) -> list[Segment]:
    if not unusable.reasons:
        raise ValueError(f"set {unusable.set_control!r} could not be used: say why (no reasons)")
    loop = [_oti(unusable)]
    if unusable.reference is not None:
        loop.append(["REF", _reference_qualifier(unusable),
                     _identifier(unusable.reference, _REFERENCE, "the set's own reference")])
    subject = _subject(unusable)
    for reason in unusable.reasons:
        loop.extend(_ted_loop(reason, subject))
    return loop


def _oti(unusable: UnusableSet) -> Segment:
    set_id = unusable.set_id.strip()
    if not (len(set_id) == 3 and is_digits(set_id)):
        raise ValueError(f"ST01 must be 3 digits, not {unusable.set_id!r}")
    st02 = _set_control(unusable.set_control)
    gs06 = _digits(unusable.group_control, "GS06 group control number")
    version = None if unusable.version is None else _version(unusable.version)
    return _pad(["OTI", TRANSACTION_SET_REJECT, TRANSACTION_REFERENCE, st02, None, None, None,
                 None, gs06, st02, set_id, version])


def _ted_loop(reason: Reason, subject: str) -> list[Segment]:
    text = _words(reason.text)
    if not text:
        raise ValueError(f"a reason needs words, not {reason.text!r}")
    ted = _pad(["TED", _code(reason.code), _cut(text, _FREE_FORM), _tag(reason.segment),
                _position(reason.position)])
    return [ted, *(["NTE", "", line] for line in _note_lines(f"{subject}: {text}"))]


def _subject(unusable: UnusableSet) -> str:
    """Which document, in words: "856 ASN1 (interchange 000000105, group 5, set 0001)"."""
    isa13 = _digits(unusable.interchange_control, "ISA13 interchange control number")
    named = f" {_words(unusable.reference)}" if unusable.reference else ""
    return (f"{unusable.set_id.strip()}{named} (interchange {isa13}, group "
            f"{unusable.group_control.strip()}, set {unusable.set_control.strip()}) could not be "
            "used")


def _note_lines(text: str) -> list[str]:
    lines = textwrap.wrap(text, _NOTE)
    if len(lines) <= MAX_NOTE_LINES:
        return lines
    kept = lines[:MAX_NOTE_LINES]
    kept[-1] = kept[-1][:_NOTE - 3].rstrip() + "..."  # say that the text goes on
    return kept


# --- values -----------------------------------------------------------------------------------
def _words(value: str | None) -> str:
    """Free text on one line in the X12 character sets: any other character becomes '?'."""
    text = " ".join((value or "").split())
    return "".join(c if c in X12_CHARACTERS else "?" for c in text)


def _cut(text: str, limit: int) -> str:
    """``text`` in at most ``limit`` characters, cut after a word when one ends late enough."""
    if len(text) <= limit:
        return text
    head = text[:limit + 1]
    space = head.rfind(" ")
    return (head[:space] if space > limit // 2 else text[:limit]).rstrip()


def _identifier(value: str, limit: int, what: str) -> str:
    """An identifier written exactly as given, or ValueError: a cut one would be another id."""
    text = value.strip()
    if not text or len(text) > limit or not set(text) <= X12_CHARACTERS:
        raise ValueError(f"{what} must be 1 to {limit} X12 characters, not {value!r}")
    return text


def _set_control(value: str) -> str:
    # ST02 (329, AN 4/9), exactly as the partner sent it. The envelope layer refuses an ST02
    # holding one of the partner's delimiters, and the envelope step writes with those same
    # delimiters, so no '?' can stand in for one of its characters and name another set.
    text = value.strip()
    if not (4 <= len(text) <= 9 and set(text) <= X12_CHARACTERS):
        raise ValueError(f"ST02 must be 4 to 9 X12 characters, not {value!r}")
    return text


def _digits(value: str, what: str) -> str:
    text = value.strip()
    if not (1 <= len(text) <= 9 and is_digits(text)):
        raise ValueError(f"{what} must be 1 to 9 digits, not {value!r}")
    return text


def _version(value: str) -> str:
    text = value.strip().upper()
    if not (1 <= len(text) <= _VERSION and is_alnum(text)):
        raise ValueError(f"GS08 version must be 1 to {_VERSION} letters or digits, not {value!r}")
    return text


def _reference_qualifier(unusable: UnusableSet) -> str:
    chosen = unusable.reference_qualifier
    if chosen is None:
        return REFERENCE_QUALIFIERS.get(unusable.set_id.strip(), _ANY_REFERENCE)
    return _shaped(chosen, 2, 3, "REF01 reference qualifier")


def _code(value: str) -> str:
    return _shaped(value, 1, 3, "TED01 error code (X12 647)")


def _tag(value: str | None) -> str | None:
    return None if value is None else _shaped(value, 2, 3, "TED03 segment tag")


def _shaped(value: str, low: int, high: int, what: str) -> str:
    """An X12 code: ``low`` to ``high`` upper-case letters or digits, else ValueError."""
    text = value.strip()
    if not (low <= len(text) <= high and is_alnum(text) and text == text.upper()):
        raise ValueError(f"{what} must be {low} to {high} upper-case letters or digits, "
                         f"not {value!r}")
    return text


def _position(value: int | None) -> str | None:
    if value is None:
        return None
    if value < 1:
        raise ValueError(f"a segment position counts from ST = 1, not {value}")
    # Beyond TED04's six digits (004010) the position is left out rather than cut.
    return str(value) if value <= _POSITION else None


def _utc(at: datetime) -> datetime:
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("the advice's moment must be timezone-aware: X12 needs a time code")
    return at.astimezone(UTC)


def _pad(segment: list[str | None]) -> Segment:
    """Element list with absent values as empty elements, and no empty ones at the end."""
    values = ["" if value is None else value for value in segment]
    while len(values) > 1 and values[-1] == "":
        values.pop()
    return values
