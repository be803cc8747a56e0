"""One segment's element checks, as pyx12 4.0.0 makes them (``segment_if.is_valid_errors``).

Each check, its order, its error code and the value it quotes follow pyx12, so that the findings
(and the 997/999 built from them) are the same whichever engine ran; the differential test
(`tests/x12/test_engine_differential.py`) holds the two to that. Where pyx12 would crash rather
than answer (an RD8 date range with two hyphens), the check gives the answer X12 gives.

An error is ``(code, text, value, element)``: ``element`` is None for what pyx12 reports on the
segment (too many elements, a composite missing or not used, a syntax rule), which reaches the
acknowledgement as AK304 8 with the rule named.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import partial
from typing import NamedTuple

from gateway.x12.error_tree import TRAILING_SPACES  # the words that make it a warning
from gateway.x12.fast.dates import valid_date, valid_time
from gateway.x12.fast.grammar import CompositeRule, ElementRule, SegmentRule
from gateway.x12.syntax_rules import holds

_FLAGS = re.S | re.ASCII
_NUMBER = re.compile(r"-?[0-9]+", _FLAGS)
_DECIMAL = re.compile(r"-?[0-9]*(\.[0-9]+)?", _FLAGS)
_NOT_EXTENDED = re.compile(r"""[^A-Z0-9!"&'()*+,\-\./:;?= a-z%~@\[\]_{}\\|<>#$]""", _FLAGS)
_NOT_EXTENDED_5 = re.compile(r"""[^A-Z0-9!"&'()*+,\-\./:;?= a-z%~@\[\]_{}\\|<>^`#$]""", _FLAGS)
# pyx12 names the first of these it finds, in this order.
_CONTROL_NAMES = (("\x07", "BEL"), ("\x09", "HT"), ("\x0a", "LF"), ("\x0b", "VT"),
                  ("\x0c", "FF"), ("\x0d", "CR"), ("\x1c", "FS"), ("\x1d", "GS"),
                  ("\x1e", "RS"), ("\x1f", "US"), ("\x01", "SOH"), ("\x02", "STX"),
                  ("\x03", "ETX"), ("\x04", "EOT"), ("\x05", "ENQ"), ("\x06", "ACK"),
                  ("\x11", "DC1"), ("\x12", "DC2"), ("\x13", "DC3"), ("\x14", "DC4"),
                  ("\x15", "NAK"), ("\x16", "SYN"), ("\x17", "ETB"))
_CONTROL = re.compile("[" + "".join(re.escape(c) for c, _ in _CONTROL_NAMES) + "]")
_DATES = ("RD8", "DT", "D8", "D6")
_DTP_TYPES = ("RD8", "D8", "D6", "DT", "TM")


class Error(NamedTuple):
    code: str
    text: str
    value: str | None
    element: ElementRule | None  # None: reported on the segment (AK304 8)


def value_at(values: list[str], position: int, component: str) -> str | None:
    """pyx12's ``Segment.get_value("NN")``: the element as written, trailing empty components
    left out; None past the segment's end."""
    if position >= len(values):
        return None
    value = values[position]
    return value.rstrip(component) if component in value else value


def segment_errors(rule: SegmentRule, values: list[str], component: str,
                   extended_5: bool) -> list[Error]:
    """Every element and syntax error of one segment placed at ``rule``."""
    if rule.plain and _clean(rule, values, component):
        return []
    errors: list[Error] = []
    defined = len(rule.slots)
    count = len(values) - 1
    if count > defined:
        errors.append(Error("3", f'Too many elements in segment "{rule.name}" ({values[0]}). '
                            f"Has {count}, should have {defined}",
                            value_at(values, defined + 1, component), None))
    checker = _Checker(component, extended_5, errors)
    dates: list[str] = []
    for index, slot in enumerate(rule.slots):
        raw = values[index + 1] if index < count else None
        if isinstance(slot, CompositeRule):
            checker.composite(slot, None if raw is None else raw.split(component))
            continue
        if index == 1 and values[0] == "DTP" and raw is not None:
            qualifier = value_at(values, 2, component)
            if qualifier in _DTP_TYPES:
                dates = [qualifier]
        if slot.number == "1250":
            dates.extend(slot.inline_codes)
        wanted = dates if (index == 2 and values[0] == "DTP") or (
            slot.number == "1251" and dates) else None
        checker.element(slot, raw, wanted)
    for kind, positions in rule.syntax:
        broken = _syntax_error(kind, positions, values, component)
        if broken is not None:
            errors.append(Error("8", broken, None, None))
    return errors


