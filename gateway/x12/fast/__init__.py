"""The fast validation engine: the grammars we ship, compiled, walked in plain Python.

It takes exactly what the pyx12 engine takes (each set renumbered and passed through
`bounds.bounded_set`), reads each segment the way pyx12's reader does (the HL checks, trailing
separators, a leading space), walks it through the compiled map (`walk.py`), checks its elements
(`checks.py`), and files every error in a tree of pyx12's shape, so the findings go through the
same conversion (`error_tree.py`) and give the same 997/999 bytes. It never stops early: a set
is walked to its SE unless the file's time budget runs out, in which case the set is rejected as
not validated, like the pyx12 engine's.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

from gateway.x12 import syntax_rules
from gateway.x12.bounds import SetSeparators, bounded_set
from gateway.x12.error_tree import transaction_findings
from gateway.x12.fast.checks import Error, segment_errors, value_at
from gateway.x12.fast.grammar import ElementRule, SegmentRule, SetGrammar, set_grammar
from gateway.x12.fast.walk import Walker, WalkError
from gateway.x12.findings import Finding
from gateway.x12.grammar.lookup import element_numbers
from gateway.x12.limits import Deadline
from gateway.x12.sets import SetContent, choose_delimiters, not_validated, renumbered

_CLOCK_EVERY = 2048  # segments between looks at the file's time budget


def validate_sets_fast(family: str, sets: Sequence[SetContent],
                       deadline: Deadline | None = None) -> list[list[Finding]]:
    """Validate sets of one grammar family; return the findings of each set, in order."""
    if not sets:
        return []
    component = choose_delimiters(sets).component
    return [_validate_set(family, index, content, component, deadline)
            for index, content in enumerate(sets)]


def _validate_set(family: str, index: int, content: SetContent, component: str,
                  deadline: Deadline | None) -> list[Finding]:
    grammar = set_grammar(family, content.set_id)
    if grammar is None:
        return [not_validated(content, f"no {family} grammar for {content.set_id}")]
    bound_findings: list[Finding] = []
    separators = SetSeparators(content.component, content.repetition, component)
    read = content.segments()
    if content.observer is not None:
        read = _observed(read, content.observer)
    segments = bounded_set(renumbered(read, index + 1), family, content.set_id,
                           separators=separators, where=content.location,
                           findings=bound_findings)
    tree, problem = _SetRun(grammar, component, deadline).run(segments)
    found = [*bound_findings, *transaction_findings({"errors": [], "segments": tree},
                                                    content.location, family, content.set_id)]
    found = syntax_rules.with_blamed_elements(found, content.segments,
                                              element_numbers(family, content.set_id))
    return found if problem is None else [*found, not_validated(content, problem)]


def _observed(segments: Iterator[list[str]],
              observer: Callable[[int, list[str]], None]) -> Iterator[list[str]]:
    for position, values in enumerate(segments, start=1):
        observer(position, values)
        yield values


class _Tree:
    """pyx12's error handler for one set: segment entries in the order of their first error,
    each with its errors and its element entries. Until the first segment after ST, the cursor
    is the ST itself, where pyx12 files nothing it reports (its ST node drops them)."""

    def __init__(self) -> None:
        self.segments: list[dict[str, Any]] = []
        self._segment: dict[str, Any] | None = None  # None: the ST
        self._segment_added = True
        self._element: dict[str, Any] | None = None
        self._element_added = True

    def add_segment(self, tag: str, count: int) -> None:
        self._segment = {"seg_id": tag, "seg_count": count, "ls_id": None, "errors": [],
                         "elements": []}
        self._segment_added = False

    def close_set(self) -> None:
        self._segment, self._segment_added = None, True

    def segment_error(self, code: str, text: str, value: str | None) -> None:
        if self._segment is None:
            return
        if not self._segment_added:
            self.segments.append(self._segment)
            self._segment_added = True
        self._segment["errors"].append({"err_cde": code, "err_str": text, "err_val": value})

    def add_element(self, rule: ElementRule) -> None:
        self._element = {"ele_pos": rule.element_position,
                         "subele_pos": rule.component_position, "repeat_pos": None,
                         "ele_ref_num": rule.number, "errors": []}
        self._element_added = False

    def element_error(self, code: str, text: str, value: str | None) -> None:
        if self._segment is None or self._element is None:
            return
        if not self._segment_added:
            self.segments.append(self._segment)
            self._segment_added = True
        if not self._element_added:
            self._segment["elements"].append(self._element)
            self._element_added = True
        self._element["errors"].append({"err_cde": code, "err_str": text, "err_val": value})


class _SetRun:
    """One set through the reader's checks, the walk and the element checks."""

    def __init__(self, grammar: SetGrammar, component: str, deadline: Deadline | None) -> None:
        self.grammar = grammar
        self.component = component
        self.deadline = deadline
        self.tree = _Tree()
        self.walker = Walker(grammar, component)
        self.reader_errors: list[tuple[str, str]] = []  # filed on the next segment placed
        self.hl_count = 0
        self.hl_open: list[int] = []

    def run(self, segments: Iterator[list[str]]) -> tuple[list[dict[str, Any]], str | None]:
        """The error tree's segment entries, and why the set was not fully validated (None:
        it was)."""
        next(segments)  # the ST: the walk starts there (pyx12 files nothing on it)
        if self._out_of_time():
            return self.tree.segments, self._out_of_time_reason()
        for count, values in enumerate(segments, start=2):
            if count % _CLOCK_EVERY == 0 and self._out_of_time():
                return self.tree.segments, self._out_of_time_reason()
            if values[0] == "SE":
                self._close(values, count)
            else:
                self._segment(self._read(values), count)
        return self.tree.segments, None

    def _out_of_time(self) -> bool:
        return self.deadline is not None and self.deadline.expired()

    def _out_of_time_reason(self) -> str:
        seconds = self.deadline.seconds if self.deadline is not None else 0
        return (f"the file's validation time budget of {seconds:g} s ran out "
                "(limits.seconds_per_file)")

    def _read(self, values: list[str]) -> list[str]:
        """What pyx12's reader notes about a segment as it reads it."""
        tag = values[0]
        if tag[:1] in ("\r", "\n", " "):
            values = self._unpadded(values)
        if len(values) > 1 and values[-1] == "":
            self.reader_errors.append(("SEG1", "Segment contains trailing element terminators"))
        if values[0] == "HL":
            self._hl(values)
        return values

    def _unpadded(self, values: list[str]) -> list[str]:
        """pyx12 strips line breaks before a tag, and (reported) a leading space."""
        tag = values[0].lstrip("\r\n")
        if tag.startswith(" "):
            self.reader_errors.append(("1", "Segment contains a leading space"))
            tag = tag.lstrip()
        return [tag, *values[1:]]

    def _hl(self, values: list[str]) -> None:
        """pyx12's HL checks: HL01 counts 1, 2, 3...; HL02 names an open level."""
        self.hl_count += 1
        number = value_at(values, 1, self.component)
        if self.hl_count != _int(number):
            self.reader_errors.append(
                ("HL1", f"My HL count {self.hl_count:d} does not match your HL count {number}"))
        parent_text = value_at(values, 2, self.component)
        if parent_text != "":
            parent = _int(parent_text)
            if parent not in self.hl_open:
                self.reader_errors.append(("HL2", f"HL parent ({parent}) is not a valid parent"))
            while self.hl_open and parent != self.hl_open[-1]:
                self.hl_open.pop()
        self.hl_open.append(self.hl_count)

    def _segment(self, values: list[str], count: int) -> None:
        rule, walk_errors = self.walker.place(values, count)
        self._file_walk_errors(walk_errors)
        if rule is None:
            return  # pyx12 keeps the reader's notes for the next segment it places
        self.tree.add_segment(values[0], count)
        self._file_reader_errors()
        self._file_element_errors(rule, segment_errors(rule, values, self.component,
                                                       self.grammar.extended_charset_5))

    def _close(self, values: list[str], count: int) -> None:
        """The SE: the walk reports what is missing at the end; pyx12 files the reader's last
        notes on the last segment entry and nothing on the SE itself. (Its reader does not count
        trailers, so what the SE's walk reports sits at the position before it.)"""
        _rule, walk_errors = self.walker.place(values, count - 1)
        self._file_walk_errors(walk_errors)
        self._file_reader_errors()
        self.tree.close_set()

    def _file_walk_errors(self, errors: list[WalkError]) -> None:
        for error in errors:
            if error.own_entry:
                self.tree.add_segment(error.tag, error.position)
            self.tree.segment_error(error.code, error.text, None)

    def _file_reader_errors(self) -> None:
        for code, text in self.reader_errors:
            self.tree.segment_error(code, text, None)
        self.reader_errors = []

    def _file_element_errors(self, rule: SegmentRule, errors: list[Error]) -> None:
        current: ElementRule | None = None
        for error in errors:
            if error.element is None:
                self.tree.segment_error("8", error.text, error.value)
                continue
            if error.element is not current:
                self.tree.add_element(error.element)
                current = error.element
            self.tree.element_error(error.code, error.text, error.value)


def _int(text: str | None) -> int | None:
    """pyx12's ``_int``: Python's own int(), or None."""
    try:
        return int(text)  # type: ignore[arg-type]
    except (ValueError, TypeError):
        return None
