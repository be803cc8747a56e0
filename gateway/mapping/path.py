"""Where a rule reads a value: ``N9[01=RZ]/02``, ``^LX/01``, ``BLI/07-2``, or a bare ``03``.

* ``TAG`` picks segments of that tag in the scope (not in its nested loops);
* ``[01=RZ]`` keeps those whose element 01 is RZ (``[01=RZ|ZZ]`` either; ``[03]`` present);
* ``/02`` reads element 02 (``/02-1`` component 1 of a composite);
* a leading ``^`` reads from the enclosing loop (``^^`` two levels up);
* a bare element (``02``) reads the segment a rule is iterating over (inside ``each``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from gateway.mapping.scope import Scope, Segment

_PATH = re.compile(
    r"^(?P<up>\^*)(?P<tag>[A-Z][A-Z0-9]{1,2})(?P<filters>(?:\[[^\]]+\])*)"
    r"(?:/(?P<element>\d{2})(?:-(?P<component>\d{1,2}))?)?$")
_BARE = re.compile(r"^(?P<element>\d{2})(?:-(?P<component>\d{1,2}))?$")
_FILTER = re.compile(r"\[(\d{2})(?:=([^\]]*))?\]")


class PathError(ValueError):
    """A rule's path cannot be read; the message says how to write it."""


@dataclass(frozen=True, slots=True)
class Filter:
    element: int
    allowed: frozenset[str] | None  # None: the element only has to be present

    def accepts(self, segment: Segment) -> bool:
        value = segment.element(self.element)
        return bool(value) if self.allowed is None else value in self.allowed


@dataclass(frozen=True, slots=True)
class Path:
    text: str
    up: int = 0
    tag: str | None = None  # None: the segment being iterated
    filters: tuple[Filter, ...] = ()
    element: int | None = None
    component: int | None = None

    def segments(self, scope: Scope) -> list[Segment]:
        """The segments this path selects in ``scope`` (after climbing ``up`` levels)."""
        where = scope.ancestor(self.up)
        if where is None or self.tag is None:
            return []
        return [s for s in where.segments
                if s.tag == self.tag and all(f.accepts(s) for f in self.filters)]

    def value_in(self, segment: Segment, component_separator: str) -> str:
        if self.element is None:
            return ""
        value = segment.element(self.element)
        if self.component is None:
            return value
        parts = value.split(component_separator)
        return parts[self.component - 1] if self.component <= len(parts) else ""


@lru_cache(maxsize=4096)  # a mapping names a few hundred paths, read once per item of a set
def parse_path(text: str) -> Path:
    text = str(text).strip()
    bare = _BARE.match(text)
    if bare:
        return Path(text, element=int(bare["element"]), component=_int(bare["component"]))
    match = _PATH.match(text)
    if match is None:
        raise PathError(f"{text!r} is not a path: write TAG/01, TAG[01=CODE]/02, ^TAG/01 "
                        "or a bare element number such as 02")
    found = list(_FILTER.finditer(match["filters"]))
    if "".join(f[0] for f in found) != match["filters"]:
        raise PathError(f"{text!r} has a filter that is not [NN] or [NN=CODE] or "
                        "[NN=CODE|CODE]: write TAG/01, TAG[01=CODE]/02, ^TAG/01 or a bare "
                        "element number such as 02")
    filters = tuple(Filter(int(f[1]), frozenset(f[2].split("|")) if f[2] is not None else None)
                    for f in found)
    return Path(text, len(match["up"]), match["tag"], filters, _int(match["element"]),
                _int(match["component"]))


def _int(text: str | None) -> int | None:
    return int(text) if text else None
