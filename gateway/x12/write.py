"""Writing X12: segments as element lists in, text with a partner's delimiters out."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from gateway.x12.isa import Delimiters
from gateway.x12.values import X12_CHARACTERS

DEFAULT_DELIMITERS = Delimiters(element="*", component=">", segment="~", repetition="^")
_ISA_WIDTHS = (2, 10, 2, 10, 2, 15, 2, 15, 6, 4, 1, 5, 9, 1, 1)  # ISA01..ISA15; ISA16 is 1 char


def render(segments: Iterable[Sequence[str]], delimiters: Delimiters,
           *, line_break: bool = False) -> str:
    """Join segments with ``delimiters``; trailing empty elements are dropped (ISA excepted)."""
    end = delimiters.segment + ("\n" if line_break and delimiters.segment != "\n" else "")
    parts = []
    for segment in segments:
        values = list(segment)
        if values[0] != "ISA":
            while len(values) > 1 and values[-1] == "":
                values.pop()
        parts.append(delimiters.element.join(values) + end)
    return "".join(parts)


def isa_segment(elements: Sequence[str], delimiters: Delimiters) -> list[str]:
    """An ISA with each of ISA01..ISA15 padded or cut to its fixed width, ISA16 the separator."""
    if len(elements) != 15:
        raise ValueError("isa_segment takes ISA01..ISA15")
    fixed = [_fit(value, width, numeric=index in (12,))
             for index, (value, width) in enumerate(zip(elements, _ISA_WIDTHS, strict=True),
                                                    start=1)]
    return ["ISA", *fixed, delimiters.component]


def _fit(value: str, width: int, *, numeric: bool) -> str:
    if numeric:
        return value[-width:].rjust(width, "0")
    return value[:width].ljust(width)


def x12_date(moment: datetime, *, century: bool = True) -> str:
    return moment.strftime("%Y%m%d" if century else "%y%m%d")


def x12_time(moment: datetime) -> str:
    return moment.strftime("%H%M")


def clean_value(value: str, delimiters: Delimiters, limit: int) -> str:
    """A copy of partner data safe to embed in an element of any version we write: characters
    outside the X12 character sets, and our delimiters, become '?'."""
    allowed = X12_CHARACTERS - set("".join(delimiters.all()))
    return "".join(c if c in allowed else "?" for c in value)[:limit]
