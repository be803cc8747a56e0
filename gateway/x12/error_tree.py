"""An error tree in pyx12's JSON shape -> our findings, for both validation engines.

pyx12 reports what it found as a tree (interchange, group, transaction, segment, element, each
with its errors); the fast engine builds the same tree for each set. This module turns a
transaction's part of it into located findings with the AK3/AK4 (IK3/IK4) codes X12 defines,
so both engines' answers reach the acknowledgement through one door.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from gateway.x12 import findings as f
from gateway.x12.findings import Finding, Level, Location, Severity, X12Code
from gateway.x12.grammar.lookup import element_dictionary, segment_tags
from gateway.x12.sets import SetContent
from gateway.x12.values import is_digits

OWNED_BY_ENVELOPE = {"2", "3", "4", "23"}  # AK502 codes the envelope layer decides itself
# pyx12 4.0.0 (pinned) reports two cosmetic habits of real partners as errors. X12 only says
# they "should" be suppressed, and production translators accept them, so they become warnings.
_PYX12_TRAILING_SEPARATORS = "SEG1"
TRAILING_SPACES = "has unnecessary trailing spaces"
# pyx12's HL checks (x12file.py) report at segment level with codes outside X12's list; the
# element at fault is known: HL01 out of sequence, HL02 naming no open parent.
_PYX12_HL_ELEMENT = {"HL1": 1, "HL2": 2}
# pyx12's reader reports an empty segment or a malformed tag when it reads it, but a segment
# the walker cannot place gets no node, so the report lands on the *next* segment (as a bare
# "segment has data element errors"). The walker's own "not found" already rejects the right
# segment, so these reader messages are dropped rather than misplaced.
_PYX12_MISPLACED = re.compile(r'Segment ".*" is empty|Segment identifier ".*" is invalid', re.S)
_INVALID_CODE = "7"
_SEGMENT_HAS_ELEMENT_ERRORS = "8"
_INVALID_CHARACTER = "6"
_UNRECOGNIZED = "1"
_PYX12_SYNTAX_DETAIL = re.compile(r"Syntax Error \((\w+)\):\s*(.*)")
_OUT_OF_SEQUENCE = "7"


def findings_from_tree(tree: dict[str, Any], sets: Sequence[SetContent],
                        family: str) -> list[list[Finding]]:
    results: list[list[Finding]] = [[] for _ in sets]
    for interchange in tree.get("interchanges", []):
        for group in interchange.get("groups", []):
            for transaction in group.get("transactions", []):
                index = _set_index(transaction.get("trn_set_control_num"), len(sets))
                if index is None:
                    continue
                content = sets[index]
                results[index].extend(transaction_findings(
                    transaction, content.location, family, content.set_id))
    return results


def _set_index(control: object, count: int) -> int | None:
    text = str(control or "")
    if is_digits(text) and 1 <= int(text) <= count:
        return int(text) - 1
    return None


def transaction_findings(transaction: dict[str, Any], where: Location,
                          family: str, set_id: str) -> list[Finding]:
    found = [
        Finding("set.syntax", f"Transaction set error: {e['err_str']}", Severity.ERROR,
                X12Code(Level.TRANSACTION, str(e["err_cde"])), where)
        for e in transaction.get("errors", []) if str(e["err_cde"]) not in OWNED_BY_ENVELOPE
    ]
    for segment in transaction.get("segments", []):
        found.extend(_segment_findings(segment, where, family, set_id))
    return found


def _segment_findings(segment: dict[str, Any], where: Location,
                      family: str, set_id: str) -> list[Finding]:
    at = where.within(segment_position=_int(segment.get("seg_count")),
                      segment_tag=segment.get("seg_id"), loop_id=segment.get("ls_id") or None)
    tags = segment_tags(family, set_id)
    found = []
    for error in segment.get("errors", []):
        found.extend(_segment_finding(segment, error, at, tags, family))
    for element in segment.get("elements", []):
        found.extend(_element_findings(element, at, family))
    return found


def _segment_finding(segment: dict[str, Any], error: dict[str, Any], at: Location,
                     set_tags: frozenset[str], family: str) -> list[Finding]:
    code = str(error["err_cde"])
    if _PYX12_MISPLACED.fullmatch(str(error.get("err_str", ""))):
        return []
    if code == _PYX12_TRAILING_SEPARATORS:
        return [f.warning("segment.trailing-separators",
                          f"{segment.get('seg_id')} segment ends with empty elements (trailing "
                          "separators); X12 says they should be left out. Accepted.", at)]
    if code in _PYX12_HL_ELEMENT:
        return [_hl_finding(error, at, _PYX12_HL_ELEMENT[code], family)]
    if code not in f.SEGMENT_CODES:  # never let a code outside X12's list reach a 997
        code = _SEGMENT_HAS_ELEMENT_ERRORS
    elif code == _UNRECOGNIZED and segment.get("seg_id") in set_tags:
        code = _OUT_OF_SEQUENCE  # pyx12 says "not found" for a known segment in the wrong place
    return [Finding(f"segment.{_slug(f.SEGMENT_CODES[code])}",
                    _segment_message(segment, error, code),
                    Severity.ERROR, X12Code(Level.SEGMENT, code), at,
                    found=error.get("err_val") or None)]


def _hl_finding(error: dict[str, Any], at: Location, position: int, family: str) -> Finding:
    numbers = {1: "628", 2: "734"}
    what = "HL01 (hierarchical ID number)" if position == 1 else "HL02 (hierarchical parent ID)"
    detail = str(error.get("err_str", "")).rstrip(".")
    here = at.within(element_position=position, element_number=numbers[position])
    return Finding("element.invalid-code-value", f"{what} is wrong: {detail}.", Severity.ERROR,
                   X12Code(Level.ELEMENT, _INVALID_CODE), here,
                   expected=_expected(family, numbers[position], _INVALID_CODE))


def _element_findings(element: dict[str, Any], at: Location, family: str) -> list[Finding]:
    number = str(element.get("ele_ref_num") or "") or None
    here = at.within(element_position=_int(element.get("ele_pos")),
                     component_position=_int(element.get("subele_pos")),
                     repetition_position=_int(element.get("repeat_pos")), element_number=number)
    return [_element_finding(here, error, family) for error in element.get("errors", [])]


def _element_finding(here: Location, error: dict[str, Any], family: str) -> Finding:
    code = str(error["err_cde"])
    if code == "6" and TRAILING_SPACES in str(error.get("err_str", "")):
        return f.warning("element.trailing-spaces",
                         f"{_element_name(here)} has trailing spaces; X12 says they should be "
                         "left out. Accepted as sent.", here, found=error.get("err_val"))
    if code not in f.ELEMENT_CODES:
        code = _INVALID_CHARACTER
    return Finding(f"element.{_slug(f.ELEMENT_CODES[code])}", _element_message(here, code, family),
                   Severity.ERROR, X12Code(Level.ELEMENT, code), here,
                   expected=_expected(family, here.element_number, code),
                   found=error.get("err_val") or None)


def _segment_message(segment: dict[str, Any], error: dict[str, Any], code: str) -> str:
    what = f.SEGMENT_CODES[code].capitalize()
    rule = _PYX12_SYNTAX_DETAIL.search(str(error.get("err_str", "")))
    if rule is None:
        return f"{what}."
    detail = rule.group(2).rstrip(".")
    return f"{what}: syntax rule {rule.group(1)} is broken ({detail[:1].lower()}{detail[1:]})."


def _element_message(here: Location, code: str, family: str) -> str:
    what = f.ELEMENT_CODES[code].capitalize()
    definition = element_dictionary(family).get(here.element_number or "")
    return f"{what} ({definition[3]})." if definition else f"{what}."


def _element_name(here: Location) -> str:
    name = f"{here.segment_tag}{here.element_position or 0:02d}"
    return f"{name}-{here.component_position}" if here.component_position else name


def _expected(family: str, number: str | None, code: str) -> str | None:
    definition = element_dictionary(family).get(number or "")
    if definition is None:
        return None
    kind, low, high, _name = definition
    if code in ("4", "5", "6"):
        size = f"{low}" if low == high else f"{low} to {high}"
        return f"{size} characters of type {kind}"
    return {"7": f"a code from the element {number} code list",
            "8": "a real calendar date", "9": "a real time of day"}.get(code)


def _int(value: object) -> int | None:
    try:
        return int(str(value)) if value not in (None, "") else None
    except ValueError:
        return None


def _slug(text: str) -> str:
    return text.lower().replace(" ", "-")