def _clean(rule: SegmentRule, values: list[str], component: str) -> bool:
    """The common case in one pass: every element passes its quick test (or is empty and not
    mandatory), and every syntax rule holds. False means "look closer", not "wrong"."""
    count = len(values) - 1
    slots = rule.slots
    if count > len(slots):
        return False
    for index, slot in enumerate(slots):
        raw = values[index + 1] if index < count else ""
        if not raw:
            if slot.usage == "R":
                return False
            continue
        passes = slot.passes if isinstance(slot, ElementRule) else None  # composites: in full
        if passes is None or slot.usage == "N" or component in raw or not passes(raw):
            return False
    # Every value here is a simple one, so "present" is simply "not empty".
    return all(holds(kind, positions, values) for kind, positions in rule.syntax)


class _Checker:
    def __init__(self, component: str, extended_5: bool, errors: list[Error]) -> None:
        self.component = component
        self.characters = _NOT_EXTENDED_5 if extended_5 else _NOT_EXTENDED
        self.errors = errors

    def composite(self, rule: CompositeRule, parts: list[str] | None) -> None:
        empty = parts is None or not any(parts)
        if empty and rule.usage in ("N", "S"):
            return
        if rule.usage == "R" and empty:
            self.errors.append(Error("1", f'Mandatory composite "{rule.name}" ({rule.refdes}) '
                                     "is missing", None, None))
            return
        assert parts is not None
        if rule.usage == "N":
            self.errors.append(Error("5", f'Composite "{rule.name}" ({rule.refdes}) is marked as '
                                     "Not Used", None, None))
            return
        if len(parts) > len(rule.parts):
            self.errors.append(Error("3", f'Too many sub-elements in composite "{rule.name}" '
                                     f"({rule.refdes})", None, None))
        for index, part in enumerate(rule.parts):
            self.element(part, parts[index] if index < len(parts) else None, None)

    def element(self, rule: ElementRule, value: str | None, dates: list[str] | None) -> None:
        errors = self.errors
        if value is not None and not rule.in_composite and self.component in value:
            shown = value.rstrip(self.component)
            errors.append(Error("6", f'Data element "{rule.name}" is an invalid composite',
                                shown, rule))
            return
        if not value:
            if rule.usage == "R" and (not rule.in_composite or rule.seq != 1
                                      or rule.composite_usage == "R"):
                errors.append(Error("1", f'Mandatory data element "{rule.name}" is missing',
                                    None, rule))
            return
        if rule.usage == "N":
            errors.append(Error("10", f'Data element "{rule.name}" is marked as Not Used',
                                None, rule))
            return
        self._length(rule, value)
        if _CONTROL.search(value):
            name = next(n for c, n in _CONTROL_NAMES if c in value)
            errors.append(Error("6", f'Data element "{rule.name}" contains an invalid control '
                                f"character(<{name}>)", f"<{name}>", rule))
            return
        kind = rule.kind
        if kind in ("AN", "ID") and value[-1] == " " and len(value.rstrip()) >= rule.min_length:
            errors.append(Error("6", f'Data element "{rule.name}" {TRAILING_SPACES}. ({value})',
                                value, rule))
        if rule.codes is not None and value not in rule.codes:
            errors.append(Error("7", f"({value}) is not a valid code for {rule.name}", value,
                                rule))
        if not self._typed(value, kind):
            code = "8" if kind in _DATES else "9" if kind == "TM" else "6"
            errors.append(Error(code, f'Data element "{rule.name}" is type {kind}, contains an '
                                f"invalid value ({value})", value, rule))
        if dates:
            self._dated(rule, value, dates)

    def _length(self, rule: ElementRule, value: str) -> None:
        kind = rule.kind
        measured = value.replace("-", "").replace(".", "") if (
            kind == "R" or kind[:1] == "N") else value
        size = len(measured)
        if size < rule.min_length:
            self.errors.append(Error("4", f'Data element "{rule.name}" is too short: '
                                     f'len("{value}") = {size} < {rule.min_length} (min_len)',
                                     value, rule))
        if size > rule.max_length:
            self.errors.append(Error("5", f'Data element "{rule.name}" is too long: '
                                     f'len("{value}") = {size} > {rule.max_length} (max_len)',
                                     value, rule))

    def _typed(self, value: str, kind: str, *, basic_version: bool = False) -> bool:
        """pyx12's ``IsValidDataType`` with the extended character set."""
        if kind in ("ID", "AN"):
            characters = _NOT_EXTENDED if basic_version else self.characters
            return characters.search(value) is None
        check = _TYPE_CHECKS.get("N" if kind[:1] == "N" else kind)
        return check is not None and check(value)  # a type pyx12 does not know: invalid

    def _dated(self, rule: ElementRule, value: str, dates: list[str]) -> None:
        """DTP03 read as the type DTP02 names (pyx12's ``type_list``)."""
        if any(self._typed(value, kind, basic_version=True) for kind in dates):
            return
        if "TM" in dates:
            self.errors.append(Error("9", f'Data element "{rule.name}" contains an invalid time '
                                     f"({value})", value, rule))
        elif any(kind in dates for kind in _DATES):
            self.errors.append(Error("8", f'Data element "{rule.name}" contains an invalid date '
                                     f"({value})", value, rule))


