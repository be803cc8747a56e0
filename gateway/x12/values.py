"""Checks of X12 date and time values, shared by the envelope checks (ISA, GS, TA1)."""

from __future__ import annotations

import re
from datetime import date

# The X12 basic and (004010) extended character sets; 005010 adds ^ and `, which 004010 lacks.
X12_CHARACTERS = frozenset(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!\"&'()*+,-./:;?= "
    "abcdefghijklmnopqrstuvwxyz%~@[]_{}\\|<>#$")
_TIME = re.compile(r"([01]\d|2[0-3])[0-5]\d([0-5]\d\d{0,2})?")


def is_date(value: str, widths: tuple[int, ...] = (8,)) -> bool:
    """A real calendar date, CCYYMMDD (width 8) or YYMMDD (width 6)."""
    if not (is_digits(value) and len(value) in widths):
        return False
    text = value if len(value) == 8 else "20" + value
    try:
        date(int(text[:4]), int(text[4:6]), int(text[6:8]))
    except ValueError:
        return False
    return True


def is_time(value: str, *, seconds: bool = True) -> bool:
    """HHMM, and when ``seconds`` also HHMMSS and HHMMSSD(D)."""
    return bool(_TIME.fullmatch(value)) and (seconds or len(value) == 4)


def is_digits(value: str) -> bool:
    """ASCII digits only: ``str.isdigit`` also accepts '¹' or '٣', which ``int`` refuses."""
    return value.isascii() and value.isdigit()


def is_alnum(value: str) -> bool:
    """ASCII letters and digits only."""
    return value.isascii() and value.isalnum()


def is_x12_text(value: str, low: int, high: int) -> bool:
    """``low`` to ``high`` characters, all in the X12 character sets."""
    return low <= len(value) <= high and set(value) <= X12_CHARACTERS
