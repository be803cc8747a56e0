"""Assessments as plain language for people and as JSON-ready dicts for machines.

The plain language is for a terminal: every line is made `printable`, because it quotes what
the partner sent (control numbers, segment tags, values inside messages), and an escape
sequence or a newline there must be shown, not obeyed. The JSON keeps the values as they are;
its encoder escapes them.
"""

from __future__ import annotations

from typing import Any

from gateway.text_safety import printable, printable_lines
from gateway.x12.assess import Assessment, GroupResult, InterchangeResult, Outcome, SetResult
from gateway.x12.findings import Finding, Severity

_MARK = {Severity.ERROR: "ERROR  ", Severity.WARNING: "warning", Severity.INFO: "info   "}


def verdict(assessment: Assessment) -> str:
    if assessment.exit_code == 2:
        return "not X12"
    return "accepted" if assessment.accepted else "rejected"


def render_text(name: str, assessment: Assessment, *, show_info: bool = False) -> str:
    lines = [f"{name}: {verdict(assessment)}"]
    lines += _finding_lines(assessment, assessment.findings, 1, show_info)
    for result in assessment.interchanges:
        lines += _interchange_lines(assessment, result, show_info)
    return printable_lines(lines)


def _interchange_lines(assessment: Assessment, result: InterchangeResult,
                       show_info: bool) -> list[str]:
    header = result.interchange.header
    sender, receiver = " ".join(header.sender), " ".join(header.receiver)
    lines = [f"  interchange {result.interchange.control} from {sender} to {receiver} "
             f"(ISA12 {header.version}): {_outcome(result.outcome)}"]
    lines += _finding_lines(assessment, result.findings, 2, show_info)
    for ack in result.interchange.ta1s:
        lines.append(f"    TA1 for interchange {ack.acknowledged_control}: "
                     f"{ack.ack_code} note {ack.note_code}")
    for group in result.groups:
        lines += _group_lines(assessment, group, result.outcome, show_info)
    return lines


def _group_lines(assessment: Assessment, group: GroupResult, parent: Outcome,
                 show_info: bool) -> list[str]:
    g = group.group
    state = "not processed (interchange rejected)" if parent is Outcome.REJECTED else \
        _outcome(group.outcome)
    lines = [f"    group {g.control} {g.functional_id} version {g.version}: {state}"]
    lines += _finding_lines(assessment, group.findings, 3, show_info)
    for result in group.sets:
        lines += _set_lines(assessment, result, parent, show_info)
    return lines


def _set_lines(assessment: Assessment, result: SetResult, parent: Outcome,
               show_info: bool) -> list[str]:
    ts = result.ts
    state = "not processed" if parent is Outcome.REJECTED else _outcome(result.outcome)
    lines = [f"      transaction set {ts.set_id} {ts.control}: {state}"]
    return lines + _finding_lines(assessment, result.findings, 4, show_info)


def _finding_lines(assessment: Assessment, found: list[Finding], depth: int,
                   show_info: bool) -> list[str]:
    indent = "  " * depth
    return [f"{indent}{_MARK[x.severity]} {describe(assessment, x)}" for x in found
            if show_info or x.severity is not Severity.INFO]


def describe(assessment: Assessment, finding: Finding) -> str:
    """One printable line: where, what, what was expected and found, and the X12 code."""
    where = where_text(assessment, finding)
    text = f"{where}: {finding.message}" if where else finding.message
    if finding.found is not None:
        text += f" Found {readable(finding.found)!r}."
    if finding.expected is not None:
        text += f" Expected {finding.expected}."
    if finding.x12 is not None:
        text += f" [{finding.x12}]"
    return printable(text)


def readable(value: str) -> str:
    """Partner text is held as latin-1 (one character per byte); show UTF-8 as UTF-8."""
    try:
        return value.encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return value


def where_text(assessment: Assessment, finding: Finding) -> str:
    loc = finding.location
    parts = []
    line = assessment.intake.line_of(loc.offset)
    if line is not None:
        parts.append(f"line {line}")
    if loc.segment_position is not None and loc.segment_tag:
        parts.append(f"segment {loc.segment_position} ({loc.segment_tag})")
    elif loc.segment_tag:
        parts.append(loc.segment_tag)
    if loc.element_position:
        element = f"element {loc.segment_tag or ''}{loc.element_position:02d}"
        if loc.component_position:
            element += f" component {loc.component_position}"
        if loc.element_number:
            element += f" (data element {loc.element_number})"
        parts.append(element)
    return ", ".join(parts)


def _outcome(outcome: Outcome) -> str:
    return outcome.value.replace("-", " ")


# --- JSON ------------------------------------------------------------------------------------
def to_json(name: str, assessment: Assessment) -> dict[str, Any]:
    return {
        "file": name,
        "kind": assessment.intake.kind.value,
        "verdict": verdict(assessment),
        "exit_code": assessment.exit_code,
        "findings": [finding_json(assessment, x) for x in assessment.findings],
        "interchanges": [_interchange_json(assessment, r) for r in assessment.interchanges],
    }


def finding_json(assessment: Assessment, finding: Finding) -> dict[str, Any]:
    loc = finding.location
    location = {k: getattr(loc, k) for k in loc.__slots__ if getattr(loc, k) is not None}
    location["line"] = assessment.intake.line_of(loc.offset)
    return {
        "code": finding.code,
        "severity": finding.severity.value,
        "message": finding.message,
        "x12": {"field": finding.x12.level.value, "code": finding.x12.value}
        if finding.x12 else None,
        "expected": finding.expected,
        "found": finding.found,
        "location": location,
    }


def _interchange_json(assessment: Assessment, result: InterchangeResult) -> dict[str, Any]:
    header = result.interchange.header
    return {
        "control_number": result.interchange.control,
        "sender": list(header.sender),
        "receiver": list(header.receiver),
        "version": header.version,
        "ack_requested": header.ack_requested,
        "usage": header.usage,
        "outcome": result.outcome.value,
        "findings": [finding_json(assessment, x) for x in result.findings],
        "ta1s": [{"control_number": a.acknowledged_control, "ack_code": a.ack_code,
                  "note_code": a.note_code} for a in result.interchange.ta1s],
        "groups": [_group_json(assessment, g) for g in result.groups],
    }


def _group_json(assessment: Assessment, group: GroupResult) -> dict[str, Any]:
    g = group.group
    return {
        "functional_id": g.functional_id,
        "control_number": g.control,
        "version": g.version,
        "grammar": group.grammar.family if group.grammar else None,
        "outcome": group.outcome.value,
        "findings": [finding_json(assessment, x) for x in group.findings],
        "transaction_sets": [{
            "id": s.ts.set_id,
            "control_number": s.ts.control,
            "segments": s.ts.segment_count,
            "outcome": s.outcome.value,
            "findings": [finding_json(assessment, x) for x in s.findings],
        } for s in group.sets],
    }
