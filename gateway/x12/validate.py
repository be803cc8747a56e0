"""The reference engine: transaction set validation with pyx12 against the grammars we ship.

The only pyx12 import. The gateway validates with the fast engine (`gateway.x12.fast`) by
default; this one stays the reference it is proven against (`validation.engine: pyx12` selects
it, and the differential test runs both).

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
from gateway.x12 import syntax_rules
from gateway.x12.bounds import SetSeparators, bounded_set
from gateway.x12.error_tree import findings_from_tree
from gateway.x12.findings import Finding
from gateway.x12.grammar import map_dir
from gateway.x12.grammar.lookup import element_numbers
from gateway.x12.limits import Deadline
from gateway.x12.sets import (
    FUNCTIONAL_IDS,
    SetContent,
    choose_delimiters,
    not_validated,
    renumbered,
)
from gateway.x12.values import is_digits

log = logging.getLogger(__name__)


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
    results = findings_from_tree(tree, sets, family)
    for index, content in enumerate(sets):
        found = [*run.bound_findings[index], *results[index]]
        found = syntax_rules.with_blamed_elements(found, content.segments,
                                                  element_numbers(family, content.set_id))
        problem = run.incomplete(index, failure)
        results[index] = found if problem is None else [*found, not_validated(content,
                                                                                problem)]
    return results


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
class _Synthetic:
    """The text pyx12 reads: a clean ISA, one GS per set type, every set bounded."""

    def __init__(self, run: _Run) -> None:
        self.run = run
        self.delimiters = choose_delimiters(run.sets)
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
        bounded = bounded_set(renumbered(content.segments(), index + 1), run.family,
                              content.set_id, separators=separators,
                              where=content.location, findings=run.bound_findings[index])
        for segment in bounded:
            run.fed[index] += 1
            yield segment
        run.finished[index] = True


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

