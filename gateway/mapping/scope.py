"""Segments grouped into the loops a mapping declares: the scopes its rules read from.

A mapping declares loops as X12 does: a loop starts with its first segment (``N1``, ``BLI``,
``HL``, ``LX``) and holds the member segments and nested loops that follow it. A segment that is
neither a member nor the start of a nested loop closes the loop and is tried against the loops
around it, up to the whole transaction set (the root scope).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class Segment:
    position: int  # counted from ST = 1
    elements: tuple[str, ...]  # elements[0] is the tag

    @property
    def tag(self) -> str:
        return self.elements[0]

    def element(self, number: int) -> str:
        return self.elements[number] if number < len(self.elements) else ""


@dataclass(frozen=True, slots=True)
class LoopSpec:
    name: str  # the start tag, which names the loop
    members: frozenset[str]
    loops: Mapping[str, LoopSpec]

    @classmethod
    def root(cls, loops: Mapping[str, Any]) -> LoopSpec:
        return cls("ST", frozenset(), _loop_specs(loops))


def _loop_specs(raw: Mapping[str, Any]) -> dict[str, LoopSpec]:
    specs = {}
    for name, declared in (raw or {}).items():
        body = declared or {}
        specs[name] = LoopSpec(name, frozenset(body.get("members", ())),
                               _loop_specs(body.get("loops", {})))
    return specs


@dataclass(slots=True)
class Scope:
    spec: LoopSpec
    ordinal: int  # 1-based among the loops of this name in its parent
    parent: Scope | None = None
    segments: list[Segment] = field(default_factory=list)
    children: list[Scope] = field(default_factory=list)
    # The children by loop name, kept as they are added: an ASN's root holds tens of thousands
    # of HL loops, and finding a name's loops (or the next ordinal) must not scan them all.
    _named: dict[str, list[Scope]] = field(default_factory=dict)
    # Children let go (`release_children`) by loop name: still counted for the next ordinal.
    _released: dict[str, int] = field(default_factory=dict)

    @property
    def label(self) -> str:
        return "ST" if self.parent is None else f"{self.spec.name} {self.ordinal}"

    def loops(self, name: str) -> list[Scope]:
        return self._named.get(name, [])

    def next_ordinal(self, name: str) -> int:
        return len(self.loops(name)) + self._released.get(name, 0) + 1

    def release_children(self) -> None:
        """Forget the loops read so far (a streamed mapping is done with them); the loops
        that follow are still numbered after them."""
        for name, children in self._named.items():
            self._released[name] = self._released.get(name, 0) + len(children)
        self._named.clear()
        self.children.clear()

    def add_child(self, child: Scope) -> None:
        self.children.append(child)
        self._named.setdefault(child.spec.name, []).append(child)

    def ancestor(self, levels: int) -> Scope | None:
        scope: Scope | None = self
        for _ in range(levels):
            scope = scope.parent if scope is not None else None
        return scope


def build_scopes(segments: Iterable[Segment], loops: Mapping[str, Any]) -> Scope:
    """Assign every segment to the innermost declared loop that can hold it."""
    root = Scope(LoopSpec.root(loops), 1)
    current = root
    for segment in segments:
        current = place(current, segment)
    return root


def place(current: Scope, segment: Segment) -> Scope:
    """Put ``segment`` in the innermost loop around ``current`` that can hold it (a new
    loop when it starts one); the scope that holds it."""
    scope: Scope | None = current
    while scope is not None:
        nested = scope.spec.loops.get(segment.tag)
        if nested is not None:
            child = Scope(nested, scope.next_ordinal(nested.name), scope, [segment])
            scope.add_child(child)
            return child
        if segment.tag in scope.spec.members or scope.parent is None:
            scope.segments.append(segment)
            return scope
        scope = scope.parent
    raise AssertionError("the root scope holds anything")  # pragma: no cover
