"""Codes the gateway does not know for the group's version: warnings for admins, never rejections.

pyx12 enforces the *complete* code lists of our grammars (maps/<family>/codes.xml, AK403 7). Every
list, complete or not, is also in maps/<family>/known-codes.json, and this module reports as a
WARNING (code ``element.unknown-code``) each value that passes pyx12 but is not a code we know for
the version:

* a value outside a list we know only in part (country, state, currency, ...): we cannot tell a
  new or partner-agreed code from a typo, so an admin should look, but the set is not rejected;
* a value of a complete list that X12 defines only in another release (004010 to 005050): pyx12
  accepts it, because partners do send them and 0040xx / 0050xx groups are validated against our
  004010 / 005010 grammars, but it is not a code of the version the group declares.

A value outside a complete list and outside every release is pyx12's AK403 7 error, not repeated
here. Pure: the segments come in as lists of strings, the findings go out as data.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from functools import cache

from gateway.x12 import findings as f
from gateway.x12.findings import Finding, Location
from gateway.x12.grammar.layout import ElementSpec, Slot, segment_layouts
from gateway.x12.grammar.lookup import CodeList, code_lists

UNKNOWN_CODE = "element.unknown-code"


def unknown_code_warnings(  # noqa: PLR0917 (the signature validate.py calls)
        family: str, set_id: str, segments: Iterable[Sequence[str]], component: str,
        repetition: str | None, location: Location) -> list[Finding]:
    """A located WARNING per value of ``segments`` (ST..SE, ``[tag, e01, ...]``) that is not a
    code we know for ``family``; ``location`` is the set's, positions count from ST = 1."""
    watch = CodeWatch(family, set_id, (component, repetition), location)
    for position, segment in enumerate(segments, start=1):
        watch.feed(position, segment)
    return watch.warnings


class CodeWatch:
    """`unknown_code_warnings` a segment at a time, for a reader that walks the set once."""

    def __init__(self, family: str, set_id: str, separators: tuple[str, str | None],
                 location: Location) -> None:
        self.family = family
        self.layouts = segment_layouts(family, set_id)
        self.known = _known_codes(family, set_id)
        self.separators = separators
        self.location = location
        self.warnings: list[Finding] = []

    def feed(self, position: int, segment: Sequence[str]) -> None:
        slots = self.layouts.get(segment[0]) if segment else None
        # A segment our grammar does not define is the validator's to report.
        if slots and not _all_known(segment, self.known[segment[0]]):
            at = self.location.within(segment_position=position, segment_tag=segment[0])
            self.warnings += _segment_warnings(self.family, segment, slots, self.separators, at)


_LOOK_CLOSER: frozenset[str] = frozenset()  # a composite or repeating slot with a list


@cache
def _known_codes(family: str, set_id: str) -> dict[str, tuple[tuple[int, frozenset[str]], ...]]:
    """Per tag: (element position, the version's codes) of each slot with a code list."""
    lists = code_lists(family)
    def codes(slot: Slot) -> frozenset[str] | None:
        coded = [lists[spec.number] for spec in slot.components if spec.number in lists]
        if not coded:
            return None
        return coded[0].codes if not slot.composite and slot.repeat == 1 else _LOOK_CLOSER
    return {tag: tuple((index, found) for index, slot in enumerate(layout, start=1)
                       if (found := codes(slot)) is not None)
            for tag, layout in segment_layouts(family, set_id).items()}


def _all_known(segment: Sequence[str], known: tuple[tuple[int, frozenset[str]], ...]) -> bool:
    """True when every coded value is a code of the version (nothing to warn about)."""
    for index, codes in known:
        if index < len(segment) and segment[index] and (
                codes is _LOOK_CLOSER or segment[index] not in codes):
            return False
    return True


def _segment_warnings(family: str, segment: Sequence[str], slots: tuple[Slot, ...],
                      separators: tuple[str, str | None], at: Location) -> Iterator[Finding]:
    lists = code_lists(family)
    for index, (value, slot) in enumerate(zip(segment[1:], slots, strict=False), start=1):
        for where, element, code in _coded_values(value, slot, *separators):
            spec = lists.get(element.number)
            if spec is not None and _fits(element, code) and _is_unknown(spec, code):
                here = at.within(element_position=index, element_number=element.number, **where)
                yield _warning(family, spec, here, code)


def _coded_values(value: str, slot: Slot, component: str,
                  repetition: str | None) -> Iterator[tuple[dict[str, int], ElementSpec, str]]:
    """(component / repetition position, element, value) of each non-empty value."""
    repeats = value.split(repetition) if repetition and slot.repeat > 1 else [value]
    for ordinal, repeat in enumerate(repeats, start=1):
        where = {"repetition_position": ordinal} if slot.repeat > 1 else {}
        if not slot.composite:
            if repeat:
                yield where, slot.element, repeat
            continue
        parts = repeat.split(component) if component else [repeat]
        for position, (spec, part) in enumerate(zip(slot.components, parts, strict=False), 1):
            if part:
                yield {**where, "component_position": position}, spec, part


def _fits(element: ElementSpec, value: str) -> bool:
    """A value of the wrong length is the validator's AK403 4/5 error, not an unknown code."""
    return element.min_length <= len(value.rstrip(" ")) <= element.max_length


def _is_unknown(spec: CodeList, value: str) -> bool:
    code = value.rstrip(" ")  # trailing spaces are the validator's warning, not a new code
    if code in spec.codes:
        return False
    # A complete list rejects (in pyx12) what no release defines; only other releases' codes
    # pass it, and those are the ones to point out.
    return code in spec.other_releases if spec.complete else True


def _warning(family: str, spec: CodeList, here: Location, code: str) -> Finding:
    name = _element_name(here)
    what = f"data element {here.element_number} ({spec.name})"
    if spec.complete:
        message = (f"{name} is {code!r}, which is not a {family} code of {what}: X12 defines it "
                   "in another release. Accepted; check which release the partner follows.")
    else:
        message = (f"{name} is {code!r}, which is not among the {len(spec.codes)} codes the "
                   f"gateway knows for {what} in {family}. That list is incomplete, so the value "
                   "is accepted; check it with the partner.")
    return f.warning(UNKNOWN_CODE, message, here,
                     expected=f"a code from the {family} list of {what}", found=code)


def _element_name(here: Location) -> str:
    name = f"{here.segment_tag}{here.element_position or 0:02d}"
    if here.component_position:
        name = f"{name}-{here.component_position}"
    if here.repetition_position:
        name = f"{name} (repeat {here.repetition_position})"
    return name
