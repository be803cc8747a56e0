"""Transaction set validation with pyx12 against the grammars we ship. The only pyx12 import.

pyx12 validates structure, element types, lengths and code values well, but it only accepts ISA12
00401/00501, raises on unknown GS01/GS08 ("Map not found"), on unreadable ISAs and on non-ASCII
input. So it never sees a partner's envelope: for each functional group we hand it a *synthetic*
interchange, with a clean ISA/GS keyed to our grammar (ISA12 00401 + GS08 004010, or 00501 +
005010), the partner's segments from ST to SE unchanged except ST02/SE (renumbered so that every
set is unique and SE01 is right: the envelope layer has already judged the real ones), and
delimiters that cannot collide with the data. Segment positions therefore match the partner's
file, and pyx12's error tree maps straight onto AK3/AK4 (IK3/IK4) findings.

Anything pyx12 raises becomes a finding; a partner's bytes can never crash the gateway here.
"""

from __future__ import annotations

import io
import json
import logging
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyx12.errors
import pyx12.params
import pyx12.x12n_document

from gateway.errors import GrammarError
from gateway.x12 import findings as f
from gateway.x12 import syntax_rules
from gateway.x12.findings import Finding, Level, Location, Severity, X12Code
from gateway.x12.grammar import map_dir
from gateway.x12.grammar.lookup import element_dictionary, element_numbers, segment_tags
from gateway.x12.values import is_digits

log = logging.getLogger(__name__)

# Transaction sets we have grammars for, and the functional identifier (GS01) of each.
FUNCTIONAL_IDS = {"180": "AN", "856": "SH", "214": "QM", "997": "FA", "999": "FA"}
_ELEMENT_CANDIDATES = "*|^!\x1d\x1f"
_SEGMENT_CANDIDATES = "~\x1c\x1e\x07"
_OWNED_BY_ENVELOPE = {"2", "3", "4", "23"}  # AK502 codes the envelope layer decides itself
# pyx12 4.0.0 (pinned) reports two cosmetic habits of real partners as errors. X12 only says
# they "should" be suppressed, and production translators accept them, so they become warnings.
_PYX12_TRAILING_SEPARATORS = "SEG1"
_PYX12_TRAILING_SPACES = "has unnecessary trailing spaces"
_SEGMENT_HAS_ELEMENT_ERRORS = "8"
_INVALID_CHARACTER = "6"
_UNRECOGNIZED = "1"
_PYX12_SYNTAX_DETAIL = re.compile(r"Syntax Error \((\w+)\):\s*(.*)")
_OUT_OF_SEQUENCE = "7"


@dataclass(frozen=True, slots=True)
class Grammar:
    family: str  # "004010" or "005010": the grammar folder used
    isa12: str
    gs08: str
    exact: bool  # False when a neighbouring release is validated with this grammar


def grammar_for(gs08: str, set_id: str = "") -> Grammar | None:
    """Which of our grammars validates a group with version ``gs08``; None if none does."""
    version = gs08.strip().upper()
    release = version[:6]
    if release.startswith("0040") and is_digits(release):
        return Grammar("004010", "00401", "004010", exact=release == "004010")
    if release.startswith("0050") and is_digits(release):
        gs = "005010X231A1" if set_id == "999" else "005010"
        return Grammar("005010", "00501", gs, exact=release == "005010")
    return None


@dataclass(frozen=True, slots=True)
class SetContent:
    """One transaction set to validate, read lazily so that a 20 MB set never sits in lists."""

    segments: Callable[[], Iterator[list[str]]]  # ST..SE as ``[tag, e01, e02, ...]``
    characters: frozenset[str]  # every character in the set, to pick delimiters that are free
    location: Location  # interchange / group / set identity, for the findings


def validate_sets(grammar: Grammar, set_id: str, sets: Sequence[SetContent],
                  component: str) -> list[list[Finding]]:
    """Validate sets of one type from one group; return the findings of each set, in order."""
    if not sets:
        return []
    folder = map_dir(grammar.family)
    if not (folder / "maps.xml").is_file():
        raise GrammarError(f"the {grammar.family} grammar folder {folder} is missing or "
                           "incomplete; reinstall the gateway")
    stream = _SyntheticStream(_synthetic_interchange(grammar, set_id, sets, component))
    try:
        tree = _run_pyx12(folder, stream)
    except (pyx12.errors.X12Error, pyx12.errors.EngineError, UnicodeError) as exc:
        return [[_validator_failed(s.location, exc)] for s in sets]
    except Exception as exc:  # the foreign library's seam: nothing may escape as a crash
        log.warning("pyx12 failed on transaction set %s: %r", set_id, exc)
        log.debug("pyx12 failure detail", exc_info=True)
        return [[_validator_failed(s.location, exc)] for s in sets]
    numbers = element_numbers(grammar.family, set_id)
    return [syntax_rules.with_blamed_elements(found, content.segments, numbers)
            for found, content in zip(_findings_from_tree(tree, sets, grammar, set_id), sets,
                                      strict=True)]