def _date_range(value: str) -> bool:
    parts = value.split("-")
    # pyx12 raises on more than one hyphen; X12's answer is "not a date range".
    return len(parts) == 2 and valid_date("D8", parts[0]) and valid_date("D8", parts[1])


def _whole(pattern: re.Pattern[str], value: str) -> bool:
    found = pattern.match(value)
    return found is not None and found.end() == len(value)


_TYPE_CHECKS: dict[str, Callable[[str], bool]] = {
    "": lambda _value: True, "B": lambda _value: True,
    "N": lambda value: _whole(_NUMBER, value), "R": lambda value: _whole(_DECIMAL, value),
    "RD8": _date_range, "DT": partial(valid_date, "DT"), "D8": partial(valid_date, "D8"),
    "D6": partial(valid_date, "D6"), "TM": valid_time,
}


def _syntax_error(kind: str, positions: tuple[int, ...], values: list[str],
                  component: str) -> str | None:
    """pyx12's ``is_syntax_valid``: the message of a broken rule, or None. A composite of
    separators only is absent, as pyx12 reads it."""
    read = [value_at(values, position, component) or ""
            for position in range(len(values))]
    return None if holds(kind, positions, read) else _syntax_message(kind, positions, values[0])


def _syntax_message(kind: str, positions: tuple[int, ...], tag: str) -> str:
    """pyx12's words for a broken rule (the acknowledgement's finding quotes them)."""
    rule = kind + "".join(f"{p:02d}" for p in positions)
    first, others = f"{tag}{positions[0]:02d}", positions[1:]
    said = {
        "P": f"If any of {_names(tag, positions)} is present, then all are required",
        "R": "At least one element is required",
        "E": f"At most one of {_names(tag, positions)} may be present",
        "C": f"If {first} is present, then {_names(tag, others)} "
             f"{'are' if len(others) > 1 else 'is'} required",
        "L": f"If {first} is present, then at least one of {_names(tag, others)} is required",
    }
    return f"Syntax Error ({rule}): {said[kind]}"


def _names(tag: str, positions: tuple[int, ...]) -> str:
    """pyx12's ``syntax_ele_id_str``: "N301, N302 or N303"."""
    names = [f"{tag}{p:02d}" for p in positions]
    if len(names) == 1:
        return names[0]
    return ", ".join(names[:-1]) + " or " + names[-1]
