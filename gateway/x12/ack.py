"""Acknowledgements we build ourselves: 997, 999 and TA1, from an `Assessment`.

Rules we follow (and pyx12's own generator does not):

* one outbound interchange per inbound interchange that needs an answer, sent from *our* ISA
  ids to the partner's, with the partner's delimiters and the caller's control numbers,
  enveloped and cleaned by the one writer (`gateway.x12.write`) our own documents use too;
* a TA1 sits right after the ISA, before any GS; alone it makes an interchange with IEA01 = 0;
* one 997 (or 999) per inbound functional group, each in its own FA group whose GS08 is the real
  version string (004010, 004010VICS, 005010, 005010X231A1), never ISA12;
* every transaction set is listed (AK2), accepted ones too; AK3/AK4 name the segment position,
  tag, element position, element number, error code and a cleaned copy of the bad data;
* a group of acknowledgements (GS01 FA) is never answered with a 997, and an interchange that
  holds only TA1s gets no answer at all: acknowledging acknowledgements starts loops;
* a rejected interchange gets a TA1 (unless the policy is ``never``) and no 997: its groups
  were not processed.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from gateway.x12 import findings as f
from gateway.x12.assess import Assessment, GroupResult, InterchangeResult, Outcome, SetResult
from gateway.x12.findings import Finding, Level
from gateway.x12.isa import Delimiters, IsaHeader
from gateway.x12.values import is_digits, is_x12_text
from gateway.x12.write import (
    ControlNumbers,
    OutgoingGroup,
    OutgoingHeader,
    OutgoingSet,
    Segment,
    answer_delimiters,
    echoable,
    reply_address,
    write_x12,
)
from gateway.x12.write import Identity as Identity  # noqa: PLC0414 (config and app import it here)

_MAX_AK4_PER_AK3 = 99
_MAX_CODES = 5
_VERSIONS_WE_ECHO = ("004010", "004010VICS", "004010UCS", "005010")


class FunctionalAck(StrEnum):
    ACK_997 = "997"
    ACK_999 = "999"  # on 005010 groups only; 004010 groups still get a 997
    NONE = "none"


class Ta1Policy(StrEnum):
    NEVER = "never"
    ON_REQUEST = "on-request"  # when ISA14 = 1, and whenever the interchange is rejected
    ON_ERROR = "on-error"  # only when the interchange is rejected
    ALWAYS = "always"


@dataclass(frozen=True, slots=True)
class AckPolicy:
    functional: FunctionalAck = FunctionalAck.ACK_997
    ta1: Ta1Policy = Ta1Policy.ON_REQUEST
    delimiters: Delimiters | None = None  # None: answer with the delimiters the partner used
    line_break: bool = False  # a newline after each segment terminator
    reply_to: tuple[str, str] | None = None  # partner ISA qualifier and id; None: their ISA05/06


@dataclass(frozen=True, slots=True)
class OutboundAck:
    acknowledges: str  # the partner's ISA13
    control_number: str  # our ISA13
    ta1: str | None  # TA104 when a TA1 is included
    functional: tuple[str, ...]  # "997"/"999" per FA group included
    text: str


def build_acknowledgements(assessment: Assessment, identity: Identity, policy: AckPolicy,
                           numbers: ControlNumbers, now: datetime) -> list[OutboundAck]:
    """The acknowledgement interchanges to send for one assessed file, in order."""
    answers = []
    for result in assessment.interchanges:
        answer = _answer_interchange(result, identity, policy, numbers, now)
        if answer is not None:
            answers.append(answer)
    return answers


def _answer_interchange(result: InterchangeResult, identity: Identity, policy: AckPolicy,
                        numbers: ControlNumbers, now: datetime) -> OutboundAck | None:
    header = result.interchange.header
    if result.interchange.ta1s and not result.interchange.groups:
        return None  # only TA1s inside: never acknowledge an acknowledgement
    ta1 = _ta1_code(result) if _wants_ta1(result, policy.ta1) else None
    groups = [] if result.outcome is Outcome.REJECTED else [
        g for g in result.groups if not g.is_acknowledgement]
    if policy.functional is FunctionalAck.NONE:
        groups = []
    if ta1 is None and not groups:
        return None
    delimiters = answer_delimiters(header.delimiters, policy.delimiters)
    address = policy.reply_to or reply_address(header, delimiters)
    if address is None:
        return None  # ISA05/06 unusable (TA1 005/006 says so) and no configured partner address
    kinds = [_kind_for(g, policy.functional) for g in groups]
    control = numbers.next_interchange()
    answer = OutgoingHeader(identity, address, _interchange_version(header, groups), control,
                            usage=header.usage if header.usage in ("P", "T", "I") else "P")
    fa_groups = [_functional_group(g, kind, numbers.next_group(), delimiters)
                 for g, kind in zip(groups, kinds, strict=True)]
    preface = [] if ta1 is None else [_ta1_segment(result, ta1)]
    text = write_x12(answer, fa_groups, delimiters, now, preface=preface,
                     line_break=policy.line_break)
    return OutboundAck(header.control_number, f"{control:09d}", ta1[0] if ta1 else None,
                       tuple(kinds), text)


# --- TA1 -----------------------------------------------------------------------------------
def _wants_ta1(result: InterchangeResult, policy: Ta1Policy) -> bool:
    """An envelope fault we read past is an error too: the partner hears of it (TA104 E)."""
    faulty = result.outcome is Outcome.REJECTED or bool(_tolerated(result))
    return {
        Ta1Policy.NEVER: False,
        Ta1Policy.ON_REQUEST: result.interchange.header.ack_requested or faulty,
        Ta1Policy.ON_ERROR: faulty,
        Ta1Policy.ALWAYS: True,
    }[policy]


def _ta1_code(result: InterchangeResult) -> tuple[str, str]:
    """(TA104, TA105): the first interchange-level error decides the note code; an envelope
    fault the gateway tolerated is answered 'E' (accepted with errors) with its note code."""
    errors = result.interchange_errors()
    if errors:
        assert errors[0].x12 is not None
        return "R", errors[0].x12.value
    tolerated = _tolerated(result)
    if tolerated:
        assert tolerated[0].x12 is not None
        return "E", tolerated[0].x12.value
    return "A", f.TA1_NO_ERROR


def _tolerated(result: InterchangeResult) -> list[Finding]:
    return [x for x in result.findings
            if not x.is_error and x.x12 is not None and x.x12.level is Level.INTERCHANGE]


def _ta1_segment(result: InterchangeResult, code: tuple[str, str]) -> list[str]:
    header = result.interchange.header
    control = _echo_digits(header.control_number, 9, pad=True)
    date = _echo_digits(header.element(9), 6)
    time = _echo_digits(header.element(10), 4)
    return ["TA1", control, date, time, code[0], code[1]]


def _echo_digits(value: str, width: int, *, pad: bool = False) -> str:
    """TA101-TA103 echo the partner's ISA13/ISA09/ISA10, which must stay ``width`` digits: a
    value that is not (the reason for a rejection, often) is sent as zeros.

    Digits that are no date or time (ISA09 "261399", note code 014) are echoed as they came,
    so our TA1 carries a DT/TM value a strict reader refuses. Decided, not overlooked: X12's
    own interpretation (RFI 2102, final 2016) is that no properly formed TA1 exists when these
    elements are corrupt and that what is sent is for the trading partners to agree; the
    partner's own digits keep the answer tied to what it sent."""
    value = value.strip()
    if is_digits(value) and (len(value) == width or (pad and len(value) < width)):
        return value.rjust(width, "0")
    return "0" * width