def _run_pyx12(folder: Path, source: io.TextIOBase) -> dict[str, Any]:
    params = pyx12.params.ParamsBase()  # defaults only: no ~/.pyx12.conf.xml can change verdicts
    params.set("charset", "E")
    errors = io.StringIO()
    pyx12_log = logging.getLogger("pyx12")
    previous = pyx12_log.level
    pyx12_log.setLevel(logging.CRITICAL)  # pyx12 logs every finding; ours are reported instead
    try:
        pyx12.x12n_document.x12n_document(params, source, None, None, fd_json=errors,
                                          map_path=str(folder))
    finally:
        pyx12_log.setLevel(previous)
    return dict(json.loads(errors.getvalue() or '{"interchanges": []}'))


def _validator_failed(location: Location, exc: BaseException) -> Finding:
    return Finding(
        "set.not-validated", f"The validator could not read this transaction set ({exc}); "
        "it is rejected rather than accepted unchecked.", Severity.ERROR,
        X12Code(Level.TRANSACTION, f.AK5_NOT_SUPPORTED), location)


# --- the synthetic interchange ---------------------------------------------------------------
class _SyntheticStream(io.TextIOBase):
    """A read-only text stream over generated pieces: pyx12 pulls it in small chunks."""

    def __init__(self, pieces: Iterator[str]) -> None:
        self._pieces = pieces
        self._buffer = ""

    def readable(self) -> bool:
        return True

    def read(self, size: int | None = -1) -> str:
        wanted = size if size is not None and size >= 0 else None
        chunks, held = [self._buffer], len(self._buffer)
        while wanted is None or held < wanted:
            piece = next(self._pieces, None)
            if piece is None:
                break
            chunks.append(piece)
            held += len(piece)
        text = "".join(chunks)
        self._buffer = "" if wanted is None else text[wanted:]
        return text if wanted is None else text[:wanted]


def _synthetic_interchange(grammar: Grammar, set_id: str, sets: Sequence[SetContent],
                           component: str) -> Iterator[str]:
    used = frozenset().union(*(s.characters for s in sets))
    element = _free(_ELEMENT_CANDIDATES, used)
    terminator = _free(_SEGMENT_CANDIDATES, used)
    if len(component) != 1 or component in (element, terminator):
        component = _free(":>`+\x1f", used | {element, terminator})
    isa11 = "U" if grammar.isa12 == "00401" else _free("^{}", used | {element, component})
    isa = ["ISA", "00", " " * 10, "00", " " * 10, "ZZ", "SENDER".ljust(15), "ZZ",
           "RECEIVER".ljust(15), "000101", "0000", isa11, grammar.isa12, "000000001", "0", "P",
           component]
    gs = ["GS", FUNCTIONAL_IDS[set_id], "SENDER", "RECEIVER", "20000101", "0000", "1", "X",
          grammar.gs08]
    yield element.join(isa) + terminator + element.join(gs) + terminator
    for index, content in enumerate(sets, start=1):
        for segment in _renumbered(content.segments(), index):
            yield element.join(segment) + terminator
    yield element.join(["GE", str(len(sets)), "1"]) + terminator
    yield element.join(["IEA", "1", "000000001"]) + terminator


def _renumbered(segments: Iterator[list[str]], index: int) -> Iterator[list[str]]:
    """The set with ST02 = SE02 = a unique number and SE01 right (added if the SE is missing)."""
    control = f"{index:04d}"
    st = list(next(segments))
    st[2:3] = [control]
    yield st
    count, held = 1, None
    for segment in segments:
        if held is not None:
            yield held
            count += 1
        held = segment
    if held is not None and held[0] != "SE":
        yield held
        count += 1
    yield ["SE", str(count + 1), control]


def _free(candidates: str, used: frozenset[str] | set[str]) -> str:
    return next(c for c in candidates if c not in used)


# --- pyx12's error tree -> findings ---------------------------------------------------------
def _findings_from_tree(tree: dict[str, Any], sets: Sequence[SetContent],
                        grammar: Grammar, set_id: str) -> list[list[Finding]]:
    results: list[list[Finding]] = [[] for _ in sets]
    for interchange in tree.get("interchanges", []):
        for group in interchange.get("groups", []):
            for transaction in group.get("transactions", []):
                index = _set_index(transaction.get("trn_set_control_num"), len(sets))
                if index is None:
                    continue
                where = sets[index].location
                results[index].extend(
                    _transaction_findings(transaction, where, grammar, set_id))
    return results


