"""Facts read back from the grammars we ship, for messages and acknowledgements."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET  # our own generated files, never partner data
from dataclasses import dataclass
from functools import cache

from gateway.errors import GrammarError
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


@dataclass(frozen=True, slots=True)
class CodeList:
    """One element's code list for a grammar family (see source/codes-<family>.yaml)."""

    name: str
    complete: bool  # True: the whole list of the version, enforced by pyx12 (AK403 7)
    codes: frozenset[str]  # the codes of the version
    other_releases: frozenset[str]  # accepted by pyx12, but codes of another X12 release only


@cache
def code_lists(family: str) -> dict[str, CodeList]:
    """Element number -> its code list, from the generated known-codes.json (every list)."""
    path = map_dir(family) / "known-codes.json"
    try:
        lists = json.loads(path.read_text(encoding="utf-8"))["lists"]
    except (OSError, ValueError, KeyError) as exc:  # a broken install, not partner data
        raise GrammarError(f"the {family} code lists {path} cannot be read ({exc}); "
                           "reinstall the gateway") from exc
    return {number: CodeList(spec["name"], bool(spec["complete"]), frozenset(spec["codes"]),
                             frozenset(spec["other_releases"]))
            for number, spec in lists.items()}