# --- envelope ------------------------------------------------------------------------------
def _interchange_version(header: IsaHeader, groups: Sequence[GroupResult]) -> str:
    """ISA12 of our answer: 00501 when a group we answer is 005010; a lone TA1 follows theirs."""
    if not groups:
        return "00501" if header.version == "00501" else "00401"
    if any(g.grammar is not None and g.grammar.family == "005010" for g in groups):
        return "00501"
    return "00401"


def _kind_for(group: GroupResult, wanted: FunctionalAck) -> str:
    is_5010 = group.grammar is not None and group.grammar.family == "005010"
    return "999" if wanted is FunctionalAck.ACK_999 and is_5010 else "997"


def _ack_version(group: GroupResult, kind: str) -> str:
    if kind == "999":
        return "005010X231A1"
    version = group.group.version.strip().upper()
    if version in _VERSIONS_WE_ECHO:
        return version
    return group.grammar.family if group.grammar is not None else "004010"


def _functional_group(group: GroupResult, kind: str, control: int,
                      delimiters: Delimiters) -> OutgoingGroup:
    """One FA group answering ``group``: the partner's GS02 (cut to 15) is its GS03."""
    version = _ack_version(group, kind)
    body = _ack_body(group, kind, version, delimiters)
    convention = "005010X231A1" if kind == "999" else None
    return OutgoingGroup("FA", group.group.sender.strip()[:15], version, control,
                         [OutgoingSet(kind, body, convention)])


# --- 997 / 999 body ----------------------------------------------------------------------------
# The writer cleans every value against the delimiters; ``delimiters`` here only decide what
# can be echoed exactly (an AK2 naming a set, a 999's convention).
def _ack_body(group: GroupResult, kind: str, version: str,
              delimiters: Delimiters) -> list[Segment]:
    is_5010 = version.startswith("005010")
    ak1 = ["AK1", group.group.functional_id.strip(), group.group.control.strip()]
    body: list[Segment] = [ak1 + ([group.group.version.strip()[:12]] if is_5010 else [])]
    if group.grammar is not None:  # an unsupported version gets AK1 + AK9 only
        for result in group.sets:
            body.extend(_set_response(result, kind, is_5010, delimiters))
    body.append(_ak9(group))
    return body