def _set_index(control: object, count: int) -> int | None:
    text = str(control or "")
    if is_digits(text) and 1 <= int(text) <= count:
        return int(text) - 1
    return None


def _transaction_findings(transaction: dict[str, Any], where: Location,
                          grammar: Grammar, set_id: str) -> list[Finding]:
    found = [
        Finding("set.syntax", f"Transaction set error: {e['err_str']}", Severity.ERROR,
                X12Code(Level.TRANSACTION, str(e["err_cde"])), where)
        for e in transaction.get("errors", []) if str(e["err_cde"]) not in _OWNED_BY_ENVELOPE
    ]
    for segment in transaction.get("segments", []):
        found.extend(_segment_findings(segment, where, grammar, set_id))
    return found


def _segment_findings(segment: dict[str, Any], where: Location,
                      grammar: Grammar, set_id: str) -> list[Finding]:
    at = where.within(segment_position=_int(segment.get("seg_count")),
                      segment_tag=segment.get("seg_id"), loop_id=segment.get("ls_id") or None)
    tags = segment_tags(grammar.family, set_id)
    found = [_segment_finding(segment, error, at, tags) for error in segment.get("errors", [])]
    for element in segment.get("elements", []):
        found.extend(_element_findings(element, at, grammar))
    return found


def _segment_finding(segment: dict[str, Any], error: dict[str, Any], at: Location,
                     set_tags: frozenset[str]) -> Finding:
    code = str(error["err_cde"])
    if code == _PYX12_TRAILING_SEPARATORS:
        return f.warning("segment.trailing-separators",
                         f"{segment.get('seg_id')} segment ends with empty elements (trailing "
                         "separators); X12 says they should be left out. Accepted.", at)
    if code not in f.SEGMENT_CODES:  # never let a code outside X12's list reach a 997
        code = _SEGMENT_HAS_ELEMENT_ERRORS
    elif code == _UNRECOGNIZED and segment.get("seg_id") in set_tags:
        code = _OUT_OF_SEQUENCE  # pyx12 says "not found" for a known segment in the wrong place
    return Finding(f"segment.{_slug(f.SEGMENT_CODES[code])}",
                   _segment_message(segment, error, code),
                   Severity.ERROR, X12Code(Level.SEGMENT, code), at,
                   found=error.get("err_val") or None)


def _element_findings(element: dict[str, Any], at: Location, grammar: Grammar) -> list[Finding]:
    number = str(element.get("ele_ref_num") or "") or None
    here = at.within(element_position=_int(element.get("ele_pos")),
                     component_position=_int(element.get("subele_pos")),
                     repetition_position=_int(element.get("repeat_pos")), element_number=number)
    return [_element_finding(here, error, grammar) for error in element.get("errors", [])]


def _element_finding(here: Location, error: dict[str, Any], grammar: Grammar) -> Finding:
    code = str(error["err_cde"])
    if code == "6" and _PYX12_TRAILING_SPACES in str(error.get("err_str", "")):
        return f.warning("element.trailing-spaces",
                         f"{_element_name(here)} has trailing spaces; X12 says they should be "
                         "left out. Accepted as sent.", here, found=error.get("err_val"))
    if code not in f.ELEMENT_CODES:
        code = _INVALID_CHARACTER
    return Finding(f"element.{_slug(f.ELEMENT_CODES[code])}", _element_message(here, code, grammar),
                   Severity.ERROR, X12Code(Level.ELEMENT, code), here,
                   expected=_expected(grammar, here.element_number, code),
                   found=error.get("err_val") or None)


def _segment_message(segment: dict[str, Any], error: dict[str, Any], code: str) -> str:
    what = f.SEGMENT_CODES[code].capitalize()
    rule = _PYX12_SYNTAX_DETAIL.search(str(error.get("err_str", "")))
    if rule is None:
        return f"{what}."
    detail = rule.group(2).rstrip(".")
    return f"{what}: syntax rule {rule.group(1)} is broken ({detail[:1].lower()}{detail[1:]})."


def _element_message(here: Location, code: str, grammar: Grammar) -> str:
    what = f.ELEMENT_CODES[code].capitalize()
    definition = element_dictionary(grammar.family).get(here.element_number or "")
    return f"{what} ({definition[3]})." if definition else f"{what}."


def _element_name(here: Location) -> str:
    name = f"{here.segment_tag}{here.element_position or 0:02d}"
    return f"{name}-{here.component_position}" if here.component_position else name


def _expected(grammar: Grammar, number: str | None, code: str) -> str | None:
    definition = element_dictionary(grammar.family).get(number or "")
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

