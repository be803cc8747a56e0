"""What each segment of a transaction set may hold, read back from our generated maps.

The validator's front step (`gateway.x12.bounds`) needs, per segment tag, the element slots in
order: a simple element or a composite of components, each with its data element's type and
lengths, and how often it may repeat. pyx12 knows all this too, but only inside its walk; we
need it *before* pyx12 reads a segment, to keep values it cannot handle away from it.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET  # our own generated files, never partner data
from dataclasses import dataclass
from functools import cache

from gateway.x12.grammar import map_dir
from gateway.x12.grammar.lookup import element_dictionary


@dataclass(frozen=True, slots=True)
class ElementSpec:
    number: str  # X12 data element reference number, e.g. "127"
    kind: str  # AN, ID, R, N0..N9, DT, TM, B
    min_length: int
    max_length: int
    name: str

    @property
    def is_numeric(self) -> bool:
        return self.kind == "R" or self.kind.startswith("N")


@dataclass(frozen=True, slots=True)
class Slot:
    """One element position of a segment: a simple element or a composite."""

    number: str  # the element number, or the composite's (C040)
    components: tuple[ElementSpec, ...]  # one entry for a simple element
    composite: bool
    repeat: int  # how many repetitions X12 allows here (1: the element does not repeat)

    @property
    def element(self) -> ElementSpec:
        return self.components[0]


@cache
def segment_layouts(family: str, set_id: str) -> dict[str, tuple[Slot, ...]]:
    """Segment tag -> its element slots, for the map of ``set_id`` in ``family``."""
    path = map_dir(family) / f"{set_id}.{family[2:]}.xml"
    if not path.is_file():
        return {}
    dictionary = element_dictionary(family)
    layouts: dict[str, tuple[Slot, ...]] = {}
    for segment in ET.parse(path).getroot().iter("segment"):
        tag = segment.get("xid", "")
        if tag not in layouts:
            layouts[tag] = tuple(_slot(child, dictionary) for child in segment
                                 if child.tag in ("element", "composite"))
    return layouts


def _slot(node: ET.Element, dictionary: dict[str, tuple[str, int, int, str]]) -> Slot:
    number = node.findtext("data_ele") or ""
    repeat = _repeat(node.findtext("repeat"))
    if node.tag == "composite":
        parts = tuple(_spec(child.findtext("data_ele") or "", dictionary)
                      for child in node if child.tag == "element")
        return Slot(number, parts, composite=True, repeat=repeat)
    return Slot(number, (_spec(number, dictionary),), composite=False, repeat=repeat)


def _spec(number: str, dictionary: dict[str, tuple[str, int, int, str]]) -> ElementSpec:
    kind, low, high, name = dictionary.get(number, ("AN", 1, 1, number))
    return ElementSpec(number, kind, low, high, name)


def _repeat(text: str | None) -> int:
    if not text:
        return 1
    return 1_000_000 if text.startswith(">") else int(text)


@cache
def longest_value(family: str) -> int:
    """The longest text value any element of ``family`` may hold (binary data aside)."""
    return max(high for kind, _low, high, _name in element_dictionary(family).values()
               if kind != "B")
