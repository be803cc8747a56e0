"""Where each segment of a set belongs: pyx12's map walk (``map_walker.walk_tree``), compiled.

The walk decides everything X12 calls structure: which loop a segment opens or continues,
mandatory segments and loops that were skipped (AK304 3), segments that repeat too often (5),
loops that repeat too often (4), and segments that fit nowhere (1, or 7 when the tag is known).
It follows pyx12's algorithm step by step — scan the current loop from the current position,
then each enclosing loop from that loop's position — so the two engines agree on every file,
quirks included (a missing mandatory segment is reported only once the walk has moved past its
position). What is compiled away is the cost: counters are per-loop dictionaries instead of
X12 path strings, and a loop's children are scanned through a per-tag index instead of one by
one.
"""

from __future__ import annotations

from bisect import bisect_left
from typing import NamedTuple

from gateway.x12.fast.checks import value_at
from gateway.x12.fast.grammar import LoopRule, SegmentRule, SetGrammar


class WalkError(NamedTuple):
    """A structure error, reported on a segment entry of its own (pyx12's ``SegError``)."""

    code: str
    text: str
    own_entry: bool  # filed on a segment entry of its own (False: on the current entry)
    tag: str
    position: int  # the segment position it is reported at


class _Missing(NamedTuple):
    rule: SegmentRule
    error: WalkError


