"""Which element a broken X12 syntax rule blames.

pyx12 reports a violated segment syntax rule (``P0304``, ``R0203``, ``E0103``, ``C0201``,
``L010203``) only as "segment has data element errors". A partner fixing the file needs the
element, so we read the rule against the segment's values and name each element at fault:
AK403 code 2 (conditional required data element missing) for P, R, C and L rules, and 10
(exclusion condition violated) for E rules.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from gateway.x12.findings import ELEMENT_CODES, Finding, Level, Severity, X12Code

CONDITIONAL_REQUIRED_MISSING = "2"
EXCLUSION_VIOLATED = "10"
# pyx12 writes "Syntax Error (P0304): ..."; our findings say "syntax rule P0304 is broken".
_RULE = re.compile(r"(?:Syntax Error \(|syntax rule )([PRECL])((?:\d\d)+)\b")


@dataclass(frozen=True, slots=True)
class Blame:
    position: int  # element position in the segment, 1-based
    code: str  # AK403 / IK403 code
    rule: str  # e.g. "P0304"


def rule_in(message: str) -> tuple[str, list[int]] | None:
    """The rule named in a syntax message, as (kind, element positions)."""
    match = _RULE.search(message)
    if match is None:
        return None
    digits = match.group(2)
    return match.group(1), [int(digits[i:i + 2]) for i in range(0, len(digits), 2)]


def holds(kind: str, positions: Sequence[int], values: Sequence[str]) -> bool:
    """Whether the rule holds over ``values`` (``values[n]`` is element n; an element is
    present when it is not empty). Counted without lists: validation asks for every rule of
    every segment."""
    count = len(values)
    present = 0
    for position in positions:
        if position < count and values[position]:
            present += 1
    if kind == "R":  # required: at least one must be present
        return present > 0
    if kind == "P":  # paired: if any is present, all are required
        return present in (0, len(positions))
    if kind == "E":  # exclusion: no more than one may be present
        return present <= 1
    first = positions[0] < count and values[positions[0]] != ""
    if kind == "C":  # conditional: if the first is present, all others are
        return not first or present == len(positions)
    return not first or present > 1 if kind == "L" else True  # L: then at least one other


def blame(kind: str, positions: Sequence[int], values: Sequence[str]) -> list[Blame]:
    """The elements at fault (none: the rule holds). ``values[0]`` is the segment tag, so
    ``values[n]`` is element n."""
    if holds(kind, positions, values):
        return []
    present = [p for p in positions if p < len(values) and values[p] != ""]
    missing = [p for p in positions if p not in present]
    first_present = positions[0] in present
    at_fault: list[tuple[int, str]] = []
    if kind == "P" and present:  # paired: if any is present, all are required
        at_fault = [(p, CONDITIONAL_REQUIRED_MISSING) for p in missing]
    elif kind == "R" and not present:  # required: at least one must be present
        at_fault = [(positions[0], CONDITIONAL_REQUIRED_MISSING)]
    elif kind == "C" and first_present:  # conditional: if the first is present, all others are
        at_fault = [(p, CONDITIONAL_REQUIRED_MISSING) for p in missing]
    elif kind == "L" and first_present and len(present) == 1:  # then at least one other is
        at_fault = [(positions[1], CONDITIONAL_REQUIRED_MISSING)]
    elif kind == "E" and len(present) > 1:  # exclusion: no more than one may be present
        at_fault = [(p, EXCLUSION_VIOLATED) for p in present[1:]]
    rule = kind + "".join(f"{p:02d}" for p in positions)
    return [Blame(position, code, rule) for position, code in at_fault]


def with_blamed_elements(found: list[Finding], segments: Callable[[], Iterable[list[str]]],
                         numbers: Mapping[tuple[str, int], str]) -> list[Finding]:
    """``found`` plus one element finding (an AK4) per element a violated rule blames."""
    violations = [(x, rule) for x in found
                  if x.x12 is not None and x.x12.level is Level.SEGMENT
                  and (rule := rule_in(x.message)) is not None]
    if not violations:
        return found
    values = _segments_at(segments, {x.location.segment_position or 0 for x, _ in violations})
    known = {(x.location.segment_position, x.location.element_position, x.x12.value)
             for x in found if x.x12 is not None and x.x12.level is Level.ELEMENT}
    extra = []
    for finding, (kind, positions) in violations:
        loc = finding.location
        for blamed in blame(kind, positions, values.get(loc.segment_position or 0, [])):
            key = (loc.segment_position, blamed.position, blamed.code)
            if key in known:
                continue
            known.add(key)
            extra.append(_element_finding(finding, blamed, numbers))
    return found + extra


def _element_finding(segment_finding: Finding, blamed: Blame,
                     numbers: Mapping[tuple[str, int], str]) -> Finding:
    tag = segment_finding.location.segment_tag or ""
    what = ELEMENT_CODES[blamed.code]
    return Finding(
        f"element.{what.replace(' ', '-')}",
        f"{tag}{blamed.position:02d}: {what} (syntax rule {blamed.rule} of the {tag} segment).",
        Severity.ERROR, X12Code(Level.ELEMENT, blamed.code),
        segment_finding.location.within(element_position=blamed.position,
                                        element_number=numbers.get((tag, blamed.position))))


def _segments_at(segments: Callable[[], Iterable[list[str]]],
                 positions: set[int]) -> dict[int, list[str]]:
    """The values of the segments at ``positions`` (counted from ST = 1), in one pass."""
    found: dict[int, list[str]] = {}
    for position, segment in enumerate(segments(), start=1):
        if position in positions:
            found[position] = segment
            if len(found) == len(positions):
                break
    return found
