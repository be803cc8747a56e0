"""The validator's front step: pyx12 only ever reads values it can handle.

pyx12's raw reader takes 8 KB at a time and, when a segment is longer than what it holds after
a second read, *ends its stream without an error*: everything after it (the rest of the set,
later sets of the group) is never validated. A repeated element or a component separator where
X12 allows none makes it misread or crash. So each set reaches pyx12 through `bounded_set`,
which judges those problems itself, as located element findings with the X12 code each maps
to, and hands pyx12 a tamed copy of the segment:

* an element longer than its data element allows (AK4 5) is cut to that length;
* elements past the last one the segment defines (AK4 3) are dropped;
* repetitions beyond what the element allows (AK4 12) are dropped: none of our grammars lets an
  element repeat, so pyx12 sees the first repetition only;
* components past a composite's last (AK4 13, too many components) and a component separator
  inside a simple element (AK4 13 too) are dropped;
* a 005010 decimal written with an exponent (``1.5E3``, which X12.6 allows from 005010 and pyx12
  rejects) is handed over as its mantissa, so pyx12 checks the rest of the value only.

Every such segment is therefore short (the longest segment our grammars allow is a few KB), and
the findings here plus pyx12's own are the whole verdict. What is cut was already judged: a set
with such a finding is rejected whatever pyx12 says about the rest. The copy uses the synthetic
interchange's component separator, so sets from interchanges with different delimiters can
share one pyx12 run.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import cache

from gateway.x12.findings import Finding, Level, Location, Severity, X12Code
from gateway.x12.grammar.layout import ElementSpec, Slot, longest_value, segment_layouts

TOO_MANY_ELEMENTS = "3"
TOO_LONG = "5"
TOO_MANY_REPETITIONS = "12"
TOO_MANY_COMPONENTS = "13"
_UNKNOWN_SEGMENT_ELEMENTS = 8  # an unknown tag is rejected anyway; keep what pyx12 reads small
# Binary data (type B, BIN02) may be longer than pyx12's buffer; pyx12 checks nothing in it, so
# it is handed over cut. Every other value is at most 264 characters, so a segment stays ~1 KB.
_BINARY_HANDED_OVER = 1024
_SHOWN = 96  # characters of an over-long value quoted back (AK404 holds 99)
# X12.6 (005010): an optional minus, digits with an optional decimal point, then E, an optional
# minus and the exponent's digits. No plus sign anywhere.
# X12's basic character set beyond letters, digits and space: characters data is full of.
_DATA_LIKE = "!\"&'()*+,-./:;?="
_DECIMAL_WITH_EXPONENT = re.compile(r"(-?(?:\d+(?:\.\d+)?|\.\d+))E-?\d+")


@dataclass(frozen=True, slots=True)
class SetSeparators:
    """The partner's separators inside one set, and the component separator pyx12 is given."""

    component: str
    repetition: str | None
    synthetic_component: str


def bounded_set(segments: Iterator[list[str]], family: str, set_id: str, *,
                separators: SetSeparators, where: Location,
                findings: list[Finding]) -> Iterator[list[str]]:
    """Yield each segment of a set (ST..SE) in a form pyx12 can read; append what is wrong to
    ``findings`` (located by segment position, counted from ST = 1)."""
    layouts = segment_layouts(family, set_id)
    limits = _quick_limits(family, set_id)
    for position, values in enumerate(segments, start=1):
        layout = layouts.get(values[0])
        if layout is None:
            yield _unknown_segment(values, family, separators)
        elif _within(values, limits[values[0]], separators):
            yield values  # nothing to cut or translate: the common case, in one pass
        else:
            at = where.within(segment_position=position, segment_tag=values[0][:4])
            yield _SegmentBounds(layout, family, separators, at, findings).apply(values)


_ALWAYS_LOOK = -1  # binary data: always the full step
_NO_EXPONENT = 1  # a 005010 decimal: the full step if it holds an E


@cache
def _quick_limits(family: str, set_id: str) -> dict[str, tuple[tuple[int, int], ...]]:
    """Per tag, per element: the longest value that needs no cut, and what else to look at."""
    def limit(slot: Slot) -> tuple[int, int]:
        spec = slot.components[0]
        if spec.kind == "B":
            return 0, _ALWAYS_LOOK
        return spec.max_length, _NO_EXPONENT if spec.kind == "R" and family == "005010" else 0
    return {tag: tuple(limit(slot) for slot in layout)
            for tag, layout in segment_layouts(family, set_id).items()}


def _within(values: list[str], limits: tuple[tuple[int, int], ...],
            separators: SetSeparators) -> bool:
    """True when the segment needs nothing from this step: no element past the last, no
    separator to read (so one value per element), no value longer than allowed."""
    if len(values) - 1 > len(limits):
        return False
    component, repetition = separators.component, separators.repetition
    for value, (longest, look) in zip(values[1:], limits, strict=False):
        if not value:
            continue
        if len(value) > longest or look == _ALWAYS_LOOK or (component and component in value) \
                or (repetition and repetition in value) or (look == _NO_EXPONENT and "E" in value):
            return False
    return True


def _unknown_segment(values: list[str], family: str, separators: SetSeparators) -> list[str]:
    """pyx12 rejects an unknown tag itself; it must only not read a huge one."""
    limit = longest_value(family) + 1
    kept = [values[0][:4]] + [v[:limit] for v in values[1:_UNKNOWN_SEGMENT_ELEMENTS + 1]]
    return [_translated(v, separators) for v in kept]


