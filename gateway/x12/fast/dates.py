"""Dates and times as pyx12 4.0.0 accepts them (``validation.is_valid_date`` / ``is_valid_time``).

Shared by the fast engine's quick test of a value (`grammar.py`) and its full check
(`checks.py`), so both read a date exactly as the reference engine does.
"""

from __future__ import annotations

import re

_NOT_DIGITS = re.compile(r"[^0-9]+", re.S | re.ASCII)


def valid_date(kind: str, value: str) -> bool:
    """pyx12's ``is_valid_date``: CCYYMMDD, YYMMDD (pivot 50) or CCYYMMDDHHMM, from 1800."""
    if (kind == "D8" and len(value) != 8) or (kind == "D6" and len(value) != 6):
        return False
    if _NOT_DIGITS.search(value) or len(value) not in (6, 8, 12):
        return False
    if len(value) == 6:
        value = ("20" if int(value[0:2]) < 50 else "19") + value
    year, month, day = int(value[0:4]), int(value[4:6]), int(value[6:8])
    if year < 1800 or not 1 <= month <= 12:
        return False
    if month in (4, 6, 9, 11):
        last = 30
    elif month == 2:
        leap = year % 4 == 0 and not (year % 100 == 0 and year % 400 != 0)
        last = 29 if leap else 28
    else:
        last = 31
    if not 1 <= day <= last:
        return False
    return len(value) != 12 or valid_time(value[8:12])


def valid_time(value: str) -> bool:
    """pyx12's ``is_valid_time`` (HHMM, HHMMSS, HHMMSSD..., compared as text as pyx12 does)."""
    if _NOT_DIGITS.search(value):
        return False
    if value[0:2] > "23" or value[2:4] > "59":
        return False
    if len(value) > 4:
        return len(value) >= 6 and value[4:6] <= "59" and len(value) <= 8
    return True
