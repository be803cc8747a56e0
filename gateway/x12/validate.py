"""Transaction set validation with pyx12 against the grammars we ship. The only pyx12 import.

pyx12 validates structure, element types, lengths and code values well, but it only accepts ISA12
00401/00501, raises on unknown GS01/GS08 ("Map not found"), on unreadable ISAs and on non-ASCII
input, and its raw reader silently ends the stream at a segment longer than ~16 KB. So it never
sees a partner's envelope or a partner's raw segment: all sets of one grammar family in a file
go to pyx12 in *one* synthetic interchange (so its ~30 ms of set-up is paid once per file, not
per group), one clean group per transaction set type, each set renumbered (ST02 = its index in
the run, SE01 right: the envelope layer has already judged the real ones), every segment passed
through `bounds.bounded_set` first, and delimiters chosen so they cannot collide with the data.
Segment positions therefore match the partner's file, and pyx12's error tree maps straight onto
AK3/AK4 (IK3/IK4) findings.

"Not fully validated" can never read as "valid": a callback counts the segments pyx12 actually
walked in each set, and a set whose count differs from what was fed (pyx12 stopped early, raised,
or the file's time budget ran out) gets an error finding and is rejected.

Anything pyx12 raises becomes a finding; a partner's bytes can never crash the gateway here.
"""

from __future__ import annotations

import io
import json
import logging
import re
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import groupby
from pathlib import Path
from typing import Any

import pyx12.codes
import pyx12.errors
import pyx12.map_if
import pyx12.params
import pyx12.x12n_document

from gateway.errors import GrammarError
from gateway.x12 import findings as f
from gateway.x12 import syntax_rules
from gateway.x12.bounds import SetSeparators, bounded_set
from gateway.x12.findings import Finding, Level, Location, Severity, X12Code
from gateway.x12.grammar import map_dir
from gateway.x12.grammar.lookup import element_dictionary, element_numbers, segment_tags
from gateway.x12.limits import Deadline
from gateway.x12.values import is_digits

log = logging.getLogger(__name__)

# Transaction sets we have grammars for, and the functional identifier (GS01) of each.
FUNCTIONAL_IDS = {"180": "AN", "856": "SH", "214": "QM", "824": "AG", "997": "FA", "999": "FA"}
_ELEMENT_CANDIDATES = "*|^!\x1d\x1f"
_SEGMENT_CANDIDATES = "~\x1c\x1e\x07"
_COMPONENT_CANDIDATES = ":>`+\x1f\x1b"
_OWNED_BY_ENVELOPE = {"2", "3", "4", "23"}  # AK502 codes the envelope layer decides itself
# pyx12 4.0.0 (pinned) reports two cosmetic habits of real partners as errors. X12 only says
# they "should" be suppressed, and production translators accept them, so they become warnings.
_PYX12_TRAILING_SEPARATORS = "SEG1"
_PYX12_TRAILING_SPACES = "has unnecessary trailing spaces"
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

    set_id: str
    segments: Callable[[], Iterator[list[str]]]  # ST..SE as ``[tag, e01, e02, ...]``
    characters: frozenset[str]  # every character in the set, to pick delimiters that are free
    location: Location  # interchange / group / set identity, for the findings
    component: str  # the partner's component separator in this set's interchange
    repetition: str | None = None  # the partner's repetition separator (ISA11 from 00402)


def validate_sets(family: str, sets: Sequence[SetContent],
                  deadline: Deadline | None = None) -> list[list[Finding]]:
    """Validate sets of one grammar family, from any groups of one file, in one pyx12 run;
    return the findings of each set, in the order given."""
    if not sets:
        return []
    folder = map_dir(family)
    if not (folder / "maps.xml").is_file():
        raise GrammarError(f"the {family} grammar folder {folder} is missing or incomplete; "
                           "reinstall the gateway")
    run = _Run(family, sets, deadline)
    tree, failure = run.execute(folder)
    results = _findings_from_tree(tree, sets, family)
    for index, content in enumerate(sets):
        found = [*run.bound_findings[index], *results[index]]
        found = syntax_rules.with_blamed_elements(found, content.segments,
                                                  element_numbers(family, content.set_id))
        problem = run.incomplete(index, failure)
        results[index] = found if problem is None else [*found, _not_validated(content,
                                                                                problem)]
    return results


def _not_validated(content: SetContent, why: str) -> Finding:
    return Finding(
        "set.not-validated", f"This transaction set was not fully validated ({why}); it is "
        "rejected rather than accepted unchecked.", Severity.ERROR,
        X12Code(Level.TRANSACTION, f.AK5_NOT_SUPPORTED), content.location)


class _OutOfTime(Exception):
    """The file's time budget ran out while pyx12 was reading it."""


