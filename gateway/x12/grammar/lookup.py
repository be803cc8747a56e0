"""Facts read back from the grammars we ship, for messages and acknowledgements."""

from __future__ import annotations

import xml.etree.ElementTree as ET  # our own generated files, never partner data
from functools import cache

from gateway.x12.grammar import map_dir


@cache
def element_dictionary(family: str) -> dict[str, tuple[str, int, int, str]]:
    """Element number -> (type, min length, max length, name), from dataele.xml."""
    root = ET.parse(map_dir(family) / "dataele.xml").getroot()
    return {
        e.get("ele_num", ""): (e.get("data_type", ""), int(e.get("min_len", "0")),
                               int(e.get("max_len", "0")), e.get("name", ""))
        for e in root.iter("data_ele")
    }


@cache
def element_numbers(family: str, set_id: str) -> dict[tuple[str, int], str]:
    """(segment tag, element position) -> data element number, from the set's map."""
    path = map_dir(family) / f"{set_id}.{family[2:]}.xml"
    numbers: dict[tuple[str, int], str] = {}
    if not path.is_file():
        return numbers
    for segment in ET.parse(path).getroot().iter("segment"):
        tag = segment.get("xid", "")
        for child in segment:
            seq, number = child.findtext("seq"), child.findtext("data_ele")
            if child.tag in ("element", "composite") and seq and seq.isdigit() and number:
                numbers.setdefault((tag, int(seq)), number)
    return numbers


@cache
def segment_tags(family: str, set_id: str) -> frozenset[str]:
    """The segment tags the set's map defines anywhere."""
    return frozenset(tag for tag, _position in element_numbers(family, set_id))