class Walker:
    """The walk over one transaction set, from its ST to its SE."""

    def __init__(self, grammar: SetGrammar, component: str) -> None:
        self.grammar = grammar
        self.component = component
        self.scopes: list[dict[str, int]] = [{} for _ in grammar.loops]
        self.node: SegmentRule = grammar.st
        self._missing: list[_Missing] = []
        self._errors: list[WalkError] = []
        self._enter_st()

    def _enter_st(self) -> None:
        """The counts pyx12 holds once ST has opened the set (a fresh ST_LOOP)."""
        st_loop = self.grammar.st_loop
        self._reset(st_loop)
        self.scopes[st_loop.index]["ST"] = 1
        loop: LoopRule | None = st_loop
        while loop is not None and loop.parent is not None:
            self.scopes[loop.parent.index][loop.id] = 1
            loop = loop.parent

    def place(self, values: list[str], count: int) -> tuple[SegmentRule | None, list[WalkError]]:
        """The map node of the segment ``values`` at position ``count`` (None: it fits
        nowhere), and the structure errors found on the way; the walk moves on when found."""
        self._missing, self._errors = [], []
        tag = values[0]
        start = self.node
        loop, position = start.parent, start.pos
        while True:
            found = self._scan(loop, position, values, tag, count)
            if found is not None:
                self.node = found
                return found, self._errors
            if loop.parent is None:
                self._errors.append(WalkError("1", f"Segment {tag} not found", True, tag,
                                              count))
                return None, self._errors
            position, loop = loop.pos, loop.parent

    # --- pyx12's _scan_loop_at_position and the two child matchers ---------------------------
    def _scan(self, loop: LoopRule, position: int, values: list[str], tag: str,
              count: int) -> SegmentRule | None:
        children = loop.children
        candidates = loop.candidates(tag)
        for index in candidates[bisect_left(candidates, loop.start(position)):]:
            child = children[index]
            if isinstance(child, SegmentRule):
                found = self._segment_child(loop, child, values, tag, count)
            elif self._loop_matches(child, values, tag, count):
                found = self._enter(child, values, tag, count)
            else:
                continue
            if found is not None:
                return found
        return None

    def _segment_child(self, loop: LoopRule, child: SegmentRule, values: list[str], tag: str,
                       count: int) -> SegmentRule | None:
        scope = self.scopes[loop.index]
        if child.tag == tag and self._matches(child, values):
            if loop.parent is not None and self._loop_matches(loop, values, tag, count):
                return self._enter(loop, values, tag, count)  # the loop starts again
            seen = scope.get(tag, 0) + 1
            scope[tag] = seen
            if child.usage == "N":
                self._errors.append(WalkError("2", f"Segment {tag} found but marked as not used",
                                              False, tag, count))
            elif seen > child.max_use:
                self._errors.append(WalkError(
                    "5", f"Segment {tag} exceeded max count.  Found {seen}, should have "
                    f"{child.max_use}", True, tag, count))
            self._missing = [m for m in self._missing if not _same(m.rule, child)]
            self._flush(child.pos)
            return child
        if child.usage == "R" and scope.get(child.tag, 0) < 1:
            self._missing.append(_Missing(child, WalkError(
                "3", f'Mandatory segment "{child.name}" ({child.tag}) missing', True,
                child.tag, count)))
        return None

    def _loop_matches(self, loop: LoopRule, values: list[str], tag: str, count: int) -> bool:
        """pyx12's ``_is_loop_match``: does the segment open ``loop``? (If not, and the loop is
        mandatory and not yet seen, that is recorded as missing.)"""
        if not loop.children:
            return False
        first = loop.children[0]
        if isinstance(first, LoopRule):  # a wrapper loop: any of its loops may open
            return any(isinstance(child, LoopRule) and self._loop_matches(child, values, tag,
                                                                          count)
                       for child in loop.children)
        if first.tag == tag and self._matches(first, values):
            return True
        assert loop.parent is not None
        if loop.usage == "R" and self.scopes[loop.parent.index].get(loop.id, 0) < 1:
            self._missing.append(_Missing(first, WalkError(
                "3", f'Mandatory loop "{loop.name}" ({loop.id}) missing', True, first.tag,
                count)))
        return False

    def _enter(self, loop: LoopRule, values: list[str], tag: str,
               count: int) -> SegmentRule | None:
        """pyx12's ``_goto_seg_match``: open ``loop`` (a new repeat) at its first segment."""
        first = loop.children[0]
        if isinstance(first, SegmentRule) and first.tag == tag and self._matches(first, values):
            assert loop.parent is not None
            self._reset(loop)
            parent = self.scopes[loop.parent.index]
            repeats = parent.get(loop.id, 0) + 1
            parent[loop.id] = repeats
            if loop.usage == "N":
                self._errors.append(WalkError("2", f"Loop {loop.id} found but marked as not "
                                              "used", False, tag, count))
            elif repeats > loop.max_repeat:
                self._errors.append(WalkError(
                    "4", f"Loop {loop.id} exceeded max count.  Found {repeats}, should have "
                    f"{loop.max_repeat}", True, tag, count))
            self.scopes[loop.index][first.tag] = 1
            self._flush(None)
            return first
        for child in loop.children:
            if isinstance(child, LoopRule):
                found = self._enter(child, values, tag, count)
                if found is not None:
                    return found
        return None

    def _matches(self, rule: SegmentRule, values: list[str]) -> bool:
        """pyx12's ``segment_if.is_match``: the tag (already equal), and the qualifier value
        when the map tells same-tag segments apart by one."""
        key = rule.key
        if key is None:
            return True
        position, component, codes = key
        if not component:
            return value_at(values, position, self.component) in codes
        if position >= len(values):
            return False
        parts = values[position].split(self.component)
        return component <= len(parts) and parts[component - 1] in codes

    def _reset(self, loop: LoopRule) -> None:
        """pyx12's ``reset_to_node``: forget every count inside ``loop`` (not its own)."""
        for index in loop.descendants:
            self.scopes[index] = {}

    def _flush(self, position: int | None) -> None:
        """Report the recorded missing segments, except those at ``position`` (a segment still
        to come there may satisfy them)."""
        kept = []
        for missing in self._missing:
            if missing.rule.pos == position:
                kept.append(missing)
            else:
                self._errors.append(missing.error)
        self._missing = kept


def _same(a: SegmentRule, b: SegmentRule) -> bool:
    """pyx12's node equality: the same tag under a loop with the same id."""
    return a is b or (a.tag == b.tag and a.parent.id == b.parent.id)