@dataclass(slots=True)
class _Run:
    """One pyx12 run over the synthetic interchange, and what it did and did not walk."""

    family: str
    sets: Sequence[SetContent]
    deadline: Deadline | None
    fed: list[int] = field(default_factory=list)  # segments handed to pyx12, per set
    finished: list[bool] = field(default_factory=list)  # the set's SE was handed over
    walked: list[int] = field(default_factory=list)  # segments pyx12 walked, per set
    bound_findings: list[list[Finding]] = field(default_factory=list)
    _current: int | None = None

    def __post_init__(self) -> None:
        count = len(self.sets)
        self.fed, self.finished, self.walked = [0] * count, [False] * count, [0] * count
        self.bound_findings = [[] for _ in range(count)]

    def execute(self, folder: Path) -> tuple[dict[str, Any], str | None]:
        """pyx12's error tree, and why the run stopped early (None: it read everything)."""
        stream = _SyntheticStream(_Synthetic(self).pieces(), self.deadline)
        try:
            return _run_pyx12(folder, stream, self._count), None
        except _OutOfTime:
            seconds = self.deadline.seconds if self.deadline else 0
            return {}, (f"the file's validation time budget of {seconds:g} s ran out "
                        "(limits.seconds_per_file)")
        except (pyx12.errors.X12Error, pyx12.errors.EngineError, UnicodeError) as exc:
            return {}, f"the validator stopped: {exc}"
        except Exception as exc:  # the foreign library's seam: nothing may escape as a crash
            log.warning("pyx12 failed in a %s run: %r", self.family, exc)
            log.debug("pyx12 failure detail", exc_info=True)
            return {}, f"the validator failed: {exc!r}"

    def _count(self, segment: Any, *_rest: Any) -> None:
        """pyx12's per-segment callback: which set each walked segment belongs to."""
        tag = segment.get_seg_id()
        if tag == "ST":
            control = str(segment.get_value("ST02") or "")
            self._current = int(control) - 1 if is_digits(control) else None
        if self._current is not None and 0 <= self._current < len(self.walked):
            self.walked[self._current] += 1
        if tag == "SE":
            self._current = None

    def incomplete(self, index: int, failure: str | None) -> str | None:
        """Why set ``index`` was not fully validated, or None when it was. A run that stopped
        (raised, or ran out of time) wrote no error tree at all, so even the sets it had walked
        have lost their findings: none of them counts as validated."""
        if failure is not None:
            return failure
        if self.finished[index] and self.walked[index] == self.fed[index]:
            return None
        return (f"the validator walked {self.walked[index]} of its {self.fed[index]} "
                "segments")


# --- the synthetic interchange ---------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class _Delimiters:
    element: str
    segment: str
    component: str
    repetition: str


class _Synthetic:
    """The text pyx12 reads: a clean ISA, one GS per set type, every set bounded."""

    def __init__(self, run: _Run) -> None:
        self.run = run
        self.delimiters = _choose_delimiters(run.sets)
        self.isa12 = "00501" if run.family == "005010" else "00401"

    def pieces(self) -> Iterator[str]:
        d = self.delimiters
        isa11 = "U" if self.isa12 == "00401" else d.repetition
        isa = ["ISA", "00", " " * 10, "00", " " * 10, "ZZ", "SENDER".ljust(15), "ZZ",
               "RECEIVER".ljust(15), "000101", "0000", isa11, self.isa12, "000000001", "0",
               "P", d.component]
        yield d.element.join(isa) + d.segment
        def type_of(index: int) -> str:
            return self.run.sets[index].set_id
        groups = groupby(sorted(range(len(self.run.sets)), key=type_of), key=type_of)
        count = 0
        for count, (set_id, members) in enumerate(groups, start=1):
            yield from self._group(count, set_id, list(members))
        yield d.element.join(["IEA", str(count), "000000001"]) + d.segment

    def _group(self, number: int, set_id: str, members: list[int]) -> Iterator[str]:
        d = self.delimiters
        gs08 = "005010X231A1" if set_id == "999" else self.run.family
        gs = ["GS", FUNCTIONAL_IDS[set_id], "SENDER", "RECEIVER", "20000101", "0000",
              str(number), "X", gs08]
        yield d.element.join(gs) + d.segment
        for index in members:
            for segment in self._set(index):
                yield d.element.join(segment) + d.segment
        yield d.element.join(["GE", str(len(members)), str(number)]) + d.segment

    def _set(self, index: int) -> Iterator[list[str]]:
        content, run = self.run.sets[index], self.run
        separators = SetSeparators(content.component, content.repetition,
                                   self.delimiters.component)
        # Renumbered first: ST02/SE02 are the envelope layer's to judge, not the bounds'.
        bounded = bounded_set(_renumbered(content.segments(), index + 1), run.family,
                              content.set_id, separators=separators,
                              where=content.location, findings=run.bound_findings[index])
        for segment in bounded:
            run.fed[index] += 1
            yield segment
        run.finished[index] = True


def _choose_delimiters(sets: Sequence[SetContent]) -> _Delimiters:
    used = frozenset().union(*(s.characters for s in sets))
    element = _free(_ELEMENT_CANDIDATES, used)
    segment = _free(_SEGMENT_CANDIDATES, used)
    component = _free(_COMPONENT_CANDIDATES, used | {element, segment})
    repetition = _free("^{}\x19", used | {element, segment, component})
    return _Delimiters(element, segment, component, repetition)