def _set_response(result: SetResult, kind: str, is_5010: bool,
                  delimiters: Delimiters) -> Iterator[Segment]:
    ts = result.ts
    if not _identifiable(ts.set_id, ts.control, delimiters):
        return  # an AK2 cannot name it; AK9 still counts it as received and not accepted
    convention = ts.convention or ""
    echo = is_5010 and is_x12_text(convention, 1, 35) and echoable(convention, delimiters)
    yield ["AK2", ts.set_id, ts.control] + ([convention] if echo else [])
    for position, tag, errors in _segments_in_error(result.findings):
        yield _ak3(kind, _segment_id(tag), position, errors)
        for finding in [x for x in errors if x.x12 and x.x12.level is Level.ELEMENT][
                :_MAX_AK4_PER_AK3]:
            yield _ak4(kind, finding, is_5010)
    accepted = result.outcome is Outcome.ACCEPTED
    yield ["IK5" if kind == "999" else "AK5", "A" if accepted else "R", *_set_codes(result)]


def _identifiable(set_id: str, control: str, delimiters: Delimiters) -> bool:
    """AK201 needs a 3-digit set id and AK202 a 4 to 9 character control number."""
    return (len(set_id) == 3 and is_digits(set_id) and 4 <= len(control) <= 9
            and echoable(control, delimiters))


def _segments_in_error(findings: list[Finding]) -> list[tuple[int, str, list[Finding]]]:
    by_position: dict[int, tuple[str, list[Finding]]] = {}
    for x in findings:
        if x.is_error and x.x12 and x.x12.level in (Level.SEGMENT, Level.ELEMENT):
            position = x.location.segment_position or 0
            tag = x.location.segment_tag or ""
            by_position.setdefault(position, (tag, []))[1].append(x)
    return [(pos, tag, errors) for pos, (tag, errors) in sorted(by_position.items())]


def _segment_id(tag: str) -> str:
    """AK301 is an identifier of 2 or 3 characters, even when the partner's tag was not."""
    return tag[:3].ljust(2)


def _ak3(kind: str, tag: str, position: int, errors: list[Finding]) -> list[str]:
    codes = [x.x12.value for x in errors if x.x12 and x.x12.level is Level.SEGMENT]
    return ["IK3" if kind == "999" else "AK3", tag, str(position), "", codes[0] if codes else "8"]


# Codes X12 added after 004010: a 004010 997 says the nearest 004010 code instead (its AK4 /
# AK9 lists end at 10 / lack 19). Too many repetitions or components: the value holds a
# character that cannot be in it (6) / too many data elements (3); a duplicate group control
# number violates the control number's rules (6).
_BEFORE_005010 = {Level.ELEMENT: {"12": "6", "13": "3"}, Level.GROUP: {"19": "6"}}


def _code_for(finding: Finding, is_5010: bool) -> str:
    assert finding.x12 is not None
    code = finding.x12.value
    return code if is_5010 else _BEFORE_005010.get(finding.x12.level, {}).get(code, code)


def _ak4(kind: str, finding: Finding, is_5010: bool) -> Segment:
    loc = finding.location
    parts = [str(loc.element_position or 0)]
    if loc.component_position or (is_5010 and loc.repetition_position):
        parts.append(str(loc.component_position or ""))
    if is_5010 and loc.repetition_position:
        parts.append(str(loc.repetition_position))
    bad = (finding.found or "")[:99]  # a copy of the bad value: the writer cleans it
    number = loc.element_number or ""  # AK402 is numeric: never a composite's C-number
    return ["IK4" if kind == "999" else "AK4", tuple(parts),
            number if is_digits(number) and len(number) <= 4 else "",
            _code_for(finding, is_5010), bad]


def _set_codes(result: SetResult) -> list[str]:
    codes = [x.x12.value for x in result.findings if x.rejects(Level.TRANSACTION) and x.x12]
    if any(x.rejects(Level.SEGMENT) or x.rejects(Level.ELEMENT) for x in result.findings):
        codes.append(f.AK5_SEGMENTS_IN_ERROR)
    return list(dict.fromkeys(codes))[:_MAX_CODES]


def _ak9(group: GroupResult) -> list[str]:
    received = len(group.sets)
    accepted = sum(s.outcome is Outcome.ACCEPTED for s in group.sets)
    declared = (group.group.declared_count or "").strip()
    included = str(int(declared)) if is_digits(declared) else str(received)
    status = {Outcome.ACCEPTED: "A", Outcome.PARTIALLY_ACCEPTED: "P"}.get(group.outcome, "R")
    is_5010 = group.grammar is not None and group.grammar.family == "005010"
    codes = [_code_for(x, is_5010) for x in group.findings if x.rejects(Level.GROUP) and x.x12]
    return ["AK9", status, included, str(received), str(accepted),
            *list(dict.fromkeys(codes))[:_MAX_CODES]]