def _translated(value: str, separators: SetSeparators) -> str:
    if separators.component and separators.component != separators.synthetic_component:
        return value.replace(separators.component, separators.synthetic_component)
    return value


@dataclass(slots=True)
class _SegmentBounds:
    layout: Sequence[Slot]
    family: str
    separators: SetSeparators
    at: Location
    findings: list[Finding]

    def apply(self, values: list[str]) -> list[str]:
        defined = len(self.layout)
        if len(values) - 1 > defined:
            self._element_error(defined + 1, None, TOO_MANY_ELEMENTS, values[defined + 1],
                                f"{self._name(defined + 1)}: the {self.at.segment_tag} "
                                f"segment has {len(values) - 1} elements; it defines "
                                f"{defined}.", expected=f"at most {defined} elements")
        kept = [values[0]]
        for position, value in enumerate(values[1:defined + 1], start=1):
            kept.append(self._element(position, self.layout[position - 1], value))
        return kept

    def _element(self, position: int, slot: Slot, value: str) -> str:
        repetition = self.separators.repetition
        if repetition and repetition in value:
            value = self._first_repetition(position, slot, value.split(repetition))
        parts = value.split(self.separators.component) if self.separators.component else [value]
        allowed = len(slot.components) if slot.composite else 1
        if len(parts) > allowed:
            self._too_many_components(position, slot, parts, allowed)
            parts = parts[:allowed]
        cut = [self._component(position, slot, index, part)
               for index, part in enumerate(parts, start=1)]
        return self.separators.synthetic_component.join(cut)

    def _first_repetition(self, position: int, slot: Slot, repetitions: list[str]) -> str:
        # None of our grammars lets an element repeat (tests/grammar checks it), so anything
        # past the first repetition is one too many, and pyx12 reads the first only.
        if len(repetitions) > slot.repeat:
            separator = self.separators.repetition or ""
            hint = (f" ISA11 makes {separator!r} the repetition separator, but it is an "
                    "ordinary data character: if it is meant as data, the sender must put "
                    "another character in ISA11, e.g. '^'." if separator in _DATA_LIKE else "")
            self._element_error(
                position, None, TOO_MANY_REPETITIONS, repetitions[slot.repeat],
                f"{self._name(position)} repeats {len(repetitions)} times (repetition "
                f"separator {separator!r}); it may occur {slot.repeat} "
                f"time{'s' * (slot.repeat != 1)}.{hint}", repetition=slot.repeat + 1,
                expected=f"at most {slot.repeat} repetition{'s' * (slot.repeat != 1)}")
        return repetitions[0]

    def _too_many_components(self, position: int, slot: Slot, parts: list[str],
                             allowed: int) -> None:
        if slot.composite:
            why = (f"{self._name(position)} has {len(parts)} components; the composite "
                   f"{slot.number} defines {allowed}.")
            component: int | None = allowed + 1
        else:
            why = (f"{self._name(position)} holds the component separator "
                   f"{self.separators.component!r}, but it is a simple element, not a "
                   "composite.")
            component = None
        self._element_error(position, component, TOO_MANY_COMPONENTS, parts[allowed], why,
                            expected=f"at most {allowed} component{'s' * (allowed != 1)}")

    def _component(self, position: int, slot: Slot, index: int, value: str) -> str:
        spec = slot.components[index - 1]
        if spec.kind == "R" and self.family == "005010":
            exponent = _DECIMAL_WITH_EXPONENT.fullmatch(value)
            if exponent is not None and _measured(value, spec) <= spec.max_length:
                return exponent.group(1)
        length = _measured(value, spec)
        if length <= spec.max_length:
            return value[:_BINARY_HANDED_OVER] if spec.kind == "B" else value
        component = index if slot.composite else None
        self._element_error(
            position, component, TOO_LONG, value,
            f"{self._name(position, component)} ({spec.name}) is {length:,} characters "
            f"long; data element {spec.number} allows at most {spec.max_length}.",
            expected=f"{spec.min_length} to {spec.max_length} characters of type {spec.kind}",
            number=spec.number)
        return value[:spec.max_length]

    def _name(self, position: int, component: int | None = None) -> str:
        name = f"{self.at.segment_tag}{position:02d}"
        return f"{name}-{component:02d}" if component else name

    def _element_error(self, position: int, component: int | None, code: str, found: str,
                       message: str, *, repetition: int | None = None,
                       expected: str | None = None, number: str | None = None) -> None:
        slot = self.layout[position - 1] if position <= len(self.layout) else None
        if number is None and slot is not None and not slot.composite:
            number = slot.number  # a composite (C040) has no data element number for AK402
        where = self.at.within(element_position=position, component_position=component,
                               repetition_position=repetition, element_number=number)
        self.findings.append(Finding(
            f"element.{_SLUGS[code]}", message, Severity.ERROR,
            X12Code(Level.ELEMENT, code), where, expected=expected,
            found=found if len(found) <= _SHOWN else f"{found[:_SHOWN]}..."))


_SLUGS = {TOO_MANY_ELEMENTS: "too-many-data-elements", TOO_LONG: "data-element-too-long",
          TOO_MANY_REPETITIONS: "too-many-repetitions",
          TOO_MANY_COMPONENTS: "too-many-components"}


def _measured(value: str, spec: ElementSpec) -> int:
    """The length X12 counts: without a numeric value's minus signs and decimal point, and
    without the exponent indicator E of a decimal."""
    if not spec.is_numeric:
        return len(value)
    return len(value) - value.count("-") - value.count(".") - (
        value.count("E") if spec.kind == "R" else 0)