class _SyntheticStream(io.TextIOBase):
    """A read-only text stream over generated pieces: pyx12 pulls it in small chunks."""

    def __init__(self, pieces: Iterator[str], deadline: Deadline | None) -> None:
        self._pieces = pieces
        self._buffer = ""
        self._deadline = deadline

    def readable(self) -> bool:
        return True

    def read(self, size: int | None = -1) -> str:
        wanted = size if size is not None and size >= 0 else None
        chunks, held = [self._buffer], len(self._buffer)
        while wanted is None or held < wanted:
            if self._deadline is not None and self._deadline.expired():
                raise _OutOfTime
            piece = next(self._pieces, None)
            if piece is None:
                break
            chunks.append(piece)
            held += len(piece)
        text = "".join(chunks)
        self._buffer = "" if wanted is None else text[wanted:]
        return text if wanted is None else text[:wanted]


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
    found = next((c for c in candidates if c not in used), None)
    if found is None:  # every candidate occurs in the data: any other control character will do
        found = next(chr(c) for c in range(1, 32) if chr(c) not in used and chr(c) not in "\r\n")
    return found


# --- running pyx12 ---------------------------------------------------------------------------
# pyx12 parses a map's XML on every run (25-45 ms), and with it our codes.xml of complete code
# lists (~0.2 s: 23,000 codes, read by a pure-Python parser) once per map. Neither is changed
# once built (the walker keeps its own counters; the code sets are frozensets only read), so
# one parsed copy per map file, and one code table per map folder, serve every run and thread.
_PARSED: dict[tuple[str, ...], Any] = {}
_PARSED_LOCK = threading.RLock()  # a map being parsed asks for its code table
_LOAD_MAP_FILE = pyx12.map_if.load_map_file
_EXTERNAL_CODES = pyx12.codes.ExternalCodes


def _parsed_once(key: tuple[str, ...], build: Callable[[], Any]) -> Any:
    with _PARSED_LOCK:
        if key not in _PARSED:
            _PARSED[key] = build()
        return _PARSED[key]


def _cached_load_map_file(map_file: str, param: Any, map_path: str | None = None) -> Any:
    return _parsed_once(("map", map_file, str(map_path)),
                        lambda: _LOAD_MAP_FILE(map_file, param, map_path))


def _shared_external_codes(base_path: str | None = None, exclude: str | None = None) -> Any:
    return _parsed_once(("codes", str(base_path), str(exclude)),
                        lambda: _EXTERNAL_CODES(base_path, exclude))


def _use_parsed_copies() -> None:
    """Point pyx12 at the caches above (idempotent; pyx12 looks both names up per call)."""
    pyx12.map_if.load_map_file = _cached_load_map_file
    pyx12.codes.ExternalCodes = _shared_external_codes


def _run_pyx12(folder: Path, source: io.TextIOBase,
               callback: Callable[..., None]) -> dict[str, Any]:
    params = pyx12.params.ParamsBase()  # defaults only: no ~/.pyx12.conf.xml can change verdicts
    params.set("charset", "E")
    errors = io.StringIO()
    pyx12_log = logging.getLogger("pyx12")
    previous = pyx12_log.level
    pyx12_log.setLevel(logging.CRITICAL)  # pyx12 logs every finding; ours are reported instead
    _use_parsed_copies()
    try:
        pyx12.x12n_document.x12n_document(params, source, None, None, fd_json=errors,
                                          map_path=str(folder), callback=callback)
    finally:
        pyx12_log.setLevel(previous)
    return dict(json.loads(errors.getvalue() or '{"interchanges": []}'))


# --- pyx12's error tree -> findings ---------------------------------------------------------
def _findings_from_tree(tree: dict[str, Any], sets: Sequence[SetContent],
                        family: str) -> list[list[Finding]]:
    results: list[list[Finding]] = [[] for _ in sets]
    for interchange in tree.get("interchanges", []):
        for group in interchange.get("groups", []):
            for transaction in group.get("transactions", []):
                index = _set_index(transaction.get("trn_set_control_num"), len(sets))
                if index is None:
                    continue
                content = sets[index]
                results[index].extend(_transaction_findings(
                    transaction, content.location, family, content.set_id))
    return results


def _set_index(control: object, count: int) -> int | None:
    text = str(control or "")
    if is_digits(text) and 1 <= int(text) <= count:
        return int(text) - 1
    return None


def _transaction_findings(transaction: dict[str, Any], where: Location,
                          family: str, set_id: str) -> list[Finding]:
    found = [
        Finding("set.syntax", f"Transaction set error: {e['err_str']}", Severity.ERROR,
                X12Code(Level.TRANSACTION, str(e["err_cde"])), where)
        for e in transaction.get("errors", []) if str(e["err_cde"]) not in _OWNED_BY_ENVELOPE
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
    if code == "6" and _PYX12_TRAILING_SPACES in str(error.get("err_str", "")):
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
